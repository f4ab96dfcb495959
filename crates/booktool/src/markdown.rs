//! Finding the links of a Markdown page, so they can be rewritten in place.
//!
//! Knows what the lessons use: `[text](target "title")`, `![alt](target)`,
//! `[name]: target` definitions, fenced code blocks and inline code (where a
//! `](` is code, not a link).

/// One link: where its target sits in the page, so it can be replaced.
#[derive(Debug, Clone, PartialEq)]
pub struct MdLink {
    /// Byte range of the target (without `<` `>` and without a title).
    pub start: usize,
    pub end: usize,
    /// `![alt](target)`: an image, which the page shows rather than links.
    pub image: bool,
    /// 1-based line.
    pub line: usize,
}

/// Every link outside code, in order.
pub fn links(md: &str) -> Vec<MdLink> {
    let mut found = Vec::new();
    let mut fence: Option<(u8, usize)> = None;
    let mut offset = 0;
    for (n, line) in md.split_inclusive('\n').enumerate() {
        let here = offset;
        offset += line.len();
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let run = |c: u8| trimmed.bytes().take_while(|&b| b == c).count();
        if let Some((c, len)) = fence {
            if indent < 4 && run(c) >= len && trimmed[run(c)..].trim().is_empty() {
                fence = None;
            }
            continue;
        }
        if indent < 4 {
            for c in [b'`', b'~'] {
                if run(c) >= 3 {
                    fence = Some((c, run(c)));
                }
            }
            if fence.is_some() {
                continue;
            }
        }
        if indent < 4
            && let Some(def) = definition(trimmed)
        {
            let start = here + indent + def.0;
            found.push(MdLink {
                start,
                end: start + def.1,
                image: false,
                line: n + 1,
            });
            continue;
        }
        inline_links(line, here, n + 1, &mut found);
    }
    found
}

/// `[name]: target`: the target's offset and length in `line`.
fn definition(line: &str) -> Option<(usize, usize)> {
    let rest = line.strip_prefix('[')?;
    let close = rest.find("]:")?;
    if close == 0 || rest[..close].contains('[') {
        return None;
    }
    let after = &rest[close + 2..];
    let target = after.trim_start();
    let start = 1 + close + 2 + (after.len() - target.len());
    let len = target.find(char::is_whitespace).unwrap_or(target.len());
    (len > 0).then_some((start, len))
}

fn inline_links(line: &str, base: usize, line_no: usize, found: &mut Vec<MdLink>) {
    let bytes = line.as_bytes();
    let mut opens: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'`' => {
                // An inline code span: skip to the closing run of as many backticks.
                let run = bytes[i..].iter().take_while(|&&b| b == b'`').count();
                let ticks = &line[i..i + run];
                match line[i + run..].find(ticks) {
                    Some(end) => i += run + end + run - 1,
                    None => i += run - 1,
                }
            }
            b'[' => opens.push(i),
            b']' => {
                if let Some(open) = opens.pop()
                    && bytes.get(i + 1) == Some(&b'(')
                    && let Some((start, end, after)) = target(line, i + 2)
                {
                    found.push(MdLink {
                        start: base + start,
                        end: base + end,
                        image: open > 0 && bytes[open - 1] == b'!',
                        line: line_no,
                    });
                    i = after;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
}

/// The target of `(target "title")` starting at `from` (just after `(`):
/// its range, and the position just after `)`.
fn target(line: &str, from: usize) -> Option<(usize, usize, usize)> {
    let bytes = line.as_bytes();
    if bytes.get(from) == Some(&b'<') {
        let close = line[from..].find('>')? + from;
        let paren = line[close..].find(')')? + close;
        return Some((from + 1, close, paren + 1));
    }
    let mut depth = 0;
    let mut end = None;
    for (k, &b) in bytes.iter().enumerate().skip(from) {
        match b {
            b'(' => depth += 1,
            b')' if depth == 0 => {
                end = Some(k);
                break;
            }
            b')' => depth -= 1,
            _ => {}
        }
    }
    let paren = end?;
    let inside = &line[from..paren];
    let len = inside.find(char::is_whitespace).unwrap_or(inside.len());
    Some((from, from + len, paren + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(md: &str) -> Vec<(&str, bool, usize)> {
        links(md)
            .into_iter()
            .map(|l| (&md[l.start..l.end], l.image, l.line))
            .collect()
    }

    #[test]
    fn finds_links_images_and_definitions_but_not_code() {
        let md = "See [the code](../crates/a/src/lib.rs) and ![a picture](img/one.svg \"title\").\n\
                  `not [a](link)` but [b](b.md#x).\n\
                  ```rust\nlet a = [x](y);\n```\n\
                  [def]: ../README.md\n\
                  [nested [brackets]](<with space.md>)\n";
        assert_eq!(
            targets(md),
            [
                ("../crates/a/src/lib.rs", false, 1),
                ("img/one.svg", true, 1),
                ("b.md#x", false, 2),
                ("../README.md", false, 6),
                ("with space.md", false, 7),
            ]
        );
    }
}

/// In every table row, each inline code span longer than a few characters
/// becomes raw `<code>` HTML with `<wbr>` (a place the browser may break
/// the line) after `.`, `,`, `(`, `/`, `_`, `=`, `;` and `::`.
///
/// A table of three columns of code is wider than the page unless its code
/// can wrap; CSS alone can only break code anywhere (`chat_s|erver.p|y`).
/// With these hints it breaks where a reader would (`chat_|server.|py`).
pub fn break_table_code(md: &str) -> String {
    let mut out = String::with_capacity(md.len());
    let mut fence: Option<(u8, usize)> = None;
    for line in md.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let run = |c: u8| trimmed.bytes().take_while(|&b| b == c).count();
        if let Some((c, len)) = fence {
            if run(c) >= len && trimmed[run(c)..].trim().is_empty() {
                fence = None;
            }
            out.push_str(line);
            continue;
        }
        if let Some(c) = [b'`', b'~'].into_iter().find(|&c| run(c) >= 3) {
            fence = Some((c, run(c)));
            out.push_str(line);
            continue;
        }
        if trimmed.starts_with('|') {
            out.push_str(&row_with_breaks(line));
        } else {
            out.push_str(line);
        }
    }
    out
}

fn row_with_breaks(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 32);
    let mut rest = line;
    while let Some(open) = rest.find('`') {
        let run = rest[open..].bytes().take_while(|&b| b == b'`').count();
        let ticks = &rest[open..open + run];
        let after = &rest[open + run..];
        let Some(close) = after.find(ticks) else {
            break;
        };
        // A longer run is not this span's end: `` a`b `` holds a backtick.
        if after[close + run..].starts_with('`') {
            break;
        }
        out.push_str(&rest[..open]);
        let code = &after[..close];
        if code.chars().count() < 10 {
            out.push_str(&rest[open..open + run + close + run]);
        } else {
            out.push_str(&code_html(code));
        }
        rest = &after[close + run..];
    }
    out.push_str(rest);
    out
}

fn code_html(code: &str) -> String {
    // CommonMark: one space on each side is padding, not content; in a table
    // cell, `\|` is a `|` (escaped so the row is not split there).
    let code = match code.strip_prefix(' ').and_then(|c| c.strip_suffix(' ')) {
        Some(inner) if !inner.trim().is_empty() => inner,
        _ => code,
    };
    let code = code.replace("\\|", "|");
    let mut html = String::from("<code>");
    let mut chars = code.chars().peekable();
    let mut prev = ' ';
    while let Some(c) = chars.next() {
        // Between raw `<code>` tags the text is Markdown again: emphasis,
        // escapes and mdBook's smart punctuation (`"` → `“`, `...` → `…`)
        // would change the code. As character references they cannot.
        match c {
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '"' | '\'' | '.' | '-' | '*' | '_' | '\\' | '`' | '[' | ']' | '~' | '|' | '!' | '$' => {
                html.push_str(&format!("&#{};", c as u32));
            }
            _ => html.push(c),
        }
        // Not before closing punctuation or a space: `new()` stays whole.
        let next = chars.peek().copied().filter(|n| !" )]}>,.;:".contains(*n));
        let breaks = match c {
            // Not inside a number: `127.0.0.1` stays whole.
            '.' if prev.is_ascii_digit() && next.is_some_and(|n| n.is_ascii_digit()) => false,
            '.' | ',' | '(' | '/' | '_' | '=' | ';' => next.is_some(),
            ':' => next.is_some() && prev == ':',
            _ => false,
        };
        if breaks {
            html.push_str("<wbr>");
        }
        prev = c;
    }
    html.push_str("</code>");
    html
}

#[cfg(test)]
mod break_tests {
    use super::*;

    #[test]
    fn long_code_in_table_rows_gets_break_hints_and_nothing_else_changes() {
        let md = "| a | b |\n|---|---|\n\
                  | `short` | `thread::Builder::new().spawn(..)` at `127.0.0.1:9999` |\n\
                  | `a \\| b <c> & \"more\" text` | text `x` |\n\
                  ```\n| `in_a_code_block_not_a_table` |\n```\n\
                  Not a row: `chat_server.py is long enough`\n";
        let out = break_table_code(md);
        assert_eq!(
            out,
            "| a | b |\n|---|---|\n\
             | `short` | <code>thread::<wbr>Builder::<wbr>new()&#46;<wbr>spawn(&#46;&#46;)</code> at <code>127&#46;0&#46;0&#46;1:9999</code> |\n\
             | <code>a &#124; b &lt;c&gt; &amp; &#34;more&#34; text</code> | text `x` |\n\
             ```\n| `in_a_code_block_not_a_table` |\n```\n\
             Not a row: `chat_server.py is long enough`\n"
        );
    }
}
