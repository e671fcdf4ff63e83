//! Calls of outbound campaigns (`custom_data` with `campaign` and `contact`): the campaign
//! store's checks before a call is dialled, the contact's data for the scenario on every
//! turn, and the contact's progress when the call ends.

use crate::outbound::{CampaignGate, GateDecision};
use async_trait::async_trait;
use std::sync::Arc;
use sva_abi::{CallContext, Outcome};
use sva_campaign::desk::{Desk, Gate};
use sva_campaign::plan::ContactStatus;
use sva_wire::outbound::Voicemail;

/// The campaign and contact ids of a call, when it is a campaign's.
pub(crate) fn ids(call: &CallContext) -> Option<(&str, &str)> {
    let text = |key: &str| {
        call.custom_data
            .get(key)
            .and_then(serde_json::Value::as_str)
            .filter(|s| !s.is_empty())
    };
    Some((text("campaign")?, text("contact")?))
}

fn timestamp(now: u64) -> jiff::Timestamp {
    jiff::Timestamp::from_second(i64::try_from(now).unwrap_or(i64::MAX))
        .unwrap_or(jiff::Timestamp::MAX)
}

/// The campaign store as the pre-dial check's [`CampaignGate`]. A call of no campaign
/// (a Bitrix24 robot's, a single `StartScenarios` call) is dialled with its row's
/// voicemail policy: the do-not-call list was checked before.
pub struct DeskGate(pub Arc<Desk>);

#[async_trait]
impl CampaignGate for DeskGate {
    async fn check(
        &self,
        tenant: &str,
        call: &CallContext,
        now: u64,
    ) -> Result<GateDecision, String> {
        let Some((campaign, contact)) = ids(call) else {
            let vm = call.custom_data.get("vm").and_then(|v| v.as_str());
            return Ok(GateDecision::Dial {
                voicemail: Voicemail::from_row(vm),
                callback_attempts: 1,
                contact: Default::default(),
            });
        };
        let gate = self
            .0
            .gate(tenant, campaign, contact, timestamp(now))
            .await
            .map_err(|e| e.to_string())?;
        Ok(match gate {
            Gate::Dial {
                voicemail,
                attempts,
                contact,
            } => GateDecision::Dial {
                voicemail,
                callback_attempts: attempts,
                contact,
            },
            Gate::Skip {
                reason,
                retry_at,
                attempts_left,
            } => GateDecision::Refuse {
                reason,
                retry_at: retry_at.map(|t| t.to_string()),
                attempts_left,
            },
        })
    }
}

/// Where a contact stands after a call that ended with `outcome`: a message left on an
/// answering machine is done; a callback or a call that got nowhere leaves it to be
/// called again; the rest are done.
pub(crate) fn progress(call: &CallContext, outcome: Outcome) -> ContactStatus {
    let answered_by = call.custom_data.get("answered_by").and_then(|v| v.as_str());
    if answered_by == Some("voicemail") {
        return ContactStatus::Done {
            outcome: "voicemail_message".into(),
        };
    }
    match outcome {
        Outcome::DoNotCall => ContactStatus::DoNotCall,
        Outcome::Callback | Outcome::Dropped | Outcome::InProgress => ContactStatus::Queued,
        other => ContactStatus::Done {
            outcome: other.as_str().to_owned(),
        },
    }
}

/// Records the end of a campaign call on its contact (logged, never failing the end).
pub(crate) async fn record(
    desk: &Desk,
    tenant: &str,
    call: &CallContext,
    outcome: Outcome,
    now: u64,
) {
    let Some((campaign, contact)) = ids(call) else {
        return;
    };
    let status = progress(call, outcome);
    let mut kept = desk
        .record(tenant, campaign, contact, &call.id, status, timestamp(now))
        .await
        .map(|_| ());
    if matches!(outcome, Outcome::Callback) && kept.is_ok() {
        // The script gives the task the campaign's attempts again (`callback_attempts`).
        kept = desk
            .renew_attempts(tenant, campaign, contact, timestamp(now))
            .await;
    }
    if let Err(e) = kept {
        tracing::warn!(tenant, call = %call.id, campaign, "the contact's progress is not kept: {e}");
    }
}
