//! Exercise checks for stage 3, `tcp-threaded`. Run them rung by rung:
//! `cargo test -p tcp-threaded step1`, then `step2`, ... then all of them.
//!
//! Each check runs the real binaries (the server on port 0) and talks to
//! them over loopback, as a student's own client would.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use harness::{Check, Fail, Proc, Server, check, check_eq, connect, read_exactly, read_to_close};

const SERVER: &str = env!("CARGO_BIN_EXE_tcp-threaded-server");
const CLIENT: &str = env!("CARGO_BIN_EXE_tcp-threaded-client");

fn start() -> Result<Server, Fail> {
    Server::start(SERVER, &["127.0.0.1:0"])
}

/// Sends `message` and reads back exactly as many bytes.
fn echo(stream: &mut TcpStream, message: &[u8]) -> Result<Vec<u8>, Fail> {
    stream.write_all(message)?;
    read_exactly(stream, message.len()).map_err(|e| {
        Fail(format!(
            "sent {} bytes and waited for the echo: {e}. Does the conversation loop write back the bytes of every read?",
            message.len()
        ))
    })
}

/// Sends `message` and checks the echo is the same bytes.
fn round_trip(stream: &mut TcpStream, message: &[u8]) -> Check {
    let got = echo(stream, message)?;
    check_eq!(
        got,
        message.to_vec(),
        "the server must echo back exactly the bytes it read"
    );
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
    let help = harness::run(SERVER, &["--help"], b"")?;
    help.expect_code(0, "--help prints the usage and exits 0")?;
    for args in [
        &["not-an-address"][..],
        &["--nope"],
        &["127.0.0.1:0", "extra"],
    ] {
        let bad = harness::run(SERVER, args, b"")?;
        bad.expect_code(2, &format!("a bad command line {args:?} exits 2"))?;
    }
    Ok(())
}

#[test]
fn step2_echoes_a_message() -> Check {
    let server = start()?;
    let mut stream = connect(server.addr())?;
    round_trip(&mut stream, b"hello")
}

#[test]
fn step2_echoes_any_bytes_exactly_not_only_text() -> Check {
    let server = start()?;
    let mut stream = connect(server.addr())?;
    // Every byte value once, `q` excepted: not UTF-8, with NULs and escapes.
    let all: Vec<u8> = (0..=255u8).filter(|&b| b != b'q').collect();
    round_trip(&mut stream, &all)?;
    round_trip(&mut stream, "你好, ünïcode".as_bytes())
}

#[test]
fn step3_the_conversation_goes_on_until_the_client_leaves() -> Check {
    let server = start()?;
    let mut stream = connect(server.addr())?;
    for i in 0..5 {
        round_trip(&mut stream, format!("message {i}").as_bytes()).map_err(|e| {
            Fail(format!(
                "message {i} of one conversation: {e}\n(after the first reply the server must keep reading from the same client: an inner loop)"
            ))
        })?;
    }
    Ok(())
}

#[test]
fn step3_a_message_longer_than_one_read_is_echoed_whole() -> Check {
    let server = start()?;
    let mut stream = connect(server.addr())?;
    // 10 reads of at most 1024 bytes: every one must be echoed, in order.
    let long: Vec<u8> = (0..10_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    round_trip(&mut stream, &long)
}

#[test]
fn step4_q_ends_the_conversation() -> Check {
    let server = start()?;
    let mut stream = connect(server.addr())?;
    round_trip(&mut stream, b"before q")?;
    // Surrounding whitespace is ignored, as the tutorial's strip() does.
    stream.write_all(b"  q \r\n")?;
    let after = read_to_close(&mut stream).map_err(|e| {
        Fail(format!(
            "{e}\n(a read that is `q`, whitespace trimmed, must end the conversation: leave the inner loop and close)"
        ))
    })?;
    check_eq!(
        after,
        b"".to_vec(),
        "after `q` the server closes without echoing it"
    );
    server.line_containing("sent q")?;
    Ok(())
}

#[test]
fn step4_a_client_that_closes_ends_the_conversation() -> Check {
    let server = start()?;
    let mut stream = connect(server.addr())?;
    stream.write_all(b"last words")?;
    // Half-close: "I am done sending", while still reading the reply.
    stream.shutdown(Shutdown::Write)?;
    let got = read_to_close(&mut stream).map_err(|e| {
        Fail(format!(
            "{e}\n(a read returning 0 bytes means the client closed: leave the inner loop, like the tutorial's `if len(data) == 0: break`)"
        ))
    })?;
    check_eq!(
        got,
        b"last words".to_vec(),
        "what came before the client's close is still echoed"
    );
    Ok(())
}

#[test]
fn step5_serves_the_next_client_after_one_leaves() -> Check {
    let server = start()?;
    for i in 0..3 {
        let mut stream = connect(server.addr())?;
        round_trip(&mut stream, format!("client {i}").as_bytes()).map_err(|e| {
            Fail(format!(
                "client {i}, after {i} earlier clients left: {e}\n(the server must go back to accept() after a conversation: an outer loop)"
            ))
        })?;
        if i % 2 == 0 {
            stream.write_all(b"q")?;
        }
    }
    Ok(())
}

#[test]
fn step5_two_clients_are_served_at_the_same_time() -> Check {
    let server = start()?;
    let mut first = connect(server.addr())?;
    round_trip(&mut first, b"first")?;
    // The first client stays connected and silent: the server is waiting in
    // read() on its connection. A second client must still be served.
    let mut second = connect(server.addr())?;
    second.set_read_timeout(Some(Duration::from_secs(2)))?;
    second.write_all(b"second")?;
    let mut got = [0u8; 6];
    let answered = second.read_exact(&mut got);
    check!(
        answered.is_ok(),
        "the second client got no reply within 2 s while the first was still connected: the server is serving one client at a time, like stage 2. Give each accepted connection its own thread (std::thread::Builder::spawn) and go straight back to accept()"
    );
    check_eq!(
        got.to_vec(),
        b"second".to_vec(),
        "the second client gets its own echo"
    );
    round_trip(&mut first, b"first still served")?;
    Ok(())
}

#[test]
fn step5_200_clients_at_once_each_get_their_own_bytes_back() -> Check {
    const CLIENTS: usize = 200;
    const ROUNDS: usize = 5;
    let server = start()?;
    let addr: std::net::SocketAddr = server.addr().parse().map_err(|e| {
        Fail(format!(
            "the server printed an address that does not parse: {e}"
        ))
    })?;
    // Every client connects first; only when all are connected does any of
    // them talk, so all 200 conversations are open at the same time.
    let all_connected = Arc::new(Barrier::new(CLIENTS));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let all_connected = all_connected.clone();
            thread::Builder::new()
                .stack_size(64 * 1024)
                .spawn(move || -> Check {
                    let connected = TcpStream::connect_timeout(&addr, harness::TIMEOUT);
                    all_connected.wait();
                    let mut stream = connected?;
                    stream.set_read_timeout(Some(harness::TIMEOUT))?;
                    stream.set_write_timeout(Some(harness::TIMEOUT))?;
                    for round in 0..ROUNDS {
                        // Unique per client and round, and not all UTF-8.
                        let mut message = format!("client {i} round {round} ").into_bytes();
                        message.extend_from_slice(&[0xff, 0x00, i as u8, round as u8]);
                        let got = echo(&mut stream, &message)
                            .map_err(|e| Fail(format!("client {i}, round {round}: {e}")))?;
                        check_eq!(
                            got,
                            message,
                            "client {i}, round {round}: the echo must be this client's own bytes"
                        );
                    }
                    Ok(())
                })
                .map_err(|e| Fail(format!("the check cannot start a thread: {e}")))
        })
        .collect::<Result<_, _>>()?;
    let mut failures = Vec::new();
    for client in clients {
        match client.join() {
            Ok(Ok(())) => {}
            Ok(Err(fail)) => failures.push(fail.0),
            Err(_) => failures.push("a client thread of the check panicked".into()),
        }
    }
    check!(
        failures.is_empty(),
        "{} of {CLIENTS} concurrent clients failed (a thread per client serves them all at once); the first: {}",
        failures.len(),
        failures.first().map(String::as_str).unwrap_or("")
    );
    Ok(())
}

#[test]
fn step6_the_client_sends_each_line_and_prints_each_reply() -> Check {
    let server = start()?;
    let done = harness::run(
        CLIENT,
        &[server.addr()],
        b"hello\n  spaced out  \n\nworld\nq\nnever sent\n",
    )?;
    done.expect_code(0, "the client ends normally after `q`")?;
    check_eq!(
        done.stdout,
        vec!["hello".to_string(), "spaced out".into(), "world".into()],
        "the client prints one reply per non-empty line (trimmed), and nothing after q"
    );
    server.line_containing("sent q")?;
    Ok(())
}

#[test]
fn step6_the_client_talks_as_you_type() -> Check {
    let server = start()?;
    let mut client = Proc::spawn(CLIENT, &[server.addr()])?;
    for word in ["one", "two"] {
        client.send_line(word)?;
        check_eq!(
            client.line()?,
            word,
            "each line typed is answered before the next"
        );
    }
    client.close_stdin();
    client
        .wait()?
        .expect_code(0, "end of input (Ctrl-D) ends the client like q")?;
    Ok(())
}

/// A server that is not ours: for every read it gets, it writes what
/// `answer` makes of it, as a tutorial server whose person types replies of
/// any length would. Returns its address.
fn other_server(answer: fn(&[u8]) -> Vec<u8>) -> Result<String, Fail> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?.to_string();
    thread::spawn(move || -> Result<(), Fail> {
        let (mut conn, _) = harness::accept_within(&listener)?;
        let mut buf = [0u8; 1024];
        loop {
            let n = conn.read(&mut buf)?;
            if n == 0 {
                return Ok(());
            }
            conn.write_all(&answer(&buf[..n]))?;
        }
    });
    Ok(addr)
}

/// Runs the library's `round_trip` once against `addr`, giving up after
/// harness::TIMEOUT instead of hanging the check.
fn library_round_trip(addr: &str, message: &'static [u8]) -> Result<Vec<u8>, Fail> {
    let mut stream = connect(addr)?;
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(tcp_threaded::round_trip(&mut stream, message));
    });
    match rx.recv_timeout(harness::TIMEOUT) {
        Ok(got) => Ok(got?),
        Err(_) => Err(Fail(format!(
            "round_trip({:?}) did not return within {} s: it waits for bytes the server will never send (a reply may be shorter than the message: stop reading when the server goes quiet)",
            String::from_utf8_lossy(message),
            harness::TIMEOUT.as_secs()
        ))),
    }
}

#[test]
fn step6_round_trip_returns_a_long_reply_whole_not_one_recv_of_it() -> Check {
    // A 3000-byte echo needs at least three reads of 1024 bytes.
    let addr = other_server(|message| message.to_vec())?;
    static LONG: [u8; 3000] = [b'x'; 3000];
    let got = library_round_trip(&addr, &LONG)?;
    check!(
        got.len() == LONG.len(),
        "round_trip returned {} of the 3000 bytes the server echoed: one recv(1024) is not the whole reply; keep reading while more arrives",
        got.len()
    );
    Ok(())
}

#[test]
fn step6_round_trip_returns_a_reply_shorter_than_the_message() -> Check {
    // A person at the server typed "ok" in answer to a longer message.
    let addr = other_server(|_| b"ok".to_vec())?;
    let got = library_round_trip(&addr, b"hello, are you there?")?;
    check_eq!(
        got,
        b"ok".to_vec(),
        "a typed reply need not be as long as the message"
    );
    Ok(())
}

#[test]
fn step6_round_trip_returns_a_reply_longer_than_the_message_whole() -> Check {
    let addr = other_server(|_| vec![b'y'; 2500])?;
    let got = library_round_trip(&addr, b"hi")?;
    check!(
        got == vec![b'y'; 2500],
        "the server answered `hi` with 2500 bytes; round_trip returned {} of them: keep reading until the server goes quiet, not until as many bytes as were sent came back",
        got.len()
    );
    Ok(())
}

#[test]
fn step6_the_client_prints_replies_of_any_length_and_never_hangs() -> Check {
    let addr = other_server(|message| match message.trim_ascii() {
        b"hello" => b"hi, who is this?\n".to_vec(),
        _ => b"ok\n".to_vec(),
    })?;
    let started = Instant::now();
    let done = harness::run(CLIENT, &[&addr], b"hello\nit's me, your client\nq\n")?;
    done.expect_code(0, "the client ends normally after `q`")?;
    check_eq!(
        done.stdout,
        vec!["hi, who is this?".to_string(), "ok".into()],
        "the client prints each reply, whatever its length"
    );
    check!(
        started.elapsed() < Duration::from_secs(3),
        "two short replies took {:?}: the client waits for bytes the server will not send",
        started.elapsed()
    );
    Ok(())
}

#[test]
fn step6_the_client_reports_a_server_that_is_not_there() -> Check {
    // A port that nothing listens on and nothing else can take meanwhile
    // (binding port 0 and dropping the listener would free it for anyone).
    let (_closed, addr) = harness::closed_port()?;
    let done = harness::run(CLIENT, &[&addr], b"hello\n")?;
    done.expect_code(1, "connection refused is a run-time error: exit 1")?;
    done.expect_one_error_line()
}

#[test]
fn step7_ctrl_c_while_waiting_for_a_client() -> Check {
    let server = start()?;
    let asked = server.ctrl_c()?;
    server.expect_prompt_exit(asked, "served 0")?;
    Ok(())
}

#[test]
fn step7_ctrl_c_with_clients_connected_closes_them() -> Check {
    let server = start()?;
    let mut streams = Vec::new();
    for i in 0..3 {
        let mut stream = connect(server.addr())?;
        round_trip(&mut stream, format!("client {i}").as_bytes())?;
        streams.push(stream);
    }
    let asked = server.ctrl_c()?;
    for (i, stream) in streams.iter_mut().enumerate() {
        let rest = read_to_close(stream).map_err(|e| {
            Fail(format!(
                "client {i}: {e}\n(on Ctrl-C the server must close every connected client: kit::Stop::close_on_stop in each thread)"
            ))
        })?;
        check_eq!(rest, b"".to_vec(), "nothing more comes after Ctrl-C");
    }
    server.expect_prompt_exit(asked, "served 3")?;
    Ok(())
}

#[test]
fn step8_a_client_that_resets_does_not_stop_the_server() -> Check {
    let server = start()?;
    let mut rude = connect(server.addr())?;
    rude.write_all(b"echo me")?;
    // Wait until the echo is in our receive buffer, then close without
    // reading it: the kernel answers with a reset (RST) instead of FIN.
    rude.peek(&mut [0u8; 1])?;
    drop(rude);
    let mut next = connect(server.addr())?;
    round_trip(&mut next, b"still there?").map_err(|e| {
        Fail(format!(
            "{e}\n(a reset is an error on that one connection only: log it and go back to accept(), like the tutorial's `except ConnectionResetError`)"
        ))
    })
}

#[test]
fn step8_a_client_that_is_killed_does_not_stop_the_server() -> Check {
    let server = start()?;
    let mut client = Proc::spawn(CLIENT, &[server.addr()])?;
    client.send_line("hi")?;
    client.line()?;
    drop(client); // killed: the kernel closes its socket
    let mut next = connect(server.addr())?;
    round_trip(&mut next, b"next")
}

#[test]
fn step8_a_client_that_resets_does_not_disturb_the_others() -> Check {
    let server = start()?;
    let mut calm = connect(server.addr())?;
    round_trip(&mut calm, b"before")?;
    let mut rude = connect(server.addr())?;
    rude.write_all(b"echo me")?;
    rude.peek(&mut [0u8; 1])?;
    drop(rude); // unread data: the kernel sends a reset
    server.line_containing("reset")?;
    round_trip(&mut calm, b"after").map_err(|e| {
        Fail(format!(
            "{e}\n(a reset ends only that client's thread; the others go on)"
        ))
    })
}

#[test]
fn step8_a_client_that_stops_reading_blocks_only_its_own_thread() -> Check {
    let server = start()?;
    let mut stuck = connect(server.addr())?;
    stuck.set_write_timeout(Some(Duration::from_millis(200)))?;
    // Send and never read: the echoes fill our receive buffer, then the
    // server's send buffer, and its write_all() for this client blocks.
    let chunk = vec![b'x'; 64 * 1024];
    let mut sent = 0usize;
    loop {
        match stuck.write(&chunk) {
            Ok(n) => sent += n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => break,
            Err(e) => return Err(e.into()),
        }
        check!(
            sent < 1 << 30,
            "1 GiB sent without the server ever blocking: is it reading without echoing?"
        );
    }
    let mut other = connect(server.addr())?;
    round_trip(&mut other, b"not stuck")?;
    // The stuck thread is blocked in write(), not read(): Ctrl-C must still
    // end it promptly (shutting the connection down makes the write fail).
    let asked = server.ctrl_c()?;
    server.expect_prompt_exit(asked, "served 2")?;
    Ok(())
}

#[test]
fn step8_a_port_in_use_is_one_clear_error() -> Check {
    let taken = TcpListener::bind("127.0.0.1:0")?;
    let addr = taken.local_addr()?.to_string();
    let done = harness::run(SERVER, &[&addr], b"")?;
    done.expect_code(1, "a port in use is a run-time error: exit 1")?;
    done.expect_one_error_line()
}

/// A child process killed when dropped, so a failing check leaves none behind.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn step7_a_server_whose_output_is_closed_stops_with_one_error_line() -> Check {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    // `tcp-threaded-server | head -1`: the reader of its output goes away
    // after the first line, and the next log line has nowhere to go.
    let mut child = KillOnDrop(
        Command::new(SERVER)
            .arg("127.0.0.1:0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?,
    );
    let stdout = child
        .0
        .stdout
        .take()
        .ok_or_else(|| Fail::new("no stdout pipe"))?;
    let mut first = String::new();
    BufReader::new(stdout).read_line(&mut first)?; // then dropped: closed
    let addr = first
        .trim()
        .strip_prefix("listening on ")
        .ok_or_else(|| Fail(format!("first line was {first:?}")))?
        .to_string();
    // The server logs each connection: that write finds the pipe closed.
    // (Another check's process, forked at that moment and not yet started,
    // may hold a copy of the pipe for a few milliseconds, and a line written
    // then still fits: so connect again until the server has stopped.)
    let started = std::time::Instant::now();
    let mut clients = Vec::new();
    let status = loop {
        if let Some(status) = child.0.try_wait()? {
            break status;
        }
        if let Ok(mut stream) = TcpStream::connect(&addr) {
            let _ = stream.write_all(b"hello");
            clients.push(stream);
        }
        check!(
            started.elapsed() < harness::TIMEOUT,
            "with its standard output closed, the server went on for {:?} after a client connected; it should stop (kit::run handles this, if main goes through it)",
            harness::TIMEOUT
        );
        thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    if let Some(mut pipe) = child.0.stderr.take() {
        pipe.read_to_string(&mut stderr)?;
    }
    check_eq!(
        status.code(),
        Some(1),
        "a server whose output is closed stops with exit 1 (stderr: {stderr:?})"
    );
    let lines: Vec<&str> = stderr.lines().collect();
    check!(
        lines.len() == 1 && lines[0].starts_with("error: ") && !stderr.contains("panicked"),
        "a server whose output is closed says so in one `error: ...` line, no panic report; stderr was {stderr:?}"
    );
    Ok(())
}

/// Starts a `--stdin` server: each reply is a line written to its stdin.
fn start_typing() -> Result<Server, Fail> {
    Server::start(SERVER, &["127.0.0.1:0", "--stdin"])
}

#[test]
fn step9_with_stdin_each_reply_is_the_line_typed_at_the_server() -> Check {
    let mut server = start_typing()?;
    let mut stream = connect(server.addr())?;
    stream.write_all(b"hello")?;
    server.line_containing("sent 5 bytes")?;
    server.send_line("hi there, typed")?;
    let got = read_exactly(&mut stream, 15).map_err(|e| {
        Fail(format!(
            "{e}\n(with --stdin the server answers each message with one line read from its own stdin, without the newline)"
        ))
    })?;
    check_eq!(
        got,
        b"hi there, typed".to_vec(),
        "the reply is the typed line"
    );
    stream.write_all(b"and again")?;
    server.send_line("second")?;
    let got = read_exactly(&mut stream, 6)?;
    check_eq!(
        got,
        b"second".to_vec(),
        "one typed line answers each message"
    );
    Ok(())
}

#[test]
fn step9_the_prompt_says_whose_message_it_answers() -> Check {
    let mut server = start_typing()?;
    let mut stream = connect(server.addr())?;
    let me = stream.local_addr()?.to_string();
    stream.write_all(b"hello")?;
    server.send_line("hi")?;
    read_exactly(&mut stream, 2)?;
    // The prompt has no newline (like input()'s), so it starts the next line.
    stream.write_all(b"q")?;
    let line = server.line_containing("reply to")?;
    check!(
        line.contains(&format!("reply to {me} (hello)>")),
        "with --stdin the server prompts `reply to {me} (hello)> ` (who sent what) before reading the reply, like input(); it printed {line:?}"
    );
    Ok(())
}

#[test]
fn step9_an_empty_typed_line_is_not_sent_and_the_server_asks_again() -> Check {
    let mut server = start_typing()?;
    let mut stream = connect(server.addr())?;
    stream.write_all(b"hello")?;
    server.send(b"\n\nafter two empty lines\n")?;
    let got = read_exactly(&mut stream, 21).map_err(|e| {
        Fail(format!(
            "{e}\n(an empty line would send 0 bytes, which is nothing at all: the client would wait forever; ask again instead)"
        ))
    })?;
    check_eq!(
        got,
        b"after two empty lines".to_vec(),
        "empty lines are skipped"
    );
    Ok(())
}

#[test]
fn step9_stdin_closed_ends_that_conversation_not_the_server() -> Check {
    let mut server = start_typing()?;
    let mut stream = connect(server.addr())?;
    stream.write_all(b"hello")?;
    server.close_stdin();
    let rest = read_to_close(&mut stream).map_err(|e| {
        Fail(format!(
            "{e}\n(with stdin closed no reply can ever be typed: end the conversation and close the connection)"
        ))
    })?;
    check_eq!(rest, b"".to_vec(), "no reply can be typed, so none is sent");
    let mut next = connect(server.addr())?;
    next.write_all(b"anyone?")?;
    let rest = read_to_close(&mut next)?;
    check_eq!(
        rest,
        b"".to_vec(),
        "the next client is accepted, and closed the same way"
    );
    Ok(())
}

#[test]
fn step9_ctrl_c_at_the_reply_prompt_exits_0_at_once() -> Check {
    let server = start_typing()?;
    let mut stream = connect(server.addr())?;
    stream.write_all(b"hello")?;
    server.line_containing("sent 5 bytes")?;
    let asked = server.ctrl_c()?;
    server.expect_prompt_exit(asked, "stopped by Ctrl-C")?;
    Ok(())
}

#[test]
fn step9_with_two_clients_each_typed_line_answers_the_client_its_prompt_names() -> Check {
    let mut server = start_typing()?;
    let mut alice = connect(server.addr())?;
    let mut bob = connect(server.addr())?;
    let (alice_addr, bob_addr) = (alice.local_addr()?, bob.local_addr()?);
    alice.write_all(b"from alice")?;
    bob.write_all(b"from bob")?;
    // Both threads want a reply typed; the two lines wait in the pipe.
    server.send_line("answer 0")?;
    server.send_line("answer 1")?;
    let alice_got = read_exactly(&mut alice, 8)?;
    let bob_got = read_exactly(&mut bob, 8)?;
    check!(
        alice_got != bob_got,
        "both clients got {alice_got:?}: one typed line answers one message"
    );
    // Which client got which line is up to the threads; the prompts must say
    // it: the first prompt names the client that got `answer 0`.
    alice.write_all(b"q")?;
    bob.write_all(b"q")?;
    let mut log = Vec::new();
    while log
        .iter()
        .filter(|l: &&String| l.contains("sent q"))
        .count()
        < 2
    {
        log.push(server.line()?);
    }
    let log = log.join("\n");
    let first_prompt = log
        .find("reply to ")
        .map(|at| &log[at..])
        .and_then(|rest| rest.split(')').next())
        .unwrap_or("(no prompt)");
    let first_answered = if alice_got == b"answer 0" {
        alice_addr
    } else {
        bob_addr
    };
    check!(
        first_prompt.starts_with(&format!("reply to {first_answered} (")),
        "the first prompt should name {first_answered}, the client that got the first typed line; it was {first_prompt:?} (hold stdin while prompting and reading, so a prompt and its line belong together)"
    );
    Ok(())
}
