//! Contracts whose events are kept in the event log only: the forwarder (each relayed request)
//! and the timelock (the governor's public queue). Listed event by event, so that a new event
//! is a decision, not an accident.

use timebank_bindings::{
    TimebankForwarder::TimebankForwarderEvents as F, TimebankTimelock::TimebankTimelockEvents as T,
};

pub(super) fn forwarder(event: &F) {
    match event {
        F::ExecutedForwardRequest(_) | F::EIP712DomainChanged(_) => {}
    }
}

pub(super) fn timelock(event: &T) {
    match event {
        T::CallScheduled(_)
        | T::CallSalt(_)
        | T::CallExecuted(_)
        | T::Cancelled(_)
        | T::MinDelayChange(_)
        | T::RoleAdminChanged(_)
        | T::RoleGranted(_)
        | T::RoleRevoked(_) => {}
    }
}
