//! Stage 3: a thread per client, so every client is served at once.
//!
//! Stage 2 plus one idea. Its server talked to one client at a time: while
//! the conversation loop waited in `read()`, nobody called `accept()`, and the
//! next clients waited in the listen backlog. Here the accept loop hands each
//! connection to a new thread and goes straight back to `accept()`; the
//! conversation itself is unchanged. This is what Python's
//! `socketserver.ThreadingTCPServer` does.
//!
//! A real server also needs what the tutorial leaves out, and this stage has
//! it: a cap on how many clients (and so threads) there are at once, small
//! thread stacks, and on Ctrl-C, closing the connected clients before exiting.
//!
//! The binaries in `src/bin/` add only what a program needs around these
//! functions (the command line, printing, Ctrl-C); the exercise checks in
//! `tests/` run those binaries.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::Duration;

use kit::{Stop, printable};

/// Where the server listens and the client connects when no address is given.
pub const DEFAULT_ADDR: &str = "127.0.0.1:9998";

/// The most the server reads at once: the tutorial's `recv(1024)`.
pub const RECV_SIZE: usize = 1024;

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
/// deepest path is converse() -> read/write/println!, a few KiB plus the
/// 1 KiB buffer, with no recursion. Every exercise check passes in a debug
/// build with 16 KiB stacks (the least glibc allows), so 64 KiB is four
/// times what the deepest path was seen to need. Were it ever too small, the thread would hit the guard
/// page below its stack and the process would abort with "has overflowed
/// its stack": a loud failure, never silent memory corruption.
pub const CLIENT_STACK_SIZE: usize = 64 * 1024;

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

// ANCHOR: serve
/// Serves every client at once, each in its own thread, until Ctrl-C.
pub fn serve(listener: &TcpListener, stop: &Stop, max_clients: usize) -> io::Result<Summary> {
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
            refuse(conn, peer, max_clients);
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
                let ended = converse(conn, peer, &stop);
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
fn refuse(mut conn: TcpStream, peer: SocketAddr, max_clients: usize) {
    println!("{peer}: refused, {max_clients} clients already connected (--max-clients)");
    // A short write to a new connection only fills its empty send buffer: it
    // cannot block. If the client is already gone, there is nobody to tell.
    let _ = conn.write_all(
        format!("error: server full ({max_clients} clients connected), try again later\n")
            .as_bytes(),
    );
    // `conn` is dropped here: the client reads the line, then end of stream.
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
/// One conversation: echo every read back until the client sends `q` or
/// closes. The connection is closed when this returns.
pub fn converse(conn: TcpStream, peer: SocketAddr, stop: &Stop) -> io::Result<End> {
    // If Ctrl-C comes while we wait in read(), shut this connection down so
    // the read returns; the guard forgets the connection when it is dropped.
    // With thousands of clients, file descriptors run out before memory
    // does, so the Ctrl-C handler shares this one socket through an `Arc`
    // instead of a copy of it (stage 2's `close_on_stop`, one more
    // descriptor per client).
    let conn = Arc::new(conn);
    let _watch = stop.close_on_stop_shared(&conn);
    // Reading and writing need only `&TcpStream`: the socket's state is the
    // kernel's, so any handle on it reads and writes the same connection.
    let mut conn = &*conn;
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
    // Python: conn.close(). The socket is closed when its last `Arc` is
    // dropped, as this function returns: the kernel sends FIN and the
    // client's next read returns 0.
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
