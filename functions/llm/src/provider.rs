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
//!
//! GigaChat speaks its own dialect ([`crate::gigachat`]): the same prompt, sent through
//! an adapter that gets OAuth tokens and forces a function instead of `response_format`.
//!
//! A provider whose certificates chain to a root the system does not trust (GigaChat's
//! to the Russian Trusted Root CA of the Ministry of Digital Development) is given that
//! root as a PEM file (`SVA_LLM_CA_FILE`), added to the roots reqwest trusts; the
//! certificates are always verified.

use crate::gigachat::{self, GigaChatAuth, Scope, Tokens};
use crate::prompt::Prompt;
use async_openai::types::chat::{
    ChatCompletionRequestMessage, ChatCompletionRequestSystemMessage,
    ChatCompletionRequestSystemMessageContent, ChatCompletionRequestUserMessage,
    ChatCompletionRequestUserMessageContent, CreateChatCompletionRequest,
    CreateChatCompletionResponse, ResponseFormat, ResponseFormatJsonSchema,
};
use std::path::PathBuf;
use std::sync::Arc;
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

/// Which API a provider speaks.
#[derive(Debug, Clone)]
pub enum Dialect {
    /// OpenAI's chat completions with `response_format: json_schema` (Yandex AI Studio,
    /// OpenAI, vLLM, llama.cpp, Ollama).
    OpenAi,
    /// GigaChat's chat completions with OAuth tokens and a forced function.
    GigaChat(GigaChatAuth),
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
    /// A PEM file of root certificates to trust besides the system's (GigaChat: the
    /// Russian Trusted Root CA).
    pub ca_file: Option<PathBuf>,
    /// The API it speaks.
    pub dialect: Dialect,
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
            ca_file: None,
            dialect: Dialect::OpenAi,
        }
    }

    /// Any OpenAI-compatible server at `base_url` serving `model` for both tiers.
    pub fn compatible(base_url: &str, model: &str, key: Option<Secret>) -> Self {
        ProviderConfig {
            base_url: base_url.into(),
            key,
            auth: AuthScheme::Bearer,
            lite: model.into(),
            pro: model.into(),
            headers: Vec::new(),
            ca_file: None,
            dialect: Dialect::OpenAi,
        }
    }

    /// GigaChat with an authorization key for `scope`: GigaChat 2 Lite and Pro.
    pub fn gigachat(key: Secret, scope: Scope) -> Self {
        ProviderConfig {
            base_url: gigachat::BASE_URL.into(),
            key: None,
            auth: AuthScheme::Bearer,
            lite: gigachat::LITE.into(),
            pro: gigachat::PRO.into(),
            headers: Vec::new(),
            ca_file: None,
            dialect: Dialect::GigaChat(GigaChatAuth::new(key, scope)),
        }
    }

    /// The configuration in the environment (`std::env::var`); see [`Self::from_vars`].
    pub fn from_env() -> Result<Option<ProviderConfig>, ProviderError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// The configuration in variables, `Ok(None)` when no model is configured:
    ///
    /// * `SVA_LLM_PROVIDER` — `yandex`, `openai` or `gigachat`; without it the provider
    ///   is the one whose variables are set;
    /// * yandex: `SVA_LLM_FOLDER` + `SVA_LLM_API_KEY` — Yandex AI Studio in that folder
    ///   (YandexGPT Lite and Pro);
    /// * openai: `SVA_LLM_URL` (an OpenAI-compatible base such as
    ///   `http://127.0.0.1:11434/v1` for Ollama) with `SVA_LLM_MODEL` (both tiers) and an
    ///   optional `SVA_LLM_API_KEY` (sent as `Bearer`);
    /// * gigachat: `SVA_LLM_GIGACHAT_KEY` (the authorization key) and
    ///   `SVA_LLM_GIGACHAT_SCOPE` (`GIGACHAT_API_PERS` by default, `GIGACHAT_API_B2B`,
    ///   `GIGACHAT_API_CORP`); `SVA_LLM_URL` / `SVA_LLM_GIGACHAT_OAUTH_URL` replace the
    ///   chat and token endpoints;
    /// * `SVA_LLM_LITE` / `SVA_LLM_PRO` name another model for a tier, `SVA_LLM_AUTH`
    ///   (`api-key` or `bearer`) overrides how an OpenAI-compatible key is sent,
    ///   `SVA_LLM_CA_FILE` adds a PEM file of root certificates to trust.
    pub fn from_vars(
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<ProviderConfig>, ProviderError> {
        let var = trimmed(var);
        match default_provider(&var)? {
            Some(provider) => Self::named(&provider, &var, true).map(Some),
            None => Ok(None),
        }
    }

    /// The provider `provider` from the (trimmed) variables; `default`: the one
    /// [`Self::from_vars`] gives, which `SVA_LLM_LITE`/`_PRO`/`_AUTH` (and, for
    /// gigachat, `SVA_LLM_URL`) shape — they are not another provider's.
    fn named(
        provider: &str,
        var: &impl Fn(&str) -> Option<String>,
        default: bool,
    ) -> Result<ProviderConfig, ProviderError> {
        let bad = ProviderError::Config;
        let key = var("SVA_LLM_API_KEY").map(Secret::new);
        let giga_key = var("SVA_LLM_GIGACHAT_KEY").map(Secret::new);
        let url = var("SVA_LLM_URL");
        let folder = var("SVA_LLM_FOLDER");
        let mut config = match provider {
            "yandex" => {
                let folder =
                    folder.ok_or_else(|| bad("the yandex provider needs SVA_LLM_FOLDER".into()))?;
                let key = key.ok_or_else(|| bad("SVA_LLM_FOLDER needs SVA_LLM_API_KEY".into()))?;
                ProviderConfig::yandex(&folder, key)
            }
            "openai" => {
                let url = url.ok_or_else(|| bad("the openai provider needs SVA_LLM_URL".into()))?;
                let model = var("SVA_LLM_MODEL")
                    .ok_or_else(|| bad("SVA_LLM_URL needs SVA_LLM_MODEL".into()))?;
                ProviderConfig::compatible(&url, &model, key)
            }
            "gigachat" => {
                let giga_key = giga_key.ok_or_else(|| {
                    bad("the gigachat provider needs SVA_LLM_GIGACHAT_KEY".into())
                })?;
                let scope = match var("SVA_LLM_GIGACHAT_SCOPE") {
                    None => Scope::Pers,
                    Some(s) => Scope::parse(&s).ok_or_else(|| {
                        bad(format!(
                            "SVA_LLM_GIGACHAT_SCOPE {s:?} is not GIGACHAT_API_PERS, GIGACHAT_API_B2B or GIGACHAT_API_CORP"
                        ))
                    })?,
                };
                let mut config = ProviderConfig::gigachat(giga_key, scope);
                // GigaChat reads SVA_LLM_URL as its own base: not another provider's.
                if let Some(url) = url.filter(|_| default) {
                    config.base_url = url;
                }
                if let (Some(oauth), Dialect::GigaChat(auth)) =
                    (var("SVA_LLM_GIGACHAT_OAUTH_URL"), &mut config.dialect)
                {
                    auth.oauth_url = oauth;
                }
                config
            }
            other => {
                return Err(bad(format!(
                    "SVA_LLM_PROVIDER {other:?} is not yandex, openai or gigachat"
                )));
            }
        };
        config.ca_file = var("SVA_LLM_CA_FILE").map(PathBuf::from);
        if !default {
            return Ok(config);
        }
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
        Ok(config)
    }

    /// Every provider the variables configure, by name (`yandex`, `openai`, `gigachat`),
    /// the default first — the one [`ProviderConfig::from_vars`] gives. Another provider
    /// is added when its own variables are complete (`SVA_LLM_FOLDER` + `SVA_LLM_API_KEY`
    /// for yandex, `SVA_LLM_GIGACHAT_KEY` for gigachat, `SVA_LLM_URL` + `SVA_LLM_MODEL` for
    /// openai), with its own default models: `SVA_LLM_LITE`/`_PRO`/`_URL` (for gigachat)
    /// and `SVA_LLM_AUTH` shape the default only. A tenant picks one by name.
    pub fn all_from_vars(
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Vec<(String, ProviderConfig)>, ProviderError> {
        let var = trimmed(var);
        let Some(default_name) = default_provider(&var)? else {
            return Ok(Vec::new());
        };
        let mut all = vec![(
            default_name.clone(),
            Self::named(&default_name, &var, true)?,
        )];
        let set = |name: &str| var(name).is_some();
        for (name, complete) in [
            ("yandex", set("SVA_LLM_FOLDER") && set("SVA_LLM_API_KEY")),
            ("gigachat", set("SVA_LLM_GIGACHAT_KEY")),
            ("openai", set("SVA_LLM_URL") && set("SVA_LLM_MODEL")),
        ] {
            if name != default_name && complete {
                all.push((name.to_owned(), Self::named(name, &var, false)?));
            }
        }
        Ok(all)
    }

    /// The provider's name for the logs and the tenant's settings: `gigachat`, or
    /// `openai` for any OpenAI-compatible server (Yandex AI Studio included).
    pub fn dialect_name(&self) -> &'static str {
        match self.dialect {
            Dialect::OpenAi => "openai",
            Dialect::GigaChat(_) => "gigachat",
        }
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
    /// GigaChat's access token, shared by the clones.
    tokens: Arc<Tokens>,
}

/// The `Retry-After` used when a 429 gives none.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(10);

impl Provider {
    /// A client; connections are kept and reused between turns.
    ///
    /// A `ca_file` that cannot be read or holds no PEM certificate is a configuration
    /// error here, not a failure at the first call.
    pub fn new(config: ProviderConfig) -> Result<Self, ProviderError> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_nodelay(true);
        if let Some(path) = &config.ca_file {
            let bad = |why: String| {
                ProviderError::Config(format!("SVA_LLM_CA_FILE {}: {why}", path.display()))
            };
            let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
            let roots =
                reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| bad(e.to_string()))?;
            if roots.is_empty() {
                return Err(bad("no PEM certificate in it".into()));
            }
            builder = builder.tls_certs_merge(roots);
        }
        let http = builder
            .build()
            .map_err(|e| ProviderError::Config(e.to_string()))?;
        Ok(Provider {
            config,
            http,
            tokens: Arc::default(),
        })
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
        let answered = match &self.config.dialect {
            Dialect::OpenAi => {
                let body = self.request(prompt, tier, max_tokens);
                tokio::time::timeout(deadline, async {
                    completion(self.exchange(&body).await?, started.elapsed())
                })
                .await
            }
            // The token (when one is due), the chat and the one retry after a 401 are
            // all inside the same deadline.
            Dialect::GigaChat(auth) => {
                let body = gigachat::request(prompt, self.config.model(tier), max_tokens);
                tokio::time::timeout(
                    deadline,
                    gigachat::complete(
                        &self.http,
                        auth,
                        &self.tokens,
                        &self.config.base_url,
                        &body,
                    ),
                )
                .await
            }
        };
        answered.unwrap_or(Err(ProviderError::Timeout(deadline)))
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
            return Err(ProviderError::SlowDown(retry_after(response.headers())));
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

/// A 429's `Retry-After` in seconds, or [`DEFAULT_RETRY_AFTER`].
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Duration {
    headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(DEFAULT_RETRY_AFTER, Duration::from_secs)
}

/// The provider's error message (OpenAI's `{"error":{"message":…}}`, GigaChat's
/// `{"status"|"code":…,"message":…}`), shortened.
pub(crate) fn error_message(body: &[u8]) -> String {
    let message = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v["error"]["message"]
                .as_str()
                .or_else(|| v["message"].as_str())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    message.chars().take(200).collect()
}

/// The variables trimmed, an empty one as unset.
fn trimmed(var: impl Fn(&str) -> Option<String>) -> impl Fn(&str) -> Option<String> {
    move |name| {
        var(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }
}

/// The default provider's name: `SVA_LLM_PROVIDER`, or the one whose variables are set
/// (`None`: no model configured).
fn default_provider(
    var: &impl Fn(&str) -> Option<String>,
) -> Result<Option<String>, ProviderError> {
    Ok(Some(match var("SVA_LLM_PROVIDER") {
        Some(p) => p,
        None if var("SVA_LLM_GIGACHAT_KEY").is_some() => "gigachat".into(),
        None if var("SVA_LLM_URL").is_some() => "openai".into(),
        None if var("SVA_LLM_FOLDER").is_some() => "yandex".into(),
        None if var("SVA_LLM_API_KEY").is_some() => {
            return Err(ProviderError::Config(
                "SVA_LLM_API_KEY needs SVA_LLM_FOLDER or SVA_LLM_URL".into(),
            ));
        }
        None => return Ok(None),
    }))
}

/// reqwest's error without the URL (which may carry a key in a query string).
pub(crate) fn without_url(e: &reqwest::Error) -> String {
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

    #[test]
    fn every_provider_with_complete_variables_is_offered_the_default_first() {
        assert!(ProviderConfig::all_from_vars(vars(&[])).unwrap().is_empty());
        let all = ProviderConfig::all_from_vars(vars(&[
            ("SVA_LLM_FOLDER", "b1g"),
            ("SVA_LLM_API_KEY", "k"),
            ("SVA_LLM_GIGACHAT_KEY", "a2V5"),
            ("SVA_LLM_PROVIDER", "yandex"),
            ("SVA_LLM_LITE", "gpt://b1g/yandexgpt/rc"),
        ]))
        .unwrap();
        let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["yandex", "gigachat"]);
        assert_eq!(
            all[0].1.lite, "gpt://b1g/yandexgpt/rc",
            "the default's tier"
        );
        assert_eq!(all[1].1.dialect_name(), "gigachat");
        assert_eq!(
            all[1].1.lite, "GigaChat-2",
            "another provider keeps its own models"
        );
        // Without SVA_LLM_PROVIDER: GigaChat is the default, Yandex offered too.
        let all = ProviderConfig::all_from_vars(vars(&[
            ("SVA_LLM_FOLDER", "b1g"),
            ("SVA_LLM_API_KEY", "k"),
            ("SVA_LLM_GIGACHAT_KEY", "a2V5"),
        ]))
        .unwrap();
        let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["gigachat", "yandex"]);
    }

    #[test]
    fn the_environment_names_gigachat_with_its_key_scope_and_root() {
        let giga = ProviderConfig::from_vars(vars(&[
            ("SVA_LLM_GIGACHAT_KEY", "a2V5"),
            ("SVA_LLM_GIGACHAT_SCOPE", "GIGACHAT_API_CORP"),
            ("SVA_LLM_CA_FILE", "/etc/sva/russian_trusted_root_ca.pem"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(giga.dialect_name(), "gigachat");
        assert_eq!(
            (giga.lite.as_str(), giga.pro.as_str()),
            ("GigaChat-2", "GigaChat-2-Pro")
        );
        assert_eq!(giga.base_url, gigachat::BASE_URL);
        assert!(giga.key.is_none(), "the key goes to OAuth only");
        let Dialect::GigaChat(auth) = &giga.dialect else {
            panic!("not gigachat")
        };
        assert_eq!(
            (auth.scope, auth.oauth_url.as_str()),
            (Scope::Corp, gigachat::OAUTH_URL)
        );
        assert_eq!(auth.key.expose(), "a2V5");
        assert_eq!(
            giga.ca_file.as_deref(),
            Some(std::path::Path::new("/etc/sva/russian_trusted_root_ca.pem"))
        );
        // Named explicitly, with Yandex's variables also set: GigaChat, PERS by default.
        let giga = ProviderConfig::from_vars(vars(&[
            ("SVA_LLM_PROVIDER", "gigachat"),
            ("SVA_LLM_FOLDER", "b1g"),
            ("SVA_LLM_API_KEY", "k"),
            ("SVA_LLM_GIGACHAT_KEY", "a2V5"),
            ("SVA_LLM_PRO", "GigaChat-2-Max"),
        ]))
        .unwrap()
        .unwrap();
        assert!(matches!(&giga.dialect, Dialect::GigaChat(a) if a.scope == Scope::Pers));
        assert_eq!(giga.pro, "GigaChat-2-Max");
        let yandex = ProviderConfig::from_vars(vars(&[
            ("SVA_LLM_PROVIDER", "yandex"),
            ("SVA_LLM_FOLDER", "b1g"),
            ("SVA_LLM_API_KEY", "k"),
            ("SVA_LLM_GIGACHAT_KEY", "a2V5"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(yandex.dialect_name(), "openai");
        for wrong in [
            vec![("SVA_LLM_PROVIDER", "gigachat")],
            vec![
                ("SVA_LLM_GIGACHAT_KEY", "a2V5"),
                ("SVA_LLM_GIGACHAT_SCOPE", "PERS"),
            ],
            vec![
                ("SVA_LLM_PROVIDER", "sber"),
                ("SVA_LLM_GIGACHAT_KEY", "a2V5"),
            ],
        ] {
            assert!(
                ProviderConfig::from_vars(vars(&wrong)).is_err(),
                "{wrong:?}"
            );
        }
    }
}
