//! Stage 6: a chat room, where every client hears what anyone says.
//!
//! Stage 3 plus one idea: the client threads share state. Stage 3's threads
//! never met; each echoed its own client. Here every client's reader thread
//! hands what its client said to one shared *room*, which passes it on to
//! every client, the sender included, in one order that all of them see.
//! The messages are the tutorial's JSON lines, `{"name", "msg", "time"}`.
//!
//! The room is what the tutorial leaves out, and what a room real people use
//! needs: lines of bounded size (stage 5's line framing), names checked, a
//! bounded queue and a writer thread per client so that a client that stops
//! reading never holds the others up, and a notice to everyone when someone
//! joins, leaves, is disconnected, or the server closes.
//!
//! The binaries in `src/bin/` add only what a program needs around these
//! functions (the command line, printing, Ctrl-C); the exercise checks in
//! `tests/` run those binaries.

use std::collections::VecDeque;
use std::io::{self, BufRead, BufReader, BufWriter, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kit::{Stop, printable};
use serde::{Deserialize, Serialize};

/// Where the server listens and the client connects when no address is given.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8888";

/// The longest line (one JSON message, newline not counted) the server reads.
/// A longer one is refused and its connection closed, before it is stored:
/// without a limit, one client sending a line that never ends would make the
/// server allocate until it runs out of memory.
pub const MAX_LINE: usize = 64 * 1024;

/// How many clients may be connected at once unless `--max-clients` says
/// otherwise. Each one costs two threads (reader and writer) and one file
/// descriptor; past the cap a client is told the room is full.
pub const MAX_CLIENTS: usize = 1024;

/// How many lines may wait in one client's outgoing queue unless `--queue`
/// says otherwise. A client whose queue is full when the room has another
/// line for it is disconnected: it has stopped reading, or reads far slower
/// than the room talks. Redis does the same with its "client output buffer
/// limit". The lines are shared (`Arc`), so a full queue holds pointers to
/// lines that other queues hold too, not copies.
pub const QUEUE_LEN: usize = 256;

/// After each write, a client's writer waits this long before the next, so
/// that the lines the room queues meanwhile go out together in one write.
///
/// Without it, a busy room wakes every client's writer thread once per
/// line: a context switch, a `write()` and a packet per line per client.
/// Measured in lesson 7 (200 clients, 1,000 lines/s on two CPUs), that was
/// 6.5 µs of CPU per delivery, the machine fell behind, and the p99 delay
/// grew to 280 ms; with this pause, 2.7 µs and 5 ms. A line waits at most
/// this long for the one before it, which nobody reading a chat can see;
/// the queue ([`QUEUE_LEN`]) holds what arrives meanwhile.
pub const GATHER: Duration = Duration::from_millis(5);

/// A client whose socket takes no byte for this long is given up on: its
/// writer's `write()` fails with a timeout, and the client is closed. This
/// catches what the queue limit cannot: a client that stops reading in a
/// quiet room, or leaves without reading what was still queued for it.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// The name the server's own notices come from; no client may take it.
pub const SERVER_NAME: &str = "server";

/// The longest name, in characters.
pub const MAX_NAME: usize = 32;

/// The stack size of each client's two threads.
///
/// A Rust thread gets 2 MiB of stack unless told otherwise: address space
/// reserved, not memory used, but 1,000 clients with two threads each would
/// reserve 4 GiB. The reader's deepest path is converse() -> serde_json
/// parsing one message -> the room's broadcast, a few KiB; serde_json skips
/// an ignored field without recursing, and refuses nesting deeper than 128
/// levels anywhere else. The writer only copies bytes. Every exercise check,
/// the one with 30,000 nested brackets included, passes in a debug build with
/// 16 KiB stacks (the least glibc allows), so 64 KiB is four times what was
/// seen to be needed. Were it ever
/// too small, the thread would hit the guard page below its stack and the
/// process would abort with "has overflowed its stack": loud, never silent.
pub const CLIENT_STACK_SIZE: usize = 64 * 1024;

/// How a client's reader thread ended, when it ended normally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The client closed its side: a read returned 0 bytes.
    Closed,
    /// The client sent `/quit`.
    Quit,
    /// The client sent a line over [`MAX_LINE`]; it was told, and closed.
    TooLong,
}

/// What a server did before Ctrl-C stopped it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Clients that got threads and a place in the room.
    pub served: u64,
    /// Clients told the room was full.
    pub refused: u64,
    /// Messages the room passed on (notices included).
    pub messages: u64,
    /// Clients disconnected because their queue overflowed.
    pub too_slow: u64,
    /// Clients still connected when Ctrl-C came; they were told and closed.
    pub closed_at_stop: usize,
}

/// What the room's limits are: the server's command line sets them.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_clients: usize,
    pub queue_len: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_clients: MAX_CLIENTS,
            queue_len: QUEUE_LEN,
        }
    }
}

// ANCHOR: serve
/// Serves every client at once, each with a reader and a writer thread, all
/// sharing one room, until Ctrl-C.
pub fn serve(listener: &TcpListener, stop: &Stop, limits: Limits) -> io::Result<Summary> {
    let mut served = 0;
    let mut refused = 0;
    let live = Live::default();
    // The one room every client thread shares: see `SharedRoom`.
    let room: SharedRoom = Arc::new(Mutex::new(Room::new(limits.queue_len)));
    // Python: while True:
    loop {
        // Python: conn, client_addr = s.accept()
        let (conn, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(e) => {
                // Most often "too many open files" (EMFILE); see stage 3.
                println!("accept failed: {e}; retrying in 100 ms");
                thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        if stop.requested() {
            // The "client" is the Ctrl-C handler waking us up (see kit::Stop).
            break;
        }
        if live.count() >= limits.max_clients {
            refused += 1;
            refuse(conn, peer, limits.max_clients);
            continue;
        }
        served += 1;
        println!("connection from {peer}");
        // The guard counts the client as live until its reader thread ends,
        // which is after its writer thread ended (the reader joins it).
        let guard = live.enter();
        if let Err(e) = admit(conn, peer, &room, limits.queue_len, guard) {
            // Out of threads or memory: whatever was started was undone.
            println!("{peer}: cannot start its threads ({e}); connection closed");
        }
    }
    // Ctrl-C. Tell the room, then let each writer send what is queued (the
    // notice last) and close its connection; a client that reads nothing
    // would keep its writer blocked, so after a while its connection is shut
    // down by force. The contract gives us one second in all.
    let (closing, messages, too_slow) = {
        let mut room = lock(&room);
        let closing = room.close("the server is closing (Ctrl-C); goodbye");
        (closing, room.messages, room.too_slow)
    };
    live.wait_until_none(Duration::from_millis(300));
    for conn in &closing {
        let _ = conn.shutdown(Shutdown::Both);
    }
    live.wait_until_none(Duration::from_millis(300));
    Ok(Summary {
        served,
        refused,
        messages,
        too_slow,
        closed_at_stop: closing.len(),
    })
}
// ANCHOR_END: serve

// ANCHOR: admit
/// Gives a new client its place in the room, a writer thread that sends what
/// the room queues for it, and a reader thread that hands the room what it says.
fn admit(
    conn: TcpStream,
    peer: SocketAddr,
    room: &SharedRoom,
    queue_len: usize,
    guard: LiveGuard,
) -> io::Result<()> {
    conn.set_write_timeout(Some(WRITE_TIMEOUT))?;
    // Two threads use this one connection, one reading and one writing, and
    // the room may shut it down: `Arc` shares it, and `&TcpStream` can read
    // and write (the OS keeps the two directions apart). Python would hand
    // the same socket object to both threads.
    let conn = Arc::new(conn);
    // A bounded queue: `try_send` on a full one fails at once instead of
    // waiting, which is how the room notices a client that stopped reading.
    let (outbox, inbox) = sync_channel::<Arc<str>>(queue_len);
    // How many lines wait in that queue: the room counts up, the writer down.
    let waiting = Arc::new(AtomicUsize::new(0));
    // Added here, by the accept loop, before either thread runs: so the
    // client hears every message from now on, and on Ctrl-C `close` finds it.
    let id = lock(room).add(peer, outbox, waiting.clone(), conn.clone());

    let writer = thread::Builder::new()
        .name(format!("write {}", peer.port()))
        .stack_size(CLIENT_STACK_SIZE)
        .spawn({
            let conn = conn.clone();
            let waiting = waiting.clone();
            move || write_out(&conn, inbox, &waiting, peer)
        });
    let writer = match writer {
        Ok(writer) => writer,
        Err(e) => {
            lock(room).leave(id);
            return Err(e);
        }
    };
    let reader = thread::Builder::new()
        .name(format!("read {}", peer.port()))
        .stack_size(CLIENT_STACK_SIZE)
        .spawn({
            let room = room.clone();
            move || {
                let ended = converse(&conn, peer, id, &room, &waiting);
                // Gone from the room: its queue's sender is dropped, so the
                // writer sends what is left in the queue, then ends.
                let was_in_room = lock(&room).leave(id);
                let _ = writer.join();
                if ended.as_ref().is_ok_and(|end| *end == End::TooLong) {
                    // The error line is sent; read what is left of the long
                    // line before closing (see `linger`).
                    linger(&conn);
                }
                guard.leave(format_args!("{peer}: {}", describe(&ended, was_in_room)));
            }
        });
    if let Err(e) = reader {
        // The closure was dropped; take the client out so its writer ends.
        lock(room).leave(id);
        return Err(e);
    }
    // Both JoinHandles are gone or moved: the threads are detached (stage
    // 3), and `live` still counts them.
    Ok(())
}
// ANCHOR_END: admit

// ANCHOR: refuse
/// Tells a client over the cap that the room is full, and closes.
fn refuse(mut conn: TcpStream, peer: SocketAddr, max_clients: usize) {
    println!("{peer}: refused, {max_clients} clients already connected (--max-clients)");
    // A short write to a new connection only fills its empty send buffer: it
    // cannot block. If the client is already gone, there is nobody to tell.
    let _ = conn.write_all(
        error_line(&format!(
            "the room is full ({max_clients} clients connected), try again later"
        ))
        .as_bytes(),
    );
    // `conn` is dropped here: the client reads the line, then end of stream.
}
// ANCHOR_END: refuse

/// The number of clients whose threads run, to cap them and to wait for them.
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
/// One client's reader thread: reads its lines and hands each message to the
/// room, until the client leaves. The room answers it through its queue.
pub fn converse(
    conn: &TcpStream,
    peer: SocketAddr,
    id: u64,
    room: &SharedRoom,
    waiting: &AtomicUsize,
) -> io::Result<End> {
    // A sender hears its own messages, so its own queue fills as fast as
    // everyone's. Past a quarter of it, this client sends faster than the
    // room delivers (a pasted file, a script): stop reading its lines until
    // its queue drains. Its lines wait in the kernel's buffers, then its
    // send() waits too: TCP's flow control slows the flooder alone, instead
    // of everyone's queues overflowing and the room cutting off listeners
    // that were reading as fast as they could.
    let hold_back_at = lock(room).queue_len / 4;
    // BufReader: read() as much as has arrived, then hand out one line at a
    // time (Python: conn.makefile("rb").readline()).
    let mut reader = BufReader::new(conn);
    let mut line = Vec::new();
    loop {
        match read_line(&mut reader, &mut line, MAX_LINE)? {
            Line::Complete => {}
            // 0 bytes: the client closed (or the room shut it down).
            Line::End => return Ok(End::Closed),
            Line::TooLong => {
                let why = format!("line longer than {MAX_LINE} bytes; closing the connection");
                lock(room).tell_error(id, &why);
                println!("{peer}: refused: {why}");
                return Ok(End::TooLong);
            }
        }
        // A blank line says nothing (someone pressed Enter in `nc`).
        if line.trim_ascii().is_empty() {
            continue;
        }
        // Parse outside the lock: the room is held only to pass a message on.
        let heard = match parse_message(&line) {
            Ok(Incoming { name, msg }) => lock(room).hear(id, name, msg),
            Err(why) => {
                lock(room).tell_error(id, &why);
                Heard::Refused(why)
            }
        };
        match heard {
            Heard::Said { name, msg } => {
                println!("{peer} {}: {}", printable(name.as_bytes()), preview(&msg));
                while waiting.load(Ordering::Relaxed) > hold_back_at {
                    thread::sleep(GATHER);
                }
            }
            Heard::Who { name } => println!("{peer} {}: /who", printable(name.as_bytes())),
            Heard::Refused(why) => println!("{peer}: refused: {}", printable(why.as_bytes())),
            Heard::Quit => return Ok(End::Quit),
            // The room took it out (too slow): its connection is shut down.
            Heard::Gone => return Ok(End::Closed),
        }
    }
}
// ANCHOR_END: converse

// ANCHOR: write_out
/// One client's writer thread: sends the lines the room queues for it, in
/// queue order, until the room drops the client; then ends the stream.
fn write_out(conn: &TcpStream, inbox: Receiver<Arc<str>>, waiting: &AtomicUsize, peer: SocketAddr) {
    // A chat line is small and wanted now. By default TCP delays a small
    // write while an earlier one is still unacknowledged (Nagle's
    // algorithm), and the client delays its ACK, up to 40 ms, hoping to send
    // it with a reply: in a busy room every line would wait 40 ms. Lines
    // that wait together already go out in one write (below), so turning
    // Nagle off costs no extra packets. If the option cannot be set, the
    // room still works, only slower. Python:
    // conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    let _ = conn.set_nodelay(true);
    // Lines waiting together go out in one write() system call.
    let mut out = BufWriter::new(conn);
    let sent = (|| -> io::Result<()> {
        // recv() waits for the next line; it fails once the queue is empty
        // and its sender gone: the room has dropped this client.
        while let Ok(line) = inbox.recv() {
            waiting.fetch_sub(1, Ordering::Relaxed);
            out.write_all(line.as_bytes())?;
            while let Ok(more) = inbox.try_recv() {
                waiting.fetch_sub(1, Ordering::Relaxed);
                out.write_all(more.as_bytes())?;
            }
            // Blocks while the client's receive buffer and our send buffer
            // are full; only this client's writer waits, never the room.
            out.flush()?;
            // Let the next lines gather: one wake-up and one write for all
            // that arrive in the meantime, instead of one for each.
            thread::sleep(GATHER);
        }
        Ok(())
    })();
    match sent {
        // Everything queued was sent: end of stream (FIN) follows it, even
        // while the reader thread still holds the connection.
        Ok(()) => {
            let _ = conn.shutdown(Shutdown::Write);
        }
        // Reset, timed out (WRITE_TIMEOUT), or shut down by the room: shut
        // the connection down, so the reader's read() returns and it leaves.
        Err(e) => {
            if e.kind() == ErrorKind::TimedOut || e.kind() == ErrorKind::WouldBlock {
                println!("{peer}: took no data for {WRITE_TIMEOUT:?}; closing");
            }
            let _ = conn.shutdown(Shutdown::Both);
        }
    }
    // Nothing more will be sent: a reader held back for this queue goes on
    // (and finds its connection closed).
    waiting.store(0, Ordering::Relaxed);
}
// ANCHOR_END: write_out

/// After refusing a line that is too long: read and discard what is left
/// of it, briefly, before closing.
///
/// Closing a socket whose receive buffer holds unread bytes makes the kernel
/// answer with a reset (RST) instead of an orderly end (FIN), and a reset can
/// make the client lose our last reply, the error line, before it reads it.
/// Web servers do the same ("lingering close").
fn linger(conn: &TcpStream) {
    let _ = conn.set_read_timeout(Some(Duration::from_millis(500)));
    let mut rest = conn.take(4 * MAX_LINE as u64);
    let _ = io::copy(&mut rest, &mut io::sink());
}

// ANCHOR: room
/// The room, shared by every client thread.
///
/// Every reader thread must reach every client's queue, and clients come and
/// go while the others talk. `Arc` gives each thread a handle to the one
/// room (Python: every thread sees the same global list); `Mutex` lets one
/// thread at a time change or walk it (Python: `with lock:`). In Python the
/// GIL makes one `list.append` safe, but not "walk the list and send to
/// each" while another thread removes a client; Rust refuses to compile the
/// unlocked version. Holding the lock while a message is stamped and queued
/// for everyone is also what gives all clients one order: the order in which
/// threads got the lock.
pub type SharedRoom = Arc<Mutex<Room>>;

/// Locks the room. A thread that panicked while holding the lock leaves it
/// "poisoned"; every change below leaves the room consistent at each step,
/// so the others go on with it rather than all failing.
pub fn lock(room: &SharedRoom) -> MutexGuard<'_, Room> {
    room.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Who is connected, and the counts for the summary.
pub struct Room {
    members: Vec<Member>,
    /// Each client's queue holds at most this many lines.
    queue_len: usize,
    next_id: u64,
    messages: u64,
    too_slow: u64,
}

/// One connected client, as the room sees it.
struct Member {
    id: u64,
    peer: SocketAddr,
    /// Bound by its first message; `None` until then (it listens already).
    name: Option<String>,
    /// Its queue; the writer thread holds the other end.
    outbox: SyncSender<Arc<str>>,
    /// How many lines wait in the queue.
    waiting: Arc<AtomicUsize>,
    /// To shut it down when its queue overflows.
    conn: Arc<TcpStream>,
}
// ANCHOR_END: room

impl Member {
    /// Puts a line in this client's queue, at once or not at all.
    fn queue(&self, line: Arc<str>) -> Result<(), TrySendError<Arc<str>>> {
        // Counted before the writer can take it, so the count never dips
        // below zero.
        self.waiting.fetch_add(1, Ordering::Relaxed);
        self.outbox.try_send(line).inspect_err(|_| {
            self.waiting.fetch_sub(1, Ordering::Relaxed);
        })
    }
}

/// What the room did with one message.
#[derive(Debug)]
pub enum Heard {
    /// Passed on to everyone.
    Said { name: String, msg: String },
    /// `/who`: the names online went to the sender alone.
    Who { name: String },
    /// `/quit`: the client leaves.
    Quit,
    /// Refused: the sender alone got `{"error": ...}`.
    Refused(String),
    /// The sender is no longer in the room (disconnected as too slow).
    Gone,
}

impl Room {
    pub fn new(queue_len: usize) -> Room {
        Room {
            members: Vec::new(),
            queue_len,
            next_id: 0,
            messages: 0,
            too_slow: 0,
        }
    }

    fn add(
        &mut self,
        peer: SocketAddr,
        outbox: SyncSender<Arc<str>>,
        waiting: Arc<AtomicUsize>,
        conn: Arc<TcpStream>,
    ) -> u64 {
        self.next_id += 1;
        self.members.push(Member {
            id: self.next_id,
            peer,
            name: None,
            outbox,
            waiting,
            conn,
        });
        self.next_id
    }

    fn at(&self, id: u64) -> Option<usize> {
        self.members.iter().position(|m| m.id == id)
    }

    // ANCHOR: hear
    /// A message from client `id`: bind or check its name, then pass it on.
    pub fn hear(&mut self, id: u64, name: String, msg: String) -> Heard {
        let Some(at) = self.at(id) else {
            return Heard::Gone;
        };
        match &self.members[at].name {
            Some(bound) if *bound == name => {}
            Some(bound) => {
                let why = format!(
                    "this connection is {bound:?}; it cannot speak as {name:?} (one name per connection)"
                );
                return self.refuse(id, why);
            }
            // The first message binds the name, if the name is allowed.
            None => {
                if let Err(why) = check_name(&name) {
                    return self.refuse(id, why);
                }
                if self.members.iter().any(|m| m.name.as_ref() == Some(&name)) {
                    let why = format!("the name {name:?} is taken; choose another");
                    return self.refuse(id, why);
                }
                self.members[at].name = Some(name.clone());
                self.broadcast(SERVER_NAME, &format!("{name} joined"));
            }
        }
        match msg.as_str() {
            "/who" => {
                let names: Vec<&str> = self
                    .members
                    .iter()
                    .filter_map(|m| m.name.as_deref())
                    .collect();
                let reply = self.stamp(SERVER_NAME, &format!("online: {}", names.join(", ")));
                self.tell(id, reply);
                Heard::Who { name }
            }
            "/quit" => Heard::Quit,
            _ => {
                self.broadcast(&name, &msg);
                Heard::Said { name, msg }
            }
        }
    }
    // ANCHOR_END: hear

    fn refuse(&mut self, id: u64, why: String) -> Heard {
        self.tell_error(id, &why);
        Heard::Refused(why)
    }

    /// `{"error": why}` to client `id` alone.
    pub fn tell_error(&mut self, id: u64, why: &str) {
        let line = error_line(why).into();
        self.tell(id, line);
    }

    fn tell(&mut self, id: u64, line: Arc<str>) {
        let Some(at) = self.at(id) else { return };
        if let Err(TrySendError::Full(_)) = self.members[at].queue(line) {
            if let Some((name, msg)) = self.disconnect(id) {
                self.broadcast(&name, &msg);
            }
        }
    }

    // ANCHOR: broadcast
    /// Stamps a message with the time and queues it for every client. The
    /// caller holds the lock, so no other message can come between: the
    /// order of the lock is the order everyone sees.
    fn broadcast(&mut self, name: &str, msg: &str) {
        let mut pending = VecDeque::from([(name.to_string(), msg.to_string())]);
        while let Some((name, msg)) = pending.pop_front() {
            let line = self.stamp(&name, &msg);
            let mut too_slow = Vec::new();
            for member in &self.members {
                // Never wait here: with the lock held, one client that stopped
                // reading would stop the whole room. A full queue means "too
                // slow"; a closed one (its writer failed) means it is leaving.
                if let Err(TrySendError::Full(_)) = member.queue(line.clone()) {
                    too_slow.push(member.id);
                }
            }
            // Their notices go out next, in the same order for everyone.
            for id in too_slow {
                pending.extend(self.disconnect(id));
            }
        }
    }

    /// Disconnects a client whose queue overflowed; returns the notice for
    /// the room, if it had a name.
    fn disconnect(&mut self, id: u64) -> Option<(String, String)> {
        let member = self.members.remove(self.at(id)?);
        self.too_slow += 1;
        // Its writer is stuck in write(); shutting the connection down makes
        // that write fail and the reader's read() return 0.
        let _ = member.conn.shutdown(Shutdown::Both);
        println!(
            "{}: too slow, {} lines waiting for it; disconnected",
            member.peer, self.queue_len
        );
        let name = member.name?;
        Some((
            SERVER_NAME.to_string(),
            format!("{name} was disconnected: too slow to read"),
        ))
    }
    // ANCHOR_END: broadcast

    /// One outgoing line, `{"name", "msg", "time"}` and a newline, made once
    /// and shared by every queue it goes to (`Arc<str>`: no copies).
    fn stamp(&mut self, name: &str, msg: &str) -> Arc<str> {
        self.messages += 1;
        let time = rfc3339(SystemTime::now());
        let mut line = serde_json::to_string(&Outgoing {
            name,
            msg,
            time: Some(&time),
        })
        .expect("a struct of strings always serializes");
        line.push('\n');
        line.into()
    }

    /// Client `id` leaves: out of the room, and a notice if it had a name.
    /// Returns whether it was still in the room (not disconnected before).
    pub fn leave(&mut self, id: u64) -> bool {
        let Some(at) = self.at(id) else {
            return false;
        };
        let member = self.members.remove(at);
        if let Some(name) = member.name {
            self.broadcast(SERVER_NAME, &format!("{name} left"));
        }
        true
    }

    /// Ctrl-C: tells everyone `why`, then takes every client out of the
    /// room, so each writer sends what is queued and ends. Returns their
    /// connections, to shut down those whose writer does not finish.
    fn close(&mut self, why: &str) -> Vec<Arc<TcpStream>> {
        self.broadcast(SERVER_NAME, why);
        self.members.drain(..).map(|m| m.conn).collect()
    }
}

/// Checks a name a client wants: the contract's rules, plus no spaces at
/// either end (`"alice "` would pass for `alice` on everyone's screen).
pub fn check_name(name: &str) -> Result<(), String> {
    let chars = name.chars().count();
    if !(1..=MAX_NAME).contains(&chars) {
        return Err(format!(
            "a name is 1 to {MAX_NAME} characters; this one has {chars}"
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("a name cannot contain control characters".into());
    }
    if name.trim() != name {
        return Err("a name cannot start or end with a space".into());
    }
    if name.eq_ignore_ascii_case(SERVER_NAME) {
        return Err(format!(
            "the name {SERVER_NAME:?} is reserved for the server's notices"
        ));
    }
    Ok(())
}

// ANCHOR: message
/// A chat message as a client sends it: `{"name": "alice", "msg": "hi"}`.
/// serde reads JSON into this struct (Python: `json.loads`) and says what is
/// wrong when a line does not fit it. Other fields (`time`) are ignored.
#[derive(Debug, Deserialize)]
pub struct Incoming {
    pub name: String,
    pub msg: String,
}

/// A chat message as the server sends it, with its `time`; serde writes it
/// as JSON (Python: `json.dumps`). A client sends the same without `time`.
#[derive(Debug, Serialize)]
pub struct Outgoing<'a> {
    pub name: &'a str,
    pub msg: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<&'a str>,
}

/// Reads one client line as a message, or says what is wrong with it.
pub fn parse_message(line: &[u8]) -> Result<Incoming, String> {
    let hint = r#"send one JSON object per line, like {"name": "alice", "msg": "hi"}"#;
    // JSON is text, and the protocol says UTF-8: bytes that are not (a
    // Latin-1 terminal, a binary file piped in) get their own explanation.
    let text = match std::str::from_utf8(line) {
        Ok(text) => text,
        Err(e) => {
            let at = e.valid_up_to();
            return Err(format!(
                "not UTF-8 text (invalid byte at offset {at}); {hint}"
            ));
        }
    };
    // serde would also read a struct from a JSON array (`["alice", "hi"]`);
    // the protocol says object, so check that first.
    if !text.trim_start().starts_with('{') {
        return Err(format!("not a JSON object; {hint}"));
    }
    serde_json::from_str(text).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            // Wrong fields or types: serde says which (`missing field `msg``).
            Category::Data => format!("{e}; {hint}"),
            _ => format!("not JSON ({e}); {hint}"),
        }
    })
}
// ANCHOR_END: message

/// `{"error": why}` and a newline.
pub fn error_line(why: &str) -> String {
    #[derive(Serialize)]
    struct Error<'a> {
        error: &'a str,
    }
    let mut line =
        serde_json::to_string(&Error { error: why }).expect("a string always serializes");
    line.push('\n');
    line
}

// ANCHOR: read_line
/// What [`read_line`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    /// A line is in the buffer, without its `\n` (or `\r\n`).
    Complete,
    /// The peer closed: nothing more will come.
    End,
    /// The line is longer than `limit` bytes. What came is dropped; the
    /// rest of the line may still be unread.
    TooLong,
}

/// Reads one `\n`-terminated line into `line`, storing at most `limit` bytes.
///
/// This is stage 5's line framing: TCP carries bytes, not messages, so the
/// newline marks where a message ends, and a limit keeps a peer that never
/// sends one from filling our memory. `take` stops reading after `limit + 2`
/// bytes (the line and its `\r\n`), so the check happens before anything
/// larger is allocated.
pub fn read_line(reader: &mut impl BufRead, line: &mut Vec<u8>, limit: usize) -> io::Result<Line> {
    line.clear();
    let n = reader.take(limit as u64 + 2).read_until(b'\n', line)?;
    if n == 0 {
        return Ok(Line::End);
    }
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
    }
    if line.len() > limit {
        line.clear();
        return Ok(Line::TooLong);
    }
    // Else the peer closed in the middle of a line (`nc` and Ctrl-D): the
    // line is whole as far as it goes; the next call finds the end.
    Ok(Line::Complete)
}
// ANCHOR_END: read_line

// ANCHOR: time
/// A time as RFC 3339 in UTC with milliseconds: `2026-11-22T12:34:56.789Z`.
///
/// `SystemTime` counts from 1970-01-01 00:00 UTC, with no leap seconds (Unix
/// time: every day has 86,400 seconds), so the date is a pure calculation.
/// Python: `datetime.now(timezone.utc).isoformat(timespec="milliseconds")`.
pub fn rfc3339(time: SystemTime) -> String {
    // Milliseconds since 1970, negative before it (SystemTime may be).
    let millis: i128 = match time.duration_since(UNIX_EPOCH) {
        Ok(after) => after.as_millis() as i128,
        Err(before) => -(before.duration().as_nanos().div_ceil(1_000_000) as i128),
    };
    let days = millis.div_euclid(86_400_000) as i64;
    let of_day = millis.rem_euclid(86_400_000) as u64;
    let (year, month, day) = civil_from_days(days);
    let (secs, ms) = (of_day / 1000, of_day % 1000);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// The Gregorian date (year, month 1-12, day 1-31) that is `days` days after
/// 1970-01-01: Howard Hinnant's `civil_from_days`
/// (<https://howardhinnant.github.io/date_algorithms.html>).
///
/// The trick: count years from March 1, so the leap day is the last day of
/// the year; then every month's first day follows one formula, and the
/// Gregorian calendar repeats exactly every 400 years ("eras" of 146,097 days).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468; // days since 0000-03-01
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // day of the era, 0..=146096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of the year, from March 1
    let mp = (5 * doy + 2) / 153; // month, March = 0
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}
// ANCHOR_END: time

/// One line for the server's log saying how a client's connection ended.
///
/// An error is about this one client, never a reason to stop the server.
pub fn describe(ended: &io::Result<End>, was_in_room: bool) -> String {
    match ended {
        Ok(End::Quit) => "sent /quit; left".into(),
        Ok(End::TooLong) => "sent a line over the limit; closed".into(),
        _ if !was_in_room => "closed by the room (too slow to read, or Ctrl-C)".into(),
        Ok(End::Closed) => "closed the connection".into(),
        Err(e) if e.kind() == ErrorKind::ConnectionReset => {
            "reset the connection (it closed with data we had not read, or crashed)".into()
        }
        Err(e) => format!("connection failed: {e}"),
    }
}

/// The start of what a peer sent, made safe to print (see `kit::printable`).
fn preview(text: &str) -> String {
    const SHOWN: usize = 60;
    match text.char_indices().nth(SHOWN) {
        Some((at, _)) => format!("{}...", printable(&text.as_bytes()[..at])),
        None => printable(text.as_bytes()),
    }
}

// ANCHOR: client_side
/// A line the server sends: a message (`name`, `msg`, `time`) or an error.
#[derive(Debug, Default, Deserialize)]
pub struct FromServer {
    pub name: Option<String>,
    pub msg: Option<String>,
    pub time: Option<String>,
    pub error: Option<String>,
}

impl FromServer {
    /// Parses one line from the server; what is not JSON shows as-is.
    pub fn parse(line: &[u8]) -> FromServer {
        serde_json::from_slice(line).unwrap_or_else(|_| FromServer {
            msg: Some(String::from_utf8_lossy(line).into_owned()),
            ..FromServer::default()
        })
    }

    /// How the client shows it: `[12:34:56] alice: hi`, the time in UTC.
    /// Everything a peer chose is passed through `printable`: a name or a
    /// message holding `\x1b[2J` would otherwise clear the reader's screen,
    /// and a `\r` could overwrite the line with a fake one.
    pub fn show(&self) -> String {
        if let Some(error) = &self.error {
            return format!("[error] {}", printable(error.as_bytes()));
        }
        // `2026-11-22T12:34:56.789Z`: characters 11 to 19 are the time of day.
        let clock = self
            .time
            .as_deref()
            .and_then(|t| t.get(11..19))
            .unwrap_or("??:??:??");
        let name = self.name.as_deref().unwrap_or("?");
        let msg = self.msg.as_deref().unwrap_or("");
        format!(
            "[{}] {}: {}",
            printable(clock.as_bytes()),
            printable(name.as_bytes()),
            printable(msg.as_bytes())
        )
    }

    /// The server's answer to `/who`.
    pub fn is_who_reply(&self) -> bool {
        self.name.as_deref() == Some(SERVER_NAME)
            && self
                .msg
                .as_deref()
                .is_some_and(|m| m.starts_with("online: "))
    }
}

/// What a client sends: `{"name": ..., "msg": ...}` and a newline.
pub fn message_line(name: &str, msg: &str) -> Vec<u8> {
    let mut line = serde_json::to_vec(&Outgoing {
        name,
        msg,
        time: None,
    })
    .expect("a struct of strings always serializes");
    line.push(b'\n');
    line
}
// ANCHOR_END: client_side
