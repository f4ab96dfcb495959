//! The chat tutorial's own programs, `lessons/tutorial/s06_server.py` and
//! `s06_client.py`, paired with this stage's binaries both ways: one check
//! per row of the lesson's table "Their program and ours".
//!
//! Both take each `recv(1024)` as one message and `json.loads` it: that
//! holds only while every message arrives alone. Two lines in one read
//! (粘包) or half a line are `JSONDecodeError`, and the thread that reads
//! dies. Where a pairing breaks, the check proves exactly how. Every check
//! passes, saying so, where `python3` is missing.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use harness::{Check, Fail, Proc, Server, check, connect};
use serde_json::{Value, json};

const SERVER: &str = env!("CARGO_BIN_EXE_chat-server");
const CLIENT: &str = env!("CARGO_BIN_EXE_chat-client");
const THEIR_SERVER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../lessons/tutorial/s06_server.py"
);
const THEIR_CLIENT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../lessons/tutorial/s06_client.py"
);

/// The port of a `HOST:PORT` address: all their client takes.
fn port_of(addr: &str) -> &str {
    addr.rsplit(':').next().unwrap_or(addr)
}

/// A plain socket in the room, reading JSON lines.
struct Peer {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Peer {
    fn connect(addr: &str) -> Result<Peer, Fail> {
        let stream = connect(addr)?;
        let reader = BufReader::new(stream.try_clone()?);
        Ok(Peer { stream, reader })
    }

    fn send(&mut self, lines: &[Value]) -> Check {
        let text: String = lines.iter().map(|v| format!("{v}\n")).collect();
        self.stream.write_all(text.as_bytes())?;
        Ok(())
    }

    /// Skips lines until one whose `msg` contains `text`.
    fn wait_for(&mut self, text: &str) -> Result<Value, Fail> {
        loop {
            let mut line = String::new();
            if self.reader.read_line(&mut line)? == 0 {
                return Err(Fail(format!("the connection closed before {text:?}")));
            }
            let got: Value = serde_json::from_str(&line).unwrap_or_default();
            if got["msg"].as_str().is_some_and(|m| m.contains(text)) {
                return Ok(got);
            }
        }
    }
}

/// Skips stderr lines until one containing `text`, or fails with what came.
fn err_containing(proc: &Proc, text: &str) -> Result<String, Fail> {
    let mut seen = Vec::new();
    loop {
        match proc.err_line() {
            Ok(line) if line.contains(text) => return Ok(line),
            Ok(line) => seen.push(line),
            Err(e) => return Err(Fail(format!("{e}; expected {text:?} after {seen:?}"))),
        }
    }
}

#[test]
fn tutorial_their_client_our_server_breaks_on_two_lines_in_one_recv() -> Check {
    if !harness::python3_available() {
        return Ok(());
    }
    let server = Server::start(SERVER, &["127.0.0.1:0"])?;
    let mut chatty = Peer::connect(server.addr())?;
    chatty.send(&[json!({"name": "chatty", "msg": "hi"})])?;
    chatty.wait_for("hi")?;
    // -u: unbuffered, so each print() reaches the check at once.
    let mut py = Proc::spawn("python3", &["-u", THEIR_CLIENT, port_of(server.addr())])?;
    py.send(b"py\nhello from the tutorial\n")?;
    // Our server reads their line (name, msg and their own time: ignored)
    // and the room passes it on: the server side works.
    chatty.wait_for("py joined")?;
    let got = chatty.wait_for("hello from the tutorial")?;
    check!(
        got["name"] == "py",
        "chat-server reads the tutorial client's JSON line as a message from py; chatty got {got}"
    );
    // A busy room: 21 lines at once. Their recv(1024) returns what has
    // arrived: several lines, or a line and a half, never "one message".
    // Lines that happen to arrive one by one would each parse, so the last
    // is longer than 1,024 bytes: that one cannot come whole in one recv.
    let mut burst: Vec<Value> = (0..20)
        .map(|i| json!({"name": "chatty", "msg": format!("line {i} of a busy room")}))
        .collect();
    burst.push(json!({"name": "chatty", "msg": "and a long one ".repeat(80)}));
    chatty.send(&burst)?;
    let error = err_containing(&py, "JSONDecodeError")?;
    check!(
        error.contains("Extra data")
            || error.contains("Unterminated")
            || error.contains("Expecting"),
        "their receive thread takes one recv(1024) as one JSON message; with lines arriving together it must fail in json.loads; it said {error:?}"
    );
    // Their receiving thread is dead; the main thread still sends.
    py.send_line("anyone there?")?;
    chatty.wait_for("anyone there?")?;
    py.send_line("exit")?;
    py.wait()?.expect_code(0, "their client leaves on `exit`")?;
    Ok(())
}

/// Their server on a port the OS picks, and two chat-clients in its room,
/// each seen joining (their server echoes the `/who` every chat-client
/// sends first, as a message).
fn their_room() -> Result<(Server, Proc, Proc), Fail> {
    let server = Server::start("python3", &["-u", THEIR_SERVER, "0"])?;
    let alice = Proc::spawn(CLIENT, &[server.addr(), "--name", "alice"])?;
    alice.line_containing("alice: /who")?;
    let bob = Proc::spawn(CLIENT, &[server.addr(), "--name", "bob"])?;
    bob.line_containing("bob: /who")?;
    alice.line_containing("bob: /who")?;
    Ok((server, alice, bob))
}

#[test]
fn tutorial_our_client_their_server_works_one_short_line_at_a_time() -> Check {
    if !harness::python3_available() {
        return Ok(());
    }
    let (server, mut alice, bob) = their_room()?;
    alice.send_line("hi bob")?;
    let shown = bob.line_containing("hi bob")?;
    check!(
        shown.ends_with("] alice: hi bob") && shown.starts_with('['),
        "chat-client shows what their server relays as [HH:MM:SS] alice: hi bob (their time, local, cut from \"%Y-%m-%d %H:%M:%S\"); it printed {shown:?}"
    );
    alice.line_containing("alice: hi bob")?;
    server.line_containing("alice: hi bob")?;
    Ok(())
}

#[test]
fn tutorial_our_client_their_server_a_long_line_kills_their_reader() -> Check {
    if !harness::python3_available() {
        return Ok(());
    }
    let (server, mut alice, bob) = their_room()?;
    // 1,500 bytes as one JSON line: their recv(1024) gets the first 1,024.
    let long = "x".repeat(1500);
    alice.send_line(&long)?;
    let error = err_containing(&server, "JSONDecodeError")?;
    check!(
        error.contains("Unterminated") || error.contains("Expecting"),
        "their server takes one recv(1024) as one message; a 1,500-byte line arrives in two reads, and json.loads fails on the first; it said {error:?}"
    );
    // alice's thread on their server died; her connection stays open, and
    // nothing she says reaches anyone any more, without an error.
    alice.send_line("still there?")?;
    let next = bob.line_within(Duration::from_millis(500));
    check!(
        next.is_err(),
        "after their handler thread died, nothing alice sends should reach bob; bob printed {next:?}"
    );
    Ok(())
}
