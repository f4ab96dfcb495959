//! Stage 4: UDP request/reply: recv_from and send_to.

use std::net::UdpSocket;

use harness::{Fail, check};

use super::Stage;
use crate::show::Tour;

pub const STAGE: Stage = Stage {
    number: 4,
    package: "udp-echo",
    title: "UDP request/reply: recv_from and send_to",
    binaries: &["udp-echo-server", "udp-echo-client"],
    run,
};

fn run(t: &Tour) -> Result<(), Fail> {
    let server = t.server("udp-echo-server", &["127.0.0.1:0"])?;
    t.say("socket + bind, and no listen: a UDP server has no connections, only a port; it blocks in recv_from().");

    let done = t.run(
        "client",
        "udp-echo-client",
        &[&server.addr],
        b"one\ntwo\nthree\n",
    )?;
    server.expect("three")?;
    check!(
        done.stdout == ["one", "two", "three"],
        "the client should print the three echoes, it printed {:?}",
        done.stdout
    );
    t.say("Each line went out as one datagram and came back as one: UDP keeps message boundaries, no framing needed.");
    t.say("recv_from returned each datagram with its sender's address and port; send_to answered exactly that address.");

    // Nothing answers on this port: the client's datagrams fall into a hole.
    let hole = UdpSocket::bind("127.0.0.1:0")?;
    let hole_addr = hole.local_addr()?.to_string();
    t.say("Now a port where nobody answers: UDP does not say so, so the client waits, sends again, and gives up.");
    let mut client = t.spawn(
        "client",
        "udp-echo-client",
        &[
            &hole_addr,
            "--timeout-ms",
            "200",
            "--retries",
            "2",
            "anyone?",
        ],
    )?;
    client.proc.close_stdin();
    let lost = client.proc.wait()?;
    for line in &lost.stderr {
        t.line(format_args!("[client stderr] {line}"));
    }
    check!(
        lost.code() == Some(1) && lost.stderr_text().contains("no delivery guarantee"),
        "with no server the client should fail with exit 1 and say UDP gives no guarantee; it said {:?}",
        lost.stderr
    );
    t.say("Three sends, 200 ms apart, no reply: a read timeout and bounded retries are the client's only defence.");

    server.stop("INT")?;
    t.say("Ctrl-C: kit::Stop woke the blocked recv_from with an empty datagram, and the server printed its summary.");
    Ok(())
}
