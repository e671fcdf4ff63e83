//! The standard layers every function's router gets.

use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::Span;

use super::ServeConfig;
use crate::error::ApiError;
use crate::json::is_json;

/// The health check path, answered before routing: `{"status": "ok"}`.
pub const HEALTHZ_PATH: &str = "/healthz";

/// The request id header: kept from the request when it is a short token, generated
/// (UUID v4) otherwise, echoed on the response and recorded in the request's log span.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// How much of a plain-text error body is read to reuse as the message.
const MAX_ERROR_BODY: usize = 4096;

/// Adds the standard layers to `router`:
///
/// * `GET`/`HEAD` [`HEALTHZ_PATH`] → 200 `{"status": "ok"}` (answered before routing and
///   not logged, so it never collides with a route);
/// * a request id ([`REQUEST_ID_HEADER`]);
/// * a tracing span per request and one `response` event with method, path, status and
///   latency — never bodies, headers or the query string;
/// * every error response in our shape: unknown route → 404 `not_found`, wrong method →
///   405 `method_not_allowed`, body over the limit → 413 `payload_too_large`, and any
///   other plain-text 4xx/5xx (axum's extractor rejections) rewritten to
///   `{"error": {...}}` (server errors without their detail);
/// * the request body limit `config.body_limit` for every extractor (raise it on one
///   route with `.layer(DefaultBodyLimit::max(n))` on that route).
///
/// Call it once, on the final router ([`serve`](super::serve) does).
pub fn app(router: Router, config: &ServeConfig) -> Router {
    let request_id = HeaderName::from_static(REQUEST_ID_HEADER);
    let trace = TraceLayer::new_for_http()
        .make_span_with(make_span)
        .on_response(on_response)
        .on_body_chunk(())
        .on_eos(());
    router
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(config.body_limit))
        .layer(middleware::from_fn(normalize_errors))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(trace)
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(middleware::from_fn(drop_bad_request_id))
        .layer(middleware::from_fn(answer_healthz))
}

/// The health check handler: 200 `{"status": "ok"}`.
pub async fn healthz() -> Response {
    axum::Json(serde_json::json!({"status": "ok"})).into_response()
}

async fn answer_healthz(req: Request, next: Next) -> Response {
    if req.uri().path() == HEALTHZ_PATH && matches!(*req.method(), Method::GET | Method::HEAD) {
        return healthz().await;
    }
    next.run(req).await
}

async fn not_found() -> ApiError {
    ApiError::not_found("No such resource.")
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed("This method is not allowed on this resource.")
}

/// A client-supplied request id is logged and echoed: accept only a short token.
fn is_good_request_id(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

async fn drop_bad_request_id(mut req: Request, next: Next) -> Response {
    let bad = req
        .headers()
        .get_all(REQUEST_ID_HEADER)
        .iter()
        .any(|v| !is_good_request_id(v.as_bytes()));
    if bad || req.headers().get_all(REQUEST_ID_HEADER).iter().count() > 1 {
        req.headers_mut().remove(REQUEST_ID_HEADER);
    }
    next.run(req).await
}

fn make_span(req: &Request<Body>) -> Span {
    let request_id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        method = %req.method(),
        path = %req.uri().path(),
        request_id = %request_id,
    )
}

fn on_response(response: &Response<Body>, latency: Duration, _span: &Span) {
    let latency_ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
    tracing::info!(status = response.status().as_u16(), latency_ms, "response");
}

/// Rewrites plain-text or empty 4xx/5xx responses into our error shape.
async fn normalize_errors(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(response.headers()) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = to_bytes(body, MAX_ERROR_BODY)
        .await
        .ok()
        .and_then(|bytes| String::from_utf8(bytes.to_vec()).ok())
        .unwrap_or_default();
    let error = if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::payload_too_large(None)
    } else {
        if status.is_server_error() {
            tracing::error!(status = status.as_u16(), detail = %text, "server error");
        }
        ApiError::from_status(status, Some(&text))
    };
    let mut rewritten = error.into_response();
    for name in [header::ALLOW, header::WWW_AUTHENTICATE, header::RETRY_AFTER] {
        if let Some(value) = parts.headers.get(&name) {
            rewritten.headers_mut().insert(name, value.clone());
        }
    }
    rewritten
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids() {
        assert!(is_good_request_id(b"3f2a-11:ab_c.d"));
        assert!(!is_good_request_id(b""));
        assert!(!is_good_request_id(b"a b"));
        assert!(!is_good_request_id(b"line\nbreak"));
        assert!(!is_good_request_id(&[b'a'; 129]));
    }
}
