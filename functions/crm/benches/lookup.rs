//! The call-start lookup against the sandbox portal over loopback HTTP: one `batch`
//! (find the contact, read it, its open deal, its manager if active). `direct` is what
//! the client and the sandbox cost with no network; `latency_120ms` adds a portal
//! across the internet answering in 120 ms. Figures in `docs/performance.md`.
//!
//! `cargo bench -p sva-crm --bench lookup`

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use std::time::Duration;
use sva_bitrix::{Client, ClientConfig, Credentials, RateLimit};
use sva_portal::{Portal, PortalConfig};

fn lookup(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let unlimited = sva_portal::RateLimit {
        per_second: f64::INFINITY,
        burst: u32::MAX,
    };
    let portal = runtime
        .block_on(Portal::start(PortalConfig {
            rate: unlimited,
            ..PortalConfig::default()
        }))
        .expect("the sandbox starts");
    let contact = portal.seed_contact(json!({
        "NAME": "Иван", "ASSIGNED_BY_ID": 7,
        "PHONE": [{"VALUE": "8 (916) 765-43-21", "VALUE_TYPE": "MOBILE"}],
    }));
    portal.seed_deal(json!({"TITLE": "Поставка", "CONTACT_IDS": [contact]}));
    let (access, refresh) = portal.install_app();
    let client = Client::new(
        &portal.url(),
        Credentials::OAuth {
            client_id: portal.config().client_id.clone(),
            client_secret: portal.config().client_secret.clone(),
            refresh_token: refresh,
            access_token: Some(access),
        },
        ClientConfig {
            rate: RateLimit {
                per_second: 10_000.0,
                burst: 10_000,
            },
            token_url: format!("{}/oauth/token/", portal.url()),
            allowed_hosts: vec!["127.0.0.1".into()],
            ..ClientConfig::default()
        },
    )
    .expect("a client");
    let find = || {
        runtime
            .block_on(sva_crm::lookup::find(&client, "+79167654321"))
            .expect("the lookup answers")
            .expect("a known contact")
    };
    let mut group = c.benchmark_group("lookup");
    group.bench_function("direct", |b| b.iter(find));
    portal.faults().set_latency(Duration::from_millis(120));
    group.sample_size(20);
    group.bench_function("latency_120ms", |b| b.iter(find));
    group.finish();
}

criterion_group!(benches, lookup);
criterion_main!(benches);
