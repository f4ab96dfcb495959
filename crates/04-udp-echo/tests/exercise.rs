//! Exercise checks for stage 4, `udp-echo`, in the order a student meets them.
//!
//! `cargo test -p udp-echo step1` runs the first rung, `step2` the next, and
//! so on; `cargo test -p udp-echo` runs them all. Each failure says what to
//! look at. The server is started on port 0 (the OS picks a free port), and
//! every socket here has a read timeout, so no check can hang.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use harness::{Check, Fail, Finished, Proc, Server, TIMEOUT, check, check_eq};
use kit::Stop;
use udp_echo::{DEFAULT_TIMEOUT, MAX_PAYLOAD_V4, RECV_SIZE, Served, client_socket, request, serve};

const SERVER: &str = env!("CARGO_BIN_EXE_udp-echo-server");
const CLIENT: &str = env!("CARGO_BIN_EXE_udp-echo-client");

/// The contract: a stopped server is gone within one second. A little slack
/// for a busy machine; kit exits with code 1 anyway if a server is still
/// running 0.9 s after the signal.
const STOP_LIMIT: Duration = Duration::from_millis(1500);

// ---------------------------------------------------------------- helpers

/// A socket for the test to play a client (or a fake server) with: bound to
/// a free loopback port, with a read timeout so a missing reply fails the
/// check instead of hanging it.
fn socket() -> Result<UdpSocket, Fail> {
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    socket.set_read_timeout(Some(TIMEOUT))?;
    Ok(socket)
}

/// The address a test socket is bound to.
fn addr_of(socket: &UdpSocket) -> Result<SocketAddr, Fail> {
    Ok(socket.local_addr()?)
}

/// The address from a server's `listening on` line.
fn server_addr(server: &Server) -> Result<SocketAddr, Fail> {
    server
        .addr()
        .parse()
        .map_err(|_| Fail(format!("`listening on {}`: not an address", server.addr())))
}

/// Receives one datagram, or fails with `hint` when none comes in time.
fn receive(socket: &UdpSocket, hint: &str) -> Result<(Vec<u8>, SocketAddr), Fail> {
    let mut buf = vec![0u8; RECV_SIZE];
    match socket.recv_from(&mut buf) {
        Ok((n, from)) => Ok((buf[..n].to_vec(), from)),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) =>
        {
            Err(Fail(format!(
                "no datagram within {} s: {hint}",
                TIMEOUT.as_secs()
            )))
        }
        Err(e) => Err(e.into()),
    }
}

/// Sends `message` from `socket` to `server` and returns the reply, which
/// must come from the server's address.
fn echo(socket: &UdpSocket, server: SocketAddr, message: &[u8]) -> Result<Vec<u8>, Fail> {
    let sent = socket.send_to(message, server)?;
    check_eq!(sent, message.len(), "send_to sent part of a datagram?");
    let (reply, from) = receive(
        socket,
        "the server did not answer; it must send_to() the address that recv_from() returned",
    )?;
    check_eq!(
        from,
        server,
        "the reply came from another address than the server's"
    );
    Ok(reply)
}

/// The library's `serve` running on a thread, on a socket bound to port 0.
/// Dropping it requests a stop, so a failing check does not leave it behind.
struct LibServer {
    addr: SocketAddr,
    stop: Stop,
    done: mpsc::Receiver<io::Result<Served>>,
    _thread: JoinHandle<()>,
}

impl LibServer {
    fn start() -> Result<LibServer, Fail> {
        // Bound here and handed over: never bind, drop and bind again.
        let socket = UdpSocket::bind("127.0.0.1:0")?;
        let addr = socket.local_addr()?;
        let stop = Stop::new();
        stop.wake_recv_from(&socket)?;
        let (done_tx, done) = mpsc::channel();
        let thread_stop = stop.clone();
        let thread = thread::spawn(move || {
            let _ = done_tx.send(serve(&socket, &thread_stop));
        });
        Ok(LibServer {
            addr,
            stop,
            done,
            _thread: thread,
        })
    }

    /// Requests a stop and waits (briefly) for `serve` to return.
    fn stop(self) -> Result<Served, Fail> {
        self.stop.request();
        match self.done.recv_timeout(Duration::from_secs(2)) {
            Ok(served) => Ok(served?),
            Err(RecvTimeoutError::Timeout) => Err(Fail::new(
                "serve() did not return within 2 s of the stop request: after every recv_from, check stop.requested() and return when it is set",
            )),
            Err(RecvTimeoutError::Disconnected) => Err(Fail::new(
                "serve() panicked (its message is above): a todo!() not written yet, or an unwrap on something a peer decides?",
            )),
        }
    }
}

impl Drop for LibServer {
    fn drop(&mut self) {
        self.stop.request();
    }
}

/// Calls into the stage's code (`what`) on a thread of its own and waits at
/// most [`TIMEOUT`], so that a function that never returns fails the check
/// instead of hanging it.
fn within<T: Send + 'static>(
    what: &str,
    call: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Fail> {
    let (done, result) = mpsc::channel();
    thread::spawn(move || {
        let _ = done.send(call());
    });
    result.recv_timeout(TIMEOUT).map_err(|e| match e {
        RecvTimeoutError::Timeout => Fail(format!(
            "{what} did not return within {} s: a recv_from with no read timeout waits for ever for a lost reply; call set_read_timeout before each recv_from",
            TIMEOUT.as_secs()
        )),
        RecvTimeoutError::Disconnected => Fail(format!(
            "{what} panicked (its message is above): a todo!() not written yet, or an unwrap on something the network decides?"
        )),
    })
}

/// Runs the client binary with `args` and `stdin`, while a fake server on
/// `fake` does what `play` says; returns both outcomes.
fn client_against<T: Send + 'static>(
    fake: UdpSocket,
    args: &[&str],
    stdin: &[u8],
    play: impl FnOnce(UdpSocket) -> Result<T, Fail> + Send + 'static,
) -> Result<(Finished, T), Fail> {
    let player = thread::spawn(move || play(fake));
    let finished = harness::run(CLIENT, args, stdin).map_err(|e| {
        Fail(format!(
            "the client did not end by itself: does it set a read timeout (set_read_timeout) before recv_from, and stop after its retries? ({e})"
        ))
    })?;
    let played = player
        .join()
        .map_err(|_| Fail::new("the test's fake server panicked"))??;
    Ok((finished, played))
}

/// Counts the datagrams waiting on `socket` without blocking long.
fn drain(socket: &UdpSocket) -> Result<Vec<Vec<u8>>, Fail> {
    socket.set_read_timeout(Some(Duration::from_millis(50)))?;
    let mut got = Vec::new();
    let mut buf = vec![0u8; RECV_SIZE];
    while let Ok((n, _)) = socket.recv_from(&mut buf) {
        got.push(buf[..n].to_vec());
    }
    Ok(got)
}

/// A UDP port that refuses our datagrams, and the guard that keeps it so.
///
/// Binding port 0 and letting go of it would race with every other test
/// asking for a port. Instead the port stays bound, to a socket connected to
/// some other peer: the kernel hands such a socket only its peer's
/// datagrams, so ours find no socket and are answered with an ICMP "port
/// unreachable", exactly as if nothing were bound there.
fn closed_port() -> Result<(UdpSocket, String), Fail> {
    let guard = UdpSocket::bind("127.0.0.1:0")?;
    let elsewhere = UdpSocket::bind("127.0.0.1:0")?;
    guard.connect(elsewhere.local_addr()?)?;
    let addr = guard.local_addr()?.to_string();
    Ok((guard, addr))
}

/// `bytes` distinct-looking bytes covering all 256 values, most of them not
/// valid UTF-8: a datagram carries bytes, not text.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 256) as u8).collect()
}

// ---------------------------------------------------------------- step 1: serve answers every datagram (serve)

/// hint: `serve` is the tutorial's `while True:` loop: `let (n, peer) =
/// socket.recv_from(&mut buf)?;` then `socket.send_to(&buf[..n], peer)`. No accept, no
/// second socket: the address recv_from returns is the only way back to the sender.
/// hint-zh: `serve` 就是教程里那个 `while True:` 循环：`let (n, peer) = socket.recv_from(&mut buf)?;`，
/// 然后 `socket.send_to(&buf[..n], peer)`。没有 accept，也没有第二个套接字：recv_from
/// 返回的地址，是回到发送方的唯一途径。
/// hint: Check `stop.requested()` after each recv_from and return `Ok(served)` when it is
/// set; otherwise answer, count, print one line, and loop.
/// hint-zh: 每次 recv_from 之后检查 `stop.requested()`，设置了就返回 `Ok(served)`；否则就回复、
/// 计数、打印一行，然后接着循环。
#[test]
fn step1_serve_echoes_a_datagram_to_its_sender() -> Check {
    let server = LibServer::start()?;
    let client = socket()?;
    let reply = echo(&client, server.addr, b"hello")?;
    check_eq!(
        String::from_utf8_lossy(&reply),
        "hello",
        "the reply must be the same bytes as the datagram: send_to(&buf[..n], peer)"
    );
    Ok(())
}

/// hint: recv_from cuts a datagram to the buffer it is given, and says nothing: a 1024-byte
/// buffer gets the first 1024 bytes of a 1025-byte datagram, and the rest is gone. Make the
/// buffer RECV_SIZE (65,535) bytes.
/// hint-zh: recv_from 会把数据报截到你给它的缓冲区那么长，而且一声不吭：1025 字节的数据报，1024
/// 字节的缓冲区只拿到前 1024 个字节，剩下的就没了。把缓冲区开到 RECV_SIZE（65,535）字节。
/// hint: Send back exactly `&buf[..n]`, the n bytes this recv_from returned: not the whole
/// buffer, not a String made from it.
/// hint-zh: 发回去的必须正好是 `&buf[..n]`，也就是这次 recv_from 返回的那 n 个字节：
/// 不是整个缓冲区，也不是用它转成的 String。
#[test]
fn step1_the_echo_is_byte_exact_for_sizes_from_1_to_60000() -> Check {
    let server = LibServer::start()?;
    let client = socket()?;
    for size in [
        1, 2, 100, 500, 501, 1023, 1024, 1025, 1472, 1473, 4096, 8192, 9000, 32768, 60000,
    ] {
        let message = pattern(size);
        let reply = echo(&client, server.addr, &message)?;
        check!(
            reply.len() == size,
            "a {size}-byte datagram came back as {} bytes: recv_from cuts a datagram to the buffer it is given, silently. The server's buffer must hold any datagram (65,535 bytes, RECV_SIZE), not 500 or 1024 like the tutorials' recvfrom",
            reply.len()
        );
        check!(
            reply == message,
            "a {size}-byte datagram came back the same length but with other bytes: send back exactly buf[..n], the n bytes recv_from returned"
        );
    }
    Ok(())
}

/// hint: 65,507 bytes is the most one IPv4 datagram carries. A buffer of RECV_SIZE holds
/// it; `vec![0u8; RECV_SIZE]` keeps it off the stack.
/// hint-zh: 一个 IPv4 数据报最多装 65,507 字节。RECV_SIZE 大小的缓冲区装得下它；用
/// `vec![0u8; RECV_SIZE]` 可以让它不占用栈空间。
#[test]
fn step1_the_largest_ipv4_datagram_65507_bytes_is_echoed_whole() -> Check {
    let server = LibServer::start()?;
    let client = socket()?;
    let message = pattern(MAX_PAYLOAD_V4);
    let reply = echo(&client, server.addr, &message)?;
    check!(
        reply.len() == message.len(),
        "a {MAX_PAYLOAD_V4}-byte datagram came back as {} bytes: recv_from cuts a datagram to its buffer, so the buffer must be at least 65,507 bytes (use RECV_SIZE), and the reply must be buf[..n]",
        reply.len()
    );
    check!(
        reply == message,
        "the {MAX_PAYLOAD_V4}-byte reply has other bytes than the datagram: send back buf[..n]"
    );
    Ok(())
}

/// hint: An empty datagram is a message too: recv_from returns n = 0 and the reply is
/// `&buf[..0]`. kit::Stop wakes serve with an empty datagram as well, so tell the two apart
/// by `stop.requested()`, never by `n == 0`.
/// hint-zh: 空数据报也是一条消息：recv_from 返回 n = 0，回复就是 `&buf[..0]`。kit::Stop 唤醒
/// serve 时发的也是一个空数据报，所以要靠 `stop.requested()` 区分这两种情况，千万别靠
/// `n == 0`。
#[test]
fn step1_an_empty_datagram_is_a_message_too_and_is_echoed() -> Check {
    let server = LibServer::start()?;
    let client = socket()?;
    let reply = echo(&client, server.addr, b"")
        .map_err(|e| Fail(format!("an empty datagram from a client got no reply. To tell kit::Stop's wake-up datagram from a client's, check stop.requested(), never the size. ({e})")))?;
    check_eq!(reply, Vec::<u8>::new(), "an empty datagram echoes as empty");
    let reply = echo(&client, server.addr, b"still there?")?;
    check_eq!(
        reply,
        b"still there?".to_vec(),
        "after an empty datagram the server must go on serving"
    );
    Ok(())
}

/// hint: Count each datagram you answer (`served.datagrams += 1; served.bytes += n as
/// u64;`) and return `Ok(served)` when `stop.requested()` is true after a recv_from. Do not
/// count the wake-up datagram: check the flag before counting.
/// hint-zh: 每回复一个数据报就计一次数（`served.datagrams += 1; served.bytes += n as u64;`）；recv_from
/// 之后如果 `stop.requested()` 为真，就返回 `Ok(served)`。唤醒用的那个数据报不要算进去：
/// 先检查标志，再计数。
#[test]
fn step1_serve_returns_when_a_stop_is_requested_and_counts_what_it_served() -> Check {
    let server = LibServer::start()?;
    let client = socket()?;
    echo(&client, server.addr, b"hello")?;
    let served = server.stop()?;
    check_eq!(
        served,
        Served {
            datagrams: 1,
            bytes: 5,
        },
        "serve() returns what it served: 1 datagram of 5 bytes (kit::Stop's wake-up datagram is not a client's: do not count it)"
    );
    Ok(())
}

// ---------------------------------------------------------------- step 2: datagrams and many senders (serve, from another side)

/// hint: One recv_from returns one datagram, one send_to sends one: loop, and answer each
/// datagram as it comes, without gathering or splitting anything.
/// hint-zh: 一次 recv_from 返回一个数据报，一次 send_to 发出一个：写成循环，
/// 来一个数据报就回复一个，什么都不用攒起来，也什么都不用拆开。
#[test]
fn step2_datagram_boundaries_are_kept_three_sends_are_three_receives() -> Check {
    let server = LibServer::start()?;
    let client = socket()?;
    let messages: [&[u8]; 3] = [b"one", b"two", b"three"];
    // All three go out before any is read: on TCP they could arrive as one
    // read of "onetwothree"; on UDP each stays a datagram of its own.
    for m in messages {
        client.send_to(m, server.addr)?;
    }
    for m in messages {
        let (reply, _) = receive(&client, "one of three datagrams got no reply")?;
        check_eq!(
            reply,
            m.to_vec(),
            "each datagram must come back as its own datagram, in order on loopback"
        );
    }
    check!(
        drain(&client)?.is_empty(),
        "three datagrams must get three replies, no more"
    );
    let served = server.stop()?;
    check_eq!(
        served.datagrams,
        3,
        "serve() should count three datagrams: one per recv_from"
    );
    Ok(())
}

/// hint: Answer each datagram to the address recv_from returned for THAT datagram: keep
/// `peer` per datagram, never a "current client" remembered from before.
/// hint-zh: 每个数据报都要回复到 recv_from 为“这一个”数据报返回的地址：每个数据报各用各的
/// `peer`，绝不要记着一个之前的“当前客户端”。
#[test]
fn step2_several_clients_at_once_each_get_their_own_replies() -> Check {
    let server = LibServer::start()?;
    let clients = (0..8).map(|_| socket()).collect::<Result<Vec<_>, _>>()?;
    // Everybody sends before anybody reads, so the replies are in flight
    // together and each must find its way to the right port.
    for (i, c) in clients.iter().enumerate() {
        c.send_to(format!("client {i}").as_bytes(), server.addr)?;
    }
    for (i, c) in clients.iter().enumerate() {
        let (reply, _) = receive(
            c,
            &format!(
                "client {i} got no reply: answer each datagram with send_to(data, addr), addr being what recv_from returned for THAT datagram"
            ),
        )?;
        check_eq!(
            String::from_utf8_lossy(&reply),
            format!("client {i}"),
            "a client got someone else's reply: send each reply to the address its datagram came from"
        );
    }
    check!(
        drain(&clients[0])?.is_empty(),
        "client 0 got more than its one reply: each datagram is answered once, to its own sender"
    );
    Ok(())
}

/// hint: A failed send_to is about one client: print it and go on with the loop instead of
/// returning the error with `?`. On Windows, recv_from itself may report an earlier reply
/// that bounced (ConnectionReset): skip it with `continue`.
/// hint-zh: send_to 失败只关系到一个客户端：把它打印出来，接着循环，而不是用 `?` 把错误返回。在
/// Windows 上，recv_from 本身可能报告之前的某个回复被退了回来（ConnectionReset）：用 `continue`
/// 跳过它。
#[test]
fn step2_a_client_that_went_away_does_not_stop_the_server() -> Check {
    let server = LibServer::start()?;
    let gone = socket()?;
    gone.send_to(b"bye", server.addr)?;
    drop(gone); // its reply goes to a closed port: an ICMP error, nothing more
    let client = socket()?;
    let reply = echo(&client, server.addr, b"next")?;
    check_eq!(
        reply,
        b"next".to_vec(),
        "the server must go on after a reply to a client that is gone: a failed send_to is logged, not returned"
    );
    let served = server.stop()?;
    check_eq!(
        served.datagrams,
        2,
        "serve() should count both datagrams it answered"
    );
    Ok(())
}

/// hint: Only ConnectionReset from recv_from is news about an earlier reply; any other
/// error is about the socket itself, and it comes back at once on every retry: return it
/// (`Err(e) => return Err(e)`) instead of `continue` for every error.
/// hint-zh: recv_from 报的错里，只有 ConnectionReset 说的是之前某个回复的事；别的错误都出在套接字
/// 本身，每次重试都会立刻再来一次：把它返回（`Err(e) => return Err(e)`），而不是遇到什么错误都
/// `continue`。
#[test]
fn step2_a_socket_that_fails_every_receive_is_an_error_not_an_endless_loop() -> Check {
    // A read timeout of 1 ms makes every recv_from on this socket fail with
    // WouldBlock: an error that retrying does not cure, as a broken socket's.
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    socket.set_read_timeout(Some(Duration::from_millis(1)))?;
    let stop = Stop::new();
    stop.wake_recv_from(&socket)?;
    let thread_stop = stop.clone();
    let result = within("serve() on a failing socket", move || {
        serve(&socket, &thread_stop).map_err(|e| e.kind())
    });
    stop.request(); // wakes a serve that loops on, so the thread ends
    match result {
        Ok(Err(kind)) => check!(
            matches!(kind, io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut),
            "serve() returned {kind:?}, not the error recv_from reported"
        ),
        Ok(Ok(served)) => {
            return Err(Fail(format!(
                "serve() returned Ok({served:?}) though no stop was requested: return the error recv_from reported"
            )));
        }
        Err(_) => {
            return Err(Fail::new(
                "serve() kept retrying a recv_from that fails every time: only ConnectionReset is worth going on after; return any other error",
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- step 3: the server program (the server's main)

/// hint: The server's `main`: `UdpSocket::bind(&addr)` (socket and bind in one call, and no
/// listen), then `println!("listening on {}", socket.local_addr()?)`: the address the OS
/// gave, with the port it chose for port 0.
/// hint-zh: 服务端的 `main`：`UdpSocket::bind(&addr)`（一次调用完成 socket 和 bind，没有
/// listen），然后 `println!("listening on {}", socket.local_addr()?)`：这是操作系统给的地址，
/// 你要端口 0 时，里面就是它挑的端口。
/// hint: In order: `kit::run(HELP, |cli| { .. })`; `cli.addr(DEFAULT_ADDR)?`,
/// `cli.finish()?`; bind; `Stop::on_ctrl_c()?` and `stop.wake_recv_from(&socket)?`; print
/// `listening on`; `serve(&socket, &stop)?`; print the summary.
/// hint-zh: 顺序是：`kit::run(HELP, |cli| { .. })`；`cli.addr(DEFAULT_ADDR)?`、`cli.finish()?`；
/// 绑定；`Stop::on_ctrl_c()?` 和 `stop.wake_recv_from(&socket)?`；打印
/// `listening on`；`serve(&socket, &stop)?`；打印总结。
#[test]
fn step3_the_server_prints_listening_on_and_echoes_a_datagram() -> Check {
    let server = Server::start(SERVER, &["127.0.0.1:0"])?;
    let to = server_addr(&server)?;
    let client = socket()?;
    let reply = echo(&client, to, b"hello")?;
    check_eq!(
        String::from_utf8_lossy(&reply),
        "hello",
        "the reply must be the same bytes as the datagram: send_to(&buf[..n], addr)"
    );
    Ok(())
}

/// hint: `serve` prints a line per datagram with the `peer` address recv_from returned:
/// `from {peer}: {n} bytes: ...`. Print it with `println!`, which reaches a pipe at once,
/// line by line.
/// hint-zh: `serve` 为每个数据报打印一行，带上 recv_from 返回的 `peer`
/// 地址：`from {peer}: {n} bytes: ...`。用 `println!` 打印：就算输出到管道，
/// 它也是一行一行地立刻送到。
#[test]
fn step3_the_server_logs_the_address_each_datagram_came_from() -> Check {
    let server = Server::start(SERVER, &["127.0.0.1:0"])?;
    let to = server_addr(&server)?;
    for _ in 0..2 {
        let client = socket()?;
        echo(&client, to, b"who am I")?;
        let me = addr_of(&client)?.to_string();
        server.line_containing(&me).map_err(|e| {
            Fail(format!(
                "the server should log the sender's address ({me}) that recv_from returned: a UDP server knows a client by nothing else. {e}"
            ))
        })?;
    }
    Ok(())
}

/// hint: The echo sends the bytes as they came; the log shows them through
/// `kit::printable(&buf[..n])`, which writes control characters and bytes that are not
/// UTF-8 as escapes, so a peer cannot drive your terminal.
/// hint-zh: 回显把字节原样发回去；日志则通过 `kit::printable(&buf[..n])` 来显示它们，
/// 它把控制字符和不是 UTF-8 的字节写成转义序列，这样对端就没法操纵你的终端。
#[test]
fn step3_non_utf8_bytes_and_terminal_escapes_come_back_exact_and_are_logged_harmless() -> Check {
    let server = Server::start(SERVER, &["127.0.0.1:0"])?;
    let to = server_addr(&server)?;
    let nasty = b"\x1b[2J\xff\xfeend".to_vec();
    let reply = echo(&socket()?, to, &nasty)?;
    check_eq!(
        reply,
        nasty,
        "the echo carries bytes, not text: send back buf[..n] as it is"
    );
    // The check reads the log as UTF-8, so a raw 0xff byte would show up
    // here as U+FFFD, and the escape byte as itself.
    let line = server.line_containing("end")?;
    check!(
        !line.contains('\u{1b}') && !line.contains('\u{fffd}'),
        "the log printed the peer's bytes raw: an escape sequence can clear or recolour the terminal, and bytes that are not UTF-8 come out garbled. Print them through kit::printable; the log line was {line:?}"
    );
    Ok(())
}

/// hint: `Stop::on_ctrl_c()?` before `listening on`, then `stop.wake_recv_from(&socket)?`:
/// on Ctrl-C or SIGTERM it sends the socket an empty datagram, recv_from returns, and
/// `serve` sees `stop.requested()`. After `serve` returns, print one summary line with the
/// count and return `Ok(())` (exit 0).
/// hint-zh: 在打印 `listening on` 之前调用 `Stop::on_ctrl_c()?`，然后
/// `stop.wake_recv_from(&socket)?`：收到 Ctrl-C 或 SIGTERM 时，
/// 它给套接字发一个空数据报，recv_from 随之返回，`serve` 就看到了 `stop.requested()`。`serve`
/// 返回之后，打印一行带计数的总结，然后返回 `Ok(())`（退出码 0）。
#[test]
fn step3_ctrl_c_or_sigterm_stops_the_server_within_one_second_with_a_summary() -> Check {
    for signal in ["INT", "TERM"] {
        let server = Server::start(SERVER, &["127.0.0.1:0"])?;
        let to = server_addr(&server)?;
        echo(&socket()?, to, b"hello")?;
        server.line_containing("hello")?;
        server.signal(signal)?;
        let signalled = Instant::now();
        let out = server.proc.wait_within(Duration::from_secs(2)).map_err(|e| Fail(format!(
            "SIG{signal}: the server did not exit. Call stop.wake_recv_from(&socket) before the loop, and check stop.requested() after every recv_from. ({e})"
        )))?;
        let took = signalled.elapsed();
        out.expect_code(0, &format!("SIG{signal} is a normal way to stop a server: exit 0. Exit code 1 means kit found the server still running 900 ms after the signal: still blocked in recv_from? Call stop.wake_recv_from(&socket) before the loop and check stop.requested() after every recv_from"))?;
        check!(
            took < STOP_LIMIT,
            "SIG{signal}: the server took {took:?} to exit; the contract says within 1 s"
        );
        let last = out.stdout.last().cloned().unwrap_or_default();
        check!(
            last.contains("1 datagram"),
            "after SIG{signal} the server prints a one-line summary (how many datagrams it echoed: 1); its last line was {last:?}"
        );
    }
    Ok(())
}

/// hint: Bind with `UdpSocket::bind(&addr).context(...)?`: the error goes back to
/// `kit::run`, which prints one `error: ...` line and exits 1. No `unwrap`, no `expect`: a
/// user must never see a panic.
/// hint-zh: 用 `UdpSocket::bind(&addr).context(...)?` 绑定：错误会交回给 `kit::run`，
/// 由它打印一行 `error: ...`，以退出码 1 退出。不要 `unwrap`，也不要 `expect`：用户永远不该看到
/// panic。
#[test]
fn step3_a_port_in_use_is_one_clear_error_and_exit_1() -> Check {
    let taken = socket()?;
    let addr = addr_of(&taken)?.to_string();
    let out = harness::run(SERVER, &[&addr], b"")?;
    out.expect_code(
        1,
        "binding a port another socket holds fails at run time: exit 1",
    )?;
    out.expect_one_error_line()?;
    Ok(())
}

// ---------------------------------------------------------------- step 4: request, the client side (client_socket, request)

/// hint: `client_socket` binds to port 0 on the unspecified address of the server's family:
/// `UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))` for an IPv4 server. The OS picks a free
/// port.
/// hint-zh: `client_socket` 绑定到和服务端同一地址族的任意地址、端口 0 上：服务端是 IPv4 时，
/// 就是 `UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))`。空闲端口由操作系统来挑。
/// hint: `request`: `socket.send_to(message, server)?`, then
/// `socket.set_read_timeout(Some(timeout))?` and `socket.recv_from(&mut buf)`; a datagram
/// from `server` is the reply: return `Ok(Reply { bytes: buf[..n].to_vec(), tries: 1 })`.
/// hint-zh: `request`：先 `socket.send_to(message, server)?`，再
/// `socket.set_read_timeout(Some(timeout))?` 和 `socket.recv_from(&mut buf)`；来自 `server`
/// 的数据报就是回复：返回 `Ok(Reply { bytes: buf[..n].to_vec(), tries: 1 })`。
#[test]
fn step4_request_returns_the_reply_after_one_try() -> Check {
    let server = LibServer::start()?;
    let socket = client_socket(server.addr)?;
    let to = server.addr;
    let reply = within("request()", move || {
        request(&socket, to, b"hello", DEFAULT_TIMEOUT, 0)
    })?
    .map_err(|e| {
        Fail(format!(
            "request() failed: {e}. It sends with send_to(message, server), then waits in recv_from for a datagram from the server"
        ))
    })?;
    check_eq!(
        String::from_utf8_lossy(&reply.bytes),
        "hello",
        "request() returns the bytes of the reply datagram: buf[..n]"
    );
    check_eq!(
        reply.tries,
        1,
        "nothing was lost: the reply came after the first send, so tries is 1"
    );
    Ok(())
}

/// hint: The client's buffer must fit any datagram too, not just one as long as the message
/// it sent: `vec![0u8; RECV_SIZE]`, and the reply is `buf[..n]`.
/// hint-zh: 客户端的缓冲区也必须装得下任何数据报，而不只是和它发出的消息一样长：`vec![0u8; RECV_SIZE]`，
/// 回复就是 `buf[..n]`。
#[test]
fn step4_request_brings_back_a_65507_byte_reply_whole() -> Check {
    // A short question, the largest possible answer: the client's buffer
    // must fit any datagram, not just one as long as what it sent.
    let fake = socket()?;
    let server = addr_of(&fake)?;
    let big = pattern(MAX_PAYLOAD_V4);
    let answer = big.clone();
    let player = thread::spawn(move || -> Result<(), Fail> {
        let (_, from) = receive(&fake, "request() sent nothing")?;
        fake.send_to(&answer, from)?;
        Ok(())
    });
    let socket = client_socket(server)?;
    let reply = within("request()", move || {
        request(&socket, server, b"big?", DEFAULT_TIMEOUT, 0)
    })??;
    player
        .join()
        .map_err(|_| Fail::new("the test's fake server panicked"))??;
    check!(
        reply.bytes.len() == big.len(),
        "a 65,507-byte reply came back as {} bytes: recv_from cuts a datagram to the buffer it is given, so request() needs a buffer of RECV_SIZE (65,535), not the size of the message it sent",
        reply.bytes.len()
    );
    check!(
        reply.bytes == big,
        "the reply has other bytes than the server sent: return buf[..n]"
    );
    Ok(())
}

/// hint: When recv_from fails with a timeout (`ErrorKind::WouldBlock` on Unix, `TimedOut`
/// on Windows), the datagram or its reply was lost: send the message again, up to `retries`
/// more times, and count the tries: the reply to the second send has `tries: 2`.
/// hint-zh: recv_from 因超时而失败时（Unix 上是 `ErrorKind::WouldBlock`，Windows 上是
/// `TimedOut`），说明数据报或者它的回复丢了：把消息再发一次，最多再发 `retries` 次，
/// 并记下尝试了几次：第二次发送得到的回复，`tries` 是 2。
#[test]
fn step4_request_sends_again_when_the_first_datagram_is_lost() -> Check {
    let fake = socket()?;
    let server = addr_of(&fake)?;
    let player = thread::spawn(move || -> Result<(), Fail> {
        // "Lose" the first datagram: read it and do not answer.
        receive(&fake, "request() sent nothing")?;
        let (m, from) = receive(
            &fake,
            "after a lost datagram request() must send it again when its timeout expires",
        )?;
        fake.send_to(&m, from)?;
        Ok(())
    });
    let socket = client_socket(server)?;
    let reply = within("request()", move || {
        request(&socket, server, b"ping", Duration::from_millis(200), 2)
    })??;
    player
        .join()
        .map_err(|_| Fail::new("the test's fake server panicked"))??;
    check_eq!(reply.bytes, b"ping".to_vec(), "the reply to the second try");
    check_eq!(
        reply.tries,
        2,
        "the first datagram got no answer, the second did: tries is 2"
    );
    Ok(())
}

/// hint: `for attempt in 1..=retries + 1`: one send_to per try, each followed by a wait of
/// the whole `timeout` for the reply. After the last try, return an `io::Error` of kind
/// `ErrorKind::TimedOut` that says what was tried.
/// hint-zh: `for attempt in 1..=retries + 1`：每次尝试一个 send_to，之后都等满整个 `timeout`
/// 来等回复。最后一次尝试之后，返回一个类型为 `ErrorKind::TimedOut` 的 `io::Error`，
/// 说明都试过什么。
/// hint: A datagram from another address must not cut a try short: wait until a deadline
/// (`Instant::now() + timeout`), setting the read timeout to what is left before each
/// recv_from.
/// hint-zh: 来自别的地址的数据报，不能让一次尝试提前结束：一直等到一个截止时间（`Instant::now() + timeout`），
/// 每次 recv_from 之前，都把读超时设成还剩下的时间。
#[test]
fn step4_request_with_no_reply_sends_exactly_retries_plus_one_datagrams_then_fails() -> Check {
    let timeout = Duration::from_millis(50);
    for retries in [0u32, 3] {
        // A socket that takes datagrams and never answers: a lost reply, or
        // a server that is not there, look exactly like this to a client.
        let hole = socket()?;
        let to = addr_of(&hole)?;
        let socket = client_socket(to)?;
        let started = Instant::now();
        let result = within("request() with no reply", move || {
            request(&socket, to, b"anyone?", timeout, retries)
        })?;
        let took = started.elapsed();
        let tries = retries + 1;
        match result {
            Ok(reply) => {
                return Err(Fail(format!(
                    "request() returned Ok({reply:?}) though nobody answered"
                )));
            }
            Err(e) => check!(
                matches!(
                    e.kind(),
                    io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
                ),
                "with no reply request() should fail with a timeout (ErrorKind::TimedOut), not: {e}"
            ),
        }
        let got = drain(&hole)?;
        check!(
            got.len() == tries as usize,
            "with retries = {retries} the message must go out 1 + {retries} = {tries} times in all (the first send, then one per retry); the silent server got {} datagrams",
            got.len()
        );
        check!(
            got.iter().all(|m| m == b"anyone?"),
            "every try sends the same message"
        );
        let least = timeout * tries;
        check!(
            took >= least && took < least + Duration::from_secs(2),
            "with retries = {retries} and a {timeout:?} timeout, request() should wait {timeout:?} after each of its {tries} sends, {least:?} in all; it took {took:?}. Set the read timeout before each recv_from, and send again only once it expires"
        );
    }
    Ok(())
}

/// hint: In `request`, only a read timeout (`ErrorKind::WouldBlock` on Unix, `TimedOut` on
/// Windows) means "no reply yet": wait on. Any other error from recv_from is news from the
/// network (here a closed port, reported to a connected socket): return it at once with
/// `Err(e) => return Err(e)`, instead of treating every error as a timeout.
/// hint-zh: 在 `request` 里，只有读超时（Unix 上是 `ErrorKind::WouldBlock`，Windows 上是
/// `TimedOut`）才表示"回复还没来"：接着等。recv_from 报的其他错误，都是网络传来的消息（这里是一个
/// 关着的端口，报告给了一个已连接的套接字）：用 `Err(e) => return Err(e)` 立刻返回，不要把什么错误
/// 都当成超时。
#[test]
fn step4_request_returns_an_error_the_network_reports_instead_of_waiting_on() -> Check {
    // A connected UDP socket is told of the ICMP "port unreachable" its
    // datagram to a closed port brings back: its recv_from fails at once
    // (Linux and macOS: ConnectionRefused; Windows: ConnectionReset).
    let (_guard, closed) = closed_port()?;
    let to: SocketAddr = closed
        .parse()
        .map_err(|_| Fail(format!("{closed}: not an address")))?;
    let socket = client_socket(to)?;
    socket.connect(to)?;
    let timeout = Duration::from_millis(400);
    let started = Instant::now();
    let result = within("request() to a closed port", move || {
        request(&socket, to, b"anyone?", timeout, 2)
    })?;
    let took = started.elapsed();
    match result {
        Ok(reply) => Err(Fail(format!(
            "request() returned Ok({reply:?}) though the port is closed"
        ))),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
            ) =>
        {
            Err(Fail(format!(
                "request() waited out every try ({took:?}) and failed with a timeout, though recv_from had reported the closed port at once: only WouldBlock and TimedOut mean \"no reply yet\"; return any other error ({e})"
            )))
        }
        Err(_) => {
            check!(
                took < timeout,
                "request() took {took:?} to return the error recv_from reported at once"
            );
            Ok(())
        }
    }
}

// ---------------------------------------------------------------- step 5: the client program (given: it runs your request)

/// hint: The client binary is given: it joins its words with single spaces and calls your
/// `request` against your server. If this fails, run both by hand in two terminals (the
/// hint-zh: 客户端程序是现成的：它用单个空格把命令行参数连起来，对着你的服务端调用你的
/// `request`。这一步要是失败了，就在两个终端里手动运行它们（讲解里的“运行”一节）。
/// lesson's "Run it").
#[test]
fn step5_the_client_prints_the_servers_reply() -> Check {
    let server = Server::start(SERVER, &["127.0.0.1:0"])?;
    let out = harness::run(CLIENT, &[server.addr(), "hello", "there"], b"")?;
    out.expect_code(0, "the client should exit 0 after printing the reply")?;
    check_eq!(
        out.stdout,
        vec!["hello there".to_string()],
        "the client sends its words joined by spaces as one datagram and prints the reply"
    );
    Ok(())
}

/// hint: A 60,000-byte reply must come back whole: your `request`'s buffer is RECV_SIZE
/// bytes, and your `serve`'s too.
/// hint-zh: 一个 60,000 字节的回复必须完整地回来：你的 `request` 的缓冲区要有 RECV_SIZE
/// 字节，`serve` 的也一样。
#[test]
fn step5_the_client_prints_a_long_reply_whole() -> Check {
    let server = Server::start(SERVER, &["127.0.0.1:0"])?;
    let long = "0123456789".repeat(6000);
    let out = harness::run(CLIENT, &[server.addr()], format!("{long}\n").as_bytes())?;
    out.expect_code(0, "the client should exit 0 after printing the reply")?;
    let got = out.stdout.first().map_or(0, |l| l.len());
    check!(
        out.stdout.len() == 1 && got == long.len(),
        "a 60,000-byte reply came out as {got} bytes: the client's receive buffer must hold any datagram too (RECV_SIZE), or recv_from cuts the reply short"
    );
    Ok(())
}

/// hint: The client binary is given: with no words it sends each stdin line, without its
/// newline, through your `request`, and prints each reply. If a line is missing, `request`
/// sent something else (a newline added?) or returned another datagram than the reply.
/// hint-zh: 客户端程序是现成的：没有参数时，它把标准输入的每一行去掉换行，通过你的 `request`
/// 发出去，并打印每个回复。要是少了某一行，就是 `request` 发出去的东西不对（多加了一个换行？），
/// 或者返回的不是回复，而是别的数据报。
#[test]
fn step5_the_client_sends_each_stdin_line_as_one_datagram() -> Check {
    let fake = socket()?;
    let to = addr_of(&fake)?.to_string();
    // The fake server answers like the tutorial's server, which is not an
    // echo: the client must print whatever comes back.
    let (out, seen) = client_against(fake, &[&to], b"a\nbb\n\nccc\n", |fake| {
        let mut seen = Vec::new();
        for _ in 0..4 {
            let (m, from) = receive(
                &fake,
                "the client sent fewer datagrams than lines: read one line, send it as one datagram, wait for its reply, then the next line",
            )?;
            fake.send_to(&[b"re:".as_slice(), &m].concat(), from)?;
            seen.push(String::from_utf8_lossy(&m).into_owned());
        }
        Ok(seen)
    })?;
    out.expect_code(0, "the client should exit 0 when stdin ends")?;
    check_eq!(
        seen,
        vec!["a", "bb", "", "ccc"],
        "each line of stdin, without its newline, is one datagram (an empty line an empty one)"
    );
    check_eq!(
        out.stdout,
        vec!["re:a", "re:bb", "re:", "re:ccc"],
        "the client prints each reply on its own line"
    );
    Ok(())
}

/// hint: Step 4's lost datagram, through the client program: `request` sends again when the
/// read timeout expires, and the client prints the reply to the second try.
/// hint-zh: 第 4 级里那个丢失的数据报，这次通过客户端程序再走一遍：读超时到期时，`request`
/// 会再发一次，客户端打印的是第二次尝试得到的回复。
/// hint: The given client prints a note on stderr when `Reply::tries` is over 1: return the
/// number of the try whose reply came (`tries: attempt`), not always 1.
/// hint-zh: `Reply::tries` 大于 1 时，现成的客户端会在 stderr 上打印一条说明：返回收到回复的那次
/// 尝试的序号（`tries: attempt`），不要总是 1。
#[test]
fn step5_the_client_sends_again_when_the_first_datagram_is_lost() -> Check {
    let fake = socket()?;
    let to = addr_of(&fake)?.to_string();
    let args = [to.as_str(), "--timeout-ms", "200", "--retries", "2", "ping"];
    let (out, ()) = client_against(fake, &args, b"", |fake| {
        // "Lose" the first datagram: read it and do not answer.
        receive(&fake, "the client sent nothing")?;
        let (m, from) = receive(
            &fake,
            "after a lost datagram the client must send it again when its read timeout expires",
        )?;
        fake.send_to(&m, from)?;
        Ok(())
    })?;
    out.expect_code(
        0,
        "the second try got a reply, so the client should succeed",
    )?;
    check_eq!(
        out.stdout,
        vec!["ping".to_string()],
        "the reply to the second try"
    );
    // The given client notes on stderr how many sends the reply took: a
    // user should learn that a datagram was lost, not only get the reply.
    check!(
        out.stderr.iter().any(|line| line.contains('2')),
        "the client should say on stderr that the reply took 2 sends (Reply::tries is 2); stderr was {:?}",
        out.stderr
    );
    Ok(())
}

/// hint: `request` must end by itself: a read timeout before every recv_from, and no more
/// than `retries + 1` sends. Its error reaches `kit::run`, which prints one `error: ...`
/// line and exits 1.
/// hint-zh: `request` 必须自己结束：每次 recv_from 之前都设好读超时，发送不超过 `retries + 1`
/// 次。它的错误交给 `kit::run`，由它打印一行 `error: ...`，以退出码 1 退出。
#[test]
fn step5_with_no_reply_the_client_tries_a_bounded_number_of_times_then_fails() -> Check {
    let hole = socket()?;
    let to = addr_of(&hole)?.to_string();
    let mut client = Proc::spawn(
        CLIENT,
        &[&to, "--timeout-ms", "100", "--retries", "2", "hello"],
    )?;
    client.close_stdin();
    let out = client.wait_within(Duration::from_secs(3)).map_err(|e| {
        Fail(format!(
            "no read timeout set, or retries without end: the client would wait forever for a lost reply. Call set_read_timeout before recv_from and stop after --retries more sends. ({e})"
        ))
    })?;
    out.expect_code(1, "after its last try the client must fail with exit 1")?;
    out.expect_one_error_line()?;
    let got = drain(&hole)?;
    check_eq!(
        got.len(),
        3,
        "with --retries 2 the message goes out 1 + 2 = 3 times, no more, no less"
    );
    check!(
        got.iter().all(|m| m == b"hello"),
        "every try sends the same message"
    );
    check!(
        out.took >= Duration::from_millis(300),
        "the client gave up after {:?}: with --timeout-ms 100 it must wait 100 ms after each of its 3 sends",
        out.took
    );
    Ok(())
}

/// hint: With no flags the client uses DEFAULT_TIMEOUT (1 s) and DEFAULT_RETRIES (2): about
/// 3 s in all. A much longer wait is a timeout that is not set, or not counted from each
/// send.
/// hint-zh: 不加参数时，客户端用的是 DEFAULT_TIMEOUT（1 秒）和 DEFAULT_RETRIES（2 次）：
/// 总共大约 3 秒。等得比这长得多，就说明超时没有设，或者不是从每次发送时开始算的。
#[test]
fn step5_with_default_flags_the_client_gives_up_within_a_few_seconds() -> Check {
    let hole = socket()?;
    let to = addr_of(&hole)?.to_string();
    let mut client = Proc::spawn(CLIENT, &[&to, "hello"])?;
    client.close_stdin();
    let out = client.wait_within(Duration::from_secs(6)).map_err(|e| {
        Fail(format!(
            "with no server the client must end by itself within a few seconds: a default read timeout (about 1 s) and a few retries. ({e})"
        ))
    })?;
    out.expect_code(1, "no reply at all is a failure")?;
    out.expect_one_error_line()?;
    check!(
        out.took < Duration::from_millis(5500),
        "the defaults took {:?}; keep them to a few seconds in all",
        out.took
    );
    Ok(())
}

/// hint: Anyone can send to the client's port. In `request`, a datagram whose address is
/// not `server` is not the reply: drop it and keep waiting until the try's deadline.
/// hint-zh: 谁都可以往客户端的端口发数据报。在 `request` 里，地址不是 `server`
/// 的数据报就不是回复：丢掉它，接着等，直到这次尝试的截止时间。
#[test]
fn step5_replies_from_other_addresses_are_ignored() -> Check {
    let fake = socket()?;
    let stranger = socket()?;
    let stranger_addr = addr_of(&stranger)?;
    let to = addr_of(&fake)?.to_string();
    let (out, ()) = client_against(
        fake,
        &[&to, "--timeout-ms", "3000", "hello"],
        b"",
        move |fake| {
            let (_, client) = receive(&fake, "the client sent nothing")?;
            // Anyone who learns the client's port can write to it, and this
            // datagram arrives first.
            stranger.send_to(b"spoofed", client)?;
            fake.send_to(b"real", client)?;
            Ok(())
        },
    )?;
    out.expect_code(0, "the real reply came, so the client should succeed")?;
    check!(
        out.stdout == ["real"],
        "the client printed {:?}: it took a datagram from {stranger_addr}, which is not the server. Compare the address recv_from returns with the server's and ignore the rest: anyone can send to a UDP socket",
        out.stdout
    );
    Ok(())
}

/// hint: Use `send_to` and `recv_from` on an unconnected socket, as the tutorial does:
/// Linux then reports nothing of the ICMP "port unreachable", and only the timeout ends a
/// try. Any other error from recv_from is returned as it is.
/// hint-zh: 像教程那样，在未连接的套接字上用 `send_to` 和 `recv_from`：这样 Linux 就不会报告
/// ICMP “端口不可达”，只有超时能结束一次尝试。recv_from 返回的其他任何错误，都原样返回。
#[test]
fn step5_a_closed_port_is_only_silence_to_the_client() -> Check {
    // Nothing receives on that port, so the kernel answers each datagram
    // with an ICMP "port unreachable"; an unconnected UDP socket is never
    // told, and the client can only wait out its tries.
    let (_guard, to) = closed_port()?;
    let out = harness::run(
        CLIENT,
        &[&to, "--timeout-ms", "100", "--retries", "1", "hi"],
        b"",
    )?;
    out.expect_code(1, "nothing is bound to that port: the client must fail")?;
    out.expect_one_error_line()?;
    check!(
        out.took >= Duration::from_millis(200),
        "the client failed after {:?}, before its 2 tries of 100 ms: it heard of the closed port. Use send_to and recv_from on an unconnected socket, as the tutorial does, and treat only the timeout as the end of a try",
        out.took
    );
    Ok(())
}

// ---------------------------------------------------------------- step 6: the limits of a datagram (plain std, and your client)

/// hint: Nothing to write: this is how recv_from treats a buffer smaller than the datagram.
/// Predict the outcome, then read the check.
/// hint-zh: 这一级不用写代码：recv_from 碰上比数据报小的缓冲区，就是这样处理的。先猜猜结果，
/// 再读检查。
#[test]
fn step6_a_datagram_longer_than_the_buffer_is_cut_short_without_an_error() -> Check {
    // Plain std, no stage code: how recv_from treats a small buffer.
    let a = socket()?;
    let b = socket()?;
    a.send_to(&[b'x'; 100], addr_of(&b)?)?;
    a.send_to(b"next", addr_of(&b)?)?;
    let mut tiny = [0u8; 10];
    let (n, from) = b.recv_from(&mut tiny)?;
    check_eq!(
        n,
        10,
        "recv_from returns only what fits in the buffer, and no error"
    );
    check_eq!(from, addr_of(&a)?, "it still says who sent it");
    let (rest, _) = receive(&b, "the second datagram went missing")?;
    check_eq!(
        rest,
        b"next".to_vec(),
        "the other 90 bytes are gone: the next recv_from returns the NEXT datagram"
    );
    Ok(())
}

/// hint: Nothing to write: `send_to` of more than 65,507 bytes over IPv4 fails with
/// EMSGSIZE ("Message too long") and sends nothing.
/// hint-zh: 这一级不用写代码：在 IPv4 上，`send_to` 超过 65,507 字节会以 EMSGSIZE（“Message too
/// long”）失败，什么都不发。
#[test]
fn step6_send_to_refuses_a_datagram_over_65507_bytes_on_ipv4() -> Check {
    // Plain std again: where the IPv4 limit lies.
    let a = socket()?;
    let b = socket()?;
    check_eq!(
        MAX_PAYLOAD_V4,
        65_507,
        "65,535 (IPv4's total length) - 20 (IPv4 header) - 8 (UDP header)"
    );
    let fits = a.send_to(&vec![1u8; MAX_PAYLOAD_V4], addr_of(&b)?)?;
    check_eq!(
        fits,
        MAX_PAYLOAD_V4,
        "send_to sends a whole datagram or nothing"
    );
    let (got, _) = receive(&b, "the largest datagram was not delivered")?;
    check_eq!(got.len(), MAX_PAYLOAD_V4, "it arrives whole");
    let too_long = a.send_to(&vec![1u8; MAX_PAYLOAD_V4 + 1], addr_of(&b)?);
    check!(
        too_long.is_err(),
        "send_to of 65,508 bytes returned {too_long:?}; the kernel refuses it (EMSGSIZE, \"Message too long\")"
    );
    check!(
        drain(&b)?.is_empty(),
        "a refused datagram is not sent at all, not even in part"
    );
    Ok(())
}

/// hint: In `request`, `socket.send_to(message, server)?` returns the "Message too long"
/// error at once: pass it on with `?`. Do not cut the message into several datagrams, and
/// do not go on to wait for a reply.
/// hint-zh: 在 `request` 里，`socket.send_to(message, server)?` 会立刻返回 “Message too
/// long” 错误：用 `?` 把它传上去。不要把消息切成几个数据报，也不要接着去等回复。
#[test]
fn step6_the_client_refuses_a_message_too_big_for_one_datagram() -> Check {
    let hole = socket()?;
    let to = addr_of(&hole)?.to_string();
    let mut line = vec![b'x'; MAX_PAYLOAD_V4 + 1];
    line.push(b'\n');
    // A client that waited for a reply would take 3 s or more.
    let out = harness::run(CLIENT, &[&to, "--timeout-ms", "3000"], &line)?;
    out.expect_code(1, "a message over 65,507 bytes cannot be sent over IPv4")?;
    out.expect_one_error_line()?;
    check!(
        drain(&hole)?.is_empty(),
        "nothing may arrive: one datagram cannot carry the message, and splitting it would make several messages of one"
    );
    check!(
        out.took < Duration::from_millis(2500),
        "the client took {:?}: send_to fails at once for a message too big, so return its error instead of waiting for a reply",
        out.took
    );
    Ok(())
}

// ---------------------------------------------------------------- step 7: the command line

/// hint: `kit::run` turns a `Cli` error into `error: ...`, the usage line and exit 2: get
/// the address with `cli.addr(DEFAULT_ADDR)?` and finish with `cli.finish()?`, which
/// refuses an unknown flag.
/// hint-zh: `kit::run` 会把 `Cli` 的错误变成 `error: ...`、用法那一行和退出码 2：用
/// `cli.addr(DEFAULT_ADDR)?` 取地址，最后用 `cli.finish()?` 收尾，它会拒绝不认识的参数。
#[test]
fn step7_a_bad_address_or_flag_is_a_usage_error_exit_2() -> Check {
    let cases: [(&str, &[&str]); 5] = [
        (SERVER, &["not-an-address"]),
        (SERVER, &["127.0.0.1:0", "--nope"]),
        (CLIENT, &["--retries", "many", "hi"]),
        (CLIENT, &["--timeout-ms", "0", "hi"]),
        (CLIENT, &["--nope", "hi"]),
    ];
    for (exe, args) in cases {
        let out = harness::run(exe, args, b"")?;
        out.expect_code(
            2,
            &format!("{args:?} is a bad command line: exit 2 with `error: ...` and the usage line"),
        )?;
        check!(
            out.stderr.first().is_some_and(|l| l.starts_with("error: "))
                && out.stderr.iter().any(|l| l.starts_with("usage: ")),
            "{args:?}: print `error: ...` then the usage line on stderr; got {:?}",
            out.stderr
        );
    }
    Ok(())
}

/// hint: `kit::run(HELP, ..)` prints HELP for `-h` and `--help` and exits 0 before your
/// code runs: the first line of HELP must be the usage line.
/// hint-zh: `kit::run(HELP, ..)` 在你的代码运行之前，就会为 `-h` 和 `--help` 打印 HELP，
/// 并以退出码 0 退出：HELP 的第一行必须是用法那一行。
#[test]
fn step7_help_prints_usage_and_exits_0() -> Check {
    for exe in [SERVER, CLIENT] {
        let out = harness::run(exe, &["--help"], b"")?;
        out.expect_code(0, "--help is not an error")?;
        check!(
            out.stdout.first().is_some_and(|l| l.starts_with("usage: ")),
            "--help starts with the usage line; got {:?}",
            out.stdout
        );
    }
    Ok(())
}
