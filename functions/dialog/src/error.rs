//! The dialog function's refusals: an HTTP status, a machine-readable code, a sentence.

use crate::token::TokenError;
use sva_wire::signature::SignatureError;

/// Why a turn request was refused. Scenario failures are not here: they become the
/// fallback phrase in a normal answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DialogError {
    /// The body is not a valid turn request.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The body is larger than allowed.
    #[error("the request body is {len} bytes, more than {max}")]
    PayloadTooLarge {
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Signature or timestamp refused.
    #[error("{0}")]
    Signature(#[from] SignatureError),
    /// The state token is forged, expired or bound to something else.
    #[error("{0}")]
    Token(#[from] TokenError),
    /// The token belongs to another tenant, call or scenario than the request.
    #[error("the state token belongs to another {0}")]
    TokenMismatch(&'static str),
    /// `seq` does not follow the token's.
    #[error("turn {got} does not follow turn {last} of this call")]
    OutOfOrder {
        /// The token's sequence number.
        last: u32,
        /// The request's.
        got: u32,
    },
    /// No such tenant.
    #[error("unknown tenant {0:?}")]
    UnknownTenant(String),
    /// The tenant is disabled.
    #[error("tenant {0:?} is disabled")]
    TenantDisabled(String),
    /// Object storage failed (retry later).
    #[error("storage unavailable: {0}")]
    Storage(String),
    /// The scenario version the call needs cannot be loaded (a host problem).
    #[error("the scenario cannot be loaded: {0}")]
    ScenarioUnavailable(String),
}

impl DialogError {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            DialogError::BadRequest(_) => 400,
            DialogError::Signature(_) => 401,
            DialogError::Token(TokenError::Expired) => 410,
            DialogError::Token(_)
            | DialogError::TokenMismatch(_)
            | DialogError::TenantDisabled(_) => 403,
            DialogError::UnknownTenant(_) => 404,
            DialogError::OutOfOrder { .. } => 409,
            DialogError::PayloadTooLarge { .. } => 413,
            DialogError::ScenarioUnavailable(_) | DialogError::Storage(_) => 503,
        }
    }

    /// The machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            DialogError::BadRequest(_) => "bad_request",
            DialogError::PayloadTooLarge { .. } => "payload_too_large",
            DialogError::Signature(SignatureError::Stale) => "stale_request",
            DialogError::Signature(_) => "bad_signature",
            DialogError::Token(TokenError::Expired) => "token_expired",
            DialogError::Token(_) | DialogError::TokenMismatch(_) => "bad_token",
            DialogError::OutOfOrder { .. } => "out_of_order",
            DialogError::UnknownTenant(_) => "unknown_tenant",
            DialogError::TenantDisabled(_) => "tenant_disabled",
            DialogError::ScenarioUnavailable(_) => "scenario_unavailable",
            DialogError::Storage(_) => "storage_unavailable",
        }
    }
}
