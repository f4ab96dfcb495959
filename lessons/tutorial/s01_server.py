# 服务端 (server), stage 1: one connection, one message, one reply.
#
# Written in the tutorials' style. Two additions, so that the workspace's checks
# can run it: an optional port (`python3 s01_server.py 0` lets the OS choose one;
# the default is the tutorial's 9999), and the first line printed is
# "listening on HOST:PORT", flushed at once.
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 9999

# AF_INET: IPv4; SOCK_STREAM: TCP
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.bind(("127.0.0.1", port))
server.listen(5)
print("listening on %s:%d" % server.getsockname(), flush=True)

conn, client_addr = server.accept()  # waits here for a client
print("connection from", client_addr)

data = conn.recv(1024)  # at most 1024 bytes, in one call
print("client says:", data.decode("utf-8"))

reply = input(">>: ")  # the person at the server types the reply
conn.sendall(reply.encode("utf-8"))

conn.close()
server.close()
