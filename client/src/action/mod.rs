//! Every write a person makes, as an action, and the one place an action becomes a contract
//! call: the client encodes the call it signs from here, and the gateway prepares and checks the
//! same one. Texts (reasons, notes, details, references) go on chain only as their keccak256.

use alloy::primitives::{Address, B256, Bytes, U256, aliases::U40, utils::parse_units};
use serde::{Deserialize, Serialize};
use timebank_bindings::types::{ActivityKind, CaseStatus, CredentialKind, Purpose, RiskLevel};

/// The longest text an action may carry.
pub const MAX_TEXT: usize = 4096;

/// What to do. Hours are decimal strings (`"1.5"`); reasons and notes are text, whose hash goes
/// on chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
#[allow(missing_docs)]
pub enum Action {
    /// A second operator of the branch approves a submitted member.
    ApproveMember {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        account: Address,
    },
    /// An operator rejects a submitted member.
    RejectMember {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        account: Address,
        reason: String,
    },
    /// An operator of the home branch (or a supervisor) suspends a member.
    SuspendMember {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        account: Address,
        reason: String,
    },
    /// An operator of the home branch (or a supervisor) reinstates a suspended member.
    ReinstateMember {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        account: Address,
        reason: String,
    },
    /// An operator closes a membership that holds no coins (a supervisor: any; its coins are
    /// redeemed).
    CloseMember {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        account: Address,
        reason: String,
    },
    /// The member or an operator of the home branch asks another branch to take over.
    RequestMove {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        account: Address,
        to_branch: u32,
    },
    /// An operator of the receiving branch accepts a move.
    AcceptMove {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        account: Address,
    },
    /// The member or an operator of either branch withdraws or declines a move.
    CancelMove {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        account: Address,
    },
    /// An operator of the home branch asks to move a lost wallet's membership to a new one; a
    /// supervisor decides the case that opens.
    RequestRecovery {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        previous_account: Address,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        new_account: Address,
        reason: String,
    },
    /// A supervisor (or, below Blocked and not below a supervisor's level, an operator) sets a
    /// member's risk level.
    SetRiskLevel {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        account: Address,
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::risk_level))]
        level: RiskLevel,
        reason: String,
    },
    /// A partner institution raises a risk alert.
    RaiseRiskAlert {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        account: Address,
        reason: String,
    },
    /// A supervisor assesses a partner's alert.
    AssessRiskAlert {
        alert_id: u64,
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::risk_level))]
        level: RiskLevel,
        reason: String,
    },
    /// An issuer issues a credential (`expires_at`: unix seconds, in the future).
    IssueCredential {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        account: Address,
        type_id: u32,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        document_hash: B256,
        expires_at: u64,
    },
    /// An issuer renews a credential.
    RenewCredential {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        account: Address,
        type_id: u32,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        document_hash: B256,
        expires_at: u64,
    },
    /// An issuer revokes a credential (the member: their own self-declared upload).
    RevokeCredential {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        account: Address,
        type_id: u32,
        reason: String,
    },
    /// A member declares a document they uploaded, under a self-declared type.
    DeclareCredential {
        type_id: u32,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        document_hash: B256,
        expires_at: u64,
    },
    /// An operator creates an activity or training at their branch.
    CreateActivity {
        branch_id: u32,
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::activity_kind))]
        kind: ActivityKind,
        hours_cap: String,
        required_credential_type: u32,
        details: String,
    },
    /// An operator closes an activity to joining and recording.
    CloseActivity { activity_id: u64 },
    /// A member joins an activity.
    JoinActivity { activity_id: u64 },
    /// An operator (not the volunteer) records a volunteer's hours.
    RecordHours {
        activity_id: u64,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        volunteer: Address,
        hours: String,
    },
    /// The volunteer confirms the recorded hours, as they saw them.
    ConfirmHours { activity_id: u64, hours: String },
    /// An operator (not the volunteer) settles: the volunteer is rewarded (above the branch's
    /// second-approval amount, a second operator's settle rewards).
    Settle {
        activity_id: u64,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        volunteer: Address,
    },
    /// A provider proposes a service to a requester.
    ProposeService {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        requester: Address,
        hours: String,
        details: String,
    },
    /// The requester confirms a service, which pays the provider.
    ConfirmService { service_id: u64 },
    /// Either party withdraws a proposed service.
    CancelService { service_id: u64 },
    /// A member gives another coins. A payment for a service is not one: the provider proposes
    /// the service (`propose_service`) and the requester's `confirm_service` pays it.
    Pay {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        to: Address,
        hours: String,
        /// `gift`.
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::purpose))]
        purpose: Purpose,
        reference: Option<String>,
    },
    /// A member gives coins back to the bank.
    Redeem {
        hours: String,
        reference: Option<String>,
    },
    /// A supervisor who is not a party decides a case; the note's text stays off chain.
    DecideCase {
        case_id: u64,
        /// `cleared` or `confirmed`.
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::case_status))]
        outcome: CaseStatus,
        note: String,
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::risk_level))]
        risk_level: RiskLevel,
    },
    /// A supervisor has the desk adopt coins held while no desk opened cases.
    AdoptHold { hold_id: u64 },
    /// An operator of the branch (or the admin) proposes the branch's next data-package key.
    ProposeBranchKey {
        branch_id: u32,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        public_key: B256,
    },
    /// Another operator of the branch (or the admin) puts the proposed key in force, after
    /// the delay.
    ConfirmBranchKey { branch_id: u32 },
    /// An operator of the branch (or the admin) withdraws a proposed key.
    CancelBranchKey { branch_id: u32 },
    /// Settlements of a branch above `hours` need two operators (the admin: any amount; an
    /// operator: only lower).
    SetSecondApproval { branch_id: u32, hours: String },
    /// A member lets a partner institution hear of changes to their membership (risk level,
    /// status, decided cases), or withdraws it (`granted: false`).
    SetPartnerConsent {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        partner: Address,
        granted: bool,
    },
    /// The admin adds a branch with its data-package public key.
    AddBranch {
        name: String,
        region: String,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        public_key: B256,
    },
    /// The admin opens or closes a branch (a closed branch's operators can't act).
    SetBranchActive { branch_id: u32, active: bool },
    /// The admin grants a staff role: `operator` or `gateway` of branch `id`, `issuer` of
    /// credential type `id`, `partner`, `auditor`, `monitoring_agent`.
    GrantRole {
        role: StaffRole,
        id: Option<u32>,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        account: Address,
    },
    /// The admin takes a staff role away.
    RevokeRole {
        role: StaffRole,
        id: Option<u32>,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        account: Address,
    },
    /// The admin defines a credential type.
    DefineCredentialType {
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::credential_kind))]
        kind: CredentialKind,
        name: String,
    },
    /// The admin switches a credential type on or off (a switched-off type's credentials don't
    /// count).
    SetCredentialTypeActive { type_id: u32, active: bool },
    /// The admin sets a branch's minting quota (hours; not below what it minted).
    SetMintQuota { branch_id: u32, hours: String },
    /// The admin gives a member a new uniqueness key (after a rotation of the gateways'
    /// secret, or to a member registered before keys), as the uniqueness audit lists it.
    SetUniquenessKey {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        account: Address,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        key: B256,
    },
    /// A supervisor frees a Closed member's uniqueness key so the person may register again.
    ReleaseUniquenessKey {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        account: Address,
        reason: String,
    },
    /// The admin proposes monitoring rules. They wait in the governor's public queue for
    /// `delay_secs` (at least the timelock's minimum delay; every branch sees them there), then
    /// anyone carries them out (`ExecuteGoverned`) unless the guardian or the admin cancels them.
    /// `salt` tells apart two proposals of the same rules.
    ProposeMonitorRules {
        rules: Rules,
        delay_secs: u64,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        salt: B256,
    },
    /// Carries out a governed call that waited its delay (as the queue lists it).
    ExecuteGoverned {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        target: Address,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        data: Bytes,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        salt: B256,
    },
    /// The admin withdraws a governed call before it is carried out.
    CancelGoverned {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        id: B256,
    },
}

/// A staff role the platform admin grants and revokes at once (the ledger, monitor, supervisor
/// and governor roles go through the governor's delay instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    /// Operator of branch `id`.
    Operator,
    /// Issuer of credential type `id`.
    Issuer,
    /// Gateway key of branch `id` (anchors its access log).
    Gateway,
    /// Partner institution.
    Partner,
    /// Auditor.
    Auditor,
    /// Off-chain monitoring agent (opens cases).
    MonitoringAgent,
}

impl StaffRole {
    /// The role id, with the branch or type `id` the role needs.
    pub fn role(self, id: Option<u32>) -> Result<B256, ActionError> {
        use timebank_bindings::roles;
        let needs = |what: &str| {
            id.ok_or_else(|| {
                ActionError(format!(
                    "this role is of one {what}: give its `id` (`--id` on the command line)"
                ))
            })
        };
        let no_id = |role: B256| match id {
            None => Ok(role),
            Some(_) => Err(ActionError("this role takes no `id`".into())),
        };
        match self {
            Self::Operator => Ok(roles::operator(needs("branch")?)),
            Self::Gateway => Ok(roles::gateway(needs("branch")?)),
            Self::Issuer => Ok(roles::issuer(needs("credential type")?)),
            Self::Partner => no_id(roles::PARTNER),
            Self::Auditor => no_id(roles::AUDITOR),
            Self::MonitoringAgent => no_id(roles::MONITORING_AGENT),
        }
    }
}

/// A contract call an action encodes to, and the texts whose hashes it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The contract.
    pub to: Address,
    /// The ABI-encoded call.
    pub data: Bytes,
    /// The texts behind the hashes in the call, to keep off chain.
    pub texts: Vec<String>,
}

/// An action that can't be a call: what was wrong with which field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ActionError(pub String);

/// Hours as TIME base units: a positive decimal number of hours, at most 18 decimals.
pub fn hours(text: &str, field: &str) -> Result<U256, ActionError> {
    let amount: U256 = parse_units(text, 18)
        .map_err(|err| {
            ActionError(format!(
                "`{field}` is {text:?}; it must be hours as a decimal number: {err}"
            ))
        })?
        .into();
    if amount.is_zero() {
        return Err(ActionError(format!("`{field}` must be more than 0")));
    }
    Ok(amount)
}

fn hours_u128(text: &str, field: &str) -> Result<u128, ActionError> {
    u128::try_from(hours(text, field)?).map_err(|_| ActionError(format!("`{field}` is too large")))
}

fn expiry(unix: u64, field: &str) -> Result<U40, ActionError> {
    U40::try_from(unix).map_err(|_| {
        ActionError(format!(
            "`{field}` is {unix}; it must be unix seconds below 2^40"
        ))
    })
}

mod encode;
mod relayable;
mod rules;
#[cfg(test)]
mod tests;

pub use relayable::{Relayable, relayable};
pub use rules::{RuleSetting, Rules};
