//! `framing-client`: a conversation with the server, one line at a time.
//!
//! The tutorial's loop client (`while True: input, send, recv, print`), every
//! message and reply framed. `--naive` reads the tutorial's way, to show why.

use std::io::{self, BufRead, BufReader, IsTerminal, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use framing::{DEFAULT_ADDR, Mode, round_trip, write_message};
use kit::{Context, printable};

const HELP: &str = "\
usage: framing-client [ADDR] [--mode length|line] [--naive]

Connects to the server, sends each line of stdin as one framed message,
prints each reply. Type q (or end the input) to leave.

  ADDR           the server, HOST:PORT (default 127.0.0.1:8998)
  --mode MODE    length (the default: a 4-byte big-endian length, then the
                 bytes) or line (the bytes, then \\n): the server's --mode
  --naive        send all lines in one write, then read the replies the
                 tutorial's way: one recv(1024) taken as one message
  -h, --help

example:
  printf 'hello\\nworld\\nq\\n' | framing-client 127.0.0.1:8998
";

// ANCHOR: main
fn main() -> ExitCode {
    kit::run(HELP, |cli| {
        let mode = cli.value("--mode")?.unwrap_or(Mode::Length);
        let naive = cli.flag("--naive");
        let addr = cli.addr(DEFAULT_ADDR)?;
        cli.finish()?;

        // Python: s = socket.socket(); s.connect(addr)
        // Succeeds as soon as the kernel completed the handshake, even while
        // the server is busy with another client and has not accepted us yet.
        let stream = TcpStream::connect(&addr).context(format_args!("cannot connect to {addr}"))?;
        if naive {
            return Ok(show_naive(&stream, mode).context(format_args!("cannot talk to {addr}"))?);
        }
        // Keeps the bytes a read() brought past one reply for the next one.
        let mut stream = BufReader::new(stream);

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
            // An empty line is sent too: framed, it is a header saying 0.
            if message == b"q" {
                // The server has no `q`: we leave by closing between messages.
                break;
            }
            let reply = round_trip(&mut stream, mode, message)
                .context(format_args!("cannot talk to {addr}"))?;
            println!("{}", printable(&reply));
        }
        // Python: s.close(). `stream` is dropped here.
        Ok(())
    })
}
// ANCHOR_END: main

/// `--naive`: sends every line of stdin in one write, then reads the echoes
/// as the tutorial does, taking one `recv(1024)` for one message.
fn show_naive(mut stream: &TcpStream, mode: Mode) -> io::Result<()> {
    let (mut batch, mut count) = (Vec::new(), 0);
    for line in io::stdin().lock().split(b'\n') {
        write_message(mode, &mut batch, line?.trim_ascii())?;
        count += 1;
    }
    // Python: s.sendall(frame1 + frame2 + frame3): back to back.
    stream.write_all(&batch)?;
    println!("sent {count} messages, {} bytes, in one write", batch.len());
    // Let the echoes arrive, as replies pile up on a busy machine (peek looks
    // at the receive buffer without taking from it: Python's MSG_PEEK).
    let mut buf = [0u8; 1024]; // the tutorial's recv(1024)
    let deadline = Instant::now() + Duration::from_secs(2);
    while stream.peek(&mut buf)? < batch.len().min(buf.len()) && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(5));
    }
    // Python: data = s.recv(1024)   # "message 1", or so the tutorial hopes
    let n = stream.read(&mut buf)?;
    println!("recv(1024), message 1? {n} bytes: {}", printable(&buf[..n]));
    if n == batch.len() && count > 1 {
        println!("recv(1024), message 2? nothing more comes: it waits for ever");
    }
    Ok(())
}
