//! Stage 5: TCP is a byte stream; framing finds the messages again.

use std::io::{Read, Write};
use std::net::TcpStream;

use harness::{Fail, check};

use super::Stage;
use crate::show::Tour;

pub const STAGE: Stage = Stage {
    number: 5,
    package: "framing",
    title: "TCP is a byte stream: length-prefix and newline framing",
    binaries: &["framing-server", "framing-client"],
    run,
};

fn run(t: &Tour) -> Result<(), Fail> {
    let server = t.server("framing-server", &["127.0.0.1:0"])?;
    server.expect("framing: length")?;
    t.say("Stage 3's threaded server, but it reads and answers messages: a 4-byte big-endian length, then the body.");

    t.say("--naive sends three messages in one write, then reads the echoes as the tutorial does: one recv(1024) taken as one message.");
    let done = t.run(
        "client",
        "framing-client",
        &[&server.addr, "--naive"],
        b"hello\nworld\nagain\n",
    )?;
    let naive = done
        .stdout
        .iter()
        .find(|l| l.contains("message 1?"))
        .cloned()
        .unwrap_or_default();
    check!(
        ["hello", "world", "again"]
            .iter()
            .all(|m| naive.contains(m)),
        "the naive reader's first read should hold all three messages; the client printed {:?}",
        done.stdout
    );
    server.expect("again")?;
    server.expect("closed the connection")?;
    t.say("The server read three messages and wrote three echoes, but TCP keeps no boundaries: the first recv() got all three, stuck together (粘包), and the tutorial's next recv() would wait for ever.");

    let mut client = t.spawn("client", "framing-client", &[&server.addr])?;
    client.type_line("hello")?;
    client.expect("hello")?;
    server.expect("sent 5 bytes")?;
    t.say("framing-client sends 00 00 00 05 hello and reads the reply the same way: 4 bytes of length, then exactly that many. Nothing is guessed, unlike stage 3's client.");
    client.finish()?;
    server.expect("closed the connection")?;

    t.say("The tutorial's client sends \"I love wangxiaojing\" with no length in front: its first 4 bytes, \"I lo\", read as a length, say 1,226,861,679 bytes.");
    t.line("[their client] sends b\"I love wangxiaojing\"");
    let mut theirs = harness::connect(&server.addr)?;
    theirs.write_all(b"I love wangxiaojing")?;
    let reply = read_frame_by_hand(&mut theirs)?;
    t.line(format_args!(
        "[their client] got a frame: {}",
        String::from_utf8_lossy(&reply)
    ));
    server.expect("1226861679")?;
    t.say("Over the 1 MiB limit: refused right after the header, before any memory is set aside for the body; one error frame, the connection closed, and every other client goes on.");

    server.stop("INT")?;
    t.say("Ctrl-C: the same clean stop and summary as stage 3.");
    Ok(())
}

/// `struct.unpack('>I', recv_exactly(4))`, then the body: what any client in
/// any language does.
fn read_frame_by_hand(stream: &mut TcpStream) -> Result<Vec<u8>, Fail> {
    let mut header = [0u8; 4];
    stream.read_exact(&mut header)?;
    let size = u32::from_be_bytes(header) as usize;
    check!(
        size < 4096,
        "the server's error frame announces {size} bytes"
    );
    let mut body = vec![0u8; size];
    stream.read_exact(&mut body)?;
    Ok(body)
}
