//! The attack cases against stage 7's `hardened-chat-server` (built here if
//! need be), where they prove its bounds: every dribbler closed at the join
//! timeout, told why; a flood passed on whole with no reader cut off; no
//! ghost after a reset storm; and past --max-clients, refusal lines. Small
//! flag values keep them quick. (`tests/attacks.rs` runs the same cases
//! against stage 6, where they show what goes wrong; stage 7's own step21
//! proves the write timeout, quicker than `loadgen stall` can.)

use std::sync::OnceLock;

use harness::Server;
use serde_json::Value;

mod common;
use common::{float, num, report};

/// Stage 7's server on port 0 with `args`, built here if need be.
fn hardened(args: &[&str]) -> Server {
    static EXE: OnceLock<Option<String>> = OnceLock::new();
    let exe = EXE.get_or_init(|| common::workspace_bin("hardened-chat", "hardened-chat-server"));
    let exe = exe.as_deref().expect("cargo build -p hardened-chat failed");
    let mut all = vec!["127.0.0.1:0"];
    all.extend(args);
    Server::start(exe, &all).expect("hardened-chat-server starts")
}

#[test]
fn dribble_against_stage_7_every_dribbler_is_told_and_closed_at_the_join_timeout() {
    let server = hardened(&["--join-timeout", "0.3"]);
    let pid = server.pid().to_string();
    let r = report(&[
        "dribble",
        "--addr",
        server.addr(),
        "--pid",
        &pid,
        "--conns",
        "5",
        "--interval-ms",
        "20",
        "--probe-ms",
        "100",
        "--secs",
        "0.7",
    ]);
    assert_eq!(num(&r, "dribblers_closed"), 5, "{r}");
    assert_eq!(num(&r, "dribblers_told"), 5, "{r}");
    assert_eq!(num(&r, "dribblers_open_at_end"), 0, "{r}");
    let after = float(&r, "closed_after_p50_s");
    assert!(
        (0.25..0.65).contains(&after),
        "closed 0.3 s after connecting: {r}"
    );
    assert_eq!(
        num(&r, "ok"),
        num(&r, "probes"),
        "fresh clients join throughout: {r}"
    );
}

#[test]
fn flood_against_stage_7_the_room_takes_it_all_and_no_reader_is_cut_off() {
    let server = hardened(&["--queue", "32"]);
    let r = report(&[
        "flood",
        "--addr",
        server.addr(),
        "--readers",
        "3",
        "--lines",
        "1000",
        "--secs",
        "5",
    ]);
    assert_eq!(num(&r, "readers_disconnected"), 0, "{r}");
    assert_eq!(num(&r, "room_took"), 1000, "{r}");
    assert_eq!(num(&r, "lost"), 0, "{r}");
    assert_eq!(num(&r, "readers_complete"), 3, "{r}");
    assert_eq!(r["same_order"], Value::Bool(true), "{r}");
}

#[test]
fn flood_against_stage_7_a_deaf_flooder_never_costs_a_reader() {
    let server = hardened(&["--queue", "16"]);
    let r = report(&[
        "flood",
        "--addr",
        server.addr(),
        "--readers",
        "3",
        "--lines",
        "1000",
        "--deaf",
        "--secs",
        "5",
    ]);
    assert_eq!(num(&r, "readers_disconnected"), 0, "{r}");
    assert_eq!(r["same_order"], Value::Bool(true), "{r}");
}

#[test]
fn storm_against_stage_7_leaves_no_ghost() {
    let server = hardened(&["--queue", "8"]);
    let pid = server.pid().to_string();
    let r = report(&[
        "storm",
        "--addr",
        server.addr(),
        "--clients",
        "20",
        "--lines",
        "5",
        "--waves",
        "3",
        "--pid",
        &pid,
        "--settle-secs",
        "3",
        "--secs",
        "10",
    ]);
    assert_eq!(num(&r, "ghosts"), 0, "{r}");
    assert_eq!(r["settled"], Value::Bool(true), "{r}");
    assert!(num(&r, "threads_after") <= num(&r, "threads_before"), "{r}");
    assert!(num(&r, "fds_after") <= num(&r, "fds_before"), "{r}");
}

#[test]
fn hold_chat_against_stage_7_refuses_past_the_cap_with_an_error_line() {
    let server = hardened(&["--max-clients", "10"]);
    let r = report(&[
        "hold",
        "--chat",
        "--addr",
        server.addr(),
        "--conns",
        "15",
        "--parallel",
        "2",
        "--secs",
        "5",
    ]);
    assert_eq!(num(&r, "joined"), 10, "{r}");
    assert_eq!(num(&r, "refused"), 5, "{r}");
    assert_eq!(num(&r, "hung") + num(&r, "closed"), 0, "{r}");
}
