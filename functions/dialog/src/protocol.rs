//! The wire documents of `docs/turn-protocol.md`.

use serde::{Deserialize, Serialize};
use sva_abi::{Direction, Event};

/// `POST /v1/turn` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TurnRequest {
    /// The tenant (must match the `X-SVA-Tenant` header).
    pub tenant: String,
    /// The call.
    pub call: CallInfo,
    /// 0 for `call_started`, then +1 per turn.
    pub seq: u32,
    /// What happened.
    pub event: Event,
    /// The token of the previous answer; absent on `call_started`.
    #[serde(default)]
    pub token: Option<String>,
}

/// The call, as VoxEngine knows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallInfo {
    /// Stable id of the call.
    pub id: String,
    /// Inbound or outbound.
    #[serde(default)]
    pub direction: Direction,
    /// Caller number, E.164 when known.
    #[serde(default)]
    pub caller: Option<String>,
    /// Called number, E.164 when known.
    #[serde(default)]
    pub callee: Option<String>,
    /// Campaign data for outbound calls.
    #[serde(default)]
    pub custom_data: serde_json::Map<String, serde_json::Value>,
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
        /// For the human.
        summary: String,
    },
    /// End the call.
    Hangup {
        /// Why.
        reason: String,
    },
}
