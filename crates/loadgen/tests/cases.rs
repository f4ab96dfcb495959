//! loadgen against tiny servers written here, on port 0, for a fraction of
//! a second each: does it count what happened, and does it always stop?
//! The last checks drive the Python peers through `loadgen compare`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;
use common::{PEERS, loadgen, num, report};

/// A thread-per-connection echo server that runs until the test ends.
fn echo_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            thread::spawn(move || echo(conn));
        }
    });
    addr
}

fn echo(mut conn: TcpStream) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    let mut buf = [0u8; 1024];
    while let Ok(n @ 1..) = conn.read(&mut buf) {
        if conn.write_all(&buf[..n]).is_err() {
            break;
        }
    }
}

#[test]
fn tcp_echo_counts_every_round_trip() {
    let addr = echo_server();
    let r = report(&[
        "tcp-echo",
        "--addr",
        &addr,
        "--conns",
        "4",
        "--requests",
        "50",
        "--size",
        "100",
        "--secs",
        "5",
    ]);
    assert_eq!(num(&r, "ok"), 200);
    assert_eq!(num(&r, "expected"), 200);
    assert_eq!(num(&r, "errors"), 0);
    assert_eq!(num(&r, "conns_finished"), 4);
    assert!(r["p99_us"].as_f64().is_some_and(|p| p > 0.0));
}

#[test]
fn tcp_echo_against_a_one_at_a_time_server_reports_the_waiting_clients() {
    // Accepts one client and serves it; the others stay in the backlog.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    thread::spawn(move || {
        if let Ok((conn, _)) = listener.accept() {
            echo(conn);
        }
        // Keep the listener (and its backlog) until the test ends.
        thread::sleep(Duration::from_secs(5));
    });
    let started = Instant::now();
    let r = report(&[
        "tcp-echo",
        "--addr",
        &addr,
        "--conns",
        "3",
        "--requests",
        "1000000",
        "--secs",
        "0.3",
    ]);
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(3),
        "--secs 0.3 must end the run even with clients stuck in the backlog; it took {took:?}"
    );
    assert_eq!(num(&r, "conns_connected"), 3);
    assert_eq!(num(&r, "conns_served"), 1);
    assert_eq!(num(&r, "conns_waiting"), 2);
    assert_eq!(num(&r, "errors"), 0);
    assert!(num(&r, "ok") > 0);
}

#[test]
fn tcp_echo_counts_wrong_replies_as_errors() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let mut buf = [0u8; 32];
            let _ = conn.read(&mut buf);
            let _ = conn.write_all(&[b'!'; 32]);
        }
    });
    let r = report(&["tcp-echo", "--addr", &addr, "--conns", "2", "--secs", "2"]);
    assert_eq!(num(&r, "ok"), 0);
    assert_eq!(r["error_kinds"]["wrong reply"].as_u64(), Some(2), "{r}");
}

#[test]
fn udp_echo_counts_lost_datagrams_and_moves_on() {
    // Answers every other datagram.
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let addr = socket.local_addr().expect("addr").to_string();
    thread::spawn(move || {
        let mut buf = [0u8; 2048];
        let mut n = 0u64;
        while let Ok((len, peer)) = socket.recv_from(&mut buf) {
            n += 1;
            if n % 2 == 0 {
                let _ = socket.send_to(&buf[..len], peer);
            }
        }
    });
    let r = report(&[
        "udp-echo",
        "--addr",
        &addr,
        "--clients",
        "1",
        "--requests",
        "20",
        "--timeout-ms",
        "10",
        "--secs",
        "5",
    ]);
    assert_eq!(num(&r, "ok"), 10, "{r}");
    assert_eq!(num(&r, "lost"), 10, "{r}");
    assert_eq!(num(&r, "errors"), 0, "{r}");
}

#[test]
fn hold_opens_all_then_answers_each() {
    let addr = echo_server();
    let r = report(&[
        "hold",
        "--addr",
        &addr,
        "--conns",
        "60",
        "--parallel",
        "6",
        "--secs",
        "5",
    ]);
    assert_eq!(num(&r, "held"), 60);
    assert_eq!(num(&r, "ok"), 60);
    assert_eq!(num(&r, "errors"), 0);
}

#[test]
fn hold_with_nothing_listening_reports_refused_connects() {
    // Nothing listens there, and nothing else can take the port meanwhile
    // (a port bound and dropped is free for any parallel test's server).
    let (_closed, addr) = harness::closed_port().expect("a closed port");
    let r = report(&["hold", "--addr", &addr, "--conns", "3", "--secs", "2"]);
    assert_eq!(num(&r, "held"), 0);
    assert_eq!(
        r["error_kinds"]["connect: ConnectionRefused"].as_u64(),
        Some(3)
    );
}

/// A minimal chat room: every line from anyone goes to everyone, in one
/// order (the lock is held while sending).
fn chat_room() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let clients: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
    thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let Ok(writer) = conn.try_clone() else {
                continue;
            };
            clients.lock().expect("lock").push(writer);
            let clients = clients.clone();
            thread::spawn(move || {
                let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
                for line in BufReader::new(conn).lines().map_while(Result::ok) {
                    let Ok(mut v) = serde_json::from_str::<Value>(&line) else {
                        continue;
                    };
                    v["time"] = "2026-01-01T00:00:00.000Z".into();
                    let out = format!("{v}\n");
                    for c in clients.lock().expect("lock").iter_mut() {
                        let _ = c.write_all(out.as_bytes());
                    }
                }
            });
        }
    });
    addr
}

#[test]
fn chat_delivers_to_everyone_in_one_order() {
    let addr = chat_room();
    let r = report(&[
        "chat",
        "--addr",
        &addr,
        "--clients",
        "6",
        "--senders",
        "3",
        "--messages",
        "20",
        "--secs",
        "5",
    ]);
    assert_eq!(num(&r, "joined"), 6, "{r}");
    assert_eq!(num(&r, "ok"), 6 * 3 * 20, "{r}");
    assert_eq!(num(&r, "lost"), 0, "{r}");
    assert_eq!(r["same_order"], Value::Bool(true), "{r}");
}

#[test]
fn chat_paced_senders_take_as_long_as_the_rate_says() {
    let addr = chat_room();
    let r = report(&[
        "chat",
        "--addr",
        &addr,
        "--clients",
        "3",
        "--senders",
        "2",
        "--messages",
        "10",
        "--rate",
        "100",
        "--secs",
        "5",
    ]);
    // 20 messages at 100/s: the last is due at 0.19 s.
    let secs = r["secs"].as_f64().unwrap_or(0.0);
    assert!((0.15..1.5).contains(&secs), "{r}");
    assert_eq!(num(&r, "ok"), 3 * 20, "{r}");
}

#[test]
fn bad_command_lines_exit_2_with_one_error_line() {
    for args in [
        &["tcp-echo"][..],
        &["tcp-echo", "--addr", "127.0.0.1:1", "--conns", "0"],
        &["udp-echo", "--addr", "127.0.0.1:1", "--size", "4"],
        &[
            "chat",
            "--addr",
            "127.0.0.1:1",
            "--clients",
            "2",
            "--senders",
            "3",
        ],
        &["nonsense"],
        &["compare", "--", "tcp-echo"],
        &["tcp-echo", "--addr", "127.0.0.1:1", "extra"],
    ] {
        let out = loadgen(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
    }
    assert_eq!(loadgen(&["--help"]).status.code(), Some(0));
}

#[test]
fn compare_drives_the_python_peers_interleaved() {
    let runs: Vec<_> = [
        (
            "echo_server.py",
            &["tcp-echo", "--conns", "2", "--secs", "0.2"][..],
        ),
        (
            "udp_server.py",
            &["udp-echo", "--clients", "2", "--secs", "0.2"],
        ),
        (
            "chat_server.py",
            &[
                "chat",
                "--clients",
                "3",
                "--senders",
                "1",
                "--messages",
                "10",
            ],
        ),
    ]
    .into_iter()
    .map(|(peer, case)| {
        // The three peers at once: each comparison mostly waits for Python
        // to start.
        thread::spawn(move || {
            let server = format!("python3 {PEERS}/{peer}");
            let mut args = vec![
                "compare", "--rounds", "2", "--server", &server, "--json", "--",
            ];
            args.extend(case);
            (peer, loadgen(&args))
        })
    })
    .collect();
    for run in runs {
        let (peer, out) = run.join().expect("compare thread");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{peer}: {stderr}");
        assert!(
            stdout.contains(&format!("| `{peer}` |")),
            "{peer}: {stdout}"
        );
        let line = stdout.lines().last().unwrap_or("");
        let m: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert_eq!(m["rounds"].as_u64(), Some(2), "{m}");
        assert_eq!(m["errors"].as_u64(), Some(0), "{peer}: {m}");
        assert!(num(&m, "ok") > 0, "{peer}: {m}");
        assert!(
            m["server_vmhwm_kib"].as_u64().is_some_and(|k| k > 1000),
            "{m}"
        );
        assert!(m["server_cpu_ms"].as_f64().is_some(), "{m}");
    }
}
