//! Dates as FHIR writes them, turned into what the store sorts and filters on. No calendar
//! crate: the civil-date arithmetic below (Howard Hinnant's algorithm) is all we need.

pub(crate) use locker_calendar::{days_from_civil, days_in_month};

fn num(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A calendar date `YYYY`, `YYYY-MM` or `YYYY-MM-DD` → (year, month, day), missing parts as 1.
pub(crate) fn parse_date(s: &str) -> Option<(i64, u32, u32)> {
    let mut parts = s.split('-');
    let y = parts.next().filter(|p| p.len() == 4).and_then(num)? as i64;
    let m = match parts.next() {
        Some(p) if p.len() == 2 => num(p).filter(|m| (1..=12).contains(m))?,
        Some(_) => return None,
        None => 1,
    };
    let d = match parts.next() {
        Some(p) if p.len() == 2 => num(p).filter(|d| *d >= 1 && *d <= days_in_month(y, m))?,
        Some(_) => return None,
        None => 1,
    };
    if parts.next().is_some() || y < 1800 {
        return None;
    }
    Some((y, m, d))
}

/// A birth date as people give it: `YYYY-MM-DD`, or `YYYY` when only the year is known; not
/// before 1800 and not after `today_ms`. Errors say what is wrong without repeating the date:
/// a well-formed day that does not exist (`1971-02-29`) is told apart from a wrong format.
pub(crate) fn parse_birth_date(s: &str, today_ms: i64) -> crate::Result<String> {
    use crate::Error::InvalidInput;
    let d = s.trim();
    let shaped = |pattern: &str| {
        d.len() == pattern.len()
            && d.bytes().zip(pattern.bytes()).all(|(c, p)| if p == b'9' { c.is_ascii_digit() } else { c == p })
    };
    if !shaped("9999") && !shaped("9999-99-99") {
        return Err(InvalidInput("a birth date is YYYY-MM-DD, or YYYY when only the year is known".into()));
    }
    let year: i64 = d[..4].parse().map_err(|_| InvalidInput("a birth date's year is four digits".into()))?;
    if year < 1800 {
        return Err(InvalidInput("a birth date's year is 1800 or later".into()));
    }
    let (y, m, day) = parse_date(d).ok_or_else(|| {
        InvalidInput(
            "there is no such date: the month is 01 to 12 and the day within that month (29 February only in a leap year)"
                .into(),
        )
    })?;
    if days_from_civil(y, m, day) * 86_400_000 > today_ms {
        return Err(InvalidInput("a birth date cannot be in the future".into()));
    }
    Ok(d.to_owned())
}

/// India Standard Time, for dates written without a time: a day starts at midnight in India.
const IST_OFFSET_MIN: i64 = 5 * 60 + 30;

/// A FHIR `date` or `dateTime` → (the calendar date as written, `YYYY-MM-DD`; UTC milliseconds).
pub(crate) fn parse_fhir_datetime(s: &str) -> Option<(String, i64)> {
    let s = s.trim();
    let (date_part, time_part) = match s.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let (y, m, d) = parse_date(date_part)?;
    let day_ms = days_from_civil(y, m, d) * 86_400_000;
    let date = format!("{y:04}-{m:02}-{d:02}");
    let Some(t) = time_part else {
        return Some((date, day_ms - IST_OFFSET_MIN * 60_000));
    };
    let (clock, offset_min) = if let Some(c) = t.strip_suffix('Z') {
        (c, 0)
    } else if let Some(i) = t.rfind(['+', '-']) {
        let (c, off) = t.split_at(i);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let (oh, om) = off[1..].split_once(':')?;
        (c, sign * (num(oh)? as i64 * 60 + num(om)? as i64))
    } else {
        (t, IST_OFFSET_MIN)
    };
    let (hms, frac) = clock.split_once('.').unwrap_or((clock, ""));
    let mut hms = hms.split(':');
    let h = num(hms.next()?).filter(|h| *h < 24)? as i64;
    let mi = num(hms.next()?).filter(|m| *m < 60)? as i64;
    let sec = hms.next().map(num).unwrap_or(Some(0)).filter(|s| *s < 61)? as i64;
    // Digits only before cutting to milliseconds: a cut inside a multi-byte character would panic.
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let ms = if frac.is_empty() { 0 } else { num(&format!("{frac:0<3}")[..3])? as i64 };
    let ts = day_ms + ((h * 60 + mi - offset_min) * 60 + sec) * 1000 + ms;
    Some((date, ts))
}

/// UTC milliseconds → `YYYY-MM-DDTHH:MM:SS.sssZ`, the form ABDM's `TIMESTAMP` header takes.
pub(crate) fn iso_utc(ms: i64) -> String {
    locker_calendar::iso_utc_ms(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_datetimes_sort_in_true_time_and_keep_the_written_day() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        let (d, ts) = parse_fhir_datetime("2024-03-05").unwrap();
        assert_eq!(d, "2024-03-05");
        let (_, ts_morning) = parse_fhir_datetime("2024-03-05T09:30:00+05:30").unwrap();
        assert_eq!(ts_morning - ts, (9 * 60 + 30) * 60_000);
        let (_, z) = parse_fhir_datetime("2024-03-05T04:00:00Z").unwrap();
        assert_eq!(z, ts_morning);
        let (_, frac) = parse_fhir_datetime("2024-03-05T04:00:00.25Z").unwrap();
        assert_eq!(frac - z, 250);
        assert_eq!(parse_fhir_datetime("2019").unwrap().0, "2019-01-01");
    }

    #[test]
    fn a_birth_date_that_does_not_exist_is_told_apart_from_a_wrong_format() {
        let today = days_from_civil(2026, 1, 1) * 86_400_000;
        let reason = |s: &str| match parse_birth_date(s, today) {
            Err(crate::Error::InvalidInput(m)) => m,
            other => panic!("{s}: {other:?}"),
        };
        assert!(reason("1971-02-29").contains("no such date"));
        assert!(reason("1990-13-01").contains("no such date"));
        assert!(reason("1990-04-31").contains("no such date"));
        assert!(reason("12/03/1990").contains("YYYY-MM-DD"));
        assert!(reason("1990-3-5").contains("YYYY-MM-DD"));
        assert!(reason("2031-01-01").contains("future"));
        assert!(reason("1700").contains("1800"));
        assert!(!reason("1971-02-29").contains("1971"), "the date itself is not repeated");
        assert_eq!(parse_birth_date(" 1972-02-29 ", today).unwrap(), "1972-02-29");
        assert_eq!(parse_birth_date("1985", today).unwrap(), "1985");
    }

    #[test]
    fn impossible_dates_are_refused() {
        // The last found by fuzzing: a fraction cut inside a multi-byte character.
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "24-01-01",
            "2024-1-1",
            "yesterday",
            "2024-01-01T25:00:00Z",
            "",
            "2024-03-05T09:3.0\"\u{7be}30+5:30",
        ] {
            assert!(parse_fhir_datetime(bad).is_none(), "{bad}");
        }
        assert!(parse_fhir_datetime("2024-02-29").is_some());
    }
}
