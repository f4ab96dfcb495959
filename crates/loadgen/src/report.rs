//! What a run measured, as a human summary and as one JSON line.
//!
//! Every case fills the same [`Report`]: how many operations succeeded
//! (round trips, answered datagrams, delivered chat messages, held
//! connections), how fast, their latency percentiles, and what went wrong.
//! Case-specific numbers go in [`Report::extra`], which the JSON line flattens
//! next to the common ones, so `loadgen compare` can take medians of any of
//! them without knowing the case.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One run's results.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Report {
    /// The subcommand: `tcp-echo`, `udp-echo`, `hold` or `chat`.
    pub case: String,
    /// What one operation is, for the summary: "round trips", ...
    pub unit: String,
    /// How long the measured phase took, in seconds.
    pub secs: f64,
    /// Operations that succeeded.
    pub ok: u64,
    /// Operations that were meant to happen (0 when a run is bounded by
    /// time rather than by a count).
    pub expected: u64,
    /// `ok / secs`.
    pub ok_per_s: f64,
    /// Latency of one operation: median, 99th percentile, worst, in µs.
    pub p50_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
    /// Operations or connections that failed, and why (by error kind).
    pub errors: u64,
    pub error_kinds: BTreeMap<String, u64>,
    /// Datagrams sent that got no reply in time (UDP), or chat messages a
    /// client never received.
    pub lost: u64,
    /// Numbers only this case has.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
    /// Sentences for the human summary that say what the numbers mean (the
    /// attack cases: "12 of 100 dribblers closed by the server..."). Not in
    /// the JSON line, which carries the same facts as numbers.
    #[serde(skip)]
    pub notes: Vec<String>,
}

impl Report {
    pub fn new(case: &str, unit: &str) -> Report {
        Report {
            case: case.into(),
            unit: unit.into(),
            ..Report::default()
        }
    }

    /// Fills `secs`, `ok_per_s` and the percentiles.
    pub fn timed(&mut self, elapsed: Duration, latencies: &mut Latencies) {
        self.secs = round3(elapsed.as_secs_f64());
        self.ok_per_s = match elapsed.as_secs_f64() {
            s if s > 0.0 => (self.ok as f64 / s).round(),
            _ => 0.0,
        };
        self.p50_us = latencies.percentile_us(50.0);
        self.p99_us = latencies.percentile_us(99.0);
        self.max_us = latencies.percentile_us(100.0);
    }

    /// Counts one failure of the given kind.
    pub fn error(&mut self, kind: impl Into<String>) {
        self.errors += 1;
        *self.error_kinds.entry(kind.into()).or_default() += 1;
    }

    /// Adds a case-specific number or flag.
    pub fn set(&mut self, key: &str, value: impl Into<Value>) {
        self.extra.insert(key.into(), value.into());
    }

    /// Adds a sentence to the human summary.
    pub fn note(&mut self, sentence: impl Into<String>) {
        self.notes.push(sentence.into());
    }

    /// A case-specific number, if present.
    pub fn get_f64(&self, key: &str) -> Option<f64> {
        self.extra.get(key).and_then(Value::as_f64)
    }

    /// The one-line JSON form.
    pub fn json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// The human summary, a few lines.
    pub fn human(&self) -> String {
        let mut s = String::new();
        let _ = write!(s, "{}: {} {}", self.case, self.ok, self.unit);
        if self.expected > 0 {
            let _ = write!(s, " of {}", self.expected);
        }
        let _ = writeln!(s, " in {:.2} s = {:.0}/s", self.secs, self.ok_per_s);
        let _ = writeln!(
            s,
            "  latency: p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
            self.p50_us, self.p99_us, self.max_us
        );
        let _ = write!(s, "  errors: {}", self.errors);
        for (kind, n) in &self.error_kinds {
            let _ = write!(s, " [{kind}: {n}]");
        }
        let _ = writeln!(s, ", lost: {}", self.lost);
        for note in &self.notes {
            let _ = writeln!(s, "  {note}");
        }
        if !self.extra.is_empty() {
            let extra: Vec<String> = self
                .extra
                .iter()
                .map(|(k, v)| format!("{k} {}", show(v)))
                .collect();
            let _ = writeln!(s, "  {}", extra.join(", "));
        }
        s
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Rounds to three decimals, so the JSON line stays readable.
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Latencies of single operations, in nanoseconds.
#[derive(Debug, Default, Clone)]
pub struct Latencies {
    ns: Vec<u64>,
    sorted: bool,
}

impl Latencies {
    pub fn push(&mut self, d: Duration) {
        self.ns
            .push(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
        self.sorted = false;
    }

    pub fn push_ns(&mut self, ns: u64) {
        self.ns.push(ns);
        self.sorted = false;
    }

    pub fn extend(&mut self, other: Latencies) {
        self.ns.extend(other.ns);
        self.sorted = false;
    }

    /// How many samples are longer than `limit`.
    pub fn count_over(&self, limit: Duration) -> u64 {
        let limit = u64::try_from(limit.as_nanos()).unwrap_or(u64::MAX);
        self.ns.iter().filter(|&&ns| ns > limit).count() as u64
    }

    /// The `p`th percentile (0 to 100) in µs, one decimal; 0 when empty.
    /// Nearest-rank: the value below which `p` % of the samples fall.
    pub fn percentile_us(&mut self, p: f64) -> f64 {
        if self.ns.is_empty() {
            return 0.0;
        }
        if !self.sorted {
            self.ns.sort_unstable();
            self.sorted = true;
        }
        let rank = ((p / 100.0) * self.ns.len() as f64).ceil() as usize;
        let at = rank.clamp(1, self.ns.len()) - 1;
        (self.ns[at] as f64 / 100.0).round() / 10.0
    }
}

/// The name an I/O error is counted under: its kind, as Rust names it
/// (`ConnectionRefused`, `TimedOut`, ...), which is what `strace` shows as
/// ECONNREFUSED, ETIMEDOUT.
pub fn kind_name(e: &io::Error) -> String {
    // EMFILE has no stable kind of its own; name it, it is the one that
    // matters when holding thousands of connections.
    match (e.raw_os_error(), e.kind()) {
        (Some(24), _) => "too many open files (EMFILE)".into(),
        (_, io::ErrorKind::WouldBlock) => "TimedOut".into(),
        (_, io::ErrorKind::UnexpectedEof) => "closed by the server".into(),
        // Errors loadgen made itself ("wrong reply"): their text says it.
        (None, _) if e.get_ref().is_some() => e.to_string(),
        (_, kind) => format!("{kind:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let mut l = Latencies::default();
        for us in 1..=100 {
            l.push(Duration::from_micros(us));
        }
        assert_eq!(l.percentile_us(50.0), 50.0);
        assert_eq!(l.percentile_us(99.0), 99.0);
        assert_eq!(l.percentile_us(100.0), 100.0);
        assert_eq!(Latencies::default().percentile_us(50.0), 0.0);
    }

    #[test]
    fn json_round_trips_with_extras() {
        let mut r = Report::new("tcp-echo", "round trips");
        r.ok = 7;
        r.set("conns", 3);
        r.error("TimedOut");
        let back: Report = serde_json::from_str(&r.json()).expect("own JSON parses");
        assert_eq!(back.ok, 7);
        assert_eq!(back.get_f64("conns"), Some(3.0));
        assert_eq!(back.error_kinds.get("TimedOut"), Some(&1));
    }
}
