//! Stage 5: TCP is a byte stream, so messages need framing.
//!
//! Stage 3 plus one idea. Its server echoed the bytes of every `read()`, and
//! its client hoped that one `send` on one side is one `recv` on the other.
//! TCP promises no such thing: it carries a stream of bytes, and the reader
//! sees the writer's writes merged (two messages in one read, the "sticky
//! packet" problem, 粘包) or split (half a message now, the rest later). So
//! sender and reader agree on a protocol that marks where each message ends.
//! This stage has the two classic ones, over any `Read`/`Write`:
//!
//! - a **length header**: 4 bytes, big-endian, holding the body's length,
//!   then the body ([`write_frame`], [`read_frame`]); any bytes at all;
//! - a **line**: the body, then `\n` (`\r\n` accepted) ([`write_line`],
//!   [`read_line`]); text you can type with `nc`, but no `\n` inside.
//!
//! Either way a reader returns exactly one message, or "the stream ended" only
//! between messages; a stream that ends mid-message is an error of its own
//! ([`FrameError::EndedMidMessage`]). Both have a size limit, checked before
//! any memory is set aside ([`FrameError::TooLarge`]): a peer announcing a
//! 4 GiB message must not get the server to allocate 4 GiB.
//!
//! The server is stage 3's, a thread per client; its conversation reads and
//! echoes messages instead of reads. The binaries in `src/bin/` add only what a
//! program needs around these functions (the command line, printing, Ctrl-C);
//! the exercise checks in `tests/` run those binaries and call these functions.

use std::fmt;
use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::str::FromStr;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use kit::{Stop, printable};

/// Where the server listens and the client connects when no address is given.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8998";

/// The tutorial's `recv(1024)`: what the naive "one read = one message"
/// reader asks for (see [`read_naively`]).
pub const RECV_SIZE: usize = 1024;

/// The largest message accepted unless `--max-size` says otherwise: 1 MiB.
/// A frame or line over it is refused, and the connection closed.
pub const MAX_SIZE: usize = 1024 * 1024;

/// How many clients may be connected at once unless `--max-clients` says
/// otherwise. Each one costs a thread and a file descriptor (its socket,
/// shared with `kit::Stop` to close it on Ctrl-C); past the cap a
/// client is told the server is full, instead of the server failing to
/// create a thread or running out of file descriptors.
pub const MAX_CLIENTS: usize = 4096;

/// The stack size of each client thread.
///
/// A Rust thread gets 2 MiB of stack unless told otherwise. That is address
/// space reserved, not memory used: the kernel only backs the pages a thread
/// touches. Still, 10,000 clients would reserve 20 GiB, which a strict
/// overcommit setting (`vm.overcommit_memory=2`) refuses, and each stack
/// needs its own memory mapping. A client thread never needs much: its
/// deepest path is converse() -> read_frame/read_line -> read/write/println!,
/// a few KiB, with no recursion; the read buffer and the message live on the
/// heap. Every exercise check passes in a debug build with 16 KiB stacks (the
/// least glibc allows), so 64 KiB is four times what the deepest path was
/// seen to need. Were it ever too small, the thread would hit the guard page
/// below its stack and the process would abort with "has overflowed its
/// stack": a loud failure, never silent memory corruption.
pub const CLIENT_STACK_SIZE: usize = 64 * 1024;

// ANCHOR: errors
/// Why reading a message failed.
#[derive(Debug)]
pub enum FrameError {
    /// The stream ended after part of a message: `got` bytes of the `part`
    /// (`"header"`, `"body"` or `"line"`), which should have had `wanted`
    /// bytes (a line does not say how long it is). The peer crashed, or was
    /// cut off, or does not speak this framing.
    EndedMidMessage {
        part: &'static str,
        got: u64,
        wanted: Option<u64>,
    },
    /// The message is over the limit of `max` bytes. A length header says
    /// how big (`size`); a line is only known to be longer than `max`. Nothing
    /// past the header (or past `max` bytes of the line) was read.
    TooLarge { size: Option<u64>, max: usize },
    /// The connection failed (reset, timeout, ...).
    Io(io::Error),
}
// ANCHOR_END: errors

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::EndedMidMessage {
                part,
                got,
                wanted: Some(wanted),
            } => write!(
                f,
                "the stream ended in the middle of a message: {got} of the {wanted} {part} bytes"
            ),
            FrameError::EndedMidMessage { got, .. } => write!(
                f,
                "the stream ended in the middle of a line: {got} bytes and no newline"
            ),
            FrameError::TooLarge {
                size: Some(size),
                max,
            } => write!(
                f,
                "message too large: {size} bytes announced, over the limit of {max} bytes"
            ),
            FrameError::TooLarge { size: None, max } => {
                write!(f, "line too long: over the limit of {max} bytes")
            }
            FrameError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for FrameError {}

impl From<io::Error> for FrameError {
    fn from(e: io::Error) -> FrameError {
        FrameError::Io(e)
    }
}

/// So that `?` works in a function returning `io::Result`: a cut message is
/// `UnexpectedEof`, a message too large `InvalidData`.
impl From<FrameError> for io::Error {
    fn from(e: FrameError) -> io::Error {
        match e {
            FrameError::Io(e) => e,
            FrameError::EndedMidMessage { .. } => io::Error::new(ErrorKind::UnexpectedEof, e),
            FrameError::TooLarge { .. } => io::Error::new(ErrorKind::InvalidData, e),
        }
    }
}

// ANCHOR: write_frame
/// Writes one message as a 4-byte big-endian length, then the body.
///
/// Python: `s.sendall(struct.pack(">I", len(body)) + body)`
pub fn write_frame(w: &mut impl Write, body: &[u8]) -> io::Result<()> {
    let size = u32::try_from(body.len()).map_err(|_| {
        io::Error::new(
            ErrorKind::InvalidInput,
            "a frame body must be under 4 GiB: its length must fit in 4 bytes",
        )
    })?;
    // Big-endian ("network byte order"): most significant byte first, so 5
    // is 00 00 00 05 on every machine, whatever its CPU's own order.
    let mut frame = Vec::with_capacity(4 + body.len());
    frame.extend_from_slice(&size.to_be_bytes());
    frame.extend_from_slice(body);
    // One write_all, not one for the header and one for the body: two small
    // writes in a row can wait for the peer's delayed ACK (Nagle's algorithm),
    // up to 40 ms per message. write_all loops until every byte is taken,
    // because one write() may take only part of them.
    w.write_all(&frame)
}
// ANCHOR_END: write_frame

// ANCHOR: read_frame
/// Reads one length-prefixed message: `Ok(Some(body))`, or `Ok(None)` when
/// the stream ended cleanly before a new message began.
///
/// A header announcing more than `max` bytes is refused before the body is
/// read or any room is made for it.
pub fn read_frame(r: &mut impl Read, max: usize) -> Result<Option<Vec<u8>>, FrameError> {
    // Python: header = recv_exactly(s, 4); (size,) = struct.unpack(">I", header)
    let mut header = [0u8; 4];
    match read_full(r, &mut header)? {
        0 => return Ok(None),
        4 => {}
        got => {
            return Err(FrameError::EndedMidMessage {
                part: "header",
                got: got as u64,
                wanted: Some(4),
            });
        }
    }
    let size = u64::from(u32::from_be_bytes(header));
    // The peer chose this number. Check it before trusting it: `vec![0; size]`
    // with a hostile 0xFFFFFFFF would ask for 4 GiB, and a failed allocation
    // aborts the whole process, every client with it.
    if size > max as u64 {
        return Err(FrameError::TooLarge {
            size: Some(size),
            max,
        });
    }
    // take(size) stops after exactly `size` bytes, so the next message stays
    // unread. read_to_end grows `body` as bytes arrive: memory follows what
    // the peer really sent, not what it announced.
    let mut body = Vec::new();
    r.take(size).read_to_end(&mut body)?;
    if (body.len() as u64) < size {
        return Err(FrameError::EndedMidMessage {
            part: "body",
            got: body.len() as u64,
            wanted: Some(size),
        });
    }
    Ok(Some(body))
}

/// Reads until `buf` is full or the stream ends; returns how many bytes came.
///
/// `read_exact` loops like this too, but when the stream ends it does not say
/// after how many bytes, and 0 (a clean end) is not 1 to 3 (a cut header).
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            // A signal arrived during the system call (EINTR): nothing was
            // read, try again. read_exact and read_to_end do the same.
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}
// ANCHOR_END: read_frame

// ANCHOR: write_line
/// Writes one message as a line: the body, then `\n`.
///
/// Python: `s.sendall(body + b"\n")`. A body holding `\n` would arrive as two
/// messages, so it is refused.
pub fn write_line(w: &mut impl Write, body: &[u8]) -> io::Result<()> {
    if body.contains(&b'\n') {
        return Err(io::Error::new(
            ErrorKind::InvalidInput,
            "a line cannot contain \\n: the reader would see two messages (use the length framing)",
        ));
    }
    let mut line = Vec::with_capacity(body.len() + 1);
    line.extend_from_slice(body);
    line.push(b'\n');
    w.write_all(&line)
}
// ANCHOR_END: write_line

// ANCHOR: read_line
/// Reads one line and returns it without its `\n` or `\r\n`: `Ok(Some(line))`,
/// or `Ok(None)` when the stream ended cleanly before a new line began.
///
/// A line longer than `max` bytes is refused after reading at most `max + 2`
/// bytes of it. The bytes need not be UTF-8: a line is bytes up to `\n`.
pub fn read_line(r: &mut impl BufRead, max: usize) -> Result<Option<Vec<u8>>, FrameError> {
    // Python: line = f.readline(max + 2), with f = s.makefile("rb")
    // take() bounds the read: without it read_until keeps reading (and
    // growing `line`) for as long as the peer sends bytes without a newline.
    // Room for `max` bytes plus "\r\n".
    let limit = max as u64 + 2;
    let mut line = Vec::new();
    r.take(limit).read_until(b'\n', &mut line)?;
    if line.last() == Some(&b'\n') {
        line.pop();
        // nc, telnet and Windows programs end lines with \r\n.
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        if line.len() > max {
            return Err(FrameError::TooLarge { size: None, max });
        }
        return Ok(Some(line));
    }
    // No newline: either the limit stopped us, or the stream ended.
    if line.len() as u64 == limit {
        return Err(FrameError::TooLarge { size: None, max });
    }
    if line.is_empty() {
        return Ok(None);
    }
    Err(FrameError::EndedMidMessage {
        part: "line",
        got: line.len() as u64,
        wanted: None,
    })
}
// ANCHOR_END: read_line

/// Which framing a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A 4-byte big-endian length, then the body: [`write_frame`], [`read_frame`].
    Length,
    /// The body, then `\n`: [`write_line`], [`read_line`].
    Line,
}

impl FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Mode, String> {
        match s {
            "length" => Ok(Mode::Length),
            "line" => Ok(Mode::Line),
            _ => Err(format!("unknown mode {s:?}: use length or line")),
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Length => "length",
            Mode::Line => "line",
        })
    }
}

/// Writes one message in `mode`'s framing.
pub fn write_message(mode: Mode, w: &mut impl Write, body: &[u8]) -> io::Result<()> {
    match mode {
        Mode::Length => write_frame(w, body),
        Mode::Line => write_line(w, body),
    }
}

/// Reads one message in `mode`'s framing; `Ok(None)` at a clean end of stream.
pub fn read_message(
    mode: Mode,
    r: &mut impl BufRead,
    max: usize,
) -> Result<Option<Vec<u8>>, FrameError> {
    match mode {
        Mode::Length => read_frame(r, max),
        Mode::Line => read_line(r, max),
    }
}

/// How a conversation ended, when it ended normally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The client closed its side between two messages.
    Closed,
    /// Ctrl-C: the server shut the connection down.
    Stopped,
}

/// What a server did before Ctrl-C stopped it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Clients that got a thread and a conversation.
    pub served: u64,
    /// Clients told the server was full.
    pub refused: u64,
    /// Clients still connected when Ctrl-C came; their connections were closed.
    pub closed_at_stop: usize,
}

/// How the server frames messages: which framing, and the size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Framing {
    pub mode: Mode,
    pub max_size: usize,
}

// ANCHOR: serve
/// Serves every client at once, each in its own thread, until Ctrl-C.
pub fn serve(
    listener: &TcpListener,
    stop: &Stop,
    max_clients: usize,
    framing: Framing,
) -> io::Result<Summary> {
    let mut served = 0;
    let mut refused = 0;
    let live = Live::default();
    // Python: while True:
    loop {
        // Python: conn, client_addr = s.accept()
        // Blocks until a client is in the listen backlog. With a thread per
        // client we are back here at once, so nobody waits there for long.
        let (conn, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(e) => {
                // Most often "too many open files" (EMFILE): every file
                // descriptor this process may have is in use. That is no
                // reason to drop the clients we have. The waiting connection
                // stays in the backlog, so pause instead of failing again at
                // once in a busy loop; a client that leaves frees a descriptor.
                println!("accept failed: {e}; retrying in 100 ms");
                thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        if stop.requested() {
            // The "client" is the Ctrl-C handler waking us up (see kit::Stop).
            break;
        }
        if live.count() >= max_clients {
            refused += 1;
            refuse(conn, peer, max_clients, framing.mode);
            continue;
        }
        served += 1;
        println!("connection from {peer}");
        // The conversation runs in a thread of its own; this loop goes
        // straight back to accept(). The guard counts the client as live
        // until its thread ends, whichever way it ends (a panic included).
        let guard = live.enter();
        let stop = stop.clone();
        let spawned = thread::Builder::new()
            .name(format!("client {}", peer.port()))
            .stack_size(CLIENT_STACK_SIZE)
            .spawn(move || {
                let ended = converse(conn, peer, &stop, framing);
                guard.leave(format_args!("{peer}: {}", describe(&ended, &stop)));
            });
        // We drop the JoinHandle, which detaches the thread: when it ends,
        // the OS frees its stack at once. Keeping handles to join() later
        // would hold every finished thread's stack and result until then, a
        // leak that grows with every client a long-running server sees.
        // Detached threads are not forgotten: `live` counts them, so the cap
        // works and Ctrl-C can wait for them.
        if let Err(e) = spawned {
            // Out of threads or memory: the closure, and with it the
            // connection and the guard, was dropped, so the client is closed.
            println!("{peer}: cannot start a thread ({e}); connection closed");
        }
    }
    // Ctrl-C shut every client's connection down (kit::Stop), so each thread
    // is leaving its read() now; give them a moment to say so in the log.
    let closed_at_stop = live.count();
    live.wait_until_none(Duration::from_millis(500));
    Ok(Summary {
        served,
        refused,
        closed_at_stop,
    })
}
// ANCHOR_END: serve

// ANCHOR: refuse
/// Tells a client over the cap that the server is full, and closes.
fn refuse(mut conn: TcpStream, peer: SocketAddr, max_clients: usize, mode: Mode) {
    println!("{peer}: refused, {max_clients} clients already connected (--max-clients)");
    // A short write to a new connection only fills its empty send buffer: it
    // cannot block. If the client is already gone, there is nobody to tell.
    let _ = write_message(
        mode,
        &mut conn,
        format!("error: server full ({max_clients} clients connected), try again later").as_bytes(),
    );
    // `conn` is dropped here: the client reads the message, then end of stream.
}
// ANCHOR_END: refuse

/// The number of client threads running, to cap them and to wait for them.
#[derive(Clone, Default)]
struct Live(Arc<(Mutex<usize>, Condvar)>);

impl Live {
    fn lock(&self) -> MutexGuard<'_, usize> {
        // Only `+= 1` and `-= 1` run under this lock; they cannot panic, so
        // a poisoned lock still holds a correct count.
        self.0.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn count(&self) -> usize {
        *self.lock()
    }

    fn enter(&self) -> LiveGuard {
        *self.lock() += 1;
        LiveGuard {
            live: self.clone(),
            counted: true,
        }
    }

    fn wait_until_none(&self, limit: Duration) {
        let count = self.lock();
        let _ = self.0.1.wait_timeout_while(count, limit, |n| *n > 0);
    }
}

/// One live client; dropping it (when the thread ends, a panic included)
/// counts the client out.
struct LiveGuard {
    live: Live,
    counted: bool,
}

impl LiveGuard {
    /// Logs the client's last line and counts it out in one step, under the
    /// lock: whoever reads that line can count on the place being free, and
    /// the summary after Ctrl-C comes after every client's last line.
    fn leave(mut self, last_line: std::fmt::Arguments) {
        let mut count = self.live.lock();
        println!("{last_line}");
        *count -= 1;
        self.counted = false;
        self.live.0.1.notify_all();
    }
}

impl Drop for LiveGuard {
    fn drop(&mut self) {
        if self.counted {
            *self.live.lock() -= 1;
            self.live.0.1.notify_all();
        }
    }
}

// ANCHOR: converse
/// One conversation: read messages and echo each back as a message of the
/// same framing, until the client closes between two messages. A message
/// over the limit gets one error message back, then the connection is
/// closed. The connection is closed when this returns.
///
/// Stage 3's `q` is gone: with framing, `q` is a message like any other, to be
/// echoed, and a clean end of stream between messages says "goodbye".
pub fn converse(
    conn: TcpStream,
    peer: SocketAddr,
    stop: &Stop,
    framing: Framing,
) -> Result<End, FrameError> {
    // If Ctrl-C comes while we wait in read(), shut this connection down so
    // the read returns; the guard forgets the connection when it is dropped.
    // With thousands of clients, file descriptors run out before memory
    // does, so the Ctrl-C handler shares this one socket through an `Arc`
    // instead of a copy of it (stage 2's `close_on_stop`, one more
    // descriptor per client).
    let conn = Arc::new(conn);
    let _watch = stop.close_on_stop_shared(&conn);
    // One read() may bring the end of one message and the start of the next:
    // the BufReader keeps what was read but not yet used, for the next call.
    // (`&TcpStream` reads and writes, so one socket serves both.)
    let mut reader = BufReader::new(&*conn);
    let mut writer = &*conn;
    // Python: while True:
    loop {
        // Python: body = recv_exactly(conn, n) after the 4-byte header, or
        // f.readline() on f = conn.makefile("rb"): however many reads it takes.
        let read = read_message(framing.mode, &mut reader, framing.max_size);
        if stop.requested() {
            return Ok(End::Stopped);
        }
        let message = match read {
            Ok(Some(message)) => message,
            // The client closed its side between two messages: a clean end.
            Ok(None) => return Ok(End::Closed),
            Err(e @ FrameError::TooLarge { .. }) => {
                // A frame's body was not read (it may be 4 GiB) and a line
                // was not read to its end, so nothing after this could be
                // found: tell the client, in its own framing, and close.
                let _ = write_message(framing.mode, &mut writer, format!("error: {e}").as_bytes());
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        match message.len() {
            0 => println!("{peer} sent an empty message"),
            n => println!("{peer} sent a message of {n} bytes: {}", preview(&message)),
        }
        // The echo, framed like the message: the client's reader finds its end.
        write_message(framing.mode, &mut writer, &message)?;
    }
    // Python: conn.close(). The socket is closed when its last `Arc` is
    // dropped, as this function returns: the kernel sends FIN and the
    // client's next read returns 0.
}
// ANCHOR_END: converse

/// One line for the server's log saying how a conversation ended.
///
/// An error is about this one client, never a reason to stop the server:
/// Python's `except ConnectionResetError: break`.
pub fn describe(ended: &Result<End, FrameError>, stop: &Stop) -> String {
    match ended {
        Ok(End::Closed) => "closed the connection".into(),
        Ok(End::Stopped) => "connection closed by Ctrl-C".into(),
        // Shutting the connection down on Ctrl-C can make a write fail too.
        Err(_) if stop.requested() => "connection closed by Ctrl-C".into(),
        Err(e @ FrameError::TooLarge { .. }) => format!("{e}; told it, connection closed"),
        Err(e @ FrameError::EndedMidMessage { .. }) => e.to_string(),
        Err(FrameError::Io(e)) if e.kind() == ErrorKind::ConnectionReset => {
            "reset the connection (it closed with data we had not read, or crashed)".into()
        }
        Err(FrameError::Io(e)) if e.kind() == ErrorKind::BrokenPipe => {
            "went away before our reply was written (broken pipe)".into()
        }
        Err(FrameError::Io(e)) => format!("connection failed: {e}"),
    }
}

/// The start of what a peer sent, made safe to print (see `kit::printable`).
fn preview(data: &[u8]) -> String {
    const SHOWN: usize = 60;
    match data.len() > SHOWN {
        true => format!("{}...", printable(&data[..SHOWN])),
        false => printable(data),
    }
}

// ANCHOR: round_trip
/// Client side: sends one message and reads one reply, both framed.
///
/// `conn` is the connection wrapped in a `BufReader`, which keeps bytes read
/// past one reply for the next; writes go to the connection underneath.
pub fn round_trip<S: Read + Write>(
    conn: &mut BufReader<S>,
    mode: Mode,
    message: &[u8],
) -> Result<Vec<u8>, FrameError> {
    write_message(mode, conn.get_mut(), message)?;
    // No loop counting bytes as in stage 3: the framing says where the reply
    // ends, however many reads it takes.
    match read_message(mode, conn, MAX_SIZE)? {
        Some(reply) => Ok(reply),
        None => Err(FrameError::Io(io::Error::new(
            ErrorKind::UnexpectedEof,
            "the server closed the connection",
        ))),
    }
}
// ANCHOR_END: round_trip

// ANCHOR: read_naively
/// The tutorial's reader, for `--naive`: each `recv(1024)` taken as one
/// message, up to `count` of them. Stops early when a read finds nothing
/// within `patience`: that reader would block there forever.
pub fn read_naively(
    stream: &TcpStream,
    count: usize,
    patience: Duration,
) -> io::Result<Vec<Vec<u8>>> {
    let mut stream = stream;
    stream.set_read_timeout(Some(patience))?;
    let mut reads = Vec::new();
    let mut buf = [0u8; RECV_SIZE];
    while reads.len() < count {
        // Python: data = s.recv(1024)   # "one message", or so it hopes
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => reads.push(buf[..n].to_vec()),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => break,
            Err(e) => return Err(e),
        }
    }
    stream.set_read_timeout(None)?;
    Ok(reads)
}
// ANCHOR_END: read_naively

/// Waits (at most `limit`) until `bytes` bytes are waiting in the receive
/// buffer, without taking them: `peek` (Python: `s.recv(n, socket.MSG_PEEK)`)
/// looks without consuming. `--naive` uses it so that all the replies have
/// arrived before it reads, as they pile up on any busy program or slow
/// network; without it the demo would depend on luck.
pub fn wait_until_waiting(stream: &TcpStream, bytes: usize, limit: Duration) -> io::Result<()> {
    let deadline = Instant::now() + limit;
    let mut buf = vec![0u8; bytes];
    stream.set_read_timeout(Some(limit))?;
    loop {
        let n = stream.peek(&mut buf)?;
        if n >= bytes || n == 0 || Instant::now() >= deadline {
            break;
        }
        thread::sleep(Duration::from_millis(5));
    }
    stream.set_read_timeout(None)
}
