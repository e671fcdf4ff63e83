//! The cost of a call: usage (what was consumed, kept in the call record so any period
//! can be priced again with another table) and its price by component, with each
//! provider's rounding rules.

use crate::prices::{PriceError, PriceTable};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
pub use sva_wire::usage::{CallCost, Component, Money, Usage};

/// Seconds of audio in one recognition unit.
pub const ASR_UNIT_S: f64 = 15.0;
/// Characters in one API v3 synthesis request.
pub const TTS_V3_REQUEST_CHARS: u32 = 250;
/// Serverless compute time is billed in steps of this many milliseconds.
pub const COMPUTE_STEP_MS: u32 = 100;

/// How synthesis is billed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TtsBilling {
    /// API v1: per character, spaces included; an empty request is one character.
    #[default]
    V1,
    /// API v3: per request, each started block of 250 characters a request.
    V3,
}

/// Choices of the pricing that are not prices.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricingOptions {
    /// How synthesis is billed.
    #[serde(default)]
    pub tts: TtsBilling,
}

/// The billable units of the usage, after the providers' rounding.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Units {
    /// Started minutes of the call.
    pub minutes: u64,
    /// 15-second recognition units.
    pub asr_units: u64,
    /// Synthesis: characters (v1) or requests (v3).
    pub tts_units: u64,
    /// Billed compute seconds (each invocation rounded up to 100 ms).
    pub compute_s: f64,
}

impl Units {
    /// The billable units of `usage` under `options`.
    pub fn of(usage: &Usage, options: PricingOptions) -> Units {
        let minutes = u64::from(usage.duration_s.div_ceil(60));
        // Each session is rounded up to whole units, and a session with no audio is
        // still one unit. Without per-session seconds: at least a unit per session,
        // and at least the total audio in units.
        let asr_units = if usage.asr_session_seconds.is_empty() {
            let by_audio = (usage.asr_seconds.max(0.0) / ASR_UNIT_S).ceil() as u64;
            by_audio.max(u64::from(usage.asr_sessions))
        } else {
            usage
                .asr_session_seconds
                .iter()
                .map(|s| ((s.max(0.0) / ASR_UNIT_S).ceil() as u64).max(1))
                .sum()
        };
        let tts_units = match options.tts {
            TtsBilling::V1 => usage
                .tts_requests
                .iter()
                .map(|&c| u64::from(c.max(1)))
                .sum(),
            TtsBilling::V3 => usage
                .tts_requests
                .iter()
                .map(|&c| u64::from(c.div_ceil(TTS_V3_REQUEST_CHARS).max(1)))
                .sum(),
        };
        let compute_ms: u64 = usage
            .invocation_ms
            .iter()
            .map(|&ms| u64::from(ms.div_ceil(COMPUTE_STEP_MS).max(1)) * u64::from(COMPUTE_STEP_MS))
            .sum();
        Units {
            minutes,
            asr_units,
            tts_units,
            compute_s: compute_ms as f64 / 1000.0,
        }
    }
}

/// Prices `usage` with `table`.
pub fn price(
    usage: &Usage,
    table: &PriceTable,
    options: PricingOptions,
) -> Result<CallCost, PriceError> {
    let units = Units::of(usage, options);
    let mut components = BTreeMap::new();
    let mut add = |name: &str, parts: &[(&str, f64)]| -> Result<(), PriceError> {
        let mut amount = 0.0;
        let mut confirmed = true;
        for (item, quantity) in parts {
            let unit = table.unit_price(item)?;
            amount += unit.rub * quantity;
            confirmed &= unit.confirmed || *quantity == 0.0;
        }
        components.insert(
            name.to_owned(),
            Component {
                amount,
                basis: "priced".into(),
                confirmed,
            },
        );
        Ok(())
    };
    let minute = match usage.direction.as_str() {
        "outbound" => "telephony.outbound.minute",
        _ => "telephony.inbound.minute",
    };
    add("telephony", &[(minute, units.minutes as f64)])?;
    add("recognition", &[("asr.unit", units.asr_units as f64)])?;
    let tts = match options.tts {
        TtsBilling::V1 => "tts.v1.character",
        TtsBilling::V3 => "tts.v3.request",
    };
    add("synthesis", &[(tts, units.tts_units as f64)])?;
    let llm = llm_parts(usage, table);
    let llm: Vec<(&str, f64)> = llm.iter().map(|(i, q)| (i.as_str(), *q)).collect();
    add("llm", &llm)?;
    add(
        "embeddings",
        &[(
            "embeddings.1k_tokens",
            usage.embedding_tokens as f64 / 1000.0,
        )],
    )?;
    let hours = units.compute_s / 3600.0;
    add(
        "compute",
        &[
            ("compute.invocation", usage.invocation_ms.len() as f64),
            (
                "compute.gb_hour",
                hours * f64::from(usage.memory_mb) / 1024.0,
            ),
            ("compute.vcpu_hour", hours * usage.vcpu),
        ],
    )?;
    add(
        "storage",
        &[
            ("storage.put", f64::from(usage.storage_puts)),
            ("storage.get", f64::from(usage.storage_gets)),
        ],
    )?;
    add(
        "gateway",
        &[("gateway.request", f64::from(usage.gateway_requests))],
    )?;
    // What the provider reported is what was charged.
    for (name, reported) in [
        ("telephony", &usage.telephony_reported),
        ("recognition", &usage.asr_reported),
    ] {
        let Some(reported) = reported
            .as_ref()
            .filter(|m| m.amount.is_finite() && m.amount >= 0.0)
        else {
            continue;
        };
        let rate = match reported.currency.as_str() {
            c if c == table.currency => Some((1.0, true)),
            c => table.rates.get(c).map(|r| (r.rub, r.confirmed)),
        };
        if let Some((rate, confirmed)) = rate {
            components.insert(
                name.into(),
                Component {
                    amount: reported.amount * rate,
                    basis: "reported".into(),
                    confirmed,
                },
            );
        }
    }
    for component in components.values_mut() {
        component.amount = round6(component.amount);
    }
    let total = round6(components.values().map(|c| c.amount).sum());
    Ok(CallCost {
        currency: table.currency.clone(),
        vat_included: true,
        total,
        components,
        prices: table.label(),
    })
}

/// The language model's price items and quantities (thousands of tokens): each model's
/// tokens by its own rows ([`PriceTable::model_item`]), the rest by the generic
/// `llm.input/output.1k_tokens`.
fn llm_parts(usage: &Usage, table: &PriceTable) -> Vec<(String, f64)> {
    let mut parts = Vec::new();
    let (mut input, mut output) = (usage.llm_input_tokens, usage.llm_output_tokens);
    for m in &usage.llm_models {
        parts.push((
            table.model_item(&m.model, "input"),
            m.input_tokens as f64 / 1000.0,
        ));
        parts.push((
            table.model_item(&m.model, "output"),
            m.output_tokens as f64 / 1000.0,
        ));
        input = input.saturating_sub(m.input_tokens);
        output = output.saturating_sub(m.output_tokens);
    }
    parts.push(("llm.input.1k_tokens".to_owned(), input as f64 / 1000.0));
    parts.push(("llm.output.1k_tokens".to_owned(), output as f64 / 1000.0));
    parts
}

/// Rounded to a millionth of a ruble: what is stored.
fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage() -> Usage {
        Usage {
            direction: "inbound".into(),
            duration_s: 61,
            asr_sessions: 3,
            asr_session_seconds: vec![1.0, 15.0, 37.0],
            tts_requests: vec![0, 250, 251],
            invocation_ms: vec![1, 100, 101],
            memory_mb: 512,
            vcpu: 1.0,
            storage_puts: 2,
            storage_gets: 1,
            gateway_requests: 3,
            ..Usage::default()
        }
    }

    #[test]
    fn rounding_edges() {
        let u = usage();
        let units = Units::of(&u, PricingOptions::default());
        assert_eq!(units.minutes, 2, "61 s is two started minutes");
        // 1 s → 1 unit, 15 s → 1, 37 s → 3 (45 s).
        assert_eq!(units.asr_units, 1 + 1 + 3);
        // v1: an empty request is one character.
        assert_eq!(units.tts_units, 1 + 250 + 251);
        let v3 = Units::of(
            &u,
            PricingOptions {
                tts: TtsBilling::V3,
            },
        );
        // v3: an empty request is one, 250 is one, 251 is two.
        assert_eq!(v3.tts_units, 1 + 1 + 2);
        // 1 ms → 100, 100 → 100, 101 → 200.
        assert!((units.compute_s - 0.4).abs() < 1e-12);
        for (seconds, minutes) in [(0, 0), (1, 1), (60, 1), (120, 2), (121, 3)] {
            let u = Usage {
                duration_s: seconds,
                ..Usage::default()
            };
            assert_eq!(
                Units::of(&u, PricingOptions::default()).minutes,
                minutes,
                "{seconds} s"
            );
        }
        // A session with no audio is still a unit; without per-session seconds the
        // sessions and the total audio give a floor.
        let silent = Usage {
            asr_session_seconds: vec![0.0],
            ..Usage::default()
        };
        assert_eq!(Units::of(&silent, PricingOptions::default()).asr_units, 1);
        let summed = Usage {
            asr_sessions: 2,
            asr_seconds: 46.0,
            ..Usage::default()
        };
        assert_eq!(Units::of(&summed, PricingOptions::default()).asr_units, 4);
    }

    #[test]
    fn components_add_up_and_reported_telephony_wins() {
        let table = PriceTable::default_table();
        let cost = price(&usage(), &table, PricingOptions::default()).unwrap();
        let sum: f64 = cost.components.values().map(|c| c.amount).sum();
        assert!((cost.total - sum).abs() < 1e-5);
        let minute = table.unit_price("telephony.inbound.minute").unwrap().rub;
        assert!((cost.components["telephony"].amount - 2.0 * minute).abs() < 1e-6);
        assert_eq!(cost.components["telephony"].basis, "priced");
        assert!(!cost.components["telephony"].confirmed);
        assert_eq!(cost.components["llm"].amount, 0.0);
        assert!(
            cost.components["llm"].confirmed,
            "nothing used, nothing unconfirmed"
        );

        let reported = Usage {
            telephony_reported: Some(Money {
                amount: 3.17,
                currency: "RUB".into(),
            }),
            ..usage()
        };
        let cost = price(&reported, &table, PricingOptions::default()).unwrap();
        assert_eq!(cost.components["telephony"].amount, 3.17);
        assert_eq!(cost.components["telephony"].basis, "reported");
        // Reported in dollars: converted, and only as confirmed as the rate.
        let in_usd = Usage {
            asr_reported: Some(Money {
                amount: 0.01,
                currency: "USD".into(),
            }),
            ..usage()
        };
        let cost = price(&in_usd, &table, PricingOptions::default()).unwrap();
        assert_eq!(cost.components["recognition"].amount, 0.8);
        assert!(!cost.components["recognition"].confirmed);
        // A huge reported handler time does not overflow.
        let huge = Usage {
            invocation_ms: vec![u32::MAX],
            ..Usage::default()
        };
        assert!(Units::of(&huge, PricingOptions::default()).compute_s > 4.0e6);
    }

    #[test]
    fn each_model_is_priced_by_its_own_row() {
        let table = PriceTable::default_table();
        let rub = |item: &str| table.unit_price(item).unwrap().rub;
        let mut u = Usage {
            llm_input_tokens: 3000,
            llm_output_tokens: 1000,
            ..Usage::default()
        };
        sva_wire::ModelTokens::add(&mut u.llm_models, "gpt://b1g/yandexgpt/rc", 1000, 500);
        sva_wire::ModelTokens::add(
            &mut u.llm_models,
            "gpt://b1g/yandexgpt-lite/latest",
            1000,
            0,
        );
        let cost = price(&u, &table, PricingOptions::default()).unwrap();
        // Pro 5.1 (`yandexgpt/rc`) 1.5k, Lite 1k by its family's row, 1k input + 0.5k
        // output unattributed by the generic rows.
        let expected = 1.0 * rub("llm.model.yandexgpt/rc.input.1k_tokens")
            + 0.5 * rub("llm.model.yandexgpt/rc.output.1k_tokens")
            + 1.0 * rub("llm.model.yandexgpt-lite.input.1k_tokens")
            + 1.0 * rub("llm.input.1k_tokens")
            + 0.5 * rub("llm.output.1k_tokens");
        assert!((cost.components["llm"].amount - expected).abs() < 1e-6);
        assert!(rub("llm.model.yandexgpt/rc.input.1k_tokens") > rub("llm.input.1k_tokens"));
        // A model the table does not know is priced by the generic rows.
        let mut unknown = Usage::default();
        sva_wire::ModelTokens::add(&mut unknown.llm_models, "my-local-qwen", 2000, 0);
        unknown.llm_input_tokens = 2000;
        let cost = price(&unknown, &table, PricingOptions::default()).unwrap();
        assert!((cost.components["llm"].amount - 2.0 * rub("llm.input.1k_tokens")).abs() < 1e-6);
    }

    #[test]
    fn repricing_changes_only_what_the_new_table_changes() {
        let table = PriceTable::default_table();
        let before = price(&usage(), &table, PricingOptions::default()).unwrap();
        let cheaper = table
            .with_overrides(&crate::Overrides {
                prices: [("asr.unit".to_owned(), 0.08)].into(),
                ..Default::default()
            })
            .unwrap();
        let after = price(&usage(), &cheaper, PricingOptions::default()).unwrap();
        // 0.08 ₽ with today's VAT per unit, against 0.16 ₽ published with 20 %.
        let ratio = 0.08 / (0.16 / 1.2 * 1.22);
        let expected = before.components["recognition"].amount * ratio;
        assert!((after.components["recognition"].amount - expected).abs() < 1e-5);
        assert_eq!(
            after.components["telephony"],
            before.components["telephony"]
        );
        assert_eq!(after.prices, "default+overrides@2026-11-30");
    }
}
