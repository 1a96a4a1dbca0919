//! The production kit (`deploy/`): from one reviewed description of the chain and its branches
//! (`branches.toml`), the Besu QBFT genesis and each branch node's files; a branch's keys; its
//! database's roles and grants. `docs/deploy.md` walks a branch's IT person through it.

pub mod database;
pub mod genesis;
pub mod keys;
pub mod kit;

pub use kit::Kit;
