//! `framing-server`: serves every client at once, each in its own thread,
//! answering each framed message with a message framed the same way.
//!
//! Stage 3's server, reading messages (`--mode length` or `--mode line`)
//! instead of reads. With `--stdin` you type each reply, as with `input()`.

use std::net::TcpListener;
use std::process::ExitCode;

use framing::{DEFAULT_ADDR, MAX_SIZE, Mode, Reply, serve};
use kit::{Context, Stop};

const HELP: &str = "\
usage: framing-server [ADDR] [--mode length|line] [--max-size BYTES] [--stdin]

Serves every client at once, each in its own thread: echoes every message
back, framed the same way, until the client closes. Ctrl-C stops it.

  ADDR              where to listen, HOST:PORT (default 127.0.0.1:8998; port 0 = any free port)
  --mode length     (the default) a 4-byte big-endian length, then the body
  --mode line       a line ending in \\n (\\r\\n accepted): try it with nc
  --max-size BYTES  the largest message (default 1048576, 1 MiB); a bigger
                    one gets a message 'error: ...' back, and is closed
  --stdin           answer each message with a line typed here, instead of echoing it
  -h, --help

example:
  framing-server 127.0.0.1:8998      then, in two other terminals:
  framing-client 127.0.0.1:8998
";

// ANCHOR: main
fn main() -> ExitCode {
    kit::run(HELP, |cli| {
        let reply = match cli.flag("--stdin") {
            true => Reply::Typed,
            false => Reply::Echo,
        };
        let mode = cli.value("--mode")?.unwrap_or(Mode::Length);
        // A u32, because a length header cannot announce more than that.
        let max_size: Option<u32> = cli.value("--max-size")?;
        let max_size = max_size.map_or(MAX_SIZE, |n| n as usize);
        let addr = cli.addr(DEFAULT_ADDR)?;
        cli.finish()?;

        // Python: s = socket.socket(); s.bind(addr); s.listen(5)
        // As in stage 1: bind, listen (backlog 128) and SO_REUSEADDR in one.
        let listener = TcpListener::bind(&addr).context(format_args!("cannot listen on {addr}"))?;

        // Ctrl-C wakes the blocked accept() (kit::Stop, as in stage 1); wired
        // up before anyone learns the address from the next line.
        let stop = Stop::on_ctrl_c()?;
        stop.wake_accept(&listener)?;
        println!("listening on {}", listener.local_addr()?);
        let framing = format!("{mode:?}").to_lowercase();
        println!("framing: {framing}, messages up to {max_size} bytes");

        let served = serve(&listener, &stop, reply, mode, max_size)?;
        println!(
            "stopped by Ctrl-C; served {served} client{}",
            if served == 1 { "" } else { "s" }
        );
        Ok(())
    })
}
// ANCHOR_END: main
