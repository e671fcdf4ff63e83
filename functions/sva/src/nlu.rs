//! `sva nlu …`: Russian understanding from the command line.

use anyhow::Context as _;
use std::io::{BufRead, Write};
use std::process::ExitCode;

/// The `nlu` subcommands.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Read utterances from stdin, one per line; print one JSON object per line.
    Extract {
        /// The reference time for relative dates, RFC 3339 (e.g. 2026-11-25T12:00:00+03:00).
        #[arg(long)]
        now: String,
    },
}

/// Runs an `nlu` subcommand.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Extract { now } => extract(&now),
    }
}

fn extract(now: &str) -> anyhow::Result<ExitCode> {
    let now =
        sva_nlu::Now::parse_rfc3339(now).map_err(|e| anyhow::anyhow!("--now {now:?}: {e}"))?;
    let mut input = std::io::stdin().lock();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut line = Vec::new();
    loop {
        line.clear();
        if input
            .read_until(b'\n', &mut line)
            .context("reading stdin")?
            == 0
        {
            break;
        }
        // ASR text is UTF-8; a stray byte must not stop a batch, so decode leniently.
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\n', '\r']);
        writeln!(out, "{}", sva_nlu::extract_line(text, &now))?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
