//! Helpers for the workspace-wide checks in `tests/`: they read the lessons
//! and the manifests as text, so the lessons cannot drift from the code.
//!
//! [`python_map`] holds the examples of `lessons/python-to-rust.md` as doc
//! tests, so every Rust counterpart the map shows compiles and runs.

pub mod python_map;
