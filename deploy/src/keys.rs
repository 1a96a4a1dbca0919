//! A branch's secrets, made on the machine that uses them: each written to a new file only its
//! owner can read (an existing file is never overwritten), and its public part printed for the
//! platform admin.

use alloy::signers::local::PrivateKeySigner;
use std::{io::Write, os::unix::fs::OpenOptionsExt, path::Path};
use timebank_gateway::privacy::KeyPair;

/// The kinds of key a branch holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// The branch's X25519 data-package key (the gateway opens members' profiles with it).
    Branch,
    /// The gateway's relayer account (pays for members' signed writes; anchors the access log).
    Relayer,
    /// The risk agent's account (opens cases as the monitoring agent).
    RiskAgent,
}

/// Writes a new key of `kind` to `path` (mode 0400); returns what to hand on: the public key
/// or the address, with what to do with it.
pub fn write(kind: Kind, path: &Path) -> eyre::Result<String> {
    let (secret, public) = match kind {
        Kind::Branch => {
            let key = KeyPair::generate();
            let public = format!("0x{}", alloy::hex::encode(key.public));
            (
                key.secret_hex(),
                format!(
                    "public key {public}: `timebank admin add-branch NAME REGION --public-key {public}` for a new branch, or `timebank branch-key propose` for a rotation"
                ),
            )
        }
        Kind::Relayer | Kind::RiskAgent => {
            let signer = PrivateKeySigner::random();
            let address = signer.address();
            let role = if kind == Kind::Relayer {
                "gateway ADDRESS --id BRANCH"
            } else {
                "monitoring_agent ADDRESS"
            };
            (
                alloy::hex::encode_prefixed(signer.to_bytes()),
                format!(
                    "address {address}: add it to accounts in branches.toml (the allowlist), then `timebank admin grant {}`",
                    role.replace("ADDRESS", &address.to_string())
                ),
            )
        }
    };
    write_new(path, &secret)?;
    Ok(public)
}

/// The uniqueness key ceremony: deals `threshold`-of-`branches` shares of a fresh key for
/// `epoch` into `out` — `uniqueness-share-N.json` per branch (mode 0400: each goes to its
/// branch only) and `uniqueness-public.json` (every gateway gets it) — and returns what it
/// wrote. The key itself exists only inside this call: run it on a machine that keeps nothing
/// (docs/deploy.md).
pub fn uniqueness_shares(
    epoch: u32,
    threshold: u16,
    branches: &[u32],
    out: &Path,
) -> eyre::Result<Vec<std::path::PathBuf>> {
    eyre::ensure!(
        threshold >= 2,
        "a threshold of {threshold}: with fewer than 2, one branch's host alone could key \
         identity documents, and a copy of it recover every member's ID number"
    );
    let (shares, public) = timebank_uniqueness::threshold::deal(epoch, threshold, branches)?;
    std::fs::create_dir_all(out)?;
    let mut written = Vec::new();
    for share in &shares {
        let path = out.join(format!("uniqueness-share-{}.json", share.branch));
        write_new(&path, &serde_json::to_string_pretty(share)?)?;
        written.push(path);
    }
    let path = out.join("uniqueness-public.json");
    std::fs::write(&path, serde_json::to_string_pretty(&public)?)?;
    written.push(path);
    Ok(written)
}

/// Writes `secret` to a new file only its owner may read (never over an existing one).
fn write_new(path: &Path, secret: &str) -> eyre::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o400)
        .open(path)
        .map_err(|err| match err.kind() {
            std::io::ErrorKind::AlreadyExists => eyre::eyre!(
                "{} exists: a key is never overwritten (write the new one beside it, e.g. {}.next)",
                path.display(),
                path.display()
            ),
            _ => eyre::eyre!("cannot write {}: {err}", path.display()),
        })?;
    file.write_all(secret.as_bytes())?;
    file.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn keys_are_owner_only_usable_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        for kind in [Kind::Branch, Kind::Relayer, Kind::RiskAgent] {
            let path = dir.path().join(format!("{kind:?}.key"));
            let public = write(kind, &path).unwrap();
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o400, "{kind:?}");
            let secret = std::fs::read_to_string(&path).unwrap();
            assert!(
                !public.contains(secret.trim_start_matches("0x")),
                "{kind:?}: the secret printed"
            );
            match kind {
                // What the gateway reads back, and the public key it prints is the key's.
                Kind::Branch => {
                    let key = KeyPair::from_secret_hex(&secret).unwrap();
                    assert!(public.contains(&alloy::hex::encode(key.public)));
                }
                Kind::Relayer | Kind::RiskAgent => {
                    let signer: PrivateKeySigner = secret.parse().unwrap();
                    assert!(public.contains(&signer.address().to_string()));
                }
            }
            let again = write(kind, &path).unwrap_err().to_string();
            assert!(again.contains("never overwritten"), "{again}");
            assert_eq!(std::fs::read_to_string(&path).unwrap(), secret);
        }
    }

    #[test]
    fn the_ceremony_deals_shares_a_gateway_reads_and_keeps_no_key() {
        let dir = tempfile::tempdir().unwrap();
        let written = uniqueness_shares(4, 2, &[1, 2, 3], dir.path()).unwrap();
        assert_eq!(written.len(), 4);
        let public: timebank_uniqueness::PublicFile =
            serde_json::from_str(&std::fs::read_to_string(&written[3]).unwrap()).unwrap();
        let epoch = timebank_uniqueness::Epoch::new(&public).unwrap();
        for path in &written[..3] {
            let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o400);
            let file: timebank_uniqueness::ShareFile =
                serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            timebank_uniqueness::Share::new(&file, &epoch).unwrap();
        }
        // Nothing else was written: no key, no coefficients.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 4);
        assert!(
            uniqueness_shares(5, 1, &[1, 2], dir.path())
                .unwrap_err()
                .to_string()
                .contains("threshold of 1")
        );
        assert!(
            uniqueness_shares(4, 2, &[1, 2, 3], dir.path())
                .unwrap_err()
                .to_string()
                .contains("never overwritten")
        );
    }
}
