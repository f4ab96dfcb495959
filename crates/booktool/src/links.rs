//! The link check over a built book: every link that stays inside the book
//! (`href` or `src`, with or without a `#fragment`) must reach a file the
//! build wrote, and the fragment an element with that `id`.
//!
//! Links that leave the book (`https://...`, `mailto:`) are counted, not
//! followed: the check runs offline, and a reader of the book offline is
//! exactly who the internal links are for.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use crate::html::{self, Page};

/// A link that goes nowhere, and where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Dead {
    /// The page, relative to the book's folder.
    pub page: String,
    pub line: usize,
    /// The link as written in the page.
    pub link: String,
    pub why: String,
}

impl std::fmt::Display for Dead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: dead link `{}`: {}",
            self.page, self.line, self.link, self.why
        )
    }
}

/// What a check found.
#[derive(Debug, Default)]
pub struct Summary {
    pub pages: usize,
    /// Links followed (inside the book).
    pub internal: usize,
    /// Links that leave the book, not followed.
    pub external: usize,
    pub dead: Vec<Dead>,
}

/// Checks every `.html` page under `book`.
pub fn check(book: &Path) -> io::Result<Summary> {
    let mut files = Vec::new();
    collect_html(book, book, &mut files)?;
    files.sort();
    let mut pages = BTreeMap::new();
    for rel in &files {
        let text = fs::read_to_string(book.join(rel))?;
        pages.insert(rel.clone(), html::scan(&text));
    }
    let mut summary = Summary {
        pages: pages.len(),
        ..Summary::default()
    };
    for (rel, page) in &pages {
        for link in &page.links {
            match follow(book, rel, page, &link.target, &pages) {
                Followed::External => summary.external += 1,
                Followed::Fine => summary.internal += 1,
                Followed::Dead(why) => {
                    summary.internal += 1;
                    summary.dead.push(Dead {
                        page: slash(rel),
                        line: link.line,
                        link: link.target.clone(),
                        why,
                    });
                }
            }
        }
    }
    Ok(summary)
}

enum Followed {
    External,
    Fine,
    Dead(String),
}

/// Where `target`, written in the page `from` (relative to `book`), leads.
fn follow(
    book: &Path,
    from: &Path,
    page: &Page,
    target: &str,
    pages: &BTreeMap<PathBuf, Page>,
) -> Followed {
    if target.starts_with("//") || has_scheme(target) {
        return Followed::External;
    }
    let (path, fragment) = match target.split_once('#') {
        Some((path, fragment)) => (path, Some(html::percent_decode(fragment))),
        None => (target, None),
    };
    let path = path.split('?').next().unwrap_or_default();
    let path = html::percent_decode(path);
    let here = from.parent().unwrap_or(Path::new("")).to_path_buf();
    // With `<base href>`, relative links start from the base, not the page.
    let start = match &page.base {
        Some(base) if has_scheme(base) || base.starts_with("//") => return Followed::External,
        Some(base) if base.starts_with('/') => PathBuf::from(base.trim_start_matches('/')),
        Some(base) => here.join(base),
        None => here,
    };
    let dest = if path.is_empty() {
        if page.base.is_some() {
            start
        } else {
            from.to_path_buf()
        }
    } else if let Some(absolute) = path.strip_prefix('/') {
        PathBuf::from(absolute)
    } else {
        start.join(&path)
    };
    let Some(mut dest) = normalize(&dest) else {
        return Followed::Dead(
            "it climbs out of the book's folder: the book has no such file".into(),
        );
    };
    let on_disk = book.join(&dest);
    if on_disk.is_dir() {
        dest = dest.join("index.html");
    } else if !on_disk.is_file() {
        return Followed::Dead(format!("there is no file `{}` in the book", slash(&dest)));
    }
    let Some(fragment) = fragment.filter(|f| !f.is_empty()) else {
        return Followed::Fine;
    };
    match pages.get(&dest) {
        Some(target_page) if !target_page.ids.contains(&fragment) => Followed::Dead(format!(
            "`{}` has no element with id=\"{fragment}\"",
            slash(&dest)
        )),
        _ => Followed::Fine,
    }
}

/// `https:`, `mailto:`, `javascript:`: a link with a scheme leaves the book.
fn has_scheme(link: &str) -> bool {
    let Some(colon) = link.find(':') else {
        return false;
    };
    let scheme = &link[..colon];
    !scheme.is_empty()
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// `a/./b/../c` → `a/c`; `None` when `..` climbs above the start (or
/// above `/`).
pub fn normalize(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::Normal(name) => out.push(name),
            Component::RootDir | Component::Prefix(_) => out.push(part.as_os_str()),
        }
    }
    Some(out)
}

fn slash(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

fn collect_html(book: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_html(book, &path, out)?;
        } else if path.extension().is_some_and(|e| e == "html") {
            let rel = path.strip_prefix(book).unwrap_or(&path).to_path_buf();
            out.push(rel);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_leave_the_book_and_paths_normalize() {
        assert!(has_scheme("https://example.com"));
        assert!(has_scheme("mailto:a@b"));
        assert!(!has_scheme("02-tcp-loop.html#run-it"));
        assert!(!has_scheme("code/a:b.html"));
        assert_eq!(
            normalize(Path::new("a/./b/../c")),
            Some(PathBuf::from("a/c"))
        );
        assert_eq!(normalize(Path::new("../crates/x")), None);
        assert_eq!(
            normalize(Path::new("/r/l/../c")),
            Some(PathBuf::from("/r/c"))
        );
    }
}
