//! `loadgen storm`: a reset storm. N clients join, send K lines each and
//! reset their connection, in several waves; then a fresh client asks `/who`.
//!
//! A reset (RST) is how a crashed client, a killed process or a phone that
//! lost its network often leaves: no orderly end of stream, but an error in
//! the middle of whatever the server was doing with that connection (its
//! writer's `write()`, its reader's `read()`, a wait of its own). Every path
//! that ends a client must still take it out of the room and end its
//! threads. A server that misses one keeps a *ghost*: a name still listed
//! by `/who` (and still taken), a thread, a descriptor, for as long as it
//! runs.
//!
//! Resetting from std: closing a socket that still has unread bytes in its
//! receive buffer makes the kernel send RST instead of FIN (std cannot set
//! SO_LINGER, the other way). So each client, after its K lines, waits
//! (`peek`, which looks without reading) until the room's echo of its last
//! line has arrived, and then closes with it unread.
//!
//! Afterwards a fresh client asks `/who` (and leaves) until no storm client
//! is listed, for `--settle-secs` at most; with `--pid`, the server's
//! threads and descriptors are counted from /proc before the storm and
//! after, and must be back too. Storm names carry this loadgen's process
//! id, so a ghost left by an earlier run neither blocks a name nor counts.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use super::{ANSWER_TIMEOUT, Failure, Peer, secs};
use crate::procfs;
use crate::report::{Latencies, Report};
use crate::run::{Gate, Progress, Turns, is_timeout, spawn};

/// What to run.
#[derive(Debug, Clone)]
pub struct Storm {
    /// Clients in each wave.
    pub clients: usize,
    /// Lines each client sends before it resets.
    pub lines: u64,
    pub waves: usize,
    /// The server's process id, to count its threads and descriptors.
    pub pid: Option<u32>,
    /// How long to wait, after the last wave, for the room to be clean.
    pub settle: Duration,
    pub secs: Duration,
    pub progress: bool,
}

/// How many of a wave join at the same time. A wave's joins are not the
/// storm (its resets are); this keeps a small listen backlog from turning
/// connects away.
const JOINING_AT_ONCE: usize = 16;

/// How often `/who` is asked while the room settles.
const RECHECK: Duration = Duration::from_millis(100);

/// How one storm client ended.
enum End {
    /// Closed with unread data: the kernel sent RST.
    Reset,
    /// Nothing was unread when it closed (no echo came): an orderly close.
    Closed,
    Failed(Failure),
}

/// What the server's process looked like at one moment.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Counts {
    threads: u64,
    fds: u64,
}

fn counts(pid: Option<u32>) -> Option<Counts> {
    let pid = pid?;
    Some(Counts {
        threads: procfs::threads(pid).ok()?,
        fds: procfs::descriptors(pid).ok()?,
    })
}

/// A fresh client's `/who`: joins, asks, and leaves with an orderly close
/// (end of stream, then it waits for the server's), so that it is gone
/// from the server's counts before they are read.
fn who(server: SocketAddr, n: u32) -> Result<Vec<String>, Failure> {
    let until = Instant::now() + ANSWER_TIMEOUT;
    let mut peer = Peer::join(server, &format!("check{n:03}"), until)?;
    let names = peer.who(until)?;
    let _ = peer.stream.shutdown(std::net::Shutdown::Write);
    loop {
        match peer.line(until) {
            Ok(_) => {}
            Err(Failure::Closed) | Err(Failure::Io(_)) => return Ok(names),
            Err(f) => return Err(f),
        }
    }
}

/// A storm client's name: fixed width, and told apart by its prefix.
fn name(wave: usize, i: usize) -> String {
    format!("{}w{wave:02}c{i:05}", prefix())
}

/// What this run's storm names start with.
fn prefix() -> String {
    format!("storm{:05}", std::process::id() % 100_000)
}

pub fn run(cfg: &Storm, server: SocketAddr) -> io::Result<Report> {
    let launched = Instant::now();
    let deadline = launched + cfg.secs;
    let before = counts(cfg.pid);
    let resets = Arc::new(AtomicU64::new(0));
    let progress = Progress::start(cfg.progress, "storm".into(), resets.clone(), "resets");

    let mut report = Report::new("storm", "clients joined, talked and reset");
    let mut joins = Latencies::default();
    let (mut waves, mut closed) = (0, 0u64);
    while waves < cfg.waves && Instant::now() < deadline {
        for (end, join) in wave(cfg, server, waves, deadline, &resets)? {
            if let Some(took) = join {
                joins.push(took);
            }
            match end {
                End::Reset => report.ok += 1,
                End::Closed => closed += 1,
                End::Failed(f) => report.error(f.kind()),
            }
        }
        waves += 1;
    }
    let stormed = Instant::now();
    drop(progress);
    report.expected = (waves * cfg.clients) as u64;
    report.timed(stormed.duration_since(launched), &mut joins);

    // Settle: a fresh client asks /who (and leaves) until the room is
    // clean and the server back to its counts, or the time is up.
    let (mut ghosts, mut after, mut clean_after, mut failed);
    let settle_until = stormed + cfg.settle;
    let mut n = 0;
    loop {
        n += 1;
        // Counted before this check's own client connects (the last one
        // left a recheck ago), so that it does not count itself.
        after = counts(cfg.pid);
        (ghosts, failed) = match who(server, n) {
            Ok(names) => {
                let ours = names.into_iter().filter(|n| n.starts_with(&prefix()));
                (ours.collect(), None)
            }
            Err(f) => (Vec::new(), Some(f)),
        };
        let back = match (before, after) {
            (Some(b), Some(a)) => a.threads <= b.threads && a.fds <= b.fds,
            _ => true,
        };
        clean_after = (ghosts.is_empty() && back && failed.is_none()).then(|| stormed.elapsed());
        if clean_after.is_some() || Instant::now() + RECHECK > settle_until {
            break;
        }
        thread::sleep(RECHECK);
    }
    if let Some(f) = failed {
        report.error(format!("/who after the storm: {}", f.kind()));
    }

    report.set("clients", cfg.clients as u64);
    report.set("lines", cfg.lines);
    report.set("waves", waves as u64);
    report.set("reset", report.ok);
    report.set("closed_without_reset", closed);
    report.set("ghosts", ghosts.len() as u64);
    report.set(
        "ghost_names",
        ghosts.iter().take(10).cloned().collect::<Vec<_>>(),
    );
    report.set("settled", clean_after.is_some());
    if let Some(t) = clean_after {
        report.set("clean_after_s", secs(t));
    }
    report.note(format!(
        "storm: {waves} wave{} of {} clients, each joined, sent {} lines and reset: {} resets, {closed} closed without unread data",
        if waves == 1 { "" } else { "s" },
        cfg.clients,
        cfg.lines,
        report.ok
    ));
    report.note(match (ghosts.len(), clean_after) {
        (_, Some(t)) => format!(
            "after the storm: /who lists no storm client ({:.2} s after the last wave)",
            t.as_secs_f64()
        ),
        (0, None) => format!(
            "after the storm: /who lists no storm client, but the server was not back to its counts within {:.1} s",
            cfg.settle.as_secs_f64()
        ),
        (n, None) => format!(
            "after the storm: /who still lists {n} ghost{} {:.1} s after the last wave: {}",
            if n == 1 { "" } else { "s" },
            cfg.settle.as_secs_f64(),
            ghosts.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
        ),
    });
    if let (Some(pid), Some(b), Some(a)) = (cfg.pid, before, after) {
        report.set("threads_before", b.threads);
        report.set("threads_after", a.threads);
        report.set("fds_before", b.fds);
        report.set("fds_after", a.fds);
        report.note(format!(
            "server (pid {pid}): {} threads before, {} after; {} descriptors before, {} after",
            b.threads, a.threads, b.fds, a.fds
        ));
    } else if let Some(pid) = cfg.pid {
        report.error(format!("cannot read /proc/{pid}/task and /proc/{pid}/fd"));
    }
    Ok(report)
}

/// One wave: every client joins, then all at once send their lines and
/// reset. Returns how each ended, with its join time.
fn wave(
    cfg: &Storm,
    server: SocketAddr,
    w: usize,
    deadline: Instant,
    resets: &Arc<AtomicU64>,
) -> io::Result<Vec<(End, Option<Duration>)>> {
    let join_until = Instant::now() + Duration::from_secs(10);
    let gate = Gate::new();
    let joining = Arc::new(Turns::new(JOINING_AT_ONCE));
    let mut threads = Vec::with_capacity(cfg.clients);
    for i in 0..cfg.clients {
        let (gate, joining, resets) = (gate.clone(), joining.clone(), resets.clone());
        let lines = cfg.lines;
        threads.push(spawn(format!("storm {w}.{i}"), move || {
            let me = name(w, i);
            let start = Instant::now();
            let joined = {
                let _turn = joining.acquire(join_until);
                Peer::join(server, &me, join_until)
            };
            let took = start.elapsed();
            gate.arrive();
            let mut peer = match joined {
                Ok(peer) => peer,
                Err(f) => return (End::Failed(f), None),
            };
            let lat = Some(took);
            if gate
                .wait_open(join_until + Duration::from_secs(1))
                .is_none()
            {
                return (End::Failed(Failure::Hung), lat);
            }
            let until = Instant::now() + ANSWER_TIMEOUT;
            for j in 0..lines {
                if let Err(f) = peer.say(&format!("{me} line {j}"), until) {
                    let f = Failure::Io(format!("cut off while sending: {}", f.kind()));
                    return (End::Failed(f), lat);
                }
            }
            let last = format!("{me} line {}\"", lines - 1);
            let end = reset(&peer.stream, last.as_bytes(), until);
            drop(peer);
            if let End::Reset = end {
                resets.fetch_add(1, Ordering::Relaxed);
            }
            (end, lat)
        })?);
    }
    gate.wait_arrivals(cfg.clients, join_until.min(deadline.max(Instant::now())));
    gate.open();
    Ok(threads
        .into_iter()
        .map(|t| {
            t.join().unwrap_or((
                End::Failed(Failure::Io("loadgen thread panicked".into())),
                None,
            ))
        })
        .collect())
}

/// Waits, looking without reading, until the echo of our last line (or a
/// full buffer) is waiting unread; the caller then closes: a reset.
fn reset(stream: &TcpStream, last: &[u8], until: Instant) -> End {
    let mut buf = vec![0u8; 64 * 1024];
    // Each peek copies everything waiting, from the start: look again after
    // a growing pause, not in a tight loop, and search only the new bytes.
    let (mut pause, mut searched) = (Duration::from_millis(1), 0usize);
    loop {
        match stream.peek(&mut buf) {
            Ok(0) => return End::Closed,
            Ok(n) => {
                let from = searched.saturating_sub(last.len());
                let echoed = buf[from..n].windows(last.len()).any(|w| w == last);
                if echoed || n == buf.len() || Instant::now() >= until {
                    return End::Reset;
                }
                searched = n;
                thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(16));
            }
            Err(e) if is_timeout(&e) && Instant::now() < until => {}
            Err(e) if is_timeout(&e) => return End::Closed,
            Err(e) => return End::Failed(Failure::Io(crate::report::kind_name(&e))),
        }
    }
}
