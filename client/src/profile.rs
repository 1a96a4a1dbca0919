//! A member's profile and its on-chain commitment: `keccak256("timebank.profile.v1" ‖
//! canonical)`, where canonical is the profile's RFC 8785 JSON (with its salt). The gateway
//! commits to it; a client checks the commitment it is asked to sign.

use alloy::primitives::{B256, keccak256};

/// Fields every profile must have (non-empty strings).
pub const REQUIRED_FIELDS: [&str; 3] = ["fullName", "dateOfBirth", "contact"];
pub use timebank_uniqueness::DOCUMENT_TYPES;
/// Largest canonical profile.
pub const MAX_PROFILE: usize = 16 * 1024;
/// Domain separation for commitments and key wrapping.
pub const CONTEXT: &[u8] = b"timebank.profile.v1";

/// A profile that can't be committed to; the message says why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ProfileError(pub String);

/// RFC 8785 canonical JSON, bounded in size.
pub fn canonical(profile: &serde_json::Value) -> Result<Vec<u8>, ProfileError> {
    let bytes = serde_json_canonicalizer::to_vec(profile)
        .map_err(|err| ProfileError(format!("the profile can't be canonicalized: {err}")))?;
    if bytes.len() > MAX_PROFILE {
        return Err(ProfileError(format!(
            "the profile is {} bytes; at most {MAX_PROFILE}",
            bytes.len()
        )));
    }
    Ok(bytes)
}

/// The on-chain commitment to a canonical profile.
pub fn commitment(canonical: &[u8]) -> B256 {
    let mut preimage = Vec::with_capacity(CONTEXT.len() + canonical.len());
    preimage.extend_from_slice(CONTEXT);
    preimage.extend_from_slice(canonical);
    keccak256(preimage)
}
