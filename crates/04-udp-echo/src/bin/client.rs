//! `udp-echo-client`: sends each message as one datagram, prints each reply.
//!
//! The tutorial's UDP client (socket, sendto, recvfrom) plus what it leaves
//! out: a timeout and a bounded number of retries, because a datagram or its
//! reply can be lost and nobody says so. The message is the command-line
//! words joined by spaces or, with none, each line of stdin in turn.

use std::io::{self, BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use kit::{Context, Error, printable};
use udp_echo::{DEFAULT_ADDR, DEFAULT_RETRIES, DEFAULT_TIMEOUT, client_socket, request, resolve};

const HELP: &str = "\
usage: udp-echo-client [ADDR] [--timeout-ms N] [--retries N] [MESSAGE...]

Sends a message to a udp-echo-server as one datagram and prints the reply.
With no MESSAGE, sends each line of stdin as its own datagram.

  ADDR            the server, HOST:PORT (default 127.0.0.1:7852)
  MESSAGE         words to send, joined by spaces, as one datagram
  --timeout-ms N  how long to wait for each reply (default 1000)
  --retries N     how many more times to send when no reply comes (default 2)
  -h, --help

examples:
  udp-echo-client hello there
  printf 'one\\ntwo\\n' | udp-echo-client 127.0.0.1:7852 --timeout-ms 200
";

// ANCHOR: main
fn main() -> ExitCode {
    kit::run(HELP, |cli| {
        let timeout_ms = cli.value::<u64>("--timeout-ms")?;
        let timeout = timeout_ms.map_or(DEFAULT_TIMEOUT, Duration::from_millis);
        if timeout.is_zero() {
            // To the OS a zero read timeout means none: wait forever.
            return Err(Error::Usage("--timeout-ms must be at least 1".into()));
        }
        let retries = cli.value::<u32>("--retries")?.unwrap_or(DEFAULT_RETRIES);
        let addr = cli.addr_if_given(DEFAULT_ADDR);
        let words = cli.words();
        cli.finish()?;

        let server = resolve(&addr).context(format_args!("cannot find {addr}"))?;
        let socket = client_socket(server).context("cannot create a UDP socket")?;
        let exchange = |message: &[u8]| -> kit::Result<()> {
            let reply = request(&socket, server, message, timeout, retries)
                .context(format_args!("request to {addr}"))?;
            println!("{}", printable(&reply.bytes));
            if reply.tries > 1 {
                eprintln!("note: the reply came after {} sends", reply.tries);
            }
            Ok(())
        };

        if !words.is_empty() {
            return exchange(words.join(" ").as_bytes());
        }
        let stdin = io::stdin();
        let prompt = stdin.is_terminal();
        let mut line = Vec::new();
        loop {
            if prompt {
                // Python: msg = input(">>: ")
                eprint!(">> ");
                io::stderr().flush()?;
            }
            line.clear();
            if stdin.lock().read_until(b'\n', &mut line)? == 0 {
                return Ok(()); // end of input (Ctrl-D, or the pipe is done)
            }
            // Bytes, not a String: a datagram may carry anything. An empty
            // line is sent as an empty datagram, which UDP allows.
            let message = line.strip_suffix(b"\n").unwrap_or(&line);
            exchange(message.strip_suffix(b"\r").unwrap_or(message))?;
        }
    })
}
// ANCHOR_END: main
