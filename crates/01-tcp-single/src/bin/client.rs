//! `tcp-single-client`: connects, sends one message, prints the reply.
//!
//! The tutorial's first client: socket, connect, send, recv, close. The
//! message is the command-line words joined by spaces, or, with no words,
//! one line read from stdin.

use std::io::{self, BufRead, IsTerminal, Write};
use std::process::ExitCode;

use kit::{Context, Error, printable};
use tcp_single::{DEFAULT_ADDR, RECV_SIZE, request};

const HELP: &str = "\
usage: tcp-single-client [ADDR] [MESSAGE...]

Connects to a tcp-single-server, sends one message, prints the reply.

  ADDR       the server, HOST:PORT (default 127.0.0.1:9999)
  MESSAGE    words to send, joined by spaces; none: one line is read from stdin
  -h, --help

examples:
  tcp-single-client hello there
  echo hello | tcp-single-client 127.0.0.1:9999
";

// ANCHOR: main
fn main() -> ExitCode {
    kit::run(HELP, |cli| {
        let addr = cli.addr_if_given(DEFAULT_ADDR);
        let words = cli.words();
        cli.finish()?;
        let message = if words.is_empty() {
            read_line()?
        } else {
            words.join(" ")
        };
        if message.is_empty() {
            return Err(Error::Usage(
                "nothing to send: give a message as words, or one line on stdin".into(),
            ));
        }

        let reply =
            request(&addr, message.as_bytes()).context(format_args!("cannot talk to {addr}"))?;
        println!("{}", printable(&reply.bytes));
        if reply.reset {
            eprintln!(
                "note: the server reset the connection: it closed without reading all {} bytes sent (it reads at most {RECV_SIZE})",
                message.len()
            );
        }
        Ok(())
    })
}
// ANCHOR_END: main

fn read_line() -> io::Result<String> {
    let stdin = io::stdin();
    if stdin.is_terminal() {
        eprint!("message> ");
        io::stderr().flush()?;
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}
