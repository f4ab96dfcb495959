//! Connections: `--max-clients N`. The attack: open connections until the
//! server runs out of threads or memory. Each connection takes a *slot*, or
//! is told the room is full and closed. A slot is given back when dropped,
//! as the client's thread ends, however it ends: a count decreased by hand
//! is the classic leak, one way out that forgets it.

use std::io::{self, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::{count, error_line};

pub const MAX_CLIENTS: usize = 1024;

// practice: rung 1, lessons/07-hardened-chat.md#connections---max-clients
/// A place for one more client, if one of `max` is free. Each place taken
/// is a clone of `slots` (so its count of clones counts them), and gives
/// itself back when dropped. (Only the accept loop takes places.)
pub fn take(slots: &Arc<()>, max: usize) -> Option<Arc<()>> {
    let slot = slots.clone();
    (Arc::strong_count(&slot) - 1 <= max).then_some(slot)
}

/// Waits until every place is free again, at most `limit`.
pub fn wait_empty(slots: &Arc<()>, limit: Duration) {
    let until = Instant::now() + limit;
    while Arc::strong_count(slots) > 1 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Tells a client a bound keeps it out (a short write to a new connection
/// never waits), and ends the connection, reading what it sent (`linger`).
pub fn refuse(mut conn: &TcpStream, peer: SocketAddr, bound: &'static str, why: &str) {
    count(bound);
    log!("{peer}: refused: {why}");
    let _ = conn.write_all(error_line(why).as_bytes());
    let _ = conn.shutdown(Shutdown::Write);
    let _ = conn.set_nonblocking(true);
    let _ = io::copy(&mut conn, &mut io::sink());
}
