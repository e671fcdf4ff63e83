//! Answers to a scenario's `llm` requests: a host capability a turn awaits, like
//! [`crate::Knowledge`].

use async_trait::async_trait;
use sva_abi::{LlmRequest, LlmResult, LlmStatus};

/// The tenant's language model for one turn, as the turn sees it.
///
/// The host builds one per turn with what it knows around the request (the tenant's
/// limits and prompts, the turn's deadline, the call's tokens so far); the turn only
/// asks. An implementation never fails: whatever goes wrong is an [`LlmResult`] status.
#[async_trait]
pub trait Language: Send + Sync {
    /// The answer for the scenario, and what asking cost.
    async fn ask(&self, request: &LlmRequest) -> Asked;
}

/// What a request came to.
#[derive(Debug, Clone, PartialEq)]
pub struct Asked {
    /// The `llm_result` the scenario is stepped with.
    pub result: LlmResult,
    /// Tokens and time, when the provider was asked.
    pub usage: Option<ModelUsage>,
    /// Why the result is not `ok`, for the operator (never the caller's words).
    pub why: Option<String>,
}

/// What one request to the model used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelUsage {
    /// The model asked.
    pub model: String,
    /// Prompt tokens.
    pub prompt_tokens: u32,
    /// Completion tokens.
    pub completion_tokens: u32,
    /// How long the provider took, in milliseconds.
    pub latency_ms: u32,
}

/// No model: every request is `unavailable`, and the scenario does without.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoLanguage;

#[async_trait]
impl Language for NoLanguage {
    async fn ask(&self, request: &LlmRequest) -> Asked {
        Asked {
            result: LlmResult::failed(request.id.clone(), LlmStatus::Unavailable),
            usage: None,
            why: Some("no language model is configured".into()),
        }
    }
}
