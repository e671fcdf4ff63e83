//! Running a step: input JSON in, output JSON out; and the module exports' helpers.

use crate::graph::Flow;
use crate::{Ctx, Envelope, Graph, Scenario};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sva_abi::{
    Action, Context, Event, GraphShape, Manifest, Qualification, RetrieveRequest, StepOutput,
    StepTrace,
};

/// The input document. The state is read straight into the envelope (`T` is
/// `Option<Stored<…>>`) in one pass; only a state this scenario cannot read is taken
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

/// The state document as it is read: the qualification record beside the envelope.
/// [`write_output`] writes it, so that a step writes the record once and copies the
/// text into the action list.
#[derive(Deserialize)]
struct Stored<S> {
    #[serde(default)]
    record: Qualification,
    #[serde(default)]
    dialog: Envelope<S>,
}

impl<S> Stored<S> {
    fn into_envelope(self) -> Envelope<S> {
        Envelope {
            record: self.record,
            ..self.dialog
        }
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
    if let Ok(input) = serde_json::from_str::<Input<Option<Stored<S::State>>>>(input) {
        let env = input.state.map(Stored::into_envelope);
        return step_input::<S>(env, &input.event, &input.context);
    }
    // The document is malformed, or its state is not this scenario's (another version
    // wrote it): the call goes on from the start rather than failing.
    match serde_json::from_str::<Input<&RawValue>>(input) {
        Ok(input) => {
            let env = serde_json::from_str::<Stored<S::State>>(input.state.get())
                .ok()
                .map(Stored::into_envelope);
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
    crate::trace::keep(std::mem::take(&mut ctx.path));
    S::finish(&mut ctx);
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
    write_output(&env, changed, &actions).unwrap_or_else(|_| INTERNAL.to_vec())
}

/// Writes `{"state":{"record":…,"dialog":…},"actions":[…]}`. The record is serialised
/// once; when the step changed it, the same text, tagged, leads the action list (the
/// `qualification` action is the record's object with `type` first).
fn write_output<S: Serialize>(
    env: &Envelope<S>,
    record_changed: bool,
    actions: &[Action],
) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(4096);
    out.extend_from_slice(br#"{"state":{"record":"#);
    let record_at = out.len();
    serde_json::to_writer(&mut out, &env.record)?;
    let record = record_at..out.len();
    out.extend_from_slice(br#","dialog":"#);
    serde_json::to_writer(&mut out, env)?;
    out.extend_from_slice(br#"},"actions":["#);
    if record_changed {
        out.extend_from_slice(br#"{"type":"qualification""#);
        // The record's members, after its `{`: `}` alone for an empty object.
        let members = record.start + 1..record.end;
        if out[members.start] != b'}' {
            out.push(b',');
        }
        out.extend_from_within(members);
        if !actions.is_empty() {
            out.push(b',');
        }
    }
    for (i, action) in actions.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        serde_json::to_writer(&mut out, action)?;
    }
    out.extend_from_slice(b"]}");
    Ok(out)
}

const INTERNAL: &[u8] = br#"{"state":null,"actions":[{"type":"hangup","reason":"internal"}]}"#;

fn dispatch<S>(graph: &Graph<S>, ctx: &mut Ctx<'_, S>) -> Flow {
    if !matches!(ctx.event(), Event::CallStarted)
        && let Some(at) = graph.find(&ctx.env.node)
    {
        ctx.path.push(at.name);
    }
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
        Event::LlmResult(result) => {
            let result = result.clone();
            let asked = std::mem::replace(&mut ctx.env.asked, false);
            match graph.find(&ctx.env.node).and_then(|n| n.model) {
                Some(model) if asked => model(ctx, &result),
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
                    ctx.path.push(node.name);
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
            Flow::Model(request) => {
                ctx.env.asked = true;
                ctx.actions.push(Action::Llm(*request));
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
    leak(serde_json::to_vec(&manifest_of::<S>()).unwrap_or_default())
}

/// `sva_trace`: the last step's path through the graph.
#[cfg(target_arch = "wasm32")]
pub fn trace() -> i64 {
    leak(serde_json::to_vec(&crate::trace::last()).unwrap_or_default())
}

/// The scenario's manifest with its graph's shape (unless the scenario wrote one).
pub fn manifest_of<S: Scenario>() -> Manifest {
    let mut manifest = S::manifest();
    if manifest.graph.is_none() {
        manifest.graph = Some(graph_shape::<S>());
    }
    manifest
}

/// The scenario's graph: where calls start and every node, in the order declared.
pub fn graph_shape<S: Scenario>() -> GraphShape {
    let graph = S::graph();
    GraphShape {
        start: graph.start.to_owned(),
        nodes: graph.nodes.iter().map(|n| n.name.to_owned()).collect(),
    }
}

/// [`run_step`] that also returns the step's path through the graph (what the module's
/// `sva_trace` export returns after `sva_step`).
pub fn run_step_traced<S: Scenario>(input: &[u8]) -> (Vec<u8>, StepTrace) {
    let output = run_step::<S>(input);
    (output, crate::trace::last())
}

#[cfg(target_arch = "wasm32")]
fn leak(bytes: Vec<u8>) -> i64 {
    let bytes = bytes.leak();
    sva_abi::pack(bytes.as_ptr() as u32, bytes.len() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_output_carries_one_record_text_in_the_state_and_the_action() {
        let mut env = Envelope::<()>::default();
        env.record.score = 7;
        for actions in [
            vec![],
            vec![Action::say("Да"), Action::Hangup { reason: "x".into() }],
        ] {
            let out = write_output(&env, true, &actions).unwrap();
            let out: StepOutput = serde_json::from_slice(&out).expect("the output is JSON");
            let kept: Qualification =
                serde_json::from_value(out.state.to_value()["record"].clone()).unwrap();
            assert_eq!(kept, env.record);
            assert_eq!(out.actions[0], Action::Qualification(env.record.clone()));
            assert_eq!(out.actions[1..], actions[..]);
            let unchanged = write_output(&env, false, &actions).unwrap();
            let unchanged: StepOutput = serde_json::from_slice(&unchanged).unwrap();
            assert_eq!(unchanged.actions, actions);
        }
    }
}
