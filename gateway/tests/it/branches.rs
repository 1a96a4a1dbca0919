//! Two branches' gateways, each with its own indexer and database (SQLite and PostgreSQL), on
//! one chain: the same answers, and a change made through one is seen at the other.

use crate::Stack;
use alloy::primitives::U256;
use timebank_testkit::{HOUR, send};

#[tokio::test(flavor = "multi_thread")]
async fn two_branches_answer_alike_and_see_each_others_changes() {
    let mut stack = Stack::start().await;
    let south = match stack.south_gateway(true).await {
        Some(g) => g,
        None => stack.south_gateway(false).await.unwrap(),
    };
    let north = &stack.north;
    let c = &stack.chain;
    // A change after both started: a large gift, held, opening a case.
    send!(
        c.coin()
            .transfer(c.bob, U256::from(10 * HOUR))
            .from(c.carol)
    );
    stack.caught_up_at(north).await;
    stack.caught_up_at(&south).await;

    let (at_north, at_south) = (
        stack.sign_in_to(north, c.supervisor).await,
        stack.sign_in_to(&south, c.supervisor).await,
    );
    for path in [
        "/v1/branches".to_owned(),
        format!("/v1/members/{}", c.carol),
        format!("/v1/accounts/{}/balance", c.carol),
        format!("/v1/accounts/{}/payments", c.carol),
        format!("/v1/accounts/{}/history", c.bob),
        "/v1/cases".to_owned(),
    ] {
        let get = |base: &str, token: &str| {
            let request = stack.http.get(format!("{base}{path}")).bearer_auth(token);
            async move {
                request
                    .send()
                    .await
                    .unwrap()
                    .json::<serde_json::Value>()
                    .await
                    .unwrap()
            }
        };
        let (n, s) = (
            get(&north.base, &at_north).await,
            get(&south.base, &at_south).await,
        );
        assert_eq!(n, s, "{path}: north and south differ");
        assert!(!n.is_null() && n != serde_json::json!([]), "{path}: {n}");
    }
}
