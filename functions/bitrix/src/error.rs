//! Errors of a Bitrix24 call, typed by what the caller can do about them.

use sva_kit::outbound::OutboundError;

/// Why a Bitrix24 call failed.
#[derive(Debug, thiserror::Error)]
pub enum BitrixError {
    /// The portal answered with an error: the method did not do what was asked.
    /// `code` may be empty (legacy `crm.*` "Not found", "Access denied.", validation).
    #[error("Bitrix24 {method}: {code_shown} (HTTP {status}): {description}", code_shown = if code.is_empty() { "\"\"" } else { code.as_str() })]
    Api {
        /// The method called.
        method: String,
        /// The HTTP status.
        status: u16,
        /// Bitrix24's `error` code, as sent (may be empty).
        code: String,
        /// Bitrix24's `error_description`.
        description: String,
    },
    /// The call may or may not have run (timeout, dropped connection, 5xx, a body that
    /// is not Bitrix24's): a write must be reconciled before it is tried again.
    #[error("Bitrix24 {method}: no clear answer ({reason}); the call may have run")]
    Ambiguous {
        /// The method called.
        method: String,
        /// What happened.
        reason: String,
    },
    /// The portal kept refusing for rate (`QUERY_LIMIT_EXCEEDED`, `OPERATION_TIME_LIMIT`)
    /// or being unreachable after every retry; nothing ran.
    #[error("Bitrix24 {method}: still refused after {attempts} attempts ({code})")]
    Exhausted {
        /// The method called.
        method: String,
        /// The last refusal's code.
        code: String,
        /// How many attempts were made.
        attempts: u32,
    },
    /// The credentials are not accepted (wrong webhook, revoked app, failed refresh).
    #[error("Bitrix24 authorization failed ({code}): {description}")]
    Auth {
        /// The code (`NO_AUTH_FOUND`, `invalid_grant`, `invalid_client`, …).
        code: String,
        /// What the portal or the token server said.
        description: String,
    },
    /// The portal URL, or an address it resolves to or redirects to, is not allowed.
    #[error("the Bitrix24 portal address is refused: {0}")]
    Blocked(String),
    /// The client is not configured for what was asked.
    #[error("Bitrix24 client configuration: {0}")]
    Config(String),
}

impl From<OutboundError> for BitrixError {
    fn from(e: OutboundError) -> Self {
        BitrixError::Blocked(e.to_string())
    }
}

impl BitrixError {
    /// A stable machine-readable code: Bitrix24's own code for API errors
    /// (`bitrix_empty_code` when it sent none), else one of ours.
    pub fn code(&self) -> String {
        match self {
            BitrixError::Api { code, .. } if code.is_empty() => "bitrix_empty_code".into(),
            BitrixError::Api { code, .. } => code.clone(),
            BitrixError::Ambiguous { .. } => "ambiguous".into(),
            BitrixError::Exhausted { code, .. } => code.clone(),
            BitrixError::Auth { code, .. } => code.clone(),
            BitrixError::Blocked(_) => "portal_blocked".into(),
            BitrixError::Config(_) => "crm_config".into(),
        }
    }

    /// Whether the call may have run: reconcile before trying a write again.
    pub fn is_ambiguous(&self) -> bool {
        matches!(self, BitrixError::Ambiguous { .. })
    }

    /// Whether trying again later can succeed without anyone changing anything
    /// (rate limits, outages, ambiguous answers). Authorization, configuration and
    /// validation errors need a person.
    pub fn is_transient(&self) -> bool {
        match self {
            BitrixError::Ambiguous { .. } | BitrixError::Exhausted { .. } => true,
            BitrixError::Api { status, code, .. } => {
                *status >= 500
                    && !code.eq_ignore_ascii_case("OVERLOAD_LIMIT")
                    && !code.eq_ignore_ascii_case("PORTAL_DELETED")
            }
            BitrixError::Auth { .. } | BitrixError::Blocked(_) | BitrixError::Config(_) => false,
        }
    }

    /// Whether this is the portal's "Not found" (an empty code with that description,
    /// or `NOT_FOUND` / `OWNER_NOT_FOUND`).
    pub fn is_not_found(&self) -> bool {
        match self {
            BitrixError::Api {
                code, description, ..
            } => {
                code.eq_ignore_ascii_case("NOT_FOUND")
                    || code.eq_ignore_ascii_case("OWNER_NOT_FOUND")
                    || (code.is_empty() && description.to_lowercase().contains("not found"))
            }
            _ => false,
        }
    }
}

/// How a failed answer is to be treated by the retry loop.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Refusal {
    /// Refused before running for rate: back off and replay.
    RateLimited,
    /// The method's time budget is spent: wait (at least 10 s) and replay.
    OperationLimit,
    /// The access token expired: refresh once and replay.
    ExpiredToken,
    /// A portal rename: re-post to this URL.
    Moved(String),
    /// May have run.
    Ambiguous(String),
    /// A definite error: give up.
    Final {
        /// HTTP status.
        status: u16,
        /// Code.
        code: String,
        /// Description.
        description: String,
    },
}

impl Refusal {
    /// What kind of refusal, for logs (never the redirect's URL, which may hold the
    /// webhook code).
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Refusal::RateLimited => "rate_limited",
            Refusal::OperationLimit => "operation_limit",
            Refusal::ExpiredToken => "expired_token",
            Refusal::Moved(_) => "moved",
            Refusal::Ambiguous(_) => "ambiguous",
            Refusal::Final { .. } => "final",
        }
    }
}

/// Codes that mean the credentials are wrong rather than the request.
pub(crate) fn is_auth_code(code: &str) -> bool {
    const AUTH: [&str; 7] = [
        "NO_AUTH_FOUND",
        "INVALID_CREDENTIALS",
        "invalid_token",
        "invalid_grant",
        "invalid_client",
        "WRONG_AUTH_TYPE",
        "insufficient_scope",
    ];
    AUTH.iter().any(|c| c.eq_ignore_ascii_case(code))
}

/// Classifies an answer that was not a success. Codes are matched case-insensitively and
/// not by status: `OVERLOAD_LIMIT` and `QUERY_LIMIT_EXCEEDED` both come as 503.
pub(crate) fn classify(status: u16, body: &[u8], location: Option<&str>) -> Refusal {
    if (300..400).contains(&status) {
        return match location {
            Some(to) => Refusal::Moved(to.to_owned()),
            None => Refusal::Ambiguous(format!("HTTP {status} without a Location")),
        };
    }
    let parsed: Option<(String, String)> = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            let code = v.get("error")?.as_str()?.to_owned();
            let description = v
                .get("error_description")
                .and_then(|d| d.as_str())
                .unwrap_or_default()
                .to_owned();
            Some((code, description))
        });
    let Some((code, description)) = parsed else {
        // A proxy's HTML page or a cut body: the portal may have run the method.
        return Refusal::Ambiguous(format!("HTTP {status} without a Bitrix24 error body"));
    };
    let is = |c: &str| code.eq_ignore_ascii_case(c);
    if is("QUERY_LIMIT_EXCEEDED") {
        Refusal::RateLimited
    } else if is("OPERATION_TIME_LIMIT") {
        Refusal::OperationLimit
    } else if is("expired_token") {
        Refusal::ExpiredToken
    } else if status >= 500 && !is("OVERLOAD_LIMIT") && !is("PORTAL_DELETED") {
        // INTERNAL_SERVER_ERROR and friends can come after a partial write.
        Refusal::Ambiguous(format!("HTTP {status} {code}"))
    } else {
        Refusal::Final {
            status,
            code,
            description,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_classified_by_code_not_status() {
        let body = |code: &str| format!(r#"{{"error":"{code}","error_description":"x"}}"#);
        assert_eq!(
            classify(503, body("QUERY_LIMIT_EXCEEDED").as_bytes(), None),
            Refusal::RateLimited
        );
        assert!(matches!(
            classify(503, body("OVERLOAD_LIMIT").as_bytes(), None),
            Refusal::Final { .. }
        ));
        assert_eq!(
            classify(429, body("OPERATION_TIME_LIMIT").as_bytes(), None),
            Refusal::OperationLimit
        );
        assert_eq!(
            classify(401, body("expired_token").as_bytes(), None),
            Refusal::ExpiredToken
        );
        assert!(matches!(
            classify(500, body("INTERNAL_SERVER_ERROR").as_bytes(), None),
            Refusal::Ambiguous(_)
        ));
        assert!(matches!(
            classify(502, b"<html>Bad Gateway</html>", None),
            Refusal::Ambiguous(_)
        ));
        assert_eq!(
            classify(302, b"", Some("https://new.bitrix24.ru/rest/")),
            Refusal::Moved("https://new.bitrix24.ru/rest/".into())
        );
        match classify(400, body("").as_bytes(), None) {
            Refusal::Final { code, status, .. } => assert_eq!((code.as_str(), status), ("", 400)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn not_found_includes_the_empty_code_form() {
        let e = BitrixError::Api {
            method: "crm.lead.get".into(),
            status: 400,
            code: String::new(),
            description: "Not found".into(),
        };
        assert!(e.is_not_found());
        assert_eq!(e.code(), "bitrix_empty_code");
        assert!(!e.is_transient());
    }
}
