//! Actions: what a scenario asks the host and the telephony to do.

use crate::Qualification;
use serde::{Deserialize, Serialize};

/// One action, tagged by `type` on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// Speak a phrase.
    Say(Say),
    /// Wait for the caller to speak. A directive.
    Listen {
        /// How long to wait for speech before a `no_input` event, in milliseconds.
        timeout_ms: u32,
    },
    /// Connect the caller to a human. A directive.
    Transfer(Transfer),
    /// End the call. A directive.
    Hangup {
        /// Why, for the call record (`completed`, `not_interested`, `do_not_call`, …).
        #[serde(default)]
        reason: String,
    },
    /// Ask the host for knowledge; the host answers with a `retrieve_result` event in the
    /// same turn. A directive.
    Retrieve(RetrieveRequest),
    /// Replace the call's qualification record (slots, score, outcome).
    Qualification(Qualification),
    /// Book a call back to the customer.
    ScheduleCallback {
        /// When, RFC 3339 with offset.
        at: String,
        /// A note for the manager.
        #[serde(default)]
        note: String,
    },
    /// A line for the host's log, tagged with the tenant and call (personal data masked).
    Log {
        /// Severity.
        level: LogLevel,
        /// The message.
        message: String,
    },
}

/// The parameters of [`Action::Say`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Say {
    /// The phrase, in Russian, at most [`crate::Limits::max_say_chars`] characters.
    pub text: String,
    /// Whether the caller may interrupt this phrase by speaking.
    #[serde(default = "yes")]
    pub barge_in: bool,
    /// A voice other than the tenant's default, e.g. `ru_RU_alena`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<String>,
}

fn yes() -> bool {
    true
}

/// The parameters of [`Action::Transfer`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    /// E.164 number to connect the caller to.
    pub to: String,
    /// A short summary the human hears or sees before taking the call.
    #[serde(default)]
    pub summary: String,
}

/// The parameters of [`Action::Retrieve`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetrieveRequest {
    /// Chosen by the scenario, echoed back in the result.
    pub id: String,
    /// The question, as the caller put it.
    pub query: String,
    /// How many passages to return, 1..=10.
    #[serde(default = "three")]
    pub top_k: u32,
}

fn three() -> u32 {
    3
}

/// Log severity of [`Action::Log`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    /// Diagnostic detail.
    Debug,
    /// Normal events.
    Info,
    /// Something the tenant should look at.
    Warn,
}

/// The kinds of action that close a step's action list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Directive {
    /// [`Action::Listen`].
    Listen,
    /// [`Action::Transfer`].
    Transfer,
    /// [`Action::Hangup`].
    Hangup,
    /// [`Action::Retrieve`]: the host steps the scenario again with the result.
    Retrieve,
}

impl Action {
    /// Whether this action closes the list, and which kind it is.
    pub fn directive(&self) -> Option<Directive> {
        match self {
            Action::Listen { .. } => Some(Directive::Listen),
            Action::Transfer(_) => Some(Directive::Transfer),
            Action::Hangup { .. } => Some(Directive::Hangup),
            Action::Retrieve(_) => Some(Directive::Retrieve),
            _ => None,
        }
    }

    /// A `say` that the caller may interrupt.
    pub fn say(text: impl Into<String>) -> Self {
        Action::Say(Say {
            text: text.into(),
            barge_in: true,
            voice: None,
        })
    }
}
