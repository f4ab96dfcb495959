//! `framing-server`: serves every client at once, each in its own
//! thread, echoing its messages until it sends `q` or closes, until Ctrl-C.
//!
//! Stage 2's loop server, with `accept` handing each connection to a new
//! thread: Python's `socketserver.ThreadingTCPServer`.

use std::net::TcpListener;
use std::process::ExitCode;

use kit::{Context, Error, Stop};
use framing::{DEFAULT_ADDR, MAX_CLIENTS, Summary, serve};

const HELP: &str = "\
usage: framing-server [ADDR] [--max-clients N]

Serves every client at once, each in its own thread: echoes every message
back until the client sends q or closes. Ctrl-C stops it.

  ADDR              where to listen, HOST:PORT (default 127.0.0.1:8998; port 0 = any free port)
  --max-clients N   clients served at once (default 4096); one more is told
                    the server is full and closed
  -h, --help

example:
  framing-server 127.0.0.1:8998      then, in two other terminals:
  framing-client 127.0.0.1:8998
";

// ANCHOR: main
fn main() -> ExitCode {
    kit::run(HELP, |cli| {
        let max_clients = cli.value("--max-clients")?.unwrap_or(MAX_CLIENTS);
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

        let Summary {
            served,
            refused,
            closed_at_stop,
        } = serve(&listener, &stop, max_clients)?;
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
