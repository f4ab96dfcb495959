//! Ctrl-C and SIGTERM for servers that spend their life blocked in a system call.
//!
//! A server waits in `accept()` (TCP) or `recv_from()` (UDP) almost all the
//! time. When the user presses Ctrl-C the kernel sends the process SIGINT;
//! left alone, that kills it on the spot (exit status 130): no summary, no
//! goodbye to clients. The `ctrlc` crate instead runs our handler on a thread
//! of its own, and the server keeps blocking. So how does the blocked call
//! learn it should stop?
//!
//! Std offers no way to interrupt another thread's `accept()`. The portable
//! trick used here is to *give the blocked call something to return*: the
//! handler connects to the server's own listening address (or sends an empty
//! datagram to its UDP socket). The kernel completes that connection, the
//! server's `accept()` returns it, the server checks [`Stop::requested`], sees
//! `true`, and leaves its loop as if it had decided to. A thread blocked in
//! `read()` on a client connection is woken the same way by shutting that
//! connection down (`shutdown(Both)`): the read returns 0, the usual
//! "peer closed" signal, and the thread ends through its normal path.
//!
//! If a server still has not exited [`STOP_DEADLINE`] after the signal, some
//! blocking call was not woken. That is a bug, so the process exits with
//! status 1 and says so, instead of hanging or pretending all went well. A
//! second Ctrl-C exits at once.

use std::fs::File;
use std::io;
use std::net::{
    IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket,
};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// How long a server has, after Ctrl-C or SIGTERM, to exit by itself. The
/// contract promises a stopped server is gone within one second.
pub const STOP_DEADLINE: Duration = Duration::from_millis(900);

/// A shared "please stop" flag plus the blocked calls to wake when it is set.
///
/// Clone it freely: every clone is the same flag.
#[derive(Clone, Default)]
pub struct Stop {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    requested: AtomicBool,
    wakers: Mutex<Wakers>,
    next_id: AtomicU64,
    /// Set while the program waits on something no socket trick can wake
    /// (a person typing at a prompt): Ctrl-C then prints this and exits 0.
    exit_line: Mutex<Option<String>>,
    /// A descriptor kept open for the wake-up (see [`Stop::keep_in_reserve`]).
    reserve: Mutex<Option<File>>,
}

#[derive(Default)]
struct Wakers {
    listeners: Vec<SocketAddr>,
    datagram_sockets: Vec<SocketAddr>,
    streams: Vec<(u64, Arc<TcpStream>)>,
}

impl Stop {
    /// A flag nothing sets but [`Stop::request`]: what tests use.
    pub fn new() -> Stop {
        Stop::default()
    }

    /// A flag that Ctrl-C (SIGINT) and SIGTERM set. Call it once per process,
    /// and before the server prints `listening on`: whoever reads that line
    /// may send the signal at once, and before this call a signal still
    /// kills the process the default way.
    pub fn on_ctrl_c() -> io::Result<Stop> {
        let stop = Stop::new();
        let handler_stop = stop.clone();
        ctrlc::set_handler(move || {
            if handler_stop.requested() {
                eprintln!("error: interrupted again, exiting at once");
                std::process::exit(130);
            }
            let exit_line = handler_stop.inner.exit_line.lock().map(|l| l.clone()).unwrap_or(None);
            if let Some(line) = exit_line {
                println!("{line}");
                std::process::exit(0);
            }
            handler_stop.request();
            std::thread::spawn(|| {
                std::thread::sleep(STOP_DEADLINE);
                eprintln!(
                    "error: still running {} ms after Ctrl-C: a blocking call was not woken (see kit::Stop); exiting anyway",
                    STOP_DEADLINE.as_millis()
                );
                std::process::exit(1);
            });
        })
        .map_err(|e| io::Error::other(format!("cannot install the Ctrl-C handler: {e}")))?;
        Ok(stop)
    }

    /// Whether a stop was requested. Check it after every blocking call that
    /// [`Stop`] may have woken.
    pub fn requested(&self) -> bool {
        self.inner.requested.load(Ordering::SeqCst)
    }

    // ANCHOR: request
    /// Requests a stop and wakes every registered blocked call.
    pub fn request(&self) {
        let wakers = {
            let mut w = self.wakers();
            self.inner.requested.store(true, Ordering::SeqCst);
            std::mem::take(&mut *w)
        };
        // Connecting takes a file descriptor: a server that has none left
        // closes the one it kept for this moment.
        drop(lock(&self.inner.reserve).take());
        for addr in wakers.listeners {
            wake_accept(addr);
        }
        for addr in wakers.datagram_sockets {
            wake_recv_from(addr);
        }
        for (_, stream) in wakers.streams {
            // Errors here mean the connection is already gone: nothing to wake.
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
    // ANCHOR_END: request

    /// On stop, wake a thread blocked in `listener.accept()` by connecting to it.
    pub fn wake_accept(&self, listener: &TcpListener) -> io::Result<()> {
        let addr = reachable(listener.local_addr()?);
        let mut w = self.wakers();
        if self.requested() {
            drop(w);
            wake_accept(addr);
        } else {
            w.listeners.push(addr);
        }
        Ok(())
    }

    /// On stop, wake a thread blocked in `socket.recv_from()` by sending it an
    /// empty datagram.
    pub fn wake_recv_from(&self, socket: &UdpSocket) -> io::Result<()> {
        let addr = reachable(socket.local_addr()?);
        let mut w = self.wakers();
        if self.requested() {
            drop(w);
            wake_recv_from(addr);
        } else {
            w.datagram_sockets.push(addr);
        }
        Ok(())
    }

    /// On stop, shut `stream` down so a `read()` blocked on it returns 0.
    /// Dropping the returned [`Watch`] forgets the stream again (do that when
    /// the connection ends, so finished clients are not kept).
    ///
    /// This keeps a second handle on the socket (`try_clone`, a second file
    /// descriptor for as long as the [`Watch`] lives). A server with
    /// thousands of clients uses [`Stop::close_on_stop_shared`] instead.
    pub fn close_on_stop(&self, stream: &TcpStream) -> io::Result<Watch> {
        Ok(self.close_on_stop_shared(&Arc::new(stream.try_clone()?)))
    }

    /// [`Stop::close_on_stop`] without a second file descriptor: the stop
    /// handler holds another `Arc` of the one socket the connection's thread
    /// uses, so each client costs one descriptor, not two.
    pub fn close_on_stop_shared(&self, stream: &Arc<TcpStream>) -> Watch {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let mut w = self.wakers();
        if self.requested() {
            drop(w);
            let _ = stream.shutdown(Shutdown::Both);
        } else {
            w.streams.push((id, Arc::clone(stream)));
        }
        Watch {
            stop: self.clone(),
            id,
        }
    }

    /// Keeps `spare` (any open file, `/dev/null` say) open until a stop is
    /// requested, then closes it just before the wake-ups: a server that ran
    /// out of file descriptors (`accept` failing with "Too many open files")
    /// still has one for the connection that wakes its `accept()`.
    pub fn keep_in_reserve(&self, spare: File) {
        *lock(&self.inner.reserve) = Some(spare);
    }

    /// Runs `wait`, a wait on something no socket trick can wake (reading a
    /// line a person types), so that Ctrl-C during it prints `summary` and
    /// exits 0 at once, as Ctrl-C at Python's `input()` prompt would end it.
    pub fn exit_on_stop_during<T>(&self, summary: &str, wait: impl FnOnce() -> T) -> T {
        self.set_exit_line(Some(summary.to_string()));
        let out = wait();
        self.set_exit_line(None);
        out
    }

    fn set_exit_line(&self, line: Option<String>) {
        *lock(&self.inner.exit_line) = line;
    }

    fn wakers(&self) -> MutexGuard<'_, Wakers> {
        lock(&self.inner.wakers)
    }
}

/// A panic while holding one of these locks cannot leave what it guards
/// half-updated in a way that matters, so a poisoned lock is still usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// Keeps a stream registered with [`Stop::close_on_stop`] until dropped.
pub struct Watch {
    stop: Stop,
    id: u64,
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.stop.wakers().streams.retain(|(id, _)| *id != self.id);
    }
}

/// A listener bound to `0.0.0.0` or `[::]` accepts on every interface; to
/// reach it, use the loopback address of the same family.
fn reachable(mut addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        });
    }
    addr
}

// ANCHOR: wakers
fn wake_accept(addr: SocketAddr) {
    // The connection is established by the kernel (it sits in the listen
    // backlog) even though we drop our end at once; `accept()` returns it.
    let _ = TcpStream::connect_timeout(&addr, Duration::from_millis(300));
}

fn wake_recv_from(addr: SocketAddr) {
    let any: SocketAddr = match addr {
        SocketAddr::V4(_) => (Ipv4Addr::LOCALHOST, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::LOCALHOST, 0).into(),
    };
    if let Ok(socket) = UdpSocket::bind(any) {
        let _ = socket.send_to(&[], addr);
    }
}
// ANCHOR_END: wakers

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn request_wakes_a_thread_blocked_in_accept() -> io::Result<()> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let stop = Stop::new();
        stop.wake_accept(&listener)?;
        let waiter = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let _ = listener.accept();
                stop.requested()
            })
        };
        stop.request();
        assert!(
            waiter.join().unwrap_or(false),
            "accept() returned but the flag was not set"
        );
        Ok(())
    }

    #[test]
    fn request_wakes_a_thread_blocked_in_recv_from() -> io::Result<()> {
        let socket = UdpSocket::bind("127.0.0.1:0")?;
        let stop = Stop::new();
        stop.wake_recv_from(&socket)?;
        let waiter = std::thread::spawn(move || {
            let mut buf = [0; 16];
            socket.recv_from(&mut buf).map(|(n, _)| n)
        });
        stop.request();
        assert_eq!(waiter.join().ok().and_then(|r| r.ok()), Some(0));
        Ok(())
    }

    #[test]
    fn request_ends_a_read_on_a_watched_stream_and_registering_late_still_wakes() -> io::Result<()>
    {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let _client = TcpStream::connect(listener.local_addr()?)?;
        let (mut conn, _) = listener.accept()?;
        conn.set_read_timeout(Some(Duration::from_secs(5)))?;
        let stop = Stop::new();
        let _watch = stop.close_on_stop(&conn)?;
        stop.request();
        assert_eq!(
            conn.read(&mut [0; 8])?,
            0,
            "a shut-down stream reads as end of stream"
        );

        // Registered after the request: woken at once.
        stop.wake_accept(&listener)?;
        listener.set_nonblocking(false)?;
        let (_woken, _) = listener.accept()?;
        Ok(())
    }

    #[test]
    fn a_shared_watch_ends_a_read_and_is_forgotten_when_dropped() -> io::Result<()> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let _client = TcpStream::connect(listener.local_addr()?)?;
        let (conn, _) = listener.accept()?;
        conn.set_read_timeout(Some(Duration::from_secs(5)))?;
        let conn = Arc::new(conn);
        let stop = Stop::new();
        drop(stop.close_on_stop_shared(&conn));
        assert!(stop.wakers().streams.is_empty());
        assert_eq!(Arc::strong_count(&conn), 1, "the Watch let go of its Arc");
        let _watch = stop.close_on_stop_shared(&conn);
        stop.request();
        assert_eq!((&*conn).read(&mut [0; 8])?, 0);
        Ok(())
    }

    /// With no file descriptor left, `request` still wakes `accept()`: it
    /// closes the one kept in reserve first. Run in a child process (this
    /// test binary again, this test alone) whose limit `ulimit -n` lowers,
    /// so the other tests keep their descriptors.
    #[cfg(unix)]
    #[test]
    fn with_no_descriptor_left_the_reserve_still_wakes_accept() -> io::Result<()> {
        const INNER: &str = "KIT_TEST_NO_DESCRIPTOR_LEFT";
        if std::env::var_os(INNER).is_none() {
            let out = std::process::Command::new("sh")
                .args(["-c", r#"ulimit -n 32 && exec "$0" "$@""#])
                .arg(std::env::current_exe()?)
                .args([
                    "--exact",
                    "stop::tests::with_no_descriptor_left_the_reserve_still_wakes_accept",
                ])
                .env(INNER, "1")
                .output()?;
            let said = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success() && said.contains("1 passed"), "{said}");
            return Ok(());
        }
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let stop = Stop::new();
        stop.wake_accept(&listener)?;
        stop.keep_in_reserve(File::open("/dev/null")?);
        let mut hog = Vec::new();
        while let Ok(file) = File::open("/dev/null") {
            hog.push(file);
        }
        assert!(
            TcpStream::connect(listener.local_addr()?).is_err(),
            "no descriptor should be left for a connection"
        );
        stop.request();
        // One free for accept() itself; the wake-up connection must wait.
        hog.pop();
        listener.set_nonblocking(true)?;
        assert!(
            listener.accept().is_ok(),
            "request() closes the reserve, so its wake-up connection is made"
        );
        Ok(())
    }

    #[test]
    fn a_dropped_watch_forgets_its_stream() -> io::Result<()> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let client = TcpStream::connect(listener.local_addr()?)?;
        let stop = Stop::new();
        drop(stop.close_on_stop(&client)?);
        assert!(stop.wakers().streams.is_empty());
        Ok(())
    }
}
