//! `loadgen hold`: C connections open at the same time, then one round trip
//! on each while all of them are still open.
//!
//! This measures how many clients a server can have at once, not how fast it
//! echoes. A few connector threads (`--parallel`) open the connections, so
//! the client side needs no thread per connection; every connection stays
//! open until every round trip is done (and `--hold-secs` more, to look at
//! the server with `ss` or `/proc` meanwhile).
//!
//! `--chat`: the server is a chat room. Each connection joins under a name
//! of its own with `/who` as its first message (which binds the name), and
//! its round trip is the answer, `online: ...`. All connections ask first,
//! then the answers are read in turn, so one server that never answers
//! costs the run its deadline once, not once per connection. Each is then
//! counted as joined, refused (the server sent `{"error": ...}`: the room
//! is full, or out of descriptors), closed without an answer, or hung (no
//! answer by the deadline). While they are held, they read what the room
//! sends them (everyone's join notices), as idle chat clients do; the
//! report says how many the server closed meanwhile.
//!
//! The connect times are the interesting latency here. When connects arrive
//! faster than the server accepts them, its listen backlog fills up, and
//! Linux drops the SYNs that find it full; the client's kernel sends the SYN
//! again after 1 s, then 3 s, 7 s (doubling). A connect that took just over
//! 1 s is such a retry.

use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::attack::{Failure, who_names};
use crate::chat::{LINE_LIMIT, Line};
use crate::report::{Latencies, Report, kind_name, round3};
use crate::run::{Gate, Progress, is_timeout, left, resolve, spawn};

/// What to run.
#[derive(Debug, Clone)]
pub struct Hold {
    pub addr: String,
    pub conns: usize,
    /// Connector threads.
    pub parallel: usize,
    pub secs: Duration,
    /// How long to keep every connection open after the round trips.
    pub hold: Duration,
    /// Join a chat room and ask `/who`, instead of an echo round trip.
    pub chat: bool,
    pub progress: bool,
}

/// What each held connection sends and expects back.
const PING: &[u8] = b"ping\n";

#[derive(Default)]
struct Outcome {
    connected: u64,
    answered: u64,
    /// Chat: answered `{"error": ...}`, closed without an answer, no answer.
    refused: u64,
    closed: u64,
    hung: u64,
    /// Chat: joined, then closed by the server while held.
    dropped: u64,
    connect: Latencies,
    round_trip: Latencies,
    errors: Vec<String>,
}

pub fn run(cfg: &Hold) -> io::Result<Report> {
    let server = resolve(&cfg.addr)?;
    let launched = Instant::now();
    let deadline = launched + cfg.secs;
    let next = Arc::new(AtomicUsize::new(0));
    let connected = Arc::new(AtomicU64::new(0));
    let (all_open, all_answered) = (Gate::new(), Gate::new());
    let parallel = cfg.parallel.clamp(1, cfg.conns.max(1));
    let progress = Progress::start(
        cfg.progress,
        "hold".into(),
        connected.clone(),
        "connections open",
    );
    let mut threads = Vec::with_capacity(parallel);
    for i in 0..parallel {
        let (next, connected) = (next.clone(), connected.clone());
        let (all_open, all_answered) = (all_open.clone(), all_answered.clone());
        let (conns, chat) = (cfg.conns, cfg.chat);
        threads.push(spawn(format!("connector {i}"), move || {
            let mut streams = Vec::new();
            let mut out = connect_all(server, conns, &next, &connected, deadline, &mut streams);
            all_open.arrive();
            if all_open.wait_open(deadline).is_some() {
                match chat {
                    false => ping_all(&mut streams, deadline, &mut out),
                    true => join_all(&mut streams, deadline, &mut out),
                }
            }
            all_answered.arrive();
            match chat {
                false => {
                    all_answered.wait_open(deadline);
                }
                true => keep_reading(&mut streams, &all_answered, deadline, &mut out),
            }
            out
        })?);
    }
    // Phase 1: every connection open (or failed). Phase 2: a round trip on
    // each. Phase 3: keep them all open a while longer, then close.
    all_open.wait_arrivals(parallel, deadline);
    let opened = all_open.open();
    all_answered.wait_arrivals(parallel, deadline);
    let answered_at = Instant::now();
    drop(progress);
    if !cfg.hold.is_zero() && answered_at < deadline {
        std::thread::sleep(cfg.hold.min(deadline - answered_at));
    }
    all_answered.open();

    let mut report = Report::new("hold", "connections held and answered");
    let (mut connect, mut round_trip) = (Latencies::default(), Latencies::default());
    let (mut held, mut refused, mut closed, mut hung, mut dropped) = (0, 0, 0, 0, 0);
    for t in threads {
        let o = t.join().unwrap_or_else(|_| Outcome {
            errors: vec!["loadgen thread panicked".into()],
            ..Outcome::default()
        });
        held += o.connected;
        report.ok += o.answered;
        refused += o.refused;
        closed += o.closed;
        hung += o.hung;
        dropped += o.dropped;
        connect.extend(o.connect);
        round_trip.extend(o.round_trip);
        for e in o.errors {
            report.error(e);
        }
    }
    report.expected = cfg.conns as u64;
    // The latency percentiles are of the connects: that is what the backlog
    // shapes. The time is that of the whole run up to the last answer.
    report.timed(
        answered_at.saturating_duration_since(launched),
        &mut connect,
    );
    let slow = connect.count_over(Duration::from_millis(900));
    report.set("conns", cfg.conns as u64);
    report.set("held", held);
    report.set(
        "connect_secs",
        round3(opened.duration_since(launched).as_secs_f64()),
    );
    report.set(
        "round_trips_secs",
        round3(answered_at.saturating_duration_since(opened).as_secs_f64()),
    );
    report.set("connects_over_0.9s", slow);
    report.set("round_trip_p99_us", round_trip.percentile_us(99.0));
    report.set("round_trip_max_us", round_trip.percentile_us(100.0));
    if cfg.chat {
        report.unit = "connections joined and answered".into();
        report.set("joined", report.ok);
        report.set("refused", refused);
        report.set("closed", closed);
        report.set("hung", hung);
        report.set("dropped_while_held", dropped);
        report.note(format!(
            "chat: {} of {} joined and got their /who answer; {refused} refused with an error line, {closed} closed without an answer, {hung} hung (no answer); {} not connected (refused, timed out, or not tried by the deadline); {dropped} closed by the server while held",
            report.ok,
            cfg.conns,
            cfg.conns as u64 - held,
        ));
    }
    Ok(report)
}

/// Opens this connector's share of the connections; each keeps its number
/// (a chat name is made of it).
fn connect_all(
    server: SocketAddr,
    conns: usize,
    next: &AtomicUsize,
    connected: &AtomicU64,
    deadline: Instant,
    streams: &mut Vec<(usize, TcpStream)>,
) -> Outcome {
    let mut out = Outcome::default();
    loop {
        let n = next.fetch_add(1, Ordering::Relaxed);
        if n >= conns || Instant::now() >= deadline {
            return out;
        }
        let t = Instant::now();
        match TcpStream::connect_timeout(&server, left(deadline)) {
            Ok(s) => {
                out.connect.push(t.elapsed());
                out.connected += 1;
                connected.fetch_add(1, Ordering::Relaxed);
                streams.push((n, s));
            }
            Err(e) => out.errors.push(format!("connect: {}", kind_name(&e))),
        }
    }
}

/// One echo round trip on each connection in turn.
fn ping_all(streams: &mut [(usize, TcpStream)], deadline: Instant, out: &mut Outcome) {
    let mut buf = [0u8; PING.len()];
    for (_, s) in streams {
        let t = Instant::now();
        match ping(s, &mut buf, deadline) {
            Ok(()) => {
                out.round_trip.push(t.elapsed());
                out.answered += 1;
            }
            Err(e) => out.errors.push(e),
        }
    }
}

/// Chat: every connection joins with `/who` as its first message; then the
/// answers are read, each by the deadline.
fn join_all(streams: &mut Vec<(usize, TcpStream)>, deadline: Instant, out: &mut Outcome) {
    let mut asked = Vec::with_capacity(streams.len());
    for (n, s) in streams.iter_mut() {
        let line = crate::attack::message(&format!("h{n:06}"), "/who");
        let sent = s
            .set_write_timeout(Some(left(deadline)))
            .and_then(|()| s.write_all(line.as_bytes()));
        asked.push((Instant::now(), sent));
    }
    let mut kept = Vec::with_capacity(streams.len());
    for ((n, mut s), (t, sent)) in streams.drain(..).zip(asked) {
        let answer = match sent {
            Ok(()) => who_answer(&mut s, deadline),
            Err(e) => Err(Failure::from_io(e)),
        };
        match answer {
            Ok(()) => {
                out.round_trip.push(t.elapsed());
                out.answered += 1;
                kept.push((n, s));
            }
            Err(f) => {
                match f {
                    Failure::Refused(_) => out.refused += 1,
                    Failure::Closed => out.closed += 1,
                    Failure::Hung => out.hung += 1,
                    Failure::Io(_) => {}
                }
                out.errors.push(f.kind());
            }
        }
    }
    *streams = kept;
}

/// Reads lines until the answer to `/who` (`online: ...` from `server`),
/// or an error line, or the end.
fn who_answer(s: &mut TcpStream, deadline: Instant) -> Result<(), Failure> {
    s.set_read_timeout(Some(left(deadline)))
        .map_err(Failure::from_io)?;
    let mut reader = BufReader::new(s);
    let mut line = String::new();
    loop {
        line.clear();
        match (&mut reader).take(LINE_LIMIT).read_line(&mut line) {
            Ok(0) => return Err(Failure::Closed),
            Ok(_) => {}
            Err(e) if is_timeout(&e) => return Err(Failure::Hung),
            Err(e) => return Err(Failure::Io(kind_name(&e))),
        }
        let Ok(got) = serde_json::from_str::<Line>(&line) else {
            continue;
        };
        if let Some(why) = got.error {
            return Err(Failure::Refused(why));
        }
        if who_names(&got).is_some() {
            return Ok(());
        }
    }
}

/// Chat: while held, read (and drop) what the room sends, as an idle chat
/// client does; count the connections the server closes meanwhile.
fn keep_reading(
    streams: &mut Vec<(usize, TcpStream)>,
    until_open: &Gate,
    deadline: Instant,
    out: &mut Outcome,
) {
    let mut buf = vec![0u8; 64 * 1024];
    for (_, s) in streams.iter() {
        let _ = s.set_nonblocking(true);
    }
    loop {
        streams.retain(|(_, s)| {
            let open = loop {
                match (&*s).read(&mut buf) {
                    Ok(0) => break false,
                    Ok(_) => continue,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break true,
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    Err(_) => break false,
                }
            };
            if !open {
                out.dropped += 1;
            }
            open
        });
        let soon = (Instant::now() + Duration::from_millis(50)).min(deadline);
        if until_open.wait_open(soon).is_some() || Instant::now() >= deadline {
            return;
        }
    }
}

fn ping(s: &mut TcpStream, buf: &mut [u8], deadline: Instant) -> Result<(), String> {
    let io = |e: io::Error| match is_timeout(&e) {
        true => "no reply before the deadline".to_string(),
        false => kind_name(&e),
    };
    s.set_read_timeout(Some(left(deadline))).map_err(io)?;
    s.set_write_timeout(Some(left(deadline))).map_err(io)?;
    s.write_all(PING).map_err(io)?;
    s.read_exact(buf).map_err(io)?;
    match &buf[..] {
        b if b == PING => Ok(()),
        // tcp-threaded-server over --max-clients: "error: server full ..."
        b if b.starts_with(b"error") => Err("server full".into()),
        _ => Err("wrong reply".into()),
    }
}
