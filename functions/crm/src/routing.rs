//! A sales team's routing, from the tenant's CRM connection: who a new record and the
//! call's to-dos go to, the status or stage a new record starts at by the call's
//! outcome, its source and UTM marks, and when to-dos remind their manager.
//!
//! The responsible user is the customer's own manager if they still work at the
//! company, else the next user of the tenant's rotation who does (round robin), else the
//! tenant's default user (`docs/bitrix24.md` §3).

use async_trait::async_trait;
use std::collections::BTreeSet;
use sva_abi::Outcome;
use sva_tenants::{CrmConnection, OutcomeKind};

/// `SOURCE_ID` when the tenant sets none.
pub const DEFAULT_SOURCE: &str = "CALL";

/// When a to-do reminds its manager when the tenant sets nothing: 15 minutes before the
/// time booked, and at it.
pub const DEFAULT_REMINDERS: [u32; 2] = [15, 0];

/// Whose turn it is in a tenant's rotation: a counter that goes up by one on each turn.
#[async_trait]
pub trait Rotation: Send + Sync {
    /// This turn's number for `tenant` (0, 1, 2, …; a lost update may give two callers
    /// the same number, which only gives one manager two customers).
    async fn turn(&self, tenant: &str) -> u64;
}

/// The routing of one tenant's connection.
#[derive(Debug, Clone, Copy)]
pub struct Routing<'a> {
    crm: &'a CrmConnection,
}

impl<'a> Routing<'a> {
    /// The routing `crm` sets.
    pub fn new(crm: &'a CrmConnection) -> Routing<'a> {
        Routing { crm }
    }

    /// `SOURCE_ID` of new records.
    pub fn source_id(&self) -> &'a str {
        self.crm.source_id.as_deref().unwrap_or(DEFAULT_SOURCE)
    }

    /// The UTM marks of new records: (field, value).
    pub fn utm(&self) -> Vec<(&'static str, &'a str)> {
        self.crm
            .utm
            .fields()
            .into_iter()
            .filter_map(|(field, value)| value.map(|v| (field, v)))
            .collect()
    }

    /// The deal pipeline of new deals.
    pub fn deal_category(&self) -> Option<u64> {
        self.crm.deal_category_id
    }

    /// The status a new lead starts at: the tenant's for the outcome, else `JUNK` for a
    /// caller who is not interested or asked not to be called, else the portal's first.
    pub fn lead_status(&self, outcome: Outcome) -> Option<String> {
        let mapped = OutcomeKind::of(outcome)
            .and_then(|kind| self.crm.outcomes.get(&kind))
            .and_then(|s| s.lead_status.clone());
        mapped.or_else(|| crate::fields::is_junk(outcome).then(|| "JUNK".to_owned()))
    }

    /// The stage a new deal starts at: the tenant's for the outcome, else the pipeline's
    /// failure stage (`LOSE`) for a caller who is not interested or asked not to be
    /// called, else the pipeline's first.
    pub fn deal_stage(&self, outcome: Outcome) -> Option<String> {
        let mapped = OutcomeKind::of(outcome)
            .and_then(|kind| self.crm.outcomes.get(&kind))
            .and_then(|s| s.deal_stage.clone());
        mapped.or_else(|| {
            crate::fields::is_junk(outcome).then(|| match self.deal_category().unwrap_or(0) {
                0 => "LOSE".to_owned(),
                c => format!("C{c}:LOSE"),
            })
        })
    }

    /// Minutes before a callback's time its to-do reminds the manager (`pingOffsets`).
    pub fn reminders(&self) -> Vec<u32> {
        self.crm
            .reminders
            .clone()
            .unwrap_or_else(|| DEFAULT_REMINDERS.to_vec())
    }

    /// The users of the rotation: whose activity is asked along with the customer's own
    /// manager (the default user is the last resort, taken as it is).
    pub fn candidates(&self) -> Vec<u64> {
        self.crm.rotation.clone()
    }

    /// Whether a turn of the rotation is needed to assign a record whose customer's own
    /// manager is `own`.
    pub fn needs_turn(&self, own: Option<u64>, active: &BTreeSet<u64>) -> bool {
        !own.is_some_and(|u| active.contains(&u))
            && self.crm.rotation.iter().any(|u| active.contains(u))
    }

    /// Who a record goes to: the customer's own manager `own` if active, else the
    /// rotation's user for `turn` among the active ones, else the default user.
    pub fn assignee(
        &self,
        own: Option<u64>,
        active: &BTreeSet<u64>,
        turn: Option<u64>,
    ) -> Option<u64> {
        if let Some(own) = own.filter(|u| active.contains(u)) {
            return Some(own);
        }
        let working: Vec<u64> = self
            .crm
            .rotation
            .iter()
            .copied()
            .filter(|u| active.contains(u))
            .collect();
        if let (Some(turn), false) = (turn, working.is_empty()) {
            return Some(working[(turn % working.len() as u64) as usize]);
        }
        self.crm.responsible_user_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sva_tenants::{CrmAuth, OutcomeStatus};

    fn crm() -> CrmConnection {
        CrmConnection {
            responsible_user_id: Some(1),
            deal_category_id: Some(2),
            rotation: vec![5, 6, 7],
            outcomes: [(
                OutcomeKind::Qualified,
                OutcomeStatus {
                    lead_status: Some("IN_PROCESS".into()),
                    deal_stage: Some("C2:PREPARATION".into()),
                },
            )]
            .into(),
            ..CrmConnection::new("https://acme.bitrix24.ru", CrmAuth::Webhook)
        }
    }

    #[test]
    fn the_own_manager_then_the_rotation_then_the_default() {
        let crm = crm();
        let r = Routing::new(&crm);
        let all: BTreeSet<u64> = [1, 5, 6, 7, 9].into();
        assert_eq!(r.assignee(Some(9), &all, None), Some(9));
        assert!(!r.needs_turn(Some(9), &all));
        // The own manager was dismissed: the rotation, skipping who left too.
        let some: BTreeSet<u64> = [1, 5, 7].into();
        assert!(r.needs_turn(Some(9), &some));
        let turns: Vec<Option<u64>> = (0..4)
            .map(|t| r.assignee(Some(9), &some, Some(t)))
            .collect();
        assert_eq!(turns, [Some(5), Some(7), Some(5), Some(7)]);
        // Nobody of the rotation works here: the default.
        let none: BTreeSet<u64> = [1].into();
        assert!(!r.needs_turn(None, &none));
        assert_eq!(r.assignee(None, &none, None), Some(1));
    }

    #[test]
    fn statuses_by_outcome_with_junk_and_lose_for_refusals() {
        let crm = crm();
        let r = Routing::new(&crm);
        assert_eq!(
            r.lead_status(Outcome::Qualified).as_deref(),
            Some("IN_PROCESS")
        );
        assert_eq!(
            r.deal_stage(Outcome::Transferred).as_deref(),
            Some("C2:PREPARATION")
        );
        assert_eq!(r.lead_status(Outcome::DoNotCall).as_deref(), Some("JUNK"));
        assert_eq!(
            r.deal_stage(Outcome::NotInterested).as_deref(),
            Some("C2:LOSE")
        );
        assert_eq!(r.lead_status(Outcome::Callback), None, "the portal's first");
        assert_eq!(r.source_id(), "CALL");
        assert_eq!(r.reminders(), [15, 0]);
    }
}
