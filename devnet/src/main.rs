//! `timebank-devnet up|demo`: see the library.

use clap::{Parser, Subcommand};
use eyre::WrapErr;
use timebank_devnet::{Demo, Up};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(
    name = "timebank-devnet",
    version,
    about = "The timebank platform on one machine"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start or resume the platform: anvil, the contracts, three branches' indexers and gateways.
    Up(Up),
    /// Fill the running platform with demo members, credentials, activities, payments and alerts.
    Demo(Demo),
}

#[tokio::main]
async fn main() -> eyre::Result<()> {
    let cli = Cli::parse();
    timebank_indexer::telemetry::init_logs(false);
    match cli.command {
        Command::Up(up) => {
            let platform = timebank_devnet::start(up).await.wrap_err("make up")?;
            println!("{}", platform.summary());
            platform.run_until_stopped().await.wrap_err("make up")
        }
        Command::Demo(demo) => timebank_devnet::demo::run(demo).await.wrap_err("make demo"),
    }
}
