//! `loadgen chat`: C clients join a chat room, then K of them send M
//! messages each; every client records what it receives.
//!
//! It speaks the contract's chat protocol: one JSON object per line,
//! `{"name": ..., "msg": ...}` out, the same plus `"time"` back to everyone.
//! Each client's first message ("hello") binds its name; a client counts as
//! in the room once the server has sent that hello (or a notice naming it)
//! back to it, because from then on every broadcast reaches it. When all are
//! in, the senders start together.
//!
//! Every test message carries its sender, its number and the moment it was
//! sent (`lg K J NANOS`, nanoseconds since loadgen started: all clients are
//! threads of this one process, so they share the clock). A receiver then
//! knows the delivery latency of each message, and the list of what it got in
//! which order. The report says how many of the expected deliveries happened
//! and whether every client saw the messages in one and the same order.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::report::{Latencies, Report, kind_name, round3};
use crate::run::{Gate, Progress, Turns, is_timeout, left, resolve, spawn};

/// What to run.
#[derive(Debug, Clone)]
pub struct Chat {
    pub addr: String,
    pub clients: usize,
    pub senders: usize,
    pub messages: u64,
    /// Messages per second offered by all senders together; `None`: as fast
    /// as the writes go.
    pub rate: Option<f64>,
    pub secs: Duration,
    pub progress: bool,
}

/// How long joining may take before the messages start.
const JOIN_TIMEOUT: Duration = Duration::from_secs(10);

/// How many clients connect and say hello at the same time. This case
/// measures the room, not the accept loop (`hold` does that): 200
/// simultaneous connects would overflow a listen backlog of 5 (Python's
/// socketserver default), and the turned-away SYNs come back only after 1,
/// 3, 7 s. Four at a time never fills it.
const JOINING_AT_ONCE: usize = 4;

/// The contract's line limit: a longer line is not read as one.
const LINE_LIMIT: u64 = 64 * 1024;

/// One line from the server: a message, a notice (name "server") or an error.
#[derive(Deserialize)]
struct Line {
    name: Option<String>,
    msg: Option<String>,
    error: Option<String>,
}

/// What one client saw.
#[derive(Default)]
struct Outcome {
    joined: bool,
    /// Test messages in the order they arrived, as `sender * M + number`.
    order: Vec<u32>,
    latencies: Latencies,
    /// Messages this client's writer sent (senders only).
    sent: u64,
    errors: Vec<String>,
}

/// A client's name: fixed width, so no name is part of another and a notice
/// that mentions one can be told apart.
fn name(i: usize) -> String {
    format!("lg{i:05}")
}

pub fn run(cfg: &Chat) -> io::Result<Report> {
    let server = resolve(&cfg.addr)?;
    if cfg.clients == 0 || cfg.senders > cfg.clients {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "need at least one client, and no more senders than clients",
        ));
    }
    let launched = Instant::now();
    let join_until = launched + JOIN_TIMEOUT;
    let gate = Gate::new();
    let joining = Arc::new(Turns::new(JOINING_AT_ONCE));
    let delivered = Arc::new(AtomicU64::new(0));
    let mut threads = Vec::with_capacity(cfg.clients);
    for i in 0..cfg.clients {
        let (gate, delivered, cfg) = (gate.clone(), delivered.clone(), cfg.clone());
        let joining = joining.clone();
        threads.push(spawn(format!("chat {i}"), move || {
            client(
                i, server, &cfg, &gate, &joining, &delivered, launched, join_until,
            )
        })?);
    }
    gate.wait_arrivals(cfg.clients, join_until);
    let started = gate.open();
    let deadline = started + cfg.secs;
    let progress = Progress::start(cfg.progress, "chat".into(), delivered, "messages delivered");

    let mut report = Report::new("chat", "messages delivered");
    let mut latencies = Latencies::default();
    let mut orders = Vec::new();
    let mut sent = 0;
    for t in threads {
        let o = t.join().unwrap_or_else(|_| Outcome {
            errors: vec!["loadgen thread panicked".into()],
            ..Outcome::default()
        });
        sent += o.sent;
        for e in o.errors {
            report.error(e);
        }
        if o.joined {
            report.ok += o.order.len() as u64;
            latencies.extend(o.latencies);
            orders.push(o.order);
        }
    }
    let ended = Instant::now().min(deadline);
    drop(progress);
    let joined = orders.len() as u64;
    report.expected = joined * sent;
    report.lost = report.expected.saturating_sub(report.ok);
    report.timed(ended.saturating_duration_since(started), &mut latencies);
    let out_of_order = out_of_order(&orders, cfg.senders as u64 * cfg.messages);
    report.set("clients", cfg.clients as u64);
    report.set("joined", joined);
    report.set("senders", cfg.senders as u64);
    report.set("sent", sent);
    report.set(
        "offered_per_s",
        cfg.rate
            .map_or(serde_json::Value::from("unpaced"), |r| r.into()),
    );
    report.set(
        "join_secs",
        round3(started.duration_since(launched).as_secs_f64()),
    );
    report.set("clients_out_of_order", out_of_order);
    report.set("same_order", out_of_order == 0 && report.lost == 0);
    Ok(report)
}

/// How many clients saw messages in an order that disagrees with the most
/// complete client's: a message missing from it, a duplicate, or two
/// messages swapped. A client that merely missed some messages still agrees.
fn out_of_order(orders: &[Vec<u32>], ids: u64) -> u64 {
    let Some(reference) = orders.iter().max_by_key(|o| o.len()) else {
        return 0;
    };
    let mut position = vec![u32::MAX; usize::try_from(ids).unwrap_or(0)];
    for (at, &id) in reference.iter().enumerate() {
        if let Some(p) = position.get_mut(id as usize) {
            *p = at as u32;
        }
    }
    let agrees = |order: &Vec<u32>| {
        let mut last = None;
        order.iter().all(|&id| {
            let p = position.get(id as usize).copied().unwrap_or(u32::MAX);
            let ok = p != u32::MAX && last.is_none_or(|l| p > l);
            last = Some(p);
            ok
        })
    };
    orders.iter().filter(|o| !agrees(o)).count() as u64
}

#[allow(clippy::too_many_arguments)]
fn client(
    i: usize,
    server: SocketAddr,
    cfg: &Chat,
    gate: &Gate,
    joining: &Turns,
    delivered: &AtomicU64,
    launched: Instant,
    join_until: Instant,
) -> Outcome {
    let mut out = Outcome::default();
    let me = name(i);
    let joined = {
        let _turn = joining.acquire(join_until);
        join(&me, server, join_until)
    };
    gate.arrive();
    let (mut reader, stream) = match joined {
        Ok(pair) => pair,
        Err(e) => {
            out.errors.push(format!("join: {e}"));
            return out;
        }
    };
    out.joined = true;
    let Some(started) = gate.wait_open(join_until + Duration::from_secs(1)) else {
        return out;
    };
    let deadline = started + cfg.secs;
    let writer = match (i < cfg.senders, stream.try_clone()) {
        (false, _) => None,
        (true, Ok(w)) => {
            let cfg = cfg.clone();
            let me = me.clone();
            // A sender also reads (the room sends it everything too), so
            // writing happens on a thread of its own: a client that only
            // wrote would stop reading, and a server may drop a client whose
            // queue overflows.
            Some(thread::spawn(move || {
                send_all(w, &me, i, &cfg, launched, started, deadline)
            }))
        }
        (true, Err(e)) => {
            out.errors.push(kind_name(&e));
            None
        }
    };
    let expected = cfg.senders as u64 * cfg.messages;
    let mut line = String::new();
    if let Err(e) = stream.set_read_timeout(Some(left(deadline))) {
        out.errors.push(kind_name(&e));
    }
    while (out.order.len() as u64) < expected {
        line.clear();
        match (&mut reader).take(LINE_LIMIT).read_line(&mut line) {
            Ok(0) => {
                out.errors.push("closed by the server".into());
                break;
            }
            Ok(_) => {}
            Err(e) if is_timeout(&e) => break,
            Err(e) => {
                out.errors.push(kind_name(&e));
                break;
            }
        }
        match parse(&line, cfg.messages) {
            Some(Got::Message { id, sent_ns }) => {
                let now = u64::try_from(launched.elapsed().as_nanos()).unwrap_or(u64::MAX);
                out.latencies.push_ns(now.saturating_sub(sent_ns));
                out.order.push(id);
                delivered.fetch_add(1, Ordering::Relaxed);
            }
            Some(Got::Error(e)) => out.errors.push(format!("server said: {e}")),
            None => {}
        }
    }
    if let Some(w) = writer {
        match w.join() {
            Ok((sent, None)) => out.sent = sent,
            Ok((sent, Some(e))) => {
                out.sent = sent;
                out.errors.push(format!("send: {e}"));
            }
            Err(_) => out.errors.push("loadgen writer panicked".into()),
        }
    }
    out
}

/// Connects, says hello, and reads until the room shows this client is in.
fn join(
    me: &str,
    server: SocketAddr,
    until: Instant,
) -> Result<(BufReader<TcpStream>, TcpStream), String> {
    let io = |e: io::Error| kind_name(&e);
    let mut stream = TcpStream::connect_timeout(&server, left(until)).map_err(io)?;
    stream.set_nodelay(true).map_err(io)?;
    stream.set_read_timeout(Some(left(until))).map_err(io)?;
    stream.set_write_timeout(Some(left(until))).map_err(io)?;
    stream
        .write_all(format!("{{\"name\":\"{me}\",\"msg\":\"hello\"}}\n").as_bytes())
        .map_err(io)?;
    let mut reader = BufReader::new(stream.try_clone().map_err(io)?);
    let mut line = String::new();
    loop {
        line.clear();
        match (&mut reader).take(LINE_LIMIT).read_line(&mut line) {
            Ok(0) => return Err("closed by the server before the hello came back".into()),
            Ok(_) => {}
            Err(e) if is_timeout(&e) => return Err("the hello never came back".into()),
            Err(e) => return Err(io(e)),
        }
        let Ok(got) = serde_json::from_str::<Line>(&line) else {
            continue;
        };
        if let Some(e) = got.error {
            return Err(format!("server said: {e}"));
        }
        let (Some(name), Some(msg)) = (got.name, got.msg) else {
            continue;
        };
        let echoed = name == me && msg == "hello";
        let announced = name == "server" && msg.contains(me);
        if echoed || announced {
            return Ok((reader, stream));
        }
    }
}

enum Got {
    Message { id: u32, sent_ns: u64 },
    Error(String),
}

/// A test message (`lg K J NANOS`) or an error; `None` for anything else
/// (hellos, notices).
fn parse(line: &str, messages: u64) -> Option<Got> {
    let got: Line = serde_json::from_str(line).ok()?;
    if let Some(e) = got.error {
        return Some(Got::Error(e));
    }
    let msg = got.msg?;
    let mut words = msg.strip_prefix("lg ")?.split(' ');
    let k: u64 = words.next()?.parse().ok()?;
    let j: u64 = words.next()?.parse().ok()?;
    let sent_ns = words.next()?.parse().ok()?;
    let id = u32::try_from(k * messages + j).ok()?;
    Some(Got::Message { id, sent_ns })
}

/// A sender's writer: M messages, paced to its share of `--rate` if given.
/// Returns how many were sent, and the error that stopped it early.
fn send_all(
    mut w: TcpStream,
    me: &str,
    k: usize,
    cfg: &Chat,
    launched: Instant,
    started: Instant,
    deadline: Instant,
) -> (u64, Option<String>) {
    if let Err(e) = w.set_write_timeout(Some(left(deadline))) {
        return (0, Some(kind_name(&e)));
    }
    // Sender k's message j is due at (j * K + k) / rate seconds: the K
    // senders take turns, so together they offer `rate` messages a second.
    let interval = cfg
        .rate
        .map(|r| Duration::from_secs_f64(1.0 / r.max(0.001)));
    for j in 0..cfg.messages {
        if let Some(interval) = interval {
            let due = started + interval.mul_f64((j * cfg.senders as u64 + k as u64) as f64);
            if due >= deadline {
                return (j, Some("deadline before every message was sent".into()));
            }
            let now = Instant::now();
            if due > now {
                thread::sleep(due - now);
            }
        } else if Instant::now() >= deadline {
            return (j, Some("deadline before every message was sent".into()));
        }
        let sent_ns = launched.elapsed().as_nanos();
        let line = format!("{{\"name\":\"{me}\",\"msg\":\"lg {k} {j} {sent_ns}\"}}\n");
        if let Err(e) = w.write_all(line.as_bytes()) {
            return (j, Some(kind_name(&e)));
        }
    }
    (cfg.messages, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_agreement() {
        let full = vec![0, 1, 2, 3];
        assert_eq!(out_of_order(&[full.clone(), full.clone()], 4), 0);
        assert_eq!(out_of_order(&[full.clone(), vec![0, 2, 3]], 4), 0);
        assert_eq!(out_of_order(&[full.clone(), vec![0, 2, 1, 3]], 4), 1);
        assert_eq!(out_of_order(&[full, vec![0, 0, 1]], 4), 1);
    }

    #[test]
    fn parses_test_messages_and_skips_the_rest() {
        let m = parse(r#"{"name":"lg00001","msg":"lg 1 2 345","time":"x"}"#, 10);
        assert!(matches!(
            m,
            Some(Got::Message {
                id: 12,
                sent_ns: 345
            })
        ));
        assert!(parse(r#"{"name":"server","msg":"lg00001 joined"}"#, 10).is_none());
        assert!(matches!(
            parse(r#"{"error":"bad"}"#, 10),
            Some(Got::Error(_))
        ));
        assert!(parse("not json", 10).is_none());
    }
}
