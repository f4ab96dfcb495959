//! What the kernel says about a running server: its CPU time and its peak
//! memory, read from `/proc/PID/stat` and `/proc/PID/status`, and its
//! threads and open descriptors, from `/proc/PID/task` and `/proc/PID/fd`
//! (Linux only).

use std::fs;
use std::io::{self, ErrorKind};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

/// CPU time a process has used so far, user plus system, all its threads
/// (finished ones included: the kernel adds a thread's time to its process
/// when it exits).
pub fn cpu_time(pid: u32) -> io::Result<Duration> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields 14 and 15 are utime and stime, in clock ticks. Field 2 is the
    // program name in parentheses and may itself hold spaces, so count from
    // the last ')'.
    let after = stat
        .rfind(')')
        .map(|at| &stat[at + 1..])
        .ok_or_else(|| io::Error::new(ErrorKind::InvalidData, "odd /proc/PID/stat"))?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let tick = |i: usize| -> io::Result<u64> {
        fields
            .get(i)
            .and_then(|f| f.parse().ok())
            .ok_or_else(|| io::Error::new(ErrorKind::InvalidData, "odd /proc/PID/stat"))
    };
    // After ')' comes field 3, so field 14 is at index 11.
    let ticks = tick(11)? + tick(12)?;
    Ok(Duration::from_secs_f64(
        ticks as f64 / clock_ticks_per_sec(),
    ))
}

/// USER_HZ, the unit of those fields: 100 on Linux, asked of `getconf` once.
fn clock_ticks_per_sec() -> f64 {
    static HZ: OnceLock<f64> = OnceLock::new();
    *HZ.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .filter(|&hz: &f64| hz > 0.0)
            .unwrap_or(100.0)
    })
}

/// A field of `/proc/PID/status` given in kB, such as `VmHWM` (the peak
/// resident memory: the most physical memory the process ever had mapped).
pub fn status_kib(pid: u32, field: &str) -> io::Result<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| io::Error::new(ErrorKind::InvalidData, format!("no {field} in status")))
}

/// How many threads a process has now: the entries of `/proc/PID/task`.
pub fn threads(pid: u32) -> io::Result<u64> {
    entries(&format!("/proc/{pid}/task"))
}

/// How many file descriptors a process has open now: the entries of
/// `/proc/PID/fd` (sockets, pipes, files; reading it needs the right to
/// look into the process: the same user, or root).
pub fn descriptors(pid: u32) -> io::Result<u64> {
    entries(&format!("/proc/{pid}/fd"))
}

fn entries(dir: &str) -> io::Result<u64> {
    Ok(fs::read_dir(dir)?.count() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let me = std::process::id();
        assert!(cpu_time(me).is_ok());
        assert!(status_kib(me, "VmHWM").is_ok_and(|k| k > 0));
        assert!(threads(me).is_ok_and(|n| n >= 1));
        assert!(descriptors(me).is_ok_and(|n| n >= 3));
    }
}
