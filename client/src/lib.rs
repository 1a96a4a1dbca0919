//! `timebank-client`: a branch gateway's API as Rust types, every write a person makes as an
//! [`Action`], and a client that signs in and writes through a gateway without ever signing
//! what it did not build itself. The gateway serves the same types and encodes actions with
//! the same code; the CLI, the benchmarks and the end-to-end tests use this client.
//!
//! # Layout
//! - [`api`]: the requests and answers of the HTTP API
//! - [`action`]: actions, their contract calls, and which calls a gateway relays
//! - [`console`]: what the browser console takes from the contracts, as TypeScript
//! - [`describe`]: a call in words, for the person about to sign it
//! - [`labels`]: the chain's enums in Chinese and English
//! - [`profile`]: a member profile's canonical form and commitment
//! - [`session`]: [`Gateway`] and [`Session`]
//! - `schema` (feature `openapi`): the contracts' enums as OpenAPI schemas

pub mod action;
pub mod api;
pub mod console;
pub mod describe;
pub mod labels;
pub mod profile;
#[cfg(feature = "openapi")]
pub mod schema;
pub mod session;

pub use action::{Action, ActionError, Call};
pub use session::{Checked, ClientError, ClientResult, Gateway, Session};
pub use timebank_bindings::deploy::Deployment;
