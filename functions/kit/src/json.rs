//! [`Json`]: axum's JSON extractor and response, with rejections in our error shape.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON request body or response body.
///
/// As an extractor it refuses, in our error shape ([`ApiError`]):
/// * a missing or non-JSON `Content-Type` — 415 `unsupported_media_type`;
/// * a body over the limit — 413 `payload_too_large`;
/// * a body that is not JSON — 400 `malformed_json`, with serde's line and column;
/// * JSON of the wrong shape — 400 `invalid_field`, naming the field
///   (`Field \`lead.budget\` is invalid: invalid type: string "a lot", expected u64`).
///
/// As a response it serializes `T` with `Content-Type: application/json`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    /// The wrapped value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(ApiError::unsupported_media_type(
                "Expected a JSON body: set `Content-Type: application/json`.",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::payload_too_large(None)
            } else {
                ApiError::bad_request(format!(
                    "Could not read the request body: {}",
                    rejection.body_text()
                ))
            }
        })?;
        parse(&bytes).map(Json)
    }
}

/// Deserializes a JSON document, describing a failure as an [`ApiError`].
pub(crate) fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                if path == "." {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "invalid_field",
                        format!("The request body does not have the expected fields: {inner}."),
                    )
                } else {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "invalid_field",
                        format!("Field `{path}` is invalid: {inner}."),
                    )
                }
            }
            _ => malformed(&inner),
        }
    })?;
    de.end().map_err(|e| malformed(&e))?;
    Ok(value)
}

fn malformed(err: &serde_json::Error) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "malformed_json",
        format!("The request body is not valid JSON: {err}."),
    )
}

/// `application/json` or any `application/*+json`, with or without parameters.
pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mime = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Lead {
        name: String,
        budget: Budget,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Budget {
        amount: u64,
    }

    #[test]
    fn names_the_wrong_field() {
        let err = parse::<Lead>(r#"{"name": "Анна", "budget": {"amount": "a lot"}}"#.as_bytes())
            .unwrap_err();
        assert_eq!(err.code, "invalid_field");
        assert!(err.message.contains("`budget.amount`"), "{}", err.message);
        let err = parse::<Lead>(br#"{"budget": {"amount": 1}}"#).unwrap_err();
        assert!(
            err.message.contains("missing field `name`"),
            "{}",
            err.message
        );
    }

    #[test]
    fn malformed_is_400() {
        for body in [&b"{"[..], b"{\"name\": }", b"{} trailing", b""] {
            let err = parse::<serde_json::Value>(body).unwrap_err();
            assert_eq!(err.status, StatusCode::BAD_REQUEST);
            assert_eq!(err.code, "malformed_json", "{body:?}");
        }
    }

    #[test]
    fn content_types() {
        let mut headers = HeaderMap::new();
        assert!(!is_json(&headers));
        for (ct, ok) in [
            ("application/json", true),
            ("application/json; charset=utf-8", true),
            ("application/vnd.sva+json", true),
            ("text/plain", false),
            ("application/jsonx", false),
        ] {
            headers.insert(header::CONTENT_TYPE, ct.parse().unwrap());
            assert_eq!(is_json(&headers), ok, "{ct}");
        }
    }
}
