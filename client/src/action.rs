//! Every write a person makes, as an action, and the one place an action becomes a contract
//! call: the client encodes the call it signs from here, and the gateway prepares and checks the
//! same one. Texts (reasons, notes, details, references) go on chain only as their keccak256.

use alloy::{
    primitives::{Address, B256, Bytes, U256, aliases::U40, keccak256, utils::parse_units},
    sol_types::SolCall,
};
use serde::{Deserialize, Serialize};
use timebank_bindings::{
    CredentialRegistry as CR, IdentityRegistry as IR, ServiceLedger as SL, SupervisionDesk as SD,
    TimeCoin as TC, TimebankAccess as TA,
    deploy::Addresses,
    types::{ActivityKind, CaseStatus, Purpose, RiskLevel},
};

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
    /// A member pays another: for a service, or as a gift.
    Pay {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        to: Address,
        hours: String,
        /// `service_payment` or `gift`.
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

impl Action {
    /// The contract call this action is, on the deployment's contracts.
    pub fn call(&self, c: &Addresses) -> Result<Call, ActionError> {
        let mut texts = Vec::new();
        let mut text = |t: &str, field: &str| -> Result<B256, ActionError> {
            if t.trim().is_empty() || t.len() > MAX_TEXT {
                return Err(ActionError(format!(
                    "`{field}` must be between 1 and {MAX_TEXT} characters"
                )));
            }
            texts.push(t.to_owned());
            Ok(keccak256(t.as_bytes()))
        };
        let (to, data) = match self {
            Self::ApproveMember { account } => (
                c.identity_registry,
                IR::approveMemberCall { account: *account }.abi_encode(),
            ),
            Self::RejectMember { account, reason } => (
                c.identity_registry,
                IR::rejectMemberCall {
                    account: *account,
                    reasonHash: text(reason, "reason")?,
                }
                .abi_encode(),
            ),
            Self::SuspendMember { account, reason } => (
                c.identity_registry,
                IR::suspendMemberCall {
                    account: *account,
                    reasonHash: text(reason, "reason")?,
                }
                .abi_encode(),
            ),
            Self::ReinstateMember { account, reason } => (
                c.identity_registry,
                IR::reinstateMemberCall {
                    account: *account,
                    reasonHash: text(reason, "reason")?,
                }
                .abi_encode(),
            ),
            Self::CloseMember { account, reason } => (
                c.identity_registry,
                IR::closeMemberCall {
                    account: *account,
                    reasonHash: text(reason, "reason")?,
                }
                .abi_encode(),
            ),
            Self::RequestMove { account, to_branch } => (
                c.identity_registry,
                IR::requestMoveCall {
                    account: *account,
                    toBranch: *to_branch,
                }
                .abi_encode(),
            ),
            Self::AcceptMove { account } => (
                c.identity_registry,
                IR::acceptMoveCall { account: *account }.abi_encode(),
            ),
            Self::CancelMove { account } => (
                c.identity_registry,
                IR::cancelMoveCall { account: *account }.abi_encode(),
            ),
            Self::RequestRecovery {
                previous_account,
                new_account,
                reason,
            } => (
                c.supervision_desk,
                SD::requestRecoveryCall {
                    previousAccount: *previous_account,
                    newAccount: *new_account,
                    reasonHash: text(reason, "reason")?,
                }
                .abi_encode(),
            ),
            Self::SetRiskLevel {
                account,
                level,
                reason,
            } => (
                c.identity_registry,
                IR::setRiskLevelCall {
                    account: *account,
                    level: *level as u8,
                    reasonHash: text(reason, "reason")?,
                }
                .abi_encode(),
            ),
            Self::RaiseRiskAlert { account, reason } => (
                c.identity_registry,
                IR::raiseRiskAlertCall {
                    account: *account,
                    reasonHash: text(reason, "reason")?,
                }
                .abi_encode(),
            ),
            Self::AssessRiskAlert {
                alert_id,
                level,
                reason,
            } => (
                c.identity_registry,
                IR::assessRiskAlertCall {
                    alertId: U256::from(*alert_id),
                    level: *level as u8,
                    reasonHash: text(reason, "reason")?,
                }
                .abi_encode(),
            ),
            Self::IssueCredential {
                account,
                type_id,
                document_hash,
                expires_at,
            } => (
                c.credential_registry,
                CR::issueCredentialCall {
                    account: *account,
                    typeId: *type_id,
                    documentHash: *document_hash,
                    expiresAt: expiry(*expires_at, "expires_at")?,
                }
                .abi_encode(),
            ),
            Self::RenewCredential {
                account,
                type_id,
                document_hash,
                expires_at,
            } => (
                c.credential_registry,
                CR::renewCredentialCall {
                    account: *account,
                    typeId: *type_id,
                    documentHash: *document_hash,
                    expiresAt: expiry(*expires_at, "expires_at")?,
                }
                .abi_encode(),
            ),
            Self::RevokeCredential {
                account,
                type_id,
                reason,
            } => (
                c.credential_registry,
                CR::revokeCredentialCall {
                    account: *account,
                    typeId: *type_id,
                    reasonHash: text(reason, "reason")?,
                }
                .abi_encode(),
            ),
            Self::DeclareCredential {
                type_id,
                document_hash,
                expires_at,
            } => (
                c.credential_registry,
                CR::declareCredentialCall {
                    typeId: *type_id,
                    documentHash: *document_hash,
                    expiresAt: expiry(*expires_at, "expires_at")?,
                }
                .abi_encode(),
            ),
            Self::CreateActivity {
                branch_id,
                kind,
                hours_cap,
                required_credential_type,
                details,
            } => (
                c.service_ledger,
                SL::createActivityCall {
                    branchId: *branch_id,
                    kind: *kind as u8,
                    hoursCap: hours_u128(hours_cap, "hours_cap")?,
                    requiredCredentialType: *required_credential_type,
                    detailsHash: text(details, "details")?,
                }
                .abi_encode(),
            ),
            Self::CloseActivity { activity_id } => (
                c.service_ledger,
                SL::closeActivityCall {
                    activityId: U256::from(*activity_id),
                }
                .abi_encode(),
            ),
            Self::JoinActivity { activity_id } => (
                c.service_ledger,
                SL::joinActivityCall {
                    activityId: U256::from(*activity_id),
                }
                .abi_encode(),
            ),
            Self::RecordHours {
                activity_id,
                volunteer,
                hours: h,
            } => (
                c.service_ledger,
                SL::recordHoursCall {
                    activityId: U256::from(*activity_id),
                    volunteer: *volunteer,
                    amount: hours_u128(h, "hours")?,
                }
                .abi_encode(),
            ),
            Self::ConfirmHours {
                activity_id,
                hours: h,
            } => (
                c.service_ledger,
                SL::confirmHoursCall {
                    activityId: U256::from(*activity_id),
                    amount: hours_u128(h, "hours")?,
                }
                .abi_encode(),
            ),
            Self::Settle {
                activity_id,
                volunteer,
            } => (
                c.service_ledger,
                SL::settleCall {
                    activityId: U256::from(*activity_id),
                    volunteer: *volunteer,
                }
                .abi_encode(),
            ),
            Self::ProposeService {
                requester,
                hours: h,
                details,
            } => (
                c.service_ledger,
                SL::proposeServiceCall {
                    requester: *requester,
                    amount: hours_u128(h, "hours")?,
                    detailsHash: text(details, "details")?,
                }
                .abi_encode(),
            ),
            Self::ConfirmService { service_id } => (
                c.service_ledger,
                SL::confirmServiceCall {
                    serviceId: U256::from(*service_id),
                }
                .abi_encode(),
            ),
            Self::CancelService { service_id } => (
                c.service_ledger,
                SL::cancelServiceCall {
                    serviceId: U256::from(*service_id),
                }
                .abi_encode(),
            ),
            Self::Pay {
                to,
                hours: h,
                purpose,
                reference,
            } => {
                if !matches!(purpose, Purpose::ServicePayment | Purpose::Gift) {
                    return Err(ActionError(format!(
                        "`purpose` is {purpose}; a member pays with service_payment or gift"
                    )));
                }
                (
                    c.time_coin,
                    TC::payCall {
                        to: *to,
                        amount: hours(h, "hours")?,
                        purpose: *purpose as u8,
                        r#ref: match reference {
                            Some(r) => text(r, "reference")?,
                            None => B256::ZERO,
                        },
                    }
                    .abi_encode(),
                )
            }
            Self::Redeem {
                hours: h,
                reference,
            } => (
                c.time_coin,
                TC::redeemCall {
                    amount: hours(h, "hours")?,
                    r#ref: match reference {
                        Some(r) => text(r, "reference")?,
                        None => B256::ZERO,
                    },
                }
                .abi_encode(),
            ),
            Self::DecideCase {
                case_id,
                outcome,
                note,
                risk_level,
            } => {
                if !matches!(outcome, CaseStatus::Cleared | CaseStatus::Confirmed) {
                    return Err(ActionError(format!(
                        "`outcome` is {outcome}; a decision is cleared or confirmed"
                    )));
                }
                (
                    c.supervision_desk,
                    SD::decideCaseCall {
                        caseId: U256::from(*case_id),
                        outcome: *outcome as u8,
                        noteHash: text(note, "note")?,
                        riskLevel: *risk_level as u8,
                    }
                    .abi_encode(),
                )
            }
            Self::AdoptHold { hold_id } => (
                c.supervision_desk,
                SD::adoptHoldCall {
                    holdId: U256::from(*hold_id),
                }
                .abi_encode(),
            ),
            Self::ProposeBranchKey {
                branch_id,
                public_key,
            } => (
                c.access,
                TA::proposeBranchKeyCall {
                    branchId: *branch_id,
                    publicKey: *public_key,
                }
                .abi_encode(),
            ),
            Self::ConfirmBranchKey { branch_id } => (
                c.access,
                TA::confirmBranchKeyCall {
                    branchId: *branch_id,
                }
                .abi_encode(),
            ),
            Self::CancelBranchKey { branch_id } => (
                c.access,
                TA::cancelBranchKeyCall {
                    branchId: *branch_id,
                }
                .abi_encode(),
            ),
            Self::SetSecondApproval {
                branch_id,
                hours: h,
            } => (
                c.service_ledger,
                SL::setSecondApprovalCall {
                    branchId: *branch_id,
                    amount: if h.trim() == "0" {
                        0
                    } else {
                        hours_u128(h, "hours")?
                    },
                }
                .abi_encode(),
            ),
        };
        Ok(Call {
            to,
            data: data.into(),
            texts,
        })
    }
}

/// The functions a gateway relays: each is a person's own write (an [`Action`], or publishing
/// a profile), never anything else a contract offers (`syncMember`, `permit`, `approve`, the
/// forwarder itself...). Returns the function's name, or why the call is refused. The calldata
/// must be exactly the ABI encoding of its arguments: no trailing bytes.
pub fn relayable(c: &Addresses, to: Address, data: &[u8]) -> Result<&'static str, ActionError> {
    use alloy::sol_types::SolInterface;
    fn exact<C: SolInterface>(data: &[u8]) -> Result<C, ActionError> {
        let call = C::abi_decode(data)
            .map_err(|err| ActionError(format!("`data` is not a call this contract has: {err}")))?;
        if call.abi_encode() != data {
            return Err(ActionError(
                "`data` is not exactly the ABI encoding of its arguments (extra bytes?)".into(),
            ));
        }
        Ok(call)
    }
    let refused = |name: Option<&str>| {
        Err(ActionError(format!(
            "`{}` is not a write this gateway relays",
            name.unwrap_or("this function")
        )))
    };
    if to == c.identity_registry {
        use IR::IdentityRegistryCalls as F;
        return match exact::<F>(data)? {
            F::submitMember(_) => Ok("submitMember"),
            F::approveMember(_) => Ok("approveMember"),
            F::rejectMember(_) => Ok("rejectMember"),
            F::suspendMember(_) => Ok("suspendMember"),
            F::reinstateMember(_) => Ok("reinstateMember"),
            F::closeMember(_) => Ok("closeMember"),
            F::updateProfile(_) => Ok("updateProfile"),
            F::requestMove(_) => Ok("requestMove"),
            F::acceptMove(_) => Ok("acceptMove"),
            F::cancelMove(_) => Ok("cancelMove"),
            F::setRiskLevel(_) => Ok("setRiskLevel"),
            F::raiseRiskAlert(_) => Ok("raiseRiskAlert"),
            F::assessRiskAlert(_) => Ok("assessRiskAlert"),
            other => refused(F::name_by_selector(other.selector())),
        };
    }
    if to == c.credential_registry {
        use CR::CredentialRegistryCalls as F;
        return match exact::<F>(data)? {
            F::issueCredential(_) => Ok("issueCredential"),
            F::renewCredential(_) => Ok("renewCredential"),
            F::revokeCredential(_) => Ok("revokeCredential"),
            F::declareCredential(_) => Ok("declareCredential"),
            other => refused(F::name_by_selector(other.selector())),
        };
    }
    if to == c.service_ledger {
        use SL::ServiceLedgerCalls as F;
        return match exact::<F>(data)? {
            F::createActivity(_) => Ok("createActivity"),
            F::closeActivity(_) => Ok("closeActivity"),
            F::joinActivity(_) => Ok("joinActivity"),
            F::recordHours(_) => Ok("recordHours"),
            F::confirmHours(_) => Ok("confirmHours"),
            F::settle(_) => Ok("settle"),
            F::proposeService(_) => Ok("proposeService"),
            F::confirmService(_) => Ok("confirmService"),
            F::cancelService(_) => Ok("cancelService"),
            F::setSecondApproval(_) => Ok("setSecondApproval"),
            other => refused(F::name_by_selector(other.selector())),
        };
    }
    if to == c.time_coin {
        use TC::TimeCoinCalls as F;
        return match exact::<F>(data)? {
            F::pay(_) => Ok("pay"),
            F::redeem(_) => Ok("redeem"),
            other => refused(F::name_by_selector(other.selector())),
        };
    }
    if to == c.supervision_desk {
        use SD::SupervisionDeskCalls as F;
        return match exact::<F>(data)? {
            F::requestRecovery(_) => Ok("requestRecovery"),
            F::decideCase(_) => Ok("decideCase"),
            F::adoptHold(_) => Ok("adoptHold"),
            other => refused(F::name_by_selector(other.selector())),
        };
    }
    if to == c.access {
        use TA::TimebankAccessCalls as F;
        return match exact::<F>(data)? {
            F::proposeBranchKey(_) => Ok("proposeBranchKey"),
            F::confirmBranchKey(_) => Ok("confirmBranchKey"),
            F::cancelBranchKey(_) => Ok("cancelBranchKey"),
            other => refused(F::name_by_selector(other.selector())),
        };
    }
    Err(ActionError(format!(
        "`to` {to} is not a timebank contract this gateway relays to"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contracts() -> Addresses {
        Addresses {
            forwarder: Address::repeat_byte(1),
            timelock: Address::repeat_byte(2),
            access: Address::repeat_byte(3),
            identity_registry: Address::repeat_byte(4),
            credential_registry: Address::repeat_byte(5),
            time_coin: Address::repeat_byte(6),
            service_ledger: Address::repeat_byte(7),
            supervision_desk: Address::repeat_byte(8),
        }
    }

    /// Every action, once.
    fn every_action() -> Vec<Action> {
        let a = Address::repeat_byte(9);
        let r = || "a reason".to_owned();
        vec![
            Action::ApproveMember { account: a },
            Action::RejectMember {
                account: a,
                reason: r(),
            },
            Action::SuspendMember {
                account: a,
                reason: r(),
            },
            Action::ReinstateMember {
                account: a,
                reason: r(),
            },
            Action::CloseMember {
                account: a,
                reason: r(),
            },
            Action::RequestMove {
                account: a,
                to_branch: 2,
            },
            Action::AcceptMove { account: a },
            Action::CancelMove { account: a },
            Action::RequestRecovery {
                previous_account: a,
                new_account: a,
                reason: r(),
            },
            Action::SetRiskLevel {
                account: a,
                level: RiskLevel::High,
                reason: r(),
            },
            Action::RaiseRiskAlert {
                account: a,
                reason: r(),
            },
            Action::AssessRiskAlert {
                alert_id: 1,
                level: RiskLevel::Low,
                reason: r(),
            },
            Action::IssueCredential {
                account: a,
                type_id: 1,
                document_hash: B256::ZERO,
                expires_at: 9,
            },
            Action::RenewCredential {
                account: a,
                type_id: 1,
                document_hash: B256::ZERO,
                expires_at: 9,
            },
            Action::RevokeCredential {
                account: a,
                type_id: 1,
                reason: r(),
            },
            Action::DeclareCredential {
                type_id: 1,
                document_hash: B256::ZERO,
                expires_at: 9,
            },
            Action::CreateActivity {
                branch_id: 1,
                kind: ActivityKind::Training,
                hours_cap: "4".into(),
                required_credential_type: 0,
                details: r(),
            },
            Action::CloseActivity { activity_id: 1 },
            Action::JoinActivity { activity_id: 1 },
            Action::RecordHours {
                activity_id: 1,
                volunteer: a,
                hours: "2.5".into(),
            },
            Action::ConfirmHours {
                activity_id: 1,
                hours: "2.5".into(),
            },
            Action::Settle {
                activity_id: 1,
                volunteer: a,
            },
            Action::ProposeService {
                requester: a,
                hours: "1".into(),
                details: r(),
            },
            Action::ConfirmService { service_id: 1 },
            Action::CancelService { service_id: 1 },
            Action::Pay {
                to: a,
                hours: "1".into(),
                purpose: Purpose::Gift,
                reference: None,
            },
            Action::Redeem {
                hours: "1".into(),
                reference: Some(r()),
            },
            Action::DecideCase {
                case_id: 1,
                outcome: CaseStatus::Cleared,
                note: r(),
                risk_level: RiskLevel::None,
            },
            Action::AdoptHold { hold_id: 1 },
            Action::ProposeBranchKey {
                branch_id: 1,
                public_key: B256::repeat_byte(7),
            },
            Action::ConfirmBranchKey { branch_id: 1 },
            Action::CancelBranchKey { branch_id: 1 },
            Action::SetSecondApproval {
                branch_id: 1,
                hours: "20".into(),
            },
        ]
    }

    #[test]
    fn every_action_is_a_call_the_gateway_relays() {
        let c = contracts();
        for action in every_action() {
            let call = action
                .call(&c)
                .unwrap_or_else(|e| panic!("{action:?}: {e}"));
            relayable(&c, call.to, &call.data).unwrap_or_else(|e| panic!("{action:?}: {e}"));
        }
    }

    #[test]
    fn other_calls_and_padded_calls_are_not_relayed() {
        let c = contracts();
        let sync = TC::syncMemberCall {
            account: Address::ZERO,
        }
        .abi_encode();
        assert!(relayable(&c, c.time_coin, &sync).is_err());
        let approve = TC::approveCall {
            spender: Address::ZERO,
            value: U256::MAX,
        }
        .abi_encode();
        assert!(relayable(&c, c.time_coin, &approve).is_err());
        let mut padded = TC::payCall {
            to: Address::ZERO,
            amount: U256::from(1),
            purpose: 3,
            r#ref: B256::ZERO,
        }
        .abi_encode();
        assert!(relayable(&c, c.time_coin, &padded).is_ok());
        padded.extend([0u8; 64]);
        assert!(relayable(&c, c.time_coin, &padded).is_err());
        assert!(relayable(&c, c.forwarder, &sync).is_err());
    }

    #[test]
    fn actions_read_as_the_api_writes_them() {
        let action: Action = serde_json::from_value(serde_json::json!({
            "action": "pay", "to": Address::ZERO, "hours": "0.5", "purpose": "gift"
        }))
        .unwrap();
        assert!(matches!(
            action,
            Action::Pay {
                purpose: Purpose::Gift,
                ..
            }
        ));
        let refused = Action::Pay {
            to: Address::ZERO,
            hours: "1".into(),
            purpose: Purpose::Recovery,
            reference: None,
        };
        assert!(refused.call(&contracts()).is_err());
        assert!(hours("0", "hours").is_err());
        assert!(hours("abc", "hours").is_err());
    }
}
