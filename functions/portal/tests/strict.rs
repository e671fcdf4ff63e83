//! The sandbox is at least as strict as Bitrix24: reference fields checked against the
//! portal's lists, custom fields written only in their type, dismissed users refused,
//! the reference methods, activity bindings, applications and latency.

mod common;

use common::{app, json, start};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use sva_portal::{Entity, UserFieldType};

#[tokio::test]
async fn reference_fields_are_checked_against_the_portals_lists() {
    let p = start().await;
    let hook = p.webhook_url();
    p.set_user_active(7, false);
    let category = p.add_deal_category("Опт");
    for (method, fields, why) in [
        ("crm.deal.add", json!({"CURRENCY_ID": "XXX"}), "Валюта"),
        ("crm.lead.add", json!({"CURRENCY_ID": "XXX"}), "Валюта"),
        ("crm.lead.add", json!({"STATUS_ID": "HOT"}), "Стадия"),
        ("crm.lead.add", json!({"SOURCE_ID": "TIKTOK"}), "Источник"),
        (
            "crm.lead.add",
            json!({"ASSIGNED_BY_ID": 7}),
            "Ответственный",
        ),
        (
            "crm.lead.add",
            json!({"ASSIGNED_BY_ID": 999}),
            "Ответственный",
        ),
        ("crm.deal.add", json!({"CATEGORY_ID": 42}), "Воронка"),
        (
            "crm.deal.add",
            json!({"STAGE_ID": "C1:NEW"}),
            "Стадия сделки",
        ),
        (
            "crm.deal.add",
            json!({"CATEGORY_ID": category, "STAGE_ID": "WON"}),
            "Стадия сделки",
        ),
    ] {
        let a = json(&hook, method, json!({ "fields": fields })).await;
        assert_eq!(
            a.json,
            json!({"error": "", "error_description": format!("Неверное значение поля «{why}»")}),
            "{method} {fields}"
        );
    }
    assert!(p.leads().is_empty() && p.deals().is_empty());
    let ok = json(
        &hook,
        "crm.deal.add",
        json!({"fields": {"CATEGORY_ID": category, "STAGE_ID": format!("C{category}:WON"),
            "CURRENCY_ID": "USD", "SOURCE_ID": "WEB", "ASSIGNED_BY_ID": 8}}),
    )
    .await;
    assert_eq!(ok.result(), &json!(1), "{ok:?}");
    let deal = &p.deals()[0];
    assert_eq!(deal["CLOSED"], "Y", "a success stage closes the deal");
    assert_eq!(deal["STAGE_SEMANTIC_ID"], "S");
    // An update is checked the same way; a manager's UI (a seed) is not.
    let update = json(
        &hook,
        "crm.deal.update",
        json!({"id": 1, "fields": {"ASSIGNED_BY_ID": 7}}),
    )
    .await;
    assert_eq!((update.status, update.error()), (400, ""));
    let seeded = p.seed_lead(json!({"ASSIGNED_BY_ID": 7, "TITLE": "из интерфейса"}));
    assert!(seeded > 0);
}

#[tokio::test]
async fn custom_fields_take_values_in_their_type_and_ignore_the_rest() {
    let p = start().await;
    let hook = p.webhook_url();
    p.add_user_field(
        Entity::Lead,
        "UF_CRM_BUDGET",
        UserFieldType::Money,
        false,
        &[],
    );
    p.add_user_field(Entity::Lead, "UF_CRM_WHEN", UserFieldType::Date, false, &[]);
    p.add_user_field(
        Entity::Lead,
        "UF_CRM_BOSS",
        UserFieldType::Boolean,
        false,
        &[],
    );
    p.add_user_field(
        Entity::Lead,
        "UF_CRM_SCORE",
        UserFieldType::Integer,
        false,
        &[],
    );
    p.add_user_field(
        Entity::Lead,
        "UF_CRM_NEED",
        UserFieldType::Enumeration,
        false,
        &["Склад", "Доставка"],
    );
    p.add_user_field(
        Entity::Lead,
        "UF_CRM_TAGS",
        UserFieldType::String,
        true,
        &[],
    );
    let options = p.user_field_options(Entity::Lead, "UF_CRM_NEED");
    let warehouse = options[0].0;

    let good = json(
        &hook,
        "crm.lead.add",
        json!({"fields": {"TITLE": "в типе", "UF_CRM_BUDGET": "700000|RUB", "UF_CRM_WHEN": "2026-12-01",
            "UF_CRM_BOSS": "Y", "UF_CRM_SCORE": "85", "UF_CRM_NEED": warehouse, "UF_CRM_TAGS": ["a", "b"],
            "UF_CRM_NOT_THERE": "x"}}),
    )
    .await;
    let bad = json(
        &hook,
        "crm.lead.add",
        json!({"fields": {"TITLE": "не в типе", "UF_CRM_BUDGET": 700000, "UF_CRM_WHEN": "в следующем месяце",
            "UF_CRM_BOSS": "может быть", "UF_CRM_SCORE": "много", "UF_CRM_NEED": "Склад"}}),
    )
    .await;
    assert_eq!((good.status, bad.status), (200, 200), "never refused");
    let got = json(&hook, "crm.lead.get", json!({"id": 1})).await;
    let l = got.result();
    assert_eq!(l["UF_CRM_BUDGET"], "700000|RUB");
    assert_eq!(l["UF_CRM_WHEN"], "2026-12-01T00:00:00+03:00");
    assert_eq!(l["UF_CRM_BOSS"], "1");
    assert_eq!(l["UF_CRM_SCORE"], "85");
    assert_eq!(l["UF_CRM_NEED"], warehouse.to_string());
    assert_eq!(l["UF_CRM_TAGS"], json!(["a", "b"]));
    assert!(l.get("UF_CRM_NOT_THERE").is_none());
    let got = json(&hook, "crm.lead.get", json!({"id": 2})).await;
    for name in [
        "UF_CRM_BUDGET",
        "UF_CRM_WHEN",
        "UF_CRM_BOSS",
        "UF_CRM_SCORE",
        "UF_CRM_NEED",
    ] {
        assert!(got.result().get(name).is_none(), "{name}: {got:?}");
    }

    let fields = json(&hook, "crm.lead.fields", json!({})).await;
    let need = &fields.result()["UF_CRM_NEED"];
    assert_eq!(need["type"], "enumeration");
    assert_eq!(need["isDynamic"], json!(true));
    assert_eq!(
        need["title"], "UF_CRM_NEED",
        "a custom field's title is its code"
    );
    assert_eq!(need["items"][1]["VALUE"], "Доставка");
    assert_eq!(fields.result()["UF_CRM_BUDGET"]["type"], "money");
    assert_eq!(fields.result()["STATUS_ID"]["statusType"], "STATUS");
    let list = json(
        &hook,
        "crm.lead.userfield.list",
        json!({"filter": {"FIELD_NAME": "UF_CRM_NEED"}}),
    )
    .await;
    assert_eq!(list.result()[0]["USER_TYPE_ID"], "enumeration");
    assert_eq!(list.result()[0]["MULTIPLE"], "N");
    assert_eq!(list.result()[0]["LIST"][0]["VALUE"], "Склад");

    // A field deleted later is gone from records and from the description.
    assert!(p.remove_user_field(Entity::Lead, "UF_CRM_BUDGET"));
    let got = json(&hook, "crm.lead.get", json!({"id": 1})).await;
    assert!(got.result().get("UF_CRM_BUDGET").is_none());
    let fields = json(&hook, "crm.lead.fields", json!({})).await;
    assert!(fields.result().get("UF_CRM_BUDGET").is_none());
}

#[tokio::test]
async fn users_statuses_pipelines_and_currencies_are_listed() {
    let p = start().await;
    let hook = p.webhook_url();
    p.set_user_active(3, false);
    let users = json(
        &hook,
        "user.get",
        json!({"FILTER": {"ID": [2, 3, 4], "ACTIVE": true}}),
    )
    .await;
    let ids: Vec<&str> = users
        .result()
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["ID"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["2", "4"],
        "dismissed users are left out with ACTIVE=true"
    );
    let dismissed = json(&hook, "user.get", json!({"ID": 3})).await;
    assert_eq!(dismissed.result()[0]["ACTIVE"], json!(false));

    let category = p.add_deal_category("Опт");
    let stages = json(
        &hook,
        "crm.status.list",
        json!({"filter": {"ENTITY_ID": format!("DEAL_STAGE_{category}")}}),
    )
    .await;
    assert_eq!(stages.result()[0]["STATUS_ID"], format!("C{category}:NEW"));
    let none = json(
        &hook,
        "crm.status.list",
        json!({"filter": {"ENTITY_ID": "DEAL_STAGE_0"}}),
    )
    .await;
    assert_eq!(none.result(), &json!([]), "DEAL_STAGE_0 is no list");
    let statuses = json(
        &hook,
        "crm.status.list",
        json!({"filter": {"ENTITY_ID": "STATUS"}}),
    )
    .await;
    let junk = statuses
        .result()
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["STATUS_ID"] == "JUNK")
        .cloned()
        .unwrap();
    assert_eq!(junk["SEMANTICS"], "F");
    assert_eq!(junk["EXTRA"]["SEMANTICS"], "failure");

    let categories = json(&hook, "crm.category.list", json!({"entityTypeId": 2})).await;
    assert_eq!(categories.result()["categories"][0]["isDefault"], "Y");
    assert_eq!(categories.result()["categories"][1]["id"], json!(category));
    let currencies = json(&hook, "crm.currency.list", json!({})).await;
    assert_eq!(currencies.result()[0]["CURRENCY"], "RUB");
    assert_eq!(currencies.result()[0]["BASE"], "Y");
}

#[tokio::test]
async fn a_todo_keeps_its_reminders_and_an_activity_its_bindings() {
    let p = start().await;
    let hook = p.webhook_url();
    let contact = p.seed_contact(json!({"NAME": "Олег"}));
    let deal = p.seed_deal(json!({"TITLE": "Поставка", "CONTACT_IDS": [contact]}));
    let todo = json(
        &hook,
        "crm.activity.todo.add",
        json!({"ownerTypeId": 3, "ownerId": contact, "deadline": "2030-01-01T10:00:00+03:00",
            "title": "Перезвонить", "pingOffsets": [0, 15], "responsibleId": 2}),
    )
    .await;
    let id = todo.result()["id"].as_u64().unwrap();
    let dismissed = {
        p.set_user_active(5, false);
        json(
            &hook,
            "crm.activity.todo.add",
            json!({"ownerTypeId": 3, "ownerId": contact, "deadline": "2030-01-01T10:00:00+03:00", "responsibleId": 5}),
        )
        .await
    };
    assert_eq!((dismissed.status, dismissed.error()), (400, "NOT_FOUND"));
    let bound = json(
        &hook,
        "crm.activity.binding.add",
        json!({"activityId": id, "entityTypeId": 2, "entityId": deal}),
    )
    .await;
    assert_eq!(bound.result(), &json!(true));
    let again = json(
        &hook,
        "crm.activity.binding.add",
        json!({"activityId": id, "entityTypeId": 2, "entityId": deal}),
    )
    .await;
    assert_eq!(
        (again.status, again.error()),
        (400, "ACTIVITY_IS_ALREADY_BOUND")
    );
    let list = json(
        &hook,
        "crm.activity.binding.list",
        json!({"activityId": id}),
    )
    .await;
    assert_eq!(
        list.result(),
        &json!([{"entityTypeId": 3, "entityId": contact}, {"entityTypeId": 2, "entityId": deal}])
    );
    let activity = &p.activities()[0];
    assert_eq!(activity["PING_OFFSETS"], json!([0, 15]));
}

#[tokio::test]
async fn an_application_is_installed_by_its_callback_and_events_carry_its_token() {
    use axum::extract::State;
    use axum::routing::post;
    use std::sync::{Arc, Mutex};
    type Seen = Arc<Mutex<Vec<String>>>;
    let seen: Seen = Arc::default();
    let handler = axum::Router::new()
        .route(
            "/install",
            post(|State(seen): State<Seen>, body: String| async move {
                seen.lock().unwrap().push(body);
                "ok"
            }),
        )
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, handler).await;
    });
    let p = start().await;
    let (status, _) = p
        .install_to(&p.url(), &format!("http://{addr}/install"))
        .await
        .unwrap();
    assert_eq!(status, 200);
    p.send_event(
        &p.url(),
        &format!("http://{addr}/install"),
        "ONAPPUNINSTALL",
        &[("CLEAN", "0")],
    )
    .await
    .unwrap();
    let bodies = seen.lock().unwrap().clone();
    let token = p.application_token().unwrap();
    assert!(
        bodies[0].starts_with("event=ONAPPINSTALL&"),
        "{}",
        bodies[0]
    );
    assert!(
        bodies[0].contains("auth%5Baccess_token%5D="),
        "{}",
        bodies[0]
    );
    assert!(bodies[0].contains(&format!("auth%5Bapplication_token%5D={token}")));
    assert!(bodies[1].contains(&format!("auth%5Bapplication_token%5D={token}")));
    assert!(
        !bodies[1].contains("access_token"),
        "events carry no tokens"
    );

    let (rest, access, _) = app(&p);
    let info = json(&rest, "app.info", json!({"auth": access})).await;
    assert_eq!(info.result()["CODE"], json!(p.config().client_id));
    let bind = json(
        &rest,
        "event.bind",
        json!({"auth": access, "event": "ONAPPUNINSTALL", "handler": "https://example.ru/events"}),
    )
    .await;
    assert_eq!(bind.result(), &json!(true));
    assert_eq!(p.bound_events().len(), 1);
    let hook = json(&p.webhook_url(), "app.info", json!({})).await;
    assert_eq!(hook.error(), "ACCESS_DENIED");
}

#[tokio::test]
async fn latency_slows_every_request() {
    let p = start().await;
    let hook = p.webhook_url();
    p.faults().set_latency(Duration::from_millis(150));
    let started = Instant::now();
    let a = json(&hook, "user.current", json!({})).await;
    assert_eq!(a.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
    p.faults().clear();
    assert_eq!(p.faults().latency(), Duration::ZERO);
    let _: Value = a.json;
}
