//! The turn protocol end to end at the library level: signatures, tokens, ordering,
//! deadlines and failures, with scenarios as plain functions and as a wasm module.

mod support;

use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use sva_abi::{Action, Event, StepInput, StepOutput};
use sva_dialog::{
    Dialog, DialogError, DialogOptions, Headers, MemoryDirectory, ScenarioRouting, Tenant,
};
use sva_turn::StepFailure;
use sva_wire::signature;
use sva_wire::turn::{CallContext, CallOptions, TurnRequest, TurnResponse, VoxAction};

const NOW: u64 = 1_764_061_200; // 2025-11-25T09:00:00Z
const SECRET: &[u8] = b"tenant-secret";

/// Counts turns in its state and says which version it is; "сломайся" breaks it,
/// "думай долго" asks the (slow) knowledge base, "пока" hangs up.
fn counter(version: &'static str) -> sva_dialog::ScenarioHandle {
    Arc::new(
        move |input: &StepInput| -> Result<StepOutput, StepFailure> {
            let n = input
                .state
                .to_value()
                .get("n")
                .and_then(Value::as_u64)
                .unwrap_or(0)
                + 1;
            let last = match &input.event {
                Event::Utterance { text, .. } if text == "сломайся" => {
                    return Err(StepFailure::new("trap", "unreachable"));
                }
                Event::Utterance { text, .. } if text == "думай долго" => {
                    return Ok(StepOutput {
                        state: input.state.clone(),
                        actions: vec![Action::Retrieve(sva_abi::RetrieveRequest {
                            id: "q1".into(),
                            query: text.clone(),
                            top_k: 1,
                        })],
                    });
                }
                Event::Utterance { text, .. } if text == "пока" => Action::Hangup {
                    reason: "bye".into(),
                },
                _ => Action::Listen { timeout_ms: 5000 },
            };
            Ok(StepOutput {
                state: json!({ "n": n }).into(),
                actions: vec![
                    Action::say(format!("{version}: ход {n}, {}", input.context.now)),
                    last,
                ],
            })
        },
    )
}

fn tenant(id: &str) -> Tenant {
    let mut tenant = support::tenant(id, SECRET);
    tenant.context.company = "ТехноСклад".into();
    tenant.fallback_phrase = "Извините, повторите, пожалуйста.".into();
    tenant.recording_notice = sva_tenants::DEFAULT_RECORDING_NOTICE.into();
    tenant
}

/// A knowledge base that takes half a second to answer: longer than the test's turn
/// deadline.
struct SlowKnowledge;

#[async_trait::async_trait]
impl sva_turn::Knowledge for SlowKnowledge {
    async fn retrieve(
        &self,
        _: &str,
        _: &sva_abi::RetrieveRequest,
    ) -> Result<sva_turn::Retrieved, sva_turn::KnowledgeError> {
        tokio::time::sleep(Duration::from_millis(500)).await;
        Ok(sva_turn::Retrieved::default())
    }
}

fn setup() -> (Dialog, Arc<MemoryDirectory>) {
    let directory = Arc::new(MemoryDirectory::default());
    directory.put_tenant(tenant("demo"));
    directory.put_tenant(Tenant {
        signing_secret: b"other-secret".to_vec(),
        ..tenant("other")
    });
    for t in ["demo", "other"] {
        directory.put_scenario(t, "v1", counter("v1"));
        directory.put_scenario(t, "v2", counter("v2"));
    }
    let options = DialogOptions {
        token_key: b"service-key".to_vec(),
        turn_deadline: Duration::from_millis(200),
        ..DialogOptions::default()
    };
    let dialog = Dialog::new(directory.clone(), options).with_knowledge(Arc::new(SlowKnowledge));
    (dialog, directory)
}

fn request(seq: u32, event: Event, token: Option<&str>) -> Vec<u8> {
    serde_json::to_vec(&TurnRequest {
        tenant: "demo".into(),
        call: CallContext {
            id: "call-1".into(),
            caller: Some("+79161234567".into()),
            ..CallContext::default()
        },
        seq,
        event,
        token: token.map(str::to_owned),
    })
    .unwrap()
}

fn utterance(text: &str) -> Event {
    Event::Utterance {
        text: text.into(),
        confidence: 0.9,
    }
}

async fn send(dialog: &Dialog, body: &[u8], now: u64) -> Result<TurnResponse, DialogError> {
    send_as(dialog, "demo", SECRET, body, now).await
}

async fn send_as(
    dialog: &Dialog,
    tenant: &str,
    secret: &[u8],
    body: &[u8],
    now: u64,
) -> Result<TurnResponse, DialogError> {
    let ts = now.to_string();
    let sig = signature::sign(secret, now, body);
    let headers = Headers {
        tenant: Some(tenant),
        timestamp: Some(&ts),
        signature: Some(&sig),
    };
    dialog.turn_at(headers, body, now).await
}

fn said(response: &TurnResponse) -> String {
    response
        .actions
        .iter()
        .filter_map(|a| match a {
            VoxAction::Say { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[tokio::test]
async fn a_call_carries_its_state_in_the_token() {
    let (dialog, _) = setup();
    let first = send(&dialog, &request(0, Event::CallStarted, None), NOW)
        .await
        .unwrap();
    assert_eq!(said(&first), "v1: ход 1, 2025-11-25T12:00:00+03:00");
    assert!(
        matches!(&first.actions[0], VoxAction::Say { voice, barge_in: true, .. } if voice == "ru_RU_alena")
    );
    let second = send(
        &dialog,
        &request(1, utterance("да"), Some(&first.token)),
        NOW + 5,
    )
    .await
    .unwrap();
    assert!(said(&second).starts_with("v1: ход 2"));
    let third = send(
        &dialog,
        &request(2, utterance("пока"), Some(&second.token)),
        NOW + 9,
    )
    .await
    .unwrap();
    assert!(matches!(third.actions.last(), Some(VoxAction::Hangup { reason }) if reason == "bye"));
}

#[tokio::test]
async fn a_recorded_call_is_announced_and_transfers_ring_as_long_as_the_tenant_says() {
    let (dialog, directory) = setup();
    // Not recorded: VoxEngine is told so once, and nothing is added to the greeting.
    let first = send(&dialog, &request(0, Event::CallStarted, None), NOW)
        .await
        .unwrap();
    assert_eq!(first.options, Some(CallOptions { record: false }));
    assert_eq!(said(&first), "v1: ход 1, 2025-11-25T12:00:00+03:00");
    let second = send(
        &dialog,
        &request(1, utterance("да"), Some(&first.token)),
        NOW + 2,
    )
    .await
    .unwrap();
    assert_eq!(
        second.options, None,
        "only the answer to call_started has options"
    );

    let mut recorded = tenant("demo");
    recorded.calls = sva_tenants::CallSettings {
        record: true,
        transfer_timeout_s: 45,
    };
    recorded.recording_notice = "Разговор записывается для контроля качества.".into();
    directory.put_tenant(recorded);
    directory.put_scenario(
        "demo",
        "v1",
        Arc::new(|_: &StepInput| -> Result<StepOutput, StepFailure> {
            Ok(StepOutput {
                state: json!({}).into(),
                actions: vec![
                    Action::say("Соединяю."),
                    Action::Transfer(sva_abi::Transfer {
                        to: "+74951234567".into(),
                        summary: "Горячий лид".into(),
                    }),
                ],
            })
        }),
    );
    let first = send(&dialog, &request(0, Event::CallStarted, None), NOW)
        .await
        .unwrap();
    assert_eq!(first.options, Some(CallOptions { record: true }));
    assert!(
        matches!(&first.actions[0], VoxAction::Say { text, barge_in: false, .. }
            if text == "Разговор записывается для контроля качества."),
        "the notice comes first and cannot be talked over: {:?}",
        first.actions
    );
    assert!(matches!(
        first.actions.last(),
        Some(VoxAction::Transfer { to, timeout_s: 45, .. }) if to == "+74951234567"
    ));
}

#[tokio::test]
async fn a_retried_turn_gets_the_same_answer() {
    let (dialog, _) = setup();
    let first = send(&dialog, &request(0, Event::CallStarted, None), NOW)
        .await
        .unwrap();
    let body = request(1, utterance("да"), Some(&first.token));
    let a = send(&dialog, &body, NOW + 3).await.unwrap();
    let b = send(&dialog, &body, NOW + 3).await.unwrap();
    assert_eq!(a, b);
}

#[tokio::test]
async fn forged_stale_and_misdirected_requests_are_refused() {
    let (dialog, _) = setup();
    let body = request(0, Event::CallStarted, None);
    let code = |r: Result<TurnResponse, DialogError>| match r {
        Ok(_) => "200".to_owned(),
        Err(e) => format!("{} {}", e.status(), e.code()),
    };
    // Signed with another tenant's secret.
    assert_eq!(
        code(send_as(&dialog, "demo", b"other-secret", &body, NOW).await),
        "401 bad_signature"
    );
    // Signed correctly, but long ago.
    let ts = (NOW - 600).to_string();
    let sig = signature::sign(SECRET, NOW - 600, &body);
    let old = Headers {
        tenant: Some("demo"),
        timestamp: Some(&ts),
        signature: Some(&sig),
    };
    assert_eq!(
        code(dialog.turn_at(old, &body, NOW).await),
        "401 stale_request"
    );
    // No signature at all.
    let bare = Headers {
        tenant: Some("demo"),
        timestamp: Some(&ts),
        signature: None,
    };
    assert_eq!(
        code(dialog.turn_at(bare, &body, NOW - 600).await),
        "401 bad_signature"
    );
    // Unknown tenant, and a body naming another tenant than the header.
    assert_eq!(
        code(send_as(&dialog, "nobody", SECRET, &body, NOW).await),
        "404 unknown_tenant"
    );
    let body_other = request(0, Event::CallStarted, None);
    assert_eq!(
        code(send_as(&dialog, "other", b"other-secret", &body_other, NOW).await),
        "400 bad_request"
    );
    // Garbage and oversized bodies.
    assert_eq!(
        code(send(&dialog, b"{\"tenant\":\"demo\"", NOW).await),
        "400 bad_request"
    );
    let huge = vec![b' '; 300 << 10];
    assert_eq!(
        code(send(&dialog, &huge, NOW).await),
        "413 payload_too_large"
    );
}

#[tokio::test]
async fn tokens_are_bound_ordered_and_expire() {
    let (dialog, _) = setup();
    let first = send(&dialog, &request(0, Event::CallStarted, None), NOW)
        .await
        .unwrap();
    let status = |r: Result<TurnResponse, DialogError>| r.err().map(|e| (e.status(), e.code()));

    // Skipping ahead or replaying an old turn number.
    assert_eq!(
        status(
            send(
                &dialog,
                &request(3, utterance("да"), Some(&first.token)),
                NOW
            )
            .await
        ),
        Some((409, "out_of_order"))
    );
    assert_eq!(
        status(
            send(
                &dialog,
                &request(0, utterance("да"), Some(&first.token)),
                NOW
            )
            .await
        ),
        Some((409, "out_of_order"))
    );
    // A token of another call.
    let mut other_call: TurnRequest =
        serde_json::from_slice(&request(1, utterance("да"), Some(&first.token))).unwrap();
    other_call.call.id = "call-2".into();
    let body = serde_json::to_vec(&other_call).unwrap();
    assert_eq!(
        status(send(&dialog, &body, NOW).await),
        Some((403, "bad_token"))
    );
    // A tampered token.
    let mut tampered = first.token.clone();
    tampered.insert(5, 'x');
    assert_eq!(
        status(send(&dialog, &request(1, utterance("да"), Some(&tampered)), NOW).await),
        Some((403, "bad_token"))
    );
    // A token past its lifetime.
    let late = NOW + sva_dialog::token::LIFETIME_S + 1;
    assert_eq!(
        status(
            send(
                &dialog,
                &request(1, utterance("да"), Some(&first.token)),
                late
            )
            .await
        ),
        Some((410, "token_expired"))
    );
    // Missing token after the start.
    assert_eq!(
        status(send(&dialog, &request(1, utterance("да"), None), NOW).await),
        Some((400, "bad_request"))
    );
}

#[tokio::test]
async fn a_failing_or_slow_scenario_costs_one_fallback_phrase_not_the_call() {
    let (dialog, _) = setup();
    let first = send(&dialog, &request(0, Event::CallStarted, None), NOW)
        .await
        .unwrap();
    let broken = send(
        &dialog,
        &request(1, utterance("сломайся"), Some(&first.token)),
        NOW,
    )
    .await
    .unwrap();
    assert_eq!(said(&broken), "Извините, повторите, пожалуйста.");
    assert!(matches!(
        broken.actions.last(),
        Some(VoxAction::Listen { .. })
    ));
    // The state from before the failed turn is kept: the next turn is the 2nd.
    let next = send(
        &dialog,
        &request(2, utterance("да"), Some(&broken.token)),
        NOW,
    )
    .await
    .unwrap();
    assert!(said(&next).starts_with("v1: ход 2"), "{}", said(&next));

    let slow = send(
        &dialog,
        &request(3, utterance("думай долго"), Some(&next.token)),
        NOW,
    )
    .await
    .unwrap();
    // The knowledge base would have answered after the deadline: the caller hears the
    // fallback phrase at the deadline instead, and the state from before is kept.
    assert_eq!(said(&slow), "Извините, повторите, пожалуйста.");
    let claims = sva_dialog::token::open(b"service-key", &slow.token, NOW).unwrap();
    assert_eq!(claims.records.failures, 2);
    assert_eq!(claims.state, serde_json::json!({ "n": 2 }));
    let last = claims.records.turns.last().unwrap();
    assert_eq!(last.failure.as_deref(), Some("turn_deadline"));
}

#[tokio::test]
async fn a_call_in_flight_keeps_its_scenario_version() {
    let (dialog, directory) = setup();
    let first = send(&dialog, &request(0, Event::CallStarted, None), NOW)
        .await
        .unwrap();
    directory.put_tenant(Tenant {
        routing: ScenarioRouting::only("v2"),
        ..tenant("demo")
    });
    let next = send(
        &dialog,
        &request(1, utterance("да"), Some(&first.token)),
        NOW,
    )
    .await
    .unwrap();
    assert!(said(&next).starts_with("v1:"), "in-flight call stays on v1");
    let new_call = send(&dialog, &request(0, Event::CallStarted, None), NOW)
        .await
        .unwrap();
    assert!(said(&new_call).starts_with("v2:"), "new calls start on v2");
}

#[tokio::test]
async fn a_replaced_secret_is_accepted_only_in_its_grace_period() {
    let (dialog, directory) = setup();
    let rotated = |until| Tenant {
        signing_secret: b"the-new-secret".to_vec(),
        previous_secrets: vec![(b"older".to_vec(), NOW + 3600), (SECRET.to_vec(), until)],
        ..tenant("demo")
    };
    directory.put_tenant(rotated(NOW + 60));
    send(&dialog, &request(0, Event::CallStarted, None), NOW)
        .await
        .expect("the old secret is still accepted");
    directory.put_tenant(rotated(NOW));
    let err = send(&dialog, &request(0, Event::CallStarted, None), NOW)
        .await
        .unwrap_err();
    assert_eq!((err.status(), err.code()), (401, "bad_signature"));
}

#[tokio::test]
async fn a_disabled_tenant_is_refused() {
    let (dialog, directory) = setup();
    directory.put_tenant(Tenant {
        disabled: true,
        ..tenant("demo")
    });
    let err = send(&dialog, &request(0, Event::CallStarted, None), NOW)
        .await
        .unwrap_err();
    assert_eq!((err.status(), err.code()), (403, "tenant_disabled"));
}

#[tokio::test]
async fn a_wasm_scenario_answers_through_the_sandbox() {
    let (dialog, directory) = setup();
    let sandbox = Arc::new(sva_sandbox::Sandbox::new(Default::default()).unwrap());
    let wasm = wat::parse_str(include_str!("../../../scenarios/abi/minimal.wat")).unwrap();
    let scenario = sva_turn::wasm::WasmScenario::load(sandbox, "demo", &wasm).unwrap();
    directory.put_scenario("demo", "v1", Arc::new(scenario));
    let first = send(&dialog, &request(0, Event::CallStarted, None), NOW)
        .await
        .unwrap();
    assert_eq!(said(&first), "Здравствуйте! Это минимальный сценарий.");
    assert!(
        matches!(first.actions.last(), Some(VoxAction::Hangup { reason }) if reason == "completed")
    );
}
