# 服务端 (server), stage 2: 链接循环 + 通信循环, one client at a time.
#
# Written in the tutorials' style. Two additions, so that the workspace's checks
# can run it: an optional port (`python3 s02_server.py 0` lets the OS choose one;
# the default is the tutorial's 9527), and the first line printed is
# "listening on HOST:PORT", flushed at once.
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 9527

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.bind(("127.0.0.1", port))
server.listen(5)  # 半连接池: up to 5 clients wait here while we talk to one
print("listening on %s:%d" % server.getsockname(), flush=True)

while True:  # 链接循环: one client after another
    conn, client_addr = server.accept()
    print("connection from", client_addr)
    while True:  # 通信循环: one message after another
        try:
            data = conn.recv(1024)
            if not data:  # b"": the client closed the connection
                break
            print("client:", data.decode("utf-8"))
            if data.decode("utf-8") == "q":
                break
            msg = input("server:")
            conn.send(msg.encode("utf-8"))
        except ConnectionResetError:  # the client vanished (Windows says so)
            break
    conn.close()
