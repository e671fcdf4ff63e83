//! Key validation, shared by every back end.

use unicode_normalization::is_nfc;

use super::StorageError;

/// The longest key, in bytes (S3's limit).
pub const MAX_KEY_BYTES: usize = 1024;
/// The longest segment, in bytes (a file name's limit on common file systems).
pub const MAX_SEGMENT_BYTES: usize = 255;
/// Segments starting with this are reserved for the local back end's temporary files.
pub(crate) const RESERVED_PREFIX: &str = ".sva-";

fn invalid(key: &str, reason: &'static str) -> StorageError {
    StorageError::InvalidKey {
        key: key.to_owned(),
        reason,
    }
}

/// Checks one segment (no `/`).
fn check_segment(segment: &str) -> Result<(), &'static str> {
    if segment.is_empty() {
        return Err("empty segment (a leading, trailing or double '/')");
    }
    if segment == "." || segment == ".." {
        return Err("'.' and '..' segments are not allowed");
    }
    if segment.len() > MAX_SEGMENT_BYTES {
        return Err("a segment is longer than 255 bytes");
    }
    if segment.starts_with(RESERVED_PREFIX) {
        return Err("segments starting with '.sva-' are reserved");
    }
    if segment.contains('/') {
        return Err("a segment cannot contain '/'");
    }
    Ok(())
}

/// Checks what applies to a whole key or prefix.
fn check_chars(text: &str) -> Result<(), &'static str> {
    if text.len() > MAX_KEY_BYTES {
        return Err("longer than 1024 bytes");
    }
    if text.starts_with('/') {
        return Err("must be relative (no leading '/')");
    }
    if text.chars().any(char::is_control) {
        return Err("control characters are not allowed");
    }
    if text.contains('\\') {
        return Err("backslashes are not allowed");
    }
    if !is_nfc(text) {
        return Err("must be Unicode NFC-normalized");
    }
    Ok(())
}

/// Validates an object key: non-empty, at most [`MAX_KEY_BYTES`] bytes, relative,
/// `/`-separated segments that are non-empty, not `.` or `..`, at most
/// [`MAX_SEGMENT_BYTES`] bytes and not starting with `.sva-` (reserved); no control
/// characters, no backslash; UTF-8 in NFC (so that `й` has one spelling).
pub fn validate_key(key: &str) -> Result<(), StorageError> {
    if key.is_empty() {
        return Err(invalid(key, "empty key"));
    }
    check_chars(key).map_err(|reason| invalid(key, reason))?;
    for segment in key.split('/') {
        check_segment(segment).map_err(|reason| invalid(key, reason))?;
    }
    Ok(())
}

/// Validates a list prefix: `""`, or a key, or a key followed by `/`, or a key whose
/// last segment is cut short (`calls/acme/2026-05`).
pub fn validate_prefix(prefix: &str) -> Result<(), StorageError> {
    if prefix.is_empty() {
        return Ok(());
    }
    check_chars(prefix).map_err(|reason| invalid(prefix, reason))?;
    let body = prefix.strip_suffix('/').unwrap_or(prefix);
    for segment in body.split('/') {
        check_segment(segment).map_err(|reason| invalid(prefix, reason))?;
    }
    Ok(())
}

/// Validates a single segment, such as a tenant id used to build a key: a valid key
/// without `/`.
pub fn validate_segment(segment: &str) -> Result<(), StorageError> {
    if segment.contains('/') {
        return Err(invalid(segment, "a segment cannot contain '/'"));
    }
    validate_key(segment)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_keys() {
        for key in [
            "tenants/acme/tenant.json",
            "calls/acme/2026-05-01/c-1.json",
            "tenants/ромашка/kb/прайс лист.md",
            "a",
            ".hidden/x",
            "a/b..c/d",
        ] {
            validate_key(key).unwrap();
        }
    }

    #[test]
    fn bad_keys() {
        let decomposed = "tenants/и\u{306}/x"; // й as и + combining breve: not NFC
        let long_segment = "a".repeat(256);
        let long_key = vec!["abc"; 300].join("/");
        for key in [
            "",
            "/abs",
            "a//b",
            "a/",
            "a/./b",
            "a/../b",
            "..",
            "a\\b",
            "a\nb",
            "a\0b",
            decomposed,
            long_segment.as_str(),
            long_key.as_str(),
            "a/.sva-tmp-1",
        ] {
            let err = validate_key(key).unwrap_err();
            assert!(matches!(err, StorageError::InvalidKey { .. }), "{key:?}");
        }
    }

    #[test]
    fn prefixes() {
        for prefix in ["", "calls/", "calls/acme/2026-05", "calls"] {
            validate_prefix(prefix).unwrap();
        }
        for prefix in ["/", "/calls", "calls//", "../", "a/../", "a//b/"] {
            assert!(validate_prefix(prefix).is_err(), "{prefix:?}");
        }
    }

    #[test]
    fn segments() {
        validate_segment("acme").unwrap();
        assert!(validate_segment("acme/x").is_err());
        assert!(validate_segment("..").is_err());
        assert!(validate_segment("").is_err());
    }
}
