//! Wall-clock civil time: Unix seconds, fixed UTC offsets and local dates.
//!
//! Maintenance windows, frequency policies and usage patterns are stated in
//! local civil time ("Saturday 22:30"), while the kernel reads a wall clock
//! in Unix seconds. This module converts between the two with a fixed
//! [`UtcOffset`]: there is no time-zone database and no daylight-saving rule,
//! because a `no_std` kernel has neither; whoever configures the machine
//! changes the offset when the season changes.
//!
//! [`WallTime`] counts seconds since 1970-01-01T00:00:00Z as a `u64`, so it
//! cannot name an instant before the Unix epoch (an RTC never reads earlier)
//! and reaches far beyond any date that matters. Local dates follow the
//! proleptic Gregorian calendar and are computed with integer arithmetic
//! only: the day count is split into 400-year eras of 146 097 days, inside
//! which years are counted from March so that the leap day falls at the end
//! of the counted year. The conversion is exact for every [`WallTime`] and
//! every offset; the tests compare it day by day with the `chrono` crate for
//! 1970-01-01..=2199-12-31.
//!
//! Text forms: timestamps in the RFC 3339 profile `2026-11-28T22:45:00Z` or
//! `2026-11-28T22:45:00+01:00` (see [`LocalTime`]'s `FromStr`), and the local
//! form `Sat 2026-11-28 22:30 +01:00` used by the kernel's event log.

use core::fmt;
use core::str::FromStr;

use crate::time::Duration;

/// Seconds in a civil day; leap seconds do not exist in Unix time.
const SECONDS_PER_DAY: u64 = 86_400;
/// Minutes in a civil day.
pub const MINUTES_PER_DAY: u16 = 1_440;
/// Minutes in a week, Monday 00:00 to the next Monday 00:00.
pub const MINUTES_PER_WEEK: u16 = 10_080;
/// Seconds in a week.
pub const SECONDS_PER_WEEK: u32 = 604_800;
/// Days from 0000-03-01 to 1970-01-01 in the proleptic Gregorian calendar:
/// the era arithmetic below counts from a March 1st so that the leap day is
/// the last day of its counted year.
const DAYS_FROM_MARCH_0000_TO_EPOCH: i64 = 719_468;
/// Days in 400 Gregorian years (97 of them leap years): the calendar repeats
/// with this period.
const DAYS_PER_ERA: i64 = 146_097;
/// 1970-01-01 was a Thursday, three days after the Monday that starts its
/// week (Monday has index 0).
const EPOCH_WEEKDAY_INDEX: i64 = 3;

/// A fixed offset from UTC, in whole minutes, between -12:00 and +14:00.
///
/// The range is the one in use on Earth (Baker Island to Line Islands);
/// anything outside it is a configuration mistake, not a place.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcOffset {
    minutes: i16,
}

impl UtcOffset {
    /// Coordinated Universal Time itself.
    pub const UTC: UtcOffset = UtcOffset { minutes: 0 };
    /// The westernmost offset in use, -12:00.
    pub const MIN: UtcOffset = UtcOffset { minutes: -720 };
    /// The easternmost offset in use, +14:00.
    pub const MAX: UtcOffset = UtcOffset { minutes: 840 };

    /// The offset `minutes` east of UTC (negative: west).
    #[inline]
    pub const fn from_minutes(minutes: i16) -> Result<UtcOffset, OffsetError> {
        if minutes < UtcOffset::MIN.minutes || minutes > UtcOffset::MAX.minutes {
            return Err(OffsetError::OutOfRange);
        }
        Ok(UtcOffset { minutes })
    }

    /// Minutes east of UTC.
    #[inline]
    pub const fn as_minutes(self) -> i16 {
        self.minutes
    }

    /// Seconds east of UTC.
    #[inline]
    pub const fn as_seconds(self) -> i32 {
        self.minutes as i32 * 60
    }
}

/// Prints `+02:00`, `-05:30`, and `+00:00` for UTC.
impl fmt::Display for UtcOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.minutes < 0 { '-' } else { '+' };
        let magnitude = self.minutes.unsigned_abs();
        write!(f, "{sign}{:02}:{:02}", magnitude / 60, magnitude % 60)
    }
}

/// Parses `Z`, `+HH:MM`, `-HH:MM`, `+HHMM` or `+HH` (either sign, `z` too).
impl FromStr for UtcOffset {
    type Err = OffsetError;

    fn from_str(text: &str) -> Result<UtcOffset, OffsetError> {
        if text.eq_ignore_ascii_case("z") {
            return Ok(UtcOffset::UTC);
        }
        let (negative, rest) = match text.as_bytes().first() {
            Some(b'+') => (false, &text[1..]),
            Some(b'-') => (true, &text[1..]),
            _ => return Err(OffsetError::Malformed),
        };
        // ASCII only, so that the byte positions below are character bounds.
        if !rest.is_ascii() {
            return Err(OffsetError::Malformed);
        }
        let (hours, minutes) = match rest.len() {
            2 => (rest, "00"),
            4 => rest.split_at(2),
            5 if rest.as_bytes()[2] == b':' => (&rest[..2], &rest[3..]),
            _ => return Err(OffsetError::Malformed),
        };
        let hours = parse_digits(hours).ok_or(OffsetError::Malformed)?;
        let minutes = parse_digits(minutes).ok_or(OffsetError::Malformed)?;
        if minutes > 59 {
            return Err(OffsetError::Malformed);
        }
        // At most 99 * 60 + 59 = 5999, which fits an i16 before the range check.
        let magnitude = (hours * 60 + minutes) as i16;
        UtcOffset::from_minutes(if negative { -magnitude } else { magnitude })
    }
}

/// Why a [`UtcOffset`] could not be built or parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OffsetError {
    /// The offset lies outside -12:00..=+14:00.
    OutOfRange,
    /// The text is not `Z`, `+HH:MM`, `-HH:MM`, `+HHMM` or `+HH`.
    Malformed,
}

impl fmt::Display for OffsetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OffsetError::OutOfRange => {
                f.write_str("UTC offset out of range: it must lie between -12:00 and +14:00")
            }
            OffsetError::Malformed => f.write_str(
                "malformed UTC offset: expected Z, +HH:MM, -HH:MM or +HHMM with minutes 00..=59",
            ),
        }
    }
}

impl core::error::Error for OffsetError {}

/// A day of the week, Monday first as in ISO 8601.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Weekday {
    /// Monday, index 0.
    Monday = 0,
    /// Tuesday, index 1.
    Tuesday = 1,
    /// Wednesday, index 2.
    Wednesday = 2,
    /// Thursday, index 3.
    Thursday = 3,
    /// Friday, index 4.
    Friday = 4,
    /// Saturday, index 5.
    Saturday = 5,
    /// Sunday, index 6.
    Sunday = 6,
}

impl Weekday {
    /// Every day of the week, Monday first.
    pub const ALL: [Weekday; 7] = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ];

    /// Position in the week: Monday is 0, Sunday is 6.
    #[inline]
    pub const fn index(self) -> u8 {
        self as u8
    }

    /// The day at `index` (Monday is 0), or `None` past Sunday.
    #[inline]
    pub const fn from_index(index: u8) -> Option<Weekday> {
        if index < 7 {
            Some(Weekday::ALL[index as usize])
        } else {
            None
        }
    }

    /// The following day; Sunday is followed by Monday.
    #[inline]
    pub const fn next(self) -> Weekday {
        Weekday::ALL[(self.index() as usize + 1) % 7]
    }

    /// Three-letter English name: `Mon` .. `Sun`.
    #[inline]
    pub const fn short_name(self) -> &'static str {
        match self {
            Weekday::Monday => "Mon",
            Weekday::Tuesday => "Tue",
            Weekday::Wednesday => "Wed",
            Weekday::Thursday => "Thu",
            Weekday::Friday => "Fri",
            Weekday::Saturday => "Sat",
            Weekday::Sunday => "Sun",
        }
    }

    /// Full English name: `Monday` .. `Sunday`.
    #[inline]
    pub const fn name(self) -> &'static str {
        match self {
            Weekday::Monday => "Monday",
            Weekday::Tuesday => "Tuesday",
            Weekday::Wednesday => "Wednesday",
            Weekday::Thursday => "Thursday",
            Weekday::Friday => "Friday",
            Weekday::Saturday => "Saturday",
            Weekday::Sunday => "Sunday",
        }
    }

    /// The weekday of the day `days` days after 1970-01-01 (negative: before).
    const fn from_days_since_epoch(days: i64) -> Weekday {
        Weekday::ALL[(days + EPOCH_WEEKDAY_INDEX).rem_euclid(7) as usize]
    }
}

/// Prints the short name, `Mon` .. `Sun`.
impl fmt::Display for Weekday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.short_name())
    }
}

/// Parses a short (`Mon`) or full (`Monday`) English name in any ASCII case.
impl FromStr for Weekday {
    type Err = WeekdayError;

    fn from_str(text: &str) -> Result<Weekday, WeekdayError> {
        Weekday::ALL
            .into_iter()
            .find(|day| {
                day.short_name().eq_ignore_ascii_case(text) || day.name().eq_ignore_ascii_case(text)
            })
            .ok_or(WeekdayError::Unknown)
    }
}

/// Why a [`Weekday`] could not be parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WeekdayError {
    /// The text names no day of the week.
    Unknown,
}

impl fmt::Display for WeekdayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WeekdayError::Unknown => f.write_str(
                "unknown day name: expected Mon, Tue, Wed, Thu, Fri, Sat or Sun (or the full name)",
            ),
        }
    }
}

impl core::error::Error for WeekdayError {}

/// Whether `year` has a February 29th in the Gregorian calendar.
#[inline]
pub const fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Days in `month` (1..=12) of `year`; 0 for a month that does not exist.
#[inline]
pub const fn days_in_month(year: i64, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// A day in the proleptic Gregorian calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    // Field order makes the derived ordering chronological.
    year: i64,
    month: u8,
    day: u8,
}

impl Date {
    /// The earliest year a [`Date`] can hold, 1 BC in astronomical numbering.
    pub const MIN_YEAR: i64 = 0;
    /// The latest year a [`Date`] can hold. Far beyond the local date of
    /// [`WallTime::MAX`] in any offset (year 584 554 051 223), and small
    /// enough that every day count fits an `i64` with room to spare.
    pub const MAX_YEAR: i64 = 999_999_999_999;
    /// Day count of 0000-01-01, the first day a [`Date`] can hold.
    const MIN_DAYS: i64 = Date {
        year: Date::MIN_YEAR,
        month: 1,
        day: 1,
    }
    .days_since_epoch();
    /// Day count of the last day a [`Date`] can hold.
    const MAX_DAYS: i64 = Date {
        year: Date::MAX_YEAR,
        month: 12,
        day: 31,
    }
    .days_since_epoch();

    /// The date `year`-`month`-`day`, checked against the calendar.
    #[inline]
    pub const fn new(year: i64, month: u8, day: u8) -> Result<Date, CivilError> {
        if year < Date::MIN_YEAR || year > Date::MAX_YEAR {
            return Err(CivilError::YearOutOfRange);
        }
        if month < 1 || month > 12 {
            return Err(CivilError::MonthOutOfRange);
        }
        if day < 1 || day > days_in_month(year, month) {
            return Err(CivilError::DayOutOfRange);
        }
        Ok(Date { year, month, day })
    }

    /// The date `days` days after 1970-01-01 (negative: before), or `None`
    /// outside [`Date::MIN_YEAR`]..=[`Date::MAX_YEAR`].
    #[inline]
    pub const fn from_days_since_epoch(days: i64) -> Option<Date> {
        if days < Date::MIN_DAYS || days > Date::MAX_DAYS {
            return None;
        }
        Some(Date::from_days_in_range(days))
    }

    /// [`Date::from_days_since_epoch`] for a day count known to be in range,
    /// such as that of any [`WallTime`] in any offset.
    const fn from_days_in_range(days: i64) -> Date {
        // Count from 0000-03-01 so that every era and every counted year
        // ends with the irregular part (the leap day, the short century).
        let days = days + DAYS_FROM_MARCH_0000_TO_EPOCH;
        let era = days.div_euclid(DAYS_PER_ERA);
        let day_of_era = days.rem_euclid(DAYS_PER_ERA); // 0..=146096
                                                        // Undo the leap days: one every 4 years (1460 days), none every 100
                                                        // years (36524 days), one again on the last day of the era.
        let year_of_era =
            (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365; // 0..=399
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100); // 0..=365
                                                                                                  // Months from March have the lengths 31 30 31 30 31 31 30 31 30 31 31
                                                                                                  // 28/29; (153 * m + 2) / 5 is the number of days before month m.
        let month_from_march = (5 * day_of_year + 2) / 153; // 0..=11
        let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
        let month = if month_from_march < 10 {
            month_from_march + 3
        } else {
            month_from_march - 9
        };
        // January and February belong to the counted year that began the
        // March before, so their civil year is one later.
        let year = era * 400 + year_of_era + if month <= 2 { 1 } else { 0 };
        Date {
            year,
            month: month as u8,
            day: day as u8,
        }
    }

    /// Days from 1970-01-01 to this date (negative: before).
    #[inline]
    pub const fn days_since_epoch(self) -> i64 {
        let year = if self.month <= 2 {
            self.year - 1
        } else {
            self.year
        };
        let era = year.div_euclid(400);
        let year_of_era = year.rem_euclid(400);
        let month_from_march = (self.month as i64 + 9) % 12;
        let day_of_year = (153 * month_from_march + 2) / 5 + self.day as i64 - 1;
        let day_of_era = 365 * year_of_era + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * DAYS_PER_ERA + day_of_era - DAYS_FROM_MARCH_0000_TO_EPOCH
    }

    /// The year, e.g. 2026.
    #[inline]
    pub const fn year(self) -> i64 {
        self.year
    }

    /// The month, 1 (January) ..= 12 (December).
    #[inline]
    pub const fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, 1-based.
    #[inline]
    pub const fn day(self) -> u8 {
        self.day
    }

    /// The day of the week.
    #[inline]
    pub const fn weekday(self) -> Weekday {
        Weekday::from_days_since_epoch(self.days_since_epoch())
    }

    /// Days in this date's month (28 ..= 31).
    #[inline]
    pub const fn days_in_month(self) -> u8 {
        days_in_month(self.year, self.month)
    }

    /// Whether this is the last day of its month, e.g. 2028-02-29.
    #[inline]
    pub const fn is_last_day_of_month(self) -> bool {
        self.day == self.days_in_month()
    }
}

/// Prints `2026-11-28`.
impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Why a [`Date`] or [`LocalTime`] could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CivilError {
    /// The year lies outside [`Date::MIN_YEAR`]..=[`Date::MAX_YEAR`].
    YearOutOfRange,
    /// The month is not 1..=12.
    MonthOutOfRange,
    /// The day does not exist in that month.
    DayOutOfRange,
    /// The hour is not 0..=23.
    HourOutOfRange,
    /// The minute is not 0..=59.
    MinuteOutOfRange,
    /// The second is not 0..=59 (Unix time has no leap seconds).
    SecondOutOfRange,
}

impl fmt::Display for CivilError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CivilError::YearOutOfRange => "year out of range",
            CivilError::MonthOutOfRange => "month out of range: expected 01..=12",
            CivilError::DayOutOfRange => "day out of range for its month",
            CivilError::HourOutOfRange => "hour out of range: expected 00..=23",
            CivilError::MinuteOutOfRange => "minute out of range: expected 00..=59",
            CivilError::SecondOutOfRange => "second out of range: expected 00..=59",
        })
    }
}

impl core::error::Error for CivilError {}

/// An instant on the wall clock: whole seconds since 1970-01-01T00:00:00Z.
///
/// Unsigned because the wall clock of this system never reads before the
/// Unix epoch; an RTC that does is broken and is clamped by its driver.
/// Prints and parses as an RFC 3339 timestamp (see [`LocalTime`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WallTime {
    secs: u64,
}

impl WallTime {
    /// 1970-01-01T00:00:00Z.
    pub const UNIX_EPOCH: WallTime = WallTime { secs: 0 };
    /// The latest representable instant.
    pub const MAX: WallTime = WallTime { secs: u64::MAX };

    /// The instant `secs` seconds after the Unix epoch.
    #[inline]
    pub const fn from_unix_secs(secs: u64) -> WallTime {
        WallTime { secs }
    }

    /// Seconds since the Unix epoch.
    #[inline]
    pub const fn as_unix_secs(self) -> u64 {
        self.secs
    }

    /// `self + duration`, or `None` past [`WallTime::MAX`]. The wall clock
    /// counts whole seconds, so the milliseconds of `duration` are dropped.
    #[inline]
    pub const fn checked_add(self, duration: Duration) -> Option<WallTime> {
        match self.secs.checked_add(duration.as_secs()) {
            Some(secs) => Some(WallTime { secs }),
            None => None,
        }
    }

    /// `self + duration`, clamped to [`WallTime::MAX`]; milliseconds dropped.
    #[inline]
    pub const fn saturating_add(self, duration: Duration) -> WallTime {
        WallTime {
            secs: self.secs.saturating_add(duration.as_secs()),
        }
    }

    /// `self - duration`, or `None` before the Unix epoch; milliseconds dropped.
    #[inline]
    pub const fn checked_sub(self, duration: Duration) -> Option<WallTime> {
        match self.secs.checked_sub(duration.as_secs()) {
            Some(secs) => Some(WallTime { secs }),
            None => None,
        }
    }

    /// `self - duration`, clamped to the Unix epoch; milliseconds dropped.
    #[inline]
    pub const fn saturating_sub(self, duration: Duration) -> WallTime {
        WallTime {
            secs: self.secs.saturating_sub(duration.as_secs()),
        }
    }

    /// How long after `earlier` this instant is, or `None` if it is before.
    #[inline]
    pub const fn checked_duration_since(self, earlier: WallTime) -> Option<Duration> {
        match self.secs.checked_sub(earlier.secs) {
            Some(secs) => Some(Duration::from_secs(secs)),
            None => None,
        }
    }

    /// How long after `earlier` this instant is, zero if it is before.
    #[inline]
    pub const fn saturating_duration_since(self, earlier: WallTime) -> Duration {
        Duration::from_secs(self.secs.saturating_sub(earlier.secs))
    }

    /// The civil date and time on a wall clock set to `offset`.
    #[inline]
    pub const fn to_local(self, offset: UtcOffset) -> LocalTime {
        // Split before applying the offset so nothing near u64::MAX overflows.
        let days = (self.secs / SECONDS_PER_DAY) as i64;
        let second_of_day = (self.secs % SECONDS_PER_DAY) as i64 + offset.as_seconds() as i64;
        let days = days + second_of_day.div_euclid(SECONDS_PER_DAY as i64);
        let second_of_day = second_of_day.rem_euclid(SECONDS_PER_DAY as i64) as u32;
        LocalTime {
            date: Date::from_days_in_range(days),
            hour: (second_of_day / 3_600) as u8,
            minute: (second_of_day / 60 % 60) as u8,
            second: (second_of_day % 60) as u8,
            offset,
        }
    }

    /// Seconds since the start of the local week (Monday 00:00:00 on a wall
    /// clock set to `offset`): 0 ..= 604 799.
    ///
    /// The same as `to_local(offset).minute_of_week() * 60 + second`, without
    /// the calendar arithmetic: weeks have a fixed length, months do not.
    #[inline]
    pub const fn local_second_of_week(self, offset: UtcOffset) -> u32 {
        let week = SECONDS_PER_WEEK as i64;
        let utc = ((self.secs % SECONDS_PER_WEEK as u64) as i64
            + EPOCH_WEEKDAY_INDEX * SECONDS_PER_DAY as i64)
            % week;
        (utc + offset.as_seconds() as i64).rem_euclid(week) as u32
    }
}

/// Prints the RFC 3339 UTC form, `2026-11-28T22:45:00Z`.
impl fmt::Display for WallTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_local(UtcOffset::UTC).rfc3339().fmt(f)
    }
}

/// Parses an RFC 3339 timestamp, as [`LocalTime`]'s `FromStr` does, and
/// converts it to UTC; an instant before the Unix epoch is an error.
impl FromStr for WallTime {
    type Err = TimestampError;

    fn from_str(text: &str) -> Result<WallTime, TimestampError> {
        let local: LocalTime = text.parse()?;
        local.to_wall().ok_or(TimestampError::BeforeEpoch)
    }
}

/// A civil date and time of day on a wall clock set to a [`UtcOffset`],
/// to the second.
///
/// Prints as `Sat 2026-11-28 22:30 +01:00` (the event-log form, to the
/// minute); [`LocalTime::rfc3339`] prints the full timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LocalTime {
    date: Date,
    hour: u8,
    minute: u8,
    second: u8,
    offset: UtcOffset,
}

impl LocalTime {
    /// The time `hour:minute:second` on `date`, on a clock set to `offset`.
    #[inline]
    pub const fn new(
        date: Date,
        hour: u8,
        minute: u8,
        second: u8,
        offset: UtcOffset,
    ) -> Result<LocalTime, CivilError> {
        if hour > 23 {
            return Err(CivilError::HourOutOfRange);
        }
        if minute > 59 {
            return Err(CivilError::MinuteOutOfRange);
        }
        if second > 59 {
            return Err(CivilError::SecondOutOfRange);
        }
        Ok(LocalTime {
            date,
            hour,
            minute,
            second,
            offset,
        })
    }

    /// The instant this local time names, or `None` if it lies before the
    /// Unix epoch or after [`WallTime::MAX`].
    #[inline]
    pub const fn to_wall(self) -> Option<WallTime> {
        let days = self.date.days_since_epoch();
        // Within -50 400 ..= 136 799: the offset moves at most 14 h.
        let seconds_in_day =
            self.hour as i64 * 3_600 + self.minute as i64 * 60 + self.second as i64
                - self.offset.as_seconds() as i64;
        if days >= 0 {
            // Unsigned, because the far end of WallTime exceeds i64::MAX.
            match (days as u64).checked_mul(SECONDS_PER_DAY) {
                Some(day_start) => match day_start.checked_add_signed(seconds_in_day) {
                    Some(secs) => Some(WallTime { secs }),
                    None => None,
                },
                None => None,
            }
        } else {
            // Only the last day before the epoch can still reach it, so
            // these products are small.
            let secs = days * SECONDS_PER_DAY as i64 + seconds_in_day;
            if secs < 0 {
                None
            } else {
                Some(WallTime { secs: secs as u64 })
            }
        }
    }

    /// The calendar date.
    #[inline]
    pub const fn date(self) -> Date {
        self.date
    }

    /// The year, e.g. 2026.
    #[inline]
    pub const fn year(self) -> i64 {
        self.date.year
    }

    /// The month, 1 ..= 12.
    #[inline]
    pub const fn month(self) -> u8 {
        self.date.month
    }

    /// The day of the month, 1-based.
    #[inline]
    pub const fn day(self) -> u8 {
        self.date.day
    }

    /// The day of the week.
    #[inline]
    pub const fn weekday(self) -> Weekday {
        self.date.weekday()
    }

    /// The hour, 0 ..= 23.
    #[inline]
    pub const fn hour(self) -> u8 {
        self.hour
    }

    /// The minute, 0 ..= 59.
    #[inline]
    pub const fn minute(self) -> u8 {
        self.minute
    }

    /// The second, 0 ..= 59.
    #[inline]
    pub const fn second(self) -> u8 {
        self.second
    }

    /// The offset of the wall clock this time was read from.
    #[inline]
    pub const fn offset(self) -> UtcOffset {
        self.offset
    }

    /// Minutes since local midnight, 0 ..= 1439.
    #[inline]
    pub const fn minute_of_day(self) -> u16 {
        self.hour as u16 * 60 + self.minute as u16
    }

    /// Minutes since Monday 00:00 local time, 0 ..= 10 079.
    #[inline]
    pub const fn minute_of_week(self) -> u16 {
        self.weekday().index() as u16 * MINUTES_PER_DAY + self.minute_of_day()
    }

    /// Days in the current month (28 ..= 31).
    #[inline]
    pub const fn days_in_month(self) -> u8 {
        self.date.days_in_month()
    }

    /// Whether today is the last day of the month.
    #[inline]
    pub const fn is_last_day_of_month(self) -> bool {
        self.date.is_last_day_of_month()
    }

    /// The RFC 3339 form, `2026-11-28T22:45:00+01:00` (`Z` for UTC).
    #[inline]
    pub const fn rfc3339(self) -> Rfc3339 {
        Rfc3339 { local: self }
    }
}

/// Prints `Sat 2026-11-28 22:30 +01:00`: weekday, date, time to the minute
/// and offset, the form of the kernel's event log.
impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {:02}:{:02} {}",
            self.weekday(),
            self.date,
            self.hour,
            self.minute,
            self.offset
        )
    }
}

/// Parses an RFC 3339 timestamp without fractional seconds:
/// `YYYY-MM-DDTHH:MM:SS` followed by `Z` or an offset in any form
/// [`UtcOffset`] parses (`+01:00`, `+0100`). The separator may be `T`, `t` or
/// a space. Leap seconds (`:60`) are rejected because Unix time has none.
impl FromStr for LocalTime {
    type Err = TimestampError;

    fn from_str(text: &str) -> Result<LocalTime, TimestampError> {
        let bytes = text.as_bytes();
        // Fixed positions: YYYY-MM-DD?HH:MM:SS then the offset from byte 19;
        // ASCII only, so that byte positions are character bounds.
        if !text.is_ascii()
            || bytes.len() < 20
            || bytes[4] != b'-'
            || bytes[7] != b'-'
            || !matches!(bytes[10], b'T' | b't' | b' ')
            || bytes[13] != b':'
            || bytes[16] != b':'
        {
            return Err(TimestampError::Malformed);
        }
        let field = |range: core::ops::Range<usize>| {
            parse_digits(&text[range]).ok_or(TimestampError::Malformed)
        };
        let (year, month, day) = (field(0..4)?, field(5..7)?, field(8..10)?);
        let (hour, minute, second) = (field(11..13)?, field(14..16)?, field(17..19)?);
        let offset: UtcOffset = text[19..].parse().map_err(TimestampError::Offset)?;
        // Every field has at most four digits, so these casts cannot truncate.
        let date =
            Date::new(year as i64, month as u8, day as u8).map_err(TimestampError::OutOfRange)?;
        LocalTime::new(date, hour as u8, minute as u8, second as u8, offset)
            .map_err(TimestampError::OutOfRange)
    }
}

/// A [`LocalTime`] printed as an RFC 3339 timestamp; see
/// [`LocalTime::rfc3339`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rfc3339 {
    local: LocalTime,
}

impl fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let local = &self.local;
        write!(
            f,
            "{}T{:02}:{:02}:{:02}",
            local.date, local.hour, local.minute, local.second
        )?;
        if local.offset == UtcOffset::UTC {
            f.write_str("Z")
        } else {
            local.offset.fmt(f)
        }
    }
}

/// Why an RFC 3339 timestamp could not be parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimestampError {
    /// The text does not have the shape `YYYY-MM-DDTHH:MM:SS` plus offset.
    Malformed,
    /// A field has the right shape but names no date or time of day.
    OutOfRange(CivilError),
    /// The offset after the time is malformed or out of range.
    Offset(OffsetError),
    /// The timestamp names an instant before 1970-01-01T00:00:00Z, which a
    /// [`WallTime`] cannot hold.
    BeforeEpoch,
}

impl fmt::Display for TimestampError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimestampError::Malformed => f.write_str(
                "malformed timestamp: expected YYYY-MM-DDTHH:MM:SS followed by Z or +HH:MM",
            ),
            TimestampError::OutOfRange(error) => write!(f, "invalid timestamp: {error}"),
            TimestampError::Offset(error) => write!(f, "invalid timestamp: {error}"),
            TimestampError::BeforeEpoch => {
                f.write_str("timestamp before 1970-01-01T00:00:00Z, the start of the wall clock")
            }
        }
    }
}

impl core::error::Error for TimestampError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            TimestampError::OutOfRange(error) => Some(error),
            TimestampError::Offset(error) => Some(error),
            TimestampError::Malformed | TimestampError::BeforeEpoch => None,
        }
    }
}

/// The value of a non-empty run of at most four ASCII digits.
fn parse_digits(text: &str) -> Option<u32> {
    if text.is_empty() || text.len() > 4 {
        return None;
    }
    text.bytes().try_fold(0, |value, byte| {
        byte.is_ascii_digit()
            .then(|| value * 10 + u32::from(byte - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, FixedOffset, NaiveDate, Timelike};

    /// 2199-12-31T23:59:59Z, the end of the range the calendar must get right.
    const END_OF_2199: u64 = 7_258_118_399;

    fn offset(minutes: i16) -> UtcOffset {
        UtcOffset::from_minutes(minutes).unwrap()
    }

    fn wall(text: &str) -> WallTime {
        text.parse().unwrap()
    }

    /// A deterministic generator so the bulk comparison is reproducible.
    struct SplitMix(u64);

    impl SplitMix {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
    }

    #[test]
    fn test_every_day_1970_to_2199_matches_chrono() {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        let last = NaiveDate::from_ymd_opt(2199, 12, 31).unwrap();
        let mut expected = epoch;
        for days in 0..=(last - epoch).num_days() {
            let date = Date::from_days_since_epoch(days).unwrap();
            assert_eq!(
                (date.year(), date.month(), date.day()),
                (
                    i64::from(expected.year()),
                    expected.month() as u8,
                    expected.day() as u8
                ),
                "day {days}"
            );
            assert_eq!(
                u32::from(date.weekday().index()),
                expected.weekday().num_days_from_monday()
            );
            assert_eq!(date.days_since_epoch(), days);
            assert_eq!(Date::new(date.year(), date.month(), date.day()), Ok(date));
            let tomorrow = expected.succ_opt().unwrap();
            assert_eq!(date.is_last_day_of_month(), tomorrow.day() == 1);
            if date.is_last_day_of_month() {
                assert_eq!(date.days_in_month(), date.day());
            }
            expected = tomorrow;
        }
    }

    #[test]
    fn test_days_across_chrono_range_match_chrono() {
        // Beyond the range the kernel needs, sparsely: every 997th day from
        // year 0 to the end of chrono's range.
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        let first = (NaiveDate::from_ymd_opt(0, 1, 1).unwrap() - epoch).num_days();
        let last = (NaiveDate::MAX - epoch).num_days();
        for days in (first..=last).step_by(997) {
            let expected = epoch + chrono::TimeDelta::days(days);
            let date = Date::from_days_since_epoch(days).unwrap();
            assert_eq!(date.year(), i64::from(expected.year()), "day {days}");
            assert_eq!(u32::from(date.month()), expected.month());
            assert_eq!(u32::from(date.day()), expected.day());
            assert_eq!(
                u32::from(date.weekday().index()),
                expected.weekday().num_days_from_monday()
            );
            assert_eq!(date.days_since_epoch(), days);
        }
    }

    #[test]
    fn test_random_instants_with_random_offsets_match_chrono() {
        let mut random = SplitMix(0x5EED_2026);
        for _ in 0..200_000 {
            let secs = random.next() % (END_OF_2199 + 1);
            let minutes = (random.next() % 1_561) as i16 - 720;
            let local = WallTime::from_unix_secs(secs).to_local(offset(minutes));
            let expected = chrono::DateTime::from_timestamp(secs as i64, 0)
                .unwrap()
                .with_timezone(&FixedOffset::east_opt(i32::from(minutes) * 60).unwrap());
            assert_eq!(local.year(), i64::from(expected.year()), "{secs} {minutes}");
            assert_eq!(u32::from(local.month()), expected.month());
            assert_eq!(u32::from(local.day()), expected.day());
            assert_eq!(u32::from(local.hour()), expected.hour());
            assert_eq!(u32::from(local.minute()), expected.minute());
            assert_eq!(u32::from(local.second()), expected.second());
            assert_eq!(
                u32::from(local.weekday().index()),
                expected.weekday().num_days_from_monday()
            );
            assert_eq!(local.to_wall(), Some(WallTime::from_unix_secs(secs)));
            let second_of_week = u32::from(local.minute_of_week()) * 60 + u32::from(local.second());
            assert_eq!(
                WallTime::from_unix_secs(secs).local_second_of_week(local.offset()),
                second_of_week
            );
            let text = std::format!("{}", local.rfc3339());
            assert_eq!(text.parse::<LocalTime>(), Ok(local));
            assert_eq!(text.parse::<WallTime>(), Ok(WallTime::from_unix_secs(secs)));
        }
    }

    #[test]
    fn test_far_future_instant_converts_both_ways() {
        for minutes in [-720, 0, 840] {
            let local = WallTime::MAX.to_local(offset(minutes));
            assert!(local.year() <= Date::MAX_YEAR);
            assert_eq!(local.to_wall(), Some(WallTime::MAX));
        }
        assert_eq!(Date::from_days_since_epoch(Date::MAX_DAYS + 1), None);
        assert_eq!(Date::from_days_since_epoch(Date::MIN_DAYS - 1), None);
        assert_eq!(Date::from_days_since_epoch(i64::MIN), None);
        assert_eq!(
            Date::from_days_since_epoch(Date::MIN_DAYS),
            Date::new(0, 1, 1).ok()
        );
        assert_eq!(
            Date::from_days_since_epoch(Date::MAX_DAYS),
            Date::new(Date::MAX_YEAR, 12, 31).ok()
        );
        let after_max = LocalTime::new(
            Date::new(Date::MAX_YEAR, 12, 31).unwrap(),
            0,
            0,
            0,
            UtcOffset::UTC,
        )
        .unwrap();
        assert_eq!(after_max.to_wall(), None);
    }

    #[test]
    fn test_epoch_with_western_offset_is_previous_day() {
        let local = WallTime::UNIX_EPOCH.to_local(offset(-300));
        assert_eq!(local.to_string(), "Wed 1969-12-31 19:00 -05:00");
        assert_eq!(local.to_wall(), Some(WallTime::UNIX_EPOCH));
        let before = LocalTime::new(local.date(), 18, 59, 59, offset(-300)).unwrap();
        assert_eq!(before.to_wall(), None);
        assert_eq!(
            "1969-12-31T18:59:59-05:00".parse::<WallTime>(),
            Err(TimestampError::BeforeEpoch)
        );
    }

    #[test]
    fn test_event_log_form_prints_weekday_date_minute_offset() {
        let local = wall("2026-11-28T21:30:59Z").to_local(offset(60));
        assert_eq!(local.to_string(), "Sat 2026-11-28 22:30 +01:00");
        assert_eq!(local.rfc3339().to_string(), "2026-11-28T22:30:59+01:00");
        assert_eq!(local.minute_of_day(), 22 * 60 + 30);
        assert_eq!(local.minute_of_week(), 5 * 1_440 + 22 * 60 + 30);
    }

    #[test]
    fn test_timestamp_with_offset_parses_to_utc() {
        assert_eq!(
            wall("2026-11-28T22:45:00+01:00"),
            wall("2026-11-28T21:45:00Z")
        );
        assert_eq!(
            wall("2026-11-28t21:45:00z"),
            wall("2026-11-28 21:45:00+0000")
        );
        assert_eq!(
            wall("2026-11-28T21:45:00Z").to_string(),
            "2026-11-28T21:45:00Z"
        );
        assert_eq!(wall("1970-01-01T00:00:00Z"), WallTime::UNIX_EPOCH);
    }

    #[test]
    fn test_timestamp_malformed_is_rejected() {
        for text in [
            "",
            "2026-11-28",
            "2026-11-28T22:45Z",
            "2026-11-28T22:45:00",
            "2026/11/28T22:45:00Z",
            "2026-11-28T22:45:00.5Z",
            "20a6-11-28T22:45:00Z",
            "2026-11-28X22:45:00Z",
            "2026-11-28T22:45:0éZ",
        ] {
            assert!(text.parse::<WallTime>().is_err(), "{text}");
        }
        assert_eq!(
            "2026-11-28T22:45:00".parse::<WallTime>(),
            Err(TimestampError::Malformed)
        );
    }

    #[test]
    fn test_timestamp_out_of_range_fields_are_named() {
        let cases = [
            ("2026-13-01T00:00:00Z", CivilError::MonthOutOfRange),
            ("2026-00-01T00:00:00Z", CivilError::MonthOutOfRange),
            ("2026-02-29T00:00:00Z", CivilError::DayOutOfRange),
            ("2026-04-31T00:00:00Z", CivilError::DayOutOfRange),
            ("2026-04-30T24:00:00Z", CivilError::HourOutOfRange),
            ("2026-04-30T23:60:00Z", CivilError::MinuteOutOfRange),
            ("2026-04-30T23:59:60Z", CivilError::SecondOutOfRange),
        ];
        for (text, error) in cases {
            assert_eq!(
                text.parse::<WallTime>(),
                Err(TimestampError::OutOfRange(error)),
                "{text}"
            );
        }
        assert!("2028-02-29T00:00:00Z".parse::<WallTime>().is_ok());
        assert_eq!(
            "2026-04-30T23:00:00+15:00".parse::<WallTime>(),
            Err(TimestampError::Offset(OffsetError::OutOfRange))
        );
        assert_eq!(
            "2026-04-30T23:00:00+1:00".parse::<WallTime>(),
            Err(TimestampError::Offset(OffsetError::Malformed))
        );
    }

    #[test]
    fn test_offset_text_forms_parse_and_print() {
        assert_eq!("Z".parse(), Ok(UtcOffset::UTC));
        assert_eq!("+02:00".parse(), Ok(offset(120)));
        assert_eq!("-05:30".parse(), Ok(offset(-330)));
        assert_eq!("+0200".parse(), Ok(offset(120)));
        assert_eq!("+14".parse(), Ok(UtcOffset::MAX));
        assert_eq!("-12:00".parse(), Ok(UtcOffset::MIN));
        assert_eq!(offset(-330).to_string(), "-05:30");
        assert_eq!(offset(345).to_string(), "+05:45");
        assert_eq!(UtcOffset::UTC.to_string(), "+00:00");
        for minutes in -720..=840 {
            let value = offset(minutes);
            assert_eq!(value.to_string().parse(), Ok(value));
        }
    }

    #[test]
    fn test_offset_out_of_range_or_malformed_is_rejected() {
        assert_eq!(UtcOffset::from_minutes(841), Err(OffsetError::OutOfRange));
        assert_eq!(UtcOffset::from_minutes(-721), Err(OffsetError::OutOfRange));
        assert_eq!("+14:01".parse::<UtcOffset>(), Err(OffsetError::OutOfRange));
        assert_eq!("-99:59".parse::<UtcOffset>(), Err(OffsetError::OutOfRange));
        for text in [
            "", "+", "02:00", "+2:00", "+02:60", "+02-00", "+020", "UTC", "+٠٢:00",
        ] {
            assert_eq!(
                text.parse::<UtcOffset>(),
                Err(OffsetError::Malformed),
                "{text}"
            );
        }
    }

    #[test]
    fn test_weekday_names_parse_in_any_case() {
        assert_eq!("mon".parse(), Ok(Weekday::Monday));
        assert_eq!("SUNDAY".parse(), Ok(Weekday::Sunday));
        assert_eq!("Thu".parse(), Ok(Weekday::Thursday));
        assert_eq!("Mo".parse::<Weekday>(), Err(WeekdayError::Unknown));
        for day in Weekday::ALL {
            assert_eq!(Weekday::from_index(day.index()), Some(day));
            assert_eq!(day.to_string().parse(), Ok(day));
            assert_eq!(day.name().parse(), Ok(day));
        }
        assert_eq!(Weekday::from_index(7), None);
        assert_eq!(Weekday::Sunday.next(), Weekday::Monday);
    }

    #[test]
    fn test_date_invalid_fields_are_rejected() {
        assert_eq!(Date::new(-1, 1, 1), Err(CivilError::YearOutOfRange));
        assert_eq!(Date::new(2026, 13, 1), Err(CivilError::MonthOutOfRange));
        assert_eq!(Date::new(2100, 2, 29), Err(CivilError::DayOutOfRange));
        assert_eq!(Date::new(2026, 1, 0), Err(CivilError::DayOutOfRange));
        assert!(Date::new(2000, 2, 29).is_ok());
        let date = Date::new(2026, 1, 1).unwrap();
        assert_eq!(
            LocalTime::new(date, 24, 0, 0, UtcOffset::UTC),
            Err(CivilError::HourOutOfRange)
        );
        assert_eq!(
            LocalTime::new(date, 0, 60, 0, UtcOffset::UTC),
            Err(CivilError::MinuteOutOfRange)
        );
        assert_eq!(
            LocalTime::new(date, 0, 0, 60, UtcOffset::UTC),
            Err(CivilError::SecondOutOfRange)
        );
    }

    #[test]
    fn test_wall_time_arithmetic_checks_overflow() {
        let start = wall("2026-11-28T22:45:00Z");
        let later = start.checked_add(Duration::from_millis(90_999)).unwrap();
        assert_eq!(later.as_unix_secs(), start.as_unix_secs() + 90);
        assert_eq!(
            later.checked_duration_since(start),
            Some(Duration::from_secs(90))
        );
        assert_eq!(start.checked_duration_since(later), None);
        assert_eq!(start.saturating_duration_since(later), Duration::ZERO);
        assert_eq!(WallTime::MAX.checked_add(Duration::from_secs(1)), None);
        assert_eq!(
            WallTime::MAX.saturating_add(Duration::from_secs(1)),
            WallTime::MAX
        );
        assert_eq!(
            WallTime::UNIX_EPOCH.checked_sub(Duration::from_secs(1)),
            None
        );
        assert_eq!(
            WallTime::UNIX_EPOCH.saturating_sub(Duration::from_secs(1)),
            WallTime::UNIX_EPOCH
        );
        assert_eq!(later.checked_sub(Duration::from_secs(90)), Some(start));
    }

    #[test]
    fn test_errors_display_what_was_wrong() {
        assert!(OffsetError::OutOfRange.to_string().contains("-12:00"));
        assert!(TimestampError::OutOfRange(CivilError::DayOutOfRange)
            .to_string()
            .contains("day"));
        assert!(TimestampError::Malformed.to_string().contains("YYYY-MM-DD"));
        assert!(WeekdayError::Unknown.to_string().contains("Mon"));
    }
}
