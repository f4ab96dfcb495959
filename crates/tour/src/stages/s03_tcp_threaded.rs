//! Stage 3: a thread per client; nobody waits.

use harness::Fail;

use super::Stage;
use crate::show::Tour;

pub const STAGE: Stage = Stage {
    number: 3,
    package: "tcp-threaded",
    title: "a thread per client (Python's socketserver.ThreadingTCPServer)",
    binaries: &["tcp-threaded-server", "tcp-threaded-client"],
    run,
};

fn run(t: &Tour) -> Result<(), Fail> {
    let server = t.server("tcp-threaded-server", &["127.0.0.1:0"])?;
    t.say("Same accept loop as stage 2, but each accepted connection gets its own thread.");

    let mut alice = t.spawn("alice", "tcp-threaded-client", &[&server.addr])?;
    alice.type_line("hello")?;
    alice.expect("hello")?;
    server.expect("hello")?;
    t.say("alice is served by her thread; the main thread is already back in accept().");

    let mut bob = t.spawn("bob", "tcp-threaded-client", &[&server.addr])?;
    bob.type_line("anyone there?")?;
    bob.expect("anyone there?")?;
    server.expect("anyone there?")?;
    t.say("bob is answered at once, while alice is still connected: two threads, each blocked in its own read().");

    alice.type_line("still me")?;
    alice.expect("still me")?;
    server.expect("still me")?;
    t.say("alice's conversation goes on undisturbed.");

    bob.type_line("q")?;
    bob.finish()?;
    server.expect("sent q")?;
    t.say("bob leaves with q: his thread returns from converse and ends; alice's goes on.");

    server.stop("INT")?;
    alice.finish()?;
    t.say("Ctrl-C with alice still connected: the server closes her connection, her thread ends, and the summary counts both clients.");
    Ok(())
}
