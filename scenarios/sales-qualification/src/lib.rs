//! The default scenario every tenant starts with: a Russian-speaking sales assistant
//! that qualifies a lead — need, budget, timeline, who decides, name, company, phone
//! (and e-mail when asked to send something) — answers product questions from the
//! knowledge base, hands hot leads and anyone who asks to a manager, books callbacks,
//! and ends politely. The flow is in `docs/scenario-sdk.md`.
//!
//! Everything it understands comes from `sva-nlu`; everything it says comes from
//! [`texts`], which a tenant overrides in its settings.

mod excerpt;
mod handlers;
mod nodes;
pub mod texts;

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
    /// Slots the caller could not or would not give; not asked again.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<String>,
    /// The caller asked for something by e-mail.
    #[serde(skip_serializing_if = "sva_sdk::is_false")]
    pub wants_email: bool,
    /// The caller ID was offered as the contact number.
    #[serde(skip_serializing_if = "sva_sdk::is_false")]
    pub phone_offered: bool,
    /// A transfer to the manager was offered.
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
}

/// The qualification slots, in the order they are asked.
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
        nodes::add(graph)
    }

    fn manifest() -> Manifest {
        Manifest {
            name: "sales-qualification".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            abi: sva_sdk::abi::ABI_VERSION,
            description: "Квалификация лида по телефону: потребность, бюджет, сроки, ЛПР, контакты"
                .into(),
            slots: SLOTS
                .iter()
                .map(|(slot, _)| (*slot).to_owned())
                .chain(["email".to_owned()])
                .collect(),
            texts: texts::DEFAULTS
                .iter()
                .map(|(k, _)| (*k).to_owned())
                .collect(),
        }
    }

    /// need 15, budget 25, timeline 20 (10 when vague or far), decides alone 20 (5 when
    /// someone else does), name 5, company 5, phone 10.
    fn score(ctx: &Ctx<'_, Sales>) -> u8 {
        let mut score = 0u32;
        let has = |s: &str| ctx.slot(s).is_some();
        if has("need") {
            score += 15;
        }
        if has("budget") {
            score += 25;
        }
        if let Some(t) = ctx.slot("timeline") {
            score += if t.confidence >= 0.8 && nodes::within_days(ctx, &t.value, 90) {
                20
            } else {
                10
            };
        }
        if let Some(d) = ctx.slot("decision_maker") {
            score += if d.value == "сам" { 20 } else { 5 };
        }
        for (slot, points) in [("name", 5), ("company", 5), ("phone", 10)] {
            if has(slot) {
                score += points;
            }
        }
        score.min(100) as u8
    }
}

sva_sdk::export_scenario!(SalesQualification);

/// The phrase for `key`: the tenant's own, or the default.
pub(crate) fn say(ctx: &mut Ctx<'_, Sales>, key: &str) {
    let text = ctx.text_for(key, texts::default(key));
    ctx.say(text);
}
