//! `timebank`: the command line of a branch's people — operators, issuers, supervisors,
//! partners and members. It signs in to a branch gateway with the user's encrypted JSON
//! keystore (never a raw key on the command line). Every write is encoded here from the command
//! (`timebank_client::Action`), shown in words with the monitor's verdict, confirmed (unless
//! `--yes`), signed by that wallet and relayed by the gateway; the client refuses to sign
//! anything the gateway prepared differently. Tables for people, `--json` for scripts.
//!
//! # Layout
//! - `commands`: the commands and their arguments
//! - `keystore`: keystores and the signer
//! - `output`: tables and JSON
//! - `writer`: a write shown, confirmed, signed and relayed

mod commands;
mod governance;
mod keystore;
mod output;
mod writer;

use alloy::primitives::Address;
use clap::Parser;
use commands::{
    ActivityCommand, AdminCommand, BranchKeyCommand, Command, CredentialCommand, MemberCommand,
    MoveCommand, PartnerCommand, RiskCommand, ServiceCommand,
};
use eyre::{WrapErr, bail, eyre};
use futures::StreamExt;
use output::Output;
use serde_json::{Value, json};
use std::{path::PathBuf, time::Duration};
use timebank_bindings::types::Purpose;
use timebank_client::{Action, Deployment, Gateway, Session, api::ProfileAction};
use writer::Writer;

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
    /// The deployment file (`make up` writes data/deployment.json): the contracts this command
    /// signs for. Writes are built from it, never from what the gateway says.
    #[arg(
        long,
        global = true,
        env = "TIMEBANK_DEPLOYMENT",
        default_value = "data/deployment.json"
    )]
    deployment: PathBuf,
    /// Your encrypted JSON keystore (alloy / geth format).
    #[arg(long, global = true, env = "TIMEBANK_KEYSTORE")]
    keystore: Option<PathBuf>,
    /// A file holding the keystore's password; without it you are asked.
    #[arg(long, global = true, env = "TIMEBANK_PASSWORD_FILE")]
    password_file: Option<PathBuf>,
    /// Sign writes without showing them and asking first.
    #[arg(long, global = true)]
    yes: bool,
    /// Print JSON instead of tables.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
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
        return keystore::command(&cli, command);
    }
    let signer = keystore::signer(&cli)?;
    let deployment = Deployment::load(&cli.deployment).wrap_err(
        "the command line signs only for the contracts of a deployment file it trusts: \
         --deployment FILE or TIMEBANK_DEPLOYMENT",
    )?;
    let gateway = Gateway::new(&cli.gateway, deployment)?;
    let session = gateway
        .sign_in(&signer)
        .await
        .wrap_err_with(|| format!("signing in to {}", cli.gateway))?;
    let out = Output { json: cli.json };
    let w = Writer {
        out: &out,
        session: &session,
        signer: &signer,
        yes: cli.yes,
    };
    match &cli.command {
        Command::Keystore { .. } => unreachable!("handled above"),
        Command::Whoami => out.record(&session.get::<Value>("/v1/auth/me").await?),
        Command::Branches => out.rows(
            &session.get::<Value>("/v1/branches").await?,
            &["branchId", "name", "region", "active"],
        ),
        Command::Member { command } => member(&w, command).await?,
        Command::Move { command } => {
            w.act(match command {
                MoveCommand::Request { account, to_branch } => Action::RequestMove {
                    account: *account,
                    to_branch: *to_branch,
                },
                MoveCommand::Accept { account } => Action::AcceptMove { account: *account },
                MoveCommand::Cancel { account } => Action::CancelMove { account: *account },
            })
            .await?
        }
        Command::Recover {
            previous,
            new,
            reason,
        } => {
            w.act(Action::RequestRecovery {
                previous_account: *previous,
                new_account: *new,
                reason: reason.clone(),
            })
            .await?
        }
        Command::Risk { command } => {
            w.act(match command {
                RiskCommand::Set {
                    account,
                    level,
                    reason,
                } => Action::SetRiskLevel {
                    account: *account,
                    level: *level,
                    reason: reason.clone(),
                },
                RiskCommand::Alert { account, reason } => Action::RaiseRiskAlert {
                    account: *account,
                    reason: reason.clone(),
                },
                RiskCommand::Assess {
                    alert_id,
                    level,
                    reason,
                } => Action::AssessRiskAlert {
                    alert_id: *alert_id,
                    level: *level,
                    reason: reason.clone(),
                },
            })
            .await?
        }
        Command::Credential { command } => w.act(credential(command)).await?,
        Command::Activity { command } => w.act(activity(command)).await?,
        Command::Service { command } => {
            w.act(match command {
                ServiceCommand::Propose {
                    requester,
                    hours,
                    details,
                } => Action::ProposeService {
                    requester: *requester,
                    hours: hours.clone(),
                    details: details.clone(),
                },
                ServiceCommand::Confirm { service_id } => Action::ConfirmService {
                    service_id: *service_id,
                },
                ServiceCommand::Cancel { service_id } => Action::CancelService {
                    service_id: *service_id,
                },
            })
            .await?
        }
        Command::Pay {
            to,
            hours,
            reference,
        } => {
            w.act(Action::Pay {
                to: *to,
                hours: hours.clone(),
                purpose: Purpose::Gift,
                reference: reference.clone(),
            })
            .await?
        }
        Command::Redeem { hours, reference } => {
            w.act(Action::Redeem {
                hours: hours.clone(),
                reference: reference.clone(),
            })
            .await?
        }
        Command::Payments { account, purpose } => {
            payments(&out, &session, account.unwrap_or(session.address), *purpose).await?
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
                    "kind",
                    "account",
                    "homeBranch",
                    "rules",
                    "action",
                    "amount",
                    "status",
                    "openedAt",
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
            w.act(Action::DecideCase {
                case_id: *case_id,
                outcome: *outcome,
                note: note.clone(),
                risk_level: *risk,
            })
            .await?
        }
        Command::AdoptHold { hold_id } => w.act(Action::AdoptHold { hold_id: *hold_id }).await?,
        Command::BranchKey { command } => {
            w.act(match command {
                BranchKeyCommand::Propose { branch, public_key } => Action::ProposeBranchKey {
                    branch_id: *branch,
                    public_key: *public_key,
                },
                BranchKeyCommand::Confirm { branch } => {
                    Action::ConfirmBranchKey { branch_id: *branch }
                }
                BranchKeyCommand::Cancel { branch } => {
                    Action::CancelBranchKey { branch_id: *branch }
                }
            })
            .await?
        }
        Command::SecondApproval { branch, hours } => {
            w.act(Action::SetSecondApproval {
                branch_id: *branch,
                hours: hours.clone(),
            })
            .await?
        }
        Command::Events => events(&cli, &session).await?,
        Command::Pending { branch } => {
            let branch = own_branch(&session, *branch).await?;
            out.rows(
                &session
                    .get::<Value>(&format!("/v1/branches/{branch}/pending-members?limit=1000"))
                    .await?,
                &["account", "memberId", "submittedBy", "submittedAt"],
            )
        }
        Command::Moves {
            branch,
            out: outgoing,
        } => {
            let branch = own_branch(&session, *branch).await?;
            let direction = if *outgoing { "out" } else { "in" };
            out.rows(
                &session
                    .get::<Value>(&format!(
                        "/v1/branches/{branch}/moves?direction={direction}&limit=1000"
                    ))
                    .await?,
                &[
                    "account",
                    "memberId",
                    "homeBranch",
                    "pendingMoveTo",
                    "updatedAt",
                ],
            )
        }
        Command::Activities { branch, status } => {
            let mut query = vec!["limit=1000".to_owned()];
            if let Some(branch) = branch {
                query.push(format!("branch={branch}"));
            }
            if let Some(status) = status {
                query.push(format!("status={status}"));
            }
            out.rows(
                &session
                    .get::<Value>(&format!("/v1/activities?{}", query.join("&")))
                    .await?,
                &[
                    "activityId",
                    "branchId",
                    "kind",
                    "status",
                    "hoursCap",
                    "details",
                    "participants",
                    "updatedAt",
                ],
            )
        }
        Command::Services { status } => {
            let query = status.map_or_else(String::new, |s| format!("&status={s}"));
            out.rows(
                &session
                    .get::<Value>(&format!("/v1/services?limit=1000{query}"))
                    .await?,
                &[
                    "serviceId",
                    "provider",
                    "requester",
                    "amount",
                    "status",
                    "details",
                    "updatedAt",
                ],
            )
        }
        Command::Alerts { pending } => out.rows(
            &session
                .get::<Value>(&format!("/v1/alerts?limit=1000&pending={pending}"))
                .await?,
            &[
                "alertId",
                "account",
                "homeBranch",
                "partner",
                "assessed",
                "level",
                "updatedAt",
            ],
        ),
        Command::Quota { branch } => {
            let branch = own_branch(&session, *branch).await?;
            out.record(
                &session
                    .get::<Value>(&format!("/v1/branches/{branch}/quota"))
                    .await?,
            )
        }
        Command::CredentialTypes => out.rows(
            &session.get::<Value>("/v1/credential-types").await?,
            &["typeId", "kind", "name", "active", "issuers"],
        ),
        Command::Expiring { branch, days } => {
            let branch = own_branch(&session, *branch).await?;
            out.rows(
                &session
                    .get::<Value>(&format!(
                        "/v1/branches/{branch}/expiring-credentials?days={days}&limit=1000"
                    ))
                    .await?,
                &["account", "memberId", "typeName", "expiresAt", "issuer"],
            )
        }
        Command::Duplicates => {
            let audit: Value = session.get("/v1/audit/uniqueness").await?;
            if out.json {
                println!("{audit}");
            } else {
                for group in audit["shared"].as_array().into_iter().flatten() {
                    println!("疑似重复 / one person, several memberships:");
                    out.rows(group, &["account", "memberId", "homeBranch"]);
                }
                println!("待更新密钥 / keys to renew (`timebank admin rekey`):");
                out.rows(
                    &audit["stale"],
                    &["account", "memberId", "homeBranch", "why"],
                );
                println!("无法核对 / not checked:");
                out.rows(
                    &audit["unreadable"],
                    &["account", "memberId", "homeBranch", "why"],
                );
            }
        }
        Command::AccessLog { account } => {
            let filter = account.map_or(String::new(), |a| format!("&account={a}"));
            out.rows(
                &session
                    .get::<Value>(&format!("/v1/access-log?limit=1000{filter}"))
                    .await?,
                &[
                    "at",
                    "reader",
                    "readerRoles",
                    "account",
                    "profileVersion",
                    "reason",
                ],
            );
        }
        Command::Audit { branch } => {
            // Without --branch, the gateway's own.
            let scope = branch.map_or(String::new(), |b| format!("?branch={b}"));
            let report = session.get::<Value>(&format!("/v1/audit{scope}")).await?;
            out.record(&report);
            if report["problems"].as_array().is_some_and(|p| !p.is_empty()) {
                eyre::bail!(
                    "the audit of branch {} found problems (listed above)",
                    report["branch"]
                );
            }
        }
        Command::Admin { command } => match admin(command) {
            Some(action) => w.act(action).await?,
            None => governance::run(command, &w).await?,
        },
        Command::Consent { partner, withdraw } => {
            w.act(Action::SetPartnerConsent {
                partner: *partner,
                granted: !*withdraw,
            })
            .await?
        }
        Command::Partner { command } => match command {
            PartnerCommand::Webhook { url } => out.record(
                &session
                    .put::<Value>("/v1/partner/webhook", &json!({ "url": url }))
                    .await?,
            ),
            PartnerCommand::Rotate => out.record(
                &session
                    .post::<Value>("/v1/partner/webhook/rotate", &json!({}))
                    .await?,
            ),
            PartnerCommand::Messages { state } => out.rows(
                &session
                    .get::<Value>(&format!("/v1/partner/messages?state={state}&limit=1000"))
                    .await?,
                &[
                    "id",
                    "type",
                    "timestamp",
                    "attempts",
                    "deliveredAt",
                    "dead",
                    "lastError",
                ],
            ),
            PartnerCommand::Redeliver { id } => {
                session
                    .post::<Value>(&format!("/v1/partner/messages/{id}/redeliver"), &json!({}))
                    .await?;
                if !out.json {
                    println!("queued: {id} goes out again");
                }
            }
        },
    }
    Ok(())
}

/// `branch`, or the branch the signed-in operator serves.
async fn own_branch(session: &Session, branch: Option<u64>) -> eyre::Result<u64> {
    if let Some(branch) = branch {
        return Ok(branch);
    }
    let me: Value = session.get("/v1/auth/me").await?;
    me["operatorBranch"]
        .as_u64()
        .ok_or_else(|| eyre!("you operate no branch: name one with --branch"))
}

/// The admin's write, or `None` for the governance commands (`governance::run`).
fn admin(command: &AdminCommand) -> Option<Action> {
    Some(match command {
        AdminCommand::AddBranch {
            name,
            region,
            public_key,
        } => Action::AddBranch {
            name: name.clone(),
            region: region.clone(),
            public_key: *public_key,
        },
        AdminCommand::CloseBranch { branch } => Action::SetBranchActive {
            branch_id: *branch,
            active: false,
        },
        AdminCommand::OpenBranch { branch } => Action::SetBranchActive {
            branch_id: *branch,
            active: true,
        },
        AdminCommand::Grant { role, account, id } => Action::GrantRole {
            role: *role,
            id: *id,
            account: *account,
        },
        AdminCommand::Revoke { role, account, id } => Action::RevokeRole {
            role: *role,
            id: *id,
            account: *account,
        },
        AdminCommand::DefineCredentialType { name, kind } => Action::DefineCredentialType {
            kind: *kind,
            name: name.clone(),
        },
        AdminCommand::CredentialTypeActive { type_id, on } => Action::SetCredentialTypeActive {
            type_id: *type_id,
            active: *on,
        },
        AdminCommand::SetQuota { branch, hours } => Action::SetMintQuota {
            branch_id: *branch,
            hours: hours.clone(),
        },
        AdminCommand::Rekey
        | AdminCommand::Rules
        | AdminCommand::ProposeRules { .. }
        | AdminCommand::Governance
        | AdminCommand::Execute { .. }
        | AdminCommand::Cancel { .. } => return None,
    })
}

fn credential(command: &CredentialCommand) -> Action {
    match command {
        CredentialCommand::Issue {
            account,
            type_id,
            document_hash,
            expires_at,
        } => Action::IssueCredential {
            account: *account,
            type_id: *type_id,
            document_hash: *document_hash,
            expires_at: *expires_at,
        },
        CredentialCommand::Renew {
            account,
            type_id,
            document_hash,
            expires_at,
        } => Action::RenewCredential {
            account: *account,
            type_id: *type_id,
            document_hash: *document_hash,
            expires_at: *expires_at,
        },
        CredentialCommand::Revoke {
            account,
            type_id,
            reason,
        } => Action::RevokeCredential {
            account: *account,
            type_id: *type_id,
            reason: reason.clone(),
        },
        CredentialCommand::Declare {
            type_id,
            document_hash,
            expires_at,
        } => Action::DeclareCredential {
            type_id: *type_id,
            document_hash: *document_hash,
            expires_at: *expires_at,
        },
    }
}

fn activity(command: &ActivityCommand) -> Action {
    match command {
        ActivityCommand::Create {
            branch,
            kind,
            hours_cap,
            requires,
            details,
        } => Action::CreateActivity {
            branch_id: *branch,
            kind: *kind,
            hours_cap: hours_cap.clone(),
            required_credential_type: *requires,
            details: details.clone(),
        },
        ActivityCommand::Close { activity } => Action::CloseActivity {
            activity_id: *activity,
        },
        ActivityCommand::Join { activity } => Action::JoinActivity {
            activity_id: *activity,
        },
        ActivityCommand::Hours {
            activity,
            volunteer,
            hours,
        } => Action::RecordHours {
            activity_id: *activity,
            volunteer: *volunteer,
            hours: hours.clone(),
        },
        ActivityCommand::Confirm { activity, hours } => Action::ConfirmHours {
            activity_id: *activity,
            hours: hours.clone(),
        },
        ActivityCommand::Settle {
            activity,
            volunteer,
        } => Action::Settle {
            activity_id: *activity,
            volunteer: *volunteer,
        },
    }
}

async fn member(w: &Writer<'_>, command: &MemberCommand) -> eyre::Result<()> {
    let (out, session) = (w.out, w.session);
    match command {
        MemberCommand::Show { account } => out.record(
            &session
                .get::<Value>(&format!("/v1/members/{account}"))
                .await?,
        ),
        MemberCommand::Submit { account, profile }
        | MemberCommand::UpdateProfile { account, profile } => {
            let action = if matches!(command, MemberCommand::Submit { .. }) {
                ProfileAction::Submit
            } else {
                ProfileAction::Update
            };
            let profile: Value = serde_json::from_slice(&std::fs::read(profile)?)
                .wrap_err_with(|| format!("{} is not JSON", profile.display()))?;
            let spinner = out.spinner("sealing the profile");
            let sealed = session.seal_profile(*account, profile, action).await;
            spinner.finish_and_clear();
            let (checked, kept) = sealed?;
            let answer = w.sign(&checked).await?;
            if out.json {
                println!(
                    "{}",
                    json!({"account": account, "profile": kept, "transaction": answer})
                );
            } else {
                println!(
                    "{account}: profile published{}.\n\
                     Give the member this profile (what they present to be verified):\n{}",
                    if action == ProfileAction::Submit {
                        "; a second operator of your branch approves the member"
                    } else {
                        ""
                    },
                    serde_json::to_string_pretty(&kept)?
                );
            }
        }
        MemberCommand::Approve { account } => {
            w.act(Action::ApproveMember { account: *account }).await?
        }
        MemberCommand::Reject { account, reason } => {
            w.act(Action::RejectMember {
                account: *account,
                reason: reason.clone(),
            })
            .await?
        }
        MemberCommand::Suspend { account, reason } => {
            w.act(Action::SuspendMember {
                account: *account,
                reason: reason.clone(),
            })
            .await?
        }
        MemberCommand::Reinstate { account, reason } => {
            w.act(Action::ReinstateMember {
                account: *account,
                reason: reason.clone(),
            })
            .await?
        }
        MemberCommand::ReleaseKey { account, reason } => {
            w.act(Action::ReleaseUniquenessKey {
                account: *account,
                reason: reason.clone(),
            })
            .await?
        }
        MemberCommand::Close { account, reason } => {
            w.act(Action::CloseMember {
                account: *account,
                reason: reason.clone(),
            })
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

async fn payments(
    out: &Output,
    session: &Session,
    account: Address,
    purpose: Option<Purpose>,
) -> eyre::Result<()> {
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
        println!(
            "balance of {account}: {}",
            output::hours(&balance["amount"])
        );
        out.rows(
            &payments,
            &["blockTime", "sender", "recipient", "amount", "purpose"],
        );
    }
    Ok(())
}

async fn events(cli: &Cli, session: &Session) -> eyre::Result<()> {
    // The client's session is for JSON calls; the stream needs the raw response.
    let token = session
        .token()
        .map(str::to_owned)
        .ok_or_else(|| eyre!("not signed in"))?;
    let response = reqwest::Client::new()
        .get(format!("{}/v1/events", session.gateway().base()))
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
                        "{:<20}  {name:<18} {}",
                        event["blockTime"].as_str().unwrap_or_default(),
                        event["fields"]
                    );
                }
            }
        }
    }
    Ok(())
}
