# 服务端 (server), stage 3: socketserver.ThreadingTCPServer, a thread per client.
#
# Written in the tutorials' style. Two additions, so that the workspace's checks
# can run it: an optional port (`python3 s03_server.py 0` lets the OS choose one;
# the default is the tutorial's 9998), and the first line printed is
# "listening on HOST:PORT", flushed at once.
import socketserver
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 9998


class MyServer(socketserver.BaseRequestHandler):
    def handle(self):  # runs in a new thread for every client
        print("connection from", self.client_address)
        while True:
            try:
                data = self.request.recv(1024)
                print(self.client_address, data.decode("utf-8"))
                msg = input(">>: ")
                self.request.sendall(msg.encode("utf-8"))
            except ConnectionResetError:
                print(self.client_address, "left")
                break


server = socketserver.ThreadingTCPServer(("127.0.0.1", port), MyServer)
print("listening on %s:%d" % server.server_address, flush=True)
server.serve_forever()
