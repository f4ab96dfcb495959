//! `practice self-check`: what rustlings' `dev check` does for its exercises,
//! for every stage that has markers, in a scratch copy of the workspace:
//!
//! - the exercise (every marked body a `todo!()`) builds with no warning,
//!   and its first rung fails at a `todo!()`;
//! - the ladder holds: with the functions of rungs up to K written (the
//!   reference's) and the later ones still `todo!()`, rungs K up to the next
//!   marked rung pass, and that next rung fails: each rung needs only the
//!   functions of the rungs before it, and tests the one it adds;
//! - the reference passes every rung, and `practice reset` gives it back
//!   byte for byte.
//!
//! The scratch copy and its target folder stay between runs (only changed
//! files are copied again), so a second run rebuilds only what changed.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::checks;
use crate::commands::{self, RUNG_LIMIT};
use crate::exercise;
use crate::messages as m;
use crate::run::{self, Cargo};
use crate::workspace::{self, STATE_DIR, Workspace};

/// Folders never copied into the scratch workspace.
const SKIP: &[&str] = &[".git", "target", STATE_DIR, "lessons/book"];

/// Runs the self-check for `only` (every marked stage when empty), using
/// `base` for the scratch workspace and its target folder. Returns the
/// problems found (empty: all is well).
pub fn self_check(
    ws: &Workspace,
    base: &Path,
    only: &[u32],
    out: &mut dyn Write,
) -> io::Result<Vec<String>> {
    let began = Instant::now();
    let scratch = Workspace::new(base.join("ws"));
    sync(ws, &scratch.root, base)?;
    let mut cargo = Cargo::new(&scratch.root);
    cargo.target_dir = Some(base.join("target"));
    let mut problems = Vec::new();
    let mut checked = 0;
    for stage in scratch.stages()? {
        if !only.is_empty() && !only.contains(&stage.number) {
            continue;
        }
        let sites = scratch.sites(&stage)?;
        if sites.is_empty() {
            continue;
        }
        checked += 1;
        let t = Instant::now();
        writeln!(out, "{}", m::self_check_stage(stage.number, &stage.package))?;
        let found = check_stage(&scratch, &stage, &cargo, out)?;
        for p in &found {
            writeln!(out, "   PROBLEM: {p}")?;
        }
        writeln!(out, "   ({:.1} s)", t.elapsed().as_secs_f64())?;
        problems.extend(
            found
                .into_iter()
                .map(|p| format!("stage {}: {p}", stage.number)),
        );
    }
    writeln!(
        out,
        "{}",
        m::self_check_done(checked, began.elapsed().as_secs_f64())
    )?;
    Ok(problems)
}

fn check_stage(
    ws: &Workspace,
    stage: &workspace::Stage,
    cargo: &Cargo,
    out: &mut dyn Write,
) -> io::Result<Vec<String>> {
    let n = stage.number;
    let mut problems = Vec::new();
    let all_checks = ws.checks(stage)?;
    let rungs = checks::rungs(&all_checks);
    let reference: Vec<(String, String)> = ws
        .source_files(stage)?
        .into_iter()
        .map(|f| fs::read_to_string(ws.path(&f)).map(|t| (f, t)))
        .collect::<io::Result<_>>()?;
    let sites = ws.sites(stage)?;
    let marked: Vec<u32> = sites
        .iter()
        .map(|s| s.rung)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    for r in &marked {
        if !rungs.contains(r) {
            problems.push(format!(
                "a marker names rung {r}, but no check is named step{r}_..."
            ));
        }
    }
    if rungs.first() != marked.first() {
        problems.push(format!(
            "rung {} has no marked function, so the exercise cannot fail it: the first rung must be a function to write",
            rungs.first().copied().unwrap_or(0)
        ));
    }
    for site in &sites {
        if let Err(why) = lesson_exists(ws, &site.lesson) {
            problems.push(format!("{}:{}: {why}", site.file, site.line));
        }
    }
    if !problems.is_empty() {
        return Ok(problems);
    }

    // State 0: the exercise as `practice start` makes it.
    commands::start(ws, n, &mut io::sink())?;
    let dir = ws.path(&stage.dir);
    // Each state: the functions of rungs up to `k` written, the rest todo!().
    let states: Vec<u32> = std::iter::once(0).chain(marked.iter().copied()).collect();
    for (i, &k) in states.iter().enumerate() {
        let next = states.get(i + 1).copied();
        if k > 0 {
            for (file, text) in &reference {
                let file_sites: Vec<_> =
                    sites.iter().filter(|s| &s.file == file).cloned().collect();
                let text = exercise::make_exercise(text, &file_sites, n, |s| s.rung > k);
                workspace::write(&ws.path(file), text.as_bytes())?;
            }
        }
        let label = if k == 0 {
            "exercise".to_string()
        } else if next.is_none() {
            "reference".to_string()
        } else {
            format!("written up to rung {k}")
        };
        let build = run::build(cargo, &stage.package, true)?;
        if !build.ok {
            let why = build
                .errors
                .first()
                .map(|e| e.short())
                .unwrap_or_else(|| build.stderr.lines().last().unwrap_or("").to_string());
            problems.push(format!("{label}: does not build: {why}"));
            continue;
        }
        for w in &build.warnings {
            problems.push(format!("{label}: warning: {}", w.short()));
        }
        // `cargo build --all-targets` names no test binaries; the test build
        // is the same artifacts, so this is quick.
        let tests = run::build(cargo, &stage.package, false)?.tests;
        let must_pass: Vec<u32> = match next {
            // The reference passes every rung.
            None => rungs.clone(),
            Some(next) => rungs
                .iter()
                .copied()
                .filter(|&r| r >= k && r < next)
                .collect(),
        };
        let must_fail = next;
        let filters: Vec<String> = must_pass
            .iter()
            .chain(must_fail.iter())
            .map(|r| format!("step{r}_"))
            .collect();
        let ran = run::run_tests(&tests, &dir, &filters, RUNG_LIMIT)?;
        if ran.timed_out {
            problems.push(format!(
                "{label}: the checks did not finish within {} s",
                RUNG_LIMIT.as_secs()
            ));
            continue;
        }
        let mut said = vec![
            if build.warnings.is_empty() {
                "builds with no warning"
            } else {
                "builds"
            }
            .to_string(),
        ];
        for &r in &must_pass {
            let of_rung: Vec<_> = ran
                .results
                .iter()
                .filter(|t| checks::rung_of(&t.name) == Some(r))
                .collect();
            if of_rung.is_empty() {
                problems.push(format!("{label}: rung {r} ran no check"));
            }
            for t in of_rung.iter().filter(|t| !t.passed) {
                let why = run::explain(&t.output);
                let why = why
                    .not_written
                    .map(|w| m::not_written_yet(&w))
                    .unwrap_or(why.message);
                problems.push(format!(
                    "{label}: rung {r} should pass, but {} fails: {}",
                    t.name,
                    why.lines().next().unwrap_or("")
                ));
            }
        }
        match must_pass[..] {
            [] => {}
            [r] => said.push(format!("rung {r} passes")),
            _ => said.push(format!("rungs {} pass", span(&must_pass))),
        }
        if let Some(r) = must_fail {
            // The first failure in the order the checks are written, as
            // `practice check` reports it.
            let failed = all_checks
                .iter()
                .filter(|c| c.rung == r)
                .find_map(|c| ran.results.iter().find(|t| t.name == c.name && !t.passed));
            match failed {
                None => problems.push(format!(
                    "{label}: rung {r} passes although its functions are still todo!(): does a check of rung {r} call them?"
                )),
                Some(t) => match run::explain(&t.output).not_written {
                    Some(what) => said.push(format!("rung {r} fails: {}", m::not_written_yet(&what))),
                    // `practice check` still names the function (the first
                    // one still todo!()), but `cargo test` alone does not.
                    None => said.push(format!(
                        "rung {r} fails ({}; its output does not show the todo!() reached)",
                        t.name
                    )),
                },
            }
        }
        writeln!(
            out,
            "{}",
            m::self_check_step(&format!("{label}: {}", said.join("; ")))
        )?;
    }
    // Back to the reference through `practice reset`, byte for byte.
    commands::reset(ws, n, &mut io::sink())?;
    for (file, text) in &reference {
        if fs::read(ws.path(file))? != text.as_bytes() {
            problems.push(format!(
                "{file}: practice reset did not give back the reference byte for byte"
            ));
        }
    }
    Ok(problems)
}

/// Whether `lessons/PAGE.md#section` names a page and one of its headings
/// (ids as mdBook makes them: lower case, spaces to `-`, other punctuation
/// dropped), so a TODO never sends a student to a section renamed since.
fn lesson_exists(ws: &Workspace, lesson: &str) -> Result<(), String> {
    let (page, section) = lesson.split_once('#').unwrap_or((lesson, ""));
    let text = fs::read_to_string(ws.path(page))
        .map_err(|_| format!("the marker's lesson page {page} does not exist"))?;
    if section.is_empty() {
        return Ok(());
    }
    let mut in_code = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        }
        if in_code || !line.starts_with('#') {
            continue;
        }
        let id: String = line
            .trim_start_matches('#')
            .trim()
            .chars()
            .filter_map(|c| match c {
                c if c.is_alphanumeric() || c == '-' || c == '_' => {
                    Some(c.to_lowercase().to_string())
                }
                c if c.is_whitespace() => Some("-".into()),
                _ => None,
            })
            .collect();
        if id == section {
            return Ok(());
        }
    }
    Err(format!(
        "{page} has no heading with the id `{section}` (the marker's lesson section)"
    ))
}

/// `3`, or `3-5`, for a sorted list of rungs.
fn span(rungs: &[u32]) -> String {
    match (rungs.first(), rungs.last()) {
        (Some(a), Some(b)) if a != b => format!("{a}-{b}"),
        (Some(a), _) => a.to_string(),
        _ => String::new(),
    }
}

/// Makes `to` a copy of the workspace (without its build output, git and
/// practice state), copying only files that differ so cargo's freshness
/// checks stay valid; a started stage is copied as its saved reference.
fn sync(ws: &Workspace, to: &Path, base: &Path) -> io::Result<()> {
    let mut wanted = BTreeSet::new();
    let saved = ws.state().join("reference");
    copy_tree(&ws.root, &ws.root, to, base, &saved, &mut wanted)?;
    // Files gone from the workspace go from the copy too.
    let mut present = Vec::new();
    list_tree(to, to, &mut present)?;
    for rel in present {
        if !wanted.contains(&rel) {
            let _ = fs::remove_file(to.join(&rel));
        }
    }
    let _ = fs::remove_dir_all(to.join(STATE_DIR));
    Ok(())
}

fn skipped(rel: &Path) -> bool {
    SKIP.iter().any(|s| rel == Path::new(s))
}

fn copy_tree(
    root: &Path,
    dir: &Path,
    to: &Path,
    base: &Path,
    saved: &Path,
    wanted: &mut BTreeSet<PathBuf>,
) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let rel = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
        // The self-check's own folder may be inside the workspace (in
        // `target/`, or a CARGO_TARGET_DIR there): never copy it into itself.
        if skipped(&rel) || base.starts_with(&path) {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_tree(root, &path, to, base, saved, wanted)?;
        } else if kind.is_file() {
            let dest = to.join(&rel);
            // A started stage is copied as its saved reference, not as the
            // student's exercise.
            let bytes = match fs::read(saved.join(&rel)) {
                Ok(reference) => reference,
                Err(_) => fs::read(&path)?,
            };
            if fs::read(&dest).ok().as_deref() != Some(&bytes[..]) {
                workspace::write(&dest, &bytes)?;
            }
            wanted.insert(rel);
        }
    }
    Ok(())
}

fn list_tree(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries {
        let path = entry?.path();
        let rel = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
        if skipped(&rel) {
            continue;
        }
        if path.is_dir() {
            list_tree(root, &path, out)?;
        } else {
            out.push(rel);
        }
    }
    Ok(())
}
