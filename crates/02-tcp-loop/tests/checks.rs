//! Exercise checks for stage 2, `tcp-loop`, in the order a student builds it.
//!
//! The rungs: 1 `converse`, 2 `serve`, 3 `typed_reply`, 4 `round_trip` (the
//! functions `cargo practice start 2` turns into `todo!()`); 5 to 7 check the
//! same functions from other sides: Ctrl-C, clients that misbehave, users'
//! mistakes. Each rung needs only the functions of the rungs up to it.
//! `cargo practice check` climbs them in order; by hand: `cargo test -p
//! tcp-loop step1`, then `step2`, ... The `hint:` lines above each check are
//! what `cargo practice hint` shows, one at a time.
//!
//! Rung 1 calls `converse` in this process, on a connection the check opens
//! to itself; from rung 2 on the checks run the real binaries (the server on
//! port 0) and talk to them over loopback, as a student's own client would.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use harness::{
    Check, Fail, Proc, Running, Server, check, check_eq, connect, read_exactly, read_to_close,
};
use kit::Stop;
use tcp_loop::{End, REPLY_QUIET, Reply, converse, describe, serve};

const SERVER: &str = env!("CARGO_BIN_EXE_tcp-loop-server");
const CLIENT: &str = env!("CARGO_BIN_EXE_tcp-loop-client");

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

/// `converse` running on a thread of its own with the server's end of a
/// fresh loopback connection; `client` is the other end.
struct Conversation {
    client: TcpStream,
    stop: Stop,
    running: Running<std::io::Result<End>>,
}

impl Conversation {
    fn start(reply: Reply) -> Result<Conversation, Fail> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let client = connect(&listener.local_addr()?.to_string())?;
        // The client is connected already: accept() returns at once.
        let (conn, peer) = listener.accept()?;
        let stop = Stop::new();
        let running = {
            let stop = stop.clone();
            Running::spawn(move || converse(conn, peer, &stop, reply))
        };
        Ok(Conversation {
            client,
            stop,
            running,
        })
    }

    /// How `converse` ended. If it did not, a stop is requested, so that a
    /// loop that honours it ends instead of spinning on in the background.
    fn ended(self) -> Result<std::io::Result<End>, Fail> {
        self.ended_within(harness::TIMEOUT)
    }

    /// [`Conversation::ended`] within `limit`.
    fn ended_within(self, limit: Duration) -> Result<std::io::Result<End>, Fail> {
        let stop = self.stop;
        self.running
            .result_within(limit, "converse", || stop.request())
    }
}

/// How long `converse` may take to return once its client closed. A loop
/// that misses the close spins, logging a line per turn: a short limit keeps
/// that log short.
const CLOSE_NOTICED: Duration = Duration::from_secs(2);

impl Conversation {
    /// The client closes its sending side ("I am done"), `converse` must
    /// return, and then everything the client still receives is returned.
    fn client_closes(self) -> Result<(std::io::Result<End>, Vec<u8>), Fail> {
        self.client.shutdown(Shutdown::Write)?;
        let mut client = self.client.try_clone()?;
        let ended = self.ended_within(CLOSE_NOTICED).map_err(|e| {
            Fail(format!(
                "{e}\n(the client closed: a read returned 0. `if n == 0 {{ return Ok(End::Closed); }}`, or the loop reads 0 bytes for ever)"
            ))
        })?;
        let rest = read_to_close(&mut client)?;
        Ok((ended, rest))
    }
}

/// hint: `converse` is the tutorial's 通信循环 (the loop of messages): `loop {
/// let n = conn.read(&mut buf)?; ... conn.write_all(&buf[..n])?; }`, with
/// `buf` an array of RECV_SIZE (1024) bytes.
/// hint-zh: `converse` 就是教程里的通信循环（一条消息接一条消息的那个循环）：`loop { let n =
/// conn.read(&mut buf)?; ... conn.write_all(&buf[..n])?; }`，其中 `buf` 是一个
/// RECV_SIZE（1024）字节的数组。
/// hint: A read that returns 0 means the client closed its side: `if n == 0 {
/// return Ok(End::Closed); }`, the tutorial's `if not data: break`. Without it
/// `read` returns 0 again at once, every time: the loop spins for ever.
/// hint-zh: 读到 0 个字节，说明客户端关闭了它那一端：`if n == 0 { return Ok(End::Closed); }`，也就
/// 是教程里的 `if not data: break`。少了它，`read` 每次都会立刻再返回 0：循环就永远空转下去。
/// hint: Write back `&buf[..n]`, the bytes this read returned: `buf` itself
/// is 1024 bytes, most of them left over from nothing.
/// hint-zh: 写回的是 `&buf[..n]`，也就是这一次读到的字节：`buf` 本身有 1024 字节，其中大部分根本没
/// 被填过。
#[test]
fn step1_converse_echoes_a_message_and_ends_when_the_client_closes() -> Check {
    let mut talk = Conversation::start(Reply::Echo)?;
    round_trip(&mut talk.client, b"hello")?;
    // "I am done sending": the server's next read returns 0.
    let (ended, rest) = talk.client_closes()?;
    check!(
        rest.is_empty(),
        "after the echo of `hello` came {} more bytes ({:?}...): write back only `&buf[..n]`, the bytes this read returned",
        rest.len(),
        String::from_utf8_lossy(&rest[..rest.len().min(16)])
    );
    check!(
        matches!(ended, Ok(End::Closed)),
        "the client closed its side, so converse should return Ok(End::Closed); it returned {ended:?}"
    );
    Ok(())
}

/// hint: Bytes are bytes: write back exactly what you read, with no
/// `String::from_utf8` (or `from_utf8_lossy`) on the way.
/// hint-zh: 字节就是字节：读到什么就原样写回什么，中间不要经过 `String::from_utf8`（或
/// `from_utf8_lossy`）。
#[test]
fn step1_converse_echoes_any_bytes_exactly_not_only_text() -> Check {
    let mut talk = Conversation::start(Reply::Echo)?;
    // Every byte value once, `q` excepted: not UTF-8, with NULs and escapes.
    let all: Vec<u8> = (0..=255u8).filter(|&b| b != b'q').collect();
    round_trip(&mut talk.client, &all)?;
    round_trip(&mut talk.client, "你好, ünïcode".as_bytes())
}

/// hint: After one answer, read again from the same client: the loop goes on
/// until the client sends `q` or closes. Returning after the first write ends
/// the conversation.
/// hint-zh: 回答一次之后，接着从同一个客户端读：循环要一直进行到客户端发来 `q` 或者关闭连接。第一次
/// 写完就返回，对话就提前结束了。
#[test]
fn step1_the_conversation_goes_on_until_the_client_leaves() -> Check {
    let mut talk = Conversation::start(Reply::Echo)?;
    for i in 0..5 {
        round_trip(&mut talk.client, format!("message {i}").as_bytes()).map_err(|e| {
            Fail(format!(
                "message {i} of one conversation: {e}\n(after the first reply converse must keep reading from the same client: a loop)"
            ))
        })?;
    }
    Ok(())
}

/// hint: One read returns at most 1024 bytes here, so a 10,000-byte message
/// takes ten reads or more: answer each read as it comes, in order.
/// hint-zh: 这里一次读最多返回 1024 字节，所以 10,000 字节的消息至少要读十次：每读到一次就回答一
/// 次，按顺序来。
#[test]
fn step1_a_message_longer_than_one_read_is_echoed_whole() -> Check {
    let mut talk = Conversation::start(Reply::Echo)?;
    let long: Vec<u8> = (0..10_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    round_trip(&mut talk.client, &long)
}

/// hint: A read that is `q` ends the conversation, with no echo: `return
/// Ok(End::Quit)`. The tutorial's client strips the line first; ours sends
/// `q`, `nc` sends `q\n`, and a Windows `nc` `q\r\n`.
/// hint-zh: 读到的是 `q`，就结束对话，而且不回显：`return Ok(End::Quit)`。教程的客户端会先把这一行
/// strip 一下；我们的客户端发的是 `q`，`nc` 发的是 `q\n`，Windows 上的 `nc` 发的是 `q\r\n`。
/// hint: Compare the read with its whitespace trimmed: `if
/// data.trim_ascii() == b"q"`. Only `q` itself: `quit` is a message like any
/// other.
/// hint-zh: 把读到的内容去掉首尾空白再比较：`if data.trim_ascii() == b"q"`。只认 `q` 本身：`quit`
/// 和别的消息一样，只是一条普通消息。
#[test]
fn step1_q_ends_the_conversation_without_an_echo() -> Check {
    let mut talk = Conversation::start(Reply::Echo)?;
    round_trip(&mut talk.client, b"quite a q")?;
    // Surrounding whitespace is ignored, as the tutorial's strip() does.
    talk.client.write_all(b"  q \r\n")?;
    let mut after = [0u8; 64];
    let n = talk.client.read(&mut after).map_err(|e| {
        Fail(format!(
            "{e}\n(`  q \\r\\n` is `q` with whitespace around it: converse should return Ok(End::Quit), which closes the connection)"
        ))
    })?;
    check!(
        n == 0,
        "`  q \\r\\n` came back as {:?}: a read that is `q` once trimmed (`data.trim_ascii() == b\"q\"`) ends the conversation, without an echo",
        String::from_utf8_lossy(&after[..n])
    );
    let ended = talk.ended()?;
    check!(
        matches!(ended, Ok(End::Quit)),
        "after `q` converse should return Ok(End::Quit); it returned {ended:?}"
    );
    Ok(())
}

/// hint: What came before the client's close is still a message: answer it,
/// then the next read returns 0 and the conversation ends.
/// hint-zh: 客户端关闭之前发来的内容仍然是一条消息：先回答它，然后下一次读返回 0，对话才结束。
#[test]
fn step1_the_last_message_before_a_close_is_still_echoed() -> Check {
    let mut talk = Conversation::start(Reply::Echo)?;
    talk.client.write_all(b"last words")?;
    // Half-close: "I am done sending", while still reading the reply.
    let (ended, got) = talk.client_closes()?;
    ended?;
    check_eq!(
        got,
        b"last words".to_vec(),
        "what came before the client's close is still echoed, then the connection closes"
    );
    Ok(())
}

/// hint: `serve` is the tutorial's 链接循环 (the loop of connections): `loop {
/// let (conn, peer) = listener.accept()?; ... }`, and for each client
/// `converse(conn, peer, stop, reply)`.
/// hint-zh: `serve` 就是教程里的链接循环（一个连接接一个连接的那个循环）：`loop { let (conn, peer)
/// = listener.accept()?; ... }`，对每个客户端调用 `converse(conn, peer, stop, reply)`。
/// hint: After `accept`, check `stop.requested()` (Ctrl-C's wake-up is a
/// connection too: then `break`), count the client, print `connection from
/// {peer}`, converse, and log how it ended: `println!("{peer}: {}",
/// describe(&ended, stop))`.
/// hint-zh: `accept` 之后，先看 `stop.requested()`（Ctrl-C 的唤醒也是一条连接：这时就 `break`），再
/// 给客户端计数，打印 `connection from {peer}`，进行对话，最后记下对话是怎么结束
/// 的：`println!("{peer}: {}", describe(&ended, stop))`。
#[test]
fn step2_the_server_listens_and_answers_a_client() -> Check {
    let server = start()?;
    let result = (|| -> Check {
        check!(
            server.addr().starts_with("127.0.0.1:"),
            "the server was asked to listen on 127.0.0.1:0 but says {}",
            server.addr()
        );
        let mut stream = connect(server.addr())?;
        round_trip(&mut stream, b"hello")
    })();
    server.explain(result)
}

/// hint: After a conversation, `serve` goes back to `accept()` for the next
/// client: the outer loop. Returning after one client ends the server.
/// hint-zh: 一场对话结束后，`serve` 回到 `accept()` 去接待下一个客户端：这就是外层循环。服务完一个
/// 客户端就返回，服务端也就跟着结束了。
#[test]
fn step2_serves_the_next_client_after_one_leaves() -> Check {
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

/// hint: Stage 2 serves one client at a time: `serve` calls `converse` and
/// waits for it to end before it accepts the next. No threads yet: they are
/// stage 3.
/// hint-zh: 第 2 阶段一次只服务一个客户端：`serve` 调用 `converse`，等它结束，才接受下一个。这里还
/// 没有线程：线程是第 3 阶段的事。
#[test]
fn step2_a_second_client_waits_until_the_first_leaves() -> Check {
    let server = start()?;
    let mut first = connect(server.addr())?;
    round_trip(&mut first, b"first")?;
    // connect() succeeds: the kernel completes the handshake and queues the
    // connection in the listen backlog, though the server is busy.
    let mut second = connect(server.addr())?;
    second.write_all(b"second")?;
    round_trip(&mut first, b"first again")?;
    second.set_read_timeout(Some(Duration::from_millis(300)))?;
    let mut buf = [0u8; 16];
    let early = second.read(&mut buf);
    check!(
        early.is_err(),
        "the second client got {early:?} while the first was still connected: tcp-loop serves one client at a time (threads come in stage 3)"
    );
    first.write_all(b"q")?;
    second.set_read_timeout(Some(harness::TIMEOUT))?;
    let got = read_exactly(&mut second, 6).map_err(|e| {
        Fail(format!(
            "{e}\n(once the first client sent q, the server must accept() the waiting one)"
        ))
    })?;
    check_eq!(
        got,
        b"second".to_vec(),
        "the waiting client's message is echoed once it is served"
    );
    Ok(())
}

/// hint: An error in one conversation (here a reset: the client closed with
/// our echo unread) is about that client only. `serve` logs it and goes back
/// to `accept()`, as the tutorial's `except ConnectionResetError: break`.
/// hint-zh: 一场对话里出的错（这里是重置：客户端没读我们的回显就关闭了）只关乎那一个客户端。`serve`
/// 把它记进日志，然后回到 `accept()`，就像教程里的 `except ConnectionResetError: break`。
/// hint: Not `converse(conn, peer, stop, reply)?`: the `?` returns the error
/// from `serve`, and the server exits. Keep the result and log it: `let ended
/// = converse(..); println!("{peer}: {}", describe(&ended, stop));`.
/// hint-zh: 不要写 `converse(conn, peer, stop, reply)?`：`?` 会把错误从 `serve` 返回出去，服务端就
/// 退出了。把结果留下来，记进日志：`let ended = converse(..); println!("{peer}: {}",
/// describe(&ended, stop));`。
#[test]
fn step2_a_client_that_resets_does_not_stop_the_server() -> Check {
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

/// Starts a `--stdin` server: each reply is a line written to its stdin.
fn start_typing() -> Result<Server, Fail> {
    Server::start(SERVER, &["127.0.0.1:0", "--stdin"])
}

/// hint: `typed_reply` is the tutorial's `input()`: print a prompt (no
/// newline, then `io::stdout().flush()`), read one line from stdin, and
/// return it without its line ending.
/// hint-zh: `typed_reply` 就是教程里的 `input()`：打印一个提示符（不换行，然后
/// `io::stdout().flush()`），从标准输入读一行，去掉行尾的换行符后返回。
/// hint: `let mut stdin = io::stdin().lock();` then `stdin.read_line(&mut
/// line)`, inside `stop.exit_on_stop_during("stopped by Ctrl-C at the reply
/// prompt", || ..)`; return `line.trim_end_matches(['\n', '\r'])` as bytes.
/// hint-zh: 先 `let mut stdin = io::stdin().lock();`，再在 `stop.exit_on_stop_during("stopped by
/// Ctrl-C at the reply prompt", || ..)` 里调用 `stdin.read_line(&mut line)`；把
/// `line.trim_end_matches(['\n', '\r'])` 作为字节返回。
#[test]
fn step3_with_stdin_each_reply_is_the_line_typed_at_the_server() -> Check {
    let mut server = start_typing()?;
    let result = (|| -> Check {
        let mut stream = connect(server.addr())?;
        stream.write_all(b"hello")?;
        server.send_line("hi there, typed")?;
        let got = read_exactly(&mut stream, 15).map_err(|e| {
            Fail(format!(
                "{e}\n(with --stdin the server answers each message with one line read from its own stdin, without the newline)"
            ))
        })?;
        check_eq!(
            got,
            b"hi there, typed".to_vec(),
            "the reply is the typed line, without its newline"
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
    })();
    server.explain(result)
}

/// hint: The prompt names whose message it answers, and quotes it: `print!("reply
/// to {peer} ({})> ", preview(data))`. In stage 3 several clients wait for
/// you, and the prompt is how you know which one the next line goes to.
/// hint-zh: 提示符要写明在回答谁的消息，并引用这条消息：`print!("reply to {peer} ({})> ",
/// preview(data))`。到了第 3 阶段，会有好几个客户端同时等着你，你得靠提示符才知道下一行会交给谁。
#[test]
fn step3_the_prompt_says_whose_message_it_answers() -> Check {
    let server = start_typing()?;
    let mut stream = connect(server.addr())?;
    let me = stream.local_addr()?.to_string();
    stream.write_all(b"hello")?;
    // Like input()'s, the prompt has no newline: it waits for the line.
    let prompt = server.prompt_containing("hello")?;
    check!(
        prompt.contains(&me),
        "with --stdin the server prompts like `reply to {me} (hello)> `, naming the client and its message, before it reads the reply; it printed {prompt:?}"
    );
    Ok(())
}

/// hint: An empty line would send 0 bytes, which is nothing at all: the client
/// waits for a reply that never comes (the tutorial's client bug, from the
/// server's side). Ask again instead.
/// hint-zh: 空行会发出 0 个字节，也就是什么都没发：客户端会一直等一个永远不来的回复（就是教程客户端
/// 的那个 bug，只是换到了服务端这边）。应该再问一次。
/// hint: Loop in `typed_reply`: prompt, read a line, and return it only when
/// `!typed.is_empty()`.
/// hint-zh: 在 `typed_reply` 里循环：打印提示符，读一行，只有 `!typed.is_empty()` 时才返回。
#[test]
fn step3_an_empty_typed_line_is_not_sent_and_the_server_asks_again() -> Check {
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

/// hint: `read_line` returning 0 means stdin is closed: no reply can ever be
/// typed. Return an error (`ErrorKind::UnexpectedEof`, saying so): that ends
/// this conversation, and `serve` logs it and takes the next client.
/// hint-zh: `read_line` 返回 0，说明标准输入关闭了：再也敲不了回复。返回一个错误
/// （`ErrorKind::UnexpectedEof`，并说明原因）：这会结束这场对话，`serve` 把它记进日志，然后接待下一
/// 个客户端。
#[test]
fn step3_stdin_closed_ends_that_conversation_not_the_server() -> Check {
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

/// A server that is not ours: for every read it gets, it writes what
/// `answer` makes of it, as a tutorial server whose person types replies of
/// any length would. Returns its address.
fn other_server(answer: fn(&[u8]) -> Vec<u8>) -> Result<String, Fail> {
    scripted_server(move |conn, message| conn.write_all(&answer(message)))
}

/// A server that is not ours, answering each read with `script`.
fn scripted_server(
    script: impl Fn(&mut TcpStream, &[u8]) -> std::io::Result<()> + Send + 'static,
) -> Result<String, Fail> {
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
            script(&mut conn, &buf[..n])?;
        }
    });
    Ok(addr)
}

/// Runs the library's `round_trip` on `stream`, giving up after
/// harness::TIMEOUT instead of hanging the check; gives the stream back.
fn library_round_trip(
    mut stream: TcpStream,
    message: &'static [u8],
) -> Result<(std::io::Result<Vec<u8>>, TcpStream), Fail> {
    let running = Running::spawn(move || {
        let got = tcp_loop::round_trip(&mut stream, message);
        (got, stream)
    });
    running
        .result("round_trip", || {})
        .map_err(|e| {
            Fail(format!(
                "round_trip({:?}): {e}\n(it waits for bytes the server will never send? A reply may be shorter than the message: stop reading when the server has been quiet for REPLY_QUIET)",
                String::from_utf8_lossy(&message[..message.len().min(20)])
            ))
        })
}

/// `round_trip` once on a new connection to `addr`; its reply.
fn round_trip_to(addr: &str, message: &'static [u8]) -> Result<Vec<u8>, Fail> {
    let (got, _) = library_round_trip(connect(addr)?, message)?;
    Ok(got?)
}

/// hint: `round_trip` is the tutorial's client loop body: `write_all` the
/// message (Python's `send`), then read the reply (`recv`).
/// hint-zh: `round_trip` 就是教程客户端那个循环的循环体：用 `write_all` 发出消息（Python 的
/// `send`），然后读回复（`recv`）。
/// hint: `stream.write_all(message)?;` then a first `stream.read(&mut buf)?`
/// into a buffer of RECV_SIZE bytes: this read waits as long as it takes.
/// hint-zh: 先 `stream.write_all(message)?;`，再第一次 `stream.read(&mut buf)?`，读进一个 RECV_SIZE
/// 字节的缓冲区：这一次读要等多久就等多久。
#[test]
fn step4_round_trip_sends_the_message_and_returns_the_reply() -> Check {
    let addr = other_server(|message| message.to_vec())?;
    let got = round_trip_to(&addr, b"hello")?;
    check_eq!(
        got,
        b"hello".to_vec(),
        "round_trip should send the message and return the server's echo"
    );
    Ok(())
}

/// hint: One `read` returns what has arrived so far, not "the reply": the
/// tutorial's `recv(1024)` takes the first 1024 bytes of a 3000-byte echo and
/// leaves the rest to pass for the reply to the next line.
/// hint-zh: 一次 `read` 返回的是目前已经到达的数据，而不是“整个回复”：教程的 `recv(1024)` 拿到一个
/// 3000 字节回显的前 1024 字节，剩下的就被当成了下一行的回复。
/// hint: After the first read, keep reading while more comes: set a read
/// timeout of REPLY_QUIET and read until the reply is as long as the message,
/// a read returns 0, or one times out (`ErrorKind::WouldBlock` on Unix,
/// `TimedOut` on Windows).
/// hint-zh: 第一次读之后，只要还有数据来，就接着读：设一个 REPLY_QUIET 的读超时，一直读到回复和消息
/// 一样长、某次读返回 0，或者某次读超时（Unix 上是 `ErrorKind::WouldBlock`，Windows 上是
/// `TimedOut`）。
#[test]
fn step4_round_trip_returns_a_long_reply_whole_not_one_recv_of_it() -> Check {
    // A 3000-byte echo needs at least three reads of 1024 bytes.
    let addr = other_server(|message| message.to_vec())?;
    static LONG: [u8; 3000] = [b'x'; 3000];
    let got = round_trip_to(&addr, &LONG)?;
    check!(
        got.len() == LONG.len(),
        "round_trip returned {} of the 3000 bytes the server echoed: one recv(1024) is not the whole reply; keep reading while more arrives",
        got.len()
    );
    Ok(())
}

/// hint: However big the buffer, one read returns only what has arrived: here
/// the reply comes in two writes a moment apart, and the second part is the
/// start of nothing else.
/// hint-zh: 缓冲区再大，一次读也只返回已经到达的数据：这里的回复分两次写出，中间隔了一小会儿，而第
/// 二部分并不是另一个回复的开头。
/// hint: Keep reading after the first read, each read waiting at most
/// REPLY_QUIET (100 ms): `stream.set_read_timeout(Some(REPLY_QUIET))?`.
/// hint-zh: 第一次读之后接着读，每次最多等 REPLY_QUIET（100 毫
/// 秒）：`stream.set_read_timeout(Some(REPLY_QUIET))?`。
#[test]
fn step4_round_trip_returns_a_reply_that_comes_in_two_parts_whole() -> Check {
    // Well within REPLY_QUIET, and far longer than a read takes to return.
    const PAUSE: Duration = Duration::from_millis(20);
    let addr = scripted_server(|conn, _| {
        conn.write_all(b"one moment...")?;
        thread::sleep(PAUSE);
        conn.write_all(b" here it is")
    })?;
    let got = round_trip_to(&addr, b"are you there?")?;
    check_eq!(
        String::from_utf8_lossy(&got),
        "one moment... here it is",
        "the reply came in two writes {PAUSE:?} apart: one read, however large its buffer, returns only the first; keep reading while more comes within REPLY_QUIET"
    );
    Ok(())
}

/// hint: A reply typed at the server may be shorter than the message: waiting
/// for as many bytes as you sent (`read_exact`) waits for bytes that never come.
/// hint-zh: 在服务端敲入的回复可能比消息短：等着收回和发出去一样多的字节（`read_exact`），等的是永
/// 远不会来的字节。
/// hint: Stop reading when the server has been quiet for REPLY_QUIET: with
/// `set_read_timeout(Some(REPLY_QUIET))`, a read that fails with
/// `ErrorKind::WouldBlock` (or `TimedOut`) ends the reply.
/// hint-zh: 服务端安静了 REPLY_QUIET 就停止读：设了 `set_read_timeout(Some(REPLY_QUIET))` 之后，一
/// 次以 `ErrorKind::WouldBlock`（或 `TimedOut`）失败的读，就标志着回复结束。
#[test]
fn step4_round_trip_returns_a_reply_shorter_than_the_message() -> Check {
    // A person at the server typed "ok" in answer to a longer message.
    let addr = other_server(|_| b"ok".to_vec())?;
    let got = round_trip_to(&addr, b"hello, are you there?")?;
    check_eq!(
        got,
        b"ok".to_vec(),
        "a typed reply need not be as long as the message"
    );
    Ok(())
}

/// hint: A reply may also be longer than the message: read until the server
/// goes quiet, not until as many bytes as were sent came back. Stop early
/// only when the reply is exactly as long as the message (an echo, whole).
/// hint-zh: 回复也可能比消息长：要读到服务端安静下来为止，而不是读到收回的字节和发出去的一样多为
/// 止。只有回复和消息正好一样长时（一个完整的回显），才提前停下。
#[test]
fn step4_round_trip_returns_a_reply_longer_than_the_message_whole() -> Check {
    let addr = other_server(|_| vec![b'y'; 2500])?;
    let got = round_trip_to(&addr, b"hi")?;
    check!(
        got == vec![b'y'; 2500],
        "the server answered `hi` with 2500 bytes; round_trip returned {} of them: keep reading until the server goes quiet, not until as many bytes as were sent came back",
        got.len()
    );
    Ok(())
}

/// hint: An echo is whole when it is exactly as long as the message: nothing
/// more is coming, so stop reading at once. Waiting for REPLY_QUIET after every
/// reply makes every echo print 100 ms late.
/// hint-zh: 回复和消息正好一样长时，回显就完整了：不会再有别的了，所以马上停止读。要是每个回复之后
/// 都等一个 REPLY_QUIET，每个回显都会晚 100 毫秒才打印。
/// hint: `while reply.len() != message.len() { .. }` around the reads after
/// the first.
/// hint-zh: 在第一次读之后的那些读外面套上 `while reply.len() != message.len() { .. }`。
#[test]
fn step4_round_trip_returns_an_echo_at_once_without_waiting_for_quiet() -> Check {
    const ECHOES: u32 = 20;
    let addr = other_server(|message| message.to_vec())?;
    let mut stream = connect(&addr)?;
    let started = Instant::now();
    for _ in 0..ECHOES {
        let (got, back) = library_round_trip(stream, b"echo")?;
        stream = back;
        check_eq!(got?, b"echo".to_vec(), "round_trip should return the echo");
    }
    let took = started.elapsed();
    // Waiting for quiet after each echo takes at least ECHOES * REPLY_QUIET
    // (2 s); twenty echoes over loopback take a few milliseconds.
    check!(
        took < REPLY_QUIET * ECHOES / 2,
        "{ECHOES} echoes took {took:?}: round_trip waits REPLY_QUIET ({REPLY_QUIET:?}) after an echo that was already whole; stop as soon as the reply is as long as the message"
    );
    Ok(())
}

/// hint: The first read waits as long as it takes: a person may be typing the
/// reply. Only the reads after it wait at most REPLY_QUIET.
/// hint-zh: 第一次读要等多久就等多久：也许有人正在敲回复。只有之后的那些读，才最多等 REPLY_QUIET。
/// hint: `stream.set_read_timeout(None)?` before the first read, and again
/// before returning, so the next `round_trip` on this connection (and any
/// other read) is not cut short by your REPLY_QUIET.
/// hint-zh: 在第一次读之前 `stream.set_read_timeout(None)?`，返回之前再设一次，这样这条连接上的下一
/// 次 `round_trip`（以及其他任何读）就不会被你的 REPLY_QUIET 提前打断。
#[test]
fn step4_round_trip_waits_for_a_reply_that_takes_its_time() -> Check {
    // Three times REPLY_QUIET: a person typing, quickly.
    const TYPING: Duration = Duration::from_millis(300);
    let addr = scripted_server(|conn, message| {
        if message != b"quick" {
            thread::sleep(TYPING);
        }
        conn.write_all(b"ok")
    })?;
    let mut stream = connect(&addr)?;
    let messages: [&'static [u8]; 3] = [b"slow", b"quick", b"slow again"];
    for (i, message) in messages.into_iter().enumerate() {
        let (got, back) = library_round_trip(stream, message)?;
        stream = back;
        let got = got.map_err(|e| {
            Fail(format!(
                "round_trip #{} ({:?}), whose reply came after {TYPING:?}, failed: {e}. The first read of a reply waits with no timeout (`set_read_timeout(None)`): a person may be typing it; and a REPLY_QUIET timeout set for one reply must not be left on the connection for the next",
                i + 1,
                String::from_utf8_lossy(message)
            ))
        })?;
        check_eq!(
            got,
            b"ok".to_vec(),
            "the reply to {:?}",
            String::from_utf8_lossy(message)
        );
        check_eq!(
            stream.read_timeout()?,
            None,
            "after round_trip the connection should have no read timeout left (set_read_timeout(None) before returning): the caller's next read would be cut short by REPLY_QUIET ({REPLY_QUIET:?})"
        );
    }
    Ok(())
}

/// hint: A first read that returns 0 means the server closed instead of
/// replying: that is not an empty reply. Return an error
/// (`ErrorKind::UnexpectedEof`, "the server closed the connection").
/// hint-zh: 第一次读就返回 0，说明服务端没有回复就关闭了：这不是一个空回复。返回一个错误
/// （`ErrorKind::UnexpectedEof`，"the server closed the connection"）。
#[test]
fn step4_round_trip_reports_a_server_that_closes_instead_of_replying() -> Check {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?.to_string();
    thread::spawn(move || -> Result<(), Fail> {
        let (mut conn, _) = harness::accept_within(&listener)?;
        // The whole message (6 bytes), so the close is a FIN, not a reset.
        conn.read_exact(&mut [0u8; 6])?;
        Ok(()) // dropped: closed without a reply
    });
    let (got, _) = library_round_trip(connect(&addr)?, b"hello?")?;
    check!(
        matches!(&got, Err(e) if e.kind() == ErrorKind::UnexpectedEof),
        "the server closed without replying, so round_trip should return an UnexpectedEof error; it returned {got:?}"
    );
    Ok(())
}

/// hint: Only a quiet server (a read that times out: `WouldBlock` or
/// `TimedOut`) ends a reply normally. Any other error, a reset say, is
/// returned: `Err(e) => return Err(e)`.
/// hint-zh: 只有服务端安静了（一次读超时：`WouldBlock` 或 `TimedOut`），回复才算正常结束。其他任何
/// 错误，比如重置，都要返回：`Err(e) => return Err(e)`。
#[test]
fn step4_round_trip_reports_a_reset_in_the_middle_of_a_reply() -> Check {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?.to_string();
    static MESSAGE: [u8; 2000] = [b'm'; 2000];
    thread::spawn(move || -> Result<(), Fail> {
        let (mut conn, _) = harness::accept_within(&listener)?;
        // Read part of the message, answer part of a reply, make sure the
        // rest of the message has arrived, and close with one byte unread:
        // the kernel then sends a reset (RST), not FIN.
        conn.read_exact(&mut [0u8; 10])?;
        conn.write_all(b"half a rep")?;
        conn.read_exact(&mut [0u8; 2000 - 10 - 1])?;
        Ok(())
    });
    let (got, _) = library_round_trip(connect(&addr)?, &MESSAGE)?;
    check!(
        matches!(&got, Err(e) if e.kind() == ErrorKind::ConnectionReset),
        "the server reset the connection in the middle of its reply, so round_trip should return that error (ConnectionReset), not the half it got; it returned {:?}",
        got.map(|r| String::from_utf8_lossy(&r).into_owned())
    );
    Ok(())
}

/// hint: The client binary is given; it calls your `round_trip` for each line
/// and prints the reply. If this fails and the `round_trip` checks above
/// pass, run it by hand against your server (the lesson's "Run it").
/// hint-zh: 客户端程序是现成的；它对每一行调用你的 `round_trip`，打印回复。如果这一步失败，而上面那
/// 些 `round_trip` 的检查都通过了，就手动让它和你的服务端对话（讲解里的“运行”一节）。
#[test]
fn step4_the_client_sends_each_line_and_prints_each_reply() -> Check {
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
    Ok(())
}

/// hint: Each line typed is answered before the next is read: `round_trip`
/// returns as soon as the echo is whole, with no wait for REPLY_QUIET.
/// hint-zh: 敲入的每一行，都要在读下一行之前得到回答：回显一完整，`round_trip` 就返回，不等
/// REPLY_QUIET。
#[test]
fn step4_the_client_talks_as_you_type() -> Check {
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

/// hint: Against a server whose replies are typed (the tutorial's), every
/// reply is shorter or longer than the line: `round_trip` must stop when the
/// server goes quiet.
/// hint-zh: 对着回复由人敲入的服务端（教程的那个），每个回复都比那一行短或者长：服务端一安静下
/// 来，`round_trip` 就必须停下。
#[test]
fn step4_the_client_prints_replies_of_any_length_and_never_hangs() -> Check {
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

/// hint: `converse` registers its connection with `let _watch =
/// stop.close_on_stop(&conn)?;` before it reads: on Ctrl-C, `kit::Stop` shuts
/// it down, and the read blocked on it returns 0.
/// hint-zh: `converse` 在读之前用 `let _watch = stop.close_on_stop(&conn)?;` 登记它的连接：按下
/// Ctrl-C 时，`kit::Stop` 把这条连接 shutdown 掉，阻塞在它上面的读就返回 0。
/// hint: That 0 is not the client closing: right after the read, `if
/// stop.requested() { return Ok(End::Stopped); }`, before the `n == 0` check.
/// hint-zh: 这个 0 不是客户端关闭：读完马上 `if stop.requested() { return Ok(End::Stopped); }`，放
/// 在 `n == 0` 的判断之前。
#[test]
fn step5_converse_returns_when_a_stop_is_requested() -> Check {
    let mut talk = Conversation::start(Reply::Echo)?;
    round_trip(&mut talk.client, b"still talking")?;
    // The client is silent: converse waits in read(). Ctrl-C comes.
    talk.stop.request();
    let ended = talk
        .running
        .result("converse, blocked in read() when the stop came,", || {})
        .map_err(|e| {
            Fail(format!(
                "{e}\n(nothing wakes a blocked read but the connection being shut down: `let _watch = stop.close_on_stop(&conn)?;` before the loop)"
            ))
        })?;
    check!(
        matches!(ended, Ok(End::Stopped)),
        "a stop was requested, so converse should return Ok(End::Stopped) (check stop.requested() right after the read); it returned {ended:?}"
    );
    check_eq!(
        read_to_close(&mut talk.client)?,
        b"".to_vec(),
        "the stopped conversation closes the connection, and sends nothing more"
    );
    Ok(())
}

/// hint: `serve` returns `Ok(served)`, how many clients it served, when a stop
/// was requested: after `accept()` returns, `if stop.requested() { break; }`
/// (the connection was Ctrl-C's wake-up, not a client), then count the client.
/// hint-zh: 收到停止请求时，`serve` 返回 `Ok(served)`，也就是它服务了多少个客户端：`accept()` 返回
/// 之后，`if stop.requested() { break; }`（这条连接是 Ctrl-C 的唤醒，不是客户端），然后才给客户端计
/// 数。
#[test]
fn step5_serve_returns_how_many_it_served_when_a_stop_is_requested() -> Check {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?.to_string();
    let stop = Stop::new();
    stop.wake_accept(&listener)?;
    let serving = {
        let stop = stop.clone();
        Running::spawn(move || serve(&listener, &stop, Reply::Echo))
    };
    for i in 0..2 {
        let mut stream = connect(&addr)?;
        round_trip(&mut stream, format!("client {i}").as_bytes())?;
        stream.write_all(b"q")?;
        read_to_close(&mut stream)?;
    }
    stop.request();
    let served = serving
        .result("serve, after a stop was requested,", || {})
        .map_err(|e| {
            Fail(format!(
                "{e}\n(after accept() returns, check stop.requested(): the connection is Ctrl-C's wake-up, and serve returns)"
            ))
        })??;
    check_eq!(
        served,
        2,
        "serve should return how many clients it served (two came, then the stop)"
    );
    Ok(())
}

/// hint: `main` (given) wires Ctrl-C to wake `accept()` and prints `stopped by
/// Ctrl-C; served N clients` when `serve` returns; this fails when `serve`
/// does not return after the wake-up.
/// hint-zh: `main`（现成的）让 Ctrl-C 去唤醒 `accept()`，并在 `serve` 返回时打印 `stopped by
/// Ctrl-C; served N clients`；如果被唤醒之后 `serve` 不返回，这一步就会失败。
#[test]
fn step5_ctrl_c_while_waiting_for_a_client() -> Check {
    let server = start()?;
    let asked = server.ctrl_c()?;
    server.expect_prompt_exit(asked, "served 0")?;
    Ok(())
}

/// hint: With a client connected, Ctrl-C must wake `converse`'s `read()`:
/// `stop.close_on_stop(&conn)` does, and `converse` returns `End::Stopped`;
/// then `serve`'s next `accept()` finds the wake-up connection.
/// hint-zh: 有客户端连着时，Ctrl-C 必须唤醒 `converse` 里的 `read()`：`stop.close_on_stop(&conn)`
/// 做的就是这个，然后 `converse` 返回 `End::Stopped`；接着 `serve` 的下一次 `accept()` 就会拿到那条
/// 用来唤醒的连接。
#[test]
fn step5_ctrl_c_in_the_middle_of_a_conversation() -> Check {
    let server = start()?;
    let mut stream = connect(server.addr())?;
    round_trip(&mut stream, b"still talking")?;
    let mut waiting = connect(server.addr())?;
    let asked = server.ctrl_c()?;
    let rest = read_to_close(&mut stream).map_err(|e| {
        Fail(format!(
            "{e}\n(on Ctrl-C the server must close the client it is talking to: kit::Stop::close_on_stop)"
        ))
    })?;
    check_eq!(rest, b"".to_vec(), "nothing more comes after Ctrl-C");
    server.expect_prompt_exit(asked, "served 1")?;
    // The client still in the backlog is closed with the listening socket.
    let _ = read_to_close(&mut waiting);
    Ok(())
}

/// hint: No socket trick wakes a read of the keyboard: `typed_reply` reads
/// its line inside `stop.exit_on_stop_during("stopped by Ctrl-C at the reply
/// prompt", || stdin.read_line(&mut line))`, so Ctrl-C there prints the
/// summary and exits 0 at once.
/// hint-zh: 没有哪个套接字上的技巧能唤醒对键盘的读：`typed_reply` 在
/// `stop.exit_on_stop_during("stopped by Ctrl-C at the reply prompt", || stdin.read_line(&mut
/// line))` 里读那一行，所以在那里按 Ctrl-C 会打印总结，并立刻以 0 退出。
#[test]
fn step5_ctrl_c_at_the_reply_prompt_exits_0_at_once() -> Check {
    let server = start_typing()?;
    let mut stream = connect(server.addr())?;
    stream.write_all(b"hello")?;
    // At the prompt for this client's message: now it waits for a line.
    server.prompt_containing(&stream.local_addr()?.to_string())?;
    let asked = server.ctrl_c()?;
    // The server's stdin stays open, as a terminal's: no end of file ends
    // the wait for a typed line, only the exit Ctrl-C asks for.
    server.expect_prompt_exit_at_prompt(asked, "stopped by Ctrl-C")?;
    Ok(())
}

/// hint: `converse` returns a read's or a write's error with `?`: a reset is
/// news about this client (it crashed, or closed with our reply unread), and
/// `serve` logs it as such. Retrying a failed read hides it: after a reset
/// the next read returns 0, which looks like a normal goodbye.
/// hint-zh: `converse` 用 `?` 返回读或写的错误：重置是关于这个客户端的消息（它崩溃了，或者没读我们
/// 的回复就关闭了），`serve` 会照此记进日志。失败的读如果重试，就把它掩盖了：重置之后，下一次读返回
/// 0，看起来就像一次正常的告别。
/// hint: Only `ErrorKind::Interrupted` (a signal arrived, nothing was read)
/// is worth a retry, and `std` returns it from `read` only on some systems;
/// `?` on every other error.
/// hint-zh: 只有 `ErrorKind::Interrupted`（来了一个信号，什么也没读到）才值得重试，而且 `std` 只在
/// 某些系统上才会从 `read` 返回它；其他错误一律用 `?`。
#[test]
fn step6_converse_returns_a_reset_as_an_error_not_as_a_goodbye() -> Check {
    let mut talk = Conversation::start(Reply::Echo)?;
    talk.client.write_all(b"echo me")?;
    // Wait until the echo is in our receive buffer, then close without
    // reading it: the kernel answers with a reset (RST) instead of FIN.
    talk.client.peek(&mut [0u8; 1])?;
    drop(talk.client);
    let ended = talk.running.result("converse", || talk.stop.request())?;
    check!(
        matches!(&ended, Err(e) if e.kind() == ErrorKind::ConnectionReset),
        "the client reset the connection, so converse should return that error (ConnectionReset) for the log; it returned {ended:?}"
    );
    Ok(())
}

/// hint: A killed client's kernel closes its socket for it: to `converse`
/// that is a read of 0 bytes (or a reset), and `serve` takes the next client.
/// hint-zh: 客户端被杀掉时，它的内核会替它关闭套接字：在 `converse` 看来，这是一次读到 0 个字节（或
/// 者一次重置），然后 `serve` 接待下一个客户端。
#[test]
fn step6_a_client_that_is_killed_does_not_stop_the_server() -> Check {
    let server = start()?;
    let mut client = Proc::spawn(CLIENT, &[server.addr()])?;
    client.send_line("hi")?;
    client.line()?;
    drop(client); // killed: the kernel closes its socket
    let mut next = connect(server.addr())?;
    round_trip(&mut next, b"next")
}

/// hint: `describe` (given) is how `serve` logs the end of a conversation;
/// this checks it tells the endings apart.
/// hint-zh: `describe`（现成的）是 `serve` 记录对话怎么结束的办法；这一步检查它能把各种结束方式区分
/// 开。
#[test]
fn step6_the_log_tells_a_reset_from_a_failure_and_ctrl_c_from_both() -> Check {
    let running = Stop::new();
    let stopped = Stop::new();
    stopped.request();
    let err = |kind| Err(std::io::Error::new(kind, "test"));
    let reset = describe(&err(ErrorKind::ConnectionReset), &running);
    let broken = describe(&err(ErrorKind::BrokenPipe), &running);
    let by_ctrl_c = describe(&Ok(End::Stopped), &stopped);
    check!(
        reset != broken,
        "a reset and another failure are logged alike: {reset:?}"
    );
    let words = "what the OS said";
    let failed = describe(
        &Err(std::io::Error::new(ErrorKind::BrokenPipe, words)),
        &running,
    );
    check!(
        failed.contains(words),
        "a failure that is not a reset is logged with the error's own words ({words:?}); the log said {failed:?}"
    );
    check!(
        describe(&err(ErrorKind::BrokenPipe), &stopped) == by_ctrl_c
            && describe(&err(ErrorKind::ConnectionReset), &stopped) == by_ctrl_c,
        "an error while stopping (the shutdown makes a write fail) is Ctrl-C's doing: log it as {by_ctrl_c:?}"
    );
    check!(
        by_ctrl_c != reset && by_ctrl_c != broken,
        "Ctrl-C's end is logged like a failure: {by_ctrl_c:?}"
    );
    Ok(())
}

/// hint: `main` is given: `--help` and `kit::run` do this. If it fails, the
/// binary did not build as given.
/// hint-zh: `main` 是现成的：`--help` 和 `kit::run` 负责这些。如果这一步失败，说明程序已经不是给你
/// 的那个样子了。
#[test]
fn step7_help_and_bad_command_lines() -> Check {
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

/// hint: `main` is given: bind's error goes through `kit::run` as one
/// `error:` line and exit 1.
/// hint-zh: `main` 是现成的：绑定出的错经过 `kit::run`，变成一行 `error:`，退出码 1。
#[test]
fn step7_a_port_in_use_is_one_clear_error() -> Check {
    let taken = TcpListener::bind("127.0.0.1:0")?;
    let addr = taken.local_addr()?.to_string();
    let done = harness::run(SERVER, &[&addr], b"")?;
    done.expect_code(1, "a port in use is a run-time error: exit 1")?;
    done.expect_one_error_line()
}

/// hint: The client binary is given; connect's error goes through
/// `kit::run` as one `error:` line and exit 1.
/// hint-zh: 客户端程序是现成的：连接出的错经过 `kit::run`，变成一行 `error:`，退出码 1。
#[test]
fn step7_the_client_reports_a_server_that_is_not_there() -> Check {
    // A port that nothing listens on and nothing else can take meanwhile
    // (binding port 0 and dropping the listener would free it for anyone).
    let (_closed, addr) = harness::closed_port()?;
    let done = harness::run(CLIENT, &[&addr], b"hello\n")?;
    done.expect_code(1, "connection refused is a run-time error: exit 1")?;
    done.expect_one_error_line()
}
