//! `loadgen` (stub).
fn main() {}
