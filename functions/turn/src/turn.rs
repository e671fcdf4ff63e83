//! The step loop of one turn.

use crate::{Knowledge, Retrieved, StepFailure, Stepper};
use sva_abi::{ABI_VERSION, Action, Context, Event, Hit, Limits, RetrieveRequest, StepInput};

/// How a turn behaves when things go wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnOptions {
    /// Step and size limits; only `max_steps_per_turn` is used here, the rest by the stepper.
    pub limits: Limits,
    /// What the caller hears when the scenario fails this turn (the tenant's setting).
    pub fallback_phrase: String,
    /// How long to listen after the fallback phrase, in milliseconds.
    pub fallback_listen_ms: u32,
}

impl Default for TurnOptions {
    fn default() -> Self {
        TurnOptions {
            limits: Limits::default(),
            fallback_phrase:
                "Извините, у меня небольшая заминка. Повторите, пожалуйста, что вы сказали?"
                    .to_owned(),
            fallback_listen_ms: 7000,
        }
    }
}

/// What one turn produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    /// The state to hand back on the next turn (the previous one if the turn failed).
    pub state: sva_abi::State,
    /// What the telephony and the host do now, in order; ends with listen, transfer or
    /// hangup. Requests answered inside the turn are not included.
    pub actions: Vec<Action>,
    /// How many scenario steps the turn took.
    pub steps: usize,
    /// The knowledge requests answered during the turn, for the call record.
    pub retrievals: Vec<Retrieval>,
    /// Set when the scenario failed and the caller heard the fallback phrase.
    pub failure: Option<StepFailure>,
}

/// A retrieve request and what the knowledge base answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Retrieval {
    /// The scenario's request.
    pub request: RetrieveRequest,
    /// The passages given back to the scenario.
    pub hits: Vec<Hit>,
    /// Set when the knowledge base failed (the scenario then got no hits).
    pub error: Option<String>,
    /// Tokens spent embedding the question.
    pub embedding_tokens: u64,
}

/// Runs one turn: steps the scenario with `event`, answers its requests, and returns
/// the actions to carry out. Never fails: a broken step turns into the fallback phrase.
pub fn run_turn(
    stepper: &(impl Stepper + ?Sized),
    knowledge: &(impl Knowledge + ?Sized),
    options: &TurnOptions,
    state: sva_abi::State,
    event: Event,
    context: &Context,
) -> Turn {
    let mut actions = Vec::new();
    let mut retrievals = Vec::new();
    let mut input = StepInput {
        abi: ABI_VERSION,
        state: state.clone(),
        event,
        context: context.clone(),
    };
    let max_steps = options.limits.max_steps_per_turn.max(1);
    for steps in 1..=max_steps {
        let output = match stepper.step(&input) {
            Ok(output) => output,
            Err(failure) => return fallback(options, state, steps, retrievals, failure),
        };
        let mut step_actions = output.actions;
        match step_actions.pop() {
            Some(Action::Retrieve(request)) => {
                actions.extend(step_actions);
                let (hits, error, embedding_tokens) =
                    match knowledge.retrieve(&context.tenant.id, &request) {
                        Ok(Retrieved {
                            mut hits,
                            embedding_tokens,
                        }) => {
                            hits.truncate(request.top_k as usize);
                            (hits, None, embedding_tokens)
                        }
                        Err(e) => (Vec::new(), Some(e.to_string()), 0),
                    };
                input = StepInput {
                    abi: ABI_VERSION,
                    state: output.state,
                    event: Event::RetrieveResult {
                        id: request.id.clone(),
                        hits: hits.clone(),
                    },
                    context: context.clone(),
                };
                retrievals.push(Retrieval {
                    request,
                    hits,
                    error,
                    embedding_tokens,
                });
            }
            Some(last) if last.directive().is_some() => {
                actions.extend(step_actions);
                actions.push(last);
                return Turn {
                    state: output.state,
                    actions,
                    steps,
                    retrievals,
                    failure: None,
                };
            }
            _ => {
                let failure = StepFailure::new(
                    "bad_output",
                    "the step's actions do not end with listen, transfer, hangup or retrieve",
                );
                return fallback(options, state, steps, retrievals, failure);
            }
        }
    }
    let failure = StepFailure::new(
        "too_many_steps",
        format!("the scenario asked for more than {max_steps} steps in one turn"),
    );
    fallback(options, state, max_steps, retrievals, failure)
}

fn fallback(
    options: &TurnOptions,
    state: sva_abi::State,
    steps: usize,
    retrievals: Vec<Retrieval>,
    failure: StepFailure,
) -> Turn {
    Turn {
        state,
        actions: vec![
            Action::say(options.fallback_phrase.clone()),
            Action::Listen {
                timeout_ms: options.fallback_listen_ms,
            },
        ],
        steps,
        retrievals,
        failure: Some(failure),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{KnowledgeError, NoKnowledge};
    use serde_json::json;
    use sva_abi::{HitSource, StepOutput};

    /// A scenario that asks for knowledge on every utterance and speaks the first hit.
    fn asking(input: &StepInput) -> Result<StepOutput, StepFailure> {
        let n = input
            .state
            .to_value()
            .get("n")
            .and_then(|v| v.as_u64())
            .unwrap_or(0)
            + 1;
        let actions = match &input.event {
            Event::Utterance { text, .. } => vec![
                Action::say("Секунду."),
                Action::Retrieve(RetrieveRequest {
                    id: format!("q{n}"),
                    query: text.clone(),
                    top_k: 1,
                }),
            ],
            Event::RetrieveResult { hits, .. } => vec![
                Action::say(hits.first().map_or("Не знаю.", |h| h.text.as_str())),
                Action::Listen { timeout_ms: 5000 },
            ],
            _ => vec![Action::Hangup {
                reason: String::new(),
            }],
        };
        Ok(StepOutput {
            state: json!({ "n": n }).into(),
            actions,
        })
    }

    struct OneFact;
    impl Knowledge for OneFact {
        fn retrieve(
            &self,
            tenant: &str,
            request: &RetrieveRequest,
        ) -> Result<Retrieved, KnowledgeError> {
            assert_eq!(tenant, "t1");
            let hit = |text: &str| Hit {
                text: text.to_owned(),
                score: 1.0,
                source: HitSource {
                    document: "faq.md".into(),
                    heading: String::new(),
                },
            };
            if request.query.contains("доставка") {
                Ok(Retrieved {
                    hits: vec![hit("Доставка бесплатная."), hit("Лишнее.")],
                    embedding_tokens: 4,
                })
            } else {
                Err(KnowledgeError("down".into()))
            }
        }
    }

    fn context() -> Context {
        let mut c = Context::default();
        c.tenant.id = "t1".into();
        c
    }

    fn utterance(text: &str) -> Event {
        Event::Utterance {
            text: text.into(),
            confidence: 1.0,
        }
    }

    fn says(turn: &Turn) -> Vec<&str> {
        turn.actions
            .iter()
            .filter_map(|a| match a {
                Action::Say(s) => Some(s.text.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_retrieve_is_answered_within_the_turn() {
        let opts = TurnOptions::default();
        let turn = run_turn(
            &asking,
            &OneFact,
            &opts,
            json!(null).into(),
            utterance("а доставка"),
            &context(),
        );
        assert_eq!(turn.steps, 2);
        assert_eq!(says(&turn), ["Секунду.", "Доставка бесплатная."]);
        assert_eq!(turn.retrievals[0].hits.len(), 1, "top_k is honoured");
        assert_eq!(
            turn.retrievals[0].embedding_tokens, 4,
            "what the lookup cost is kept"
        );
        assert!(matches!(turn.actions.last(), Some(Action::Listen { .. })));
        assert_eq!(turn.state, json!({ "n": 2 }));
        assert!(turn.failure.is_none());
    }

    #[test]
    fn a_failing_knowledge_base_means_no_hits_not_a_failed_turn() {
        let opts = TurnOptions::default();
        let turn = run_turn(
            &asking,
            &OneFact,
            &opts,
            json!(null).into(),
            utterance("цены"),
            &context(),
        );
        assert_eq!(says(&turn), ["Секунду.", "Не знаю."]);
        assert_eq!(
            turn.retrievals[0].error.as_deref(),
            Some("knowledge base unavailable: down")
        );
        assert!(turn.failure.is_none());
    }

    #[test]
    fn a_failed_step_speaks_the_fallback_and_keeps_the_state() {
        let broken = |_: &StepInput| -> Result<StepOutput, StepFailure> {
            Err(StepFailure::new("out_of_fuel", "step ran out of fuel"))
        };
        let opts = TurnOptions {
            fallback_phrase: "Минутку.".into(),
            ..TurnOptions::default()
        };
        let turn = run_turn(
            &broken,
            &NoKnowledge,
            &opts,
            json!({"keep": 1}).into(),
            utterance("да"),
            &context(),
        );
        assert_eq!(says(&turn), ["Минутку."]);
        assert_eq!(turn.state, json!({"keep": 1}));
        assert_eq!(turn.failure.map(|f| f.code), Some("out_of_fuel".to_owned()));
    }

    #[test]
    fn endless_requests_are_cut_at_the_step_limit() {
        let greedy = |input: &StepInput| -> Result<StepOutput, String> {
            Ok(StepOutput {
                state: input.state.clone(),
                actions: vec![Action::Retrieve(RetrieveRequest {
                    id: "x".into(),
                    query: "ещё".into(),
                    top_k: 1,
                })],
            })
        };
        let opts = TurnOptions::default();
        let turn = run_turn(
            &greedy,
            &NoKnowledge,
            &opts,
            json!(null).into(),
            utterance("да"),
            &context(),
        );
        assert_eq!(turn.steps, opts.limits.max_steps_per_turn);
        assert_eq!(
            turn.failure.map(|f| f.code),
            Some("too_many_steps".to_owned())
        );
        assert!(matches!(turn.actions.last(), Some(Action::Listen { .. })));
    }

    #[test]
    fn output_without_a_directive_is_a_failure() {
        let mute = |input: &StepInput| -> Result<StepOutput, String> {
            Ok(StepOutput {
                state: input.state.clone(),
                actions: vec![Action::say("а дальше?")],
            })
        };
        let turn = run_turn(
            &mute,
            &NoKnowledge,
            &TurnOptions::default(),
            json!(null).into(),
            Event::CallStarted,
            &context(),
        );
        assert_eq!(turn.failure.map(|f| f.code), Some("bad_output".to_owned()));
    }
}
