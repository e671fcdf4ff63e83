//! The pre-dial check between VoxEngine and the dialog function
//! (`docs/turn-protocol.md`, "`POST /v1/outbound/dial`"): before it dials a campaign's
//! callee, the VoxEngine script asks whether it may, signed like a turn.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
pub use sva_abi::CallContext;

/// `POST /v1/outbound/dial` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DialRequest {
    /// The tenant (must match the `X-SVA-Tenant` header).
    pub tenant: String,
    /// The call about to be placed: `direction` outbound, `callee` in E.164 with `+`,
    /// `custom_data` the call-list row without its `__` columns.
    pub call: CallContext,
}

/// What to do when an answering machine picks up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Voicemail {
    /// Hang up without a word.
    #[default]
    Hangup,
    /// Start the dialog with `answered_by: "voicemail"`: the scenario leaves a short
    /// message and hangs up.
    Message,
}

impl Voicemail {
    /// Its name on the wire and in the call list's `vm` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Voicemail::Hangup => "hangup",
            Voicemail::Message => "message",
        }
    }

    /// The campaign row's `vm` column: `message`, anything else hangs up.
    pub fn from_row(vm: Option<&str>) -> Voicemail {
        match vm {
            Some("message") => Voicemail::Message,
            _ => Voicemail::Hangup,
        }
    }
}

/// Why a callee is not dialled now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DialRefusal {
    /// The number is on the tenant's do-not-call list.
    DoNotCall,
    /// It is outside the callee's calling hours now.
    OutsideWindow,
    /// The campaign was paused or cancelled.
    Stopped,
    /// The campaign or the contact is not known.
    Unknown,
    /// The contact was already reached (an answered call, a voicemail message left).
    Done,
}

impl DialRefusal {
    /// The reason's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            DialRefusal::DoNotCall => "do_not_call",
            DialRefusal::OutsideWindow => "outside_window",
            DialRefusal::Stopped => "stopped",
            DialRefusal::Unknown => "unknown",
            DialRefusal::Done => "done",
        }
    }
}

/// `POST /v1/outbound/dial` answer (200): dial, or not and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum DialAnswer {
    /// `{"dial": true, "voicemail": "hangup"|"message", "callback_attempts": 1..=5,
    /// "contact"?: {…}}`.
    Dial(DialGo),
    /// `{"dial": false, "reason": …, "retry_at": "<RFC 3339>"|null, "attempts_left"?: 0..=5}`.
    Refuse(DialStop),
}

/// The callee may be dialled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DialGo {
    /// Always `true`.
    pub dial: bool,
    /// What to do on an answering machine.
    pub voicemail: Voicemail,
    /// Attempts a callback the callee asks for gets (the campaign's attempts per
    /// contact). The script passes it as `attempts_left` to `CallList.requestNextAttempt`:
    /// left unset, the call list takes one off the task's remaining attempts, and a
    /// callback asked for on the last one would never be made.
    pub callback_attempts: u8,
    /// A campaign contact's data for the scenario (`contact_name`, `request`,
    /// `consent_source`, `consent_date`, the file's other columns): the script adds it to
    /// the call's `custom_data` (what the row has is kept), so every turn carries it and
    /// no turn looks it up. Absent for a call of no campaign.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub contact: BTreeMap<String, String>,
}

/// The callee is not dialled now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DialStop {
    /// Always `false`.
    pub dial: bool,
    /// Why.
    pub reason: DialRefusal,
    /// When to try again (RFC 3339); `null`: never (the task ends).
    pub retry_at: Option<String>,
    /// With `retry_at`: the attempts the campaign still gives the contact, which the
    /// script sets as the task's `attempts_left` (left unset, the call list would take
    /// one off for a call that dialled no one). Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts_left: Option<u8>,
}

impl DialAnswer {
    /// Dial, with this voicemail policy and this many attempts for a callback.
    pub fn dial(voicemail: Voicemail, callback_attempts: u8) -> DialAnswer {
        DialAnswer::Dial(DialGo {
            dial: true,
            voicemail,
            callback_attempts,
            contact: BTreeMap::new(),
        })
    }

    /// The same answer with the campaign contact's data for the scenario (a refusal
    /// stays as it is).
    pub fn with_contact(mut self, data: BTreeMap<String, String>) -> DialAnswer {
        if let DialAnswer::Dial(go) = &mut self {
            go.contact = data;
        }
        self
    }

    /// Do not dial, and maybe try again at `retry_at`.
    pub fn refuse(reason: DialRefusal, retry_at: Option<String>) -> DialAnswer {
        DialAnswer::Refuse(DialStop {
            dial: false,
            reason,
            retry_at,
            attempts_left: None,
        })
    }

    /// Do not dial now; try again at `retry_at` with `attempts_left` attempts.
    pub fn later(reason: DialRefusal, retry_at: String, attempts_left: u8) -> DialAnswer {
        DialAnswer::Refuse(DialStop {
            dial: false,
            reason,
            retry_at: Some(retry_at),
            attempts_left: Some(attempts_left),
        })
    }

    /// Whether the answer says to dial.
    pub fn dials(&self) -> bool {
        matches!(self, DialAnswer::Dial(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn answers_are_written_as_the_contract_shows() {
        assert_eq!(
            serde_json::to_value(DialAnswer::dial(Voicemail::Message, 3)).unwrap(),
            json!({"dial": true, "voicemail": "message", "callback_attempts": 3})
        );
        let contact = BTreeMap::from([("contact_name".to_owned(), "Иван".to_owned())]);
        assert_eq!(
            serde_json::to_value(DialAnswer::dial(Voicemail::Hangup, 2).with_contact(contact))
                .unwrap(),
            json!({"dial": true, "voicemail": "hangup", "callback_attempts": 2,
                   "contact": {"contact_name": "Иван"}})
        );
        assert_eq!(
            serde_json::to_value(DialAnswer::refuse(DialRefusal::DoNotCall, None)).unwrap(),
            json!({"dial": false, "reason": "do_not_call", "retry_at": null})
        );
        let later = DialAnswer::later(DialRefusal::OutsideWindow, "2026-12-08T06:00:00Z".into(), 2);
        assert_eq!(
            serde_json::to_value(&later).unwrap(),
            json!({"dial": false, "reason": "outside_window", "retry_at": "2026-12-08T06:00:00Z",
                   "attempts_left": 2})
        );
        let text = serde_json::to_string(&later).unwrap();
        assert_eq!(serde_json::from_str::<DialAnswer>(&text).unwrap(), later);
        assert!(!later.dials());
    }

    #[test]
    fn a_request_with_an_unknown_field_is_refused() {
        let body = json!({"tenant": "demo", "call": {"id": "vox-1", "direction": "outbound",
            "callee": "+79161234567", "custom_data": {"campaign": "c1"}}});
        let request: DialRequest = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(request.call.callee.as_deref(), Some("+79161234567"));
        let mut extra = body;
        extra["seq"] = json!(0);
        assert!(serde_json::from_value::<DialRequest>(extra).is_err());
    }

    #[test]
    fn the_row_vm_column_chooses_the_voicemail_policy() {
        assert_eq!(Voicemail::from_row(Some("message")), Voicemail::Message);
        assert_eq!(Voicemail::from_row(Some("hangup")), Voicemail::Hangup);
        assert_eq!(Voicemail::from_row(None), Voicemail::Hangup);
    }
}
