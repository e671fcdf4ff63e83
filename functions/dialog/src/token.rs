//! The state token: the call's dialog state, signed by the service, carried by VoxEngine.
//!
//! `base64url(payload) "." base64url(HMAC-SHA256(key, base64url(payload)))`. The payload
//! binds the state to tenant, call, scenario version and sequence number, and expires.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use sva_abi::Qualification;
pub use sva_wire::record::{Lookup, ModelLog, TurnLog};

/// How long a token stays valid after it is issued, in seconds.
pub const LIFETIME_S: u64 = 2 * 3600;

/// What a token carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// Token format version.
    pub v: u8,
    /// The tenant.
    pub tenant: String,
    /// The call.
    pub call: String,
    /// The scenario version the call runs (kept for the call's whole life).
    pub version: String,
    /// The A/B variant, if any.
    #[serde(default)]
    pub variant: Option<String>,
    /// The sequence number of the turn that issued this token.
    pub seq: u32,
    /// Expiry, Unix seconds.
    pub exp: u64,
    /// The scenario's state.
    pub state: sva_abi::State,
    /// What the call has recorded so far.
    #[serde(default)]
    pub records: Records,
    /// What the CRM knew about the customer at `call_started`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<sva_abi::CustomerProfile>,
}

/// The call's records so far: what the call record and the CRM step need at the end.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Records {
    /// The latest qualification record.
    #[serde(default)]
    pub qualification: Qualification,
    /// Callbacks booked, RFC 3339 time and note.
    #[serde(default)]
    pub callbacks: Vec<(String, String)>,
    /// Turns that failed into the fallback phrase.
    #[serde(default)]
    pub failures: u32,
    /// The call's turns as the function saw them, oldest first (at most
    /// [`MAX_TURN_LOG`]; older ones are counted in `turns_dropped`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub turns: Vec<TurnLog>,
    /// Turns dropped from the front of `turns` to keep the token small.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub turns_dropped: u32,
    /// Tokens spent embedding the call's questions (kept here, not in `turns`, so that
    /// dropped turns still count).
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub embedding_tokens: u64,
    /// Language-model prompt tokens of the call (kept here for the same reason).
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub llm_input_tokens: u64,
    /// Language-model completion tokens of the call.
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub llm_output_tokens: u64,
    /// The same tokens by model, for pricing each model by its own row.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub llm_models: Vec<sva_wire::ModelTokens>,
}

impl Records {
    /// The language-model tokens the call has used, for its per-call budget.
    pub fn llm_tokens(&self) -> u32 {
        u32::try_from(self.llm_input_tokens + self.llm_output_tokens).unwrap_or(u32::MAX)
    }
}

/// How many turns a token keeps in its log.
pub const MAX_TURN_LOG: usize = 64;

fn is_zero(n: &u32) -> bool {
    *n == 0
}

fn is_zero_u64(n: &u64) -> bool {
    *n == 0
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a token of this service: malformed, or the signature does not match.
    #[error("the state token is not valid")]
    Invalid,
    /// The token is past its lifetime.
    #[error("the state token has expired")]
    Expired,
}

/// Signs `claims` into a token.
pub fn issue(key: &[u8], claims: &Claims) -> String {
    let payload = B64.encode(serde_json::to_vec(claims).unwrap_or_default());
    let sig = B64.encode(mac(key, payload.as_bytes()).finalize().into_bytes());
    format!("{payload}.{sig}")
}

/// Checks a token's signature and expiry (against `now`, Unix seconds) and returns its claims.
pub fn open(key: &[u8], token: &str, now: u64) -> Result<Claims, TokenError> {
    let (payload, sig) = token.split_once('.').ok_or(TokenError::Invalid)?;
    let sig = B64.decode(sig).map_err(|_| TokenError::Invalid)?;
    mac(key, payload.as_bytes())
        .verify_slice(&sig)
        .map_err(|_| TokenError::Invalid)?;
    let json = B64.decode(payload).map_err(|_| TokenError::Invalid)?;
    let claims: Claims = serde_json::from_slice(&json).map_err(|_| TokenError::Invalid)?;
    if claims.v != 1 {
        return Err(TokenError::Invalid);
    }
    if claims.exp < now {
        return Err(TokenError::Expired);
    }
    Ok(claims)
}

fn mac(key: &[u8], data: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims {
            v: 1,
            tenant: "demo".into(),
            call: "c1".into(),
            version: "abc".into(),
            variant: None,
            seq: 3,
            exp: 1000,
            state: serde_json::json!({"node": "budget"}).into(),
            records: Records::default(),
            customer: None,
        }
    }

    #[test]
    fn a_token_round_trips() {
        let token = issue(b"key", &claims());
        assert_eq!(open(b"key", &token, 999), Ok(claims()));
    }

    #[test]
    fn forged_and_expired_tokens_are_refused() {
        let token = issue(b"key", &claims());
        assert_eq!(open(b"other key", &token, 0), Err(TokenError::Invalid));
        assert_eq!(open(b"key", &token, 1001), Err(TokenError::Expired));
        // Change the payload (seq 3 → 4) and keep the signature.
        let (payload, sig) = token.split_once('.').unwrap();
        let mut forged = claims();
        forged.seq = 4;
        let forged_payload = B64.encode(serde_json::to_vec(&forged).unwrap());
        assert_ne!(payload, forged_payload);
        assert_eq!(
            open(b"key", &format!("{forged_payload}.{sig}"), 0),
            Err(TokenError::Invalid)
        );
        for garbage in ["", ".", "abc", "a.b", "!!!.???"] {
            assert_eq!(
                open(b"key", garbage, 0),
                Err(TokenError::Invalid),
                "{garbage:?}"
            );
        }
    }
}
