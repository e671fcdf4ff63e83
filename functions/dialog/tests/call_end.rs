//! The end of a call: the record and the CRM outbox entry in object storage, written
//! once however often the end is reported; the record keeps what a replay needs.

mod support;

use serde_json::{Value, json};
use std::sync::Arc;
use sva_abi::{Action, Outcome, Qualification, Slot, StepInput, StepOutput};
use sva_dialog::{Dialog, DialogError, DialogOptions, Headers, MemoryDirectory};
use sva_kit::storage::{LocalDir, ObjectStore};
use sva_turn::StepFailure;
use sva_wire::signature;
use sva_wire::turn::{CallEnded, TurnResponse};

const NOW: u64 = 1_764_061_200; // 2025-11-25T12:00:00+03:00
const SECRET: &[u8] = b"demo-secret";

/// A scenario that qualifies on the first utterance and books a callback.
fn scenario(input: &StepInput) -> Result<StepOutput, StepFailure> {
    let actions = match input.event.text() {
        None => vec![
            Action::say("Здравствуйте!"),
            Action::Listen { timeout_ms: 5000 },
        ],
        Some(text) => {
            let mut q = Qualification {
                score: 40,
                outcome: Outcome::Callback,
                ..Default::default()
            };
            q.slots.insert(
                "need".into(),
                Slot {
                    value: json!(text),
                    confidence: 0.8,
                    utterance: text.into(),
                },
            );
            vec![
                Action::Qualification(q),
                Action::ScheduleCallback {
                    at: "2025-11-26T10:00:00+03:00".into(),
                    note: "перезвонить".into(),
                },
                Action::say("До свидания!"),
                Action::Hangup {
                    reason: "callback".into(),
                },
            ]
        }
    };
    Ok(StepOutput {
        state: json!({}).into(),
        actions,
    })
}

fn setup(store: Option<Arc<LocalDir>>) -> Dialog {
    setup_with(store, scenario)
}

fn setup_with(
    store: Option<Arc<LocalDir>>,
    scenario: fn(&StepInput) -> Result<StepOutput, StepFailure>,
) -> Dialog {
    let directory = Arc::new(MemoryDirectory::default());
    directory.put_tenant(support::tenant("demo", SECRET));
    directory.put_scenario("demo", "v1", Arc::new(scenario));
    let dialog = Dialog::new(
        directory,
        DialogOptions {
            token_key: b"k".to_vec(),
            ..DialogOptions::default()
        },
    );
    match store {
        Some(store) => dialog.with_storage(store),
        None => dialog,
    }
}

fn headers<'a>(ts: &'a str, sig: &'a str) -> Headers<'a> {
    support::headers("demo", ts, sig)
}

async fn turn(dialog: &Dialog, body: Value) -> TurnResponse {
    let body = serde_json::to_vec(&body).unwrap();
    let (ts, sig) = (NOW.to_string(), signature::sign(SECRET, NOW, &body));
    dialog
        .turn_at(headers(&ts, &sig), &body, NOW)
        .await
        .unwrap()
}

async fn end(dialog: &Dialog, call_id: &str, body: &Value) -> Result<CallEnded, DialogError> {
    let body = serde_json::to_vec(body).unwrap();
    let (ts, sig) = (NOW.to_string(), signature::sign(SECRET, NOW, &body));
    dialog
        .end_call_at(headers(&ts, &sig), call_id, &body, NOW)
        .await
}

/// Plays a two-turn call and returns the last token.
async fn call(dialog: &Dialog) -> String {
    let call = json!({"id": "c-1", "direction": "inbound", "caller": "+79161234567"});
    let first = turn(
        dialog,
        json!({"tenant": "demo", "call": call, "seq": 0, "event": {"type": "call_started"}}),
    )
    .await;
    let last = turn(
        dialog,
        json!({"tenant": "demo", "call": call, "seq": 1, "token": first.token,
               "event": {"type": "utterance", "text": "нужна система для склада", "confidence": 0.9}}),
    )
    .await;
    last.token
}

fn report(token: &str) -> Value {
    json!({
        "tenant": "demo",
        "call": {"id": "c-1", "direction": "inbound", "caller": "+79161234567"},
        "token": token,
        "started_at": "2025-11-25T11:59:20+03:00",
        "duration_s": 40,
        "telephony_cost": {"amount": 1.96, "currency": "RUB"},
        "asr": {"sessions": 2, "seconds": 9},
        "tts_chars": 31,
        "transcript": [{"seq": 1, "at_ms": 5200, "caller": "нужна система для склада", "assistant": ["До свидания!"], "latency_ms": 41}],
        "end_reason": "hangup"
    })
}

#[tokio::test]
async fn the_record_and_the_outbox_entry_are_written_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LocalDir::new(dir.path()));
    let dialog = setup(Some(store.clone()));
    let token = call(&dialog).await;

    let ended = end(&dialog, "c-1", &report(&token)).await.unwrap();
    assert_eq!(ended.record, "calls/demo/2025-11-25/c-1.json");
    assert!(ended.created);
    let record: Value =
        serde_json::from_slice(&store.get(&ended.record).await.unwrap().unwrap()).unwrap();
    assert_eq!(
        record["qualification"]["slots"]["need"]["value"],
        "нужна система для склада"
    );
    assert_eq!(record["qualification"]["outcome"], "callback");
    assert_eq!(record["callbacks"][0]["at"], "2025-11-26T10:00:00+03:00");
    assert_eq!(record["scenario_version"], "v1");
    assert_eq!(record["usage"]["telephony_reported"]["amount"], 1.96);
    assert_eq!(record["cost"]["components"]["telephony"]["amount"], 1.96);
    assert_eq!(
        record["cost"]["components"]["telephony"]["basis"],
        "reported"
    );
    assert_eq!(record["usage"]["invocation_ms"], serde_json::json!([41, 1]));
    assert_eq!(record["transcript"][0]["latency_ms"], 41);
    assert_eq!(record["turns"], 1);
    let entry: Value = serde_json::from_slice(
        &store
            .get("outbox/crm/demo/c-1.json")
            .await
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(entry["record"], "calls/demo/2025-11-25/c-1.json");

    // Reported again (a retry from VoxEngine): nothing changes.
    let before = store.get(&ended.record).await.unwrap();
    let again = end(&dialog, "c-1", &report(&token)).await.unwrap();
    assert!(!again.created);
    assert_eq!(store.get(&ended.record).await.unwrap(), before);

    // The outbox write was lost the first time: a retry completes it.
    store.delete("outbox/crm/demo/c-1.json").await.unwrap();
    end(&dialog, "c-1", &report(&token)).await.unwrap();
    assert!(store.exists("outbox/crm/demo/c-1.json").await.unwrap());
}

#[tokio::test]
async fn misdirected_reports_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let dialog = setup(Some(Arc::new(LocalDir::new(dir.path()))));
    let token = call(&dialog).await;
    let code = |r: Result<CallEnded, DialogError>| r.err().map(|e| (e.status(), e.code()));
    assert_eq!(
        code(end(&dialog, "c-2", &report(&token)).await),
        Some((400, "bad_request")),
        "path and body differ"
    );
    let mut other = report(&token);
    other["call"]["id"] = json!("c-2");
    assert_eq!(
        code(end(&dialog, "c-2", &other).await),
        Some((403, "bad_token")),
        "the token is c-1's"
    );
    let mut forged = report(&token);
    forged["token"] = json!("x.y");
    assert_eq!(
        code(end(&dialog, "c-1", &forged).await),
        Some((403, "bad_token"))
    );
    let mut escape = report(&token);
    escape["call"]["id"] = json!("..");
    assert_eq!(
        code(end(&dialog, "..", &escape).await),
        Some((400, "bad_request"))
    );
    let no_storage = setup(None);
    let token = call(&no_storage).await;
    assert_eq!(
        code(end(&no_storage, "c-1", &report(&token)).await),
        Some((503, "storage_unavailable"))
    );
}

/// Answers words with a question, keys with a transfer to the customer's manager (the
/// CRM's profile), a failed transfer with a goodbye.
fn transferring(input: &StepInput) -> Result<StepOutput, StepFailure> {
    let manager = input
        .context
        .customer
        .as_ref()
        .and_then(|c| c.manager_phone.clone())
        .unwrap_or_default();
    let actions = match &input.event {
        sva_abi::Event::CallStarted => vec![
            Action::say("Здравствуйте!"),
            Action::Listen { timeout_ms: 5000 },
        ],
        sva_abi::Event::Dtmf { .. } => vec![
            Action::say("Соединяю."),
            Action::Transfer(sva_abi::Transfer {
                to: manager,
                summary: "лид".into(),
            }),
        ],
        sva_abi::Event::TransferFailed { .. } => vec![
            Action::say("Менеджер перезвонит."),
            Action::Hangup {
                reason: "callback".into(),
            },
        ],
        _ => vec![
            Action::say("Какой у вас бюджет?"),
            Action::Listen { timeout_ms: 5000 },
        ],
    };
    Ok(StepOutput {
        state: json!({}).into(),
        actions,
    })
}

#[tokio::test]
async fn the_record_keeps_the_callers_side_and_the_assistants_actions_for_a_replay() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LocalDir::new(dir.path()));
    let dialog = setup_with(Some(store.clone()), transferring).with_customers(Arc::new(
        |_tenant: String, _phone: String| async {
            Some(sva_abi::CustomerProfile {
                name: Some("Ольга".into()),
                manager_phone: Some("+74951112233".into()),
                ..Default::default()
            })
        },
    ));
    let call = json!({"id": "c-1", "direction": "inbound", "caller": "+79161234567"});
    let mut token = None;
    for (seq, event) in [
        json!({"type": "call_started"}),
        json!({"type": "utterance", "text": "нужна система для склада", "confidence": 0.9}),
        json!({"type": "no_input"}),
        json!({"type": "dtmf", "digits": "0"}),
        json!({"type": "transfer_failed", "reason": "busy"}),
    ]
    .into_iter()
    .enumerate()
    {
        let answer = turn(
            &dialog,
            json!({"tenant": "demo", "call": call, "seq": seq, "token": token, "event": event}),
        )
        .await;
        token = Some(answer.token);
    }
    let ended = end(&dialog, "c-1", &report(&token.unwrap())).await.unwrap();
    let bytes = store.get(&ended.record).await.unwrap().unwrap();
    let record = sva_wire::CallRecord::from_json(&bytes).unwrap();
    /// A turn's event, words, keys and reason.
    type CallerSide<'r> = (&'r str, Option<&'r str>, Option<&'r str>, Option<&'r str>);
    let caller: Vec<CallerSide> = record
        .events
        .iter()
        .map(|e| {
            (
                e.event.as_str(),
                e.text.as_deref(),
                e.digits.as_deref(),
                e.reason.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        caller,
        [
            ("call_started", None, None, None),
            ("utterance", Some("нужна система для склада"), None, None),
            ("no_input", None, None, None),
            ("dtmf", None, Some("0"), None),
            ("transfer_failed", None, None, Some("busy")),
        ]
    );
    let actions: Vec<(Vec<&str>, &str, Option<&str>)> = record
        .events
        .iter()
        .map(|e| {
            (
                e.said.iter().map(String::as_str).collect(),
                e.then.as_str(),
                e.transfer_to.as_deref(),
            )
        })
        .collect();
    assert_eq!(actions[0], (vec!["Здравствуйте!"], "listen", None));
    assert_eq!(actions[1], (vec!["Какой у вас бюджет?"], "listen", None));
    assert_eq!(
        actions[3],
        (vec!["Соединяю."], "transfer", Some("+74951112233"))
    );
    assert_eq!(actions[4], (vec!["Менеджер перезвонит."], "hangup", None));
    assert_eq!(record.events_dropped, 0);
    assert_eq!(
        record.events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [0, 1, 2, 3, 4]
    );
    // The CRM's profile as the scenario saw it, so a replay gives it the same.
    let customer = record.customer.expect("the profile is kept");
    assert_eq!(customer.name.as_deref(), Some("Ольга"));
    assert_eq!(customer.manager_phone.as_deref(), Some("+74951112233"));
}
