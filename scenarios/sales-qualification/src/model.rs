//! Where the rules run out: an answer to a question that the rules could not read is put
//! to the host's language model, when the call may ask it, as a choice between "the
//! caller answered, and this is the answer" and "unclear". The model only proposes: a
//! name or company it proposes is taken only when the caller said those words, and
//! whatever it says, or when it says nothing, the scenario goes on as without it.

use crate::Sales;
use crate::ask::{missed, understood};
use serde_json::{Map, Value, json};
use sva_sdk::abi::{Command, LlmRequest, LlmResult, LlmStatus, LlmTask, Phrase, Understand};
use sva_sdk::{Ctx, Flow};

type C<'a, 'b> = &'a mut Ctx<'b, Sales>;

/// What the scenario keeps while the model's answer is awaited (the step that gets it
/// has the model's answer as its event, not the caller's words).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pending {
    /// Nothing asked.
    #[default]
    None,
    /// An answer was put to `understand`: what the caller said, to check a proposed
    /// name or company against.
    Understanding {
        /// The caller's words.
        heard: String,
    },
    /// A knowledge answer was put to `phrase`: the passage's sentences to say when the
    /// model gives no phrase.
    Phrasing {
        /// The sentences.
        fallback: String,
    },
}

impl Pending {
    /// Whether nothing is awaited.
    pub fn is_none(&self) -> bool {
        *self == Pending::None
    }
}

/// The question nodes the model may help with; each fills the slot of its name.
const NODES: &[&str] = &["need", "timeline", "name", "company"];

/// Slots whose proposed value must be words the caller said.
const SAID_VERBATIM: &[&str] = &["name", "company"];

fn slot_of(node: &str) -> Option<&'static str> {
    NODES.iter().find(|n| **n == node).copied()
}

/// Instead of counting the turn unusable: the request to the model, when this call may
/// ask it, the node is one it helps with, and it was not asked in this turn already.
pub(crate) fn ask(ctx: C, slot: &str) -> Option<Flow> {
    let turn = ctx.context().turn + 1;
    let text = ctx.text().trim().to_owned();
    if !ctx.can_ask_model()
        || text.is_empty()
        || slot_of(ctx.node()) != Some(slot)
        || ctx.state_ref().model_turn == turn
    {
        return None;
    }
    ctx.state().model_turn = turn;
    ctx.state().model_pending = Pending::Understanding {
        heard: text.clone(),
    };
    let key = ctx.state_ref().last_question.clone();
    let question = ctx.text_for(&key, crate::texts::default(&key));
    let Value::Object(values) = json!({
        "type": "object",
        "properties": {"value": {"type": "string", "minLength": 1, "maxLength": 200}},
        "additionalProperties": false,
    }) else {
        return None;
    };
    Some(Flow::Model(Box::new(LlmRequest {
        id: format!("{slot}-{turn}"),
        task: LlmTask::Understand(Understand {
            text: text.chars().take(1_000).collect(),
            question: question.chars().take(500).collect(),
            commands: vec![
                Command {
                    name: "answer".into(),
                    description: format!(
                        "звонящий ответил на вопрос ({slot}); value — ответ его же словами, кратко"
                    ),
                },
                Command {
                    name: "unclear".into(),
                    description: "ответа на вопрос нет или он непонятен".into(),
                },
            ],
            values: Some(values),
        }),
        tier: Default::default(),
        max_ms: 800,
        max_tokens: 80,
    })))
}

/// The model's answer at a question node: the slot filled and the dialog moves on, or,
/// without a usable answer, what the rules do with an unusable turn.
pub(crate) fn answered(ctx: C, result: &LlmResult) -> Flow {
    let Some(slot) = slot_of(ctx.node()) else {
        return Flow::Again;
    };
    let heard = match std::mem::take(&mut ctx.state().model_pending) {
        Pending::Understanding { heard } => heard,
        _ => String::new(),
    };
    let value = proposed(slot, result, &heard);
    match value {
        Some(value) => {
            ctx.set_slot(slot, json!(value), 0.6);
            ctx.log(format!("{slot} proposed by the model"));
            understood(ctx);
            crate::nodes::next(ctx)
        }
        None => missed(ctx, slot),
    }
}

fn proposed(slot: &str, result: &LlmResult, heard: &str) -> Option<String> {
    if result.status != LlmStatus::Ok || result.command.as_deref() != Some("answer") {
        return None;
    }
    let value = result
        .values
        .as_ref()
        .and_then(|v: &Map<String, Value>| v.get("value"))
        .and_then(Value::as_str)?
        .trim()
        .to_owned();
    if value.is_empty() {
        return None;
    }
    if SAID_VERBATIM.contains(&slot) {
        // What the caller said, kept when the model was asked.
        if !heard.to_lowercase().contains(&value.to_lowercase()) {
            return None;
        }
    }
    Some(value)
}

/// Instead of reading the passage's matching sentences (`excerpt`): a short answer to the
/// caller's `question` phrased by the model from the passage alone, when the call may
/// ask it (the host answers `unavailable` unless the tenant enabled phrasing, and checks
/// that every number and name of the phrase is in the passage).
pub(crate) fn phrase(ctx: C, question: &str, passage: &str, excerpt: &str) -> Option<Flow> {
    if !ctx.can_ask_model() || question.trim().is_empty() {
        return None;
    }
    ctx.state().model_pending = Pending::Phrasing {
        fallback: excerpt.to_owned(),
    };
    let turn = ctx.context().turn;
    Some(Flow::Model(Box::new(LlmRequest {
        id: format!("answer-{turn}"),
        task: LlmTask::Phrase(Phrase {
            text: question.chars().take(1_000).collect(),
            facts: vec![passage.chars().take(1_500).collect()],
            max_chars: 300,
        }),
        tier: Default::default(),
        max_ms: 1_000,
        max_tokens: 150,
    })))
}

/// The model's phrase, or the passage's sentences kept when it gave none; then back to
/// where the call was.
pub(crate) fn phrased(ctx: C, result: &LlmResult) -> Flow {
    let excerpt = match std::mem::take(&mut ctx.state().model_pending) {
        Pending::Phrasing { fallback } => fallback,
        _ => String::new(),
    };
    match (&result.status, &result.text) {
        (LlmStatus::Ok, Some(text)) if !text.trim().is_empty() => {
            ctx.say(text.trim().to_owned());
            ctx.log("answered in the model's words");
        }
        _ if !excerpt.trim().is_empty() => ctx.say(excerpt),
        _ => crate::say(ctx, "no_answer_known"),
    }
    Flow::Return
}
