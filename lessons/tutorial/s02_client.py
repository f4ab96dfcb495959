# 客户端 (client), stage 2: a conversation, one line after another, until q.
#
# Written in the tutorials' style. One addition, so that the workspace's checks
# can run it: an optional port (`python3 s02_client.py 9527`; the default is the
# tutorial's 9527).
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 9527

client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect(("127.0.0.1", port))

while True:
    msg = input(">>: ").strip()
    client.send(msg.encode("utf-8"))  # an empty line sends 0 bytes: nothing
    if msg == "q":
        break
    data = client.recv(1024)  # ...and then this waits for a reply for ever
    print(data.decode("utf-8"))

client.close()
