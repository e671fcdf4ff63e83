//! Errors: [`ApiError`] is what a REST method answers (Bitrix24's `{error, error_description}`
//! with its HTTP status); [`PortalError`] is what starting a portal can fail with.

use std::path::PathBuf;

use axum::http::StatusCode;
use serde_json::{Value, json};

/// A failure of a portal method, as Bitrix24 would report it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum ApiError {
    /// Legacy CRM validation and not-found errors: HTTP 400 with an **empty** code.
    #[error("{0}")]
    Crm(String),
    /// `ERROR_CORE` (400): a generic failure of the method.
    #[error("{0}")]
    Core(String),
    /// `ERROR_ARGUMENT` (400): the request could not be read.
    #[error("{0}")]
    Argument(String),
    /// A documented coded error with HTTP 400 (`OWNER_NOT_FOUND`, `WRONG_DATETIME_FORMAT`, `100`…).
    #[error("{description}")]
    Coded {
        /// The `error` member.
        code: &'static str,
        /// The `error_description` member.
        description: String,
    },
    /// 404 `ERROR_METHOD_NOT_FOUND`.
    #[error("Method not found!")]
    MethodNotFound,
    /// 401 `NO_AUTH_FOUND`.
    #[error("Wrong authorization data")]
    NoAuth,
    /// 401 `expired_token`.
    #[error("The access token provided has expired.")]
    ExpiredToken,
    /// 403 `ACCESS_DENIED` with a description (`error-codes`: 403 `ACCESS_DENIED`;
    /// `bizproc-event-send`: HTTP 403).
    #[error("{0}")]
    Denied(String),
    /// 403 `WRONG_AUTH_TYPE`: the method needs an application (OAuth) context.
    #[error("Current authorization type is denied for this method")]
    WrongAuthType,
    /// 503 `QUERY_LIMIT_EXCEEDED`.
    #[error("Too many requests")]
    QueryLimit,
    /// 500 `INTERNAL_SERVER_ERROR`.
    #[error("Internal server error")]
    Internal,
    /// `ERROR_BATCH_LENGTH_EXCEEDED` (400), for commands past the 50th of a batch.
    #[error("Max batch length exceeded")]
    BatchLength,
    /// 405 `ERROR_BATCH_METHOD_NOT_ALLOWED`: a batch inside a batch.
    #[error("Method is not allowed for batch usage")]
    BatchMethod,
}

impl ApiError {
    /// A coded 400 error.
    pub(crate) fn coded(code: &'static str, description: impl Into<String>) -> ApiError {
        ApiError::Coded {
            code,
            description: description.into(),
        }
    }

    /// 403 `ACCESS_DENIED`.
    pub(crate) fn denied(description: impl Into<String>) -> ApiError {
        ApiError::Denied(description.into())
    }

    /// "Not found", the legacy CRM way.
    pub(crate) fn not_found() -> ApiError {
        ApiError::Crm("Not found".into())
    }

    /// The `error` member.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            ApiError::Crm(_) => "",
            ApiError::Core(_) => "ERROR_CORE",
            ApiError::Argument(_) => "ERROR_ARGUMENT",
            ApiError::Coded { code, .. } => code,
            ApiError::MethodNotFound => "ERROR_METHOD_NOT_FOUND",
            ApiError::NoAuth => "NO_AUTH_FOUND",
            ApiError::ExpiredToken => "expired_token",
            ApiError::Denied(_) => "ACCESS_DENIED",
            ApiError::WrongAuthType => "WRONG_AUTH_TYPE",
            ApiError::QueryLimit => "QUERY_LIMIT_EXCEEDED",
            ApiError::Internal => "INTERNAL_SERVER_ERROR",
            ApiError::BatchLength => "ERROR_BATCH_LENGTH_EXCEEDED",
            ApiError::BatchMethod => "ERROR_BATCH_METHOD_NOT_ALLOWED",
        }
    }

    /// The HTTP status.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            ApiError::MethodNotFound => StatusCode::NOT_FOUND,
            ApiError::NoAuth | ApiError::ExpiredToken => StatusCode::UNAUTHORIZED,
            ApiError::WrongAuthType | ApiError::Denied(_) => StatusCode::FORBIDDEN,
            ApiError::QueryLimit => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::BatchMethod => StatusCode::METHOD_NOT_ALLOWED,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The JSON body: `{"error": …, "error_description": …}` (never a `time`).
    pub(crate) fn body(&self) -> Value {
        json!({"error": self.code(), "error_description": self.to_string()})
    }
}

/// Why a portal could not be made or started.
#[derive(Debug, thiserror::Error)]
pub enum PortalError {
    /// The state file exists but could not be read.
    #[error("cannot read the sandbox state file {path}: {source}")]
    StateRead {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The state file is not a sandbox state.
    #[error("the sandbox state file {path} is not valid: {source}")]
    StateParse {
        /// The file.
        path: PathBuf,
        /// The JSON error.
        source: serde_json::Error,
    },
    /// An install callback or an event could not be delivered to its handler.
    #[error("the handler did not answer: {0}")]
    Deliver(String),
    /// A robot could not be put on a stage, or a document moved (no such robot, record or
    /// stage; a value the robot does not allow).
    #[error("robot: {0}")]
    Robot(String),
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
}
