//! Documents written before `sva-wire` existed (a real call through `sva dev` at commit
//! ae2d37c, when the record was a `json!` literal in the dialog function) are read by
//! the typed readers, and written back without losing anything.

use sva_abi::{Direction, Outcome};
use sva_wire::{CallRecord, OutboxEntry};

const RECORD: &str = include_str!("fixtures/record-before-wire.json");
const OUTBOX_DONE: &str = include_str!("fixtures/outbox-done-before-wire.json");

#[test]
fn a_record_written_before_the_typed_record_reads() {
    let record = CallRecord::from_json(RECORD.as_bytes()).expect("the old record reads");
    assert_eq!(record.v, 1);
    assert_eq!(record.tenant, "demo");
    assert_eq!(record.call.id, "sim-18eedf527abbc18e-0");
    assert_eq!(record.call.direction, Direction::Inbound);
    assert_eq!(record.customer_line(), Some("+79161234567"));
    assert_eq!(record.outcome(), Outcome::Callback);
    assert_eq!(record.budget(), Some((1_500_000.0, "RUB".to_owned())));
    assert_eq!(record.events.len(), 8);
    assert_eq!(record.transcript.len(), 8);
    assert_eq!(record.callbacks.len(), 1);
    assert!(record.has_usage());
    let cost = record.cost.as_ref().expect("the call was priced");
    assert!(cost.total > 0.0 && cost.currency == "RUB");
    // The product question of the second turn, with the passage's source.
    let asked = record.events.iter().flat_map(|e| &e.knowledge).next();
    assert!(
        asked.is_some_and(|k| k
            .sources
            .first()
            .is_some_and(|s| s.document == "prices.csv")),
        "{asked:?}"
    );
    assert!(record.unanswered().is_empty());
}

#[test]
fn an_old_record_is_written_back_with_every_field_it_had() {
    let record = CallRecord::from_json(RECORD.as_bytes()).unwrap();
    let written: serde_json::Value = serde_json::from_slice(&record.to_json().unwrap()).unwrap();
    let before: serde_json::Value = serde_json::from_str(RECORD).unwrap();
    same(&written, &before, "record");
}

/// The same document: the same keys and values everywhere, numbers compared as `f32`
/// (the old writer widened the slots' `f32` confidences to `f64` on the way: 0.8 was
/// written as 0.800000011920929, the same `f32`).
fn same(a: &serde_json::Value, b: &serde_json::Value, path: &str) {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            let keys = |m: &serde_json::Map<String, Value>| m.keys().cloned().collect::<Vec<_>>();
            assert_eq!(keys(a), keys(b), "the keys of {path}");
            for (key, value) in a {
                same(value, &b[key], &format!("{path}.{key}"));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "the length of {path}");
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                same(x, y, &format!("{path}[{i}]"));
            }
        }
        (Value::Number(x), Value::Number(y)) => assert_eq!(
            x.as_f64().map(|v| v as f32),
            y.as_f64().map(|v| v as f32),
            "{path}"
        ),
        _ => assert_eq!(a, b, "{path}"),
    }
}

#[test]
fn an_outbox_entry_the_crm_step_finished_before_reads() {
    let entry: OutboxEntry = serde_json::from_str(OUTBOX_DONE).expect("the old entry reads");
    assert_eq!(entry.call_id, "sim-18eedf527abbc18e-0");
    assert_eq!(
        sva_wire::key::day_of_call_record(&entry.record),
        Some("2026-12-07")
    );
    assert_eq!(entry.progress.owner(), Some(("lead", 1)));
    assert_eq!(entry.progress.todo_ids, [1]);
    assert!(
        entry
            .progress
            .telephony
            .as_ref()
            .is_some_and(|t| t.finished)
    );
    assert!(entry.done_at.is_some());
}
