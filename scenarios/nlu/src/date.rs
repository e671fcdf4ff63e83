//! Dates and times, relative to a reference now.
//!
//! Rules (see docs/nlu.md): a weekday means its next occurrence after today ("в среду"
//! said on a Wednesday is next week's); "в следующий вторник" is the Tuesday of next
//! week; an ordinal date without a month is this month if still ahead, else next month;
//! a date without a year is the next occurrence. A bare hour is read in business hours
//! (1–7 → 13:00–19:00, 8–12 → morning). A time without a date is today if still ahead,
//! else tomorrow. A month alone ("в январе") is its first day (today when it is this
//! month). Parts of the day: утром 09:00, до обеда 10:00, днём / в обед 13:00,
//! после обеда 14:00, вечером 18:00.

use crate::numbers::{Word, cardinal, ordinal_at, word};
use crate::text::starts_with_any;
use crate::{DateTime, Now};

pub(crate) use sva_abi::clock::{civil_from_days, days_from_civil};

/// Days in a month.
pub(crate) fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// 0 for Monday … 6 for Sunday.
fn weekday(day: i64) -> i64 {
    (day + 3).rem_euclid(7)
}

/// A moment in the reference zone: day number and minutes since midnight.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Point {
    day: i64,
    minutes: Option<u32>,
}

impl Now {
    fn today(&self) -> i64 {
        days_from_civil(i64::from(self.year), self.month, self.day)
    }

    fn minutes(&self) -> u32 {
        self.hour * 60 + self.minute
    }
}

fn weekday_of(t: &str) -> Option<i64> {
    Some(match t {
        _ if t.starts_with("понедельник") => 0,
        _ if t.starts_with("вторник") => 1,
        "среда" | "среду" | "среды" | "среде" | "средой" => 2,
        _ if t.starts_with("четверг") => 3,
        _ if t.starts_with("пятниц") => 4,
        _ if t.starts_with("суббот") => 5,
        _ if t.starts_with("воскресень") => 6,
        _ => return None,
    })
}

fn month_of(t: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "январ",
        "феврал",
        "март",
        "апрел",
        "ма",
        "июн",
        "июл",
        "август",
        "сентябр",
        "октябр",
        "ноябр",
        "декабр",
    ];
    if matches!(t, "мая" | "май" | "мае") {
        return Some(5);
    }
    MONTHS
        .iter()
        .position(|m| *m != "ма" && t.starts_with(m) && t.len() <= m.len() + 4)
        .map(|i| i as u32 + 1)
}

/// A month named in the prepositional or dative case: "в январе", "к марту".
fn month_in(t: &str) -> Option<u32> {
    const FORMS: [(&str, u32); 11] = [
        ("январ", 1),
        ("феврал", 2),
        ("март", 3),
        ("апрел", 4),
        ("июн", 6),
        ("июл", 7),
        ("август", 8),
        ("сентябр", 9),
        ("октябр", 10),
        ("ноябр", 11),
        ("декабр", 12),
    ];
    if matches!(t, "мае" | "маю") {
        return Some(5);
    }
    FORMS
        .iter()
        .find(|(stem, _)| {
            t.strip_prefix(stem)
                .is_some_and(|end| matches!(end, "е" | "ю" | "у"))
        })
        .map(|(_, m)| *m)
}

/// Dates (with times when said) in `tokens`; marks used tokens in `taken`.
pub(crate) fn extract(tokens: &[String], now: &Now, taken: &mut [bool]) -> Vec<DateTime> {
    let today = now.today();
    let mut points: Vec<(usize, Point)> = Vec::new();
    let mut times: Vec<(usize, u32)> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if taken[i] {
            i += 1;
            continue;
        }
        let t = tokens[i].as_str();
        let prev = if i > 0 { tokens[i - 1].as_str() } else { "" };
        let mut used = 1;
        match t {
            "сегодня" => points.push((
                i,
                Point {
                    day: today,
                    minutes: None,
                },
            )),
            "завтра" if prev != "после" => points.push((
                i,
                Point {
                    day: today + 1,
                    minutes: None,
                },
            )),
            "послезавтра" => points.push((
                i,
                Point {
                    day: today + 2,
                    minutes: None,
                },
            )),
            "завтра" => points.push((
                i,
                Point {
                    day: today + 2,
                    minutes: None,
                },
            )),
            "через" => {
                if let Some((point, n)) = after(tokens, i + 1, now) {
                    points.push((i, point));
                    used = n + 1;
                }
            }
            _ => {
                if let Some(wd) = weekday_of(t) {
                    let next_week = starts_with_any(prev, &["следующ"])
                        || (i >= 3 && tokens[i - 3..i].iter().any(|w| w.starts_with("следующ")));
                    let day = if next_week {
                        today - weekday(today) + 7 + wd
                    } else {
                        let delta = (wd - weekday(today)).rem_euclid(7);
                        today + if delta == 0 { 7 } else { delta }
                    };
                    points.push((i, Point { day, minutes: None }));
                } else if t.starts_with("недел") && starts_with_any(prev, &["следующ"])
                {
                    let day = today - weekday(today) + 7;
                    points.push((i, Point { day, minutes: None }));
                } else if let Some(month) =
                    month_in(t).filter(|_| matches!(prev, "в" | "к" | "до" | "на"))
                {
                    let (y, m) = (i64::from(now.year), now.month);
                    let day = match month.cmp(&m) {
                        std::cmp::Ordering::Equal => today,
                        std::cmp::Ordering::Greater => days_from_civil(y, month, 1),
                        std::cmp::Ordering::Less => days_from_civil(y + 1, month, 1),
                    };
                    points.push((i, Point { day, minutes: None }));
                } else if let Some((point, n)) = calendar_date(tokens, i, now) {
                    points.push((i, point));
                    used = n;
                } else if let Some((minutes, n)) = clock(tokens, i) {
                    times.push((i, minutes));
                    used = n;
                }
            }
        }
        if points.last().is_none_or(|(at, _)| *at != i)
            && times.last().is_none_or(|(at, _)| *at != i)
        {
            i += 1;
            continue;
        }
        taken[i..(i + used).min(tokens.len())]
            .iter_mut()
            .for_each(|x| *x = true);
        i += used;
    }

    let mut out = Vec::new();
    let mut push = |p: Point| {
        let (y, m, d) = civil_from_days(p.day);
        let dt = DateTime {
            date: format!("{y:04}-{m:02}-{d:02}"),
            time: p
                .minutes
                .map(|min| format!("{:02}:{:02}", min / 60, min % 60)),
        };
        if !out.contains(&dt) && out.len() < crate::MAX_PER_KIND {
            out.push(dt);
        }
    };
    if points.is_empty() {
        for &(_, minutes) in &times {
            let day = if minutes > now.minutes() {
                today
            } else {
                today + 1
            };
            push(Point {
                day,
                minutes: Some(minutes),
            });
        }
    } else {
        let first_time = times.first().map(|&(_, m)| m);
        for &(_, mut p) in &points {
            if p.minutes.is_none() {
                p.minutes = first_time;
            }
            push(p);
        }
    }
    out
}

/// "через …": a duration from now. Returns the point and the tokens used.
fn after(tokens: &[String], i: usize, now: &Now) -> Option<(Point, usize)> {
    let today = now.today();
    let (count, at) = match tokens.get(i).map(String::as_str) {
        Some("пару" | "пара") => (2.0, i + 1),
        Some("полчаса") => return Some((add_minutes(today, now.minutes(), 30), 1)),
        Some("полгода") => {
            return Some((
                Point {
                    day: add_months(now, 6),
                    minutes: None,
                },
                1,
            ));
        }
        _ => match cardinal(tokens, i).filter(|c| !c.scaled) {
            Some(c) => (c.value, c.end),
            None => (1.0, i),
        },
    };
    let unit = tokens.get(at)?.as_str();
    let used = at + 1 - i;
    let n = count as i64;
    let point = if unit.starts_with("дн") || unit.starts_with("день") || unit == "сутки"
    {
        Point {
            day: today + n,
            minutes: None,
        }
    } else if unit.starts_with("недел") {
        Point {
            day: today + 7 * n,
            minutes: None,
        }
    } else if unit.starts_with("месяц") {
        Point {
            day: add_months(now, n as u32),
            minutes: None,
        }
    } else if unit.starts_with("час") {
        add_minutes(today, now.minutes(), (count * 60.0) as i64)
    } else if unit.starts_with("минут") {
        add_minutes(today, now.minutes(), n)
    } else {
        return None;
    };
    Some((point, used))
}

fn add_minutes(today: i64, now_minutes: u32, delta: i64) -> Point {
    let total = i64::from(now_minutes) + delta;
    Point {
        day: today + total.div_euclid(1440),
        minutes: Some(total.rem_euclid(1440) as u32),
    }
}

fn add_months(now: &Now, n: u32) -> i64 {
    let months = now.month - 1 + n;
    let (y, m) = (
        i64::from(now.year) + i64::from(months / 12),
        months % 12 + 1,
    );
    days_from_civil(y, m, now.day.min(days_in_month(y, m)))
}

/// "пятнадцатого января", "15 января", "первого числа", "на пятнадцатое".
fn calendar_date(tokens: &[String], i: usize, now: &Now) -> Option<(Point, usize)> {
    let prev = if i > 0 { tokens[i - 1].as_str() } else { "" };
    let (day, next) = match ordinal_at(tokens, i) {
        Some(found) => found,
        None => {
            let t = tokens[i].as_str();
            let n: u32 = t.parse().ok().filter(|n| (1..=31).contains(n))?;
            (n, i + 1)
        }
    };
    let following = tokens.get(next).map(String::as_str);
    let (month, used) = match following.and_then(month_of) {
        Some(m) => (Some(m), next + 1 - i),
        None if following == Some("числа") => (None, next + 1 - i),
        None if matches!(prev, "на" | "к" | "до")
            && !tokens[i].bytes().all(|b| b.is_ascii_digit()) =>
        {
            (None, next - i)
        }
        None => return None,
    };
    let today = now.today();
    let (y, m) = (i64::from(now.year), now.month);
    let day_number = match month {
        Some(month) => {
            let this_year =
                (day <= days_in_month(y, month)).then(|| days_from_civil(y, month, day));
            match this_year {
                Some(d) if d >= today => d,
                _ => days_from_civil(y + 1, month, day.min(days_in_month(y + 1, month))),
            }
        }
        None => {
            if day >= now.day && day <= days_in_month(y, m) {
                days_from_civil(y, m, day)
            } else {
                let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                days_from_civil(ny, nm, day.min(days_in_month(ny, nm)))
            }
        }
    };
    Some((
        Point {
            day: day_number,
            minutes: None,
        },
        used,
    ))
}

/// A clock time starting at `tokens[i]`: minutes since midnight and tokens used.
fn clock(tokens: &[String], i: usize) -> Option<(u32, usize)> {
    let t = tokens[i].as_str();
    let prev = if i > 0 { tokens[i - 1].as_str() } else { "" };
    let next = tokens.get(i + 1).map(String::as_str).unwrap_or("");
    // Parts of the day on their own.
    let part = match (t, next) {
        ("после", "обеда") => Some((14 * 60, 2)),
        ("до", "обеда") => Some((10 * 60, 2)),
        ("в", "обед") | ("к", "обеду") => Some((13 * 60, 2)),
        ("в", "полдень") => Some((12 * 60, 2)),
        ("утром" | "утречком", _) => Some((9 * 60, 1)),
        ("с", "утра" | "утреца") | ("с", "самого") => Some((9 * 60, 2)),
        ("днем" | "днём", _) => Some((13 * 60, 1)),
        ("вечером" | "вечерком", _) => Some((18 * 60, 1)),
        ("к", "вечеру") => Some((18 * 60, 2)),
        _ => None,
    };
    if part.is_some() {
        return part;
    }
    // "11:30", "в 11.30".
    if let Some((hs, ms)) = t.split_once([':', '.'])
        && ms.len() == 2
        && (t.contains(':') || matches!(prev, "в" | "к" | "после" | "до" | "около"))
        && let (Ok(h), Ok(m)) = (hs.parse::<u32>(), ms.parse::<u32>())
        && h < 24
        && m < 60
    {
        let (h, used) = modified(h, tokens, i + 1);
        return Some((h * 60 + m, 1 + used));
    }
    // "в половине третьего", "пол третьего": half past the hour before.
    if matches!(t, "половине" | "половина" | "пол") {
        let (hour, end) = ordinal_at(tokens, i + 1).filter(|(h, _)| (1..=12).contains(h))?;
        let base = if hour == 1 { 12 } else { hour - 1 };
        let (h, used) = modified(base, tokens, end);
        let h = if used == 0 { business(base) } else { h };
        return Some((h * 60 + 30, end - i + used));
    }
    // "в три часа дня", "в четыре", "после двух", "в 15 часов", "в пятнадцать тридцать", "в час дня".
    if !matches!(
        prev,
        "в" | "к" | "после" | "около" | "до" | "часа" | "часов"
    ) && !matches!(t, "в" | "к" | "после" | "около")
    {
        return None;
    }
    let start = if matches!(t, "в" | "к" | "после" | "около") {
        i + 1
    } else {
        i
    };
    if tokens.get(start).is_some_and(|w| w == "час") {
        let (h, used) = modified(1, tokens, start + 1);
        let h = if used == 0 { 13 } else { h };
        return Some((h * 60, start + 1 + used - i));
    }
    let hour = cardinal(tokens, start)
        .filter(|c| !c.scaled && c.value.fract() == 0.0 && c.value <= 24.0)?;
    let mut end = hour.end;
    let h = hour.value as u32;
    let said_hours = tokens.get(end).is_some_and(|w| w.starts_with("час"));
    if said_hours {
        end += 1;
    } else if tokens.get(end).is_some_and(|w| {
        crate::money::is_counted(w) || w.starts_with("раз") || w.starts_with("минут")
    }) {
        return None;
    }
    // Minutes: "пятнадцать тридцать", "три часа тридцать минут".
    let mut minutes = 0;
    if let Some(m) =
        cardinal(tokens, end).filter(|c| !c.scaled && c.value < 60.0 && c.value.fract() == 0.0)
        && (tokens.get(m.end).is_some_and(|w| w.starts_with("минут"))
            || (m.value >= 10.0 && !said_hours))
        && matches!(
            word(&tokens[end]),
            Some(Word::Ten(_) | Word::Teen(_)) | None
        )
    {
        minutes = m.value as u32;
        end = m.end + usize::from(tokens.get(m.end).is_some_and(|w| w.starts_with("минут")));
    }
    let (hh, used) = modified(h, tokens, end);
    let hh = if used == 0 { business(h) } else { hh };
    Some(((hh % 24) * 60 + minutes, end + used - i))
}

/// Applies "утра", "дня", "вечера", "ночи" after an hour.
fn modified(h: u32, tokens: &[String], at: usize) -> (u32, usize) {
    match tokens.get(at).map(String::as_str) {
        Some("утра") => (if h == 12 { 0 } else { h }, 1),
        Some("дня") => (if h < 12 { h + 12 } else { h }, 1),
        Some("вечера") => (if h < 12 { h + 12 } else { h }, 1),
        Some("ночи") => (if h == 12 { 0 } else { h }, 1),
        _ => (h, 0),
    }
}

/// A bare hour read in business hours: 1–7 are afternoon, 8–12 morning.
fn business(h: u32) -> u32 {
    if (1..=7).contains(&h) { h + 12 } else { h }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_round_trips() {
        assert_eq!(weekday(days_from_civil(2026, 11, 25)), 2, "a Wednesday");
        assert_eq!(days_in_month(2028, 2), 29);
    }
}
