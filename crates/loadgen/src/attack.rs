//! The attacks of lesson 07: what a hostile or broken client can do to a
//! chat room, each one command with numbers at the end.
//!
//! - [`dribble`]: slowloris, connections that never finish their first line;
//! - [`flood`]: one client sends lines as fast as TCP lets it;
//! - [`stall`]: one client joins and never reads;
//! - [`storm`]: clients that join, talk and reset, wave after wave.
//!
//! (`hold --chat` is the fifth: thousands of clients joining at once.)
//!
//! They speak the contract's chat protocol and nothing else, so the same
//! command attacks `chat-server` (stage 6), `hardened-chat-server` (stage 7)
//! or the Python peer. Every wait has a deadline: a server that stops
//! answering shows up in the report as "hung", never as a hanging loadgen.

use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use kit::{Cli, Error};

use crate::chat::{LINE_LIMIT, Line};
use crate::report::{Report, kind_name};
use crate::run::{Bounded, is_timeout, left, ticking};

pub mod dribble;
pub mod flood;
pub mod stall;
pub mod storm;

/// The attack cases, as `loadgen` names them.
pub const CASES: [&str; 4] = ["dribble", "flood", "stall", "storm"];

/// How long a fresh client waits for the room's answer (its join, its
/// message, `/who`) before it calls the server hung.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(2);

/// One attack, read from the command line.
pub enum Attack {
    Dribble(dribble::Dribble),
    Flood(flood::Flood),
    Stall(stall::Stall),
    Storm(storm::Storm),
}

impl Attack {
    /// Takes the case's options out of `cli`; `case` is one of [`CASES`].
    pub fn from_cli(
        case: &str,
        cli: &mut Cli,
        secs: Duration,
        progress: bool,
    ) -> kit::Result<Attack> {
        let ms = |v: Option<u64>, default: u64, name: &str| -> kit::Result<Duration> {
            Ok(Duration::from_millis(count(v, default, name)?))
        };
        Ok(match case {
            "dribble" => Attack::Dribble(dribble::Dribble {
                conns: count(cli.value("--conns")?, 100, "--conns")? as usize,
                interval: ms(cli.value("--interval-ms")?, 1000, "--interval-ms")?,
                probe_every: ms(cli.value("--probe-ms")?, 1000, "--probe-ms")?,
                pid: cli.value("--pid")?,
                secs,
                progress,
            }),
            "flood" => Attack::Flood(flood::Flood {
                readers: count(cli.value("--readers")?, 20, "--readers")? as usize,
                lines: count(cli.value("--lines")?, 50_000, "--lines")?,
                deaf: cli.flag("--deaf"),
                secs,
                progress,
            }),
            "stall" => Attack::Stall(stall::Stall {
                clients: count(cli.value("--clients")?, 10, "--clients")? as usize,
                rate: match cli.value::<f64>("--rate")?.unwrap_or(100.0) {
                    r if r > 0.0 && r.is_finite() => r,
                    _ => return Err(Error::Usage("--rate must be above 0".into())),
                },
                size: cli.value("--size")?.unwrap_or(10_000),
                secs,
                progress,
            }),
            "storm" => Attack::Storm(storm::Storm {
                clients: count(cli.value("--clients")?, 100, "--clients")? as usize,
                lines: count(cli.value("--lines")?, 5, "--lines")?,
                waves: count(cli.value("--waves")?, 5, "--waves")? as usize,
                pid: cli.value("--pid")?,
                settle: Duration::from_secs_f64(match cli.value::<f64>("--settle-secs")? {
                    None => 3.0,
                    Some(s) if s >= 0.0 && s.is_finite() => s,
                    Some(_) => return Err(Error::Usage("--settle-secs must be 0 or more".into())),
                }),
                secs,
                progress,
            }),
            other => return Err(Error::Usage(format!("'{other}' is not an attack"))),
        })
    }

    pub fn run(&self, addr: &str) -> io::Result<Report> {
        let server = crate::run::resolve(addr)?;
        match self {
            Attack::Dribble(cfg) => dribble::run(cfg, server),
            Attack::Flood(cfg) => flood::run(cfg, server),
            Attack::Stall(cfg) => stall::run(cfg, server),
            Attack::Storm(cfg) => storm::run(cfg, server),
        }
    }
}

fn count(v: Option<u64>, default: u64, name: &str) -> kit::Result<u64> {
    match v.unwrap_or(default) {
        0 => Err(Error::Usage(format!("{name} must be at least 1"))),
        n => Ok(n),
    }
}

/// Why a chat client did not get what it asked for. [`Failure::kind`] is
/// the name it is counted under in a report.
#[derive(Debug)]
pub enum Failure {
    /// The server answered `{"error": ...}`.
    Refused(String),
    /// The server closed the connection (end of stream) without answering.
    Closed,
    /// No answer before the deadline: the server is alive (the connection
    /// is open) but does not answer.
    Hung,
    /// Anything else: connection refused, reset, ...
    Io(String),
}

impl Failure {
    pub fn kind(&self) -> String {
        match self {
            Failure::Refused(why) => {
                // The kind is a counter's name: keep it short and stable
                // (a room-full message may carry a number that changes).
                let short: String = why.chars().take(60).collect();
                format!("refused: {short}")
            }
            Failure::Closed => "closed without an answer".into(),
            Failure::Hung => "no answer (hung)".into(),
            Failure::Io(kind) => kind.clone(),
        }
    }

    pub(crate) fn from_io(e: io::Error) -> Failure {
        match e.kind() {
            _ if is_timeout(&e) => Failure::Hung,
            ErrorKind::UnexpectedEof => Failure::Closed,
            _ => Failure::Io(kind_name(&e)),
        }
    }
}

/// One chat client: a connection, its name once joined, and a buffered
/// reader whose every read ends by a deadline.
pub struct Peer {
    pub name: String,
    pub stream: TcpStream,
    reader: BufReader<Bounded<TcpStream>>,
    /// What arrived of a line not yet complete.
    partial: String,
}

impl Peer {
    /// Connects (with [`crate::run::TICK`] timeouts on the socket).
    pub fn connect(server: SocketAddr, until: Instant) -> Result<Peer, Failure> {
        let io = |e: io::Error| Failure::Io(format!("connect: {}", kind_name(&e)));
        let stream = TcpStream::connect_timeout(&server, left(until)).map_err(io)?;
        let _ = stream.set_nodelay(true);
        ticking(&stream).map_err(io)?;
        let reader = BufReader::new(Bounded::new(stream.try_clone().map_err(io)?, until));
        Ok(Peer {
            name: String::new(),
            stream,
            reader,
            partial: String::new(),
        })
    }

    /// Connects and joins the room as `name`: says `hello` and waits until
    /// the room sends it back (from then on this client hears everyone).
    pub fn join(server: SocketAddr, name: &str, until: Instant) -> Result<Peer, Failure> {
        let mut peer = Peer::connect(server, until)?;
        peer.name = name.to_string();
        peer.say("hello", until)?;
        peer.wait_for(until, |l| l.msg.as_deref() == Some("hello"))?;
        Ok(peer)
    }

    /// Makes a read that has waited one tick return [`Failure::Hung`]
    /// once `alarm` is set, so the caller can decide whether to wait on.
    pub fn alarm(&mut self, alarm: Option<Arc<AtomicBool>>) {
        self.reader.get_mut().alarm = alarm;
    }

    /// Sends one message under this client's name.
    pub fn say(&mut self, msg: &str, until: Instant) -> Result<(), Failure> {
        let line = message(&self.name, msg);
        Bounded::new(&self.stream, until)
            .write_all(line.as_bytes())
            .map_err(Failure::from_io)
    }

    /// The next JSON line from the server (other lines are skipped).
    pub fn line(&mut self, until: Instant) -> Result<Line, Failure> {
        self.reader.get_mut().deadline = until;
        loop {
            let n = (&mut self.reader)
                .take(LINE_LIMIT)
                .read_line(&mut self.partial)
                .map_err(Failure::from_io)?;
            if n == 0 {
                return Err(Failure::Closed);
            }
            if !self.partial.ends_with('\n') {
                continue;
            }
            let parsed = serde_json::from_str::<Line>(&self.partial);
            self.partial.clear();
            if let Ok(line) = parsed {
                return Ok(line);
            }
        }
    }

    /// Reads until a line from this client's own name that `want` accepts;
    /// an error line from the server is a refusal.
    pub fn wait_for(
        &mut self,
        until: Instant,
        mut want: impl FnMut(&Line) -> bool,
    ) -> Result<Line, Failure> {
        loop {
            let line = self.line(until)?;
            if let Some(why) = line.error {
                return Err(Failure::Refused(why));
            }
            if line.name.as_deref() == Some(self.name.as_str()) && want(&line) {
                return Ok(line);
            }
        }
    }

    /// Asks `/who`; the names online, as the server lists them.
    pub fn who(&mut self, until: Instant) -> Result<Vec<String>, Failure> {
        self.say("/who", until)?;
        loop {
            let line = self.line(until)?;
            if let Some(why) = line.error {
                return Err(Failure::Refused(why));
            }
            if let Some(names) = who_names(&line) {
                return Ok(names);
            }
        }
    }
}

/// `{"name": ..., "msg": ...}` and a newline.
pub fn message(name: &str, msg: &str) -> String {
    let mut line = serde_json::json!({ "name": name, "msg": msg }).to_string();
    line.push('\n');
    line
}

/// The names in an answer to `/who` (`online: a, b, c`), if `line` is one.
pub fn who_names(line: &Line) -> Option<Vec<String>> {
    if line.name.as_deref() != Some("server") {
        return None;
    }
    let list = line.msg.as_deref()?.strip_prefix("online:")?.trim();
    Some(match list {
        "" => Vec::new(),
        list => list.split(", ").map(str::to_string).collect(),
    })
}

/// Seconds, rounded to milliseconds, for the JSON line.
pub fn secs(d: Duration) -> f64 {
    crate::report::round3(d.as_secs_f64())
}

/// The median and the largest of some durations, as "1.02 s (max 1.10 s)".
pub fn median_max(durations: &mut [Duration]) -> Option<(Duration, Duration)> {
    durations.sort_unstable();
    Some((
        *durations.get(durations.len().checked_sub(1)? / 2)?,
        *durations.last()?,
    ))
}

/// A read that found nothing to read on a non-blocking socket.
pub fn would_block(e: &io::Error) -> bool {
    e.kind() == ErrorKind::WouldBlock
}

/// What a non-blocking socket has for us right now.
pub enum Poll {
    /// Nothing new; still open.
    Quiet,
    /// Some bytes (appended to the buffer given).
    Data,
    /// End of stream or an error: the server closed the connection.
    Closed,
}

/// Reads whatever a non-blocking socket holds, into `into`.
pub fn poll(stream: &mut TcpStream, into: &mut Vec<u8>) -> Poll {
    let mut buf = [0u8; 4096];
    let mut got = false;
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Poll::Closed,
            Ok(n) => {
                got = true;
                // Keep what might hold an error line; a dribbler never needs
                // more than the first few KiB the server sends it.
                if into.len() < 64 * 1024 {
                    into.extend_from_slice(&buf[..n]);
                }
            }
            Err(e) if would_block(&e) => return if got { Poll::Data } else { Poll::Quiet },
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return Poll::Closed,
        }
    }
}

/// The first `{"error": ...}` in what a server sent, if any.
pub fn error_in(bytes: &[u8]) -> Option<String> {
    bytes
        .split(|&b| b == b'\n')
        .filter_map(|l| serde_json::from_slice::<Line>(l).ok())
        .find_map(|l| l.error)
}
