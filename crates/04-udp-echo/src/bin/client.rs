//! `udp-echo-client`: sends each message as one datagram, prints each reply.
//!
//! The tutorial's UDP client: socket, sendto, recvfrom, with what the
//! tutorial leaves out: a timeout and a bounded number of retries, because a
//! datagram or its reply can be lost and nobody says so. The message is the
//! command-line words joined by spaces, or, with no words, each line of stdin
//! in turn. `--connect` gives the socket a default peer (see the lesson).

use std::io::{self, BufRead, ErrorKind, IsTerminal, Write};
use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::time::Duration;

use kit::{Context, Error, printable};
use udp_echo::{
    DEFAULT_ADDR, MAX_PAYLOAD_V4, MAX_PAYLOAD_V6, Retry, client_socket, request, resolve,
};

const HELP: &str = "\
usage: udp-echo-client [ADDR] [--timeout-ms N] [--retries N] [--connect] [MESSAGE...]

Sends a message to a udp-echo-server as one datagram and prints the reply.
With no MESSAGE, sends each line of stdin as its own datagram.

  ADDR            the server, HOST:PORT (default 127.0.0.1:7852)
  MESSAGE         words to send, joined by spaces, as one datagram
  --timeout-ms N  how long to wait for each reply (default 1000)
  --retries N     how many more times to send when no reply comes (default 2)
  --connect       connect() the socket to ADDR: only ADDR's datagrams are
                  received, and a closed port is reported as refused
  -h, --help

examples:
  udp-echo-client hello there
  printf 'one\\ntwo\\n' | udp-echo-client 127.0.0.1:7852 --timeout-ms 200
";

// ANCHOR: main
fn main() -> ExitCode {
    kit::run(HELP, |cli| {
        let connect = cli.flag("--connect");
        let defaults = Retry::default();
        let timeout_ms = cli
            .value::<u64>("--timeout-ms")?
            .unwrap_or(defaults.timeout.as_millis() as u64);
        let retries = cli.value::<u32>("--retries")?.unwrap_or(defaults.retries);
        if timeout_ms == 0 {
            return Err(Error::Usage("--timeout-ms must be at least 1".into()));
        }
        let retry = Retry {
            timeout: Duration::from_millis(timeout_ms),
            retries,
        };
        let addr = cli.addr_if_given(DEFAULT_ADDR);
        let words = cli.words();
        cli.finish()?;

        let server = resolve(&addr).context(format_args!("cannot find {addr}"))?;
        let socket = client_socket(server).context("cannot create a UDP socket")?;
        if connect {
            // Python: s.connect(server)
            // No packet is sent: the kernel only records a default peer. From
            // now on it drops datagrams from anyone else, and an ICMP "port
            // unreachable" comes back to us as "connection refused".
            socket
                .connect(server)
                .context(format_args!("cannot connect the socket to {addr}"))?;
        }

        if !words.is_empty() {
            return exchange(&socket, server, &addr, words.join(" ").as_bytes(), retry);
        }
        let stdin = io::stdin();
        let prompt = stdin.is_terminal();
        let mut input = stdin.lock();
        loop {
            if prompt {
                eprint!("message> ");
                io::stderr().flush()?;
            }
            // Bytes, not a String: a datagram may carry anything.
            let mut line = Vec::new();
            if input.read_until(b'\n', &mut line)? == 0 {
                return Ok(());
            }
            if line.ends_with(b"\n") {
                line.pop();
            }
            if line.ends_with(b"\r") {
                line.pop();
            }
            exchange(&socket, server, &addr, &line, retry)?;
        }
    })
}
// ANCHOR_END: main

/// Sends one message, prints the reply, and says on stderr when it took
/// more than one try or strangers wrote to us.
fn exchange(
    socket: &UdpSocket,
    server: SocketAddr,
    addr: &str,
    message: &[u8],
    retry: Retry,
) -> kit::Result<()> {
    let max = if server.is_ipv4() {
        MAX_PAYLOAD_V4
    } else {
        MAX_PAYLOAD_V6
    };
    if message.len() > max {
        return Err(io::Error::new(
            ErrorKind::InvalidInput,
            format!(
                "a message of {} bytes does not fit in one UDP datagram (at most {max} bytes to {server}); send a shorter one",
                message.len()
            ),
        )
        .into());
    }
    let reply =
        request(socket, server, message, retry).context(format_args!("no reply from {addr}"))?;
    println!("{}", printable(&reply.bytes));
    if reply.tries > 1 {
        eprintln!(
            "note: the reply came after {} sends: earlier datagrams or replies were lost or late",
            reply.tries
        );
    }
    if let Some(stranger) = reply.stranger {
        eprintln!(
            "note: ignored {} datagrams from addresses other than {server} (first {stranger})",
            reply.ignored
        );
    }
    Ok(())
}
