//! Robots: `bizproc.robot.*` as `api-reference/bizproc/bizproc-robot/*` describe them,
//! a run posted to the robot's handler when a record reaches its stage, and
//! `bizproc.event.send` taking the answer once.

mod common;

use common::*;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use sva_portal::Entity;

/// One form post: its fields in order.
type Form = Vec<(String, String)>;

/// A handler on loopback that records the form posts it gets; its base URL.
async fn handler() -> (String, Arc<Mutex<Vec<Form>>>) {
    let got: Arc<Mutex<Vec<Form>>> = Arc::default();
    let keep = got.clone();
    let app = axum::Router::new().route(
        "/{*path}",
        axum::routing::post(move |body: axum::body::Bytes| {
            let keep = keep.clone();
            async move {
                let form = url_pairs(&body);
                keep.lock().unwrap().push(form);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (base, got)
}

fn url_pairs(body: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(body);
    text.split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The robot the assistant registers, close enough.
fn robot(handler: &str) -> Value {
    json!({
        "CODE": "sva_call_client",
        "HANDLER": handler,
        "USE_SUBSCRIPTION": "Y",
        "NAME": {"ru": "Позвонить клиенту", "en": "Call the customer"},
        "PROPERTIES": {
            "phone_type": {"Name": "Номер", "Type": "select", "Options": {"any": "Любой", "MOBILE": "Мобильный"}, "Default": "any"},
            "campaign": {"Name": "Кампания", "Type": "string"}
        },
        "RETURN_PROPERTIES": {
            "outcome": {"Name": "Итог", "Type": "string"},
            "attempts": {"Name": "Попыток", "Type": "int"}
        },
        "FILTER": {"INCLUDE": [["crm", "CCrmDocumentDeal"], ["crm", "CCrmDocumentLead"]]}
    })
}

/// An installed application whose handler is on `app_base`: `({url}/rest/, access_token)`.
async fn installed(p: &sva_portal::RunningPortal, app_base: &str) -> (String, String) {
    p.install_to(&p.url(), &format!("{app_base}/install"))
        .await
        .unwrap();
    let (access, _) = p.install_app();
    (format!("{}/rest/", p.url()), access)
}

async fn call(base: &str, method: &str, token: &str, mut body: Value) -> Answer {
    body["auth"] = json!(token);
    json(base, method, body).await
}

#[tokio::test]
async fn a_robot_is_registered_listed_updated_and_deleted_by_the_application() {
    let p = start().await;
    let (app, _) = handler().await;
    let (base, token) = installed(&p, &app).await;
    let added = call(
        &base,
        "bizproc.robot.add",
        &token,
        robot(&format!("{app}/robot")),
    )
    .await;
    assert_eq!(
        (added.status, added.result()),
        (200, &json!(true)),
        "{}",
        added.text
    );
    let again = call(
        &base,
        "bizproc.robot.add",
        &token,
        robot(&format!("{app}/robot")),
    )
    .await;
    assert_eq!(again.error(), "ERROR_ACTIVITY_ALREADY_INSTALLED");
    let list = call(&base, "bizproc.robot.list", &token, json!({})).await;
    assert_eq!(list.result(), &json!(["sva_call_client"]));

    let update = call(
        &base,
        "bizproc.robot.update",
        &token,
        json!({"CODE": "sva_call_client", "FIELDS": {"NAME": "Позвонить"}}),
    )
    .await;
    assert_eq!(update.result(), &json!(true), "{}", update.text);
    assert_eq!(p.robots()[0]["name"], "Позвонить");
    let empty = call(
        &base,
        "bizproc.robot.update",
        &token,
        json!({"CODE": "sva_call_client", "FIELDS": {}}),
    )
    .await;
    assert_eq!(
        (empty.error(), empty.json["error_description"].as_str()),
        (
            "ERROR_ACTIVITY_VALIDATION_FAILURE",
            Some("No fields to update")
        )
    );
    let missing = call(
        &base,
        "bizproc.robot.update",
        &token,
        json!({"CODE": "nope", "FIELDS": {"NAME": "x"}}),
    )
    .await;
    assert_eq!(missing.error(), "ERROR_ACTIVITY_NOT_FOUND");

    let deleted = call(
        &base,
        "bizproc.robot.delete",
        &token,
        json!({"CODE": "sva_call_client"}),
    )
    .await;
    assert_eq!(deleted.result(), &json!(true));
    let gone = call(
        &base,
        "bizproc.robot.delete",
        &token,
        json!({"CODE": "sva_call_client"}),
    )
    .await;
    assert_eq!(
        (gone.status, gone.error()),
        (400, "ERROR_ACTIVITY_NOT_FOUND")
    );
}

#[tokio::test]
async fn the_robot_methods_refuse_what_the_reference_refuses() {
    let p = start().await;
    let (app, _) = handler().await;
    let (base, token) = installed(&p, &app).await;
    let good = robot(&format!("{app}/robot"));
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        (
            "no data",
            json!({}),
            "ERROR_ACTIVITY_VALIDATION_FAILURE",
            "Empty data!",
        ),
        (
            "no code",
            json!({"CODE": ""}),
            "ERROR_ACTIVITY_VALIDATION_FAILURE",
            "Empty activity code!",
        ),
        (
            "bad code",
            json!({"CODE": "позвонить"}),
            "ERROR_ACTIVITY_VALIDATION_FAILURE",
            "Wrong activity code!",
        ),
        (
            "no name",
            json!({"NAME": {"ru": ""}}),
            "ERROR_ACTIVITY_VALIDATION_FAILURE",
            "Empty activity NAME!",
        ),
        (
            "ftp",
            json!({"HANDLER": "ftp://example.com/robot"}),
            "ERROR_UNSUPPORTED_PROTOCOL",
            "Unsupported handler protocol",
        ),
        (
            "another host",
            json!({"HANDLER": "https://elsewhere.example/robot"}),
            "ERROR_WRONG_HANDLER_URL",
            "Wrong handler URL",
        ),
        (
            "bad key",
            json!({"PROPERTIES": {"1phone": {"Name": "x"}}}),
            "ERROR_ACTIVITY_VALIDATION_FAILURE",
            "Wrong property key 1phone!",
        ),
        (
            "no property name",
            json!({"RETURN_PROPERTIES": {"outcome": {"Type": "string"}}}),
            "ERROR_ACTIVITY_VALIDATION_FAILURE",
            "Empty property NAME outcome!",
        ),
        (
            "unknown type",
            json!({"PROPERTIES": {"phone": {"Name": "x", "Type": "phone"}}}),
            "ERROR_ACTIVITY_VALIDATION_FAILURE",
            "Wrong properties array!",
        ),
        (
            "select without options",
            json!({"PROPERTIES": {"phone": {"Name": "x", "Type": "select"}}}),
            "ERROR_ACTIVITY_VALIDATION_FAILURE",
            "Wrong properties array!",
        ),
        (
            "not a map",
            json!({"PROPERTIES": "phone"}),
            "ERROR_ACTIVITY_VALIDATION_FAILURE",
            "Wrong properties array!",
        ),
        (
            "document type",
            json!({"DOCUMENT_TYPE": ["crm", "CCrmDocumentDeal", "LEAD"]}),
            "ERROR_ACTIVITY_VALIDATION_FAILURE",
            "Wrong activity DOCUMENT_TYPE!",
        ),
        (
            "filter",
            json!({"FILTER": {"ONLY": ["b24"]}}),
            "ERROR_ACTIVITY_VALIDATION_FAILURE",
            "Wrong activity FILTER!",
        ),
        (
            "placement without handler",
            json!({"USE_PLACEMENT": "Y"}),
            "ERROR_WRONG_HANDLER_URL",
            "Wrong handler URL",
        ),
    ];
    for (what, change, code, text) in cases {
        let mut body = if what == "no data" {
            json!({})
        } else {
            good.clone()
        };
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let a = call(&base, "bizproc.robot.add", &token, body).await;
        assert_eq!(
            (a.status, a.error(), a.json["error_description"].as_str()),
            (400, code, Some(text)),
            "{what}: {}",
            a.text
        );
    }
    assert!(p.robots().is_empty());

    // A webhook is no application; a user who is not the administrator may not.
    let hook = json(&p.webhook_url(), "bizproc.robot.add", good.clone()).await;
    assert_eq!(
        (
            hook.status,
            hook.error(),
            hook.json["error_description"].as_str()
        ),
        (403, "ACCESS_DENIED", Some("Application context required"))
    );
    let user = p.access_token_for(7);
    let denied = call(&base, "bizproc.robot.add", &user, good.clone()).await;
    assert_eq!(
        (
            denied.status,
            denied.error(),
            denied.json["error_description"].as_str()
        ),
        (403, "ACCESS_DENIED", Some("Access denied!"))
    );
    let denied = call(&base, "bizproc.robot.list", &user, json!({})).await;
    assert_eq!(denied.error(), "ACCESS_DENIED");
}

#[tokio::test]
async fn a_record_reaching_the_stage_runs_the_robot_and_the_answer_is_taken_once() {
    let p = start().await;
    let (app, got) = handler().await;
    let (base, token) = installed(&p, &app).await;
    let a = call(
        &base,
        "bizproc.robot.add",
        &token,
        robot(&format!("{app}/robot")),
    )
    .await;
    assert_eq!(a.result(), &json!(true), "{}", a.text);
    // The form refuses what the robot does not allow.
    assert!(
        p.put_robot_on_stage(
            Entity::Deal,
            "PREPARATION",
            "sva_call_client",
            &[("phone_type", "HOME")],
            None
        )
        .is_err()
    );
    assert!(
        p.put_robot_on_stage(Entity::Deal, "NO_SUCH", "sva_call_client", &[], None)
            .is_err()
    );
    p.put_robot_on_stage(
        Entity::Deal,
        "PREPARATION",
        "sva_call_client",
        &[("campaign", "весна")],
        None,
    )
    .unwrap();
    let deal = p.seed_deal(json!({"TITLE": "Склад", "STAGE_ID": "NEW"}));
    let runs = p
        .move_to_stage(&p.url(), Entity::Deal, deal, "PREPARATION")
        .await
        .unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status, 200);
    let form = got.lock().unwrap().last().cloned().unwrap(); // after the install
    assert_eq!(field(&form, "code"), Some("sva_call_client"));
    assert_eq!(
        field(&form, "document_id[2]"),
        Some(format!("DEAL_{deal}").as_str())
    );
    assert_eq!(field(&form, "document_type[1]"), Some("CCrmDocumentDeal"));
    assert_eq!(
        field(&form, "event_token"),
        Some(runs[0].event_token.as_str())
    );
    assert_eq!(field(&form, "properties[campaign]"), Some("весна"));
    assert_eq!(
        field(&form, "properties[phone_type]"),
        Some("any"),
        "the default"
    );
    assert_eq!(field(&form, "use_subscription"), Some("Y"));
    assert_eq!(
        field(&form, "auth[application_token]").map(str::to_owned),
        p.application_token()
    );
    assert!(field(&form, "auth[access_token]").is_some_and(|t| !t.is_empty()));

    // The answer comes from the application, not from a webhook of the portal.
    let hook = json(
        &p.webhook_url(),
        "bizproc.event.send",
        json!({"event_token": runs[0].event_token, "return_values": {"outcome": "qualified"}}),
    )
    .await;
    assert_eq!(
        (
            hook.status,
            hook.error(),
            hook.json["error_description"].as_str()
        ),
        (403, "ACCESS_DENIED", Some("Application context required"))
    );
    let send = |body: Value| call(&base, "bizproc.event.send", &token, body);
    let wrong_type =
        send(json!({"event_token": runs[0].event_token, "return_values": {"attempts": "две"}}))
            .await;
    assert_eq!(wrong_type.error(), "ERROR_ARGUMENT");
    let unknown =
        send(json!({"event_token": runs[0].event_token, "return_values": {"cost": "1"}})).await;
    assert_eq!(unknown.error(), "ERROR_ARGUMENT");
    assert_eq!(p.robot_answer(&runs[0].event_token), None);
    let ok = send(json!({"event_token": runs[0].event_token, "return_values": {"outcome": "qualified", "attempts": 1}, "log_message": "Звонок завершён"})).await;
    assert_eq!(ok.result(), &json!(true), "{}", ok.text);
    let answer = p.robot_answer(&runs[0].event_token).unwrap();
    assert_eq!(answer["return_values"]["outcome"], "qualified");
    assert_eq!(answer["log_message"], "Звонок завершён");
    for event_token in [runs[0].event_token.as_str(), "guess|A1|x", ""] {
        let again =
            send(json!({"event_token": event_token, "return_values": {"outcome": "x"}})).await;
        assert_eq!(
            (again.status, again.error()),
            (403, "ACCESS_DENIED"),
            "{event_token:?}"
        );
    }
}
