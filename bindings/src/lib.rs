//! alloy bindings of the timebank contracts.
//!
//! Generated at build time (see `build.rs`) from `contracts/src`, compiled with
//! foundry-compilers through the project's solc wrapper: the bindings can't go stale, and they
//! are never edited by hand. Each contract module has the contract's instance type (`new`,
//! `deploy`), its calls, events (`TimeCoin::Transfer`, ...) and custom errors
//! (`TimeCoin::TimeCoinErrors`), so a revert decodes to a typed Rust error with
//! `as_decoded_interface_error`.
//!
//! # Layout
//! - one module per contract: [`TimebankAccess`], [`IdentityRegistry`], [`CredentialRegistry`],
//!   [`TimeCoin`], [`ServiceLedger`], [`SupervisionDesk`], [`TimebankForwarder`],
//!   [`TimebankTimelock`], [`NoopMonitor`]
//! - [`types`]: the contracts' enums (`MemberStatus`, `Purpose`, `CaseStatus`, ...) with their
//!   numbers and snake_case names, generated from the compiler's syntax tree
//! - [`roles`]: the AccessControl role ids of `contracts/src/Roles.sol`, generated from it
//! - [`rules`]: the monitoring rules' ids and `fired` bits of `MonitorRules.sol`
//! - [`vocabulary`]: `HOUR`, rule names, a revert in words
//! - [`forward`]: the ERC-2771 forward request every signed write is
//! - [`deploy`]: deploy and wire everything, as the forge deploy script does, and carry out
//!   the governor's changes through the timelock

include!(concat!(env!("OUT_DIR"), "/bindings.rs"));

pub mod deploy;
pub mod forward;
pub mod vocabulary;

pub use vocabulary::{HOUR, describe_revert, rule_names};

mod derived_roles {
    //! The per-branch and per-type roles, derived as `Roles.operator`, `Roles.issuer` and
    //! `Roles.gateway` do.
    use alloy::primitives::{B256, keccak256};
    use alloy::sol_types::SolValue;

    /// The operator role of `branch_id`.
    pub fn operator(branch_id: u32) -> B256 {
        keccak256((super::roles::OPERATOR_PREFIX, branch_id).abi_encode())
    }

    /// The issuer role of credential type `type_id`.
    pub fn issuer(type_id: u32) -> B256 {
        keccak256((super::roles::ISSUER_PREFIX, type_id).abi_encode())
    }

    /// The role of branch `branch_id`'s gateway key (anchors its access log).
    pub fn gateway(branch_id: u32) -> B256 {
        keccak256((super::roles::GATEWAY_PREFIX, branch_id).abi_encode())
    }
}
