//! No program the tour starts outlives it.
//!
//! The tour starts servers and clients (and `cargo build`) as child
//! processes. A child is not stopped when its parent ends: it is handed to
//! the system's init and runs on, holding its port. So whichever way the tour
//! ends, it stops its children first:
//!
//! - normally, or when a stage fails: every `harness::Proc` the stage holds is
//!   dropped, and a dropped `Proc` kills and reaps its process;
//! - its standard output closed (`tour | head -3`): the next line it prints
//!   fails, the stage returns an error, and the same drops happen
//!   (`show::out` and `Tour::alive`);
//! - Ctrl-C or SIGTERM sent to the tour alone (a terminal's Ctrl-C reaches
//!   the children too, but `kill PID` does not): [`on_signal_stop_children`];
//! - a panic: [`on_panic_stop_children`], before the panic report.
//!
//! A SIGKILL cannot be caught, so it still leaves children behind.
//!
//! The signal handler runs on its own thread while the main thread may be
//! starting a program: [`spawning`] holds a lock around every start, and the
//! handler takes that lock before it looks for children and never gives it
//! back, so no program can start after the handler has looked.

use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// Held while a child is being started, and for good by the signal handler.
static SPAWNING: Mutex<()> = Mutex::new(());

/// Set once a signal asked the tour to stop: from then on it prints nothing
/// more of the exchange (whose programs it is stopping).
static STOPPING: AtomicBool = AtomicBool::new(false);

/// Whether a signal asked the tour to stop.
pub fn stopping() -> bool {
    STOPPING.load(Ordering::SeqCst)
}

/// Runs `start` (which starts one child process) so that a Ctrl-C handler
/// either sees the child or runs before it exists.
pub fn spawning<T>(start: impl FnOnce() -> T) -> T {
    let _held = SPAWNING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    start()
}

/// On Ctrl-C, SIGTERM or SIGHUP: stop every child, say so, exit 130 (128 +
/// SIGINT, what a shell reports for a program stopped by Ctrl-C).
pub fn on_signal_stop_children() {
    let installed = ctrlc::set_handler(|| {
        STOPPING.store(true, Ordering::SeqCst);
        // Never released: the process ends below, and no child may start.
        let held = SPAWNING
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        std::mem::forget(held);
        let stopped = stop_all();
        eprintln!(
            "tour: stopped by a signal (Ctrl-C); {stopped} program(s) it had started were stopped too"
        );
        std::process::exit(130);
    });
    if let Err(e) = installed {
        eprintln!(
            "tour: cannot catch Ctrl-C ({e}); a Ctrl-C sent to the tour alone may leave a server running"
        );
    }
}

/// Before a panic's report: stop every child. A panic is a bug in the tour;
/// its servers must not outlive it either way.
pub fn on_panic_stop_children() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        stop_all();
        report(info);
    }));
}

/// Stops every child process of the tour: SIGTERM (servers print their
/// summary and exit within a second, as the contract says), then SIGKILL for
/// any still running after a second. Returns how many there were.
pub fn stop_all() -> usize {
    let children = children();
    if children.is_empty() {
        return 0;
    }
    signal("TERM", &children);
    let deadline = Instant::now() + Duration::from_secs(1);
    while Instant::now() < deadline && children.iter().any(|&pid| running(pid)) {
        thread::sleep(Duration::from_millis(10));
    }
    let left: Vec<u32> = children.iter().copied().filter(|&p| running(p)).collect();
    if !left.is_empty() {
        signal("KILL", &left);
    }
    children.len()
}

fn signal(name: &str, pids: &[u32]) {
    let mut kill = Command::new("kill");
    kill.args(["-s", name])
        .args(pids.iter().map(u32::to_string));
    let _ = kill.status();
}

/// The process ids whose parent is the tour.
fn children() -> Vec<u32> {
    let me = std::process::id();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        // Linux: every process has /proc/PID/stat, which names its parent.
        entries
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
            .filter(|&pid| stat(pid).is_some_and(|(_, parent)| parent == me))
            .collect()
    } else {
        // Elsewhere (macOS): ask pgrep.
        Command::new("pgrep")
            .args(["-P", &me.to_string()])
            .output()
            .map(|out| {
                String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .filter_map(|l| l.trim().parse().ok())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Still running: it exists and has not exited (an exited child the tour
/// has not reaped yet is a zombie, state `Z`). Without /proc, `kill -0`.
fn running(pid: u32) -> bool {
    if std::path::Path::new("/proc/self").exists() {
        return stat(pid).is_some_and(|(state, _)| state != 'Z' && state != 'X');
    }
    Command::new("kill")
        .args(["-0", &pid.to_string()])
        .status()
        .is_ok_and(|s| s.success())
}

/// A process's state letter and parent id, from /proc/PID/stat:
/// `PID (NAME) STATE PPID ...`, where NAME may hold spaces and parentheses.
fn stat(pid: u32) -> Option<(char, u32)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &text[text.rfind(')')? + 1..];
    let mut fields = after.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let parent = fields.next()?.parse().ok()?;
    Some((state, parent))
}
