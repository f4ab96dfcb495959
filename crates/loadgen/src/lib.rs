//! `loadgen`: measures the stage servers from the outside.
//!
//! It speaks the wire protocols of the contract (`shared/contract.md`), not
//! any stage's code, so it measures a Rust stage server, a Python server from
//! `peers/`, or a student's own server the same way. Every case runs client
//! threads with blocking sockets, each with a timeout: connecting (or joining
//! the chat room) has a window of a few seconds, then the load runs for
//! `--secs` at most. A run always ends by itself, and a server that never
//! answers shows up as `waiting` or `lost`, never as a hang.
//!
//! - [`tcp_echo`]: lockstep round trips on C connections at once.
//! - [`udp_echo`]: lockstep datagrams from C clients, losses counted.
//! - [`hold`]: C connections open at the same time, one round trip on each.
//! - [`chat`]: a chat room's fan-out: delivered, latency, one order for all.
//! - [`compare`]: several servers, interleaved rounds, medians, CPU and memory.
//! - [`chart`]: `compare --svg`: the medians drawn as an SVG chart, by our own code.
//! - [`attack`]: what lesson 07 does to a chat room: `dribble` (slowloris),
//!   `flood`, `stall` (a client that never reads), `storm` (resets); and
//!   `hold --chat`, thousands joining at once.
//!
//! [`report::Report`] is what each case returns: a human summary and one
//! JSON line.

pub mod attack;
pub mod chart;
pub mod chat;
pub mod compare;
pub mod hold;
pub mod procfs;
pub mod report;
pub mod run;
pub mod tcp_echo;
pub mod udp_echo;
