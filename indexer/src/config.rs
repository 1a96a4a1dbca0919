//! Settings: flags, then environment (`TIMEBANK_*`), then a TOML file, then defaults.

use crate::{Error, Result};
use clap::Parser;
use serde::Deserialize;
use std::{net::SocketAddr, path::PathBuf, time::Duration};

/// Command line and environment. Every field is optional here so that the config file can fill
/// what neither gives; [`Settings`] is the resolved form.
#[derive(Debug, Clone, Default, Parser, Deserialize)]
#[command(
    name = "timebank-indexer",
    version,
    about = "Follows the timebank contracts into SQL"
)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// A TOML file with any of the settings below (flags and environment win over it).
    #[arg(long, env = "TIMEBANK_INDEXER_CONFIG")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// JSON-RPC endpoint over HTTP [default: http://127.0.0.1:8545].
    #[arg(long, env = "TIMEBANK_RPC_URL")]
    pub rpc_url: Option<String>,
    /// JSON-RPC endpoint over WebSocket, for new-head notifications; without it the indexer polls.
    #[arg(long, env = "TIMEBANK_WS_URL")]
    pub ws_url: Option<String>,
    /// The deployment file [default: contracts/deployments/31337.json].
    #[arg(long, env = "TIMEBANK_DEPLOYMENT")]
    pub deployment: Option<PathBuf>,
    /// `sqlite://PATH` or `postgres://...` [default: sqlite://data/indexer.sqlite].
    #[arg(long, env = "TIMEBANK_DATABASE_URL")]
    pub database_url: Option<String>,
    /// First block to index on a fresh database [default: the deployment's start block].
    #[arg(long, env = "TIMEBANK_START_BLOCK")]
    pub start_block: Option<u64>,
    /// Blocks to stay behind the head; 0 for chains with instant finality (QBFT) [default: 0].
    #[arg(long, env = "TIMEBANK_CONFIRMATIONS")]
    pub confirmations: Option<u64>,
    /// Largest `eth_getLogs` range, in blocks; halved on the node's "too many results"
    /// [default: 10000].
    #[arg(long, env = "TIMEBANK_MAX_RANGE")]
    pub max_range: Option<u64>,
    /// How often to poll for a new head without a WebSocket, in milliseconds [default: 200].
    #[arg(long, env = "TIMEBANK_POLL_MS")]
    pub poll_ms: Option<u64>,
    /// Serve Prometheus metrics on this address (e.g. 127.0.0.1:9101).
    #[arg(long, env = "TIMEBANK_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,
    /// Stop once the head is reached instead of following it.
    #[arg(long, env = "TIMEBANK_STOP_AT_HEAD")]
    #[serde(default)]
    pub stop_at_head: bool,
    /// Log as JSON lines.
    #[arg(long, env = "TIMEBANK_LOG_JSON")]
    #[serde(default)]
    pub log_json: bool,
}

/// Resolved settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// JSON-RPC over HTTP.
    pub rpc_url: String,
    /// JSON-RPC over WebSocket, if any.
    pub ws_url: Option<String>,
    /// The deployment file.
    pub deployment: PathBuf,
    /// The database URL.
    pub database_url: String,
    /// First block on a fresh database, if not the deployment's.
    pub start_block: Option<u64>,
    /// Blocks behind the head.
    pub confirmations: u64,
    /// Largest log range.
    pub max_range: u64,
    /// Poll interval.
    pub poll_interval: Duration,
    /// Prometheus listener.
    pub metrics_addr: Option<SocketAddr>,
    /// Stop at the head.
    pub stop_at_head: bool,
    /// JSON logs.
    pub log_json: bool,
}

impl Default for Settings {
    /// The settings of a local development chain: anvil on port 8545, SQLite under `data/`.
    fn default() -> Self {
        Self {
            rpc_url: "http://127.0.0.1:8545".into(),
            ws_url: None,
            deployment: "contracts/deployments/31337.json".into(),
            database_url: "sqlite://data/indexer.sqlite".into(),
            start_block: None,
            confirmations: 0,
            max_range: 10_000,
            poll_interval: Duration::from_millis(200),
            metrics_addr: None,
            stop_at_head: false,
            log_json: false,
        }
    }
}

impl Settings {
    /// Parses flags and environment, then fills the gaps from the config file and defaults.
    pub fn from_env() -> Result<Self> {
        Self::resolve(Args::parse())
    }

    /// Resolves parsed arguments against the config file they name (if any) and the defaults.
    pub fn resolve(args: Args) -> Result<Self> {
        let file = match &args.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|err| {
                    Error::Config(format!("cannot read config file {}: {err}", path.display()))
                })?;
                toml::from_str::<Args>(&text).map_err(|err| {
                    Error::Config(format!("config file {}: {err}", path.display()))
                })?
            }
            None => Args::default(),
        };
        let default = Self::default();
        let settings = Self {
            rpc_url: args.rpc_url.or(file.rpc_url).unwrap_or(default.rpc_url),
            ws_url: args.ws_url.or(file.ws_url),
            deployment: args
                .deployment
                .or(file.deployment)
                .unwrap_or(default.deployment),
            database_url: args
                .database_url
                .or(file.database_url)
                .unwrap_or(default.database_url),
            start_block: args.start_block.or(file.start_block),
            confirmations: args
                .confirmations
                .or(file.confirmations)
                .unwrap_or(default.confirmations),
            max_range: args
                .max_range
                .or(file.max_range)
                .unwrap_or(default.max_range),
            poll_interval: args
                .poll_ms
                .or(file.poll_ms)
                .map_or(default.poll_interval, Duration::from_millis),
            metrics_addr: args.metrics_addr.or(file.metrics_addr),
            stop_at_head: args.stop_at_head || file.stop_at_head,
            log_json: args.log_json || file.log_json,
        };
        if settings.max_range == 0 {
            return Err(Error::Config("max_range must be at least 1 block".into()));
        }
        if !(settings.database_url.starts_with("sqlite:")
            || settings.database_url.starts_with("postgres://")
            || settings.database_url.starts_with("postgresql://"))
        {
            return Err(Error::Config(format!(
                "database_url must start with sqlite: or postgres://, got {:?}",
                redact(&settings.database_url)
            )));
        }
        Ok(settings)
    }
}

/// A URL with its password replaced, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_file_and_defaults_fill_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("indexer.toml");
        std::fs::write(
            &path,
            "rpc_url = \"http://node:8545\"\nconfirmations = 3\nmax_range = 50\n",
        )
        .unwrap();
        let args = Args {
            config: Some(path),
            confirmations: Some(1),
            ..Default::default()
        };
        let s = Settings::resolve(args).unwrap();
        assert_eq!(s.rpc_url, "http://node:8545");
        assert_eq!(s.confirmations, 1);
        assert_eq!(s.max_range, 50);
        assert_eq!(s.database_url, "sqlite://data/indexer.sqlite");
    }

    #[test]
    fn bad_settings_say_what_is_wrong() {
        let err = Settings::resolve(Args {
            database_url: Some("mysql://u:secret@h/db".into()),
            ..Default::default()
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("database_url must start with"), "{err}");
        assert!(!err.contains("secret"), "the password leaked: {err}");

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "unknown_key = 1\n").unwrap();
        let err = Settings::resolve(Args {
            config: Some(path),
            ..Default::default()
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("unknown field"), "{err}");
    }

    #[test]
    fn redact_hides_passwords_only() {
        assert_eq!(
            redact("postgres://tb:pw@localhost/db"),
            "postgres://tb:***@localhost/db"
        );
        assert_eq!(redact("sqlite://data/x.sqlite"), "sqlite://data/x.sqlite");
    }
}
