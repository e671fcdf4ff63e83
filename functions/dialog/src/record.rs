//! What the end of a call writes: the call record, the CRM outbox entry and the
//! unanswered questions, as the documents of `sva-wire`.
//!
//! Keys are [`sva_wire::key`]'s: `calls/{tenant}/{day}/{call}.json`,
//! `outbox/crm/{tenant}/{call}.json` and `kb-gaps/{tenant}/{day}/{call}.json`. The record
//! and the outbox entry are written create-only, so a repeated end-of-call report
//! changes nothing, and a report retried after a partial failure completes what is
//! missing.

use crate::Tenant;
use crate::token::Claims;
use sva_wire::record::{CallRecord, Callback, RECORD_VERSION};
use sva_wire::turn::CallEnd;
use sva_wire::usage::Usage;

/// The record's day: the call's start date as reported, else today in the tenant's zone.
pub(crate) fn day_of(end: &CallEnd, tenant: &Tenant, now: u64) -> String {
    let reported = end
        .started_at
        .as_deref()
        .and_then(|s| s.get(..10))
        .filter(|d| sva_wire::key::is_day(d));
    match reported {
        Some(day) => day.to_owned(),
        None => sva_abi::clock::rfc3339(now as i64, tenant.utc_offset_minutes)[..10].to_owned(),
    }
}

/// The call record: who, when, which scenario, what was established, what it used and
/// cost. `writes_gaps`: the end also writes the call's unanswered questions (one more
/// object stored).
pub(crate) fn call_record(
    end: CallEnd,
    claims: Claims,
    tenant: &Tenant,
    now: u64,
    costing: &crate::Costing,
    writes_gaps: bool,
) -> CallRecord {
    let mut usage = usage_of(&end, costing);
    usage.storage_puts += u32::from(writes_gaps);
    usage.embedding_tokens = claims.records.embedding_tokens;
    usage.llm_input_tokens = claims.records.llm_input_tokens;
    usage.llm_output_tokens = claims.records.llm_output_tokens;
    usage.llm_models = claims.records.llm_models.clone();
    let cost = costing
        .prices
        .with_overrides(&tenant.prices)
        .and_then(|table| sva_costs::price(&usage, &table, costing.options))
        .map_err(|e| {
            // A broken price never loses a record: reports price its usage again.
            tracing::warn!(tenant = %tenant.context.id, "the call could not be priced: {e}");
        })
        .ok();
    let records = claims.records;
    CallRecord {
        v: RECORD_VERSION,
        tenant: tenant.context.id.clone(),
        call: end.call,
        scenario_version: claims.version,
        variant: claims.variant,
        started_at: end.started_at,
        ended_at: Some(sva_abi::clock::rfc3339(
            now as i64,
            tenant.utc_offset_minutes,
        )),
        duration_s: end.duration_s,
        end_reason: end.end_reason,
        turns: claims.seq,
        failed_turns: records.failures,
        events: records.turns,
        events_dropped: records.turns_dropped,
        qualification: records.qualification,
        callbacks: records
            .callbacks
            .into_iter()
            .map(|(at, note)| Callback { at, note })
            .collect(),
        usage,
        cost,
        recording_url: end.recording_url,
        transcript: end.transcript,
        customer: claims.customer,
    }
}

/// What the call consumed, from the end report: telephony and recognition as VoxEngine
/// measured them, synthesis as the phrases spoken (each a request), compute as the
/// turns' round trips measured by VoxEngine (an upper bound of our handler time) plus
/// the end report itself, and the storage writes and gateway requests this function
/// makes.
pub(crate) fn usage_of(end: &CallEnd, costing: &crate::Costing) -> Usage {
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
    let direction = match end.call.direction {
        sva_abi::Direction::Inbound => "inbound",
        sva_abi::Direction::Outbound => "outbound",
    };
    Usage {
        direction: direction.to_owned(),
        duration_s: end.duration_s,
        telephony_reported: end.telephony_cost.clone(),
        asr_reported: asr.cost,
        asr_sessions: asr.sessions,
        asr_session_seconds: asr.session_seconds,
        asr_seconds: f64::from(asr.seconds),
        tts_requests,
        llm_input_tokens: 0,
        llm_output_tokens: 0,
        llm_models: Vec::new(),
        embedding_tokens: 0,
        gateway_requests: invocation_ms.len() as u32,
        invocation_ms,
        memory_mb: costing.memory_mb,
        vcpu: costing.vcpu,
        storage_puts: 2, // the record and the outbox entry
        storage_gets: 0,
    }
}
