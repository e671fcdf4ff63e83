//! How a sandbox is sized.

use sva_abi::Limits;

/// The sandbox's configuration: the ABI limits plus how much to pool and cache.
#[derive(Debug, Clone, PartialEq)]
pub struct SandboxConfig {
    /// Per-module and per-step limits.
    pub limits: Limits,
    /// Instances that may run at once (the pooling allocator's slots); a step beyond
    /// that fails with `pool_exhausted`, which callers treat as backpressure.
    pub max_concurrent_steps: u32,
    /// Loaded modules kept in the cache (least recently used ones are dropped).
    pub cache_capacity: usize,
    /// The epoch tick, in milliseconds: the resolution of the step deadline.
    pub epoch_tick_ms: u64,
    /// Writes `/tmp/perf-<pid>.map` naming the compiled guest functions, so `perf report`
    /// shows a profile of the scenario's own code (for benchmarks, not production).
    pub perf_map: bool,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            limits: Limits::default(),
            max_concurrent_steps: 128,
            cache_capacity: 64,
            epoch_tick_ms: 1,
            perf_map: false,
        }
    }
}

impl SandboxConfig {
    /// The step deadline in epoch ticks (at least one).
    pub(crate) fn deadline_ticks(&self) -> u64 {
        (self.limits.step_deadline_ms / self.epoch_tick_ms.max(1)).max(1)
    }
}
