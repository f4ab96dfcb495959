//! `tour`: runs every stage's real server and client binaries and prints what
//! they say to each other, one narrated step at a time.
//!
//! Each stage starts its server on port 0, learns the port from the server's
//! `listening on ADDR` line, runs the client(s) against it, and checks that
//! what comes back is what the contract promises. So the tour is both a demo
//! for a student and a smoke test: it exits 1 if any stage misbehaves.

mod show;
mod stages;

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use show::Tour;
use stages::STAGES;

const HELP: &str = "\
usage: tour [STAGE...] [--list]

Runs each stage's real server and client and prints the exchange, narrated.
Builds the stage binaries first if needed (it runs `cargo build --bins`).

  STAGE      a stage number (1-6) or package name (tcp-single, ...); default: all
  --list     list the stages and exit
  -h, --help

examples:
  cargo run --bin tour
  cargo run --bin tour -- 1
";

fn main() -> ExitCode {
    kit::run(HELP, |cli| {
        let list = cli.flag("--list");
        let wanted = cli.words();
        cli.finish()?;
        if list {
            for stage in STAGES {
                println!("{}  {:<13} {}", stage.number, stage.package, stage.title);
            }
            return Ok(());
        }
        let mut chosen = Vec::new();
        for word in &wanted {
            let stage = STAGES
                .iter()
                .find(|s| s.number.to_string() == *word || s.package == word)
                .ok_or_else(|| kit::Error::Usage(format!("no stage '{word}' (see tour --list)")))?;
            chosen.push(stage);
        }
        if chosen.is_empty() {
            chosen = STAGES.iter().collect();
        }

        let tour = Tour::new(bin_dir()?);
        let mut failed = Vec::new();
        for stage in &chosen {
            tour.heading(stage);
            if let Err(e) = (stage.run)(&tour) {
                println!(
                    "!! stage {} ({}) misbehaved: {e}",
                    stage.number, stage.package
                );
                failed.push(stage.package);
            }
        }
        println!();
        println!(
            "tour: {} passed, {} failed",
            chosen.len() - failed.len(),
            failed.len()
        );
        if failed.is_empty() {
            Ok(())
        } else {
            Err(io::Error::other(format!("stage(s) misbehaved: {}", failed.join(", "))).into())
        }
    })
}

/// Where the stage binaries are: next to this one, built by cargo with the
/// same profile. A fresh clone has only `tour` built (by `cargo run --bin
/// tour`), so build the rest; cargo makes that a no-op when nothing changed.
fn bin_dir() -> io::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    let release = dir.file_name().is_some_and(|n| n == "release");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.toml");
    let mut build = Command::new(&cargo);
    build.args([
        "build",
        "--quiet",
        "--workspace",
        "--bins",
        "--manifest-path",
        manifest,
    ]);
    if release {
        build.arg("--release");
    }
    match build.status() {
        Ok(status) if status.success() => Ok(dir),
        Ok(_) => Err(io::Error::other(
            "building the stage binaries failed (see cargo's messages above)",
        )),
        Err(_)
            if STAGES
                .iter()
                .all(|s| s.binaries.iter().all(|b| dir.join(b).exists())) =>
        {
            Ok(dir)
        }
        Err(e) => Err(io::Error::other(format!(
            "the stage binaries are not built and cargo could not be run ({e}): run `cargo build --bins` in the workspace, then the tour again"
        ))),
    }
}
