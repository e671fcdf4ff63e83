//! A portal administrator installs the application alone: the portal posts the install
//! to the handler opened for the tenant, the tokens are stored, later events must carry
//! the application token; and the tenant's settings are checked against the portal.

mod common;

use common::*;
use serde_json::json;
use std::sync::Arc;
use sva_crm::PortalCheck;
use sva_crm::install::{Installer, install_url};
use sva_portal::{Entity, Portal, UserFieldType};
use sva_tenants::{CrmAuth, CrmCheck, CrmCheckError, CrmSecrets, OutcomeKind, OutcomeStatus};

/// The CRM function's routes on a free port; its address.
async fn serve(rig: &Rig, public: bool) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let installer = Arc::new(Installer::new(
        rig.connections.clone(),
        public.then(|| base.clone()),
    ));
    let robots = Arc::new(sva_crm::robot::Robots::new(
        rig.connections.clone(),
        rig.store.clone(),
        None,
    ));
    let router = sva_crm::http::router(rig.outbox.clone(), installer, robots);
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    base
}

/// A tenant connected to the portal as an OAuth application not yet installed: the
/// portal and the install key only.
async fn before_install(rig: &Rig) {
    rig.tenants
        .put_crm_secrets(
            "acme",
            &CrmSecrets {
                install_key: Some("k3y".into()),
                ..CrmSecrets::default()
            },
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn the_portal_installs_the_application_for_the_tenant_and_calls_flow() {
    let rig = rig(CrmAuth::Oauth).await;
    before_install(&rig).await;
    let base = serve(&rig, true).await;
    let (status, page) = rig
        .portal
        .install_to(&rig.portal.url(), &install_url(&base, "acme", "k3y"))
        .await
        .unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Голосовой ассистент подключён"), "{page}");
    let secrets = rig.tenants.crm_secrets("acme").await.unwrap();
    assert!(secrets.refresh_token.is_some() && secrets.access_token.is_some());
    assert!(secrets.access_expires_at.unwrap() > sva_kit::unix_now() + 3000);
    assert_eq!(secrets.application_token, rig.portal.application_token());
    let status = rig.tenants.crm_status("acme").await.unwrap();
    let install = status.install.expect("the install is shown");
    assert_eq!(
        install.domain,
        rig.portal.url().trim_start_matches("http://")
    );
    assert_eq!(install.member_id, rig.portal.member_id());
    assert_eq!(install.scope, "crm,telephony,user,bizproc");
    assert_eq!(
        rig.portal.bound_events(),
        [(
            "ONAPPUNINSTALL".to_owned(),
            format!("{base}/v1/crm/events/acme")
        )]
    );
    // Calls flow at once, on the installed access token (no client secret yet).
    record_call(&rig.store, "i-1", "+79160002001", json!({})).await;
    drain(&rig.outbox, &rig.store).await;
    assert_eq!(rig.portal.leads().len(), 1);
    assert_eq!(rig.portal.calls().len(), 1);
    assert_eq!(
        rig.tenants.crm_secrets("acme").await.unwrap().refresh_token,
        secrets.refresh_token,
        "no refresh"
    );

    // The portal removes the application: the event carries its token; the tokens go.
    let (status, _) = rig
        .portal
        .send_event(
            &rig.portal.url(),
            &format!("{base}/v1/crm/events/acme"),
            "ONAPPUNINSTALL",
            &[("CLEAN", "0")],
        )
        .await
        .unwrap();
    assert_eq!(status, 200);
    let secrets = rig.tenants.crm_secrets("acme").await.unwrap();
    assert_eq!(
        (
            secrets.refresh_token,
            secrets.access_token,
            secrets.application_token
        ),
        (None, None, None)
    );
    let status = rig.tenants.crm_status("acme").await.unwrap();
    assert!(status.install.unwrap().uninstalled_at.is_some());
}

#[tokio::test]
async fn an_install_from_anyone_else_is_refused() {
    let rig = rig(CrmAuth::Oauth).await;
    before_install(&rig).await;
    let base = serve(&rig, false).await;
    for (tenant, key) in [("acme", "wrong"), ("nobody", "k3y"), ("acme", "")] {
        let (status, _) = rig
            .portal
            .install_to(&rig.portal.url(), &install_url(&base, tenant, key))
            .await
            .unwrap();
        assert_eq!(status, 404, "{tenant}/{key}");
    }
    // Another portal with the right key: not the tenant's.
    let other = Portal::start(fast_portal()).await.unwrap();
    let (status, body) = other
        .install_to(&other.url(), &install_url(&base, "acme", "k3y"))
        .await
        .unwrap();
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("wrong_portal"), "{body}");
    // The tenant's portal named, tokens from another: the portal does not confirm them.
    let (status, body) = other
        .install_to(&rig.portal.url(), &install_url(&base, "acme", "k3y"))
        .await
        .unwrap();
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("not_confirmed"), "{body}");
    assert_eq!(
        rig.tenants.crm_secrets("acme").await.unwrap().refresh_token,
        None,
        "nothing stored"
    );
}

#[tokio::test]
async fn an_event_without_the_application_token_is_refused() {
    let rig = rig(CrmAuth::Oauth).await;
    before_install(&rig).await;
    let base = serve(&rig, false).await;
    rig.portal
        .install_to(&rig.portal.url(), &install_url(&base, "acme", "k3y"))
        .await
        .unwrap();
    let forged = reqwest::Client::new()
        .post(format!("{base}/v1/crm/events/acme"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("event=ONAPPUNINSTALL&auth%5Bapplication_token%5D=guess")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 401);
    let missing = reqwest::Client::new()
        .post(format!("{base}/v1/crm/events/acme"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("event=ONAPPUNINSTALL")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status().as_u16(), 401);
    assert!(
        rig.tenants
            .crm_secrets("acme")
            .await
            .unwrap()
            .refresh_token
            .is_some(),
        "the tokens stay"
    );
}

#[tokio::test]
async fn the_settings_are_checked_against_the_portal() {
    let rig = rig(CrmAuth::Webhook).await;
    rig.portal
        .add_user_field(Entity::Lead, "UF_CRM_FILE", UserFieldType::Date, false, &[]);
    rig.portal.set_user_active(12, false);
    let check = PortalCheck::new(rig.connections.clone());
    let secrets = rig.tenants.crm_secrets("acme").await.unwrap();
    let good = rig
        .tenants
        .settings("acme")
        .await
        .unwrap()
        .unwrap()
        .crm
        .unwrap();
    assert_eq!(check.check("acme", &good, &secrets).await.unwrap(), []);

    let mut bad = good.clone();
    bad.fields.insert("need".into(), "UF_CRM_NOPE".into());
    bad.fields.insert("timeline".into(), "UF_CRM_FILE".into());
    bad.rotation = vec![11, 12];
    bad.source_id = Some("TIKTOK".into());
    bad.outcomes.insert(
        OutcomeKind::NotInterested,
        OutcomeStatus {
            lead_status: Some("LOST".into()),
            deal_stage: Some(format!("C{}:GONE", rig.category)),
        },
    );
    let problems = check.check("acme", &bad, &secrets).await.unwrap();
    let settings: Vec<&str> = problems.iter().map(|p| p.setting.as_str()).collect();
    assert_eq!(
        settings,
        [
            "crm.fields.need",
            "crm.fields.need",
            "crm.fields.timeline",
            "crm.source_id",
            "crm.outcomes.not_interested.lead_status",
            "crm.outcomes.not_interested.deal_stage",
            "crm.rotation",
        ],
        "{problems:#?}"
    );
    assert!(problems[0].message.contains("UF_CRM_NOPE"));
    assert!(
        problems[2].message.contains("deals"),
        "on leads only: {:?}",
        problems[2]
    );
    assert!(problems[6].message.contains("12"));

    // New OAuth tokens are never spent by a check.
    let mut oauth = good.clone();
    oauth.auth = CrmAuth::Oauth;
    let fresh = CrmSecrets {
        refresh_token: Some("new".into()),
        ..CrmSecrets::default()
    };
    assert!(matches!(
        check.check("acme", &oauth, &fresh).await,
        Err(CrmCheckError::Unreachable(_))
    ));
}
