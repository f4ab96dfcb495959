//! Reading Rust source just well enough to find a function's body.
//!
//! No parser: a lexer that knows which bytes are code and which are inside a
//! comment, a string or a character literal, so that a `{` in `"{"`, in `'{'`
//! or in `// {` is not taken for a brace, and a lifetime `'a` is not taken for
//! the start of a character literal. Brace matching then only counts code.

use std::ops::Range;

/// What a byte of the source is part of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Code,
    /// `// ...` or `/* ... */` (nested), doc comments included.
    Comment,
    /// `"..."`, `b"..."`, `c"..."`, `r#"..."#` and friends.
    Str,
    /// `'x'`, `'\n'`, `b'{'`, `'\u{7b}'`.
    Char,
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// Classifies every byte of `src`.
pub fn classify(src: &str) -> Vec<Kind> {
    let b = src.as_bytes();
    let n = b.len();
    let mut kinds = vec![Kind::Code; n];
    let mut i = 0;
    let mark = |kinds: &mut Vec<Kind>, r: Range<usize>, k: Kind| {
        for slot in &mut kinds[r.start..r.end.min(n)] {
            *slot = k;
        }
    };
    while i < n {
        let c = b[i];
        let next = b.get(i + 1).copied().unwrap_or(0);
        let starts_word = i == 0 || !is_ident(b[i - 1]);
        if c == b'/' && next == b'/' {
            let end = src[i..].find('\n').map_or(n, |e| i + e);
            mark(&mut kinds, i..end, Kind::Comment);
            i = end;
        } else if c == b'/' && next == b'*' {
            // Block comments nest in Rust: /* /* */ still inside */.
            let mut depth = 0;
            let mut j = i;
            while j < n {
                if b[j] == b'/' && b.get(j + 1) == Some(&b'*') {
                    depth += 1;
                    j += 2;
                } else if b[j] == b'*' && b.get(j + 1) == Some(&b'/') {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            mark(&mut kinds, i..j, Kind::Comment);
            i = j;
        } else if let Some(end) = raw_string(b, i).filter(|_| starts_word) {
            mark(&mut kinds, i..end, Kind::Str);
            i = end;
        } else if c == b'"' {
            let end = quoted(b, i, b'"');
            mark(&mut kinds, i..end, Kind::Str);
            i = end;
        } else if c == b'\'' {
            match char_literal(src, i) {
                Some(end) => {
                    mark(&mut kinds, i..end, Kind::Char);
                    i = end;
                }
                // A lifetime or a loop label: the quote and the name are code.
                None => i += 1,
            }
        } else {
            i += 1;
        }
    }
    kinds
}

/// `r"..."`, `r#"..."#`, `br"..."`, `cr#"..."#` starting at `i`: where it ends.
fn raw_string(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    if matches!(b.get(j), Some(b'b' | b'c')) {
        j += 1;
    }
    if b.get(j) != Some(&b'r') {
        return None;
    }
    j += 1;
    let hashes = b[j..].iter().take_while(|&&c| c == b'#').count();
    j += hashes;
    if b.get(j) != Some(&b'"') {
        // `r#type`, a raw identifier, or just a name starting with r.
        return None;
    }
    j += 1;
    while j < b.len() {
        if b[j] == b'"'
            && b[j + 1..]
                .iter()
                .take(hashes)
                .filter(|&&c| c == b'#')
                .count()
                == hashes
        {
            return Some(j + 1 + hashes);
        }
        j += 1;
    }
    Some(b.len())
}

/// A string or character literal opened by `quote` at `i`, with backslash
/// escapes: where it ends (after the closing quote).
fn quoted(b: &[u8], i: usize, quote: u8) -> usize {
    let mut j = i + 1;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 2,
            c if c == quote => return j + 1,
            _ => j += 1,
        }
    }
    b.len()
}

/// A character literal at `i` (which holds `'`): where it ends, or `None`
/// for a lifetime or label (`'a`, `'static`, `'outer:`).
fn char_literal(src: &str, i: usize) -> Option<usize> {
    let b = src.as_bytes();
    match b.get(i + 1) {
        Some(b'\\') => Some(quoted(b, i, b'\'')),
        Some(_) => {
            // One character (of any UTF-8 length), then the closing quote.
            let c = src[i + 1..].chars().next()?;
            let after = i + 1 + c.len_utf8();
            (b.get(after) == Some(&b'\'')).then_some(after + 1)
        }
        None => None,
    }
}

/// The byte range of the `{ ... }` that closes at the brace matching the one
/// at `open` (braces inside comments, strings and chars do not count).
pub fn matching_brace(src: &str, kinds: &[Kind], open: usize) -> Option<usize> {
    let b = src.as_bytes();
    let mut depth = 0usize;
    for j in open..b.len() {
        if kinds[j] != Kind::Code {
            continue;
        }
        match b[j] {
            b'{' => depth += 1,
            b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(j);
                }
            }
            _ => {}
        }
    }
    None
}

/// A function found in the source: where its name, parameters and body are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FnItem {
    pub name: String,
    /// Byte offset of the `fn` keyword.
    pub keyword: usize,
    /// The text of each parameter's pattern (`listener`, `mut buf`, `&self`).
    pub params: Vec<String>,
    /// From the `{` to the matching `}`, both included.
    pub body: Range<usize>,
}

/// The first function whose `fn` keyword is at or after `from`.
pub fn next_fn(src: &str, kinds: &[Kind], from: usize) -> Result<FnItem, String> {
    let b = src.as_bytes();
    let code = |j: usize| kinds.get(j) == Some(&Kind::Code);
    let keyword = (from..b.len().saturating_sub(1))
        .find(|&j| {
            code(j)
                && &b[j..j + 2] == b"fn"
                && (j == 0 || !is_ident(b[j - 1]))
                && b.get(j + 2).is_some_and(|c| !is_ident(*c))
        })
        .ok_or("no `fn` follows the marker")?;
    let mut j = keyword + 2;
    while j < b.len() && b[j].is_ascii_whitespace() {
        j += 1;
    }
    let name_start = j;
    while j < b.len() && is_ident(b[j]) {
        j += 1;
    }
    let name = src[name_start..j].to_string();
    if name.is_empty() {
        return Err("`fn` with no name after the marker".into());
    }
    // Generics: skip to the matching `>`, where `->` inside (`F: Fn() -> u8`)
    // is an arrow, not a bracket.
    let mut angle = 0i32;
    let mut params_open = None;
    while j < b.len() {
        if code(j) {
            match b[j] {
                b'<' => angle += 1,
                b'>' if j > 0 && b[j - 1] != b'-' => angle -= 1,
                b'(' if angle == 0 => {
                    params_open = Some(j);
                    break;
                }
                b'{' | b';' => break,
                _ => {}
            }
        }
        j += 1;
    }
    let params_open = params_open.ok_or_else(|| format!("`fn {name}` has no parameter list"))?;
    let params_close = matching(src, kinds, params_open, b'(', b')')
        .ok_or_else(|| format!("`fn {name}`: its parameter list is never closed"))?;
    let params = split_params(src, kinds, params_open + 1..params_close);
    // The body is the first `{` after the parameters outside any bracket;
    // a `;` first means a declaration without a body.
    let mut depth = 0i32;
    let mut open = None;
    for (j, &c) in b.iter().enumerate().skip(params_close + 1) {
        if !code(j) {
            continue;
        }
        match c {
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth -= 1,
            b'{' if depth == 0 => {
                open = Some(j);
                break;
            }
            b';' if depth == 0 => break,
            _ => {}
        }
    }
    let open = open.ok_or_else(|| format!("`fn {name}` has no body"))?;
    let close = matching_brace(src, kinds, open)
        .ok_or_else(|| format!("`fn {name}`: its body's braces do not match"))?;
    Ok(FnItem {
        name,
        keyword,
        params,
        body: open..close + 1,
    })
}

fn matching(src: &str, kinds: &[Kind], open: usize, up: u8, down: u8) -> Option<usize> {
    let b = src.as_bytes();
    let mut depth = 0usize;
    for j in open..b.len() {
        if kinds[j] != Kind::Code {
            continue;
        }
        if b[j] == up {
            depth += 1;
        } else if b[j] == down {
            depth = depth.checked_sub(1)?;
            if depth == 0 {
                return Some(j);
            }
        }
    }
    None
}

/// The patterns of a parameter list (the text before each top-level `:`).
fn split_params(src: &str, kinds: &[Kind], range: Range<usize>) -> Vec<String> {
    let b = src.as_bytes();
    let mut params = Vec::new();
    let mut depth = 0i32;
    let mut start = range.start;
    let mut push = |from: usize, to: usize| {
        // The parameter's code, with any comment inside it left out.
        let code: Vec<u8> = (from..to)
            .filter(|&j| kinds[j] == Kind::Code)
            .map(|j| b[j])
            .collect();
        let text = String::from_utf8_lossy(&code);
        let pattern = top_level_colon(&text).map_or(&*text, |at| &text[..at]);
        let pattern = pattern.split_whitespace().collect::<Vec<_>>().join(" ");
        if !pattern.is_empty() {
            params.push(pattern);
        }
    };
    for j in range.clone() {
        if kinds[j] != Kind::Code {
            continue;
        }
        match b[j] {
            b'(' | b'[' | b'{' => depth += 1,
            b'<' => depth += 1,
            b'>' if b[j - 1] != b'-' => depth -= 1,
            b')' | b']' | b'}' => depth -= 1,
            b',' if depth == 0 => {
                push(start, j);
                start = j + 1;
            }
            _ => {}
        }
    }
    push(start, range.end);
    params
}

/// The first `:` outside brackets that is not part of `::`.
fn top_level_colon(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let mut depth = 0i32;
    for (j, &c) in b.iter().enumerate() {
        match c {
            b'(' | b'[' | b'{' | b'<' => depth += 1,
            b')' | b']' | b'}' | b'>' => depth -= 1,
            b':' if depth == 0 && b.get(j + 1) != Some(&b':') && (j == 0 || b[j - 1] != b':') => {
                return Some(j);
            }
            _ => {}
        }
    }
    None
}

/// An expression that uses every binding of the parameter patterns, so a
/// body that does not use them yet compiles without `unused` warnings:
/// `listener`, `&mut buf` for `mut buf`, `self` for `&self`; names starting
/// with `_` are left out. `None` when nothing needs using.
pub fn use_params(params: &[String]) -> Option<String> {
    let mut used = Vec::new();
    for p in params {
        let p = p.trim();
        let selfless = p.trim_start_matches('&').trim_start();
        // `&self`, `&'a mut self`, `mut self`, `self`.
        let words: Vec<&str> = selfless.split_whitespace().collect();
        if words.last() == Some(&"self") {
            used.push(if p == "mut self" { "&mut self" } else { "self" }.to_string());
            continue;
        }
        if p.starts_with('_') {
            continue;
        }
        // `mut x` and patterns that contain `mut x`: borrow mutably, which
        // is the use that keeps `unused_mut` quiet too.
        let mut out = String::new();
        let mut rest = p;
        while let Some(at) = rest.find("mut ") {
            let before_ok = at == 0 || !is_ident(rest.as_bytes()[at - 1]);
            out.push_str(&rest[..at]);
            if before_ok {
                out.push_str("&mut ");
            } else {
                out.push_str("mut ");
            }
            rest = &rest[at + 4..];
        }
        out.push_str(rest);
        let out = out.replace("ref ", "");
        used.push(out);
    }
    match used.len() {
        0 => None,
        1 => used.pop(),
        _ => Some(format!("({})", used.join(", "))),
    }
}

/// The first sentence of the `///` doc comment just above byte `at` (the
/// `fn` keyword), skipping attributes, anchors and blank comment lines.
pub fn doc_summary(src: &str, at: usize) -> Option<String> {
    let before = &src[..src[..at].rfind('\n').map_or(0, |e| e + 1)];
    let mut lines = Vec::new();
    for line in before.lines().rev() {
        let t = line.trim();
        if let Some(doc) = t.strip_prefix("///") {
            lines.push(doc.trim().to_string());
        } else if t.starts_with("#[") || t.starts_with("// ") || t.is_empty() && lines.is_empty() {
            continue;
        } else {
            break;
        }
    }
    lines.reverse();
    let paragraph: Vec<String> = lines
        .into_iter()
        .skip_while(|l| l.is_empty())
        .take_while(|l| !l.is_empty())
        .collect();
    let text = paragraph.join(" ");
    if text.is_empty() {
        return None;
    }
    let end = text.find(". ").map_or(text.len(), |e| e + 1);
    Some(text[..end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRICKY: &str = r####"// practice: rung 1, lessons/01-x.md#a
/// Doc with { a brace. And more.
#[inline]
pub fn tricky<'a, F: Fn(u8) -> u8>(s: &'a str, mut n: usize, _unused: u8, f: F) -> &'a str {
    let a = "}{ \" }";
    let b = '}';
    let c = b'{';
    let d = r#"raw " } "#;
    let e = br"}";
    let l: &'static str = "x";
    /* block { /* nested } */ } */
    'outer: loop {
        break 'outer;
    }
    let q = '\'';
    let u = '\u{7d}';
    let w = 'é';
    let r#type = 1;
    // a comment with a } brace
    if n > 0 {
        n -= 1;
    }
    let g = |x: u8| -> u8 { x };
    s
}
fn after() {}
"####;

    #[test]
    fn braces_in_strings_chars_comments_and_lifetimes_do_not_count() {
        let kinds = classify(TRICKY);
        let item = next_fn(TRICKY, &kinds, 0).expect("a function");
        assert_eq!(item.name, "tricky");
        let body = &TRICKY[item.body.clone()];
        assert!(body.starts_with("{\n    let a"), "{body}");
        assert!(body.ends_with("    s\n}"), "{body}");
        assert!(TRICKY[item.body.end..].starts_with("\nfn after"));
        assert_eq!(item.params, ["s", "mut n", "_unused", "f"]);
        assert_eq!(use_params(&item.params).as_deref(), Some("(s, &mut n, f)"));
        assert_eq!(
            doc_summary(TRICKY, item.keyword).as_deref(),
            Some("Doc with { a brace.")
        );
        let next = next_fn(TRICKY, &kinds, item.body.end).expect("the next one");
        assert_eq!(next.name, "after");
        assert!(next.params.is_empty());
        assert_eq!(use_params(&next.params), None);
    }

    #[test]
    fn the_kinds_of_tricky_bytes() {
        let src = "let x = '{'; let y: &'a u8 = r\"{\"; // {\nlet z = /* { */ 1;";
        let kinds = classify(src);
        let kind_at = |needle: &str, nth: usize| {
            let at = src
                .match_indices(needle)
                .nth(nth)
                .map(|(i, _)| i)
                .expect("found");
            kinds[at]
        };
        assert_eq!(kind_at("'{'", 0), Kind::Char);
        assert_eq!(kind_at("'a", 0), Kind::Code);
        assert_eq!(kind_at("r\"", 0), Kind::Str);
        assert_eq!(kind_at("// {", 0), Kind::Comment);
        assert_eq!(kind_at("/* {", 0), Kind::Comment);
        assert_eq!(kind_at("1;", 0), Kind::Code);
        // An unterminated string or comment runs to the end without panicking.
        for broken in ["\"abc", "/* abc", "r#\"abc", "'", "fn f("] {
            let kinds = classify(broken);
            assert_eq!(kinds.len(), broken.len());
            let _ = next_fn(broken, &kinds, 0);
        }
    }

    #[test]
    fn self_parameters_patterns_and_generics_with_arrows() {
        let src = "impl A { fn m(&mut self, (a, mut b): (u8, u8), c: impl Fn(u8) -> Vec<u8>) -> u8 { 0 } }";
        let kinds = classify(src);
        let item = next_fn(src, &kinds, 0).expect("fn");
        assert_eq!(item.params, ["&mut self", "(a, mut b)", "c"]);
        assert_eq!(
            use_params(&item.params).as_deref(),
            Some("(self, (a, &mut b), c)")
        );
        assert_eq!(&src[item.body], "{ 0 }");
        let decl = "trait T { fn f(&self); }";
        assert!(
            next_fn(decl, &classify(decl), 0).is_err(),
            "a declaration has no body"
        );
        let generic = "fn g<F: FnOnce() -> u8>(f: F) where F: Send { f(); }";
        let item = next_fn(generic, &classify(generic), 0).expect("fn");
        assert_eq!(item.params, ["f"]);
        assert_eq!(&generic[item.body], "{ f(); }");
        let mutself = "fn h(mut self) {}";
        let item = next_fn(mutself, &classify(mutself), 0).expect("fn");
        assert_eq!(use_params(&item.params).as_deref(), Some("&mut self"));
    }
}
