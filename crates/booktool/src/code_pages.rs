//! The `code-pages` mdBook preprocessor: links from a lesson to the
//! repository's code become links to pages of the book that show that code.
//!
//! A lesson links code relatively, `[lib.rs](../crates/03-tcp-threaded/src/lib.rs)`,
//! which a code host's Markdown view follows to the file. The built book has
//! no `crates/` folder beside it, so in the book such a link would be dead.
//! This preprocessor, run by `mdbook build`, rewrites each such link to
//! `code/crates/03-tcp-threaded/src/lib.rs.md` and adds that page to the book:
//! the file's text in a highlighted code block. A link to a folder becomes a
//! page listing the folder's files, each of which gets its own page. The
//! Markdown files themselves are not touched, so both readers follow links
//! that work.
//!
//! mdBook's protocol: it runs the command once as `CMD supports RENDERER`
//! (exit 0: yes), then as `CMD` with `[context, book]` as JSON on stdin, and
//! reads the changed book as JSON from stdout. The book is handled as plain
//! `serde_json::Value`, so fields this code does not know pass through.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::books::{self, Books, Item, Part};
use crate::links::normalize;
use crate::markdown;

/// The folder, under the book, where code pages go.
const CODE_DIR: &str = "code";

/// The words the code pages add around the code, in the book's language.
struct Chrome {
    /// The title of the chapter that holds the code pages.
    top: &'static str,
    /// Its text, above the list of pages.
    intro: &'static str,
    /// A code page's first sentence: "In [the code ...](...)".
    in_top: &'static str,
    /// ", in [FOLDER/](...)".
    in_folder: &'static str,
    /// The end of that sentence.
    as_built: &'static str,
    too_big: &'static str,
    not_text: &'static str,
    unreadable: &'static str,
}

const ENGLISH: Chrome = Chrome {
    top: "The code the lessons link",
    intro: "Every file and folder of the repository that a page of this book links to, \
            as it was when the book was built. On a code host the same links open the repository's \
            own files.",
    in_top: "In [the code the lessons link]",
    in_folder: ", in ",
    as_built: ". The repository's file as it was when this book was built.",
    too_big: "Not shown: larger than {} KiB.",
    not_text: "Not shown: not text.",
    unreadable: "Not shown: cannot read it: {}.",
};

const CHINESE: Chrome = Chrome {
    top: "课程链接的代码",
    intro: "本书各页链接到的仓库文件和文件夹，都在这里，内容是构建本书时的样子。\
            在代码托管网站上，同样的链接打开的是仓库里的文件本身。",
    in_top: "属于[课程链接的代码]",
    in_folder: "，位于 ",
    as_built: "。这是构建本书时仓库里这个文件的内容。",
    too_big: "不显示：文件超过 {} KiB。",
    not_text: "不显示：不是文本文件。",
    unreadable: "不显示：无法读取（{}）。",
};

fn chrome(books: &Books) -> &'static Chrome {
    if books::language_name(&books.language) == "中文" {
        &CHINESE
    } else {
        &ENGLISH
    }
}

/// The mdBook version this preprocessor was written against; another one
/// gets a warning, since the JSON it sends may have changed.
pub const MDBOOK_VERSION: &str = "0.5.4";

/// Files bigger than this are listed but not shown.
const MAX_SHOWN: u64 = 256 * 1024;

/// Where things are, from the context mdBook sends.
#[derive(Debug, Clone)]
pub struct Places {
    /// The book's sources (`book.toml`'s `src`), absolute.
    pub src: PathBuf,
    /// Where the book is written, so links into it are left alone.
    pub build: PathBuf,
    /// The repository whose files may be shown; links that leave it are
    /// left alone (the link check reports them).
    pub repo: PathBuf,
    /// The book's chapters, as paths under `src`: links to them stay.
    pub chapters: Vec<PathBuf>,
    /// The book's language, and its original or its translations.
    pub books: Books,
}

impl Places {
    /// Reads the places from mdBook's context: `root`, `book.src`,
    /// `build.build-dir`, `book.language`, and this preprocessor's settings:
    /// `repository` (default `..`, the folder above the book's) and, for a
    /// translation, `original` (the original book's pages; see [`books`]).
    pub fn from_context(ctx: &Value) -> Result<Places, String> {
        let root = ctx["root"]
            .as_str()
            .ok_or("mdBook's context has no `root`")?;
        let root = PathBuf::from(root);
        let config = &ctx["config"];
        let src = config["book"]["src"].as_str().unwrap_or("src");
        let build = config["build"]["build-dir"].as_str().unwrap_or("book");
        let repo = config["preprocessor"]["code-pages"]["repository"]
            .as_str()
            .unwrap_or("..");
        let absolute = |p: PathBuf| fs::canonicalize(&p).unwrap_or(p);
        let language = config["book"]["language"].as_str().unwrap_or("en");
        let original = config["preprocessor"]["code-pages"]["original"]
            .as_str()
            .map(|o| absolute(root.join(o)));
        let src = absolute(root.join(src));
        let books = Books::find(&src, language, original)?;
        Ok(Places {
            src,
            build: absolute(root.join(build)),
            repo: absolute(root.join(repo)),
            chapters: Vec::new(),
            books,
        })
    }
}

/// A page to add: a file, or a folder's listing.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Shown {
    Folder(String),
    File(String),
}

impl Shown {
    /// The repository-relative path, with `/`.
    fn rel(&self) -> &str {
        match self {
            Shown::Folder(p) | Shown::File(p) => p,
        }
    }

    /// The page's path in the book.
    fn page(&self) -> String {
        match self {
            Shown::Folder(p) => format!("{CODE_DIR}/{p}/index.md"),
            Shown::File(p) => format!("{CODE_DIR}/{p}.md"),
        }
    }
}

/// Runs the preprocessor over mdBook's JSON input; returns the book's JSON.
pub fn preprocess(input: &str) -> Result<String, String> {
    let value: Value =
        serde_json::from_str(input).map_err(|e| format!("cannot read mdBook's JSON: {e}"))?;
    let [ctx, book] = value
        .as_array()
        .and_then(|a| <&[Value; 2]>::try_from(a.as_slice()).ok())
        .ok_or("expected mdBook's input `[context, book]`")?;
    if let Some(version) = ctx["mdbook_version"].as_str()
        && version != MDBOOK_VERSION
    {
        eprintln!(
            "code-pages: written for mdbook {MDBOOK_VERSION}, running under {version}; `.ci/book` installs the pinned one"
        );
    }
    let mut places = Places::from_context(ctx)?;
    let mut book = book.clone();
    chapter_paths(&book["items"], &mut places.chapters);
    let mut shown = BTreeMap::new();
    let items = book["items"]
        .as_array_mut()
        .ok_or("mdBook's book has no `items` list")?;
    for item in items.iter_mut() {
        rewrite_chapter(item, &places, &mut shown);
    }
    if let Some(original) = &places.books.original {
        *items = in_original_order(std::mem::take(items), &original.items, &places.books);
    }
    if !shown.is_empty() {
        // mdBook nests the sidebar by section number (`8.1.` sits under
        // `8.`), so the code pages get numbers after the last numbered
        // chapter; `book.toml` hides the numbers (`no-section-label`).
        let last = items
            .iter()
            .filter_map(|i| i["Chapter"]["number"][0].as_u64())
            .max()
            .unwrap_or(0);
        let mut chapter = code_chapter(&places, &shown);
        number(&mut chapter, vec![last + 1]);
        items.push(chapter);
    }
    serde_json::to_string(&book).map_err(|e| format!("cannot write the book as JSON: {e}"))
}

/// A translation's chapters in the order of its original's table of
/// contents, with a page that says "not translated yet" (and links the
/// original) for each page of the original the translation does not list.
/// Numbered chapters are numbered again, 1, 2, ... A chapter the original
/// does not have (the lessons check forbids it) goes at the end.
fn in_original_order(items: Vec<Value>, original: &[Item], books: &Books) -> Vec<Value> {
    let mut ours: Vec<Option<Value>> = items.into_iter().map(Some).collect();
    let mut out = Vec::new();
    let mut next_number = 1;
    for item in original {
        match item {
            Item::Separator => out.push(Value::String("Separator".into())),
            Item::Page { path, .. } if path.is_empty() => {}
            Item::Page { part, title, path } => {
                let found = ours.iter_mut().find(|o| {
                    o.as_ref()
                        .is_some_and(|v| v["Chapter"]["source_path"].as_str() == Some(path))
                });
                let mut chapter = match found.and_then(Option::take) {
                    Some(chapter) => chapter,
                    None => {
                        let (name, content) = books::stub(books, path, title);
                        let mut content = content;
                        if let Some(line) = books.switch_line(path) {
                            content.insert_str(0, &line);
                        }
                        json!({
                            "Chapter": {
                                "name": name,
                                "content": content,
                                "number": null,
                                "sub_items": [],
                                "path": path,
                                "source_path": null,
                                "parent_names": [],
                            }
                        })
                    }
                };
                if *part == Part::Numbered {
                    number(&mut chapter, vec![next_number]);
                    next_number += 1;
                } else {
                    chapter["Chapter"]["number"] = Value::Null;
                }
                out.push(chapter);
            }
        }
    }
    // What is left: separators and part titles of our own summary (the
    // original's are used), and chapters the original does not have.
    out.extend(
        ours.into_iter()
            .flatten()
            .filter(|v| v.get("Chapter").is_some()),
    );
    out
}

/// Numbers a chapter `at` and its sub-chapters `at.1`, `at.2`, ...
fn number(item: &mut Value, at: Vec<u64>) {
    let chapter = &mut item["Chapter"];
    chapter["number"] = json!(at);
    if let Some(subs) = chapter["sub_items"].as_array_mut() {
        for (i, sub) in subs.iter_mut().enumerate() {
            let mut below = at.clone();
            below.push(i as u64 + 1);
            number(sub, below);
        }
    }
}

/// The `source_path` of every chapter in `items`, sub-chapters included.
fn chapter_paths(items: &Value, out: &mut Vec<PathBuf>) {
    for item in items.as_array().into_iter().flatten() {
        let chapter = &item["Chapter"];
        if let Some(path) = chapter["source_path"].as_str() {
            out.push(PathBuf::from(path));
        }
        chapter_paths(&chapter["sub_items"], out);
    }
}

/// Rewrites one chapter's links, then its sub-chapters'.
fn rewrite_chapter(item: &mut Value, places: &Places, shown: &mut BTreeMap<Shown, ()>) {
    let Some(chapter) = item.get_mut("Chapter") else {
        return;
    };
    let source = chapter["source_path"]
        .as_str()
        .or(chapter["path"].as_str())
        .map(PathBuf::from);
    let out = chapter["path"].as_str().map(PathBuf::from);
    let page = chapter["source_path"].as_str().is_some();
    if let (Some(source), Some(out), Some(content)) = (source, out, chapter["content"].as_str()) {
        let mut new = rewrite(content, &source, &out, places, shown);
        // The same page in the other language, on a line at the top.
        if page && let Some(line) = places.books.switch_line(&out.to_string_lossy()) {
            new.insert_str(0, &line);
        }
        chapter["content"] = Value::String(new);
    }
    if let Some(subs) = chapter["sub_items"].as_array_mut() {
        for sub in subs {
            rewrite_chapter(sub, places, shown);
        }
    }
}

/// The page's Markdown with every link to a repository file or folder
/// outside the book pointed at that file's code page instead, and every
/// SVG picture of the book that stands alone on its line drawn inline.
///
/// `source` is the page's path under the book's `src` (where its relative
/// links start), `out` its path in the built book (where the new links
/// start).
fn rewrite(
    content: &str,
    source: &Path,
    out: &Path,
    places: &Places,
    shown: &mut BTreeMap<Shown, ()>,
) -> String {
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    for link in markdown::links(content) {
        let target = &content[link.start..link.end];
        if link.image {
            if let Some(edit) = inline_svg(content, &link, source, places) {
                edits.push(edit);
            }
            continue;
        }
        if let Some(replacement) = original_page(target, source, out, places) {
            edits.push((link.start, link.end, replacement));
            continue;
        }
        let Some(page) = code_target(target, source, places) else {
            continue;
        };
        let (_, fragment) = split_fragment(target);
        let mut replacement = relative(out.parent().unwrap_or(Path::new("")), &page.page());
        if let Some(fragment) = fragment {
            replacement.push('#');
            replacement.push_str(fragment);
        }
        edits.push((link.start, link.end, replacement));
        if let Shown::Folder(folder) = &page {
            for file in folder_files(&places.repo.join(folder)) {
                shown.insert(Shown::File(format!("{folder}/{file}")), ());
            }
        }
        shown.insert(page, ());
    }
    let mut new = String::with_capacity(content.len());
    let mut copied = 0;
    for (start, end, replacement) in edits {
        new.push_str(&content[copied..start]);
        new.push_str(&replacement);
        copied = end;
    }
    new.push_str(&content[copied..]);
    markdown::break_table_code(&new)
}

/// `![alt](img/x.svg)` alone on its line, for an SVG file among the book's
/// sources: the edit that puts the picture's own markup there instead.
///
/// An `<img>` shows an SVG as a bitmap would be shown: its text cannot be
/// selected, copied or found with the browser's search. Inline, it can. On
/// a code host the Markdown keeps its `![alt](...)`, which the host shows
/// as an image (hosts strip inline SVG).
fn inline_svg(
    content: &str,
    link: &markdown::MdLink,
    source: &Path,
    places: &Places,
) -> Option<(usize, usize, String)> {
    let target = &content[link.start..link.end];
    if !target.ends_with(".svg") || target.contains(':') || target.starts_with('/') {
        return None;
    }
    let line_start = content[..link.start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = content[link.end..]
        .find('\n')
        .map_or(content.len(), |i| link.end + i);
    let line = content[line_start..line_end].trim();
    if !(line.starts_with("![") && line.ends_with(')') && line.matches("](").count() == 1) {
        return None;
    }
    let file = normalize(&places.src.join(source).parent()?.join(target))?;
    // A translation shows its original's pictures too (`../img/x.svg`).
    let original = places.books.original.as_ref().map(|o| o.src.as_path());
    if !file.starts_with(&places.src) && !original.is_some_and(|o| file.starts_with(o)) {
        return None;
    }
    let svg = fs::read_to_string(&file).ok()?;
    let start = svg.find("<svg")?;
    // One HTML block for the Markdown parser: no blank line inside it.
    let svg: Vec<&str> = svg[start..]
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    let markup = format!("<div class=\"figure\">\n{}\n</div>", svg.join("\n"));
    Some((line_start, line_end, markup))
}

/// In a translation, a link to a page of the original that is not
/// translated yet (`../01-tcp-single.md#run-it`): the link to that page in
/// the original book, which is built one folder up (see [`books`]).
fn original_page(target: &str, source: &Path, out: &Path, places: &Places) -> Option<String> {
    let original = places.books.original.as_ref()?;
    let (path, fragment) = split_fragment(target);
    if path.is_empty() || path.starts_with('/') || path.contains(':') {
        return None;
    }
    let resolved = normalize(&places.src.join(source).parent()?.join(path))?;
    let rel = resolved.strip_prefix(&original.src).ok()?;
    let rel = rel.to_string_lossy().replace('\\', "/");
    if !original.has_page(&rel) {
        return None;
    }
    places
        .books
        .link_to_original(&out.to_string_lossy(), &rel, fragment)
}

fn split_fragment(target: &str) -> (&str, Option<&str>) {
    match target.split_once('#') {
        Some((path, fragment)) => (path, Some(fragment)),
        None => (target, None),
    }
}

/// The code page a link should go to instead, if it is one we show: a
/// relative link to a file or folder of the repository that the book does
/// not already have (a chapter, or a picture beside the pages).
fn code_target(target: &str, source: &Path, places: &Places) -> Option<Shown> {
    let (path, _) = split_fragment(target);
    if path.is_empty() || path.starts_with('/') || path.contains(':') {
        return None;
    }
    let from = places.src.join(source);
    let resolved = normalize(&from.parent()?.join(path))?;
    let rel = resolved.strip_prefix(&places.repo).ok()?;
    if resolved.starts_with(&places.build) || rel.as_os_str().is_empty() {
        return None;
    }
    let rel = rel.to_string_lossy().replace('\\', "/");
    if resolved.is_dir() {
        return Some(Shown::Folder(rel));
    }
    if !resolved.is_file() {
        return None;
    }
    // Inside the book's sources, mdBook already has the file: a chapter, or
    // a picture it copies. Source code there, and Markdown that is no
    // chapter (`SUMMARY.md`), become pages.
    if let Ok(in_src) = resolved.strip_prefix(&places.src) {
        let chapter = places.chapters.iter().any(|c| c == in_src);
        let markdown = rel.ends_with(".md");
        if chapter || (!markdown && language(&rel).is_none()) {
            return None;
        }
    }
    Some(Shown::File(rel))
}

/// The highlight.js language for a file, by its name; `None` for what is
/// not text (pictures).
fn language(path: &str) -> Option<&'static str> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    Some(match ext {
        "rs" => "rust",
        "py" => "python",
        "toml" | "lock" => "toml",
        "sh" => "bash",
        "json" => "json",
        "txt" => "text",
        "md" => "markdown",
        "css" => "css",
        "mmd" => "text",
        _ if name == "run" || name == "book" => "bash",
        _ => return None,
    })
}

/// The files under `dir`, relative to it, with `/`, sorted; build output,
/// caches and hidden files left out.
fn folder_files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(sub) = stack.pop() {
        let Ok(entries) = fs::read_dir(dir.join(&sub)) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || matches!(name.as_str(), "target" | "book" | "__pycache__") {
                continue;
            }
            let rel = sub.join(&name);
            if entry.path().is_dir() {
                stack.push(rel);
            } else {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

/// The link from a page in `from_dir` to `to`, both relative to the book:
/// up to the folder they share, then down.
fn relative(from_dir: &Path, to: &str) -> String {
    let from: Vec<String> = from_dir
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let to_parts: Vec<&str> = to.split('/').collect();
    let (to_dirs, file) = to_parts.split_at(to_parts.len() - 1);
    let shared = from
        .iter()
        .zip(to_dirs)
        .take_while(|(a, b)| a == *b)
        .count();
    let mut link = "../".repeat(from.len() - shared);
    for dir in &to_dirs[shared..] {
        link.push_str(dir);
        link.push('/');
    }
    link.push_str(file[0]);
    link
}

/// The chapter "The code the lessons link", listing every shown page, with
/// the pages as its sub-chapters (a page under a shown folder sits under
/// that folder's page).
fn code_chapter(places: &Places, shown: &BTreeMap<Shown, ()>) -> Value {
    let folders: Vec<&str> = shown
        .keys()
        .filter_map(|s| match s {
            Shown::Folder(f) => Some(f.as_str()),
            Shown::File(_) => None,
        })
        .collect();
    // The nearest shown folder that holds a page, if any.
    let parent_of = |page: &Shown| -> Option<String> {
        folders
            .iter()
            .filter(|f| page.rel().starts_with(&format!("{f}/")))
            .max_by_key(|f| f.len())
            .map(|f| f.to_string())
    };
    let mut children: BTreeMap<Option<String>, Vec<&Shown>> = BTreeMap::new();
    let words = chrome(&places.books);
    let mut listing = format!("# {}\n\n{}\n\n", words.top, words.intro);
    for page in shown.keys() {
        children.entry(parent_of(page)).or_default().push(page);
        let link = relative(Path::new(CODE_DIR), &page.page());
        listing.push_str(&format!("- [{}]({link})\n", title(page)));
    }
    fn build(
        places: &Places,
        parent: Option<String>,
        children: &BTreeMap<Option<String>, Vec<&Shown>>,
    ) -> Vec<Value> {
        let mut names = vec![chrome(&places.books).top.to_string()];
        names.extend(parent.iter().map(|p| format!("{p}/")));
        let Some(pages) = children.get(&parent) else {
            return Vec::new();
        };
        pages
            .iter()
            .map(|page| {
                let mut chapter = page_chapter(places, page, names.clone(), parent.as_deref());
                if let Shown::Folder(folder) = page {
                    let subs = build(places, Some(folder.clone()), children);
                    chapter["Chapter"]["sub_items"] = Value::Array(subs);
                }
                chapter
            })
            .collect()
    }
    json!({
        "Chapter": {
            "name": words.top,
            "content": listing,
            "number": null,
            "sub_items": build(places, None, &children),
            "path": format!("{CODE_DIR}/index.md"),
            "source_path": null,
            "parent_names": [],
        }
    })
}

/// One code page as an mdBook chapter.
fn page_chapter(places: &Places, page: &Shown, parents: Vec<String>, up: Option<&str>) -> Value {
    let path = page.page();
    let here = Path::new(&path)
        .parent()
        .unwrap_or(Path::new(""))
        .to_path_buf();
    let words = chrome(&places.books);
    let mut content = format!("# {}\n\n", title(page));
    content.push_str(&format!(
        "{}({})",
        words.in_top,
        relative(&here, &format!("{CODE_DIR}/index.md"))
    ));
    if let Some(up) = up {
        content.push_str(&format!(
            "{}[{up}/]({})",
            words.in_folder,
            relative(&here, &Shown::Folder(up.to_string()).page())
        ));
    }
    content.push_str(words.as_built);
    content.push_str("\n\n");
    match page {
        Shown::Folder(folder) => {
            for file in folder_files(&places.repo.join(folder)) {
                let link = relative(&here, &Shown::File(format!("{folder}/{file}")).page());
                content.push_str(&format!("- [{file}]({link})\n"));
            }
        }
        Shown::File(file) => content.push_str(&code_block(&places.repo.join(file), file, words)),
    }
    // In the sidebar, under its folder, a page is named from there on.
    let name = match up {
        Some(up) => title(page)
            .strip_prefix(&format!("{up}/"))
            .map_or_else(|| title(page), str::to_string),
        None => title(page),
    };
    json!({
        "Chapter": {
            "name": name,
            "content": content,
            "number": null,
            "sub_items": [],
            "path": path,
            "source_path": null,
            "parent_names": parents,
        }
    })
}

fn title(page: &Shown) -> String {
    match page {
        Shown::Folder(f) => format!("{f}/"),
        Shown::File(f) => f.to_string(),
    }
}

/// The file's text as a fenced block, fenced with more backticks than any
/// run inside it.
fn code_block(path: &Path, rel: &str, words: &Chrome) -> String {
    let too_big = fs::metadata(path).is_ok_and(|m| m.len() > MAX_SHOWN);
    let note = |text: String| format!("*{text}*\n");
    let text = match fs::read(path) {
        _ if too_big => {
            return note(words.too_big.replace("{}", &(MAX_SHOWN / 1024).to_string()));
        }
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => return note(words.not_text.into()),
        },
        Err(e) => return note(words.unreadable.replace("{}", &e.to_string())),
    };
    let longest = text
        .lines()
        .map(|l| l.trim_start().bytes().take_while(|&b| b == b'`').count())
        .max()
        .unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let mut lang = language(rel).unwrap_or("text");
    // In a `rust` block mdBook hides lines that start with `# ` (rustdoc's
    // hidden lines); a source file is shown whole, so such a file is shown
    // without highlighting rather than with lines missing.
    if lang == "rust"
        && text.lines().any(|l| {
            let t = l.trim_start();
            t == "#" || t.starts_with("# ") || t.starts_with("##")
        })
    {
        lang = "text";
    }
    let mut block = format!("{fence}{lang}\n{text}");
    if !text.ends_with('\n') {
        block.push('\n');
    }
    block.push_str(&fence);
    block.push('\n');
    block
}

#[cfg(test)]
mod tests {
    use super::*;

    fn places(repo: &Path) -> Places {
        Places {
            src: repo.join("lessons"),
            build: repo.join("lessons/book"),
            repo: repo.to_path_buf(),
            chapters: vec![PathBuf::from("01.md")],
            books: Books::default(),
        }
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("booktool-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("lessons/img")).expect("scratch dir");
        fs::create_dir_all(dir.join("crates/a/src")).expect("scratch dir");
        fs::write(dir.join("crates/a/src/lib.rs"), "pub fn a() {}\n").expect("write");
        fs::write(dir.join("crates/a/Cargo.toml"), "[package]\n").expect("write");
        fs::write(dir.join("lessons/img/x.svg"), "<svg/>").expect("write");
        fs::write(dir.join("lessons/01.md"), "# One\n").expect("write");
        fs::write(dir.join("lessons/SUMMARY.md"), "- [One](01.md)\n").expect("write");
        dir
    }

    #[test]
    fn links_to_code_become_code_pages_and_the_rest_is_left_alone() {
        let repo = scratch("rewrite");
        let places = places(&repo);
        let mut shown = BTreeMap::new();
        let page = "[lib](../crates/a/src/lib.rs#L1), [crate](../crates/a), \
                    [one](01.md#one), ![x](img/x.svg), [gone](../crates/nope.rs), \
                    [web](https://example.com), `[code](../crates/a)`, [toc](SUMMARY.md)\n";
        let new = rewrite(
            page,
            Path::new("01.md"),
            Path::new("01.md"),
            &places,
            &mut shown,
        );
        assert_eq!(
            new,
            "[lib](code/crates/a/src/lib.rs.md#L1), [crate](code/crates/a/index.md), \
             [one](01.md#one), ![x](img/x.svg), [gone](../crates/nope.rs), \
             [web](https://example.com), `[code](../crates/a)`, [toc](code/lessons/SUMMARY.md.md)\n"
        );
        let pages: Vec<String> = shown.keys().map(Shown::page).collect();
        assert_eq!(
            pages,
            [
                "code/crates/a/index.md",
                "code/crates/a/Cargo.toml.md",
                "code/crates/a/src/lib.rs.md",
                "code/lessons/SUMMARY.md.md",
            ]
        );
        // From a page one folder down, the link climbs out first.
        let new = rewrite(
            "[lib](../../crates/a/src/lib.rs)",
            Path::new("zh/01.md"),
            Path::new("zh/01.md"),
            &places,
            &mut shown,
        );
        assert_eq!(new, "[lib](../code/crates/a/src/lib.rs.md)");
        let _ = fs::remove_dir_all(repo);
    }

    #[test]
    fn the_code_chapter_nests_files_under_their_folder_and_shows_the_text() {
        let repo = scratch("chapter");
        let places = places(&repo);
        let mut shown = BTreeMap::new();
        rewrite(
            "[crate](../crates/a)",
            Path::new("01.md"),
            Path::new("01.md"),
            &places,
            &mut shown,
        );
        let chapter = code_chapter(&places, &shown);
        let top = &chapter["Chapter"];
        assert_eq!(top["path"], "code/index.md");
        let folder = &top["sub_items"][0]["Chapter"];
        assert_eq!(folder["path"], "code/crates/a/index.md");
        let files: Vec<&str> = folder["sub_items"]
            .as_array()
            .expect("sub_items")
            .iter()
            .filter_map(|c| c["Chapter"]["path"].as_str())
            .collect();
        assert_eq!(
            files,
            ["code/crates/a/Cargo.toml.md", "code/crates/a/src/lib.rs.md"]
        );
        let lib = folder["sub_items"][1]["Chapter"]["content"]
            .as_str()
            .expect("content");
        assert!(lib.contains("```rust\npub fn a() {}\n```"), "{lib}");
        assert!(lib.contains("[crates/a/](../index.md)"), "{lib}");
        assert!(
            lib.contains("[the code the lessons link](../../../index.md)"),
            "{lib}"
        );
        let _ = fs::remove_dir_all(repo);
    }

    #[test]
    fn a_picture_alone_on_its_line_is_drawn_inline() {
        let repo = scratch("inline");
        let places = places(&repo);
        fs::write(
            repo.join("lessons/img/x.svg"),
            "<?xml version=\"1.0\"?>\n<svg id=\"x\">\n\n<text>hi</text>\n</svg>\n",
        )
        .expect("write");
        let mut shown = BTreeMap::new();
        let page = "Before.\n\n![the picture](img/x.svg)\n\nSee ![inline](img/x.svg) here.\n";
        let new = rewrite(
            page,
            Path::new("01.md"),
            Path::new("01.md"),
            &places,
            &mut shown,
        );
        assert_eq!(
            new,
            "Before.\n\n<div class=\"figure\">\n<svg id=\"x\">\n<text>hi</text>\n</svg>\n</div>\n\n\
             See ![inline](img/x.svg) here.\n"
        );
        let _ = fs::remove_dir_all(repo);
    }

    /// A translation in `lessons/zh/` of the scratch book (`01.md`,
    /// `02.md`, `about.md`), which has translated `02.md` only.
    fn translation(repo: &Path) -> Places {
        fs::write(
            repo.join("lessons/SUMMARY.md"),
            "[Intro](intro.md)\n\n- [One](01.md)\n- [Two](02.md)\n\n---\n\n[About](about.md)\n",
        )
        .expect("write");
        fs::write(
            repo.join("lessons/book.toml"),
            "[book]\nlanguage = \"en\"\n",
        )
        .expect("write");
        fs::create_dir_all(repo.join("lessons/zh")).expect("mkdir");
        let src = fs::canonicalize(repo.join("lessons/zh")).expect("canonical");
        let books = Books::find(&src, "zh-CN", Some(repo.join("lessons"))).expect("books");
        Places {
            src,
            build: repo.join("lessons/book/zh"),
            repo: fs::canonicalize(repo).expect("canonical"),
            chapters: vec![PathBuf::from("02.md")],
            books,
        }
    }

    #[test]
    fn a_translation_links_untranslated_pages_in_the_original_book() {
        let repo = scratch("translation-links");
        let places = translation(&repo);
        let mut shown = BTreeMap::new();
        let page = "[one](../01.md#run-it), [two](02.md), [lib](../../crates/a/src/lib.rs), \
                    ![x](../img/x.svg), [toc](../SUMMARY.md)\n";
        let new = rewrite(
            page,
            Path::new("02.md"),
            Path::new("02.md"),
            &places,
            &mut shown,
        );
        assert_eq!(
            new,
            "[one](../01.html#run-it), [two](02.md), [lib](code/crates/a/src/lib.rs.md), \
             ![x](../img/x.svg), [toc](code/lessons/SUMMARY.md.md)\n"
        );
        let _ = fs::remove_dir_all(repo);
    }

    #[test]
    fn a_translation_has_every_page_of_the_original_in_its_order() {
        let repo = scratch("translation-order");
        let places = translation(&repo);
        let chapter = |path: &str, number: Value| {
            json!({"Chapter": {"name": "二", "content": "# 二\n", "number": number,
                "sub_items": [], "path": path, "source_path": path, "parent_names": []}})
        };
        let ours = vec![
            chapter("02.md", json!([1])),
            Value::String("Separator".into()),
        ];
        let original = &places.books.original.as_ref().expect("a translation").items;
        let items = in_original_order(ours, original, &places.books);
        let shape: Vec<String> = items
            .iter()
            .map(|i| match i["Chapter"]["name"].as_str() {
                Some(name) => format!("{name} {}", i["Chapter"]["number"]),
                None => i.as_str().unwrap_or("?").to_string(),
            })
            .collect();
        assert_eq!(
            shape,
            [
                "Intro（未翻译） null",
                "One（未翻译） [1]",
                "二 [2]",
                "Separator",
                "About（未翻译） null"
            ]
        );
        let stub = items[1]["Chapter"]["content"].as_str().expect("content");
        assert!(stub.contains("href=\"../01.html\""), "{stub}");
        assert!(stub.contains("[One](../01.html)"), "{stub}");
        assert_eq!(items[1]["Chapter"]["path"], "01.md");
        let _ = fs::remove_dir_all(repo);
    }

    #[test]
    fn a_fence_is_longer_than_any_backtick_run_in_the_file() {
        let repo = scratch("fence");
        let file = repo.join("crates/a/README.md");
        fs::write(&file, "````\n```rust\n```\n````\n").expect("write");
        let block = code_block(&file, "crates/a/README.md", &ENGLISH);
        assert!(block.starts_with("`````markdown\n"), "{block}");
        assert!(block.ends_with("\n`````\n"), "{block}");
        let _ = fs::remove_dir_all(repo);
    }
}
