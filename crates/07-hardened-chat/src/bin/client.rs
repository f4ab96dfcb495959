//! `hardened-chat-client`: a seat in the chat room, that comes back.
//!
//! The tutorial's chat client: a second thread prints whatever the server
//! sends, whenever it comes, while the main thread sends each line typed.
//! Plus a connect timeout, and `--reconnect`: a lost connection is made
//! again, under the same name.

use std::io::{self, BufRead, BufReader, IsTerminal, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use hardened_chat::{DEFAULT_ADDR, MAX_LINE, check_name, json_line, read_line, show};
use kit::{Context, Error};

const HELP: &str = "\
usage: hardened-chat-client [ADDR] [--name NAME] [--connect-timeout SECS] [--reconnect]

Joins a chat-server's room as NAME (read from the first line of stdin when
not given) and sends each line of stdin; prints every message as
[HH:MM:SS] name: message and the server's notices as [HH:MM:SS] * notice
(the server's time, UTC). /who lists who is online; /quit or the end of
the input leaves.

  ADDR                    the server, HOST:PORT (default 127.0.0.1:8889)
  --name NAME             your name in the room: 1 to 32 characters, unique
  --connect-timeout SECS  give up connecting after SECS (default 5)
  --reconnect             when the connection is lost, connect again (after
                          0.5 s, 1, 2, 4, then every 8 s) and rejoin as NAME
  -h, --help

example:
  printf 'bob\\nhello everyone\\n' | hardened-chat-client 127.0.0.1:8889
";

/// Set when we leave, so the printer thread knows the end is ours.
static LEFT: AtomicBool = AtomicBool::new(false);

// ANCHOR: main
fn main() -> ExitCode {
    kit::run(HELP, |cli| {
        let name: Option<String> = cli.value("--name")?;
        let timeout = cli.value("--connect-timeout")?.unwrap_or(5.0);
        let timeout = Duration::try_from_secs_f64(timeout).unwrap_or_default();
        let reconnect = cli.flag("--reconnect");
        let addr = cli.addr(DEFAULT_ADDR)?;
        cli.finish()?;
        if timeout.is_zero() {
            return Err(Error::Usage("--connect-timeout must be above 0".into()));
        }

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
        // The first message binds our name and joins the room: `/who` says
        // nothing to the others, and its answer shows who is here.
        let hello = json_line(&name, "/who", None);
        let join = move || connect(&addr, timeout, &hello);
        let stream = join()?;
        // What the main thread sends through; after reconnecting, the
        // printer puts the new connection there.
        let to_server = Arc::new(Mutex::new(stream.try_clone()?));
        let again = reconnect.then_some((join, to_server.clone(), name.clone()));
        // The server may send at any moment, while this thread waits for a
        // line to be typed: a second thread prints what comes. Python:
        // threading.Thread(target=receive).start()
        let printer = thread::spawn(move || printer(stream, again));
        let stream = || to_server.lock().unwrap_or_else(PoisonError::into_inner);

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
            // With --reconnect, a line typed while the connection is lost is lost.
            if (&*stream()).write_all(message.as_bytes()).is_err() && !reconnect {
                // The server is gone: the printer sees it, says so and exits.
                let _ = printer.join();
                return Err(io::Error::other("lost the connection to the server").into());
            }
        }
        // Leaving: shut down our sending side (FIN). The server sends what it
        // still has for us (our last message's echo) and closes; the printer
        // prints it, then ends (or stops waiting to reconnect).
        LEFT.store(true, Ordering::SeqCst);
        printer.thread().unpark();
        let _ = stream().shutdown(Shutdown::Write);
        stream().set_read_timeout(Some(Duration::from_secs(2)))?;
        let _ = printer.join();
        // Python: s.close(). `stream` is dropped here.
        Ok(())
    })
}
// ANCHOR_END: main

/// Connects to the first of `addr`'s addresses that answers within
/// `timeout`, and says `hello`.
fn connect(addr: &str, timeout: Duration, hello: &str) -> io::Result<TcpStream> {
    let mut tried = Err(io::ErrorKind::NotFound.into());
    for each in addr.to_socket_addrs()? {
        tried = TcpStream::connect_timeout(&each, timeout);
        if tried.is_ok() {
            break;
        }
    }
    let stream = tried.context(format_args!("cannot connect to {addr}"))?;
    (&stream).write_all(hello.as_bytes()).map(|()| stream)
}

/// The printer thread: [`print_incoming`] until the connection ends; then,
/// with `--reconnect` (`again`: how to join, where to send, our name) once
/// we had joined, connects again after a pause that doubles each time.
type Again<F> = Option<(F, Arc<Mutex<TcpStream>>, String)>;
fn printer(mut stream: TcpStream, again: Again<impl Fn() -> io::Result<TcpStream>>) {
    let (mut joined, mut pause) = (false, Duration::from_millis(500));
    while let Some((mut ended, heard)) = print_incoming(BufReader::new(&stream)) {
        if heard {
            (joined, pause) = (true, Duration::from_millis(500));
        }
        // The main thread may be blocked reading stdin, and nothing can wake
        // it: end the whole process from here, with the error convention.
        let Some((join, to_server, name)) = again.as_ref().filter(|_| joined) else {
            eprintln!("error: {ended}");
            std::process::exit(1);
        };
        stream = loop {
            // Each its own: clients that lost one server come back apart.
            let wait = pause.mul_f64(0.8 + f64::from(std::process::id() % 400) / 1000.0);
            eprintln!("{ended}; reconnecting in {:.1} s", wait.as_secs_f64());
            thread::park_timeout(wait);
            pause = (pause * 2).min(Duration::from_secs(8));
            match join().and_then(|s| Ok((s.try_clone()?, s))) {
                _ if LEFT.load(Ordering::SeqCst) => return,
                Ok((stream, clone)) => {
                    *to_server.lock().unwrap_or_else(PoisonError::into_inner) = clone;
                    eprintln!("reconnected; joining again as {name}");
                    break stream;
                }
                Err(e) => ended = e.to_string(),
            }
        };
    }
}

// ANCHOR: print_incoming
/// Shows each line the server sends, until it closes. Returns why it ended
/// and whether anything but a refusal came; `None`: we left.
fn print_incoming(mut from_server: impl BufRead) -> Option<(String, bool)> {
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
            Ok(None) if LEFT.load(Ordering::SeqCst) => return None,
            Ok(None) => break "the server closed the connection".into(),
            Err(e) => break format!("lost the connection to the server: {e}"),
        }
    };
    Some((ended, joined))
}
// ANCHOR_END: print_incoming
