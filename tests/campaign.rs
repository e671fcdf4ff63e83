//! An outbound campaign end to end on the local stack: built from a contact file through
//! the admin API (a number on the do-not-call list and a row without consent refused),
//! the pre-dial check as VoxEngine asks it, a call whose scenario hears the contact's
//! name, request and consent source from the campaign, the callee's "не звоните мне
//! больше" putting the number on the list and closing the contact, and the report by
//! campaign.
//! And a campaign built from the leads and deals in a stage of the sandbox Bitrix24.

use serde_json::{Value, json};
use sva_abi::{CallContext, Direction};
use sva_admin::NewCampaign;
use sva_admin::NewDoNotCallEntry;
use sva_tests::Stack;

const FILE: &str = "телефон;имя;заявка;согласие;дата согласия\n\
    +7 (916) 123-45-67;Иван;кондиционер для офиса;заявка на сайте technosklad.ru;2026-11-30\n\
    8 903 765 43 21;Анна;терминал;звонок в офис;2026-12-01\n\
    8 916 000 00 01;Пётр;принтер;;2026-11-30\n";

/// The row VoxEngine reads from the call list for contact `contact`.
fn row(contact: &str, phone: &str) -> serde_json::Map<String, Value> {
    let Value::Object(map) = json!({
        "tenant": "demo", "campaign": "autumn", "contact": contact, "vm": "hangup", "phone": phone,
    }) else {
        unreachable!()
    };
    map
}

fn outbound(id: &str, callee: &str, custom_data: serde_json::Map<String, Value>) -> CallContext {
    CallContext {
        id: id.into(),
        direction: Direction::Outbound,
        caller: Some("+74950000000".into()),
        callee: Some(callee.into()),
        custom_data,
    }
}

#[tokio::test]
async fn a_campaign_call_hears_the_contact_and_a_refusal_ends_the_contact() {
    let stack = Stack::start_uncached().await;
    let admin = stack.admin();
    admin
        .add_do_not_call(
            "demo",
            &NewDoNotCallEntry {
                number: "8 903 765-43-21".into(),
                reason: "просил не звонить".into(),
            },
        )
        .await
        .unwrap();
    let settings = NewCampaign {
        id: "autumn".into(),
        name: Some("Осенние заявки".into()),
        // Every hour of every day: the test may run at any time.
        hours: Some("00:00-24:00".into()),
        attempts: Some(4),
        ..NewCampaign::default()
    };
    let summary = admin
        .create_campaign("demo", &settings, FILE.as_bytes().to_vec())
        .await
        .unwrap();
    assert_eq!(summary["rows"], 3);
    assert_eq!(summary["contacts"], 1);
    assert_eq!(summary["refused"]["do_not_call"], 1);
    assert_eq!(summary["refused"]["no_consent"], 1);
    // A call list in the local stack's Voximplant stand-in, with the contact's row.
    assert_eq!(summary["state"]["run"], "running");
    let list = summary["state"]["list"].as_u64().expect("a call list");
    let st = stack.stack.voximplant().state();
    let tasks = &st.call_list(list).expect("the list").tasks;
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].column("phone"), Some("79161234567"));
    assert_eq!(tasks[0].column("contact"), Some("r2"));
    drop(st);
    let bad = admin
        .create_campaign(
            "demo",
            &NewCampaign {
                id: "x".into(),
                attempts: Some(9),
                ..NewCampaign::default()
            },
            FILE.as_bytes().to_vec(),
        )
        .await
        .unwrap_err();
    assert!(bad.to_string().contains("attempts"), "{bad}");

    // The pre-dial check as the script asks it: the contact is dialled (every hour is
    // open); a contact the campaign does not have is not.
    let dial = |contact: &str, callee: &str| {
        serde_json::to_vec(&json!({
            "tenant": "demo",
            "call": {"id": format!("vox-{contact}"), "direction": "outbound", "callee": callee,
                     "custom_data": row(contact, &callee[1..])},
        }))
        .unwrap()
    };
    let (status, answer) = stack
        .post_signed("/v1/outbound/dial", dial("r2", "+79161234567"))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["dial"], true, "{answer}");
    assert_eq!(answer["voicemail"], "hangup");
    // A callback the contact asks for gets the campaign's attempts, not what is left.
    assert_eq!(answer["callback_attempts"], 4, "{answer}");
    // The contact's data, which the script adds to the call's custom data.
    let mut custom_data = row("r2", "79161234567");
    for (key, value) in answer["contact"].as_object().expect("the contact's data") {
        custom_data.entry(key.clone()).or_insert(value.clone());
    }
    let (_, answer) = stack
        .post_signed("/v1/outbound/dial", dial("r9", "+79161234568"))
        .await;
    assert_eq!(answer["reason"], "unknown");
    // A listed number is refused before anything else.
    let (_, answer) = stack
        .post_signed("/v1/outbound/dial", dial("r3", "+79037654321"))
        .await;
    assert_eq!(answer["reason"], "do_not_call");

    // The call (as the platform would place it): the opening names the contact and the
    // request; «откуда у вас мой номер?» is answered with the consent's source.
    let mut call = stack
        .phone()
        .dial(outbound("vox-1", "+79161234567", custom_data))
        .await
        .unwrap();
    let opening = call.heard();
    assert!(opening.contains("Иван"), "{opening}");
    assert!(opening.contains("кондиционер для офиса"), "{opening}");
    assert!(opening.contains("ТехноСклад"), "{opening}");
    call.say("а откуда у вас мой номер").await.unwrap();
    assert!(call.heard().contains("technosklad.ru"), "{}", call.heard());
    call.say("не звоните мне больше").await.unwrap();
    let ended = call.hang_up("hangup").await.unwrap();
    let record = stack.read(&ended.record);
    assert_eq!(record["qualification"]["outcome"], "do_not_call");

    // The number is on the list; the contact is closed; the campaign counts the call.
    let listed = admin.do_not_call("demo").await.unwrap();
    assert!(listed.iter().any(|e| e.number == "+79161234567"));
    let contacts = admin.campaign("demo", "autumn", true).await.unwrap();
    let ivan = &contacts["contacts"][0];
    assert_eq!(ivan["status"]["status"], "do_not_call");
    assert_eq!(ivan["attempts"], 1);
    assert_eq!(ivan["calls"][0], "vox-1");
    let (_, answer) = stack
        .post_signed("/v1/outbound/dial", dial("r2", "+79161234567"))
        .await;
    assert_eq!(answer["reason"], "do_not_call");
    let today = &record["started_at"].as_str().unwrap()[..10];
    let report = admin.report("demo", today, today).await.unwrap();
    assert_eq!(report["by_campaign"][0]["campaign"], "autumn");
    assert_eq!(report["by_campaign"][0]["metrics"]["calls"], 1);

    // Pause and cancel through the API; a cancelled campaign cannot be resumed.
    let paused = admin
        .change_run("demo", "autumn", sva_admin::RunChange::Pause)
        .await
        .unwrap();
    assert_eq!(paused["state"]["run"], "paused", "{paused}");
    admin
        .change_run("demo", "autumn", sva_admin::RunChange::Cancel)
        .await
        .unwrap();
    let again = admin
        .change_run("demo", "autumn", sva_admin::RunChange::Resume)
        .await
        .unwrap_err();
    assert!(again.to_string().contains("campaign_state"), "{again}");
}

/// A campaign built from the leads in a stage of the sandbox portal the demo tenant is
/// connected to: 50+ leads (more than one page of `crm.lead.list`), a lead without a
/// phone, one whose number is on the do-not-call list, one whose phone is its contact's,
/// a lead in another stage left out; then deals in a stage with their contacts' phones,
/// and a stage the portal does not have.
#[tokio::test]
async fn a_campaign_from_the_leads_in_a_stage_of_bitrix24() {
    let stack = Stack::start_uncached().await;
    let admin = stack.admin();
    let portal = stack.stack.portal();
    admin
        .add_do_not_call(
            "demo",
            &NewDoNotCallEntry {
                number: "+79037654321".into(),
                reason: "просил не звонить".into(),
            },
        )
        .await
        .unwrap();
    let phone = |n: &str| json!([{"VALUE": n, "VALUE_TYPE": "WORK"}]);
    let first = portal.seed_lead(json!({
        "TITLE": "Кондиционер в офис", "NAME": "Ольга", "LAST_NAME": "Смирнова",
        "STATUS_ID": "IN_PROCESS", "SOURCE_ID": "WEB", "PHONE": phone("8 (916) 555-12-34"),
    }));
    let no_phone = portal.seed_lead(json!({
        "TITLE": "Без телефона", "NAME": "Пётр", "STATUS_ID": "IN_PROCESS",
    }));
    let listed = portal.seed_lead(json!({
        "TITLE": "Терминал", "NAME": "Анна", "STATUS_ID": "IN_PROCESS",
        "PHONE": phone("8 903 765-43-21"),
    }));
    let contact = portal.seed_contact(json!({
        "NAME": "Игорь", "LAST_NAME": "Петров", "PHONE": phone("+7 912 000-11-22"),
    }));
    let through_contact = portal.seed_lead(json!({
        "TITLE": "Склад", "STATUS_ID": "IN_PROCESS", "CONTACT_ID": contact,
    }));
    portal.seed_lead(json!({
        "TITLE": "Другая стадия", "NAME": "Вера", "STATUS_ID": "NEW",
        "PHONE": phone("+7 913 000-00-00"),
    }));
    for i in 0..50 {
        portal.seed_lead(json!({
            "TITLE": format!("Заявка {i}"), "STATUS_ID": "IN_PROCESS",
            "PHONE": phone(&format!("+7 917 100-{:02}-{:02}", i / 10, i % 10)),
        }));
    }
    let settings = NewCampaign {
        id: "bitrix-leads".into(),
        hours: Some("00:00-24:00".into()),
        ..NewCampaign::default()
    };
    let selection = sva_admin::CrmSelectionQuery {
        entity: "lead".into(),
        stage: "IN_PROCESS".into(),
        category: None,
    };
    let summary = admin
        .create_campaign_from_crm("demo", &settings, &selection)
        .await
        .unwrap();
    assert_eq!(summary["rows"], 54, "{summary}");
    assert_eq!(summary["contacts"], 52, "{summary}");
    assert_eq!(summary["refused"]["invalid_number"], 1, "{summary}");
    assert_eq!(summary["refused"]["do_not_call"], 1, "{summary}");

    let view = admin.campaign("demo", "bitrix-leads", true).await.unwrap();
    let refusals = view["refusals"].as_array().unwrap();
    let reason = |code: &str| {
        refusals
            .iter()
            .find(|r| r["code"] == code)
            .map(|r| r["reason"].as_str().unwrap().to_owned())
            .unwrap()
    };
    assert!(
        reason("invalid_number").starts_with(&format!("лид №{no_phone}: ")),
        "{refusals:?}"
    );
    assert!(
        reason("do_not_call").starts_with(&format!("лид №{listed}: ")),
        "{refusals:?}"
    );
    let plan = stack.read("campaigns/demo/bitrix-leads/plan.json");
    let contacts = plan["contacts"].as_array().unwrap();
    let by_id = |id: u64| {
        contacts
            .iter()
            .map(|c| &c["contact"])
            .find(|c| c["variables"]["crm_id"] == id.to_string().as_str())
            .unwrap_or_else(|| panic!("no contact for lead {id}"))
    };
    let olga = by_id(first);
    assert_eq!(olga["phone"], "+79165551234");
    assert_eq!(olga["contact_name"], "Ольга Смирнова");
    assert_eq!(olga["request"], "Кондиционер в офис");
    assert_eq!(olga["variables"]["crm_entity"], "lead");
    assert_eq!(
        olga["consent"]["source"],
        format!("заявка в CRM: лид №{first} (источник: Веб-сайт)").as_str()
    );
    let created = portal
        .leads()
        .into_iter()
        .find(|l| l["ID"] == first.to_string().as_str())
        .unwrap()["DATE_CREATE"]
        .as_str()
        .unwrap()[..10]
        .to_owned();
    assert_eq!(olga["consent"]["date"], created.as_str());
    let igor = by_id(through_contact);
    assert_eq!(igor["phone"], "+79120001122");
    assert_eq!(igor["contact_name"], "Игорь Петров");

    // Deals: the phone and the name are the deal's contact's; a deal of a company only
    // is called at the company's number.
    let deal = portal.seed_deal(json!({
        "TITLE": "Поставка стеллажей", "STAGE_ID": "PREPARATION", "CATEGORY_ID": 0,
        "CONTACT_ID": contact, "SOURCE_ID": "CALL",
    }));
    let company = portal.seed_company(json!({
        "TITLE": "ООО Ромашка", "PHONE": phone("+7 495 123-45-67"),
    }));
    let company_deal = portal.seed_deal(json!({
        "TITLE": "Стеллажи для Ромашки", "STAGE_ID": "PREPARATION", "CATEGORY_ID": 0,
        "COMPANY_ID": company,
    }));
    let summary = admin
        .create_campaign_from_crm(
            "demo",
            &NewCampaign {
                id: "bitrix-deals".into(),
                ..settings.clone()
            },
            &sva_admin::CrmSelectionQuery {
                entity: "deal".into(),
                stage: "PREPARATION".into(),
                category: Some(0),
            },
        )
        .await
        .unwrap();
    assert_eq!(summary["contacts"], 2, "{summary}");
    let plan = stack.read("campaigns/demo/bitrix-deals/plan.json");
    let only = &plan["contacts"][0]["contact"];
    assert_eq!(only["phone"], "+79120001122");
    assert_eq!(only["request"], "Поставка стеллажей");
    assert_eq!(only["variables"]["crm_entity"], "deal");
    assert!(
        only["consent"]["source"]
            .as_str()
            .unwrap()
            .starts_with(&format!("заявка в CRM: сделка №{deal} (источник: ")),
        "{only}"
    );
    let of_company = &plan["contacts"][1]["contact"];
    assert_eq!(
        of_company["variables"]["crm_id"],
        company_deal.to_string().as_str()
    );
    assert_eq!(of_company["phone"], "+74951234567");

    // A stage the portal does not have is refused, and nothing is kept.
    let err = admin
        .create_campaign_from_crm(
            "demo",
            &NewCampaign {
                id: "bitrix-typo".into(),
                ..settings.clone()
            },
            &sva_admin::CrmSelectionQuery {
                entity: "lead".into(),
                stage: "IN_PROCES".into(),
                category: None,
            },
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("crm_no_such_stage"), "{err}");
    assert!(admin.campaign("demo", "bitrix-typo", false).await.is_err());
}
