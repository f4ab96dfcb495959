//! Plumbing that every stage shares and that is *not* the lesson.
//!
//! The lessons are about sockets, so every `std::net` call that does a
//! stage's work (`bind`, `accept`, `connect`, `read`, `write`, `recv_from`,
//! `send_to`, ...) stays in the stage's own files where a student can see it.
//! This crate holds what every program needs around those calls, and makes
//! socket calls of its own in one place only, [`Stop`]:
//!
//! - [`run`] and [`Cli`]: `[ADDR]` with the stage's default, flags, `--help`,
//!   and the exit-code convention (`0` done, `1` failed at run time, `2` bad
//!   command line), with errors printed as one `error: ...` line.
//! - [`Context`]: say *what* failed (`cannot listen on 127.0.0.1:9999`) while
//!   keeping the [`std::io::ErrorKind`] that picks the hint printed with it.
//! - [`Stop`]: Ctrl-C and SIGTERM, and how a thread blocked in a socket call
//!   gets woken so the server can shut down cleanly. To wake `accept()` it
//!   connects to the server's own listening address; `recv_from()`, it sends
//!   the socket an empty datagram; a connection's `read()`, it shuts that
//!   connection down. Lesson 01 shows why ("Ctrl-C: waking a blocked call").
//! - [`printable`]: show bytes a peer sent without letting them drive the
//!   terminal; [`invisible`]: the characters that draw nothing.
//! - [`rfc3339`]: a `SystemTime` as a date and time, for time stamps.
//! - [`lang`]: whether the tour and `practice` speak English or Chinese.

mod cli;
pub mod lang;
mod stop;
mod text;
mod time;

pub use cli::{Cli, Context, Error, Result, hint, run};
pub use stop::{STOP_DEADLINE, Stop, Watch};
pub use text::{invisible, printable};
pub use time::rfc3339;
