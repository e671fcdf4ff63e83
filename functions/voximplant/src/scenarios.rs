//! StartScenarios: one session of a rule's scenario, started by the Management API (an
//! outbound call the scenario places itself).
//!
//! Sources: the official Node client
//! (voximplant/apiclient-nodejs@281e5c4199b6a7ed9bf3d7c880729306dffe82a3) `src/index.ts:2036-2087`
//! (the request mapper: `rule_id`, `user_id`/`user_name`, `application_id`/`application_name`,
//! `script_custom_data`, `reference_ip`, `server_location`; the answer's
//! `media_session_access_url`, `media_session_access_secure_url`, `call_session_history_id`;
//! "The maximum number of concurrent HTTP-requests is limited to 200. If this number is
//! exceeded, this method returns the 429 code error"), `src/Interfaces.ts:1758-1813` (types;
//! "the necessary scenario needs to be attached to the rule"), `src/Interfaces.ts:2081` (the
//! session id of `AppEvents.Started` is the `call_session_history_id` StartScenarios
//! returns); the Python client (apiclient-python@5df85174a3e8b0c09ced19867bd097af8233cbfc
//! `client.py:2731-2790`). The size limit of `script_custom_data` is that of the session's
//! custom data, which it sets: "Maximum size is 200 bytes"
//! (voximplant/voxengine-ci@8b595242da97e5fef618877a7ce806914c637f42
//! `typings/voxengine.d.ts:10306-10313`, `VoxEngine.customData`;
//! <https://voximplant.com/docs/howtos/calls/custom_data>: "a string of up to 200 bytes …
//! you can set custom data when launching a scenario with management API … StartScenarios
//! … script_custom_data").

use serde::Deserialize;

use crate::client::{Client, Params};
use crate::error::Error;
use crate::secret::Secret;

/// The most bytes of `script_custom_data` (the session's custom data, UTF-8).
pub const MAX_SCRIPT_CUSTOM_DATA_BYTES: usize = 200;

/// Checks `script_custom_data` against [`MAX_SCRIPT_CUSTOM_DATA_BYTES`].
pub fn check_script_custom_data(data: &str) -> Result<(), Error> {
    if data.len() > MAX_SCRIPT_CUSTOM_DATA_BYTES {
        return Err(Error::InvalidInput(format!(
            "script_custom_data has {} bytes; the session's custom data takes at most {MAX_SCRIPT_CUSTOM_DATA_BYTES}",
            data.len()
        )));
    }
    Ok(())
}

/// What StartScenarios runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioStart {
    /// The rule whose scenarios run (a scenario must be bound to it).
    pub rule_id: u64,
    /// What `VoxEngine.customData()` returns in the session (≤ 200 bytes).
    pub script_custom_data: Option<String>,
}

/// StartScenarios' answer.
#[derive(Clone, Debug)]
pub struct StartedSession {
    /// `call_session_history_id`: the session's id, the same as `AppEvents.Started`'s
    /// `sessionId` in the scenario (Interfaces.ts:2081) and GetCallHistory's key.
    pub call_session_history_id: u64,
    /// `media_session_access_url`: controls the running session (an HTTP request to it
    /// raises `AppEvents.HttpRequest`). A capability: never logged.
    pub media_session_access_url: Secret,
    /// `media_session_access_secure_url`: the same over HTTPS.
    pub media_session_access_secure_url: Secret,
}

#[derive(Deserialize)]
struct Answer {
    result: serde_json::Value,
    call_session_history_id: u64,
    #[serde(default)]
    media_session_access_url: String,
    #[serde(default)]
    media_session_access_secure_url: String,
}

impl Client {
    /// StartScenarios (index.ts:2036-2087): starts one session of the rule's scenario.
    /// HTTP 429 (more than 200 concurrent requests) is [`Error::RateLimited`]: nothing ran.
    pub async fn start_scenarios(&self, start: &ScenarioStart) -> Result<StartedSession, Error> {
        if let Some(data) = &start.script_custom_data {
            check_script_custom_data(data)?;
        }
        let p = Params::new()
            .num("rule_id", start.rule_id)
            .text_opt("script_custom_data", start.script_custom_data.clone());
        let a: Answer = self.call("StartScenarios", &p).await?;
        if a.result != serde_json::json!(1) && a.result != serde_json::json!(true) {
            return Err(Error::Decode {
                method: "StartScenarios".into(),
                reason: format!("`result` is {}, not 1", a.result),
            });
        }
        Ok(StartedSession {
            call_session_history_id: a.call_session_history_id,
            media_session_access_url: Secret::new(a.media_session_access_url),
            media_session_access_secure_url: Secret::new(a.media_session_access_secure_url),
        })
    }
}
