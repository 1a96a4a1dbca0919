//! The chain's vocabulary as the Rust side speaks it: what a TIME is, the rules' names, how a
//! contract's refusal reads, and the error for a name or number no enum has. The enums
//! themselves ([`crate::types`]), the role ids ([`crate::roles`]) and the rule ids
//! ([`crate::rules`]) are generated from the contracts.

use crate::{
    CredentialRegistry, IdentityRegistry, ServiceLedger, SupervisionDesk, TimeCoin, TimebankAccess,
    TimebankForwarder, TimebankTimelock,
};
use alloy::sol_types::SolInterface;

/// One hour of service in TIME base units: TimeCoin has OpenZeppelin ERC-20's 18 decimals.
pub const HOUR: u128 = 1_000_000_000_000_000_000;

/// A number or a name that is none of an enum's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UnknownName(String);

impl UnknownName {
    pub(crate) fn number(ty: &str, value: u8) -> Self {
        Self(format!(
            "{value} is not a {ty} (the contracts know no such value)"
        ))
    }

    pub(crate) fn name(ty: &str, text: &str, known: &[&str]) -> Self {
        Self(format!(
            "{text:?} is not a {ty}; one of: {}",
            known.join(", ")
        ))
    }
}

/// The names of the rules whose bits are set in a case's or a rule hit's `rules`
/// (`MonitorRules` bits: id - 1, and the incoming-volume bit).
pub fn rule_names(fired: u16) -> Vec<&'static str> {
    crate::rules::BITS
        .iter()
        .filter(|(bit, _)| fired & bit != 0)
        .map(|(_, name)| *name)
        .collect()
}

/// The `fired` bit of the rule named `name`.
pub fn rule_bit(name: &str) -> Result<u16, UnknownName> {
    crate::rules::BITS
        .iter()
        .find(|(_, n)| *n == name)
        .map(|(bit, _)| *bit)
        .ok_or_else(|| {
            let known: Vec<&str> = crate::rules::BITS.iter().map(|(_, n)| *n).collect();
            UnknownName::name("rule", name, &known)
        })
}

/// A contract's refusal in words: the revert data decoded against every timebank contract's
/// custom errors (`TimeCoinNotActiveMember(0x…)`), or its `require` message.
pub fn describe_revert(data: &[u8]) -> String {
    macro_rules! try_decode {
        ($($errors:ty),*) => {
            $(if let Ok(e) = <$errors>::abi_decode(data) {
                return format!("{e:?}");
            })*
        };
    }
    try_decode!(
        TimeCoin::TimeCoinErrors,
        IdentityRegistry::IdentityRegistryErrors,
        CredentialRegistry::CredentialRegistryErrors,
        ServiceLedger::ServiceLedgerErrors,
        SupervisionDesk::SupervisionDeskErrors,
        TimebankAccess::TimebankAccessErrors,
        TimebankForwarder::TimebankForwarderErrors,
        TimebankTimelock::TimebankTimelockErrors
    );
    if let Ok(revert) = <alloy::sol_types::Revert as alloy::sol_types::SolError>::abi_decode(data) {
        return revert.reason;
    }
    format!("an unknown error 0x{}", alloy::hex::encode(data))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{MemberStatus, Purpose};

    #[test]
    fn enums_read_and_write_their_names_and_numbers() {
        assert_eq!(MemberStatus::Active as u8, 2);
        assert_eq!(MemberStatus::try_from(2), Ok(MemberStatus::Active));
        assert_eq!("service_payment".parse(), Ok(Purpose::ServicePayment));
        assert_eq!(Purpose::ActivityReward.as_str(), "activity_reward");
        assert!(MemberStatus::try_from(99).is_err());
        let err = "gone".parse::<MemberStatus>().unwrap_err().to_string();
        assert!(err.contains("pending"), "{err}");
        assert_eq!(
            serde_json::to_string(&MemberStatus::Suspended).unwrap(),
            "\"suspended\""
        );
    }

    #[test]
    fn rule_names_cover_every_bit_including_incoming_volume() {
        assert_eq!(crate::rules::COUNT, 8);
        assert_eq!(rule_names(1), ["large_amount"]);
        assert_eq!(rule_names(1 << 8), ["volume_in"]);
        assert_eq!(rule_names(0b1_0001_0000).len(), 2);
        assert_eq!(
            rule_bit("round_trip"),
            Ok(1 << (crate::rules::ROUND_TRIP - 1))
        );
        assert!(rule_bit("nonsense").is_err());
    }

    #[test]
    fn role_ids_are_the_contracts() {
        assert_eq!(
            crate::roles::SUPERVISOR,
            alloy::primitives::keccak256("timebank.role.supervisor")
        );
        assert_eq!(crate::roles::ADMIN, alloy::primitives::B256::ZERO);
        assert!(crate::roles::ALL.iter().any(|(n, _)| *n == "GOVERNOR"));
    }

    #[test]
    fn reverts_read_as_words() {
        let err = TimeCoin::TimeCoinZeroAmount {};
        let data = alloy::sol_types::SolError::abi_encode(&err);
        assert_eq!(
            describe_revert(&data),
            "TimeCoinZeroAmount(TimeCoinZeroAmount)"
        );
        assert!(describe_revert(&[1, 2, 3]).starts_with("an unknown error"));
    }
}
