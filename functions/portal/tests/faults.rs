//! The leaky bucket, the fault switch, the state file and the sandbox page.

mod common;

use std::time::Duration;

use common::{config, json};
use serde_json::json;
use sva_portal::{Fault, Portal, PortalConfig, RateLimit};

#[tokio::test]
async fn the_bucket_refuses_the_request_past_the_burst() {
    let p = Portal::start(PortalConfig {
        rate: RateLimit {
            per_second: 1.0,
            burst: 5,
        },
        ..config()
    })
    .await
    .expect("starts");
    let hook = p.webhook_url();
    for i in 0..5 {
        let a = json(&hook, "crm.settings.mode.get", json!({})).await;
        assert_eq!(a.status, 200, "request {i}");
    }
    let sixth = json(&hook, "crm.settings.mode.get", json!({})).await;
    assert_eq!(sixth.status, 503);
    assert_eq!(
        sixth.json,
        json!({"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"})
    );
    let batch = json(
        &hook,
        "batch",
        json!({"cmd": ["user.current", "user.current"]}),
    )
    .await;
    assert_eq!(batch.status, 503, "the bucket is still full");
    let stats = p.stats();
    assert_eq!(
        (stats.requests, stats.rate_limited, stats.executed),
        (7, 2, 5)
    );
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let batch = json(
        &hook,
        "batch",
        json!({"cmd": ["user.current", "user.current", "crm.settings.mode.get"]}),
    )
    .await;
    assert_eq!(batch.status, 200, "a batch is one request");
    assert_eq!(p.stats().executed, 9);
}

fn timeout_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_millis(100))
        .build()
        .expect("a client")
}

async fn add_lead(
    client: &reqwest::Client,
    hook: &str,
    title: &str,
) -> Result<common::Answer, reqwest::Error> {
    let res = client
        .post(format!("{hook}crm.lead.add"))
        .json(&json!({"fields": {"TITLE": title}}))
        .send()
        .await?;
    let status = res.status().as_u16();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = res.text().await?;
    Ok(common::Answer {
        status,
        content_type,
        json: serde_json::from_str(&text).unwrap_or_default(),
        text,
    })
}

#[tokio::test]
async fn every_fault_is_observable_and_writes_persist_only_after_the_method_ran() {
    let p = common::start().await;
    let hook = p.webhook_url();
    let fast = timeout_client();

    p.faults().fail_next(1, Fault::Unavailable);
    let a = add_lead(&fast, &hook, "unavailable")
        .await
        .expect("answered");
    assert_eq!(a.status, 503);
    assert!(a.content_type.starts_with("text/html"));
    assert!(a.text.contains("<html>"));
    assert!(p.leads().is_empty());

    p.faults().fail_next(1, Fault::RateLimited);
    let a = add_lead(&fast, &hook, "limited").await.expect("answered");
    assert_eq!((a.status, a.error()), (503, "QUERY_LIMIT_EXCEEDED"));
    assert!(p.leads().is_empty());

    p.faults().fail_next(1, Fault::InternalError);
    let a = add_lead(&fast, &hook, "internal").await.expect("answered");
    assert_eq!((a.status, a.error()), (500, "INTERNAL_SERVER_ERROR"));
    assert_eq!(p.leads().len(), 1, "the write happened");

    p.faults().fail_next(1, Fault::Hang);
    let err = add_lead(&fast, &hook, "hang").await.expect_err("times out");
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(p.leads().len(), 2);

    p.faults().fail_next(1, Fault::DropAfterWrite);
    let err = add_lead(&fast, &hook, "dropped")
        .await
        .expect_err("the connection drops");
    assert!(!err.is_timeout(), "dropped, not timed out: {err:?}");
    assert_eq!(p.leads().len(), 3);

    let ok = add_lead(&fast, &hook, "fine").await.expect("answered");
    assert_eq!(ok.status, 200);
    let titles: Vec<String> = p
        .leads()
        .iter()
        .map(|l| l["TITLE"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(titles, ["internal", "hang", "dropped", "fine"]);
    assert_eq!(p.stats().faults_injected, 5);
}

async fn pattern(seed: u64) -> Vec<u16> {
    let p = common::start().await;
    p.faults().fail_randomly(
        0.5,
        &[Fault::Unavailable, Fault::InternalError, Fault::RateLimited],
        seed,
    );
    let hook = p.webhook_url();
    let mut out = Vec::new();
    for _ in 0..24 {
        out.push(json(&hook, "crm.settings.mode.get", json!({})).await.status);
    }
    p.faults().clear();
    assert_eq!(
        json(&hook, "crm.settings.mode.get", json!({})).await.status,
        200
    );
    out
}

#[tokio::test]
async fn random_faults_are_deterministic_per_seed() {
    let a = pattern(42).await;
    let b = pattern(42).await;
    let c = pattern(7).await;
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert!(a.contains(&200) && a.iter().any(|s| *s >= 500), "{a:?}");
}

#[tokio::test]
async fn the_fault_switch_over_http() {
    let p = common::start().await;
    let c = common::client();
    let post = |body: serde_json::Value| {
        c.post(format!("{}/_sandbox/faults", p.url()))
            .json(&body)
            .send()
    };
    assert_eq!(
        post(json!({"fail_next": 2, "fault": "internal_error"}))
            .await
            .map(|r| r.status().as_u16())
            .ok(),
        Some(200)
    );
    let hook = p.webhook_url();
    assert_eq!(json(&hook, "user.current", json!({})).await.status, 500);
    assert_eq!(
        post(json!({"clear": true}))
            .await
            .map(|r| r.status().as_u16())
            .ok(),
        Some(200)
    );
    assert_eq!(json(&hook, "user.current", json!({})).await.status, 200);
    assert_eq!(
        post(json!({"fault": "nope"}))
            .await
            .map(|r| r.status().as_u16())
            .ok(),
        Some(400)
    );
    let state = c
        .get(format!("{}/_sandbox/state", p.url()))
        .send()
        .await
        .expect("answered");
    let state: serde_json::Value = state.json().await.expect("json");
    assert_eq!(state["leads"], json!([]));
    assert_eq!(state["stats"]["faults_injected"], json!(1));
}

#[tokio::test]
async fn the_state_file_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!(
        "sva-portal-test-{}-{}",
        std::process::id(),
        line!()
    ));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let file = dir.join("state.json");
    let cfg = PortalConfig {
        state_file: Some(file.clone()),
        ..config()
    };
    {
        let p = Portal::start(cfg.clone()).await.expect("starts");
        let hook = p.webhook_url();
        let a = json(
            &hook,
            "crm.contact.add",
            json!({"fields": {"NAME": "Сохранённый", "PHONE": [{"VALUE": "+79990001122"}]}}),
        )
        .await;
        assert_eq!(a.result(), &json!(1));
        let c = json(
            &hook,
            "crm.timeline.comment.add",
            json!({"fields": {"ENTITY_ID": 1, "ENTITY_TYPE": "contact", "COMMENT": "привет"}}),
        )
        .await;
        assert_eq!(c.status, 200);
        assert!(file.exists());
    }
    let p = Portal::start(cfg.clone()).await.expect("restarts");
    assert_eq!(p.contacts()[0]["NAME"], "Сохранённый");
    assert_eq!(p.comments().len(), 1);
    let next = json(
        &p.webhook_url(),
        "crm.contact.add",
        json!({"fields": {"NAME": "Второй", "PHONE": [{"VALUE": "+1"}]}}),
    )
    .await;
    assert_eq!(next.result(), &json!(2), "ids continue");
    assert_ne!(
        p.contacts()[0]["PHONE"][0]["ID"],
        p.contacts()[1]["PHONE"][0]["ID"]
    );
    std::fs::write(&file, b"not json").expect("written");
    assert!(Portal::new(cfg).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_sandbox_page_is_russian_and_escaped() {
    let p = common::start().await;
    p.seed_contact(json!({"NAME": "<script>alert(1)</script>", "PHONE": [{"VALUE": "+7 & co"}]}));
    let res = common::client()
        .get(format!("{}/_sandbox/", p.url()))
        .send()
        .await
        .expect("answered");
    assert!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("text/html"))
    );
    let html = res.text().await.expect("text");
    assert!(html.contains("Песочница Битрикс24"));
    assert!(html.contains("Контакты"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("+7 &amp; co"));
    assert!(!html.contains("<script>"));
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    let p = common::start().await;
    let url = p.webhook_url();
    assert_eq!(json(&url, "user.current", json!({})).await.status, 200);
    drop(p);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let err = common::client()
        .get(format!("{url}user.current"))
        .send()
        .await;
    assert!(err.is_err());
}
