//! CRM methods: duplicates, lists, multifields, validation, timeline and to-dos.

mod common;

use common::{form, json, start};
use serde_json::{Value, json};

/// The stricter reading of `findbycomm` (`docs/bitrix24-rest.md` §5): a number matches
/// only as it was written, its extension ignored. (This test used to expect `8912…`,
/// `7912…` and `+7 (912)…` to match each other — the vendor normaliser the docs of
/// August 2026 no longer promise.)
#[tokio::test]
async fn findbycomm_matches_numbers_as_written_and_ignores_the_extension() {
    let p = start().await;
    let hook = p.webhook_url();
    let contact = p.seed_contact(
        json!({"NAME": "Пётр", "PHONE": [{"VALUE": "+7 (912) 345-67-89", "VALUE_TYPE": "MOBILE"}],
        "EMAIL": [{"VALUE": "Petr@Example.COM"}]}),
    );
    let lead = json(
        &hook,
        "crm.lead.add",
        json!({"fields": {"PHONE": [{"VALUE": "89123456789"}]}}),
    )
    .await;
    assert_eq!(lead.result(), &json!(1));
    let company = p.seed_company(json!({"TITLE": "Ромашка", "PHONE": [{"VALUE": "89123456789"}]}));
    let german = p.seed_contact(json!({"NAME": "Hans", "PHONE": [{"VALUE": "01701234567"}]}));

    for (probe, expected) in [
        ("+7 (912) 345-67-89", json!({"CONTACT": [contact]})),
        ("+7 (912) 345-67-89 #12", json!({"CONTACT": [contact]})),
        ("89123456789", json!({"LEAD": [1], "COMPANY": [company]})),
        (
            "89123456789;доб. 7",
            json!({"LEAD": [1], "COMPANY": [company]}),
        ),
        ("79123456789", json!([])),
        ("+79123456789", json!([])),
    ] {
        let a = json(
            &hook,
            "crm.duplicate.findbycomm",
            json!({"type": "PHONE", "values": [probe]}),
        )
        .await;
        assert_eq!(a.status, 200);
        assert_eq!(a.result(), &expected, "{probe}");
    }
    // Every spelling at once (up to 20 values) finds every record.
    let all = json(
        &hook,
        "crm.duplicate.findbycomm",
        json!({"type": "PHONE", "values": ["+79123456789", "89123456789", "+7 (912) 345-67-89"]}),
    )
    .await;
    assert_eq!(
        all.result(),
        &json!({"LEAD": [1], "CONTACT": [contact], "COMPANY": [company]})
    );
    let only = json(
        &hook,
        "crm.duplicate.findbycomm",
        json!({"type": "PHONE", "values": ["89123456789", "+7 (912) 345-67-89"], "entity_type": "CONTACT"}),
    )
    .await;
    assert_eq!(only.result(), &json!({"CONTACT": [contact]}));
    let intl = json(
        &hook,
        "crm.duplicate.findbycomm",
        json!({"type": "PHONE", "values": ["491701234567"]}),
    )
    .await;
    assert_eq!(
        intl.result(),
        &json!([]),
        "a national number does not match its international form"
    );
    let national = json(
        &hook,
        "crm.duplicate.findbycomm",
        json!({"type": "PHONE", "values": ["01701234567"]}),
    )
    .await;
    assert_eq!(national.result(), &json!({"CONTACT": [german]}));
    let none = json(
        &hook,
        "crm.duplicate.findbycomm",
        json!({"type": "PHONE", "values": ["70000000000"]}),
    )
    .await;
    assert_eq!(none.result(), &json!([]), "no hit is an empty array");
    let numbers = json(
        &hook,
        "crm.duplicate.findbycomm",
        json!({"type": "PHONE", "values": [89123456789u64, null, ["x"]]}),
    )
    .await;
    assert_eq!(
        numbers.result(),
        &json!([]),
        "values that are not strings are skipped"
    );
    let email = form(
        &hook,
        "crm.duplicate.findbycomm",
        "type=EMAIL&values[]=petr%40example.com",
    )
    .await;
    assert_eq!(email.result(), &json!({"CONTACT": [contact]}));

    let deal = json(
        &hook,
        "crm.duplicate.findbycomm",
        json!({"type": "PHONE", "values": ["1"], "entity_type": "DEAL"}),
    )
    .await;
    assert_eq!((deal.status, deal.error()), (400, ""));
    let no_type = json(&hook, "crm.duplicate.findbycomm", json!({"values": ["1"]})).await;
    assert_eq!(
        no_type.json,
        json!({"error": "", "error_description": "Communication type is not defined."})
    );
    let bad_type = json(
        &hook,
        "crm.duplicate.findbycomm",
        json!({"type": "FAX", "values": ["1"]}),
    )
    .await;
    assert_eq!((bad_type.status, bad_type.error()), (400, ""));
}

#[tokio::test]
async fn lists_page_by_fifty() {
    let p = start().await;
    let hook = p.webhook_url();
    for i in 1..=120 {
        p.seed_lead(json!({"TITLE": format!("Lead {i}"), "ORIGIN_ID": format!("o-{i}"), "PHONE": [{"VALUE": format!("+7999{i:07}")}]}));
    }
    let mut seen = Vec::new();
    let mut start_at = Some(0u64);
    let mut pages = Vec::new();
    while let Some(s) = start_at {
        let a = json(
            &hook,
            "crm.lead.list",
            json!({"order": {"ID": "ASC"}, "select": ["ID", "TITLE"], "start": s}),
        )
        .await;
        assert_eq!(a.status, 200);
        assert_eq!(a.json["total"], json!(120));
        let rows = a.result().as_array().cloned().unwrap_or_default();
        pages.push(rows.len());
        seen.extend(
            rows.iter()
                .map(|r| r["ID"].as_str().unwrap_or("").to_owned()),
        );
        start_at = a.json.get("next").and_then(Value::as_u64);
    }
    assert_eq!(pages, [50, 50, 20]);
    assert_eq!(seen.len(), 120);
    assert_eq!(seen[0], "1");
    assert_eq!(seen[119], "120");

    let nocount = json(
        &hook,
        "crm.lead.list",
        json!({"start": -1, "filter": {">ID": 100}, "order": {"ID": "ASC"}}),
    )
    .await;
    assert_eq!(nocount.json["total"], json!(0));
    assert!(nocount.json.get("next").is_none());
    assert_eq!(nocount.result().as_array().map(Vec::len), Some(20));
    assert_eq!(nocount.result()[0]["ID"], "101");
    assert!(
        nocount.result()[0].get("PHONE").is_none(),
        "multifields only when named"
    );
    assert!(
        nocount.result()[0].get("TITLE").is_some(),
        "no select means all standard fields"
    );

    let origin = json(
        &hook,
        "crm.lead.list",
        json!({"filter": {"ORIGIN_ID": "o-42"}, "select": ["ID", "PHONE"]}),
    )
    .await;
    assert_eq!(origin.result().as_array().map(Vec::len), Some(1));
    assert_eq!(origin.result()[0]["ID"], "42");
    assert_eq!(origin.result()[0]["PHONE"][0]["VALUE"], "+79990000042");
    assert!(origin.json.get("next").is_none());

    let exact = json(
        &hook,
        "crm.lead.list",
        json!({"filter": {"PHONE": "+79990000007"}}),
    )
    .await;
    assert_eq!(exact.json["total"], json!(1));
    let normalised = json(
        &hook,
        "crm.lead.list",
        json!({"filter": {"PHONE": "89990000007"}}),
    )
    .await;
    assert_eq!(
        normalised.json["total"],
        json!(0),
        "list filters match the exact stored string"
    );

    let desc = form(
        &hook,
        "crm.lead.list",
        "order[ID]=DESC&filter[%3C%3DID]=3&select[]=ID",
    )
    .await;
    let ids: Vec<&str> = desc
        .result()
        .as_array()
        .map(|a| a.iter().filter_map(|r| r["ID"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(ids, ["3", "2", "1"]);
    let like = json(
        &hook,
        "crm.lead.list",
        json!({"filter": {"%TITLE": "lead 11"}}),
    )
    .await;
    assert_eq!(like.json["total"], json!(11), "11 and 110..119");
    let within = json(
        &hook,
        "crm.lead.list",
        json!({"filter": {"@ID": ["5", "6", 700]}}),
    )
    .await;
    assert_eq!(within.json["total"], json!(2));
}

#[tokio::test]
async fn multifield_updates_follow_the_reference() {
    let p = start().await;
    let hook = p.webhook_url();
    let id = json(&hook, "crm.contact.add", json!({"fields": {"NAME": "Олег", "PHONE": [
        {"VALUE": "+70000000001", "VALUE_TYPE": "WORK"}, {"VALUE": "+70000000002", "VALUE_TYPE": "MOBILE"}, {"VALUE": "+70000000003"}]}})).await;
    assert_eq!(id.result(), &json!(1));
    let got = json(&hook, "crm.contact.get", json!({"id": 1})).await;
    let phones = got.result()["PHONE"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let pid = |i: usize| phones[i]["ID"].as_str().unwrap_or("").to_owned();
    let up = json(
        &hook,
        "crm.contact.update",
        json!({"id": 1, "fields": {"PHONE": [
            {"VALUE": "+70000000004", "VALUE_TYPE": "HOME"},
            {"ID": pid(0), "VALUE": "+70000000009", "VALUE_TYPE": "OTHER"},
            {"ID": pid(1), "DELETE": "Y"},
            {"ID": pid(2)},
        ]}}),
    )
    .await;
    assert_eq!(up.status, 200);
    assert_eq!(up.result(), &json!(true));
    let after = json(&hook, "crm.contact.get", json!({"id": 1})).await;
    let values: Vec<(String, String)> = after.result()["PHONE"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|v| {
                    (
                        v["VALUE"].as_str().unwrap_or("").into(),
                        v["VALUE_TYPE"].as_str().unwrap_or("").into(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        values,
        [
            ("+70000000009".to_owned(), "OTHER".to_owned()),
            ("+70000000004".to_owned(), "HOME".to_owned())
        ]
    );
    assert_eq!(
        after.result()["PHONE"][0]["ID"],
        json!(pid(0)),
        "a replaced entry keeps its id"
    );
    // Form-encoded update with an empty VALUE deletes.
    let first = after.result()["PHONE"][0]["ID"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    let up = form(
        &hook,
        "crm.contact.update",
        &format!("id=1&fields[PHONE][0][ID]={first}&fields[PHONE][0][VALUE]="),
    )
    .await;
    assert_eq!(up.status, 200);
    assert_eq!(p.contacts()[0]["PHONE"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn legacy_errors_have_an_empty_code_and_status_400() {
    let p = start().await;
    let hook = p.webhook_url();
    let cases = [
        ("crm.lead.get", json!({"id": 77}), "Not found"),
        ("crm.deal.get", json!({}), "ID is not defined or invalid."),
        (
            "crm.contact.update",
            json!({"id": 5, "fields": {"NAME": "x"}}),
            "Not found",
        ),
        (
            "crm.lead.update",
            json!({"id": 0, "fields": {}}),
            "ID is not defined or invalid.",
        ),
        (
            "crm.lead.add",
            json!({}),
            "Parameter 'fields' must be array.",
        ),
    ];
    for (method, body, description) in cases {
        let a = json(&hook, method, body).await;
        assert_eq!(a.status, 400, "{method}");
        assert_eq!(
            a.json,
            json!({"error": "", "error_description": description}),
            "{method}"
        );
    }
    let nameless = json(
        &hook,
        "crm.contact.add",
        json!({"fields": {"SECOND_NAME": "Ивановна"}}),
    )
    .await;
    assert_eq!((nameless.status, nameless.error()), (400, ""));
    assert!(p.contacts().is_empty());
    let surname = json(
        &hook,
        "crm.contact.add",
        json!({"arFields": {"LAST_NAME": "Иванова"}}),
    )
    .await;
    assert_eq!(
        surname.result(),
        &json!(1),
        "a failed add does not use up an id"
    );
    let bad_email = json(
        &hook,
        "crm.contact.add",
        json!({"fields": {"NAME": "x", "EMAIL": [{"VALUE": "not-an-email"}]}}),
    )
    .await;
    assert_eq!((bad_email.status, bad_email.error()), (400, "ERROR_CORE"));
    let fields = json(&hook, "crm.contact.fields", json!({})).await;
    assert_eq!(fields.result()["PHONE"]["isMultiple"], json!(true));
}

#[tokio::test]
async fn timeline_comments_and_todos() {
    let p = start().await;
    let hook = p.webhook_url();
    let deal = json(&hook, "crm.deal.add", json!({"fields": {"TITLE": "D"}})).await;
    assert_eq!(deal.result(), &json!(1));
    let c = json(&hook, "crm.timeline.comment.add", json!({"fields": {"ENTITY_ID": 1, "ENTITY_TYPE": "deal", "COMMENT": "Клиент: <b>перезвонить</b>"}})).await;
    assert_eq!(c.status, 200);
    assert_eq!(c.result(), &json!(1));
    let upper = json(
        &hook,
        "crm.timeline.comment.add",
        json!({"FIELDS": {"ENTITY_ID": 1, "ENTITY_TYPE": "deal", "COMMENT": "x"}}),
    )
    .await;
    assert_eq!(
        (upper.status, upper.error()),
        (400, "100"),
        "lower-case fields only"
    );
    let orphan = json(
        &hook,
        "crm.timeline.comment.add",
        json!({"fields": {"ENTITY_ID": 9, "ENTITY_TYPE": "lead", "COMMENT": "x"}}),
    )
    .await;
    assert_eq!((orphan.status, orphan.error()), (400, "OWNER_NOT_FOUND"));
    let list = json(
        &hook,
        "crm.timeline.comment.list",
        json!({"filter": {"ENTITY_ID": 1, "ENTITY_TYPE": "deal"}}),
    )
    .await;
    assert_eq!(list.json["total"], json!(1));
    let row = &list.result()[0];
    assert_eq!(row["ID"], "1");
    assert_eq!(row["ENTITY_ID"], "1");
    assert_eq!(row["ENTITY_TYPE"], "deal");
    assert_eq!(row["AUTHOR_ID"], "1");
    assert_eq!(row["COMMENT"], "Клиент: <b>перезвонить</b>");
    assert!(
        row["CREATED"]
            .as_str()
            .is_some_and(|c| c.ends_with("+03:00"))
    );

    let todo = json(&hook, "crm.activity.todo.add", json!({"ownerTypeId": 2, "ownerId": 1, "deadline": "2030-05-01T10:00:00+03:00", "title": "Перезвонить", "description": "после 18:00"})).await;
    assert_eq!(todo.result(), &json!({"id": 1}));
    let bad_date = json(
        &hook,
        "crm.activity.todo.add",
        json!({"ownerTypeId": 2, "ownerId": 1, "deadline": "завтра"}),
    )
    .await;
    assert_eq!(
        (bad_date.status, bad_date.error()),
        (400, "WRONG_DATETIME_FORMAT")
    );
    let no_owner = json(
        &hook,
        "crm.activity.todo.add",
        json!({"ownerTypeId": 3, "ownerId": 1, "deadline": "2030-05-01"}),
    )
    .await;
    assert_eq!(
        (no_owner.status, no_owner.error()),
        (400, "OWNER_NOT_FOUND")
    );
    let missing = json(
        &hook,
        "crm.activity.todo.add",
        json!({"ownerId": 1, "deadline": "2030-05-01"}),
    )
    .await;
    assert_eq!((missing.status, missing.error()), (400, "100"));
    let acts = json(
        &hook,
        "crm.activity.list",
        json!({"filter": {"OWNER_TYPE_ID": 2, "OWNER_ID": 1, "PROVIDER_ID": "CRM_TODO"}}),
    )
    .await;
    assert_eq!(acts.json["total"], json!(1));
    let a = &acts.result()[0];
    assert_eq!(a["TYPE_ID"], "6");
    assert_eq!(a["SUBJECT"], "Перезвонить");
    assert_eq!(a["DEADLINE"], "2030-05-01T10:00:00+03:00");
    assert_eq!(p.activities().len(), 1);
    assert_eq!(p.comments().len(), 1);
}
