//! Expectations on a turn, and checking a turn against them.

use crate::fold;
use serde::Deserialize;
use std::collections::BTreeMap;
use sva_abi::{Action, Outcome, Qualification, Slot};
use sva_turn::Turn;

/// What the assistant must do after one turn (or, under `end:`, after the last one).
///
/// Every key is optional; an empty `Expect` accepts anything but a failed step.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Expect {
    /// Each fragment must appear in the turn's spoken text.
    #[serde(deserialize_with = "one_or_many")]
    pub say: Vec<String>,
    /// At least one fragment must appear in the turn's spoken text.
    #[serde(deserialize_with = "one_or_many")]
    pub say_any: Vec<String>,
    /// No fragment may appear in the turn's spoken text.
    #[serde(deserialize_with = "one_or_many")]
    pub say_not: Vec<String>,
    /// The turn's closing directive: `listen`, `transfer` or `hangup`.
    pub directive: Option<String>,
    /// The turn hangs up with this reason (`voicemail`, `wrong_person`, `do_not_call`…).
    pub hangup: Option<String>,
    /// Slot values in the latest qualification record (see [`Expect::check`]).
    pub slots: BTreeMap<String, serde_json::Value>,
    /// The latest qualification's outcome.
    pub outcome: Option<Outcome>,
    /// The latest score is at least this.
    pub score_at_least: Option<u8>,
    /// The latest score is below this.
    pub score_below: Option<u8>,
    /// The turn transfers to this number.
    pub transfer_to: Option<String>,
    /// The turn books a callback (`true`), none (`false`), or one whose time starts so.
    pub callback: Option<Flag>,
    /// The turn asked for knowledge (`true`), did not (`false`), or with a query containing so.
    pub retrieved: Option<Flag>,
    /// The scenario failed and the caller heard the fallback phrase (default: must not).
    pub fallback: bool,
}

/// `true`, `false`, or a text fragment.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Flag {
    /// Happened, or did not.
    Bool(bool),
    /// Happened, with this fragment.
    Text(String),
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

/// The spoken text of a turn: every `say`, joined by spaces.
pub(crate) fn spoken(turn: &Turn) -> String {
    let says: Vec<&str> = turn
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::Say(s) => Some(s.text.as_str()),
            _ => None,
        })
        .collect();
    says.join(" ")
}

/// The name of the turn's closing directive.
pub(crate) fn directive_name(turn: &Turn) -> &'static str {
    match turn.actions.last() {
        Some(Action::Listen { .. }) => "listen",
        Some(Action::Transfer(_)) => "transfer",
        Some(Action::Hangup { .. }) => "hangup",
        _ => "none",
    }
}

impl Expect {
    /// Checks `turn` (or, with `turn = None`, only the record) against the expectations,
    /// returning one sentence per unmet one. `record` is the latest qualification.
    pub fn check(&self, turn: Option<&Turn>, record: &Qualification) -> Vec<String> {
        let mut problems = Vec::new();
        if let Some(turn) = turn {
            self.check_turn(turn, &mut problems);
        }
        for (name, expected) in &self.slots {
            if let Err(problem) = slot_matches(expected, record.slots.get(name)) {
                problems.push(format!("slot `{name}`: {problem}"));
            }
        }
        if let Some(outcome) = self.outcome
            && record.outcome != outcome
        {
            problems.push(format!(
                "outcome should be {}, is {}",
                outcome.as_str(),
                record.outcome.as_str()
            ));
        }
        if let Some(min) = self.score_at_least
            && record.score < min
        {
            problems.push(format!(
                "score should be at least {min}, is {}",
                record.score
            ));
        }
        if let Some(max) = self.score_below
            && record.score >= max
        {
            problems.push(format!("score should be below {max}, is {}", record.score));
        }
        problems
    }

    fn check_turn(&self, turn: &Turn, problems: &mut Vec<String>) {
        match (&turn.failure, self.fallback) {
            (Some(f), false) => problems.push(format!("the scenario failed: {f}")),
            (None, true) => {
                problems.push("the scenario should have failed into the fallback phrase".into())
            }
            _ => {}
        }
        let said = fold(&spoken(turn));
        for fragment in &self.say {
            if !said.contains(&fold(fragment)) {
                problems.push(format!("should say «{fragment}»"));
            }
        }
        if !self.say_any.is_empty() && !self.say_any.iter().any(|f| said.contains(&fold(f))) {
            problems.push(format!("should say one of «{}»", self.say_any.join("», «")));
        }
        for fragment in &self.say_not {
            if said.contains(&fold(fragment)) {
                problems.push(format!("should not say «{fragment}»"));
            }
        }
        if let Some(expected) = &self.directive
            && directive_name(turn) != expected
        {
            problems.push(format!(
                "should end with {expected}, ends with {}",
                directive_name(turn)
            ));
        }
        if let Some(reason) = &self.hangup {
            match turn.actions.last() {
                Some(Action::Hangup { reason: actual }) if actual == reason => {}
                Some(Action::Hangup { reason: actual }) => problems.push(format!(
                    "should hang up with reason {reason}, hangs up with {actual}"
                )),
                _ => problems.push(format!(
                    "should hang up with reason {reason}, ends with {}",
                    directive_name(turn)
                )),
            }
        }
        if let Some(to) = &self.transfer_to {
            let transferred = turn
                .actions
                .iter()
                .any(|a| matches!(a, Action::Transfer(t) if &t.to == to));
            if !transferred {
                problems.push(format!("should transfer to {to}"));
            }
        }
        if let Some(flag) = &self.callback {
            let times: Vec<&str> = turn
                .actions
                .iter()
                .filter_map(|a| match a {
                    Action::ScheduleCallback { at, .. } => Some(at.as_str()),
                    _ => None,
                })
                .collect();
            check_flag(
                "a callback",
                flag,
                &times,
                |at, p| at.starts_with(p),
                problems,
            );
        }
        if let Some(flag) = &self.retrieved {
            let queries: Vec<String> = turn
                .retrievals
                .iter()
                .map(|r| fold(&r.request.query))
                .collect();
            let queries: Vec<&str> = queries.iter().map(String::as_str).collect();
            check_flag(
                "a knowledge request",
                flag,
                &queries,
                |q, p| q.contains(&fold(p)),
                problems,
            );
        }
    }
}

fn check_flag(
    what: &str,
    flag: &Flag,
    seen: &[&str],
    fits: impl Fn(&str, &str) -> bool,
    problems: &mut Vec<String>,
) {
    match flag {
        Flag::Bool(true) if seen.is_empty() => problems.push(format!("should make {what}")),
        Flag::Bool(false) if !seen.is_empty() => problems.push(format!(
            "should not make {what}, made «{}»",
            seen.join("», «")
        )),
        Flag::Text(p) if !seen.iter().any(|s| fits(s, p)) => problems.push(format!(
            "should make {what} with «{p}», made {}",
            if seen.is_empty() {
                "none".to_owned()
            } else {
                format!("«{}»", seen.join("», «"))
            }
        )),
        _ => {}
    }
}

/// Compares an expected YAML value with a slot: `null`/`false` absent, `true` present,
/// a number equal to the value (or its `amount`), a string contained in its text form.
fn slot_matches(expected: &serde_json::Value, slot: Option<&Slot>) -> Result<(), String> {
    use serde_json::Value;
    let shown =
        |slot: Option<&Slot>| slot.map_or_else(|| "absent".to_owned(), |s| format!("{}", s.value));
    let ok = match (expected, slot) {
        (Value::Null | Value::Bool(false), None) | (Value::Bool(true), Some(_)) => true,
        (Value::Number(n), Some(slot)) => {
            let actual = match &slot.value {
                Value::Object(o) => o.get("amount").and_then(Value::as_f64),
                v => v.as_f64(),
            };
            actual.is_some_and(|a| n.as_f64().is_some_and(|n| (a - n).abs() < 1e-6))
        }
        (Value::String(s), Some(slot)) => {
            let text = match &slot.value {
                Value::String(v) => v.clone(),
                v => v.to_string(),
            };
            fold(&text).contains(&fold(s))
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("expected {expected}, got {}", shown(slot)))
    }
}

/// The snake_case name of an outcome, as written in scripts.
#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn slot(value: serde_json::Value) -> Slot {
        Slot {
            value,
            confidence: 1.0,
            utterance: String::new(),
        }
    }

    #[test]
    fn slot_comparisons() {
        let money = slot(json!({"amount": 1500000, "currency": "RUB"}));
        assert!(slot_matches(&json!(1500000), Some(&money)).is_ok());
        assert!(slot_matches(&json!(150000), Some(&money)).is_err());
        assert!(slot_matches(&json!("RUB"), Some(&money)).is_ok());
        let name = slot(json!("Наталья"));
        assert!(slot_matches(&json!("наталья"), Some(&name)).is_ok());
        assert!(slot_matches(&json!("Ольга"), Some(&name)).is_err());
        assert!(slot_matches(&json!(true), Some(&name)).is_ok());
        assert!(slot_matches(&json!(null), Some(&name)).is_err());
        assert!(slot_matches(&json!(null), None).is_ok());
        assert!(slot_matches(&json!(true), None).is_err());
    }
}
