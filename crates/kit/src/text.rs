//! Showing bytes from the network on a terminal.

/// Renders bytes a peer sent as one harmless line of text.
///
/// Valid UTF-8 is kept, so `你好` stays `你好`. Control characters (newlines,
/// the escape byte that starts terminal colour and cursor sequences, DEL, C1
/// controls) and the invisible bidirectional-override characters are written as
/// Rust escapes (`\n`, `\u{1b}`), so a peer cannot clear, recolour or spoof the
/// screen of whoever reads the log. Bytes that are not UTF-8 are shown as
/// `\xNN`, because the network carries bytes, not text.
///
/// ```
/// assert_eq!(kit::printable(b"hi\n"), r"hi\n");
/// assert_eq!(kit::printable(b"\x1b[2J"), r"\u{1b}[2J");
/// assert_eq!(kit::printable(b"caf\xe9"), r"caf\xe9");
/// assert_eq!(kit::printable("你好".as_bytes()), "你好");
/// ```
pub fn printable(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if is_unsafe(c) {
                out.extend(c.escape_debug());
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

fn is_unsafe(c: char) -> bool {
    // `escape_debug` would also escape quotes and backslashes; only escape
    // what can change how the terminal draws the rest of the line.
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Whether `c` draws nothing, or changes how the text around it is drawn:
/// control and format characters (zero-width spaces and joiners, the soft
/// hyphen, bidirectional controls, the BOM), fillers and variation selectors
/// that show as nothing, and the line and paragraph separators. A name made
/// with one (`server\u{200b}`, `ali\u{202e}ce`) looks like another name on
/// screen. Std has no Unicode tables, so this is Unicode 15's Cc, Cf, Zl, Zp
/// and Default_Ignorable_Code_Point, written out.
///
/// ```
/// assert!(kit::invisible('\u{200b}') && kit::invisible('\u{ad}') && kit::invisible('\u{202e}'));
/// assert!(!kit::invisible('a') && !kit::invisible('你') && !kit::invisible(' '));
/// ```
#[rustfmt::skip]
pub fn invisible(c: char) -> bool {
    c.is_control() || matches!(c, '\u{AD}' | '\u{34F}' | '\u{600}'..='\u{605}' | '\u{61C}'
        | '\u{6DD}' | '\u{70F}' | '\u{890}'..='\u{891}' | '\u{8E2}' | '\u{115F}'..='\u{1160}'
        | '\u{17B4}'..='\u{17B5}' | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}'
        | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF0}'..='\u{FFFB}' | '\u{110BD}' | '\u{110CD}'
        | '\u{13430}'..='\u{1343F}' | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}')
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn keeps_plain_text_and_escapes_what_drives_a_terminal() {
        assert_eq!(printable(b"plain text"), "plain text");
        assert_eq!(printable(b"a\tb\r\n"), r"a\tb\r\n");
        assert_eq!(printable(b"\x07bell \x7f"), r"\u{7}bell \u{7f}");
        assert_eq!(printable("\u{202e}txt.exe".as_bytes()), r"\u{202e}txt.exe");
        assert_eq!(printable(b"\xff\xfe"), r"\xff\xfe");
        assert_eq!(printable(b""), "");
    }
}
