//! Outbound calls: the pre-dial check (`POST /v1/outbound/dial`) — signed like a turn,
//! the do-not-call list, the campaign gate — and the do-not-call list fed by the end of
//! a call whose outcome is `do_not_call`.

mod support;

use async_trait::async_trait;
use serde_json::{Value, json};
use std::sync::Arc;
use support::headers;
use sva_abi::{Action, CallContext, Outcome, Qualification, StepInput, StepOutput};
use sva_dialog::{CampaignGate, Dialog, DialogError, DialogOptions, GateDecision, MemoryDirectory};
use sva_kit::storage::LocalDir;
use sva_tenants::{DoNotCallSource, NewDoNotCall, TenantStore};
use sva_turn::StepFailure;
use sva_wire::outbound::{DialAnswer, DialRefusal, Voicemail};
use sva_wire::signature;
use sva_wire::turn::{CallEnded, TurnResponse};

const NOW: u64 = 1_764_061_200; // 2025-11-25T12:00:00+03:00
const SECRET: &[u8] = b"demo-secret";
const CALLEE: &str = "+79161234567";

/// A scenario that greets, then ends with the outcome the caller's words name.
fn scenario(input: &StepInput) -> Result<StepOutput, StepFailure> {
    let actions = match input.event.text() {
        None => vec![
            Action::say("Здравствуйте!"),
            Action::Listen { timeout_ms: 5000 },
        ],
        Some(text) => {
            let outcome = match text {
                "не звоните мне больше" => Outcome::DoNotCall,
                "перезвоните завтра" => Outcome::Callback,
                _ => Outcome::NotInterested,
            };
            let mut actions = vec![Action::Qualification(Qualification {
                outcome,
                ..Default::default()
            })];
            if outcome == Outcome::Callback {
                actions.push(Action::ScheduleCallback {
                    at: "2025-11-26T10:00:00+03:00".into(),
                    note: String::new(),
                });
            }
            actions.push(Action::say("До свидания!"));
            actions.push(Action::Hangup {
                reason: "done".into(),
            });
            actions
        }
    };
    Ok(StepOutput {
        state: json!({}).into(),
        actions,
    })
}

/// The dialog function with two tenants over a fresh store.
fn setup() -> (tempfile::TempDir, TenantStore, Dialog) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LocalDir::new(dir.path()));
    let directory = Arc::new(MemoryDirectory::default());
    for id in ["demo", "other"] {
        directory.put_tenant(support::tenant(id, SECRET));
        directory.put_scenario(id, "v1", Arc::new(scenario));
    }
    let dialog = Dialog::new(
        directory,
        DialogOptions {
            token_key: b"k".to_vec(),
            ..DialogOptions::default()
        },
    )
    .with_storage(store.clone());
    (dir, TenantStore::new(store), dialog)
}

async fn dial_as(dialog: &Dialog, tenant: &str, body: &Value) -> Result<DialAnswer, DialogError> {
    let body = serde_json::to_vec(body).unwrap();
    let (ts, sig) = (NOW.to_string(), signature::sign(SECRET, NOW, &body));
    dialog.dial_at(headers(tenant, &ts, &sig), &body, NOW).await
}

/// A single call of no campaign (a Bitrix24 robot's, a `StartScenarios` call): only the
/// do-not-call list and the row's voicemail policy apply.
fn dial_request(tenant: &str, callee: &str, vm: &str) -> Value {
    json!({"tenant": tenant, "call": {"id": "vox-1", "direction": "outbound", "callee": callee,
        "custom_data": {"tenant": tenant, "vm": vm}}})
}

async fn listed(tenants: &TenantStore, tenant: &str, number: &str) {
    tenants
        .add_do_not_call(
            tenant,
            NewDoNotCall {
                number,
                source: DoNotCallSource::Admin,
                by: "operator",
                reason: "",
            },
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_number_off_the_list_is_dialled_with_the_rows_voicemail_policy() {
    let (_dir, _tenants, dialog) = setup();
    let answer = dial_as(&dialog, "demo", &dial_request("demo", CALLEE, "message"))
        .await
        .unwrap();
    assert_eq!(answer, DialAnswer::dial(Voicemail::Message, 1));
    let answer = dial_as(&dialog, "demo", &dial_request("demo", CALLEE, "hangup"))
        .await
        .unwrap();
    assert_eq!(answer, DialAnswer::dial(Voicemail::Hangup, 1));
}

#[tokio::test]
async fn a_campaign_the_store_does_not_know_is_not_dialled() {
    let (_dir, _tenants, dialog) = setup();
    let request = json!({"tenant": "demo", "call": {"id": "vox-1", "direction": "outbound",
        "callee": CALLEE, "custom_data": {"tenant": "demo", "campaign": "c1", "contact": "r2", "vm": "hangup"}}});
    let answer = dial_as(&dialog, "demo", &request).await.unwrap();
    assert_eq!(answer, DialAnswer::refuse(DialRefusal::Unknown, None));
}

#[tokio::test]
async fn a_number_on_the_tenants_list_is_never_dialled_and_other_tenants_lists_do_not_count() {
    let (_dir, tenants, dialog) = setup();
    listed(&tenants, "demo", CALLEE).await;
    let answer = dial_as(&dialog, "demo", &dial_request("demo", CALLEE, "hangup"))
        .await
        .unwrap();
    assert_eq!(answer, DialAnswer::refuse(DialRefusal::DoNotCall, None));
    let answer = dial_as(&dialog, "other", &dial_request("other", CALLEE, "hangup"))
        .await
        .unwrap();
    assert!(answer.dials(), "{answer:?}");
}

#[tokio::test]
async fn the_check_is_signed_like_a_turn_and_refuses_what_is_not_an_outbound_call() {
    let (_dir, _tenants, dialog) = setup();
    let body = serde_json::to_vec(&dial_request("demo", CALLEE, "hangup")).unwrap();
    let ts = NOW.to_string();
    let wrong = signature::sign(b"another secret", NOW, &body);
    let refused = dialog
        .dial_at(headers("demo", &ts, &wrong), &body, NOW)
        .await
        .unwrap_err();
    assert_eq!((refused.status(), refused.code()), (401, "bad_signature"));
    let sig = signature::sign(SECRET, NOW, &body);
    let stale = dialog
        .dial_at(headers("demo", &ts, &sig), &body, NOW + 301)
        .await
        .unwrap_err();
    assert_eq!(stale.code(), "stale_request");
    // Signed by demo, naming other in the body.
    let refused = dial_as(&dialog, "demo", &dial_request("other", CALLEE, "hangup"))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "bad_request");
    let mut inbound = dial_request("demo", CALLEE, "hangup");
    inbound["call"]["direction"] = json!("inbound");
    let refused = dial_as(&dialog, "demo", &inbound).await.unwrap_err();
    assert!(refused.to_string().contains("outbound"), "{refused}");
    for callee in ["79161234567", "+7916", ""] {
        let refused = dial_as(&dialog, "demo", &dial_request("demo", callee, "hangup"))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), "bad_request", "{callee}");
    }
    let mut extra = dial_request("demo", CALLEE, "hangup");
    extra["seq"] = json!(0);
    let refused = dial_as(&dialog, "demo", &extra).await.unwrap_err();
    assert_eq!(refused.code(), "bad_request");
    let unknown = dial_as(&dialog, "nobody", &dial_request("nobody", CALLEE, "hangup"))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), "unknown_tenant");
}

#[tokio::test]
async fn without_storage_the_list_cannot_be_read_and_nothing_is_dialled() {
    let directory = Arc::new(MemoryDirectory::default());
    directory.put_tenant(support::tenant("demo", SECRET));
    let dialog = Dialog::new(directory, DialogOptions::default());
    let refused = dial_as(&dialog, "demo", &dial_request("demo", CALLEE, "hangup"))
        .await
        .unwrap_err();
    assert_eq!(
        (refused.status(), refused.code()),
        (503, "storage_unavailable")
    );
}

/// A campaign gate as the campaign store will give: closed until a time, or failing.
struct Closed(Result<GateDecision, String>);

#[async_trait]
impl CampaignGate for Closed {
    async fn check(
        &self,
        tenant: &str,
        call: &CallContext,
        now: u64,
    ) -> Result<GateDecision, String> {
        assert_eq!((tenant, call.id.as_str(), now), ("demo", "vox-1", NOW));
        self.0.clone()
    }
}

#[tokio::test]
async fn the_campaign_gate_decides_after_the_list_and_its_failure_is_not_a_dial() {
    let (_dir, tenants, dialog) = setup();
    let later = GateDecision::Refuse {
        reason: DialRefusal::OutsideWindow,
        retry_at: Some("2025-11-26T06:00:00Z".into()),
        attempts_left: Some(2),
    };
    let dialog = dialog.with_campaign_gate(Arc::new(Closed(Ok(later))));
    let answer = dial_as(&dialog, "demo", &dial_request("demo", CALLEE, "hangup"))
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&answer).unwrap(),
        json!({"dial": false, "reason": "outside_window", "retry_at": "2025-11-26T06:00:00Z",
               "attempts_left": 2})
    );
    // The list comes first: a listed number is refused for good, not "later".
    listed(&tenants, "demo", CALLEE).await;
    let answer = dial_as(&dialog, "demo", &dial_request("demo", CALLEE, "hangup"))
        .await
        .unwrap();
    assert_eq!(answer, DialAnswer::refuse(DialRefusal::DoNotCall, None));
    let failing = dialog.with_campaign_gate(Arc::new(Closed(Err("campaigns unreadable".into()))));
    let refused = dial_as(
        &failing,
        "demo",
        &dial_request("demo", "+79160000000", "hangup"),
    )
    .await
    .unwrap_err();
    assert_eq!(refused.status(), 503);
}

async fn turn(dialog: &Dialog, body: Value) -> TurnResponse {
    let body = serde_json::to_vec(&body).unwrap();
    let (ts, sig) = (NOW.to_string(), signature::sign(SECRET, NOW, &body));
    dialog
        .turn_at(headers("demo", &ts, &sig), &body, NOW)
        .await
        .unwrap()
}

/// A whole call: greeting, the caller's words, the end report.
async fn call_saying(dialog: &Dialog, call: Value, words: &str) -> CallEnded {
    let id = call["id"].as_str().unwrap().to_owned();
    let first = turn(
        dialog,
        json!({"tenant": "demo", "call": call, "seq": 0, "event": {"type": "call_started"}}),
    )
    .await;
    let last = turn(
        dialog,
        json!({"tenant": "demo", "call": call, "seq": 1, "token": first.token,
               "event": {"type": "utterance", "text": words, "confidence": 0.9}}),
    )
    .await;
    let end = json!({"tenant": "demo", "call": call, "token": last.token,
        "started_at": "2025-11-25T11:59:20+03:00", "duration_s": 20, "end_reason": "hangup"});
    let body = serde_json::to_vec(&end).unwrap();
    let (ts, sig) = (NOW.to_string(), signature::sign(SECRET, NOW, &body));
    dialog
        .end_call_at(headers("demo", &ts, &sig), &id, &body, NOW)
        .await
        .unwrap()
}

#[tokio::test]
async fn do_not_call_at_the_end_of_a_call_lists_the_callee_or_the_caller() {
    let (_dir, tenants, dialog) = setup();
    let outbound = json!({"id": "vox-out", "direction": "outbound", "caller": "+74950000000",
        "callee": CALLEE, "custom_data": {"campaign": "c1", "answered_by": "human"}});
    let ended = call_saying(&dialog, outbound, "не звоните мне больше").await;
    assert_eq!(ended.outcome, "do_not_call");
    assert_eq!(ended.callback_at, None);
    let entry = tenants
        .do_not_call_entry("demo", CALLEE)
        .await
        .unwrap()
        .expect("the callee is listed");
    assert_eq!(entry.source, DoNotCallSource::Call);
    assert_eq!(entry.by, "vox-out");
    assert!(
        !tenants
            .is_do_not_call("demo", "+74950000000")
            .await
            .unwrap(),
        "not our own number"
    );
    // And the next pre-dial check refuses it.
    let answer = dial_as(&dialog, "demo", &dial_request("demo", CALLEE, "hangup"))
        .await
        .unwrap();
    assert_eq!(answer, DialAnswer::refuse(DialRefusal::DoNotCall, None));

    let inbound = json!({"id": "vox-in", "direction": "inbound", "caller": "+79169999999",
        "callee": "+74950000000"});
    call_saying(&dialog, inbound, "не звоните мне больше").await;
    assert!(
        tenants
            .is_do_not_call("demo", "+79169999999")
            .await
            .unwrap()
    );
    assert!(
        !tenants
            .is_do_not_call("demo", "+74950000000")
            .await
            .unwrap()
    );
    assert!(tenants.do_not_call_list("other").await.unwrap().is_empty());
}

#[tokio::test]
async fn the_end_answer_names_the_outcome_and_the_callback_time() {
    let (_dir, tenants, dialog) = setup();
    let call = json!({"id": "vox-cb", "direction": "outbound", "callee": CALLEE});
    let ended = call_saying(&dialog, call, "перезвоните завтра").await;
    assert_eq!(ended.outcome, "callback");
    assert_eq!(
        ended.callback_at.as_deref(),
        Some("2025-11-26T10:00:00+03:00")
    );
    let call = json!({"id": "vox-no", "direction": "outbound", "callee": CALLEE});
    let ended = call_saying(&dialog, call, "нам не нужно").await;
    assert_eq!(ended.outcome, "not_interested");
    assert!(tenants.do_not_call_list("demo").await.unwrap().is_empty());
}
