//! The OPD token rules every counter keeps (PROTOCOL.md, Scan & Share): tokens run per counter
//! per day and start again at midnight in India (UTC+5:30, whatever the device's time zone), are
//! written zero-padded to four digits, last 30 minutes, and the same patient scanning again
//! within that time gets the same token.

/// India Standard Time, in milliseconds east of UTC.
const IST_OFFSET_MS: i64 = (5 * 60 + 30) * 60 * 1000;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// How long a token holds.
pub const TOKEN_VALIDITY_MS: i64 = 30 * 60 * 1000;

/// How long a patient's share may wait for a network before it is dropped: past this they have
/// left the counter's queue (or been served by hand), and a token arriving later helps nobody.
pub const SHARE_DEADLINE_MS: i64 = 5 * 60 * 1000;

/// The day in India at `at_ms`, as days since 1970-01-01: the day tokens count within.
pub fn ist_day(at_ms: i64) -> i64 {
    (at_ms + IST_OFFSET_MS).div_euclid(DAY_MS)
}

/// A token number as counters print it: at least four digits.
pub fn token_text(number: u32) -> String {
    format!("{number:04}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_day_turns_at_midnight_in_india_not_at_midnight_utc() {
        // 2026-12-06T18:29:59.999Z is 23:59:59.999 IST; a millisecond later it is the 7th there.
        let before = 1_796_581_799_999;
        assert_eq!(ist_day(before) + 1, ist_day(before + 1));
        // Midnight UTC is 05:30 IST: the same Indian day as the hours either side.
        let utc_midnight = 1_796_601_600_000;
        assert_eq!(ist_day(utc_midnight - 1), ist_day(utc_midnight));
    }

    #[test]
    fn tokens_are_four_digits_at_least() {
        assert_eq!(token_text(7), "0007");
        assert_eq!(token_text(12345), "12345");
    }
}
