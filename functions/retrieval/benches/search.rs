//! Knowledge-base load: ingestion throughput and search latency on Qdrant's in-process
//! engine with 10,000 passages — percentiles, not means, because the turn's budget is a
//! tail budget, for BM25 alone and for BM25 fused with 256-number dense vectors (random
//! ones: their cost does not depend on their meaning; the embeddings service's own time is
//! not here). `cargo bench -p sva-retrieval --features edge --bench search`; the figures
//! are in `docs/performance.md`.
//!
//! The corpus is the demo company's knowledge base, grown to 10,000 passages by
//! variants of each passage (other product names, numbers and cities), so term
//! statistics look like a real price list and FAQ rather than random words.

use std::time::{Duration, Instant};
use sva_retrieval::{Chunk, EdgeIndex, Index, chunk};

const PASSAGES: usize = 10_000;
const QUERIES: usize = 2_000;

const CITIES: &[&str] = &[
    "Казань",
    "Самара",
    "Тула",
    "Пермь",
    "Омск",
    "Сочи",
    "Уфа",
    "Тверь",
    "Курск",
    "Орёл",
];
const GOODS: &[&str] = &[
    "стеллаж",
    "погрузчик",
    "тележка",
    "сканер",
    "принтер",
    "терминал",
    "весы",
    "рохля",
    "контейнер",
    "паллета",
];

fn demo_chunks() -> Vec<Chunk> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../local/demo/kb");
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).expect("the demo knowledge base") {
        let path = entry.expect("an entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let bytes = std::fs::read(&path).expect("a source");
        all.extend(chunk(&name, &bytes).expect("a valid source"));
    }
    all
}

/// `PASSAGES` passages in sources of 100, as variants of the demo passages.
fn corpus() -> Vec<(String, Vec<Chunk>)> {
    let base = demo_chunks();
    let mut sources = Vec::new();
    let mut made = 0;
    let mut source = 0;
    while made < PASSAGES {
        let name = format!("source-{source:04}.md");
        let mut chunks = Vec::new();
        for i in 0..100.min(PASSAGES - made) {
            let n = made + i;
            let template = &base[n % base.len()];
            let city = CITIES[(n / base.len()) % CITIES.len()];
            let good = GOODS[(n / (base.len() * CITIES.len())) % GOODS.len()];
            chunks.push(Chunk {
                source: name.clone(),
                heading: format!("{} / {good} {n}", template.heading),
                text: format!("{} Для города {city}: {good}, артикул {n}.", template.text),
                position: i as u32,
            });
        }
        made += chunks.len();
        sources.push((name, chunks));
        source += 1;
    }
    sources
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// A deterministic pseudo-random unit vector of `DIMENSIONS` numbers (xorshift): dense
/// vectors' cost does not depend on what they mean.
fn vector(seed: u64) -> Vec<f32> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut v: Vec<f32> = (0..DIMENSIONS)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % 2001) as f32 / 1000.0 - 1.0
        })
        .collect();
    let norm = v.iter().map(|a| a * a).sum::<f32>().sqrt();
    v.iter_mut().for_each(|a| *a /= norm);
    v
}

/// The size of the dense vectors: what Yandex's `text-search-*` models return.
const DIMENSIONS: usize = 256;

/// Ingests the corpus, then measures searches one by one; `dense` adds a vector to each
/// passage and question and fuses the two rankings.
fn measure(label: &str, index: &EdgeIndex, sources: &[(String, Vec<Chunk>)], dense: bool) {
    let questions: Vec<String> = [
        "сколько стоит доставка в казань",
        "а гарантия на сканер сколько",
        "можно частями заплатить",
        "до скольки вы работаете",
        "сколько стоит терминал тэ эс сорок",
        "есть ли интеграция с один эс",
        "а лизинг есть",
        "как вернуть товар если передумали",
    ]
    .iter()
    .map(|q| q.to_string())
    .collect();
    let vectors_of = |chunks: &[Chunk], source: usize| -> Vec<Vec<f32>> {
        if !dense {
            return Vec::new();
        }
        (0..chunks.len())
            .map(|i| vector((source * 100 + i) as u64))
            .collect()
    };
    // The index is async (the turn awaits it); the in-process engine searches in place,
    // so a current-thread runtime measures the search and little else.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let started = Instant::now();
    for (at, (name, chunks)) in sources.iter().enumerate() {
        runtime
            .block_on(index.replace("bench", name, chunks, &vectors_of(chunks, at)))
            .expect("indexed");
    }
    let took = started.elapsed();
    let count = runtime.block_on(index.count("bench")).expect("counted");
    assert_eq!(count, PASSAGES);
    println!(
        "{label} — ingestion: {PASSAGES} passages in {} sources in {:.1} s — {:.0} passages/s",
        sources.len(),
        took.as_secs_f64(),
        PASSAGES as f64 / took.as_secs_f64()
    );

    let query_vectors: Vec<Vec<f32>> = (0..questions.len())
        .map(|i| vector(1_000_000 + i as u64))
        .collect();
    let search = |i: usize| {
        let q = &questions[i % questions.len()];
        let v = dense.then(|| query_vectors[i % questions.len()].as_slice());
        runtime
            .block_on(index.search("bench", q, v, 3))
            .expect("searched")
    };
    // Warm up, then measure each search on its own.
    for i in 0..questions.len() {
        search(i);
    }
    let mut times = Vec::with_capacity(QUERIES);
    for i in 0..QUERIES {
        let t = Instant::now();
        let found = search(i);
        times.push(t.elapsed());
        assert!(!found.is_empty());
    }
    times.sort();
    println!(
        "{label} — search over {PASSAGES} passages, top 3, {QUERIES} queries: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.9).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
        times.last().map_or(0.0, |t| t.as_secs_f64() * 1e3),
    );

    // Re-ingesting one source while the index is full (what an upload costs).
    let (name, chunks) = &sources[0];
    let t = Instant::now();
    runtime
        .block_on(index.replace("bench", name, chunks, &vectors_of(chunks, 0)))
        .expect("indexed");
    println!(
        "{label} — re-ingesting one source of {} passages into the full index: {:.0} ms",
        chunks.len(),
        t.elapsed().as_secs_f64() * 1e3
    );
}

fn main() {
    let sources = corpus();
    let dir = tempfile::tempdir().expect("a temp dir");
    measure("BM25", &EdgeIndex::open(dir.path()), &sources, false);
    let dir = tempfile::tempdir().expect("a temp dir");
    let fused = EdgeIndex::open(dir.path()).with_dense(DIMENSIONS);
    measure("BM25 + dense 256, fused", &fused, &sources, true);
}
