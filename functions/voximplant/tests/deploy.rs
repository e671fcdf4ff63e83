//! Deploy against the stand-in: from empty, again (nothing changes), a changed script, a
//! rotated secret, drift made by hand, a removed fallback number, paging.

use sva_voximplant::standin::{StandIn, TestKey};
use sva_voximplant::{
    Action, Client, DeployPlan, DeployReport, Resource, Secret, SvaSecrets, deploy,
};

const SCRIPT: &str = include_str!("../../../scenarios/voxengine/sales-assistant.voxengine.js");
const SIGNING: &str = "sig-0123456789abcdef-SECRET";

fn secrets(signing: &str, fallback: Option<&str>) -> SvaSecrets {
    SvaSecrets {
        function_url: Secret::new("https://fn.example.com/sva"),
        tenant: Secret::new("acme"),
        signing_secret: Secret::new(signing),
        caller_id: Secret::new("+74950000001"),
        fallback_number: fallback.map(Secret::new),
    }
}

fn plan(script: &str, signing: &str, fallback: Option<&str>) -> DeployPlan {
    DeployPlan::sva("acme", script, secrets(signing, fallback))
}

fn st_pattern(standin: &StandIn, app_id: u64, rule: &str) -> String {
    standin.state().rule(app_id, rule).unwrap().pattern.clone()
}

async fn setup() -> (StandIn, Client) {
    let standin = StandIn::start().await.expect("stand-in starts");
    let client = Client::new(
        &TestKey::primary().service_account_key(),
        &standin.client_config(),
    )
    .expect("client");
    (standin, client)
}

fn actions(report: &DeployReport) -> Vec<(Resource, String, Action)> {
    report
        .steps
        .iter()
        .map(|s| (s.resource, s.name.clone(), s.action))
        .collect()
}

fn changed_steps(report: &DeployReport) -> Vec<(Resource, String, Action)> {
    actions(report)
        .into_iter()
        .filter(|(_, _, a)| *a != Action::Unchanged)
        .collect()
}

#[tokio::test]
async fn from_empty_everything_is_created_and_again_nothing_changes() {
    let (standin, client) = setup().await;
    let first = deploy(&client, &plan(SCRIPT, SIGNING, Some("+74950000002")))
        .await
        .expect("first deploy");
    assert_eq!(
        actions(&first),
        vec![
            (Resource::Application, "sva-acme".into(), Action::Created),
            (
                Resource::Scenario,
                "sva-sales-assistant".into(),
                Action::Created
            ),
            (Resource::Rule, "sva-inbound".into(), Action::Created),
            (Resource::Rule, "sva-outbound".into(), Action::Created),
            (Resource::Secret, "SVA_FUNCTION_URL".into(), Action::Created),
            (Resource::Secret, "SVA_TENANT".into(), Action::Created),
            (
                Resource::Secret,
                "SVA_SIGNING_SECRET".into(),
                Action::Created
            ),
            (Resource::Secret, "SVA_CALLER_ID".into(), Action::Created),
            (
                Resource::Secret,
                "SVA_FALLBACK_NUMBER".into(),
                Action::Created
            ),
        ]
    );
    assert!(first.steps.iter().all(|s| s.id.is_some()));

    // What the platform holds.
    let st = standin.state();
    let app = st.application("sva-acme").expect("application");
    assert_eq!(Some(app.id), first.application_id);
    assert_eq!(app.full_name, "sva-acme.sva-test.voximplant.com");
    let scenario = st
        .scenario(app.id, "sva-sales-assistant")
        .expect("scenario");
    assert_eq!(scenario.script, SCRIPT);
    assert_eq!(Some(scenario.id), first.scenario_id);
    let rule = st.rule(app.id, "sva-inbound").expect("rule");
    assert_eq!(rule.pattern, ".*");
    assert_eq!(rule.scenario_ids, vec![scenario.id]);
    assert_eq!(Some(rule.id), first.rule_id);
    // The outbound rule: the same scenario, a pattern no inbound destination matches (a
    // number or a user name `[a-z0-9][a-z0-9_-]{2,49}`), its id in the report's last line.
    let outbound = st.rule(app.id, "sva-outbound").expect("outbound rule");
    assert_eq!(outbound.scenario_ids, vec![scenario.id]);
    assert_eq!(Some(outbound.id), first.outbound_rule_id);
    assert_ne!(outbound.id, rule.id);
    assert!(
        outbound.pattern.contains(' ') && outbound.pattern.chars().any(|c| c.is_ascii_uppercase()),
        "{}",
        outbound.pattern
    );
    assert!(
        first.to_string().ends_with(&format!(
            "SVA_VOXIMPLANT_OUTBOUND_RULE_ID={}\n",
            outbound.id
        )),
        "{first}"
    );
    assert_eq!(
        st.secret(app.id, "SVA_SIGNING_SECRET")
            .unwrap()
            .value
            .expose(),
        SIGNING
    );
    assert_eq!(
        st.secret(app.id, "SVA_TENANT").unwrap().value.expose(),
        "acme"
    );
    assert_eq!(
        st.secret(app.id, "SVA_FALLBACK_NUMBER")
            .unwrap()
            .value
            .expose(),
        "+74950000002"
    );
    assert_eq!(st.secrets.len(), 5);

    // Again: every step unchanged, no write reached the platform, same ids.
    standin.clear_requests();
    let second = deploy(&client, &plan(SCRIPT, SIGNING, Some("+74950000002")))
        .await
        .expect("second deploy");
    assert!(!second.changed(), "{second}");
    assert!(second.steps.iter().all(|s| s.action == Action::Unchanged));
    assert_eq!(second.application_id, first.application_id);
    assert_eq!(second.scenario_id, first.scenario_id);
    assert_eq!(second.rule_id, first.rule_id);
    assert_eq!(second.outbound_rule_id, first.outbound_rule_id);
    let writes: Vec<_> = standin
        .requests()
        .into_iter()
        .filter(|r| r.is_write())
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
    assert!(standin.requests().iter().all(|r| r.refused.is_none()));
}

#[tokio::test]
async fn a_changed_script_updates_the_scenario_only() {
    let (standin, client) = setup().await;
    let first = deploy(&client, &plan(SCRIPT, SIGNING, None)).await.unwrap();
    let changed_script = format!("{SCRIPT}\n// v2\n");
    standin.clear_requests();
    let report = deploy(&client, &plan(&changed_script, SIGNING, None))
        .await
        .unwrap();
    assert_eq!(
        changed_steps(&report),
        vec![(
            Resource::Scenario,
            "sva-sales-assistant".into(),
            Action::Updated
        )]
    );
    assert_eq!(report.scenario_id, first.scenario_id);
    let detail = report
        .step(Resource::Scenario, "sva-sales-assistant")
        .and_then(|s| s.detail.clone())
        .unwrap();
    assert!(detail.contains('→'), "{detail}");
    let writes: Vec<String> = standin
        .requests()
        .into_iter()
        .filter(|r| r.is_write())
        .map(|r| r.method)
        .collect();
    assert_eq!(writes, vec!["SetScenarioInfo"]);
    let st = standin.state();
    let app = st.application("sva-acme").unwrap();
    assert_eq!(
        st.scenario(app.id, "sva-sales-assistant").unwrap().script,
        changed_script
    );
}

#[tokio::test]
async fn a_rotated_signing_secret_updates_that_secret_only() {
    let (standin, client) = setup().await;
    let first = deploy(&client, &plan(SCRIPT, SIGNING, None)).await.unwrap();
    standin.clear_requests();
    let rotated = "sig-rotated-fedcba9876543210";
    let report = deploy(&client, &plan(SCRIPT, rotated, None)).await.unwrap();
    assert_eq!(
        changed_steps(&report),
        vec![(
            Resource::Secret,
            "SVA_SIGNING_SECRET".into(),
            Action::Updated
        )]
    );
    assert_eq!(
        report
            .step(Resource::Secret, "SVA_SIGNING_SECRET")
            .unwrap()
            .id,
        first
            .step(Resource::Secret, "SVA_SIGNING_SECRET")
            .unwrap()
            .id
    );
    let writes: Vec<String> = standin
        .requests()
        .into_iter()
        .filter(|r| r.is_write())
        .map(|r| r.method)
        .collect();
    assert_eq!(writes, vec!["SetSecretInfo"]);
    let st = standin.state();
    let app = st.application("sva-acme").unwrap();
    assert_eq!(
        st.secret(app.id, "SVA_SIGNING_SECRET")
            .unwrap()
            .value
            .expose(),
        rotated
    );
    // Neither the report nor its text carries a secret value.
    let text = format!("{report}{report:?}");
    assert!(!text.contains(rotated) && !text.contains(SIGNING), "{text}");
}

#[tokio::test]
async fn drift_made_by_hand_is_fixed() {
    let (standin, client) = setup().await;
    let first = deploy(&client, &plan(SCRIPT, SIGNING, Some("+74950000002")))
        .await
        .unwrap();
    let app_id = first.application_id.unwrap();
    let scenario_id = first.scenario_id.unwrap();
    // By hand: the pattern changed, the scenario unbound and another one bound instead.
    let stray = standin.edit(|st| {
        let stray = sva_voximplant::standin::Scenario {
            id: 999_999,
            application_id: Some(app_id),
            name: "stray".into(),
            script: "// stray".into(),
            modified: "2024-01-01 00:00:00".into(),
        };
        st.scenarios.push(stray);
        let rule = st
            .rules
            .iter_mut()
            .find(|r| r.name == "sva-inbound")
            .unwrap();
        rule.pattern = "^\\+7.*".into();
        rule.scenario_ids = vec![999_999];
        // The outbound rule made to answer every inbound call.
        let outbound = st
            .rules
            .iter_mut()
            .find(|r| r.name == "sva-outbound")
            .unwrap();
        outbound.pattern = ".*".into();
        999_999
    });
    // And the fallback number is no longer planned: it must go.
    let report = deploy(&client, &plan(SCRIPT, SIGNING, None)).await.unwrap();
    assert_eq!(
        changed_steps(&report),
        vec![
            (Resource::Rule, "sva-inbound".into(), Action::Updated),
            (Resource::Rule, "sva-outbound".into(), Action::Updated),
            (
                Resource::Secret,
                "SVA_FALLBACK_NUMBER".into(),
                Action::Deleted
            ),
        ]
    );
    assert_eq!(
        st_pattern(&standin, app_id, "sva-outbound"),
        sva_voximplant::deploy::OUTBOUND_RULE_PATTERN
    );
    let st = standin.state();
    let rule = st.rule(app_id, "sva-inbound").unwrap();
    assert_eq!(rule.pattern, ".*");
    assert_eq!(rule.scenario_ids, vec![scenario_id]);
    assert!(!rule.scenario_ids.contains(&stray));
    assert!(st.secret(app_id, "SVA_FALLBACK_NUMBER").is_none());
    // And then it is stable.
    let again = deploy(&client, &plan(SCRIPT, SIGNING, None)).await.unwrap();
    assert!(!again.changed(), "{again}");
    assert_eq!(
        again
            .step(Resource::Secret, "SVA_FALLBACK_NUMBER")
            .unwrap()
            .action,
        Action::Unchanged
    );
}

#[tokio::test]
async fn lists_are_read_past_the_first_page() {
    let (standin, client) = setup().await;
    // 30 other applications whose names contain the tenant's, and 30 other secrets:
    // more than one page each (the stand-in's default page is 20).
    for i in 0..30 {
        client
            .add_application(&format!("sva-acme{i:02}"))
            .await
            .expect("add application");
    }
    let first = deploy(&client, &plan(SCRIPT, SIGNING, None)).await.unwrap();
    let app_id = first.application_id.unwrap();
    for i in 0..30 {
        client
            .add_secret(app_id, &format!("OTHER_{i:02}"), &Secret::new("x"))
            .await
            .unwrap();
    }
    // The application is found among 31, the secrets among 34: two pages each.
    standin.clear_requests();
    let again = deploy(&client, &plan(SCRIPT, SIGNING, None)).await.unwrap();
    assert!(!again.changed(), "{again}");
    assert_eq!(standin.state().applications.len(), 31);
    let calls = |m: &str| standin.requests().iter().filter(|r| r.method == m).count();
    assert_eq!(calls("GetApplications"), 2);
    assert_eq!(calls("GetSecrets"), 2);
}

#[tokio::test]
async fn an_invalid_plan_sends_nothing() {
    let (standin, client) = setup().await;
    let mut p = plan(SCRIPT, SIGNING, None);
    p.application = "Sva_Acme".into();
    let e = deploy(&client, &p).await.unwrap_err();
    assert_eq!(e.step, "plan");
    assert_eq!(e.code(), "voximplant_invalid_input");
    let mut p = plan(SCRIPT, SIGNING, None);
    p.scenario_script = "x".repeat(128 * 1024);
    assert_eq!(
        deploy(&client, &p).await.unwrap_err().code(),
        "voximplant_invalid_input"
    );
    let mut p = plan(SCRIPT, SIGNING, None);
    p.scenario_name = "a-scenario-name-of-thirty-char".into();
    assert_eq!(p.scenario_name.len(), 30);
    assert_eq!(
        deploy(&client, &p).await.unwrap_err().code(),
        "voximplant_invalid_input"
    );
    let p = plan(SCRIPT, &"s".repeat(8193), None);
    let e = deploy(&client, &p).await.unwrap_err();
    assert_eq!(e.code(), "voximplant_invalid_input");
    assert!(!e.to_string().contains("sssssss"), "{e}");
    assert!(standin.requests().is_empty());
}

#[tokio::test]
async fn a_failed_step_reports_what_was_done_before() {
    let (standin, client) = setup().await;
    // Two scenarios of the same name in the application (made by hand): deploy cannot
    // tell which one is meant, stops, and says what it had done.
    let first = deploy(&client, &plan(SCRIPT, SIGNING, None)).await.unwrap();
    let app_id = first.application_id.unwrap();
    standin.edit(|st| {
        st.scenarios.push(sva_voximplant::standin::Scenario {
            id: 888_888,
            application_id: Some(app_id),
            name: "sva-sales-assistant".into(),
            script: String::new(),
            modified: "2024-01-01 00:00:00".into(),
        });
    });
    let e = deploy(&client, &plan(SCRIPT, SIGNING, None))
        .await
        .unwrap_err();
    assert_eq!(e.step, "scenario");
    assert_eq!(e.code(), "voximplant_ambiguous");
    assert_eq!(
        actions(&e.done),
        vec![(Resource::Application, "sva-acme".into(), Action::Unchanged)]
    );
}
