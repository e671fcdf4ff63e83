//! Dense vectors: Yandex Cloud's text embeddings.
//!
//! Passages are embedded with the document model (`text-search-doc`), callers' questions
//! with the query model (`text-search-query`); the two are trained as a pair, so a question
//! lands near the passages that answer it even when they share no word. The API is
//! `POST {url}` with `{"modelUri": "emb://{folder}/{model}", "text": …}`, one text a
//! request, answered with `{"embedding": […], "numTokens": "…", "modelVersion": "…"}`
//! (see `docs/knowledge-base.md`).
//!
//! Passages are embedded at a steady pace ([`EmbeddingsConfig::requests_per_second`],
//! under the folder's quota), several in flight, and a request the service turns away for
//! load (429, 5xx) is tried again after its `Retry-After`. A question is embedded at once
//! and tried once: a call cannot wait, and its question is searched by BM25 alone instead.
//!
//! Configured by the operator (`SVA_EMBEDDINGS_*`), not by tenants: the URL is trusted
//! configuration and the API key never leaves [`Embeddings`] — not in `Debug`, not in
//! errors, not in logs.

use reqwest::header::{AUTHORIZATION, HeaderValue, RETRY_AFTER};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// The service's address.
pub const DEFAULT_URL: &str = "https://llm.api.cloud.yandex.net/foundationModels/v1/textEmbedding";

/// The model passages are embedded with.
pub const DOCUMENT_MODEL: &str = "text-search-doc/latest";

/// The model questions are embedded with.
pub const QUERY_MODEL: &str = "text-search-query/latest";

/// The vectors' size: what the `text-search-*` models return.
pub const DEFAULT_DIMENSIONS: usize = 256;

/// How long one request may take by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Requests in flight at once while a source is embedded.
const CONCURRENCY: usize = 8;

/// Passages embedded per second by default: under Yandex Cloud's default quota of 10
/// `textEmbedding` requests a second per folder, leaving room for callers' questions.
pub const DEFAULT_REQUESTS_PER_SECOND: f64 = 8.0;

/// Tries of a passage's request the service turned away for load.
const ATTEMPTS: u32 = 3;

/// The longest `Retry-After` honoured.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// The first wait before trying again; doubled each time.
const BACKOFF: Duration = Duration::from_millis(200);

/// What a text is embedded as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A passage of the knowledge base.
    Document,
    /// A caller's question.
    Query,
}

/// Where the embeddings service is and which models to use.
///
/// `Debug` never shows the API key.
#[derive(Clone)]
pub struct EmbeddingsConfig {
    /// The `textEmbedding` endpoint.
    pub url: String,
    /// The Yandex Cloud folder the models are billed to.
    pub folder: String,
    /// A service account's API key (`Authorization: Api-Key …`).
    pub api_key: String,
    /// The passages' model, under the folder.
    pub document_model: String,
    /// The questions' model, under the folder.
    pub query_model: String,
    /// The size of the vectors the models return.
    pub dimensions: usize,
    /// How long one request may take.
    pub timeout: Duration,
    /// The cosine similarity at which a passage is spoken on its meaning alone, when its
    /// words do not clear the BM25 bar. `None` (the default): dense vectors only choose
    /// which passage is best among those BM25 vouches for, and find candidates. Calibrate
    /// it on the tenant's own questions before setting it (`docs/knowledge-base.md`).
    pub answer_similarity: Option<f32>,
    /// Passages embedded per second, at most (the folder's quota is shared with calls).
    pub requests_per_second: f64,
}

impl std::fmt::Debug for EmbeddingsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddingsConfig")
            .field("url", &self.url)
            .field("folder", &self.folder)
            .field("document_model", &self.document_model)
            .field("query_model", &self.query_model)
            .field("dimensions", &self.dimensions)
            .field("timeout", &self.timeout)
            .field("answer_similarity", &self.answer_similarity)
            .field("requests_per_second", &self.requests_per_second)
            .finish_non_exhaustive()
    }
}

impl EmbeddingsConfig {
    /// Yandex Cloud's models under `folder`, with the default URL, size and timeout.
    pub fn new(folder: impl Into<String>, api_key: impl Into<String>) -> EmbeddingsConfig {
        EmbeddingsConfig {
            url: DEFAULT_URL.to_owned(),
            folder: folder.into(),
            api_key: api_key.into(),
            document_model: DOCUMENT_MODEL.to_owned(),
            query_model: QUERY_MODEL.to_owned(),
            dimensions: DEFAULT_DIMENSIONS,
            timeout: DEFAULT_TIMEOUT,
            answer_similarity: None,
            requests_per_second: DEFAULT_REQUESTS_PER_SECOND,
        }
    }

    /// The configuration in the environment: `SVA_EMBEDDINGS_FOLDER` and
    /// `SVA_EMBEDDINGS_API_KEY` turn embeddings on; `SVA_EMBEDDINGS_URL` and
    /// `SVA_EMBEDDINGS_DIMENSIONS` change the defaults, `SVA_EMBEDDINGS_MIN_SIMILARITY` sets
    /// [`EmbeddingsConfig::answer_similarity`] and `SVA_EMBEDDINGS_RPS`
    /// [`EmbeddingsConfig::requests_per_second`]. `Ok(None)` when they are off.
    pub fn from_env() -> Result<Option<EmbeddingsConfig>, EmbedError> {
        Self::from_vars(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    fn from_vars(
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<EmbeddingsConfig>, EmbedError> {
        let (folder, key) = match (var("SVA_EMBEDDINGS_FOLDER"), var("SVA_EMBEDDINGS_API_KEY")) {
            (Some(folder), Some(key)) => (folder, key),
            (None, None) => return Ok(None),
            _ => {
                return Err(EmbedError::Config(
                    "set both SVA_EMBEDDINGS_FOLDER and SVA_EMBEDDINGS_API_KEY, or neither".into(),
                ));
            }
        };
        let mut config = EmbeddingsConfig::new(folder.trim(), key.trim());
        if let Some(url) = var("SVA_EMBEDDINGS_URL") {
            config.url = url.trim().to_owned();
        }
        if let Some(size) = var("SVA_EMBEDDINGS_DIMENSIONS") {
            config.dimensions = size.trim().parse().map_err(|_| {
                EmbedError::Config(format!(
                    "SVA_EMBEDDINGS_DIMENSIONS {size:?} is not a number"
                ))
            })?;
        }
        if let Some(bar) = var("SVA_EMBEDDINGS_MIN_SIMILARITY") {
            let bar: f32 = bar.trim().parse().map_err(|_| {
                EmbedError::Config(format!(
                    "SVA_EMBEDDINGS_MIN_SIMILARITY {bar:?} is not a number"
                ))
            })?;
            config.answer_similarity = Some(bar);
        }
        if let Some(rps) = var("SVA_EMBEDDINGS_RPS") {
            config.requests_per_second = rps.trim().parse().map_err(|_| {
                EmbedError::Config(format!("SVA_EMBEDDINGS_RPS {rps:?} is not a number"))
            })?;
        }
        Ok(Some(config))
    }

    /// The model a text of `purpose` is embedded with, as the API names it.
    pub fn model_uri(&self, purpose: Purpose) -> String {
        let model = match purpose {
            Purpose::Document => &self.document_model,
            Purpose::Query => &self.query_model,
        };
        format!("emb://{}/{model}", self.folder)
    }
}

/// Texts turned into vectors.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedded {
    /// One vector a text, in the texts' order.
    pub vectors: Vec<Vec<f32>>,
    /// The tokens the service counted (and bills).
    pub tokens: u64,
}

/// Why texts could not be embedded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmbedError {
    /// The configuration cannot work (a missing value, a bad URL or size).
    #[error("embeddings configuration: {0}")]
    Config(String),
    /// The service is out of reach, overloaded or too slow.
    #[error("the embeddings service is unavailable: {0}")]
    Unavailable(String),
    /// The service refused the request (a bad key, no access to the folder or model). Its
    /// own words, which may name the operator's folder, go to the log, not here.
    #[error(
        "the embeddings service refused the request (HTTP {status}): check SVA_EMBEDDINGS_*; the service's words are in the log"
    )]
    Refused {
        /// The HTTP status.
        status: u16,
    },
    /// The service answered with something this code cannot use.
    #[error("the embeddings service answered unexpectedly: {0}")]
    Unexpected(String),
}

impl EmbedError {
    /// A machine-readable code for the error.
    pub fn code(&self) -> &'static str {
        match self {
            EmbedError::Config(_) => "embeddings_config",
            EmbedError::Unavailable(_) => "embeddings_unavailable",
            EmbedError::Refused { .. } => "embeddings_refused",
            EmbedError::Unexpected(_) => "embeddings_unexpected",
        }
    }
}

/// A client of the embeddings service.
pub struct Embeddings {
    service: Arc<Service>,
    client: reqwest::Client,
}

/// What every request needs: the configuration, the `Authorization` header (marked
/// sensitive, so the HTTP stack never logs it) and the pace of passages' requests.
struct Service {
    config: EmbeddingsConfig,
    authorization: HeaderValue,
    pace: Pace,
}

/// Spaces requests evenly: each takes the next free slot, `interval` after the last.
struct Pace {
    interval: Duration,
    next: tokio::sync::Mutex<Option<tokio::time::Instant>>,
}

impl Pace {
    async fn wait(&self) {
        let at = {
            let mut next = self.next.lock().await;
            let now = tokio::time::Instant::now();
            let at = next.map_or(now, |n| n.max(now));
            *next = Some(at + self.interval);
            at
        };
        tokio::time::sleep_until(at).await;
    }
}

impl std::fmt::Debug for Embeddings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embeddings")
            .field("config", &self.service.config)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    embedding: Vec<Number>,
    #[serde(default)]
    num_tokens: Option<Number>,
}

/// An int64 or a double, which the API's JSON may write as a number or as a string.
#[derive(Deserialize)]
#[serde(untagged)]
enum Number {
    Number(f64),
    Text(String),
}

impl Number {
    fn value(&self) -> Option<f64> {
        match self {
            Number::Number(n) => Some(*n),
            Number::Text(t) => t.trim().parse().ok(),
        }
        .filter(|n| n.is_finite())
    }
}

/// The service's error body: `{"error": {"message": …}}`, or `{"message": …}`.
#[derive(Deserialize)]
struct Failure {
    error: Option<FailureDetail>,
    message: Option<String>,
}

#[derive(Deserialize)]
struct FailureDetail {
    message: Option<String>,
}

impl Embeddings {
    /// A client for the service in `config`. Fails with [`EmbedError::Config`] for a URL
    /// that is not `https` (plain `http` only to a loopback address, as in tests), an empty
    /// folder or key, a key that cannot be a header, or a size or timeout of zero.
    pub fn new(config: EmbeddingsConfig) -> Result<Embeddings, EmbedError> {
        let url = url::Url::parse(&config.url)
            .map_err(|_| EmbedError::Config(format!("the URL {:?} does not parse", config.url)))?;
        let loopback = match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(name)) => name == "localhost",
            None => false,
        };
        if !(url.scheme() == "https" || url.scheme() == "http" && loopback) {
            return Err(EmbedError::Config(format!(
                "the URL {:?} must be https",
                config.url
            )));
        }
        if config.folder.is_empty()
            || !config
                .folder
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(EmbedError::Config(
                "the folder id must be letters, digits, - and _".into(),
            ));
        }
        let Some(mut authorization) = HeaderValue::from_str(&format!("Api-Key {}", config.api_key))
            .ok()
            .filter(|_| !config.api_key.is_empty())
        else {
            return Err(EmbedError::Config(
                "the API key is empty or not a valid header value".into(),
            ));
        };
        authorization.set_sensitive(true);
        if !(config.requests_per_second > 0.0 && config.requests_per_second.is_finite()) {
            return Err(EmbedError::Config(
                "the requests per second must be above zero".into(),
            ));
        }
        if config
            .answer_similarity
            .is_some_and(|s| !(-1.0..=1.0).contains(&s))
        {
            return Err(EmbedError::Config(
                "the answer similarity must be a cosine, from -1 to 1".into(),
            ));
        }
        if config.dimensions == 0 || config.timeout.is_zero() {
            return Err(EmbedError::Config(
                "the vector size and the timeout must be above zero".into(),
            ));
        }
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| EmbedError::Config(format!("the HTTP client: {e}")))?;
        let pace = Pace {
            interval: Duration::from_secs_f64(1.0 / config.requests_per_second),
            next: tokio::sync::Mutex::new(None),
        };
        Ok(Embeddings {
            service: Arc::new(Service {
                config,
                authorization,
                pace,
            }),
            client,
        })
    }

    /// A client for `config` when embeddings are configured; `Ok(None)` when not.
    pub fn optional(
        config: Option<EmbeddingsConfig>,
    ) -> Result<Option<Arc<Embeddings>>, EmbedError> {
        config.map(|c| Embeddings::new(c).map(Arc::new)).transpose()
    }

    /// One question's vector and the tokens it cost, within `budget`, tried once.
    pub async fn question(
        &self,
        text: &str,
        budget: Duration,
    ) -> Result<(Vec<f32>, u64), EmbedError> {
        let embedded = self
            .embed(&[text.to_owned()], Purpose::Query, budget)
            .await?;
        let vector = embedded
            .vectors
            .into_iter()
            .next()
            .ok_or_else(|| EmbedError::Unexpected("no vector for the question".into()))?;
        Ok((vector, embedded.tokens))
    }

    /// The size of the vectors.
    pub fn dimensions(&self) -> usize {
        self.service.config.dimensions
    }

    /// How long embedding `passages` may take at the configured pace, with room to spare.
    pub fn budget_for(&self, passages: usize) -> Duration {
        Duration::from_secs(30)
            + Duration::from_secs_f64(passages as f64 / self.service.config.requests_per_second)
    }

    /// The similarity at which a passage is spoken on its meaning alone, if set.
    pub fn answer_similarity(&self) -> Option<f32> {
        self.service.config.answer_similarity
    }

    /// What an index built with these embeddings holds, for telling whether a passage
    /// must be embedded again: the document model and the size.
    pub fn layout(&self) -> String {
        let config = &self.service.config;
        format!(
            "{}@{}",
            config.model_uri(Purpose::Document),
            config.dimensions
        )
    }

    /// Embeds `texts` as `purpose`, waiting at most `budget` in all. Passages go at the
    /// configured pace and are tried again when the service is overloaded; questions go at
    /// once, tried once. Past `budget` the requests in flight are cancelled.
    pub async fn embed(
        &self,
        texts: &[String],
        purpose: Purpose,
        budget: Duration,
    ) -> Result<Embedded, EmbedError> {
        if texts.is_empty() {
            return Ok(Embedded {
                vectors: Vec::new(),
                tokens: 0,
            });
        }
        let (service, client) = (self.service.clone(), self.client.clone());
        let texts = texts.to_vec();
        let work = async move {
            let gate = Arc::new(Semaphore::new(CONCURRENCY));
            let mut tasks = tokio::task::JoinSet::new();
            for (at, text) in texts.into_iter().enumerate() {
                let (service, client, gate) = (service.clone(), client.clone(), gate.clone());
                tasks.spawn(async move {
                    let _permit = gate.acquire_owned().await;
                    (at, one(&client, &service, &text, purpose).await)
                });
            }
            let mut vectors = vec![Vec::new(); tasks.len()];
            let mut tokens = 0;
            while let Some(done) = tasks.join_next().await {
                let (at, answer) =
                    done.map_err(|e| EmbedError::Unavailable(format!("a request failed: {e}")))?;
                let (vector, counted) = answer?;
                vectors[at] = vector;
                tokens += counted;
            }
            Ok(Embedded { vectors, tokens })
        };
        tokio::time::timeout(budget, work)
            .await
            .unwrap_or_else(|_| {
                Err(EmbedError::Unavailable(format!(
                    "no answer within {} ms",
                    budget.as_millis()
                )))
            })
    }
}

/// One text's vector and token count; a passage's request is paced and tried again while
/// the service is overloaded.
async fn one(
    client: &reqwest::Client,
    service: &Service,
    text: &str,
    purpose: Purpose,
) -> Result<(Vec<f32>, u64), EmbedError> {
    let config = &service.config;
    let body = serde_json::json!({ "modelUri": config.model_uri(purpose), "text": text });
    let (attempts, paced) = match purpose {
        Purpose::Document => (ATTEMPTS, true),
        Purpose::Query => (1, false),
    };
    let mut wait = BACKOFF;
    for attempt in 1..=attempts {
        if paced {
            service.pace.wait().await;
        }
        let sent = client
            .post(&config.url)
            .header(AUTHORIZATION, service.authorization.clone())
            .json(&body)
            .send()
            .await;
        let mut retry_after = None;
        let error = match sent {
            Ok(response) if response.status().is_success() => {
                let bytes = response
                    .bytes()
                    .await
                    .map_err(|e| EmbedError::Unavailable(transport(e)))?;
                return read(&bytes, config.dimensions);
            }
            Ok(response) => {
                let status = response.status();
                retry_after = response
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(|s| Duration::from_secs(s).min(MAX_RETRY_AFTER));
                let bytes = response.bytes().await.unwrap_or_default();
                // The service may quote the key it refused: never pass that on.
                let message = serde_json::from_slice::<Failure>(&bytes)
                    .ok()
                    .and_then(|f| f.error.and_then(|e| e.message).or(f.message))
                    .unwrap_or_else(|| status.canonical_reason().unwrap_or("").to_owned())
                    .replace(&config.api_key, "***");
                if status.as_u16() != 429 && !status.is_server_error() {
                    tracing::warn!(
                        status = status.as_u16(),
                        "the embeddings service refused a request: {message}"
                    );
                    return Err(EmbedError::Refused {
                        status: status.as_u16(),
                    });
                }
                EmbedError::Unavailable(format!("{status}: {message}"))
            }
            Err(e) => EmbedError::Unavailable(transport(e)),
        };
        if attempt == attempts {
            return Err(error);
        }
        tokio::time::sleep(retry_after.unwrap_or(wait).max(wait)).await;
        wait *= 2;
    }
    Err(EmbedError::Unavailable("no attempt made".into()))
}

/// A transport failure in words, without the URL (which is configuration, not news).
fn transport(error: reqwest::Error) -> String {
    if error.is_timeout() {
        "the request timed out".into()
    } else if error.is_connect() {
        "the service could not be reached".into()
    } else {
        error.without_url().to_string()
    }
}

/// An answer's vector (checked for its size and finite numbers) and token count.
fn read(body: &[u8], dimensions: usize) -> Result<(Vec<f32>, u64), EmbedError> {
    let answer: Answer = serde_json::from_slice(body)
        .map_err(|e| EmbedError::Unexpected(format!("the answer does not read: {e}")))?;
    let vector: Vec<f32> = answer
        .embedding
        .iter()
        .map(|n| n.value().map(|v| v as f32))
        .collect::<Option<_>>()
        .ok_or_else(|| {
            EmbedError::Unexpected("a vector with a value that is not a number".into())
        })?;
    if vector.len() != dimensions {
        return Err(EmbedError::Unexpected(format!(
            "a vector of {} numbers where {dimensions} were expected (SVA_EMBEDDINGS_DIMENSIONS)",
            vector.len()
        )));
    }
    if vector.iter().all(|v| *v == 0.0) {
        return Err(EmbedError::Unexpected("a vector of zeros".into()));
    }
    let tokens = answer
        .num_tokens
        .and_then(|n| n.value())
        .map_or(0, |n| n.max(0.0) as u64);
    Ok((vector, tokens))
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
    fn configured_from_the_environment_or_off() {
        assert!(EmbeddingsConfig::from_vars(vars(&[])).unwrap().is_none());
        let config = EmbeddingsConfig::from_vars(vars(&[
            ("SVA_EMBEDDINGS_FOLDER", "b1gfolder"),
            ("SVA_EMBEDDINGS_API_KEY", "AQVN-secret"),
            ("SVA_EMBEDDINGS_DIMENSIONS", "512"),
            ("SVA_EMBEDDINGS_MIN_SIMILARITY", "0.62"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(config.dimensions, 512);
        assert_eq!(config.answer_similarity, Some(0.62));
        assert_eq!(config.url, DEFAULT_URL);
        assert_eq!(
            config.model_uri(Purpose::Query),
            "emb://b1gfolder/text-search-query/latest"
        );
        let half = EmbeddingsConfig::from_vars(vars(&[("SVA_EMBEDDINGS_FOLDER", "b1g")]));
        assert_eq!(half.unwrap_err().code(), "embeddings_config");
    }

    #[test]
    fn the_api_key_stays_secret() {
        let config = EmbeddingsConfig::new("b1gfolder", "AQVN-secret");
        assert!(!format!("{config:?}").contains("AQVN"));
        let client = Embeddings::new(config).unwrap();
        assert!(!format!("{client:?}").contains("AQVN"));
    }

    #[test]
    fn bad_configurations_are_refused() {
        let mut plain = EmbeddingsConfig::new("b1g", "k");
        plain.url = "http://llm.api.cloud.yandex.net/x".into();
        let mut sized = EmbeddingsConfig::new("b1g", "k");
        sized.dimensions = 0;
        let mut similar = EmbeddingsConfig::new("b1g", "k");
        similar.answer_similarity = Some(1.5);
        for config in [
            plain,
            sized,
            similar,
            EmbeddingsConfig::new("", "k"),
            EmbeddingsConfig::new("b1g/../x", "k"),
            EmbeddingsConfig::new("b1g", "line\nbreak"),
        ] {
            assert_eq!(
                Embeddings::new(config).unwrap_err().code(),
                "embeddings_config"
            );
        }
        let mut local = EmbeddingsConfig::new("b1g", "k");
        local.url = "http://127.0.0.1:9/foundationModels/v1/textEmbedding".into();
        assert!(
            Embeddings::new(local).is_ok(),
            "loopback over http, for tests"
        );
    }

    #[test]
    fn answers_are_read_with_numbers_or_strings_and_checked() {
        let (vector, tokens) = read(
            br#"{"embedding":[0.5,"-0.25"],"numTokens":"7","modelVersion":"x"}"#,
            2,
        )
        .unwrap();
        assert_eq!(vector, vec![0.5, -0.25]);
        assert_eq!(tokens, 7);
        for bad in [
            &br#"{"embedding":[0.5],"numTokens":"7"}"#[..],
            br#"{"embedding":[0.5,"NaN"]}"#,
            br#"{"embedding":[0,0]}"#,
            br#"{"vector":[1,2]}"#,
            b"<html>",
        ] {
            assert_eq!(
                read(bad, 2).unwrap_err().code(),
                "embeddings_unexpected",
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
