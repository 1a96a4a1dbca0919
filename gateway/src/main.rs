//! `timebank-gateway`: parse the settings, connect to the node and the index, serve.

use alloy::{
    network::EthereumWallet,
    providers::{Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use clap::Parser;
use eyre::WrapErr;
use std::sync::Arc;
use timebank_gateway::{AppState, Settings, anchor, config::Command};
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
            let key = timebank_gateway::config::read_secret(path, "relayer key file")?;
            let signer: PrivateKeySigner = key.trim().parse().map_err(|_| {
                eyre::eyre!(
                    "the relayer key file {} does not hold a hex private key",
                    path.display()
                )
            })?;
            let provider = ProviderBuilder::new()
                .wallet(EthereumWallet::from(signer.clone()))
                .connect_http(url)
                .erased();
            (provider, Some(signer))
        }
        None => (ProviderBuilder::new().connect_http(url).erased(), None),
    };
    if settings.command == Some(Command::VerifyAccessLog) {
        let verified = anchor::verify(&store, &provider, &deployment, settings.branch_id).await?;
        match &verified.problem {
            None => println!(
                "branch {}: the access log holds {} entries, chained and whole; the anchor on \
                 chain covers {}",
                settings.branch_id, verified.entries, verified.anchored
            ),
            Some(problem) => {
                eprintln!(
                    "branch {}: the access log is not intact: {problem}",
                    settings.branch_id
                );
                std::process::exit(1);
            }
        }
        return Ok(());
    }
    let state =
        Arc::new(AppState::new(&settings, store, deployment, provider, relayer.as_ref()).await?);
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
