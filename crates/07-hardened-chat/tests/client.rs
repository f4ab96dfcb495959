//! Rung 28: `hardened-chat-client`, and the wire protocol that did not
//! change: stage 6's client with stage 7's server and stage 7's client with
//! stage 6's server; the connect timeout; `--reconnect`.

mod common;

use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use common::{CLIENT, Peer, SERVER, msg, stage6, start};
use harness::{Check, Fail, Proc, Server, check, check_eq};

/// Runs `client` against `server` as bob, next to a plain peer alice: bob
/// joins, alice hears him, he hears alice, he leaves.
fn a_conversation(server: &Server, client: &str) -> Check {
    let mut alice = Peer::join(server.addr(), "alice")?;
    let mut bob = Proc::spawn(client, &[server.addr(), "--name", "bob"])?;
    bob.line_containing("online: alice, bob")?;
    alice.notice("bob joined")?;
    bob.send_line("hi alice")?;
    check_eq!(msg(&alice.next_from("bob")?), "hi alice", "alice hears bob");
    alice.say("hi bob")?;
    let shown = bob.line_containing("hi bob")?;
    check!(
        shown.ends_with("] alice: hi bob"),
        "bob's client shows alice's message as [HH:MM:SS] alice: hi bob; it printed {shown:?}"
    );
    bob.close_stdin();
    bob.wait()?
        .expect_code(0, "end of input leaves the room: exit 0")?;
    alice.notice("bob left")?;
    Ok(())
}

/// hint: The wire protocol is stage 6's, unchanged: a stage 6 client must
/// not notice the bounds.
/// hint-zh: 通信协议还是第 6 阶段的，一点没变：第 6 阶段的客户端不应该察觉到这些限制。
#[test]
fn step28_chat_client_works_with_hardened_chat_server() -> Check {
    let server = start(&[])?;
    a_conversation(&server, &stage6("chat-client")?)
}

/// hint: And stage 7's client speaks to stage 6's server: the connect
/// timeout and --reconnect change nothing on the wire.
/// hint-zh: 反过来，第 7 阶段的客户端也能和第 6 阶段的服务端对话：连接超时和 --reconnect 在通信协议
/// 上什么都没改。
#[test]
fn step28_hardened_chat_client_works_with_chat_server() -> Check {
    let server = Server::start(&stage6("chat-server")?, &["127.0.0.1:0"])?;
    a_conversation(&server, CLIENT)
}

/// hint: With --reconnect, the printer thread does not end the program
/// when the connection is lost: it says so on stderr, waits (0.5 s, then
/// twice as long each time, at most 8 s), connects again and rejoins as
/// the same name, and the main thread sends through the new connection.
/// hint-zh: 用了 --reconnect，连接断开时，负责打印的线程不会结束程序：它在 stderr 上说明情况，等一
/// 会儿（先 0.5 秒，之后每次加倍，最多 8 秒），重新连接，用同一个名字再次加入，主线程则通过新的连接
/// 发送。
#[test]
fn step28_the_client_reconnects_and_rejoins_under_the_same_name() -> Check {
    let first = start(&[])?;
    let addr = first.addr().to_string();
    let mut alice = Proc::spawn(CLIENT, &[&addr, "--name", "alice", "--reconnect"])?;
    alice.line_containing("online: alice")?;
    let asked = first.ctrl_c()?;
    first.expect_prompt_exit(asked, "served 1")?;
    let lost = alice.err_line()?;
    check!(
        lost.contains("reconnecting in"),
        "when the server goes away, --reconnect says so on stderr and tries again; it said {lost:?}"
    );
    // The server comes back on the same address (a restart, say).
    let second = Server::start(SERVER, &[&addr])?;
    let mut bob = Peer::join(second.addr(), "bob")?;
    let back = (0..5)
        .map(|_| alice.err_line())
        .find(|l| l.as_ref().map_or(true, |l| l.contains("reconnected")))
        .unwrap_or_else(|| Err(Fail::new("no reconnection within 5 tries")))?;
    check!(
        back.contains("alice"),
        "after reconnecting, the client says so, and as whom it rejoins; it said {back:?}"
    );
    bob.notice("alice joined")?;
    alice.send_line("back again")?;
    check_eq!(
        msg(&bob.next_from("alice")?),
        "back again",
        "what alice types after the reconnection goes to the new connection"
    );
    alice.close_stdin();
    alice
        .wait()?
        .expect_code(0, "end of input leaves the room: exit 0")?;
    Ok(())
}

/// hint: The pause before each reconnection grows: 0.5 s, then twice as long each time (at most
/// 8 s), each with its own spread (×0.8 to ×1.2): clients that lost one server do not all come back
/// at once, nor hammer a server that is down.
/// hint-zh: 每次重连之前的停顿越来越长：先 0.5 秒，之后每次加倍（最多 8 秒），每个客户端各有一点出入
/// （×0.8 到 ×1.2）：失去同一个服务端的客户端不会一齐回来，也不会猛敲一个已经宕掉的服务端。
/// hint: Leaving (end of input) while waiting to reconnect ends the client: the printer thread,
/// woken, sees that we left and returns instead of trying again.
/// hint-zh: 等着重连的时候离开（输入结束），客户端就要结束：被唤醒的打印线程看到我们已经离开，就返回，
/// 不再重试。
#[test]
fn step28_the_reconnect_pause_grows_and_leaving_while_it_waits_ends_the_client() -> Check {
    use std::io::{BufRead, BufReader, Write};
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?.to_string();
    let mut alice = Proc::spawn(CLIENT, &[&addr, "--name", "alice", "--reconnect"])?;
    // A server that lets alice join, then goes away.
    let (first, _) = harness::accept_within(&listener)?;
    let mut hello = String::new();
    BufReader::new(&first).read_line(&mut hello)?;
    (&first).write_all(
        b"{\"name\":\"server\",\"msg\":\"online: alice\",\"time\":\"2026-11-22T12:34:56.789Z\"}\n",
    )?;
    alice.line_containing("online: alice")?;
    drop(first);
    let lost = Instant::now();
    // Each time she comes back, the connection is closed at once.
    let (second, _) = harness::accept_within(&listener)?;
    let first_pause = lost.elapsed();
    drop(second);
    let closed = Instant::now();
    let (third, _) = harness::accept_within(&listener)?;
    let second_pause = closed.elapsed();
    drop(third);
    check!(
        first_pause >= Duration::from_millis(400),
        "the first reconnection came {first_pause:?} after the connection was lost: wait 0.5 s (×0.8 to ×1.2) first"
    );
    check!(
        second_pause > first_pause,
        "the pauses before reconnecting were {first_pause:?}, then {second_pause:?}: each should be twice the one before (at most 8 s)"
    );
    // Now the server is gone for good, and alice's input ends while she
    // waits to try again.
    drop(listener);
    alice.close_stdin();
    let done = alice.wait_within(Duration::from_secs(2)).map_err(|e| {
        Fail(format!(
            "end of input while waiting to reconnect must end the client: the printer thread sees that we left (LEFT) and returns. {e}"
        ))
    })?;
    done.expect_code(0, "end of input leaves: exit 0")?;
    Ok(())
}

/// hint: `TcpStream::connect_timeout` gives up after --connect-timeout when
/// nobody answers (a SYN dropped, here by a listener whose queue is full),
/// where a plain `connect` waits for the kernel's minutes of retries.
/// hint-zh: 没有人应答时（SYN 被丢掉了，这里是被一个队列已满的监听套接字丢掉
/// 的），`TcpStream::connect_timeout` 在 --connect-timeout 之后放弃；而普通的 `connect` 要等内核好
/// 几分钟的重传。
#[test]
fn step28_the_client_gives_up_connecting_after_the_connect_timeout() -> Check {
    // A listener that never accepts: once its queue is full, the kernel
    // drops new SYNs, and a connect waits.
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let mut queued = Vec::new();
    let full = loop {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(stream) => queued.push(stream),
            Err(_) => break true,
        }
        if queued.len() > 5000 {
            break false;
        }
    };
    if !full {
        eprintln!("note: the listen queue never filled here; connect timeout check skipped");
        return Ok(());
    }
    let started = Instant::now();
    let done = harness::run(
        CLIENT,
        &[&addr.to_string(), "--name", "x", "--connect-timeout", "0.3"],
        b"",
    )?;
    let took = started.elapsed();
    done.expect_code(
        1,
        "no answer within the connect timeout: a run-time error, exit 1",
    )?;
    done.expect_one_error_line()?;
    check!(
        took < Duration::from_millis(2500),
        "--connect-timeout 1: the client must give up after about 1 s; it took {took:?}"
    );
    drop(queued);
    Ok(())
}
