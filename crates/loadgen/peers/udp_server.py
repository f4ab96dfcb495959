"""A UDP echo server the way the Python tutorials write one.

usage: python3 udp_server.py [ADDR]         (ADDR is HOST:PORT, default 127.0.0.1:7852)

One socket, one loop: recvfrom, sendto the same bytes back to whoever sent
them. It logs what udp-echo-server logs. Prints `listening on ADDR` first
(port 0 = any free port) and stops on Ctrl-C or SIGTERM.
"""

import signal
import socket
import sys


def parse_addr(text):
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def stop(signum, frame):
    raise KeyboardInterrupt


def main():
    addr = parse_addr(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:7852")
    # SIGINT too: a script that starts us in the background leaves SIGINT
    # ignored, and Python then skips its own KeyboardInterrupt handler.
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(addr)
    host, port = s.getsockname()[:2]
    print(f"listening on {host}:{port}", flush=True)
    served = 0
    try:
        while True:
            data, peer = s.recvfrom(65535)
            s.sendto(data, peer)
            served += 1
            print(f"from {peer}: {len(data)} bytes: {data[:60]!r}; echoed")
    except KeyboardInterrupt:
        pass
    finally:
        s.close()
    print(f"stopped; served {served} datagrams", flush=True)


if __name__ == "__main__":
    main()
