//! The parts of a call record (`calls/{tenant}/{date}/{call_id}.json`, written by the
//! dialog function) that go to the CRM. Read leniently: a field the dialog function
//! adds later never stops a lead.

use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// A call record, as far as the CRM cares.
#[derive(Debug, Clone, Deserialize)]
pub struct CallRecord {
    /// The tenant.
    pub tenant: String,
    /// Who called whom.
    pub call: Call,
    /// When the call started (RFC 3339), as VoxEngine reported it.
    #[serde(default)]
    pub started_at: Option<String>,
    /// When it ended (RFC 3339).
    #[serde(default)]
    pub ended_at: Option<String>,
    /// Its length in seconds.
    #[serde(default)]
    pub duration_s: u32,
    /// Why it ended.
    #[serde(default)]
    pub end_reason: String,
    /// What the scenario established.
    #[serde(default)]
    pub qualification: Qualification,
    /// Callbacks the caller booked.
    #[serde(default)]
    pub callbacks: Vec<Callback>,
    /// Where the recording is.
    #[serde(default)]
    pub recording_url: Option<String>,
    /// The conversation.
    #[serde(default)]
    pub transcript: Vec<Exchange>,
    /// What the call cost.
    #[serde(default)]
    pub cost: Option<Cost>,
}

/// The call's parties.
#[derive(Debug, Clone, Deserialize)]
pub struct Call {
    /// Our call id (`ORIGIN_ID` in Bitrix24).
    pub id: String,
    /// `inbound` or `outbound`.
    #[serde(default)]
    pub direction: String,
    /// The caller's number.
    #[serde(default)]
    pub caller: Option<String>,
    /// The called number.
    #[serde(default)]
    pub callee: Option<String>,
}

/// The qualification record.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Qualification {
    /// Slots by name.
    #[serde(default)]
    pub slots: BTreeMap<String, Slot>,
    /// Lead score, 0..=100.
    #[serde(default)]
    pub score: u8,
    /// How the call ended (`qualified`, `transferred`, `callback`, …).
    #[serde(default)]
    pub outcome: String,
}

/// One slot.
#[derive(Debug, Clone, Deserialize)]
pub struct Slot {
    /// The value (a string, a number or an object such as a money amount).
    pub value: Value,
}

/// A booked callback.
#[derive(Debug, Clone, Deserialize)]
pub struct Callback {
    /// When (RFC 3339).
    pub at: String,
    /// What for.
    #[serde(default)]
    pub note: String,
}

/// One exchange of the conversation.
#[derive(Debug, Clone, Deserialize)]
pub struct Exchange {
    /// Milliseconds since the call started.
    #[serde(default)]
    pub at_ms: u64,
    /// What the caller said.
    #[serde(default)]
    pub caller: String,
    /// What the assistant said.
    #[serde(default)]
    pub assistant: Vec<String>,
}

/// The call's cost.
#[derive(Debug, Clone, Deserialize)]
pub struct Cost {
    /// The total.
    pub total: f64,
    /// Its currency.
    pub currency: String,
}

impl CallRecord {
    /// A slot's value as text (`None` when missing or empty).
    pub fn text(&self, slot: &str) -> Option<String> {
        let value = &self.qualification.slots.get(slot)?.value;
        let text = match value {
            Value::String(s) => s.trim().to_owned(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return None,
        };
        (!text.is_empty()).then_some(text)
    }

    /// The budget: amount and currency (`RUB` when not said).
    pub fn budget(&self) -> Option<(f64, String)> {
        let value = &self.qualification.slots.get("budget")?.value;
        let amount = value
            .get("amount")
            .and_then(Value::as_f64)
            .or(value.as_f64())?;
        let currency = value
            .get("currency")
            .and_then(Value::as_str)
            .filter(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()))
            .unwrap_or("RUB");
        Some((amount, currency.to_owned()))
    }

    /// The customer's numbers in E.164, the one they dictated first, then the line's
    /// (the caller's for inbound calls, the callee's for outbound ones); no repeats.
    pub fn phones(&self) -> Vec<String> {
        let line = if self.call.direction == "outbound" {
            &self.call.callee
        } else {
            &self.call.caller
        };
        let mut phones: Vec<String> = Vec::new();
        for raw in [self.text("phone"), line.clone()].into_iter().flatten() {
            if let Some(p) = e164(&raw)
                && !phones.contains(&p)
            {
                phones.push(p);
            }
        }
        phones
    }

    /// Whether the call is an outbound one.
    pub fn is_outbound(&self) -> bool {
        self.call.direction == "outbound"
    }
}

/// A phone number in E.164 (`+79161234567`), Russian trunk prefixes rewritten
/// (`8 916 …` → `+7 916 …`, ten digits → `+7`); `None` when it is not a number.
pub fn e164(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let plus = raw.starts_with('+');
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let international = match digits.len() {
        11 if !plus && digits.starts_with('8') => format!("7{}", &digits[1..]),
        10 if !plus => format!("7{digits}"),
        8..=15 => digits,
        _ => return None,
    };
    Some(format!("+{international}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_written_in_e164() {
        for (raw, expected) in [
            ("+7 (916) 123-45-67", Some("+79161234567")),
            ("89161234567", Some("+79161234567")),
            ("79161234567", Some("+79161234567")),
            ("9161234567", Some("+79161234567")),
            ("+49 170 1234567", Some("+491701234567")),
            ("12", None),
            ("", None),
        ] {
            assert_eq!(e164(raw).as_deref(), expected, "{raw}");
        }
    }

    #[test]
    fn the_dictated_number_comes_first_and_numbers_do_not_repeat() {
        let record: CallRecord = serde_json::from_value(serde_json::json!({
            "tenant": "acme",
            "call": {"id": "c-1", "direction": "inbound", "caller": "79161234567"},
            "qualification": {"slots": {
                "phone": {"value": "+79031112233", "confidence": 0.9, "utterance": "…"},
                "budget": {"value": {"amount": 700000, "currency": "RUB"}, "confidence": 0.9}
            }, "score": 80, "outcome": "qualified"},
            "future_field": 1
        }))
        .unwrap();
        assert_eq!(record.phones(), ["+79031112233", "+79161234567"]);
        assert_eq!(record.budget(), Some((700000.0, "RUB".into())));
    }
}
