//! The script file: its YAML shape and how it becomes events and a context.

use crate::{Expect, Snippet, SnippetKnowledge};
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use sva_abi::{Context, Direction, Event};

/// A script that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    /// The file or directory could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// What was read.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
    /// The file is not a valid script.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the YAML location when known.
        message: String,
    },
}

/// A parsed scripted dialog.
#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    /// The dialog's title.
    pub name: String,
    /// The file it came from, if any.
    pub path: Option<PathBuf>,
    /// The context every step sees (its `turn` is set by the runner).
    pub context: Context,
    /// Answers to the scenario's retrieve requests.
    pub knowledge: SnippetKnowledge,
    /// Answers to the scenario's `llm` requests; `None`: the call has no model.
    pub model: Option<crate::CannedModel>,
    /// The caller's side of the conversation, starting with `call_started`.
    pub turns: Vec<ScriptTurn>,
    /// Expectations on the state after the last turn.
    pub end: Expect,
}

/// One event of the script and what must follow it.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptTurn {
    /// The event sent to the scenario.
    pub event: Event,
    /// What the script says the caller did, for reports (`caller: «…»`, `silence`, …).
    pub label: String,
    /// What the assistant must do in answer.
    pub expect: Expect,
}

/// The context scripts run in unless they override it: the demo tenant, an inbound
/// call from a mobile number, on Wednesday 25 November 2026 at noon Moscow time.
pub fn default_context() -> Context {
    let mut context = Context::default();
    context.tenant.id = "demo".into();
    context.tenant.company = "ТехноСклад".into();
    context.tenant.product = "системы автоматизации склада".into();
    context.tenant.manager_phone = Some("+74951234567".into());
    context.call.id = "script-call".into();
    context.call.direction = Direction::Inbound;
    context.call.caller = Some("+79161234567".into());
    context.call.callee = Some("+74950000000".into());
    context.now = "2026-11-25T12:00:00+03:00".into();
    context
}

impl Script {
    /// Parses a script from YAML text; `path` is used in error messages and reports.
    pub fn parse(yaml: &str, path: Option<&Path>) -> Result<Script, ScriptError> {
        let shown = path.map_or_else(|| PathBuf::from("<script>"), Path::to_path_buf);
        let invalid = |message: String| ScriptError::Invalid {
            path: shown.clone(),
            message,
        };
        let file: ScriptFile = serde_norway::from_str(yaml).map_err(|e| invalid(e.to_string()))?;
        let mut context = default_context();
        if let Some(now) = file.now {
            context.now = now;
        }
        if let Some(direction) = file.direction {
            context.call.direction = direction;
        }
        if let Some(caller) = file.caller {
            context.call.caller = caller;
        }
        if let Some(callee) = file.callee {
            context.call.callee = callee;
        }
        context.call.custom_data = file.custom_data;
        context.customer = file.customer;
        if file.model.is_some() {
            context.capabilities = vec![sva_abi::LLM_CAPABILITY.to_owned()];
        }
        let tenant = file.tenant;
        if let Some(company) = tenant.company {
            context.tenant.company = company;
        }
        if let Some(product) = tenant.product {
            context.tenant.product = product;
        }
        if let Some(phone) = tenant.manager_phone {
            context.tenant.manager_phone = phone;
        }
        context.tenant.texts = tenant.texts;
        context.tenant.settings = tenant.settings;

        let mut turns = Vec::with_capacity(file.turns.len() + 1);
        for (i, spec) in file.turns.into_iter().enumerate() {
            let turn = spec
                .into_turn()
                .map_err(|m| invalid(format!("turn {}: {m}", i + 1)))?;
            if i > 0 && turn.event == Event::CallStarted {
                return Err(invalid(format!(
                    "turn {}: `start` may only be the first turn",
                    i + 1
                )));
            }
            turns.push(turn);
        }
        if turns.first().is_none_or(|t| t.event != Event::CallStarted) {
            turns.insert(
                0,
                ScriptTurn {
                    event: Event::CallStarted,
                    label: "start".into(),
                    expect: Expect::default(),
                },
            );
        }
        Ok(Script {
            name: file.name,
            path: path.map(Path::to_path_buf),
            context,
            knowledge: SnippetKnowledge(file.knowledge),
            model: file.model.map(crate::CannedModel),
            turns,
            end: file.end.unwrap_or_default(),
        })
    }

    /// Reads and parses one script file.
    pub fn load(path: &Path) -> Result<Script, ScriptError> {
        let yaml = std::fs::read_to_string(path).map_err(|source| ScriptError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Script::parse(&yaml, Some(path))
    }
}

/// Loads a script file, or every `*.yaml` / `*.yml` in a directory, sorted by name.
pub fn load_path(path: &Path) -> Result<Vec<Script>, ScriptError> {
    if !path.is_dir() {
        return Script::load(path).map(|s| vec![s]);
    }
    let io = |source| ScriptError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).map_err(io)? {
        let file = entry.map_err(io)?.path();
        if file.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            files.push(file);
        }
    }
    files.sort();
    files.iter().map(|f| Script::load(f)).collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScriptFile {
    name: String,
    now: Option<String>,
    direction: Option<Direction>,
    #[serde(default, deserialize_with = "present")]
    caller: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    callee: Option<Option<String>>,
    #[serde(default)]
    custom_data: serde_json::Map<String, serde_json::Value>,
    customer: Option<sva_abi::CustomerProfile>,
    #[serde(default)]
    tenant: TenantOverrides,
    #[serde(default)]
    knowledge: Vec<Snippet>,
    model: Option<Vec<crate::ModelReply>>,
    turns: Vec<TurnSpec>,
    end: Option<Expect>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TenantOverrides {
    company: Option<String>,
    product: Option<String>,
    #[serde(default, deserialize_with = "present")]
    manager_phone: Option<Option<String>>,
    #[serde(default)]
    texts: BTreeMap<String, String>,
    #[serde(default)]
    settings: serde_json::Map<String, serde_json::Value>,
}

/// Tells "key: null" (Some(None)) from an absent key (None, through `default`).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TurnSpec {
    start: Option<bool>,
    caller: Option<String>,
    barge_in: Option<String>,
    heard: Option<String>,
    silence: Option<bool>,
    dtmf: Option<String>,
    transfer_failed: Option<String>,
    confidence: Option<f32>,
    #[serde(default)]
    expect: Expect,
}

impl TurnSpec {
    fn into_turn(self) -> Result<ScriptTurn, String> {
        let confidence = self.confidence.unwrap_or(0.9);
        let mut events = Vec::new();
        if self.start == Some(true) {
            events.push((Event::CallStarted, "start".to_owned()));
        }
        if let Some(text) = self.caller {
            events.push((
                Event::Utterance {
                    text: text.clone(),
                    confidence,
                },
                format!("caller: «{text}»"),
            ));
        }
        if let Some(text) = self.barge_in {
            events.push((
                Event::BargeIn {
                    text: text.clone(),
                    confidence,
                    heard: self.heard.clone().unwrap_or_default(),
                },
                format!("caller interrupts: «{text}»"),
            ));
        } else if self.heard.is_some() {
            return Err("`heard` goes with `barge_in`".into());
        }
        if self.silence == Some(true) {
            events.push((Event::NoInput, "silence".to_owned()));
        }
        if let Some(digits) = self.dtmf {
            events.push((
                Event::Dtmf {
                    digits: digits.clone(),
                },
                format!("keys: {digits}"),
            ));
        }
        if let Some(reason) = self.transfer_failed {
            events.push((
                Event::TransferFailed {
                    reason: reason.clone(),
                },
                format!("transfer failed: {reason}"),
            ));
        }
        if events.len() != 1 {
            return Err(
                "each turn needs exactly one of start, caller, barge_in, silence, dtmf, transfer_failed"
                    .into(),
            );
        }
        let (event, label) = events.remove(0);
        Ok(ScriptTurn {
            event,
            label,
            expect: self.expect,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_script_gets_defaults_and_an_implicit_start() {
        let script = Script::parse(
            "name: t\ncaller: null\ntenant: {manager_phone: null, company: Ромашка}\nturns:\n  - caller: алло\n    confidence: 0.5\n",
            None,
        )
        .unwrap();
        assert_eq!(script.turns.len(), 2);
        assert_eq!(script.turns[0].event, Event::CallStarted);
        assert_eq!(
            script.turns[1].event,
            Event::Utterance {
                text: "алло".into(),
                confidence: 0.5
            }
        );
        assert_eq!(script.context.call.caller, None);
        assert_eq!(script.context.tenant.manager_phone, None);
        assert_eq!(script.context.tenant.company, "Ромашка");
        assert_eq!(script.context.now, default_context().now);
        assert_eq!(script.context.call.callee, default_context().call.callee);

        // An outbound call: the company's line calls the contact.
        let outbound = Script::parse(
            "name: t\ndirection: outbound\ncaller: '+74950000000'\ncallee: '+79161234567'\ncustom_data: {contact_name: Иван, answered_by: human}\nturns: []\n",
            None,
        )
        .unwrap();
        assert_eq!(
            outbound.context.call.callee.as_deref(),
            Some("+79161234567")
        );
        assert_eq!(
            outbound.context.call.caller.as_deref(),
            Some("+74950000000")
        );
        assert_eq!(outbound.context.call.custom_data["contact_name"], "Иван");
    }

    #[test]
    fn mistakes_in_a_script_are_reported_with_the_turn() {
        let two_events = "name: t\nturns:\n  - caller: да\n    silence: true\n";
        let err = Script::parse(two_events, None).unwrap_err().to_string();
        assert!(err.contains("turn 1: each turn needs exactly one"), "{err}");

        let unknown_key = "name: t\nturns:\n  - caller: да\n    expect: {sey: привет}\n";
        let err = Script::parse(unknown_key, None).unwrap_err().to_string();
        assert!(err.contains("sey"), "{err}");

        let late_start = "name: t\nturns:\n  - caller: да\n  - start: true\n";
        assert!(Script::parse(late_start, None).is_err());
    }
}
