//! An in-process stand-in of GigaChat: its OAuth token endpoint and its chat
//! completions, on 127.0.0.1, for tests (feature `standin`; never in production).
//!
//! Written from GigaChat's documentation and its official SDK, not from our client (the
//! sources are listed in [`crate::gigachat`]):
//!
//! * `POST /api/v2/oauth`: `RqUID` missing or not a uuid4 → 400; an `Authorization`
//!   that is not `Basic <base64>` → 401 `{"code": 4, "message": "Can't decode
//!   'Authorization' header"}`; another key → 401 `{"code": 6, "message": "credentials
//!   doesn't match db data"}`; `scope` empty → 400 `{"code": 5, "message": "scope is
//!   empty"}`; not one of the three → 400 `{"code": 1, "message": "scope data format
//!   invalid"}`; another scope than the key's → 400 `{"code": 7, "message": "scope from
//!   db not fully includes consumed scope"}` (the docs list it under 400); otherwise
//!   `{"access_token", "expires_at"}` with `expires_at` in Unix milliseconds, 30 minutes
//!   ahead unless the test sets another lifetime;
//! * `POST /api/v1/chat/completions`: a token that is unknown, revoked or past its
//!   `expires_at` → 401 `{"status": 401, "message": "Unauthorized"}`; an unknown model →
//!   404 `{"status": 404, "message": "No such model"}`; a system message after another →
//!   422 `{"status": 422, "message": "system message must be the first message"}`; the
//!   answer to a forced `function_call` is `message.function_call` with `arguments` as a
//!   JSON object and `finish_reason: "function_call"`, and `usage` with
//!   `prompt_tokens`, `completion_tokens`, `total_tokens`, `precached_prompt_tokens`.
//!
//! Stricter where the docs are silent: a reused `RqUID` (the docs call it unique), a body
//! that is not form-encoded, an unknown top-level field of the chat, `temperature` not in
//! (0, 2] (the gRPC reference: "must be above zero"), `response_format` (in the SDK's
//! `Chat` since its structured-output change, but beta there and documented for
//! `api.giga.chat` only: see `FIELDS` below), a forced function not described in `functions` (the docs:
//! "otherwise an error is returned"), a function whose `parameters` is not an object
//! schema, and `stream: true` (GigaChat streams; this stand-in does not) are refused
//! with 400.
//!
//! What the model says is scripted as for the OpenAI stand-in ([`super::Reply`]): a
//! `Content` that is a JSON object becomes the forced function's arguments; any other
//! content is answered as text, as a model that ignored the function would.

use super::{Reply, Script, lock, serve};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The scopes GigaChat knows.
const SCOPES: &[&str] = &["GIGACHAT_API_PERS", "GIGACHAT_API_B2B", "GIGACHAT_API_CORP"];

/// The chat request's fields (`github:ai-forever/gigachat` `src/gigachat/models/chat.py`,
/// class `Chat`), less three the stand-in refuses, stricter than GigaChat:
/// `response_format` (the SDK marks it beta, "may not work correctly with all model
/// versions", and the docs give it for `api.giga.chat` only), `reasoning_effort` and
/// `additional_fields` (neither needed by our client).
const FIELDS: &[&str] = &[
    "model",
    "messages",
    "temperature",
    "top_p",
    "n",
    "stream",
    "max_tokens",
    "repetition_penalty",
    "update_interval",
    "profanity_check",
    "function_call",
    "functions",
    "flags",
    "storage",
    "function_ranker",
];

/// What a running stand-in saw of one chat request.
#[derive(Debug, Clone, PartialEq)]
pub struct SeenChat {
    /// The request body.
    pub body: Value,
    /// The bearer token it carried.
    pub token: String,
}

struct Shared {
    key: String,
    scope: &'static str,
    models: Vec<String>,
    script: Mutex<Script>,
    state: Mutex<Ledger>,
}

#[derive(Default)]
struct Ledger {
    /// Token → `expires_at` (Unix ms).
    tokens: HashMap<String, u64>,
    rquids: HashSet<String>,
    oauth_calls: usize,
    issued: usize,
    chats: Vec<SeenChat>,
    token_lifetime: Option<Duration>,
    oauth_delay: Duration,
}

/// A running GigaChat stand-in.
pub struct GigaChatStandIn {
    addr: SocketAddr,
    shared: Arc<Shared>,
    _task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for GigaChatStandIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GigaChatStandIn")
            .field("addr", &self.addr)
            .finish()
    }
}

/// Tokens live 30 minutes (GigaChat's docs).
const LIFETIME: Duration = Duration::from_secs(30 * 60);

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl GigaChatStandIn {
    /// Starts one that takes the authorization key `key` for `scope` (one of GigaChat's
    /// three), knows `models`, and answers by `script`.
    pub async fn start(
        key: &str,
        scope: &'static str,
        models: &[&str],
        script: Script,
    ) -> std::io::Result<GigaChatStandIn> {
        let shared = Arc::new(Shared {
            key: key.to_owned(),
            scope,
            models: models.iter().map(|m| (*m).to_owned()).collect(),
            script: Mutex::new(script),
            state: Mutex::new(Ledger::default()),
        });
        let app = Router::new()
            .route("/api/v2/oauth", post(oauth))
            .route("/api/v1/chat/completions", post(chat))
            .with_state(Arc::clone(&shared));
        let (addr, task) = serve(app).await?;
        Ok(GigaChatStandIn {
            addr,
            shared,
            _task: task,
        })
    }

    /// The chat API base (`http://127.0.0.1:…/api/v1`).
    pub fn base_url(&self) -> String {
        format!("http://{}/api/v1", self.addr)
    }

    /// The token endpoint (`http://127.0.0.1:…/api/v2/oauth`).
    pub fn oauth_url(&self) -> String {
        format!("http://{}/api/v2/oauth", self.addr)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, Ledger> {
        lock(&self.shared.state)
    }

    /// Replaces the script.
    pub fn script(&self, script: Script) {
        *lock(&self.shared.script) = script;
    }

    /// Token requests so far, refused ones included.
    pub fn oauth_calls(&self) -> usize {
        self.state().oauth_calls
    }

    /// Tokens issued so far.
    pub fn tokens_issued(&self) -> usize {
        self.state().issued
    }

    /// Every chat request that got past the token check.
    pub fn chats(&self) -> Vec<SeenChat> {
        self.state().chats.clone()
    }

    /// Tokens issued from now on expire after `lifetime` (a virtual, short life).
    pub fn token_lifetime(&self, lifetime: Duration) {
        self.state().token_lifetime = Some(lifetime);
    }

    /// The token endpoint waits this long before answering.
    pub fn oauth_delay(&self, delay: Duration) {
        self.state().oauth_delay = delay;
    }

    /// Every token issued so far is refused from now on (as when GigaChat ends a
    /// session before its `expires_at`).
    pub fn revoke_tokens(&self) {
        self.state().tokens.clear();
    }
}

fn giga_error(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

fn chat_error(status: StatusCode, message: &str) -> Response {
    giga_error(
        status,
        json!({"status": status.as_u16(), "message": message}),
    )
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// `xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx`.
fn is_uuid4(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
        && bytes[14] == b'4'
        && matches!(bytes[19].to_ascii_lowercase(), b'8' | b'9' | b'a' | b'b')
}

fn is_base64(value: &str) -> bool {
    !value.is_empty()
        && value.len().is_multiple_of(4)
        && value
            .trim_end_matches('=')
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

async fn oauth(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: String) -> Response {
    let delay = {
        let mut state = lock(&shared.state);
        state.oauth_calls += 1;
        state.oauth_delay
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let bad_request = |message: &str| chat_error(StatusCode::BAD_REQUEST, message);
    let Some(rquid) = header(&headers, "rquid").filter(|r| is_uuid4(r)) else {
        return bad_request("RqUID must be a uuid4");
    };
    let key = header(&headers, "authorization")
        .and_then(|a| a.strip_prefix("Basic ").map(str::to_owned))
        .filter(|k| is_base64(k));
    let Some(key) = key else {
        return giga_error(
            StatusCode::UNAUTHORIZED,
            json!({"code": 4, "message": "Can't decode 'Authorization' header"}),
        );
    };
    if key != shared.key {
        return giga_error(
            StatusCode::UNAUTHORIZED,
            json!({"code": 6, "message": "credentials doesn't match db data"}),
        );
    }
    if !header(&headers, "content-type")
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
    {
        return bad_request("the body must be application/x-www-form-urlencoded");
    }
    let scope = url_form(&body)
        .into_iter()
        .find(|(k, _)| k == "scope")
        .map(|(_, v)| v)
        .unwrap_or_default();
    if scope.is_empty() {
        return giga_error(
            StatusCode::BAD_REQUEST,
            json!({"code": 5, "message": "scope is empty"}),
        );
    }
    if !SCOPES.contains(&scope.as_str()) {
        return giga_error(
            StatusCode::BAD_REQUEST,
            json!({"code": 1, "message": "scope data format invalid"}),
        );
    }
    if scope != shared.scope {
        return giga_error(
            StatusCode::BAD_REQUEST,
            json!({"code": 7, "message": "scope from db not fully includes consumed scope"}),
        );
    }
    let mut state = lock(&shared.state);
    if !state.rquids.insert(rquid) {
        return bad_request("RqUID was used before");
    }
    state.issued += 1;
    let token = format!("standin-token-{}-{}", state.issued, uuid::Uuid::new_v4());
    let lifetime = state.token_lifetime.unwrap_or(LIFETIME);
    let expires_at = now_ms() + u64::try_from(lifetime.as_millis()).unwrap_or(u64::MAX);
    state.tokens.insert(token.clone(), expires_at);
    axum::Json(json!({"access_token": token, "expires_at": expires_at})).into_response()
}

/// `a=b&c=d` with `+` and `%XX` decoded.
fn url_form(body: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let s = s.replace('+', " ");
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if bytes[i] == b'%'
                && let Some(b) = hex
            {
                out.push(b);
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

async fn chat(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: String) -> Response {
    let token = header(&headers, "authorization")
        .and_then(|a| a.strip_prefix("Bearer ").map(str::to_owned))
        .unwrap_or_default();
    let valid = {
        let state = lock(&shared.state);
        state
            .tokens
            .get(&token)
            .is_some_and(|expires_at| *expires_at > now_ms())
    };
    if !valid {
        return chat_error(StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    let Ok(request) = serde_json::from_str::<Value>(&body) else {
        return chat_error(StatusCode::BAD_REQUEST, "the body is not JSON");
    };
    lock(&shared.state).chats.push(SeenChat {
        body: request.clone(),
        token,
    });
    if let Err((status, why)) = check(&request, &shared.models) {
        return chat_error(status, &why);
    }
    let script = Arc::clone(&lock(&shared.script));
    let mut reply = script(&request);
    loop {
        match reply {
            Reply::Slow(wait, rest) => {
                tokio::time::sleep(wait).await;
                reply = *rest;
            }
            Reply::TooMany(seconds) => {
                let mut r = chat_error(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests");
                r.headers_mut().insert("retry-after", seconds.into());
                return r;
            }
            Reply::Error(status, message) => {
                let status =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                return chat_error(status, &message);
            }
            Reply::Garbage(body) => return (StatusCode::OK, body).into_response(),
            Reply::Content(content) => return answer(&request, &content),
        }
    }
}

/// The chat request as the docs allow it (stricter where they are silent).
fn check(request: &Value, models: &[String]) -> Result<(), (StatusCode, String)> {
    let bad = |why: &str| (StatusCode::BAD_REQUEST, why.to_owned());
    let object = request
        .as_object()
        .ok_or_else(|| bad("the body is not an object"))?;
    if let Some(field) = object.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(bad(&format!("unknown field {field:?}")));
    }
    let model = object
        .get("model")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("model is required"))?;
    if !models.iter().any(|m| m == model) {
        return Err((StatusCode::NOT_FOUND, "No such model".into()));
    }
    let messages = object
        .get("messages")
        .and_then(Value::as_array)
        .filter(|m| !m.is_empty())
        .ok_or_else(|| bad("messages is required"))?;
    for (i, m) in messages.iter().enumerate() {
        let role = m["role"].as_str().unwrap_or_default();
        if !["system", "user", "assistant", "function"].contains(&role) || !m["content"].is_string()
        {
            return Err(bad(&format!(
                "a message with role {role:?} and no text content"
            )));
        }
        if role == "system" && i > 0 {
            return Err((
                StatusCode::UNPROCESSABLE_ENTITY,
                "system message must be the first message".into(),
            ));
        }
    }
    if object
        .get("temperature")
        .is_some_and(|t| t.as_f64().is_none_or(|t| t <= 0.0 || t > 2.0))
    {
        return Err(bad("temperature must be above 0 and at most 2"));
    }
    if object
        .get("max_tokens")
        .is_some_and(|n| n.as_u64().is_none_or(|n| n == 0))
    {
        return Err(bad("max_tokens must be a positive integer"));
    }
    if object.get("stream").and_then(Value::as_bool) == Some(true) {
        return Err(bad("the stand-in does not stream"));
    }
    let mut names = Vec::new();
    if let Some(functions) = object.get("functions") {
        let functions = functions
            .as_array()
            .ok_or_else(|| bad("functions must be an array"))?;
        for f in functions {
            let name = f["name"].as_str().unwrap_or_default();
            let parameters = &f["parameters"];
            if name.is_empty()
                || !parameters.is_object()
                || parameters["type"] != json!("object")
                || !parameters["properties"].is_object()
            {
                return Err(bad(
                    "a function needs a name and an object schema as parameters",
                ));
            }
            names.push(name);
        }
    }
    match object.get("function_call") {
        None => {}
        Some(Value::String(mode)) if mode == "auto" || mode == "none" => {}
        Some(Value::Object(call)) => {
            let name = call.get("name").and_then(Value::as_str).unwrap_or_default();
            if !names.contains(&name) {
                return Err(bad("the forced function is not in functions"));
            }
        }
        Some(_) => return Err(bad("function_call must be auto, none or {\"name\": …}")),
    }
    Ok(())
}

fn tokens(text: &str) -> u32 {
    u32::try_from(text.chars().count().div_ceil(4)).unwrap_or(u32::MAX)
}

fn answer(request: &Value, content: &str) -> Response {
    let prompt: u32 = request["messages"]
        .as_array()
        .map(|ms| {
            ms.iter()
                .map(|m| tokens(m["content"].as_str().unwrap_or_default()))
                .sum()
        })
        .unwrap_or(0)
        + tokens(&request["functions"].to_string());
    let max = request["max_tokens"]
        .as_u64()
        .map_or(u32::MAX, |n| u32::try_from(n).unwrap_or(u32::MAX));
    let forced = request["function_call"]["name"].as_str();
    let completion_tokens = tokens(content).min(max);
    let message = match (forced, serde_json::from_str::<Value>(content)) {
        (Some(name), Ok(arguments @ Value::Object(_))) if tokens(content) <= max => json!({
            "role": "assistant", "content": "",
            "function_call": {"name": name, "arguments": arguments},
            "functions_state_id": uuid::Uuid::new_v4().to_string(),
        }),
        _ => {
            let text: String = content.chars().take(max as usize * 4).collect();
            json!({"role": "assistant", "content": text})
        }
    };
    let finish = if message.get("function_call").is_some() {
        "function_call"
    } else if tokens(content) > max {
        "length"
    } else {
        "stop"
    };
    let model = request["model"].as_str().unwrap_or_default();
    axum::Json(json!({
        "choices": [{"message": message, "index": 0, "finish_reason": finish}],
        "created": 1_765_000_000,
        "model": format!("{model}:standin"),
        "object": "chat.completion",
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt + completion_tokens,
            "precached_prompt_tokens": 0,
        },
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid4s_and_forms_are_read_as_gigachat_writes_them() {
        assert!(is_uuid4("6f0b1291-c7f3-43c6-bb2e-9f3efb2dc98e"));
        assert!(!is_uuid4("6f0b1291-c7f3-13c6-bb2e-9f3efb2dc98e"));
        assert!(!is_uuid4("not-a-uuid"));
        assert_eq!(
            url_form("scope=GIGACHAT_API_PERS&x=a%20b+c"),
            [
                ("scope".to_owned(), "GIGACHAT_API_PERS".to_owned()),
                ("x".to_owned(), "a b c".to_owned())
            ]
        );
        assert!(is_base64("ZTU2MjM2MjctYmI4Yw=="));
        assert!(!is_base64("не ключ"));
    }
}
