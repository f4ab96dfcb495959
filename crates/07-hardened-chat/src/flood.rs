//! Flood control. The attack: a client sends faster than the room passes
//! lines on; in stage 6 the queues fill, and *readers* are cut off as too
//! slow. Here the sender's thread, after each message, waits while some
//! queue is over half full: it reads the next line later, and TCP makes the
//! flooder alone wait. A writer stuck on one batch for over [`STALL`] is
//! not waited for: its client stopped reading; its queue will overflow.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::mpsc::{SyncSender, TrySendError};
use std::time::{Duration, Instant};

use crate::{GATHER, SharedRoom, lock};

pub const STALL: Duration = Duration::from_millis(500);

/// What the room knows of one client's writer.
#[derive(Default)]
pub struct Flow {
    /// Lines queued: up as the room queues one, down as the writer takes
    /// them; never reset, so no race can lose a count.
    queued: AtomicUsize,
    /// When its batch began ([`millis`] + 1); 0 while it waits for lines.
    busy_since: AtomicU64,
}

impl Flow {
    /// Queues `line`, at once or not at all.
    pub fn queue<T>(&self, outbox: &SyncSender<T>, line: T) -> Result<(), TrySendError<T>> {
        self.queued.fetch_add(1, Relaxed);
        let queued = outbox.try_send(line);
        self.queued.fetch_sub(usize::from(queued.is_err()), Relaxed);
        queued
    }

    /// The writer took `n` lines, and is sending them (`busy`) or waiting.
    pub fn taken(&self, n: usize, busy: bool) {
        self.queued.fetch_sub(n, Relaxed);
        let since = if busy { millis() + 1 } else { 0 };
        self.busy_since.store(since, Relaxed);
    }

    // practice: rung 4, lessons/07-hardened-chat.md#a-flood
    /// Lines this client is behind by: its queue, or 0 when its writer has
    /// been stuck on one batch (or ended) for over [`STALL`].
    pub fn behind(&self) -> usize {
        let since = self.busy_since.load(Relaxed);
        if since > 0 && millis() + 1 - since > STALL.as_millis() as u64 {
            return 0;
        }
        self.queued.load(Relaxed)
    }
}

/// Milliseconds since the first call: an `Instant` that fits an atomic.
fn millis() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_millis() as u64
}

// practice: rung 4, lessons/07-hardened-chat.md#a-flood
/// After client `id`'s message was passed on: waits while the room is more
/// than `limit` lines behind, and `id` still in it (Ctrl-C empties it).
pub fn hold_back(room: &SharedRoom, id: u64, limit: usize) {
    loop {
        let room = lock(room);
        let behind = room.members.iter().map(|m| m.flow.behind()).max();
        let here = room.members.iter().any(|m| m.id == id && m.conn.is_some());
        if !here || behind.unwrap_or(0) <= limit {
            return;
        }
        drop(room);
        std::thread::sleep(GATHER);
    }
}
