//! The tutorial's own UDP programs, `lessons/tutorial/s04_server.py` and
//! `s04_client.py`, paired with this stage's binaries both ways: one check
//! per row of the lesson's table "Their program and ours".
//!
//! Their server is one-shot: `recvfrom(500)`, print, `sendto` a fixed reply
//! ("Ich hab keine Hunge"), exit. Their client sends one `input()` line and
//! waits in `recvfrom(1000)` with no timeout. Where a pairing breaks, the
//! check proves exactly how. Every check passes, saying so, where `python3`
//! is missing.

use std::net::UdpSocket;
use std::time::Duration;

use harness::{Check, Fail, Finished, Proc, Server, check, check_eq};

const SERVER: &str = env!("CARGO_BIN_EXE_udp-echo-server");
const CLIENT: &str = env!("CARGO_BIN_EXE_udp-echo-client");
const THEIR_SERVER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../lessons/tutorial/s04_server.py"
);
const THEIR_CLIENT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../lessons/tutorial/s04_client.py"
);

/// What their server answers to anything.
const FIXED_REPLY: &str = "Ich hab keine Hunge";

/// How long a Python program may take to start or to end. A few tens of
/// milliseconds on an idle machine, but seconds on a loaded one: more room
/// than harness gives our own binaries.
const PYTHON_LIMIT: Duration = Duration::from_secs(20);

/// The real interpreter (`harness::python3`), found once; only called after
/// `needs_python!` (or `python3_available`) found it. Started with `-S` (no
/// site-packages, slow to load and not needed) and `-u` (unbuffered, so each
/// print() reaches the check at once).
fn python() -> String {
    harness::python3().unwrap_or_else(|| "python3".into())
}

/// Their server, and the address from its `listening on` line.
struct TheirServer {
    proc: Proc,
    addr: String,
}

/// Their server on a port the OS picks; its `listening on` line says which.
fn their_server() -> Result<TheirServer, Fail> {
    let proc = Proc::spawn(&python(), &["-S", "-u", THEIR_SERVER, "0"])?;
    let first = proc.line_within(PYTHON_LIMIT)?;
    match first.strip_prefix("listening on ") {
        Some(addr) => Ok(TheirServer {
            addr: addr.to_string(),
            proc,
        }),
        None => Err(Fail(format!(
            "their server's first line should be `listening on ADDR`; it was {first:?}"
        ))),
    }
}

/// The port of a `HOST:PORT` address: all their client takes.
fn port_of(addr: &str) -> &str {
    addr.rsplit(':').next().unwrap_or(addr)
}

/// Runs their client against `port` with `line` typed at its `input()`.
fn their_client(port: &str, line: &[u8]) -> Result<Finished, Fail> {
    let mut client = Proc::spawn(&python(), &["-S", "-u", THEIR_CLIENT, port])?;
    client.send(line)?;
    client.wait_within(PYTHON_LIMIT)
}

/// What their client printed as the reply: its stdout, after the `>>: `
/// prompt that `input()` wrote there without a newline.
fn their_reply(out: &Finished) -> String {
    let all = out.stdout.join("\n");
    all.strip_prefix(">>: ").unwrap_or(&all).to_string()
}

/// The rest of their server's run: it must exit 0 by itself after one
/// datagram. Returns what it printed after `listening on`.
fn their_server_ends(server: TheirServer) -> Result<Finished, Fail> {
    let done = server.proc.wait_within(PYTHON_LIMIT)?;
    done.expect_code(0, "their server answers one datagram and exits")?;
    Ok(done)
}

#[test]
fn tutorial_their_client_our_server_gets_the_echo() -> Check {
    if !harness::python3_available() {
        return Ok(());
    }
    let server = Server::start(SERVER, &["127.0.0.1:0"])?;
    let out = their_client(port_of(server.addr()), b"hello\n")?;
    out.expect_code(0, "their client sends one line and prints the reply")?;
    check_eq!(
        their_reply(&out),
        "hello",
        "udp-echo-server answers their datagram with the same bytes, to the address recvfrom gave"
    );
    server.line_containing("hello")?;
    Ok(())
}

#[test]
fn tutorial_their_client_our_server_a_reply_over_1000_bytes_is_cut_to_1000() -> Check {
    if !harness::python3_available() {
        return Ok(());
    }
    let server = Server::start(SERVER, &["127.0.0.1:0"])?;
    let long: String = (0..1500).map(|i| (b'a' + (i % 26) as u8) as char).collect();
    let out = their_client(port_of(server.addr()), format!("{long}\n").as_bytes())?;
    out.expect_code(
        0,
        "recvfrom(1000) cuts a longer datagram without an error: their client ends normally",
    )?;
    let reply = their_reply(&out);
    check!(
        reply == long[..1000],
        "our server echoed all 1500 bytes in one datagram; their recvfrom(1000) should keep the first 1000 and drop the rest. Their client printed {} bytes",
        reply.len()
    );
    Ok(())
}

#[test]
fn tutorial_their_client_waits_forever_without_a_reply() -> Check {
    if !harness::python3_available() {
        return Ok(());
    }
    // A lost datagram, or no server at all, look like this to a client: a
    // port that takes datagrams and never answers.
    let hole = UdpSocket::bind("127.0.0.1:0")?;
    hole.set_read_timeout(Some(PYTHON_LIMIT))?;
    let port = hole.local_addr()?.port().to_string();
    let mut client = harness::Proc::spawn(&python(), &["-S", "-u", THEIR_CLIENT, &port])?;
    client.send_line("anyone there?")?;
    let mut buf = [0u8; 100];
    let (n, _) = hole.recv_from(&mut buf)?;
    check_eq!(&buf[..n], b"anyone there?", "their client sent its line");
    // Our client would have given up after its tries; theirs has no
    // settimeout, so recvfrom waits on. A second is plenty to show it.
    match client.wait_within(Duration::from_secs(1)) {
        Ok(done) => Err(Fail(format!(
            "their client ended by itself ({:?}); without settimeout its recvfrom should wait for ever",
            done.status
        ))),
        Err(_still_running) => Ok(()),
    }
}

#[test]
fn tutorial_our_client_their_server_gets_the_fixed_reply() -> Check {
    if !harness::python3_available() {
        return Ok(());
    }
    let server = their_server()?;
    let out = harness::run(CLIENT, &[&server.addr, "hello"], b"")?;
    out.expect_code(0, "their server answers, so our client succeeds")?;
    check_eq!(
        out.stdout,
        vec![FIXED_REPLY.to_string()],
        "our client prints whatever reply comes, echo or not"
    );
    let done = their_server_ends(server)?;
    check_eq!(
        done.stdout,
        vec!["b'hello'".to_string(), "hello".to_string()],
        "their server prints the datagram's bytes, then its text"
    );
    Ok(())
}

#[test]
fn tutorial_our_client_their_server_answers_once_so_the_second_line_times_out() -> Check {
    if !harness::python3_available() {
        return Ok(());
    }
    let server = their_server()?;
    let args = [
        server.addr.as_str(),
        "--timeout-ms",
        "200",
        "--retries",
        "2",
    ];
    let out = harness::run(CLIENT, &args, b"one\ntwo\n")?;
    check_eq!(
        out.stdout,
        vec![FIXED_REPLY.to_string()],
        "the first line gets their server's one reply"
    );
    out.expect_code(
        1,
        "their server exits after one datagram: the second line gets no reply, so our client fails",
    )?;
    out.expect_one_error_line()?;
    check!(
        out.took >= Duration::from_millis(600),
        "our client gave up after {:?}: the second line should go out 3 times (--retries 2), 200 ms apart, before it fails",
        out.took
    );
    their_server_ends(server)?;
    Ok(())
}

#[test]
fn tutorial_our_client_their_server_cuts_a_long_datagram_at_500_bytes() -> Check {
    if !harness::python3_available() {
        return Ok(());
    }
    let server = their_server()?;
    let long = "x".repeat(600);
    let out = harness::run(CLIENT, &[&server.addr, &long], b"")?;
    out.expect_code(
        0,
        "their server still answers: nobody is told that part of the datagram was dropped",
    )?;
    check_eq!(out.stdout, vec![FIXED_REPLY.to_string()], "the fixed reply");
    let done = their_server_ends(server)?;
    let text = done.stdout.get(1).cloned().unwrap_or_default();
    check!(
        text == long[..500],
        "our client sent 600 bytes in one datagram; their recvfrom(500) should keep exactly the first 500. It printed {} bytes: {:?}",
        text.len(),
        done.stdout
    );
    Ok(())
}

#[test]
fn tutorial_our_client_their_server_dies_when_the_cut_splits_a_character() -> Check {
    if !harness::python3_available() {
        return Ok(());
    }
    let server = their_server()?;
    // 200 characters of 3 bytes each: the cut at byte 500 falls inside the
    // 167th, and decode("utf-8") refuses what is left of it.
    let long = "好".repeat(200);
    let args = [&server.addr, "--timeout-ms", "200", "--retries", "1", &long];
    let out = harness::run(CLIENT, &args, b"")?;
    out.expect_code(
        1,
        "their server dies before it answers, so our client gets no reply and fails",
    )?;
    out.expect_one_error_line()?;
    let done = server.proc.wait_within(PYTHON_LIMIT)?;
    check!(
        done.code() != Some(0) && done.stderr_text().contains("UnicodeDecodeError"),
        "their server should die on data.decode('utf-8') of a character cut in two; it exited with {:?}, stderr: {}",
        done.code(),
        done.stderr_text()
    );
    Ok(())
}

#[test]
fn tutorial_their_client_their_server_one_exchange() -> Check {
    if !harness::python3_available() {
        return Ok(());
    }
    let server = their_server()?;
    let out = their_client(port_of(&server.addr), "你好\n".as_bytes())?;
    out.expect_code(0, "the tutorial's pair: one line out, one reply back")?;
    check_eq!(
        their_reply(&out),
        FIXED_REPLY,
        "their client prints the reply"
    );
    let done = their_server_ends(server)?;
    check_eq!(
        done.stdout.get(1).map(String::as_str),
        Some("你好"),
        "their server prints the text it received"
    );
    Ok(())
}
