//! Custom fields (`UF_CRM_*`): what the portal says each one is (`crm.<entity>.fields`),
//! and a call's values written in the field's type. A real portal ignores a field it
//! lacks and a value of the wrong type without a word (`docs/bitrix24-rest.md` §10), so
//! nothing here waits for a refusal: a field the portal lacks, or a value that does not
//! fit, is left out of the record and reported; the comments have every value anyway.

use crate::fields::outcome_title;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use sva_wire::CallRecord;
use sva_wire::outbox::FieldProblem;

/// The slots a tenant may map besides the qualification's own: the score and the outcome.
pub const EXTRA_SLOTS: [&str; 2] = ["score", "outcome"];

/// The field types the assistant writes (`USER_TYPE_ID`, `api-reference/data-types`).
pub const WRITABLE: [&str; 9] = [
    "string",
    "integer",
    "double",
    "money",
    "boolean",
    "date",
    "datetime",
    "enumeration",
    "url",
];

/// A custom field as `crm.<entity>.fields` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomField {
    /// `type` (`string`, `money`, `enumeration`, …).
    pub kind: String,
    /// `isMultiple`.
    pub multiple: bool,
    /// An enumeration's options: (`ID`, `VALUE`).
    pub options: Vec<(String, String)>,
}

/// The custom fields of one entity, by name.
pub type Described = BTreeMap<String, CustomField>;

/// The custom fields in a `crm.<entity>.fields` result (`isDynamic`, or a `UF_` name).
pub fn describe(result: &Value) -> Described {
    let Some(fields) = result.as_object() else {
        return Described::new();
    };
    fields
        .iter()
        .filter(|(name, f)| name.starts_with("UF_") || f["isDynamic"] == json!(true))
        .map(|(name, f)| {
            let options = f["items"]
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|i| Some((text(&i["ID"])?, text(&i["VALUE"])?)))
                        .collect()
                })
                .unwrap_or_default();
            let field = CustomField {
                kind: f["type"].as_str().unwrap_or("string").to_owned(),
                multiple: f["isMultiple"] == json!(true),
                options,
            };
            (name.clone(), field)
        })
        .collect()
}

/// The mapped fields' values for a record of an entity described by `described`, and
/// what could not be written.
pub fn values(
    record: &CallRecord,
    mapping: &BTreeMap<String, String>,
    described: &Described,
    entity: &str,
) -> (serde_json::Map<String, Value>, Vec<FieldProblem>) {
    let mut out = serde_json::Map::new();
    let mut problems = Vec::new();
    for (slot, name) in mapping {
        let problem = |problem: String| FieldProblem {
            field: name.clone(),
            slot: slot.clone(),
            problem,
        };
        let Some(field) = described.get(name) else {
            problems.push(problem(format!(
                "the portal has no field {name} on {entity}"
            )));
            continue;
        };
        let Some(slot_value) = slot_value(record, slot) else {
            continue;
        };
        match typed(&slot_value, field) {
            Ok(v) if field.multiple => {
                out.insert(name.clone(), Value::Array(vec![v]));
            }
            Ok(v) => {
                out.insert(name.clone(), v);
            }
            Err(why) => problems.push(problem(why)),
        }
    }
    (out, problems)
}

/// A slot's value as the call left it.
#[derive(Debug, Clone, PartialEq)]
enum SlotValue {
    /// An amount and its currency (the budget).
    Money(f64, String),
    /// A number.
    Number(f64),
    /// Yes or no.
    Flag(bool),
    /// Text.
    Text(String),
}

fn slot_value(record: &CallRecord, slot: &str) -> Option<SlotValue> {
    match slot {
        "budget" => record.budget().map(|(a, c)| SlotValue::Money(a, c)),
        "score" => Some(SlotValue::Number(f64::from(record.qualification.score))),
        "outcome" => Some(SlotValue::Text(outcome_title(record.outcome()).to_owned())),
        _ => match &record.qualification.slots.get(slot)?.value {
            Value::Bool(b) => Some(SlotValue::Flag(*b)),
            Value::Number(n) => n.as_f64().map(SlotValue::Number),
            _ => record.slot_text(slot).map(SlotValue::Text),
        },
    }
}

/// `value` written as `field` takes it (`docs/bitrix24-rest.md` §10): money as
/// `100|RUB`, a list as its option's `ID`, a date as `YYYY-MM-DD`, a flag as `Y`/`N`.
fn typed(value: &SlotValue, field: &CustomField) -> Result<Value, String> {
    let unfit = || {
        Err(format!(
            "the value «{}» does not fit a field of type {}",
            shown(value),
            field.kind
        ))
    };
    Ok(match (field.kind.as_str(), value) {
        ("string" | "url", v) => json!(shown(v)),
        ("integer", SlotValue::Money(a, _) | SlotValue::Number(a)) => json!(a.round() as i64),
        ("double", SlotValue::Money(a, _) | SlotValue::Number(a)) => json!(a),
        ("money", SlotValue::Money(a, c)) => json!(format!("{}|{c}", number(*a))),
        ("money", SlotValue::Number(a)) => json!(format!("{}|RUB", number(*a))),
        ("boolean", SlotValue::Flag(b)) => json!(if *b { "Y" } else { "N" }),
        ("boolean", SlotValue::Text(t)) => match yes_no(t) {
            Some(b) => json!(if b { "Y" } else { "N" }),
            None => return unfit(),
        },
        ("date", SlotValue::Text(t)) if is_date(t) => json!(&t[..10]),
        ("datetime", SlotValue::Text(t)) if is_date(t) && t.len() > 10 => json!(t),
        ("enumeration", v) => {
            let wanted = shown(v).to_lowercase();
            match field
                .options
                .iter()
                .find(|(_, label)| label.trim().to_lowercase() == wanted)
            {
                Some((id, _)) => json!(id),
                None => return unfit(),
            }
        }
        _ => return unfit(),
    })
}

/// A value as words (what a string field or an enumeration's label compares with).
fn shown(value: &SlotValue) -> String {
    match value {
        SlotValue::Money(a, c) => format!("{} {c}", number(*a)),
        SlotValue::Number(n) => number(*n),
        SlotValue::Flag(true) => "да".into(),
        SlotValue::Flag(false) => "нет".into(),
        SlotValue::Text(t) => t.clone(),
    }
}

/// A number without a needless fraction (`700000`, `12.5`).
fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// «да»/«нет» and their likes.
fn yes_no(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "да" | "yes" | "true" | "y" | "1" => Some(true),
        "нет" | "no" | "false" | "n" | "0" => Some(false),
        _ => None,
    }
}

/// Whether `text` starts with a `YYYY-MM-DD` date.
fn is_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b[..10]
            .iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> CallRecord {
        serde_json::from_value(json!({
            "tenant": "acme", "call": {"id": "c-1"},
            "qualification": {"slots": {
                "budget": {"value": {"amount": 700000, "currency": "RUB"}, "confidence": 1.0, "utterance": ""},
                "need": {"value": "учёт на складе", "confidence": 1.0, "utterance": ""},
                "decision_maker": {"value": true, "confidence": 1.0, "utterance": ""},
                "timeline": {"value": "в следующем месяце", "confidence": 1.0, "utterance": ""}
            }, "score": 85, "outcome": "qualified"}
        }))
        .unwrap()
    }

    fn fields() -> Described {
        describe(&json!({
            "TITLE": {"type": "string", "isDynamic": false},
            "UF_CRM_BUDGET": {"type": "money", "isMultiple": false, "isDynamic": true},
            "UF_CRM_SUM": {"type": "double", "isMultiple": false, "isDynamic": true},
            "UF_CRM_NEED": {"type": "enumeration", "isMultiple": true, "isDynamic": true,
                "items": [{"ID": "41", "VALUE": "Доставка"}, {"ID": "42", "VALUE": "Учёт на складе"}]},
            "UF_CRM_BOSS": {"type": "boolean", "isDynamic": true},
            "UF_CRM_WHEN": {"type": "date", "isDynamic": true},
            "UF_CRM_SCORE": {"type": "integer", "isDynamic": true},
            "UF_CRM_RESULT": {"type": "string", "isDynamic": true},
        }))
    }

    #[test]
    fn values_are_written_in_the_fields_type() {
        let mapping: BTreeMap<String, String> = [
            ("budget", "UF_CRM_BUDGET"),
            ("need", "UF_CRM_NEED"),
            ("decision_maker", "UF_CRM_BOSS"),
            ("score", "UF_CRM_SCORE"),
            ("outcome", "UF_CRM_RESULT"),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .into();
        let (values, problems) = values(&record(), &mapping, &fields(), "leads");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(values["UF_CRM_BUDGET"], "700000|RUB");
        assert_eq!(
            values["UF_CRM_NEED"],
            json!(["42"]),
            "a multiple list: the option's ID"
        );
        assert_eq!(values["UF_CRM_BOSS"], "Y");
        assert_eq!(values["UF_CRM_SCORE"], 85);
        assert_eq!(values["UF_CRM_RESULT"], "квалифицирован");
        assert!(!fields().contains_key("TITLE"));
    }

    #[test]
    fn a_missing_field_and_an_unfit_value_are_reported_not_sent() {
        let mapping: BTreeMap<String, String> = [
            ("timeline", "UF_CRM_WHEN"),
            ("need", "UF_CRM_GONE"),
            ("budget", "UF_CRM_SUM"),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .into();
        let (values, problems) = values(&record(), &mapping, &fields(), "leads");
        assert_eq!(values.len(), 1);
        assert_eq!(values["UF_CRM_SUM"], 700000.0);
        let by_field: BTreeMap<&str, &str> = problems
            .iter()
            .map(|p| (p.field.as_str(), p.problem.as_str()))
            .collect();
        assert!(by_field["UF_CRM_GONE"].contains("no field"), "{by_field:?}");
        assert!(by_field["UF_CRM_WHEN"].contains("date"), "{by_field:?}");
    }
}
