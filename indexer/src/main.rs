//! `timebank-indexer`: parse the settings, open the database, follow the chain.

use alloy::providers::ProviderBuilder;
use eyre::WrapErr;
use timebank_indexer::{Deployment, Settings, Store, config::redact, telemetry};
use tracing::info;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> eyre::Result<()> {
    let settings = Settings::from_env()?;
    telemetry::init_logs(settings.log_json);
    if let Some(addr) = settings.metrics_addr {
        telemetry::serve_metrics(addr)?;
    }
    let deployment = Deployment::load(&settings.deployment)?;
    let store = Store::connect(&settings.database_url)
        .await
        .wrap_err("opening the database")?;
    let url = settings
        .rpc_url
        .parse()
        .wrap_err_with(|| format!("rpc_url {:?} is not a URL", settings.rpc_url))?;
    let provider = ProviderBuilder::new().connect_http(url);
    info!(
        database = %redact(&settings.database_url),
        rpc = %settings.rpc_url,
        chain = deployment.chain_id,
        "indexing"
    );
    timebank_indexer::run(
        provider,
        store,
        &settings,
        &deployment,
        telemetry::shutdown_signal(),
    )
    .await
    .wrap_err("indexing")?;
    Ok(())
}
