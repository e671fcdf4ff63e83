//! The serving side end to end: a router behind the standard layers, served by
//! `serve_on` on a free loopback port, driven by a real HTTP client.

// Shared test helpers and suite functions are not #[test] functions: a panic there
// is the failure report too.
#![allow(clippy::unwrap_used)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::Router;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sva_kit::error::OptionExt;
use sva_kit::serve::{Adapter, ServeConfig, ServeError, app, serve_on_until};
use sva_kit::{ApiError, Json, serve, serve_on};
use tokio::net::TcpListener;

const LIMIT: usize = 1024;

#[derive(Debug, Deserialize)]
struct NewLead {
    name: String,
    budget: Budget,
}

#[derive(Debug, Deserialize)]
struct Budget {
    amount: u64,
}

#[derive(Debug, Serialize)]
struct Created {
    id: String,
    name: String,
    amount: u64,
}

async fn create_lead(Json(lead): Json<NewLead>) -> Result<Json<Created>, ApiError> {
    if lead.name.is_empty() {
        return Err(ApiError::unprocessable("The name is empty."));
    }
    Ok(Json(Created {
        id: "lead-1".into(),
        name: lead.name,
        amount: lead.budget.amount,
    }))
}

async fn get_lead(Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let found: Option<Value> = None;
    let lead = found.or_not_found(format!("No lead {id}."))?;
    Ok(Json(lead))
}

async fn item(Path(n): Path<u32>) -> String {
    n.to_string()
}

fn router() -> Router {
    Router::new()
        .route("/v1/leads", post(create_lead))
        .route("/v1/leads/{id}", get(get_lead))
        .route("/v1/items/{n}", get(item))
        .route(
            "/v1/raw",
            post(|body: Bytes| async move { body.len().to_string() }),
        )
        .route(
            "/v1/boom",
            get(|| async { Err::<(), _>(ApiError::internal("db password=hunter2 refused")) }),
        )
        .route(
            "/v1/plain",
            get(|| async { (StatusCode::CONFLICT, "version 3 is already active") }),
        )
        .route(
            "/v1/plain-500",
            get(|| async {
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "stack trace with secrets",
                )
            }),
        )
}

fn config() -> ServeConfig {
    ServeConfig {
        body_limit: LIMIT,
        ..ServeConfig::default()
    }
}

/// Serves the app with `serve_on` on a free port; the server stops with the test's
/// runtime.
async fn start() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve_on(listener, app(router(), &config())));
    format!("http://{addr}")
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn json_of(response: reqwest::Response) -> (StatusCode, Value) {
    let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = response.text().await.unwrap();
    assert_eq!(
        content_type.as_deref(),
        Some("application/json"),
        "body: {text}"
    );
    (status, serde_json::from_str(&text).unwrap())
}

/// Asserts our error shape and returns the message.
fn error_of(body: &Value, code: &str) -> String {
    let error = body["error"].as_object().expect("an error object");
    assert_eq!(error.len(), 2, "{body}");
    assert_eq!(error["code"], code, "{body}");
    let message = error["message"].as_str().unwrap().to_owned();
    assert!(!message.is_empty());
    message
}

#[tokio::test]
async fn healthz() {
    let base = start().await;
    let (status, body) = json_of(
        client()
            .get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"status": "ok"}));
    let head = client()
        .head(format!("{base}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status().as_u16(), 200);
}

#[tokio::test]
async fn handler_success() {
    let base = start().await;
    let response = client()
        .post(format!("{base}/v1/leads"))
        .json(&json!({"name": "Наталья", "budget": {"amount": 1500000}}))
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["name"], "Наталья");
    assert_eq!(body["amount"], 1_500_000);
}

#[tokio::test]
async fn unknown_route_is_404_in_our_shape() {
    let base = start().await;
    let (status, body) = json_of(client().get(format!("{base}/nope")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    error_of(&body, "not_found");
    let (status, body) = json_of(
        client()
            .get(format!("{base}/v1/leads/42"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_of(&body, "not_found"), "No lead 42.");
}

#[tokio::test]
async fn wrong_method_is_405_in_our_shape() {
    let base = start().await;
    let response = client()
        .get(format!("{base}/v1/leads"))
        .send()
        .await
        .unwrap();
    let allow = response
        .headers()
        .get("allow")
        .map(|v| v.to_str().unwrap().to_owned());
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    error_of(&body, "method_not_allowed");
    assert!(allow.is_some_and(|a| a.contains("POST")));
}

#[tokio::test]
async fn oversized_body_is_413_in_our_shape() {
    let base = start().await;
    let big = format!(
        r#"{{"name": "{}", "budget": {{"amount": 1}}}}"#,
        "а".repeat(LIMIT)
    );
    let response = client()
        .post(format!("{base}/v1/leads"))
        .header("content-type", "application/json")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    error_of(&body, "payload_too_large");

    // Through a plain extractor too (axum's rejection, rewritten).
    let response = client()
        .post(format!("{base}/v1/raw"))
        .body(big)
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    error_of(&body, "payload_too_large");

    // Just under the limit passes.
    let response = client()
        .post(format!("{base}/v1/raw"))
        .body("x".repeat(LIMIT))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test]
async fn malformed_json_is_400_with_a_message() {
    let base = start().await;
    let response = client()
        .post(format!("{base}/v1/leads"))
        .header("content-type", "application/json")
        .body(r#"{"name": "Анна", "budget": "#)
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = error_of(&body, "malformed_json");
    assert!(message.contains("not valid JSON"), "{message}");
    assert!(message.contains("line 1"), "{message}");
}

#[tokio::test]
async fn wrong_field_is_400_naming_the_field() {
    let base = start().await;
    let response = client()
        .post(format!("{base}/v1/leads"))
        .json(&json!({"name": "Анна", "budget": {"amount": "a lot"}}))
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = error_of(&body, "invalid_field");
    assert!(message.contains("`budget.amount`"), "{message}");

    let response = client()
        .post(format!("{base}/v1/leads"))
        .json(&json!({"name": ""}))
        .send()
        .await
        .unwrap();
    let (_, body) = json_of(response).await;
    let message = error_of(&body, "invalid_field");
    assert!(message.contains("missing field `budget`"), "{message}");
}

#[tokio::test]
async fn non_json_content_type_is_415() {
    let base = start().await;
    let response = client()
        .post(format!("{base}/v1/leads"))
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    error_of(&body, "unsupported_media_type");
}

#[tokio::test]
async fn internal_errors_do_not_leak() {
    let base = start().await;
    for path in ["/v1/boom", "/v1/plain-500"] {
        let (status, body) =
            json_of(client().get(format!("{base}{path}")).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        error_of(&body, "internal");
        let text = body.to_string();
        assert!(
            !text.contains("hunter2") && !text.contains("secrets"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn plain_text_errors_are_rewritten() {
    let base = start().await;
    let (status, body) = json_of(
        client()
            .get(format!("{base}/v1/plain"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_of(&body, "conflict"), "Version 3 is already active.");
    // axum's own path rejection.
    let (status, body) = json_of(
        client()
            .get(format!("{base}/v1/items/abc"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = error_of(&body, "bad_request");
    assert!(message.contains("abc"), "{message}");
}

#[tokio::test]
async fn request_ids() {
    let base = start().await;
    let id_of = |r: &reqwest::Response| {
        r.headers()
            .get("x-request-id")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let generated = client()
        .get(format!("{base}/v1/items/1"))
        .send()
        .await
        .unwrap();
    assert_eq!(id_of(&generated).len(), 36, "a UUID");
    let kept = client()
        .get(format!("{base}/v1/items/1"))
        .header("x-request-id", "vox-abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(id_of(&kept), "vox-abc-123");
    let replaced = client()
        .get(format!("{base}/v1/items/1"))
        .header("x-request-id", "bad id with spaces")
        .send()
        .await
        .unwrap();
    let id = id_of(&replaced);
    assert_eq!(id.len(), 36, "{id}");
}

#[tokio::test]
async fn graceful_shutdown_on_signal() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve_on_until(listener, app(router(), &config()), async {
        let _ = stopped.await;
    }));
    let response = client()
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    stop.send(()).unwrap();
    let result = tokio::time::timeout(std::time::Duration::from_secs(10), server)
        .await
        .expect("server stops")
        .unwrap();
    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn serve_reports_a_busy_port() {
    let taken = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = taken.local_addr().unwrap().port();
    let config = ServeConfig {
        adapter: Adapter::Http,
        host: IpAddr::V4(Ipv4Addr::LOCALHOST),
        port,
        body_limit: LIMIT,
    };
    let err = serve(router(), &config).await.unwrap_err();
    match err {
        ServeError::Bind { addr, .. } => {
            assert_eq!(addr, SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
        }
        other => panic!("expected a bind error, got {other}"),
    }
}
