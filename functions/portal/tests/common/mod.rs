//! Helpers shared by the sandbox portal's HTTP tests.
#![allow(dead_code)]

use std::time::Duration;

use serde_json::Value;
use sva_portal::{Portal, PortalConfig, RateLimit, RunningPortal};

/// A config for tests: no rate limit, a short hang.
pub fn config() -> PortalConfig {
    PortalConfig {
        rate: RateLimit::unlimited(),
        hang: Duration::from_millis(300),
        ..PortalConfig::default()
    }
}

/// A running portal with [`config`].
pub async fn start() -> RunningPortal {
    Portal::start(config()).await.expect("the portal starts")
}

/// An HTTP answer: status, content type, body as JSON (`Null` if not JSON) and raw text.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub json: Value,
    pub text: String,
}

impl Answer {
    /// The `result` member.
    pub fn result(&self) -> &Value {
        &self.json["result"]
    }
    /// The `error` member.
    pub fn error(&self) -> &str {
        self.json["error"].as_str().unwrap_or("<none>")
    }
}

thread_local! {
    /// One client per test thread (each `#[tokio::test]` runs on its own thread and runtime).
    static CLIENT: reqwest::Client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("a client");
}

/// The test thread's HTTP client.
pub fn client() -> reqwest::Client {
    CLIENT.with(Clone::clone)
}

pub async fn answer(res: reqwest::Response) -> Answer {
    let status = res.status().as_u16();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = res.text().await.expect("a body");
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status,
        content_type,
        json,
        text,
    }
}

/// POSTs a JSON body to `{base}{method}`.
pub async fn json(base: &str, method: &str, body: Value) -> Answer {
    let res = client()
        .post(format!("{base}{method}"))
        .json(&body)
        .send()
        .await
        .expect("the request is answered");
    answer(res).await
}

/// POSTs a form body (already encoded, PHP bracket syntax) to `{base}{method}`.
pub async fn form(base: &str, method: &str, body: &str) -> Answer {
    let res = client()
        .post(format!("{base}{method}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_owned())
        .send()
        .await
        .expect("the request is answered");
    answer(res).await
}

/// GETs `{base}{method}?{query}`.
pub async fn get(base: &str, method: &str, query: &str) -> Answer {
    let res = client()
        .get(format!("{base}{method}?{query}"))
        .send()
        .await
        .expect("the request is answered");
    answer(res).await
}

/// Percent-encodes a query-string component (everything but unreserved characters).
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Installs the app and returns `({url}/rest/, access_token, refresh_token)`.
pub fn app(p: &RunningPortal) -> (String, String, String) {
    let (access, refresh) = p.install_app();
    (format!("{}/rest/", p.url()), access, refresh)
}
