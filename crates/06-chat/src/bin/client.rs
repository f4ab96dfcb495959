//! `chat-client`: a seat in the chat room.
//!
//! The tutorial's chat client: a second thread prints whatever the server
//! sends, whenever it comes, while the main thread sends each line typed.

use std::io::{self, BufRead, BufReader, IsTerminal, Write};
use std::net::{Shutdown, TcpStream};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use chat::{DEFAULT_ADDR, MAX_LINE, check_name, json_line, read_line, show};
use kit::{Context, Error};

const HELP: &str = "\
usage: chat-client [ADDR] [--name NAME]

Joins a chat-server's room as NAME (read from the first line of stdin when
not given) and sends each line of stdin; prints every message as
[HH:MM:SS] name: message and the server's notices as [HH:MM:SS] * notice
(the server's time, UTC). /who lists who is online; /quit or the end of
the input leaves.

  ADDR         the server, HOST:PORT (default 127.0.0.1:8888)
  --name NAME  your name in the room: 1 to 32 characters, unique
  -h, --help

example:
  printf 'bob\\nhello everyone\\n' | chat-client 127.0.0.1:8888
";

/// Set when we leave, so the printer thread knows the end is ours.
static LEFT: AtomicBool = AtomicBool::new(false);

// ANCHOR: main
fn main() -> ExitCode {
    kit::run(HELP, |cli| {
        let name: Option<String> = cli.value("--name")?;
        let addr = cli.addr(DEFAULT_ADDR)?;
        cli.finish()?;

        let stdin = io::stdin();
        let mut line = Vec::new();
        if name.is_none() && stdin.is_terminal() {
            eprint!("name: "); // Python: name = input("name: ")
        }
        let name = match name {
            Some(name) => name,
            None => {
                stdin.lock().read_until(b'\n', &mut line)?;
                String::from_utf8_lossy(line.trim_ascii()).into_owned()
            }
        };
        check_name(&name).map_err(|why| Error::Usage(format!("the name {name:?}: {why}")))?;

        // Python: s = socket.socket(); s.connect(addr)
        // Succeeds as soon as the kernel completed the handshake, even while
        // the server is busy with another client and has not accepted us yet.
        let stream = TcpStream::connect(&addr).context(format_args!("cannot connect to {addr}"))?;
        // The first message binds our name and joins the room: `/who` says
        // nothing to the others, and its answer shows who is here.
        (&stream).write_all(json_line(&name, "/who", None).as_bytes())?;
        // The server may send at any moment, while this thread waits for a
        // line to be typed: a second thread prints what comes. Python:
        // threading.Thread(target=receive).start()
        let from_server = BufReader::new(stream.try_clone()?);
        let printer = thread::spawn(move || print_incoming(from_server));

        loop {
            line.clear();
            if stdin.lock().read_until(b'\n', &mut line)? == 0 {
                // End of input (Ctrl-D, or the pipe is done): leave like `/quit`.
                break;
            }
            let message = line.trim_ascii();
            // Python: if len(msg) == 0: continue
            if message.is_empty() {
                continue;
            }
            if message == b"/quit" {
                break;
            }
            // Python: s.sendall((json.dumps(...) + "\n").encode())
            let message = json_line(&name, &String::from_utf8_lossy(message), None);
            if (&stream).write_all(message.as_bytes()).is_err() {
                // The server is gone: the printer sees it, says so and exits.
                let _ = printer.join();
                return Err(io::Error::other("lost the connection to the server").into());
            }
        }
        // Leaving: shut down our sending side (FIN). The server sends what it
        // still has for us (our last message's echo) and closes; the printer
        // prints it, then ends.
        LEFT.store(true, Ordering::SeqCst);
        stream.shutdown(Shutdown::Write)?;
        stream.set_read_timeout(Some(Duration::from_secs(2)))?;
        let _ = printer.join();
        // Python: s.close(). `stream` is dropped here.
        Ok(())
    })
}
// ANCHOR_END: main

// ANCHOR: print_incoming
/// The printer thread: shows each line the server sends, until it closes.
fn print_incoming(mut from_server: impl BufRead) {
    let mut joined = false;
    let ended = loop {
        // A client's line is at most MAX_LINE; the server adds its time.
        match read_line(&mut from_server, MAX_LINE + 1024) {
            Ok(Some(line)) => {
                let shown = show(&line);
                // An error before anything else: our name was refused.
                if !joined && shown.starts_with("[error] ") {
                    break format!("the server refused: {}", &shown[8..]);
                }
                joined = true;
                println!("{shown}");
            }
            Ok(None) if LEFT.load(Ordering::SeqCst) => return,
            Ok(None) => break "the server closed the connection".into(),
            Err(e) => break format!("lost the connection to the server: {e}"),
        }
    };
    // The main thread may be blocked reading stdin, and nothing can wake
    // it: end the whole process from here, with the error convention.
    eprintln!("error: {ended}");
    std::process::exit(1);
}
// ANCHOR_END: print_incoming
