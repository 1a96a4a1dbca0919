//! Keystores: the wallet the command line signs with, encrypted (alloy / geth format). A key
//! never appears on the command line.

use crate::Cli;
use alloy::signers::local::PrivateKeySigner;
use eyre::{WrapErr, bail, eyre};
use serde_json::json;

/// Reads the keystore, asking for its password unless a password file is given.
pub fn signer(cli: &Cli) -> eyre::Result<PrivateKeySigner> {
    let Some(path) = &cli.keystore else {
        bail!(
            "sign in with a keystore: --keystore FILE or TIMEBANK_KEYSTORE (create one with `timebank keystore new`)"
        );
    };
    let password = password(cli, "keystore password: ")?;
    PrivateKeySigner::decrypt_keystore(path, password)
        .map_err(|err| eyre!("cannot open the keystore {}: {err}", path.display()))
}

fn password(cli: &Cli, prompt: &str) -> eyre::Result<String> {
    match &cli.password_file {
        Some(file) => Ok(std::fs::read_to_string(file)
            .wrap_err_with(|| format!("reading the password file {}", file.display()))?
            .trim_end_matches(['\n', '\r'])
            .to_owned()),
        None => rpassword::prompt_password(prompt).wrap_err("reading the password"),
    }
}

/// `timebank keystore new|import`.
pub fn command(cli: &Cli, command: &crate::commands::KeystoreCommand) -> eyre::Result<()> {
    use crate::commands::KeystoreCommand;
    let (key, out) = match command {
        KeystoreCommand::New { out } => (PrivateKeySigner::random().to_bytes().to_vec(), out),
        KeystoreCommand::Import { key_file, out } => {
            let text = std::fs::read_to_string(key_file)
                .wrap_err_with(|| format!("reading {}", key_file.display()))?;
            let key: PrivateKeySigner = text
                .trim()
                .parse()
                .map_err(|_| eyre!("{} does not hold a hex private key", key_file.display()))?;
            (key.to_bytes().to_vec(), out)
        }
    };
    if out.exists() {
        bail!("{} exists; choose another file", out.display());
    }
    let password = password(cli, "new keystore password: ")?;
    if password.len() < 8 {
        bail!("use a password of at least 8 characters");
    }
    let dir = out
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = out
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| eyre!("{} is not a file name", out.display()))?;
    let (signer, _) = PrivateKeySigner::encrypt_keystore(
        dir,
        &mut rand08::thread_rng(),
        key,
        password,
        Some(name),
    )
    .map_err(|err| eyre!("writing the keystore: {err}"))?;
    if cli.json {
        println!("{}", json!({"address": signer.address(), "keystore": out}));
    } else {
        println!(
            "keystore for {} written to {}",
            signer.address(),
            out.display()
        );
    }
    Ok(())
}
