# 客户端 (client), stage 3: one of many clients of the threaded server.
#
# Written in the tutorials' style. One addition, so that the workspace's checks
# can run it: an optional port (`python3 s03_client.py 9998`; the default is the
# tutorial's 9998).
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 9998
name = "老王"

client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect(("127.0.0.1", port))

while True:
    msg = input(">>: ").strip()
    if msg == "exit":
        break
    client.sendall(("%s：%s" % (name, msg)).encode("utf-8"))
    data = client.recv(1024)
    print(data.decode("utf-8"))

client.close()
