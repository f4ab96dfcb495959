//! Stage 3: a thread per client; nobody waits.

use harness::Fail;

use super::Stage;
use crate::lang::Say;
use crate::show::Tour;

pub const STAGE: Stage = Stage {
    number: 3,
    package: "tcp-threaded",
    title: Say {
        en: "a thread per client (Python's socketserver.ThreadingTCPServer)",
        zh: "每个客户端一个线程（Python 的 socketserver.ThreadingTCPServer）",
    },
    binaries: &["tcp-threaded-server", "tcp-threaded-client"],
    run,
};

fn run(t: &Tour) -> Result<(), Fail> {
    let server = t.server("tcp-threaded-server", &["127.0.0.1:0"])?;
    t.say(&Say {
        en: "Same accept loop as stage 2, but each accepted connection gets its own thread.",
        zh: "和第 2 阶段一样的链接循环，只是每接受一条连接，就给它开一个线程。",
    });

    let mut alice = t.spawn("alice", "tcp-threaded-client", &[&server.addr])?;
    alice.type_line("hello")?;
    alice.expect("hello")?;
    server.expect("hello")?;
    t.say(&Say {
        en: "alice is served by her thread; the main thread is already back in accept().",
        zh: "alice 由她自己的线程服务；主线程已经回到 accept() 里了。",
    });

    let mut bob = t.spawn("bob", "tcp-threaded-client", &[&server.addr])?;
    bob.type_line("anyone there?")?;
    bob.expect("anyone there?")?;
    server.expect("anyone there?")?;
    t.say(&Say {
        en: "bob is answered at once, while alice is still connected: two threads, each blocked in its own read().",
        zh: "alice 还连着，bob 就立刻得到了回答：两个线程，各自阻塞在自己的 read() 里。",
    });

    alice.type_line("still me")?;
    alice.expect("still me")?;
    server.expect("still me")?;
    t.say(&Say {
        en: "alice's conversation goes on undisturbed.",
        zh: "alice 的对话照常进行，不受打扰。",
    });

    bob.type_line("q")?;
    bob.finish()?;
    server.expect("sent q")?;
    t.say(&Say {
        en: "bob leaves with q: his thread returns from converse and ends; alice's goes on.",
        zh: "bob 发 q 离开：他的线程从 converse 返回，随即结束；alice 的线程继续。",
    });

    server.stop("INT")?;
    alice.finish()?;
    t.say(&Say {
        en: "Ctrl-C with alice still connected: the server closes her connection, her thread ends, and the summary counts both clients.",
        zh: "alice 还连着时按下 Ctrl-C：服务端关闭她的连接，她的线程结束，总结里两个客户端都算上了。",
    });
    Ok(())
}
