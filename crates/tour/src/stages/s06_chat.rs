//! Stage 6: a chat room; every client hears everyone, in one order.

use harness::Fail;

use super::Stage;
use crate::show::Tour;

pub const STAGE: Stage = Stage {
    number: 6,
    package: "chat",
    title: "a chat room: JSON lines broadcast to everyone",
    binaries: &["chat-server", "chat-client"],
    run,
};

fn run(t: &Tour) -> Result<(), Fail> {
    let server = t.server("chat-server", &["127.0.0.1:0"])?;
    t.say("Stage 3's thread per client, plus one room that every client's thread shares (Arc<Mutex<Room>>).");

    let mut alice = t.spawn("alice", "chat-client", &[&server.addr, "--name", "alice"])?;
    alice.expect("online: alice")?;
    t.say("alice's client joined by sending {\"name\": \"alice\", \"msg\": \"/who\"}: the first message binds the name, and only from then on does her connection hear the room; /who is answered to her alone.");

    let mut bob = t.spawn("bob", "chat-client", &[&server.addr, "--name", "bob"])?;
    bob.expect("online: alice, bob")?;
    alice.expect("bob joined")?;
    t.say("The server announces bob to everyone in the room, as a message from the reserved name \"server\"; chat-client shows a notice as `* text`, so no user's line can pass for one.");

    alice.type_line("hi bob")?;
    alice.expect("alice: hi bob")?;
    bob.expect("alice: hi bob")?;
    server.expect("alice: hi bob")?;
    t.say("alice's reader thread parsed the JSON line, locked the room, stamped the time and queued the line for every client that joined (a bounded queue each, never waiting); each client's writer thread sent it, alice's own included.");

    bob.type_line("hello alice")?;
    bob.expect("bob: hello alice")?;
    alice.expect("bob: hello alice")?;
    t.say("Both clients see both messages, in the same order: the order in which the reader threads got the room's lock.");

    bob.type_line("/quit")?;
    bob.finish()?;
    alice.expect("bob left")?;
    server.expect("closed the connection")?;
    t.say("bob types /quit: his client shuts down its sending side; the server reads end of stream on his connection, takes him out of the room and tells the others.");

    alice.proc.close_stdin();
    alice.finish()?;
    server.expect("closed the connection")?;
    t.say("alice's input ends: her client shuts down its sending side, the server sends what it still had for her and closes.");

    server.stop("INT")?;
    t.say("Ctrl-C: the room is told it is closing (nobody is left to hear it), every client thread is waited for, and the summary counts the clients served.");
    Ok(())
}
