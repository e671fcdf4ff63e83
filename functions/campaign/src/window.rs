//! Calling hours: the tenant's local hours, a callee's daily window in UTC, and the check
//! of one instant.
//!
//! Voximplant's call list takes one daily window per row, in UTC: `__start_execution_time`
//! and `__end_execution_time`, `HH:mm:ss`, "UTC+0 24-h format"; when the start is later
//! than the end, "calls are made after start_execution_time on one day and before
//! end_execution_time on the next day"; `__start_at` is a UNIX timestamp before which the
//! row is not started (<https://voximplant.com/docs/references/voxengine/voximplantapi/calllistsinterface>,
//! <https://voximplant.com/docs/guides/solutions/editable-call-lists>).
//!
//! One window serves every day, so it is the strictest one: the UTC minutes that are
//! inside the tenant's hours on every open day of the week, in every zone the callee may
//! be in, at every offset those zones have over the planning horizon. Whole days (a
//! weekend without hours, a holiday of the production calendar) a daily window cannot
//! express: `__start_at` skips the first ones, and the pre-dial check ([`is_open`], with
//! [`next_open`] for the retry) refuses the later ones.

use std::collections::BTreeSet;

use jiff::civil::{Date, Weekday};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::zones::CalleeZone;

/// Seconds in a day.
const DAY: i64 = 86_400;
/// Minutes in a day.
const DAY_MINUTES: usize = 1_440;

/// One day's hours, local time: from `start` (inclusive) to `end` (exclusive), in minutes
/// after midnight; written `09:00-20:00`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DayHours {
    start: u16,
    end: u16,
}

/// Why hours are not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HoursError {
    /// Not `HH:MM-HH:MM`.
    #[error("часы звонков пишутся как 09:00-20:00, а не «{0}»")]
    Format(String),
    /// The end is not after the start (hours do not cross midnight).
    #[error("конец часов звонков должен быть позже начала: «{0}»")]
    Order(String),
}

impl HoursError {
    /// The machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Format(_) => "hours_format",
            Self::Order(_) => "hours_order",
        }
    }
}

impl DayHours {
    /// Hours from `start` to `end` (`(hour, minute)`, `(24, 0)` allowed as the end).
    pub fn new(start: (u8, u8), end: (u8, u8)) -> Result<Self, HoursError> {
        let text = format!("{:02}:{:02}-{:02}:{:02}", start.0, start.1, end.0, end.1);
        let minute = |(h, m): (u8, u8)| -> Option<u16> {
            (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(u16::from(h) * 60 + u16::from(m))
        };
        let (Some(s), Some(e)) = (minute(start), minute(end)) else {
            return Err(HoursError::Format(text));
        };
        if e <= s {
            return Err(HoursError::Order(text));
        }
        Ok(Self { start: s, end: e })
    }

    /// The first minute after local midnight calls may start.
    pub fn start_minute(self) -> u16 {
        self.start
    }

    /// The minute after local midnight calls must have started before.
    pub fn end_minute(self) -> u16 {
        self.end
    }

    /// Whether a local minute of the day is inside.
    pub fn contains(self, minute: u16) -> bool {
        (self.start..self.end).contains(&minute)
    }
}

impl TryFrom<String> for DayHours {
    type Error = HoursError;
    fn try_from(text: String) -> Result<Self, HoursError> {
        text.parse()
    }
}

impl std::str::FromStr for DayHours {
    type Err = HoursError;
    fn from_str(text: &str) -> Result<Self, HoursError> {
        let format = || HoursError::Format(text.to_owned());
        let (a, b) = text
            .trim()
            .split_once(['-', '\u{2013}'])
            .ok_or_else(format)?;
        let hm = |s: &str| -> Option<(u8, u8)> {
            let (h, m) = s.trim().split_once(':')?;
            (h.len() <= 2 && m.len() == 2).then_some(())?;
            Some((h.parse().ok()?, m.parse().ok()?))
        };
        Self::new(hm(a).ok_or_else(format)?, hm(b).ok_or_else(format)?)
    }
}

impl From<DayHours> for String {
    fn from(h: DayHours) -> String {
        h.to_string()
    }
}

impl std::fmt::Display for DayHours {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:02}:{:02}-{:02}:{:02}",
            self.start / 60,
            self.start % 60,
            self.end / 60,
            self.end % 60
        )
    }
}

/// The tenant's calling hours per weekday, local to the callee; `None` is a day without
/// calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hours {
    /// Monday first.
    pub days: [Option<DayHours>; 7],
}

impl Default for Hours {
    /// 09:00–20:00 every day.
    fn default() -> Self {
        Self::weekly(Some(day(9, 20)), Some(day(9, 20)))
    }
}

/// Whole-hour hours, for the constants.
fn day(start: u8, end: u8) -> DayHours {
    DayHours {
        start: u16::from(start) * 60,
        end: u16::from(end) * 60,
    }
}

impl Hours {
    /// One set of hours Monday to Friday and another on Saturday and Sunday.
    pub fn weekly(weekdays: Option<DayHours>, weekends: Option<DayHours>) -> Self {
        Self {
            days: [
                weekdays, weekdays, weekdays, weekdays, weekdays, weekends, weekends,
            ],
        }
    }

    /// The hours of 230-FZ art. 7 (debt collection; common practice for everyone):
    /// 08:00–22:00 on weekdays, 09:00–20:00 on weekends.
    pub fn law_230fz() -> Self {
        Self::weekly(Some(day(8, 22)), Some(day(9, 20)))
    }

    /// The hours of a weekday.
    pub fn on(&self, weekday: Weekday) -> Option<DayHours> {
        self.days[usize::from(weekday.to_monday_zero_offset().unsigned_abs())]
    }

    /// Whether some day has hours.
    pub fn any_open(&self) -> bool {
        self.days.iter().any(Option::is_some)
    }
}

/// The production calendar's days off (public holidays and moved days off), local dates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calendar {
    /// The days without calls.
    pub days_off: BTreeSet<Date>,
}

impl Calendar {
    /// Whether a local date is a day off.
    pub fn is_off(&self, date: Date) -> bool {
        self.days_off.contains(&date)
    }
}

/// A daily window in UTC, seconds after UTC midnight, both ends inclusive; `start > end`
/// runs over UTC midnight (as Voximplant reads it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "WindowDoc", into = "WindowDoc")]
pub struct UtcWindow {
    start: u32,
    end: u32,
}

impl UtcWindow {
    /// `__start_execution_time`: `HH:mm:ss`.
    pub fn start_execution_time(&self) -> String {
        hms(self.start)
    }

    /// `__end_execution_time`: `HH:mm:ss`.
    pub fn end_execution_time(&self) -> String {
        hms(self.end)
    }

    /// Whether an instant falls in the window.
    pub fn contains(&self, at: Timestamp) -> bool {
        let s = second_of_day(at);
        if self.start <= self.end {
            (self.start..=self.end).contains(&s)
        } else {
            s >= self.start || s <= self.end
        }
    }

    /// Seconds of calling time a day.
    pub fn seconds(&self) -> u32 {
        if self.start <= self.end {
            self.end - self.start + 1
        } else {
            DAY as u32 - self.start + self.end + 1
        }
    }

    /// The first instant of the window at or after `at`'s UTC day start plus `days`.
    fn start_on(&self, at: Timestamp, days: i64) -> Option<Timestamp> {
        let midnight = at.as_second().div_euclid(DAY) * DAY;
        Timestamp::from_second(midnight + days * DAY + i64::from(self.start)).ok()
    }
}

/// A window as stored: `{"start": "HH:MM:SS", "end": "HH:MM:SS"}`.
#[derive(Serialize, Deserialize)]
struct WindowDoc {
    start: String,
    end: String,
}

impl From<UtcWindow> for WindowDoc {
    fn from(w: UtcWindow) -> Self {
        Self {
            start: w.start_execution_time(),
            end: w.end_execution_time(),
        }
    }
}

impl TryFrom<WindowDoc> for UtcWindow {
    type Error = String;
    fn try_from(doc: WindowDoc) -> Result<Self, String> {
        let seconds = |t: &str| -> Option<u32> {
            let mut parts = t.split(':');
            let (h, m, s) = (parts.next()?, parts.next()?, parts.next()?);
            if parts.next().is_some() || [h, m, s].iter().any(|p| p.len() != 2) {
                return None;
            }
            let (h, m, s): (u32, u32, u32) = (h.parse().ok()?, m.parse().ok()?, s.parse().ok()?);
            (h < 24 && m < 60 && s < 60).then_some(h * 3600 + m * 60 + s)
        };
        match (seconds(&doc.start), seconds(&doc.end)) {
            (Some(start), Some(end)) => Ok(Self { start, end }),
            _ => Err(format!(
                "a window is HH:MM:SS to HH:MM:SS, not {} to {}",
                doc.start, doc.end
            )),
        }
    }
}

/// Seconds after UTC midnight.
fn second_of_day(at: Timestamp) -> u32 {
    at.as_second().rem_euclid(DAY) as u32
}

fn hms(s: u32) -> String {
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// Why a callee has no window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    /// The hours, in the callee's zone(s), share no UTC minute on every open day.
    #[error("в часовых поясах абонента нет общего времени для звонка в заданные часы")]
    NoCommonTime,
    /// No day of the week has hours.
    #[error("ни в один день недели звонить нельзя")]
    NoOpenDay,
}

impl WindowError {
    /// The machine-readable code.
    pub fn code(self) -> &'static str {
        match self {
            Self::NoCommonTime => "no_common_time",
            Self::NoOpenDay => "no_open_day",
        }
    }
}

/// The offsets (whole minutes) a callee's zones have between `from` and `horizon_days`
/// later, sampled hourly (every transition of the tz database lasts longer than that).
fn offsets(zone: &CalleeZone, from: Timestamp, horizon_days: u16) -> BTreeSet<i32> {
    let mut out = BTreeSet::new();
    for tz in &zone.zones {
        for hour in 0..=i64::from(horizon_days) * 24 {
            let at = from
                .saturating_add(SignedDuration::from_hours(hour))
                .unwrap_or(from);
            out.insert(tz.to_offset(at).seconds().div_euclid(60));
        }
    }
    out
}

/// The callee's daily UTC window: the longest run of UTC minutes that, at every offset
/// the callee's zones have over `horizon_days` from `from`, fall inside the hours of every
/// open weekday.
pub fn daily_window(
    zone: &CalleeZone,
    hours: &Hours,
    from: Timestamp,
    horizon_days: u16,
) -> Result<UtcWindow, WindowError> {
    let open: BTreeSet<DayHours> = hours.days.iter().flatten().copied().collect();
    if open.is_empty() {
        return Err(WindowError::NoOpenDay);
    }
    let offsets = offsets(zone, from, horizon_days);
    let allowed: Vec<bool> = (0..DAY_MINUTES as i32)
        .map(|m| {
            offsets.iter().all(|off| {
                let local = (m + off).rem_euclid(DAY_MINUTES as i32) as u16;
                open.iter().all(|h| h.contains(local))
            })
        })
        .collect();
    longest_run(&allowed)
        .map(|(first, last)| UtcWindow {
            start: first as u32 * 60,
            end: last as u32 * 60 + 59,
        })
        .ok_or(WindowError::NoCommonTime)
}

impl PartialOrd for DayHours {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for DayHours {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.start, self.end).cmp(&(other.start, other.end))
    }
}

/// The longest circular run of `true`: its first and last index.
fn longest_run(allowed: &[bool]) -> Option<(usize, usize)> {
    let n = allowed.len();
    if allowed.iter().all(|a| *a) {
        return Some((0, n - 1));
    }
    // Start scanning just after a `false`, so a run over the end wraps into one.
    let zero = allowed.iter().position(|a| !*a)?;
    let mut best: Option<(usize, usize)> = None;
    let mut run: Option<(usize, usize)> = None;
    for k in 1..=n {
        let i = (zero + k) % n;
        if allowed[i] {
            let (first, len) = run.map_or((i, 1), |(f, l)| (f, l + 1));
            run = Some((first, len));
            if best.is_none_or(|(_, l)| len > l) {
                best = Some((first, len));
            }
        } else {
            run = None;
        }
    }
    best.map(|(first, len)| (first, (first + len - 1) % n))
}

/// Whether the callee may be called at `at`: in each of their zones the local day has
/// hours, the local time is inside them, and the local date is not a day off.
pub fn is_open(zone: &CalleeZone, hours: &Hours, calendar: &Calendar, at: Timestamp) -> bool {
    zone.zones.iter().all(|tz| {
        let local = tz.to_datetime(at);
        let minute = local.hour() as u16 * 60 + local.minute() as u16;
        hours
            .on(local.weekday())
            .is_some_and(|h| h.contains(minute))
            && !calendar.is_off(local.date())
    })
}

/// The first instant at or after `at`, within `limit_days`, that is in `window` and open
/// ([`is_open`]); `None` when there is none.
pub fn next_open(
    zone: &CalleeZone,
    hours: &Hours,
    calendar: &Calendar,
    window: &UtcWindow,
    at: Timestamp,
    limit_days: u16,
) -> Option<Timestamp> {
    if window.contains(at) && is_open(zone, hours, calendar, at) {
        return Some(at);
    }
    // Inside one occurrence of the window every zone's local date stays the same (the
    // window maps into one day's hours), so an occurrence open anywhere is open at its start.
    (-1..=i64::from(limit_days))
        .filter_map(|d| window.start_on(at, d))
        .filter(|t| *t >= at)
        .find(|t| is_open(zone, hours, calendar, *t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zones::Registry;

    fn zone(name: &str) -> CalleeZone {
        Registry::shipped().resolve("+79000000000", Some(name))
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    /// The window over the 31 days from 2026-12-07.
    fn window(zone: &CalleeZone, hours: &Hours) -> Result<UtcWindow, WindowError> {
        daily_window(zone, hours, ts("2026-12-07T00:00:00Z"), 31)
    }

    /// Its `__start_execution_time` and `__end_execution_time`.
    fn times(w: &UtcWindow) -> (String, String) {
        (w.start_execution_time(), w.end_execution_time())
    }

    #[test]
    fn moscow_default_hours_are_six_to_five_utc() {
        let w = window(&zone("Europe/Moscow"), &Hours::default()).unwrap();
        assert_eq!(times(&w), ("06:00:00".into(), "16:59:59".into()));
    }

    #[test]
    fn kamchatka_runs_over_utc_midnight() {
        let w = window(&zone("Asia/Kamchatka"), &Hours::default()).unwrap();
        assert_eq!(times(&w), ("21:00:00".into(), "07:59:59".into()));
        assert!(w.contains(ts("2026-12-07T23:30:00Z")));
        assert!(w.contains(ts("2026-12-07T07:59:59Z")));
        assert!(!w.contains(ts("2026-12-07T08:00:00Z")));
        assert_eq!(w.seconds(), 11 * 3600);
    }

    #[test]
    fn weekday_and_weekend_hours_give_their_intersection() {
        let w = window(&zone("Asia/Novosibirsk"), &Hours::law_230fz()).unwrap();
        // 09:00–20:00 at UTC+7.
        assert_eq!(times(&w), ("02:00:00".into(), "12:59:59".into()));
    }

    #[test]
    fn an_unknown_number_gets_the_narrowest_window() {
        let w = window(&CalleeZone::unknown(), &Hours::default()).unwrap();
        // 09:00 in Kamchatka (UTC+12) is 21:00 UTC; 20:00 in Kaliningrad (UTC+2) is 18:00 UTC;
        // only 07:00–08:00 UTC is inside 09–20 everywhere from UTC+2 to UTC+12.
        assert_eq!(times(&w), ("07:00:00".into(), "07:59:59".into()));
        let short = Hours::weekly(Some("10:00-18:00".parse().unwrap()), None);
        assert_eq!(
            window(&CalleeZone::unknown(), &short),
            Err(WindowError::NoCommonTime)
        );
        assert_eq!(
            window(&CalleeZone::unknown(), &Hours::weekly(None, None)),
            Err(WindowError::NoOpenDay)
        );
    }

    #[test]
    fn a_zone_that_changes_offset_gets_the_window_valid_at_both() {
        // Europe/Berlin moves from UTC+2 to UTC+1 on 2026-10-25: 09–20 local is 07–18 UTC
        // before and 08–19 after; only 08:00–17:59 UTC is inside both.
        let w = daily_window(
            &zone("Europe/Berlin"),
            &Hours::default(),
            ts("2026-10-20T00:00:00Z"),
            10,
        )
        .unwrap();
        assert_eq!(times(&w), ("08:00:00".into(), "17:59:59".into()));
    }

    #[test]
    fn holidays_and_closed_days_are_skipped() {
        let z = zone("Europe/Moscow");
        let hours = Hours::weekly(Some(day(9, 20)), None);
        let calendar = Calendar {
            days_off: [Date::new(2026, 12, 7).unwrap()].into(),
        };
        let w = window(&z, &hours).unwrap();
        // Monday the 7th is off: Tuesday 09:00 Moscow.
        assert_eq!(
            next_open(&z, &hours, &calendar, &w, ts("2026-12-07T07:00:00Z"), 366),
            Some(ts("2026-12-08T06:00:00Z"))
        );
        // Friday 21:00 Moscow: the weekend is closed, Monday 09:00.
        assert_eq!(
            next_open(&z, &hours, &calendar, &w, ts("2026-12-11T18:00:00Z"), 366),
            Some(ts("2026-12-14T06:00:00Z"))
        );
        // Inside an open window: now.
        assert_eq!(
            next_open(&z, &hours, &calendar, &w, ts("2026-12-08T10:00:00Z"), 366),
            Some(ts("2026-12-08T10:00:00Z"))
        );
        assert!(!is_open(&z, &hours, &calendar, ts("2026-12-07T10:00:00Z")));
        assert!(is_open(&z, &hours, &calendar, ts("2026-12-08T10:00:00Z")));
        assert!(!is_open(&z, &hours, &calendar, ts("2026-12-08T17:00:00Z")));
    }

    #[test]
    fn hours_are_parsed_and_checked() {
        let h: DayHours = "08:00-22:00".parse().unwrap();
        assert_eq!(h.to_string(), "08:00-22:00");
        assert_eq!(
            "9:30–18:00".parse::<DayHours>().unwrap().to_string(),
            "09:30-18:00"
        );
        assert_eq!(
            "00:00-24:00".parse::<DayHours>().unwrap().end_minute(),
            1440
        );
        assert!(matches!(
            "20:00-09:00".parse::<DayHours>(),
            Err(HoursError::Order(_))
        ));
        assert!(matches!(
            "9-20".parse::<DayHours>(),
            Err(HoursError::Format(_))
        ));
        assert!(matches!(
            "25:00-26:00".parse::<DayHours>(),
            Err(HoursError::Format(_))
        ));
        let json = serde_json::to_string(&Hours::law_230fz()).unwrap();
        assert!(json.contains("\"08:00-22:00\""), "{json}");
        let back: Hours = serde_json::from_str(&json).unwrap();
        assert_eq!(back, Hours::law_230fz());
    }

    #[test]
    fn the_longest_run_wraps() {
        let mut a = vec![false; 10];
        for i in [8, 9, 0, 1, 4] {
            a[i] = true;
        }
        assert_eq!(longest_run(&a), Some((8, 1)));
        assert_eq!(longest_run(&[false; 4]), None);
        assert_eq!(longest_run(&[true; 4]), Some((0, 3)));
    }
}
