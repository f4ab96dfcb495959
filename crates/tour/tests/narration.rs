//! Every sentence of the tour's narration is there in both languages, side
//! by side in the source: `t.say(&Say { en: "...", zh: "..." })`, and each
//! stage's `title: Say { en: "...", zh: "..." }`. A narration written as a
//! plain English string (`t.say("...")`) compiles, so that a new stage runs
//! at once, but this check names it until it has its Chinese.

use std::fs;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("a readable folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The text from `open` (just after a `(` or `{`) to its matching close,
/// string literals skipped; `None` if it is never closed.
fn balanced(code: &str, open: usize) -> Option<&str> {
    let bytes = code.as_bytes();
    let mut depth = 1;
    let mut i = open;
    let mut in_str = false;
    while i < bytes.len() {
        let b = bytes[i];
        if in_str {
            match b {
                b'\\' => i += 1,
                b'"' => in_str = false,
                _ => {}
            }
        } else {
            match b {
                b'"' => in_str = true,
                b'(' | b'{' | b'[' => depth += 1,
                b')' | b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(&code[open..i]);
                    }
                }
                _ => {}
            }
        }
        i += 1;
    }
    None
}

/// The string literal that follows `field:` in `text`, unescaped enough to
/// judge it (escapes kept as written).
fn field<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let at = text.find(&format!("{name}:"))?;
    let rest = text[at + name.len() + 1..].trim_start();
    let rest = rest.strip_prefix('"')?;
    let bytes = rest.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(&rest[..i]),
            _ => i += 1,
        }
    }
    None
}

fn has_chinese(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// What is wrong with one narration (the text inside `say(...)` or after
/// `title:`), if anything.
fn problem(inside: &str) -> Option<String> {
    let inside = inside.trim();
    if !inside.contains("Say") {
        return Some("an English string alone: write `&Say { en: \"...\", zh: \"...\" }`".into());
    }
    let (Some(en), Some(zh)) = (field(inside, "en"), field(inside, "zh")) else {
        return Some("a Say needs `en: \"...\"` and `zh: \"...\"` as string literals".into());
    };
    if en.trim().is_empty() {
        return Some("its English is empty".into());
    }
    if !has_chinese(zh) {
        return Some(format!("its zh is not Chinese: {zh:?}"));
    }
    None
}

/// Every `Say { .. }` in the tour's source (a narration, a stage's title, a
/// line of the tour's own), and every `t.say(..)` that is not given one,
/// with what is wrong with it: (count, problems as `file:line: problem`).
fn narrations(files: &[PathBuf]) -> (usize, Vec<String>) {
    let mut seen = 0;
    let mut problems = Vec::new();
    for file in files {
        let text = fs::read_to_string(file).expect("a readable source file");
        let name = file.display().to_string();
        let line_of = |at: usize| text[..at].matches('\n').count() + 1;
        for (at, _) in text.match_indices("Say {") {
            let line_start = text[..at].rfind('\n').map_or(0, |n| n + 1);
            let before = &text[line_start..at];
            // The type's definition and impls are not narrations, nor are
            // examples in comments.
            if before.contains("struct ")
                || before.contains("impl ")
                || before.trim_start().starts_with("//")
            {
                continue;
            }
            seen += 1;
            let open = at + "Say {".len();
            match balanced(&text, open) {
                Some(body) => {
                    if let Some(p) = problem(&format!("Say {{{body}}}")) {
                        problems.push(format!("{name}:{}: {p}", line_of(at)));
                    }
                }
                None => problems.push(format!("{name}:{}: never closed", line_of(at))),
            }
        }
        for (at, _) in text.match_indices("t.say(") {
            let line_start = text[..at].rfind('\n').map_or(0, |n| n + 1);
            if text[line_start..at].trim_start().starts_with("//") {
                continue;
            }
            let inside = balanced(&text, at + "t.say(".len()).unwrap_or("");
            if !inside.contains("Say") {
                seen += 1;
                if let Some(p) = problem(inside) {
                    problems.push(format!("{name}:{}: {p}", line_of(at)));
                }
            }
        }
    }
    (seen, problems)
}

#[test]
fn every_narration_has_english_and_chinese() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let (seen, problems) = narrations(&files);
    assert!(
        seen >= 50,
        "only {seen} narrations found: has the source moved?"
    );
    assert!(
        problems.is_empty(),
        "narrations without both languages (the tour speaks Chinese with --lang zh or a Chinese locale):\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_check_names_a_narration_without_chinese() {
    assert!(problem(r#""one English sentence""#).is_some());
    assert!(problem(r#"&Say { en: "hi", zh: "hi" }"#).is_some());
    assert!(problem(r#"&Say { en: "a \"quoted\" word", zh: "一个\"带引号\"的词" }"#).is_none());
    assert_eq!(balanced(r#"a("x)", (b)) tail"#, 2), Some(r#""x)", (b)"#));
    let file = std::env::temp_dir().join(format!("narration-{}.rs", std::process::id()));
    fs::write(
        &file,
        "fn run(t: &Tour) {\n    t.say(\"English only\");\n    t.say(&Say { en: \"a\", zh: \"甲\" });\n}\n",
    )
    .expect("write");
    let (seen, problems) = narrations(std::slice::from_ref(&file));
    let _ = fs::remove_file(&file);
    assert_eq!(seen, 2);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0]
            .ends_with(":2: an English string alone: write `&Say { en: \"...\", zh: \"...\" }`"),
        "{problems:?}"
    );
}
