//! The case suite: every line of `tests/cases.txt` (and the acceptance examples) run
//! through the public API, every miss reported with the text, what was expected and
//! what came out.

use std::collections::BTreeMap;
use sva_nlu::{Now, understand};

struct Outcome {
    kind: String,
    text: String,
    expected: String,
    got: String,
    known_gap: bool,
}

/// What `understand` found of one kind, in the case file's notation.
fn render(kind: &str, text: &str, now: &Now) -> String {
    let u = understand(text, now);
    let parts: Vec<String> = match kind {
        "money" => u
            .money
            .iter()
            .map(|m| {
                let currency = serde_json::to_value(m.currency)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default();
                let hedge = if m.approximate { "~" } else { "" };
                match m.upper {
                    Some(upper) => format!("{hedge}{}-{upper} {currency}", m.amount),
                    None => format!("{hedge}{} {currency}", m.amount),
                }
            })
            .collect(),
        "phone" => u.phones,
        "date" => u
            .dates
            .iter()
            .map(|d| match &d.time {
                Some(t) => format!("{} {t}", d.date),
                None => d.date.clone(),
            })
            .collect(),
        "answer" => u
            .answer
            .map(|a| {
                serde_json::to_value(a)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default()
            })
            .into_iter()
            .collect(),
        "name" => u.names,
        "email" => u.emails,
        "intent" => u
            .intents
            .iter()
            .map(|i| {
                serde_json::to_value(i)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default()
            })
            .collect(),
        other => panic!("unknown kind {other:?}"),
    };
    if parts.is_empty() {
        "-".to_owned()
    } else {
        parts.join("; ")
    }
}

fn run_case_file() -> Vec<Outcome> {
    let mut now = Now::parse_rfc3339("2026-11-25T12:00:00+03:00").unwrap();
    let mut out = Vec::new();
    for (n, line) in include_str!("cases.txt").lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(at) = line.strip_prefix("@now ") {
            now = Now::parse_rfc3339(at.trim()).unwrap();
            continue;
        }
        let (known_gap, line) = match line.strip_prefix('?') {
            Some(rest) => (true, rest.trim()),
            None => (false, line),
        };
        let (kind, rest) = line
            .split_once(':')
            .unwrap_or_else(|| panic!("line {}: no kind", n + 1));
        let (text, expected) = rest
            .split_once("=>")
            .unwrap_or_else(|| panic!("line {}: no =>", n + 1));
        let (kind, text, expected) = (kind.trim(), text.trim(), expected.trim());
        out.push(Outcome {
            kind: kind.to_owned(),
            text: text.to_owned(),
            expected: expected.to_owned(),
            got: render(kind, text, &now),
            known_gap,
        });
    }
    out
}

#[test]
fn every_case_is_understood() {
    let outcomes = run_case_file();
    assert!(outcomes.len() >= 300, "only {} cases", outcomes.len());
    let mut per_kind: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut gaps = 0;
    for o in &outcomes {
        let ok = o.expected == o.got;
        let entry = per_kind.entry(o.kind.as_str()).or_default();
        entry.0 += 1;
        entry.1 += usize::from(ok);
        if !ok && o.known_gap {
            gaps += 1;
        } else if !ok {
            failures.push(format!(
                "{}: «{}»\n    expected {}\n    got      {}",
                o.kind, o.text, o.expected, o.got
            ));
        }
    }
    for (kind, (total, passed)) in &per_kind {
        println!("{kind:>7}: {passed}/{total}");
    }
    assert!(
        gaps * 20 <= outcomes.len(),
        "known gaps must stay under 5%: {gaps}"
    );
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        outcomes.len(),
        failures.join("\n")
    );
}

#[test]
fn the_acceptance_examples_are_understood() {
    for line in include_str!("acceptance.jsonl")
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        let case: serde_json::Value = serde_json::from_str(line).unwrap();
        let now = Now::parse_rfc3339(case["now"].as_str().unwrap()).unwrap();
        let text = case["text"].as_str().unwrap();
        let got = serde_json::to_value(understand(text, &now)).unwrap();
        for (key, expected) in case["expect"].as_object().unwrap() {
            assert_eq!(&got[key], expected, "«{text}»: {key}");
        }
    }
}

#[test]
fn corrections_questions_and_plain_numbers() {
    let now = sva_nlu::Now::parse_rfc3339("2026-03-02T12:00:00+03:00").unwrap();
    assert_eq!(sva_nlu::numbers("нет не пятьсот а семьсот"), [500, 700]);
    assert_eq!(
        sva_nlu::numbers("полтора миллиона и три склада"),
        [1_500_000, 3]
    );
    for yes in [
        "нет не пятьсот а семьсот",
        "я имел в виду в понедельник",
        "точнее анна",
        "не ольга а анна",
    ] {
        assert!(sva_nlu::is_correction(yes), "{yes}");
        assert_eq!(
            sva_nlu::understand(yes, &now).correction,
            sva_nlu::is_correction(yes)
        );
    }
    for no in ["нет спасибо", "да", "а сколько стоит", "не знаю"] {
        assert!(!sva_nlu::is_correction(no), "{no}");
        assert_eq!(
            sva_nlu::understand(no, &now).correction,
            sva_nlu::is_correction(no)
        );
    }
    for yes in [
        "а доставка у вас есть",
        "какая у вас гарантия",
        "сколько стоит внедрение",
        "есть ли интеграция с 1с",
        "как быстро вы внедряете",
    ] {
        assert!(sva_nlu::is_question(yes), "{yes}");
        assert_eq!(
            sva_nlu::understand(yes, &now).question,
            sva_nlu::is_question(yes)
        );
    }
    for no in [
        "нам нужна система для склада",
        "да",
        "бюджет полтора миллиона",
        "меня зовут ольга",
        "в пятницу после обеда",
    ] {
        assert!(!sva_nlu::is_question(no), "{no}");
        assert_eq!(
            sva_nlu::understand(no, &now).question,
            sva_nlu::is_question(no)
        );
    }
}
