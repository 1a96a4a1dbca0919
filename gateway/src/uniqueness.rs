//! One person, one membership: the blind index of a member's identity document. The gateway
//! derives a uniqueness key from the document's type and normalized number with HMAC-SHA256
//! under a key every branch's gateway holds and the chain never sees; the registry refuses a
//! second membership with the same key. Without the gateways' key, the chain's keys reveal no
//! number (a guess can't be checked offline).

use hmac::{Hmac, Mac};
use sha2::Sha256;
pub use timebank_client::profile::DOCUMENT_TYPES;
use unicode_normalization::UnicodeNormalization;

/// Domain separation: a key of this scheme is never a hash of anything else.
const DOMAIN: &[u8] = b"timebank/uniqueness/v1";

/// Why a document is refused, in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DocumentError(pub String);

/// The document's number as every branch writes it: NFKC (full-width digits and letters become
/// ASCII), without spaces or hyphens, upper case; a Chinese resident identity number must have
/// 18 characters and a valid check digit (GB 11643, ISO 7064 MOD 11-2).
pub fn normalize(kind: &str, number: &str) -> Result<String, DocumentError> {
    if !DOCUMENT_TYPES.contains(&kind) {
        return Err(DocumentError(format!(
            "`identityDocument.type` is {kind:?}; one of {}",
            DOCUMENT_TYPES.join(", ")
        )));
    }
    let normalized: String = number
        .nfkc()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect();
    if normalized.is_empty() || !normalized.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(DocumentError(
            "`identityDocument.number` must be letters and digits".into(),
        ));
    }
    if kind == "cn_resident_id" {
        check_resident_id(&normalized)?;
    }
    Ok(normalized)
}

fn check_resident_id(number: &str) -> Result<(), DocumentError> {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let bytes = number.as_bytes();
    if bytes.len() != 18 || !bytes[..17].iter().all(u8::is_ascii_digit) {
        return Err(DocumentError(
            "a resident identity number has 17 digits and a check character (18 in all)".into(),
        ));
    }
    let sum: u32 = bytes[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let expected = CHECK[(sum % 11) as usize];
    if bytes[17] != expected {
        return Err(DocumentError(format!(
            "the resident identity number's check character is {}, but its digits give {}: \
             a digit is mistyped",
            bytes[17] as char, expected as char
        )));
    }
    Ok(())
}

/// The uniqueness key of a normalized document under the gateways' `secret`.
pub fn key(secret: &[u8; 32], kind: &str, normalized: &str) -> alloy::primitives::B256 {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes any key");
    for part in [DOMAIN, kind.as_bytes(), normalized.as_bytes()] {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    alloy::primitives::B256::from_slice(&mac.finalize().into_bytes())
}

/// Reads a key file (32 bytes of hex, readable by its owner only), if one is named.
pub fn read_key(path: Option<&std::path::Path>) -> eyre::Result<Option<[u8; 32]>> {
    let Some(path) = path else {
        return Ok(None);
    };
    let text = crate::config::read_secret(path, "uniqueness key file")?;
    alloy::hex::decode(text.trim())
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .map(Some)
        .ok_or_else(|| {
            eyre::eyre!(
                "the uniqueness key file {} does not hold 32 bytes of hex",
                path.display()
            )
        })
}

/// The document a profile names (`identityDocument: {type, number}`), normalized.
pub fn document(profile: &serde_json::Value) -> Result<(String, String), DocumentError> {
    let document = profile.get("identityDocument").ok_or_else(|| {
        DocumentError("the profile has no `identityDocument` ({type, number})".into())
    })?;
    let text = |field: &str| {
        document
            .get(field)
            .and_then(|v| v.as_str())
            .ok_or_else(|| DocumentError(format!("`identityDocument.{field}` must be text")))
    };
    let kind = text("type")?;
    Ok((kind.to_owned(), normalize(kind, text("number")?)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    // GB 11643-1999's own example number.
    const VALID: &str = "11010519491231002X";

    #[test]
    fn the_same_number_however_written_is_one_key() {
        let secret = [7u8; 32];
        let plain = normalize("cn_resident_id", VALID).unwrap();
        for written in [
            "110105 19491231 002x",
            "１１０１０５１９４９１２３１００２Ｘ",
            "110105-19491231-002X",
        ] {
            let same = normalize("cn_resident_id", written).unwrap();
            assert_eq!(same, plain, "{written}");
        }
        assert_eq!(
            key(&secret, "cn_resident_id", &plain),
            key(
                &secret,
                "cn_resident_id",
                &normalize("cn_resident_id", "１１０１０５１９４９１２３１００２ｘ").unwrap()
            )
        );
        // Another type, another secret, another number: another key.
        assert_ne!(
            key(&secret, "cn_resident_id", &plain),
            key(&secret, "passport", &plain)
        );
        assert_ne!(
            key(&secret, "cn_resident_id", &plain),
            key(&[8u8; 32], "cn_resident_id", &plain)
        );
        assert_ne!(
            key(&secret, "passport", "E12345678"),
            key(&secret, "passport", "E12345679")
        );
    }

    #[test]
    fn a_mistyped_resident_number_is_refused_before_anything_is_sent() {
        let err = normalize("cn_resident_id", "110105194912310021").unwrap_err();
        assert!(
            err.0
                .contains("check character is 1, but its digits give X"),
            "{err}"
        );
        assert!(normalize("cn_resident_id", "11010519491231002").is_err());
        assert!(normalize("cn_resident_id", "1101051949123100AX").is_err());
        assert!(
            normalize("drivers_licence", "123")
                .unwrap_err()
                .0
                .contains("one of")
        );
        assert!(normalize("passport", "E1234 5678").is_ok());
        assert!(normalize("passport", "E1234/5678").is_err());
        assert!(document(&serde_json::json!({"fullName": "Ada"})).is_err());
    }
}

/// Members' uniqueness keys checked against their identity documents.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UniquenessAudit {
    /// Members looked at (every branch's).
    pub members: u64,
    /// Whose profile this gateway opened (each read is in the access log).
    pub opened: u64,
    /// Members whose documents give one key: suspected duplicates (registered before keys, or
    /// across a rotation done without the previous key).
    pub shared: Vec<Vec<KeyedMember>>,
    /// Members whose key on chain is not their document's key under the current secret: to be
    /// given `key` (after a rotation, or registered before keys).
    pub stale: Vec<KeyedMember>,
    /// Members whose profile this gateway cannot open or that names no valid document.
    pub unreadable: Vec<KeyedMember>,
}

/// A member in the uniqueness audit.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeyedMember {
    /// The wallet.
    #[schema(value_type = String)]
    pub account: alloy::primitives::Address,
    /// The member id.
    pub member_id: u64,
    /// The home branch.
    pub home_branch: u64,
    /// The document's key under the current secret, when the profile opened.
    #[schema(value_type = Option<String>)]
    pub key: Option<alloy::primitives::B256>,
    /// Why it is listed (stale, unreadable).
    pub why: Option<String>,
}
