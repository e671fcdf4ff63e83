//! Synthetic call records, for the report benchmark and the sample report in `docs/`:
//! deterministic (a seeded xorshift), shaped like the records the dialog function
//! writes, with an A/B split whose variant B converts better.

use crate::cost::{PricingOptions, Usage, price};
use crate::prices::PriceTable;
use sva_abi::{Direction, Outcome, Qualification};
use sva_wire::CallRecord;

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// `count` records of tenant `tenant`, spread over `days` days ending on `last_day`
/// (`YYYY-MM-DD`): each as its storage key and JSON body.
pub fn records(
    tenant: &str,
    count: usize,
    days: u32,
    last_day: &str,
    seed: u64,
) -> impl Iterator<Item = (String, Vec<u8>)> {
    let table = PriceTable::default_table();
    let mut rng = Rng(seed | 1);
    let last = crate::report::day_number(last_day).unwrap_or(0);
    let tenant = tenant.to_owned();
    (0..count).map(move |i| {
        let day = last - i64::from(rng.below(u64::from(days.max(1))) as u32);
        let (y, m, d) = sva_abi::clock::civil_from_days(day);
        let date = format!("{y:04}-{m:02}-{d:02}");
        let b = rng.chance(30);
        let (version, variant) = if b {
            ("b".repeat(64), "b")
        } else {
            ("a".repeat(64), "a")
        };
        let answered = rng.chance(92);
        let duration_s = if answered {
            20 + rng.below(280) as u32
        } else {
            0
        };
        let lead_chance = if b { 24 } else { 18 };
        let outcome = match () {
            _ if !answered => Outcome::Dropped,
            _ if rng.chance(lead_chance) => {
                if rng.chance(40) {
                    Outcome::Transferred
                } else {
                    Outcome::Qualified
                }
            }
            _ if rng.chance(15) => Outcome::Callback,
            _ if rng.chance(50) => Outcome::NotInterested,
            _ => Outcome::NotQualified,
        };
        let turns = 1 + duration_s / 15;
        let usage = Usage {
            direction: if rng.chance(20) {
                "outbound"
            } else {
                "inbound"
            }
            .into(),
            duration_s,
            telephony_reported: None,
            asr_sessions: turns,
            asr_session_seconds: (0..turns)
                .map(|_| 1.0 + rng.below(90) as f64 / 10.0)
                .collect(),
            asr_seconds: 0.0,
            tts_requests: (0..turns).map(|_| 20 + rng.below(140) as u32).collect(),
            invocation_ms: (0..=turns).map(|_| 5 + rng.below(60) as u32).collect(),
            memory_mb: 512,
            vcpu: 1.0,
            storage_puts: 2,
            gateway_requests: turns + 1,
            ..Usage::default()
        };
        let cost = price(&usage, &table, PricingOptions::default()).ok();
        let id = format!("gen-{seed:x}-{i}");
        let mut record = CallRecord {
            tenant: tenant.clone(),
            scenario_version: version,
            variant: Some(variant.to_owned()),
            started_at: Some(format!(
                "{date}T{:02}:{:02}:00+03:00",
                9 + rng.below(10),
                rng.below(60)
            )),
            duration_s,
            end_reason: "hangup".into(),
            turns,
            qualification: Qualification {
                outcome,
                score: rng.below(100) as u8,
                ..Qualification::default()
            },
            cost,
            ..CallRecord::default()
        };
        record.call.id = id;
        record.call.direction = match usage.direction.as_str() {
            "outbound" => Direction::Outbound,
            _ => Direction::Inbound,
        };
        record.usage = usage;
        let key = sva_wire::key::call_record(&tenant, &date, &record.call.id);
        (key, record.to_json().unwrap_or_default())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Report;

    #[test]
    fn a_corpus_reports_its_split() {
        let mut report = Report::new();
        for (key, body) in records("demo", 5000, 14, "2026-11-30", 7) {
            assert!(key.starts_with("calls/demo/2026-11-"), "{key}");
            assert!(report.add_json(&key, &body).is_some());
        }
        assert_eq!(report.total.calls, 5000);
        assert_eq!(report.by_day.len(), 14);
        let ab = report.ab_tests();
        assert_eq!(ab.len(), 1);
        assert!(ab[0].test.p_b > ab[0].test.p_a);
        assert!(ab[0].test.p_value < 0.05, "{:?}", ab[0].test);
        // Deterministic.
        let first: Vec<_> = records("demo", 3, 14, "2026-11-30", 7).collect();
        assert_eq!(
            first,
            records("demo", 3, 14, "2026-11-30", 7).collect::<Vec<_>>()
        );
    }
}
