# 客户端 (client), stage 4: UDP, one datagram out, one reply in.
#
# Written in the tutorials' style. One addition, so that the workspace's checks
# can run it: an optional port (`python3 s04_client.py 7852`; the default is the
# tutorial's 7852).
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 7852

client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

msg = input(">>: ")
client.sendto(msg.encode("utf-8"), ("127.0.0.1", port))  # no connect(): name the address

data, server_addr = client.recvfrom(1000)  # waits for a reply, for ever if none comes
print(data.decode("utf-8"))

client.close()
