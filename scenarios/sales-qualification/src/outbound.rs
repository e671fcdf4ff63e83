//! The outbound path: the assistant calls someone who left a request (a campaign's
//! contact). The opening says who calls and why before anything else (the callee must
//! know who calls: 38-FZ art. 18); then it answers what a callee asks of an unexpected
//! call — who is it, where did you get my number — takes a wrong person or a
//! voicemail, and otherwise goes on as the usual qualification.
//!
//! What it reads from `call.custom_data` (strings; any may be absent, and the phrase is
//! then built without it): `contact_name` (how to address the person), `request` (what
//! the request was about), `consent_source` and `consent_date` (`YYYY-MM-DD`), and
//! `answered_by` (`human` or `voicemail`). The older `name` and `reason` are still read.

use crate::ask::ask;
use crate::transfer::spoken_date;
use crate::{Sales, say};
use serde_json::Value;
use sva_sdk::abi::{Direction, Outcome};
use sva_sdk::nlu::{Answer, Intent};
use sva_sdk::{Ctx, Flow, Graph};

type C<'a, 'b> = &'a mut Ctx<'b, Sales>;

pub(crate) fn add(graph: Graph<Sales>) -> Graph<Sales> {
    graph.node("voicemail", voicemail).interrupt(
        "number_removal",
        number_removal,
        number_removal_reply,
    )
}

/// Whether the assistant made this call.
pub(crate) fn is_outbound(ctx: &Ctx<'_, Sales>) -> bool {
    ctx.call().direction == Direction::Outbound
}

/// A non-empty string of the call's campaign data.
pub(crate) fn data<'c>(ctx: &'c Ctx<'_, Sales>, key: &str) -> Option<&'c str> {
    ctx.call()
        .custom_data
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// How to address the person called: `contact_name`, or the older `name`.
pub(crate) fn contact_name(ctx: &Ctx<'_, Sales>) -> Option<String> {
    data(ctx, "contact_name")
        .or_else(|| data(ctx, "name"))
        .map(str::to_owned)
}

/// Whether an answering machine took the call (the platform's detection).
pub(crate) fn reached_voicemail(ctx: &Ctx<'_, Sales>) -> bool {
    is_outbound(ctx) && data(ctx, "answered_by") == Some("voicemail")
}

/// The number the person can be reached at: the one called on an outbound call, the
/// caller's line on an inbound one.
pub(crate) fn contact_number(ctx: &Ctx<'_, Sales>) -> Option<String> {
    let number = if is_outbound(ctx) {
        ctx.call().callee.clone()
    } else {
        ctx.call().caller.clone()
    };
    number.filter(|n| n.len() >= 8)
}

/// Why the call is made, as a sentence with a leading space («Вы оставляли заявку на
/// кондиционер.»), or "" when the campaign did not say.
fn why(ctx: &Ctx<'_, Sales>) -> String {
    let (key, placeholder, value) = match (data(ctx, "request"), data(ctx, "reason")) {
        (Some(request), _) => ("outbound_request", "{request}", request),
        (None, Some(reason)) => ("outbound_reason", "{reason}", reason),
        (None, None) => return String::new(),
    };
    let value = value.to_owned();
    let text = ctx
        .text_for(key, crate::texts::default(key))
        .replace(placeholder, &value);
    [" ", text.trim()].concat()
}

/// How the person is addressed: the campaign's name for them, or the one the CRM knows
/// (kept in the `name` slot when the call starts).
fn addressed(ctx: &Ctx<'_, Sales>) -> Option<String> {
    contact_name(ctx).or_else(|| {
        ctx.slot("name")
            .and_then(|s| s.value.as_str())
            .map(str::to_owned)
    })
}

/// A template with the outbound placeholders filled: `{comma_name}` (", Иван
/// Петрович" or ""), `{contact_name}`, `{why}`.
fn fill(ctx: &Ctx<'_, Sales>, key: &str) -> String {
    let name = addressed(ctx).unwrap_or_default();
    let comma_name = if name.is_empty() {
        String::new()
    } else {
        [", ", &name].concat()
    };
    ctx.text_for(key, crate::texts::default(key))
        .replace("{comma_name}", &comma_name)
        .replace("{contact_name}", &name)
        .replace("{why}", &why(ctx))
}

/// The opening of an outbound call: hello (by name), who calls, why, and whether it is
/// a good time. A tenant's own `greeting_outbound` without `{comma_name}` or `{why}`
/// gets the name before it and the reason after it; one that does not name the company
/// is preceded by `outbound_intro`, so the callee always knows who calls.
pub(crate) fn opening(ctx: C) -> Flow {
    let template = ctx
        .text_for(
            "greeting_outbound",
            crate::texts::default("greeting_outbound"),
        )
        .to_lowercase();
    let mut text = fill(ctx, "greeting_outbound");
    if !template.contains("{why}") {
        text = [text.as_str(), &why(ctx)].concat();
    }
    let company = ctx.tenant().company.to_lowercase();
    if !company.is_empty() && !text.to_lowercase().contains(&company) {
        let intro = fill(ctx, "outbound_intro");
        text = [intro.as_str(), " ", &text].concat();
    }
    if !template.contains("{comma_name}")
        && !template.contains("{contact_name}")
        && let Some(name) = addressed(ctx)
    {
        text = [name.as_str(), ", добрый день! ", &text].concat();
    }
    ctx.say(text);
    ctx.state().opening = true;
    Flow::Wait
}

/// The opening's question again, after the callee asked something first.
pub(crate) fn ask_again_if_convenient(ctx: C) -> Flow {
    ask(ctx, "ask_talk_now")
}

/// An answering machine: who called, why, that we will call back (and the number to call
/// us on), and hang up without waiting.
fn voicemail(ctx: C) -> Flow {
    let call_us = match ctx.call().caller.clone().filter(|c| c.len() >= 8) {
        Some(number) => {
            let text = ctx
                .text_for(
                    "voicemail_call_us",
                    crate::texts::default("voicemail_call_us"),
                )
                .replace("{phone}", &spoken_phone(&number));
            [" ", text.trim()].concat()
        }
        None => String::new(),
    };
    let text = fill(ctx, "voicemail").replace("{call_us}", &call_us);
    // Not to be cut short by the machine's beep or its own recording.
    ctx.say_firmly(text);
    Flow::End("voicemail")
}

/// "+74951234567" → "8 495 123-45-67", as a Russian says a number; others unchanged.
pub(crate) fn spoken_phone(e164: &str) -> String {
    let digits: String = e164.chars().filter(char::is_ascii_digit).collect();
    match (e164.starts_with("+7"), digits.get(1..)) {
        (true, Some(rest)) if digits.len() == 11 => [
            "8 ",
            &rest[..3],
            " ",
            &rest[3..6],
            "-",
            &rest[6..8],
            "-",
            &rest[8..],
        ]
        .concat(),
        _ => e164.to_owned(),
    }
}

/// «Кто это?»: who calls and why, then the question the call was at.
pub(crate) fn who_is_calling(ctx: C) -> Option<Flow> {
    if !is_outbound(ctx) || !ctx.has(Intent::WhoIsCalling) {
        return None;
    }
    let mut text = fill(ctx, "who_is_calling");
    if why(ctx).is_empty() {
        text = [text.trim(), " ", &fill(ctx, "outbound_product")].concat();
    }
    ctx.say(text);
    Some(Flow::Again)
}

/// «Откуда у вас мой номер?»: the consent the campaign holds (its source and date),
/// then the question the call was at; without one, an honest sentence and the offer to
/// remove the number.
pub(crate) fn number_source(ctx: C) -> Option<Flow> {
    if !is_outbound(ctx) || !ctx.has(Intent::NumberSource) {
        return None;
    }
    let Some(source) = data(ctx, "consent_source").map(str::to_owned) else {
        // Asked again while the removal is offered: the same honest answer.
        if ctx.node() == "number_removal" {
            return Some(Flow::Again);
        }
        return Some(Flow::Digress("number_removal"));
    };
    let consent = match data(ctx, "consent_date").and_then(|d| spoken_day(d, &ctx.context().now)) {
        Some(day) => [source.as_str(), ", ", &day].concat(),
        None => source,
    };
    let text = ctx
        .text_for("number_source", crate::texts::default("number_source"))
        .replace("{consent}", &consent);
    ctx.say(text);
    Some(Flow::Again)
}

/// "2026-11-20" → "20 ноября" (with the year when it is not the year of `now`);
/// `None` for anything but a calendar date.
fn spoken_day(date: &str, now: &str) -> Option<String> {
    let mut parts = date.splitn(3, '-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    let valid = year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && month.parse::<u8>().is_ok_and(|m| (1..=12).contains(&m))
        && day.parse::<u8>().is_ok_and(|d| (1..=31).contains(&d));
    if !valid {
        return None;
    }
    let spoken = spoken_date(date);
    Some(if now.starts_with(year) {
        spoken
    } else {
        [spoken.as_str(), " ", year, " года"].concat()
    })
}

/// No consent on record: say so, and offer to remove the number.
fn number_removal(ctx: C) -> Flow {
    say(ctx, "number_source_unknown");
    Flow::Wait
}

fn number_removal_reply(ctx: C) -> Flow {
    // «да», «удаляйте»; not «не удаляйте».
    let words = ctx.understood().words();
    let asks_removal = words
        .iter()
        .enumerate()
        .any(|(i, w)| w.starts_with("удал") && (i == 0 || words[i - 1] != "не"));
    let removes = asks_removal
        || (ctx.understood().answer() == Some(Answer::Yes) && !words.iter().any(|w| w == "не"));
    if removes {
        return do_not_call(ctx);
    }
    say(ctx, "number_kept");
    Flow::Return
}

/// The polite close of a request not to be called; the dialog function then puts the
/// number on the tenant's do-not-call list.
pub(crate) fn do_not_call(ctx: C) -> Flow {
    say(ctx, "do_not_call");
    ctx.set_outcome(Outcome::DoNotCall);
    Flow::End("do_not_call")
}

/// «Вы ошиблись», «здесь такого нет», «это не я», «я не Иван» before the call got
/// anywhere: an apology, no callback.
pub(crate) fn wrong_person(ctx: C) -> Option<Flow> {
    if !is_outbound(ctx) || ctx.slot("need").is_some() {
        return None;
    }
    if !(ctx.has(Intent::WrongPerson) || denies_being_called(ctx)) {
        return None;
    }
    Some(end_wrong_person(ctx))
}

/// Apologises and ends the call: the person called is not on this line.
pub(crate) fn end_wrong_person(ctx: C) -> Flow {
    say(ctx, "wrong_number");
    ctx.set_outcome(Outcome::NotInterested);
    Flow::End("wrong_person")
}

/// «я не Иван», «это не Иван»: the name of the person called, denied.
fn denies_being_called(ctx: &Ctx<'_, Sales>) -> bool {
    let Some(name) = contact_name(ctx) else {
        return false;
    };
    let first = name.split_whitespace().next().unwrap_or_default();
    ctx.understood().words().windows(3).any(|w| {
        matches!(w[0].as_str(), "я" | "это")
            && w[1] == "не"
            && sva_sdk::nlu::names(&w[2]).iter().any(|n| n == first)
    })
}

#[cfg(test)]
mod tests {
    use super::{spoken_day, spoken_phone};

    #[test]
    fn numbers_are_said_as_russians_say_them() {
        assert_eq!(spoken_phone("+74951234567"), "8 495 123-45-67");
        assert_eq!(spoken_phone("+3726123456"), "+3726123456");
        assert_eq!(spoken_phone("+7495"), "+7495");
    }

    #[test]
    fn consent_days_are_spoken_and_bad_ones_dropped() {
        let now = "2026-12-07T12:00:00+03:00";
        assert_eq!(spoken_day("2026-11-30", now).as_deref(), Some("30 ноября"));
        assert_eq!(
            spoken_day("2025-03-05", now).as_deref(),
            Some("5 марта 2025 года")
        );
        for bad in ["30.11.2026", "2026-13-01", "2026-11", "вчера", ""] {
            assert_eq!(spoken_day(bad, now), None, "{bad}");
        }
    }
}
