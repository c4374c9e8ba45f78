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
        let local_days = (at + i64::from(self.standard.offset.as_seconds())).div_euclid(SECONDS_PER_DAY);
        let year = Date::from_days_since_epoch(local_days).map_or(1970, |date| date.year());
        self.transitions(year - 1, year + 1)
            .into_iter()
            .flatten()
            .filter(|&(when, _)| when <= at)
            .last()
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
            let day = self.number(3, "a day 1..=365 after J")?;
            if !(1..=365).contains(&day) {
                return self.fail("a day 1..=365 after J");
            }
            Ok(RuleDay::NoLeap(day as u16))
        } else if self.eat(b'M') {
            let month = self.number(2, "a month 1..=12 after M")?;
            if !(1..=12).contains(&month) {
                return self.fail("a month 1..=12 after M");
            }
            if !self.eat(b'.') {
                return self.fail(". after the month");
            }
            let week = self.number(1, "a week 1..=5")?;
            if !(1..=5).contains(&week) {
                return self.fail("a week 1..=5");
            }
            if !self.eat(b'.') {
                return self.fail(". after the week");
            }
            let weekday = self.number(1, "a weekday 0..=6 (0 is Sunday)")?;
            if weekday > 6 {
                return self.fail("a weekday 0..=6 (0 is Sunday)");
            }
            Ok(RuleDay::Month {
                month: month as u8,
                week: week as u8,
                weekday: weekday as u8,
            })
        } else {
            let day = self.number(3, "a date: Jn, n or Mm.w.d")?;
            if day > 365 {
                return self.fail("a day 0..=365");
            }
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
                Some(b',') | None => {
                    offset_east(standard.offset.as_seconds() + 3_600)?
                }
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
