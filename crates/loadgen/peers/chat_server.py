"""The tutorials' chat room: ThreadingTCPServer, JSON lines, a lock.

usage: python3 chat_server.py [ADDR]        (ADDR is HOST:PORT, default 127.0.0.1:8888)

Every client gets a thread. A client sends {"name": ..., "msg": ...} lines;
the server stamps the time and sends the message to every connected client,
the sender included, holding one lock around the client list while it does,
so everyone sees one order. As in the tutorial, the broadcast is a blocking
sendall to each client in turn: one client that stops reading stalls the
room (chat-server bounds each client's queue instead). It follows the
contract's chat protocol closely enough for `loadgen chat`: the first
message binds the name, joins and leaves are notices from "server", bad
lines get {"error": ...}. Prints `listening on ADDR` first (port 0 = any
free port) and stops on Ctrl-C or SIGTERM.
"""

import datetime
import json
import signal
import socketserver
import sys
import threading

LINE_LIMIT = 64 * 1024

clients = {}  # socket -> name (None until its first message)
lock = threading.Lock()


def now():
    t = datetime.datetime.now(datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def send(sock, obj):
    try:
        sock.sendall((json.dumps(obj) + "\n").encode("utf-8"))
    except OSError:
        pass


def broadcast(name, msg):
    with lock:
        line = (json.dumps({"name": name, "msg": msg, "time": now()}) + "\n").encode("utf-8")
        for sock in list(clients):
            try:
                sock.sendall(line)
            except OSError:
                pass


def valid_name(name):
    return 1 <= len(name) <= 32 and name.isprintable() and name != "server"


class ChatHandler(socketserver.StreamRequestHandler):
    def handle(self):
        sock, addr = self.request, self.client_address
        name = None
        with lock:
            clients[sock] = None
        print(f"connection from {addr}")
        try:
            while True:
                raw = self.rfile.readline(LINE_LIMIT + 1)
                if not raw:
                    break
                if len(raw) > LINE_LIMIT:
                    send(sock, {"error": "line too long (64 KiB at most)"})
                    break
                try:
                    data = json.loads(raw)
                except ValueError:
                    send(sock, {"error": "not JSON"})
                    continue
                if not isinstance(data, dict) or not isinstance(data.get("name"), str) \
                        or not isinstance(data.get("msg"), str):
                    send(sock, {"error": "want {\"name\": string, \"msg\": string}"})
                    continue
                if name is None:
                    with lock:
                        taken = data["name"] in clients.values()
                        if valid_name(data["name"]) and not taken:
                            name = clients[sock] = data["name"]
                    if name is None:
                        send(sock, {"error": f"name {data['name']!r} refused"})
                        continue
                    broadcast("server", f"{name} joined")
                elif data["name"] != name:
                    send(sock, {"error": f"you are {name}"})
                    continue
                if data["msg"] == "/who":
                    with lock:
                        names = sorted(n for n in clients.values() if n)
                    send(sock, {"name": "server", "msg": "online: " + ", ".join(names), "time": now()})
                    continue
                print(f"{name}: {data['msg'][:60]!r}")
                broadcast(name, data["msg"])
        except OSError:
            pass
        finally:
            with lock:
                clients.pop(sock, None)
            if name is not None:
                broadcast("server", f"{name} left")
            print(f"{addr}: gone")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def stop(signum, frame):
    raise KeyboardInterrupt


def parse_addr(text):
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def main():
    addr = parse_addr(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:8888")
    # SIGINT too: a script that starts us in the background leaves SIGINT
    # ignored, and Python then skips its own KeyboardInterrupt handler.
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    with Server(addr, ChatHandler) as server:
        host, port = server.server_address[:2]
        print(f"listening on {host}:{port}", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        broadcast("server", "the server is shutting down")
    print("stopped", flush=True)


if __name__ == "__main__":
    main()
