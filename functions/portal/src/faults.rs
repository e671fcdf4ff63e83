//! The fault switch: makes `/rest/` requests fail the ways a real portal and the network
//! between fail, either for the next `n` requests or at random with a fixed seed, and
//! makes every request (`/rest/` and `/oauth/token/`) take as long as one to a real
//! portal does (latency).

use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A way for a REST request to fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// 503 with an HTML body (a proxy), before the method runs.
    Unavailable,
    /// 500 `{"error":"INTERNAL_SERVER_ERROR",…}` **after** the method ran (its writes persist).
    InternalError,
    /// The method runs, then the response is held for `PortalConfig::hang`.
    Hang,
    /// The method runs, then the connection is dropped without a response.
    DropAfterWrite,
    /// 503 `QUERY_LIMIT_EXCEEDED` before the method runs.
    RateLimited,
}

/// SplitMix64: a tiny deterministic generator.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform float in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[derive(Debug, Default)]
struct State {
    skip: u32,
    next: u32,
    next_fault: Option<Fault>,
    random: Option<(f64, Vec<Fault>, SplitMix64)>,
    latency: Duration,
}

/// The fault switch of a portal. It applies to `/rest/…` requests only.
#[derive(Debug, Default)]
pub struct Faults {
    state: Mutex<State>,
}

impl Faults {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next `n` REST requests fail with `fault` (before any random fault).
    pub fn fail_next(&self, n: u32, fault: Fault) {
        self.fail_after(0, n, fault);
    }

    /// After `skip` more REST requests pass, the `n` following fail with `fault`: one
    /// chosen request of a known sequence can be failed.
    pub fn fail_after(&self, skip: u32, n: u32, fault: Fault) {
        let mut s = self.lock();
        s.skip = skip;
        s.next = n;
        s.next_fault = Some(fault);
    }

    /// From now on each REST request fails with probability `ratio`, the kind drawn uniformly
    /// from `kinds`; the sequence is the same for the same `seed`.
    pub fn fail_randomly(&self, ratio: f64, kinds: &[Fault], seed: u64) {
        let mut s = self.lock();
        s.random = (ratio > 0.0 && !kinds.is_empty())
            .then(|| (ratio.min(1.0), kinds.to_vec(), SplitMix64(seed)));
    }

    /// Turns every fault off, and the latency.
    pub fn clear(&self) {
        *self.lock() = State::default();
    }

    /// From now on every request is answered no sooner than `latency` after it arrived
    /// (a portal across the internet answers in 50–300 ms); zero turns it off.
    pub fn set_latency(&self, latency: Duration) {
        self.lock().latency = latency;
    }

    /// The injected latency.
    pub fn latency(&self) -> Duration {
        self.lock().latency
    }

    /// The fault for the request arriving now, if any.
    pub(crate) fn draw(&self) -> Option<Fault> {
        let mut s = self.lock();
        if s.next > 0 && s.skip > 0 {
            s.skip -= 1;
            return None;
        }
        if s.next > 0 {
            s.next -= 1;
            return s.next_fault;
        }
        let (ratio, kinds, rng) = s.random.as_mut()?;
        if rng.unit() < *ratio {
            let i = (rng.next() % kinds.len() as u64) as usize;
            kinds.get(i).copied()
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_then_random_then_clear() {
        let f = Faults::default();
        f.fail_next(2, Fault::Hang);
        assert_eq!(f.draw(), Some(Fault::Hang));
        assert_eq!(f.draw(), Some(Fault::Hang));
        assert_eq!(f.draw(), None);
        f.fail_after(2, 1, Fault::Unavailable);
        assert_eq!(
            [f.draw(), f.draw(), f.draw(), f.draw()],
            [None, None, Some(Fault::Unavailable), None]
        );
        f.fail_randomly(1.0, &[Fault::Unavailable], 7);
        assert_eq!(f.draw(), Some(Fault::Unavailable));
        f.clear();
        assert_eq!(f.draw(), None);
        let seq = |seed| {
            let f = Faults::default();
            f.fail_randomly(0.5, &[Fault::Unavailable, Fault::InternalError], seed);
            (0..64).map(|_| f.draw()).collect::<Vec<_>>()
        };
        assert_eq!(seq(1), seq(1));
        assert_ne!(seq(1), seq(2));
        let hits = seq(3).iter().filter(|d| d.is_some()).count();
        assert!((16..48).contains(&hits), "{hits}");
    }
}
