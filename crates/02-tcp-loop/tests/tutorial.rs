//! The tutorial's stage 2 programs (`lessons/tutorial/s02_*.py`) against
//! ours, both ways, and against each other where the tutorial's own bug
//! shows: one check per row of the table "Their program and ours" in
//! lesson 02, so the table cannot drift from what really happens.
//!
//! The Python programs are run as a reader would run them, with `input()`
//! fed through their stdin. Where `python3` is missing, each check says so
//! and passes: these checks are about the pairing, not about Python.

use std::time::{Duration, Instant};

use harness::{Check, Fail, Proc, Server, check, check_eq};

const SERVER: &str = env!("CARGO_BIN_EXE_tcp-loop-server");
const CLIENT: &str = env!("CARGO_BIN_EXE_tcp-loop-client");

/// How long a check watches a program that should be stuck, before it
/// concludes that it is: a correct program would have moved within it.
const STUCK: Duration = Duration::from_millis(500);

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

/// Fails unless `proc` printed nothing and is still running `STUCK` after it
/// was given its input; `meanwhile` then checks the other side, and `proc` is
/// killed. `why` says what it should be stuck in.
fn expect_stuck(proc: Proc, why: &str, meanwhile: impl FnOnce() -> Check) -> Check {
    let printed = proc.line_within(STUCK);
    check!(
        printed.is_err(),
        "{why}, yet it printed {printed:?}",
        printed = printed.ok()
    );
    meanwhile()?;
    // wait_within fails, and kills the process, if it is still running.
    match proc.wait_within(Duration::from_millis(100)) {
        Err(_) => Ok(()),
        Ok(done) => Err(Fail(format!(
            "{why}, yet it exited ({:?}) with stderr {:?}",
            done.code(),
            done.stderr
        ))),
    }
}

#[test]
fn tutorial_their_client_our_server_each_line_is_echoed() -> Check {
    needs_python!();
    let server = Server::start(SERVER, &["127.0.0.1:0"])?;
    let mut client = their_client("s02_client.py", server.addr())?;
    for line in ["hello", "你好"] {
        client.send_line(line)?;
        check_eq!(
            client.line()?,
            format!(">>: {line}"),
            "the tutorial's client (prompt `>>: `) prints our echo of each line"
        );
    }
    client.send_line("q")?;
    client
        .wait()?
        .expect_code(0, "the tutorial's client leaves on q")?;
    server.line_containing("sent q; conversation over")?;
    Ok(())
}

#[test]
fn tutorial_their_client_our_server_with_stdin_gets_typed_replies() -> Check {
    needs_python!();
    let mut server = Server::start(SERVER, &["127.0.0.1:0", "--stdin"])?;
    let mut client = their_client("s02_client.py", server.addr())?;
    client.send_line("hello")?;
    server.line_containing("sent 5 bytes: hello")?;
    // The person at our server types a reply longer than the message.
    server.send_line("hi, who is this?")?;
    check_eq!(
        client.line()?,
        ">>: hi, who is this?",
        "the tutorial's client prints the line typed at our server"
    );
    client.send_line("q")?;
    client
        .wait()?
        .expect_code(0, "the tutorial's client leaves on q")?;
    // Our prompt came before the q arrived, so it starts the line that logs it.
    let logged = server.line_containing("sent 1 bytes: q")?;
    check!(
        logged.starts_with("reply to 127.0.0.1:") && logged.contains("(hello)> "),
        "our server asked `reply to PEER (hello)> ` before reading the typed reply; its line was {logged:?}"
    );
    Ok(())
}

/// The tutorial's bug this stage is about: `send(b"")` sends nothing, so
/// the client waits in `recv` for a reply to a message nobody received.
#[test]
fn tutorial_their_client_our_server_an_empty_line_blocks_it_for_ever() -> Check {
    needs_python!();
    let server = Server::start(SERVER, &["127.0.0.1:0"])?;
    let mut client = their_client("s02_client.py", server.addr())?;
    client.send_line("hello")?;
    check_eq!(client.line()?, ">>: hello", "first, a normal round trip");
    server.line_containing("sent 5 bytes: hello")?;

    client.send_line("")?;
    client.send_line("world")?;
    // At input() a closed stdin would end it (EOFError); in recv() it cannot.
    client.close_stdin();
    expect_stuck(
        client,
        "after an empty line the tutorial's client should be blocked in recv() for ever (it sent 0 bytes, so no reply is coming)",
        || {
            let got = server.lines_so_far();
            check!(
                got.is_empty(),
                "our server should have received nothing after the empty line; it logged {got:?}"
            );
            Ok(())
        },
    )?;
    // Killed, its socket closed: the conversation that was waiting ends.
    server.line_containing("closed the connection")?;
    Ok(())
}

/// One `recv(1024)` taken as one reply: a line over 1024 bytes is echoed in
/// three reads, the client prints the first 1024 bytes, and the rest comes
/// out as the "reply" to its next line.
#[test]
fn tutorial_their_client_our_server_a_long_line_puts_the_replies_out_of_step() -> Check {
    needs_python!();
    let server = Server::start(SERVER, &["127.0.0.1:0"])?;
    let mut client = their_client("s02_client.py", server.addr())?;
    client.send_line(&"x".repeat(3000))?;
    let first = client.line()?;
    let got = first.matches('x').count();
    check!(
        got <= 1024,
        "the tutorial's client printed {got} bytes as the reply to 3000: one recv(1024) returns at most 1024"
    );
    client.send_line("hello")?;
    let second = client.line()?;
    check!(
        second.starts_with(">>: x") && !second.contains("hello"),
        "the tutorial's client's next recv() should return the rest of the long echo, not the echo of `hello`; it printed {second:?}"
    );
    Ok(())
}

/// Our client never waits for bytes their server will not send: each typed
/// reply, shorter or longer than the message, prints as it comes.
#[test]
fn tutorial_our_client_their_server_prints_typed_replies_and_never_hangs() -> Check {
    needs_python!();
    let mut server = their_server("s02_server.py")?;
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
    // Our q is the tutorial's q: the conversation ends, the server accepts again.
    server.line_containing("client: q")?;
    let next = harness::run(CLIENT, &[server.addr()], b"")?;
    next.expect_code(0, "the tutorial's server accepts the next client")?;
    Ok(())
}

/// Their two programs together: after an empty line both wait, the client
/// in recv() for a reply, the server in recv() for a message.
#[test]
fn tutorial_their_client_their_server_an_empty_line_leaves_both_waiting() -> Check {
    needs_python!();
    let mut server = their_server("s02_server.py")?;
    server.send_line("hi")?;
    let mut client = their_client("s02_client.py", server.addr())?;
    client.send_line("hello")?;
    check_eq!(client.line()?, ">>: hi", "first, a normal round trip");
    server.line_containing("client: hello")?;

    client.send_line("")?;
    client.close_stdin();
    expect_stuck(
        client,
        "after an empty line the tutorial's client should be blocked in recv() for ever",
        || {
            // Its prompt `server:` waits for the next line, printed or not.
            let got: Vec<String> = server
                .lines_so_far()
                .into_iter()
                .filter(|l| l.contains("client: "))
                .collect();
            check!(
                got.is_empty(),
                "the tutorial's server should have received nothing after the empty line, so it is still in recv() too; it printed {got:?}"
            );
            Ok(())
        },
    )
}
