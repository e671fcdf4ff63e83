//! [`ApiError`]: the one error shape of every API,
//! `{"error": {"code": "not_found", "message": "No tenant named acme."}}`.
//!
//! Handlers return `Result<Json<T>, ApiError>`; [`ResultExt`] and [`OptionExt`] turn
//! other errors and missing values into one. Server errors never leak their details to
//! the caller: [`ApiError::internal`] logs them and answers a generic sentence.

use std::fmt;

use axum::Json as AxumJson;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::storage::StorageError;

/// The message of every internal error: the details go to the log, not to the caller.
pub const INTERNAL_MESSAGE: &str = "Something went wrong on our side. Please try again later.";

/// An API error: an HTTP status, a machine-readable snake_case code and a human
/// sentence. Responds with `{"error": {"code": "...", "message": "..."}}`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable, machine-readable, snake_case code (`not_found`, `malformed_json`).
    pub code: &'static str,
    /// A human sentence for the developer reading the response.
    pub message: String,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
}

impl ApiError {
    /// An error with any status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// 400 `bad_request`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 401 `unauthorized`: no valid credentials.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 403 `forbidden`: valid credentials without the right.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 404 `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 405 `method_not_allowed`.
    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            message,
        )
    }

    /// 409 `conflict`.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }

    /// 413 `payload_too_large`, naming the limit.
    pub fn payload_too_large(limit: Option<usize>) -> Self {
        let message = match limit {
            Some(limit) => format!("The request body is larger than the limit of {limit} bytes."),
            None => "The request body is larger than the limit.".to_owned(),
        };
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
    }

    /// 415 `unsupported_media_type`.
    pub fn unsupported_media_type(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            message,
        )
    }

    /// 422 `unprocessable`: well-formed but semantically invalid.
    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "unprocessable", message)
    }

    /// 500 `internal`: logs `detail` at error level (masked like every log line) and
    /// answers [`INTERNAL_MESSAGE`], never the detail.
    pub fn internal(detail: impl fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            INTERNAL_MESSAGE,
        )
    }

    /// The error our shape uses for a bare status (a plain-text rejection, an empty
    /// 404): a code and a sentence per status, and no detail for server errors.
    pub fn from_status(status: StatusCode, detail: Option<&str>) -> Self {
        let (code, default) = match status {
            StatusCode::BAD_REQUEST => ("bad_request", "The request is invalid."),
            StatusCode::UNAUTHORIZED => ("unauthorized", "Authentication is required."),
            StatusCode::FORBIDDEN => ("forbidden", "Access is denied."),
            StatusCode::NOT_FOUND => ("not_found", "No such resource."),
            StatusCode::METHOD_NOT_ALLOWED => (
                "method_not_allowed",
                "This method is not allowed on this resource.",
            ),
            StatusCode::REQUEST_TIMEOUT => ("timeout", "The request took too long."),
            StatusCode::CONFLICT => ("conflict", "The request conflicts with the current state."),
            StatusCode::PAYLOAD_TOO_LARGE => (
                "payload_too_large",
                "The request body is larger than the limit.",
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => (
                "unsupported_media_type",
                "The content type is not supported.",
            ),
            StatusCode::UNPROCESSABLE_ENTITY => {
                ("unprocessable", "The request cannot be processed.")
            }
            StatusCode::TOO_MANY_REQUESTS => ("too_many_requests", "Too many requests."),
            StatusCode::SERVICE_UNAVAILABLE => {
                ("unavailable", "The service is temporarily unavailable.")
            }
            StatusCode::GATEWAY_TIMEOUT => ("timeout", "The request took too long."),
            s if s.is_server_error() => ("internal", INTERNAL_MESSAGE),
            _ => ("error", "The request failed."),
        };
        let message = match detail {
            Some(d) if !status.is_server_error() && !d.trim().is_empty() => sentence(d.trim()),
            _ => default.to_owned(),
        };
        Self::new(status, code, message)
    }

    fn body(&self) -> Body<'_> {
        Body {
            error: Inner {
                code: self.code,
                message: &self.message,
            },
        }
    }
}

/// Capitalises the first letter and ends with a full stop.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, AxumJson(self.body())).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .entry(header::WWW_AUTHENTICATE)
                .or_insert(header::HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<StorageError> for ApiError {
    /// An invalid key is the caller's fault (400); anything else is internal.
    fn from(err: StorageError) -> Self {
        match err {
            StorageError::InvalidKey { .. } => Self::bad_request(err.to_string()),
            other => Self::internal(other),
        }
    }
}

/// Turns any error into an internal [`ApiError`], logging it with some context.
pub trait ResultExt<T> {
    /// On error, logs `context: error` and answers 500 `internal`.
    fn or_internal(self, context: &str) -> Result<T, ApiError>;
}

impl<T, E: fmt::Display> ResultExt<T> for Result<T, E> {
    fn or_internal(self, context: &str) -> Result<T, ApiError> {
        self.map_err(|e| ApiError::internal(format_args!("{context}: {e}")))
    }
}

/// Turns a missing value into a 404 [`ApiError`].
pub trait OptionExt<T> {
    /// `None` → 404 `not_found` with the given message.
    fn or_not_found(self, message: impl Into<String>) -> Result<T, ApiError>;
}

impl<T> OptionExt<T> for Option<T> {
    fn or_not_found(self, message: impl Into<String>) -> Result<T, ApiError> {
        self.ok_or_else(|| ApiError::not_found(message))
    }
}

#[cfg(test)]
mod tests {
    use axum::body::to_bytes;

    use super::*;

    async fn body_of(err: ApiError) -> (StatusCode, serde_json::Value) {
        let response = err.into_response();
        let status = response.status();
        let bytes = to_bytes(response.into_body(), 1 << 16).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn shape_is_error_code_message() {
        let (status, body) = body_of(ApiError::not_found("No tenant named acme.")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(
            body,
            serde_json::json!({"error": {"code": "not_found", "message": "No tenant named acme."}})
        );
    }

    #[tokio::test]
    async fn internal_hides_the_detail() {
        let (status, body) = body_of(ApiError::internal("db password=hunter2 refused")).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["error"]["code"], "internal");
        assert!(!body.to_string().contains("hunter2"));
    }

    #[test]
    fn constructors_have_their_status() {
        let cases = [
            (ApiError::bad_request("x"), 400, "bad_request"),
            (ApiError::unauthorized("x"), 401, "unauthorized"),
            (ApiError::forbidden("x"), 403, "forbidden"),
            (ApiError::not_found("x"), 404, "not_found"),
            (ApiError::method_not_allowed("x"), 405, "method_not_allowed"),
            (ApiError::conflict("x"), 409, "conflict"),
            (
                ApiError::payload_too_large(Some(10)),
                413,
                "payload_too_large",
            ),
            (
                ApiError::unsupported_media_type("x"),
                415,
                "unsupported_media_type",
            ),
            (ApiError::unprocessable("x"), 422, "unprocessable"),
            (ApiError::internal("x"), 500, "internal"),
        ];
        for (err, status, code) in cases {
            assert_eq!(err.status.as_u16(), status);
            assert_eq!(err.code, code);
        }
    }

    #[test]
    fn from_status_uses_detail_for_client_errors_only() {
        let err =
            ApiError::from_status(StatusCode::BAD_REQUEST, Some("invalid query: missing `x`"));
        assert_eq!(err.message, "Invalid query: missing `x`.");
        let err = ApiError::from_status(StatusCode::BAD_GATEWAY, Some("upstream 10.0.0.3 down"));
        assert_eq!(err.code, "internal");
        assert_eq!(err.message, INTERNAL_MESSAGE);
    }

    #[test]
    fn helpers_convert() {
        let r: Result<(), std::io::Error> = Err(std::io::Error::other("disk"));
        assert_eq!(r.or_internal("saving").unwrap_err().status, 500);
        let o: Option<u8> = None;
        assert_eq!(o.or_not_found("No call c1.").unwrap_err().status, 404);
        let err: ApiError = StorageError::InvalidKey {
            key: "../x".into(),
            reason: "'..' segment",
        }
        .into();
        assert_eq!(err.status, 400);
    }
}
