//! An outbound campaign end to end on the local stack: built from a contact file through
//! the admin API (a number on the do-not-call list and a row without consent refused),
//! the pre-dial check as VoxEngine asks it, a call whose scenario hears the contact's
//! name, request and consent source from the campaign, the callee's "не звоните мне
//! больше" putting the number on the list and closing the contact, and the report by
//! campaign.

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
        hours: Some("00:00-23:59".into()),
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
    // The local stack has no Voximplant: built and kept, nothing called.
    assert_eq!(summary["state"]["run"], "built");
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

    // The pre-dial check: a built campaign is not running, so no call is placed.
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
    assert_eq!(answer["dial"], false);
    assert_eq!(answer["reason"], "stopped");
    // A listed number is refused before anything else.
    let (_, answer) = stack
        .post_signed("/v1/outbound/dial", dial("r3", "+79037654321"))
        .await;
    assert_eq!(answer["reason"], "do_not_call");

    // The call (as the platform would place it): the opening names the contact and the
    // request; «откуда у вас мой номер?» is answered with the consent's source.
    let mut call = stack
        .phone()
        .dial(outbound("vox-1", "+79161234567", row("r2", "79161234567")))
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
