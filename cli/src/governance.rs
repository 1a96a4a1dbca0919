//! The admin's commands that are more than one write: `admin rules|propose-rules|governance|
//! execute|cancel` (the monitoring rules and the governor's public queue; a proposal is shown
//! with the delay it will wait before it is signed) and `admin rekey` (uniqueness keys after a
//! rotation).

use crate::{commands::AdminCommand, writer::Writer};
use alloy::primitives::B256;
use eyre::{bail, eyre};
use serde_json::Value;
use timebank_client::{Action, action::Rules};

/// Runs a governance command.
pub async fn run(command: &AdminCommand, w: &Writer<'_>) -> eyre::Result<()> {
    let governance = if matches!(command, AdminCommand::Rekey) {
        Value::Null
    } else {
        w.session.get("/v1/governance").await?
    };
    match command {
        AdminCommand::Rules => {
            if w.out.json {
                println!("{governance}");
                return Ok(());
            }
            let rules = &governance["monitorRules"];
            w.out.rows(&rules["rules"], &["rule", "enabled", "action"]);
            let mut thresholds = rules.clone();
            if let Some(map) = thresholds.as_object_mut() {
                map.remove("rules");
            }
            w.out.record(&thresholds);
            println!(
                "治理延迟 / governed changes wait at least {} s",
                governance["minDelaySecs"]
            );
        }
        AdminCommand::ProposeRules {
            enable,
            disable,
            action,
            set,
            delay_secs,
        } => {
            let rules = changed(&governance["monitorRules"], enable, disable, action, set)?;
            let min_delay = governance["minDelaySecs"].as_u64().unwrap_or_default();
            let salt = B256::from(rand08::random::<[u8; 32]>());
            w.act(Action::ProposeMonitorRules {
                rules,
                delay_secs: delay_secs.unwrap_or(min_delay),
                salt,
            })
            .await?;
            // Where it now waits, as every branch sees it.
            for _ in 0..100 {
                let queue: Value = w.session.get("/v1/governance").await?;
                if let Some(call) = queue["queue"].as_array().and_then(|q| {
                    q.iter()
                        .find(|c| c["salt"].as_str() == Some(&salt.to_string()))
                }) {
                    if w.out.json {
                        println!("{call}");
                    } else {
                        println!(
                            "已提议 / proposed {}: 可执行时间 / may be carried out from {} \
                             (`timebank admin execute {}`)",
                            call["id"].as_str().unwrap_or_default(),
                            call["readyAt"].as_str().unwrap_or_default(),
                            call["id"].as_str().unwrap_or_default(),
                        );
                    }
                    return Ok(());
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            bail!("the proposal landed but this branch's index has not shown it yet");
        }
        AdminCommand::Governance => w.out.rows(
            &governance["queue"],
            &["id", "call", "proposedAt", "readyAt", "state"],
        ),
        AdminCommand::Execute { id } => {
            let call = queued(&governance, id)?;
            let parse = |name: &str| {
                call[name]
                    .as_str()
                    .ok_or_else(|| eyre!("the queue's entry has no {name}"))
            };
            w.act(Action::ExecuteGoverned {
                target: parse("target")?.parse()?,
                data: parse("data")?.parse()?,
                salt: parse("salt")?.parse()?,
            })
            .await?;
        }
        AdminCommand::Cancel { id } => {
            queued(&governance, id)?;
            w.act(Action::CancelGoverned { id: *id }).await?;
        }
        AdminCommand::Rekey => {
            let audit: Value = w.session.get("/v1/audit/uniqueness").await?;
            let (mut renewed, mut refused) = (0, 0);
            for member in audit["stale"].as_array().into_iter().flatten() {
                let (Some(account), Some(key)) =
                    (member["account"].as_str(), member["key"].as_str())
                else {
                    continue;
                };
                let action = Action::SetUniquenessKey {
                    account: account.parse()?,
                    key: key.parse()?,
                };
                // Another member holding the key is a suspected duplicate: said, not forced.
                match w.act(action).await {
                    Ok(()) => renewed += 1,
                    Err(err) => {
                        refused += 1;
                        eprintln!("{account}: {err}");
                    }
                }
            }
            eprintln!("{renewed} keys renewed, {refused} refused (see `timebank duplicates`)");
            if refused > 0 {
                bail!("{refused} members keep their previous key");
            }
        }
        _ => bail!("not a governance command"),
    }
    Ok(())
}

/// The queue's entry `id`.
fn queued<'a>(governance: &'a Value, id: &B256) -> eyre::Result<&'a Value> {
    governance["queue"]
        .as_array()
        .and_then(|q| q.iter().find(|c| c["id"].as_str() == Some(&id.to_string())))
        .ok_or_else(|| eyre!("no governed change {id} in the queue (`timebank admin governance`)"))
}

/// The rules in force with the user's changes; a name that is no rule or no setting is refused.
fn changed(
    current: &Value,
    enable: &[String],
    disable: &[String],
    action: &[String],
    set: &[String],
) -> eyre::Result<Rules> {
    let mut rules = current.clone();
    fn rule<'a>(rules: &'a mut Value, name: &str) -> eyre::Result<&'a mut Value> {
        rules["rules"]
            .as_array_mut()
            .and_then(|all| all.iter_mut().find(|r| r["rule"] == name))
            .ok_or_else(|| eyre!("{name:?} is no rule (`timebank admin rules` lists them)"))
    }
    for name in enable {
        rule(&mut rules, name)?["enabled"] = true.into();
    }
    for name in disable {
        rule(&mut rules, name)?["enabled"] = false.into();
    }
    for pair in action {
        let (name, what) = pair
            .split_once('=')
            .ok_or_else(|| eyre!("--action {pair:?}: write RULE=ACTION, e.g. gift=hold"))?;
        rule(&mut rules, name)?["action"] = what.into();
    }
    for pair in set {
        let (name, number) = pair
            .split_once('=')
            .ok_or_else(|| eyre!("--set {pair:?}: write NAME=NUMBER, e.g. largeGift=12"))?;
        if name == "rules" || rules.get(name).is_none() {
            bail!("--set {name}: no such setting (`timebank admin rules --json` names them)");
        }
        rules[name] = number
            .parse::<u64>()
            .map_err(|_| eyre!("--set {name}={number}: not a whole number"))?
            .into();
    }
    serde_json::from_value(rules).map_err(|err| eyre!("the rules as changed: {err}"))
}
