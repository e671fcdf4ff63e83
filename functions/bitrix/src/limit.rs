//! The client-side leaky bucket: Bitrix24 limits each portal to a drain rate with a
//! burst (2/s and 50 on standard plans, 5/s and 250 on Enterprise); a client that keeps
//! under it is never answered `QUERY_LIMIT_EXCEEDED` by its own traffic.

use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// A drain rate and a burst.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Requests drained per second.
    pub per_second: f64,
    /// How many requests may be in the bucket.
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

/// A leaky bucket shared by every call to one portal.
#[derive(Debug)]
pub struct LeakyBucket {
    rate: RateLimit,
    state: Mutex<Level>,
}

#[derive(Debug)]
struct Level {
    level: f64,
    at: Instant,
}

impl LeakyBucket {
    /// An empty bucket.
    pub fn new(rate: RateLimit) -> Self {
        let rate = RateLimit {
            per_second: if rate.per_second > 0.0 {
                rate.per_second
            } else {
                RateLimit::default().per_second
            },
            burst: rate.burst.max(1),
        };
        LeakyBucket {
            rate,
            state: Mutex::new(Level {
                level: 0.0,
                at: Instant::now(),
            }),
        }
    }

    /// The rate this bucket drains at.
    pub fn rate(&self) -> RateLimit {
        self.rate
    }

    /// Waits until one more request fits, then adds it.
    pub async fn acquire(&self) {
        let wait = self.reserve(Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Adds one request now and says how long to wait before sending it: the request
    /// is counted at once so concurrent callers queue behind it.
    fn reserve(&self, now: Instant) -> Duration {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let drained = now.saturating_duration_since(state.at).as_secs_f64() * self.rate.per_second;
        state.level = (state.level - drained).max(0.0);
        state.at = now;
        state.level += 1.0;
        let over = state.level - f64::from(self.rate.burst);
        if over > 0.0 {
            Duration::from_secs_f64(over / self.rate.per_second)
        } else {
            Duration::ZERO
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_requests_are_spaced_by_the_rate() {
        let bucket = LeakyBucket::new(RateLimit {
            per_second: 2.0,
            burst: 3,
        });
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(bucket.reserve(t0), Duration::ZERO);
        }
        assert_eq!(bucket.reserve(t0), Duration::from_millis(500));
        assert_eq!(bucket.reserve(t0), Duration::from_millis(1000));
        // Two seconds later four have drained: one more fits at once.
        let later = t0 + Duration::from_secs(2);
        assert_eq!(bucket.reserve(later), Duration::ZERO);
    }
}
