//! The engine: wasmtime configured for hostile code, and the epoch ticker.

use crate::cache::ModuleCache;
use crate::{SandboxConfig, SandboxError};
use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, Linker, OptLevel, PoolingAllocationConfig,
    ProfilingStrategy, Strategy, WasmFeatures,
};

/// Runs scenario modules. Cheap to share (`Arc`); every method takes `&self`.
pub struct Sandbox {
    pub(crate) engine: Engine,
    pub(crate) linker: Linker<crate::step::StepState>,
    pub(crate) config: SandboxConfig,
    pub(crate) cache: ModuleCache,
    pub(crate) compatibility: String,
    ticker: Ticker,
}

impl Sandbox {
    /// Builds the engine and starts its epoch ticker.
    pub fn new(config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        let engine = Engine::new(&engine_config(&config))
            .map_err(|e| SandboxError::Engine(format!("{e:#}")))?;
        let compatibility = compatibility_hash(&engine);
        let ticker = Ticker::start(&engine, Duration::from_millis(config.epoch_tick_ms.max(1)));
        Ok(Sandbox {
            linker: Linker::new(&engine),
            cache: ModuleCache::new(config.cache_capacity),
            engine,
            config,
            compatibility,
            ticker,
        })
    }

    /// The limits modules run under.
    pub fn limits(&self) -> &sva_abi::Limits {
        &self.config.limits
    }

    /// A hex digest of everything a precompiled artifact depends on (wasmtime version,
    /// target, compiler flags, tunables, enabled features). Artifacts are named by it.
    pub fn compatibility_hash(&self) -> &str {
        &self.compatibility
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.ticker.stop.store(true, Ordering::Relaxed);
    }
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("config", &self.config)
            .field("compatibility", &self.compatibility)
            .finish_non_exhaustive()
    }
}

/// The most memory a warm slot keeps resident between steps (when the kernel can report
/// which pages a step wrote): the scenario's stack, data and heap pages a step touches.
const RESIDENT_BYTES: usize = 1 << 20;
/// The same for the slot's table.
const RESIDENT_TABLE_BYTES: usize = 64 << 10;

fn engine_config(config: &SandboxConfig) -> Config {
    let limits = &config.limits;
    let mut c = Config::new();
    if config.perf_map {
        c.profiler(ProfilingStrategy::PerfMap);
    }
    c.strategy(Strategy::Cranelift)
        .cranelift_opt_level(OptLevel::Speed)
        .consume_fuel(true)
        .epoch_interruption(true)
        .max_wasm_stack(512 << 10)
        // What Rust, TinyGo and AssemblyScript emit by default stays on (bulk memory,
        // multi-value, reference types, SIMD); everything else is off.
        .wasm_features(
            WasmFeatures::THREADS
                | WasmFeatures::SHARED_EVERYTHING_THREADS
                | WasmFeatures::GC
                | WasmFeatures::FUNCTION_REFERENCES
                | WasmFeatures::EXCEPTIONS
                | WasmFeatures::LEGACY_EXCEPTIONS
                | WasmFeatures::STACK_SWITCHING
                | WasmFeatures::COMPONENT_MODEL,
            false,
        )
        .wasm_relaxed_simd(false)
        .wasm_multi_memory(false)
        .wasm_memory64(false)
        .wasm_tail_call(false)
        .wasm_wide_arithmetic(false)
        .wasm_custom_page_sizes(false);
    let mut pool = PoolingAllocationConfig::default();
    let slots = config.max_concurrent_steps.max(1);
    pool.total_core_instances(slots)
        .total_memories(slots)
        .total_tables(slots)
        .max_memories_per_module(1)
        .max_tables_per_module(1)
        .max_memory_size(limits.max_memory_bytes)
        .table_elements(limits.max_table_elements)
        .max_unused_warm_slots(slots.min(32));
    if PoolingAllocationConfig::is_pagemap_scan_available() && !swap_in_use() {
        // Between steps a slot's memory is reset by copying back only the pages the
        // step wrote (found with Linux's PAGEMAP_SCAN), instead of handing them back to
        // the kernel and faulting them in again on the next step. Without the scan,
        // keeping memory resident would mean a `memset` of the whole window per step,
        // which costs more than the faults it saves: then the default stays.
        //
        // wasmtime 48's scan resets only written pages that are present: a written page
        // the kernel swapped out would reach the slot's next instance, perhaps another
        // tenant's, unreset (bytecodealliance/wasmtime#14357). So the scan is used only
        // on a host without swap (serverless containers have none).
        pool.pagemap_scan(Enabled::Yes)
            .linear_memory_keep_resident(RESIDENT_BYTES)
            .table_keep_resident(RESIDENT_TABLE_BYTES);
    }
    c.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    c
}

/// Whether this host has swap space (any device or file listed in `/proc/swaps`; a host
/// without that file is treated as having swap).
fn swap_in_use() -> bool {
    std::fs::read_to_string("/proc/swaps").map_or(true, |swaps| lists_swap(&swaps))
}

/// Whether a `/proc/swaps` text lists anything below its header line.
fn lists_swap(proc_swaps: &str) -> bool {
    proc_swaps
        .lines()
        .skip(1)
        .any(|line| !line.trim().is_empty())
}

fn compatibility_hash(engine: &Engine) -> String {
    struct Sha(Sha256);
    impl Hasher for Sha {
        fn finish(&self) -> u64 {
            0
        }
        fn write(&mut self, bytes: &[u8]) {
            self.0.update(bytes);
        }
    }
    let mut sha = Sha(Sha256::new());
    engine.precompile_compatibility_hash().hash(&mut sha);
    hex::encode(&sha.0.finalize()[..8])
}

/// A thread that advances the engine's epoch every tick until the sandbox is dropped.
struct Ticker {
    stop: Arc<AtomicBool>,
}

impl Ticker {
    fn start(engine: &Engine, tick: Duration) -> Ticker {
        let stop = Arc::new(AtomicBool::new(false));
        let weak = engine.weak();
        let flag = stop.clone();
        let spawned = std::thread::Builder::new()
            .name("sva-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(tick);
                    match weak.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            });
        if let Err(e) = spawned {
            // Without a ticker the deadline cannot fire; fuel still bounds every step.
            tracing::error!(error = %e, "cannot start the epoch ticker");
        }
        Ticker { stop }
    }
}

#[cfg(test)]
mod tests {
    use super::lists_swap;

    #[test]
    fn swap_is_read_from_proc_swaps() {
        let header = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n";
        assert!(!lists_swap(header));
        assert!(!lists_swap(""));
        assert!(lists_swap(&format!(
            "{header}/dev/zram0                              partition\t4194300\t\t0\t\t100\n"
        )));
    }
}
