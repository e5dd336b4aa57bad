//! Calendar dates and days since 1970-01-01 (UTC), after Howard Hinnant's `days_from_civil` and
//! `civil_from_days`: enough for `until` dates in `seam.toml` and timestamps in traces, without a time crate.

/// `(year, month, day)` of a day counted from 1970-01-01.
pub fn date_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// The day, counted from 1970-01-01, of a calendar date.
pub fn days_from_date(year: i64, month: u32, day: u32) -> i64 {
    let (month, day) = (i64::from(month), i64::from(day));
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Unix nanoseconds as `2026-11-26T09:12:07.123Z`.
pub fn rfc3339(ns: u64) -> String {
    let secs = (ns / 1_000_000_000) as i64;
    let millis = (ns / 1_000_000) % 1000;
    let (year, month, day) = date_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_known_days() {
        assert_eq!(date_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_date(2026, 11, 26), 20_783);
        assert_eq!(date_from_days(20_783), (2026, 11, 26));
        assert_eq!(date_from_days(days_from_date(2000, 2, 29)), (2000, 2, 29));
        assert_eq!(days_from_date(1969, 12, 31), -1);
    }
}
