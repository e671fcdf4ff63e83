//! Running a step: input JSON in, output JSON out; and the module exports' helpers.

use crate::graph::Flow;
use crate::{Ctx, Envelope, Graph, Scenario};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sva_abi::{Action, Context, Event, Qualification, RetrieveRequest, StepOutput};

/// The input document. The state is read straight into the envelope (`T` is
/// `Option<Envelope<_>>`) in one pass; only a state this scenario cannot read is taken
/// apart a second time (`T` is `&RawValue`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Input<T> {
    #[allow(dead_code)]
    abi: i32,
    // Required even when `T` is an `Option` (serde would default a missing one to `None`).
    #[serde(
        deserialize_with = "T::deserialize",
        bound(deserialize = "T: Deserialize<'de>")
    )]
    state: T,
    event: Event,
    context: Context,
}

/// The output document, serialised straight from the envelope.
#[derive(Serialize)]
struct Output<'a, S: Serialize> {
    state: &'a Envelope<S>,
    actions: Actions<'a>,
}

/// The step's actions, led by the qualification record when the step changed it (written
/// from the envelope, not from a copy).
struct Actions<'a> {
    record: Option<&'a Qualification>,
    rest: &'a [Action],
}

/// [`Action::Qualification`] over a borrowed record: the same JSON.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum RecordAction<'a> {
    Qualification(&'a Qualification),
}

impl Serialize for Actions<'_> {
    fn serialize<Ser: serde::Serializer>(&self, serializer: Ser) -> Result<Ser::Ok, Ser::Error> {
        use serde::ser::SerializeSeq;
        let len = self.rest.len() + usize::from(self.record.is_some());
        let mut seq = serializer.serialize_seq(Some(len))?;
        if let Some(record) = self.record {
            seq.serialize_element(&RecordAction::Qualification(record))?;
        }
        for action in self.rest {
            seq.serialize_element(action)?;
        }
        seq.end()
    }
}

/// Runs one step of `S` on an input document and returns the output document.
///
/// Never panics on bad input: a malformed document yields the fallback phrase and a
/// `listen`, keeping whatever state could be read.
pub fn run_step<S: Scenario>(input: &[u8]) -> Vec<u8> {
    match std::str::from_utf8(input) {
        Ok(text) => run_step_str::<S>(text),
        Err(_) => unreadable(input),
    }
}

/// [`run_step`] on a document already known to be UTF-8 (the host guarantees it, so the
/// module's export skips a check that costs a tenth of a step in wasm).
pub fn run_step_str<S: Scenario>(input: &str) -> Vec<u8> {
    if let Ok(input) = serde_json::from_str::<Input<Option<Envelope<S::State>>>>(input) {
        return step_input::<S>(input.state, &input.event, &input.context);
    }
    // The document is malformed, or its state is not this scenario's (another version
    // wrote it): the call goes on from the start rather than failing.
    match serde_json::from_str::<Input<&RawValue>>(input) {
        Ok(input) => {
            let env = serde_json::from_str::<Envelope<S::State>>(input.state.get()).ok();
            step_input::<S>(env, &input.event, &input.context)
        }
        Err(_) => unreadable(input.as_bytes()),
    }
}

/// The output for a document that cannot be read: the fallback phrase and a `listen`,
/// with whatever state could be found in it.
fn unreadable(input: &[u8]) -> Vec<u8> {
    let state = serde_json::from_slice::<serde_json::Value>(input)
        .ok()
        .and_then(|v| v.get("state").cloned())
        .unwrap_or(serde_json::Value::Null);
    let output = StepOutput {
        state: state.into(),
        actions: vec![
            Action::say("Извините, не расслышала. Повторите, пожалуйста."),
            Action::Listen { timeout_ms: 7000 },
        ],
    };
    serde_json::to_vec(&output).unwrap_or_else(|_| INTERNAL.to_vec())
}

/// Runs the graph on `env`; a call without one (its first step, or a state that names no
/// node) starts at the graph's start node.
fn step_input<S: Scenario>(
    env: Option<Envelope<S::State>>,
    event: &Event,
    context: &Context,
) -> Vec<u8> {
    let graph = S::graph();
    let mut env = env
        .filter(|e| !e.node.is_empty())
        .unwrap_or_else(|| Envelope {
            node: graph.start.to_owned(),
            ..Envelope::default()
        });
    let mut ctx = Ctx::new(&mut env, event, context);
    let flow = dispatch(&graph, &mut ctx);
    drive(&graph, &mut ctx, flow);
    let score = S::score(&ctx).min(100);
    if ctx.env.record.score != score {
        ctx.env.record.score = score;
        ctx.record_changed = true;
    }
    let changed = ctx.record_changed;
    let (actions, said) = (
        std::mem::take(&mut ctx.actions),
        std::mem::take(&mut ctx.said),
    );
    if !said.is_empty() {
        env.last_said = said;
    }
    serde_json::to_vec(&Output {
        state: &env,
        actions: Actions {
            record: changed.then_some(&env.record),
            rest: &actions,
        },
    })
    .unwrap_or_else(|_| INTERNAL.to_vec())
}

const INTERNAL: &[u8] = br#"{"state":null,"actions":[{"type":"hangup","reason":"internal"}]}"#;

fn dispatch<S>(graph: &Graph<S>, ctx: &mut Ctx<'_, S>) -> Flow {
    match ctx.event() {
        Event::CallStarted => Flow::Goto(graph.start),
        Event::RetrieveResult { hits, .. } => {
            let hits = hits.clone();
            let asked = std::mem::replace(&mut ctx.env.asked, false);
            match graph.find(&ctx.env.node).and_then(|n| n.knowledge) {
                Some(knowledge) if asked => knowledge(ctx, &hits),
                _ => Flow::Wait,
            }
        }
        event => {
            if matches!(event, Event::NoInput) {
                ctx.env.silences = ctx.env.silences.saturating_add(1);
            } else {
                ctx.env.silences = 0;
            }
            for handler in &graph.globals {
                if let Some(flow) = handler(ctx) {
                    return flow;
                }
            }
            match graph.find(&ctx.env.node) {
                Some(node) => match node.reply {
                    Some(reply) if ctx.env.waiting => reply(ctx),
                    _ => (node.enter)(ctx),
                },
                None => Flow::Goto(graph.start),
            }
        }
    }
}

fn drive<S>(graph: &Graph<S>, ctx: &mut Ctx<'_, S>, mut flow: Flow) {
    // A graph that loops between nodes without waiting is a bug in the scenario; after
    // this many hops the caller hears a question instead of silence.
    for _ in 0..32 {
        flow = match flow {
            Flow::Again => match graph.find(&ctx.env.node) {
                Some(node) => Flow::Goto(node.name),
                None => Flow::Goto(graph.start),
            },
            Flow::Digress(name) => {
                ctx.env.return_to = ctx.env.node.clone();
                Flow::Goto(name)
            }
            Flow::Return => {
                let back = std::mem::take(&mut ctx.env.return_to);
                Flow::Goto(graph.find(&back).map_or(graph.start, |n| n.name))
            }
            Flow::Goto(name) => match graph.find(name) {
                Some(node) => {
                    if ctx.env.node != name {
                        ctx.env.misses = 0;
                    }
                    ctx.env.node = name.to_owned();
                    ctx.env.waiting = false;
                    (node.enter)(ctx)
                }
                None => {
                    ctx.log(format!("no node named {name}"));
                    Flow::End("error")
                }
            },
            Flow::Wait => {
                ctx.env.waiting = true;
                ctx.actions.push(Action::Listen {
                    timeout_ms: graph.listen_ms,
                });
                return;
            }
            Flow::Retrieve(query) => {
                ctx.env.asked = true;
                let query = crate::ctx::clip(&query, 500);
                let query = if query.trim().is_empty() {
                    "?".to_owned()
                } else {
                    query
                };
                ctx.actions.push(Action::Retrieve(RetrieveRequest {
                    id: format!("q{}", ctx.context().turn),
                    query,
                    top_k: 3,
                }));
                return;
            }
            Flow::Transfer { to, summary } => {
                ctx.actions.push(Action::Transfer(sva_abi::Transfer {
                    to,
                    summary: crate::ctx::clip(&summary, 1500),
                }));
                return;
            }
            Flow::End(reason) => {
                ctx.actions.push(Action::Hangup {
                    reason: reason.to_owned(),
                });
                return;
            }
        };
    }
    ctx.say("Извините, я запуталась. Давайте я попрошу менеджера вам перезвонить.");
    ctx.actions.push(Action::Hangup {
        reason: "scenario_loop".into(),
    });
}

/// `sva_alloc`: a buffer the host writes the input into (never freed: the instance is
/// thrown away after the step).
#[cfg(target_arch = "wasm32")]
pub fn alloc(len: i32) -> i32 {
    let mut buffer = Vec::<u8>::with_capacity(len.max(0) as usize);
    let ptr = buffer.as_mut_ptr();
    std::mem::forget(buffer);
    ptr as i32
}

/// `sva_step`: runs the step on the input at `ptr..ptr+len`.
#[cfg(target_arch = "wasm32")]
pub fn step<S: Scenario>(ptr: i32, len: i32) -> i64 {
    // SAFETY: the host wrote `len` bytes at `ptr`, a buffer `alloc` returned for them,
    // and ABI v1 requires them to be UTF-8 (the host's input is typed text).
    let input = unsafe {
        std::str::from_utf8_unchecked(std::slice::from_raw_parts(
            ptr as *const u8,
            len.max(0) as usize,
        ))
    };
    leak(run_step_str::<S>(input))
}

/// `sva_manifest`: the manifest document.
#[cfg(target_arch = "wasm32")]
pub fn manifest<S: Scenario>() -> i64 {
    leak(serde_json::to_vec(&S::manifest()).unwrap_or_default())
}

#[cfg(target_arch = "wasm32")]
fn leak(bytes: Vec<u8>) -> i64 {
    let bytes = bytes.leak();
    sva_abi::pack(bytes.as_ptr() as u32, bytes.len() as u32)
}
