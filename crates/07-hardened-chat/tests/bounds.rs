//! Rungs 1 to 8: each bound's own function, checked alone, in this process
//! (`cargo test -p hardened-chat step1`, then `step2`, ...). Each rung needs
//! only the functions of the rungs before it and its own: 1 `clients::take`,
//! 2 `Deadline::read`, 3 `write_lines`, 4 `Flow::behind` (and
//! `hold_back`, checked in the attacks), 5 `linger::drain`, 6
//! `who::online`, 7 `log::line`, 8 `descriptors::accept_failed`. The rungs
//! after these (`tests/checks.rs`, `tests/attacks.rs`, `tests/client.rs`)
//! run the real server, which needs them all.

use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::mpsc::sync_channel;
use std::thread;
use std::time::{Duration, Instant};

use hardened_chat::clients;
use hardened_chat::descriptors;
use hardened_chat::flood::{Flow, STALL};
use hardened_chat::join::Deadline;
use hardened_chat::{linger, who, write_timeout};
use harness::{Check, Fail, Running, check, check_eq};

/// Two ends of one loopback connection: (ours, theirs), with timeouts.
fn pair() -> Result<(TcpStream, TcpStream), Fail> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let theirs = harness::connect(&listener.local_addr()?.to_string())?;
    let (ours, _) = harness::accept_within(&listener)?;
    Ok((ours, theirs))
}

// ---------------------------------------------------------------- rung 1

/// hint: `clients::take` hands out a place while fewer than the maximum
/// are taken, and `None` once they all are.
/// hint-zh: `clients::take` 在已占用的名额少于上限时发出一个名额，名额全被占满后返回 `None`。
/// hint: Each place is a clone of `slots`: `Arc::strong_count` counts them
/// (minus `slots` itself), and dropping a clone gives its place back,
/// however the thread holding it ends.
/// hint-zh: 每个名额都是 `slots` 的一个克隆：`Arc::strong_count` 数的就是它们（减去 `slots` 自
/// 己）；drop 一个克隆就把它的名额还回去，不管持有它的线程是怎么结束的。
/// hint: A refused `take` must not use a place up: clone, count, and when
/// that was one too many, drop the clone at once.
/// hint-zh: 被拒绝的 `take` 不能占掉名额：先克隆，再数，多出一个的话，立刻把这个克隆 drop 掉。
#[test]
fn step1_a_slot_is_taken_up_to_the_cap_and_given_back_when_dropped() -> Check {
    let slots = std::sync::Arc::new(());
    let take = || clients::take(&slots, 3);
    let mut taken: Vec<_> = (0..3).filter_map(|_| take()).collect();
    check_eq!(taken.len(), 3, "with a cap of 3, three takes get a place");
    for attempt in 1..=3 {
        check!(
            take().is_none(),
            "with 3 of 3 places taken, take() must refuse (attempt {attempt}); a refused take must not use a place up either"
        );
    }
    drop(taken.pop());
    check!(
        take().is_some_and(|again| {
            taken.push(again);
            true
        }),
        "a dropped slot gives its place back: the next take() gets it"
    );
    check!(take().is_none(), "and then the room is full again");
    Ok(())
}

/// hint: The slot goes into the client's thread; when that thread ends, by a
/// return or a panic, the slot is dropped and the place is free.
/// hint-zh: 名额交给客户端的线程；这个线程结束时，无论是正常返回还是 panic，名额都会被 drop，位置随
/// 之空出来。
#[test]
fn step1_a_thread_that_panics_gives_its_place_back_too() -> Check {
    let slots = std::sync::Arc::new(());
    let slot = clients::take(&slots, 1).ok_or("the first take() of 1 must succeed")?;
    let died = thread::spawn(move || {
        let _slot = slot;
        std::panic::resume_unwind(Box::new("a client's thread fails"));
    })
    .join();
    check!(died.is_err(), "the thread ends in a panic");
    check!(
        clients::take(&slots, 1).is_some(),
        "a client's thread that panics still frees its place: the slot is dropped as the thread unwinds"
    );
    let started = Instant::now();
    clients::wait_empty(&slots, Duration::from_secs(2));
    check!(
        started.elapsed() < Duration::from_millis(500),
        "wait_empty returns as soon as no place is taken"
    );
    Ok(())
}

// ---------------------------------------------------------------- rung 2

/// Reads a line through a `Deadline` of `timeout` (after `joined` if
/// `join`) while `theirs` runs; returns what read_line said, and when.
fn read_through(
    timeout: Duration,
    join: bool,
    theirs: impl FnOnce(TcpStream) + Send + 'static,
) -> Result<(io::Result<usize>, Duration), Fail> {
    let (ours, their_end) = pair()?;
    ours.set_read_timeout(None)?;
    let started = Instant::now();
    thread::spawn(move || theirs(their_end));
    let running = Running::spawn(move || {
        let mut deadline = Deadline::new(&ours, timeout);
        if join {
            deadline.joined()?;
        }
        let mut line = Vec::new();
        BufReader::new(deadline).read_until(b'\n', &mut line)
    });
    let got = running.result("reading through a Deadline", || {})?;
    Ok((got, started.elapsed()))
}

/// hint: `Deadline::read` waits at most until the deadline: set the
/// socket's read timeout to what is *left* of the time before each read.
/// hint-zh: `Deadline::read` 最多等到截止时间：每次读之前，把套接字的读超时设成*剩下*的时间。
/// hint: Past the deadline, or when the read timed out (`WouldBlock` on
/// Unix), return an error of kind `ErrorKind::TimedOut`.
/// hint-zh: 过了截止时间，或者这次读超时了（在 Unix 上是 `WouldBlock`），就返回一个
/// `ErrorKind::TimedOut` 类型的错误。
#[test]
fn step2_a_connection_that_sends_nothing_times_out_at_the_deadline() -> Check {
    let (got, took) = read_through(Duration::from_millis(200), false, |theirs| {
        thread::sleep(Duration::from_secs(3));
        drop(theirs);
    })?;
    check!(
        matches!(&got, Err(e) if e.kind() == ErrorKind::TimedOut),
        "a connection that says nothing: the read must fail with ErrorKind::TimedOut at the deadline; it returned {got:?}"
    );
    check!(
        (Duration::from_millis(150)..Duration::from_millis(1200)).contains(&took),
        "the deadline was 200 ms; the read ended after {took:?}"
    );
    Ok(())
}

/// hint: A dribbler sends a byte more often than any read timeout: each
/// read must wait only for what is left until the one deadline set when
/// the connection was accepted, never the whole timeout again.
/// hint-zh: 挤牙膏式发送的客户端，发字节的间隔比任何读超时都短：每次读只能等到 accept 这条连接时定
/// 下的那一个截止时间，只等剩下的时间，绝不重新等一整个超时。
#[test]
fn step2_a_dribbler_gets_no_more_time_than_the_deadline() -> Check {
    let (got, took) = read_through(Duration::from_millis(250), false, |mut theirs| {
        for _ in 0..100 {
            if theirs.write_all(b"x").is_err() {
                return;
            }
            thread::sleep(Duration::from_millis(30));
        }
    })?;
    check!(
        matches!(&got, Err(e) if e.kind() == ErrorKind::TimedOut),
        "one byte every 30 ms and never a newline: the read must still fail with TimedOut at the 250 ms deadline; it returned {got:?}"
    );
    check!(
        took < Duration::from_millis(1200),
        "one byte every 30 ms bought the dribbler time: the deadline was 250 ms from the start, the read ended after {took:?}"
    );
    Ok(())
}

/// hint: Only a read that timed out (`WouldBlock` or `TimedOut`) means "the deadline"; any other
/// error is the connection's own news (here a reset): return it as it is, or the log and the
/// Ctrl-C summary blame the join timeout for a client that crashed.
/// hint-zh: 只有读超时（`WouldBlock` 或 `TimedOut`）才表示"到了截止时间"；别的错误是这条连接自己的
/// 消息（这里是一次重置）：原样返回，否则日志和 Ctrl-C 的汇总会把一个崩掉的客户端算到加入超时头上。
#[test]
fn step2_a_reset_before_joining_is_a_reset_not_the_deadline() -> Check {
    let (ours, theirs) = pair()?;
    ours.set_read_timeout(None)?;
    // Their side closes with bytes it never read: its kernel answers with
    // a reset (RST), not an orderly end.
    (&ours).write_all(b"never read")?;
    drop(theirs);
    let running = Running::spawn(move || {
        let mut deadline = Deadline::new(&ours, Duration::from_secs(2));
        deadline.read(&mut [0u8; 64])
    });
    let got = running.result("reading through a Deadline", || {})?;
    check!(
        matches!(&got, Err(e) if e.kind() == ErrorKind::ConnectionReset),
        "the client reset the connection before joining: the read must return that error (ConnectionReset), not a TimedOut for the deadline, which was 2 s away; it returned {got:?}"
    );
    Ok(())
}

/// hint: Once the client joined (`joined()`), no deadline: clear the
/// socket's read timeout (`set_read_timeout(None)`), or an idle client is
/// cut off later.
/// hint-zh: 客户端一旦加入（`joined()`），就不再有截止时间：清掉套接字的读超时
/// （`set_read_timeout(None)`），否则一个只是暂时不说话的客户端，过一会儿就会被断开。
#[test]
fn step2_after_joining_a_read_waits_as_long_as_it_takes() -> Check {
    let (got, _) = read_through(Duration::from_millis(200), true, |mut theirs| {
        thread::sleep(Duration::from_millis(300));
        let _ = theirs.write_all(b"late but joined\n");
        thread::sleep(Duration::from_secs(1));
    })?;
    check!(
        matches!(got, Ok(16)),
        "after joined() a read waits for the client however long it takes; it returned {got:?}"
    );
    Ok(())
}

// ---------------------------------------------------------------- rung 3

fn lines_of(n: usize, size: usize) -> Vec<Arc<str>> {
    (0..n)
        .map(|i| format!("{i:06}{}\n", "x".repeat(size)).into())
        .collect()
}

/// hint: `write_lines` sends every line, in order, with `write_vectored`
/// (one `writev()` for them all), going on after a partial write.
/// hint-zh: `write_lines` 用 `write_vectored` 按顺序发出每一行（所有行一次 `writev()`），只写出一部
/// 分时接着写。
/// hint: `IoSlice::advance_slices` skips what one `write_vectored` took.
/// hint-zh: `IoSlice::advance_slices` 跳过一次 `write_vectored` 已经写出去的部分。
#[test]
fn step3_lines_go_out_whole_and_in_order() -> Check {
    let (ours, mut theirs) = pair()?;
    let lines = lines_of(3000, 500);
    let want: String = lines.iter().map(|l| &**l).collect();
    let size = want.len();
    let reader = thread::spawn(move || {
        let mut got = vec![0; size];
        theirs.read_exact(&mut got).map(|()| got)
    });
    ours.set_write_timeout(Some(Duration::from_millis(100)))?;
    let sent = write_timeout::write_lines(&ours, &lines, Duration::from_secs(5));
    check!(sent.is_ok(), "write_lines to a client that reads: {sent:?}");
    let got = reader.join().map_err(|_| "the reader panicked")??;
    check!(
        got == want.as_bytes(),
        "the {size} bytes of 3000 lines must arrive whole and in order"
    );
    Ok(())
}

/// Runs `write_lines` with a limit of 600 ms towards a peer that reads
/// `trickle` bytes every 20 ms (0: nothing); returns its result and when.
fn against(trickle: usize) -> Result<(io::Result<()>, Duration), Fail> {
    let (ours, mut theirs) = pair()?;
    ours.set_write_timeout(Some(Duration::from_millis(100)))?;
    let reading = thread::spawn(move || {
        let mut buf = vec![0; trickle.max(1)];
        let until = Instant::now() + Duration::from_secs(5);
        while trickle > 0 && Instant::now() < until && theirs.read_exact(&mut buf).is_ok() {
            thread::sleep(Duration::from_millis(20));
        }
        theirs
    });
    let lines = lines_of(500, 64 * 1024);
    let started = Instant::now();
    let running = Running::spawn(move || {
        write_timeout::write_lines(&ours, &lines, Duration::from_millis(300))
    });
    let got = running.result("write_lines", || {})?;
    let took = started.elapsed();
    drop(reading);
    Ok((got, took))
}

/// hint: A client that reads nothing: the socket's buffers fill, write()
/// blocks; with the socket's write timeout set, it comes back with
/// `WouldBlock`. Look at the clock then, and fail with `TimedOut` once the
/// limit has passed since `write_lines` began.
/// hint-zh: 一个什么都不读的客户端：套接字的缓冲区满了，write() 阻塞；设了套接字的写超时，它会带着
/// `WouldBlock` 返回。这时看一眼时钟：从 `write_lines` 开始算，一旦超过时限，就以 `TimedOut` 失败。
#[test]
fn step3_a_client_that_reads_nothing_is_given_up_on_after_the_limit() -> Check {
    let (got, took) = against(0)?;
    check!(
        matches!(&got, Err(e) if e.kind() == ErrorKind::TimedOut),
        "32 MB to a client that reads nothing, limit 300 ms: write_lines must fail with ErrorKind::TimedOut; it returned {got:?} after {took:?}"
    );
    check!(
        took < Duration::from_millis(2000),
        "the limit was 300 ms; write_lines gave up after {took:?}"
    );
    Ok(())
}

/// hint: The socket's write timeout fails only a write() that moved no
/// byte: a client reading a trickle defeats it. Count the time from when
/// `write_lines` began, not from the last write() that moved something.
/// hint-zh: 套接字的写超时只会让一个字节都没写出去的 write() 失败：一个一点一点慢慢读的客户端就能让
/// 它失效。时间要从 `write_lines` 开始时算起，而不是从上一次写出了东西的 write() 算起。
#[test]
fn step3_a_client_that_reads_a_trickle_is_given_up_on_too() -> Check {
    let (got, took) = against(256)?;
    check!(
        matches!(&got, Err(e) if e.kind() == ErrorKind::TimedOut),
        "a client reading 256 bytes every 20 ms still takes 32 MB far too slowly: write_lines must fail with TimedOut once 300 ms have passed since it began, even though bytes keep moving; it returned {got:?} after {took:?}"
    );
    check!(
        took < Duration::from_millis(2000),
        "the limit was 300 ms; write_lines gave up after {took:?}"
    );
    Ok(())
}

// ---------------------------------------------------------------- rung 4

/// hint: `Flow::behind` is the writer's queue (lines queued, less lines
/// taken) while it waits for lines or has been busy for less than STALL.
/// hint-zh: 写线程在等新的行，或者忙了还不到 STALL 时，`Flow::behind` 就是它的队列长度（排进队列的
/// 行数，减去已取走的行数）。
/// hint: A writer busy with one batch for longer than STALL has a client
/// that stopped reading: count it as 0 behind, so that nobody waits for it.
/// hint-zh: 一个写线程在一批数据上忙了超过 STALL，说明它的客户端已经不读了：把它算作落后 0 行，这样
/// 谁都不会等它。
#[test]
fn step4_a_writer_is_behind_by_its_queue_unless_stuck_longer_than_stall() -> Check {
    let flow = Flow::default();
    let (outbox, inbox) = sync_channel(8);
    for i in 0..5 {
        check!(flow.queue(&outbox, i).is_ok(), "queueing line {i} of 8");
    }
    check_eq!(flow.behind(), 5, "5 lines queued, none taken: 5 behind");
    let _ = inbox.recv();
    let _ = inbox.recv();
    flow.taken(2, true);
    check_eq!(
        flow.behind(),
        3,
        "the writer took 2 and is sending them: 3 still queued, and not stuck yet"
    );
    thread::sleep(STALL + Duration::from_millis(150));
    check_eq!(
        flow.behind(),
        0,
        "the writer has been busy with one batch for longer than STALL: its client stopped reading, and nobody must wait for it"
    );
    flow.taken(0, false);
    check_eq!(
        flow.behind(),
        3,
        "the batch went out and the writer waits for lines again: its 3 queued lines count again"
    );
    for i in 0..10 {
        let _ = flow.queue(&outbox, i);
    }
    check_eq!(
        flow.behind(),
        8,
        "a queue of 8 holds 8: a line refused by a full queue is not counted"
    );
    // Later in the program's life (the clock of `millis` is past STALL now),
    // a batch just begun is still not a stuck one.
    let _ = inbox.recv();
    flow.taken(1, true);
    check_eq!(
        flow.behind(),
        7,
        "the writer has just begun a batch, long after the program started: it is busy for (now - busy_since), not stuck, so its 7 queued lines count"
    );
    Ok(())
}

// ---------------------------------------------------------------- rung 5

/// hint: `linger::drain` reads and throws away what the client still
/// sends (`io::copy` to `io::sink()`), until it closes.
/// hint-zh: `linger::drain` 把客户端还在发的数据读出来扔掉（`io::copy` 到 `io::sink()`），直到它关
/// 闭连接。
#[test]
fn step5_drain_reads_until_the_client_closes() -> Check {
    let (ours, mut theirs) = pair()?;
    thread::spawn(move || {
        let _ = theirs.write_all(&[b'a'; 200_000]);
    });
    let started = Instant::now();
    Running::spawn(move || linger::drain(&ours)).result("linger::drain", || {})?;
    check!(
        started.elapsed() < linger::LINGER / 2,
        "the client sent 200 KB and closed: drain returns at its end of stream, not after waiting the longest; it took {:?}",
        started.elapsed()
    );
    Ok(())
}

/// hint: A client that never stops sending must not keep the thread: stop
/// after LINGER_BYTES (`Read::take`) or once LINGER has passed (a
/// `Deadline`, from rung 2).
/// hint-zh: 一个发个不停的客户端不能一直占着这个线程：读够 LINGER_BYTES（`Read::take`），或者过了
/// LINGER（用第 2 级的 `Deadline`），就停下来。
#[test]
fn step5_drain_gives_up_on_a_client_that_never_stops() -> Check {
    let (ours, mut theirs) = pair()?;
    thread::spawn(move || {
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until && theirs.write_all(b"still talking").is_ok() {
            thread::sleep(Duration::from_millis(10));
        }
    });
    let started = Instant::now();
    Running::spawn(move || linger::drain(&ours)).result("linger::drain", || {})?;
    let took = started.elapsed();
    check!(
        took >= linger::LINGER.mul_f64(0.8) && took < linger::LINGER + Duration::from_millis(800),
        "a client sending a trickle for ever: drain gives up after LINGER ({:?}); it took {took:?}",
        linger::LINGER
    );
    Ok(())
}

// ---------------------------------------------------------------- rung 6

/// hint: `who::online` lists the names after "online: ", separated by
/// ", ", as stage 6 did, when they fit.
/// hint-zh: 名字放得下时，`who::online` 和第 6 阶段一样，在 "online: " 后面列出名字，用 ", " 隔开。
#[test]
fn step6_who_lists_every_name_when_they_fit() -> Check {
    check_eq!(
        who::online(["alice", "bob", "李雷"].into_iter()),
        "online: alice, bob, 李雷",
        "a few names: all of them, as stage 6 listed them"
    );
    Ok(())
}

/// hint: Stop adding names once the text would grow past WHO_BYTES, and
/// count the rest: "... and 950 more".
/// hint-zh: 再加一个名字文字就会超过 WHO_BYTES 时，就不再加了，剩下的只数个数："... and 950 more"。
/// hint: As many as fit, no more: add a name while `text.len() + 2 + name.len() <= WHO_BYTES`
/// (the 2 is the `", "` before it).
/// hint-zh: 放得下多少就列多少，一个也不多：只要 `text.len() + 2 + name.len() <= WHO_BYTES`
/// 就再加一个名字（2 是它前面的 `", "`）。
#[test]
fn step6_who_is_bounded_and_says_how_many_more() -> Check {
    let names: Vec<String> = (0..1000)
        .map(|i| format!("{i:04}{}", "n".repeat(28)))
        .collect();
    let text = who::online(names.iter().map(String::as_str));
    check!(
        text.len() <= who::WHO_BYTES + 40,
        "1,000 names of 32 characters: the answer must stay near WHO_BYTES ({}), not grow with the room; it has {} bytes",
        who::WHO_BYTES,
        text.len()
    );
    let listed = text.matches(&"n".repeat(28)).count();
    let more: usize = text
        .rsplit_once(" and ")
        .and_then(|(_, more)| more.strip_suffix(" more"))
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| {
            Fail(format!(
                "the answer should end \"... and N more\"; it ends {:?}",
                &text[text.len().saturating_sub(40)..]
            ))
        })?;
    check_eq!(
        listed + more,
        1000,
        "the names listed plus \"and N more\" count everyone online"
    );
    check!(
        text.starts_with("online: 0000"),
        "the first names come first; the answer was {:?}",
        &text[..40]
    );
    // As many names as fit, and no more: the list (before " ... and N
    // more") is at most WHO_BYTES, and one more ", name" would not fit.
    for len in [32, 20] {
        let names: Vec<String> = (0..1000)
            .map(|i| format!("{i:04}{}", "n".repeat(len - 4)))
            .collect();
        let text = who::online(names.iter().map(String::as_str));
        let list = text.split(" ... and ").next().unwrap_or_default();
        check!(
            list.len() <= who::WHO_BYTES,
            "names of {len} characters: those listed take {} bytes with \"online:\", over WHO_BYTES ({}); count the \", \" before each name too",
            list.len(),
            who::WHO_BYTES
        );
        check!(
            list.len() + ", ".len() + len > who::WHO_BYTES,
            "names of {len} characters: those listed take {} bytes, and another \", \" and name would still fit in WHO_BYTES ({}): list as many as fit",
            list.len(),
            who::WHO_BYTES
        );
    }
    Ok(())
}

// ---------------------------------------------------------------- rung 7

/// In a child process (this test binary again, this test alone) whose
/// stdout is a pipe that nobody reads: start the logger, log 100,000 lines.
const UNREAD_CHILD: &str = "HARDENED_CHAT_TEST_UNREAD_LOG";

/// hint: `log::line` must never wait: `try_send` to the logger's bounded
/// queue, and when it is full, drop the line and count it in `DROPPED`.
/// hint-zh: `log::line` 绝不能等待：用 `try_send` 放进日志线程的有界队列，队列满了就丢掉这一行，并
/// 记入 `DROPPED`。
/// hint: Blocking there (`send`, or `println!` itself) freezes whichever
/// thread logs, holding the room: every earlier server froze this way.
/// hint-zh: 在这里阻塞（用 `send`，或者直接 `println!`），哪个线程写日志，哪个线程就会冻住，而它可
/// 能正占着聊天室：前面每个阶段的服务端都是这样冻住的。
#[test]
fn step7_a_log_line_never_waits_for_a_reader() -> Check {
    use hardened_chat::log;
    use std::sync::atomic::Ordering::Relaxed;
    if std::env::var_os(UNREAD_CHILD).is_some() {
        log::start()?;
        let started = Instant::now();
        for i in 0..100_000 {
            log::line(format!("log line {i} that nobody reads"));
        }
        let took = started.elapsed();
        let dropped = log::DROPPED.load(Relaxed);
        // Exit here: the test harness would print its report to the same
        // stdout, which the logger thread holds, blocked, for good.
        if took > Duration::from_secs(3) {
            eprintln!(
                "100,000 log lines with nobody reading took {took:?}: log::line waited for the reader"
            );
            std::process::exit(1);
        }
        if dropped == 0 {
            eprintln!("nobody read the output, yet no line was dropped (log::DROPPED is 0)");
            std::process::exit(1);
        }
        eprintln!("logged 100000 lines in {took:?}, {dropped} dropped");
        std::process::exit(0);
    }
    let exe = std::env::current_exe()?;
    let mut child = std::process::Command::new(exe)
        .args([
            "--exact",
            "step7_a_log_line_never_waits_for_a_reader",
            "--nocapture",
        ])
        .env(UNREAD_CHILD, "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    // Its stdout stays open and unread until it has exited.
    let _unread = child.stdout.take();
    let mut said = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        let reading = thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let until = Instant::now() + Duration::from_secs(10);
        while child.try_wait()?.is_none() && Instant::now() < until {
            thread::sleep(Duration::from_millis(10));
        }
        if child.try_wait()?.is_none() {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Fail::new(
                "logging with nobody reading the output never finished: log::line waits when the queue is full; it must drop the line instead",
            ));
        }
        said = reading.join().unwrap_or_default();
    }
    let status = child.wait()?;
    check!(
        status.success() && said.contains("dropped"),
        "logging 100,000 lines with nobody reading the output: {said}"
    );
    Ok(())
}

// ---------------------------------------------------------------- rung 8

/// A listener with one client waiting in its backlog.
fn waiting_client() -> Result<(TcpListener, TcpStream), Fail> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let client = harness::connect(&listener.local_addr()?.to_string())?;
    Ok((listener, client))
}

/// hint: Out of file descriptors (`e.raw_os_error()` is 24, EMFILE, or 23,
/// ENFILE): close the spare (`spare.take()`), `accept()` the waiting
/// client with the one freed, tell it why in a JSON error line
/// (`clients::refuse`), and open the spare again.
/// hint-zh: 文件描述符用完了（`e.raw_os_error()` 是 24，即 EMFILE，或者 23，即 ENFILE）：关掉备用的
/// 那个（`spare.take()`），用空出来的这个 `accept()` 正在等的客户端，用一行 JSON 错误告诉它原因
/// （`clients::refuse`），然后重新打开备用的描述符。
#[test]
fn step8_out_of_descriptors_the_waiting_client_is_told_and_closed() -> Check {
    let (listener, mut client) = waiting_client()?;
    let mut spare = Some(std::fs::File::open("/dev/null")?);
    let stop = kit::Stop::new();
    Running::spawn(move || {
        descriptors::accept_failed(
            &mut spare,
            &listener,
            io::Error::from_raw_os_error(24),
            &stop,
        );
        listener
    })
    .result("accept_failed(EMFILE) with a client waiting", || {})?;
    let told = harness::read_to_close(&mut client).map_err(|e| {
        Fail(format!(
            "{e}\n(after EMFILE the waiting client is accepted with the spare descriptor, told, and closed)"
        ))
    })?;
    let told: serde_json::Value = serde_json::from_slice(&told).map_err(|e| {
        Fail(format!(
            "the client must get one JSON line, {{\"error\": ...}}; it got {:?} ({e})",
            String::from_utf8_lossy(&told)
        ))
    })?;
    check!(
        told["error"]
            .as_str()
            .is_some_and(|e| e.contains("descriptor")),
        "the error says the server is out of file descriptors; it got {told}"
    );
    Ok(())
}

/// hint: The connection accepted after Ctrl-C is kit's wake-up: close it
/// without a word (check `stop.requested()` after `accept()`).
/// hint-zh: 按 Ctrl-C 之后 accept 到的连接是 kit 的唤醒：一句话都不说就关掉它（`accept()` 之后检查
/// `stop.requested()`）。
/// hint: Any other accept error (a client that gave up in the backlog,
/// say) is not fatal either: log it, pause a moment, and let the loop go on.
/// hint-zh: 其他任何 accept 错误（比如一个在监听队列里等得放弃了的客户端）也都不是致命的：记一行日
/// 志，停一小会儿，让循环继续。
#[test]
fn step8_the_wake_up_is_not_told_and_other_errors_only_pause() -> Check {
    let (listener, mut client) = waiting_client()?;
    let stop = kit::Stop::new();
    stop.request();
    let mut spare = Some(std::fs::File::open("/dev/null")?);
    let listener = Running::spawn(move || {
        descriptors::accept_failed(
            &mut spare,
            &listener,
            io::Error::from_raw_os_error(24),
            &stop,
        );
        listener
    })
    .result("accept_failed(EMFILE) after Ctrl-C", || {})?;
    let told = harness::read_to_close(&mut client)?;
    check!(
        told.is_empty(),
        "after Ctrl-C the connection accepted is the wake-up: close it, tell it nothing; it was told {:?}",
        String::from_utf8_lossy(&told)
    );
    let waiting = harness::connect(&listener.local_addr()?.to_string())?;
    let mut spare = Some(std::fs::File::open("/dev/null")?);
    let started = Instant::now();
    let listener = Running::spawn(move || {
        // ECONNABORTED: not out of descriptors.
        let e = io::Error::from_raw_os_error(103);
        descriptors::accept_failed(&mut spare, &listener, e, &kit::Stop::new());
        listener
    })
    .result("accept_failed(ECONNABORTED)", || {})?;
    check!(
        started.elapsed() >= Duration::from_millis(10),
        "after another accept error, pause a moment, so that an error that repeats does not spin the loop"
    );
    listener.set_nonblocking(true)?;
    check!(
        listener.accept().is_ok(),
        "another accept error takes no client: the one waiting is still there for the next accept()"
    );
    drop(waiting);
    Ok(())
}
