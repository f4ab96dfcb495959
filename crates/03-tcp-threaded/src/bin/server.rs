//! `tcp-threaded-server`: serves every client at once, each in its own
//! thread, answering its messages until it sends `q` or closes, until Ctrl-C.
//!
//! Stage 2's server with a thread per client: Python's `ThreadingTCPServer`.
//! With `--stdin` you type each reply, as with `input()`.

use std::net::TcpListener;
use std::process::ExitCode;

use kit::{Context, Stop};
use tcp_threaded::{DEFAULT_ADDR, Reply, serve};

const HELP: &str = "\
usage: tcp-threaded-server [ADDR] [--stdin]

Serves every client at once, each in its own thread: echoes every message
back until the client sends q or closes. Ctrl-C stops it.

  ADDR      where to listen, HOST:PORT (default 127.0.0.1:9998; port 0 = any free port)
  --stdin   answer each message with a line typed here, instead of echoing it
  -h, --help

example:
  tcp-threaded-server 127.0.0.1:9998      then, in two other terminals:
  tcp-threaded-client 127.0.0.1:9998
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
