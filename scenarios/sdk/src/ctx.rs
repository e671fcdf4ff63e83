//! What a node or handler sees and does during one step.

use crate::Envelope;
use std::cell::OnceCell;
use sva_abi::{Action, CallContext, Context, Event, LogLevel, Outcome, Slot, TenantContext};
use sva_nlu::{Intent, Now, Utterance};

/// Longest phrase a `say` may carry (VoxEngine's limit).
const MAX_SAY: usize = 1500;

/// One step's view of the call: the event, the context, the state, and the actions so far.
pub struct Ctx<'a, S> {
    pub(crate) env: &'a mut Envelope<S>,
    event: &'a Event,
    context: &'a Context,
    understood: OnceCell<Utterance<'a>>,
    pub(crate) actions: Vec<Action>,
    pub(crate) said: Vec<String>,
    /// Whether this step changed the qualification record (then it is sent to the host).
    pub(crate) record_changed: bool,
    /// The nodes this step passed through, in order (`trace.rs`).
    pub(crate) path: Vec<&'static str>,
}

impl<'a, S> Ctx<'a, S> {
    pub(crate) fn new(env: &'a mut Envelope<S>, event: &'a Event, context: &'a Context) -> Self {
        Ctx {
            env,
            event,
            context,
            understood: OnceCell::new(),
            actions: Vec::new(),
            said: Vec::new(),
            record_changed: false,
            path: Vec::new(),
        }
    }

    /// The scenario's own state.
    pub fn state(&mut self) -> &mut S {
        &mut self.env.user
    }

    /// The scenario's own state, read-only.
    pub fn state_ref(&self) -> &S {
        &self.env.user
    }

    /// The event of this step.
    pub fn event(&self) -> &Event {
        self.event
    }

    /// Whether this call may ask the host's language model ([`crate::Flow::Model`]): the
    /// module declares `llm` in its manifest and the host granted it (a model is
    /// configured and the tenant enabled it).
    pub fn can_ask_model(&self) -> bool {
        self.context()
            .capabilities
            .iter()
            .any(|c| c == sva_abi::LLM_CAPABILITY)
    }

    /// The whole context.
    pub fn context(&self) -> &Context {
        self.context
    }

    /// The tenant's settings.
    pub fn tenant(&self) -> &TenantContext {
        &self.context.tenant
    }

    /// The call.
    pub fn call(&self) -> &CallContext {
        &self.context.call
    }

    /// The node the call is at.
    pub fn node(&self) -> &str {
        &self.env.node
    }

    /// The caller's words in this step (utterance or barge-in), or "".
    pub fn text(&self) -> &str {
        self.event.text().unwrap_or("")
    }

    /// The caller's words as `sva-nlu` understands them. Each kind (money, dates,
    /// names, intents…) is worked out the first time a node or handler asks for it in
    /// this step, so a step pays only for what its nodes read.
    pub fn understood(&self) -> &Utterance<'a> {
        self.understood.get_or_init(|| {
            // The host always sends a valid `now`; for a module run by hand with a bad
            // one, a fixed reference keeps relative dates sane rather than absent.
            let now = Now::parse_rfc3339(&self.context.now).unwrap_or(sva_nlu::FIXED_NOW);
            Utterance::new(self.event.text().unwrap_or(""), now)
        })
    }

    /// Whether the caller's words carry `intent`.
    pub fn has(&self, intent: Intent) -> bool {
        self.understood().has(intent)
    }

    /// Speaks `text`; the caller may interrupt.
    pub fn say(&mut self, text: impl Into<String>) {
        self.push_say(text.into(), true);
    }

    /// Speaks `text`; the caller may not interrupt (legal text, confirmations).
    pub fn say_firmly(&mut self, text: impl Into<String>) {
        self.push_say(text.into(), false);
    }

    fn push_say(&mut self, text: String, barge_in: bool) {
        let text = clip(text.trim(), MAX_SAY);
        if text.is_empty() || self.said.len() >= 8 {
            return;
        }
        self.said.push(text.clone());
        self.actions.push(Action::Say(sva_abi::Say {
            text,
            barge_in,
            voice: None,
        }));
    }

    /// Says again what was said last turn (for "повторите").
    pub fn repeat_last(&mut self) {
        for text in self.env.last_said.clone() {
            self.say(text);
        }
    }

    /// The tenant's text for `key` (from `context.tenant.texts`), or `default`, with
    /// `{company}`, `{product}` and `{name}` filled in.
    pub fn text_for(&self, key: &str, default: &str) -> String {
        let template = self.tenant().texts.get(key).map_or(default, String::as_str);
        if !template.contains('{') {
            return template.to_owned();
        }
        let name = self
            .slot("name")
            .and_then(|s| s.value.as_str())
            .unwrap_or("");
        template
            .replace("{company}", &self.tenant().company)
            .replace("{product}", &self.tenant().product)
            .replace("{name}", name)
    }

    /// A filled slot of the qualification record.
    pub fn slot(&self, name: &str) -> Option<&Slot> {
        self.env.record.slots.get(name)
    }

    /// Fills a slot with a value taken from the caller's current words.
    pub fn set_slot(&mut self, name: &str, value: serde_json::Value, confidence: f32) {
        let slot = Slot {
            value,
            confidence: confidence.clamp(0.0, 1.0),
            utterance: clip(self.text(), 300),
        };
        if self.env.record.slots.get(name) != Some(&slot) {
            self.env.record.slots.insert(name.to_owned(), slot);
            self.record_changed = true;
        }
    }

    /// Fills a slot with a value the scenario worked out rather than heard (the lead's
    /// temperature): no utterance.
    pub fn set_fact(&mut self, name: &str, value: serde_json::Value, confidence: f32) {
        let slot = Slot {
            value,
            confidence: confidence.clamp(0.0, 1.0),
            utterance: String::new(),
        };
        if self.env.record.slots.get(name) != Some(&slot) {
            self.env.record.slots.insert(name.to_owned(), slot);
            self.record_changed = true;
        }
    }

    /// The call's outcome so far.
    pub fn outcome(&self) -> Outcome {
        self.env.record.outcome
    }

    /// Sets the call's outcome.
    pub fn set_outcome(&mut self, outcome: Outcome) {
        if self.env.record.outcome != outcome {
            self.env.record.outcome = outcome;
            self.record_changed = true;
        }
    }

    /// Books a call back at `at` (RFC 3339).
    pub fn schedule_callback(&mut self, at: String, note: impl Into<String>) {
        self.actions.push(Action::ScheduleCallback {
            at,
            note: note.into(),
        });
    }

    /// A line for the host's log.
    pub fn log(&mut self, message: impl Into<String>) {
        self.actions.push(Action::Log {
            level: LogLevel::Info,
            message: message.into(),
        });
    }

    /// Misunderstood answers at the current node so far.
    pub fn misses(&self) -> u8 {
        self.env.misses
    }

    /// Counts one more misunderstood answer at the current node and returns the count.
    pub fn miss(&mut self) -> u8 {
        self.env.misses = self.env.misses.saturating_add(1);
        self.env.misses
    }

    /// Silences in a row (the current one included).
    pub fn silences(&self) -> u8 {
        self.env.silences
    }
}

/// The first `max` characters of `text`.
pub(crate) fn clip(text: &str, max: usize) -> String {
    // At most `max` bytes is at most `max` characters: most texts need no walk.
    if text.len() <= max {
        return text.to_owned();
    }
    match text.char_indices().nth(max) {
        Some((end, _)) => text[..end].to_owned(),
        None => text.to_owned(),
    }
}
