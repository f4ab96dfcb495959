//! `/who`, bounded. The attack: with 1,000 clients online under long names,
//! a 33-byte `/who` bought a 118 KB answer, so asking again and again made
//! the server send far more than it read. The answer lists the names that
//! fit in [`WHO_BYTES`], then how many more there are.

pub const WHO_BYTES: usize = 1024;

// practice: rung 6, lessons/07-hardened-chat.md#who-bounded
/// `online: alice, bob`, with at most [`WHO_BYTES`] of names, then
/// `... and 950 more`.
pub fn online<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let (mut text, mut more) = (String::from("online:"), 0);
    for name in names {
        if more == 0 && text.len() + 2 + name.len() <= WHO_BYTES {
            text += if text == "online:" { " " } else { ", " };
            text += name;
        } else {
            more += 1;
        }
    }
    match more {
        0 => text,
        _ => format!("{text} ... and {more} more"),
    }
}
