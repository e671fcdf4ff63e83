//! Amounts of money.
//!
//! A number is money when a currency word follows it (`500 рублей`, `тысяча долларов`),
//! or when it carries a scale (`тысяч`, `млн`, `к`, `лям`) and no counted noun follows
//! (`50 тысяч человек` is not money), or when a budget word stands just before it
//! (`бюджет 300000`). Phone numbers, dates, times and durations are never money.
//!
//! Ranges keep both bounds: "от трёхсот до пятисот тысяч", and the guesses callers make
//! ("миллион, может полтора", "пятьсот или семьсот тысяч", "пятьсот семьсот тысяч").
//! An amount with a hedge near it ("где-то", "около", "примерно") or a guessed range is
//! marked approximate.

use crate::numbers::{Cardinal, cardinal};
use crate::text::starts_with_any;
use crate::{Currency, Money};

/// Nouns that make a preceding number a count of something other than money.
const COUNTED: &[&str] = &[
    "человек",
    "сотрудник",
    "работник",
    "пользовател",
    "клиент",
    "склад",
    "магазин",
    "точк",
    "филиал",
    "штук",
    "шт",
    "позици",
    "товар",
    "единиц",
    "процент",
    "метр",
    "квадрат",
    "кв",
    "километр",
    "км",
    "тонн",
    "кг",
    "килограмм",
    "лет",
    "год",
    "месяц",
    "недел",
    "дн",
    "день",
    "час",
    "минут",
    "секунд",
    "раз",
    "машин",
    "компьютер",
    "лицензи",
    "рабоч",
    "мест",
    "заказ",
    "палет",
    "паллет",
    "sku",
    "артикул",
    "строк",
    "документ",
    "звонк",
    "литр",
    "сотк",
];

/// Words after which a bare number is a budget.
const BUDGET: &[&str] = &[
    "бюджет",
    "стоимост",
    "стоит",
    "цена",
    "цену",
    "ценой",
    "сумм",
    "готов",
    "потрат",
    "заплат",
    "выделен",
    "выделим",
    "рассчитыва",
    "рублей",
    "порядка",
    "около",
    "примерно",
    "где-то",
    "до",
];

fn currency_at(tokens: &[String], i: usize) -> Option<Currency> {
    let t = tokens.get(i)?.as_str();
    if starts_with_any(t, &["рубл", "руб"]) || matches!(t, "р" | "₽" | "rub") {
        Some(Currency::Rub)
    } else if starts_with_any(t, &["доллар", "бакс", "usd"]) || t == "$" {
        Some(Currency::Usd)
    } else if starts_with_any(t, &["евро", "eur"]) || t == "€" {
        Some(Currency::Eur)
    } else {
        None
    }
}

fn counted_noun_at(tokens: &[String], i: usize) -> bool {
    tokens.get(i).is_some_and(|t| is_counted(t))
}

/// Whether `word` names something counted (people, sites, days…), not money.
pub(crate) fn is_counted(word: &str) -> bool {
    starts_with_any(word, COUNTED)
}

fn budget_before(tokens: &[String], start: usize) -> bool {
    tokens[start.saturating_sub(3)..start]
        .iter()
        .any(|t| starts_with_any(t, BUDGET))
}

/// Amounts of money in `tokens`; `taken` marks tokens already used by phones and dates.
pub(crate) fn extract(tokens: &[String], taken: &[bool]) -> Vec<Money> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let Some(number) = cardinal(tokens, i).filter(|c| free(c, taken)) else {
            i += 1;
            continue;
        };
        let currency = currency_at(tokens, number.end);
        let after = number.end + usize::from(currency.is_some());
        if let Some((money, end)) = range(tokens, &number, currency, after, taken) {
            out.push(money);
            i = end;
            continue;
        }
        if currency.is_some() || is_money(tokens, &number, i) {
            out.push(Money {
                amount: number.value.round() as u64,
                currency: currency.unwrap_or(Currency::Rub),
                upper: None,
                approximate: hedged(tokens, number.start, after),
            });
        }
        i = after;
    }
    out
}

/// A range that starts with `lower`: "от X до Y", "X, может Y", "X или Y", "X, максимум
/// Y", "X а то и Y", or two numerals side by side ("пятьсот семьсот тысяч"). Each bound
/// lends its scale to the other; the range and the token after it are returned.
fn range(
    tokens: &[String],
    lower: &Cardinal,
    currency: Option<Currency>,
    at: usize,
    taken: &[bool],
) -> Option<(Money, usize)> {
    let (upper, connector) = range_upper(tokens, lower, currency, at, taken)?;
    let upper_currency = currency_at(tokens, upper.end);
    // "от трехсот до пятисот тысяч": the upper bound lends its scale to the lower;
    // "от миллиона до полутора": the lower lends its scale to the upper.
    let mut low = if !lower.scaled && upper.scaled && lower.value < 1000.0 {
        lower.value * scale_of(&upper)
    } else {
        lower.value
    };
    let mut high = if !upper.scaled && lower.scaled && upper.value < lower.value {
        upper.value * scale_of(lower)
    } else {
        upper.value
    };
    let money_like = currency.is_some()
        || upper_currency.is_some()
        || is_money(tokens, &upper, lower.start)
        || (lower.scaled && !counted_noun_at(tokens, upper.end));
    if !money_like {
        return None;
    }
    if high < low {
        // "два, может полтора миллиона": said from the top. "от … до …" must rise.
        if connector == Connector::Until {
            return None;
        }
        std::mem::swap(&mut low, &mut high);
    }
    if high == low {
        return None;
    }
    let end = upper.end + usize::from(upper_currency.is_some());
    Some((
        Money {
            amount: low.round() as u64,
            currency: currency.or(upper_currency).unwrap_or(Currency::Rub),
            upper: Some(high.round() as u64),
            approximate: connector == Connector::Hedge || hedged(tokens, lower.start, end),
        },
        end,
    ))
}

/// How the two bounds of a range are joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Connector {
    /// "от X до Y", "X до Y тысяч".
    Until,
    /// "X, может Y", "X или Y", "X, максимум Y", "X, а то и Y": a guess.
    Hedge,
    /// Two numerals side by side: "пятьсот семьсот тысяч" (ASR drops the dash).
    Adjacent,
}

/// Connectors of a guessed range, longest first.
const HEDGE_CONNECTORS: &[&str] = &[
    "а может быть",
    "а может",
    "может быть",
    "может",
    "или даже",
    "или",
    "максимум",
    "а то и",
    "ну или",
];

/// The upper bound of a range whose lower bound is `lower`, and how they are joined.
fn range_upper(
    tokens: &[String],
    lower: &Cardinal,
    currency: Option<Currency>,
    at: usize,
    taken: &[bool],
) -> Option<(Cardinal, Connector)> {
    let upper_at = |i: usize| cardinal(tokens, i).filter(|c| free(c, taken) && c.value > 0.0);
    if tokens.get(at).is_some_and(|t| t == "до") {
        let from = lower.start > 0 && tokens[lower.start - 1] == "от";
        if !from && !lower.scaled {
            return None;
        }
        return upper_at(at + 1).map(|c| (c, Connector::Until));
    }
    for connector in HEDGE_CONNECTORS {
        let words = connector.split(' ').count();
        let joined = tokens
            .get(at..at + words)
            .is_some_and(|run| run.iter().map(String::as_str).eq(connector.split(' ')));
        if joined {
            return upper_at(at + words).map(|c| (c, Connector::Hedge));
        }
    }
    // "пятьсот семьсот тысяч": a bare numeral right before a scaled one.
    if currency.is_none() && !lower.scaled && lower.value < 1000.0 {
        return upper_at(at)
            .filter(|c| c.start == lower.end && c.scaled)
            .map(|c| (c, Connector::Adjacent));
    }
    None
}

/// Words that make an amount a guess: "где-то", "около", "примерно"…
const HEDGES: &[&str] = &[
    "где",
    "около",
    "примерно",
    "порядка",
    "приблизительно",
    "ориентировочно",
    "районе",
    "плюс",
    "навскидку",
    "вроде",
    "наверное",
];

/// Whether a hedge word stands within three words before `start` ("где-то от трёхсот")
/// or two after `end`.
fn hedged(tokens: &[String], start: usize, end: usize) -> bool {
    let before = &tokens[start.saturating_sub(3)..start];
    let after = tokens.get(end..(end + 2).min(tokens.len())).unwrap_or(&[]);
    before
        .iter()
        .chain(after)
        .any(|t| HEDGES.contains(&t.as_str()))
}

fn free(c: &Cardinal, taken: &[bool]) -> bool {
    !(c.start..c.end).any(|k| taken[k])
}

/// Money without a currency word: scaled, or a budget just before; never a count.
fn is_money(tokens: &[String], number: &Cardinal, start: usize) -> bool {
    !counted_noun_at(tokens, number.end)
        && (number.scaled
            || (number.grouped && number.value >= 1e4)
            || (budget_before(tokens, start) && number.value >= 1000.0))
}

/// The largest scale in a number's value (1000 for 500 000, 1 000 000 for 1 500 000).
fn scale_of(c: &Cardinal) -> f64 {
    if c.value >= 1e6 {
        1e6
    } else if c.value >= 1e3 {
        1e3
    } else {
        1.0
    }
}
