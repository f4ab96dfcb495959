//! Stage 2: an accept loop, one client at a time; the next one waits.

use harness::{Fail, check};

use super::Stage;
use crate::lang::Say;
use crate::show::Tour;

pub const STAGE: Stage = Stage {
    number: 2,
    package: "tcp-loop",
    title: Say {
        en: "an accept loop: one client at a time, a conversation until q",
        zh: "链接循环：一次服务一个客户端，一场对话直到 q",
    },
    binaries: &["tcp-loop-server", "tcp-loop-client"],
    run,
};

fn run(t: &Tour) -> Result<(), Fail> {
    let server = t.server("tcp-loop-server", &["127.0.0.1:0"])?;
    t.say(&Say {
        en: "The server binds and blocks in accept(), now inside a loop.",
        zh: "服务端绑定端口，阻塞在 accept() 里，这回是在一个循环里（链接循环）。",
    });

    let mut alice = t.spawn("alice", "tcp-loop-client", &[&server.addr])?;
    alice.type_line("hello")?;
    alice.expect("hello")?;
    server.expect("hello")?;
    t.say(&Say {
        en: "accept() returned alice's connection; the inner loop reads and echoes each line.",
        zh: "accept() 返回了 alice 的连接；内层循环（通信循环）读取并回显每一行。",
    });

    let mut bob = t.spawn("bob", "tcp-loop-client", &[&server.addr])?;
    bob.type_line("anyone there?")?;
    t.say(&Say {
        en: "bob connects (the kernel completes his handshake) and sends a line...",
        zh: "bob 连了上来（内核替他完成了握手），发出一行……",
    });
    alice.type_line("still me")?;
    alice.expect("still me")?;
    server.expect("still me")?;
    let early = bob.proc.lines_so_far();
    check!(
        early.is_empty(),
        "bob got {early:?} while alice was connected: tcp-loop serves one client at a time"
    );
    t.say(&Say {
        en: "...but gets no answer: the server is in alice's read loop, so bob waits in the listen backlog.",
        zh: "……却得不到回答：服务端还在 alice 的读循环里，所以 bob 只能在监听队列（教程说的半连接池）里等着。",
    });

    alice.type_line("q")?;
    server.expect("sent q")?;
    alice.finish()?;
    t.say(&Say {
        en: "alice sends q: the server leaves the inner loop, closes her connection, and goes back to accept().",
        zh: "alice 发来 q：服务端跳出内层循环，关闭她的连接，回到 accept()。",
    });
    bob.expect("anyone there?")?;
    server.expect("anyone there?")?;
    t.say(&Say {
        en: "accept() takes bob from the backlog; the line he sent long ago is read and echoed now.",
        zh: "accept() 从队列里取出 bob；他早就发出的那一行，直到现在才被读到并回显。",
    });
    bob.type_line("q")?;
    bob.finish()?;

    server.stop("INT")?;
    t.say(&Say {
        en: "Ctrl-C: the server stops accepting and prints how many clients it served. Stage 3 serves bob at once.",
        zh: "Ctrl-C：服务端不再接受连接，打印它服务了多少个客户端。到了第 3 阶段，bob 会立刻得到服务。",
    });
    Ok(())
}
