//! What keeps a tenant's model use inside its limits: token budgets per call and per
//! day, a concurrency limit, and a circuit breaker that drops the tenant to rules-only
//! while the provider is failing.
//!
//! All three answer at once and never wait: a turn has about a second, and a refusal is
//! an ordinary answer (`over_budget`, `unavailable`) the scenario handles with its rules.
//! The day budget is counted per process: a deployment with N warm instances may spend up
//! to N times it in the worst case, which `docs/llm.md` says; the call budget is exact
//! (the call's usage travels in its state).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// A tenant's limits (its settings, or the deployment's defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Tokens (prompt and completion) one call may use.
    pub tokens_per_call: u32,
    /// Tokens the tenant may use in a UTC day, in this process.
    pub tokens_per_day: u64,
    /// Requests to the provider at once for this tenant.
    pub concurrency: usize,
    /// Consecutive failures (timeouts, 5xx, refusals) that open the breaker.
    pub failures_to_open: u32,
    /// How long an open breaker keeps the tenant on rules alone.
    pub open_for: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            tokens_per_call: 6_000,
            tokens_per_day: 2_000_000,
            concurrency: 4,
            failures_to_open: 3,
            open_for: Duration::from_secs(30),
        }
    }
}

/// Why a request is not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The call's or the day's tokens would run out.
    #[error("the tenant's token budget would be exceeded")]
    OverBudget,
    /// The tenant already has its limit of requests in flight.
    #[error("the tenant has too many model requests in flight")]
    Busy,
    /// The breaker is open: the provider failed or asked to slow down.
    #[error("the model is paused for this tenant after failures")]
    Open,
}

/// How a request the guard let through ended, for the breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The provider answered (even if the answer was then found invalid).
    Answered,
    /// Timeout, a 5xx, a broken connection.
    Failed,
    /// 429: come back after this long.
    SlowDown(Duration),
}

/// The guards of every tenant in this process.
#[derive(Debug, Default)]
pub struct Guards {
    tenants: Mutex<HashMap<String, Arc<Tenant>>>,
}

#[derive(Debug)]
struct Tenant {
    limits: Limits,
    permits: Arc<Semaphore>,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    day: u64,
    day_tokens: u64,
    failures: u32,
    open_until: Option<Instant>,
}

/// Leave to send one request: holds a concurrency permit until dropped.
#[derive(Debug)]
pub struct Pass {
    tenant: Arc<Tenant>,
    _permit: OwnedSemaphorePermit,
}

impl Guards {
    /// Guards with nothing counted yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks leave to send a request of at most `max_tokens` for a call that has used
    /// `call_tokens`, on UTC day `day` (days since the epoch).
    pub fn admit(
        &self,
        tenant: &str,
        limits: Limits,
        call_tokens: u32,
        max_tokens: u32,
        day: u64,
    ) -> Result<Pass, Refusal> {
        let tenant = self.tenant(tenant, limits);
        {
            let mut state = lock(&tenant.state);
            if let Some(until) = state.open_until {
                if Instant::now() < until {
                    return Err(Refusal::Open);
                }
                // Half-open: this request probes; one more failure opens it again.
                state.open_until = None;
                state.failures = tenant.limits.failures_to_open.saturating_sub(1);
            }
            if state.day != day {
                state.day = day;
                state.day_tokens = 0;
            }
            let call_after = u64::from(call_tokens) + u64::from(max_tokens);
            if call_after > u64::from(tenant.limits.tokens_per_call)
                || state.day_tokens + u64::from(max_tokens) > tenant.limits.tokens_per_day
            {
                return Err(Refusal::OverBudget);
            }
        }
        let permit = Arc::clone(&tenant.permits)
            .try_acquire_owned()
            .map_err(|_| Refusal::Busy)?;
        Ok(Pass {
            tenant,
            _permit: permit,
        })
    }

    fn tenant(&self, name: &str, limits: Limits) -> Arc<Tenant> {
        let mut tenants = lock(&self.tenants);
        match tenants.get(name) {
            Some(t) if t.limits == limits => Arc::clone(t),
            existing => {
                // New limits (a settings change) start a new count, keeping the day's
                // tokens and an open breaker.
                let state = existing.map(|t| {
                    let s = lock(&t.state);
                    State {
                        day: s.day,
                        day_tokens: s.day_tokens,
                        failures: s.failures,
                        open_until: s.open_until,
                    }
                });
                let t = Arc::new(Tenant {
                    limits,
                    permits: Arc::new(Semaphore::new(limits.concurrency.max(1))),
                    state: Mutex::new(state.unwrap_or(State {
                        day: 0,
                        day_tokens: 0,
                        failures: 0,
                        open_until: None,
                    })),
                });
                tenants.insert(name.to_owned(), Arc::clone(&t));
                t
            }
        }
    }
}

impl Pass {
    /// Records how the request ended and the tokens it used.
    pub fn finish(self, outcome: Outcome, tokens: u32) {
        let mut state = lock(&self.tenant.state);
        state.day_tokens += u64::from(tokens);
        match outcome {
            Outcome::Answered => state.failures = 0,
            Outcome::Failed => {
                state.failures += 1;
                if state.failures >= self.tenant.limits.failures_to_open {
                    state.open_until = Some(Instant::now() + self.tenant.limits.open_for);
                }
            }
            Outcome::SlowDown(after) => {
                let after = after.max(Duration::from_secs(1));
                state.open_until = Some(Instant::now() + after);
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            tokens_per_call: 1_000,
            tokens_per_day: 2_500,
            concurrency: 2,
            failures_to_open: 3,
            open_for: Duration::from_secs(30),
        }
    }

    #[tokio::test]
    async fn the_call_and_the_day_budgets_refuse_before_they_are_spent() {
        let g = Guards::new();
        assert_eq!(
            g.admit("a", limits(), 900, 150, 1).err(),
            Some(Refusal::OverBudget)
        );
        g.admit("a", limits(), 0, 150, 1)
            .unwrap()
            .finish(Outcome::Answered, 1_200);
        g.admit("a", limits(), 0, 150, 1)
            .unwrap()
            .finish(Outcome::Answered, 1_200);
        assert_eq!(
            g.admit("a", limits(), 0, 150, 1).err(),
            Some(Refusal::OverBudget),
            "2,400 of 2,500 spent"
        );
        assert!(g.admit("b", limits(), 0, 150, 1).is_ok(), "another tenant");
        assert!(g.admit("a", limits(), 0, 150, 2).is_ok(), "a new day");
    }

    #[tokio::test]
    async fn requests_in_flight_are_limited_per_tenant() {
        let g = Guards::new();
        let one = g.admit("a", limits(), 0, 10, 1).unwrap();
        let _two = g.admit("a", limits(), 0, 10, 1).unwrap();
        assert_eq!(g.admit("a", limits(), 0, 10, 1).err(), Some(Refusal::Busy));
        assert!(g.admit("b", limits(), 0, 10, 1).is_ok());
        one.finish(Outcome::Answered, 10);
        assert!(g.admit("a", limits(), 0, 10, 1).is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn failures_open_the_breaker_and_one_probe_closes_it() {
        let g = Guards::new();
        for _ in 0..3 {
            g.admit("a", limits(), 0, 10, 1)
                .unwrap()
                .finish(Outcome::Failed, 0);
        }
        assert_eq!(g.admit("a", limits(), 0, 10, 1).err(), Some(Refusal::Open));
        assert!(g.admit("b", limits(), 0, 10, 1).is_ok(), "only that tenant");
        tokio::time::advance(Duration::from_secs(31)).await;
        // The probe fails: open again at once.
        g.admit("a", limits(), 0, 10, 1)
            .unwrap()
            .finish(Outcome::Failed, 0);
        assert_eq!(g.admit("a", limits(), 0, 10, 1).err(), Some(Refusal::Open));
        tokio::time::advance(Duration::from_secs(31)).await;
        g.admit("a", limits(), 0, 10, 1)
            .unwrap()
            .finish(Outcome::Answered, 5);
        g.admit("a", limits(), 0, 10, 1)
            .unwrap()
            .finish(Outcome::Failed, 0);
        assert!(
            g.admit("a", limits(), 0, 10, 1).is_ok(),
            "closed: one failure is not three"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_pauses_the_tenant_for_that_long() {
        let g = Guards::new();
        g.admit("a", limits(), 0, 10, 1)
            .unwrap()
            .finish(Outcome::SlowDown(Duration::from_secs(5)), 0);
        assert_eq!(g.admit("a", limits(), 0, 10, 1).err(), Some(Refusal::Open));
        tokio::time::advance(Duration::from_secs(6)).await;
        assert!(g.admit("a", limits(), 0, 10, 1).is_ok());
    }
}
