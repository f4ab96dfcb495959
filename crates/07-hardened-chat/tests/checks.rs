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
                // A read with a timeout is not restarted after the process
                // was stopped and continued (signal(7)): read again.
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
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

/// hint: `read_line` is stage 5's, given here: `lib.rs` re-exports it (`pub use
/// framing::read_line`). This check fails only if that line is gone or stage 5's `read_line`
/// changed.
/// hint-zh: `read_line` 是第 5 阶段的，这里直接给出：`lib.rs` 用 `pub use framing::read_line` 把它
/// 导出。只有这一行没了，或者第 5 阶段的 `read_line` 被改了，这个检查才会失败。
/// hint: It returns each line without its `\n` or `\r\n`, `Ok(Some(vec![]))` for an empty line and
/// `Ok(None)` at a clean end: stage 5's rung 2 checks the same.
/// hint-zh: 它返回的每一行都去掉了 `\n` 或 `\r\n`；空行是 `Ok(Some(vec![]))`，干净的结束是
/// `Ok(None)`：第 5 阶段的第 2 级检查的是同样的事。
/// lesson: lessons/05-framing.md#the-rust
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

/// hint: Given, as above: stage 5's `read_line`. The limit counts the line, not its `\n` or `\r\n`.
/// hint-zh: 同上，这是给出的第 5 阶段的 `read_line`。上限数的是这一行本身，不算它的 `\n` 或
/// `\r\n`。
/// hint: In stage 5 that is `take(max + 2)` before `read_until`, and `InvalidData` for a line
/// still longer than `max` once its end is taken off.
/// hint-zh: 在第 5 阶段，这就是在 `read_until` 之前先 `take(max + 2)`；去掉行尾之后还比 `max` 长的
/// 行，返回 `InvalidData`。
/// lesson: lessons/05-framing.md#the-rust
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

/// hint: The bound must stop the reading, not be checked once the line is complete: a peer that
/// never sends `\n` would fill the server's memory. Stage 5's `read_line` does this; it is given.
/// hint-zh: 上限必须让读取停下来，而不是等这一行读完了再检查：对端要是永远不发 `\n`，服务端的内存就
/// 会被填满。第 5 阶段的 `read_line` 就是这么做的；这里直接给出。
/// hint: If you wrote your own: `r.take(max as u64 + 2).read_until(b'\n', &mut line)`, never
/// `read_until` alone.
/// hint-zh: 如果你自己写了一个：用 `r.take(max as u64 + 2).read_until(b'\n', &mut line)`，千万别单
/// 独用 `read_until`。
/// lesson: lessons/05-framing.md#the-rust
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

/// hint: A stream that ends in the middle of a line is `ErrorKind::UnexpectedEof`: the line is not
/// a message, its end never came. Given: stage 5's `read_line`.
/// hint-zh: 字节流在一行的中间结束，就是 `ErrorKind::UnexpectedEof`：这一行不算一条消息，它的结尾根
/// 本没来。这是给出的第 5 阶段的 `read_line`。
/// lesson: lessons/05-framing.md#the-rust
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

/// hint: The server's `main` is given: `--help` exits 0, a bad command line exits 2
/// (`kit::Error::Usage`), and `--queue 0` is refused (a queue of 0 lines holds nothing).
/// hint-zh: 服务端的 `main` 是给出的：`--help` 退出码为 0，错误的命令行退出码为
/// 2（`kit::Error::Usage`），`--queue 0` 会被拒绝（容量为 0 行的队列什么都放不下）。
/// hint: If it fails, look at `src/bin/server.rs`: `cli.value("--queue")?`,
/// `cli.addr(DEFAULT_ADDR)?` and `cli.finish()?` before anything listens.
/// hint-zh: 如果它失败了，去看 `src/bin/server.rs`：在开始监听之前，先
/// `cli.value("--queue")?`、`cli.addr(DEFAULT_ADDR)?` 和 `cli.finish()?`。
/// lesson: lessons/06-chat.md#run-it
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

/// hint: A port already in use is a run-time error: one `error: ...` line on stderr and exit 1,
/// from `main`'s `.context("cannot listen on ...")`. `main` is given.
/// hint-zh: 端口已被占用是运行时错误：stderr 上一行 `error: ...`，退出码 1，来自 `main` 里的
/// `.context("cannot listen on ...")`。`main` 是给出的。
/// lesson: lessons/06-chat.md#run-it
#[test]
fn step9_a_port_in_use_is_one_clear_error() -> Check {
    let taken = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = taken.local_addr()?.to_string();
    let done = harness::run(SERVER, &[&addr], b"")?;
    done.expect_code(1, "a port in use is a run-time error: exit 1")?;
    done.expect_one_error_line()
}

/// hint: `main` prints `listening on ADDR` and calls `serve`, stage 3's accept loop:
/// `listener.accept()`, then a thread per client with `thread::Builder::new().spawn(..)`.
/// hint-zh: `main` 打印 `listening on ADDR`，然后调用 `serve`，也就是第 3 阶段的链接循
/// 环：`listener.accept()`，然后用 `thread::Builder::new().spawn(..)` 为每个客户端开一个线程。
/// hint: `serve` must not return after one client: loop on `accept`, and leave the loop only when
/// `stop.requested()` says the connection was Ctrl-C's wake-up.
/// hint-zh: `serve` 不能服务完一个客户端就返回：在 `accept` 上循环，只有当 `stop.requested()` 表明
/// 这条连接是 Ctrl-C 的唤醒时，才跳出循环。
/// lesson: lessons/06-chat.md#the-diff-from-stage-3
#[test]
fn step9_listens_and_prints_the_address_it_bound() -> Check {
    let server = start()?;
    check!(
        server.addr().starts_with("127.0.0.1:"),
        "the server was asked to listen on 127.0.0.1:0 but says {}",
        server.addr()
    );
    connect(server.addr())?;
    Ok(())
}

/// hint: Each connection gets its own thread (`serve`), which runs `admit`: a bounded queue
/// (`sync_channel(n)`), a place in the room (`lock(room).add(..)`), a writer thread running
/// `write_out`, and `converse` until the client leaves.
/// hint-zh: 每条连接都有自己的线程（`serve`），线程里运行 `admit`：一个有界队列
/// （`sync_channel(n)`），聊天室里的一个位置（`lock(room).add(..)`），一个运行 `write_out` 的写线
/// 程，然后是 `converse`，直到客户端离开。
/// hint: `converse` reads lines with `read_line(&mut reader, MAX_LINE)` on one `BufReader` kept
/// for the whole conversation (a line may take two reads, one read may hold two lines), skips
/// blank lines, and answers a line `parse_message` refuses with `lock(room).tell(id,
/// error_line(&why))`.
/// hint-zh: `converse` 在一个整场对话都不换的 `BufReader` 上用 `read_line(&mut reader, MAX_LINE)`
/// 读行（一行可能要读两次，一次也可能读到两行），跳过空行；`parse_message` 拒绝的行，用
/// `lock(room).tell(id, error_line(&why))` 回复。
/// hint: The reader never writes to the socket: `write_out` does, `for line in inbox {
/// conn.write_all(line.as_bytes()) }`, then `conn.shutdown(Shutdown::Both)` once the room lets go.
/// No error came back at all: is the writer thread started (`spawn_scoped` inside `thread::scope`)?
/// hint-zh: 负责读的线程从不往套接字里写：写的是 `write_out`，`for line in inbox {
/// conn.write_all(line.as_bytes()) }`，聊天室放手之后再 `conn.shutdown(Shutdown::Both)`。要是一个错
/// 误都没回来：写线程启动了吗（在 `thread::scope` 里用 `spawn_scoped`）？
/// lesson: lessons/06-chat.md#the-rust
#[test]
fn step9_each_connection_gets_an_error_for_a_line_that_is_not_a_message() -> Check {
    let server = start()?;
    // Two connections at once, neither joined: each is served by its own
    // thread, and the room answers a bad line through the sender's queue.
    let mut first = Peer::connect(&server, "first")?;
    let mut second = Peer::connect(&server, "second")?;
    let why = "(each connection has its own thread; converse answers a line parse_message refuses with lock(room).tell(id, error_line(&why)), and that client's writer thread, write_out, sends it)";
    second.send_raw(b"hello\n")?;
    second
        .expect_error("the line \"hello\" (not JSON), while another connection was open")
        .map_err(|e| Fail(format!("{e}\n{why}")))?;
    // Blank lines say nothing; a line may come in two writes; then a line
    // with no "msg".
    second.send_raw(b"\n  \r\n[\"second\",")?;
    thread::sleep(Duration::from_millis(20));
    second.send_raw(b" \"hi\"]\n{\"name\": \"second\"}\n")?;
    second.expect_error("a JSON array, sent in two writes after two blank lines")?;
    second.expect_error("{\"name\": \"second\"} (no \"msg\")")?;
    first.send_raw(b"{\"name\": 42, \"msg\": \"hi\"}\n")?;
    first
        .expect_error("{\"name\": 42, ...} on the first connection")
        .map_err(|e| Fail(format!("{e}\n{why}")))?;
    // The end of its input ends the conversation: the server closes, and
    // nothing came for the blank lines.
    second.stream.shutdown(std::net::Shutdown::Write)?;
    let rest = second.expect_closed("after the client shut down its sending side")?;
    check!(
        rest.is_empty(),
        "a blank line is not a message: skip it, answer nothing; the server sent {:?}",
        String::from_utf8_lossy(&rest)
    );
    Ok(())
}

/// hint: `/quit` is the client saying goodbye: `converse` returns `Ok(End::Quit)` as soon as
/// `parse_message` gives a message whose `msg` is `"/quit"`, before the room hears it.
/// hint-zh: `/quit` 是客户端在说再见：只要 `parse_message` 解析出的消息 `msg` 是
/// `"/quit"`，`converse` 就立刻返回 `Ok(End::Quit)`，不交给聊天室。
/// hint: Then `admit` takes it out of the room (`lock(room).leave(id)`): its queue's sender is
/// dropped, `write_out`'s `for line in inbox` ends, and its `shutdown` closes the connection.
/// hint-zh: 然后 `admit` 把它移出聊天室（`lock(room).leave(id)`）：它队列的发送端被
/// drop，`write_out` 里的 `for line in inbox` 结束，接着 `shutdown` 关闭连接。
/// lesson: lessons/06-chat.md#the-diff-from-stage-3
#[test]
fn step9_quit_as_a_first_line_closes_the_connection_with_nothing_said() -> Check {
    let server = start()?;
    let mut alice = Peer::connect(&server, "alice")?;
    alice.say("/quit")?;
    let rest = alice
        .expect_closed("after {\"name\": \"alice\", \"msg\": \"/quit\"} as the first line")
        .map_err(|e| {
            Fail(format!(
                "{e}\n(a message \"/quit\" ends the conversation: converse returns Ok(End::Quit), admit leaves the room, and the writer shuts the connection down)"
            ))
        })?;
    check!(
        rest.is_empty(),
        "\"/quit\" ends the conversation before anything reaches the room: no join notice, no echo; alice got {:?}",
        String::from_utf8_lossy(&rest)
    );
    Ok(())
}

/// hint: `converse` reads with `read_line(&mut reader, MAX_LINE)`: stage 5's bound stops the
/// reading at 64 KiB, even when no `\n` ever comes. `read_until` alone, or `lines()`, would wait
/// for the newline for ever.
/// hint-zh: `converse` 用 `read_line(&mut reader, MAX_LINE)` 来读：第 5 阶段的上限会在 64 KiB 处让
/// 读取停下来，哪怕 `\n` 永远不来。单独用 `read_until` 或者 `lines()`，就会永远等那个换行符。
/// hint: On an `Err(e)` with `e.kind() == ErrorKind::InvalidData`: tell the client
/// (`lock(room).tell(id, error_line(..))`) and return the error; the writer sends the error line,
/// then closes.
/// hint-zh: 遇到 `e.kind() == ErrorKind::InvalidData` 的 `Err(e)`：先告诉客户端
/// （`lock(room).tell(id, error_line(..))`），再返回这个错误；写线程把错误行发出去，然后关闭连接。
/// lesson: lessons/06-chat.md#the-diff-from-stage-3
#[test]
fn step9_a_line_over_64_kib_is_refused_while_it_is_read_and_closed() -> Check {
    let server = start()?;
    let mut endless = Peer::connect(&server, "endless")?;
    // 64 KiB + 1 MiB and no newline, the connection left open, from a
    // connection that never joined: converse's read_line stops at 64 KiB.
    let mut writer = endless.stream.try_clone()?;
    let sending = thread::spawn(move || {
        let chunk = [b'a'; 16 * 1024];
        let mut sent = 0usize;
        while sent < (64 + 1024) * 1024 && writer.write_all(&chunk).is_ok() {
            sent += chunk.len();
        }
    });
    endless
        .expect_error("64 KiB + 1 MiB without a newline, the connection still open")
        .map_err(|e| {
            Fail(format!(
                "{e}\n(converse reads with read_line(&mut reader, MAX_LINE): its bound stops the reading at 64 KiB, not once a newline comes; on InvalidData, tell the client and return)"
            ))
        })?;
    endless.expect_closed("after a line over the limit")?;
    let _ = sending.join();
    Ok(())
}

/// hint: Only a line too long (`ErrorKind::InvalidData` from `read_line`) is told: a stream that
/// ends in the middle of a line (`UnexpectedEof`) or a reset is the client gone, not a bad line.
/// Return those errors without a word to the client.
/// hint-zh: 只有太长的行（`read_line` 返回 `ErrorKind::InvalidData`）才要告诉客户端：字节流在一行中间
/// 结束（`UnexpectedEof`）或者连接被重置，是客户端走了，不是一行坏数据。这些错误直接返回，不给客户端
/// 发任何话。
/// lesson: lessons/06-chat.md#the-diff-from-stage-3
#[test]
fn step9_a_connection_cut_in_the_middle_of_a_line_is_closed_without_an_error_line() -> Check {
    let server = start()?;
    let mut cut = Peer::connect(&server, "cut")?;
    cut.send_raw(b"{\"name\": \"cut\", \"ms")?;
    cut.stream.shutdown(std::net::Shutdown::Write)?;
    let rest = cut.expect_closed("after half a line and the end of the client's input")?;
    check!(
        rest.is_empty(),
        "the client ended its input in the middle of a line: it is gone, not sending a bad line; close without an error line (only InvalidData, a line too long, is told); it got {:?}",
        String::from_utf8_lossy(&rest)
    );
    Ok(())
}

/// hint: `serve` keeps each client thread's `JoinHandle`, to join them all on Ctrl-C; a handle
/// kept is a finished thread's stack (2 MiB of address space) kept until it is joined. Keep only
/// the threads still running.
/// hint-zh: `serve` 留着每个客户端线程的 `JoinHandle`，好在 Ctrl-C 时把它们全都 join；留着一个句柄，就
/// 留着一个已经结束的线程的栈（2 MiB 地址空间），直到它被 join。只留下还在运行的线程。
/// hint: After each spawn, `threads.retain(|t| !t.is_finished())`: a handle dropped detaches its
/// finished thread, and the OS takes its stack back.
/// hint-zh: 每次 spawn 之后，`threads.retain(|t| !t.is_finished())`：句柄一 drop，那个已经结束的线程
/// 就分离了，操作系统会收回它的栈。
/// lesson: lessons/06-chat.md#the-diff-from-stage-3
#[cfg(target_os = "linux")]
#[test]
fn step9_a_client_that_left_leaves_no_thread_stack_behind() -> Check {
    const CLIENTS: u64 = 64;
    // One malloc arena: glibc otherwise maps 64 MiB more for some new
    // threads, which would hide what this check measures. (`env` execs the
    // server, so the process is the same.)
    let server = Server::start("env", &["MALLOC_ARENA_MAX=1", SERVER, "127.0.0.1:0"])?;
    let pid = server.pid();
    let one_client = |i: u64| -> Check {
        let mut peer = Peer::connect(&server, &format!("client{i}"))?;
        peer.say("/quit")?;
        peer.expect_closed("after /quit")?;
        Ok(())
    };
    // The first threads' stacks are the ones the others can reuse.
    one_client(0)?;
    one_client(1)?;
    let before = mapped_bytes(pid)?;
    for i in 2..CLIENTS + 2 {
        one_client(i)?;
    }
    let grew = mapped_bytes(pid)?.saturating_sub(before);
    check!(
        grew < 32 << 20,
        "after {CLIENTS} clients came and left, one at a time, the server maps {} MiB more than before: about 2 MiB per client, a thread stack each. serve keeps the JoinHandles to join on Ctrl-C: drop those of finished threads (`threads.retain(|t| !t.is_finished())`); kept and never joined, a handle keeps its stack",
        grew >> 20
    );
    Ok(())
}

/// The virtual memory the process `pid` has mapped, in bytes (Linux).
#[cfg(target_os = "linux")]
fn mapped_bytes(pid: u32) -> Result<u64, Fail> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmSize:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kib| kib * 1024)
        .ok_or_else(|| Fail::new("no VmSize in /proc/PID/status"))
}

// ---------------------------------------------------------------- rung 2

/// hint: `parse_message` is given: serde reads the line into `Message` (Python's `json.loads`),
/// and refuses what is not one object with string `name` and `msg`.
/// hint-zh: `parse_message` 是给出的：serde 把这一行读进 `Message`（相当于 Python 的
/// `json.loads`），不是“一个带字符串 `name` 和 `msg` 的对象”的，一律拒绝。
/// hint: `time` is ignored on the way in (`#[serde(skip_deserializing)]`): the server stamps its
/// own. A failure here means `Message` or `parse_message` was changed.
/// hint-zh: 读进来时 `time` 会被忽略（`#[serde(skip_deserializing)]`）：时间戳由服务端自己盖。这里
/// 失败，说明 `Message` 或 `parse_message` 被改过了。
/// lesson: lessons/06-chat.md#the-rust
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

/// hint: `json_line` and `error_line` are given: `serde_json::to_string(..)` and a `\n` (Python's
/// `json.dumps(m) + "\n"`); JSON escapes a `\n` inside the message, so one message is one line.
/// hint-zh: `json_line` 和 `error_line` 是给出的：`serde_json::to_string(..)` 再加一个 `\n`（相当
/// 于 Python 的 `json.dumps(m) + "\n"`）；消息里的 `\n` 会被 JSON 转义，所以一条消息就是一行。
/// hint: Without a time (`None`), the line has only `name` and `msg`: `skip_serializing_if =
/// "Option::is_none"`.
/// hint-zh: 没有时间（`None`）时，这一行只有 `name` 和 `msg`：靠的是 `skip_serializing_if =
/// "Option::is_none"`。
/// lesson: lessons/06-chat.md#the-rust
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

/// hint: `check_name` decides whether a name may be shown on everyone's screen: 1 to 32
/// characters, nothing invisible, no space at either end, and not `server` in any case.
/// hint-zh: `check_name` 决定一个名字能不能出现在每个人的屏幕上：1 到 32 个字符，不含看不见的字符，
/// 两头没有空格，也不能是任何大小写形式的 `server`。
/// hint: Count `name.chars().count()`, not `name.len()` (bytes: `你` is 3). Refuse any character
/// `kit::invisible(c)` finds: controls, zero-width and format characters, bidi controls, the BOM;
/// `is_control()` alone misses most of them.
/// hint-zh: 用 `name.chars().count()` 来数，而不是 `name.len()`（那是字节数：`你` 占 3 个字
/// 节）。`kit::invisible(c)` 认出的字符一律拒绝：控制字符、零宽字符和格式字符、双向文本控制
/// 符、BOM；只用 `is_control()` 会漏掉其中大部分。
/// hint: `name.trim() != name` catches a space at either end (the ideographic space `\u{3000}`
/// too); `name.to_lowercase() == SERVER_NAME` catches `SeRvEr`. Return `Err(why)` with a reason
/// the client can read.
/// hint-zh: `name.trim() != name` 能抓住两头的空格（包括全角空格
/// `\u{3000}`）；`name.to_lowercase() == SERVER_NAME` 能抓住 `SeRvEr`。返回 `Err(why)`，理由要让客
/// 户端看得懂。
/// lesson: lessons/06-chat.md#the-rust
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

/// hint: `hear` is the room taking one message: a first message binds the connection's name
/// (`check_name`, then free ignoring case) and the room hears `NAME joined` from `server`; then
/// `broadcast` passes the message on to every member with a name, the sender included.
/// hint-zh: `hear` 就是聊天室收下一条消息：第一条消息为这条连接绑定名字（先过 `check_name`，再看它
/// 在不区分大小写时有没有被占用），聊天室听到来自 `server` 的 `NAME joined`；然后由 `broadcast` 把
/// 消息转给每个有名字的成员，发送者自己也在内。
/// hint: The sender never saw its message: broadcast to everyone, not to everyone but the sender;
/// the echo is how a client learns the room's order.
/// hint-zh: 发送者看不到自己的消息：要广播给所有人，而不是“除了发送者以外的所有人”；客户端正是靠回
/// 显得知聊天室里的顺序。
/// hint: The time is the server's: `broadcast` stamps the line with `now()`
/// (`kit::rfc3339(SystemTime::now())`) as the message arrives; a `time` the client sent is never
/// passed on.
/// hint-zh: 时间是服务端的：消息到达时，`broadcast` 用 `now()`（`kit::rfc3339(SystemTime::now())`）
/// 给这一行盖上时间戳；客户端自己发来的 `time` 绝不转发。
/// hint: `broadcast` is one line: `self.send(json_line(name, msg, now()), |m| m.name.is_some())`;
/// `send` (given) queues it for each member `to` picks, with `try_send`.
/// hint-zh: `broadcast` 只有一行：`self.send(json_line(name, msg, now()), |m|
/// m.name.is_some())`；`send`（给出的）用 `try_send` 把它放进 `to` 选中的每个成员的队列。
/// lesson: lessons/06-chat.md#the-rust
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

/// hint: Every line the server sends is one JSON object and `\n`: without the `\n` a client never
/// knows the line is complete, and waits.
/// hint-zh: 服务端发出的每一行都是一个 JSON 对象加一个 `\n`：没有这个 `\n`，客户端永远不知道这一行
/// 完没完，只能一直等。
/// hint: Make lines with `json_line` (it adds the `\n`), not `serde_json::to_string` alone;
/// `write_out` writes each queued line whole (`write_all`), adding nothing and dropping nothing.
/// hint-zh: 用 `json_line` 来生成每一行（它会加上 `\n`），而不是只用
/// `serde_json::to_string`；`write_out` 把队列里的每一行完整地写出去（`write_all`），不加也不丢。
/// lesson: lessons/06-chat.md#the-rust
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

/// hint: TCP delivers bytes, not messages (粘包): a line may take several reads, and one read may
/// hold several lines. `converse` reads lines with `read_line` on one `BufReader`, never one
/// `read` per message.
/// hint-zh: TCP 传的是字节，不是消息（粘包）：一行可能要读好几次，一次读也可能拿到好几
/// 行。`converse` 在同一个 `BufReader` 上用 `read_line` 读行，绝不是一次 `read` 当一条消息。
/// hint: Keep the `BufReader` outside the loop: a new one per line throws away what it had already
/// read past the line's end. `read_line` takes the `\r` of `\r\n` off too.
/// hint-zh: `BufReader` 要放在循环外面：每读一行就新建一个，会把它已经读到、但在这一行结尾之后的数
/// 据扔掉。`read_line` 也会去掉 `\r\n` 里的 `\r`。
/// lesson: lessons/06-chat.md#the-diff-from-stage-3
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

/// hint: `/quit` from a client that joined ends its conversation on the server: `converse` returns
/// `Ok(End::Quit)` before the room hears it, so it is never broadcast.
/// hint-zh: 已加入的客户端发来 `/quit`，服务端就结束和它的对话：`converse` 在聊天室听到它之前返回
/// `Ok(End::Quit)`，所以它绝不会被广播出去。
/// hint: Test `said.msg == "/quit"` on the parsed message, before `lock(room).hear(id, said)`;
/// `admit`'s `leave` and the writer's `shutdown` then close the connection. chat-client never
/// sends `/quit` (it closes), so only this check sees the server's side.
/// hint-zh: 在解析出的消息上判断 `said.msg == "/quit"`，放在 `lock(room).hear(id, said)` 之前；之
/// 后 `admit` 里的 `leave` 和写线程的 `shutdown` 会关闭连接。chat-client 从来不发 `/quit`（它直接关
/// 闭连接），所以只有这个检查能看到服务端这一侧。
/// lesson: lessons/06-chat.md#the-diff-from-stage-3
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

/// hint: Every message goes to every member that joined: `broadcast` walks all of `self.members`,
/// not the sender alone.
/// hint-zh: 每条消息都要发给每个已加入的成员：`broadcast` 要遍历整个 `self.members`，而不只是发送
/// 者。
/// hint: Each client's thread joins the one shared room (`SharedRoom`, cloned into each thread by
/// `serve`): a new `Room` per client would leave everyone alone.
/// hint-zh: 每个客户端的线程都加入同一个共享的聊天室（`SharedRoom`，由 `serve` 克隆给每个线程）：要
/// 是每个客户端各建一个 `Room`，大家就都是一个人待着。
/// lesson: lessons/06-chat.md#the-rust
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

/// hint: When a first message binds a name, `hear` broadcasts a notice from `server`, `NAME
/// joined`, before the message itself; when a member with a name leaves, `leave` (given)
/// broadcasts `NAME left`.
/// hint-zh: 第一条消息绑定名字时，`hear` 先广播一条来自 `server` 的通知 `NAME joined`，然后才是这条
/// 消息本身；有名字的成员离开时，`leave`（给出的）广播 `NAME left`。
/// hint: In `hear`'s `None` arm: `self.members[at].name = Some(name.clone());`, then
/// `self.broadcast(SERVER_NAME, &format!("{name} joined"))`, then the message. A connection that
/// never joined leaves with no notice.
/// hint-zh: 在 `hear` 的 `None` 分支里：先 `self.members[at].name = Some(name.clone());`，再
/// `self.broadcast(SERVER_NAME, &format!("{name} joined"))`，然后才是消息。从没加入过的连接离开时，
/// 没有通知。
/// lesson: lessons/06-chat.md#the-rust
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

/// hint: After `/quit`, the room says `NAME left` as for any leaving, and `/quit` itself is never
/// broadcast: `converse` returns `End::Quit` before `hear`, and `admit` calls `leave`.
/// hint-zh: 发了 `/quit` 之后，聊天室像对待别的离开一样说 `NAME left`，而 `/quit` 本身绝不广
/// 播：`converse` 在 `hear` 之前返回 `End::Quit`，`admit` 再调用 `leave`。
/// lesson: lessons/06-chat.md#the-diff-from-stage-3
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

/// hint: Only a name makes a member: a connection hears the room once its first message bound its
/// name; before that it gets only the answers to its own lines.
/// hint-zh: 有了名字才算成员：一条连接在第一条消息绑定名字之后，才能听到聊天室；在那之前，它只收得
/// 到对自己那几行的回复。
/// hint: `broadcast` queues for the members `|m| m.name.is_some()` picks, not for every
/// connection; an error goes to its sender alone (`tell`).
/// hint-zh: `broadcast` 只放进 `|m| m.name.is_some()` 选中的成员的队列，而不是每条连接；错误只发给
/// 发送者本人（`tell`）。
/// lesson: lessons/06-chat.md#the-rust
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

/// hint: A line that is not JSON gets `{"error": ...}` back, to its sender alone, and the
/// connection stays open: nothing is broadcast.
/// hint-zh: 不是 JSON 的行，回一条 `{"error": ...}`，只给发送者本人，连接保持打开：什么都不广播。
/// hint: In `converse`: on `Err(why)` from `parse_message`, `lock(room).tell(id,
/// error_line(&why))`, and go on reading; never `return` on a bad line, never `broadcast` it.
/// hint-zh: 在 `converse` 里：`parse_message` 返回 `Err(why)` 时，`lock(room).tell(id,
/// error_line(&why))`，然后接着读；碰到坏行既不要 `return`，也不要 `broadcast`。
/// lesson: lessons/06-chat.md#the-diff-from-stage-3
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

/// hint: A line that is JSON but not a message (no `msg`, a `name` that is not a string, an array,
/// a string) is refused like bad JSON: its sender gets the reason, nobody else hears anything.
/// hint-zh: 是 JSON 但不是一条消息的行（没有 `msg`，`name` 不是字符串，是个数组或字符串）和坏 JSON
/// 一样被拒绝：发送者收到原因，别人什么都听不到。
/// hint: `parse_message` (given) says what is wrong; pass its `Err(why)` to `tell` as it is.
/// hint-zh: `parse_message`（给出的）会说明错在哪；把它的 `Err(why)` 原样交给 `tell`。
/// lesson: lessons/06-chat.md#the-diff-from-stage-3
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

/// hint: The server checks the name a first message asks for: `hear` calls `check_name(name)?`
/// before binding it; a refused name binds nothing, and the connection may try another.
/// hint-zh: 服务端要检查第一条消息想要的名字：`hear` 在绑定之前先调用 `check_name(name)?`；被拒绝的
/// 名字什么都不绑定，这条连接可以换个名字再试。
/// hint: `hear` returns `Err(why)`; `converse` tells it to the sender alone. A name of 32
/// characters, such as 32 × `你`, is allowed: count `chars()`, not bytes.
/// hint-zh: `hear` 返回 `Err(why)`；`converse` 只把它告诉发送者。32 个字符的名字，比如 32 个 `你`，
/// 是允许的：数 `chars()`，不是数字节。
/// lesson: lessons/06-chat.md#the-rust
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

/// hint: The first message binds a connection's name; a later message with another name is
/// refused, or anyone could speak as anyone.
/// hint-zh: 第一条消息绑定了这条连接的名字；之后的消息要是换了名字，就拒绝它，否则谁都可以冒充任何
/// 人。
/// hint: In `hear`: `Some(bound) if bound == name` passes; `Some(bound)` with another name is
/// `Err(format!("this connection is {bound:?}, not {name:?}"))`.
/// hint-zh: 在 `hear` 里：`Some(bound) if bound == name` 放行；`Some(bound)` 而名字不同，就是
/// `Err(format!("this connection is {bound:?}, not {name:?}"))`。
/// lesson: lessons/06-chat.md#the-rust
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

/// hint: Names are unique among the members, ignoring case: on screen `Observer` passes for
/// `observer`. A member that leaves frees its name.
/// hint-zh: 名字在成员之间必须唯一，不区分大小写：在屏幕上 `Observer` 可以冒充 `observer`。成员离开
/// 后，它的名字就又空出来了。
/// hint: Compare `n.to_lowercase() == name.to_lowercase()` over the names already bound, not `==`;
/// `check_name` comes first, so `observer\u{200b}` (invisible) never gets that far.
/// hint-zh: 在已绑定的名字里比较 `n.to_lowercase() == name.to_lowercase()`，而不是
/// `==`；`check_name` 先检查，所以 `observer\u{200b}`（含看不见的字符）根本到不了这一步。
/// lesson: lessons/06-chat.md#the-rust
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

/// hint: A line of exactly 64 KiB (its `\n` not counted) is a message; one byte more is refused
/// with an error line, and the connection closed: `read_line(&mut reader, MAX_LINE)`.
/// hint-zh: 正好 64 KiB（不算 `\n`）的一行是一条消息；多一个字节就用一行错误拒绝，并关闭连
/// 接：`read_line(&mut reader, MAX_LINE)`。
/// hint: On `InvalidData`, `tell` the client and return the error, before anything of the line
/// reaches the room: nothing of it is broadcast, and the others hear only `NAME left`.
/// hint-zh: 遇到 `InvalidData` 时，用 `tell` 告诉客户端，再返回这个错误，这一行的任何部分都不能进聊
/// 天室：一点都不广播，别人只会听到 `NAME left`。
/// lesson: lessons/06-chat.md#the-diff-from-stage-3
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

/// hint: A line that never ends must be refused after 64 KiB, not once a `\n` comes: a server that
/// reads the whole line first waits for ever, and stores all of it.
/// hint-zh: 永远不结束的一行，必须在读到 64 KiB 之后就拒绝，而不是等 `\n` 来了再说：先把整行读完的
/// 服务端会永远等下去，还把读到的全存着。
/// hint: Read with `read_line(&mut reader, MAX_LINE)` (its `take(MAX_LINE + 2)` stops the
/// reading), never `reader.read_until(b'\n', ..)` or `lines()` with a length check afterwards.
/// hint-zh: 用 `read_line(&mut reader, MAX_LINE)` 来读（它的 `take(MAX_LINE + 2)` 会让读取停下
/// 来），千万别用 `reader.read_until(b'\n', ..)` 或 `lines()` 读完再检查长度。
/// lesson: lessons/06-chat.md#the-diff-from-stage-3
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

/// hint: 30,000 nested brackets must get an error line, not crash the server: serde_json stops at
/// 128 levels, so `parse_message` refuses them; a parser of your own that recurses would overflow
/// the stack.
/// hint-zh: 嵌套 30,000 层的括号，必须得到一行错误，而不是让服务端崩溃：serde_json 到 128 层就停
/// 下，所以 `parse_message` 会拒绝它；自己写一个递归的解析器会把栈撑爆。
/// hint: Unknown fields are ignored (serde's default), whatever they hold: the message with
/// `"extra"` is passed on.
/// hint-zh: 不认识的字段，不管里面是什么，都被忽略（serde 的默认行为）：带 `"extra"` 的消息照常转
/// 发。
/// lesson: lessons/06-chat.md#the-rust
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

/// hint: Everyone sees one order: stamp and queue each message for every member while holding the
/// room's lock; the order of the lock is the order everyone sees.
/// hint-zh: 所有人看到同一个顺序：在持有聊天室的锁时，盖时间戳并把消息放进每个成员的队列；拿到锁的
/// 先后，就是所有人看到的先后。
/// hint: Do not lock, copy the list of queues, unlock, then send: two threads then send between
/// each other, and two clients see two orders. `hear` runs as `lock(room).hear(..)`, and
/// `broadcast` queues for everyone inside it.
/// hint-zh: 不要加锁、复制一份队列列表、解锁，然后再发：那样两个线程会交替着发送，两个客户端就看到
/// 两种顺序。`hear` 是以 `lock(room).hear(..)` 的方式运行的，`broadcast` 就在它里面把消息放进每个人
/// 的队列。
/// lesson: lessons/06-chat.md#the-rust
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

/// hint: `/who` is answered to its sender alone, by `server`, with `online: ` and the names of the
/// members that joined; nothing is broadcast.
/// hint-zh: `/who` 只回复给发送者本人，由 `server` 回答，内容是 `online: ` 加上已加入成员的名字；什
/// 么都不广播。
/// hint: In `hear`, once the name is bound or checked: if `said.msg == "/who"`, `self.tell(id,
/// json_line(SERVER_NAME, &format!("online: {}", names.join(", ")), now()))`, else `broadcast`. A
/// first message `/who` binds the name too, so the answer lists it.
/// hint-zh: 在 `hear` 里，名字绑定或检查过之后：如果 `said.msg == "/who"`，就 `self.tell(id,
/// json_line(SERVER_NAME, &format!("online: {}", names.join(", ")), now()))`，否则才 `broadcast`。
/// 第一条消息是 `/who` 时也会绑定名字，所以回答里也有这个名字。
/// lesson: lessons/06-chat.md#the-rust
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

/// hint: One client that stops reading must not stop the room: the room only queues lines (a
/// bounded queue per client), and each client's writer thread does the writing, waiting on that
/// client alone.
/// hint-zh: 一个客户端不再读，不能让整个聊天室停下来：聊天室只负责把行放进队列（每个客户端一个有界
/// 队列），真正的写由每个客户端自己的写线程来做，要等也只等那一个客户端。
/// hint: Never wait while holding the lock: no `send` that blocks on a full queue, no `write_all`
/// to a socket. `send` (given) uses `try_send`; on `Full` it shuts that client's connection down,
/// and the room says `... was disconnected`.
/// hint-zh: 持有锁的时候绝不等待：不要用在满队列上阻塞的 `send`，也不要对套接字
/// `write_all`。`send`（给出的）用的是 `try_send`；遇到 `Full`，就关掉那个客户端的连接，聊天室会说
/// `... was disconnected`。
/// hint: If your `broadcast` does not call `self.send(..)`, queue with
/// `member.outbox.try_send(line.clone())`; and the queue must be bounded: `sync_channel(n)` in
/// `admit`, never `channel()`.
/// hint-zh: 如果你的 `broadcast` 没有调用 `self.send(..)`，就用
/// `member.outbox.try_send(line.clone())` 放进队列；队列必须有界：`admit` 里用 `sync_channel(n)`，
/// 绝不能用 `channel()`。
/// lesson: lessons/06-chat.md#what-can-go-wrong
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

/// hint: Ctrl-C with nobody connected: `kit::Stop` wakes the blocked `accept()` with a connection
/// of its own; `serve` sees `stop.requested()`, leaves the loop, tells the room (`close`) and
/// returns how many it served.
/// hint-zh: 没有人连着的时候按 Ctrl-C：`kit::Stop` 自己发起一条连接，把阻塞在 `accept()` 上的调用唤
/// 醒；`serve` 看到 `stop.requested()`，跳出循环，通知聊天室（`close`），返回它服务过的客户端数量。
/// hint: Test `stop.requested()` right after `accept` returns, before counting the connection: the
/// wake-up is not a client (`served 0`).
/// hint-zh: `accept` 一返回就检查 `stop.requested()`，放在给这条连接计数之前：唤醒用的连接不是客户
/// 端（`served 0`）。
/// lesson: lessons/06-chat.md#the-diff-from-stage-3
#[test]
fn step16_ctrl_c_while_waiting_for_a_client() -> Check {
    let server = start()?;
    let asked = server.ctrl_c()?;
    server.expect_prompt_exit(asked, "served 0")?;
    Ok(())
}

/// hint: On Ctrl-C, `serve` tells the room (`lock(&room).close(..)`, given): every member hears
/// `the server is closing`, then each writer sends what is queued and closes its connection.
/// hint-zh: 按 Ctrl-C 时，`serve` 通知聊天室（`lock(&room).close(..)`，给出的）：每个成员都会听到
/// `the server is closing`，然后每个写线程把排队的内容发完，再关闭自己的连接。
/// hint: A connection that never joined hears nothing, not even that notice (`broadcast` picks
/// members with a name), and is closed too. Keep each client thread's `JoinHandle` and join them
/// all, so that every client's log line comes before the summary.
/// hint-zh: 从没加入过的连接什么都听不到，连这条通知也听不到（`broadcast` 只选有名字的成员），但它
/// 同样会被关闭。保存每个客户端线程的 `JoinHandle`，最后全部 join，这样每个客户端的日志行都出现在总
/// 结之前。
/// lesson: lessons/06-chat.md#the-rust
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

/// hint: A writer blocked in `write()` on a client that reads nothing never returns by itself:
/// after a short wait (300 ms), shut down every connection `close` returned, then join the threads.
/// hint-zh: 写线程阻塞在 `write()` 上，而客户端什么都不读，它自己永远不会返回：稍等一会儿（300 毫
/// 秒）之后，把 `close` 返回的每条连接都 shutdown，然后再 join 各个线程。
/// hint: `for conn in closing { let _ = conn.shutdown(Shutdown::Both); }`: the blocked `write()`
/// fails, `write_out` ends, and so does that client's thread; the summary comes last.
/// hint-zh: `for conn in closing { let _ = conn.shutdown(Shutdown::Both); }`：阻塞的 `write()` 失
/// 败，`write_out` 结束，那个客户端的线程也随之结束；总结最后才打印。
/// lesson: lessons/06-chat.md#the-rust
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

/// hint: `show` turns one line from the server into what the client prints: `[HH:MM:SS] name: msg`
/// for a message, `[HH:MM:SS] * msg` for a notice from `server`, `[error] why` for an error.
/// hint-zh: `show` 把服务端发来的一行变成客户端要打印的内容：消息是 `[HH:MM:SS] name: msg`，来自
/// `server` 的通知是 `[HH:MM:SS] * msg`，错误是 `[error] why`。
/// hint: Parse with `serde_json::from_slice::<serde_json::Value>(line)`; the time of day is
/// characters 11 to 19 of `time` (`2026-11-22T12:34:56.789Z`), `??:??:??` when there is none.
/// hint-zh: 用 `serde_json::from_slice::<serde_json::Value>(line)` 解析；一天中的时刻是
/// `time`（`2026-11-22T12:34:56.789Z`）的第 11 到 19 个字符，没有时间就是 `??:??:??`。
/// lesson: lessons/06-chat.md#the-rust
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

/// hint: Whatever the server relays was chosen by another user: no name may make a line look like
/// a notice (`* ...`) or like someone else's line (`alice: ...`).
/// hint-zh: 服务端转发的任何内容都是别的用户选的：任何名字都不能让一行看起来像通知（`* ...`），或者
/// 像别人的一行（`alice: ...`）。
/// hint: Only the name `server` is shown as `* msg`. Quote a name with Debug (`{name:?}`) when it
/// has a space, `:` or `"`, starts with `*`, or fails `check_name`; pass `msg` through
/// `kit::printable`, so that a `\n` in it shows as `\n`.
/// hint-zh: 只有名字是 `server` 时才显示成 `* msg`。名字里有空格、`:` 或 `"`，以 `*` 开头，或者通不
/// 过 `check_name` 时，用 Debug 格式（`{name:?}`）给它加上引号；`msg` 要经过 `kit::printable`，这样
/// 里面的 `\n` 显示为 `\n`。
/// lesson: lessons/06-chat.md#the-rust
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

/// hint: The client (`src/bin/client.rs`, given) prints every line through `show`: a notice as
/// `[HH:MM:SS] * text`, a message as `[HH:MM:SS] name: msg`, its own message when the server
/// echoes it.
/// hint-zh: 客户端（`src/bin/client.rs`，给出的）打印的每一行都经过 `show`：通知是 `[HH:MM:SS] *
/// text`，消息是 `[HH:MM:SS] name: msg`，服务端回显的它自己的消息也一样。
/// hint: The time of day comes from the server's `time` (characters 11 to 19), not from the
/// client's clock.
/// hint-zh: 一天中的时刻取自服务端的 `time`（第 11 到 19 个字符），而不是客户端自己的时钟。
/// lesson: lessons/06-chat.md#the-rust
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

/// hint: The client is given: without `--name` it reads the name from the first line of stdin; at
/// the end of its input it shuts down its sending side and prints what the server still sends (its
/// last echo) before exiting 0.
/// hint-zh: 客户端是给出的：没有 `--name` 时，它从 stdin 的第一行读名字；输入结束时，它关闭发送方
/// 向，把服务端还在发的内容（它最后一条消息的回显）打印出来，然后以退出码 0 退出。
/// hint: If the echoes are missing, look at `show` (each goes through it) and at the server: after
/// the client's FIN, the writer sends what is queued before it closes.
/// hint-zh: 如果回显不见了，看看 `show`（每一条都要经过它），再看看服务端：客户端发来 FIN 之后，写
/// 线程要先把队列里的内容发完，再关闭连接。
/// lesson: lessons/06-chat.md#the-rust
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
    check!(
        done.stderr.is_empty(),
        "with stdin from a pipe the client prompts for nothing (`name: ` only when stdin is a terminal); stderr was {:?}",
        done.stderr
    );
    Ok(())
}

/// hint: Typed `/quit` leaves: the client sends nothing after it and exits 0, and the room says
/// `NAME left`. The client is given: a failure here comes from `show` or from the server's side of
/// leaving.
/// hint-zh: 敲 `/quit` 就离开：客户端在它之后什么都不发，以退出码 0 退出，聊天室说 `NAME left`。客
/// 户端是给出的：这里失败，问题出在 `show`，或者服务端处理离开的那一侧。
/// lesson: lessons/06-chat.md#the-rust
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

/// hint: A peer's text reaches your terminal only through `kit::printable`: `\x1b[2J` would clear
/// the screen, a `\r` or `\n` would draw a fake line.
/// hint-zh: 对端发来的文本只能经过 `kit::printable` 才能送到你的终端：`\x1b[2J` 会清屏，`\r` 或
/// `\n` 会画出一行假消息。
/// hint: In `show`, pass `msg` (and the time, and an error's text) through `printable`, and quote
/// the name `* mallory` with `{name:?}`: one message is one line on the screen.
/// hint-zh: 在 `show` 里，`msg`（还有时间、错误的文字）都要经过 `printable`，名字 `* mallory` 用
/// `{name:?}` 加上引号：一条消息在屏幕上就是一行。
/// lesson: lessons/06-chat.md#the-rust
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

/// hint: When the server closes the connection, the client's printer thread sees the end of the
/// stream, prints one `error: ...` line and ends the process with exit 1 (the main thread is
/// blocked reading stdin). The client is given.
/// hint-zh: 服务端关闭连接时，客户端负责打印的线程会看到字节流结束，打印一行 `error: ...`，然后以退
/// 出码 1 结束整个进程（主线程正阻塞在读 stdin 上）。客户端是给出的。
/// hint: If no notice with `clos` came first, look at the server's Ctrl-C: `close` tells the room
/// before the connections end.
/// hint-zh: 如果之前没有收到含 `clos` 的通知，看看服务端的 Ctrl-C 处理：`close` 要在连接结束之前通
/// 知聊天室。
/// lesson: lessons/06-chat.md#the-rust
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

/// hint: A name in use is refused by the server: the client's first line back is `{"error": ...}`,
/// and the given client prints the server's reason as one `error: ...` line and exits 1.
/// hint-zh: 已被占用的名字会被服务端拒绝：客户端收到的第一行是 `{"error": ...}`，给出的客户端把服务
/// 端的理由打印成一行 `error: ...`，然后以退出码 1 退出。
/// hint: The reason must say `taken`: `hear` refuses with `the name "alice" is taken; choose
/// another`, and `show` prints an error as `[error] why`.
/// hint-zh: 理由里要有 `taken`：`hear` 拒绝时说 `the name "alice" is taken; choose
/// another`，`show` 把错误打印成 `[error] why`。
/// lesson: lessons/06-chat.md#the-rust
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
    check!(
        done.stdout.is_empty(),
        "an error before anything else is the refusal: the client stops there, with nothing shown as a chat line; it printed {:?}",
        done.stdout
    );
    Ok(())
}

/// hint: The longest line the server takes (64 KiB) comes back a little longer: the server adds
/// its `time`. The client is given: it reads each line from the server with a bound of a client's
/// line plus room for the time (`MAX_LINE + 1024`), so a message of any size the room accepts is
/// shown.
/// hint-zh: 服务端收下的最长一行（64 KiB）发回来时会长一点：服务端加上了它的 `time`。客户端是给出的：
/// 它读服务端发来的每一行时，上限是一行客户端消息再留出放时间的余量（`MAX_LINE + 1024`），所以聊天
/// 室收下的任何长度的消息都能显示出来。
/// lesson: lessons/06-chat.md#the-rust
#[test]
fn step17_the_client_shows_a_message_as_long_as_the_server_takes() -> Check {
    let server = start()?;
    // `{"name":"carol","msg":"..."}` exactly 64 KiB long, `\n` not counted.
    let long = "a".repeat(64 * 1024 - r#"{"name":"carol","msg":""}"#.len());
    let input = format!("carol\n{long}\n");
    let done = harness::run(CLIENT, &[server.addr()], input.as_bytes())?;
    done.expect_code(
        0,
        "a message the server takes is shown, then end of input leaves: exit 0",
    )?;
    check!(
        done.stdout
            .iter()
            .any(|l| l.ends_with(&format!("carol: {long}"))),
        "a 64 KiB line is the largest the server takes; its echo, with the server's time added, must be shown whole: the client's bound on a line from the server leaves room for the time; stdout had {} lines, stderr {:?}",
        done.stdout.len(),
        done.stderr
    );
    Ok(())
}

/// hint: A client must not trust a server either: a line from it that never ends is refused once
/// it passes the client's bound (`read_line` with `MAX_LINE + 1024`), with one `error: ...` line
/// and exit 1, instead of buffering without end. The client is given.
/// hint-zh: 客户端也不能轻信服务端：服务端发来的一行如果一直不结束，一过客户端的上限（`read_line`，上限
/// `MAX_LINE + 1024`）就要拒绝，打印一行 `error: ...`，以退出码 1 退出，而不是无休止地缓存下去。客户端
/// 是给出的。
/// lesson: lessons/06-chat.md#the-rust
#[test]
fn step17_the_client_refuses_a_line_from_the_server_that_never_ends() -> Check {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?.to_string();
    // A server that sends 200 KB with no newline and keeps the connection open.
    let fake = thread::spawn(move || -> Check {
        let (mut conn, _) = listener.accept()?;
        conn.set_read_timeout(Some(harness::TIMEOUT))?;
        conn.set_write_timeout(Some(harness::TIMEOUT))?;
        let _ = conn.write_all(&vec![b'x'; 200 * 1024]);
        // Until the client closes (or the check gives up on it).
        let _ = io::copy(&mut conn, &mut io::sink());
        Ok(())
    });
    let client = Proc::spawn(CLIENT, &[&addr, "--name", "carol"])?;
    let done = client
        .wait_within_stdin_open(Duration::from_secs(3))
        .map_err(|e| {
            Fail(format!(
                "a server line with no end must be refused at the client's bound, not buffered for ever: {e}"
            ))
        })?;
    let _ = fake.join();
    done.expect_code(
        1,
        "a server line over the bound ends the client with an error: exit 1",
    )?;
    done.expect_one_error_line()
}

/// hint: The client's command line is given: `--help` exits 0; an empty name, the name `server` or
/// an unknown flag exit 2 before connecting, the names because `check_name` refuses them.
/// hint-zh: 客户端的命令行是给出的：`--help` 退出码为 0；空名字、名字 `server` 或者不认识的参数，在
/// 连接之前就以退出码 2 退出，名字是因为 `check_name` 拒绝了它们。
/// hint: If `--name server` is accepted, `check_name` lets `server` through: compare
/// `name.to_lowercase()` with `SERVER_NAME`.
/// hint-zh: 如果 `--name server` 被接受了，说明 `check_name` 放过了 `server`：拿
/// `name.to_lowercase()` 和 `SERVER_NAME` 比较。
/// lesson: lessons/06-chat.md#the-rust
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

/// hint: No server: `TcpStream::connect` fails with connection refused, and the client says so in
/// one `error: ...` line, exit 1. The client is given.
/// hint-zh: 没有服务端：`TcpStream::connect` 以“连接被拒绝”失败，客户端用一行 `error: ...` 说明，退
/// 出码 1。客户端是给出的。
/// lesson: lessons/06-chat.md#the-rust
#[test]
fn step17_the_client_reports_a_server_that_is_not_there() -> Check {
    let (_guard, addr) = harness::closed_port()?;
    let done = harness::run(CLIENT, &[&addr, "--name", "x"], b"hello\n")?;
    done.expect_code(1, "connection refused is a run-time error: exit 1")?;
    done.expect_one_error_line()
}
