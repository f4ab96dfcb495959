//! Exercise checks for stage 3, `tcp-threaded`, in the order a student builds it.
//!
//! The rungs: 1 `serve`, a thread per client, and 2 `typed_reply`, one
//! keyboard for many threads (the functions `cargo practice start 3` turns
//! into `todo!()`; `converse` and `round_trip` are stage 2's, given); 3 to 6
//! check the stage from other sides: the client, Ctrl-C, clients that
//! misbehave, users' mistakes. Each rung needs only the functions of the
//! rungs up to it. `cargo practice check` climbs them in order; by hand:
//! `cargo test -p tcp-threaded step1`, then `step2`, ... The `hint:` lines
//! above each check are what `cargo practice hint` shows, one at a time.
//!
//! Most checks run the real binaries (the server on port 0) and talk to them
//! over loopback, as a student's own client would; a few call the library's
//! functions in this process, where only that shows what they do.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use harness::{
    Check, Fail, Proc, Running, Server, check, check_eq, connect, read_exactly, read_to_close,
};
use kit::Stop;
use tcp_threaded::{End, REPLY_QUIET, Reply, converse, describe, serve};

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

/// `converse` (stage 2's, given) running on a thread of its own with the
/// server's end of a fresh loopback connection; `client` is the other end.
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
}

/// hint: `serve` is stage 2's accept loop with one change: instead of calling
/// `converse` and waiting for the conversation to end, hand the connection to
/// a new thread and go straight back to `accept()`. Python's
/// `threading.Thread(target=handle, args=(conn,)).start()`.
/// hint-zh: `serve` 就是第 2 阶段的链接循环，只改一处：不再调用 `converse` 并等对话结束，而是把连接
/// 交给一个新线程，自己马上回到 `accept()`。相当于 Python 的 `threading.Thread(target=handle,
/// args=(conn,)).start()`。
/// hint: Start from stage 2's `serve` (accept, check `stop.requested()`, count,
/// log `connection from`); where it called `converse`, write `let stop =
/// stop.clone(); let spawned = thread::Builder::new().spawn(move || { let
/// ended = converse(conn, peer, &stop, reply); println!("{peer}: {}",
/// describe(&ended, &stop)); });`.
/// hint-zh: 从第 2 阶段的 `serve` 开始（accept，检查 `stop.requested()`，计数，记下 `connection
/// from`）；原来调用 `converse` 的地方，写成 `let stop = stop.clone(); let spawned =
/// thread::Builder::new().spawn(move || { let ended = converse(conn, peer, &stop, reply);
/// println!("{peer}: {}", describe(&ended, &stop)); });`。
#[test]
fn step1_the_server_listens_and_answers_a_client() -> Check {
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

/// hint: A thread per client: `serve` must not wait for one conversation to
/// end before it accepts the next. Stage 2's `serve` did, so a second client
/// waited in the backlog.
/// hint-zh: 每个客户端一个线程：`serve` 不能等一场对话结束才接受下一个客户端。第 2 阶段的 `serve`
/// 就是这样等的，所以第二个客户端只能在监听队列里等着。
/// hint: Do not join the thread: `spawn(..).join()` waits for the conversation
/// to end, which is stage 2 again. Drop the `JoinHandle` (the thread runs
/// detached) and loop back to `accept()`.
/// hint-zh: 不要 join 这个线程：`spawn(..).join()` 会等对话结束，那又回到第 2 阶段了。把
/// `JoinHandle` drop 掉（线程分离运行），循环回到 `accept()`。
#[test]
fn step1_two_clients_are_served_at_the_same_time() -> Check {
    let server = start()?;
    let mut first = connect(server.addr())?;
    round_trip(&mut first, b"first")?;
    // The first client stays connected and silent: its thread is waiting in
    // read() on its connection. A second client must still be served.
    let mut second = connect(server.addr())?;
    second.set_read_timeout(Some(Duration::from_secs(2)))?;
    second.write_all(b"second")?;
    let mut got = [0u8; 6];
    let answered = second.read_exact(&mut got);
    check!(
        answered.is_ok(),
        "the second client got no reply within 2 s while the first was still connected: the server is serving one client at a time, like stage 2. Give each accepted connection its own thread (std::thread::Builder::spawn), do not join it, and go straight back to accept()"
    );
    check_eq!(
        got.to_vec(),
        b"second".to_vec(),
        "the second client gets its own echo"
    );
    round_trip(&mut first, b"first still served")?;
    Ok(())
}

/// hint: After handing a client to its thread, `serve` loops back to
/// `accept()` for the next one, for as long as the server runs.
/// hint-zh: 把客户端交给它的线程之后，`serve` 循环回到 `accept()` 接待下一个；只要服务端还在运行，
/// 就一直这样。
#[test]
fn step1_serves_the_next_client_after_one_leaves() -> Check {
    let server = start()?;
    for i in 0..3 {
        let mut stream = connect(server.addr())?;
        round_trip(&mut stream, format!("client {i}").as_bytes()).map_err(|e| {
            Fail(format!(
                "client {i}, after {i} earlier clients left: {e}\n(the server must go back to accept() after starting a client's thread: a loop)"
            ))
        })?;
        if i % 2 == 0 {
            stream.write_all(b"q")?;
        }
    }
    Ok(())
}

/// hint: Each thread owns its own connection: `move` hands `conn` (and `peer`,
/// `reply` and a clone of `stop`) to the closure. A connection shared between
/// threads, or one thread for everybody, mixes the clients' bytes up.
/// hint-zh: 每个线程拥有它自己的连接：`move` 把 `conn`（还有 `peer`、`reply` 和 `stop` 的一个克隆）
/// 交给闭包。如果一条连接由几个线程共用，或者所有客户端共用一个线程，它们的字节就会搅在一起。
#[test]
fn step1_200_clients_at_once_each_get_their_own_bytes_back() -> Check {
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

/// hint: A reset is an error on one connection: its thread logs it
/// (`describe`) and ends. Nothing of it may reach `serve`'s loop or the other
/// threads.
/// hint-zh: 重置是某一条连接上的错误：它的线程把它记进日志（`describe`），然后结束。这个错误不能波
/// 及 `serve` 的循环，也不能波及其他线程。
#[test]
fn step1_a_client_that_resets_disturbs_nobody_else() -> Check {
    let server = start()?;
    let mut calm = connect(server.addr())?;
    round_trip(&mut calm, b"before")?;
    let mut rude = connect(server.addr())?;
    rude.write_all(b"echo me")?;
    // Wait until the echo is in our receive buffer, then close without
    // reading it: the kernel answers with a reset (RST) instead of FIN.
    rude.peek(&mut [0u8; 1])?;
    drop(rude);
    let mut next = connect(server.addr())?;
    round_trip(&mut next, b"still there?").map_err(|e| {
        Fail(format!(
            "{e}\n(a reset ends only that client's thread; the server goes on accepting)"
        ))
    })?;
    round_trip(&mut calm, b"after").map_err(|e| {
        Fail(format!(
            "{e}\n(a reset ends only that client's thread; the others go on)"
        ))
    })
}

/// hint: A killed client's kernel closes its socket for it; its thread sees a
/// read of 0 bytes (or a reset) and ends. The server goes on.
/// hint-zh: 客户端被杀掉时，它的内核会替它关闭套接字；它的线程读到 0 个字节（或者一次重置），然后结
/// 束。服务端继续运行。
#[test]
fn step1_a_client_that_is_killed_does_not_stop_the_server() -> Check {
    let server = start()?;
    let mut client = Proc::spawn(CLIENT, &[server.addr()])?;
    client.send_line("hi")?;
    client.line()?;
    drop(client); // killed: the kernel closes its socket
    let mut next = connect(server.addr())?;
    round_trip(&mut next, b"next")
}

/// hint: A client that sends and never reads fills its buffers, and its
/// thread blocks in `write_all`: only that thread. `serve` must already be
/// back in `accept()`.
/// hint-zh: 只发不读的客户端会把自己的缓冲区塞满，它的线程就阻塞在 `write_all` 里：只有这一个线程。
/// 这时 `serve` 必须早已回到 `accept()` 了。
#[test]
fn step1_a_client_that_stops_reading_blocks_only_its_own_thread() -> Check {
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

/// Sets the address-space limit of the running process `pid` (`prlimit`,
/// util-linux); `None` lifts it. `Ok(false)` when `prlimit` is missing.
#[cfg(target_os = "linux")]
fn limit_address_space(pid: u32, bytes: Option<u64>) -> Result<bool, Fail> {
    let limit = bytes.map_or("unlimited".to_string(), |b| b.to_string());
    let ran = Command::new("prlimit")
        .args([
            "--pid",
            &pid.to_string(),
            &format!("--as={limit}:unlimited"),
        ])
        .stdout(Stdio::null())
        .status();
    match ran {
        Ok(status) if status.success() => Ok(true),
        Ok(status) => Err(Fail(format!("prlimit failed: {status}"))),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// hint: Drop the `JoinHandle` that `spawn` returns: the thread runs detached,
/// and when its conversation ends the OS takes back its stack by itself.
/// hint-zh: 把 `spawn` 返回的 `JoinHandle` drop 掉：线程分离运行，它的对话结束时，操作系统会自己收
/// 回它的栈。
/// hint: A handle kept and never joined (in a `Vec`, say) keeps its finished
/// thread's stack, 2 MiB of address space, until it is joined: a server that
/// runs for long runs out. `serve` never needs to join its threads.
/// hint-zh: 留着却从不 join 的句柄（比如存在一个 `Vec` 里），会一直占着它那个已经结束的线程的栈，也
/// 就是 2 MiB 的地址空间，直到被 join：服务端运行久了，就会耗尽。`serve` 从来不需要 join 它的线程。
#[cfg(target_os = "linux")]
#[test]
fn step1_a_client_that_left_leaves_no_thread_stack_behind() -> Check {
    const CLIENTS: u64 = 64;
    // One malloc arena: glibc otherwise maps 64 MiB more for some new
    // threads, which would hide what this check measures. (`env` execs
    // the server, so the process is the same.)
    let server = Server::start("env", &["MALLOC_ARENA_MAX=1", SERVER, "127.0.0.1:0"])?;
    let pid = server.pid();
    let one_client = |i: u64| -> Check {
        let mut stream = connect(server.addr())?;
        round_trip(&mut stream, format!("client {i}").as_bytes())?;
        stream.write_all(b"q")?;
        read_to_close(&mut stream)?;
        Ok(())
    };
    // The first thread's stack is the one the others can reuse.
    one_client(0)?;
    let before = mapped_bytes(pid)?;
    for i in 1..=CLIENTS {
        one_client(i)?;
    }
    let grew = mapped_bytes(pid)?.saturating_sub(before);
    check!(
        grew < 32 << 20,
        "after {CLIENTS} clients came and left, one at a time, the server maps {} MiB more than before: about 2 MiB per client, a thread stack each. Drop each thread's JoinHandle (a detached thread gives its stack back when it ends); kept and never joined, a handle keeps it",
        grew >> 20
    );
    Ok(())
}

/// hint: The OS may refuse a thread (a limit on threads or memory).
/// `thread::spawn` then panics, and a panic in the accept loop ends the server
/// for everyone; `thread::Builder::new().spawn(..)` returns an `io::Error`
/// instead.
/// hint-zh: 操作系统可能拒绝创建线程（线程数或内存到了上限）。这时 `thread::spawn` 会 panic，而链接
/// 循环里的 panic 会让服务端对所有人停摆；`thread::Builder::new().spawn(..)` 则会返回一个
/// `io::Error`。
/// hint: Not `.unwrap()`, `.expect()` or `?` on the spawn: each ends the
/// server. `if let Err(e) = spawned { println!("{peer}: cannot start a thread
/// ({e}); connection closed"); }`: the closure that owned `conn` is dropped,
/// which closes that one client, and the loop goes on.
/// hint-zh: 不要对 spawn 的结果用 `.unwrap()`、`.expect()` 或 `?`：哪一个都会让服务端结束。写 `if
/// let Err(e) = spawned { println!("{peer}: cannot start a thread ({e}); connection closed");
/// }`：拥有 `conn` 的闭包被 drop，那一个客户端的连接随之关闭，循环继续。
#[cfg(target_os = "linux")]
#[test]
fn step1_a_thread_the_os_refuses_turns_one_client_away_not_the_server() -> Check {
    let server = start()?;
    let pid = server.pid();
    // Room for what the server has mapped now and 1 MiB more: a new thread's
    // stack (2 MiB) does not fit, so the OS refuses to create it.
    let room = mapped_bytes(pid)? + (1 << 20);
    if !limit_address_space(pid, Some(room))? {
        eprintln!("note: prlimit not found: this check of a refused thread is skipped");
        return Ok(());
    }
    let mut turned_away = connect(server.addr())?;
    turned_away.write_all(b"hello")?;
    let got = read_to_close(&mut turned_away);
    limit_address_space(pid, None)?;
    check!(
        !matches!(&got, Ok(bytes) if !bytes.is_empty()),
        "with no thread to be had, the client was still answered ({got:?}): was the limit not applied?"
    );
    let mut next = connect(server.addr()).map_err(|e| {
        Fail(format!(
            "{e}\n(the OS refused a thread for one client, and the server is gone: a failed spawn must be logged and the loop go on, not unwrap()/expect()/? or thread::spawn, which panics)"
        ))
    })?;
    round_trip(&mut next, b"and now?").map_err(|e| {
        Fail(format!(
            "{e}\n(the OS refused a thread for one client; once it gives threads again the next client must be served)"
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
fn step2_with_stdin_each_reply_is_the_line_typed_at_the_server() -> Check {
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
fn step2_the_prompt_says_whose_message_it_answers() -> Check {
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
fn step2_an_empty_typed_line_is_not_sent_and_the_server_asks_again() -> Check {
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
fn step2_stdin_closed_ends_that_conversation_not_the_server() -> Check {
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

/// A `--stdin` server whose stdout is read as it comes, byte by byte: a
/// prompt has no newline, and a check must see it when it is printed, not
/// when the next line ends it.
struct Typing {
    child: Child,
    stdin: ChildStdin,
    out: Arc<Mutex<Vec<u8>>>,
    addr: String,
}

impl Typing {
    fn start() -> Result<Typing, Fail> {
        let mut child = Command::new(SERVER)
            .args(["127.0.0.1:0", "--stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let (Some(stdin), Some(mut stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(Fail::new("no pipes to the server"));
        };
        let out = Arc::new(Mutex::new(Vec::new()));
        let sink = out.clone();
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = stdout.read(&mut buf) {
                sink.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .extend_from_slice(&buf[..n]);
            }
        });
        let mut typing = Typing {
            child,
            stdin,
            out,
            addr: String::new(),
        };
        let first = typing.wait_for("its `listening on ADDR` line", |text| {
            text.lines()
                .next()
                .filter(|_| text.contains('\n'))
                .map(str::to_string)
        })?;
        typing.addr = first
            .strip_prefix("listening on ")
            .ok_or_else(|| {
                Fail(format!(
                    "the first line should be `listening on ADDR`: {first:?}"
                ))
            })?
            .to_string();
        Ok(typing)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.out.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }

    /// Waits (at most harness::TIMEOUT) until `found` finds something in
    /// everything the server printed so far.
    fn wait_for<T>(&self, what: &str, found: impl Fn(&str) -> Option<T>) -> Result<T, Fail> {
        let deadline = Instant::now() + harness::TIMEOUT;
        loop {
            let text = self.text();
            if let Some(it) = found(&text) {
                return Ok(it);
            }
            check!(
                Instant::now() < deadline,
                "waited {} s for the server to print {what}; it printed {text:?}",
                harness::TIMEOUT.as_secs()
            );
            thread::sleep(Duration::from_millis(5));
        }
    }

    fn type_line(&mut self, line: &str) -> Check {
        self.stdin
            .write_all(format!("{line}\n").as_bytes())
            .map_err(|e| Fail(format!("cannot type at the server: {e} (did it exit?)")))
    }
}

impl Drop for Typing {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// hint: Several threads may want a reply typed at once, and there is one
/// keyboard. `typed_reply` holds the stdin lock from its prompt to the end of
/// the line it reads: the other threads wait for the lock, so only one prompt
/// is on the screen, and the next line typed answers the client it names.
/// hint-zh: 可能有好几个线程同时等着敲回复，可键盘只有一个。`typed_reply` 从打印提示符到读完那一
/// 行，一直拿着标准输入的锁：其他线程等着拿锁，所以屏幕上只有一个提示符，接下来敲的一行，回答的就是
/// 它写明的那个客户端。
/// hint: Take the lock first, then prompt and read: `let mut stdin =
/// io::stdin().lock();` at the top of `typed_reply`, `stdin.read_line(&mut
/// line)` with it. `io::stdin().read_line(..)` locks only for the read, so a
/// second prompt can come while the first waits for its line.
/// hint-zh: 先拿锁，再打印提示符、读一行：在 `typed_reply` 开头写 `let mut stdin =
/// io::stdin().lock();`，用它来 `stdin.read_line(&mut line)`。`io::stdin().read_line(..)`
/// 只在读的时候才加锁，所以第一个提示符还在等它那一行时，第二个提示符就可能冒出来。
#[test]
fn step2_with_two_clients_one_prompt_at_a_time_each_answered_by_its_line() -> Check {
    let mut server = Typing::start()?;
    let mut alice = connect(&server.addr)?;
    let mut bob = connect(&server.addr)?;
    let (a, b) = (
        alice.local_addr()?.to_string(),
        bob.local_addr()?.to_string(),
    );
    alice.write_all(b"from alice")?;
    server.wait_for("a prompt naming the first client", |text| {
        text.contains(&format!("reply to {a}")).then_some(())
    })?;
    bob.write_all(b"from bob")?;
    // The conversation logs what it read before it asks for a reply: once
    // `from bob` is printed, bob's thread is on its way to typed_reply.
    server.wait_for("the second client's message", |text| {
        text.contains("from bob").then_some(())
    })?;
    // Alice's prompt waits for its line. Bob's must not come meanwhile:
    // with the lock held, his thread waits for it without printing. Time
    // only lets a wrong version show itself; the right one never prints.
    thread::sleep(Duration::from_millis(300));
    let early = server.text();
    check!(
        !early.contains(&format!("reply to {b}")),
        "a second prompt came while the first still waited for its line: the next line typed could go to either client. Hold stdin locked from the prompt to the line read. The server printed {early:?}"
    );
    server.type_line("answer 0")?;
    check_eq!(
        read_exactly(&mut alice, 8)?,
        b"answer 0".to_vec(),
        "the line typed after the first prompt answers the client that prompt names"
    );
    server.wait_for("a prompt naming the second client", |text| {
        text.contains(&format!("reply to {b}")).then_some(())
    })?;
    server.type_line("answer 1")?;
    check_eq!(
        read_exactly(&mut bob, 8)?,
        b"answer 1".to_vec(),
        "the next line answers the second client, whose prompt came next"
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
        let got = tcp_threaded::round_trip(&mut stream, message);
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

/// hint: `round_trip` is given here: you wrote it in stage 2.
/// `round_trip` is the tutorial's client loop body: `write_all` the
/// message (Python's `send`), then read the reply (`recv`).
/// hint-zh: `round_trip` 这里是现成的：你在第 2 阶段写过它。
/// `round_trip` 就是教程客户
/// 端那个循环的循环体：用 `write_all` 发出消息（Python 的 `send`），然后读回复（`recv`）。
/// hint: `stream.write_all(message)?;` then a first `stream.read(&mut buf)?`
/// into a buffer of RECV_SIZE bytes: this read waits as long as it takes.
/// hint-zh: 先 `stream.write_all(message)?;`，再第一次 `stream.read(&mut buf)?`，读进一个 RECV_SIZE
/// 字节的缓冲区：这一次读要等多久就等多久。
/// lesson: lessons/02-tcp-loop.md#where-does-a-reply-end-the-clients-guess
#[test]
fn step3_round_trip_sends_the_message_and_returns_the_reply() -> Check {
    let addr = other_server(|message| message.to_vec())?;
    let got = round_trip_to(&addr, b"hello")?;
    check_eq!(
        got,
        b"hello".to_vec(),
        "round_trip should send the message and return the server's echo"
    );
    Ok(())
}

/// hint: `round_trip` is given here: you wrote it in stage 2.
/// One `read` returns what has arrived so far, not "the reply": the
/// tutorial's `recv(1024)` takes the first 1024 bytes of a 3000-byte echo and
/// leaves the rest to pass for the reply to the next line.
/// hint-zh: `round_trip` 这里是现成的：你在第 2 阶段写过它。
/// 一次 `read` 返回的是目前
/// 已经到达的数据，而不是“整个回复”：教程的 `recv(1024)` 拿到一个 3000 字节回显的前 1024 字节，剩下
/// 的就被当成了下一行的回复。
/// hint: After the first read, keep reading while more comes: set a read
/// timeout of REPLY_QUIET and read until the reply is as long as the message,
/// a read returns 0, or one times out (`ErrorKind::WouldBlock` on Unix,
/// `TimedOut` on Windows).
/// hint-zh: 第一次读之后，只要还有数据来，就接着读：设一个 REPLY_QUIET 的读超时，一直读到回复和消息
/// 一样长、某次读返回 0，或者某次读超时（Unix 上是 `ErrorKind::WouldBlock`，Windows 上是
/// `TimedOut`）。
/// lesson: lessons/02-tcp-loop.md#where-does-a-reply-end-the-clients-guess
#[test]
fn step3_round_trip_returns_a_long_reply_whole_not_one_recv_of_it() -> Check {
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

/// hint: `round_trip` is given here: you wrote it in stage 2.
/// However big the buffer, one read returns only what has arrived: here
/// the reply comes in two writes a moment apart, and the second part is the
/// start of nothing else.
/// hint-zh: `round_trip` 这里是现成的：你在第 2 阶段写过它。
/// 缓冲区再大，一次读也只返
/// 回已经到达的数据：这里的回复分两次写出，中间隔了一小会儿，而第二部分并不是另一个回复的开头。
/// hint: Keep reading after the first read, each read waiting at most
/// REPLY_QUIET (100 ms): `stream.set_read_timeout(Some(REPLY_QUIET))?`.
/// hint-zh: 第一次读之后接着读，每次最多等 REPLY_QUIET（100 毫
/// 秒）：`stream.set_read_timeout(Some(REPLY_QUIET))?`。
/// lesson: lessons/02-tcp-loop.md#where-does-a-reply-end-the-clients-guess
#[test]
fn step3_round_trip_returns_a_reply_that_comes_in_two_parts_whole() -> Check {
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

/// hint: `round_trip` is given here: you wrote it in stage 2.
/// A reply typed at the server may be shorter than the message: waiting
/// for as many bytes as you sent (`read_exact`) waits for bytes that never come.
/// hint-zh: `round_trip` 这里是现成的：你在第 2 阶段写过它。
/// 在服务端敲入的回复可能比
/// 消息短：等着收回和发出去一样多的字节（`read_exact`），等的是永远不会来的字节。
/// hint: Stop reading when the server has been quiet for REPLY_QUIET: with
/// `set_read_timeout(Some(REPLY_QUIET))`, a read that fails with
/// `ErrorKind::WouldBlock` (or `TimedOut`) ends the reply.
/// hint-zh: 服务端安静了 REPLY_QUIET 就停止读：设了 `set_read_timeout(Some(REPLY_QUIET))` 之后，一
/// 次以 `ErrorKind::WouldBlock`（或 `TimedOut`）失败的读，就标志着回复结束。
/// lesson: lessons/02-tcp-loop.md#where-does-a-reply-end-the-clients-guess
#[test]
fn step3_round_trip_returns_a_reply_shorter_than_the_message() -> Check {
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

/// hint: `round_trip` is given here: you wrote it in stage 2.
/// A reply may also be longer than the message: read until the server
/// goes quiet, not until as many bytes as were sent came back. Stop early
/// only when the reply is exactly as long as the message (an echo, whole).
/// hint-zh: `round_trip` 这里是现成的：你在第 2 阶段写过它。
/// 回复也可能比消息长：要读
/// 到服务端安静下来为止，而不是读到收回的字节和发出去的一样多为止。只有回复和消息正好一样长时（一个
/// 完整的回显），才提前停下。
/// lesson: lessons/02-tcp-loop.md#where-does-a-reply-end-the-clients-guess
#[test]
fn step3_round_trip_returns_a_reply_longer_than_the_message_whole() -> Check {
    let addr = other_server(|_| vec![b'y'; 2500])?;
    let got = round_trip_to(&addr, b"hi")?;
    check!(
        got == vec![b'y'; 2500],
        "the server answered `hi` with 2500 bytes; round_trip returned {} of them: keep reading until the server goes quiet, not until as many bytes as were sent came back",
        got.len()
    );
    Ok(())
}

/// hint: `round_trip` is given here: you wrote it in stage 2.
/// An echo is whole when it is exactly as long as the message: nothing
/// more is coming, so stop reading at once. Waiting for REPLY_QUIET after every
/// reply makes every echo print 100 ms late.
/// hint-zh: `round_trip` 这里是现成的：你在第 2 阶段写过它。
/// 回复和消息正好一样长时，
/// 回显就完整了：不会再有别的了，所以马上停止读。要是每个回复之后都等一个 REPLY_QUIET，每个回显都会
/// 晚 100 毫秒才打印。
/// hint: `while reply.len() != message.len() { .. }` around the reads after
/// the first.
/// hint-zh: 在第一次读之后的那些读外面套上 `while reply.len() != message.len() { .. }`。
/// lesson: lessons/02-tcp-loop.md#where-does-a-reply-end-the-clients-guess
#[test]
fn step3_round_trip_returns_an_echo_at_once_without_waiting_for_quiet() -> Check {
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

/// hint: `round_trip` is given here: you wrote it in stage 2.
/// The first read waits as long as it takes: a person may be typing the
/// reply. Only the reads after it wait at most REPLY_QUIET.
/// hint-zh: `round_trip` 这里是现成的：你在第 2 阶段写过它。
/// 第一次读要等多久就等多
/// 久：也许有人正在敲回复。只有之后的那些读，才最多等 REPLY_QUIET。
/// hint: `stream.set_read_timeout(None)?` before the first read, and again
/// before returning, so the next `round_trip` on this connection (and any
/// other read) is not cut short by your REPLY_QUIET.
/// hint-zh: 在第一次读之前 `stream.set_read_timeout(None)?`，返回之前再设一次，这样这条连接上的下一
/// 次 `round_trip`（以及其他任何读）就不会被你的 REPLY_QUIET 提前打断。
/// lesson: lessons/02-tcp-loop.md#where-does-a-reply-end-the-clients-guess
#[test]
fn step3_round_trip_waits_for_a_reply_that_takes_its_time() -> Check {
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

/// hint: `round_trip` is given here: you wrote it in stage 2.
/// A first read that returns 0 means the server closed instead of
/// replying: that is not an empty reply. Return an error
/// (`ErrorKind::UnexpectedEof`, "the server closed the connection").
/// hint-zh: `round_trip` 这里是现成的：你在第 2 阶段写过它。
/// 第一次读就返回 0，说明服
/// 务端没有回复就关闭了：这不是一个空回复。返回一个错误（`ErrorKind::UnexpectedEof`，"the server
/// closed the connection"）。
/// lesson: lessons/02-tcp-loop.md#where-does-a-reply-end-the-clients-guess
#[test]
fn step3_round_trip_reports_a_server_that_closes_instead_of_replying() -> Check {
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

/// hint: `round_trip` is given here: you wrote it in stage 2.
/// Only a quiet server (a read that times out: `WouldBlock` or
/// `TimedOut`) ends a reply normally. Any other error, a reset say, is
/// returned: `Err(e) => return Err(e)`.
/// hint-zh: `round_trip` 这里是现成的：你在第 2 阶段写过它。
/// 只有服务端安静了（一次读
/// 超时：`WouldBlock` 或 `TimedOut`），回复才算正常结束。其他任何错误，比如重置，都要返回：`Err(e)
/// => return Err(e)`。
/// lesson: lessons/02-tcp-loop.md#where-does-a-reply-end-the-clients-guess
#[test]
fn step3_round_trip_reports_a_reset_in_the_middle_of_a_reply() -> Check {
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
fn step3_the_client_sends_each_line_and_prints_each_reply() -> Check {
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

/// hint: Each line typed is answered before the next is read: `round_trip`
/// returns as soon as the echo is whole, with no wait for REPLY_QUIET.
/// hint-zh: 敲入的每一行，都要在读下一行之前得到回答：回显一完整，`round_trip` 就返回，不等
/// REPLY_QUIET。
#[test]
fn step3_the_client_talks_as_you_type() -> Check {
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
fn step3_the_client_prints_replies_of_any_length_and_never_hangs() -> Check {
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

/// hint: `serve` returns `Ok(served)` once a stop was requested: after
/// `accept()` returns, `if stop.requested() { break; }` (that connection was
/// Ctrl-C's wake-up), and only then count the client and start its thread.
/// hint-zh: 收到停止请求后，`serve` 返回 `Ok(served)`：`accept()` 返回之后，`if stop.requested() {
/// break; }`（那条连接是 Ctrl-C 的唤醒），然后才给客户端计数、为它启动线程。
/// hint: Each conversation's thread gets its own clone of the stop flag
/// (`let stop = stop.clone();` before the `move` closure): `converse`
/// registers its connection with it (`stop.close_on_stop`), and a stop shuts
/// every registered connection down. In the binary the process exit would
/// close them anyway; `serve` as a library closes them itself.
/// hint-zh: 每场对话的线程都拿到停止标志的一个克隆（在 `move` 闭包之前 `let stop =
/// stop.clone();`）：`converse`
/// 用它登记自己的连接（`stop.close_on_stop`），一旦停止，所有登记过的连接都会被 shutdown。在程序
/// 里，进程退出反正也会关闭它们；而作为库被调用时，`serve` 要自己把它们关掉。
#[test]
fn step4_serve_returns_on_a_stop_and_every_client_is_closed() -> Check {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?.to_string();
    let stop = Stop::new();
    stop.wake_accept(&listener)?;
    let serving = {
        let stop = stop.clone();
        Running::spawn(move || serve(&listener, &stop, Reply::Echo))
    };
    let mut clients = Vec::new();
    for i in 0..3 {
        let mut stream = connect(&addr)?;
        round_trip(&mut stream, format!("client {i}").as_bytes())?;
        clients.push(stream);
    }
    // Three conversations, each thread waiting in read(). A stop comes.
    stop.request();
    let served = serving
        .result("serve, after a stop was requested,", || {})
        .map_err(|e| {
            Fail(format!(
                "{e}\n(after accept() returns, check stop.requested(): the connection is the stop's wake-up, and serve returns)"
            ))
        })??;
    check_eq!(
        served,
        3,
        "serve should return how many clients it served (three came, then the stop)"
    );
    for (i, client) in clients.iter_mut().enumerate() {
        let rest = read_to_close(client).map_err(|e| {
            Fail(format!(
                "client {i}: {e}\n(a stop must close every client's connection: each conversation registers its own with stop.close_on_stop, and each thread needs a clone of the same stop)"
            ))
        })?;
        check_eq!(rest, b"".to_vec(), "nothing more comes after the stop");
    }
    Ok(())
}

/// hint: `main` (given) wires Ctrl-C to wake `accept()` and prints `stopped by
/// Ctrl-C; served N clients` when `serve` returns; this fails when `serve`
/// does not return after the wake-up.
/// hint-zh: `main`（现成的）让 Ctrl-C 去唤醒 `accept()`，并在 `serve` 返回时打印 `stopped by
/// Ctrl-C; served N clients`；如果被唤醒之后 `serve` 不返回，这一步就会失败。
#[test]
fn step4_ctrl_c_while_waiting_for_a_client() -> Check {
    let server = start()?;
    let asked = server.ctrl_c()?;
    server.expect_prompt_exit(asked, "served 0")?;
    Ok(())
}

/// hint: With clients connected, `serve` still returns at once after Ctrl-C
/// (it never waits for the threads), and `main` returns: the process ends,
/// threads and all, within a second.
/// hint-zh: 有客户端连着时，按下 Ctrl-C 后 `serve` 照样立刻返回（它从不等那些线程），`main` 也随之
/// 返回：进程连同所有线程，在一秒之内结束。
#[test]
fn step4_ctrl_c_with_clients_connected_closes_them() -> Check {
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
                "client {i}: {e}\n(on Ctrl-C the server must close every connected client)"
            ))
        })?;
        check_eq!(rest, b"".to_vec(), "nothing more comes after Ctrl-C");
    }
    server.expect_prompt_exit(asked, "served 3")?;
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
fn step4_ctrl_c_at_the_reply_prompt_exits_0_at_once() -> Check {
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

/// hint: `converse` is stage 2's, given. It returns a read's or a write's error with `?`: a reset is
/// news about this client (it crashed, or closed with our reply unread), and
/// `serve` logs it as such. Retrying a failed read hides it: after a reset
/// the next read returns 0, which looks like a normal goodbye.
/// hint-zh: `converse` 是第 2 阶段的，现成给出。它用 `?` 返回读或写的错误：重置是关于这个客户端的消
/// 息（它崩溃了，或者没读我们的回复就关闭了），`serve` 会照此记进日志。失败的读如果重试，就把它掩盖
/// 了：重置之后，下一次读返回 0，看起来就像一次正常的告别。
/// hint: Only `ErrorKind::Interrupted` (a signal arrived, nothing was read)
/// is worth a retry, and `std` returns it from `read` only on some systems;
/// `?` on every other error.
/// hint-zh: 只有 `ErrorKind::Interrupted`（来了一个信号，什么也没读到）才值得重试，而且 `std` 只在
/// 某些系统上才会从 `read` 返回它；其他错误一律用 `?`。
/// lesson: lessons/02-tcp-loop.md#the-rust
#[test]
fn step5_converse_returns_a_reset_as_an_error_not_as_a_goodbye() -> Check {
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

/// hint: `describe` (given) is how `serve` logs the end of a conversation;
/// this checks it tells the endings apart.
/// hint-zh: `describe`（现成的）是 `serve` 记录对话怎么结束的办法；这一步检查它能把各种结束方式区分
/// 开。
#[test]
fn step5_the_log_tells_a_reset_from_a_failure_and_ctrl_c_from_both() -> Check {
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
fn step6_help_and_bad_command_lines() -> Check {
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
fn step6_a_port_in_use_is_one_clear_error() -> Check {
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
fn step6_the_client_reports_a_server_that_is_not_there() -> Check {
    // A port that nothing listens on and nothing else can take meanwhile
    // (binding port 0 and dropping the listener would free it for anyone).
    let (_closed, addr) = harness::closed_port()?;
    let done = harness::run(CLIENT, &[&addr], b"hello\n")?;
    done.expect_code(1, "connection refused is a run-time error: exit 1")?;
    done.expect_one_error_line()
}

/// A child process killed when dropped, so a failing check leaves none behind.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// hint: `main` and kit are given: a `println!` to a closed stdout panics, and
/// kit turns that panic, from whichever thread, into one `error:` line and
/// exit 1. If this fails, the panic was caught, or the log went elsewhere.
/// hint-zh: `main` 和 kit 都是现成的：往已经关闭的标准输出 `println!` 会 panic，而 kit 会把这个
/// panic，不管来自哪个线程，变成一行 `error:`，退出码 1。如果这一步失败，说明那个 panic 被捕获了，
/// 或者日志写到了别处。
#[test]
fn step6_a_server_whose_output_is_closed_stops_with_one_error_line() -> Check {
    use std::io::{BufRead, BufReader};
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
    let started = Instant::now();
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
        "a server whose output is closed says so in one `error:` line, no panic report; stderr was {stderr:?}"
    );
    Ok(())
}
