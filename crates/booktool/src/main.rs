//! `booktool`: the book's preprocessor and link check. See the help text.

use std::io::{self, Read, Write};
use std::path::Path;
use std::process::ExitCode;

use booktool::{code_pages, diagram, links};

const HELP: &str = "\
usage: booktool code-pages [supports RENDERER] | check-links BOOK_DIR... | diagram FILE.mmd...

  code-pages     the mdBook preprocessor named in lessons/book.toml and
                 lessons/zh/book.toml: mdBook runs it during `mdbook build`;
                 it turns links to the repository's code into pages of the
                 book, and links each page to the same page in the other
                 language
  check-links    checks every link and #fragment inside each built book
                 folder; prints each dead one as PAGE:LINE and exits 1
  diagram        draws each sequence diagram FILE.mmd (a Mermaid subset)
                 as FILE.svg beside it

examples:
  mdbook build lessons && mdbook build lessons/zh && cargo run --bin booktool -- check-links lessons/book
  cargo run --bin booktool -- diagram lessons/img/one-conversation.mmd
";

fn main() -> ExitCode {
    kit::run(HELP, |cli| {
        let words = cli.words();
        cli.finish()?;
        match words.first().map(String::as_str) {
            Some("code-pages") => code_pages_cmd(&words[1..]),
            Some("check-links") if words.len() > 1 => check_links_cmd(&words[1..]),
            Some("check-links") => Err(kit::Error::Usage("check-links needs a book folder".into())),
            Some("diagram") if words.len() > 1 => diagram_cmd(&words[1..]),
            Some("diagram") => Err(kit::Error::Usage("diagram needs a .mmd file".into())),
            Some(other) => Err(kit::Error::Usage(format!("unknown command '{other}'"))),
            None => Err(kit::Error::Usage("which command?".into())),
        }
    })
}

fn code_pages_cmd(args: &[String]) -> kit::Result<()> {
    // `supports html`: every renderer gets plain Markdown, so yes to all.
    if args.first().is_some_and(|a| a == "supports") {
        return Ok(());
    }
    let mut input = String::new();
    io::stdin().read_to_string(&mut input)?;
    let book = code_pages::preprocess(&input).map_err(io::Error::other)?;
    let mut out = io::stdout().lock();
    out.write_all(book.as_bytes())?;
    out.flush()?;
    Ok(())
}

fn check_links_cmd(dirs: &[String]) -> kit::Result<()> {
    let mut dead = 0;
    for dir in dirs {
        let summary = links::check(Path::new(dir)).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "cannot read the book in {dir}: {e} (build it first: `mdbook build lessons`)"
                ),
            )
        })?;
        for d in &summary.dead {
            println!("{dir}/{d}");
        }
        println!(
            "check-links: {dir}: {} pages, {} links inside the book ({} dead), {} leaving it (not followed)",
            summary.pages,
            summary.internal,
            summary.dead.len(),
            summary.external
        );
        dead += summary.dead.len();
    }
    if dead > 0 {
        return Err(io::Error::other(format!(
            "{dead} dead link(s) in the built book (listed above, as page:line); fix the Markdown page the HTML page was built from"
        ))
        .into());
    }
    Ok(())
}

fn diagram_cmd(files: &[String]) -> kit::Result<()> {
    for file in files {
        let path = Path::new(file);
        if path.extension().is_none_or(|e| e != "mmd") {
            return Err(kit::Error::Usage(format!(
                "{file}: a diagram's source ends in .mmd"
            )));
        }
        let source = std::fs::read_to_string(path)
            .map_err(|e| io::Error::new(e.kind(), format!("cannot read {file}: {e}")))?;
        let parsed = diagram::parse(&source)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{file}: {e}")))?;
        let id = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let out = path.with_extension("svg");
        std::fs::write(&out, diagram::render(&parsed, &id)).map_err(|e| {
            io::Error::new(e.kind(), format!("cannot write {}: {e}", out.display()))
        })?;
        println!("wrote {}", out.display());
    }
    Ok(())
}
