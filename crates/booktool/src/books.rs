//! The book and its translation, side by side.
//!
//! The English book's pages are in `lessons/`, the Chinese book's in
//! `lessons/zh/`, each with its own `book.toml` and `SUMMARY.md`. The
//! Chinese book is built into `lessons/book/zh/`, inside the English one, so
//! that a page and its translation are one fixed step apart:
//! `01-tcp-single.html` and `zh/01-tcp-single.html`. That lets the
//! preprocessor:
//!
//! - put a line at the top of every page that links the same page in the
//!   other language ([`switch_line`]);
//! - in the translation, give every page of the original that is not
//!   translated yet a page of its own, at its place in the table of
//!   contents, that says so and links the original ([`stub`]): the Chinese
//!   `SUMMARY.md` lists only the translated pages, in the original's order;
//! - in the translation, turn a link to a page of the original
//!   (`../01-tcp-single.md`, while that page is not translated) into a link
//!   to the original book's page, rather than a page showing its Markdown.
//!
//! The translation says where its original is in its `book.toml`
//! (`[preprocessor.code-pages] original = ".."`); the original finds its
//! translations as the folders beside its pages that hold a `book.toml` and a
//! `SUMMARY.md`, so the English `book.toml` needs no line about them.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Where a page is listed in a `SUMMARY.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Before the numbered list (`[Start here](00-start-here.md)`).
    Prefix,
    /// A list item (`- [Stage 1: ...](01-tcp-single.md)`).
    Numbered,
    /// After the numbered list.
    Suffix,
}

/// One line of a `SUMMARY.md` that matters here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Page {
        part: Part,
        title: String,
        /// As written, relative to the book's sources; empty for a draft.
        path: String,
    },
    /// `---`
    Separator,
}

/// The pages and separators of a `SUMMARY.md`, in order. Part titles (a `#`
/// heading after the first) and nesting are not kept: the lessons use
/// neither.
pub fn summary(text: &str) -> Vec<Item> {
    let mut items = Vec::new();
    let mut numbered_seen = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed == "---" || trimmed == "***" || trimmed == "___" {
            items.push(Item::Separator);
            continue;
        }
        let (listed, rest) = match trimmed
            .strip_prefix("- ")
            .or_else(|| trimmed.strip_prefix("* "))
        {
            Some(rest) => (true, rest.trim_start()),
            None => (false, trimmed),
        };
        let Some((title, path)) = link(rest) else {
            continue;
        };
        let part = if listed {
            numbered_seen = true;
            Part::Numbered
        } else if numbered_seen {
            Part::Suffix
        } else {
            Part::Prefix
        };
        items.push(Item::Page {
            part,
            title: title.to_string(),
            path: path.to_string(),
        });
    }
    items
}

/// `[title](path)` at the start of `text`.
fn link(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix('[')?;
    let close = rest.find("](")?;
    let title = &rest[..close];
    let after = &rest[close + 2..];
    let end = after.find(')')?;
    Some((title, after[..end].trim()))
}

/// The paths of the pages a `SUMMARY.md` lists (drafts left out).
pub fn listed(items: &[Item]) -> BTreeSet<String> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::Page { path, .. } if !path.is_empty() => Some(path.clone()),
            _ => None,
        })
        .collect()
}

/// The language's name, as its readers write it, for the link to it.
pub fn language_name(code: &str) -> &str {
    if code == "zh" || code.starts_with("zh-") || code.starts_with("zh_") {
        "中文"
    } else if code == "en" || code.starts_with("en-") || code.starts_with("en_") {
        "English"
    } else {
        code
    }
}

fn is_chinese(code: &str) -> bool {
    language_name(code) == "中文"
}

/// A translation of this book, found beside its pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translation {
    /// The folder, under the original's sources and under its built book
    /// (`zh`).
    pub folder: String,
    /// `book.language` of its `book.toml` (`zh-CN`).
    pub language: String,
    /// The original's pages it has translated: the pages its `SUMMARY.md`
    /// lists.
    pub translated: BTreeSet<String>,
}

/// The original of a translation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Original {
    /// The original's sources (where its `SUMMARY.md` is), absolute.
    pub src: PathBuf,
    /// Its `SUMMARY.md`.
    pub items: Vec<Item>,
    /// This translation's folder under the original (`zh`): the original's
    /// pages are one `../` above ours.
    pub folder: String,
    /// `book.language` of the original's `book.toml`.
    pub language: String,
}

impl Original {
    /// Whether `path` (relative to the original's sources) is a page of
    /// the original book.
    pub fn has_page(&self, path: &str) -> bool {
        listed(&self.items).contains(path)
    }
}

/// This book's language and its relations to other books.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Books {
    /// `book.language`, `en` when not given.
    pub language: String,
    /// Set when this book is a translation.
    pub original: Option<Original>,
    /// This book's translations (for the original).
    pub translations: Vec<Translation>,
}

/// `language = "..."` in the `[book]` table of a `book.toml`: a line scan,
/// enough for the files of this repository (no TOML parser in the
/// workspace).
pub fn book_language(toml: &str) -> Option<String> {
    let mut in_book = false;
    for line in toml.lines().map(str::trim) {
        if line.starts_with('[') {
            in_book = line == "[book]";
        } else if in_book
            && let Some((key, value)) = line.split_once('=')
            && key.trim() == "language"
        {
            return Some(value.trim().trim_matches('"').to_string());
        }
    }
    None
}

impl Books {
    /// For a book whose sources are `src` and whose language is `language`;
    /// `original` is the translation's setting (`..`), resolved against the
    /// book's root.
    pub fn find(src: &Path, language: &str, original: Option<PathBuf>) -> Result<Books, String> {
        let mut books = Books {
            language: language.to_string(),
            ..Books::default()
        };
        if let Some(orig_src) = original {
            let orig_src = fs::canonicalize(&orig_src).unwrap_or(orig_src);
            let toc = fs::read_to_string(orig_src.join("SUMMARY.md")).map_err(|e| {
                format!(
                    "cannot read the original book's SUMMARY.md in {}: {e}",
                    orig_src.display()
                )
            })?;
            let folder = src
                .strip_prefix(&orig_src)
                .map_err(|_| {
                    format!(
                        "a translation's pages must be in a folder under its original's ({} is not under {})",
                        src.display(),
                        orig_src.display()
                    )
                })?
                .to_string_lossy()
                .replace('\\', "/");
            let language = fs::read_to_string(orig_src.join("book.toml"))
                .ok()
                .and_then(|t| book_language(&t))
                .unwrap_or_else(|| "en".into());
            books.original = Some(Original {
                src: orig_src,
                items: summary(&toc),
                folder,
                language,
            });
            return Ok(books);
        }
        let Ok(entries) = fs::read_dir(src) else {
            return Ok(books);
        };
        let mut found: Vec<Translation> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.join("book.toml").is_file() && p.join("SUMMARY.md").is_file())
            .filter_map(|p| {
                let toml = fs::read_to_string(p.join("book.toml")).ok()?;
                let toc = fs::read_to_string(p.join("SUMMARY.md")).ok()?;
                Some(Translation {
                    folder: p.file_name()?.to_string_lossy().into_owned(),
                    language: book_language(&toml).unwrap_or_default(),
                    translated: listed(&summary(&toc)),
                })
            })
            .collect();
        found.sort_by(|a, b| a.folder.cmp(&b.folder));
        books.translations = found;
        Ok(books)
    }

    /// The line at the top of the page `path` (a chapter's path in the
    /// built book, `.md`): this page's language, then a link to the same
    /// page in each other language. `None` for a book with no other
    /// language.
    pub fn switch_line(&self, path: &str) -> Option<String> {
        let html = html_path(path);
        let up = "../".repeat(path.matches('/').count());
        let mut links = Vec::new();
        if let Some(original) = &self.original {
            links.push(format!(
                "<a href=\"{up}{}{html}\" hreflang=\"{lang}\" lang=\"{lang}\">{}</a>",
                "../".repeat(original.folder.matches('/').count() + 1),
                language_name(&original.language),
                lang = original.language,
            ));
        }
        for t in &self.translations {
            let label = if t.translated.contains(path) {
                language_name(&t.language).to_string()
            } else if is_chinese(&t.language) {
                "中文（尚未翻译）".to_string()
            } else {
                format!("{} (not translated yet)", language_name(&t.language))
            };
            links.push(format!(
                "<a href=\"{up}{}/{html}\" hreflang=\"{lang}\" lang=\"{lang}\">{label}</a>",
                t.folder,
                lang = t.language,
            ));
        }
        if links.is_empty() {
            return None;
        }
        Some(format!(
            "<div class=\"language-switch\" style=\"text-align: right\"><span lang=\"{lang}\">{}</span> · {}</div>\n\n",
            language_name(&self.language),
            links.join(" · "),
            lang = self.language,
        ))
    }

    /// The link from the page `from` (its path in this book) to the page
    /// `page` of the original (its path in the original's sources), with
    /// an optional `#fragment`.
    pub fn link_to_original(
        &self,
        from: &str,
        page: &str,
        fragment: Option<&str>,
    ) -> Option<String> {
        let original = self.original.as_ref()?;
        let up = "../".repeat(from.matches('/').count() + original.folder.matches('/').count() + 1);
        let mut link = format!("{up}{}", html_path(page));
        if let Some(fragment) = fragment {
            link.push('#');
            link.push_str(fragment);
        }
        Some(link)
    }
}

/// `a/b.md` → `a/b.html`.
pub fn html_path(md: &str) -> String {
    match md.strip_suffix(".md") {
        Some(stem) => format!("{stem}.html"),
        None => md.to_string(),
    }
}

/// The page that stands, in a translation, for a page of the original not
/// translated yet: its title, a sentence saying so and a link to the
/// original page. In the language of the translation where it is known.
pub fn stub(books: &Books, path: &str, title: &str) -> (String, String) {
    let link = books
        .link_to_original(path, path, None)
        .unwrap_or_else(|| html_path(path));
    if is_chinese(&books.language) {
        (
            format!("{title}（未翻译）"),
            format!(
                "# {title}\n\n本页还没有译成中文。请先读英文原文：[{title}]({link})。\n\n\
                 想动手翻译？做法见[本课程怎么用](about.md)最后一节。\n"
            ),
        )
    } else {
        (
            format!("{title} (not translated)"),
            format!(
                "# {title}\n\nThis page is not translated yet: read the original, [{title}]({link}).\n"
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUMMARY: &str = "# Summary\n\n[Start here](00-start-here.md)\n\n\
        - [Stage 1: one](01-one.md)\n- [Stage 2: two](02-two.md)\n- [Draft]()\n\n---\n\n\
        [Promises](promises.md)\n[Glossary](glossary.md)\n";

    #[test]
    fn a_summary_reads_as_its_parts_in_order() {
        let items = summary(SUMMARY);
        let page = |part, title: &str, path: &str| Item::Page {
            part,
            title: title.into(),
            path: path.into(),
        };
        assert_eq!(
            items,
            [
                page(Part::Prefix, "Start here", "00-start-here.md"),
                page(Part::Numbered, "Stage 1: one", "01-one.md"),
                page(Part::Numbered, "Stage 2: two", "02-two.md"),
                page(Part::Numbered, "Draft", ""),
                Item::Separator,
                page(Part::Suffix, "Promises", "promises.md"),
                page(Part::Suffix, "Glossary", "glossary.md"),
            ]
        );
        assert_eq!(listed(&items).len(), 5);
    }

    #[test]
    fn each_page_links_the_same_page_in_the_other_language() {
        let english = Books {
            language: "en".into(),
            original: None,
            translations: vec![Translation {
                folder: "zh".into(),
                language: "zh-CN".into(),
                translated: ["00-start-here.md".to_string()].into(),
            }],
        };
        let line = english.switch_line("00-start-here.md").expect("a line");
        assert!(
            line.contains(
                "<a href=\"zh/00-start-here.html\" hreflang=\"zh-CN\" lang=\"zh-CN\">中文</a>"
            ),
            "{line}"
        );
        let line = english.switch_line("01-one.md").expect("a line");
        assert!(
            line.contains("href=\"zh/01-one.html\"") && line.contains("中文（尚未翻译）"),
            "{line}"
        );
        let chinese = Books {
            language: "zh-CN".into(),
            original: Some(Original {
                src: PathBuf::from("/r/lessons"),
                items: summary(SUMMARY),
                folder: "zh".into(),
                language: "en".into(),
            }),
            translations: Vec::new(),
        };
        let line = chinese.switch_line("00-start-here.md").expect("a line");
        assert!(
            line.contains("<span lang=\"zh-CN\">中文</span> · <a href=\"../00-start-here.html\" hreflang=\"en\" lang=\"en\">English</a>"),
            "{line}"
        );
        assert_eq!(
            chinese.link_to_original("a/b.md", "01-one.md", Some("run-it")),
            Some("../../01-one.html#run-it".into())
        );
        let (name, content) = stub(&chinese, "01-one.md", "Stage 1: one");
        assert_eq!(name, "Stage 1: one（未翻译）");
        assert!(
            content.contains("[Stage 1: one](../01-one.html)"),
            "{content}"
        );
        assert_eq!(Books::default().switch_line("x.md"), None);
    }

    #[test]
    fn the_language_comes_from_the_book_table() {
        let toml =
            "[book]\ntitle = \"x\"\nlanguage = \"zh-CN\"\n[output.html]\nlanguage = \"no\"\n";
        assert_eq!(book_language(toml).as_deref(), Some("zh-CN"));
        assert_eq!(book_language("[output]\nlanguage = \"x\"\n"), None);
    }
}
