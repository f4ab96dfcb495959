//! Every sentence the practice tool shows a student, in one place.
//!
//! To translate (issue 16: `--lang zh`, or `LANG=zh*`), give each function a
//! `match` on the language; the callers never build user-facing text
//! themselves. Names of functions, files, commands and tests stay as they are
//! in every language.

/// `practice --help`.
pub const HELP: &str = "\
usage: practice <command> [STAGE] [--yes] [--all]

Exercises for every stage: the stage's own functions become todo!(), and its
checks (cargo test -p PACKAGE stepN) tell you, rung by rung, what to write.
Run it from the repository root: cargo practice <command>
(short for: cargo run -q --bin practice -- <command>).

  list             every stage, its rungs, and which passed at the last check
  start N          turn stage N's functions into the exercise (the reference is kept)
  check [N]        run the rungs in order; stop at the first that fails and say why
  watch [N]        check again every time you save a file (Ctrl-C stops)
  hint [N]         a hint for the first failing check; ask again for a more specific one
  solution N       your version against the reference, as a diff
  reset N          bring the reference back (asks first; --yes does not; --all: every stage)
  self-check       for authors: every exercise builds without warnings and fails its
                   first rung, each rung needs only the functions of the rungs before
                   it, and every reference passes
  -h, --help

N defaults to the stage you started or checked last.

example:
  cargo practice start 1
  cargo practice watch
";

/// The first line of a generated body's `// TODO:` comment.
pub fn todo_line(name: &str, stage: u32, rung: u32) -> String {
    format!("write `{name}` (stage {stage}, rung {rung}), in place of these lines.")
}

/// The `// TODO:` comment's last line.
pub fn todo_lesson(lesson: &str) -> String {
    format!("The lesson explains it: {lesson}")
}

/// The comment above the `#![allow(...)]` that `practice start` adds.
pub fn allow_comment() -> [&'static str; 2] {
    [
        "Added by `practice start`: until you have written the exercise, some imports and",
        "helpers wait unused. `practice reset` takes this line away with the exercise.",
    ]
}

pub fn no_such_stage(n: u32) -> String {
    format!("there is no stage {n}: `cargo practice list` shows the stages")
}

pub fn no_markers(n: u32, dir: &str) -> String {
    format!("stage {n} has no exercise yet: no `// practice: rung N, ...` marker in {dir}/src")
}

pub fn no_stage_given() -> String {
    "which stage? Give its number, as in `cargo practice start 1`".into()
}

pub fn not_a_workspace() -> String {
    "cannot find the repository: run this from the socket-lessons folder (where Cargo.toml and crates/ are)".into()
}

pub fn already_started(n: u32) -> String {
    format!(
        "stage {n} is already started, and your work is kept. To start it over: cargo practice reset {n}, then cargo practice start {n}"
    )
}

pub fn looks_like_an_exercise(file: &str) -> String {
    format!(
        "{file} already holds an exercise (a todo!() that practice writes), but no reference copy is saved: bring the reference back first (git checkout -- {file})"
    )
}

pub fn started(n: u32, package: &str, count: usize) -> String {
    format!(
        "stage {n} ({package}) is now an exercise: {count} {} to write, rung by rung.",
        if count == 1 { "function" } else { "functions" }
    )
}

pub fn site_row(rung: u32, display: &str, place: &str) -> String {
    format!("  rung {rung:<2} {display:<32} {place}")
}

pub fn started_next(n: u32) -> String {
    format!(
        "The reference is kept in .practice/reference/ (cargo practice solution {n} compares it with yours;\n\
         cargo practice reset {n} brings it back).\n\
         Next: cargo practice check (or cargo practice watch, which checks again on every save)."
    )
}

pub fn not_started(n: u32) -> String {
    format!(
        "stage {n} is not started, so its files are the reference: cargo practice start {n} turns them into the exercise"
    )
}

pub fn checking(n: u32, package: &str, first: u32, last: u32) -> String {
    format!("stage {n} ({package}): rungs {first} to {last}")
}

pub fn building() -> String {
    "  building ...".into()
}

pub fn rung_running(rung: u32) -> String {
    format!("  rung {rung:<2} ")
}

pub fn rung_ok(count: usize) -> String {
    format!(
        "ok ({count} {})",
        if count == 1 { "check" } else { "checks" }
    )
}

pub fn rung_failed(name: &str) -> String {
    format!("FAILED {name}")
}

pub fn rung_no_tests() -> String {
    "no check ran (is the filter right?)".into()
}

pub fn rung_timed_out(secs: u64) -> String {
    format!("did not finish within {secs} s, so it was stopped: is there a loop that never ends?")
}

pub fn compile_failed(n: u32, package: &str) -> String {
    format!("stage {n} ({package}) does not compile yet:")
}

pub fn more_errors(count: usize, package: &str) -> String {
    format!(
        "  (and {count} more {}: cargo build -p {package} shows them all)",
        if count == 1 { "error" } else { "errors" }
    )
}

pub fn warnings(count: usize, package: &str) -> String {
    format!(
        "  {count} {} (cargo build -p {package} shows {})",
        if count == 1 { "warning" } else { "warnings" },
        if count == 1 { "it" } else { "them" }
    )
}

pub fn first_warning(text: &str) -> String {
    format!("  first: {text}")
}

pub fn rung_fails(rung: u32, name: &str) -> String {
    format!("rung {rung} fails: {name}")
}

pub fn not_written_yet(what: &str) -> String {
    format!("not written yet: {what}")
}

pub fn write_it(display: &str, place: &str) -> String {
    format!("write it:  {display} in {place}")
}

pub fn lesson(section: &str) -> String {
    format!("lesson:    {section}")
}

pub fn hint_available(n: u32, count: usize) -> String {
    match count {
        0 => format!("then:      cargo practice check {n} again (or cargo practice watch)"),
        1 => format!("stuck?     cargo practice hint {n} (1 hint for this check)"),
        _ => format!("stuck?     cargo practice hint {n} ({count} hints for this check)"),
    }
}

pub fn all_pass(n: u32, package: &str, rungs: usize) -> String {
    format!(
        "stage {n} ({package}): all {rungs} rungs pass. Well done!\n\
         Compare with the reference: cargo practice solution {n}"
    )
}

pub fn all_pass_not_started(n: u32, package: &str, rungs: usize) -> String {
    format!(
        "stage {n} ({package}): all {rungs} rungs pass (this is the reference: cargo practice start {n} to practise it)"
    )
}

pub fn no_checks(n: u32, dir: &str) -> String {
    format!("stage {n} has no checks: no test named stepN_... in {dir}/tests")
}

pub fn watching(dir: &str) -> String {
    format!("watching {dir} (save a file to check again; Ctrl-C stops)")
}

pub fn changed(file: &str) -> String {
    format!("\n{file} changed:")
}

pub fn hint_header(n: u32, rung: u32, check: &str, k: usize, total: usize) -> String {
    format!("stage {n}, rung {rung}, {check}: hint {k} of {total}")
}

pub fn hint_more() -> String {
    "(ask again for a more specific one)".into()
}

pub fn hint_last(n: u32) -> String {
    format!("That was the last hint for this check. The reference: cargo practice solution {n}")
}

pub fn no_hints(n: u32, check: &str, lesson: &str) -> String {
    format!(
        "{check} has no written hints: its own message says what is wrong, and {lesson} explains it.\n\
         The reference: cargo practice solution {n}"
    )
}

pub fn hint_needs_a_failure(n: u32) -> String {
    format!("every rung of stage {n} passes: no hint needed")
}

pub fn hint_from_last_check() -> String {
    "(from the last check; after a change, run cargo practice check first)".into()
}

pub fn solution_header(n: u32) -> String {
    format!("stage {n}: your version (-) against the reference (+)")
}

pub fn solution_same(file: &str) -> String {
    format!("{file}: the same as the reference")
}

pub fn yours(file: &str) -> String {
    format!("{file} (yours)")
}

pub fn reference(file: &str) -> String {
    format!("{file} (reference)")
}

pub fn reset_ask(n: u32, files: usize) -> String {
    format!(
        "Reset stage {n}? The reference comes back in {files} {}; your version is kept in .practice/attempt/. [y/N] ",
        if files == 1 { "file" } else { "files" }
    )
}

pub fn reset_needs_yes() -> String {
    "not reset: nobody answered (use --yes to reset without asking)".into()
}

pub fn reset_declined() -> String {
    "not reset".into()
}

pub fn reset_done(n: u32, dir: &str) -> String {
    format!("stage {n} is the reference again; your version is in .practice/attempt/{dir}/")
}

pub fn reset_nothing() -> String {
    "no stage is started: nothing to reset".into()
}

pub fn yes_word(answer: &str) -> bool {
    matches!(answer.trim().to_lowercase().as_str(), "y" | "yes")
}

pub fn unknown_command(cmd: &str) -> String {
    format!("unknown command '{cmd}'")
}

pub fn unexpected_argument(word: &str) -> String {
    format!("unexpected argument '{word}'")
}

pub fn no_command() -> String {
    "what should practice do? For example: cargo practice start 1".into()
}

pub fn not_a_number(word: &str) -> String {
    format!("'{word}' is not a stage number")
}

pub fn self_check_stage(n: u32, package: &str) -> String {
    format!("== stage {n} ({package})")
}

pub fn self_check_step(what: &str) -> String {
    format!("   {what}")
}

pub fn self_check_done(stages: usize, secs: f64) -> String {
    format!(
        "self-check: {stages} {} checked in {secs:.1} s",
        if stages == 1 { "stage" } else { "stages" }
    )
}

pub fn self_check_failed(problems: usize) -> String {
    format!(
        "self-check failed: {problems} {}",
        if problems == 1 { "problem" } else { "problems" }
    )
}

pub fn list_header() -> String {
    format!(
        "{:<6} {:<15} {:<12} {}",
        "stage", "package", "exercise", "rungs (at the last check)"
    )
}

pub fn list_row(n: u32, package: &str, state: &str, rungs: &str) -> String {
    format!("{n:>4}   {package:<15} {state:<12} {rungs}")
}

pub fn state_started() -> &'static str {
    "started"
}

pub fn state_ready() -> &'static str {
    "ready"
}

pub fn state_unmarked() -> &'static str {
    "not yet"
}

pub fn rung_count(count: usize) -> String {
    format!("{count} {}", if count == 1 { "rung" } else { "rungs" })
}

pub fn outcome_ok() -> &'static str {
    "ok"
}

pub fn outcome_failed() -> &'static str {
    "FAILED"
}

pub fn not_run() -> &'static str {
    "not run"
}

pub fn list_footer() -> String {
    "Start one: cargo practice start N".into()
}
