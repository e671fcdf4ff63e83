//! `sva load`: N concurrent scripted calls against the local stack (started in-process
//! on a free port, or a running one with `--url`) over loopback HTTP; reports turns/s
//! and the turn latency distribution as the caller sees it.

use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use sva_caller::{CallerError, Phone};
use tokio::sync::Mutex;

/// `sva load` arguments.
#[derive(Args)]
pub struct LoadArgs {
    /// Concurrent calls.
    #[arg(long, default_value_t = 500)]
    calls: usize,
    /// How long to measure, in seconds (after a warm-up of 2 s).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// A running stack; without it one is started in-process over a temporary directory.
    #[arg(long)]
    url: Option<String>,
    /// The tenant's signing secret (with `--url`).
    #[arg(long, env = "SVA_SIGNING_SECRET", hide_env_values = true)]
    secret: Option<String>,
    /// The default scenario module (for the in-process stack).
    #[arg(long, default_value = sva_local::DEFAULT_SCENARIO)]
    scenario: PathBuf,
    /// Worker threads of the load generator's runtime.
    #[arg(long, default_value_t = 2)]
    threads: usize,
}

/// A qualification call as callers speak: eight turns from greeting to hang-up.
const SCRIPT: &[&str] = &[
    "здравствуйте нам нужна система учета для склада",
    "где-то полтора миллиона рублей",
    "хотим запустить в следующем месяце",
    "нет решает генеральный директор",
    "меня зовут ольга петровна",
    "техносклад плюс",
    "да записывайте",
];

#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
    calls: u64,
    errors: u64,
    first_error: Option<String>,
}

pub fn run(args: LoadArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads.max(1))
        .enable_all()
        .build()?;
    runtime.block_on(load(args))
}

async fn load(args: LoadArgs) -> anyhow::Result<ExitCode> {
    let _dir;
    let _stack;
    let (url, secret) = match &args.url {
        Some(url) => (
            url.clone(),
            args.secret.clone().ok_or_else(|| {
                anyhow::anyhow!("с --url нужен --secret (секрет подписи тенанта)")
            })?,
        ),
        None => {
            _dir = tempfile::tempdir()?;
            let stack = sva_local::LocalStack::start(sva_local::LocalOptions {
                data_dir: _dir.path().to_owned(),
                listen: ([127, 0, 0, 1], 0).into(),
                scenario: args.scenario.clone(),
                ..sva_local::LocalOptions::default()
            })
            .await?;
            let found = (stack.url(), stack.demo().secret.clone());
            _stack = stack;
            found
        }
    };
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.calls)
        .build()?;
    let phone = Phone::new(&url, "demo", secret.as_bytes()).with_client(client);
    let tally = Arc::new(Mutex::new(Tally::default()));
    let warmup = Duration::from_secs(2);
    let started = Instant::now();
    let measure_from = started + warmup;
    let stop_at = measure_from + Duration::from_secs(args.seconds);
    let mut tasks = Vec::with_capacity(args.calls);
    for _ in 0..args.calls {
        let phone = phone.clone();
        let tally = tally.clone();
        tasks.push(tokio::spawn(async move {
            while Instant::now() < stop_at {
                let result = play(&phone, measure_from).await;
                let mut tally = tally.lock().await;
                match result {
                    Ok(latencies) => {
                        if Instant::now() >= measure_from {
                            tally.calls += 1;
                        }
                        tally.latencies_us.extend(latencies);
                    }
                    Err(e) => {
                        tally.errors += 1;
                        tally.first_error.get_or_insert_with(|| e.to_string());
                    }
                }
            }
        }));
    }
    for task in tasks {
        task.await?;
    }
    let elapsed = Instant::now()
        .saturating_duration_since(measure_from)
        .as_secs_f64();
    let mut tally = tally.lock().await;
    tally.latencies_us.sort_unstable();
    let turns = tally.latencies_us.len();
    let pct = |p: f64| -> f64 {
        if turns == 0 {
            return 0.0;
        }
        let i = ((turns as f64 * p).ceil() as usize).clamp(1, turns) - 1;
        f64::from(tally.latencies_us[i]) / 1000.0
    };
    println!(
        "{} concurrent calls, {:.1} s measured: {} turns, {:.0} turns/s, {} calls completed",
        args.calls,
        elapsed,
        turns,
        turns as f64 / elapsed,
        tally.calls
    );
    println!(
        "turn latency: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms; errors: {}",
        pct(0.50),
        pct(0.90),
        pct(0.99),
        pct(1.0),
        tally.errors
    );
    if let Some(e) = &tally.first_error {
        println!("first error: {e}");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// One call; the latencies (µs) of its turns that ended after `measure_from`.
async fn play(phone: &Phone, measure_from: Instant) -> Result<Vec<u32>, CallerError> {
    let mut latencies = Vec::with_capacity(SCRIPT.len() + 1);
    let mut keep = |sent: Instant| {
        if sent >= measure_from {
            latencies.push(sent.elapsed().as_micros() as u32);
        }
    };
    let sent = Instant::now();
    let mut call = phone.dial(sva_caller::inbound("+79161234567")).await?;
    keep(sent);
    for line in SCRIPT {
        if call.is_over() {
            break;
        }
        let sent = Instant::now();
        call.say(line).await?;
        keep(sent);
    }
    call.hang_up("hangup").await?;
    Ok(latencies)
}
