//! Stage 6: a chat room, where every client hears what anyone says.
//!
//! Stage 3 plus one idea: the client threads share a *room*. Each client's
//! thread hands the room the tutorial's JSON lines (read with stage 5's
//! `read_line`); the room passes each message on to every client, in one
//! order, through a bounded queue and a writer thread per client.

use std::io::{self, BufReader, ErrorKind, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, SystemTime};

pub use framing::read_line;
use kit::{Stop, printable};
use serde::{Deserialize, Serialize};

/// Where the server listens and the client connects when no address is given.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8888";

/// The longest line the server reads (`\n` or `\r\n` not counted), and the
/// most lines that may wait for one client (`--queue`): a client that lets
/// more pile up has stopped reading, and is disconnected.
pub const MAX_LINE: usize = 64 * 1024;
pub const QUEUE_LEN: usize = 256;

/// The name of the server's notices; no client may take it.
pub const SERVER_NAME: &str = "server";

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

// practice: rung 1, lessons/06-chat.md#the-diff-from-stage-3
// ANCHOR: serve
/// Serves every client at once, each in its own thread, all in one room,
/// until Ctrl-C; returns how many it served.
pub fn serve(listener: &TcpListener, stop: &Stop, queue_len: usize) -> io::Result<u64> {
    let mut served = 0;
    // The one room every client's thread shares (see `SharedRoom`), and the
    // threads, to wait for them on Ctrl-C.
    let room = SharedRoom::default();
    let mut threads = Vec::new();
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
        // `move` hands the connection (and a clone of the room's `Arc`) to the
        // new thread, which talks to this client while we accept the next.
        let room = room.clone();
        let spawned = thread::Builder::new().spawn(move || {
            let ended = admit(conn, peer, &room, queue_len);
            println!("{peer}: {}", describe(&ended));
        });
        // The JoinHandle is kept, to wait for the thread on Ctrl-C. Unlike
        // thread::spawn, which panics, Builder reports an OS with no thread to
        // give as an error, and only this client is closed, not the server.
        if let Err(e) = spawned.map(|thread| threads.push(thread)) {
            println!("{peer}: cannot start a thread ({e}); connection closed");
        }
        threads.retain(|t| !t.is_finished());
    }
    // Ctrl-C: tell the room. Each writer sends what is queued, the notice
    // last, then ends its connection. After a moment, shut down those stuck
    // in write() on a client that reads nothing, and wait for every thread.
    let closing = lock(&room).close("the server is closing (Ctrl-C); goodbye");
    thread::sleep(Duration::from_millis(300));
    for conn in closing {
        let _ = conn.shutdown(Shutdown::Both);
    }
    for thread in threads {
        let _ = thread.join();
    }
    Ok(served)
}
// ANCHOR_END: serve

// practice: rung 1, lessons/06-chat.md#the-rust
// ANCHOR: admit
/// A new client's thread: a place in the room, a writer thread that sends
/// what the room queues for it, and [`converse`] until it leaves.
pub fn admit(conn: TcpStream, peer: SocketAddr, room: &SharedRoom, n: usize) -> io::Result<End> {
    // Python: queue.Queue(maxsize=n). The room keeps the sending end, and a
    // second handle on the socket (`try_clone`) to shut it down.
    let (outbox, inbox) = sync_channel(n);
    let id = lock(room).add(outbox, conn.try_clone()?);
    // A scoped thread may borrow `conn`: the scope waits for it to end.
    thread::scope(|scope| {
        let writer = thread::Builder::new().spawn_scoped(scope, || write_out(&conn, inbox));
        let ended = writer.and_then(|_| converse(&conn, peer, id, room));
        // Out of the room, its queue's sender is dropped: the writer sends
        // what is left, then ends. If the room let go first, it says why.
        match lock(room).leave(id) {
            true => ended,
            false => Ok(End::Stopped),
        }
    })
}
// ANCHOR_END: admit

// practice: rung 1, lessons/06-chat.md#the-diff-from-stage-3
// ANCHOR: converse
/// One conversation: hand every message the client sends to the room, until
/// it leaves. The room answers through the client's queue.
pub fn converse(conn: &TcpStream, peer: SocketAddr, id: u64, room: &SharedRoom) -> io::Result<End> {
    // Python: f = conn.makefile("rb"): lines out of what read() brought.
    let mut reader = BufReader::new(conn);
    // Python: while True:
    loop {
        // Python: line = f.readline(), bounded as in stage 5.
        let line = match read_line(&mut reader, MAX_LINE) {
            Ok(Some(line)) => line,
            // The client closed its side (it sent FIN), or the room shut the
            // connection down.
            Ok(None) => return Ok(End::Closed),
            // Too long: the rest of it is unread. Tell the client, and close.
            Err(e) if e.kind() == ErrorKind::InvalidData => {
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
        match heard {
            Ok(m) => println!(
                "{peer} {}: {}",
                printable(m.name.as_bytes()),
                preview(m.msg.as_bytes())
            ),
            Err(why) => {
                println!("{peer}: refused: {}", printable(why.as_bytes()));
                lock(room).tell(id, error_line(&why));
            }
        }
    }
}
// ANCHOR_END: converse

// practice: rung 1, lessons/06-chat.md#the-rust
// ANCHOR: write_out
/// One client's writer thread: sends the lines the room queues for it, in
/// order, until the room lets go of the client; then ends the connection.
fn write_out(mut conn: &TcpStream, inbox: Receiver<Arc<str>>) {
    // Python: while (line := q.get()) is not None: conn.sendall(line)
    for line in inbox {
        // Blocks while the client's buffers are full: this thread waits,
        // never the room.
        if conn.write_all(line.as_bytes()).is_err() {
            break;
        }
    }
    // FIN after the last line, and the reader's read() returns 0.
    let _ = conn.shutdown(Shutdown::Both);
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
}

/// One connected client, as the room sees it.
struct Member {
    id: u64,
    /// Bound by its first message; until then it hears nothing of the room.
    name: Option<String>,
    /// Its queue; the writer thread holds the other end.
    outbox: SyncSender<Arc<str>>,
    /// To shut it down if it is too slow; `None` once it was.
    conn: Option<TcpStream>,
}
// ANCHOR_END: room

impl Room {
    fn add(&mut self, outbox: SyncSender<Arc<str>>, conn: TcpStream) -> u64 {
        self.next_id += 1;
        let (id, name, conn) = (self.next_id, None, Some(conn));
        // After Ctrl-C, dropping `outbox` ends the writer, and so the client.
        if !self.closed {
            self.members.push(Member {
                id,
                name,
                outbox,
                conn,
            });
        }
        id
    }

    fn at(&self, id: u64) -> Option<usize> {
        self.members.iter().position(|m| m.id == id)
    }

    // practice: rung 3, lessons/06-chat.md#the-rust
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
            let names: Vec<_> = self.members.iter().filter_map(|m| m.name.clone()).collect();
            let online = json_line(SERVER_NAME, &format!("online: {}", names.join(", ")), now());
            self.tell(id, online);
        } else {
            self.broadcast(name, &said.msg);
        }
        Ok(said)
    }
    // ANCHOR_END: hear

    // practice: rung 3, lessons/06-chat.md#the-rust
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
            if let Err(TrySendError::Full(_)) = member.outbox.try_send(line.clone()) {
                if let Some(conn) = member.conn.take() {
                    let _ = conn.shutdown(Shutdown::Both);
                }
            }
        }
    }
    // ANCHOR_END: broadcast

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
    fn close(&mut self, why: &str) -> Vec<TcpStream> {
        self.broadcast(SERVER_NAME, why);
        self.closed = true;
        self.members.drain(..).filter_map(|m| m.conn).collect()
    }
}

/// The server's time for a message: `2026-11-22T12:34:56.789Z`.
fn now() -> Option<String> {
    Some(kit::rfc3339(SystemTime::now()))
}

// practice: rung 2, lessons/06-chat.md#the-rust
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

// practice: rung 9, lessons/06-chat.md#the-rust
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
