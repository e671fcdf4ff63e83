//! Replays of recorded calls: every dialog, recorded and replayed against the same
//! scenario, answers the same; a call recorded under other rules shows where the
//! answers part and how the outcome and the slots change.

use sales_qualification::SalesQualification;
use sva_abi::{Limits, Outcome, StepInput, StepOutput, validate_output};
use sva_script::{Script, record, replay};

fn native(input: &StepInput) -> Result<StepOutput, String> {
    let bytes = serde_json::to_vec(input).map_err(|e| e.to_string())?;
    let output = sva_sdk::run_step::<SalesQualification>(&bytes);
    validate_output(&output, &Limits::default()).map_err(|e| e.to_string())
}

fn dialogs() -> Vec<Script> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/dialogs");
    sva_script::load_path(std::path::Path::new(dir)).expect("dialogs load")
}

#[test]
fn a_call_replayed_against_the_same_version_answers_the_same() {
    for script in dialogs() {
        let recorded = record(&script, "v1", &native);
        let again = replay(&recorded, &script.context.tenant, 180, &native)
            .unwrap_or_else(|e| panic!("{}: {e}", script.name));
        assert_eq!(again.first_difference, None, "{}", script.name);
        assert!(!again.changed(), "{}: {again:?}", script.name);
        assert_eq!(again.turns, recorded.events.len(), "{}", script.name);
    }
}

#[test]
fn a_call_recorded_under_other_rules_shows_where_it_parts() {
    // Recorded while the tenant's hot score was 95: the CEO was not offered a manager.
    let yaml = r#"
name: "срочный ЛПР"
tenant: {settings: {dialog: {temperature: {hot_score: 95}}}}
turns:
  - caller: "нам срочно нужна система для склада"
  - caller: "бюджет около трех миллионов"
  - caller: "я генеральный директор"
  - caller: "да"
"#;
    let script = Script::parse(yaml, None).unwrap();
    let recorded = record(&script, "old", &native);
    assert_eq!(recorded.qualification.outcome, Outcome::InProgress);
    let today = sva_script::default_context().tenant;
    let replayed = replay(&recorded, &today, 180, &native).unwrap();
    let difference = replayed.first_difference.as_ref().expect("a difference");
    assert_eq!(difference.seq, 3, "the answer to «я генеральный директор»");
    assert_eq!(difference.caller, "«я генеральный директор»");
    assert!(
        difference
            .after
            .said
            .iter()
            .any(|s| s.contains("Соединить"))
    );
    assert!(
        difference
            .before
            .said
            .iter()
            .all(|s| !s.contains("Соединить"))
    );
    let temperature = replayed
        .slots
        .iter()
        .find(|c| c.slot == "temperature")
        .expect("the temperature changed");
    assert_eq!(temperature.before, Some(serde_json::json!("warm")));
    assert_eq!(temperature.after, Some(serde_json::json!("hot")));
    assert!(replayed.changed());
}

#[test]
fn a_record_without_turns_is_refused_with_its_code() {
    let empty = sva_wire::CallRecord::default();
    let error = replay(&empty, &sva_script::default_context().tenant, 180, &native).unwrap_err();
    assert_eq!(error.code(), "nothing_to_replay");
}
