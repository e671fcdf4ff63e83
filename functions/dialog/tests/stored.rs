//! Tenants and modules from object storage (`StoredDirectory`): the deployment's default
//! scenario serves a tenant until it activates a module of its own.

use std::sync::Arc;
use sva_abi::Event;
use sva_dialog::{Dialog, DialogOptions, Headers, StoredDirectory};
use sva_kit::storage::LocalDir;
use sva_tenants::{TenantSettings, TenantStore};
use sva_wire::signature;
use sva_wire::turn::{CallContext, TurnRequest, TurnResponse, VoxAction};

const NOW: u64 = 1_764_061_200;
const SECRET: &str = "tenant-secret";
const MINIMAL: &str = include_str!("../../../scenarios/abi/minimal.wat");

async fn call_started(dialog: &Dialog, call: &str) -> TurnResponse {
    let body = serde_json::to_vec(&TurnRequest {
        tenant: "acme".into(),
        call: CallContext {
            id: call.into(),
            ..CallContext::default()
        },
        seq: 0,
        event: Event::CallStarted,
        token: None,
    })
    .unwrap();
    let (ts, sig) = (
        NOW.to_string(),
        signature::sign(SECRET.as_bytes(), NOW, &body),
    );
    let headers = Headers {
        tenant: Some("acme"),
        timestamp: Some(&ts),
        signature: Some(&sig),
    };
    dialog.turn_at(headers, &body, NOW).await.expect("answered")
}

fn said(answer: &TurnResponse) -> Vec<&str> {
    answer
        .actions
        .iter()
        .filter_map(|a| match a {
            VoxAction::Say { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_tenant_without_a_module_runs_the_default_until_it_activates_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let tenants = TenantStore::new(Arc::new(LocalDir::new(dir.path())));
    tenants
        .create(&TenantSettings::new("acme", "Акме", "станки"), "operator")
        .await
        .unwrap();
    tenants.put_signing_secret("acme", SECRET).await.unwrap();
    let sandbox = Arc::new(sva_sandbox::Sandbox::new(Default::default()).unwrap());
    let default = wat::parse_str(MINIMAL).unwrap();
    let directory = StoredDirectory::new(tenants.clone(), sandbox)
        .with_ttl(std::time::Duration::ZERO)
        .with_default_scenario(default.clone());
    let options = DialogOptions {
        token_key: b"service-key".to_vec(),
        ..DialogOptions::default()
    };
    let dialog = Dialog::new(Arc::new(directory), options);

    // No module of its own: the shipped default answers, under its content hash.
    let first = call_started(&dialog, "c-1").await;
    assert_eq!(said(&first), ["Здравствуйте! Это минимальный сценарий."]);
    let claims = sva_dialog::token::open(b"service-key", &first.token, NOW).unwrap();
    assert_eq!(claims.version, sva_tenants::module_version(&default));

    // Its own module, activated: new calls run it (the same greeting's length: the
    // module returns a fixed number of bytes).
    let own = wat::parse_str(MINIMAL.replace("минимальный", "собственный")).unwrap();
    let version = tenants.put_module("acme", &own).await.unwrap();
    tenants
        .update_settings("acme", "operator", "activate", |s| {
            s.scenario.activate(&version);
            Ok::<_, sva_tenants::TenantStoreError>(())
        })
        .await
        .unwrap();
    let second = call_started(&dialog, "c-2").await;
    assert_eq!(said(&second), ["Здравствуйте! Это собственный сценарий."]);
}
