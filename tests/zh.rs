//! The Chinese book keeps in step with the English one.
//!
//! The pairs: `lessons/X.md` and `lessons/zh/X.md` for every page that
//! `lessons/zh/SUMMARY.md` lists (and `404.md`), `README.md` and
//! `README.zh.md`. For each pair:
//!
//! - the same headings (`#`, `##`, `###`, ...), in the same order, at the
//!   same levels: section N of the translation translates section N of the
//!   original;
//! - the same fenced code blocks, byte for byte, in the same sections: code,
//!   commands, program output and identifiers are never translated (only a
//!   shell comment, after `#`, may be); so the same `$` commands;
//! - the same `<!-- from ... -->` and `<!-- diff ... -->` quote markers
//!   (`UPDATE_LESSONS=1 cargo test --test lessons` refreshes the quotes on
//!   both pages), and as many table rows per section;
//! - each translated section carries, on the line after its heading, a
//!   marker `<!-- en: HASH zh: HASH -->`: a hash of the English section's
//!   prose it translates, and of its own. When the English prose changes,
//!   the check fails, naming the page and the section, and shows what
//!   changed (found in git's history by that hash);
//! - a link to an English page that has a Chinese page links the Chinese
//!   page.
//!
//! `lessons/zh/SUMMARY.md` lists the translated pages, in the English
//! order; an English page not listed there is "not yet translated" (listed
//! with `cargo test --test zh -- --nocapture`), and the book shows a page
//! saying so. Once listed, its page must keep every rule above.
//!
//! After translating a section, or updating a translation after the English
//! changed: `UPDATE_ZH_MARKERS=1 cargo test --test zh` writes the markers. It
//! refreshes a stale marker only when the Chinese text changed since the
//! marker was set: a marker says "this Chinese text translates that English
//! text", and only a person can say that. When an English change needs no
//! change in Chinese (a typo fixed), `UPDATE_ZH_MARKERS=checked` refreshes
//! it anyway. The workflow is in lessons/about.md, last section.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const UPDATE_HINT: &str = "UPDATE_ZH_MARKERS=1 cargo test --test zh";

// ---------------------------------------------------------------------------
// Sections, blocks, markers

/// FNV-1a, 64 bits: small, std only, and stable across Rust versions (std's
/// `DefaultHasher` is not promised to be).
fn fnv1a(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// A fenced code block.
#[derive(Debug, Clone, PartialEq)]
struct Block {
    /// 1-based line of its opening fence.
    line: usize,
    /// The opening fence's info string (`console`, `rust`, ...).
    info: String,
    lines: Vec<String>,
}

/// `<!-- en: HASH zh: HASH -->`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Marker {
    en: u64,
    zh: u64,
}

impl Marker {
    fn line(&self) -> String {
        format!("<!-- en: {:016x} zh: {:016x} -->", self.en, self.zh)
    }

    fn parse(line: &str) -> Option<Marker> {
        let inner = line
            .trim()
            .strip_prefix("<!--")?
            .strip_suffix("-->")?
            .trim();
        let rest = inner.strip_prefix("en:")?.trim_start();
        let (en, rest) = rest.split_once(char::is_whitespace)?;
        let zh = rest.trim().strip_prefix("zh:")?.trim();
        Some(Marker {
            en: u64::from_str_radix(en, 16).ok()?,
            zh: u64::from_str_radix(zh, 16).ok()?,
        })
    }
}

fn is_marker_line(line: &str) -> bool {
    line.trim().starts_with("<!-- en:")
}

/// `<!-- from ... -->` or `<!-- diff ... -->`.
fn quote_marker(line: &str) -> Option<&str> {
    let inner = line
        .trim()
        .strip_prefix("<!--")?
        .strip_suffix("-->")?
        .trim();
    (inner.starts_with("from ") || inner.starts_with("diff ")).then_some(inner)
}

/// The part of the page from one heading to the next.
#[derive(Debug, Clone)]
struct Section {
    /// 0 for the text above the first heading.
    level: usize,
    /// The heading as written (`## Run it`); empty for the top.
    heading: String,
    /// 1-based line of the heading (of the page's first line for the top).
    line: usize,
    /// The marker on the line after the heading (the first line, for the
    /// top), if any.
    marker: Option<Marker>,
    /// The section's lines, heading included.
    raw: Vec<String>,
    blocks: Vec<Block>,
    quotes: Vec<String>,
    table_rows: usize,
    /// The text the hash covers: the heading and the prose, and the
    /// comments of shell blocks, whitespace folded; no code, no markers.
    prose: String,
}

impl Section {
    fn hash(&self) -> u64 {
        fnv1a(&self.prose)
    }

    fn name(&self) -> String {
        if self.level == 0 {
            "(the top of the page)".into()
        } else {
            self.heading.clone()
        }
    }

    /// Whether it holds anything but blank lines.
    fn is_empty(&self) -> bool {
        self.level == 0 && self.raw.iter().all(|l| l.trim().is_empty())
    }
}

/// An ATX heading's level: `## x` is 2.
fn heading_level(line: &str) -> Option<usize> {
    let hashes = line.bytes().take_while(|&b| b == b'#').count();
    let rest = &line[hashes..];
    ((1..=6).contains(&hashes) && (rest.is_empty() || rest.starts_with(' '))).then_some(hashes)
}

/// A fence's character and length, if `line` opens or closes one.
fn fence(line: &str) -> Option<(char, usize)> {
    let trimmed = line.trim_start();
    if line.len() - trimmed.len() > 3 {
        return None;
    }
    let c = trimmed.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let n = trimmed.chars().take_while(|&x| x == c).count();
    (n >= 3).then_some((c, n))
}

/// Languages whose blocks are shell command lines, where a comment after
/// `#` is prose (and may be translated).
fn is_shell(info: &str) -> bool {
    let lang = info.split([',', ' ']).next().unwrap_or("").trim();
    matches!(lang, "console" | "sh" | "bash" | "shell" | "zsh")
}

/// A shell line split into its code and its comment (from a `#` that
/// starts a word, outside quotes). In a `console` block a line starting
/// with `#` is output (a root prompt, a listing), not a comment.
fn split_comment(line: &str, info: &str) -> (String, Option<String>) {
    let lang = info.split([',', ' ']).next().unwrap_or("").trim();
    let mut quote: Option<char> = None;
    let mut prev: Option<char> = None;
    for (at, c) in line.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '#') => {
                let starts_word = match prev {
                    None => lang != "console",
                    Some(p) => p.is_whitespace(),
                };
                if starts_word {
                    return (
                        line[..at].trim_end().to_string(),
                        Some(line[at..].to_string()),
                    );
                }
            }
            _ => {}
        }
        prev = Some(c);
    }
    (line.trim_end().to_string(), None)
}

/// A block as the two books must share it: with shell comments left out.
fn shared_lines(block: &Block) -> Vec<String> {
    if is_shell(&block.info) {
        block
            .lines
            .iter()
            .map(|l| split_comment(l, &block.info).0)
            .collect()
    } else {
        block.lines.clone()
    }
}

/// The page cut into sections at its headings. The first section is the
/// text above the first heading (often empty).
fn sections(text: &str) -> Vec<Section> {
    let mut out = vec![Section {
        level: 0,
        heading: String::new(),
        line: 1,
        marker: None,
        raw: Vec::new(),
        blocks: Vec::new(),
        quotes: Vec::new(),
        table_rows: 0,
        prose: String::new(),
    }];
    let mut words: Vec<Vec<String>> = vec![Vec::new()];
    let mut open: Option<((char, usize), Block)> = None;
    let lines: Vec<&str> = text.lines().collect();
    for (n, &line) in lines.iter().enumerate() {
        if let Some(((c, len), block)) = &mut open {
            match fence(line) {
                Some((c2, len2)) if c2 == *c && len2 >= *len && line.trim()[len2..].is_empty() => {
                    let done = block.clone();
                    open = None;
                    let section = out.last_mut().expect("a section");
                    section.raw.push(line.to_string());
                    if is_shell(&done.info) {
                        for l in &done.lines {
                            if let (_, Some(comment)) = split_comment(l, &done.info) {
                                words.last_mut().expect("words").push(comment);
                            }
                        }
                    }
                    section.blocks.push(done);
                }
                _ => {
                    block.lines.push(line.to_string());
                    out.last_mut()
                        .expect("a section")
                        .raw
                        .push(line.to_string());
                }
            }
            continue;
        }
        if let Some(f) = fence(line) {
            let info = line.trim()[f.1..].trim().to_string();
            open = Some((
                f,
                Block {
                    line: n + 1,
                    info,
                    lines: Vec::new(),
                },
            ));
            out.last_mut()
                .expect("a section")
                .raw
                .push(line.to_string());
            continue;
        }
        if let Some(level) = heading_level(line) {
            let marker = lines.get(n + 1).and_then(|next| Marker::parse(next));
            out.push(Section {
                level,
                heading: line.trim_end().to_string(),
                line: n + 1,
                marker,
                raw: vec![line.to_string()],
                blocks: Vec::new(),
                quotes: Vec::new(),
                table_rows: 0,
                prose: String::new(),
            });
            words.push(vec![line.to_string()]);
            continue;
        }
        let section = out.last_mut().expect("a section");
        section.raw.push(line.to_string());
        if is_marker_line(line) {
            if section.level == 0 && n == 0 {
                section.marker = Marker::parse(line);
            }
            continue;
        }
        if let Some(quote) = quote_marker(line) {
            section.quotes.push(quote.to_string());
            continue;
        }
        if line.trim_start().starts_with('|') {
            section.table_rows += 1;
        }
        words.last_mut().expect("words").push(line.to_string());
    }
    for (section, words) in out.iter_mut().zip(words) {
        section.prose = words
            .iter()
            .flat_map(|l| l.split_whitespace())
            .collect::<Vec<_>>()
            .join(" ");
    }
    out
}

/// The sections that are compared: the top only when it holds something.
fn compared(text: &str) -> Vec<Section> {
    let mut all = sections(text);
    if all.first().is_some_and(Section::is_empty) {
        all.remove(0);
    }
    all
}

// ---------------------------------------------------------------------------
// Comparing a page with its translation

/// The two pages of a pair, by name (`lessons/05-framing.md`) and text.
struct Pair<'a> {
    en_name: &'a str,
    en: &'a str,
    zh_name: &'a str,
    zh: &'a str,
}

/// Where the headings of a pair stop matching, if they do.
fn heading_problem(pair: &Pair, en: &[Section], zh: &[Section]) -> Option<String> {
    let outline = |s: &[Section]| -> Vec<String> { s.iter().map(Section::name).collect() };
    for (i, (e, z)) in en.iter().zip(zh).enumerate() {
        if e.level != z.level {
            return Some(format!(
                "{}:{}: heading {} is `{}` (level {}), where {}:{} has `{}` (level {}): the two pages must have the same headings, in the same order, at the same levels",
                pair.zh_name,
                z.line,
                i + 1,
                z.name(),
                z.level,
                pair.en_name,
                e.line,
                e.name(),
                e.level
            ));
        }
    }
    if en.len() != zh.len() {
        let (more, fewer) = if zh.len() > en.len() {
            (pair.zh_name, pair.en_name)
        } else {
            (pair.en_name, pair.zh_name)
        };
        let k = en.len().min(zh.len());
        let extra = if zh.len() > en.len() { &zh[k] } else { &en[k] };
        return Some(format!(
            "{more} has {} sections, {fewer} {}: the first one {fewer} lacks is `{}` ({more}:{}). English outline: [{}]",
            en.len().max(zh.len()),
            en.len().min(zh.len()),
            extra.name(),
            extra.line,
            outline(en).join(", ")
        ));
    }
    None
}

/// What differs between two sections' blocks, quote markers and tables.
fn content_problems(pair: &Pair, e: &Section, z: &Section) -> Vec<String> {
    let mut problems = Vec::new();
    let place = format!("{}, section '{}' (line {})", pair.zh_name, z.name(), z.line);
    if e.blocks.len() != z.blocks.len() {
        problems.push(format!(
            "{place}: {} code blocks, where {} '{}' has {}: every code block of the English section, and no other, in the same order",
            z.blocks.len(),
            pair.en_name,
            e.name(),
            e.blocks.len()
        ));
    } else {
        for (eb, zb) in e.blocks.iter().zip(&z.blocks) {
            if eb.info != zb.info {
                problems.push(format!(
                    "{}:{}: the code block opens with ```{} where {}:{} opens with ```{}",
                    pair.zh_name, zb.line, zb.info, pair.en_name, eb.line, eb.info
                ));
                continue;
            }
            let (el, zl) = (shared_lines(eb), shared_lines(zb));
            if el != zl {
                let k = el.iter().zip(&zl).take_while(|(a, b)| a == b).count();
                let show = |l: &[String]| l.get(k).map_or("(nothing)".into(), |x| format!("`{x}`"));
                problems.push(format!(
                    "{}:{}: this code block differs from {}:{}: code, commands and program output are never translated (only a shell comment after `#` may be); copy the English block. First difference, line {} of the block: English {}, here {}",
                    pair.zh_name,
                    zb.line,
                    pair.en_name,
                    eb.line,
                    k + 1,
                    show(&el),
                    show(&zl)
                ));
            }
        }
    }
    if e.quotes != z.quotes {
        problems.push(format!(
            "{place}: quote markers {:?}, where {} '{}' has {:?}: the same `<!-- from -->` and `<!-- diff -->` lines, in the same order",
            z.quotes,
            pair.en_name,
            e.name(),
            e.quotes
        ));
    }
    if e.table_rows != z.table_rows {
        problems.push(format!(
            "{place}: {} table lines, where {} '{}' has {}: translate every row, add none",
            z.table_rows,
            pair.en_name,
            e.name(),
            e.table_rows
        ));
    }
    problems
}

/// How stale markers are treated when markers are written.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Update {
    /// Only check.
    No,
    /// `UPDATE_ZH_MARKERS=1`: write missing markers; refresh a stale one
    /// only where the Chinese text changed since it was set.
    Translated,
    /// `UPDATE_ZH_MARKERS=checked`: refresh stale markers even where the
    /// Chinese did not change (a person checked it still says the same).
    Checked,
}

/// What comparing one pair found, and its translation with markers
/// written (when asked to).
#[derive(Debug, Default)]
struct Outcome {
    problems: Vec<String>,
    /// Sections whose English changed since their translation: (zh section
    /// index, English section index, old English hash), for the report
    /// from git's history.
    stale: Vec<(usize, u64)>,
    /// The translation with markers written, if any were.
    updated: Option<String>,
    /// What was written, for the person who asked.
    done: Vec<String>,
}

/// Compares a page with its translation, section by section; with `update`,
/// also writes the markers.
fn compare(pair: &Pair, update: Update) -> Outcome {
    let mut outcome = Outcome::default();
    let en = compared(pair.en);
    let zh = compared(pair.zh);
    if let Some(problem) = heading_problem(pair, &en, &zh) {
        outcome.problems.push(problem);
        return outcome;
    }
    // Markers to write: after the heading on the zh line (0-based) of the
    // key, or at the top of the page for the top section (`None`); with
    // whether an old marker is there to be replaced.
    let mut writes: BTreeMap<Option<usize>, (bool, Marker)> = BTreeMap::new();
    for (i, (e, z)) in en.iter().zip(&zh).enumerate() {
        outcome.problems.extend(content_problems(pair, e, z));
        let now = Marker {
            en: e.hash(),
            zh: z.hash(),
        };
        let place = format!("{}, section '{}' (line {})", pair.zh_name, z.name(), z.line);
        let heading_line = (z.level > 0).then(|| z.line - 1);
        let replaces = z.marker.is_some();
        match z.marker {
            None if update != Update::No => {
                writes.insert(heading_line, (replaces, now));
                outcome.done.push(format!(
                    "{place}: marker added: {}",
                    now.line()
                ));
            }
            None => outcome.problems.push(format!(
                "{place}: no marker: once the section is translated, put `{}` {} ({UPDATE_HINT} does it)",
                now.line(),
                if z.level == 0 {
                    "on the first line of the page"
                } else {
                    "on the line after its heading"
                }
            )),
            Some(m) if m.en == now.en && m.zh == now.zh => {}
            Some(m) if m.en == now.en => {
                if update == Update::No {
                    outcome.problems.push(format!(
                        "{place} was edited after its marker was set: if it translates {} '{}' as it is now, record it: {UPDATE_HINT}",
                        pair.en_name,
                        e.name()
                    ));
                } else {
                    writes.insert(heading_line, (replaces, now));
                    outcome
                        .done
                        .push(format!("{place}: marker recorded: {}", now.line()));
                }
            }
            Some(m) => {
                let translated = m.zh != now.zh;
                if update == Update::Checked || (update == Update::Translated && translated) {
                    writes.insert(heading_line, (replaces, now));
                    outcome
                        .done
                        .push(format!("{place}: marker refreshed: {}", now.line()));
                    continue;
                }
                let mut problem = format!(
                    "{place} follows an older version of {} '{}' (line {}): update the translation, then its marker ({UPDATE_HINT})",
                    pair.en_name,
                    e.name(),
                    e.line
                );
                if update == Update::Translated {
                    problem.push_str(
                        "; not refreshed: its Chinese text has not changed since the marker was set. If the English change needs no change in Chinese (a typo fixed), UPDATE_ZH_MARKERS=checked refreshes it anyway",
                    );
                }
                outcome.problems.push(problem);
                outcome.stale.push((i, m.en));
            }
        }
    }
    if !writes.is_empty() {
        let mut out: Vec<String> = Vec::new();
        // The top section's marker is the page's first line.
        if let Some((_, marker)) = writes.get(&None) {
            out.push(marker.line());
        }
        let skip_first = writes.get(&None).is_some_and(|(r, _)| *r);
        for (n, line) in pair.zh.lines().enumerate() {
            let replaced = if n == 0 {
                skip_first
            } else {
                writes.get(&Some(n - 1)).is_some_and(|(r, _)| *r)
            };
            if replaced {
                continue;
            }
            out.push(line.to_string());
            if let Some((_, marker)) = writes.get(&Some(n)) {
                out.push(marker.line());
            }
        }
        let mut text = out.join("\n");
        if pair.zh.ends_with('\n') {
            text.push('\n');
        }
        outcome.updated = Some(text);
    }
    outcome
}

// ---------------------------------------------------------------------------
// Links: from a Chinese page, to the Chinese page where there is one

/// The page a relative link reaches, from the page `from` (both relative to
/// the repository root), with its fragment.
fn resolve(from: &str, target: &str) -> Option<(String, Option<String>)> {
    if target.contains("://") || target.starts_with("mailto:") || target.starts_with('/') {
        return None;
    }
    let target = target.split_whitespace().next()?;
    let (path, fragment) = match target.split_once('#') {
        Some((p, f)) => (p, Some(f.to_string())),
        None => (target, None),
    };
    if path.is_empty() {
        return None;
    }
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for part in path.split('/') {
        match part {
            "." | "" => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some((parts.join("/"), fragment))
}

/// The link from `from` to `to`, both relative to the repository root.
fn relative_link(from: &str, to: &str) -> String {
    let from_dirs: Vec<&str> = from.split('/').collect::<Vec<_>>();
    let from_dirs = &from_dirs[..from_dirs.len() - 1];
    let to_parts: Vec<&str> = to.split('/').collect();
    let shared = from_dirs
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut link = "../".repeat(from_dirs.len() - shared);
    link.push_str(&to_parts[shared..].join("/"));
    link
}

/// The id a heading gets (as mdBook and the code host make them).
fn heading_id(heading: &str) -> String {
    heading
        .trim_start_matches('#')
        .trim()
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
        .collect()
}

/// Links of a page outside code: (line, target).
fn links(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut in_code: Option<(char, usize)> = None;
    for (n, line) in text.lines().enumerate() {
        if let Some(f) = fence(line) {
            match in_code {
                None => in_code = Some(f),
                Some((c, len)) if f.0 == c && f.1 >= len => in_code = None,
                _ => {}
            }
            continue;
        }
        if in_code.is_some() {
            continue;
        }
        // Inline code is an example, not a link.
        let mut plain = String::new();
        let mut in_span = false;
        for c in line.chars() {
            if c == '`' {
                in_span = !in_span;
            }
            plain.push(if in_span { ' ' } else { c });
        }
        let mut rest = plain.as_str();
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

/// The translated pages: English page → (Chinese page, both texts).
type Translated = BTreeMap<String, (String, String, String)>;

/// A Chinese page's links to English pages that have a Chinese page.
fn link_problems(zh_name: &str, zh: &str, translated: &Translated) -> Vec<String> {
    let mut problems = Vec::new();
    for (line, target) in links(zh) {
        let Some((page, fragment)) = resolve(zh_name, &target) else {
            continue;
        };
        let Some((zh_page, en_text, zh_text)) = translated.get(&page) else {
            continue;
        };
        // A page's link to its own original is the language switch.
        if zh_page == zh_name {
            continue;
        }
        let mut better = relative_link(zh_name, zh_page);
        if let Some(fragment) = &fragment {
            let en_ids: Vec<String> = compared(en_text)
                .iter()
                .map(|s| heading_id(&s.heading))
                .collect();
            let zh_ids: Vec<String> = compared(zh_text)
                .iter()
                .map(|s| heading_id(&s.heading))
                .collect();
            match en_ids.iter().position(|id| id == fragment) {
                Some(i) if i < zh_ids.len() => {
                    better.push('#');
                    better.push_str(&zh_ids[i]);
                }
                _ => {
                    better.push_str("#...");
                }
            }
        }
        problems.push(format!(
            "{zh_name}:{line}: links to `{target}`, the English page, which has a Chinese page: link `{better}`"
        ));
    }
    problems
}

// ---------------------------------------------------------------------------
// The tables of contents

/// Where a page is listed: a numbered chapter (a list item, `- [..](..)`)
/// or not (before or after the numbered ones: the order says which).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Part {
    Numbered,
    Unnumbered,
}

/// The pages a `SUMMARY.md` lists, in order, with their part.
fn summary(text: &str) -> Vec<(Part, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        let (listed, rest) = match t.strip_prefix("- ").or_else(|| t.strip_prefix("* ")) {
            Some(rest) => (true, rest.trim_start()),
            None => (false, t),
        };
        let Some(rest) = rest.strip_prefix('[') else {
            continue;
        };
        let Some(close) = rest.find("](") else {
            continue;
        };
        let after = &rest[close + 2..];
        let Some(end) = after.find(')') else {
            continue;
        };
        let path = after[..end].trim().to_string();
        if path.is_empty() {
            continue;
        }
        let part = if listed {
            Part::Numbered
        } else {
            Part::Unnumbered
        };
        out.push((part, path));
    }
    out
}

/// What is wrong with the Chinese table of contents, given the English
/// one; and the English pages not translated yet.
fn summary_problems(en: &str, zh: &str) -> (Vec<String>, Vec<String>) {
    let en = summary(en);
    let zh = summary(zh);
    let mut problems = Vec::new();
    let listed: BTreeSet<&String> = zh.iter().map(|(_, p)| p).collect();
    let expected: Vec<&(Part, String)> = en.iter().filter(|(_, p)| listed.contains(p)).collect();
    for (part, path) in &zh {
        match en.iter().find(|(_, p)| p == path) {
            None => problems.push(format!(
                "lessons/zh/SUMMARY.md lists `{path}`, which lessons/SUMMARY.md does not: the Chinese book has the English book's pages, translated"
            )),
            Some((en_part, _)) if en_part != part => problems.push(format!(
                "lessons/zh/SUMMARY.md lists `{path}` as {part:?}, lessons/SUMMARY.md as {en_part:?}: put it where the English one is"
            )),
            Some(_) => {}
        }
    }
    let zh_order: Vec<&String> = zh.iter().map(|(_, p)| p).collect();
    let en_order: Vec<&String> = expected.iter().map(|(_, p)| p).collect();
    if problems.is_empty() && zh_order != en_order {
        problems.push(format!(
            "lessons/zh/SUMMARY.md lists its pages in the order {zh_order:?}; lessons/SUMMARY.md's order is {en_order:?}"
        ));
    }
    let untranslated = en
        .iter()
        .filter(|(_, p)| !listed.contains(p))
        .map(|(_, p)| format!("lessons/{p}"))
        .collect();
    (problems, untranslated)
}

// ---------------------------------------------------------------------------
// The history of an English section, for the report

/// The English section as it was when the marker was set, found in git's
/// history by its hash, and the diff to now: (commit, diff).
fn what_changed(en_name: &str, index: usize, old_hash: u64) -> Option<(String, String)> {
    let log = Command::new("git")
        .args(["log", "--format=%h", "-n", "200", "--", en_name])
        .current_dir(root())
        .output()
        .ok()?;
    let now = compared(&fs::read_to_string(root().join(en_name)).ok()?);
    let current = now.get(index)?;
    for commit in String::from_utf8_lossy(&log.stdout).lines() {
        let show = Command::new("git")
            .args(["show", &format!("{commit}:{en_name}")])
            .current_dir(root())
            .output()
            .ok()?;
        if !show.status.success() {
            continue;
        }
        let then = compared(&String::from_utf8_lossy(&show.stdout));
        let Some(old) = then.iter().find(|s| s.hash() == old_hash) else {
            continue;
        };
        let dir = std::env::temp_dir().join(format!("zh-check-{}", std::process::id()));
        fs::create_dir_all(&dir).ok()?;
        let (a, b) = (dir.join("then"), dir.join("now"));
        fs::write(&a, old.raw.join("\n") + "\n").ok()?;
        fs::write(&b, current.raw.join("\n") + "\n").ok()?;
        let diff = Command::new("diff")
            .args([
                "-u",
                "--label",
                &format!("{en_name} ({commit})"),
                "--label",
                &format!("{en_name} (now)"),
            ])
            .args([&a, &b])
            .output()
            .ok()?;
        let _ = fs::remove_dir_all(&dir);
        return Some((
            commit.to_string(),
            String::from_utf8_lossy(&diff.stdout).into_owned(),
        ));
    }
    None
}

// ---------------------------------------------------------------------------
// The check

fn read(rel: &str) -> Option<String> {
    fs::read_to_string(root().join(rel)).ok()
}

/// The pairs to compare: (English page, Chinese page), relative to the root.
fn pairs(zh_summary: &str) -> Vec<(String, String)> {
    let mut pairs = vec![("README.md".to_string(), "README.zh.md".to_string())];
    for (_, path) in summary(zh_summary) {
        pairs.push((format!("lessons/{path}"), format!("lessons/zh/{path}")));
    }
    pairs.push(("lessons/404.md".into(), "lessons/zh/404.md".into()));
    pairs
}

#[test]
fn the_chinese_book_lists_translated_pages_in_the_english_order() {
    let en = read("lessons/SUMMARY.md").expect("lessons/SUMMARY.md");
    let Some(zh) = read("lessons/zh/SUMMARY.md") else {
        panic!("lessons/zh/SUMMARY.md is missing: it is the Chinese book's table of contents");
    };
    let (mut problems, untranslated) = summary_problems(&en, &zh);
    // Every Chinese page is listed (a page in progress stays out of the
    // repository until it is whole).
    let listed: BTreeSet<String> = summary(&zh).into_iter().map(|(_, p)| p).collect();
    for entry in fs::read_dir(root().join("lessons/zh"))
        .expect("lessons/zh")
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".md")
            && name != "SUMMARY.md"
            && name != "404.md"
            && !listed.contains(&name)
        {
            problems.push(format!(
                "lessons/zh/{name} is not listed in lessons/zh/SUMMARY.md: list it where lessons/SUMMARY.md lists {name}"
            ));
        }
    }
    for name in &listed {
        if !root().join("lessons/zh").join(name).is_file() {
            problems.push(format!(
                "lessons/zh/SUMMARY.md lists `{name}`, but there is no lessons/zh/{name}"
            ));
        }
    }
    eprintln!(
        "not yet translated ({}): {}",
        untranslated.len(),
        untranslated.join(", ")
    );
    assert!(
        problems.is_empty(),
        "the Chinese table of contents:\n{}\n(not yet translated: {})",
        problems.join("\n"),
        untranslated.join(", ")
    );
}

#[test]
fn every_chinese_page_keeps_in_step_with_its_english_page() {
    let update = match std::env::var("UPDATE_ZH_MARKERS").as_deref() {
        Ok("checked") => Update::Checked,
        Ok(_) => Update::Translated,
        Err(_) => Update::No,
    };
    let zh_summary = read("lessons/zh/SUMMARY.md").unwrap_or_default();
    let pairs = pairs(&zh_summary);
    let mut translated: Translated = BTreeMap::new();
    for (en, zh) in &pairs {
        if let (Some(en_text), Some(zh_text)) = (read(en), read(zh)) {
            translated.insert(en.clone(), (zh.clone(), en_text, zh_text));
        }
    }
    let mut problems = Vec::new();
    for (en_name, zh_name) in &pairs {
        let Some((_, en, zh)) = translated.get(en_name) else {
            problems.push(format!(
                "{zh_name} is missing (the Chinese page of {en_name})"
            ));
            continue;
        };
        let pair = Pair {
            en_name,
            en,
            zh_name,
            zh,
        };
        let outcome = compare(&pair, update);
        for done in &outcome.done {
            eprintln!("{done}");
        }
        if let Some(text) = &outcome.updated {
            fs::write(root().join(zh_name), text)
                .unwrap_or_else(|e| panic!("cannot write {zh_name}: {e}"));
        }
        let mut stale = outcome.stale.iter();
        for problem in outcome.problems {
            let mut problem = problem;
            if problem.contains("follows an older version")
                && let Some((index, old)) = stale.next()
            {
                match what_changed(en_name, *index, *old) {
                    Some((commit, diff)) => {
                        problem.push_str(&format!(
                            "\n    what changed in {en_name} since the translation (as of commit {commit}):\n"
                        ));
                        for line in diff.lines().take(60) {
                            problem.push_str("    ");
                            problem.push_str(line);
                            problem.push('\n');
                        }
                    }
                    None => problem.push_str(&format!(
                        "\n    (the English text it was translated from is not in the last 200 commits: `git log -p -- {en_name}` shows the changes)"
                    )),
                }
            }
            problems.push(problem);
        }
        problems.extend(link_problems(zh_name, zh, &translated));
    }
    assert!(
        problems.is_empty(),
        "the Chinese pages do not follow the English ones:\n{}",
        problems.join("\n")
    );
}

// ---------------------------------------------------------------------------
// The check, checked on sample pages

const EN: &str = "# Stage 5: framing

**You build:** a framed echo.

## Run it

Two terminals. The server first:

```console
$ cargo run --bin framing-server      # terminal 1
listening on 127.0.0.1:8998
```

### Watch it

<!-- from crates/05-framing/src/lib.rs:read_frame -->
```rust
fn read_frame() {}
```

| you do | you see |
|---|---|
| a | b |
";

/// The sample's translation, markers computed for `EN`.
fn zh_for(en: &str) -> String {
    let zh = "# 第 5 阶段：分帧

**你要写的：** 一个分帧的回显服务。

## 运行

开两个终端，先启动服务端：

```console
$ cargo run --bin framing-server      # 终端 1
listening on 127.0.0.1:8998
```

### 看一看

<!-- from crates/05-framing/src/lib.rs:read_frame -->
```rust
fn read_frame() {}
```

| 你做 | 你看到 |
|---|---|
| a | b |
";
    let pair = Pair {
        en_name: "lessons/05-framing.md",
        en,
        zh_name: "lessons/zh/05-framing.md",
        zh,
    };
    compare(&pair, Update::Translated)
        .updated
        .expect("markers written")
}

fn check(en: &str, zh: &str, update: Update) -> Outcome {
    compare(
        &Pair {
            en_name: "lessons/05-framing.md",
            en,
            zh_name: "lessons/zh/05-framing.md",
            zh,
        },
        update,
    )
}

#[test]
fn a_translation_with_its_markers_passes() {
    let zh = zh_for(EN);
    assert_eq!(zh.matches("<!-- en: ").count(), 3, "{zh}");
    assert!(zh.contains("## 运行\n<!-- en: "), "{zh}");
    let outcome = check(EN, &zh, Update::No);
    assert!(outcome.problems.is_empty(), "{:?}", outcome.problems);
    // Rewrapping the English prose is no change.
    let rewrapped = EN.replace(
        "Two terminals. The server first:",
        "Two terminals.\nThe server   first:",
    );
    assert!(check(&rewrapped, &zh, Update::No).problems.is_empty());
    // Nor is a change in a code block (the quote refresh does it on both pages).
    let zh_code = zh.replace("fn read_frame() {}", "fn read_frame() { 1 }");
    let en_code = EN.replace("fn read_frame() {}", "fn read_frame() { 1 }");
    assert!(check(&en_code, &zh_code, Update::No).problems.is_empty());
}

#[test]
fn a_drifted_section_fails_naming_the_page_and_the_section() {
    let zh = zh_for(EN);
    let drifted = EN.replace("Two terminals.", "Two terminals, side by side.");
    let outcome = check(&drifted, &zh, Update::No);
    assert_eq!(
        outcome.problems,
        [
            "lessons/zh/05-framing.md, section '## 运行' (line 6) follows an older version of lessons/05-framing.md '## Run it' (line 5): update the translation, then its marker (UPDATE_ZH_MARKERS=1 cargo test --test zh)"
        ]
    );
    // A changed English shell comment is a change of prose too.
    let comment = EN.replace("# terminal 1", "# the first terminal");
    let outcome = check(&comment, &zh, Update::No);
    assert_eq!(outcome.problems.len(), 1, "{:?}", outcome.problems);
    assert!(outcome.problems[0].contains("'## 运行'"));
}

#[test]
fn a_stale_marker_is_refreshed_only_after_the_chinese_changed() {
    let zh = zh_for(EN);
    let drifted = EN.replace("Two terminals.", "Two terminals, side by side.");
    // Nobody touched the translation: the marker stays, the check fails.
    let outcome = check(&drifted, &zh, Update::Translated);
    assert!(outcome.updated.is_none());
    assert_eq!(outcome.problems.len(), 1);
    assert!(
        outcome.problems[0].contains("not refreshed: its Chinese text has not changed"),
        "{}",
        outcome.problems[0]
    );
    // The translator follows the English: now the marker is refreshed.
    let followed = zh.replace("开两个终端，", "并排开两个终端，");
    let outcome = check(&drifted, &followed, Update::Translated);
    let updated = outcome.updated.expect("the marker refreshed");
    assert_eq!(outcome.done.len(), 1, "{:?}", outcome.done);
    assert!(check(&drifted, &updated, Update::No).problems.is_empty());
    assert_eq!(updated.lines().count(), zh.lines().count());
    // A person checked that the Chinese needs no change: `checked`.
    let outcome = check(&drifted, &zh, Update::Checked);
    assert!(
        check(&drifted, &outcome.updated.expect("refreshed"), Update::No)
            .problems
            .is_empty()
    );
    // Without a marker at all, the check names the section.
    let bare: String = zh
        .lines()
        .filter(|l| !is_marker_line(l))
        .map(|l| format!("{l}\n"))
        .collect();
    let outcome = check(EN, &bare, Update::No);
    assert_eq!(outcome.problems.len(), 3, "{:?}", outcome.problems);
    assert!(
        outcome.problems[1]
            .starts_with("lessons/zh/05-framing.md, section '## 运行' (line 5): no marker")
    );
    // An edit to the Chinese alone asks for the marker to record it.
    let outcome = check(EN, &followed, Update::No);
    assert_eq!(outcome.problems.len(), 1);
    assert!(outcome.problems[0].contains("was edited after its marker was set"));
}

#[test]
fn changed_code_in_a_translation_fails() {
    let zh = zh_for(EN);
    let translated_output = zh.replace("listening on 127.0.0.1:8998", "正在监听 127.0.0.1:8998");
    let outcome = check(EN, &translated_output, Update::No);
    assert_eq!(outcome.problems.len(), 1, "{:?}", outcome.problems);
    assert!(
        outcome.problems[0].starts_with(
            "lessons/zh/05-framing.md:11: this code block differs from lessons/05-framing.md:9"
        ),
        "{}",
        outcome.problems[0]
    );
    assert!(
        outcome.problems[0]
            .contains("English `listening on 127.0.0.1:8998`, here `正在监听 127.0.0.1:8998`")
    );
    let changed_command = zh.replace("--bin framing-server", "--bin framing-client");
    assert!(!check(EN, &changed_command, Update::No).problems.is_empty());
    let dropped_quote = zh.replace(
        "<!-- from crates/05-framing/src/lib.rs:read_frame -->\n",
        "",
    );
    let problems = check(EN, &dropped_quote, Update::No).problems;
    assert!(
        problems.iter().any(|p| p.contains("quote markers")),
        "{problems:?}"
    );
    let dropped_row = zh.replace("| a | b |\n", "");
    let problems = check(EN, &dropped_row, Update::No).problems;
    assert!(
        problems
            .iter()
            .any(|p| p.contains("2 table lines, where lessons/05-framing.md '### Watch it' has 3")),
        "{problems:?}"
    );
}

#[test]
fn headings_that_do_not_follow_fail() {
    let zh = zh_for(EN);
    let demoted = zh.replace("### 看一看", "## 看一看");
    let problems = check(EN, &demoted, Update::No).problems;
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].starts_with("lessons/zh/05-framing.md:16: heading 3 is `## 看一看` (level 2), where lessons/05-framing.md:14 has `### Watch it` (level 3)"),
        "{}",
        problems[0]
    );
    let extra = EN.to_string() + "\n## Practice\n\nDo it.\n";
    let problems = check(&extra, &zh, Update::No).problems;
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].contains("the first one lessons/zh/05-framing.md lacks is `## Practice`"),
        "{}",
        problems[0]
    );
}

#[test]
fn shell_comments_may_be_translated_and_nothing_else() {
    assert_eq!(
        split_comment("$ cargo run --bin x -- 'a # b'   # terminal 2", "console"),
        (
            "$ cargo run --bin x -- 'a # b'".to_string(),
            Some("# terminal 2".to_string())
        )
    );
    assert_eq!(split_comment("# a root prompt", "console").1, None);
    assert_eq!(
        split_comment("# a comment", "sh").1,
        Some("# a comment".into())
    );
    assert_eq!(split_comment("echo ${#x}", "sh").1, None);
    let text = |b: &str| Block {
        line: 1,
        info: "text".into(),
        lines: vec![b.into()],
    };
    assert_ne!(shared_lines(&text("a # x")), shared_lines(&text("a # y")));
}

#[test]
fn links_to_english_pages_that_have_a_chinese_page_must_go_there() {
    let mut translated = Translated::new();
    translated.insert(
        "lessons/05-framing.md".into(),
        ("lessons/zh/05-framing.md".into(), EN.into(), zh_for(EN)),
    );
    let page = "See [framing](../05-framing.md#run-it), [stage 1](../01-tcp-single.md), \
                [here](05-framing.md#运行), `[code](../05-framing.md)`.\n";
    let problems = link_problems("lessons/zh/00-start-here.md", page, &translated);
    assert_eq!(
        problems,
        [
            "lessons/zh/00-start-here.md:1: links to `../05-framing.md#run-it`, the English page, which has a Chinese page: link `05-framing.md#运行`"
        ]
    );
    translated.insert(
        "README.md".into(),
        ("README.zh.md".into(), String::new(), String::new()),
    );
    let readme = link_problems(
        "README.zh.md",
        "[English](README.md) | **中文**\n[l](lessons/05-framing.md)",
        &translated,
    );
    assert_eq!(
        readme,
        [
            "README.zh.md:2: links to `lessons/05-framing.md`, the English page, which has a Chinese page: link `lessons/zh/05-framing.md`"
        ]
    );
}

#[test]
fn the_chinese_contents_follow_the_english_order_and_list_what_is_left() {
    let en = "[Start](00.md)\n\n- [One](01.md)\n- [Two](02.md)\n\n---\n\n[Tools](tools.md)\n";
    let (problems, untranslated) =
        summary_problems(en, "[开始](00.md)\n\n---\n\n[工具](tools.md)\n");
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(untranslated, ["lessons/01.md", "lessons/02.md"]);
    let (problems, _) = summary_problems(en, "- [二](02.md)\n- [一](01.md)\n");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("order"), "{problems:?}");
    let (problems, _) = summary_problems(en, "[二](02.md)\n[新](new.md)\n");
    assert_eq!(problems.len(), 2, "{problems:?}");
}

#[test]
fn the_hash_is_fnv1a() {
    // The published FNV-1a 64 test vectors.
    assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv1a("a"), 0xaf63_dc4c_8601_ec8c);
    assert_eq!(fnv1a("foobar"), 0x8594_4171_f739_67e8);
    let m = Marker { en: 1, zh: 0xabc };
    assert_eq!(
        m.line(),
        "<!-- en: 0000000000000001 zh: 0000000000000abc -->"
    );
    assert_eq!(Marker::parse(&m.line()), Some(m));
}
