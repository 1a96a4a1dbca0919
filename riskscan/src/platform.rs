//! Scans of the platform itself: each branch's node (reachable, in agreement with the others,
//! not stuck, not drifting, peered), each branch's services (gateway up, index not lagging),
//! and the contracts (monitor rules switched off or loosened, the monitor replaced, admin and
//! role changes, branch keys changed, relayers running low, quotas near their end, governance
//! proposals waiting in the timelock, uniqueness keys set or released). Each
//! sighting says what to do and who does it; a sighting a scan no longer sees is resolved.

use crate::{config::Config, metrics as m};
use alloy::{
    primitives::{Address, B256, Bytes, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
};
use std::time::Duration;
use timebank_bindings::{TimeCoin, deploy::Deployment, time_coin::MonitorRules};
use timebank_indexer::{Store, query::risk::PlatformSighting, unix_now};

/// One thing a scan saw.
pub type Sighting = PlatformSighting;

const DAY: u64 = 86_400;
/// Admin, role and key changes stay listed this long.
const CHANGES_LISTED: u64 = 7 * DAY;

fn sighting(
    check: &str,
    subject: impl Into<String>,
    severity: u8,
    summary: String,
    remediation: &str,
    details: serde_json::Value,
) -> Sighting {
    Sighting {
        check: check.to_owned(),
        subject: subject.into(),
        severity,
        summary,
        remediation: remediation.to_owned(),
        details: details.to_string(),
    }
}

/// Every check, each run in turn; a check that cannot run is itself a sighting.
pub async fn scan(
    store: &Store,
    chain: &DynProvider,
    deployment: &Deployment,
    config: &Config,
) -> Vec<Sighting> {
    let mut seen = Vec::new();
    nodes(config, &mut seen).await;
    services(store, chain, config, &mut seen).await;
    if let Err(err) = contracts(store, chain, deployment, config, &mut seen).await {
        seen.push(sighting(
            "scan_failed",
            "contracts",
            3,
            format!("无法检查合约 / cannot check the contracts: {err}"),
            "运维人员检查本网点节点与数据库 / operations: check this branch's node and database",
            serde_json::json!({}),
        ));
    }
    seen
}

/// The checks each run records (a check absent from a run resolves its open sightings).
pub const CHECKS: &[&str] = &[
    "node_unreachable",
    "node_behind",
    "node_fork",
    "chain_stuck",
    "block_time_drift",
    "node_peers_low",
    "gateway_down",
    "event_stream_stalled",
    "index_lag",
    "monitor_rules_loosened",
    "monitor_replaced",
    "role_changed",
    "branch_key_changed",
    "relayer_low",
    "quota_near_end",
    "governance_proposal",
    "uniqueness_key_set",
    "uniqueness_key_released",
    "scan_failed",
];

/// Records a run: per check, new sightings opened, repeated ones kept, missing ones resolved.
/// Returns the new ones.
pub async fn record(store: &Store, seen: &[Sighting], now: u64) -> eyre::Result<Vec<Sighting>> {
    let mut opened = Vec::new();
    for check in CHECKS {
        let of: Vec<Sighting> = seen.iter().filter(|s| s.check == *check).cloned().collect();
        for severity in 1..=4u8 {
            let n = of.iter().filter(|s| s.severity == severity).count();
            metrics::gauge!(m::PLATFORM_OPEN, "check" => *check, "severity" => severity.to_string())
                .set(n as f64);
        }
        opened.extend(store.record_platform_scan(check, &of, now).await?);
    }
    Ok(opened)
}

struct Node {
    branch: u64,
    head: u64,
    time: u64,
    peers: Option<u64>,
    provider: DynProvider,
}

async fn nodes(config: &Config, seen: &mut Vec<Sighting>) {
    let p = &config.platform;
    let mut up = Vec::new();
    for b in &p.branches {
        let provider = ProviderBuilder::new()
            .connect_http(b.rpc_url.clone())
            .erased();
        let head = tokio::time::timeout(Duration::from_secs(3), async {
            let block = provider
                .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
                .await?
                .ok_or_else(|| eyre::eyre!("no latest block"))?;
            let peers = provider
                .raw_request::<_, alloy::primitives::U64>("net_peerCount".into(), ())
                .await
                .ok()
                .map(|n| n.to::<u64>());
            Ok::<_, eyre::Report>((block.header.number, block.header.timestamp, peers))
        })
        .await;
        match head {
            Ok(Ok((head, time, peers))) => up.push(Node {
                branch: b.branch,
                head,
                time,
                peers,
                provider,
            }),
            Ok(Err(err)) => seen.push(unreachable(b.branch, &err.to_string())),
            Err(_) => seen.push(unreachable(b.branch, "no answer in 3 s")),
        }
    }
    let Some(highest) = up.iter().map(|n| n.head).max() else {
        return;
    };
    let now = unix_now();
    for n in &up {
        let subject = format!("branch {} node", n.branch);
        if n.head + p.max_lag_blocks < highest {
            seen.push(sighting(
                "node_behind",
                &subject,
                3,
                format!(
                    "网点 {} 的节点落后 {} 个区块 / branch {}'s node is {} blocks behind",
                    n.branch,
                    highest - n.head,
                    n.branch,
                    highest - n.head
                ),
                "该网点运维检查节点的同步与磁盘、网络 / the branch's IT: check the node's sync, disk and network",
                serde_json::json!({"head": n.head, "highest": highest}),
            ));
        }
        if n.time > now + p.max_drift_secs {
            seen.push(sighting(
                "block_time_drift",
                &subject,
                3,
                format!(
                    "网点 {} 节点的区块时间比本机快 {} 秒 / branch {}'s head block is {} s ahead of this clock",
                    n.branch,
                    n.time - now,
                    n.branch,
                    n.time - now
                ),
                "该网点运维校准验证节点的时钟（NTP） / the branch's IT: fix the validator's clock (NTP)",
                serde_json::json!({"blockTime": n.time, "now": now}),
            ));
        }
        if p.min_peers > 0 && n.peers.is_some_and(|peers| peers < p.min_peers) {
            seen.push(sighting(
                "node_peers_low",
                &subject,
                2,
                format!(
                    "网点 {} 的节点只有 {} 个对等节点 / branch {}'s node has {} peers",
                    n.branch,
                    n.peers.unwrap_or_default(),
                    n.branch,
                    n.peers.unwrap_or_default()
                ),
                "该网点运维检查静态节点列表与防火墙 / the branch's IT: check static nodes and the firewall",
                serde_json::json!({"peers": n.peers, "minPeers": p.min_peers}),
            ));
        }
    }
    if let Some(newest) = up.iter().map(|n| n.time).max()
        && newest + p.max_block_age_secs < now
    {
        seen.push(sighting(
            "chain_stuck",
            "chain",
            4,
            format!(
                "最新区块已是 {} 秒前：链停止出块 / the newest block is {} s old: the chain has stopped",
                now - newest,
                now - newest
            ),
            "平台管理员召集各网点检查验证节点是否在线、是否达到共识人数 / the platform admin: get the branches to check their validators are up and a quorum is reachable",
            serde_json::json!({"newestBlockTime": newest}),
        ));
    }
    // Agreement: every node's hash at the lowest head among them.
    let common = up.iter().map(|n| n.head).min().unwrap_or(0);
    let mut hashes = Vec::new();
    for n in &up {
        if let Ok(Some(block)) = n
            .provider
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Number(common))
            .await
        {
            hashes.push((n.branch, block.header.hash));
        }
    }
    if let Some((_, first)) = hashes.first() {
        for (branch, hash) in &hashes {
            if hash != first {
                seen.push(sighting(
                    "node_fork",
                    format!("branch {branch} node"),
                    4,
                    format!(
                        "网点 {branch} 的节点在区块 {common} 与其他节点不一致（分叉） / branch \
                         {branch}'s node disagrees at block {common} (a fork)"
                    ),
                    "立即停止该网点的网关写入；平台管理员与该网点运维核对创世文件与验证者名单，重新同步 / stop the branch's gateway writes now; the platform admin and the branch's IT compare the genesis and validator set, then resync",
                    serde_json::json!({"block": common, "hash": hash, "others": first}),
                ));
            }
        }
    }
}

fn unreachable(branch: u64, why: &str) -> Sighting {
    sighting(
        "node_unreachable",
        format!("branch {branch} node"),
        3,
        format!("网点 {branch} 的节点无法访问 / branch {branch}'s node does not answer: {why}"),
        "该网点运维检查节点进程与网络 / the branch's IT: check the node process and the network",
        serde_json::json!({"error": why}),
    )
}

async fn services(store: &Store, chain: &DynProvider, config: &Config, seen: &mut Vec<Sighting>) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
        .unwrap_or_default();
    for b in &config.platform.branches {
        let Some(gateway) = &b.gateway_url else {
            continue;
        };
        let subject = format!("branch {} gateway", b.branch);
        let ready = async {
            let health = http.get(gateway.join("health")?).send().await?;
            eyre::ensure!(
                health.status().is_success(),
                "/health answered {}",
                health.status()
            );
            let ready: serde_json::Value = http
                .get(gateway.join("ready")?)
                .send()
                .await?
                .json()
                .await?;
            Ok::<_, eyre::Report>(ready)
        }
        .await;
        match ready {
            Err(err) => seen.push(sighting(
                "gateway_down",
                &subject,
                3,
                format!("网点 {} 的网关无法访问 / branch {}'s gateway is down: {err}", b.branch, b.branch),
                "该网点运维重启网关并查看其日志 / the branch's IT: restart the gateway and read its log",
                serde_json::json!({"url": gateway.as_str()}),
            )),
            Ok(ready) => seen.extend(ready_sightings(b.branch, &ready, config.platform.max_lag_blocks)),
        }
    }
    // This agent's own index.
    if let (Ok(Some(indexed)), Ok(head)) = (store.head().await, chain.get_block_number().await)
        && indexed.number + config.platform.max_lag_blocks < head
    {
        seen.push(lagging(0, head, indexed.number));
    }
}

/// What a branch gateway's `/ready` answer shows: its live stream stalled, its index lagging
/// or not ready.
fn ready_sightings(branch: u64, ready: &serde_json::Value, max_lag: u64) -> Vec<Sighting> {
    let mut seen = Vec::new();
    if let Some(secs) = ready["livePolledSecsAgo"].as_u64()
        && secs > 10
    {
        seen.push(sighting(
            "event_stream_stalled",
            format!("branch {branch} live stream"),
            3,
            format!(
                "网点 {branch} 的实时推送已 {secs} 秒未读取索引 / branch {branch}'s live stream has \
                 not read its index for {secs} s"
            ),
            "该网点运维重启网关并查看其日志 / the branch's IT: restart the gateway and read its log",
            ready.clone(),
        ));
    }
    match (ready["headBlock"].as_u64(), ready["indexedBlock"].as_u64()) {
        (Some(head), Some(indexed)) if indexed + max_lag < head => {
            seen.push(lagging(branch, head, indexed));
        }
        (_, None) => seen.push(sighting(
            "index_lag",
            format!("branch {branch} index"),
            3,
            format!(
                "网点 {branch} 的索引未就绪 / branch {branch}'s index is not ready: {}",
                ready["problems"]
            ),
            "该网点运维检查索引器进程与数据库 / the branch's IT: check the indexer and its database",
            ready.clone(),
        )),
        _ => {}
    }
    seen
}

fn lagging(branch: u64, head: u64, indexed: u64) -> Sighting {
    let whose = if branch == 0 {
        "本代理读取的".to_owned()
    } else {
        format!("网点 {branch} 的")
    };
    sighting(
        "index_lag",
        if branch == 0 {
            "agent's index".to_owned()
        } else {
            format!("branch {branch} index")
        },
        2,
        format!(
            "{whose}索引落后链头 {} 个区块 / the index is {} blocks behind the head",
            head - indexed,
            head - indexed
        ),
        "该网点运维检查索引器是否在运行、数据库是否过慢 / the branch's IT: check the indexer runs and its database keeps up",
        serde_json::json!({"head": head, "indexed": indexed}),
    )
}

/// Each rule's setting against the default, where the chain's is weaker.
fn loosened(
    now: &MonitorRules::Config,
    base: &MonitorRules::Config,
    actions: u32,
    base_actions: u32,
) -> Vec<String> {
    let mut weaker = Vec::new();
    for (fired, name) in timebank_bindings::rules::BITS {
        let bit = fired.trailing_zeros();
        if bit >= 8 {
            continue; // volume_in shares volume's switch
        }
        let on = |enabled: u8| enabled & (1 << bit) != 0;
        if on(base.enabled) && !on(now.enabled) {
            weaker.push(format!("{name} off"));
            continue;
        }
        let act = |a: u32| (a >> (2 * bit)) & 3;
        if act(actions) < act(base_actions) {
            weaker.push(format!(
                "{name} action {} < {}",
                act(actions),
                act(base_actions)
            ));
        }
    }
    let mut higher = |name: &str, now: u64, base: u64| {
        if now > base || (base != 0 && now == 0) {
            weaker.push(format!("{name} {now} (default {base})"));
        }
    };
    higher(
        "largeActivityReward",
        now.largeActivityReward.into(),
        base.largeActivityReward.into(),
    );
    higher(
        "largeTrainingReward",
        now.largeTrainingReward.into(),
        base.largeTrainingReward.into(),
    );
    higher(
        "largeServicePayment",
        now.largeServicePayment.into(),
        base.largeServicePayment.into(),
    );
    higher("largeGift", now.largeGift.into(), base.largeGift.into());
    higher(
        "velocityCount",
        now.velocityCount.into(),
        base.velocityCount.into(),
    );
    higher("volumeOut", now.volumeOut.into(), base.volumeOut.into());
    higher("volumeIn", now.volumeIn.into(), base.volumeIn.into());
    higher(
        "structuringCount",
        now.structuringCount.into(),
        base.structuringCount.into(),
    );
    if now.structuringBand < base.structuringBand {
        weaker.push(format!(
            "structuringBand {} (default {})",
            now.structuringBand, base.structuringBand
        ));
    }
    if now.window.to::<u64>() < base.window.to::<u64>() {
        weaker.push(format!("window {} s (default {})", now.window, base.window));
    }
    if now.roundTripWindow.to::<u64>() < base.roundTripWindow.to::<u64>() {
        weaker.push(format!(
            "roundTripWindow {} s (default {})",
            now.roundTripWindow, base.roundTripWindow
        ));
    }
    weaker
}

async fn contracts(
    store: &Store,
    chain: &DynProvider,
    deployment: &Deployment,
    config: &Config,
    seen: &mut Vec<Sighting>,
) -> eyre::Result<()> {
    let coin = TimeCoin::new(deployment.contracts.time_coin, chain);
    let rules = coin.monitorRules().call().await?;
    let defaults = coin.defaultRules().call().await?;
    let weaker = loosened(&rules._0, &defaults._0, rules.actions, defaults.actions);
    if !weaker.is_empty() {
        seen.push(sighting(
            "monitor_rules_loosened",
            "TimeCoin",
            3,
            format!(
                "链上监控规则比默认宽松：{} / the monitoring rules are looser than the defaults: {}",
                weaker.join("、"),
                weaker.join(", ")
            ),
            "监管员核对治理记录中的理由；无正当理由时由治理者恢复 / supervisors: check the governance record's reason; without one, the governor restores them",
            serde_json::json!({"weaker": weaker}),
        ));
    }
    let monitor = coin.monitor().call().await?;
    if monitor != deployment.contracts.supervision_desk {
        seen.push(sighting(
            "monitor_replaced",
            "TimeCoin",
            4,
            format!(
                "时间币的监控合约已不是部署时的监管台（现为 {monitor}） / the coin's monitor is no \
                 longer the deployed supervision desk (now {monitor})"
            ),
            "平台管理员立即核实该治理操作；监管员接管被暂扣的币（adopt_hold） / the platform admin verifies the governance call now; supervisors adopt stranded holds",
            serde_json::json!({"monitor": monitor, "desk": deployment.contracts.supervision_desk}),
        ));
    }
    let since = unix_now().saturating_sub(CHANGES_LISTED);
    for e in store
        .recent_events(
            &[
                "RoleGranted",
                "RoleRevoked",
                "DefaultAdminTransferScheduled",
                "OperatorChanged",
                "MonitorChanged",
                "MonitorRulesChanged",
                "BranchKeyChanged",
            ],
            since,
        )
        .await?
    {
        let (check, severity, zh, en, who) = match e.event.as_str() {
            "BranchKeyChanged" => (
                "branch_key_changed",
                2,
                "网点数据密钥已更换",
                "a branch's data key changed",
                "该网点确认更换是本网点发起的 / the branch confirms it made the change",
            ),
            "DefaultAdminTransferScheduled" => (
                "role_changed",
                4,
                "已安排移交平台管理员",
                "a transfer of the platform admin is scheduled",
                "平台管理员与各网点负责人确认；非计划操作时立即取消 / the platform admin and branch heads confirm it; cancel it at once if unplanned",
            ),
            "MonitorChanged" | "MonitorRulesChanged" => (
                "role_changed",
                3,
                "监控设置已修改",
                "the monitoring settings changed",
                "监管员核对治理记录 / supervisors check the governance record",
            ),
            _ => (
                "role_changed",
                2,
                "角色授予或撤销",
                "a role was granted or revoked",
                "审计员核对授权记录 / the auditor checks the grant against its record",
            ),
        };
        seen.push(sighting(
            check,
            format!("{}#{}:{}", e.contract, e.block_number, e.log_index),
            severity,
            format!(
                "{zh}（{}.{}，区块 {}） / {en} ({}.{}, block {})",
                e.contract, e.event, e.block_number, e.contract, e.event, e.block_number
            ),
            who,
            e.fields,
        ));
    }
    governance_proposals(store, deployment, seen).await?;
    uniqueness_keys(store, since, seen).await?;
    for relayer in &config.platform.relayers {
        let balance = chain.get_balance(*relayer).await?;
        if balance < config.platform.min_relayer_wei {
            seen.push(relayer_low(
                *relayer,
                balance,
                config.platform.min_relayer_wei,
            ));
        }
    }
    for b in store.branches().await? {
        let q = store.quota(b.branch_id).await?;
        let (limit, minted) = (
            q.limit.parse::<U256>().unwrap_or_default(),
            q.minted.parse::<U256>().unwrap_or_default(),
        );
        if !limit.is_zero()
            && minted * U256::from(100) >= limit * U256::from(config.platform.quota_percent)
        {
            let percent = minted * U256::from(100) / limit;
            seen.push(sighting(
                "quota_near_end",
                format!("branch {} quota", b.branch_id),
                2,
                format!(
                    "网点 {} 的发行额度已用 {percent}% / branch {}'s minting quota is {percent}% used",
                    b.name, b.name
                ),
                "平台管理员决定是否提高额度（治理操作） / the platform admin decides whether to raise it (a governance call)",
                serde_json::json!({"limit": q.limit, "minted": q.minted}),
            ));
        }
    }
    Ok(())
}

/// A field of a decoded event, parsed from its text.
fn field<T: std::str::FromStr>(fields: &serde_json::Value, name: &str) -> Option<T> {
    fields.get(name)?.as_str()?.parse().ok()
}

/// A numeric field of a decoded event (a number, or a decimal text).
fn number(fields: &serde_json::Value, name: &str) -> Option<u64> {
    let value = fields.get(name)?;
    value
        .as_u64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
}

/// Every operation in the governor's queue (the timelock's `CallScheduled`) not yet executed
/// or cancelled, however old: the guardian's window to cancel one lasts until it runs, so it
/// stays listed until then.
async fn governance_proposals(
    store: &Store,
    deployment: &Deployment,
    seen: &mut Vec<Sighting>,
) -> eyre::Result<()> {
    let events = store
        .recent_events(&["CallScheduled", "CallExecuted", "Cancelled"], 0)
        .await?;
    let mut queued: Vec<(B256, Vec<&timebank_indexer::query::HistoryEntry>)> = Vec::new();
    let mut ended = std::collections::HashSet::new();
    for e in events.iter().filter(|e| e.contract == "TimebankTimelock") {
        let Some(id) = field::<B256>(&e.fields, "id") else {
            continue;
        };
        if e.event != "CallScheduled" {
            ended.insert(id);
        } else if let Some((_, calls)) = queued.iter_mut().find(|(q, _)| *q == id) {
            calls.push(e);
        } else {
            queued.push((id, vec![e]));
        }
    }
    for (id, calls) in queued.iter().filter(|(id, _)| !ended.contains(id)) {
        let first = calls[0];
        let ready = first
            .block_time
            .saturating_add(number(&first.fields, "delay").unwrap_or_default());
        let described: Vec<String> = calls
            .iter()
            .map(|e| {
                let target = field::<Address>(&e.fields, "target").unwrap_or_default();
                let data = field::<Bytes>(&e.fields, "data").unwrap_or_default();
                timebank_client::describe::describe(&deployment.contracts, target, &data, &[])
                    .map_or_else(|| format!("{target} {data}"), |d| d.inline())
            })
            .collect();
        let text = described.join("; ");
        seen.push(sighting(
            "governance_proposal",
            format!("TimebankTimelock {id}"),
            3,
            format!(
                "治理提案在排队（区块 {}，{ready} 起可执行）：{text} / a governance proposal is \
                 queued (block {}, executable from {ready}): {text}",
                first.block_number, first.block_number
            ),
            "守护者（监管员多签）对照治理记录核实；未经计划的提案在执行前取消（timelock.cancel） / the guardian (the supervisors' multisig) checks it against the governance record and cancels one that was not planned before it runs (timelock.cancel)",
            serde_json::json!({
                "id": id, "calls": described, "proposedAt": first.block_time,
                "readyAt": ready, "block": first.block_number,
            }),
        ));
    }
    Ok(())
}

/// Uniqueness keys set (per actor, over the last days: a new member's first key is routine,
/// a key replaced outside a rotation is not) and released (each: the person may register
/// again).
async fn uniqueness_keys(store: &Store, since: u64, seen: &mut Vec<Sighting>) -> eyre::Result<()> {
    let events = store
        .recent_events(&["UniquenessKeySet", "UniquenessKeyReleased"], since)
        .await?;
    // Per actor: members keyed, and how many of those replaced a key.
    let mut set: Vec<(Address, Vec<u64>, usize)> = Vec::new();
    for e in events.iter().filter(|e| e.contract == "IdentityRegistry") {
        let actor = field::<Address>(&e.fields, "actor").unwrap_or_default();
        let member = number(&e.fields, "memberId").unwrap_or_default();
        if e.event == "UniquenessKeyReleased" {
            seen.push(sighting(
                "uniqueness_key_released",
                format!("{}#{}:{}", e.contract, e.block_number, e.log_index),
                2,
                format!(
                    "会员 {member} 的唯一性密钥已由 {actor} 释放（区块 {}），此人可以重新登记 / \
                     member {member}'s uniqueness key was released by {actor} (block {}): the \
                     person may register again",
                    e.block_number, e.block_number
                ),
                "审计员核对释放理由（reasonHash）与拒绝或注销记录 / the auditor checks the reason (reasonHash) against the rejection or closure record",
                e.fields.clone(),
            ));
            continue;
        }
        let replaced = field::<B256>(&e.fields, "previousKey").is_some_and(|k| !k.is_zero());
        match set.iter_mut().find(|(a, ..)| *a == actor) {
            Some((_, members, n)) => {
                members.push(member);
                *n += usize::from(replaced);
            }
            None => set.push((actor, vec![member], usize::from(replaced))),
        }
    }
    for (actor, members, replaced) in set {
        seen.push(sighting(
            "uniqueness_key_set",
            format!("IdentityRegistry keys set by {actor}"),
            if replaced > 0 { 2 } else { 1 },
            format!(
                "{actor} 在 7 天内设置了 {} 个唯一性密钥（{replaced} 个替换了原密钥） / {actor} \
                 set {} uniqueness keys in 7 days ({replaced} replacing a previous key)",
                members.len(),
                members.len()
            ),
            "审计员将每个密钥与登记或密钥轮换记录核对；替换密钥只应发生在轮换中 / the auditor checks each against a registration or a key rotation; a key is replaced only in a rotation",
            serde_json::json!({
                "members": members.iter().take(100).collect::<Vec<_>>(),
                "count": members.len(), "replaced": replaced,
            }),
        ));
    }
    Ok(())
}

fn relayer_low(relayer: Address, balance: U256, min: U256) -> Sighting {
    sighting(
        "relayer_low",
        relayer.to_string(),
        3,
        format!(
            "中继账户 {relayer} 余额 {balance} wei，低于 {min} / relayer {relayer} holds {balance} wei, below {min}"
        ),
        "平台管理员为该中继账户充值，否则会员的交易将无法上链 / the platform admin funds it, or members' transactions stop",
        serde_json::json!({"balance": balance, "min": min}),
    )
}

#[cfg(test)]
mod tests {
    use super::loosened;
    use crate::detect::tests::rules;

    #[test]
    fn a_gateways_ready_answer_shows_a_stalled_stream_and_a_lagging_index() {
        let fine =
            serde_json::json!({"headBlock": 100, "indexedBlock": 99, "livePolledSecsAgo": 0});
        assert!(super::ready_sightings(1, &fine, 10).is_empty());
        let bad =
            serde_json::json!({"headBlock": 100, "indexedBlock": 50, "livePolledSecsAgo": 40});
        let checks: Vec<String> = super::ready_sightings(2, &bad, 10)
            .into_iter()
            .map(|s| format!("{} {}", s.check, s.subject))
            .collect();
        assert_eq!(
            checks,
            [
                "event_stream_stalled branch 2 live stream",
                "index_lag branch 2 index"
            ]
        );
        let starting = serde_json::json!({"headBlock": 100, "indexedBlock": null, "problems": ["the index has not written its first batch yet"]});
        assert_eq!(
            super::ready_sightings(3, &starting, 10)[0].check,
            "index_lag"
        );
    }

    #[test]
    fn loosened_rules_are_named() {
        let base = rules();
        assert!(loosened(&base, &base, 2, 2).is_empty());
        let mut now = base.clone();
        now.enabled &= !(1 << 3); // structuring off
        now.largeGift = 50;
        let weaker = loosened(&now, &base, 0, 2);
        assert!(weaker.iter().any(|w| w == "structuring off"), "{weaker:?}");
        assert!(
            weaker.iter().any(|w| w.starts_with("largeGift 50")),
            "{weaker:?}"
        );
        assert!(
            weaker
                .iter()
                .any(|w| w.starts_with("large_amount action 0")),
            "{weaker:?}"
        );
    }
}
