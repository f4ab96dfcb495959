//! The command line and the exit-code convention every binary follows.
//!
//! ```text
//! NAME-server [ADDR] [--flags]      0: done   1: failed at run time   2: bad command line
//! ```

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};

/// Why a program stops early.
#[derive(Debug)]
pub enum Error {
    /// The command line is wrong: `error: ...` plus the usage line, exit 2.
    Usage(String),
    /// Something failed while running: one `error: ...` line with a hint, exit 1.
    Run(io::Error),
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Run(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(msg) => f.write_str(msg),
            Error::Run(e) => write!(f, "{}", one_line(e)),
        }
    }
}

/// What a binary's body returns.
pub type Result<T> = std::result::Result<T, Error>;

/// Runs a binary's body and turns its outcome into the contract's exit codes.
///
/// `help` is the text `--help` prints; its first line is the usage line that
/// follows a command-line error. `body` parses what it needs from the [`Cli`],
/// then does the work; `?` on an [`io::Result`] turns into exit 1 with the
/// error and a hint on one line, `?` on a [`Cli`] method into exit 2.
pub fn run(help: &'static str, body: impl FnOnce(&mut Cli) -> Result<()>) -> ExitCode {
    quiet_panics();
    let mut cli = Cli::from_env(help);
    if cli.wants_help() {
        print!("{help}");
        return ExitCode::SUCCESS;
    }
    match body(&mut cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Error::Usage(msg)) => {
            eprintln!("error: {msg}");
            eprintln!("{}", cli.usage());
            ExitCode::from(2)
        }
        Err(Error::Run(e)) => {
            eprintln!("error: {}", one_line(&e));
            ExitCode::from(1)
        }
    }
}

/// A panic is a bug in the program, not something the user did; it still gets
/// one readable line instead of a message and a backtrace. Two panics are not
/// bugs: printing to a closed pipe, which ends the program with exit 1, and a
/// `todo!()` of an exercise not written yet, which says so ([`panic_line`]).
fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        // println! panics when standard output is a pipe whose reader has
        // gone (`server | head -1`, a closed terminal): the program's output
        // has nowhere to go, so stop, as a Unix tool stops on SIGPIPE, with
        // one line instead of a report of a bug. From any thread.
        if what.starts_with("failed printing to stdout") {
            // Several threads may find out at once: one says it and exits,
            // the others wait for the end.
            static STOPPING: AtomicBool = AtomicBool::new(false);
            if !STOPPING.swap(true, Ordering::SeqCst) {
                eprintln!("error: {what}: nobody reads this program's output any more; stopping");
                std::process::exit(1);
            }
            loop {
                std::thread::park();
            }
        }
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("{}", panic_line(&what, &place));
    }));
}

/// The one line a panic prints. A `todo!()` is not a bug: it is a function
/// of the exercise (`practice start`) that nobody has written yet, and its
/// text names it (`todo!("serve_one (stage 1, rung 1)")` panics with
/// `not yet implemented: serve_one (stage 1, rung 1)`).
fn panic_line(what: &str, place: &str) -> String {
    match what.strip_prefix("not yet implemented") {
        Some("") => format!("error: not written yet: the todo!(){place}"),
        Some(rest) if rest.starts_with(": ") => {
            format!("error: not written yet: {}", &rest[2..])
        }
        _ => format!(
            "error: internal bug{place}: {what} (this is a bug in the program, not in what you did)"
        ),
    }
}

/// The error as one line: what failed, then what to try.
fn one_line(e: &io::Error) -> String {
    let text = e.to_string().replace('\n', " ");
    match hint(e.kind()) {
        Some(hint) => format!("{text}; {hint}"),
        None => text,
    }
}

/// What to try next, for the errors a student meets in these lessons.
pub fn hint(kind: io::ErrorKind) -> Option<&'static str> {
    use io::ErrorKind::*;
    Some(match kind {
        AddrInUse => {
            "another program is listening on that port: stop it, or pass another ADDR (port 0 lets the OS pick a free one)"
        }
        AddrNotAvailable => {
            "that IP address is not one of this machine's: use 127.0.0.1, or 0.0.0.0 for every interface"
        }
        ConnectionRefused => {
            "nothing is listening there: start the server first, or check the ADDR"
        }
        PermissionDenied => "ports below 1024 need root: use a port above 1024",
        TimedOut | WouldBlock => "no answer in time: is the server running, and is the ADDR right?",
        ConnectionReset => "the other side closed the connection abruptly (a TCP reset)",
        _ => return None,
    })
}

/// Adds what was being done to an I/O error and keeps its kind, so the hint
/// printed with it still fits.
///
/// ```
/// use kit::Context;
/// let e = std::fs::read("/no/such/file").context("cannot read the config");
/// assert!(e.unwrap_err().to_string().starts_with("cannot read the config: "));
/// ```
pub trait Context<T> {
    fn context(self, what: impl fmt::Display) -> io::Result<T>;
}

impl<T> Context<T> for io::Result<T> {
    fn context(self, what: impl fmt::Display) -> io::Result<T> {
        self.map_err(|e| {
            // `Address already in use (os error 98)`: the number is noise for
            // a reader; `strace` shows it as EADDRINUSE anyway.
            let text = e.to_string();
            let text = match (e.raw_os_error(), text.rfind(" (os error ")) {
                (Some(_), Some(at)) => text[..at].to_string(),
                _ => text,
            };
            io::Error::new(e.kind(), format!("{what}: {text}"))
        })
    }
}

/// The arguments of one binary, taken apart on demand.
///
/// Each `flag`/`value`/`addr` call takes what it understands out of the list;
/// [`Cli::finish`] then refuses whatever is left (an unknown flag, an extra
/// word), so a typo is an error instead of being silently ignored.
#[derive(Debug, Clone)]
pub struct Cli {
    help: &'static str,
    args: Vec<Arg>,
}

#[derive(Debug, Clone)]
struct Arg {
    text: String,
    /// Came after `--`: a word, never a flag.
    word: bool,
}

impl Arg {
    fn is_flag(&self) -> bool {
        !self.word && self.text.starts_with('-') && self.text != "-"
    }
}

impl Cli {
    /// The arguments this process was started with.
    pub fn from_env(help: &'static str) -> Cli {
        Cli::from_args(help, std::env::args().skip(1))
    }

    /// Given arguments (without the program name), for tests.
    pub fn from_args(help: &'static str, args: impl IntoIterator<Item = String>) -> Cli {
        let mut out = Vec::new();
        let mut words_only = false;
        for text in args {
            if !words_only && text == "--" {
                words_only = true;
                continue;
            }
            // `--name=value` is the same as `--name value`.
            match text.split_once('=') {
                Some((name, value)) if !words_only && name.starts_with("--") => {
                    out.push(Arg {
                        text: name.to_string(),
                        word: false,
                    });
                    out.push(Arg {
                        text: value.to_string(),
                        word: true,
                    });
                }
                _ => out.push(Arg {
                    text,
                    word: words_only,
                }),
            }
        }
        Cli { help, args: out }
    }

    /// The first line of the help text.
    pub fn usage(&self) -> &'static str {
        self.help.lines().next().unwrap_or("")
    }

    fn wants_help(&self) -> bool {
        self.args
            .iter()
            .any(|a| a.is_flag() && (a.text == "-h" || a.text == "--help"))
    }

    /// Whether `--name` was given (it is taken out of the list).
    pub fn flag(&mut self, name: &str) -> bool {
        let before = self.args.len();
        self.args.retain(|a| !(a.is_flag() && a.text == name));
        self.args.len() != before
    }

    /// The value of `--name VALUE` or `--name=VALUE`, parsed, if given.
    pub fn value<T: FromStr>(&mut self, name: &str) -> Result<Option<T>> {
        let Some(at) = self.args.iter().position(|a| a.is_flag() && a.text == name) else {
            return Ok(None);
        };
        self.args.remove(at);
        if at >= self.args.len() {
            return Err(Error::Usage(format!("{name} needs a value")));
        }
        let text = self.args.remove(at).text;
        text.parse()
            .map(Some)
            .map_err(|_| Error::Usage(format!("{name}: '{text}' is not a valid value")))
    }

    /// The server's or client's address: the first word if there is one (it
    /// must be `HOST:PORT`), else `default`.
    pub fn addr(&mut self, default: &str) -> Result<String> {
        match self.args.iter().position(|a| !a.is_flag()) {
            Some(at) => {
                let text = self.args.remove(at).text;
                check_addr(&text)?;
                Ok(text)
            }
            None => Ok(default.to_string()),
        }
    }

    /// Like [`Cli::addr`], for a binary whose other words are free text (a
    /// message): the first word is the address only if it looks like one.
    pub fn addr_if_given(&mut self, default: &str) -> String {
        match self.args.iter().position(|a| !a.is_flag()) {
            Some(at) if check_addr(&self.args[at].text).is_ok() => self.args.remove(at).text,
            _ => default.to_string(),
        }
    }

    /// All remaining words (not flags), taken out of the list.
    pub fn words(&mut self) -> Vec<String> {
        let (words, rest) = self.args.drain(..).partition(|a| !a.is_flag());
        self.args = rest;
        words.into_iter().map(|a| a.text).collect()
    }

    /// Refuses whatever nobody took: an unknown flag or an extra word.
    pub fn finish(&self) -> Result<()> {
        match self.args.first() {
            None => Ok(()),
            Some(a) if a.is_flag() => Err(Error::Usage(format!("unknown option '{}'", a.text))),
            Some(a) => Err(Error::Usage(format!("unexpected argument '{}'", a.text))),
        }
    }
}

/// `HOST:PORT`, where HOST is an IPv4 address, `[IPv6]`, or a host name.
/// Host names are only checked for shape here; the OS resolves them when the
/// program binds or connects.
fn check_addr(text: &str) -> Result<()> {
    if text.parse::<SocketAddr>().is_ok() {
        return Ok(());
    }
    let bad = || {
        Error::Usage(format!(
            "'{text}' is not an address: write HOST:PORT, for example 127.0.0.1:9999, [::1]:9999 or localhost:9999"
        ))
    };
    let (host, port) = text.rsplit_once(':').ok_or_else(bad)?;
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && host.chars().any(|c| c.is_ascii_alphabetic());
    if host_ok && port.parse::<u16>().is_ok() {
        Ok(())
    } else {
        Err(bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELP: &str = "usage: demo [ADDR] [--loud] [--max N]\n\nmore text\n";

    fn cli(args: &[&str]) -> Cli {
        Cli::from_args(HELP, args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn addresses_in_every_accepted_shape() {
        for good in [
            "127.0.0.1:9999",
            "0.0.0.0:0",
            "[::1]:80",
            "localhost:8080",
            "my-host.lan:1",
        ] {
            assert!(cli(&[good]).addr("x").is_ok(), "{good} should be accepted");
        }
        for bad in [
            "9999",
            "127.0.0.1",
            "::1:80",
            "localhost:",
            ":80",
            "host:99999",
            "a b:1",
            "1.2.3:4",
        ] {
            assert!(cli(&[bad]).addr("x").is_err(), "{bad} should be refused");
        }
        assert_eq!(
            cli(&[]).addr("127.0.0.1:1").ok().as_deref(),
            Some("127.0.0.1:1")
        );
    }

    #[test]
    fn flags_values_and_leftovers() {
        let mut c = cli(&["--loud", "127.0.0.1:1", "--max=7"]);
        assert!(c.flag("--loud"));
        assert_eq!(c.value::<u32>("--max").ok().flatten(), Some(7));
        assert_eq!(c.addr("x").ok().as_deref(), Some("127.0.0.1:1"));
        assert!(c.finish().is_ok());

        let mut c = cli(&["--max", "many"]);
        assert!(c.value::<u32>("--max").is_err());
        let mut c = cli(&["--max"]);
        assert!(c.value::<u32>("--max").is_err());
        assert!(cli(&["--nope"]).finish().is_err());
        assert!(cli(&["-h"]).wants_help());
        assert!(!cli(&["--", "-h"]).wants_help());
    }

    #[test]
    fn message_words_are_not_taken_for_an_address() {
        let mut c = cli(&["hello", "world"]);
        assert_eq!(c.addr_if_given("d:1"), "d:1");
        assert_eq!(c.words(), ["hello", "world"]);
        let mut c = cli(&["localhost:5", "hi", "--", "-x"]);
        assert_eq!(c.addr_if_given("d:1"), "localhost:5");
        assert_eq!(c.words(), ["hi", "-x"]);
    }

    #[test]
    fn a_todo_is_not_written_yet_and_any_other_panic_is_a_bug() {
        assert_eq!(
            panic_line(
                "not yet implemented: serve_one (stage 1, rung 1)",
                " at src/lib.rs:9"
            ),
            "error: not written yet: serve_one (stage 1, rung 1)"
        );
        assert_eq!(
            panic_line("not yet implemented", " at src/lib.rs:9"),
            "error: not written yet: the todo!() at src/lib.rs:9"
        );
        let bug = panic_line("index out of bounds", " at src/lib.rs:9");
        assert!(bug.starts_with("error: internal bug at src/lib.rs:9: index out of bounds"));
        assert!(panic_line("not yet implementedX", "").contains("internal bug"));
    }

    #[test]
    fn context_keeps_the_kind_and_drops_the_errno() {
        let e: io::Result<()> = Err(io::Error::from_raw_os_error(98));
        let Err(e) = e.context("cannot listen on 127.0.0.1:1") else {
            panic!("context turned an error into success");
        };
        assert_eq!(e.kind(), io::ErrorKind::AddrInUse);
        assert_eq!(
            e.to_string(),
            "cannot listen on 127.0.0.1:1: Address already in use"
        );
        assert!(one_line(&e).contains("port 0"));
    }
}
