//! The language practice speaks: English, or Chinese, by `kit::lang`'s
//! switch (`--lang zh|en`, or the locale), the same as the tour's.
//!
//! Only the tool's own words change ([`crate::messages`], and a check's
//! hints where it has a `/// hint-zh:` line): what cargo, the compiler and
//! the checks themselves print is shown as it is.

pub use kit::lang::{Lang, current, pick, set};
use std::fs;
use std::path::Path;

/// A lesson link (`lessons/01-tcp-single.md#the-code`) in the language
/// chosen: in Chinese, the Chinese page's same section
/// (`lessons/zh/01-tcp-single.md#代码`) once the Chinese book has that page
/// (its `SUMMARY.md` lists it); the sections of a page and its translation
/// correspond one to one, in order (`tests/zh.rs` sees to it).
pub fn lesson_link(root: &Path, link: &str) -> String {
    lesson_link_in(current(), root, link)
}

/// [`lesson_link`] in `lang`.
pub fn lesson_link_in(lang: Lang, root: &Path, link: &str) -> String {
    if lang == Lang::En {
        return link.to_string();
    }
    chinese_lesson(root, link).unwrap_or_else(|| link.to_string())
}

fn chinese_lesson(root: &Path, link: &str) -> Option<String> {
    let (page, fragment) = match link.split_once('#') {
        Some((p, f)) => (p, Some(f)),
        None => (link, None),
    };
    let name = page.strip_prefix("lessons/")?;
    let summary = fs::read_to_string(root.join("lessons/zh/SUMMARY.md")).ok()?;
    if !summary.contains(&format!("]({name})")) {
        return None;
    }
    let zh_page = format!("lessons/zh/{name}");
    let Some(fragment) = fragment else {
        return Some(zh_page);
    };
    let en_ids = heading_ids(&fs::read_to_string(root.join(page)).ok()?);
    let zh_ids = heading_ids(&fs::read_to_string(root.join(&zh_page)).ok()?);
    let at = en_ids.iter().position(|id| id == fragment)?;
    Some(format!("{zh_page}#{}", zh_ids.get(at)?))
}

/// The ids of a page's headings, in order, as mdBook makes them (lower
/// case, spaces to `-`, punctuation dropped; Chinese is kept).
fn heading_ids(text: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut fence: Option<String> = None;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            let mark: String = t.chars().take_while(|&c| c == '`' || c == '~').collect();
            match &fence {
                None => fence = Some(mark),
                Some(open) if mark.starts_with(open.as_str()) => fence = None,
                Some(_) => {}
            }
            continue;
        }
        if fence.is_some() || !line.starts_with('#') {
            continue;
        }
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if !line[hashes..].starts_with(' ') {
            continue;
        }
        let id: String = line[hashes..]
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
            .collect();
        ids.push(id);
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lesson_link_goes_to_the_chinese_section_once_translated() {
        let root = std::env::temp_dir().join(format!("practice-lang-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("lessons/zh")).expect("mkdir");
        let write = |p: &str, t: &str| fs::write(root.join(p), t).expect("write");
        write("lessons/01-a.md", "# Stage 1\n\n## The code\n\n## Run it\n");
        write("lessons/02-b.md", "# Stage 2\n\n## The code\n");
        write("lessons/zh/01-a.md", "# 第 1 阶段\n\n## 代码\n\n## 运行\n");
        write("lessons/zh/SUMMARY.md", "- [第 1 阶段](01-a.md)\n");
        let link = |lang, l: &str| lesson_link_in(lang, &root, l);
        assert_eq!(
            link(Lang::Zh, "lessons/01-a.md#run-it"),
            "lessons/zh/01-a.md#运行"
        );
        assert_eq!(link(Lang::Zh, "lessons/01-a.md"), "lessons/zh/01-a.md");
        assert_eq!(
            link(Lang::Zh, "lessons/02-b.md#the-code"),
            "lessons/02-b.md#the-code"
        );
        assert_eq!(
            link(Lang::En, "lessons/01-a.md#run-it"),
            "lessons/01-a.md#run-it"
        );
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn heading_ids_are_mdbooks() {
        let page =
            "# 第 1 阶段：一条连接\n\n## 代码\n\n```\n# not a heading\n```\n### The Rust (why)\n";
        assert_eq!(
            heading_ids(page),
            ["第-1-阶段一条连接", "代码", "the-rust-why"]
        );
    }
}
