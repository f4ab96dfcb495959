# 服务端 (server), stage 5: one message per connection, answered, then closed.
#
# Written in the tutorials' style. Two additions, so that the workspace's checks
# can run it: an optional port (`python3 s05_server.py 0` lets the OS choose one;
# the default is the tutorial's 8998), and the first line printed is
# "listening on HOST:PORT", flushed at once.
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 8998

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.bind(("127.0.0.1", port))
server.listen(5)
print("listening on %s:%d" % server.getsockname(), flush=True)

while True:
    conn, addr = server.accept()
    msg = conn.recv(500).decode("utf-8")  # one recv: "the" message
    print("received:", msg)
    conn.send(("Received msg: %s from %s" % (msg, addr)).encode("utf-8"))
    conn.close()
