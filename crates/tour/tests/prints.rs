//! The tour prints its transcript only through `show::out` (`t.say`,
//! `t.line`, the `Tour` and `Shown` methods): a `println!` to a closed
//! standard output ends the program at once (kit's panic hook), before the
//! running stage's servers are stopped; `out` fails instead, and the stage
//! returns and stops them (tests/no_orphans.rs).

use std::fs;
use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).expect("a readable folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `println!` or `print!`, but not `eprintln!` (stderr is not the
/// transcript) nor a name that merely ends so.
fn prints_to_stdout(code: &str) -> bool {
    ["println!", "print!"].iter().any(|mac| {
        code.match_indices(mac).any(|(at, _)| {
            !code[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
    })
}

#[test]
fn the_tour_prints_only_through_show_out() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut found = Vec::new();
    for file in files {
        let text = fs::read_to_string(&file).expect("a readable source file");
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if prints_to_stdout(code) {
                found.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "print with t.say(...) / t.line(...) (show::out), not println!: a println! to a closed stdout exits before the servers are stopped:\n{}",
        found.join("\n")
    );
}
