//! StartScenarios in the stand-in, from the reference, not from this crate's client.
//!
//! Sources: voximplant/apiclient-nodejs@281e5c4199b6a7ed9bf3d7c880729306dffe82a3
//! `src/index.ts:2036-2087` (the parameters the method takes and the answer's fields; the
//! HTTP 429 beyond 200 concurrent requests), `src/Interfaces.ts:1758-1813` ("the necessary
//! scenario needs to be attached to the rule"), `src/Interfaces.ts:2081` (the answer's
//! `call_session_history_id` is the session's `AppEvents.Started` `sessionId`);
//! voximplant/voxengine-ci@8b595242da97e5fef618877a7ce806914c637f42
//! `typings/voxengine.d.ts:10306-10313` and
//! <https://voximplant.com/docs/howtos/calls/custom_data> (the session's custom data, which
//! `script_custom_data` sets, is at most 200 bytes).
//!
//! Stricter than the reference where it is silent: the rule must exist and have a scenario
//! bound (101 either way; the code is not documented); `application_id` /
//! `application_name`, when given, must name the rule's application; `script_custom_data`
//! over 200 bytes is refused (the reference documents the limit for the session's custom
//! data, not what StartScenarios does with a longer value); users (`user_id`,
//! `user_name`), `reference_ip` and `server_location` are not modelled and refused.

use serde_json::{Value, json};

use super::methods::Args;
use super::{Refusal, State, invalid};

/// The most bytes of `script_custom_data`.
pub const MAX_CUSTOM_DATA_BYTES: usize = 200;

/// A session StartScenarios started (what tests read back).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StartedScenario {
    /// `call_session_history_id` (the scenario's `sessionId`).
    pub session_id: u64,
    /// The rule run.
    pub rule_id: u64,
    /// The rule's application.
    pub application_id: u64,
    /// The scenarios bound to the rule when it started, in order.
    pub scenario_ids: Vec<u64>,
    /// `script_custom_data` as sent (what `VoxEngine.customData()` returns).
    pub custom_data: Option<String>,
    /// When it started (unix seconds, the stand-in's clock).
    pub at: i64,
}

pub(crate) fn start(a: &Args, st: &mut State, now: i64) -> Result<Value, Refusal> {
    a.only(&[
        "rule_id",
        "user_id",
        "user_name",
        "application_id",
        "application_name",
        "script_custom_data",
        "reference_ip",
        "server_location",
    ])?;
    let rule_id = a
        .num("rule_id")?
        .ok_or_else(|| invalid("rule_id is required"))?;
    for k in ["user_id", "user_name", "reference_ip", "server_location"] {
        if a.str(k).is_some() {
            return Err(invalid(format!("{k} is not modelled by the stand-in")));
        }
    }
    let rule = st
        .rules
        .iter()
        .find(|r| r.id == rule_id)
        .ok_or_else(|| invalid(format!("no rule {rule_id}")))?;
    if rule.scenario_ids.is_empty() {
        return Err(invalid(format!("rule {rule_id} has no scenario bound")));
    }
    let app = rule.application_id;
    match (a.num("application_id")?, a.str("application_name")) {
        (Some(_), Some(_)) => return Err(invalid("both application_id and application_name")),
        (Some(id), None) if id != app => {
            return Err(invalid(format!(
                "rule {rule_id} is not in application {id}"
            )));
        }
        (None, Some(n))
            if !st
                .applications
                .iter()
                .any(|x| x.id == app && (x.name == n || x.full_name == n)) =>
        {
            return Err(invalid(format!(
                "rule {rule_id} is not in application {n:?}"
            )));
        }
        _ => {}
    }
    let custom_data = a.str("script_custom_data").map(str::to_owned);
    if let Some(d) = &custom_data
        && d.len() > MAX_CUSTOM_DATA_BYTES
    {
        return Err(invalid(format!(
            "script_custom_data has {} bytes; at most {MAX_CUSTOM_DATA_BYTES}",
            d.len()
        )));
    }
    let scenario_ids = rule.scenario_ids.clone();
    let session_id = 5_000_000_000 + st.next_id();
    st.sessions.push(StartedScenario {
        session_id,
        rule_id,
        application_id: app,
        scenario_ids,
        custom_data,
        at: now,
    });
    // The control URLs are the stand-in's own (their form is not documented).
    Ok(json!({
        "result": 1,
        "media_session_access_url": format!("http://media.standin.invalid/request/{session_id}"),
        "media_session_access_secure_url": format!("https://media.standin.invalid/request/{session_id}"),
        "call_session_history_id": session_id,
    }))
}
