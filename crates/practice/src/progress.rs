//! What the student has done so far, kept in `.practice/progress.json`.
//!
//! Only results and counters live here: whether a stage is started is told
//! by its saved reference copies, so a lost progress file loses no work.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::workspace::{self, Workspace};

pub const FILE: &str = "progress.json";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Progress {
    /// The stage `practice check`, `watch` and `hint` use when none is given:
    /// the last one started or checked.
    pub current: Option<u32>,
    pub stages: BTreeMap<u32, StageProgress>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StageProgress {
    /// Each rung's result at the last check; rungs not run are absent.
    pub rungs: BTreeMap<u32, Outcome>,
    /// The check that failed first at the last check.
    pub failing: Option<String>,
    /// How many hints were shown, per check (the rung is in its name).
    pub hints: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail,
}

impl Progress {
    /// The progress file of `ws`, or an empty progress when there is none
    /// (or it cannot be read: progress is a convenience, never a blocker).
    pub fn load(ws: &Workspace) -> Progress {
        Progress::load_from(&ws.state().join(FILE))
    }

    pub fn load_from(path: &Path) -> Progress {
        fs::read_to_string(path)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default()
    }

    pub fn save(&self, ws: &Workspace) -> io::Result<()> {
        self.save_to(&ws.state().join(FILE))
    }

    pub fn save_to(&self, path: &Path) -> io::Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(io::Error::other)?;
        workspace::write(path, format!("{text}\n").as_bytes())
    }

    pub fn stage(&mut self, number: u32) -> &mut StageProgress {
        self.stages.entry(number).or_default()
    }

    /// Records one check run: rungs `results` (in order), the first failing
    /// check if any.
    pub fn record(&mut self, number: u32, results: &[(u32, Outcome)], failing: Option<String>) {
        self.current = Some(number);
        let stage = self.stage(number);
        stage.rungs.clear();
        stage.rungs.extend(results.iter().copied());
        stage.failing = failing;
    }

    /// The next hint number (1-based) for `check`, counting this one.
    pub fn next_hint(&mut self, number: u32, check: &str) -> usize {
        let shown = self
            .stage(number)
            .hints
            .entry(check.to_string())
            .or_default();
        *shown += 1;
        *shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_through_the_file_and_missing_or_broken_files_are_empty() {
        let dir = std::env::temp_dir().join(format!("practice-progress-{}", std::process::id()));
        let path = dir.join("sub").join(FILE);
        assert_eq!(Progress::load_from(&path), Progress::default());

        let mut p = Progress::default();
        p.record(
            1,
            &[(1, Outcome::Pass), (2, Outcome::Fail)],
            Some("step2_x".into()),
        );
        assert_eq!(p.next_hint(1, "step2_x"), 1);
        assert_eq!(p.next_hint(1, "step2_x"), 2);
        assert_eq!(p.next_hint(1, "step3_y"), 1);
        p.save_to(&path).expect("save");
        let back = Progress::load_from(&path);
        assert_eq!(back, p);
        assert_eq!(back.current, Some(1));
        let text = fs::read_to_string(&path).expect("read");
        assert!(text.contains("\"fail\""), "{text}");

        fs::write(&path, "{ not json").expect("write");
        assert_eq!(Progress::load_from(&path), Progress::default());
        let _ = fs::remove_dir_all(dir);
    }
}
