//! Who the caller is, from chain state (the indexer's projection of the contracts' roles,
//! operators and members, current to the last indexed block), and what each role may read.

use crate::error::ApiError;
use alloy::primitives::Address;
use std::collections::BTreeSet;
use timebank_bindings::roles;
pub use timebank_client::api::Role;
use timebank_indexer::query::{Head, Standing};

/// A signed-in caller and what the chain says about them.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The wallet that signed in.
    pub address: Address,
    /// Roles held now.
    pub roles: BTreeSet<Role>,
    /// The branch they operate for.
    pub operator_branch: Option<u64>,
    /// Their home branch, as a member.
    pub home_branch: Option<u64>,
    /// Credential types they may issue.
    pub issuer_types: Vec<u64>,
    /// The index's head this was read at (none before the first block is indexed).
    pub head: Option<Head>,
}

impl Caller {
    /// Derives the roles from `standing`, read at `head`.
    pub fn new(address: Address, standing: Standing, head: Option<Head>) -> Self {
        let mut held = BTreeSet::new();
        let has = |role: alloy::primitives::B256| standing.roles.contains(&role);
        if standing.member.is_some() {
            held.insert(Role::Member);
        }
        if standing.operator_branch.is_some() {
            held.insert(Role::Operator);
        }
        if has(roles::SUPERVISOR) {
            held.insert(Role::Supervisor);
        }
        if !standing.issuer_types.is_empty() {
            held.insert(Role::Issuer);
        }
        if has(roles::PARTNER) {
            held.insert(Role::Partner);
        }
        if has(roles::ADMIN) {
            held.insert(Role::Admin);
        }
        if has(roles::AUDITOR) {
            held.insert(Role::Auditor);
        }
        Self {
            address,
            roles: held,
            operator_branch: standing.operator_branch,
            home_branch: standing.member.map(|m| m.home_branch),
            issuer_types: standing.issuer_types,
            head,
        }
    }

    /// The roles held, comma-separated (for the access log).
    pub fn roles_text(&self) -> String {
        self.roles
            .iter()
            .filter_map(|r| serde_json::to_value(r).ok()?.as_str().map(str::to_owned))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Whether the caller holds `role`.
    pub fn is(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// 403 unless the caller holds one of `roles`.
    pub fn require_any(&self, roles: &[Role], what: &str) -> Result<(), ApiError> {
        if roles.iter().any(|r| self.is(*r)) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "{what} needs one of these roles: {}",
                names(roles)
            )))
        }
    }

    /// Whether the caller may read `account`'s coins and history: the account itself, an
    /// operator of its home branch, a supervisor, an auditor or the platform admin.
    pub fn may_read_account(&self, account: Address, home_branch: Option<u64>) -> bool {
        self.address == account
            || self.is(Role::Supervisor)
            || self.is(Role::Auditor)
            || self.is(Role::Admin)
            || (home_branch.is_some() && self.operator_branch == home_branch)
    }
}

/// "a, b or c" for messages.
fn names(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| {
            serde_json::to_value(r)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Events about supervising an account: what monitoring found, cases, holds, risk levels and
/// partners' alerts. A member never sees the undecided ones about themselves (no tipping-off).
pub const SUPERVISION_EVENTS: &[&str] = &[
    "RuleHit",
    "MovementHeld",
    "HoldSettled",
    "HoldAdopted",
    "CaseOpened",
    "CaseDecided",
    "RiskLevelChanged",
    "StandingSynced",
    "RiskAlertRaised",
    "RiskAlertAssessed",
];

/// Whether `caller` sees accounts' risk levels: staff who supervise or serve members, on other
/// accounts than their own.
pub fn sees_risk(caller: &Caller, account: Address) -> bool {
    caller.address != account
        && [Role::Operator, Role::Supervisor, Role::Auditor, Role::Admin]
            .iter()
            .any(|r| caller.is(*r))
}
