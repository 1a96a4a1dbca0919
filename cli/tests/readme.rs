//! What a new user runs first. The README's flow, exactly as written against a fresh platform:
//! two people join with wallets of their own, one volunteers and is rewarded, pays the other and
//! gives a large gift, which a supervisor clears. And `make demo`, which fills the platform
//! through the branches' gateways with the demo people's own signatures.

use serde_json::Value;
use std::process::Command;

/// The shell block the README marks as its flow.
fn readme_flow() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("the README");
    let after = readme
        .split_once("<!-- the README flow")
        .expect("the README marks its flow")
        .1;
    let block = after.split_once("```sh\n").expect("a sh block").1;
    block
        .split_once("\n```")
        .expect("the block ends")
        .0
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_readme_flow_runs_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let platform = timebank_e2e::platform(dir.path()).await.unwrap();
    // The user's checkout: `data/` from `make up`, and the command line built.
    let checkout = dir.path().join("checkout");
    std::fs::create_dir_all(checkout.join("target/debug")).unwrap();
    std::os::unix::fs::symlink(&platform.paths.root, checkout.join("data")).unwrap();
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_timebank"),
        checkout.join("target/debug/timebank"),
    )
    .unwrap();
    let flow = readme_flow();
    let run = tokio::task::spawn_blocking({
        let (checkout, gateway) = (checkout.clone(), platform.gateways[0].clone());
        move || {
            Command::new("bash")
                .arg("-c")
                .arg(&flow)
                .current_dir(&checkout)
                .env("TIMEBANK_GATEWAY", gateway)
                .env_remove("TIMEBANK_KEYSTORE")
                .output()
                .expect("bash runs")
        }
    })
    .await
    .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr),
    );
    assert!(run.status.success(), "the flow failed:\n{stdout}\n{stderr}");

    // What the flow did, as the chain says: Li holds the hour and the gift Rosa gave.
    let tb = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_timebank"))
            .args(args)
            .current_dir(&checkout)
            .env("TIMEBANK_GATEWAY", &platform.gateways[0])
            .env("TIMEBANK_DEPLOYMENT", "data/deployment.json")
            .env("TIMEBANK_PASSWORD_FILE", "demo-password.txt")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let li = tb(&["--keystore", "li.json", "whoami", "--json"])["address"]
        .as_str()
        .unwrap()
        .to_owned();
    let coin = platform.deployment.contracts.time_coin;
    let provider =
        alloy::providers::ProviderBuilder::new().connect_http(platform.rpc.parse().unwrap());
    let balance = timebank_bindings::TimeCoin::new(coin, &provider)
        .balanceOf(li.parse().unwrap())
        .call()
        .await
        .unwrap();
    assert_eq!(
        balance,
        alloy::primitives::U256::from(12) * alloy::primitives::U256::from(timebank_bindings::HOUR),
        "one hour paid and eleven given, the gift released by the supervisor"
    );
    let cases = tb(&["--keystore", "supervisor.json", "cases", "--json"]);
    assert!(
        cases
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["status"] == "cleared" && c["note"] == "a gift between neighbours"),
        "{cases}"
    );
    platform.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_fills_the_platform_through_the_gateways() {
    let dir = tempfile::tempdir().unwrap();
    let platform = timebank_e2e::platform(dir.path()).await.unwrap();
    let demo = || timebank_devnet::Demo {
        data_dir: platform.paths.root.clone(),
        gateways: platform.gateways.clone(),
    };
    timebank_devnet::demo::run(demo()).await.unwrap();
    // Every write went through a gateway's relayer: nothing was sent by the demo's own keys
    // straight to the chain (their nonces on chain are untouched).
    let provider =
        alloy::providers::ProviderBuilder::new().connect_http(platform.rpc.parse().unwrap());
    let accounts = platform.accounts().unwrap();
    for (name, address, _) in &accounts.roles {
        if name.starts_with("member-") {
            let sent = alloy::providers::Provider::get_transaction_count(&provider, *address)
                .await
                .unwrap();
            assert_eq!(sent, 0, "{name} sent a transaction of their own");
        }
    }
    // What people see at their branch afterwards.
    let supervisor = accounts
        .roles
        .iter()
        .find(|(name, ..)| name == "supervisor")
        .map(|(.., key)| {
            key.parse::<alloy::signers::local::PrivateKeySigner>()
                .unwrap()
        })
        .unwrap();
    let session = timebank_client::Gateway::new(&platform.gateways[0], platform.deployment.clone())
        .unwrap()
        .sign_in(&supervisor)
        .await
        .unwrap();
    let mut seen = (0, 0);
    for _ in 0..200 {
        let activities: Vec<Value> = session.get("/v1/activities?limit=100").await.unwrap();
        let cases: Vec<Value> = session.get("/v1/cases?limit=100").await.unwrap();
        seen = (activities.len(), cases.len());
        if seen.0 >= 3 && seen.1 >= 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        seen.0 >= 3 && seen.1 >= 1,
        "activities and cases seen: {seen:?}"
    );
    // Run again, it says the data is there and writes nothing.
    timebank_devnet::demo::run(demo()).await.unwrap();
    platform.stop().await;
}
