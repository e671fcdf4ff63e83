//! The provider: an OpenAI-compatible chat-completions endpoint (Yandex AI Studio by
//! default, any compatible server — vLLM, llama.cpp, Ollama — by its URL).
//!
//! The request and answer are `async-openai`'s types, which follow OpenAI's API; the
//! transport is ours, because the turn needs what that client's own does not give: one
//! attempt and no hidden retries (its default retries a 429 for up to 8 s, longer than a
//! turn), the whole exchange cancelled at the deadline, and `Retry-After` handed to the
//! circuit breaker. The host never streams: the grounding check needs the whole phrase
//! before a word of it is spoken, and a two-sentence answer is one short generation.
//!
//! Yandex AI Studio: `POST {base}/chat/completions` with `Authorization: Api-Key …`,
//! model URIs `gpt://<folder>/yandexgpt-lite/latest`, `response_format: json_schema`,
//! and `x-data-logging-enabled: false` so prompts stay out of the provider's logs
//! (yandex.cloud/docs/ai-studio/chat/createChatCompletion).

use crate::prompt::Prompt;
use async_openai::types::chat::{
    ChatCompletionRequestMessage, ChatCompletionRequestSystemMessage,
    ChatCompletionRequestSystemMessageContent, ChatCompletionRequestUserMessage,
    ChatCompletionRequestUserMessageContent, CreateChatCompletionRequest,
    CreateChatCompletionResponse, ResponseFormat, ResponseFormatJsonSchema,
};
use std::time::Duration;
use sva_abi::ModelTier;
use sva_kit::config::Secret;
use tokio::time::Instant;

/// How the provider takes its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthScheme {
    /// `Authorization: Api-Key <key>` (Yandex Cloud API keys).
    ApiKey,
    /// `Authorization: Bearer <key>` (OpenAI, most compatible servers, IAM tokens).
    Bearer,
}

/// One provider and the models of its tiers.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    /// The API base, ending before `/chat/completions`.
    pub base_url: String,
    /// The key; `None` for a local server that takes none.
    pub key: Option<Secret>,
    /// How the key is sent.
    pub auth: AuthScheme,
    /// The model of the `lite` tier.
    pub lite: String,
    /// The model of the `pro` tier.
    pub pro: String,
    /// Headers sent with every request (Yandex: `x-data-logging-enabled: false`).
    pub headers: Vec<(String, String)>,
}

impl ProviderConfig {
    /// Yandex AI Studio in `folder`: YandexGPT Lite and Pro, prompts kept out of logs.
    pub fn yandex(folder: &str, key: Secret) -> Self {
        ProviderConfig {
            base_url: "https://llm.api.cloud.yandex.net/v1".into(),
            key: Some(key),
            auth: AuthScheme::ApiKey,
            lite: format!("gpt://{folder}/yandexgpt-lite/latest"),
            pro: format!("gpt://{folder}/yandexgpt/latest"),
            headers: vec![("x-data-logging-enabled".into(), "false".into())],
        }
    }

    /// The configuration in the environment (`std::env::var`); see [`Self::from_vars`].
    pub fn from_env() -> Result<Option<ProviderConfig>, ProviderError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// The configuration in variables, `Ok(None)` when no model is configured:
    ///
    /// * `SVA_LLM_FOLDER` + `SVA_LLM_API_KEY` — Yandex AI Studio in that folder
    ///   (YandexGPT Lite and Pro);
    /// * or `SVA_LLM_URL` (an OpenAI-compatible base such as `http://127.0.0.1:11434/v1`
    ///   for Ollama) with `SVA_LLM_MODEL` (both tiers) and an optional `SVA_LLM_API_KEY`
    ///   (sent as `Bearer`);
    /// * `SVA_LLM_LITE` / `SVA_LLM_PRO` name another model for a tier, `SVA_LLM_AUTH`
    ///   (`api-key` or `bearer`) overrides how the key is sent.
    pub fn from_vars(
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<ProviderConfig>, ProviderError> {
        let var = |name: &str| {
            var(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let bad = ProviderError::Config;
        let key = var("SVA_LLM_API_KEY").map(Secret::new);
        let mut config = match (var("SVA_LLM_URL"), var("SVA_LLM_FOLDER")) {
            (None, None) if key.is_none() => return Ok(None),
            (None, Some(folder)) => {
                let key = key.ok_or_else(|| bad("SVA_LLM_FOLDER needs SVA_LLM_API_KEY".into()))?;
                ProviderConfig::yandex(&folder, key)
            }
            (Some(url), _) => {
                let model = var("SVA_LLM_MODEL")
                    .ok_or_else(|| bad("SVA_LLM_URL needs SVA_LLM_MODEL".into()))?;
                ProviderConfig {
                    base_url: url,
                    key,
                    auth: AuthScheme::Bearer,
                    lite: model.clone(),
                    pro: model,
                    headers: Vec::new(),
                }
            }
            (None, None) => {
                return Err(bad(
                    "SVA_LLM_API_KEY needs SVA_LLM_FOLDER or SVA_LLM_URL".into()
                ));
            }
        };
        if let Some(lite) = var("SVA_LLM_LITE") {
            config.lite = lite;
        }
        if let Some(pro) = var("SVA_LLM_PRO") {
            config.pro = pro;
        }
        match var("SVA_LLM_AUTH").as_deref() {
            None => {}
            Some("api-key") => config.auth = AuthScheme::ApiKey,
            Some("bearer") => config.auth = AuthScheme::Bearer,
            Some(other) => {
                return Err(bad(format!(
                    "SVA_LLM_AUTH {other:?} is not api-key or bearer"
                )));
            }
        }
        Ok(Some(config))
    }

    /// The model of a tier.
    pub fn model(&self, tier: ModelTier) -> &str {
        match tier {
            ModelTier::Lite => &self.lite,
            ModelTier::Pro => &self.pro,
        }
    }
}

/// The model's answer: its text and what it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    /// The message's content.
    pub content: String,
    /// Prompt tokens, as the provider counted them.
    pub prompt_tokens: u32,
    /// Completion tokens, as the provider counted them.
    pub completion_tokens: u32,
    /// From sending the request to reading the whole answer.
    pub latency: Duration,
}

/// Why there is no completion.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The deadline passed first; the request was dropped.
    #[error("the model did not answer within {0:?}")]
    Timeout(Duration),
    /// 429: too many requests; come back after this long.
    #[error("the provider asks to slow down for {0:?}")]
    SlowDown(Duration),
    /// Any other refusal (4xx, 5xx), with the provider's message.
    #[error("the provider refused with {status}: {message}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The provider's message (never the request: it holds the caller's words).
        message: String,
    },
    /// No connection, a broken one.
    #[error("the provider could not be reached: {0}")]
    Unreachable(String),
    /// The deployment's configuration is incomplete or wrong.
    #[error("the language model is misconfigured: {0}")]
    Config(String),
    /// A 200 that is not a completion with content.
    #[error("the provider's answer is not a completion: {0}")]
    BadAnswer(String),
}

/// A client of one provider.
#[derive(Debug, Clone)]
pub struct Provider {
    config: ProviderConfig,
    http: reqwest::Client,
}

/// The `Retry-After` used when a 429 gives none.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(10);

impl Provider {
    /// A client; connections are kept and reused between turns.
    pub fn new(config: ProviderConfig) -> Result<Self, ProviderError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_nodelay(true)
            .build()
            .map_err(|e| ProviderError::Unreachable(e.to_string()))?;
        Ok(Provider { config, http })
    }

    /// The configuration (for the models of the tiers and the price table).
    pub fn config(&self) -> &ProviderConfig {
        &self.config
    }

    /// The request body of a prompt (also what the stand-in tests read).
    pub fn request(
        &self,
        prompt: &Prompt,
        tier: ModelTier,
        max_tokens: u32,
    ) -> CreateChatCompletionRequest {
        #[allow(deprecated)] // `max_tokens` is what Yandex AI Studio documents.
        CreateChatCompletionRequest {
            model: self.config.model(tier).to_owned(),
            messages: vec![
                ChatCompletionRequestMessage::System(ChatCompletionRequestSystemMessage {
                    content: ChatCompletionRequestSystemMessageContent::Text(prompt.system.clone()),
                    name: None,
                }),
                ChatCompletionRequestMessage::User(ChatCompletionRequestUserMessage {
                    content: ChatCompletionRequestUserMessageContent::Text(prompt.user.clone()),
                    name: None,
                }),
            ],
            max_tokens: Some(max_tokens),
            temperature: Some(prompt.temperature),
            response_format: Some(ResponseFormat::JsonSchema {
                json_schema: ResponseFormatJsonSchema {
                    description: None,
                    name: prompt.schema_name.to_owned(),
                    schema: prompt.schema.clone(),
                    // Not `strict`: OpenAI's strict mode refuses any schema in which an
                    // object has optional properties or lacks `additionalProperties:
                    // false`, and a scenario's `values` schema may have both. The
                    // schema guides the model; `answer::read` enforces it.
                    strict: None,
                },
            }),
            stream: Some(false),
            ..CreateChatCompletionRequest::default()
        }
    }

    /// Asks for one completion, giving up at `deadline` (one attempt, no retries).
    pub async fn complete(
        &self,
        prompt: &Prompt,
        tier: ModelTier,
        max_tokens: u32,
        deadline: Duration,
    ) -> Result<Completion, ProviderError> {
        let started = Instant::now();
        let body = self.request(prompt, tier, max_tokens);
        match tokio::time::timeout(deadline, self.exchange(&body)).await {
            Ok(Ok(answer)) => completion(answer, started.elapsed()),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(ProviderError::Timeout(deadline)),
        }
    }

    async fn exchange(
        &self,
        body: &CreateChatCompletionRequest,
    ) -> Result<CreateChatCompletionResponse, ProviderError> {
        let url = format!(
            "{}/chat/completions",
            self.config.base_url.trim_end_matches('/')
        );
        let mut request = self.http.post(url).json(body);
        if let Some(key) = &self.config.key {
            let scheme = match self.config.auth {
                AuthScheme::ApiKey => "Api-Key",
                AuthScheme::Bearer => "Bearer",
            };
            request = request.header("authorization", format!("{scheme} {}", key.expose()));
        }
        for (name, value) in &self.config.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let response = request
            .send()
            .await
            .map_err(|e| ProviderError::Unreachable(without_url(&e)))?;
        let status = response.status();
        if status.as_u16() == 429 {
            let after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map_or(DEFAULT_RETRY_AFTER, Duration::from_secs);
            return Err(ProviderError::SlowDown(after));
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| ProviderError::Unreachable(without_url(&e)))?;
        if !status.is_success() {
            return Err(ProviderError::Refused {
                status: status.as_u16(),
                message: error_message(&bytes),
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| ProviderError::BadAnswer(e.to_string()))
    }
}

fn completion(
    answer: CreateChatCompletionResponse,
    latency: Duration,
) -> Result<Completion, ProviderError> {
    let usage = answer.usage.unwrap_or_default();
    let content = answer
        .choices
        .into_iter()
        .next()
        .and_then(|c| c.message.content)
        .ok_or_else(|| ProviderError::BadAnswer("no content in the first choice".into()))?;
    Ok(Completion {
        content,
        prompt_tokens: usage.prompt_tokens,
        completion_tokens: usage.completion_tokens,
        latency,
    })
}

/// The provider's error message (`{"error":{"message":…}}`), shortened.
fn error_message(body: &[u8]) -> String {
    let message = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    message.chars().take(200).collect()
}

/// reqwest's error without the URL (which may carry a key in a query string).
fn without_url(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    if let Some(url) = e.url() {
        text = text.replace(url.as_str(), "<provider>");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn the_environment_names_yandex_or_any_compatible_server() {
        assert!(ProviderConfig::from_vars(vars(&[])).unwrap().is_none());
        let yandex =
            ProviderConfig::from_vars(vars(&[("SVA_LLM_FOLDER", "b1g"), ("SVA_LLM_API_KEY", "k")]))
                .unwrap()
                .unwrap();
        assert_eq!(yandex.lite, "gpt://b1g/yandexgpt-lite/latest");
        assert_eq!(yandex.auth, AuthScheme::ApiKey);
        assert_eq!(
            yandex.headers,
            [("x-data-logging-enabled".to_owned(), "false".to_owned())]
        );
        let ollama = ProviderConfig::from_vars(vars(&[
            ("SVA_LLM_URL", "http://127.0.0.1:11434/v1"),
            ("SVA_LLM_MODEL", "qwen3:8b"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(
            (ollama.lite.as_str(), ollama.pro.as_str()),
            ("qwen3:8b", "qwen3:8b")
        );
        assert!(ollama.key.is_none());
        for wrong in [
            vec![("SVA_LLM_FOLDER", "b1g")],
            vec![("SVA_LLM_API_KEY", "k")],
            vec![("SVA_LLM_URL", "http://x/v1")],
            vec![
                ("SVA_LLM_FOLDER", "b1g"),
                ("SVA_LLM_API_KEY", "k"),
                ("SVA_LLM_AUTH", "basic"),
            ],
        ] {
            assert!(
                ProviderConfig::from_vars(vars(&wrong)).is_err(),
                "{wrong:?}"
            );
        }
    }
}
