//! The chain's enums in the users' words: Simplified Chinese first, English second. Each enum's
//! labels are one exhaustive `match`, so a value appended to a contract enum does not build
//! until it has its words here (the bindings generate the enums from the contracts).

use timebank_bindings::types::{
    ActivityKind, ActivityStatus, CaseKind, CaseStatus, CredentialKind, HoldStatus, MemberStatus,
    MonitorAction, ParticipationStatus, Purpose, RiskLevel, ServiceStatus,
};

/// A value's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Label {
    /// Simplified Chinese.
    pub zh: &'static str,
    /// English.
    pub en: &'static str,
}

impl std::fmt::Display for Label {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.zh, self.en)
    }
}

const fn l(zh: &'static str, en: &'static str) -> Label {
    Label { zh, en }
}

/// An enum of the chain whose values have words.
pub trait Labelled: Copy + 'static {
    /// This value's words.
    fn label(self) -> Label;
}

macro_rules! labels {
    ($($ty:ident { $($value:ident => ($zh:literal, $en:literal)),+ $(,)? })+) => {$(
        impl Labelled for $ty {
            fn label(self) -> Label {
                match self {
                    $($ty::$value => l($zh, $en),)+
                }
            }
        }
    )+};
}

labels! {
    ActivityKind {
        Activity => ("志愿活动", "volunteer activity"),
        Training => ("培训", "training"),
    }
    ActivityStatus {
        None => ("无", "none"),
        Open => ("进行中", "open"),
        Closed => ("已结束", "closed"),
    }
    CaseKind {
        RuleHit => ("规则命中", "rule hit"),
        Agent => ("风险扫描", "risk scan"),
        Recovery => ("钱包找回", "wallet recovery"),
        AdoptedHold => ("接管的暂扣", "adopted hold"),
    }
    CaseStatus {
        None => ("无", "none"),
        Open => ("待处理", "open"),
        Cleared => ("已排除", "cleared"),
        Confirmed => ("已确认", "confirmed"),
    }
    CredentialKind {
        IdentityCheck => ("身份核验", "identity check"),
        ProfessionalLicence => ("执业资格", "professional licence"),
        TrainingCertificate => ("培训证书", "training certificate"),
        SelfDeclared => ("自行申报", "self-declared"),
    }
    HoldStatus {
        None => ("无", "none"),
        Held => ("暂扣中", "held"),
        Released => ("已放行", "released"),
        Returned => ("已退回", "returned"),
    }
    MemberStatus {
        None => ("未登记", "not registered"),
        Pending => ("待审核", "pending review"),
        Active => ("有效", "active"),
        Suspended => ("已暂停", "suspended"),
        Closed => ("已注销", "closed"),
    }
    MonitorAction {
        None => ("放行", "let through"),
        Flag => ("标记", "flag"),
        Hold => ("暂扣", "hold"),
        Block => ("拦截", "block"),
    }
    ParticipationStatus {
        None => ("无", "none"),
        Joined => ("已报名", "joined"),
        Recorded => ("已记录时长", "hours recorded"),
        Confirmed => ("已确认", "confirmed"),
        Settled => ("已结算", "settled"),
    }
    Purpose {
        ActivityReward => ("活动奖励", "activity reward"),
        TrainingReward => ("培训奖励", "training reward"),
        ServicePayment => ("服务付款", "service payment"),
        Gift => ("赠与", "gift"),
        Recovery => ("钱包找回", "recovery"),
        Redemption => ("兑付", "redemption"),
    }
    RiskLevel {
        None => ("未评估", "not assessed"),
        Low => ("低", "low"),
        Medium => ("中", "medium"),
        High => ("高", "high"),
        Blocked => ("禁止", "blocked"),
    }
    ServiceStatus {
        None => ("无", "none"),
        Proposed => ("待确认", "proposed"),
        Completed => ("已完成", "completed"),
        Cancelled => ("已取消", "cancelled"),
    }
}

/// The words of the value `value` of the enum called `enum_name` (as the ABI's internal type
/// names it), if there is such a value.
pub fn label_of(enum_name: &str, value: u8) -> Option<Label> {
    fn of<E: Labelled + TryFrom<u8>>(value: u8) -> Option<Label> {
        E::try_from(value).ok().map(Labelled::label)
    }
    match enum_name {
        "ActivityKind" => of::<ActivityKind>(value),
        "ActivityStatus" => of::<ActivityStatus>(value),
        "CaseKind" => of::<CaseKind>(value),
        "CaseStatus" => of::<CaseStatus>(value),
        "CredentialKind" => of::<CredentialKind>(value),
        "HoldStatus" => of::<HoldStatus>(value),
        "MemberStatus" => of::<MemberStatus>(value),
        "MonitorAction" => of::<MonitorAction>(value),
        "ParticipationStatus" => of::<ParticipationStatus>(value),
        "Purpose" => of::<Purpose>(value),
        "RiskLevel" => of::<RiskLevel>(value),
        "ServiceStatus" => of::<ServiceStatus>(value),
        _ => None,
    }
}

/// The words of the monitoring rule called `name` (as `timebank_bindings::rules::BITS` names
/// it), if there is such a rule.
pub fn rule_label(name: &str) -> Option<Label> {
    Some(match name {
        "large_amount" => l("大额", "large amount"),
        "velocity" => l("频次过高", "too many payments"),
        "volume" => l("支出累计过高", "outgoing volume"),
        "volume_in" => l("收入累计过高", "incoming volume"),
        "structuring" => l("拆分交易", "structuring"),
        "round_trip" => l("资金回流", "round trip"),
        "new_account" => l("新账户", "new account"),
        "risky_counterparty" => l("高风险对手方", "risky counterparty"),
        "dormant_reactivation" => l("休眠账户重新活跃", "dormant account reactivated"),
        _ => return None,
    })
}

/// The contracts' events (their own and those they inherit) in words, for a member's history
/// and the live feed.
pub const EVENTS: &[(&str, Label)] = &[
    (
        "AccessLogAnchored",
        l("访问日志已存证", "access log anchored"),
    ),
    ("ActivityClosed", l("活动已结束", "activity closed")),
    ("ActivityCreated", l("活动已创建", "activity created")),
    ("ActivityJoined", l("报名参加活动", "joined an activity")),
    (
        "ActivitySettled",
        l("活动时长已结算", "activity hours settled"),
    ),
    (
        "BranchActiveChanged",
        l("网点启用状态变更", "branch activated or deactivated"),
    ),
    ("BranchAdded", l("新增网点", "branch added")),
    (
        "BranchKeyChanged",
        l("网点密钥已更换", "branch key changed"),
    ),
    (
        "BranchKeyProposalCancelled",
        l("网点密钥更换提议已撤销", "branch key proposal cancelled"),
    ),
    (
        "BranchKeyProposed",
        l("提议更换网点密钥", "branch key change proposed"),
    ),
    ("BranchUpdated", l("网点信息已更新", "branch updated")),
    ("CaseDecided", l("案件已决定", "case decided")),
    ("CaseOpened", l("案件已开立", "case opened")),
    ("CoinsMoved", l("时间币转移", "coins moved")),
    ("CredentialIssued", l("证书已签发", "credential issued")),
    ("CredentialRenewed", l("证书已续期", "credential renewed")),
    ("CredentialRevoked", l("证书已吊销", "credential revoked")),
    (
        "CredentialTypeActiveChanged",
        l(
            "证书类型启用状态变更",
            "credential type activated or deactivated",
        ),
    ),
    (
        "CredentialTypeDefined",
        l("新增证书类型", "credential type defined"),
    ),
    ("HoldAdopted", l("暂扣已被接管", "hold adopted")),
    ("HoldSettled", l("暂扣已处理", "hold settled")),
    ("HoursConfirmed", l("时长已确认", "hours confirmed")),
    ("HoursRecorded", l("时长已记录", "hours recorded")),
    ("MemberMoved", l("会员已转入新网点", "member moved")),
    ("MemberRecovered", l("钱包已找回", "wallet recovered")),
    (
        "MemberStatusChanged",
        l("会员状态变更", "member status changed"),
    ),
    ("MemberSubmitted", l("会员登记已提交", "member submitted")),
    ("MintQuotaSet", l("发行额度已设置", "minting quota set")),
    ("MonitorChanged", l("监控合约已更换", "monitor replaced")),
    (
        "MonitorRulesChanged",
        l("监控规则已修改", "monitoring rules changed"),
    ),
    ("MoveCancelled", l("转移申请已撤销", "move cancelled")),
    ("MoveRequested", l("申请转移网点", "move requested")),
    ("MovementHeld", l("时间币被暂扣", "coins held")),
    ("OperatorChanged", l("经办人变更", "operator changed")),
    (
        "PartnerConsentChanged",
        l("合作机构授权变更", "partner consent changed"),
    ),
    ("ProfileUpdated", l("会员资料已更新", "profile updated")),
    (
        "RecoveryRequested",
        l("申请找回钱包", "wallet recovery requested"),
    ),
    (
        "RiskAlertAssessed",
        l("风险预警已评估", "risk alert assessed"),
    ),
    ("RiskAlertRaised", l("收到风险预警", "risk alert raised")),
    ("RiskLevelChanged", l("风险等级变更", "risk level changed")),
    ("RuleHit", l("触发监控规则", "monitoring rule hit")),
    (
        "SecondApprovalSet",
        l("第二审核人已设置", "second approval set"),
    ),
    ("ServiceCancelled", l("服务已取消", "service cancelled")),
    ("ServiceCompleted", l("服务已完成", "service completed")),
    ("ServiceProposed", l("服务已提议", "service proposed")),
    ("SettlementApproved", l("结算已批准", "settlement approved")),
    ("StandingSynced", l("交易资格已同步", "standing synced")),
    ("TimeCoinSet", l("时间币合约已设置", "time coin set")),
    (
        "UniquenessKeyReleased",
        l("唯一性标识已释放", "uniqueness key released"),
    ),
    (
        "UniquenessKeySet",
        l("唯一性标识已设置", "uniqueness key set"),
    ),
    (
        "EIP712DomainChanged",
        l("签名域已变更", "signing domain changed"),
    ),
    (
        "DefaultAdminDelayChangeCanceled",
        l("管理员变更延迟调整已撤销", "admin delay change cancelled"),
    ),
    (
        "DefaultAdminDelayChangeScheduled",
        l("已安排调整管理员变更延迟", "admin delay change scheduled"),
    ),
    (
        "DefaultAdminTransferScheduled",
        l("已安排移交平台管理员", "admin transfer scheduled"),
    ),
    (
        "DefaultAdminTransferCanceled",
        l("平台管理员移交已撤销", "admin transfer cancelled"),
    ),
    ("RoleGranted", l("授予角色", "role granted")),
    ("RoleRevoked", l("撤销角色", "role revoked")),
    (
        "RoleAdminChanged",
        l("角色管理者变更", "role admin changed"),
    ),
    (
        "ExecutedForwardRequest",
        l("已代为提交签名交易", "forwarded request executed"),
    ),
    (
        "MinDelayChange",
        l("最短延迟已修改", "minimum delay changed"),
    ),
    ("CallSalt", l("操作附加盐值", "call salt")),
    (
        "CallScheduled",
        l("治理操作已排期", "governance call scheduled"),
    ),
    (
        "CallExecuted",
        l("治理操作已执行", "governance call executed"),
    ),
    (
        "Cancelled",
        l("治理操作已取消", "governance call cancelled"),
    ),
    ("Transfer", l("转账", "transfer")),
    ("Approval", l("授权额度", "approval")),
];

/// The words of the contracts' event called `name`, if the contracts have such an event.
pub fn event_label(name: &str) -> Option<Label> {
    EVENTS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, label)| *label)
}

/// The words of a risk finding's severity.
pub fn severity_label(severity: crate::api::Severity) -> Label {
    use crate::api::Severity;
    match severity {
        Severity::Low => l("低", "low"),
        Severity::Medium => l("中", "medium"),
        Severity::High => l("高", "high"),
        Severity::Critical => l("紧急", "critical"),
    }
}

/// The words of a role the gateway recognises.
pub fn role_label(role: crate::api::Role) -> Label {
    use crate::api::Role;
    match role {
        Role::Member => l("会员", "member"),
        Role::Operator => l("网点经办人", "branch operator"),
        Role::Supervisor => l("监管员", "supervisor"),
        Role::Issuer => l("证书签发机构", "credential issuer"),
        Role::Partner => l("合作机构", "partner institution"),
        Role::Admin => l("平台管理员", "platform admin"),
        Role::Auditor => l("审计员", "auditor"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every enum the contracts declare has its words here: an enum added to the contracts
    /// fails this until it is listed above.
    #[test]
    fn every_enum_of_the_contracts_has_words() {
        for name in timebank_bindings::types::ENUMS {
            assert!(
                label_of(name, 0).is_some(),
                "the contracts' enum {name} has no words in labels.rs"
            );
        }
    }

    /// Every rule the contracts fire has its words: a rule added to `MonitorRules.sol` fails
    /// this until it is listed in `rule_label`.
    #[test]
    fn every_rule_has_words() {
        for (_, name) in timebank_bindings::rules::BITS {
            assert!(
                rule_label(name).is_some(),
                "rule {name} has no words in labels.rs"
            );
        }
    }

    /// Every event the contracts emit has its words: an event added to a contract (or one it
    /// inherits) fails this until it is listed in `event_label`.
    #[test]
    fn every_event_has_words() {
        use timebank_bindings::{
            CredentialRegistry, IdentityRegistry, ServiceLedger, SupervisionDesk, TimeCoin,
            TimebankAccess, TimebankForwarder, TimebankTimelock,
        };
        let signatures = [
            CredentialRegistry::CredentialRegistryEvents::SIGNATURES,
            IdentityRegistry::IdentityRegistryEvents::SIGNATURES,
            ServiceLedger::ServiceLedgerEvents::SIGNATURES,
            SupervisionDesk::SupervisionDeskEvents::SIGNATURES,
            TimeCoin::TimeCoinEvents::SIGNATURES,
            TimebankAccess::TimebankAccessEvents::SIGNATURES,
            TimebankForwarder::TimebankForwarderEvents::SIGNATURES,
            TimebankTimelock::TimebankTimelockEvents::SIGNATURES,
        ];
        let missing: Vec<&str> = signatures
            .into_iter()
            .flatten()
            .map(|s| s.split_once('(').map_or(*s, |(name, _)| name))
            .filter(|name| event_label(name).is_none())
            .collect();
        assert!(
            missing.is_empty(),
            "events with no words in labels.rs: {missing:?}"
        );
    }

    #[test]
    fn labels_are_chinese_first() {
        assert_eq!(Purpose::Gift.label().to_string(), "赠与 (gift)");
        assert_eq!(
            label_of("RiskLevel", 3),
            Some(Label {
                zh: "高",
                en: "high"
            })
        );
        assert_eq!(label_of("RiskLevel", 9), None);
    }
}
