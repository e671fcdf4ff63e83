//! The CRM step against the Bitrix24 sandbox portal over real HTTP: calls recorded in
//! object storage (a local directory) end as leads or deals, comments, call history and
//! to-dos — once per customer, whatever the portal does.

mod common;

use bytes::Bytes;
use common::*;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;
use sva_crm::{Connections, Outbox, OutboxConfig, Processed};
use sva_portal::Fault;
use sva_tenants::{CrmAuth, CrmSecrets};

#[tokio::test]
async fn a_new_caller_becomes_a_lead_a_comment_a_call_and_a_todo() {
    let rig = rig(CrmAuth::Oauth).await;
    let records = records_server().await;
    let recording = format!("{records}/c-1.mp3");
    record_call(
        &rig.store,
        "c-1",
        "89161234567",
        json!({
            "callbacks": [{"at": "2026-12-02T15:00:00+03:00", "note": "после обеда"}],
            "recording_url": recording,
        }),
    )
    .await;
    let outcome = rig
        .outbox
        .process("outbox/crm/acme/c-1.json")
        .await
        .unwrap();
    assert_eq!(
        outcome,
        Processed::Done("crm/acme/2026-12-01/c-1.json".into())
    );

    let leads = rig.portal.leads();
    assert_eq!(leads.len(), 1, "{leads:#?}");
    let lead = &leads[0];
    assert_eq!(lead["ORIGIN_ID"], "c-1");
    assert_eq!(lead["ORIGINATOR_ID"], "sva");
    assert_eq!(lead["SOURCE_ID"], "CALL");
    assert_eq!(lead["NAME"], "Ольга");
    assert_eq!(lead["COMPANY_TITLE"], "Техносклад");
    assert_eq!(lead["CURRENCY_ID"], "RUB");
    assert_eq!(lead["ASSIGNED_BY_ID"], "1");
    assert!(
        lead["OPPORTUNITY"].as_str().unwrap().starts_with("700000"),
        "{lead}"
    );
    assert_eq!(phones(lead), ["+79161234567"]);
    assert!(lead["TITLE"].as_str().unwrap().contains("учёт на складе"));
    assert!(
        lead["COMMENTS"]
            .as_str()
            .unwrap()
            .contains("квалифицирован")
    );
    assert_eq!(lead["UF_CRM_BUDGET"], "700000|RUB", "money in its type");
    // A new caller is a lead alone: no contact, so not a repeat lead.
    assert!(
        rig.portal.contacts().is_empty(),
        "{:#?}",
        rig.portal.contacts()
    );
    assert_eq!(lead["IS_RETURN_CUSTOMER"], "N");
    assert_eq!(lead["CONTACT_ID"], Value::Null);

    let comments = rig.portal.comments();
    assert_eq!(comments.len(), 1);
    let comment = comments[0].to_string();
    assert!(comment.contains("нужен учёт на складе"), "{comment}");
    assert!(comment.contains("c-1.mp3"), "{comment}");

    let calls = rig.portal.calls();
    assert_eq!(calls.len(), 1, "{calls:#?}");
    let call = &calls[0];
    assert_eq!(call["PHONE_NUMBER"], "+79161234567");
    assert_eq!(call["CRM_ENTITY_TYPE"], "LEAD");
    assert_eq!(call["CRM_ENTITY_ID"], json!(id(lead)));
    assert_eq!(call["LINE_NUMBER"], "+74950000000", "LINE_NUMBER is sent");
    assert_eq!(call["RECORD"]["FILENAME"], "c-1.mp3", "FILENAME is sent");
    assert!(call["RECORD"]["FILE_ID"].as_u64().is_some(), "{call}");
    assert!(call.to_string().contains("Какой у вас бюджет?"), "{call}");

    let todos = todos(&rig.portal);
    assert_eq!(todos.len(), 1, "{todos:#?}");
    assert!(todos[0].to_string().contains("после обеда"));
    assert_eq!(todos[0]["PING_OFFSETS"], json!([15, 0]), "with reminders");

    // The result names what was made; the outbox and the leases are empty.
    let result = crm_result(&rig.store, "c-1").await;
    assert_eq!(result["progress"]["rule"], "new_lead");
    assert_eq!(result["progress"]["lead_id"].as_u64(), Some(id(lead)));
    assert_eq!(result["progress"]["telephony"]["transcript"], "attached");
    assert!(
        rig.store
            .list("outbox/")
            .await
            .unwrap()
            .iter()
            .all(|k| k.starts_with("outbox/state/"))
    );
    // No request wasted (docs/runbook.md counts on it): the CRM mode (once per
    // connection), the match (a batch of three; nothing found, so nothing more to read),
    // the lead's custom fields (a batch of two), the lead, the comment, the to-do,
    // register, finish, recording, transcription.
    assert_eq!(rig.portal.stats().requests, 10, "{:?}", rig.portal.stats());
    // Done is done: the same key again changes nothing.
    assert_eq!(
        rig.outbox
            .process("outbox/crm/acme/c-1.json")
            .await
            .unwrap(),
        Processed::Skipped("gone")
    );
    assert_eq!(rig.portal.leads().len(), 1);
}

#[tokio::test]
async fn a_recording_the_portal_cannot_fetch_leaves_the_transcription_on_the_call() {
    let rig = rig(CrmAuth::Oauth).await;
    // A private URL: the portal cannot download it (here: nobody listens).
    record_call(
        &rig.store,
        "p-1",
        "+79160000011",
        json!({ "recording_url": "http://127.0.0.1:9/private/p-1.mp3" }),
    )
    .await;
    drain(&rig.outbox, &rig.store).await;
    let result = crm_result(&rig.store, "p-1").await;
    let telephony = &result["progress"]["telephony"];
    assert!(
        telephony["record_note"]
            .as_str()
            .unwrap()
            .contains("Server returns HTTP error code"),
        "{result:#}"
    );
    assert_eq!(telephony["transcript"], "attached");
    assert!(result["progress"]["telephony_skipped"].is_null());
    assert_eq!(
        rig.portal.calls()[0]["TRANSCRIPTS"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_finish_whose_answer_was_lost_is_recognised_by_the_second_one() {
    let rig = rig(CrmAuth::Oauth).await;
    record_call(&rig.store, "f-1", "+79160000012", json!({})).await;
    // mode, match, fields, lead, comment, register pass; finish runs, its answer is lost.
    rig.portal.faults().fail_after(6, 1, Fault::DropAfterWrite);
    drain(&rig.outbox, &rig.store).await;
    let calls = rig.portal.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["FINISHED"], json!(true));
    let activities: Vec<Value> = rig
        .portal
        .activities()
        .into_iter()
        .filter(|a| a["PROVIDER_ID"] == "VOXIMPLANT_CALL")
        .collect();
    assert_eq!(activities.len(), 1, "one call activity");
    let result = crm_result(&rig.store, "f-1").await;
    let telephony = &result["progress"]["telephony"];
    assert_eq!(telephony["finished"], json!(true), "{result:#}");
    assert!(
        telephony["note"].as_str().unwrap().contains("уже завершил"),
        "{result:#}"
    );
    assert_eq!(telephony["transcript"], "attached");
}

#[tokio::test]
async fn a_webhook_portal_gets_the_lead_without_the_call_history() {
    let rig = rig(CrmAuth::Webhook).await;
    record_call(&rig.store, "c-3", "+79031112233", json!({})).await;
    drain(&rig.outbox, &rig.store).await;
    assert_eq!(rig.portal.leads().len(), 1);
    assert!(rig.portal.calls().is_empty());
    assert_eq!(
        rig.portal.stats().requests,
        5,
        "mode, match, fields, lead, comment"
    );
    let result = crm_result(&rig.store, "c-3").await;
    assert!(
        result["progress"]["telephony_skipped"]
            .as_str()
            .unwrap()
            .contains("OAuth")
    );
}

/// The customers of the returning-callers run: what each of the 120 numbers is in the
/// portal before the calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Before {
    OpenLead,
    ContactWithOpenDeal,
    ContactWithoutDeal,
    CompanyWithOpenDeal,
    JunkLead,
    Unknown,
}

fn before(i: usize) -> Before {
    match i {
        0..20 => Before::OpenLead,
        20..40 => Before::ContactWithOpenDeal,
        40..50 => Before::ContactWithoutDeal,
        50..55 => Before::CompanyWithOpenDeal,
        55..60 => Before::JunkLead,
        _ => Before::Unknown,
    }
}

/// How the number of customer `i` is written in the portal (any of the common forms).
fn written(i: usize) -> String {
    let n = format!("916{:07}", 3_000_000 + i);
    match i % 3 {
        0 => format!("+7{n}"),
        1 => format!("8 ({}) {}-{}-{}", &n[..3], &n[3..6], &n[6..8], &n[8..]),
        _ => format!("8{n}"),
    }
}

#[tokio::test]
async fn with_30_percent_of_requests_failing_200_calls_from_120_numbers_make_one_record_per_customer()
 {
    let rig = rig(CrmAuth::Oauth).await;
    let cat = rig.category;
    // What the portal has before: seeded as managers would have made it.
    let mut expected_owner: BTreeMap<usize, (&str, u64)> = BTreeMap::new();
    let mut expected_entity: BTreeMap<usize, (&str, u64)> = BTreeMap::new();
    for i in 0..120 {
        let phone = json!([{"VALUE": written(i), "VALUE_TYPE": "MOBILE"}]);
        match before(i) {
            Before::OpenLead => {
                let lead = rig.portal.seed_lead(
                    json!({"TITLE": format!("Заявка {i}"), "PHONE": phone, "ASSIGNED_BY_ID": 3}),
                );
                expected_owner.insert(i, ("lead", lead));
                expected_entity.insert(i, ("LEAD", lead));
            }
            Before::ContactWithOpenDeal => {
                let contact = rig.portal.seed_contact(
                    json!({"NAME": format!("Клиент {i}"), "PHONE": phone, "ASSIGNED_BY_ID": 4}),
                );
                let deal = rig.portal.seed_deal(json!({"TITLE": format!("Сделка {i}"), "CONTACT_IDS": [contact], "CATEGORY_ID": cat, "STAGE_ID": format!("C{cat}:EXECUTING")}));
                expected_owner.insert(i, ("deal", deal));
                expected_entity.insert(i, ("CONTACT", contact));
            }
            Before::ContactWithoutDeal => {
                let contact = rig.portal.seed_contact(
                    json!({"NAME": format!("Клиент {i}"), "PHONE": phone, "ASSIGNED_BY_ID": 5}),
                );
                // A closed deal does not count.
                rig.portal.seed_deal(
                    json!({"TITLE": "Старая", "CONTACT_IDS": [contact], "STAGE_ID": "WON"}),
                );
                expected_entity.insert(i, ("CONTACT", contact));
            }
            Before::CompanyWithOpenDeal => {
                let company = rig
                    .portal
                    .seed_company(json!({"TITLE": format!("ООО {i}"), "PHONE": phone}));
                let deal = rig.portal.seed_deal(json!({"TITLE": format!("Поставка {i}"), "COMPANY_ID": company, "CATEGORY_ID": cat}));
                expected_owner.insert(i, ("deal", deal));
                expected_entity.insert(i, ("COMPANY", company));
            }
            Before::JunkLead => {
                rig.portal
                    .seed_lead(json!({"TITLE": "Отказ", "PHONE": phone, "STATUS_ID": "JUNK"}));
            }
            Before::Unknown => {}
        }
    }
    let seeded_leads = rig.portal.leads().len();
    // 80 callers call twice, 40 once: 200 calls.
    let mut calls: Vec<(String, usize)> = Vec::new();
    for i in 0..120 {
        let times = if i < 80 { 2 } else { 1 };
        for t in 0..times {
            calls.push((format!("r-{i:03}-{t}"), i));
        }
    }
    assert_eq!(calls.len(), 200);
    for (call, i) in &calls {
        let number = format!("+7916{:07}", 3_000_000 + i);
        record_call(
            &rig.store,
            call,
            &number,
            json!({ "callbacks": [{"at": "2026-12-02T15:00:00+03:00", "note": ""}] }),
        )
        .await;
    }
    rig.portal
        .faults()
        .fail_randomly(0.3, &EVERY_FAULT, 20261201);
    drain(&rig.outbox, &rig.store).await;
    rig.portal.faults().clear();

    let dead = rig.outbox.dead_letters("acme").await.unwrap();
    assert!(
        dead.is_empty(),
        "{:#?}",
        dead.iter().map(|d| &d.last_error).collect::<Vec<_>>()
    );
    let stats = rig.portal.stats();
    assert!(stats.faults_injected > 300, "{stats:?}");

    // No duplicate contact, lead or deal: what was created, one per customer who lacked
    // a record.
    assert!(
        ours(rig.portal.contacts()).is_empty(),
        "no contact for a new caller"
    );
    let leads = ours(rig.portal.leads());
    let lead_numbers: BTreeSet<String> = leads.iter().flat_map(phones).collect();
    assert_eq!(
        leads.len(),
        5 + 60,
        "junk-lead and unknown callers: one lead each"
    );
    assert_eq!(lead_numbers.len(), leads.len(), "one lead per number");
    assert_eq!(rig.portal.leads().len(), seeded_leads + 65);
    let deals = ours(rig.portal.deals());
    assert_eq!(
        deals.len(),
        10,
        "one deal per known contact without an open one"
    );
    let deal_contacts: BTreeSet<String> =
        deals.iter().map(|d| d["CONTACT_ID"].to_string()).collect();
    assert_eq!(deal_contacts.len(), 10);
    for lead in &leads {
        let number = phones(lead)[0].clone();
        let i: usize = number[5..].parse::<usize>().unwrap() - 3_000_000;
        expected_owner.insert(i, ("lead", id(lead)));
        expected_entity.insert(i, ("LEAD", id(lead)));
    }
    for deal in &deals {
        let contact: u64 = deal["CONTACT_ID"].as_str().unwrap().parse().unwrap();
        let i = (40..50)
            .find(|i| expected_entity.get(i) == Some(&("CONTACT", contact)))
            .expect("a deal of a known contact");
        expected_owner.insert(i, ("deal", id(deal)));
        assert_eq!(deal["ASSIGNED_BY_ID"], "5", "the contact's own manager");
        assert_eq!(deal["CATEGORY_ID"], cat.to_string());
    }

    // Every call is in the history of the right record: its comment and its to-do on
    // the lead or deal, its call registered on the lead or the deal's contact or company
    // and, for a deal, bound to it.
    let comments = rig.portal.comments();
    assert_eq!(comments.len(), 200, "one transcript comment per call");
    let todos = todos(&rig.portal);
    assert_eq!(todos.len(), 200, "one to-do per booked callback");
    let telephony = rig.portal.calls();
    assert_eq!(telephony.len(), 200, "one call-history entry per call");
    let activities = rig.portal.activities();
    for (call, i) in &calls {
        let (owner_type, owner_id) = expected_owner[i];
        let marker = format!("ID звонка: «{call}»");
        let comment = comments
            .iter()
            .find(|c| c["COMMENT"].as_str().unwrap().contains(&marker))
            .unwrap_or_else(|| panic!("{call}: no comment"));
        assert_eq!(
            (
                comment["ENTITY_TYPE"].as_str().unwrap(),
                comment["ENTITY_ID"].as_str().unwrap()
            ),
            (owner_type, owner_id.to_string().as_str()),
            "{call} ({:?})",
            before(*i)
        );
        let todo = todos
            .iter()
            .find(|t| t["DESCRIPTION"].as_str().unwrap().contains(&marker))
            .unwrap_or_else(|| panic!("{call}: no to-do"));
        let type_id = if owner_type == "deal" { "2" } else { "1" };
        assert_eq!(
            (
                todo["OWNER_TYPE_ID"].as_str().unwrap(),
                todo["OWNER_ID"].as_str().unwrap()
            ),
            (type_id, owner_id.to_string().as_str()),
            "{call}"
        );
        let history = telephony
            .iter()
            .find(|c| c["EXTERNAL_CALL_ID"] == json!(call))
            .unwrap_or_else(|| panic!("{call}: no call history"));
        let (entity_type, entity_id) = expected_entity[i];
        assert_eq!(history["CRM_ENTITY_TYPE"], entity_type, "{call}");
        assert_eq!(history["CRM_ENTITY_ID"], json!(entity_id), "{call}");
        assert_eq!(history["FINISHED"], json!(true), "{call}");
        if owner_type == "deal" {
            let activity = activities
                .iter()
                .find(|a| a["ID"].as_str() == Some(&history["CRM_ACTIVITY_ID"].to_string()))
                .unwrap_or_else(|| panic!("{call}: no call activity"));
            assert!(
                activity["BINDINGS"]
                    .as_array()
                    .unwrap()
                    .contains(&json!({"entityTypeId": 2, "entityId": owner_id})),
                "{call}: the call is in the deal's history: {activity}"
            );
        }
    }
    for (call, _) in &calls {
        assert!(
            rig.store
                .exists(&format!("crm/acme/2026-12-01/{call}.json"))
                .await
                .unwrap()
        );
    }
}

#[tokio::test]
async fn an_access_token_is_stored_with_its_expiry_and_a_new_process_does_not_refresh() {
    let rig = rig(CrmAuth::Oauth).await;
    let before = rig.tenants.crm_secrets("acme").await.unwrap().refresh_token;
    record_call(&rig.store, "t-1", "+79160000001", json!({})).await;
    drain(&rig.outbox, &rig.store).await;
    let first = rig.tenants.crm_secrets("acme").await.unwrap();
    assert_ne!(
        before, first.refresh_token,
        "the first call refreshed and stored the new token"
    );
    assert!(first.access_token.is_some());
    assert!(first.access_expires_at.unwrap() > sva_kit::unix_now() + 3000);

    // Another container: its own connections; the stored access token serves it.
    let second = Arc::new(Outbox::new(
        rig.store.clone(),
        Arc::new(Connections::new(
            rig.tenants.clone(),
            client_config(&rig.portal),
        )),
        OutboxConfig::default(),
    ));
    record_call(&rig.store, "t-2", "+79160000002", json!({})).await;
    drain(&second, &rig.store).await;
    assert_eq!(
        rig.tenants.crm_secrets("acme").await.unwrap(),
        first,
        "no refresh: the pair is the same"
    );

    rig.portal.expire_access_tokens();
    record_call(&rig.store, "t-3", "+79160000003", json!({})).await;
    drain(&rig.outbox, &rig.store).await;
    let third = rig.tenants.crm_secrets("acme").await.unwrap();
    assert_ne!(
        first.refresh_token, third.refresh_token,
        "the expired token was refreshed"
    );
    assert_eq!(rig.portal.leads().len(), 3);
}

#[tokio::test]
async fn bad_credentials_make_a_dead_letter_that_resumes_once_fixed() {
    let rig = rig(CrmAuth::Webhook).await;
    let good = rig.tenants.crm_secrets("acme").await.unwrap();
    rig.tenants
        .put_crm_secrets(
            "acme",
            &CrmSecrets {
                webhook_code: Some("wrongcode".into()),
                ..CrmSecrets::default()
            },
        )
        .await
        .unwrap();
    record_call(&rig.store, "d-1", "+79160000003", json!({})).await;
    match rig
        .outbox
        .process("outbox/crm/acme/d-1.json")
        .await
        .unwrap()
    {
        Processed::Dead { key, error } => {
            assert_eq!(key, "outbox/dead/crm/acme/d-1.json");
            assert_eq!(error.code, "NO_AUTH_FOUND");
        }
        other => panic!("{other:?}"),
    }
    let dead = rig.outbox.dead_letters("acme").await.unwrap();
    assert_eq!(dead.len(), 1);
    assert!(rig.portal.leads().is_empty());

    // The integrator fixes the webhook (a settings change re-reads the secrets) and
    // puts the dead letters back.
    rig.tenants.put_crm_secrets("acme", &good).await.unwrap();
    rig.tenants
        .update_with("acme", "test", "crm secrets", true, |s| {
            s.secrets_changed_at.insert("crm".into(), "now".into());
            Ok::<_, sva_tenants::TenantStoreError>(())
        })
        .await
        .unwrap();
    assert_eq!(rig.outbox.requeue("acme", None).await.unwrap(), 1);
    drain(&rig.outbox, &rig.store).await;
    assert_eq!(rig.portal.leads().len(), 1);
    assert!(rig.outbox.dead_letters("acme").await.unwrap().is_empty());
}

#[tokio::test]
async fn a_tenant_without_a_crm_connection_gets_a_dead_letter_not_a_loss() {
    let rig = rig(CrmAuth::Webhook).await;
    rig.tenants
        .update_settings("acme", "test", "crm off", |s| {
            s.crm = None;
            Ok::<_, sva_tenants::TenantStoreError>(())
        })
        .await
        .unwrap();
    record_call(&rig.store, "n-1", "+79160000004", json!({})).await;
    match rig
        .outbox
        .process("outbox/crm/acme/n-1.json")
        .await
        .unwrap()
    {
        Processed::Dead { error, .. } => assert_eq!(error.code, "crm_not_configured"),
        other => panic!("{other:?}"),
    }
    assert!(
        rig.store
            .exists("calls/acme/2026-12-01/n-1.json")
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn a_second_worker_does_not_run_a_leased_attempt() {
    let rig = rig(CrmAuth::Webhook).await;
    record_call(&rig.store, "l-1", "+79160000005", json!({})).await;
    // Another worker holds attempt 1.
    rig.store
        .put_if_absent(
            "outbox/lease/crm/acme/l-1/000001.json",
            Bytes::from(json!({"until": u64::MAX / 2}).to_string()),
        )
        .await
        .unwrap();
    assert_eq!(
        rig.outbox
            .process("outbox/crm/acme/l-1.json")
            .await
            .unwrap(),
        Processed::Skipped("leased")
    );
    assert!(rig.portal.leads().is_empty());
    // Its lease expired (the worker died): the next attempt runs, as a retry.
    rig.store
        .put(
            "outbox/lease/crm/acme/l-1/000001.json",
            Bytes::from(json!({"until": 1}).to_string()),
        )
        .await
        .unwrap();
    assert!(matches!(
        rig.outbox
            .process("outbox/crm/acme/l-1.json")
            .await
            .unwrap(),
        Processed::Done(_)
    ));
    assert_eq!(rig.portal.leads().len(), 1);
}

#[tokio::test]
async fn a_caller_decided_elsewhere_waits_and_then_finds_that_lead() {
    let rig = rig(CrmAuth::Webhook).await;
    record_call(&rig.store, "w-1", "+79160000015", json!({})).await;
    record_call(&rig.store, "w-2", "+79160000015", json!({})).await;
    // Another worker is deciding for this caller right now.
    rig.store
        .put_if_absent(
            "outbox/lease/crm-caller/acme/79160000015/000001.json",
            Bytes::from(json!({"until": u64::MAX / 2}).to_string()),
        )
        .await
        .unwrap();
    match rig
        .outbox
        .process("outbox/crm/acme/w-1.json")
        .await
        .unwrap()
    {
        Processed::Retry { error, .. } => assert_eq!(error.code, "caller_busy"),
        other => panic!("{other:?}"),
    }
    assert!(rig.portal.leads().is_empty());
    rig.store
        .put(
            "outbox/lease/crm-caller/acme/79160000015/000001.json",
            Bytes::from(json!({"until": 1}).to_string()),
        )
        .await
        .unwrap();
    drain(&rig.outbox, &rig.store).await;
    assert_eq!(rig.portal.leads().len(), 1, "{:#?}", rig.portal.leads());
    let lead = id(&rig.portal.leads()[0]);
    for call in ["w-1", "w-2"] {
        let result = crm_result(&rig.store, call).await;
        assert_eq!(result["progress"]["lead_id"].as_u64(), Some(lead), "{call}");
    }
    assert!(
        rig.store
            .list("outbox/lease/crm-caller/")
            .await
            .unwrap()
            .is_empty(),
        "the caller's leases are let go"
    );
}

#[tokio::test]
async fn two_containers_a_trigger_and_a_timer_on_one_outbox_still_make_one_lead_each() {
    let rig = rig(CrmAuth::Oauth).await;
    for i in 0..60 {
        record_call(
            &rig.store,
            &format!("p-{i:03}"),
            &format!("+7903{:07}", 2_000_000 + i),
            json!({}),
        )
        .await;
    }
    rig.portal.faults().fail_randomly(0.3, &EVERY_FAULT, 7);
    // A second container: its own clients and cache, the same bucket.
    let second = Arc::new(Outbox::new(
        rig.store.clone(),
        Arc::new(Connections::new(
            rig.tenants.clone(),
            client_config(&rig.portal),
        )),
        OutboxConfig {
            max_attempts: 40,
            backoff: Duration::from_millis(10),
            lease: Duration::from_secs(60),
            concurrency: 8,
        },
    ));
    let keys = rig.store.list("outbox/crm/").await.unwrap();
    let mut workers = tokio::task::JoinSet::new();
    for outbox in [rig.outbox.clone(), second.clone()] {
        let store = rig.store.clone();
        workers.spawn(async move {
            for _ in 0..400 {
                outbox.sweep().await.unwrap();
                if store.list("outbox/crm/").await.unwrap().is_empty() {
                    return;
                }
            }
        });
    }
    // The storage trigger: each entry processed as it was written, at the same time.
    for key in keys {
        let outbox = second.clone();
        workers.spawn(async move {
            outbox.process(&key).await.unwrap();
        });
    }
    while let Some(done) = workers.join_next().await {
        done.unwrap();
    }
    rig.portal.faults().clear();
    assert!(rig.store.list("outbox/crm/").await.unwrap().is_empty());
    let dead = rig.outbox.dead_letters("acme").await.unwrap();
    assert!(
        dead.is_empty(),
        "{:#?}",
        dead.iter().map(|d| &d.last_error).collect::<Vec<_>>()
    );
    let origins: BTreeSet<String> = rig
        .portal
        .leads()
        .iter()
        .map(|l| l["ORIGIN_ID"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(rig.portal.leads().len(), 60, "no duplicates");
    assert_eq!(origins.len(), 60, "none lost");
    assert!(rig.portal.contacts().is_empty());
    assert_eq!(rig.portal.comments().len(), 60);
    assert_eq!(rig.portal.calls().len(), 60);
}

#[tokio::test]
async fn a_repeated_end_of_call_report_after_the_crm_step_makes_nothing_twice() {
    let rig = rig(CrmAuth::Webhook).await;
    record_call(&rig.store, "r-1", "+79160000006", json!({})).await;
    drain(&rig.outbox, &rig.store).await;
    // VoxEngine repeats the end report: the dialog function writes the entry again.
    record_call(&rig.store, "r-1", "+79160000006", json!({})).await;
    assert_eq!(
        rig.outbox
            .process("outbox/crm/acme/r-1.json")
            .await
            .unwrap(),
        Processed::Done("crm/acme/2026-12-01/r-1.json".into())
    );
    assert_eq!(rig.portal.leads().len(), 1);
    assert_eq!(rig.portal.comments().len(), 1);
}

#[tokio::test]
async fn what_the_portal_refuses_never_costs_the_lead() {
    let rig = rig(CrmAuth::Oauth).await;
    // A misheard e-mail and a currency the portal lacks (both refused)… and a callback
    // at a time that is not one.
    record_call(
        &rig.store,
        "v-1",
        "+79160000007",
        json!({
            "slots": {
                "email": {"value": "ivan@@example", "confidence": 0.4, "utterance": "…"},
                "budget": {"value": {"amount": 5000, "currency": "XXX"}, "confidence": 0.9, "utterance": "…"}
            },
            "callbacks": [{"at": "когда-нибудь", "note": ""}],
        }),
    )
    .await;
    drain(&rig.outbox, &rig.store).await;
    let leads = rig.portal.leads();
    assert_eq!(
        leads.len(),
        1,
        "{:#?}",
        rig.outbox.dead_letters("acme").await.unwrap()
    );
    let result = crm_result(&rig.store, "v-1").await;
    // Made again with the essentials.
    assert!(result["progress"]["minimal"].is_string(), "{result:#}");
    assert!(
        leads[0]["COMMENTS"]
            .as_str()
            .unwrap()
            .contains("Портал не принял"),
        "{}",
        leads[0]
    );
    assert_eq!(result["progress"]["todo_ids"].as_array().unwrap().len(), 1);
}
