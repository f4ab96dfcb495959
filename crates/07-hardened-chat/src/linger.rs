//! Lingering close, after a line too long or a join too late. The fault:
//! closing a socket with bytes unread makes the kernel send a reset (RST),
//! not an orderly end (FIN), and a reset can destroy our error line before
//! the client reads it. So the writer ends with FIN only, and what the
//! client still sends is read and dropped, for a while, before closing.

use std::io::{self, ErrorKind, Read};
use std::net::TcpStream;
use std::time::Duration;

use crate::{End, join::Deadline};

pub const LINGER: Duration = Duration::from_millis(500);
pub const LINGER_BYTES: u64 = 1024 * 1024;

/// Whether a conversation ended with an error line that should arrive.
pub fn wanted(ended: &io::Result<End>) -> bool {
    matches!(ended, Err(e) if matches!(e.kind(), ErrorKind::InvalidData | ErrorKind::TimedOut))
}

// practice: rung 5, lessons/07-hardened-chat.md#lingering-close
/// Reads and drops what the client sends until it closes, at most
/// [`LINGER_BYTES`] for at most [`LINGER`].
pub fn drain(conn: &TcpStream) {
    let mut rest = Deadline::new(conn, LINGER).take(LINGER_BYTES);
    let _ = io::copy(&mut rest, &mut io::sink());
}
