//! Printing the exchange as a transcript: `$ command`, `[server] line`,
//! `[client] line`, and one indented sentence per step saying what happened.
//!
//! Every line goes through [`out`], which notices when nobody reads the
//! tour's output any more (`tour | head -3`): from then on every step that
//! starts or waits for a program fails at once, so the stage returns and its
//! programs are stopped as they are dropped (see `children`).

use std::fmt::Display;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use harness::{Fail, Finished, Proc, Server};

use crate::children;
use crate::lang::{self, Lang, Narration};
use crate::stages::Stage;

/// Set when a line could not be written: standard output is closed.
static STDOUT_GONE: AtomicBool = AtomicBool::new(false);

/// Prints one line of the transcript. Fails when standard output is closed
/// (and from then on), or when a signal is stopping the tour.
pub fn out(line: impl Display) -> Result<(), Fail> {
    alive()?;
    let mut stdout = io::stdout().lock();
    if writeln!(stdout, "{line}")
        .and_then(|()| stdout.flush())
        .is_err()
    {
        STDOUT_GONE.store(true, Ordering::SeqCst);
        return Err(Fail::new(GONE));
    }
    Ok(())
}

const GONE: &str = "nobody reads the tour's output any more (its standard output was closed)";

/// Whether the tour's standard output was found closed.
pub fn stdout_gone() -> bool {
    STDOUT_GONE.load(Ordering::SeqCst)
}

/// Fails when the tour should not go on: its output is closed, or a signal
/// is stopping it.
fn alive() -> Result<(), Fail> {
    if stdout_gone() {
        return Err(Fail::new(GONE));
    }
    if children::stopping() {
        return Err(Fail::new("the tour is stopping (a signal)"));
    }
    Ok(())
}

pub struct Tour {
    bin_dir: PathBuf,
}

/// A running program whose output the tour prints, labelled.
pub struct Shown {
    pub label: String,
    pub proc: Proc,
    /// For a server: the address from its `listening on` line.
    pub addr: String,
}

impl Tour {
    pub fn new(bin_dir: PathBuf) -> Tour {
        Tour { bin_dir }
    }

    pub fn heading(&self, stage: &Stage) -> Result<(), Fail> {
        out("")?;
        match lang::current() {
            Lang::En => out(format_args!(
                "=== stage {}: {} ({}) ===",
                stage.number,
                stage.title.text(),
                stage.package
            )),
            Lang::Zh => out(format_args!(
                "=== 第 {} 阶段：{}（{}）===",
                stage.number,
                stage.title.text(),
                stage.package
            )),
        }
    }

    /// One sentence on what just happened, or is about to, in the tour's
    /// language: `t.say(&Say { en: "...", zh: "..." })`. (If it cannot be
    /// printed, the stage's next step fails: see [`out`].)
    pub fn say(&self, text: impl Narration) {
        let _ = out(format_args!("    -> {}", text.text()));
    }

    /// A line of the transcript that is neither a program's output nor a
    /// sentence about it (what the tour itself does, as a raw client).
    pub fn line(&self, text: impl Display) {
        let _ = out(text);
    }

    fn exe(&self, name: &str) -> String {
        self.bin_dir.join(name).to_string_lossy().into_owned()
    }

    fn command_line(name: &str, args: &[&str]) -> Result<(), Fail> {
        out(format_args!("$ {name} {}", args.join(" ")))
    }

    /// Starts a server and prints its `listening on` line.
    pub fn server(&self, name: &str, args: &[&str]) -> Result<Shown, Fail> {
        Self::command_line(name, args)?;
        let server = children::spawning(|| Server::start(&self.exe(name), args))?;
        out(format_args!("[server] listening on {}", server.addr()))?;
        fault_after_server();
        let addr = server.addr().to_string();
        Ok(Shown {
            label: "server".into(),
            proc: server.proc,
            addr,
        })
    }

    /// Starts a client (or any program) whose stdin the tour will type into.
    pub fn spawn(&self, label: &str, name: &str, args: &[&str]) -> Result<Shown, Fail> {
        Self::command_line(name, args)?;
        let proc = children::spawning(|| Proc::spawn(&self.exe(name), args))?;
        Ok(Shown {
            label: label.into(),
            proc,
            addr: String::new(),
        })
    }

    /// Runs a program to the end, prints its output, and expects exit code 0.
    pub fn run(
        &self,
        label: &str,
        name: &str,
        args: &[&str],
        stdin: &[u8],
    ) -> Result<Finished, Fail> {
        Self::command_line(name, args)?;
        // harness::run, with the start under children::spawning.
        let mut proc = children::spawning(|| Proc::spawn(&self.exe(name), args))?;
        // A child that exits without reading its input closes the pipe; its
        // exit code and output are what matter.
        let _ = proc.send(stdin);
        proc.close_stdin();
        let done = proc.wait()?;
        print_rest(label, &done)?;
        done.expect_code(0, &format!("{name} should succeed"))?;
        Ok(done)
    }
}

impl Shown {
    /// Prints this program's output until a line containing `text`; returns it.
    pub fn expect(&self, text: &str) -> Result<String, Fail> {
        loop {
            let line = self
                .proc
                .line()
                .map_err(|e| Fail(format!("waiting for {text:?}: {e}")))?;
            out(format_args!("[{}] {line}", self.label))?;
            if line.contains(text) {
                return Ok(line);
            }
        }
    }

    /// Types a line into this program's stdin, and shows it.
    pub fn type_line(&mut self, line: &str) -> Result<(), Fail> {
        out(format_args!("[{}] < {line}", self.label))?;
        self.proc.send_line(line)
    }

    /// Sends a signal (`INT` is Ctrl-C) and prints what the program says as it exits.
    pub fn stop(self, signal: &str) -> Result<Finished, Fail> {
        out(format_args!(
            "$ kill -{signal} {}   # {}",
            self.proc.pid(),
            if signal == "INT" { "Ctrl-C" } else { signal }
        ))?;
        self.proc.signal(signal)?;
        self.finish()
    }

    /// Waits for the program to exit and prints the rest of its output.
    pub fn finish(self) -> Result<Finished, Fail> {
        let label = self.label.clone();
        let name = self.proc.name().to_string();
        let done = self.proc.wait()?;
        print_rest(&label, &done)?;
        done.expect_code(0, &format!("{name} should exit 0"))?;
        Ok(done)
    }
}

/// For the checks that no server outlives the tour (tests/no_orphans.rs),
/// right after a server has started: wait for a line on stdin, so the check
/// can see the server running and close the tour's output or send it a
/// signal; then, with `TOUR_FAULT=pause-after-server`, go on, and with
/// `TOUR_FAULT=panic-after-server`, panic.
fn fault_after_server() {
    let fault = std::env::var("TOUR_FAULT");
    if let Ok("pause-after-server" | "panic-after-server") = fault.as_deref() {
        let _ = io::stdin().read_line(&mut String::new());
    }
    if let Ok("panic-after-server") = fault.as_deref() {
        panic!("TOUR_FAULT=panic-after-server: a deliberate panic with a server running");
    }
}

fn print_rest(label: &str, done: &Finished) -> Result<(), Fail> {
    for line in &done.stdout {
        out(format_args!("[{label}] {line}"))?;
    }
    for line in &done.stderr {
        out(format_args!("[{label} stderr] {line}"))?;
    }
    Ok(())
}
