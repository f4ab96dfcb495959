//! What every case needs around its sockets: the server's address, a
//! deadline nothing outlives, a gate that starts all clients at once, and a
//! progress line on stderr for long runs.

use std::io::{self, ErrorKind};
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Stack size of loadgen's own client threads. They hold a small buffer and
/// a latency vector (on the heap); 256 KiB is plenty and lets one process
/// run thousands of them without reserving gigabytes of address space.
pub const CLIENT_STACK: usize = 256 * 1024;

/// How long connecting may take before the load starts. A SYN that finds the
/// server's listen backlog full is dropped, and the client's kernel sends it
/// again 1 s later, then 3 s after the start: 4 s lets a connection in that
/// was turned away twice.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(4);

/// The server's address: the first IPv4 one a name resolves to, as Python's
/// `AF_INET` sockets would pick.
pub fn resolve(addr: &str) -> io::Result<SocketAddr> {
    let all: Vec<SocketAddr> = addr.to_socket_addrs()?.collect();
    all.iter()
        .find(|a| a.is_ipv4())
        .or(all.first())
        .copied()
        .ok_or_else(|| io::Error::new(ErrorKind::NotFound, "the host name has no address"))
}

/// The time left until `deadline`, at least 1 ms: a socket timeout of zero
/// would mean "wait forever".
pub fn left(deadline: Instant) -> Duration {
    deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(1))
}

/// Whether an I/O error is a socket timeout (Linux reports an expired
/// SO_RCVTIMEO as EAGAIN, which Rust calls `WouldBlock`).
pub fn is_timeout(e: &io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

/// Starts a named client thread with [`CLIENT_STACK`].
pub fn spawn<T: Send + 'static>(
    name: String,
    f: impl FnOnce() -> T + Send + 'static,
) -> io::Result<JoinHandle<T>> {
    thread::Builder::new()
        .name(name)
        .stack_size(CLIENT_STACK)
        .spawn(f)
}

/// Lets client threads report that they are ready, and starts them all at
/// the same moment: the measured phase begins only when every connection is
/// open (or the connect window is over), so connects do not count as load.
#[derive(Default)]
pub struct Gate {
    state: Mutex<GateState>,
    changed: Condvar,
}

#[derive(Default)]
struct GateState {
    arrived: usize,
    opened: Option<Instant>,
}

impl Gate {
    pub fn new() -> Arc<Gate> {
        Arc::new(Gate::default())
    }

    fn lock(&self) -> MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A client is ready (or has given up: it still counts as arrived).
    pub fn arrive(&self) {
        self.lock().arrived += 1;
        self.changed.notify_all();
    }

    /// Waits until `n` clients arrived or `until`; returns how many did.
    pub fn wait_arrivals(&self, n: usize, until: Instant) -> usize {
        let mut s = self.lock();
        while s.arrived < n {
            let now = Instant::now();
            if now >= until {
                break;
            }
            s = self
                .changed
                .wait_timeout(s, until - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        s.arrived
    }

    /// Opens the gate; returns the moment it opened.
    pub fn open(&self) -> Instant {
        let mut s = self.lock();
        let at = *s.opened.get_or_insert_with(Instant::now);
        drop(s);
        self.changed.notify_all();
        at
    }

    /// Waits until the gate opens or `until`; the moment it opened, if it did.
    pub fn wait_open(&self, until: Instant) -> Option<Instant> {
        let mut s = self.lock();
        while s.opened.is_none() {
            let now = Instant::now();
            if now >= until {
                return None;
            }
            s = self
                .changed
                .wait_timeout(s, until - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        s.opened
    }
}

/// Prints `NAME: 4 s, 123456 round trips` on stderr every two seconds while
/// it lives, so a long run shows it is alive. Stops when dropped.
pub struct Progress {
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// `count` is read at every tick; nothing is printed if `enabled` is
    /// false or the run ends within two seconds.
    pub fn start(
        enabled: bool,
        label: String,
        count: Arc<AtomicU64>,
        unit: &'static str,
    ) -> Progress {
        let done = Arc::new(AtomicBool::new(false));
        let thread = enabled
            .then(|| {
                let done = done.clone();
                thread::Builder::new()
                    .name("progress".into())
                    .spawn(move || {
                        let started = Instant::now();
                        let mut next = Duration::from_secs(2);
                        loop {
                            thread::sleep(Duration::from_millis(50));
                            if done.load(Ordering::Relaxed) {
                                break;
                            }
                            if started.elapsed() >= next {
                                eprintln!(
                                    "{label}: {} s, {} {unit}",
                                    next.as_secs(),
                                    count.load(Ordering::Relaxed)
                                );
                                next += Duration::from_secs(2);
                            }
                        }
                    })
                    .ok()
            })
            .flatten();
        Progress { done, thread }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// At most N threads at a time in some section (a counting semaphore).
pub struct Turns {
    free: Mutex<usize>,
    changed: Condvar,
}

/// A turn taken; dropping it gives it back.
pub struct Turn<'a>(Option<&'a Turns>);

impl Turns {
    pub fn new(n: usize) -> Turns {
        Turns {
            free: Mutex::new(n),
            changed: Condvar::new(),
        }
    }

    /// Waits for a turn until `until`; past it, goes ahead anyway (the
    /// section has its own timeouts).
    pub fn acquire(&self, until: Instant) -> Turn<'_> {
        let mut free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
        while *free == 0 {
            let now = Instant::now();
            if now >= until {
                return Turn(None);
            }
            free = self
                .changed
                .wait_timeout(free, until - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        *free -= 1;
        Turn(Some(self))
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        if let Some(t) = self.0 {
            *t.free.lock().unwrap_or_else(PoisonError::into_inner) += 1;
            t.changed.notify_one();
        }
    }
}

/// How long one blocking socket call waits before loadgen looks at the
/// clock again. Socket timeouts count per call, not to a fixed moment: a
/// read given "5 s" just before the deadline would wait 5 s past it. So
/// every TCP socket gets this short timeout, and [`Bounded`] retries until
/// the deadline.
pub const TICK: Duration = Duration::from_millis(100);

/// Gives a TCP socket the [`TICK`] timeouts.
pub fn ticking(stream: &std::net::TcpStream) -> io::Result<()> {
    stream.set_read_timeout(Some(TICK))?;
    stream.set_write_timeout(Some(TICK))
}

/// A stream whose reads and writes wait until `deadline` and no longer: on
/// a socket with [`TICK`] timeouts, a call that timed out is tried again
/// while the deadline is ahead, and fails with the timeout after it.
pub struct Bounded<S> {
    pub inner: S,
    pub deadline: Instant,
    /// When set, a read that has waited a tick returns its timeout early,
    /// so the caller can decide whether to wait on.
    pub alarm: Option<Arc<AtomicBool>>,
}

impl<S> Bounded<S> {
    pub fn new(inner: S, deadline: Instant) -> Bounded<S> {
        Bounded {
            inner,
            deadline,
            alarm: None,
        }
    }

    fn wait_on(&self) -> bool {
        Instant::now() < self.deadline
            && !self
                .alarm
                .as_ref()
                .is_some_and(|a| a.load(Ordering::Relaxed))
    }
}

impl<S: io::Read> io::Read for Bounded<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.inner.read(buf) {
                Err(e) if is_timeout(&e) && self.wait_on() => continue,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                other => return other,
            }
        }
    }
}

impl<S: io::Write> io::Write for Bounded<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        loop {
            match self.inner.write(buf) {
                Err(e) if is_timeout(&e) && Instant::now() < self.deadline => continue,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                other => return other,
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
