//! The qualification: the greeting, one question per slot, e-mail, the knowledge base,
//! the goodbye, and where to go next.

use crate::ask::{ask, ask_with, missed, understood};
use crate::excerpt;
use crate::lead::{Temperature, temperature};
use crate::{SLOTS, Sales, budget, outbound, outcome, say};
use serde_json::json;
use sva_sdk::abi::{Direction, Hit};
use sva_sdk::nlu::Answer;
use sva_sdk::{Ctx, Flow, Graph};

type C<'a, 'b> = &'a mut Ctx<'b, Sales>;

pub(crate) fn add(graph: Graph<Sales>) -> Graph<Sales> {
    graph
        .interrupt("greet", greet, greet_reply)
        .interrupt("need", |c| ask_slot(c, "need", "ask_need"), need_reply)
        .interrupt(
            "budget",
            |c| ask_slot(c, "budget", "ask_budget"),
            budget_reply,
        )
        .interrupt(
            "timeline",
            |c| ask_slot(c, "timeline", "ask_timeline"),
            timeline_reply,
        )
        .interrupt(
            "decision",
            |c| ask_slot(c, "decision_maker", "ask_decision"),
            decision_reply,
        )
        .interrupt("name", |c| ask_slot(c, "name", "ask_name"), name_reply)
        .interrupt(
            "company",
            |c| ask_slot(c, "company", "ask_company"),
            company_reply,
        )
        .interrupt("phone", phone, phone_reply)
        .interrupt(
            "phone_dictate",
            |c| ask_slot(c, "phone", "ask_phone"),
            phone_reply,
        )
        .interrupt("email", |c| ask(c, "ask_email"), email_reply)
        .interrupt("think_choice", |_| Flow::Wait, think_reply)
        .interrupt(
            "retention",
            |c| ask(c, "not_interested_retention"),
            retention_reply,
        )
        .on_model("need", crate::model::answered)
        .on_model("timeline", crate::model::answered)
        .on_model("name", crate::model::answered)
        .on_model("company", crate::model::answered)
        .node("answer", |c| Flow::Retrieve(c.state_ref().question.clone()))
        .on_knowledge("answer", answered)
        .on_model("answer", crate::model::phrased)
        .node("wrap_up", wrap_up)
}

/// Asks for `slot` unless it is known by now (said in passing, or while the caller was
/// away on a question): then moves on.
fn ask_slot(ctx: C, slot: &str, question: &str) -> Flow {
    if ctx.slot(slot).is_some() {
        return next(ctx);
    }
    ask(ctx, question)
}

/// The caller's words as the rules read them, for text kept in a slot.
pub(crate) fn words_of(text: &str) -> Vec<String> {
    sva_sdk::nlu::Utterance::new(text, sva_sdk::nlu::FIXED_NOW)
        .words()
        .to_vec()
}

/// Where to go next: a hot lead is offered a manager (once); otherwise the first slot
/// still missing; then e-mail if something is to be sent; then the goodbye. A turn that
/// gets here was understood.
pub(crate) fn next(ctx: C) -> Flow {
    understood(ctx);
    let state = ctx.state_ref();
    if !state.transfer_offered && temperature(ctx) == Temperature::Hot {
        return Flow::Goto("offer_transfer");
    }
    for (slot, node) in SLOTS {
        if ctx.slot(slot).is_none() && !skipped(ctx, slot) {
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

fn greet(ctx: C) -> Flow {
    // Coming back to the start (after a question, "are you a robot"…) moves on instead
    // of greeting twice.
    if std::mem::replace(&mut ctx.state().greeted, true) {
        if ctx.state_ref().opening {
            return outbound::ask_again_if_convenient(ctx);
        }
        return next(ctx);
    }
    if outbound::reached_voicemail(ctx) {
        return Flow::Goto("voicemail");
    }
    // A name the campaign or the CRM already knows.
    let known = outbound::data(ctx, "contact_name")
        .map(str::to_owned)
        .or_else(|| ctx.context().customer.as_ref().and_then(|c| c.name.clone()))
        .or_else(|| outbound::data(ctx, "name").map(str::to_owned));
    if let Some(name) = known.filter(|n| !n.trim().is_empty()) {
        ctx.set_slot("name", json!(name.trim()), 0.9);
    }
    if ctx.call().direction == Direction::Outbound {
        return outbound::opening(ctx);
    }
    let name = ctx
        .slot("name")
        .and_then(|s| s.value.as_str())
        .map(str::to_owned);
    if let Some(name) = &name {
        ctx.say([name.as_str(), ", добрый день!"].concat());
    }
    say(ctx, "greeting");
    Flow::Wait
}

fn greet_reply(ctx: C) -> Flow {
    ctx.state().opening = false;
    if ctx.call().direction == Direction::Outbound && someone_else_answers(ctx) {
        return crate::transfer::someone_else(ctx);
    }
    // «завтра в десять» to «удобно сейчас говорить?»: a time to call back.
    if ctx.call().direction == Direction::Outbound && names_a_time_only(ctx) {
        ctx.state().resume_after_callback = false;
        if let Some(flow) = crate::transfer::book_callback(ctx) {
            return flow;
        }
    }
    let declines = ctx.understood().answer() == Some(Answer::No) && !has_need(ctx);
    if ctx.call().direction == Direction::Outbound && declines {
        ctx.state().resume_after_callback = false;
        return Flow::Goto("callback_time");
    }
    if has_need(ctx) {
        need_reply(ctx)
    } else {
        Flow::Goto("need")
    }
}

/// A day or time and no need, not «да»: when to call back.
fn names_a_time_only(ctx: &Ctx<'_, Sales>) -> bool {
    let said = ctx.understood();
    !said.dates().is_empty()
        && said.answer() != Some(Answer::Yes)
        && !said
            .words()
            .iter()
            .any(|w| INTEREST.iter().any(|i| w.starts_with(i)))
}

/// Whether the person who picked up an outbound call says it is not the one called:
/// «его нет», «это не он», «вы ошиблись номером».
pub(crate) fn someone_else_answers(ctx: &Ctx<'_, Sales>) -> bool {
    const PHRASES: &[&str] = &[
        "его нет",
        "ее нет",
        "нет его",
        "нет ее",
        "нет на месте",
        "на совещании",
        "не может подойти",
        "в отпуске",
        "что передать",
        "это не он",
        "это не она",
        "он не может",
        "она не может",
        "он на совещании",
        "она на совещании",
        "он занят",
        "она занята",
        "ошиблись номером",
        "не туда попали",
        "нет такого",
        "нет таких",
        "такой здесь не",
        "такого здесь нет",
        "его жена",
        "ее муж",
    ];
    let words = ctx.understood().words();
    // «Ивана нет»: the one called, named, is not there.
    let called = outbound::contact_name(ctx);
    let first = called.as_deref().and_then(|n| n.split_whitespace().next());
    let named_absent = words.iter().any(|w| w == "нет")
        && first.is_some_and(|name| ctx.understood().names().iter().any(|n| n == name));
    named_absent
        || PHRASES
            .iter()
            .any(|p| crate::routing::names_topic(words, p))
}

/// Words that carry no need by themselves.
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
    "это",
    "самое",
    "как",
    "его",
    "вот",
    "эээ",
    "ммм",
    "э",
    "м",
    "кхм",
    "бу",
    "не",
    "знаю",
    "нет",
    "что",
    "вы",
    "я",
];

/// More words without a need on an outbound call, where the callee often answers the
/// opening with them («а, понятно, да, говорите»).
const OUTBOUND_FILLER: &[&str] = &["а", "понятно", "ясно", "поняла", "понял"];

/// Words that make a wish to know or compare a need: «хочу узнать цены», «сравнить с
/// тем, что у нас», «интересует ваша система», «присматриваемся».
const INTEREST: &[&str] = &[
    "узнать",
    "уточнить",
    "сравнить",
    "сравниваем",
    "интересует",
    "интересуют",
    "интересно",
    "присматрива",
    "выбираем",
    "подбираем",
    "ищем",
    "рассматрива",
    "посмотреть",
    "разобраться",
    "подобрать",
    "нужн",
    "нужен",
    "нужна",
    "хотим",
    "хотел",
    "хочу",
    "надо",
    "планируем",
    "автоматиз",
    "внедр",
    "систем",
    "склад",
    "учет",
];

/// Whether the words describe a need (a task, or a wish to know or compare something)
/// rather than a greeting, a bare yes, or noise.
fn has_need(ctx: &Ctx<'_, Sales>) -> bool {
    let words = ctx.understood().words();
    let outbound = outbound::is_outbound(ctx);
    let content = words
        .iter()
        .filter(|w| {
            let w = w.as_str();
            !(FILLER.contains(&w) || outbound && OUTBOUND_FILLER.contains(&w))
        })
        .count();
    content >= 2
        || (content >= 1
            && words
                .iter()
                .any(|w| INTEREST.iter().any(|i| w.starts_with(i))))
}

fn need_reply(ctx: C) -> Flow {
    if let Some(flow) = crate::transfer::route_by_topic(ctx) {
        return flow;
    }
    if !has_need(ctx) {
        return missed(ctx, "need");
    }
    let need = ctx.text().to_owned();
    ctx.set_slot("need", json!(need), 0.8);
    // The caller may say more at once: a budget or a date in the same breath.
    take_budget(ctx);
    take_timeline(ctx);
    next(ctx)
}

fn take_budget(ctx: C) -> bool {
    let Some(money) = ctx.understood().money().last().cloned() else {
        return false;
    };
    ctx.set_slot("budget", budget::value(&money), 0.9);
    true
}

fn budget_reply(ctx: C) -> Flow {
    if take_budget(ctx) {
        let spoken = ctx
            .slot("budget")
            .map(|s| budget::spoken(&s.value))
            .unwrap_or_default();
        ctx.say(["Записала: ", &spoken, "."].concat());
        take_timeline(ctx);
        return next(ctx);
    }
    match ctx.understood().answer() {
        Some(Answer::Maybe | Answer::No) => {
            say(ctx, "budget_unknown");
            ctx.state().skipped.push("budget".into());
            next(ctx)
        }
        _ => missed(ctx, "budget"),
    }
}

/// Words that give a timeline without a date.
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
    "быстрее",
];

pub(crate) fn take_timeline(ctx: C) -> bool {
    if let Some(date) = ctx.understood().dates().first().cloned() {
        ctx.set_slot("timeline", json!(date.date), 0.9);
        return true;
    }
    if ctx
        .understood()
        .words()
        .iter()
        .any(|w| VAGUE.iter().any(|v| w.starts_with(v)))
    {
        let urgent = crate::lead::says_urgent(ctx.understood().words());
        let text = ctx.text().to_owned();
        ctx.set_slot("timeline", json!(text), if urgent { 0.8 } else { 0.5 });
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
        _ => missed(ctx, "timeline"),
    }
}

/// Slots other than `asked` the caller filled in answering it: a budget, a timeline, or
/// who decides, each only when still unknown. Whether any was taken.
pub(crate) fn take_other(ctx: C, asked: &str) -> bool {
    let mut took = false;
    if asked != "budget" && ctx.slot("budget").is_none() {
        took |= take_budget(ctx);
    }
    if asked != "timeline" && ctx.slot("timeline").is_none() {
        took |= take_timeline(ctx);
    }
    if asked != "decision_maker" && ctx.slot("decision_maker").is_none() {
        let words = ctx.understood().words();
        let names_decider = words.iter().any(|w| {
            matches!(
                w.as_str(),
                "решает" | "решают" | "согласует" | "согласуют" | "утверждает"
            )
        });
        if names_decider {
            let text = ctx.text().to_owned();
            ctx.set_slot("decision_maker", json!(text), 0.7);
            took = true;
        }
    }
    took
}

fn decision_reply(ctx: C) -> Flow {
    let words = ctx.understood().words();
    if crate::lead::says_decides(words) {
        ctx.set_slot("decision_maker", json!("сам"), 0.8);
        return next(ctx);
    }
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
        "владел",
        "правлени",
        "закупк",
        "тендер",
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
        _ => return missed(ctx, "decision_maker"),
    };
    ctx.set_slot("decision_maker", json!(value), 0.8);
    next(ctx)
}

fn name_reply(ctx: C) -> Flow {
    match ctx.understood().names().first().cloned() {
        Some(name) => {
            ctx.set_slot("name", json!(name), 0.9);
            ctx.say(["Очень приятно, ", &name, "."].concat());
            next(ctx)
        }
        None if refuses(ctx) => {
            ctx.state().skipped.push("name".into());
            next(ctx)
        }
        None => missed(ctx, "name"),
    }
}

/// Whether the caller will not say («не скажу», «неважно», «не хочу»).
pub(crate) fn refuses(ctx: &Ctx<'_, Sales>) -> bool {
    let words = ctx.understood().words();
    ctx.understood().answer() == Some(Answer::No)
        || ["неважно", "зачем", "незачем"]
            .iter()
            .any(|w| words.iter().any(|t| t == w))
        || ["не скажу", "не хочу", "не важно", "не буду"]
            .iter()
            .any(|p| crate::routing::names_topic(words, p))
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
        if refuses(ctx) {
            ctx.state().skipped.push("company".into());
            return next(ctx);
        }
        return missed(ctx, "company");
    }
    let company = name.join(" ");
    ctx.set_slot("company", json!(company), 0.7);
    next(ctx)
}

fn phone(ctx: C) -> Flow {
    if ctx.slot("phone").is_some() {
        return next(ctx);
    }
    // The line the call is on: the caller ID, or the number an outbound call dialled.
    let caller = outbound::contact_number(ctx);
    let question = if outbound::is_outbound(ctx) {
        "ask_phone_known_outbound"
    } else {
        "ask_phone_known"
    };
    // The number is offered once, and again only right after it was asked (in other
    // words, after a misunderstanding or a side question).
    let offer = !ctx.state_ref().phone_offered || ctx.state_ref().last_question == question;
    match caller {
        Some(number) if offer => {
            ctx.state().phone_offered = true;
            let digits: Vec<char> = number.chars().filter(char::is_ascii_digit).collect();
            let last4: String = digits[digits.len().saturating_sub(4)..].iter().collect();
            let (head, tail) = last4.split_at(2.min(last4.len()));
            let last4 = [head, "-", tail].concat();
            ask_with(ctx, question, &[("{last4}", &last4)])
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
                let number = outbound::contact_number(ctx).unwrap_or_default();
                ctx.set_slot("phone", json!(number), 1.0);
                return next(ctx);
            }
            Some(Answer::No) => return Flow::Goto("phone_dictate"),
            _ => {}
        }
    }
    missed(ctx, "phone")
}

fn email_reply(ctx: C) -> Flow {
    if let Some(email) = ctx.understood().emails().first().cloned() {
        save_email(ctx, &email);
        return next(ctx);
    }
    if refuses(ctx) || ctx.misses() >= 2 {
        ctx.state().skipped.push("email".into());
        say(ctx, "email_later");
        return next(ctx);
    }
    missed(ctx, "email")
}

pub(crate) fn save_email(ctx: C, email: &str) {
    ctx.set_slot("email", json!(email), 0.8);
    let text = ctx
        .text_for("email_saved", crate::texts::default("email_saved"))
        .replace("{email}", email);
    ctx.say(text);
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
    if let Some(flow) = crate::transfer::book_callback(ctx) {
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
        let outcome = outcome::ending(ctx, sva_sdk::abi::Outcome::NotQualified);
        ctx.set_outcome(outcome);
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
            ctx.set_outcome(sva_sdk::abi::Outcome::NotInterested);
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
            if let Some(flow) = crate::model::phrase(ctx, &question, &hit.text, &spoken) {
                return flow;
            }
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

/// The goodbye: the outcome from what was learned, and thanks by name when known.
fn wrap_up(ctx: C) -> Flow {
    let outcome = outcome::ending(ctx, sva_sdk::abi::Outcome::NotQualified);
    ctx.set_outcome(outcome);
    let comma_name = ctx
        .slot("name")
        .and_then(|s| s.value.as_str())
        .map(|n| [", ", n].concat())
        .unwrap_or_default();
    let when = ctx.state_ref().callback_when.clone();
    let key = if !when.is_empty() {
        "goodbye_callback"
    } else if ctx.slot("need").is_some() {
        "goodbye_qualified"
    } else {
        "goodbye"
    };
    let text = ctx
        .text_for(key, crate::texts::default(key))
        .replace("{comma_name}", &comma_name)
        .replace("{when}", &when);
    ctx.say(text);
    Flow::End("completed")
}
