//! GigaChat (Sber) through an adapter: OAuth client credentials for a 30-minute access
//! token, and GigaChat's own chat completions with the older `functions` format.
//!
//! Sources (GigaChat's documentation and its official SDK, read 2026-12-07):
//!
//! * the token: `POST https://ngw.devices.sberbank.ru:9443/api/v2/oauth` with
//!   `Authorization: Basic <authorization key>`, `RqUID: <uuid4>` (required, "a unique
//!   request id in the uuid4 format") and the form field `scope` (`GIGACHAT_API_PERS`,
//!   `GIGACHAT_API_B2B`, `GIGACHAT_API_CORP`); the answer is `{"access_token",
//!   "expires_at"}`, valid 30 minutes, `expires_at` in Unix milliseconds
//!   (developers.sber.ru/docs/ru/gigachat/api/reference/rest/post-token,
//!   developers.sber.ru/docs/ru/gigachat/api/authorization; `github:ai-forever/gigachat`
//!   `src/gigachat/models/auth.py`, `src/gigachat/api/auth.py`, which also accepts the
//!   older `{"tok","exp"}` shape);
//! * the chat: `POST https://gigachat.devices.sberbank.ru/api/v1/chat/completions` with
//!   `Authorization: Bearer <access token>`; models `GigaChat-2` (Lite), `GigaChat-2-Pro`,
//!   `GigaChat-2-Max` (developers.sber.ru/docs/ru/gigachat/guides/selecting-a-model);
//!   `functions` (name, description, `parameters` as a JSON schema) and `function_call`
//!   `"none"`, `"auto"` or `{"name": …}` to force the arguments of that function
//!   (developers.sber.ru/docs/ru/gigachat/guides/functions/function-calling-modes); the
//!   answer's `message.function_call.arguments` is a JSON **object**, not a string, with
//!   `finish_reason: "function_call"` (`github:ai-forever/gigachat`
//!   `src/gigachat/models/chat.py`, `tests/data/chat_completion_function.json`);
//!   `usage.prompt_tokens` / `completion_tokens`;
//! * the errors: `{"status": 404, "message": "No such model"}` and `{"status": 401,
//!   "message": "Unauthorized"}` on the chat; `{"code": 6, "message": "credentials doesn't
//!   match db data"}` (401) and `{"code": 5, "message": "scope is empty"}` /
//!   `{"code": 7, …}` (400) on the token (developers.sber.ru/docs/ru/gigachat/api/errors-description);
//!   the SDK refreshes the token once when a request gets 401
//!   (`src/gigachat/authentication.py`) and 60 s before `expires_at`
//!   (`src/gigachat/settings.py`, `token_expiry_buffer_ms`).
//!
//! Why functions and not `response_format`: GigaChat's structured output (`response_format:
//! json_schema`) is documented for the clients of «Салют для Бизнеса» at
//! `https://api.giga.chat/` only (developers.sber.ru/docs/ru/gigachat/guides/structured-output,
//! June 2026), and the SDK calls it beta. Forcing one function whose `parameters` are the
//! answer's schema works on every model and endpoint; its `arguments` are the answer,
//! which `answer::read` checks as it checks any provider's.
//!
//! The token is cached until `refresh_before` ahead of `expires_at`; concurrent turns
//! that find it stale share one refresh (they wait on one lock, the first fetches, the
//! others find it fresh); a 401 on the chat drops the token it used and tries once more
//! with a new one. All of it — the token, the chat, the retry after a 401 — runs inside
//! the turn's deadline ([`crate::provider::Provider::complete`] wraps the whole
//! exchange). The key and the tokens are never logged, returned or put in an error.

use crate::prompt::Prompt;
use crate::provider::{Completion, ProviderError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use sva_kit::config::Secret;
use tokio::time::Instant;

/// GigaChat's chat API base.
pub const BASE_URL: &str = "https://gigachat.devices.sberbank.ru/api/v1";
/// GigaChat's OAuth endpoint.
pub const OAUTH_URL: &str = "https://ngw.devices.sberbank.ru:9443/api/v2/oauth";
/// The model of the `lite` tier (GigaChat 2 Lite).
pub const LITE: &str = "GigaChat-2";
/// The model of the `pro` tier (GigaChat 2 Pro; `GigaChat-2-Max` by `SVA_LLM_PRO`).
pub const PRO: &str = "GigaChat-2-Pro";
/// How long before `expires_at` a token is refreshed (the SDK's default, 60 s).
pub const REFRESH_BEFORE: Duration = Duration::from_secs(60);

/// The API version a key gives access to (its `scope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `GIGACHAT_API_PERS`: individuals.
    Pers,
    /// `GIGACHAT_API_B2B`: businesses, prepaid.
    B2b,
    /// `GIGACHAT_API_CORP`: businesses, postpaid.
    Corp,
}

impl Scope {
    /// The value of the `scope` form field.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Pers => "GIGACHAT_API_PERS",
            Scope::B2b => "GIGACHAT_API_B2B",
            Scope::Corp => "GIGACHAT_API_CORP",
        }
    }

    /// The scope named `value` (as GigaChat spells it).
    pub fn parse(value: &str) -> Option<Scope> {
        [Scope::Pers, Scope::B2b, Scope::Corp]
            .into_iter()
            .find(|s| s.as_str() == value)
    }
}

/// How the adapter gets its access tokens.
#[derive(Debug, Clone)]
pub struct GigaChatAuth {
    /// The OAuth endpoint ([`OAUTH_URL`]).
    pub oauth_url: String,
    /// The authorization key (base64 of `client_id:client_secret`, from the project's
    /// page in Studio), sent as `Authorization: Basic <key>`.
    pub key: Secret,
    /// The key's API version.
    pub scope: Scope,
    /// How long before `expires_at` a token is replaced ([`REFRESH_BEFORE`]).
    pub refresh_before: Duration,
}

impl GigaChatAuth {
    /// GigaChat's OAuth endpoint with `key` for `scope`.
    pub fn new(key: Secret, scope: Scope) -> Self {
        GigaChatAuth {
            oauth_url: OAUTH_URL.into(),
            key,
            scope,
            refresh_before: REFRESH_BEFORE,
        }
    }
}

/// One access token and when GigaChat says it expires.
struct Token {
    value: Secret,
    /// Unix milliseconds.
    expires_at: u64,
}

/// The deployment's access token, shared by every turn.
#[derive(Default)]
pub(crate) struct Tokens {
    // An async lock held across the fetch: the single flight. A turn cancelled at its
    // deadline while fetching drops the fetch; the next turn starts another.
    current: tokio::sync::Mutex<Option<Token>>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokens(..)")
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl Tokens {
    /// A token that is not about to expire, fetched if the cached one is.
    async fn get(
        &self,
        http: &reqwest::Client,
        auth: &GigaChatAuth,
    ) -> Result<Secret, ProviderError> {
        let mut current = self.current.lock().await;
        let margin = u64::try_from(auth.refresh_before.as_millis()).unwrap_or(u64::MAX);
        if let Some(token) = current.as_ref()
            && token.expires_at > now_ms().saturating_add(margin)
        {
            return Ok(token.value.clone());
        }
        *current = None;
        let token = fetch(http, auth).await?;
        let value = token.value.clone();
        *current = Some(token);
        Ok(value)
    }

    /// Forgets `used` if it is still the cached token (a 401 said it is no longer valid).
    async fn drop_if(&self, used: &Secret) {
        let mut current = self.current.lock().await;
        if current
            .as_ref()
            .is_some_and(|t| t.value.expose() == used.expose())
        {
            *current = None;
        }
    }
}

/// The token endpoint's answer (`access_token`/`expires_at`, or the older `tok`/`exp`).
#[derive(Deserialize)]
struct TokenAnswer {
    #[serde(alias = "tok")]
    access_token: String,
    #[serde(alias = "exp")]
    expires_at: u64,
}

async fn fetch(http: &reqwest::Client, auth: &GigaChatAuth) -> Result<Token, ProviderError> {
    let response = http
        .post(&auth.oauth_url)
        .header("authorization", format!("Basic {}", auth.key.expose()))
        .header("rquid", uuid::Uuid::new_v4().to_string())
        .header("accept", "application/json")
        // The form by hand: the scopes are `[A-Z_]`, nothing to escape.
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("scope={}", auth.scope.as_str()))
        .send()
        .await
        .map_err(|e| ProviderError::Unreachable(crate::provider::without_url(&e)))?;
    let status = response.status();
    if status.as_u16() == 429 {
        return Err(ProviderError::SlowDown(crate::provider::retry_after(
            response.headers(),
        )));
    }
    let bytes = response
        .bytes()
        .await
        .map_err(|e| ProviderError::Unreachable(crate::provider::without_url(&e)))?;
    if !status.is_success() {
        return Err(ProviderError::Refused {
            status: status.as_u16(),
            message: format!("the token: {}", crate::provider::error_message(&bytes)),
        });
    }
    let answer: TokenAnswer = serde_json::from_slice(&bytes)
        .map_err(|e| ProviderError::BadAnswer(format!("the token answer: {e}")))?;
    // The docs' English page shows `exp` in seconds, the SDK and the Russian page in
    // milliseconds: a value before 2001 in milliseconds is taken as seconds.
    let expires_at = if answer.expires_at < 1_000_000_000_000 {
        answer.expires_at.saturating_mul(1_000)
    } else {
        answer.expires_at
    };
    Ok(Token {
        value: Secret::new(answer.access_token),
        expires_at,
    })
}

/// A message of GigaChat's chat.
#[derive(Debug, Serialize)]
pub struct Message<'a> {
    /// `system`, `user`, `assistant` or `function`.
    pub role: &'static str,
    /// The text.
    pub content: &'a str,
}

/// A function the model may call (here: must call, its arguments being the answer).
#[derive(Debug, Serialize)]
pub struct Function<'a> {
    /// The function's name.
    pub name: &'a str,
    /// What it is for.
    pub description: &'static str,
    /// Its arguments' JSON schema.
    pub parameters: &'a Value,
}

/// `function_call: {"name": …}`: the model must generate that function's arguments.
#[derive(Debug, Serialize)]
pub struct ForcedCall<'a> {
    /// The function's name.
    pub name: &'a str,
}

/// The request body of `POST /chat/completions` (GigaChat's fields only).
#[derive(Debug, Serialize)]
pub struct ChatRequest<'a> {
    /// The model.
    pub model: &'a str,
    /// The system message, then the user's.
    pub messages: Vec<Message<'a>>,
    /// Sampling temperature; GigaChat's reference says it must be above zero, so a
    /// prompt that asks for 0 sends none (the model's default) and relies on the
    /// forced function for its shape.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    /// The longest answer, in tokens.
    pub max_tokens: u32,
    /// Never streamed (see `provider`).
    pub stream: bool,
    /// The one function whose arguments are the answer.
    pub functions: Vec<Function<'a>>,
    /// Forces that function.
    pub function_call: ForcedCall<'a>,
}

/// The body GigaChat is sent for `prompt` on `model`.
pub fn request<'a>(prompt: &'a Prompt, model: &'a str, max_tokens: u32) -> ChatRequest<'a> {
    ChatRequest {
        model,
        messages: vec![
            Message {
                role: "system",
                content: &prompt.system,
            },
            Message {
                role: "user",
                content: &prompt.user,
            },
        ],
        temperature: (prompt.temperature > 0.0).then_some(prompt.temperature),
        max_tokens,
        stream: false,
        functions: vec![Function {
            name: prompt.schema_name,
            description: "Передать ответ ассистенту. Аргументы — весь ответ.",
            parameters: &prompt.schema,
        }],
        function_call: ForcedCall {
            name: prompt.schema_name,
        },
    }
}

#[derive(Deserialize)]
struct ChatAnswer {
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Usage,
}

#[derive(Deserialize)]
struct Choice {
    message: AnswerMessage,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct AnswerMessage {
    #[serde(default)]
    content: String,
    #[serde(default)]
    function_call: Option<FunctionCall>,
}

#[derive(Deserialize)]
struct FunctionCall {
    name: String,
    #[serde(default)]
    arguments: Option<Value>,
}

#[derive(Deserialize, Default)]
struct Usage {
    #[serde(default)]
    prompt_tokens: u32,
    #[serde(default)]
    completion_tokens: u32,
}

/// What one chat request came to.
enum Sent {
    Answer(ChatAnswer),
    Unauthorized,
}

/// One completion: a token (cached or fetched), the chat, and after a 401 one new token
/// and one more chat. The caller bounds it all by the deadline.
pub(crate) async fn complete(
    http: &reqwest::Client,
    auth: &GigaChatAuth,
    tokens: &Tokens,
    base_url: &str,
    body: &ChatRequest<'_>,
) -> Result<Completion, ProviderError> {
    let started = Instant::now();
    let url = format!("{}/chat/completions", base_url.trim_end_matches('/'));
    let token = tokens.get(http, auth).await?;
    let answer = match send(http, &url, &token, body).await? {
        Sent::Answer(answer) => answer,
        Sent::Unauthorized => {
            tokens.drop_if(&token).await;
            let token = tokens.get(http, auth).await?;
            match send(http, &url, &token, body).await? {
                Sent::Answer(answer) => answer,
                Sent::Unauthorized => {
                    return Err(ProviderError::Refused {
                        status: 401,
                        message: "a fresh access token was refused".into(),
                    });
                }
            }
        }
    };
    completion(answer, body.function_call.name, started.elapsed())
}

async fn send(
    http: &reqwest::Client,
    url: &str,
    token: &Secret,
    body: &ChatRequest<'_>,
) -> Result<Sent, ProviderError> {
    let response = http
        .post(url)
        .bearer_auth(token.expose())
        .header("accept", "application/json")
        .json(body)
        .send()
        .await
        .map_err(|e| ProviderError::Unreachable(crate::provider::without_url(&e)))?;
    let status = response.status();
    match status.as_u16() {
        401 => return Ok(Sent::Unauthorized),
        429 => {
            return Err(ProviderError::SlowDown(crate::provider::retry_after(
                response.headers(),
            )));
        }
        _ => {}
    }
    let bytes = response
        .bytes()
        .await
        .map_err(|e| ProviderError::Unreachable(crate::provider::without_url(&e)))?;
    if !status.is_success() {
        return Err(ProviderError::Refused {
            status: status.as_u16(),
            message: crate::provider::error_message(&bytes),
        });
    }
    serde_json::from_slice(&bytes)
        .map(Sent::Answer)
        .map_err(|e| ProviderError::BadAnswer(e.to_string()))
}

/// The answer's text: the forced function's arguments (an object) as JSON, or the
/// content when the model answered in words after all (then `answer::read` judges it).
fn completion(
    answer: ChatAnswer,
    function: &str,
    latency: Duration,
) -> Result<Completion, ProviderError> {
    let choice = answer
        .choices
        .into_iter()
        .next()
        .ok_or_else(|| ProviderError::BadAnswer("no choices".into()))?;
    // `blacklist`: GigaChat's topic filter answered instead of the model
    // (developers.sber.ru/docs/ru/gigachat/limitations).
    if choice.finish_reason.as_deref() == Some("blacklist") {
        return Err(ProviderError::BadAnswer(
            "GigaChat's topic filter answered".into(),
        ));
    }
    let content = match choice.message.function_call {
        Some(call) if call.name == function => match call.arguments {
            Some(arguments @ Value::Object(_)) => arguments.to_string(),
            Some(other) => {
                return Err(ProviderError::BadAnswer(format!(
                    "function arguments are not an object but {}",
                    kind(&other)
                )));
            }
            None => "{}".into(),
        },
        Some(call) => {
            return Err(ProviderError::BadAnswer(format!(
                "the model called {:?}, not {function:?}",
                call.name
            )));
        }
        None => choice.message.content,
    };
    Ok(Completion {
        content,
        prompt_tokens: answer.usage.prompt_tokens,
        completion_tokens: answer.usage.completion_tokens,
        latency,
    })
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answer(v: Value) -> ChatAnswer {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn the_forced_functions_object_arguments_are_the_answer() {
        // The SDK's own test data (tests/data/chat_completion_function.json), renamed.
        let a = answer(json!({
            "choices": [{"message": {"content": "", "role": "assistant",
                "function_call": {"name": "understand", "arguments": {"command": "budget"}}},
                "index": 0, "finish_reason": "function_call"}],
            "created": 1706016586, "model": "GigaChat-2", "object": "chat.completion",
            "usage": {"prompt_tokens": 138, "completion_tokens": 21, "total_tokens": 159}
        }));
        let c = completion(a, "understand", Duration::ZERO).unwrap();
        assert_eq!(c.content, r#"{"command":"budget"}"#);
        assert_eq!((c.prompt_tokens, c.completion_tokens), (138, 21));
        for (arguments, ok) in [(json!("{\"command\":\"x\"}"), false), (json!([1]), false)] {
            let a = answer(json!({"choices": [{"message": {"content": "",
                "function_call": {"name": "understand", "arguments": arguments}}}]}));
            assert_eq!(completion(a, "understand", Duration::ZERO).is_ok(), ok);
        }
        let other = answer(json!({"choices": [{"message": {"content": "",
            "function_call": {"name": "text2image", "arguments": {}}}}]}));
        assert!(completion(other, "understand", Duration::ZERO).is_err());
        let filtered = answer(json!({"choices": [{"message": {"content": "Не могу."},
            "finish_reason": "blacklist"}]}));
        assert!(completion(filtered, "understand", Duration::ZERO).is_err());
    }

    #[test]
    fn a_zero_temperature_is_not_sent_and_the_function_is_forced() {
        let prompt = Prompt {
            system: "s".into(),
            user: "u".into(),
            schema: json!({"type": "object", "properties": {}}),
            schema_name: "understand",
            temperature: 0.0,
        };
        let body = serde_json::to_value(request(&prompt, LITE, 50)).unwrap();
        assert!(body.get("temperature").is_none());
        assert_eq!(body["function_call"], json!({"name": "understand"}));
        assert_eq!(body["functions"][0]["name"], json!("understand"));
        assert_eq!(body["messages"][0]["role"], json!("system"));
        assert!(body.get("response_format").is_none());
    }

    #[test]
    fn scopes_are_spelled_as_gigachat_spells_them() {
        for s in [Scope::Pers, Scope::B2b, Scope::Corp] {
            assert_eq!(Scope::parse(s.as_str()), Some(s));
        }
        assert_eq!(Scope::parse("gigachat_api_pers"), None);
    }
}
