//! `loadgen stall`: one client joins and never reads; the others chat at a
//! modest rate.
//!
//! Every line the room sends the stalled client first fills its receive
//! buffer and the server's send buffer (a few hundred KiB, in the kernels),
//! then waits in its queue on the server. A room that waited for it would
//! stop for everyone (the tutorial's `sendall` under a lock). A room with a
//! bounded queue per client (stage 6) cuts it off when the queue overflows;
//! a write timeout (stage 7) cuts it off when its socket has taken nothing
//! for a while, even in a quiet room. Meanwhile the others must get
//! everything, on time.
//!
//! A watcher client reads everything and notes when the room announces the
//! stalled client gone (a notice from `server` naming it); the others are
//! `loadgen chat` clients, and their delivery and latency are the report's.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::{ANSWER_TIMEOUT, Failure, Peer, secs};
use crate::chat::{self, Chat};
use crate::report::Report;

/// What to run.
#[derive(Debug, Clone)]
pub struct Stall {
    /// The clients that chat (and read), besides the stalled one.
    pub clients: usize,
    /// Messages per second, all senders together.
    pub rate: f64,
    /// Bytes of padding in each message: bigger messages fill the stalled
    /// client's buffers sooner.
    pub size: usize,
    pub secs: Duration,
    pub progress: bool,
}

/// The client that never reads.
const STALLED: &str = "stalled";

/// What the watcher saw.
#[derive(Default)]
struct Watched {
    /// When the room said the stalled client was gone, and what it said.
    gone: Option<(Duration, String)>,
    /// Whether `/who` still listed it at the end.
    listed_at_end: Option<bool>,
    failure: Option<String>,
}

pub fn run(cfg: &Stall, server: SocketAddr) -> io::Result<Report> {
    let until = Instant::now() + ANSWER_TIMEOUT;
    let failed =
        |who: &str, f: Failure| io::Error::other(format!("{who} could not join: {}", f.kind()));
    let mut watcher = Peer::join(server, "watcher", until).map_err(|f| failed("the watcher", f))?;
    let stalled =
        Peer::join(server, STALLED, until).map_err(|f| failed("the stalled client", f))?;
    // From here on it reads nothing.
    let stalled_at = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let senders = cfg.clients.min(2);
    let chat_cfg = Chat {
        addr: server.to_string(),
        clients: cfg.clients,
        senders,
        messages: (cfg.rate * cfg.secs.as_secs_f64() / senders as f64).ceil() as u64 + 1,
        rate: Some(cfg.rate),
        window: None,
        pad: cfg.size,
        secs: cfg.secs,
        progress: cfg.progress,
    };
    let (chatted, watched) = std::thread::scope(|scope| {
        let watching = scope.spawn(|| watch(&mut watcher, stalled_at, &stop));
        let chatted = chat::run(&chat_cfg);
        stop.store(true, Ordering::SeqCst);
        (chatted, watching.join().unwrap_or_default())
    });
    let ended = stalled_at.elapsed();
    drop(stalled);
    let mut report = chatted?;
    report.case = "stall".into();
    report.unit = "messages delivered to the others".into();
    if let Some(f) = watched.failure {
        report.error(format!("watcher: {f}"));
    }
    report.set("rate", cfg.rate);
    report.set("size", cfg.size as u64);
    report.set("stalled_cut_off", watched.gone.is_some());
    if let Some(listed) = watched.listed_at_end {
        report.set("stalled_listed_at_end", listed);
    }
    match &watched.gone {
        Some((after, notice)) => {
            report.set("cut_off_after_s", secs(*after));
            report.note(format!(
                "stalled client: cut off {:.2} s after it stopped reading; the room said {notice:?}",
                after.as_secs_f64()
            ));
        }
        None => report.note(format!(
            "stalled client: never cut off; {} after {:.1} s without reading",
            match watched.listed_at_end {
                Some(true) => "still in /who",
                Some(false) => "gone from /who with no notice",
                None => "/who unanswered",
            },
            ended.as_secs_f64()
        )),
    }
    let joined = report.get_f64("joined").unwrap_or(0.0);
    report.note(format!(
        "the others: {joined} clients got {} of {} deliveries, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        report.ok,
        report.expected,
        report.p50_us / 1e3,
        report.p99_us / 1e3,
        report.max_us / 1e3
    ));
    Ok(report)
}

/// Reads everything the room says (so the watcher itself is never the slow
/// one) until `stop`, noting when the stalled client is announced gone;
/// then asks `/who` whether it is still listed.
fn watch(watcher: &mut Peer, stalled_at: Instant, stop: &Arc<AtomicBool>) -> Watched {
    let mut out = Watched::default();
    watcher.alarm(Some(stop.clone()));
    let far = Instant::now() + Duration::from_secs(24 * 3600);
    while !stop.load(Ordering::SeqCst) {
        match watcher.line(far) {
            Ok(line) => {
                let notice = line.name.as_deref() == Some("server");
                let msg = line.msg.unwrap_or_default();
                let about = msg.contains(STALLED) && !msg.ends_with("joined");
                if notice && about && out.gone.is_none() {
                    out.gone = Some((stalled_at.elapsed(), msg));
                }
            }
            Err(Failure::Hung) => {}
            Err(f) => {
                out.failure = Some(f.kind());
                return out;
            }
        }
    }
    watcher.alarm(None);
    match watcher.who(Instant::now() + ANSWER_TIMEOUT) {
        Ok(names) => out.listed_at_end = Some(names.iter().any(|n| n == STALLED)),
        Err(f) => out.failure = Some(format!("/who: {}", f.kind())),
    }
    out
}
