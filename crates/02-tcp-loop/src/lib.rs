//! Stage 2: an accept loop around a conversation loop, one client at a time.
//!
//! The tutorial's "one server, many clients" program, in Rust. Stage 1 served
//! one message and exited; here two loops turn it into a server. The outer loop
//! accepts a client, the inner loop reads what it sends and echoes every read
//! back, until the client sends `q` or closes; then the outer loop accepts the
//! next one. While one client is served, the next ones wait in the kernel's
//! listen backlog: their `connect` succeeded, but nobody reads from them yet.
//!
//! The binaries in `src/bin/` add only what a program needs around these
//! functions (the command line, printing, Ctrl-C); the exercise checks in
//! `tests/` run those binaries.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};

use kit::{Stop, printable};

/// Where the server listens and the client connects when no address is given.
pub const DEFAULT_ADDR: &str = "127.0.0.1:9527";

/// The most the server reads at once: the tutorial's `recv(1024)`.
pub const RECV_SIZE: usize = 1024;

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

// ANCHOR: serve
/// Serves clients one after another until Ctrl-C; returns how many it served.
pub fn serve(listener: &TcpListener, stop: &Stop) -> io::Result<u64> {
    let mut served = 0;
    // Python: while True:
    loop {
        // Python: conn, client_addr = s.accept()
        // Blocks until a client is in the listen backlog. Clients that connect
        // while we are busy in converse() below wait there: the kernel has
        // completed their handshake, but nobody reads what they send.
        let (conn, peer) = listener.accept()?;
        if stop.requested() {
            // The "client" is the Ctrl-C handler waking us up (see kit::Stop).
            break;
        }
        served += 1;
        println!("connection from {peer}");
        let ended = converse(conn, peer, stop);
        println!("{peer}: {}", describe(&ended, stop));
    }
    Ok(served)
}
// ANCHOR_END: serve

// ANCHOR: converse
/// One conversation: echo every read back until the client sends `q` or
/// closes. The connection is closed when this returns.
pub fn converse(mut conn: TcpStream, peer: SocketAddr, stop: &Stop) -> io::Result<End> {
    // If Ctrl-C comes while we wait in read(), shut this connection down so
    // the read returns; the guard forgets the connection when it is dropped.
    let _watch = stop.close_on_stop(&conn)?;
    let mut buf = [0u8; RECV_SIZE];
    // Python: while True:
    loop {
        // Python: data = conn.recv(1024)
        // Returns what has arrived so far, 1 to 1024 bytes. A client's message
        // may arrive in several reads, or two messages in one: TCP carries a
        // stream of bytes, not messages. An echo does not care.
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
        // Python: conn.send(data)
        // write_all loops until every byte is in the kernel's send buffer.
        conn.write_all(data)?;
    }
    // Python: conn.close(). `conn` is dropped when this function returns: the
    // kernel sends FIN and the client's next read returns 0.
}
// ANCHOR_END: converse

/// One line for the server's log saying how a conversation ended.
///
/// An error is about this one client, never a reason to stop the server:
/// Python's `except ConnectionResetError: break`.
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
        Err(e) if e.kind() == ErrorKind::BrokenPipe => {
            "went away before our reply was written (broken pipe)".into()
        }
        Err(e) => format!("connection failed: {e}"),
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
/// Client side: sends `message` and reads the reply, which for an echo server
/// is as many bytes as were sent.
pub fn round_trip(stream: &mut TcpStream, message: &[u8]) -> io::Result<Vec<u8>> {
    // Python: s.send(msg.encode("utf-8"))
    stream.write_all(message)?;
    // Python: data = s.recv(1024)
    // One recv() may return part of the reply; keep reading until as many
    // bytes came back as we sent, or the server closed.
    let mut reply = Vec::new();
    let mut buf = [0u8; RECV_SIZE];
    while reply.len() < message.len() {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        reply.extend_from_slice(&buf[..n]);
    }
    if reply.is_empty() {
        return Err(io::Error::new(
            ErrorKind::UnexpectedEof,
            "the server closed the connection",
        ));
    }
    Ok(reply)
}
// ANCHOR_END: round_trip
