//! The scenario's state as the host carries it: the module's own JSON text.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

/// A scenario's state: JSON text that a module returned and gets back on its next step.
///
/// ABI v1 makes the state opaque to the host, so the host keeps the module's text as it
/// was written: it is neither parsed into a tree after every step nor written again for
/// the state token, and its size is the size of that text. Equality compares the text.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct State(Box<RawValue>);

impl State {
    /// `null`: the state of a call's first step.
    pub fn null() -> State {
        State::from_value(&Value::Null)
    }

    /// The state holding `value`.
    pub fn from_value(value: &Value) -> State {
        // A `Value` always serialises (its map keys are strings).
        State(serde_json::value::to_raw_value(value).unwrap_or_else(|_| null_text()))
    }

    /// The state as a JSON tree (for tests, tools and native scenarios).
    pub fn to_value(&self) -> Value {
        serde_json::from_str(self.0.get()).unwrap_or(Value::Null)
    }

    /// The JSON text, as the module wrote it.
    pub fn as_json(&self) -> &str {
        self.0.get()
    }

    /// Whether the state is `null` (nothing kept yet).
    pub fn is_null(&self) -> bool {
        self.0.get() == "null"
    }
}

fn null_text() -> Box<RawValue> {
    RawValue::from_string("null".to_owned()).expect("`null` is JSON")
}

impl Default for State {
    fn default() -> Self {
        State::null()
    }
}

impl PartialEq for State {
    fn eq(&self, other: &Self) -> bool {
        self.0.get() == other.0.get()
    }
}

impl PartialEq<Value> for State {
    fn eq(&self, other: &Value) -> bool {
        self.to_value() == *other
    }
}

impl From<Value> for State {
    fn from(value: Value) -> Self {
        State::from_value(&value)
    }
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.get())
    }
}

#[cfg(test)]
mod tests {
    use super::State;
    use serde_json::json;

    #[test]
    fn the_text_is_kept_as_written() {
        let written = r#"{"n":1e15, "node" : "a"}"#;
        let output: crate::StepOutput =
            serde_json::from_str(&format!(r#"{{"state":{written},"actions":[]}}"#)).unwrap();
        assert_eq!(output.state.as_json(), written);
        assert_eq!(output.state, json!({"n": 1e15, "node": "a"}));
        let again = serde_json::to_string(&output).unwrap();
        assert!(again.contains(written), "{again}");
    }

    #[test]
    fn null_is_the_default_and_round_trips() {
        assert!(State::default().is_null());
        assert_eq!(State::from(json!({"a": [1]})).to_value(), json!({"a": [1]}));
        assert!(!State::from(json!({})).is_null());
    }
}
