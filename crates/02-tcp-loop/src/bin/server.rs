//! `tcp-loop-server`: serves clients one after another, answering each one's
//! messages until it sends `q` or closes, until Ctrl-C.
//!
//! The tutorial's loop server: `while True: accept` around `while True:
//! recv, send`. With `--stdin` you type each reply, as with `input()`.

use std::net::TcpListener;
use std::process::ExitCode;

use kit::{Context, Stop};
use tcp_loop::{DEFAULT_ADDR, Reply, serve};

const HELP: &str = "\
usage: tcp-loop-server [ADDR] [--stdin]

Serves one client at a time: echoes every message back until the client
sends q or closes, then takes the next client. Ctrl-C stops it.

  ADDR      where to listen, HOST:PORT (default 127.0.0.1:9527; port 0 = any free port)
  --stdin   answer each message with a line typed here, instead of echoing it
  -h, --help

example:
  tcp-loop-server 127.0.0.1:9527      then, in another terminal:
  tcp-loop-client 127.0.0.1:9527
";

// ANCHOR: main
fn main() -> ExitCode {
    kit::run(HELP, |cli| {
        let reply = match cli.flag("--stdin") {
            true => Reply::Typed,
            false => Reply::Echo,
        };
        let addr = cli.addr(DEFAULT_ADDR)?;
        cli.finish()?;

        // Python: s = socket.socket(); s.bind(addr); s.listen(5)
        // As in stage 1: bind, listen (backlog 128) and SO_REUSEADDR in one.
        let listener = TcpListener::bind(&addr).context(format_args!("cannot listen on {addr}"))?;

        // Ctrl-C wakes the blocked accept() (kit::Stop, as in stage 1); wired
        // up before anyone learns the address from the next line.
        let stop = Stop::on_ctrl_c()?;
        stop.wake_accept(&listener)?;
        println!("listening on {}", listener.local_addr()?);

        let served = serve(&listener, &stop, reply)?;
        println!(
            "stopped by Ctrl-C; served {served} client{}",
            if served == 1 { "" } else { "s" }
        );
        Ok(())
    })
}
// ANCHOR_END: main
