//! `demo`: the demo people use the platform as people do, through their branch's gateway with
//! their own wallets (every write built and checked by `timebank_client`, signed, relayed):
//! members registered and approved at their branches with sealed profiles, identity checks, a
//! licence and a training certificate, an activity per branch settled, a service paid, gifts, a
//! partner's alert and consent, and a few suspicious patterns: a large gift held, gifts
//! structured just under the threshold, a round trip.

use crate::{
    Demo,
    setup::{Accounts, BRANCHES, ID_ISSUER, MEMBERS, OPERATORS, PARTNER, Paths, SKILLS_ISSUER},
};
use alloy::{
    primitives::{Address, B256},
    signers::local::PrivateKeySigner,
};
use eyre::{WrapErr, ensure, eyre};
use timebank_bindings::types::{ActivityKind, Purpose};
use timebank_client::{Action, Gateway, Session, api::ProfileAction};
use timebank_indexer::Deployment;

/// A demo person: their wallet, signed in at their branch's gateway.
struct Person {
    key: PrivateKeySigner,
    session: Session,
}

impl Person {
    async fn at(gateway: &Gateway, key: &str) -> eyre::Result<Self> {
        let key: PrivateKeySigner = key
            .parse()
            .map_err(|_| eyre!("a key in the accounts file is not a key"))?;
        let session = gateway
            .sign_in(&key)
            .await
            .wrap_err_with(|| format!("signing in at {}", gateway.base()))?;
        Ok(Self { key, session })
    }

    fn address(&self) -> Address {
        self.key.address()
    }

    /// Makes a write; a refusal says what and why.
    async fn act(&self, what: &str, action: Action) -> eyre::Result<()> {
        let relayed = self
            .session
            .act(&self.key, &action)
            .await
            .wrap_err_with(|| format!("{what} was refused"))?;
        ensure!(
            relayed.success,
            "{what} failed: {}",
            relayed.failure.unwrap_or_default()
        );
        Ok(())
    }
}

/// The service `provider` proposed to `requester`, once `requester`'s branch lists it (its
/// index is a few milliseconds behind the chain).
async fn proposed_service(requester: &Person, provider: Address) -> eyre::Result<u64> {
    for _ in 0..200 {
        let services: Vec<timebank_client::api::Service> = requester
            .session
            .get("/v1/services?status=proposed&limit=100")
            .await?;
        if let Some(s) = services.iter().find(|s| s.provider == provider) {
            return Ok(s.service_id);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    Err(eyre!("the proposed service is not listed"))
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
    ensure!(
        demo.gateways.len() == BRANCHES.len(),
        "--gateways names {} gateways; the demo has {} branches",
        demo.gateways.len(),
        BRANCHES.len()
    );
    let done = demo.data_dir.join("demo-done");
    if done.exists() {
        println!("the demo data is already there");
        return Ok(());
    }
    let gateways = demo
        .gateways
        .iter()
        .map(|url| Gateway::new(url, deployment.clone()))
        .collect::<Result<Vec<_>, _>>()?;
    let gateway_of = |branch: u32| &gateways[branch as usize - 1];
    let key = |i: usize| accounts.keys[i].as_str();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let (year, decade) = (now + 365 * 86_400, now + 10 * 365 * 86_400);

    let mut operators = Vec::new();
    for (i, (first, second)) in OPERATORS.iter().enumerate() {
        let gateway = gateway_of(u32::try_from(i + 1)?);
        operators.push((
            Person::at(gateway, key(*first)).await?,
            Person::at(gateway, key(*second)).await?,
        ));
    }
    let mut members = Vec::new();
    for (index, branch) in MEMBERS {
        members.push((Person::at(gateway_of(branch), key(index)).await?, branch));
    }
    let first_member = format!("/v1/members/{}", members[0].0.address());
    ensure!(
        members[0]
            .0
            .session
            .get::<serde_json::Value>(&first_member)
            .await
            .is_err(),
        "a demo run stopped half-way on this chain: stop the platform, remove {} and run \
         `make up` and `make demo` again",
        demo.data_dir.display()
    );
    let id_issuer = Person::at(gateway_of(1), key(ID_ISSUER)).await?;
    let skills_issuer = Person::at(gateway_of(1), key(SKILLS_ISSUER)).await?;
    let partner = Person::at(gateway_of(1), key(PARTNER)).await?;

    // Members, each with a profile sealed by their branch's gateway and published by one
    // operator, approved by the other; an identity check for each.
    let profiles_dir = demo.data_dir.join("demo-profiles");
    std::fs::create_dir_all(&profiles_dir)?;
    let names = [
        "Ada Lovelace",
        "Grace Hopper",
        "Alan Turing",
        "Edsger Dijkstra",
        "Barbara Liskov",
    ];
    for (n, (member, branch)) in members.iter().enumerate() {
        let (first, second) = &operators[*branch as usize - 1];
        let fields = serde_json::json!({
            "fullName": names[n],
            "dateOfBirth": format!("19{}-0{}-1{}", 50 + n, 1 + n, n),
            "contact": format!("member{}@example.org", n + 1),
            "identityDocument": {"type": "passport", "number": format!("E{:08}", 1000 + n)},
        });
        let kept = first
            .session
            .publish_profile(&first.key, member.address(), fields, ProfileAction::Submit)
            .await
            .wrap_err_with(|| format!("submitting {}", names[n]))?;
        std::fs::write(
            profiles_dir.join(format!("{}.json", member.address())),
            serde_json::to_string_pretty(&kept)?,
        )?;
        second
            .act(
                &format!("approving {}", names[n]),
                Action::ApproveMember {
                    account: member.address(),
                },
            )
            .await?;
        id_issuer
            .act(
                "an identity check",
                Action::IssueCredential {
                    account: member.address(),
                    type_id: 1,
                    document_hash: alloy::primitives::keccak256(names[n]),
                    expires_at: decade,
                },
            )
            .await?;
    }
    skills_issuer
        .act(
            "a nursing licence",
            Action::IssueCredential {
                account: members[0].0.address(),
                type_id: 2,
                document_hash: B256::repeat_byte(2),
                expires_at: year,
            },
        )
        .await?;
    skills_issuer
        .act(
            "a first-aid certificate",
            Action::IssueCredential {
                account: members[2].0.address(),
                type_id: 3,
                document_hash: B256::repeat_byte(3),
                expires_at: year + 2 * 365 * 86_400,
            },
        )
        .await?;

    // One activity per branch: everyone there joins, works, confirms and is rewarded.
    for branch in 1..=u32::try_from(BRANCHES.len())? {
        let (first, second) = &operators[branch as usize - 1];
        let details = format!("{} park clean-up", BRANCHES[branch as usize - 1].1);
        first
            .act(
                "creating an activity",
                Action::CreateActivity {
                    branch_id: branch,
                    kind: ActivityKind::Activity,
                    hours_cap: "40".into(),
                    required_credential_type: 0,
                    details: details.clone(),
                },
            )
            .await?;
        // Listed once the branch's index has the block (a few milliseconds behind the chain).
        let mut listed = None;
        for _ in 0..200 {
            let activities: Vec<serde_json::Value> = first
                .session
                .get(&format!("/v1/activities?branch={branch}&limit=1"))
                .await?;
            listed = activities
                .first()
                .filter(|a| a["details"].as_str() == Some(details.as_str()))
                .and_then(|a| a["activityId"].as_u64());
            if listed.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let activity = listed.ok_or_else(|| eyre!("the new activity is not listed"))?;
        for (member, b) in &members {
            if *b != branch {
                continue;
            }
            member
                .act(
                    "joining",
                    Action::JoinActivity {
                        activity_id: activity,
                    },
                )
                .await?;
            first
                .act(
                    "recording hours",
                    Action::RecordHours {
                        activity_id: activity,
                        volunteer: member.address(),
                        hours: "30".into(),
                    },
                )
                .await?;
            member
                .act(
                    "confirming hours",
                    Action::ConfirmHours {
                        activity_id: activity,
                        hours: "30".into(),
                    },
                )
                .await?;
            second
                .act(
                    "settling",
                    Action::Settle {
                        activity_id: activity,
                        volunteer: member.address(),
                    },
                )
                .await?;
        }
    }

    let [ada, grace, alan, edsger, barbara] = [0, 1, 2, 3, 4].map(|i| &members[i].0);
    // A payment of one's own is a gift; a service is paid by confirming it.
    let pay = |to: &Person, hours: &str, reference: Option<&str>| Action::Pay {
        to: to.address(),
        hours: hours.into(),
        purpose: Purpose::Gift,
        reference: reference.map(str::to_owned),
    };
    // Ordinary payments: a service (Edsger proposes it, Alan's confirmation pays it), a gift;
    // Ada lets the partner hear of her membership.
    edsger
        .act(
            "a service",
            Action::ProposeService {
                requester: alan.address(),
                hours: "2".into(),
                details: "garden help".into(),
            },
        )
        .await?;
    let service_id = proposed_service(alan, edsger.address()).await?;
    alan.act(
        "confirming a service",
        Action::ConfirmService { service_id },
    )
    .await?;
    grace.act("a gift", pay(barbara, "0.5", None)).await?;
    ada.act(
        "a partner's consent",
        Action::SetPartnerConsent {
            partner: partner.address(),
            granted: true,
        },
    )
    .await?;

    // Suspicious patterns: a large gift (held for a supervisor), gifts structured just under
    // the threshold, a round trip.
    grace
        .act("a large gift (held)", pay(ada, "12", Some("birthday")))
        .await?;
    for _ in 0..3 {
        ada.act("a gift just under the threshold", pay(barbara, "8.5", None))
            .await?;
    }
    edsger.act("a round trip", pay(alan, "1", None)).await?;
    // A gift going round three members, a little less each hop: no rule on chain sees it
    // (the round-trip rule remembers one payee); the risk agent does.
    grace
        .act("a cycle, first hop", pay(alan, "3", None))
        .await?;
    alan.act("a cycle, second hop", pay(edsger, "2.9", None))
        .await?;
    edsger.act("a cycle, back", pay(grace, "2.8", None)).await?;
    partner
        .act(
            "a partner's risk alert",
            Action::RaiseRiskAlert {
                account: barbara.address(),
                reason: "a concern the partner institution shares".into(),
            },
        )
        .await?;
    std::fs::write(&done, "")?;
    println!(
        "demo data, written through the gateways with the demo people's own wallets: {} members \
         at {} branches, credentials, an activity per branch, payments, a partner's consent and \
         alert, and what the monitor flags. Members' salted profiles (what they present for \
         `verify`) are in {}.",
        members.len(),
        BRANCHES.len(),
        profiles_dir.display()
    );
    Ok(())
}
