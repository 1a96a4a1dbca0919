//! Every `timebank` command against a fresh platform, as the people who use it would: staff
//! from the demo keys, members with new wallets, each write signed and relayed, each list read
//! back. The test ends by checking it ran every command the CLI has (from `--help`), so a new
//! command without a test fails here.

use serde_json::Value;
use std::{
    cell::RefCell,
    collections::BTreeSet,
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Command, Stdio},
    time::Duration,
};

/// The command line at one gateway, with a keystore per person.
struct Cli {
    gateway: String,
    deployment: PathBuf,
    dir: PathBuf,
    password: PathBuf,
    /// The command paths run so far (`member submit`, `pay`, ...).
    ran: RefCell<BTreeSet<String>>,
}

impl Cli {
    fn command(&self, who: &str, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_timebank"));
        command
            .args(["--gateway", &self.gateway, "--keystore"])
            .arg(self.keystore(who))
            .arg("--password-file")
            .arg(&self.password)
            .arg("--deployment")
            .arg(&self.deployment)
            .args(args)
            .stdin(Stdio::null());
        command
    }

    fn keystore(&self, who: &str) -> PathBuf {
        self.dir.join(format!("{who}.json"))
    }

    /// Runs `args` as `who` (`--yes --json`): (success, stdout, stderr).
    fn run(&self, who: &str, args: &[&str]) -> (bool, String, String) {
        self.note(args);
        let mut args = args.to_vec();
        args.extend(["--yes", "--json"]);
        let out = self.command(who, &args).output().expect("timebank runs");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Runs `args` as `who`, which must succeed; its JSON answer (null when it printed none).
    fn ok(&self, who: &str, args: &[&str]) -> Value {
        let (ok, out, err) = self.run(who, args);
        assert!(ok, "timebank {} (as {who}) failed:\n{err}", args.join(" "));
        out.lines().last().map_or(Value::Null, |line| {
            serde_json::from_str(line).unwrap_or(Value::Null)
        })
    }

    /// A write as `who` that must land.
    fn write(&self, who: &str, args: &[&str]) {
        let answer = self.ok(who, args);
        // Writes that also return what they made answer with it beside the transaction.
        let relayed = answer.get("transaction").unwrap_or(&answer);
        assert_eq!(
            relayed["success"],
            true,
            "timebank {} (as {who}): {answer}",
            args.join(" ")
        );
    }

    /// Runs `args` as `who`, which must fail saying `needle`.
    fn refused(&self, who: &str, args: &[&str], needle: &str) {
        let (ok, _, err) = self.run(who, args);
        assert!(
            !ok && err.contains(needle),
            "timebank {} (as {who}) should fail with {needle:?}:\n{err}",
            args.join(" ")
        );
    }

    /// Reads `args` as `who` until `found` picks something from the answer (the index follows
    /// the chain by a few milliseconds).
    async fn until<T>(&self, who: &str, args: &[&str], found: impl Fn(&Value) -> Option<T>) -> T {
        let mut last = Value::Null;
        for _ in 0..100 {
            last = self.ok(who, args);
            if let Some(value) = found(&last) {
                return value;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "timebank {} (as {who}) never showed it: {last}",
            args.join(" ")
        );
    }

    /// The address in `who`'s keystore.
    fn address(&self, who: &str) -> String {
        self.ok(who, &["whoami"])["address"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Notes the command `args` ran: its first word or two (the rest are its arguments).
    fn note(&self, args: &[&str]) {
        let mut ran = self.ran.borrow_mut();
        ran.insert(args[0].to_owned());
        ran.insert(args[..2.min(args.len())].join(" "));
    }
}

/// Every command path of the CLI, from its help: `member submit`, `pay`, ...
fn every_command(path: &[String]) -> Vec<String> {
    let help = Command::new(env!("CARGO_BIN_EXE_timebank"))
        .args(path)
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    let subcommands: Vec<String> = help
        .split_once("Commands:\n")
        .map(|(_, rest)| {
            rest.lines()
                .take_while(|l| !l.trim().is_empty())
                .filter_map(|l| l.split_whitespace().next())
                .filter(|name| *name != "help")
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if subcommands.is_empty() {
        return vec![path.join(" ")];
    }
    subcommands
        .into_iter()
        .flat_map(|sub| every_command(&[path.to_vec(), vec![sub]].concat()))
        .collect()
}

fn in_days(days: u64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    (now + days * 86_400).to_string()
}

fn field<'a>(rows: &'a Value, key: &str, value: &str) -> Option<&'a Value> {
    rows.as_array()?.iter().find(|r| {
        r[key]
            .as_str()
            .is_some_and(|v| v.eq_ignore_ascii_case(value))
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn every_command_against_the_platform() {
    let dir = tempfile::tempdir().unwrap();
    let platform = timebank_e2e::platform(dir.path()).await.unwrap();
    let accounts = platform.accounts().unwrap();
    let password = dir.path().join("password");
    std::fs::write(&password, "a test password\n").unwrap();
    let cli = Cli {
        gateway: platform.gateways[0].clone(),
        deployment: platform.paths.deployment(),
        dir: dir.path().to_owned(),
        password,
        ran: RefCell::default(),
    };
    // South's gateway, for the receiving side of a move.
    let south = Cli {
        gateway: platform.gateways[1].clone(),
        deployment: cli.deployment.clone(),
        dir: cli.dir.clone(),
        password: cli.password.clone(),
        ran: RefCell::default(),
    };

    // Keystores: staff from the demo keys, members with wallets of their own.
    for (name, _, key) in &accounts.roles {
        let key_file = dir.path().join(format!("{name}.key"));
        std::fs::write(&key_file, key).unwrap();
        let out = cli.keystore(name);
        cli.ok(
            "nobody",
            &[
                "keystore",
                "import",
                key_file.to_str().unwrap(),
                out.to_str().unwrap(),
            ],
        );
    }
    for member in ["rosa", "li", "mo", "kai", "wen"] {
        cli.ok(
            "nobody",
            &["keystore", "new", cli.keystore(member).to_str().unwrap()],
        );
    }
    let [rosa, li, mo, kai, wen] = ["rosa", "li", "mo", "kai", "wen"].map(|m| cli.address(m));
    let partner = cli.address("partner");
    let (op1, op2, sop) = ("north-operator-1", "north-operator-2", "south-operator-1");
    assert_eq!(cli.ok(op1, &["whoami"])["operatorBranch"], 1);
    let branches = cli.ok(op1, &["branches"]);
    assert!(field(&branches, "name", "north").is_some(), "{branches}");

    // Members: submitted by one operator, approved (or rejected) by the other.
    let profile = |name: &str| {
        let path = dir.path().join(format!("{name}.profile.json"));
        std::fs::write(
            &path,
            format!(r#"{{"fullName": "{name}", "dateOfBirth": "1970-01-01", "contact": "{name}@example.org", "identityDocument": {{"type": "passport", "number": "E{name}0001"}}}}"#),
        )
        .unwrap();
        path
    };
    let mut sealed = Value::Null;
    for (member, name) in [(&rosa, "rosa"), (&li, "li"), (&mo, "mo"), (&kai, "kai")] {
        let answer = cli.ok(
            op1,
            &[
                "member",
                "submit",
                member,
                "--profile",
                profile(name).to_str().unwrap(),
            ],
        );
        assert_eq!(answer["transaction"]["success"], true, "{answer}");
        if name == "rosa" {
            sealed = answer["profile"].clone();
        }
    }
    cli.until(op2, &["pending"], |rows| {
        (rows.as_array()?.len() >= 4).then_some(())
    })
    .await;
    for member in [&rosa, &li, &kai] {
        cli.write(op2, &["member", "approve", member]);
    }
    cli.write(
        op2,
        &[
            "member",
            "reject",
            &mo,
            "--reason",
            "documents did not match",
        ],
    );
    // The submitter cannot also approve.
    cli.refused(op1, &["member", "approve", &mo], "IdentityRegistry");
    let shown = cli
        .until(op1, &["member", "show", &rosa], |m| {
            (m["status"] == "active").then(|| m.clone())
        })
        .await;
    assert_eq!(shown["homeBranch"], 1, "{shown}");
    let opened = cli.ok(
        op1,
        &[
            "member",
            "profile",
            &rosa,
            "--reason",
            "checking her address",
        ],
    );
    assert_eq!(opened["profile"]["fullName"], "rosa", "{opened}");
    let presented = dir.path().join("presented.json");
    std::fs::write(&presented, sealed.to_string()).unwrap();
    let verified = cli.ok(
        op1,
        &[
            "member",
            "verify",
            &rosa,
            "--profile",
            presented.to_str().unwrap(),
        ],
    );
    assert_eq!(verified["matches"], true, "{verified}");
    cli.write(
        op1,
        &[
            "member",
            "update-profile",
            &rosa,
            "--profile",
            profile("rosa").to_str().unwrap(),
        ],
    );

    // Credentials: issued, expiring, renewed, revoked; a self-declared upload.
    cli.write(
        "identity-issuer",
        &[
            "credential",
            "issue",
            &rosa,
            "--type",
            "1",
            "--document-hash",
            &format!("0x{}", "ab".repeat(32)),
            "--expires-at",
            &in_days(10),
        ],
    );
    cli.until(op1, &["expiring", "--days", "30"], |rows| {
        field(rows, "account", &rosa).map(|_| ())
    })
    .await;
    cli.write(
        "identity-issuer",
        &[
            "credential",
            "renew",
            &rosa,
            "--type",
            "1",
            "--document-hash",
            &format!("0x{}", "cd".repeat(32)),
            "--expires-at",
            &in_days(400),
        ],
    );
    cli.write(
        "identity-issuer",
        &[
            "credential",
            "revoke",
            &rosa,
            "--type",
            "1",
            "--reason",
            "reissued on paper",
        ],
    );
    cli.write(
        "admin",
        &[
            "admin",
            "define-credential-type",
            "uploaded certificate",
            "--kind",
            "self_declared",
        ],
    );
    let declared = cli
        .until("admin", &["credential-types"], |rows| {
            field(rows, "name", "uploaded certificate").map(|t| t["typeId"].to_string())
        })
        .await;
    cli.write(
        "rosa",
        &[
            "credential",
            "declare",
            "--type",
            &declared,
            "--document-hash",
            &format!("0x{}", "ef".repeat(32)),
            "--expires-at",
            &in_days(365),
        ],
    );
    cli.write("admin", &["admin", "credential-type-active", &declared]);

    // An activity: created, joined, hours recorded and confirmed, settled by the other
    // operator, closed.
    cli.write(
        op1,
        &[
            "activity",
            "create",
            "--branch",
            "1",
            "--hours-cap",
            "12",
            "--details",
            "river clean-up",
        ],
    );
    let activity = cli
        .until(
            op1,
            &["activities", "--branch", "1", "--status", "open"],
            |rows| {
                rows.as_array()?
                    .first()
                    .map(|a| a["activityId"].to_string())
            },
        )
        .await;
    cli.write("rosa", &["activity", "join", &activity]);
    cli.write(op1, &["activity", "hours", &activity, &rosa, "12"]);
    cli.write("rosa", &["activity", "confirm", &activity, "12"]);
    cli.write(op2, &["activity", "settle", &activity, &rosa]);
    cli.write(op1, &["activity", "close", &activity]);
    let quota = cli.ok(op1, &["quota"]);
    assert!(
        quota["minted"].is_string() || quota["minted"].is_number(),
        "{quota}"
    );
    cli.write("admin", &["admin", "set-quota", "1", "20000"]);
    cli.write(op1, &["second-approval", "1", "40"]);

    // Payments, a redemption, a service confirmed and one cancelled, a gift held and decided.
    cli.write(
        "rosa",
        &["pay", &li, "1", "--reference", "thanks for the shopping"],
    );
    let paid = cli
        .until("li", &["payments"], |answer| {
            answer["payments"].as_array()?.first().cloned()
        })
        .await;
    assert_eq!(
        paid["purpose"], "gift",
        "a payment of one's own is a gift: {paid}"
    );
    cli.write(
        "li",
        &["redeem", "0.5", "--reference", "a meal at the centre"],
    );
    cli.write(
        "li",
        &[
            "service",
            "propose",
            &rosa,
            "0.5",
            "--details",
            "a lift to the clinic",
        ],
    );
    let service = cli
        .until("rosa", &["services", "--status", "proposed"], |rows| {
            rows.as_array()?.first().map(|s| s["serviceId"].to_string())
        })
        .await;
    cli.write("rosa", &["service", "confirm", &service]);
    cli.write(
        "li",
        &[
            "service",
            "propose",
            &rosa,
            "0.5",
            "--details",
            "not needed after all",
        ],
    );
    let service = cli
        .until("li", &["services", "--status", "proposed"], |rows| {
            rows.as_array()?.first().map(|s| s["serviceId"].to_string())
        })
        .await;
    cli.write("li", &["service", "cancel", &service]);
    cli.write("rosa", &["pay", &li, "10"]);
    let case = cli
        .until("supervisor", &["cases", "--status", "open"], |rows| {
            field(rows, "account", &rosa).map(|c| c["caseId"].to_string())
        })
        .await;
    cli.write(
        "supervisor",
        &[
            "decide",
            &case,
            "--outcome",
            "cleared",
            "--note",
            "a gift between neighbours",
        ],
    );
    cli.refused("supervisor", &["adopt-hold", "999"], "TimeCoin");

    // Partners: a member's consent, an alert assessed, the webhook and its messages.
    cli.write("rosa", &["consent", &partner]);
    cli.ok(
        "partner",
        // On this machine (the development platform allows loopback), where nothing listens.
        &["partner", "webhook", "https://localhost:9/timebank"],
    );
    cli.write(
        "partner",
        &["risk", "alert", &rosa, "--reason", "a bank's warning"],
    );
    let alert = cli
        .until("supervisor", &["alerts", "--pending"], |rows| {
            field(rows, "account", &rosa).map(|a| a["alertId"].to_string())
        })
        .await;
    cli.write(
        "supervisor",
        &[
            "risk",
            "assess",
            &alert,
            "--level",
            "low",
            "--reason",
            "checked with the bank",
        ],
    );
    let message = cli
        .until("partner", &["partner", "messages"], |rows| {
            rows.as_array()?
                .first()
                .map(|m| m["id"].as_str().unwrap().to_owned())
        })
        .await;
    cli.ok("partner", &["partner", "redeliver", &message]);
    let rotated = cli.ok("partner", &["partner", "rotate"]);
    assert!(
        rotated["secret"].as_str().unwrap().starts_with("whsec_"),
        "{rotated}"
    );
    cli.write("rosa", &["consent", &partner, "--withdraw"]);

    // The live stream shows a change as it happens.
    let mut stream = cli
        .command("supervisor", &["events", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    cli.note(&["events"]);
    let lines = BufReader::new(stream.stdout.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in lines.lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    cli.write(
        op1,
        &[
            "risk",
            "set",
            &kai,
            "--level",
            "low",
            "--reason",
            "new to the area",
        ],
    );
    let first = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the stream showed the change");
    stream.kill().unwrap();
    stream.wait().unwrap();
    assert!(first.contains("RiskLevelChanged"), "{first}");
    cli.write(
        op1,
        &[
            "member",
            "suspend",
            &li,
            "--reason",
            "a complaint to look into",
        ],
    );
    cli.write(
        op1,
        &[
            "member",
            "reinstate",
            &li,
            "--reason",
            "the complaint was withdrawn",
        ],
    );

    // Moves: one accepted by the receiving branch, one cancelled.
    cli.write(op1, &["move", "request", &kai, "2"]);
    south
        .until(sop, &["moves"], |rows| {
            field(rows, "account", &kai).map(|_| ())
        })
        .await;
    south.write(sop, &["move", "accept", &kai]);
    cli.write(op1, &["move", "request", &li, "2"]);
    cli.write(op1, &["move", "cancel", &li]);
    cli.until(op1, &["moves", "--out"], |rows| rows.as_array().map(|_| ()))
        .await;
    south.write(sop, &["member", "close", &kai, "--reason", "moved abroad"]);
    // Kai may come back one day: a supervisor frees the document's key.
    cli.write(
        "supervisor",
        &[
            "member",
            "release-key",
            &kai,
            "--reason",
            "left on good terms",
        ],
    );
    cli.refused(
        op1,
        &["member", "release-key", &li, "--reason", "not closed"],
        "supervisor",
    );

    // A lost wallet: the operator asks, a supervisor's case decides.
    cli.write(
        op1,
        &[
            "recover",
            &li,
            &wen,
            "--reason",
            "phone lost; identity card seen",
        ],
    );
    cli.until("supervisor", &["cases", "--status", "open"], |rows| {
        field(rows, "account", &li).map(|_| ())
    })
    .await;

    // East's branch key: one proposal cancelled, one confirmed by the second operator (the
    // development chain sets no delay between the two).
    let (east1, east2) = ("east-operator-1", "east-operator-2");
    cli.write(
        east1,
        &[
            "branch-key",
            "propose",
            "3",
            &format!("0x{}", "42".repeat(32)),
        ],
    );
    cli.write(east1, &["branch-key", "cancel", "3"]);
    cli.refused(east2, &["branch-key", "confirm", "3"], "TimebankAccess");
    cli.write(
        east1,
        &[
            "branch-key",
            "propose",
            "3",
            &format!("0x{}", "43".repeat(32)),
        ],
    );
    cli.refused(east1, &["branch-key", "confirm", "3"], "TimebankAccess");
    cli.write(east2, &["branch-key", "confirm", "3"]);

    // The admin's routine work.
    let west = format!("0x{}", "17".repeat(32));
    cli.write(
        "admin",
        &[
            "admin",
            "add-branch",
            "west",
            "west region",
            "--public-key",
            &west,
        ],
    );
    let branches = cli
        .until("admin", &["branches"], |rows| {
            field(rows, "name", "west").map(|b| b["branchId"].to_string())
        })
        .await;
    cli.write("admin", &["admin", "close-branch", &branches]);
    cli.write("admin", &["admin", "open-branch", &branches]);
    let other = cli.address("wen");
    cli.write("admin", &["admin", "grant", "auditor", &other]);
    cli.write("admin", &["admin", "revoke", "auditor", &other]);
    cli.refused("admin", &["admin", "grant", "operator", &other], "--id");

    // Monitoring rules through the governor: proposed with a change, listed with when it may
    // be carried out (this development chain's governor waits 0 s), carried out, the rules in
    // force changed; another proposal withdrawn; a typo and a supervisor's proposal refused.
    let governance = cli.ok("admin", &["admin", "rules"]);
    assert_eq!(governance["monitorRules"]["largeGift"], 10, "{governance}");
    let proposed = cli.ok(
        "admin",
        &[
            "admin",
            "propose-rules",
            "--set",
            "largeGift=12",
            "--action",
            "round_trip=hold",
        ],
    );
    let id = proposed["id"]
        .as_str()
        .expect("the proposal's id")
        .to_owned();
    assert_eq!(proposed["state"], "ready", "{proposed}");
    assert!(
        proposed["call"]
            .as_str()
            .unwrap()
            .contains("TimeCoin.setMonitorRules"),
        "{proposed}"
    );
    let queue = cli.ok("supervisor", &["admin", "governance"]);
    assert!(field(&queue, "id", &id).is_some(), "{queue}");
    cli.write("supervisor", &["admin", "execute", &id]);
    let governance = cli.ok("auditor", &["admin", "rules"]);
    assert_eq!(governance["monitorRules"]["largeGift"], 12, "{governance}");
    let round_trip = field(&governance["monitorRules"]["rules"], "rule", "round_trip").unwrap();
    assert_eq!(round_trip["action"], "hold", "{governance}");
    let withdrawn = cli.ok(
        "admin",
        &["admin", "propose-rules", "--disable", "velocity"],
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    cli.write("admin", &["admin", "cancel", &withdrawn]);
    let queue = cli.ok("admin", &["admin", "governance"]);
    assert_eq!(
        field(&queue, "id", &withdrawn).unwrap()["state"],
        "cancelled"
    );
    cli.refused(
        "admin",
        &["admin", "propose-rules", "--set", "largeGif=3"],
        "no such setting",
    );
    cli.refused(
        "supervisor",
        &["admin", "propose-rules", "--set", "largeGift=1"],
        "schedule",
    );

    // Auditors: the access log shows the profile read above; an audit of north is clean.
    let log = cli.ok("auditor", &["access-log", "--account", &rosa]);
    assert!(
        field(&log, "reason", "checking her address").is_some(),
        "{log}"
    );
    // One person, one membership: nobody shares a document, no key waits for renewal.
    let duplicates = cli.ok("auditor", &["duplicates"]);
    assert_eq!(duplicates["shared"], serde_json::json!([]), "{duplicates}");
    assert_eq!(duplicates["stale"], serde_json::json!([]), "{duplicates}");
    cli.ok("admin", &["admin", "rekey"]);
    let audit = cli.ok("auditor", &["audit"]);
    assert_eq!(audit["problems"], serde_json::json!([]), "{audit}");

    // Every command ran.
    let ran: BTreeSet<String> = cli
        .ran
        .borrow()
        .iter()
        .chain(south.ran.borrow().iter())
        .cloned()
        .collect();
    let missing: Vec<_> = every_command(&[])
        .into_iter()
        .filter(|c| !ran.contains(c))
        .collect();
    assert!(
        missing.is_empty(),
        "commands this test never ran: {missing:?}"
    );
    platform.stop().await;
}
