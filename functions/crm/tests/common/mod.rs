//! What the CRM step's tests share: a sandbox portal, a tenant connected to it in a
//! local directory, the outbox worker, and calls recorded as the dialog function
//! records them.
#![allow(dead_code)]

use bytes::Bytes;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use sva_bitrix::{ClientConfig, RateLimit};
use sva_crm::{Connections, Outbox, OutboxConfig};
use sva_kit::storage::{DynStore, LocalDir};
use sva_portal::{Entity, Fault, Portal, PortalConfig, RunningPortal, UserFieldType};
use sva_tenants::{CrmAuth, CrmConnection, CrmSecrets, TenantSettings, TenantStore};

/// Every way the sandbox portal can fail a request.
pub const EVERY_FAULT: [Fault; 5] = [
    Fault::Unavailable,
    Fault::InternalError,
    Fault::Hang,
    Fault::DropAfterWrite,
    Fault::RateLimited,
];

/// A portal, a tenant `acme` connected to it, and the outbox worker.
pub struct Rig {
    pub portal: RunningPortal,
    pub store: DynStore,
    pub tenants: TenantStore,
    pub connections: Arc<Connections>,
    pub outbox: Arc<Outbox>,
    /// The deal pipeline the tenant's deals go to.
    pub category: u64,
    pub _dir: tempfile::TempDir,
}

pub fn fast_portal() -> PortalConfig {
    PortalConfig {
        rate: sva_portal::RateLimit {
            per_second: 10_000.0,
            burst: 10_000,
        },
        hang: Duration::from_millis(600),
        ..PortalConfig::default()
    }
}

pub fn client_config(portal: &RunningPortal) -> ClientConfig {
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

pub async fn rig(auth: CrmAuth) -> Rig {
    rig_with(auth, fast_portal(), |_, _| {}).await
}

/// A rig whose portal is made with `config` and whose tenant's connection is changed by
/// `setup` (it may also set the portal up).
pub async fn rig_with(
    auth: CrmAuth,
    config: PortalConfig,
    setup: impl FnOnce(&mut CrmConnection, &Portal),
) -> Rig {
    let portal = Portal::start(config).await.unwrap();
    let category = portal.add_deal_category("Входящие звонки");
    for entity in [Entity::Lead, Entity::Deal] {
        portal.add_user_field(entity, "UF_CRM_BUDGET", UserFieldType::Money, false, &[]);
    }
    let dir = tempfile::tempdir().unwrap();
    let store: DynStore = Arc::new(LocalDir::new(dir.path()));
    let tenants = TenantStore::new(store.clone());
    let mut settings = TenantSettings::new("acme", "Акме", "складской учёт");
    let portal_config = portal.config().clone();
    let mut crm = CrmConnection {
        webhook_user_id: Some(portal_config.webhook_user_id),
        client_id: Some(portal_config.client_id.clone()),
        responsible_user_id: Some(1),
        deal_category_id: Some(category),
        fields: BTreeMap::from([("budget".into(), "UF_CRM_BUDGET".into())]),
        ..CrmConnection::new(&portal.url(), auth)
    };
    setup(&mut crm, &portal);
    settings.crm = Some(crm);
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
    let connections = Arc::new(
        Connections::new(tenants.clone(), client_config(&portal)).with_field_ttl(Duration::ZERO),
    );
    let outbox = Arc::new(Outbox::new(
        store.clone(),
        connections.clone(),
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
        connections,
        outbox,
        category,
        _dir: dir,
    }
}

/// A call record as the dialog function writes it, and its outbox entry. `extra`
/// replaces top-level members, adds slots (`slots`) or sets the outcome (`outcome`).
pub async fn record_call(store: &DynStore, id: &str, caller: &str, extra: Value) {
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
                    if value.is_null() {
                        r["qualification"]["slots"]
                            .as_object_mut()
                            .unwrap()
                            .remove(slot);
                    } else {
                        r["qualification"]["slots"][slot] = value.clone();
                    }
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
pub async fn crm_result(store: &DynStore, call: &str) -> Value {
    let key = format!("crm/acme/2026-12-01/{call}.json");
    let bytes = store.get(&key).await.unwrap();
    serde_json::from_slice(&bytes.unwrap_or_else(|| panic!("no result at {key}"))).unwrap()
}

/// Sweeps until the outbox is empty (bounded).
pub async fn drain(outbox: &Arc<Outbox>, store: &DynStore) {
    for _ in 0..400 {
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

/// The numbers of a record's `PHONE`.
pub fn phones(record: &Value) -> Vec<String> {
    record["PHONE"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p["VALUE"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// The records of `rows` the assistant created (`ORIGINATOR_ID=sva`).
pub fn ours(rows: Vec<Value>) -> Vec<Value> {
    rows.into_iter()
        .filter(|r| r["ORIGINATOR_ID"] == "sva")
        .collect()
}

/// The to-dos in the portal.
pub fn todos(portal: &Portal) -> Vec<Value> {
    portal
        .activities()
        .into_iter()
        .filter(|a| a["PROVIDER_ID"] == "CRM_TODO")
        .collect()
}

/// A server with recordings on loopback: `/{name}.mp3` answers 512 bytes.
pub async fn records_server() -> String {
    use axum::routing::get;
    let app = axum::Router::new().route("/{name}", get(|| async { vec![0u8; 512] }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

/// The id in a record's `ID`.
pub fn id(record: &Value) -> u64 {
    record["ID"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}
