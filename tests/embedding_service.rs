//! A stand-in for Yandex Cloud's embeddings API (`POST /foundationModels/v1/textEmbedding`)
//! on a loopback port, for the tests of dense retrieval.
//!
//! It checks requests as the service does — the `Api-Key` header, a `modelUri` of the
//! configured folder naming `text-search-doc` or `text-search-query`, a non-empty text —
//! and answers in the service's shapes: `{"embedding": [...], "numTokens": "…",
//! "modelVersion": "…"}`, or `{"error": {"grpcCode", "httpCode", "message", "httpStatus",
//! "details"}}`. It can be told to be overloaded (429) or down (500).
//!
//! Its vectors are hashed character trigrams of the lowercased words (256 numbers, unit
//! length): texts that share word pieces are near, whatever their endings or a slip of
//! the recogniser. That is a real, if crude, similarity — enough to test the plumbing
//! and the fusion, not a model of Yandex's quality. A question and a passage are embedded
//! alike; which model was asked for what is recorded for the tests to check.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

/// The folder the stand-in serves.
pub const FOLDER: &str = "b1gstandin";

/// The API key it accepts.
pub const API_KEY: &str = "AQVN-standin-key";

/// The size of its vectors.
pub const DIMENSIONS: usize = 256;

/// How the stand-in behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Answers every good request.
    Normal,
    /// Answers 429 to the next `n` requests, then normally.
    Overloaded(u32),
    /// Answers 500 to everything.
    Down,
    /// Answers normally, after this long.
    Slow(std::time::Duration),
}

/// One request the stand-in answered with a vector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Embedded {
    /// `text-search-doc/latest` or `text-search-query/latest`.
    pub model: String,
    /// The text.
    pub text: String,
    /// The tokens it counted.
    pub tokens: u64,
}

#[derive(Debug)]
struct Shared {
    mode: Mode,
    embedded: Vec<Embedded>,
    refused: u32,
}

/// The running stand-in; stops when dropped.
pub struct EmbeddingService {
    url: String,
    shared: Arc<Mutex<Shared>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for EmbeddingService {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl EmbeddingService {
    /// Starts the stand-in on `127.0.0.1` (a free port).
    pub async fn start() -> EmbeddingService {
        let shared = Arc::new(Mutex::new(Shared {
            mode: Mode::Normal,
            embedded: Vec::new(),
            refused: 0,
        }));
        let app = axum::Router::new()
            .route("/foundationModels/v1/textEmbedding", post(embed))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let url = format!(
            "http://{}/foundationModels/v1/textEmbedding",
            listener.local_addr().expect("an address")
        );
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        EmbeddingService {
            url,
            shared,
            server,
        }
    }

    /// The configuration that reaches it.
    pub fn config(&self) -> sva_retrieval::EmbeddingsConfig {
        let mut config = sva_retrieval::EmbeddingsConfig::new(FOLDER, API_KEY);
        config.url = self.url.clone();
        config.dimensions = DIMENSIONS;
        // The stand-in has no quota: no reason for tests to wait on the pace.
        config.requests_per_second = 1000.0;
        config
    }

    /// Changes how it behaves.
    pub fn set_mode(&self, mode: Mode) {
        self.shared.lock().expect("not poisoned").mode = mode;
    }

    /// What it embedded, oldest first.
    pub fn embedded(&self) -> Vec<Embedded> {
        self.shared.lock().expect("not poisoned").embedded.clone()
    }

    /// How many requests it turned away (overloaded or down).
    pub fn refused(&self) -> u32 {
        self.shared.lock().expect("not poisoned").refused
    }
}

fn failure(status: StatusCode, grpc: u32, message: &str) -> Response {
    let body = json!({
        "error": {
            "grpcCode": grpc,
            "httpCode": status.as_u16(),
            "message": message,
            "httpStatus": status.canonical_reason().unwrap_or(""),
            "details": [],
        }
    });
    (status, Json(body)).into_response()
}

async fn embed(
    State(shared): State<Arc<Mutex<Shared>>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let mode = shared.lock().expect("not poisoned").mode;
    if let Mode::Slow(delay) = mode {
        tokio::time::sleep(delay).await;
    }
    let mut shared = shared.lock().expect("not poisoned");
    match shared.mode {
        Mode::Down => {
            shared.refused += 1;
            return failure(StatusCode::INTERNAL_SERVER_ERROR, 13, "Internal error");
        }
        Mode::Overloaded(n) if n > 0 => {
            shared.mode = Mode::Overloaded(n - 1);
            shared.refused += 1;
            return failure(
                StatusCode::TOO_MANY_REQUESTS,
                8,
                "ai.textEmbeddingsRequestsPerSecond.rate quota limit exceed",
            );
        }
        _ => {}
    }
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if authorization != format!("Api-Key {API_KEY}") {
        // As unhelpful services do: the refused key quoted back.
        return failure(
            StatusCode::UNAUTHORIZED,
            16,
            &format!("Unknown api key {authorization:?}"),
        );
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return failure(StatusCode::BAD_REQUEST, 3, "the body is not JSON");
    };
    let uri = request["modelUri"].as_str().unwrap_or_default();
    let Some(model) = uri
        .strip_prefix(&format!("emb://{FOLDER}/"))
        .filter(|m| ["text-search-doc/latest", "text-search-query/latest"].contains(m))
    else {
        return failure(
            StatusCode::BAD_REQUEST,
            3,
            &format!("model {uri:?} is not available in the folder"),
        );
    };
    let text = request["text"].as_str().unwrap_or_default();
    if text.trim().is_empty() {
        return failure(StatusCode::BAD_REQUEST, 3, "text: must not be empty");
    }
    let tokens = text.split_whitespace().count() as u64 + 1;
    shared.embedded.push(Embedded {
        model: model.to_owned(),
        text: text.to_owned(),
        tokens,
    });
    // Numbers as the service's JSON gives them; the count as an int64 string.
    Json(json!({
        "embedding": vector(text),
        "numTokens": tokens.to_string(),
        "modelVersion": "standin-1",
    }))
    .into_response()
}

/// Hashed character trigrams of the lowercased words (padded), unit length.
pub fn vector(text: &str) -> Vec<f32> {
    let mut out = vec![0f32; DIMENSIONS];
    for word in text
        .to_lowercase()
        .replace('ё', "е")
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let chars: Vec<char> = format!(" {word} ").chars().collect();
        for gram in chars.windows(3) {
            let mut hash: u32 = 0x811c_9dc5;
            for c in gram {
                hash ^= *c as u32;
                hash = hash.wrapping_mul(0x0100_0193);
            }
            out[hash as usize % DIMENSIONS] += 1.0;
        }
    }
    let norm = out.iter().map(|v| v * v).sum::<f32>().sqrt();
    if norm > 0.0 {
        out.iter_mut().for_each(|v| *v /= norm);
    } else {
        out[0] = 1.0;
    }
    out
}
