//! The service-account key file and the short-lived RS256 JWT made from it.
//!
//! Voximplant's guide (<https://voximplant.com/docs/guides/managementapi/jwt>): "form a JWT
//! using RS256. The required fields are: kid – key_id to be specified in the header
//! section; iat – start date … (UNIX timestamp); iss – account_id; exp – end date, up to
//! iat+3600 seconds." The key file is the JSON the control panel hands out when a
//! service-account key is generated; its fields, as the official clients read them:
//! `account_email`, `account_id` (a number), `key_id`, `private_key` (a PEM)
//! (voximplant/apiclient-nodejs@281e5c4199b6a7ed9bf3d7c880729306dffe82a3
//! src/index.ts:517-522 `VoximplantApiClientKey`; voximplant/apiclient-python@5df85174a3e8b0c09ced19867bd097af8233cbfc
//! src/voximplant/apiclient/client.py:41-44 and :66-72).

use std::fmt;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

use crate::error::Error;
use crate::secret::Secret;

/// The platform's ceiling on a token's lifetime: `exp` up to `iat + 3600`.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// The lifetime of the tokens we make: a token is made for every request, so one
/// minute is plenty (the Node client uses 64 s, the Python one 29 s).
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(60);

/// A Voximplant service-account key, as read from the JSON file Voximplant issues.
///
/// `Debug` shows the account and key ids, never the private key.
#[derive(Clone)]
pub struct ServiceAccountKey {
    account_id: u64,
    key_id: String,
    account_email: Option<String>,
    private_key: Secret,
}

impl fmt::Debug for ServiceAccountKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceAccountKey")
            .field("account_id", &self.account_id)
            .field("key_id", &self.key_id)
            .field("account_email", &self.account_email)
            .field("private_key", &self.private_key)
            .finish()
    }
}

impl ServiceAccountKey {
    /// Reads the key file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::KeyFile(format!("cannot read {}: {}", path.display(), e.kind())))?;
        Self::from_json(&text)
    }

    /// Parses the key file's text. Error messages never quote the file's content.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        // Parsed as a Value first: serde's typed errors quote the offending value, which
        // could be the private key.
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            Error::KeyFile(format!(
                "not JSON (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        let obj = value
            .as_object()
            .ok_or_else(|| Error::KeyFile("not a JSON object".into()))?;
        let account_id = match obj.get("account_id") {
            Some(serde_json::Value::Number(n)) => n.as_u64(),
            Some(serde_json::Value::String(s))
                if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) =>
            {
                s.parse().ok()
            }
            _ => None,
        }
        .filter(|&id| id > 0)
        .ok_or_else(|| {
            Error::KeyFile("`account_id` is missing or not a positive integer".into())
        })?;
        let key_id = match obj.get("key_id") {
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => s.clone(),
            _ => return Err(Error::KeyFile("`key_id` is missing or empty".into())),
        };
        let private_key = match obj.get("private_key") {
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Secret::new(s.clone()),
            _ => return Err(Error::KeyFile("`private_key` is missing or empty".into())),
        };
        let account_email = obj
            .get("account_email")
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        let key = ServiceAccountKey {
            account_id,
            key_id,
            account_email,
            private_key,
        };
        // A PEM that parses may still not sign (a public key, a truncated one): try once.
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(key.key_id.clone());
        let probe = Claims {
            iss: key.account_id,
            iat: 0,
            exp: 1,
        };
        jsonwebtoken::encode(&header, &probe, &key.encoding_key()?).map_err(|_| {
            Error::KeyFile("`private_key` cannot sign RS256 (not an RSA private key)".into())
        })?;
        Ok(key)
    }

    /// The account the key belongs to (the token's `iss`).
    pub fn account_id(&self) -> u64 {
        self.account_id
    }

    /// The key's id (the token header's `kid`).
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The account's e-mail, when the file has it.
    pub fn account_email(&self) -> Option<&str> {
        self.account_email.as_deref()
    }

    fn encoding_key(&self) -> Result<EncodingKey, Error> {
        ensure_crypto();
        EncodingKey::from_rsa_pem(self.private_key.expose().as_bytes()).map_err(|_| {
            Error::KeyFile("`private_key` is not an RSA private key in PEM form".into())
        })
    }
}

/// Makes sure jsonwebtoken has its crypto backend. It picks aws-lc-rs by itself when it is
/// the only backend feature; should feature unification ever enable both, it would panic on
/// the first signature instead, so the backend is installed here explicitly.
pub(crate) fn ensure_crypto() {
    use jsonwebtoken::crypto::CryptoProvider;
    if CryptoProvider::try_get_default().is_none() {
        // Err means another thread installed one first: either is fine.
        let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    }
}

#[derive(Serialize)]
struct Claims {
    iss: u64,
    iat: u64,
    exp: u64,
}

/// Makes the bearer tokens for one key.
pub(crate) struct Signer {
    key: EncodingKey,
    header: Header,
    account_id: u64,
    lifetime: Duration,
}

impl Signer {
    pub(crate) fn new(key: &ServiceAccountKey, lifetime: Duration) -> Result<Self, Error> {
        if lifetime.is_zero() || lifetime > MAX_TOKEN_LIFETIME {
            return Err(Error::Token(format!(
                "a token lifetime of {} s is outside 1..=3600 s",
                lifetime.as_secs()
            )));
        }
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(key.key_id.clone());
        Ok(Signer {
            key: key.encoding_key()?,
            header,
            account_id: key.account_id,
            lifetime,
        })
    }

    /// A token valid from now for the configured lifetime.
    pub(crate) fn token(&self) -> Result<Secret, Error> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|_| Error::Token("the clock is before 1970".into()))?
            .as_secs();
        let claims = Claims {
            iss: self.account_id,
            iat: now,
            exp: now + self.lifetime.as_secs(),
        };
        jsonwebtoken::encode(&self.header, &claims, &self.key)
            .map(Secret::new)
            .map_err(|e| Error::Token(format!("RS256 signing failed: {e}")))
    }
}
