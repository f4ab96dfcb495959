//! Stage 4: UDP request/reply: one datagram out, one datagram back.
//!
//! Stage 1 again, over UDP, with no connection: the server loops on
//! `recv_from`, which returns one whole datagram and the address that sent
//! it, and answers that address with `send_to`. The client waits for each
//! reply with a timeout and sends again a bounded number of times, because
//! UDP does not promise that a datagram arrives, nor say when one is lost.
//! The binaries in `src/bin/` add the command line, printing and Ctrl-C.

use std::io::{self, ErrorKind};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs, UdpSocket};
use std::time::{Duration, Instant};

use kit::{Stop, printable};

/// Where the server receives and the client sends when no address is given.
pub const DEFAULT_ADDR: &str = "127.0.0.1:7852";

// ANCHOR: sizes
/// The receive buffer, on both sides. A UDP datagram's length travels in a
/// 16-bit field, so none is longer than this and a buffer this size never
/// cuts one short. A smaller buffer does, without a word: the tutorial's
/// `recvfrom(500)` keeps the first 500 bytes and the kernel drops the rest.
pub const RECV_SIZE: usize = 65_535;

/// The most one datagram can carry over IPv4: the IPv4 packet's own 16-bit
/// length (65,535) minus its 20-byte header and the 8-byte UDP header.
/// `send_to` refuses more with "Message too long" (EMSGSIZE). Over IPv6,
/// whose length field leaves its own header out, it is 65,527.
pub const MAX_PAYLOAD_V4: usize = 65_535 - 20 - 8;
// ANCHOR_END: sizes

/// How many bytes of each datagram the server's log shows.
const SHOWN: usize = 60;

/// What a server did before it was stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Served {
    /// Datagrams received and answered.
    pub datagrams: u64,
    /// Their bytes, added up.
    pub bytes: u64,
}

// practice: rung 1, lessons/04-udp-echo.md#the-rust
// ANCHOR: serve
/// Answers every datagram on an already bound socket with the same bytes,
/// until a stop is requested; then returns what it served. Like the
/// tutorial, it prints who sent each datagram and what it held.
pub fn serve(socket: &UdpSocket, stop: &Stop) -> io::Result<Served> {
    let mut served = Served::default();
    let mut buf = vec![0u8; RECV_SIZE];
    loop {
        // Python: data, addr = s.recvfrom(65535)
        // Blocks until a datagram waits in this socket's receive buffer, then
        // returns ONE whole datagram (never part of one, never two run
        // together) and the address that sent it. No accept(), no
        // connection: anyone who can reach this port can send here, and each
        // datagram may come from someone else.
        let (n, peer) = match socket.recv_from(&mut buf) {
            Ok(got) => got,
            // Windows reports here that an earlier reply bounced (an ICMP
            // "port unreachable": that client is gone). News about an old
            // datagram, not a reason to stop serving everyone else.
            Err(e) if e.kind() == ErrorKind::ConnectionReset => continue,
            Err(e) => return Err(e),
        };
        if stop.requested() {
            // The empty datagram kit::Stop sends to wake us. A client may send
            // an empty datagram too (it is echoed below): only the flag tells
            // the two apart, never the size.
            return Ok(served);
        }
        let message = &buf[..n];

        // Python: s.sendto(data, addr)
        // One datagram back to whoever sent this one, whole or not at all.
        // Ok means the kernel took it, not that it arrived. A failed reply is
        // logged and the loop goes on: one sender's trouble must not stop the
        // server for everyone else.
        let sent = socket.send_to(message, peer);
        served.datagrams += 1;
        served.bytes += n as u64;

        // Python: print(addr, data)
        // Bytes from the network are not necessarily text and may hold
        // terminal escapes: print them made harmless, and only the start.
        let shown = printable(&message[..n.min(SHOWN)]);
        let more = if n > SHOWN { "..." } else { "" };
        match sent {
            Ok(_) => println!("from {peer}: {n} bytes: {shown}{more}; echoed"),
            Err(e) => println!("from {peer}: {n} bytes: {shown}{more}; the reply failed: {e}"),
        }
    }
}
// ANCHOR_END: serve

/// How long the client waits for each reply, and how many more times it sends
/// when none comes: with no server it gives up after (1 + 2) × 1 s.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);
pub const DEFAULT_RETRIES: u32 = 2;

/// What a client received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The reply datagram.
    pub bytes: Vec<u8>,
    /// How many times the message went out before this reply came: 1 unless
    /// a datagram was lost, or the reply was slower than the timeout.
    pub tries: u32,
}

// practice: rung 4, lessons/04-udp-echo.md#the-rust
// ANCHOR: client_socket
/// A UDP socket to talk to `server` from: any free port, same IP family.
pub fn client_socket(server: SocketAddr) -> io::Result<UdpSocket> {
    // Python: s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    // A Python socket gets a local port at its first sendto(); a Rust
    // UdpSocket is created bound. Port 0 lets the OS choose one, which the
    // server sees as the port of this client's address.
    let any: SocketAddr = match server {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    UdpSocket::bind(any)
}

/// Looks `addr` (`HOST:PORT`) up and returns the server's address, preferring
/// IPv4 as Python's `socket(AF_INET, ...)` does.
pub fn resolve(addr: &str) -> io::Result<SocketAddr> {
    // Python does this lookup inside sendto(("localhost", 7852)). UDP has no
    // handshake with which to try each address in turn (as
    // TcpStream::connect does), so we pick one.
    let all: Vec<SocketAddr> = addr.to_socket_addrs()?.collect();
    let pick = all.iter().find(|a| a.is_ipv4()).or(all.first());
    pick.copied()
        .ok_or_else(|| io::Error::new(ErrorKind::NotFound, "the host name has no address"))
}
// ANCHOR_END: client_socket

// practice: rung 4, lessons/04-udp-echo.md#the-rust
// ANCHOR: request
/// Sends `message` to `server` as one datagram and waits up to `timeout` for
/// the reply; when none comes, sends it again, at most `retries` more times.
pub fn request(
    socket: &UdpSocket,
    server: SocketAddr,
    message: &[u8],
    timeout: Duration,
    retries: u32,
) -> io::Result<Reply> {
    let mut buf = vec![0u8; RECV_SIZE];
    let tries = retries.saturating_add(1);
    for attempt in 1..=tries {
        // Python: s.sendto(message, server)
        // Returns once the kernel has the datagram: "sent" means it left this
        // program, not that anyone got it. A message too long for one
        // datagram fails here, and nothing of it is sent.
        socket.send_to(message, server)?;

        // Each try waits `timeout` from its send, however many datagrams
        // from strangers (below) come in meanwhile.
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            // Python: s.settimeout(1.0)
            // Without it, recv_from waits forever for a reply that was lost.
            socket.set_read_timeout(Some(left))?;

            // Python: data, addr = s.recvfrom(65535)
            match socket.recv_from(&mut buf) {
                Ok((n, from)) if from == server => {
                    return Ok(Reply {
                        bytes: buf[..n].to_vec(),
                        tries: attempt,
                    });
                }
                // Anyone can send to our port, and every datagram we send
                // tells where it is. One from another address is not the
                // reply, whatever it says: drop it and wait on.
                Ok(_) => {}
                // The timeout (Unix says WouldBlock, Windows TimedOut): the
                // message or its reply was lost, or is late. The deadline
                // test above ends this try, and the next one sends again.
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) => return Err(e),
            }
        }
    }
    let ms = timeout.as_millis();
    Err(io::Error::new(
        ErrorKind::TimedOut,
        format!(
            "no reply came (tries: {tries}, waiting {ms} ms after each): UDP gives no delivery \
             guarantee, and nobody says if the datagram, its reply or the server is missing \
             (try --timeout-ms or --retries)"
        ),
    ))
}
// ANCHOR_END: request
