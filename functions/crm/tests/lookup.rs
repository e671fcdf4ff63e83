//! Who is calling, at the start of a call: the name, the open deal and the manager who
//! still works there, in one request with the stored access token: one round trip to
//! the portal, which is what keeps it within the call's 400 ms (timed by
//! `benches/lookup.rs`, not here: a timed test measures the machine).

mod common;

use common::*;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use sva_crm::{Connections, Customers};
use sva_tenants::{CrmAuth, CrmSecrets};

/// A rig whose tenant has a live access token stored (as the last refresh left it).
async fn warm_rig() -> Rig {
    let rig = rig(CrmAuth::Oauth).await;
    let (access, refresh) = rig.portal.install_app();
    let secrets = rig.tenants.crm_secrets("acme").await.unwrap();
    let warm = CrmSecrets {
        refresh_token: Some(refresh),
        access_token: Some(access),
        access_expires_at: Some(sva_kit::unix_now() + 3600),
        ..CrmSecrets::default()
    };
    rig.tenants
        .put_crm_secrets("acme", &secrets.merged(&warm))
        .await
        .unwrap();
    rig
}

fn customers(rig: &Rig) -> Customers {
    // A new process: its own connections, nothing cached.
    let connections = Arc::new(Connections::new(
        rig.tenants.clone(),
        client_config(&rig.portal),
    ));
    Customers::new(connections, Duration::from_secs(60))
}

#[tokio::test]
async fn the_caller_is_known_by_name_open_deal_and_manager_in_one_request() {
    let rig = warm_rig().await;
    let contact = rig.portal.seed_contact(json!({
        "NAME": "Иван",
        "ASSIGNED_BY_ID": 7,
        "PHONE": [{"VALUE": "8 916 765-43-21", "VALUE_TYPE": "MOBILE"}],
    }));
    rig.portal
        .seed_deal(json!({"TITLE": "Поставка стеллажей", "CONTACT_IDS": [contact]}));
    rig.portal
        .seed_deal(json!({"TITLE": "Закрытая", "CONTACT_IDS": [contact], "STAGE_ID": "WON"}));
    let secrets = rig.tenants.crm_secrets("acme").await.unwrap();
    // A portal across the internet: every request takes 120 ms.
    rig.portal.faults().set_latency(Duration::from_millis(120));
    let customers = customers(&rig);
    let before = rig.portal.stats().requests;
    let profile = customers
        .lookup("acme", "+79167654321")
        .await
        .expect("a known contact");
    assert_eq!(rig.portal.stats().requests, before + 1, "one request");
    assert_eq!(
        rig.tenants.crm_secrets("acme").await.unwrap(),
        secrets,
        "no refresh: the stored access token was used"
    );
    assert_eq!(profile.name.as_deref(), Some("Иван"));
    assert_eq!(profile.deal.as_deref(), Some("Поставка стеллажей"));
    assert_eq!(profile.manager_phone.as_deref(), Some("+74955550007"));
    assert!(profile.manager_name.is_some());
    rig.portal.faults().clear();

    // Unknown numbers and tenants without a CRM are simply unknown.
    assert_eq!(customers.lookup("acme", "+79990000000").await, None);
    assert_eq!(customers.lookup("nobody", "+79167654321").await, None);
    // Answers are cached: the portal is not asked again.
    let before = rig.portal.stats().requests;
    customers.lookup("acme", "+79167654321").await.unwrap();
    assert_eq!(rig.portal.stats().requests, before);
}

#[tokio::test]
async fn a_manager_who_left_is_not_offered() {
    let rig = warm_rig().await;
    rig.portal.seed_contact(json!({
        "NAME": "Мария",
        "ASSIGNED_BY_ID": 6,
        "PHONE": [{"VALUE": "+79167650000"}],
    }));
    rig.portal.set_user_active(6, false);
    let profile = customers(&rig)
        .lookup("acme", "89167650000")
        .await
        .expect("a known contact");
    assert_eq!(profile.name.as_deref(), Some("Мария"));
    assert_eq!(profile.deal, None);
    assert_eq!(profile.manager_name, None);
    assert_eq!(profile.manager_phone, None);
}
