//! The tutorial's stage 1 programs (`lessons/tutorial/s01_*.py`) against
//! ours, both ways: one check per row of the table "Their program and ours"
//! in lesson 01, so the table cannot drift from what really happens.
//!
//! The Python programs are run as a reader would run them, with `input()`
//! fed through their stdin. Where `python3` is missing, each check says so
//! and passes: these checks are about the pairing, not about Python.

use harness::{Check, Fail, Proc, Server, check, check_eq};

const SERVER: &str = env!("CARGO_BIN_EXE_tcp-single-server");
const CLIENT: &str = env!("CARGO_BIN_EXE_tcp-single-client");

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

#[test]
fn tutorial_their_client_our_server_gets_its_message_echoed() -> Check {
    needs_python!();
    let server = Server::start(SERVER, &["127.0.0.1:0"])?;
    let mut client = their_client("s01_client.py", server.addr())?;
    client.send_line("hello")?;
    let done = client.wait()?;
    done.expect_code(0, "the tutorial's client prints the reply and exits")?;
    check_eq!(
        done.stdout,
        vec![">>: server says: hello".to_string()],
        "the tutorial's client (prompt `>>: `, then one recv(1024)) should print our echo"
    );
    server.line_containing("received 5 bytes: hello")?;
    server
        .proc
        .wait()?
        .expect_code(0, "tcp-single-server exits 0 after its one client")?;
    Ok(())
}

#[test]
fn tutorial_their_client_our_server_with_stdin_gets_the_typed_reply() -> Check {
    needs_python!();
    let mut server = Server::start(SERVER, &["127.0.0.1:0", "--stdin"])?;
    // The person at our server types the reply, as at the tutorial's input().
    server.send_line("hi back, from the Rust side")?;
    let mut client = their_client("s01_client.py", server.addr())?;
    client.send_line("hello")?;
    let done = client.wait()?;
    done.expect_code(0, "the tutorial's client prints the reply and exits")?;
    check_eq!(
        done.stdout,
        vec![">>: server says: hi back, from the Rust side".to_string()],
        "with --stdin our server sends the line typed at it"
    );
    Ok(())
}

#[test]
fn tutorial_our_client_their_server_prints_the_typed_reply() -> Check {
    needs_python!();
    let mut server = their_server("s01_server.py")?;
    // A reply of another length than the message: our client reads until the
    // server closes, so any length comes out whole.
    server.send_line("hi back, a longer reply than hello")?;
    let done = harness::run(CLIENT, &[server.addr(), "hello"], b"")?;
    done.expect_code(0, "our client prints the reply and exits 0")?;
    check_eq!(
        done.stdout,
        vec!["hi back, a longer reply than hello".to_string()],
        "our client prints the line typed at the tutorial's server"
    );
    server.line_containing("client says: hello")?;
    Ok(())
}

#[test]
fn tutorial_our_client_their_server_a_message_over_1024_bytes_is_cut_and_reset() -> Check {
    needs_python!();
    let mut server = their_server("s01_server.py")?;
    server.send_line("ok")?;
    let long = "x".repeat(3000);
    let done = harness::run(CLIENT, &[server.addr(), &long], b"")?;
    // Their one recv(1024) took the first 1024 bytes for the whole message.
    let said = server.line_containing("client says: ")?;
    let got = said.matches('x').count();
    check!(
        got <= 1024,
        "the tutorial's server printed {got} bytes of our 3000: one recv(1024) returns at most 1024"
    );
    // It closed with the rest unread, so its kernel reset the connection.
    done.expect_code(0, "our client still prints what it got")?;
    check_eq!(
        done.stdout,
        vec!["ok".to_string()],
        "the reply sent before the reset still arrives"
    );
    check!(
        done.stderr_text().contains("reset"),
        "our client should note that the server reset the connection (it closed with {} of our bytes unread); stderr: {:?}",
        3000 - got,
        done.stderr
    );
    Ok(())
}

/// After our server served one client it closed first, so its end of that
/// connection waits in TIME_WAIT (about 60 s on Linux) holding the port.
/// The tutorial's server, without SO_REUSEADDR, cannot bind it; with the
/// option, as Rust's `TcpListener::bind` sets it, it can.
#[cfg(unix)]
#[test]
fn tutorial_their_server_cannot_bind_a_port_ours_left_in_time_wait_until_so_reuseaddr() -> Check {
    needs_python!();
    let server = Server::start(SERVER, &["127.0.0.1:0"])?;
    let addr = server.addr().to_string();
    let port = addr.rsplit(':').next().unwrap_or(&addr).to_string();
    let talk = harness::run(CLIENT, &[&addr, "hello"], b"")?;
    talk.expect_code(0, "one exchange with our server")?;
    // Our server wrote its reply and closed first; our client read to the end
    // and closed second. The server's side of the connection is in TIME_WAIT.
    server
        .proc
        .wait()?
        .expect_code(0, "tcp-single-server exits after its one client")?;

    let theirs = harness::run(
        &python(),
        &["-S", "-u", &tutorial("s01_server.py"), &port],
        b"",
    )?;
    check!(
        theirs.code() == Some(1) && theirs.stderr_text().contains("Address already in use"),
        "the tutorial's server (no SO_REUSEADDR) should fail to bind port {port}, held by a connection in TIME_WAIT; it exited with {:?}, stdout {:?}, stderr {:?}",
        theirs.code(),
        theirs.stdout,
        theirs.stderr
    );

    // The fix: one setsockopt before bind.
    let fixed = harness::run(
        &python(),
        &["-S", "-u", "-c", PYTHON_WITH_REUSEADDR, &port],
        b"",
    )?;
    fixed.expect_code(
        0,
        "with SO_REUSEADDR set before bind(), Python binds the port",
    )?;
    check_eq!(
        fixed.stdout,
        vec![format!("listening on {addr}")],
        "the fixed Python server binds the same address"
    );

    // And ours binds again at once, since std sets SO_REUSEADDR on Unix.
    let again = Server::start(SERVER, &[&addr])?;
    check_eq!(again.addr(), addr.as_str(), "tcp-single-server binds again");
    Ok(())
}

/// The tutorial's server's first lines with the fix, then it exits.
#[cfg(unix)]
const PYTHON_WITH_REUSEADDR: &str = "\
import socket, sys
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(('127.0.0.1', int(sys.argv[1])))
server.listen(5)
print('listening on %s:%d' % server.getsockname())
";
