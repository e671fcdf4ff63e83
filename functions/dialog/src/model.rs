//! The language model as one turn of one tenant's call sees it: the deployment's
//! [`Models`] with the tenant's limits and prompts, what is left of the turn, and the
//! tokens the call has used.

use crate::Tenant;
use async_trait::async_trait;
use std::sync::atomic::{AtomicU32, Ordering};
use sva_abi::{LlmRequest, LlmResult, LlmStatus, LlmTask};
use sva_llm::{Ask, Limits, Models, Templates};
use sva_turn::{Asked, Language};
use tokio::time::Instant;

/// One turn's access to the model.
pub(crate) struct TurnModel<'a> {
    models: &'a Models,
    tenant: &'a Tenant,
    deadline: Instant,
    call_tokens: AtomicU32,
    day: u64,
}

impl<'a> TurnModel<'a> {
    /// For a turn that must be answered by `deadline`, in a call that has used
    /// `call_tokens`, at `now` (Unix seconds).
    pub(crate) fn new(
        models: &'a Models,
        tenant: &'a Tenant,
        deadline: Instant,
        call_tokens: u32,
        now: u64,
    ) -> Self {
        TurnModel {
            models,
            tenant,
            deadline,
            call_tokens: AtomicU32::new(call_tokens),
            day: now / 86_400,
        }
    }

    fn limits(&self) -> Limits {
        let s = &self.tenant.llm;
        Limits {
            tokens_per_call: s.tokens_per_call,
            tokens_per_day: s.tokens_per_day,
            concurrency: s.concurrency as usize,
            ..Limits::default()
        }
    }
}

#[async_trait]
impl Language for TurnModel<'_> {
    async fn ask(&self, request: &LlmRequest) -> Asked {
        if matches!(request.task, LlmTask::Phrase(_)) && !self.tenant.llm.phrase {
            return Asked {
                result: LlmResult::failed(request.id.clone(), LlmStatus::Unavailable),
                usage: None,
                why: Some("the tenant has not enabled phrasing by the model".into()),
            };
        }
        // The tenant's wording, copied only for a turn that asks the model.
        let templates = Templates {
            understand: self.tenant.llm.understand_prompt.clone(),
            phrase: self.tenant.llm.phrase_prompt.clone(),
        };
        let answered = self
            .models
            .ask(Ask {
                tenant: &self.tenant.context.id,
                request,
                call_tokens: self.call_tokens.load(Ordering::Relaxed),
                turn_left: self.deadline.saturating_duration_since(Instant::now()),
                templates: &templates,
                limits: self.limits(),
                day: self.day,
                provider: self.tenant.llm.provider.as_deref(),
            })
            .await;
        if let Some(u) = &answered.usage {
            self.call_tokens
                .fetch_add(u.prompt_tokens + u.completion_tokens, Ordering::Relaxed);
        }
        answered
    }
}
