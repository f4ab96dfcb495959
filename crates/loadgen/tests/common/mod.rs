//! What every loadgen test file needs: run loadgen, read its `--json`
//! report, and build a workspace server to aim it at. (Each test file uses
//! some of these, so the ones it does not use are allowed to sit idle.)
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

pub const PEERS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/peers");
const WORKSPACE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.toml");

pub fn loadgen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loadgen"))
        .args(args)
        .output()
        .expect("loadgen runs")
}

/// Runs a case with `--json` and returns its report.
pub fn report(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--json", "--quiet"]);
    let out = loadgen(&all);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "loadgen {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

pub fn num(v: &Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("no number {key} in {v}"))
}

pub fn float(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("no number {key} in {v}"))
}

/// The workspace binary `bin` of `package`, next to this test's own
/// binary: built with the same profile and target folder (a no-op when it
/// is up to date). `None` when it cannot be had.
pub fn workspace_bin(package: &str, bin: &str) -> Option<String> {
    // target/debug/deps/TEST-HASH
    let test = std::env::current_exe().ok()?;
    let profile = test.parent()?.parent()?;
    let target: &Path = profile.parent()?;
    let exe = profile.join(bin);
    let mut build = Command::new(env!("CARGO"));
    build.args(["build", "--quiet", "-p", package, "--bin", bin]);
    build.arg("--manifest-path").arg(WORKSPACE);
    build.arg("--target-dir").arg(target);
    if profile.file_name().is_some_and(|n| n == "release") {
        build.arg("--release");
    }
    if !build.status().is_ok_and(|s| s.success()) {
        eprintln!("note: building {bin} failed; using what is there");
    }
    exe.exists().then(|| exe.to_string_lossy().into_owned())
}
