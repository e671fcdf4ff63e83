//! The model's answer, checked before the scenario sees it: the command is one of the
//! scenario's, the values follow its schema, the phrase fits and is grounded in the facts.
//! Anything else is `invalid`, and the scenario does what it would do without a model.

use crate::grounding::{self, Ungrounded};
use serde_json::{Map, Value};
use sva_abi::{LlmResult, LlmStatus, LlmTask, Phrase, Understand};

/// Why an answer was not passed on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Invalid {
    /// Not a JSON object of the asked shape.
    #[error("the answer is not the JSON object asked for: {0}")]
    Shape(String),
    /// A command the scenario did not offer.
    #[error("the command {0:?} is not one of the scenario's")]
    Command(String),
    /// The scenario's schema does not compile (the request's fault).
    #[error("the scenario's values schema is not a valid JSON schema: {0}")]
    Schema(String),
    /// The values break the scenario's schema.
    #[error("the values do not follow the scenario's schema: {0}")]
    Values(String),
    /// An empty phrase: the facts do not answer the question.
    #[error("the model found no answer in the facts")]
    Empty,
    /// Longer than `max_chars`.
    #[error("the phrase is {0} characters, longer than asked")]
    TooLong(usize),
    /// A number or a name not in the facts.
    #[error("the phrase is not grounded: {0}")]
    Ungrounded(#[from] Ungrounded),
}

/// Reads the model's `content` as the answer to `task` (request `id`).
pub fn read(id: &str, task: &LlmTask, content: &str) -> Result<LlmResult, Invalid> {
    read_with(id, task, compile(task)?.as_ref(), content)
}

/// [`read`] with the values schema compiled already ([`compile`]: once per request).
pub fn read_with(
    id: &str,
    task: &LlmTask,
    values: Option<&jsonschema::Validator>,
    content: &str,
) -> Result<LlmResult, Invalid> {
    let object = object(content)?;
    match task {
        LlmTask::Understand(u) => understand(id, u, values, object),
        LlmTask::Phrase(p) => phrase(id, p, object),
    }
}

/// Checks a request's values schema before anything is sent (a broken one is the
/// scenario's fault and costs no tokens).
pub fn check_schema(task: &LlmTask) -> Result<(), Invalid> {
    compile(task).map(drop)
}

/// The request's values schema compiled (`None`: the task has none), or why it cannot be.
pub fn compile(task: &LlmTask) -> Result<Option<jsonschema::Validator>, Invalid> {
    match task {
        LlmTask::Understand(Understand {
            values: Some(schema),
            ..
        }) => jsonschema::validator_for(&Value::Object(schema.clone()))
            .map(Some)
            .map_err(|e| Invalid::Schema(e.to_string())),
        _ => Ok(None),
    }
}

/// The JSON object in `content`, also when a model wraps it in a Markdown fence.
fn object(content: &str) -> Result<Map<String, Value>, Invalid> {
    let trimmed = content.trim();
    let inner = trimmed
        .strip_prefix("```json")
        .or_else(|| trimmed.strip_prefix("```"))
        .and_then(|rest| rest.strip_suffix("```"))
        .unwrap_or(trimmed);
    match serde_json::from_str::<Value>(inner.trim()) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Invalid::Shape("not an object".into())),
        Err(e) => Err(Invalid::Shape(e.to_string())),
    }
}

fn understand(
    id: &str,
    u: &Understand,
    validator: Option<&jsonschema::Validator>,
    mut answer: Map<String, Value>,
) -> Result<LlmResult, Invalid> {
    let command = match answer.remove("command") {
        Some(Value::String(c)) => c,
        _ => return Err(Invalid::Shape("no command".into())),
    };
    if !u.commands.iter().any(|c| c.name == command) {
        return Err(Invalid::Command(command));
    }
    let values = match answer.remove("values") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(v)) => v,
        Some(_) => return Err(Invalid::Shape("values is not an object".into())),
    };
    if let Some(key) = answer.keys().next() {
        return Err(Invalid::Shape(format!("unexpected field {key:?}")));
    }
    // A schema the caller did not compile is compiled here: it is never skipped.
    let compiled;
    let validator = match (validator, &u.values) {
        (None, Some(_)) => {
            compiled = compile(&LlmTask::Understand(u.clone()))?;
            compiled.as_ref()
        }
        (validator, _) => validator,
    };
    match validator {
        Some(validator) => {
            let instance = Value::Object(values);
            validator
                .validate(&instance)
                .map_err(|e| Invalid::Values(e.to_string()))?;
            let Value::Object(values) = instance else {
                unreachable!("built as an object above")
            };
            Ok(LlmResult {
                command: Some(command),
                values: Some(values),
                ..LlmResult::failed(id, LlmStatus::Ok)
            })
        }
        None if !values.is_empty() => {
            Err(Invalid::Values("the scenario asked for no values".into()))
        }
        None => Ok(LlmResult {
            command: Some(command),
            ..LlmResult::failed(id, LlmStatus::Ok)
        }),
    }
}

fn phrase(id: &str, p: &Phrase, answer: Map<String, Value>) -> Result<LlmResult, Invalid> {
    let text = match answer.get("text") {
        Some(Value::String(t)) => t.trim(),
        _ => return Err(Invalid::Shape("no text".into())),
    };
    if text.is_empty() {
        return Err(Invalid::Empty);
    }
    let chars = text.chars().count();
    if chars > p.max_chars as usize {
        return Err(Invalid::TooLong(chars));
    }
    grounding::check(text, &p.facts)?;
    Ok(LlmResult {
        text: Some(text.to_owned()),
        ..LlmResult::failed(id, LlmStatus::Ok)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use sva_abi::Command;

    fn budget_task() -> LlmTask {
        let Value::Object(schema) = json!({
            "type": "object",
            "properties": {"amount": {"type": "integer", "minimum": 0}},
            "additionalProperties": false,
        }) else {
            unreachable!()
        };
        LlmTask::Understand(Understand {
            text: "ну где-то как у соседей, лям наверное".into(),
            question: "Какой у вас бюджет?".into(),
            commands: vec![
                Command {
                    name: "budget".into(),
                    description: String::new(),
                },
                Command {
                    name: "unclear".into(),
                    description: String::new(),
                },
            ],
            values: Some(schema),
        })
    }

    #[test]
    fn a_command_of_the_scenarios_with_values_in_its_schema_is_passed_on() {
        let r = read(
            "u1",
            &budget_task(),
            r#"{"command":"budget","values":{"amount":1000000}}"#,
        )
        .unwrap();
        assert_eq!(r.status, LlmStatus::Ok);
        assert_eq!(r.command.as_deref(), Some("budget"));
        assert_eq!(r.values.unwrap()["amount"], json!(1_000_000));
        let fenced = "```json\n{\"command\":\"unclear\"}\n```";
        assert_eq!(
            read("u1", &budget_task(), fenced)
                .unwrap()
                .command
                .as_deref(),
            Some("unclear")
        );
    }

    #[test]
    fn anything_else_is_invalid() {
        let t = budget_task();
        for (content, want) in [
            ("бюджет миллион", "shape"),
            ("[1]", "shape"),
            (r#"{"command":"transfer","values":{}}"#, "command"),
            (r#"{"command":"budget","values":{"amount":-5}}"#, "values"),
            (r#"{"command":"budget","values":{"discount":90}}"#, "values"),
            (r#"{"command":"budget","extra":1}"#, "shape"),
        ] {
            let err = read("u1", &t, content).unwrap_err();
            let kind = match err {
                Invalid::Shape(_) => "shape",
                Invalid::Command(_) => "command",
                Invalid::Values(_) => "values",
                _ => "other",
            };
            assert_eq!(kind, want, "{content}: {err}");
        }
    }

    #[test]
    fn a_broken_schema_is_the_scenarios_fault_found_before_sending() {
        let Value::Object(schema) = json!({"type": "no-such-type"}) else {
            unreachable!()
        };
        let task = LlmTask::Understand(Understand {
            text: "да".into(),
            question: String::new(),
            commands: vec![Command {
                name: "yes".into(),
                description: String::new(),
            }],
            values: Some(schema),
        });
        assert!(matches!(check_schema(&task), Err(Invalid::Schema(_))));
        assert_eq!(check_schema(&budget_task()), Ok(()));
    }

    #[test]
    fn a_phrase_must_fit_and_be_grounded() {
        let task = LlmTask::Phrase(Phrase {
            text: "а скидку дадите девяносто процентов".into(),
            facts: vec!["Скидка при оплате за год — 15 %.".into()],
            max_chars: 80,
        });
        let ok = read("p1", &task, r#"{"text":"При оплате за год скидка 15 %."}"#).unwrap();
        assert_eq!(ok.text.as_deref(), Some("При оплате за год скидка 15 %."));
        assert_eq!(
            read("p1", &task, r#"{"text":"Конечно, скидка 90 %!"}"#),
            Err(Invalid::Ungrounded(Ungrounded::Number("90".into())))
        );
        assert_eq!(read("p1", &task, r#"{"text":" "}"#), Err(Invalid::Empty));
        let long = format!(r#"{{"text":"{}"}}"#, "скидка ".repeat(20));
        assert!(matches!(read("p1", &task, &long), Err(Invalid::TooLong(_))));
    }
}
