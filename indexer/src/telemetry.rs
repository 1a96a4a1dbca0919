//! Process plumbing the services share: logs, metrics, key files, shutdown, and the
//! backfill progress bar.

use crate::{Error, Result};
use indicatif::{ProgressBar, ProgressStyle};
use std::{io::IsTerminal, net::SocketAddr};

/// Metric names (Prometheus).
pub mod names {
    /// Blocks between the chain head and the checkpoint (gauge).
    pub const HEAD_LAG_BLOCKS: &str = "timebank_indexer_head_lag_blocks";
    /// Seconds between now and the checkpoint block's timestamp (gauge).
    pub const HEAD_LAG_SECONDS: &str = "timebank_indexer_head_lag_seconds";
    /// Logs written (counter); its rate is events per second.
    pub const EVENTS: &str = "timebank_indexer_events_total";
    /// Batches committed (counter).
    pub const BATCHES: &str = "timebank_indexer_batches_total";
    /// RPC or database errors retried (counter).
    pub const ERRORS: &str = "timebank_indexer_errors_total";
    /// Reorgs handled (counter).
    pub const REORGS: &str = "timebank_indexer_reorgs_total";
    /// The checkpoint block (gauge).
    pub const CHECKPOINT: &str = "timebank_indexer_checkpoint_block";
}

/// Sets up `tracing` (JSON lines or plain text; level from `RUST_LOG`, default info).
pub fn init_logs(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Serves Prometheus metrics on `addr`.
pub fn serve_metrics(addr: SocketAddr) -> Result<()> {
    metrics_exporter_prometheus::PrometheusBuilder::new()
        .with_http_listener(addr)
        .install()
        .map_err(|err| Error::Config(format!("cannot serve metrics on {addr}: {err}")))
}

/// A progress bar over the backfill, shown only when stderr is a terminal.
pub fn backfill_bar(blocks: u64) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(blocks);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} backfill [{bar:40}] {pos}/{len} blocks · {msg} · ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    Some(bar)
}

/// Resolves on Ctrl-C or SIGTERM: the services' graceful shutdown.
pub async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for SIGTERM; only Ctrl-C stops");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}

/// Reads a secret from `path` (a key file), refusing one that its group or others may read:
/// a key that others on the machine can read is a key they hold. `what` names the file in the
/// error ("relayer key file"). Every service reads its keys through this.
pub fn read_secret(path: &std::path::Path, what: &str) -> eyre::Result<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|err| eyre::eyre!("cannot read the {what} {}: {err}", path.display()))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        eyre::bail!(
            "the {what} {} may be read by others (mode {:o}): `chmod 600` it",
            path.display(),
            mode & 0o777
        );
    }
    std::fs::read_to_string(path)
        .map_err(|err| eyre::eyre!("cannot read the {what} {}: {err}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::read_secret;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_key_file_others_may_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("relayer.key");
        std::fs::write(&path, "secret").unwrap();
        for (mode, ok) in [(0o600, true), (0o400, true), (0o640, false), (0o604, false)] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            let read = read_secret(&path, "relayer key file");
            assert_eq!(read.is_ok(), ok, "mode {mode:o}: {read:?}");
            if let Err(err) = read {
                assert!(err.to_string().contains("chmod 600"), "{err}");
            }
        }
    }
}
