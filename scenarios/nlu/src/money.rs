//! Amounts of money.
//!
//! A number is money when a currency word follows it (`500 рублей`, `тысяча долларов`),
//! or when it carries a scale (`тысяч`, `млн`, `к`, `лям`) and no counted noun follows
//! (`50 тысяч человек` is not money), or when a budget word stands just before it
//! (`бюджет 300000`). Phone numbers, dates, times and durations are never money.

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
        if let Some(upper) = range_upper(tokens, &number, after, taken) {
            let upper_currency = currency_at(tokens, upper.end);
            // "от трехсот до пятисот тысяч": the upper bound lends its scale to the lower;
            // "от миллиона до полутора": the lower lends its scale to the upper.
            let lower = if !number.scaled && upper.scaled && number.value < 1000.0 {
                number.value * scale_of(&upper)
            } else {
                number.value
            };
            let upper_value = if !upper.scaled && number.scaled && upper.value < number.value {
                upper.value * scale_of(&number)
            } else {
                upper.value
            };
            let money_like = currency.is_some()
                || upper_currency.is_some()
                || is_money(tokens, &upper, i)
                || (number.scaled && !counted_noun_at(tokens, upper.end));
            if money_like && upper_value >= lower {
                out.push(Money {
                    amount: lower.round() as u64,
                    currency: currency.or(upper_currency).unwrap_or(Currency::Rub),
                    upper: Some(upper_value.round() as u64),
                });
                i = upper.end + usize::from(upper_currency.is_some());
                continue;
            }
        }
        if currency.is_some() || is_money(tokens, &number, i) {
            out.push(Money {
                amount: number.value.round() as u64,
                currency: currency.unwrap_or(Currency::Rub),
                upper: None,
            });
        }
        i = after;
    }
    out
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

/// The upper bound of "от X до Y" (or "X тысяч до Y"), if `tokens[at]` is "до".
fn range_upper(tokens: &[String], lower: &Cardinal, at: usize, taken: &[bool]) -> Option<Cardinal> {
    if tokens.get(at).is_none_or(|t| t != "до") {
        return None;
    }
    let from = lower.start > 0 && tokens[lower.start - 1] == "от";
    if !from && !lower.scaled {
        return None;
    }
    cardinal(tokens, at + 1).filter(|c| free(c, taken) && c.value > 0.0)
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
