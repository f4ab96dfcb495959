//! `tcp-single-server`: waits for one client, reads its message, replies, exits.
//!
//! The tutorial's first server: socket, bind, listen, accept, recv(1024),
//! send, close. By default it echoes the message back; with `--stdin` it asks
//! you for the reply, like the tutorial's `input()`.

use std::io::{self, BufRead, IsTerminal, Write};
use std::net::TcpListener;
use std::process::ExitCode;

use kit::{Context, Stop};
use tcp_single::{DEFAULT_ADDR, serve_one};

const HELP: &str = "\
usage: tcp-single-server [ADDR] [--stdin]

Waits for one client, reads one message (at most 1024 bytes), replies, and exits.

  ADDR      where to listen, HOST:PORT (default 127.0.0.1:9999; port 0 = any free port)
  --stdin   reply with a line typed on this terminal instead of echoing
  -h, --help

example:
  tcp-single-server 127.0.0.1:9999      then, in another terminal:
  tcp-single-client 127.0.0.1:9999 hello
";

// practice: rung 3, lessons/01-tcp-single.md#the-code
/// Reads the command line, binds and says where, serves one client, says how it went.
// ANCHOR: main
fn main() -> ExitCode {
    kit::run(HELP, |cli| {
        let typed_reply = cli.flag("--stdin");
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

        let served = serve_one(&listener, &stop, |_peer, message| {
            if message.is_empty() {
                Ok(Vec::new())
            } else if typed_reply {
                stop.exit_on_stop_during(
                    "stopped by Ctrl-C before a reply was typed",
                    read_typed_reply,
                )
            } else {
                Ok(message.to_vec())
            }
        })?;

        match served {
            Some(served) => println!(
                "replied {} bytes to {}; connection closed",
                served.reply.len(),
                served.peer
            ),
            None => println!("stopped by Ctrl-C; no message was served"),
        }
        Ok(())
    })
}
// ANCHOR_END: main

/// One line from this program's stdin, without its line ending.
fn read_typed_reply() -> io::Result<Vec<u8>> {
    let stdin = io::stdin();
    if stdin.is_terminal() {
        // Python: input("reply> ")
        print!("reply> ");
        io::stdout().flush()?;
    }
    let mut line = String::new();
    if stdin.lock().read_line(&mut line)? == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "stdin closed before a reply was typed (with --stdin, type the reply and press Enter)",
        ));
    }
    Ok(line.trim_end_matches(['\n', '\r']).as_bytes().to_vec())
}
