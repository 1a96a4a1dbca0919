//! An action as the contract call it is.

use super::{Action, ActionError, Call, MAX_TEXT, expiry, hours, hours_u128};
use alloy::{
    primitives::{B256, U256, keccak256},
    sol_types::SolCall,
};
use timebank_bindings::{
    CredentialRegistry as CR, IdentityRegistry as IR, ServiceLedger as SL, SupervisionDesk as SD,
    TimeCoin as TC, TimebankAccess as TA, TimebankTimelock as TT,
    deploy::Addresses,
    types::{CaseStatus, Purpose},
};

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
                // The coin refuses a member's own service payment
                // (TimeCoinUnrecordedServicePayment): the service pays, once both recorded it.
                if *purpose == Purpose::ServicePayment {
                    return Err(ActionError(
                        "`purpose` is service_payment: a service is paid when its requester \
                         confirms it (the provider proposes it with propose_service, the \
                         requester pays with confirm_service); a payment of your own is a gift"
                            .into(),
                    ));
                }
                if *purpose != Purpose::Gift {
                    return Err(ActionError(format!(
                        "`purpose` is {purpose}; a member's own payment is a gift"
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
            Self::SetPartnerConsent { partner, granted } => (
                c.identity_registry,
                IR::setPartnerConsentCall {
                    partner: *partner,
                    granted: *granted,
                }
                .abi_encode(),
            ),
            Self::AddBranch {
                name,
                region,
                public_key,
            } => (
                c.access,
                TA::addBranchCall {
                    name: name.clone(),
                    region: region.clone(),
                    publicKey: *public_key,
                }
                .abi_encode(),
            ),
            Self::SetBranchActive { branch_id, active } => (
                c.access,
                TA::setBranchActiveCall {
                    branchId: *branch_id,
                    active: *active,
                }
                .abi_encode(),
            ),
            Self::GrantRole { role, id, account } => (
                c.access,
                TA::grantRoleCall {
                    role: role.role(*id)?,
                    account: *account,
                }
                .abi_encode(),
            ),
            Self::RevokeRole { role, id, account } => (
                c.access,
                TA::revokeRoleCall {
                    role: role.role(*id)?,
                    account: *account,
                }
                .abi_encode(),
            ),
            Self::DefineCredentialType { kind, name } => (
                c.credential_registry,
                CR::defineCredentialTypeCall {
                    kind: (*kind).into(),
                    name: name.clone(),
                }
                .abi_encode(),
            ),
            Self::SetCredentialTypeActive { type_id, active } => (
                c.credential_registry,
                CR::setCredentialTypeActiveCall {
                    typeId: *type_id,
                    active: *active,
                }
                .abi_encode(),
            ),
            Self::SetMintQuota {
                branch_id,
                hours: h,
            } => (
                c.service_ledger,
                SL::setMintQuotaCall {
                    branchId: *branch_id,
                    limit: hours_u128(h, "hours")?,
                }
                .abi_encode(),
            ),
            Self::SetUniquenessKey { account, key } => (
                c.identity_registry,
                IR::setUniquenessKeyCall {
                    account: *account,
                    key: *key,
                }
                .abi_encode(),
            ),
            Self::ReleaseUniquenessKey { account, reason } => (
                c.identity_registry,
                IR::releaseUniquenessKeyCall {
                    account: *account,
                    reasonHash: text(reason, "reason")?,
                }
                .abi_encode(),
            ),
            Self::ProposeMonitorRules {
                rules,
                delay_secs,
                salt,
            } => {
                let (config, actions) = rules.to_chain()?;
                (
                    c.timelock,
                    TT::scheduleCall {
                        target: c.time_coin,
                        value: U256::ZERO,
                        data: TC::setMonitorRulesCall { config, actions }
                            .abi_encode()
                            .into(),
                        predecessor: B256::ZERO,
                        salt: *salt,
                        delay: U256::from(*delay_secs),
                    }
                    .abi_encode(),
                )
            }
            Self::ExecuteGoverned { target, data, salt } => (
                c.timelock,
                TT::executeCall {
                    target: *target,
                    value: U256::ZERO,
                    payload: data.clone(),
                    predecessor: B256::ZERO,
                    salt: *salt,
                }
                .abi_encode(),
            ),
            Self::CancelGoverned { id } => (c.timelock, TT::cancelCall { id: *id }.abi_encode()),
        };
        Ok(Call {
            to,
            data: data.into(),
            texts,
        })
    }
}
