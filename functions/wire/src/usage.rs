//! What a call consumed and what it cost: kept in the call record, so a period can be
//! priced again with another table (`sva-costs` prices a [`Usage`] into a [`CallCost`]).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An amount the provider reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Money {
    /// The amount.
    pub amount: f64,
    /// ISO 4217 code.
    pub currency: String,
}

/// What a call consumed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Usage {
    /// `inbound` or `outbound`.
    pub direction: String,
    /// Connected seconds.
    pub duration_s: u32,
    /// What Voximplant charged for the call, when VoxEngine reported it.
    pub telephony_reported: Option<Money>,
    /// What Voximplant charged for recognition (VoxEngine's ASR is billed by
    /// Voximplant), when VoxEngine reported it.
    pub asr_reported: Option<Money>,
    /// Recognition sessions started.
    pub asr_sessions: u32,
    /// Audio seconds of each session, when known.
    pub asr_session_seconds: Vec<f64>,
    /// Audio seconds recognised in all (when the sessions' own are not known).
    pub asr_seconds: f64,
    /// Characters of each synthesis request (each phrase spoken).
    pub tts_requests: Vec<u32>,
    /// Language model input tokens.
    pub llm_input_tokens: u64,
    /// Language model output tokens.
    pub llm_output_tokens: u64,
    /// The language model tokens by model (each model is priced by its own row of the
    /// price table; tokens not attributed here are priced by the generic rows).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub llm_models: Vec<ModelTokens>,
    /// Embedding tokens (knowledge base queries).
    pub embedding_tokens: u64,
    /// Handler time of each function invocation, milliseconds.
    pub invocation_ms: Vec<u32>,
    /// The function instance's memory, MB.
    pub memory_mb: u32,
    /// The instance's CPU: cores × core fraction (1.0 = one full core).
    pub vcpu: f64,
    /// Object storage PUT/POST/LIST operations.
    pub storage_puts: u32,
    /// Object storage GET/HEAD operations.
    pub storage_gets: u32,
    /// API gateway requests.
    pub gateway_requests: u32,
}

/// The tokens one language model used during a call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ModelTokens {
    /// The model as it was asked (`gpt://<folder>/yandexgpt-lite/latest`, `GigaChat-Pro`).
    pub model: String,
    /// Prompt tokens.
    pub input_tokens: u64,
    /// Completion tokens.
    pub output_tokens: u64,
}

impl ModelTokens {
    /// Adds `input` and `output` tokens of `model` to `list` (one entry per model).
    pub fn add(list: &mut Vec<ModelTokens>, model: &str, input: u64, output: u64) {
        match list.iter_mut().find(|m| m.model == model) {
            Some(entry) => {
                entry.input_tokens += input;
                entry.output_tokens += output;
            }
            None => list.push(ModelTokens {
                model: model.to_owned(),
                input_tokens: input,
                output_tokens: output,
            }),
        }
    }
}

/// One component's cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Component {
    /// Rubles, VAT included.
    pub amount: f64,
    /// `reported` (the provider said so) or `priced` (usage × the table).
    pub basis: String,
    /// Whether every price it used was confirmed.
    pub confirmed: bool,
}

/// What a call cost, by component.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallCost {
    /// The currency (`RUB`).
    pub currency: String,
    /// Whether the amounts include VAT (they do).
    pub vat_included: bool,
    /// The sum of the components.
    pub total: f64,
    /// `telephony`, `recognition`, `synthesis`, `llm`, `embeddings`, `compute`,
    /// `storage`, `gateway`.
    pub components: BTreeMap<String, Component>,
    /// The table it was priced with (`name@date`).
    pub prices: String,
}
