//! The portal's leaky bucket (`docs/bitrix24-rest.md` §8): every `/rest/` request (a batch counts once)
//! adds one unit; the bucket drains at `per_second`; a request that would overflow
//! `burst` is refused with 503 `QUERY_LIMIT_EXCEEDED`.

use std::time::Instant;

/// The rate limit of a portal.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    /// How many requests per second drain from the bucket (`f64::INFINITY`: no limit).
    pub per_second: f64,
    /// The bucket's capacity: how many requests may arrive at once.
    pub burst: u32,
}

impl Default for RateLimit {
    /// Bitrix24's standard plans: 2 requests/s, burst 50.
    fn default() -> Self {
        RateLimit {
            per_second: 2.0,
            burst: 50,
        }
    }
}

impl RateLimit {
    /// No limit at all.
    pub fn unlimited() -> RateLimit {
        RateLimit {
            per_second: f64::INFINITY,
            burst: u32::MAX,
        }
    }
}

/// The bucket's state.
#[derive(Debug)]
pub(crate) struct LeakyBucket {
    limit: RateLimit,
    level: f64,
    last: Instant,
}

impl LeakyBucket {
    /// An empty bucket.
    pub(crate) fn new(limit: RateLimit) -> LeakyBucket {
        LeakyBucket {
            limit,
            level: 0.0,
            last: Instant::now(),
        }
    }

    /// Admits one request at `now`, or refuses it.
    pub(crate) fn try_acquire(&mut self, now: Instant) -> bool {
        let rate = self.limit.per_second;
        if rate.is_nan() || rate == f64::INFINITY {
            return true;
        }
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        if rate > 0.0 {
            self.level = (self.level - elapsed * rate).max(0.0);
        }
        if self.level + 1.0 > f64::from(self.limit.burst) {
            return false;
        }
        self.level += 1.0;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn burst_then_drain() {
        let t0 = Instant::now();
        let mut b = LeakyBucket::new(RateLimit {
            per_second: 1.0,
            burst: 5,
        });
        b.last = t0;
        assert!((0..5).all(|_| b.try_acquire(t0)));
        assert!(!b.try_acquire(t0));
        assert!(b.try_acquire(t0 + Duration::from_millis(1_100)));
        assert!(!b.try_acquire(t0 + Duration::from_millis(1_200)));
        let mut free = LeakyBucket::new(RateLimit::unlimited());
        assert!((0..10_000).all(|_| free.try_acquire(t0)));
    }
}
