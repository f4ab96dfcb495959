//! Stage 6: a chat room; every client hears everyone, in one order.

use harness::Fail;

use super::Stage;
use crate::lang::Say;
use crate::show::Tour;

pub const STAGE: Stage = Stage {
    number: 6,
    package: "chat",
    title: Say {
        en: "a chat room: JSON lines broadcast to everyone",
        zh: "聊天室：JSON 行广播给每个人",
    },
    binaries: &["chat-server", "chat-client"],
    run,
};

fn run(t: &Tour) -> Result<(), Fail> {
    let server = t.server("chat-server", &["127.0.0.1:0"])?;
    t.say(&Say {
        en: "Stage 3's thread per client, plus one room that every client's thread shares (Arc<Mutex<Room>>).",
        zh: "第 3 阶段的每个客户端一个线程，再加上一个所有客户端线程共享的聊天室（Arc<Mutex<Room>>）。",
    });

    let mut alice = t.spawn("alice", "chat-client", &[&server.addr, "--name", "alice"])?;
    alice.expect("online: alice")?;
    t.say(&Say {
        en: "alice's client joined by sending {\"name\": \"alice\", \"msg\": \"/who\"}: the first message binds the name, and only from then on does her connection hear the room; /who is answered to her alone.",
        zh: "alice 的客户端发送 {\"name\": \"alice\", \"msg\": \"/who\"} 加入：第一条消息绑定名字，从这以后她的连接才听得到聊天室；/who 的回答只发给她一个人。",
    });

    let mut bob = t.spawn("bob", "chat-client", &[&server.addr, "--name", "bob"])?;
    bob.expect("online: alice, bob")?;
    alice.expect("bob joined")?;
    t.say(&Say {
        en: "The server announces bob to everyone in the room, as a message from the reserved name \"server\"; chat-client shows a notice as `* text`, so no user's line can pass for one.",
        zh: "服务端以保留名字 \"server\" 的身份，向聊天室里的每个人宣布 bob 来了；chat-client 把通知显示成 `* text` 的样子，所以没有哪个用户的发言能冒充通知。",
    });

    alice.type_line("hi bob")?;
    alice.expect("alice: hi bob")?;
    bob.expect("alice: hi bob")?;
    server.expect("alice: hi bob")?;
    t.say(&Say {
        en: "alice's reader thread parsed the JSON line, locked the room, stamped the time and queued the line for every client that joined (a bounded queue each, never waiting); each client's writer thread sent it, alice's own included.",
        zh: "alice 的读线程解析这行 JSON，锁住聊天室，盖上时间戳，再把这一行放进每个已加入的客户端的队列（每人一个有界队列，从不等待）；每个客户端的写线程把它发出去，alice 自己的也不例外。",
    });

    bob.type_line("hello alice")?;
    bob.expect("bob: hello alice")?;
    alice.expect("bob: hello alice")?;
    t.say(&Say {
        en: "Both clients see both messages, in the same order: the order in which the reader threads got the room's lock.",
        zh: "两个客户端都看到了这两条消息，而且顺序相同：就是各个读线程拿到聊天室那把锁的顺序。",
    });

    bob.type_line("/quit")?;
    bob.finish()?;
    alice.expect("bob left")?;
    server.expect("closed the connection")?;
    t.say(&Say {
        en: "bob types /quit: his client shuts down its sending side; the server reads end of stream on his connection, takes him out of the room and tells the others.",
        zh: "bob 输入 /quit：他的客户端关闭了自己的发送方向；服务端在他的连接上读到流的结尾，把他移出聊天室，并告诉其他人。",
    });

    alice.proc.close_stdin();
    alice.finish()?;
    server.expect("closed the connection")?;
    t.say(&Say {
        en: "alice's input ends: her client shuts down its sending side, the server sends what it still had for her and closes.",
        zh: "alice 的输入结束了：她的客户端关闭发送方向，服务端把还没发给她的发完，然后关闭连接。",
    });

    server.stop("INT")?;
    t.say(&Say {
        en: "Ctrl-C: the room is told it is closing (nobody is left to hear it), every client thread is waited for, and the summary counts the clients served.",
        zh: "Ctrl-C：聊天室收到即将关闭的通知（已经没人在听了），服务端等每个客户端线程结束，总结里算上服务过的客户端。",
    });
    Ok(())
}
