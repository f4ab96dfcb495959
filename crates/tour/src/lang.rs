//! The tour's language: its narration in English or in Chinese.
//!
//! The switch is `kit::lang`'s (`--lang zh|en`, or the locale). Only the tour's own words change: the lines
//! the programs print (`listening on ...`, their logs and errors) are shown
//! as they are, in every language, as the lessons quote them.
//!
//! Every narration carries both languages side by side, so that a change
//! to one is seen next to the other: `t.say(&Say { en: "...", zh: "..." })`.
//! `tests/narration.rs` checks that each one has both.

pub use kit::lang::{Lang, current, set};

/// A sentence of the tour in both languages.
#[derive(Debug, Clone, Copy)]
pub struct Say {
    pub en: &'static str,
    pub zh: &'static str,
}

impl Say {
    /// The sentence in the language chosen.
    pub fn text(&self) -> &'static str {
        match current() {
            Lang::En => self.en,
            Lang::Zh => self.zh,
        }
    }
}

/// What `Tour::say` takes: a [`Say`], or, while a narration waits for its
/// translation, a plain English `&str` (which `tests/narration.rs`
/// reports).
pub trait Narration {
    fn text(&self) -> &str;
}

impl Narration for &Say {
    fn text(&self) -> &str {
        Say::text(self)
    }
}

impl Narration for &str {
    fn text(&self) -> &str {
        self
    }
}
