//! Which language the course's own tools speak: English, or Chinese.
//!
//! The tour and `practice` talk to a student; the lessons exist in English
//! and in Chinese, so they do too. Chinese with `--lang zh`, or by default
//! when the locale is Chinese: the first of `LC_ALL`, `LC_MESSAGES` and
//! `LANG` that is set (the order in which POSIX looks them up) starts with
//! `zh` (`zh_CN.UTF-8`, `zh_TW`, ...). `--lang en` forces English. The stage
//! binaries never change language: their output is what the lessons quote.

use std::sync::atomic::{AtomicBool, Ordering};

/// The languages the tools speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Zh,
}

static CHINESE: AtomicBool = AtomicBool::new(false);

/// Sets the language for the rest of the run (English until then).
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

/// `en` in English, `zh` in Chinese.
pub fn pick<T>(en: T, zh: T) -> T {
    match current() {
        Lang::En => en,
        Lang::Zh => zh,
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

    /// From the command line (`--lang X` or `--lang=X`, if given and valid)
    /// or else the locale; read before the command line is parsed, so that
    /// even `--help` speaks the right language. A value that is neither `en`
    /// nor `zh` is left for the parser to refuse.
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
    fn lang_values_and_the_command_line() {
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
        assert_eq!(
            Lang::from_args_and_env(&args(&["--", "--lang", "zh", "--lang=en"])),
            Lang::from_locale(|name| std::env::var(name).ok()),
            "after `--`, --lang is a word, not the flag"
        );
    }
}
