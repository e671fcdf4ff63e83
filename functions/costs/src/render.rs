//! A [`Report`] written out: a table for the terminal (Russian), CSV and JSON for other
//! tools, and a self-contained HTML page with its charts drawn in inline SVG (no
//! scripts, no network: it opens from a file or an e-mail).

use crate::report::{AbTest, Report, Totals};
use serde_json::{Value, json};
use std::fmt::Write as _;

/// The components in the order every output lists them.
pub const COMPONENTS: [&str; 8] = [
    "telephony",
    "recognition",
    "synthesis",
    "llm",
    "embeddings",
    "compute",
    "storage",
    "gateway",
];

/// Russian names of the components, in [`COMPONENTS`] order.
const COMPONENT_NAMES: [&str; 8] = [
    "телефония",
    "распознавание",
    "синтез",
    "языковая модель",
    "эмбеддинги",
    "вычисления",
    "хранилище",
    "API-шлюз",
];

fn metrics(t: &Totals) -> Value {
    json!({
        "calls": t.calls,
        "answered": t.answered,
        "qualified": t.qualified,
        "leads": t.leads,
        "transferred": t.transferred,
        "callbacks": t.callbacks,
        "conversion": t.conversion(),
        "average_handle_s": t.average_handle_s(),
        "cost": t.cost,
        "cost_per_call": t.per_call(),
        "cost_per_minute": t.per_minute(),
        "cost_per_lead": t.per_lead(),
        "components": t.components,
        "shares": t.shares(),
        "unconfirmed_calls": t.unconfirmed,
        "in_crm": t.in_crm,
    })
}

/// The report as one JSON document.
pub fn json(report: &Report, from: &str, to: &str) -> Value {
    let by_day: Vec<Value> = report
        .by_day
        .iter()
        .map(|((tenant, day), t)| json!({"tenant": tenant, "day": day, "metrics": metrics(t)}))
        .collect();
    let by_version: Vec<Value> = report
        .by_version
        .iter()
        .map(|((tenant, version, variant), t)| {
            json!({"tenant": tenant, "version": version, "variant": variant, "metrics": metrics(t)})
        })
        .collect();
    let by_campaign: Vec<Value> = report
        .by_campaign
        .iter()
        .map(|((tenant, campaign), t)| json!({"tenant": tenant, "campaign": campaign, "metrics": metrics(t)}))
        .collect();
    let by_outcome: Vec<Value> = report
        .by_outcome
        .iter()
        .map(|(outcome, t)| json!({"outcome": outcome, "metrics": metrics(t)}))
        .collect();
    json!({
        "currency": "RUB",
        "vat_included": true,
        "from": from,
        "to": to,
        "total": metrics(&report.total),
        "by_day": by_day,
        "by_version": by_version,
        "by_outcome": by_outcome,
        "by_campaign": by_campaign,
        "ab_tests": report.ab_tests(),
        "model": model_json(&report.model),
        "unreadable_records": report.unreadable_count,
    })
}

/// The campaigns' section of the HTML report (empty without outbound campaigns).
fn campaigns_html(report: &Report) -> String {
    if report.by_campaign.is_empty() {
        return String::new();
    }
    let rows: Vec<(String, f64, String)> = report
        .by_campaign
        .iter()
        .map(|((tenant, campaign), c)| {
            (
                format!("{tenant} {campaign}"),
                c.leads as f64,
                format!(
                    "{} лидов из {} разговоров · {} · за лид {}",
                    c.leads,
                    c.calls,
                    rub(c.cost),
                    if c.leads > 0 {
                        rub(c.per_lead())
                    } else {
                        "—".into()
                    }
                ),
            )
        })
        .collect();
    format!(
        "<h2>Кампании обзвона</h2>{}",
        bars(
            "chart-campaigns",
            "Квалифицированные лиды по кампаниям",
            &rows
        )
    )
}

fn model_json(m: &crate::report::ModelStats) -> Value {
    let [p50, p95, max] = m.latencies_ms_at([0.5, 0.95, 1.0]);
    json!({
        "calls": m.calls,
        "requests": m.requests,
        "input_tokens": m.tokens.0,
        "output_tokens": m.tokens.1,
        "cost": m.cost,
        "latency_ms": {"p50": p50, "p95": p95, "max": max},
    })
}

/// One sentence on the language model (empty when no call asked it).
fn model_sentence(m: &crate::report::ModelStats) -> String {
    if m.calls == 0 {
        return String::new();
    }
    let by_status = |s: &str| m.requests.get(s).copied().unwrap_or(0);
    let latency = match m.latencies_ms_at([0.5, 0.95]) {
        [Some(p50), Some(p95)] => format!("время ответа модели: медиана {p50} мс, 95 % — {p95} мс"),
        _ => "время ответа модели не измерено".to_owned(),
    };
    format!(
        "Языковая модель: звонков с ней {}, запросов {} (ответила {}, не успела {}, ответ отклонён проверкой {}, лимит токенов {}, недоступна {}); {latency}; токенов {} на входе и {} на выходе, {} ({} за такой звонок).",
        m.calls,
        m.total_requests(),
        by_status("ok"),
        by_status("timeout"),
        by_status("invalid"),
        by_status("over_budget"),
        by_status("unavailable"),
        m.tokens.0,
        m.tokens.1,
        rub(m.cost),
        rub(m.cost / m.calls as f64),
    )
}

/// The report as CSV: one row per group (`total`, `day`, `version`, `outcome`,
/// `campaign`).
pub fn csv(report: &Report) -> String {
    let mut out = String::from(
        "group,tenant,day,version,variant,outcome,campaign,calls,answered,qualified,leads,transferred,callbacks,conversion,average_handle_s,cost_rub,cost_per_call,cost_per_minute,cost_per_lead",
    );
    for c in COMPONENTS {
        let _ = write!(out, ",{c}_rub");
    }
    out.push_str(",in_crm\n");
    let mut row = |group: &str, keys: [&str; 6], t: &Totals| {
        let _ = write!(out, "{group}");
        for k in keys {
            let _ = write!(out, ",{}", csv_field(k));
        }
        let _ = write!(
            out,
            ",{},{},{},{},{},{},{:.4},{:.1},{:.6},{:.6},{:.6},{:.6}",
            t.calls,
            t.answered,
            t.qualified,
            t.leads,
            t.transferred,
            t.callbacks,
            t.conversion(),
            t.average_handle_s(),
            t.cost,
            t.per_call(),
            t.per_minute(),
            t.per_lead()
        );
        for c in COMPONENTS {
            let _ = write!(out, ",{:.6}", t.components.get(c).copied().unwrap_or(0.0));
        }
        let _ = writeln!(out, ",{}", t.in_crm);
    };
    row("total", ["", "", "", "", "", ""], &report.total);
    for ((tenant, day), t) in &report.by_day {
        row("day", [tenant, day, "", "", "", ""], t);
    }
    for ((tenant, version, variant), t) in &report.by_version {
        row("version", [tenant, "", version, variant, "", ""], t);
    }
    for (outcome, t) in &report.by_outcome {
        row("outcome", ["", "", "", "", outcome, ""], t);
    }
    for ((tenant, campaign), t) in &report.by_campaign {
        row("campaign", [tenant, "", "", "", "", campaign], t);
    }
    out
}

/// A CSV field, quoted when it needs to be. Text that a spreadsheet would take for a
/// formula (`=`, `+`, `-`, `@` first: outcomes and versions come from tenants' modules)
/// is prefixed with `'`.
pub fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn rub(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0} ₽")
    } else if x >= 1.0 {
        format!("{x:.2} ₽")
    } else {
        format!("{x:.4} ₽")
    }
}

fn percent(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

fn short(version: &str) -> &str {
    version.get(..12).unwrap_or(version)
}

/// The report as a table for the terminal, in Russian.
pub fn table(report: &Report, from: &str, to: &str) -> String {
    let t = &report.total;
    let mut out = String::new();
    let _ = writeln!(out, "Период {from} — {to}; суммы в рублях с НДС.");
    let _ = writeln!(
        out,
        "Звонков {}, отвечено {}, квалифицированных лидов {} (из них квалифицировано сценарием {}; конверсия {}), переведено {}, перезвонов {}; средняя длительность {:.0} с.",
        t.calls,
        t.answered,
        t.leads,
        t.qualified,
        percent(t.conversion()),
        t.transferred,
        t.callbacks,
        t.average_handle_s()
    );
    let _ = writeln!(out, "В CRM записано звонков: {}.", t.in_crm);
    let _ = writeln!(
        out,
        "Стоимость {}: за звонок {}, за минуту {}, за квалифицированный лид {}.",
        rub(t.cost),
        rub(t.per_call()),
        rub(t.per_minute()),
        if t.leads > 0 {
            rub(t.per_lead())
        } else {
            "—".into()
        }
    );
    let _ = writeln!(out, "\nПо статьям:");
    let shares = t.shares();
    for (c, name) in COMPONENTS.iter().zip(COMPONENT_NAMES) {
        let amount = t.components.get(*c).copied().unwrap_or(0.0);
        let _ = writeln!(
            out,
            "  {name:<16} {:>12}  {:>6}",
            rub(amount),
            percent(shares.get(*c).copied().unwrap_or(0.0))
        );
    }
    let model = model_sentence(&report.model);
    if !model.is_empty() {
        let _ = writeln!(out, "\n{model}");
    }
    let _ = writeln!(out, "\nПо дням:");
    for ((tenant, day), d) in &report.by_day {
        let _ = writeln!(
            out,
            "  {tenant:<12} {day}  звонков {:>5}  лидов {:>4}  {:>12}",
            d.calls,
            d.leads,
            rub(d.cost)
        );
    }
    let _ = writeln!(out, "\nПо версиям сценария:");
    for ((tenant, version, variant), v) in &report.by_version {
        let _ = writeln!(
            out,
            "  {tenant:<12} {} {variant:<2} звонков {:>5}  конверсия {:>7}  за лид {:>10}",
            short(version),
            v.calls,
            percent(v.conversion()),
            if v.leads > 0 {
                rub(v.per_lead())
            } else {
                "—".into()
            }
        );
    }
    let _ = writeln!(out, "\nПо итогам звонка:");
    for (outcome, o) in &report.by_outcome {
        let _ = writeln!(
            out,
            "  {outcome:<16} звонков {:>5}  {:>12}",
            o.calls,
            rub(o.cost)
        );
    }
    if !report.by_campaign.is_empty() {
        let _ = writeln!(out, "\nПо кампаниям обзвона:");
        for ((tenant, campaign), c) in &report.by_campaign {
            let _ = writeln!(
                out,
                "  {tenant:<12} {campaign:<16} разговоров {:>5}  лидов {:>4}  перезвонов {:>4}  {:>12}  за разговор {:>9}  за лид {:>10}",
                c.calls,
                c.leads,
                c.callbacks,
                rub(c.cost),
                rub(c.per_call()),
                if c.leads > 0 {
                    rub(c.per_lead())
                } else {
                    "—".into()
                }
            );
        }
    }
    for ab in report.ab_tests() {
        let _ = writeln!(out, "\n{}", ab_sentence(&ab));
    }
    if t.unconfirmed > 0 {
        let _ = writeln!(
            out,
            "\n{} звонков посчитаны с неподтверждёнными ценами (см. таблицу цен): замените их своими.",
            t.unconfirmed
        );
    }
    if report.unreadable_count > 0 {
        let _ = writeln!(out, "Не прочитано записей: {}.", report.unreadable_count);
    }
    out
}

fn ab_sentence(ab: &AbTest) -> String {
    let t = &ab.test;
    let verdict = if t.p_value < 0.05 {
        "разница значима (p < 0,05)"
    } else {
        "разница не значима: нужно больше звонков"
    };
    format!(
        "A/B {}: A {} — конверсия {}, B {} — {}; B − A = {:+.1} п.п., 95 % ДИ [{:+.1}; {:+.1}], z = {:.2}, p = {:.4}: {verdict}.",
        ab.tenant,
        short(&ab.a_version),
        percent(t.p_a),
        short(&ab.b_version),
        percent(t.p_b),
        t.difference * 100.0,
        t.ci95.0 * 100.0,
        t.ci95.1 * 100.0,
        t.z,
        t.p_value
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const COLORS: [&str; 8] = [
    "#2f6fde", "#e8833a", "#3aa76d", "#9b59b6", "#c0392b", "#16a2b8", "#7f8c8d", "#d4ac0d",
];

/// Horizontal bars: `(label, value, text)`.
fn bars(id: &str, title: &str, rows: &[(String, f64, String)]) -> String {
    let max = rows.iter().map(|r| r.1).fold(0.0_f64, f64::max);
    let height = 30 * rows.len() + 10;
    let mut svg = format!(
        "<figure><figcaption>{}</figcaption><svg id=\"{id}\" role=\"img\" viewBox=\"0 0 900 {height}\" width=\"900\" height=\"{height}\">",
        escape(title)
    );
    for (i, (label, value, text)) in rows.iter().enumerate() {
        let y = 10 + i * 30;
        let w = if max > 0.0 { value / max * 300.0 } else { 0.0 };
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{}\" class=\"label\">{}</text><rect class=\"bar\" x=\"180\" y=\"{y}\" width=\"{w:.1}\" height=\"20\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{}\">{}</text>",
            y + 15,
            escape(label),
            COLORS[i % COLORS.len()],
            186.0 + w,
            y + 15,
            escape(text)
        );
    }
    svg.push_str("</svg></figure>");
    svg
}

/// A line over days: cost (line) and leads (dots) per day, all tenants together.
fn daily(report: &Report) -> String {
    let mut days: std::collections::BTreeMap<&str, (f64, u64)> = Default::default();
    for ((_, day), t) in &report.by_day {
        let e = days.entry(day).or_default();
        e.0 += t.cost;
        e.1 += t.leads;
    }
    let n = days.len().max(1);
    let max_cost = days.values().map(|d| d.0).fold(0.0_f64, f64::max).max(1e-9);
    let max_leads = days.values().map(|d| d.1).max().unwrap_or(0).max(1) as f64;
    let x = |i: usize| {
        60.0 + if n > 1 {
            i as f64 * 620.0 / (n - 1) as f64
        } else {
            310.0
        }
    };
    let mut svg = String::from(
        "<figure><figcaption>По дням: стоимость (линия) и квалифицированные лиды (точки)</figcaption><svg id=\"chart-daily\" role=\"img\" viewBox=\"0 0 720 240\" width=\"720\" height=\"240\"><line x1=\"60\" y1=\"200\" x2=\"690\" y2=\"200\" class=\"axis\"/>",
    );
    let points: Vec<String> = days
        .values()
        .enumerate()
        .map(|(i, d)| format!("{:.1},{:.1}", x(i), 200.0 - d.0 / max_cost * 170.0))
        .collect();
    let _ = write!(
        svg,
        "<polyline class=\"line\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>",
        COLORS[0],
        points.join(" ")
    );
    for (i, (day, d)) in days.iter().enumerate() {
        let _ = write!(
            svg,
            "<circle class=\"dot\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"{}\"/>",
            x(i),
            200.0 - d.1 as f64 / max_leads * 170.0,
            COLORS[2]
        );
        if n <= 14 || i % n.div_ceil(14) == 0 {
            let _ = write!(
                svg,
                "<text x=\"{:.1}\" y=\"222\" text-anchor=\"middle\" class=\"tick\">{}</text>",
                x(i),
                escape(day.get(5..).unwrap_or(day))
            );
        }
    }
    let _ = write!(
        svg,
        "<text x=\"0\" y=\"34\" class=\"tick\">{}</text><text x=\"0\" y=\"200\" class=\"tick\">0</text></svg></figure>",
        escape(&rub(max_cost))
    );
    svg
}

/// The report as a self-contained HTML page with four charts: the cost breakdown,
/// the funnel, the daily trend and the comparison of scenario versions.
pub fn html(report: &Report, from: &str, to: &str) -> String {
    let t = &report.total;
    let shares = t.shares();
    let costs: Vec<(String, f64, String)> = COMPONENTS
        .iter()
        .zip(COMPONENT_NAMES)
        .map(|(c, name)| {
            let amount = t.components.get(*c).copied().unwrap_or(0.0);
            let share = shares.get(*c).copied().unwrap_or(0.0);
            (
                name.to_owned(),
                amount,
                format!("{} · {}", rub(amount), percent(share)),
            )
        })
        .collect();
    let funnel = vec![
        ("звонки".to_owned(), t.calls as f64, t.calls.to_string()),
        (
            "отвечены".to_owned(),
            t.answered as f64,
            t.answered.to_string(),
        ),
        (
            "квалифицированы".to_owned(),
            t.leads as f64,
            t.leads.to_string(),
        ),
        (
            "переведены менеджеру".to_owned(),
            t.transferred as f64,
            t.transferred.to_string(),
        ),
    ];
    let variants: Vec<(String, f64, String)> = report
        .by_version
        .iter()
        .map(|((tenant, version, variant), v)| {
            (
                format!("{tenant} {} {variant}", short(version)),
                v.conversion(),
                format!(
                    "конверсия {} · {} звонков · за лид {}",
                    percent(v.conversion()),
                    v.calls,
                    if v.leads > 0 {
                        rub(v.per_lead())
                    } else {
                        "—".into()
                    }
                ),
            )
        })
        .collect();
    let ab: String = report
        .ab_tests()
        .iter()
        .map(|ab| format!("<p class=\"ab\">{}</p>", escape(&ab_sentence(ab))))
        .collect();
    let note = if t.unconfirmed > 0 {
        format!(
            "<p class=\"note\">{} звонков посчитаны с неподтверждёнными ценами (телефония Voximplant, цены SpeechKit в рублях и др.): замените их ценами своего договора.</p>",
            t.unconfirmed
        )
    } else {
        String::new()
    };
    let card = |label: &str, value: String| {
        format!(
            "<div class=\"card\"><div class=\"value\">{}</div><div>{}</div></div>",
            escape(&value),
            escape(label)
        )
    };
    format!(
        r#"<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><title>Стоимость звонков {from} — {to}</title>
<style>
body{{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1d2330;max-width:960px}}
h1{{font-size:22px}} h2{{font-size:17px;margin-top:28px}}
.cards{{display:flex;gap:12px;flex-wrap:wrap}} .card{{border:1px solid #d8dde6;border-radius:8px;padding:10px 14px;min-width:130px}}
.card .value{{font-size:20px;font-weight:600}}
svg text{{font-size:12px;fill:#1d2330}} .axis{{stroke:#9aa3b2}} figure{{margin:8px 0}} figcaption{{font-weight:600;margin-bottom:6px}}
.note{{color:#8a5a00}} .ab{{background:#f3f6fb;padding:8px 12px;border-radius:6px}}
</style></head><body>
<h1>Стоимость и результат звонков</h1>
<p>Период {from} — {to}. Суммы в рублях с НДС.</p>
<div class="cards">{c1}{c2}{c6}{c3}{c4}{c5}</div>
<h2>Из чего складывается стоимость</h2>{costs}{model}
<h2>Воронка</h2>{funnel}
<h2>Динамика</h2>{daily}
<h2>Версии сценария</h2>{variants}{ab}{campaigns}
{note}
</body></html>
"#,
        from = escape(from),
        to = escape(to),
        c1 = card("звонков", t.calls.to_string()),
        c2 = card("квалифицированных лидов", t.leads.to_string()),
        c3 = card("конверсия", percent(t.conversion())),
        c4 = card("за звонок", rub(t.per_call())),
        c5 = card(
            "за лид",
            if t.leads > 0 {
                rub(t.per_lead())
            } else {
                "—".into()
            }
        ),
        // Only where calls reached a CRM: a tenant without one has nothing to count.
        c6 = if t.in_crm > 0 {
            card("записано в CRM", t.in_crm.to_string())
        } else {
            String::new()
        },
        costs = bars("chart-costs", "Стоимость по статьям", &costs),
        campaigns = campaigns_html(report),
        model = match model_sentence(&report.model) {
            m if m.is_empty() => m,
            m => format!("<p class=\"model\">{}</p>", escape(&m)),
        },
        funnel = bars(
            "chart-funnel",
            "Звонки → отвечены → квалифицированы → переведены",
            &funnel
        ),
        daily = daily(report),
        variants = bars(
            "chart-variants",
            "Конверсия по версиям и вариантам A/B",
            &variants
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        let mut report = Report::new();
        for (i, outcome) in ["qualified", "not_interested", "transferred"]
            .iter()
            .enumerate()
        {
            let record = json!({
                "tenant": "demo", "call": {"id": format!("c{i}"), "direction": "inbound"},
                "scenario_version": "v1", "variant": if i == 2 { "b" } else { "a" },
                "started_at": format!("2026-11-2{i}T10:00:00+03:00"), "duration_s": 60,
                "qualification": {"outcome": outcome},
                "usage": {"direction": "inbound", "duration_s": 60, "asr_sessions": 3}
            });
            let key = format!("calls/demo/2026-11-2{i}/c{i}.json");
            report.add_json(&key, &serde_json::to_vec(&record).unwrap());
        }
        report
    }

    #[test]
    fn csv_rows_and_quoting() {
        let csv = csv(&report());
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 1 + 1 + 3 + 2 + 3, "{csv}");
        let columns = lines[0].split(',').count();
        assert!(lines.iter().all(|l| l.split(',').count() == columns));
        assert_eq!(csv_field("a,\"b\""), "\"a,\"\"b\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field("qualified"), "qualified");
    }

    #[test]
    fn json_and_table_and_html_say_the_same() {
        let r = report();
        let doc = json(&r, "2026-11-20", "2026-11-22");
        assert_eq!(doc["total"]["calls"], 3);
        assert_eq!(doc["total"]["leads"], 2);
        assert_eq!(doc["by_day"].as_array().unwrap().len(), 3);
        let table = table(&r, "2026-11-20", "2026-11-22");
        assert!(table.contains("Звонков 3"), "{table}");
        assert!(table.contains("A/B demo"), "{table}");
        let html = html(&r, "2026-11-20", "2026-11-22");
        for id in [
            "chart-costs",
            "chart-funnel",
            "chart-daily",
            "chart-variants",
        ] {
            assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
        }
        assert!(!html.contains("<script"), "self-contained, no scripts");
        assert!(
            !table.contains("Языковая модель"),
            "no model, no line: {table}"
        );
        assert!(!table.contains("кампаниям"), "no campaign, no section");
    }

    #[test]
    fn campaigns_are_counted_apart() {
        let mut r = report();
        for (i, outcome) in ["qualified", "callback", "do_not_call"].iter().enumerate() {
            let record = json!({
                "tenant": "demo",
                "call": {"id": format!("o{i}"), "direction": "outbound", "callee": "+79161234567",
                         "custom_data": {"campaign": "autumn", "contact": i.to_string()}},
                "scenario_version": "v1", "started_at": "2026-11-22T12:00:00+03:00", "duration_s": 40,
                "qualification": {"outcome": outcome},
                "usage": {"direction": "outbound", "duration_s": 40, "asr_sessions": 1}
            });
            r.add_json(
                &format!("calls/demo/2026-11-22/o{i}.json"),
                &serde_json::to_vec(&record).unwrap(),
            );
        }
        let autumn = &r.by_campaign[&("demo".to_owned(), "autumn".to_owned())];
        assert_eq!((autumn.calls, autumn.leads, autumn.callbacks), (3, 1, 1));
        assert_eq!(r.by_campaign.len(), 1, "inbound calls are in no campaign");
        assert!((autumn.per_lead() - autumn.cost).abs() < 1e-9);
        let table = table(&r, "2026-11-20", "2026-11-22");
        assert!(table.contains("По кампаниям обзвона"), "{table}");
        assert!(table.contains("autumn"), "{table}");
        let doc = json(&r, "2026-11-20", "2026-11-22");
        assert_eq!(doc["by_campaign"][0]["metrics"]["leads"], 1);
        assert!(
            csv(&r)
                .lines()
                .any(|l| l.starts_with("campaign,demo,,,,,autumn,3,"))
        );
        assert!(html(&r, "2026-11-20", "2026-11-22").contains("id=\"chart-campaigns\""));
    }

    #[test]
    fn the_model_line_counts_requests_latency_and_cost() {
        let mut r = report();
        let record = json!({
            "tenant": "demo", "call": {"id": "m1", "direction": "inbound"},
            "scenario_version": "v1", "started_at": "2026-11-22T11:00:00+03:00", "duration_s": 60,
            "qualification": {"outcome": "qualified"},
            "events": [
                {"seq": 1, "at": 1, "event": "utterance", "then": "listen", "steps": 1, "model": [
                    {"id": "u1", "task": "understand", "status": "ok", "model": "gpt://f/yandexgpt-lite/latest",
                     "prompt_tokens": 900, "completion_tokens": 40, "latency_ms": 420}]},
                {"seq": 2, "at": 2, "event": "utterance", "then": "listen", "steps": 2, "model": [
                    {"id": "u2", "task": "understand", "status": "timeout"},
                    {"id": "p1", "task": "phrase", "status": "ok", "model": "gpt://f/yandexgpt-lite/latest",
                     "prompt_tokens": 1100, "completion_tokens": 60, "latency_ms": 610}]}
            ],
            "usage": {"direction": "inbound", "duration_s": 60, "llm_input_tokens": 2000, "llm_output_tokens": 100,
                      "llm_models": [{"model": "gpt://f/yandexgpt-lite/latest", "input_tokens": 2000, "output_tokens": 100}]}
        });
        r.add_json(
            "calls/demo/2026-11-22/m1.json",
            &serde_json::to_vec(&record).unwrap(),
        );
        let m = &r.model;
        assert_eq!((m.calls, m.total_requests(), m.tokens), (1, 3, (2000, 100)));
        assert_eq!(
            (m.latency_ms(0.5), m.latency_ms(0.95)),
            (Some(420), Some(610))
        );
        // Lite: 0.20 ₽ per 1k tokens published with 20 % VAT, 22 % today.
        assert!((m.cost - 2.1 * 0.2 / 1.2 * 1.22).abs() < 1e-6, "{}", m.cost);
        let table = table(&r, "2026-11-20", "2026-11-22");
        assert!(
            table.contains("запросов 3 (ответила 2, не успела 1"),
            "{table}"
        );
        assert!(table.contains("медиана 420 мс, 95 % — 610 мс"), "{table}");
        let doc = json(&r, "2026-11-20", "2026-11-22");
        assert_eq!(doc["model"]["latency_ms"]["p95"], 610);
        assert!(html(&r, "2026-11-20", "2026-11-22").contains("Языковая модель"));
    }
}
