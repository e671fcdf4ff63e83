//! Errors of the Voximplant client, typed by what the caller can do about them.

/// Why a Voximplant Management API call (or the preparation of one) failed.
///
/// No variant carries a secret value or the private key: messages the platform sends
/// back are scrubbed of the secret values the request carried.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The service-account key file is missing, not JSON, lacks a field, or its
    /// private key is not an RSA PEM.
    #[error("the Voximplant service-account key is unusable: {0}")]
    KeyFile(String),
    /// The JWT could not be made (the clock before 1970, a lifetime out of range).
    #[error("could not make the Voximplant API token: {0}")]
    Token(String),
    /// The API address is not an https URL (plain http is allowed for loopback only).
    #[error("the Voximplant API address is refused: {0}")]
    BaseUrl(String),
    /// A value we were asked to send breaks a documented platform rule (a name's
    /// format or length, a size limit); nothing was sent.
    #[error("not sent to Voximplant: {0}")]
    InvalidInput(String),
    /// The platform answered with its error envelope `{"error":{"code","msg"}}`.
    #[error("Voximplant {method}: error {code}: {msg}")]
    Api {
        /// The method called (`AddScenario`, …).
        method: String,
        /// The platform's error code (100 authorization failed, 101 invalid arguments, …).
        code: i64,
        /// The platform's message, as sent (secret values scrubbed).
        msg: String,
    },
    /// HTTP 429: too many concurrent requests (documented for StartScenarios). Not retried.
    #[error("Voximplant {method}: too many requests (HTTP 429); nothing ran")]
    RateLimited {
        /// The method called.
        method: String,
    },
    /// No answer in time: the call may or may not have run.
    #[error("Voximplant {method}: no answer within {timeout_ms} ms; the call may have run")]
    Timeout {
        /// The method called.
        method: String,
        /// The timeout that ran out.
        timeout_ms: u64,
    },
    /// The connection failed or broke: the call may or may not have run.
    #[error("Voximplant {method}: transport failure ({reason}); the call may have run")]
    Transport {
        /// The method called.
        method: String,
        /// What the HTTP stack said.
        reason: String,
    },
    /// An HTTP error status with no API error envelope in the body.
    #[error("Voximplant {method}: HTTP {status} without an API answer")]
    HttpStatus {
        /// The method called.
        method: String,
        /// The HTTP status.
        status: u16,
    },
    /// A success answer whose fields are not what the method documents.
    #[error("Voximplant {method}: unexpected answer: {reason}")]
    Decode {
        /// The method called.
        method: String,
        /// What did not fit.
        reason: String,
    },
    /// More than one object on the account matches a name deploy must treat as unique.
    #[error("Voximplant: {count} {what}s are named {name:?}; deploy needs exactly one")]
    Ambiguous {
        /// `application`, `scenario`, `rule` or `secret`.
        what: &'static str,
        /// The name.
        name: String,
        /// How many matched.
        count: usize,
    },
}

impl Error {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Error::KeyFile(_) => "voximplant_key_file",
            Error::Token(_) => "voximplant_token",
            Error::BaseUrl(_) => "voximplant_base_url",
            Error::InvalidInput(_) => "voximplant_invalid_input",
            Error::Api { code: 100, .. } => "voximplant_auth_failed",
            Error::Api { .. } => "voximplant_api_error",
            Error::RateLimited { .. } => "voximplant_rate_limited",
            Error::Timeout { .. } => "voximplant_timeout",
            Error::Transport { .. } => "voximplant_transport",
            Error::HttpStatus { .. } => "voximplant_http_status",
            Error::Decode { .. } => "voximplant_decode",
            Error::Ambiguous { .. } => "voximplant_ambiguous",
        }
    }

    /// The platform's own error code, for [`Error::Api`].
    pub fn api_code(&self) -> Option<i64> {
        match self {
            Error::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// Whether the call may have run although it failed: look before trying a write again.
    pub fn may_have_run(&self) -> bool {
        matches!(self, Error::Timeout { .. } | Error::Transport { .. })
    }
}
