//! `loadgen tcp-echo`: C connections, each in its own thread doing N
//! lockstep round trips: write S bytes, read until S bytes came back, again.
//!
//! All C connections are opened first and the round trips start together, so
//! the measured phase is pure echo. A server that serves one client at a time
//! (stage 2) accepts the first connection only; the others wait in its listen
//! backlog with their first request unanswered. They are not errors: at the
//! deadline they are counted as `waiting`, and `conns_served` says how many
//! connections got any reply at all.
//!
//! Timing: connecting may take up to [`CONNECT_TIMEOUT`] (a server with a
//! small listen backlog makes some clients retry their SYN after 1 s and
//! 3 s); then the round trips run for `--secs`, the measured phase.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::report::{Latencies, Report, kind_name};
use crate::run::{
    Bounded, CONNECT_TIMEOUT, Gate, Progress, is_timeout, left, resolve, spawn, ticking,
};

/// What to run.
#[derive(Debug, Clone)]
pub struct TcpEcho {
    pub addr: String,
    pub conns: usize,
    pub requests: u64,
    pub size: usize,
    pub secs: Duration,
    pub progress: bool,
}

/// How one connection's run ended.
#[derive(Default)]
struct Outcome {
    connected: bool,
    done: u64,
    latencies: Latencies,
    error: Option<String>,
}

pub fn run(cfg: &TcpEcho) -> io::Result<Report> {
    let server = resolve(&cfg.addr)?;
    let launched = Instant::now();
    let connect_until = launched + CONNECT_TIMEOUT;
    let secs = cfg.secs;
    let gate = Gate::new();
    let count = Arc::new(AtomicU64::new(0));
    let message: Arc<[u8]> = (0..cfg.size).map(|i| b'a' + (i % 26) as u8).collect();

    let mut threads = Vec::with_capacity(cfg.conns);
    for i in 0..cfg.conns {
        let (gate, count, message) = (gate.clone(), count.clone(), message.clone());
        let requests = cfg.requests;
        threads.push(spawn(format!("conn {i}"), move || {
            client(
                server,
                &gate,
                &count,
                &message,
                requests,
                connect_until,
                secs,
            )
        })?);
    }
    // The measured phase starts when every connection is open, or when the
    // connect window is over (connects still in SYN retransmits then fail),
    // and lasts --secs.
    gate.wait_arrivals(cfg.conns, connect_until);
    let started = gate.open();
    let deadline = started + secs;
    let progress = Progress::start(
        cfg.progress,
        "tcp-echo".into(),
        count.clone(),
        "round trips",
    );

    let mut report = Report::new("tcp-echo", "round trips");
    let mut latencies = Latencies::default();
    let (mut connected, mut served, mut waiting, mut finished) = (0u64, 0u64, 0u64, 0u64);
    for t in threads {
        let o = t.join().unwrap_or_else(|_| Outcome {
            error: Some("loadgen thread panicked".into()),
            ..Outcome::default()
        });
        connected += u64::from(o.connected);
        served += u64::from(o.done > 0);
        // Connected, no error, never a reply: waiting in the backlog.
        waiting += u64::from(o.connected && o.done == 0 && o.error.is_none());
        finished += u64::from(o.done == cfg.requests);
        report.ok += o.done;
        latencies.extend(o.latencies);
        if let Some(kind) = o.error {
            report.error(kind);
        }
    }
    let ended = Instant::now().min(deadline);
    drop(progress);
    report.expected = cfg.requests.saturating_mul(cfg.conns as u64);
    report.timed(ended.saturating_duration_since(started), &mut latencies);
    report.set("conns", cfg.conns as u64);
    report.set("size", cfg.size as u64);
    report.set("conns_connected", connected);
    report.set("conns_served", served);
    report.set("conns_finished", finished);
    report.set("conns_waiting", waiting);
    report.set(
        "connect_secs",
        crate::report::round3(started.duration_since(launched).as_secs_f64()),
    );
    Ok(report)
}

fn client(
    server: SocketAddr,
    gate: &Gate,
    count: &AtomicU64,
    message: &[u8],
    requests: u64,
    connect_until: Instant,
    secs: Duration,
) -> Outcome {
    let mut out = Outcome::default();
    // Python: s = socket.create_connection(addr, timeout=...)
    let stream = TcpStream::connect_timeout(&server, left(connect_until));
    gate.arrive();
    let stream = match stream {
        Ok(s) => s,
        Err(e) => {
            out.error = Some(format!("connect: {}", kind_name(&e)));
            return out;
        }
    };
    out.connected = true;
    let Some(started) = gate.wait_open(connect_until + Duration::from_secs(1)) else {
        return out;
    };
    let deadline = started + secs;
    // Small lockstep messages: send each at once instead of letting Nagle's
    // algorithm hold it back (it would not here, as nothing is in flight,
    // but a benchmark should not depend on that).
    let _ = stream.set_nodelay(true);
    if let Err(e) = ticking(&stream) {
        out.error = Some(kind_name(&e));
        return out;
    }
    let mut stream = Bounded::new(stream, deadline);
    let mut reply = vec![0u8; message.len()];
    while out.done < requests && Instant::now() < deadline {
        let sent = Instant::now();
        match round_trip(&mut stream, message, &mut reply) {
            Ok(()) => {}
            // The deadline came while this round trip was under way.
            Err(e) if is_timeout(&e) => break,
            Err(e) => {
                out.error = Some(kind_name(&e));
                break;
            }
        }
        if Instant::now() > deadline {
            // Answered, but too late to count: for a server that serves one
            // client at a time, this is the next client's first reply,
            // sent once the previous client left at the deadline.
            break;
        }
        out.latencies.push(sent.elapsed());
        out.done += 1;
        count.fetch_add(1, Ordering::Relaxed);
    }
    out
}

/// One round trip: all of `message` out, as many bytes back, the same ones.
fn round_trip(stream: &mut Bounded<TcpStream>, message: &[u8], reply: &mut [u8]) -> io::Result<()> {
    stream.write_all(message)?;
    // A reply may come back in pieces: read_exact reads until it is whole.
    stream.read_exact(reply)?;
    if reply != message {
        return Err(io::Error::new(ErrorKind::InvalidData, "wrong reply"));
    }
    Ok(())
}
