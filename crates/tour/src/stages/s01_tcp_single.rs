//! Stage 1: one connection, one message, one reply, close.

use harness::{Fail, check};

use super::Stage;
use crate::show::Tour;

pub const STAGE: Stage = Stage {
    number: 1,
    package: "tcp-single",
    title: "one connection, one message, one reply, close",
    binaries: &["tcp-single-server", "tcp-single-client"],
    run,
};

fn run(t: &Tour) -> Result<(), Fail> {
    let server = t.server("tcp-single-server", &["127.0.0.1:0"])?;
    t.say("socket + bind + listen: the server owns a port the OS picked (port 0); it blocks in accept().");

    let client = t.spawn(
        "client",
        "tcp-single-client",
        &[&server.addr, "hello,", "server"],
    )?;
    server.expect("connection from")?;
    t.say("connect() did the three-way handshake; accept() returned a new socket for this one client.");
    server.expect("received")?;
    t.say("One read of at most 1024 bytes got the whole message: it was small, sent in one write.");
    server.expect("replied")?;
    t.say("The server wrote the same bytes back and closed the connection (FIN).");

    let done = client.finish()?;
    check!(
        done.stdout == ["hello, server"],
        "the client should print the echo `hello, server`, it printed {:?}",
        done.stdout
    );
    t.say("The client read until the server's close and printed the reply.");
    server.finish()?;
    t.say("One client served, so the server exits 0. The next stage keeps it running in a loop.");
    Ok(())
}
