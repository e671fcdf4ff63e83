//! The host's own time per `llm` request, the provider excluded:
//! `cargo bench -p sva-llm --bench overhead`. The figure is in docs/performance.md.
//!
//! One request is what `Models::ask` does around the network: the guards' admission,
//! the prompt, the request body written, a provider's answer read, the answer checked
//! (the scenario's schema compiled and applied, or the phrase's grounding), the guards'
//! bookkeeping. Each is timed alone over many requests; p50, p99 and max are printed for
//! an `understand` and a `phrase`. A second part times the whole `Models::ask` against
//! the in-process stand-in answering at once over loopback HTTP, to show what the
//! transport adds.

use serde_json::{Value, json};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};
use sva_abi::{Command, LlmRequest, LlmTask, ModelTier, Phrase, Understand};
use sva_llm::standin::{Reply, StandIn};
use sva_llm::{Ask, AuthScheme, Guards, Limits, Models, Provider, ProviderConfig, Templates};

const RUNS: usize = 20_000;

fn understand() -> LlmRequest {
    let Value::Object(schema) = json!({
        "type": "object",
        "properties": {
            "amount": {"type": "integer", "minimum": 0},
            "currency": {"enum": ["RUB", "USD"]},
            "approximate": {"type": "boolean"},
        },
        "additionalProperties": false,
    }) else {
        unreachable!()
    };
    LlmRequest {
        id: "u1".into(),
        task: LlmTask::Understand(Understand {
            text: "ну где-то как у соседей, лям наверное, может полтора".into(),
            question: "На какой бюджет вы ориентируетесь?".into(),
            commands: ["budget", "timeline", "question", "transfer", "unclear"]
                .iter()
                .map(|n| Command {
                    name: (*n).into(),
                    description: format!("когда звонящий говорит о {n}"),
                })
                .collect(),
            values: Some(schema),
        }),
        tier: ModelTier::Lite,
        max_ms: 800,
        max_tokens: 100,
    }
}

fn phrase() -> LlmRequest {
    LlmRequest {
        id: "p1".into(),
        task: LlmTask::Phrase(Phrase {
            text: "а сколько стоит доставка до казани и за сколько привезёте".into(),
            facts: vec![
                "Доставка по Москве — 1 день, 500 ₽. По России — от 3 до 7 дней транспортной компанией, \
                 стоимость по тарифам перевозчика, в среднем 1 500 ₽ до Казани."
                    .into(),
                "Самовывоз со склада в Подольске бесплатно, с 9:00 до 18:00 по будням.".into(),
            ],
            max_chars: 300,
        }),
        tier: ModelTier::Pro,
        max_ms: 800,
        max_tokens: 120,
    }
}

fn answer_of(request: &LlmRequest) -> &'static str {
    match request.task {
        LlmTask::Understand(_) => {
            r#"{"command":"budget","values":{"amount":1500000,"currency":"RUB","approximate":true}}"#
        }
        LlmTask::Phrase(_) => {
            r#"{"text":"До Казани доставка займёт от 3 до 7 дней и обойдётся в среднем в 1 500 ₽."}"#
        }
    }
}

fn provider_body(content: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "id": "c", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 300, "completion_tokens": 30, "total_tokens": 330},
    }))
    .unwrap()
}

fn report(name: &str, mut times: Vec<Duration>) {
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    println!(
        "{name:<40} p50 {:>8.1} µs   p99 {:>8.1} µs   max {:>8.1} µs",
        at(0.5).as_secs_f64() * 1e6,
        at(0.99).as_secs_f64() * 1e6,
        times[times.len() - 1].as_secs_f64() * 1e6
    );
}

fn host_alone(request: &LlmRequest) -> Vec<Duration> {
    let provider = Provider::new(ProviderConfig::yandex(
        "folder",
        sva_kit::config::Secret::new("k"),
    ))
    .unwrap();
    let guards = Guards::new();
    let templates = Templates::default();
    let body = provider_body(answer_of(request));
    let mut times = Vec::with_capacity(RUNS);
    for i in 0..RUNS {
        let started = Instant::now();
        let pass = guards
            .admit(
                &format!("t{}", i % 50),
                Limits::default(),
                0,
                request.max_tokens,
                1,
            )
            .unwrap();
        sva_llm::answer::check_schema(&request.task).unwrap();
        let prompt = sva_llm::prompt::build(&request.task, &templates);
        let wire = serde_json::to_vec(&provider.request(&prompt, request.tier, request.max_tokens))
            .unwrap();
        let answer: async_openai::types::chat::CreateChatCompletionResponse =
            serde_json::from_slice(black_box(&body)).unwrap();
        let content = answer.choices[0].message.content.as_deref().unwrap();
        let result = sva_llm::answer::read(&request.id, &request.task, content).unwrap();
        pass.finish(sva_llm::Outcome::Answered, 330);
        black_box((wire, result));
        times.push(started.elapsed());
    }
    times
}

fn main() {
    // `cargo bench` passes `--bench`; anything else is ignored.
    for request in [understand(), phrase()] {
        let task = match request.task {
            LlmTask::Understand(_) => "understand",
            LlmTask::Phrase(_) => "phrase",
        };
        report(&format!("host alone, {task}"), host_alone(&request));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        for request in [understand(), phrase()] {
            let content = answer_of(&request).to_owned();
            let standin = StandIn::start(
                None,
                &[
                    "gpt://folder/yandexgpt-lite/latest",
                    "gpt://folder/yandexgpt/latest",
                ],
                Arc::new(move |_| Reply::Content(content.clone())),
            )
            .await
            .unwrap();
            let mut config = ProviderConfig::yandex("folder", sva_kit::config::Secret::new("k"));
            config.base_url = standin.base_url();
            config.key = None;
            config.auth = AuthScheme::Bearer;
            let models = Models::new(Provider::new(config).unwrap());
            let templates = Templates::default();
            let mut times = Vec::with_capacity(RUNS / 4);
            for i in 0..RUNS / 4 {
                let started = Instant::now();
                let asked = models
                    .ask(Ask {
                        tenant: &format!("t{}", i % 50),
                        request: &request,
                        call_tokens: 0,
                        turn_left: Duration::from_millis(1_200),
                        templates: &templates,
                        limits: Limits::default(),
                        day: 1,
                        provider: None,
                    })
                    .await;
                assert_eq!(
                    asked.result.status,
                    sva_abi::LlmStatus::Ok,
                    "{:?}",
                    asked.why
                );
                times.push(started.elapsed());
            }
            let task = match request.task {
                LlmTask::Understand(_) => "understand",
                LlmTask::Phrase(_) => "phrase",
            };
            report(&format!("Models::ask over loopback, {task}"), times);
        }
    });
}
