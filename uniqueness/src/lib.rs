//! One person, one membership: the blind index of a member's identity document.
//!
//! A member's **uniqueness key** is a pseudorandom function of their identity document under a
//! key that **no single branch holds**: the key `k` of an RFC 9497 VOPRF (ristretto255-SHA512)
//! is Shamir-shared among the branches' gateways, `t` of `n` needed. To key a document, a
//! gateway blinds it (`B = r·H(document)`), asks `t` branches' gateways (itself included) for
//! their share's evaluation `s_i·B` with a proof that it used the share whose public key
//! `s_i·G` the key ceremony published, checks each proof, combines the partials with Lagrange
//! coefficients into `k·B` and unblinds. An evaluating branch sees only a random-looking point:
//! never the number, the key, or the result. Whoever copies one branch's whole host (its share
//! file, its database, its process's memory) holds one share, which says nothing about `k`, so
//! the keys on chain can't be tested against guessed numbers offline.
//!
//! # Layout
//! - [`document`]: which identity documents the scheme knows and how each number is written
//! - [`threshold`]: shares and the key ceremony, a branch's evaluation, a requester's blinding
//!   and combination

pub mod document;
pub mod threshold;

pub use document::{DOCUMENT_TYPES, DocumentError, normalize};
pub use threshold::{
    Blinded, Combined, Epoch, Evaluation, PublicFile, Share, ShareFile, ThresholdError,
};
