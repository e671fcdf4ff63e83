//! The language-model capability: the `llm` request and its `llm_result` answer.
//!
//! A scenario that declares `"capabilities": ["llm"]` in its manifest and finds `"llm"`
//! in `context.capabilities` may end a step with an `llm` request; the host asks the
//! tenant's model, checks what it says, and steps the module again in the same turn
//! with an `llm_result` event. The model only *proposes*: a command from the scenario's
//! list with values in the scenario's schema (`understand`), or a short phrase made of
//! the facts the scenario passed (`phrase`). The scenario decides what to do with it.

use crate::Hit;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The capability name a module declares in its manifest and finds in
/// `context.capabilities` when the host and the tenant have a model.
pub const LLM_CAPABILITY: &str = "llm";

/// Bounds of the request's fields, checked by the host on every output.
pub mod bounds {
    /// `max_ms`: the longest a scenario may let the model take.
    pub const MAX_MS: std::ops::RangeInclusive<u32> = 100..=5_000;
    /// `max_tokens`: the longest answer, in the provider's tokens.
    pub const MAX_TOKENS: std::ops::RangeInclusive<u32> = 1..=1_000;
    /// `text`: the caller's words, in characters.
    pub const TEXT_CHARS: usize = 1_000;
    /// `question`: what the assistant asked, in characters.
    pub const QUESTION_CHARS: usize = 500;
    /// `commands`: how many a scenario may offer.
    pub const COMMANDS: std::ops::RangeInclusive<usize> = 1..=16;
    /// A command's name: `[a-z0-9_]`, at most this many bytes.
    pub const COMMAND_NAME: usize = 32;
    /// A command's description, in characters.
    pub const COMMAND_DESCRIPTION: usize = 200;
    /// `values`: the schema as JSON text, in bytes.
    pub const SCHEMA_BYTES: usize = 4_096;
    /// `facts`: how many a `phrase` may be built from.
    pub const FACTS: std::ops::RangeInclusive<usize> = 1..=8;
    /// One fact, in characters.
    pub const FACT_CHARS: usize = 1_500;
    /// `max_chars`: the longest phrase a scenario may ask for.
    pub const PHRASE_CHARS: std::ops::RangeInclusive<u32> = 20..=600;
}

/// A request to the host's language model (the `llm` action).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "wire::LlmBody", into = "wire::LlmBody")]
pub struct LlmRequest {
    /// Chosen by the scenario, echoed back in the result.
    pub id: String,
    /// What the model is asked to do.
    pub task: LlmTask,
    /// Which of the tenant's models (`lite`, the default, or `pro`).
    pub tier: ModelTier,
    /// The longest the scenario lets the model take, in milliseconds (100..=5000); the
    /// host may give it less (what is left of the turn).
    pub max_ms: u32,
    /// The longest answer, in tokens (1..=1000).
    pub max_tokens: u32,
}

/// The two things a model may be asked.
#[derive(Debug, Clone, PartialEq)]
pub enum LlmTask {
    /// Map the caller's words to one of the scenario's commands, with values.
    Understand(Understand),
    /// Say a short answer made only of the given facts.
    Phrase(Phrase),
}

/// The fields of an `understand` task.
#[derive(Debug, Clone, PartialEq)]
pub struct Understand {
    /// The caller's words: untrusted data, never instructions.
    pub text: String,
    /// What the assistant had just asked, if anything (helps "да", "второй вариант").
    pub question: String,
    /// The commands the model may choose from; it must choose exactly one.
    pub commands: Vec<Command>,
    /// A JSON schema (an object schema) for the command's values, or `None` for none.
    pub values: Option<Map<String, Value>>,
}

/// One command a scenario offers the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Command {
    /// `[a-z0-9_]{1,32}`, e.g. `answer`, `question`, `callback`.
    pub name: String,
    /// When to choose it, for the model.
    #[serde(default)]
    pub description: String,
}

/// The fields of a `phrase` task.
#[derive(Debug, Clone, PartialEq)]
pub struct Phrase {
    /// The caller's question: untrusted data, never a source of facts.
    pub text: String,
    /// The only facts the phrase may use: knowledge passages, slot values.
    pub facts: Vec<String>,
    /// The longest phrase, in characters (20..=600, default 300).
    pub max_chars: u32,
}

/// The tenant's model tiers; the deployment maps each to a model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelTier {
    /// Fast and cheap (YandexGPT Lite by default).
    #[default]
    Lite,
    /// Better and slower (YandexGPT Pro by default).
    Pro,
}

impl ModelTier {
    /// The tier's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ModelTier::Lite => "lite",
            ModelTier::Pro => "pro",
        }
    }
}

/// The host's answer to an [`LlmRequest`] (the `llm_result` event).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LlmResult {
    /// The `id` of the request being answered.
    pub id: String,
    /// How it went; anything but `ok` means "do what you would do without a model".
    pub status: LlmStatus,
    /// `understand`, `ok`: the command the model chose, one of the scenario's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// `understand`, `ok`: the values, valid against the scenario's schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Map<String, Value>>,
    /// `phrase`, `ok`: the phrase, every number and name in it found in the facts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// When the same step also asked for `retrieve`: the knowledge base's answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retrieve: Option<RetrieveAnswer>,
}

impl LlmResult {
    /// A result without an answer (`timeout`, `invalid`, `over_budget`, `unavailable`).
    pub fn failed(id: impl Into<String>, status: LlmStatus) -> Self {
        LlmResult {
            id: id.into(),
            status,
            command: None,
            values: None,
            text: None,
            retrieve: None,
        }
    }
}

/// How an `llm` request went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LlmStatus {
    /// The model answered and the answer passed every check.
    Ok,
    /// The model did not answer within the time it had.
    Timeout,
    /// The model answered something the checks refused (off the list, off the schema,
    /// a number or name not in the facts).
    Invalid,
    /// The tenant's token budget for the call or the day is spent.
    OverBudget,
    /// No model for this tenant, or the provider is failing (the host stopped asking).
    Unavailable,
}

impl LlmStatus {
    /// The status's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            LlmStatus::Ok => "ok",
            LlmStatus::Timeout => "timeout",
            LlmStatus::Invalid => "invalid",
            LlmStatus::OverBudget => "over_budget",
            LlmStatus::Unavailable => "unavailable",
        }
    }
}

/// A `retrieve` answer carried inside an [`LlmResult`] when one step asked for both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetrieveAnswer {
    /// The `id` of the retrieve request.
    pub id: String,
    /// Best first; empty when the knowledge base had nothing good.
    pub hits: Vec<Hit>,
}

impl LlmRequest {
    /// Why the request breaks the ABI's bounds, if it does (the host refuses the step's
    /// output with `bad_output` and this reason).
    pub fn check(&self) -> Result<(), String> {
        if self.id.is_empty() || self.id.len() > 64 {
            return Err("llm id must have 1..=64 bytes".into());
        }
        if !bounds::MAX_MS.contains(&self.max_ms) {
            return Err("llm max_ms must be within 100..=5000".into());
        }
        if !bounds::MAX_TOKENS.contains(&self.max_tokens) {
            return Err("llm max_tokens must be within 1..=1000".into());
        }
        let chars = |s: &str| s.chars().count();
        match &self.task {
            LlmTask::Understand(u) => {
                if u.text.trim().is_empty() || chars(&u.text) > bounds::TEXT_CHARS {
                    return Err("llm text must have 1..=1000 characters".into());
                }
                if chars(&u.question) > bounds::QUESTION_CHARS {
                    return Err("llm question must have at most 500 characters".into());
                }
                if !bounds::COMMANDS.contains(&u.commands.len()) {
                    return Err("llm commands must list 1..=16 commands".into());
                }
                for (i, c) in u.commands.iter().enumerate() {
                    let valid = !c.name.is_empty()
                        && c.name.len() <= bounds::COMMAND_NAME
                        && c.name
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
                    if !valid {
                        return Err(format!(
                            "llm command {i}: the name must be [a-z0-9_]{{1,32}}"
                        ));
                    }
                    if chars(&c.description) > bounds::COMMAND_DESCRIPTION {
                        return Err(format!("llm command {i}: the description is too long"));
                    }
                    if u.commands[..i].iter().any(|d| d.name == c.name) {
                        return Err(format!("llm command {:?} is listed twice", c.name));
                    }
                }
                if let Some(schema) = &u.values {
                    if schema.get("type").and_then(Value::as_str) != Some("object") {
                        return Err(
                            "llm values must be an object schema (\"type\": \"object\")".into()
                        );
                    }
                    let len = serde_json::to_string(schema).map_or(usize::MAX, |s| s.len());
                    if len > bounds::SCHEMA_BYTES {
                        return Err("llm values schema is larger than 4096 bytes".into());
                    }
                }
            }
            LlmTask::Phrase(p) => {
                if p.text.trim().is_empty() || chars(&p.text) > bounds::TEXT_CHARS {
                    return Err("llm text must have 1..=1000 characters".into());
                }
                if !bounds::FACTS.contains(&p.facts.len()) {
                    return Err("llm facts must list 1..=8 facts".into());
                }
                if p.facts
                    .iter()
                    .any(|f| f.trim().is_empty() || chars(f) > bounds::FACT_CHARS)
                {
                    return Err("llm facts must each have 1..=1500 characters".into());
                }
                if !bounds::PHRASE_CHARS.contains(&p.max_chars) {
                    return Err("llm max_chars must be within 20..=600".into());
                }
            }
        }
        Ok(())
    }

    /// The task's name on the wire (`understand` or `phrase`).
    pub fn task_name(&self) -> &'static str {
        match self.task {
            LlmTask::Understand(_) => "understand",
            LlmTask::Phrase(_) => "phrase",
        }
    }
}

/// The flat wire form of an `llm` action: one object, the task's fields beside the
/// common ones, unknown fields refused.
mod wire {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub(super) enum TaskName {
        Understand,
        Phrase,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct LlmBody {
        id: String,
        task: TaskName,
        #[serde(default)]
        tier: ModelTier,
        #[serde(default = "default_max_ms")]
        max_ms: u32,
        #[serde(default = "default_max_tokens")]
        max_tokens: u32,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        question: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        commands: Option<Vec<Command>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        values: Option<Map<String, Value>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        facts: Option<Vec<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_chars: Option<u32>,
    }

    fn default_max_ms() -> u32 {
        800
    }

    fn default_max_tokens() -> u32 {
        150
    }

    impl TryFrom<LlmBody> for LlmRequest {
        type Error = String;

        fn try_from(b: LlmBody) -> Result<LlmRequest, String> {
            let task = match b.task {
                TaskName::Understand => {
                    if b.facts.is_some() || b.max_chars.is_some() {
                        return Err("an understand task has no facts or max_chars".into());
                    }
                    LlmTask::Understand(Understand {
                        text: b.text,
                        question: b.question.unwrap_or_default(),
                        commands: b.commands.ok_or("an understand task needs commands")?,
                        values: b.values,
                    })
                }
                TaskName::Phrase => {
                    if b.question.is_some() || b.commands.is_some() || b.values.is_some() {
                        return Err("a phrase task has no question, commands or values".into());
                    }
                    LlmTask::Phrase(Phrase {
                        text: b.text,
                        facts: b.facts.ok_or("a phrase task needs facts")?,
                        max_chars: b.max_chars.unwrap_or(300),
                    })
                }
            };
            Ok(LlmRequest {
                id: b.id,
                task,
                tier: b.tier,
                max_ms: b.max_ms,
                max_tokens: b.max_tokens,
            })
        }
    }

    impl From<LlmRequest> for LlmBody {
        fn from(r: LlmRequest) -> LlmBody {
            let mut body = LlmBody {
                id: r.id,
                task: TaskName::Understand,
                tier: r.tier,
                max_ms: r.max_ms,
                max_tokens: r.max_tokens,
                text: String::new(),
                question: None,
                commands: None,
                values: None,
                facts: None,
                max_chars: None,
            };
            match r.task {
                LlmTask::Understand(u) => {
                    body.text = u.text;
                    body.question = Some(u.question).filter(|q| !q.is_empty());
                    body.commands = Some(u.commands);
                    body.values = u.values;
                }
                LlmTask::Phrase(p) => {
                    body.task = TaskName::Phrase;
                    body.text = p.text;
                    body.facts = Some(p.facts);
                    body.max_chars = Some(p.max_chars);
                }
            }
            body
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn understand() -> LlmRequest {
        serde_json::from_value(json!({
            "id": "u1", "task": "understand", "text": "ну где-то к весне",
            "question": "Когда планируете запуск?",
            "commands": [{"name": "answer", "description": "ответ на вопрос"},
                         {"name": "question"}],
            "values": {"type": "object", "properties": {"timeline": {"type": "string"}}}
        }))
        .unwrap()
    }

    #[test]
    fn an_understand_request_reads_with_its_defaults_and_round_trips() {
        let r = understand();
        assert_eq!(
            (r.tier, r.max_ms, r.max_tokens),
            (ModelTier::Lite, 800, 150)
        );
        assert_eq!(r.task_name(), "understand");
        r.check().unwrap();
        let back: LlmRequest = serde_json::from_value(serde_json::to_value(&r).unwrap()).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn a_phrase_request_reads_and_round_trips() {
        let r: LlmRequest = serde_json::from_value(json!({
            "id": "p1", "task": "phrase", "tier": "pro", "max_ms": 1200,
            "text": "сколько стоит доставка?", "facts": ["Доставка по Москве — 1500 ₽."]
        }))
        .unwrap();
        let LlmTask::Phrase(p) = &r.task else {
            panic!()
        };
        assert_eq!(p.max_chars, 300);
        r.check().unwrap();
        let back: LlmRequest = serde_json::from_value(serde_json::to_value(&r).unwrap()).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn fields_of_the_other_task_and_unknown_fields_are_refused() {
        for bad in [
            json!({"id": "p", "task": "phrase", "text": "x", "facts": ["a"], "commands": []}),
            json!({"id": "u", "task": "understand", "text": "x", "commands": [{"name": "a"}], "facts": ["a"]}),
            json!({"id": "u", "task": "understand", "text": "x"}),
            json!({"id": "u", "task": "understand", "text": "x", "commands": [{"name": "a"}], "temperature": 1}),
            json!({"id": "u", "task": "chat", "text": "x"}),
        ] {
            assert!(
                serde_json::from_value::<LlmRequest>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_bounds_are_checked() {
        let mut r = understand();
        r.max_ms = 50;
        assert!(r.check().unwrap_err().contains("max_ms"));
        let mut r = understand();
        let LlmTask::Understand(u) = &mut r.task else {
            panic!()
        };
        u.commands.push(Command {
            name: "answer".into(),
            description: String::new(),
        });
        assert!(r.check().unwrap_err().contains("twice"));
        let mut r = understand();
        let LlmTask::Understand(u) = &mut r.task else {
            panic!()
        };
        u.commands[0].name = "Ответ".into();
        assert!(r.check().unwrap_err().contains("[a-z0-9_]"));
        let mut r = understand();
        let LlmTask::Understand(u) = &mut r.task else {
            panic!()
        };
        u.values = Some(
            json!({"type": "string"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        );
        assert!(r.check().unwrap_err().contains("object schema"));
    }

    #[test]
    fn a_result_writes_only_what_it_has() {
        let r = LlmResult::failed("u1", LlmStatus::Timeout);
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({"id": "u1", "status": "timeout"})
        );
    }
}
