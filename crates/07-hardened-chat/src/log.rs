//! A log nobody reads. The fault: once the pipe of the server's output is
//! full, `println!` waits, and so does the thread that logs, holding what
//! it holds: every server of stages 1-6 froze after a few hundred lines.
//! Here one thread prints from a bounded queue; a line that finds it full
//! is dropped and counted. A *closed* output still ends the program (kit).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread;
use std::time::{Duration, Instant};

/// `log!("connection from {peer}")`: `println!`, through the queue.
macro_rules! log {
    ($($arg:tt)*) => { $crate::log::line(format!($($arg)*)) };
}

static LOGGER: OnceLock<SyncSender<String>> = OnceLock::new();
static QUEUED: AtomicU64 = AtomicU64::new(0);
static PRINTED: AtomicU64 = AtomicU64::new(0);
/// Log lines dropped, for the summary.
pub static DROPPED: AtomicU64 = AtomicU64::new(0);

/// Starts the thread that prints; until then, [`line`] prints at once.
pub fn start() -> std::io::Result<()> {
    let (queue, lines) = sync_channel::<String>(4096);
    thread::Builder::new().spawn(move || {
        let mut told = 0;
        for line in lines {
            println!("{line}");
            PRINTED.fetch_add(1, Relaxed);
            if DROPPED.load(Relaxed) > told {
                told = DROPPED.load(Relaxed);
                println!("({told} log lines dropped so far: nobody read this output)");
            }
        }
    })?;
    let _ = LOGGER.set(queue);
    Ok(())
}

// practice: rung 7, lessons/07-hardened-chat.md#a-log-nobody-reads
/// Logs `text`, never waiting: when the queue is full, it is dropped.
pub fn line(text: String) {
    let Some(logger) = LOGGER.get() else {
        return println!("{text}");
    };
    match logger.try_send(text) {
        Ok(()) => QUEUED.fetch_add(1, Relaxed),
        Err(_) => DROPPED.fetch_add(1, Relaxed),
    };
}

/// Waits until every line queued is printed, at most `limit`.
pub fn flush(limit: Duration) {
    let until = Instant::now() + limit;
    while PRINTED.load(Relaxed) < QUEUED.load(Relaxed) && Instant::now() < until {
        thread::sleep(Duration::from_millis(1));
    }
}
