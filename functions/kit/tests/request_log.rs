//! The request log: method, path, status and latency, never bodies; phone numbers in
//! paths masked. In its own test binary, because it installs the global subscriber.

use axum::Router;
use axum::extract::Path;
use axum::routing::{get, post};
use serde_json::{Value, json};
use sva_kit::logging::{CaptureWriter, EnvFilter, LogFormat, subscriber};
use sva_kit::serve::{ServeConfig, app};
use sva_kit::{ApiError, Json, serve_on};
use tokio::net::TcpListener;

#[tokio::test]
async fn request_log_has_no_bodies() {
    let capture = CaptureWriter::new();
    let filter = EnvFilter::try_new("info").unwrap();
    tracing::subscriber::set_global_default(subscriber(LogFormat::Json, filter, capture.clone()))
        .unwrap();

    let router = Router::new()
        .route(
            "/v1/leads",
            post(|Json(v): Json<Value>| async move { Json(v) }),
        )
        .route(
            "/v1/leads/{id}",
            get(|Path(id): Path<String>| async move {
                Err::<(), _>(ApiError::not_found(format!("No lead {id}.")))
            }),
        );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve_on(listener, app(router, &ServeConfig::default())));

    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let response = client
        .post(format!("{base}/v1/leads"))
        .json(&json!({"name": "BODY-MARKER"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.text().await.unwrap().contains("BODY-MARKER"));
    let response = client
        .get(format!("{base}/v1/leads/+79161234567?phone=89161234567"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);

    let logs = capture.contents();
    assert!(!logs.contains("BODY-MARKER"), "{logs}");
    assert!(!logs.contains("9161234567"), "{logs}");
    assert!(!logs.contains("phone="), "no query strings: {logs}");
    let events: Vec<Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|e: &Value| e["message"] == "response")
        .collect();
    assert_eq!(events.len(), 2, "{logs}");
    assert_eq!(events[0]["status"], 200);
    assert_eq!(events[0]["span"]["method"], "POST");
    assert_eq!(events[0]["span"]["path"], "/v1/leads");
    assert!(events[0]["latency_ms"].is_u64(), "{logs}");
    assert_eq!(events[0]["span"]["request_id"].as_str().unwrap().len(), 36);
    assert_eq!(events[1]["status"], 404);
    assert_eq!(events[1]["span"]["path"], "/v1/leads/+7916***4567");
}
