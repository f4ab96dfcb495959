# 服务端 (server), stage 4: UDP, one datagram in, one fixed reply out, then exit.
#
# Written in the tutorials' style. Two additions, so that the workspace's checks
# can run it: an optional port (`python3 s04_server.py 0` lets the OS choose one;
# the default is the tutorial's 7852), and the first line printed is
# "listening on HOST:PORT", flushed at once.
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 7852

# SOCK_DGRAM: UDP. No listen(), no accept(): there are no connections.
server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
server.bind(("127.0.0.1", port))
print("listening on %s:%d" % server.getsockname(), flush=True)

data, client_addr = server.recvfrom(500)  # one datagram; past byte 500 it is cut
print(data)  # the bytes, b'...'
print(data.decode("utf-8"))  # the text

server.sendto("Ich hab keine Hunge".encode("utf-8"), client_addr)

server.close()
