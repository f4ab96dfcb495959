//! Stage 5: TCP is a byte stream; framing finds the messages again.

use std::io::{Read, Write};
use std::net::TcpStream;

use harness::{Fail, check};

use super::Stage;
use crate::lang::Say;
use crate::show::Tour;

pub const STAGE: Stage = Stage {
    number: 5,
    package: "framing",
    title: Say {
        en: "TCP is a byte stream: length-prefix and newline framing",
        zh: "TCP 是字节流：长度前缀分帧与换行分帧",
    },
    binaries: &["framing-server", "framing-client"],
    run,
};

fn run(t: &Tour) -> Result<(), Fail> {
    let server = t.server("framing-server", &["127.0.0.1:0"])?;
    server.expect("framing: length")?;
    t.say(&Say {
        en: "Stage 3's threaded server, but it reads and answers messages: a 4-byte big-endian length, then the body.",
        zh: "还是第 3 阶段的多线程服务端，但它收发的是消息：先是 4 字节大端长度，再是消息体。",
    });

    t.say(&Say {
        en: "--naive sends three messages in one write, then reads the echoes as the tutorial does: one recv(1024) taken as one message.",
        zh: "--naive 用一次 write 发出三条消息，然后像教程那样读回显：把一次 recv(1024) 当成一条消息。",
    });
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
    t.say(&Say {
        en: "The server read three messages and wrote three echoes, but TCP keeps no boundaries: the first recv() got all three, stuck together (粘包), and the tutorial's next recv() would wait for ever.",
        zh: "服务端读到三条消息，写回三条回显，可是 TCP 不保留边界：第一次 recv() 就把三条全拿到了，粘在了一起（粘包），而教程的下一次 recv() 会永远等下去。",
    });

    let mut client = t.spawn("client", "framing-client", &[&server.addr])?;
    client.type_line("hello")?;
    client.expect("hello")?;
    server.expect("sent 5 bytes")?;
    t.say(&Say {
        en: "framing-client sends 00 00 00 05 hello and reads the reply the same way: 4 bytes of length, then exactly that many. Nothing is guessed, unlike stage 3's client.",
        zh: "framing-client 发送 00 00 00 05 hello，读回复也是同样的办法：先读 4 字节长度，再不多不少读那么多字节。和第 3 阶段的客户端不同，这里什么都不用猜。",
    });
    client.finish()?;
    server.expect("closed the connection")?;

    t.say(&Say {
        en: "The tutorial's client sends \"I love wangxiaojing\" with no length in front: its first 4 bytes, \"I lo\", read as a length, say 1,226,861,679 bytes.",
        zh: "教程的客户端发送 \"I love wangxiaojing\"，前面没有长度：它的头 4 个字节 \"I lo\" 被当成长度，读出来是 1,226,861,679 字节。",
    });
    t.line("[their client] sends b\"I love wangxiaojing\"");
    let mut theirs = harness::connect(&server.addr)?;
    theirs.write_all(b"I love wangxiaojing")?;
    let reply = read_frame_by_hand(&mut theirs)?;
    t.line(format_args!(
        "[their client] got a frame: {}",
        String::from_utf8_lossy(&reply)
    ));
    server.expect("1226861679")?;
    t.say(&Say {
        en: "Over the 1 MiB limit: refused right after the header, before any memory is set aside for the body; one error frame, the connection closed, and every other client goes on.",
        zh: "超过了 1 MiB 的上限：一读完报头就拒绝，还没为消息体分配任何内存；回一个错误帧，关闭这条连接，其他客户端照常。",
    });

    server.stop("INT")?;
    t.say(&Say {
        en: "Ctrl-C: the same clean stop and summary as stage 3.",
        zh: "Ctrl-C：和第 3 阶段一样干净地停下，打印总结。",
    });
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
