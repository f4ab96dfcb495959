//! What the attack and client checks share: a chat client on a plain socket
//! (JSON lines, every read with a timeout), the server's process facts from
//! `/proc`, and the stage 6 binaries for the checks that pair the stages.

#![allow(dead_code)]

use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use harness::{Check, Fail, Server};
use serde_json::{Value, json};

pub const SERVER: &str = env!("CARGO_BIN_EXE_hardened-chat-server");
pub const CLIENT: &str = env!("CARGO_BIN_EXE_hardened-chat-client");

pub fn start(args: &[&str]) -> Result<Server, Fail> {
    let mut all = vec!["127.0.0.1:0"];
    all.extend(args);
    Server::start(SERVER, &all)
}

/// A chat client of the check's own: a socket speaking JSON lines.
pub struct Peer {
    pub name: String,
    pub stream: TcpStream,
    pub reader: BufReader<TcpStream>,
}

impl Peer {
    /// Connects without saying anything yet (no name bound).
    pub fn connect(addr: &str, name: &str) -> Result<Peer, Fail> {
        let stream = harness::connect(addr)?;
        let reader = BufReader::new(stream.try_clone()?);
        Ok(Peer {
            name: name.to_string(),
            stream,
            reader,
        })
    }

    /// Connects and says hello; returns once the hello came back.
    pub fn join(addr: &str, name: &str) -> Result<Peer, Fail> {
        let mut peer = Peer::connect(addr, name)?;
        peer.say(&format!("hello, I am {name}"))?;
        peer.next_from(name)
            .map_err(|e| Fail(format!("{name} said hello and waited for it: {e}")))?;
        Ok(peer)
    }

    pub fn say(&mut self, msg: &str) -> Check {
        let line = format!("{}\n", json!({"name": self.name, "msg": msg}));
        self.stream.write_all(line.as_bytes())?;
        Ok(())
    }

    /// The next line from the server, as JSON.
    pub fn next(&mut self) -> Result<Value, Fail> {
        let mut line = Vec::new();
        match self.reader.read_until(b'\n', &mut line) {
            Ok(0) => Err(Fail(format!(
                "{}'s connection was closed by the server while a line was expected",
                self.name
            ))),
            Ok(_) => serde_json::from_slice(&line).map_err(|e| {
                Fail(format!(
                    "{} got a line that is not JSON ({e}): {:?}",
                    self.name,
                    String::from_utf8_lossy(&line)
                ))
            }),
            Err(e) if timed_out(&e) => Err(Fail(format!(
                "{} waited {} s for a line from the server and none came",
                self.name,
                harness::TIMEOUT.as_secs()
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// Skips lines until a message from `name`.
    pub fn next_from(&mut self, name: &str) -> Result<Value, Fail> {
        loop {
            let got = self.next()?;
            if got["name"] == name {
                return Ok(got);
            }
        }
    }

    /// Skips lines until a `server` notice containing `text`.
    pub fn notice(&mut self, text: &str) -> Result<String, Fail> {
        loop {
            let got = self
                .next()
                .map_err(|e| Fail(format!("waiting for a notice containing {text:?}: {e}")))?;
            if got["name"] == "server" && msg(&got).contains(text) {
                return Ok(msg(&got).to_string());
            }
        }
    }

    /// The next line must be `{"error": ...}`; returns the error text.
    pub fn expect_error(&mut self, after: &str) -> Result<String, Fail> {
        let got = self
            .next()
            .map_err(|e| Fail(format!("after {after}, expected {{\"error\": ...}}: {e}")))?;
        match got["error"].as_str() {
            Some(text) => Ok(text.to_string()),
            None => Err(Fail(format!(
                "after {after}, expected {{\"error\": \"<which bound, and what to do>\"}}; got {got}"
            ))),
        }
    }

    /// Reads until the server closes this connection (a reset counts).
    pub fn expect_closed(&mut self, why: &str) -> Check {
        let mut buf = [0u8; 64 * 1024];
        loop {
            match self.reader.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::ConnectionReset => return Ok(()),
                Err(e) if timed_out(&e) => {
                    return Err(Fail(format!(
                        "{why}: {}'s connection should have been closed; it was still open after {} s",
                        self.name,
                        harness::TIMEOUT.as_secs()
                    )));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The names `/who` lists (the part before any "... and N more").
    pub fn who(&mut self) -> Result<String, Fail> {
        self.say("/who")?;
        self.notice("online:")
    }
}

pub fn timed_out(e: &io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

pub fn msg(v: &Value) -> &str {
    v["msg"].as_str().unwrap_or("")
}

/// How many threads and open descriptors process `pid` has (Linux).
pub fn threads_and_fds(pid: u32) -> Option<(usize, usize)> {
    let count = |what: &str| {
        std::fs::read_dir(format!("/proc/{pid}/{what}"))
            .ok()
            .map(|d| d.count())
    };
    Some((count("task")?, count("fd")?))
}

/// Polls `f` every 20 ms until it holds, for at most `limit`.
pub fn eventually(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + limit;
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= until {
            return false;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// A stage 6 binary (`chat-server`, `chat-client`), built next to this
/// check's own binaries (same profile and target folder; a no-op when it is
/// up to date), for the checks that pair stage 6 with stage 7.
pub fn stage6(bin: &str) -> Result<String, Fail> {
    static BUILT: OnceLock<bool> = OnceLock::new();
    let profile = std::path::Path::new(SERVER)
        .parent()
        .ok_or("no folder for the server binary")?;
    BUILT.get_or_init(|| {
        let mut build = Command::new(env!("CARGO"));
        build.args(["build", "--quiet", "-p", "chat", "--bins"]);
        build
            .arg("--manifest-path")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.toml"));
        if let Some(target) = profile.parent() {
            build.arg("--target-dir").arg(target);
        }
        if profile.file_name().is_some_and(|n| n == "release") {
            build.arg("--release");
        }
        build.status().is_ok_and(|s| s.success())
    });
    let exe = profile.join(bin);
    check!(
        exe.exists(),
        "{bin} could not be built (cargo build -p chat)"
    );
    Ok(exe.to_string_lossy().into_owned())
}

use harness::check;
