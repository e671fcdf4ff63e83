//! How good a lead is, from everything the caller said: the score, the temperature, and
//! the signals a caller gives without being asked — «срочно» is a timeline, «я
//! генеральный директор» is who decides.

use crate::Sales;
use crate::rules::Rules;
use serde_json::{Value, json};
use sva_sdk::Ctx;

/// A lead's temperature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Temperature {
    /// Decides and scores at least `hot_score`: offered a manager at once.
    Hot,
    /// Scores at least `warm_score`.
    Warm,
    /// Less.
    Cold,
}

impl Temperature {
    /// The slot value.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Temperature::Hot => "hot",
            Temperature::Warm => "warm",
            Temperature::Cold => "cold",
        }
    }
}

/// Word stems that say the matter is urgent.
const URGENT: &[&str] = &[
    "срочн",
    "горит",
    "горят",
    "немедленно",
    "незамедлительно",
    "поскорее",
    "побыстрее",
    "быстрее",
    "торопимся",
    "asap",
];

/// Phrases that say it is urgent.
const URGENT_PHRASES: &[&str] = &[
    "как можно скорее",
    "как можно быстрее",
    "на этой неделе",
    "в ближайшие дни",
    "в течение недели",
    "через неделю",
    "до конца недели",
    "до конца месяца",
    "в этом месяце",
    "прямо сейчас",
    "нужно было вчера",
    "надо было вчера",
];

/// Roles whose holder decides a purchase when the caller says «я …» (nominative: «я
/// спрошу у директора» is not one).
const DECIDING_ROLES: &[&str] = &[
    "директор",
    "гендир",
    "гендиректор",
    "руководитель",
    "владелец",
    "владелица",
    "собственник",
    "собственница",
    "учредитель",
    "хозяин",
    "хозяйка",
    "founder",
    "ceo",
    "лпр",
    "предприниматель",
    "ип",
];

/// Words that may stand between «я» and the role: «я тут генеральный директор».
fn before_role(word: &str) -> bool {
    matches!(word, "тут" | "здесь" | "и" | "же" | "как" | "сам" | "сама")
        || ["ый", "ий", "ой"].iter().any(|end| word.ends_with(end))
}

/// need 15, budget 25, timeline 20 (urgent) / 15 (within three months) / 10 (vague or
/// far), decides alone 20 (5 when someone else does), name 5, company 5, phone 10.
pub(crate) fn score(ctx: &Ctx<'_, Sales>) -> u8 {
    let has = |s: &str| ctx.slot(s).is_some();
    let mut score = 0u32;
    if has("need") {
        score += 15;
    }
    if has("budget") {
        score += 25;
    }
    if let Some(timeline) = ctx.slot("timeline") {
        score += timeline_points(ctx, &timeline.value);
    }
    if let Some(decides) = ctx.slot("decision_maker") {
        score += if decides.value == "сам" { 20 } else { 5 };
    }
    for (slot, points) in [("name", 5), ("company", 5), ("phone", 10)] {
        if has(slot) {
            score += points;
        }
    }
    score.min(100) as u8
}

/// 20 for an urgent timeline (urgency words, or a date within `urgent_days`), 15 within
/// three months, 10 otherwise.
fn timeline_points(ctx: &Ctx<'_, Sales>, value: &Value) -> u32 {
    let urgent_days = Rules::from_settings(&ctx.tenant().settings)
        .temperature
        .urgent_days;
    match value.as_str() {
        Some(date) if is_date(date) => {
            if within_days(ctx, date, i64::from(urgent_days)) {
                20
            } else if within_days(ctx, date, 90) {
                15
            } else {
                10
            }
        }
        Some(words) if says_urgent(&crate::nodes::words_of(words)) => 20,
        Some(words) if words.contains("месяц") || words.contains("квартал") => 15,
        _ => 10,
    }
}

fn is_date(text: &str) -> bool {
    text.len() == 10 && text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-'
}

/// Whether `date` (`YYYY-MM-DD`) is at most `days` after the call's date.
pub(crate) fn within_days(ctx: &Ctx<'_, Sales>, date: &str, days: i64) -> bool {
    let day_number = |s: &str| -> Option<i64> {
        let mut parts = s.get(..10)?.split('-').map(|p| p.parse::<i64>().ok());
        let (y, m, d) = (parts.next()??, parts.next()??, parts.next()??);
        Some(sva_sdk::abi::clock::days_from_civil(
            y,
            u32::try_from(m).ok()?,
            u32::try_from(d).ok()?,
        ))
    };
    match (day_number(date), day_number(&ctx.context().now)) {
        (Some(date), Some(today)) => date - today <= days,
        _ => false,
    }
}

/// Whether the words say the matter is urgent.
pub(crate) fn says_urgent(words: &[String]) -> bool {
    let negated = |i: usize| i > 0 && words[i - 1] == "не";
    words
        .iter()
        .enumerate()
        .any(|(i, w)| !negated(i) && URGENT.iter().any(|u| w.starts_with(u)))
        || URGENT_PHRASES
            .iter()
            .any(|p| crate::routing::names_topic(words, p))
}

/// Whether the caller says he decides: «я генеральный директор», «я собственник», «я и
/// решаю», «решение принимаю я» — and not «я не директор».
pub(crate) fn says_decides(words: &[String]) -> bool {
    let role_after_me = words.iter().enumerate().any(|(i, w)| {
        w == "я"
            && words[i + 1..]
                .iter()
                .take(4)
                .find(|n| !before_role(n))
                .is_some_and(|role| DECIDING_ROLES.contains(&role.as_str()))
    });
    let phrases = [
        "я решаю",
        "я и решаю",
        "решаю я",
        "решаю сам",
        "решаю сама",
        "сам решаю",
        "сама решаю",
        "решение принимаю я",
        "я принимаю решение",
        "я принимаю решения",
        "решение за мной",
        "последнее слово за мной",
    ];
    role_after_me
        || phrases
            .iter()
            .any(|p| crate::routing::names_topic(words, p))
}

/// Takes what the caller said in passing: urgency as the timeline, «я директор» as who
/// decides (each only when not known yet).
pub(crate) fn observe(ctx: &mut Ctx<'_, Sales>) {
    if ctx.text().is_empty() {
        return;
    }
    let words = ctx.understood().words();
    let urgent = ctx.slot("timeline").is_none() && says_urgent(words);
    let decides = ctx.slot("decision_maker").is_none() && says_decides(words);
    if urgent {
        let text = ctx.text().to_owned();
        ctx.set_slot("timeline", json!(text), 0.8);
    }
    if decides {
        ctx.set_slot("decision_maker", json!("сам"), 0.8);
    }
}

/// The lead's temperature under the tenant's thresholds.
pub(crate) fn temperature(ctx: &Ctx<'_, Sales>) -> Temperature {
    let rules = Rules::from_settings(&ctx.tenant().settings).temperature;
    let score = score(ctx);
    let decides = ctx.slot("decision_maker").is_some_and(|d| d.value == "сам");
    if decides && score >= rules.hot_score {
        Temperature::Hot
    } else if score >= rules.warm_score {
        Temperature::Warm
    } else {
        Temperature::Cold
    }
}

/// Writes the temperature into the record once anything is known of the lead.
pub(crate) fn note_temperature(ctx: &mut Ctx<'_, Sales>) {
    let known = ["need", "budget", "timeline", "decision_maker"]
        .iter()
        .any(|s| ctx.slot(s).is_some());
    if known {
        let temperature = temperature(ctx).as_str();
        ctx.set_fact("temperature", json!(temperature), 1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn who_decides_in_passing() {
        for yes in [
            "я генеральный директор компании",
            "я директор",
            "я собственник бизнеса",
            "ну я и решаю",
            "решение принимаю я",
            "я тут гендир",
        ] {
            assert!(says_decides(&words(yes)), "{yes}");
        }
        for no in [
            "решает генеральный директор",
            "я не директор",
            "я спрошу у директора",
            "нам нужна система",
        ] {
            assert!(!says_decides(&words(no)), "{no}");
        }
    }

    #[test]
    fn urgency_in_passing() {
        for yes in [
            "нам срочно",
            "горит проект",
            "как можно скорее",
            "надо было вчера",
        ] {
            assert!(says_urgent(&words(yes)), "{yes}");
        }
        for no in [
            "в следующем году",
            "пока не знаем",
            "не горит",
            "не срочно",
            "перезвоните завтра",
        ] {
            assert!(!says_urgent(&words(no)), "{no}");
        }
    }
}
