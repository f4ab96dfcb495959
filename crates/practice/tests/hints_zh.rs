//! Every `/// hint-zh:` line is the Chinese of a `/// hint:` right above it
//! (a misplaced one would be silently left out); and how many hints have
//! their Chinese, stage by stage (shown with `--nocapture`).

use std::fs;
use std::path::PathBuf;

use practice::checks;

#[test]
fn every_hint_zh_follows_a_hint() {
    let crates = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut problems = Vec::new();
    let mut dirs: Vec<PathBuf> = fs::read_dir(&crates)
        .expect("crates/")
        .flatten()
        .map(|e| e.path().join("tests"))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let (mut hints, mut translated) = (0, 0);
        for file in fs::read_dir(&dir)
            .expect("tests/")
            .flatten()
            .map(|e| e.path())
        {
            let Ok(text) = fs::read_to_string(&file) else {
                continue;
            };
            // In a doc block, the last line that started a hint or its
            // Chinese: a hint-zh must follow a hint (or its lines), once.
            let mut last: Option<&str> = None;
            for (n, line) in text.lines().enumerate() {
                let t = line.trim();
                let Some(doc) = t.strip_prefix("///") else {
                    last = None;
                    continue;
                };
                let doc = doc.trim();
                if doc.starts_with("hint:") {
                    last = Some("hint");
                } else if doc.starts_with("hint-zh:") {
                    if last != Some("hint") {
                        problems.push(format!(
                            "{}:{}: a `hint-zh:` line must follow the `hint:` it translates (and its lines), once",
                            file.display(),
                            n + 1
                        ));
                    }
                    last = Some("zh");
                } else if doc.is_empty() || doc.starts_with("lesson:") {
                    last = None;
                }
            }
            for check in checks::checks_in("x", &text) {
                hints += check.hints.len();
                translated += check.hints_zh.iter().flatten().count();
            }
        }
        if hints > 0 {
            eprintln!(
                "{}: {translated} of {hints} hints in Chinese",
                dir.display()
            );
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
