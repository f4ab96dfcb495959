//! The book's pictures, as committed, are what their sources draw now.

use std::fs;
use std::path::PathBuf;

fn img_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../lessons/img")
}

/// Every `lessons/img/NAME.mmd` has a `NAME.svg` beside it that is exactly
/// what `booktool diagram` draws from it today.
#[test]
fn every_diagram_matches_its_source() {
    let mut problems = Vec::new();
    let mut seen = 0;
    for entry in fs::read_dir(img_dir()).expect("lessons/img exists") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_none_or(|e| e != "mmd") {
            continue;
        }
        seen += 1;
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let source = fs::read_to_string(&path).expect("a readable .mmd");
        let drawn = match booktool::diagram::parse(&source) {
            Ok(d) => booktool::diagram::render(
                &d,
                &path.file_stem().unwrap_or_default().to_string_lossy(),
            ),
            Err(e) => {
                problems.push(format!("lessons/img/{name}: {e}"));
                continue;
            }
        };
        let svg = path.with_extension("svg");
        if fs::read_to_string(&svg).ok().as_deref() != Some(drawn.as_str()) {
            problems.push(format!(
                "lessons/img/{name}: its .svg is missing or out of date: run `cargo run --bin booktool -- diagram lessons/img/{name}`"
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
    for entry in fs::read_dir(img_dir()).expect("lessons/img exists") {
        let path = entry.expect("a directory entry").path();
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
