//! Sequence diagrams drawn as SVG, from a small subset of Mermaid's syntax.
//!
//! A diagram's source sits beside its picture (`lessons/img/NAME.mmd` and
//! `NAME.svg`); `booktool diagram lessons/img/NAME.mmd` redraws it, and a
//! check fails when a picture no longer matches its source. The source is
//! Mermaid, so it still reads as a diagram description, but the picture is
//! ours: no JavaScript and nothing fetched when a page is read, on a code
//! host or in the book.
//!
//! The subset:
//!
//! ```text
//! sequenceDiagram
//!     title One conversation
//!     participant S as server program
//!     participant C as client program
//!     C->>S: connect()<br>TcpStream::connect(addr)
//!     S-->>C: accept() returns
//!     Note over S: LISTEN
//!     Note over S,C: the handshake
//! ```
//!
//! `->>` draws a solid arrow, `-->>` a dashed one; `<br>` breaks a line;
//! `%%` starts a comment.

use std::fmt::Write;

/// Font sizes and spacing, in SVG user units (pixels at 100 %).
const FONT: f64 = 14.0;
const LINE: f64 = 18.0;
const MARGIN: f64 = 16.0;
const HEADER_H: f64 = 34.0;
const PAD: f64 = 12.0;

/// A parsed diagram.
#[derive(Debug, Default, PartialEq)]
pub struct Diagram {
    pub title: Option<String>,
    pub lanes: Vec<(String, String)>,
    pub rows: Vec<Row>,
}

#[derive(Debug, PartialEq)]
pub enum Row {
    Message {
        from: usize,
        to: usize,
        dashed: bool,
        text: Vec<String>,
    },
    Note {
        first: usize,
        last: usize,
        text: Vec<String>,
    },
}

/// Reads the Mermaid subset; an error names the line.
pub fn parse(source: &str) -> Result<Diagram, String> {
    let mut diagram = Diagram::default();
    let mut started = false;
    for (n, raw) in source.lines().enumerate() {
        let line = raw.trim();
        let at = |msg: &str| format!("line {}: {msg}: {line}", n + 1);
        if line.is_empty() || line.starts_with("%%") {
            continue;
        }
        if !started {
            if line != "sequenceDiagram" {
                return Err(at("a diagram starts with `sequenceDiagram`"));
            }
            started = true;
            continue;
        }
        if let Some(title) = line.strip_prefix("title ") {
            diagram.title = Some(title.trim().to_string());
        } else if let Some(rest) = line.strip_prefix("participant ") {
            let (id, label) = match rest.split_once(" as ") {
                Some((id, label)) => (id.trim(), label.trim()),
                None => (rest.trim(), rest.trim()),
            };
            if diagram.lanes.iter().any(|(i, _)| i == id) {
                return Err(at("this participant is declared twice"));
            }
            diagram.lanes.push((id.to_string(), label.to_string()));
        } else if let Some(rest) = line.strip_prefix("Note over ") {
            let (who, text) = rest
                .split_once(':')
                .ok_or_else(|| at("a note needs `: text`"))?;
            let (a, b) = who.split_once(',').unwrap_or((who, who));
            let (a, b) = (
                lane(&diagram, a.trim(), &at)?,
                lane(&diagram, b.trim(), &at)?,
            );
            diagram.rows.push(Row::Note {
                first: a.min(b),
                last: a.max(b),
                text: split_lines(text),
            });
        } else if let Some((arrow, text)) = line.split_once(':') {
            let (from, to, dashed) = if let Some((f, t)) = arrow.split_once("-->>") {
                (f, t, true)
            } else if let Some((f, t)) = arrow.split_once("->>") {
                (f, t, false)
            } else {
                return Err(at(
                    "expected `A->>B: text`, `A-->>B: text` or `Note over A: text`",
                ));
            };
            let from = lane(&diagram, from.trim(), &at)?;
            let to = lane(&diagram, to.trim(), &at)?;
            if from == to {
                return Err(at("an arrow goes from one participant to another"));
            }
            diagram.rows.push(Row::Message {
                from,
                to,
                dashed,
                text: split_lines(text),
            });
        } else {
            return Err(at("not understood"));
        }
    }
    if diagram.lanes.is_empty() {
        return Err("the diagram declares no participant".into());
    }
    Ok(diagram)
}

fn lane(d: &Diagram, id: &str, at: &dyn Fn(&str) -> String) -> Result<usize, String> {
    d.lanes
        .iter()
        .position(|(i, _)| i == id)
        .ok_or_else(|| at(&format!("`{id}` is not a declared participant")))
}

fn split_lines(text: &str) -> Vec<String> {
    text.trim()
        .replace("<br/>", "<br>")
        .replace("<br />", "<br>")
        .split("<br>")
        .map(|l| l.trim().to_string())
        .collect()
}

/// An estimate of how wide `text` is in a sans-serif font of `size`: the
/// picture has no font metrics, so wide letters count more, narrow ones
/// less. Measured against DejaVu Sans, the widest of the usual system
/// fonts, it errs on the wide side by a few per cent.
pub fn text_width(text: &str, size: f64) -> f64 {
    let em: f64 = text
        .chars()
        .map(|c| match c {
            'i' | 'j' | 'l' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' | ' ' | '(' | ')' | '['
            | ']' | 'f' | 't' | 'r' | '`' => 0.33,
            'm' | 'w' | 'M' | 'W' | '@' | '%' => 0.85,
            'A'..='Z' | '_' | '=' | '+' | '<' | '>' | '{' | '}' | '"' => 0.68,
            c if c.is_ascii() => 0.56,
            _ => 1.0,
        })
        .sum();
    em * size * 1.1
}

/// Escapes text for XML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn widest(lines: &[String], size: f64) -> f64 {
    lines
        .iter()
        .map(|l| text_width(l, size))
        .fold(0.0, f64::max)
}

/// Draws the diagram. `id` prefixes the SVG's internal ids, so that two
/// pictures inlined in one page do not clash.
pub fn render(d: &Diagram, id: &str) -> String {
    let n = d.lanes.len();
    let header_w: Vec<f64> = d
        .lanes
        .iter()
        .map(|(_, label)| text_width(label, FONT) + 2.0 * PAD)
        .collect();
    // Gaps between neighbouring lanes: wide enough for both headers, then
    // for every label that spans them (narrow spans first).
    let mut gaps: Vec<f64> = (0..n.saturating_sub(1))
        .map(|i| (header_w[i] + header_w[i + 1]) / 2.0 + 16.0)
        .collect();
    let mut spans: Vec<(usize, usize, f64)> = d
        .rows
        .iter()
        .filter_map(|row| match row {
            Row::Message { from, to, text, .. } => {
                Some((*from.min(to), *from.max(to), widest(text, FONT) + 16.0))
            }
            Row::Note {
                first, last, text, ..
            } if first != last => Some((*first, *last, widest(text, FONT) + 2.0 * PAD - 20.0)),
            Row::Note { .. } => None,
        })
        .collect();
    spans.sort_by_key(|&(a, b, _)| b - a);
    for (a, b, need) in spans {
        let have: f64 = gaps[a..b].iter().sum();
        if have < need {
            let more = (need - have) / (b - a) as f64;
            for gap in &mut gaps[a..b] {
                *gap += more;
            }
        }
    }
    let mut xs = vec![0.0; n];
    for i in 1..n {
        xs[i] = xs[i - 1] + gaps[i - 1];
    }
    // How far anything reaches left of the first lane and right of the last.
    let mut left: f64 = header_w[0] / 2.0;
    let mut right: f64 = xs[n - 1] + header_w[n - 1] / 2.0;
    for row in &d.rows {
        if let Row::Note {
            first, last, text, ..
        } = row
        {
            let (l, r) = note_box(&xs, *first, *last, text);
            left = left.max(-l);
            right = right.max(r);
        }
    }
    let shift = MARGIN + left;
    let width = (shift + right + MARGIN).ceil();

    let mut body = String::new();
    let mut y = MARGIN;
    let head_top = y;
    y += HEADER_H + 14.0;
    for row in &d.rows {
        match row {
            Row::Message {
                from,
                to,
                dashed,
                text,
            } => {
                let (x1, x2) = (xs[*from] + shift, xs[*to] + shift);
                let mid = (x1 + x2) / 2.0;
                for (k, line) in text.iter().enumerate() {
                    let _ = writeln!(
                        body,
                        r#"<text x="{mid:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                        y + FONT + k as f64 * LINE,
                        escape(line)
                    );
                }
                let ay = y + text.len() as f64 * LINE + 6.0;
                let dash = if *dashed {
                    r#" stroke-dasharray="6 4""#
                } else {
                    ""
                };
                let _ = writeln!(
                    body,
                    r#"<line x1="{x1:.1}" y1="{ay:.1}" x2="{x2:.1}" y2="{ay:.1}" class="arrow"{dash} marker-end="url(#{id}-head)"/>"#
                );
                y = ay + 14.0;
            }
            Row::Note {
                first, last, text, ..
            } => {
                let (l, r) = note_box(&xs, *first, *last, text);
                let h = text.len() as f64 * LINE + 12.0;
                let top = y + 2.0;
                let _ = writeln!(
                    body,
                    r#"<rect x="{:.1}" y="{top:.1}" width="{:.1}" height="{h:.1}" rx="4" class="note"/>"#,
                    l + shift,
                    r - l
                );
                let mid = (l + r) / 2.0 + shift;
                for (k, line) in text.iter().enumerate() {
                    let _ = writeln!(
                        body,
                        r#"<text x="{mid:.1}" y="{:.1}" text-anchor="middle" class="note-text">{}</text>"#,
                        top + 6.0 + FONT - 1.0 + k as f64 * LINE,
                        escape(line)
                    );
                }
                y = top + h + 12.0;
            }
        }
    }
    let height = (y + MARGIN).ceil();

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" id="{id}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-labelledby="{id}-title" style="max-width:100%;height:auto">"#
    );
    let title = d
        .title
        .clone()
        .unwrap_or_else(|| "A sequence diagram".into());
    let _ = writeln!(svg, r#"<title id="{id}-title">{}</title>"#, escape(&title));
    // Every rule starts with the picture's id: the book inlines the SVG in
    // its page, where a bare `text {...}` would style every SVG on it.
    let _ = writeln!(
        svg,
        r##"<style>
#{id} text {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; font-size: {FONT}px; fill: #1f2328; }}
#{id} .head {{ fill: #eef1fb; stroke: #5b6ab5; stroke-width: 1.2; }}
#{id} .head-text {{ font-weight: 600; }}
#{id} .life {{ stroke: #9aa1ad; stroke-width: 1; }}
#{id} .arrow {{ stroke: #1f2328; stroke-width: 1.4; }}
#{id} .note {{ fill: #fff6cf; stroke: #c9b458; stroke-width: 1; }}
#{id} .note-text {{ font-style: italic; fill: #3d3a2a; }}
</style>"##
    );
    let _ = writeln!(
        svg,
        r##"<defs><marker id="{id}-head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="9" markerHeight="9" orient="auto-start-reverse"><path d="M0,1 L10,5 L0,9 z" fill="#1f2328"/></marker></defs>"##
    );
    let _ = writeln!(
        svg,
        r##"<rect x="0.5" y="0.5" width="{}" height="{}" rx="8" fill="#ffffff" stroke="#d0d7de"/>"##,
        width - 1.0,
        height - 1.0
    );
    for (i, (_, label)) in d.lanes.iter().enumerate() {
        let x = xs[i] + shift;
        let _ = writeln!(
            svg,
            r#"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" class="life"/>"#,
            head_top + HEADER_H,
            height - MARGIN
        );
        let _ = writeln!(
            svg,
            r#"<rect x="{:.1}" y="{head_top:.1}" width="{:.1}" height="{HEADER_H}" rx="5" class="head"/>"#,
            x - header_w[i] / 2.0,
            header_w[i]
        );
        let _ = writeln!(
            svg,
            r#"<text x="{x:.1}" y="{:.1}" text-anchor="middle" class="head-text">{}</text>"#,
            head_top + HEADER_H / 2.0 + FONT * 0.35,
            escape(label)
        );
    }
    svg.push_str(&body);
    svg.push_str("</svg>\n");
    svg
}

/// A note's left and right edge, relative to the first lane.
fn note_box(xs: &[f64], first: usize, last: usize, text: &[String]) -> (f64, f64) {
    let w = widest(text, FONT) + 2.0 * PAD;
    if first == last {
        (xs[first] - w / 2.0, xs[first] + w / 2.0)
    } else {
        let (l, r) = (xs[first] - 10.0, xs[last] + 10.0);
        let grow = ((w - (r - l)) / 2.0).max(0.0);
        (l - grow, r + grow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = "sequenceDiagram\n\
        %% a comment\n\
        title Connect\n\
        participant S as server program\n\
        participant C as client\n\
        C->>S: connect()<br>TcpStream::connect(addr)\n\
        S-->>C: accept() returns & <more>\n\
        Note over S,C: handshake\n";

    #[test]
    fn parses_the_subset() {
        let d = parse(SOURCE).expect("parses");
        assert_eq!(d.title.as_deref(), Some("Connect"));
        assert_eq!(d.lanes.len(), 2);
        assert_eq!(
            d.rows[0],
            Row::Message {
                from: 1,
                to: 0,
                dashed: false,
                text: vec!["connect()".into(), "TcpStream::connect(addr)".into()]
            }
        );
        assert!(matches!(d.rows[1], Row::Message { dashed: true, .. }));
        assert!(matches!(
            d.rows[2],
            Row::Note {
                first: 0,
                last: 1,
                ..
            }
        ));
    }

    #[test]
    fn a_mistake_names_its_line() {
        let err = parse("sequenceDiagram\nparticipant A\nA->>B: hi\n").expect_err("B is unknown");
        assert!(
            err.starts_with("line 3: `B` is not a declared participant"),
            "{err}"
        );
    }

    #[test]
    fn draws_solid_and_dashed_arrows_with_escaped_selectable_text() {
        let svg = render(&parse(SOURCE).expect("parses"), "t");
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert_eq!(
            svg.matches("<line").count(),
            2 + 2,
            "two lifelines, two arrows"
        );
        assert_eq!(svg.matches("stroke-dasharray").count(), 1);
        assert!(svg.contains(">accept() returns &amp; &lt;more&gt;</text>"));
        assert!(svg.contains(">TcpStream::connect(addr)</text>"));
        assert!(svg.contains("marker-end=\"url(#t-head)\""));
        assert!(
            !svg.contains("\n\n"),
            "no blank line: the book inlines it as one HTML block"
        );
    }
}
