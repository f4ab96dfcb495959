//! Is it well-formed XML? Enough of a check for the SVG files the book
//! shows (drawn by [`crate::diagram`] and by `loadgen compare --svg`): every
//! tag closed in order, attributes quoted, entities known, one root element.

/// `Ok(root element name)`, or what is wrong and where (a byte offset).
pub fn check(text: &str) -> Result<String, String> {
    let mut open: Vec<&str> = Vec::new();
    let mut root: Option<String> = None;
    let mut i = 0;
    let bytes = text.as_bytes();
    while i < bytes.len() {
        if bytes[i] != b'<' {
            let end = text[i..].find('<').map_or(text.len(), |k| i + k);
            let chunk = &text[i..end];
            if open.is_empty() && !chunk.trim().is_empty() {
                return Err(format!("at {i}: text outside the root element"));
            }
            check_entities(chunk).map_err(|e| format!("at {i}: {e}"))?;
            i = end;
            continue;
        }
        let rest = &text[i..];
        let skip = |end: &str| -> Result<usize, String> {
            rest.find(end)
                .map(|k| i + k + end.len())
                .ok_or(format!("at {i}: never closed with `{end}`"))
        };
        if rest.starts_with("<?") {
            i = skip("?>")?;
        } else if rest.starts_with("<!--") {
            i = skip("-->")?;
        } else if rest.starts_with("<![CDATA[") {
            i = skip("]]>")?;
        } else if rest.starts_with("<!") {
            i = skip(">")?;
        } else if let Some(name_etc) = rest.strip_prefix("</") {
            let end = name_etc
                .find('>')
                .ok_or(format!("at {i}: unclosed end tag"))?;
            let name = name_etc[..end].trim();
            match open.pop() {
                Some(top) if top == name => {}
                Some(top) => return Err(format!("at {i}: </{name}> closes <{top}>")),
                None => return Err(format!("at {i}: </{name}> closes nothing")),
            }
            i += 2 + end + 1;
        } else {
            let (name, len, empty) = tag(&rest[1..]).map_err(|e| format!("at {i}: {e}"))?;
            if open.is_empty() {
                if root.is_some() {
                    return Err(format!("at {i}: a second root element <{name}>"));
                }
                root = Some(name.to_string());
            }
            if !empty {
                open.push(name);
            }
            i += 1 + len;
        }
    }
    if let Some(top) = open.pop() {
        return Err(format!("<{top}> is never closed"));
    }
    root.ok_or("no element at all".into())
}

/// Reads `name attr="v" ...>` or `.../>`: the name, the length read, and
/// whether the element is empty (`/>`).
fn tag(s: &str) -> Result<(&str, usize, bool), String> {
    let name_len = s
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .ok_or("a tag that never ends")?;
    let name = &s[..name_len];
    if name.is_empty() || !name.starts_with(|c: char| c.is_alphabetic() || c == '_') {
        return Err(format!("a bad tag name {name:?}"));
    }
    let mut i = name_len;
    let mut seen: Vec<&str> = Vec::new();
    loop {
        let rest = &s[i..];
        let trimmed = rest.trim_start();
        i += rest.len() - trimmed.len();
        if trimmed.starts_with("/>") {
            return Ok((name, i + 2, true));
        }
        if trimmed.starts_with('>') {
            return Ok((name, i + 1, false));
        }
        let eq = trimmed
            .find('=')
            .ok_or(format!("<{name}>: an attribute without a value"))?;
        let attr = trimmed[..eq].trim();
        if attr.is_empty() || attr.contains(|c: char| c.is_whitespace() || c == '>') {
            return Err(format!(
                "<{name}>: a bad attribute near {:?}",
                &trimmed[..eq]
            ));
        }
        if seen.contains(&attr) {
            return Err(format!("<{name}>: attribute {attr} twice"));
        }
        seen.push(attr);
        let value = trimmed[eq + 1..].trim_start();
        let quote = value
            .chars()
            .next()
            .filter(|q| *q == '"' || *q == '\'')
            .ok_or(format!("<{name}>: the value of {attr} is not quoted"))?;
        let close = value[1..]
            .find(quote)
            .ok_or(format!("<{name}>: the value of {attr} never ends"))?;
        let v = &value[1..1 + close];
        if v.contains('<') {
            return Err(format!("<{name}>: a `<` in the value of {attr}"));
        }
        check_entities(v).map_err(|e| format!("<{name}> {attr}: {e}"))?;
        i += (trimmed.len() - value.len()) + close + 2;
    }
}

fn check_entities(text: &str) -> Result<(), String> {
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        let after = &rest[amp + 1..];
        let semi = after
            .find(';')
            .ok_or("a bare `&` (write &amp;)".to_string())?;
        let entity = &after[..semi];
        let known = matches!(entity, "amp" | "lt" | "gt" | "quot" | "apos")
            || entity
                .strip_prefix("#x")
                .is_some_and(|h| u32::from_str_radix(h, 16).is_ok())
            || entity
                .strip_prefix('#')
                .is_some_and(|d| d.parse::<u32>().is_ok());
        if !known {
            return Err(format!("an unknown entity &{entity};"));
        }
        rest = &after[semi + 1..];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn accepts_well_formed_and_says_what_is_wrong_otherwise() {
        assert_eq!(
            check(
                "<?xml version=\"1.0\"?>\n<svg a=\"1\"><g><text x='2'>a &amp; b</text></g><path d=\"M0\"/></svg>\n"
            ),
            Ok("svg".into())
        );
        let bad = [
            ("<svg><g></svg>", "closes <g>"),
            ("<svg>", "never closed"),
            ("<svg a=1></svg>", "not quoted"),
            ("<svg>a & b</svg>", "bare `&`"),
            ("<svg></svg><svg></svg>", "second root"),
            ("<svg a=\"1\" a=\"2\"></svg>", "twice"),
        ];
        for (text, why) in bad {
            let err = check(text).expect_err(text);
            assert!(err.contains(why), "{text}: {err}");
        }
    }
}
