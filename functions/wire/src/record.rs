//! The call record: `calls/{tenant}/{day}/{call}.json`, written once by the dialog
//! function at the end of a call ([`crate::key::call_record`]), read by the CRM step,
//! the reports and `sva`.
//!
//! Lenient on read: every field has a default and unknown fields are ignored, so a
//! record written by an older or a newer build still parses. Complete on write: every
//! field is written ([`CallRecord::to_json`] refuses a record without its identity).

use crate::turn::TranscriptEntry;
use crate::usage::{CallCost, Usage};
use serde::{Deserialize, Serialize};
use sva_abi::{CallContext, CustomerProfile, Direction, HitSource, Outcome, Qualification};

/// The record format this crate writes.
pub const RECORD_VERSION: u32 = 1;

/// Everything kept about one call.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CallRecord {
    /// Format version ([`RECORD_VERSION`]).
    pub v: u32,
    /// The tenant.
    pub tenant: String,
    /// Who called whom: the call as the turn protocol gave it.
    pub call: CallContext,
    /// The scenario version the call ran on.
    pub scenario_version: String,
    /// Its A/B variant, if the tenant split traffic.
    pub variant: Option<String>,
    /// When the call was answered (RFC 3339), as VoxEngine reported it.
    pub started_at: Option<String>,
    /// When the end was reported (RFC 3339, the tenant's offset).
    pub ended_at: Option<String>,
    /// Connected seconds.
    pub duration_s: u32,
    /// Why the call ended (`hangup`, `transfer`, `caller_hangup`, …).
    pub end_reason: String,
    /// The sequence number of the last turn.
    pub turns: u32,
    /// Turns that failed into the fallback phrase.
    pub failed_turns: u32,
    /// The turns as the dialog function saw them, oldest first.
    pub events: Vec<TurnLog>,
    /// Turns left out of `events` (the oldest, to keep the state token small).
    pub events_dropped: u32,
    /// What the scenario established.
    pub qualification: Qualification,
    /// Callbacks the caller booked.
    pub callbacks: Vec<Callback>,
    /// What the call consumed.
    pub usage: Usage,
    /// What it cost when it ended; `None` when it could not be priced then (reports
    /// price its usage again).
    pub cost: Option<CallCost>,
    /// Where the recording is.
    pub recording_url: Option<String>,
    /// The conversation as VoxEngine saw it.
    pub transcript: Vec<TranscriptEntry>,
    /// What the CRM knew of the caller when the call started (the scenario saw it as
    /// `context.customer`), so a replay gives the scenario the same. Left out when the
    /// CRM knew nothing, so records written before the field existed read and write back
    /// unchanged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<CustomerProfile>,
}

/// One turn as the dialog function saw it: the caller's event (with its words, keys or
/// reason: what `sva scenario replay` plays again) and what the assistant did — the
/// phrases, how the turn ended, where a transfer went, what the knowledge base was asked.
/// Deterministic for a given request (no measured times), so a retried turn gets a
/// byte-identical answer; VoxEngine's transcript carries the latency it measured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TurnLog {
    /// The turn's sequence number.
    pub seq: u32,
    /// When the turn was taken, Unix seconds.
    pub at: u64,
    /// The event type (`utterance`, `no_input`, …).
    pub event: String,
    /// The caller's words, for utterances and barge-ins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The keys pressed, for `dtmf`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digits: Option<String>,
    /// Why a transfer failed, for `transfer_failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The phrases of the answer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub said: Vec<String>,
    /// How the turn ended: `listen`, `transfer`, `hangup`.
    pub then: String,
    /// The number the caller was transferred to, when the turn ended with a transfer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_to: Option<String>,
    /// Scenario steps taken (retrievals add steps).
    pub steps: u32,
    /// The failure code when the caller heard the fallback phrase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// What the knowledge base was asked during the turn, and where the answers came from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub knowledge: Vec<Lookup>,
    /// What the language model was asked during the turn, what it cost and how long it
    /// took (the one measured time in the log: a model's answer is not deterministic
    /// anyway, so a retried turn with one is not byte-identical).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub model: Vec<ModelLog>,
}

/// One request to the language model, as the call record keeps it (no prompt, no
/// answer: the caller's words are in the turn already).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelLog {
    /// The scenario's request id.
    pub id: String,
    /// `understand` or `phrase`.
    pub task: String,
    /// How it was answered.
    pub status: sva_abi::LlmStatus,
    /// The model asked, when one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Prompt tokens.
    #[serde(default)]
    pub prompt_tokens: u32,
    /// Completion tokens.
    #[serde(default)]
    pub completion_tokens: u32,
    /// The provider's time, milliseconds, when it was asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u32>,
}

/// One question to the knowledge base, as the call record cites it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lookup {
    /// The question.
    pub query: String,
    /// The passages the scenario got, best first: document and heading.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<HitSource>,
    /// Set when the knowledge base failed (the scenario then got no passages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Lookup {
    /// A question the knowledge base had no answer to (as opposed to one it could not be
    /// asked because it was down).
    pub fn unanswered(&self) -> bool {
        self.sources.is_empty() && self.error.is_none()
    }
}

/// A callback the caller booked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Callback {
    /// When (RFC 3339).
    pub at: String,
    /// What for.
    #[serde(default)]
    pub note: String,
}

/// Why a record cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// A field the record is found by is empty.
    #[error("the call record has no {0}")]
    Missing(&'static str),
    /// The record could not be read.
    #[error("the call record is not readable: {0}")]
    Unreadable(String),
}

impl RecordError {
    /// A machine-readable code for the error.
    pub fn code(&self) -> &'static str {
        match self {
            RecordError::Missing(_) => "record_incomplete",
            RecordError::Unreadable(_) => "record_unreadable",
        }
    }
}

impl CallRecord {
    /// Reads a stored record, whichever build wrote it.
    pub fn from_json(bytes: &[u8]) -> Result<CallRecord, RecordError> {
        serde_json::from_slice(bytes).map_err(|e| RecordError::Unreadable(e.to_string()))
    }

    /// The record as stored: every field written, at [`RECORD_VERSION`]. Refuses a record
    /// without the tenant, the call id or the scenario version it is found by.
    pub fn to_json(&self) -> Result<Vec<u8>, RecordError> {
        for (value, what) in [
            (&self.tenant, "tenant"),
            (&self.call.id, "call id"),
            (&self.scenario_version, "scenario version"),
        ] {
            if value.is_empty() {
                return Err(RecordError::Missing(what));
            }
        }
        let mut record = std::borrow::Cow::Borrowed(self);
        if record.v != RECORD_VERSION {
            record.to_mut().v = RECORD_VERSION;
        }
        serde_json::to_vec(&*record).map_err(|e| RecordError::Unreadable(e.to_string()))
    }

    /// The call's outcome as the scenario left it.
    pub fn outcome(&self) -> Outcome {
        self.qualification.outcome
    }

    /// Whether the assistant placed the call.
    pub fn is_outbound(&self) -> bool {
        self.call.direction == Direction::Outbound
    }

    /// The customer's line: the caller's number for inbound calls, the callee's for
    /// outbound ones.
    pub fn customer_line(&self) -> Option<&str> {
        match self.call.direction {
            Direction::Inbound => self.call.caller.as_deref(),
            Direction::Outbound => self.call.callee.as_deref(),
        }
    }

    /// A slot's value as text (`None` when missing or empty).
    pub fn slot_text(&self, slot: &str) -> Option<String> {
        let value = &self.qualification.slots.get(slot)?.value;
        let text = match value {
            serde_json::Value::String(s) => s.trim().to_owned(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            _ => return None,
        };
        (!text.is_empty()).then_some(text)
    }

    /// The budget the caller named: amount and currency (`RUB` when not said).
    pub fn budget(&self) -> Option<(f64, String)> {
        let value = &self.qualification.slots.get("budget")?.value;
        let amount = value
            .get("amount")
            .and_then(serde_json::Value::as_f64)
            .or(value.as_f64())?;
        let currency = value
            .get("currency")
            .and_then(serde_json::Value::as_str)
            .filter(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()))
            .unwrap_or("RUB");
        Some((amount, currency.to_owned()))
    }

    /// The customer's numbers in E.164 ([`sva_abi::phone::to_e164`]): the one they
    /// dictated first, then the line's; no repeats.
    pub fn phones(&self) -> Vec<String> {
        let mut phones: Vec<String> = Vec::new();
        let line = self.customer_line().map(str::to_owned);
        for raw in [self.slot_text("phone"), line].into_iter().flatten() {
            if let Some(p) = sva_abi::phone::to_e164(&raw)
                && !phones.contains(&p)
            {
                phones.push(p);
            }
        }
        phones
    }

    /// The questions of the call the knowledge base had no answer to, in order, each once.
    pub fn unanswered(&self) -> Vec<String> {
        unanswered(&self.events)
    }

    /// Whether the record has usage to price (records written before costs were
    /// recorded have neither usage nor cost).
    pub fn has_usage(&self) -> bool {
        self.cost.is_some() || self.usage != Usage::default()
    }
}

/// The questions of `turns` the knowledge base had no answer to, in order, each once.
pub fn unanswered(turns: &[TurnLog]) -> Vec<String> {
    let mut questions: Vec<String> = Vec::new();
    for lookup in turns.iter().flat_map(|t| &t.knowledge) {
        if lookup.unanswered() && !questions.contains(&lookup.query) {
            questions.push(lookup.query.clone());
        }
    }
    questions
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_record_needs_its_identity_to_be_written_and_reads_back_whole() {
        let mut record = CallRecord::default();
        assert_eq!(record.to_json(), Err(RecordError::Missing("tenant")));
        record.tenant = "acme".into();
        record.call.id = "c-1".into();
        assert_eq!(
            record.to_json().unwrap_err().code(),
            "record_incomplete",
            "no scenario version"
        );
        record.scenario_version = "v1".into();
        let bytes = record.to_json().unwrap();
        let written: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        // Complete on write: absent values are written as such, not left out.
        for field in [
            "variant",
            "started_at",
            "cost",
            "recording_url",
            "callbacks",
        ] {
            assert!(written.get(field).is_some(), "{field} is written");
        }
        assert_eq!(written["v"], RECORD_VERSION);
        let read = CallRecord::from_json(&bytes).unwrap();
        assert_eq!(read.v, RECORD_VERSION);
        assert_eq!(read.call.id, "c-1");
    }

    #[test]
    fn a_record_with_fields_from_a_newer_build_still_reads() {
        let record = CallRecord::from_json(
            json!({"tenant": "acme", "call": {"id": "c-1"}, "sentiment": "good", "v": 2})
                .to_string()
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(record.tenant, "acme");
        assert_eq!(record.outcome(), Outcome::InProgress);
    }

    #[test]
    fn the_dictated_number_comes_first_and_numbers_do_not_repeat() {
        let record: CallRecord = serde_json::from_value(json!({
            "tenant": "acme",
            "call": {"id": "c-1", "direction": "inbound", "caller": "79161234567"},
            "qualification": {"slots": {
                "phone": {"value": "+79031112233", "confidence": 0.9, "utterance": "…"},
                "budget": {"value": {"amount": 700000, "currency": "RUB"}, "confidence": 0.9}
            }, "score": 80, "outcome": "qualified"},
        }))
        .unwrap();
        assert_eq!(record.phones(), ["+79031112233", "+79161234567"]);
        assert_eq!(record.budget(), Some((700000.0, "RUB".into())));
        assert_eq!(record.outcome(), Outcome::Qualified);
        assert_eq!(record.slot_text("need"), None);
    }

    #[test]
    fn unanswered_questions_are_the_ones_nothing_was_found_for() {
        let lookup = |query: &str, found: bool, error: bool| Lookup {
            query: query.into(),
            sources: if found {
                vec![HitSource {
                    document: "faq.md".into(),
                    heading: String::new(),
                }]
            } else {
                Vec::new()
            },
            error: error.then(|| "down".to_owned()),
        };
        let record = CallRecord {
            events: vec![
                TurnLog {
                    knowledge: vec![
                        lookup("а лизинг", false, false),
                        lookup("доставка", true, false),
                    ],
                    ..TurnLog::default()
                },
                TurnLog {
                    knowledge: vec![
                        lookup("а лизинг", false, false),
                        lookup("гарантия", false, true),
                    ],
                    ..TurnLog::default()
                },
            ],
            ..CallRecord::default()
        };
        assert_eq!(record.unanswered(), ["а лизинг"]);
    }
}
