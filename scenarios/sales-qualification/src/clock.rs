//! Time for routing: the call's moment (from `context.now`) in a department's time zone,
//! whether the department answers then, and when it answers next.

use crate::rules::OpenHours;
use sva_sdk::abi::clock;
use sva_sdk::nlu::Now;

/// A moment as minutes since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Moment(i64);

/// Weekday names as the settings write them, Monday first.
const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl Moment {
    /// 1970-01-01T00:00Z.
    pub(crate) const EPOCH: Moment = Moment(0);

    /// The call's moment and the tenant's offset (minutes east of UTC), from `now`.
    pub(crate) fn parse(now: &str) -> Option<(Moment, i32)> {
        let now = Now::parse_rfc3339(now).ok()?;
        let days = clock::days_from_civil(i64::from(now.year), now.month, now.day);
        let local = days * 1440 + i64::from(now.hour * 60 + now.minute);
        Some((
            Moment(local - i64::from(now.offset_minutes)),
            now.offset_minutes,
        ))
    }

    /// Days since 1970-01-01 and the minute of the day, at `offset`.
    fn local(self, offset: i32) -> (i64, u32) {
        let local = self.0 + i64::from(offset);
        (local.div_euclid(1440), local.rem_euclid(1440) as u32)
    }

    /// RFC 3339 at `offset`.
    pub(crate) fn rfc3339(self, offset: i32) -> String {
        clock::rfc3339(self.0 * 60, offset)
    }
}

/// Monday 0 … Sunday 6 of a day number (1970-01-01 was a Thursday).
fn weekday(day: i64) -> usize {
    (day + 3).rem_euclid(7) as usize
}

/// `HH:MM` as minutes (`24:00` is 1440).
pub(crate) fn minutes(time: &str) -> Option<u32> {
    let (h, m) = time.split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h * 60 + m <= 1440 && m < 60).then_some(h * 60 + m)
}

/// When a department answers next, seen from `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Open {
    /// It answers now (or has no hours).
    Now,
    /// It opens at this moment.
    At(Moment),
    /// Its hours never open (an empty or broken schedule).
    Never,
}

/// Whether `hours` (in a zone `offset` minutes east of UTC) are open at `at`, or when
/// they open next, within a fortnight. No hours: always open.
pub(crate) fn next_open(hours: &[OpenHours], offset: i32, at: Moment) -> Open {
    if hours.is_empty() {
        return Open::Now;
    }
    let (today, minute) = at.local(offset);
    let mut best: Option<i64> = None;
    for day in today..today + 15 {
        let name = WEEKDAYS[weekday(day)];
        for entry in hours.iter().filter(|h| h.days.iter().any(|d| d == name)) {
            let (Some(open), Some(close)) = (minutes(&entry.open), minutes(&entry.close)) else {
                continue;
            };
            if day == today && (open..close).contains(&minute) {
                return Open::Now;
            }
            if day > today || open > minute {
                let start = day * 1440 + i64::from(open) - i64::from(offset);
                best = Some(best.map_or(start, |b| b.min(start)));
            }
        }
        if best.is_some() {
            break;
        }
    }
    best.map_or(Open::Never, |m| Open::At(Moment(m)))
}

/// How a caller hears `when` from `now` (both at `offset`): «сегодня в 14:00», «завтра в
/// 9:00», «в понедельник в 9:00».
pub(crate) fn spoken(when: Moment, now: Moment, offset: i32) -> String {
    const ON_DAY: [&str; 7] = [
        "в понедельник",
        "во вторник",
        "в среду",
        "в четверг",
        "в пятницу",
        "в субботу",
        "в воскресенье",
    ];
    let (day, minute) = when.local(offset);
    let (today, _) = now.local(offset);
    let on = match day - today {
        0 => "сегодня",
        1 => "завтра",
        2 => "послезавтра",
        _ => ON_DAY[weekday(day)],
    };
    let mut text = String::with_capacity(32);
    text.push_str(on);
    text.push_str(" в ");
    text.push_str(&(minute / 60).to_string());
    text.push(':');
    if minute % 60 < 10 {
        text.push('0');
    }
    text.push_str(&(minute % 60).to_string());
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weekdays_9_to_18() -> Vec<OpenHours> {
        vec![OpenHours {
            days: ["mon", "tue", "wed", "thu", "fri"]
                .map(String::from)
                .to_vec(),
            open: "09:00".into(),
            close: "18:00".into(),
        }]
    }

    fn at(now: &str) -> (Moment, i32) {
        Moment::parse(now).expect("a valid now")
    }

    #[test]
    fn open_hours_and_the_next_opening() {
        let hours = weekdays_9_to_18();
        // Wednesday noon in Moscow: open.
        let (noon, msk) = at("2026-11-25T12:00:00+03:00");
        assert_eq!(next_open(&hours, msk, noon), Open::Now);
        // Wednesday 20:00: tomorrow at 9.
        let (evening, _) = at("2026-11-25T20:00:00+03:00");
        let Open::At(next) = next_open(&hours, msk, evening) else {
            panic!("closed in the evening");
        };
        assert_eq!(next.rfc3339(msk), "2026-11-26T09:00:00+03:00");
        assert_eq!(spoken(next, evening, msk), "завтра в 9:00");
        // Friday 19:00: Monday at 9.
        let (friday, _) = at("2026-11-27T19:00:00+03:00");
        let Open::At(next) = next_open(&hours, msk, friday) else {
            panic!("closed on Friday evening");
        };
        assert_eq!(next.rfc3339(msk), "2026-11-30T09:00:00+03:00");
        assert_eq!(spoken(next, friday, msk), "в понедельник в 9:00");
        // Early morning: today at 9.
        let (early, _) = at("2026-11-25T07:30:00+03:00");
        let Open::At(next) = next_open(&hours, msk, early) else {
            panic!("closed early");
        };
        assert_eq!(spoken(next, early, msk), "сегодня в 9:00");
        // 18:00 sharp is closed.
        let (six, _) = at("2026-11-25T18:00:00+03:00");
        assert!(matches!(next_open(&hours, msk, six), Open::At(_)));
    }

    #[test]
    fn a_department_in_another_zone() {
        // Noon in Moscow is 16:00 in Novosibirsk (+07:00): open until 18:00 there.
        let hours = weekdays_9_to_18();
        let (noon, _) = at("2026-11-25T12:00:00+03:00");
        assert_eq!(next_open(&hours, 420, noon), Open::Now);
        // 15:00 in Moscow is 19:00 there: tomorrow 9:00 local, 05:00 in Moscow.
        let (three, msk) = at("2026-11-25T15:00:00+03:00");
        let Open::At(next) = next_open(&hours, 420, three) else {
            panic!("closed");
        };
        assert_eq!(next.rfc3339(420), "2026-11-26T09:00:00+07:00");
        assert_eq!(next.rfc3339(msk), "2026-11-26T05:00:00+03:00");
    }

    #[test]
    fn no_hours_is_always_open_and_broken_hours_never() {
        let (noon, msk) = at("2026-11-25T12:00:00+03:00");
        assert_eq!(next_open(&[], msk, noon), Open::Now);
        let broken = vec![OpenHours {
            days: vec!["someday".into()],
            open: "09:00".into(),
            close: "18:00".into(),
        }];
        assert_eq!(next_open(&broken, msk, noon), Open::Never);
        assert_eq!(minutes("24:00"), Some(1440));
        assert_eq!(minutes("25:00"), None);
    }
}
