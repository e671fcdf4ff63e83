//! The graph machinery on a toy scenario: interrupts and resumption, global handlers,
//! knowledge round trips inside a digression (`Digress` / `Return`), `Again`, "repeat", silence counting, and malformed input.

mod support;

use serde::{Deserialize, Serialize};
use serde_json::json;
use support::{says, utterance};
use sva_abi::{Action, Context, Event, Hit, HitSource, Manifest, StepInput, StepOutput};
use sva_sdk::{Ctx, Flow, Graph, Scenario, nlu::Intent, run_step};

struct Toy;

#[derive(Default, Serialize, Deserialize)]
struct State {
    city: String,
}

impl Scenario for Toy {
    type State = State;

    fn graph() -> Graph<State> {
        Graph::new("ask")
            .global(|c: &mut Ctx<'_, State>| {
                c.has(Intent::Repeat).then(|| {
                    c.repeat_last();
                    Flow::Wait
                })
            })
            .global(|c: &mut Ctx<'_, State>| {
                matches!(c.event(), Event::NoInput).then(|| {
                    if c.silences() >= 2 {
                        Flow::End("silence")
                    } else {
                        c.say("Алло?");
                        Flow::Again
                    }
                })
            })
            .interrupt(
                "ask",
                |c| {
                    c.say("Из какого вы города?");
                    Flow::Wait
                },
                |c| {
                    if c.text().contains("доставк") {
                        return Flow::Digress("lookup");
                    }
                    let city = c.text().to_owned();
                    c.state().city = city.clone();
                    c.set_slot("city", json!(city), 0.9);
                    Flow::Goto("bye")
                },
            )
            .node("lookup", |c| Flow::Retrieve(c.text().to_owned()))
            .on_knowledge("lookup", |c, hits: &[Hit]| {
                c.say(
                    hits.first()
                        .map_or("Не знаю.", |h| h.text.as_str())
                        .to_owned(),
                );
                Flow::Goto("ask")
            })
            .node("bye", |c| {
                let city = c.state_ref().city.clone();
                c.say(format!("Спасибо, {city}!"));
                Flow::End("done")
            })
    }

    fn manifest() -> Manifest {
        Manifest {
            name: "toy".into(),
            version: "1".into(),
            abi: 1,
            description: String::new(),
            slots: vec!["city".into()],
            texts: vec![],
            capabilities: vec![],
            graph: None,
        }
    }

    fn score(ctx: &Ctx<'_, State>) -> u8 {
        if ctx.slot("city").is_some() { 50 } else { 0 }
    }
}

fn step(state: &sva_abi::State, event: Event) -> StepOutput {
    support::step::<Toy>(state, event, &[])
}

#[test]
fn an_interrupt_resumes_in_its_reply_and_records_the_slot() {
    let first = step(&sva_abi::State::null(), Event::CallStarted);
    assert_eq!(says(&first), ["Из какого вы города?"]);
    assert!(matches!(
        first.actions.last(),
        Some(Action::Listen { timeout_ms: 7000 })
    ));
    let second = step(&first.state, utterance("казань"));
    assert_eq!(says(&second), ["Спасибо, казань!"]);
    assert!(matches!(second.actions.last(), Some(Action::Hangup { reason }) if reason == "done"));
    let Some(Action::Qualification(q)) = second.actions.first() else {
        panic!("the record comes first")
    };
    assert_eq!(
        (q.score, q.slots["city"].utterance.as_str()),
        (50, "казань")
    );
    // The state keeps the same record (written once, copied into the action).
    let kept: sva_abi::Qualification =
        serde_json::from_value(second.state.to_value()["record"].clone()).unwrap();
    assert_eq!(&kept, q);
    // A step that leaves the record as it was sends no record.
    let sends_record = |out: &StepOutput| {
        out.actions
            .iter()
            .any(|a| matches!(a, Action::Qualification(_)))
    };
    assert!(!sends_record(&first), "{first:?}");
    let again = step(&first.state, Event::NoInput);
    assert!(!sends_record(&again), "{again:?}");
}

#[test]
fn a_knowledge_request_resumes_where_it_was_asked() {
    let first = step(&sva_abi::State::null(), Event::CallStarted);
    let asked = step(&first.state, utterance("а доставка есть"));
    let Some(Action::Retrieve(request)) = asked.actions.last() else {
        panic!("{:?}", asked.actions)
    };
    assert_eq!(request.query, "а доставка есть");
    let hit = Hit {
        text: "Доставка бесплатная.".into(),
        score: 1.0,
        source: HitSource {
            document: "d.md".into(),
            heading: String::new(),
        },
    };
    let answered = step(
        &asked.state,
        Event::RetrieveResult {
            id: request.id.clone(),
            hits: vec![hit],
        },
    );
    assert_eq!(
        says(&answered),
        ["Доставка бесплатная.", "Из какого вы города?"]
    );
    // A stray result with nothing asked is ignored.
    let stray = step(
        &answered.state,
        Event::RetrieveResult {
            id: "x".into(),
            hits: vec![],
        },
    );
    assert!(says(&stray).is_empty());
}

#[test]
fn global_handlers_fire_from_any_node() {
    let first = step(&sva_abi::State::null(), Event::CallStarted);
    let repeated = step(&first.state, utterance("повторите пожалуйста"));
    assert_eq!(says(&repeated), ["Из какого вы города?"]);
    let silent = step(&repeated.state, Event::NoInput);
    assert_eq!(says(&silent), ["Алло?", "Из какого вы города?"]);
    let silent_again = step(&silent.state, Event::NoInput);
    assert!(matches!(
        silent_again.actions.last(),
        Some(Action::Hangup { .. })
    ));
}

#[test]
fn malformed_input_gets_a_phrase_not_a_panic() {
    for garbage in [
        &b"{"[..],
        b"",
        b"\xff\xfe",
        br#"{"abi":1,"state":{"node":"ask"},"event":{"type":"nope"}}"#,
        // No state at all is malformed too, not the start of a call.
        br#"{"abi":1,"event":{"type":"call_started"},"context":{"now":"2026-11-25T12:00:00+03:00"}}"#,
    ] {
        let out = run_step::<Toy>(garbage);
        let out =
            sva_abi::validate_output(&out, &Default::default()).expect("still a valid output");
        assert!(matches!(out.actions.last(), Some(Action::Listen { .. })));
        assert_eq!(
            says(&out),
            ["Извините, не расслышала. Повторите, пожалуйста."],
            "{}",
            String::from_utf8_lossy(garbage)
        );
    }
    let kept = run_step::<Toy>(br#"{"abi":1,"state":{"node":"ask"},"event":{"type":"nope"}}"#);
    let kept: StepOutput = serde_json::from_slice(&kept).unwrap();
    assert_eq!(
        kept.state,
        json!({"node": "ask"}),
        "the readable state is kept"
    );
}

/// A step traced: the nodes it passed through, as `sva_trace` reports them.
fn traced(state: &sva_abi::State, event: Event) -> (StepOutput, Vec<String>) {
    let input = StepInput {
        abi: 1,
        state: state.clone(),
        event,
        context: Context {
            now: "2026-11-25T12:00:00+03:00".into(),
            ..Context::default()
        },
    };
    let (out, trace) = sva_sdk::run_step_traced::<Toy>(&serde_json::to_vec(&input).unwrap());
    let out = sva_abi::validate_output(&out, &Default::default()).expect("valid");
    (out, trace.path)
}

#[test]
fn each_step_reports_the_nodes_it_passed_and_the_manifest_the_graph() {
    let (first, path) = traced(&sva_abi::State::null(), Event::CallStarted);
    assert_eq!(path, ["ask"], "a call starts by entering the start node");
    let (asked, path) = traced(&first.state, utterance("а доставка есть"));
    assert_eq!(
        path,
        ["ask", "lookup"],
        "resumed at ask, digressed to lookup"
    );
    let Some(Action::Retrieve(request)) = asked.actions.last() else {
        panic!("{:?}", asked.actions)
    };
    let (answered, path) = traced(
        &asked.state,
        Event::RetrieveResult {
            id: request.id.clone(),
            hits: vec![],
        },
    );
    assert_eq!(
        path,
        ["lookup", "ask"],
        "the knowledge resumed lookup, which returned"
    );
    let (_, path) = traced(&answered.state, utterance("казань"));
    assert_eq!(path, ["ask", "bye"]);
    let edges: Vec<(String, String)> = sva_abi::StepTrace { path }
        .edges()
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect();
    assert_eq!(edges, [("ask".to_owned(), "bye".to_owned())]);

    let manifest = sva_sdk::manifest_of::<Toy>();
    let graph = manifest.graph.expect("the SDK adds the graph");
    assert_eq!(graph.start, "ask");
    assert_eq!(graph.nodes, ["ask", "lookup", "bye"]);
}
