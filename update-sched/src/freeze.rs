//! Freeze periods and pauses: spans of local dates in which updates are
//! held.
//!
//! A freeze period is configured ahead (a holiday season, a release
//! week); it holds every update below Critical, and a Security update
//! goes ahead only at its deadline. A pause is asked for on the spot and
//! holds every update below Security until a date. The limits are the
//! ones admins know from the big platforms: a freeze lasts at most
//! [`MAX_FREEZE_DAYS`] and two are at least [`MIN_FREEZE_GAP_DAYS`] apart
//! (Android's system update freeze periods), and a pause lasts at most
//! [`MAX_PAUSE_DAYS`] (Windows Update's pause).

use core::fmt;
use core::str::FromStr;

use heapless::Vec;

use crate::civil::{Date, LocalTime, UtcOffset, WallTime};

/// Longest freeze period, days (Android's limit).
pub const MAX_FREEZE_DAYS: u32 = 90;
/// Fewest days between the end of one freeze period and the start of the
/// next (Android's limit): an update freeze never becomes permanent.
pub const MIN_FREEZE_GAP_DAYS: u32 = 60;
/// Most freeze periods a configuration holds: with the gap between them,
/// more than a year's worth.
pub const MAX_FREEZES: usize = 4;
/// Longest pause, days from the moment it is asked for (Windows Update's
/// limit).
pub const MAX_PAUSE_DAYS: u64 = 35;

/// The first instant of local date `date` on a clock set to `offset`.
pub fn start_of(date: Date, offset: UtcOffset) -> Option<WallTime> {
    LocalTime::new(date, 0, 0, 0, offset).ok()?.to_wall()
}

/// Reads `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Option<Date> {
    let mut parts = text.trim().splitn(3, '-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return None;
    }
    let digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
    if !(digits(year) && digits(month) && digits(day)) {
        return None;
    }
    Date::new(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?).ok()
}

/// A span of local dates, both ends included, in which updates below
/// Critical are held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FreezePeriod {
    first: Date,
    last: Date,
}

impl FreezePeriod {
    /// The dates `first..=last`, at most [`MAX_FREEZE_DAYS`] of them.
    pub fn new(first: Date, last: Date) -> Result<FreezePeriod, FreezeError> {
        FreezePeriod { first, last }.check(1)
    }

    /// Itself if it is well formed; errors name it as period `position`.
    fn check(self, position: u8) -> Result<FreezePeriod, FreezeError> {
        if self.last.days_since_epoch() < self.first.days_since_epoch() {
            return Err(FreezeError::EndsBeforeStart { position });
        }
        let days = self.days();
        if days > MAX_FREEZE_DAYS {
            return Err(FreezeError::TooLong { position, days });
        }
        Ok(self)
    }

    /// The first frozen date.
    pub const fn first(&self) -> Date {
        self.first
    }

    /// The last frozen date.
    pub const fn last(&self) -> Date {
        self.last
    }

    /// How many dates it freezes.
    pub fn days(&self) -> u32 {
        let days = self.last.days_since_epoch() - self.first.days_since_epoch() + 1;
        u32::try_from(days).unwrap_or(u32::MAX)
    }

    /// Whether `date` is frozen.
    pub fn contains(&self, date: Date) -> bool {
        (self.first.days_since_epoch()..=self.last.days_since_epoch())
            .contains(&date.days_since_epoch())
    }

    /// The instant the freeze ends: the start of the day after its last,
    /// on a clock set to `offset`.
    pub fn end(&self, offset: UtcOffset) -> Option<WallTime> {
        let next = Date::from_days_since_epoch(self.last.days_since_epoch() + 1)?;
        start_of(next, offset)
    }
}

/// `2026-12-20..2027-01-03`.
impl fmt::Display for FreezePeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.first, self.last)
    }
}

impl FromStr for FreezePeriod {
    type Err = FreezeError;

    fn from_str(text: &str) -> Result<FreezePeriod, FreezeError> {
        let (first, last) = text.split_once("..").ok_or(FreezeError::BadText)?;
        let first = parse_date(first).ok_or(FreezeError::BadText)?;
        let last = parse_date(last).ok_or(FreezeError::BadText)?;
        FreezePeriod::new(first, last)
    }
}

/// The freeze periods of a configuration, in date order, each at least
/// [`MIN_FREEZE_GAP_DAYS`] after the one before.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Freezes {
    periods: Vec<FreezePeriod, MAX_FREEZES>,
}

impl Freezes {
    /// No freeze period.
    pub const fn new() -> Freezes {
        Freezes {
            periods: Vec::new(),
        }
    }

    /// The periods, in the order given.
    pub fn periods(&self) -> &[FreezePeriod] {
        &self.periods
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.periods.is_empty()
    }

    /// Adds a period after the others; [`Freezes::validate`] checks the
    /// order and the gaps.
    pub fn push(&mut self, period: FreezePeriod) -> Result<(), FreezeError> {
        self.periods.push(period).map_err(|_| FreezeError::TooMany)
    }

    /// Checks each period's length, their order and the gaps between
    /// them.
    pub fn validate(&self) -> Result<(), FreezeError> {
        // At most MAX_FREEZES, so a position fits in a u8.
        for (position, period) in (1..).zip(&self.periods) {
            period.check(position)?;
        }
        for (position, pair) in (2..).zip(self.periods.windows(2)) {
            let gap = pair[1].first.days_since_epoch() - pair[0].last.days_since_epoch() - 1;
            if gap < i64::from(MIN_FREEZE_GAP_DAYS) {
                return Err(FreezeError::TooClose { position });
            }
        }
        Ok(())
    }

    /// The period that freezes `date`, if any.
    pub fn holding(&self, date: Date) -> Option<&FreezePeriod> {
        self.periods.iter().find(|period| period.contains(date))
    }
}

/// `2026-12-20..2027-01-03, 2027-06-01..2027-06-14`, or `none`.
impl fmt::Display for Freezes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.periods.is_empty() {
            return f.write_str("none");
        }
        for (index, period) in self.periods.iter().enumerate() {
            if index > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{period}")?;
        }
        Ok(())
    }
}

impl FromStr for Freezes {
    type Err = FreezeError;

    fn from_str(text: &str) -> Result<Freezes, FreezeError> {
        let mut freezes = Freezes::new();
        if text.trim().eq_ignore_ascii_case("none") || text.trim().is_empty() {
            return Ok(freezes);
        }
        for part in text.split(',') {
            freezes.push(part.trim().parse()?)?;
        }
        freezes.validate()?;
        Ok(freezes)
    }
}

/// Why freeze periods are refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FreezeError {
    /// Not `YYYY-MM-DD..YYYY-MM-DD`.
    BadText,
    /// A period's last date is before its first.
    EndsBeforeStart {
        /// Which period, from 1.
        position: u8,
    },
    /// A period lasts more than [`MAX_FREEZE_DAYS`].
    TooLong {
        /// Which period, from 1.
        position: u8,
        /// How many days it lasts.
        days: u32,
    },
    /// A period starts less than [`MIN_FREEZE_GAP_DAYS`] after the one
    /// before it ends (or before it).
    TooClose {
        /// Which period, from 2.
        position: u8,
    },
    /// More than [`MAX_FREEZES`] periods.
    TooMany,
}

impl fmt::Display for FreezeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FreezeError::BadText => {
                f.write_str("a freeze period is written FIRST..LAST, e.g. 2026-12-20..2027-01-03")
            }
            FreezeError::EndsBeforeStart { position } => {
                write!(f, "freeze period {position} ends before it starts")
            }
            FreezeError::TooLong { position, days } => write!(
                f,
                "freeze period {position} lasts {days} days; at most {MAX_FREEZE_DAYS}"
            ),
            FreezeError::TooClose { position } => write!(
                f,
                "freeze period {position} must start at least {MIN_FREEZE_GAP_DAYS} days \
                 after the one before it ends"
            ),
            FreezeError::TooMany => write!(f, "at most {MAX_FREEZES} freeze periods"),
        }
    }
}

impl core::error::Error for FreezeError {}

/// Why a pause is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PauseError {
    /// The date has begun already: a pause must end in the future.
    NotInFuture,
    /// It would end more than [`MAX_PAUSE_DAYS`] from now.
    TooLong,
}

impl fmt::Display for PauseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PauseError::NotInFuture => f.write_str("a pause must end on a later date"),
            PauseError::TooLong => write!(
                f,
                "a pause lasts at most {MAX_PAUSE_DAYS} days from now; pick an earlier date"
            ),
        }
    }
}

impl core::error::Error for PauseError {}

/// The end of a pause asked for at `wall` to last until `date` begins on a
/// clock set to `offset`.
pub fn pause_end(date: Date, wall: WallTime, offset: UtcOffset) -> Result<WallTime, PauseError> {
    let end = start_of(date, offset).ok_or(PauseError::TooLong)?;
    if end <= wall {
        return Err(PauseError::NotInFuture);
    }
    if end.saturating_duration_since(wall).as_secs() > MAX_PAUSE_DAYS * 86_400 {
        return Err(PauseError::TooLong);
    }
    Ok(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        parse_date(text).expect("date")
    }

    #[test]
    fn test_freeze_period_text_and_limits() {
        let period: FreezePeriod = "2026-12-20..2027-01-03".parse().unwrap();
        assert_eq!(period.days(), 15);
        assert_eq!(period.to_string(), "2026-12-20..2027-01-03");
        assert!(period.contains(date("2026-12-20")));
        assert!(period.contains(date("2027-01-03")));
        assert!(!period.contains(date("2027-01-04")));
        assert!(!period.contains(date("2026-12-19")));
        assert_eq!(
            period.end(UtcOffset::UTC),
            Some("2027-01-04T00:00:00Z".parse().unwrap())
        );
        // 90 days is the most: 2027-01-01 + 89 days = 2027-03-31.
        assert!("2027-01-01..2027-03-31".parse::<FreezePeriod>().is_ok());
        let long = "2027-01-01..2027-04-01".parse::<FreezePeriod>();
        assert_eq!(
            long,
            Err(FreezeError::TooLong {
                position: 1,
                days: 91
            })
        );
        assert_eq!(
            long.unwrap_err().to_string(),
            "freeze period 1 lasts 91 days; at most 90"
        );
        assert_eq!(
            "2027-01-02..2027-01-01".parse::<FreezePeriod>(),
            Err(FreezeError::EndsBeforeStart { position: 1 })
        );
        for bad in [
            "2027-01-01",
            "2027-1-1..2027-01-02",
            "2027-02-30..2027-03-01",
        ] {
            assert_eq!(
                bad.parse::<FreezePeriod>(),
                Err(FreezeError::BadText),
                "{bad}"
            );
        }
    }

    #[test]
    fn test_freezes_gap_at_least_sixty_days() {
        // 2027-01-03 to 2027-03-05: 60 days between (Jan 4 ..= Mar 4).
        let ok: Freezes = "2026-12-20..2027-01-03, 2027-03-05..2027-03-10"
            .parse()
            .unwrap();
        assert_eq!(ok.periods().len(), 2);
        assert_eq!(
            ok.to_string(),
            "2026-12-20..2027-01-03, 2027-03-05..2027-03-10"
        );
        assert!(ok.holding(date("2027-03-07")).is_some());
        assert!(ok.holding(date("2027-02-01")).is_none());
        let close = "2026-12-20..2027-01-03, 2027-03-04..2027-03-10".parse::<Freezes>();
        assert_eq!(close, Err(FreezeError::TooClose { position: 2 }));
        assert_eq!(
            close.unwrap_err().to_string(),
            "freeze period 2 must start at least 60 days after the one before it ends"
        );
        let backwards = "2027-06-01..2027-06-02, 2026-12-20..2027-01-03".parse::<Freezes>();
        assert_eq!(backwards, Err(FreezeError::TooClose { position: 2 }));
        let mut long = Freezes::new();
        long.push(FreezePeriod {
            first: date("2027-01-01"),
            last: date("2027-06-01"),
        })
        .unwrap();
        assert!(matches!(
            long.validate(),
            Err(FreezeError::TooLong { position: 1, .. })
        ));
        assert_eq!("none".parse::<Freezes>(), Ok(Freezes::new()));
        assert_eq!(Freezes::new().to_string(), "none");
    }

    #[test]
    fn test_pause_at_most_thirty_five_days() {
        let wall: WallTime = "2026-11-28T10:00:00Z".parse().unwrap();
        // 2027-01-02 00:00 is 34 days 14 hours away; 2027-01-03 is over 35.
        assert_eq!(
            pause_end(date("2027-01-02"), wall, UtcOffset::UTC),
            Ok("2027-01-02T00:00:00Z".parse().unwrap())
        );
        assert_eq!(
            pause_end(date("2027-01-03"), wall, UtcOffset::UTC),
            Err(PauseError::TooLong)
        );
        assert_eq!(
            pause_end(date("2026-11-28"), wall, UtcOffset::UTC),
            Err(PauseError::NotInFuture)
        );
        assert!(pause_end(date("2026-11-29"), wall, UtcOffset::UTC).is_ok());
        assert!(PauseError::TooLong.to_string().contains("35 days"));
    }
}
