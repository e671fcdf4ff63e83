//! Global handlers: what the caller may say at any point of the call.

use crate::nodes::{book_callback, manager, next, save_email, spoken_money};
use crate::{Sales, say};
use serde_json::json;
use sva_sdk::abi::{Event, Outcome};
use sva_sdk::nlu::{Intent, numbers};
use sva_sdk::{Ctx, Flow};

type C<'a, 'b> = &'a mut Ctx<'b, Sales>;

/// Every global handler, in order of precedence; the first that answers takes the turn.
///
/// One handler for the graph, not thirteen: the graph calls its handlers through function
/// pointers, and in a fresh instance each distinct function called that way costs the
/// host a lazy table initialisation (about 0.2 µs, 4 % of a step for the twelve saved);
/// calls from here are direct.
pub(crate) fn any(ctx: C) -> Option<Flow> {
    do_not_call(ctx)
        .or_else(|| correction(ctx))
        .or_else(|| operator(ctx))
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

pub(crate) fn do_not_call(ctx: C) -> Option<Flow> {
    if !ctx.has(Intent::DoNotCall) {
        return None;
    }
    say(ctx, "do_not_call");
    ctx.set_outcome(Outcome::DoNotCall);
    Some(Flow::End("do_not_call"))
}

/// "нет, не пятьсот, а семьсот": the last value said replaces the slot it belongs to.
pub(crate) fn correction(ctx: C) -> Option<Flow> {
    if !ctx.understood().is_correction() {
        return None;
    }
    let confirm = if let Some(money) = ctx.understood().money().last().cloned() {
        let value = json!({ "amount": money.amount, "currency": money.currency });
        ctx.set_slot("budget", value.clone(), 0.9);
        format!("бюджет {}", spoken_money(&value))
    } else if let (Some(budget), Some(&said)) =
        (ctx.slot("budget").cloned(), numbers(ctx.text()).last())
    {
        // A bare number corrects the amount at the scale said before: 500 000 → "семьсот".
        let old = budget
            .value
            .get("amount")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0);
        let scale = [1_000_000, 1_000]
            .into_iter()
            .find(|s| old >= *s && said < 1000)
            .unwrap_or(1);
        let mut value = budget.value.clone();
        value["amount"] = json!(said * scale);
        ctx.set_slot("budget", value.clone(), 0.8);
        format!("бюджет {}", spoken_money(&value))
    } else if let Some(date) = ctx.understood().dates().last().cloned() {
        let slot = if ctx.slot("timeline").is_some() || ctx.node() == "timeline" {
            "timeline"
        } else {
            return None;
        };
        ctx.set_slot(slot, json!(date.date), 0.9);
        format!("срок {}", date.date)
    } else if let Some(name) = ctx.understood().names().last().cloned() {
        ctx.set_slot("name", json!(name), 0.9);
        format!("имя {name}")
    } else if let Some(phone) = ctx.understood().phones().last().cloned() {
        ctx.set_slot("phone", json!(phone), 0.9);
        "номер".to_owned()
    } else if let Some(email) = ctx.understood().emails().last().cloned() {
        ctx.set_slot("email", json!(email), 0.8);
        format!("почту {email}")
    } else {
        return None;
    };
    ctx.say(format!("Поправила: {confirm}."));
    Some(next(ctx))
}

pub(crate) fn operator(ctx: C) -> Option<Flow> {
    let pressed_zero = matches!(ctx.event(), Event::Dtmf { digits } if digits.starts_with('0'));
    if !(ctx.has(Intent::Operator) || pressed_zero) {
        return None;
    }
    if manager(ctx).is_some() {
        Some(Flow::Goto("transfer"))
    } else {
        say(ctx, "no_manager");
        ctx.state().transfer_offered = true;
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
        if ctx.outcome() == Outcome::InProgress {
            ctx.set_outcome(Outcome::Dropped);
        }
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
    Some(Flow::Goto("callback_time"))
}

pub(crate) fn callback(ctx: C) -> Option<Flow> {
    if !ctx.has(Intent::Callback) || ctx.node() == "callback_time" {
        return None;
    }
    Some(book_callback(ctx).unwrap_or(Flow::Goto("callback_time")))
}

pub(crate) fn not_interested(ctx: C) -> Option<Flow> {
    if !ctx.has(Intent::NotInterested) || matches!(ctx.node(), "retention" | "offer_transfer") {
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
        ctx.say("Хорошо, отправим на вашу почту.");
        return Some(Flow::Again);
    }
    Some(Flow::Goto("email"))
}

/// A product question, at any point: look it up, then come back.
pub(crate) fn question(ctx: C) -> Option<Flow> {
    let asks_price = ctx.has(Intent::PriceQuestion);
    if !(asks_price || ctx.understood().is_question())
        || matches!(ctx.node(), "email" | "phone_dictate" | "answer")
    {
        return None;
    }
    let question = ctx.text().to_owned();
    ctx.state().question = question;
    Some(Flow::Digress("answer"))
}
