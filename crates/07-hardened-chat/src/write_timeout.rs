//! Time to take our bytes: `--write-timeout SECS`. The fault: a client that
//! stops reading in a quiet room, whose queue may never fill. The socket's
//! own timeout (SO_SNDTIMEO) fails only a write that moved *no* byte for so
//! long, and a big write into a nearly full buffer keeps moving a few: it
//! never fired when measured. So the clock runs over a whole batch of lines.

use std::io::{self, ErrorKind, IoSlice, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

// practice: rung 3, lessons/07-hardened-chat.md#time-to-take-our-bytes---write-timeout
/// Sends `lines`, in one `writev()` if the socket takes them all, or fails
/// with `TimedOut` after `limit`. A `write()` that blocks must come back
/// to look at the clock: the socket's own write timeout is kept short.
pub fn write_lines(mut conn: &TcpStream, lines: &[Arc<str>], limit: Duration) -> io::Result<()> {
    let started = Instant::now();
    let mut slices: Vec<_> = lines.iter().map(|l| IoSlice::new(l.as_bytes())).collect();
    let mut left = &mut slices[..];
    while !left.is_empty() {
        if started.elapsed() >= limit {
            let why = format!("took not all of our lines in {limit:?}");
            return Err(io::Error::new(ErrorKind::TimedOut, why));
        }
        match conn.write_vectored(left) {
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut left, n),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
