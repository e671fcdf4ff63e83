//! The language model from a scenario's side: a node asks only when the call was given
//! the capability, and the answer — or the reason there is none — resumes that node.

mod support;

use serde::{Deserialize, Serialize};
use serde_json::json;
use support::{says, utterance};
use sva_abi::{
    Action, Command, Event, LLM_CAPABILITY, LlmRequest, LlmResult, LlmStatus, LlmTask, Manifest,
    StepOutput, Understand,
};
use sva_sdk::{Ctx, Flow, Graph, Scenario};

struct Asking;

#[derive(Default, Serialize, Deserialize)]
struct State {}

fn understand(text: &str) -> Flow {
    Flow::Model(Box::new(LlmRequest {
        id: "city".into(),
        task: LlmTask::Understand(Understand {
            text: text.into(),
            question: "Из какого вы города?".into(),
            commands: vec![
                Command {
                    name: "city".into(),
                    description: "назван город".into(),
                },
                Command {
                    name: "unclear".into(),
                    description: String::new(),
                },
            ],
            values: None,
        }),
        tier: Default::default(),
        max_ms: 800,
        max_tokens: 50,
    }))
}

impl Scenario for Asking {
    type State = State;

    fn graph() -> Graph<State> {
        Graph::new("ask")
            .interrupt(
                "ask",
                |c| {
                    c.say("Из какого вы города?");
                    Flow::Wait
                },
                |c| {
                    if c.text().starts_with("из ") {
                        let city = c.text()[3..].to_owned();
                        c.set_slot("city", json!(city), 0.9);
                        return Flow::Goto("bye");
                    }
                    if c.can_ask_model() {
                        return understand(c.text());
                    }
                    c.say("Не поняла.");
                    Flow::Again
                },
            )
            .on_model("ask", |c, result: &LlmResult| {
                match (result.status, result.command.as_deref()) {
                    (LlmStatus::Ok, Some("city")) => Flow::Goto("bye"),
                    _ => {
                        c.say("Не поняла.");
                        Flow::Again
                    }
                }
            })
            .node("bye", |c| {
                c.say("Спасибо!");
                Flow::End("done")
            })
    }

    fn manifest() -> Manifest {
        Manifest {
            name: "asking".into(),
            version: "1".into(),
            abi: 1,
            description: String::new(),
            slots: vec!["city".into()],
            texts: vec![],
            capabilities: vec![LLM_CAPABILITY.into()],
            graph: None,
        }
    }

    fn score(_: &Ctx<'_, State>) -> u8 {
        0
    }
}

fn step(state: &sva_abi::State, event: Event, granted: bool) -> StepOutput {
    let capabilities: &[&str] = if granted { &[LLM_CAPABILITY] } else { &[] };
    support::step::<Asking>(state, event, capabilities)
}

#[test]
fn a_node_asks_the_model_only_when_the_call_may_and_resumes_with_its_answer() {
    let start = step(&sva_abi::State::null(), Event::CallStarted, true);
    // Not granted: the rules alone.
    let out = step(&start.state, utterance("ну там где море"), false);
    assert_eq!(says(&out), ["Не поняла.", "Из какого вы города?"]);
    assert!(!out.actions.iter().any(|a| matches!(a, Action::Llm(_))));
    // Granted: the step ends in the request.
    let asked = step(&start.state, utterance("ну там где море"), true);
    assert!(matches!(asked.actions.last(), Some(Action::Llm(r)) if r.id == "city"));
    // The answer resumes the node that asked.
    let ok = LlmResult {
        command: Some("city".into()),
        ..LlmResult::failed("city", LlmStatus::Ok)
    };
    let done = step(&asked.state, Event::LlmResult(ok), true);
    assert_eq!(says(&done), ["Спасибо!"]);
    // Without an answer the scenario does what it would without a model.
    let late = step(
        &asked.state,
        Event::LlmResult(LlmResult::failed("city", LlmStatus::Timeout)),
        true,
    );
    assert_eq!(says(&late), ["Не поняла.", "Из какого вы города?"]);
}

#[test]
fn an_answer_nobody_asked_for_changes_nothing() {
    let start = step(&sva_abi::State::null(), Event::CallStarted, true);
    let stray = LlmResult {
        command: Some("city".into()),
        ..LlmResult::failed("city", LlmStatus::Ok)
    };
    let out = step(&start.state, Event::LlmResult(stray), true);
    assert!(says(&out).is_empty());
    assert!(matches!(out.actions.last(), Some(Action::Listen { .. })));
}
