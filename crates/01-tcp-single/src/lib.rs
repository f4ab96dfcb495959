//! Stage 1: one connection, one message, one reply, close.
//!
//! The first program of every socket tutorial, in Rust. The server binds a
//! port, waits for one client, reads one message (at most 1024 bytes, in one
//! read, like Python's `conn.recv(1024)`), writes a reply and closes; the
//! client connects, sends, prints the reply. Each function below is one side
//! of that exchange, with the `std::net` call for every Python call in view.
//!
//! The binaries in `src/bin/` add only what a program needs around them (the
//! command line, printing, Ctrl-C); the exercise checks in `tests/` call
//! these functions and run those binaries.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};

use kit::{Stop, printable};

/// Where the server listens and the client connects when no address is given.
pub const DEFAULT_ADDR: &str = "127.0.0.1:9999";

/// The most the server reads, in its one read: the tutorial's `recv(1024)`.
pub const RECV_SIZE: usize = 1024;

/// What happened on the one connection a server served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    /// The client's address and port, as `accept()` reported it.
    pub peer: SocketAddr,
    /// The bytes of the server's one read: empty if the client closed
    /// without sending anything.
    pub message: Vec<u8>,
    /// The bytes written back.
    pub reply: Vec<u8>,
}

// practice: rung 1, lessons/01-tcp-single.md#the-code
// ANCHOR: serve_one
/// Serves exactly one client on an already listening socket, then closes it.
///
/// `reply` is given the client's address and its message, and returns the
/// bytes to send back: an echo, or whatever the person at the server types.
/// Like the tutorial, it prints who connected and what arrived.
/// Returns `None` when Ctrl-C came before a client did.
pub fn serve_one(
    listener: &TcpListener,
    stop: &Stop,
    reply: impl FnOnce(SocketAddr, &[u8]) -> io::Result<Vec<u8>>,
) -> io::Result<Option<Served>> {
    // Python: conn, addr = s.accept()
    // Blocks until a client has completed the three-way handshake. The kernel
    // did the handshake already; accept() takes the finished connection out
    // of the listen backlog and gives it a socket (a file descriptor) of its
    // own. The listening socket stays open for the next client.
    let (mut conn, peer) = listener.accept()?;
    if stop.requested() {
        // The "client" is the Ctrl-C handler waking us up (see kit::Stop).
        return Ok(None);
    }
    println!("connection from {peer}");
    // If Ctrl-C comes while we wait in read(), shut this connection down so
    // the read returns; the guard forgets the connection when it is dropped.
    let _watch = stop.close_on_stop(&conn)?;

    // Python: data = conn.recv(1024)
    // One read returns whatever has arrived so far, at least 1 byte and at
    // most 1024; 0 means the client closed without sending. A longer message
    // is NOT read in full: the rest stays in the kernel's receive buffer.
    let mut buf = [0u8; RECV_SIZE];
    let n = conn.read(&mut buf)?;
    if stop.requested() {
        return Ok(None);
    }
    let message = buf[..n].to_vec();
    if n == 0 {
        println!("received 0 bytes: the client closed without sending anything");
    } else {
        // Bytes from the network are not necessarily text, and may hold
        // terminal escape sequences: print them made harmless.
        println!("received {n} bytes: {}", printable(&message));
    }

    // Python: conn.sendall(reply)
    // `write` may send only part of a buffer; `write_all` loops until all of
    // it is in the kernel's send buffer, which is what `sendall` does.
    let answer = reply(peer, &message)?;
    conn.write_all(&answer)?;

    // Python: conn.close()
    // `conn` is dropped when this function returns, which closes the socket:
    // the kernel sends FIN and the client's read returns 0, end of stream.
    // Closing with unread bytes still in the receive buffer (a message over
    // 1024 bytes) makes the kernel send a reset (RST) instead of FIN.
    Ok(Some(Served {
        peer,
        message,
        reply: answer,
    }))
}
// ANCHOR_END: serve_one

/// What a client received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Every byte the server sent before it closed.
    pub bytes: Vec<u8>,
    /// The server reset the connection instead of closing it normally: it
    /// closed without reading everything we sent.
    pub reset: bool,
}

// practice: rung 2, lessons/01-tcp-single.md#the-code
// ANCHOR: request
/// Connects to `addr`, sends `message`, and reads the reply until the server
/// closes the connection.
pub fn request(addr: &str, message: &[u8]) -> io::Result<Reply> {
    // Python: s = socket.socket(); s.connect(("127.0.0.1", 9999))
    // `connect` creates the socket and performs the three-way handshake; it
    // fails with "connection refused" if nothing listens on that port.
    let mut stream = TcpStream::connect(addr)?;

    // Python: s.sendall(message)
    stream.write_all(message)?;

    // Python: data = s.recv(1024)
    // The tutorial reads once. We read until the server closes (a read that
    // returns 0), so a reply longer than one read still arrives whole: the
    // server's close is what marks the end of its reply.
    let mut bytes = Vec::new();
    match stream.read_to_end(&mut bytes) {
        Ok(_) => Ok(Reply {
            bytes,
            reset: false,
        }),
        // A server that closes with unread data sends RST; whatever it wrote
        // before that is still delivered, and kept in `bytes`.
        Err(e) if e.kind() == ErrorKind::ConnectionReset => Ok(Reply { bytes, reset: true }),
        Err(e) => Err(e),
    }
    // Python: s.close(). `stream` is dropped here.
}
// ANCHOR_END: request
