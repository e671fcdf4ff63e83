//! Global handlers: what the caller may say at any point of the call.

use crate::budget;
use crate::nodes::{next, save_email};
use crate::routing::{names_topic, target, topic_department};
use crate::rules::Rules;
use crate::transfer::book_callback;
use crate::{Sales, outbound, outcome, say};
use serde_json::{Value, json};
use sva_sdk::abi::{Event, Outcome};
use sva_sdk::nlu::{Intent, numbers};
use sva_sdk::{Ctx, Flow};

type C<'a, 'b> = &'a mut Ctx<'b, Sales>;

/// Every global handler, in order of precedence; the first that answers takes the turn.
///
/// One handler for the graph, not fourteen: the graph calls its handlers through function
/// pointers, and in a fresh instance each distinct function called that way costs the
/// host a lazy table initialisation (about 0.2 µs); calls from here are direct.
pub(crate) fn any(ctx: C) -> Option<Flow> {
    observe(ctx);
    do_not_call(ctx)
        .or_else(|| dismissal(ctx))
        .or_else(|| outbound::wrong_person(ctx))
        .or_else(|| correction(ctx))
        .or_else(|| operator(ctx))
        .or_else(|| outbound::number_source(ctx))
        .or_else(|| outbound::who_is_calling(ctx))
        .or_else(|| robot(ctx))
        .or_else(|| repeat(ctx))
        .or_else(|| silence(ctx))
        .or_else(|| transfer_failed(ctx))
        .or_else(|| callback(ctx))
        .or_else(|| not_interested(ctx))
        .or_else(|| objection_price(ctx))
        .or_else(|| think_about_it(ctx))
        .or_else(|| send_email(ctx))
        .or_else(|| question(ctx))
}

/// What the caller says in passing counts wherever it is said: «срочно» is a timeline,
/// «я директор» is who decides (not while booking a callback, whose day is not a
/// timeline).
fn observe(ctx: C) {
    if !matches!(
        ctx.node(),
        "callback_time" | "callback_offer" | "callback_other"
    ) && !ctx.has(Intent::Callback)
    {
        crate::lead::observe(ctx);
    }
}

pub(crate) fn do_not_call(ctx: C) -> Option<Flow> {
    if !ctx.has(Intent::DoNotCall) {
        return None;
    }
    Some(outbound::do_not_call(ctx))
}

/// A caller who tells the assistant to go away («отстаньте», «задолбали»): an apology
/// and a goodbye, not the next question.
fn dismissal(ctx: C) -> Option<Flow> {
    const DISMISSING: &[&str] = &[
        "отстаньте",
        "отвяжитесь",
        "задолбали",
        "достали",
        "надоели",
        "пошли вы",
        "идите вы",
        "да пошли",
        "отвалите",
    ];
    let words = ctx.understood().words();
    if !DISMISSING.iter().any(|p| names_topic(words, p)) {
        return None;
    }
    say(ctx, "dismissed");
    let outcome = outcome::ending(ctx, Outcome::NotInterested);
    ctx.set_outcome(outcome);
    Some(Flow::End("not_interested"))
}

/// "нет, не пятьсот, а семьсот": the value replaces the slot it belongs to (the slot
/// named, or the one of the value's kind), and the call resumes where it was: the same
/// question in other words (a correction is not an answer to it), or the next one when
/// the correction answered it.
pub(crate) fn correction(ctx: C) -> Option<Flow> {
    if !ctx.understood().is_correction() {
        return None;
    }
    let named = named_slot(ctx.understood().words());
    let (slot, value, confirm) = corrected(ctx, named)?;
    ctx.set_slot(slot, value, 0.9);
    ctx.say(["Поправила: ", &confirm, "."].concat());
    let answered_here = crate::SLOTS
        .iter()
        .any(|(s, node)| *s == slot && *node == ctx.node());
    Some(if answered_here {
        next(ctx)
    } else {
        Flow::Again
    })
}

/// The slot a correction names by a word: «бюджет не миллион…», «меня зовут не…».
fn named_slot(words: &[String]) -> Option<&'static str> {
    const NAMES: &[(&str, &[&str])] = &[
        ("budget", &["бюджет", "сумм", "денег", "деньг", "стоимост"]),
        ("timeline", &["срок", "запуск", "дату", "дата", "числа"]),
        ("name", &["зовут", "имя", "звать"]),
        ("phone", &["номер", "телефон"]),
        ("email", &["почт", "email", "адрес"]),
        ("company", &["компани", "фирм", "организаци", "называ"]),
    ];
    NAMES
        .iter()
        .find(|(_, stems)| words.iter().any(|w| stems.iter().any(|s| w.starts_with(s))))
        .map(|(slot, _)| *slot)
}

/// The slot, its new value and how to say it back.
fn corrected(ctx: &Ctx<'_, Sales>, named: Option<&str>) -> Option<(&'static str, Value, String)> {
    let said = ctx.understood();
    let wants = |slot: &str| named.is_none_or(|n| n == slot);
    if wants("budget")
        && let Some(money) = said.money().last()
    {
        let value = budget::value(money);
        let confirm = ["бюджет ", &budget::spoken(&value)].concat();
        return Some(("budget", value, confirm));
    }
    if wants("budget")
        && let (Some(old), Some(&figure)) = (ctx.slot("budget"), numbers(ctx.text()).last())
    {
        // A bare number corrects the amount at the scale said before: 500 000 → «семьсот».
        let before = old.value.get("amount").and_then(Value::as_u64).unwrap_or(0);
        let scale = [1_000_000, 1_000]
            .into_iter()
            .find(|s| before >= *s && figure < 1000)
            .unwrap_or(1);
        let mut value = json!({ "amount": figure * scale });
        value["currency"] = old.value.get("currency").cloned().unwrap_or(json!("RUB"));
        let confirm = ["бюджет ", &budget::spoken(&value)].concat();
        return Some(("budget", value, confirm));
    }
    if wants("timeline")
        && (named.is_some() || ctx.slot("timeline").is_some() || ctx.node() == "timeline")
        && let Some(date) = said.dates().last()
    {
        let spoken = crate::transfer::spoken_date(&date.date);
        return Some(("timeline", json!(date.date), ["срок ", &spoken].concat()));
    }
    if wants("name")
        && let Some(name) = said.names().last()
    {
        return Some(("name", json!(name), ["имя ", name].concat()));
    }
    if wants("phone")
        && let Some(phone) = said.phones().last()
    {
        return Some(("phone", json!(phone), "номер".to_owned()));
    }
    if wants("email") && !said.emails().is_empty() {
        // «не ivan, а ivanov собака mail точка ru»: the address after «а», spelled alone.
        let after = after_but(said.words()).unwrap_or_else(|| said.text().to_owned());
        let email = sva_sdk::nlu::emails(&after)
            .pop()
            .or_else(|| said.emails().last().cloned())?;
        let confirm = ["почту ", &email].concat();
        return Some(("email", json!(email), confirm));
    }
    if named == Some("company") {
        let new = after_but(said.words())?;
        return Some(("company", json!(new), ["компания ", &new].concat()));
    }
    None
}

/// The words after the last «а» of «не X, а Y».
fn after_but(words: &[String]) -> Option<String> {
    let at = words.iter().rposition(|w| w == "а")?;
    let rest = words[at + 1..].join(" ");
    (!rest.is_empty()).then_some(rest)
}

/// "Соедините с менеджером" (or key 0): at once, to the department the words name or
/// to sales (the caller's own manager first); a callback when nobody answers now.
pub(crate) fn operator(ctx: C) -> Option<Flow> {
    let pressed_zero = matches!(ctx.event(), Event::Dtmf { digits } if digits.starts_with('0'));
    let rules = Rules::from_settings(&ctx.tenant().settings);
    let words = ctx.understood().words();
    let department = topic_department(&rules, words).map(|d| d.id.clone());
    // «соедините с бухгалтерией»: a department asked for by name.
    let asks_for_department = department.is_some()
        && words.iter().any(|w| {
            ["соедин", "переключ", "позов", "свяжит", "перевед"]
                .iter()
                .any(|v| w.starts_with(v))
        });
    if !(ctx.has(Intent::Operator) || pressed_zero || asks_for_department) {
        return None;
    }
    let route = department.unwrap_or_default();
    let state = ctx.state();
    state.route = route;
    state.resume_after_callback = false;
    state.transfer_offered = true;
    if target(ctx).is_some() {
        Some(Flow::Goto("transfer"))
    } else {
        say(ctx, "no_manager");
        Some(Flow::Goto("callback_time"))
    }
}

pub(crate) fn robot(ctx: C) -> Option<Flow> {
    if !ctx.has(Intent::IsRobot) {
        return None;
    }
    say(ctx, "robot");
    Some(Flow::Again)
}

pub(crate) fn repeat(ctx: C) -> Option<Flow> {
    if !ctx.has(Intent::Repeat) {
        return None;
    }
    ctx.repeat_last();
    Some(Flow::Wait)
}

pub(crate) fn silence(ctx: C) -> Option<Flow> {
    if !matches!(ctx.event(), Event::NoInput) {
        return None;
    }
    if ctx.silences() >= 2 {
        say(ctx, "silence_goodbye");
        let outcome = outcome::ending(ctx, Outcome::Dropped);
        ctx.set_outcome(outcome);
        return Some(Flow::End("silence"));
    }
    say(ctx, "silence");
    Some(Flow::Again)
}

pub(crate) fn transfer_failed(ctx: C) -> Option<Flow> {
    if !matches!(ctx.event(), Event::TransferFailed { .. }) {
        return None;
    }
    say(ctx, "transfer_failed");
    ctx.set_outcome(Outcome::InProgress);
    ctx.state().resume_after_callback = false;
    Some(Flow::Goto("callback_time"))
}

pub(crate) fn callback(ctx: C) -> Option<Flow> {
    if !ctx.has(Intent::Callback)
        || matches!(
            ctx.node(),
            "callback_time" | "callback_offer" | "callback_other"
        )
    {
        return None;
    }
    // «его нет, он на совещании»: someone else picked up; the greeting handles it.
    let outbound = ctx.call().direction == sva_sdk::abi::Direction::Outbound;
    if outbound && ctx.node() == "greet" && crate::nodes::someone_else_answers(ctx) {
        return None;
    }
    ctx.state().resume_after_callback = false;
    Some(book_callback(ctx).unwrap_or(Flow::Goto("callback_time")))
}

pub(crate) fn not_interested(ctx: C) -> Option<Flow> {
    if !ctx.has(Intent::NotInterested)
        || matches!(
            ctx.node(),
            "retention"
                | "offer_transfer"
                | "route"
                | "escalate"
                | "callback_offer"
                | "number_removal"
        )
    {
        return None;
    }
    if ctx.state_ref().retention_asked {
        say(ctx, "not_interested_goodbye");
        ctx.set_outcome(Outcome::NotInterested);
        return Some(Flow::End("not_interested"));
    }
    ctx.state().retention_asked = true;
    Some(Flow::Goto("retention"))
}

pub(crate) fn objection_price(ctx: C) -> Option<Flow> {
    if !ctx.has(Intent::ObjectionPrice) {
        return None;
    }
    say(ctx, "objection_price");
    Some(if ctx.slot("budget").is_none() {
        Flow::Goto("budget")
    } else {
        Flow::Again
    })
}

pub(crate) fn think_about_it(ctx: C) -> Option<Flow> {
    if !ctx.has(Intent::ThinkAboutIt) || ctx.node() == "think_choice" {
        return None;
    }
    say(ctx, "think_about_it");
    Some(Flow::Goto("think_choice"))
}

pub(crate) fn send_email(ctx: C) -> Option<Flow> {
    if !ctx.has(Intent::SendEmail) || matches!(ctx.node(), "email" | "think_choice" | "retention") {
        return None;
    }
    ctx.state().wants_email = true;
    if let Some(email) = ctx.understood().emails().first().cloned() {
        save_email(ctx, &email);
        return Some(next(ctx));
    }
    if ctx.slot("email").is_some() {
        say(ctx, "email_known");
        return Some(Flow::Again);
    }
    Some(Flow::Goto("email"))
}

/// A product question, at any point: look it up, then come back. Asked before the need
/// is known, the question is the need («хотел узнать, сколько стоит…»): the caller wants
/// to know or compare something, and is not asked for a task on top.
pub(crate) fn question(ctx: C) -> Option<Flow> {
    let asks_price = ctx.has(Intent::PriceQuestion);
    let opening = ctx.slot("need").is_none() && matches!(ctx.node(), "greet" | "need");
    let wants_to_know = opening && wants_to_know(ctx.understood().words());
    if !(asks_price || wants_to_know || ctx.understood().is_question())
        || matches!(ctx.node(), "email" | "phone_dictate" | "answer")
        || answers_the_question(ctx)
    {
        return None;
    }
    let question = ctx.text().to_owned();
    if opening {
        ctx.set_slot("need", json!(question), 0.6);
    }
    crate::ask::understood(ctx);
    ctx.state().question = question;
    Some(Flow::Digress("answer"))
}

/// «хотел узнать про ваши тарифы», «расскажите подробнее о системе»: a wish to know
/// something, put as a statement.
fn wants_to_know(words: &[String]) -> bool {
    const KNOW: &[&str] = &[
        "узнать",
        "уточнить",
        "подробнее",
        "расскажите",
        "рассказать",
    ];
    words.iter().any(|w| KNOW.contains(&w.as_str()))
}

/// Whether the words carry what the current question asks for («ну миллион, сколько можно
/// спрашивать» answers the budget question, whatever else it says).
fn answers_the_question(ctx: &Ctx<'_, Sales>) -> bool {
    let said = ctx.understood();
    match ctx.node() {
        "budget" => !said.money().is_empty(),
        "timeline" | "callback_time" | "callback_offer" | "callback_other" => {
            !said.dates().is_empty()
        }
        "name" | "transfer_name" => !said.names().is_empty() || crate::nodes::refuses(ctx),
        "company" => crate::nodes::refuses(ctx),
        "phone" => !said.phones().is_empty(),
        _ => false,
    }
}
