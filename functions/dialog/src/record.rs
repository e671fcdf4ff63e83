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
pub(crate) fn call_record(
    end: &CallEnd,
    claims: &Claims,
    tenant: &Tenant,
    now: u64,
    costing: &crate::Costing,
    writes_gaps: bool,
) -> Value {
    let mut usage = usage_of(end, costing);
    // The object listing the questions the knowledge base did not answer.
    usage.storage_puts += u32::from(writes_gaps);
    usage.embedding_tokens = claims.records.embedding_tokens;
    let cost = costing
        .prices
        .with_overrides(&tenant.prices)
        .and_then(|table| sva_costs::price(&usage, &table, costing.options))
        .map_err(|e| {
            // A broken price never loses a record: reports price its usage again.
            tracing::warn!(tenant = %tenant.context.id, "the call could not be priced: {e}");
        })
        .ok();
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
        "usage": usage,
        "cost": cost,
        "recording_url": end.recording_url,
        "transcript": end.transcript,
    })
}

/// The questions of the call that the knowledge base had no answer to, in order, each
/// once.
pub(crate) fn unanswered(claims: &Claims) -> Vec<String> {
    let mut questions: Vec<String> = Vec::new();
    for lookup in claims.records.turns.iter().flat_map(|t| &t.knowledge) {
        if lookup.unanswered() && !questions.contains(&lookup.query) {
            questions.push(lookup.query.clone());
        }
    }
    questions
}

/// What the call consumed, from the end report: telephony and recognition as VoxEngine
/// measured them, synthesis as the phrases spoken (each a request), compute as the
/// turns' round trips measured by VoxEngine (an upper bound of our handler time) plus
/// the end report itself, and the storage writes and gateway requests this function
/// makes.
pub(crate) fn usage_of(end: &CallEnd, costing: &crate::Costing) -> sva_costs::Usage {
    let asr = end.asr.clone().unwrap_or_default();
    // The phrases VoxEngine played, as it reported them; else those the transcript
    // shows (which misses the script's own phrases and counts cut-off ones).
    let mut tts_requests = end.tts_requests.clone();
    if tts_requests.is_empty() {
        tts_requests = end
            .transcript
            .iter()
            .flat_map(|t| &t.assistant)
            .map(|phrase| phrase.chars().count() as u32)
            .collect();
    }
    if tts_requests.is_empty() && end.tts_chars > 0 {
        tts_requests.push(end.tts_chars);
    }
    let mut invocation_ms: Vec<u32> = end.transcript.iter().map(|t| t.latency_ms).collect();
    invocation_ms.push(1); // this end report: one billing step
    let direction = serde_json::to_value(end.call.direction)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default();
    sva_costs::Usage {
        direction,
        duration_s: end.duration_s,
        telephony_reported: end.telephony_cost.as_ref().map(money),
        asr_reported: asr.cost.as_ref().map(money),
        asr_sessions: asr.sessions,
        asr_session_seconds: asr.session_seconds,
        asr_seconds: f64::from(asr.seconds),
        tts_requests,
        llm_input_tokens: 0,
        llm_output_tokens: 0,
        embedding_tokens: 0,
        gateway_requests: invocation_ms.len() as u32,
        invocation_ms,
        memory_mb: costing.memory_mb,
        vcpu: costing.vcpu,
        storage_puts: 2, // the record and the outbox entry
        storage_gets: 0,
    }
}

fn money(cost: &crate::protocol::Cost) -> sva_costs::Money {
    sva_costs::Money {
        amount: cost.amount,
        currency: cost.currency.clone(),
    }
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
