//! Integration tests of the gateway: a real anvil chain with the contracts, the indexer following
//! it into a real database, the gateway serving over TCP, wallets signing in with real
//! signatures.

mod access_ends;
mod attacks;
mod branches;
mod input;
mod live;
mod prepare;
mod privacy;
mod relay;
mod roles;
mod stack;
mod uniqueness;
mod webhook_safety;
mod webhooks;

pub(crate) use stack::{Stack, assert_error};
