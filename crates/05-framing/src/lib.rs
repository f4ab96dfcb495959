//! Stage 5: TCP is a byte stream, so messages need framing.
//!
//! Stage 3 plus one idea: both sides mark where each message ends, with a
//! 4-byte big-endian length ([`write_frame`], [`read_frame`]) or a `\n`
//! ([`write_line`], [`read_line`]). The server answers messages, not reads.

use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;

use kit::{Stop, printable};

/// Where the server listens and the client connects when no address is given.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8998";

/// The largest message accepted unless `--max-size` says otherwise: 1 MiB.
pub const MAX_SIZE: usize = 1024 * 1024;

/// What the server answers each message with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// The same bytes back: an echo.
    Echo,
    /// A line typed at the server (`--stdin`), as the tutorial's `input()`.
    Typed,
}

/// How a conversation ended, when it ended normally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The client closed its side: a read returned 0 bytes.
    Closed,
    /// Ctrl-C: the server shut the connection down.
    Stopped,
}

// practice: rung 1, lessons/05-framing.md#the-rust
// ANCHOR: write_frame
/// Writes one message: its length in 4 bytes, big-endian, then the body.
/// Python: `s.sendall(struct.pack(">I", len(body)) + body)`
pub fn write_frame(w: &mut impl Write, body: &[u8]) -> io::Result<()> {
    let Ok(size) = u32::try_from(body.len()) else {
        let why = "a frame's body must be under 4 GiB: its length must fit in 4 bytes";
        return Err(io::Error::new(ErrorKind::InvalidInput, why));
    };
    // Big-endian ("network order"): 5 is 00 00 00 05 on every machine. One
    // write_all: header and body as two writes can wait 40 ms (Nagle, ACKs).
    w.write_all(&[&size.to_be_bytes()[..], body].concat())
}
// ANCHOR_END: write_frame

// practice: rung 1, lessons/05-framing.md#the-rust
// ANCHOR: read_frame
/// Reads one message: `Ok(Some(body))`, or `Ok(None)` when the stream ended
/// cleanly before a new one began. Over `max` bytes: refused, body unread.
pub fn read_frame(r: &mut impl Read, max: usize) -> io::Result<Option<Vec<u8>>> {
    // Python: header = recv_exactly(s, 4). read_to_end calls read() until
    // take(4) has 4 bytes or the stream ends (and again after EINTR).
    let mut header = Vec::new();
    r.take(4).read_to_end(&mut header)?;
    let size = match header[..] {
        [] => return Ok(None),
        [a, b, c, d] => u64::from(u32::from_be_bytes([a, b, c, d])),
        _ => return Err(cut(format!("{} of the 4 header bytes", header.len()))),
    };
    // The peer chose this number: check it before trusting it. vec![0; size]
    // with ff ff ff ff asks for 4 GiB; a failed allocation aborts the process.
    if size > max as u64 {
        let shown = printable(&header);
        let why = format!("message too large: header \"{shown}\" says {size} bytes; limit {max}");
        return Err(io::Error::new(ErrorKind::InvalidData, why));
    }
    // take(size) stops where the next message starts; `body` grows as bytes
    // arrive: memory follows what the peer really sent, not what it announced.
    let mut body = Vec::new();
    r.take(size).read_to_end(&mut body)?;
    if (body.len() as u64) < size {
        return Err(cut(format!("{} of the {size} body bytes", body.len())));
    }
    Ok(Some(body))
}

fn cut(what: String) -> io::Error {
    let why = format!("the stream ended in the middle of a message: {what}");
    io::Error::new(ErrorKind::UnexpectedEof, why)
}
// ANCHOR_END: read_frame

// practice: rung 2, lessons/05-framing.md#the-rust
// ANCHOR: write_line
/// Writes one message as a line: the body, then `\n`. Python:
/// `s.sendall(body + b"\n")`. A `\n` inside would make two messages: refused.
pub fn write_line(w: &mut impl Write, body: &[u8]) -> io::Result<()> {
    if body.contains(&b'\n') {
        let why = "a line cannot contain \\n: the reader would see two messages";
        return Err(io::Error::new(ErrorKind::InvalidInput, why));
    }
    w.write_all(&[body, b"\n"].concat())
}
// ANCHOR_END: write_line

// practice: rung 2, lessons/05-framing.md#the-rust
// ANCHOR: read_line
/// Reads one line, without its `\n` or `\r\n`; `Ok(None)` when the stream
/// ended cleanly before a new line began. A line over `max` bytes is refused
/// after reading at most `max + 2` bytes. Any bytes but `\n`, UTF-8 or not.
pub fn read_line(r: &mut impl BufRead, max: usize) -> io::Result<Option<Vec<u8>>> {
    // Python: s.makefile("rb").readline(max + 2). Without take(), read_until
    // goes on reading (and growing `line`) for as long as no \n comes.
    let mut line = Vec::new();
    r.take(max as u64 + 2).read_until(b'\n', &mut line)?;
    if line.is_empty() {
        return Ok(None);
    }
    let ended = line.ends_with(b"\n");
    if ended {
        line.pop();
        // nc, telnet and Windows programs end lines with \r\n.
        if line.ends_with(b"\r") {
            line.pop();
        }
    }
    if line.len() > max {
        let why = format!("line too long: over the limit of {max} bytes");
        return Err(io::Error::new(ErrorKind::InvalidData, why));
    }
    if !ended {
        let why = "the stream ended in the middle of a line";
        return Err(io::Error::new(ErrorKind::UnexpectedEof, why));
    }
    Ok(Some(line))
}
// ANCHOR_END: read_line

/// Which framing a connection speaks: `--mode length` or `--mode line`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Length,
    Line,
}

impl std::str::FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Mode, String> {
        match s {
            "length" => Ok(Mode::Length),
            "line" => Ok(Mode::Line),
            _ => Err(format!("unknown mode {s:?}: use length or line")),
        }
    }
}

pub fn write_message(mode: Mode, w: &mut impl Write, body: &[u8]) -> io::Result<()> {
    match mode {
        Mode::Length => write_frame(w, body),
        Mode::Line => write_line(w, body),
    }
}

pub fn read_message(mode: Mode, r: &mut impl BufRead, max: usize) -> io::Result<Option<Vec<u8>>> {
    match mode {
        Mode::Length => read_frame(r, max),
        Mode::Line => read_line(r, max),
    }
}

// ANCHOR: serve
/// Serves every client at once, each in its own thread, until Ctrl-C;
/// returns how many it served.
pub fn serve(
    listener: &TcpListener,
    stop: &Stop,
    reply: Reply,
    mode: Mode,
    max_size: usize,
) -> io::Result<u64> {
    let mut served = 0;
    // Python: while True:
    loop {
        // Python: conn, client_addr = s.accept()
        // Blocks until a client is in the listen backlog. With a thread per
        // client we are back here at once, so nobody waits there for long.
        let (conn, peer) = listener.accept()?;
        if stop.requested() {
            // The "client" is the Ctrl-C handler waking us up (see kit::Stop).
            break;
        }
        served += 1;
        println!("connection from {peer}");
        // Python: threading.Thread(target=handle, args=(conn,)).start()
        // `move` hands the connection (and a clone of the stop flag) to the
        // new thread, which talks to this client while we accept the next.
        let stop = stop.clone();
        let spawned = thread::Builder::new().spawn(move || {
            let ended = converse(conn, peer, &stop, reply, mode, max_size);
            println!("{peer}: {}", describe(&ended, &stop));
        });
        // The JoinHandle is dropped: the thread runs detached. Unlike
        // thread::spawn, which panics, Builder reports an OS with no thread to
        // give as an error, and only this client is closed, not the server.
        if let Err(e) = spawned {
            println!("{peer}: cannot start a thread ({e}); connection closed");
        }
    }
    // Ctrl-C shut every client down (kit::Stop); their threads end with us.
    Ok(served)
}
// ANCHOR_END: serve

// practice: rung 5, lessons/05-framing.md#the-rust
// ANCHOR: converse
/// One conversation: answer every message until the client closes between
/// two messages, or sends one over `max_size` (it is told so, and we close).
/// The connection is closed when this returns.
pub fn converse(
    conn: TcpStream,
    peer: SocketAddr,
    stop: &Stop,
    reply: Reply,
    mode: Mode,
    max_size: usize,
) -> io::Result<End> {
    // If Ctrl-C comes while we wait in read(), shut this connection down so
    // the read returns; the guard forgets the connection when it is dropped.
    let _watch = stop.close_on_stop(&conn)?;
    // Keeps the bytes a read() brought past one message for the next one.
    let mut reader = BufReader::new(&conn);
    let mut writer = &conn;
    // Python: while True:
    loop {
        // Python: data = recv_message(conn): a whole message, however many reads.
        let read = read_message(mode, &mut reader, max_size);
        if stop.requested() {
            return Ok(End::Stopped);
        }
        let data = match read {
            Ok(Some(data)) => data,
            // The client closed (FIN) between two messages: goodbye. No `q`
            // needed: `q` is a message like any other.
            Ok(None) => return Ok(End::Closed),
            // Too large: the rest of it was not read, so where the next message
            // starts is unknown. Tell the client, in its framing, and close.
            Err(e) if e.kind() == ErrorKind::InvalidData => {
                let _ = write_message(mode, &mut writer, format!("error: {e}").as_bytes());
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        println!("{peer} sent {} bytes: {}", data.len(), preview(&data));
        let answer = match reply {
            Reply::Echo => data.to_vec(),
            Reply::Typed => typed_reply(peer, &data, stop)?,
        };
        // Python: conn.sendall(struct.pack(">I", len(answer)) + answer)
        // Framed like the message, so the client's reader finds its end.
        write_message(mode, &mut writer, &answer)?;
    }
    // Python: conn.close(). `conn` is dropped when this function returns: the
    // kernel sends FIN and the client's next read returns 0.
}
// ANCHOR_END: converse

// ANCHOR: typed_reply
/// A line typed at the server: Python's `input(f"reply to {addr}> ")`.
fn typed_reply(peer: SocketAddr, data: &[u8], stop: &Stop) -> io::Result<Vec<u8>> {
    // Held until the reply is read: one typed line answers the message its
    // prompt shows.
    let mut stdin = io::stdin().lock();
    let mut line = String::new();
    loop {
        // Like input(), the prompt goes to stdout, flushed, with no newline.
        print!("reply to {peer} ({})> ", preview(data));
        io::stdout().flush()?;
        line.clear();
        // Nothing wakes a read of the terminal, so Ctrl-C here ends the
        // program at once (see kit::Stop::exit_on_stop_during).
        let read = stop.exit_on_stop_during("stopped by Ctrl-C at the reply prompt", || {
            stdin.read_line(&mut line)
        })?;
        if read == 0 {
            let why = "stdin closed, so no reply can be typed (type each reply, then Enter)";
            return Err(io::Error::new(ErrorKind::UnexpectedEof, why));
        }
        let typed = line.trim_end_matches(['\n', '\r']);
        if !typed.is_empty() {
            return Ok(typed.as_bytes().to_vec());
        }
    }
}
// ANCHOR_END: typed_reply

/// How a conversation ended, for the log. An error is about this one client,
/// never a reason to stop the server: `except ConnectionResetError: break`.
pub fn describe(ended: &io::Result<End>, stop: &Stop) -> String {
    match ended {
        Ok(End::Closed) => "closed the connection".into(),
        Ok(End::Stopped) => "connection closed by Ctrl-C".into(),
        // Shutting the connection down on Ctrl-C can make a write fail too.
        Err(_) if stop.requested() => "connection closed by Ctrl-C".into(),
        Err(e) if e.kind() == ErrorKind::ConnectionReset => {
            "reset the connection (it closed with data we had not read, or crashed)".into()
        }
        Err(e) if e.kind() == ErrorKind::InvalidData => format!("{e}; told it, connection closed"),
        Err(e) => format!("connection failed: {e}"),
    }
}

/// The start of what a peer sent, made safe to print (see `kit::printable`).
fn preview(data: &[u8]) -> String {
    printable(&data[..data.len().min(60)])
}

// practice: rung 7, lessons/05-framing.md#the-rust
// ANCHOR: round_trip
/// Client side: sends `msg` and returns the reply, both framed. Unlike
/// stage 3, nothing is guessed: the reply says where it ends, however many
/// reads it takes and however long the server takes to write it.
pub fn round_trip(conn: &mut BufReader<TcpStream>, mode: Mode, msg: &[u8]) -> io::Result<Vec<u8>> {
    // Python: s.sendall(struct.pack(">I", len(msg)) + msg)
    write_message(mode, conn.get_mut(), msg)?;
    // Python: (n,) = struct.unpack(">I", recv_exactly(s, 4)); recv_exactly(s, n)
    let Some(reply) = read_message(mode, conn, MAX_SIZE)? else {
        let why = "the server closed the connection";
        return Err(io::Error::new(ErrorKind::UnexpectedEof, why));
    };
    Ok(reply)
}
// ANCHOR_END: round_trip
