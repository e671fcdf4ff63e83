//! The report over a generated corpus: `SVA_BENCH_CALLS` call records (default
//! 100,000) over 30 days are written to a temporary data directory, then scanned and
//! reported the way `sva report` does. Prints the scan's time and the process's peak
//! memory, which stays flat as the corpus grows (the scan keeps groups, not calls).
//! Run with `cargo bench -p sva-costs --features storage --bench report_scan`.

use std::sync::Arc;
use std::time::Instant;
use sva_costs::report::Report;
use sva_costs::scan::{Scope, scan};
use sva_kit::storage::{DynStore, LocalDir};

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let calls: usize = std::env::var("SVA_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let started = Instant::now();
    for (key, body) in sva_costs::corpus::records("bench", calls, 30, "2026-11-30", 42) {
        let path = dir.path().join(&key);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&path, body).expect("write");
    }
    println!(
        "corpus: {calls} records written in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let rss_before = memory_kib("VmRSS");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let store: DynStore = Arc::new(LocalDir::new(dir.path()));
    let scope = Scope {
        tenants: vec!["bench".into()],
        from: "2026-10-31".into(),
        to: "2026-11-30".into(),
    };
    let mut report = Report::new();
    let started = Instant::now();
    let read = runtime
        .block_on(scan(&store, &scope, &mut report, |_, _| {}))
        .expect("scan");
    let html = sva_costs::render::html(&report, &scope.from, &scope.to);
    let elapsed = started.elapsed().as_secs_f64();
    assert_eq!(read as usize, calls);
    println!(
        "report: {read} records in {elapsed:.2} s ({:.0} records/s), HTML {} KiB",
        read as f64 / elapsed,
        html.len() / 1024
    );
    println!(
        "memory: RSS {} MiB before the scan, peak {} MiB",
        rss_before / 1024,
        memory_kib("VmHWM") / 1024
    );
    println!(
        "total: {} calls, {} leads, {:.2} RUB",
        report.total.calls, report.total.leads, report.total.cost
    );
}

/// A `/proc/self/status` memory line, KiB (0 elsewhere).
fn memory_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}
