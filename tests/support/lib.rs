//! Helpers for the workspace-wide checks in `tests/`: they read the lessons
//! and the manifests as text, so the lessons cannot drift from the code.
