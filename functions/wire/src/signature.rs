//! Per-tenant request signatures: HMAC-SHA256 over `"{timestamp}.{body}"`.
//!
//! The signature is sent as `v1=` and the MAC in lowercase hex, as [`sign`] writes it.
//! Voximplant documents `Crypto.hmac_sha256` without saying how its result is encoded,
//! so [`verify`] also takes the MAC in uppercase hex and in base64 (standard or URL-safe,
//! padded or not): only the encoding is lenient, never the MAC.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The signature header's scheme prefix.
pub const SCHEME: &str = "v1=";

/// How far a request's timestamp may be from the server's clock, in seconds.
pub const TOLERANCE_S: u64 = 300;

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No signature, or not of the `v1=<hex>` form.
    #[error("the request is not signed (X-SVA-Signature: v1=<hex>)")]
    Missing,
    /// The signature does not match the body and timestamp.
    #[error("the signature does not match the request")]
    Mismatch,
    /// The timestamp is missing, malformed, or outside the tolerance window.
    #[error("the request timestamp is more than {TOLERANCE_S} s away from the server's clock")]
    Stale,
}

/// The signature header value for `body` signed at `timestamp` with `secret`.
pub fn sign(secret: &[u8], timestamp: u64, body: &[u8]) -> String {
    format!(
        "{SCHEME}{}",
        hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
    )
}

/// Checks a request's timestamp (against `now`, Unix seconds) and signature.
pub fn verify(
    secret: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: u64,
) -> Result<(), SignatureError> {
    let timestamp: u64 = timestamp
        .and_then(|t| t.trim().parse().ok())
        .ok_or(SignatureError::Stale)?;
    if timestamp.abs_diff(now) > TOLERANCE_S {
        return Err(SignatureError::Stale);
    }
    let given = signature
        .and_then(|s| s.trim().strip_prefix(SCHEME))
        .and_then(decode_mac)
        .ok_or(SignatureError::Missing)?;
    // Constant-time comparison.
    mac(secret, timestamp, body)
        .verify_slice(&given)
        .map_err(|_| SignatureError::Mismatch)
}

/// The MAC's 32 bytes from hex (either case) or base64 (either alphabet, padded or not).
fn decode_mac(encoded: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    const MAC_LEN: usize = 32;
    if encoded.len() == 2 * MAC_LEN {
        return hex::decode(encoded).ok();
    }
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(encoded).ok())
        .filter(|mac| mac.len() == MAC_LEN)
}

fn mac(secret: &[u8], timestamp: u64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_764_072_000;

    #[test]
    fn a_signed_request_verifies() {
        let sig = sign(b"secret", NOW, b"{}");
        assert!(sig.starts_with("v1="));
        assert_eq!(
            verify(b"secret", Some("1764072000"), Some(&sig), b"{}", NOW + 10),
            Ok(())
        );
    }

    #[test]
    fn tampering_is_refused() {
        let sig = sign(b"secret", NOW, b"{\"seq\":1}");
        let ts = Some("1764072000");
        assert_eq!(
            verify(b"secret", ts, Some(&sig), b"{\"seq\":2}", NOW),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(b"other", ts, Some(&sig), b"{\"seq\":1}", NOW),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(
                b"secret",
                Some("1764072001"),
                Some(&sig),
                b"{\"seq\":1}",
                NOW
            ),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(b"secret", ts, None, b"{}", NOW),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify(b"secret", ts, Some("v1=zz"), b"{}", NOW),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify(b"secret", ts, Some(&sig[3..]), b"{\"seq\":1}", NOW),
            Err(SignatureError::Missing)
        );
    }

    #[test]
    fn old_and_future_timestamps_are_refused() {
        let sig = sign(b"s", NOW, b"{}");
        assert_eq!(
            verify(b"s", Some("1764072000"), Some(&sig), b"{}", NOW + 301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(b"s", Some("1764072000"), Some(&sig), b"{}", NOW - 301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(b"s", Some("вчера"), Some(&sig), b"{}", NOW),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(b"s", None, Some(&sig), b"{}", NOW),
            Err(SignatureError::Stale)
        );
    }

    #[test]
    fn the_mac_may_come_in_hex_of_either_case_or_in_base64() {
        use base64::Engine as _;
        let body = r#"{"event":{"type":"utterance","text":"\u0434\u0430"}}"#.as_bytes();
        let hex = sign(b"secret", NOW, body);
        let mac = hex::decode(hex.strip_prefix(SCHEME).unwrap()).unwrap();
        let engines = [
            base64::engine::general_purpose::STANDARD,
            base64::engine::general_purpose::STANDARD_NO_PAD,
            base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ];
        let mut encodings = vec![hex.clone(), format!("{SCHEME}{}", hex[3..].to_uppercase())];
        encodings.extend(
            engines
                .iter()
                .map(|e| format!("{SCHEME}{}", e.encode(&mac))),
        );
        for given in &encodings {
            assert_eq!(
                verify(b"secret", Some("1764072000"), Some(given), body, NOW),
                Ok(()),
                "{given}"
            );
        }
        // Another MAC in base64 is a mismatch, a truncated one is no signature at all.
        let other = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        assert_eq!(
            verify(
                b"secret",
                Some("1764072000"),
                Some(&format!("{SCHEME}{other}")),
                body,
                NOW
            ),
            Err(SignatureError::Mismatch)
        );
        let short = base64::engine::general_purpose::STANDARD.encode(&mac[..16]);
        assert_eq!(
            verify(
                b"secret",
                Some("1764072000"),
                Some(&format!("{SCHEME}{short}")),
                body,
                NOW
            ),
            Err(SignatureError::Missing)
        );
    }
}
