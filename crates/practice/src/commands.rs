//! The commands, each writing what it has to say to `out`.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use crate::checks::{self, CheckFn};
use crate::diff;
use crate::exercise::{self, Site};
use crate::messages as m;
use crate::progress::{Outcome, Progress};
use crate::run::{self, Cargo, Failure};
use crate::workspace::{self, Stage, Workspace};

/// How long one rung may run before it is stopped. Every check has its own
/// deadlines of a few seconds; this only catches a loop in the student's
/// code that a check calls directly.
pub const RUNG_LIMIT: Duration = Duration::from_secs(90);

fn invalid(text: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, text)
}

/// `practice start N`.
pub fn start(ws: &Workspace, n: u32, out: &mut dyn Write) -> io::Result<()> {
    let stage = ws.stage(n)?;
    if ws.started(&stage) {
        writeln!(out, "{}", m::already_started(n))?;
        return Ok(());
    }
    let mut plan = Vec::new();
    for file in ws.source_files(&stage)? {
        let src = fs::read_to_string(ws.path(&file))?;
        let sites = exercise::sites_in(&file, &stage.dir, &src).map_err(invalid)?;
        if sites.is_empty() {
            continue;
        }
        if sites.iter().any(|s| exercise::is_exercise(&src, s, n)) {
            return Err(invalid(m::looks_like_an_exercise(&file)));
        }
        let exercise = exercise::make_exercise(&src, &sites, n, |_| true);
        plan.push((file, src, exercise));
    }
    if plan.is_empty() {
        return Err(invalid(m::no_markers(n, &stage.dir)));
    }
    // Every reference copy is saved before any file changes: stopped half
    // way, the tool leaves the reference saved, never lost.
    for (file, src, _) in &plan {
        workspace::write(&ws.reference_copy(file), src.as_bytes())?;
    }
    for (file, _, exercise) in &plan {
        workspace::write(&ws.path(file), exercise.as_bytes())?;
    }
    let mut progress = Progress::load(ws);
    progress.current = Some(n);
    progress.stages.remove(&n);
    progress.save(ws)?;

    let sites = ws.sites(&stage)?;
    writeln!(out, "{}", m::started(n, &stage.package, sites.len()))?;
    for site in &sites {
        writeln!(
            out,
            "{}",
            m::site_row(
                site.rung,
                &site.display,
                &format!("{}:{}", site.file, site.line)
            )
        )?;
    }
    writeln!(out, "{}", m::started_next(n))?;
    Ok(())
}

/// `practice reset N`: the saved reference back in place, the student's
/// version kept in `.practice/attempt/`. Asking first is the caller's job.
pub fn reset(ws: &Workspace, n: u32, out: &mut dyn Write) -> io::Result<()> {
    let stage = ws.stage(n)?;
    if !ws.started(&stage) {
        writeln!(out, "{}", m::not_started(n))?;
        return Ok(());
    }
    for file in ws.saved_files(&stage)? {
        let here = ws.path(&file);
        if let Ok(yours) = fs::read(&here) {
            workspace::write(&ws.attempt_copy(&file), &yours)?;
        }
        let reference = fs::read(ws.reference_copy(&file))?;
        workspace::write(&here, &reference)?;
    }
    fs::remove_dir_all(ws.state().join("reference").join(&stage.dir))?;
    let mut progress = Progress::load(ws);
    progress.stages.remove(&n);
    progress.save(ws)?;
    writeln!(out, "{}", m::reset_done(n, &stage.dir))?;
    Ok(())
}

/// The stages that are started, for `reset --all`.
pub fn started_stages(ws: &Workspace) -> io::Result<Vec<u32>> {
    Ok(ws
        .stages()?
        .into_iter()
        .filter(|s| ws.started(s))
        .map(|s| s.number)
        .collect())
}

/// `practice solution N`.
pub fn solution(ws: &Workspace, n: u32, out: &mut dyn Write) -> io::Result<()> {
    let stage = ws.stage(n)?;
    if !ws.started(&stage) {
        writeln!(out, "{}", m::not_started(n))?;
        return Ok(());
    }
    writeln!(out, "{}", m::solution_header(n))?;
    for file in ws.saved_files(&stage)? {
        let reference = fs::read_to_string(ws.reference_copy(&file))?;
        let yours = fs::read_to_string(ws.path(&file)).unwrap_or_default();
        let d = diff::unified(&m::yours(&file), &yours, &m::reference(&file), &reference);
        if d.is_empty() {
            writeln!(out, "{}", m::solution_same(&file))?;
        } else {
            write!(out, "{d}")?;
        }
    }
    Ok(())
}

/// Where a stage's lesson explains rung `rung`: the check's own `lesson:`
/// line, else the marker of a function written on that rung (or the last
/// rung before it), else the stage's lesson page.
fn lesson_for(stage: &Stage, sites: &[Site], check: Option<&CheckFn>, rung: u32) -> String {
    if let Some(lesson) = check.and_then(|c| c.lesson.clone()) {
        return lesson;
    }
    sites
        .iter()
        .filter(|s| s.rung <= rung)
        .max_by_key(|s| s.rung)
        .map(|s| s.lesson.clone())
        .or_else(|| stage.lesson.clone())
        .unwrap_or_default()
}

/// What one check run found.
#[derive(Debug, Clone, Default)]
pub struct CheckRun {
    pub compiled: bool,
    pub rungs: Vec<(u32, Outcome)>,
    /// The first failing check and what it said.
    pub failing: Option<(CheckFn, Failure)>,
    pub timed_out: bool,
}

impl CheckRun {
    pub fn all_pass(&self) -> bool {
        self.compiled && self.failing.is_none() && !self.timed_out
    }
}

/// `practice check N`: build, then the rungs in order until one fails.
pub fn check(ws: &Workspace, n: u32, cargo: &Cargo, out: &mut dyn Write) -> io::Result<CheckRun> {
    let stage = ws.stage(n)?;
    let all_checks = ws.checks(&stage)?;
    let rungs = checks::rungs(&all_checks);
    let (Some(&first), Some(&last)) = (rungs.first(), rungs.last()) else {
        return Err(invalid(m::no_checks(n, &stage.dir)));
    };
    let sites = ws.sites(&stage)?;
    writeln!(out, "{}", m::checking(n, &stage.package, first, last))?;
    writeln!(out, "{}", m::building())?;
    out.flush()?;
    let build = run::build(cargo, &stage.package, false)?;
    let mut result = CheckRun::default();
    let mut progress = Progress::load(ws);
    if !build.ok {
        writeln!(out, "{}", m::compile_failed(n, &stage.package))?;
        match build.errors.first() {
            Some(e) => {
                writeln!(out, "  {}", e.short())?;
                if build.errors.len() > 1 {
                    writeln!(
                        out,
                        "{}",
                        m::more_errors(build.errors.len() - 1, &stage.package)
                    )?;
                }
            }
            None => {
                // Not a compiler message: cargo's own complaint.
                for line in build
                    .stderr
                    .lines()
                    .filter(|l| !l.trim_start().starts_with("Compiling"))
                    .take(10)
                {
                    writeln!(out, "  {line}")?;
                }
            }
        }
        progress.record(n, &[], None);
        progress.save(ws)?;
        return Ok(result);
    }
    result.compiled = true;
    if let Some(w) = build.warnings.first() {
        writeln!(out, "{}", m::warnings(build.warnings.len(), &stage.package))?;
        writeln!(out, "{}", m::first_warning(&w.short()))?;
    }
    let dir = ws.path(&stage.dir);
    for &rung in &rungs {
        write!(out, "{}", m::rung_running(rung))?;
        out.flush()?;
        let ran = run::run_tests(&build.tests, &dir, &[format!("step{rung}_")], RUNG_LIMIT)?;
        let failed: Vec<&run::TestResult> = ran.results.iter().filter(|r| !r.passed).collect();
        if ran.timed_out {
            writeln!(out, "{}", m::rung_timed_out(RUNG_LIMIT.as_secs()))?;
            result.rungs.push((rung, Outcome::Fail));
            result.timed_out = true;
            break;
        }
        if ran.results.is_empty() {
            writeln!(out, "{}", m::rung_no_tests())?;
            result.rungs.push((rung, Outcome::Fail));
            break;
        }
        if failed.is_empty() {
            writeln!(out, "{}", m::rung_ok(ran.results.len()))?;
            result.rungs.push((rung, Outcome::Pass));
            continue;
        }
        // The first failure in the order the checks are written.
        let check = all_checks
            .iter()
            .find(|c| failed.iter().any(|f| f.name == c.name))
            .cloned()
            .unwrap_or_else(|| CheckFn {
                name: failed[0].name.clone(),
                rung,
                file: String::new(),
                line: 0,
                hints: Vec::new(),
                hints_zh: Vec::new(),
                lesson: None,
            });
        let output = failed
            .iter()
            .find(|f| f.name == check.name)
            .map(|f| f.output.clone())
            .unwrap_or_default();
        writeln!(out, "{}", m::rung_failed(&check.name))?;
        result.rungs.push((rung, Outcome::Fail));
        let mut failure = run::explain(&output);
        if failure.not_written.is_none() {
            // The check's output does not show the todo!() it reached (a
            // binary that died before its stderr was read, say); but a
            // function of this rung or an earlier one still being todo!()
            // is surely the first thing to write.
            failure.not_written =
                unwritten(ws, &sites, n, rung)?.map(|s| exercise::todo_text(&s, n));
        }
        result.failing = Some((check, failure));
        break;
    }
    if let Some((check, failure)) = &result.failing {
        writeln!(out)?;
        describe_failure(ws, &stage, &sites, check, failure, out)?;
    } else if result.all_pass() {
        writeln!(out)?;
        if ws.started(&stage) {
            writeln!(out, "{}", m::all_pass(n, &stage.package, rungs.len()))?;
        } else {
            writeln!(
                out,
                "{}",
                m::all_pass_not_started(n, &stage.package, rungs.len())
            )?;
        }
    }
    progress.record(
        n,
        &result.rungs,
        result.failing.as_ref().map(|(c, _)| c.name.clone()),
    );
    progress.save(ws)?;
    Ok(result)
}

fn describe_failure(
    ws: &Workspace,
    stage: &Stage,
    sites: &[Site],
    check: &CheckFn,
    failure: &Failure,
    out: &mut dyn Write,
) -> io::Result<()> {
    let n = stage.number;
    writeln!(out, "{}", m::rung_fails(check.rung, &check.name))?;
    let mut lesson = lesson_for(stage, sites, Some(check), check.rung);
    match &failure.not_written {
        Some(what) => {
            writeln!(out, "  {}", m::not_written_yet(what))?;
            if let Some(site) = sites.iter().find(|s| exercise::todo_text(s, n) == *what) {
                writeln!(
                    out,
                    "  {}",
                    m::write_it(&site.name, &format!("{}:{}", site.file, site.line))
                )?;
                lesson = site.lesson.clone();
            }
        }
        None => {
            for line in failure.message.lines().take(25) {
                writeln!(out, "  {line}")?;
            }
        }
    }
    if !lesson.is_empty() {
        let lesson = crate::lang::lesson_link(&ws.root, &lesson);
        writeln!(out, "  {}", m::lesson(&lesson))?;
    }
    writeln!(out, "  {}", m::hint_available(n, check.hints.len()))?;
    Ok(())
}

/// The first function of rungs up to `rung` whose body is still the
/// `todo!()` that `practice start` wrote.
pub fn unwritten(ws: &Workspace, sites: &[Site], n: u32, rung: u32) -> io::Result<Option<Site>> {
    for site in sites.iter().filter(|s| s.rung <= rung) {
        let src = fs::read_to_string(ws.path(&site.file))?;
        if exercise::is_exercise(&src, site, n) {
            return Ok(Some(site.clone()));
        }
    }
    Ok(None)
}

/// The files whose change should trigger another check, with their times.
fn fingerprint(ws: &Workspace, stage: &Stage) -> BTreeMap<PathBuf, SystemTime> {
    let mut files = BTreeMap::new();
    let mut stack = vec![ws.path(&stage.dir)];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(time) = entry.metadata().and_then(|md| md.modified()) {
                files.insert(path, time);
            }
        }
    }
    files
}

/// `practice watch N`: check, then check again after every save. Runs
/// until Ctrl-C.
pub fn watch(ws: &Workspace, n: u32, cargo: &Cargo, out: &mut dyn Write) -> io::Result<()> {
    let stage = ws.stage(n)?;
    loop {
        let before = fingerprint(ws, &stage);
        check(ws, n, cargo, out)?;
        writeln!(out, "\n{}", m::watching(&stage.dir))?;
        out.flush()?;
        // Files changed while the check ran count too.
        let mut seen = before;
        loop {
            std::thread::sleep(Duration::from_millis(300));
            let now = fingerprint(ws, &stage);
            if now != seen {
                let changed = now
                    .iter()
                    .find(|(p, t)| seen.get(*p) != Some(t))
                    .map(|(p, _)| p.strip_prefix(&ws.root).unwrap_or(p).display().to_string())
                    .unwrap_or_else(|| stage.dir.clone());
                // An editor may write a file in several steps: let it finish.
                std::thread::sleep(Duration::from_millis(200));
                writeln!(out, "{}", m::changed(&changed))?;
                break;
            }
            seen = now;
        }
    }
}

/// `practice hint N`.
pub fn hint(ws: &Workspace, n: u32, cargo: &Cargo, out: &mut dyn Write) -> io::Result<()> {
    let stage = ws.stage(n)?;
    let mut progress = Progress::load(ws);
    let recorded = progress.stages.get(&n).cloned().unwrap_or_default();
    let failing = match (&recorded.failing, recorded.rungs.is_empty()) {
        (Some(name), _) => {
            writeln!(out, "{}", m::hint_from_last_check())?;
            Some(name.clone())
        }
        (None, false) => None,
        (None, true) => {
            // Never checked: check first, to know which rung fails.
            let run = check(ws, n, cargo, out)?;
            writeln!(out)?;
            progress = Progress::load(ws);
            run.failing.map(|(c, _)| c.name)
        }
    };
    let Some(name) = failing else {
        writeln!(out, "{}", m::hint_needs_a_failure(n))?;
        return Ok(());
    };
    let all_checks = ws.checks(&stage)?;
    let check = all_checks.iter().find(|c| c.name == name);
    let rung = check.map_or_else(|| checks::rung_of(&name).unwrap_or(0), |c| c.rung);
    let count = check.map_or(0, |c| c.hints.len());
    let Some(check) = check.filter(|_| count > 0) else {
        let sites = ws.sites(&stage)?;
        let lesson = lesson_for(&stage, &sites, check, rung);
        let lesson = crate::lang::lesson_link(&ws.root, &lesson);
        writeln!(out, "{}", m::no_hints(n, &name, &lesson))?;
        return Ok(());
    };
    let k = progress.next_hint(n, &name).min(count);
    progress.save(ws)?;
    writeln!(out, "{}", m::hint_header(n, rung, &name, k, count))?;
    let (text, untranslated) = check.hint(k - 1).unwrap_or_default();
    if untranslated {
        writeln!(out, "  {}", m::hint_in_english())?;
    }
    for line in wrap(&text, 88) {
        writeln!(out, "  {line}")?;
    }
    if k < count {
        writeln!(out, "{}", m::hint_more())?;
    } else {
        writeln!(out, "{}", m::hint_last(n))?;
    }
    Ok(())
}

/// A character a terminal shows two columns wide (Chinese), where a line
/// may break without a space.
fn wide(c: char) -> bool {
    c as u32 >= 0x1100
}

/// Punctuation a line should not start with (Chinese typesetting).
fn no_break_before(c: char) -> bool {
    "，。、：；！？）」』》".contains(c)
}

/// `text` in lines of at most `width` columns: broken at spaces, and in
/// Chinese between any two characters (not before a comma or a stop).
fn wrap(text: &str, width: usize) -> Vec<String> {
    // Units: a word of narrow characters, or one wide character; with
    // whether a space came before it.
    let mut units: Vec<(String, usize, bool)> = Vec::new();
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            space = true;
        } else if wide(c) {
            units.push((c.to_string(), 2, space));
            space = false;
        } else {
            match units.last_mut() {
                Some((word, w, _)) if !space && !word.chars().any(wide) => {
                    word.push(c);
                    *w += 1;
                }
                _ => units.push((c.to_string(), 1, space)),
            }
            space = false;
        }
    }
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut columns = 0;
    for (unit, w, space) in units {
        let gap = usize::from(space && !line.is_empty());
        let first = unit.chars().next().unwrap_or(' ');
        if !line.is_empty() && columns + gap + w > width && !no_break_before(first) {
            lines.push(std::mem::take(&mut line));
            columns = 0;
        } else if gap == 1 {
            line.push(' ');
            columns += 1;
        }
        line.push_str(&unit);
        columns += w;
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// `practice list`.
pub fn list(ws: &Workspace, out: &mut dyn Write) -> io::Result<()> {
    let progress = Progress::load(ws);
    writeln!(out, "{}", m::list_header())?;
    for stage in ws.stages()? {
        let checks = ws.checks(&stage)?;
        let rungs = checks::rungs(&checks);
        let marked = ws.sites(&stage).map(|s| !s.is_empty()).unwrap_or(false);
        let state = if ws.started(&stage) {
            m::state_started()
        } else if marked {
            m::state_ready()
        } else {
            m::state_unmarked()
        };
        let results = progress.stages.get(&stage.number).map(|p| &p.rungs);
        let text = match results {
            Some(results) if !results.is_empty() => rung_summary(&rungs, results),
            _ => m::rung_count(rungs.len()),
        };
        writeln!(
            out,
            "{}",
            m::list_row(stage.number, &stage.package, state, &text)
        )?;
    }
    writeln!(out, "{}", m::list_footer())?;
    Ok(())
}

/// `1 ok, 2 ok, 3 FAILED, 4-8 not run`.
fn rung_summary(rungs: &[u32], results: &BTreeMap<u32, Outcome>) -> String {
    let mut parts = Vec::new();
    let mut not_run = Vec::new();
    for &r in rungs {
        match results.get(&r) {
            Some(Outcome::Pass) => parts.push(format!("{r} {}", m::outcome_ok())),
            Some(Outcome::Fail) => parts.push(format!("{r} {}", m::outcome_failed())),
            None => not_run.push(r),
        }
    }
    match (not_run.first(), not_run.last()) {
        (Some(a), Some(b)) if a == b => parts.push(format!("{a} {}", m::not_run())),
        (Some(a), Some(b)) => parts.push(format!("{a}-{b} {}", m::not_run())),
        _ => {}
    }
    parts.join(m::list_comma())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_at_spaces_and_between_chinese_characters() {
        assert_eq!(wrap("one two three", 8), ["one two", "three"]);
        assert_eq!(
            wrap("用 `read` 读一次，就是教程的 recv(1024)。", 14),
            ["用 `read` 读一", "次，就是教程的", "recv(1024)。"]
        );
        // No line starts with a comma.
        assert_eq!(wrap("一二三，四", 6), ["一二三，", "四"]);
    }

    #[test]
    fn the_rung_summary_folds_the_rungs_not_run() {
        let results = BTreeMap::from([(1, Outcome::Pass), (2, Outcome::Fail)]);
        assert_eq!(
            rung_summary(&[1, 2, 3, 4, 5], &results),
            "1 ok, 2 FAILED, 3-5 not run"
        );
        assert_eq!(
            rung_summary(&[1, 2, 3], &results),
            "1 ok, 2 FAILED, 3 not run"
        );
        assert_eq!(rung_summary(&[1, 2], &results), "1 ok, 2 FAILED");
    }
}
