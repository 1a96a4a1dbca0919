//! The browser console: its built files at `/` (any path that is not the API's answers with the
//! console's page, whose router shows the screen) and its API reference at `/docs`, all from
//! this origin under one content security policy; the deployment it signs for, and — on a
//! development chain only — the demo accounts its demo wallet signs with.

use crate::{
    AppState,
    error::{ApiError, ApiResult, Json},
};
use alloy::primitives::Address;
use axum::{
    Router,
    extract::State,
    http::{HeaderValue, header},
};
use serde::{Deserialize, Serialize};
use std::{
    path::{Path, PathBuf},
    sync::Arc,
};
use timebank_bindings::deploy::{Addresses, DEV_CHAIN_ID};
use tower::ServiceBuilder;
use tower_http::{
    services::{ServeDir, ServeFile},
    set_header::SetResponseHeaderLayer,
};
use utoipa::ToSchema;

/// What the console's scripts may do: load only what this gateway serves and talk only to it.
/// (Styles: React sets element styles for charts and virtual lists.)
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
     object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// The deployment a console signs for.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConsoleDeployment {
    /// The chain.
    pub chain_id: u64,
    /// The branch this gateway serves.
    pub branch_id: u32,
    /// The contracts, by name (`forwarder`, `identityRegistry`, `timeCoin`, ...).
    #[schema(value_type = std::collections::BTreeMap<String, String>)]
    pub contracts: Addresses,
    /// Whether this gateway offers demo accounts (a development chain only).
    pub demo_accounts: bool,
}

/// The chain and contracts this gateway relays to: the forwarder a console signs forward
/// requests for, and the contracts it encodes calls to.
#[utoipa::path(get, path = "/v1/deployment", tag = "console",
    responses((status = 200, body = ConsoleDeployment)))]
pub async fn deployment(State(state): State<Arc<AppState>>) -> Json<ConsoleDeployment> {
    let d = &state.deployment;
    Json(ConsoleDeployment {
        chain_id: d.chain_id,
        branch_id: state.branch_id,
        contracts: d.contracts,
        demo_accounts: state.demo_accounts.is_some(),
    })
}

/// One demo account: a role of `make up`'s demo and anvil's public development key for it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DemoAccount {
    /// The role, e.g. `operator-north-1`, `member-1-north`.
    pub name: String,
    /// Its address.
    #[schema(value_type = String)]
    pub address: Address,
    /// Anvil's well-known private key of it.
    pub key: String,
}

/// The demo accounts, read at start from the development chain's accounts file.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DemoAccounts {
    /// What these keys are.
    pub warning: String,
    /// Each role's account.
    pub accounts: Vec<DemoAccount>,
}

impl DemoAccounts {
    /// Reads `make up`'s accounts file for a gateway on `chain_id`: refused on any chain but
    /// anvil's, whose keys everyone knows.
    pub fn load(path: &Path, chain_id: u64) -> eyre::Result<Self> {
        eyre::ensure!(
            chain_id == DEV_CHAIN_ID,
            "--dev-accounts-file is for anvil's chain {DEV_CHAIN_ID} only; this node is on chain \
             {chain_id}, whose keys are people's own"
        );
        #[derive(Deserialize)]
        struct File {
            warning: String,
            roles: Vec<(String, Address, String)>,
        }
        let text = std::fs::read_to_string(path)
            .map_err(|err| eyre::eyre!("the accounts file {}: {err}", path.display()))?;
        let file: File = serde_json::from_str(&text)
            .map_err(|err| eyre::eyre!("the accounts file {}: {err}", path.display()))?;
        Ok(Self {
            warning: file.warning,
            accounts: file
                .roles
                .into_iter()
                .map(|(name, address, key)| DemoAccount { name, address, key })
                .collect(),
        })
    }
}

/// The demo accounts of a development chain (404 elsewhere: a gateway on any other chain has
/// none).
#[utoipa::path(get, path = "/v1/dev/accounts", tag = "console",
    responses((status = 200, body = DemoAccounts), (status = 404, body = crate::error::ErrorBody)))]
pub async fn demo_accounts(State(state): State<Arc<AppState>>) -> ApiResult<Json<DemoAccounts>> {
    state
        .demo_accounts
        .clone()
        .map(Json)
        .ok_or_else(|| ApiError::not_found("this gateway offers no demo accounts"))
}

/// The console's files at every path the API does not take, with the page itself for paths
/// that are the console's screens, and its API reference page (`docs.html`, built with it from
/// pinned packages) at `/docs`. Without a console directory, `/docs` is a page without scripts
/// pointing to `/openapi.json`. The build's assets have content hashes in their names, so
/// browsers keep them; the pages are checked on every visit.
pub fn files(dir: Option<&PathBuf>) -> Router {
    let Some(dir) = dir else {
        return pages(Router::new().route(
            "/docs",
            axum::routing::get(|| async { axum::response::Html(DOCS_WITHOUT_CONSOLE) }),
        ));
    };
    let page = ServeFile::new(dir.join("index.html"));
    let assets = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        ))
        .service(ServeDir::new(dir.join("assets")));
    pages(
        Router::new()
            .nest_service("/assets", assets)
            .route_service("/docs", ServeFile::new(dir.join("docs.html")))
            .fallback_service(ServeDir::new(dir).fallback(page)),
    )
}

/// `/docs` of a gateway that serves no console: no script, nothing from elsewhere.
const DOCS_WITHOUT_CONSOLE: &str = "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
<title>API 参考 · API reference</title></head><body><h1>API 参考 / API reference</h1>\
<p>本网关没有安装控制台，API 参考页随控制台提供。机器可读的接口说明：<a href=\"/openapi.json\">/openapi.json</a></p>\
<p lang=\"en\">This gateway serves no console, which brings the API reference page. The \
machine-readable description: <a href=\"/openapi.json\">/openapi.json</a></p></body></html>\n";

/// The headers of every page and file of the console: its content security policy (this
/// origin only), no type sniffing, no referrer, checked on every visit unless said otherwise.
fn pages(router: Router) -> Router {
    router
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accounts_file() -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(
            file.path(),
            r#"{"warning": "public keys", "roles": [["member-1-north", "0x00000000000000000000000000000000000000a1", "0x01"]], "keys": []}"#,
        )
        .unwrap();
        file
    }

    #[test]
    fn demo_accounts_are_offered_on_anvils_chain() {
        let file = accounts_file();
        let accounts = DemoAccounts::load(file.path(), DEV_CHAIN_ID).unwrap();
        assert_eq!(accounts.accounts[0].name, "member-1-north");
    }

    #[test]
    fn no_demo_accounts_on_any_other_chain() {
        let file = accounts_file();
        for chain in [1, 5, 1337, 31338] {
            let err = DemoAccounts::load(file.path(), chain).unwrap_err();
            assert!(err.to_string().contains("anvil's chain"), "{err}");
        }
    }
}
