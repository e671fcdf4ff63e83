//! Time: the context's `now` as RFC 3339 with the tenant's UTC offset, civil dates, and
//! (on the host only) the wall clock.

/// Seconds since the Unix epoch, now (0 if the clock is before it). The host's clock: a
/// scenario module has none, and reads the time from its context.
#[cfg(not(target_family = "wasm"))]
pub fn unix_now() -> u64 {
    unix_now_f64() as u64
}

/// [`unix_now`] with the fraction of a second.
#[cfg(not(target_family = "wasm"))]
pub fn unix_now_f64() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Formats Unix time `unix_s` as RFC 3339 in a zone `offset_minutes` east of UTC,
/// e.g. `2026-11-25T12:00:00+03:00`.
pub fn rfc3339(unix_s: i64, offset_minutes: i32) -> String {
    let local = unix_s + i64::from(offset_minutes) * 60;
    let (days, secs) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let off = offset_minutes.unsigned_abs();
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60,
        off / 60,
        off % 60
    )
}

/// Howard Hinnant's days-since-epoch to civil date: (year, month, day).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Days since 1970-01-01 of a civil date.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::{civil_from_days, days_from_civil, rfc3339};

    #[test]
    fn days_round_trip() {
        for day in [-1000, 0, 19_782, 20_417, 40_000] {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
        }
    }

    #[test]
    fn formats_with_the_offset() {
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00+00:00");
        assert_eq!(rfc3339(1_764_061_200, 180), "2025-11-25T12:00:00+03:00");
        assert_eq!(rfc3339(1_709_164_800, 0), "2024-02-29T00:00:00+00:00");
        assert_eq!(rfc3339(1_764_061_200, -330), "2025-11-25T03:30:00-05:30");
    }
}
