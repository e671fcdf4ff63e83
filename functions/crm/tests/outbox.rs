//! The CRM step against the Bitrix24 sandbox portal over real HTTP: calls recorded in
//! object storage (a local directory) end as contacts, leads or deals, comments, call
//! history and to-dos — once, whatever the portal does.

use bytes::Bytes;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;
use sva_bitrix::{ClientConfig, RateLimit};
use sva_crm::{Connections, Outbox, OutboxConfig, Processed};
use sva_kit::storage::{DynStore, LocalDir};
use sva_portal::{Fault, Portal, PortalConfig, RunningPortal};
use sva_tenants::{CrmAuth, CrmConnection, CrmSecrets, TenantSettings, TenantStore};

struct Rig {
    portal: RunningPortal,
    store: DynStore,
    tenants: TenantStore,
    outbox: Arc<Outbox>,
    _dir: tempfile::TempDir,
}

/// Every way the sandbox portal can fail a request.
const EVERY_FAULT: [Fault; 5] = [
    Fault::Unavailable,
    Fault::InternalError,
    Fault::Hang,
    Fault::DropAfterWrite,
    Fault::RateLimited,
];

fn fast_portal() -> PortalConfig {
    PortalConfig {
        rate: sva_portal::RateLimit {
            per_second: 10_000.0,
            burst: 10_000,
        },
        hang: Duration::from_millis(600),
        ..PortalConfig::default()
    }
}

fn client_config(portal: &RunningPortal) -> ClientConfig {
    ClientConfig {
        rate: RateLimit {
            per_second: 10_000.0,
            burst: 10_000,
        },
        timeout: Duration::from_millis(300),
        max_attempts: 4,
        rate_limit_backoff: Duration::from_millis(5),
        operation_limit_wait: Duration::from_millis(5),
        backoff: Duration::from_millis(5),
        token_url: format!("{}/oauth/token/", portal.url()),
        allowed_hosts: vec!["127.0.0.1".into()],
    }
}

async fn rig(auth: CrmAuth) -> Rig {
    rig_with(auth, fast_portal()).await
}

async fn rig_with(auth: CrmAuth, config: PortalConfig) -> Rig {
    let portal = Portal::start(config).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store: DynStore = Arc::new(LocalDir::new(dir.path()));
    let tenants = TenantStore::new(store.clone());
    let mut settings = TenantSettings::new("acme", "Акме", "складской учёт");
    let portal_config = portal.config().clone();
    settings.crm = Some(CrmConnection {
        portal: portal.url(),
        auth,
        webhook_user_id: Some(portal_config.webhook_user_id),
        client_id: Some(portal_config.client_id.clone()),
        responsible_user_id: Some(1),
        deal_category_id: Some(3),
        fields: BTreeMap::from([("budget".into(), "UF_CRM_BUDGET".into())]),
    });
    tenants.create(&settings, "test").await.unwrap();
    let secrets = match auth {
        CrmAuth::Webhook => CrmSecrets {
            webhook_code: Some(portal_config.webhook_code.clone()),
            ..CrmSecrets::default()
        },
        CrmAuth::Oauth => {
            let (_access, refresh) = portal.install_app();
            CrmSecrets {
                client_secret: Some(portal_config.client_secret.clone()),
                refresh_token: Some(refresh),
                ..CrmSecrets::default()
            }
        }
    };
    tenants.put_crm_secrets("acme", &secrets).await.unwrap();
    let connections = Arc::new(Connections::new(tenants.clone(), client_config(&portal)));
    let outbox = Arc::new(Outbox::new(
        store.clone(),
        connections,
        OutboxConfig {
            max_attempts: 50,
            backoff: Duration::ZERO,
            lease: Duration::from_secs(60),
            concurrency: 8,
        },
    ));
    Rig {
        portal,
        store,
        tenants,
        outbox,
        _dir: dir,
    }
}

/// A call record as the dialog function writes it, and its outbox entry.
async fn record_call(store: &DynStore, id: &str, caller: &str, extra: Value) {
    let mut record = json!({
        "v": 1,
        "tenant": "acme",
        "call": {"id": id, "direction": "inbound", "caller": caller, "callee": "+74950000000"},
        "started_at": "2026-12-01T10:00:00+03:00",
        "duration_s": 95,
        "end_reason": "hangup",
        "qualification": {
            "slots": {
                "need": {"value": "учёт на складе", "confidence": 0.8, "utterance": "нужен учёт на складе"},
                "budget": {"value": {"amount": 700000, "currency": "RUB"}, "confidence": 0.9, "utterance": "семьсот тысяч"},
                "name": {"value": "Ольга", "confidence": 0.9, "utterance": "меня зовут ольга"},
                "company": {"value": "Техносклад", "confidence": 0.8, "utterance": "техносклад"}
            },
            "score": 85,
            "outcome": "qualified"
        },
        "callbacks": [],
        "recording_url": null,
        "transcript": [
            {"seq": 0, "at_ms": 0, "caller": "", "assistant": ["Здравствуйте! Я автоматический помощник."], "latency_ms": 40},
            {"seq": 1, "at_ms": 4000, "caller": "нужен учёт на складе", "assistant": ["Какой у вас бюджет?"], "latency_ms": 40}
        ],
        "cost": {"currency": "RUB", "total": 7.5, "vat_included": true, "components": {}, "prices": "default"}
    });
    if let (Value::Object(r), Value::Object(e)) = (&mut record, extra) {
        for (k, v) in e {
            if k == "slots" {
                for (slot, value) in v.as_object().unwrap() {
                    r["qualification"]["slots"][slot] = value.clone();
                }
            } else if k == "outcome" {
                r["qualification"]["outcome"] = v;
            } else {
                r.insert(k, v);
            }
        }
    }
    let key = format!("calls/acme/2026-12-01/{id}.json");
    store
        .put(&key, Bytes::from(record.to_string()))
        .await
        .unwrap();
    let entry = json!({
        "v": 1, "tenant": "acme", "call_id": id, "record": key,
        "created_at": "2026-12-01T07:01:35Z", "attempts": 0,
    });
    store
        .put(
            &format!("outbox/crm/acme/{id}.json"),
            Bytes::from(entry.to_string()),
        )
        .await
        .unwrap();
}

/// What the CRM step did for a call (its result object).
async fn crm_result(store: &DynStore, call: &str) -> Value {
    let key = format!("crm/acme/2026-12-01/{call}.json");
    let bytes = store.get(&key).await.unwrap();
    serde_json::from_slice(&bytes.unwrap_or_else(|| panic!("no result at {key}"))).unwrap()
}

/// Sweeps until the outbox is empty (bounded).
async fn drain(outbox: &Arc<Outbox>, store: &DynStore) {
    for _ in 0..200 {
        outbox.sweep().await.unwrap();
        if store.list("outbox/crm/").await.unwrap().is_empty() {
            return;
        }
    }
    panic!(
        "the outbox did not drain: {:?}",
        store.list("outbox/crm/").await.unwrap()
    );
}

fn field<'a>(record: &'a Value, name: &str) -> &'a Value {
    &record[name]
}

fn phones(record: &Value) -> Vec<String> {
    record["PHONE"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p["VALUE"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_new_caller_becomes_a_contact_a_lead_a_comment_a_call_and_a_todo() {
    let rig = rig(CrmAuth::Oauth).await;
    record_call(
        &rig.store,
        "c-1",
        "89161234567",
        json!({
            "callbacks": [{"at": "2026-12-02T15:00:00+03:00", "note": "после обеда"}],
            "recording_url": "https://records.example.ru/c-1.mp3",
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
    assert_eq!(field(lead, "ORIGIN_ID"), "c-1");
    assert_eq!(field(lead, "ORIGINATOR_ID"), "sva");
    assert_eq!(field(lead, "SOURCE_ID"), "CALL");
    assert_eq!(field(lead, "NAME"), "Ольга");
    assert_eq!(field(lead, "COMPANY_TITLE"), "Техносклад");
    assert_eq!(field(lead, "CURRENCY_ID"), "RUB");
    assert_eq!(field(lead, "ASSIGNED_BY_ID"), "1");
    assert!(
        field(lead, "OPPORTUNITY")
            .as_str()
            .unwrap()
            .starts_with("700000"),
        "{lead}"
    );
    assert_eq!(phones(lead), ["+79161234567"]);
    assert!(
        field(lead, "TITLE")
            .as_str()
            .unwrap()
            .contains("учёт на складе")
    );
    assert!(
        field(lead, "COMMENTS")
            .as_str()
            .unwrap()
            .contains("квалифицирован")
    );
    assert!(field(lead, "UF_CRM_BUDGET").to_string().contains("700000"));

    let contacts = rig.portal.contacts();
    assert_eq!(contacts.len(), 1);
    assert_eq!(field(&contacts[0], "ORIGIN_ID"), "c-1");
    assert_eq!(field(lead, "CONTACT_ID"), field(&contacts[0], "ID"));

    let comments = rig.portal.comments();
    assert_eq!(comments.len(), 1);
    let comment = comments[0].to_string();
    assert!(comment.contains("нужен учёт на складе"), "{comment}");
    assert!(comment.contains("records.example.ru"), "{comment}");

    let calls = rig.portal.calls();
    assert_eq!(calls.len(), 1, "{calls:#?}");
    let call = calls[0].to_string();
    assert!(call.contains("79161234567"), "{call}");
    assert!(call.contains("records.example.ru/c-1.mp3"), "{call}");
    assert!(call.contains("Какой у вас бюджет?"), "{call}");

    let todos: Vec<Value> = rig
        .portal
        .activities()
        .into_iter()
        .filter(|a| a["PROVIDER_ID"] == "CRM_TODO")
        .collect();
    assert_eq!(todos.len(), 1, "{todos:#?}");
    assert!(todos[0].to_string().contains("после обеда"));

    // The result names what was made; the outbox and the leases are empty.
    let result = crm_result(&rig.store, "c-1").await;
    assert_eq!(
        result["progress"]["lead_id"].as_u64(),
        field(lead, "ID").as_str().unwrap().parse().ok()
    );
    assert_eq!(result["progress"]["telephony"]["transcript"], "attached");
    assert!(rig.store.list("outbox/").await.unwrap().is_empty());
    // No request wasted: the CRM mode (once per connection), find, contact, lead,
    // comment, to-do, register, finish, recording, transcription (docs/runbook.md
    // counts on it).
    assert_eq!(rig.portal.stats().executed, 10, "{:?}", rig.portal.stats());
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
async fn a_known_phone_gets_a_deal_on_the_existing_contact_not_a_lead() {
    let rig = rig(CrmAuth::Oauth).await;
    let known = rig.portal.seed_contact(json!({
        "NAME": "Иван",
        "LAST_NAME": "Петров",
        "ASSIGNED_BY_ID": 7,
        "PHONE": [{"VALUE": "8 (916) 123-45-67", "VALUE_TYPE": "MOBILE"}],
    }));
    record_call(
        &rig.store,
        "c-2",
        "+79161234567",
        json!({ "slots": { "email": {"value": "ivan@example.ru", "confidence": 0.9, "utterance": "…"} } }),
    )
    .await;
    drain(&rig.outbox, &rig.store).await;

    assert!(rig.portal.leads().is_empty(), "{:#?}", rig.portal.leads());
    let deals = rig.portal.deals();
    assert_eq!(deals.len(), 1);
    let deal = &deals[0];
    assert!(deal["CONTACT_IDS"].to_string().contains(&known.to_string()));
    assert_eq!(deal["ASSIGNED_BY_ID"], "7", "the contact's own manager");
    assert_eq!(deal["CATEGORY_ID"], "3");
    assert_eq!(deal["ORIGIN_ID"], "c-2");
    let contacts = rig.portal.contacts();
    assert_eq!(contacts.len(), 1, "no second contact");
    assert!(
        contacts[0]["EMAIL"].to_string().contains("ivan@example.ru"),
        "the known contact got the e-mail: {}",
        contacts[0]
    );
    let comments = rig.portal.comments();
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0]["ENTITY_TYPE"], "deal");
}

#[tokio::test]
async fn a_webhook_portal_gets_the_lead_without_the_call_history() {
    let rig = rig(CrmAuth::Webhook).await;
    record_call(&rig.store, "c-3", "+79031112233", json!({})).await;
    drain(&rig.outbox, &rig.store).await;
    assert_eq!(rig.portal.leads().len(), 1);
    assert!(rig.portal.calls().is_empty());
    assert_eq!(
        rig.portal.stats().executed,
        5,
        "mode, find, contact, lead, comment"
    );
    let result = crm_result(&rig.store, "c-3").await;
    assert!(
        result["progress"]["telephony_skipped"]
            .as_str()
            .unwrap()
            .contains("OAuth")
    );
}

#[tokio::test]
async fn with_30_percent_of_requests_failing_200_calls_make_exactly_200_leads() {
    let rig = rig(CrmAuth::Oauth).await;
    for i in 0..200 {
        record_call(
            &rig.store,
            &format!("f-{i:03}"),
            &format!("+7916{:07}", 1_000_000 + i),
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

    let leads = rig.portal.leads();
    let origins: BTreeSet<String> = leads
        .iter()
        .map(|l| l["ORIGIN_ID"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(leads.len(), 200, "no duplicates");
    assert_eq!(origins.len(), 200, "none lost");
    assert_eq!(rig.portal.contacts().len(), 200);
    let comments = rig.portal.comments();
    let commented: BTreeSet<String> = comments
        .iter()
        .map(|c| c["ENTITY_ID"].to_string())
        .collect();
    assert_eq!(comments.len(), 200, "one transcript comment per lead");
    assert_eq!(commented.len(), 200);
    let todos = rig
        .portal
        .activities()
        .into_iter()
        .filter(|a| a["PROVIDER_ID"] == "CRM_TODO")
        .count();
    assert_eq!(todos, 200, "one to-do per booked callback");
    let calls = rig.portal.calls();
    assert_eq!(calls.len(), 200, "one call-history entry per call");
    for i in 0..200 {
        assert!(
            rig.store
                .exists(&format!("crm/acme/2026-12-01/f-{i:03}.json"))
                .await
                .unwrap()
        );
    }
}

#[tokio::test]
async fn an_expired_access_token_is_refreshed_once_and_the_rotated_token_is_stored() {
    let rig = rig(CrmAuth::Oauth).await;
    let before = rig.tenants.crm_secrets("acme").await.unwrap().refresh_token;
    record_call(&rig.store, "t-1", "+79160000001", json!({})).await;
    drain(&rig.outbox, &rig.store).await;
    let first = rig.tenants.crm_secrets("acme").await.unwrap().refresh_token;
    assert_ne!(
        before, first,
        "the first call refreshed and stored the new token"
    );

    rig.portal.expire_access_tokens();
    record_call(&rig.store, "t-2", "+79160000002", json!({})).await;
    drain(&rig.outbox, &rig.store).await;
    let second = rig.tenants.crm_secrets("acme").await.unwrap().refresh_token;
    assert_ne!(first, second, "the expired token was refreshed");
    assert_eq!(rig.portal.leads().len(), 2);
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
async fn the_caller_is_looked_up_with_name_open_deal_and_manager() {
    let rig = rig(CrmAuth::Oauth).await;
    let contact = rig.portal.seed_contact(json!({
        "NAME": "Иван",
        "ASSIGNED_BY_ID": 7,
        "PHONE": [{"VALUE": "8 916 765-43-21", "VALUE_TYPE": "MOBILE"}],
    }));
    // An open deal on the contact, as a manager would have made it.
    record_call(&rig.store, "k-1", "+79167654321", json!({})).await;
    drain(&rig.outbox, &rig.store).await;
    assert_eq!(rig.portal.deals().len(), 1);

    let connections = Arc::new(Connections::new(
        rig.tenants.clone(),
        client_config(&rig.portal),
    ));
    let customers = sva_crm::Customers::new(connections, Duration::from_secs(60));
    let profile = customers
        .lookup("acme", "89167654321")
        .await
        .expect("a known contact");
    assert_eq!(profile.name.as_deref(), Some("Иван"));
    assert!(profile.deal.as_deref().unwrap().contains("учёт на складе"));
    assert_eq!(profile.manager_phone.as_deref(), Some("+74955550007"));
    assert!(profile.manager_name.is_some());
    assert!(contact > 0);

    // Unknown numbers and tenants without a CRM are simply unknown.
    assert_eq!(customers.lookup("acme", "+79990000000").await, None);
    assert_eq!(customers.lookup("nobody", "+79167654321").await, None);
    // Answers are cached: the portal is not asked again.
    let before = rig.portal.stats().requests;
    customers.lookup("acme", "+79167654321").await.unwrap();
    assert_eq!(rig.portal.stats().requests, before);
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
            max_attempts: 20,
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
    assert_eq!(rig.portal.contacts().len(), 60);
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
    assert_eq!(rig.portal.contacts().len(), 1);
    assert!(rig.store.list("outbox/").await.unwrap().is_empty());
}

#[tokio::test]
async fn what_the_portal_refuses_never_costs_the_lead() {
    let rig = rig(CrmAuth::Oauth).await;
    // A misheard e-mail (the portal refuses the contact), a currency it lacks… and a
    // callback at a time that is not one.
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
    assert!(
        result["progress"]["contact_failed"].is_string(),
        "{result:#}"
    );
    // The lead carried the same e-mail: made again with the essentials.
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

#[tokio::test]
async fn a_portal_in_the_simple_crm_mode_gets_deals_not_leads() {
    let rig = rig_with(
        CrmAuth::Webhook,
        PortalConfig {
            simple_crm: true,
            ..fast_portal()
        },
    )
    .await;
    record_call(&rig.store, "s-1", "+79160000008", json!({})).await;
    drain(&rig.outbox, &rig.store).await;
    assert!(rig.portal.leads().is_empty(), "{:#?}", rig.portal.leads());
    let deals = rig.portal.deals();
    assert_eq!(deals.len(), 1);
    let contacts = rig.portal.contacts();
    assert_eq!(contacts.len(), 1);
    assert!(
        deals[0]["CONTACT_IDS"]
            .to_string()
            .contains(contacts[0]["ID"].as_str().unwrap())
    );
    assert_eq!(deals[0]["ORIGIN_ID"], "s-1");
}
