//! The turn protocol's defences, over HTTP against the local stack: signatures, the
//! timestamp window, state tokens bound to tenant and call, ordering, size, and tenant
//! isolation. Every refusal is a 4xx with a machine-readable code, never a 500.

use serde_json::{Value, json};
use sva_tests::{Stack, now};

fn turn(call: &str, seq: u32, event: Value, token: Option<&str>) -> Vec<u8> {
    turn_of("demo", call, seq, event, token)
}

fn turn_of(tenant: &str, call: &str, seq: u32, event: Value, token: Option<&str>) -> Vec<u8> {
    let mut body = json!({
        "tenant": tenant,
        "call": {"id": call, "direction": "inbound", "caller": "+79161234567"},
        "seq": seq,
        "event": event,
    });
    if let Some(token) = token {
        body["token"] = json!(token);
    }
    serde_json::to_vec(&body).unwrap()
}

fn code(answer: &Value) -> &str {
    answer["error"]["code"].as_str().unwrap_or_default()
}

/// Starts call `id`; returns the token of its first answer.
async fn started(stack: &Stack, id: &str) -> String {
    let (status, answer) = stack
        .post_signed(
            "/v1/turn",
            turn(id, 0, json!({"type": "call_started"}), None),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    answer["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn signatures_and_timestamps() {
    let stack = Stack::start().await;
    let secret = stack.stack.demo().secret.clone();
    let body = turn("c-sig", 0, json!({"type": "call_started"}), None);

    // A body changed after signing.
    let ts = now();
    let signature = sva_wire::signature::sign(secret.as_bytes(), ts, &body);
    let mut forged = body.clone();
    let at = forged.len() - 3;
    forged[at] = b' ';
    let (status, answer) = stack
        .post_raw("/v1/turn", forged, "demo", &ts.to_string(), &signature)
        .await;
    assert_eq!((status, code(&answer)), (401, "bad_signature"), "{answer}");

    // Signed with another secret.
    let (status, answer) = stack
        .post_as("/v1/turn", body.clone(), "demo", b"guessed", now())
        .await;
    assert_eq!((status, code(&answer)), (401, "bad_signature"));

    // Not signed at all.
    let (status, answer) = stack
        .post_raw("/v1/turn", body.clone(), "demo", &now().to_string(), "")
        .await;
    assert_eq!((status, code(&answer)), (401, "bad_signature"));

    // Signed ten minutes ago: a captured request replayed later.
    let (status, answer) = stack
        .post_as(
            "/v1/turn",
            body.clone(),
            "demo",
            secret.as_bytes(),
            now() - 600,
        )
        .await;
    assert_eq!((status, code(&answer)), (401, "stale_request"));

    // An unknown tenant.
    let (status, answer) = stack
        .post_as("/v1/turn", body.clone(), "nobody", secret.as_bytes(), now())
        .await;
    assert_eq!((status, code(&answer)), (404, "unknown_tenant"));

    // The answer never carries the secret.
    let (status, answer) = stack.post_signed("/v1/turn", body).await;
    assert_eq!(status, 200);
    assert!(!answer.to_string().contains(&secret));
}

#[tokio::test]
async fn tokens_are_bound_to_their_call_and_order() {
    let stack = Stack::start().await;
    let token_a = started(&stack, "call-a").await;
    let utter = json!({"type": "utterance", "text": "нам нужен склад", "confidence": 0.9});

    // Call A's token on call B.
    let (status, answer) = stack
        .post_signed("/v1/turn", turn("call-b", 1, utter.clone(), Some(&token_a)))
        .await;
    assert_eq!((status, code(&answer)), (403, "bad_token"), "{answer}");

    // A tampered token.
    let mut tampered = token_a.clone().into_bytes();
    tampered[10] = if tampered[10] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let (status, answer) = stack
        .post_signed(
            "/v1/turn",
            turn("call-a", 1, utter.clone(), Some(&tampered)),
        )
        .await;
    assert_eq!((status, code(&answer)), (403, "bad_token"));

    // Skipping a turn.
    let (status, answer) = stack
        .post_signed("/v1/turn", turn("call-a", 2, utter.clone(), Some(&token_a)))
        .await;
    assert_eq!((status, code(&answer)), (409, "out_of_order"));

    // A retry of the same turn gets the same answer.
    let (s1, first) = stack
        .post_signed("/v1/turn", turn("call-a", 1, utter.clone(), Some(&token_a)))
        .await;
    let (s2, retry) = stack
        .post_signed("/v1/turn", turn("call-a", 1, utter.clone(), Some(&token_a)))
        .await;
    assert_eq!((s1, s2), (200, 200));
    assert_eq!(first["actions"], retry["actions"]);
    assert_eq!(first["seq"], 1);

    // Going back: turn 1's token cannot be used for turn 1 again after turn 2.
    let token_1 = first["token"].as_str().unwrap();
    let (status, _) = stack
        .post_signed("/v1/turn", turn("call-a", 2, utter.clone(), Some(token_1)))
        .await;
    assert_eq!(status, 200);
    let (status, answer) = stack
        .post_signed("/v1/turn", turn("call-a", 1, utter, Some(token_1)))
        .await;
    assert_eq!((status, code(&answer)), (409, "out_of_order"));

    // call_started cannot smuggle a state.
    let (status, answer) = stack
        .post_signed(
            "/v1/turn",
            turn("call-c", 0, json!({"type": "call_started"}), Some(&token_a)),
        )
        .await;
    assert_eq!((status, code(&answer)), (400, "bad_request"));
}

#[tokio::test]
async fn malformed_and_oversized_requests() {
    let stack = Stack::start().await;
    let (status, answer) = stack.post_signed("/v1/turn", b"{not json".to_vec()).await;
    assert_eq!((status, code(&answer)), (400, "bad_request"));
    assert!(!answer["error"]["message"].as_str().unwrap().is_empty());

    let (status, answer) = stack
        .post_signed("/v1/turn", turn("c", 0, json!({"type": "teleport"}), None))
        .await;
    assert_eq!((status, code(&answer)), (400, "bad_request"), "{answer}");

    let huge = "а".repeat(300 << 10);
    let (status, answer) = stack
        .post_signed(
            "/v1/turn",
            turn(
                "c",
                0,
                json!({"type": "utterance", "text": huge, "confidence": 1}),
                None,
            ),
        )
        .await;
    assert_eq!(
        (status, code(&answer)),
        (413, "payload_too_large"),
        "{answer}"
    );
}

#[tokio::test]
async fn one_tenant_cannot_touch_another() {
    let stack = Stack::start().await;
    // A second tenant with its own secret and module.
    let tenants = sva_tenants::TenantStore::new(stack.stack.store().clone());
    let minimal = wat::parse_file(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scenarios/abi/minimal.wat"
    ))
    .unwrap();
    let version = tenants.put_module("acme", &minimal).await.unwrap();
    let mut acme = sva_tenants::TenantSettings::new("acme", "Акме", "станки");
    acme.scenario = sva_tenants::ScenarioRouting::only(&version);
    tenants.put_settings(&acme).await.unwrap();
    tenants
        .put_signing_secret("acme", "acme-secret")
        .await
        .unwrap();

    // Acme's secret does not sign for demo.
    let body = turn("x1", 0, json!({"type": "call_started"}), None);
    let (status, _) = stack
        .post_as("/v1/turn", body, "demo", b"acme-secret", now())
        .await;
    assert_eq!(status, 401);

    // A demo token is useless to acme, even with acme's own valid signature.
    let token = started(&stack, "x2").await;
    let body = turn_of("acme", "x2", 1, json!({"type": "no_input"}), Some(&token));
    let (status, answer) = stack
        .post_as("/v1/turn", body, "acme", b"acme-secret", now())
        .await;
    assert_eq!((status, code(&answer)), (403, "bad_token"), "{answer}");

    // Demo's module version does not exist for acme: acme's calls run acme's module.
    let start = turn_of("acme", "x3", 0, json!({"type": "call_started"}), None);
    let (status, answer) = stack
        .post_as("/v1/turn", start, "acme", b"acme-secret", now())
        .await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer.to_string().contains("минимальный сценарий"));
}
