//! An in-process stand-in of an OpenAI-compatible chat-completions API on 127.0.0.1,
//! for tests (feature `standin`; never in production).
//!
//! Written from the providers' references, not from our client: Yandex AI Studio's
//! `createChatCompletion` (yandex.cloud/docs/ai-studio/chat/createChatCompletion — the
//! answer's `id`, `choices[].message.content`, `created`, `model`, `object`, `usage`
//! are required fields) and OpenAI's chat API it follows (errors as
//! `{"error":{"message","type","code"}}`, 429 with `Retry-After`, `stream: true` as
//! server-sent `chat.completion.chunk` events ending in `data: [DONE]`, usage in a last
//! chunk only with `stream_options.include_usage`). Where the references are silent it
//! is stricter: an unknown top-level field, a `tool_choice` other than `auto`/`none`
//! (Yandex allows only those), a `json_schema` without a valid name or an object
//! schema, an unknown model or a missing key are refused with 400/401/404.
//!
//! What the model says is scripted by the test ([`Script`]); tokens are counted as one
//! per four characters of the messages (a rule of thumb, stated so tests can rely on it).

pub mod gigachat;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the stand-in does with one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// Answers with this message content.
    Content(String),
    /// Waits this long, then does the rest.
    Slow(Duration, Box<Reply>),
    /// 429 with `Retry-After` in seconds.
    TooMany(u64),
    /// Another HTTP error with a message.
    Error(u16, String),
    /// A 200 whose body is not a completion.
    Garbage(String),
}

/// Decides each request's [`Reply`] from the request body.
pub type Script = Arc<dyn Fn(&Value) -> Reply + Send + Sync>;

/// What a running stand-in saw.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    /// The request body.
    pub body: Value,
    /// The `Authorization` header.
    pub authorization: Option<String>,
    /// The `x-data-logging-enabled` header.
    pub data_logging: Option<String>,
}

struct Shared {
    key: Option<String>,
    models: Vec<String>,
    script: Mutex<Script>,
    seen: Mutex<Vec<Seen>>,
}

/// A running stand-in.
pub struct StandIn {
    addr: SocketAddr,
    shared: Arc<Shared>,
    _task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for StandIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StandIn").field("addr", &self.addr).finish()
    }
}

impl StandIn {
    /// Starts one that takes `Authorization: <key>` (the whole header value, scheme
    /// included; `None`: no key needed), knows `models`, and answers by `script`.
    pub async fn start(
        key: Option<&str>,
        models: &[&str],
        script: Script,
    ) -> std::io::Result<StandIn> {
        let shared = Arc::new(Shared {
            key: key.map(str::to_owned),
            models: models.iter().map(|m| (*m).to_owned()).collect(),
            script: Mutex::new(script),
            seen: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route("/v1/chat/completions", post(completions))
            .with_state(Arc::clone(&shared));
        let (addr, task) = serve(app).await?;
        Ok(StandIn {
            addr,
            shared,
            _task: task,
        })
    }

    /// The API base (`http://127.0.0.1:…/v1`).
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Replaces the script.
    pub fn script(&self, script: Script) {
        *lock(&self.shared.script) = script;
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        lock(&self.shared.seen).clone()
    }
}

/// Serves `app` on a free port of 127.0.0.1 until the task is dropped with its stand-in
/// (both stand-ins start this way).
async fn serve(app: Router) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((addr, task))
}

/// Locks a stand-in's state, a test's panic elsewhere notwithstanding.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Top-level request fields of the chat API (OpenAI's reference; Yandex's is a subset).
const FIELDS: &[&str] = &[
    "messages",
    "model",
    "frequency_penalty",
    "logit_bias",
    "logprobs",
    "top_logprobs",
    "max_tokens",
    "max_completion_tokens",
    "n",
    "presence_penalty",
    "response_format",
    "seed",
    "stop",
    "stream",
    "stream_options",
    "temperature",
    "top_p",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "user",
    "reasoning_effort",
    "metadata",
    "store",
];

fn error(status: StatusCode, kind: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": {"message": message, "type": kind, "code": null}})),
    )
        .into_response()
}

async fn completions(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let authorization = header("authorization");
    if shared.key.is_some() && authorization != shared.key {
        return error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            "Unauthorized",
        );
    }
    let Ok(request) = serde_json::from_str::<Value>(&body) else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "the body is not JSON",
        );
    };
    lock(&shared.seen).push(Seen {
        body: request.clone(),
        authorization,
        data_logging: header("x-data-logging-enabled"),
    });
    if let Err(why) = check(&request, &shared.models) {
        let status = if why.starts_with("model") {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::BAD_REQUEST
        };
        return error(status, "invalid_request_error", &why);
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
                let mut r = error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limit_error",
                    "Too many requests",
                );
                r.headers_mut().insert("retry-after", seconds.into());
                return r;
            }
            Reply::Error(status, message) => {
                let status =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                return error(status, "server_error", &message);
            }
            Reply::Garbage(body) => return (StatusCode::OK, body).into_response(),
            Reply::Content(content) => return answer(&request, &content),
        }
    }
}

/// The request as the references allow it (stricter where they are silent).
fn check(request: &Value, models: &[String]) -> Result<(), String> {
    let object = request.as_object().ok_or("the body is not an object")?;
    if let Some(field) = object.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(format!("unknown field {field:?}"));
    }
    let model = object
        .get("model")
        .and_then(Value::as_str)
        .ok_or("model is required")?;
    if !models.iter().any(|m| m == model) {
        return Err(format!("model {model:?} does not exist"));
    }
    let messages = object
        .get("messages")
        .and_then(Value::as_array)
        .ok_or("messages is required")?;
    if messages.is_empty() {
        return Err("messages must not be empty".into());
    }
    for m in messages {
        let role = m["role"].as_str().unwrap_or_default();
        if !["system", "user", "assistant", "tool", "developer"].contains(&role)
            || !m["content"].is_string()
        {
            return Err(format!("a message with role {role:?} and no text content"));
        }
    }
    if object
        .get("max_tokens")
        .is_some_and(|n| n.as_u64().is_none_or(|n| n == 0))
    {
        return Err("max_tokens must be a positive integer".into());
    }
    if object
        .get("temperature")
        .is_some_and(|t| t.as_f64().is_none_or(|t| !(0.0..=2.0).contains(&t)))
    {
        return Err("temperature must be within 0..=2".into());
    }
    if object
        .get("tool_choice")
        .is_some_and(|c| !matches!(c.as_str(), Some("auto" | "none")))
    {
        return Err("tool_choice may only be auto or none".into());
    }
    if let Some(format) = object.get("response_format") {
        match format["type"].as_str() {
            Some("text" | "json_object") => {}
            Some("json_schema") => {
                let schema = &format["json_schema"];
                let name = schema["name"].as_str().unwrap_or_default();
                let name_ok = !name.is_empty()
                    && name.len() <= 64
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                if !name_ok || !schema["schema"].is_object() {
                    return Err("json_schema needs a name and an object schema".into());
                }
                // OpenAI's Structured Outputs, strict mode: every object lists all its
                // properties in `required` and sets `additionalProperties: false`
                // (platform.openai.com/docs/guides/structured-outputs, "Supported
                // schemas"); Yandex's reference is silent, so the stand-in holds to it.
                if schema["strict"].as_bool() == Some(true) && !strict_ok(&schema["schema"]) {
                    return Err("a strict json_schema needs every property required and additionalProperties false".into());
                }
            }
            _ => return Err("response_format.type is unknown".into()),
        }
    }
    Ok(())
}

/// Whether every object in `schema` meets strict mode's rules.
fn strict_ok(schema: &Value) -> bool {
    let Some(object) = schema.as_object() else {
        return true;
    };
    if let Some(properties) = object.get("properties").and_then(Value::as_object) {
        let required: Vec<&str> = object
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if object.get("additionalProperties") != Some(&Value::Bool(false))
            || properties.keys().any(|k| !required.contains(&k.as_str()))
            || !properties.values().all(strict_ok)
        {
            return false;
        }
    }
    ["items", "anyOf"]
        .iter()
        .filter_map(|k| object.get(*k))
        .all(|v| match v {
            Value::Array(all) => all.iter().all(strict_ok),
            one => strict_ok(one),
        })
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
        .unwrap_or(0);
    let max = request["max_tokens"]
        .as_u64()
        .map_or(u32::MAX, |n| n as u32);
    let completion_tokens = tokens(content).min(max);
    let (content, finish) = if tokens(content) > max {
        (
            content.chars().take(max as usize * 4).collect::<String>(),
            "length",
        )
    } else {
        (content.to_owned(), "stop")
    };
    let model = request["model"].clone();
    let usage = json!({
        "prompt_tokens": prompt,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt + completion_tokens,
    });
    if request["stream"].as_bool() == Some(true) {
        let mut events = String::new();
        let chunk = |delta: Value, finish: Value| {
            json!({
                "id": "chatcmpl-standin", "object": "chat.completion.chunk", "created": 1_765_000_000,
                "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            })
        };
        events.push_str(&format!(
            "data: {}\n\n",
            chunk(json!({"role": "assistant", "content": ""}), Value::Null)
        ));
        let chars: Vec<char> = content.chars().collect();
        for piece in chars.chunks(8) {
            let piece: String = piece.iter().collect();
            events.push_str(&format!(
                "data: {}\n\n",
                chunk(json!({"content": piece}), Value::Null)
            ));
        }
        events.push_str(&format!("data: {}\n\n", chunk(json!({}), json!(finish))));
        if request["stream_options"]["include_usage"].as_bool() == Some(true) {
            let mut last = chunk(json!({}), Value::Null);
            last["choices"] = json!([]);
            last["usage"] = usage;
            events.push_str(&format!("data: {last}\n\n"));
        }
        events.push_str("data: [DONE]\n\n");
        return (
            StatusCode::OK,
            [("content-type", "text/event-stream")],
            events,
        )
            .into_response();
    }
    axum::Json(json!({
        "id": "chatcmpl-standin",
        "object": "chat.completion",
        "created": 1_765_000_000,
        "model": model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": null},
            "finish_reason": finish,
            "logprobs": null,
        }],
        "usage": usage,
    }))
    .into_response()
}
