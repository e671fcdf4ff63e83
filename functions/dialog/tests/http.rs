//! `POST /v1/turn` over loopback HTTP, as VoxEngine calls it: signed requests, the state
//! token carried between turns, refusals in the kit's JSON error shape.

use serde_json::{Value, json};
use std::sync::Arc;
use sva_abi::{Action, StepInput, StepOutput};
use sva_dialog::{Dialog, DialogOptions, MemoryDirectory, ScenarioRouting, Tenant};
use sva_turn::StepFailure;
use sva_wire::signature;

const SECRET: &[u8] = b"demo-secret";

async fn start() -> String {
    let directory = Arc::new(MemoryDirectory::default());
    directory.put_tenant(Tenant {
        context: sva_abi::TenantContext {
            id: "demo".into(),
            ..Default::default()
        },
        signing_secret: SECRET.to_vec(),
        previous_secrets: Vec::new(),
        disabled: false,
        fallback_phrase: "Повторите, пожалуйста.".into(),
        voice: "ru_RU_alena".into(),
        utc_offset_minutes: 180,
        routing: ScenarioRouting::only("v1"),
        prices: Default::default(),
        calls: Default::default(),
        llm: Default::default(),
        recording_notice: String::new(),
    });
    let echo = |input: &StepInput| -> Result<StepOutput, StepFailure> {
        let n = input
            .state
            .to_value()
            .get("n")
            .and_then(Value::as_u64)
            .unwrap_or(0)
            + 1;
        Ok(StepOutput {
            state: json!({ "n": n }).into(),
            actions: vec![
                Action::say(format!("ход {n}")),
                Action::Listen { timeout_ms: 5000 },
            ],
        })
    };
    directory.put_scenario("demo", "v1", Arc::new(echo));
    let dialog = Arc::new(Dialog::new(
        directory,
        DialogOptions {
            token_key: b"service-key".to_vec(),
            ..DialogOptions::default()
        },
    ));
    let app = sva_kit::serve::app(sva_dialog::http::router(dialog), &Default::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(sva_kit::serve_on(listener, app));
    format!("http://{address}")
}

async fn post(base: &str, body: &Value, secret: &[u8]) -> (u16, Value) {
    post_to(base, "/v1/turn", body, secret).await
}

async fn post_to(base: &str, path: &str, body: &Value, secret: &[u8]) -> (u16, Value) {
    let body = serde_json::to_vec(body).unwrap();
    let now = sva_kit::unix_now();
    let response = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .header("content-type", "application/json")
        .header("x-sva-tenant", "demo")
        .header("x-sva-timestamp", now.to_string())
        .header("x-sva-signature", signature::sign(secret, now, &body))
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn turn(seq: u32, event: Value, token: Option<&str>) -> Value {
    json!({
        "tenant": "demo",
        "call": {"id": "c-1", "direction": "inbound", "caller": "+79161234567"},
        "seq": seq,
        "event": event,
        "token": token,
    })
}

#[tokio::test]
async fn a_call_over_http() {
    let base = start().await;
    let (status, first) = post(
        &base,
        &turn(0, json!({"type": "call_started"}), None),
        SECRET,
    )
    .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        first["actions"][0],
        json!({"type": "say", "text": "ход 1", "barge_in": true, "voice": "ru_RU_alena"})
    );
    let token = first["token"].as_str().unwrap();
    let (status, second) = post(
        &base,
        &turn(
            1,
            json!({"type": "utterance", "text": "да", "confidence": 0.9}),
            Some(token),
        ),
        SECRET,
    )
    .await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["actions"][0]["text"], "ход 2");
    assert_eq!(
        second["actions"][1],
        json!({"type": "listen", "timeout_ms": 5000})
    );
}

#[tokio::test]
async fn refusals_come_in_the_error_shape() {
    let base = start().await;
    let (status, body) = post(
        &base,
        &turn(0, json!({"type": "call_started"}), None),
        b"wrong",
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("bad_signature")),
        "{body}"
    );
    let (status, body) = post(&base, &json!({"tenant": "demo"}), SECRET).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("bad_request")),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("missing field"),
        "{body}"
    );
    // The end-of-call route is mounted and checks the token before anything else.
    let (status, body) = post_to(
        &base,
        "/v1/calls/c-1/end",
        &json!({"tenant": "demo", "call": {"id": "c-1"}, "token": "x.y"}),
        SECRET,
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("bad_token")),
        "{body}"
    );
    let get = reqwest::get(format!("{base}/v1/turn")).await.unwrap();
    assert_eq!(get.status().as_u16(), 405);
    let health = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
}
