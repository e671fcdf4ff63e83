//! The nodes: one question per slot, the transfer, the callback, the goodbye.

use crate::excerpt;
use crate::{SLOTS, Sales, say};
use serde_json::{Value, json};
use sva_sdk::abi::{Direction, Hit, Outcome};
use sva_sdk::nlu::{Answer, Money};
use sva_sdk::{Ctx, Flow, Graph};

type C<'a, 'b> = &'a mut Ctx<'b, Sales>;

pub(crate) fn add(graph: Graph<Sales>) -> Graph<Sales> {
    graph
        .interrupt("greet", greet, greet_reply)
        .interrupt("need", |c| ask(c, "ask_need"), need_reply)
        .interrupt("budget", |c| ask(c, "ask_budget"), budget_reply)
        .interrupt("timeline", |c| ask(c, "ask_timeline"), timeline_reply)
        .interrupt("decision", |c| ask(c, "ask_decision"), decision_reply)
        .interrupt("name", |c| ask(c, "ask_name"), name_reply)
        .interrupt("company", |c| ask(c, "ask_company"), company_reply)
        .interrupt("phone", phone, phone_reply)
        .interrupt("phone_dictate", |c| ask(c, "ask_phone"), phone_reply)
        .interrupt("email", |c| ask(c, "ask_email"), email_reply)
        .interrupt("offer_transfer", offer_transfer, offer_transfer_reply)
        .node("transfer", transfer)
        .interrupt(
            "callback_time",
            |c| ask(c, "ask_callback_time"),
            callback_reply,
        )
        .interrupt("think_choice", |_| Flow::Wait, think_reply)
        .interrupt(
            "retention",
            |c| ask(c, "not_interested_retention"),
            retention_reply,
        )
        .node("answer", |c| Flow::Retrieve(c.state_ref().question.clone()))
        .on_knowledge("answer", answered)
        .node("wrap_up", wrap_up)
}

fn ask(ctx: C, key: &str) -> Flow {
    say(ctx, key);
    Flow::Wait
}

/// Where to go next: a hot lead (score at the tenant's `hot_score`, default 70, and the
/// caller decides) is offered the manager; otherwise the first slot still
/// missing; then the goodbye.
pub(crate) fn next(ctx: C) -> Flow {
    let hot = ctx
        .tenant()
        .settings
        .get("hot_score")
        .and_then(Value::as_u64)
        .unwrap_or(70);
    let score = <crate::SalesQualification as sva_sdk::Scenario>::score(ctx);
    let decides = ctx.slot("decision_maker").is_some_and(|d| d.value == "сам");
    if u64::from(score) >= hot
        && decides
        && manager(ctx).is_some()
        && !ctx.state_ref().transfer_offered
    {
        return Flow::Goto("offer_transfer");
    }
    for (slot, node) in SLOTS {
        if ctx.slot(slot).is_none() && !ctx.state_ref().skipped.iter().any(|s| s == slot) {
            return Flow::Goto(node);
        }
    }
    if ctx.state_ref().wants_email && ctx.slot("email").is_none() && !skipped(ctx, "email") {
        return Flow::Goto("email");
    }
    Flow::Goto("wrap_up")
}

fn skipped(ctx: &Ctx<'_, Sales>, slot: &str) -> bool {
    ctx.state_ref().skipped.iter().any(|s| s == slot)
}

/// An answer that did not fill `slot`: ask once more, then move on without it.
fn missed(ctx: C, slot: &str, again_key: Option<&str>) -> Flow {
    if ctx.miss() >= 2 {
        ctx.state().skipped.push(slot.to_owned());
        return next(ctx);
    }
    say(ctx, "misunderstood");
    match again_key {
        Some(key) => ask(ctx, key),
        None => Flow::Goto(node_of(slot)),
    }
}

fn node_of(slot: &str) -> &'static str {
    SLOTS
        .iter()
        .find(|(s, _)| *s == slot)
        .map_or("wrap_up", |(_, n)| n)
}

/// The manager to hand the caller to: the contact's own, or the tenant's.
pub(crate) fn manager(ctx: &Ctx<'_, Sales>) -> Option<String> {
    ctx.context()
        .customer
        .as_ref()
        .and_then(|c| c.manager_phone.clone())
        .or_else(|| ctx.tenant().manager_phone.clone())
}

fn greet(ctx: C) -> Flow {
    // Coming back to the start (after a question, "are you a robot"…) moves on instead
    // of greeting twice.
    if std::mem::replace(&mut ctx.state().greeted, true) {
        return next(ctx);
    }
    // A name the CRM or the campaign already knows.
    let known = ctx
        .context()
        .customer
        .as_ref()
        .and_then(|c| c.name.clone())
        .or_else(|| {
            ctx.call()
                .custom_data
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
    if let Some(name) = known.filter(|n| !n.trim().is_empty()) {
        ctx.set_slot("name", json!(name), 0.9);
    }
    let name = ctx
        .slot("name")
        .and_then(|s| s.value.as_str())
        .map(str::to_owned);
    if ctx.call().direction == Direction::Outbound {
        if let Some(name) = &name {
            ctx.say(format!("{name}, добрый день!"));
        }
        say(ctx, "greeting_outbound");
        if let Some(reason) = ctx
            .call()
            .custom_data
            .get("reason")
            .and_then(Value::as_str)
            .map(str::to_owned)
        {
            ctx.say(format!("Звоню по поводу: {reason}."));
        }
    } else {
        if let Some(name) = &name {
            ctx.say(format!("{name}, добрый день!"));
        }
        say(ctx, "greeting");
    }
    Flow::Wait
}

fn greet_reply(ctx: C) -> Flow {
    let outbound = ctx.call().direction == Direction::Outbound;
    let answer = ctx.understood().answer();
    if outbound {
        return match answer {
            Some(Answer::No) => Flow::Goto("callback_time"),
            _ if has_need(ctx) => need_reply(ctx),
            _ => Flow::Goto("need"),
        };
    }
    if has_need(ctx) {
        need_reply(ctx)
    } else {
        Flow::Goto("need")
    }
}

/// Whether the words describe a need rather than a greeting or a bare yes.
fn has_need(ctx: &Ctx<'_, Sales>) -> bool {
    const FILLER: &[&str] = &[
        "да",
        "здравствуйте",
        "добрый",
        "день",
        "алло",
        "привет",
        "ну",
        "слушаю",
        "удобно",
        "говорите",
        "можно",
        "хорошо",
        "давайте",
        "конечно",
        "ага",
        "вечер",
        "утро",
        "так",
    ];
    ctx.text()
        .split_whitespace()
        .filter(|w| !FILLER.contains(&w.to_lowercase().as_str()))
        .count()
        >= 2
}

fn need_reply(ctx: C) -> Flow {
    if !has_need(ctx) {
        return missed(ctx, "need", Some("ask_need"));
    }
    let need = ctx.text().to_owned();
    ctx.set_slot("need", json!(need), 0.8);
    // The caller may say more at once: a budget or a date in the same breath.
    take_budget(ctx);
    take_timeline(ctx);
    next(ctx)
}

fn money_value(m: &Money) -> Value {
    let mut v = json!({ "amount": m.amount, "currency": m.currency });
    if let Some(upper) = m.upper {
        v["upper"] = json!(upper);
    }
    v
}

/// Speakable amount: "1 500 000 рублей".
///
/// Built without `format!`, like the phrase that says it back: the formatting machinery
/// calls through function pointers, and in a fresh instance every distinct function
/// called that way costs the host a lazy table initialisation, about 4 % of the budget
/// step for the four it used.
pub(crate) fn spoken_money(v: &Value) -> String {
    let amount = v.get("amount").and_then(Value::as_u64).unwrap_or(0);
    let currency = match v.get("currency").and_then(Value::as_str) {
        Some("USD") => "долларов",
        Some("EUR") => "евро",
        _ => "рублей",
    };
    let mut spoken = grouped_digits(amount);
    spoken.push(' ');
    spoken.push_str(currency);
    spoken
}

/// `n` in digits, in groups of three: "1 500 000".
fn grouped_digits(mut n: u64) -> String {
    let mut digits = Vec::with_capacity(20);
    loop {
        digits.push(b'0' + (n % 10) as u8);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let mut grouped = String::with_capacity(26);
    for (place, &digit) in digits.iter().enumerate().rev() {
        grouped.push(char::from(digit));
        if place > 0 && place % 3 == 0 {
            grouped.push(' ');
        }
    }
    grouped
}

fn take_budget(ctx: C) -> bool {
    let Some(money) = ctx.understood().money().last().cloned() else {
        return false;
    };
    ctx.set_slot("budget", money_value(&money), 0.9);
    true
}

fn budget_reply(ctx: C) -> Flow {
    if take_budget(ctx) {
        let spoken = ctx
            .slot("budget")
            .map(|s| spoken_money(&s.value))
            .unwrap_or_default();
        ctx.say(["Записала: ", &spoken, "."].concat());
        take_timeline(ctx);
        return next(ctx);
    }
    match ctx.understood().answer() {
        Some(Answer::Maybe | Answer::No) => {
            ctx.say("Хорошо, обсудите это с менеджером.");
            ctx.state().skipped.push("budget".into());
            next(ctx)
        }
        _ => missed(ctx, "budget", Some("ask_budget_again")),
    }
}

fn take_timeline(ctx: C) -> bool {
    if let Some(date) = ctx.understood().dates().first().cloned() {
        ctx.set_slot("timeline", json!(date.date), 0.9);
        return true;
    }
    const VAGUE: &[&str] = &[
        "месяц",
        "квартал",
        "год",
        "недел",
        "срочно",
        "скорее",
        "сразу",
        "вчера",
        "весн",
        "лет",
        "осен",
        "зим",
        "начал",
        "конц",
        "полгода",
        "торопимся",
        "горит",
    ];
    if ctx
        .understood()
        .words()
        .iter()
        .any(|w| VAGUE.iter().any(|v| w.starts_with(v)))
    {
        ctx.set_slot("timeline", json!(ctx.text()), 0.5);
        return true;
    }
    false
}

fn timeline_reply(ctx: C) -> Flow {
    if take_timeline(ctx) {
        return next(ctx);
    }
    match ctx.understood().answer() {
        Some(Answer::Maybe | Answer::No) => {
            ctx.state().skipped.push("timeline".into());
            next(ctx)
        }
        _ => missed(ctx, "timeline", None),
    }
}

/// Whether `value` (a `YYYY-MM-DD` date) is at most `days` after the call's date.
pub(crate) fn within_days(ctx: &Ctx<'_, Sales>, value: &Value, days: i64) -> bool {
    let parse = |s: &str| -> Option<i64> {
        let mut parts = s.get(..10)?.split('-').map(|p| p.parse::<i64>().ok());
        let (y, m, d) = (parts.next()??, parts.next()??, parts.next()??);
        Some(y * 372 + (m - 1) * 31 + d)
    };
    match (value.as_str().and_then(parse), parse(&ctx.context().now)) {
        (Some(date), Some(today)) => date - today <= days + days / 30,
        _ => false,
    }
}

fn decision_reply(ctx: C) -> Flow {
    let words = ctx.understood().words();
    let others = [
        "директор",
        "руководител",
        "начальни",
        "собственник",
        "совет",
        "учредител",
        "генеральн",
        "бухгалтер",
        "партнер",
        "шеф",
        "коллег",
    ];
    // «я не решаю», «не я», «решаю не сам» deny it even though «я» is said.
    let denied = words.windows(2).any(|pair| {
        pair[0] == "не" && matches!(pair[1].as_str(), "я" | "сам" | "сама" | "решаю" | "лично")
    });
    let someone_else = denied
        || words
            .iter()
            .any(|w| others.iter().any(|o| w.starts_with(o)));
    let me = words
        .iter()
        .any(|w| matches!(w.as_str(), "я" | "сам" | "сама" | "решаю" | "лично"));
    let value = match ctx.understood().answer() {
        _ if someone_else => ctx.text().to_owned(),
        Some(Answer::Yes) => "сам".to_owned(),
        _ if me => "сам".to_owned(),
        Some(Answer::No) => ctx.text().to_owned(),
        _ => return missed(ctx, "decision_maker", None),
    };
    let value = if value == "сам" {
        json!("сам")
    } else {
        json!(value)
    };
    ctx.set_slot("decision_maker", value, 0.8);
    next(ctx)
}

fn name_reply(ctx: C) -> Flow {
    match ctx.understood().names().first().cloned() {
        Some(name) => {
            ctx.set_slot("name", json!(name), 0.9);
            ctx.say(format!("Очень приятно, {name}."));
            next(ctx)
        }
        None => missed(ctx, "name", None),
    }
}

fn company_reply(ctx: C) -> Flow {
    const FILLER: &[&str] = &[
        "компания",
        "компании",
        "из",
        "мы",
        "это",
        "ооо",
        "ип",
        "ао",
        "зао",
        "называется",
        "наша",
        "я",
        "ну",
    ];
    let name: Vec<&str> = ctx
        .text()
        .split_whitespace()
        .filter(|w| !FILLER.contains(&w.to_lowercase().as_str()))
        .collect();
    if name.is_empty() || ctx.understood().answer() == Some(Answer::No) && name.len() <= 1 {
        return missed(ctx, "company", None);
    }
    let company = name.join(" ");
    ctx.set_slot("company", json!(company), 0.7);
    next(ctx)
}

fn phone(ctx: C) -> Flow {
    let caller = ctx.call().caller.clone().filter(|c| c.len() >= 8);
    match caller {
        Some(number) if !ctx.state_ref().phone_offered => {
            ctx.state().phone_offered = true;
            let digits: String = number.chars().filter(char::is_ascii_digit).collect();
            let last4 = digits.get(digits.len().saturating_sub(4)..).unwrap_or("");
            let last4 = format!(
                "{}-{}",
                &last4[..2.min(last4.len())],
                &last4[2.min(last4.len())..]
            );
            let text = ctx
                .text_for("ask_phone_known", crate::texts::default("ask_phone_known"))
                .replace("{last4}", &last4);
            ctx.say(text);
            Flow::Wait
        }
        _ => Flow::Goto("phone_dictate"),
    }
}

fn phone_reply(ctx: C) -> Flow {
    if let Some(phone) = ctx.understood().phones().first().cloned() {
        ctx.set_slot("phone", json!(phone), 0.9);
        return next(ctx);
    }
    if ctx.node() == "phone" {
        match ctx.understood().answer() {
            Some(Answer::Yes) => {
                let caller = ctx.call().caller.clone().unwrap_or_default();
                ctx.set_slot("phone", json!(caller), 1.0);
                return next(ctx);
            }
            Some(Answer::No) => return Flow::Goto("phone_dictate"),
            _ => {}
        }
    }
    missed(ctx, "phone", Some("ask_phone"))
}

fn email_reply(ctx: C) -> Flow {
    match ctx.understood().emails().first().cloned() {
        Some(email) => {
            save_email(ctx, &email);
            next(ctx)
        }
        None => {
            if ctx.miss() >= 2 {
                ctx.state().skipped.push("email".into());
                ctx.say("Хорошо, менеджер уточнит почту, когда будет на связи.");
                return next(ctx);
            }
            say(ctx, "misunderstood");
            ctx.say("Продиктуйте, пожалуйста, по частям: имя, «собака», почтовый сервис.");
            Flow::Wait
        }
    }
}

pub(crate) fn save_email(ctx: C, email: &str) {
    ctx.set_slot("email", json!(email), 0.8);
    let text = ctx
        .text_for("email_saved", crate::texts::default("email_saved"))
        .replace("{email}", email);
    ctx.say(text);
}

fn offer_transfer(ctx: C) -> Flow {
    ctx.state().transfer_offered = true;
    ask(ctx, "offer_transfer")
}

fn offer_transfer_reply(ctx: C) -> Flow {
    match ctx.understood().answer() {
        Some(Answer::Yes) => Flow::Goto("transfer"),
        _ => {
            ctx.say("Хорошо, тогда ещё пара вопросов.");
            next(ctx)
        }
    }
}

/// A short summary of the lead for the manager taking the call.
pub(crate) fn summary(ctx: &Ctx<'_, Sales>) -> String {
    let text = |slot: &str| {
        ctx.slot(slot).map(|s| match &s.value {
            Value::String(v) => v.clone(),
            v if v.get("amount").is_some() => spoken_money(v),
            v => v.to_string(),
        })
    };
    let mut parts = Vec::new();
    if let Some(name) = text("name") {
        parts.push(name);
    }
    if let Some(company) = text("company") {
        parts.push(format!("компания {company}"));
    }
    if let Some(need) = text("need") {
        parts.push(format!("задача: {need}"));
    }
    if let Some(budget) = text("budget") {
        parts.push(format!("бюджет {budget}"));
    }
    if let Some(timeline) = text("timeline") {
        parts.push(format!("срок {timeline}"));
    }
    if parts.is_empty() {
        "Клиент просит соединить с менеджером.".to_owned()
    } else {
        parts.join("; ")
    }
}

pub(crate) fn transfer(ctx: C) -> Flow {
    let Some(to) = manager(ctx) else {
        say(ctx, "no_manager");
        return Flow::Goto("callback_time");
    };
    say(ctx, "transferring");
    ctx.set_outcome(Outcome::Transferred);
    Flow::Transfer {
        to,
        summary: summary(ctx),
    }
}

/// Books a callback at the first date in the caller's words (10:00 when no time was
/// said) and says goodbye; `None` when no date was said.
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
    let at = format!("{}T{time}:00{offset}", date.date);
    let note = summary(ctx);
    ctx.schedule_callback(at, note);
    ctx.set_outcome(Outcome::Callback);
    let when = format!("{} в {time}", spoken_date(&date.date));
    let text = ctx
        .text_for(
            "callback_confirmed",
            crate::texts::default("callback_confirmed"),
        )
        .replace("{when}", &when);
    ctx.say(text);
    Some(Flow::End("callback"))
}

/// "2026-11-27" → "27 ноября".
fn spoken_date(date: &str) -> String {
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
        Some(month) => format!("{d} {month}"),
        None => date.to_owned(),
    }
}

fn callback_reply(ctx: C) -> Flow {
    if let Some(flow) = book_callback(ctx) {
        return flow;
    }
    if ctx.miss() >= 2 {
        ctx.say("Хорошо, менеджер перезвонит вам в рабочее время. Всего доброго!");
        ctx.set_outcome(Outcome::Callback);
        return Flow::End("callback");
    }
    ctx.say("Назовите, пожалуйста, день и время — например, завтра после обеда.");
    Flow::Wait
}

fn think_reply(ctx: C) -> Flow {
    if let Some(email) = ctx.understood().emails().first().cloned() {
        save_email(ctx, &email);
        return Flow::Goto("wrap_up");
    }
    let text = ctx.text().to_lowercase();
    if text.contains("почт") || text.contains("пришл") || text.contains("материал")
    {
        ctx.state().wants_email = true;
        return Flow::Goto("email");
    }
    if let Some(flow) = book_callback(ctx) {
        return flow;
    }
    if text.contains("перезвон") || text.contains("менеджер") || text.contains("позвон")
    {
        return Flow::Goto("callback_time");
    }
    Flow::Goto("wrap_up")
}

fn retention_reply(ctx: C) -> Flow {
    if let Some(email) = ctx.understood().emails().first().cloned() {
        save_email(ctx, &email);
        ctx.set_outcome(Outcome::NotQualified);
        ctx.say("Спасибо, отправим. Всего доброго!");
        return Flow::End("not_interested");
    }
    match ctx.understood().answer() {
        Some(Answer::Yes) => {
            ctx.state().wants_email = true;
            Flow::Goto("email")
        }
        _ => {
            say(ctx, "not_interested_goodbye");
            ctx.set_outcome(Outcome::NotInterested);
            Flow::End("not_interested")
        }
    }
}

/// Speaks what the best passage says about the question (its matching sentences, not
/// the whole passage); asks which one the caller means when the knowledge base found two
/// it could not tell apart (the same score: the dialog function's sign of a close call),
/// offering the manager too; or admits not knowing. Then returns to where the call was.
fn answered(ctx: C, hits: &[Hit]) -> Flow {
    match hits {
        [first, second, ..] if second.score >= first.score => {
            let (a, b) = excerpt::names(
                (&first.source.heading, &first.text),
                (&second.source.heading, &second.text),
            );
            let text = ctx
                .text_for("knowledge_which", crate::texts::default("knowledge_which"))
                .replace("{a}", &a)
                .replace("{b}", &b);
            ctx.say(text);
            ctx.log(format!(
                "asked which: {} / {} or {} / {}",
                first.source.document,
                first.source.heading,
                second.source.document,
                second.source.heading
            ));
        }
        [hit, ..] => {
            let question = ctx.state_ref().question.clone();
            let spoken = excerpt::excerpt(&question, &hit.text);
            ctx.say(spoken);
            ctx.log(format!(
                "answered from {} / {}",
                hit.source.document, hit.source.heading
            ));
        }
        [] => {
            say(ctx, "no_answer_known");
            let question = std::mem::take(&mut ctx.state().question);
            let open = &mut ctx.state().open_questions;
            if open.len() < 5 {
                open.push(question.chars().take(200).collect());
            }
        }
    }
    Flow::Return
}

fn wrap_up(ctx: C) -> Flow {
    let filled = |ctx: &Ctx<'_, Sales>, s: &str| ctx.slot(s).is_some();
    let qualified = filled(ctx, "need")
        && (filled(ctx, "phone") || filled(ctx, "email"))
        && (filled(ctx, "budget") || filled(ctx, "timeline"));
    if ctx.outcome() == Outcome::InProgress {
        ctx.set_outcome(if qualified {
            Outcome::Qualified
        } else {
            Outcome::NotQualified
        });
    }
    if qualified || filled(ctx, "need") {
        let comma_name = ctx
            .slot("name")
            .and_then(|s| s.value.as_str())
            .map(|n| format!(", {n}"))
            .unwrap_or_default();
        let text = ctx
            .text_for(
                "goodbye_qualified",
                crate::texts::default("goodbye_qualified"),
            )
            .replace("{comma_name}", &comma_name);
        ctx.say(text);
    } else {
        say(ctx, "goodbye");
    }
    Flow::End("completed")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn amounts_are_spoken_in_groups_of_three() {
        for (amount, spoken) in [
            (0, "0"),
            (7, "7"),
            (999, "999"),
            (1000, "1 000"),
            (25_000, "25 000"),
            (1_500_000, "1 500 000"),
            (u64::MAX, "18 446 744 073 709 551 615"),
        ] {
            assert_eq!(grouped_digits(amount), spoken);
        }
        assert_eq!(
            spoken_money(&json!({"amount": 5000, "currency": "USD"})),
            "5 000 долларов"
        );
        assert_eq!(spoken_money(&json!({"amount": 700})), "700 рублей");
    }
}
