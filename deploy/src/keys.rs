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
    /// The uniqueness secret every branch's gateway shares (the blind index of identity
    /// documents): made once by the platform admin, handed to each branch over a secure channel.
    Uniqueness,
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
        Kind::Uniqueness => (
            alloy::hex::encode(rand::random::<[u8; 32]>()),
            "a secret with no public part: copy this file to every branch's gateway over a secure channel".to_owned(),
        ),
    };
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
    Ok(public)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn keys_are_owner_only_usable_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        for kind in [
            Kind::Branch,
            Kind::Relayer,
            Kind::RiskAgent,
            Kind::Uniqueness,
        ] {
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
                Kind::Uniqueness => assert_eq!(alloy::hex::decode(&secret).unwrap().len(), 32),
            }
            let again = write(kind, &path).unwrap_err().to_string();
            assert!(again.contains("never overwritten"), "{again}");
            assert_eq!(std::fs::read_to_string(&path).unwrap(), secret);
        }
    }
}
