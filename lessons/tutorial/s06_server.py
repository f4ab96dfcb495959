# 服务端 (server), stage 6: the chat tutorial's room. A thread per client;
# every message goes to every client in the list, the sender too.
# Written in the tutorials' style, plus an optional port (0: any free one;
# default 8888) and a first line "listening on HOST:PORT", flushed.
import json
import socket
import sys
import threading
import time

port = int(sys.argv[1]) if len(sys.argv) > 1 else 8888
clients = []  # every connected socket


def handle(conn, addr):
    print(addr, "connected")
    while True:
        try:
            data = conn.recv(1024)  # one recv: "one" message
        except ConnectionResetError:
            break
        if not data:
            break
        msg = json.loads(data.decode("utf-8").strip("\n"))
        print("%s: %s" % (msg["name"], msg["msg"]))
        msg["time"] = time.strftime("%Y-%m-%d %H:%M:%S")
        for c in clients:
            c.send((json.dumps(msg) + "\n").encode("utf-8"))
    clients.remove(conn)
    conn.close()
    print(addr, "left")


server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.bind(("127.0.0.1", port))
server.listen(5)
print("listening on %s:%d" % server.getsockname(), flush=True)

while True:
    conn, addr = server.accept()
    clients.append(conn)
    threading.Thread(target=handle, args=(conn, addr)).start()
