//! Identity documents as every branch writes them: the kinds the scheme knows, and each
//! number normalized so that one document gives one key however a clerk typed it.

use unicode_normalization::UnicodeNormalization;

/// The kinds of identity document the scheme knows.
pub const DOCUMENT_TYPES: [&str; 3] = ["cn_resident_id", "passport", "hk_macau_permit"];

/// Domain separation: an input of this scheme is never the input of anything else.
const DOMAIN: &[u8] = b"timebank/uniqueness/v2";

/// Why a document is refused, in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DocumentError(pub String);

/// The document's number as every branch writes it: NFKC (full-width digits and letters become
/// ASCII), without spaces or hyphens, upper case; a Chinese resident identity number must have
/// 18 characters and a valid check character (GB 11643, ISO 7064 MOD 11-2).
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
    if normalized.len() > 64 {
        return Err(DocumentError(
            "`identityDocument.number` has more than 64 characters".into(),
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

/// The document a profile names (`identityDocument: {type, number}`), normalized.
pub fn from_profile(profile: &serde_json::Value) -> Result<(String, String), DocumentError> {
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

/// The PRF's input for a normalized document: the scheme's name, the type and the number, each
/// length-prefixed.
pub fn input(kind: &str, normalized: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(DOMAIN.len() + kind.len() + normalized.len() + 24);
    for part in [DOMAIN, kind.as_bytes(), normalized.as_bytes()] {
        out.extend_from_slice(&(part.len() as u64).to_be_bytes());
        out.extend_from_slice(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // GB 11643-1999's own example number.
    const VALID: &str = "11010519491231002X";

    #[test]
    fn the_same_number_however_written_is_one_input() {
        let plain = normalize("cn_resident_id", VALID).unwrap();
        for written in [
            "110105 19491231 002x",
            "１１０１０５１９４９１２３１００２Ｘ",
            "110105-19491231-002X",
        ] {
            assert_eq!(
                normalize("cn_resident_id", written).unwrap(),
                plain,
                "{written}"
            );
        }
        // Another type, another number: another input.
        assert_ne!(input("cn_resident_id", &plain), input("passport", &plain));
        assert_ne!(
            input("passport", "E12345678"),
            input("passport", "E12345679")
        );
        // Length prefixes: moving a character between the parts changes the input.
        assert_ne!(input("passport", "AB"), input("passportA", "B"));
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
        assert!(normalize("passport", &"A".repeat(65)).is_err());
        assert!(from_profile(&serde_json::json!({"fullName": "Ada"})).is_err());
    }
}
