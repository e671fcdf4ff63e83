// Each test binary uses part of it.
#![allow(dead_code)]

//! What the dialog function's tests share: a tenant with its signing secret, and the
//! signed request's headers.

use sva_dialog::{Headers, ScenarioRouting, Tenant};

/// Tenant `id` signing with `secret`, on scenario version `v1`, Moscow time, every other
/// setting at its default.
pub fn tenant(id: &str, secret: &[u8]) -> Tenant {
    Tenant {
        context: sva_abi::TenantContext {
            id: id.into(),
            ..Default::default()
        },
        signing_secret: secret.to_vec(),
        previous_secrets: Vec::new(),
        disabled: false,
        fallback_phrase: "Повторите.".into(),
        voice: "ru_RU_alena".into(),
        utc_offset_minutes: 180,
        routing: ScenarioRouting::only("v1"),
        prices: Default::default(),
        calls: Default::default(),
        llm: Default::default(),
        recording_notice: String::new(),
    }
}

/// The headers of a request of `tenant` signed `sig` at `ts`.
pub fn headers<'a>(tenant: &'a str, ts: &'a str, sig: &'a str) -> Headers<'a> {
    Headers {
        tenant: Some(tenant),
        timestamp: Some(ts),
        signature: Some(sig),
    }
}
