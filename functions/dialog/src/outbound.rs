//! Outbound calls: the pre-dial check (`POST /v1/outbound/dial`, [`Dialog::dial`]) and
//! the do-not-call list the end of a call feeds.
//!
//! The VoxEngine script asks before it dials each call-list task (signed like a turn).
//! The number is checked against the tenant's do-not-call list here; the campaign's
//! own checks (the callee's calling hours, a paused or cancelled campaign) are a
//! [`CampaignGate`]: the campaign store kept with the records ([`Dialog::with_storage`]
//! installs it), or another one a test gives ([`Dialog::with_campaign_gate`]).

use crate::{Dialog, DialogError, Headers};
use async_trait::async_trait;
use std::collections::BTreeMap;
use sva_abi::{CallContext, Direction};
use sva_kit::mask::mask_phone;
use sva_tenants::{DoNotCallSource, NewDoNotCall, TenantStore};
use sva_wire::outbound::{DialAnswer, DialRefusal, DialRequest, Voicemail};

/// What a campaign says about one call about to be placed.
#[derive(Debug, Clone, PartialEq)]
pub enum GateDecision {
    /// Dial; on an answering machine do as `voicemail` says.
    Dial {
        /// The campaign's voicemail policy.
        voicemail: Voicemail,
        /// Attempts a callback the callee asks for gets (the campaign's attempts per
        /// contact; 1 for a call of no campaign).
        callback_attempts: u8,
        /// The campaign contact's data for the scenario (empty for a call of no
        /// campaign).
        contact: BTreeMap<String, String>,
    },
    /// Do not dial now.
    Refuse {
        /// Why (`outside_window`, `stopped`, `unknown`).
        reason: DialRefusal,
        /// When to try again (RFC 3339), or never.
        retry_at: Option<String>,
        /// With `retry_at`: the attempts the campaign still gives the contact.
        attempts_left: Option<u8>,
    },
}

/// The campaign's checks before a call: whether its window is open for this callee now
/// and whether it still runs. The seam the campaign store plugs into
/// ([`Dialog::with_campaign_gate`]).
#[async_trait]
pub trait CampaignGate: Send + Sync {
    /// The decision for `call` of `tenant` at `now` (Unix seconds); `Err` when it cannot
    /// be known now (the script then retries the task later, never dials unchecked).
    async fn check(
        &self,
        tenant: &str,
        call: &CallContext,
        now: u64,
    ) -> Result<GateDecision, String>;
}

impl Dialog {
    /// Handles one `POST /v1/outbound/dial` at the current time.
    pub async fn dial(&self, headers: Headers<'_>, body: &[u8]) -> Result<DialAnswer, DialogError> {
        self.dial_at(headers, body, sva_kit::unix_now()).await
    }

    /// Whether an outbound call may be placed, as if the time were `now`: the signature
    /// as for a turn, the do-not-call list, then the campaign's gate.
    pub async fn dial_at(
        &self,
        headers: Headers<'_>,
        body: &[u8],
        now: u64,
    ) -> Result<DialAnswer, DialogError> {
        let tenant = self.verify(headers, body, now).await?;
        let id = tenant.context.id.as_str();
        let request: DialRequest =
            serde_json::from_slice(body).map_err(|e| DialogError::BadRequest(e.to_string()))?;
        if request.tenant != id {
            return Err(DialogError::BadRequest(
                "the body's tenant differs from the X-SVA-Tenant header".into(),
            ));
        }
        let call = &request.call;
        if call.id.is_empty() || call.id.len() > 128 {
            return Err(DialogError::BadRequest(
                "call.id must have 1..=128 characters".into(),
            ));
        }
        if call.direction != Direction::Outbound {
            return Err(DialogError::BadRequest(
                "call.direction must be outbound".into(),
            ));
        }
        let callee = call
            .callee
            .as_deref()
            .filter(|n| sva_abi::phone::is_e164(n))
            .ok_or_else(|| {
                DialogError::BadRequest("call.callee must be a number in E.164 form".into())
            })?;
        let store = self.store.as_ref().ok_or_else(|| {
            DialogError::Storage("no object storage: the do-not-call list cannot be read".into())
        })?;
        let listed = TenantStore::new(store.clone())
            .is_do_not_call(id, callee)
            .await
            .map_err(|e| DialogError::Storage(e.to_string()))?;
        if listed {
            tracing::info!(tenant = %id, call = %call.id, callee = %mask_phone(callee),
                "not dialled: the number is on the do-not-call list");
            return Ok(DialAnswer::refuse(DialRefusal::DoNotCall, None));
        }
        // `with_storage` installs the campaign store's gate; storage was required above.
        let gate = self.gate.as_ref().ok_or_else(|| {
            DialogError::Storage("no campaign store: the campaign cannot be checked".into())
        })?;
        let decision = gate
            .check(id, call, now)
            .await
            .map_err(DialogError::Storage)?;
        Ok(match decision {
            GateDecision::Dial {
                voicemail,
                callback_attempts,
                contact,
            } => DialAnswer::dial(voicemail, callback_attempts).with_contact(contact),
            GateDecision::Refuse {
                reason,
                retry_at,
                attempts_left,
            } => {
                tracing::info!(tenant = %id, call = %call.id, callee = %mask_phone(callee),
                    reason = reason.as_str(), retry_at = ?retry_at, attempts_left = ?attempts_left,
                    "not dialled now");
                match (retry_at, attempts_left) {
                    (Some(at), Some(left)) => DialAnswer::later(reason, at, left),
                    (retry_at, _) => DialAnswer::refuse(reason, retry_at),
                }
            }
        })
    }
}

/// The person on the line asked never to be called again: their number (the callee of
/// an outbound call, the caller of an inbound one) goes on the tenant's do-not-call
/// list. A call without a usable number is logged; a storage failure fails the end
/// report, so it shows.
pub(crate) async fn remember_refusal(
    store: &sva_kit::storage::DynStore,
    tenant: &str,
    call: &CallContext,
) -> Result<(), DialogError> {
    let number = match call.direction {
        Direction::Outbound => call.callee.as_deref(),
        Direction::Inbound => call.caller.as_deref(),
    };
    let Some(number) = number.filter(|n| sva_abi::phone::is_e164(n)) else {
        tracing::warn!(tenant = %tenant, call = %call.id,
            "the caller asked not to be called, but the call has no number in E.164 form");
        return Ok(());
    };
    let added = TenantStore::new(store.clone())
        .add_do_not_call(
            tenant,
            NewDoNotCall {
                number,
                source: DoNotCallSource::Call,
                by: &call.id,
                reason: "попросил(а) больше не звонить во время разговора",
            },
        )
        .await;
    match added {
        Ok((_, created)) => {
            tracing::info!(tenant = %tenant, call = %call.id, number = %mask_phone(number),
                created, "on the do-not-call list");
            Ok(())
        }
        Err(e) => {
            tracing::error!(tenant = %tenant, call = %call.id, number = %mask_phone(number),
                "the number could not be put on the do-not-call list: {e}");
            Err(DialogError::Storage(e.to_string()))
        }
    }
}
