//! `loadgen hold`: C connections open at the same time, then one round trip
//! on each while all of them are still open.
//!
//! This measures how many clients a server can have at once, not how fast it
//! echoes. A few connector threads (`--parallel`) open the connections, so
//! the client side needs no thread per connection; every connection stays
//! open until every round trip is done (and `--hold-secs` more, to look at
//! the server with `ss` or `/proc` meanwhile).
//!
//! The connect times are the interesting latency here. When connects arrive
//! faster than the server accepts them, its listen backlog fills up, and
//! Linux drops the SYNs that find it full; the client's kernel sends the SYN
//! again after 1 s, then 3 s, 7 s (doubling). A connect that took just over
//! 1 s is such a retry.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

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
    pub progress: bool,
}

/// What each held connection sends and expects back.
const PING: &[u8] = b"ping\n";

#[derive(Default)]
struct Outcome {
    connected: u64,
    answered: u64,
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
        let conns = cfg.conns;
        threads.push(spawn(format!("connector {i}"), move || {
            connector(
                server,
                conns,
                &next,
                &connected,
                &all_open,
                &all_answered,
                deadline,
            )
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
    let mut held = 0;
    for t in threads {
        let o = t.join().unwrap_or_else(|_| Outcome {
            errors: vec!["loadgen thread panicked".into()],
            ..Outcome::default()
        });
        held += o.connected;
        report.ok += o.answered;
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
    Ok(report)
}

fn connector(
    server: SocketAddr,
    conns: usize,
    next: &AtomicUsize,
    connected: &AtomicU64,
    all_open: &Gate,
    all_answered: &Gate,
    deadline: Instant,
) -> Outcome {
    let mut out = Outcome::default();
    let mut streams = Vec::new();
    while next.fetch_add(1, Ordering::Relaxed) < conns && Instant::now() < deadline {
        let t = Instant::now();
        match TcpStream::connect_timeout(&server, left(deadline)) {
            Ok(s) => {
                out.connect.push(t.elapsed());
                out.connected += 1;
                connected.fetch_add(1, Ordering::Relaxed);
                streams.push(s);
            }
            Err(e) => out.errors.push(format!("connect: {}", kind_name(&e))),
        }
    }
    all_open.arrive();
    if all_open.wait_open(deadline).is_some() {
        let mut buf = [0u8; PING.len()];
        for s in &mut streams {
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
    all_answered.arrive();
    all_answered.wait_open(deadline);
    out
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
