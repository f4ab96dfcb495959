//! The checks of a stage, read from its `tests/*.rs`: each `stepN_...` test
//! is on rung N, and the doc comment above it may carry hints and a lesson
//! section:
//!
//! ```text
//! /// hint: the first hint, the most general.
//! /// hint-zh: 第一条提示的中文，放在它的英文下面。
//! /// hint: a more specific one; a hint may go on
//! /// over several lines until a blank `///` line or the next `hint:`.
//! /// hint-zh: 第二条的中文，同样可以
//! /// 跨好几行。
//! /// lesson: lessons/01-tcp-single.md#the-rust
//! #[test]
//! fn step1_serve_one_reads_once_and_echoes_the_message() -> Check {
//! ```
//!
//! A `hint-zh:` is the Chinese of the `hint:` above it, shown instead of it
//! when practice speaks Chinese ([`crate::lang`]); a hint without one is
//! shown in English there too.

/// One check (a `#[test]` function named `stepN_...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckFn {
    pub name: String,
    pub rung: u32,
    /// The file, from the workspace root, and the 1-based line of its `fn`.
    pub file: String,
    pub line: usize,
    /// Hints, from general to specific.
    pub hints: Vec<String>,
    /// The Chinese of each hint (`hint-zh:`), where written: as long as
    /// `hints`.
    pub hints_zh: Vec<Option<String>>,
    /// A lesson section of its own (`lesson:` line), if any.
    pub lesson: Option<String>,
}

/// The rung of a test name: `step12_x` is on rung 12.
pub fn rung_of(name: &str) -> Option<u32> {
    let rest = name.strip_prefix("step")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() || !rest[digits.len()..].starts_with('_') {
        return None;
    }
    digits.parse().ok()
}

/// The checks in one test file, in the order they are written.
pub fn checks_in(file: &str, src: &str) -> Vec<CheckFn> {
    let lines: Vec<&str> = src.lines().collect();
    let mut out = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        let t = t.strip_prefix("pub ").unwrap_or(t);
        let Some(rest) = t.strip_prefix("fn ") else {
            continue;
        };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let Some(rung) = rung_of(&name) else {
            continue;
        };
        // The doc comment and attributes right above the function.
        let mut docs = Vec::new();
        for above in lines[..n].iter().rev() {
            let a = above.trim();
            if let Some(doc) = a.strip_prefix("///") {
                docs.push(doc.strip_prefix(' ').unwrap_or(doc));
            } else if !a.starts_with("#[") {
                break;
            }
        }
        docs.reverse();
        let (hints, hints_zh, lesson) = hints_of(&docs);
        out.push(CheckFn {
            name,
            rung,
            file: file.to_string(),
            line: n + 1,
            hints,
            hints_zh,
            lesson,
        });
    }
    out
}

/// What the doc comment's line being read belongs to.
#[derive(Clone, Copy, PartialEq)]
enum Reading {
    Nothing,
    Hint,
    Chinese,
}

/// The `hint:` paragraphs, the `hint-zh:` below each (if any), and the
/// `lesson:` line of a doc comment.
fn hints_of(docs: &[&str]) -> (Vec<String>, Vec<Option<String>>, Option<String>) {
    let mut hints: Vec<String> = Vec::new();
    let mut hints_zh: Vec<Option<String>> = Vec::new();
    let mut lesson = None;
    let mut reading = Reading::Nothing;
    for doc in docs {
        let t = doc.trim();
        if let Some(h) = t.strip_prefix("hint:") {
            hints.push(h.trim().to_string());
            hints_zh.push(None);
            reading = Reading::Hint;
        } else if let Some(h) = t.strip_prefix("hint-zh:") {
            // The Chinese of the hint above; one before any hint is ignored.
            reading = Reading::Nothing;
            if let Some(last) = hints_zh.last_mut() {
                *last = Some(h.trim().to_string());
                reading = Reading::Chinese;
            }
        } else if let Some(l) = t.strip_prefix("lesson:") {
            lesson = Some(l.trim().to_string());
            reading = Reading::Nothing;
        } else if t.is_empty() {
            reading = Reading::Nothing;
        } else if reading == Reading::Hint {
            if let Some(last) = hints.last_mut() {
                last.push(' ');
                last.push_str(t);
            }
        } else if reading == Reading::Chinese
            && let Some(Some(last)) = hints_zh.last_mut()
        {
            // Chinese runs on without a space between lines, unless a line
            // ends or starts with a word of Latin letters or code.
            let ascii_end = last.chars().next_back().is_some_and(|c| c.is_ascii());
            let ascii_start = t.chars().next().is_some_and(|c| c.is_ascii());
            if ascii_end || ascii_start {
                last.push(' ');
            }
            last.push_str(t);
        }
    }
    (hints, hints_zh, lesson)
}

impl CheckFn {
    /// Hint `k` (0-based) in the language practice speaks, and whether it is
    /// the English one standing in for a Chinese one not written yet.
    pub fn hint(&self, k: usize) -> Option<(String, bool)> {
        self.hint_in(crate::lang::current(), k)
    }

    /// Hint `k` (0-based) in `lang`: see [`CheckFn::hint`].
    pub fn hint_in(&self, lang: crate::lang::Lang, k: usize) -> Option<(String, bool)> {
        let en = self.hints.get(k)?.clone();
        if lang == crate::lang::Lang::En {
            return Some((en, false));
        }
        match self.hints_zh.get(k).cloned().flatten() {
            Some(zh) => Some((zh, false)),
            None => Some((en, true)),
        }
    }
}

/// The rungs of a set of checks, sorted, each once.
pub fn rungs(checks: &[CheckFn]) -> Vec<u32> {
    let mut rungs: Vec<u32> = checks.iter().map(|c| c.rung).collect();
    rungs.sort_unstable();
    rungs.dedup();
    rungs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rungs_come_from_the_step_prefix() {
        assert_eq!(rung_of("step1_x"), Some(1));
        assert_eq!(rung_of("step12_x"), Some(12));
        assert_eq!(rung_of("step_x"), None);
        assert_eq!(rung_of("step1x"), None);
        assert_eq!(rung_of("steps"), None);
    }

    #[test]
    fn hints_span_lines_until_a_blank_line_or_the_next_hint() {
        let src = "\
/// Some words about the check.
///
/// hint-zh: ignored: no hint above it
/// hint: first, general
/// and continued.
/// hint-zh: 第一条，概括地说，
/// 接着说
/// `code` 也行。
/// hint: second
///
/// Not a hint.
/// lesson: lessons/01-x.md#y
#[test]
fn step3_does_a_thing() -> Check {
}

fn helper() {}

#[test]
fn step4_bare() {}
";
        let checks = checks_in("t.rs", src);
        assert_eq!(checks.len(), 2);
        assert_eq!(checks[0].name, "step3_does_a_thing");
        assert_eq!(checks[0].rung, 3);
        assert_eq!(checks[0].line, 14);
        assert_eq!(checks[0].hints, ["first, general and continued.", "second"]);
        assert_eq!(
            checks[0].hints_zh,
            [
                Some("第一条，概括地说，接着说 `code` 也行。".to_string()),
                None
            ]
        );
        assert_eq!(checks[0].lesson.as_deref(), Some("lessons/01-x.md#y"));
        assert!(checks[1].hints.is_empty());
        use crate::lang::Lang;
        assert_eq!(
            checks[0].hint_in(Lang::Zh, 0),
            Some(("第一条，概括地说，接着说 `code` 也行。".to_string(), false))
        );
        assert_eq!(
            checks[0].hint_in(Lang::Zh, 1),
            Some(("second".to_string(), true))
        );
        assert_eq!(
            checks[0].hint_in(Lang::En, 0),
            Some(("first, general and continued.".to_string(), false))
        );
        assert_eq!(rungs(&checks), [3, 4]);
    }
}
