//! `loadgen`: load for the stage servers, and an interleaved comparison of
//! several of them. See the help text below and `lessons/08-measure.md`.

use std::process::{Command, ExitCode};
use std::time::Duration;

use kit::{Cli, Error};
use loadgen::report::{Report, round3};
use loadgen::{attack, chart, chat, compare, hold, procfs, tcp_echo, udp_echo};

const HELP: &str = "\
usage: loadgen tcp-echo|udp-echo|hold|chat|dribble|flood|stall|storm --addr HOST:PORT [options] [--secs S] [--json]
       loadgen compare --server 'CMD ARGS' --server 'CMD ARGS' [--rounds R]
                       [--svg FILE [--svg-x NAME=VALUE]] -- CASE [options]

Puts load on a server that follows the stage contract and reports how much
got done, how fast, and what went wrong. Every run stops by itself after
--secs seconds at most (default 20). Progress goes to stderr.

  tcp-echo --conns C --requests N --size S
      C connections (default 1), opened first, each in its own thread doing
      N lockstep round trips (default 1000) of S bytes (default 32).
  udp-echo --clients C --requests N --size S [--timeout-ms T]
      C clients (default 1), each sending N datagrams (default 1000) of S
      bytes (default 32, at least 8) in lockstep; a reply not back within T
      ms (default 200) counts as lost.
  hold --conns C [--parallel P] [--hold-secs H] [--chat]
      C connections (default 100) open at the same time, opened by P threads
      (default 50); then one round trip on each; then H more seconds open.
      --chat: each joins a chat room under its own name and asks /who; counts
      joined, refused ({\"error\": ...}) and hung (no answer by the end).
  chat --clients C --senders K --messages M [--rate R | --window W]
      C clients (default 10) join the room; then K of them (default 1) send
      M messages each (default 100): R messages/s in total, on schedule; or,
      without --rate, as fast as the room takes them, each sender keeping at
      most W of its own messages in flight (default 16; 0 = no limit, a
      flood). Reports delivered/expected, latency, and whether every client
      saw one order.

  The attacks of lesson 07, on a chat room (each reports what the server did):
  dribble --conns N [--interval-ms I] [--probe-ms P] [--pid PID]
      slowloris: N connections (default 100) send one byte of a first line
      every I ms (default 1000), never finishing it; a fresh client joins and
      chats every P ms (default 1000). Reports dribblers closed (and after how
      long), still open, and how the fresh clients fared; with --pid, the
      server's threads, descriptors and memory at the end (Linux).
  flood --readers R [--lines L] [--deaf]
      one client sends L lines (default 50000) as fast as TCP lets it while R
      clients (default 20) read flat out; --deaf: the flooder never reads.
      Reports what the room passed on and how fast, each reader's share,
      readers cut off, and whether all saw one order.
  stall --clients C [--rate R] [--size B]
      one client joins and never reads; C others (default 10) chat at R
      messages/s (default 100) of B bytes (default 10000). Reports when the
      stalled client was cut off, and the others' delivery and latency.
  storm --clients N [--lines K] [--waves W] [--pid PID] [--settle-secs S]
      N clients (default 100) join, send K lines (default 5) and reset, W
      waves (default 5); then /who for ghosts, for up to S s (default 3); with
      --pid, the server's threads and descriptors before and after (Linux).
  compare --server CMD ... [--rounds R] -- CASE [options]
      Starts each server command with 127.0.0.1:0 appended, reads its
      `listening on ADDR` line, runs `loadgen CASE --addr ADDR [options]`,
      reads the server's CPU time and VmHWM from /proc, stops it; servers
      interleaved A B A B ... for R rounds (default 3). Prints medians as a
      Markdown table; with --svg FILE, also draws them in FILE (SVG): the rate
      and the latencies per server, as bars. With --svg-x NAME=VALUE (say
      conns=64), this run is one point of a series: it adds its points to the
      chart already in FILE, and the chart shows lines against NAME.

  --secs S     how long the load runs, at most (default 20); connecting or
               joining before it may take a few seconds more
  --json       print one JSON line instead of the summary
  --quiet      no progress lines
  -h, --help

examples:
  loadgen tcp-echo --addr 127.0.0.1:9998 --conns 64 --requests 100000 --secs 3
  loadgen dribble --addr 127.0.0.1:8888 --conns 1000 --secs 40
  loadgen compare --server target/release/tcp-threaded-server \\
      --server 'python3 crates/loadgen/peers/echo_server.py' \\
      -- tcp-echo --conns 64 --requests 1000000 --secs 3
";

const CASES: &str = "tcp-echo, udp-echo, hold, chat, dribble, flood, stall, storm or compare";

fn main() -> ExitCode {
    kit::run(HELP, |cli| {
        // The subcommand is the first argument; it decides which flags exist.
        let case = std::env::args().nth(1).unwrap_or_default();
        let json = cli.flag("--json");
        let progress = !cli.flag("--quiet");
        if case == "compare" {
            return compare_cmd(cli, json);
        }
        let addr: Option<String> = cli.value("--addr")?;
        let secs = Duration::from_secs_f64(positive(cli.value("--secs")?, 20.0, "--secs")?);
        let cpu_before = procfs::cpu_time(std::process::id());
        let report = match case.as_str() {
            "tcp-echo" => {
                let cfg = tcp_echo::TcpEcho {
                    addr: String::new(),
                    conns: count(cli.value("--conns")?, 1, "--conns")?,
                    requests: count(cli.value("--requests")?, 1000, "--requests")? as u64,
                    size: count(cli.value("--size")?, 32, "--size")?,
                    secs,
                    progress,
                };
                finish(cli, &case)?;
                tcp_echo::run(&tcp_echo::TcpEcho {
                    addr: need(addr)?,
                    ..cfg
                })?
            }
            "udp-echo" => {
                let cfg = udp_echo::UdpEcho {
                    addr: String::new(),
                    clients: count(cli.value("--clients")?, 1, "--clients")?,
                    requests: count(cli.value("--requests")?, 1000, "--requests")? as u64,
                    size: count(cli.value("--size")?, 32, "--size")?,
                    secs,
                    timeout: Duration::from_millis(count(
                        cli.value("--timeout-ms")?,
                        200,
                        "--timeout-ms",
                    )? as u64),
                    progress,
                };
                finish(cli, &case)?;
                if cfg.size < udp_echo::SEQ_LEN {
                    return Err(Error::Usage(format!(
                        "udp-echo --size must be at least {} (each datagram starts with its number)",
                        udp_echo::SEQ_LEN
                    )));
                }
                udp_echo::run(&udp_echo::UdpEcho {
                    addr: need(addr)?,
                    ..cfg
                })?
            }
            "hold" => {
                let cfg = hold::Hold {
                    addr: String::new(),
                    conns: count(cli.value("--conns")?, 100, "--conns")?,
                    parallel: count(cli.value("--parallel")?, 50, "--parallel")?,
                    secs,
                    hold: Duration::from_secs_f64(
                        cli.value::<f64>("--hold-secs")?.unwrap_or(0.0).max(0.0),
                    ),
                    chat: cli.flag("--chat"),
                    progress,
                };
                finish(cli, &case)?;
                hold::run(&hold::Hold {
                    addr: need(addr)?,
                    ..cfg
                })?
            }
            "chat" => {
                let cfg = chat::Chat {
                    addr: String::new(),
                    clients: count(cli.value("--clients")?, 10, "--clients")?,
                    senders: count(cli.value("--senders")?, 1, "--senders")?,
                    messages: count(cli.value("--messages")?, 100, "--messages")? as u64,
                    rate: match cli.value::<f64>("--rate")? {
                        Some(r) if r > 0.0 => Some(r),
                        Some(_) => return Err(Error::Usage("--rate must be above 0".into())),
                        None => None,
                    },
                    window: match cli.value::<u64>("--window")?.unwrap_or(16) {
                        0 => None,
                        w => Some(w),
                    },
                    pad: 0,
                    secs,
                    progress,
                };
                finish(cli, &case)?;
                if cfg.senders > cfg.clients {
                    return Err(Error::Usage(
                        "--senders cannot be more than --clients: senders are clients".into(),
                    ));
                }
                chat::run(&chat::Chat {
                    addr: need(addr)?,
                    ..cfg
                })?
            }
            attack if attack::CASES.contains(&attack) => {
                let attack = attack::Attack::from_cli(attack, cli, secs, progress)?;
                finish(cli, &case)?;
                attack.run(&need(addr)?)?
            }
            "" => {
                return Err(Error::Usage(format!("which case? {CASES}")));
            }
            other => {
                return Err(Error::Usage(format!("unknown case '{other}': {CASES}")));
            }
        };
        let mut report = report;
        // loadgen's own CPU time, connecting included: on a small machine
        // the client competes with the server for the same cores.
        if let (Ok(before), Ok(after)) = (cpu_before, procfs::cpu_time(std::process::id())) {
            let cpu = after.saturating_sub(before).as_secs_f64();
            report.set("loadgen_cpu_ms", round3(cpu * 1e3));
            if report.ok > 0 {
                report.set(
                    "loadgen_cpu_us_per_op",
                    round3(cpu * 1e6 / report.ok as f64),
                );
            }
        }
        print(&report, json);
        Ok(())
    })
}

fn print(report: &Report, json: bool) {
    if json {
        println!("{}", report.json());
    } else {
        print!("{}", report.human());
    }
}

/// Refuses leftovers: the case name is the one word allowed.
fn finish(cli: &mut Cli, case: &str) -> kit::Result<()> {
    let words = cli.words();
    if let Some(extra) = words.iter().find(|w| *w != case) {
        return Err(Error::Usage(format!("unexpected argument '{extra}'")));
    }
    cli.finish()
}

fn need(addr: Option<String>) -> kit::Result<String> {
    addr.ok_or_else(|| Error::Usage("--addr HOST:PORT is required: where is the server?".into()))
}

fn count(v: Option<usize>, default: usize, name: &str) -> kit::Result<usize> {
    match v.unwrap_or(default) {
        0 => Err(Error::Usage(format!("{name} must be at least 1"))),
        n => Ok(n),
    }
}

fn positive(v: Option<f64>, default: f64, name: &str) -> kit::Result<f64> {
    match v.unwrap_or(default) {
        x if x > 0.0 && x.is_finite() => Ok(x),
        _ => Err(Error::Usage(format!("{name} must be above 0"))),
    }
}

fn compare_cmd(cli: &mut Cli, json: bool) -> kit::Result<()> {
    let mut servers = Vec::new();
    while let Some(s) = cli.value::<String>("--server")? {
        servers.push(s);
    }
    let rounds = count(cli.value("--rounds")?, 3, "--rounds")?;
    let svg: Option<String> = cli.value("--svg")?;
    let svg_x: Option<String> = cli.value("--svg-x")?;
    let words = cli.words();
    cli.finish()?;
    let case: Vec<String> = words.into_iter().skip(1).collect();
    if servers.is_empty() {
        return Err(Error::Usage(
            "compare needs at least one --server 'CMD'".into(),
        ));
    }
    if case.is_empty() {
        return Err(Error::Usage(
            "compare needs a case after --, for example: -- tcp-echo --conns 64 --secs 3".into(),
        ));
    }
    let svg_x = match (&svg, svg_x) {
        (_, None) => None,
        (None, Some(_)) => return Err(Error::Usage("--svg-x goes with --svg FILE".into())),
        (Some(_), Some(x)) => match x.split_once('=') {
            Some((name, value)) if !name.is_empty() && !value.is_empty() => {
                Some((name.to_string(), value.to_string()))
            }
            _ => {
                return Err(Error::Usage(format!(
                    "--svg-x '{x}': write NAME=VALUE, for example conns=64"
                )));
            }
        },
    };
    let cfg = compare::Compare {
        servers,
        rounds,
        case,
    };
    let machine = machine();
    println!("{machine}");
    println!(
        "case: loadgen {} ({} rounds, interleaved)",
        cfg.case.join(" "),
        cfg.rounds
    );
    let results = compare::run(&cfg)?;
    println!();
    print!("{}", compare::table(&results));
    if let Some(path) = &svg {
        let x = svg_x.as_ref().map(|(n, v)| (n.as_str(), v.as_str()));
        chart::write(path, &results, &cfg, &machine, x)?;
        println!("chart: {path}");
    }
    if json {
        for r in &results {
            let mut m = compare::median(&r.rounds);
            m.set("server", r.label.clone());
            m.set("rounds", r.rounds.len() as u64);
            println!("{}", m.json());
        }
    }
    Ok(())
}

/// One line saying where and when this was measured.
fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines().find_map(|l| {
                l.strip_prefix("model name")?
                    .split_once(':')
                    .map(|(_, m)| m.trim().to_string())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|k| k.trim().to_string())
        .unwrap_or_default();
    let date = Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    format!("machine: {cpus} CPUs ({model}), Linux {kernel}; {date}")
}
