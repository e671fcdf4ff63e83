//! Webhooks, OAuth tokens, and the application-only telephony methods.

mod common;

use common::{app, client, get, json, start};
use serde_json::{Value, json};

#[tokio::test]
async fn webhook_with_a_wrong_code_or_user_is_refused() {
    let p = start().await;
    let url = p.url();
    let code = p.config().webhook_code.clone();
    for base in [
        format!("{url}/rest/1/wrong/"),
        format!("{url}/rest/2/{code}/"),
    ] {
        let a = get(&base, "user.current", "").await;
        assert_eq!(a.status, 401);
        assert_eq!(
            a.json,
            json!({"error": "NO_AUTH_FOUND", "error_description": "Wrong authorization data"})
        );
    }
    let no_auth = get(&format!("{url}/rest/"), "user.current", "").await;
    assert_eq!((no_auth.status, no_auth.error()), (401, "NO_AUTH_FOUND"));
    let bogus = get(&format!("{url}/rest/"), "user.current", "auth=nope").await;
    assert_eq!((bogus.status, bogus.error()), (401, "NO_AUTH_FOUND"));
}

/// `register` and `finish` are for applications only; `attachRecord` and
/// `attachTranscription` have webhook examples in the docs and are not refused (the
/// sandbox used to refuse them too).
#[tokio::test]
async fn register_and_finish_over_a_webhook_are_the_wrong_auth_type() {
    let p = start().await;
    let hook = p.webhook_url();
    for method in [
        "telephony.externalCall.attachRecord",
        "telephony.call.attachTranscription",
    ] {
        let a = json(
            &hook,
            method,
            json!({"CALL_ID": "externalCall.nope", "FILENAME": "a.mp3"}),
        )
        .await;
        assert_eq!(
            (a.status, a.error()),
            (400, "ERROR_CORE"),
            "{method}: {a:?}"
        );
    }
    for method in [
        "telephony.externalCall.register",
        "telephony.externalCall.finish",
        "event.bind",
    ] {
        let a = json(
            &hook,
            method,
            json!({"USER_ID": 1, "PHONE_NUMBER": "+79991234567", "TYPE": 2}),
        )
        .await;
        assert_eq!(a.status, 403, "{method}");
        assert_eq!(a.error(), "WRONG_AUTH_TYPE", "{method}");
    }
    assert!(p.calls().is_empty());
}

async fn refresh(
    p: &sva_portal::RunningPortal,
    refresh_token: &str,
    secret: &str,
) -> common::Answer {
    let c = p.config();
    let res = client()
        .get(format!(
            "{}/oauth/token/?grant_type=refresh_token&client_id={}&client_secret={secret}&refresh_token={refresh_token}",
            p.url(),
            c.client_id
        ))
        .send()
        .await
        .expect("answered");
    common::answer(res).await
}

#[tokio::test]
async fn oauth_tokens_expire_and_refresh_tokens_rotate() {
    let p = start().await;
    let (rest, access, refresh_token) = app(&p);
    let ok = get(&rest, "user.current", &format!("auth={access}")).await;
    assert_eq!(ok.status, 200);
    let in_json = json(
        &rest,
        "crm.lead.add",
        json!({"auth": access, "fields": {"TITLE": "oauth"}}),
    )
    .await;
    assert_eq!(in_json.result(), &json!(1));
    let in_form = common::form(
        &rest,
        "crm.lead.add",
        &format!("auth={access}&fields[TITLE]=form"),
    )
    .await;
    assert_eq!(in_form.result(), &json!(2));

    p.expire_access_tokens();
    let expired = get(&rest, "user.current", &format!("auth={access}")).await;
    assert_eq!(expired.status, 401);
    assert_eq!(
        expired.json,
        json!({"error": "expired_token", "error_description": "The access token provided has expired."})
    );

    let secret = p.config().client_secret.clone();
    let bad_client = refresh(&p, &refresh_token, "wrong-secret").await;
    assert_eq!(
        (bad_client.status, bad_client.error()),
        (401, "invalid_client")
    );
    let fresh = refresh(&p, &refresh_token, &secret).await;
    assert_eq!(fresh.status, 200, "{fresh:?}");
    let new_access = fresh.json["access_token"].as_str().unwrap_or("").to_owned();
    let new_refresh = fresh.json["refresh_token"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    assert_ne!(new_refresh, refresh_token, "a new refresh token every time");
    assert_eq!(fresh.json["expires_in"], json!(3600));
    assert_eq!(
        fresh.json["client_endpoint"],
        json!(format!("{}/rest/", p.url()))
    );
    assert_eq!(fresh.json["user_id"], json!(1));
    assert!(
        fresh.json["expires"]
            .as_i64()
            .is_some_and(|e| e > 1_700_000_000)
    );
    assert!(
        fresh.json["member_id"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );

    let ok = get(&rest, "user.current", &format!("auth={new_access}")).await;
    assert_eq!(ok.status, 200);
    let reused = refresh(&p, &refresh_token, &secret).await;
    assert_eq!(reused.status, 400);
    assert_eq!(
        reused.json,
        json!({"error": "invalid_grant", "error_description": "Invalid refresh token"})
    );

    let form = client()
        .post(format!("{}/oauth/token/", p.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=refresh_token&client_id={}&client_secret={secret}&refresh_token={new_refresh}",
            p.config().client_id
        ))
        .send()
        .await
        .expect("answered");
    assert_eq!(common::answer(form).await.status, 200);

    let code = p.authorization_code();
    let exchanged = client()
        .get(format!(
            "{}/oauth/token/?grant_type=authorization_code&client_id={}&client_secret={secret}&code={code}",
            p.url(),
            p.config().client_id
        ))
        .send()
        .await
        .expect("answered");
    assert_eq!(common::answer(exchanged).await.status, 200);
}

#[tokio::test]
async fn a_call_is_registered_finished_recorded_and_transcribed() {
    let p = start().await;
    let (rest, access, _) = app(&p);
    let contact =
        p.seed_contact(json!({"NAME": "Мария", "PHONE": [{"VALUE": "+7 912 000-11-22"}]}));
    let reg = json(&rest, "telephony.externalCall.register", json!({
        "auth": access, "USER_ID": 1, "PHONE_NUMBER": "89120001122", "TYPE": 2,
        "CALL_START_DATE": "2030-01-01T12:00:00+03:00", "CRM_CREATE": 1, "EXTERNAL_CALL_ID": "vox-1", "LINE_NUMBER": "main"})).await;
    assert_eq!(reg.status, 200, "{reg:?}");
    let r = reg.result();
    let call_id = r["CALL_ID"].as_str().unwrap_or("").to_owned();
    assert!(call_id.starts_with("externalCall."));
    assert_eq!(r["CRM_ENTITY_TYPE"], "CONTACT");
    assert_eq!(r["CRM_ENTITY_ID"], json!(contact));
    assert_eq!(r["CRM_CREATED_LEAD"], Value::Null);
    assert_eq!(r["CRM_CREATED_ENTITIES"], json!([]));
    let again = json(&rest, "telephony.externalCall.register", json!({
        "auth": access, "USER_ID": 1, "PHONE_NUMBER": "89120001122", "TYPE": 2, "EXTERNAL_CALL_ID": "vox-1", "LINE_NUMBER": "main"})).await;
    assert_eq!(
        again.result()["CALL_ID"],
        json!(call_id),
        "re-registering returns the same call"
    );

    let early = json(
        &rest,
        "telephony.call.attachTranscription",
        json!({"auth": access, "CALL_ID": call_id,
        "MESSAGES": [{"SIDE": "User", "START_TIME": 0, "STOP_TIME": 2, "MESSAGE": "Алло"}]}),
    )
    .await;
    assert_eq!(
        (early.status, early.error()),
        (400, "ERROR_CORE"),
        "the call must be finished first"
    );

    let unknown = json(
        &rest,
        "telephony.externalCall.finish",
        json!({"auth": access, "CALL_ID": "externalCall.nope", "USER_ID": 1}),
    )
    .await;
    assert_eq!(
        unknown.json,
        json!({"error": "ERROR_CORE", "error_description": "Call is not found (call should be registered prior to finishing)"})
    );
    let fin = json(
        &rest,
        "telephony.externalCall.finish",
        json!({"auth": access, "CALL_ID": call_id, "USER_ID": 1, "DURATION": 95}),
    )
    .await;
    assert_eq!(fin.status, 200, "{fin:?}");
    let f = fin.result().clone();
    assert_eq!(f["CALL_STATUS"], json!(1));
    assert_eq!(f["CALL_FAILED_CODE"], "200");
    assert_eq!(f["CALL_DURATION"], json!(95));
    assert_eq!(f["CRM_ENTITY_TYPE"], "CONTACT");
    let activity = f["CRM_ACTIVITY_ID"].as_u64().unwrap_or(0);
    assert!(activity > 0);
    // A finished call is not active any more: finishing it again is refused as a live
    // portal refuses it (b24-rest-docs #175). The sandbox used to answer the stored result.
    let twice = json(
        &rest,
        "telephony.externalCall.finish",
        json!({"auth": access, "CALL_ID": call_id, "USER_ID": 1, "DURATION": 5}),
    )
    .await;
    assert_eq!(
        twice.json,
        json!({"error": "", "error_description": "Call is not found (call should be registered prior to finishing"})
    );

    let acts = json(&rest, "crm.activity.list", json!({"auth": access, "filter": {"OWNER_TYPE_ID": 3, "OWNER_ID": contact, "TYPE_ID": 2}, "select": ["*", "COMMUNICATIONS"]})).await;
    assert_eq!(acts.json["total"], json!(1));
    let a = &acts.result()[0];
    assert_eq!(a["ID"], json!(activity.to_string()));
    assert_eq!(a["PROVIDER_ID"], "VOXIMPLANT_CALL");
    assert_eq!(a["DIRECTION"], "1");
    assert_eq!(a["COMMUNICATIONS"][0]["VALUE"], "89120001122");
    assert_eq!(a["END_TIME"], "2030-01-01T12:01:35+03:00");

    let rec = json(&rest, "telephony.externalCall.attachRecord", json!({"auth": access, "CALL_ID": call_id, "FILENAME": "call.mp3", "FILE_CONTENT": "SUQzBAAAAAAAI1RTU0UAAAAPAAADTGF2ZjU4Ljc2LjEwMAAAAAAAAAAAAAAA"})).await;
    assert_eq!(rec.status, 200, "{rec:?}");
    assert!(rec.result()["FILE_ID"].as_u64().is_some());
    // By URL the portal downloads the file; what it cannot download is refused.
    let records = records_server().await;
    let record_url = format!("{records}/1.mp3");
    let url = json(
        &rest,
        "telephony.externalCall.attachRecord",
        json!({"auth": access, "CALL_ID": call_id, "RECORD_URL": record_url}),
    )
    .await;
    assert_eq!(url.status, 200, "{url:?}");
    assert!(url.result()["FILE_ID"].as_u64().is_some(), "{url:?}");
    for (body, why) in [
        (
            json!({"auth": access, "CALL_ID": call_id, "RECORD_URL": format!("{records}/gone.mp3")}),
            "Server returns HTTP error code 404",
        ),
        (
            json!({"auth": access, "CALL_ID": call_id, "RECORD_URL": format!("{records}/record?id=1")}),
            "Wrong file extension. Only wav and mp3 are allowed",
        ),
        (
            json!({"auth": access, "CALL_ID": call_id}),
            "Required parameters are not set. Request should contain or URL or FILENAME parameter",
        ),
        (
            json!({"auth": access, "CALL_ID": "externalCall.nope", "FILENAME": "a.mp3"}),
            "Call is not found in the statistic table. Looks like it is not finished yet.",
        ),
    ] {
        let a = json(&rest, "telephony.externalCall.attachRecord", body).await;
        assert_eq!(
            a.json,
            json!({"error": "ERROR_CORE", "error_description": why})
        );
    }
    let tr = json(
        &rest,
        "telephony.call.attachTranscription",
        json!({"auth": access, "CALL_ID": call_id, "MESSAGES": [
        {"SIDE": "User", "START_TIME": 0, "STOP_TIME": 2, "MESSAGE": "Здравствуйте!"},
        {"SIDE": "Client", "START_TIME": 2, "STOP_TIME": 4, "MESSAGE": "Добрый день"}]}),
    )
    .await;
    assert_eq!(tr.result(), &json!({"TRANSCRIPT_ID": 1}));
    let bad = json(&rest, "telephony.call.attachTranscription", json!({"auth": access, "CALL_ID": call_id, "MESSAGES": [{"SIDE": "Bot", "START_TIME": 0, "STOP_TIME": 2}]})).await;
    assert_eq!(
        bad.json,
        json!({"error": "ERROR_CORE", "error_description": "MESSAGES[0][SIDE] should be either Client or User"})
    );

    let calls = p.calls();
    assert_eq!(calls.len(), 1);
    let c = &calls[0];
    assert_eq!(c["FINISH"]["CALL_RECORD_URL"], record_url);
    assert_eq!(c["TRANSCRIPTS"][0]["MESSAGES"][1]["MESSAGE"], "Добрый день");
    assert_eq!(c["EXTERNAL_CALL_ID"], "vox-1");

    let created = json(&rest, "telephony.externalCall.register", json!({
        "auth": access, "USER_ID": 1, "PHONE_NUMBER": "+49 170 1234567", "TYPE": 1, "CRM_CREATE": "1"})).await;
    assert_eq!(created.result()["CRM_ENTITY_TYPE"], "LEAD");
    assert_eq!(created.result()["CRM_CREATED_LEAD"], json!(1));
    assert_eq!(
        created.result()["CRM_CREATED_ENTITIES"],
        json!([{"ENTITY_TYPE": "LEAD", "ENTITY_ID": 1}])
    );
    assert_eq!(p.leads()[0]["PHONE"][0]["VALUE"], "+49 170 1234567");
    for (body, why) in [
        (
            json!({"auth": access, "USER_ID": 1, "PHONE_NUMBER": "+7999", "TYPE": 9}),
            "Unknown TYPE",
        ),
        (
            json!({"auth": access, "PHONE_NUMBER": "+7999", "TYPE": 1}),
            "USER_ID or USER_PHONE_INNER should be set",
        ),
        (
            json!({"auth": access, "USER_ID": 420, "PHONE_NUMBER": "+7999", "TYPE": 1}),
            "User is not found or is not active",
        ),
        (
            json!({"auth": access, "USER_ID": 7, "PHONE_NUMBER": "+7999", "TYPE": 1}),
            "User is not found or is not active",
        ),
    ] {
        p.set_user_active(7, false);
        let a = json(&rest, "telephony.externalCall.register", body).await;
        assert_eq!(
            a.json,
            json!({"error": "ERROR_CORE", "error_description": why})
        );
    }
}

/// A server with recordings: `/1.mp3` is there, anything else is 404.
async fn records_server() -> String {
    use axum::routing::get;
    let app = axum::Router::new().route("/1.mp3", get(|| async { vec![0u8; 512] }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}
