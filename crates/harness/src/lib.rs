//! Runs the stage binaries as child processes, for the exercise checks and the tour.
//!
//! Every check a student runs must end, whatever their code does: so every
//! wait here has a deadline, every socket has read and write timeouts, and a
//! child process is killed when its handle is dropped (also when a check
//! fails half-way). A server's port is learned from its `listening on ADDR`
//! line, never guessed and never waited for with a sleep.
//!
//! Checks return [`Check`], so `?` works on I/O and on these helpers, and a
//! failure prints only its message: a hint the student can act on.
//!
//! ```no_run
//! use harness::{check, Check, Server};
//!
//! fn server_says_hello() -> Check {
//!     let server = Server::start("target/debug/some-server", &["127.0.0.1:0"])?;
//!     let line = server.line()?;
//!     check!(line.contains("hello"), "the server's second line should greet; it was {line:?}");
//!     Ok(())
//! }
//! ```

use std::fmt;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How long any single wait in a check may take before it fails. Generous,
/// because a loaded CI machine is slow; a passing check never waits this long.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// How long a failure message waits for an exiting child's stderr to end.
const STDERR_END: Duration = Duration::from_secs(1);

/// What a check returns: `Ok(())`, or a [`Fail`] that prints as a hint.
pub type Check = Result<(), Fail>;

/// A failed check. Its `Debug` is its plain message, so a test returning
/// `Err(Fail)` prints the hint itself, not a struct dump.
pub struct Fail(pub String);

impl Fail {
    pub fn new(msg: impl Into<String>) -> Fail {
        Fail(msg.into())
    }
}

impl fmt::Debug for Fail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Fail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<io::Error> for Fail {
    fn from(e: io::Error) -> Fail {
        let hint = match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                " (a read or write timed out: the other side never answered; is a reply missing, or a loop not ending?)"
            }
            io::ErrorKind::ConnectionRefused => {
                " (nothing was listening: did the server bind and listen?)"
            }
            io::ErrorKind::ConnectionReset => {
                " (the connection was reset: a socket was closed while unread data was waiting in it)"
            }
            _ => "",
        };
        Fail(format!("I/O error: {e}{hint}"))
    }
}

impl From<String> for Fail {
    fn from(s: String) -> Fail {
        Fail(s)
    }
}

impl From<&str> for Fail {
    fn from(s: &str) -> Fail {
        Fail(s.to_string())
    }
}

/// Like `assert!`, but returns a [`Fail`] carrying the formatted hint.
#[macro_export]
macro_rules! check {
    ($cond:expr, $($hint:tt)+) => {
        if !$cond {
            return Err($crate::Fail(format!($($hint)+)));
        }
    };
}

/// Like `assert_eq!`, but with a hint; the two values are shown after it.
#[macro_export]
macro_rules! check_eq {
    ($got:expr, $want:expr, $($hint:tt)+) => {
        match (&$got, &$want) {
            (got, want) => {
                if got != want {
                    return Err($crate::Fail(format!(
                        "{}\n   got: {:?}\n  want: {:?}",
                        format!($($hint)+),
                        got,
                        want
                    )));
                }
            }
        }
    };
}

/// A running child process with its stdin, stdout and stderr piped.
///
/// Killed (and reaped) on drop.
pub struct Proc {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Receiver<String>,
    /// What the child printed on stdout after its last newline: a prompt.
    unfinished: Arc<Mutex<Vec<u8>>>,
    stderr: Receiver<String>,
    started: Instant,
}

impl Proc {
    /// Starts `exe` with `args`.
    pub fn spawn(exe: &str, args: &[&str]) -> Result<Proc, Fail> {
        let name = std::path::Path::new(exe)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| exe.to_string());
        let mut child = Command::new(exe)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Keep a panic in the child from printing pages of backtrace into
            // a test's output; the child's own error line is what matters.
            .env_remove("RUST_BACKTRACE")
            .spawn()
            .map_err(|e| {
                Fail(format!(
                    "cannot start {exe}: {e} (was it built? `cargo build --bins`)"
                ))
            })?;
        let unfinished = Arc::new(Mutex::new(Vec::new()));
        let stdout = lines(child.stdout.take(), unfinished.clone());
        let stderr = lines(child.stderr.take(), Arc::default());
        Ok(Proc {
            name,
            stdin: child.stdin.take(),
            child,
            stdout,
            unfinished,
            stderr,
            started: Instant::now(),
        })
    }

    /// The program's file name, for messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The operating system's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Writes `bytes` to the child's stdin.
    pub fn send(&mut self, bytes: &[u8]) -> Check {
        let name = self.name.clone();
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| Fail(format!("{name}'s stdin is already closed")))?;
        stdin
            .write_all(bytes)
            .and_then(|()| stdin.flush())
            .map_err(|e| {
                Fail(format!(
                    "cannot write to {name}'s stdin: {e} (did it exit early?)"
                ))
            })
    }

    /// Writes `line` and a newline to the child's stdin.
    pub fn send_line(&mut self, line: &str) -> Check {
        self.send(format!("{line}\n").as_bytes())
    }

    /// Closes the child's stdin: it reads end of file, as after Ctrl-D.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// The next line the child writes to stdout.
    pub fn line(&self) -> Result<String, Fail> {
        self.line_within(TIMEOUT)
    }

    /// The next stdout line, waiting at most `limit`.
    pub fn line_within(&self, limit: Duration) -> Result<String, Fail> {
        match self.stdout.recv_timeout(limit) {
            Ok(line) => Ok(line),
            Err(RecvTimeoutError::Timeout) => Err(Fail(format!(
                "{} printed no line on stdout within {:.1} s{}",
                self.name,
                limit.as_secs_f64(),
                self.stderr_hint(false)
            ))),
            Err(RecvTimeoutError::Disconnected) => Err(Fail(format!(
                "{} closed its stdout (it exited?) before printing the expected line{}",
                self.name,
                self.stderr_hint(true)
            ))),
        }
    }

    /// Skips stdout lines until one contains `text`; returns it.
    pub fn line_containing(&self, text: &str) -> Result<String, Fail> {
        let deadline = Instant::now() + TIMEOUT;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.line_within(left) {
                Ok(line) if line.contains(text) => return Ok(line),
                Ok(line) => seen.push(line),
                Err(e) => {
                    return Err(Fail(format!(
                        "expected {} to print a line containing {text:?}; it printed {seen:?}. {e}",
                        self.name
                    )));
                }
            }
        }
    }

    /// Waits (at most [`TIMEOUT`]) until what the child printed after its
    /// last newline contains `text`, and returns that unfinished line: a
    /// prompt, which like Python's `input()` prints no newline, so that a
    /// check knows the child now waits for a line typed on its stdin.
    pub fn prompt_containing(&self, text: &str) -> Result<String, Fail> {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let now = String::from_utf8_lossy(&lock(&self.unfinished)).into_owned();
            if now.contains(text) {
                return Ok(now);
            }
            if Instant::now() >= deadline {
                return Err(Fail(format!(
                    "{} printed no prompt containing {text:?} within {} s (a prompt is printed with no newline, then flushed: print! and io::stdout().flush()); after its last full line it printed {now:?}{}",
                    self.name,
                    TIMEOUT.as_secs(),
                    self.stderr_hint(false)
                )));
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Stdout lines that are already there, without waiting.
    pub fn lines_so_far(&self) -> Vec<String> {
        self.stdout.try_iter().collect()
    }

    /// The next line the child writes to stderr.
    pub fn err_line(&self) -> Result<String, Fail> {
        self.stderr.recv_timeout(TIMEOUT).map_err(|_| {
            Fail(format!(
                "{} printed no line on stderr within {} s",
                self.name,
                TIMEOUT.as_secs()
            ))
        })
    }

    /// Stderr lines that are already there, without waiting.
    pub fn err_lines_so_far(&self) -> Vec<String> {
        self.stderr.try_iter().collect()
    }

    /// What the child said on stderr, for a failure message. `ended`: its
    /// stdout has closed or it was killed, so it is exiting: wait (at most
    /// [`STDERR_END`]) for its stderr to end too, since its last words, a
    /// panic message say, may still be on their way through the pipe.
    fn stderr_hint(&self, ended: bool) -> String {
        let mut err: Vec<String> = self.stderr.try_iter().collect();
        if ended {
            let deadline = Instant::now() + STDERR_END;
            while let Ok(line) = self
                .stderr
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                err.push(line);
            }
        }
        if err.is_empty() {
            String::new()
        } else {
            format!("; its stderr said: {}", err.join(" | "))
        }
    }

    /// Sends a Unix signal by name (`"INT"` is Ctrl-C, `"TERM"` what `kill` sends).
    pub fn signal(&self, name: &str) -> Check {
        let status = Command::new("kill")
            .args(["-s", name, &self.child.id().to_string()])
            .status()
            .map_err(|e| Fail(format!("cannot run `kill`: {e}")))?;
        check!(
            status.success(),
            "`kill -s {name}` failed: had {} already exited?",
            self.name
        );
        Ok(())
    }

    /// Waits for the child to exit, at most `limit`; then collects what is
    /// left of its output. A child still running after `limit` is killed and
    /// reported as a failure.
    pub fn wait_within(mut self, limit: Duration) -> Result<Finished, Fail> {
        self.stdin = None;
        self.wait_within_stdin_open(limit)
    }

    /// [`Proc::wait_within`], but with the child's stdin left open, as a
    /// terminal's stays open while nobody types: a child waiting for a line
    /// of input is not let off by an end of file.
    pub fn wait_within_stdin_open(mut self, limit: Duration) -> Result<Finished, Fail> {
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = self.child.try_wait()? {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                let out: Vec<String> = self.stdout.try_iter().collect();
                return Err(Fail(format!(
                    "{} was still running after {:.1} s, so it was killed (a loop that never ends, or a blocking call never woken?); its last output: {:?}{}",
                    self.name,
                    limit.as_secs_f64(),
                    out,
                    self.stderr_hint(true)
                )));
            }
            thread::sleep(Duration::from_millis(5));
        };
        let took = self.started.elapsed();
        Ok(Finished {
            status,
            took,
            stdout: drain(&self.stdout),
            stderr: drain(&self.stderr),
        })
    }

    /// Waits for exit at most [`TIMEOUT`].
    pub fn wait(self) -> Result<Finished, Fail> {
        self.wait_within(TIMEOUT)
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A process that has exited, and the output it left.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    /// From start to exit.
    pub took: Duration,
    /// Stdout lines not read before it exited.
    pub stdout: Vec<String>,
    /// All stderr lines not read before it exited.
    pub stderr: Vec<String>,
}

impl Finished {
    /// The exit code, or `None` when a signal ended the process.
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// Stderr as one string, for messages.
    pub fn stderr_text(&self) -> String {
        self.stderr.join("\n")
    }

    /// Fails unless the exit code is `want`; the hint says what it means.
    pub fn expect_code(&self, want: i32, hint: &str) -> Check {
        let got = match self.code() {
            Some(code) => format!("exit code {code}"),
            None => format!("killed by a signal ({:?})", self.status),
        };
        check!(
            self.code() == Some(want),
            "{hint}\n  expected exit code {want}, got {got}\n  stdout: {:?}\n  stderr: {:?}",
            self.stdout,
            self.stderr
        );
        Ok(())
    }

    /// Fails unless stderr is exactly one line that starts with `error: `
    /// and shows no panic: what the contract promises a user sees.
    pub fn expect_one_error_line(&self) -> Check {
        let text = self.stderr_text();
        check!(
            !text.contains("panicked")
                && !text.contains("RUST_BACKTRACE")
                && !text.contains("stack backtrace"),
            "a user must never see a panic; return an io::Error with `?` instead of unwrap()/expect(). stderr was:\n{text}"
        );
        check!(
            self.stderr.len() == 1 && self.stderr[0].starts_with("error: "),
            "expected exactly one stderr line starting with `error: ` (what happened and what to try); stderr was:\n{text}"
        );
        Ok(())
    }
}

/// A server: a [`Proc`] whose first stdout line, `listening on ADDR`, told us
/// where it listens.
pub struct Server {
    pub proc: Proc,
    addr: String,
}

impl Server {
    /// Starts a server (usually with `127.0.0.1:0`) and waits for its
    /// `listening on ADDR` line.
    pub fn start(exe: &str, args: &[&str]) -> Result<Server, Fail> {
        let proc = Proc::spawn(exe, args)?;
        let first = proc.line().map_err(|e| {
            Fail(format!(
                "a server's first stdout line must be `listening on ADDR`, printed right after bind(). {e}"
            ))
        })?;
        let addr = match first.strip_prefix("listening on ") {
            Some(addr) => addr.trim().to_string(),
            None => {
                return Err(Fail(format!(
                    "a server's first stdout line must be `listening on ADDR` (the address it bound, from local_addr()); {} printed {first:?}",
                    proc.name
                )));
            }
        };
        check!(
            !addr.ends_with(":0"),
            "the server printed `listening on {addr}`: print listener.local_addr(), which holds the port the OS chose, not the address you asked for"
        );
        Ok(Server { proc, addr })
    }

    /// The address from the `listening on` line.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// `result`, a check made against this server; when it failed, the
    /// failure adds what the server said on stderr (a panic, a `todo!()` it
    /// reached, in any of its threads), which is then what the student needs.
    pub fn explain(self, result: Check) -> Check {
        let Err(fail) = result else {
            return Ok(());
        };
        let name = self.proc.name.clone();
        let mut said = self.proc.err_lines_so_far();
        let how = match self.proc.wait_within(Duration::from_millis(300)) {
            Ok(done) => {
                said.extend(done.stderr.iter().cloned());
                match done.code() {
                    Some(code) => format!("had exited with code {code}"),
                    None => "had been killed by a signal".into(),
                }
            }
            // Still running (and now killed).
            Err(_) => "was still running".into(),
        };
        if said.is_empty() {
            return Err(fail);
        }
        Err(Fail(format!(
            "{}\n  {name} {how}; its stderr said: {}",
            fail.0,
            said.join(" | ")
        )))
    }

    /// Presses Ctrl-C (sends SIGINT) and returns when, so that
    /// [`Server::expect_prompt_exit`] can time the exit.
    pub fn ctrl_c(&self) -> Result<Instant, Fail> {
        let asked = Instant::now();
        self.proc.signal("INT")?;
        Ok(asked)
    }

    /// After [`Server::ctrl_c`] at `asked`: the server exits 0 within 1 s, as
    /// the contract says, and prints a one-line summary containing `summary`
    /// (say `served 3`).
    pub fn expect_prompt_exit(self, asked: Instant, summary: &str) -> Result<Finished, Fail> {
        let done = self.proc.wait_within(Duration::from_secs(2))?;
        Server::prompt_exit(done, asked, summary)
    }

    /// [`Server::expect_prompt_exit`] for a server that waits at a prompt for
    /// a line typed on its stdin: that stays open, as a terminal's would, so
    /// an end of file cannot be what lets it exit.
    pub fn expect_prompt_exit_at_prompt(
        self,
        asked: Instant,
        summary: &str,
    ) -> Result<Finished, Fail> {
        let done = self.proc.wait_within_stdin_open(Duration::from_secs(2))?;
        Server::prompt_exit(done, asked, summary)
    }

    fn prompt_exit(done: Finished, asked: Instant, summary: &str) -> Result<Finished, Fail> {
        let took = asked.elapsed();
        done.expect_code(0, "Ctrl-C stops the server normally: exit 0")?;
        check!(
            took < Duration::from_secs(1),
            "the server took {took:?} to exit after Ctrl-C; it must be gone within 1 s"
        );
        check!(
            done.stdout.iter().any(|l| l.contains(summary)),
            "after Ctrl-C the server prints a one-line summary with how many clients it served ({summary:?}); it printed {:?}",
            done.stdout
        );
        Ok(done)
    }
}

impl std::ops::Deref for Server {
    type Target = Proc;
    fn deref(&self) -> &Proc {
        &self.proc
    }
}

impl std::ops::DerefMut for Server {
    fn deref_mut(&mut self) -> &mut Proc {
        &mut self.proc
    }
}

/// Runs `exe` to the end with `stdin` as its input; fails if it runs longer
/// than [`TIMEOUT`].
pub fn run(exe: &str, args: &[&str], stdin: &[u8]) -> Result<Finished, Fail> {
    let mut proc = Proc::spawn(exe, args)?;
    // A child that exits without reading its input closes the pipe; that is
    // not the check's business, the exit code and output are.
    let _ = proc.send(stdin);
    proc.close_stdin();
    proc.wait()
}

/// Connects to `addr` with read and write timeouts of [`TIMEOUT`], so no
/// check can block forever on a silent server.
pub fn connect(addr: &str) -> Result<TcpStream, Fail> {
    let stream =
        TcpStream::connect(addr).map_err(|e| Fail(format!("cannot connect to {addr}: {e}")))?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    Ok(stream)
}

/// Reads until the peer closes (end of stream). A peer that never closes
/// makes this fail after [`TIMEOUT`] with a hint, instead of hanging.
pub fn read_to_close(stream: &mut TcpStream) -> Result<Vec<u8>, Fail> {
    let mut all = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Ok(all),
            Ok(n) => all.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(Fail(format!(
                    "waited {} s for the server to close the connection after {} bytes; it never did (the connection must be dropped/closed when the exchange is over)",
                    TIMEOUT.as_secs(),
                    all.len()
                )));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Reads exactly `n` bytes, or fails with what came before the stream ended
/// or timed out.
pub fn read_exactly(stream: &mut TcpStream, n: usize) -> Result<Vec<u8>, Fail> {
    let mut all = vec![0u8; n];
    let mut got = 0;
    while got < n {
        match stream.read(&mut all[got..]) {
            Ok(0) => {
                return Err(Fail(format!(
                    "the connection closed after {got} of the {n} bytes expected: {:?}",
                    String::from_utf8_lossy(&all[..got])
                )));
            }
            Ok(k) => got += k,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(Fail(format!(
                    "only {got} of the {n} bytes expected arrived within {} s: {:?}",
                    TIMEOUT.as_secs(),
                    String::from_utf8_lossy(&all[..got])
                )));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(all)
}

fn lines(
    pipe: Option<impl Read + Send + 'static>,
    unfinished: Arc<Mutex<Vec<u8>>>,
) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    if let Some(mut pipe) = pipe {
        thread::spawn(move || {
            let send = |line: &[u8]| {
                let text = String::from_utf8_lossy(line);
                tx.send(text.trim_end_matches(['\n', '\r']).to_string())
            };
            let mut chunk = [0u8; 8192];
            // Each line goes out as soon as its newline comes; the bytes
            // after the last newline wait in `unfinished`, where a check can
            // see a prompt.
            loop {
                let n = match pipe.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                let mut pending = lock(&unfinished);
                pending.extend_from_slice(&chunk[..n]);
                while let Some(end) = pending.iter().position(|&b| b == b'\n') {
                    let line: Vec<u8> = pending.drain(..=end).collect();
                    if send(&line).is_err() {
                        return;
                    }
                }
            }
            let rest = std::mem::take(&mut *lock(&unfinished));
            if !rest.is_empty() {
                let _ = send(&rest);
            }
        });
    }
    rx
}

/// The lock, also when a thread panicked while holding it: the bytes in it
/// are still the bytes the child printed.
fn lock(bytes: &Mutex<Vec<u8>>) -> std::sync::MutexGuard<'_, Vec<u8>> {
    bytes.lock().unwrap_or_else(|p| p.into_inner())
}

/// Lines still in the channel once the process has exited: the pipe reader
/// sees end of file soon after, so wait for that, briefly.
fn drain(rx: &Receiver<String>) -> Vec<String> {
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => out.push(line),
            Err(_) => return out,
        }
    }
}

/// A function under test running on a thread of its own, so that a check
/// can wait for its result with a deadline instead of forever: a student's
/// loop that never ends fails the check, it does not hang it.
///
/// ```no_run
/// let running = harness::Running::spawn(|| 6 * 7);
/// assert_eq!(running.result("the answer", || {}).ok(), Some(42));
/// ```
pub struct Running<T>(Receiver<thread::Result<T>>);

impl<T: Send + 'static> Running<T> {
    /// Starts `f` on a new thread; a panic in it (a `todo!()` not written
    /// yet, say) is caught and reported by [`Running::result`].
    pub fn spawn(f: impl FnOnce() -> T + Send + 'static) -> Running<T> {
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
        });
        Running(rx)
    }

    /// Its result within [`TIMEOUT`]. A panic, or no result in time, fails
    /// with `what` named; on a timeout `give_up` runs first (a check asks a
    /// stop there, so that a loop still running ends instead of spinning on
    /// in the background while the other checks run).
    pub fn result(self, what: &str, give_up: impl FnOnce()) -> Result<T, Fail> {
        self.result_within(TIMEOUT, what, give_up)
    }

    /// [`Running::result`] with a limit of its own.
    pub fn result_within(
        self,
        limit: Duration,
        what: &str,
        give_up: impl FnOnce(),
    ) -> Result<T, Fail> {
        match self.0.recv_timeout(limit) {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(_)) => Err(Fail(format!("{what} panicked (its message is above)"))),
            Err(_) => {
                give_up();
                Err(Fail(format!(
                    "{what} did not return within {:.1} s: is it waiting for something that never comes, or still looping after a read returned 0 (the other side closed)?",
                    limit.as_secs_f64()
                )))
            }
        }
    }
}

/// An address where nothing listens, for "connection refused" checks, and
/// the guard that keeps it so.
///
/// Binding a listener, dropping it and reusing its port races with every
/// other test that asks for port 0. Instead: connect to a throwaway listener
/// and use *our own end's* port. That port is bound to a connected socket,
/// which never accepts, so connecting to it is refused; and as long as the
/// guard lives, no other socket can listen on it.
pub fn closed_port() -> Result<(ClosedPort, String), Fail> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let client = TcpStream::connect(listener.local_addr()?)?;
    let (server_end, _) = listener.accept()?;
    let addr = client.local_addr()?.to_string();
    Ok((
        ClosedPort {
            _sockets: (listener, client, server_end),
        },
        addr,
    ))
}

/// Keeps [`closed_port`]'s port closed while it lives.
pub struct ClosedPort {
    _sockets: (std::net::TcpListener, TcpStream, TcpStream),
}

/// `listener.accept()`, but failing after [`TIMEOUT`] instead of blocking
/// forever when no client comes. The accepted stream has read and write
/// timeouts of [`TIMEOUT`].
pub fn accept_within(
    listener: &std::net::TcpListener,
) -> Result<(TcpStream, std::net::SocketAddr), Fail> {
    listener.set_nonblocking(true)?;
    let deadline = Instant::now() + TIMEOUT;
    let accepted = loop {
        match listener.accept() {
            Ok(pair) => break pair,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                thread::sleep(Duration::from_millis(2));
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                listener.set_nonblocking(false)?;
                return Err(Fail(format!(
                    "no client connected within {} s",
                    TIMEOUT.as_secs()
                )));
            }
            Err(e) => return Err(e.into()),
        }
    };
    listener.set_nonblocking(false)?;
    let (stream, peer) = accepted;
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    Ok((stream, peer))
}

/// The Python 3 interpreter itself (`sys.executable`), found once, for the
/// checks that pair the tutorials' Python programs with our binaries; `None`,
/// with a note on stderr, where `python3` cannot be run. Those checks then
/// pass, since Python is not what they check.
///
/// Not `python3` by name for every start: it is often a wrapper (pyenv's shim
/// is a shell script that starts a few processes), and on a loaded machine
/// such a start took over 5 s, the checks' whole [`TIMEOUT`]. Start it with
/// `-S` too: no site-packages, which the tutorials' programs do not need and
/// which can take longer to load than they take to run.
///
/// ```no_run
/// let Some(python) = harness::python3() else {
///     return; // printed: "note: python3 not found: ... skipped"
/// };
/// let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../lessons/tutorial/s01_server.py");
/// // -u: unbuffered, so each print() reaches the check at once.
/// let server = harness::Server::start(&python, &["-S", "-u", script, "0"]);
/// ```
pub fn python3() -> Option<String> {
    static FOUND: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let found = FOUND.get_or_init(|| {
        let asked = Command::new("python3")
            .args(["-S", "-c", "import sys; print(sys.executable)"])
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|out| out.status.success())?;
        let path = String::from_utf8_lossy(asked.stdout.trim_ascii()).into_owned();
        // An embedded or odd build may not know its own path: the wrapper
        // still works, only slower.
        Some(if path.is_empty() {
            "python3".into()
        } else {
            path
        })
    });
    if found.is_none() {
        eprintln!("note: python3 not found: this check of a tutorial's Python program is skipped");
    }
    found.clone()
}

/// Whether `python3` can be run here: [`python3`] found it (which prints
/// the skip note when not).
pub fn python3_available() -> bool {
    python3().is_some()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// A child that closes its stdout and says why on stderr a moment later,
    /// as a dying program's last words come after its stdout is gone: the
    /// failure message must wait for them.
    #[test]
    fn a_closed_stdout_reports_the_stderr_that_comes_after_it() {
        let proc = Proc::spawn(
            "sh",
            &["-c", "exec 1>&-; sleep 0.3; echo 'last words' >&2; exit 3"],
        )
        .expect("sh runs");
        let message = proc.line().expect_err("no line comes").0;
        assert!(
            message.contains("closed its stdout") && message.contains("last words"),
            "{message}"
        );
    }
}
