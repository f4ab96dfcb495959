//! `chat-client`: a seat in the chat room.
//!
//! The tutorial's chat client: one thread prints whatever the server sends,
//! whenever it comes, while the main thread reads what you type and sends
//! it. Lines come from the terminal or a pipe.

use std::io::{self, BufRead, BufReader, IsTerminal, Write};
use std::net::{Shutdown, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use chat::{DEFAULT_ADDR, FromServer, Line, MAX_LINE, check_name, message_line, read_line};
use kit::{Context, Error};

const HELP: &str = "\
usage: chat-client [ADDR] [--name NAME]

Joins a chat-server's room as NAME (asked for when not given), prints what
everyone says as [HH:MM:SS] name: message (the time is the server's, in UTC),
and sends each line of stdin. /who lists who is online; /quit, or the end of
the input, leaves.

  ADDR         the server, HOST:PORT (default 127.0.0.1:8888)
  --name NAME  your name in the room: 1 to 32 characters, unique
  -h, --help

examples:
  chat-client --name alice
  printf 'bob\\nhello everyone\\n' | chat-client 127.0.0.1:8888
";

/// The longest line the client accepts from the server: a client's line
/// can be [`MAX_LINE`] long, and the server adds `time` to it.
const FROM_SERVER_MAX: usize = MAX_LINE + 1024;

/// After leaving, how long to wait for the server to send what it still
/// has for us (the echo of our last message) and close.
const LEAVE_WAIT: Duration = Duration::from_secs(2);

// ANCHOR: main
fn main() -> ExitCode {
    kit::run(HELP, |cli| {
        let name: Option<String> = cli.value("--name")?;
        let addr = cli.addr(DEFAULT_ADDR)?;
        cli.finish()?;
        if let Some(name) = &name {
            check_name(name).map_err(|why| Error::Usage(format!("--name: {why}")))?;
        }
        let mut input = io::stdin().lock();
        let name = match name {
            Some(name) => name,
            None => ask_name(&mut input)?,
        };

        // Python: s = socket.socket(); s.connect(("127.0.0.1", 8888))
        let stream = TcpStream::connect(&addr).context(format_args!("cannot connect to {addr}"))?;
        // Python's makefile(): a second handle to the same socket, for
        // reading line by line in another thread while this one writes.
        let mut from_server = BufReader::new(stream.try_clone()?);

        // The first message binds our name. `/who` joins without saying
        // anything, and its answer shows who is here; an error says the
        // name was refused, before we start the conversation.
        (&stream).write_all(&message_line(&name, "/who"))?;
        join(&mut from_server).context(format_args!("cannot join the room at {addr}"))?;

        // From now on the server may send at any moment, while this thread
        // waits for a line to be typed: a second thread prints what comes.
        let left = Arc::new(AtomicBool::new(false));
        let printer = thread::spawn({
            let left = left.clone();
            move || print_incoming(from_server, &left)
        });

        let mut typed = Vec::new();
        loop {
            typed.clear();
            if input.read_until(b'\n', &mut typed)? == 0 {
                break; // end of input (Ctrl-D, or the pipe is done): leave
            }
            let text = String::from_utf8_lossy(&typed);
            let msg = text.trim_end_matches(['\n', '\r']);
            if msg.trim().is_empty() {
                continue;
            }
            if msg.trim() == "/quit" {
                break;
            }
            let line = message_line(&name, msg);
            if line.len() > MAX_LINE {
                eprintln!("[not sent] a message is at most {MAX_LINE} bytes as a JSON line");
                continue;
            }
            // Python: s.sendall((json.dumps(...) + "\n").encode())
            if (&stream).write_all(&line).is_err() {
                // The server is gone; the printer thread sees the end of
                // the stream and says so.
                let _ = printer.join();
                return Err(io::Error::other("lost the connection to the server").into());
            }
        }

        // Leaving: shut down our sending side (FIN). The server reads end
        // of stream, sends what it still has for us, our last message's
        // echo included, and closes; the printer prints it and ends.
        left.store(true, Ordering::SeqCst);
        stream.shutdown(Shutdown::Write)?;
        stream.set_read_timeout(Some(LEAVE_WAIT))?;
        let _ = printer.join();
        Ok(())
    })
}
// ANCHOR_END: main

/// Reads the name from the first line of input, asking when it is a terminal.
fn ask_name(input: &mut impl BufRead) -> kit::Result<String> {
    if io::stdin().is_terminal() {
        eprint!("your name: ");
        io::stderr().flush()?;
    }
    let mut line = String::new();
    input.read_line(&mut line)?;
    let name = line.trim().to_string();
    check_name(&name).map_err(|why| io::Error::other(format!("cannot use that name: {why}")))?;
    Ok(name)
}

/// Prints what the server sends until the answer to our `/who`.
fn join(from_server: &mut impl BufRead) -> io::Result<()> {
    let mut line = Vec::new();
    loop {
        if read_line(from_server, &mut line, FROM_SERVER_MAX)? != Line::Complete {
            return Err(io::Error::other("the server closed the connection"));
        }
        let got = FromServer::parse(&line);
        if let Some(why) = &got.error {
            let why = kit::printable(why.as_bytes());
            return Err(io::Error::other(format!("the server refused: {why}")));
        }
        println!("{}", got.show());
        if got.is_who_reply() {
            return Ok(());
        }
    }
}

// ANCHOR: print_incoming
/// The printer thread: shows each line the server sends, until it closes.
fn print_incoming(mut from_server: impl BufRead, left: &AtomicBool) {
    let mut line = Vec::new();
    let ended = loop {
        match read_line(&mut from_server, &mut line, FROM_SERVER_MAX) {
            Ok(Line::Complete) => println!("{}", FromServer::parse(&line).show()),
            Ok(Line::End) => break "the server closed the connection".to_string(),
            Ok(Line::TooLong) => {
                break format!("the server sent a line over {FROM_SERVER_MAX} bytes");
            }
            Err(e) => break format!("lost the connection to the server: {e}"),
        }
    };
    if !left.load(Ordering::SeqCst) {
        // The main thread is blocked reading stdin, and nothing can wake
        // it: end the whole process from here, with the error convention.
        eprintln!("error: {ended}");
        std::process::exit(1);
    }
}
// ANCHOR_END: print_incoming
