//! The host side of one `llm` request: the guards, the prompt, one bounded attempt at
//! the provider, the answer checked. Whatever happens the scenario gets an `llm_result`
//! — `ok`, or the reason it has to do without (`timeout`, `invalid`, `over_budget`,
//! `unavailable`) — never an error that could end the turn.

use crate::answer;
use crate::guard::{Guards, Limits, Outcome, Refusal};
use crate::prompt::{self, Templates};
use crate::provider::{Provider, ProviderError};
use std::time::Duration;
use sva_abi::{LlmRequest, LlmResult, LlmStatus};
use sva_turn::{Asked, ModelUsage};

/// What is kept of the turn's remaining time for stepping the scenario again and
/// answering VoxEngine after the model.
pub const TURN_MARGIN: Duration = Duration::from_millis(150);

/// The shortest wait worth sending a request for.
pub const MIN_WAIT: Duration = Duration::from_millis(100);

/// One request, with what the host knows around it.
#[derive(Debug, Clone, Copy)]
pub struct Ask<'a> {
    /// The tenant.
    pub tenant: &'a str,
    /// The scenario's request.
    pub request: &'a LlmRequest,
    /// Tokens this call has used so far.
    pub call_tokens: u32,
    /// What is left of the turn's deadline.
    pub turn_left: Duration,
    /// The tenant's wording of the prompts.
    pub templates: &'a Templates,
    /// The tenant's limits.
    pub limits: Limits,
    /// Today, as days since the Unix epoch (UTC).
    pub day: u64,
    /// The provider the tenant chose by name (`yandex`, `openai`, `gigachat`); `None`:
    /// the deployment's default.
    pub provider: Option<&'a str>,
}

/// The language models of a deployment, shared by every tenant it serves: one or more
/// providers by name, the first the default.
#[derive(Debug)]
pub struct Models {
    providers: Vec<(String, Provider)>,
    guards: Guards,
}

impl Models {
    /// The models behind `provider` alone (named by its dialect: `openai` or `gigachat`).
    pub fn new(provider: Provider) -> Self {
        let name = provider.config().dialect_name().to_owned();
        Models::named(vec![(name, provider)])
    }

    /// The models behind named providers, the first the default (a tenant names another
    /// in its settings). An empty list has no model: every request is `unavailable`.
    pub fn named(providers: Vec<(String, Provider)>) -> Self {
        Models {
            providers,
            guards: Guards::new(),
        }
    }

    /// The providers' names, the default first.
    pub fn names(&self) -> Vec<&str> {
        self.providers.iter().map(|(n, _)| n.as_str()).collect()
    }

    fn provider(&self, name: Option<&str>) -> Option<&Provider> {
        match name {
            None => self.providers.first(),
            Some(name) => self.providers.iter().find(|(n, _)| n == name),
        }
        .map(|(_, p)| p)
    }

    /// Runs one request to its answer, within `min(max_ms, turn_left − margin)`.
    pub async fn ask(&self, ask: Ask<'_>) -> Asked {
        let id = ask.request.id.as_str();
        let failed = |status, why: String| Asked {
            result: LlmResult::failed(id, status),
            usage: None,
            why: Some(why),
        };
        let values = match answer::compile(&ask.request.task) {
            Ok(values) => values,
            Err(e) => return failed(LlmStatus::Invalid, e.to_string()),
        };
        let Some(provider) = self.provider(ask.provider) else {
            return failed(
                LlmStatus::Unavailable,
                format!(
                    "the provider {:?} is not configured in this deployment",
                    ask.provider.unwrap_or_default()
                ),
            );
        };
        let wait = Duration::from_millis(u64::from(ask.request.max_ms))
            .min(ask.turn_left.saturating_sub(TURN_MARGIN));
        if wait < MIN_WAIT {
            return failed(
                LlmStatus::Timeout,
                format!("only {wait:?} left of the turn"),
            );
        }
        let pass = match self.guards.admit(
            ask.tenant,
            ask.limits,
            ask.call_tokens,
            ask.request.max_tokens,
            ask.day,
        ) {
            Ok(pass) => pass,
            Err(Refusal::OverBudget) => {
                return failed(LlmStatus::OverBudget, Refusal::OverBudget.to_string());
            }
            Err(refusal) => return failed(LlmStatus::Unavailable, refusal.to_string()),
        };
        let prompt = prompt::build(&ask.request.task, ask.templates);
        let model = provider.config().model(ask.request.tier).to_owned();
        match provider
            .complete(&prompt, ask.request.tier, ask.request.max_tokens, wait)
            .await
        {
            Ok(completion) => {
                let tokens = completion.prompt_tokens + completion.completion_tokens;
                pass.finish(Outcome::Answered, tokens);
                let usage = Some(ModelUsage {
                    model,
                    prompt_tokens: completion.prompt_tokens,
                    completion_tokens: completion.completion_tokens,
                    latency_ms: u32::try_from(completion.latency.as_millis()).unwrap_or(u32::MAX),
                });
                match answer::read_with(id, &ask.request.task, values.as_ref(), &completion.content)
                {
                    Ok(result) => Asked {
                        result,
                        usage,
                        why: None,
                    },
                    Err(invalid) => Asked {
                        result: LlmResult::failed(id, LlmStatus::Invalid),
                        usage,
                        why: Some(invalid.to_string()),
                    },
                }
            }
            Err(e) => {
                let (outcome, status) = match &e {
                    ProviderError::Timeout(_) => (Outcome::Failed, LlmStatus::Timeout),
                    ProviderError::SlowDown(after) => {
                        (Outcome::SlowDown(*after), LlmStatus::Unavailable)
                    }
                    ProviderError::BadAnswer(_) => (Outcome::Failed, LlmStatus::Invalid),
                    ProviderError::Refused { .. }
                    | ProviderError::Unreachable(_)
                    | ProviderError::Config(_) => (Outcome::Failed, LlmStatus::Unavailable),
                };
                // A timed-out request may still be billed: its tokens are not known, the
                // budget counts the most it could have used.
                let spent = if status == LlmStatus::Timeout {
                    ask.request.max_tokens
                } else {
                    0
                };
                pass.finish(outcome, spent);
                failed(status, e.to_string())
            }
        }
    }
}
