//! Refreshes `data/numbering.csv` from the Ministry of Digital Development's numbering
//! registry: `cargo run -p sva-campaign --example refresh -- "<source note>" DEF-9xx.csv
//! [ABC-3xx.csv ABC-4xx.csv ABC-8xx.csv] > functions/campaign/data/numbering.csv`.
//! The files are the open-data CSVs as downloaded (UTF-8 or cp1251). Territories no
//! subject matched are listed on stderr: their numbers get the narrowest window.

use anyhow::{Context, bail};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let Some(source) = args.next() else {
        bail!("usage: refresh <source note> <registry csv>...");
    };
    let mut texts = Vec::new();
    for path in args {
        let bytes = std::fs::read(&path).with_context(|| format!("reading {path}"))?;
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => encoding_rs::WINDOWS_1251
                .decode_without_bom_handling(e.as_bytes())
                .0
                .into_owned(),
        };
        texts.push(text);
    }
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let compiled =
        sva_campaign::zones::compile(&refs, sva_campaign::zones::RegionTable::shipped())?;
    for (territory, rows) in &compiled.unmatched {
        eprintln!("unmatched ({rows} rows): {territory}");
    }
    eprintln!(
        "{} registry rows → {} ranges",
        compiled.rows,
        compiled.ranges.len()
    );
    print!("{}", sva_campaign::zones::render(&compiled.ranges, &source));
    Ok(())
}
