//! The gateway's requests and answers, as JSON (camelCase fields, the contracts' enums as their
//! snake_case names, times as ISO 8601). One definition, which the gateway serves and the client
//! reads; `docs/api.md` describes each endpoint.

use alloy::primitives::{Address, B256, Bytes};
use serde::{Deserialize, Serialize};
use timebank_bindings::types::{
    ActivityKind, ActivityStatus, CaseKind, CaseStatus, CredentialKind, HoldStatus, MemberStatus,
    MonitorAction, ParticipationStatus, Purpose, RiskLevel, ServiceStatus,
};

/// Derives `utoipa::ToSchema` on a type when the `openapi` feature is on.
macro_rules! schema {
    ($($item:item)*) => {$(
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        $item
    )*};
}

schema! {
    /// The body of every error answer.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct ErrorBody {
        /// Stable, machine-readable: `bad_request`, `unauthorized`, `forbidden`, `not_found`,
        /// `refused_by_rule`, `reverted`, `rate_limited`, `stale_index`, `internal`, ...
        pub code: String,
        /// What was wrong, for people.
        pub message: String,
        /// Structured details when there are any (e.g. the rule that refused a payment).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub details: Option<serde_json::Value>,
    }

    /// A fresh sign-in nonce and what the EIP-4361 message must say.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct NonceResponse {
        /// Put this in the message's `Nonce` field; it works once, for two minutes.
        pub nonce: String,
        /// The message's `domain`: the host (and port) members reach this gateway at.
        pub domain: String,
        /// The message's `URI`.
        pub uri: String,
        /// The message's `Chain ID`.
        pub chain_id: u64,
        /// When the nonce stops working (RFC 3339).
        pub expires_at: String,
    }

    /// A signed EIP-4361 message.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct LoginRequest {
        /// The EIP-4361 message, exactly as signed. It must have an `Expiration Time`.
        pub message: String,
        /// The EIP-191 (`personal_sign`) signature, 65 bytes hex.
        pub signature: String,
    }

    /// A session.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct LoginResponse {
        /// Send as `Authorization: Bearer <token>`.
        pub token: String,
        /// The signed-in wallet.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub address: Address,
        /// When the session ends (RFC 3339): the message's expiry or the gateway's session
        /// lifetime, whichever comes first.
        pub expires_at: String,
    }

    /// A role the gateway recognises, from chain state. One account may hold several.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Role {
        /// A registered member (any status).
        Member,
        /// An operator of one active branch.
        Operator,
        /// A supervisor (monitoring cases, risk levels).
        Supervisor,
        /// An issuer of at least one credential type.
        Issuer,
        /// A partner institution (raises risk alerts).
        Partner,
        /// The platform admin.
        Admin,
        /// An auditor (read-only oversight).
        Auditor,
    }

    /// How serious a risk finding is: what it asks of whom, and whether it opens a case.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Severity {
        /// Worth a look when there is time.
        Low = 1,
        /// A supervisor looks this week.
        Medium = 2,
        /// A supervisor looks today.
        High = 3,
        /// Someone acts now.
        Critical = 4,
    }

    /// What the risk agent found about accounts: a pattern across payments or an account's
    /// state, with its evidence and the case it opened.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct RiskFinding {
        /// Id.
        pub finding_id: u64,
        /// The detector (`structuring`, `cycles`, `fan_in`, `fan_out`, `mule`, `velocity`,
        /// `dormant`, `never_used`, `credential_*`).
        pub detector: String,
        /// The account it is about.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub account: Address,
        /// The other side that matters most (zero if none).
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub counterparty: Address,
        /// How serious.
        pub severity: Severity,
        /// Orders the inbox: higher first.
        pub score: u64,
        /// One line, Simplified Chinese then English.
        pub summary: String,
        /// The payments (`payments`), the accounts in order (`path`), the figures weighed
        /// (`figures`).
        pub evidence: serde_json::Value,
        /// keccak256 of the evidence as stored: the case's `reasonHash` on chain.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub reason_hash: B256,
        /// The evidence's first block.
        pub first_block: u64,
        /// Its last block.
        pub last_block: u64,
        /// When the agent found it (ISO 8601).
        pub found_at: String,
        /// The case it opened, once indexed.
        pub case_id: Option<u64>,
    }

    /// A weak spot of the platform the risk agent's scans see, while it lasts.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct PlatformFinding {
        /// Id.
        pub finding_id: u64,
        /// The check (`node_fork`, `index_lag`, `monitor_rules_loosened`, `relayer_low`, ...).
        pub check: String,
        /// What it is about: a branch's node or gateway, a contract, an account.
        pub subject: String,
        /// How serious.
        pub severity: Severity,
        /// One line, Simplified Chinese then English.
        pub summary: String,
        /// What to do and who does it.
        pub remediation: String,
        /// What the check measured.
        pub details: serde_json::Value,
        /// First seen (ISO 8601).
        pub first_seen: String,
        /// Last seen.
        pub last_seen: String,
        /// When a scan no longer saw it; none while it lasts.
        pub resolved_at: Option<String>,
    }

    /// The caller as the chain knows them.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Me {
        /// The signed-in wallet.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub address: Address,
        /// Roles held now, as the gateway recognises them.
        pub roles: Vec<Role>,
        /// The branch they operate for.
        pub operator_branch: Option<u64>,
        /// Their home branch as a member.
        pub home_branch: Option<u64>,
        /// Credential types they may issue.
        pub issuer_types: Vec<u64>,
    }

    /// A branch.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Branch {
        /// Id (1-based).
        pub branch_id: u64,
        /// Name.
        pub name: String,
        /// Region.
        pub region: String,
        /// X25519 public key for member data packages, hex.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub public_key: B256,
        /// Whether it may act.
        pub active: bool,
    }

    /// A credential's public part.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Credential {
        /// Type id.
        pub type_id: u64,
        /// Type name.
        pub type_name: String,
        /// What it attests.
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::credential_kind))]
        pub kind: CredentialKind,
        /// Issuer.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub issuer: Address,
        /// When issued (ISO 8601).
        pub issued_at: String,
        /// When it expires (ISO 8601).
        pub expires_at: String,
        /// The expiry, unix seconds.
        pub expires_at_unix: u64,
        /// Revoked by its issuer.
        pub revoked: bool,
        /// Recognized now: not revoked, not expired at the last indexed block's time, of an
        /// active type (an issuer's trust is checked by the contract at settlement).
        pub valid: bool,
    }

    /// A member's public record: what every branch may see.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct PublicMember {
        /// Wallet.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub account: Address,
        /// Stable id (kept across wallet recoveries).
        pub member_id: u64,
        /// Home branch.
        pub home_branch: u64,
        /// Where the member is in the review (rejected members are closed).
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::member_status))]
        pub status: MemberStatus,
        /// Assessed risk: shown to operators, supervisors, auditors and the admin about other
        /// accounts than their own; `null` to everyone else.
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::risk_level))]
        pub risk: Option<RiskLevel>,
        /// Profile version.
        pub profile_version: u64,
        /// Commitment to the current profile (its private data stays encrypted).
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub commitment: B256,
        /// Branch asked to accept the member's move, or 0.
        pub pending_move_to: u64,
        /// Credentials and whether each is valid now.
        pub credentials: Vec<Credential>,
        /// When an operator submitted the member (ISO 8601, block time).
        pub submitted_at: String,
        /// When a second operator approved the member, if yet.
        pub activated_at: Option<String>,
        /// Block of the last change.
        pub block_number: u64,
        /// Its time.
        pub updated_at: String,
    }

    /// A balance.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Balance {
        /// Wallet.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub account: Address,
        /// Exact amount in TIME base units (18 decimals), decimal string.
        pub amount: String,
        /// Indexed up to this block.
        pub block_number: u64,
    }

    /// A coin movement.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Payment {
        /// Block.
        pub block_number: u64,
        /// Its time (ISO 8601).
        pub block_time: String,
        /// Transaction.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub tx_hash: B256,
        /// The ERC-20 Transfer log's index.
        pub log_index: u64,
        /// Sender (zero for a mint).
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub sender: Address,
        /// Recipient (zero for a burn; the coin itself for held coins).
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub recipient: Address,
        /// Exact amount in base units, decimal string.
        pub amount: String,
        /// Why the coins moved.
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::purpose))]
        pub purpose: Purpose,
        /// Reference (activity, service, ...).
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub reference: B256,
    }

    /// One event of an account's history.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Event {
        /// Block.
        pub block_number: u64,
        /// Its time (ISO 8601).
        pub block_time: String,
        /// Log index.
        pub log_index: u64,
        /// Transaction.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub tx_hash: B256,
        /// Contract.
        pub contract: String,
        /// Event name.
        pub event: String,
        /// Decoded fields.
        pub fields: serde_json::Value,
    }

    /// A member in a work list (pending approval, moving).
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct MemberSummary {
        /// Wallet.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub account: Address,
        /// Stable id.
        pub member_id: u64,
        /// Home branch.
        pub home_branch: u64,
        /// Where the member is in the review.
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::member_status))]
        pub status: MemberStatus,
        /// Branch asked to accept the member's move, or 0.
        pub pending_move_to: u64,
        /// The operator who submitted the member (another operator approves).
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub submitted_by: Address,
        /// When submitted (ISO 8601).
        pub submitted_at: String,
        /// Block of the last change.
        pub block_number: u64,
        /// Its time (ISO 8601).
        pub updated_at: String,
    }

    /// An activity or training, with its participants (those the caller may see).
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Activity {
        /// Id.
        pub activity_id: u64,
        /// The branch running it.
        pub branch_id: u64,
        /// Activity or training.
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::activity_kind))]
        pub kind: ActivityKind,
        /// The operator who created it.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub organizer: Address,
        /// The most hours one volunteer may be rewarded (base units, decimal).
        pub hours_cap: String,
        /// The credential type a volunteer needs (0: none).
        pub required_credential_type: u64,
        /// Its details, when written through this branch's gateway.
        pub details: Option<String>,
        /// Open or closed.
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::activity_status))]
        pub status: ActivityStatus,
        /// Block of the last change.
        pub block_number: u64,
        /// Its time (ISO 8601).
        pub updated_at: String,
        /// Volunteers and their hours: all of them for staff, only the caller for a member.
        pub participants: Vec<Participant>,
    }

    /// A volunteer in an activity.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Participant {
        /// The volunteer.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub volunteer: Address,
        /// Joined, recorded, confirmed or settled.
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::participation_status))]
        pub status: ParticipationStatus,
        /// Hours recorded (base units, decimal).
        pub amount: String,
        /// The first operator's approval of a large settlement, if any.
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        pub approved_by: Option<Address>,
        /// Its time (ISO 8601).
        pub updated_at: String,
    }

    /// A service between two members.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Service {
        /// Id.
        pub service_id: u64,
        /// Who provides it.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub provider: Address,
        /// Who receives and pays it (confirms it).
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub requester: Address,
        /// Hours (base units, decimal).
        pub amount: String,
        /// Its details, when written through this branch's gateway.
        pub details: Option<String>,
        /// Proposed, completed or cancelled.
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::service_status))]
        pub status: ServiceStatus,
        /// Block of the last change.
        pub block_number: u64,
        /// Its time (ISO 8601).
        pub updated_at: String,
    }

    /// A partner's risk alert about a member.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Alert {
        /// Id.
        pub alert_id: u64,
        /// About whom.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub account: Address,
        /// Their home branch.
        pub home_branch: Option<u64>,
        /// The partner who raised it.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub partner: Address,
        /// Whether a supervisor assessed it.
        pub assessed: bool,
        /// The level the supervisor set.
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::risk_level))]
        pub level: RiskLevel,
        /// The supervisor who assessed it.
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        pub supervisor: Option<Address>,
        /// Block of the last change.
        pub block_number: u64,
        /// Its time (ISO 8601).
        pub updated_at: String,
    }

    /// A branch's minting quota.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Quota {
        /// The branch.
        pub branch_id: u64,
        /// Its limit (base units, decimal; 0 when never set).
        pub limit: String,
        /// Minted by its settlements so far.
        pub minted: String,
        /// What is left.
        pub left: String,
        /// Settlements above this need two operators (0: none).
        pub second_approval_above: String,
        /// The index's block these figures are at.
        pub block_number: u64,
    }

    /// A branch in figures: members by status, payments per day, hours rewarded per week.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct BranchStats {
        /// The branch.
        pub branch_id: u64,
        /// Figures from this time on (ISO 8601).
        pub since: String,
        /// Its members by status.
        pub members_by_status: Vec<StatusCount>,
        /// Its members' payments to others (services and gifts; by the payer's home branch now)
        /// per UTC day, days without any left out.
        pub payments_per_day: Vec<DayCount>,
        /// Hours its settlements rewarded, per week and purpose (activity or training).
        pub rewards_per_week: Vec<WeekHours>,
        /// The index's block these figures are at.
        pub block_number: u64,
    }

    /// Members in one status.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct StatusCount {
        /// The status.
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::member_status))]
        pub status: MemberStatus,
        /// How many.
        pub count: u64,
    }

    /// Payments on one day.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct DayCount {
        /// The day (ISO 8601 date).
        pub day: String,
        /// How many.
        pub count: u64,
    }

    /// Hours rewarded in one week for one purpose.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct WeekHours {
        /// The week's first day (ISO 8601 date; weeks start on Thursdays, as unix time's do).
        pub week: String,
        /// `activity_reward` or `training_reward`.
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::purpose))]
        pub purpose: Purpose,
        /// Hours, decimal.
        pub hours: String,
    }

    /// A credential type with who may issue it.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct CredentialType {
        /// Id.
        pub type_id: u64,
        /// What it attests.
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::credential_kind))]
        pub kind: CredentialKind,
        /// Its name.
        pub name: String,
        /// Whether its credentials count.
        pub active: bool,
        /// Who may issue it.
        #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
        pub issuers: Vec<Address>,
        /// Its time (ISO 8601).
        pub updated_at: String,
    }

    /// A member's credential that expires soon.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct ExpiringCredential {
        /// The member.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub account: Address,
        /// Their id.
        pub member_id: u64,
        /// The credential's type.
        pub type_id: u64,
        /// Its name.
        pub type_name: String,
        /// When it expires (ISO 8601).
        pub expires_at: String,
        /// Who issued it.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub issuer: Address,
    }

    /// A supervision case.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Case {
        /// Case id.
        pub case_id: u64,
        /// What opened it: a rule hit, a monitoring agent, a recovery request, an adopted hold.
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::case_kind))]
        pub kind: CaseKind,
        /// The member it is about.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub account: Address,
        /// The member's home branch (0 if not a member).
        pub home_branch: u64,
        /// The other side; a recovery's new wallet.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub counterparty: Address,
        /// The rules that fired, by name (the incoming-volume hit is `volume_in`).
        pub rules: Vec<String>,
        /// What the monitor did.
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::monitor_action))]
        pub action: MonitorAction,
        /// Amount, base units.
        pub amount: String,
        /// The movement's purpose.
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::purpose))]
        pub purpose: Purpose,
        /// Hold id, or 0.
        pub hold_id: u64,
        /// Open, cleared or confirmed.
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::case_status))]
        pub status: CaseStatus,
        /// Who opened it: the coin, a monitoring agent, an operator (recovery) or a supervisor.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub opened_by: Address,
        /// Hash of the decision's note.
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        pub note_hash: Option<B256>,
        /// The note's text, when it was written through this branch's gateway (it stays off
        /// chain).
        pub note: Option<String>,
        /// Who decided.
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        pub decided_by: Option<Address>,
        /// Risk level set with the decision.
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::risk_level))]
        pub risk_level: Option<RiskLevel>,
        /// Block it opened in.
        pub opened_block: u64,
        /// When it opened (ISO 8601, block time).
        pub opened_at: String,
        /// Block of its last change.
        pub block_number: u64,
        /// Its time.
        pub updated_at: String,
        /// How urgent (higher first with `order=score`): a case the risk agent opened scores as
        /// its finding; a rule's case as the severity of what the monitor did.
        pub score: u64,
    }

    /// Coins a monitor put in escrow until a supervisor decides.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Hold {
        /// Hold id.
        pub hold_id: u64,
        /// Who paid.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub sender: Address,
        /// Who the coins were for.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub recipient: Address,
        /// Amount, base units.
        pub amount: String,
        /// The movement's purpose.
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::purpose))]
        pub purpose: Purpose,
        /// Held, released to the recipient or returned to the sender.
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::hold_status))]
        pub status: HoldStatus,
        /// The newest case about it; none while no desk owns it (a supervisor adopts it).
        pub case_id: Option<u64>,
        /// That case's state.
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::case_status))]
        pub case_status: Option<CaseStatus>,
        /// Block of its last change (while held: the block that held it).
        pub block_number: u64,
        /// Its time (ISO 8601).
        pub updated_at: String,
    }

    /// What the monitor says of a payment, before or after it is made.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct MonitorVerdict {
        /// `none`, `flag` (an alert and a case), `hold` (coins to escrow until a supervisor
        /// decides) or `block`.
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::monitor_action))]
        pub action: MonitorAction,
        /// The rules that would fire, by name.
        pub rules: Vec<String>,
    }

    /// A prepared forward request: its fields, what the monitor would do with it, and the
    /// EIP-712 typed data of the request (which a careful client builds itself; see
    /// `timebank_client::Session::act`).
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Prepared {
        /// The caller.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub from: Address,
        /// The contract.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub to: Address,
        /// Gas for the inner call.
        pub gas: u64,
        /// The caller's forwarder nonce.
        pub nonce: u64,
        /// Unix seconds; ten minutes after the latest block.
        pub deadline: u64,
        /// The call.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub data: Bytes,
        /// For payments: what the monitor would do (flag, hold or block) and why.
        pub monitor: Option<MonitorVerdict>,
        /// The EIP-712 typed data to sign (`eth_signTypedData_v4`).
        pub typed_data: serde_json::Value,
    }

    /// A forward request signed by the caller's wallet, for the gateway to relay.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct SignedRequest {
        /// The signer: must be the signed-in caller.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub from: Address,
        /// A timebank contract.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub to: Address,
        /// Gas for the inner call (at most 5,000,000).
        pub gas: u64,
        /// The forwarder nonce the signature covers (`GET /v1/relay/nonce`).
        pub nonce: u64,
        /// Unix seconds after which the request is void.
        pub deadline: u64,
        /// The call, ABI-encoded.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub data: Bytes,
        /// EIP-712 signature over `ForwardRequest` with `value` 0, 65 bytes hex.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub signature: Bytes,
    }

    /// A relayed transaction's outcome.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Relayed {
        /// The transaction.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub tx_hash: B256,
        /// The block it was included in.
        pub block_number: u64,
        /// Whether the inner call succeeded.
        pub success: bool,
        /// Why it failed, when it did.
        pub failure: Option<String>,
        /// For payments: what the monitor did.
        pub monitor: Option<MonitorVerdict>,
    }

    /// The forwarder nonce a signer's next request must carry.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct Nonce {
        /// Use this in the next request.
        pub nonce: u64,
    }

    /// What to seal.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct PackageRequest {
        /// The member's wallet.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub account: Address,
        /// The profile: a JSON object with at least `fullName`, `dateOfBirth` and `contact`. The
        /// gateway adds a fresh random salt.
        pub profile: serde_json::Value,
        /// What the sealed profile is for.
        pub action: ProfileAction,
    }

    /// What a sealed profile is published for.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ProfileAction {
        /// A new member, submitted at the caller's branch for a second operator's approval.
        Submit,
        /// A new version of a member's profile.
        Update,
    }

    /// A sealed profile and the call that publishes it.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Sealed {
        /// The profile as committed to, with its salt: give it to the member, who presents it
        /// for `verify`.
        pub profile: serde_json::Value,
        /// The commitment that goes on chain.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub commitment: B256,
        /// The encrypted package that goes on chain.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub encrypted_data: Bytes,
        /// Who can open it (`branch:<id>`, `supervisors`).
        pub recipients: Vec<String>,
        /// The contract to call: the identity registry.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub to: Address,
        /// The call (`submitMember` or `updateProfile`), for the operator to sign as a forward
        /// request and relay.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub data: Bytes,
    }

    /// A decrypted profile.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct PrivateProfile {
        /// Wallet.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub account: Address,
        /// Member id.
        pub member_id: u64,
        /// Profile version.
        pub version: u64,
        /// The on-chain commitment it matches.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub commitment: B256,
        /// The profile.
        pub profile: serde_json::Value,
    }

    /// Whether a presented profile is the one on chain.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Verified {
        /// It matches the member's current commitment.
        pub matches: bool,
        /// The member's current profile version.
        pub version: u64,
    }

    /// One read of a private profile.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct AccessEntry {
        /// When (ISO 8601).
        pub at: String,
        /// Who read.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub reader: Address,
        /// Their roles then (`self` when the member read their own).
        pub reader_roles: String,
        /// Whose profile.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub account: Address,
        /// Member id.
        pub member_id: u64,
        /// Which version.
        pub profile_version: u64,
        /// The stated reason.
        pub reason: String,
        /// Through which branch's gateway.
        pub gateway_branch: u64,
    }

    /// An audit's findings.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct AuditReport {
        /// The branch audited.
        pub branch: u64,
        /// The block the database and the chain were compared at (the index's checkpoint).
        pub block_number: u64,
        /// Members checked.
        pub members: u64,
        /// Members whose package opened, matched its commitment and had every required field.
        pub packages_ok: u64,
        /// Members whose record and balance in the database equal the contracts' at the block.
        pub records_ok: u64,
        /// What is wrong, one line each.
        pub problems: Vec<String>,
    }
}

impl Severity {
    /// Every severity, least first (`labels::severity_label` has words for each).
    pub const ALL: [Self; 4] = [Self::Low, Self::Medium, Self::High, Self::Critical];

    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    /// The severity stored as `n` (1 low … 4 critical).
    pub fn from_u8(n: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|s| *s as u8 == n)
    }
}

impl Role {
    /// Every role (`labels::role_label` has words for each: a new one does not build).
    pub const ALL: [Self; 7] = [
        Self::Member,
        Self::Operator,
        Self::Supervisor,
        Self::Issuer,
        Self::Partner,
        Self::Admin,
        Self::Auditor,
    ];
}
