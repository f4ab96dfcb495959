//! `hardened-chat-server`: stage 6's chat room, with every resource one
//! client can make it spend bounded (see the library's modules).

use std::fs::File;
use std::net::TcpListener;
use std::process::ExitCode;
use std::time::Duration;

use hardened_chat::{DEFAULT_ADDR, Limits, QUEUE_LEN, log, serve, summary};
use hardened_chat::{clients, join, write_timeout};
use kit::{Context, Error, Stop};

const HELP: &str = "\
usage: hardened-chat-server [ADDR] [--max-clients N] [--join-timeout SECS] [--queue N] [--write-timeout SECS]

A chat room: every message a client sends, one JSON object per line
({\"name\": \"alice\", \"msg\": \"hi\"}), goes to every client, the sender included,
with the server's time added. Ctrl-C tells the room and stops it.

  ADDR                  where to listen, HOST:PORT (default 127.0.0.1:8889; port 0 = any free port)
  --max-clients N       clients at once (default 1024); one more is told the room is full
  --join-timeout SECS   time from connecting to a first line (default 30)
  --queue N             lines that may wait for one client (default 256); a client
                        that lets more pile up is disconnected as too slow
  --write-timeout SECS  time a client may take to take what waits for it (default 10)
  -h, --help

example:
  hardened-chat-server 127.0.0.1:8889      then, in two other terminals:
  hardened-chat-client 127.0.0.1:8889 --name alice
";

// ANCHOR: main
fn main() -> ExitCode {
    kit::run(HELP, |cli| {
        // SECS may have a fraction; 0, a negative or NaN is refused below.
        let secs = |s: Option<f64>, or| {
            s.map_or(or, |s| Duration::try_from_secs_f64(s).unwrap_or_default())
        };
        let limits = Limits {
            max_clients: cli.value("--max-clients")?.unwrap_or(clients::MAX_CLIENTS),
            join_timeout: secs(cli.value("--join-timeout")?, join::JOIN_TIMEOUT),
            queue_len: cli.value("--queue")?.unwrap_or(QUEUE_LEN),
            write_timeout: secs(cli.value("--write-timeout")?, write_timeout::WRITE_TIMEOUT),
        };
        let addr = cli.addr(DEFAULT_ADDR)?;
        cli.finish()?;
        let zero = [limits.join_timeout, limits.write_timeout].contains(&Duration::ZERO);
        if limits.max_clients == 0 || limits.queue_len == 0 || zero {
            return Err(Error::Usage(
                "--max-clients, --join-timeout, --queue and --write-timeout must be above 0".into(),
            ));
        }

        // Python: s = socket.socket(); s.bind(addr); s.listen(5)
        // As in stage 1: bind, listen (backlog 128) and SO_REUSEADDR in one.
        let listener = TcpListener::bind(&addr).context(format_args!("cannot listen on {addr}"))?;

        // Ctrl-C wakes the blocked accept() (kit::Stop, as in stage 1); wired
        // up before anyone learns the address from the next line. Its
        // connection takes a descriptor: one is kept for it (descriptors).
        let stop = Stop::on_ctrl_c()?;
        stop.wake_accept(&listener)?;
        stop.keep_in_reserve(File::open("/dev/null")?);
        println!("listening on {}", listener.local_addr()?);
        log::start()?;

        let served = serve(&listener, &stop, limits)?;
        // After every client's last line; not waited for if nobody reads.
        log::flush(Duration::from_millis(100));
        log::line(summary(served));
        log::flush(Duration::from_millis(100));
        Ok(())
    })
}
// ANCHOR_END: main
