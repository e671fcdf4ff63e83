//! `sva load`: N concurrent scripted calls against the local stack (started in-process
//! on a free port, or a running one with `--url`) over loopback HTTP; reports turns/s
//! and the turn latency distribution as the caller sees it.
//!
//! Calls are paced like real ones: each call sends its next turn one interval after the
//! previous one was sent (`calls / rate` seconds, 250 ms for 500 calls at 2,000 turns/s —
//! a caller speaks far less often, so this is a heavy load), starting at a random offset
//! so the calls do not move in lockstep. A late answer delays only that call's next turn;
//! the interval never shrinks to catch up. `--rate 0` removes the pacing (each call sends
//! its next turn as soon as it has the answer) to find the maximum throughput.

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
    /// Offered load, turns per second over all calls (0: as fast as answers come).
    #[arg(long, default_value_t = 2000.0)]
    rate: f64,
    /// Do not send end-of-call reports (measures the turn path alone).
    #[arg(long)]
    skip_end: bool,
    /// Worker threads of the load generator's runtime.
    #[arg(long, default_value_t = 2)]
    threads: usize,
}

/// A qualification call as callers speak: eight turns from greeting to hang-up.
const SCRIPT: &[&str] = sva_caller::QUALIFICATION;

#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
    end_latencies_us: Vec<u32>,
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
                // The CRM step is not what is measured here.
                crm: sva_local::CrmOptions {
                    sweep_every: None,
                    ..sva_local::CrmOptions::default()
                },
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
    let interval =
        (args.rate > 0.0).then(|| Duration::from_secs_f64(args.calls as f64 / args.rate));
    let mut tasks = Vec::with_capacity(args.calls);
    for i in 0..args.calls {
        let phone = phone.clone();
        let tally = tally.clone();
        // Spread the calls' first turns evenly over one interval.
        let skip_end = args.skip_end;
        let offset = interval.map_or(Duration::ZERO, |d| d.mul_f64(i as f64 / args.calls as f64));
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(offset).await;
            let mut pace = Pace {
                interval,
                next: Instant::now(),
            };
            while Instant::now() < stop_at {
                let result = play(&phone, (measure_from, stop_at), &mut pace, skip_end).await;
                let mut tally = tally.lock().await;
                match result {
                    Ok((latencies, end)) => {
                        if Instant::now() >= measure_from {
                            tally.calls += 1;
                            tally.end_latencies_us.push(end);
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
    let elapsed = args.seconds as f64;
    let mut tally = tally.lock().await;
    tally.latencies_us.sort_unstable();
    tally.end_latencies_us.sort_unstable();
    let turns = tally.latencies_us.len();
    let offered = if args.rate > 0.0 {
        format!("{:.0} turns/s offered", args.rate)
    } else {
        "unpaced".to_owned()
    };
    println!(
        "{} concurrent calls, {offered}, {:.0} s measured: {} turns sent, {:.0} turns/s, {} calls completed",
        args.calls,
        elapsed,
        turns,
        turns as f64 / elapsed,
        tally.calls
    );
    let turn = &tally.latencies_us;
    println!(
        "turn latency: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms; errors: {}",
        percentile(turn, 0.50),
        percentile(turn, 0.90),
        percentile(turn, 0.99),
        percentile(turn, 1.0),
        tally.errors
    );
    let end = &tally.end_latencies_us;
    println!(
        "end-of-call report (record + outbox entry written): p50 {:.2} ms, p99 {:.2} ms",
        percentile(end, 0.50),
        percentile(end, 0.99),
    );
    if let Some(e) = &tally.first_error {
        println!("first error: {e}");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// When a call sends its next request.
struct Pace {
    interval: Option<Duration>,
    next: Instant,
}

impl Pace {
    /// Waits for the call's next slot; returns when the request is sent.
    async fn wait(&mut self) -> Instant {
        if let Some(interval) = self.interval {
            tokio::time::sleep_until(self.next.into()).await;
            let now = Instant::now();
            self.next = now.max(self.next) + interval;
            return now;
        }
        Instant::now()
    }
}

/// One call; the latencies (µs) of its turns sent inside the measured window, and of its
/// end-of-call report.
async fn play(
    phone: &Phone,
    (measure_from, stop_at): (Instant, Instant),
    pace: &mut Pace,
    skip_end: bool,
) -> Result<(Vec<u32>, u32), CallerError> {
    let mut latencies = Vec::with_capacity(SCRIPT.len() + 1);
    let mut keep = |sent: Instant| {
        if sent >= measure_from && sent < stop_at {
            latencies.push(sent.elapsed().as_micros() as u32);
        }
    };
    let sent = pace.wait().await;
    let mut call = phone.dial(sva_caller::inbound("+79161234567")).await?;
    keep(sent);
    for line in SCRIPT {
        if call.is_over() {
            break;
        }
        let sent = pace.wait().await;
        call.say(line).await?;
        keep(sent);
    }
    if skip_end {
        return Ok((latencies, 0));
    }
    let sent = pace.wait().await;
    call.hang_up("hangup").await?;
    Ok((latencies, sent.elapsed().as_micros() as u32))
}

/// The `p` quantile of sorted microseconds, in milliseconds.
fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    f64::from(sorted[i]) / 1000.0
}
