//! `tcp-threaded-client`: a conversation with the server, one line at a time.
//!
//! The tutorial's loop client: connect once, then `while True: input, send,
//! recv, print` until you type `q`. Lines come from the terminal or a pipe.

use std::io::{self, BufRead, IsTerminal, Write};
use std::net::TcpStream;
use std::process::ExitCode;

use kit::{Context, printable};
use tcp_threaded::{DEFAULT_ADDR, round_trip};

const HELP: &str = "\
usage: tcp-threaded-client [ADDR]

Connects to the server, sends each line of stdin, prints each reply.
Type q (or end the input) to leave.

  ADDR       the server, HOST:PORT (default 127.0.0.1:9998)
  -h, --help

example:
  printf 'hello\\nworld\\nq\\n' | tcp-threaded-client 127.0.0.1:9998
";

// ANCHOR: main
fn main() -> ExitCode {
    kit::run(HELP, |cli| {
        let addr = cli.addr(DEFAULT_ADDR)?;
        cli.finish()?;

        // Python: s = socket.socket(); s.connect(addr)
        // Succeeds as soon as the kernel completed the handshake, even while
        // the server is busy with another client and has not accepted us yet.
        let mut stream =
            TcpStream::connect(&addr).context(format_args!("cannot connect to {addr}"))?;

        let stdin = io::stdin();
        let prompt = stdin.is_terminal();
        let mut line = Vec::new();
        loop {
            if prompt {
                // Python: msg = input(">>: ").strip()
                eprint!(">> ");
                io::stderr().flush()?;
            }
            line.clear();
            if stdin.lock().read_until(b'\n', &mut line)? == 0 {
                // End of input (Ctrl-D, or the pipe is done): leave like `q`.
                break;
            }
            let message = line.trim_ascii();
            // Python: if len(msg) == 0: continue
            // Sending 0 bytes sends nothing at all, so the server would never
            // answer and recv() would wait forever.
            if message.is_empty() {
                continue;
            }
            if message == b"q" {
                // Tell the server we are leaving (if it is still there).
                let _ = stream.write_all(message);
                break;
            }
            let reply =
                round_trip(&mut stream, message).context(format_args!("cannot talk to {addr}"))?;
            // A line-oriented server ends its replies with a newline; println adds one.
            println!("{}", printable(reply.strip_suffix(b"\n").unwrap_or(&reply)));
        }
        // Python: s.close(). `stream` is dropped here.
        Ok(())
    })
}
// ANCHOR_END: main
