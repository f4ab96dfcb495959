//! The practice tool: each stage's own functions become the exercise, its
//! checks the rungs of a ladder. See `crates/practice/README.md`.
//!
//! The binary (`src/main.rs`) only reads the command line; everything it does
//! is here, so the tests can run it on a workspace in a temporary folder.

pub mod checks;
pub mod commands;
pub mod diff;
pub mod exercise;
pub mod lang;
pub mod messages;
pub mod progress;
pub mod run;
pub mod scan;
pub mod selfcheck;
pub mod workspace;
