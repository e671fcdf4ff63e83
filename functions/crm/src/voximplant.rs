//! The robot's calls through Voximplant: [`VoximplantStarter`] starts one session of the
//! outbound rule's scenario with StartScenarios (`sva_voximplant::scenarios`).
//!
//! * **Custom data.** The scenario reads `VoxEngine.customData()` as
//!   `{"phone": "<E.164 digits, no +>", "data": {…}}` and dials `phone`; `data` becomes the
//!   call's `custom_data` (`scenarios/voxengine/sales-assistant.voxengine.js`,
//!   `AppEvents.Started`; the number as `callPSTN` takes it, the campaign contract §1).
//!   The session's custom data is at most **200 bytes** (voxengine-ci v28
//!   `typings/voxengine.d.ts:10306-10313`), and a Bitrix24 `event_token` alone is about
//!   150 (`"55c1dc1c3f0d75.78875596|A51601_82584_96831_81132|hsyUws…e90"`,
//!   b24restdocs `api-reference/bizproc/bizproc-robot/bizproc-event-send.md`). So the
//!   token does not travel: `data` carries [`ROBOT_REF_KEY`] = the token's SHA-256 (hex),
//!   the key under which the robot's handler keeps the run ([`crate::robot`]), and the
//!   outbox puts the token back into the call record before the CRM step answers the run
//!   ([`crate::robot::restore_event_token`]). `tenant`, `document` and `campaign` travel
//!   as they are. Data still over 200 bytes is refused, nothing sent.
//! * **Call id.** StartScenarios answers `call_session_history_id`, which is the session's
//!   `AppEvents.Started` `sessionId` (apiclient-nodejs `src/Interfaces.ts:2081`); the
//!   script names the call `vox-<sessionId>`, so the call id is `vox-<call_session_history_id>`.
//! * **Errors.** Data that cannot be sent (a number not in E.164, too much data) is
//!   [`StartError::Refused`]; anything from the platform or the network (429, timeouts,
//!   API errors) is [`StartError::Unavailable`]. The number is never logged.

use async_trait::async_trait;
use serde_json::{Map, Value, json};
use sva_voximplant::{Client, Error, Outbound, ScenarioStart};

use crate::robot::{self, CallStarter, EVENT_TOKEN_KEY, StartError};

/// The `data` key that stands for the run's `event_token` (its SHA-256, hex).
pub const ROBOT_REF_KEY: &str = "robot";

/// Starts the robot's calls with StartScenarios on the outbound rule.
#[derive(Clone, Debug)]
pub struct VoximplantStarter {
    client: Client,
    rule_id: u64,
}

impl VoximplantStarter {
    /// Calls through `client`, running rule `rule_id` (the deploy's `sva-outbound`).
    pub fn new(client: Client, rule_id: u64) -> VoximplantStarter {
        VoximplantStarter { client, rule_id }
    }

    /// From the configuration a function reads (`SVA_VOXIMPLANT_KEY`,
    /// `SVA_VOXIMPLANT_OUTBOUND_RULE_ID`).
    pub fn from_outbound(outbound: Outbound) -> VoximplantStarter {
        VoximplantStarter::new(outbound.client, outbound.rule_id)
    }
}

/// The `script_custom_data` for a call of `tenant` to `phone` (E.164) with
/// `custom_data`: `{"phone": digits, "data": …}`, the `event_token` replaced by its
/// reference, at most 200 bytes.
pub fn script_custom_data(
    tenant: &str,
    phone: &str,
    custom_data: &Map<String, Value>,
) -> Result<String, StartError> {
    if !sva_abi::phone::is_e164(phone) {
        return Err(StartError::Refused("the number is not E.164".into()));
    }
    let mut data = custom_data.clone();
    match data.get("tenant") {
        Some(Value::String(t)) if t != tenant => {
            return Err(StartError::Refused(
                "the custom data names another tenant".into(),
            ));
        }
        _ => {
            data.insert("tenant".into(), json!(tenant));
        }
    }
    if let Some(token) = data.remove(EVENT_TOKEN_KEY) {
        let token = token.as_str().unwrap_or_default();
        if !token.is_empty() {
            data.insert(ROBOT_REF_KEY.into(), json!(robot::run_ref(token)));
        }
    }
    let text = json!({ "phone": phone.trim_start_matches('+'), "data": data }).to_string();
    sva_voximplant::check_script_custom_data(&text)
        .map_err(|e| StartError::Refused(e.to_string()))?;
    Ok(text)
}

#[async_trait]
impl CallStarter for VoximplantStarter {
    async fn start(
        &self,
        tenant: &str,
        phone: &str,
        custom_data: &Map<String, Value>,
    ) -> Result<String, StartError> {
        let data = script_custom_data(tenant, phone, custom_data)?;
        let start = ScenarioStart {
            rule_id: self.rule_id,
            script_custom_data: Some(data),
        };
        match self.client.start_scenarios(&start).await {
            Ok(session) => Ok(format!("vox-{}", session.call_session_history_id)),
            Err(Error::InvalidInput(why)) => Err(StartError::Refused(why)),
            Err(e) => {
                tracing::warn!(tenant, code = e.code(), "StartScenarios failed: {e}");
                Err(StartError::Unavailable(e.to_string()))
            }
        }
    }
}
