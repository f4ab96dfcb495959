//! `chat-server`: a chat room. Every client's JSON lines go to every client,
//! in one order, until Ctrl-C.
//!
//! Stage 3's server, with the client threads sharing one room: Python's
//! `ThreadingTCPServer` and a list of clients behind a lock.

use std::net::TcpListener;
use std::process::ExitCode;

use chat::{DEFAULT_ADDR, QUEUE_LEN, serve};
use kit::{Context, Error, Stop};

const HELP: &str = "\
usage: chat-server [ADDR] [--queue N]

A chat room: every message a client sends, one JSON object per line
({\"name\": \"alice\", \"msg\": \"hi\"}), goes to every client, the sender included,
with the server's time added. Ctrl-C tells the room and stops it.

  ADDR        where to listen, HOST:PORT (default 127.0.0.1:8888; port 0 = any free port)
  --queue N   lines that may wait for one client (default 256); a client
              that lets more pile up is disconnected as too slow
  -h, --help

example:
  chat-server 127.0.0.1:8888      then, in two other terminals:
  chat-client 127.0.0.1:8888 --name alice
";

// ANCHOR: main
fn main() -> ExitCode {
    kit::run(HELP, |cli| {
        let queue_len = cli.value("--queue")?.unwrap_or(QUEUE_LEN);
        let addr = cli.addr(DEFAULT_ADDR)?;
        cli.finish()?;
        if queue_len == 0 {
            return Err(Error::Usage("--queue must be at least 1".into()));
        }

        // Python: s = socket.socket(); s.bind(addr); s.listen(5)
        // As in stage 1: bind, listen (backlog 128) and SO_REUSEADDR in one.
        let listener = TcpListener::bind(&addr).context(format_args!("cannot listen on {addr}"))?;

        // Ctrl-C wakes the blocked accept() (kit::Stop, as in stage 1); wired
        // up before anyone learns the address from the next line.
        let stop = Stop::on_ctrl_c()?;
        stop.wake_accept(&listener)?;
        println!("listening on {}", listener.local_addr()?);

        let served = serve(&listener, &stop, queue_len)?;
        println!(
            "stopped by Ctrl-C; served {served} client{}",
            if served == 1 { "" } else { "s" }
        );
        Ok(())
    })
}
// ANCHOR_END: main
