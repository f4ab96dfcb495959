//! The tutorial's stage 3 programs (`lessons/tutorial/s03_*.py`, built on
//! `socketserver.ThreadingTCPServer`) against ours, both ways, and against
//! each other where the tutorial's own bug shows: one check per row of the
//! table "Their program and ours" in lesson 03, so the table cannot drift
//! from what really happens.
//!
//! The Python programs are run as a reader would run them, with `input()`
//! fed through their stdin. Where `python3` is missing, each check says so
//! and passes: these checks are about the pairing, not about Python.

use std::time::{Duration, Instant};

use harness::{Check, Fail, Proc, Server, check, check_eq};

const SERVER: &str = env!("CARGO_BIN_EXE_tcp-threaded-server");
const CLIENT: &str = env!("CARGO_BIN_EXE_tcp-threaded-client");

/// Passes the check, with a note on stderr, where python3 cannot be run.
macro_rules! needs_python {
    () => {
        if !harness::python3_available() {
            return Ok(());
        }
    };
}

/// The real interpreter (`harness::python3`), found once; only called after
/// `needs_python!` (or `python3_available`) found it. Started with `-S` (no
/// site-packages, slow to load and not needed) and `-u` (unbuffered, so each
/// print() reaches the check at once).
fn python() -> String {
    harness::python3().unwrap_or_else(|| "python3".into())
}

/// The path of a tutorial program in `lessons/tutorial/`.
fn tutorial(file: &str) -> String {
    format!(
        "{}/../../lessons/tutorial/{file}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// Starts the tutorial's server on a port the OS picks; like ours, it says
/// which in its first line.
fn their_server(file: &str) -> Result<Server, Fail> {
    Server::start(&python(), &["-S", "-u", &tutorial(file), "0"])
}

/// Starts the tutorial's client against `addr` (it takes the port only).
fn their_client(file: &str, addr: &str) -> Result<Proc, Fail> {
    let port = addr.rsplit(':').next().unwrap_or(addr);
    Proc::spawn(&python(), &["-S", "-u", &tutorial(file), port])
}

/// The peer address in our server's `connection from ADDR` line.
fn connected(server: &Server) -> Result<String, Fail> {
    let line = server.line_containing("connection from ")?;
    match line.split("connection from ").nth(1) {
        Some(peer) => Ok(peer.trim().to_string()),
        None => Err(Fail(format!("no address in {line:?}"))),
    }
}

#[test]
fn tutorial_their_clients_our_server_are_served_at_the_same_time() -> Check {
    needs_python!();
    let server = Server::start(SERVER, &["127.0.0.1:0"])?;
    let mut first = their_client("s03_client.py", server.addr())?;
    let mut second = their_client("s03_client.py", server.addr())?;
    first.send_line("hello")?;
    check_eq!(
        first.line()?,
        ">>: 老王：hello",
        "the tutorial's client sends `老王：` + the line, and prints our echo"
    );
    // The first is still connected: in stage 2 the second would wait.
    second.send_line("anyone there?")?;
    check_eq!(
        second.line()?,
        ">>: 老王：anyone there?",
        "a second tutorial client is answered while the first is connected"
    );
    first.send_line("again")?;
    check_eq!(first.line()?, ">>: 老王：again", "and the first still is");
    // `exit` closes without a word to the server: our server sees a close.
    for client in [first, second] {
        let mut client = client;
        client.send_line("exit")?;
        client
            .wait()?
            .expect_code(0, "the tutorial's client leaves on exit")?;
    }
    for _ in 0..2 {
        server.line_containing("closed the connection")?;
    }
    Ok(())
}

#[test]
fn tutorial_their_clients_our_server_with_stdin_the_prompt_names_whom_a_line_answers() -> Check {
    needs_python!();
    let mut server = Server::start(SERVER, &["127.0.0.1:0", "--stdin"])?;
    let mut first = their_client("s03_client.py", server.addr())?;
    let first_addr = connected(&server)?;
    first.send_line("hello")?;
    server.line_containing("sent 14 bytes: 老王：hello")?;

    let mut second = their_client("s03_client.py", server.addr())?;
    // Our prompt has no newline (as input()'s): it starts the next log line.
    let line = server.line_containing("connection from ")?;
    check!(
        line.starts_with(&format!("reply to {first_addr} (老王：hello)> ")),
        "our server should be asking `reply to {first_addr} (老王：hello)> `; its line was {line:?}"
    );
    let second_addr = line
        .split("connection from ")
        .nth(1)
        .unwrap_or_default()
        .trim()
        .to_string();
    second.send_line("hi")?;
    server.line_containing("sent 11 bytes: 老王：hi")?;

    // One keyboard: the first prompt holds it until its line is typed, so
    // each line answers the client its prompt named.
    server.send_line("to the first")?;
    check_eq!(
        first.line()?,
        ">>: to the first",
        "the first typed line answers the first client"
    );
    server.send_line("to the second")?;
    check_eq!(
        second.line()?,
        ">>: to the second",
        "the second answers the second"
    );
    first.send_line("exit")?;
    let line = server.line_containing("closed the connection")?;
    check!(
        line.contains(&format!("reply to {second_addr} (老王：hi)> ")),
        "the second prompt should name {second_addr}; the line was {line:?}"
    );
    Ok(())
}

/// Our client never waits for bytes their server will not send; and our
/// `q` is not their protocol: their handler takes it for a message.
#[test]
fn tutorial_our_client_their_server_prints_typed_replies_and_never_hangs() -> Check {
    needs_python!();
    let mut server = their_server("s03_server.py")?;
    // What the person at the tutorial's server types, in order.
    server.send_line("hi, who is this?")?;
    server.send_line("ok")?;
    let started = Instant::now();
    let done = harness::run(
        CLIENT,
        &[server.addr()],
        b"hello\nit's me, your client\nq\n",
    )?;
    let took = started.elapsed();
    done.expect_code(0, "our client leaves normally after q")?;
    check_eq!(
        done.stdout,
        vec!["hi, who is this?".to_string(), "ok".into()],
        "our client prints each typed reply, whatever its length"
    );
    check!(
        took < Duration::from_secs(3),
        "two typed replies took {took:?}: our client waited for bytes the server would not send"
    );
    // Its handler knows no `q`: it prints it as a message, then asks for a reply.
    server.line_containing(") q").map_err(|e| {
        Fail(format!(
            "the tutorial's handler should print our `q` as one more message: {e}"
        ))
    })?;
    Ok(())
}

/// The tutorial's bug this stage shows: the handler leaves its loop only on
/// ConnectionResetError, but a client that closes normally makes `recv`
/// return b"" at once, again and again: the handler prints an empty message
/// and asks the person at the server for a reply to it.
#[test]
fn tutorial_their_client_their_server_a_normal_close_asks_for_replies_to_nothing() -> Check {
    needs_python!();
    let mut server = their_server("s03_server.py")?;
    server.send_line("hi")?;
    let mut client = their_client("s03_client.py", server.addr())?;
    let line = server.line_containing("connection from ")?;
    let peer = line
        .split("connection from ")
        .nth(1)
        .unwrap_or_default()
        .trim()
        .to_string();
    client.send_line("hello")?;
    check_eq!(client.line()?, ">>: hi", "first, a normal round trip");
    server.line_containing("老王：hello")?;

    client.send_line("exit")?;
    client
        .wait()?
        .expect_code(0, "the tutorial's client leaves on exit, telling nobody")?;
    // After the prompt for `hello`'s reply: the client's close, read as a
    // message of 0 bytes, and a prompt for a reply to it.
    let nothing = format!(">>: {peer} ");
    let after_close = server.line().map_err(|e| {
        Fail(format!(
            "after the client closed, the tutorial's handler should print an empty message (recv() returned b\"\") and ask for a reply: {e}"
        ))
    })?;
    check_eq!(
        after_close,
        nothing,
        "after the client closed, the handler's recv() returns b\"\" and it prints an empty message"
    );
    // Whatever is typed goes nowhere, and the loop comes round again.
    server.send_line("a reply to nothing")?;
    check_eq!(
        server.line()?,
        nothing,
        "the handler should loop: recv() returns b\"\" again, another empty message, another prompt"
    );
    Ok(())
}
