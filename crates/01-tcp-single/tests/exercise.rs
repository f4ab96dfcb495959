//! Exercise checks for stage 1, `tcp-single`, in the order a student builds it.
//!
//! The rungs: 1 `serve_one`, 2 `request`, 3 the server's `main` (the
//! functions `cargo practice start 1` turns into `todo!()`); 4 to 8 check the
//! same functions from other sides: the client binary (given), `--stdin`,
//! odd input, users' mistakes, Ctrl-C. Each rung needs only the functions of
//! the rungs up to it. `cargo practice check` climbs them in order; by hand:
//! `cargo test -p tcp-single step1`, then `step2`, ... The `hint:` lines
//! above each check are what `cargo practice hint` shows, one at a time.
//!
//! Every check binds port 0, waits for lines rather than sleeping, and fails
//! after a few seconds at most.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener};
use std::sync::mpsc;
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

/// A function of the student's running on a thread of its own, so that a
/// check can wait for its result with a deadline instead of forever.
struct Running<T>(mpsc::Receiver<thread::Result<T>>);

impl<T: Send + 'static> Running<T> {
    fn spawn(f: impl FnOnce() -> T + Send + 'static) -> Running<T> {
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
        });
        Running(rx)
    }

    /// Its result; a panic (a `todo!()` not written yet, say) or no result
    /// within the harness's TIMEOUT fails with `what` named.
    fn result(self, what: &str) -> Result<T, Fail> {
        match self.0.recv_timeout(harness::TIMEOUT) {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(_)) => Err(Fail(format!("{what} panicked (its message is above)"))),
            Err(_) => Err(Fail(format!(
                "{what} did not return within {} s: is it waiting for something that never comes, or still looping after a read returned 0 (the other side closed)?",
                harness::TIMEOUT.as_secs()
            ))),
        }
    }
}

type ServerThread = Running<std::io::Result<Option<Served>>>;

/// Runs `serve_one` with an echo reply on a fresh port-0 listener, on a
/// thread; returns the address to connect to and the thread.
fn echo_server() -> Result<(String, ServerThread), Fail> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?.to_string();
    let handle =
        Running::spawn(move || serve_one(&listener, &Stop::new(), |_, msg| Ok(msg.to_vec())));
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

/// hint: `serve_one` is the tutorial's server after `listen()`: `accept()` one
/// client, `read` once into a buffer of RECV_SIZE (1024) bytes, write back what
/// `reply(peer, &message)` returns, and return `Ok(Some(Served { .. }))`.
/// hint-zh: `serve_one` 就是教程里 `listen()` 之后的那段服务端代码：`accept()` 一个客户端，
/// 用一个 RECV_SIZE（1024）字节的缓冲区 `read` 一次，把 `reply(peer, &message)` 的返回值写
/// 回去，然后返回 `Ok(Some(Served { .. }))`。
/// hint: `let (mut conn, peer) = listener.accept()?;` then
/// `let mut buf = [0u8; RECV_SIZE]; let n = conn.read(&mut buf)?;`: the message is
/// `buf[..n]`. Not `read_to_end`: it waits until the client closes, and this client
/// is waiting for your reply.
/// hint-zh: 先 `let (mut conn, peer) = listener.accept()?;`，再 `let mut buf = [0u8;
/// RECV_SIZE]; let n = conn.read(&mut buf)?;`：消息就是 `buf[..n]`。别用 `read_to_end`：它
/// 要等客户端关闭才返回，而这个客户端正等着你的回复。
/// hint: Then `let answer = reply(peer, &message)?; conn.write_all(&answer)?;` and
/// return `Ok(Some(Served { peer, message, reply: answer }))`. `conn` is dropped
/// when the function returns: that closes the connection, and the client's read
/// returns 0.
/// hint-zh: 然后 `let answer = reply(peer, &message)?; conn.write_all(&answer)?;`，再返回
/// `Ok(Some(Served { peer, message, reply: answer }))`。函数返回时 `conn` 被 drop：连接随之
/// 关闭，客户端的 read 返回 0。
#[test]
fn step1_serve_one_reads_once_and_echoes_the_message() -> Check {
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
    let served = server.result("serve_one")??;
    let served = served.ok_or("serve_one returned None although no stop was requested")?;
    check_eq!(
        String::from_utf8_lossy(&served.message),
        "hello",
        "Served.message should hold the bytes the client sent"
    );
    check_eq!(
        String::from_utf8_lossy(&served.reply),
        "hello",
        "Served.reply should hold the bytes written back"
    );
    check_eq!(
        served.peer,
        stream.local_addr()?,
        "Served.peer should be the client's address, as accept() returned it"
    );
    Ok(())
}

/// hint: `request` is the tutorial's client: `TcpStream::connect(addr)?`, then
/// `write_all(message)?`, then read the reply.
/// hint-zh: `request` 就是教程里的客户端：`TcpStream::connect(addr)?`，然后
/// `write_all(message)?`，再读回复。
/// hint: The reply ends when the server closes: read until a read returns 0
/// (`stream.read_to_end(&mut bytes)` is that loop), then return
/// `Ok(Reply { bytes, reset: false })`.
/// hint-zh: 服务端一关闭连接，回复就结束了：一直读到某次 read 返回 0（`stream.read_to_end(&mut
/// bytes)` 就是这个循环），然后返回 `Ok(Reply { bytes, reset: false })`。
#[test]
fn step2_request_sends_the_message_and_returns_the_reply() -> Check {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?.to_string();
    let client = Running::spawn(move || request(&addr, b"ping"));
    let (mut conn, _) = accept_within(&listener)?;
    let mut buf = [0u8; 16];
    let n = conn.read(&mut buf)?;
    check_eq!(
        &buf[..n],
        b"ping",
        "request() should write the message to the server, and nothing else"
    );
    conn.write_all(b"pong")?;
    drop(conn);
    let reply = client.result("request()")??;
    check_eq!(
        String::from_utf8_lossy(&reply.bytes),
        "pong",
        "request() should return the bytes the server sent"
    );
    check!(
        !reply.reset,
        "the server closed normally, so reset should be false"
    );
    Ok(())
}

/// More than every buffer between the test's server and the client can hold
/// (Linux lets a socket's send buffer grow to 4 MiB and a receive buffer to
/// 6 MiB): no single read can return it all, and the server's `write_all`
/// returns only once the client has been reading for a while.
const LONG_REPLY: usize = 16 << 20;

/// hint: One `read` returns what has arrived so far, not "the reply": the
/// tutorial's `recv(1024)` is one such read. Here the reply is 16 MiB and comes
/// in two parts.
/// hint-zh: 一次 `read` 返回的是目前已经到达的数据，而不是“整个回复”：教程的 `recv(1024)`
/// 就是这样的一次读。这里的回复有 16 MiB，分两批到达。
/// hint: Keep reading until a read returns 0, which is the server closing:
/// `stream.read_to_end(&mut bytes)` does exactly that. Stopping at a short read
/// is not the end either: it only means the rest has not arrived yet.
/// hint-zh: 一直读到某次 read 返回 0，也就是服务端关闭了连接：`stream.read_to_end(&mut
/// bytes)` 正是这么做的。读到的比缓冲区短，也不代表结束：那只说明剩下的还没到。
#[test]
fn step2_request_reads_until_the_server_closes_not_just_once() -> Check {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?.to_string();
    const MESSAGE: &[u8] = b"long, please";
    let client = Running::spawn(move || request(&addr, MESSAGE));
    let (mut conn, _) = accept_within(&listener)?;
    conn.read_exact(&mut [0u8; MESSAGE.len()])?;
    // The reply in two parts, the second written only after the first has
    // been taken: the first is larger than every buffer on the way, so
    // `write_all` returns only once the client has read most of it. TCP's
    // flow control is the handshake; no sleep, no guess. A client that reads
    // once has returned by then, whatever its buffer.
    let first = vec![b'.'; LONG_REPLY];
    let last = b"and that is all";
    // A client that stopped reading closes its end: the writes then fail,
    // which is the client's mistake, told below, not this check's.
    let _ = conn.write_all(&first).and_then(|()| conn.write_all(last));
    drop(conn);
    let reply = client.result("request()")??;
    let whole = LONG_REPLY + last.len();
    check!(
        reply.bytes.len() == whole
            && reply.bytes.ends_with(last)
            && reply.bytes[..LONG_REPLY] == first[..],
        "request() returned {} of the {whole} bytes the server sent before closing: read until a read returns 0 (the server closed), not once",
        reply.bytes.len()
    );
    Ok(())
}

/// hint: `main` binds with `TcpListener::bind(&addr)` (socket, bind and listen in
/// one call), then prints `listening on {}` with `listener.local_addr()?`: the
/// address the OS gave, with the port it chose when you asked for port 0.
/// hint-zh: `main` 用 `TcpListener::bind(&addr)` 绑定（一次调用完成 socket、bind 和 listen），
/// 然后用 `listener.local_addr()?` 打印 `listening on {}`：这是操作系统给的地址，你要端口 0
/// 时，里面就是它挑的端口。
/// hint: The lesson's server `main`, in order: `kit::run(HELP, |cli| { .. })`;
/// `cli.flag("--stdin")`, `cli.addr(DEFAULT_ADDR)?`, `cli.finish()?`; bind;
/// `Stop::on_ctrl_c()?` and `stop.wake_accept(&listener)?`; print `listening on`;
/// then `serve_one`.
/// hint-zh: 讲解里服务端 `main` 的顺序是：`kit::run(HELP, |cli| { .. })`；`cli.flag("--stdin")`、`cli.addr(DEFAULT_ADDR)?`、`cli.finish()?`；
/// 绑定；`Stop::on_ctrl_c()?` 和 `stop.wake_accept(&listener)?`；打印 `listening on`；最后
/// 调用 `serve_one`。
#[test]
fn step3_the_server_prints_listening_on_with_the_port_the_os_chose() -> Check {
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

/// hint: After `listening on`, `main` calls `serve_one(&listener, &stop, ..)` with
/// a closure that returns the reply: `Ok(message.to_vec())` echoes. Then it prints
/// how it went and returns `Ok(())`, which `kit::run` turns into exit code 0.
/// hint-zh: 打印 `listening on` 之后，`main` 调用 `serve_one(&listener, &stop, ..)`，传给它
/// 一个返回回复的闭包：`Ok(message.to_vec())` 就是回显。然后打印处理的结果，返回 `Ok(())`，`kit::run`
/// 会把它变成退出码 0。
/// hint: The closure gets `(peer, message)`. With `--stdin` it returns
/// `read_typed_reply()` instead (given, below `main`), inside
/// `stop.exit_on_stop_during(..)`; an empty message gets an empty reply.
/// hint-zh: 闭包拿到的是 `(peer, message)`。加了 `--stdin` 时，它改为在
/// `stop.exit_on_stop_during(..)` 里返回 `read_typed_reply()`（已经写好，在 `main` 下面）；
/// 空消息得到空回复。
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

/// hint: The client binary is given: it joins its words with single spaces and
/// calls your `request`. If this fails, `request` sends something other than the
/// message (a newline added?), or changes the reply.
/// hint-zh: 客户端程序是现成的：它用单个空格把命令行参数连起来，再调用你的 `request`。这一
/// 步没通过，说明 `request` 发出去的不是原来的消息（多加了换行？），或者改动了回复。
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

/// hint: The client binary is given: with no words it sends the first line of its
/// stdin, without the newline, through your `request`.
/// hint-zh: 客户端程序是现成的：没有参数时，它把标准输入的第一行（去掉换行）交给你的
/// `request` 发出去。
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

/// hint: Your server and your client together. Run them by hand in two terminals
/// (the lesson's "Run it") to see which side stops, and where.
/// hint-zh: 这一步是你的服务端和你的客户端一起跑。在两个终端里手动运行它们（讲解里 Run it
/// 那一节），看看是哪一边停住了、停在哪里。
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

/// hint: With `--stdin`, `main`'s reply closure returns the line typed at the
/// server: `read_typed_reply` (given) reads it, without its newline. Call it
/// inside `stop.exit_on_stop_during("stopped by Ctrl-C before a reply was typed",
/// read_typed_reply)` so that Ctrl-C at the prompt still ends the server.
/// hint-zh: 加了 `--stdin` 时，`main` 的回复闭包返回的是在服务端敲入的那一行：`read_typed_reply`（
/// 已经写好）负责读它，不带换行。要在 `stop.exit_on_stop_during("stopped by Ctrl-C before a
/// reply was typed", read_typed_reply)` 里调用它，这样在提示符处按 Ctrl-C 也能让服务端结束。
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

/// hint: `serve_one` reads once into a buffer of RECV_SIZE (1024) bytes, as the
/// tutorial's `recv(1024)`: a longer message is cut. No loop over reads, and no
/// bigger buffer.
/// hint-zh: `serve_one` 像教程的 `recv(1024)` 一样，只用 RECV_SIZE（1024）字节的缓冲区读一
/// 次：更长的消息会被截断。不要循环读，也不要加大缓冲区。
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
    server.result("serve_one")??;
    Ok(())
}

/// hint: A server that closes with bytes left unread makes its kernel send a reset
/// (RST): the client's read then fails with `ErrorKind::ConnectionReset`, after
/// the bytes that did arrive. `request` returns those bytes with `reset: true`,
/// not an error.
/// hint-zh: 服务端关闭时如果还有字节没读，它的内核就会发出重置（RST）：客户端先收到已经到达
/// 的字节，然后 read 失败，错误是 `ErrorKind::ConnectionReset`。`request` 要把这些字节连同
/// `reset: true` 一起返回，而不是返回错误。
/// hint: `match stream.read_to_end(&mut bytes) { Ok(_) => .., Err(e) if e.kind()
/// == ErrorKind::ConnectionReset => Ok(Reply { bytes, reset: true }), Err(e) =>
/// Err(e) }`: `read_to_end` keeps in `bytes` what it read before the error.
/// hint-zh: `match stream.read_to_end(&mut bytes) { Ok(_) => .., Err(e) if e.kind() ==
/// ErrorKind::ConnectionReset => Ok(Reply { bytes, reset: true }), Err(e) => Err(e) }`：出
/// 错之前读到的内容，`read_to_end` 会留在 `bytes` 里。
#[test]
fn step6_request_returns_what_arrived_before_a_reset() -> Check {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?.to_string();
    let client = Running::spawn(move || request(&addr, &[b'x'; 3000]));
    let (mut conn, _) = accept_within(&listener)?;
    // Read a part of the message only, as the tutorial's server does, and
    // make sure the rest has arrived before closing: then the close is a
    // reset for certain.
    let mut head = [0u8; 100];
    conn.read_exact(&mut head)?;
    conn.write_all(b"cut")?;
    let mut rest = vec![0u8; 3000 - 100 - 1];
    conn.read_exact(&mut rest)?;
    drop(conn);
    let reply = client
        .result("request()")?
        .map_err(|e| Fail(format!("request() returned an error ({e}); a reset after the reply is not an error: return what arrived, with reset: true")))?;
    check_eq!(
        String::from_utf8_lossy(&reply.bytes),
        "cut",
        "request() should return the bytes that arrived before the reset"
    );
    check!(
        reply.reset,
        "the server closed with unread bytes, so the connection was reset: reset should be true (or did request() stop early, at a read shorter than its buffer? Only a read that returns 0, or the reset's error, ends the reply)"
    );
    Ok(())
}

/// hint: The client binary is given: it prints the note when your `request`
/// returns `reset: true`, and exits 0 because a reply arrived.
/// hint-zh: 客户端程序是现成的：你的 `request` 返回 `reset: true` 时，它会打印那条说明，并
/// 且因为收到了回复而以 0 退出。
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

/// hint: Bytes are bytes: write back exactly the bytes you read, with no
/// `String::from_utf8` (or `from_utf8_lossy`) on the way. Print them with
/// `kit::printable(&message)`, which escapes what could drive a terminal.
/// hint-zh: 字节就是字节：读到什么就原样写回什么，中间不要经过 `String::from_utf8`（或
/// `from_utf8_lossy`）。打印时用 `kit::printable(&message)`，它会转义那些可能操纵终端的字符。
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
    let done = server.proc.wait()?;
    done.expect_code(0, "the server exits 0 after replying")?;
    let log = done.stdout.join("\n");
    check!(
        log.contains(r"caf\xe9 \u{1b}[2J\xff") && !log.contains('\u{1b}'),
        "the server should print the message with kit::printable, so escape sequences cannot drive the terminal; it printed {:?}",
        done.stdout
    );
    Ok(())
}

/// hint: A read that returns 0 means the client closed. That is normal, not an
/// error: reply nothing, close, and return `Ok(Some(..))` with an empty message.
/// hint-zh: read 返回 0，说明客户端关闭了连接。这很正常，不是错误：什么也不回，关闭连接，返
/// 回消息为空的 `Ok(Some(..))`。
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
    server.proc.wait()?.expect_code(
        0,
        "a read that returns 0 means the client closed: that is normal, not a failure",
    )?;
    Ok(())
}

/// hint: Return the bind error with `?`, saying what failed:
/// `TcpListener::bind(&addr).context(format_args!("cannot listen on {addr}"))?`.
/// `kit::run` prints it as one `error: ...` line with a hint and exits 1.
/// hint-zh: 用 `?` 返回绑定失败的错误，并说明是什么失败了：`TcpListener::bind(&addr).context(format_args!("cannot
/// listen on {addr}"))?`。`kit::run` 会把它打印成一行带提示的 `error: ...`，并以 1 退出。
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

/// hint: The client binary is given; this fails if your `request` does not return
/// `TcpStream::connect`'s error with `?` (an `unwrap()` panics instead).
/// hint-zh: 客户端程序是现成的；如果你的 `request` 没有用 `?` 把 `TcpStream::connect` 的错
/// 误返回出去（用 `unwrap()` 的话会 panic），这一步就会失败。
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

/// hint: `cli.addr(DEFAULT_ADDR)?` refuses an address that is not HOST:PORT, and
/// `cli.finish()?` an unknown flag: with `?`, both exit 2 through `kit::run`. Call
/// them before binding.
/// hint-zh: `cli.addr(DEFAULT_ADDR)?` 拒绝不是 HOST:PORT 形式的地址，`cli.finish()?` 拒绝不
/// 认识的选项：有了 `?`，两者都经由 `kit::run` 以 2 退出。要在绑定之前调用它们。
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

/// hint: `kit::run(HELP, ..)` prints HELP for `-h` and `--help` and exits 0:
/// `main` must go through it.
/// hint-zh: `kit::run(HELP, ..)` 遇到 `-h` 和 `--help` 会打印 HELP 并以 0 退出：`main` 必须
/// 经过它。
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

/// hint: After `accept()` returns, check `stop.requested()`: when a stop was
/// requested, the connection is kit's wake-up call, not a client: return
/// `Ok(None)`.
/// hint-zh: `accept()` 返回之后，检查 `stop.requested()`：如果已经请求停止，这条连接就是
/// kit 用来唤醒你的，不是客户端：返回 `Ok(None)`。
#[test]
fn step8_serve_one_returns_none_when_stopped_while_waiting() -> Check {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let stop = Stop::new();
    stop.wake_accept(&listener)?;
    let waiting = {
        let stop = stop.clone();
        Running::spawn(move || serve_one(&listener, &stop, |_, msg| Ok(msg.to_vec())))
    };
    stop.request();
    let served = waiting.result("serve_one")??;
    check!(
        served.is_none(),
        "after a stop request, the connection accept() returns is the wake-up, not a client: check stop.requested() and return None"
    );
    Ok(())
}

/// hint: `main` calls `Stop::on_ctrl_c()?` and `stop.wake_accept(&listener)?`
/// before it prints `listening on`, and prints a one-line summary when
/// `serve_one` returns `None` (stopped).
/// hint-zh: `main` 在打印 `listening on` 之前调用 `Stop::on_ctrl_c()?` 和
/// `stop.wake_accept(&listener)?`；`serve_one` 返回 `None`（被停下了）时，打印一行总结。
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

/// hint: While `serve_one` waits in `read()`, Ctrl-C must wake it: before the read,
/// `let _watch = stop.close_on_stop(&conn)?;` (Ctrl-C then shuts the connection
/// down, and the read returns 0).
/// hint-zh: `serve_one` 等在 `read()` 里时，Ctrl-C 必须能唤醒它：在 read 之前写 `let _watch
/// = stop.close_on_stop(&conn)?;`（这样 Ctrl-C 会把这条连接 shutdown 掉，read 返回 0）。
/// hint: That read returning 0 is not a client closing: after the read, check
/// `stop.requested()` and return `Ok(None)`, so `main` says it stopped instead of
/// "replied 0 bytes".
/// hint-zh: 这时 read 返回 0 并不是客户端关闭了：read 之后检查 `stop.requested()`，返回
/// `Ok(None)`，这样 `main` 说的是它停下了，而不是“replied 0 bytes”。
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
    check!(
        done.stdout.iter().any(|l| l.contains("stopped")),
        "the server was stopped before a message came, so its summary says it stopped (serve_one returns None when stop.requested() after its read); stdout was {:?}",
        done.stdout
    );
    Ok(())
}
