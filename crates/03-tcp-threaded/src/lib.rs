//! Stage 3: a thread per client, so every client is served at once.
//!
//! Stage 2 plus one idea: the accept loop hands each connection to a new
//! thread and goes straight back to `accept()`, so no client waits in the
//! backlog while another is served. The conversation is unchanged. This is
//! Python's `socketserver.ThreadingTCPServer`.

use std::io::{self, BufRead, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use kit::{Stop, printable};

/// Where the server listens and the client connects when no address is given.
pub const DEFAULT_ADDR: &str = "127.0.0.1:9998";

/// The most the server reads at once: the tutorial's `recv(1024)`.
pub const RECV_SIZE: usize = 1024;

/// How long the client waits for more of a reply once some has come; see
/// [`round_trip`].
pub const REPLY_QUIET: Duration = Duration::from_millis(100);

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
    /// The client sent `q`.
    Quit,
    /// The client closed its side: a read returned 0 bytes.
    Closed,
    /// Ctrl-C: the server shut the connection down.
    Stopped,
}

// practice: rung 1, lessons/03-tcp-threaded.md#the-rust
// ANCHOR: serve
/// Serves every client at once, each in its own thread, until Ctrl-C;
/// returns how many it served.
pub fn serve(listener: &TcpListener, stop: &Stop, reply: Reply) -> io::Result<u64> {
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
            let ended = converse(conn, peer, &stop, reply);
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

// ANCHOR: converse
/// One conversation: answer every read until the client sends `q` or
/// closes. The connection is closed when this returns.
pub fn converse(
    mut conn: TcpStream,
    peer: SocketAddr,
    stop: &Stop,
    reply: Reply,
) -> io::Result<End> {
    // If Ctrl-C comes while we wait in read(), shut this connection down so
    // the read returns; the guard forgets the connection when it is dropped.
    let _watch = stop.close_on_stop(&conn)?;
    let mut buf = [0u8; RECV_SIZE];
    // Python: while True:
    loop {
        // Python: data = conn.recv(1024)
        // Returns what has arrived so far, 1 to 1024 bytes. A client's message
        // may arrive in several reads, or two messages in one: TCP carries a
        // stream of bytes, not messages. Each read is answered as it comes.
        let n = conn.read(&mut buf)?;
        if stop.requested() {
            return Ok(End::Stopped);
        }
        // Python: if len(data) == 0: break
        // 0 bytes means the client closed its side (it sent FIN). Without this
        // check the loop would spin forever, reading 0 bytes again and again.
        if n == 0 {
            return Ok(End::Closed);
        }
        let data = &buf[..n];
        println!("{peer} sent {n} bytes: {}", preview(data));
        if data.trim_ascii() == b"q" {
            return Ok(End::Quit);
        }
        let answer = match reply {
            Reply::Echo => data.to_vec(),
            Reply::Typed => typed_reply(peer, data, stop)?,
        };
        // Python: conn.sendall(answer)
        // write_all loops until every byte is in the kernel's send buffer.
        conn.write_all(&answer)?;
    }
    // Python: conn.close(). `conn` is dropped when this function returns: the
    // kernel sends FIN and the client's next read returns 0.
}
// ANCHOR_END: converse

// practice: rung 2, lessons/03-tcp-threaded.md#the-rust
// ANCHOR: typed_reply
/// A line typed at the server: Python's `input(f"reply to {addr} ({msg})> ")`.
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
        // An empty line would send 0 bytes, which is nothing at all: the
        // client would wait for a reply that never comes. Ask again.
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
        Ok(End::Quit) => "sent q; conversation over".into(),
        Ok(End::Closed) => "closed the connection".into(),
        Ok(End::Stopped) => "connection closed by Ctrl-C".into(),
        // Shutting the connection down on Ctrl-C can make a write fail too.
        Err(_) if stop.requested() => "connection closed by Ctrl-C".into(),
        Err(e) if e.kind() == ErrorKind::ConnectionReset => {
            "reset the connection (it closed with data we had not read, or crashed)".into()
        }
        Err(e) => format!("connection failed: {e}"),
    }
}

/// The start of what a peer sent, made safe to print (see `kit::printable`).
fn preview(data: &[u8]) -> String {
    printable(&data[..data.len().min(60)])
}

// ANCHOR: round_trip
/// Client side: sends `message` and returns the reply. TCP does not say
/// where a reply ends, so this guesses: the first read waits as long as it
/// takes (a person may be typing the reply), then more reads follow while
/// bytes keep coming within [`REPLY_QUIET`], until the reply is exactly as
/// long as the message (an echo, whole) or the server closes. Stage 5
/// replaces the guess with framing.
pub fn round_trip(stream: &mut TcpStream, message: &[u8]) -> io::Result<Vec<u8>> {
    // Python: s.send(msg.encode("utf-8"))
    stream.write_all(message)?;
    // Python: data = s.recv(1024)
    let mut buf = [0u8; RECV_SIZE];
    stream.set_read_timeout(None)?;
    let n = stream.read(&mut buf)?;
    if n == 0 {
        let why = "the server closed the connection";
        return Err(io::Error::new(ErrorKind::UnexpectedEof, why));
    }
    // One recv() returns what has arrived so far, which may be part of the
    // reply: read on while more comes soon after.
    let mut reply = buf[..n].to_vec();
    stream.set_read_timeout(Some(REPLY_QUIET))?;
    while reply.len() != message.len() {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => reply.extend_from_slice(&buf[..n]),
            // Quiet for REPLY_QUIET (Unix says WouldBlock, Windows TimedOut).
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => break,
            Err(e) => return Err(e),
        }
    }
    stream.set_read_timeout(None)?;
    Ok(reply)
}
// ANCHOR_END: round_trip
