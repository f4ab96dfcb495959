//! Stage 6's checks, every one, against stage 7's binaries and library:
//! the hardened room is still the room. Rungs 9 to 17 here are stage 6's
//! rungs 1 to 9 (`cargo test -p hardened-chat step9`, ...); rungs 1 to 8
//! are the bounds, one function each (`tests/bounds.rs`), and the rungs
//! after 17 the attacks each bound answers (`tests/attacks.rs`).
//!
//! The server checks run the real binaries (the server on port 0) and talk
//! to them over loopback, as a student's own client would: JSON lines on a
//! plain socket, every socket with timeouts.

use std::io::{self, BufRead, BufReader, Cursor, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, SystemTime};

use harness::{Check, Fail, Proc, Server, check, check_eq, connect};
use serde_json::{Value, json};

const SERVER: &str = env!("CARGO_BIN_EXE_hardened-chat-server");
const CLIENT: &str = env!("CARGO_BIN_EXE_hardened-chat-client");

fn start() -> Result<Server, Fail> {
    Server::start(SERVER, &["127.0.0.1:0"])
}

/// A check's own chat client: a socket speaking JSON lines.
struct Peer {
    name: String,
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

/// Whether a failure is "nothing at all came", as opposed to something
/// that came wrong (a line without its `\n`, not JSON).
fn silent(e: &Fail) -> bool {
    e.0.contains("none came")
}

impl Peer {
    /// Connects without saying anything yet (no name bound).
    fn connect(server: &Server, name: &str) -> Result<Peer, Fail> {
        let stream = connect(server.addr())?;
        let reader = BufReader::new(stream.try_clone()?);
        Ok(Peer {
            name: name.to_string(),
            stream,
            reader,
        })
    }

    /// Connects and says hello, which binds the name; returns once the hello
    /// came back, so the peer is surely in the room.
    fn join(server: &Server, name: &str) -> Result<Peer, Fail> {
        let mut peer = Peer::connect(server, name)?;
        peer.say(&format!("hello, I am {name}"))?;
        peer.next_from(name).map_err(|e| {
            let hint = match silent(&e) {
                true => "\n(every accepted message goes to every client that joined, the sender included)",
                false => "",
            };
            Fail(format!("{name} said hello and waited for it to come back: {e}{hint}"))
        })?;
        Ok(peer)
    }

    fn send_raw(&mut self, bytes: &[u8]) -> Check {
        self.stream.write_all(bytes)?;
        Ok(())
    }

    fn say(&mut self, msg: &str) -> Check {
        let name = self.name.clone();
        self.say_as(&name, msg)
    }

    fn say_as(&mut self, name: &str, msg: &str) -> Check {
        let mut line = json!({"name": name, "msg": msg}).to_string();
        line.push('\n');
        self.send_raw(line.as_bytes())
    }

    /// The next line from the server, as JSON.
    fn next(&mut self) -> Result<Value, Fail> {
        let mut line = Vec::new();
        let got = self.reader.read_until(b'\n', &mut line);
        let text = String::from_utf8_lossy(&line);
        match got {
            Ok(0) => Err(Fail(format!(
                "{}'s connection was closed by the server while a line was expected",
                self.name
            ))),
            Ok(_) if !line.ends_with(b"\n") => Err(Fail(format!(
                "{} got {text:?} and then the end of the connection, with no \\n after it: every line the server sends ends with \\n",
                self.name
            ))),
            Ok(_) => serde_json::from_slice(&line).map_err(|e| {
                Fail(format!(
                    "{} got a line that is not JSON ({e}): {text:?}",
                    self.name
                ))
            }),
            Err(e) if timed_out(&e) && !line.is_empty() => Err(Fail(format!(
                "{} got {text:?} and then nothing for {} s: no \\n came after it. Every line the server sends ends with \\n (json + \"\\n\"); without it a client never knows the line is complete",
                self.name,
                harness::TIMEOUT.as_secs()
            ))),
            Err(e) if timed_out(&e) => Err(Fail(format!(
                "{} waited {} s for a line from the server and none came",
                self.name,
                harness::TIMEOUT.as_secs()
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// The next chat message (notices from `server` skipped).
    fn next_chat(&mut self) -> Result<Value, Fail> {
        loop {
            let got = self.next()?;
            if got["name"] != "server" {
                return Ok(got);
            }
        }
    }

    /// Skips lines until a message from `name`; returns it.
    fn next_from(&mut self, name: &str) -> Result<Value, Fail> {
        let mut seen = Vec::new();
        loop {
            let got = self
                .next()
                .map_err(|e| Fail(format!("{e}; before that it got {seen:?}")))?;
            if got["name"] == name {
                return Ok(got);
            }
            seen.push(got);
        }
    }

    /// Skips lines until a `server` notice containing `text`; returns it.
    fn notice(&mut self, text: &str) -> Result<String, Fail> {
        let mut seen = Vec::new();
        loop {
            let got = self.next().map_err(|e| {
                Fail(format!(
                    "waiting for a notice from \"server\" containing {text:?}: {e}; before that it got {seen:?}"
                ))
            })?;
            if got["name"] == "server" && msg(&got).contains(text) {
                return Ok(msg(&got).to_string());
            }
            seen.push(got);
        }
    }

    /// The next line must be `{"error": ...}`; returns the error text.
    fn expect_error(&mut self, after: &str) -> Result<String, Fail> {
        let got = self.next().map_err(|e| {
            Fail(format!(
                "after {after}, expected {{\"error\": ...}} back: {e}"
            ))
        })?;
        match got["error"].as_str() {
            Some(text) if !text.is_empty() => Ok(text.to_string()),
            _ => Err(Fail(format!(
                "after {after}, the sender must get {{\"error\": \"<what was wrong>\"}} and nothing else; it got {got}"
            ))),
        }
    }

    /// Reads until the server closes this connection; returns what came.
    fn expect_closed(&mut self, why: &str) -> Result<Vec<u8>, Fail> {
        let mut rest = Vec::new();
        loop {
            let mut buf = [0u8; 64 * 1024];
            match self.reader.read(&mut buf) {
                Ok(0) => return Ok(rest),
                Ok(n) => rest.extend_from_slice(&buf[..n]),
                // A reset is closed too.
                Err(e) if e.kind() == ErrorKind::ConnectionReset => return Ok(rest),
                Err(e) if timed_out(&e) => {
                    return Err(Fail(format!(
                        "{why}: {}'s connection should have been closed, but it was still open after {} s",
                        self.name,
                        harness::TIMEOUT.as_secs()
                    )));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}

fn timed_out(e: &io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

fn msg(v: &Value) -> &str {
    v["msg"].as_str().unwrap_or("")
}

/// Checks `time` looks like `2026-11-22T12:34:56.789Z`.
fn check_time_shape(time: &Value) -> Check {
    let text = time.as_str().unwrap_or("");
    let shape: String = text
        .chars()
        .map(|c| if c.is_ascii_digit() { 'd' } else { c })
        .collect();
    check_eq!(
        shape,
        "dddd-dd-ddTdd:dd:dd.dddZ",
        "\"time\" is RFC 3339 in UTC with milliseconds, like 2026-11-22T12:34:56.789Z (kit::rfc3339); the server sent {time}"
    );
    Ok(())
}

/// What `bystander` gets next must be its own `marker`: nothing was broadcast
/// before it. `offender` must still be in the room and get it too.
fn nothing_broadcast(bystander: &mut Peer, offender: &mut Peer, what: &str) -> Check {
    let marker = format!("after {what}");
    bystander.say(&marker)?;
    let got = bystander.next()?;
    check!(
        got["name"] == bystander.name.as_str() && msg(&got) == marker,
        "after {what} from another client, a bystander's next line should be its own next message; it got {got}\n(a refused line, like the answer to /who, goes to its sender alone; nothing is broadcast)"
    );
    let got = offender.next().map_err(|e| {
        Fail(format!(
            "{e}\n(after {what} the offender stays connected and, once joined, hears the room)"
        ))
    })?;
    check_eq!(
        msg(&got),
        marker,
        "after {what}, the offender is still in the room and hears the next message"
    );
    Ok(())
}

// ---------------------------------------------------------------- rung 1

/// Reads every line `read_line` gives from `input`, up to the first error.
fn lines_of(input: &[u8], max: usize) -> (Vec<Vec<u8>>, io::Result<Option<Vec<u8>>>) {
    let mut reader = Cursor::new(input);
    let mut lines = Vec::new();
    loop {
        match hardened_chat::read_line(&mut reader, max) {
            Ok(Some(line)) => lines.push(line),
            end => return (lines, end),
        }
    }
}

#[test]
fn step9_read_line_returns_each_line_without_its_end() -> Check {
    let (lines, end) = lines_of(b"hi\nthere\r\n\nlast\n", 100);
    check_eq!(
        lines,
        vec![
            b"hi".to_vec(),
            b"there".to_vec(),
            b"".to_vec(),
            b"last".to_vec()
        ],
        "read_line returns each line without its \\n or \\r\\n (an empty line is Some(empty), not the end)"
    );
    check!(
        matches!(end, Ok(None)),
        "after the last line, a stream that ends cleanly is Ok(None); got {end:?}"
    );
    Ok(())
}

#[test]
fn step9_read_line_the_limit_does_not_count_the_line_end() -> Check {
    let max = 10;
    for (input, ok, what) in [
        (&b"0123456789\n"[..], true, "10 bytes and \\n"),
        (b"0123456789\r\n", true, "10 bytes and \\r\\n"),
        (b"0123456789a\n", false, "11 bytes and \\n"),
        (b"0123456789ab", false, "12 bytes and no end yet"),
    ] {
        let (lines, end) = lines_of(input, max);
        match (ok, end) {
            (true, Ok(None)) if lines == [b"0123456789".to_vec()] => {}
            (false, Err(e)) if e.kind() == ErrorKind::InvalidData => {}
            (_, end) => {
                return Err(Fail(format!(
                    "read_line with max {max}: {what} should be {}; got lines {lines:?}, then {end:?}\n(the limit counts the line, not its \\n or \\r\\n: take(max + 2) leaves room for both; too long is ErrorKind::InvalidData)",
                    if ok { "one line" } else { "InvalidData" }
                )));
            }
        }
    }
    Ok(())
}

/// A reader that serves `left` bytes of `a`, then `\n`, in pieces of 100
/// bytes, and counts what its reader took.
struct Counting {
    left: usize,
    newline: bool,
    taken: usize,
}

impl BufRead for Counting {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        const A: [u8; 100] = [b'a'; 100];
        Ok(match (self.left, self.newline) {
            (0, true) => b"\n",
            (0, false) => b"",
            (left, _) => &A[..left.min(100)],
        })
    }

    fn consume(&mut self, n: usize) {
        self.taken += n;
        match self.left {
            0 => self.newline &= n == 0,
            _ => self.left -= n,
        }
    }
}

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let data = self.fill_buf()?;
        let n = data.len().min(buf.len());
        buf[..n].copy_from_slice(&data[..n]);
        self.consume(n);
        Ok(n)
    }
}

#[test]
fn step9_read_line_refuses_a_long_line_while_reading_it() -> Check {
    // 1 MiB with no newline yet, and a limit of 1,000 bytes: a read_line
    // that reads the whole line and checks its length afterwards would take
    // all of it first; from a peer that never sends a newline, without end.
    let max = 1000;
    let mut source = Counting {
        left: 1024 * 1024,
        newline: true,
        taken: 0,
    };
    let got = hardened_chat::read_line(&mut source, max);
    check!(
        matches!(&got, Err(e) if e.kind() == ErrorKind::InvalidData),
        "a line over the limit is ErrorKind::InvalidData; got {:?}",
        got.map(|l| l.map(|l| l.len()))
    );
    check!(
        source.taken <= max + 2,
        "read_line(max = {max}) read {} bytes of a line before refusing it: the bound must stop the reading (Read::take(max + 2) before read_until), not be checked once the line is complete; a peer that never sends a newline would fill the server's memory",
        source.taken
    );
    Ok(())
}

#[test]
fn step9_read_line_a_stream_cut_in_a_line_is_unexpected_eof() -> Check {
    let (lines, end) = lines_of(b"whole\nhalf a li", 100);
    check_eq!(lines, vec![b"whole".to_vec()], "the whole line comes first");
    check!(
        matches!(&end, Err(e) if e.kind() == ErrorKind::UnexpectedEof),
        "a stream that ends in the middle of a line is ErrorKind::UnexpectedEof (the line is not a message: its end never came); got {end:?}"
    );
    Ok(())
}

#[test]
fn step9_help_and_bad_command_lines() -> Check {
    let help = harness::run(SERVER, &["--help"], b"")?;
    help.expect_code(0, "--help prints the usage and exits 0")?;
    for args in [
        &["not-an-address"][..],
        &["--nope"],
        &["127.0.0.1:0", "extra"],
        &["--queue", "0"],
        &["--queue", "many"],
    ] {
        let bad = harness::run(SERVER, args, b"")?;
        bad.expect_code(2, &format!("a bad command line {args:?} exits 2"))?;
    }
    Ok(())
}

#[test]
fn step9_a_port_in_use_is_one_clear_error() -> Check {
    let taken = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = taken.local_addr()?.to_string();
    let done = harness::run(SERVER, &[&addr], b"")?;
    done.expect_code(1, "a port in use is a run-time error: exit 1")?;
    done.expect_one_error_line()
}

// ---------------------------------------------------------------- rung 2

#[test]
fn step10_a_message_is_read_from_a_json_object() -> Check {
    let got = hardened_chat::parse_message(br#"{"name": "alice", "msg": "hi", "time": "12:00"}"#);
    match got {
        Ok(m) => {
            check_eq!(
                (m.name.as_str(), m.msg.as_str()),
                ("alice", "hi"),
                "parse_message reads name and msg"
            );
            check!(
                m.time.is_none(),
                "a client's \"time\" is ignored (the server stamps its own); parse_message kept {:?}",
                m.time
            );
        }
        Err(e) => return Err(Fail(format!("a good message was refused: {e}"))),
    }
    for bad in [
        &b"hello"[..],
        br#"["alice", "hi"]"#,
        br#"{"name": "alice"}"#,
        br#"{"name": "alice", "msg": 42}"#,
        b"{\"name\": \"a\", \"msg\": \"\xff\"}",
    ] {
        check!(
            hardened_chat::parse_message(bad).is_err(),
            "parse_message must refuse {:?} (the protocol is one JSON object with string fields name and msg)",
            String::from_utf8_lossy(bad)
        );
    }
    Ok(())
}

#[test]
fn step10_a_message_is_written_as_one_json_line() -> Check {
    let line = hardened_chat::json_line("alice", "a \"quoted\"\nword", Some("T".into()));
    check!(
        line.ends_with('\n') && line.matches('\n').count() == 1,
        "json_line writes one line ending in \\n (a \\n inside the message is escaped by JSON); it wrote {line:?}"
    );
    let v: Value = serde_json::from_str(&line).map_err(|e| Fail(format!("{e}: {line:?}")))?;
    check_eq!(
        v,
        json!({"name": "alice", "msg": "a \"quoted\"\nword", "time": "T"}),
        "json_line writes name, msg and time"
    );
    let client = hardened_chat::json_line("bob", "hi", None);
    check_eq!(
        client,
        "{\"name\":\"bob\",\"msg\":\"hi\"}\n",
        "without a time, a client's line has only name and msg"
    );
    let error: Value = serde_json::from_str(&hardened_chat::error_line("bad \"x\""))
        .map_err(|e| Fail(format!("error_line is not JSON: {e}")))?;
    check_eq!(
        error,
        json!({"error": "bad \"x\""}),
        "error_line is {{\"error\": why}}"
    );
    Ok(())
}

#[test]
fn step10_check_name_follows_the_rules() -> Check {
    let too_long = "n".repeat(33);
    for (name, rule) in [
        ("", "a name has at least 1 character"),
        (too_long.as_str(), "a name has at most 32 characters"),
        ("server", "\"server\" is reserved for the server's notices"),
        ("SeRvEr", "\"server\" is reserved in any case"),
        ("ev\u{1b}[2Jil", "no control characters (escape)"),
        ("two\nlines", "no control characters (newline)"),
        ("tab\there", "no control characters (tab)"),
        (" alice", "no space at either end (it would pass for alice)"),
        (
            "alice\u{3000}",
            "no space at either end, ideographic space included",
        ),
        (
            "server\u{200b}",
            "no zero-width space: it would pass for server",
        ),
        ("serv\u{ad}er", "no soft hyphen: it would pass for server"),
        (
            "ali\u{202e}ce",
            "no bidi override: it turns the rest of the line around",
        ),
        ("bob\u{2066}", "no bidi isolate"),
        ("a\u{2028}b", "no line separator"),
        ("\u{feff}bob", "no byte order mark"),
        ("bo\u{200d}b", "no zero-width joiner"),
        ("b\u{34f}ob", "no combining grapheme joiner (draws nothing)"),
        ("\u{3164}", "no Hangul filler (draws nothing)"),
        ("bob\u{fe0f}", "no variation selector"),
        ("bob\u{e0041}", "no tag characters"),
        ("x\u{600}y", "no Arabic number sign (a format character)"),
    ] {
        check!(
            hardened_chat::check_name(name).is_err(),
            "check_name({name:?}) must refuse it: {rule}"
        );
    }
    let wide = "你".repeat(32);
    for name in [
        "alice",
        "Zoë",
        "李雷",
        "* bob",
        "alice: hi",
        "o'brien",
        wide.as_str(),
    ] {
        check!(
            hardened_chat::check_name(name).is_ok(),
            "check_name({name:?}) should accept it: 1 to 32 characters (count chars(), not bytes), nothing invisible; got {:?}",
            hardened_chat::check_name(name)
        );
    }
    Ok(())
}

// ---------------------------------------------------------------- rung 3

#[test]
fn step11_listens_and_prints_the_address_it_bound() -> Check {
    let server = start()?;
    check!(
        server.addr().starts_with("127.0.0.1:"),
        "the server was asked to listen on 127.0.0.1:0 but says {}",
        server.addr()
    );
    connect(server.addr())?;
    Ok(())
}

#[test]
fn step11_a_message_comes_back_to_its_sender_stamped_with_the_servers_time() -> Check {
    let server = start()?;
    let mut alice = Peer::connect(&server, "alice")?;
    let before = kit::rfc3339(SystemTime::now());
    // A `time` from the client is ignored: the server stamps its own.
    let theirs = "1999-12-31T23:59:59.999Z";
    alice.send_raw(
        format!("{{\"name\": \"alice\", \"msg\": \"hi\", \"time\": \"{theirs}\"}}\n").as_bytes(),
    )?;
    let got = alice.next_from("alice").map_err(|e| {
        let hint = match silent(&e) {
            true => "\n(the sender is in the room too: broadcast to every client that joined, the sender included)",
            false => "",
        };
        Fail(format!("{e}{hint}"))
    })?;
    let after = kit::rfc3339(SystemTime::now());
    check_eq!(msg(&got), "hi", "the message comes back as it was sent");
    let time = got["time"].as_str().unwrap_or("");
    check!(
        time != theirs,
        "the server passed on the client's own \"time\" ({theirs}): the time is the server's. Ignore the client's and stamp each message with kit::rfc3339(SystemTime::now()) when it arrives"
    );
    check_time_shape(&got["time"])?;
    check!(
        before.as_str() <= time && time <= after.as_str(),
        "\"time\" is the server's time when it received the message: between {before} and {after}, but it was {time}"
    );
    let fields: Vec<&String> = got
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    check_eq!(
        fields,
        vec!["msg", "name", "time"],
        "a message from the server has exactly the fields name, msg and time"
    );
    Ok(())
}

#[test]
fn step11_every_line_the_server_sends_ends_with_a_newline() -> Check {
    let server = start()?;
    let mut alice = Peer::connect(&server, "alice")?;
    alice.say("one")?;
    alice.say("two")?;
    // The join notice and the two messages: three lines, each with its \n.
    for i in 0..3 {
        alice
            .next()
            .map_err(|e| Fail(format!("line {} of 3 (alice joined, one, two): {e}", i + 1)))?;
    }
    Ok(())
}

#[test]
fn step11_lines_may_come_split_joined_or_with_crlf() -> Check {
    let server = start()?;
    let mut alice = Peer::connect(&server, "alice")?;
    // One line in three writes, then two lines in one write, one with \r\n.
    alice.send_raw(b"{\"name\": \"al")?;
    thread::sleep(Duration::from_millis(20));
    alice.send_raw(b"ice\", \"msg\": \"split ")?;
    thread::sleep(Duration::from_millis(20));
    alice.send_raw(b"in three\"}\n")?;
    alice.send_raw(b"{\"name\": \"alice\", \"msg\": \"crlf\"}\r\n{\"name\": \"alice\", \"msg\": \"\xe4\xbd\xa0\xe5\xa5\xbd\"}\n")?;
    for want in ["split in three", "crlf", "你好"] {
        let got = alice.next_chat().map_err(|e| {
            Fail(format!(
                "{e}\n(TCP delivers bytes, not messages: read lines with read_line on a BufReader; a line may take several reads and one read may hold several lines)"
            ))
        })?;
        check_eq!(msg(&got), want, "each line is one message, in order");
    }
    Ok(())
}

#[test]
fn step11_quit_ends_the_connection_on_the_server() -> Check {
    // The server's own /quit, on a plain socket: chat-client never sends
    // it, it just closes, so only a raw client shows the server's side.
    let server = start()?;
    let mut alice = Peer::join(&server, "alice")?;
    alice.say("/quit")?;
    let rest = alice
        .expect_closed("after {\"msg\": \"/quit\"}")
        .map_err(|e| {
            Fail(format!(
                "{e}\n(a message \"/quit\" ends the conversation: return from converse, leave the room, and the connection is closed)"
            ))
        })?;
    check!(
        !String::from_utf8_lossy(&rest).contains("/quit"),
        "\"/quit\" is not a message for the room: it must not be broadcast; alice got {:?}",
        String::from_utf8_lossy(&rest)
    );
    server.line_containing("/quit")?;
    Ok(())
}

// ---------------------------------------------------------------- rung 4

#[test]
fn step12_two_clients_see_each_others_messages() -> Check {
    let server = start()?;
    let mut alice = Peer::join(&server, "alice")?;
    let mut bob = Peer::join(&server, "bob")?;
    alice.say("hi bob")?;
    for peer in [&mut alice, &mut bob] {
        let got = peer.next_from("alice")?;
        check_eq!(msg(&got), "hi bob", "{} hears alice", peer.name);
    }
    bob.say("hi alice")?;
    for peer in [&mut alice, &mut bob] {
        let got = peer.next_from("bob")?;
        check_eq!(msg(&got), "hi alice", "{} hears bob", peer.name);
    }
    Ok(())
}

#[test]
fn step12_joins_and_leaves_are_announced_by_server() -> Check {
    let server = start()?;
    let mut alice = Peer::join(&server, "alice")?;
    let bob = Peer::join(&server, "bob")?;
    let joined = alice.next()?;
    check!(
        joined["name"] == "server"
            && msg(&joined).contains("bob")
            && msg(&joined).contains("joined"),
        "when bob's first message binds his name, everyone gets a notice from \"server\" like \"bob joined\", before bob's message; alice got {joined}"
    );
    check_time_shape(&joined["time"])?;
    let hello = alice.next()?;
    check_eq!(
        hello["name"],
        "bob",
        "after the join notice comes bob's first message"
    );
    drop(bob);
    let left = alice.next().map_err(|e| {
        Fail(format!(
            "{e}\n(when a client with a name closes, everyone gets a notice like \"bob left\")"
        ))
    })?;
    check!(
        left["name"] == "server" && msg(&left).contains("bob") && msg(&left).contains("left"),
        "when bob closes his connection, everyone gets a notice from \"server\" like \"bob left\"; alice got {left}"
    );
    // A client that never spoke never joined: no notice when it leaves.
    let lurker = Peer::connect(&server, "lurker")?;
    let lurker_addr = lurker.stream.local_addr()?;
    drop(lurker);
    server.line_containing(&format!("{lurker_addr}: closed"))?;
    alice.say("just me")?;
    let got = alice.next()?;
    check_eq!(
        msg(&got),
        "just me",
        "a client that never sent a message never joined, so its leaving is not announced"
    );
    Ok(())
}

#[test]
fn step12_quit_is_announced_as_leaving() -> Check {
    let server = start()?;
    let mut alice = Peer::join(&server, "alice")?;
    let mut bob = Peer::join(&server, "bob")?;
    alice.next_from("bob")?;
    bob.say("/quit")?;
    let left = alice.next()?;
    check!(
        left["name"] == "server" && msg(&left).contains("bob left"),
        "after bob sends /quit, the next thing alice hears is the notice \"bob left\" (/quit itself is not broadcast); she got {left}"
    );
    bob.expect_closed("after /quit")?;
    Ok(())
}

#[test]
fn step12_a_connection_hears_nothing_until_its_first_message_binds_its_name() -> Check {
    let server = start()?;
    let mut alice = Peer::join(&server, "alice")?;
    let mut lurker = Peer::connect(&server, "lurker")?;
    // Its error back: it is surely in the room, with no name yet.
    lurker.send_raw(b"not json\n")?;
    lurker.expect_error("a line that is not JSON")?;
    // The room passes this on while the lurker is connected, unnamed.
    alice.say("said before the lurker joined")?;
    alice.next_from("alice")?;
    // The lurker's only answer to a bad line is the error.
    lurker.send_raw(b"still not json\n")?;
    let first = lurker.next()?;
    check!(
        first["error"].is_string(),
        "a connection hears the room only once its first message has bound its name; before that it gets nothing but the answers to its own lines. The lurker's first line should be the error for its bad line, but it was {first}\n(broadcast only to clients that have a name)"
    );
    lurker.say("hello")?;
    let joined = lurker.next()?;
    check!(
        joined["name"] == "server" && msg(&joined).contains("lurker joined"),
        "once its first message binds its name, the lurker's first line is the notice \"lurker joined\"; it got {joined}"
    );
    check_eq!(msg(&lurker.next()?), "hello", "then its own message");
    alice.say("welcome")?;
    check_eq!(
        msg(&lurker.next_from("alice")?),
        "welcome",
        "once joined, it hears the room"
    );
    Ok(())
}

// ---------------------------------------------------------------- rung 5

#[test]
fn step13_not_json_is_refused_to_the_sender_alone() -> Check {
    let server = start()?;
    let mut alice = Peer::join(&server, "alice")?;
    let mut bad = Peer::join(&server, "bad")?;
    alice.next_from("bad")?;
    for line in [
        &b"hello everyone\n"[..],
        b"{\"name\": \"bad\", \"msg\": \"unterminated\n",
        b"{\"name\": \"bad\", \"msg\": \"\xff\xfe not UTF-8\"}\n",
    ] {
        bad.send_raw(line)?;
        let what = format!(
            "a line that is not JSON ({:?})",
            String::from_utf8_lossy(line)
        );
        bad.expect_error(&what)?;
        nothing_broadcast(&mut alice, &mut bad, &what)?;
    }
    Ok(())
}

#[test]
fn step13_missing_or_mistyped_fields_are_refused() -> Check {
    let server = start()?;
    let mut alice = Peer::join(&server, "alice")?;
    let mut bad = Peer::join(&server, "bad")?;
    alice.next_from("bad")?;
    for line in [
        r#"{"name": "bad"}"#,
        r#"{"msg": "who am I"}"#,
        r#"{"name": "bad", "msg": 42}"#,
        r#"{"name": null, "msg": "x"}"#,
        r#"{"name": ["bad"], "msg": "x"}"#,
        r#"["bad", "hi"]"#,
        r#""just a string""#,
    ] {
        bad.send_raw(format!("{line}\n").as_bytes())?;
        let what = format!("the line {line}");
        let error = bad.expect_error(&what)?;
        check!(
            error.len() > 10,
            "the error says what was wrong (a missing field, a wrong type); for {line} it was {error:?}"
        );
        nothing_broadcast(&mut alice, &mut bad, &what)?;
    }
    Ok(())
}

#[test]
fn step13_names_are_checked_by_the_server() -> Check {
    let server = start()?;
    let mut alice = Peer::join(&server, "alice")?;
    let mut bad = Peer::connect(&server, "bad")?;
    for (name, rule) in [
        ("", "a name has at least 1 character"),
        ("Server", "\"Server\" would pass for the server"),
        (
            "server\u{200b}",
            "a zero-width space would pass for the server",
        ),
        ("serv\u{ad}er", "a soft hyphen would pass for the server"),
        (
            "ali\u{202e}ce",
            "a bidi override turns the rest of the line around",
        ),
        (" alice", "no space at either end (it would pass for alice)"),
    ] {
        bad.say_as(name, "hi")?;
        let what = format!("a message with the name {name:?} ({rule})");
        bad.expect_error(&what)?;
    }
    // Refused, it never joined: nothing it sent reached alice.
    alice.say("still alone")?;
    check_eq!(
        msg(&alice.next()?),
        "still alone",
        "a refused name joins nothing: nobody hears about it"
    );
    let wide = "你".repeat(32);
    bad.say_as(&wide, "made it")?;
    let got = alice.next_from(&wide).map_err(|e| {
        Fail(format!(
            "{e}\n(a name of 32 characters is allowed: count characters (chars()), not bytes)"
        ))
    })?;
    check_eq!(msg(&got), "made it", "the message with a 32-character name");
    Ok(())
}

#[test]
fn step13_a_connection_cannot_change_its_name() -> Check {
    let server = start()?;
    let mut alice = Peer::join(&server, "alice")?;
    let mut mallory = Peer::join(&server, "mallory")?;
    alice.next_from("mallory")?;
    for fake in ["alice", "bob"] {
        mallory.say_as(fake, "trust me")?;
        let what = format!("mallory's connection sending as {fake:?}");
        let error = mallory.expect_error(&what).map_err(|e| {
            Fail(format!(
                "{e}\n(the first message binds a connection's name; a later message with another name is refused: otherwise anyone can impersonate anyone)"
            ))
        })?;
        check!(
            error.contains("mallory") || error.contains(fake),
            "the error should say which name this connection has; it was {error:?}"
        );
        nothing_broadcast(&mut alice, &mut mallory, &what)?;
    }
    Ok(())
}

#[test]
fn step13_a_name_in_use_is_refused_ignoring_case_and_invisible_characters() -> Check {
    let server = start()?;
    let mut observer = Peer::join(&server, "observer")?;
    let mut other = Peer::connect(&server, "other")?;
    for copy in ["observer", "Observer", "OBSERVER", "observer\u{200b}"] {
        other.say_as(copy, "I am observer too")?;
        other
            .expect_error(&format!(
                "a second client choosing the name {copy:?} while observer is connected"
            ))
            .map_err(|e| {
                Fail(format!(
                    "{e}\n(names are unique among connected clients, ignoring case (compare to_lowercase()): on screen `Observer` passes for `observer`)"
                ))
            })?;
    }
    observer.say("still the only one")?;
    check_eq!(
        msg(&observer.next()?),
        "still the only one",
        "refused names are not announced"
    );
    // The refused client may pick another name; once observer leaves, the
    // name is free again.
    other.say_as("observer2", "then observer2")?;
    observer.next_from("observer2")?;
    drop(observer);
    other.notice("observer left")?;
    let mut again = Peer::connect(&server, "Observer")?;
    again.say("the name is free again")?;
    let got = again.next_from("Observer").map_err(|e| {
        Fail(format!(
            "{e}\n(when a client leaves, its name is free again: take it out of the room)"
        ))
    })?;
    check_eq!(
        msg(&got),
        "the name is free again",
        "a freed name can be used"
    );
    Ok(())
}

#[test]
fn step13_a_line_over_64_kib_is_refused_and_closed() -> Check {
    let server = start()?;
    let mut alice = Peer::join(&server, "alice")?;
    let mut big = Peer::join(&server, "big")?;
    alice.next_from("big")?;
    // Exactly 64 KiB before the newline: allowed.
    let head = r#"{"name": "big", "msg": ""#;
    let fill = 64 * 1024 - head.len() - 2;
    let line = format!("{head}{}\"}}\n", "a".repeat(fill));
    check_eq!(line.len(), 64 * 1024 + 1, "the check's own arithmetic");
    big.send_raw(line.as_bytes())?;
    let got = alice.next_from("big").map_err(|e| {
        Fail(format!(
            "{e}\n(a line of exactly 65536 bytes plus its newline is within the limit)"
        ))
    })?;
    check_eq!(msg(&got).len(), fill, "the 64 KiB message arrives whole");
    big.next_from("big")?;
    // One byte more: refused, and the connection closed.
    let line = format!("{head}{}\"}}\n", "a".repeat(fill + 1));
    let _ = big.stream.write_all(line.as_bytes());
    let error = big.expect_error("a line of 65537 bytes").map_err(|e| {
        Fail(format!(
            "{e}\n(read_line(reader, 64 * 1024) refuses a longer line; tell the client, then close)"
        ))
    })?;
    check!(
        error.contains("long") || error.contains("over") || error.contains("65536"),
        "the error should say the line was too long; it was {error:?}"
    );
    let rest = big.expect_closed("after a line over the limit")?;
    check!(
        !String::from_utf8_lossy(&rest).contains("aaaa"),
        "the long line must not be passed on to its sender"
    );
    let left = alice.next()?;
    check!(
        left["name"] == "server",
        "nothing of the long line is broadcast; the next thing alice hears is big leaving, but she got {left}"
    );
    alice.say("still here")?;
    check_eq!(msg(&alice.next()?), "still here", "the room goes on");
    Ok(())
}

#[test]
fn step13_a_line_that_never_ends_is_refused_while_it_is_read() -> Check {
    let server = start()?;
    let mut endless = Peer::join(&server, "endless")?;
    // 64 KiB + 1 MiB and no newline, the connection left open: a server
    // that reads a whole line before checking its length would wait for the
    // newline for ever (and store whatever comes meanwhile).
    let mut writer = endless.stream.try_clone()?;
    let sending = thread::spawn(move || {
        let chunk = [b'a'; 16 * 1024];
        let mut sent = 0usize;
        while sent < (64 + 1024) * 1024 && writer.write_all(&chunk).is_ok() {
            sent += chunk.len();
        }
        sent
    });
    endless
        .expect_error("64 KiB + 1 MiB without a newline, the connection still open")
        .map_err(|e| {
            Fail(format!(
                "{e}\n(the limit must stop the reading: take(MAX_LINE + 2) before read_until, so the server refuses after 64 KiB, not once a newline comes)"
            ))
        })?;
    endless.expect_closed("after a line over the limit")?;
    let _ = sending.join();
    Ok(())
}

#[test]
fn step13_deeply_nested_json_does_not_crash_the_server() -> Check {
    let server = start()?;
    let mut alice = Peer::join(&server, "alice")?;
    let mut deep = Peer::join(&server, "deep")?;
    alice.next_from("deep")?;
    let nest = 30_000;
    let hint = "30,000 nested brackets in one line: the server must answer, not overflow its stack (serde_json stops at 128 levels)";
    let (open, close) = ("[".repeat(nest), "]".repeat(nest));
    deep.send_raw(format!("{{\"name\": \"deep\", \"msg\": {open}{close}}}\n").as_bytes())?;
    deep.expect_error("nested arrays where \"msg\" should be a string")
        .map_err(|e| Fail(format!("{e}\n({hint})")))?;
    // In a field the server does not know, any value is ignored.
    deep.send_raw(
        format!("{{\"name\": \"deep\", \"msg\": \"x\", \"extra\": {open}{close}}}\n").as_bytes(),
    )?;
    let got = deep
        .next_from("deep")
        .map_err(|e| Fail(format!("{e}\n({hint}; an unknown field is ignored)")))?;
    check_eq!(
        msg(&got),
        "x",
        "the message with an extra field is passed on"
    );
    alice.say("still up")?;
    check_eq!(msg(&alice.next_chat()?), "x", "alice hears deep");
    check_eq!(
        msg(&alice.next_chat()?),
        "still up",
        "the server is still up"
    );
    Ok(())
}

// ---------------------------------------------------------------- rung 6

#[test]
fn step14_everyone_sees_every_message_in_the_same_order() -> Check {
    const CLIENTS: usize = 10;
    const SENDERS: usize = 3;
    const EACH: usize = 50;
    let server = start()?;
    let mut peers = Vec::new();
    for i in 0..CLIENTS {
        peers.push(Peer::join(&server, &format!("p{i}"))?);
    }
    // Everyone has heard everything up to the last join.
    let last = format!("p{}", CLIENTS - 1);
    for peer in &mut peers {
        if peer.name != last {
            peer.next_from(&last)?;
        }
    }
    let go = Arc::new(Barrier::new(CLIENTS));
    let threads: Vec<_> = peers
        .into_iter()
        .enumerate()
        .map(|(i, mut peer)| {
            let go = go.clone();
            thread::spawn(move || -> Result<Vec<String>, Fail> {
                go.wait();
                if i < SENDERS {
                    for j in 0..EACH {
                        peer.say(&format!("s{i} m{j}"))?;
                    }
                }
                let mut heard = Vec::new();
                while heard.len() < SENDERS * EACH {
                    let got = peer.next().map_err(|e| {
                        Fail(format!(
                            "{e} (after hearing {} of the {} messages)",
                            heard.len(),
                            SENDERS * EACH
                        ))
                    })?;
                    if got["name"] != "server" {
                        heard.push(format!(
                            "{}: {}",
                            got["name"].as_str().unwrap_or("?"),
                            msg(&got)
                        ));
                    }
                }
                Ok(heard)
            })
        })
        .collect();
    let mut all = Vec::new();
    for (i, t) in threads.into_iter().enumerate() {
        let heard = t
            .join()
            .map_err(|_| Fail::new("a thread of the check panicked"))?
            .map_err(|e| Fail(format!("client p{i}: {e}")))?;
        all.push(heard);
    }
    for i in 0..SENDERS {
        let own: Vec<&String> = all[0]
            .iter()
            .filter(|l| l.starts_with(&format!("p{i}:")))
            .collect();
        let want: Vec<String> = (0..EACH).map(|j| format!("p{i}: s{i} m{j}")).collect();
        check!(
            own.iter()
                .map(|s| s.as_str())
                .eq(want.iter().map(|s| s.as_str())),
            "each sender's messages arrive in the order it sent them, each once; from p{i}, p0 heard {own:?}"
        );
    }
    for (i, heard) in all.iter().enumerate().skip(1) {
        if let Some(at) = (0..heard.len()).find(|&k| heard[k] != all[0][k]) {
            return Err(Fail(format!(
                "p{i} and p0 heard the messages in different orders: at position {at}, p0 heard {:?} but p{i} heard {:?}\n(stamp and queue each message for everyone while holding the room's lock: then the order of the lock is the order everyone sees)",
                all[0][at], heard[at]
            )));
        }
    }
    Ok(())
}

#[test]
fn step14_who_answers_the_sender_alone() -> Check {
    let server = start()?;
    let mut alice = Peer::join(&server, "alice")?;
    let mut bob = Peer::join(&server, "bob")?;
    let mut lurker = Peer::connect(&server, "lurker")?;
    // Its error back: it is surely in the room, with no name yet.
    lurker.send_raw(b"not json\n")?;
    lurker.expect_error("a line that is not JSON")?;
    alice.next_from("bob")?;
    bob.say("/who")?;
    let got = bob.next().map_err(|e| {
        Fail(format!(
            "{e}\n(a message \"/who\" is answered to its sender with the names online)"
        ))
    })?;
    let mut names: Vec<&str> = msg(&got)
        .strip_prefix("online: ")
        .unwrap_or("")
        .split(", ")
        .collect();
    names.sort();
    check!(
        got["name"] == "server" && names == ["alice", "bob"],
        "/who is answered by \"server\" with \"online: \" and the names of the clients that joined, alice and bob (a connection that has not spoken has no name yet, and is not listed); bob got {got}"
    );
    check_time_shape(&got["time"])?;
    nothing_broadcast(&mut alice, &mut bob, "/who")?;
    // A first message "/who" joins too: the lurker is in its own answer.
    lurker.say("/who")?;
    lurker.notice("lurker joined")?;
    let got = lurker.next()?;
    check!(
        got["name"] == "server" && msg(&got).contains("lurker"),
        "a first message /who binds the name (so chat-client joins without saying anything), and the answer lists the new name too; the lurker got {got}"
    );
    Ok(())
}

// ---------------------------------------------------------------- rung 7

#[test]
fn step15_a_client_that_stops_reading_is_disconnected_and_the_others_go_on() -> Check {
    let server = Server::start(SERVER, &["127.0.0.1:0", "--queue", "8"])?;
    let mut talker = Peer::join(&server, "talker")?;
    let mut stalled = Peer::join(&server, "stalled")?;
    talker.next_from("stalled")?;
    // From now on `stalled` reads nothing. Its receive buffer fills, then
    // the server's send buffer for it, then its queue of 8 lines.
    talker
        .stream
        .set_read_timeout(Some(Duration::from_secs(3)))?;
    let big = "x".repeat(60_000);
    let mut disconnected_after = None;
    for i in 0..1000 {
        talker.say(&format!("{i} {big}"))?;
        loop {
            let got = talker.next().map_err(|e| {
                Fail(format!(
                    "talker's message {i} did not come back: {e}\n(a client that reads nothing must not hold up the room: never wait on a full queue or a blocked write() while holding the room's lock; use try_send on a bounded queue and let each client's own writer thread do the writing)"
                ))
            })?;
            if got["name"] == "talker" {
                check!(
                    msg(&got).starts_with(&format!("{i} ")),
                    "talker's messages come back in order; expected message {i}"
                );
                break;
            }
            if got["name"] == "server" && msg(&got).contains("stalled") {
                disconnected_after = Some(i);
            }
        }
        if disconnected_after.is_some() {
            break;
        }
    }
    let Some(after) = disconnected_after else {
        return Err(Fail::new(
            "1000 messages of 60 KB piled up for a client that reads nothing, and it was never disconnected: give each client a bounded queue (sync_channel(n)), queue with try_send, and on Full disconnect that client (shut its socket down) and tell the room \"... was disconnected\"",
        ));
    };
    check!(
        after < 400,
        "with --queue 8, the stalled client should be disconnected once its buffers and 8 queued lines are full (a few MB), not after {after} messages of 60 KB"
    );
    server.line_containing("too slow")?;
    // What was already in its buffers still arrives; then the end.
    stalled
        .stream
        .set_read_timeout(Some(Duration::from_secs(2)))?;
    stalled.expect_closed("after its queue overflowed")?;
    // The room goes on, and the stalled client's name is free again.
    let mut newcomer = Peer::join(&server, "stalled")?;
    talker.say("welcome")?;
    check_eq!(
        msg(&newcomer.next_from("talker")?),
        "welcome",
        "the room goes on after the stalled client is gone"
    );
    Ok(())
}

// ---------------------------------------------------------------- rung 8

#[test]
fn step16_ctrl_c_while_waiting_for_a_client() -> Check {
    let server = start()?;
    let asked = server.ctrl_c()?;
    server.expect_prompt_exit(asked, "served 0")?;
    Ok(())
}

#[test]
fn step16_ctrl_c_tells_the_room_and_closes_everyone() -> Check {
    let server = start()?;
    let mut peers = Vec::new();
    for name in ["alice", "bob", "carol"] {
        peers.push(Peer::join(&server, name)?);
    }
    // A client that never spoke never joined: it is closed, not told.
    let mut silent = Peer::connect(&server, "silent")?;
    silent.send_raw(b"not json\n")?;
    silent.expect_error("a line that is not JSON")?;
    for peer in &mut peers[..2] {
        peer.next_from("carol")?;
    }
    let asked = server.ctrl_c()?;
    for peer in &mut peers {
        let notice = peer.next().map_err(|e| {
            Fail(format!(
                "{e}\n(on Ctrl-C the server first tells everyone in the room, with a notice from \"server\", that it is closing)"
            ))
        })?;
        check!(
            notice["name"] == "server" && msg(&notice).contains("clos"),
            "on Ctrl-C every client in the room gets a notice from \"server\" that the server is closing; {} got {notice}",
            peer.name
        );
        peer.expect_closed("after the closing notice")?;
    }
    let heard = silent.expect_closed("on Ctrl-C")?;
    check!(
        heard.is_empty(),
        "a connection that never joined hears nothing of the room, not even the closing notice; it got {:?}",
        String::from_utf8_lossy(&heard)
    );
    drop(peers);
    drop(silent);
    server.expect_prompt_exit(asked, "served 4")?;
    Ok(())
}

#[test]
fn step16_ctrl_c_with_a_client_that_reads_nothing_still_exits_within_1_s() -> Check {
    // A queue long enough that the stalled client is not disconnected: its
    // writer thread stays blocked in write() when Ctrl-C comes.
    let server = Server::start(SERVER, &["127.0.0.1:0", "--queue", "100000"])?;
    let mut talker = Peer::join(&server, "talker")?;
    let _stalled = Peer::join(&server, "stalled")?;
    talker.next_from("stalled")?;
    let big = "z".repeat(60_000);
    for i in 0..150 {
        talker.say(&format!("{i} {big}"))?;
        talker.next_chat()?;
    }
    let asked = server.ctrl_c()?;
    talker.notice("clos")?;
    let done = server.expect_prompt_exit(asked, "served 2").map_err(|e| {
        Fail(format!(
            "{e}\n(a writer blocked on a client that reads nothing must not keep the server alive: after a short wait, shut every connection down)"
        ))
    })?;
    // Neither client closed: the server closed both, and each client's
    // thread ended (and logged it) before the summary.
    let ended = done
        .stdout
        .iter()
        .filter(|l| l.contains("closed by the room"))
        .count();
    check_eq!(
        ended,
        2,
        "on Ctrl-C every client's thread must end before the summary, the stalled one's too: after a short wait, shut down every connection whose writer is stuck in write(), then join the threads; the server printed {:?}",
        done.stdout
    );
    check!(
        done.stdout.last().is_some_and(|l| l.contains("served 2")),
        "the summary is the server's last line, after every client's: join the client threads before printing it; the server printed {:?}",
        done.stdout
    );
    Ok(())
}

// ---------------------------------------------------------------- rung 9

/// `[12:34:56] name: msg` with the time of day from `time`.
fn shown(got: &Value) -> String {
    let time = got["time"].as_str().unwrap_or("");
    format!(
        "[{}] {}: {}",
        time.get(11..19).unwrap_or("??:??:??"),
        got["name"].as_str().unwrap_or("?"),
        msg(got)
    )
}

/// What the client prints for a line from the server.
fn show(v: Value) -> String {
    hardened_chat::show(v.to_string().as_bytes())
}

#[test]
fn step17_show_prints_messages_notices_and_errors() -> Check {
    let time = "2026-11-22T12:34:56.789Z";
    for (line, want) in [
        (
            json!({"name": "alice", "msg": "hi", "time": time}),
            "[12:34:56] alice: hi",
        ),
        (
            json!({"name": "server", "msg": "bob joined", "time": time}),
            "[12:34:56] * bob joined",
        ),
        (json!({"error": "bad line"}), "[error] bad line"),
        (
            json!({"name": "bob", "msg": "no time"}),
            "[??:??:??] bob: no time",
        ),
    ] {
        check_eq!(
            show(line.clone()),
            want,
            "show({line}): a message is [HH:MM:SS] name: msg, a notice from server is [HH:MM:SS] * msg"
        );
    }
    Ok(())
}

#[test]
fn step17_no_name_can_forge_a_notice_or_another_users_line() -> Check {
    let time = "2026-11-22T12:34:56.789Z";
    let notice = "[12:34:56] * ";
    for (name, said, must_not_start) in [
        ("* bob", "joined", notice),
        ("*", "bob left", notice),
        ("alice: hi", "there", "[12:34:56] alice: "),
        ("alice:", "hi", "[12:34:56] alice: "),
        ("\"alice", "hi", "[12:34:56] alice"),
        ("ѕerver", "closing", notice),
        ("Server", "closing", "[12:34:56] Server: "),
        ("server\u{200b}", "closing", "[12:34:56] server"),
        ("bob", "hi\n[12:34:57] * alice left", "never a second line"),
    ] {
        let got = show(json!({"name": name, "msg": said, "time": time}));
        check!(
            !got.starts_with(must_not_start) && !got.contains('\n') && !got.contains('\r'),
            "a user named {name:?} saying {said:?} is shown as {got:?}, which can pass for a notice or another user's line: show notices as `* text`, quote and escape a name ({{name:?}}) that has a space, `:` or `\"`, starts with `*` or is not a valid name, and pass msg through kit::printable"
        );
    }
    check_eq!(
        show(json!({"name": "* bob", "msg": "joined", "time": time})),
        "[12:34:56] \"* bob\": joined",
        "a name that could pass for a notice is shown quoted"
    );
    Ok(())
}

#[test]
fn step17_the_client_shows_time_name_and_message() -> Check {
    let server = start()?;
    let mut alice = Peer::join(&server, "alice")?;
    let mut bob = Proc::spawn(CLIENT, &[server.addr(), "--name", "bob"])?;
    let joined = bob.line_containing("bob joined").map_err(|e| {
        Fail(format!(
            "{e}\n(the client joins by sending /who and prints what comes back)"
        ))
    })?;
    check!(
        joined.ends_with("] * bob joined"),
        "the client shows a notice from \"server\" as [HH:MM:SS] * text; it printed {joined:?}"
    );
    bob.line_containing("* online: alice, bob")?;
    alice.notice("bob joined")?;
    alice.say("hi bob")?;
    let said = alice.next_from("alice")?;
    check_eq!(
        bob.line()?,
        shown(&said),
        "the client prints each message as [HH:MM:SS] name: msg, the time of day from the server's `time`"
    );
    bob.send_line("hi alice")?;
    let got = alice.next_from("bob").map_err(|e| {
        Fail(format!(
            "{e}\n(the client sends each line typed as {{\"name\": \"bob\", \"msg\": \"...\"}})"
        ))
    })?;
    check_eq!(msg(&got), "hi alice", "the typed line is the message");
    check_eq!(
        bob.line()?,
        shown(&got),
        "the client shows its own message when the server echoes it"
    );
    bob.close_stdin();
    bob.wait()?
        .expect_code(0, "end of input leaves the room normally: exit 0")?;
    alice.notice("bob left")?;
    Ok(())
}

#[test]
fn step17_the_client_reads_its_name_from_stdin_and_shows_its_last_message() -> Check {
    let server = start()?;
    let mut alice = Peer::join(&server, "alice")?;
    let done = harness::run(
        CLIENT,
        &[server.addr()],
        b"carol\nfirst words\n\nlast words\n",
    )?;
    done.expect_code(0, "end of input leaves the room normally: exit 0")?;
    let ends: Vec<&String> = done
        .stdout
        .iter()
        .filter(|l| l.contains("carol: "))
        .collect();
    check!(
        ends.len() == 2
            && ends[0].ends_with("carol: first words")
            && ends[1].ends_with("carol: last words"),
        "with the name on the first line of stdin and two messages, the client prints both echoes before it exits (after end of input, shut down the sending side and read until the server closes); it printed {:?}",
        done.stdout
    );
    check_eq!(msg(&alice.next_chat()?), "first words", "alice hears carol");
    check_eq!(
        msg(&alice.next_chat()?),
        "last words",
        "alice hears carol; the empty line was not sent"
    );
    alice.notice("carol left")?;
    Ok(())
}

#[test]
fn step17_the_client_leaves_with_quit() -> Check {
    let server = start()?;
    let mut alice = Peer::join(&server, "alice")?;
    let done = harness::run(
        CLIENT,
        &[server.addr(), "--name", "dave"],
        b"before\n/quit\nafter\n",
    )?;
    done.expect_code(0, "/quit leaves the room normally: exit 0")?;
    check!(
        !done.stdout.iter().any(|l| l.contains("after")),
        "nothing typed after /quit is sent; the client printed {:?}",
        done.stdout
    );
    check_eq!(msg(&alice.next_chat()?), "before", "alice hears dave");
    let left = alice.next()?;
    check!(
        left["name"] == "server" && msg(&left).contains("dave left"),
        "after /quit the next thing alice hears is \"dave left\"; she got {left}"
    );
    Ok(())
}

#[test]
fn step17_the_client_neutralises_terminal_escapes_and_forged_lines() -> Check {
    let server = start()?;
    let mut viewer = Proc::spawn(CLIENT, &[server.addr(), "--name", "viewer"])?;
    viewer.line_containing("online:")?;
    let mut mallory = Peer::join(&server, "* mallory")?;
    mallory.say("\u{1b}[2J\u{1b}[31mgotcha\r[00:00:00] * alice left\n[00:00:00] alice: hi\u{7}")?;
    let line = viewer.line_containing("gotcha")?;
    check!(
        !line.contains('\u{1b}') && !line.contains('\r') && !line.contains('\u{7}'),
        "a peer's text must be printed with control characters and escapes made harmless (kit::printable), or it can clear or spoof the screen; the client printed {line:?}"
    );
    check!(
        line.contains(r"\u{1b}[2J") && line.contains("] \"* mallory\": "),
        "the escape is shown, harmlessly, as \\u{{1b}}, and the name `* mallory` quoted; the client printed {line:?}"
    );
    let next = viewer.line_within(Duration::from_millis(300));
    check!(
        next.is_err(),
        "one message is one line on the screen: a \\n inside it is shown as \\n; the client then printed {next:?}"
    );
    viewer.send_line("/quit")?;
    viewer.wait()?.expect_code(0, "/quit exits 0")?;
    Ok(())
}

#[test]
fn step17_the_client_says_when_the_server_goes_away() -> Check {
    let server = start()?;
    let viewer = Proc::spawn(CLIENT, &[server.addr(), "--name", "viewer"])?;
    viewer.line_containing("online:")?;
    server.signal("INT")?;
    viewer.line_containing("clos")?;
    // Its stdin stays open: the client must notice by itself.
    let error = viewer.err_line().map_err(|e| {
        Fail(format!(
            "{e}\n(when the server closes the connection, the reader thread sees the end of the stream, prints one `error: ...` line and ends the process: std::process::exit(1))"
        ))
    })?;
    check!(
        error.starts_with("error: ") && error.contains("server"),
        "the client says the server went away, as one `error: ...` line; it printed {error:?}"
    );
    let done = viewer.wait()?;
    done.expect_code(
        1,
        "the server going away ends the client with a run-time error: exit 1",
    )?;
    check!(
        done.stderr.is_empty(),
        "one error line only; then it also printed {:?}",
        done.stderr
    );
    Ok(())
}

#[test]
fn step17_the_client_reports_a_refused_name() -> Check {
    let server = start()?;
    let _alice = Peer::join(&server, "alice")?;
    let done = harness::run(CLIENT, &[server.addr(), "--name", "alice"], b"hi\n")?;
    done.expect_code(1, "a name in use is refused by the server: exit 1")?;
    done.expect_one_error_line()?;
    check!(
        done.stderr_text().contains("taken"),
        "the error line passes on the server's reason; it was {:?}",
        done.stderr
    );
    Ok(())
}

#[test]
fn step17_the_client_command_line() -> Check {
    let help = harness::run(CLIENT, &["--help"], b"")?;
    help.expect_code(0, "--help prints the usage and exits 0")?;
    for args in [&["--name", ""][..], &["--name", "server"], &["--nope"]] {
        let bad = harness::run(CLIENT, args, b"")?;
        bad.expect_code(2, &format!("a bad client command line {args:?} exits 2"))?;
    }
    Ok(())
}

#[test]
fn step17_the_client_reports_a_server_that_is_not_there() -> Check {
    let (_guard, addr) = harness::closed_port()?;
    let done = harness::run(CLIENT, &[&addr, "--name", "x"], b"hello\n")?;
    done.expect_code(1, "connection refused is a run-time error: exit 1")?;
    done.expect_one_error_line()
}
