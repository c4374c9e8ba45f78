//! Time zones with daylight saving time, kept as POSIX TZ rules.
//!
//! A `no_std` kernel has no time-zone database, but it does not need one to
//! know the local time of the present and the future: the last line of every
//! TZif file in the IANA database (its footer) is a POSIX TZ rule that gives
//! the zone's rule for every date after its last listed transition, for
//! example `CET-1CEST,M3.5.0,M10.5.0/3` for Europe/Berlin. The host resolves
//! a zone name to that rule; [`ZoneRule`] parses and applies it.
//!
//! # Grammar
//!
//! `std offset [dst [offset] [,start[/time],end[/time]]]`, as POSIX and
//! RFC 8536 (section 3.3.1) define it:
//!
//! - a name is three or more ASCII letters (`CET`) or, quoted in angle
//!   brackets, three or more letters, digits, `+` and `-` (`<+0330>`);
//! - an offset is `[+|-]hh[:mm[:ss]]`, hours 0..=24, and counts *west* of
//!   UTC: `CET-1` is one hour east. The daylight offset defaults to one hour
//!   east of the standard one;
//! - a date is `Jn` (day 1..=365, February 29 never counted), `n` (day
//!   0..=365, counting February 29 in leap years) or `Mm.w.d` (weekday `d`,
//!   0 = Sunday, of week `w` 1..=5 of month `m`, `5` meaning the last);
//! - a time is `[+|-]hh[:mm[:ss]]` with hours up to 167, so `M3.5.0/-1` and
//!   `M10.5.0/25` are allowed; it defaults to `02:00`. The start time is read
//!   on the standard clock and the end time on the daylight clock;
//! - a daylight name without rules takes the US rules `M3.2.0,M11.1.0`.
//!
//! Offsets must be whole minutes within `-12:00..=+14:00`, which every zone
//! in use satisfies ([`crate::civil::UtcOffset`]).
//!
//! # Local dates and times
//!
//! [`ZoneRule::offset_at`] gives the offset in force at an instant, so the
//! local time of every instant is exact. The other direction is ambiguous
//! around transitions: a skipped hour never happens and a repeated one happens
//! twice. [`ZoneRule::first_reading`] settles it the way maintenance windows
//! need it: the first instant at which the zone's wall clock, on the given
//! date, reads the given time *or later*.

use core::fmt;
use core::str::FromStr;

use heapless::String;

use crate::civil::{Date, LocalTime, UtcOffset, WallTime};

/// The longest rule text a [`ZoneRule`] keeps, in bytes; the longest footer
/// in the IANA database is 44.
pub const MAX_RULE_LEN: usize = 64;

const SECONDS_PER_DAY: i64 = 86_400;

/// One of the two clocks of a zone: its offset and its abbreviation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Clock {
    offset: UtcOffset,
    /// Byte range of the abbreviation inside the rule text.
    name: (u8, u8),
}

/// The day of the year a transition falls on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum RuleDay {
    /// `Jn`: day 1..=365, February 29 not counted.
    NoLeap(u16),
    /// `n`: day 0..=365, February 29 counted.
    Ordinal(u16),
    /// `Mm.w.d`: weekday `d` (0 = Sunday) of week `w` (5 = last) of month `m`.
    Month { month: u8, week: u8, weekday: u8 },
}

impl RuleDay {
    /// The day count since 1970-01-01 of this day in `year`.
    fn days_in(self, year: i64) -> Option<i64> {
        let january_first = Date::new(year, 1, 1).ok()?.days_since_epoch();
        match self {
            RuleDay::NoLeap(day) => {
                let day = i64::from(day);
                let leap_day = crate::civil::is_leap_year(year) && day >= 60;
                Some(january_first + day - 1 + i64::from(leap_day))
            }
            RuleDay::Ordinal(day) => Some(january_first + i64::from(day)),
            RuleDay::Month {
                month,
                week,
                weekday,
            } => {
                let first = Date::new(year, month, 1).ok()?;
                // Weekday::index counts from Monday; POSIX from Sunday.
                let first_weekday = (first.weekday().index() + 1) % 7;
                let mut day = 1 + (weekday + 7 - first_weekday) % 7 + 7 * (week - 1);
                while day > first.days_in_month() {
                    day -= 7;
                }
                Some(first.days_since_epoch() + i64::from(day) - 1)
            }
        }
    }
}

/// A daylight-saving clock and the yearly rule that switches to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Daylight {
    clock: Clock,
    start: RuleDay,
    /// Seconds after local standard midnight of the start day.
    start_time: i32,
    end: RuleDay,
    /// Seconds after local daylight midnight of the end day.
    end_time: i32,
}

/// A time zone: a POSIX TZ rule such as `CET-1CEST,M3.5.0,M10.5.0/3`.
///
/// Parse it from text (see the module documentation for the grammar); it
/// prints back exactly as written. A rule with no daylight part is a fixed
/// offset with a name (`<+0530>-5:30`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ZoneRule {
    text: String<MAX_RULE_LEN>,
    standard: Clock,
    daylight: Option<Daylight>,
}

impl ZoneRule {
    /// The standard offset (east of UTC).
    pub fn standard_offset(&self) -> UtcOffset {
        self.standard.offset
    }

    /// Whether the rule has daylight saving time at all.
    pub fn has_daylight_saving(&self) -> bool {
        self.daylight.is_some()
    }

    /// The rule text, as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The offset in force at `wall`.
    pub fn offset_at(&self, wall: WallTime) -> UtcOffset {
        self.clock_at(secs(wall)).offset
    }

    /// The zone's abbreviation in force at `wall`, such as `CEST` or `+0330`.
    pub fn abbreviation_at(&self, wall: WallTime) -> &str {
        let (from, to) = self.clock_at(secs(wall)).name;
        &self.text[usize::from(from)..usize::from(to)]
    }

    /// The local date and time at `wall` on the zone's clock.
    pub fn to_local(&self, wall: WallTime) -> LocalTime {
        wall.to_local(self.offset_at(wall))
    }

    /// The first instant at which the zone's wall clock, on local date
    /// `date`, reads `minute_of_day` or later; `None` when the clock never
    /// shows that part of the date (or before the Unix epoch).
    ///
    /// In a skipped hour this is the end of the gap; in a repeated hour the
    /// first of the two readings.
    pub fn first_reading(&self, date: Date, minute_of_day: u16) -> Option<WallTime> {
        let day = date.days_since_epoch();
        let target = day * SECONDS_PER_DAY + i64::from(minute_of_day) * 60;
        let day_end = (day + 1) * SECONDS_PER_DAY;
        let in_range = |local: i64| local >= target && local < day_end;
        let mut best: Option<i64> = None;
        let mut consider = |at: i64| {
            if at >= 0 && best.is_none_or(|best| at < best) {
                best = Some(at);
            }
        };
        // The clock reads `target` exactly under one of its offsets...
        for clock in self.clocks() {
            let at = target - i64::from(clock.offset.as_seconds());
            if self.clock_at(at).offset == clock.offset {
                consider(at);
            }
        }
        // ...or jumps over it at a transition.
        let year = date.year();
        for (at, clock) in self.transitions(year - 1, year + 1).into_iter().flatten() {
            if in_range(at + i64::from(clock.offset.as_seconds())) {
                consider(at);
            }
        }
        best.map(|at| WallTime::from_unix_secs(at as u64))
    }

    /// The standard clock, then the daylight one if any.
    fn clocks(&self) -> impl Iterator<Item = Clock> + '_ {
        core::iter::once(self.standard).chain(self.daylight.map(|daylight| daylight.clock))
    }

    /// The transitions of years `first..=last` as (instant, clock after),
    /// in time order; a start and an end at the same instant keep the start
    /// last, so permanent daylight time (`0/0,J365/25`) stays daylight.
    fn transitions(&self, first: i64, last: i64) -> [Option<(i64, Clock)>; 6] {
        let mut list = [None; 6];
        let Some(daylight) = self.daylight else {
            return list;
        };
        let std_offset = i64::from(self.standard.offset.as_seconds());
        let dst_offset = i64::from(daylight.clock.offset.as_seconds());
        let mut count = 0;
        for year in first..=last.min(first + 2) {
            if let Some(day) = daylight.end.days_in(year) {
                let at = day * SECONDS_PER_DAY + i64::from(daylight.end_time) - dst_offset;
                list[count] = Some((at, self.standard));
                count += 1;
            }
            if let Some(day) = daylight.start.days_in(year) {
                let at = day * SECONDS_PER_DAY + i64::from(daylight.start_time) - std_offset;
                list[count] = Some((at, daylight.clock));
                count += 1;
            }
        }
        // Insertion sort, stable: an end listed before a start of the same
        // instant stays before it.
        for i in 1..count {
            let mut j = i;
            while j > 0 && list[j - 1].map(|(at, _)| at) > list[j].map(|(at, _)| at) {
                list.swap(j - 1, j);
                j -= 1;
            }
        }
        list
    }

    /// The clock in force at Unix second `at` (which may be negative).
    fn clock_at(&self, at: i64) -> Clock {
        if self.daylight.is_none() {
            return self.standard;
        }
        let local_days =
            (at + i64::from(self.standard.offset.as_seconds())).div_euclid(SECONDS_PER_DAY);
        let year = Date::from_days_since_epoch(local_days).map_or(1970, |date| date.year());
        self.transitions(year - 1, year + 1)
            .into_iter()
            .flatten()
            .rfind(|&(when, _)| when <= at)
            .map_or(self.standard, |(_, clock)| clock)
    }
}

/// Unix seconds of `wall` as an `i64` (saturating far past any date).
fn secs(wall: WallTime) -> i64 {
    i64::try_from(wall.as_unix_secs()).unwrap_or(i64::MAX / 2)
}

/// Prints the rule exactly as it was written.
impl fmt::Display for ZoneRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Why a POSIX TZ rule could not be parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ZoneError {
    /// The rule is longer than [`MAX_RULE_LEN`] bytes.
    TooLong,
    /// An offset is not whole minutes within -12:00..=+14:00.
    OffsetOutOfRange,
    /// The text stops following the grammar at byte `at`.
    Malformed {
        /// Byte position in the rule text.
        at: usize,
        /// What the parser expected there.
        expected: &'static str,
    },
}

impl fmt::Display for ZoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ZoneError::TooLong => write!(f, "time zone rule longer than {MAX_RULE_LEN} bytes"),
            ZoneError::OffsetOutOfRange => f.write_str(
                "time zone offset out of range: whole minutes between -12:00 and +14:00",
            ),
            ZoneError::Malformed { at, expected } => write!(
                f,
                "malformed POSIX TZ rule at byte {at}: expected {expected} (a rule looks like \
                 CET-1CEST,M3.5.0,M10.5.0/3; zone names such as Europe/Berlin are resolved \
                 to their rule on the host)"
            ),
        }
    }
}

impl core::error::Error for ZoneError {}

/// A cursor over the rule text.
struct Parser<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn fail<T>(&self, expected: &'static str) -> Result<T, ZoneError> {
        Err(ZoneError::Malformed {
            at: self.at,
            expected,
        })
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    /// A name, returned as its byte range without the angle brackets.
    fn name(&mut self) -> Result<(u8, u8), ZoneError> {
        let quoted = self.eat(b'<');
        let from = self.at;
        while let Some(byte) = self.peek() {
            let fits = if quoted {
                byte.is_ascii_alphanumeric() || byte == b'+' || byte == b'-'
            } else {
                byte.is_ascii_alphabetic()
            };
            if !fits {
                break;
            }
            self.at += 1;
        }
        let to = self.at;
        if to - from < 3 {
            return self.fail("a zone abbreviation of at least three letters, or one in <>");
        }
        if quoted && !self.eat(b'>') {
            return self.fail("> closing the quoted abbreviation");
        }
        // The text is at most MAX_RULE_LEN (64) bytes long.
        Ok((from as u8, to as u8))
    }

    /// A number of at most `digits` digits within `range`; a number out of
    /// range is reported at its first digit.
    fn bounded(
        &mut self,
        digits: usize,
        range: core::ops::RangeInclusive<u32>,
        expected: &'static str,
    ) -> Result<u32, ZoneError> {
        let start = self.at;
        let value = self.number(digits, expected)?;
        if !range.contains(&value) {
            self.at = start;
            return self.fail(expected);
        }
        Ok(value)
    }

    /// A number of at most `digits` digits.
    fn number(&mut self, digits: usize, expected: &'static str) -> Result<u32, ZoneError> {
        let from = self.at;
        let mut value = 0u32;
        while let Some(digit @ b'0'..=b'9') = self.peek() {
            if self.at - from == digits {
                return self.fail(expected);
            }
            value = value * 10 + u32::from(digit - b'0');
            self.at += 1;
        }
        if self.at == from {
            return self.fail(expected);
        }
        Ok(value)
    }

    /// `[+|-]hh[:mm[:ss]]` in seconds, hours at most `max_hours`.
    fn time(&mut self, max_hours: u32, expected: &'static str) -> Result<i32, ZoneError> {
        let negative = self.eat(b'-');
        if !negative {
            self.eat(b'+');
        }
        let start = self.at;
        let hours = self.number(3, expected)?;
        if hours > max_hours {
            self.at = start;
            return self.fail(expected);
        }
        let mut seconds = hours * 3_600;
        if self.eat(b':') {
            let minutes = self.number(2, "minutes 00..=59")?;
            if minutes > 59 {
                return self.fail("minutes 00..=59");
            }
            seconds += minutes * 60;
            if self.eat(b':') {
                let secs = self.number(2, "seconds 00..=59")?;
                if secs > 59 {
                    return self.fail("seconds 00..=59");
                }
                seconds += secs;
            }
        }
        // At most 167 * 3600 + 3599, well within i32.
        let seconds = seconds as i32;
        Ok(if negative { -seconds } else { seconds })
    }

    /// A POSIX offset (west of UTC) as a [`UtcOffset`] (east).
    fn offset(&mut self) -> Result<UtcOffset, ZoneError> {
        let west = self.time(24, "an offset [+|-]hh[:mm[:ss]] with hours 0..=24")?;
        offset_east(-west)
    }

    fn rule_day(&mut self) -> Result<RuleDay, ZoneError> {
        if self.eat(b'J') {
            let day = self.bounded(3, 1..=365, "a day 1..=365 after J")?;
            Ok(RuleDay::NoLeap(day as u16))
        } else if self.eat(b'M') {
            let month = self.bounded(2, 1..=12, "a month 1..=12 after M")?;
            if !self.eat(b'.') {
                return self.fail(". after the month");
            }
            let week = self.bounded(1, 1..=5, "a week 1..=5")?;
            if !self.eat(b'.') {
                return self.fail(". after the week");
            }
            let weekday = self.bounded(1, 0..=6, "a weekday 0..=6 (0 is Sunday)")?;
            Ok(RuleDay::Month {
                month: month as u8,
                week: week as u8,
                weekday: weekday as u8,
            })
        } else {
            let day = self.bounded(3, 0..=365, "a date: Jn (1..=365), n (0..=365) or Mm.w.d")?;
            Ok(RuleDay::Ordinal(day as u16))
        }
    }

    /// `date[/time]`, the time defaulting to 02:00.
    fn transition(&mut self) -> Result<(RuleDay, i32), ZoneError> {
        let day = self.rule_day()?;
        let time = if self.eat(b'/') {
            self.time(167, "a time [+|-]hh[:mm[:ss]] with hours up to 167")?
        } else {
            2 * 3_600
        };
        Ok((day, time))
    }
}

/// `seconds` east of UTC as a [`UtcOffset`], whole minutes in range only.
fn offset_east(seconds: i32) -> Result<UtcOffset, ZoneError> {
    if seconds % 60 != 0 {
        return Err(ZoneError::OffsetOutOfRange);
    }
    let minutes = i16::try_from(seconds / 60).map_err(|_| ZoneError::OffsetOutOfRange)?;
    UtcOffset::from_minutes(minutes).map_err(|_| ZoneError::OffsetOutOfRange)
}

impl FromStr for ZoneRule {
    type Err = ZoneError;

    fn from_str(text: &str) -> Result<ZoneRule, ZoneError> {
        let text: String<MAX_RULE_LEN> = text.try_into().map_err(|_| ZoneError::TooLong)?;
        let mut parser = Parser {
            bytes: text.as_bytes(),
            at: 0,
        };
        let name = parser.name()?;
        let standard = Clock {
            offset: parser.offset()?,
            name,
        };
        let daylight = if parser.peek().is_none() {
            None
        } else {
            let name = parser.name()?;
            let offset = match parser.peek() {
                Some(b',') | None => offset_east(standard.offset.as_seconds() + 3_600)?,
                Some(_) => parser.offset()?,
            };
            let clock = Clock { offset, name };
            let ((start, start_time), (end, end_time)) = if parser.eat(b',') {
                let start = parser.transition()?;
                if !parser.eat(b',') {
                    return parser.fail(", and the end of daylight saving time");
                }
                (start, parser.transition()?)
            } else if parser.peek().is_none() {
                let us = |month, week| RuleDay::Month {
                    month,
                    week,
                    weekday: 0,
                };
                ((us(3, 2), 7_200), (us(11, 1), 7_200))
            } else {
                return parser.fail(", and the start of daylight saving time");
            };
            Some(Daylight {
                clock,
                start,
                start_time,
                end,
                end_time,
            })
        };
        if parser.peek().is_some() {
            return parser.fail("the end of the rule");
        }
        Ok(ZoneRule {
            text,
            standard,
            daylight,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::MaintenanceCalendar;
    use proptest::prelude::*;
    use std::string::{String, ToString};
    use std::{format, vec::Vec};

    const BERLIN: &str = "CET-1CEST,M3.5.0,M10.5.0/3";
    const SYDNEY: &str = "AEST-10AEDT,M10.1.0,M4.1.0/3";
    const LORD_HOWE: &str = "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0";
    const CHATHAM: &str = "<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45";
    const SANTIAGO: &str = "<-04>4<-03>,M9.1.6/24,M4.1.6/24";

    fn wall(text: &str) -> WallTime {
        text.parse().unwrap()
    }

    fn rule(text: &str) -> ZoneRule {
        text.parse().unwrap()
    }

    fn day(year: i64, month: u8, day: u8) -> Date {
        Date::new(year, month, day).unwrap()
    }

    /// When the window `window` in `zone` first opens at or after `from`,
    /// and when it closes.
    fn opening(window: &str, zone: &str, from: &str) -> (WallTime, WallTime) {
        let calendar: MaintenanceCalendar<2> = format!("{window}; {zone}").parse().unwrap();
        let open = calendar.next_open(wall(from)).unwrap();
        (open, calendar.current_close(open).unwrap())
    }

    #[test]
    fn test_spring_forward_north_start_in_gap_opens_when_gap_ends() {
        // Berlin, 2027-03-28: 02:00 CET jumps to 03:00 CEST (01:00Z).
        let berlin = rule(BERLIN);
        assert_eq!(
            berlin.first_reading(day(2027, 3, 28), 150),
            Some(wall("2027-03-28T01:00:00Z"))
        );
        assert_eq!(berlin.abbreviation_at(wall("2027-03-28T01:00:00Z")), "CEST");
        let (open, close) = opening("Sun 02:30 +60m", BERLIN, "2027-03-27T00:00:00Z");
        assert_eq!(open, wall("2027-03-28T01:00:00Z"));
        // A real hour: 03:00 to 04:00 CEST.
        assert_eq!(close, wall("2027-03-28T02:00:00Z"));
        // Before the gap nothing moves.
        assert_eq!(
            berlin.first_reading(day(2027, 3, 28), 90),
            Some(wall("2027-03-28T00:30:00Z"))
        );
    }

    #[test]
    fn test_fall_back_north_repeated_hour_opens_once_at_first_occurrence() {
        // Berlin, 2026-10-25: 03:00 CEST falls back to 02:00 CET (01:00Z).
        let (open, close) = opening("Sun 02:30 +60m", BERLIN, "2026-10-24T00:00:00Z");
        assert_eq!(open, wall("2026-10-25T00:30:00Z")); // 02:30 CEST
        assert_eq!(close, wall("2026-10-25T01:30:00Z")); // 02:30 CET
                                                         // The second 02:30 (CET) does not open it again on that date.
        let calendar: MaintenanceCalendar<2> = format!("Sun 02:30 +60m; {BERLIN}").parse().unwrap();
        assert_eq!(
            calendar.next_open(wall("2026-10-25T00:31:00Z")),
            Some(wall("2026-11-01T01:30:00Z"))
        );
    }

    #[test]
    fn test_spring_forward_south_sydney() {
        // Sydney, 2026-10-04: 02:00 AEST jumps to 03:00 AEDT (16:00Z).
        let (open, close) = opening("Sun 02:15 +30m", SYDNEY, "2026-10-01T00:00:00Z");
        assert_eq!(open, wall("2026-10-03T16:00:00Z"));
        assert_eq!(close, wall("2026-10-03T16:30:00Z"));
    }

    #[test]
    fn test_fall_back_south_sydney() {
        // Sydney, 2026-04-05: 03:00 AEDT falls back to 02:00 AEST (16:00Z).
        let (open, _) = opening("Sun 02:15 +30m", SYDNEY, "2026-04-01T00:00:00Z");
        assert_eq!(open, wall("2026-04-04T15:15:00Z")); // 02:15 AEDT
        let sydney = rule(SYDNEY);
        assert_eq!(
            sydney.offset_at(wall("2026-04-04T15:59:59Z")).as_minutes(),
            660
        );
        assert_eq!(
            sydney.offset_at(wall("2026-04-04T16:00:00Z")).as_minutes(),
            600
        );
    }

    #[test]
    fn test_lord_howe_half_hour_daylight_saving() {
        let lord_howe = rule(LORD_HOWE);
        // 2026-10-04 02:00 +1030 (15:30Z) becomes 02:30 +11.
        assert_eq!(
            lord_howe
                .offset_at(wall("2026-10-03T15:29:59Z"))
                .as_minutes(),
            630
        );
        assert_eq!(
            lord_howe
                .offset_at(wall("2026-10-03T15:30:00Z"))
                .as_minutes(),
            660
        );
        let (open, close) = opening("Sun 02:10 +60m", LORD_HOWE, "2026-10-01T00:00:00Z");
        assert_eq!(open, wall("2026-10-03T15:30:00Z")); // 02:30 +11
        assert_eq!(close, wall("2026-10-03T16:30:00Z"));
        // 2027-04-04 02:00 +11 (15:00Z) falls back to 01:30 +1030.
        let (open, _) = opening("Sun 01:45 +60m", LORD_HOWE, "2027-04-01T00:00:00Z");
        assert_eq!(open, wall("2027-04-03T14:45:00Z")); // the first 01:45, +11
    }

    #[test]
    fn test_chatham_quarter_hour_offset() {
        let chatham = rule(CHATHAM);
        assert_eq!(chatham.standard_offset().as_minutes(), 765);
        // 2026-09-27 02:45 +1245 (2026-09-26T14:00Z) becomes 03:45 +1345.
        let (open, _) = opening("Sun 03:00 +60m", CHATHAM, "2026-09-20T00:00:00Z");
        assert_eq!(open, wall("2026-09-26T14:00:00Z"));
        assert_eq!(
            chatham.to_local(open).to_string(),
            "Sun 2026-09-27 03:45 +13:45"
        );
    }

    #[test]
    fn test_santiago_transitions_at_midnight() {
        let santiago = rule(SANTIAGO);
        // Saturday 2026-09-05 24:00 -04 (04:00Z on the 6th) becomes Sunday
        // 01:00 -03: Sunday 00:00..01:00 never happens.
        let (open, _) = opening("Sun 00:30 +60m", SANTIAGO, "2026-09-01T00:00:00Z");
        assert_eq!(open, wall("2026-09-06T04:00:00Z"));
        assert_eq!(
            santiago.to_local(open).to_string(),
            "Sun 2026-09-06 01:00 -03:00"
        );
        // Saturday 2026-04-04 24:00 -03 (03:00Z on the 5th) falls back to
        // Saturday 23:00 -04: Saturday 23:30 happens twice, opens once.
        let calendar: MaintenanceCalendar<2> =
            format!("Sat 23:30 +20m; {SANTIAGO}").parse().unwrap();
        let first = calendar.next_open(wall("2026-04-01T00:00:00Z")).unwrap();
        assert_eq!(first, wall("2026-04-05T02:30:00Z"));
        assert_eq!(
            calendar.next_open(wall("2026-04-05T02:31:00Z")),
            Some(wall("2026-04-12T03:30:00Z"))
        );
        // Sunday 00:10 falls after the repeated hour.
        let (open, _) = opening("Sun 00:10 +10m", SANTIAGO, "2026-04-01T00:00:00Z");
        assert_eq!(open, wall("2026-04-05T04:10:00Z"));
    }

    #[test]
    fn test_window_wrapping_midnight_across_transition_lasts_real_minutes() {
        // Saturday 23:00 CET for four real hours: to 04:00 CEST on Sunday.
        let (open, close) = opening("Sat 23:00 +240m", BERLIN, "2027-03-27T00:00:00Z");
        assert_eq!(open, wall("2027-03-27T22:00:00Z"));
        assert_eq!(close, wall("2027-03-28T02:00:00Z"));
        let berlin = rule(BERLIN);
        assert_eq!(
            berlin.to_local(close).to_string(),
            "Sun 2027-03-28 04:00 +02:00"
        );
    }

    #[test]
    fn test_window_wrapping_week_end_across_transition() {
        // Sunday 01:00 CET for a day: across the jump and past Sunday night
        // into Monday, closing at 02:00 CEST, 24 real hours later.
        let (open, close) = opening("Sun 01:00 +1d", BERLIN, "2027-03-27T00:00:00Z");
        assert_eq!(open, wall("2027-03-28T00:00:00Z"));
        assert_eq!(close, wall("2027-03-29T00:00:00Z"));
        // A zone switching at Monday 00:00: Sunday 23:00 for two hours runs
        // into the skipped hour and past it.
        let monday = "XST3XDT,M3.2.1/0,M11.1.1/0";
        let (open, close) = opening("Sun 23:00 +120m", monday, "2027-03-02T00:00:00Z");
        assert_eq!(open, wall("2027-03-08T02:00:00Z"));
        assert_eq!(close, wall("2027-03-08T04:00:00Z"));
        let calendar: MaintenanceCalendar<2> =
            format!("Sun 23:00 +120m; {monday}").parse().unwrap();
        assert!(calendar.contains(wall("2027-03-08T03:59:59Z")));
        assert_eq!(
            calendar.to_local(wall("2027-03-08T03:59:00Z")).to_string(),
            "Mon 2027-03-08 01:59 -02:00"
        );
    }

    #[test]
    fn test_permanent_daylight_and_negative_and_long_transition_times() {
        // Daylight all year (as some footers write it).
        let always = rule("EST5EDT,0/0,J365/25");
        for at in [
            "2026-01-01T05:00:00Z",
            "2026-07-01T00:00:00Z",
            "2026-12-31T23:59:59Z",
        ] {
            assert_eq!(always.offset_at(wall(at)).as_minutes(), -240, "{at}");
        }
        // Greenland: -1 on the last Saturday-night, 0 on the Sunday.
        let nuuk = rule("<-02>2<-01>,M3.5.0/-1,M10.5.0/0");
        // 2027-03-27 23:00 -02 = 2027-03-28T01:00Z.
        assert_eq!(
            nuuk.offset_at(wall("2027-03-28T00:59:59Z")).as_minutes(),
            -120
        );
        assert_eq!(
            nuuk.offset_at(wall("2027-03-28T01:00:00Z")).as_minutes(),
            -60
        );
        // Jerusalem: Friday before the last Sunday, 26:00 on Thursday.
        let jerusalem = rule("IST-2IDT,M3.4.4/26,M10.5.0");
        // 2027-03-25 (4th Thursday) 26:00 +02 = 2027-03-26T00:00Z.
        assert_eq!(
            jerusalem
                .offset_at(wall("2027-03-25T23:59:59Z"))
                .as_minutes(),
            120
        );
        assert_eq!(
            jerusalem
                .offset_at(wall("2027-03-26T00:00:00Z"))
                .as_minutes(),
            180
        );
        // Dublin: negative daylight saving (winter is the "daylight" clock).
        let dublin = rule("IST-1GMT0,M10.5.0,M3.5.0/1");
        assert_eq!(
            dublin.offset_at(wall("2026-07-01T00:00:00Z")).as_minutes(),
            60
        );
        assert_eq!(
            dublin.offset_at(wall("2026-12-01T00:00:00Z")).as_minutes(),
            0
        );
        assert_eq!(dublin.abbreviation_at(wall("2026-12-01T00:00:00Z")), "GMT");
    }

    #[test]
    fn test_rules_without_daylight_saving_and_defaults() {
        let tehran = rule("<+0330>-3:30");
        assert!(!tehran.has_daylight_saving());
        assert_eq!(
            tehran.offset_at(wall("2026-06-01T00:00:00Z")).as_minutes(),
            210
        );
        assert_eq!(
            tehran.abbreviation_at(wall("2026-06-01T00:00:00Z")),
            "+0330"
        );
        // A daylight name alone: one hour ahead, US rules.
        let us = rule("EST5EDT");
        assert_eq!(
            us.offset_at(wall("2026-07-01T00:00:00Z")).as_minutes(),
            -240
        );
        assert_eq!(
            us.offset_at(wall("2026-01-01T00:00:00Z")).as_minutes(),
            -300
        );
        // Every rule prints as written.
        for text in [
            BERLIN,
            SYDNEY,
            LORD_HOWE,
            CHATHAM,
            SANTIAGO,
            "UTC0",
            "<+0330>-3:30",
        ] {
            assert_eq!(rule(text).to_string(), text);
        }
    }

    #[test]
    fn test_malformed_rules_are_rejected_with_position() {
        for (text, at) in [
            ("", 0),
            ("CE-1", 2),
            ("CET", 3),
            ("CET-1CEST,M3.5.0", 16),
            ("CET-1CEST,M13.5.0,M10.5.0", 11),
            ("CET-1CEST,M3.6.0,M10.5.0", 13),
            ("CET-1CEST,M3.5.7,M10.5.0", 15),
            ("CET-1CEST,J0,M10.5.0", 11),
            ("CET-1CEST,366,M10.5.0", 10),
            ("CET-1CEST,M3.5.0/168,M10.5.0", 17),
            ("<+03-3", 6),
            ("Europe/Berlin", 6),
            ("CET-1 ", 5),
        ] {
            match text.parse::<ZoneRule>() {
                Err(ZoneError::Malformed { at: got, .. }) => assert_eq!(got, at, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
        assert_eq!(
            "XXX-15".parse::<ZoneRule>(),
            Err(ZoneError::OffsetOutOfRange)
        );
        assert_eq!(
            "XXX-1:00:30".parse::<ZoneRule>(),
            Err(ZoneError::OffsetOutOfRange)
        );
        let long = "A".repeat(MAX_RULE_LEN + 1);
        assert_eq!(long.parse::<ZoneRule>(), Err(ZoneError::TooLong));
        let message = "Europe/Berlin".parse::<ZoneRule>().unwrap_err().to_string();
        assert!(message.contains("resolved"), "{message}");
    }

    /// A random valid rule, written out in the grammar's text.
    fn any_rule() -> impl Strategy<Value = String> {
        let name = prop_oneof![
            "[A-Z]{3,5}".prop_map(|name| name),
            "[+-][0-9]{2,4}".prop_map(|name| format!("<{name}>")),
        ];
        let offset = (-14i32..=12, 0u32..4).prop_map(|(hours, quarter)| {
            let minutes = quarter * 15;
            if minutes == 0 {
                format!("{hours}")
            } else if hours < 0 {
                format!("-{}:{minutes:02}", -hours)
            } else {
                format!("+{hours}:{minutes:02}")
            }
        });
        let day = prop_oneof![
            (1u16..=365).prop_map(|day| format!("J{day}")),
            (0u16..=365).prop_map(|day| format!("{day}")),
            (1u8..=12, 1u8..=5, 0u8..=6).prop_map(|(m, w, d)| format!("M{m}.{w}.{d}")),
        ];
        let time = prop_oneof![
            Just(String::new()),
            (-167i32..=167, 0u32..60).prop_map(|(hours, minutes)| format!("/{hours}:{minutes:02}")),
        ];
        let transition = (day, time).prop_map(|(day, time)| format!("{day}{time}"));
        (
            name.clone(),
            offset.clone(),
            proptest::option::of((
                name,
                proptest::option::of(offset),
                transition.clone(),
                transition,
            )),
        )
            .prop_map(|(std, offset, daylight)| match daylight {
                None => format!("{std}{offset}"),
                Some((dst, dst_offset, start, end)) => {
                    format!(
                        "{std}{offset}{dst}{},{start},{end}",
                        dst_offset.unwrap_or_default()
                    )
                }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Valid rules parse, print back, and give the offsets `tz-rs`
        /// gives from the same text.
        #[test]
        fn test_any_rule_parses_and_matches_tz_rs(text in any_rule(), seconds in 0u64..4_000_000_000) {
            let parsed = text.parse::<ZoneRule>();
            // Offsets beyond -12:00..=+14:00 are refused on purpose.
            prop_assume!(parsed != Err(ZoneError::OffsetOutOfRange));
            let rule = parsed.unwrap();
            prop_assert_eq!(rule.to_string(), text.clone());
            let reference = tz::TimeZone::from_tz_data(&footer_only_tzif(&text));
            prop_assume!(reference.is_ok());
            let reference = reference.unwrap();
            for at in [seconds, seconds / 7, seconds % 100_000_000 + 1_767_225_600] {
                let expected = reference.find_local_time_type(at as i64).unwrap();
                let wall = WallTime::from_unix_secs(at);
                prop_assert_eq!(rule.offset_at(wall).as_seconds(), expected.ut_offset(), "{} at {}", text, at);
            }
        }

        /// Arbitrary text never panics the parser.
        #[test]
        fn test_any_text_parses_or_fails_cleanly(text in "[A-Z<>+0-9:,./J-]{0,40}") {
            let _ = text.parse::<ZoneRule>();
        }

        /// `first_reading` is the first minute at which the clock reads the
        /// time or later on the date, by a search over minutes.
        #[test]
        fn test_any_rule_first_reading_matches_minute_search(
            text in any_rule(),
            days in 20_454i64..24_107,
            minute in 0u16..1_440,
        ) {
            let parsed = text.parse::<ZoneRule>();
            prop_assume!(parsed.is_ok());
            let rule = parsed.unwrap();
            let date = Date::from_days_since_epoch(days).unwrap();
            let target = days * SECONDS_PER_DAY + i64::from(minute) * 60;
            let mut expected = None;
            let start = days * SECONDS_PER_DAY - 30 * 3_600;
            for step in 0..(24 + 60) * 60 {
                let at = start + step * 60;
                let local = at + i64::from(rule.offset_at(WallTime::from_unix_secs(at as u64)).as_seconds());
                if local >= target && local < (days + 1) * SECONDS_PER_DAY {
                    expected = Some(at);
                    break;
                }
            }
            // Transition times may fall between whole minutes of UTC only
            // for offsets that are not whole minutes, which are refused.
            prop_assert_eq!(rule.first_reading(date, minute).map(|at| at.as_unix_secs() as i64), expected);
        }
    }

    /// A version 3 TZif file with no transitions and `rule` as its footer,
    /// so that `tz-rs` reads the rule with the RFC 8536 extensions.
    fn footer_only_tzif(rule: &str) -> Vec<u8> {
        let mut block = Vec::new();
        block.extend_from_slice(b"TZif3");
        block.extend_from_slice(&[0; 15]);
        for count in [0u32, 0, 0, 0, 1, 4] {
            block.extend_from_slice(&count.to_be_bytes());
        }
        block.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        block.extend_from_slice(b"UTC\0");
        let mut file = block.clone();
        file.extend_from_slice(&block);
        file.extend_from_slice(format!("\n{rule}\n").as_bytes());
        file
    }
}
