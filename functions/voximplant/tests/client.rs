//! The client against the stand-in: key files, tokens, the error envelope, and the
//! stand-in's own strictness (it must refuse what the platform documents it refuses).

use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sva_voximplant::standin::{StandIn, TEST_ACCOUNT_ID, TestKey};
use sva_voximplant::{Client, ClientConfig, Error, Params, Secret, ServiceAccountKey};

fn key_file(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f
}

async fn setup() -> (StandIn, Client) {
    let standin = StandIn::start().await.unwrap();
    let file = key_file(&TestKey::primary().key_file_json());
    let client = Client::from_key_file(file.path(), &standin.client_config()).unwrap();
    (standin, client)
}

fn api_code(e: &Error) -> i64 {
    e.api_code()
        .unwrap_or_else(|| panic!("not an API error: {e:?}"))
}

#[tokio::test]
async fn a_client_from_the_key_file_works() {
    let (standin, client) = setup().await;
    assert_eq!(client.account_id(), TEST_ACCOUNT_ID);
    let added = client.add_application("sva-one").await.unwrap();
    assert_eq!(added.application_name, "sva-one.sva-test.voximplant.com");
    let found = client.find_applications("sva-one").await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].application_id, added.application_id);
    // The PKCS#1 form of a private key is read too.
    let standin2 = StandIn::start_with_keys(&[TestKey::other()]).await.unwrap();
    let other = Client::new(
        &TestKey::other().service_account_key(),
        &standin2.client_config(),
    )
    .unwrap();
    other.add_application("sva-two").await.unwrap();
    drop(standin);
}

#[test]
fn bad_key_files_are_typed_errors_that_never_quote_the_key() {
    let pem = TestKey::primary().private_pem;
    let cases = [
        "not json".to_owned(),
        "[]".to_owned(),
        serde_json::json!({"key_id": "k", "private_key": pem}).to_string(),
        serde_json::json!({"account_id": "x1", "key_id": "k", "private_key": pem}).to_string(),
        serde_json::json!({"account_id": 1, "private_key": pem}).to_string(),
        serde_json::json!({"account_id": 1, "key_id": "k"}).to_string(),
        serde_json::json!({"account_id": 1, "key_id": "k", "private_key": 5}).to_string(),
        serde_json::json!({"account_id": 1, "key_id": "k", "private_key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}).to_string(),
        serde_json::json!({"account_id": 1, "key_id": "k", "private_key": TestKey::primary().public_pem}).to_string(),
    ];
    for text in &cases {
        let e = ServiceAccountKey::from_json(text).unwrap_err();
        assert_eq!(e.code(), "voximplant_key_file", "{text}");
        let shown = format!("{e} {e:?}");
        assert!(
            !shown.contains("MII") && !shown.contains("BEGIN"),
            "{shown}"
        );
    }
    let e = Client::from_key_file("/nonexistent/voximplant.json", &ClientConfig::default())
        .unwrap_err();
    assert_eq!(e.code(), "voximplant_key_file");
    // A string account id of digits is read as the number.
    let k = ServiceAccountKey::from_json(
        &serde_json::json!({"account_id": "42", "key_id": "k", "private_key": pem}).to_string(),
    )
    .unwrap();
    assert_eq!(k.account_id(), 42);
    // Debug never shows the private key.
    let shown = format!("{k:?}");
    assert!(
        !shown.contains("MII") && shown.contains("redacted"),
        "{shown}"
    );
}

#[test]
fn token_lifetime_and_base_url_are_checked() {
    let key = TestKey::primary().service_account_key();
    let config = ClientConfig {
        token_lifetime: Duration::from_secs(3601),
        ..ClientConfig::default()
    };
    assert_eq!(
        Client::new(&key, &config).unwrap_err().code(),
        "voximplant_token"
    );
    let config = ClientConfig::with_base_url("http://api.voximplant.com/platform_api/");
    assert_eq!(
        Client::new(&key, &config).unwrap_err().code(),
        "voximplant_base_url"
    );
    let client = Client::new(&key, &ClientConfig::default()).unwrap();
    assert_eq!(client.endpoint(), "https://api.voximplant.com/platform_api");
}

#[tokio::test]
async fn expired_future_and_wrongly_signed_tokens_are_refused_with_100() {
    let (standin, client) = setup().await;
    // The stand-in's clock two minutes ahead: the 60 s token has expired.
    standin.set_clock_offset(120);
    let e = client.get_applications(None, 0).await.unwrap_err();
    assert_eq!(api_code(&e), 100);
    assert_eq!(e.code(), "voximplant_auth_failed");
    assert!(e.to_string().contains("Authorization failed"), "{e}");
    // Two minutes behind: iat is in the future.
    standin.set_clock_offset(-120);
    assert_eq!(
        api_code(&client.get_applications(None, 0).await.unwrap_err()),
        100
    );
    standin.set_clock_offset(0);
    client.get_applications(None, 0).await.unwrap();

    // A key the account does not have (unknown kid).
    let other = Client::new(
        &TestKey::other().service_account_key(),
        &standin.client_config(),
    )
    .unwrap();
    assert_eq!(
        api_code(&other.get_applications(None, 0).await.unwrap_err()),
        100
    );

    // The right kid with the wrong private key: the signature does not verify.
    let forged = serde_json::json!({
        "account_id": TEST_ACCOUNT_ID,
        "key_id": TestKey::primary().key_id,
        "private_key": TestKey::other().private_pem,
    })
    .to_string();
    let forged = Client::new(
        &ServiceAccountKey::from_json(&forged).unwrap(),
        &standin.client_config(),
    )
    .unwrap();
    assert_eq!(
        api_code(&forged.get_applications(None, 0).await.unwrap_err()),
        100
    );

    // Another account's iss.
    let wrong_account = serde_json::json!({
        "account_id": TEST_ACCOUNT_ID + 1,
        "key_id": TestKey::primary().key_id,
        "private_key": TestKey::primary().private_pem,
    })
    .to_string();
    let wrong = Client::new(
        &ServiceAccountKey::from_json(&wrong_account).unwrap(),
        &standin.client_config(),
    )
    .unwrap();
    assert_eq!(
        api_code(&wrong.get_applications(None, 0).await.unwrap_err()),
        100
    );
    let refusals: Vec<_> = standin
        .requests()
        .into_iter()
        .filter_map(|r| r.refused)
        .collect();
    assert_eq!(refusals.len(), 5);
    assert!(
        refusals
            .iter()
            .all(|r| r.code == 100 && r.msg == "Authorization failed")
    );
}

/// A raw request, to show what the stand-in refuses that our client never sends.
async fn raw(standin: &StandIn, token: Option<&str>, body: &str) -> serde_json::Value {
    let mut req = reqwest::Client::new()
        .post(standin.base_url().trim_end_matches('/'))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_owned());
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap().json().await.unwrap()
}

fn token(claims: serde_json::Value, kid: Option<&str>) -> String {
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = kid.map(str::to_owned);
    let key =
        jsonwebtoken::EncodingKey::from_rsa_pem(TestKey::primary().private_pem.as_bytes()).unwrap();
    jsonwebtoken::encode(&header, &claims, &key).unwrap()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn the_stand_in_checks_every_documented_jwt_rule() {
    let standin = StandIn::start().await.unwrap();
    let kid = Some(TestKey::primary().key_id);
    let t = now();
    let good = token(
        serde_json::json!({"iss": TEST_ACCOUNT_ID, "iat": t, "exp": t + 60}),
        kid,
    );
    assert!(
        raw(&standin, Some(&good), "cmd=GetApplications")
            .await
            .get("result")
            .is_some()
    );
    for (what, bad) in [
        ("no token", None),
        (
            "no kid",
            Some(token(
                serde_json::json!({"iss": TEST_ACCOUNT_ID, "iat": t, "exp": t + 60}),
                None,
            )),
        ),
        (
            "exp beyond iat+3600",
            Some(token(
                serde_json::json!({"iss": TEST_ACCOUNT_ID, "iat": t, "exp": t + 3601}),
                kid,
            )),
        ),
        (
            "no exp",
            Some(token(
                serde_json::json!({"iss": TEST_ACCOUNT_ID, "iat": t}),
                kid,
            )),
        ),
        (
            "iss as text",
            Some(token(
                serde_json::json!({"iss": TEST_ACCOUNT_ID.to_string(), "iat": t, "exp": t + 60}),
                kid,
            )),
        ),
        (
            "expired",
            Some(token(
                serde_json::json!({"iss": TEST_ACCOUNT_ID, "iat": t - 100, "exp": t - 1}),
                kid,
            )),
        ),
        ("not a JWT", Some("abc.def.ghi".to_owned())),
    ] {
        let answer = raw(&standin, bad.as_deref(), "cmd=GetApplications").await;
        assert_eq!(
            answer,
            serde_json::json!({"error": {"code": 100, "msg": "Authorization failed"}}),
            "{what}"
        );
    }
}

#[tokio::test]
async fn the_stand_in_refuses_what_the_platform_documents_it_refuses() {
    let standin = StandIn::start().await.unwrap();
    let t = now();
    let good = token(
        serde_json::json!({"iss": TEST_ACCOUNT_ID, "iat": t, "exp": t + 300}),
        Some(TestKey::primary().key_id),
    );
    let err = |code: i64, msg: &str| serde_json::json!({"error": {"code": code, "msg": msg}});
    let cases: &[(&str, serde_json::Value)] = &[
        ("application_name=x", err(102, "Missing 'cmd' parameter")),
        ("cmd=NoSuchMethod", err(103, "Unknown command")),
        (
            "cmd=GetApplications&colour=red",
            err(101, "Invalid arguments"),
        ),
        (
            "cmd=GetApplications&count=ten",
            err(101, "Invalid arguments"),
        ),
        (
            "cmd=GetApplications&with_rules=yes",
            err(101, "Invalid arguments"),
        ),
        ("cmd=AddApplication", err(101, "Invalid arguments")),
        (
            "cmd=AddApplication&application_name=Sva",
            err(107, "Invalid application name"),
        ),
        (
            "cmd=AddApplication&application_name=s",
            err(107, "Invalid application name"),
        ),
        (
            "cmd=AddApplication&application_name=9sva",
            err(107, "Invalid application name"),
        ),
        (
            "cmd=GetScenarios&with_script=true",
            err(101, "Invalid arguments"),
        ),
        ("cmd=GetRules", err(101, "Invalid arguments")),
        ("cmd=GetSecrets", err(101, "Invalid arguments")),
        (
            "cmd=AddSecret&application_id=1&secret_name=A&secret_value=v",
            err(101, "Invalid arguments"),
        ),
        (
            "cmd=GetApplications&offset=1&offset=2",
            err(101, "Invalid arguments"),
        ),
    ];
    for (body, want) in cases {
        assert_eq!(&raw(&standin, Some(&good), body).await, want, "{body}");
    }

    // With an application: names and limits of scenarios, rules and secrets.
    let app = raw(
        &standin,
        Some(&good),
        "cmd=AddApplication&application_name=sva-x",
    )
    .await;
    let app_id = app["application_id"].as_u64().unwrap();
    let long_name = "n".repeat(30);
    let big_script = "x".repeat(128 * 1024);
    let long_secret = "v".repeat(8193);
    let bodies = [
        format!("cmd=AddScenario&application_id={app_id}&scenario_name={long_name}"),
        format!(
            "cmd=AddScenario&application_id={app_id}&scenario_name=s&scenario_script={big_script}"
        ),
        format!("cmd=AddScenario&application_id={app_id}&application_name=sva-x&scenario_name=s"),
        format!("cmd=AddRule&application_id={app_id}&rule_name=r&rule_pattern=.*"),
        format!("cmd=AddSecret&application_id={app_id}&secret_name=1BAD&secret_value=v"),
        format!("cmd=AddSecret&application_id={app_id}&secret_name=BAD-NAME&secret_value=v"),
        format!("cmd=AddSecret&application_id={app_id}&secret_name=OK&secret_value={long_secret}"),
        format!(
            "cmd=AddSecret&application_id={app_id}&secret_name={}&secret_value=v",
            "A".repeat(65)
        ),
        "cmd=SetScenarioInfo&scenario_id=1".to_owned(),
        "cmd=BindScenario&rule_id=1&scenario_id=1".to_owned(),
    ];
    for body in &bodies {
        let answer = raw(&standin, Some(&good), body).await;
        assert_eq!(
            answer,
            err(101, "Invalid arguments"),
            "{}",
            &body[..body.len().min(80)]
        );
    }
    // The limits' edges are accepted.
    let ok_name = "n".repeat(29);
    let ok_script = "x".repeat(128 * 1024 - 1);
    let ok_secret = "v".repeat(8192);
    for body in [
        format!(
            "cmd=AddScenario&application_id={app_id}&scenario_name={ok_name}&scenario_script={ok_script}"
        ),
        format!(
            "cmd=AddSecret&application_id={app_id}&secret_name={}&secret_value={ok_secret}",
            "A".repeat(64)
        ),
    ] {
        let answer = raw(&standin, Some(&good), &body).await;
        assert!(answer.get("error").is_none(), "{answer}");
    }
    // A scenario name taken needs `rewrite`.
    let again = format!("cmd=AddScenario&application_id={app_id}&scenario_name={ok_name}");
    assert_eq!(
        raw(&standin, Some(&good), &again).await,
        err(101, "Invalid arguments")
    );
    let rewrite = format!("{again}&rewrite=true&scenario_script=new");
    assert!(
        raw(&standin, Some(&good), &rewrite)
            .await
            .get("scenario_id")
            .is_some()
    );
    // Every refusal says why, in the request log.
    assert!(
        standin
            .requests()
            .iter()
            .filter_map(|r| r.refused.as_ref())
            .all(|r| !r.detail.is_empty())
    );
}

#[tokio::test]
async fn an_api_error_surfaces_with_its_code_and_message() {
    let (standin, client) = setup().await;
    // A method called through the generic path with a name our own checks would refuse.
    let e = client
        .call_value(
            "AddApplication",
            &Params::new().text("application_name", "Bad_Name"),
        )
        .await
        .unwrap_err();
    match &e {
        Error::Api { method, code, msg } => {
            assert_eq!(method, "AddApplication");
            assert_eq!(*code, 107);
            assert_eq!(msg, "Invalid application name");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.code(), "voximplant_api_error");
    assert_eq!(
        e.to_string(),
        "Voximplant AddApplication: error 107: Invalid application name"
    );
    // A secret value in a refused request appears nowhere in the error.
    let app = client.add_application("sva-err").await.unwrap();
    let value = Secret::new("top-secret-value-123");
    let e = client
        .call_value(
            "AddSecret",
            &Params::new()
                .num("application_id", app.application_id)
                .text("secret_name", "9starts_with_digit")
                .secret("secret_value", &value),
        )
        .await
        .unwrap_err();
    assert_eq!(api_code(&e), 101);
    assert!(!format!("{e} {e:?}").contains("top-secret"));
    // Our own check refuses the same before sending.
    let e = client
        .add_secret(app.application_id, "9starts_with_digit", &value)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "voximplant_invalid_input");
    assert!(!format!("{e} {e:?}").contains("top-secret"));
    drop(standin);
}

#[tokio::test]
async fn transport_failures_are_typed() {
    let standin = StandIn::start().await.unwrap();
    let config = standin.client_config();
    drop(standin);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let client = Client::new(&TestKey::primary().service_account_key(), &config).unwrap();
    let e = client.get_applications(None, 0).await.unwrap_err();
    assert!(e.may_have_run(), "{e:?}");
    assert_eq!(e.code(), "voximplant_transport");
}

#[test]
fn debug_output_never_shows_secrets() {
    let s = sva_voximplant::SvaSecrets {
        function_url: Secret::new("https://fn.example.com/x"),
        tenant: Secret::new("acme"),
        signing_secret: Secret::new("the-signing-secret"),
        caller_id: Secret::new("+74950000001"),
        fallback_number: Some(Secret::new("+74950000002")),
    };
    let plan = sva_voximplant::DeployPlan::sva("acme", "var x = 1;", s.clone());
    let shown = format!("{s:?} {plan:?}");
    for value in ["the-signing-secret", "+7495", "fn.example.com"] {
        assert!(!shown.contains(value), "{shown}");
    }
    let client = Client::new(
        &TestKey::primary().service_account_key(),
        &ClientConfig::default(),
    )
    .unwrap();
    let shown = format!("{client:?}");
    assert!(
        !shown.contains("BEGIN") && !shown.contains("MII"),
        "{shown}"
    );
}
