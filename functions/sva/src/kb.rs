//! `sva kb`: the tenant's knowledge base through the admin API — `ingest` a folder of
//! sources (with a progress bar), `list` and `delete` them, `search` as the assistant
//! does during a call, `gaps`: the questions callers asked that it could not answer, and
//! `reindex`: every stored source into the index again.

use crate::admin::ApiArgs;
use anyhow::Context as _;
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::process::ExitCode;

/// `sva kb` commands.
#[derive(Subcommand)]
pub enum Command {
    /// Uploads every .md, .txt, .html and .csv file of a folder; the same file again
    /// changes nothing, a changed one replaces its passages.
    Ingest {
        /// The folder.
        dir: PathBuf,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// The sources and how many passages each gave.
    List {
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Removes a source and its passages.
    Delete {
        /// The source's file name.
        name: String,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Searches as the assistant does: passages with scores and sources.
    Search {
        /// The question, as a caller would ask it.
        question: String,
        /// How many passages.
        #[arg(long, default_value_t = 5)]
        limit: usize,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Puts every stored source into the index again: after a new Qdrant cluster, or
    /// after turning Yandex embeddings on or off (a dense index is a collection of its own).
    Reindex {
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Questions callers asked that got no answer, most asked first.
    Gaps {
        /// Over the last this many days.
        #[arg(long, default_value_t = 30)]
        days: u32,
        #[command(flatten)]
        api: ApiArgs,
    },
}

/// Runs a `sva kb` command.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        match command {
            Command::Ingest { dir, api } => ingest(&dir, &api).await,
            Command::List { api } => list(&api).await,
            Command::Delete { name, api } => {
                api.client()?.delete_source(&api.tenant, &name).await?;
                println!("удалён источник {name}");
                Ok(ExitCode::SUCCESS)
            }
            Command::Search {
                question,
                limit,
                api,
            } => search(&question, limit, &api).await,
            Command::Gaps { days, api } => gaps(days, &api).await,
            Command::Reindex { api } => {
                let passages = api.client()?.reindex_knowledge(&api.tenant).await?;
                println!("в индексе снова {passages} фрагментов");
                Ok(ExitCode::SUCCESS)
            }
        }
    })
}

async fn ingest(dir: &std::path::Path, api: &ApiArgs) -> anyhow::Result<ExitCode> {
    let client = api.client()?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("не читается папка {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .and_then(sva_retrieval::SourceKind::of)
                .is_some()
        })
        .collect();
    files.sort();
    if files.is_empty() {
        anyhow::bail!("в {} нет файлов .md, .txt, .html или .csv", dir.display());
    }
    let bar = ProgressBar::new(files.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let (mut passages, mut unchanged, mut failed) = (0u64, 0, 0);
    for path in &files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        bar.set_message(name.clone());
        let body =
            std::fs::read(path).with_context(|| format!("не читается {}", path.display()))?;
        match client.put_source(&api.tenant, &name, body).await {
            Ok(view) => {
                passages += u64::from(view.passages.unwrap_or(0));
                unchanged += usize::from(view.unchanged);
                if api.json {
                    bar.println(serde_json::to_string(&view)?);
                }
            }
            Err(e) => {
                failed += 1;
                bar.println(format!("{name}: {e}"));
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    println!(
        "загружено файлов: {} (без изменений: {unchanged}), фрагментов: {passages}{}",
        files.len() - failed,
        if failed > 0 {
            format!(", с ошибками: {failed}")
        } else {
            String::new()
        }
    );
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

async fn list(api: &ApiArgs) -> anyhow::Result<ExitCode> {
    let sources = api.client()?.sources(&api.tenant).await?;
    if api.json {
        println!("{}", serde_json::to_string_pretty(&sources)?);
        return Ok(ExitCode::SUCCESS);
    }
    if sources.is_empty() {
        println!("в базе знаний пока нет источников: `sva kb ingest <папка>`");
    }
    for s in &sources {
        let passages = s.passages.map_or("не проиндексирован".to_owned(), |p| {
            format!("{p} фрагм.")
        });
        println!(
            "{:<32} {:<9} {:>9} байт  {passages}",
            s.name, s.kind, s.bytes
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn search(question: &str, limit: usize, api: &ApiArgs) -> anyhow::Result<ExitCode> {
    let hits = api
        .client()?
        .search_knowledge(&api.tenant, question, limit)
        .await?;
    if api.json {
        println!("{}", serde_json::to_string_pretty(&hits)?);
        return Ok(ExitCode::SUCCESS);
    }
    if !hits.iter().any(|h| h.answers) {
        println!(
            "ответа нет: ассистент скажет, что уточнит менеджер (вопрос попадёт в `sva kb gaps`)"
        );
    }
    for (i, hit) in hits.iter().enumerate() {
        let mark = if hit.answers { "✓" } else { " " };
        // With dense vectors the score is a fused rank: show both of its parts.
        let score = match (hit.sparse, hit.dense) {
            (sparse, Some(dense)) => format!(
                "bm25 {} · близость {dense:.2}",
                sparse.map_or("—".to_owned(), |s| format!("{s:.2}"))
            ),
            _ => format!("{:.2}", hit.score),
        };
        println!(
            "{mark} {}. [{score}] {} — {}",
            i + 1,
            hit.source,
            hit.heading
        );
        println!("     {}", hit.text);
    }
    Ok(ExitCode::SUCCESS)
}

async fn gaps(days: u32, api: &ApiArgs) -> anyhow::Result<ExitCode> {
    let since_s = sva_kit::unix_now().saturating_sub(u64::from(days) * 86_400);
    let since = sva_abi::clock::rfc3339(since_s as i64, 0)[..10].to_owned();
    let gaps = api.client()?.knowledge_gaps(&api.tenant, &since).await?;
    if api.json {
        println!("{}", serde_json::to_string_pretty(&gaps)?);
        return Ok(ExitCode::SUCCESS);
    }
    if gaps.is_empty() {
        println!("с {since} все вопросы звонивших нашли ответ в базе знаний");
    }
    for gap in &gaps {
        println!(
            "{:>3} × «{}» (последний раз {}, звонок {})",
            gap.asked, gap.question, gap.last_day, gap.last_call
        );
    }
    Ok(ExitCode::SUCCESS)
}
