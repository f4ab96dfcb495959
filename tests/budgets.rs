//! One idea per stage, in numbers.
//!
//! A student who finished stage N reads stage N+1 top to bottom in one
//! sitting, and an instructor's `diff -ruN` between two stages shows one idea.
//! Both stop being true long before anyone notices by reading, so the sizes
//! are checked here: how many lines change from one stage to the next, how big
//! a stage's `src/` is, and how long its lesson is. Each figure is printed
//! (`cargo test --test budgets -- --nocapture`), and a check fails past its
//! ceiling. The ceilings are limits, not targets.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The folder of stage `n` under `crates/` (`crates/03-tcp-threaded`).
fn stage(n: u32) -> PathBuf {
    let prefix = format!("{n:02}-");
    let found = fs::read_dir(root().join("crates"))
        .ok()
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix))
        });
    found.unwrap_or_else(|| panic!("no folder crates/{prefix}* for stage {n}"))
}

fn rel(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Changed lines between two stages' `src/`, counted as the issue that set
/// the budgets counts them: `diff -ruN A/src B/src | grep -c '^[+-][^+-]'`.
fn changed_lines(a: u32, b: u32) -> usize {
    let (a, b) = (stage(a).join("src"), stage(b).join("src"));
    let out = Command::new("diff")
        .arg("-ruN")
        .arg(&a)
        .arg(&b)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `diff`: {e}"));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| {
            // As grep's `^[+-][^+-]`: a second character is needed, so an
            // added or removed blank line does not count.
            let mut chars = l.chars();
            matches!(chars.next(), Some('+' | '-'))
                && chars.next().is_some_and(|c| c != '+' && c != '-')
        })
        .count()
}

/// Lines of every file under `dir`, as `wc -l` counts them.
fn lines_under(dir: &Path) -> usize {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(text) = fs::read_to_string(&path) {
                total += text.matches('\n').count();
            }
        }
    }
    total
}

/// Prints every figure, then fails listing each one over its ceiling.
fn report(rows: Vec<(String, usize, usize)>) {
    let mut over = Vec::new();
    for (what, got, ceiling) in &rows {
        let mark = if got > ceiling { "  OVER" } else { "" };
        println!("{what:<48} {got:>5} (ceiling {ceiling}){mark}");
        if got > ceiling {
            over.push(format!("{what}: {got} lines, ceiling {ceiling}"));
        }
    }
    assert!(
        over.is_empty(),
        "over budget (each stage holds one idea; what protects a server from its clients belongs to stage 7):\n  {}",
        over.join("\n  ")
    );
}

/// Changed lines in the ```diff blocks a lesson shows.
fn shown_diff_lines(lesson: &str) -> usize {
    let text = fs::read_to_string(root().join("lessons").join(lesson))
        .unwrap_or_else(|e| panic!("cannot read lessons/{lesson}: {e}"));
    let mut in_diff = false;
    let mut count = 0;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_diff = !in_diff && line.trim_start().starts_with("```diff");
        } else if in_diff {
            let mut chars = line.chars();
            let first = chars.next();
            if matches!(first, Some('+' | '-'))
                && chars.next().is_some_and(|c| c != '+' && c != '-')
            {
                count += 1;
            }
        }
    }
    count
}

#[test]
fn each_stage_changes_only_what_its_idea_needs() {
    report(vec![
        ("changed lines 02 -> 03".into(), changed_lines(2, 3), 80),
        ("changed lines 03 -> 05".into(), changed_lines(3, 5), 400),
        (
            "changed lines stage 6's lesson shows".into(),
            shown_diff_lines("06-chat.md"),
            500,
        ),
        // The whole step from stage 3 (or 5) to the room. Stage 3 carries the
        // tutorials' typed replies and the client's reply guess, which the room
        // replaces, and the room itself is some 300 lines of code; 500 would
        // leave it almost no comments. So this ceiling is higher than the
        // shown diff's, and the lesson shows the functions that carry the idea.
        (
            "changed lines 06 against 03 or 05 (the smaller)".into(),
            changed_lines(3, 6).min(changed_lines(5, 6)),
            650,
        ),
        ("changed lines 06 -> 07".into(), changed_lines(6, 7), 700),
    ]);
}

#[test]
fn each_stage_is_small_enough_to_read_in_one_sitting() {
    let rows = [(3, 350), (4, 350), (5, 500), (6, 700)]
        .into_iter()
        .map(|(n, ceiling)| {
            let src = stage(n).join("src");
            (
                format!("lines in {}", rel(&src)),
                lines_under(&src),
                ceiling,
            )
        })
        .collect();
    report(rows);
}

#[test]
fn each_stage_lesson_fits_one_sitting() {
    let mut rows = Vec::new();
    for entry in fs::read_dir(root().join("lessons"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let path = entry.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let is_stage = name.len() > 3
            && name[..2].parse::<u32>().is_ok_and(|n| (1..=7).contains(&n))
            && name.as_bytes()[2] == b'-'
            && name.ends_with(".md");
        if is_stage {
            let lines = fs::read_to_string(&path).map_or(0, |t| t.lines().count());
            rows.push((format!("lines in {}", rel(&path)), lines, 800));
        }
    }
    rows.sort();
    assert!(
        rows.len() >= 7,
        "expected a lesson page for each of the 7 stages, found {rows:?}"
    );
    report(rows);
}

/// A lesson quotes the functions it teaches and their diff; a whole-crate diff
/// is a command the reader runs, never pages of `+` and `-` in the book.
#[test]
fn no_lesson_inlines_a_diff_past_150_lines() {
    let mut rows = Vec::new();
    for dir in ["lessons", "lessons/zh"] {
        for entry in fs::read_dir(root().join(dir))
            .into_iter()
            .flatten()
            .flatten()
        {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "md") {
                continue;
            }
            let text = fs::read_to_string(&path).unwrap_or_default();
            let (mut longest, mut current, mut in_diff) = (0, 0, false);
            for line in text.lines() {
                if line.trim_start().starts_with("```") {
                    in_diff = !in_diff && line.trim_start().starts_with("```diff");
                    current = 0;
                } else if in_diff {
                    current += 1;
                    longest = longest.max(current);
                }
            }
            if longest > 0 {
                rows.push((
                    format!("longest diff block in {}", rel(&path)),
                    longest,
                    150,
                ));
            }
        }
    }
    rows.sort();
    report(rows);
}
