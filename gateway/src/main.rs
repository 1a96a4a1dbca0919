//! `timebank-gateway`: parse the settings, connect to the node and the index, serve.

use alloy::{
    network::EthereumWallet,
    providers::{Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use clap::Parser;
use eyre::WrapErr;
use std::sync::Arc;
use timebank_gateway::{AppState, Settings};
use timebank_indexer::{Deployment, Store, config::redact, telemetry};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> eyre::Result<()> {
    let settings = Settings::parse();
    telemetry::init_logs(settings.log_json);
    let deployment = Deployment::load(&settings.deployment)?;
    let store = Store::connect(&settings.database_url)
        .await
        .wrap_err("opening the database")?;
    let url = settings
        .rpc_url
        .parse()
        .wrap_err_with(|| format!("--rpc-url {:?} is not a URL", settings.rpc_url))?;
    let (provider, relayer) = match &settings.relayer_key_file {
        Some(path) => {
            let key = std::fs::read_to_string(path)
                .wrap_err_with(|| format!("reading the relayer key file {}", path.display()))?;
            let signer: PrivateKeySigner = key.trim().parse().map_err(|_| {
                eyre::eyre!(
                    "the relayer key file {} does not hold a hex private key",
                    path.display()
                )
            })?;
            let relayer = signer.address();
            let provider = ProviderBuilder::new()
                .wallet(EthereumWallet::from(signer))
                .connect_http(url)
                .erased();
            (provider, Some(relayer))
        }
        None => (ProviderBuilder::new().connect_http(url).erased(), None),
    };
    let state = Arc::new(AppState::new(&settings, store, deployment, provider, relayer).await?);
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .wrap_err_with(|| format!("cannot listen on {} (is the port taken?)", settings.listen))?;
    tracing::info!(
        listen = %settings.listen,
        branch = settings.branch_id,
        database = %redact(&settings.database_url),
        "gateway serving; docs at /docs"
    );
    timebank_gateway::serve(listener, state, &settings, telemetry::shutdown_signal()).await?;
    Ok(())
}
