//! Random secrets and their comparison.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// `bytes` random bytes from the operating system, as lowercase hex.
///
/// # Panics
///
/// Only if the operating system's generator fails, which happens on a broken system
/// only; no secret may be made up then.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the operating system's random generator failed");
    hex::encode(buf)
}

/// The lowercase hex SHA-256 of `text`: how API keys are stored. A plain hash is enough
/// because the hashed secrets are 256 random bits, out of reach of guessing; slow
/// password hashes exist for human-chosen secrets.
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_and_compared() {
        let a = random_hex(32);
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_hex(32));
        assert!(same_secret(&a, &a.clone()));
        assert!(!same_secret(&a, &random_hex(32)));
        assert!(!same_secret("ab", "abc"));
        assert_eq!(sha256_hex("abc").len(), 64);
    }
}
