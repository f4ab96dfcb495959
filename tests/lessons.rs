//! The lessons stay true to the code.
//!
//! Checks every Markdown page under `lessons/` (the Chinese book in
//! `lessons/zh/` included) and the READMEs (`README.md`, `README.zh.md`):
//! - a code block announced by `<!-- from PATH -->` or `<!-- from PATH:NAME -->`
//!   holds exactly that file, or the region between `// ANCHOR: NAME` and
//!   `// ANCHOR_END: NAME` in it (anchor lines left out, as mdBook does); in
//!   a doc example the anchors are hidden lines (`/// # // ANCHOR: NAME`) and
//!   the quote is the example as rustdoc shows it; with no such anchor,
//!   `fn NAME`, from its doc comment to its closing brace;
//! - a block announced by `<!-- diff A B -->` holds what `diff -ru A B` prints
//!   now (header lines cut at the tab, so no timestamps); with `A:NAME B:NAME`,
//!   the `diff -u` of the two anchored regions (how one function changed);
//! - every relative link points at a file that exists, and a `#fragment`
//!   on a page's link at one of that page's headings;
//! - every `NAME-server` / `NAME-client`, `--bin NAME` and `-p PACKAGE` names
//!   a binary or package of the workspace, and `cargo test -p PACKAGE FILTER`
//!   matches at least one of that package's tests;
//! - every `$ ` line of a console or shell block runs as shown from the
//!   repository root: a workspace binary through `cargo run --bin NAME`, or
//!   as `target/debug/NAME` once the page has built it; anything else is a
//!   tool on the `KNOWN_TOOLS` list or a script of the repository;
//! - `lessons/SUMMARY.md`, the book's table of contents, lists every page
//!   (the Chinese pages are in `lessons/zh/SUMMARY.md`: `tests/zh.rs`
//!   checks them, and that they keep in step with the English ones).
//!
//! After changing code a lesson quotes, refresh the quotes with
//! `UPDATE_LESSONS=1 cargo test --test lessons` (on the Chinese pages too),
//! then read the diff.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn pages() -> Vec<PathBuf> {
    let mut pages = vec![root().join("README.md")];
    if root().join("README.zh.md").is_file() {
        pages.push(root().join("README.zh.md"));
    }
    let mut stack = vec![root().join("lessons")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "book") {
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "md") {
                pages.push(path);
            }
        }
    }
    pages.sort();
    pages
}

fn rel(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// A line of a doc comment (`/// ...` or `//! ...`) without its prefix and the
/// one space after it; `None` for any other line.
fn doc_text(line: &str) -> Option<&str> {
    let rest = line.trim_start();
    let rest = rest
        .strip_prefix("///")
        .or_else(|| rest.strip_prefix("//!"))?;
    Some(rest.strip_prefix(' ').unwrap_or(rest))
}

/// A line rustdoc hides from a doc example (`# ...`, or `#` alone).
fn hidden_in_doc(text: &str) -> bool {
    text == "#" || text.starts_with("# ")
}

/// The name of the region an anchor line opens (`tag` "ANCHOR") or closes
/// ("ANCHOR_END"). Besides `// ANCHOR: NAME` in code, an anchor may sit in a
/// doc example as a hidden line, `/// # // ANCHOR: NAME`, so that a page can
/// quote exactly what the doc test runs.
fn anchor_name<'a>(line: &'a str, tag: &str) -> Option<&'a str> {
    let text = match doc_text(line) {
        Some(doc) => doc.strip_prefix("# ").unwrap_or(doc).trim_start(),
        None => line.trim_start(),
    };
    let text = text.trim_start_matches("//").trim();
    text.strip_prefix(tag)?.strip_prefix(": ").map(str::trim)
}

/// The text a `from` marker promises, or why it cannot be had.
///
/// A region inside a doc example is quoted as rustdoc shows it: without the
/// `/// ` prefix and without the hidden `# ` lines.
fn excerpt(spec: &str) -> Result<String, String> {
    let (path, name) = match spec.split_once(':') {
        Some((path, name)) => (path, Some(name)),
        None => (spec, None),
    };
    let text =
        fs::read_to_string(root().join(path)).map_err(|e| format!("cannot read {path}: {e}"))?;
    let is_anchor = |line: &str| line.contains("ANCHOR: ") || line.contains("ANCHOR_END: ");
    let lines: Vec<&str> = text.lines().collect();
    let (start, end) = match name {
        None => (0, lines.len()),
        Some(name) => {
            let marks = |tag: &str| lines.iter().position(|l| anchor_name(l, tag) == Some(name));
            match (marks("ANCHOR"), function(&lines, name)) {
                (Some(start), _) => {
                    let end = marks("ANCHOR_END")
                        .ok_or(format!("{path} has no `// ANCHOR_END: {name}` line"))?;
                    (start + 1, end)
                }
                (None, Some(region)) => region,
                (None, None) => {
                    return Err(format!(
                        "{path} has no `// ANCHOR: {name}` line nor `fn {name}`"
                    ));
                }
            }
        }
    };
    let anchored =
        name.is_some_and(|name| lines.iter().any(|l| anchor_name(l, "ANCHOR") == Some(name)));
    let in_doc = anchored && start > 0 && doc_text(lines[start - 1]).is_some();
    let kept: Vec<&str> = lines[start..end.max(start)]
        .iter()
        .copied()
        .filter(|l| !is_anchor(l))
        .filter_map(|l| match doc_text(l) {
            Some(doc) if in_doc => (!hidden_in_doc(doc)).then_some(doc),
            _ => Some(l),
        })
        .collect();
    Ok(kept.join("\n"))
}

/// The lines of `fn NAME` (its doc comment and attributes included, up to
/// its closing brace), for a `from` marker that names a function with no
/// anchor of that name: a module quoted one function at a time needs no
/// anchor lines.
fn function(lines: &[&str], name: &str) -> Option<(usize, usize)> {
    let opens = |l: &&str| {
        let words: Vec<&str> = l.split_whitespace().collect();
        let named = |w: &str| {
            w.strip_prefix(name)
                .is_some_and(|r| r.starts_with(['(', '<']))
        };
        words.windows(2).any(|w| w[0] == "fn" && named(w[1]))
    };
    let at = lines.iter().position(opens)?;
    let indent = &lines[at][..lines[at].len() - lines[at].trim_start().len()];
    let mut start = at;
    while start > 0 && {
        let above = lines[start - 1].trim_start();
        above.starts_with("///") || above.starts_with("#[")
    } {
        start -= 1;
    }
    let end = at
        + lines[at..]
            .iter()
            .position(|l| *l == format!("{indent}}}"))?;
    Some((start, end + 1))
}

fn diff_now(a: &str, b: &str) -> Result<String, String> {
    if a.contains(':') || b.contains(':') {
        return diff_regions(a, b);
    }
    let out = Command::new("diff")
        .args(["-ru", a, b])
        .current_dir(root())
        .output()
        .map_err(|e| format!("cannot run `diff`: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text
        .lines()
        .map(|l| {
            if l.starts_with("--- ") || l.starts_with("+++ ") {
                l.split('\t').next().unwrap_or(l)
            } else {
                l
            }
        })
        .collect();
    Ok(lines.join("\n"))
}

/// `<!-- diff PATH:NAME PATH:NAME -->`: the unified diff of two anchored
/// regions (or whole files, without `:NAME`), labelled with the two specs, so
/// a lesson can show how one function changed from one stage to the next.
fn diff_regions(a: &str, b: &str) -> Result<String, String> {
    let dir = std::env::temp_dir().join(format!("lessons-diff-{}", std::process::id()));
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut files = Vec::new();
    for (i, spec) in [a, b].iter().enumerate() {
        let file = dir.join(format!("{}-{i}", spec.replace(['/', ':'], "_")));
        let mut text = excerpt(spec)?;
        text.push('\n');
        fs::write(&file, text).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
        files.push(file);
    }
    let out = Command::new("diff")
        .args(["-u", "--label", a, "--label", b])
        .args(&files)
        .output()
        .map_err(|e| format!("cannot run `diff`: {e}"))?;
    for file in files {
        let _ = fs::remove_file(file);
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_string())
}

/// Checks (or, with `UPDATE_LESSONS` set, refreshes) every quoted block.
#[test]
fn quoted_code_and_diffs_match_the_source() {
    let update = std::env::var_os("UPDATE_LESSONS").is_some();
    let mut problems = Vec::new();
    let mut quotes = 0;
    for page in pages() {
        let Ok(text) = fs::read_to_string(&page) else {
            continue;
        };
        let lines: Vec<&str> = text.lines().collect();
        let mut out: Vec<String> = Vec::new();
        let mut i = 0;
        while i < lines.len() {
            let line = lines[i];
            out.push(line.to_string());
            let marker = line
                .trim()
                .strip_prefix("<!--")
                .and_then(|l| l.strip_suffix("-->"))
                .map(str::trim);
            let want = match marker {
                Some(m) if m.starts_with("from ") => Some(excerpt(m["from ".len()..].trim())),
                Some(m) if m.starts_with("diff ") => {
                    let parts: Vec<&str> = m["diff ".len()..].split_whitespace().collect();
                    match parts[..] {
                        [a, b] => Some(diff_now(a, b)),
                        _ => Some(Err(
                            "a diff marker names two paths: <!-- diff A B -->".into()
                        )),
                    }
                }
                _ => None,
            };
            i += 1;
            let Some(want) = want else { continue };
            quotes += 1;
            let place = format!("{}:{}", rel(&page), i);
            if i >= lines.len() || !lines[i].trim_start().starts_with("```") {
                problems.push(format!(
                    "{place}: the marker must be followed at once by a ``` code block"
                ));
                continue;
            }
            out.push(lines[i].to_string());
            let body_start = i + 1;
            let Some(close) =
                (body_start..lines.len()).find(|&j| lines[j].trim_start().starts_with("```"))
            else {
                problems.push(format!("{place}: the code block is never closed"));
                break;
            };
            let have = lines[body_start..close].join("\n");
            match want {
                Err(e) => {
                    problems.push(format!("{place}: {e}"));
                    out.extend(lines[body_start..close].iter().map(|l| l.to_string()));
                }
                Ok(want) if want == have => {
                    out.extend(lines[body_start..close].iter().map(|l| l.to_string()))
                }
                Ok(want) => {
                    if update {
                        out.extend(want.split('\n').map(str::to_string));
                    } else {
                        problems.push(format!(
                            "{place}: {} no longer matches what the lesson quotes (run `UPDATE_LESSONS=1 cargo test --test lessons`, then reread the lesson text around it)",
                            marker.unwrap_or_default()
                        ));
                        out.extend(lines[body_start..close].iter().map(|l| l.to_string()));
                    }
                }
            }
            out.push(lines[close].to_string());
            i = close + 1;
        }
        if update {
            let mut new = out.join("\n");
            if text.ends_with('\n') {
                new.push('\n');
            }
            if new != text {
                fs::write(&page, new)
                    .unwrap_or_else(|e| panic!("cannot update {}: {e}", rel(&page)));
                eprintln!("updated quotes in {}", rel(&page));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "lessons out of date:\n{}",
        problems.join("\n")
    );
    assert!(
        quotes > 0,
        "no `<!-- from ... -->` quote found in any lesson: is the lessons/ folder there?"
    );
}

/// Targets in `[text](target)`, with the line they are on.
fn links(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut in_code = false;
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        }
        if in_code {
            continue;
        }
        let line = without_code_spans(line);
        let mut rest = line.as_str();
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            if let Some(end) = rest.find(')') {
                found.push((n + 1, rest[..end].trim().to_string()));
                rest = &rest[end..];
            }
        }
    }
    found
}

/// The line with the text of each inline code span (`` `...` ``) blanked
/// out: a link written as code is an example, not a link.
fn without_code_spans(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(open) = rest.find('`') {
        let run = rest[open..].bytes().take_while(|&b| b == b'`').count();
        let ticks = &rest[open..open + run];
        let Some(close) = rest[open + run..].find(ticks) else {
            break;
        };
        out.push_str(&rest[..open]);
        let span = open + run + close + run;
        out.push_str(&" ".repeat(rest[open..span].chars().count()));
        rest = &rest[span..];
    }
    out.push_str(rest);
    out
}

/// The ids a page's headings get, as mdBook and the code host make them:
/// lower case, spaces to `-`, punctuation other than `-` and `_` dropped.
fn heading_ids(text: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut in_code = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        }
        if in_code || !line.starts_with('#') {
            continue;
        }
        let title = line.trim_start_matches('#').trim();
        let id: String = title
            .chars()
            .filter_map(|c| {
                if c.is_alphanumeric() || c == '-' || c == '_' {
                    Some(c.to_lowercase().collect::<String>())
                } else if c.is_whitespace() {
                    Some("-".into())
                } else {
                    None
                }
            })
            .collect();
        ids.insert(id);
    }
    ids
}

#[test]
fn relative_links_resolve() {
    let mut problems = Vec::new();
    for page in pages() {
        let Ok(text) = fs::read_to_string(&page) else {
            continue;
        };
        for (line, target) in links(&text) {
            if target.contains("://") || target.starts_with("mailto:") || target.is_empty() {
                continue;
            }
            let target = target.split_whitespace().next().unwrap_or("");
            let (path, fragment) = match target.split_once('#') {
                Some((path, fragment)) => (path, Some(fragment)),
                None => (target, None),
            };
            let resolved = if path.is_empty() {
                page.clone()
            } else {
                page.parent().unwrap_or(&root()).join(path)
            };
            if !resolved.exists() {
                problems.push(format!(
                    "{}:{line}: link to `{target}` points at nothing",
                    rel(&page)
                ));
                continue;
            }
            // `page.md#heading` must name a heading of that page.
            let Some(fragment) = fragment else { continue };
            if resolved.extension().is_none_or(|e| e != "md") {
                continue;
            }
            let ids = fs::read_to_string(&resolved)
                .map(|t| heading_ids(&t))
                .unwrap_or_default();
            if !ids.contains(fragment) {
                problems.push(format!(
                    "{}:{line}: link to `{target}`: {} has no heading with the id `{fragment}`",
                    rel(&page),
                    rel(&resolved)
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "broken links:\n{}",
        problems.join("\n")
    );
}

/// Package and binary names, and test function names per package, read from
/// the manifests and test files.
struct Workspace {
    packages: BTreeSet<String>,
    binaries: BTreeSet<String>,
    /// (package, binary) pairs: what `cargo build -p PACKAGE` builds.
    bins_of: Vec<(String, String)>,
    tests: Vec<(String, String)>,
}

fn workspace() -> Workspace {
    let mut ws = Workspace {
        packages: BTreeSet::new(),
        binaries: BTreeSet::new(),
        bins_of: Vec::new(),
        tests: Vec::new(),
    };
    ws.packages.insert("socket-lessons".into());
    let crates = fs::read_dir(root().join("crates")).expect("crates/ exists");
    for dir in crates.flatten().map(|e| e.path()) {
        let Ok(manifest) = fs::read_to_string(dir.join("Cargo.toml")) else {
            continue;
        };
        let mut package = String::new();
        let mut section = "";
        for line in manifest.lines() {
            let line = line.trim();
            if line.starts_with('[') {
                section = if line == "[package]" {
                    "package"
                } else if line == "[[bin]]" {
                    "bin"
                } else {
                    ""
                };
            } else if let Some(value) = line
                .strip_prefix("name")
                .map(str::trim)
                .and_then(|l| l.strip_prefix('='))
            {
                let value = value.trim().trim_matches('"').to_string();
                match section {
                    "package" => package = value,
                    "bin" => {
                        ws.bins_of.push((package.clone(), value.clone()));
                        ws.binaries.insert(value);
                    }
                    _ => {}
                }
            }
        }
        if package.is_empty() {
            continue;
        }
        if dir.join("src/main.rs").exists() {
            ws.bins_of.push((package.clone(), package.clone()));
            ws.binaries.insert(package.clone());
        }
        let mut files = vec![dir.join("src/lib.rs")];
        if let Ok(tests) = fs::read_dir(dir.join("tests")) {
            files.extend(tests.flatten().map(|e| e.path()));
        }
        for file in files {
            let Ok(text) = fs::read_to_string(&file) else {
                continue;
            };
            for line in text.lines() {
                if let Some(rest) = line.trim_start().strip_prefix("fn ") {
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    ws.tests.push((package.clone(), name));
                }
            }
        }
        ws.packages.insert(package);
    }
    ws
}

fn words(line: &str) -> Vec<&str> {
    line.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_'))
        .filter(|w| !w.is_empty())
        .collect()
}

#[test]
fn named_binaries_packages_and_checks_exist() {
    let ws = workspace();
    let mut problems = Vec::new();
    for page in pages() {
        let Ok(text) = fs::read_to_string(&page) else {
            continue;
        };
        for (n, line) in text.lines().enumerate() {
            let place = format!("{}:{}", rel(&page), n + 1);
            for word in words(line) {
                if (word.ends_with("-server") || word.ends_with("-client"))
                    && !word.starts_with('-')
                    && word
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit())
                    && !ws.binaries.contains(word)
                    && !ALLOWED_OTHER_NAMES.contains(&word)
                {
                    problems.push(format!(
                        "{place}: `{word}` is not a binary of this workspace"
                    ));
                }
            }
            let tokens: Vec<&str> = line
                .split(|c: char| c.is_whitespace() || c == '`')
                .filter(|t| !t.is_empty())
                .collect();
            for (i, token) in tokens.iter().enumerate() {
                let next = tokens.get(i + 1).copied().unwrap_or("");
                if *token == "--bin"
                    && !next.is_empty()
                    && !next.starts_with('<')
                    && !placeholder(next)
                    && !ws.binaries.contains(next)
                {
                    problems.push(format!("{place}: `--bin {next}`: no such binary"));
                }
                if *token == "-p"
                    && tokens[..i].contains(&"cargo")
                    && !next.is_empty()
                    && !next.starts_with('<')
                    && !next.contains("STAGE")
                {
                    if !ws.packages.contains(next) {
                        problems.push(format!("{place}: `-p {next}`: no such package"));
                    } else if i >= 2 && tokens[i - 1] == "test" && tokens[i - 2] == "cargo" {
                        let filter = tokens.get(i + 2).copied().unwrap_or("");
                        let is_filter = !filter.is_empty()
                            && filter.chars().all(|c| c.is_alphanumeric() || c == '_')
                            && filter.contains('_')
                            || filter.starts_with("step");
                        if is_filter
                            && !ws
                                .tests
                                .iter()
                                .any(|(p, t)| p == next && t.contains(filter))
                        {
                            problems.push(format!(
                                "{place}: `cargo test -p {next} {filter}` would run no test: no test of {next} has `{filter}` in its name"
                            ));
                        }
                    }
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "lessons name things that do not exist:\n{}",
        problems.join("\n")
    );
}

/// `NAME`, `PKG`: a placeholder in a command a page describes, not a name.
fn placeholder(word: &str) -> bool {
    !word.is_empty() && word.chars().all(|c| c.is_ascii_uppercase() || c == '_')
}

/// Names that look like ours but are not: tools and Python files a lesson
/// may mention.
const ALLOWED_OTHER_NAMES: &[&str] = &[
    "python-server",
    "python-client",
    "your-server",
    "your-client",
];

#[test]
fn the_book_lists_every_page() {
    let summary_path = root().join("lessons/SUMMARY.md");
    let Ok(summary) = fs::read_to_string(&summary_path) else {
        panic!("lessons/SUMMARY.md is missing: it is the book's table of contents");
    };
    let listed: BTreeSet<String> = links(&summary).into_iter().map(|(_, t)| t).collect();
    let mut missing = Vec::new();
    for page in pages() {
        let Ok(inside) = page.strip_prefix(root().join("lessons")) else {
            continue;
        };
        let name = inside.display().to_string();
        // The Chinese book has its own table of contents (tests/zh.rs).
        if inside.starts_with("zh") {
            continue;
        }
        // 404.md is mdBook's page for an address that is no page (book.toml,
        // `input-404`), not a chapter.
        if name != "SUMMARY.md" && name != "404.md" && !listed.contains(&name) {
            missing.push(name);
        }
    }
    assert!(
        missing.is_empty(),
        "lessons/SUMMARY.md does not list: {missing:?} (add a line `- [Title](page.md)`)"
    );
}

/// Programs a `$` line may run besides the workspace's own: what a student has
/// on Linux or macOS, or installs as `lessons/tools.md` says. A `$` line is a
/// Unix shell line; a Windows command goes in a block of its own with a
/// `>` prompt.
const KNOWN_TOOLS: &[&str] = &[
    // tools.md's
    "nc", "ss", "strace", "tcpdump", "python3", "lsof", "ip", "dtruss",
    // the shell and its everyday companions
    "echo", "printf", "cat", "grep", "head", "tail", "sort", "uniq", "wc", "sed", "awk", "tee",
    "xargs", "seq", "sleep", "yes", "true", "false", "ls", "ps", "pgrep", "kill", "ulimit", "time",
    "timeout", "env", "sudo", "diff", "git", "curl", "wait", "export", "for", "done", "jobs", "fg",
    "bg", // installing things (tools.md)
    "apt", "apt-get", "dnf", "brew", "rustup", "cargo", "mdbook",
];

/// Cargo subcommands a page may use (with the aliases in .cargo/config.toml).
const CARGO_COMMANDS: &[&str] = &[
    "build", "run", "test", "check", "clippy", "fmt", "doc", "install", "clean", "tree",
];

/// One `$` command, with where it is.
struct Dollar {
    line: usize,
    /// The block it is in (index), so a `cargo build` counts for its block.
    block: usize,
    command: String,
}

/// The `$ ` lines of console/shell blocks, continuation lines (`\`) joined.
fn dollar_lines(text: &str) -> Vec<Dollar> {
    let mut found = Vec::new();
    let mut lines = text.lines().enumerate();
    let mut block: Option<bool> = None;
    let mut blocks = 0;
    while let Some((n, line)) = lines.next() {
        let trimmed = line.trim_start();
        if let Some(info) = trimmed.strip_prefix("```") {
            block = match block {
                Some(_) => None,
                None => {
                    blocks += 1;
                    let lang = info.split([',', ' ']).next().unwrap_or("").trim();
                    Some(matches!(lang, "console" | "sh" | "bash" | "shell" | "zsh"))
                }
            };
            continue;
        }
        if block != Some(true) {
            continue;
        }
        let Some(command) = trimmed.strip_prefix("$ ") else {
            continue;
        };
        let mut command = command.to_string();
        while command.trim_end().ends_with('\\') {
            command = command.trim_end().trim_end_matches('\\').to_string();
            match lines.next() {
                Some((_, next)) => {
                    command.push(' ');
                    command.push_str(next.trim());
                }
                None => break,
            }
        }
        found.push(Dollar {
            line: n + 1,
            block: blocks,
            command,
        });
    }
    found
}

/// Shell words of a command line, quotes removed, with the separators
/// (`|`, `&&`, `||`, `;`, `&`) as words of their own; a `#` comment ends it.
fn shell_words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut chars = command.chars().peekable();
    let mut started = false;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                started = true;
            }
            (None, '#') if !started => break,
            (None, c) if c.is_whitespace() => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            // `2>&1`, `&>file`: a redirection, not a separator.
            (None, '&') if word.ends_with('>') || chars.peek() == Some(&'>') => {
                word.push('&');
                started = true;
            }
            (None, '|' | '&' | ';') => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
                let mut sep = c.to_string();
                if chars.peek() == Some(&c) {
                    sep.push(c);
                    chars.next();
                }
                words.push(sep);
            }
            (None, c) => {
                word.push(c);
                started = true;
            }
        }
    }
    if started {
        words.push(word);
    }
    words
}

/// What is wrong with the program one segment of a `$` line runs, if
/// anything. `built` holds the binaries (and profile) built earlier.
fn check_segment(
    words: &[String],
    ws: &Workspace,
    built: &BTreeSet<(String, bool)>,
    aliases: &[String],
) -> Option<String> {
    let mut i = 0;
    // Leading `VAR=value` assignments and `(` of a subshell.
    while i < words.len()
        && (words[i].starts_with('(') && words[i].len() == 1
            || words[i].contains('=') && !words[i].starts_with('-') && !words[i].starts_with('/'))
    {
        i += 1;
    }
    let program = words.get(i)?.trim_start_matches('(').to_string();
    let args = &words[i + 1..];
    // Wrappers: check the program they run.
    match program.as_str() {
        "sudo" | "time" | "env" | "exec" | "nohup" => {
            return check_segment(args, ws, built, aliases);
        }
        "timeout" => {
            let rest: Vec<String> = args
                .iter()
                .skip_while(|a| a.starts_with('-'))
                .skip(1)
                .cloned()
                .collect();
            return check_segment(&rest, ws, built, aliases);
        }
        "strace" => {
            let mut k = 0;
            while k < args.len() && args[k].starts_with('-') {
                let takes_value = matches!(
                    args[k].as_str(),
                    "-e" | "-o" | "-s" | "-p" | "-P" | "-X" | "-E" | "-u"
                );
                if args[k] == "-p" {
                    return None;
                }
                k += if takes_value { 2 } else { 1 };
            }
            return check_segment(&args[k.min(args.len())..], ws, built, aliases);
        }
        "do" | "then" | "else" => return check_segment(args, ws, built, aliases),
        _ => {}
    }
    if program == "for" || program == "done" || program == "in" {
        return None;
    }
    let bare = program.trim_start_matches("./").to_string();
    for (dir, release) in [("target/debug/", false), ("target/release/", true)] {
        if let Some(name) = bare.strip_prefix(dir) {
            if !ws.binaries.contains(name) {
                return Some(format!(
                    "`{program}`: {name} is not a binary of this workspace"
                ));
            }
            if !built.contains(&(name.to_string(), release)) {
                let how = if release {
                    "cargo build --release"
                } else {
                    "cargo build"
                };
                return Some(format!(
                    "`{program}` is not built on this page before this line: add `$ {how}` to this block (or an earlier `$` line), or run it as `cargo run{} --bin {name} -- ...`",
                    if release { " --release" } else { "" }
                ));
            }
            return None;
        }
    }
    if ws.binaries.contains(&bare) {
        return Some(format!(
            "`{program}` is not on a student's PATH: run it as `cargo run --bin {bare} -- ...` (or build it and run `target/debug/{bare}`)"
        ));
    }
    if bare.contains('/') {
        let path = root().join(&bare);
        return if path.is_file() {
            None
        } else {
            Some(format!("`{program}`: no such file in the repository"))
        };
    }
    if program == "cargo" {
        let sub = args
            .iter()
            .find(|a| !a.starts_with('+') && !a.starts_with('-'))?;
        if !CARGO_COMMANDS.contains(&sub.as_str()) && !aliases.iter().any(|a| a == sub) {
            return Some(format!(
                "`cargo {sub}`: not a cargo command this course uses"
            ));
        }
        if sub == "run" && !args.iter().any(|a| a == "--bin" || a == "-p") {
            return Some(
                "`cargo run` at the root needs `--bin NAME`: the root package has no binary".into(),
            );
        }
        return None;
    }
    if program == "python3" {
        if let Some(script) = args.iter().find(|a| !a.starts_with('-'))
            && script.ends_with(".py")
            && !root().join(script).is_file()
        {
            return Some(format!(
                "`python3 {script}`: no such file from the repository root"
            ));
        }
        return None;
    }
    if KNOWN_TOOLS.contains(&program.as_str()) {
        return None;
    }
    Some(format!(
        "`{program}` is neither a workspace binary run through cargo nor a known tool (add it to KNOWN_TOOLS in tests/lessons.rs if a student has it, and say how to get it in lessons/tools.md)"
    ))
}

/// The binaries a `cargo build ...` line builds, with its profile.
fn builds(words: &[String], ws: &Workspace) -> Vec<(String, bool)> {
    // What follows `--` is the program's, not cargo's.
    let words = words.split(|w| w == "--").next().unwrap_or_default();
    let release = words.iter().any(|w| w == "--release" || w == "-r");
    let named = |flag: &str| -> Vec<&String> {
        words
            .windows(2)
            .filter(|w| w[0] == flag)
            .map(|w| &w[1])
            .collect()
    };
    let (bins, packages) = (named("--bin"), named("-p"));
    ws.bins_of
        .iter()
        .filter(|(p, b)| {
            (bins.is_empty() && packages.is_empty()) || bins.contains(&b) || packages.contains(&p)
        })
        .map(|(_, b)| (b.clone(), release))
        .collect()
}

/// The aliases `.cargo/config.toml` defines (`cargo practice ...`).
fn cargo_aliases() -> Vec<String> {
    let Ok(config) = fs::read_to_string(root().join(".cargo/config.toml")) else {
        return Vec::new();
    };
    let mut in_alias = false;
    let mut aliases = Vec::new();
    for line in config.lines().map(str::trim) {
        if line.starts_with('[') {
            in_alias = line == "[alias]";
        } else if in_alias && let Some((name, _)) = line.split_once('=') {
            aliases.push(name.trim().to_string());
        }
    }
    aliases
}

/// What is wrong with the `$` lines of one page: (line, problem).
fn dollar_problems(text: &str, ws: &Workspace, aliases: &[String]) -> Vec<(usize, String)> {
    let separator = |w: &String| matches!(w.as_str(), "|" | "||" | "&&" | ";" | "&");
    let dollars = dollar_lines(text);
    let mut problems = Vec::new();
    // A build counts for its own block (even on a later line of it, as in
    // "in another terminal, first ...") and for every line after the block.
    let mut built_before: BTreeSet<(String, bool)> = BTreeSet::new();
    for (k, dollar) in dollars.iter().enumerate() {
        let mut built = built_before.clone();
        for other in dollars.iter().filter(|d| d.block == dollar.block) {
            let words = shell_words(&other.command);
            for segment in words.split(separator) {
                // `cargo run --bin X` builds X on its way, as `cargo build` does.
                let builds_too = segment.len() >= 2
                    && segment[0] == "cargo"
                    && (segment[1] == "build"
                        || segment[1] == "run" && segment.iter().any(|w| w == "--bin"));
                if builds_too {
                    built.extend(builds(segment, ws));
                }
            }
        }
        let words = shell_words(&dollar.command);
        for segment in words.split(separator) {
            if let Some(problem) = check_segment(segment, ws, &built, aliases) {
                problems.push((
                    dollar.line,
                    format!("`$ {}`: {problem}", dollar.command.trim()),
                ));
            }
        }
        if dollars
            .get(k + 1)
            .is_none_or(|next| next.block != dollar.block)
        {
            built_before = built;
        }
    }
    problems
}

#[test]
fn every_dollar_line_runs_as_shown_from_the_root() {
    let ws = workspace();
    let aliases = cargo_aliases();
    let mut problems = Vec::new();
    for page in pages() {
        let Ok(text) = fs::read_to_string(&page) else {
            continue;
        };
        for (line, problem) in dollar_problems(&text, &ws, &aliases) {
            problems.push(format!("{}:{line}: {problem}", rel(&page)));
        }
    }
    assert!(
        problems.is_empty(),
        "`$` lines that do not run as shown from the repository root:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_dollar_check_catches_bare_binaries_unbuilt_targets_and_unknown_tools() {
    let ws = workspace();
    let page = "```console\n\
        $ tcp-single-server 127.0.0.1:0\n\
        $ target/debug/tcp-single-client hi\n\
        $ frobnicate --all\n\
        $ python3 lessons/tutorial/nope.py\n\
        $ cargo run -- hi\n\
        ```\n\
        ```console\n\
        $ cargo build -p tcp-single\n\
        $ target/debug/tcp-single-client hi | grep hi && ss -tlnp 2>&1 # fine\n\
        $ sudo strace -f -e trace=network target/debug/tcp-single-server\n\
        $ target/release/tcp-single-server\n\
        ```\n\
        ```console\n\
        $ cargo run --release --bin chat-server -- --bin x\n\
        ```\n\
        ```console\n\
        $ target/release/chat-server 127.0.0.1:0\n\
        ```\n\
        ```text\n\
        $ tcp-single-server   (a transcript, not a command)\n\
        ```\n";
    let found: Vec<usize> = dollar_problems(page, &ws, &[])
        .into_iter()
        .map(|(line, _)| line)
        .collect();
    assert_eq!(found, [2, 3, 4, 5, 6, 12]);
}

#[test]
fn shell_words_split_commands_and_keep_redirections() {
    let words = shell_words("ss -tan | grep 9999 && echo 'a b' 2>&1 # note");
    assert_eq!(
        words,
        [
            "ss", "-tan", "|", "grep", "9999", "&&", "echo", "a b", "2>&1"
        ]
    );
    let words = shell_words("cargo run --bin x -- hi &");
    assert_eq!(words, ["cargo", "run", "--bin", "x", "--", "hi", "&"]);
}
