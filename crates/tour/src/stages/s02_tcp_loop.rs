//! Stage 2: an accept loop, one client at a time; the next one waits.

use harness::{Fail, check};

use super::Stage;
use crate::show::Tour;

pub const STAGE: Stage = Stage {
    number: 2,
    package: "tcp-loop",
    title: "an accept loop: one client at a time, a conversation until q",
    binaries: &["tcp-loop-server", "tcp-loop-client"],
    run,
};

fn run(t: &Tour) -> Result<(), Fail> {
    let server = t.server("tcp-loop-server", &["127.0.0.1:0"])?;
    t.say("The server binds and blocks in accept(), now inside a loop.");

    let mut alice = t.spawn("alice", "tcp-loop-client", &[&server.addr])?;
    alice.type_line("hello")?;
    alice.expect("hello")?;
    server.expect("hello")?;
    t.say("accept() returned alice's connection; the inner loop reads and echoes each line.");

    let mut bob = t.spawn("bob", "tcp-loop-client", &[&server.addr])?;
    bob.type_line("anyone there?")?;
    t.say("bob connects (the kernel completes his handshake) and sends a line...");
    alice.type_line("still me")?;
    alice.expect("still me")?;
    server.expect("still me")?;
    let early = bob.proc.lines_so_far();
    check!(
        early.is_empty(),
        "bob got {early:?} while alice was connected: tcp-loop serves one client at a time"
    );
    t.say("...but gets no answer: the server is in alice's read loop, so bob waits in the listen backlog.");

    alice.type_line("q")?;
    server.expect("sent q")?;
    alice.finish()?;
    t.say("alice sends q: the server leaves the inner loop, closes her connection, and goes back to accept().");
    bob.expect("anyone there?")?;
    server.expect("anyone there?")?;
    t.say("accept() takes bob from the backlog; the line he sent long ago is read and echoed now.");
    bob.type_line("q")?;
    bob.finish()?;

    server.stop("INT")?;
    t.say("Ctrl-C: the server stops accepting and prints how many clients it served. Stage 3 serves bob at once.");
    Ok(())
}
