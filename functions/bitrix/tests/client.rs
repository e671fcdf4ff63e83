//! The client against the Bitrix24 sandbox portal over real HTTP: authentication,
//! rate limits, retries only where they are safe, typed errors, SSRF.

use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use sva_bitrix::{
    Batch, BitrixError, Client, ClientConfig, Credentials, Idempotency, RateLimit, StoredTokens,
    TokenSink,
};
use sva_portal::{Fault, Portal, PortalConfig, RunningPortal};

fn portal_config(rate: sva_portal::RateLimit) -> PortalConfig {
    PortalConfig {
        rate,
        hang: Duration::from_millis(600),
        ..PortalConfig::default()
    }
}

fn fast() -> sva_portal::RateLimit {
    sva_portal::RateLimit {
        per_second: 10_000.0,
        burst: 10_000,
    }
}

fn config(portal: &RunningPortal, rate: RateLimit) -> ClientConfig {
    ClientConfig {
        rate,
        timeout: Duration::from_millis(300),
        max_attempts: 4,
        rate_limit_backoff: Duration::from_millis(50),
        operation_limit_wait: Duration::from_millis(10),
        backoff: Duration::from_millis(10),
        token_url: format!("{}/oauth/token/", portal.url()),
        allowed_hosts: vec!["127.0.0.1".into()],
    }
}

fn webhook(portal: &RunningPortal) -> Credentials {
    Credentials::Webhook {
        user_id: portal.config().webhook_user_id,
        code: portal.config().webhook_code.clone(),
    }
}

fn unlimited() -> RateLimit {
    RateLimit {
        per_second: 10_000.0,
        burst: 10_000,
    }
}

fn lead(origin: &str) -> serde_json::Value {
    json!({ "fields": { "TITLE": "Лид", "ORIGINATOR_ID": "sva", "ORIGIN_ID": origin, "PHONE": [{"VALUE": "+79161234567", "VALUE_TYPE": "WORK"}] } })
}

#[tokio::test]
async fn a_webhook_call_returns_the_result_and_typed_errors() {
    let portal = Portal::start(portal_config(fast())).await.unwrap();
    let client = Client::new(
        &portal.url(),
        webhook(&portal),
        config(&portal, unlimited()),
    )
    .unwrap();
    let added = client
        .call("crm.lead.add", lead("w-1"), Idempotency::Unsafe)
        .await
        .unwrap();
    let id = added.result.as_u64().expect("an integer id from add");
    let got = client
        .call("crm.lead.get", json!({ "id": id }), Idempotency::Safe)
        .await
        .unwrap();
    assert_eq!(got.result["ID"], id.to_string(), "strings from get");

    // Bitrix24's empty-code "Not found" is typed, not a transport failure.
    let missing = client
        .call("crm.lead.get", json!({ "id": 999_999 }), Idempotency::Safe)
        .await
        .unwrap_err();
    assert!(missing.is_not_found(), "{missing:?}");
    assert!(!missing.is_transient());
    let unknown = client
        .call("crm.nothing.here", json!({}), Idempotency::Safe)
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), "ERROR_METHOD_NOT_FOUND");

    // Telephony refuses webhooks.
    let refused = client
        .call(
            "telephony.externalCall.register",
            json!({ "USER_ID": 1, "PHONE_NUMBER": "+79161234567", "TYPE": 2 }),
            Idempotency::Unsafe,
        )
        .await
        .unwrap_err();
    assert!(matches!(refused, BitrixError::Auth { .. }), "{refused:?}");
    assert_eq!(refused.code(), "WRONG_AUTH_TYPE");

    // A wrong webhook code is an authorization error, and the code is never shown.
    let wrong = Client::new(
        &portal.url(),
        Credentials::Webhook {
            user_id: 1,
            code: "wrongcode123".into(),
        },
        config(&portal, unlimited()),
    )
    .unwrap();
    let err = wrong
        .call("crm.lead.list", json!({}), Idempotency::Safe)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "NO_AUTH_FOUND");
    assert!(!format!("{err} {err:?} {client:?}").contains(&portal.config().webhook_code));
}

/// A token store shared by clients, as the tenant's secrets are shared by processes.
#[derive(Default)]
struct Remembered(Mutex<Vec<StoredTokens>>);

impl Remembered {
    fn refresh_tokens(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|t| t.refresh_token.clone())
            .collect()
    }
}

#[async_trait::async_trait]
impl TokenSink for Remembered {
    async fn rotated(&self, tokens: &StoredTokens) -> Result<(), String> {
        self.0.lock().unwrap().push(tokens.clone());
        Ok(())
    }

    async fn current(&self) -> Result<Option<StoredTokens>, String> {
        Ok(self.0.lock().unwrap().last().cloned())
    }
}

fn oauth(portal: &RunningPortal, refresh: &str, access: Option<String>) -> Credentials {
    Credentials::OAuth {
        client_id: portal.config().client_id.clone(),
        client_secret: portal.config().client_secret.clone(),
        refresh_token: refresh.to_owned(),
        access_token: access,
    }
}

#[tokio::test]
async fn oauth_refreshes_once_on_expiry_and_hands_over_the_rotated_token() {
    let portal = Portal::start(portal_config(fast())).await.unwrap();
    let (access, refresh) = portal.install_app();
    let sink = Arc::new(Remembered::default());
    let client = Client::new(
        &portal.url(),
        Credentials::OAuth {
            client_id: portal.config().client_id.clone(),
            client_secret: portal.config().client_secret.clone(),
            refresh_token: refresh.clone(),
            access_token: Some(access),
        },
        config(&portal, unlimited()),
    )
    .unwrap()
    .with_token_sink(sink.clone());
    client
        .call("crm.lead.add", lead("o-1"), Idempotency::Unsafe)
        .await
        .unwrap();
    assert!(sink.0.lock().unwrap().is_empty(), "no refresh while valid");

    portal.expire_access_tokens();
    // Ten calls at once see the expired token: one refresh serves them all.
    let client = Arc::new(client);
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let client = client.clone();
        calls.spawn(async move {
            client
                .call("crm.lead.list", json!({}), Idempotency::Safe)
                .await
        });
    }
    while let Some(done) = calls.join_next().await {
        done.unwrap().unwrap();
    }
    let rotated = sink.refresh_tokens();
    assert_eq!(rotated.len(), 1, "one shared refresh: {rotated:?}");
    assert_ne!(rotated[0], refresh);
    let stored = sink.0.lock().unwrap()[0].clone();
    assert!(
        stored.access_token.is_some(),
        "the access token is stored too"
    );
    assert!(
        stored.expires_at.unwrap() > sva_kit::unix_now() + 3000,
        "with its expiry: {stored:?}"
    );

    // The old refresh token is dead now: a client still holding it cannot refresh.
    let stale = Client::new(
        &portal.url(),
        Credentials::OAuth {
            client_id: portal.config().client_id.clone(),
            client_secret: portal.config().client_secret.clone(),
            refresh_token: refresh,
            access_token: None,
        },
        config(&portal, unlimited()),
    )
    .unwrap();
    let err = stale
        .call("crm.lead.list", json!({}), Idempotency::Safe)
        .await
        .unwrap_err();
    assert!(matches!(err, BitrixError::Auth { .. }), "{err:?}");
    assert_eq!(err.code(), "invalid_grant");
}

#[tokio::test]
async fn the_client_bucket_keeps_under_the_portal_limit() {
    // The portal drains 20/s with a burst of 5; the client keeps a little under it (its
    // clock starts before the portal's, by the first connection's set-up).
    let rate = sva_portal::RateLimit {
        per_second: 20.0,
        burst: 5,
    };
    let portal = Portal::start(portal_config(rate)).await.unwrap();
    let client = Client::new(
        &portal.url(),
        webhook(&portal),
        config(
            &portal,
            RateLimit {
                per_second: 16.0,
                burst: 4,
            },
        ),
    )
    .unwrap();
    for _ in 0..15 {
        client
            .call("crm.lead.list", json!({}), Idempotency::Safe)
            .await
            .unwrap();
    }
    assert_eq!(portal.stats().rate_limited, 0, "{:?}", portal.stats());
}

#[tokio::test]
async fn query_limit_exceeded_is_backed_off_and_retried_even_for_adds() {
    let rate = sva_portal::RateLimit {
        per_second: 20.0,
        burst: 3,
    };
    let portal = Portal::start(portal_config(rate)).await.unwrap();
    // A client that believes in a much larger bucket than the portal has.
    let client = Client::new(
        &portal.url(),
        webhook(&portal),
        config(&portal, unlimited()),
    )
    .unwrap();
    for i in 0..8 {
        client
            .call("crm.lead.add", lead(&format!("r-{i}")), Idempotency::Unsafe)
            .await
            .unwrap();
    }
    assert!(portal.stats().rate_limited > 0, "{:?}", portal.stats());
    assert_eq!(
        portal.leads().len(),
        8,
        "refused requests did not run: no duplicates"
    );
}

#[tokio::test]
async fn ambiguous_failures_are_retried_for_reads_and_returned_for_adds() {
    let portal = Portal::start(portal_config(fast())).await.unwrap();
    let client = Client::new(
        &portal.url(),
        webhook(&portal),
        config(&portal, unlimited()),
    )
    .unwrap();
    for fault in [Fault::DropAfterWrite, Fault::Hang, Fault::InternalError] {
        let before = portal.leads().len();
        portal.faults().fail_next(1, fault);
        let err = client
            .call("crm.lead.add", lead("a-1"), Idempotency::Unsafe)
            .await
            .unwrap_err();
        assert!(err.is_ambiguous(), "{fault:?}: {err:?}");
        assert!(err.is_transient());
        assert_eq!(
            portal.leads().len(),
            before + 1,
            "{fault:?} ran the add: never replayed"
        );
    }
    // A refused-before-running 503 page is replayed even for an add? No: without a
    // Bitrix24 error body the client cannot know it did not run.
    portal.faults().fail_next(1, Fault::Unavailable);
    let err = client
        .call("crm.lead.add", lead("a-2"), Idempotency::Unsafe)
        .await
        .unwrap_err();
    assert!(err.is_ambiguous(), "{err:?}");

    // Reads ride through every fault.
    for fault in [
        Fault::DropAfterWrite,
        Fault::Hang,
        Fault::InternalError,
        Fault::Unavailable,
        Fault::RateLimited,
    ] {
        portal.faults().fail_next(2, fault);
        client
            .call(
                "crm.lead.list",
                json!({ "filter": { "ORIGIN_ID": "a-1" } }),
                Idempotency::Safe,
            )
            .await
            .unwrap_or_else(|e| panic!("{fault:?}: {e:?}"));
    }
}

#[tokio::test]
async fn internal_portal_addresses_are_refused() {
    let config = ClientConfig::default();
    for url in [
        "http://acme.bitrix24.ru",
        "https://127.0.0.1",
        "https://169.254.169.254",
        "https://10.1.2.3",
        "https://acme.bitrix24.ru:8443",
        "https://localhost",
    ] {
        let err = Client::new(
            url,
            Credentials::Webhook {
                user_id: 1,
                code: "abc".into(),
            },
            config.clone(),
        )
        .unwrap_err();
        assert_eq!(err.code(), "portal_blocked", "{url}");
    }
    // (A name that resolves to an internal address is refused at connection time by
    // the resolver: `resolve::tests`; offline there is no public name to test it with.)
}

#[tokio::test]
async fn a_renamed_portal_is_followed_once_with_the_body() {
    let portal = Portal::start(portal_config(fast())).await.unwrap();
    let target = portal.url();
    // An old host that answers every request with 302 to the portal's new address.
    let old = axum::Router::new().fallback(move || {
        let target = target.clone();
        async move {
            (
                axum::http::StatusCode::FOUND,
                [(axum::http::header::LOCATION, format!("{target}/rest/"))],
            )
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let old_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, old).await });
    let client = Client::new(&old_url, webhook(&portal), config(&portal, unlimited())).unwrap();
    client
        .call("crm.lead.add", lead("m-1"), Idempotency::Unsafe)
        .await
        .unwrap();
    assert_eq!(portal.leads().len(), 1);
    assert_eq!(client.portal(), portal.url());
}

#[tokio::test]
async fn a_second_process_takes_the_stored_pair_instead_of_refreshing_again() {
    let portal = Portal::start(portal_config(fast())).await.unwrap();
    let (access, refresh) = portal.install_app();
    let sink = Arc::new(Remembered::default());
    let first = Client::new(
        &portal.url(),
        oauth(&portal, &refresh, Some(access.clone())),
        config(&portal, unlimited()),
    )
    .unwrap()
    .with_token_sink(sink.clone());
    let second = Client::new(
        &portal.url(),
        oauth(&portal, &refresh, Some(access)),
        config(&portal, unlimited()),
    )
    .unwrap()
    .with_token_sink(sink.clone());
    portal.expire_access_tokens();
    first
        .call("crm.lead.list", json!({}), Idempotency::Safe)
        .await
        .unwrap();
    // The second still holds the expired token and the refresh token the first spent:
    // it takes the pair the first stored, and the token server is not asked again.
    second
        .call("crm.lead.list", json!({}), Idempotency::Safe)
        .await
        .unwrap();
    assert_eq!(
        sink.refresh_tokens().len(),
        1,
        "{:?}",
        sink.0.lock().unwrap()
    );
}

#[tokio::test]
async fn a_stored_access_token_spares_the_refresh_and_a_revoked_one_costs_one() {
    let portal = Portal::start(portal_config(fast())).await.unwrap();
    let (access, refresh) = portal.install_app();
    let sink = Arc::new(Remembered::default());
    let warm = Client::new(
        &portal.url(),
        oauth(&portal, &refresh, Some(access)),
        config(&portal, unlimited()),
    )
    .unwrap()
    .with_token_sink(sink.clone());
    warm.call("user.current", json!({}), Idempotency::Safe)
        .await
        .unwrap();
    assert!(
        sink.0.lock().unwrap().is_empty(),
        "a warm start: no refresh"
    );
    // A token the portal no longer knows (the application was reinstalled) is refused
    // like a wrong one; one refresh and a replay fix it.
    let revoked = Client::new(
        &portal.url(),
        oauth(&portal, &refresh, Some("0123456789abcdef".into())),
        config(&portal, unlimited()),
    )
    .unwrap()
    .with_token_sink(sink.clone());
    revoked
        .call("user.current", json!({}), Idempotency::Safe)
        .await
        .unwrap();
    assert_eq!(sink.refresh_tokens().len(), 1);
}

#[tokio::test]
async fn a_batch_runs_its_commands_in_order_with_references_and_errors_apart() {
    let portal = Portal::start(portal_config(fast())).await.unwrap();
    portal.seed_contact(json!({"NAME": "Анна", "PHONE": [{"VALUE": "+79161234567"}]}));
    let client = Client::new(
        &portal.url(),
        webhook(&portal),
        config(&portal, unlimited()),
    )
    .unwrap();
    let mut batch = Batch::new();
    batch
        .add(
            "z_find",
            "crm.duplicate.findbycomm",
            &json!({"type": "PHONE", "values": ["+79161234567"], "entity_type": "CONTACT"}),
        )
        .add(
            "a_contact",
            "crm.contact.get",
            &json!({"id": Batch::reference("z_find", &["CONTACT", "0"])}),
        )
        .add("missing", "crm.lead.get", &json!({"id": 999}));
    let before = portal.stats().requests;
    let reply = client.batch(&batch, Idempotency::Safe).await.unwrap();
    assert_eq!(portal.stats().requests, before + 1, "one request");
    assert_eq!(reply.result("a_contact").unwrap()["NAME"], "Анна");
    assert!(reply.take("missing").unwrap_err().is_not_found());
    let empty = client.batch(&Batch::new(), Idempotency::Safe).await;
    assert!(matches!(empty, Err(BitrixError::Config(_))));
}
