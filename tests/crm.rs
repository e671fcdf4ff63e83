//! The whole lifecycle on the local stack: a Russian call over HTTP as VoxEngine plays
//! it, its end report, the outbox, the CRM step, and the lead — then the deal — in the
//! Bitrix24 sandbox portal the demo tenant is connected to.

use serde_json::Value;
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
async fn a_qualified_call_becomes_a_lead_and_the_callers_next_call_a_deal() {
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

    // The same number calls again and asks to be called back: a known contact now,
    // so a deal on it — not a second lead — and a to-do for the manager.
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
    let deals = portal.deals();
    assert_eq!(deals.len(), 1, "{outcome:#}");
    assert_eq!(deals[0]["ORIGIN_ID"], second.as_str());
    assert!(
        deals[0]["CONTACT_IDS"]
            .to_string()
            .contains(&lead["CONTACT_ID"].as_str().unwrap().to_string())
    );
    let todos: Vec<Value> = portal
        .activities()
        .into_iter()
        .filter(|a| a["PROVIDER_ID"] == "CRM_TODO")
        .collect();
    assert_eq!(todos.len(), 1, "{outcome:#}");
    assert!(todos[0].to_string().contains("10:00:00"), "{}", todos[0]);
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
