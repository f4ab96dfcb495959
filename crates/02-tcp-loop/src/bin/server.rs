//! `tcp-loop-server`: serves clients one after another, echoing each one's
//! messages until it sends `q` or closes, until Ctrl-C.
//!
//! The tutorial's loop server: socket, bind, listen, then `while True:
//! accept` around `while True: recv, send`. One client at a time: the
//! next one waits in the listen backlog until the current one leaves.

use std::net::TcpListener;
use std::process::ExitCode;

use kit::{Context, Stop};
use tcp_loop::{DEFAULT_ADDR, serve};

const HELP: &str = "\
usage: tcp-loop-server [ADDR]

Serves one client at a time: echoes every message back until the client
sends q or closes, then takes the next client. Ctrl-C stops it.

  ADDR      where to listen, HOST:PORT (default 127.0.0.1:9527; port 0 = any free port)
  -h, --help

example:
  tcp-loop-server 127.0.0.1:9527      then, in another terminal:
  tcp-loop-client 127.0.0.1:9527
";

// ANCHOR: main
fn main() -> ExitCode {
    kit::run(HELP, |cli| {
        let addr = cli.addr(DEFAULT_ADDR)?;
        cli.finish()?;

        // Python: s = socket.socket(); s.bind(addr); s.listen(5)
        // `TcpListener::bind` makes all three system calls (listen with a
        // backlog of 128). On Unix it also sets SO_REUSEADDR, the line Python
        // tutorials add by hand, so a restarted server can bind again while
        // old connections linger in TIME_WAIT. From here the kernel completes
        // handshakes by itself and queues connections until we accept() them.
        let listener = TcpListener::bind(&addr).context(format_args!("cannot listen on {addr}"))?;

        // Ctrl-C while we wait in accept() should end the server with a
        // summary and exit 0, not kill it mid-call; kit::Stop explains how
        // the blocked accept() is woken. Wired up before we announce that we
        // are listening, since a script may press "Ctrl-C" right after that.
        let stop = Stop::on_ctrl_c()?;
        stop.wake_accept(&listener)?;

        // With port 0 the OS picked the port; local_addr() says which.
        println!("listening on {}", listener.local_addr()?);

        let served = serve(&listener, &stop)?;
        println!(
            "stopped by Ctrl-C; served {served} client{}",
            if served == 1 { "" } else { "s" }
        );
        Ok(())
    })
}
// ANCHOR_END: main
