//! `batch`: substitution, halt, the 50-command cap, nesting.

mod common;

use common::{enc, get, json, start};
use serde_json::json;

#[tokio::test]
async fn batch_substitutes_earlier_results() {
    let p = start().await;
    let hook = p.webhook_url();
    // A raw body: the commands run in the order they are sent (serde_json's `json!` would sort them).
    let body = format!(
        r#"{{"halt": 0, "cmd": {{
            "lead": "crm.lead.add?fields[TITLE]=First&fields[PHONE][0][VALUE]={}",
            "get": "crm.lead.get?id=$result[lead]",
            "copy": "crm.contact.add?fields[NAME]=$result[get][TITLE]&fields[PHONE][0][VALUE]=$result[get][PHONE][0][VALUE]",
            "list": "crm.contact.list?select[]=ID",
            "deal": "crm.deal.add?fields[TITLE]=D&fields[CONTACT_IDS][]=$result[list][0][ID]",
            "bad": "crm.lead.get?id=999",
            "nested": "batch?cmd[x]=user.current"
        }}}}"#,
        enc("+79991112233")
    );
    let res = common::client()
        .post(format!("{hook}batch"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("answered");
    let a = common::answer(res).await;
    assert_eq!(a.status, 200, "{a:?}");
    let r = a.result();
    assert_eq!(r["result"]["lead"], json!(1));
    assert_eq!(r["result"]["get"]["TITLE"], "First");
    assert_eq!(r["result"]["copy"], json!(1));
    assert_eq!(r["result_total"]["list"], json!(1));
    assert_eq!(
        r["result_error"]["bad"],
        json!({"error": "", "error_description": "Not found"})
    );
    assert_eq!(
        r["result_error"]["nested"]["error"],
        "ERROR_BATCH_METHOD_NOT_ALLOWED"
    );
    assert!(r["result_time"]["get"]["duration"].is_f64());
    assert_eq!(r["result_next"], json!([]), "empty members are []");
    assert!(a.json["time"].is_object());
    assert_eq!(p.contacts()[0]["NAME"], "First");
    assert_eq!(p.contacts()[0]["PHONE"][0]["VALUE"], "+79991112233");
    assert_eq!(p.deals()[0]["CONTACT_IDS"], json!(["1"]));
}

#[tokio::test]
async fn batch_halts_and_caps_at_fifty() {
    let p = start().await;
    let hook = p.webhook_url();
    let halted = json(&hook, "batch", json!({"halt": 1, "cmd": ["crm.lead.add?fields[TITLE]=a", "crm.lead.get?id=99", "crm.lead.add?fields[TITLE]=c"]})).await;
    let r = halted.result();
    assert_eq!(r["result"], json!([1]), "a list of commands answers lists");
    assert_eq!(r["result_error"]["1"]["error_description"], "Not found");
    assert_eq!(p.leads().len(), 1, "nothing runs after the failure");
    let going = json(
        &hook,
        "batch",
        json!({"halt": false, "cmd": ["crm.lead.get?id=99", "crm.lead.add?fields[TITLE]=c"]}),
    )
    .await;
    assert_eq!(going.result()["result"], json!({"1": 2}));

    let cmd: Vec<String> = (0..51)
        .map(|i| format!("crm.lead.add?fields[TITLE]=n{i}"))
        .collect();
    let capped = json(&hook, "batch", json!({"cmd": cmd})).await;
    assert_eq!(capped.status, 200);
    let r = capped.result();
    assert_eq!(r["result"].as_array().map(Vec::len), Some(50));
    assert_eq!(
        r["result_error"]["50"]["error"],
        "ERROR_BATCH_LENGTH_EXCEEDED"
    );
    assert_eq!(p.leads().len(), 52);

    // The whole batch in a query string: the commands are encoded twice.
    let inner = enc("crm.lead.get?id=1");
    let q = get(
        &hook,
        "batch",
        &format!("cmd[one]={inner}&cmd[two]={}", enc("user.current")),
    )
    .await;
    assert_eq!(q.result()["result"]["one"]["ID"], "1");
    assert_eq!(q.result()["result"]["two"]["ID"], "1");
    assert_eq!(q.result()["result_error"], json!([]));
    let empty = json(&hook, "batch", json!({})).await;
    assert_eq!(empty.result()["result"], json!([]));
}
