# 客户端 (client), stage 6: the chat tutorial's client. One thread receives
# and prints, the main thread sends what you type as a JSON line.
# Written in the tutorials' style, plus an optional port (default 8888).
import json
import socket
import sys
import threading
import time

port = int(sys.argv[1]) if len(sys.argv) > 1 else 8888
name = input("name: ")

client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect(("127.0.0.1", port))


def receive():
    while True:
        data = client.recv(1024)  # one recv: "one" message
        if not data:
            break
        msg = json.loads(data.decode("utf-8").strip("\n"))
        print("[%s] %s: %s" % (msg["time"], msg["name"], msg["msg"]))


threading.Thread(target=receive, daemon=True).start()

while True:
    msg = input()
    if msg == "exit":
        break
    data = {"name": name, "msg": msg, "time": time.strftime("%Y-%m-%d %H:%M:%S")}
    client.send((json.dumps(data) + "\n").encode("utf-8"))

client.close()
