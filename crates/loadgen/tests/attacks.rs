//! The attack cases (lesson 07) against a real chat room, stage 6's
//! `chat-server` (built here if need be; the Python chat peer where it
//! cannot be), and against tiny rooms written here that do what stage 7
//! will (close a dribbler, cut off a client that never reads) or what a
//! buggy server does (keep ghosts, never answer): does each case count
//! what happened, and stop in time?

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use harness::Server;
use serde_json::{Value, json};

mod common;
use common::{PEERS, float, loadgen, num, report};

/// Stage 6's `chat-server`, built here if need be; `None` when it cannot be had.
fn chat_server() -> Option<&'static str> {
    static EXE: OnceLock<Option<String>> = OnceLock::new();
    EXE.get_or_init(|| common::workspace_bin("chat", "chat-server"))
        .as_deref()
}

/// A real chat room on port 0: stage 6's server, or the Python peer.
/// `None` (with a note) when neither can run here.
fn room() -> Option<Server> {
    if let Some(exe) = chat_server() {
        return Some(Server::start(exe, &["127.0.0.1:0"]).expect("chat-server starts"));
    }
    if let Some(python) = harness::python3() {
        let peer = format!("{PEERS}/chat_server.py");
        let args = ["-S", "-u", &peer, "127.0.0.1:0"];
        return Some(Server::start(&python, &args).expect("the Python chat peer starts"));
    }
    eprintln!("note: no chat-server and no python3: skipped");
    None
}

/// A tiny chat room for the cases' own checks. Each connection gets a
/// thread; `rule` decides what it does. Lines are JSON; a joined client's
/// messages come back to it alone, stamped, except `/who`, answered with
/// every name ever joined (this room never forgets one: ghosts).
fn tiny_room(rule: Rule) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let names: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    thread::spawn(move || {
        for (k, conn) in listener.incoming().flatten().enumerate() {
            let names = names.clone();
            thread::spawn(move || serve(conn, k, rule, &names));
        }
    });
    addr
}

#[derive(Clone, Copy)]
enum Rule {
    /// Closes a connection that has not sent a whole line 300 ms after
    /// accept, with an error line (stage 7's join timeout).
    JoinDeadline,
    /// Remembers every name: `/who` lists ghosts.
    Ghosts,
    /// Of every three connections: one is answered, one refused (error
    /// line, close), one never answered.
    AnswerRefuseHang,
}

fn serve(mut conn: TcpStream, k: usize, rule: Rule, names: &Mutex<BTreeSet<String>>) {
    let accepted = Instant::now();
    let _ = conn.set_read_timeout(Some(Duration::from_millis(20)));
    if let Rule::AnswerRefuseHang = rule {
        match k % 3 {
            1 => {
                let _ = conn.write_all(b"{\"error\":\"the room is full\"}\n");
                return;
            }
            2 => {
                // Hold it, unanswered, until the test ends.
                thread::sleep(Duration::from_secs(30));
                return;
            }
            _ => {}
        }
    }
    // Reads a little at a time and looks at the clock between reads: a
    // per-read timeout would never fire for a client that sends a byte
    // more often than the timeout (that is the slowloris trick).
    let mut pending = Vec::new();
    let mut buf = [0u8; 4096];
    let mut joined = false;
    loop {
        let late = accepted.elapsed() > Duration::from_millis(300);
        if matches!(rule, Rule::JoinDeadline) && !joined && late {
            let _ = conn.write_all(b"{\"error\":\"too slow to join\"}\n");
            let _ = conn.shutdown(Shutdown::Both);
            return;
        }
        match conn.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => pending.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(_) => return,
        }
        // Every whole line that came, before reading again.
        while let Some(end) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            joined = true;
            if answer(&mut conn, &line, names).is_err() {
                return;
            }
        }
    }
}

/// The tiny room's answer to one line: `/who`, or the line back, stamped.
fn answer(
    conn: &mut TcpStream,
    line: &[u8],
    names: &Mutex<BTreeSet<String>>,
) -> std::io::Result<()> {
    let msg: Value = serde_json::from_slice(line)?;
    let name = msg["name"].as_str().unwrap_or("").to_string();
    names.lock().expect("lock").insert(name.clone());
    let reply = match msg["msg"].as_str() {
        Some("/who") => {
            let all: Vec<String> = names.lock().expect("lock").iter().cloned().collect();
            json!({"name": "server", "msg": format!("online: {}", all.join(", "))})
        }
        _ => json!({"name": name, "msg": msg["msg"], "time": "2026-01-01T00:00:00.000Z"}),
    };
    conn.write_all(format!("{reply}\n").as_bytes())
}

#[test]
fn dribble_against_stage_6_every_dribbler_stays_and_fresh_clients_join() {
    let Some(server) = room() else { return };
    let pid = server.pid().to_string();
    let r = report(&[
        "dribble",
        "--addr",
        server.addr(),
        "--pid",
        &pid,
        "--conns",
        "5",
        "--interval-ms",
        "20",
        "--probe-ms",
        "100",
        "--secs",
        "0.6",
    ]);
    assert_eq!(num(&r, "dribblers_connected"), 5, "{r}");
    assert_eq!(num(&r, "dribblers_closed"), 0, "{r}");
    assert_eq!(num(&r, "dribblers_open_at_end"), 5, "{r}");
    assert!(num(&r, "bytes_dribbled") >= 5, "{r}");
    assert!(num(&r, "probes") >= 2, "{r}");
    assert_eq!(num(&r, "ok"), num(&r, "probes"), "{r}");
    assert_eq!(num(&r, "errors"), 0, "{r}");
    // Read while the dribblers were open: each holds a descriptor at least.
    assert!(num(&r, "server_fds") >= 5, "{r}");
    assert!(num(&r, "server_threads") >= 1, "{r}");
    assert!(num(&r, "server_rss_kib") > 0, "{r}");
}

#[test]
fn dribble_times_a_server_that_closes_unjoined_connections() {
    let addr = tiny_room(Rule::JoinDeadline);
    let r = report(&[
        "dribble",
        "--addr",
        &addr,
        "--conns",
        "4",
        "--interval-ms",
        "20",
        "--probe-ms",
        "200",
        "--secs",
        "1",
    ]);
    assert_eq!(num(&r, "dribblers_closed"), 4, "{r}");
    assert_eq!(num(&r, "dribblers_told"), 4, "{r}");
    assert_eq!(num(&r, "dribblers_open_at_end"), 0, "{r}");
    let after = float(&r, "closed_after_p50_s");
    assert!((0.25..0.9).contains(&after), "closed after 0.3 s: {r}");
    assert_eq!(num(&r, "ok"), num(&r, "probes"), "{r}");
}

#[test]
fn flood_counts_what_each_reader_got_in_order() {
    let Some(server) = room() else { return };
    // 100 lines: less than any queue, so nobody is cut off.
    let r = report(&[
        "flood",
        "--addr",
        server.addr(),
        "--readers",
        "3",
        "--lines",
        "100",
        "--secs",
        "3",
    ]);
    assert_eq!(num(&r, "readers_joined"), 3, "{r}");
    assert_eq!(num(&r, "sent"), 100, "{r}");
    assert_eq!(num(&r, "room_took"), 100, "{r}");
    assert!(float(&r, "room_per_s") > 0.0, "{r}");
    assert_eq!(num(&r, "ok"), 300, "{r}");
    assert_eq!(num(&r, "lost"), 0, "{r}");
    assert_eq!(num(&r, "readers_complete"), 3, "{r}");
    assert_eq!(num(&r, "readers_disconnected"), 0, "{r}");
    assert_eq!(r["delivered_per_reader"], json!([100, 100, 100]), "{r}");
    assert_eq!(num(&r, "flooder_echoes"), 100, "{r}");
    assert_eq!(r["same_order"], Value::Bool(true), "{r}");
    assert!(float(&r, "flood_per_s") > 0.0, "{r}");
}

#[test]
fn flood_with_a_deaf_flooder_reads_nothing_back() {
    let Some(server) = room() else { return };
    let r = report(&[
        "flood",
        "--addr",
        server.addr(),
        "--readers",
        "2",
        "--lines",
        "50",
        "--deaf",
        "--secs",
        "3",
    ]);
    assert_eq!(r["flooder_reads"], Value::Bool(false), "{r}");
    assert_eq!(num(&r, "flooder_echoes"), 0, "{r}");
    assert_eq!(num(&r, "ok"), 100, "{r}");
}

#[test]
fn stall_against_stage_6_reports_the_others_delivery() {
    let Some(server) = room() else { return };
    let r = report(&[
        "stall",
        "--addr",
        server.addr(),
        "--clients",
        "3",
        "--rate",
        "40",
        "--size",
        "100",
        "--secs",
        "0.5",
    ]);
    assert_eq!(num(&r, "joined"), 3, "{r}");
    assert!(num(&r, "sent") >= 15, "{r}");
    assert_eq!(num(&r, "ok"), num(&r, "expected"), "{r}");
    assert!(r["stalled_cut_off"].is_boolean(), "{r}");
    // A few hundred bytes do not fill a socket's buffers: still there.
    assert_eq!(r["stalled_listed_at_end"], Value::Bool(true), "{r}");
    assert!(float(&r, "p99_us") > 0.0, "{r}");
}

#[test]
fn stall_sees_when_the_room_cuts_the_stalled_client_off() {
    // A room that tells everyone `stalled` is gone 300 ms after it joined.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let clients: Clients = Arc::default();
    thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let writer = conn.try_clone().expect("clone");
            clients.lock().expect("lock").push(writer);
            let clients = clients.clone();
            thread::spawn(move || broadcast_room(conn, clients));
        }
    });
    let r = report(&[
        "stall",
        "--addr",
        &addr,
        "--clients",
        "2",
        "--rate",
        "20",
        "--size",
        "10",
        "--secs",
        "0.8",
    ]);
    assert_eq!(r["stalled_cut_off"], Value::Bool(true), "{r}");
    let after = float(&r, "cut_off_after_s");
    assert!((0.25..0.8).contains(&after), "cut off after 0.3 s: {r}");
    assert_eq!(num(&r, "ok"), num(&r, "expected"), "{r}");
}

type Clients = Arc<Mutex<Vec<TcpStream>>>;

/// One line to everyone, in one order (under the lock).
fn send(clients: &Clients, v: Value) {
    let line = format!("{v}\n");
    for c in clients.lock().expect("lock").iter_mut() {
        let _ = c.set_write_timeout(Some(Duration::from_millis(100)));
        let _ = c.write_all(line.as_bytes());
    }
}

/// Every line to everyone; `/who` answered to the asker alone; a client
/// named `stalled` announced gone 300 ms after it joined.
fn broadcast_room(conn: TcpStream, clients: Clients) {
    let mut me = None;
    for line in BufReader::new(&conn).lines().map_while(Result::ok) {
        let Ok(v) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        if v["msg"] == "/who" {
            let who = json!({"name": "server", "msg": "online: watcher, stalled"});
            let _ = (&conn).write_all(format!("{who}\n").as_bytes());
            continue;
        }
        if me.is_none() && v["name"] == "stalled" {
            let clients = clients.clone();
            thread::spawn(move || {
                thread::sleep(Duration::from_millis(300));
                let gone = json!({"name": "server", "msg": "stalled was disconnected: too slow"});
                send(&clients, gone);
            });
        }
        me = v["name"].as_str().map(str::to_string);
        let stamped =
            json!({"name": v["name"], "msg": v["msg"], "time": "2026-01-01T00:00:00.000Z"});
        send(&clients, stamped);
    }
}

#[test]
fn storm_against_stage_6_leaves_no_ghost_and_counts_threads() {
    let Some(server) = room() else { return };
    let pid = server.pid().to_string();
    // 4 joining at once: the Python peer listens with a backlog of 5.
    let r = report(&[
        "storm",
        "--addr",
        server.addr(),
        "--clients",
        "4",
        "--lines",
        "3",
        "--waves",
        "2",
        "--pid",
        &pid,
        "--settle-secs",
        "3",
        "--secs",
        "5",
    ]);
    assert_eq!(num(&r, "waves"), 2, "{r}");
    assert_eq!(num(&r, "reset"), 8, "{r}");
    assert_eq!(num(&r, "errors"), 0, "{r}");
    assert_eq!(num(&r, "ghosts"), 0, "{r}");
    assert_eq!(r["settled"], Value::Bool(true), "{r}");
    assert!(num(&r, "threads_before") >= 1, "{r}");
    assert!(num(&r, "threads_after") <= num(&r, "threads_before"), "{r}");
    assert!(num(&r, "fds_after") <= num(&r, "fds_before"), "{r}");
}

#[test]
fn storm_names_the_ghosts_a_room_keeps() {
    let addr = tiny_room(Rule::Ghosts);
    let started = Instant::now();
    let r = report(&[
        "storm",
        "--addr",
        &addr,
        "--clients",
        "4",
        "--lines",
        "2",
        "--waves",
        "2",
        "--settle-secs",
        "0.3",
        "--secs",
        "5",
    ]);
    assert_eq!(num(&r, "reset"), 8, "{r}");
    assert_eq!(num(&r, "ghosts"), 8, "{r}");
    assert_eq!(r["settled"], Value::Bool(false), "{r}");
    assert!(
        r["ghost_names"][0]
            .as_str()
            .is_some_and(|n| n.starts_with("storm")),
        "{r}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "--settle-secs 0.3 waits that long: {r}"
    );
}

#[test]
fn hold_chat_counts_joined_refused_and_hung() {
    let addr = tiny_room(Rule::AnswerRefuseHang);
    let started = Instant::now();
    let r = report(&[
        "hold",
        "--chat",
        "--addr",
        &addr,
        "--conns",
        "9",
        "--parallel",
        "1",
        "--secs",
        "1",
    ]);
    assert_eq!(num(&r, "held"), 9, "{r}");
    assert_eq!(num(&r, "joined"), 3, "{r}");
    assert_eq!(num(&r, "refused"), 3, "{r}");
    assert_eq!(num(&r, "hung"), 3, "{r}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "--secs 1 bounds the hung ones"
    );
}

#[test]
fn hold_chat_joins_every_connection_to_stage_6() {
    let Some(server) = room() else { return };
    let r = report(&[
        "hold",
        "--chat",
        "--addr",
        server.addr(),
        "--conns",
        "20",
        "--parallel",
        "2",
        "--secs",
        "5",
    ]);
    assert_eq!(num(&r, "joined"), 20, "{r}");
    assert_eq!(
        num(&r, "refused") + num(&r, "hung") + num(&r, "closed"),
        0,
        "{r}"
    );
    assert_eq!(num(&r, "dropped_while_held"), 0, "{r}");
}

#[test]
fn attack_command_lines_are_checked() {
    for args in [
        &["storm", "--addr", "127.0.0.1:1", "--clients", "0"][..],
        &["flood", "--addr", "127.0.0.1:1", "--lines", "x"],
        &["dribble", "--addr", "127.0.0.1:1", "--nonsense"],
        &["stall"],
    ] {
        let out = loadgen(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
    }
    let help = String::from_utf8_lossy(&loadgen(&["--help"]).stdout).into_owned();
    for case in ["dribble", "flood", "stall", "storm", "--chat"] {
        assert!(help.contains(case), "--help mentions {case}");
    }
    // A closed port: the error names it, exit 1.
    let (_closed, addr) = harness::closed_port().expect("a closed port");
    let out = loadgen(&["stall", "--addr", &addr, "--secs", "1"]);
    assert_eq!(out.status.code(), Some(1));
}
