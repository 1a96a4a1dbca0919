//! What a gateway relays: a person's own writes, exactly encoded.

use alloy::primitives::Address;
use timebank_bindings::{
    CredentialRegistry as CR, IdentityRegistry as IR, ServiceLedger as SL, SupervisionDesk as SD,
    TimeCoin as TC, TimebankAccess as TA, TimebankTimelock as TT, deploy::Addresses,
};

use super::ActionError;
use crate::api::Role::{self, Admin, Issuer, Member, Operator, Partner, Supervisor};

/// A write a gateway relays: the function, and who may have it relayed (the contract checks
/// the rest: which branch, which member, which state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Relayable {
    /// The function's name.
    pub function: &'static str,
    /// The roles whose holders may have it relayed.
    pub by: &'static [Role],
}

const fn by(function: &'static str, by: &'static [Role]) -> Result<Relayable, ActionError> {
    Ok(Relayable { function, by })
}

/// The functions a gateway relays: each is a person's own write (an [`Action`], or publishing
/// a profile), never anything else a contract offers (`syncMember`, `permit`, `approve`, the
/// forwarder itself...), with the roles that may have it relayed. Refused: anything else, and
/// calldata that is not exactly the ABI encoding of its arguments (no trailing bytes).
///
/// [`Action`]: super::Action
pub fn relayable(c: &Addresses, to: Address, data: &[u8]) -> Result<Relayable, ActionError> {
    use alloy::sol_types::SolInterface;
    fn exact<C: SolInterface>(data: &[u8]) -> Result<C, ActionError> {
        let call = C::abi_decode(data)
            .map_err(|err| ActionError(format!("`data` is not a call this contract has: {err}")))?;
        if call.abi_encode() != data {
            return Err(ActionError(
                "`data` is not exactly the ABI encoding of its arguments (extra bytes?)".into(),
            ));
        }
        Ok(call)
    }
    let refused = |name: Option<&str>| {
        Err(ActionError(format!(
            "`{}` is not a write this gateway relays",
            name.unwrap_or("this function")
        )))
    };
    if to == c.identity_registry {
        use IR::IdentityRegistryCalls as F;
        return match exact::<F>(data)? {
            F::submitMember(_) => by("submitMember", &[Operator]),
            F::approveMember(_) => by("approveMember", &[Operator]),
            F::rejectMember(_) => by("rejectMember", &[Operator]),
            F::suspendMember(_) => by("suspendMember", &[Operator]),
            F::reinstateMember(_) => by("reinstateMember", &[Operator]),
            F::closeMember(_) => by("closeMember", &[Operator, Supervisor]),
            F::updateProfile(_) => by("updateProfile", &[Operator]),
            F::requestMove(_) => by("requestMove", &[Operator, Member]),
            F::acceptMove(_) => by("acceptMove", &[Operator]),
            F::cancelMove(_) => by("cancelMove", &[Operator]),
            F::setRiskLevel(_) => by("setRiskLevel", &[Operator, Supervisor]),
            F::raiseRiskAlert(_) => by("raiseRiskAlert", &[Partner]),
            F::setPartnerConsent(_) => by("setPartnerConsent", &[Member]),
            F::setUniquenessKey(_) => by("setUniquenessKey", &[Admin]),
            F::releaseUniquenessKey(_) => by("releaseUniquenessKey", &[Supervisor]),
            F::assessRiskAlert(_) => by("assessRiskAlert", &[Supervisor]),
            other => refused(F::name_by_selector(other.selector())),
        };
    }
    if to == c.credential_registry {
        use CR::CredentialRegistryCalls as F;
        return match exact::<F>(data)? {
            F::issueCredential(_) => by("issueCredential", &[Issuer]),
            F::renewCredential(_) => by("renewCredential", &[Issuer]),
            F::revokeCredential(_) => by("revokeCredential", &[Issuer]),
            F::declareCredential(_) => by("declareCredential", &[Member]),
            F::defineCredentialType(_) => by("defineCredentialType", &[Admin]),
            F::setCredentialTypeActive(_) => by("setCredentialTypeActive", &[Admin]),
            other => refused(F::name_by_selector(other.selector())),
        };
    }
    if to == c.service_ledger {
        use SL::ServiceLedgerCalls as F;
        return match exact::<F>(data)? {
            F::createActivity(_) => by("createActivity", &[Operator]),
            F::closeActivity(_) => by("closeActivity", &[Operator]),
            F::joinActivity(_) => by("joinActivity", &[Member]),
            F::recordHours(_) => by("recordHours", &[Operator]),
            F::confirmHours(_) => by("confirmHours", &[Member]),
            F::settle(_) => by("settle", &[Operator]),
            F::proposeService(_) => by("proposeService", &[Member]),
            F::confirmService(_) => by("confirmService", &[Member]),
            F::cancelService(_) => by("cancelService", &[Member]),
            F::setSecondApproval(_) => by("setSecondApproval", &[Operator, Admin]),
            F::setMintQuota(_) => by("setMintQuota", &[Admin]),
            other => refused(F::name_by_selector(other.selector())),
        };
    }
    if to == c.time_coin {
        use TC::TimeCoinCalls as F;
        return match exact::<F>(data)? {
            F::pay(_) => by("pay", &[Member]),
            F::redeem(_) => by("redeem", &[Member]),
            other => refused(F::name_by_selector(other.selector())),
        };
    }
    if to == c.supervision_desk {
        use SD::SupervisionDeskCalls as F;
        return match exact::<F>(data)? {
            F::requestRecovery(_) => by("requestRecovery", &[Operator]),
            F::decideCase(_) => by("decideCase", &[Supervisor]),
            F::adoptHold(_) => by("adoptHold", &[Supervisor]),
            other => refused(F::name_by_selector(other.selector())),
        };
    }
    if to == c.access {
        use TA::TimebankAccessCalls as F;
        return match exact::<F>(data)? {
            F::addBranch(_) => by("addBranch", &[Admin]),
            F::setBranchActive(_) => by("setBranchActive", &[Admin]),
            // The contract decides which roles the caller may grant: the admin the staff roles;
            // the governor's roles wait in the timelock, which relays no role grants.
            F::grantRole(_) => by("grantRole", &[Admin]),
            F::revokeRole(_) => by("revokeRole", &[Admin]),
            F::proposeBranchKey(_) => by("proposeBranchKey", &[Operator, Admin]),
            F::confirmBranchKey(_) => by("confirmBranchKey", &[Operator, Admin]),
            F::cancelBranchKey(_) => by("cancelBranchKey", &[Operator, Admin]),
            other => refused(F::name_by_selector(other.selector())),
        };
    }
    if to == c.timelock {
        use TT::TimebankTimelockCalls as F;
        // Only the governed calls the platform makes through a gateway: monitoring rules.
        let governed = |target: Address, data: &[u8]| -> Result<(), ActionError> {
            if target != c.time_coin {
                return Err(ActionError(format!(
                    "a governed call to {target} is not one this gateway relays"
                )));
            }
            match exact::<TC::TimeCoinCalls>(data)? {
                TC::TimeCoinCalls::setMonitorRules(_) => Ok(()),
                other => Err(ActionError(format!(
                    "governed `{}` is not one this gateway relays",
                    TC::TimeCoinCalls::name_by_selector(other.selector()).unwrap_or("call")
                ))),
            }
        };
        return match exact::<F>(data)? {
            F::schedule(call) if call.value.is_zero() && call.predecessor.is_zero() => {
                governed(call.target, &call.data)?;
                by("schedule", &[Admin])
            }
            F::execute(call) if call.value.is_zero() && call.predecessor.is_zero() => {
                governed(call.target, &call.payload)?;
                by("execute", &[Admin, Supervisor])
            }
            F::cancel(_) => by("cancel", &[Admin]),
            other => refused(F::name_by_selector(other.selector())),
        };
    }
    Err(ActionError(format!(
        "`to` {to} is not a timebank contract this gateway relays to"
    )))
}
