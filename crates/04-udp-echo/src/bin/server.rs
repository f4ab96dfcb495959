//! `udp-echo-server`: answers every UDP datagram with the same bytes, until Ctrl-C.
//!
//! The tutorial's UDP server: socket, bind, then a loop of recvfrom and
//! sendto. No listen, no accept, no connection: it logs the address each
//! datagram came from, because that address is all it knows of a client.

use std::net::UdpSocket;
use std::process::ExitCode;

use kit::{Context, Stop};
use udp_echo::{DEFAULT_ADDR, serve};

const HELP: &str = "\
usage: udp-echo-server [ADDR]

Answers every UDP datagram with the same bytes, and logs who sent it, until Ctrl-C.

  ADDR      where to receive, HOST:PORT (default 127.0.0.1:7852; port 0 = any free port)
  -h, --help

example:
  udp-echo-server 127.0.0.1:7852      then, in another terminal:
  udp-echo-client 127.0.0.1:7852 hello
";

// practice: rung 3, lessons/04-udp-echo.md#the-rust
/// Reads the command line, binds and says where, serves until Ctrl-C, sums up.
// ANCHOR: main
fn main() -> ExitCode {
    kit::run(HELP, |cli| {
        let addr = cli.addr(DEFAULT_ADDR)?;
        cli.finish()?;

        // ANCHOR: bind
        // Python: s = socket.socket(AF_INET, SOCK_DGRAM); s.bind(addr)
        // Both system calls, and no listen(): there are no connections to
        // queue. From here the kernel keeps each datagram for this port in
        // the socket's receive buffer until we recv_from() it, and silently
        // drops new ones while that buffer is full.
        let socket = UdpSocket::bind(&addr).context(format_args!("cannot bind to {addr}"))?;

        // Ctrl-C while we wait in recv_from() should end the server with a
        // summary and exit 0; kit::Stop wakes the blocked call by sending
        // the socket an empty datagram. Wired up before we announce the
        // address, since a script may press "Ctrl-C" right after that.
        let stop = Stop::on_ctrl_c()?;
        stop.wake_recv_from(&socket)?;
        // ANCHOR_END: bind

        // With port 0 the OS picked the port; local_addr() says which.
        println!("listening on {}", socket.local_addr()?);

        let served = serve(&socket, &stop)?;
        let s = if served.datagrams == 1 { "" } else { "s" };
        println!(
            "stopped by Ctrl-C; echoed {} datagram{s} ({} bytes)",
            served.datagrams, served.bytes
        );
        Ok(())
    })
}
// ANCHOR_END: main
