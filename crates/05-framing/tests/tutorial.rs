//! The tutorial's own programs, `lessons/tutorial/s05_server.py` and
//! `s05_client.py`, paired with this stage's binaries both ways: one check
//! per row of the lesson's table "Their program and ours".
//!
//! Their server takes one message per connection with one `recv(500)`,
//! answers `Received msg: ... from (...)` and closes. Their client sends
//! "I love wangxiaojing" with one `send` and prints one `recv(500)`. Neither
//! frames anything, so against our binaries the first 4 bytes of their text
//! are read as a length: "I lo" is 1,226,861,679 bytes, refused by the 1 MiB
//! limit. `s05_client_framed.py` is the same client with `struct.pack`, and
//! works. Every check that runs Python passes, saying so, where `python3` is
//! missing.

use std::io::Write;
use std::time::Duration;

use harness::{Check, Fail, Finished, Proc, Server, check, check_eq, connect, read_exactly};

const SERVER: &str = env!("CARGO_BIN_EXE_framing-server");
const CLIENT: &str = env!("CARGO_BIN_EXE_framing-client");
const TUTORIAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../lessons/tutorial/");

/// The Python interpreter itself (`harness::python3` explains why not the
/// `python3` wrapper), found once; only called after `python3_available`.
fn python() -> String {
    harness::python3().unwrap_or_else(|| "python3".into())
}

/// Starts one of the tutorial's programs, by file name, with `args`. `-u`:
/// unbuffered, so each print() reaches the check at once; `-S`: no
/// site-packages, which these programs do not need and which can take
/// longer to load than the program takes to run.
fn python_args<'a>(name: &'a str, args: &[&'a str]) -> Vec<String> {
    let mut all = vec!["-S".to_string(), "-u".into(), format!("{TUTORIAL}{name}")];
    all.extend(args.iter().map(|a| a.to_string()));
    all
}

/// Their server on a port the OS picks; its `listening on` line says which.
fn their_server() -> Result<Server, Fail> {
    let args = python_args("s05_server.py", &["0"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Server::start(&python(), &args)
}

/// The port of a `HOST:PORT` address: all their clients take.
fn port_of(addr: &str) -> &str {
    addr.rsplit(':').next().unwrap_or(addr)
}

/// Runs one of their clients against `port` to the end.
fn their_client(name: &str, port: &str) -> Result<Finished, Fail> {
    let args = python_args(name, &[port]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    harness::run(&python(), &args, b"")
}

#[test]
fn tutorial_their_client_our_server_is_refused_by_the_limit_and_others_are_served() -> Check {
    if !harness::python3_available() {
        return Ok(());
    }
    let server = Server::start(SERVER, &["127.0.0.1:0"])?;
    let out = their_client("s05_client.py", port_of(server.addr()))?;
    out.expect_code(0, "their client sends, prints one recv(500) and exits")?;
    let printed = out.stdout.join("\n");
    check!(
        printed.contains("error: message too large")
            && printed.contains("\"I lo\"")
            && printed.contains("1226861679"),
        "their client sends `I love wangxiaojing` with no length in front: framing-server reads `I lo` as a big-endian length, 1,226,861,679 bytes, over the 1 MiB limit, and answers one frame `error: message too large ...` naming the header; their client printed {printed:?}"
    );
    server.line_containing("1226861679")?;
    // The refusal cost one connection, nothing more: the next client is served.
    let mut next = connect(server.addr())?;
    next.write_all(b"\x00\x00\x00\x05hello")?;
    check_eq!(
        read_exactly(&mut next, 9)?,
        b"\x00\x00\x00\x05hello".to_vec(),
        "after refusing their client, framing-server serves the next one"
    );
    Ok(())
}

#[test]
fn tutorial_their_client_our_line_server_both_wait_for_a_newline() -> Check {
    if !harness::python3_available() {
        return Ok(());
    }
    let server = Server::start(SERVER, &["127.0.0.1:0", "--mode", "line"])?;
    let args = python_args("s05_client.py", &[port_of(server.addr())]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let client = Proc::spawn(&python(), &args)?;
    server.line_containing("connection from")?;
    // Their message has no \n: the server is still reading the line, and
    // their client waits in recv for a reply. Nothing happens.
    let printed = client.line_within(Duration::from_secs(1));
    check!(
        printed.is_err(),
        "their client sent `I love wangxiaojing` with no \\n, so framing-server --mode line has no whole line to answer; their client must still be waiting, but it printed {printed:?}"
    );
    // Until one side gives up: kill their client (Ctrl-C would do the same).
    drop(client);
    // Killed, their client's socket is closed: the server's read ends in the
    // middle of the 19-byte line it was holding.
    server.line_containing("middle of a line")?;
    Ok(())
}

#[test]
fn tutorial_our_client_their_server_fails_with_one_error_line() -> Check {
    if !harness::python3_available() {
        return Ok(());
    }
    let server = their_server()?;
    let done = harness::run(CLIENT, &[server.addr()], b"I love wangxiaojing\n")?;
    done.expect_code(1, "a reply that is not a frame is a run-time error: exit 1")?;
    done.expect_one_error_line()?;
    let said = done.stderr_text();
    check!(
        said.contains("message too large") && said.contains("\"Rece\""),
        "their server answers `Received msg: ...` with no length in front: framing-client reads `Rece` as a length (1,382,376,293 bytes), over the 1 MiB limit, and says so; it said {said:?}"
    );
    server.line_containing("I love wangxiaojing")?;
    Ok(())
}

#[test]
fn tutorial_our_client_line_mode_their_server_cuts_their_reply_at_our_newline() -> Check {
    if !harness::python3_available() {
        return Ok(());
    }
    let server = their_server()?;
    let done = harness::run(
        CLIENT,
        &[server.addr(), "--mode", "line"],
        b"I love wangxiaojing\nagain\n",
    )?;
    check_eq!(
        done.stdout.first().map(String::as_str),
        Some("Received msg: I love wangxiaojing"),
        "their reply quotes our message, our \\n included: framing-client --mode line takes the text up to that \\n as the whole reply"
    );
    done.expect_code(1, "the second reply cannot be read: exit 1")?;
    done.expect_one_error_line()?;
    // The rest of their reply, ` from (...)`, has no \n, and their server
    // closed after it. Our second line reached a closed socket, whose kernel
    // answers with a reset; which one our read meets first, the end of the
    // stream or that reset, is a matter of timing.
    let said = done.stderr_text();
    check!(
        said.contains("middle of a line") || said.contains("reset"),
        "after the cut reply framing-client finds a line with no \\n and a closed connection: it should say the stream ended in the middle of a message (or was reset); it said {said:?}"
    );
    Ok(())
}

#[test]
fn tutorial_their_framed_client_our_server_works() -> Check {
    if !harness::python3_available() {
        return Ok(());
    }
    let server = Server::start(SERVER, &["127.0.0.1:0"])?;
    let out = their_client("s05_client_framed.py", port_of(server.addr()))?;
    out.expect_code(
        0,
        "their framed client sends three messages and prints three replies",
    )?;
    check_eq!(
        out.stdout,
        vec!["I love wangxiaojing".to_string(), "你好".into(), "q".into()],
        "struct.pack('>I', len(body)) + body is exactly framing-server's framing: every reply comes back whole"
    );
    server.line_containing("closed the connection")?;
    Ok(())
}

#[test]
fn tutorial_our_client_naive_our_server_one_recv_holds_all_three_messages() -> Check {
    // The tutorial's reader (one recv(1024) taken as one message), in
    // framing-client --naive, against the echo server: no Python needed.
    for mode in ["length", "line"] {
        let server = Server::start(SERVER, &["127.0.0.1:0", "--mode", mode])?;
        let done = harness::run(
            CLIENT,
            &[server.addr(), "--naive", "--mode", mode],
            b"hello\nworld\nagain\n",
        )?;
        done.expect_code(0, "framing-client --naive ends normally")?;
        let out = done.stdout.join("\n");
        let first = done
            .stdout
            .iter()
            .find(|l| l.contains("message 1?"))
            .ok_or_else(|| {
                Fail(format!(
                    "--naive prints the first recv as `recv(1024), message 1? ...`; it printed:\n{out}"
                ))
            })?;
        check!(
            ["hello", "world", "again"]
                .iter()
                .all(|m| first.contains(m)),
            "--mode {mode} --naive: the three echoes were all there, so the tutorial's first recv(1024) holds all three messages (粘包); it printed:\n{out}"
        );
        check!(
            done.stdout.iter().any(|l| l.contains("message 2?")),
            "--mode {mode} --naive: the tutorial's reader would wait for ever for a message 2 that already came; --naive should say so; it printed:\n{out}"
        );
        server.line_containing("again")?;
        // --naive waits for the echoes only until they are all in, never its
        // whole 2 s allowance, with a server that answers at once.
        check!(
            done.took < Duration::from_millis(1500),
            "--mode {mode} --naive took {:?}: it should read as soon as every echo is in",
            done.took
        );
    }
    // One message: the first recv holds it all, and there is no message 2
    // to wait for.
    let server = Server::start(SERVER, &["127.0.0.1:0"])?;
    let done = harness::run(CLIENT, &[server.addr(), "--naive"], b"alone\n")?;
    done.expect_code(0, "framing-client --naive ends normally")?;
    check!(
        done.stdout
            .iter()
            .any(|l| l.contains("message 1?") && l.contains("alone"))
            && !done.stdout.iter().any(|l| l.contains("message 2?")),
        "--naive with one message: its recv holds it, and no message 2 is waited for; it printed {:?}",
        done.stdout
    );
    // A server whose echoes come 150 ms apart: --naive lets them all arrive
    // before its recv(1024), so the demonstration does not hang on timing.
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?.to_string();
    let slow = std::thread::spawn(move || -> Result<(), Fail> {
        let (mut conn, _) = listener.accept()?;
        conn.set_read_timeout(Some(harness::TIMEOUT))?;
        let batch = read_exactly(&mut conn, 3 * (4 + 5))?;
        for echo in batch.chunks(4 + 5) {
            conn.write_all(echo)?;
            std::thread::sleep(Duration::from_millis(150));
        }
        Ok(())
    });
    let done = harness::run(CLIENT, &[&addr, "--naive"], b"hello\nworld\nagain\n")?;
    let _ = slow.join();
    done.expect_code(0, "framing-client --naive ends normally")?;
    check!(
        done.stdout
            .iter()
            .any(|l| l.contains("message 1?") && l.contains("hello") && l.contains("again")),
        "--naive waits (peek, up to 2 s) until every echo is in before its recv(1024): echoes 150 ms apart must still show all three in one recv; it printed {:?}",
        done.stdout
    );
    Ok(())
}
