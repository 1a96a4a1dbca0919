//! `docs/api.md`'s role table, proven: every endpoint called as every role.

use crate::Stack;
use alloy::primitives::Address;

/// One row of the table: method, path, allowed per column.
type Row = (String, String, Vec<bool>);

/// The table's columns and rows.
fn table() -> (Vec<String>, Vec<Row>) {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/api.md"),
    )
    .unwrap();
    let mut lines = doc
        .lines()
        .skip_while(|l| !l.starts_with("| endpoint | anonymous"));
    let header: Vec<String> = cells(lines.next().expect("the role table"))
        .into_iter()
        .skip(1)
        .collect();
    let rows = lines
        .skip(1) // |---|
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let cells = cells(l);
            let endpoint = cells[0].trim_matches('`').to_owned();
            let (method, path) = endpoint.split_once(' ').unwrap();
            let allowed = cells[1..]
                .iter()
                .map(|c| match c.as_str() {
                    "✓" => true,
                    "–" => false,
                    other => panic!("{endpoint}: cell {other:?} is neither ✓ nor –"),
                })
                .collect::<Vec<_>>();
            assert_eq!(allowed.len(), header.len(), "{endpoint}: one cell per role");
            (method.to_owned(), path.to_owned(), allowed)
        })
        .collect();
    (header, rows)
}

fn cells(line: &str) -> Vec<String> {
    line.trim()
        .trim_matches('|')
        .split('|')
        .map(|c| c.trim().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_endpoint_as_every_role() {
    let stack = Stack::start().await;
    let c = &stack.chain;
    // The account the `{account}` rows are about: carol, a member of branch 2 (south).
    let subject = c.carol;
    let actors: Vec<(&str, Option<Address>)> = vec![
        ("anonymous", None),
        ("self", Some(c.carol)),
        ("member", Some(c.bob)),
        ("home operator", Some(c.op2)),
        ("other operator", Some(c.op1)),
        ("supervisor", Some(c.supervisor)),
        ("issuer", Some(c.issuer)),
        ("partner", Some(stack.partner)),
        ("admin", Some(c.deployment.admin)),
        ("auditor", Some(stack.auditor)),
    ];
    let (header, rows) = table();
    assert_eq!(
        header,
        actors
            .iter()
            .map(|(n, _)| n.to_string())
            .collect::<Vec<_>>(),
        "the table's columns are the roles this test signs in as"
    );
    assert!(rows.len() >= 14, "the table lists every endpoint");
    let mut failures = Vec::new();
    for (column, (name, actor)) in actors.iter().enumerate() {
        let token = match actor {
            Some(a) => Some(stack.sign_in(*a).await),
            None => None,
        };
        for (method, path, allowed) in &rows {
            let path = path
                .replace("{account}", &subject.to_string())
                .replace("{branch}", "2");
            let mut request = match method.as_str() {
                "GET" => stack.http.get(format!("{}{path}", stack.base)),
                "POST" => stack
                    .http
                    .post(format!("{}{path}", stack.base))
                    .json(&serde_json::json!({})),
                "PUT" => stack
                    .http
                    .put(format!("{}{path}", stack.base))
                    .json(&serde_json::json!({})),
                m => panic!("method {m}"),
            };
            if let Some(token) = &token {
                request = request.bearer_auth(token);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            // Allowed: anything but a refusal, and never a server error (which would hide one).
            let ok = if allowed[column] {
                status != 401 && status != 403 && status < 500
            } else if token.is_none() {
                status == 401
            } else {
                status == 403
            };
            if !ok {
                failures.push(format!(
                    "{method} {path} as {name}: {status} (table says {})",
                    if allowed[column] { "✓" } else { "–" }
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
