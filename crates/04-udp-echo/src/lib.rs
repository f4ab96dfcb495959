//! Stage 4: UDP request/reply: one datagram out, one datagram back.
//!
//! Stage 1 again, over UDP. There is no connection: the server binds a port
//! and loops, and every `recv_from` returns one whole datagram together with
//! the address that sent it (Python's `data, addr = s.recvfrom(65535)`);
//! `send_to` answers that address (`s.sendto(data, addr)`). The client sends
//! each message as one datagram and waits for the reply with a timeout,
//! sending again a few times, because UDP does not promise that either
//! datagram arrives. Each function below is one side of that exchange, with
//! the `std::net` call for every Python call in view.
//!
//! The binaries in `src/bin/` add only what a program needs around them (the
//! command line, printing, Ctrl-C); the exercise checks in `tests/` call
//! these functions and run those binaries.

use std::io::{self, BufWriter, ErrorKind, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs, UdpSocket};
use std::time::{Duration, Instant};

use kit::{Stop, printable};

/// Where the server listens and the client sends when no address is given.
pub const DEFAULT_ADDR: &str = "127.0.0.1:7852";

// ANCHOR: sizes
/// The receive buffer, on both sides. A UDP datagram's length travels in a
/// 16-bit field, so no datagram can be bigger than this and a buffer this
/// size never cuts one short. (The tutorial's `recvfrom(1024)` silently
/// drops everything after byte 1024 of a longer datagram.)
pub const RECV_SIZE: usize = 65_535;

/// The most one datagram can carry over IPv4: the IPv4 packet's own 16-bit
/// length (65,535) minus its 20-byte header and the 8-byte UDP header.
/// `send_to` refuses anything bigger with "Message too long" (EMSGSIZE).
pub const MAX_PAYLOAD_V4: usize = 65_535 - 20 - 8;

/// The same over IPv6, whose length field leaves out its own 40-byte header:
/// 65,535 minus the 8-byte UDP header.
pub const MAX_PAYLOAD_V6: usize = 65_535 - 8;
// ANCHOR_END: sizes

/// How many bytes of each datagram the server's log shows.
const SHOWN: usize = 60;

/// How long the socket may be quiet before the server writes out its log.
pub const LOG_QUIET: Duration = Duration::from_millis(50);

/// What a server did before it was stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Served {
    /// Datagrams received (and answered, unless the reply failed).
    pub datagrams: u64,
    /// Their bytes, added up.
    pub bytes: u64,
    /// Replies that `send_to` refused.
    pub failed: u64,
}

// ANCHOR: serve
/// Answers every datagram on an already bound socket with the same bytes,
/// until a stop is requested; then returns what it served. Like the
/// tutorial, it prints who sent each datagram and what it held.
pub fn serve(socket: &UdpSocket, stop: &Stop) -> io::Result<Served> {
    let mut served = Served::default();
    let mut buf = vec![0u8; RECV_SIZE];
    // The log has a line per datagram. With println! each line is its own
    // write() system call, as many as the echo itself makes: a third of
    // this server's CPU under load (lesson 7 measures it). So the lines
    // collect in a buffer that is written out when it is full, or when no
    // datagram has come for LOG_QUIET: in big pieces under load, at once
    // when you send one by hand. (Python's print() into a pipe buffers too.)
    let mut log = BufWriter::with_capacity(64 * 1024, io::stdout());
    // While the log holds lines, recv_from waits at most LOG_QUIET, the cue
    // to write them out; with nothing to write, it waits as long as it takes.
    let mut timeout = None;
    socket.set_read_timeout(timeout)?;
    loop {
        let wanted = match log.buffer().is_empty() {
            true => None,
            false => Some(LOG_QUIET),
        };
        if wanted != timeout {
            socket.set_read_timeout(wanted)?;
            timeout = wanted;
        }
        // Python: data, addr = s.recvfrom(65535)
        // Blocks until a datagram is waiting in this socket's receive buffer,
        // then returns ONE whole datagram (never part of one, never two run
        // together) and the address and port that sent it. There is no
        // accept() and no connection: any program that can reach this port
        // can send here, and each datagram may come from someone else. A
        // datagram longer than `buf` would be cut to fit, and the rest
        // thrown away without a word: hence RECV_SIZE.
        let (n, peer) = match socket.recv_from(&mut buf) {
            Ok(got) => got,
            // Nothing for LOG_QUIET (Unix says WouldBlock, Windows TimedOut),
            // or a signal such as Ctrl-C arrived during the wait: a call with
            // a timeout is not restarted after a signal, it fails with EINTR.
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) =>
            {
                log.flush()?;
                continue;
            }
            // Windows reports here that an earlier reply bounced (an ICMP
            // "port unreachable": that client had gone). That is news about
            // an old datagram, not a reason to stop serving everyone else.
            // Linux tells only connected sockets, so this never fires there.
            Err(e) if e.kind() == ErrorKind::ConnectionReset => continue,
            Err(e) => return Err(e),
        };
        if stop.requested() {
            // This is the empty datagram kit::Stop sends to wake us. A client
            // may send an empty datagram too (it gets echoed below): only the
            // flag tells the two apart, never the size.
            log.flush()?;
            return Ok(served);
        }
        let message = &buf[..n];

        // Python: s.sendto(data, addr)
        // One datagram back to whoever sent this one, all of it or nothing.
        // Success means the kernel took it, not that it arrived: nothing
        // tells us if that client is still there. A failed reply is logged
        // and the loop goes on, because one sender's trouble must not stop
        // the server for the others.
        let sent = socket.send_to(message, peer);
        served.datagrams += 1;
        served.bytes += n as u64;
        // Bytes from the network are not necessarily text, and may hold
        // terminal escape sequences: print them made harmless (and only the
        // start of a long one).
        let shown = printable(&message[..n.min(SHOWN)]);
        let more = if n > SHOWN { "..." } else { "" };
        match sent {
            Ok(_) => writeln!(log, "from {peer}: {n} bytes: {shown}{more}; echoed")?,
            Err(e) => {
                served.failed += 1;
                writeln!(
                    log,
                    "from {peer}: {n} bytes: {shown}{more}; the reply failed: {e}"
                )?;
            }
        }
    }
}
// ANCHOR_END: serve

/// How long the client waits for each reply, and how many times it sends
/// the message again when none comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// How long to wait for a reply after each send.
    pub timeout: Duration,
    /// How many more times to send after the first: the message goes out at
    /// most `retries + 1` times.
    pub retries: u32,
}

impl Default for Retry {
    /// One second per try, three tries: with no server, the client gives up
    /// after about three seconds.
    fn default() -> Retry {
        Retry {
            timeout: Duration::from_millis(1000),
            retries: 2,
        }
    }
}

/// What a client received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The reply datagram.
    pub bytes: Vec<u8>,
    /// How many times the message was sent before this reply came: 1 unless
    /// a datagram was lost, or the reply was slower than the timeout.
    pub tries: u32,
    /// Datagrams that came from some other address than the server's, and
    /// were thrown away.
    pub ignored: u64,
    /// The first address such a datagram came from.
    pub stranger: Option<SocketAddr>,
}

// ANCHOR: client_socket
/// Looks `addr` (`HOST:PORT`) up and returns the server's address, preferring
/// IPv4 the way Python's `socket(AF_INET, ...)` does.
pub fn resolve(addr: &str) -> io::Result<SocketAddr> {
    // Python does this lookup inside sendto(("localhost", 7852)). A UDP
    // sender has no handshake with which to try each address in turn (as
    // TcpStream::connect does), so it must pick one.
    let all: Vec<SocketAddr> = addr.to_socket_addrs()?.collect();
    all.iter()
        .find(|a| a.is_ipv4())
        .or(all.first())
        .copied()
        .ok_or_else(|| io::Error::new(ErrorKind::NotFound, "the host name has no address"))
}

/// A UDP socket to talk to `server` from: any free port, same IP family.
pub fn client_socket(server: SocketAddr) -> io::Result<UdpSocket> {
    // Python: s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    // Python's socket gets a local port by itself at its first sendto(); a
    // Rust UdpSocket is created bound. Port 0 lets the OS choose one; the
    // server will see it as the port in this client's address.
    let any: SocketAddr = match server {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    UdpSocket::bind(any)
}
// ANCHOR_END: client_socket

// ANCHOR: request
/// Sends `message` to `server` as one datagram and waits for the reply,
/// sending it again when none comes within `retry.timeout`, at most
/// `retry.retries` more times.
///
/// The socket may be `connect`ed to `server` first: then the kernel itself
/// drops datagrams from anyone else, and reports an ICMP "port unreachable"
/// as a "connection refused" error instead of leaving us to time out.
pub fn request(
    socket: &UdpSocket,
    server: SocketAddr,
    message: &[u8],
    retry: Retry,
) -> io::Result<Reply> {
    let connected = socket.peer_addr().is_ok();
    let mut buf = vec![0u8; RECV_SIZE];
    let mut ignored = 0;
    let mut stranger = None;
    let tries = retry.retries.saturating_add(1);
    for attempt in 1..=tries {
        // Python: s.sendto(message, server)   (connected: s.send(message))
        // Returns as soon as the kernel has the datagram: "sent" means it
        // left this program, not that anyone received it.
        if connected {
            socket.send(message)?;
        } else {
            socket.send_to(message, server)?;
        }

        let deadline = Instant::now() + retry.timeout;
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
                        ignored,
                        stranger,
                    });
                }
                // Anyone can send to our port, and our address is no secret
                // (every datagram we send carries it). A datagram from
                // another address is not the reply, whatever it says.
                Ok((_, from)) => {
                    ignored += 1;
                    stranger.get_or_insert(from);
                }
                // The timeout: the message or its reply is lost, or late.
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    break;
                }
                // Connected only: "connection refused", nothing on that port.
                Err(e) => return Err(e),
            }
        }
    }
    let ms = retry.timeout.as_millis();
    let tried = match tries {
        1 => format!("sent it once, waited {ms} ms,"),
        n => format!("sent it {n} times, waiting {ms} ms after each,"),
    };
    let strangers = match stranger {
        Some(addr) => format!(" (and ignored {ignored} datagrams from others, first {addr})"),
        None => String::new(),
    };
    Err(io::Error::new(
        ErrorKind::TimedOut,
        format!(
            "{tried} and no reply came{strangers}; \
             UDP gives no delivery guarantee: the datagram or its reply may be lost, and a \
             missing server goes unreported (try --timeout-ms, --retries, or --connect to \
             hear of a closed port)"
        ),
    ))
}
// ANCHOR_END: request
