//! The transport: one POST per method, the way the official clients send it, and the
//! response envelope.
//!
//! * **Request.** `POST https://api.voximplant.com/platform_api` with the method name in
//!   the form field `cmd` and every parameter as a form field; the body is
//!   `application/x-www-form-urlencoded`, UTF-8 (the Python client:
//!   voximplant/apiclient-python@5df85174a3e8b0c09ced19867bd097af8233cbfc
//!   src/voximplant/apiclient/client.py:50-63; the Node client sends the same fields as
//!   multipart, voximplant/apiclient-nodejs@281e5c4199b6a7ed9bf3d7c880729306dffe82a3
//!   src/index.ts:568-590). The docs ask for this content type for `scenario_script`
//!   (<https://voximplant.com/docs/references/httpapi/scenarios>, AddScenario).
//! * **Auth.** `Authorization: Bearer <RS256 JWT>`, a fresh token per request
//!   ([`crate::credentials`]).
//! * **Answer.** Success: a JSON object whose top-level fields are the method's outputs
//!   beside `result`. Error: `{"error":{"code":N,"msg":"…"}}` (apiclient-nodejs
//!   src/Structures.ts:1-10 `APIError`; apiclient-python client.py:1190-1191). The Node
//!   client also passes an `errors` array through (src/index.ts:588-590); its first entry
//!   is taken when `error` is absent.
//! * **No hidden retries.** The one documented throttle is StartScenarios' HTTP 429
//!   (src/index.ts:2036-2038); it comes back as [`Error::RateLimited`] for the caller to
//!   decide.

use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use url::Url;

use crate::credentials::{DEFAULT_TOKEN_LIFETIME, ServiceAccountKey, Signer};
use crate::error::Error;
use crate::secret::Secret;

/// The production endpoint.
pub const DEFAULT_BASE_URL: &str = "https://api.voximplant.com/platform_api/";

/// The largest answer body read (a call-list CSV can be large; anything past this is an error).
const MAX_BODY: usize = 32 * 1024 * 1024;

/// How the client talks to the API.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// The API's base URL (default [`DEFAULT_BASE_URL`]). https, or http on loopback only.
    pub base_url: String,
    /// The whole request's deadline.
    pub timeout: Duration,
    /// The connection's deadline.
    pub connect_timeout: Duration,
    /// The lifetime of each token (1 s ..= 3600 s; default 60 s).
    pub token_lifetime: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            base_url: DEFAULT_BASE_URL.to_owned(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
        }
    }
}

impl ClientConfig {
    /// The default configuration with another base URL (the stand-in's, in tests).
    pub fn with_base_url(base_url: impl Into<String>) -> Self {
        ClientConfig {
            base_url: base_url.into(),
            ..ClientConfig::default()
        }
    }
}

/// One value of a request: plain, or a secret that is sent but never logged.
#[derive(Clone, Debug)]
enum Value {
    Plain(String),
    Secret(Secret),
}

/// The parameters of one method call, in order. `Debug` shows secret values redacted.
#[derive(Clone, Debug, Default)]
pub struct Params(Vec<(String, Value)>);

impl Params {
    /// No parameters.
    pub fn new() -> Self {
        Params::default()
    }

    /// A text parameter.
    pub fn text(mut self, name: &str, value: impl Into<String>) -> Self {
        self.0.push((name.to_owned(), Value::Plain(value.into())));
        self
    }

    /// A text parameter, when there is a value.
    pub fn text_opt(self, name: &str, value: Option<impl Into<String>>) -> Self {
        match value {
            Some(v) => self.text(name, v),
            None => self,
        }
    }

    /// A numeric parameter.
    pub fn num(self, name: &str, value: u64) -> Self {
        self.text(name, value.to_string())
    }

    /// A boolean parameter, sent as `true` / `false`.
    pub fn flag(self, name: &str, value: bool) -> Self {
        self.text(name, if value { "true" } else { "false" })
    }

    /// A list parameter (`intlist`, `stringlist`): values joined with `;` as the
    /// official clients do (apiclient-nodejs src/TypeTransformer.ts `toStatic` intlist).
    pub fn list<T: ToString>(self, name: &str, values: &[T]) -> Self {
        let joined: Vec<String> = values.iter().map(ToString::to_string).collect();
        self.text(name, joined.join(";"))
    }

    /// A secret parameter: sent, never logged, scrubbed from error messages.
    pub fn secret(mut self, name: &str, value: &Secret) -> Self {
        self.0.push((name.to_owned(), Value::Secret(value.clone())));
        self
    }

    /// The parameter names, in order (for logs).
    pub fn names(&self) -> Vec<&str> {
        self.0.iter().map(|(n, _)| n.as_str()).collect()
    }

    fn encode(&self, method: &str) -> String {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("cmd", method);
        for (name, value) in &self.0 {
            match value {
                Value::Plain(v) => form.append_pair(name, v),
                Value::Secret(v) => form.append_pair(name, v.expose()),
            };
        }
        form.finish()
    }

    fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (_, value) in &self.0 {
            if let Value::Secret(s) = value
                && s.expose().len() >= 3
            {
                out = out.replace(s.expose(), "<redacted>");
            }
        }
        out
    }
}

/// A Voximplant Management API client for one service account.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    endpoint: Url,
    signer: Arc<Signer>,
    account_id: u64,
    timeout: Duration,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.endpoint.as_str())
            .field("account_id", &self.account_id)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for `key`.
    pub fn new(key: &ServiceAccountKey, config: &ClientConfig) -> Result<Self, Error> {
        let endpoint = endpoint(&config.base_url)?;
        let signer = Signer::new(key, config.token_lifetime)?;
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::BaseUrl(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client {
            http,
            endpoint,
            signer: Arc::new(signer),
            account_id: key.account_id(),
            timeout: config.timeout,
        })
    }

    /// A client from the key file Voximplant issued for a service account.
    pub fn from_key_file(
        path: impl AsRef<std::path::Path>,
        config: &ClientConfig,
    ) -> Result<Self, Error> {
        Client::new(&ServiceAccountKey::from_file(path)?, config)
    }

    /// The account the client acts for.
    pub fn account_id(&self) -> u64 {
        self.account_id
    }

    /// The URL requests are posted to.
    pub fn endpoint(&self) -> &str {
        self.endpoint.as_str()
    }

    /// Calls one method and decodes its top-level fields into `T`.
    ///
    /// Every typed method of this crate goes through here; a method not wrapped yet can
    /// be called the same way with its own answer type.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        params: &Params,
    ) -> Result<T, Error> {
        let value = self.call_value(method, params).await?;
        serde_json::from_value(value).map_err(|e| Error::Decode {
            method: method.to_owned(),
            reason: params.scrub(&e.to_string()),
        })
    }

    /// Calls one method and returns its answer as JSON, once the error envelope is checked.
    pub async fn call_value(
        &self,
        method: &str,
        params: &Params,
    ) -> Result<serde_json::Value, Error> {
        let token = self.signer.token()?;
        tracing::debug!(method, params = ?params.names(), "voximplant call");
        let sent = self
            .http
            .post(self.endpoint.clone())
            .bearer_auth(token.expose())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded; charset=utf-8",
            )
            .body(params.encode(method))
            .send()
            .await;
        let response = match sent {
            Ok(r) => r,
            Err(e) => return Err(self.transport_error(method, &e)),
        };
        let status = response.status();
        if status.as_u16() == 429 {
            return Err(Error::RateLimited {
                method: method.to_owned(),
            });
        }
        let body = match read_body(response).await {
            Ok(b) => b,
            Err(e) => return Err(self.transport_error(method, &e)),
        };
        if body.len() > MAX_BODY {
            return Err(Error::Decode {
                method: method.to_owned(),
                reason: format!("an answer of more than {MAX_BODY} bytes"),
            });
        }
        let parsed: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
        let Some(serde_json::Value::Object(map)) = parsed else {
            if !status.is_success() {
                return Err(Error::HttpStatus {
                    method: method.to_owned(),
                    status: status.as_u16(),
                });
            }
            return Err(Error::Decode {
                method: method.to_owned(),
                reason: "the answer is not a JSON object".into(),
            });
        };
        let envelope = map.get("error").cloned().or_else(|| {
            map.get("errors")
                .and_then(|e| e.as_array())
                .and_then(|a| a.first())
                .cloned()
        });
        if let Some(err) = envelope {
            let code = err
                .get("code")
                .and_then(serde_json::Value::as_i64)
                .unwrap_or(-1);
            let msg = err
                .get("msg")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("")
                .to_owned();
            tracing::debug!(method, code, "voximplant error");
            return Err(Error::Api {
                method: method.to_owned(),
                code,
                msg: params.scrub(&msg),
            });
        }
        if !status.is_success() {
            return Err(Error::HttpStatus {
                method: method.to_owned(),
                status: status.as_u16(),
            });
        }
        Ok(serde_json::Value::Object(map))
    }

    fn transport_error(&self, method: &str, e: &reqwest::Error) -> Error {
        if e.is_timeout() {
            Error::Timeout {
                method: method.to_owned(),
                timeout_ms: u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX),
            }
        } else {
            let mut reason = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                reason.push_str(": ");
                reason.push_str(&s.to_string());
                source = s.source();
            }
            Error::Transport {
                method: method.to_owned(),
                reason,
            }
        }
    }
}

async fn read_body(mut response: reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_BODY {
            break;
        }
    }
    Ok(body)
}

/// The POST URL for a base URL: https, or http to a loopback host (tests); no query, no
/// credentials; a trailing slash dropped (the official clients post to `/platform_api`).
fn endpoint(base_url: &str) -> Result<Url, Error> {
    let mut url = Url::parse(base_url).map_err(|e| Error::BaseUrl(format!("{base_url:?}: {e}")))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        other => {
            return Err(Error::BaseUrl(format!(
                "scheme {other:?} refused: https only (http for loopback tests)"
            )));
        }
    }
    if url.host().is_none() {
        return Err(Error::BaseUrl("no host".into()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::BaseUrl("credentials in the URL are refused".into()));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::BaseUrl("a query or fragment is refused".into()));
    }
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(if path.is_empty() { "/" } else { &path });
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_rules() {
        assert_eq!(
            endpoint(DEFAULT_BASE_URL).unwrap().as_str(),
            "https://api.voximplant.com/platform_api"
        );
        assert!(endpoint("http://127.0.0.1:8080/platform_api/").is_ok());
        assert!(endpoint("http://[::1]:8080/platform_api").is_ok());
        assert!(endpoint("http://localhost/platform_api").is_ok());
        for bad in [
            "http://api.voximplant.com/platform_api",
            "ftp://api.voximplant.com/",
            "https://user:pw@api.voximplant.com/",
            "https://api.voximplant.com/platform_api?x=1",
            "not a url",
        ] {
            let e = endpoint(bad).unwrap_err();
            assert_eq!(e.code(), "voximplant_base_url", "{bad}");
        }
    }

    #[test]
    fn params_encode_and_redact() {
        let s = Secret::new("s3cr3t value");
        let p = Params::new()
            .num("application_id", 7)
            .list("scenario_id", &[1u64, 2])
            .secret("secret_value", &s);
        assert_eq!(
            p.encode("AddSecret"),
            "cmd=AddSecret&application_id=7&scenario_id=1%3B2&secret_value=s3cr3t+value"
        );
        assert!(!format!("{p:?}").contains("s3cr3t"));
        assert_eq!(p.scrub("bad value s3cr3t value!"), "bad value <redacted>!");
    }
}
