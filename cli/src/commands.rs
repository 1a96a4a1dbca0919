//! The command line's commands and their arguments. Enum arguments take the contracts' names
//! (`--level high`), listed in `--help` from the generated types.

use alloy::primitives::{Address, B256};
use clap::Subcommand;
use std::path::PathBuf;
use timebank_bindings::types::{
    ActivityKind, ActivityStatus, CaseStatus, CredentialKind, Purpose, RiskLevel, ServiceStatus,
};
use timebank_client::action::StaffRole;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a keystore, or import a key from a file into one.
    Keystore {
        #[command(subcommand)]
        command: KeystoreCommand,
    },
    /// Who you are on chain: roles, branch.
    Whoami,
    /// The branches.
    Branches,
    /// Members: show, submit, approve, reject, suspend, reinstate, close, profiles.
    Member {
        #[command(subcommand)]
        command: MemberCommand,
    },
    /// Moves between branches: request, accept, cancel.
    Move {
        #[command(subcommand)]
        command: MoveCommand,
    },
    /// Ask to move a lost wallet's membership to a new wallet (operators); a supervisor
    /// decides the case that opens.
    Recover {
        /// The lost wallet.
        previous: Address,
        /// The member's new wallet.
        new: Address,
        /// Why, and how the member's identity was checked (its hash goes on chain).
        #[arg(long)]
        reason: String,
    },
    /// Risk: set a level, raise a partner's alert, assess an alert.
    Risk {
        #[command(subcommand)]
        command: RiskCommand,
    },
    /// Credentials: issue, renew, revoke, declare an upload.
    Credential {
        #[command(subcommand)]
        command: CredentialCommand,
    },
    /// Activities and trainings: create, close, join, record and confirm hours, settle.
    Activity {
        #[command(subcommand)]
        command: ActivityCommand,
    },
    /// Services between members: propose, confirm (pays), cancel.
    Service {
        #[command(subcommand)]
        command: ServiceCommand,
    },
    /// Give a member coins (a gift). A service is paid otherwise: its provider proposes it
    /// (`service propose`) and you confirm it (`service confirm`), which pays.
    Pay {
        /// The recipient.
        to: Address,
        /// Hours, e.g. 1.5.
        hours: String,
        /// What it is for (its hash goes on chain).
        #[arg(long)]
        reference: Option<String>,
    },
    /// Give coins back to the bank.
    Redeem {
        /// Hours.
        hours: String,
        /// Why (its hash goes on chain).
        #[arg(long)]
        reference: Option<String>,
    },
    /// An account's balance and payments (yours by default).
    Payments {
        /// The account.
        account: Option<Address>,
        /// Only this purpose.
        #[arg(long, value_enum)]
        purpose: Option<Purpose>,
    },
    /// Supervision cases, newest first.
    Cases {
        /// Only cases in this state.
        #[arg(long, value_enum)]
        status: Option<CaseStatus>,
        /// Only this branch's members.
        #[arg(long)]
        branch: Option<u64>,
    },
    /// Decide a case (supervisors); the note stays off chain, its hash goes on chain.
    Decide {
        /// The case.
        case_id: u64,
        /// cleared or confirmed.
        #[arg(long, value_enum)]
        outcome: CaseStatus,
        /// Why.
        #[arg(long)]
        note: String,
        /// The member's risk level after the decision.
        #[arg(long, default_value = "none", value_enum)]
        risk: RiskLevel,
    },
    /// Have the desk take over coins held while no desk opened cases (supervisors).
    AdoptHold {
        /// The hold.
        hold_id: u64,
    },
    /// A branch's data-package key: propose, confirm (a second party, after the delay), cancel.
    BranchKey {
        #[command(subcommand)]
        command: BranchKeyCommand,
    },
    /// Settlements above this many hours need two operators (0: none do).
    SecondApproval {
        /// The branch.
        branch: u32,
        /// Hours.
        hours: String,
    },
    /// Follow the live stream of alerts, case decisions, risk and credential changes.
    Events,
    /// Members of a branch waiting for a second operator (yours by default).
    Pending {
        /// The branch.
        #[arg(long)]
        branch: Option<u64>,
    },
    /// Members moving into a branch (yours by default), or out of it (`--out`).
    Moves {
        /// The branch.
        #[arg(long)]
        branch: Option<u64>,
        /// Moves out rather than in.
        #[arg(long)]
        out: bool,
    },
    /// Activities and trainings with their participants, newest first.
    Activities {
        /// Only this branch's.
        #[arg(long)]
        branch: Option<u64>,
        /// Only open or closed ones.
        #[arg(long, value_enum)]
        status: Option<ActivityStatus>,
    },
    /// Services: yours (members), your branch's (operators), any (supervisors).
    Services {
        /// Only in this state (`proposed`: waiting for the requester).
        #[arg(long, value_enum)]
        status: Option<ServiceStatus>,
    },
    /// Partners' risk alerts, newest first.
    Alerts {
        /// Only those not assessed yet.
        #[arg(long)]
        pending: bool,
    },
    /// A branch's minting quota: limit, minted, left (yours by default).
    Quota {
        /// The branch.
        #[arg(long)]
        branch: Option<u64>,
    },
    /// Credential types and who may issue them.
    CredentialTypes,
    /// Credentials of a branch's members (yours by default) expiring soon.
    Expiring {
        /// The branch.
        #[arg(long)]
        branch: Option<u64>,
        /// Within this many days.
        #[arg(long, default_value_t = 30)]
        days: u32,
    },
    /// Members whose identity documents give one uniqueness key (suspected duplicates), keys
    /// to renew after a rotation, profiles that can't be checked (auditors, supervisors, the
    /// admin; every profile opened is a logged read).
    Duplicates,
    /// Reads of private profiles at this gateway, newest first (auditors and the admin).
    AccessLog {
        /// Only reads of this member's profile.
        #[arg(long)]
        account: Option<Address>,
    },
    /// Audit a branch (the gateway's by default): every member's sealed profile opens and matches its
    /// commitment, and the index agrees with the contracts (auditors, supervisors, the admin).
    Audit {
        /// The branch.
        #[arg(long)]
        branch: Option<u64>,
    },
    /// Let a partner institution hear of changes to your membership (risk, status, decided
    /// cases), or withdraw it.
    Consent {
        /// The partner.
        partner: Address,
        /// Withdraw the consent.
        #[arg(long)]
        withdraw: bool,
    },
    /// Partners: where your webhooks go, their secret, the messages sent.
    Partner {
        #[command(subcommand)]
        command: PartnerCommand,
    },
    /// The platform admin's routine work: branches, staff roles, credential types, quotas.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum PartnerCommand {
    /// Receive webhooks at this https:// URL (the first time, prints the signing secret).
    Webhook {
        /// The endpoint.
        url: String,
    },
    /// A new signing secret (the previous one keeps signing for a day).
    Rotate,
    /// Messages sent to you (or everyone's: admin, auditors).
    Messages {
        /// pending, delivered or dead.
        #[arg(long, default_value = "pending")]
        state: String,
    },
    /// Send a message again, under the same id.
    Redeliver {
        /// The message's id (`msg_…`).
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Add a branch with its data-package public key.
    AddBranch {
        /// Its name.
        name: String,
        /// Its region.
        region: String,
        /// Its X25519 public key (0x + 64 hex digits).
        #[arg(long)]
        public_key: B256,
    },
    /// Close a branch: its operators can't act until it reopens.
    CloseBranch {
        /// The branch.
        branch: u32,
    },
    /// Reopen a closed branch.
    OpenBranch {
        /// The branch.
        branch: u32,
    },
    /// Grant a staff role (`operator`/`gateway` of a branch, `issuer` of a credential type:
    /// with `--id`).
    Grant {
        /// operator, issuer, gateway, partner, auditor, monitoring_agent.
        #[arg(value_parser = staff_role)]
        role: StaffRole,
        /// The account.
        account: Address,
        /// The branch or credential type the role is of.
        #[arg(long)]
        id: Option<u32>,
    },
    /// Take a staff role away.
    Revoke {
        /// operator, issuer, gateway, partner, auditor, monitoring_agent.
        #[arg(value_parser = staff_role)]
        role: StaffRole,
        /// The account.
        account: Address,
        /// The branch or credential type the role is of.
        #[arg(long)]
        id: Option<u32>,
    },
    /// Define a credential type.
    DefineCredentialType {
        /// Its name.
        name: String,
        /// What it attests.
        #[arg(long, value_enum)]
        kind: CredentialKind,
    },
    /// Switch a credential type off (its credentials stop counting) or back on (`--on`).
    CredentialTypeActive {
        /// The type.
        type_id: u32,
        /// Switch it on.
        #[arg(long)]
        on: bool,
    },
    /// Set a branch's minting quota, in hours.
    SetQuota {
        /// The branch.
        branch: u32,
        /// Hours.
        hours: String,
    },
    /// Give every member whose uniqueness key is stale (after a rotation of the uniqueness
    /// key to a new epoch, or registered before keys) the key of their document; a key another member
    /// holds is reported, not forced.
    Rekey,
    /// The monitoring rules in force and the governor's delay.
    Rules,
    /// Propose monitoring rules: the ones in force with your changes. They wait in the
    /// governor's public queue for its delay, then anyone carries them out (`admin execute`).
    ProposeRules {
        /// Switch a rule on (by name, e.g. `structuring`); repeatable.
        #[arg(long)]
        enable: Vec<String>,
        /// Switch a rule off; repeatable.
        #[arg(long)]
        disable: Vec<String>,
        /// What a rule does when it fires, as RULE=ACTION (`none`, `flag`, `hold`, `block`);
        /// repeatable.
        #[arg(long, value_name = "RULE=ACTION")]
        action: Vec<String>,
        /// A threshold or window, as NAME=NUMBER with the names `admin rules --json` shows
        /// (e.g. `largeGift=12`, `windowSecs=43200`); repeatable.
        #[arg(long, value_name = "NAME=NUMBER")]
        set: Vec<String>,
        /// Wait longer than the governor's least delay, in seconds.
        #[arg(long)]
        delay_secs: Option<u64>,
    },
    /// The governor's queue: proposed changes, when each may be carried out, what became of it.
    Governance,
    /// Carry out a governed change whose delay has passed.
    Execute {
        /// Its id (from `admin governance`).
        id: B256,
    },
    /// Withdraw a governed change before it is carried out.
    Cancel {
        /// Its id.
        id: B256,
    },
}

/// A staff role by its API name.
fn staff_role(name: &str) -> Result<StaffRole, String> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).map_err(|_| {
        format!(
            "{name:?} is not a staff role: operator, issuer, gateway, partner, auditor, \
             monitoring_agent"
        )
    })
}

#[derive(Debug, Subcommand)]
pub enum KeystoreCommand {
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
pub enum MemberCommand {
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
        /// The profile (JSON with fullName, dateOfBirth, contact, identityDocument {type, number}).
        #[arg(long)]
        profile: PathBuf,
    },
    /// Publish a new version of a member's profile (a JSON file).
    UpdateProfile {
        /// The member.
        account: Address,
        /// The profile.
        #[arg(long)]
        profile: PathBuf,
    },
    /// Approve a member another operator of your branch submitted.
    Approve {
        /// The member.
        account: Address,
    },
    /// Reject a submitted member.
    Reject {
        /// The member.
        account: Address,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Suspend a member of your branch.
    Suspend {
        /// The member.
        account: Address,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Reinstate a suspended member.
    Reinstate {
        /// The member.
        account: Address,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Close a membership (a member holding coins: supervisors, who redeem them).
    Close {
        /// The member.
        account: Address,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Free a Closed member's uniqueness key so the person may register again (supervisors).
    ReleaseKey {
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
pub enum MoveCommand {
    /// Ask another branch to take a member over (the member or their home branch).
    Request {
        /// The member.
        account: Address,
        /// The branch to move to.
        to_branch: u32,
    },
    /// Accept a move to your branch.
    Accept {
        /// The member.
        account: Address,
    },
    /// Withdraw or decline a move.
    Cancel {
        /// The member.
        account: Address,
    },
}

#[derive(Debug, Subcommand)]
pub enum RiskCommand {
    /// Set a member's risk level.
    Set {
        /// The member.
        account: Address,
        /// The level.
        #[arg(long, value_enum)]
        level: RiskLevel,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Raise a risk alert on a member (partner institutions).
    Alert {
        /// The member.
        account: Address,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Assess a partner's alert (supervisors).
    Assess {
        /// The alert.
        alert_id: u64,
        /// The member's level after the assessment.
        #[arg(long, value_enum)]
        level: RiskLevel,
        /// Why.
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum CredentialCommand {
    /// Issue a credential.
    Issue {
        /// The member.
        account: Address,
        /// Credential type id.
        #[arg(long = "type")]
        type_id: u32,
        /// Hash of the document (0x + 64 hex digits).
        #[arg(long)]
        document_hash: B256,
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
        document_hash: B256,
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
    /// Declare a document you uploaded, under a self-declared type.
    Declare {
        /// Credential type id (a self-declared type).
        #[arg(long = "type")]
        type_id: u32,
        /// Hash of the document.
        #[arg(long)]
        document_hash: B256,
        /// Unix seconds.
        #[arg(long)]
        expires_at: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum ActivityCommand {
    /// Create an activity or a training at your branch.
    Create {
        /// Your branch.
        #[arg(long)]
        branch: u32,
        /// What kind.
        #[arg(long, default_value = "activity", value_enum)]
        kind: ActivityKind,
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
    /// Close an activity to joining and recording.
    Close {
        /// The activity.
        activity: u64,
    },
    /// Join an activity (members).
    Join {
        /// The activity.
        activity: u64,
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
    /// Confirm the hours recorded for you, as you saw them.
    Confirm {
        /// The activity.
        activity: u64,
        /// The hours you confirm.
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

#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// Record a service you gave another member.
    Propose {
        /// Who received it.
        requester: Address,
        /// Hours.
        hours: String,
        /// What it was.
        #[arg(long)]
        details: String,
    },
    /// Confirm a service you received: this pays the provider.
    Confirm {
        /// The service.
        service_id: u64,
    },
    /// Withdraw a proposed service.
    Cancel {
        /// The service.
        service_id: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum BranchKeyCommand {
    /// Propose a branch's next data-package key (32 bytes hex).
    Propose {
        /// The branch.
        branch: u32,
        /// The X25519 public key.
        public_key: B256,
    },
    /// Confirm a key another party proposed, once its delay has passed.
    Confirm {
        /// The branch.
        branch: u32,
    },
    /// Withdraw a proposed key.
    Cancel {
        /// The branch.
        branch: u32,
    },
}
