//! One customer, one record: each row of the rules table in `docs/bitrix24.md` §3, and
//! a sales team's routing (the customer's own manager, the rotation, the default;
//! statuses and stages by outcome; source, UTM, reminders), against the sandbox portal.

mod common;

use common::*;
use serde_json::{Value, json};
use sva_portal::{Entity, PortalConfig, UserFieldType};
use sva_tenants::{CrmAuth, OutcomeKind, OutcomeStatus, Utm};

/// Runs one call from `number` and returns its result's progress.
async fn call(rig: &Rig, id: &str, number: &str, extra: Value) -> Value {
    record_call(&rig.store, id, number, extra).await;
    drain(&rig.outbox, &rig.store).await;
    crm_result(&rig.store, id).await["progress"].clone()
}

#[tokio::test]
async fn row_5_a_new_caller_becomes_a_lead_alone() {
    let rig = rig(CrmAuth::Oauth).await;
    let p = call(&rig, "n-1", "+79160001001", json!({})).await;
    assert_eq!(p["rule"], "new_lead");
    assert_eq!(p["attached"], Value::Null, "created, not attached");
    assert_eq!(rig.portal.leads().len(), 1);
    assert!(rig.portal.contacts().is_empty() && rig.portal.deals().is_empty());
    assert_eq!(rig.portal.leads()[0]["IS_RETURN_CUSTOMER"], "N");
}

#[tokio::test]
async fn row_2_a_callers_second_call_goes_onto_their_lead_while_it_is_open() {
    let rig = rig(CrmAuth::Oauth).await;
    call(&rig, "n-1", "+79160001002", json!({})).await;
    let p = call(
        &rig,
        "n-2",
        "89160001002",
        json!({ "callbacks": [{"at": "2026-12-03T11:00:00+03:00", "note": ""}] }),
    )
    .await;
    assert_eq!(p["rule"], "open_lead");
    assert_eq!(p["attached"], json!(true));
    let leads = rig.portal.leads();
    assert_eq!(leads.len(), 1, "no second lead");
    assert!(
        rig.portal.deals().is_empty(),
        "no deal while the lead is open"
    );
    let lead = id(&leads[0]);
    assert_eq!(p["lead_id"].as_u64(), Some(lead));
    assert_eq!(rig.portal.comments().len(), 2);
    assert!(
        rig.portal
            .comments()
            .iter()
            .all(|c| c["ENTITY_ID"] == json!(lead.to_string()))
    );
    assert_eq!(todos(&rig.portal)[0]["OWNER_ID"], json!(lead.to_string()));
    assert_eq!(rig.portal.calls()[1]["CRM_ENTITY_ID"], json!(lead));
}

#[tokio::test]
async fn row_2_an_open_lead_of_a_manager_keeps_its_manager_and_gets_the_todo() {
    let rig = rig(CrmAuth::Oauth).await;
    let lead = rig
        .portal
        .seed_lead(json!({"TITLE": "С сайта", "ASSIGNED_BY_ID": 9,
        "PHONE": [{"VALUE": "8 916 000-10-03"}]}));
    let p = call(
        &rig,
        "l-1",
        "+79160001003",
        json!({ "callbacks": [{"at": "2026-12-03T11:00:00+03:00", "note": ""}] }),
    )
    .await;
    assert_eq!(
        (p["rule"].as_str(), p["lead_id"].as_u64()),
        (Some("open_lead"), Some(lead))
    );
    assert_eq!(p["assigned_id"], json!(9));
    assert_eq!(rig.portal.leads().len(), 1);
    assert_eq!(rig.portal.leads()[0]["ASSIGNED_BY_ID"], "9", "untouched");
    assert_eq!(todos(&rig.portal)[0]["RESPONSIBLE_ID"], "9");
}

#[tokio::test]
async fn row_1_a_contact_with_an_open_deal_gets_the_call_on_it() {
    let rig = rig(CrmAuth::Oauth).await;
    let contact = rig
        .portal
        .seed_contact(json!({"NAME": "Иван", "ASSIGNED_BY_ID": 7,
        "PHONE": [{"VALUE": "+7 (916) 000-10-04"}]}));
    let deal = rig
        .portal
        .seed_deal(json!({"TITLE": "Поставка", "CONTACT_IDS": [contact]}));
    let p = call(
        &rig,
        "d-1",
        "+79160001004",
        json!({ "slots": { "email": {"value": "ivan@example.ru", "confidence": 0.9, "utterance": "…"} } }),
    )
    .await;
    assert_eq!(
        (p["rule"].as_str(), p["deal_id"].as_u64()),
        (Some("open_deal"), Some(deal))
    );
    assert_eq!(rig.portal.deals().len(), 1, "no new deal");
    assert!(rig.portal.leads().is_empty());
    let comment = &rig.portal.comments()[0];
    assert_eq!(
        (
            comment["ENTITY_TYPE"].as_str(),
            comment["ENTITY_ID"].as_str()
        ),
        (Some("deal"), Some(deal.to_string().as_str()))
    );
    // The call history takes no deal: registered on the contact, bound to the deal.
    let history = &rig.portal.calls()[0];
    assert_eq!(
        (
            history["CRM_ENTITY_TYPE"].as_str(),
            history["CRM_ENTITY_ID"].as_u64()
        ),
        (Some("CONTACT"), Some(contact))
    );
    let activity = rig
        .portal
        .activities()
        .into_iter()
        .find(|a| a["PROVIDER_ID"] == "VOXIMPLANT_CALL")
        .unwrap();
    assert!(
        activity["BINDINGS"]
            .as_array()
            .unwrap()
            .contains(&json!({"entityTypeId": 2, "entityId": deal}))
    );
    assert!(
        rig.portal.contacts()[0]["EMAIL"]
            .to_string()
            .contains("ivan@example.ru"),
        "the known contact got the e-mail it lacked"
    );
}

#[tokio::test]
async fn row_3_a_known_contact_without_an_open_deal_gets_a_deal_for_their_manager() {
    let rig = rig(CrmAuth::Oauth).await;
    let contact = rig
        .portal
        .seed_contact(json!({"NAME": "Пётр", "ASSIGNED_BY_ID": 7,
        "PHONE": [{"VALUE": "89160001005"}]}));
    rig.portal
        .seed_deal(json!({"TITLE": "Прошлогодняя", "CONTACT_IDS": [contact], "STAGE_ID": "WON"}));
    let p = call(&rig, "k-1", "+79160001005", json!({})).await;
    assert_eq!(p["rule"], "new_deal_on_contact");
    let deals = ours(rig.portal.deals());
    assert_eq!(deals.len(), 1);
    assert_eq!(deals[0]["CONTACT_ID"], contact.to_string());
    assert_eq!(deals[0]["ASSIGNED_BY_ID"], "7", "the contact's own manager");
    assert_eq!(deals[0]["CATEGORY_ID"], rig.category.to_string());
    assert_eq!(deals[0]["UF_CRM_BUDGET"], "700000|RUB");
    assert!(rig.portal.leads().is_empty());
    // Its next call goes onto that deal.
    let p = call(&rig, "k-2", "+79160001005", json!({})).await;
    assert_eq!(p["rule"], "open_deal");
    assert_eq!(ours(rig.portal.deals()).len(), 1);
}

#[tokio::test]
async fn routing_a_dismissed_manager_hands_over_to_the_rotation_in_turn_then_the_default() {
    let rig = rig_with(CrmAuth::Oauth, fast_portal(), |crm, portal| {
        crm.rotation = vec![11, 12, 13];
        portal.set_user_active(7, false);
        portal.set_user_active(12, false);
    })
    .await;
    for (i, number) in ["+79160001006", "+79160001007", "+79160001008"]
        .iter()
        .enumerate()
    {
        rig.portal
            .seed_contact(json!({"NAME": format!("Клиент {i}"), "ASSIGNED_BY_ID": 7,
            "PHONE": [{"VALUE": number}]}));
        call(&rig, &format!("m-{i}"), number, json!({})).await;
    }
    let assigned: Vec<String> = ours(rig.portal.deals())
        .iter()
        .map(|d| d["ASSIGNED_BY_ID"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        assigned,
        ["11", "13", "11"],
        "round robin over who still works there"
    );
    // Nobody of the rotation left: the default user.
    rig.portal.set_user_active(11, false);
    rig.portal.set_user_active(13, false);
    rig.portal
        .seed_contact(json!({"NAME": "Последний", "ASSIGNED_BY_ID": 7,
        "PHONE": [{"VALUE": "+79160001009"}]}));
    let p = call(&rig, "m-9", "+79160001009", json!({})).await;
    assert_eq!(p["assigned_id"], json!(1));
}

#[tokio::test]
async fn row_1_a_company_with_an_open_deal_gets_the_call_on_it() {
    let rig = rig(CrmAuth::Oauth).await;
    let company = rig
        .portal
        .seed_company(json!({"TITLE": "ООО Ромашка", "PHONE": [{"VALUE": "+79160001010"}]}));
    let deal = rig
        .portal
        .seed_deal(json!({"TITLE": "Опт", "COMPANY_ID": company}));
    let p = call(&rig, "o-1", "+79160001010", json!({})).await;
    assert_eq!(
        (p["rule"].as_str(), p["deal_id"].as_u64()),
        (Some("open_deal"), Some(deal))
    );
    let history = &rig.portal.calls()[0];
    assert_eq!(
        (
            history["CRM_ENTITY_TYPE"].as_str(),
            history["CRM_ENTITY_ID"].as_u64()
        ),
        (Some("COMPANY"), Some(company))
    );
}

#[tokio::test]
async fn row_4_a_known_company_without_an_open_deal_gets_a_deal() {
    let rig = rig(CrmAuth::Oauth).await;
    let company = rig
        .portal
        .seed_company(json!({"TITLE": "ООО Лютик", "ASSIGNED_BY_ID": 8,
        "PHONE": [{"VALUE": "8 (916) 000-10-11"}]}));
    let p = call(&rig, "o-2", "+79160001011", json!({})).await;
    assert_eq!(p["rule"], "new_deal_on_company");
    let deals = ours(rig.portal.deals());
    assert_eq!(deals[0]["COMPANY_ID"], company.to_string());
    assert_eq!(deals[0]["ASSIGNED_BY_ID"], "8");
    assert!(rig.portal.leads().is_empty());
}

#[tokio::test]
async fn row_5_a_closed_lead_does_not_take_the_call_a_new_lead_does() {
    let rig = rig(CrmAuth::Oauth).await;
    let junk = rig.portal.seed_lead(
        json!({"TITLE": "Отказ", "STATUS_ID": "JUNK", "PHONE": [{"VALUE": "+79160001012"}]}),
    );
    let p = call(&rig, "j-1", "+79160001012", json!({})).await;
    assert_eq!(p["rule"], "new_lead");
    assert_ne!(p["lead_id"].as_u64(), Some(junk));
    assert_eq!(rig.portal.leads().len(), 2);
}

#[tokio::test]
async fn a_sales_teams_statuses_source_utm_and_reminders_are_applied() {
    let rig = rig_with(CrmAuth::Oauth, fast_portal(), |crm, _| {
        crm.source_id = Some("CALLBACK".into());
        crm.utm = Utm {
            source: Some("voice".into()),
            campaign: Some("осень".into()),
            ..Utm::default()
        };
        crm.reminders = Some(vec![60]);
        crm.outcomes.insert(
            OutcomeKind::Qualified,
            OutcomeStatus {
                lead_status: Some("IN_PROCESS".into()),
                deal_stage: None,
            },
        );
        crm.outcomes.insert(
            OutcomeKind::Callback,
            OutcomeStatus {
                lead_status: None,
                deal_stage: Some(format!("C{}:PREPARATION", crm.deal_category_id.unwrap())),
            },
        );
    })
    .await;
    call(
        &rig,
        "s-1",
        "+79160001013",
        json!({ "callbacks": [{"at": "2026-12-03T11:00:00+03:00", "note": ""}] }),
    )
    .await;
    let lead = &rig.portal.leads()[0];
    assert_eq!(lead["STATUS_ID"], "IN_PROCESS");
    assert_eq!(lead["SOURCE_ID"], "CALLBACK");
    assert_eq!(lead["UTM_SOURCE"], "voice");
    assert_eq!(lead["UTM_CAMPAIGN"], "осень");
    assert_eq!(todos(&rig.portal)[0]["PING_OFFSETS"], json!([60]));
    // Not interested: junk by default.
    call(
        &rig,
        "s-2",
        "+79160001014",
        json!({ "outcome": "do_not_call" }),
    )
    .await;
    let junk = rig
        .portal
        .leads()
        .into_iter()
        .find(|l| l["ORIGIN_ID"] == "s-2")
        .unwrap();
    assert_eq!(junk["STATUS_ID"], "JUNK");
    assert_eq!(junk["STATUS_SEMANTIC_ID"], "F");
    // A known contact asking for a callback: the deal at the mapped stage.
    rig.portal
        .seed_contact(json!({"NAME": "Ника", "PHONE": [{"VALUE": "+79160001015"}]}));
    call(
        &rig,
        "s-3",
        "+79160001015",
        json!({ "outcome": "callback" }),
    )
    .await;
    let deal = &ours(rig.portal.deals())[0];
    assert_eq!(deal["STAGE_ID"], format!("C{}:PREPARATION", rig.category));
}

#[tokio::test]
async fn custom_fields_go_in_their_type_and_one_deleted_later_is_reported() {
    let rig = rig_with(CrmAuth::Oauth, fast_portal(), |crm, portal| {
        portal.add_user_field(
            Entity::Lead,
            "UF_CRM_NEED",
            UserFieldType::Enumeration,
            false,
            &["Доставка", "Учёт на складе"],
        );
        portal.add_user_field(
            Entity::Deal,
            "UF_CRM_NEED",
            UserFieldType::Enumeration,
            false,
            &["Учёт на складе"],
        );
        portal.add_user_field(
            Entity::Lead,
            "UF_CRM_SCORE",
            UserFieldType::Integer,
            false,
            &[],
        );
        portal.add_user_field(
            Entity::Deal,
            "UF_CRM_SCORE",
            UserFieldType::Integer,
            false,
            &[],
        );
        crm.fields.insert("need".into(), "UF_CRM_NEED".into());
        crm.fields.insert("score".into(), "UF_CRM_SCORE".into());
    })
    .await;
    let p = call(&rig, "u-1", "+79160001016", json!({})).await;
    assert!(p["field_problems"].is_null(), "{p:#}");
    let lead = &rig.portal.leads()[0];
    let option = rig.portal.user_field_options(Entity::Lead, "UF_CRM_NEED")[1].0;
    assert_eq!(lead["UF_CRM_NEED"], option.to_string(), "the option's ID");
    assert_eq!(lead["UF_CRM_SCORE"], "85");
    assert_eq!(lead["UF_CRM_BUDGET"], "700000|RUB");

    // An administrator deletes a field the mapping names: the next call says so in its
    // outbox entry and in the tenant's CRM status — the value stays in the comments.
    rig.portal.remove_user_field(Entity::Lead, "UF_CRM_SCORE");
    let p = call(&rig, "u-2", "+79160001017", json!({})).await;
    assert_eq!(p["field_problems"][0]["field"], "UF_CRM_SCORE", "{p:#}");
    assert_eq!(p["field_problems"][0]["slot"], "score");
    let status = rig.tenants.crm_status("acme").await.unwrap();
    assert_eq!(status.problems.len(), 1, "{status:?}");
    assert_eq!(status.problems[0].setting, "crm.fields.score");
    assert!(status.problems[0].message.contains("UF_CRM_SCORE"));
    let lead = rig
        .portal
        .leads()
        .into_iter()
        .find(|l| l["ORIGIN_ID"] == "u-2")
        .unwrap();
    assert!(lead["COMMENTS"].as_str().unwrap().contains("оценка 85"));
}

#[tokio::test]
async fn row_6_a_new_caller_on_a_simple_crm_portal_gets_a_contact_named_by_the_number_and_a_deal() {
    let rig = rig_with(
        CrmAuth::Webhook,
        PortalConfig {
            simple_crm: true,
            ..fast_portal()
        },
        |_, _| {},
    )
    .await;
    record_call(
        &rig.store,
        "s-1",
        "+79160000008",
        json!({ "slots": { "name": null } }),
    )
    .await;
    drain(&rig.outbox, &rig.store).await;
    assert!(rig.portal.leads().is_empty(), "{:#?}", rig.portal.leads());
    let deals = rig.portal.deals();
    assert_eq!(deals.len(), 1);
    let contacts = rig.portal.contacts();
    assert_eq!(contacts.len(), 1);
    assert_eq!(
        contacts[0]["NAME"], "+79160000008",
        "no «Клиент» placeholder"
    );
    assert!(
        deals[0]["CONTACT_IDS"]
            .to_string()
            .contains(contacts[0]["ID"].as_str().unwrap())
    );
    assert_eq!(deals[0]["ORIGIN_ID"], "s-1");
    // The same caller again: the deal is open, the call goes onto it.
    record_call(&rig.store, "s-2", "+79160000008", json!({})).await;
    drain(&rig.outbox, &rig.store).await;
    assert_eq!(rig.portal.deals().len(), 1);
    assert_eq!(rig.portal.contacts().len(), 1);
    assert_eq!(
        crm_result(&rig.store, "s-2").await["progress"]["rule"],
        "open_deal"
    );
}
