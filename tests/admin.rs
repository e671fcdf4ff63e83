//! The admin API end to end, on the local stack over HTTP: uploads (valid, hostile,
//! concurrent), activation, rollback during live calls, the A/B split over 1,000 calls,
//! replays of recorded calls against an uploaded version, tenant isolation on every
//! endpoint, and secrets that are never returned.

use reqwest::Method;
use std::collections::BTreeSet;
use sva_admin::client::ClientError;
use sva_admin::{NewTenant, ReplayRequest, SettingsChange};
use sva_tests::{
    MINIMAL_GREETING, Stack, hostile_module, minimal_module, refusal as code, scenario_module,
    variant,
};

const DEMO: &str = "demo";

/// The call record an ended call left, read from the data directory.
async fn ended_version(stack: &Stack, call: sva_caller::Call) -> (String, serde_json::Value) {
    let ended = call
        .hang_up("hangup")
        .await
        .expect("the end report is taken");
    let record = stack.read(&ended.record);
    (
        record["scenario_version"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        record["variant"].clone(),
    )
}

#[tokio::test]
async fn upload_activate_call_and_the_record_names_the_version() {
    let stack = Stack::start_uncached().await;
    let admin = stack.admin();
    let seeded = stack.stack.demo().version.clone();

    let uploaded = admin.upload(DEMO, minimal_module()).await.unwrap();
    assert!(uploaded.created);
    let version = uploaded.version.info.version.clone();
    assert_eq!(uploaded.version.role, "stored");
    assert_eq!(uploaded.version.info.dry_run.actions, ["say", "hangup"]);
    assert!(uploaded.version.info.dry_run.said[0].contains(MINIMAL_GREETING));
    assert_eq!(
        uploaded
            .version
            .info
            .manifest
            .as_ref()
            .map(|m| m.name.as_str()),
        Some("minimal")
    );
    // The same bytes again: the same version, not a new one.
    let again = admin.upload(DEMO, minimal_module()).await.unwrap();
    assert!(!again.created);
    assert_eq!(again.version.info.version, version);
    // Stored beside the module: its description and an artifact for this engine.
    let listed = stack
        .stack
        .store()
        .list(&format!("tenants/demo/scenarios/{version}"))
        .await
        .unwrap();
    assert!(listed.iter().any(|k| k.ends_with(".cwasm")), "{listed:?}");

    // Uploading changes nothing for callers until activation.
    let call = stack.call().await;
    assert!(!call.heard().contains(MINIMAL_GREETING), "{}", call.heard());

    // Activate by a prefix of the version.
    let routing = admin.activate(DEMO, &version[..10]).await.unwrap();
    assert_eq!(routing.active.as_deref(), Some(version.as_str()));
    assert_eq!(routing.history, std::slice::from_ref(&seeded));
    let fresh = stack.call().await;
    assert!(
        fresh.heard().contains(MINIMAL_GREETING),
        "{}",
        fresh.heard()
    );
    assert!(fresh.is_over());
    let (recorded, variant) = ended_version(&stack, fresh).await;
    assert_eq!(recorded, version);
    assert_eq!(variant, serde_json::Value::Null);
    // The call that started before the activation stays on its version.
    let (recorded, _) = ended_version(&stack, call).await;
    assert_eq!(recorded, seeded);

    let view = admin.scenarios(DEMO).await.unwrap();
    let roles: Vec<(&str, &str)> = view
        .versions
        .iter()
        .map(|v| (&v.info.version[..], v.role.as_str()))
        .collect();
    assert!(roles.contains(&(&version[..], "active")), "{roles:?}");
    assert!(roles.contains(&(&seeded[..], "previous")), "{roles:?}");
    let history = admin.history(DEMO).await.unwrap();
    assert!(
        history.last().unwrap().change.starts_with("activate "),
        "{history:?}"
    );
    assert_eq!(history.last().unwrap().by, "operator");
}

#[tokio::test]
async fn hostile_modules_are_refused_at_upload_with_the_reason() {
    let stack = Stack::start_uncached().await;
    let admin = stack.admin();
    let cases: Vec<(&str, Vec<u8>, &[&str], &str)> = vec![
        (
            "not wasm",
            b"MZ\x90\0 not a module".to_vec(),
            &["invalid_module"],
            "magic",
        ),
        (
            "missing export",
            hostile_module("missing_step"),
            &["missing_export"],
            "sva_step",
        ),
        (
            "import",
            hostile_module("env_import"),
            &["forbidden_import"],
            "env.",
        ),
        (
            "wrong ABI",
            hostile_module("wrong_abi"),
            &["abi_mismatch"],
            "ABI",
        ),
        (
            "endless loop",
            hostile_module("infinite_loop"),
            &["out_of_fuel", "deadline"],
            "step",
        ),
        (
            "trap in the dry run",
            hostile_module("trap"),
            &["trap"],
            "unreachable",
        ),
        (
            "garbage output",
            hostile_module("malformed_output"),
            &["bad_output"],
            "",
        ),
        (
            "memory bomb",
            hostile_module("memory_bomb"),
            &["memory_limit"],
            "",
        ),
        (
            "huge table",
            hostile_module("big_table"),
            &["memory_limit"],
            "",
        ),
    ];
    for (what, wasm, codes, words) in cases {
        let e = admin.upload(DEMO, wasm).await.expect_err(what);
        let ClientError::Api {
            status,
            code,
            message,
        } = &e
        else {
            panic!("{what}: {e}");
        };
        assert_eq!(*status, 422, "{what}: {e}");
        assert!(codes.contains(&code.as_str()), "{what}: {e}");
        assert!(
            message.contains(words),
            "{what}: {message:?} should say {words:?}"
        );
        assert!(!message.contains('\n'), "{what}: one line: {message:?}");
    }
    // Larger than the module limit: refused before it is read whole.
    let too_big = vec![0u8; sva_abi::Limits::default().max_module_bytes + 1];
    assert_eq!(
        code(admin.upload(DEMO, too_big).await),
        (413, "payload_too_large".into())
    );
    // Not declared as wasm.
    let response = reqwest::Client::new()
        .post(format!("{}/v1/tenants/demo/scenarios", stack.stack.url()))
        .bearer_auth(stack.stack.operator_key())
        .header("content-type", "text/plain")
        .body(minimal_module())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    // Nothing refused was stored.
    let versions = admin.scenarios(DEMO).await.unwrap().versions;
    assert_eq!(versions.len(), 1, "only the seeded default: {versions:?}");
}

#[tokio::test]
async fn concurrent_uploads_of_the_same_and_different_modules() {
    let stack = Stack::start_uncached().await;
    let admin = stack.admin();
    let same = variant(&minimal_module(), "same");
    let uploads = (0..6).map(|_| {
        let (admin, wasm) = (admin.clone(), same.clone());
        tokio::spawn(async move { admin.upload(DEMO, wasm).await.unwrap() })
    });
    let results: Vec<_> = futures_join(uploads).await;
    let versions: BTreeSet<_> = results
        .iter()
        .map(|u| u.version.info.version.clone())
        .collect();
    assert_eq!(versions.len(), 1, "one version for the same bytes");
    assert!(
        results.iter().any(|u| u.created),
        "one of them created it: {results:?}"
    );

    let different = (0..4).map(|i| {
        let (admin, wasm) = (admin.clone(), variant(&minimal_module(), &format!("v{i}")));
        tokio::spawn(async move { admin.upload(DEMO, wasm).await.unwrap() })
    });
    let results: Vec<_> = futures_join(different).await;
    assert!(results.iter().all(|u| u.created));
    let listed = admin.scenarios(DEMO).await.unwrap().versions;
    assert_eq!(listed.len(), 1 + 1 + 4, "seeded + same + four different");
}

async fn futures_join<T: std::fmt::Debug>(
    handles: impl Iterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<T> {
    let mut out = Vec::new();
    for handle in handles.collect::<Vec<_>>() {
        out.push(handle.await.expect("the task finishes"));
    }
    out
}

#[tokio::test]
async fn rollback_during_live_calls_keeps_each_call_on_its_version() {
    let stack = Stack::start_uncached().await;
    let admin = stack.admin();
    let v1 = stack.stack.demo().version.clone();
    let v2 = admin
        .upload(DEMO, minimal_module())
        .await
        .unwrap()
        .version
        .info
        .version;

    // A conversation under way on v1.
    let mut live = stack.call().await;
    live.say("нам нужна система учета для склада")
        .await
        .unwrap();

    admin.activate(DEMO, &v2).await.unwrap();
    let on_v2 = stack.call().await;
    assert!(on_v2.heard().contains(MINIMAL_GREETING));
    // The live call carries on with the default scenario, not v2's greeting.
    live.say("бюджет около миллиона рублей").await.unwrap();
    assert!(!live.heard().contains(MINIMAL_GREETING), "{}", live.heard());

    let routing = admin.roll_back(DEMO).await.unwrap();
    assert_eq!(routing.active.as_deref(), Some(v1.as_str()));
    assert!(routing.history.is_empty());
    let after = stack.call().await;
    assert!(
        !after.heard().contains(MINIMAL_GREETING),
        "{}",
        after.heard()
    );
    live.say("в течение месяца").await.unwrap();
    assert!(
        !live.is_over(),
        "the default scenario goes on: {}",
        live.heard()
    );

    assert_eq!(ended_version(&stack, live).await.0, v1);
    assert_eq!(
        ended_version(&stack, on_v2).await.0,
        v2,
        "ended after the rollback"
    );
    assert_eq!(ended_version(&stack, after).await.0, v1);
    // Nothing left to roll back to.
    assert_eq!(
        code(admin.roll_back(DEMO).await),
        (409, "nothing_to_roll_back".into())
    );
}

#[tokio::test]
async fn the_ab_split_holds_over_a_thousand_calls() {
    let stack = Stack::start_uncached().await;
    let admin = stack.admin();
    let b = admin
        .upload(DEMO, minimal_module())
        .await
        .unwrap()
        .version
        .info
        .version;
    assert_eq!(
        code(admin.split(DEMO, &b, 101).await),
        (422, "bad_percent".into())
    );
    let routing = admin.split(DEMO, &b[..8], 30).await.unwrap();
    assert_eq!(routing.split.as_ref().map(|s| s.percent), Some(30));

    let phone = stack.phone();
    let mut on_b = 0;
    let mut one_b = None;
    for _ in 0..1000 {
        let call = phone
            .dial(sva_caller::inbound("+79161234567"))
            .await
            .unwrap();
        if call.heard().contains(MINIMAL_GREETING) {
            on_b += 1;
            one_b.get_or_insert(call);
        }
    }
    // 300 expected; ±60 is more than four standard deviations (√(1000·0.3·0.7) ≈ 14.5).
    assert!((240..=360).contains(&on_b), "{on_b} of 1000 calls on B");
    let (version, variant) = ended_version(&stack, one_b.unwrap()).await;
    assert_eq!(
        (version.as_str(), variant.as_str()),
        (b.as_str(), Some("b"))
    );

    let view = admin.scenarios(DEMO).await.unwrap();
    let share: Vec<u8> = view.versions.iter().map(|v| v.share_percent).collect();
    assert_eq!(
        share.iter().map(|&s| u32::from(s)).sum::<u32>(),
        100,
        "{share:?}"
    );
    let routing = admin.split(DEMO, "", 0).await.unwrap();
    assert_eq!(routing.split, None);
}

#[tokio::test]
async fn an_uploaded_version_is_replayed_on_recorded_calls_before_activation() {
    let stack = Stack::start_uncached().await;
    let admin = stack.admin();
    // Three calls on the active (default) scenario, each recorded when it ends.
    let lines: [&[&str]; 3] = [
        &["нужна система для склада", "бюджет около миллиона"],
        &["хотим автоматизировать склад", "не знаю"],
        &["просто смотрю"],
    ];
    for words in lines {
        let mut call = stack.call().await;
        for text in words {
            if call.is_over() {
                break;
            }
            call.say(text).await.expect("the turn is answered");
        }
        call.hang_up("caller_hangup")
            .await
            .expect("the end is taken");
    }

    // The same behaviour under another version: nothing changes.
    let same = variant(&std::fs::read(scenario_module()).unwrap(), "v2");
    let same = admin.upload(DEMO, same).await.unwrap().version.info.version;
    let report = admin
        .replay(DEMO, &same[..12], &ReplayRequest::default())
        .await
        .unwrap();
    assert_eq!(report["version"], same.as_str());
    assert_eq!(report["replayed"], 3, "{report}");
    assert_eq!(report["changed"], 0, "{report}");
    assert_eq!(report["not_replayed"], serde_json::json!([]), "{report}");
    for call in report["calls"].as_array().unwrap() {
        assert_eq!(call["first_difference"], serde_json::Value::Null, "{call}");
        assert!(call["turns"].as_u64().unwrap() >= 2, "{call}");
    }
    let reached = report["coverage"]["nodes_reached"].as_u64().unwrap();
    assert!(reached >= 3, "{report}");

    // Another version: every call parts at the greeting, and where the outcome went.
    let other = admin.upload(DEMO, minimal_module()).await.unwrap();
    let other = other.version.info.version;
    let report = admin
        .replay(DEMO, &other, &ReplayRequest::default())
        .await
        .unwrap();
    assert_eq!(report["changed"], 3, "{report}");
    for call in report["calls"].as_array().unwrap() {
        let difference = &call["first_difference"];
        assert_eq!(difference["seq"], 0, "{call}");
        assert_eq!(difference["caller"], "start", "{call}");
        assert_eq!(difference["after"]["then"], "hangup", "{call}");
        assert!(
            difference["after"]["said"][0]
                .as_str()
                .unwrap()
                .contains(MINIMAL_GREETING),
            "{call}"
        );
    }
    // Nothing was activated by trying.
    let routing = admin.scenarios(DEMO).await.unwrap().routing;
    assert_ne!(routing.active.as_deref(), Some(other.as_str()));

    // A period with no calls replays nothing; refusals say why, with their codes.
    let empty = ReplayRequest {
        from: Some("2020-01-01".into()),
        to: Some("2020-01-07".into()),
        limit: None,
    };
    let report = admin.replay(DEMO, &other, &empty).await.unwrap();
    assert_eq!(report["replayed"], 0);
    let limit = ReplayRequest {
        limit: Some(100_000),
        ..ReplayRequest::default()
    };
    assert_eq!(
        code(admin.replay(DEMO, &other, &limit).await),
        (422, "bad_limit".into())
    );
    let backwards = ReplayRequest {
        from: Some("2026-11-30".into()),
        to: Some("2026-11-01".into()),
        limit: None,
    };
    let refused = admin.replay(DEMO, &other, &backwards).await;
    assert_eq!(code(refused), (422, "bad_period".into()));
    assert_eq!(
        code(
            admin
                .replay(DEMO, "0123456789ab", &ReplayRequest::default())
                .await
        ),
        (404, "not_found".into())
    );
}

/// Every endpoint of the admin API with its method and a body that would succeed.
fn endpoints(
    version: &str,
    key_id: &str,
    source: &str,
    campaign: &str,
) -> Vec<(Method, String, Option<serde_json::Value>)> {
    let json = |v: serde_json::Value| Some(v);
    vec![
        (Method::GET, "/v1/tenants/{t}".into(), None),
        (
            Method::PATCH,
            "/v1/tenants/{t}".into(),
            json(serde_json::json!({"voice": "ru_RU_filipp"})),
        ),
        (Method::POST, "/v1/tenants/{t}/disable".into(), None),
        (Method::POST, "/v1/tenants/{t}/enable".into(), None),
        (Method::GET, "/v1/tenants/{t}/history".into(), None),
        (Method::POST, "/v1/tenants/{t}/signing-secret".into(), None),
        (Method::GET, "/v1/tenants/{t}/keys".into(), None),
        (
            Method::POST,
            "/v1/tenants/{t}/keys".into(),
            json(serde_json::json!({"label": "x"})),
        ),
        (
            Method::DELETE,
            format!("/v1/tenants/{{t}}/keys/{key_id}"),
            None,
        ),
        (Method::POST, "/v1/tenants/{t}/scenarios".into(), None),
        (Method::GET, "/v1/tenants/{t}/scenarios".into(), None),
        (
            Method::GET,
            format!("/v1/tenants/{{t}}/scenarios/{version}"),
            None,
        ),
        (
            Method::POST,
            format!("/v1/tenants/{{t}}/scenarios/{version}/activate"),
            None,
        ),
        (
            Method::POST,
            format!("/v1/tenants/{{t}}/scenarios/{version}/replay"),
            json(serde_json::json!({"limit": 10})),
        ),
        (
            Method::POST,
            "/v1/tenants/{t}/scenarios/rollback".into(),
            None,
        ),
        (
            Method::PUT,
            "/v1/tenants/{t}/scenarios/split".into(),
            json(serde_json::json!({"version": version, "percent": 10})),
        ),
        (
            Method::DELETE,
            "/v1/tenants/{t}/scenarios/split".into(),
            None,
        ),
        (
            Method::GET,
            "/v1/tenants/{t}/report?from=2026-11-01&to=2026-11-30".into(),
            None,
        ),
        (Method::GET, "/v1/tenants/{t}/kb/sources".into(), None),
        (
            Method::PUT,
            format!("/v1/tenants/{{t}}/kb/sources/{source}"),
            json(serde_json::json!("# Доставка\n\nПо Москве за 1 день.")),
        ),
        (
            Method::GET,
            "/v1/tenants/{t}/kb/search?q=доставка".into(),
            None,
        ),
        (
            Method::GET,
            "/v1/tenants/{t}/kb/gaps?since=2026-11-01".into(),
            None,
        ),
        (Method::POST, "/v1/tenants/{t}/kb/reindex".into(), None),
        (
            Method::DELETE,
            format!("/v1/tenants/{{t}}/kb/sources/{source}"),
            None,
        ),
        (Method::GET, "/v1/tenants/{t}/do-not-call".into(), None),
        (
            Method::POST,
            "/v1/tenants/{t}/do-not-call".into(),
            json(serde_json::json!({"number": "+79161234567"})),
        ),
        (
            Method::DELETE,
            "/v1/tenants/{t}/do-not-call?number=%2B79161234567".into(),
            None,
        ),
        // The body is the contact file (see `request`).
        (
            Method::POST,
            format!("/v1/tenants/{{t}}/campaigns?id={campaign}"),
            None,
        ),
        (
            Method::POST,
            "/v1/tenants/{t}/campaigns/from-crm?id=crm&entity=lead&stage=NEW".into(),
            None,
        ),
        (Method::GET, "/v1/tenants/{t}/campaigns".into(), None),
        (
            Method::GET,
            format!("/v1/tenants/{{t}}/campaigns/{campaign}"),
            None,
        ),
        (
            Method::GET,
            format!("/v1/tenants/{{t}}/campaigns/{campaign}/contacts"),
            None,
        ),
        (
            Method::POST,
            format!("/v1/tenants/{{t}}/campaigns/{campaign}/run"),
            json(serde_json::json!({"run": "pause"})),
        ),
    ]
}

async fn request(
    stack: &Stack,
    key: &str,
    method: Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", stack.stack.url()))
        .bearer_auth(key);
    request = match body {
        Some(body) => request.json(&body),
        None if path.ends_with("/scenarios") => request
            .header("content-type", "application/wasm")
            .body(minimal_module()),
        None if path.contains("/campaigns?") => request
            .header("content-type", "text/csv")
            .body("телефон;согласие;дата согласия\n+79161234567;заявка на сайте;2026-11-30\n"),
        None => request,
    };
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

#[tokio::test]
async fn a_tenant_key_gets_404_for_everything_of_another_tenant() {
    let stack = Stack::start_uncached().await;
    let operator = stack.admin();
    let mut keys = Vec::new();
    for id in ["acme", "beta"] {
        let new = NewTenant {
            id: id.into(),
            company: format!("Компания {id}"),
            product: "станки".into(),
            manager_phone: None,
        };
        operator.create_tenant(&new).await.unwrap();
        keys.push(operator.issue_key(id, "integrator").await.unwrap());
    }
    let (acme_key, beta_key) = (&keys[0], &keys[1]);
    // Each has a version (the same bytes: still each tenant's own version record).
    let beta_version = operator.upload("beta", minimal_module()).await.unwrap();
    let acme = operator.with_key(&acme_key.key);
    let acme_upload = acme.upload("acme", minimal_module()).await.unwrap();
    assert!(acme_upload.created, "beta's upload is not acme's");
    let version = beta_version.version.info.version.clone();

    // Every endpoint, with acme's key on beta's resources: 404, and nothing changes.
    let before = operator.tenant("beta").await.unwrap().settings;
    for (method, path, body) in endpoints(&version, &beta_key.info.id, "delivery.md", "autumn") {
        let path = path.replace("{t}", "beta");
        let (status, answer) = request(&stack, &acme_key.key, method.clone(), &path, body).await;
        assert_eq!(status, 404, "{method} {path}: {answer}");
        assert_eq!(answer["error"]["code"], "not_found", "{method} {path}");
        assert!(!answer.to_string().contains("beta\""), "{answer}");
    }
    assert_eq!(operator.tenant("beta").await.unwrap().settings, before);
    assert!(operator.keys("beta").await.unwrap()[0].revoked_at.is_none());
    // A tenant that does not exist reads the same.
    let (status, missing) = request(
        &stack,
        &acme_key.key,
        Method::GET,
        "/v1/tenants/gamma",
        None,
    )
    .await;
    let (_, other) = request(&stack, &acme_key.key, Method::GET, "/v1/tenants/beta", None).await;
    assert_eq!((status, &missing), (404, &other));

    // The same endpoints on its own tenant are not refused as unknown (the test can fail),
    // except the operator's ones, which answer 403.
    let acme_version = acme_upload.version.info.version;
    let acme_key_id = acme.issue_key("acme", "x").await.map(|k| k.info.id);
    assert_eq!(code(acme_key_id), (403, "operator_only".into()));
    for (method, path, body) in endpoints(&acme_version, &acme_key.info.id, "delivery.md", "autumn")
    {
        let path = path.replace("{t}", "acme");
        let (status, answer) = request(&stack, &acme_key.key, method.clone(), &path, body).await;
        let operator_only = path.ends_with("/disable")
            || path.ends_with("/enable")
            || path.contains("/keys") && method != Method::GET;
        let expected: &[u16] = if operator_only {
            &[403]
        } else {
            &[200, 201, 409]
        };
        assert!(
            expected.contains(&status),
            "{method} {path}: {status} {answer}"
        );
    }

    // The table above is the whole API: every operation of the OpenAPI document.
    let document: serde_json::Value = reqwest::get(format!("{}/openapi.json", stack.stack.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let documented: BTreeSet<String> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(move |m| format!("{} {path}", m.to_uppercase()))
        })
        .filter(|op| op.contains("{tenant}"))
        .collect();
    let tested: BTreeSet<String> = endpoints("{version}", "{key_id}", "{name}", "{campaign}")
        .into_iter()
        .map(|(m, p, _)| {
            let path = p
                .split('?')
                .next()
                .unwrap_or_default()
                .replace("{t}", "{tenant}");
            format!("{m} {path}")
        })
        .collect();
    assert_eq!(documented, tested);

    // Operator-only listing, revoked and disabled keys.
    assert_eq!(code(acme.tenants().await), (403, "operator_only".into()));
    operator.set_disabled("acme", true).await.unwrap();
    assert_eq!(
        code(acme.tenant("acme").await),
        (403, "tenant_disabled".into())
    );
    operator.set_disabled("acme", false).await.unwrap();
    operator
        .revoke_key("acme", &acme_key.info.id)
        .await
        .unwrap();
    assert_eq!(
        code(acme.tenant("acme").await),
        (401, "unauthorized".into())
    );
    let nobody = operator.with_key("sva_acme_0123456789abcdef_".to_owned().as_str());
    assert_eq!(
        code(nobody.tenant("acme").await),
        (401, "unauthorized".into())
    );
}

#[tokio::test]
async fn secrets_are_written_never_returned() {
    let stack = Stack::start_uncached().await;
    let admin = stack.admin();
    let change: SettingsChange = serde_json::from_value(serde_json::json!({
        "crm": {"portal": "https://acme.bitrix24.ru", "auth": "webhook", "webhook_user_id": 1,
                "fields": {"budget": "UF_CRM_BUDGET"}},
        "crm_secrets": {"webhook_code": "wh-code-7f3a9c"},
        "texts": {"greeting": "Добрый день!"}
    }))
    .unwrap();
    let view = admin.change_settings(DEMO, &change).await.unwrap();
    assert_eq!(view.crm_secrets_set, ["webhook_code"]);
    let rotated = admin.rotate_signing_secret(DEMO, true).await.unwrap();
    for path in [
        "/v1/tenants/demo",
        "/v1/tenants/demo/history",
        "/v1/tenants",
    ] {
        let (_, answer) =
            request(&stack, stack.stack.operator_key(), Method::GET, path, None).await;
        let text = answer.to_string();
        assert!(!text.contains("wh-code-7f3a9c"), "{path}: {text}");
        assert!(!text.contains(&rotated.signing_secret), "{path}: {text}");
    }
    // Calls are signed with the new secret now; the old one is still accepted for its
    // grace period (VoxEngine may not have the new one yet), and refused after it.
    let new_phone =
        sva_caller::Phone::new(&stack.stack.url(), DEMO, rotated.signing_secret.as_bytes());
    new_phone
        .dial(sva_caller::inbound("+79161234567"))
        .await
        .unwrap();
    let old_phone = stack.phone();
    old_phone
        .dial(sva_caller::inbound("+79161234567"))
        .await
        .expect("within the grace");
    let previous = sva_tenants::previous_signing_secret_key(DEMO);
    let mut kept = stack.read(&previous);
    for secret in kept.as_array_mut().unwrap() {
        secret["valid_until"] = serde_json::json!(sva_tests::now() - 1);
    }
    std::fs::write(stack.dir.path().join(&previous), kept.to_string()).unwrap();
    let refused = old_phone.dial(sva_caller::inbound("+79161234567")).await;
    assert!(
        refused.is_err(),
        "the old secret is refused after its grace"
    );
    // A leaked secret is revoked at once: no grace for any old one.
    let leaked = admin.rotate_signing_secret(DEMO, false).await.unwrap();
    assert_eq!(leaked.previous_valid_until, None);
    assert!(
        new_phone
            .dial(sva_caller::inbound("+79161234567"))
            .await
            .is_err()
    );
    // Each rotation is in the history, the secret never is.
    let history = admin.history(DEMO).await.unwrap();
    let rotations = history
        .iter()
        .filter(|h| h.change.starts_with("rotate signing secret"))
        .count();
    assert_eq!(rotations, 2, "{history:?}");
    assert!(!format!("{leaked:?}").contains(&leaked.signing_secret));

    // Moving the CRM portal drops the secrets that belonged to the old one.
    let moved: SettingsChange = serde_json::from_value(serde_json::json!({
        "crm": {"portal": "https://attacker.example.com", "auth": "webhook", "webhook_user_id": 1}
    }))
    .unwrap();
    let view = admin.change_settings(DEMO, &moved).await.unwrap();
    assert!(
        view.crm_secrets_set.is_empty(),
        "{:?}",
        view.crm_secrets_set
    );
    assert_eq!(
        view.settings.crm.unwrap().portal,
        "https://attacker.example.com"
    );
}

#[tokio::test]
async fn bad_settings_get_a_4xx_that_says_what_is_wrong() {
    let stack = Stack::start_uncached().await;
    let admin = stack.admin();
    let cases = [
        (
            serde_json::json!({"manager_phone": "84951234567"}),
            422,
            "invalid_value",
            "E.164",
        ),
        (
            serde_json::json!({"voice": "alena"}),
            422,
            "invalid_value",
            "ru_RU_",
        ),
        (
            serde_json::json!({"retention_days": 0}),
            422,
            "invalid_value",
            "retention_days",
        ),
        (
            serde_json::json!({"company": ""}),
            422,
            "invalid_value",
            "company",
        ),
        (
            serde_json::json!({"voise": "ru_RU_alena"}),
            400,
            "invalid_field",
            "voise",
        ),
        (
            serde_json::json!({"crm": {"portal": "http://acme.bitrix24.ru", "auth": "webhook", "webhook_user_id": 1}}),
            422,
            "not_https",
            "https",
        ),
        (
            serde_json::json!({"crm": {"portal": "https://169.254.169.254", "auth": "webhook", "webhook_user_id": 1}}),
            422,
            "internal_host",
            "169.254.169.254",
        ),
        (
            serde_json::json!({"crm": {"portal": "https://acme.bitrix24.ru", "auth": "webhook"}}),
            422,
            "invalid_value",
            "webhook_user_id",
        ),
        (
            serde_json::json!({"calls": {"transfer_timeout_s": 600}}),
            422,
            "invalid_value",
            "transfer_timeout_s",
        ),
        (
            serde_json::json!({"calls": {"record": "yes"}}),
            400,
            "invalid_field",
            "record",
        ),
    ];
    let before = admin.tenant(DEMO).await.unwrap().settings;
    for (body, status, code, words) in cases {
        let (got, answer) = request(
            &stack,
            stack.stack.operator_key(),
            Method::PATCH,
            "/v1/tenants/demo",
            Some(body.clone()),
        )
        .await;
        assert_eq!(got, status, "{body}: {answer}");
        assert_eq!(answer["error"]["code"], code, "{body}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(words), "{body}: {message}");
    }
    assert_eq!(
        admin.tenant(DEMO).await.unwrap().settings,
        before,
        "nothing was written"
    );
    // Creating a tenant twice, or with a bad id.
    let new = NewTenant {
        id: DEMO.into(),
        company: "x".into(),
        product: "y".into(),
        manager_phone: None,
    };
    assert_eq!(
        code(admin.create_tenant(&new).await),
        (409, "tenant_exists".into())
    );
    let bad = NewTenant {
        id: "Bad/Id".into(),
        ..new
    };
    assert_eq!(
        code(admin.create_tenant(&bad).await),
        (422, "invalid_value".into())
    );
    // No key, a wrong key.
    let (status, _) = request(&stack, "", Method::GET, "/v1/tenants/demo", None).await;
    assert_eq!(status, 401);
    assert_eq!(
        code(admin.with_key("wrong").tenant(DEMO).await),
        (401, "unauthorized".into())
    );
}
