//! The language model end to end over HTTP: the demo tenant with the model enabled, the
//! default scenario asking it where its rules run out, an OpenAI-compatible stand-in
//! answering well, with garbage, too late or not at all — and what the caller hears and
//! the call record keeps.

use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use sva_kit::config::Secret;
use sva_llm::standin::{Reply, StandIn};
use sva_llm::{AuthScheme, ProviderConfig};
use sva_local::LocalOptions;
use sva_tenants::{ModelChange, SettingsChange};
use sva_tests::Stack;

const MODEL: &str = "gpt://b1gtest/yandexgpt-lite/latest";

/// The stack with the stand-in as its model provider and the demo tenant's model on.
async fn stack(script: impl Fn(&Value) -> Reply + Send + Sync + 'static) -> (StandIn, Stack) {
    let standin = StandIn::start(Some("Api-Key test-key"), &[MODEL], Arc::new(script))
        .await
        .unwrap();
    let mut config =
        ProviderConfig::compatible(&standin.base_url(), MODEL, Some(Secret::new("test-key")));
    config.auth = AuthScheme::ApiKey;
    config.headers = vec![("x-data-logging-enabled".into(), "false".into())];
    let stack = Stack::start_with(|o| LocalOptions {
        llm: vec![("yandex".into(), config)],
        tenant_ttl: Duration::ZERO,
        ..o
    })
    .await;
    change_model(
        &stack,
        ModelChange {
            enabled: Some(true),
            ..ModelChange::default()
        },
    )
    .await;
    (standin, stack)
}

/// Changes the demo tenant's model settings through the admin API.
async fn change_model(stack: &Stack, llm: ModelChange) {
    let change = SettingsChange {
        llm: Some(llm),
        ..SettingsChange::default()
    };
    stack
        .admin()
        .change_settings("demo", &change)
        .await
        .expect("the model settings change");
}

/// The model requests a call record's turns logged, oldest first.
fn model_logs(record: &Value) -> Vec<&Value> {
    record["events"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|t| t["model"].as_array().into_iter().flatten())
        .collect()
}

/// The statuses of those requests.
fn statuses(record: &Value) -> Vec<String> {
    model_logs(record)
        .iter()
        .map(|m| m["status"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Whether the stand-in's request is an `understand` one (the caller's words as data).
fn is_understand(body: &Value) -> bool {
    body.to_string().contains("бардак")
}

/// "ну бардак" at the need question: no rule reads it, so the scenario asks the model.
async fn need_by_model(stack: &Stack) -> (sva_caller::Call, String) {
    let mut call = stack.call().await;
    call.say("алло").await.unwrap();
    assert!(call.heard().contains("задач"), "{}", call.heard());
    call.say("ну бардак").await.unwrap();
    let heard = call.heard();
    (call, heard)
}

#[tokio::test]
async fn the_model_reads_what_the_rules_cannot_and_the_call_is_billed_for_it() {
    let (standin, stack) = stack(|body| {
        if is_understand(body) {
            Reply::Content(r#"{"command":"answer","values":{"value":"порядок на складе"}}"#.into())
        } else {
            Reply::Error(400, "unexpected request".into())
        }
    })
    .await;
    let (call, heard) = need_by_model(&stack).await;
    assert!(heard.contains("бюджет"), "the dialog moved on: {heard}");
    assert!(!heard.contains("не совсем поняла"), "{heard}");
    let seen = standin.seen();
    assert_eq!(seen.len(), 1, "one request to the model");
    assert_eq!(seen[0].data_logging.as_deref(), Some("false"));

    let ended = call.hang_up("hangup").await.unwrap();
    let record = stack.read(&ended.record);
    assert_eq!(
        record["qualification"]["slots"]["need"]["value"],
        "порядок на складе"
    );
    // The turn's log: the request, its model, tokens and the provider's time.
    let logs = model_logs(&record);
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert_eq!(logs[0]["status"], "ok");
    assert_eq!(logs[0]["model"], MODEL);
    assert!(logs[0]["latency_ms"].is_u64());
    // The usage by model, priced by the model's own row of the price table.
    let usage: sva_costs::Usage = serde_json::from_value(record["usage"].clone()).unwrap();
    assert!(usage.llm_input_tokens > 0 && usage.llm_output_tokens > 0);
    assert_eq!(usage.llm_models.len(), 1);
    assert_eq!(usage.llm_models[0].model, MODEL);
    assert_eq!(usage.llm_models[0].input_tokens, usage.llm_input_tokens);
    let table = sva_costs::PriceTable::default_table();
    assert_eq!(
        table.model_item(MODEL, "input"),
        "llm.model.yandexgpt-lite.input.1k_tokens"
    );
    let cost: sva_costs::CallCost = serde_json::from_value(record["cost"].clone()).unwrap();
    let lite = table
        .unit_price("llm.model.yandexgpt-lite.input.1k_tokens")
        .unwrap()
        .rub;
    let expected = (usage.llm_input_tokens + usage.llm_output_tokens) as f64 / 1000.0 * lite;
    assert!(
        (cost.components["llm"].amount - expected).abs() < 1e-6,
        "{cost:?}"
    );
    assert!(cost.components["llm"].confirmed);

    // The tenant names a provider this deployment does not have: the call goes on by
    // its rules, the request is `unavailable`, the stand-in is not asked.
    change_model(
        &stack,
        ModelChange {
            provider: Some(Some("gigachat".into())),
            ..ModelChange::default()
        },
    )
    .await;
    let (call, heard) = need_by_model(&stack).await;
    assert!(!heard.contains("бюджет"), "{heard}");
    let ended = call.hang_up("hangup").await.unwrap();
    let record = stack.read(&ended.record);
    assert_eq!(statuses(&record), ["unavailable"]);
    assert_eq!(standin.seen().len(), 1, "the other provider was not asked");
}

#[tokio::test]
async fn garbage_a_late_answer_or_a_refusal_leave_the_call_as_the_rules_have_it() {
    let replies = [
        Reply::Garbage("<html>oops</html>".into()),
        Reply::Content(r#"{"command":"transfer","values":{}}"#.into()),
        Reply::Slow(
            Duration::from_secs(5),
            Box::new(Reply::Content(
                r#"{"command":"answer","values":{"value":"порядок"}}"#.into(),
            )),
        ),
        Reply::Error(401, "Unknown api key".into()),
    ];
    for reply in replies {
        let label = format!("{reply:?}");
        let (_standin, stack) = stack(move |_| reply.clone()).await;
        let (call, heard) = need_by_model(&stack).await;
        // The rules' answer to an unusable turn: asked again, never silence.
        assert!(!heard.trim().is_empty(), "{label}: silence");
        assert!(
            heard.contains("не совсем") || heard.contains("задач"),
            "{label}: {heard}"
        );
        assert!(
            !heard.contains("бюджет"),
            "{label}: moved on without a need"
        );
        let ended = call.hang_up("hangup").await.unwrap();
        let record = stack.read(&ended.record);
        assert!(
            record["qualification"]["slots"]["need"].is_null(),
            "{label}: {}",
            record["qualification"]
        );
        let status = statuses(&record).into_iter().next();
        assert!(
            matches!(
                status.as_deref(),
                Some("invalid" | "timeout" | "unavailable")
            ),
            "{label}: {status:?}"
        );
    }
}
