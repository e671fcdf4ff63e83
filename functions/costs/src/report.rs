//! Reports over call records, streamed: records are added one at a time and only the
//! groups are kept, so memory depends on the number of days, versions and outcomes,
//! never on the number of calls.

use crate::cost::{CallCost, PricingOptions, price};
use crate::prices::{PriceError, PriceTable};
use serde::Serialize;
use std::collections::BTreeMap;
use sva_abi::Outcome;
pub use sva_wire::CallRecord;

/// A qualified lead: the scenario qualified the caller, or handed a hot one to a human.
pub fn is_lead(outcome: Outcome) -> bool {
    matches!(outcome, Outcome::Qualified | Outcome::Transferred)
}

/// The shipped table, parsed once.
fn default_table() -> &'static PriceTable {
    static TABLE: std::sync::OnceLock<PriceTable> = std::sync::OnceLock::new();
    TABLE.get_or_init(PriceTable::default_table)
}

/// The day number of `YYYY-MM-DD` (days since 1970-01-01), if it is one.
pub fn day_number(day: &str) -> Option<i64> {
    let mut parts = day.split('-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some(sva_abi::clock::days_from_civil(y, m as u32, d as u32))
}

/// Sums over a group of calls.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Totals {
    /// Calls.
    pub calls: u64,
    /// Calls that were connected (a second or more).
    pub answered: u64,
    /// Calls the scenario qualified (outcome `qualified`).
    pub qualified: u64,
    /// Qualified leads: qualified, or hot and handed to a human (`transferred`).
    pub leads: u64,
    /// Calls handed to a human.
    pub transferred: u64,
    /// Calls that booked a callback.
    pub callbacks: u64,
    /// Connected seconds.
    pub seconds: u64,
    /// Cost, rubles with VAT.
    pub cost: f64,
    /// Cost by component.
    pub components: BTreeMap<String, f64>,
    /// Calls priced with a price that is not confirmed.
    pub unconfirmed: u64,
    /// Calls carried into the CRM (a lead or a deal made in Bitrix24).
    pub in_crm: u64,
}

impl Totals {
    fn add(&mut self, record: &CallRecord, cost: &CallCost, in_crm: bool) {
        let outcome = record.outcome();
        self.calls += 1;
        self.answered += u64::from(record.duration_s > 0);
        self.qualified += u64::from(outcome == Outcome::Qualified);
        self.leads += u64::from(is_lead(outcome));
        self.transferred += u64::from(outcome == Outcome::Transferred);
        self.callbacks += u64::from(outcome == Outcome::Callback);
        self.seconds += u64::from(record.duration_s);
        self.cost += cost.total;
        for (name, component) in &cost.components {
            *self.components.entry(name.clone()).or_default() += component.amount;
        }
        self.unconfirmed += u64::from(cost.components.values().any(|c| !c.confirmed));
        self.in_crm += u64::from(in_crm);
    }

    /// Qualified leads per call.
    pub fn conversion(&self) -> f64 {
        ratio(self.leads as f64, self.calls as f64)
    }

    /// Average connected seconds per answered call.
    pub fn average_handle_s(&self) -> f64 {
        ratio(self.seconds as f64, self.answered as f64)
    }

    /// Cost per call.
    pub fn per_call(&self) -> f64 {
        ratio(self.cost, self.calls as f64)
    }

    /// Cost per connected minute.
    pub fn per_minute(&self) -> f64 {
        ratio(self.cost, self.seconds as f64 / 60.0)
    }

    /// Cost per qualified lead (0 when there is none).
    pub fn per_lead(&self) -> f64 {
        ratio(self.cost, self.leads as f64)
    }

    /// Each component's share of the cost.
    pub fn shares(&self) -> BTreeMap<String, f64> {
        self.components
            .iter()
            .map(|(name, amount)| (name.clone(), ratio(*amount, self.cost)))
            .collect()
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

/// The language model's requests over a period: how they were answered, how long the
/// provider took, what they cost.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ModelStats {
    /// Calls with at least one request to the model.
    pub calls: u64,
    /// Requests, by status (`ok`, `timeout`, `invalid`, `over_budget`, `unavailable`).
    pub requests: BTreeMap<String, u64>,
    /// Prompt and completion tokens.
    pub tokens: (u64, u64),
    /// The cost of the model, rubles with VAT.
    pub cost: f64,
    /// The provider's time of each request it answered, milliseconds, in the order
    /// read (turns a record dropped from its log are not here).
    #[serde(skip)]
    latencies_ms: Vec<u32>,
}

impl ModelStats {
    fn add(&mut self, record: &CallRecord, cost: &CallCost) {
        let logs: Vec<_> = record.events.iter().flat_map(|t| &t.model).collect();
        let tokens = (
            record.usage.llm_input_tokens,
            record.usage.llm_output_tokens,
        );
        if logs.is_empty() && tokens == (0, 0) {
            return;
        }
        self.calls += 1;
        for log in logs {
            *self
                .requests
                .entry(log.status.as_str().to_owned())
                .or_default() += 1;
            self.latencies_ms.extend(log.latency_ms);
        }
        self.tokens.0 += tokens.0;
        self.tokens.1 += tokens.1;
        self.cost += cost.components.get("llm").map_or(0.0, |c| c.amount);
    }

    /// Requests in all.
    pub fn total_requests(&self) -> u64 {
        self.requests.values().sum()
    }

    /// The provider's time at quantile `q` (0..=1), milliseconds (nearest rank; `None`
    /// without a measured request).
    pub fn latency_ms(&self, q: f64) -> Option<u32> {
        let [at] = self.latencies_ms_at([q]);
        at
    }

    /// The provider's time at each of the quantiles `qs`, as [`Self::latency_ms`], with
    /// one sort for all of them.
    pub fn latencies_ms_at<const N: usize>(&self, qs: [f64; N]) -> [Option<u32>; N] {
        let mut sorted = self.latencies_ms.clone();
        sorted.sort_unstable();
        qs.map(|q| {
            let rank = ((q.clamp(0.0, 1.0) * sorted.len() as f64).ceil() as usize).max(1);
            sorted.get(rank - 1).copied()
        })
    }
}

/// The outbound campaign a call was made for: the `campaign` of the call's data (the
/// call-list row), when it is a non-empty string.
pub fn campaign_of(record: &CallRecord) -> Option<&str> {
    record
        .call
        .custom_data
        .get("campaign")
        .and_then(serde_json::Value::as_str)
        .filter(|c| !c.is_empty())
}

/// A report being built.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Every call.
    pub total: Totals,
    /// By tenant and day.
    pub by_day: BTreeMap<(String, String), Totals>,
    /// By tenant, scenario version and variant.
    pub by_version: BTreeMap<(String, String, String), Totals>,
    /// By outcome.
    pub by_outcome: BTreeMap<String, Totals>,
    /// Outbound campaigns' calls, by tenant and campaign id (the `campaign` of the
    /// call's data; calls of no campaign are not here).
    pub by_campaign: BTreeMap<(String, String), Totals>,
    /// The language model's requests over the period.
    pub model: ModelStats,
    /// Records that could not be read, with why (a few kept).
    pub unreadable: Vec<String>,
    /// How many could not be read.
    pub unreadable_count: u64,
    repricing: Option<(PriceTable, PricingOptions)>,
    /// Ids of the calls of the day being read that reached the CRM.
    in_crm: std::collections::HashSet<String>,
}

impl Report {
    /// A report with the costs as recorded at each call's end.
    pub fn new() -> Report {
        Report::default()
    }

    /// A report that prices every call's usage again with `table` (what-if).
    pub fn repriced(table: PriceTable, options: PricingOptions) -> Report {
        Report {
            repricing: Some((table, options)),
            ..Report::default()
        }
    }

    /// Adds one call record (its JSON) stored under `key`
    /// (`calls/{tenant}/{day}/{id}.json`: the day counted is the key's, the tenant's
    /// local day the dialog function checked), returning the record and its cost as
    /// counted.
    pub fn add_json(&mut self, key: &str, json: &[u8]) -> Option<(CallRecord, CallCost)> {
        let day = key
            .split('/')
            .nth(2)
            .filter(|d| day_number(d).is_some())
            .unwrap_or("unknown")
            .to_owned();
        let record = match CallRecord::from_json(json) {
            Ok(record) => record,
            Err(e) => {
                self.skip(key, &e.to_string());
                return None;
            }
        };
        if !record.has_usage() {
            self.skip(key, "written before calls were costed: no usage to price");
            return None;
        }
        match self.cost_of(&record) {
            Ok(cost) => {
                self.add(&day, &record, &cost);
                Some((record, cost))
            }
            Err(e) => {
                self.skip(key, &e.to_string());
                None
            }
        }
    }

    /// The calls of the day about to be added that the CRM step has carried into the
    /// CRM (the ids under `crm/{tenant}/{day}/`); replaces the previous day's.
    pub fn reached_crm(&mut self, call_ids: impl IntoIterator<Item = String>) {
        self.in_crm.clear();
        self.in_crm.extend(call_ids);
    }

    fn skip(&mut self, key: &str, why: &str) {
        self.unreadable_count += 1;
        if self.unreadable.len() < 10 {
            self.unreadable.push(format!("{key}: {why}"));
        }
    }

    /// The cost a record counts with: re-priced, as recorded, or priced now with the
    /// default table for records from before costs were recorded.
    pub fn cost_of(&self, record: &CallRecord) -> Result<CallCost, PriceError> {
        match (&self.repricing, &record.cost) {
            (Some((table, options)), _) => price(&record.usage, table, *options),
            (None, Some(cost)) => Ok(cost.clone()),
            (None, None) => price(&record.usage, default_table(), PricingOptions::default()),
        }
    }

    /// Adds a record with its cost, counted on `day` (whether it reached the CRM is
    /// told by the last [`Report::reached_crm`]).
    pub fn add(&mut self, day: &str, record: &CallRecord, cost: &CallCost) {
        let in_crm = self.in_crm.contains(&record.call.id);
        self.total.add(record, cost, in_crm);
        self.model.add(record, cost);
        let tenant = record.tenant.clone();
        self.by_day
            .entry((tenant.clone(), day.to_owned()))
            .or_default()
            .add(record, cost, in_crm);
        let variant = record.variant.clone().unwrap_or_else(|| "-".into());
        self.by_version
            .entry((tenant, record.scenario_version.clone(), variant))
            .or_default()
            .add(record, cost, in_crm);
        self.by_outcome
            .entry(record.outcome().as_str().to_owned())
            .or_default()
            .add(record, cost, in_crm);
        if let Some(campaign) = campaign_of(record) {
            self.by_campaign
                .entry((record.tenant.clone(), campaign.to_owned()))
                .or_default()
                .add(record, cost, in_crm);
        }
    }

    /// The A/B comparisons: for each tenant with variants `a` and `b`, the test of
    /// their conversion.
    pub fn ab_tests(&self) -> Vec<AbTest> {
        /// A variant's version and totals.
        type Side<'a> = Option<(&'a str, &'a Totals)>;
        let mut by_tenant: BTreeMap<&str, (Side, Side)> = BTreeMap::new();
        for ((tenant, version, variant), totals) in &self.by_version {
            let slot = by_tenant.entry(tenant).or_default();
            match variant.as_str() {
                "a" => slot.0 = Some((version, totals)),
                "b" => slot.1 = Some((version, totals)),
                _ => {}
            }
        }
        // A tenant whose period holds more than one experiment (several versions on one
        // side) gets no test: comparing across experiments would mislead.
        let mut versions: BTreeMap<(&str, &str), std::collections::BTreeSet<&str>> =
            BTreeMap::new();
        for (tenant, version, variant) in self.by_version.keys() {
            versions
                .entry((tenant, variant))
                .or_default()
                .insert(version);
        }
        let single = |tenant: &str| {
            ["a", "b"]
                .iter()
                .all(|v| versions.get(&(tenant, *v)).is_some_and(|s| s.len() == 1))
        };
        by_tenant
            .into_iter()
            .filter(|(tenant, _)| single(tenant))
            .filter_map(|(tenant, pair)| match pair {
                (Some((va, a)), Some((vb, b))) => Some(AbTest {
                    tenant: tenant.to_owned(),
                    a_version: va.to_owned(),
                    b_version: vb.to_owned(),
                    test: two_proportions(a.leads, a.calls, b.leads, b.calls),
                    a_cost_per_lead: a.per_lead(),
                    b_cost_per_lead: b.per_lead(),
                }),
                _ => None,
            })
            .collect()
    }
}

/// An A/B comparison of one tenant's variants.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AbTest {
    /// The tenant.
    pub tenant: String,
    /// Variant a's version.
    pub a_version: String,
    /// Variant b's version.
    pub b_version: String,
    /// The test of conversion (b − a).
    pub test: ProportionTest,
    /// Cost per qualified lead of a.
    pub a_cost_per_lead: f64,
    /// Cost per qualified lead of b.
    pub b_cost_per_lead: f64,
}

/// A two-proportion z-test of `p_b − p_a`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ProportionTest {
    /// Conversion of a.
    pub p_a: f64,
    /// Conversion of b.
    pub p_b: f64,
    /// `p_b − p_a`.
    pub difference: f64,
    /// The 95 % confidence interval of the difference (unpooled standard error).
    pub ci95: (f64, f64),
    /// The z statistic (pooled standard error).
    pub z: f64,
    /// The two-sided p-value.
    pub p_value: f64,
}

/// The two-proportion z-test of `x_b / n_b − x_a / n_a`.
pub fn two_proportions(x_a: u64, n_a: u64, x_b: u64, n_b: u64) -> ProportionTest {
    let (na, nb) = (n_a as f64, n_b as f64);
    let p_a = ratio(x_a as f64, na);
    let p_b = ratio(x_b as f64, nb);
    let difference = p_b - p_a;
    let pooled = ratio((x_a + x_b) as f64, na + nb);
    let se_pooled = (pooled * (1.0 - pooled) * (ratio(1.0, na) + ratio(1.0, nb))).sqrt();
    let se = (ratio(p_a * (1.0 - p_a), na) + ratio(p_b * (1.0 - p_b), nb)).sqrt();
    let z = ratio(difference, se_pooled);
    let p_value = if se_pooled > 0.0 {
        erfc(z.abs() / std::f64::consts::SQRT_2)
    } else {
        1.0
    };
    ProportionTest {
        p_a,
        p_b,
        difference,
        ci95: (difference - 1.959964 * se, difference + 1.959964 * se),
        z,
        p_value,
    }
}

/// The complementary error function, for x ≥ 0 (Numerical Recipes' `erfcc`, relative
/// error below 1.2e-7 everywhere).
fn erfc(x: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.5 * x.abs());
    let poly = -x * x - 1.26551223
        + t * (1.00002368
            + t * (0.37409196
                + t * (0.09678418
                    + t * (-0.18628806
                        + t * (0.27886807
                            + t * (-1.13520398
                                + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erfc_matches_known_values() {
        for (x, expected) in [
            (0.0, 1.0),
            (0.5, 0.4795001222),
            (1.0, 0.1572992071),
            (2.0, 0.004677734981),
        ] {
            assert!((erfc(x) - expected).abs() < 1e-6, "erfc({x})");
        }
    }

    #[test]
    fn the_two_proportion_test() {
        // 30 of 300 against 54 of 300: z ≈ 2.824, p ≈ 0.00475 (Python's math.erfc agrees).
        let t = two_proportions(30, 300, 54, 300);
        assert!((t.difference - 0.08).abs() < 1e-12);
        assert!((t.z - 2.82372).abs() < 1e-4, "{}", t.z);
        assert!((t.p_value - 0.0047462).abs() < 1e-5, "{}", t.p_value);
        assert!(t.ci95.0 > 0.0 && t.ci95.1 < 0.2);
        // No difference, no evidence.
        let same = two_proportions(10, 100, 10, 100);
        assert_eq!(same.z, 0.0);
        assert!((same.p_value - 1.0).abs() < 1e-6);
        // Empty groups do not divide by zero.
        let empty = two_proportions(0, 0, 0, 0);
        assert_eq!((empty.p_value, empty.difference), (1.0, 0.0));
    }

    fn record(outcome: &str, variant: Option<&str>, seconds: u32) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "tenant": "demo",
            "call": {"id": "c", "direction": "inbound"},
            "scenario_version": if variant == Some("b") { "v2" } else { "v1" },
            "variant": variant,
            "started_at": "2026-11-30T10:00:00+03:00",
            "duration_s": seconds,
            "qualification": {"outcome": outcome},
            "usage": {"direction": "inbound", "duration_s": seconds, "asr_sessions": 2,
                      "tts_requests": [40, 60], "invocation_ms": [30, 40, 20],
                      "memory_mb": 512, "vcpu": 1.0, "storage_puts": 2, "gateway_requests": 3}
        }))
        .unwrap()
    }

    #[test]
    fn groups_and_ratios() {
        let mut report = Report::new();
        report.add_json(
            "calls/demo/2026-11-30/k1.json",
            &record("qualified", Some("a"), 90),
        );
        report.add_json(
            "calls/demo/2026-11-30/k2.json",
            &record("not_interested", Some("a"), 30),
        );
        report.add_json(
            "calls/demo/2026-11-30/k3.json",
            &record("transferred", Some("b"), 120),
        );
        report.add_json(
            "calls/demo/2026-11-30/k4.json",
            &record("callback", Some("b"), 0),
        );
        report.add_json("bad", b"{not json");
        let t = &report.total;
        assert_eq!(
            (t.calls, t.answered, t.leads, t.transferred, t.callbacks),
            (4, 3, 2, 1, 1)
        );
        assert_eq!(t.seconds, 240);
        assert!((t.conversion() - 0.5).abs() < 1e-12);
        assert!((t.average_handle_s() - 80.0).abs() < 1e-12);
        assert!((t.per_lead() - t.cost / 2.0).abs() < 1e-12);
        assert!((t.shares().values().sum::<f64>() - 1.0).abs() < 1e-9);
        assert_eq!(report.unreadable_count, 1);
        assert_eq!(
            report.by_day.keys().next().unwrap().1,
            "2026-11-30",
            "the key's day"
        );
        // A record from before costs were recorded is not counted as free.
        let old = br#"{"tenant":"demo","duration_s":60,"usage":{"tts_chars":10}}"#;
        assert!(
            report
                .add_json("calls/demo/2026-11-30/old.json", old)
                .is_none()
        );
        assert_eq!(report.total.calls, 4);
        assert!(
            report
                .unreadable
                .last()
                .unwrap()
                .contains("before calls were costed")
        );
        assert_eq!(report.by_outcome.len(), 4);
        let tests = report.ab_tests();
        assert_eq!(tests.len(), 1);
        assert_eq!(
            (tests[0].a_version.as_str(), tests[0].b_version.as_str()),
            ("v1", "v2")
        );
        assert!((tests[0].test.p_b - 0.5).abs() < 1e-12);
    }
}
