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
//!
//! Timing: joining may take up to [`JOIN_TIMEOUT`]; then the senders send
//! for at most `--secs`, and the receivers keep reading until everything
//! sent has arrived (or [`DRAIN`] more seconds pass). Messages per second is
//! deliveries divided by the time from the start to the last delivery.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::report::{Latencies, Report, kind_name, round3};
use crate::run::{Bounded, Gate, Progress, Turns, is_timeout, left, resolve, spawn, ticking};

/// What to run.
#[derive(Debug, Clone)]
pub struct Chat {
    pub addr: String,
    pub clients: usize,
    pub senders: usize,
    pub messages: u64,
    /// Messages per second offered by all senders together (open loop: on
    /// schedule, whatever the room does).
    pub rate: Option<f64>,
    /// Without a rate: how many of its own messages a sender may have in
    /// flight (sent, not yet back to itself); `None`: no limit, a flood.
    pub window: Option<u64>,
    /// Bytes of padding added to each test message (0: none), to fill a
    /// slow reader's buffers sooner (`loadgen stall`).
    pub pad: usize,
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

/// How long receivers wait, after the senders stopped, for messages still
/// on their way. Only a run that lost messages waits this long.
pub const DRAIN: Duration = Duration::from_secs(5);

/// The contract's line limit: a longer line is not read as one.
pub(crate) const LINE_LIMIT: u64 = 64 * 1024;

/// One line from the server: a message, a notice (name "server") or an error.
#[derive(Deserialize)]
pub struct Line {
    pub name: Option<String>,
    pub msg: Option<String>,
    pub error: Option<String>,
}

/// What one client saw.
#[derive(Default)]
struct Outcome {
    joined: bool,
    /// Test messages in the order they arrived, as `sender * M + number`.
    order: Vec<u64>,
    latencies: Latencies,
    /// When the last of them arrived.
    last: Option<Instant>,
    errors: Vec<String>,
}

/// What all clients of a run share.
struct Room {
    cfg: Chat,
    server: SocketAddr,
    launched: Instant,
    join_until: Instant,
    gate: Gate,
    joining: Turns,
    delivered: AtomicU64,
    /// Messages sent so far, by all senders.
    sent: AtomicU64,
    /// Senders that joined and have not finished sending.
    writers_left: AtomicUsize,
    /// Set when the last sender finished: receivers may stop once they have
    /// everything that was sent.
    all_sent: Arc<AtomicBool>,
}

impl Room {
    fn writer_done(&self) {
        if self.writers_left.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.all_sent.store(true, Ordering::SeqCst);
        }
    }
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
    let room = Arc::new(Room {
        cfg: cfg.clone(),
        server,
        launched,
        join_until: launched + JOIN_TIMEOUT,
        gate: Gate::default(),
        joining: Turns::new(JOINING_AT_ONCE),
        delivered: AtomicU64::new(0),
        sent: AtomicU64::new(0),
        writers_left: AtomicUsize::new(0),
        all_sent: Arc::new(AtomicBool::new(false)),
    });
    let mut threads = Vec::with_capacity(cfg.clients);
    for i in 0..cfg.clients {
        let room = room.clone();
        threads.push(spawn(format!("chat {i}"), move || client(i, &room))?);
    }
    room.gate.wait_arrivals(cfg.clients, room.join_until);
    let started = room.gate.open();
    if room.writers_left.load(Ordering::SeqCst) == 0 {
        room.all_sent.store(true, Ordering::SeqCst);
    }
    let count = Arc::new(AtomicU64::new(0));
    let progress = Progress::start(
        cfg.progress,
        "chat".into(),
        count.clone(),
        "messages delivered",
    );
    let ticker = {
        // Progress reads its own counter; copy the room's into it.
        let (room, count) = (room.clone(), count.clone());
        thread::spawn(move || {
            while !room.all_sent.load(Ordering::Relaxed) {
                count.store(room.delivered.load(Ordering::Relaxed), Ordering::Relaxed);
                thread::sleep(Duration::from_millis(100));
            }
        })
    };

    let mut report = Report::new("chat", "messages delivered");
    let mut latencies = Latencies::default();
    let mut orders = Vec::new();
    let mut last = started;
    for t in threads {
        let o = t.join().unwrap_or_else(|_| Outcome {
            errors: vec!["loadgen thread panicked".into()],
            ..Outcome::default()
        });
        for e in o.errors {
            report.error(e);
        }
        if o.joined {
            report.ok += o.order.len() as u64;
            latencies.extend(o.latencies);
            orders.push(o.order);
            last = last.max(o.last.unwrap_or(started));
        }
    }
    room.all_sent.store(true, Ordering::SeqCst);
    let _ = ticker.join();
    drop(progress);
    let sent = room.sent.load(Ordering::SeqCst);
    let joined = orders.len() as u64;
    report.expected = joined * sent;
    report.lost = report.expected.saturating_sub(report.ok);
    report.timed(last.duration_since(started), &mut latencies);
    let out_of_order = out_of_order(&orders);
    report.set("clients", cfg.clients as u64);
    report.set("joined", joined);
    report.set("senders", cfg.senders as u64);
    report.set("sent", sent);
    match (cfg.rate, cfg.window) {
        (Some(rate), _) => report.set("offered_per_s", rate),
        (None, Some(w)) => report.set("window", w),
        (None, None) => report.set("window", "none"),
    }
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
fn out_of_order(orders: &[Vec<u64>]) -> u64 {
    let Some(reference) = orders.iter().max_by_key(|o| o.len()) else {
        return 0;
    };
    let position: HashMap<u64, usize> = reference
        .iter()
        .enumerate()
        .map(|(at, &id)| (id, at))
        .collect();
    let agrees = |order: &Vec<u64>| {
        let mut last = None;
        order.iter().all(|id| {
            let Some(&p) = position.get(id) else {
                return false;
            };
            let ok = last.is_none_or(|l| p > l);
            last = Some(p);
            ok
        })
    };
    orders.iter().filter(|o| !agrees(o)).count() as u64
}

/// A client's own messages that came back to it, so its writer can keep at
/// most `--window` of them in flight.
#[derive(Default)]
struct Echoes {
    got: Mutex<u64>,
    changed: Condvar,
}

impl Echoes {
    fn one_more(&self) {
        *self.got.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        self.changed.notify_one();
    }

    /// Waits until fewer than `window` of the first `sent` are missing;
    /// false if the deadline came first.
    fn wait_below(&self, sent: u64, window: u64, deadline: Instant) -> bool {
        let mut got = self.got.lock().unwrap_or_else(PoisonError::into_inner);
        while sent.saturating_sub(*got) >= window {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            got = self
                .changed
                .wait_timeout(got, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }
}

fn client(i: usize, room: &Room) -> Outcome {
    let cfg = &room.cfg;
    let mut out = Outcome::default();
    let me = name(i);
    let joined = {
        let _turn = room.joining.acquire(room.join_until);
        join(&me, room.server, room.join_until)
    };
    let sender = i < cfg.senders && joined.is_ok();
    if sender {
        room.writers_left.fetch_add(1, Ordering::SeqCst);
    }
    room.gate.arrive();
    let (mut reader, stream) = match joined {
        Ok(pair) => pair,
        Err(e) => {
            out.errors.push(format!("join: {e}"));
            return out;
        }
    };
    out.joined = true;
    let Some(started) = room
        .gate
        .wait_open(room.join_until + Duration::from_secs(1))
    else {
        if sender {
            room.writer_done();
        }
        return out;
    };
    let deadline = started + cfg.secs;
    let echoes = Echoes::default();
    thread::scope(|scope| {
        // A sender also reads (the room sends it everything too), so
        // writing happens on a thread of its own: a client that only wrote
        // would stop reading, and a server may drop a client whose queue
        // overflows.
        let writer = sender.then(|| {
            let (me, echoes, stream) = (&me, &echoes, &stream);
            scope.spawn(move || {
                let sent = send_all(Bounded::new(stream, deadline), me, i, room, echoes, started);
                room.writer_done();
                sent
            })
        });
        receive(i, room, &mut reader, &echoes, deadline + DRAIN, &mut out);
        match writer.map(|w| w.join()) {
            Some(Ok(Err(e))) => out.errors.push(format!("send: {}", kind_name(&e))),
            Some(Err(_)) => out.errors.push("loadgen writer panicked".into()),
            _ => {}
        }
    });
    out
}

/// Reads until everything sent has arrived, or the connection ends, or
/// `until`.
fn receive(
    i: usize,
    room: &Room,
    reader: &mut Reader,
    echoes: &Echoes,
    until: Instant,
    out: &mut Outcome,
) {
    let cfg = &room.cfg;
    reader.get_mut().deadline = until;
    reader.get_mut().alarm = Some(room.all_sent.clone());
    let mut line = String::new();
    loop {
        let done = room.all_sent.load(Ordering::SeqCst)
            && out.order.len() as u64 >= room.sent.load(Ordering::SeqCst);
        if done {
            return;
        }
        // A read that times out keeps what it got of a line in `line`.
        match reader.take(LINE_LIMIT).read_line(&mut line) {
            Ok(0) => {
                out.errors.push("closed by the server".into());
                return;
            }
            Ok(_) => {}
            Err(e) if is_timeout(&e) && Instant::now() < until => continue,
            Err(e) if is_timeout(&e) => return,
            Err(e) => {
                out.errors.push(kind_name(&e));
                return;
            }
        }
        match parse(&line, cfg.messages) {
            Some(Got::Message { id, sent_ns }) => {
                let now = room.launched.elapsed();
                let now_ns = u64::try_from(now.as_nanos()).unwrap_or(u64::MAX);
                out.latencies.push_ns(now_ns.saturating_sub(sent_ns));
                out.order.push(id);
                out.last = Some(room.launched + now);
                room.delivered.fetch_add(1, Ordering::Relaxed);
                if id / cfg.messages == i as u64 {
                    echoes.one_more();
                }
            }
            Some(Got::Error(e)) => out.errors.push(format!("server said: {e}")),
            None => {}
        }
        line.clear();
    }
}

/// The reading half of a client: buffered, and bounded by a deadline.
type Reader = BufReader<Bounded<TcpStream>>;

/// Connects, says hello, and reads until the room shows this client is in.
fn join(me: &str, server: SocketAddr, until: Instant) -> Result<(Reader, TcpStream), String> {
    let io = |e: io::Error| kind_name(&e);
    let stream = TcpStream::connect_timeout(&server, left(until)).map_err(io)?;
    stream.set_nodelay(true).map_err(io)?;
    ticking(&stream).map_err(io)?;
    Bounded::new(&stream, until)
        .write_all(format!("{{\"name\":\"{me}\",\"msg\":\"hello\"}}\n").as_bytes())
        .map_err(io)?;
    let mut reader = BufReader::new(Bounded::new(stream.try_clone().map_err(io)?, until));
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

pub(crate) enum Got {
    Message { id: u64, sent_ns: u64 },
    Error(String),
}

/// A test message (`lg K J NANOS`) or an error; `None` for anything else
/// (hellos, notices).
pub(crate) fn parse(line: &str, messages: u64) -> Option<Got> {
    let got: Line = serde_json::from_str(line).ok()?;
    if let Some(e) = got.error {
        return Some(Got::Error(e));
    }
    parse_msg(&got.msg?, messages)
}

/// The test message in a message's text (`lg K J NANOS`), if it is one.
pub(crate) fn parse_msg(msg: &str, messages: u64) -> Option<Got> {
    let mut words = msg.strip_prefix("lg ")?.split(' ');
    let k: u64 = words.next()?.parse().ok()?;
    let j: u64 = words.next()?.parse().ok()?;
    let sent_ns = words.next()?.parse().ok()?;
    let id = k.checked_mul(messages)?.checked_add(j)?;
    Some(Got::Message { id, sent_ns })
}

/// A sender's writer: M messages, paced to its share of `--rate` if given,
/// else as fast as the room takes them with at most `--window` in flight.
/// Stops early at the deadline.
fn send_all(
    mut w: Bounded<&TcpStream>,
    me: &str,
    k: usize,
    room: &Room,
    echoes: &Echoes,
    started: Instant,
) -> io::Result<()> {
    let cfg = &room.cfg;
    let deadline = w.deadline;
    // Sender k's message j is due at (j * K + k) / rate seconds: the K
    // senders take turns, so together they offer `rate` messages a second.
    let interval = cfg.rate.map(|r| Duration::from_secs_f64(1.0 / r));
    let pad = match cfg.pad {
        0 => String::new(),
        n => format!(" {}", "x".repeat(n)),
    };
    for j in 0..cfg.messages {
        if let Some(interval) = interval {
            let due = started + interval.mul_f64((j * cfg.senders as u64 + k as u64) as f64);
            if due >= deadline {
                return Ok(());
            }
            let now = Instant::now();
            if due > now {
                thread::sleep(due - now);
            }
        } else if let Some(window) = cfg.window {
            if !echoes.wait_below(j, window, deadline) {
                return Ok(());
            }
        } else if Instant::now() >= deadline {
            return Ok(());
        }
        let sent_ns = room.launched.elapsed().as_nanos();
        let line = format!("{{\"name\":\"{me}\",\"msg\":\"lg {k} {j} {sent_ns}{pad}\"}}\n");
        w.write_all(line.as_bytes())?;
        room.sent.fetch_add(1, Ordering::SeqCst);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_agreement() {
        let full = vec![0, 1, 2, 3];
        assert_eq!(out_of_order(&[full.clone(), full.clone()]), 0);
        assert_eq!(out_of_order(&[full.clone(), vec![0, 2, 3]]), 0);
        assert_eq!(out_of_order(&[full.clone(), vec![0, 2, 1, 3]]), 1);
        assert_eq!(out_of_order(&[full, vec![0, 0, 1]]), 1);
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
