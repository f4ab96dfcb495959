# 客户端 (client), stage 5, framed: each message goes out with its length in
# front (struct.pack(">I", n): 4 bytes, big-endian), and each reply is read the
# same way, however many recv calls it takes. This is what framing-server speaks.
#
# One addition, so that the workspace's checks can run it: an optional port
# (`python3 s05_client_framed.py 8998`; the default is the tutorial's 8998).
import socket
import struct
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 8998


def recv_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))  # may return fewer bytes than asked
        if not chunk:
            raise ConnectionError("the server closed the connection")
        data += chunk
    return data


client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect(("127.0.0.1", port))
for msg in ["I love wangxiaojing", "你好", "q"]:
    body = msg.encode("utf-8")
    client.sendall(struct.pack(">I", len(body)) + body)
    (size,) = struct.unpack(">I", recv_exactly(client, 4))
    print(recv_exactly(client, size).decode("utf-8"))
client.close()
