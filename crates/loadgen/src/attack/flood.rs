//! `loadgen flood`: one client sends L lines as fast as TCP lets it, while
//! R readers read as fast as they can.
//!
//! The room passes each line to every client's queue. The flooder can hand
//! the server lines faster than the server can write them out to R + 1
//! clients, so the queues grow. A room that only bounds each queue (stage
//! 6) then cuts off readers that did nothing wrong: their queues overflow
//! because of someone else's flood. A room with flood control (stage 7)
//! reads the flooder's lines more slowly instead, TCP's flow control pushes
//! back on the flooder alone, and every reader gets everything.
//!
//! The report: what each reader got of what was sent, which readers were
//! disconnected, how fast the flooder got its lines out (its effective
//! rate: the room's pace, if the room slowed it), and whether every reader
//! saw the flood in the order it was sent. `--deaf`: the flooder never reads
//! (its own echoes pile up in its queue, as with a script that only writes).

use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::{Failure, Peer, secs};
use crate::chat::{DRAIN, Got, parse_msg};
use crate::report::round3;
use crate::report::{Latencies, Report};
use crate::run::{Bounded, Gate, Progress, Turns, spawn};

/// What to run.
#[derive(Debug, Clone)]
pub struct Flood {
    pub readers: usize,
    pub lines: u64,
    /// The flooder never reads.
    pub deaf: bool,
    pub secs: Duration,
    pub progress: bool,
}

/// How long joining may take before the flood starts.
const JOIN_TIMEOUT: Duration = Duration::from_secs(10);

/// The flooder writes its lines in chunks of about this many bytes: one
/// `write()` call each, as a pasted file or a script's output would come.
const CHUNK: usize = 64 * 1024;

/// The flooder's name.
const FLOODER: &str = "flooder";

/// Once the flooder has stopped, a reader that heard no flood line for
/// this long stops waiting: the room has passed on all it took. (A flooder
/// the server cut off had lines in the server's buffers that the room never
/// took; nobody will get those.)
const QUIET: Duration = Duration::from_secs(1);

/// What the flood's readers share.
struct Shared {
    launched: Instant,
    lines: u64,
    /// Lines the flooder got out, whole.
    sent: AtomicU64,
    /// Set when the flooder stopped: readers may stop once they have all.
    done: Arc<AtomicBool>,
    delivered: Arc<AtomicU64>,
}

/// What one reader (or the flooder's own reading half) saw.
#[derive(Default)]
struct Seen {
    joined: bool,
    got: u64,
    /// False once a line came before one sent earlier, or twice.
    in_order: bool,
    /// The highest line number seen, plus one.
    upto: u64,
    disconnected: Option<String>,
    latencies: Latencies,
    last: Option<Instant>,
}

pub fn run(cfg: &Flood, server: SocketAddr) -> io::Result<Report> {
    let launched = Instant::now();
    let join_until = launched + JOIN_TIMEOUT;
    let shared = Arc::new(Shared {
        launched,
        lines: cfg.lines,
        sent: AtomicU64::new(0),
        done: Arc::new(AtomicBool::new(false)),
        delivered: Arc::new(AtomicU64::new(0)),
    });
    let gate = Gate::new();
    let joining = Arc::new(Turns::new(4));
    let mut readers = Vec::with_capacity(cfg.readers);
    for i in 0..cfg.readers {
        let (shared, gate, joining) = (shared.clone(), gate.clone(), joining.clone());
        let run_secs = cfg.secs;
        readers.push(spawn(format!("reader {i}"), move || {
            let joined = {
                let _turn = joining.acquire(join_until);
                Peer::join(server, &format!("reader{i:04}"), join_until)
            };
            gate.arrive();
            let mut peer = match joined {
                Ok(peer) => peer,
                Err(f) => return (Seen::default(), Some(f)),
            };
            match gate.wait_open(join_until + Duration::from_secs(1)) {
                Some(started) => (read(&mut peer, &shared, started + run_secs + DRAIN), None),
                None => (Seen::default(), Some(Failure::Hung)),
            }
        })?);
    }
    let flooder = Peer::join(server, FLOODER, join_until);
    gate.wait_arrivals(cfg.readers, join_until);
    let started = gate.open();
    let progress = Progress::start(
        cfg.progress,
        "flood".into(),
        shared.delivered.clone(),
        "lines delivered to readers",
    );
    let mut report = Report::new("flood", "lines delivered to readers");
    let mut flood = Sent::default();
    let mut own = Seen::default();
    match flooder {
        Err(f) => report.error(format!("flooder: {}", f.kind())),
        Ok(mut peer) => {
            let deadline = started + cfg.secs;
            let stream = peer.stream.try_clone()?;
            std::thread::scope(|scope| {
                // Unless deaf, the flooder reads its own echoes meanwhile,
                // as a chat client pasting a file would.
                let echoes = (!cfg.deaf).then(|| {
                    let shared = &shared;
                    let peer = &mut peer;
                    scope.spawn(move || read(peer, shared, deadline + DRAIN))
                });
                flood = pour(&stream, &shared, deadline);
                shared.done.store(true, Ordering::SeqCst);
                if let Some(echoes) = echoes {
                    own = echoes.join().unwrap_or_default();
                }
            });
        }
    }
    shared.done.store(true, Ordering::SeqCst);

    let mut latencies = Latencies::default();
    let mut seen = Vec::new();
    for t in readers {
        let (s, failure) = t.join().unwrap_or_default();
        if let Some(f) = failure {
            report.error(format!("reader join: {}", f.kind()));
        }
        if s.joined {
            seen.push(s);
        }
    }
    drop(progress);
    let sent = shared.sent.load(Ordering::SeqCst);
    // What the room took from the flooder and passed on: everything sent,
    // unless the server cut the flooder off with lines still unread.
    let took = seen.iter().chain([&own]).map(|s| s.upto).max().unwrap_or(0);
    let mut last = started;
    for s in &mut seen {
        report.ok += s.got;
        latencies.extend(std::mem::take(&mut s.latencies));
        last = last.max(s.last.unwrap_or(started));
    }
    report.expected = seen.len() as u64 * took;
    report.lost = report.expected.saturating_sub(report.ok);
    report.timed(last.duration_since(started), &mut latencies);
    let complete = seen.iter().filter(|s| s.got >= took).count();
    let cut: Vec<&Seen> = seen.iter().filter(|s| s.disconnected.is_some()).collect();
    let in_order = seen.iter().all(|s| s.in_order);
    let flood_secs = flood
        .last
        .map_or(0.0, |t| t.duration_since(started).as_secs_f64());
    // The room's pace: when the last line it took reached the first client
    // that got them all. (The flooder's own pace says less: the kernels'
    // buffers take megabytes before a write waits.)
    let room_secs = seen
        .iter()
        .chain([&own])
        .filter(|s| s.upto == took)
        .filter_map(|s| s.last)
        .min()
        .map_or(0.0, |t| t.duration_since(started).as_secs_f64());
    let per_s = |n: u64, secs: f64| {
        if secs > 0.0 {
            (n as f64 / secs).round()
        } else {
            0.0
        }
    };
    report.set("readers", cfg.readers as u64);
    report.set("readers_joined", seen.len() as u64);
    report.set("readers_complete", complete as u64);
    report.set("readers_disconnected", cut.len() as u64);
    report.set(
        "delivered_per_reader",
        seen.iter().map(|s| s.got).collect::<Vec<_>>(),
    );
    report.set("lines", cfg.lines);
    report.set("sent", sent);
    report.set("flood_secs", round3(flood_secs));
    report.set("flood_per_s", per_s(sent, flood_secs));
    report.set("room_took", took);
    report.set("room_secs", round3(room_secs));
    report.set("room_per_s", per_s(took, room_secs));
    report.set("flooder_reads", !cfg.deaf);
    report.set("flooder_echoes", own.got);
    report.set(
        "flooder_cut_off",
        flood.cut_off.is_some() || own.disconnected.is_some(),
    );
    report.set("same_order", in_order);

    let reading = match (cfg.deaf, &own.disconnected) {
        (true, _) => "it never read".to_string(),
        (false, Some(why)) => format!("it read its echoes and got {} ({why})", own.got),
        (false, None) => format!("it read its echoes and got {}", own.got),
    };
    report.note(format!(
        "flooder: wrote {sent} of {} lines into its socket in {flood_secs:.2} s{}; {reading}",
        cfg.lines,
        match &flood.cut_off {
            Some(why) => format!(" before the server cut it off ({why})"),
            None if sent < cfg.lines => format!(" (no more went in within {} s)", secs(cfg.secs)),
            None => String::new(),
        }
    ));
    report.note(format!(
        "room: passed on {took} of them, the last {room_secs:.2} s after the start ({:.0} lines/s){}",
        per_s(took, room_secs),
        match sent - took.min(sent) {
            0 => String::new(),
            n => format!("; {n} written lines were never passed on"),
        }
    ));
    let mut readers_note = format!(
        "readers: {} joined, {complete} got all {took}, {} were disconnected",
        seen.len(),
        cut.len()
    );
    for s in cut.iter().take(3) {
        readers_note.push_str(&format!(
            "; one after {} lines ({})",
            s.got,
            s.disconnected.as_deref().unwrap_or("")
        ));
    }
    report.note(readers_note);
    report.note(match in_order {
        true => "order: every reader saw the lines in the order they were sent".to_string(),
        false => "order: some readers saw lines out of order or twice".to_string(),
    });
    Ok(report)
}

/// What the flooder got out.
#[derive(Default)]
struct Sent {
    /// When its last whole chunk was written.
    last: Option<Instant>,
    /// Why the server stopped taking its lines, if it did.
    cut_off: Option<String>,
}

/// Writes the flood: `lg 0 J NANOS` lines, a chunk at a time, until all are
/// out or the deadline. Counts only whole lines.
fn pour(stream: &TcpStream, shared: &Shared, deadline: Instant) -> Sent {
    let mut out = Sent::default();
    let mut w = Bounded::new(stream, deadline);
    let mut chunk = Vec::with_capacity(CHUNK + 256);
    let mut ends = Vec::new();
    let mut j = 0;
    while j < shared.lines && Instant::now() < deadline {
        chunk.clear();
        ends.clear();
        while chunk.len() < CHUNK && j < shared.lines {
            let ns = shared.launched.elapsed().as_nanos();
            chunk.extend_from_slice(super::message(FLOODER, &format!("lg 0 {j} {ns}")).as_bytes());
            ends.push(chunk.len());
            j += 1;
        }
        let mut written = 0;
        while written < chunk.len() {
            match w.write(&chunk[written..]) {
                Ok(0) => break,
                Ok(n) => written += n,
                Err(e) => {
                    if !crate::run::is_timeout(&e) {
                        out.cut_off = Some(crate::report::kind_name(&e));
                    }
                    break;
                }
            }
        }
        let whole = ends.iter().filter(|&&end| end <= written).count() as u64;
        shared.sent.fetch_add(whole, Ordering::SeqCst);
        if whole > 0 {
            out.last = Some(Instant::now());
        }
        if written < chunk.len() {
            break;
        }
    }
    let _ = w.flush();
    out
}

/// Reads the flood until it has every line sent, or the connection ends,
/// or `until`.
fn read(peer: &mut Peer, shared: &Shared, until: Instant) -> Seen {
    let mut seen = Seen {
        joined: true,
        in_order: true,
        ..Seen::default()
    };
    peer.alarm(Some(shared.done.clone()));
    let mut heard = Instant::now();
    loop {
        if shared.done.load(Ordering::SeqCst) {
            let all = seen.got >= shared.sent.load(Ordering::SeqCst);
            if all || heard.elapsed() >= QUIET {
                return seen;
            }
        }
        let line = match peer.line(until) {
            Ok(line) => line,
            Err(Failure::Hung) if Instant::now() < until => continue,
            Err(Failure::Hung) => return seen,
            Err(Failure::Closed) => {
                seen.disconnected = Some("closed by the server".into());
                return seen;
            }
            Err(f) => {
                seen.disconnected = Some(f.kind());
                return seen;
            }
        };
        if let Some(e) = line.error {
            seen.disconnected = Some(format!("server said: {e}"));
            continue;
        }
        if line.name.as_deref() != Some(FLOODER) {
            continue;
        }
        let msg = line.msg.as_deref().unwrap_or("");
        if let Some(Got::Message { id, sent_ns }) = parse_msg(msg, shared.lines) {
            let now = shared.launched.elapsed();
            let now_ns = u64::try_from(now.as_nanos()).unwrap_or(u64::MAX);
            seen.latencies.push_ns(now_ns.saturating_sub(sent_ns));
            seen.in_order &= id >= seen.upto;
            seen.upto = seen.upto.max(id + 1);
            seen.got += 1;
            heard = Instant::now();
            seen.last = Some(shared.launched + now);
            shared.delivered.fetch_add(1, Ordering::Relaxed);
        }
    }
}
