//! `demo`: members registered and approved at their branches (with sealed profiles), identity
//! checks, a licence and a training certificate, activities settled, a service paid, gifts, and a
//! few suspicious patterns that raise alerts: a large gift held, gifts structured just under the
//! threshold, a round trip.

use crate::{
    Demo,
    setup::{
        Accounts, BRANCHES, ID_ISSUER, MEMBERS, OPERATORS, Paths, SKILLS_ISSUER, provider, send,
    },
};
use alloy::primitives::{Address, B256, U256, aliases::U40, keccak256};
use eyre::{WrapErr, ensure};
use timebank_bindings::{
    CredentialRegistry, IdentityRegistry, ServiceLedger, TimeCoin, TimebankAccess,
};
use timebank_gateway::privacy;
use timebank_indexer::Deployment;

const HOUR: u128 = 1_000_000_000_000_000_000;

fn hours(tenths: u128) -> U256 {
    U256::from(tenths * HOUR / 10)
}

/// Fills the running platform.
pub async fn run(demo: Demo) -> eyre::Result<()> {
    let paths = Paths {
        root: demo.data_dir.clone(),
    };
    let deployment = Deployment::load(&paths.deployment())
        .wrap_err("no deployment: start the platform first (`make up`)")?;
    let accounts: Accounts = serde_json::from_slice(
        &std::fs::read(paths.accounts()).wrap_err("reading the demo accounts")?,
    )?;
    let (provider, a) = provider(&demo.rpc_url, &accounts.keys)?;
    let access = TimebankAccess::new(deployment.contracts.access, &provider);
    let identity = IdentityRegistry::new(deployment.contracts.identity_registry, &provider);
    let credentials = CredentialRegistry::new(deployment.contracts.credential_registry, &provider);
    let ledger = ServiceLedger::new(deployment.contracts.service_ledger, &provider);
    let coin = TimeCoin::new(deployment.contracts.time_coin, &provider);
    let members: Vec<(Address, u32)> = MEMBERS.iter().map(|(i, b)| (a[*i], *b)).collect();
    let done = demo.data_dir.join("demo-done");
    if done.exists() {
        println!("the demo data is already there");
        return Ok(());
    }
    ensure!(
        identity.memberIdOf(members[0].0).call().await? == alloy::primitives::aliases::U48::ZERO,
        "a demo run stopped half-way on this chain: stop the platform, remove {} and run \
         `make up` and `make demo` again",
        demo.data_dir.display()
    );

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let (year, decade) = (now + 365 * 86_400, now + 10 * 365 * 86_400);

    // Members, each with a sealed profile published by one operator and approved by another.
    let profiles_dir = demo.data_dir.join("demo-profiles");
    std::fs::create_dir_all(&profiles_dir)?;
    let mut recipients = Vec::new();
    for branch in 1..=BRANCHES.len() as u32 {
        let b = access.branch(branch).call().await?;
        recipients.push((
            format!("branch:{branch}"),
            <[u8; 32]>::try_from(b.publicKey.as_ref()).wrap_err("a branch key")?,
        ));
    }
    let names = [
        "Ada Lovelace",
        "Grace Hopper",
        "Alan Turing",
        "Edsger Dijkstra",
        "Barbara Liskov",
    ];
    for (n, (member, branch)) in members.iter().enumerate() {
        let profile = serde_json::json!({
            "fullName": names[n],
            "dateOfBirth": format!("19{}-0{}-1{}", 50 + n, 1 + n, n),
            "contact": format!("member{}@example.org", n + 1),
        });
        let (profile, canonical) = privacy::prepare(profile)?;
        let commitment = privacy::commitment(&canonical);
        let package = privacy::seal(&canonical, commitment, &recipients)?;
        std::fs::write(
            profiles_dir.join(format!("{member}.json")),
            serde_json::to_string_pretty(&profile)?,
        )?;
        let (first, second) = OPERATORS[*branch as usize - 1];
        send!(
            format!("submitting {}", names[n]),
            identity
                .submitMember(*member, *branch, commitment, package.clone().into())
                .from(a[first])
        );
        send!(
            format!("approving {}", names[n]),
            identity.approveMember(*member).from(a[second])
        );
        send!(
            "an identity check",
            credentials
                .issueCredential(*member, 1, keccak256(names[n]), U40::from(decade))
                .from(a[ID_ISSUER])
        );
    }
    send!(
        "a nursing licence",
        credentials
            .issueCredential(members[0].0, 2, B256::repeat_byte(2), U40::from(year))
            .from(a[SKILLS_ISSUER])
    );
    send!(
        "a first-aid certificate",
        credentials
            .issueCredential(
                members[2].0,
                3,
                B256::repeat_byte(3),
                U40::from(year + 2 * 365 * 86_400)
            )
            .from(a[SKILLS_ISSUER])
    );

    // One activity per branch: everyone there joins, works, confirms and is rewarded.
    for branch in 1..=BRANCHES.len() as u32 {
        let op = a[OPERATORS[branch as usize - 1].0];
        let receipt = ledger
            .createActivity(
                branch,
                0,
                40 * HOUR,
                0,
                keccak256(format!("clean-up {branch}")),
            )
            .from(op)
            .send()
            .await?
            .get_receipt()
            .await?;
        let activity = receipt
            .decoded_log::<ServiceLedger::ActivityCreated>()
            .map(|log| log.data.activityId)
            .ok_or_else(|| eyre::eyre!("creating an activity failed"))?;
        for (member, b) in &members {
            if *b != branch {
                continue;
            }
            send!("joining", ledger.joinActivity(activity).from(*member));
            send!(
                "hours",
                ledger.recordHours(activity, *member, 30 * HOUR).from(op)
            );
            send!(
                "confirming",
                ledger.confirmHours(activity, 30 * HOUR).from(*member)
            );
            send!("settling", ledger.settle(activity, *member).from(op));
        }
    }

    // Ordinary payments: a service, gifts.
    let (ada, grace, alan, edsger, barbara) = (
        members[0].0,
        members[1].0,
        members[2].0,
        members[3].0,
        members[4].0,
    );
    send!(
        "a service payment",
        coin.pay(edsger, hours(20), 2, keccak256("garden help"))
            .from(alan)
    );
    send!("a gift", coin.transfer(barbara, hours(5)).from(grace));

    // Suspicious patterns.
    send!(
        "a large gift (held)",
        coin.transfer(ada, hours(120)).from(grace)
    );
    for _ in 0..3 {
        send!(
            "a gift just under the threshold",
            coin.transfer(barbara, hours(85)).from(ada)
        );
    }
    send!("a round trip", coin.transfer(alan, hours(10)).from(edsger));
    ensure!(
        coin.balanceOf(ada).call().await? > U256::ZERO,
        "the demo payments did not go through"
    );
    std::fs::write(&done, "")?;
    println!(
        "demo data: {} members at {} branches, credentials, three activities, payments, and \
         alerts (a held large gift, structuring, a round trip). Members' salted profiles (what \
         they present for `verify`) are in {}.",
        members.len(),
        BRANCHES.len(),
        profiles_dir.display()
    );
    Ok(())
}
