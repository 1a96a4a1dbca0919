//! What a gateway relays: a person's own writes, exactly encoded.

use alloy::primitives::Address;
use timebank_bindings::{
    CredentialRegistry as CR, IdentityRegistry as IR, ServiceLedger as SL, SupervisionDesk as SD,
    TimeCoin as TC, TimebankAccess as TA, deploy::Addresses,
};

use super::ActionError;

/// The functions a gateway relays: each is a person's own write (an [`Action`], or publishing
/// a profile), never anything else a contract offers (`syncMember`, `permit`, `approve`, the
/// forwarder itself...). Returns the function's name, or why the call is refused. The calldata
/// must be exactly the ABI encoding of its arguments: no trailing bytes.
pub fn relayable(c: &Addresses, to: Address, data: &[u8]) -> Result<&'static str, ActionError> {
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
            F::submitMember(_) => Ok("submitMember"),
            F::approveMember(_) => Ok("approveMember"),
            F::rejectMember(_) => Ok("rejectMember"),
            F::suspendMember(_) => Ok("suspendMember"),
            F::reinstateMember(_) => Ok("reinstateMember"),
            F::closeMember(_) => Ok("closeMember"),
            F::updateProfile(_) => Ok("updateProfile"),
            F::requestMove(_) => Ok("requestMove"),
            F::acceptMove(_) => Ok("acceptMove"),
            F::cancelMove(_) => Ok("cancelMove"),
            F::setRiskLevel(_) => Ok("setRiskLevel"),
            F::raiseRiskAlert(_) => Ok("raiseRiskAlert"),
            F::assessRiskAlert(_) => Ok("assessRiskAlert"),
            other => refused(F::name_by_selector(other.selector())),
        };
    }
    if to == c.credential_registry {
        use CR::CredentialRegistryCalls as F;
        return match exact::<F>(data)? {
            F::issueCredential(_) => Ok("issueCredential"),
            F::renewCredential(_) => Ok("renewCredential"),
            F::revokeCredential(_) => Ok("revokeCredential"),
            F::declareCredential(_) => Ok("declareCredential"),
            other => refused(F::name_by_selector(other.selector())),
        };
    }
    if to == c.service_ledger {
        use SL::ServiceLedgerCalls as F;
        return match exact::<F>(data)? {
            F::createActivity(_) => Ok("createActivity"),
            F::closeActivity(_) => Ok("closeActivity"),
            F::joinActivity(_) => Ok("joinActivity"),
            F::recordHours(_) => Ok("recordHours"),
            F::confirmHours(_) => Ok("confirmHours"),
            F::settle(_) => Ok("settle"),
            F::proposeService(_) => Ok("proposeService"),
            F::confirmService(_) => Ok("confirmService"),
            F::cancelService(_) => Ok("cancelService"),
            F::setSecondApproval(_) => Ok("setSecondApproval"),
            other => refused(F::name_by_selector(other.selector())),
        };
    }
    if to == c.time_coin {
        use TC::TimeCoinCalls as F;
        return match exact::<F>(data)? {
            F::pay(_) => Ok("pay"),
            F::redeem(_) => Ok("redeem"),
            other => refused(F::name_by_selector(other.selector())),
        };
    }
    if to == c.supervision_desk {
        use SD::SupervisionDeskCalls as F;
        return match exact::<F>(data)? {
            F::requestRecovery(_) => Ok("requestRecovery"),
            F::decideCase(_) => Ok("decideCase"),
            F::adoptHold(_) => Ok("adoptHold"),
            other => refused(F::name_by_selector(other.selector())),
        };
    }
    if to == c.access {
        use TA::TimebankAccessCalls as F;
        return match exact::<F>(data)? {
            F::proposeBranchKey(_) => Ok("proposeBranchKey"),
            F::confirmBranchKey(_) => Ok("confirmBranchKey"),
            F::cancelBranchKey(_) => Ok("cancelBranchKey"),
            other => refused(F::name_by_selector(other.selector())),
        };
    }
    Err(ActionError(format!(
        "`to` {to} is not a timebank contract this gateway relays to"
    )))
}
