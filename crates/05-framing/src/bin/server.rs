//! `framing-server`: serves every client at once, each in its own thread,
//! echoing each framed message back as a message of the same framing, until
//! Ctrl-C.
//!
//! Stage 3's threaded server, with the conversation reading messages
//! (length-prefixed frames or lines, per `--mode`) instead of reads.

use std::net::TcpListener;
use std::process::ExitCode;

use framing::{DEFAULT_ADDR, Framing, MAX_CLIENTS, MAX_SIZE, Mode, Summary, serve};
use kit::{Context, Error, Stop};

const HELP: &str = "\
usage: framing-server [ADDR] [--mode length|line] [--max-size BYTES] [--max-clients N]

Serves every client at once, each in its own thread: reads framed messages
and echoes each one back, framed the same way, until the client closes.
Ctrl-C stops it.

  ADDR              where to listen, HOST:PORT (default 127.0.0.1:8998; port 0 = any free port)
  --mode length     (the default) each message is a 4-byte big-endian length,
                    then that many bytes: any bytes at all. Python's
                    struct.pack('>I', len(body)) + body.
  --mode line       each message is a line ending in \\n (\\r\\n accepted), echoed
                    with \\n. Any bytes but \\n, UTF-8 or not. Try it with nc.
  --max-size BYTES  the largest message accepted (default 1048576, 1 MiB). A
                    bigger one is never read into memory: the client gets one
                    message 'error: ...' in its framing, and is disconnected.
  --max-clients N   clients served at once (default 4096); one more is told
                    the server is full and closed
  -h, --help

Length is the default because it carries any bytes, and a client written
from the tutorial with struct.pack works against it without a flag.

example:
  framing-server 127.0.0.1:8998      then, in another terminal:
  framing-client 127.0.0.1:8998
";

// ANCHOR: main
fn main() -> ExitCode {
    kit::run(HELP, |cli| {
        let max_clients = cli.value("--max-clients")?.unwrap_or(MAX_CLIENTS);
        let mode = cli.value("--mode")?.unwrap_or(Mode::Length);
        // A u32, because a length header cannot announce more than that.
        let max_size = cli
            .value::<u32>("--max-size")?
            .map_or(MAX_SIZE, |n| n as usize);
        let addr = cli.addr(DEFAULT_ADDR)?;
        cli.finish()?;
        if max_clients == 0 {
            return Err(Error::Usage("--max-clients must be at least 1".into()));
        }

        // Python: s = socket.socket(); s.bind(addr); s.listen(5)
        // `TcpListener::bind` makes all three system calls (listen with a
        // backlog of 128). On Unix it also sets SO_REUSEADDR, the line Python
        // tutorials add by hand, so a restarted server can bind again while
        // old connections linger in TIME_WAIT. From here the kernel completes
        // handshakes by itself and queues connections until we accept() them.
        let listener = TcpListener::bind(&addr).context(format_args!("cannot listen on {addr}"))?;

        // Ctrl-C while we wait in accept() should end the server with a
        // summary and exit 0, not kill it mid-call; kit::Stop explains how
        // the blocked accept() is woken. Wired up before we announce that we
        // are listening, since a script may press "Ctrl-C" right after that.
        let stop = Stop::on_ctrl_c()?;
        stop.wake_accept(&listener)?;

        // With port 0 the OS picked the port; local_addr() says which.
        println!("listening on {}", listener.local_addr()?);
        println!("framing: {mode}, messages up to {max_size} bytes");

        let Summary {
            served,
            refused,
            closed_at_stop,
        } = serve(&listener, &stop, max_clients, Framing { mode, max_size })?;
        let refused = match refused {
            0 => String::new(),
            n => format!("; refused {n} over --max-clients"),
        };
        println!(
            "stopped by Ctrl-C; served {served} client{} ({closed_at_stop} still connected, now closed){refused}",
            if served == 1 { "" } else { "s" }
        );
        Ok(())
    })
}
// ANCHOR_END: main
