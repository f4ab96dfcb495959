//! The workspace as the practice tool sees it: its stages, their exercise
//! sites, their rungs and hints, and the saved reference.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::exercise::{self, Site};

/// Where the tool keeps its state, under the workspace root; git ignores it.
pub const STATE_DIR: &str = ".practice";

/// One stage crate: `crates/01-tcp-single`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    pub number: u32,
    /// `crates/01-tcp-single`, from the workspace root.
    pub dir: String,
    /// The package name, for `cargo test -p`.
    pub package: String,
    /// `lessons/01-tcp-single.md`, when there is one.
    pub lesson: Option<String>,
}

/// A workspace root, the folder whose `crates/` holds the stages.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub root: PathBuf,
}

impl Workspace {
    pub fn new(root: impl Into<PathBuf>) -> Workspace {
        Workspace { root: root.into() }
    }

    /// The workspace around the current folder: the nearest parent with a
    /// `Cargo.toml` and a `crates/` folder.
    pub fn find() -> Option<Workspace> {
        let here = std::env::current_dir().ok()?;
        here.ancestors()
            .find(|d| d.join("Cargo.toml").is_file() && d.join("crates").is_dir())
            .map(Workspace::new)
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    pub fn state(&self) -> PathBuf {
        self.root.join(STATE_DIR)
    }

    /// Where the reference copy of `rel` is kept while its stage is started.
    pub fn reference_copy(&self, rel: &str) -> PathBuf {
        self.state().join("reference").join(rel)
    }

    /// Where `practice reset` keeps the student's last version of `rel`.
    pub fn attempt_copy(&self, rel: &str) -> PathBuf {
        self.state().join("attempt").join(rel)
    }

    /// Every stage crate (`crates/NN-name`), in order.
    pub fn stages(&self) -> io::Result<Vec<Stage>> {
        let mut stages = Vec::new();
        for entry in fs::read_dir(self.root.join("crates"))? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(number) = name
                .split_once('-')
                .filter(|(n, _)| n.len() == 2)
                .and_then(|(n, _)| n.parse::<u32>().ok())
            else {
                continue;
            };
            let dir = format!("crates/{name}");
            let Ok(manifest) = fs::read_to_string(entry.path().join("Cargo.toml")) else {
                continue;
            };
            let Some(package) = package_name(&manifest) else {
                continue;
            };
            let lesson = fs::read_dir(self.root.join("lessons")).ok().and_then(|d| {
                let prefix = format!("{number:02}-");
                let mut pages: Vec<String> = d
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|f| f.starts_with(&prefix) && f.ends_with(".md"))
                    .collect();
                pages.sort();
                pages.into_iter().next().map(|p| format!("lessons/{p}"))
            });
            stages.push(Stage {
                number,
                dir,
                package,
                lesson,
            });
        }
        stages.sort_by_key(|s| s.number);
        Ok(stages)
    }

    pub fn stage(&self, number: u32) -> io::Result<Stage> {
        self.stages()?
            .into_iter()
            .find(|s| s.number == number)
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    crate::messages::no_such_stage(number),
                )
            })
    }

    /// The Rust files of a stage's `src/`, sorted, from the workspace root.
    pub fn source_files(&self, stage: &Stage) -> io::Result<Vec<String>> {
        let mut files = Vec::new();
        rust_files(
            &self.root,
            &self.root.join(&stage.dir).join("src"),
            &mut files,
        )?;
        files.sort();
        Ok(files)
    }

    /// The Rust files of a stage's `tests/`, sorted.
    pub fn test_files(&self, stage: &Stage) -> io::Result<Vec<String>> {
        let mut files = Vec::new();
        let dir = self.root.join(&stage.dir).join("tests");
        if dir.is_dir() {
            rust_files(&self.root, &dir, &mut files)?;
        }
        files.sort();
        Ok(files)
    }

    /// Every exercise site of a stage, read from its files as they are now
    /// (the markers stay in the exercise, so this works before and after
    /// `practice start`).
    pub fn sites(&self, stage: &Stage) -> io::Result<Vec<Site>> {
        let mut sites = Vec::new();
        for file in self.source_files(stage)? {
            let src = fs::read_to_string(self.path(&file))?;
            sites.extend(exercise::sites_in(&file, &stage.dir, &src).map_err(invalid)?);
        }
        sites.sort_by_key(|s| s.rung);
        Ok(sites)
    }

    /// The sites as the reference has them: from the saved copy of a
    /// started stage, else from the files themselves.
    pub fn reference_sites(&self, stage: &Stage) -> io::Result<Vec<(Site, String)>> {
        let mut out = Vec::new();
        for file in self.source_files(stage)? {
            let saved = self.reference_copy(&file);
            let src = if saved.is_file() {
                fs::read_to_string(saved)?
            } else {
                fs::read_to_string(self.path(&file))?
            };
            for site in exercise::sites_in(&file, &stage.dir, &src).map_err(invalid)? {
                out.push((site, src.clone()));
            }
        }
        Ok(out)
    }

    /// The stage's checks, each with its rung, hints and lesson.
    pub fn checks(&self, stage: &Stage) -> io::Result<Vec<crate::checks::CheckFn>> {
        let mut all = Vec::new();
        for file in self.test_files(stage)? {
            let src = fs::read_to_string(self.path(&file))?;
            all.extend(crate::checks::checks_in(&file, &src));
        }
        Ok(all)
    }

    /// Whether `practice start` has turned this stage into an exercise: its
    /// reference copies are saved.
    pub fn started(&self, stage: &Stage) -> bool {
        self.state().join("reference").join(&stage.dir).is_dir()
    }

    /// The files of a started stage that have a saved reference copy.
    pub fn saved_files(&self, stage: &Stage) -> io::Result<Vec<String>> {
        let mut files = Vec::new();
        let dir = self.state().join("reference").join(&stage.dir);
        if dir.is_dir() {
            rust_files(&self.state().join("reference"), &dir, &mut files)?;
        }
        files.sort();
        Ok(files)
    }
}

fn invalid(e: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

/// `name = "..."` in the `[package]` table of a manifest.
pub fn package_name(manifest: &str) -> Option<String> {
    let mut in_package = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package {
            if let Some(value) = line.strip_prefix("name").map(str::trim_start) {
                if let Some(value) = value.strip_prefix('=') {
                    return Some(value.trim().trim_matches('"').to_string());
                }
            }
        }
    }
    None
}

/// Collects the `.rs` files under `dir`, as paths relative to `base` with `/`.
fn rust_files(base: &Path, dir: &Path, out: &mut Vec<String>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            rust_files(base, &path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(base).unwrap_or(&path);
            let parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push(parts.join("/"));
        }
    }
    Ok(())
}

/// Writes `bytes` to `path`, creating its folder.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    fs::write(path, bytes)
}
