//! Handing the caller to a person: the offer to a hot lead, the name before a transfer,
//! the transfer to the department the topic belongs to (or the caller's own manager),
//! a callback at the next open hour when nobody answers now, the offer of a person after
//! too many misunderstandings, and booking callbacks.

use crate::ask::{ask, ask_with, missed};
use crate::routing::{Target, target, topic_department};
use crate::rules::Rules;
use crate::{Sales, budget, outcome, say};
use serde_json::{Value, json};
use sva_sdk::abi::Outcome;
use sva_sdk::nlu::Answer;
use sva_sdk::{Ctx, Flow, Graph};

type C<'a, 'b> = &'a mut Ctx<'b, Sales>;

pub(crate) fn add(graph: Graph<Sales>) -> Graph<Sales> {
    graph
        .interrupt("offer_transfer", offer_transfer, offer_transfer_reply)
        .interrupt("route", route, offer_transfer_reply)
        .interrupt("escalate", escalate, escalate_reply)
        .interrupt("transfer_name", transfer_name, transfer_name_reply)
        .node("transfer", transfer)
        .interrupt("callback_offer", callback_offer, callback_offer_reply)
        .interrupt("callback_time", callback_time, callback_reply)
        .interrupt(
            "callback_other",
            |c| ask(c, "ask_callback_other"),
            callback_reply,
        )
}

/// A hot lead: the manager now, or a callback when sales is closed.
fn offer_transfer(ctx: C) -> Flow {
    ctx.state().transfer_offered = true;
    ctx.state().route.clear();
    ctx.state().resume_after_callback = true;
    match target(ctx) {
        Some(t) if t.answers_now() => ask(ctx, "offer_transfer"),
        Some(_) => Flow::Goto("callback_offer"),
        None => {
            say(ctx, "no_manager");
            Flow::Goto("callback_time")
        }
    }
}

/// The caller's words name another department's topic (at the start of the call):
/// offer it instead of qualifying a sales lead. `None` when no department is named or
/// one was offered already.
pub(crate) fn route_by_topic(ctx: C) -> Option<Flow> {
    if ctx.state_ref().route_offered {
        return None;
    }
    let rules = Rules::from_settings(&ctx.tenant().settings);
    let department = topic_department(&rules, ctx.understood().words())?;
    let id = department.id.clone();
    let state = ctx.state();
    state.route = id;
    state.route_offered = true;
    Some(Flow::Goto("route"))
}

/// Offers the department the caller's topic belongs to.
fn route(ctx: C) -> Flow {
    match target(ctx) {
        Some(t) if t.answers_now() => ask_with(ctx, "route_offer", &[("{department}", &t.who)]),
        Some(_) => Flow::Goto("callback_offer"),
        None => {
            ctx.state().route.clear();
            Flow::Goto("need")
        }
    }
}

/// Yes: the name (if unknown), then the transfer. No: a callback from the manager,
/// after which the qualification goes on. A correction is handled before this (the
/// global handlers) and the offer is repeated in other words.
fn offer_transfer_reply(ctx: C) -> Flow {
    match ctx.understood().answer() {
        Some(Answer::Yes) => Flow::Goto("transfer_name"),
        Some(Answer::No) if ctx.node() == "route" => {
            ctx.state().route.clear();
            say(ctx, "route_declined");
            Flow::Goto("need")
        }
        Some(Answer::No) => {
            ctx.state().resume_after_callback = true;
            say(ctx, "transfer_declined");
            Flow::Goto("callback_time")
        }
        _ if ctx.misses() >= 1 => {
            // Twice unclear: not now; the manager calls back.
            ctx.state().resume_after_callback = true;
            Flow::Goto("callback_time")
        }
        _ => missed(ctx, "transfer"),
    }
}

/// Too many turns in a row could not be used: a person instead of the next question.
fn escalate(ctx: C) -> Flow {
    ctx.state().escalated = true;
    ctx.state().unusable = 0;
    ctx.state().route.clear();
    say(ctx, "escalate");
    match target(ctx) {
        Some(t) if t.answers_now() => ask(ctx, "escalate_offer"),
        Some(_) => Flow::Goto("callback_offer"),
        None => {
            ctx.state().resume_after_callback = false;
            Flow::Goto("callback_time")
        }
    }
}

fn escalate_reply(ctx: C) -> Flow {
    if ctx.understood().answer() == Some(Answer::Yes) {
        return Flow::Goto("transfer_name");
    }
    say(ctx, "escalate_declined");
    say(ctx, "goodbye");
    let outcome = outcome::ending(ctx, Outcome::NotQualified);
    ctx.set_outcome(outcome);
    Flow::End("completed")
}

/// The caller's name before a transfer, so the manager and the CRM know who it is.
fn transfer_name(ctx: C) -> Flow {
    if ctx.slot("name").is_some() {
        return Flow::Goto("transfer");
    }
    ask(ctx, "ask_name_before_transfer")
}

fn transfer_name_reply(ctx: C) -> Flow {
    if let Some(name) = ctx.understood().names().first().cloned() {
        ctx.set_slot("name", json!(name), 0.9);
        ctx.say(["Спасибо, ", &name, "."].concat());
    }
    // No name heard: the caller is transferred anyway; the manager will ask.
    Flow::Goto("transfer")
}

/// Transfers to the target, or offers a callback when it does not answer now.
pub(crate) fn transfer(ctx: C) -> Flow {
    let Some(target) = target(ctx) else {
        ctx.state().resume_after_callback = false;
        say(ctx, "no_manager");
        return Flow::Goto("callback_time");
    };
    if !target.answers_now() {
        return Flow::Goto("callback_offer");
    }
    if target.department != "sales" {
        ctx.set_fact("department", json!(target.department), 1.0);
    }
    let text = if target.department == "sales" && target.who == "менеджер" {
        ctx.text_for("transferring", crate::texts::default("transferring"))
    } else {
        ctx.text_for("transferring_to", crate::texts::default("transferring_to"))
            .replace("{department}", &target.who)
    };
    ctx.say(text);
    ctx.set_outcome(Outcome::Transferred);
    Flow::Transfer {
        to: target.to.clone(),
        summary: summary(ctx, Some(&target)),
    }
}

/// When to call back: on an outbound call the assistant's own next attempt («когда нам
/// перезвонить?»), unless a manager's callback interrupts a qualification.
fn callback_time(ctx: C) -> Flow {
    if crate::outbound::is_outbound(ctx) && !ctx.state_ref().resume_after_callback {
        ask(ctx, "ask_callback_time_outbound")
    } else {
        ask(ctx, "ask_callback_time")
    }
}

/// Nobody answers now: a callback at the next open hour.
fn callback_offer(ctx: C) -> Flow {
    let Some((_, when)) = target(ctx).as_ref().and_then(Target::next_opening) else {
        return Flow::Goto("callback_time");
    };
    let who = target(ctx).map(|t| t.who).unwrap_or_default();
    ask_with(
        ctx,
        "closed_callback_offer",
        &[("{department}", &who), ("{when}", &when)],
    )
}

fn callback_offer_reply(ctx: C) -> Flow {
    if let Some(flow) = book_callback(ctx) {
        return flow;
    }
    match ctx.understood().answer() {
        Some(Answer::Yes) => {
            let Some((at, when)) = target(ctx).as_ref().and_then(Target::next_opening) else {
                return Flow::Goto("callback_time");
            };
            book(ctx, at, when)
        }
        Some(Answer::No) => Flow::Goto("callback_time"),
        _ if ctx.misses() >= 1 => Flow::Goto("callback_time"),
        _ => missed(ctx, "callback"),
    }
}

/// The person who picked up an outbound call is not the one called: when to call back.
pub(crate) fn someone_else(ctx: C) -> Flow {
    let words = ctx.understood().words();
    let wrong_number = [
        "ошиблись номером",
        "не туда попали",
        "нет такого",
        "нет таких",
    ]
    .iter()
    .any(|p| crate::routing::names_topic(words, p));
    if wrong_number {
        return crate::outbound::end_wrong_person(ctx);
    }
    ctx.state().resume_after_callback = false;
    Flow::Goto("callback_other")
}

fn callback_reply(ctx: C) -> Flow {
    if let Some(flow) = book_callback(ctx) {
        return flow;
    }
    if ctx.misses() >= 1 {
        // Twice no day: the manager calls in working hours.
        say(ctx, "callback_any_time");
        ctx.state().callback_when = "в рабочее время".into();
        let outcome = outcome::ending(ctx, Outcome::Callback);
        ctx.set_outcome(outcome);
        return resume_or_end(ctx);
    }
    missed(ctx, "callback")
}

/// Books a callback at the first date in the caller's words (10:00 when no time was
/// said); `None` when no date was said.
pub(crate) fn book_callback(ctx: C) -> Option<Flow> {
    let date = ctx.understood().dates().first().cloned()?;
    let time = date.time.clone().unwrap_or_else(|| "10:00".to_owned());
    let offset = ctx
        .context()
        .now
        .get(19..)
        .filter(|o| o.len() == 6)
        .unwrap_or("+03:00")
        .to_owned();
    let at = [date.date.as_str(), "T", &time, ":00", &offset].concat();
    let when = [spoken_date(&date.date).as_str(), " в ", &time].concat();
    Some(book(ctx, at, when))
}

/// Schedules the callback, confirms it, and ends the call or goes on qualifying.
fn book(ctx: C, at: String, when: String) -> Flow {
    let note = summary(ctx, None);
    ctx.schedule_callback(at, note);
    ctx.state().callback_when = when.clone();
    let outcome = outcome::ending(ctx, Outcome::Callback);
    ctx.set_outcome(outcome);
    if ctx.state_ref().resume_after_callback {
        let text = ctx
            .text_for("callback_noted", crate::texts::default("callback_noted"))
            .replace("{when}", &when);
        ctx.say(text);
        return resume_or_end(ctx);
    }
    let key = if crate::outbound::is_outbound(ctx) {
        "callback_confirmed_outbound"
    } else {
        "callback_confirmed"
    };
    let text = ctx
        .text_for(key, crate::texts::default(key))
        .replace("{when}", &when);
    ctx.say(text);
    Flow::End("callback")
}

/// After a callback is booked mid-qualification: the remaining questions, then the
/// goodbye; otherwise the goodbye now.
fn resume_or_end(ctx: C) -> Flow {
    if ctx.state_ref().resume_after_callback {
        ctx.state().resume_after_callback = false;
        return crate::nodes::next(ctx);
    }
    Flow::Goto("wrap_up")
}

/// "2026-11-27" → "27 ноября".
pub(crate) fn spoken_date(date: &str) -> String {
    const MONTHS: [&str; 12] = [
        "января",
        "февраля",
        "марта",
        "апреля",
        "мая",
        "июня",
        "июля",
        "августа",
        "сентября",
        "октября",
        "ноября",
        "декабря",
    ];
    let mut parts = date
        .split('-')
        .skip(1)
        .map(|p| p.parse::<usize>().unwrap_or(0));
    let (m, d) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    match MONTHS.get(m.wrapping_sub(1)) {
        Some(month) => [d.to_string().as_str(), " ", month].concat(),
        None => date.to_owned(),
    }
}

/// A short summary of the lead for the person taking the call or calling back.
pub(crate) fn summary(ctx: &Ctx<'_, Sales>, target: Option<&Target>) -> String {
    let text = |slot: &str| {
        ctx.slot(slot).map(|s| match &s.value {
            Value::String(v) => v.clone(),
            v if v.get("amount").is_some() => budget::spoken(v),
            v => v.to_string(),
        })
    };
    let mut parts = Vec::new();
    if ctx.slot("temperature").is_some_and(|t| t.value == "hot") {
        parts.push("горячий лид".to_owned());
    }
    if let Some(name) = text("name") {
        parts.push(name);
    }
    if let Some(company) = text("company") {
        parts.push(["компания ", &company].concat());
    }
    if let Some(need) = text("need") {
        parts.push(["задача: ", &need].concat());
    }
    if let Some(budget) = text("budget") {
        parts.push(["бюджет ", &budget].concat());
    }
    if let Some(timeline) = text("timeline") {
        parts.push(["срок ", &timeline].concat());
    }
    if ctx.slot("decision_maker").is_some_and(|d| d.value == "сам") {
        parts.push("решает сам".to_owned());
    }
    if parts.is_empty() {
        return match target {
            Some(t) if t.department != "sales" => {
                ["Клиент просит соединить: ", &t.who, "."].concat()
            }
            _ => "Клиент просит соединить с менеджером.".to_owned(),
        };
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::spoken_date;

    #[test]
    fn dates_are_spoken_with_the_month() {
        assert_eq!(spoken_date("2026-11-27"), "27 ноября");
        assert_eq!(spoken_date("2027-01-05"), "5 января");
        assert_eq!(spoken_date("garbage"), "garbage");
    }
}
