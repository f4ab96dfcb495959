//! Stage 4: UDP request/reply: recv_from and send_to.

use std::net::UdpSocket;

use harness::{Fail, check};

use super::Stage;
use crate::lang::Say;
use crate::show::Tour;

pub const STAGE: Stage = Stage {
    number: 4,
    package: "udp-echo",
    title: Say {
        en: "UDP request/reply: recv_from and send_to",
        zh: "UDP 请求/应答：recv_from 和 send_to",
    },
    binaries: &["udp-echo-server", "udp-echo-client"],
    run,
};

fn run(t: &Tour) -> Result<(), Fail> {
    let server = t.server("udp-echo-server", &["127.0.0.1:0"])?;
    t.say(&Say {
        en: "socket + bind, and no listen: a UDP server has no connections, only a port; it blocks in recv_from().",
        zh: "socket + bind，没有 listen：UDP 服务端没有连接，只有一个端口；它阻塞在 recv_from() 里。",
    });

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
    t.say(&Say {
        en: "Each line went out as one datagram and came back as one: UDP keeps message boundaries, no framing needed.",
        zh: "每一行作为一个数据报发出去，也作为一个数据报回来：UDP 保留消息边界，不需要分帧。",
    });
    t.say(&Say {
        en: "recv_from returned each datagram with its sender's address and port; send_to answered exactly that address.",
        zh: "recv_from 返回每个数据报时，都附带了发送方的地址和端口；send_to 就回给这个地址。",
    });

    // Nothing answers on this port: the client's datagrams fall into a hole.
    let hole = UdpSocket::bind("127.0.0.1:0")?;
    let hole_addr = hole.local_addr()?.to_string();
    t.say(&Say {
        en: "Now a port where nobody answers: UDP does not say so, so the client waits, sends again, and gives up.",
        zh: "现在换一个没人应答的端口：UDP 不会告诉你没人，于是客户端等待、重发，最后放弃。",
    });
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
    t.say(&Say {
        en: "Three sends, 200 ms apart, no reply: a read timeout and bounded retries are the client's only defence.",
        zh: "发了三次，每次隔 200 毫秒，都没有回复：读超时加上有限次重试，是客户端唯一的自保手段。",
    });

    server.stop("INT")?;
    t.say(&Say {
        en: "Ctrl-C: kit::Stop woke the blocked recv_from with an empty datagram, and the server printed its summary.",
        zh: "Ctrl-C：kit::Stop 用一个空数据报唤醒了阻塞着的 recv_from，服务端打印出总结。",
    });
    Ok(())
}
