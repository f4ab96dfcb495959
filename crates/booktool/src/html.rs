//! Just enough of HTML for a link check: the `id`s a page defines, the
//! `href` and `src` it points at, and its `<base href>`.
//!
//! Not a full parser, and it does not need to be: it reads the tags of pages
//! mdBook wrote, skips comments and the insides of `<script>` and `<style>`
//! (whose text is not markup), and decodes the entities an attribute value
//! may hold (`&amp;`, `&#39;`, ...).

use std::collections::BTreeSet;

/// What the link check reads from one page.
#[derive(Debug, Default)]
pub struct Page {
    /// Every `id` (and `<a name>`) on the page: what `#fragment` may name.
    pub ids: BTreeSet<String>,
    /// Every `href` and `src`, in order, with the line it is on.
    pub links: Vec<Link>,
    /// `<base href>`, which relative links resolve against when present.
    pub base: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub target: String,
    pub line: usize,
}

/// Reads the tags of `html`.
pub fn scan(html: &str) -> Page {
    let mut page = Page::default();
    let mut lines = LineCounter::default();
    let mut at = 0;
    while let Some(found) = html[at..].find('<') {
        let start = at + found;
        let rest = &html[start + 1..];
        if rest.starts_with("!--") {
            at = match rest.find("-->") {
                Some(end) => start + 1 + end + 3,
                None => html.len(),
            };
            continue;
        }
        let Some(tag) = parse_tag(rest) else {
            at = start + 1;
            continue;
        };
        at = start + 1 + tag.len;
        if tag.closing {
            continue;
        }
        let line = lines.line_at(html, start);
        for (name, value) in &tag.attrs {
            match name.as_str() {
                "id" => {
                    page.ids.insert(value.clone());
                }
                "name" if tag.name == "a" => {
                    page.ids.insert(value.clone());
                }
                "href" if tag.name == "base" => page.base = Some(value.clone()),
                "href" | "src" => page.links.push(Link {
                    target: value.clone(),
                    line,
                }),
                _ => {}
            }
        }
        // The text of a script or a style sheet is not markup: a `<a href=`
        // inside a JavaScript string is not a link of the page.
        if (tag.name == "script" || tag.name == "style") && !tag.self_closing {
            let close = format!("</{}", tag.name);
            at = match find_ignoring_case(&html[at..], &close) {
                Some(end) => at + end,
                None => html.len(),
            };
        }
    }
    page
}

struct Tag {
    name: String,
    attrs: Vec<(String, String)>,
    closing: bool,
    self_closing: bool,
    /// Bytes from just after `<` to just after `>`.
    len: usize,
}

/// Parses a tag from just after its `<`; `None` when this `<` opens no tag
/// (a `<` in text, `<!DOCTYPE`, ...), so the scan moves on.
fn parse_tag(s: &str) -> Option<Tag> {
    let bytes = s.as_bytes();
    let mut i = 0;
    let closing = bytes.first() == Some(&b'/');
    if closing {
        i += 1;
    }
    let name_start = i;
    while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'-') {
        i += 1;
    }
    if i == name_start || !bytes[name_start].is_ascii_alphabetic() {
        return None;
    }
    let name = s[name_start..i].to_ascii_lowercase();
    let mut attrs = Vec::new();
    let mut self_closing = false;
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        match bytes.get(i) {
            None => return None,
            Some(b'>') => {
                i += 1;
                break;
            }
            Some(b'/') => {
                self_closing = true;
                i += 1;
                continue;
            }
            _ => {}
        }
        let attr_start = i;
        while i < bytes.len()
            && !bytes[i].is_ascii_whitespace()
            && !matches!(bytes[i], b'=' | b'>' | b'/')
        {
            i += 1;
        }
        if i == attr_start {
            // A stray character (`"` out of place): skip it.
            i += 1;
            continue;
        }
        let attr = s[attr_start..i].to_ascii_lowercase();
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if bytes.get(i) == Some(&b'=') {
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            match bytes.get(i) {
                Some(&q @ (b'"' | b'\'')) => {
                    let end = s[i + 1..].find(q as char)? + i + 1;
                    value = decode_entities(&s[i + 1..end]);
                    i = end + 1;
                }
                _ => {
                    let start = i;
                    while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
                        i += 1;
                    }
                    value = decode_entities(&s[start..i]);
                }
            }
        }
        attrs.push((attr, value));
    }
    Some(Tag {
        name,
        attrs,
        closing,
        self_closing,
        len: i,
    })
}

fn find_ignoring_case(haystack: &str, needle: &str) -> Option<usize> {
    let needle = needle.as_bytes();
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// `&amp;` → `&`, `&#39;` → `'`, `&#x27;` → `'`; an unknown entity stays as it is.
pub fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest[..rest.len().min(12)].find(';') else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// `%20` → ` `, `%E4%B8%AD` → `中`: how a browser reads a link's path and
/// fragment before it looks for the file or the id.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Line numbers for positions met in increasing order, without counting
/// from the start each time (print.html is large).
#[derive(Default)]
struct LineCounter {
    pos: usize,
    line: usize,
}

impl LineCounter {
    fn line_at(&mut self, text: &str, pos: usize) -> usize {
        if pos < self.pos {
            *self = LineCounter::default();
        }
        self.line += text[self.pos..pos].matches('\n').count();
        self.pos = pos;
        self.line + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ids_links_and_base_and_skips_scripts_and_comments() {
        let page = scan(concat!(
            "<!DOCTYPE html>\n<html><head><base href=\"/\">\n",
            "<script>var s = '<a href=\"nope.html\">';</script>\n",
            "<!-- <a href=\"commented.html\"> -->\n",
            "<link rel=\"stylesheet\" href='css/a.css'>\n",
            "</head><body><h2 id=\"watch-it-happen\">Watch</h2>\n",
            "<a name=old></a><a class=x href=\"02.html#a&amp;b\">two</a>\n",
            "<img src=img/one.svg alt=\"a < b\"></body>"
        ));
        assert_eq!(page.base.as_deref(), Some("/"));
        let targets: Vec<(&str, usize)> = page
            .links
            .iter()
            .map(|l| (l.target.as_str(), l.line))
            .collect();
        assert_eq!(
            targets,
            [("css/a.css", 5), ("02.html#a&b", 7), ("img/one.svg", 8)]
        );
        assert!(page.ids.contains("watch-it-happen"));
        assert!(page.ids.contains("old"));
    }

    #[test]
    fn decodes_entities_and_percent_escapes() {
        assert_eq!(
            decode_entities("a&amp;b&#39;c&#x4E2D;&bogus;"),
            "a&b'c中&bogus;"
        );
        assert_eq!(percent_decode("%E4%B8%AD%20x%zz"), "中 x%zz");
    }
}
