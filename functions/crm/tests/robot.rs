//! The robot «Позвонить клиенту» against the sandbox portal: the install registers it, a
//! deal reaching the manager's stage makes the portal run it, the handler queues a call
//! with the deal's number, and the end of the call answers the business process and puts
//! the call into the deal's history; runs it cannot call for are answered at once.

mod common;

use async_trait::async_trait;
use common::*;
use serde_json::{Map, Value, json};
use std::sync::{Arc, Mutex};
use sva_crm::install::{Installer, install_url};
use sva_crm::robot::{CallStarter, DO_NOT_CALL_CODE, ROBOT_CODE, Robots, StartError, robot_url};
use sva_portal::Entity;
use sva_tenants::{CrmAuth, CrmSecrets};

/// A call the handler queued: tenant, number, custom data.
type Queued = (String, String, Map<String, Value>);

/// Records the calls it is asked to start (our own seam, not a platform).
#[derive(Default)]
struct Recorder(Mutex<Vec<Queued>>);

#[async_trait]
impl CallStarter for Recorder {
    async fn start(
        &self,
        tenant: &str,
        phone: &str,
        custom_data: &Map<String, Value>,
    ) -> Result<String, StartError> {
        let mut calls = self.0.lock().unwrap();
        calls.push((tenant.into(), phone.into(), custom_data.clone()));
        Ok(format!("vox-{}", calls.len()))
    }
}

/// The CRM function's routes on a free port, with `robots`; its address.
/// Moves `lead` to «В работе» (`IN_PROCESS`), where these tests put their robots: the
/// portal's posts to the robots there.
async fn into_work(rig: &Rig, lead: u64) -> Vec<sva_portal::RobotDelivery> {
    rig.portal
        .move_to_stage(&rig.portal.url(), Entity::Lead, lead, "IN_PROCESS")
        .await
        .unwrap()
}

/// A manager puts robot `code` on the leads' stage «В работе», with its defaults.
fn on_leads_in_work(rig: &Rig, code: &str) {
    rig.portal
        .put_robot_on_stage(Entity::Lead, "IN_PROCESS", code, &[], None)
        .unwrap();
}

async fn serve(rig: &Rig, robots: impl FnOnce(&Rig) -> Robots) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let installer = Arc::new(Installer::new(rig.connections.clone(), Some(base.clone())));
    let router = sva_crm::http::router(rig.outbox.clone(), installer, Arc::new(robots(rig)));
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    base
}

/// The tenant's application installed by the portal's administrator.
async fn install(rig: &Rig, base: &str) {
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
    let (status, page) = rig
        .portal
        .install_to(&rig.portal.url(), &install_url(base, "acme", "k3y"))
        .await
        .unwrap();
    assert_eq!(status, 200, "{page}");
}

/// A robot run's form post, as the portal sends it (`application/x-www-form-urlencoded`).
async fn post_form(url: String, body: String) -> reqwest::Response {
    reqwest::Client::new()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
}

/// The routes served with robots that start calls through `starter`, and the
/// application installed: the routes' address.
async fn installed_with(rig: &Rig, starter: Arc<dyn CallStarter>) -> String {
    let base = serve(rig, move |rig| {
        Robots::new(rig.connections.clone(), rig.store.clone(), Some(starter))
    })
    .await;
    install(rig, &base).await;
    base
}

/// [`installed_with`] a [`Recorder`]: the recorder and the routes' address.
async fn installed_with_recorder(rig: &Rig) -> (Arc<Recorder>, String) {
    let recorder = Arc::new(Recorder::default());
    let base = installed_with(rig, recorder.clone()).await;
    (recorder, base)
}

#[tokio::test]
async fn a_deal_reaching_the_stage_is_called_and_the_end_of_the_call_answers_the_robot() {
    let rig = rig(CrmAuth::Oauth).await;
    let (recorder, base) = installed_with_recorder(&rig).await;
    // Installing again updates the robot rather than failing or adding a second one.
    install(&rig, &base).await;
    let robots = rig.portal.robots();
    // «Позвонить клиенту» and «Не звонить клиенту», in code order.
    assert_eq!(robots.len(), 2, "{robots:#?}");
    assert_eq!(robots[0]["code"], ROBOT_CODE);
    assert_eq!(robots[1]["code"], DO_NOT_CALL_CODE);
    assert_eq!(robots[1]["handler"], robot_url(&base, "acme"));
    assert_eq!(robots[1]["name"]["ru"], "Не звонить клиенту");
    assert_eq!(robots[0]["handler"], robot_url(&base, "acme"));
    assert_eq!(robots[0]["use_subscription"], true);
    assert_eq!(robots[0]["name"]["ru"], "Позвонить клиенту");

    let contact = rig.portal.seed_contact(json!({
        "NAME": "Ольга",
        "PHONE": [
            {"VALUE": "+74950001122", "VALUE_TYPE": "WORK"},
            {"VALUE": "8 (916) 200-30-01", "VALUE_TYPE": "MOBILE"}
        ]
    }));
    let deal = rig.portal.seed_deal(json!({
        "TITLE": "Терминалы для склада", "STAGE_ID": "NEW", "CONTACT_ID": contact, "ASSIGNED_BY_ID": 1
    }));
    // A manager puts the robot on the stage «Подготовка документов», mobile numbers.
    rig.portal
        .put_robot_on_stage(
            Entity::Deal,
            "PREPARATION",
            ROBOT_CODE,
            &[("phone_type", "MOBILE"), ("campaign", "spring")],
            None,
        )
        .unwrap();
    let runs = rig
        .portal
        .move_to_stage(&rig.portal.url(), Entity::Deal, deal, "PREPARATION")
        .await
        .unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status, 200, "{}", runs[0].body);
    let token = runs[0].event_token.clone();

    let queued = recorder.0.lock().unwrap().clone();
    assert_eq!(queued.len(), 1);
    let (tenant, phone, custom) = &queued[0];
    assert_eq!((tenant.as_str(), phone.as_str()), ("acme", "+79162003001"));
    assert_eq!(custom["tenant"], "acme");
    assert_eq!(custom["event_token"], token.as_str());
    assert_eq!(custom["document"], format!("DEAL_{deal}"));
    assert_eq!(custom["campaign"], "spring");
    assert_eq!(rig.portal.robot_answer(&token), None, "the process waits");

    // The call ends: the dialog function records it with the custom data it started with.
    record_call(
        &rig.store,
        "vox-1",
        "+79162003001",
        json!({"call": {"id": "vox-1", "direction": "outbound", "caller": "+74950000000",
                        "callee": "+79162003001", "custom_data": custom}}),
    )
    .await;
    drain(&rig.outbox, &rig.store).await;

    let answer = rig
        .portal
        .robot_answer(&token)
        .expect("the robot is answered");
    assert_eq!(answer["return_values"]["outcome"], "qualified");
    assert_eq!(answer["return_values"]["call_id"], "vox-1");
    let summary = answer["return_values"]["summary"].as_str().unwrap();
    assert!(summary.contains("квалифицирован"), "{summary}");
    assert!(answer["log_message"].as_str().unwrap().contains("vox-1"));

    let result = crm_result(&rig.store, "vox-1").await;
    let progress = &result["progress"];
    assert_eq!(progress["rule"], "robot_document");
    assert_eq!(progress["deal_id"], deal);
    assert_eq!(progress["robot_answer"], "sent");
    assert_eq!(progress["telephony"]["bound"], true, "{progress:#}");
    // The call is in the deal's history: registered on its contact, bound to the deal.
    let calls = rig.portal.calls();
    assert_eq!(calls.len(), 1, "{calls:#?}");
    let activity = progress["telephony"]["activity_id"].as_u64().unwrap();
    let bound = rig
        .portal
        .activities()
        .into_iter()
        .find(|a| id(a) == activity)
        .expect("the call activity");
    assert_eq!(bound["PROVIDER_TYPE_ID"], "CALL", "{bound:#}");
    assert!(
        rig.portal
            .comments()
            .iter()
            .any(|c| c["ENTITY_TYPE"] == "deal"
                && c["ENTITY_ID"].as_str().and_then(|s| s.parse().ok()) == Some(deal)),
        "the transcript is on the deal: {:#?}",
        rig.portal.comments()
    );
    assert!(ours(rig.portal.leads()).is_empty(), "no lead was made");
    assert_eq!(rig.portal.deals().len(), 1, "no deal was made");
}

#[tokio::test]
async fn a_run_without_a_callable_number_is_answered_at_once() {
    let rig = rig(CrmAuth::Oauth).await;
    let recorder = Arc::new(Recorder::default());
    let starter = recorder.clone();
    let base = serve(&rig, move |rig| {
        Robots::new(
            rig.connections.clone(),
            rig.store.clone(),
            Some(starter as Arc<dyn CallStarter>),
        )
    })
    .await;
    // The tenant's do-not-call list, as the deployment keeps it.
    rig.tenants
        .add_do_not_call(
            "acme",
            sva_tenants::NewDoNotCall {
                number: "+79160000666",
                source: sva_tenants::DoNotCallSource::Admin,
                by: "test",
                reason: "просил не звонить",
            },
        )
        .await
        .unwrap();
    install(&rig, &base).await;
    on_leads_in_work(&rig, ROBOT_CODE);
    for (phones, reason) in [
        (json!([]), "no_phone"),
        (
            json!([{"VALUE": "12-34", "VALUE_TYPE": "WORK"}]),
            "invalid_phone",
        ),
        (
            json!([{"VALUE": "+7 916 000-06-66", "VALUE_TYPE": "MOBILE"}]),
            "do_not_call",
        ),
    ] {
        let lead = rig
            .portal
            .seed_lead(json!({"TITLE": "Заявка", "STATUS_ID": "NEW", "PHONE": phones}));
        let runs = into_work(&rig, lead).await;
        assert_eq!(runs[0].status, 200, "{reason}: {}", runs[0].body);
        let body: Value = serde_json::from_str(&runs[0].body).unwrap();
        assert_eq!(body["refused"], reason);
        let answer = rig
            .portal
            .robot_answer(&runs[0].event_token)
            .unwrap_or_else(|| panic!("{reason}: the process is not left waiting"));
        assert_eq!(answer["return_values"]["outcome"], "refused", "{reason}");
        assert!(
            answer["return_values"]["summary"]
                .as_str()
                .unwrap()
                .starts_with("Звонок не начат"),
            "{reason}: {answer}"
        );
    }
    assert!(recorder.0.lock().unwrap().is_empty(), "nothing was dialled");
}

#[tokio::test]
async fn without_a_way_to_start_calls_every_run_is_refused_at_once() {
    let rig = rig(CrmAuth::Oauth).await;
    let base = serve(&rig, |rig| {
        Robots::new(rig.connections.clone(), rig.store.clone(), None)
    })
    .await;
    install(&rig, &base).await;
    on_leads_in_work(&rig, ROBOT_CODE);
    let lead = rig.portal.seed_lead(json!({
        "TITLE": "Заявка", "STATUS_ID": "NEW", "PHONE": [{"VALUE": "+79161112233", "VALUE_TYPE": "WORK"}]
    }));
    let runs = into_work(&rig, lead).await;
    let body: Value = serde_json::from_str(&runs[0].body).unwrap();
    assert_eq!(body["refused"], "not_configured");
    let answer = rig.portal.robot_answer(&runs[0].event_token).unwrap();
    assert_eq!(answer["return_values"]["outcome"], "refused");
}

#[tokio::test]
async fn a_run_without_the_application_token_is_refused() {
    let rig = rig(CrmAuth::Oauth).await;
    let (recorder, base) = installed_with_recorder(&rig).await;
    let lead = rig.portal.seed_lead(json!({
        "TITLE": "Заявка", "PHONE": [{"VALUE": "+79161112233", "VALUE_TYPE": "WORK"}]
    }));
    let run = |token: &str| {
        let mut body = format!(
            "code={ROBOT_CODE}&event_token=t%7CA1%7Cx&document_id%5B0%5D=crm&document_id%5B1%5D=CCrmDocumentLead&document_id%5B2%5D=LEAD_{lead}&use_subscription=Y"
        );
        if !token.is_empty() {
            body.push_str(&format!("&auth%5Bapplication_token%5D={token}"));
        }
        post_form(robot_url(&base, "acme"), body)
    };
    for token in ["guess", ""] {
        let answer = run(token).await;
        assert_eq!(answer.status().as_u16(), 401, "{token:?}");
    }
    // Another tenant's path with this portal's token: not that tenant's install.
    let body = format!(
        "code={ROBOT_CODE}&event_token=x&document_id%5B2%5D=LEAD_{lead}&auth%5Bapplication_token%5D={}",
        rig.portal.application_token().unwrap()
    );
    let other = post_form(robot_url(&base, "nobody"), body).await;
    assert_eq!(other.status().as_u16(), 401);
    // With the token but not our robot's run.
    let body = format!(
        "code=someone_else&event_token=x&document_id%5B2%5D=LEAD_{lead}&auth%5Bapplication_token%5D={}",
        rig.portal.application_token().unwrap()
    );
    let foreign = post_form(robot_url(&base, "acme"), body).await;
    assert_eq!(foreign.status().as_u16(), 400);
    assert!(recorder.0.lock().unwrap().is_empty(), "nothing was dialled");
}

#[tokio::test]
async fn a_run_delivered_twice_is_called_once() {
    let rig = rig(CrmAuth::Oauth).await;
    let (recorder, base) = installed_with_recorder(&rig).await;
    let lead = rig.portal.seed_lead(json!({
        "TITLE": "Заявка", "PHONE": [{"VALUE": "+79161112233", "VALUE_TYPE": "WORK"}]
    }));
    let form = format!(
        "code={ROBOT_CODE}&event_token=wf1%7CA1%7Cabc&document_id%5B0%5D=crm&document_id%5B1%5D=CCrmDocumentLead&document_id%5B2%5D=LEAD_{lead}&use_subscription=Y&auth%5Bapplication_token%5D={}",
        rig.portal.application_token().unwrap()
    );
    let mut bodies = Vec::new();
    for _ in 0..2 {
        let answer = post_form(robot_url(&base, "acme"), form.clone()).await;
        assert_eq!(answer.status().as_u16(), 200);
        bodies.push(answer.json::<Value>().await.unwrap());
    }
    assert_eq!(bodies[0]["call_id"], "vox-1");
    assert_eq!(bodies[1]["duplicate"], true);
    let queued = recorder.0.lock().unwrap().clone();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].1, "+79161112233");
    assert_eq!(queued[0].2["event_token"], "wf1|A1|abc");
}

#[tokio::test]
async fn a_repeat_lead_without_a_number_is_called_at_its_contacts() {
    let rig = rig(CrmAuth::Oauth).await;
    let (recorder, _) = installed_with_recorder(&rig).await;
    let contact = rig.portal.seed_contact(json!({
        "NAME": "Ольга", "PHONE": [{"VALUE": "+79163334455", "VALUE_TYPE": "MOBILE"}]
    }));
    let lead = rig.portal.seed_lead(json!({
        "TITLE": "Повторная заявка", "STATUS_ID": "NEW", "CONTACT_ID": contact
    }));
    on_leads_in_work(&rig, ROBOT_CODE);
    let runs = into_work(&rig, lead).await;
    assert_eq!(runs[0].status, 200, "{}", runs[0].body);
    let queued = recorder.0.lock().unwrap().clone();
    assert_eq!(queued.len(), 1, "{}", runs[0].body);
    assert_eq!(queued[0].1, "+79163334455");
}

#[tokio::test]
async fn registering_again_updates_the_robot_in_place() {
    let rig = rig(CrmAuth::Oauth).await;
    let base = serve(&rig, |rig| {
        Robots::new(rig.connections.clone(), rig.store.clone(), None)
    })
    .await;
    install(&rig, &base).await;
    let connection = rig.connections.get("acme").await.unwrap();
    let moved = robot_url(&base, "acme-2");
    let how = sva_crm::robot::register(&connection.client, &moved)
        .await
        .unwrap();
    assert_eq!(how, sva_crm::robot::Registered::Updated);
    let robots = rig.portal.robots();
    assert_eq!(robots.len(), 2);
    assert_eq!(robots[0]["handler"], moved);
    assert_eq!(robots[1]["handler"], moved);
    // A handler on another host is refused by the portal, as Bitrix24 refuses it.
    let err = sva_crm::robot::register(&connection.client, "https://elsewhere.example/robot")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "ERROR_WRONG_HANDLER_URL");
}

#[tokio::test]
async fn a_run_the_portal_no_longer_takes_is_noted_and_the_call_still_lands() {
    let rig = rig(CrmAuth::Oauth).await;
    let (recorder, _) = installed_with_recorder(&rig).await;
    on_leads_in_work(&rig, ROBOT_CODE);
    let lead = rig.portal.seed_lead(json!({
        "TITLE": "Заявка", "STATUS_ID": "NEW", "PHONE": [{"VALUE": "+79161112244", "VALUE_TYPE": "WORK"}]
    }));
    let runs = into_work(&rig, lead).await;
    // Something else answered the run meanwhile (another call of the application, as
    // the portal's administrator): the token is spent.
    let spent = reqwest::Client::new()
        .post(format!("{}/rest/bizproc.event.send", rig.portal.url()))
        .json(
            &json!({"event_token": runs[0].event_token, "return_values": {"outcome": "dropped"},
                      "auth": rig.portal.access_token_for(1)}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(spent.status().as_u16(), 200);
    let custom = recorder.0.lock().unwrap()[0].2.clone();
    record_call(
        &rig.store,
        "vox-1",
        "+79161112244",
        json!({"call": {"id": "vox-1", "direction": "outbound", "caller": "+74950000000",
                        "callee": "+79161112244", "custom_data": custom}}),
    )
    .await;
    drain(&rig.outbox, &rig.store).await;
    let result = crm_result(&rig.store, "vox-1").await;
    let progress = &result["progress"];
    assert_eq!(progress["lead_id"], lead, "onto the robot's lead");
    assert!(
        progress["robot_answer"]
            .as_str()
            .is_some_and(|a| a.starts_with("не отправлено") && a.contains("ACCESS_DENIED")),
        "{progress:#}"
    );
    assert_eq!(
        rig.portal.calls().len(),
        1,
        "the call is in the lead's history"
    );
    let answer = rig.portal.robot_answer(&runs[0].event_token).unwrap();
    assert_eq!(
        answer["return_values"]["outcome"], "dropped",
        "the first answer stands"
    );
}

/// Voximplant's stand-in with the tenant's application, scenario and outbound rule; a
/// client for it and the rule's id (names as `sva_voximplant::deploy` gives them).
async fn voximplant() -> (
    sva_voximplant::standin::StandIn,
    sva_voximplant::Client,
    u64,
) {
    let standin = sva_voximplant::standin::StandIn::start()
        .await
        .expect("the stand-in starts");
    let (client, rule) = standin
        .outbound_rule("sva-acme", "// script")
        .await
        .unwrap();
    (standin, client, rule)
}

#[tokio::test]
async fn the_robot_starts_the_call_with_voximplant_start_scenarios() {
    use sva_crm::voximplant::{ROBOT_REF_KEY, VoximplantStarter};
    let rig = rig(CrmAuth::Oauth).await;
    let (standin, client, rule) = voximplant().await;
    installed_with(&rig, Arc::new(VoximplantStarter::new(client, rule))).await;
    let lead = rig.portal.seed_lead(json!({
        "TITLE": "Заявка", "STATUS_ID": "NEW",
        "PHONE": [{"VALUE": "8 (916) 200-30-02", "VALUE_TYPE": "MOBILE"}]
    }));
    on_leads_in_work(&rig, ROBOT_CODE);
    let runs = into_work(&rig, lead).await;
    assert_eq!(runs[0].status, 200, "{}", runs[0].body);
    let token = runs[0].event_token.clone();

    // One session of the outbound rule; the script reads {phone, data}.
    let sessions = standin.state().sessions;
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].rule_id, rule);
    let sent = sessions[0].custom_data.clone().expect("custom data");
    assert!(sent.len() <= 200, "{sent}");
    let sent: Value = serde_json::from_str(&sent).unwrap();
    assert_eq!(sent["phone"], "79162003002", "E.164 digits without +");
    let data = sent["data"].as_object().unwrap().clone();
    assert_eq!(data["tenant"], "acme");
    assert_eq!(data["document"], format!("LEAD_{lead}"));
    // The token does not travel (200 bytes); its reference does.
    assert!(data.get("event_token").is_none());
    assert_eq!(
        data[ROBOT_REF_KEY],
        sva_crm::robot::run_ref(&token).as_str()
    );
    // The call id is the session's: what the script names the call.
    let call = format!("vox-{}", sessions[0].session_id);
    let body: Value = serde_json::from_str(&runs[0].body).unwrap();
    assert_eq!(body["call_id"], call.as_str());
    assert_eq!(rig.portal.robot_answer(&token), None, "the process waits");

    // The call ends; its record carries `data` as the script sent it: the outbox puts the
    // token back, and the run is answered with the call.
    record_call(
        &rig.store,
        &call,
        "+79162003002",
        json!({"call": {"id": call, "direction": "outbound", "caller": "+74950000000",
                        "callee": "+79162003002", "custom_data": data}}),
    )
    .await;
    drain(&rig.outbox, &rig.store).await;
    let answer = rig
        .portal
        .robot_answer(&token)
        .expect("the robot is answered");
    assert_eq!(answer["return_values"]["call_id"], call.as_str());
    assert_eq!(answer["return_values"]["outcome"], "qualified");
    let result = crm_result(&rig.store, &call).await;
    assert_eq!(result["progress"]["lead_id"], lead, "onto the robot's lead");
}

#[tokio::test]
async fn voximplant_refusals_and_outages_answer_the_run_at_once() {
    use sva_crm::voximplant::{VoximplantStarter, script_custom_data};
    // Too much for the session's 200 bytes: refused before sending.
    let mut custom = Map::new();
    custom.insert("event_token".into(), json!("t".repeat(300)));
    custom.insert("campaign".into(), json!("c".repeat(120)));
    let e = script_custom_data("acme", "+79161112233", &custom).unwrap_err();
    assert_eq!(e.code(), "call_refused");
    assert!(script_custom_data("acme", "89161112233", &Map::new()).is_err());
    let mut other = Map::new();
    other.insert("tenant".into(), json!("globex"));
    assert!(script_custom_data("acme", "+79161112233", &other).is_err());

    // The platform throttles (HTTP 429): the run is refused at once, not left waiting.
    let rig = rig(CrmAuth::Oauth).await;
    let (standin, client, rule) = voximplant().await;
    standin.throttle_start_scenarios(1);
    installed_with(&rig, Arc::new(VoximplantStarter::new(client, rule))).await;
    on_leads_in_work(&rig, ROBOT_CODE);
    let lead = rig.portal.seed_lead(json!({
        "TITLE": "Заявка", "STATUS_ID": "NEW",
        "PHONE": [{"VALUE": "+79161112255", "VALUE_TYPE": "WORK"}]
    }));
    let runs = into_work(&rig, lead).await;
    let body: Value = serde_json::from_str(&runs[0].body).unwrap();
    assert_eq!(body["refused"], "call_unavailable", "{body}");
    let answer = rig.portal.robot_answer(&runs[0].event_token).unwrap();
    assert_eq!(answer["return_values"]["outcome"], "refused");
    assert!(standin.state().sessions.is_empty());
}

#[tokio::test]
async fn the_do_not_call_robot_lists_the_records_numbers_and_answers_at_once() {
    let rig = rig(CrmAuth::Oauth).await;
    let (recorder, _) = installed_with_recorder(&rig).await;
    let contact = rig.portal.seed_contact(json!({
        "NAME": "Ольга",
        "PHONE": [
            {"VALUE": "8 (916) 200-30-01", "VALUE_TYPE": "MOBILE"},
            {"VALUE": "+7 495 000-11-22", "VALUE_TYPE": "WORK"},
            {"VALUE": "не номер", "VALUE_TYPE": "HOME"}
        ]
    }));
    let deal = rig.portal.seed_deal(json!({
        "TITLE": "Отказ", "STAGE_ID": "NEW", "CONTACT_ID": contact, "ASSIGNED_BY_ID": 1
    }));
    rig.portal
        .put_robot_on_stage(
            Entity::Deal,
            "PREPARATION",
            DO_NOT_CALL_CODE,
            &[("reason", "клиент просил не звонить")],
            None,
        )
        .unwrap();
    let runs = rig
        .portal
        .move_to_stage(&rig.portal.url(), Entity::Deal, deal, "PREPARATION")
        .await
        .unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status, 200, "{}", runs[0].body);
    // Answered at once: the business process goes on.
    let answer = rig
        .portal
        .robot_answer(&runs[0].event_token)
        .expect("the run is answered");
    assert_eq!(answer["return_values"]["added"], 2, "{answer}");
    for number in ["+79162003001", "+74950001122"] {
        let entry = rig
            .tenants
            .do_not_call_entry("acme", number)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{number} is not listed"));
        assert_eq!(entry.source, sva_tenants::DoNotCallSource::Bitrix);
        assert_eq!(entry.reason, "клиент просил не звонить");
        assert!(entry.by.contains("Не звонить клиенту"), "{}", entry.by);
    }
    assert!(recorder.0.lock().unwrap().is_empty(), "nothing is called");

    // A lead without a number: answered, nothing listed.
    let lead = rig
        .portal
        .seed_lead(json!({"TITLE": "Без номера", "STATUS_ID": "NEW"}));
    on_leads_in_work(&rig, DO_NOT_CALL_CODE);
    let runs = into_work(&rig, lead).await;
    assert_eq!(runs[0].status, 200, "{}", runs[0].body);
    let answer = rig.portal.robot_answer(&runs[0].event_token).unwrap();
    assert_eq!(answer["return_values"]["added"], 0, "{answer}");
}
