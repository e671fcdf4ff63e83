//! `sva scenario replay`: recorded calls (a directory, or a bucket) re-run against a
//! module: per call, where the new version's answers first differ and how the outcome,
//! the score and the slots change; as a table or JSON.

use anyhow::Context as _;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use sva_kit::storage::{DynStore, LocalDir};
use sva_script::{CallReplay, Recording};
use sva_tenants::{TenantSettings, TenantStore};
use sva_wire::CallRecord;

/// `sva scenario replay` arguments.
#[derive(clap::Args)]
pub struct ReplayArgs {
    /// Where the call records are: a directory (every `*.json` call record below it,
    /// e.g. the local data directory `.sva/data`) or `s3://bucket[/prefix]` (the
    /// endpoint and credentials from the kit's `SVA_S3_*` variables).
    #[arg(long, value_name = "DIR|s3://bucket/prefix")]
    records: String,
    /// The module to replay against (.wasm).
    #[arg(long, default_value = sva_local::DEFAULT_SCENARIO)]
    module: PathBuf,
    /// Only this tenant's calls.
    #[arg(long)]
    tenant: Option<String>,
    /// At most this many calls.
    #[arg(long, default_value_t = 500)]
    limit: usize,
    /// One JSON document instead of the table.
    #[arg(long)]
    json: bool,
    /// Also print which nodes and edges of the graph the replays reached.
    #[arg(long)]
    coverage: bool,
    /// Exit non-zero when any call changed or could not be replayed (for a release
    /// check).
    #[arg(long)]
    fail_on_change: bool,
}

/// Runs `sva scenario replay`.
pub fn run(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (store, prefix) = runtime.block_on(open(&args.records))?;
    let records = runtime.block_on(read_records(&store, &prefix, &args))?;
    anyhow::ensure!(
        !records.is_empty(),
        "no call records found in {}",
        args.records
    );
    let tenants = runtime.block_on(tenant_settings(&store, &records));
    let scenario = crate::scenario::load(&args.module)?;
    let recording = Recording::new(&scenario, crate::scenario::graph_of(&scenario));
    let mut replays = Vec::new();
    let mut refused = Vec::new();
    for record in &records {
        let settings = tenants
            .get(&record.tenant)
            .cloned()
            .unwrap_or_else(|| default_settings(&record.tenant));
        match sva_script::replay(
            record,
            &settings.context(),
            settings.utc_offset_minutes,
            &recording,
        ) {
            Ok(replay) => replays.push(replay),
            Err(e) => refused.push(format!("{}: {e} [{}]", record.call.id, e.code())),
        }
    }
    let coverage = recording.coverage();
    if args.json {
        let document = serde_json::json!({
            "module": args.module,
            "calls": replays,
            "changed": replays.iter().filter(|r| r.changed()).count(),
            "not_replayed": refused,
            "coverage": args.coverage.then(|| coverage.summary()),
        });
        println!("{}", serde_json::to_string_pretty(&document)?);
    } else {
        print!("{}", table(&replays));
        for line in &refused {
            println!("✗ {line}");
        }
        if args.coverage {
            print!("{coverage}");
        }
        println!(
            "{} calls replayed, {} changed, {} not replayed",
            replays.len(),
            replays.iter().filter(|r| r.changed()).count(),
            refused.len()
        );
    }
    let changed = replays.iter().filter(|r| r.changed()).count();
    if args.fail_on_change && (changed > 0 || !refused.is_empty()) {
        eprintln!(
            "{changed} of {} calls changed and {} were not replayed (--fail-on-change)",
            records.len(),
            refused.len()
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// The store and the prefix the records are under.
async fn open(records: &str) -> anyhow::Result<(DynStore, String)> {
    if let Some(rest) = records.strip_prefix("s3://") {
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        anyhow::ensure!(!bucket.is_empty(), "s3://bucket[/prefix] needs a bucket");
        let config = sva_kit::Config::from_lookup(|name| match name {
            "SVA_STORAGE" => Some("s3".to_owned()),
            "SVA_S3_BUCKET" => Some(bucket.to_owned()),
            other => std::env::var(other).ok(),
        })?;
        let store = sva_kit::storage::open(&config.storage).await?;
        return Ok((store, prefix.trim_start_matches('/').to_owned()));
    }
    let dir = PathBuf::from(records);
    anyhow::ensure!(dir.is_dir(), "{records} is not a directory");
    Ok((Arc::new(LocalDir::new(dir)), String::new()))
}

/// Every call record under `prefix` (other JSON documents are passed over). At the root
/// of a data directory or bucket, only the records' own `calls/` (of `--tenant`).
async fn read_records(
    store: &DynStore,
    prefix: &str,
    args: &ReplayArgs,
) -> anyhow::Result<Vec<CallRecord>> {
    let mut prefix = prefix.to_owned();
    if prefix.is_empty() && !store.list("calls/").await?.is_empty() {
        prefix = match &args.tenant {
            Some(tenant) => format!("calls/{tenant}/"),
            None => "calls/".to_owned(),
        };
    }
    let keys = store
        .list(&prefix)
        .await
        .with_context(|| format!("listing {}", args.records))?;
    let mut records = Vec::new();
    for key in keys.iter().filter(|k| k.ends_with(".json")) {
        if records.len() >= args.limit {
            break;
        }
        let Some(body) = store.get(key).await? else {
            continue;
        };
        let Ok(record) = CallRecord::from_json(&body) else {
            continue;
        };
        let is_call = !record.call.id.is_empty()
            && (!record.events.is_empty() || !record.transcript.is_empty());
        let wanted = args.tenant.as_ref().is_none_or(|t| *t == record.tenant);
        if is_call && wanted {
            records.push(record);
        }
    }
    Ok(records)
}

/// The current settings of the records' tenants, where the store has them.
async fn tenant_settings(
    store: &DynStore,
    records: &[CallRecord],
) -> BTreeMap<String, TenantSettings> {
    let tenants = TenantStore::new(store.clone());
    let mut found = BTreeMap::new();
    for record in records {
        if found.contains_key(&record.tenant) {
            continue;
        }
        if let Ok(Some(settings)) = tenants.settings(&record.tenant).await {
            found.insert(record.tenant.clone(), settings);
        }
    }
    found
}

/// A tenant the store has no settings for: the scripts' test tenant, under its id.
fn default_settings(tenant: &str) -> TenantSettings {
    let context = sva_script::default_context().tenant;
    let mut settings = TenantSettings::new(tenant, &context.company, &context.product);
    settings.manager_phone = context.manager_phone;
    settings
}

/// One line per call: where it first differs, and what changed.
pub(crate) fn table(replays: &[CallReplay]) -> String {
    let mut out = format!(
        "{:<24} {:>7}  {:<34} {:<28} {}\n",
        "call", "turns", "first difference", "outcome", "score / slots"
    );
    for replay in replays {
        let difference = match &replay.first_difference {
            Some(d) => format!("turn {}: {}", d.seq, clip(&d.caller, 24)),
            None => "—".to_owned(),
        };
        let (before, after) = replay.outcome;
        let outcome = if before == after {
            before.as_str().to_owned()
        } else {
            format!("{} → {}", before.as_str(), after.as_str())
        };
        let mut changes = Vec::new();
        if replay.score.0 != replay.score.1 {
            changes.push(format!("score {} → {}", replay.score.0, replay.score.1));
        }
        for slot in &replay.slots {
            changes.push(match (&slot.before, &slot.after) {
                (None, Some(v)) => format!("+{} {}", slot.slot, short(v)),
                (Some(_), None) => format!("−{}", slot.slot),
                (Some(a), Some(b)) => format!("{} {} → {}", slot.slot, short(a), short(b)),
                (None, None) => continue,
            });
        }
        if !replay.failures.is_empty() {
            changes.push(format!("{} failed steps", replay.failures.len()));
        }
        out.push_str(&format!(
            "{:<24} {:>7}  {:<34} {:<28} {}\n",
            clip(&replay.call, 24),
            format!("{}/{}", replay.turns, replay.recorded_turns),
            difference,
            outcome,
            if changes.is_empty() {
                "—".to_owned()
            } else {
                changes.join("; ")
            }
        ));
        if let Some(d) = &replay.first_difference {
            out.push_str(&format!(
                "    before: «{}» → {}\n    after:  «{}» → {}\n",
                d.before.said.join(" "),
                d.before.then,
                d.after.said.join(" "),
                d.after.then
            ));
        }
    }
    out
}

fn short(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => clip(s, 24),
        v => clip(&v.to_string(), 40),
    }
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut clipped: String = text.chars().take(max - 1).collect();
    clipped.push('…');
    clipped
}
