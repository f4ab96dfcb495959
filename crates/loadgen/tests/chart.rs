//! `loadgen compare --svg`: the comparison drawn as an SVG chart, checked
//! as a file the book can show: well-formed, with the measured values on it.
//!
//! The server compared is the Python echo peer (the checks pass, saying so,
//! where `python3` is missing); each run is short, one round.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const LOADGEN: &str = env!("CARGO_BIN_EXE_loadgen");
const PEER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/peers/echo_server.py");

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("loadgen-chart-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    path
}

fn compare(svg: &Path, extra: &[&str], conns: &str) -> Output {
    let server = format!("python3 {PEER}");
    let out = Command::new(LOADGEN)
        .args(["compare", "--rounds", "1", "--server", &server])
        .args(["--svg", &svg.to_string_lossy()])
        .args(extra)
        .args(["--", "tcp-echo", "--conns", conns, "--secs", "0.3"])
        .output()
        .expect("loadgen runs");
    assert!(
        out.status.success(),
        "loadgen compare --svg failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The table's `round trips/s` cell for the one server, as the chart writes
/// it: `12345` becomes `12,345`.
fn rate_in_table(stdout: &str) -> String {
    let row = stdout
        .lines()
        .find(|l| l.starts_with("| `echo_server.py`"))
        .unwrap_or_else(|| panic!("no table row in: {stdout}"));
    let cell = row.split('|').nth(2).unwrap_or("").trim().to_string();
    let mut out = String::new();
    for (i, c) in cell.chars().enumerate() {
        if i > 0 && (cell.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn well_formed(svg: &str) {
    match booktool::xml::check(svg) {
        Ok(root) => assert_eq!(root, "svg"),
        Err(e) => panic!("the chart is not well-formed XML: {e}\n{svg}"),
    }
}

#[test]
fn compare_draws_bars_with_every_value_written_on_them() {
    if !harness::python3_available() {
        return;
    }
    let path = scratch("bars.svg");
    let out = compare(&path, &[], "2");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("chart: {}", path.display())),
        "{stdout}"
    );
    let svg = std::fs::read_to_string(&path).expect("the chart was written");
    well_formed(&svg);
    for text in [
        ">echo_server.py</text>",
        "round trips/s (median)",
        ">p50</text>",
        ">p99</text>",
        ">max</text>",
        "loadgen tcp-echo --conns 2 --secs 0.3",
    ] {
        assert!(svg.contains(text), "the chart lacks {text:?}");
    }
    let rate = rate_in_table(&stdout);
    assert!(
        svg.contains(&format!(">{rate}</text>")),
        "the chart should write the rate {rate} of the table"
    );
    // One bar for the rate, three for the latencies.
    assert_eq!(svg.matches("class=\"bar\"").count(), 4, "{svg}");
}

#[test]
fn runs_with_svg_x_add_their_points_to_one_line_chart() {
    if !harness::python3_available() {
        return;
    }
    let path = scratch("series.svg");
    let first = compare(&path, &["--svg-x", "conns=1"], "1");
    let second = compare(&path, &["--svg-x", "conns=3"], "3");
    let svg = std::fs::read_to_string(&path).expect("the chart was written");
    well_formed(&svg);
    assert!(svg.contains("against conns"), "{svg}");
    assert_eq!(
        svg.matches("<polyline").count(),
        2,
        "a rate line and a p99 line"
    );
    assert!(
        svg.contains(">1</text>") && svg.contains(">3</text>"),
        "both x values"
    );
    for out in [first, second] {
        let rate = rate_in_table(&String::from_utf8_lossy(&out.stdout));
        assert!(
            svg.contains(&format!(">{rate}</text>")),
            "rate {rate} missing"
        );
    }
}

#[test]
fn svg_x_needs_svg_and_a_name_and_value() {
    for args in [
        &[
            "compare", "--server", "x", "--svg-x", "conns=1", "--", "tcp-echo",
        ][..],
        &[
            "compare", "--server", "x", "--svg", "a.svg", "--svg-x", "conns", "--", "tcp-echo",
        ],
    ] {
        let out = Command::new(LOADGEN)
            .args(args)
            .output()
            .expect("loadgen runs");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with("error: --svg-x"), "{args:?}: {stderr}");
    }
}
