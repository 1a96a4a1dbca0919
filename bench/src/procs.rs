//! The processes a benchmark runs and measures: ports, children, CPU and memory from `/proc`.

use eyre::{WrapErr, bail, ensure};
use std::{
    process::{Child, Command},
    time::Duration,
};

/// A free TCP port on the loopback interface (0 if none).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

/// A child process killed when dropped.
pub struct Proc(pub Child);

impl Proc {
    /// The child's process id.
    pub fn id(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Peak resident memory of `pid` in MiB (`VmHWM`).
pub fn peak_rss_mib(pid: u32) -> eyre::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| eyre::eyre!("no VmHWM for process {pid}"))?;
    Ok(kib / 1024.0)
}

/// CPU time `pid` has used, in seconds (user + system, from `/proc/PID/stat`).
pub fn cpu_seconds(pid: u32) -> eyre::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command (which may hold spaces), which ends at the last ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok());
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the command.
    match (ticks(11), ticks(12)) {
        // The kernel's USER_HZ is 100 on every Linux this runs on.
        (Some(user), Some(system)) => Ok((user + system) / 100.0),
        _ => bail!("no CPU times for process {pid}"),
    }
}

/// The whole machine's CPU time (busy, total) in seconds, from `/proc/stat`.
pub fn machine_cpu_seconds() -> eyre::Result<(f64, f64)> {
    let stat = std::fs::read_to_string("/proc/stat")?;
    let ticks: Vec<f64> = stat
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("cpu "))
        .map(|l| {
            l.split_whitespace()
                .filter_map(|v| v.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    ensure!(ticks.len() >= 5, "/proc/stat has no cpu line");
    let total: f64 = ticks.iter().sum();
    // idle and iowait
    let idle = ticks[3] + ticks[4];
    Ok(((total - idle) / 100.0, total / 100.0))
}

/// Sends `signal` (`-STOP`, `-CONT`, `-KILL`, `-TERM`) to each of `pids`.
pub fn signal(signal: &str, pids: &[u32]) -> eyre::Result<()> {
    let status = Command::new("kill")
        .arg(signal)
        .args(pids.iter().map(u32::to_string))
        .status()
        .wrap_err("running kill")?;
    ensure!(status.success(), "kill {signal} {pids:?} failed");
    Ok(())
}

/// Waits until `url` answers 2xx (at most a minute).
pub async fn wait_ready(url: &str) -> eyre::Result<()> {
    let http = reqwest::Client::new();
    for _ in 0..600 {
        if let Ok(r) = http.get(url).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("{url} did not become ready (see its log in target/)")
}
