//! A strict in-process stand-in of Voximplant's Management API, for tests.
//!
//! [`StandIn::start`] serves `POST /platform_api` on `127.0.0.1:0` with the methods deploy
//! uses — GetApplications, AddApplication, GetScenarios, AddScenario, SetScenarioInfo,
//! BindScenario, GetRules, AddRule, SetRuleInfo, GetSecrets, GetSecretValue, AddSecret,
//! SetSecretInfo, DelSecret — written from the platform's reference (the official Node
//! client's request mappers and types, voximplant/apiclient-nodejs@281e5c4199b6a7ed9bf3d7c880729306dffe82a3,
//! and <https://voximplant.com/docs/references/httpapi/>), not from this crate's client:
//!
//! * **Auth** like <https://voximplant.com/docs/guides/managementapi/jwt>: a Bearer RS256
//!   JWT whose header `kid` is a registered key, signed by that key, with `iss` the
//!   account id, `iat` not in the future, `exp` after now and at most `iat + 3600`.
//!   Anything else: error 100 "Authorization failed".
//! * **Parameters**: the request is `application/x-www-form-urlencoded` with `cmd`
//!   (missing: 102 "Missing 'cmd' parameter"; not one of the above: 103 "Unknown
//!   command"). A parameter the method does not take, a required one missing, a malformed
//!   number or boolean, both halves of an id-or-name pair, a repeated field, a documented
//!   limit broken: 101 "Invalid arguments" (an application name off its format: 107
//!   "Invalid application name"). Codes and messages are those of
//!   <https://voximplant.com/docs/references/httpapi/errors>; which code the platform uses
//!   for a missing object or a duplicate name is not documented, so the stand-in refuses
//!   those with 101 too. The reason of every refusal is kept in [`StandIn::requests`].
//! * **State** in memory; a test reads it with [`StandIn::state`] and changes it (drift)
//!   with [`StandIn::edit`].
//!
//! * **Call lists** ([`call_lists`]): CreateCallList, AppendToCallList, EditCallList,
//!   CancelCallListTask, StopCallListProcessing, RecoverCallList, GetCallLists and
//!   GetCallListDetails with the reference's CSV and parameter rules, and a dialler
//!   ([`dialler`], [`StandIn::simulate`]) that works a list on a virtual clock as the
//!   platform documents it.
//!
//! * **StartScenarios** ([`scenarios`]): a session of a rule's scenario, recorded in
//!   [`State::sessions`]; `script_custom_data` over 200 bytes refused; the documented HTTP
//!   429 on demand ([`StandIn::throttle_start_scenarios`]).
//!
//! What the stand-in does not model: multipart bodies (the Node client's form), GET
//! requests, the `/platform_api/{Method}` path form, rule `template` search, account
//! limits (application count, 108), roles.

pub mod call_lists;
pub mod dialler;
mod methods;
pub mod scenarios;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State as AxumState;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use tokio::sync::oneshot;

pub use call_lists::{AttemptResult, CallList, NextAttempt, Report, Task, TaskStatus, Window};
pub use dialler::{DialAttempt, SimulationError};
pub use scenarios::StartedScenario;

use crate::client::ClientConfig;
use crate::credentials::ServiceAccountKey;
use crate::secret::Secret;

/// A test-only service-account key pair: never a real account's.
#[derive(Clone, Debug)]
pub struct TestKey {
    /// The account id (`iss`).
    pub account_id: u64,
    /// The key id (`kid`).
    pub key_id: &'static str,
    /// The private key, PEM (PKCS#8 for [`TestKey::primary`], PKCS#1 for [`TestKey::other`]).
    pub private_pem: &'static str,
    /// The public key, PEM.
    pub public_pem: &'static str,
}

/// The account id of the test keys.
pub const TEST_ACCOUNT_ID: u64 = 4_200_001;

impl TestKey {
    /// The key the stand-in accepts by default.
    pub fn primary() -> TestKey {
        TestKey {
            account_id: TEST_ACCOUNT_ID,
            key_id: "5c1a9d2e-7b3f-4e61-9a0d-000000000001",
            private_pem: include_str!("keys/primary.key.pem"),
            public_pem: include_str!("keys/primary.pub.pem"),
        }
    }

    /// Another key of the same account, not registered by default (a wrong signature,
    /// an unknown `kid`).
    pub fn other() -> TestKey {
        TestKey {
            account_id: TEST_ACCOUNT_ID,
            key_id: "5c1a9d2e-7b3f-4e61-9a0d-000000000002",
            private_pem: include_str!("keys/other.key.pem"),
            public_pem: include_str!("keys/other.pub.pem"),
        }
    }

    /// The key file as Voximplant issues it (`account_email`, `account_id`, `key_id`,
    /// `private_key`).
    pub fn key_file_json(&self) -> String {
        serde_json::json!({
            "account_email": "test@example.com",
            "account_id": self.account_id,
            "key_id": self.key_id,
            "private_key": self.private_pem,
        })
        .to_string()
    }

    /// The key, parsed.
    pub fn service_account_key(&self) -> ServiceAccountKey {
        match ServiceAccountKey::from_json(&self.key_file_json()) {
            Ok(k) => k,
            Err(e) => unreachable!("the bundled test key is valid: {e}"),
        }
    }
}

/// An application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Application {
    /// Its id.
    pub id: u64,
    /// The short name given to AddApplication.
    pub name: String,
    /// The full name (`name.account.voximplant.com`).
    pub full_name: String,
    /// Last edited, `YYYY-MM-DD HH:mm:ss`.
    pub modified: String,
}

/// A scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// Its id.
    pub id: u64,
    /// Its application (`None`: the Shared folder).
    pub application_id: Option<u64>,
    /// Its name.
    pub name: String,
    /// Its script.
    pub script: String,
    /// Last edited.
    pub modified: String,
}

/// A routing rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Its id.
    pub id: u64,
    /// Its application.
    pub application_id: u64,
    /// Its name.
    pub name: String,
    /// Its pattern.
    pub pattern: String,
    /// Its exclude pattern.
    pub pattern_exclude: Option<String>,
    /// Whether a video conference is required.
    pub video_conference: bool,
    /// The bound service account, if any.
    pub bind_key_id: Option<String>,
    /// The bound scenarios, in order.
    pub scenario_ids: Vec<u64>,
    /// Last edited.
    pub modified: String,
}

/// An application secret. Its value is a [`Secret`]: tests read it with `expose()`.
#[derive(Clone, Debug)]
pub struct StoredSecret {
    /// Its id.
    pub id: u64,
    /// Its application.
    pub application_id: u64,
    /// Its name.
    pub name: String,
    /// Its value.
    pub value: Secret,
    /// Its description (at most 200 characters).
    pub description: Option<String>,
    /// Created.
    pub created: String,
    /// Last edited.
    pub modified: String,
}

/// Everything the stand-in holds.
#[derive(Clone, Debug, Default)]
pub struct State {
    /// Applications.
    pub applications: Vec<Application>,
    /// Scenarios.
    pub scenarios: Vec<Scenario>,
    /// Rules.
    pub rules: Vec<Rule>,
    /// Secrets.
    pub secrets: Vec<StoredSecret>,
    /// Call lists.
    pub call_lists: Vec<CallList>,
    /// Sessions StartScenarios started, in order.
    pub sessions: Vec<StartedScenario>,
    /// The platform's time for call lists (unix seconds), when a test fixed it
    /// ([`StandIn::set_platform_time`]); else the real clock.
    pub platform_time: Option<i64>,
    /// The CSV columns a test expects every call-list upload to have, in order
    /// ([`StandIn::expect_columns`]): a check of the campaign contract, not a platform rule
    /// (the platform dials no column; the scenario reads the row).
    pub expected_columns: Option<Vec<String>>,
    pub(crate) account_id: u64,
    next_id: u64,
}

impl State {
    pub(crate) fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        1000 + self.next_id
    }

    /// The application with this short name.
    pub fn application(&self, name: &str) -> Option<&Application> {
        self.applications.iter().find(|a| a.name == name)
    }

    /// The scenario of an application with this name.
    pub fn scenario(&self, application_id: u64, name: &str) -> Option<&Scenario> {
        self.scenarios
            .iter()
            .find(|s| s.application_id == Some(application_id) && s.name == name)
    }

    /// The rule of an application with this name.
    pub fn rule(&self, application_id: u64, name: &str) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|r| r.application_id == application_id && r.name == name)
    }

    /// The call list with this id.
    pub fn call_list(&self, id: u64) -> Option<&CallList> {
        self.call_lists.iter().find(|l| l.id == id)
    }

    /// The secret of an application with this name.
    pub fn secret(&self, application_id: u64, name: &str) -> Option<&StoredSecret> {
        self.secrets
            .iter()
            .find(|s| s.application_id == application_id && s.name == name)
    }
}

/// Why a request was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The error code sent.
    pub code: i64,
    /// The message sent.
    pub msg: String,
    /// Why, in the stand-in's words (not sent).
    pub detail: String,
}

/// One request the stand-in received.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// The `cmd` (empty when missing).
    pub method: String,
    /// The parameter names sent (no values).
    pub params: Vec<String>,
    /// The refusal, if it was refused.
    pub refused: Option<Refusal>,
}

impl RecordedRequest {
    /// Whether the method changes state (everything but `Get*`).
    pub fn is_write(&self) -> bool {
        !self.method.starts_with("Get")
    }
}

struct Shared {
    account_id: u64,
    account_name: String,
    keys: BTreeMap<String, DecodingKey>,
    clock_offset: AtomicI64,
    throttled: AtomicU32,
    state: Mutex<State>,
    requests: Mutex<Vec<RecordedRequest>>,
}

impl Shared {
    fn now(&self) -> i64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        real + self.clock_offset.load(Ordering::Relaxed)
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A running stand-in. Dropping it stops the server.
pub struct StandIn {
    addr: SocketAddr,
    base_url: String,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl std::fmt::Debug for StandIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StandIn")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl StandIn {
    /// Starts a stand-in that accepts [`TestKey::primary`].
    pub async fn start() -> std::io::Result<StandIn> {
        StandIn::start_with_keys(&[TestKey::primary()]).await
    }

    /// Starts a stand-in for `keys[0]`'s account that accepts these keys.
    pub async fn start_with_keys(keys: &[TestKey]) -> std::io::Result<StandIn> {
        crate::credentials::ensure_crypto();
        let account_id = keys.first().map_or(TEST_ACCOUNT_ID, |k| k.account_id);
        let mut decoding = BTreeMap::new();
        for k in keys {
            let key = DecodingKey::from_rsa_pem(k.public_pem.as_bytes())
                .map_err(|e| std::io::Error::other(format!("test public key: {e}")))?;
            decoding.insert(k.key_id.to_owned(), key);
        }
        let shared = Arc::new(Shared {
            account_id,
            account_name: "sva-test".into(),
            keys: decoding,
            clock_offset: AtomicI64::new(0),
            throttled: AtomicU32::new(0),
            state: Mutex::new(State {
                account_id,
                ..State::default()
            }),
            requests: Mutex::new(Vec::new()),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = Router::new()
            .route("/platform_api", post(handle))
            .with_state(shared.clone());
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(StandIn {
            addr,
            base_url: format!("http://{addr}/platform_api/"),
            shared,
            shutdown: Some(tx),
        })
    }

    /// The base URL to give a client (`http://127.0.0.1:PORT/platform_api/`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A client configuration pointed at the stand-in.
    pub fn client_config(&self) -> ClientConfig {
        ClientConfig::with_base_url(self.base_url.clone())
    }

    /// What a deploy leaves for the campaigns, made through the Management API with
    /// [`TestKey::primary`]: application `application`, the
    /// [`crate::deploy::DEFAULT_SCENARIO_NAME`] scenario with `script`, and the outbound rule
    /// ([`crate::deploy::OUTBOUND_RULE_NAME`], [`crate::deploy::OUTBOUND_RULE_PATTERN`])
    /// running it. Returns the client and the outbound rule's id (a
    /// [`crate::CallListDialler`]'s or [`crate::Outbound`]'s rule).
    pub async fn outbound_rule(
        &self,
        application: &str,
        script: &str,
    ) -> Result<(crate::Client, u64), crate::Error> {
        use crate::deploy::{DEFAULT_SCENARIO_NAME, OUTBOUND_RULE_NAME, OUTBOUND_RULE_PATTERN};
        let client = crate::Client::new(
            &TestKey::primary().service_account_key(),
            &self.client_config(),
        )?;
        let app = client.add_application(application).await?;
        let scenario = client
            .add_scenario(app.application_id, DEFAULT_SCENARIO_NAME, script)
            .await?;
        let rule = client
            .add_rule(
                app.application_id,
                OUTBOUND_RULE_NAME,
                OUTBOUND_RULE_PATTERN,
                &[scenario],
            )
            .await?;
        Ok((client, rule))
    }

    /// A copy of the state.
    pub fn state(&self) -> State {
        lock(&self.shared.state).clone()
    }

    /// Changes the state (to simulate drift made by hand in the control panel).
    pub fn edit<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut lock(&self.shared.state))
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// Forgets the requests so far.
    pub fn clear_requests(&self) {
        lock(&self.shared.requests).clear();
    }

    /// Fixes the platform's time for call lists (upload times, the dialler's start): a
    /// test picks the UTC time of day its campaign starts at. `None`: the real clock.
    /// Tokens are still checked against the real clock (see [`StandIn::set_clock_offset`]).
    pub fn set_platform_time(&self, unix: Option<i64>) {
        lock(&self.shared.state).platform_time = unix;
    }

    /// Makes CreateCallList / AppendToCallList refuse (101) a CSV whose header is not
    /// exactly `columns`: a test's check that the campaign builder keeps to the contract's
    /// columns. `None` removes the check. Not a platform rule.
    pub fn expect_columns(&self, columns: Option<&[&str]>) {
        lock(&self.shared.state).expected_columns =
            columns.map(|c| c.iter().map(|x| (*x).to_owned()).collect());
    }

    /// Runs the dialler of call list `list_id` from where it stopped (its creation at
    /// first) to `until` (unix seconds, UTC), calling `outcome` for every attempt it
    /// starts with the task, the attempt's number (1-based) and its start time; the
    /// result says how long the session ran and what the scenario reported. Returns the
    /// attempts in the order they started. The rules are in [`dialler`]; afterwards
    /// GetCallListDetails shows each task as the platform would. Methods called between
    /// two runs take effect at the list's clock (where the last run stopped).
    pub fn simulate(
        &self,
        list_id: u64,
        until: i64,
        mut outcome: impl FnMut(&Task, u32, i64) -> AttemptResult,
    ) -> Result<Vec<DialAttempt>, SimulationError> {
        // The list is worked on a copy, without the state's lock, so `outcome` may read the
        // stand-in (state(), requests()); changes made to this list by API calls during the
        // run are overwritten by the run's result.
        let mut list = lock(&self.shared.state)
            .call_list(list_id)
            .cloned()
            .ok_or(SimulationError::NoList(list_id))?;
        let log = dialler::run(&mut list, until, &mut outcome)?;
        let mut state = lock(&self.shared.state);
        if let Some(slot) = state.call_lists.iter_mut().find(|l| l.id == list_id) {
            *slot = list;
        }
        Ok(log)
    }

    /// Answers the next `n` StartScenarios requests with HTTP 429 "Too Many Requests", as
    /// the platform does while more than 200 are in flight (apiclient-nodejs
    /// src/index.ts:2036-2038); nothing starts. The body is not documented: plain text here.
    pub fn throttle_start_scenarios(&self, n: u32) {
        self.shared.throttled.store(n, Ordering::Relaxed);
    }

    /// Moves the stand-in's clock by `seconds` (positive: the future), to test token
    /// expiry and clock skew.
    pub fn set_clock_offset(&self, seconds: i64) {
        self.shared.clock_offset.store(seconds, Ordering::Relaxed);
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub(crate) fn refusal(code: i64, msg: &str, detail: impl Into<String>) -> Refusal {
    Refusal {
        code,
        msg: msg.to_owned(),
        detail: detail.into(),
    }
}

/// Error 100 (<https://voximplant.com/docs/references/httpapi/errors>).
fn auth_failed(detail: impl Into<String>) -> Refusal {
    refusal(100, "Authorization failed", detail)
}

/// Error 101 (<https://voximplant.com/docs/references/httpapi/errors>).
pub(crate) fn invalid(detail: impl Into<String>) -> Refusal {
    refusal(101, "Invalid arguments", detail)
}

/// Error 107 (<https://voximplant.com/docs/references/httpapi/errors>).
pub(crate) fn invalid_application_name(detail: impl Into<String>) -> Refusal {
    refusal(107, "Invalid application name", detail)
}

#[derive(Deserialize)]
struct Claims {
    iss: serde_json::Value,
    iat: serde_json::Value,
    exp: serde_json::Value,
}

/// The JWT rules of <https://voximplant.com/docs/guides/managementapi/jwt>.
fn authorize(shared: &Shared, headers: &HeaderMap) -> Result<(), Refusal> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(|| auth_failed("no Authorization header"))?
        .to_str()
        .map_err(|_| auth_failed("Authorization is not text"))?;
    let token = value
        .strip_prefix("Bearer ")
        .ok_or_else(|| auth_failed("Authorization is not `Bearer <jwt>`"))?;
    let header =
        jsonwebtoken::decode_header(token).map_err(|e| auth_failed(format!("not a JWT: {e}")))?;
    if header.alg != Algorithm::RS256 {
        return Err(auth_failed(format!("alg {:?}, not RS256", header.alg)));
    }
    let kid = header
        .kid
        .ok_or_else(|| auth_failed("no kid in the header"))?;
    let key = shared
        .keys
        .get(&kid)
        .ok_or_else(|| auth_failed(format!("unknown kid {kid:?}")))?;
    let mut validation = Validation::new(Algorithm::RS256);
    // Time and issuer are checked below, against the stand-in's own (movable) clock and
    // the numeric account id.
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<Claims>(token, key, &validation)
        .map_err(|e| auth_failed(format!("signature or claims: {e}")))?;
    let c = data.claims;
    if c.iss.as_u64() != Some(shared.account_id) {
        return Err(auth_failed(format!(
            "iss {} is not account {}",
            c.iss, shared.account_id
        )));
    }
    let (Some(iat), Some(exp)) = (c.iat.as_i64(), c.exp.as_i64()) else {
        return Err(auth_failed("iat and exp must be numeric dates"));
    };
    let now = shared.now();
    if iat > now {
        return Err(auth_failed(format!(
            "iat {iat} is in the future (now {now})"
        )));
    }
    if exp <= now {
        return Err(auth_failed(format!("expired: exp {exp}, now {now}")));
    }
    if exp - iat > 3600 {
        return Err(auth_failed(format!(
            "exp is {} s after iat; at most 3600",
            exp - iat
        )));
    }
    Ok(())
}

fn reply(body: serde_json::Value) -> Response {
    axum::Json(body).into_response()
}

async fn handle(
    AxumState(shared): AxumState<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let form = content_type.split(';').next().is_some_and(|t| {
        t.trim()
            .eq_ignore_ascii_case("application/x-www-form-urlencoded")
    });
    if form {
        pairs = url::form_urlencoded::parse(&body).into_owned().collect();
    }
    let method = pairs
        .iter()
        .find(|(k, _)| k == "cmd")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let names: Vec<String> = pairs
        .iter()
        .map(|(k, _)| k.clone())
        .filter(|k| k != "cmd")
        .collect();
    let outcome = (|| {
        if !form {
            return Err(invalid(format!(
                "content type {content_type:?}; the stand-in takes application/x-www-form-urlencoded"
            )));
        }
        authorize(&shared, &headers)?;
        if method == "StartScenarios"
            && shared
                .throttled
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                .is_ok()
        {
            return Err(refusal(429, "Too Many Requests", "throttled by the test"));
        }
        if method.is_empty() {
            return Err(refusal(102, "Missing 'cmd' parameter", "no cmd field"));
        }
        let mut args = BTreeMap::new();
        for (k, v) in &pairs {
            if k == "cmd" {
                continue;
            }
            if args.insert(k.clone(), v.clone()).is_some() {
                return Err(invalid(format!("parameter {k:?} is repeated")));
            }
        }
        let now = shared.now();
        let mut state = lock(&shared.state);
        methods::dispatch(
            &method,
            &methods::Args::new(args),
            &mut state,
            &shared.account_name,
            now,
        )
    })();
    let refused = outcome.as_ref().err().cloned();
    if let Some(r) = &refused {
        tracing::debug!(method, code = r.code, detail = %r.detail, "stand-in refused");
    }
    lock(&shared.requests).push(RecordedRequest {
        method,
        params: names,
        refused,
    });
    match outcome {
        Ok(v) => reply(v),
        Err(r) if r.code == 429 => (
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "Too Many Requests",
        )
            .into_response(),
        Err(r) => reply(serde_json::json!({"error": {"code": r.code, "msg": r.msg}})),
    }
}

/// `YYYY-MM-DD HH:mm:ss` UTC, the API's date form.
pub(crate) fn format_time(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates() {
        assert_eq!(super::format_time(0), "1970-01-01 00:00:00");
        assert_eq!(super::format_time(1_709_251_199), "2024-02-29 23:59:59");
    }
}
