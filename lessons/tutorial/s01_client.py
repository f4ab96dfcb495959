# 客户端 (client), stage 1: one connection, one message, one reply.
#
# Written in the tutorials' style. One addition, so that the workspace's checks
# can run it: an optional port (`python3 s01_client.py 9999`; the default is the
# tutorial's 9999).
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 9999

client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect(("127.0.0.1", port))

msg = input(">>: ")
client.sendall(msg.encode("utf-8"))

data = client.recv(1024)  # one call: the reply, or its first 1024 bytes
print("server says:", data.decode("utf-8"))

client.close()
