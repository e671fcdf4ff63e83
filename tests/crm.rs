//! The whole lifecycle on the local stack: a Russian call over HTTP as VoxEngine plays
//! it, its end report, the outbox, the CRM step, and the lead in the Bitrix24 sandbox
//! portal the demo tenant is connected to — and the caller's next call on that lead.

use serde_json::Value;
use sva_admin::SettingsChange;
use sva_portal::{Entity, UserFieldType};
use sva_tenants::CrmSecrets;
use sva_tests::Stack;

async fn drain(stack: &Stack) {
    for _ in 0..20 {
        stack.stack.outbox().sweep().await.expect("the sweep runs");
        if stack
            .stack
            .store()
            .list("outbox/crm/")
            .await
            .unwrap()
            .is_empty()
        {
            return;
        }
    }
    panic!("the outbox did not drain");
}

#[tokio::test]
async fn a_qualified_call_becomes_a_lead_and_the_callers_next_call_goes_onto_it() {
    let stack = Stack::start().await;
    let mut call = stack.call().await;
    for line in sva_caller::QUALIFICATION {
        call.say(line).await.unwrap();
    }
    let first = call.id().to_owned();
    let first_record = call.hang_up("hangup").await.unwrap().record;
    drain(&stack).await;

    let portal = stack.stack.portal();
    let leads = portal.leads();
    assert_eq!(leads.len(), 1, "{leads:#?}");
    let lead = &leads[0];
    assert_eq!(lead["ORIGIN_ID"], first.as_str());
    assert_eq!(lead["NAME"], "Ольга");
    assert_eq!(lead["SOURCE_ID"], "CALL");
    assert_eq!(lead["CURRENCY_ID"], "RUB");
    assert!(
        lead["OPPORTUNITY"].as_str().unwrap().starts_with("1500000"),
        "{lead}"
    );
    assert!(lead["PHONE"].to_string().contains("+79161234567"), "{lead}");
    let comments = portal.comments();
    assert_eq!(comments.len(), 1);
    assert!(
        comments[0]["COMMENT"]
            .as_str()
            .unwrap()
            .contains("где-то полтора миллиона рублей")
    );
    let calls = portal.calls();
    assert_eq!(
        calls.len(),
        1,
        "the demo tenant's OAuth app writes the call history"
    );
    let result = stack.read(&first_record.replacen("calls/", "crm/", 1));
    assert_eq!(result["progress"]["contact_known"], false);
    assert_eq!(result["progress"]["rule"], "new_lead");
    assert!(portal.contacts().is_empty(), "a new caller is a lead alone");

    // The same number calls again and asks to be called back: the lead is still open,
    // so the call goes onto it — not a second lead, not a deal — with a to-do.
    let mut call = stack.call().await;
    call.say("сейчас неудобно перезвоните завтра в десять утра")
        .await
        .unwrap();
    let second = call.id().to_owned();
    let second_record = call.hang_up("hangup").await.unwrap().record;
    drain(&stack).await;

    let dead = sva_crm::outbox::dead_letters(stack.stack.store(), "demo")
        .await
        .unwrap();
    assert!(dead.is_empty(), "{dead:#?}");
    let outcome = stack.read(&second_record.replacen("calls/", "crm/", 1));
    assert_eq!(portal.leads().len(), 1, "no second lead: {outcome:#}");
    assert!(portal.deals().is_empty(), "{outcome:#}");
    assert_eq!(outcome["progress"]["rule"], "open_lead");
    assert_eq!(
        outcome["progress"]["lead_id"].to_string(),
        lead["ID"].as_str().unwrap()
    );
    let comments = portal.comments();
    assert_eq!(comments.len(), 2);
    assert!(comments.iter().all(|c| c["ENTITY_ID"] == lead["ID"]));
    assert!(comments[1]["COMMENT"].as_str().unwrap().contains(&second));
    assert_eq!(portal.calls().len(), 2);
    let todos: Vec<Value> = portal
        .activities()
        .into_iter()
        .filter(|a| a["PROVIDER_ID"] == "CRM_TODO")
        .collect();
    assert_eq!(todos.len(), 1, "{outcome:#}");
    assert!(todos[0].to_string().contains("10:00:00"), "{}", todos[0]);
    assert_eq!(todos[0]["OWNER_ID"], lead["ID"]);
    assert!(
        stack
            .stack
            .store()
            .list("outbox/")
            .await
            .unwrap()
            .is_empty()
    );

    // The report counts the calls that reached the CRM, by the records' day.
    let day = first_record.split('/').nth(2).unwrap().to_owned();
    let mut report = sva_costs::report::Report::new();
    let scope = sva_costs::scan::Scope {
        tenants: vec!["demo".into()],
        from: day.clone(),
        to: day,
    };
    sva_costs::scan::scan(stack.stack.store(), &scope, &mut report, |_, _| {})
        .await
        .unwrap();
    assert_eq!(report.total.calls, 2);
    assert_eq!(report.total.in_crm, 2);
    assert!(sva_costs::render::table(&report, "", "").contains("В CRM записано звонков: 2."));
    assert!(sva_costs::render::html(&report, "", "").contains("записано в CRM"));
}

#[tokio::test]
async fn a_customer_the_crm_knows_is_greeted_by_name() {
    let stack = Stack::start().await;
    stack.stack.portal().seed_contact(serde_json::json!({
        "NAME": "Марина",
        "ASSIGNED_BY_ID": 5,
        "PHONE": [{"VALUE": "+7 (916) 123-45-67", "VALUE_TYPE": "MOBILE"}],
    }));
    let call = stack.call().await;
    assert!(call.heard().contains("Марина"), "{}", call.heard());
}

#[tokio::test]
async fn the_portal_administrator_installs_the_application_and_the_mapping_is_checked() {
    let stack = Stack::start_uncached().await;
    let admin = stack.admin();
    let portal = stack.stack.portal();
    // A mapping to a field the portal lacks is refused, naming it.
    let mut crm = admin.tenant("demo").await.unwrap().settings.crm.unwrap();
    crm.fields.insert("budget".into(), "UF_CRM_BUDGET".into());
    let change = SettingsChange {
        crm: Some(Some(crm)),
        ..SettingsChange::default()
    };
    let refused = admin.change_settings("demo", &change).await.unwrap_err();
    assert_eq!(refused.status(), Some(422));
    assert_eq!(refused.code(), Some("crm_mismatch"));
    assert!(refused.to_string().contains("UF_CRM_BUDGET"), "{refused}");
    // The administrator adds the field: the same change is accepted, and says when it
    // was checked.
    for entity in [Entity::Lead, Entity::Deal] {
        portal.add_user_field(entity, "UF_CRM_BUDGET", UserFieldType::Money, false, &[]);
    }
    let view = admin.change_settings("demo", &change).await.unwrap();
    assert!(view.crm_status.unwrap().checked_at.is_some());

    // `sva crm install` issues an install key; the portal posts the install to the
    // stack's CRM routes, which store the tokens.
    let key = "0123456789abcdef";
    admin
        .change_settings(
            "demo",
            &SettingsChange {
                crm_secrets: Some(CrmSecrets {
                    install_key: Some(key.into()),
                    ..CrmSecrets::default()
                }),
                ..SettingsChange::default()
            },
        )
        .await
        .unwrap();
    let url = stack.stack.url();
    let (status, page) = portal
        .install_to(&url, &sva_crm::install::install_url(&url, "demo", key))
        .await
        .unwrap();
    assert_eq!(status, 200, "{page}");
    let view = admin.tenant("demo").await.unwrap();
    let install = view.crm_status.unwrap().install.unwrap();
    assert_eq!(install.domain, url.trim_start_matches("http://"));
    assert!(
        view.crm_secrets_set
            .contains(&"application_token".to_owned())
    );
    assert_eq!(
        portal.bound_events(),
        [(
            "ONAPPUNINSTALL".to_owned(),
            format!("{url}/v1/crm/events/demo")
        )]
    );

    // Calls flow with the installed tokens; the budget lands in its field.
    let mut call = stack.call().await;
    for line in sva_caller::QUALIFICATION {
        call.say(line).await.unwrap();
    }
    call.hang_up("hangup").await.unwrap();
    drain(&stack).await;
    let leads = portal.leads();
    assert_eq!(leads.len(), 1);
    assert_eq!(leads[0]["UF_CRM_BUDGET"], "1500000|RUB");
}
