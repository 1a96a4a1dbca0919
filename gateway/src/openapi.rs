//! The OpenAPI document: every operation, the session scheme, the answers every operation can
//! give, and who may call each (from the role table of `docs/api.md`).

use crate::{
    ErrorBody, api, auth, console, governance, live, members, prepare, relay, risk, uniqueness,
    webhooks, work,
};
use utoipa::{
    Modify, OpenApi,
    openapi::security::{Http, HttpAuthScheme, SecurityScheme},
};

/// The OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "timebank gateway",
        description = "A branch's API over the timebank chain: wallet sign-in (EIP-4361), \
            role-scoped reads, live events. Errors are `{code, message, details}`.",
        license(name = "MIT")
    ),
    paths(
        crate::health, crate::ready, auth::nonce, auth::login, auth::me, auth::logout, api::branches,
        api::member, api::balance, api::payments, api::history, api::cases, api::holds, risk::findings, risk::platform, live::stream,
        relay::nonce, relay::relay, members::package, members::profile, members::verify,
        members::access_log, members::audit, members::uniqueness_audit, uniqueness::peer::evaluate, prepare::prepare, prepare::prepare_call,
        work::pending_members, work::moves, work::activities, work::services, work::alerts,
        work::quota, work::stats, work::credential_types, work::expiring_credentials,
        webhooks::set_endpoint, webhooks::rotate, webhooks::messages, webhooks::redeliver,
        governance::governance, console::deployment, console::demo_accounts
    ),
    components(schemas(ErrorBody, crate::Health, crate::Ready, work::Direction, webhooks::MessageState, api::CaseOrder)),
    modifiers(&SessionAuth, &CommonErrors, &WhoMayCall),
    tags(
        (name = "auth", description = "Sign-In with Ethereum and sessions"),
        (name = "branches"), (name = "members"), (name = "payments"), (name = "cases"),
        (name = "activities", description = "Activities, trainings and services"),
        (name = "partners", description = "Warnings back to partner institutions (webhooks)"),
        (name = "governance", description = "The monitoring rules and the governor's public queue"),
        (name = "live", description = "Server-Sent Events"),
        (name = "relay", description = "Transactions signed by members' and operators' wallets"),
        (name = "ops", description = "Health, readiness, metrics"),
        (name = "console", description = "What the browser console served at `/` needs")
    )
)]
pub struct ApiDoc;

struct SessionAuth;

impl Modify for SessionAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// Adds "Who may call it" to every operation's description, from the role table in
/// `docs/api.md` (the table `tests/it/roles.rs` proves), so the two can't drift apart.
struct WhoMayCall;

impl Modify for WhoMayCall {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        const DOC: &str = include_str!("../../docs/api.md");
        let mut lines = DOC
            .lines()
            .skip_while(|l| !l.starts_with("| endpoint | anonymous"));
        let Some(header) = lines.next() else { return };
        let roles: Vec<&str> = header
            .trim_matches('|')
            .split('|')
            .map(str::trim)
            .skip(1)
            .collect();
        for line in lines.skip(1).take_while(|l| l.starts_with('|')) {
            let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            let Some((method, path)) = cells[0].trim_matches('`').split_once(' ') else {
                continue;
            };
            let path = path.replace("{account}", "{address}");
            let allowed: Vec<&str> = roles
                .iter()
                .zip(&cells[1..])
                .filter(|(_, cell)| **cell == "✓")
                .map(|(role, _)| *role)
                .collect();
            let text = if allowed.len() == roles.len() {
                "Who may call it: anyone.".to_owned()
            } else {
                format!("Who may call it: {}.", allowed.join(", "))
            };
            let Some(item) = openapi.paths.paths.get_mut(&path) else {
                continue;
            };
            let op = match method {
                "GET" => item.get.as_mut(),
                "POST" => item.post.as_mut(),
                "PUT" => item.put.as_mut(),
                _ => None,
            };
            if let Some(op) = op {
                op.description = Some(match op.description.take() {
                    Some(d) => format!("{d}\n\n{text}"),
                    None => text,
                });
            }
        }
    }
}

/// Answers every operation can give besides its own: 400 for bad parameters or bodies, 413 and
/// 415 for bodies, 500, 503 and 504 from the server and its dependencies.
struct CommonErrors;

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{
            RefOr,
            response::{Response, ResponseBuilder},
        };
        let error = |description: &str| -> RefOr<Response> {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        utoipa::openapi::ContentBuilder::new()
                            .schema(Some(utoipa::openapi::Ref::from_schema_name("ErrorBody")))
                            .build(),
                    )
                    .build(),
            )
        };
        for item in openapi.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                let has_body = op.request_body.is_some();
                let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
                let responses = &mut op.responses.responses;
                let mut add = |code: &str, description: &str| {
                    responses
                        .entry(code.to_owned())
                        .or_insert_with(|| error(description));
                };
                if has_body || has_params {
                    add(
                        "400",
                        "The request is malformed; the message says what is wrong",
                    );
                }
                if has_body {
                    add("413", "The body is larger than 64 KiB");
                    add(
                        "415",
                        "The body is not JSON (`Content-Type: application/json`)",
                    );
                }
                add("500", "An internal error (logged with the request id)");
                add("503", "The node or the database is not answering");
                add("504", "The request took longer than the timeout");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    /// The console's API types are generated (`openapi-typescript`) from this document, kept
    /// in `console/src/generated/openapi.json`.
    #[test]
    fn the_consoles_generated_openapi_is_current() {
        use utoipa::OpenApi;
        let json = super::ApiDoc::openapi().to_pretty_json().unwrap() + "\n";
        timebank_client::console::check_generated("openapi.json", &json).unwrap();
    }

    /// Every `$ref` names a schema the document has (a parameter's enum once did not, which
    /// the console's type generator refused).
    #[test]
    fn every_reference_resolves() {
        use utoipa::OpenApi;
        let doc = serde_json::to_value(super::ApiDoc::openapi()).unwrap();
        let mut missing = Vec::new();
        let mut stack = vec![&doc];
        while let Some(value) = stack.pop() {
            match value {
                serde_json::Value::Object(map) => {
                    if let Some(serde_json::Value::String(target)) = map.get("$ref") {
                        let name = target.trim_start_matches("#/components/schemas/");
                        if doc["components"]["schemas"].get(name).is_none() {
                            missing.push(target.clone());
                        }
                    }
                    stack.extend(map.values());
                }
                serde_json::Value::Array(items) => stack.extend(items),
                _ => {}
            }
        }
        assert!(missing.is_empty(), "unresolved: {missing:?}");
    }
}
