//! The governor's public queue: the monitoring rules in force, the timelock's delay, and every
//! governed call proposed, with when it may be carried out and what became of it. Read from the
//! index (the timelock's events) and the node (the rules and the delay), for staff.

use crate::{
    AppState,
    access::{Caller, Role},
    auth::unix_now,
    error::{ApiError, ApiResult, Json},
    vocabulary::iso,
};
use alloy::primitives::{Address, B256, Bytes};
use axum::extract::State;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use timebank_bindings::{TimeCoin, TimebankTimelock};
use timebank_client::action::Rules;
use utoipa::ToSchema;

/// The governor's queue and the rules it governs.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Governance {
    /// The least a governed call waits after it is proposed, in seconds.
    pub min_delay_secs: u64,
    /// The monitoring rules in force.
    pub monitor_rules: Rules,
    /// Governed calls, newest first.
    pub queue: Vec<GovernedCall>,
}

/// A governed call.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GovernedCall {
    /// The timelock's operation id.
    #[schema(value_type = String)]
    pub id: B256,
    /// Its place in a batch proposed at once (0 for a single call).
    pub index: u64,
    /// The contract it calls.
    #[schema(value_type = String)]
    pub target: Address,
    /// The call (ABI-encoded), exactly as proposed.
    #[schema(value_type = String)]
    pub data: Bytes,
    /// The call in words.
    pub call: Option<String>,
    /// The salt it was proposed with.
    #[schema(value_type = String)]
    pub salt: B256,
    /// When it was proposed (ISO 8601).
    pub proposed_at: String,
    /// From when it may be carried out (ISO 8601).
    pub ready_at: String,
    /// `waiting`, `ready`, `done` or `cancelled`.
    pub state: String,
}

/// The monitoring rules in force, the governor's delay, and its queue (staff).
#[utoipa::path(get, path = "/v1/governance", tag = "governance", security(("session" = [])),
    responses((status = 200, body = Governance), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 503, body = crate::error::ErrorBody)))]
pub async fn governance(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> ApiResult<Json<Governance>> {
    caller.require_any(
        &[Role::Admin, Role::Supervisor, Role::Auditor, Role::Operator],
        "the governor's queue",
    )?;
    let c = &state.deployment.contracts;
    let rules = TimeCoin::new(c.time_coin, &state.provider)
        .monitorRules()
        .call()
        .await
        .map_err(|err| ApiError::unavailable("the node", err))?;
    let min_delay = TimebankTimelock::new(c.timelock, &state.provider)
        .getMinDelay()
        .call()
        .await
        .map_err(|err| ApiError::unavailable("the node", err))?;
    let events = state
        .store
        .events_after(
            (0, 0),
            &["CallScheduled", "CallSalt", "CallExecuted", "Cancelled"],
            10_000,
        )
        .await?;
    let now = unix_now();
    let mut calls: Vec<GovernedCall> = Vec::new();
    for e in events.iter().filter(|e| e.contract == "TimebankTimelock") {
        let Some(id) = field::<B256>(&e.fields, "id") else {
            continue;
        };
        match e.event.as_str() {
            "CallScheduled" => {
                let (Some(target), Some(data)) = (
                    field::<Address>(&e.fields, "target"),
                    field::<Bytes>(&e.fields, "data"),
                ) else {
                    continue;
                };
                let delay = number(&e.fields, "delay").unwrap_or_default();
                let call =
                    timebank_client::describe::describe(c, target, &data, &[]).map(|d| d.inline());
                let ready = e.block_time.saturating_add(delay);
                calls.push(GovernedCall {
                    id,
                    index: number(&e.fields, "index").unwrap_or_default(),
                    target,
                    data,
                    call,
                    salt: B256::ZERO,
                    proposed_at: iso(e.block_time),
                    ready_at: iso(ready),
                    state: if now >= ready { "ready" } else { "waiting" }.into(),
                });
            }
            event => {
                let salt = field::<B256>(&e.fields, "salt");
                for call in calls.iter_mut().filter(|c| c.id == id) {
                    match (event, salt) {
                        ("CallSalt", Some(salt)) => call.salt = salt,
                        ("CallExecuted", _) => call.state = "done".into(),
                        ("Cancelled", _) => call.state = "cancelled".into(),
                        _ => {}
                    }
                }
            }
        }
    }
    let queue = calls.into_iter().rev().collect();
    Ok(Json(Governance {
        min_delay_secs: min_delay.saturating_to(),
        monitor_rules: Rules::from_chain(&rules._0, rules.actions),
        queue,
    }))
}

fn field<T: std::str::FromStr>(fields: &serde_json::Value, name: &str) -> Option<T> {
    fields.get(name)?.as_str()?.parse().ok()
}

fn number(fields: &serde_json::Value, name: &str) -> Option<u64> {
    let value = fields.get(name)?;
    value
        .as_u64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
}
