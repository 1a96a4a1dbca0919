//! Settings: flags, then environment (`TIMEBANK_*`), then defaults.

use clap::Parser;
use std::{net::SocketAddr, path::PathBuf, time::Duration};

/// The gateway's command line; every flag also reads an environment variable.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "timebank-gateway",
    version,
    about = "A branch's HTTP API over the timebank chain"
)]
pub struct Settings {
    /// Address to listen on.
    #[arg(
        long,
        env = "TIMEBANK_GATEWAY_LISTEN",
        default_value = "127.0.0.1:8081"
    )]
    pub listen: SocketAddr,
    /// The branch this gateway serves (its operators sign in here).
    #[arg(long, env = "TIMEBANK_BRANCH_ID", default_value_t = 1)]
    pub branch_id: u32,
    /// JSON-RPC endpoint over HTTP.
    #[arg(
        long,
        env = "TIMEBANK_RPC_URL",
        default_value = "http://127.0.0.1:8545"
    )]
    pub rpc_url: String,
    /// The deployment file.
    #[arg(
        long,
        env = "TIMEBANK_DEPLOYMENT",
        default_value = "contracts/deployments/31337.json"
    )]
    pub deployment: PathBuf,
    /// The branch's indexer database: `sqlite://PATH` or `postgres://...`.
    #[arg(
        long,
        env = "TIMEBANK_DATABASE_URL",
        default_value = "sqlite://data/indexer.sqlite"
    )]
    pub database_url: String,
    /// A file holding the relayer's private key (hex), which pays for relayed transactions.
    /// Never a flag's value: keys on command lines end up in shell histories and `ps`.
    #[arg(long, env = "TIMEBANK_RELAYER_KEY_FILE")]
    pub relayer_key_file: Option<PathBuf>,
    /// A file holding this branch's X25519 secret key (hex), which opens member data packages;
    /// its public key is the one the branch published on chain.
    #[arg(long, env = "TIMEBANK_BRANCH_KEY_FILE")]
    pub branch_key_file: Option<PathBuf>,
    /// The supervisors' X25519 public key (hex): every package is also sealed to it.
    #[arg(long, env = "TIMEBANK_SUPERVISORS_PUBLIC_KEY")]
    pub supervisors_public_key: Option<String>,
    /// The domain sign-in messages must name (EIP-4361 `domain`) [default: the listen address].
    #[arg(long, env = "TIMEBANK_GATEWAY_DOMAIN")]
    pub domain: Option<String>,
    /// The URL members reach this gateway at, which sign-in messages must name (EIP-4361
    /// `URI`) [default: http:// and the domain].
    #[arg(long, env = "TIMEBANK_GATEWAY_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// How long a session lasts, in seconds.
    #[arg(long, env = "TIMEBANK_SESSION_TTL_SECS", default_value_t = 3600)]
    pub session_ttl_secs: u64,
    /// Origins allowed by CORS (comma-separated); none by default.
    #[arg(long, env = "TIMEBANK_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Per-request timeout, in milliseconds (relayed transactions wait for their receipt).
    #[arg(long, env = "TIMEBANK_REQUEST_TIMEOUT_MS", default_value_t = 30_000)]
    pub request_timeout_ms: u64,
    /// Log as JSON lines.
    #[arg(long, env = "TIMEBANK_LOG_JSON")]
    pub log_json: bool,
}

impl Settings {
    /// The EIP-4361 domain.
    pub fn domain(&self) -> String {
        self.domain
            .clone()
            .unwrap_or_else(|| self.listen.to_string())
    }

    /// The URL sign-in messages name.
    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.domain()))
            .trim_end_matches('/')
            .to_owned()
    }

    /// Session lifetime.
    pub fn session_ttl(&self) -> Duration {
        Duration::from_secs(self.session_ttl_secs)
    }
}
