//! `timebank-kit`: writes a branch network's chain files from `branches.toml`.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use timebank_kit::Kit;

/// The production kit.
#[derive(Parser)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Writes the QBFT genesis, the static nodes, the allowlists and each branch node's
    /// configuration into a directory, and prints the genesis digest every branch compares.
    Genesis {
        /// The description of the chain and its branches.
        #[arg(long, default_value = "deploy/branches.example.toml")]
        branches: PathBuf,
        /// Where to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Makes a new key on this machine into a new file only its owner reads, and prints its
    /// public part for the platform admin (never the secret).
    Key {
        /// branch, relayer or risk-agent.
        #[arg(value_enum)]
        kind: timebank_kit::keys::Kind,
        /// The file to create (an existing one is refused).
        #[arg(long)]
        out: PathBuf,
    },
    /// The uniqueness key ceremony (once per epoch, by the platform admin, on a machine that
    /// keeps nothing): deals THRESHOLD-of-N shares of a fresh key, which is never written, into
    /// one file per branch and the public file every gateway gets.
    UniquenessShares {
        /// The epoch (1 at the start; each rotation the next).
        #[arg(long)]
        epoch: u32,
        /// How many branches' gateways must evaluate to key a document (at least 2).
        #[arg(long)]
        threshold: u16,
        /// The branches that get a share (ids, comma-separated).
        #[arg(long, value_delimiter = ',', required = true)]
        branches: Vec<u32>,
        /// The directory to write into (existing share files are refused).
        #[arg(long)]
        out: PathBuf,
    },
    /// Creates the branch's database and a role for each service (named as its system user),
    /// applies the migrations and grants each role only the tables its service needs. Run as
    /// PostgreSQL's superuser (`sudo -u postgres timebank-kit database`) when setting the branch
    /// up and after each upgrade, before the services restart.
    Database {
        /// The server, as its superuser (by default the local socket, signed in as the user
        /// running this: no password on the command line).
        #[arg(long, default_value = "postgres:///postgres?host=/var/run/postgresql")]
        server: String,
        /// The branch's database.
        #[arg(long, default_value = "timebank")]
        name: String,
    },
}

fn main() -> eyre::Result<()> {
    match Cli::parse().command {
        Command::Genesis { branches, out } => {
            let kit = Kit::load(&branches)?;
            for path in kit.write(&out)? {
                println!("wrote {}", path.display());
            }
            for n in kit.nodes()? {
                println!(
                    "  {:<12} {} {}",
                    n.name,
                    n.address.to_checksum(None),
                    if n.validator { "validator" } else { "" }
                );
            }
            println!(
                "genesis digest (keccak256 of genesis.json) {}: every branch compares it",
                timebank_kit::kit::genesis_digest(&kit)?
            );
            Ok(())
        }
        Command::Database { server, name } => {
            tokio::runtime::Runtime::new()?
                .block_on(timebank_kit::database::setup(&server, &name))?;
            for service in timebank_kit::database::Service::ALL {
                println!(
                    "role {} (reads {} tables and views, writes {})",
                    service.user(),
                    service.reads().len(),
                    service.writes().len()
                );
            }
            Ok(())
        }
        Command::Key { kind, out } => {
            let public = timebank_kit::keys::write(kind, &out)?;
            println!("wrote {} (mode 0400)\n{public}", out.display());
            Ok(())
        }
        Command::UniquenessShares {
            epoch,
            threshold,
            branches,
            out,
        } => {
            for path in timebank_kit::keys::uniqueness_shares(epoch, threshold, &branches, &out)? {
                println!("wrote {}", path.display());
            }
            println!(
                "each uniqueness-share-N.json goes to branch N's gateway only (over a secure \
                 channel), uniqueness-public.json to every gateway; then erase this directory"
            );
            Ok(())
        }
    }
}
