//! Dates for time stamps, by arithmetic alone (std has no calendar).

use std::time::{SystemTime, UNIX_EPOCH};

/// A time as RFC 3339 in UTC with milliseconds: `2026-11-22T12:34:56.789Z`.
///
/// `SystemTime` counts from 1970-01-01 00:00 UTC with no leap seconds (Unix
/// time: every day has 86,400 seconds), so the date is a pure calculation.
/// Milliseconds are cut, not rounded (rounding could turn 23:59:59.9995 into
/// the next day). Python:
/// `datetime.now(timezone.utc).isoformat(timespec="milliseconds")`.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// let t = UNIX_EPOCH + Duration::from_millis(951_782_400_123);
/// assert_eq!(kit::rfc3339(t), "2000-02-29T00:00:00.123Z");
/// ```
pub fn rfc3339(time: SystemTime) -> String {
    // Milliseconds since 1970, negative before it (SystemTime may be).
    let millis: i128 = match time.duration_since(UNIX_EPOCH) {
        Ok(after) => after.as_millis() as i128,
        Err(before) => -(before.duration().as_nanos().div_ceil(1_000_000) as i128),
    };
    let days = millis.div_euclid(86_400_000) as i64;
    let of_day = millis.rem_euclid(86_400_000) as u64;
    let (year, month, day) = civil_from_days(days);
    let (secs, ms) = (of_day / 1000, of_day % 1000);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// The Gregorian date (year, month 1-12, day 1-31) that is `days` days after
/// 1970-01-01: Howard Hinnant's `civil_from_days`
/// (<https://howardhinnant.github.io/date_algorithms.html>).
///
/// The trick: count years from March 1, so the leap day is the last day of
/// the year; then every month's first day follows one formula, and the
/// Gregorian calendar repeats exactly every 400 years ("eras" of 146,097 days).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468; // days since 0000-03-01
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // day of the era, 0..=146096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of the year, from March 1
    let mp = (5 * doy + 2) / 153; // month, March = 0
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::{civil_from_days, rfc3339};
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn known_instants() {
        let at = |millis: i64| match u64::try_from(millis) {
            Ok(after) => UNIX_EPOCH + Duration::from_millis(after),
            Err(_) => UNIX_EPOCH - Duration::from_millis(millis.unsigned_abs()),
        };
        for (millis, want) in [
            (0, "1970-01-01T00:00:00.000Z"),
            (1, "1970-01-01T00:00:00.001Z"),
            (86_399_999, "1970-01-01T23:59:59.999Z"),
            (86_400_000, "1970-01-02T00:00:00.000Z"),
            (951_782_400_000, "2000-02-29T00:00:00.000Z"),
            (951_868_799_999, "2000-02-29T23:59:59.999Z"),
            (951_868_800_000, "2000-03-01T00:00:00.000Z"),
            (1_709_251_199_999, "2024-02-29T23:59:59.999Z"),
            (1_735_689_599_000, "2024-12-31T23:59:59.000Z"),
            (1_798_028_096_789, "2026-12-23T12:14:56.789Z"),
            (4_107_542_400_000, "2100-03-01T00:00:00.000Z"),
            (4_107_542_399_999, "2100-02-28T23:59:59.999Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
            (-2_208_988_800_000, "1900-01-01T00:00:00.000Z"),
        ] {
            // 2000 is a leap year, 2100 and 1900 are not; before 1970, round down.
            assert_eq!(rfc3339(at(millis)), want, "{millis} ms after 1970-01-01");
        }
        // Milliseconds are cut, not rounded.
        let t = UNIX_EPOCH + Duration::new(1_709_251_199, 999_999_999);
        assert_eq!(rfc3339(t), "2024-02-29T23:59:59.999Z");
    }

    #[test]
    fn every_day_follows_the_one_before_over_800_years() {
        // An independent calendar: walk day by day from 1600-01-01 with the
        // Gregorian rules and compare with civil_from_days at every day.
        let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let month_len = |y: i64, m: u32| match m {
            2 if leap(y) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        let (mut y, mut m, mut d) = (1600i64, 1u32, 1u32);
        // 1600-01-01 is 135,140 days before 1970-01-01; 157,000 days after
        // it is in 2399.
        for days in -135_140..=157_000i64 {
            assert_eq!(civil_from_days(days), (y, m, d), "{days} days after 1970");
            d += 1;
            if d > month_len(y, m) {
                d = 1;
                m += 1;
                if m > 12 {
                    m = 1;
                    y += 1;
                }
            }
        }
    }
}
