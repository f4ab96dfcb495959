//! `loadgen compare --svg FILE`: the comparison as a picture, drawn by this
//! file alone (std and serde, no plotting library).
//!
//! Two panels, one colour per server, one legend:
//!
//! - one comparison (no `--svg-x`): bars. The rate per server (round trips,
//!   datagrams or messages a second), then the latency percentiles p50, p99
//!   and max, each a group of bars, on a logarithmic scale (a Python server
//!   can be a hundred times slower than ours, and both must stay readable).
//! - a series of comparisons (`--svg-x conns=64`, one run per value, all
//!   into the same FILE): lines. The rate against that parameter, and p99
//!   against it.
//!
//! So that runs can add their points to a picture, the SVG carries its data:
//! a `<metadata>` element holds the chart as JSON. A run with `--svg-x`
//! reads the FILE it is about to write, keeps the points of the other runs,
//! and replaces its own. `crates/loadgen/measure.sh` deletes the file before
//! a series, so a picture is always one campaign's.
//!
//! Every measured number that is drawn is also written on the picture, so
//! the chart can be read exactly, and checked.

use std::fmt::Write;
use std::{fs, io};

use serde::{Deserialize, Serialize};

use crate::compare::{Compare, Results, median};

/// Draws a comparison's medians into the SVG file `path`. With `x`
/// (`--svg-x name=value`) the run is one point of a series: the points
/// already in `path` from other runs of the same series are kept.
pub fn write(
    path: &str,
    results: &[Results],
    cfg: &Compare,
    machine: &str,
    x: Option<(&str, &str)>,
) -> io::Result<()> {
    // The varied parameter is the x axis, not part of the title.
    let mut args: Vec<&str> = Vec::new();
    let mut words = cfg.case.iter().map(String::as_str).peekable();
    while let Some(word) = words.next() {
        if x.is_some_and(|(name, _)| word == format!("--{name}")) {
            words.next();
            continue;
        }
        args.push(word);
    }
    let mut title = format!("loadgen {}", args.join(" "));
    if let Some((name, _)) = x {
        title.push_str(&format!(", against {name}"));
    }
    let note = match cfg.rounds {
        1 => format!("{machine}; one round"),
        n => format!("{machine}; medians of {n} rounds, servers interleaved"),
    };
    let mut chart = Chart::from_results(results, &title, &note, x);
    if x.is_some()
        && let Some(earlier) = fs::read_to_string(path)
            .ok()
            .and_then(|text| Chart::from_svg(&text))
    {
        chart = chart.merged_into(earlier);
    }
    fs::write(path, chart.to_svg())
        .map_err(|e| io::Error::new(e.kind(), format!("cannot write the chart {path}: {e}")))
}

/// What is drawn: a title, a note saying where and how it was measured, and
/// one series of points per server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chart {
    pub title: String,
    pub note: String,
    /// What the rate counts, plural: `round trips`, `messages delivered`.
    pub unit: String,
    /// The parameter the runs vary (`conns`), for a line chart; `None` for
    /// one comparison's bars.
    pub x_name: Option<String>,
    pub series: Vec<Series>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub label: String,
    pub points: Vec<Point>,
}

/// One server's medians in one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// The value of `x_name` for this run ("" for bars).
    pub x: String,
    pub rate: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
}

impl Chart {
    /// The chart of one comparison: each server's medians. `x` is
    /// `(name, value)` from `--svg-x name=value`.
    pub fn from_results(
        results: &[Results],
        title: &str,
        note: &str,
        x: Option<(&str, &str)>,
    ) -> Chart {
        let mut unit = String::new();
        let series = results
            .iter()
            .map(|r| {
                let m = median(&r.rounds);
                if unit.is_empty() {
                    unit = m.unit.clone();
                }
                Series {
                    label: r.label.clone(),
                    points: vec![Point {
                        x: x.map(|(_, v)| v.to_string()).unwrap_or_default(),
                        rate: m.ok_per_s,
                        p50_us: m.p50_us,
                        p99_us: m.p99_us,
                        max_us: m.max_us,
                    }],
                }
            })
            .collect();
        Chart {
            title: title.to_string(),
            note: note.to_string(),
            unit,
            x_name: x.map(|(n, _)| n.to_string()),
            series,
        }
    }

    /// This run's points added to an earlier chart of the same series (same
    /// parameter, same unit): a server's point for this `x` replaces its
    /// old one, new servers and new values of `x` are added in order. A
    /// chart of something else is not merged: this one replaces it.
    pub fn merged_into(self, earlier: Chart) -> Chart {
        if self.x_name.is_none() || earlier.x_name != self.x_name || earlier.unit != self.unit {
            return self;
        }
        let mut merged = earlier;
        merged.title = self.title;
        merged.note = self.note;
        for series in self.series {
            match merged.series.iter_mut().find(|s| s.label == series.label) {
                Some(old) => {
                    for point in series.points {
                        match old.points.iter_mut().find(|p| p.x == point.x) {
                            Some(p) => *p = point,
                            None => old.points.push(point),
                        }
                    }
                }
                None => merged.series.push(series),
            }
        }
        merged
    }

    /// The chart an SVG written by [`Chart::to_svg`] carries, if any.
    pub fn from_svg(svg: &str) -> Option<Chart> {
        let start = svg.find(META_OPEN)? + META_OPEN.len();
        let end = start + svg[start..].find("</metadata>")?;
        serde_json::from_str(&unescape(&svg[start..end])).ok()
    }

    /// The x values in the order the runs first gave them.
    fn xs(&self) -> Vec<String> {
        let mut xs: Vec<String> = Vec::new();
        for p in self.series.iter().flat_map(|s| &s.points) {
            if !xs.contains(&p.x) {
                xs.push(p.x.clone());
            }
        }
        xs
    }

    /// The picture.
    pub fn to_svg(&self) -> String {
        let mut svg = String::new();
        let legend_rows = self.series.len().div_ceil(3);
        let top = 62.0 + 20.0 * legend_rows as f64;
        // Two panels; the second one's x labels (and axis name) at its foot.
        let height = top + 2.0 * PANEL_H + PANEL_GAP + 12.0;
        let _ = writeln!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" id="{ID}" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" aria-labelledby="{ID}-title" style="max-width:100%;height:auto">"#
        );
        let _ = writeln!(
            svg,
            r#"<title id="{ID}-title">{}</title>"#,
            escape(&self.title)
        );
        let data = serde_json::to_string(self).unwrap_or_default();
        let _ = writeln!(svg, "{META_OPEN}{}</metadata>", escape(&data));
        let _ = writeln!(
            svg,
            r##"<style>
#{ID} text {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; font-size: 12px; fill: #1f2328; }}
#{ID} .title {{ font-size: 15px; font-weight: 600; }}
#{ID} .note {{ font-size: 11px; fill: #57606a; }}
#{ID} .axis {{ stroke: #57606a; stroke-width: 1; }}
#{ID} .grid {{ stroke: #d8dee4; stroke-width: 1; }}
#{ID} .value {{ font-size: 10.5px; }}
#{ID} .panel {{ font-size: 13px; font-weight: 600; }}
</style>"##
        );
        let _ = writeln!(
            svg,
            r##"<rect x="0.5" y="0.5" width="{}" height="{}" rx="8" fill="#ffffff" stroke="#d0d7de"/>"##,
            WIDTH - 1.0,
            height - 1.0
        );
        let _ = writeln!(
            svg,
            r#"<text x="16" y="26" class="title">{}</text>"#,
            escape(&self.title)
        );
        let _ = writeln!(
            svg,
            r#"<text x="16" y="44" class="note">{}</text>"#,
            escape(&self.note)
        );
        // The legend: one colour per server.
        for (i, s) in self.series.iter().enumerate() {
            let (col, row) = (i % 3, i / 3);
            let x = 16.0 + col as f64 * 245.0;
            let y = 60.0 + row as f64 * 20.0;
            let _ = writeln!(
                svg,
                r#"<rect x="{x}" y="{}" width="12" height="12" rx="2" fill="{}" class="legend"/>"#,
                y,
                colour(i)
            );
            let _ = writeln!(
                svg,
                r#"<text x="{}" y="{}">{}</text>"#,
                x + 18.0,
                y + 10.5,
                escape(&s.label)
            );
        }
        let rate_title = format!("{}/s (median), higher is better", self.unit);
        let latency_title = match self.x_name {
            Some(_) => "p99 latency (median), lower is better; log scale".to_string(),
            None => "latency (median), lower is better; log scale".to_string(),
        };
        let second = top + PANEL_H + PANEL_GAP;
        match &self.x_name {
            None => {
                self.bars_rate(&mut svg, top, &rate_title);
                self.bars_latency(&mut svg, second, &latency_title);
            }
            Some(name) => {
                self.lines(&mut svg, top, &rate_title, name, |p| p.rate, Scale::Linear);
                self.lines(
                    &mut svg,
                    second,
                    &latency_title,
                    name,
                    |p| p.p99_us,
                    Scale::Log,
                );
            }
        }
        svg.push_str("</svg>\n");
        svg
    }

    fn bars_rate(&self, svg: &mut String, top: f64, title: &str) {
        let values: Vec<f64> = self
            .series
            .iter()
            .map(|s| s.points.first().map_or(0.0, |p| p.rate))
            .collect();
        let axis = Axis::linear(values.iter().copied().fold(0.0, f64::max));
        let frame = Frame::new(top, title, &axis, svg);
        let n = values.len().max(1) as f64;
        let slot = frame.width / n;
        let bar = (slot * 0.55).min(90.0);
        for (i, (value, s)) in values.iter().zip(&self.series).enumerate() {
            let cx = frame.left + slot * (i as f64 + 0.5);
            frame.bar(svg, cx - bar / 2.0, bar, *value, &axis, colour(i));
            frame.value(svg, cx, *value, &axis, &count(*value));
            frame.x_label(svg, cx, &s.label);
        }
    }

    fn bars_latency(&self, svg: &mut String, top: f64, title: &str) {
        type Pick = fn(&Point) -> f64;
        let picks: [(&str, Pick); 3] = [
            ("p50", |p| p.p50_us),
            ("p99", |p| p.p99_us),
            ("max", |p| p.max_us),
        ];
        let all: Vec<f64> = self
            .series
            .iter()
            .filter_map(|s| s.points.first())
            .flat_map(|p| picks.iter().map(move |(_, f)| f(p)))
            .collect();
        let axis = Axis::log(&all);
        let frame = Frame::new(top, title, &axis, svg);
        let group = frame.width / picks.len() as f64;
        let n = self.series.len().max(1) as f64;
        let bar = ((group * 0.8) / n).min(60.0);
        for (g, (name, pick)) in picks.iter().enumerate() {
            let start = frame.left + group * g as f64 + (group - bar * n) / 2.0;
            for (i, s) in self.series.iter().enumerate() {
                let Some(p) = s.points.first() else { continue };
                let value = pick(p);
                let x = start + bar * i as f64;
                frame.bar(svg, x + 1.0, bar - 2.0, value, &axis, colour(i));
                frame.value(svg, x + bar / 2.0, value, &axis, &micros(value));
            }
            frame.x_label(svg, frame.left + group * (g as f64 + 0.5), name);
        }
    }

    fn lines(
        &self,
        svg: &mut String,
        top: f64,
        title: &str,
        x_name: &str,
        pick: fn(&Point) -> f64,
        scale: Scale,
    ) {
        let xs = self.xs();
        let values: Vec<f64> = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(pick))
            .collect();
        let axis = match scale {
            Scale::Linear => Axis::linear(values.iter().copied().fold(0.0, f64::max)),
            Scale::Log => Axis::log(&values),
        };
        let frame = Frame::new(top, title, &axis, svg);
        let step = frame.width / xs.len().max(1) as f64;
        let at = |x: &str| {
            let i = xs.iter().position(|v| v == x).unwrap_or(0);
            frame.left + step * (i as f64 + 0.5)
        };
        for x in &xs {
            frame.x_label(svg, at(x), x);
        }
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            frame.left + frame.width / 2.0,
            frame.bottom + 34.0,
            escape(x_name)
        );
        // Value labels, moved apart where two points nearly meet.
        let mut labels: Vec<(f64, f64, String, &str)> = Vec::new();
        for (i, s) in self.series.iter().enumerate() {
            let points: Vec<(f64, f64, f64)> = s
                .points
                .iter()
                .filter(|p| axis.shows(pick(p)))
                .map(|p| (at(&p.x), frame.y(pick(p), &axis), pick(p)))
                .collect();
            let path: Vec<String> = points
                .iter()
                .map(|(x, y, _)| format!("{x:.1},{y:.1}"))
                .collect();
            let _ = writeln!(
                svg,
                r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2" class="line"/>"#,
                path.join(" "),
                colour(i)
            );
            for (x, y, v) in points {
                let _ = writeln!(
                    svg,
                    r##"<circle cx="{x:.1}" cy="{y:.1}" r="3.5" fill="{}" stroke="#ffffff" class="point"/>"##,
                    colour(i)
                );
                let text = match scale {
                    Scale::Linear => count(v),
                    Scale::Log => micros(v),
                };
                labels.push((x + 6.0, y - 5.0, text, colour(i)));
            }
        }
        labels.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        for k in 1..labels.len() {
            let (x, y) = (labels[k - 1].0, labels[k - 1].1);
            if labels[k].0 == x && labels[k].1 < y + 12.0 {
                labels[k].1 = y + 12.0;
            }
        }
        for (x, y, text, fill) in labels {
            let _ = writeln!(
                svg,
                r#"<text x="{x:.1}" y="{y:.1}" text-anchor="start" style="fill:{fill}" class="value">{}</text>"#,
                escape(&text)
            );
        }
    }
}

/// The SVG's id (its style rules start with it; the book inlines it).
const ID: &str = "loadgen-chart";
const META_OPEN: &str = "<metadata id=\"loadgen-chart-data\">";
const WIDTH: f64 = 760.0;
const PANEL_H: f64 = 250.0;
const PANEL_GAP: f64 = 30.0;

#[derive(Clone, Copy)]
enum Scale {
    Linear,
    Log,
}

/// A value axis: linear from 0, or logarithmic between powers of ten.
struct Axis {
    log: bool,
    low: f64,
    high: f64,
    ticks: Vec<f64>,
}

impl Axis {
    /// 0 to a round number at or above `max`, ticks at 1, 2 or 5 × 10^k.
    fn linear(max: f64) -> Axis {
        let max = if max > 0.0 && max.is_finite() {
            max
        } else {
            1.0
        };
        let raw = max / 5.0;
        let power = 10f64.powf(raw.log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0]
            .iter()
            .map(|m| m * power)
            .find(|s| *s >= raw)
            .unwrap_or(10.0 * power);
        let high = (max / step).ceil() * step;
        let ticks = (0..=((high / step).round() as usize))
            .map(|k| k as f64 * step)
            .collect();
        Axis {
            log: false,
            low: 0.0,
            high,
            ticks,
        }
    }

    /// Powers of ten around every positive value.
    fn log(values: &[f64]) -> Axis {
        let positive: Vec<f64> = values
            .iter()
            .copied()
            .filter(|v| *v > 0.0 && v.is_finite())
            .collect();
        let min = positive.iter().copied().fold(f64::INFINITY, f64::min);
        let max = positive.iter().copied().fold(0.0, f64::max);
        let (lo, hi) = if positive.is_empty() {
            (0, 1)
        } else {
            let lo = min.log10().floor() as i32;
            let hi = (max.log10().ceil() as i32).max(lo + 1);
            (lo, hi)
        };
        Axis {
            log: true,
            low: 10f64.powi(lo),
            high: 10f64.powi(hi),
            ticks: (lo..=hi).map(|e| 10f64.powi(e)).collect(),
        }
    }

    /// 0 at the bottom, 1 at the top.
    fn fraction(&self, v: f64) -> f64 {
        if self.log {
            (v.log10() - self.low.log10()) / (self.high.log10() - self.low.log10())
        } else {
            (v - self.low) / (self.high - self.low)
        }
    }

    fn shows(&self, v: f64) -> bool {
        v.is_finite() && (!self.log || v > 0.0)
    }

    fn tick_label(&self, v: f64) -> String {
        if self.log { micros(v) } else { compact(v) }
    }
}

/// A panel's plotting area, with its title, axis, ticks and grid drawn.
struct Frame {
    left: f64,
    width: f64,
    top: f64,
    bottom: f64,
}

impl Frame {
    fn new(top: f64, title: &str, axis: &Axis, svg: &mut String) -> Frame {
        let frame = Frame {
            left: 72.0,
            width: WIDTH - 72.0 - 24.0,
            top: top + 28.0,
            bottom: top + PANEL_H - 40.0,
        };
        let _ = writeln!(
            svg,
            r#"<text x="16" y="{:.1}" class="panel">{}</text>"#,
            top + 14.0,
            escape(title)
        );
        for t in &axis.ticks {
            let y = frame.y(*t, axis);
            let _ = writeln!(
                svg,
                r#"<line x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" class="grid"/>"#,
                frame.left,
                frame.left + frame.width
            );
            let _ = writeln!(
                svg,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="end" class="tick">{}</text>"#,
                frame.left - 6.0,
                y + 4.0,
                escape(&axis.tick_label(*t))
            );
        }
        let _ = writeln!(
            svg,
            r#"<line x1="{l:.1}" y1="{t:.1}" x2="{l:.1}" y2="{b:.1}" class="axis"/><line x1="{l:.1}" y1="{b:.1}" x2="{r:.1}" y2="{b:.1}" class="axis"/>"#,
            l = frame.left,
            t = frame.top,
            b = frame.bottom,
            r = frame.left + frame.width
        );
        frame
    }

    fn y(&self, v: f64, axis: &Axis) -> f64 {
        let f = axis.fraction(v).clamp(0.0, 1.0);
        self.bottom - f * (self.bottom - self.top)
    }

    fn bar(&self, svg: &mut String, x: f64, width: f64, v: f64, axis: &Axis, fill: &str) {
        if !axis.shows(v) {
            return;
        }
        let y = self.y(v, axis);
        let _ = writeln!(
            svg,
            r#"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{fill}" class="bar"/>"#,
            width.max(1.0),
            (self.bottom - y).max(0.5)
        );
    }

    fn value(&self, svg: &mut String, cx: f64, v: f64, axis: &Axis, text: &str) {
        let y = if axis.shows(v) {
            self.y(v, axis) - 4.0
        } else {
            self.bottom - 4.0
        };
        let _ = writeln!(
            svg,
            r#"<text x="{cx:.1}" y="{y:.1}" text-anchor="middle" class="value">{}</text>"#,
            escape(text)
        );
    }

    fn x_label(&self, svg: &mut String, cx: f64, text: &str) {
        let y = self.bottom + 16.0;
        // `chat-server --queue 4096`: the arguments on a second line, so
        // that neighbouring labels do not run into each other.
        let Some((program, args)) = text.split_once(' ') else {
            let _ = writeln!(
                svg,
                r#"<text x="{cx:.1}" y="{y:.1}" text-anchor="middle">{}</text>"#,
                escape(text)
            );
            return;
        };
        let _ = writeln!(
            svg,
            r#"<text x="{cx:.1}" y="{y:.1}" text-anchor="middle">{}<tspan x="{cx:.1}" dy="14">{}</tspan></text>"#,
            escape(program),
            escape(args)
        );
    }
}

/// Colour-blind-safe colours (Okabe and Ito), one per server.
fn colour(i: usize) -> &'static str {
    const COLOURS: [&str; 7] = [
        "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000",
    ];
    COLOURS[i % COLOURS.len()]
}

/// `783915.2` → `783,915`.
pub fn count(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    let digits = format!("{:.0}", v.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0.0 { format!("-{out}") } else { out }
}

/// An axis label: `200k`, `1.5M`.
fn compact(v: f64) -> String {
    let trim = |s: String| s.trim_end_matches(".0").to_string();
    if v >= 1e6 {
        trim(format!("{:.1}", v / 1e6)) + "M"
    } else if v >= 1e3 {
        trim(format!("{:.1}", v / 1e3)) + "k"
    } else {
        trim(format!("{v:.1}"))
    }
}

/// Microseconds, in the unit that reads best: `56 µs`, `2.4 ms`, `1.2 s`.
pub fn micros(us: f64) -> String {
    if !us.is_finite() || us <= 0.0 {
        return "-".into();
    }
    let trim = |s: String| s.trim_end_matches(".0").to_string();
    if us >= 1e6 {
        trim(format!("{:.1}", us / 1e6)) + " s"
    } else if us >= 1e3 {
        trim(if us >= 1e4 {
            format!("{:.0}", us / 1e3)
        } else {
            format!("{:.1}", us / 1e3)
        }) + " ms"
    } else {
        trim(format!("{us:.0}")) + " µs"
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&gt;", ">")
        .replace("&lt;", "<")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(count(783915.4), "783,915");
        assert_eq!(count(999.0), "999");
        assert_eq!(micros(56.4), "56 µs");
        assert_eq!(micros(2374.0), "2.4 ms");
        assert_eq!(micros(45098.0), "45 ms");
        assert_eq!(micros(1_200_000.0), "1.2 s");
        assert_eq!(compact(200_000.0), "200k");
        assert_eq!(compact(1_500_000.0), "1.5M");
    }

    #[test]
    fn axes_cover_their_values_with_round_ticks() {
        let a = Axis::linear(783_915.0);
        assert_eq!(a.high, 800_000.0);
        assert_eq!(a.ticks.len(), 5);
        let l = Axis::log(&[56.0, 745_514.0]);
        assert_eq!((l.low, l.high), (10.0, 1_000_000.0));
        assert_eq!(l.ticks.len(), 6);
    }
}
