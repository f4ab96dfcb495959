//! Stage 7: the chat room of stage 6, bounded against every client.
//!
//! Stage 6 trusts its clients to join, read and leave. Each module below
//! answers one client (or fault) that does not, and opens with what it does.

use std::collections::BTreeMap;
use std::io::{self, BufReader, ErrorKind};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, SystemTime};

use flood::Flow;
pub use framing::read_line;
use kit::{Stop, printable};
use serde::{Deserialize, Serialize};
use stacks::STACK_SIZE as STACK;

#[macro_use]
pub mod log;
pub mod clients;
pub mod descriptors;
pub mod flood;
pub mod join;
pub mod linger;
pub mod stacks;
pub mod who;
pub mod write_timeout;

/// Where the server listens and the client connects when no address is given.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8889";

/// The longest line the server reads (`\n` or `\r\n` not counted), and the
/// most lines that may wait for one client (`--queue`): a client that lets
/// more pile up has stopped reading, and is disconnected.
pub const MAX_LINE: usize = 64 * 1024;
pub const QUEUE_LEN: usize = 256;

/// The name of the server's notices; no client may take it.
pub const SERVER_NAME: &str = "server";

/// After each write, a writer waits this long: lines queued meanwhile go
/// out together, one wake-up and one write for all. Nobody sees 5 ms.
pub const GATHER: Duration = Duration::from_millis(5);

/// What the bounds allow: the server's command line sets them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    pub max_clients: usize,
    pub join_timeout: Duration,
    pub queue_len: usize,
    pub write_timeout: Duration,
}

/// How many clients each bound refused or cut off, by what it says.
static COUNTS: Mutex<BTreeMap<&str, u64>> = Mutex::new(BTreeMap::new());

pub fn count(bound: &'static str) {
    let mut counts = COUNTS.lock().unwrap_or_else(PoisonError::into_inner);
    *counts.entry(bound).or_default() += 1;
}

/// The line after Ctrl-C: clients served, and what each bound did.
pub fn summary(served: u64) -> String {
    let counts = COUNTS.lock().unwrap_or_else(PoisonError::into_inner);
    let (s, dropped) = (if served == 1 { "" } else { "s" }, &log::DROPPED);
    let head = format!("stopped by Ctrl-C; served {served} client{s}; refused or cut off:");
    format!("{head} {counts:?}; {dropped:?} log lines dropped")
}

/// How a conversation ended, when it ended normally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The client sent `/quit`.
    Quit,
    /// The client closed its side: a read returned 0 bytes.
    Closed,
    /// The room shut the connection down: too slow to read, or Ctrl-C.
    Stopped,
}

// ANCHOR: serve
/// Serves every client at once, each in its own thread, all in one room,
/// until Ctrl-C; returns how many it served.
pub fn serve(listener: &TcpListener, stop: &Stop, limits: Limits) -> io::Result<u64> {
    let mut served = 0;
    // The one room every client's thread shares (see `SharedRoom`), and the
    // places in it, to count them and to wait for them on Ctrl-C (clients).
    let room = SharedRoom::default();
    lock(&room).limits = limits;
    let slots = Arc::new(());
    let mut spare = Some(std::fs::File::open("/dev/null")?);
    // Python: while True:
    while !stop.requested() {
        // Python: conn, client_addr = s.accept()
        // Blocks until a client is in the listen backlog. With a thread per
        // client we are back here at once, so nobody waits there for long.
        let (conn, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(e) => {
                descriptors::accept_failed(&mut spare, listener, e, stop);
                continue;
            }
        };
        if stop.requested() {
            // The "client" is the Ctrl-C handler waking us up (see kit::Stop).
            break;
        }
        // A place in the room, or the client is told it is full (clients).
        let Some(slot) = clients::take(&slots, limits.max_clients) else {
            let why = "the room is full (--max-clients); try again later";
            clients::refuse(&conn, peer, "room full", why);
            continue;
        };
        served += 1;
        log!("connection from {peer}");
        // Each line goes out at once, not held to fill a packet (Nagle's
        // algorithm): lines that wait together already share one write.
        let _ = conn.set_nodelay(true);
        // Python: threading.Thread(target=handle, args=(conn,)).start()
        // `move` hands the connection (and a clone of the room's `Arc`) to the
        // new thread, which talks to this client while we accept the next.
        let room = room.clone();
        let spawned = thread::Builder::new().stack_size(STACK).spawn(move || {
            let ended = admit(conn, peer, &room);
            log!("{peer}: {}", describe(&ended));
            drop(slot);
        });
        // The slot is the closure's: freed as the thread ends, or if it never starts. Unlike
        // thread::spawn, which panics, Builder reports an OS with no thread to
        // give as an error, and only this client is closed, not the server.
        if let Err(e) = spawned {
            log!("{peer}: cannot start a thread ({e}); connection closed");
        }
    }
    // Ctrl-C: tell the room. Each writer sends what is queued, the notice
    // last, then ends its connection. After a moment, shut down those stuck
    // in write() on a client that reads nothing, and wait for every thread.
    let closing = lock(&room).close("the server is closing (Ctrl-C); goodbye");
    clients::wait_empty(&slots, Duration::from_millis(250));
    for conn in closing {
        let _ = conn.shutdown(Shutdown::Both);
    }
    clients::wait_empty(&slots, Duration::from_millis(250));
    Ok(served)
}
// ANCHOR_END: serve

// ANCHOR: admit
/// A new client's thread: a place in the room, a writer thread that sends
/// what the room queues for it, and [`converse`] until it leaves.
pub fn admit(conn: TcpStream, peer: SocketAddr, room: &SharedRoom) -> io::Result<End> {
    // Python: queue.Queue(maxsize=n). The room keeps the sending end, and
    // the socket (shared: an `Arc`, not a second descriptor) to shut it down.
    let (conn, limits) = (Arc::new(conn), lock(room).limits);
    let (outbox, inbox) = sync_channel(limits.queue_len);
    let flow = Arc::default();
    let id = lock(room).add(outbox, Arc::clone(&flow), conn.clone());
    // A scoped thread may borrow `conn`: the scope waits for it to end.
    let ended = thread::scope(|scope| {
        let writer = thread::Builder::new()
            .stack_size(STACK)
            .spawn_scoped(scope, || {
                let sent = write_out(&conn, inbox, &flow, limits.write_timeout);
                // Ended, as if stuck: never waited for (flood). FIN after the
                // last line; after a failure the reader's read() must return too.
                flow.taken(0, true);
                let _ = match sent.map_err(|e| e.kind()) {
                    Ok(()) => conn.shutdown(Shutdown::Write),
                    Err(ErrorKind::TimedOut) => lock(room).cut_off(id, "stopped taking our lines"),
                    Err(_) => conn.shutdown(Shutdown::Both),
                };
            });
        let ended = writer.and_then(|_| converse(&conn, peer, id, room));
        // Out of the room, its queue's sender is dropped: the writer sends
        // what is left, then ends. If the room let go first, it says why.
        match lock(room).leave(id) {
            true => ended,
            false => Ok(End::Stopped),
        }
    });
    if linger::wanted(&ended) {
        linger::drain(&conn);
    }
    ended
}
// ANCHOR_END: admit

// ANCHOR: converse
/// One conversation: hand every message the client sends to the room, until
/// it leaves. The room answers through the client's queue.
pub fn converse(conn: &TcpStream, peer: SocketAddr, id: u64, room: &SharedRoom) -> io::Result<End> {
    // Python: f = conn.makefile("rb"): lines out of what read() brought,
    // each read ending by the join deadline until the client joins.
    let limits = lock(room).limits;
    let mut reader = BufReader::with_capacity(1024, join::Deadline::new(conn, limits.join_timeout));
    // Python: while True:
    loop {
        // Python: line = f.readline(), bounded as in stage 5.
        let line = match read_line(&mut reader, MAX_LINE) {
            Ok(Some(line)) => line,
            // The client closed its side (it sent FIN), or the room shut the
            // connection down.
            Ok(None) => return Ok(End::Closed),
            // Too long (the rest unread), or too late: tell the client, close.
            Err(e) if matches!(e.kind(), ErrorKind::InvalidData | ErrorKind::TimedOut) => {
                let late = e.kind() == ErrorKind::TimedOut;
                count(if late { "join too late" } else { "long line" });
                lock(room).tell(id, error_line(&format!("{e}; closing the connection")));
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        // A blank line says nothing (someone pressed Enter in `nc`).
        if line.trim_ascii().is_empty() {
            continue;
        }
        // Parse outside the lock: the room is held only to pass a message on.
        let heard = match parse_message(&line) {
            Ok(said) if said.msg == "/quit" => return Ok(End::Quit),
            Ok(said) => lock(room).hear(id, said),
            Err(why) => Err(why),
        };
        // Joined: no deadline now. A sender faster than the room waits
        // here, so that TCP slows it down (flood); `/who` is its own affair.
        if let Ok(m) = &heard {
            reader.get_mut().joined()?;
            if m.msg != "/who" {
                flood::hold_back(room, id, limits.queue_len / 2);
            }
        }
        match heard {
            Ok(m) => log!(
                "{peer} {}: {}",
                printable(m.name.as_bytes()),
                preview(m.msg.as_bytes())
            ),
            Err(why) => {
                log!("{peer}: refused: {}", printable(why.as_bytes()));
                lock(room).tell(id, error_line(&why));
            }
        }
    }
}
// ANCHOR_END: converse

// ANCHOR: write_out
/// One client's writer thread: sends the lines the room queues for it, in
/// order, until the room lets go of the client, or the client takes them
/// too slowly (`write_timeout`).
fn write_out(
    conn: &TcpStream,
    inbox: Receiver<Arc<str>>,
    flow: &Flow,
    t: Duration,
) -> io::Result<()> {
    conn.set_write_timeout(Some((t / 4).min(Duration::from_millis(500))))?;
    // Python: while (line := q.get()) is not None: conn.sendall(line)
    while let Ok(line) = inbox.recv() {
        // Every line waiting (as many as one writev() takes): one system call.
        let mut lines = vec![line];
        lines.extend(inbox.try_iter().take(1023));
        flow.taken(lines.len(), true);
        // Blocks while the client's buffers are full: this thread waits,
        // never the room.
        write_timeout::write_lines(conn, &lines, t)?;
        flow.taken(0, false);
        thread::sleep(GATHER);
    }
    Ok(())
}
// ANCHOR_END: write_out

// ANCHOR: room
/// The room, shared by every client's thread: `Arc` gives each thread a
/// handle to the one room (Python: a global list), `Mutex` lets one thread
/// at a time change or walk it (Python: `with lock:`); Rust refuses to
/// compile the unlocked version. Stamping and queueing a message for
/// everyone under the lock also gives all clients one order.
pub type SharedRoom = Arc<Mutex<Room>>;

/// Locks the room. A thread that panicked while holding the lock leaves it
/// "poisoned"; each change below leaves the room whole, so the others go on.
pub fn lock(room: &SharedRoom) -> MutexGuard<'_, Room> {
    room.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Who is connected.
#[derive(Default)]
pub struct Room {
    members: Vec<Member>,
    next_id: u64,
    /// Set by Ctrl-C: a client that arrives later is dropped at once.
    closed: bool,
    limits: Limits,
}

/// One connected client, as the room sees it.
struct Member {
    id: u64,
    /// Bound by its first message; until then it hears nothing of the room.
    name: Option<String>,
    /// Its queue; the writer thread holds the other end.
    outbox: SyncSender<Arc<str>>,
    /// How far behind its writer is (flood).
    flow: Arc<Flow>,
    /// To shut it down if it is too slow; `None` once it was.
    conn: Option<Arc<TcpStream>>,
}
// ANCHOR_END: room

impl Room {
    fn add(&mut self, outbox: SyncSender<Arc<str>>, flow: Arc<Flow>, conn: Arc<TcpStream>) -> u64 {
        self.next_id += 1;
        let (id, name, conn) = (self.next_id, None, Some(conn));
        // After Ctrl-C, dropping `outbox` ends the writer, and so the client.
        if !self.closed {
            self.members.push(Member {
                id,
                name,
                outbox,
                flow,
                conn,
            });
        }
        id
    }

    fn at(&self, id: u64) -> Option<usize> {
        self.members.iter().position(|m| m.id == id)
    }

    // ANCHOR: hear
    /// A message from client `id`: bind or check its name, then pass it on
    /// (`/who`: answer the sender alone). `Err` says why it was refused.
    pub fn hear(&mut self, id: u64, said: Message) -> Result<Message, String> {
        let at = self.at(id).ok_or("you were disconnected")?;
        let name = &said.name;
        match &self.members[at].name {
            Some(bound) if bound == name => {}
            Some(bound) => return Err(format!("this connection is {bound:?}, not {name:?}")),
            // The first message binds the name, if it is allowed and free
            // (ignoring case: `Observer` would pass for `observer`).
            None => {
                check_name(name)?;
                let lower = name.to_lowercase();
                let mut names = self.members.iter().filter_map(|m| m.name.as_ref());
                if names.any(|n| n.to_lowercase() == lower) {
                    return Err(format!("the name {name:?} is taken; choose another"));
                }
                self.members[at].name = Some(name.clone());
                self.broadcast(SERVER_NAME, &format!("{name} joined"));
            }
        }
        if said.msg == "/who" {
            let online = who::online(self.members.iter().filter_map(|m| m.name.as_deref()));
            self.tell(id, json_line(SERVER_NAME, &online, now()));
        } else {
            self.broadcast(name, &said.msg);
        }
        Ok(said)
    }
    // ANCHOR_END: hear

    // ANCHOR: broadcast
    /// Stamps a message with the time and queues it for every client that
    /// joined. The caller holds the lock, so no other message can come
    /// between: the order of the lock is the order everyone sees.
    fn broadcast(&mut self, name: &str, msg: &str) {
        self.send(json_line(name, msg, now()), |m| m.name.is_some());
    }

    /// Queues `line` for client `id` alone: an error, or the answer to `/who`.
    fn tell(&mut self, id: u64, line: String) {
        self.send(line, |m| m.id == id);
    }

    /// Queues `line` for the members `to` picks, at once or not at all: with
    /// the room locked, waiting on one client that stopped reading would stop
    /// everyone. A full queue means "too slow": the connection is shut down
    /// (its writer's write() fails, its read() returns 0), and its thread
    /// leaves the room. The line is made once and shared (`Arc`: no copies).
    fn send(&mut self, line: String, to: impl Fn(&Member) -> bool) {
        let line: Arc<str> = line.into();
        for member in self.members.iter_mut().filter(|m| to(m)) {
            if let Err(TrySendError::Full(_)) = member.flow.queue(&member.outbox, line.clone()) {
                if let Some(conn) = member.conn.take() {
                    count("too slow to read");
                    let _ = conn.shutdown(Shutdown::Both);
                }
            }
        }
    }
    // ANCHOR_END: broadcast

    /// Client `id`'s writer gave up (`bound`): shut it down as too slow.
    fn cut_off(&mut self, id: u64, bound: &'static str) -> io::Result<()> {
        let Some(conn) = self.at(id).and_then(|at| self.members[at].conn.take()) else {
            return Ok(());
        };
        count(bound);
        conn.shutdown(Shutdown::Both)
    }

    /// Client `id` leaves: out of the room, and a notice if it had joined.
    /// Returns whether it left by itself (not too slow, not closed by Ctrl-C).
    pub fn leave(&mut self, id: u64) -> bool {
        let Some(at) = self.at(id) else { return false };
        let member = self.members.remove(at);
        let why = match member.conn {
            Some(_) => "left",
            None => "was disconnected: too slow to read",
        };
        if let Some(name) = member.name {
            self.broadcast(SERVER_NAME, &format!("{name} {why}"));
        }
        member.conn.is_some()
    }

    /// Ctrl-C: tells everyone `why` and lets go of every client. Returns their
    /// connections, to shut down those whose writer does not finish.
    fn close(&mut self, why: &str) -> Vec<Arc<TcpStream>> {
        self.broadcast(SERVER_NAME, why);
        self.closed = true;
        self.members.drain(..).filter_map(|m| m.conn).collect()
    }
}

/// The server's time for a message: `2026-11-22T12:34:56.789Z`.
fn now() -> Option<String> {
    Some(kit::rfc3339(SystemTime::now()))
}

// ANCHOR: names
/// Checks a name a client wants. Everyone reads it on screen, so it must look
/// like what it is: 1 to 32 characters, nothing invisible or that changes
/// how the line is drawn, no space at either end (`"alice "` passes for
/// `alice`), and not the server's.
pub fn check_name(name: &str) -> Result<(), String> {
    let chars = name.chars().count();
    if !(1..=32).contains(&chars) {
        return Err(format!("a name is 1 to 32 characters, not {chars}"));
    }
    if let Some(c) = name.chars().find(|&c| kit::invisible(c)) {
        return Err(format!("a name cannot hold invisible characters: {c:?}"));
    }
    if name.trim() != name {
        return Err("a name cannot start or end with a space".into());
    }
    if name.to_lowercase() == SERVER_NAME {
        return Err(format!("the name {SERVER_NAME:?} is the server's"));
    }
    Ok(())
}

// ANCHOR_END: names

// ANCHOR: message
/// A chat message, `{"name": "alice", "msg": "hi", "time": "..."}`. serde
/// reads JSON into it (Python: `json.loads`), saying what is wrong when a
/// line does not fit, and writes it as JSON (Python: `json.dumps`). The
/// server sets `time`; one a client sends is ignored.
#[derive(Debug, Serialize, Deserialize)]
pub struct Message {
    pub name: String,
    pub msg: String,
    #[serde(skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
}

/// Reads one client line as a message, or says what is wrong with it.
pub fn parse_message(line: &[u8]) -> Result<Message, String> {
    let hint = r#"send one JSON object per line, like {"name": "alice", "msg": "hi"}"#;
    // serde would also read a struct from a JSON array (`["alice", "hi"]`);
    // the protocol says object.
    if !line.trim_ascii_start().starts_with(b"{") {
        return Err(format!("not a JSON object; {hint}"));
    }
    serde_json::from_slice(line).map_err(|e| format!("{e}; {hint}"))
}

/// A message as one line of JSON and `\n` (Python: `json.dumps(m) + "\n"`).
pub fn json_line(name: &str, msg: &str, time: Option<String>) -> String {
    let (name, msg) = (name.to_string(), msg.to_string());
    let line = serde_json::to_string(&Message { name, msg, time });
    line.expect("strings always serialize") + "\n"
}

/// `{"error": why}` and a newline.
pub fn error_line(why: &str) -> String {
    serde_json::json!({ "error": why }).to_string() + "\n"
}
// ANCHOR_END: message

/// How a conversation ended, for the log. An error is about this one client,
/// never a reason to stop the server: `except ConnectionResetError: break`.
pub fn describe(ended: &io::Result<End>) -> String {
    match ended {
        Ok(End::Quit) => "sent /quit; left".into(),
        Ok(End::Closed) => "closed the connection".into(),
        Ok(End::Stopped) => "connection closed by the room (too slow to read, or Ctrl-C)".into(),
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

// ANCHOR: client_side
/// How the client shows a line from the server: `[12:34:56] alice: hi`, the
/// time of day in UTC, and a notice from `server` as `[12:34:56] * bob
/// joined`. What a peer sent goes through `printable`, so that `\x1b[2J`
/// cannot clear the screen nor a `\n` start a fake line; a name that could
/// pass for a notice or for part of a line (`* bob`, `alice: hi`) is quoted.
pub fn show(line: &[u8]) -> String {
    let got: serde_json::Value = serde_json::from_slice(line).unwrap_or_default();
    let text = |key: &str| printable(got[key].as_str().unwrap_or("").as_bytes());
    if got["error"].is_string() {
        return format!("[error] {}", text("error"));
    }
    // `2026-11-22T12:34:56.789Z`: characters 11 to 19 are the time of day.
    let (time, msg) = (text("time"), text("msg"));
    let clock = time.get(11..19).unwrap_or("??:??:??");
    let name = got["name"].as_str().unwrap_or("");
    let plain = check_name(name).is_ok() && !name.starts_with('*');
    match name {
        SERVER_NAME => format!("[{clock}] * {msg}"),
        _ if plain && !name.contains([' ', ':', '"']) => format!("[{clock}] {name}: {msg}"),
        // Debug quotes it, escaping `"`, `\` and what is invisible.
        _ => format!("[{clock}] {name:?}: {msg}"),
    }
}
// ANCHOR_END: client_side
