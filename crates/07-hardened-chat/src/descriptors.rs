//! Descriptors. The attack: more connections than the process may open
//! files (`ulimit -n`): `accept()` fails with EMFILE, which stage 6 took for
//! fatal. A client costs one descriptor here (an `Arc`, not `try_clone`),
//! and a spare one is kept on `/dev/null`: closed, it lets the waiting
//! client in, to be told. (kit's `Stop` keeps one for Ctrl-C's wake-up.)

use std::fs::File;
use std::io;
use std::net::TcpListener;
use std::time::Duration;

use kit::Stop;

// practice: rung 8, lessons/07-hardened-chat.md#file-descriptors-a-spare-for-a-refusal-line
/// `accept()` failed with `e`. Out of descriptors (EMFILE, or ENFILE for
/// the whole system: 24 and 23 on Linux and macOS): spend the `spare` on
/// the waiting client, to tell it. Else (or with no spare, until one can be
/// opened again): log it, and pause a moment.
pub fn accept_failed(spare: &mut Option<File>, listener: &TcpListener, e: io::Error, stop: &Stop) {
    if matches!(e.raw_os_error(), Some(24 | 23)) && spare.take().is_some() {
        // Not the Ctrl-C wake-up: that one is just closed.
        if let (Ok((conn, peer)), false) = (listener.accept(), stop.requested()) {
            let why = "the server is out of file descriptors; try again later";
            crate::clients::refuse(&conn, peer, "out of file descriptors", why);
        }
    } else {
        log!("accept failed: {e}; retrying");
        std::thread::sleep(Duration::from_millis(50));
    }
    *spare = spare.take().or_else(|| File::open("/dev/null").ok());
}
