//! StartScenarios against the stand-in: a session of the rule's scenario with its custom
//! data, the refusals the reference implies (no rule, no scenario bound, custom data over
//! 200 bytes, parameters not taken), the documented 429, and the outbound configuration.

use sva_voximplant::standin::{StandIn, TestKey};
use sva_voximplant::{Client, Error, Outbound, Params, ScenarioStart};

struct Setup {
    standin: StandIn,
    client: Client,
    app: u64,
    scenario: u64,
    rule: u64,
}

async fn setup() -> Setup {
    let standin = StandIn::start().await.expect("stand-in starts");
    let client = Client::new(
        &TestKey::primary().service_account_key(),
        &standin.client_config(),
    )
    .expect("client");
    let app = client.add_application("sva-acme").await.unwrap();
    let scenario = client
        .add_scenario(app.application_id, "sva-sales-assistant", "// script")
        .await
        .unwrap();
    let rule = client
        .add_rule(
            app.application_id,
            "sva-outbound",
            "SVA OUTBOUND ONLY",
            &[scenario],
        )
        .await
        .unwrap();
    Setup {
        standin,
        client,
        app: app.application_id,
        scenario,
        rule,
    }
}

fn api_code(e: &Error) -> i64 {
    e.api_code()
        .unwrap_or_else(|| panic!("not an API error: {e}"))
}

#[tokio::test]
async fn a_session_starts_with_its_custom_data_and_is_recorded() {
    let s = setup().await;
    let data = r#"{"phone":"79161234567","data":{"tenant":"acme","document":"DEAL_12"}}"#;
    let started = s
        .client
        .start_scenarios(&ScenarioStart {
            rule_id: s.rule,
            script_custom_data: Some(data.into()),
        })
        .await
        .expect("started");
    let st = s.standin.state();
    assert_eq!(st.sessions.len(), 1);
    let session = &st.sessions[0];
    assert_eq!(session.session_id, started.call_session_history_id);
    assert_eq!(session.rule_id, s.rule);
    assert_eq!(session.application_id, s.app);
    assert_eq!(session.scenario_ids, vec![s.scenario]);
    assert_eq!(session.custom_data.as_deref(), Some(data));
    // The control URL is a capability: not in the Debug text.
    assert!(
        !format!("{started:?}").contains(started.media_session_access_url.expose()),
        "{started:?}"
    );
    assert!(
        started
            .media_session_access_secure_url
            .expose()
            .starts_with("https://")
    );
    // Without custom data, another session with another id.
    let again = s
        .client
        .start_scenarios(&ScenarioStart {
            rule_id: s.rule,
            script_custom_data: None,
        })
        .await
        .unwrap();
    assert_ne!(
        again.call_session_history_id,
        started.call_session_history_id
    );
    assert_eq!(s.standin.state().sessions[1].custom_data, None);
}

#[tokio::test]
async fn custom_data_over_200_bytes_is_refused_by_the_client_and_the_stand_in() {
    let s = setup().await;
    // 200 bytes exactly pass: 66 Cyrillic letters are 132 bytes, plus 68 ASCII.
    let exact = format!("{}{}", "я".repeat(66), "x".repeat(68));
    assert_eq!(exact.len(), 200);
    s.client
        .start_scenarios(&ScenarioStart {
            rule_id: s.rule,
            script_custom_data: Some(exact),
        })
        .await
        .expect("200 bytes are taken");
    // 201 bytes (fewer than 200 characters): the client sends nothing.
    let over = format!("{}{}", "я".repeat(66), "x".repeat(69));
    assert!(over.chars().count() < 200);
    s.standin.clear_requests();
    let e = s
        .client
        .start_scenarios(&ScenarioStart {
            rule_id: s.rule,
            script_custom_data: Some(over.clone()),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "voximplant_invalid_input");
    assert!(s.standin.requests().is_empty());
    // Sent anyway (raw): the stand-in refuses it with 101 and starts nothing.
    let e = s
        .client
        .call_value(
            "StartScenarios",
            &Params::new()
                .num("rule_id", s.rule)
                .text("script_custom_data", over),
        )
        .await
        .unwrap_err();
    assert_eq!(api_code(&e), 101);
    assert_eq!(s.standin.state().sessions.len(), 1);
}

#[tokio::test]
async fn the_stand_in_refuses_what_the_reference_does_not_allow() {
    let s = setup().await;
    let raw = |params: Params| {
        let client = s.client.clone();
        async move { client.call_value("StartScenarios", &params).await }
    };
    // No rule, an unknown rule.
    assert_eq!(api_code(&raw(Params::new()).await.unwrap_err()), 101);
    assert_eq!(
        api_code(
            &raw(Params::new().num("rule_id", 424_242))
                .await
                .unwrap_err()
        ),
        101
    );
    // A rule without a scenario ("the necessary scenario needs to be attached to the rule").
    let bare = s.standin.edit(|st| {
        let r = st.rules.iter_mut().find(|r| r.id == s.rule).unwrap();
        let kept = r.scenario_ids.clone();
        r.scenario_ids.clear();
        kept
    });
    assert_eq!(
        api_code(&raw(Params::new().num("rule_id", s.rule)).await.unwrap_err()),
        101
    );
    s.standin.edit(|st| {
        st.rules
            .iter_mut()
            .find(|r| r.id == s.rule)
            .unwrap()
            .scenario_ids = bare;
    });
    // Another application's id; both halves of the pair; parameters not modelled; unknown.
    for extra in [
        vec![("application_id", "1")],
        vec![
            ("application_id", &*s.app.to_string()),
            ("application_name", "sva-acme"),
        ],
        vec![("user_name", "manager")],
        vec![("server_location", "ru")],
        vec![("with_check_url", "true")],
    ] {
        let mut p = Params::new().num("rule_id", s.rule);
        for (k, v) in &extra {
            p = p.text(k, *v);
        }
        assert_eq!(api_code(&raw(p).await.unwrap_err()), 101, "{extra:?}");
    }
    // The rule's own application by id or by name is fine.
    raw(Params::new()
        .num("rule_id", s.rule)
        .num("application_id", s.app))
    .await
    .expect("the rule's application");
    raw(Params::new()
        .num("rule_id", s.rule)
        .text("application_name", "sva-acme"))
    .await
    .expect("the rule's application by name");
    assert_eq!(s.standin.state().sessions.len(), 2);
}

#[tokio::test]
async fn http_429_is_rate_limited_and_nothing_starts() {
    let s = setup().await;
    s.standin.throttle_start_scenarios(2);
    let start = ScenarioStart {
        rule_id: s.rule,
        script_custom_data: None,
    };
    for _ in 0..2 {
        let e = s.client.start_scenarios(&start).await.unwrap_err();
        assert_eq!(e.code(), "voximplant_rate_limited");
        assert!(!e.may_have_run());
    }
    assert!(s.standin.state().sessions.is_empty());
    s.client
        .start_scenarios(&start)
        .await
        .expect("after the throttle");
    assert_eq!(s.standin.state().sessions.len(), 1);
}

#[tokio::test]
async fn the_outbound_configuration_comes_from_the_environment() {
    let s = setup().await;
    let key = TestKey::primary().key_file_json();
    let url = s.standin.base_url().to_owned();
    let rule = s.rule.to_string();
    let env = |vars: Vec<(&'static str, String)>| {
        move |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        }
    };
    // Nothing set: not configured.
    assert!(Outbound::from_env(env(vec![])).unwrap().is_none());
    assert!(
        Outbound::from_env(env(vec![("SVA_VOXIMPLANT_KEY", " ".into())]))
            .unwrap()
            .is_none()
    );
    // Half set, or a rule that is not a number: an error that never quotes the key.
    for vars in [
        vec![("SVA_VOXIMPLANT_KEY", key.clone())],
        vec![("SVA_VOXIMPLANT_OUTBOUND_RULE_ID", rule.clone())],
        vec![
            ("SVA_VOXIMPLANT_KEY", key.clone()),
            ("SVA_VOXIMPLANT_OUTBOUND_RULE_ID", "sva-outbound".into()),
        ],
    ] {
        let e = Outbound::from_env(env(vars)).unwrap_err();
        assert_eq!(e.code(), "voximplant_invalid_input");
        assert!(!e.to_string().contains("PRIVATE KEY"), "{e}");
    }
    // The key's JSON text, or a path to the file.
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &key).unwrap();
    for key in [key.clone(), file.path().display().to_string()] {
        let outbound = Outbound::from_env(env(vec![
            ("SVA_VOXIMPLANT_KEY", key),
            ("SVA_VOXIMPLANT_OUTBOUND_RULE_ID", rule.clone()),
            ("SVA_VOXIMPLANT_API_URL", url.clone()),
        ]))
        .unwrap()
        .expect("configured");
        assert_eq!(outbound.rule_id, s.rule);
        outbound
            .client
            .start_scenarios(&ScenarioStart {
                rule_id: outbound.rule_id,
                script_custom_data: None,
            })
            .await
            .expect("the configured client works");
    }
    assert_eq!(s.standin.state().sessions.len(), 2);
}
