//! `loadgen udp-echo`: C clients, each with its own UDP socket, sending N
//! datagrams in lockstep: send one, wait for its echo (with a timeout), send
//! the next.
//!
//! UDP promises nothing, so a reply that does not come within `--timeout-ms`
//! counts as lost and the client moves on; it never waits forever. Each
//! datagram starts with its sequence number, so a late reply to an earlier
//! one is recognised and skipped instead of being taken for the current one.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::report::{Latencies, Report, kind_name};
use crate::run::{Gate, Progress, is_timeout, resolve, spawn};

/// What to run.
#[derive(Debug, Clone)]
pub struct UdpEcho {
    pub addr: String,
    pub clients: usize,
    pub requests: u64,
    /// Datagram size, at least [`SEQ_LEN`].
    pub size: usize,
    pub secs: Duration,
    /// How long to wait for each reply before counting it lost.
    pub timeout: Duration,
    pub progress: bool,
}

/// The sequence number at the start of every datagram.
pub const SEQ_LEN: usize = 8;

#[derive(Default)]
struct Outcome {
    done: u64,
    lost: u64,
    late: u64,
    latencies: Latencies,
    errors: Vec<String>,
}

pub fn run(cfg: &UdpEcho) -> io::Result<Report> {
    let server = resolve(&cfg.addr)?;
    if cfg.size < SEQ_LEN {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("a datagram must have room for its {SEQ_LEN}-byte sequence number"),
        ));
    }
    let gate = Gate::new();
    let count = Arc::new(AtomicU64::new(0));
    let mut threads = Vec::with_capacity(cfg.clients);
    for i in 0..cfg.clients {
        let (gate, count, cfg) = (gate.clone(), count.clone(), cfg.clone());
        threads.push(spawn(format!("udp {i}"), move || {
            client(server, &gate, &count, &cfg)
        })?);
    }
    // Binding a socket is instant; a few seconds is more than enough.
    gate.wait_arrivals(cfg.clients, Instant::now() + Duration::from_secs(5));
    let started = gate.open();
    let deadline = started + cfg.secs;
    let progress = Progress::start(cfg.progress, "udp-echo".into(), count, "datagrams answered");

    let mut report = Report::new("udp-echo", "datagrams answered");
    let mut latencies = Latencies::default();
    let mut late = 0;
    let mut sent = 0;
    for t in threads {
        let o = t.join().unwrap_or_else(|_| Outcome {
            errors: vec!["loadgen thread panicked".into()],
            ..Outcome::default()
        });
        report.ok += o.done;
        report.lost += o.lost;
        sent += o.done + o.lost;
        late += o.late;
        latencies.extend(o.latencies);
        for e in o.errors {
            report.error(e);
        }
    }
    let ended = Instant::now().min(deadline);
    drop(progress);
    report.expected = cfg.requests.saturating_mul(cfg.clients as u64);
    report.timed(ended.saturating_duration_since(started), &mut latencies);
    report.set("clients", cfg.clients as u64);
    report.set("size", cfg.size as u64);
    report.set("sent", sent);
    report.set("late_replies", late);
    Ok(report)
}

fn client(server: SocketAddr, gate: &Gate, count: &AtomicU64, cfg: &UdpEcho) -> Outcome {
    let mut out = Outcome::default();
    let socket = open(server, cfg.timeout);
    gate.arrive();
    let socket = match socket {
        Ok(s) => s,
        Err(e) => {
            out.errors.push(kind_name(&e));
            return out;
        }
    };
    let Some(started) = gate.wait_open(Instant::now() + Duration::from_secs(6)) else {
        return out;
    };
    let deadline = started + cfg.secs;
    let mut message: Vec<u8> = (0..cfg.size).map(|i| b'a' + (i % 26) as u8).collect();
    let mut buf = vec![0u8; cfg.size.max(SEQ_LEN) + 1];
    for seq in 0..cfg.requests {
        if Instant::now() >= deadline {
            break;
        }
        message[..SEQ_LEN].copy_from_slice(&seq.to_be_bytes());
        let sent = Instant::now();
        // Python: s.send(message) on a connected socket
        if let Err(e) = socket.send(&message) {
            out.errors.push(kind_name(&e));
            out.lost += 1;
            continue;
        }
        // Wait for this datagram's echo; skip replies to earlier ones.
        let until = (sent + cfg.timeout).min(deadline);
        loop {
            // Python: data = s.recv(65535)
            match socket.recv(&mut buf) {
                Ok(n) if n == message.len() && buf[..n] == message[..] => {
                    out.latencies.push(sent.elapsed());
                    out.done += 1;
                    count.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                Ok(_) => {
                    out.late += 1;
                    if Instant::now() >= until {
                        out.lost += 1;
                        break;
                    }
                }
                Err(e) if is_timeout(&e) => {
                    out.lost += 1;
                    break;
                }
                Err(e) => {
                    // Connected UDP sockets hear about an ICMP "port
                    // unreachable" as ConnectionRefused: nobody is there.
                    out.errors.push(kind_name(&e));
                    out.lost += 1;
                    break;
                }
            }
        }
    }
    out
}

/// A UDP socket on any free port, connected to the server (so the kernel
/// drops datagrams from anyone else and `recv` can time out cleanly).
fn open(server: SocketAddr, timeout: Duration) -> io::Result<UdpSocket> {
    let any: SocketAddr = match server {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = UdpSocket::bind(any)?;
    socket.connect(server)?;
    socket.set_read_timeout(Some(timeout.max(Duration::from_millis(1))))?;
    socket.set_write_timeout(Some(timeout.max(Duration::from_millis(1))))?;
    Ok(socket)
}
