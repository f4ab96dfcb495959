//! Time to join: `--join-timeout SECS`. The attack is slowloris: connect,
//! then send a first line one byte at a time, never ending it; each such
//! connection holds a place and two threads. A read timeout cannot catch
//! it: it fires only when no byte came for that long. So every read until
//! the client joins ends by one deadline, counted from the `accept`.

use std::io::{self, ErrorKind, Read};
use std::net::TcpStream;
use std::time::{Duration, Instant};

pub const JOIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Reads from a connection, each ending by one deadline until `joined`.
pub struct Deadline<'a>(&'a TcpStream, Option<Instant>);

impl<'a> Deadline<'a> {
    pub fn new(conn: &'a TcpStream, timeout: Duration) -> Deadline<'a> {
        Deadline(conn, Some(Instant::now() + timeout))
    }

    /// The client joined: no deadline any more.
    pub fn joined(&mut self) -> io::Result<()> {
        match self.1.take() {
            Some(_) => self.0.set_read_timeout(None),
            None => Ok(()),
        }
    }
}

impl Read for Deadline<'_> {
    // practice: rung 2, lessons/07-hardened-chat.md#time-to-join---join-timeout
    /// One read, waiting at most until the deadline; past it, `TimedOut`.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut conn = self.0;
        let Some(until) = self.1 else {
            return conn.read(buf);
        };
        // What is left of the time, not the whole timeout again: a byte
        // that comes buys the dribbler no time.
        let left = until.saturating_duration_since(Instant::now());
        if !left.is_zero() {
            conn.set_read_timeout(Some(left))?;
            match conn.read(buf) {
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                done => return done,
            }
        }
        let why = "no complete first line in time (--join-timeout): send it as you connect";
        Err(io::Error::new(ErrorKind::TimedOut, why))
    }
}
