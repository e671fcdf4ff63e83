//! The step loop of one turn.

use crate::{Knowledge, Retrieved, StepFailure, Stepper};
use std::future::Future as _;
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
/// the actions to carry out. Never fails: a broken step turns into the fallback phrase
/// and `state` is kept.
///
/// Steps run in place (see [`Stepper`]); the turn awaits only the capabilities the
/// scenario asks for. The caller bounds the whole turn with one deadline: dropping the
/// future cancels a request in flight.
pub async fn run_turn<S, K>(
    stepper: &S,
    knowledge: &K,
    options: &TurnOptions,
    state: &sva_abi::State,
    event: Event,
    context: &Context,
) -> Turn
where
    S: Stepper + Sync + ?Sized,
    K: Knowledge + ?Sized,
{
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
                    match knowledge.retrieve_for(&context.tenant, &request).await {
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

/// Runs a turn whose knowledge base answers without waiting (canned passages, or none):
/// scripted dialogs and the CLI's scenario runner, which have no async runtime. `None`
/// when the knowledge base did wait (it is not one of those).
pub fn run_turn_now<S, K>(
    stepper: &S,
    knowledge: &K,
    options: &TurnOptions,
    state: &sva_abi::State,
    event: Event,
    context: &Context,
) -> Option<Turn>
where
    S: Stepper + Sync + ?Sized,
    K: Knowledge + ?Sized,
{
    let turn = std::pin::pin!(run_turn(stepper, knowledge, options, state, event, context));
    match turn.poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
        std::task::Poll::Ready(turn) => Some(turn),
        std::task::Poll::Pending => None,
    }
}

/// The answer to a turn that did not come off: the fallback phrase, a `listen`, and the
/// state from before the turn. Also what a host answers when the turn's deadline passes.
pub fn fallback(
    options: &TurnOptions,
    state: &sva_abi::State,
    steps: usize,
    retrievals: Vec<Retrieval>,
    failure: StepFailure,
) -> Turn {
    Turn {
        state: state.clone(),
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
    #[async_trait::async_trait]
    impl Knowledge for OneFact {
        async fn retrieve(
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
        let turn = run_turn_now(
            &asking,
            &OneFact,
            &opts,
            &json!(null).into(),
            utterance("а доставка"),
            &context(),
        )
        .expect("nothing waits");
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
        let turn = run_turn_now(
            &asking,
            &OneFact,
            &opts,
            &json!(null).into(),
            utterance("цены"),
            &context(),
        )
        .expect("nothing waits");
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
        let turn = run_turn_now(
            &broken,
            &NoKnowledge,
            &opts,
            &json!({"keep": 1}).into(),
            utterance("да"),
            &context(),
        )
        .expect("nothing waits");
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
        let turn = run_turn_now(
            &greedy,
            &NoKnowledge,
            &opts,
            &json!(null).into(),
            utterance("да"),
            &context(),
        )
        .expect("nothing waits");
        assert_eq!(turn.steps, opts.limits.max_steps_per_turn);
        assert_eq!(
            turn.failure.map(|f| f.code),
            Some("too_many_steps".to_owned())
        );
        assert!(matches!(turn.actions.last(), Some(Action::Listen { .. })));
    }

    #[test]
    fn a_knowledge_base_that_waits_is_not_run_in_place() {
        struct Waits;
        #[async_trait::async_trait]
        impl Knowledge for Waits {
            async fn retrieve(
                &self,
                _: &str,
                _: &RetrieveRequest,
            ) -> Result<Retrieved, KnowledgeError> {
                std::future::pending().await
            }
        }
        let opts = TurnOptions::default();
        let state = json!(null).into();
        let turn = run_turn_now(
            &asking,
            &Waits,
            &opts,
            &state,
            utterance("а доставка"),
            &context(),
        );
        assert!(turn.is_none(), "the caller needs a runtime for this one");
    }

    #[test]
    fn output_without_a_directive_is_a_failure() {
        let mute = |input: &StepInput| -> Result<StepOutput, String> {
            Ok(StepOutput {
                state: input.state.clone(),
                actions: vec![Action::say("а дальше?")],
            })
        };
        let turn = run_turn_now(
            &mute,
            &NoKnowledge,
            &TurnOptions::default(),
            &json!(null).into(),
            Event::CallStarted,
            &context(),
        )
        .expect("nothing waits");
        assert_eq!(turn.failure.map(|f| f.code), Some("bad_output".to_owned()));
    }
}
