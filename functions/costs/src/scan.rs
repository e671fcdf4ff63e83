//! Reading call records from object storage into a [`Report`], day by day.
//!
//! Records live at `calls/{tenant}/{yyyy-mm-dd}/{call_id}.json`; a scan lists one
//! tenant's day at a time and reads its records a window at a time, so memory holds one
//! day's keys and a handful of records, never the period's. The CRM step's results for
//! the day (`crm/{tenant}/{yyyy-mm-dd}/{call_id}.json`) are listed too: which calls
//! reached the CRM.

use crate::report::Report;
use std::sync::Arc;
use sva_kit::storage::{DynStore, StorageError};
use tokio::task::JoinSet;

/// Records read at once.
const WINDOW: usize = 16;

/// What to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// The tenants.
    pub tenants: Vec<String>,
    /// The first day (`YYYY-MM-DD`), included.
    pub from: String,
    /// The last day, included.
    pub to: String,
}

/// Adds every record of `scope` to `report`, calling `each` with every record as it is
/// counted (a per-call listing streams from there).
pub async fn scan(
    store: &DynStore,
    scope: &Scope,
    report: &mut Report,
    mut each: impl FnMut(&sva_wire::CallRecord, &crate::CallCost),
) -> Result<u64, StorageError> {
    let mut read = 0;
    for tenant in &scope.tenants {
        for day in days(&scope.from, &scope.to) {
            let keys = store
                .list(&sva_wire::key::calls_prefix(tenant, &day))
                .await?;
            if keys.is_empty() {
                continue;
            }
            // The day's calls the CRM step has carried into the CRM: one listing.
            let in_crm = store
                .list(&sva_wire::key::crm_results_prefix(tenant, &day))
                .await?;
            report.reached_crm(
                in_crm
                    .iter()
                    .filter_map(|k| sva_wire::key::call_of(k).map(str::to_owned)),
            );
            for window in keys.chunks(WINDOW) {
                let mut reads = JoinSet::new();
                for (i, key) in window.iter().enumerate() {
                    let (store, key) = (Arc::clone(store), key.clone());
                    reads.spawn(async move { (i, key.clone(), store.get(&key).await) });
                }
                let mut bodies = Vec::with_capacity(window.len());
                while let Some(joined) = reads.join_next().await {
                    let (i, key, body) = joined.map_err(|e| StorageError::Backend {
                        op: "get",
                        key: tenant.clone(),
                        message: e.to_string(),
                    })?;
                    bodies.push((i, key, body?));
                }
                // Counted in key order, whatever order the reads finished in.
                bodies.sort_by_key(|(i, _, _)| *i);
                for (_, key, body) in bodies {
                    if let Some(body) = body
                        && let Some((record, cost)) = report.add_json(&key, &body)
                    {
                        read += 1;
                        each(&record, &cost);
                    }
                }
            }
        }
    }
    Ok(read)
}

/// Every day from `from` to `to` (`YYYY-MM-DD`, both included; none if either does not
/// parse or `to` is before `from`).
pub fn days(from: &str, to: &str) -> Vec<String> {
    use crate::report::day_number;
    let (Some(first), Some(last)) = (day_number(from), day_number(to)) else {
        return Vec::new();
    };
    (first..=last)
        .map(|d| {
            let (y, m, d) = sva_abi::clock::civil_from_days(d);
            format!("{y:04}-{m:02}-{d:02}")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_between() {
        assert_eq!(
            days("2026-02-27", "2026-03-01"),
            ["2026-02-27", "2026-02-28", "2026-03-01"]
        );
        assert_eq!(days("2028-02-28", "2028-03-01").len(), 3, "a leap year");
        assert!(days("2026-03-02", "2026-03-01").is_empty());
        assert!(days("yesterday", "2026-03-01").is_empty());
    }
}
