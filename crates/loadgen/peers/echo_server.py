"""An echo server the way the Python tutorials write one: socketserver.

usage: python3 echo_server.py [ADDR]        (ADDR is HOST:PORT, default 127.0.0.1:9998)

ThreadingTCPServer starts a thread per client, like tcp-threaded-server, and
the handler is the tutorial's conversation loop: recv(1024), send it back,
until the client closes or sends q. It logs what the Rust server logs. Like
the Rust servers it prints `listening on ADDR` first (port 0 = any free
port), so `loadgen compare` can drive both, and stops on Ctrl-C or SIGTERM.
"""

import signal
import socketserver
import sys


def parse_addr(text):
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


class EchoHandler(socketserver.BaseRequestHandler):
    def handle(self):
        conn, addr = self.request, self.client_address
        print(f"connection from {addr}")
        while True:
            data = conn.recv(1024)
            if not data:
                print(f"{addr}: closed the connection")
                break
            print(f"{addr} sent {len(data)} bytes: {data[:60]!r}")
            if data.strip() == b"q":
                print(f"{addr}: sent q; conversation over")
                break
            conn.sendall(data)


class Server(socketserver.ThreadingTCPServer):
    # The tutorial's two usual lines: restart without "address in use", and
    # do not wait for client threads at exit.
    allow_reuse_address = True
    daemon_threads = True
    # request_queue_size stays socketserver's default, 5: listen(5).


def stop(signum, frame):
    raise KeyboardInterrupt


def main():
    addr = parse_addr(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:9998")
    # SIGINT too: a script that starts us in the background leaves SIGINT
    # ignored, and Python then skips its own KeyboardInterrupt handler.
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    with Server(addr, EchoHandler) as server:
        host, port = server.server_address[:2]
        print(f"listening on {host}:{port}", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    print("stopped", flush=True)


if __name__ == "__main__":
    main()
