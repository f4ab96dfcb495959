//! Exercise checks for stage 1, `tcp-single`, in the order a student builds it.
//!
//! Run one rung at a time: `cargo test -p tcp-single step1`, then `step2`, ...
//! All of them: `cargo test -p tcp-single`. Every check binds port 0, waits for
//! lines rather than sleeping, and fails after a few seconds at most.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener};
use std::thread;
use std::time::Duration;

use harness::{
    Check, Fail, Server, accept_within, check, check_eq, closed_port, connect, read_to_close,
};
use kit::Stop;
use tcp_single::{RECV_SIZE, Served, request, serve_one};

const SERVER: &str = env!("CARGO_BIN_EXE_tcp-single-server");
const CLIENT: &str = env!("CARGO_BIN_EXE_tcp-single-client");

/// The contract: a stopped server is gone within one second. A little slack
/// for process start-up on a busy machine; kit exits with code 1 anyway if a
/// server is still running 0.9 s after the signal.
const STOP_LIMIT: Duration = Duration::from_millis(1500);

type ServerThread = thread::JoinHandle<std::io::Result<Option<Served>>>;

/// Runs `serve_one` with an echo reply on a fresh port-0 listener, on a
/// thread; returns the address to connect to and the thread.
fn echo_server() -> Result<(String, ServerThread), Fail> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?.to_string();
    let handle =
        thread::spawn(move || serve_one(&listener, &Stop::new(), |_, msg| Ok(msg.to_vec())));
    Ok((addr, handle))
}

/// Reads until the server closes or resets: what a client can read of its reply.
fn read_reply(stream: &mut std::net::TcpStream) -> Result<(Vec<u8>, bool), Fail> {
    let mut reply = Vec::new();
    match stream.read_to_end(&mut reply) {
        Ok(_) => Ok((reply, false)),
        Err(e) if e.kind() == ErrorKind::ConnectionReset => Ok((reply, true)),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            Err(Fail(format!(
                "got {:?} and then waited {} s for the server to close the connection; a server must close (drop) the connection after replying",
                String::from_utf8_lossy(&reply),
                harness::TIMEOUT.as_secs()
            )))
        }
        Err(e) => Err(e.into()),
    }
}

#[test]
fn step1_server_prints_listening_on_with_the_port_the_os_chose() -> Check {
    let server = Server::start(SERVER, &["127.0.0.1:0"])?;
    let port = server
        .addr()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse::<u16>().ok());
    check!(
        matches!(port, Some(p) if p != 0),
        "`listening on {}` should end with the port the OS picked (print listener.local_addr())",
        server.addr()
    );
    connect(server.addr()).map_err(|e| {
        Fail(format!(
            "the server printed its address but does not accept connections on it: {e}"
        ))
    })?;
    Ok(())
}

#[test]
fn step2_serve_one_reads_once_and_echoes_the_message() -> Check {
    let (addr, server) = echo_server()?;
    let mut stream = connect(&addr)?;
    stream.write_all(b"hello")?;
    // No shutdown(Write) here, like the tutorial's client: the server must
    // answer after its one read, not wait for the client to finish.
    let (reply, _) = read_reply(&mut stream).map_err(|e| {
        Fail(format!(
            "{e}\n  hint: read once (`conn.read(&mut buf)`, Python's recv(1024)); read_to_end would wait for the client to close, and the client is waiting for you"
        ))
    })?;
    check_eq!(
        String::from_utf8_lossy(&reply),
        "hello",
        "serve_one should send back exactly the bytes it read"
    );
    let served = server.join().map_err(|_| "serve_one panicked")??;
    let served = served.ok_or("serve_one returned None although no stop was requested")?;
    check_eq!(
        String::from_utf8_lossy(&served.message),
        "hello",
        "Served.message should hold the bytes the client sent"
    );
    Ok(())
}

#[test]
fn step2_request_sends_the_message_and_returns_the_whole_reply() -> Check {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?.to_string();
    let client = thread::spawn(move || request(&addr, b"ping"));
    let (mut conn, _) = accept_within(&listener)?;
    let mut buf = [0u8; 16];
    let n = conn.read(&mut buf)?;
    check_eq!(
        &buf[..n],
        b"ping",
        "request() should write the message to the server"
    );
    // A reply in two writes: the client must read until the server closes.
    conn.write_all(b"po")?;
    conn.flush()?;
    conn.write_all(b"ng")?;
    drop(conn);
    let reply = client.join().map_err(|_| "request() panicked")??;
    check_eq!(
        String::from_utf8_lossy(&reply.bytes),
        "pong",
        "request() should return every byte sent before the server closed"
    );
    check!(
        !reply.reset,
        "the server closed normally, so reset should be false"
    );
    Ok(())
}

#[test]
fn step3_the_server_binary_echoes_closes_and_exits_0() -> Check {
    let server = Server::start(SERVER, &["127.0.0.1:0"])?;
    let mut stream = connect(server.addr())?;
    stream.write_all(b"hello there")?;
    let reply = read_to_close(&mut stream)?;
    check_eq!(
        String::from_utf8_lossy(&reply),
        "hello there",
        "the server should echo the message back"
    );
    server.line_containing("hello there")?;
    let done = server.proc.wait()?;
    done.expect_code(
        0,
        "after serving its one client, tcp-single-server exits with code 0",
    )?;
    Ok(())
}

#[test]
fn step4_the_client_sends_its_words_and_prints_the_reply() -> Check {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?.to_string();
    let mut client = harness::Proc::spawn(CLIENT, &[&addr, "hello", "world"])?;
    client.close_stdin();
    let (mut conn, _) = accept_within(&listener)?;
    let mut buf = [0u8; 64];
    let n = conn.read(&mut buf)?;
    check_eq!(
        String::from_utf8_lossy(&buf[..n]),
        "hello world",
        "the client should send its words joined by single spaces, with no newline"
    );
    conn.write_all(b"HELLO WORLD")?;
    drop(conn);
    let done = client.wait()?;
    done.expect_code(0, "the client exits 0 after printing the reply")?;
    check_eq!(
        done.stdout,
        vec!["HELLO WORLD".to_string()],
        "the client should print the reply on stdout"
    );
    Ok(())
}

#[test]
fn step4_the_client_sends_one_line_of_stdin_when_given_no_words() -> Check {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?.to_string();
    let mut client = harness::Proc::spawn(CLIENT, &[&addr])?;
    client.send(b"from stdin\nsecond line\n")?;
    client.close_stdin();
    let (mut conn, _) = accept_within(&listener)?;
    let mut buf = [0u8; 64];
    let n = conn.read(&mut buf)?;
    check_eq!(
        String::from_utf8_lossy(&buf[..n]),
        "from stdin",
        "with no words, the client sends the first line of stdin, without its newline"
    );
    conn.write_all(b"ok")?;
    drop(conn);
    client
        .wait()?
        .expect_code(0, "the client exits 0 after printing the reply")?;
    Ok(())
}

#[test]
fn step4_client_and_server_binaries_talk_to_each_other() -> Check {
    let server = Server::start(SERVER, &["127.0.0.1:0"])?;
    let done = harness::run(CLIENT, &[server.addr(), "round", "trip"], b"")?;
    done.expect_code(0, "the client exits 0 after printing the reply")?;
    check_eq!(
        done.stdout,
        vec!["round trip".to_string()],
        "the client prints the server's echo"
    );
    Ok(())
}

#[test]
fn step5_with_stdin_the_server_replies_with_the_line_typed() -> Check {
    let mut server = Server::start(SERVER, &["127.0.0.1:0", "--stdin"])?;
    let mut stream = connect(server.addr())?;
    stream.write_all(b"question?")?;
    server.line_containing("question?")?;
    server.send_line("typed answer")?;
    let reply = read_to_close(&mut stream)?;
    check_eq!(
        String::from_utf8_lossy(&reply),
        "typed answer",
        "with --stdin the reply is one line read from the server's stdin, without its newline"
    );
    server
        .proc
        .wait()?
        .expect_code(0, "the server exits 0 after replying")?;
    Ok(())
}

#[test]
fn step6_a_message_over_1024_bytes_is_cut_to_its_first_1024() -> Check {
    // The tutorial's server reads once, at most 1024 bytes. The rest of a
    // longer message stays unread in the server's receive buffer; closing a
    // socket with unread data makes the kernel send a reset (RST), not FIN.
    let (addr, server) = echo_server()?;
    let message: Vec<u8> = (0..3000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let mut stream = connect(&addr)?;
    stream.write_all(&message)?;
    let (reply, _reset) = read_reply(&mut stream)?;
    check_eq!(
        reply.len(),
        RECV_SIZE,
        "the server reads once with a 1024-byte buffer, so it echoes exactly the first 1024 bytes"
    );
    check!(
        reply == message[..RECV_SIZE],
        "the echo should be the first 1024 bytes of the message, in order"
    );
    server.join().map_err(|_| "serve_one panicked")??;
    Ok(())
}

#[test]
fn step6_the_client_explains_a_reset_after_a_long_message() -> Check {
    let server = Server::start(SERVER, &["127.0.0.1:0"])?;
    let long = "x".repeat(3000);
    let done = harness::run(CLIENT, &[server.addr(), &long], b"")?;
    done.expect_code(
        0,
        "the reply arrived, so the client exits 0 and only adds a note",
    )?;
    check_eq!(
        done.stdout.first().map(|l| l.len()),
        Some(RECV_SIZE),
        "the client prints the 1024 bytes it got back"
    );
    check!(
        done.stderr_text().contains("reset"),
        "the client should say on stderr that the server reset the connection; stderr was {:?}",
        done.stderr
    );
    Ok(())
}

#[test]
fn step6_non_utf8_bytes_come_back_exact_and_are_logged_escaped() -> Check {
    let server = Server::start(SERVER, &["127.0.0.1:0"])?;
    let message = b"caf\xe9 \x1b[2J\xff";
    let mut stream = connect(server.addr())?;
    stream.write_all(message)?;
    let reply = read_to_close(&mut stream)?;
    check_eq!(
        reply,
        message.to_vec(),
        "bytes are bytes: the echo must be exact even when they are not UTF-8"
    );
    let logged = server.line_containing("received")?;
    check!(
        logged.contains(r"caf\xe9 \u{1b}[2J\xff") && !logged.contains('\u{1b}'),
        "the server should log peer bytes with kit::printable, so escape sequences cannot drive the terminal; it logged {logged:?}"
    );
    server
        .proc
        .wait()?
        .expect_code(0, "the server exits 0 after replying")?;
    Ok(())
}

#[test]
fn step6_a_client_that_closes_without_sending_is_not_an_error() -> Check {
    let server = Server::start(SERVER, &["127.0.0.1:0"])?;
    let stream = connect(server.addr())?;
    stream.shutdown(Shutdown::Write)?;
    let mut stream = stream;
    let reply = read_to_close(&mut stream)?;
    check!(
        reply.is_empty(),
        "nothing was sent, so nothing should come back; got {reply:?}"
    );
    server.line_containing("0 bytes")?;
    server.proc.wait()?.expect_code(
        0,
        "a read that returns 0 means the client closed: that is normal, not a failure",
    )?;
    Ok(())
}

#[test]
fn step7_port_in_use_is_one_error_line_and_exit_1() -> Check {
    let taken = TcpListener::bind("127.0.0.1:0")?;
    let addr = taken.local_addr()?.to_string();
    let done = harness::run(SERVER, &[&addr], b"")?;
    done.expect_code(
        1,
        "bind() fails when another socket listens on the port: that is a run-time error, exit 1",
    )?;
    done.expect_one_error_line()?;
    check!(
        done.stderr_text().contains(&addr),
        "the error should name the address that was in use; it was {:?}",
        done.stderr
    );
    Ok(())
}

#[test]
fn step7_the_client_with_nothing_listening_exits_1() -> Check {
    let (_guard, addr) = closed_port()?;
    let done = harness::run(CLIENT, &[&addr, "hello"], b"")?;
    done.expect_code(
        1,
        "connect() is refused when nothing listens: one error line, exit 1",
    )?;
    done.expect_one_error_line()?;
    Ok(())
}

#[test]
fn step7_a_bad_address_or_flag_exits_2_with_the_usage_line() -> Check {
    for args in [&["not-an-address"][..], &["127.0.0.1"], &["--no-such-flag"]] {
        let done = harness::run(SERVER, args, b"")?;
        done.expect_code(
            2,
            &format!(
                "`tcp-single-server {}` is a command-line mistake: exit 2",
                args.join(" ")
            ),
        )?;
        check!(
            done.stderr.len() == 2
                && done.stderr[0].starts_with("error: ")
                && done.stderr[1].starts_with("usage: "),
            "a command-line mistake prints `error: ...` and then the usage line; stderr was {:?}",
            done.stderr
        );
    }
    Ok(())
}

#[test]
fn step7_help_exits_0_and_shows_an_example() -> Check {
    for exe in [SERVER, CLIENT] {
        let done = harness::run(exe, &["--help"], b"")?;
        done.expect_code(0, "--help is not an error")?;
        let text = done.stdout.join("\n");
        check!(
            text.starts_with("usage: ") && text.contains("example"),
            "--help should print the usage line first and an example; it printed {text:?}"
        );
    }
    Ok(())
}

#[test]
fn step8_serve_one_returns_none_when_stopped_while_waiting() -> Check {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let stop = Stop::new();
    stop.wake_accept(&listener)?;
    let waiting = {
        let stop = stop.clone();
        thread::spawn(move || serve_one(&listener, &stop, |_, msg| Ok(msg.to_vec())))
    };
    stop.request();
    let served = waiting.join().map_err(|_| "serve_one panicked")??;
    check!(
        served.is_none(),
        "after a stop request, the connection accept() returns is the wake-up, not a client: check stop.requested() and return None"
    );
    Ok(())
}

#[test]
fn step8_ctrl_c_or_sigterm_while_waiting_for_a_client_exits_0_within_a_second() -> Check {
    for signal in ["INT", "TERM"] {
        let server = Server::start(SERVER, &["127.0.0.1:0"])?;
        server.signal(signal)?;
        let done = server.proc.wait_within(STOP_LIMIT)?;
        done.expect_code(
            0,
            &format!("SIG{signal} while waiting in accept(): the server says so and exits 0"),
        )?;
        check!(
            done.stdout.iter().any(|l| l.contains("stopped")),
            "after SIG{signal} the server prints a one-line summary (saying it stopped); stdout was {:?}",
            done.stdout
        );
    }
    Ok(())
}

#[test]
fn step8_ctrl_c_while_a_client_is_connected_but_silent_exits_0() -> Check {
    let server = Server::start(SERVER, &["127.0.0.1:0"])?;
    let mut stream = connect(server.addr())?;
    server.line_containing("connection from")?;
    server.signal("INT")?;
    let done = server.proc.wait_within(STOP_LIMIT)?;
    done.expect_code(
        0,
        "Ctrl-C while waiting in read(): the connection must be shut down (stop.close_on_stop) so the read returns",
    )?;
    check!(
        read_to_close(&mut stream)?.is_empty(),
        "the silent client gets no reply, only the close"
    );
    Ok(())
}
