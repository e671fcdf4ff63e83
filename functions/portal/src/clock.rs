//! Portal time: the clock, ISO-8601 rendering in the portal's time zone (Moscow, `+03:00`)
//! and a lenient parser for the date formats Bitrix24 accepts.

/// The portal's UTC offset in seconds (`+03:00`, a Russian portal).
pub(crate) const OFFSET_SECS: i64 = 3 * 3600;

/// Seconds since the Unix epoch, with a fraction.
pub(crate) fn now() -> f64 {
    sva_abi::clock::unix_now_f64()
}

/// Whole seconds since the Unix epoch.
pub(crate) fn unix_now() -> i64 {
    now().floor() as i64
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    sva_abi::clock::days_from_civil(y, m as u32, d as u32)
}

/// The proleptic Gregorian date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let (y, m, d) = sva_abi::clock::civil_from_days(z);
    (y, i64::from(m), i64::from(d))
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// `2026-01-02T15:04:05+03:00`: a moment in the portal's time zone.
pub(crate) fn iso(unix: i64) -> String {
    let local = unix.saturating_add(OFFSET_SECS);
    let (y, mo, d) = civil_from_days(local.div_euclid(86_400));
    let secs = local.rem_euclid(86_400);
    let sign = if OFFSET_SECS < 0 { '-' } else { '+' };
    let off = OFFSET_SECS.abs();
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60,
        off / 3600,
        off % 3600 / 60
    )
}

/// The start of the portal-local day that contains `unix`, as a Unix time.
pub(crate) fn local_midnight(unix: i64) -> i64 {
    let local = unix.saturating_add(OFFSET_SECS);
    local.div_euclid(86_400) * 86_400 - OFFSET_SECS
}

/// A date field (`BEGINDATE`, `CLOSEDATE`, `BIRTHDATE`): local midnight, rendered as Bitrix24 does.
pub(crate) fn iso_date(unix: i64) -> String {
    iso(local_midnight(unix))
}

/// A small cursor over ASCII bytes.
struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn digits(&mut self, n: usize) -> Option<i64> {
        let part = self.s.get(self.i..self.i + n)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.i += n;
        Some(part.iter().fold(0, |acc, b| acc * 10 + i64::from(b - b'0')))
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn done(&self) -> bool {
        self.i >= self.s.len()
    }
}

/// Parses `YYYY-MM-DD`, `YYYY-MM-DD[T ]HH:MM[:SS[.fff]][Z|±HH[:MM]]` or the Russian
/// `DD.MM.YYYY[ HH:MM[:SS]]`; a time without an offset is portal-local. `None` if unparsable.
pub(crate) fn parse(text: &str) -> Option<i64> {
    let t = text.trim();
    let mut c = Cursor {
        s: t.as_bytes(),
        i: 0,
    };
    let (y, mo, d) = if t.as_bytes().get(2) == Some(&b'.') {
        let d = c.digits(2)?;
        c.eat(b'.').then_some(())?;
        let mo = c.digits(2)?;
        c.eat(b'.').then_some(())?;
        (c.digits(4)?, mo, d)
    } else {
        let y = c.digits(4)?;
        c.eat(b'-').then_some(())?;
        let mo = c.digits(2)?;
        c.eat(b'-').then_some(())?;
        (y, mo, c.digits(2)?)
    };
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || y < 1 {
        return None;
    }
    let (mut h, mut mi, mut s) = (0, 0, 0);
    let mut offset = Some(OFFSET_SECS);
    if !c.done() {
        if !(c.eat(b'T') || c.eat(b't') || c.eat(b' ')) {
            return None;
        }
        h = c.digits(2)?;
        c.eat(b':').then_some(())?;
        mi = c.digits(2)?;
        if c.eat(b':') {
            s = c.digits(2)?;
            if c.eat(b'.') || c.eat(b',') {
                let start = c.i;
                while c.peek().is_some_and(|b| b.is_ascii_digit()) {
                    c.i += 1;
                }
                if c.i == start {
                    return None;
                }
            }
        }
        if h > 23 || mi > 59 || s > 60 {
            return None;
        }
        match c.peek() {
            None => {}
            Some(b'Z' | b'z') => {
                c.i += 1;
                offset = Some(0);
            }
            Some(sign @ (b'+' | b'-')) => {
                c.i += 1;
                let oh = c.digits(2)?;
                let om = if c.eat(b':') {
                    c.digits(2)?
                } else {
                    c.digits(2).unwrap_or(0)
                };
                if oh > 23 || om > 59 {
                    return None;
                }
                let off = oh * 3600 + om * 60;
                offset = Some(if sign == b'-' { -off } else { off });
            }
            Some(_) => return None,
        }
        if !c.done() {
            return None;
        }
    }
    let days = days_from_civil(y, mo, d);
    Some(days * 86_400 + h * 3600 + mi * 60 + s - offset.unwrap_or(OFFSET_SECS))
}

/// The `time` member of a successful answer.
pub(crate) fn time_block(start: f64, finish: f64) -> serde_json::Value {
    let duration = (finish - start).max(0.0);
    serde_json::json!({
        "start": start,
        "finish": finish,
        "duration": duration,
        "processing": duration,
        "date_start": iso(start.floor() as i64),
        "date_finish": iso(finish.floor() as i64),
        "operating_reset_at": finish.floor() as i64 + 600,
        "operating": duration,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_parses_round_trip() {
        let t = 1_767_225_600; // 2026-01-01T00:00:00Z
        assert_eq!(iso(t), "2026-01-01T03:00:00+03:00");
        assert_eq!(parse("2026-01-01T03:00:00+03:00"), Some(t));
        assert_eq!(parse("2026-01-01T00:00:00Z"), Some(t));
        assert_eq!(parse("2026-01-01 03:00:00"), Some(t));
        assert_eq!(parse("01.01.2026 03:00"), Some(t));
        assert_eq!(parse("2026-01-01T00:00:00.123+0000"), Some(t));
        assert_eq!(parse("2026-01-01"), Some(t - OFFSET_SECS));
        assert_eq!(iso_date(t + 70_000), "2026-01-01T00:00:00+03:00");
        assert_eq!(iso_date(t + 80_000), "2026-01-02T00:00:00+03:00");
        for bad in [
            "",
            "tomorrow",
            "2026-13-01",
            "2026-02-30",
            "2026-01-01T25:00",
            "2026-01-01T10:00+99",
            "2026-01-01x",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
    }
}
