//! Building a stage and running its rungs: cargo, the test binaries, and
//! reading what they print.
//!
//! `cargo test -p PACKAGE --no-run --message-format=json` builds once and
//! names the test binaries; each rung then runs them with the filter
//! `stepK_`, exactly what `cargo test -p PACKAGE stepK_` would run (without
//! the doc tests), but with a time limit and without cargo's start-up each
//! time.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

/// How cargo is invoked: which program, in which workspace, with which
/// target folder (`None`: cargo's own choice, `CARGO_TARGET_DIR` or `target/`).
#[derive(Debug, Clone)]
pub struct Cargo {
    pub program: PathBuf,
    pub root: PathBuf,
    pub target_dir: Option<PathBuf>,
}

impl Cargo {
    pub fn new(root: &Path) -> Cargo {
        Cargo {
            // Under `cargo run`, CARGO names the cargo that started us.
            program: std::env::var_os("CARGO")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("cargo")),
            root: root.to_path_buf(),
            target_dir: None,
        }
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.current_dir(&self.root);
        if let Some(dir) = &self.target_dir {
            cmd.env("CARGO_TARGET_DIR", dir);
        }
        cmd
    }
}

/// One compiler message, shortened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// `crates/01-tcp-single/src/lib.rs:60:9`, or empty.
    pub place: String,
    /// `error[E0425]: cannot find value `conn` in this scope`.
    pub text: String,
}

impl Diagnostic {
    pub fn short(&self) -> String {
        if self.place.is_empty() {
            self.text.clone()
        } else {
            format!("{}: {}", self.place, self.text)
        }
    }
}

/// What a build left: errors, warnings, and the test binaries.
#[derive(Debug, Clone, Default)]
pub struct Build {
    pub ok: bool,
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
    /// Test executables of the package, with the folder to run them in.
    pub tests: Vec<PathBuf>,
    /// What cargo said on stderr, for a failure that is not a compiler
    /// message (a bad manifest, no network for a dependency).
    pub stderr: String,
}

/// Builds `package`'s tests (`cargo test --no-run`), or with `all_targets`
/// every target (`cargo build --all-targets`, which also builds examples and
/// benches, for the self-check's no-warning promise).
pub fn build(cargo: &Cargo, package: &str, all_targets: bool) -> io::Result<Build> {
    let mut cmd = cargo.command();
    if all_targets {
        cmd.args(["build", "--all-targets"]);
    } else {
        cmd.args(["test", "--no-run"]);
    }
    cmd.args(["-p", package, "--message-format=json"]);
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| io::Error::new(e.kind(), format!("cannot run cargo: {e}")))?;
    let mut build = parse_build(&String::from_utf8_lossy(&out.stdout), package);
    build.ok = out.status.success();
    build.stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    Ok(build)
}

/// Reads cargo's JSON lines: compiler messages and test artifacts.
pub fn parse_build(json_lines: &str, package: &str) -> Build {
    let mut build = Build::default();
    let mut seen = std::collections::BTreeSet::new();
    for line in json_lines.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        match v["reason"].as_str() {
            Some("compiler-message") => {
                let m = &v["message"];
                let level = m["level"].as_str().unwrap_or("");
                let code = m["code"]["code"].as_str();
                let text = match code {
                    Some(code) => {
                        format!("{level}[{code}]: {}", m["message"].as_str().unwrap_or(""))
                    }
                    None => format!("{level}: {}", m["message"].as_str().unwrap_or("")),
                };
                let place = m["spans"]
                    .as_array()
                    .and_then(|spans| {
                        spans
                            .iter()
                            .find(|s| s["is_primary"].as_bool() == Some(true))
                            .or_else(|| spans.first())
                    })
                    .map(|s| {
                        format!(
                            "{}:{}:{}",
                            s["file_name"].as_str().unwrap_or("?"),
                            s["line_start"],
                            s["column_start"]
                        )
                    })
                    .unwrap_or_default();
                // The summary lines ("aborting due to ...", "2 warnings
                // emitted") carry no place; they are not messages of their own.
                if place.is_empty() && (text.contains("aborting") || text.contains("emitted")) {
                    continue;
                }
                let d = Diagnostic { place, text };
                // A message repeats for each target that compiles the file.
                if !seen.insert((level.to_string(), d.short())) {
                    continue;
                }
                match level {
                    "error" => build.errors.push(d),
                    "warning" => build.warnings.push(d),
                    _ => {}
                }
            }
            Some("compiler-artifact") => {
                let ours = v["target"]["name"].is_string()
                    && v["package_id"]
                        .as_str()
                        .is_some_and(|id| package_id_names(id, package));
                if ours && v["profile"]["test"].as_bool() == Some(true) {
                    if let Some(exe) = v["executable"].as_str() {
                        build.tests.push(PathBuf::from(exe));
                    }
                }
            }
            _ => {}
        }
    }
    build
}

/// Whether a cargo package id names `package`: `path+file:///x/crates/01-tcp-single#tcp-single@0.1.0`
/// (the `#name@version` form), or the older `tcp-single 0.1.0 (path+...)`.
fn package_id_names(id: &str, package: &str) -> bool {
    if let Some((_, rest)) = id.rsplit_once('#') {
        let name = rest.split('@').next().unwrap_or(rest);
        // `#0.1.0` alone: the name is the folder's, before the `#`.
        if name.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            return id
                .split('#')
                .next()
                .is_some_and(|p| p.ends_with(&format!("/{package}")));
        }
        return name == package;
    }
    id.split_whitespace().next() == Some(package)
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestResult {
    pub name: String,
    pub passed: bool,
    /// What the failed check printed.
    pub output: String,
}

/// What running one filter over every test binary gave.
#[derive(Debug, Clone, Default)]
pub struct RungRun {
    pub results: Vec<TestResult>,
    pub timed_out: bool,
}

/// Runs every test binary with `filters` (substrings of test names), each
/// within `limit`; `dir` is the package folder (cargo runs tests there).
pub fn run_tests(
    tests: &[PathBuf],
    dir: &Path,
    filters: &[String],
    limit: Duration,
) -> io::Result<RungRun> {
    let mut run = RungRun::default();
    for exe in tests {
        let mut cmd = Command::new(exe);
        cmd.args(filters)
            .current_dir(dir)
            .env("RUST_BACKTRACE", "0")
            .env("CARGO_MANIFEST_DIR", dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let child = cmd
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("cannot run {}: {e}", exe.display())))?;
        let (stdout, stderr, timed_out) = wait_with_limit(child, limit)?;
        run.results.extend(parse_test_output(&stdout, &stderr));
        if timed_out {
            run.timed_out = true;
            break;
        }
    }
    Ok(run)
}

/// Waits for `child`, collecting its output; past `limit` kills it and
/// every process it started (a server a check left running).
fn wait_with_limit(mut child: Child, limit: Duration) -> io::Result<(String, String, bool)> {
    let pipe = |p: Option<Box<dyn Read + Send>>| {
        thread::spawn(move || {
            let mut text = Vec::new();
            if let Some(mut p) = p {
                let _ = p.read_to_end(&mut text);
            }
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let out = pipe(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = pipe(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + limit;
    let mut timed_out = false;
    loop {
        if child.try_wait()?.is_some() {
            break;
        }
        if Instant::now() >= deadline {
            timed_out = true;
            kill_tree(child.id());
            let _ = child.kill();
            let _ = child.wait();
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    Ok((stdout, stderr, timed_out))
}

/// Kills the processes `pid` started, and theirs (Linux: read from /proc;
/// elsewhere only the direct child is killed, by the caller).
fn kill_tree(pid: u32) {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    let mut parent_of = BTreeMap::new();
    for entry in entries.flatten() {
        let Ok(p) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (name) state ppid ...`: the name may hold spaces, so read
        // after its closing parenthesis.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|s| s.parse::<u32>().ok());
        if let Some(ppid) = ppid {
            parent_of.insert(p, ppid);
        }
    }
    let mut family = vec![pid];
    let mut k = 0;
    while k < family.len() {
        let p = family[k];
        family.extend(
            parent_of
                .iter()
                .filter(|(_, pp)| **pp == p)
                .map(|(c, _)| *c),
        );
        k += 1;
    }
    let others: Vec<String> = family[1..].iter().map(u32::to_string).collect();
    if !others.is_empty() {
        let _ = Command::new("kill").arg("-KILL").args(&others).status();
    }
}

/// Reads libtest's plain output: `test NAME ... ok|FAILED` lines, and the
/// `---- NAME stdout ----` section of each failure.
pub fn parse_test_output(stdout: &str, stderr: &str) -> Vec<TestResult> {
    let mut results = Vec::new();
    for line in stdout.lines() {
        let Some(rest) = line.strip_prefix("test ") else {
            continue;
        };
        let Some((name, outcome)) = rest.rsplit_once(" ... ") else {
            continue;
        };
        let passed = match outcome.trim() {
            "ok" => true,
            o if o.starts_with("FAILED") => false,
            _ => continue,
        };
        results.push(TestResult {
            name: name.trim().to_string(),
            passed,
            output: String::new(),
        });
    }
    let lines: Vec<&str> = stdout.lines().collect();
    for r in results.iter_mut().filter(|r| !r.passed) {
        let head = format!("---- {} stdout ----", r.name);
        if let Some(at) = lines.iter().position(|l| *l == head) {
            let body: Vec<&str> = lines[at + 1..]
                .iter()
                .take_while(|l| !l.starts_with("---- ") && **l != "failures:")
                .copied()
                .collect();
            r.output = body.join("\n").trim().to_string();
        } else {
            // A test binary that crashed outright prints its story on stderr.
            r.output = stderr.trim().to_string();
        }
    }
    results
}

/// What a failed check's output says, shortened for a student.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// `serve_one (stage 1, rung 1)` when a `todo!()` was reached.
    pub not_written: Option<String>,
    /// The check's own message (its hint), or the panic's.
    pub message: String,
}

pub fn explain(output: &str) -> Failure {
    let not_written = output.lines().find_map(|l| {
        for tag in ["not yet implemented: ", "not written yet: "] {
            if let Some(at) = l.find(tag) {
                let what = l[at + tag.len()..].trim();
                // Quoted in a Debug string: `...rung 1)\"]`.
                let end = what.find(')').map_or(what.len(), |e| e + 1);
                return Some(what[..end].to_string());
            }
        }
        None
    });
    let lines: Vec<&str> = output.lines().collect();
    let is_noise = |l: &str| l.starts_with("thread '") || l.starts_with("note: run with");
    let message = if let Some(at) = lines.iter().position(|l| l.starts_with("Error: ")) {
        let mut kept: Vec<&str> = lines[at..]
            .iter()
            .take_while(|l| !is_noise(l))
            .copied()
            .collect();
        kept[0] = kept[0].trim_start_matches("Error: ");
        kept.join("\n")
    } else if let Some(at) = lines
        .iter()
        .position(|l| l.starts_with("thread '") && l.contains("panicked at"))
    {
        lines[at + 1..]
            .iter()
            .take_while(|l| !is_noise(l))
            .copied()
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        lines
            .iter()
            .take(20)
            .copied()
            .collect::<Vec<_>>()
            .join("\n")
    };
    Failure {
        not_written,
        message: message.trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAILED_RUN: &str = "
running 2 tests
test step1_a ... ok
test step1_b ... FAILED

failures:

---- step1_b stdout ----
Error: serve_one panicked
thread '<unnamed>' panicked at crates/01-tcp-single/src/lib.rs:60:5:
not yet implemented: serve_one (stage 1, rung 1)
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace
thread 'step1_b' panicked at library/test/src/lib.rs:1:1:
the test returned a termination value with a non-zero status code (1) which indicates a failure


failures:
    step1_b

test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s
";

    #[test]
    fn results_and_failure_sections_are_read() {
        let r = parse_test_output(FAILED_RUN, "");
        assert_eq!(r.len(), 2);
        assert!(r[0].passed && !r[1].passed);
        assert!(
            r[1].output.starts_with("Error: serve_one panicked"),
            "{}",
            r[1].output
        );
        let f = explain(&r[1].output);
        assert_eq!(
            f.not_written.as_deref(),
            Some("serve_one (stage 1, rung 1)")
        );
        assert_eq!(f.message, "serve_one panicked");
    }

    #[test]
    fn a_multi_line_check_message_is_kept_whole_and_a_plain_panic_is_read_too() {
        let f = explain(
            "Error: wrong echo\n   got: \"a\"\n  want: \"b\"\nthread 'x' panicked at y:\nthe test returned",
        );
        assert_eq!(f.message, "wrong echo\n   got: \"a\"\n  want: \"b\"");
        assert_eq!(f.not_written, None);
        let f = explain(
            "thread 'step2_x' panicked at t.rs:3:5:\nassertion failed: ok\nnote: run with `RUST_BACKTRACE=1`",
        );
        assert_eq!(f.message, "assertion failed: ok");
        // A binary's error line, quoted inside a check's message.
        let f = explain(
            "Error: exit 101\n  stderr: [\"error: not written yet: main in src/bin/server.rs (stage 1, rung 3)\"]",
        );
        assert_eq!(
            f.not_written.as_deref(),
            Some("main in src/bin/server.rs (stage 1, rung 3)")
        );
    }

    #[test]
    fn compiler_messages_are_shortened_and_test_binaries_found() {
        let json = r#"{"reason":"compiler-message","package_id":"path+file:///w/crates/01-tcp-single#tcp-single@0.1.0","message":{"level":"error","message":"cannot find value `conn` in this scope","code":{"code":"E0425"},"spans":[{"file_name":"crates/01-tcp-single/src/lib.rs","line_start":60,"column_start":9,"is_primary":true}]}}
{"reason":"compiler-message","package_id":"x","message":{"level":"error","message":"aborting due to 1 previous error","code":null,"spans":[]}}
{"reason":"compiler-message","package_id":"x","message":{"level":"warning","message":"unused variable: `x`","code":{"code":"unused_variables"},"spans":[{"file_name":"a.rs","line_start":1,"column_start":2,"is_primary":true}]}}
{"reason":"compiler-artifact","package_id":"path+file:///w/crates/01-tcp-single#tcp-single@0.1.0","target":{"name":"exercise"},"profile":{"test":true},"executable":"/t/debug/deps/exercise-abc"}
{"reason":"compiler-artifact","package_id":"path+file:///w/crates/kit#0.1.0","target":{"name":"kit"},"profile":{"test":true},"executable":"/t/debug/deps/kit-abc"}
{"reason":"build-finished","success":false}"#;
        let b = parse_build(json, "tcp-single");
        assert_eq!(b.errors.len(), 1);
        assert_eq!(
            b.errors[0].short(),
            "crates/01-tcp-single/src/lib.rs:60:9: error[E0425]: cannot find value `conn` in this scope"
        );
        assert_eq!(b.warnings.len(), 1);
        assert_eq!(b.tests, [PathBuf::from("/t/debug/deps/exercise-abc")]);
        assert!(package_id_names("path+file:///w/crates/kit#0.1.0", "kit"));
        assert!(package_id_names(
            "kit 0.1.0 (path+file:///w/crates/kit)",
            "kit"
        ));
        assert!(!package_id_names(
            "path+file:///w/crates/01-tcp-single#tcp-single@0.1.0",
            "kit"
        ));
    }
}
