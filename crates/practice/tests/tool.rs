//! The practice tool on a small workspace in a temporary folder: start,
//! start again, solution, reset, list, hint, with no cargo run.

use std::fs;
use std::path::{Path, PathBuf};

use practice::commands;
use practice::exercise;
use practice::progress::{Outcome, Progress};
use practice::run::Cargo;
use practice::workspace::Workspace;

/// A throwaway folder, removed when dropped.
struct Temp(PathBuf);

impl Temp {
    fn new(name: &str) -> Temp {
        let dir = std::env::temp_dir().join(format!("practice-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("temp dir");
        Temp(dir)
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

const LIB: &str = r#"//! A demo stage.

use std::io::{self, Read, Write};
use std::net::TcpStream;

/// Not an exercise: stays as it is.
pub fn helper() -> &'static str {
    "}"
}

// practice: rung 1, lessons/01-demo.md#the-rust
// ANCHOR: echo
/// Echoes one read back. More words.
pub fn echo(stream: &mut TcpStream, mut buf: Vec<u8>) -> io::Result<usize> {
    let n = stream.read(&mut buf)?; // a } in a comment
    stream.write_all(&buf[..n])?;
    Ok(n)
}
// ANCHOR_END: echo

// practice: rung 2, lessons/01-demo.md#more
/// Says '{' politely.
pub fn brace() -> char {
    '{'
}
"#;

const BIN: &str = r#"//! The demo server.

use std::process::ExitCode;

const HELP: &str = "usage: demo";

// practice: rung 2, lessons/01-demo.md#the-server
fn main() -> ExitCode {
    println!("{HELP}");
    ExitCode::SUCCESS
}
"#;

const CHECKS: &str = r#"/// hint: read once with `stream.read`.
/// hint: then `write_all` the bytes you read,
/// and only those.
#[test]
fn step1_echo_echoes() {}

/// lesson: lessons/01-demo.md#more
#[test]
fn step2_brace_is_a_brace() {}
"#;

fn demo_workspace(root: &Path) {
    let files = [
        ("Cargo.toml", "[workspace]\nmembers = [\"crates/*\"]\n"),
        ("crates/01-demo/Cargo.toml", "[package]\nname = \"demo\"\n"),
        ("crates/01-demo/src/lib.rs", LIB),
        ("crates/01-demo/src/bin/server.rs", BIN),
        ("crates/01-demo/tests/checks.rs", CHECKS),
        (
            "crates/02-other/Cargo.toml",
            "[package]\nname = \"other\"\n",
        ),
        ("crates/02-other/src/lib.rs", "pub fn x() {}\n"),
        ("crates/02-other/tests/t.rs", "#[test]\nfn step1_x() {}\n"),
        ("lessons/01-demo.md", "# Demo\n"),
    ];
    for (path, text) in files {
        let path = root.join(path);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, text).expect("write");
    }
}

fn text(out: Vec<u8>) -> String {
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn start_then_reset_gives_back_every_byte_and_start_twice_loses_nothing() {
    let tmp = Temp::new("roundtrip");
    demo_workspace(&tmp.0);
    let ws = Workspace::new(&tmp.0);
    let lib = tmp.0.join("crates/01-demo/src/lib.rs");
    let bin = tmp.0.join("crates/01-demo/src/bin/server.rs");

    let mut out = Vec::new();
    commands::start(&ws, 1, &mut out).expect("start");
    let said = text(out);
    assert!(said.contains("3 functions to write"), "{said}");
    assert!(said.contains("main in src/bin/server.rs"), "{said}");

    let ex = fs::read_to_string(&lib).expect("read");
    assert!(ex.contains("todo!(\"echo (stage 1, rung 1)\")"), "{ex}");
    assert!(
        ex.contains("// TODO: write `echo` (stage 1, rung 1)"),
        "{ex}"
    );
    assert!(
        ex.contains("Echoes one read back."),
        "the doc's first sentence says what to write"
    );
    assert!(ex.contains("lessons/01-demo.md#the-rust"), "{ex}");
    assert!(ex.contains("let _ = (stream, &mut buf);"), "{ex}");
    assert!(ex.contains("todo!(\"brace (stage 1, rung 2)\")"), "{ex}");
    assert!(ex.contains("\"}\""), "what is not marked stays");
    assert!(
        ex.contains("// practice: rung 1,"),
        "markers stay, so the sites can be found again"
    );
    assert!(ex.contains("// ANCHOR_END: echo"));
    assert!(
        !ex.contains("stream.write_all"),
        "the reference body is gone"
    );
    assert!(
        ex.starts_with("//! A demo stage.\n\n// Added by `practice start`"),
        "{ex}"
    );
    assert!(
        ex.contains("#![allow(unused_imports, dead_code)]\n"),
        "{ex}"
    );
    let bin_ex = fs::read_to_string(&bin).expect("read");
    assert!(
        bin_ex.contains("todo!(\"main in src/bin/server.rs (stage 1, rung 2)\")"),
        "{bin_ex}"
    );
    assert!(
        !bin_ex.contains("let _ ="),
        "no parameters, nothing to use: {bin_ex}"
    );
    assert!(ws.reference_copy("crates/01-demo/src/lib.rs").is_file());

    // The student writes something; start again changes nothing.
    let work = ex.replace("todo!(\"brace (stage 1, rung 2)\")", "'['");
    fs::write(&lib, &work).expect("write");
    let mut out = Vec::new();
    commands::start(&ws, 1, &mut out).expect("start again");
    assert!(text(out).contains("already started"));
    assert_eq!(
        fs::read_to_string(&lib).expect("read"),
        work,
        "start twice keeps the work"
    );
    assert_eq!(
        fs::read_to_string(ws.reference_copy("crates/01-demo/src/lib.rs")).expect("read"),
        LIB,
        "start twice keeps the reference"
    );

    // The solution: the student's version against the reference.
    let mut out = Vec::new();
    commands::solution(&ws, 1, &mut out).expect("solution");
    let d = text(out);
    assert!(d.contains("--- crates/01-demo/src/lib.rs (yours)"), "{d}");
    assert!(
        d.contains("+++ crates/01-demo/src/lib.rs (reference)"),
        "{d}"
    );
    assert!(d.contains("-    '['\n"), "{d}");
    assert!(d.contains("+    stream.write_all(&buf[..n])?;\n"), "{d}");

    let mut out = Vec::new();
    commands::reset(&ws, 1, &mut out).expect("reset");
    assert_eq!(fs::read(&lib).expect("read"), LIB.as_bytes());
    assert_eq!(fs::read(&bin).expect("read"), BIN.as_bytes());
    assert_eq!(
        fs::read_to_string(ws.attempt_copy("crates/01-demo/src/lib.rs")).expect("read"),
        work,
        "reset keeps the student's version"
    );
    assert!(!ws.started(&ws.stage(1).expect("stage")));

    // Reset again, or the solution of a stage not started: nothing to do.
    let mut out = Vec::new();
    commands::reset(&ws, 1, &mut out).expect("reset again");
    assert!(text(out).contains("not started"));
    assert_eq!(fs::read(&lib).expect("read"), LIB.as_bytes());
}

#[test]
fn a_stage_without_markers_cannot_be_started_and_a_half_exercise_is_refused() {
    let tmp = Temp::new("refuse");
    demo_workspace(&tmp.0);
    let ws = Workspace::new(&tmp.0);
    let err = commands::start(&ws, 2, &mut Vec::new()).expect_err("no markers");
    assert!(err.to_string().contains("no exercise yet"), "{err}");
    let err = commands::start(&ws, 9, &mut Vec::new()).expect_err("no stage 9");
    assert!(err.to_string().contains("no stage 9"), "{err}");

    // An exercise whose reference copy was lost: start would save it as the
    // reference, so it refuses.
    let lib = tmp.0.join("crates/01-demo/src/lib.rs");
    let sites =
        exercise::sites_in("crates/01-demo/src/lib.rs", "crates/01-demo", LIB).expect("sites");
    fs::write(&lib, exercise::make_exercise(LIB, &sites, 1, |_| true)).expect("write");
    let err = commands::start(&ws, 1, &mut Vec::new()).expect_err("refused");
    assert!(err.to_string().contains("git checkout"), "{err}");
}

#[test]
fn a_marker_away_from_its_function_is_an_error_that_names_the_line() {
    let src = "// practice: rung 1, lessons/01-demo.md#x\nconst A: u8 = 1;\nfn f() {}\n";
    let err = exercise::sites_in("a.rs", "", src).expect_err("drifted marker");
    assert!(err.starts_with("a.rs:1: "), "{err}");
    let err = exercise::sites_in("a.rs", "", "// practice: rung x, lessons/a.md\nfn f() {}\n")
        .expect_err("bad rung");
    assert!(err.contains("not a rung number"), "{err}");
    let err =
        exercise::sites_in("a.rs", "", "// practice: rung 1\nfn f() {}\n").expect_err("no lesson");
    assert!(err.contains("lessons/PAGE.md#SECTION"), "{err}");
    // In a string, a marker is just text.
    let sites = exercise::sites_in(
        "a.rs",
        "",
        "const S: &str = \"\n// practice: rung 1, lessons/a.md\n\";\n",
    )
    .expect("no marker");
    assert!(sites.is_empty());
}

#[test]
fn list_shows_every_stage_and_the_last_results() {
    let tmp = Temp::new("list");
    demo_workspace(&tmp.0);
    let ws = Workspace::new(&tmp.0);
    let mut progress = Progress::default();
    progress.record(
        1,
        &[(1, Outcome::Pass), (2, Outcome::Fail)],
        Some("step2_brace_is_a_brace".into()),
    );
    progress.save(&ws).expect("save");
    let mut out = Vec::new();
    commands::list(&ws, &mut out).expect("list");
    let said = text(out);
    let row1 = said
        .lines()
        .find(|l| l.contains("demo"))
        .expect("stage 1 row");
    assert!(
        row1.contains("ready") && row1.contains("1 ok, 2 FAILED"),
        "{said}"
    );
    let row2 = said
        .lines()
        .find(|l| l.contains("other"))
        .expect("stage 2 row");
    assert!(
        row2.contains("not yet") && row2.contains("1 rung"),
        "{said}"
    );
}

#[test]
fn hints_come_one_more_specific_at_a_time_from_the_last_check() {
    let tmp = Temp::new("hint");
    demo_workspace(&tmp.0);
    let ws = Workspace::new(&tmp.0);
    let mut progress = Progress::default();
    progress.record(1, &[(1, Outcome::Fail)], Some("step1_echo_echoes".into()));
    progress.save(&ws).expect("save");
    // Never used: the failing check is known, so hint runs no cargo.
    let cargo = Cargo::new(&tmp.0);
    let mut said = Vec::new();
    for _ in 0..3 {
        let mut out = Vec::new();
        commands::hint(&ws, 1, &cargo, &mut out).expect("hint");
        said.push(text(out));
    }
    assert!(
        said[0].contains("hint 1 of 2") && said[0].contains("read once"),
        "{}",
        said[0]
    );
    assert!(said[0].contains("ask again"), "{}", said[0]);
    assert!(
        said[1].contains("hint 2 of 2") && said[1].contains("the bytes you read, and only those"),
        "{}",
        said[1]
    );
    assert!(said[1].contains("last hint"), "{}", said[1]);
    assert!(
        said[2].contains("hint 2 of 2"),
        "past the last, the last again: {}",
        said[2]
    );
    assert_eq!(Progress::load(&ws).stages[&1].hints["step1_echo_echoes"], 3);

    // A check with no hints written points at its lesson section.
    let mut progress = Progress::load(&ws);
    progress.record(
        1,
        &[(1, Outcome::Pass), (2, Outcome::Fail)],
        Some("step2_brace_is_a_brace".into()),
    );
    progress.save(&ws).expect("save");
    let mut out = Vec::new();
    commands::hint(&ws, 1, &cargo, &mut out).expect("hint");
    let said = text(out);
    assert!(
        said.contains("no written hints") && said.contains("lessons/01-demo.md#more"),
        "{said}"
    );
}

#[test]
fn a_marker_may_stand_above_a_doc_comment_an_anchor_and_attributes() {
    let src = "// practice: rung 3, lessons/01-demo.md#x\n/// Does it.\n// ANCHOR: main\n#[inline]\npub(crate) fn main() {\n    body();\n}\n";
    let sites = exercise::sites_in("crates/01-demo/src/bin/server.rs", "crates/01-demo", src)
        .expect("a site");
    assert_eq!(sites.len(), 1);
    assert_eq!(sites[0].display, "main in src/bin/server.rs");
    assert_eq!(sites[0].summary.as_deref(), Some("Does it."));
    assert_eq!(sites[0].line, 5);
}
