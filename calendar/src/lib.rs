//! The proleptic Gregorian calendar in integers (Howard Hinnant's `days_from_civil` and
//! `civil_from_days`), written once for every crate of the workspace: the core's record dates
//! and ABDM timestamps, the sandbox's clock, the fixture generator's dates and the CLI's output.
//! No time zones, no leap seconds, no dependency: UTC milliseconds in, calendar fields out.

#![forbid(unsafe_code)]

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

pub fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Days in month `m` (1–12) of year `y`; 0 for a month that does not exist.
pub fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days from 1970-01-01 to the given date.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date (year, month, day) of a day counted from 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Whether (y, m, d) is a day of the calendar.
pub fn is_date(y: i64, m: u32, d: u32) -> bool {
    (1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m)
}

/// The UTC calendar fields of a Unix time in milliseconds: (y, m, d, h, min, s, ms).
pub fn utc_fields(ms: i64) -> (i64, u32, u32, u32, u32, u32, u32) {
    let (days, rem) = (ms.div_euclid(DAY_MS), ms.rem_euclid(DAY_MS));
    let (y, m, d) = civil_from_days(days);
    let rem = rem as u32;
    (y, m, d, rem / 3_600_000, rem / 60_000 % 60, rem / 1000 % 60, rem % 1000)
}

/// `YYYY-MM-DDTHH:MM:SS.sssZ`: the form ABDM's `TIMESTAMP` header and datetimes take.
pub fn iso_utc_ms(ms: i64) -> String {
    let (y, m, d, h, mi, s, milli) = utc_fields(ms);
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z")
}

/// `YYYY-MM-DD HH:MM:SSZ`: for people reading a time.
pub fn display_utc(ms: i64) -> String {
    let (y, m, d, h, mi, s, _) = utc_fields(ms);
    format!("{y:04}-{m:02}-{d:02} {h:02}:{mi:02}:{s:02}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_through_the_calendar() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        for day in (-300_000..300_000).step_by(13) {
            let (y, m, d) = civil_from_days(day);
            assert!(is_date(y, m, d));
            assert_eq!(days_from_civil(y, m, d), day);
        }
        assert!(is_date(2024, 2, 29) && !is_date(2023, 2, 29) && !is_date(1900, 2, 29) && is_date(2000, 2, 29));
        assert!(!is_date(2024, 13, 1) && !is_date(2024, 4, 31) && !is_date(2024, 1, 0));
    }

    #[test]
    fn times_print_as_abdm_and_people_read_them() {
        assert_eq!(iso_utc_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_utc_ms(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(iso_utc_ms(1_785_320_245_007), "2026-07-29T10:17:25.007Z");
        assert_eq!(iso_utc_ms(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(display_utc(1_709_600_000_000), "2024-03-05 00:53:20Z");
    }
}
