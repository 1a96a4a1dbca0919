//! Branches evaluating for each other: `POST /v1/uniqueness/evaluate`, which another branch's
//! gateway calls with blinded documents, and this gateway's calls to theirs.
//!
//! A request is the JSON body, signed (EIP-191, over the body's bytes) by the requesting
//! gateway's relayer key in `Authorization: TimebankGateway 0x<signature>`. The evaluating
//! gateway checks that the signer holds the requesting branch's gateway role on chain, that the
//! request names this branch and an epoch it holds a share of and was made in the last two
//! minutes; it rate-limits each requesting branch (documents per minute), writes every
//! evaluation to its access log (the requesting gateway, the operator it acts for, why, how
//! many) and answers with its share's evaluations and their proof. It learns nothing of the
//! documents: each is a random-looking group element.

use super::{Keyring, Purpose, Uniqueness};
use crate::{
    AppState,
    auth::unix_now,
    error::{ApiError, ApiResult, Json},
};
use alloy::{
    primitives::{Address, B256, Bytes, Signature},
    signers::SignerSync,
};
use axum::{
    extract::State,
    http::{HeaderMap, header::AUTHORIZATION},
};
use governor::clock::Clock;
use serde::{Deserialize, Serialize};
use std::{num::NonZeroU32, sync::Arc, time::Duration};
use timebank_bindings::{TimebankAccess, roles};
use timebank_indexer::query::gateway::AccessRecord;
use timebank_uniqueness::Evaluation;
use utoipa::ToSchema;

/// One peer's answer's timeout.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// How old a request may be (clocks of branch hosts differ a little).
const FRESH_SECS: u64 = 120;
/// The authorization scheme of a gateway's signed request.
const SCHEME: &str = "TimebankGateway ";

/// Blinded documents a branch's gateway asks another to evaluate under its share.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EvaluateRequest {
    /// The uniqueness epoch whose share is asked for.
    pub epoch: u32,
    /// The requesting branch (its gateway's relayer signs the request).
    pub from: u32,
    /// The evaluating branch.
    pub to: u32,
    /// The operator (or auditor) the requesting gateway acts for.
    #[schema(value_type = String)]
    pub operator: Address,
    /// Why: `check`, `bind`, `approve` or `audit`.
    #[schema(value_type = String)]
    pub purpose: Purpose,
    /// When the request was made (unix seconds).
    pub issued_at: u64,
    /// The blinded documents (ristretto255 points, 32 bytes each), at most 256.
    #[schema(value_type = Vec<String>)]
    pub elements: Vec<B256>,
}

/// A branch's evaluations under its share, with their batch proof.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EvaluateResponse {
    /// One evaluated element per blinded document, in order.
    #[schema(value_type = Vec<String>)]
    pub elements: Vec<B256>,
    /// The DLEQ proof that the share whose public key the key ceremony published was used.
    #[schema(value_type = String)]
    pub proof: Bytes,
}

/// Evaluate blinded identity documents under this branch's share of the uniqueness key. For
/// other branches' gateways only, signed by their relayer key (`Authorization: TimebankGateway
/// 0x…`); every evaluation is written to the access log and rate-limited per branch.
#[utoipa::path(post, path = "/v1/uniqueness/evaluate", tag = "members",
    request_body = EvaluateRequest,
    responses((status = 200, body = EvaluateResponse), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 429, body = crate::error::ErrorBody), (status = 503, body = crate::error::ErrorBody)))]
pub async fn evaluate(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Json<EvaluateResponse>> {
    let authorization = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Some(signature) = authorization.strip_prefix(SCHEME) else {
        return Err(if authorization.is_empty() {
            ApiError::unauthorized(
                "evaluations are for branches' gateways: sign the request with the relayer key \
                 (Authorization: TimebankGateway 0x…)",
            )
        } else {
            ApiError::forbidden("evaluations are for branches' gateways, not people's sessions")
        });
    };
    let signature: Signature = signature
        .trim()
        .parse()
        .map_err(|_| ApiError::unauthorized("the gateway's signature is not 65 bytes of hex"))?;
    let request: EvaluateRequest = serde_json::from_slice(&body)
        .map_err(|err| ApiError::bad_request(format!("the evaluation request: {err}")))?;
    let uniqueness = state.uniqueness.as_ref().ok_or_else(|| {
        ApiError::unavailable(
            "uniqueness evaluations",
            "this gateway holds no uniqueness share (--uniqueness-share-file)",
        )
    })?;
    if request.to != state.branch_id || request.from == state.branch_id {
        return Err(ApiError::bad_request(format!(
            "the request is from branch {} to branch {}; this is branch {}'s gateway",
            request.from, request.to, state.branch_id
        )));
    }
    let now = unix_now();
    if request.issued_at + FRESH_SECS < now || request.issued_at > now + FRESH_SECS {
        return Err(ApiError::bad_request(format!(
            "the request was made at {}; it is {now} here (at most {FRESH_SECS} s apart)",
            request.issued_at
        )));
    }
    let signer = signature
        .recover_address_from_msg(&body[..])
        .map_err(|_| ApiError::unauthorized("the gateway's signature does not recover"))?;
    let access = TimebankAccess::new(state.deployment.contracts.access, &state.provider);
    let is_gateway = access
        .hasRole(roles::gateway(request.from), signer)
        .call()
        .await
        .map_err(|err| ApiError::unavailable("the node", err))?;
    if !is_gateway {
        return Err(ApiError::forbidden(format!(
            "{signer} does not hold branch {}'s gateway role",
            request.from
        )));
    }
    let keyring = uniqueness.keyring(request.epoch).ok_or_else(|| {
        ApiError::bad_request(format!(
            "this branch holds no share of uniqueness epoch {}",
            request.epoch
        ))
    })?;
    let n = NonZeroU32::new(u32::try_from(request.elements.len()).unwrap_or(u32::MAX))
        .ok_or_else(|| ApiError::bad_request("no blinded documents"))?;
    match uniqueness.per_branch.check_key_n(&request.from, n) {
        Ok(Ok(())) => {}
        Ok(Err(not_until)) => {
            return Err(ApiError::too_many(
                "rate_limited",
                format!(
                    "branch {} asked for too many evaluations in the last minute",
                    request.from
                ),
                not_until.wait_time_from(uniqueness.clock.now()),
            ));
        }
        Err(_) => {
            return Err(ApiError::bad_request(format!(
                "{n} documents at once are more than branch {} may have evaluated in a minute",
                request.from
            )));
        }
    }
    state
        .store
        .record_access(&AccessRecord {
            at: now,
            reader: signer,
            reader_roles: format!("gateway:{}", request.from),
            account: request.operator,
            member_id: 0,
            profile_version: 0,
            reason: format!(
                "uniqueness evaluation for branch {} ({}): {n} blinded document(s), epoch {}",
                request.from,
                request.purpose.as_str(),
                request.epoch
            ),
            gateway_branch: state.branch_id.into(),
        })
        .await?;
    let elements: Vec<[u8; 32]> = request.elements.iter().map(|e| e.0).collect();
    let evaluation = keyring
        .share
        .evaluate(&elements)
        .map_err(|err| ApiError::bad_request(err.to_string()))?;
    tracing::info!(
        from = request.from, operator = %request.operator, purpose = request.purpose.as_str(),
        documents = elements.len(), epoch = request.epoch, "uniqueness evaluation"
    );
    Ok(Json(EvaluateResponse {
        elements: evaluation.elements.into_iter().map(B256::from).collect(),
        proof: evaluation.proof.into(),
    }))
}

/// This branch's evaluation of `elements` and enough peers' for the epoch's threshold, asked
/// in waves: first as many peers as the threshold needs, then others in place of any that
/// failed. Each peer's answer is checked by the combination, not here.
pub(super) async fn evaluations(
    service: &Uniqueness,
    state: &AppState,
    keyring: &Keyring,
    elements: &[[u8; 32]],
    purpose: Purpose,
    operator: Address,
) -> ApiResult<Vec<(u32, Evaluation)>> {
    let own = keyring
        .share
        .evaluate(elements)
        .map_err(|err| ApiError::internal("evaluating under this branch's share", err))?;
    let mut got = vec![(state.branch_id, own)];
    let need = usize::from(keyring.epoch.threshold);
    let mut candidates = keyring
        .epoch
        .branches()
        .filter(|b| *b != state.branch_id)
        .filter_map(|b| service.peers.get(&b).map(|url| (b, url)));
    let mut failures = Vec::new();
    while got.len() < need {
        let wave: Vec<_> = candidates.by_ref().take(need - got.len()).collect();
        if wave.is_empty() {
            break;
        }
        let answers = futures::future::join_all(wave.into_iter().map(|(branch, url)| async move {
            let answer = ask(
                service, state, keyring, branch, url, elements, purpose, operator,
            )
            .await;
            (branch, answer)
        }))
        .await;
        for (branch, answer) in answers {
            match answer {
                Ok(evaluation) => got.push((branch, evaluation)),
                Err(err) => {
                    tracing::warn!(branch, error = %err, "a branch did not evaluate");
                    failures.push(format!("branch {branch}: {err}"));
                }
            }
        }
    }
    if got.len() < need {
        return Err(ApiError::unavailable(
            "keying identity documents",
            format!(
                "{} of the {need} branches needed answered (uniqueness epoch {}); {}",
                got.len(),
                keyring.epoch.epoch,
                if failures.is_empty() {
                    "no other branch's gateway is known (--peer-gateway)".to_owned()
                } else {
                    failures.join("; ")
                }
            ),
        ));
    }
    Ok(got)
}

/// Asks branch `branch`'s gateway at `url` for its evaluation.
#[allow(clippy::too_many_arguments)]
async fn ask(
    service: &Uniqueness,
    state: &AppState,
    keyring: &Keyring,
    branch: u32,
    url: &reqwest::Url,
    elements: &[[u8; 32]],
    purpose: Purpose,
    operator: Address,
) -> Result<Evaluation, String> {
    let request = EvaluateRequest {
        epoch: keyring.epoch.epoch,
        from: state.branch_id,
        to: branch,
        operator,
        purpose,
        issued_at: unix_now(),
        elements: elements.iter().copied().map(B256::from).collect(),
    };
    let body = serde_json::to_vec(&request).map_err(|err| err.to_string())?;
    let signature = service
        .signer
        .sign_message_sync(&body)
        .map_err(|err| err.to_string())?;
    let endpoint = url
        .join("v1/uniqueness/evaluate")
        .map_err(|err| err.to_string())?;
    let response = service
        .http
        .post(endpoint)
        .header(AUTHORIZATION, format!("{SCHEME}{signature}"))
        .header(axum::http::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .map_err(|err| {
            format!(
                "unreachable ({})",
                if err.is_timeout() {
                    "timeout"
                } else {
                    "connection"
                }
            )
        })?;
    let status = response.status();
    if !status.is_success() {
        let text = response.text().await.unwrap_or_default();
        let message = serde_json::from_str::<crate::error::ErrorBody>(&text)
            .map(|e| e.message)
            .unwrap_or_else(|_| text.chars().take(200).collect());
        return Err(format!("{status}: {message}"));
    }
    let answer: EvaluateResponse = response
        .json()
        .await
        .map_err(|err| format!("an answer that is not an evaluation: {err}"))?;
    Ok(Evaluation {
        elements: answer.elements.into_iter().map(|e| e.0).collect(),
        proof: answer.proof.to_vec(),
    })
}
