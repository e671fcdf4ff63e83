//! A canned language model for a scripted dialog: what the host would hand the scenario
//! (after its own checks) for requests whose words contain a fragment. A script with a
//! `model:` section runs with the `llm` capability granted; without one, as a call on a
//! deployment without a model.

use serde::Deserialize;
use serde_json::{Map, Value};
use sva_abi::{LlmRequest, LlmResult, LlmStatus, LlmTask};
use sva_turn::{Asked, Language};

/// One canned answer.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelReply {
    /// A fragment the caller's words must contain (lowercased, `ё` as `е`); empty: any.
    #[serde(default)]
    pub when: String,
    /// The status the scenario gets (`ok`, `timeout`, `invalid`, `over_budget`,
    /// `unavailable`).
    pub status: LlmStatus,
    /// `understand`: the command.
    #[serde(default)]
    pub command: Option<String>,
    /// `understand`: the values.
    #[serde(default)]
    pub values: Option<Map<String, Value>>,
    /// `phrase`: the text.
    #[serde(default)]
    pub text: Option<String>,
}

/// The canned answers of one script, first match wins; no match is `unavailable`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CannedModel(pub Vec<ModelReply>);

#[async_trait::async_trait]
impl Language for CannedModel {
    async fn ask(&self, request: &LlmRequest) -> Asked {
        let words = match &request.task {
            LlmTask::Understand(u) => &u.text,
            LlmTask::Phrase(p) => &p.text,
        };
        let words = crate::fold(words);
        let reply = self
            .0
            .iter()
            .find(|r| words.contains(&crate::fold(&r.when)));
        let result = match reply {
            Some(r) => LlmResult {
                command: r.command.clone(),
                values: r.values.clone(),
                text: r.text.clone(),
                ..LlmResult::failed(request.id.clone(), r.status)
            },
            None => LlmResult::failed(request.id.clone(), LlmStatus::Unavailable),
        };
        Asked {
            result,
            usage: None,
            why: None,
        }
    }
}
