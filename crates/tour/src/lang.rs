//! The tour's language: its narration in English or in Chinese.
//!
//! Chinese with `--lang zh`, or by default when the locale is Chinese: the
//! first of `LC_ALL`, `LC_MESSAGES` and `LANG` that is set (the order in
//! which POSIX looks them up) starts with `zh` (`zh_CN.UTF-8`, `zh_TW`, ...).
//! `--lang en` forces English. Only the tour's own words change: the lines
//! the programs print (`listening on ...`, their logs and errors) are shown
//! as they are, in every language, as the lessons quote them.
//!
//! Every narration carries both languages side by side, so that a change
//! to one is seen next to the other: `t.say(&Say { en: "...", zh: "..." })`.
//! `tests/narration.rs` checks that each one has both.

use std::sync::atomic::{AtomicBool, Ordering};

/// The languages the tour speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Zh,
}

static CHINESE: AtomicBool = AtomicBool::new(false);

/// Sets the language for the rest of the run.
pub fn set(lang: Lang) {
    CHINESE.store(lang == Lang::Zh, Ordering::SeqCst);
}

/// The language chosen.
pub fn current() -> Lang {
    if CHINESE.load(Ordering::SeqCst) {
        Lang::Zh
    } else {
        Lang::En
    }
}

impl Lang {
    /// `en` or `zh` (`zh-CN`, `zh_TW` and the like are Chinese too).
    pub fn parse(text: &str) -> Option<Lang> {
        let lower = text.to_ascii_lowercase();
        if lower == "zh" || lower.starts_with("zh-") || lower.starts_with("zh_") {
            Some(Lang::Zh)
        } else if lower == "en" || lower.starts_with("en-") || lower.starts_with("en_") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The locale's language: Chinese when the first of `LC_ALL`,
    /// `LC_MESSAGES`, `LANG` that is set and not empty starts with `zh`.
    pub fn from_locale(var: impl Fn(&str) -> Option<String>) -> Lang {
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .find_map(|name| var(name).filter(|v| !v.is_empty()));
        match locale {
            Some(l) if l.starts_with("zh") => Lang::Zh,
            _ => Lang::En,
        }
    }

    /// From the command line (`--lang X` or `--lang=X`, if given) or else
    /// the locale; read before the command line is parsed, so that even
    /// `--help` speaks the right language. A value that is neither `en` nor
    /// `zh` is left for the parser to refuse.
    pub fn from_args_and_env(args: &[String]) -> Lang {
        let mut given = None;
        for (i, arg) in args.iter().enumerate() {
            if arg == "--" {
                break;
            }
            if let Some(value) = arg.strip_prefix("--lang=") {
                given = Lang::parse(value);
            } else if arg == "--lang" {
                given = args.get(i + 1).and_then(|v| Lang::parse(v));
            }
        }
        given.unwrap_or_else(|| Lang::from_locale(|name| std::env::var(name).ok()))
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn the_locale_decides_in_posix_order() {
        assert_eq!(Lang::from_locale(env(&[])), Lang::En);
        assert_eq!(Lang::from_locale(env(&[("LANG", "zh_CN.UTF-8")])), Lang::Zh);
        assert_eq!(
            Lang::from_locale(env(&[("LANG", "zh_CN.UTF-8"), ("LC_ALL", "C")])),
            Lang::En
        );
        assert_eq!(
            Lang::from_locale(env(&[("LANG", "en_US.UTF-8"), ("LC_MESSAGES", "zh_TW")])),
            Lang::Zh
        );
        // An empty variable is as good as unset.
        assert_eq!(
            Lang::from_locale(env(&[("LC_ALL", ""), ("LANG", "zh_CN")])),
            Lang::Zh
        );
    }

    #[test]
    fn lang_values() {
        assert_eq!(Lang::parse("zh"), Some(Lang::Zh));
        assert_eq!(Lang::parse("zh-CN"), Some(Lang::Zh));
        assert_eq!(Lang::parse("EN"), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            Lang::from_args_and_env(&args(&["1", "--lang", "zh"])),
            Lang::Zh
        );
        assert_eq!(Lang::from_args_and_env(&args(&["--lang=zh"])), Lang::Zh);
    }
}
