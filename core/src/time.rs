//! Virtual time. The core never reads a clock: time is data, passed in.

use std::fmt;

/// A moment in the simulation, in microseconds since the World started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);

    pub const fn from_millis(ms: u64) -> SimTime {
        SimTime(ms * 1_000)
    }

    pub const fn from_secs(s: u64) -> SimTime {
        SimTime(s * 1_000_000)
    }

    pub const fn as_micros(self) -> u64 {
        self.0
    }

    pub const fn as_millis(self) -> u64 {
        self.0 / 1_000
    }

    pub const fn plus(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }

    /// This deadline, moved by progress that is not counted in lines: `octets` earn
    /// `octets / rate` seconds, but the deadline never goes beyond `now + limit`. The rule
    /// of Postfix's `smtpd_min_data_rate`: a peer that keeps up `rate` octets a second is
    /// never timed out, one that drips slower falls behind and is, after a bounded time.
    pub fn earn(self, octets: u64, rate: u64, now: SimTime, limit: SimDuration) -> SimTime {
        let earned = SimDuration(octets.saturating_mul(1_000_000) / rate.max(1));
        self.plus(earned).min(now.plus(limit))
    }
}

/// The slowest a peer may go, in octets a second, where progress is counted in octets
/// rather than in lines ([`SimTime::earn`]): an IMAP client sending a literal, a client of
/// `mailroom-serve` taking the answers that wait for it. 500 is Postfix's
/// `smtpd_min_data_rate` default (for DATA): a slow link (a 9.6 kbit/s modem moves 1,200
/// octets a second) keeps up; a client that sends or reads a byte at a time does not.
pub const MIN_RATE: u64 = 500;

/// A span of virtual time, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(pub u64);

impl SimDuration {
    pub const fn from_millis(ms: u64) -> SimDuration {
        SimDuration(ms * 1_000)
    }
    pub const fn from_secs(s: u64) -> SimDuration {
        SimDuration(s * 1_000_000)
    }
}

/// `1 hour`, `23 hours 30 minutes`, `90 seconds`: a span in words, its units from the largest.
/// (The sandbox's words for its faults, and a cut connection's note.)
#[cfg(feature = "pop3")]
pub fn span(d: SimDuration) -> String {
    let s = d.0 / 1_000_000;
    let parts =
        [(s / 86_400, "day"), (s % 86_400 / 3_600, "hour"), (s % 3_600 / 60, "minute"), (s % 60, "second")];
    let words: Vec<String> = parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n} {unit}{}", if *n == 1 { "" } else { "s" }))
        .collect();
    if words.is_empty() { "no time".into() } else { words.join(" ") }
}

impl fmt::Display for SimTime {
    /// `1.234 s` — milliseconds are what a student can relate to.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.as_millis();
        write!(f, "{}.{:03} s", ms / 1000, ms % 1000)
    }
}

/// The wall-clock date at `SimTime::ZERO`, as seconds since the Unix epoch:
/// Monday 30 November 2026, 09:00:00 UTC. Fixed so that traces are reproducible.
pub const EPOCH_UNIX: i64 = 1_796_029_200;

/// Formats `t` as an RFC 5322 §3.3 date-time, e.g. `Mon, 30 Nov 2026 09:00:00 +0000`.
/// Seconds since the Unix epoch at `t` (DKIM's `t=` and `x=`, RFC 6376 §3.5).
pub fn unix_secs(t: SimTime) -> i64 {
    EPOCH_UNIX + (t.as_micros() / 1_000_000) as i64
}

pub fn rfc5322_date(t: SimTime) -> String {
    let (y, m, d, hh, mm, ss) = date_parts(t);
    format!("{}, {d:02} {} {y} {hh:02}:{mm:02}:{ss:02} +0000", weekday(t), month_name(m))
}

/// The three-letter English month names of the mail formats (RFC 5322 §3.3, IMAP's
/// date-month, RFC 3501 §9).
pub const MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// The name of month `m` (1 to 12; out of range, the nearest).
pub fn month_name(m: u32) -> &'static str {
    MONTHS[(m.clamp(1, 12) - 1) as usize]
}

/// The day of the week at `t`, in three letters (`Mon`).
pub fn weekday(t: SimTime) -> &'static str {
    // 1970-01-01 was a Thursday.
    ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][unix_secs(t).div_euclid(86_400).rem_euclid(7) as usize]
}

/// `t` as a calendar date and time of day in UTC: (year, month, day, hour, minute,
/// second), for the date formats of the protocols (IMAP's INTERNALDATE, RFC 3501 §9).
pub fn date_parts(t: SimTime) -> (i64, u32, u32, u32, u32, u32) {
    unix_date_parts(unix_secs(t))
}

/// A moment given as seconds since the Unix epoch (before it, negative), as a calendar
/// date and time of day: (year, month, day, hour, minute, second).
pub fn unix_date_parts(secs: i64) -> (i64, u32, u32, u32, u32, u32) {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400) as u32;
    (y, m, d, rem / 3600, (rem / 60) % 60, rem % 60)
}

/// Days since 1970-01-01 to (year, month, day), Howard Hinnant's `civil_from_days`.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_rfc5322() {
        let cases = [
            (SimTime::ZERO, "Mon, 30 Nov 2026 09:00:00 +0000"),
            (SimTime::from_millis(1_500), "Mon, 30 Nov 2026 09:00:01 +0000"),
            (SimTime::from_secs(15 * 3600 + 61), "Tue, 01 Dec 2026 00:01:01 +0000"),
        ];
        for (t, want) in cases {
            assert_eq!(rfc5322_date(t), want);
        }
    }

    /// Octets earn time at the rate, up to the limit from now; a deadline that has passed
    /// stays passed unless enough comes.
    #[test]
    fn progress_earns_time_up_to_the_limit() {
        let limit = SimDuration::from_secs(300);
        let at = SimTime::from_secs;
        let cases = [
            // (deadline, octets, now, new deadline)
            (at(300), 0, at(10), at(300)),
            (at(300), 500, at(10), at(301)),
            (at(300), 5_000, at(10), at(310)),
            (at(300), 1_000_000, at(10), at(310)),
            (at(300), 1, at(299), SimTime(300_002_000)),
            (at(300), 250, at(301), SimTime(300_500_000)),
        ];
        for (due, octets, now, want) in cases {
            assert_eq!(due.earn(octets, 500, now, limit), want, "{due:?} {octets} {now:?}");
        }
        assert_eq!(at(1).earn(u64::MAX, 0, at(0), limit), at(300), "no overflow, no division by 0");
    }

    #[test]
    fn display_in_seconds() {
        assert_eq!(SimTime::from_millis(1234).to_string(), "1.234 s");
        assert_eq!(SimTime::from_millis(5).to_string(), "0.005 s");
    }
}
