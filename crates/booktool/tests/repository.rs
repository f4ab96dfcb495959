//! The book's pictures, as committed, are what their sources draw now.

use std::fs;
use std::path::PathBuf;

/// The pictures of the English book, and the Chinese book's own (its
/// diagrams drawn again with Chinese labels).
fn img_dirs() -> Vec<PathBuf> {
    let lessons = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../lessons");
    let mut dirs = vec![lessons.join("img")];
    if lessons.join("zh/img").is_dir() {
        dirs.push(lessons.join("zh/img"));
    }
    dirs
}

/// The files of every picture folder.
fn img_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in img_dirs() {
        for entry in fs::read_dir(&dir).expect("the picture folder exists") {
            files.push(entry.expect("a directory entry").path());
        }
    }
    files
}

/// Every `lessons/img/NAME.mmd` has a `NAME.svg` beside it that is exactly
/// what `booktool diagram` draws from it today.
#[test]
fn every_diagram_matches_its_source() {
    let mut problems = Vec::new();
    let mut seen = 0;
    for path in img_files() {
        if path.extension().is_none_or(|e| e != "mmd") {
            continue;
        }
        seen += 1;
        // As a path from the repository root: lessons/img/x.mmd, lessons/zh/img/x.mmd.
        let name = path
            .to_string_lossy()
            .split("/../../")
            .last()
            .unwrap_or_default()
            .to_string();
        let source = fs::read_to_string(&path).expect("a readable .mmd");
        let drawn = match booktool::diagram::parse(&source) {
            Ok(d) => booktool::diagram::render(
                &d,
                &path.file_stem().unwrap_or_default().to_string_lossy(),
            ),
            Err(e) => {
                problems.push(format!("{name}: {e}"));
                continue;
            }
        };
        let svg = path.with_extension("svg");
        if fs::read_to_string(&svg).ok().as_deref() != Some(drawn.as_str()) {
            problems.push(format!(
                "{name}: its .svg is missing or out of date: run `cargo run --bin booktool -- diagram {name}`"
            ));
        }
    }
    assert!(seen > 0, "no diagram source found in lessons/img");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every SVG the book shows is well-formed XML with an `<svg>` root: a
/// browser shows nothing at all for a broken one.
#[test]
fn every_picture_is_well_formed_svg() {
    let mut problems = Vec::new();
    for path in img_files() {
        if path.extension().is_none_or(|e| e != "svg") {
            continue;
        }
        let text = fs::read_to_string(&path).expect("a readable .svg");
        match booktool::xml::check(&text) {
            Ok(root) if root == "svg" => {}
            Ok(root) => problems.push(format!("{}: the root is <{root}>", path.display())),
            Err(e) => problems.push(format!("{}: {e}", path.display())),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
