# 客户端 (client), stage 5: send one message, print the reply.
#
# Written in the tutorials' style. One addition, so that the workspace's checks
# can run it: an optional port (`python3 s05_client.py 8998`; the default is the
# tutorial's 8998).
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 8998

client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect(("127.0.0.1", port))
client.send("I love wangxiaojing".encode("utf-8"))
data = client.recv(500)  # one recv: "the" reply
print(data.decode("utf-8"))
client.close()
