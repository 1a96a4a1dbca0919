//! The `timebank` command against the platform of `make up`: keystores, sign-in, a member
//! submitted by one operator and approved by another, tables and JSON.

use serde_json::Value;
use std::{
    io::Write,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Duration,
};

/// Runs `timebank` at a gateway, on the platform's deployment file; `answer` is what the user
/// types when asked to confirm (none: stdin is closed).
fn run(
    gateway: &str,
    deployment: &Path,
    keystore: &Path,
    password: &Path,
    args: &[&str],
    answer: Option<&str>,
) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_timebank"))
        .args(["--gateway", gateway, "--keystore"])
        .arg(keystore)
        .arg("--password-file")
        .arg(password)
        .arg("--deployment")
        .arg(deployment)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("timebank runs");
    let mut stdin = child.stdin.take().expect("stdin is piped");
    if let Some(answer) = answer {
        stdin.write_all(answer.as_bytes()).unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().expect("timebank runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn operators_register_and_approve_a_member_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let platform = timebank_e2e::platform(dir.path()).await.unwrap();
    let keys = platform.accounts().unwrap().keys;
    let north = platform.gateways[0].clone();
    let deployment: PathBuf = platform.paths.deployment();
    // Writes are signed with --yes unless a test answers the question itself.
    let timebank = |gateway: &str, keystore: &Path, password: &Path, args: &[&str]| {
        let mut args = args.to_vec();
        args.push("--yes");
        run(gateway, &deployment, keystore, password, &args, None)
    };
    let asked = |keystore: &Path, password: &Path, args: &[&str], answer: Option<&str>| {
        run(
            &platform.gateways[0],
            &deployment,
            keystore,
            password,
            args,
            answer,
        )
    };
    let password = dir.path().join("password");
    std::fs::write(&password, "correct horse battery\n").unwrap();

    // Keystores from the two north operators' keys; never a key on the command line.
    let mut stores = Vec::new();
    for (i, name) in [(1, "op1.json"), (2, "op2.json")] {
        let key_file = dir.path().join(format!("key{i}"));
        std::fs::write(&key_file, &keys[i]).unwrap();
        let store = dir.path().join(name);
        let (ok, _, err) = timebank(
            &north,
            &store,
            &password,
            &[
                "keystore",
                "import",
                key_file.to_str().unwrap(),
                store.to_str().unwrap(),
            ],
        );
        assert!(ok, "{err}");
        stores.push(store);
    }
    let (ok, out, err) = timebank(&north, &stores[0], &password, &["whoami", "--json"]);
    assert!(ok, "{err}");
    let me: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(me["operatorBranch"], 1, "{me}");

    // A member, submitted by one operator and approved by the other.
    let member = "0x00000000000000000000000000000000000000aa";
    let profile = dir.path().join("profile.json");
    std::fs::write(
        &profile,
        r#"{"fullName": "Rosa", "dateOfBirth": "1970-02-03", "contact": "rosa@example.org", "identityDocument": {"type": "cn_resident_id", "number": "440305197001010019"}}"#,
    )
    .unwrap();
    let (ok, out, err) = timebank(
        &north,
        &stores[0],
        &password,
        &[
            "member",
            "submit",
            member,
            "--profile",
            profile.to_str().unwrap(),
            "--json",
        ],
    );
    assert!(ok, "{err}");
    let submitted: Value = serde_json::from_str(&out).unwrap();
    assert!(submitted["profile"]["salt"].is_string(), "{submitted}");
    assert_eq!(submitted["transaction"]["success"], true, "{submitted}");
    // Nothing is signed that the user did not see and agree to.
    let approve = ["member", "approve", member];
    let (ok, _, err) = asked(&stores[1], &password, &approve, None);
    assert!(!ok && err.contains("pass --yes"), "no one to ask: {err}");
    let (ok, _, err) = asked(&stores[1], &password, &approve, Some("n\n"));
    assert!(!ok && err.contains("not signed"), "{err}");
    assert!(
        err.contains("you are about to sign") && err.to_lowercase().contains(member),
        "the question names the call: {err}"
    );
    let (ok, out, err) = asked(&stores[1], &password, &approve, Some("y\n"));
    assert!(ok, "{err}");
    assert!(out.contains("done: transaction 0x"), "{out}");
    // The table shows it once the branch's index has the block.
    let mut shown = String::new();
    for _ in 0..100 {
        let (ok, out, err) = timebank(&north, &stores[0], &password, &["member", "show", member]);
        shown = format!("{out}{err}");
        if ok && out.contains("active") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        shown.contains("homeBranch") && shown.contains("active"),
        "{shown}"
    );

    // What people get wrong is said plainly.
    let wrong = dir.path().join("wrong");
    std::fs::write(&wrong, "not it").unwrap();
    let (ok, _, err) = timebank(&north, &stores[0], &wrong, &["whoami"]);
    assert!(!ok && err.contains("cannot open the keystore"), "{err}");
    let (ok, _, err) = timebank(
        &north,
        &stores[1],
        &password,
        &["member", "approve", member],
    );
    assert!(
        !ok && err.contains("IdentityRegistry"),
        "approving twice: {err}"
    );
    let (ok, _, err) = timebank(
        &north,
        &stores[0],
        &password,
        &["keystore", "new", stores[1].to_str().unwrap()],
    );
    assert!(!ok && err.contains("exists"), "{err}");
    let fresh = dir.path().join("fresh.json");
    let (ok, out, err) = timebank(
        &north,
        &stores[0],
        &password,
        &["keystore", "new", fresh.to_str().unwrap(), "--json"],
    );
    assert!(ok && fresh.exists(), "{err}");
    assert!(out.contains("address"));
    platform.stop().await;
}
