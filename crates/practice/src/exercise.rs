//! Exercise sites: the functions a marker in the reference code names, and
//! the exercise made from them.
//!
//! A marker is one comment line right above a function (above its
//! `// ANCHOR:` line and doc comment, so no lesson quotes it):
//!
//! ```text
//! // practice: rung 1, lessons/01-tcp-single.md#the-rust
//! // ANCHOR: serve_one
//! /// Serves exactly one client ...
//! pub fn serve_one(...) -> ... {
//! ```
//!
//! The exercise is the same file with each marked body replaced by a
//! `// TODO:` comment and `todo!()`; nothing else changes, so every item the
//! checks and the binaries use still exists.

use std::ops::Range;

use crate::messages;
use crate::scan::{self, Kind};

/// What marks an exercise site.
pub const MARKER: &str = "// practice: rung ";

/// One marked function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// The file, relative to the workspace root.
    pub file: String,
    /// The function's name.
    pub name: String,
    /// How messages and `todo!()` name it: `serve_one`, or
    /// `main in src/bin/server.rs` outside `src/lib.rs`.
    pub display: String,
    pub rung: u32,
    /// `lessons/01-tcp-single.md#the-rust`.
    pub lesson: String,
    /// 1-based line of the `fn` keyword, in the reference.
    pub line: usize,
    /// The body, braces included, as byte offsets into the reference.
    pub body: Range<usize>,
    /// What the generated body mentions so the parameters count as used.
    pub uses: Option<String>,
    /// The first sentence of the function's doc comment.
    pub summary: Option<String>,
    /// The indentation of the `fn` line.
    pub indent: String,
}

/// A marker line's rung and lesson: `rung 2, lessons/x.md#y`.
fn parse_marker(rest: &str) -> Result<(u32, String), String> {
    let (rung, lesson) = rest
        .split_once(',')
        .ok_or("write `// practice: rung N, lessons/PAGE.md#SECTION`")?;
    let rung: u32 = rung
        .trim()
        .parse()
        .map_err(|_| format!("`{}` is not a rung number", rung.trim()))?;
    if rung == 0 {
        return Err("rungs count from 1".into());
    }
    let lesson = lesson.trim();
    if !lesson.starts_with("lessons/") || !lesson.contains(".md") {
        return Err(format!(
            "`{lesson}` should name a lesson section, as lessons/PAGE.md#SECTION"
        ));
    }
    Ok((rung, lesson.to_string()))
}

/// Every site marked in one file. `file` is its path from the workspace root,
/// `crate_dir` its crate's (`crates/01-tcp-single`).
pub fn sites_in(file: &str, crate_dir: &str, src: &str) -> Result<Vec<Site>, String> {
    let kinds = scan::classify(src);
    let mut sites = Vec::new();
    let mut offset = 0;
    for (n, line) in src.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim_start();
        let Some(rest) = trimmed.strip_prefix(MARKER) else {
            continue;
        };
        // Only a marker that is a comment of its own counts (not one quoted
        // in a string, or written in a doc comment).
        if kinds.get(start + line.len() - trimmed.len()) != Some(&Kind::Comment) {
            continue;
        }
        let place = format!("{file}:{}", n + 1);
        let (rung, lesson) = parse_marker(rest.trim_end()).map_err(|e| format!("{place}: {e}"))?;
        let item = scan::next_fn(src, &kinds, offset).map_err(|e| format!("{place}: {e}"))?;
        check_between(&src[offset..item.keyword]).map_err(|e| format!("{place}: {e}"))?;
        let line_start = src[..item.keyword].rfind('\n').map_or(0, |e| e + 1);
        let indent: String = src[line_start..]
            .chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .collect();
        let in_crate = file
            .strip_prefix(crate_dir)
            .map(|f| f.trim_start_matches('/'))
            .unwrap_or(file);
        let display = if in_crate == "src/lib.rs" {
            item.name.clone()
        } else {
            format!("{} in {in_crate}", item.name)
        };
        sites.push(Site {
            file: file.to_string(),
            display,
            rung,
            lesson,
            line: src[..item.keyword].matches('\n').count() + 1,
            uses: scan::use_params(&item.params),
            summary: scan::doc_summary(src, item.keyword),
            indent,
            body: item.body,
            name: item.name,
        });
    }
    Ok(sites)
}

/// Between a marker and its `fn` only comments, doc comments, attributes,
/// blank lines and the function's qualifiers (`pub`, `const`, ...) may stand:
/// a marker that drifted away from its function is an error, not a guess.
fn check_between(text: &str) -> Result<(), String> {
    let mut lines: Vec<&str> = text.split('\n').collect();
    let last = lines.pop().unwrap_or("");
    for line in lines {
        let t = line.trim();
        if !(t.is_empty() || t.starts_with("//") || t.starts_with("#[")) {
            return Err(format!(
                "the marker must sit right above its function's comments and attributes, but `{t}` comes first"
            ));
        }
    }
    let qualifiers_only = last.split_whitespace().all(|w| {
        matches!(w, "pub" | "const" | "async" | "unsafe" | "extern" | "\"C\"")
            || w.starts_with("pub(")
    });
    if qualifiers_only {
        Ok(())
    } else {
        Err(format!("unexpected `{}` before `fn`", last.trim()))
    }
}

/// The body that replaces a site's in the exercise.
pub fn todo_body(site: &Site, stage: u32) -> String {
    let inner = format!("{}    ", site.indent);
    let mut out = String::from("{\n");
    let mut comment = vec![format!(
        "TODO: {}",
        messages::todo_line(&site.name, stage, site.rung)
    )];
    if let Some(summary) = &site.summary {
        comment.extend(wrap(summary, 84));
    }
    comment.push(messages::todo_lesson(&site.lesson));
    for line in comment {
        out.push_str(&format!("{inner}// {line}\n"));
    }
    if let Some(uses) = &site.uses {
        out.push_str(&format!("{inner}let _ = {uses};\n"));
    }
    out.push_str(&format!("{inner}todo!(\"{}\")\n", todo_text(site, stage)));
    out.push_str(&format!("{}}}", site.indent));
    out
}

/// What the `todo!()` of a site says (after Rust's `not yet implemented: `).
pub fn todo_text(site: &Site, stage: u32) -> String {
    format!("{} (stage {stage}, rung {})", site.display, site.rung)
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The lines `practice start` adds at the top of a file it changed.
pub fn allow_header() -> String {
    let mut out = String::new();
    for line in messages::allow_comment() {
        out.push_str(&format!("// {line}\n"));
    }
    out.push_str("#![allow(unused_imports, dead_code)]\n");
    out
}

/// Where the header goes: after the file's `//!` doc and `#![...]` lines.
fn header_at(src: &str) -> usize {
    let mut at = 0;
    let mut offset = 0;
    for line in src.split_inclusive('\n') {
        offset += line.len();
        let t = line.trim();
        if t.starts_with("//!") || t.starts_with("#![") {
            at = offset;
        } else if !(t.is_empty() || t.starts_with("//")) {
            break;
        }
    }
    at
}

/// The file with the bodies of the sites for which `replace` says yes
/// turned into exercises. `sites` are this file's, from [`sites_in`] on `src`.
pub fn make_exercise(
    src: &str,
    sites: &[Site],
    stage: u32,
    replace: impl Fn(&Site) -> bool,
) -> String {
    let mut out = src.to_string();
    let mut changed = false;
    let mut ordered: Vec<&Site> = sites.iter().filter(|s| replace(s)).collect();
    ordered.sort_by_key(|s| std::cmp::Reverse(s.body.start));
    for site in ordered {
        out.replace_range(site.body.clone(), &todo_body(site, stage));
        changed = true;
    }
    if changed {
        let at = header_at(&out);
        let blank = if at > 0 { "\n" } else { "" };
        out.insert_str(at, &format!("{blank}{}", allow_header()));
    }
    out
}

/// Whether a site's body in `src` is already an exercise: it holds the
/// `todo!()` that `practice start` writes.
pub fn is_exercise(src: &str, site: &Site, stage: u32) -> bool {
    src.contains(&format!("todo!(\"{}\")", todo_text(site, stage)))
}
