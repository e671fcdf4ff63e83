//! The turn protocol between VoxEngine and the dialog function (`docs/turn-protocol.md`):
//! `POST /v1/turn` and `POST /v1/calls/{call_id}/end`, their bodies and answers.
//!
//! Requests are strict (an unknown field is refused: a typo in the VoxEngine script
//! shows at once); the call is the scenario ABI's own [`CallContext`], so a turn hands
//! it to the scenario without a copy.

use crate::usage::Money;
use serde::{Deserialize, Serialize};
pub use sva_abi::CallContext;
use sva_abi::Event;

/// `POST /v1/turn` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TurnRequest {
    /// The tenant (must match the `X-SVA-Tenant` header).
    pub tenant: String,
    /// The call.
    pub call: CallContext,
    /// 0 for `call_started`, then +1 per turn.
    pub seq: u32,
    /// What happened.
    pub event: Event,
    /// The token of the previous answer; absent on `call_started`.
    #[serde(default)]
    pub token: Option<String>,
}

/// `POST /v1/turn` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnResponse {
    /// The request's `seq`.
    pub seq: u32,
    /// The token for the next request.
    pub token: String,
    /// What VoxEngine does now; the last is `listen`, `transfer` or `hangup`.
    pub actions: Vec<VoxAction>,
    /// How VoxEngine handles this call: only in the answer to `call_started`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<CallOptions>,
}

/// How VoxEngine handles a call, from the tenant's settings; sent once, in the answer
/// to `call_started`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CallOptions {
    /// Record the call from now on (`call.record`) and report where the recording is
    /// (`recording_url` in the end report). The answer's first phrase is then the
    /// recording notice.
    pub record: bool,
}

/// An action VoxEngine carries out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum VoxAction {
    /// Speak.
    Say {
        /// The phrase.
        text: String,
        /// Whether caller speech stops playback.
        barge_in: bool,
        /// The voice, e.g. `ru_RU_alena` (VoxEngine's `VoiceList.Yandex.Neural` name).
        voice: String,
    },
    /// Wait for the caller.
    Listen {
        /// Silence after which a `no_input` turn is sent, in milliseconds.
        timeout_ms: u32,
    },
    /// Connect the caller to a human.
    Transfer {
        /// E.164 number.
        to: String,
        /// For the human: spoken to the manager before the calls are bridged.
        summary: String,
        /// How long the manager's phone may ring before the caller is brought back to
        /// the assistant (a `transfer_failed` turn), in seconds.
        #[serde(default = "default_transfer_timeout")]
        timeout_s: u32,
    },
    /// End the call.
    Hangup {
        /// Why.
        reason: String,
    },
}

/// `POST /v1/calls/{call_id}/end` body: what VoxEngine measured, sent from
/// `AppEvents.Terminating`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallEnd {
    /// The tenant (must match the header).
    pub tenant: String,
    /// The call (its id must match the path).
    pub call: CallContext,
    /// The token of the last answer.
    pub token: String,
    /// When the call was answered, RFC 3339.
    #[serde(default)]
    pub started_at: Option<String>,
    /// Call duration in seconds.
    #[serde(default)]
    pub duration_s: u32,
    /// What Voximplant charged for the call, when it reported it.
    #[serde(default)]
    pub telephony_cost: Option<Money>,
    /// Recognition usage.
    #[serde(default)]
    pub asr: Option<AsrUsage>,
    /// Characters synthesised.
    #[serde(default)]
    pub tts_chars: u32,
    /// Characters of each synthesis request (each phrase played), when reported.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tts_requests: Vec<u32>,
    /// Where the recording is.
    #[serde(default)]
    pub recording_url: Option<String>,
    /// The conversation as VoxEngine saw it.
    #[serde(default)]
    pub transcript: Vec<TranscriptEntry>,
    /// Why the call ended (`hangup`, `transfer`, `caller_hangup`, …).
    #[serde(default)]
    pub end_reason: String,
}

/// Speech recognition usage of a call.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AsrUsage {
    /// Recognition sessions started.
    #[serde(default)]
    pub sessions: u32,
    /// Audio seconds recognised.
    #[serde(default)]
    pub seconds: u32,
    /// Audio seconds of each session, when VoxEngine reported them (recognition is
    /// billed in 15-second units per session).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub session_seconds: Vec<f64>,
    /// What Voximplant charged, when reported.
    #[serde(default)]
    pub cost: Option<Money>,
}

/// One exchange as VoxEngine saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TranscriptEntry {
    /// The turn's sequence number.
    pub seq: u32,
    /// Milliseconds since the call started.
    #[serde(default)]
    pub at_ms: u64,
    /// What the caller said (empty for silence).
    #[serde(default)]
    pub caller: String,
    /// What the assistant said.
    #[serde(default)]
    pub assistant: Vec<String>,
    /// How long the dialog function took, as VoxEngine measured it.
    #[serde(default)]
    pub latency_ms: u32,
}

/// `POST /v1/calls/{call_id}/end` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallEnded {
    /// The call record's storage key.
    pub record: String,
    /// `false` when the call had already been reported (nothing was written).
    pub created: bool,
    /// How the scenario says the call ended (`qualified`, `callback`, `do_not_call`, …;
    /// `in_progress` when it never said): the VoxEngine script reports it to the call
    /// list.
    #[serde(default)]
    pub outcome: String,
    /// When the caller asked to be called back (RFC 3339, the last callback the
    /// scenario booked), if it did: the call list's next attempt.
    #[serde(default)]
    pub callback_at: Option<String>,
}

fn default_transfer_timeout() -> u32 {
    30
}
