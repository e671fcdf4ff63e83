//! The step loop of one turn.

use crate::language::{Asked, Language, ModelUsage};
use crate::{Knowledge, Retrieved, StepFailure, Stepper};
use std::future::Future;
use std::pin::pin;
use std::task::Poll;
use sva_abi::{
    ABI_VERSION, Action, Context, Event, Hit, LLM_CAPABILITY, Limits, LlmRequest, LlmResult,
    LlmStatus, LlmTask, RetrieveAnswer, RetrieveRequest, StepInput,
};

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
    /// The language-model requests answered during the turn, for the call record and
    /// the bill.
    pub model_calls: Vec<ModelCall>,
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

/// An `llm` request and how it was answered.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelCall {
    /// The request's `id`.
    pub id: String,
    /// `understand` or `phrase`.
    pub task: &'static str,
    /// The answer's status.
    pub status: LlmStatus,
    /// Tokens and time, when the provider was asked.
    pub usage: Option<ModelUsage>,
    /// Why the status is not `ok`.
    pub why: Option<String>,
}

/// Runs one turn: steps the scenario with `event`, answers its requests, and returns
/// the actions to carry out. Never fails: a broken step turns into the fallback phrase
/// and `state` is kept.
///
/// Steps run in place (see [`Stepper`]); the turn awaits only the capabilities the
/// scenario asks for. The caller bounds the whole turn with one deadline: dropping the
/// future cancels a request in flight.
pub async fn run_turn<S, K, L>(
    stepper: &S,
    knowledge: &K,
    language: &L,
    options: &TurnOptions,
    state: &sva_abi::State,
    event: Event,
    context: &Context,
) -> Turn
where
    S: Stepper + Sync + ?Sized,
    K: Knowledge + ?Sized,
    L: Language + ?Sized,
{
    let mut actions = Vec::new();
    let mut retrievals = Vec::new();
    let mut model_calls = Vec::new();
    let may_ask = context.capabilities.iter().any(|c| c == LLM_CAPABILITY);
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
            Err(failure) => {
                return fallback_with(options, state, steps, retrievals, model_calls, failure);
            }
        };
        let mut step_actions = output.actions;
        let (asked_knowledge, asked_model) = requests(&mut step_actions);
        let closing = match (&asked_knowledge, &asked_model) {
            (None, None) => step_actions.pop(),
            _ => None,
        };
        if step_actions.iter().any(|a| a.directive().is_some()) {
            let failure = StepFailure::new(
                "bad_output",
                "a directive before the end of the step's actions",
            );
            return fallback_with(options, state, steps, retrievals, model_calls, failure);
        }
        let event = match (asked_knowledge, asked_model) {
            (None, None) => match closing {
                Some(last) if last.directive().is_some() => {
                    actions.extend(step_actions);
                    actions.push(last);
                    return Turn {
                        state: output.state,
                        actions,
                        steps,
                        retrievals,
                        model_calls,
                        failure: None,
                    };
                }
                _ => {
                    let failure = StepFailure::new(
                        "bad_output",
                        "the step's actions do not end with listen, transfer, hangup, retrieve or llm",
                    );
                    return fallback_with(options, state, steps, retrievals, model_calls, failure);
                }
            },
            (Some(request), None) => {
                let retrieval = retrieve(knowledge, &context.tenant, request).await;
                let event = Event::RetrieveResult {
                    id: retrieval.request.id.clone(),
                    hits: retrieval.hits.clone(),
                };
                retrievals.push(retrieval);
                event
            }
            (None, Some(request)) => {
                let asked = ask(language, may_ask, &request).await;
                let event = Event::LlmResult(asked.result.clone());
                model_calls.push(model_call(&request, asked));
                event
            }
            (Some(r), Some(l)) => {
                let (retrieval, mut asked) = join(
                    retrieve(knowledge, &context.tenant, r),
                    ask(language, may_ask, &l),
                )
                .await;
                asked.result.retrieve = Some(RetrieveAnswer {
                    id: retrieval.request.id.clone(),
                    hits: retrieval.hits.clone(),
                });
                let event = Event::LlmResult(asked.result.clone());
                retrievals.push(retrieval);
                model_calls.push(model_call(&l, asked));
                event
            }
        };
        actions.extend(step_actions);
        input = StepInput {
            abi: ABI_VERSION,
            state: output.state,
            event,
            context: context.clone(),
        };
    }
    let failure = StepFailure::new(
        "too_many_steps",
        format!("the scenario asked for more than {max_steps} steps in one turn"),
    );
    fallback_with(options, state, max_steps, retrievals, model_calls, failure)
}

/// Takes the requests that end a step's actions: a `retrieve`, an `llm`, or one of each
/// (in either order).
fn requests(actions: &mut Vec<Action>) -> (Option<RetrieveRequest>, Option<LlmRequest>) {
    let (mut retrieve, mut llm) = (None, None);
    for _ in 0..2 {
        match actions.last() {
            Some(Action::Retrieve(_)) if retrieve.is_none() => {
                if let Some(Action::Retrieve(r)) = actions.pop() {
                    retrieve = Some(r);
                }
            }
            Some(Action::Llm(_)) if llm.is_none() => {
                if let Some(Action::Llm(l)) = actions.pop() {
                    llm = Some(l);
                }
            }
            _ => break,
        }
    }
    (retrieve, llm)
}

/// Asks the knowledge base; a failure is no hits.
async fn retrieve<K: Knowledge + ?Sized>(
    knowledge: &K,
    tenant: &sva_abi::TenantContext,
    request: RetrieveRequest,
) -> Retrieval {
    let (hits, error, embedding_tokens) = match knowledge.retrieve_for(tenant, &request).await {
        Ok(Retrieved {
            mut hits,
            embedding_tokens,
        }) => {
            hits.truncate(request.top_k as usize);
            (hits, None, embedding_tokens)
        }
        Err(e) => (Vec::new(), Some(e.to_string()), 0),
    };
    Retrieval {
        request,
        hits,
        error,
        embedding_tokens,
    }
}

/// Asks the model, if the call was given it; otherwise `unavailable` without asking.
async fn ask<L: Language + ?Sized>(language: &L, may_ask: bool, request: &LlmRequest) -> Asked {
    if may_ask {
        language.ask(request).await
    } else {
        Asked {
            result: LlmResult::failed(request.id.clone(), LlmStatus::Unavailable),
            usage: None,
            why: Some("the llm capability was not granted to this call".into()),
        }
    }
}

fn model_call(request: &LlmRequest, asked: Asked) -> ModelCall {
    ModelCall {
        id: request.id.clone(),
        task: match request.task {
            LlmTask::Understand(_) => "understand",
            LlmTask::Phrase(_) => "phrase",
        },
        status: asked.result.status,
        usage: asked.usage,
        why: asked.why,
    }
}

/// Both futures to completion, polled together (a knowledge search and a model request
/// of the same step run at once).
async fn join<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut ra, mut rb) = (None, None);
    std::future::poll_fn(move |cx| {
        if ra.is_none()
            && let Poll::Ready(v) = a.as_mut().poll(cx)
        {
            ra = Some(v);
        }
        if rb.is_none()
            && let Poll::Ready(v) = b.as_mut().poll(cx)
        {
            rb = Some(v);
        }
        match (ra.take(), rb.take()) {
            (Some(x), Some(y)) => Poll::Ready((x, y)),
            (x, y) => {
                ra = x;
                rb = y;
                Poll::Pending
            }
        }
    })
    .await
}

/// Runs a turn whose knowledge base answers without waiting (canned passages, or none):
/// scripted dialogs and the CLI's scenario runner, which have no async runtime. `None`
/// when the knowledge base did wait (it is not one of those).
pub fn run_turn_now<S, K, L>(
    stepper: &S,
    knowledge: &K,
    language: &L,
    options: &TurnOptions,
    state: &sva_abi::State,
    event: Event,
    context: &Context,
) -> Option<Turn>
where
    S: Stepper + Sync + ?Sized,
    K: Knowledge + ?Sized,
    L: Language + ?Sized,
{
    let turn = pin!(run_turn(
        stepper, knowledge, language, options, state, event, context
    ));
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
        model_calls: Vec::new(),
        failure: Some(failure),
    }
}

/// [`fallback`], keeping the model requests already made (their tokens are billed).
fn fallback_with(
    options: &TurnOptions,
    state: &sva_abi::State,
    steps: usize,
    retrievals: Vec<Retrieval>,
    model_calls: Vec<ModelCall>,
    failure: StepFailure,
) -> Turn {
    Turn {
        model_calls,
        ..fallback(options, state, steps, retrievals, failure)
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
            &crate::NoLanguage,
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
            &crate::NoLanguage,
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
            &crate::NoLanguage,
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
            &crate::NoLanguage,
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
            &crate::NoLanguage,
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
            &crate::NoLanguage,
            &TurnOptions::default(),
            &json!(null).into(),
            Event::CallStarted,
            &context(),
        )
        .expect("nothing waits");
        assert_eq!(turn.failure.map(|f| f.code), Some("bad_output".to_owned()));
    }

    mod llm {
        use super::*;
        use crate::{Asked, Language, ModelUsage};
        use std::sync::atomic::{AtomicBool, Ordering};
        use sva_abi::{Command, LlmStatus, Understand};

        /// Asks the model what an utterance means (and, for "и доставка", the knowledge
        /// base at the same time); says what came back.
        fn understanding(input: &StepInput) -> Result<StepOutput, StepFailure> {
            let llm = |text: &str| {
                Action::Llm(LlmRequest {
                    id: "m1".into(),
                    task: LlmTask::Understand(Understand {
                        text: text.into(),
                        question: String::new(),
                        commands: vec![Command {
                            name: "budget".into(),
                            description: String::new(),
                        }],
                        values: None,
                    }),
                    tier: Default::default(),
                    max_ms: 800,
                    max_tokens: 50,
                })
            };
            let actions = match &input.event {
                Event::Utterance { text, .. } if text.contains("доставка") => vec![
                    Action::Retrieve(RetrieveRequest {
                        id: "k1".into(),
                        query: text.clone(),
                        top_k: 1,
                    }),
                    llm(text),
                ],
                Event::Utterance { text, .. } if text == "два раза" => {
                    vec![llm(text), llm(text)]
                }
                Event::Utterance { text, .. } => vec![Action::say("Секунду."), llm(text)],
                Event::LlmResult(r) => {
                    let heard = match (&r.command, &r.retrieve) {
                        (Some(c), Some(k)) => format!("{c}: {}", k.hits[0].text),
                        (Some(c), None) => c.clone(),
                        (None, _) => format!("без модели ({:?})", r.status),
                    };
                    vec![Action::say(heard), Action::Listen { timeout_ms: 5000 }]
                }
                _ => vec![Action::Hangup {
                    reason: String::new(),
                }],
            };
            Ok(StepOutput {
                state: json!(null).into(),
                actions,
            })
        }

        struct Budget;
        #[async_trait::async_trait]
        impl Language for Budget {
            async fn ask(&self, request: &LlmRequest) -> Asked {
                Asked {
                    result: LlmResult {
                        command: Some("budget".into()),
                        ..LlmResult::failed(request.id.clone(), LlmStatus::Ok)
                    },
                    usage: Some(ModelUsage {
                        model: "lite".into(),
                        prompt_tokens: 120,
                        completion_tokens: 8,
                        latency_ms: 300,
                    }),
                    why: None,
                }
            }
        }

        fn granted() -> Context {
            let mut c = context();
            c.capabilities = vec![LLM_CAPABILITY.into()];
            c
        }

        fn turn_with<L: Language>(language: &L, text: &str, context: &Context) -> Turn {
            run_turn_now(
                &understanding,
                &OneFact,
                language,
                &TurnOptions::default(),
                &json!(null).into(),
                utterance(text),
                context,
            )
            .expect("nothing waits")
        }

        #[test]
        fn an_llm_request_is_answered_within_the_turn_and_billed() {
            let turn = turn_with(&Budget, "ну лям где-то", &granted());
            assert_eq!(says(&turn), ["Секунду.", "budget"]);
            assert_eq!(turn.steps, 2);
            assert_eq!(turn.model_calls.len(), 1);
            assert_eq!(turn.model_calls[0].task, "understand");
            assert_eq!(
                turn.model_calls[0].usage.as_ref().unwrap().prompt_tokens,
                120
            );
        }

        #[test]
        fn without_the_capability_the_model_is_not_asked() {
            let turn = turn_with(&Budget, "ну лям где-то", &context());
            assert_eq!(says(&turn), ["Секунду.", "без модели (Unavailable)"]);
            assert!(turn.model_calls[0].usage.is_none());
            let turn = turn_with(&crate::NoLanguage, "ну лям где-то", &granted());
            assert_eq!(says(&turn), ["Секунду.", "без модели (Unavailable)"]);
        }

        #[test]
        fn two_llm_requests_in_one_step_are_a_bad_output() {
            let turn = turn_with(&Budget, "два раза", &granted());
            assert_eq!(turn.failure.as_ref().unwrap().code, "bad_output");
            assert!(turn.model_calls.is_empty());
        }

        /// A knowledge base that cannot answer until the model has been asked, and a
        /// model that cannot answer until the knowledge base has: only if the two run at
        /// once does the turn finish.
        struct Gate(AtomicBool, AtomicBool);

        struct WaitFor<'a>(&'a AtomicBool);
        impl Future for WaitFor<'_> {
            type Output = ();
            fn poll(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<()> {
                if self.0.load(Ordering::SeqCst) {
                    Poll::Ready(())
                } else {
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
            }
        }

        #[async_trait::async_trait]
        impl Knowledge for Gate {
            async fn retrieve(
                &self,
                tenant: &str,
                request: &RetrieveRequest,
            ) -> Result<Retrieved, KnowledgeError> {
                self.0.store(true, Ordering::SeqCst);
                WaitFor(&self.1).await;
                OneFact.retrieve(tenant, request).await
            }
        }

        #[async_trait::async_trait]
        impl Language for Gate {
            async fn ask(&self, request: &LlmRequest) -> Asked {
                self.1.store(true, Ordering::SeqCst);
                WaitFor(&self.0).await;
                Budget.ask(request).await
            }
        }

        #[test]
        fn a_retrieve_and_an_llm_of_one_step_run_at_once() {
            let gate = Gate(AtomicBool::new(false), AtomicBool::new(false));
            let context = granted();
            let options = TurnOptions::default();
            let state = json!(null).into();
            let mut turn = pin!(run_turn(
                &understanding,
                &gate,
                &gate,
                &options,
                &state,
                utterance("а доставка"),
                &context,
            ));
            let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
            let turn = (0..100)
                .find_map(|_| match turn.as_mut().poll(&mut cx) {
                    Poll::Ready(t) => Some(t),
                    Poll::Pending => None,
                })
                .expect("both requests were in flight together");
            assert_eq!(says(&turn), ["budget: Доставка бесплатная."]);
            assert_eq!(turn.retrievals.len(), 1);
            assert_eq!(turn.model_calls.len(), 1);
        }
    }
}
