//! The call record and the CRM outbox entry written at the end of a call.
//!
//! Layout (`shared/design/architecture.md`): `calls/{tenant}/{yyyy-mm-dd}/{call_id}.json`
//! and `outbox/crm/{tenant}/{call_id}.json`. Both are written create-only, so a repeated
//! end-of-call report changes nothing, and a report retried after a partial failure
//! completes what is missing.

use crate::Tenant;
use crate::protocol::CallEnd;
use crate::token::Claims;
use serde_json::{Value, json};

/// The storage key of a call record.
pub fn record_key(tenant: &str, date: &str, call_id: &str) -> String {
    format!("calls/{tenant}/{date}/{call_id}.json")
}

/// The storage key of a call's CRM outbox entry.
pub fn outbox_key(tenant: &str, call_id: &str) -> String {
    format!("outbox/crm/{tenant}/{call_id}.json")
}

/// The record's date: the call's start date as reported, else today in the tenant's zone.
pub(crate) fn date_of(end: &CallEnd, tenant: &Tenant, now: u64) -> String {
    let reported = end
        .started_at
        .as_deref()
        .and_then(|s| s.get(..10))
        .filter(|d| {
            let b = d.as_bytes();
            b.len() == 10
                && b[4] == b'-'
                && b[7] == b'-'
                && d.bytes().filter(u8::is_ascii_digit).count() == 8
        });
    match reported {
        Some(date) => date.to_owned(),
        None => sva_abi::clock::rfc3339(now as i64, tenant.utc_offset_minutes)[..10].to_owned(),
    }
}

/// The call record: who, when, which scenario, what was established, what it used.
pub(crate) fn call_record(end: &CallEnd, claims: &Claims, tenant: &Tenant, now: u64) -> Value {
    let callbacks: Vec<Value> = claims
        .records
        .callbacks
        .iter()
        .map(|(at, note)| json!({ "at": at, "note": note }))
        .collect();
    json!({
        "v": 1,
        "tenant": tenant.context.id,
        "call": end.call,
        "scenario_version": claims.version,
        "variant": claims.variant,
        "started_at": end.started_at,
        "ended_at": sva_abi::clock::rfc3339(now as i64, tenant.utc_offset_minutes),
        "duration_s": end.duration_s,
        "end_reason": end.end_reason,
        "turns": claims.seq,
        "failed_turns": claims.records.failures,
        "events": claims.records.turns,
        "events_dropped": claims.records.turns_dropped,
        "qualification": claims.records.qualification,
        "callbacks": callbacks,
        "usage": {
            "telephony_cost": end.telephony_cost,
            "asr": end.asr,
            "tts_chars": end.tts_chars,
        },
        "recording_url": end.recording_url,
        "transcript": end.transcript,
    })
}

/// The outbox entry the CRM step picks up.
pub(crate) fn outbox_entry(tenant: &str, call_id: &str, record: &str, now: u64) -> Value {
    json!({
        "v": 1,
        "tenant": tenant,
        "call_id": call_id,
        "record": record,
        "created_at": sva_abi::clock::rfc3339(now as i64, 0),
        "attempts": 0,
    })
}
