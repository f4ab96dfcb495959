//! Stage 7: the chat room bounded against every client: a flooder read more
//! slowly while the room reads on, a dribbling connection cut off.

use std::io::{Read, Write};
use std::thread;
use std::time::{Duration, Instant};

use harness::{Fail, check};

use super::Stage;
use crate::lang::Say;
use crate::show::Tour;

pub const STAGE: Stage = Stage {
    number: 7,
    package: "hardened-chat",
    title: Say {
        en: "the chat room bounded against every client",
        zh: "对每个客户端都设了限的聊天室",
    },
    binaries: &["hardened-chat-server", "hardened-chat-client"],
    run,
};

/// How many lines the tour's flooder writes at once.
const FLOOD: usize = 500;

fn run(t: &Tour) -> Result<(), Fail> {
    let args = ["127.0.0.1:0", "--queue", "16", "--join-timeout", "1"];
    let server = t.server("hardened-chat-server", &args)?;
    t.say(&Say {
        en: "Stage 6's room, with every resource one client can make it spend bounded, each bound a flag; small values here (--queue 16, --join-timeout 1) so that the tour is quick.",
        zh: "第 6 阶段的聊天室，一个客户端能让它花费的每样资源都设了上限，每个上限一个参数；这里取很小的值（--queue 16、--join-timeout 1），好让导览快一点。",
    });

    let mut alice = t.spawn(
        "alice",
        "hardened-chat-client",
        &[&server.addr, "--name", "alice"],
    )?;
    alice.expect("online: alice")?;

    t.line(format_args!(
        "[flooder] joins, then writes {FLOOD} lines at once: {{\"name\": \"flooder\", \"msg\": \"line 0\"}} ... \"line {}\"",
        FLOOD - 1
    ));
    let mut flooder = harness::connect(&server.addr)?;
    let lines: String = (0..FLOOD)
        .map(|i| format!("{{\"name\": \"flooder\", \"msg\": \"line {i}\"}}\n"))
        .collect();
    let writing = thread::spawn(move || flooder.write_all(lines.as_bytes()).map(|()| flooder));
    // alice's client prints every line; the tour reads them quietly.
    let mut got = Vec::new();
    while got.len() < FLOOD {
        let line = alice.proc.line()?;
        if let Some((_, n)) = line.split_once("flooder: line ") {
            got.push(n.parse::<usize>().unwrap_or(usize::MAX));
        }
    }
    let flooder = writing
        .join()
        .map_err(|_| Fail::new("the flooder's thread panicked"))??;
    check!(
        got.iter().enumerate().all(|(i, &n)| i == n),
        "alice should get the flood whole and in order"
    );
    t.line(format_args!(
        "[alice] got all {FLOOD} of the flooder's lines, in order, and was never cut off"
    ));
    server
        .proc
        .line_containing(&format!("line {}", FLOOD - 1))?;
    t.say(&Say {
        en: "The flooder sent faster than the room could pass its lines on. After each of its messages, its reader thread waited while some client's queue was over half full (flood::hold_back): its next lines stayed in the kernel's buffers, and TCP made the flooder wait. alice, who reads, never fell behind; in stage 6 she would have been cut off as too slow.",
        zh: "刷屏者发得比聊天室转发得还快。它每发一条消息，它的读线程就等着，直到没有哪个客户端的队列超过一半（flood::hold_back）：它后面的行留在内核的缓冲区里，TCP 让刷屏者自己等。alice 一直在读，从没落后；在第 6 阶段她会被当作读得太慢而断开。",
    });
    drop(flooder);

    t.line("[dribbler] connects and sends {\"name\": \"slo ... one byte every 200 ms, never a whole line");
    let mut dribbler = harness::connect(&server.addr)?;
    dribbler.set_read_timeout(Some(Duration::from_millis(200)))?;
    let started = Instant::now();
    let mut told = Vec::new();
    for byte in b"{\"name\": \"slowloris\", \"msg\": \"...".iter().cycle() {
        let _ = dribbler.write_all(&[*byte]);
        let mut buf = [0u8; 512];
        match dribbler.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => told.extend_from_slice(&buf[..n]),
            Err(_) if started.elapsed() > harness::TIMEOUT => {
                return Err(Fail::new("the dribbler was never cut off"));
            }
            Err(_) => {}
        }
    }
    t.line(format_args!(
        "[dribbler] got {} and then the end of the connection, {:.1} s after it connected",
        String::from_utf8_lossy(&told).trim(),
        started.elapsed().as_secs_f64()
    ));
    server.expect("no complete first line")?;
    t.say(&Say {
        en: "Each byte came well within any read timeout, yet the connection was closed 1 s after accept: the join timeout is one deadline from the accept, that every read before the first whole line must meet (join::Deadline). 1,024 such connections held stage 6's room for good.",
        zh: "每个字节都来得很及时，任何读超时都不会触发，可是连接在 accept 之后 1 秒就被关掉了：加入超时是从 accept 算起的一个期限，第一整行之前的每一次读都得赶在它之前（join::Deadline）。1024 个这样的连接能让第 6 阶段的聊天室永远满着。",
    });

    alice.proc.close_stdin();
    alice.finish()?;
    server.expect("closed the connection")?;
    server.stop("INT")?;
    t.say(&Say {
        en: "Ctrl-C: the room is told, and the summary says what each bound did.",
        zh: "Ctrl-C：聊天室收到通知，最后一行总结每个上限做了什么。",
    });
    Ok(())
}
