//! Exercise checks for stage 6, `chat`. Run them rung by rung:
//! `cargo test -p chat step1`, then `step2`, ... then all of them.
//!
//! Each check runs the real binaries (the server on port 0) and talks to
//! them over loopback, as a student's own client would: JSON lines on a
//! plain socket, every socket with timeouts.

use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::net::TcpStream;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use harness::{Check, Fail, Proc, Server, check, check_eq, connect};
use serde_json::{Value, json};

const SERVER: &str = env!("CARGO_BIN_EXE_chat-server");
const CLIENT: &str = env!("CARGO_BIN_EXE_chat-client");

fn start() -> Result<Server, Fail> {
    Server::start(SERVER, &["127.0.0.1:0"])
}

/// A check's own chat client: a socket speaking JSON lines.
struct Peer {
    name: String,
    stream: TcpStream,
    reader: BufReader<TcpStream>,
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
            Fail(format!(
                "{name} said hello and waited for it to come back: {e}\n(every accepted message goes to every client, the sender included)"
            ))
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
        match self.reader.read_until(b'\n', &mut line) {
            Ok(0) => Err(Fail(format!(
                "{}'s connection was closed by the server while a line was expected",
                self.name
            ))),
            Ok(_) if !line.ends_with(b"\n") => Err(Fail(format!(
                "{} got a line without its \\n before the connection closed: {:?} (every line ends with \\n)",
                self.name,
                String::from_utf8_lossy(&line)
            ))),
            Ok(_) => serde_json::from_slice(&line).map_err(|e| {
                Fail(format!(
                    "{} got a line that is not JSON ({e}): {:?}",
                    self.name,
                    String::from_utf8_lossy(&line)
                ))
            }),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                Err(Fail(format!(
                    "{} waited {} s for a line from the server and none came",
                    self.name,
                    harness::TIMEOUT.as_secs()
                )))
            }
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
            match std::io::Read::read(&mut self.reader, &mut buf) {
                Ok(0) => return Ok(rest),
                Ok(n) => rest.extend_from_slice(&buf[..n]),
                // A reset is closed too.
                Err(e) if e.kind() == ErrorKind::ConnectionReset => return Ok(rest),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
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
        "\"time\" is RFC 3339 in UTC with milliseconds, like 2026-11-22T12:34:56.789Z; the server sent {time}"
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
            "{e}\n(after {what} the offender stays connected and still hears the room)"
        ))
    })?;
    check_eq!(
        msg(&got),
        marker,
        "after {what}, the offender is still in the room and hears the next message"
    );
    Ok(())
}

#[test]
fn step1_time_is_rfc3339_utc_with_milliseconds() -> Check {
    let at = |millis: i64| match u64::try_from(millis) {
        Ok(after) => UNIX_EPOCH + Duration::from_millis(after),
        Err(_) => UNIX_EPOCH - Duration::from_millis(millis.unsigned_abs()),
    };
    for (millis, want) in [
        (0, "1970-01-01T00:00:00.000Z"),
        (1, "1970-01-01T00:00:00.001Z"),
        (86_399_999, "1970-01-01T23:59:59.999Z"),
        (86_400_000, "1970-01-02T00:00:00.000Z"),
        (951_782_400_000, "2000-02-29T00:00:00.000Z"),
        (951_868_799_999, "2000-02-29T23:59:59.999Z"),
        (951_868_800_000, "2000-03-01T00:00:00.000Z"),
        (1_709_251_199_999, "2024-02-29T23:59:59.999Z"),
        (1_735_689_599_000, "2024-12-31T23:59:59.000Z"),
        (1_798_028_096_789, "2026-12-23T12:14:56.789Z"),
        (4_107_542_400_000, "2100-03-01T00:00:00.000Z"),
        (4_107_542_399_999, "2100-02-28T23:59:59.999Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
        (-2_208_988_800_000, "1900-01-01T00:00:00.000Z"),
    ] {
        check_eq!(
            chat::rfc3339(at(millis)),
            want,
            "rfc3339 at {millis} ms after 1970-01-01 (2000 is a leap year, 2100 and 1900 are not; before 1970, round down)"
        );
    }
    let t = UNIX_EPOCH + Duration::new(1_709_251_199, 999_999_999);
    check_eq!(
        chat::rfc3339(t),
        "2024-02-29T23:59:59.999Z",
        "milliseconds are cut, not rounded (rounding could turn 23:59:59.9995 into the next day)"
    );
    Ok(())
}

#[test]
fn step1_every_day_follows_the_one_before_over_800_years() -> Check {
    // An independent calendar: walk day by day from 1600-01-01 with the
    // Gregorian rules and compare with civil_from_days at every day.
    let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_len = |y: i64, m: u32| match m {
        2 if leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    let (mut y, mut m, mut d) = (1600i64, 1u32, 1u32);
    // 1600-01-01 is 135,140 days before 1970-01-01.
    for days in -135_140..=157_000i64 {
        check_eq!(
            chat::civil_from_days(days),
            (y, m, d),
            "civil_from_days({days}): the date {days} days after 1970-01-01"
        );
        d += 1;
        if d > month_len(y, m) {
            d = 1;
            m += 1;
            if m > 12 {
                m = 1;
                y += 1;
            }
        }
    }
    Ok(())
}

#[test]
fn step1_listens_and_prints_the_address_it_bound() -> Check {
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
fn step1_help_and_bad_command_lines() -> Check {
    for exe in [SERVER, CLIENT] {
        let help = harness::run(exe, &["--help"], b"")?;
        help.expect_code(0, "--help prints the usage and exits 0")?;
    }
    for args in [
        &["not-an-address"][..],
        &["--nope"],
        &["127.0.0.1:0", "extra"],
        &["--queue", "0"],
        &["--max-clients", "many"],
    ] {
        let bad = harness::run(SERVER, args, b"")?;
        bad.expect_code(2, &format!("a bad command line {args:?} exits 2"))?;
    }
    for args in [&["--name", ""][..], &["--name", "server"], &["--nope"]] {
        let bad = harness::run(CLIENT, args, b"")?;
        bad.expect_code(2, &format!("a bad client command line {args:?} exits 2"))?;
    }
    Ok(())
}

#[test]
fn step2_a_message_comes_back_to_its_sender_stamped_with_the_time() -> Check {
    let server = start()?;
    let mut alice = Peer::connect(&server, "alice")?;
    let before = chat::rfc3339(SystemTime::now());
    // A `time` from the client is ignored: the server stamps its own.
    alice.send_raw(b"{\"name\": \"alice\", \"msg\": \"hi\", \"time\": \"yesterday\"}\n")?;
    let got = alice.next_from("alice").map_err(|e| {
        Fail(format!(
            "{e}\n(the sender is in the room too: broadcast to every client, the sender included)"
        ))
    })?;
    let after = chat::rfc3339(SystemTime::now());
    check_eq!(msg(&got), "hi", "the message comes back as it was sent");
    check_time_shape(&got["time"])?;
    let time = got["time"].as_str().unwrap_or("");
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
fn step2_the_line_limit_does_not_count_the_line_end() -> Check {
    use chat::{Line, read_line};
    let limit = 10;
    for (input, want, what) in [
        (&b"0123456789\n"[..], Line::Complete, "10 bytes and \\n"),
        (b"0123456789\r\n", Line::Complete, "10 bytes and \\r\\n"),
        (b"0123456789a\n", Line::TooLong, "11 bytes and \\n"),
        (b"0123456789ab", Line::TooLong, "12 bytes and no end"),
    ] {
        let mut line = Vec::new();
        let got = read_line(&mut std::io::Cursor::new(input), &mut line, limit)?;
        check_eq!(
            got,
            want,
            "read_line with a limit of {limit}: {what} (the limit counts the line, not its \\n or \\r\\n; take(limit + 2) leaves room for both)"
        );
    }
    Ok(())
}

#[test]
fn step2_lines_may_come_split_joined_or_with_crlf() -> Check {
    let server = start()?;
    let mut alice = Peer::connect(&server, "alice")?;
    // One line in three writes, then two lines in one write, one with \r\n.
    alice.send_raw(b"{\"name\": \"al")?;
    alice.stream.flush()?;
    thread::sleep(Duration::from_millis(20));
    alice.send_raw(b"ice\", \"msg\": \"split ")?;
    thread::sleep(Duration::from_millis(20));
    alice.send_raw(b"in three\"}\n")?;
    alice.send_raw(b"{\"name\": \"alice\", \"msg\": \"crlf\"}\r\n{\"name\": \"alice\", \"msg\": \"\xe4\xbd\xa0\xe5\xa5\xbd\"}\n")?;
    for want in ["split in three", "crlf", "你好"] {
        let got = alice.next_chat().map_err(|e| {
            Fail(format!(
                "{e}\n(TCP delivers bytes, not messages: collect bytes until \\n, a line may take several reads and one read may hold several lines)"
            ))
        })?;
        check_eq!(msg(&got), want, "each line is one message, in order");
    }
    Ok(())
}

#[test]
fn step3_two_clients_see_each_others_messages() -> Check {
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
fn step3_joins_and_leaves_are_announced_by_server() -> Check {
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
fn step4_not_json_is_refused_to_the_sender_alone() -> Check {
    let server = start()?;
    let mut alice = Peer::join(&server, "alice")?;
    let mut bad = Peer::connect(&server, "bad")?;
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
fn step4_missing_or_mistyped_fields_are_refused() -> Check {
    let server = start()?;
    let mut alice = Peer::join(&server, "alice")?;
    let mut bad = Peer::connect(&server, "bad")?;
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
fn step4_names_are_checked() -> Check {
    let server = start()?;
    let mut alice = Peer::join(&server, "alice")?;
    let mut bad = Peer::connect(&server, "bad")?;
    let too_long = "n".repeat(33);
    for (name, rule) in [
        ("", "a name has at least 1 character"),
        (too_long.as_str(), "a name has at most 32 characters"),
        ("server", "\"server\" is reserved for the server's notices"),
        ("Server", "\"Server\" would pass for the server too"),
        ("ev\u{1b}[2Jil", "no control characters (escape)"),
        ("two\nlines", "no control characters (newline)"),
        ("tab\there", "no control characters (tab)"),
        (" alice", "no space at either end (it would pass for alice)"),
    ] {
        bad.say_as(name, "hi")?;
        let what = format!("a message with the name {name:?} ({rule})");
        bad.expect_error(&what)?;
        nothing_broadcast(&mut alice, &mut bad, &what)?;
    }
    // 32 characters is fine, even when they take 96 bytes.
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
fn step4_a_connection_cannot_change_its_name() -> Check {
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
fn step4_a_name_in_use_is_refused() -> Check {
    let server = start()?;
    let mut alice = Peer::join(&server, "alice")?;
    let mut other = Peer::connect(&server, "alice")?;
    other.say("I am alice too")?;
    other.expect_error("a second client choosing the name \"alice\" while alice is connected").map_err(|e| {
        Fail(format!(
            "{e}\n(names are unique among connected clients: look through the room before binding one)"
        ))
    })?;
    nothing_broadcast(&mut alice, &mut other, "a duplicate name")?;
    // The refused client may pick another name; once alice leaves, hers is free.
    other.say_as("alice2", "then alice2")?;
    alice.next_from("alice2")?;
    drop(alice);
    other.notice("left")?;
    let mut again = Peer::connect(&server, "alice")?;
    again.say("the name is free again")?;
    let got = again.next_from("alice").map_err(|e| {
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
fn step4_a_line_over_64_kib_is_refused_and_closed() -> Check {
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
    let error = big
        .expect_error("a line of 65537 bytes")
        .map_err(|e| Fail(format!("{e}\n(read at most 64 KiB + 1 bytes of a line, e.g. with Read::take, and refuse a line that does not end by then)")))?;
    check!(
        error.contains("long") || error.contains("KiB") || error.contains("65536"),
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
fn step4_deeply_nested_json_does_not_crash_the_server() -> Check {
    let server = start()?;
    let mut alice = Peer::join(&server, "alice")?;
    let mut deep = Peer::connect(&server, "deep")?;
    let nest = 30_000;
    let hint = "30,000 nested brackets in one line: the server must answer, not overflow a small thread stack";
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

#[test]
fn step5_everyone_sees_every_message_in_the_same_order() -> Check {
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
fn step5_who_answers_the_sender_alone() -> Check {
    let server = start()?;
    let mut alice = Peer::join(&server, "alice")?;
    let mut bob = Peer::join(&server, "bob")?;
    let _lurker = Peer::connect(&server, "lurker")?;
    alice.next_from("bob")?;
    bob.say("/who")?;
    let got = bob.next().map_err(|e| {
        Fail(format!(
            "{e}\n(a message \"/who\" is answered to its sender with the names online)"
        ))
    })?;
    check!(
        got["name"] == "server" && msg(&got).contains("alice") && msg(&got).contains("bob"),
        "/who is answered by \"server\" with the names online (alice and bob); bob got {got}"
    );
    check!(
        !msg(&got).contains("lurker"),
        "a client that has not spoken has no name yet, so /who does not list it; got {got}"
    );
    check_time_shape(&got["time"])?;
    nothing_broadcast(&mut alice, &mut bob, "/who")
}

#[test]
fn step6_a_flooding_sender_is_slowed_down_and_its_listeners_keep_everything() -> Check {
    // One client pastes 5,000 lines at once (a script, `cat file | nc`);
    // everyone, the flooder included, keeps reading as fast as it can.
    const LINES: usize = 5_000;
    let server = start()?;
    let mut listener = Peer::join(&server, "listener")?;
    let mut flooder = Peer::join(&server, "flooder")?;
    listener.next_from("flooder")?;
    let mut writer = flooder.stream.try_clone()?;
    let flood: String = (0..LINES)
        .map(|i| {
            format!(
                "{}\n",
                json!({"name": "flooder", "msg": format!("line {i}")})
            )
        })
        .collect();
    // The flooder writes from its own thread and reads its echoes here, as
    // chat-client does; its write may wait while the server holds it back.
    let sending = thread::spawn(move || writer.write_all(flood.as_bytes()));
    let echoes = thread::spawn(move || -> Result<(), Fail> {
        for _ in 0..LINES {
            flooder.next_from("flooder")?;
        }
        Ok(())
    });
    for i in 0..LINES {
        let got = listener.next_from("flooder").map_err(|e| {
            Fail(format!(
                "the listener read as fast as it could but got only {i} of the flooder's {LINES} lines: {e}\n(a sender faster than the room must be held back, not its listeners cut off: after passing a message on, stop reading the sender's lines while its own queue is more than a quarter full; TCP then makes its sends wait)"
            ))
        })?;
        check_eq!(
            msg(&got),
            format!("line {i}"),
            "the listener hears the flood in order"
        );
    }
    match sending.join() {
        Ok(sent) => sent?,
        Err(_) => return Err(Fail::new("the flooder's writing thread panicked")),
    }
    match echoes.join() {
        Ok(heard) => heard,
        Err(_) => Err(Fail::new("the flooder's reading thread panicked")),
    }
}

#[test]
fn step6_a_client_that_stops_reading_is_disconnected_and_the_others_go_on() -> Check {
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

#[test]
fn step7_ctrl_c_while_waiting_for_a_client() -> Check {
    let server = start()?;
    let asked = server.ctrl_c()?;
    server.expect_prompt_exit(asked, "served 0")?;
    Ok(())
}

#[test]
fn step7_ctrl_c_tells_the_room_and_closes_everyone() -> Check {
    let server = start()?;
    let mut peers = Vec::new();
    for name in ["alice", "bob", "carol"] {
        peers.push(Peer::join(&server, name)?);
    }
    // A client that never spoke is in the room too, and is told.
    let mut silent = Peer::connect(&server, "silent")?;
    server.line_containing(&format!("connection from {}", silent.stream.local_addr()?))?;
    for peer in &mut peers[..2] {
        peer.next_from("carol")?;
    }
    let asked = server.ctrl_c()?;
    for peer in peers.iter_mut().chain([&mut silent]) {
        let notice = peer.next().map_err(|e| {
            Fail(format!(
                "{e}\n(on Ctrl-C the server first tells everyone, with a notice from \"server\", that it is closing)"
            ))
        })?;
        check!(
            notice["name"] == "server" && msg(&notice).contains("clos"),
            "on Ctrl-C every client gets a notice from \"server\" that the server is closing; {} got {notice}",
            peer.name
        );
        peer.expect_closed("after the closing notice")?;
    }
    drop(peers);
    drop(silent);
    server.expect_prompt_exit(asked, "served 4")?;
    Ok(())
}

#[test]
fn step7_ctrl_c_with_a_client_that_reads_nothing_still_exits_within_1_s() -> Check {
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
    // threads ended (and logged it) before the summary.
    let ended = done
        .stdout
        .iter()
        .filter(|l| l.contains("closed by the room"))
        .count();
    check_eq!(
        ended,
        2,
        "on Ctrl-C every client's threads must end before the summary, the stalled one's too: after a short wait, shut down every connection whose writer is stuck in write(); the server printed {:?}",
        done.stdout
    );
    Ok(())
}

#[test]
fn step7_over_the_client_cap_a_client_is_told_and_closed() -> Check {
    let server = Server::start(SERVER, &["127.0.0.1:0", "--max-clients", "2"])?;
    let first = Peer::join(&server, "one")?;
    let first_addr = first.stream.local_addr()?;
    let _second = Peer::join(&server, "two")?;
    let mut third = Peer::connect(&server, "three")?;
    third.expect_error("connecting as a third client with --max-clients 2")?;
    third.expect_closed("the room is full")?;
    // When a client leaves, its place is free again.
    drop(first);
    server.line_containing(&format!("{first_addr}: "))?;
    Peer::join(&server, "four")?;
    Ok(())
}

#[test]
fn step7_a_port_in_use_is_one_clear_error() -> Check {
    let taken = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = taken.local_addr()?.to_string();
    let done = harness::run(SERVER, &[&addr], b"")?;
    done.expect_code(1, "a port in use is a run-time error: exit 1")?;
    done.expect_one_error_line()
}

/// `[12:34:56] name: msg` with the time of day from `time`.
fn shown(got: &Value) -> String {
    let time = got["time"].as_str().unwrap_or("");
    format!(
        "[{}] {}: {}",
        time.get(11..19).unwrap_or("?"),
        got["name"].as_str().unwrap_or("?"),
        msg(got)
    )
}

#[test]
fn step8_the_client_shows_time_name_and_message() -> Check {
    let server = start()?;
    let mut alice = Peer::join(&server, "alice")?;
    let mut bob = Proc::spawn(CLIENT, &[server.addr(), "--name", "bob"])?;
    bob.line_containing("online: alice, bob").map_err(|e| {
        Fail(format!(
            "{e}\n(the client joins by sending /who and prints the answer)"
        ))
    })?;
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
fn step8_the_client_reads_its_name_from_stdin_and_shows_its_last_message() -> Check {
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
fn step8_the_client_leaves_with_quit() -> Check {
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
fn step8_the_client_neutralises_terminal_escapes_from_peers() -> Check {
    let server = start()?;
    let mut viewer = Proc::spawn(CLIENT, &[server.addr(), "--name", "viewer"])?;
    viewer.line_containing("online:")?;
    let mut mallory = Peer::join(&server, "mallory\u{202e}")?;
    mallory.say("\u{1b}[2J\u{1b}[31mgotcha\r[00:00:00] server: fake\u{7}")?;
    let line = viewer.line_containing("gotcha")?;
    check!(
        !line.contains('\u{1b}')
            && !line.contains('\r')
            && !line.contains('\u{7}')
            && !line.contains('\u{202e}'),
        "a peer's text must be printed with control characters and escapes made harmless (kit::printable), or it can clear or spoof the screen; the client printed {line:?}"
    );
    check!(
        line.contains(r"\u{1b}[2J"),
        "the escape is shown, harmlessly, as \\u{{1b}}; the client printed {line:?}"
    );
    viewer.send_line("/quit")?;
    viewer.wait()?.expect_code(0, "/quit exits 0")?;
    Ok(())
}

#[test]
fn step8_the_client_says_when_the_server_goes_away() -> Check {
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
fn step8_the_client_reports_a_refused_name() -> Check {
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
fn step8_the_client_reports_a_server_that_is_not_there() -> Check {
    let (_guard, addr) = harness::closed_port()?;
    let done = harness::run(CLIENT, &[&addr, "--name", "x"], b"hello\n")?;
    done.expect_code(1, "connection refused is a run-time error: exit 1")?;
    done.expect_one_error_line()
}
