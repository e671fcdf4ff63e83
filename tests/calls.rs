//! Russian calls played against the local stack over HTTP, exactly as VoxEngine plays
//! them (signed turns, state tokens, the end-of-call report), and what they leave in
//! storage.

use std::time::Duration;
use sva_abi::{Direction, Event};
use sva_tests::Stack;
use sva_wire::turn::VoxAction;

#[tokio::test]
async fn a_full_qualification_is_recorded_with_its_scenario_version() {
    let stack = Stack::start().await;
    let mut call = stack.call().await;
    assert!(call.heard().contains("ТехноСклад"), "{}", call.heard());
    let lines = [
        ("здравствуйте нам нужна система учета для склада", "бюджет"),
        ("где-то полтора миллиона рублей", "1 500 000 рублей"),
        ("хотим запустить в следующем месяце", "Решение"),
        ("нет решает генеральный директор", "обращаться"),
        ("меня зовут ольга петровна", "компании"),
        ("техносклад плюс", "45-67"),
        ("да записывайте", "Ольга"),
    ];
    for (line, expected) in lines {
        call.say(line).await.unwrap();
        assert!(
            call.heard().contains(expected),
            "after {line:?} expected {expected:?}, heard {:?}",
            call.heard()
        );
    }
    assert!(matches!(call.next_step(), Some(VoxAction::Hangup { .. })));
    let id = call.id().to_owned();
    let ended = call.hang_up("hangup").await.unwrap();
    assert!(ended.created);
    assert!(ended.record.starts_with("calls/demo/"), "{}", ended.record);
    assert!(ended.record.ends_with(&format!("{id}.json")));

    let record = stack.read(&ended.record);
    assert_eq!(record["scenario_version"], stack.stack.demo().version);
    assert_eq!(record["qualification"]["outcome"], "qualified");
    assert_eq!(
        record["qualification"]["slots"]["budget"]["value"]["amount"],
        1_500_000
    );
    assert_eq!(record["qualification"]["slots"]["name"]["value"], "Ольга");
    assert_eq!(record["turns"], 7);
    assert_eq!(record["transcript"].as_array().unwrap().len(), 8);
    assert_eq!(
        record["transcript"][2]["caller"],
        "где-то полтора миллиона рублей"
    );
    let outbox = stack.read(&format!("outbox/crm/demo/{id}.json"));
    assert_eq!(outbox["record"], ended.record);

    // The call's usage and its cost by component, priced with the shipped table.
    let usage: sva_costs::Usage = serde_json::from_value(record["usage"].clone()).unwrap();
    assert_eq!(
        usage.asr_sessions, 1,
        "one ASR object for the call, as VoxEngine"
    );
    assert_eq!(usage.asr_session_seconds.len(), 1);
    assert_eq!(usage.invocation_ms.len(), 9, "8 turns and the end report");
    assert_eq!(usage.gateway_requests, 9);
    let spoken: usize = record["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["assistant"].as_array().unwrap())
        .count();
    assert_eq!(usage.tts_requests.len(), spoken);
    let cost: sva_costs::CallCost = serde_json::from_value(record["cost"].clone()).unwrap();
    assert_eq!(cost.currency, "RUB");
    assert_eq!(cost.prices, "default@2026-11-30");
    let expected = sva_costs::price(
        &usage,
        &sva_costs::PriceTable::default_table(),
        Default::default(),
    )
    .unwrap();
    assert_eq!(cost, expected, "the stored cost is the usage priced");
    for component in [
        "telephony",
        "recognition",
        "synthesis",
        "compute",
        "storage",
        "gateway",
    ] {
        assert!(
            cost.components[component].amount > 0.0,
            "{component}: {cost:?}"
        );
    }
    assert!(
        !cost.components["telephony"].confirmed,
        "a placeholder minute price"
    );
}

#[tokio::test]
async fn a_hot_lead_is_transferred_with_a_summary() {
    let stack = Stack::start().await;
    let mut call = stack.call().await;
    for line in [
        "добрый день хотим автоматизировать два склада",
        "бюджет миллион двести",
        "в течение месяца надо запустить",
        "я решаю",
    ] {
        call.say(line).await.unwrap();
    }
    assert!(call.heard().contains("оединить"), "{}", call.heard());
    call.say("да соедините").await.unwrap();
    // The name first, so the manager and the CRM know who it is.
    assert!(call.heard().contains("как вас"), "{}", call.heard());
    call.say("Андрей").await.unwrap();
    let Some(VoxAction::Transfer { to, summary, .. }) = call.next_step().cloned() else {
        panic!("expected a transfer, got {:?}", call.last());
    };
    assert_eq!(to, "+74951234567");
    assert!(summary.contains("1 200 000"), "{summary}");
    // The manager does not answer: the scenario takes the call back.
    call.event(Event::TransferFailed {
        reason: "486".into(),
    })
    .await
    .unwrap();
    assert!(!call.heard().is_empty());
    let ended = call.hang_up("transfer_failed").await.unwrap();
    let record = stack.read(&ended.record);
    assert_eq!(
        record["qualification"]["slots"]["budget"]["value"]["amount"],
        1_200_000
    );
}

#[tokio::test]
async fn silence_twice_ends_the_call_politely() {
    let stack = Stack::start().await;
    let mut call = stack.call().await;
    call.silence().await.unwrap();
    assert!(call.heard().contains("слышите"), "{}", call.heard());
    call.silence().await.unwrap();
    assert!(matches!(call.next_step(), Some(VoxAction::Hangup { .. })));
    let ended = call.hang_up("hangup").await.unwrap();
    assert_eq!(
        stack.read(&ended.record)["qualification"]["outcome"],
        "dropped"
    );
}

#[tokio::test]
async fn an_outbound_call_uses_the_campaign_data_and_respects_do_not_call() {
    let stack = Stack::start().await;
    let mut info = sva_caller::inbound("+79161234567");
    info.direction = Direction::Outbound;
    info.custom_data.insert("name".into(), "Иван".into());
    info.custom_data
        .insert("reason".into(), "заявка на сайте".into());
    let mut call = stack.phone().dial(info).await.unwrap();
    assert!(call.heard().contains("Иван"), "{}", call.heard());
    call.say("не звоните мне больше").await.unwrap();
    assert!(
        call.heard().contains("не будем беспокоить"),
        "{}",
        call.heard()
    );
    assert!(call.is_over());
    let ended = call.hang_up("hangup").await.unwrap();
    assert_eq!(
        stack.read(&ended.record)["qualification"]["outcome"],
        "do_not_call"
    );
}

#[tokio::test]
async fn fifty_concurrent_calls_all_complete() {
    let stack = Stack::start().await;
    let phone = stack.phone();
    let mut tasks = Vec::new();
    for i in 0..50 {
        let phone = phone.clone();
        tasks.push(tokio::spawn(async move {
            let mut call = phone
                .dial(sva_caller::inbound(&format!("+7916{i:07}")))
                .await?;
            call.say("нам нужна система учета для склада").await?;
            call.say("бюджет два миллиона").await?;
            call.hang_up("caller_hangup").await
        }));
    }
    let mut records = std::collections::BTreeSet::new();
    for task in tasks {
        let ended = task.await.unwrap().expect("every call completes");
        records.insert(ended.record);
    }
    assert_eq!(records.len(), 50, "one record per call");
}

#[tokio::test]
async fn reporting_the_end_twice_changes_nothing() {
    let stack = Stack::start().await;
    let mut call = stack.call().await;
    call.say("нам нужен склад").await.unwrap();
    let transcript = call.transcript().to_vec();
    let last = call.last().unwrap().clone();
    let info_id = call.id().to_owned();
    let first = call.hang_up("caller_hangup").await.unwrap();
    assert!(first.created);
    let before = std::fs::read(stack.dir.path().join(&first.record)).unwrap();

    // The same report again, signed afresh (VoxEngine retrying after a lost answer).
    let end = sva_wire::turn::CallEnd {
        tenant: "demo".into(),
        call: sva_wire::turn::CallContext {
            id: info_id.clone(),
            ..sva_caller::inbound("+79161234567")
        },
        token: last.token,
        started_at: None,
        duration_s: 99,
        telephony_cost: None,
        asr: None,
        tts_chars: 0,
        tts_requests: Vec::new(),
        recording_url: None,
        transcript,
        end_reason: "caller_hangup".into(),
    };
    let body = serde_json::to_vec(&end).unwrap();
    let (status, again) = stack
        .post_signed(&format!("/v1/calls/{info_id}/end"), body)
        .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["created"], false);
    assert_eq!(
        std::fs::read(stack.dir.path().join(&first.record)).unwrap(),
        before,
        "the record is unchanged"
    );
}

#[tokio::test]
async fn an_activation_reaches_new_calls_while_calls_in_flight_keep_their_version() {
    let stack = Stack::start().await;
    let mut in_flight = stack.call().await;

    // Upload and activate another module (the minimal ABI module: greets and hangs up).
    let minimal = wat::parse_file(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scenarios/abi/minimal.wat"
    ))
    .unwrap();
    let tenants = sva_tenants::TenantStore::new(stack.stack.store().clone());
    let version = tenants.put_module("demo", &minimal).await.unwrap();
    let mut settings = tenants.settings("demo").await.unwrap().unwrap();
    let old = settings.scenario.active.replace(version.clone()).unwrap();
    settings.scenario.history.push(old.clone());
    tenants.put_settings(&settings).await.unwrap();
    // No restart: within the settings cache's lifetime new calls pick it up.
    tokio::time::sleep(sva_dialog::DEFAULT_TENANT_TTL + Duration::from_millis(200)).await;

    let fresh = stack.call().await;
    assert!(
        fresh.heard().contains("минимальный сценарий"),
        "{}",
        fresh.heard()
    );
    let fresh_end = fresh.hang_up("hangup").await.unwrap();
    assert_eq!(stack.read(&fresh_end.record)["scenario_version"], version);

    // The call that started before keeps talking to the default scenario.
    in_flight
        .say("нам нужна система учета для склада")
        .await
        .unwrap();
    assert!(
        in_flight.heard().contains("бюджет"),
        "{}",
        in_flight.heard()
    );
    let old_end = in_flight.hang_up("caller_hangup").await.unwrap();
    assert_eq!(stack.read(&old_end.record)["scenario_version"], old);
}

#[tokio::test]
async fn the_health_endpoint_answers() {
    let stack = Stack::start().await;
    let response = reqwest::get(format!("{}/healthz", stack.stack.url()))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}
