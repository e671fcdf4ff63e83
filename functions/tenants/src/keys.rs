//! Tenant API keys: `sva_{tenant}_{key id}_{secret}`, shown once, stored hashed at
//! `tenants/{tenant}/keys/{key id}.json`.
//!
//! The key names its tenant and key id, so checking it is one read, no index; only the
//! SHA-256 of the secret part is stored (see [`sha256_hex`](crate::secret::sha256_hex)).

use serde::{Deserialize, Serialize};

/// What is stored about an API key (never the key itself).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKeyRecord {
    /// The key id (16 hex digits), also the key's visible part.
    pub id: String,
    /// What the key is for, as its owner named it.
    #[serde(default)]
    pub label: String,
    /// The lowercase hex SHA-256 of the secret part.
    pub hash: String,
    /// When it was issued (RFC 3339, UTC).
    pub created_at: String,
    /// When it was revoked, if it was.
    #[serde(default)]
    pub revoked_at: Option<String>,
}

/// What an API reports about a key: the record without its hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeyInfo {
    /// The key id.
    pub id: String,
    /// Its label.
    pub label: String,
    /// When it was issued.
    pub created_at: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
}

impl From<&ApiKeyRecord> for ApiKeyInfo {
    fn from(r: &ApiKeyRecord) -> Self {
        ApiKeyInfo {
            id: r.id.clone(),
            label: r.label.clone(),
            created_at: r.created_at.clone(),
            revoked_at: r.revoked_at.clone(),
        }
    }
}

/// The parts of a presented key.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyParts<'a> {
    /// The tenant it claims.
    pub tenant: &'a str,
    /// The key id.
    pub id: &'a str,
    /// The secret part.
    pub secret: &'a str,
}

impl std::fmt::Debug for KeyParts<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyParts")
            .field("tenant", &self.tenant)
            .field("id", &self.id)
            .field("secret", &"***")
            .finish()
    }
}

/// The key's text for its parts.
pub fn format_key(tenant: &str, id: &str, secret: &str) -> String {
    format!("sva_{tenant}_{id}_{secret}")
}

/// Splits `sva_{tenant}_{id}_{secret}`; `None` for anything not shaped like a key.
pub fn parse_key(text: &str) -> Option<KeyParts<'_>> {
    let rest = text.strip_prefix("sva_")?;
    let mut parts = rest.split('_');
    let (tenant, id, secret) = (parts.next()?, parts.next()?, parts.next()?);
    let hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
    let ok = parts.next().is_none()
        && crate::validate_tenant_id(tenant).is_ok()
        && hex(id, 16)
        && hex(secret, 64);
    ok.then_some(KeyParts { tenant, id, secret })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_only_in_shape() {
        let id = "0123456789abcdef";
        let secret = "a".repeat(64);
        let key = format_key("acme-2", id, &secret);
        assert_eq!(
            parse_key(&key),
            Some(KeyParts {
                tenant: "acme-2",
                id,
                secret: &secret
            })
        );
        for bad in [
            "",
            "sva_",
            &format!("sva_acme_{id}"),
            &format!("sva_Acme_{id}_{secret}"),
            &format!("sva_acme_{id}_{secret}_x"),
            &format!("sva_acme_{id}_{}", &secret[1..]),
            &format!("key_acme_{id}_{secret}"),
        ] {
            assert_eq!(parse_key(bad), None, "{bad}");
        }
    }
}
