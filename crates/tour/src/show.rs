//! Printing the exchange as a transcript: `$ command`, `[server] line`,
//! `[client] line`, and one indented sentence per step saying what happened.

use std::path::PathBuf;

use harness::{Fail, Finished, Proc, Server};

use crate::stages::Stage;

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

    pub fn heading(&self, stage: &Stage) {
        println!();
        println!(
            "=== stage {}: {} ({}) ===",
            stage.number, stage.title, stage.package
        );
    }

    /// One sentence on what just happened, or is about to.
    pub fn say(&self, text: &str) {
        println!("    -> {text}");
    }

    fn exe(&self, name: &str) -> String {
        self.bin_dir.join(name).to_string_lossy().into_owned()
    }

    fn command_line(name: &str, args: &[&str]) {
        println!("$ {name} {}", args.join(" "));
    }

    /// Starts a server and prints its `listening on` line.
    pub fn server(&self, name: &str, args: &[&str]) -> Result<Shown, Fail> {
        Self::command_line(name, args);
        let server = Server::start(&self.exe(name), args)?;
        println!("[server] listening on {}", server.addr());
        let addr = server.addr().to_string();
        Ok(Shown {
            label: "server".into(),
            proc: server.proc,
            addr,
        })
    }

    /// Starts a client (or any program) whose stdin the tour will type into.
    pub fn spawn(&self, label: &str, name: &str, args: &[&str]) -> Result<Shown, Fail> {
        Self::command_line(name, args);
        let proc = Proc::spawn(&self.exe(name), args)?;
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
        Self::command_line(name, args);
        let done = harness::run(&self.exe(name), args, stdin)?;
        print_rest(label, &done);
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
            println!("[{}] {line}", self.label);
            if line.contains(text) {
                return Ok(line);
            }
        }
    }

    /// Types a line into this program's stdin, and shows it.
    pub fn type_line(&mut self, line: &str) -> Result<(), Fail> {
        println!("[{}] < {line}", self.label);
        self.proc.send_line(line)
    }

    /// Sends a signal (`INT` is Ctrl-C) and prints what the program says as it exits.
    pub fn stop(self, signal: &str) -> Result<Finished, Fail> {
        println!(
            "$ kill -{signal} {}   # {}",
            self.proc.pid(),
            if signal == "INT" { "Ctrl-C" } else { signal }
        );
        self.proc.signal(signal)?;
        self.finish()
    }

    /// Waits for the program to exit and prints the rest of its output.
    pub fn finish(self) -> Result<Finished, Fail> {
        let label = self.label.clone();
        let name = self.proc.name().to_string();
        let done = self.proc.wait()?;
        print_rest(&label, &done);
        done.expect_code(0, &format!("{name} should exit 0"))?;
        Ok(done)
    }
}

fn print_rest(label: &str, done: &Finished) {
    for line in &done.stdout {
        println!("[{label}] {line}");
    }
    for line in &done.stderr {
        println!("[{label} stderr] {line}");
    }
}
