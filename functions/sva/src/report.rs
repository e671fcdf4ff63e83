//! `sva report`: what calls cost and what they brought, over the local data directory
//! or the bucket (`SVA_STORAGE=s3` and the kit's S3 variables), streamed day by day.

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use sva_costs::render;
use sva_costs::report::Report;
use sva_costs::scan::{Scope, scan};
use sva_costs::{PriceTable, PricingOptions, TtsBilling};
use sva_kit::storage::DynStore;

/// `sva report` arguments.
#[derive(Args)]
pub struct ReportArgs {
    /// The local data directory (ignored when SVA_STORAGE is set: then the kit's
    /// storage settings are used, e.g. the S3 bucket).
    #[arg(long, default_value = ".sva/data")]
    data: PathBuf,
    /// Tenants to include (repeatable); all by default.
    #[arg(long = "tenant")]
    tenants: Vec<String>,
    /// The first day, YYYY-MM-DD (default: 30 days before --to).
    #[arg(long)]
    from: Option<String>,
    /// The last day, YYYY-MM-DD (default: today).
    #[arg(long)]
    to: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Write to this file instead of the terminal.
    #[arg(long)]
    out: Option<PathBuf>,
    /// One line per call instead of the summary (table, CSV or JSON lines).
    #[arg(long)]
    calls: bool,
    /// Price every call again with this table (what-if) instead of the recorded costs.
    #[arg(long)]
    prices: Option<PathBuf>,
    /// With --prices: how synthesis is billed.
    #[arg(long, value_enum, default_value = "v1")]
    tts: Tts,
}

/// Output formats.
#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Csv,
    Json,
    Html,
}

/// Synthesis billing for re-pricing.
#[derive(Clone, Copy, ValueEnum)]
enum Tts {
    V1,
    V3,
}

fn today() -> String {
    let now = sva_kit::unix_now() as i64;
    sva_abi::clock::rfc3339(now, 180)[..10].to_owned()
}

fn days_before(day: &str, n: i64) -> String {
    let number = sva_costs::report::day_number(day).unwrap_or(0) - n;
    let (y, m, d) = sva_abi::clock::civil_from_days(number);
    format!("{y:04}-{m:02}-{d:02}")
}

pub fn run(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(report(args))?;
    Ok(ExitCode::SUCCESS)
}

async fn report(args: ReportArgs) -> anyhow::Result<()> {
    let store: DynStore = crate::store::open(&args.data).await?;
    let to = args.to.clone().unwrap_or_else(today);
    let from = args.from.clone().unwrap_or_else(|| days_before(&to, 30));
    anyhow::ensure!(
        !sva_costs::scan::days(&from, &to).is_empty(),
        "период задан неверно: --from {from} --to {to} (нужно ГГГГ-ММ-ДД, начало не позже конца)"
    );
    let tenants = if args.tenants.is_empty() {
        sva_tenants::TenantStore::new(store.clone())
            .list()
            .await?
            .into_iter()
            .map(|t| t.id)
            .collect()
    } else {
        args.tenants.clone()
    };
    let mut report = match &args.prices {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("не читается таблица цен {}", path.display()))?;
            let table = PriceTable::parse(&text).with_context(|| path.display().to_string())?;
            let tts = match args.tts {
                Tts::V1 => TtsBilling::V1,
                Tts::V3 => TtsBilling::V3,
            };
            Report::repriced(table, PricingOptions { tts })
        }
        None => Report::new(),
    };
    let mut out: Box<dyn std::io::Write> = match &args.out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| path.display().to_string())?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let scope = Scope {
        tenants,
        from: from.clone(),
        to: to.clone(),
    };
    let format = args.format;
    anyhow::ensure!(
        !(args.calls && matches!(format, Format::Html)),
        "--calls пишет таблицу, CSV или JSON по строке на звонок; HTML — только сводный отчёт"
    );
    if args.calls && matches!(format, Format::Csv) {
        writeln!(
            out,
            "call_id,tenant,started_at,direction,duration_s,version,variant,outcome,cost_rub,{}",
            render::COMPONENTS.map(|c| format!("{c}_rub")).join(",")
        )?;
    }
    let mut failed = None;
    scan(&store, &scope, &mut report, |record, cost| {
        if !args.calls || failed.is_some() {
            return;
        }
        let line = match format {
            Format::Json => serde_json::json!({
                "call_id": record.call.id, "tenant": record.tenant, "started_at": record.started_at,
                "direction": record.call.direction, "duration_s": record.duration_s,
                "version": record.scenario_version, "variant": record.variant,
                "outcome": record.qualification.outcome, "cost": cost,
            })
            .to_string(),
            Format::Csv => {
                let mut fields = vec![
                    record.call.id.clone(),
                    record.tenant.clone(),
                    record.started_at.clone().unwrap_or_default(),
                    direction(record).to_owned(),
                    record.duration_s.to_string(),
                    record.scenario_version.clone(),
                    record.variant.clone().unwrap_or_default(),
                    record.outcome().as_str().to_owned(),
                    format!("{:.6}", cost.total),
                ];
                for c in render::COMPONENTS {
                    let amount = cost.components.get(c).map_or(0.0, |c| c.amount);
                    fields.push(format!("{amount:.6}"));
                }
                fields
                    .iter()
                    .map(|f| render::csv_field(f))
                    .collect::<Vec<_>>()
                    .join(",")
            }
            _ => format!(
                "{}  {}  {:>4} с  {:<16} {:>10.4} ₽  {}",
                record.started_at.as_deref().unwrap_or("—"),
                record.call.id,
                record.duration_s,
                record.outcome().as_str(),
                cost.total,
                record
                    .scenario_version
                    .get(..12)
                    .unwrap_or(&record.scenario_version)
            ),
        };
        if let Err(e) = writeln!(out, "{line}") {
            failed = Some(e);
        }
    })
    .await?;
    if let Some(e) = failed {
        return Err(e.into());
    }
    if !args.calls {
        match format {
            Format::Table => write!(out, "{}", render::table(&report, &from, &to))?,
            Format::Csv => write!(out, "{}", render::csv(&report))?,
            Format::Json => writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&render::json(&report, &from, &to))?
            )?,
            Format::Html => write!(out, "{}", render::html(&report, &from, &to))?,
        }
    }
    out.flush()?;
    if let Some(path) = &args.out {
        eprintln!("отчёт записан в {}", path.display());
    }
    Ok(())
}

/// `inbound` or `outbound`.
fn direction(record: &sva_wire::CallRecord) -> &'static str {
    match record.is_outbound() {
        true => "outbound",
        false => "inbound",
    }
}
