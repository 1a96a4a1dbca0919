//! Every write a person makes, prepared for their wallet: the gateway encodes the contract call,
//! checks that the contract would accept it from the caller, and answers the ERC-2771 forward
//! request with its EIP-712 typed data. The wallet signs; `POST /v1/relay` sends. Texts behind
//! on-chain hashes (reasons, a case decision's note) stay off chain, in the branch's database.

use crate::{
    AppState,
    access::Caller,
    api::unix_now,
    error::{ApiError, ApiResult, Json},
    relay::{self, MAX_GAS},
};
use alloy::{
    primitives::{Address, B256, Bytes, U256, aliases::U40, keccak256, utils::parse_units},
    sol_types::SolCall,
};
use axum::extract::State;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use timebank_bindings::{
    CredentialRegistry as CR, IdentityRegistry as IR, ServiceLedger as SL, SupervisionDesk as SD,
    TimeCoin as TC, TimebankForwarder,
};
use utoipa::ToSchema;

/// Risk levels, in `RiskLevel` order.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    /// No concern.
    None,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High: every movement opens a case.
    High,
    /// Blocked: no movement at all (supervisors only).
    Blocked,
}

/// A case decision.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Nothing wrong: held coins go to the recipient.
    Cleared,
    /// The pattern is real: held coins go back to the sender.
    Confirmed,
}

/// Kinds of activity.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An activity (rewarded as `activity_reward`).
    Activity,
    /// A training (rewarded as `training_reward`).
    Training,
}

/// Purposes a member may pay with.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PayPurpose {
    /// For a service received.
    ServicePayment,
    /// A gift.
    Gift,
}

/// What to do. Amounts of time are hours as decimal strings (`"1.5"`); reasons and notes are
/// text, whose hash goes on chain.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
#[allow(missing_docs)]
pub enum Action {
    /// A second operator of the branch approves a submitted member.
    ApproveMember {
        #[schema(value_type = String)]
        account: Address,
    },
    /// An operator rejects a submitted member.
    RejectMember {
        #[schema(value_type = String)]
        account: Address,
        reason: String,
    },
    /// An operator of the home branch suspends a member.
    SuspendMember {
        #[schema(value_type = String)]
        account: Address,
        reason: String,
    },
    /// An operator of the home branch reinstates a suspended member.
    ReinstateMember {
        #[schema(value_type = String)]
        account: Address,
        reason: String,
    },
    /// The member or an operator of the home branch asks another branch to take over.
    RequestMove {
        #[schema(value_type = String)]
        account: Address,
        to_branch: u32,
    },
    /// An operator of the receiving branch accepts a move.
    AcceptMove {
        #[schema(value_type = String)]
        account: Address,
    },
    /// An operator of the home branch asks to move a lost wallet's membership to a new one; a
    /// supervisor decides the case that opens.
    RequestRecovery {
        #[schema(value_type = String)]
        previous_account: Address,
        #[schema(value_type = String)]
        new_account: Address,
        reason: String,
    },
    /// A supervisor (or, below Blocked, an operator) sets a member's risk level.
    SetRiskLevel {
        #[schema(value_type = String)]
        account: Address,
        level: Risk,
        reason: String,
    },
    /// A partner institution raises a risk alert.
    RaiseRiskAlert {
        #[schema(value_type = String)]
        account: Address,
        reason: String,
    },
    /// A supervisor assesses a partner's alert.
    AssessRiskAlert {
        alert_id: u64,
        level: Risk,
        reason: String,
    },
    /// An issuer issues a credential (`expires_at`: unix seconds, in the future).
    IssueCredential {
        #[schema(value_type = String)]
        account: Address,
        type_id: u32,
        #[schema(value_type = String)]
        document_hash: B256,
        expires_at: u64,
    },
    /// An issuer renews a credential.
    RenewCredential {
        #[schema(value_type = String)]
        account: Address,
        type_id: u32,
        #[schema(value_type = String)]
        document_hash: B256,
        expires_at: u64,
    },
    /// An issuer revokes a credential.
    RevokeCredential {
        #[schema(value_type = String)]
        account: Address,
        type_id: u32,
        reason: String,
    },
    /// An operator creates an activity or training at their branch.
    CreateActivity {
        branch_id: u32,
        kind: Kind,
        hours_cap: String,
        required_credential_type: u32,
        details: String,
    },
    /// A member joins an activity.
    JoinActivity { activity_id: u64 },
    /// An operator records a volunteer's hours.
    RecordHours {
        activity_id: u64,
        #[schema(value_type = String)]
        volunteer: Address,
        hours: String,
    },
    /// The volunteer confirms the recorded hours, as they saw them.
    ConfirmHours { activity_id: u64, hours: String },
    /// An operator settles: the volunteer is rewarded.
    Settle {
        activity_id: u64,
        #[schema(value_type = String)]
        volunteer: Address,
    },
    /// A provider proposes a service to a requester.
    ProposeService {
        #[schema(value_type = String)]
        requester: Address,
        hours: String,
        details: String,
    },
    /// The other side confirms; the requester's confirmation pays.
    ConfirmService { service_id: u64 },
    /// A member pays another (service payment or gift).
    Pay {
        #[schema(value_type = String)]
        to: Address,
        hours: String,
        purpose: PayPurpose,
        reference: Option<String>,
    },
    /// A supervisor decides a case; the note's text stays off chain.
    DecideCase {
        case_id: u64,
        outcome: Outcome,
        note: String,
        risk_level: Risk,
    },
}

/// A prepared forward request: sign `typedData` (EIP-712) with the caller's wallet, then post
/// the fields with the `signature` to `/v1/relay`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Prepared {
    /// The caller.
    #[schema(value_type = String)]
    pub from: Address,
    /// The contract.
    #[schema(value_type = String)]
    pub to: Address,
    /// Gas for the inner call.
    pub gas: u64,
    /// The caller's forwarder nonce.
    pub nonce: u64,
    /// Unix seconds; ten minutes after the latest block.
    pub deadline: u64,
    /// The call.
    #[schema(value_type = String)]
    pub data: Bytes,
    /// The EIP-712 typed data to sign (`eth_signTypedData_v4`).
    pub typed_data: serde_json::Value,
}

fn hours(text: &str, field: &str) -> ApiResult<U256> {
    let amount: U256 = parse_units(text, 18)
        .map_err(|err| {
            ApiError::bad_request(format!(
                "`{field}` is {text:?}; it must be hours as a decimal number: {err}"
            ))
        })?
        .into();
    if amount.is_zero() {
        return Err(ApiError::bad_request(format!(
            "`{field}` must be more than 0"
        )));
    }
    Ok(amount)
}

fn u128_of(amount: U256, field: &str) -> ApiResult<u128> {
    u128::try_from(amount).map_err(|_| ApiError::bad_request(format!("`{field}` is too large")))
}

/// Prepare a write for the caller's wallet to sign. The call is checked against the contract
/// as the caller (422 `reverted` with the contract's error if it would refuse it).
#[utoipa::path(post, path = "/v1/prepare", tag = "relay", security(("session" = [])),
    request_body = Action,
    responses((status = 200, body = Prepared), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn prepare(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Json(action): Json<Action>,
) -> ApiResult<Json<Prepared>> {
    let d = &state.deployment;
    let mut notes: Vec<String> = Vec::new();
    let mut text = |t: String, field: &str| -> ApiResult<B256> {
        if t.trim().is_empty() || t.len() > 4096 {
            return Err(ApiError::bad_request(format!(
                "`{field}` must be between 1 and 4096 characters"
            )));
        }
        let hash = keccak256(t.as_bytes());
        notes.push(t);
        Ok(hash)
    };
    let (to, data): (Address, Vec<u8>) = match action {
        Action::ApproveMember { account } => (
            d.contracts.identity_registry,
            IR::approveMemberCall { account }.abi_encode(),
        ),
        Action::RejectMember { account, reason } => (
            d.contracts.identity_registry,
            IR::rejectMemberCall {
                account,
                reasonHash: text(reason, "reason")?,
            }
            .abi_encode(),
        ),
        Action::SuspendMember { account, reason } => (
            d.contracts.identity_registry,
            IR::suspendMemberCall {
                account,
                reasonHash: text(reason, "reason")?,
            }
            .abi_encode(),
        ),
        Action::ReinstateMember { account, reason } => (
            d.contracts.identity_registry,
            IR::reinstateMemberCall {
                account,
                reasonHash: text(reason, "reason")?,
            }
            .abi_encode(),
        ),
        Action::RequestMove { account, to_branch } => (
            d.contracts.identity_registry,
            IR::requestMoveCall {
                account,
                toBranch: to_branch,
            }
            .abi_encode(),
        ),
        Action::AcceptMove { account } => (
            d.contracts.identity_registry,
            IR::acceptMoveCall { account }.abi_encode(),
        ),
        Action::RequestRecovery {
            previous_account,
            new_account,
            reason,
        } => (
            d.contracts.supervision_desk,
            SD::requestRecoveryCall {
                previousAccount: previous_account,
                newAccount: new_account,
                reasonHash: text(reason, "reason")?,
            }
            .abi_encode(),
        ),
        Action::SetRiskLevel {
            account,
            level,
            reason,
        } => (
            d.contracts.identity_registry,
            IR::setRiskLevelCall {
                account,
                level: level as u8,
                reasonHash: text(reason, "reason")?,
            }
            .abi_encode(),
        ),
        Action::RaiseRiskAlert { account, reason } => (
            d.contracts.identity_registry,
            IR::raiseRiskAlertCall {
                account,
                reasonHash: text(reason, "reason")?,
            }
            .abi_encode(),
        ),
        Action::AssessRiskAlert {
            alert_id,
            level,
            reason,
        } => (
            d.contracts.identity_registry,
            IR::assessRiskAlertCall {
                alertId: U256::from(alert_id),
                level: level as u8,
                reasonHash: text(reason, "reason")?,
            }
            .abi_encode(),
        ),
        Action::IssueCredential {
            account,
            type_id,
            document_hash,
            expires_at,
        } => (
            d.contracts.credential_registry,
            CR::issueCredentialCall {
                account,
                typeId: type_id,
                documentHash: document_hash,
                expiresAt: U40::from(expires_at),
            }
            .abi_encode(),
        ),
        Action::RenewCredential {
            account,
            type_id,
            document_hash,
            expires_at,
        } => (
            d.contracts.credential_registry,
            CR::renewCredentialCall {
                account,
                typeId: type_id,
                documentHash: document_hash,
                expiresAt: U40::from(expires_at),
            }
            .abi_encode(),
        ),
        Action::RevokeCredential {
            account,
            type_id,
            reason,
        } => (
            d.contracts.credential_registry,
            CR::revokeCredentialCall {
                account,
                typeId: type_id,
                reasonHash: text(reason, "reason")?,
            }
            .abi_encode(),
        ),
        Action::CreateActivity {
            branch_id,
            kind,
            hours_cap,
            required_credential_type,
            details,
        } => (
            d.contracts.service_ledger,
            SL::createActivityCall {
                branchId: branch_id,
                kind: kind as u8,
                hoursCap: u128_of(hours(&hours_cap, "hours_cap")?, "hours_cap")?,
                requiredCredentialType: required_credential_type,
                detailsHash: text(details, "details")?,
            }
            .abi_encode(),
        ),
        Action::JoinActivity { activity_id } => (
            d.contracts.service_ledger,
            SL::joinActivityCall {
                activityId: U256::from(activity_id),
            }
            .abi_encode(),
        ),
        Action::RecordHours {
            activity_id,
            volunteer,
            hours: h,
        } => (
            d.contracts.service_ledger,
            SL::recordHoursCall {
                activityId: U256::from(activity_id),
                volunteer,
                amount: u128_of(hours(&h, "hours")?, "hours")?,
            }
            .abi_encode(),
        ),
        Action::ConfirmHours {
            activity_id,
            hours: h,
        } => (
            d.contracts.service_ledger,
            SL::confirmHoursCall {
                activityId: U256::from(activity_id),
                amount: u128_of(hours(&h, "hours")?, "hours")?,
            }
            .abi_encode(),
        ),
        Action::Settle {
            activity_id,
            volunteer,
        } => (
            d.contracts.service_ledger,
            SL::settleCall {
                activityId: U256::from(activity_id),
                volunteer,
            }
            .abi_encode(),
        ),
        Action::ProposeService {
            requester,
            hours: h,
            details,
        } => (
            d.contracts.service_ledger,
            SL::proposeServiceCall {
                requester,
                amount: u128_of(hours(&h, "hours")?, "hours")?,
                detailsHash: text(details, "details")?,
            }
            .abi_encode(),
        ),
        Action::ConfirmService { service_id } => (
            d.contracts.service_ledger,
            SL::confirmServiceCall {
                serviceId: U256::from(service_id),
            }
            .abi_encode(),
        ),
        Action::Pay {
            to,
            hours: h,
            purpose,
            reference,
        } => (
            d.contracts.time_coin,
            TC::payCall {
                to,
                amount: hours(&h, "hours")?,
                purpose: match purpose {
                    PayPurpose::ServicePayment => 2,
                    PayPurpose::Gift => 3,
                },
                r#ref: match reference {
                    Some(r) => text(r, "reference")?,
                    None => B256::ZERO,
                },
            }
            .abi_encode(),
        ),
        Action::DecideCase {
            case_id,
            outcome,
            note,
            risk_level,
        } => (
            d.contracts.supervision_desk,
            SD::decideCaseCall {
                caseId: U256::from(case_id),
                outcome: match outcome {
                    Outcome::Cleared => 2,
                    Outcome::Confirmed => 3,
                },
                noteHash: text(note, "note")?,
                riskLevel: risk_level as u8,
            }
            .abi_encode(),
        ),
    };
    let data = Bytes::from(data);
    let prepared = prepared(&state, &caller, to, data).await?;
    // The texts behind the hashes, kept at this branch (idempotent: the hash is the key).
    for note in notes {
        sqlx::query(
            "INSERT INTO note (hash, text, author, at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (hash) DO NOTHING",
        )
        .bind(keccak256(note.as_bytes()).to_vec())
        .bind(note)
        .bind(caller.address.to_vec())
        .bind(i64::try_from(unix_now()).unwrap_or(i64::MAX))
        .execute(state.store.pool())
        .await
        .map_err(|err| ApiError::internal("keeping a note", err))?;
    }
    Ok(Json(prepared))
}

/// A call already encoded (e.g. the one `POST /v1/members/package` returns).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCall {
    /// A timebank contract.
    #[schema(value_type = String)]
    pub to: Address,
    /// The call, ABI-encoded.
    #[schema(value_type = String)]
    pub data: Bytes,
}

/// Prepare an already encoded call for the caller's wallet to sign (checked like `/v1/prepare`).
#[utoipa::path(post, path = "/v1/prepare/call", tag = "relay", security(("session" = [])),
    request_body = RawCall,
    responses((status = 200, body = Prepared), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn prepare_call(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Json(call): Json<RawCall>,
) -> ApiResult<Json<Prepared>> {
    relay::require_target(&state.deployment, call.to)?;
    Ok(Json(prepared(&state, &caller, call.to, call.data).await?))
}

/// Checks the call as the caller and wraps it in a forward request with its typed data.
async fn prepared(
    state: &AppState,
    caller: &Caller,
    to: Address,
    data: Bytes,
) -> ApiResult<Prepared> {
    let d = &state.deployment;
    let gas = 1_000_000u64.min(MAX_GAS);
    relay::simulate(state, caller.address, to, &data, gas).await?;
    let forwarder = TimebankForwarder::new(d.contracts.forwarder, &state.provider);
    let nonce: u64 = forwarder
        .nonces(caller.address)
        .call()
        .await
        .map_err(|err| ApiError::unavailable("the node", err))?
        .saturating_to();
    // The forwarder checks the deadline against the chain's clock.
    let deadline = relay::chain_time(state).await? + 600;
    let typed_data = serde_json::json!({
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"}
            ],
            "ForwardRequest": [
                {"name": "from", "type": "address"},
                {"name": "to", "type": "address"},
                {"name": "value", "type": "uint256"},
                {"name": "gas", "type": "uint256"},
                {"name": "nonce", "type": "uint256"},
                {"name": "deadline", "type": "uint48"},
                {"name": "data", "type": "bytes"}
            ]
        },
        "primaryType": "ForwardRequest",
        "domain": {
            "name": "TimebankForwarder",
            "version": "1",
            "chainId": d.chain_id,
            "verifyingContract": d.contracts.forwarder
        },
        "message": {
            "from": caller.address,
            "to": to,
            "value": "0",
            "gas": gas.to_string(),
            "nonce": nonce.to_string(),
            "deadline": deadline,
            "data": data
        }
    });
    Ok(Prepared {
        from: caller.address,
        to,
        gas,
        nonce,
        deadline,
        data,
        typed_data,
    })
}
