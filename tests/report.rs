//! Cost per call end to end: calls on the local stack leave their usage and cost in
//! the records; `sva_costs::scan` reports them (and prices them again); the HTML report
//! renders in a real headless browser (Debian's Chromium, installed by `make install`).
//!
//! `SVA_WRITE_SCREENSHOT=1` also refreshes `docs/report-sample.png` from a generated
//! corpus of 3,000 calls.

use std::path::{Path, PathBuf};
use std::process::Command;
use sva_costs::report::Report;
use sva_costs::scan::{Scope, scan};
use sva_tests::Stack;

/// The headless browser: `$SVA_CHROMIUM`, or the first of the usual names on PATH.
fn chromium() -> PathBuf {
    if let Some(path) = std::env::var_os("SVA_CHROMIUM") {
        return PathBuf::from(path);
    }
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        let found = Command::new("sh")
            .arg("-c")
            .arg(format!("command -v {name}"))
            .output()
            .ok()
            .filter(|o| o.status.success());
        if let Some(found) = found {
            return PathBuf::from(String::from_utf8_lossy(&found.stdout).trim());
        }
    }
    panic!("no headless Chromium: run `make install` (it installs Debian's chromium)");
}

fn browser(args: &[&str], page: &Path) -> String {
    let profile = tempfile::tempdir().unwrap();
    let output = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Renders `html` in the browser: the DOM it built, and a screenshot at `png`.
fn render(html: &str, png: &Path) -> String {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, html).unwrap();
    let dom = browser(&["--dump-dom"], &page);
    browser(
        &[
            "--window-size=1000,1500",
            &format!("--screenshot={}", png.display()),
        ],
        &page,
    );
    let size = std::fs::metadata(png).map(|m| m.len()).unwrap_or(0);
    assert!(
        size > 10_000,
        "a real picture, not a blank page: {size} bytes"
    );
    dom
}

fn check_dom(dom: &str) {
    for id in [
        "chart-costs",
        "chart-funnel",
        "chart-daily",
        "chart-variants",
    ] {
        assert!(
            dom.contains(&format!("<svg id=\"{id}\"")),
            "{id} is in the rendered page"
        );
    }
    assert!(dom.matches("class=\"bar\"").count() >= 8, "bars are drawn");
}

#[tokio::test]
async fn calls_are_costed_reported_and_rendered() {
    let stack = Stack::start().await;
    let lines = sva_caller::QUALIFICATION;
    let mut call = stack.call().await;
    for line in lines {
        call.say(line).await.unwrap();
    }
    call.hang_up("hangup").await.unwrap();
    for _ in 0..2 {
        let mut call = stack.call().await;
        call.say("нам ничего не нужно спасибо").await.unwrap();
        call.hang_up("caller_hangup").await.unwrap();
    }

    let today = sva_abi::clock::rfc3339(sva_tests::now() as i64, 180)[..10].to_owned();
    let scope = Scope {
        tenants: vec!["demo".into()],
        from: today.clone(),
        to: today.clone(),
    };
    let mut report = Report::new();
    let mut listed = Vec::new();
    let read = scan(stack.stack.store(), &scope, &mut report, |record, cost| {
        listed.push((record.call.id.clone(), cost.total));
    })
    .await
    .unwrap();
    assert_eq!(read, 3);
    assert_eq!(listed.len(), 3);
    let total = &report.total;
    assert_eq!((total.calls, total.leads), (3, 1), "{total:?}");
    assert!(total.cost > 0.0);
    let summed: f64 = listed.iter().map(|(_, c)| c).sum();
    assert!((total.cost - summed).abs() < 1e-6);
    assert!(
        (total.per_lead() - total.cost).abs() < 1e-9,
        "one lead carries all"
    );

    // What-if: recognition at another price changes that component only.
    let table = sva_costs::PriceTable::default_table();
    let doubled = table
        .with_overrides(&sva_costs::Overrides {
            prices: [("asr.unit".to_owned(), 0.32)].into(),
            ..Default::default()
        })
        .unwrap();
    let mut what_if = Report::repriced(doubled, Default::default());
    scan(stack.stack.store(), &scope, &mut what_if, |_, _| {})
        .await
        .unwrap();
    let before = report.total.components["recognition"];
    let after = what_if.total.components["recognition"];
    // 0.32 ₽ with today's VAT per unit, against 0.16 ₽ published with 20 %.
    let ratio = 0.32 / (0.16 / 1.2 * 1.22);
    assert!((after - ratio * before).abs() < 1e-5, "{before} → {after}");
    assert!(
        (what_if.total.components["telephony"] - report.total.components["telephony"]).abs() < 1e-9
    );

    // The same report through the admin API, in each format.
    let admin = stack.admin();
    let doc = admin.report("demo", &today, &today).await.unwrap();
    assert_eq!(doc["total"]["calls"], 3);
    assert_eq!(doc["total"]["leads"], 1);
    let url = format!(
        "{}/v1/tenants/demo/report?from={today}&to={today}",
        stack.stack.url()
    );
    let http = reqwest::Client::new();
    for (format, kind, starts) in [
        ("csv", "text/csv", "group,"),
        ("html", "text/html", "<!doctype html>"),
    ] {
        let response = http
            .get(format!("{url}&format={format}"))
            .bearer_auth(stack.stack.operator_key())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(content_type.starts_with(kind), "{content_type}");
        assert!(response.text().await.unwrap().starts_with(starts));
    }
    let bad = admin
        .report("demo", &today, "2020-01-01")
        .await
        .unwrap_err();
    assert_eq!(
        (bad.status(), bad.code()),
        (Some(422), Some("invalid_value"))
    );

    // The HTML report in a real browser.
    let html = sva_costs::render::html(&report, &today, &today);
    let png = stack.dir.path().join("report.png");
    check_dom(&render(&html, &png));
}

#[test]
fn a_generated_corpus_renders_with_every_chart() {
    let mut report = Report::new();
    for (key, body) in sva_costs::corpus::records("demo", 3000, 14, "2026-11-30", 11) {
        report.add_json(&key, &body);
    }
    let html = sva_costs::render::html(&report, "2026-11-17", "2026-11-30");
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("report.png");
    let dom = render(&html, &png);
    check_dom(&dom);
    assert!(dom.contains("A/B demo"), "the A/B test is reported");
    if std::env::var_os("SVA_WRITE_SCREENSHOT").is_some() {
        let docs = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/report-sample.png");
        std::fs::copy(&png, docs).unwrap();
    }
}
