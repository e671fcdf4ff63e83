//! The CRM outbox entry: `outbox/crm/{tenant}/{call}.json` ([`crate::key::outbox`]).
//!
//! The dialog function creates it (create-only) at the end of a call; the CRM step
//! carries it into Bitrix24 and records in it, as it goes, what has been done — the ids
//! Bitrix24 gave — so an attempt that fails half-way is resumed by the next one instead
//! of repeated. When the work is done the entry moves to [`crate::key::crm_result`];
//! when it cannot be done, to [`crate::key::dead_letter`] with the reason.

use serde::{Deserialize, Serialize};

/// The entry format this crate writes.
pub const OUTBOX_VERSION: u32 = 1;

/// One call's CRM work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// Format version (1).
    pub v: u32,
    /// The tenant.
    pub tenant: String,
    /// Our call id.
    pub call_id: String,
    /// The call record's key.
    pub record: String,
    /// When the call ended (RFC 3339).
    pub created_at: String,
    /// Attempts started so far.
    #[serde(default)]
    pub attempts: u32,
    /// Not before (unix seconds): the back-off after a failed attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<u64>,
    /// Why the last attempt failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<EntryError>,
    /// What is done so far.
    #[serde(default)]
    pub progress: Progress,
    /// When the work was finished (RFC 3339), in the result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_at: Option<String>,
}

/// A failed attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryError {
    /// A machine-readable code (Bitrix24's, or ours).
    pub code: String,
    /// What happened, in a sentence.
    pub message: String,
    /// When (RFC 3339).
    pub at: String,
}

/// What has been done in Bitrix24 for the call.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// Which rule put the call where it is (`docs/bitrix24.md` §3): `open_deal`,
    /// `open_lead`, `new_deal_on_contact`, `new_deal_on_company`, `new_lead`,
    /// `new_contact_and_deal`. Decided with the caller's records in view, again on each
    /// attempt until the lead or deal is there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Whether the caller's number matched a contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_known: Option<bool>,
    /// The contact: the known one, or the one created for the caller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<u64>,
    /// The company the caller is known as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_id: Option<u64>,
    /// Whether the lead or deal was there before the call: the call was attached to it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub attached: bool,
    /// The user the new record and the to-dos are assigned to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_id: Option<u64>,
    /// Custom fields of the settings that the portal lacks now, or whose value did not
    /// fit the field's type: left out of the record (the comments have every value).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub field_problems: Vec<FieldProblem>,
    /// Why no contact was created (the portal refused it; the lead has the number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_failed: Option<String>,
    /// Why the lead or deal was made with the essential fields only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimal: Option<String>,
    /// The known contact's responsible manager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager_id: Option<u64>,
    /// Whether the known contact got the e-mail it lacked (or had it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub contact_updated: bool,
    /// The lead created for an unknown caller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_id: Option<u64>,
    /// The deal created for a known contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deal_id: Option<u64>,
    /// The transcript's timeline comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment_id: Option<u64>,
    /// The call in Bitrix24's call history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telephony: Option<Telephony>,
    /// Why the call history was not written (a webhook cannot write it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telephony_skipped: Option<String>,
    /// To-dos created for booked callbacks, in the record's order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub todo_ids: Vec<u64>,
    /// The Bitrix24 robot run the call came from was answered (`bizproc.event.send`):
    /// `sent`, or why it could not be (`token spent or expired: …`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub robot_answer: Option<String>,
    /// Why nothing was written (no number, no name, nothing said).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

/// A custom field that could not be written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldProblem {
    /// The field (`UF_CRM_BUDGET`).
    pub field: String,
    /// The slot mapped to it (`budget`).
    pub slot: String,
    /// Why: the portal lacks it, or the value does not fit its type.
    pub problem: String,
}

/// The external-telephony call.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Telephony {
    /// `CALL_ID` from `telephony.externalCall.register`.
    pub call_id: String,
    /// Whether `finish` was done (it creates the call activity).
    #[serde(default)]
    pub finished: bool,
    /// Whether a `finish` was sent whose answer was lost: the next one tells whether it
    /// landed (a finished call is "not found").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub finish_uncertain: bool,
    /// The call activity `finish` made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_id: Option<u64>,
    /// Whether the call activity is bound to the deal the call belongs to (a deal is no
    /// telephony entity: the call is registered on its contact or company).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub bound: bool,
    /// What is uncertain about it (an answer that was lost).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Whether the recording was dealt with: attached, none, or refused (`record_note`).
    #[serde(default)]
    pub record_attached: bool,
    /// Why the recording is not on the call (the portal could not download it…); the
    /// transcription goes on without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_note: Option<String>,
    /// `attached`, or `uncertain` when the answer was lost (a transcript cannot be
    /// looked up, and the timeline comment already holds it: it is not sent twice).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcript: Option<String>,
}

impl OutboxEntry {
    /// The entry the dialog function creates at the end of a call: nothing done yet.
    pub fn new(tenant: &str, call_id: &str, record: &str, created_at: String) -> OutboxEntry {
        OutboxEntry {
            v: OUTBOX_VERSION,
            tenant: tenant.to_owned(),
            call_id: call_id.to_owned(),
            record: record.to_owned(),
            created_at,
            attempts: 0,
            next_attempt_at: None,
            last_error: None,
            progress: Progress::default(),
            done_at: None,
        }
    }
}

impl Progress {
    /// The CRM record the call belongs to: (`lead`|`deal`, id).
    pub fn owner(&self) -> Option<(&'static str, u64)> {
        match (self.deal_id, self.lead_id) {
            (Some(deal), _) => Some(("deal", deal)),
            (None, Some(lead)) => Some(("lead", lead)),
            _ => None,
        }
    }
}
