//! `loadgen dribble`: slowloris. N connections each send the start of a
//! first line one byte at a time and never finish it; meanwhile a fresh
//! client tries to join and chat every second.
//!
//! A server that gives each connection a thread and waits for its first
//! line as long as it takes (stage 6) keeps every dribbler forever: each
//! one holds a thread, a descriptor and (where there is a cap) a place in
//! the room, for the price of one byte a second. A server with a join
//! deadline counted from accept (stage 7's `--join-timeout`) closes them
//! all when it passes, however busily they dribble. The report says which:
//! how many dribblers the server closed and after how long, and whether
//! fresh clients could still get in, and how fast.
//!
//! A few worker threads keep all the dribblers, on non-blocking sockets:
//! every few milliseconds each worker looks whether the server closed any
//! of its connections (end of stream, or a reset), and once per interval
//! sends each open one its next byte.

use std::io::{self, ErrorKind, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use super::{ANSWER_TIMEOUT, Failure, Peer, Poll, error_in, median_max, poll, secs};
use crate::procfs;
use crate::report::{Latencies, Report, kind_name, round3};
use crate::run::{CONNECT_TIMEOUT, Gate, Progress, left, spawn};

/// What to run.
#[derive(Debug, Clone)]
pub struct Dribble {
    /// Dribbling connections.
    pub conns: usize,
    /// Time between two bytes on one connection.
    pub interval: Duration,
    /// Time between two fresh clients.
    pub probe_every: Duration,
    /// The server's process id: its threads, descriptors and memory are
    /// read from /proc at the end, while the dribblers are still open.
    pub pid: Option<u32>,
    pub secs: Duration,
    pub progress: bool,
}

/// Connections one worker thread keeps.
const PER_WORKER: usize = 256;

/// How often a worker looks for connections the server closed: the
/// resolution of the "closed after" times.
const LOOK: Duration = Duration::from_millis(10);

/// One dribbling connection.
struct Dribbler {
    id: usize,
    stream: TcpStream,
    opened: Instant,
    /// Bytes sent so far (the next one is `first_line[sent]`).
    sent: usize,
    /// What the server sent us: an error line, usually.
    got: Vec<u8>,
    /// When the server closed it, counted from the connect.
    closed: Option<Duration>,
}

/// What one worker did.
#[derive(Default)]
struct Outcome {
    dribblers: Vec<Dribbler>,
    connect_errors: Vec<String>,
}

pub fn run(cfg: &Dribble, server: SocketAddr) -> io::Result<Report> {
    let launched = Instant::now();
    let deadline = launched + cfg.secs;
    let workers = cfg.conns.div_ceil(PER_WORKER).max(1);
    let opened = Gate::new();
    let open_now = Arc::new(AtomicU64::new(0));
    let progress = Progress::start(
        cfg.progress,
        "dribble".into(),
        open_now.clone(),
        "dribblers open",
    );
    let mut threads = Vec::with_capacity(workers);
    for w in 0..workers {
        let first = w * PER_WORKER;
        let ids = first..(first + PER_WORKER).min(cfg.conns);
        let (opened, open_now, interval) = (opened.clone(), open_now.clone(), cfg.interval);
        threads.push(spawn(format!("dribble {w}"), move || {
            let mut out = Outcome::default();
            for id in ids {
                let connect_until = (Instant::now() + CONNECT_TIMEOUT).min(deadline);
                match TcpStream::connect_timeout(&server, left(connect_until))
                    .and_then(|s| s.set_nonblocking(true).map(|()| s))
                {
                    Ok(stream) => {
                        open_now.fetch_add(1, Ordering::Relaxed);
                        out.dribblers.push(Dribbler {
                            id,
                            stream,
                            opened: Instant::now(),
                            sent: 0,
                            got: Vec::new(),
                            closed: None,
                        });
                        // Its first byte at once: the server's clock, if it
                        // has one, is running.
                        if let Some(d) = out.dribblers.last_mut() {
                            dribble(d);
                            if d.closed.is_some() {
                                open_now.fetch_sub(1, Ordering::Relaxed);
                            }
                        }
                    }
                    Err(e) => out.connect_errors.push(kind_name(&e)),
                }
            }
            opened.arrive();
            keep(&mut out.dribblers, interval, deadline, &open_now);
            out
        })?);
    }
    opened.wait_arrivals(workers, deadline);
    let probing_from = Instant::now();

    // Fresh clients, one every `probe_every`, until the deadline.
    let mut probes = 0u64;
    let mut joined = Latencies::default();
    let mut report = Report::new("dribble", "fresh clients joined and chatted");
    let mut total = Latencies::default();
    let mut next = probing_from;
    while next < deadline {
        let now = Instant::now();
        if next > now {
            thread::sleep(next - now);
        }
        probes += 1;
        match probe(server, probes) {
            Ok((join, all)) => {
                report.ok += 1;
                joined.push(join);
                total.push(all);
            }
            Err(f) => report.error(format!("fresh client: {}", f.kind())),
        }
        next += cfg.probe_every;
    }
    let ended = Instant::now();
    drop(progress);
    // What the dribblers cost the server, while they are still open.
    let cost = cfg.pid.map(|pid| {
        (
            pid,
            procfs::threads(pid),
            procfs::descriptors(pid),
            procfs::status_kib(pid, "VmRSS"),
        )
    });

    let mut dribblers = Vec::new();
    for t in threads {
        match t.join() {
            Ok(out) => {
                for e in out.connect_errors {
                    report.error(format!("dribbler connect: {e}"));
                }
                dribblers.extend(out.dribblers);
            }
            Err(_) => report.error("loadgen thread panicked"),
        }
    }
    report.expected = probes;
    report.timed(ended.duration_since(launched), &mut total);

    let mut closed: Vec<Duration> = dribblers.iter().filter_map(|d| d.closed).collect();
    let told: Vec<String> = dribblers.iter().filter_map(|d| error_in(&d.got)).collect();
    let still_open = dribblers.len() - closed.len();
    let bytes: usize = dribblers.iter().map(|d| d.sent).sum();
    report.set("conns", cfg.conns as u64);
    report.set("interval_ms", cfg.interval.as_millis() as u64);
    report.set("dribblers_connected", dribblers.len() as u64);
    report.set("dribblers_closed", closed.len() as u64);
    report.set("dribblers_told", told.len() as u64);
    report.set("dribblers_open_at_end", still_open as u64);
    report.set("bytes_dribbled", bytes as u64);
    report.set("probes", probes);
    report.set(
        "probe_join_p50_ms",
        round3(joined.percentile_us(50.0) / 1e3),
    );
    report.set(
        "probe_join_max_ms",
        round3(joined.percentile_us(100.0) / 1e3),
    );
    let lasted = secs(cfg.secs);
    if let Some((median, max)) = median_max(&mut closed) {
        report.set("closed_after_p50_s", secs(median));
        report.set("closed_after_max_s", secs(max));
        let min = closed.first().copied().unwrap_or_default();
        report.set("closed_after_min_s", secs(min));
        let why = match told.first() {
            Some(why) => format!(", {} of them told why ({why:?})", told.len()),
            None => ", none of them told why".into(),
        };
        report.note(format!(
            "dribblers: {} connected; the server closed {} after {:.2} s (median; first {:.2} s, last {:.2} s){why}; {still_open} still open after {lasted} s",
            dribblers.len(),
            closed.len(),
            median.as_secs_f64(),
            min.as_secs_f64(),
            max.as_secs_f64(),
        ));
    } else {
        report.note(format!(
            "dribblers: {} connected, one byte every {} ms each; the server closed none: {still_open} still open after {lasted} s, holding whatever each costs it",
            dribblers.len(),
            cfg.interval.as_millis(),
        ));
    }
    if let Some((pid, Ok(threads), Ok(fds), Ok(rss))) = cost {
        report.set("server_threads", threads);
        report.set("server_fds", fds);
        report.set("server_rss_kib", rss);
        report.note(format!(
            "server (pid {pid}) at the end: {threads} threads, {fds} descriptors, {:.1} MiB resident",
            rss as f64 / 1024.0
        ));
    } else if let Some((pid, ..)) = cost {
        report.error(format!("cannot read /proc/{pid}"));
    }
    report.note(format!(
        "fresh clients: {} of {probes} joined and chatted (join p50 {:.1} ms, max {:.1} ms){}",
        report.ok,
        joined.percentile_us(50.0) / 1e3,
        joined.percentile_us(100.0) / 1e3,
        match report.errors {
            0 => String::new(),
            _ => "; see errors for why the others failed".into(),
        }
    ));
    Ok(report)
}

/// The bytes a dribbler sends: the start of a first message, then the
/// message text, one `x` after another, never a newline.
fn byte(id: usize, at: usize) -> u8 {
    let start = format!("{{\"name\":\"dribbler{id:05}\",\"msg\":\"");
    start.as_bytes().get(at).copied().unwrap_or(b'x')
}

/// Sends a dribbler its next byte.
fn dribble(d: &mut Dribbler) {
    match (&d.stream).write(&[byte(d.id, d.sent)]) {
        Ok(n) => d.sent += n,
        // Its send buffer is full: the server stopped reading. Try later.
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        Err(_) => d.closed = Some(d.opened.elapsed()),
    }
}

/// Keeps the dribblers going until the deadline, noting which ones the
/// server closes and when.
fn keep(dribblers: &mut [Dribbler], interval: Duration, deadline: Instant, open: &AtomicU64) {
    let mut next_byte = Instant::now() + interval;
    loop {
        let now = Instant::now();
        for d in dribblers.iter_mut().filter(|d| d.closed.is_none()) {
            if let Poll::Closed = poll(&mut d.stream, &mut d.got) {
                d.closed = Some(now.duration_since(d.opened));
                open.fetch_sub(1, Ordering::Relaxed);
            }
        }
        if now >= deadline {
            return;
        }
        if now >= next_byte {
            for d in dribblers.iter_mut() {
                if d.closed.is_none() {
                    dribble(d);
                    if d.closed.is_some() {
                        open.fetch_sub(1, Ordering::Relaxed);
                    }
                }
            }
            next_byte += interval;
        }
        let wake = (now + LOOK).min(next_byte).min(deadline);
        thread::sleep(wake.saturating_duration_since(Instant::now()));
    }
}

/// One fresh client: join, say something, hear it back, leave. Returns
/// how long joining took, and the whole.
fn probe(server: SocketAddr, n: u64) -> Result<(Duration, Duration), Failure> {
    let start = Instant::now();
    let until = start + ANSWER_TIMEOUT;
    let mut peer = Peer::join(server, &format!("fresh{n:05}"), until)?;
    let joined = start.elapsed();
    let text = format!("fresh client {n} can talk");
    peer.say(&text, until)?;
    peer.wait_for(until, |l| l.msg.as_deref() == Some(text.as_str()))?;
    let all = start.elapsed();
    let _ = peer.say("/quit", until);
    Ok((joined, all))
}
