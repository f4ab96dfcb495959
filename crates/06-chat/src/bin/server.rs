//! `chat-server`: a chat room. Every client's JSON lines go to every client,
//! in one order, until Ctrl-C.
//!
//! Stage 3's server, with the client threads sharing one room: Python's
//! `socketserver.ThreadingTCPServer` and a list of clients behind a lock.

use std::net::TcpListener;
use std::process::ExitCode;

use chat::{DEFAULT_ADDR, Limits, MAX_CLIENTS, QUEUE_LEN, Summary, serve};
use kit::{Context, Error, Stop};

const HELP: &str = "\
usage: chat-server [ADDR] [--max-clients N] [--queue N]

A chat room: every message a client sends, one JSON object per line
({\"name\": \"alice\", \"msg\": \"hi\"}), goes to every client, the sender included,
with the server's time added. Ctrl-C tells the room and stops it.

  ADDR              where to listen, HOST:PORT (default 127.0.0.1:8888; port 0 = any free port)
  --max-clients N   clients in the room at once (default 1024); one more is
                    told the room is full and closed
  --queue N         lines that may wait for one client (default 256); a client
                    that lets more pile up is disconnected as too slow
  -h, --help

example:
  chat-server 127.0.0.1:8888      then, in two other terminals:
  chat-client 127.0.0.1:8888 --name alice
";

// ANCHOR: main
fn main() -> ExitCode {
    kit::run(HELP, |cli| {
        let max_clients = cli.value("--max-clients")?.unwrap_or(MAX_CLIENTS);
        let queue_len = cli.value("--queue")?.unwrap_or(QUEUE_LEN);
        let addr = cli.addr(DEFAULT_ADDR)?;
        cli.finish()?;
        if max_clients == 0 || queue_len == 0 {
            return Err(Error::Usage(
                "--max-clients and --queue must be at least 1".into(),
            ));
        }

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

        let Summary {
            served,
            refused,
            messages,
            too_slow,
            closed_at_stop,
        } = serve(
            &listener,
            &stop,
            Limits {
                max_clients,
                queue_len,
            },
        )?;
        let refused = match refused {
            0 => String::new(),
            n => format!("; refused {n} over --max-clients"),
        };
        let too_slow = match too_slow {
            0 => String::new(),
            n => format!("; disconnected {n} as too slow"),
        };
        println!(
            "stopped by Ctrl-C; served {served} client{}, passed on {messages} message{} ({closed_at_stop} still connected, told and closed){refused}{too_slow}",
            if served == 1 { "" } else { "s" },
            if messages == 1 { "" } else { "s" },
        );
        Ok(())
    })
}
// ANCHOR_END: main
