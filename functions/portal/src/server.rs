//! HTTP: the routes, the REST pipeline (faults, leaky bucket, decoding, authentication,
//! method, faults after the method), the token endpoint and the `/_sandbox` control routes.

use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::ctx::{Auth, Ctx, Fetched, Reply};
use crate::error::ApiError;
use crate::methods;
use crate::net::Conn;
use crate::params::{self, BodyKind, Param};
use crate::{Counters, Fault, Portal, clock, oauth, page, telephony};

/// The largest request body read (recordings travel as base64).
const BODY_LIMIT: usize = 64 << 20;

/// The routes of a portal.
pub(crate) fn router(portal: Portal) -> Router {
    Router::new()
        .route("/rest", any(rest))
        .route("/rest/", any(rest))
        .route("/rest/{*path}", any(rest))
        .route("/oauth/token", any(token))
        .route("/oauth/token/", any(token))
        .route("/_sandbox", get(sandbox_page))
        .route("/_sandbox/", get(sandbox_page))
        .route("/_sandbox/state", get(sandbox_state))
        .route("/_sandbox/faults", post(sandbox_faults))
        .route("/_sandbox/upload/{call_id}", post(sandbox_upload))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(portal)
}

/// A JSON answer with Bitrix24's content type.
fn json_response(status: StatusCode, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut res = (status, bytes).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    res
}

/// An error answer: `{error, error_description}`, no `time`.
fn error_response(e: &ApiError) -> Response {
    json_response(e.status(), &e.body())
}

/// A success answer: `result`, `next`/`total` for lists, and `time`.
fn success_response(reply: Reply, started: f64) -> Response {
    let mut body = serde_json::Map::new();
    body.insert("result".into(), reply.result);
    if let Some(next) = reply.next {
        body.insert("next".into(), json!(next));
    }
    if let Some(total) = reply.total {
        body.insert("total".into(), json!(total));
    }
    body.insert("time".into(), clock::time_block(started, clock::now()));
    json_response(StatusCode::OK, &Value::Object(body))
}

/// The HTML page a proxy in front of an overloaded portal answers with.
fn unavailable_page() -> Response {
    let html = "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
    let mut res = (StatusCode::SERVICE_UNAVAILABLE, html).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    res
}

/// Where a `/rest/…` path leads.
#[derive(Debug, PartialEq, Eq)]
enum Route<'a> {
    /// `/rest/{user}/{code}/{method}`.
    Webhook {
        user: &'a str,
        code: &'a str,
        method: String,
    },
    /// `/rest/{method}`.
    App { method: String },
    /// Anything else.
    NotFound,
}

/// Strips an optional `.json` (or `.xml`) suffix.
fn method_name(segment: &str) -> String {
    let lower = segment.to_ascii_lowercase();
    let bare = lower
        .strip_suffix(".json")
        .or_else(|| lower.strip_suffix(".xml"))
        .unwrap_or(&lower);
    bare.to_owned()
}

fn route(path: &str) -> Route<'_> {
    let rest = path.strip_prefix("/rest").unwrap_or(path);
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        [method] => Route::App {
            method: method_name(method),
        },
        [user, code, method] => Route::Webhook {
            user,
            code,
            method: method_name(method),
        },
        _ => Route::NotFound,
    }
}

fn host_of(headers: &HeaderMap) -> String {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty())
        .unwrap_or("127.0.0.1")
        .to_owned()
}

fn content_type(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
}

/// Who a request acts as: the way in, the user and the method.
fn authenticate<'r>(
    portal: &Portal,
    route: &'r Route<'_>,
    params: &Param,
) -> Result<(Auth, u64, &'r str), ApiError> {
    let inner = portal.inner();
    match route {
        Route::NotFound => Err(ApiError::MethodNotFound),
        Route::Webhook { user, code, method } => {
            let config = &inner.config;
            if *user != config.webhook_user_id.to_string() || *code != config.webhook_code {
                return Err(ApiError::NoAuth);
            }
            Ok((Auth::Webhook, config.webhook_user_id, method))
        }
        Route::App { method } => {
            let token = params
                .get("auth")
                .and_then(Param::text)
                .filter(|t| !t.is_empty())
                .ok_or(ApiError::NoAuth)?;
            let user = inner.read(|s| oauth::check_access(s, &token))?;
            Ok((Auth::OAuth, user, method))
        }
    }
}

/// Downloads the recording `attachRecord` names by `RECORD_URL`, as the portal does
/// before it answers (`api-reference/telephony/telephony-external-call-attach-record`:
/// «Битрикс24 сам скачает файл»); `None` when the method downloads nothing.
async fn fetch_record(portal: &Portal, method: &str, params: &Param) -> Option<Fetched> {
    if !methods::downloads_record(method) {
        return None;
    }
    let p = params.upper_keys();
    if p.get("FILE_CONTENT").is_some() {
        return None;
    }
    let url = p.get("RECORD_URL").and_then(Param::text)?;
    let client = reqwest::Client::builder()
        .timeout(portal.config().record_fetch_timeout)
        .build()
        .ok()?;
    Some(match client.get(url.trim()).send().await {
        Ok(res) if res.status().is_success() => match res.bytes().await {
            Ok(body) => Fetched::Body(body.len()),
            Err(_) => Fetched::Failed(0),
        },
        Ok(res) => Fetched::Failed(res.status().as_u16()),
        Err(_) => Fetched::Failed(0),
    })
}

/// Authenticates and runs the method of a decoded request.
async fn execute(
    portal: &Portal,
    route: &Route<'_>,
    params: &Param,
    host: &str,
) -> Result<Reply, ApiError> {
    let (auth, user_id, method) = authenticate(portal, route, params)?;
    let fetched = fetch_record(portal, method, params).await;
    let ctx = Ctx {
        inner: portal.inner(),
        user_id,
        auth,
        host,
        in_batch: false,
        fetched: fetched.as_ref(),
    };
    methods::call(&ctx, method, params)
}

/// `/rest/…`: the whole pipeline.
async fn rest(State(portal): State<Portal>, req: Request) -> Response {
    let started = clock::now();
    let inner = portal.inner();
    Counters::bump(&inner.counters.requests);
    let latency = inner.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let (parts, body) = req.into_parts();
    let conn = parts
        .extensions
        .get::<ConnectInfo<Conn>>()
        .map(|c| c.0.clone());

    let fault = inner.faults.draw();
    match fault {
        Some(Fault::Unavailable) => {
            Counters::bump(&inner.counters.faults_injected);
            return unavailable_page();
        }
        Some(Fault::RateLimited) => {
            Counters::bump(&inner.counters.faults_injected);
            return error_response(&ApiError::QueryLimit);
        }
        _ => {}
    }
    let admitted = inner
        .bucket
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .try_acquire(Instant::now());
    if !admitted {
        Counters::bump(&inner.counters.rate_limited);
        return error_response(&ApiError::QueryLimit);
    }

    let bytes = match to_bytes(body, BODY_LIMIT).await {
        Ok(b) => b,
        Err(_) => {
            return error_response(&ApiError::Argument(
                "The request body could not be read.".into(),
            ));
        }
    };
    let kind = BodyKind::of(parts.method == Method::POST, content_type(&parts.headers));
    let host = host_of(&parts.headers);
    let outcome = match params::decode(parts.uri.query(), kind, &bytes) {
        Ok(params) => execute(&portal, &route(parts.uri.path()), &params, &host).await,
        Err(e) => Err(e),
    };
    let status = outcome
        .as_ref()
        .map_or_else(|e| e.status(), |_| StatusCode::OK);
    tracing::debug!(status = status.as_u16(), "sandbox portal REST call");
    let response = match outcome {
        Ok(reply) => success_response(reply, started),
        Err(e) => error_response(&e),
    };
    if fault.is_some() {
        Counters::bump(&inner.counters.faults_injected);
    }
    match fault {
        Some(Fault::InternalError) => error_response(&ApiError::Internal),
        Some(Fault::Hang) => {
            tokio::time::sleep(inner.config.hang).await;
            response
        }
        Some(Fault::DropAfterWrite) => match conn {
            Some(switch) => {
                switch.0.kill();
                response
            }
            None => {
                tokio::time::sleep(inner.config.hang).await;
                response
            }
        },
        _ => response,
    }
}

/// `/oauth/token/`: GET query or POST form/JSON.
async fn token(State(portal): State<Portal>, req: Request) -> Response {
    let latency = portal.faults().latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, 1 << 20).await.unwrap_or_default();
    let kind = BodyKind::of(parts.method == Method::POST, content_type(&parts.headers));
    let params = params::decode(parts.uri.query(), kind, &bytes).unwrap_or_else(|_| Param::map());
    let (status, body) = oauth::token_endpoint(portal.inner(), &params, &host_of(&parts.headers));
    json_response(status, &body)
}

/// `GET /_sandbox/`: the page for people.
async fn sandbox_page(State(portal): State<Portal>) -> Response {
    let mut res = page::render(&portal).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    res
}

/// `GET /_sandbox/state`.
async fn sandbox_state(State(portal): State<Portal>) -> Response {
    json_response(StatusCode::OK, &portal.state())
}

/// The body of `POST /_sandbox/faults`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultCommand {
    fail_next: Option<u32>,
    fault: Option<Fault>,
    ratio: Option<f64>,
    kinds: Option<Vec<Fault>>,
    seed: Option<u64>,
    clear: Option<bool>,
    latency_ms: Option<u64>,
}

/// `POST /_sandbox/faults`: `{"fail_next":N,"fault":"hang"}`, `{"ratio":…,"kinds":[…],"seed":…}`,
/// `{"latency_ms":N}` or `{"clear":true}`.
async fn sandbox_faults(State(portal): State<Portal>, body: Bytes) -> Response {
    let bad = |why: String| json_response(StatusCode::BAD_REQUEST, &json!({"error": why}));
    let cmd: FaultCommand = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => return bad(format!("invalid fault command: {e}")),
    };
    let faults = portal.faults();
    match cmd {
        FaultCommand {
            clear: Some(true), ..
        } => faults.clear(),
        FaultCommand {
            latency_ms: Some(ms),
            ..
        } => faults.set_latency(std::time::Duration::from_millis(ms)),
        FaultCommand {
            fail_next: Some(n),
            fault: Some(fault),
            ..
        } => faults.fail_next(n, fault),
        FaultCommand {
            ratio: Some(ratio),
            kinds: Some(kinds),
            ..
        } if ratio.is_finite() => faults.fail_randomly(ratio, &kinds, cmd.seed.unwrap_or(0)),
        _ => {
            return bad(
                "expected {\"fail_next\":N,\"fault\":…}, {\"ratio\":…,\"kinds\":[…],\"seed\":…}, {\"latency_ms\":N} or {\"clear\":true}"
                    .into(),
            );
        }
    }
    json_response(StatusCode::OK, &json!({"ok": true}))
}

/// `POST /_sandbox/upload/{call_id}`: the recording upload `attachRecord` points to.
async fn sandbox_upload(
    State(portal): State<Portal>,
    Path(call_id): Path<String>,
    body: Body,
) -> Response {
    let size = to_bytes(body, BODY_LIMIT)
        .await
        .map(|b| b.len())
        .unwrap_or(0);
    match telephony::upload(portal.inner(), &call_id, size) {
        Ok(file_id) => success_response(Reply::value(json!({"FILE_ID": file_id})), clock::now()),
        Err(e) => error_response(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(
            route("/rest/crm.lead.add.json"),
            Route::App {
                method: "crm.lead.add".into()
            }
        );
        assert_eq!(
            route("/rest/1/abc/CRM.Lead.Get/"),
            Route::Webhook {
                user: "1",
                code: "abc",
                method: "crm.lead.get".into()
            }
        );
        assert_eq!(route("/rest/abc/crm.lead.get"), Route::NotFound);
        assert_eq!(route("/rest/"), Route::NotFound);
    }
}
