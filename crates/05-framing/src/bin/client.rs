//! `framing-client`: a conversation with the server, one framed message per
//! line of input.
//!
//! Stage 3's client, sending each line as a framed message and reading each
//! reply with the framing, however many reads it takes. `--naive` shows why:
//! it sends every message at once and reads the replies the tutorial's way.

use std::io::{self, BufRead, BufReader, Cursor, IsTerminal, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::Duration;

use framing::{
    DEFAULT_ADDR, MAX_SIZE, Mode, read_message, read_naively, round_trip, wait_until_waiting,
    write_message,
};
use kit::{Context, printable};

const HELP: &str = "\
usage: framing-client [ADDR] [--mode length|line] [--naive]

Connects to a framing-server, sends each line of stdin as one framed message,
prints each reply. Type q (or end the input) to leave. An empty line is an
empty message, and comes back as one.

  ADDR           the server, HOST:PORT (default 127.0.0.1:8998)
  --mode length  (the default) a 4-byte big-endian length, then the bytes
  --mode line    the bytes, then \\n
                 (use the server's mode)
  --naive        read all the lines first, send them in one write, then show
                 what a reader taking one recv(1024) as one message gets, next
                 to what the framed reader gets
  -h, --help

examples:
  framing-client
  printf 'hello\\nworld\\nagain\\n' | framing-client 127.0.0.1:8998 --naive
";

/// How long the naive reader waits for a read before deciding that nothing
/// more will come.
const PATIENCE: Duration = Duration::from_millis(300);

// ANCHOR: main
fn main() -> ExitCode {
    kit::run(HELP, |cli| {
        let mode = cli.value("--mode")?.unwrap_or(Mode::Length);
        let naive = cli.flag("--naive");
        let addr = cli.addr(DEFAULT_ADDR)?;
        cli.finish()?;

        // Python: s = socket.socket(); s.connect(("127.0.0.1", 8998))
        // Succeeds as soon as the kernel completed the handshake, even while
        // the server is busy with another client and has not accepted us yet.
        let stream = TcpStream::connect(&addr).context(format_args!("cannot connect to {addr}"))?;
        if naive {
            show_naive(&stream, mode).context(format_args!("cannot talk to {addr}"))?;
            return Ok(());
        }
        // The BufReader keeps bytes read past one reply for the next one.
        let mut conn = BufReader::new(stream);

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
                // End of input (Ctrl-D, or the pipe is done): leave like `q`.
                break;
            }
            let message = without_newline(&line);
            if message.trim_ascii() == b"q" {
                // The server has no `q`: leaving is closing, between messages.
                break;
            }
            // An empty line is sent too: framed, an empty message is a
            // header saying 0 (or a bare \n), not the nothing that stage 3's
            // send(b"") put on the wire.
            let reply = round_trip(&mut conn, mode, message)
                .map_err(io::Error::from)
                .context(format_args!("cannot talk to {addr}"))?;
            println!("{}", printable(&reply));
        }
        // Python: s.close(). `conn`, and the stream in it, is dropped here.
        Ok(())
    })
}
// ANCHOR_END: main

/// The line without its `\n` or `\r\n`.
fn without_newline(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

// ANCHOR: show_naive
/// `--naive`: sends every line of stdin in one write, then reads the echoes
/// twice over: as the tutorial does (one recv = one message) and framed.
fn show_naive(stream: &TcpStream, mode: Mode) -> io::Result<()> {
    let stdin = io::stdin();
    if stdin.is_terminal() {
        eprintln!("type messages, one per line, then Ctrl-D to send them all at once");
    }
    let messages: Vec<Vec<u8>> = stdin
        .lock()
        .split(b'\n')
        .map(|line| line.map(|l| without_newline(&l).to_vec()))
        .collect::<io::Result<_>>()?;
    let mut batch = Vec::new();
    for message in &messages {
        write_message(mode, &mut batch, message)?;
    }
    // Python: s.sendall(frame1 + frame2 + frame3): back to back, no waiting.
    let mut writer = stream;
    writer.write_all(&batch)?;
    println!(
        "sent {} messages in one write, {} bytes framed ({mode})",
        messages.len(),
        batch.len()
    );

    // Let every echo arrive (the echo is as long as what we sent), as replies
    // pile up on a busy machine; then read them the naive way.
    wait_until_waiting(stream, batch.len().min(64 * 1024), Duration::from_secs(2))?;
    let reads = read_naively(stream, messages.len(), PATIENCE)?;
    println!("naive reader, one recv(1024) taken as one message:");
    for (i, read) in reads.iter().enumerate() {
        println!(
            "  message {}? {} bytes: {}",
            i + 1,
            read.len(),
            printable(read)
        );
    }
    if reads.len() < messages.len() {
        println!(
            "  message {}? nothing more arrives: this reader waits here forever",
            reads.len() + 1
        );
    }

    // The same bytes again, and whatever has not been read yet, framed.
    let seen = Cursor::new(reads.concat());
    let mut framed = BufReader::new(seen.chain(stream));
    println!("framed reader ({mode}):");
    for i in 0..messages.len() {
        match read_message(mode, &mut framed, MAX_SIZE)? {
            Some(message) => println!("  message {}: {}", i + 1, printable(&message)),
            None => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the server closed the connection",
                ));
            }
        }
    }
    Ok(())
}
// ANCHOR_END: show_naive
