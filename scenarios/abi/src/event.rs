//! Events: what happened on the call since the previous step.

use serde::{Deserialize, Serialize};

/// One event, tagged by `type` on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Event {
    /// The call was answered (inbound) or picked up (outbound); the first step of a call.
    CallStarted,
    /// The caller finished a phrase; `text` is the recogniser's final result.
    Utterance {
        /// Recognised text as the ASR wrote it (lowercase, little punctuation).
        text: String,
        /// Recogniser confidence, normalised to 0..=1.
        #[serde(default = "full_confidence")]
        confidence: f32,
    },
    /// The caller spoke over the assistant, which stopped talking.
    BargeIn {
        /// What the caller said.
        text: String,
        /// Recogniser confidence, normalised to 0..=1.
        #[serde(default = "full_confidence")]
        confidence: f32,
        /// The part of the assistant's phrase the caller had heard before interrupting.
        #[serde(default)]
        heard: String,
    },
    /// The listen timeout expired with no speech.
    NoInput,
    /// The caller pressed keys.
    Dtmf {
        /// The digits, `0-9`, `*`, `#`.
        digits: String,
    },
    /// A transfer to a human did not connect.
    TransferFailed {
        /// Why, as the telephony reported it (busy, no answer, …).
        #[serde(default)]
        reason: String,
    },
    /// The host's answer to a [`crate::Action::Retrieve`] request.
    RetrieveResult {
        /// The `id` of the request being answered.
        id: String,
        /// Best first; empty when the knowledge base had nothing good.
        hits: Vec<Hit>,
    },
}

fn full_confidence() -> f32 {
    1.0
}

/// One passage from the tenant's knowledge base.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hit {
    /// The passage text.
    pub text: String,
    /// Relevance, higher is better; comparable only within one result list.
    pub score: f32,
    /// Where the passage comes from.
    pub source: HitSource,
}

/// The document and heading a [`Hit`] was taken from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HitSource {
    /// Source document name, e.g. `prices.csv`.
    pub document: String,
    /// The heading path inside the document, e.g. `Доставка / По Москве`.
    #[serde(default)]
    pub heading: String,
}

impl Event {
    /// The event's `type` on the wire (`call_started`, `utterance`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Event::CallStarted => "call_started",
            Event::Utterance { .. } => "utterance",
            Event::BargeIn { .. } => "barge_in",
            Event::NoInput => "no_input",
            Event::Dtmf { .. } => "dtmf",
            Event::TransferFailed { .. } => "transfer_failed",
            Event::RetrieveResult { .. } => "retrieve_result",
        }
    }

    /// The caller's words carried by this event, if any (utterance or barge-in).
    pub fn text(&self) -> Option<&str> {
        match self {
            Event::Utterance { text, .. } | Event::BargeIn { text, .. } => Some(text),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_is_the_wire_tag() {
        let events = [
            Event::CallStarted,
            Event::Utterance {
                text: "да".into(),
                confidence: 0.9,
            },
            Event::BargeIn {
                text: "стоп".into(),
                confidence: 0.9,
                heard: "Здравствуйте".into(),
            },
            Event::NoInput,
            Event::Dtmf { digits: "1".into() },
            Event::TransferFailed {
                reason: "busy".into(),
            },
            Event::RetrieveResult {
                id: "q".into(),
                hits: Vec::new(),
            },
        ];
        for event in events {
            let wire = serde_json::to_value(&event).unwrap();
            assert_eq!(wire["type"], event.kind(), "{event:?}");
        }
    }
}
