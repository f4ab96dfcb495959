//! No server or client the tour starts outlives it: not when its standard
//! output is closed (`tour | head -3`), not on Ctrl-C or SIGTERM sent to the
//! tour alone, not when it panics.
//!
//! Each check starts the real `tour` binary, watches /proc for the processes
//! whose parent is the tour (so it knows which ones to look for afterwards:
//! once the tour is gone, an orphan's parent is init, not the tour), ends the
//! tour one way, and then requires every child it saw to be gone. Every wait
//! has a deadline; nothing waits a fixed time for something to happen.
//!
//! The tour builds the stage binaries first (a no-op when `cargo test` has
//! built them), so the first wait allows for a build.

#![cfg(target_os = "linux")]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How long the tour may take to build the stage binaries before its first
/// stage (a fresh target directory compiles six crates).
const BUILD: Duration = Duration::from_secs(600);
/// Any other wait.
const WAIT: Duration = Duration::from_secs(10);

/// A process seen as the tour's child: its start time (so that a new process
/// that reuses the id is not taken for it) and its name.
#[derive(Clone, Debug)]
struct Seen {
    start: u64,
    name: String,
}

struct RunningTour {
    child: Child,
    lines: Receiver<String>,
    stderr: Arc<Mutex<Vec<String>>>,
    seen: Arc<Mutex<BTreeMap<u32, Seen>>>,
    watching: Arc<AtomicBool>,
}

/// `/proc/PID/stat`: state, parent, start time (field 22) and name.
fn stat(pid: u32) -> Option<(char, u32, u64, String)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let name = text[open + 1..close].to_string();
    let fields: Vec<&str> = text[close + 1..].split_whitespace().collect();
    let state = fields.first()?.chars().next()?;
    let parent = fields.get(1)?.parse().ok()?;
    let start = fields.get(19)?.parse().ok()?;
    Some((state, parent, start, name))
}

fn children_of(parent: u32) -> Vec<(u32, Seen)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let (_, ppid, start, name) = stat(pid)?;
            (ppid == parent).then_some((pid, Seen { start, name }))
        })
        .collect()
}

/// Still running: the same process (same start time), not a zombie.
fn alive(pid: u32, seen: &Seen) -> bool {
    stat(pid).is_some_and(|(state, _, start, _)| start == seen.start && !matches!(state, 'Z' | 'X'))
}

impl RunningTour {
    /// Starts `tour ARGS` with `TOUR_FAULT=fault` (if any). Its stdout is
    /// read line by line; after the first line containing `close_after`, the
    /// test closes its end of the pipe, as `head` does.
    fn start(args: &[&str], fault: Option<&str>, close_after: Option<&'static str>) -> RunningTour {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tour"));
        command
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env_remove("TOUR_FAULT")
            .env_remove("RUST_BACKTRACE");
        if let Some(fault) = fault {
            command.env("TOUR_FAULT", fault);
        }
        let mut child = command.spawn().expect("the tour binary starts");
        let tour_pid = child.id();

        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                let done = close_after.is_some_and(|text| line.contains(text));
                let _ = tx.send(line.trim_end().to_string());
                line.clear();
                if done {
                    // Dropping the reader closes our end of the pipe.
                    return;
                }
            }
        });
        let stderr_pipe = child.stderr.take().expect("piped stderr");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let collected = Arc::clone(&stderr);
        thread::spawn(move || {
            for line in BufReader::new(stderr_pipe).lines().map_while(Result::ok) {
                collected.lock().expect("stderr lock").push(line);
            }
        });

        // Record every child of the tour while it runs.
        let seen = Arc::new(Mutex::new(BTreeMap::new()));
        let watching = Arc::new(AtomicBool::new(true));
        let (seen_w, watching_w) = (Arc::clone(&seen), Arc::clone(&watching));
        thread::spawn(move || {
            while watching_w.load(Ordering::SeqCst) {
                for (pid, s) in children_of(tour_pid) {
                    // Seen again: a child starts as a copy of the tour and
                    // takes its program's name when it execs it.
                    let mut seen = seen_w.lock().unwrap_or_else(|p| p.into_inner());
                    seen.insert(pid, s);
                }
                thread::sleep(Duration::from_millis(1));
            }
        });
        RunningTour {
            child,
            lines,
            stderr,
            seen,
            watching,
        }
    }

    /// Waits for a stdout line containing `text`.
    fn line_containing(&self, text: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        let mut before = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(text) => return line,
                Ok(line) => before.push(line),
                Err(_) => panic!(
                    "the tour printed no line containing {text:?} within {limit:?}; it printed {before:?}; stderr: {:?}",
                    self.stderr()
                ),
            }
        }
    }

    /// Waits until the watcher has seen a child whose name starts with
    /// `name` (the kernel keeps 15 characters of a name).
    fn saw_child(&self, name: &str) {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if self
                .seen
                .lock()
                .expect("seen lock")
                .values()
                .any(|s| name.starts_with(&s.name) || s.name.starts_with(name))
            {
                return;
            }
            thread::sleep(Duration::from_millis(2));
        }
        let seen = self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
        panic!("no child process named {name} of the tour was seen; it had: {seen:?}");
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args(["-s", name, &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(
            status.success(),
            "kill -s {name} failed: had the tour exited already?"
        );
    }

    fn stderr(&self) -> Vec<String> {
        self.stderr.lock().expect("stderr lock").clone()
    }

    /// Waits for the tour to exit; then every child seen must be gone. A
    /// survivor is killed (the check must not leave it either) and reported.
    fn expect_exit_leaving_nothing(mut self, how: &str) -> ExitStatus {
        let deadline = Instant::now() + WAIT;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                panic!(
                    "{how}: the tour was still running after {WAIT:?}; stderr: {:?}",
                    self.stderr()
                );
            }
            thread::sleep(Duration::from_millis(5));
        };
        self.watching.store(false, Ordering::SeqCst);
        let seen = self.seen.lock().expect("seen lock").clone();
        assert!(
            seen.values().any(|s| s.name != "cargo"),
            "{how}: the tour was never seen running a program, so this check checked nothing"
        );
        // The tour stops its children before it exits; allow the kernel a
        // moment to finish them off.
        let deadline = Instant::now() + Duration::from_secs(3);
        let mut left: Vec<(u32, Seen)> = seen.into_iter().collect();
        while !left.is_empty() && Instant::now() < deadline {
            left.retain(|(pid, s)| alive(*pid, s));
            thread::sleep(Duration::from_millis(5));
        }
        for (pid, _) in &left {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        }
        assert!(
            left.is_empty(),
            "{how}: the tour exited ({status}) but left running: {left:?} (killed now); its stderr: {:?}",
            self.stderr()
        );
        status
    }
}

/// A check that fails half-way still leaves nothing: the tour is killed
/// (SIGKILL, which it cannot catch), so its children are killed here.
impl Drop for RunningTour {
    fn drop(&mut self) {
        self.watching.store(false, Ordering::SeqCst);
        let _ = self.child.kill();
        let _ = self.child.wait();
        let seen = self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
        for (pid, s) in seen {
            if alive(pid, &s) {
                let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            }
        }
    }
}

impl RunningTour {
    /// Lets a tour paused by its `TOUR_FAULT` go on.
    fn go_on(&mut self) {
        let stdin = self.child.stdin.as_mut().expect("piped stdin");
        stdin
            .write_all(b"go on\n")
            .expect("the tour reads its stdin");
    }
}

#[test]
fn closing_the_tours_output_stops_its_servers() {
    // Stage 1 pauses with its server up; the test has read up to that line
    // and closed its end of the pipe, as `tour | head -3` does; the tour goes
    // on and finds nobody reading.
    let mut tour = RunningTour::start(
        &["1"],
        Some("pause-after-server"),
        Some("[server] listening on"),
    );
    tour.line_containing("[server] listening on", BUILD);
    tour.saw_child("tcp-single-server");
    tour.go_on();
    let stderr = tour.stderr.clone();
    let status = tour.expect_exit_leaving_nothing("stdout closed");
    assert_eq!(
        status.code(),
        Some(1),
        "a tour whose output is gone exits 1"
    );
    let stderr = stderr.lock().expect("stderr lock").join("\n");
    assert!(stderr.contains("nobody reads"), "stderr: {stderr}");
}

#[test]
fn ctrl_c_to_the_tour_alone_stops_its_servers() {
    let tour = RunningTour::start(&["1"], Some("pause-after-server"), None);
    tour.line_containing("[server] listening on", BUILD);
    tour.saw_child("tcp-single-server");
    tour.signal("INT");
    let stderr = tour.stderr.clone();
    let status = tour.expect_exit_leaving_nothing("Ctrl-C");
    assert_eq!(status.code(), Some(130), "Ctrl-C ends the tour with 130");
    let stderr = stderr.lock().expect("stderr lock").join("\n");
    assert!(stderr.contains("stopped by a signal"), "stderr: {stderr}");
}

#[test]
fn sigterm_to_the_tour_stops_its_servers() {
    let tour = RunningTour::start(&["1"], Some("pause-after-server"), None);
    tour.line_containing("[server] listening on", BUILD);
    tour.saw_child("tcp-single-server");
    tour.signal("TERM");
    let status = tour.expect_exit_leaving_nothing("SIGTERM");
    assert_eq!(status.code(), Some(130));
}

#[test]
fn a_panic_in_the_tour_stops_its_servers() {
    let mut tour = RunningTour::start(&["1"], Some("panic-after-server"), None);
    tour.line_containing("[server] listening on", BUILD);
    tour.saw_child("tcp-single-server");
    tour.go_on();
    let stderr = tour.stderr.clone();
    let status = tour.expect_exit_leaving_nothing("a panic");
    assert_ne!(status.code(), Some(0), "a panic is a failure");
    let stderr = stderr.lock().expect("stderr lock").join("\n");
    assert!(
        stderr.contains("internal bug"),
        "kit reports the panic as a bug: {stderr}"
    );
}
