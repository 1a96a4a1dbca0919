//! A client of the gateway's HTTP API for programs that hold a wallet: signs in with
//! EIP-4361, reads, and makes writes the way a person's wallet does (prepare, sign the EIP-712
//! typed data, relay). Used by the end-to-end tests, the benchmarks and the CLI.

use crate::ErrorBody;
use alloy::{dyn_abi::TypedData, primitives::Address, signers::Signer};
use serde::{Serialize, de::DeserializeOwned};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

/// What went wrong talking to a gateway.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The gateway answered with an error.
    #[error("{status}: {} ({})", .body.message, .body.code)]
    Api {
        /// HTTP status.
        status: u16,
        /// The error body.
        body: ErrorBody,
    },
    /// The request did not get an answer, or the answer was not what the API describes.
    #[error("{0}")]
    Transport(String),
    /// The wallet refused to sign.
    #[error("signing: {0}")]
    Signing(String),
}

/// Result of a client call.
pub type ClientResult<T> = Result<T, ClientError>;

/// A gateway, not signed in.
#[derive(Debug, Clone)]
pub struct Gateway {
    base: String,
    http: reqwest::Client,
}

/// A signed-in session at a gateway.
#[derive(Debug, Clone)]
pub struct Session {
    gateway: Gateway,
    token: String,
    /// Who signed in.
    pub address: Address,
}

impl Gateway {
    /// The gateway at `base` (e.g. `http://127.0.0.1:8081`).
    pub fn new(base: impl Into<String>) -> Self {
        Self {
            base: base.into().trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
        }
    }

    /// Its base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Signs in with `signer` (a nonce, an EIP-4361 message valid for an hour, its EIP-191
    /// signature).
    pub async fn sign_in(&self, signer: &(impl Signer + Sync)) -> ClientResult<Session> {
        let nonce: serde_json::Value = self
            .send(self.http.post(self.url("/v1/auth/nonce")), None)
            .await?;
        let field = |name: &str| {
            nonce[name]
                .as_str()
                .map(str::to_owned)
                .or_else(|| nonce[name].as_u64().map(|n| n.to_string()))
                .ok_or_else(|| ClientError::Transport(format!("the nonce answer has no {name}")))
        };
        let (domain, chain_id, nonce) = (field("domain")?, field("chainId")?, field("nonce")?);
        let now = OffsetDateTime::now_utc();
        let at = |t: OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
        let message = format!(
            "{domain} wants you to sign in with your Ethereum account:\n{}\n\nSign in to timebank.\n\n\
             URI: http://{domain}\nVersion: 1\nChain ID: {chain_id}\nNonce: {nonce}\n\
             Issued At: {}\nExpiration Time: {}",
            signer.address().to_checksum(None),
            at(now),
            at(now + time::Duration::hours(1)),
        );
        let signature = signer
            .sign_message(message.as_bytes())
            .await
            .map_err(|err| ClientError::Signing(err.to_string()))?;
        let body = serde_json::json!({
            "message": message,
            "signature": alloy::hex::encode_prefixed(signature.as_bytes()),
        });
        let session: serde_json::Value = self
            .send(self.http.post(self.url("/v1/auth/login")).json(&body), None)
            .await?;
        Ok(Session {
            gateway: self.clone(),
            token: session["token"].as_str().unwrap_or_default().to_owned(),
            address: signer.address(),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn send<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        token: Option<&str>,
    ) -> ClientResult<T> {
        let request = match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        let response = request
            .send()
            .await
            .map_err(|err| ClientError::Transport(format!("{}: {err}", self.base)))?;
        let status = response.status().as_u16();
        let bytes = response
            .bytes()
            .await
            .map_err(|err| ClientError::Transport(err.to_string()))?;
        if status >= 400 {
            let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| ErrorBody {
                code: "unknown".into(),
                message: String::from_utf8_lossy(&bytes).into_owned(),
                details: None,
            });
            return Err(ClientError::Api { status, body });
        }
        let bytes = if bytes.is_empty() {
            &b"null"[..]
        } else {
            &bytes[..]
        };
        serde_json::from_slice(bytes)
            .map_err(|err| ClientError::Transport(format!("an unexpected answer: {err}")))
    }
}

impl Session {
    /// The bearer token (for requests this client does not make, like the event stream).
    pub fn token(&self) -> Option<&str> {
        (!self.token.is_empty()).then_some(self.token.as_str())
    }

    /// `GET path` as this session.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> ClientResult<T> {
        let g = &self.gateway;
        g.send(g.http.get(g.url(path)), Some(&self.token)).await
    }

    /// `POST path` with a JSON body as this session.
    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> ClientResult<T> {
        let g = &self.gateway;
        g.send(g.http.post(g.url(path)).json(body), Some(&self.token))
            .await
    }

    /// Makes a write: `POST /v1/prepare` with `action`, signs the typed data with `signer`
    /// (which must be this session's wallet), relays it. Returns the relay's answer
    /// (`txHash`, `blockNumber`, `success`, `monitor`).
    pub async fn act(
        &self,
        signer: &(impl Signer + Sync),
        action: serde_json::Value,
    ) -> ClientResult<serde_json::Value> {
        let prepared: serde_json::Value = self.post("/v1/prepare", &action).await?;
        self.sign_and_relay(signer, prepared).await
    }

    /// Signs a prepared request's typed data and relays it.
    pub async fn sign_and_relay(
        &self,
        signer: &(impl Signer + Sync),
        prepared: serde_json::Value,
    ) -> ClientResult<serde_json::Value> {
        let typed: TypedData = serde_json::from_value(prepared["typedData"].clone())
            .map_err(|err| ClientError::Transport(format!("the typed data: {err}")))?;
        let hash = typed
            .eip712_signing_hash()
            .map_err(|err| ClientError::Signing(err.to_string()))?;
        let signature = signer
            .sign_hash(&hash)
            .await
            .map_err(|err| ClientError::Signing(err.to_string()))?;
        let mut request = serde_json::json!({
            "signature": alloy::hex::encode_prefixed(signature.as_bytes()),
        });
        for field in ["from", "to", "gas", "nonce", "deadline", "data"] {
            request[field] = prepared[field].clone();
        }
        self.post("/v1/relay", &request).await
    }

    /// Seals `profile` for `account` and publishes it (`submit` or `update`) with `signer`.
    /// Returns the salted profile the member keeps.
    pub async fn publish_profile(
        &self,
        signer: &(impl Signer + Sync),
        account: Address,
        profile: serde_json::Value,
        action: &str,
    ) -> ClientResult<serde_json::Value> {
        let sealed: serde_json::Value = self
            .post(
                "/v1/members/package",
                &serde_json::json!({"account": account, "profile": profile, "action": action}),
            )
            .await?;
        let prepared: serde_json::Value = self
            .post(
                "/v1/prepare/call",
                &serde_json::json!({"to": sealed["to"], "data": sealed["data"]}),
            )
            .await?;
        self.sign_and_relay(signer, prepared).await?;
        Ok(sealed["profile"].clone())
    }
}
