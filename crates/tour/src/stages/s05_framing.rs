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
    t.say("Stage 3's threaded echo server, but it reads and echoes messages: a 4-byte big-endian length, then the body.");

    t.say("--naive sends three messages in one write, then reads the echoes twice: one recv(1024) per message, as the tutorial does, and framed.");
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
    t.say("The server read three messages and wrote three echoes, but TCP has no boundaries: the naive reader's one recv() got all three, stuck together (粘包), and its next recv() would wait forever.");
    t.say("The framed reader takes the 4-byte length (00 00 00 05), then exactly 5 bytes, three times: hello, world, again.");

    t.say("A client announcing a 4 GiB message gets an error frame and is closed; the server never allocates it.");
    println!("[raw client] sends the header ff ff ff ff (4294967295 bytes) and no body");
    let mut raw = harness::connect(&server.addr)?;
    raw.write_all(&[0xff; 4])?;
    let reply = read_frame_by_hand(&mut raw)?;
    println!(
        "[raw client] got a frame: {}",
        String::from_utf8_lossy(&reply)
    );
    server.expect("limit")?;
    t.say("The size limit is checked right after the header, before any memory is set aside; the other clients never notice.");

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
