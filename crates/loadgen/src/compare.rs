//! `loadgen compare`: the same case against several servers, interleaved.
//!
//! One round starts each server in turn on `127.0.0.1:0`, learns its port
//! from its `listening on ADDR` line, runs the case (loadgen itself, as a
//! child process), reads the server's CPU time and peak memory from /proc,
//! and stops it with SIGTERM. Rounds repeat A B A B ..., and the table shows
//! each server's medians. Interleaving matters on a shared machine: a burst
//! of background work (a compiler, another test) then slows one round of
//! every server instead of every round of one server, and the median drops
//! that round.

use std::io::{self, BufRead, BufReader, ErrorKind, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::procfs;
use crate::report::{Report, round3};

/// What to compare.
#[derive(Debug, Clone)]
pub struct Compare {
    /// Server command lines, split on spaces; `127.0.0.1:0` is appended.
    pub servers: Vec<String>,
    pub rounds: usize,
    /// The case and its flags, without `--addr`: `tcp-echo --conns 64 ...`.
    pub case: Vec<String>,
}

/// How long a server may take to print `listening on`.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// One server's results: its label and one report per round.
pub struct Results {
    pub label: String,
    pub rounds: Vec<Report>,
}

pub fn run(cfg: &Compare) -> io::Result<Vec<Results>> {
    let mut results: Vec<Results> = cfg
        .servers
        .iter()
        .map(|s| Results {
            label: label(s),
            rounds: Vec::new(),
        })
        .collect();
    for round in 1..=cfg.rounds {
        for (server, result) in cfg.servers.iter().zip(&mut results) {
            let report = one(server, &cfg.case)?;
            eprintln!(
                "round {round}/{}: {:<22} {:>9.0} {}/s  p99 {:>8.1} µs  errors {}  cpu {:.2} µs/op",
                cfg.rounds,
                result.label,
                report.ok_per_s,
                report.unit,
                report.p99_us,
                report.errors,
                report.get_f64("server_cpu_us_per_op").unwrap_or(f64::NAN),
            );
            result.rounds.push(report);
        }
    }
    Ok(results)
}

/// A short name for a server command: the program's file name, or the
/// script's for `python3 script.py`, with the arguments after it (so that
/// `chat-server --queue 64` and `chat-server` are two rows).
pub fn label(command: &str) -> String {
    let words: Vec<&str> = command.split_whitespace().collect();
    let base = |w: &str| w.rsplit('/').next().unwrap_or(w).to_string();
    let python = words.first().is_some_and(|p| base(p).starts_with("python"));
    let at = match words.iter().position(|w| w.ends_with(".py")) {
        Some(script) if python => script,
        _ => 0,
    };
    match words.get(at) {
        Some(p) => std::iter::once(base(p))
            .chain(words[at + 1..].iter().map(|w| w.to_string()))
            .collect::<Vec<_>>()
            .join(" "),
        None => "?".into(),
    }
}

/// One server, one run of the case.
fn one(command: &str, case: &[String]) -> io::Result<Report> {
    let mut server = Server::start(command)?;
    let pid = server.child.id();
    let cpu_before = procfs::cpu_time(pid)?;
    let result = run_case(&server.addr, case);
    // Read before stopping: a stopped process has no /proc entry to read.
    let cpu = procfs::cpu_time(pid).map(|after| after.saturating_sub(cpu_before));
    let hwm = procfs::status_kib(pid, "VmHWM");
    let threads = procfs::status_kib(pid, "Threads");
    // A server that died during the run (out of descriptors, say) has no
    // memory left to read: the run still counts, and the table says so.
    let exited = server.child.try_wait().ok().flatten();
    let stderr_lines = server.stop();
    let mut report = result?;
    let cpu = cpu?;
    report.set("server_cpu_ms", round3(cpu.as_secs_f64() * 1e3));
    if report.ok > 0 {
        report.set(
            "server_cpu_us_per_op",
            round3(cpu.as_secs_f64() * 1e6 / report.ok as f64),
        );
    }
    match (hwm, exited) {
        (Ok(kib), _) => report.set("server_vmhwm_kib", kib),
        (Err(_), Some(status)) => {
            report.set("server_exited", status.to_string());
            report.note(format!("the server exited during the run ({status})"));
        }
        (Err(e), None) => return Err(e),
    }
    if let Ok(t) = threads {
        report.set("server_threads_at_end", t);
    }
    if !stderr_lines.is_empty() {
        report.set("server_stderr_lines", stderr_lines.len() as u64);
        report.set(
            "server_stderr_last",
            stderr_lines.last().cloned().unwrap_or_default(),
        );
    }
    Ok(report)
}

/// Runs `loadgen CASE --addr ADDR ... --json --quiet` and parses its line.
fn run_case(addr: &str, case: &[String]) -> io::Result<Report> {
    let (name, flags) = case
        .split_first()
        .ok_or_else(|| io::Error::new(ErrorKind::InvalidInput, "no case given"))?;
    let secs: f64 = flags
        .iter()
        .position(|f| f == "--secs")
        .and_then(|at| flags.get(at + 1)?.parse().ok())
        .unwrap_or(20.0);
    let mut child = Command::new(std::env::current_exe()?)
        .arg(name)
        .args(["--addr", addr])
        .args(flags)
        .args(["--json", "--quiet"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut stdout = child
        .stdout
        .take()
        .ok_or_else(|| io::Error::other("no stdout"))?;
    let reading = thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).map(|_| s)
    });
    // The case bounds itself by --secs; this is the watchdog in case it
    // does not.
    let status = wait_until(
        &mut child,
        Instant::now() + Duration::from_secs_f64(secs + 30.0),
    )?;
    let out = reading
        .join()
        .map_err(|_| io::Error::other("reader panicked"))??;
    if !status {
        return Err(io::Error::other(format!(
            "loadgen {name} failed against {addr}"
        )));
    }
    let line = out.lines().last().unwrap_or("");
    serde_json::from_str(line).map_err(|e| {
        io::Error::new(
            ErrorKind::InvalidData,
            format!("loadgen {name} printed no report ({e}): {line:?}"),
        )
    })
}

/// Waits for a child until `until`, then kills it; whether it succeeded.
fn wait_until(child: &mut Child, until: Instant) -> io::Result<bool> {
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status.success());
        }
        if Instant::now() >= until {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(false);
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// A server under test: started, its address learned, its output drained.
struct Server {
    child: Child,
    addr: String,
    stderr: Option<thread::JoinHandle<Vec<String>>>,
}

impl Server {
    fn start(command: &str) -> io::Result<Server> {
        let words: Vec<&str> = command.split_whitespace().collect();
        let (program, args) = words
            .split_first()
            .ok_or_else(|| io::Error::new(ErrorKind::InvalidInput, "empty server command"))?;
        let mut child = Command::new(program)
            .args(args)
            .arg("127.0.0.1:0")
            // Python's default: print() into a pipe is block-buffered. Some
            // shells and containers set PYTHONUNBUFFERED=1, which adds two
            // write() calls to every print and would measure that instead.
            .env_remove("PYTHONUNBUFFERED")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("cannot start {program}: {e}")))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| io::Error::other("no stdout"))?;
        let stderr = child
            .stderr
            .take()
            .ok_or_else(|| io::Error::other("no stderr"))?;
        // The server's log must be read, or it fills the pipe and the server
        // blocks in its next println. The first line is the address; the
        // rest goes nowhere.
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut lines = BufReader::new(stdout);
            let mut first = String::new();
            let _ = tx.send(lines.read_line(&mut first).map(|_| first));
            let _ = io::copy(&mut lines, &mut io::sink());
        });
        let stderr = thread::spawn(move || {
            BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
                .collect::<Vec<String>>()
        });
        let first = match rx.recv_timeout(START_TIMEOUT) {
            Ok(Ok(line)) => line,
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(io::Error::new(
                    ErrorKind::TimedOut,
                    format!("{command} did not print `listening on ADDR`"),
                ));
            }
        };
        let Some(addr) = first.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::new(
                ErrorKind::InvalidData,
                format!("{command} printed {first:?} first, not `listening on ADDR`"),
            ));
        };
        Ok(Server {
            addr: addr.to_string(),
            child,
            stderr: Some(stderr),
        })
    }

    /// SIGTERM, then up to 3 s to exit, then SIGKILL. Returns its stderr.
    fn stop(&mut self) -> Vec<String> {
        // std can only SIGKILL a child; kill(1) sends the polite signal.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = wait_until(&mut self.child, Instant::now() + Duration::from_secs(3));
        self.stderr
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The median of every number across rounds; flags must hold in every
/// round; anything else (error kinds, text) comes from the median round.
pub fn median(rounds: &[Report]) -> Report {
    let maps: Vec<Map<String, Value>> = rounds
        .iter()
        .filter_map(|r| match serde_json::to_value(r) {
            Ok(Value::Object(m)) => Some(m),
            _ => None,
        })
        .collect();
    let mut by_rate: Vec<&Report> = rounds.iter().collect();
    by_rate.sort_by(|a, b| a.ok_per_s.total_cmp(&b.ok_per_s));
    let Some(middle) = by_rate.get(by_rate.len() / 2) else {
        return Report::default();
    };
    let mut out = match serde_json::to_value(middle) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    for (key, value) in out.iter_mut() {
        let all: Vec<&Value> = maps.iter().filter_map(|m| m.get(key)).collect();
        if all.iter().all(|v| v.is_u64()) && !all.is_empty() {
            let mut nums: Vec<u64> = all.iter().filter_map(|v| v.as_u64()).collect();
            nums.sort_unstable();
            let n = nums.len();
            *value = Value::from(match n % 2 {
                1 => nums[n / 2],
                _ => (nums[n / 2 - 1] + nums[n / 2]).div_ceil(2),
            });
        } else if all.iter().all(|v| v.is_number()) && !all.is_empty() {
            let mut nums: Vec<f64> = all.iter().filter_map(|v| v.as_f64()).collect();
            nums.sort_by(f64::total_cmp);
            let n = nums.len();
            let m = if n % 2 == 1 {
                nums[n / 2]
            } else {
                (nums[n / 2 - 1] + nums[n / 2]) / 2.0
            };
            *value = Value::from(round3(m));
        } else if all.iter().all(|v| v.is_boolean()) && !all.is_empty() {
            *value = Value::from(all.iter().all(|v| v.as_bool() == Some(true)));
        }
    }
    serde_json::from_value(Value::Object(out)).unwrap_or_default()
}

/// The columns the table shows for a case: (header, extra key).
fn case_columns(case: &str) -> &'static [(&'static str, &'static str)] {
    match case {
        "tcp-echo" => &[("conns served", "conns_served")],
        "udp-echo" => &[("late", "late_replies")],
        "hold" => &[
            ("held", "held"),
            ("connect s", "connect_secs"),
            ("connects >0.9 s", "connects_over_0.9s"),
            // `--chat` only: told the room is full.
            ("refused", "refused"),
        ],
        "chat" => &[("joined", "joined"), ("same order", "same_order")],
        "flood" => &[
            ("room lines/s", "room_per_s"),
            ("readers cut off", "readers_disconnected"),
            ("same order", "same_order"),
        ],
        _ => &[],
    }
}

/// The medians as a Markdown table, one row per server.
pub fn table(results: &[Results]) -> String {
    let medians: Vec<(String, Report)> = results
        .iter()
        .map(|r| (r.label.clone(), median(&r.rounds)))
        .collect();
    let Some((_, first)) = medians.first() else {
        return String::new();
    };
    let extra = case_columns(&first.case);
    let mut head = vec![
        "server".to_string(),
        format!("{}/s", first.unit),
        "p50 µs".into(),
        "p99 µs".into(),
        "max µs".into(),
        "ok".into(),
        "errors".into(),
        "lost".into(),
    ];
    head.extend(extra.iter().map(|(h, _)| h.to_string()));
    head.extend([
        "server CPU µs/op".into(),
        "loadgen CPU µs/op".into(),
        "server VmHWM MiB".into(),
    ]);
    let mut out = format!("| {} |\n", head.join(" | "));
    out += &format!("|{}\n", "---|".repeat(head.len()));
    for (label, m) in &medians {
        // A count of expected operations means something only when the run
        // was meant to finish them; echo runs are bounded by time.
        let ok = match (m.expected, m.case.as_str()) {
            (0, _) | (_, "tcp-echo" | "udp-echo") => m.ok.to_string(),
            (e, _) => format!("{} of {e}", m.ok),
        };
        let mut row = vec![
            format!("`{label}`"),
            format!("{:.0}", m.ok_per_s),
            format!("{:.0}", m.p50_us),
            format!("{:.0}", m.p99_us),
            format!("{:.0}", m.max_us),
            ok,
            m.errors.to_string(),
            m.lost.to_string(),
        ];
        for (_, key) in extra {
            row.push(match m.extra.get(*key) {
                Some(Value::Bool(b)) => if *b { "yes" } else { "no" }.to_string(),
                Some(Value::Number(n)) => n.to_string(),
                Some(other) => other.to_string(),
                None => "-".into(),
            });
        }
        row.push(
            m.get_f64("server_cpu_us_per_op")
                .map_or("-".into(), |c| format!("{c:.1}")),
        );
        row.push(
            m.get_f64("loadgen_cpu_us_per_op")
                .map_or("-".into(), |c| format!("{c:.1}")),
        );
        let exited = m.extra.contains_key("server_exited");
        row.push(match m.get_f64("server_vmhwm_kib") {
            Some(k) => format!("{:.1}", k / 1024.0),
            None if exited => "(exited)".into(),
            None => "-".into(),
        });
        out += &format!("| {} |\n", row.join(" | "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::label;

    #[test]
    fn a_label_is_the_program_or_script_and_its_arguments() {
        assert_eq!(label("target/release/chat-server"), "chat-server");
        assert_eq!(
            label("target/release/hardened-chat-server --queue 4096"),
            "hardened-chat-server --queue 4096"
        );
        assert_eq!(
            label("python3 crates/loadgen/peers/chat_server.py"),
            "chat_server.py"
        );
        assert_eq!(label("python3 -u peers/x.py --fast"), "x.py --fast");
        assert_eq!(label("python3"), "python3");
    }
}
