//! A value that must never be printed: secret values and the service account's private key.

use std::fmt;

use subtle::ConstantTimeEq;

/// A string that never shows in `Debug` output, errors or logs.
///
/// It has no `Display` and no `Serialize`: the only way to read it is [`Secret::expose`],
/// so every place that does is visible in the code.
#[derive(Clone, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself. Call it only to send the value where it belongs.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The value's length in characters (what Voximplant's limits count).
    pub fn char_len(&self) -> usize {
        self.0.chars().count()
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Compares with another value in time that does not depend on where they differ.
    pub fn ct_eq(&self, other: &Secret) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        assert!(!format!("{:?}", Some(&s)).contains("hunter2"));
    }

    #[test]
    fn compares_by_value() {
        assert!(Secret::new("a").ct_eq(&Secret::new("a")));
        assert!(!Secret::new("a").ct_eq(&Secret::new("ab")));
        assert!(!Secret::new("ab").ct_eq(&Secret::new("ac")));
    }
}
