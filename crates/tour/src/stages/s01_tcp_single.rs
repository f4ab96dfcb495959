//! Stage 1: one connection, one message, one reply, close.

use harness::{Fail, check};

use super::Stage;
use crate::lang::Say;
use crate::show::Tour;

pub const STAGE: Stage = Stage {
    number: 1,
    package: "tcp-single",
    title: Say {
        en: "one connection, one message, one reply, close",
        zh: "一条连接，一条消息，一次回复，然后关闭",
    },
    binaries: &["tcp-single-server", "tcp-single-client"],
    run,
};

fn run(t: &Tour) -> Result<(), Fail> {
    let server = t.server("tcp-single-server", &["127.0.0.1:0"])?;
    t.say(&Say {
        en: "socket + bind + listen: the server owns a port the OS picked (port 0); it blocks in accept().",
        zh: "socket + bind + listen：服务端占住了操作系统挑的一个端口（端口 0），阻塞在 accept() 里。",
    });

    let client = t.spawn(
        "client",
        "tcp-single-client",
        &[&server.addr, "hello,", "server"],
    )?;
    server.expect("connection from")?;
    t.say(&Say {
        en: "connect() did the three-way handshake; accept() returned a new socket for this one client.",
        zh: "connect() 完成了三次握手；accept() 为这一个客户端返回了一个新的套接字。",
    });
    server.expect("received")?;
    t.say(&Say {
        en: "One read of at most 1024 bytes got the whole message: it was small, sent in one write.",
        zh: "一次最多读 1024 字节的 read 就拿到了整条消息：消息很短，又是一次 write 发出来的。",
    });
    server.expect("replied")?;
    t.say(&Say {
        en: "The server wrote the same bytes back and closed the connection (FIN).",
        zh: "服务端把同样的字节写了回去，然后关闭连接（发出 FIN）。",
    });

    let done = client.finish()?;
    check!(
        done.stdout == ["hello, server"],
        "the client should print the echo `hello, server`, it printed {:?}",
        done.stdout
    );
    t.say(&Say {
        en: "The client read until the server's close and printed the reply.",
        zh: "客户端一直读到服务端关闭连接，然后打印出回复。",
    });
    server.finish()?;
    t.say(&Say {
        en: "One client served, so the server exits 0. The next stage keeps it running in a loop.",
        zh: "服务完一个客户端，服务端就以退出码 0 退出。下一个阶段让它在循环里一直跑下去。",
    });
    Ok(())
}
