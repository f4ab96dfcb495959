//! Rungs 18 to 27: each attack of lesson 07 against the real server, and
//! the bound that answers it (`cargo test -p hardened-chat step18`, ...).
//! Small flag values keep them quick: `--max-clients 3`, `--join-timeout
//! 1`, `--write-timeout 1`, `--queue 16`, `ulimit -n 64`. Every wait has a
//! deadline; nothing sleeps to wait for readiness.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::{Peer, SERVER, eventually, msg, start, threads_and_fds};
use harness::{Check, Fail, Server, check, check_eq};
use serde_json::{Value, json};

/// Joins as `name`, retrying for a moment while the room is full: a place
/// is given back as the leaving client's thread ends, a moment after it left.
fn join_when_free(addr: &str, name: &str) -> Result<Peer, Fail> {
    let until = Instant::now() + Duration::from_secs(3);
    loop {
        let mut peer = Peer::connect(addr, name)?;
        peer.say(&format!("hello, I am {name}"))?;
        let got = peer.next()?;
        if got["name"] == "server" && msg(&got).contains(name) {
            peer.next_from(name)?;
            return Ok(peer);
        }
        let full = got["error"].as_str().is_some_and(|e| e.contains("full"));
        check!(
            full && Instant::now() < until,
            "{name} should have joined once a place was free (a slot must be given back however its client leaves); it got {got}"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------- rung 18

/// hint: Past --max-clients, `serve` gets no slot from `clients::take`: tell
/// the client in one JSON error line (`clients::refuse`) and close, before
/// any thread is started for it.
/// hint-zh: 超过 --max-clients 之后，`serve` 从 `clients::take` 拿不到名额：在为这个客户端启动任何
/// 线程之前，用一行 JSON 错误告诉它（`clients::refuse`），然后关闭。
/// hint: The room never hears of a refused client: no notice, no line.
/// hint-zh: 聊天室根本不知道有个被拒绝的客户端：没有通知，一行都没有。
#[test]
fn step18_over_the_client_cap_a_client_is_told_and_closed() -> Check {
    let server = start(&["--max-clients", "3"])?;
    let addr = server.addr().to_string();
    let mut alice = Peer::join(&addr, "alice")?;
    let bob = Peer::join(&addr, "bob")?;
    let _carol = Peer::join(&addr, "carol")?;
    let mut dave = Peer::connect(&addr, "dave")?;
    let dave_addr = dave.stream.local_addr()?;
    let error = dave.expect_error("connecting as a 4th client with --max-clients 3")?;
    check!(
        error.contains("full"),
        "the error says the room is full (which bound, and what to do); it was {error:?}"
    );
    dave.expect_closed("over the cap")?;
    server.line_containing(&dave_addr.to_string())?;
    alice.say("nobody noticed")?;
    let next = alice.next_from("alice")?;
    check_eq!(
        msg(&next),
        "nobody noticed",
        "a refused client is nobody's business: alice's next line is her own"
    );
    let bob_addr = bob.stream.local_addr()?;
    drop(bob);
    server.line_containing(&format!("{bob_addr}: "))?;
    join_when_free(&addr, "erin").map(drop)
}

/// hint: The slot moves into the client's thread and is dropped as that
/// thread ends, whichever way it ends: a close, /quit, a reset, a line too
/// long, the join timeout, or a connection that never spoke.
/// hint-zh: 名额交给客户端的线程，随着这个线程结束而被 drop，不管它是怎么结束的：关闭连接、/quit、
/// 重置、一行太长、加入超时，或者一条从没说过话的连接。
#[test]
fn step18_however_a_client_leaves_its_place_is_free_again() -> Check {
    let server = start(&["--max-clients", "1", "--join-timeout", "0.3"])?;
    let addr = server.addr().to_string();
    for (i, how) in [
        "closes",
        "sends /quit",
        "resets",
        "sends a line too long",
        "never speaks, and the join timeout cuts it off",
        "never speaks, and closes",
    ]
    .into_iter()
    .enumerate()
    {
        let name = format!("leaver{i}");
        let mut leaver = match how.contains("never speaks") {
            true => connect_when_free(&addr, &name)?,
            false => join_when_free(&addr, &name)?,
        };
        match how {
            "sends /quit" => leaver.say("/quit")?,
            "resets" => {
                leaver.say("an echo left unread")?;
                let stream = leaver.stream.try_clone()?;
                unread_then_reset(stream, "an echo left unread", harness::TIMEOUT)?;
            }
            "sends a line too long" => {
                let _ = leaver.stream.write_all(&vec![b'a'; 70_000]);
                leaver.expect_error("a line over 64 KiB")?;
            }
            "never speaks, and the join timeout cuts it off" => {
                let error = leaver.expect_error("saying nothing for the join timeout")?;
                check!(
                    !error.contains("full"),
                    "{name} was let in, then refused: {error}"
                );
            }
            _ => {}
        }
        drop(leaver);
        let probe = join_when_free(&addr, &format!("probe{i}"))
            .map_err(|e| Fail(format!("after a client that {how}: {e}")))?;
        drop(probe);
    }
    Ok(())
}

/// Connects, saying nothing, retrying for a moment while the room is full
/// (a refusal comes at once; nothing comes to a connection let in).
fn connect_when_free(addr: &str, name: &str) -> Result<Peer, Fail> {
    let until = Instant::now() + Duration::from_secs(3);
    loop {
        let peer = Peer::connect(addr, name)?;
        peer.stream
            .set_read_timeout(Some(Duration::from_millis(200)))?;
        match peer.stream.peek(&mut [0; 64]) {
            Err(e) if common::timed_out(&e) => {
                peer.stream.set_read_timeout(Some(harness::TIMEOUT))?;
                return Ok(peer);
            }
            _ => check!(Instant::now() < until, "{name} was never let in"),
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until `text` is waiting unread in `stream`, then closes it: with
/// data unread, the kernel sends a reset (RST), not FIN.
fn unread_then_reset(stream: TcpStream, text: &str, limit: Duration) -> Check {
    let mut buf = vec![0u8; 1 << 20];
    let until = Instant::now() + limit;
    loop {
        let n = stream.peek(&mut buf)?;
        if String::from_utf8_lossy(&buf[..n]).contains(text) {
            return Ok(());
        }
        check!(Instant::now() < until, "{text:?} never came back");
        thread::sleep(Duration::from_millis(2));
    }
}

/// hint: Each bound is a flag whose default `--help` shows; a value that
/// is no bound (0, negative, not a number) is a usage error: exit 2.
/// hint-zh: 每个限制都是一个命令行参数，`--help` 会显示它的默认值；构不成限制的值（0、负数、不是数
/// 字）是用法错误：退出码 2。
#[test]
fn step18_every_bound_is_a_flag_with_its_default_in_help() -> Check {
    let help = harness::run(SERVER, &["--help"], b"")?;
    help.expect_code(0, "--help exits 0")?;
    let text = help.stdout.join("\n");
    for (flag, default) in [
        ("--max-clients", "1024"),
        ("--join-timeout", "30"),
        ("--queue", "256"),
        ("--write-timeout", "10"),
    ] {
        check!(
            text.lines().any(|l| l.contains(flag)) && text.contains(&format!("default {default}")),
            "--help shows {flag} and its default ({default}); it printed:\n{text}"
        );
    }
    for args in [
        &["--max-clients", "0"][..],
        &["--join-timeout", "0"],
        &["--join-timeout", "-1"],
        &["--write-timeout", "soon"],
        &["--queue", "0"],
    ] {
        harness::run(SERVER, args, b"")?
            .expect_code(2, &format!("{args:?} is no bound: exit 2"))?;
    }
    Ok(())
}

// ---------------------------------------------------------------- rung 19

/// What one slow connection saw: when the server closed it, and the
/// lines it got.
struct Cut {
    after: Duration,
    got: String,
}

/// A connection that sends `chunk` every `every` (never a newline, if it
/// is a dribbler) until the server closes it.
fn slow_connection(addr: &str, chunk: &'static [u8], every: Duration) -> Result<Cut, Fail> {
    let stream = harness::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_millis(5)))?;
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let mut last_sent = None::<Instant>;
    while started.elapsed() < harness::TIMEOUT {
        if !chunk.is_empty() && last_sent.is_none_or(|at| at.elapsed() >= every) {
            let _ = (&stream).write_all(chunk);
            last_sent = Some(Instant::now());
        }
        match (&stream).read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if common::timed_out(&e) => {}
            Err(_) => break,
        }
    }
    Ok(Cut {
        after: started.elapsed(),
        got: String::from_utf8_lossy(&got).into_owned(),
    })
}

/// hint: The join timeout is a deadline counted from `accept`: every read
/// before the client joins ends by it (`join::Deadline`), however many
/// bytes the client dribbles, and however many bad lines it sends.
/// hint-zh: 加入时限是从 `accept` 开始算的截止时间：客户端加入之前的每次读都在它之前结束
/// （`join::Deadline`），不管客户端挤出多少个字节，也不管它发了多少行坏数据。
/// hint: Past it: `{"error": ...}`, then close; the others never notice.
/// hint-zh: 过了时限：先发 `{"error": ...}`，再关闭；其他人完全察觉不到。
#[test]
fn step19_a_dribbling_connection_is_cut_at_the_join_timeout_while_others_join() -> Check {
    let server = start(&["--join-timeout", "0.3"])?;
    let addr = server.addr().to_string();
    let attackers: Vec<_> = [
        (&b"{"[..], "dribbles a byte every 50 ms"),
        (b"", "says nothing at all"),
        (b"not json\n", "sends a bad line every 100 ms"),
    ]
    .into_iter()
    .map(|(chunk, what)| {
        let addr = addr.clone();
        let every = Duration::from_millis(if what.contains("100") { 100 } else { 50 });
        (
            what,
            thread::spawn(move || slow_connection(&addr, chunk, every)),
        )
    })
    .collect();
    // Meanwhile, fresh clients join and talk, promptly.
    for i in 0..4 {
        let started = Instant::now();
        let mut fresh = Peer::join(&addr, &format!("fresh{i}"))?;
        fresh.say("hi")?;
        fresh.next_from(&format!("fresh{i}"))?;
        check!(
            started.elapsed() < Duration::from_millis(500),
            "a fresh client took {:?} to join and chat while dribblers held connections",
            started.elapsed()
        );
        thread::sleep(Duration::from_millis(60));
    }
    for (what, attacker) in attackers {
        let cut = attacker
            .join()
            .map_err(|_| Fail::new("an attacker thread panicked"))??;
        check!(
            (Duration::from_millis(250)..Duration::from_millis(2000)).contains(&cut.after),
            "with --join-timeout 0.3, a connection that {what} must be closed about 0.3 s after it connected; it was closed after {:?}",
            cut.after
        );
        let told: Vec<Value> = cut
            .got
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        check!(
            told.last().is_some_and(|v| v["error"].is_string()),
            "a connection that {what} is told why before it is closed (its last line an {{\"error\": ...}}); it got {:?}",
            cut.got
        );
    }
    Ok(())
}

// ---------------------------------------------------------------- rung 20

/// `n` lines of `{"name": "flooder", "msg": "line i ..."}`, `pad` bytes more each.
fn flood_lines(n: usize, pad: usize) -> String {
    let padding = "p".repeat(pad);
    (0..n)
        .map(|i| {
            format!(
                "{}\n",
                json!({"name": "flooder", "msg": format!("line {i} {padding}")})
            )
        })
        .collect()
}

/// Reads lines until the flooder's line `last`, or the end; returns the
/// flooder's line numbers in the order they came, and every notice.
fn read_flood(mut reader: BufReader<TcpStream>, last: usize) -> (Vec<usize>, Vec<String>) {
    let (mut numbers, mut notices) = (Vec::new(), Vec::new());
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        // The line number, or the notice, is in its first 100 bytes.
        let text = String::from_utf8_lossy(&line[..line.len().min(100)]);
        if let Some(rest) = text.split("\"msg\":\"line ").nth(1) {
            let n: usize = rest
                .split(' ')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(usize::MAX);
            numbers.push(n);
            if n == last {
                break;
            }
        } else if text.contains("\"name\":\"server\"") {
            notices.push(text.trim().to_string());
        }
    }
    (numbers, notices)
}

/// A reader's thread: the flooder's line numbers it got, and the notices.
type Reader = thread::JoinHandle<(Vec<usize>, Vec<String>)>;

/// Starts `readers` clients that read flat out, each in its own thread.
fn readers(addr: &str, readers: usize, last: usize) -> Result<Vec<Reader>, Fail> {
    let mut started = Vec::new();
    for i in 0..readers {
        let peer = Peer::join(addr, &format!("reader{i}"))?;
        started.push(thread::spawn(move || read_flood(peer.reader, last)));
    }
    Ok(started)
}

/// Every reader got lines 0..n in order, and no notice that a reader was
/// cut off.
fn every_reader_kept_everything(
    readers: Vec<Reader>,
    n: usize,
    hint: &str,
) -> Result<Vec<String>, Fail> {
    let mut all_notices = Vec::new();
    for (i, reader) in readers.into_iter().enumerate() {
        let (numbers, notices) = reader.join().map_err(|_| "a reader panicked")?;
        let cut: Vec<_> = notices
            .iter()
            .filter(|n| n.contains("reader") && n.contains("disconnected"))
            .collect();
        check!(
            cut.is_empty(),
            "reader{i} read as fast as it could, yet readers were cut off: {cut:?}\n({hint})"
        );
        check!(
            numbers.len() == n && numbers.iter().enumerate().all(|(k, &got)| k == got),
            "reader{i} read as fast as it could but got {} of the flooder's {n} lines (first gap at {:?})\n({hint})",
            numbers.len(),
            numbers.iter().enumerate().find(|(k, got)| k != *got)
        );
        all_notices.extend(notices);
    }
    Ok(all_notices)
}

const FLOOD_HINT: &str = "a sender faster than the room is held back, not its readers cut off: after passing a message on, its thread waits (flood::hold_back) while some client that keeps up is more than half a queue behind";

/// hint: After the room passed a message on, `flood::hold_back` makes the
/// sender's thread wait while the room is behind: it reads its next line
/// later, and TCP slows the flooder down.
/// hint-zh: 聊天室把一条消息转发出去之后，只要聊天室还落后着，`flood::hold_back` 就让发送者的线程等
/// 着：它晚一点才读下一行，TCP 就让刷屏的人慢了下来。
#[test]
fn step20_a_flooding_sender_is_slowed_down_and_its_listeners_keep_everything() -> Check {
    const LINES: usize = 5_000;
    let server = start(&[])?;
    let addr = server.addr().to_string();
    let listeners = readers(&addr, 2, LINES - 1)?;
    let flooder = Peer::join(&addr, "flooder")?;
    let mut writer = flooder.stream.try_clone()?;
    let flood = flood_lines(LINES, 0);
    let sending = thread::spawn(move || writer.write_all(flood.as_bytes()));
    let echoes = thread::spawn(move || read_flood(flooder.reader, LINES - 1));
    every_reader_kept_everything(listeners, LINES, FLOOD_HINT)?;
    sending
        .join()
        .map_err(|_| "the flooder's writer panicked")??;
    let (own, _) = echoes.join().map_err(|_| "the flooder's reader panicked")?;
    check_eq!(
        own.len(),
        LINES,
        "the flooder reads its own echoes, all of them"
    );
    Ok(())
}

/// hint: With a queue of 16, "behind" is more than 8 lines: the flooder's
/// thread waits for the slowest reader that keeps up, so no queue of a
/// reader that reads ever fills.
/// hint-zh: 队列长 16 时，“落后”就是超过 8 行：刷屏者的线程要等跟得上的读者里最慢的那个，所以正常在
/// 读的读者，队列永远不会满。
#[test]
fn step20_with_a_small_queue_the_flooder_waits_and_no_reader_is_cut_off() -> Check {
    const LINES: usize = 1_000;
    let server = start(&["--queue", "16"])?;
    let addr = server.addr().to_string();
    let listeners = readers(&addr, 3, LINES - 1)?;
    let flooder = Peer::join(&addr, "flooder")?;
    let mut writer = flooder.stream.try_clone()?;
    let flood = flood_lines(LINES, 100);
    let sending = thread::spawn(move || writer.write_all(flood.as_bytes()));
    let echoes = thread::spawn(move || read_flood(flooder.reader, LINES - 1));
    every_reader_kept_everything(listeners, LINES, FLOOD_HINT)?;
    sending
        .join()
        .map_err(|_| "the flooder's writer panicked")??;
    let (own, _) = echoes.join().map_err(|_| "the flooder's reader panicked")?;
    check_eq!(own.len(), LINES, "the flooder got all its echoes");
    Ok(())
}

/// hint: `hold_back` waits while the sender itself is still in the room (`m.id == id` and its
/// connection not taken): alone in the room, a flooder that reads its echoes is held back by its
/// own queue, never cut off by it.
/// hint-zh: 只要发送者自己还在聊天室里（`m.id == id`，而且它的连接没被收走），`hold_back` 就要等：聊天
/// 室里只有它一个时，读着自己回显的刷屏者，是被它自己的队列拖慢，而不是被它断开。
#[test]
fn step20_a_flooder_alone_in_the_room_is_held_back_by_its_own_queue() -> Check {
    const LINES: usize = 300;
    let server = start(&["--queue", "16"])?;
    let addr = server.addr().to_string();
    let flooder = Peer::join(&addr, "flooder")?;
    let mut writer = flooder.stream.try_clone()?;
    let flood = flood_lines(LINES, 100);
    let sending = thread::spawn(move || writer.write_all(flood.as_bytes()));
    let (own, notices) = read_flood(flooder.reader, LINES - 1);
    let _ = sending.join();
    check!(
        own.len() == LINES && own.iter().enumerate().all(|(k, &got)| k == got),
        "a flooder alone in the room, reading its echoes as fast as it can, got {} of its {LINES} lines (notices: {notices:?}): hold_back must wait for its own queue too while it is in the room (m.id == id)",
        own.len()
    );
    Ok(())
}

/// hint: A flooder that reads nothing fills its own queue; once its writer
/// has been stuck longer than STALL it is not waited for
/// (`Flow::behind` is 0), so its queue overflows and the room cuts it off:
/// the flooder, never a reader.
/// hint-zh: 一个什么都不读的刷屏者会填满它自己的队列；一旦它的写线程卡住超过 STALL，就没人再等它了
/// （`Flow::behind` 为 0），于是它的队列溢出，聊天室把它断开：断开的是刷屏者，绝不是读者。
#[test]
fn step20_a_deaf_flooder_is_cut_off_itself_never_its_readers() -> Check {
    const LINES: usize = 1_500;
    let server = start(&["--queue", "16"])?;
    let addr = server.addr().to_string();
    let listeners = readers(&addr, 3, 999_999)?;
    let mut flooder = Peer::join(&addr, "flooder")?;
    let started = Instant::now();
    let flood = flood_lines(LINES, 8_000);
    let _ = flooder.stream.write_all(flood.as_bytes());
    check!(
        started.elapsed() < Duration::from_secs(4),
        "the deaf flooder was never cut off: it wrote for {:?}",
        started.elapsed()
    );
    // Someone says something after the flood: every reader must hear it.
    let mut after = Peer::join(&addr, "after")?;
    after.say("line 999999 after the flood")?;
    let mut last = Vec::new();
    for (i, reader) in listeners.into_iter().enumerate() {
        let (numbers, notices) = reader.join().map_err(|_| "a reader panicked")?;
        check!(
            numbers
                .windows(2)
                .all(|w| w[1] == w[0] + 1 || w[1] == 999_999)
                && numbers.first() == Some(&0),
            "reader{i} must get the flood in order with no gap until the flooder is cut off (a reader that keeps up never loses a line); it got {} lines, gaps at {:?}",
            numbers.len(),
            numbers.windows(2).find(|w| w[1] != w[0] + 1)
        );
        check!(
            notices
                .iter()
                .any(|n| n.contains("flooder") && n.contains("disconnected")),
            "the deaf flooder itself is cut off (its queue overflows): reader{i} should hear \"flooder was disconnected\"; it heard {notices:?}"
        );
        check!(
            !notices
                .iter()
                .any(|n| n.contains("reader") && n.contains("disconnected")),
            "readers that keep up are never cut off because of someone else's flood; reader{i} heard {notices:?}"
        );
        last.push(numbers.last().copied());
    }
    check!(
        last.iter().all(|&l| l == Some(999_999)),
        "every reader hears the room go on after the flood"
    );
    Ok(())
}

// ---------------------------------------------------------------- rung 21

/// hint: A client whose socket takes nothing: its writer blocks on one
/// batch; `write_lines` gives up after --write-timeout, and the writer has
/// the room cut the client off (the others hear it was disconnected).
/// hint-zh: 一个套接字什么都不收的客户端：它的写线程阻塞在一批数据上；过了
/// --write-timeout，`write_lines` 就放弃，写线程让聊天室把这个客户端断开（其他人会听到它被断开
/// 了）。
#[test]
fn step21_a_client_that_reads_nothing_is_cut_off_by_the_write_timeout_while_others_go_on() -> Check
{
    // A queue so long that only the write timeout can cut it off.
    let server = start(&["--write-timeout", "0.3", "--queue", "100000"])?;
    let addr = server.addr().to_string();
    let mut watcher = Peer::join(&addr, "watcher")?;
    let stalled = Peer::join(&addr, "stalled")?;
    let stalled_addr = stalled.stream.local_addr()?;
    let mut talker = Peer::join(&addr, "talker")?;
    watcher.next_from("talker")?;
    let watching = thread::spawn(move || -> Result<(usize, Option<Instant>), Fail> {
        let (mut heard, mut cut) = (0, None);
        loop {
            let got = watcher.next()?;
            if got["name"] == "talker" {
                heard += 1;
                if msg(&got).starts_with("done") {
                    return Ok((heard, cut));
                }
            } else if got["name"] == "server" && msg(&got).contains("stalled") {
                cut.get_or_insert_with(Instant::now);
            }
        }
    });
    let big = "t".repeat(60_000);
    let started = Instant::now();
    let mut sent = 0;
    let mut cut_after = None;
    while cut_after.is_none() && started.elapsed() < Duration::from_secs(4) {
        talker.say(&format!("{sent} {big}"))?;
        sent += 1;
        loop {
            let got = talker.next()?;
            if got["name"] == "talker" {
                break;
            }
            if got["name"] == "server" && msg(&got).contains("stalled") {
                cut_after = Some(started.elapsed());
            }
        }
    }
    let Some(cut_after) = cut_after else {
        return Err(Fail::new(
            "a client that read nothing for 4 s was never cut off with --write-timeout 0.3: time the writer's whole batch (write_timeout::write_lines), not each write(), and cut the client off when it fails with TimedOut",
        ));
    };
    check!(
        cut_after >= Duration::from_millis(250),
        "the stalled client was cut off after {cut_after:?}, before its write timeout of 0.3 s could have passed"
    );
    talker.say("done")?;
    let (heard, _) = watching
        .join()
        .map_err(|_| Fail::new("the watcher panicked"))??;
    check_eq!(
        heard,
        sent + 1,
        "the watcher hears every line of the talker ({sent} lines and done): the others go on"
    );
    server.line_containing(&stalled_addr.to_string())?;
    drop(stalled);
    Ok(())
}

// ---------------------------------------------------------------- rung 22

/// hint: A ghost is a name left in the room after its client reset: a
/// reader thread asleep for ever (in `hold_back`, say) never leaves.
/// `hold_back` must end when the client is gone or cut off, and a writer
/// that ended counts as stuck, so nobody waits for it.
/// hint-zh: 幽灵，就是客户端重置之后还留在聊天室里的名字：一个永远睡着的读线程（比如睡在
/// `hold_back` 里）永远不会离开。客户端走了或被断开时，`hold_back` 必须结束；已经结束的写线程算作卡
/// 住，这样谁都不会等它。
#[test]
fn step22_a_reset_storm_leaves_no_ghost_and_no_thread_behind() -> Check {
    // A small queue: clients are cut off, and senders held back, all at once.
    let server = start(&["--queue", "8"])?;
    let addr = server.addr().to_string();
    let pid = server.pid();
    if threads_and_fds(pid).is_none() {
        eprintln!("note: no /proc/{pid}: the storm check needs Linux; skipped");
        return Ok(());
    }
    // The server at rest, once a first client has come and gone.
    drop(Peer::join(&addr, "first")?);
    let mut before = None;
    eventually(Duration::from_secs(2), || {
        let now = threads_and_fds(pid);
        thread::sleep(Duration::from_millis(100));
        before = now.filter(|&n| threads_and_fds(pid) == Some(n));
        before.is_some()
    });
    let before = before.ok_or("the server's threads and descriptors did not settle")?;
    let mut stormed = 0;
    for wave in 0..2 {
        // Each joins (while the last wave's notices still fly, some may be
        // cut off as too slow), then all at once send five lines and reset.
        let joined: Vec<_> = (0..25)
            .filter_map(|i| Peer::join(&addr, &format!("storm{wave}x{i}")).ok())
            .collect();
        stormed += joined.len();
        let storm: Vec<_> = joined
            .into_iter()
            .map(|mut peer| {
                thread::spawn(move || -> Check {
                    for k in 0..5 {
                        peer.say(&format!("storm line {k}"))?;
                    }
                    // Its last echo waiting unread: closing sends a reset.
                    let stream = peer.stream.try_clone()?;
                    unread_then_reset(stream, "storm line 4", Duration::from_millis(500))
                })
            })
            .collect();
        for client in storm {
            // A client cut off as too slow may never see its echo.
            let _ = client.join().map_err(|_| "a storm client panicked")?;
        }
    }
    check!(
        stormed >= 25,
        "only {stormed} storm clients of 50 could join"
    );
    let (mut who, mut now) = (String::new(), None);
    let settled = eventually(Duration::from_secs(5), || {
        who = Peer::join(&addr, "observer")
            .and_then(|mut p| p.who())
            .unwrap_or_default();
        // The observer's own threads end a moment after it left.
        eventually(Duration::from_millis(300), || {
            now = threads_and_fds(pid);
            now == Some(before)
        }) && !who.contains("storm")
    });
    check!(
        settled,
        "after a reset storm, /who still listed {who:?}, and the server had {now:?} threads and descriptors, {before:?} before the storm: a ghost (a client's thread that never ended)"
    );
    Ok(())
}

// ---------------------------------------------------------------- rung 23

/// The server with its limit of open files lowered by the shell.
fn start_with_ulimit(files: u32, args: &[&str]) -> Result<Server, Fail> {
    let script = format!(r#"ulimit -n {files} && exec "$0" "$@""#);
    let mut all = vec!["-c", &script, SERVER, "127.0.0.1:0"];
    all.extend(args);
    Server::start("sh", &all)
}

/// Tries to join as `name`: `Ok(Some(peer))` joined, `Ok(None)` refused
/// with an error line and closed; an error when it hung or was dropped.
fn join_or_refused(addr: &str, name: &str) -> Result<Option<Peer>, Fail> {
    let mut peer = Peer::connect(addr, name)?;
    peer.say("hello")?;
    let got = peer.next()?;
    if let Some(error) = got["error"].as_str() {
        check!(
            error.contains("descriptor") || error.contains("full"),
            "a refused client is told why; {name} was told {error:?}"
        );
        peer.expect_closed("after a refusal")?;
        return Ok(None);
    }
    peer.next_from(name)?;
    Ok(Some(peer))
}

/// hint: When `accept()` fails with EMFILE, close the spare descriptor,
/// accept the waiting client with the one freed, tell it, close it, and
/// open the spare again (`descriptors::accept_failed`).
/// hint-zh: `accept()` 以 EMFILE 失败时，关掉备用的描述符，用空出来的这个 accept 正在等的客户端，告
/// 诉它，关掉它，再重新打开备用的描述符（`descriptors::accept_failed`）。
/// hint: The server must never end because `accept()` failed.
/// hint-zh: 服务端绝不能因为 `accept()` 失败就结束。
#[test]
fn step23_running_out_of_file_descriptors_is_survived() -> Check {
    let server = start_with_ulimit(24, &[])?;
    let addr = server.addr().to_string();
    let (mut joined, mut refused) = (Vec::new(), 0);
    for i in 0..40 {
        match join_or_refused(&addr, &format!("c{i}"))
            .map_err(|e| Fail(format!("client {i} with `ulimit -n 24`: {e}")))?
        {
            Some(peer) => joined.push(peer),
            None => refused += 1,
        }
        if refused == 3 {
            break;
        }
    }
    check!(
        refused == 3 && !joined.is_empty(),
        "with `ulimit -n 24` some clients join and then the server runs out of descriptors: {} joined, {refused} refused",
        joined.len()
    );
    drop(joined);
    let mut after = None;
    eventually(Duration::from_secs(3), || {
        after = join_or_refused(&addr, "after").ok().flatten();
        after.is_some()
    });
    check!(
        after.is_some(),
        "once the clients left, their descriptors are free: a new client must join again"
    );
    Ok(())
}

/// hint: Each client costs one descriptor (its socket in an `Arc`, never
/// `try_clone`d), and Ctrl-C's wake-up has its own spare
/// (`Stop::keep_in_reserve`): with none left, it still connects.
/// hint-zh: 每个客户端只占一个描述符（它的套接字放在 `Arc` 里，绝不 `try_clone`），Ctrl-C 的唤醒有
/// 它自己的备用描述符（`Stop::keep_in_reserve`）：描述符一个不剩时，它照样连得上。
#[test]
fn step23_ulimit_64_and_100_clients_get_refusals_and_ctrl_c_still_exits_0() -> Check {
    let server = start_with_ulimit(64, &[])?;
    let addr = server.addr().to_string();
    let (mut joined, mut refused) = (Vec::new(), 0);
    for i in 0..100 {
        match join_or_refused(&addr, &format!("c{i}")).map_err(|e| {
            Fail(format!(
                "client {i} of 100 with `ulimit -n 64` hung or was dropped: {e}"
            ))
        })? {
            Some(peer) => joined.push(peer),
            None => refused += 1,
        }
    }
    check!(
        joined.len() >= 45 && refused > 0,
        "with `ulimit -n 64`, one descriptor a client: some 50 of 100 join (two a client would halve that), the rest are refused; {} joined, {refused} refused",
        joined.len()
    );
    // Ctrl-C with every descriptor taken.
    let asked = server.ctrl_c()?;
    let done = server.expect_prompt_exit(asked, "served")?;
    check!(
        done.stdout
            .iter()
            .any(|l| l.contains("stopped by Ctrl-C") && l.contains("descriptors")),
        "the summary says what each bound did, the out-of-descriptors refusals too; the server printed {:?}",
        done.stdout.iter().rev().take(3).collect::<Vec<_>>()
    );
    drop(joined);
    Ok(())
}

// ---------------------------------------------------------------- rung 24

/// hint: `/who` lists the names that fit in who::WHO_BYTES, then "... and
/// N more": a 33-byte question must not buy an answer that grows with
/// the room.
/// hint-zh: `/who` 只列出 who::WHO_BYTES 放得下的名字，然后是 "... and N more"：一个 33 字节的问
/// 题，不能换来一个随聊天室变大而变大的回答。
#[test]
fn step24_who_is_bounded_when_many_long_names_are_online() -> Check {
    let server = start(&[])?;
    let addr = server.addr().to_string();
    let mut online = Vec::new();
    for i in 0..80 {
        online.push(Peer::join(&addr, &format!("{i:02}{}", "w".repeat(30)))?);
    }
    let answer = online[0].who()?;
    check!(
        answer.len() < 1200,
        "80 names of 32 characters: the /who answer must stay bounded (about 1 KB); it was {} bytes",
        answer.len()
    );
    let listed = answer.matches(&"w".repeat(30)).count();
    let more: usize = answer
        .rsplit_once(" and ")
        .and_then(|(_, m)| m.strip_suffix(" more"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    check_eq!(
        listed + more,
        80,
        "the names listed and \"... and N more\" count everyone; the answer was {answer:?}"
    );
    Ok(())
}

// ---------------------------------------------------------------- rung 25

/// hint: After refusing a line too long, close with FIN, not a reset: the
/// writer shuts down only its sending side, and `linger::drain` reads what
/// the client still sends before the socket is closed.
/// hint-zh: 拒绝一行太长的数据之后，要用 FIN 关闭，而不是重置：写线程只关闭发送方
/// 向，`linger::drain` 在关闭套接字之前，把客户端还在发的数据读掉。
#[test]
fn step25_a_line_over_64_kib_gets_its_error_line_even_when_much_more_follows() -> Check {
    let server = start(&[])?;
    let addr = server.addr().to_string();
    for i in 0..5 {
        let mut big = Peer::join(&addr, &format!("big{i}"))?;
        let mut writer = big.stream.try_clone()?;
        let sending = thread::spawn(move || {
            let mut line = b"{\"name\": \"big\", \"msg\": \"".to_vec();
            line.resize(64 * 1024 + 4 * 1024 * 1024, b'a');
            let _ = writer.write_all(&line);
        });
        let error = big.expect_error("64 KiB + 4 MiB with no newline").map_err(|e| {
            Fail(format!(
                "{e}\n(try {i}: the error line was lost: close with FIN after it, and read what the client still sends (linger) before closing)"
            ))
        })?;
        check!(
            error.contains("long"),
            "the error says the line was too long; it was {error:?}"
        );
        big.expect_closed("after a line over the limit")?;
        let _ = sending.join();
    }
    Ok(())
}

// ---------------------------------------------------------------- rung 26

/// A server whose stdout is a pipe this check controls, and its first line.
fn start_piped(
    args: &[&str],
) -> Result<(KillOnDrop, BufReader<std::process::ChildStdout>, String), Fail> {
    let mut child = KillOnDrop(
        Command::new(SERVER)
            .arg("127.0.0.1:0")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?,
    );
    let stdout = child.0.stdout.take().ok_or("no stdout pipe")?;
    let mut out = BufReader::new(stdout);
    let mut first = String::new();
    out.read_line(&mut first)?;
    let addr = first
        .trim()
        .strip_prefix("listening on ")
        .ok_or_else(|| Fail(format!("first line was {first:?}")))?
        .to_string();
    Ok((child, out, addr))
}

/// A child process killed when dropped, so a failing check leaves none behind.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// hint: Every log line goes through `log::line`: a bounded queue that one
/// thread prints. With nobody reading, that thread waits; the room must not.
/// hint-zh: 每一行日志都经过 `log::line`：一个有界队列，由一个线程负责打印。没人读输出时，等的是那
/// 个线程；聊天室不能等。
#[test]
fn step26_a_log_nobody_reads_never_stops_the_room() -> Check {
    const MESSAGES: usize = 3_000;
    let (mut child, out, addr) = start_piped(&[])?;
    // From here on nobody reads the server's output: its pipe fills.
    let mut alice = Peer::join(&addr, "alice")?;
    let mut bob = Peer::join(&addr, "bob")?;
    alice.next_from("bob")?;
    let mut writer = alice.stream.try_clone()?;
    let lines: String = (0..MESSAGES)
        .map(|i| {
            format!(
                "{}\n",
                json!({"name": "alice", "msg": format!("message {i} that the log repeats")})
            )
        })
        .collect();
    let sending = thread::spawn(move || writer.write_all(lines.as_bytes()));
    let echoes = thread::spawn(move || -> Result<(), Fail> {
        for _ in 0..MESSAGES {
            alice.next_from("alice")?;
        }
        Ok(())
    });
    for i in 0..MESSAGES {
        let got = bob.next_from("alice").map_err(|e| {
            Fail(format!(
                "bob got {i} of {MESSAGES} messages, then the room stopped: {e}\n(nobody reads the server's output: a println! that waits for the pipe holds up whoever logs; log through log::line, which drops lines rather than wait)"
            ))
        })?;
        check!(
            msg(&got).starts_with(&format!("message {i} ")),
            "bob hears alice in order"
        );
    }
    sending.join().map_err(|_| "the sender panicked")??;
    echoes.join().map_err(|_| "the echo reader panicked")??;
    Peer::join(&addr, "carol").map_err(|e| {
        Fail(format!(
            "a new client, after {MESSAGES} log lines nobody read: {e}"
        ))
    })?;
    // Now read the output: the lines it dropped are counted.
    let reading = thread::spawn(move || out.lines().map_while(Result::ok).collect::<Vec<_>>());
    thread::sleep(Duration::from_millis(100));
    let asked = Instant::now();
    Command::new("kill")
        .args(["-INT", &child.0.id().to_string()])
        .status()?;
    let until = Instant::now() + Duration::from_secs(2);
    let status = loop {
        if let Some(status) = child.0.try_wait()? {
            break status;
        }
        check!(
            Instant::now() < until,
            "after Ctrl-C the server did not exit"
        );
        thread::sleep(Duration::from_millis(5));
    };
    check!(
        status.success() && asked.elapsed() < Duration::from_secs(1),
        "Ctrl-C: exit 0 within 1 s, also after its log was not read for a while; {status:?} after {:?}",
        asked.elapsed()
    );
    let printed = reading.join().map_err(|_| "the output reader panicked")?;
    check!(
        printed.iter().any(|l| l.contains("dropped")),
        "the log says how many lines it dropped, once it flows again; it printed (last lines) {:?}",
        printed.iter().rev().take(5).collect::<Vec<_>>()
    );
    Ok(())
}

/// hint: A *closed* output is not an unread one: the logger's `println!`
/// fails, and kit's panic hook ends the program with one error line.
/// hint-zh: 输出被*关闭*和输出没人读不是一回事：日志线程的 `println!` 会失败，kit 的 panic 钩子用一
/// 行错误结束程序。
#[test]
fn step26_a_server_whose_output_is_closed_stops_with_one_error_line() -> Check {
    let (mut child, out, addr) = start_piped(&[])?;
    drop(out);
    // Each connection is logged: that write finds the pipe closed. (A
    // process forked at that moment may hold a copy of the pipe for a few
    // milliseconds: connect again until the server has stopped.)
    let started = Instant::now();
    let mut clients = Vec::new();
    let status = loop {
        if let Some(status) = child.0.try_wait()? {
            break status;
        }
        check!(
            started.elapsed() < harness::TIMEOUT,
            "with its output closed, the server went on for {:?} after clients connected; it should stop",
            harness::TIMEOUT
        );
        if let Ok(mut stream) = TcpStream::connect(&addr) {
            let _ = stream.write_all(b"{\"name\": \"x\", \"msg\": \"hi\"}\n");
            clients.push(stream);
        }
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
        "a server whose output is closed says so in one `error: ...` line; stderr was {stderr:?}"
    );
    Ok(())
}

// ---------------------------------------------------------------- rung 27

/// hint: On Ctrl-C the summary says what each bound did: clients refused
/// as the room was full, cut off, log lines dropped.
/// hint-zh: 按 Ctrl-C 时，总结会说明每个限制做了什么：因为聊天室满了而拒绝的客户端、被断开的客户
/// 端、丢掉的日志行。
#[test]
fn step27_ctrl_c_prints_what_each_bound_did() -> Check {
    let server = start(&["--max-clients", "1", "--join-timeout", "0.3"])?;
    let addr = server.addr().to_string();
    let mut alice = Peer::join(&addr, "alice")?;
    let mut bob = Peer::connect(&addr, "bob")?;
    bob.expect_error("a second client with --max-clients 1")?;
    alice.say("/quit")?;
    alice.expect_closed("after /quit")?;
    // A connection that says nothing, once alice's place is free.
    let until = Instant::now() + Duration::from_secs(3);
    loop {
        let mut quiet = Peer::connect(&addr, "quiet")?;
        let error = quiet.expect_error("a connection that says nothing")?;
        if !error.contains("full") {
            break;
        }
        check!(Instant::now() < until, "alice's place was never given back");
        thread::sleep(Duration::from_millis(20));
    }
    let asked = server.ctrl_c()?;
    let done = server.expect_prompt_exit(asked, "served")?;
    let summary = done.stdout.last().cloned().unwrap_or_default();
    check!(
        summary.contains("full") && summary.contains("join") && summary.contains("dropped"),
        "the summary after Ctrl-C says what each bound did (the room full, a join too late, log lines dropped); it was {summary:?}"
    );
    // The first number after each bound's name is how many it refused.
    let counted = |bound: &str| -> Option<u64> {
        let after = &summary[summary.find(bound)? + bound.len()..];
        let digits: String = after
            .chars()
            .skip_while(|c| !c.is_ascii_digit())
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    };
    check!(
        counted("full").is_some_and(|n| n >= 1) && counted("join").is_some_and(|n| n >= 1),
        "the summary counts the clients each bound refused: bob at least for the room full, the quiet connection for the join timeout (count(bound) adds 1 each time); it was {summary:?}"
    );
    Ok(())
}
