//! The qualification record a scenario builds during a call.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What the call established about the lead so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Qualification {
    /// Slots by name (`need`, `budget`, `timeline`, `decision_maker`, `company`, `name`,
    /// `phone`, `email`, …).
    pub slots: BTreeMap<String, Slot>,
    /// Lead score, 0..=100.
    pub score: u8,
    /// How the call ended, or is going.
    pub outcome: Outcome,
}

/// One filled slot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slot {
    /// The normalised value: a string, a number, or an object (e.g. a money amount).
    pub value: serde_json::Value,
    /// How sure the scenario is, 0..=1.
    pub confidence: f32,
    /// The caller's words the value was taken from.
    #[serde(default)]
    pub utterance: String,
}

/// The result of the call, as the scenario sees it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The conversation is not over yet.
    #[default]
    InProgress,
    /// Need, budget, timeline and contacts were collected.
    Qualified,
    /// The lead was hot and was handed to a human.
    Transferred,
    /// The caller asked to be called back; a callback is booked.
    Callback,
    /// Some data was collected, but the lead is not (yet) a fit.
    NotQualified,
    /// The caller declined.
    NotInterested,
    /// The caller asked never to be called again.
    DoNotCall,
    /// The caller hung up, or never said anything useful.
    Dropped,
}

impl Outcome {
    /// Every outcome, in the order above.
    pub const ALL: [Outcome; 8] = [
        Outcome::InProgress,
        Outcome::Qualified,
        Outcome::Transferred,
        Outcome::Callback,
        Outcome::NotQualified,
        Outcome::NotInterested,
        Outcome::DoNotCall,
        Outcome::Dropped,
    ];

    /// The outcome's name on the wire (`in_progress`, `qualified`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::InProgress => "in_progress",
            Outcome::Qualified => "qualified",
            Outcome::Transferred => "transferred",
            Outcome::Callback => "callback",
            Outcome::NotQualified => "not_qualified",
            Outcome::NotInterested => "not_interested",
            Outcome::DoNotCall => "do_not_call",
            Outcome::Dropped => "dropped",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outcome_is_named_as_it_is_written() {
        for outcome in Outcome::ALL {
            assert_eq!(
                serde_json::to_value(outcome).unwrap(),
                serde_json::Value::from(outcome.as_str())
            );
        }
    }
}
