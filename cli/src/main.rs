//! `timebank`: the command line of operators, issuers and supervisors. It signs in to a branch
//! gateway with the user's encrypted JSON keystore (never a raw key on the command line), and
//! every write is signed by that wallet and relayed by the gateway. Tables for people, `--json`
//! for scripts.

use alloy::{primitives::Address, signers::local::PrivateKeySigner};
use clap::{Parser, Subcommand};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use eyre::{WrapErr, bail, eyre};
use futures::StreamExt;
use serde_json::{Value, json};
use std::{path::PathBuf, time::Duration};
use timebank_gateway::client::{Gateway, Session};

#[derive(Debug, Parser)]
#[command(
    name = "timebank",
    version,
    about = "The timebank command line for a branch gateway"
)]
struct Cli {
    /// The branch gateway.
    #[arg(
        long,
        global = true,
        env = "TIMEBANK_GATEWAY",
        default_value = "http://127.0.0.1:8081"
    )]
    gateway: String,
    /// Your encrypted JSON keystore (alloy / geth format).
    #[arg(long, global = true, env = "TIMEBANK_KEYSTORE")]
    keystore: Option<PathBuf>,
    /// A file holding the keystore's password; without it you are asked.
    #[arg(long, global = true, env = "TIMEBANK_PASSWORD_FILE")]
    password_file: Option<PathBuf>,
    /// Print JSON instead of tables.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a keystore, or import a key from a file into one.
    Keystore {
        #[command(subcommand)]
        command: KeystoreCommand,
    },
    /// Who you are on chain: roles, branch.
    Whoami,
    /// The branches.
    Branches,
    /// Members: show, submit, approve, suspend, read or verify a profile.
    Member {
        #[command(subcommand)]
        command: MemberCommand,
    },
    /// Credentials: issue, renew, revoke.
    Credential {
        #[command(subcommand)]
        command: CredentialCommand,
    },
    /// Activities and trainings: create, record hours, settle.
    Activity {
        #[command(subcommand)]
        command: ActivityCommand,
    },
    /// Pay a member for a service, or give coins (`--gift`).
    Pay {
        /// The recipient.
        to: Address,
        /// Hours, e.g. 1.5.
        hours: String,
        /// A gift rather than a service payment.
        #[arg(long)]
        gift: bool,
        /// What it is for (its hash goes on chain).
        #[arg(long)]
        reference: Option<String>,
    },
    /// An account's balance and payments (yours by default).
    Payments {
        /// The account.
        account: Option<Address>,
        /// Only this purpose (activity_reward, training_reward, service_payment, gift, ...).
        #[arg(long)]
        purpose: Option<String>,
    },
    /// Supervision cases, newest first.
    Cases {
        /// open, cleared or confirmed.
        #[arg(long)]
        status: Option<String>,
        /// Only this branch's members.
        #[arg(long)]
        branch: Option<u64>,
    },
    /// Decide a case (supervisors); the note stays off chain, its hash goes on chain.
    Decide {
        /// The case.
        case_id: u64,
        /// cleared or confirmed.
        #[arg(long)]
        outcome: String,
        /// Why.
        #[arg(long)]
        note: String,
        /// The member's risk level after the decision.
        #[arg(long, default_value = "none")]
        risk: String,
    },
    /// Follow the live stream of alerts, case decisions, risk and credential changes.
    Events,
}

#[derive(Debug, Subcommand)]
enum KeystoreCommand {
    /// A new random key in a new keystore.
    New {
        /// Where to write the keystore.
        out: PathBuf,
    },
    /// A key from a file (hex) into a new keystore.
    Import {
        /// The file holding the key.
        key_file: PathBuf,
        /// Where to write the keystore.
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum MemberCommand {
    /// A member's public record.
    Show {
        /// The member.
        account: Address,
    },
    /// Register a member at your branch with a profile (a JSON file); prints the salted
    /// profile to give the member.
    Submit {
        /// The member's wallet.
        account: Address,
        /// The profile (JSON with fullName, dateOfBirth, contact, ...).
        #[arg(long)]
        profile: PathBuf,
    },
    /// Approve a member another operator of your branch submitted.
    Approve {
        /// The member.
        account: Address,
    },
    /// Suspend a member of your branch.
    Suspend {
        /// The member.
        account: Address,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Read a member's private profile (logged with your reason).
    Profile {
        /// The member.
        account: Address,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Check a profile a member presents against the chain.
    Verify {
        /// The member.
        account: Address,
        /// The profile the member presents (JSON file).
        #[arg(long)]
        profile: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum CredentialCommand {
    /// Issue a credential.
    Issue {
        /// The member.
        account: Address,
        /// Credential type id.
        #[arg(long = "type")]
        type_id: u32,
        /// Hash of the document (0x + 64 hex digits).
        #[arg(long)]
        document_hash: String,
        /// Unix seconds.
        #[arg(long)]
        expires_at: u64,
    },
    /// Renew a credential.
    Renew {
        /// The member.
        account: Address,
        /// Credential type id.
        #[arg(long = "type")]
        type_id: u32,
        /// Hash of the document.
        #[arg(long)]
        document_hash: String,
        /// Unix seconds.
        #[arg(long)]
        expires_at: u64,
    },
    /// Revoke a credential.
    Revoke {
        /// The member.
        account: Address,
        /// Credential type id.
        #[arg(long = "type")]
        type_id: u32,
        /// Why.
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
enum ActivityCommand {
    /// Create an activity or a training at your branch.
    Create {
        /// Your branch.
        #[arg(long)]
        branch: u32,
        /// activity or training.
        #[arg(long, default_value = "activity")]
        kind: String,
        /// Most hours one volunteer may be rewarded.
        #[arg(long)]
        hours_cap: String,
        /// A credential type volunteers must hold (0 for none).
        #[arg(long, default_value_t = 0)]
        requires: u32,
        /// What it is.
        #[arg(long)]
        details: String,
    },
    /// Record a volunteer's hours.
    Hours {
        /// The activity.
        activity: u64,
        /// The volunteer.
        volunteer: Address,
        /// Hours.
        hours: String,
    },
    /// Settle: the volunteer is rewarded.
    Settle {
        /// The activity.
        activity: u64,
        /// The volunteer.
        volunteer: Address,
    },
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    if let Err(err) = run(cli).await {
        eprintln!("timebank: {err:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> eyre::Result<()> {
    if let Command::Keystore { command } = &cli.command {
        return keystore(&cli, command);
    }
    let signer = signer(&cli)?;
    let gateway = Gateway::new(&cli.gateway);
    let session = gateway
        .sign_in(&signer)
        .await
        .wrap_err_with(|| format!("signing in to {}", cli.gateway))?;
    let out = Output { json: cli.json };
    match &cli.command {
        Command::Keystore { .. } => unreachable!("handled above"),
        Command::Whoami => out.record(&session.get::<Value>("/v1/auth/me").await?),
        Command::Branches => out.rows(
            &session.get::<Value>("/v1/branches").await?,
            &["branchId", "name", "region", "active"],
        ),
        Command::Member { command } => member(&out, &session, &signer, command).await?,
        Command::Credential { command } => {
            let action = match command {
                CredentialCommand::Issue {
                    account,
                    type_id,
                    document_hash,
                    expires_at,
                } => json!({
                    "action": "issue_credential", "account": account, "type_id": type_id,
                    "document_hash": document_hash, "expires_at": expires_at}),
                CredentialCommand::Renew {
                    account,
                    type_id,
                    document_hash,
                    expires_at,
                } => json!({
                    "action": "renew_credential", "account": account, "type_id": type_id,
                    "document_hash": document_hash, "expires_at": expires_at}),
                CredentialCommand::Revoke {
                    account,
                    type_id,
                    reason,
                } => json!({
                    "action": "revoke_credential", "account": account, "type_id": type_id,
                    "reason": reason}),
            };
            act(&out, &session, &signer, action).await?
        }
        Command::Activity { command } => {
            let action = match command {
                ActivityCommand::Create {
                    branch,
                    kind,
                    hours_cap,
                    requires,
                    details,
                } => json!({
                    "action": "create_activity", "branch_id": branch, "kind": kind,
                    "hours_cap": hours_cap, "required_credential_type": requires,
                    "details": details}),
                ActivityCommand::Hours {
                    activity,
                    volunteer,
                    hours,
                } => json!({
                    "action": "record_hours", "activity_id": activity, "volunteer": volunteer,
                    "hours": hours}),
                ActivityCommand::Settle {
                    activity,
                    volunteer,
                } => json!({
                    "action": "settle", "activity_id": activity, "volunteer": volunteer}),
            };
            act(&out, &session, &signer, action).await?
        }
        Command::Pay {
            to,
            hours,
            gift,
            reference,
        } => {
            let purpose = if *gift { "gift" } else { "service_payment" };
            act(
                &out,
                &session,
                &signer,
                json!({"action": "pay", "to": to, "hours": hours, "purpose": purpose,
                    "reference": reference}),
            )
            .await?
        }
        Command::Payments { account, purpose } => {
            let account = account.unwrap_or(session.address);
            let balance: Value = session
                .get(&format!("/v1/accounts/{account}/balance"))
                .await?;
            let mut path = format!("/v1/accounts/{account}/payments?limit=1000");
            if let Some(purpose) = purpose {
                path.push_str(&format!("&purpose={purpose}"));
            }
            let payments: Value = session.get(&path).await?;
            if out.json {
                println!("{}", json!({"balance": balance, "payments": payments}));
            } else {
                println!("balance of {account}: {} TIME", hours(&balance["amount"]));
                out.rows(
                    &payments,
                    &["blockNumber", "sender", "recipient", "amount", "purpose"],
                );
            }
        }
        Command::Cases { status, branch } => {
            let mut query = vec!["limit=1000".to_owned()];
            if let Some(status) = status {
                query.push(format!("status={status}"));
            }
            if let Some(branch) = branch {
                query.push(format!("branch={branch}"));
            }
            out.rows(
                &session
                    .get::<Value>(&format!("/v1/cases?{}", query.join("&")))
                    .await?,
                &[
                    "caseId",
                    "account",
                    "homeBranch",
                    "rules",
                    "action",
                    "amount",
                    "status",
                    "note",
                ],
            )
        }
        Command::Decide {
            case_id,
            outcome,
            note,
            risk,
        } => {
            act(
                &out,
                &session,
                &signer,
                json!({"action": "decide_case", "case_id": case_id, "outcome": outcome,
                    "note": note, "risk_level": risk}),
            )
            .await?
        }
        Command::Events => events(&cli, &session).await?,
    }
    Ok(())
}

/// Reads the keystore, asking for its password unless a password file is given.
fn signer(cli: &Cli) -> eyre::Result<PrivateKeySigner> {
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

fn keystore(cli: &Cli, command: &KeystoreCommand) -> eyre::Result<()> {
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
    let out_json = json!({"address": signer.address(), "keystore": out});
    if cli.json {
        println!("{out_json}");
    } else {
        println!(
            "keystore for {} written to {}",
            signer.address(),
            out.display()
        );
    }
    Ok(())
}

async fn member(
    out: &Output,
    session: &Session,
    signer: &PrivateKeySigner,
    command: &MemberCommand,
) -> eyre::Result<()> {
    match command {
        MemberCommand::Show { account } => out.record(
            &session
                .get::<Value>(&format!("/v1/members/{account}"))
                .await?,
        ),
        MemberCommand::Submit { account, profile } => {
            let profile: Value = serde_json::from_slice(&std::fs::read(profile)?)
                .wrap_err_with(|| format!("{} is not JSON", profile.display()))?;
            let spinner = out.spinner("sealing and publishing the profile");
            let kept = session
                .publish_profile(signer, *account, profile, "submit")
                .await;
            spinner.finish_and_clear();
            let kept = kept?;
            if out.json {
                println!("{}", json!({"account": account, "profile": kept}));
            } else {
                println!(
                    "{account} submitted; a second operator of your branch approves it.\n\
                     Give the member this profile (what they present to be verified):\n{}",
                    serde_json::to_string_pretty(&kept)?
                );
            }
        }
        MemberCommand::Approve { account } => {
            act(
                out,
                session,
                signer,
                json!({"action": "approve_member", "account": account}),
            )
            .await?
        }
        MemberCommand::Suspend { account, reason } => {
            act(
                out,
                session,
                signer,
                json!({"action": "suspend_member", "account": account, "reason": reason}),
            )
            .await?
        }
        MemberCommand::Profile { account, reason } => {
            let reason: String = reason
                .bytes()
                .map(|b| match b {
                    b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect();
            out.record(
                &session
                    .get::<Value>(&format!("/v1/members/{account}/profile?reason={reason}"))
                    .await?,
            )
        }
        MemberCommand::Verify { account, profile } => {
            let profile: Value = serde_json::from_slice(&std::fs::read(profile)?)
                .wrap_err_with(|| format!("{} is not JSON", profile.display()))?;
            out.record(
                &session
                    .post::<Value>(
                        &format!("/v1/members/{account}/verify"),
                        &json!({"profile": profile}),
                    )
                    .await?,
            )
        }
    }
    Ok(())
}

/// A write: prepared by the gateway, signed here, relayed by the gateway.
async fn act(
    out: &Output,
    session: &Session,
    signer: &PrivateKeySigner,
    action: Value,
) -> eyre::Result<()> {
    let spinner = out.spinner("signing and relaying");
    let answer = session.act(signer, action).await;
    spinner.finish_and_clear();
    let answer = answer?;
    if out.json {
        println!("{answer}");
    } else if answer["success"] == true {
        println!(
            "done: transaction {} in block {}{}",
            answer["txHash"].as_str().unwrap_or_default(),
            answer["blockNumber"],
            match answer["monitor"]["action"].as_str() {
                Some("flag") => " (flagged by the monitor: a case was opened)".to_owned(),
                Some("hold") => " (held by the monitor until a supervisor decides)".to_owned(),
                _ => String::new(),
            }
        );
    } else {
        bail!(
            "transaction {} failed: {}",
            answer["txHash"].as_str().unwrap_or_default(),
            answer["failure"].as_str().unwrap_or("no reason given")
        );
    }
    Ok(())
}

async fn events(cli: &Cli, session: &Session) -> eyre::Result<()> {
    // The client's session is for JSON calls; the stream needs the raw response.
    let token = session_token(session)?;
    let response = reqwest::Client::new()
        .get(format!("{}/v1/events", cli.gateway.trim_end_matches('/')))
        .bearer_auth(token)
        .send()
        .await?;
    if !response.status().is_success() {
        bail!("{}: {}", response.status(), response.text().await?);
    }
    eprintln!("following {} (Ctrl-C stops)", cli.gateway);
    let mut body = response.bytes_stream();
    let mut buffer = String::new();
    while let Some(chunk) = tokio::time::timeout(Duration::from_secs(3600), body.next()).await? {
        buffer.push_str(&String::from_utf8_lossy(&chunk?));
        while let Some(end) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..end + 2).collect();
            let name = frame.lines().find_map(|l| l.strip_prefix("event: "));
            let data = frame.lines().find_map(|l| l.strip_prefix("data: "));
            if let (Some(name), Some(data)) = (name, data) {
                if cli.json {
                    println!("{data}");
                } else {
                    let event: Value = serde_json::from_str(data).unwrap_or(Value::Null);
                    println!(
                        "block {:>8}  {name:<18} {}",
                        event["blockNumber"], event["fields"]
                    );
                }
            }
        }
    }
    Ok(())
}

fn session_token(session: &Session) -> eyre::Result<String> {
    session
        .token()
        .map(str::to_owned)
        .ok_or_else(|| eyre!("not signed in"))
}

/// Exact base units (18 decimals) as hours, without trailing zeros.
fn hours(amount: &Value) -> String {
    let text = amount.as_str().unwrap_or("0");
    match alloy::primitives::utils::format_units(
        text.parse::<alloy::primitives::U256>().unwrap_or_default(),
        18,
    ) {
        Ok(h) if h.contains('.') => h.trim_end_matches('0').trim_end_matches('.').to_owned(),
        Ok(h) => h,
        Err(_) => text.to_owned(),
    }
}

struct Output {
    json: bool,
}

impl Output {
    fn record(&self, value: &Value) {
        if self.json {
            println!("{value}");
            return;
        }
        let mut table = Table::new();
        table.load_preset(UTF8_FULL_CONDENSED);
        if let Some(fields) = value.as_object() {
            for (k, v) in fields {
                table.add_row(vec![k.clone(), cell(v)]);
            }
        }
        println!("{table}");
    }

    fn rows(&self, value: &Value, columns: &[&str]) {
        if self.json {
            println!("{value}");
            return;
        }
        let rows = value.as_array().cloned().unwrap_or_default();
        if rows.is_empty() {
            println!("(none)");
            return;
        }
        let mut table = Table::new();
        table
            .load_preset(UTF8_FULL_CONDENSED)
            .set_header(columns.to_vec());
        for row in rows {
            table.add_row(columns.iter().map(|c| {
                if *c == "amount" {
                    hours(&row[*c])
                } else {
                    cell(&row[*c])
                }
            }));
        }
        println!("{table}");
    }

    /// A spinner on a terminal, nothing otherwise.
    fn spinner(&self, message: &str) -> indicatif::ProgressBar {
        if self.json || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            return indicatif::ProgressBar::hidden();
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message(message.to_owned());
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    }
}

fn cell(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}
