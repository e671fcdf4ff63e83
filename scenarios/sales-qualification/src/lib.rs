//! The default scenario every tenant starts with: a Russian-speaking sales assistant
//! that qualifies a lead — need, budget, timeline, who decides, name, company, phone
//! (and e-mail when asked to send something) — answers product questions from the
//! knowledge base, hands hot leads and anyone who asks to a manager or the department
//! their topic belongs to (a callback at the next open hour when it is closed), offers
//! a person after a few turns it cannot use, books callbacks, and ends politely. On an
//! outbound call it first says who calls and why, and answers «кто это?», «откуда у вас
//! мой номер?», a wrong person and an answering machine (`outbound.rs`). The flow and its
//! rules are in `docs/scenario-sdk.md`.
//!
//! Everything it understands comes from `sva-nlu`; everything it says comes from
//! [`texts`], which a tenant overrides in its settings; how it escalates, rates and
//! routes comes from the tenant's dialog settings (`settings.dialog`, [`rules`]).

mod ask;
mod budget;
mod clock;
mod excerpt;
mod handlers;
mod lead;
mod model;
mod nodes;
mod outbound;
mod outcome;
mod routing;
pub mod rules;
pub mod texts;
mod transfer;

use serde::{Deserialize, Serialize};
use sva_sdk::abi::Manifest;
use sva_sdk::{Ctx, Graph, Scenario};

/// The default sales-qualification scenario.
pub struct SalesQualification;

/// What the scenario remembers besides the qualification record. What is at its default
/// is left out of the state: every step reads and writes the state, so it stays short.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Sales {
    /// The greeting was said.
    #[serde(skip_serializing_if = "sva_sdk::is_false")]
    pub greeted: bool,
    /// An outbound call's opening asked whether it is a good time, and the callee has not
    /// answered it yet (a question of theirs came first): coming back to the greeting
    /// asks it again.
    #[serde(skip_serializing_if = "sva_sdk::is_false")]
    pub opening: bool,
    /// Slots the caller could not or would not give; not asked again.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<String>,
    /// The caller asked for something by e-mail.
    #[serde(skip_serializing_if = "sva_sdk::is_false")]
    pub wants_email: bool,
    /// The caller ID was offered as the contact number.
    #[serde(skip_serializing_if = "sva_sdk::is_false")]
    pub phone_offered: bool,
    /// A transfer to the manager was offered (or a callback instead, out of hours).
    #[serde(skip_serializing_if = "sva_sdk::is_false")]
    pub transfer_offered: bool,
    /// The soft retention question was asked after "not interested".
    #[serde(skip_serializing_if = "sva_sdk::is_false")]
    pub retention_asked: bool,
    /// The question being looked up in the knowledge base.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub question: String,
    /// Questions the knowledge base could not answer, for the manager.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub open_questions: Vec<String>,
    /// The text key of the question asked last, and how many times in a row it was
    /// asked (0: once): the next asking takes other words.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub last_question: String,
    /// See `last_question`.
    #[serde(skip_serializing_if = "is_zero")]
    pub asked_again: u8,
    /// Caller turns in a row the scenario could not use.
    #[serde(skip_serializing_if = "is_zero")]
    pub unusable: u8,
    /// The turn (+1) the language model was last asked in: at most once a turn.
    #[serde(skip_serializing_if = "is_zero_u32")]
    pub model_turn: u32,
    /// What the scenario keeps while the model's answer is awaited.
    #[serde(skip_serializing_if = "model::Pending::is_none")]
    pub model_pending: model::Pending,
    /// A manager was offered because the scenario could not understand the caller.
    #[serde(skip_serializing_if = "sva_sdk::is_false")]
    pub escalated: bool,
    /// The department a transfer goes to (empty: sales, or the caller's own manager).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub route: String,
    /// A transfer to a department was offered for the caller's topic.
    #[serde(skip_serializing_if = "sva_sdk::is_false")]
    pub route_offered: bool,
    /// After booking a callback the qualification goes on (the caller declined a
    /// transfer, or it was out of hours) instead of ending the call.
    #[serde(skip_serializing_if = "sva_sdk::is_false")]
    pub resume_after_callback: bool,
    /// When the booked callback is, as said to the caller («завтра в 9:00»).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub callback_when: String,
}

fn is_zero_u32(n: &u32) -> bool {
    *n == 0
}

fn is_zero(n: &u8) -> bool {
    *n == 0
}

/// The qualification slots, in the order they are asked, with their nodes.
pub const SLOTS: [(&str, &str); 7] = [
    ("need", "need"),
    ("budget", "budget"),
    ("timeline", "timeline"),
    ("decision_maker", "decision"),
    ("name", "name"),
    ("company", "company"),
    ("phone", "phone"),
];

impl Scenario for SalesQualification {
    type State = Sales;

    fn graph() -> Graph<Sales> {
        let graph = Graph::new("greet").global(handlers::any);
        outbound::add(transfer::add(nodes::add(graph)))
    }

    fn manifest() -> Manifest {
        Manifest {
            name: "sales-qualification".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            abi: sva_sdk::abi::ABI_VERSION,
            description: "Квалификация лида по телефону: потребность, бюджет, сроки, ЛПР, контакты; маршрутизация по отделам"
                .into(),
            slots: SLOTS
                .iter()
                .map(|(slot, _)| (*slot).to_owned())
                .chain(["email", "temperature", "department"].map(str::to_owned))
                .collect(),
            texts: texts::DEFAULTS
                .iter()
                .map(|(k, _)| (*k).to_owned())
                .collect(),
            // Where the rules cannot read an answer, the model is asked (when granted).
            capabilities: vec![sva_sdk::abi::LLM_CAPABILITY.to_owned()],
            graph: None,
        }
    }

    /// need 15, budget 25, timeline 20 (urgent) / 15 (within three months) / 10 (vague
    /// or far), decides alone 20 (5 when someone else does), name 5, company 5, phone 10.
    fn score(ctx: &Ctx<'_, Sales>) -> u8 {
        lead::score(ctx)
    }

    /// The lead's temperature, once anything is known about it.
    fn finish(ctx: &mut Ctx<'_, Sales>) {
        lead::note_temperature(ctx);
    }
}

sva_sdk::export_scenario!(SalesQualification);

/// The phrase for `key`: the tenant's own, or the default.
pub(crate) fn say(ctx: &mut Ctx<'_, Sales>, key: &str) {
    let text = ctx.text_for(key, texts::default(key));
    ctx.say(text);
}
