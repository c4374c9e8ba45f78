//! Monotonic time: [`Instant`] and [`Duration`] in milliseconds since boot.
//!
//! Deadlines, backoff and approval timeouts use this clock, never the wall
//! clock, so a wall-clock jump (an RTC correction, a daylight-saving change
//! made by hand) can never make a retry fire early or a deadline vanish.

use core::fmt;
use core::ops::{Add, AddAssign, Sub};
use core::str::FromStr;

/// A span of monotonic time, in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration {
    millis: u64,
}

impl Duration {
    /// The empty duration.
    pub const ZERO: Duration = Duration { millis: 0 };
    /// The longest representable duration.
    pub const MAX: Duration = Duration { millis: u64::MAX };

    /// A duration of `millis` milliseconds.
    #[inline]
    pub const fn from_millis(millis: u64) -> Duration {
        Duration { millis }
    }

    /// A duration of `secs` seconds, saturating at [`Duration::MAX`].
    #[inline]
    pub const fn from_secs(secs: u64) -> Duration {
        Duration {
            millis: secs.saturating_mul(1_000),
        }
    }

    /// A duration of `minutes` minutes, saturating at [`Duration::MAX`].
    #[inline]
    pub const fn from_minutes(minutes: u64) -> Duration {
        Duration {
            millis: minutes.saturating_mul(60_000),
        }
    }

    /// A duration of `hours` hours, saturating at [`Duration::MAX`].
    #[inline]
    pub const fn from_hours(hours: u64) -> Duration {
        Duration {
            millis: hours.saturating_mul(3_600_000),
        }
    }

    /// A duration of `days` days, saturating at [`Duration::MAX`].
    #[inline]
    pub const fn from_days(days: u64) -> Duration {
        Duration {
            millis: days.saturating_mul(86_400_000),
        }
    }

    /// Whole milliseconds.
    #[inline]
    pub const fn as_millis(self) -> u64 {
        self.millis
    }

    /// Whole seconds, rounded down.
    #[inline]
    pub const fn as_secs(self) -> u64 {
        self.millis / 1_000
    }

    /// Whole minutes, rounded down.
    #[inline]
    pub const fn as_minutes(self) -> u64 {
        self.millis / 60_000
    }

    /// `self + other`, or `None` on overflow.
    #[inline]
    pub const fn checked_add(self, other: Duration) -> Option<Duration> {
        match self.millis.checked_add(other.millis) {
            Some(millis) => Some(Duration { millis }),
            None => None,
        }
    }

    /// `self - other`, or `None` if `other` is longer.
    #[inline]
    pub const fn checked_sub(self, other: Duration) -> Option<Duration> {
        match self.millis.checked_sub(other.millis) {
            Some(millis) => Some(Duration { millis }),
            None => None,
        }
    }

    /// `self + other`, clamped to [`Duration::MAX`].
    #[inline]
    pub const fn saturating_add(self, other: Duration) -> Duration {
        Duration {
            millis: self.millis.saturating_add(other.millis),
        }
    }

    /// `self - other`, clamped to [`Duration::ZERO`].
    #[inline]
    pub const fn saturating_sub(self, other: Duration) -> Duration {
        Duration {
            millis: self.millis.saturating_sub(other.millis),
        }
    }

    /// `self * factor`, clamped to [`Duration::MAX`].
    #[inline]
    pub const fn saturating_mul(self, factor: u64) -> Duration {
        Duration {
            millis: self.millis.saturating_mul(factor),
        }
    }
}

/// Prints the largest exact unit: `90m`, `2h`, `1500ms`, `3d`.
impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.millis;
        if ms == 0 {
            return f.write_str("0s");
        }
        const UNITS: [(u64, &str); 4] = [
            (86_400_000, "d"),
            (3_600_000, "h"),
            (60_000, "m"),
            (1_000, "s"),
        ];
        for (size, suffix) in UNITS {
            if ms.is_multiple_of(size) {
                return write!(f, "{}{}", ms / size, suffix);
            }
        }
        write!(f, "{ms}ms")
    }
}

/// Why a duration's text was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DurationError {
    /// The text is empty.
    Empty,
    /// A part does not start with a number, e.g. `h2`.
    MissingNumber,
    /// A number has no unit after it, e.g. `90`.
    MissingUnit,
    /// A unit other than `ms`, `s`, `m`, `h` or `d`.
    UnknownUnit,
    /// Larger than [`Duration::MAX`].
    TooLarge,
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DurationError::Empty => "empty duration",
            DurationError::MissingNumber => "expected a number, as in 90m or 2h30m",
            DurationError::MissingUnit => "a number needs a unit: ms, s, m, h or d",
            DurationError::UnknownUnit => "unknown unit: use ms, s, m, h or d",
            DurationError::TooLarge => "duration too large",
        })
    }
}

impl core::error::Error for DurationError {}

/// Parses one or more `<number><unit>` parts, summed: `90m`, `2h30m`,
/// `1d`, `45s`, `250ms`. Every form [`Duration`]'s `Display` prints parses
/// back to the same value.
impl FromStr for Duration {
    type Err = DurationError;

    fn from_str(text: &str) -> Result<Duration, DurationError> {
        if text.is_empty() {
            return Err(DurationError::Empty);
        }
        let mut rest = text.as_bytes();
        let mut total = Duration::ZERO;
        while !rest.is_empty() {
            let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
            if digits == 0 {
                return Err(DurationError::MissingNumber);
            }
            let mut number: u64 = 0;
            for &digit in &rest[..digits] {
                number = number
                    .checked_mul(10)
                    .and_then(|n| n.checked_add(u64::from(digit - b'0')))
                    .ok_or(DurationError::TooLarge)?;
            }
            rest = &rest[digits..];
            let unit_len = rest.iter().take_while(|b| b.is_ascii_alphabetic()).count();
            let unit_ms: u64 = match &rest[..unit_len] {
                b"" => return Err(DurationError::MissingUnit),
                b"ms" => 1,
                b"s" => 1_000,
                b"m" => 60_000,
                b"h" => 3_600_000,
                b"d" => 86_400_000,
                _ => return Err(DurationError::UnknownUnit),
            };
            rest = &rest[unit_len..];
            let part = number.checked_mul(unit_ms).ok_or(DurationError::TooLarge)?;
            total = total
                .checked_add(Duration::from_millis(part))
                .ok_or(DurationError::TooLarge)?;
        }
        Ok(total)
    }
}

impl Add for Duration {
    type Output = Duration;
    /// # Panics
    /// On overflow; see [`Duration::checked_add`] and [`Duration::saturating_add`].
    fn add(self, other: Duration) -> Duration {
        self.checked_add(other).expect("Duration overflow")
    }
}

/// A point on the monotonic clock, in milliseconds since boot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant {
    millis: u64,
}

impl Instant {
    /// The moment of boot.
    pub const ZERO: Instant = Instant { millis: 0 };
    /// The end of monotonic time; used for "never".
    pub const MAX: Instant = Instant { millis: u64::MAX };

    /// The instant `millis` milliseconds after boot.
    #[inline]
    pub const fn from_millis(millis: u64) -> Instant {
        Instant { millis }
    }

    /// The instant `secs` seconds after boot, saturating at [`Instant::MAX`].
    #[inline]
    pub const fn from_secs(secs: u64) -> Instant {
        Instant {
            millis: secs.saturating_mul(1_000),
        }
    }

    /// Milliseconds since boot.
    #[inline]
    pub const fn as_millis(self) -> u64 {
        self.millis
    }

    /// Time elapsed since boot.
    #[inline]
    pub const fn since_boot(self) -> Duration {
        Duration::from_millis(self.millis)
    }

    /// `self + d`, or `None` on overflow.
    #[inline]
    pub const fn checked_add(self, d: Duration) -> Option<Instant> {
        match self.millis.checked_add(d.as_millis()) {
            Some(millis) => Some(Instant { millis }),
            None => None,
        }
    }

    /// `self - d`, or `None` before boot.
    #[inline]
    pub const fn checked_sub(self, d: Duration) -> Option<Instant> {
        match self.millis.checked_sub(d.as_millis()) {
            Some(millis) => Some(Instant { millis }),
            None => None,
        }
    }

    /// `self + d`, clamped to [`Instant::MAX`].
    #[inline]
    pub const fn saturating_add(self, d: Duration) -> Instant {
        Instant {
            millis: self.millis.saturating_add(d.as_millis()),
        }
    }

    /// `self - d`, clamped to [`Instant::ZERO`].
    #[inline]
    pub const fn saturating_sub(self, d: Duration) -> Instant {
        Instant {
            millis: self.millis.saturating_sub(d.as_millis()),
        }
    }

    /// Time from `earlier` to `self`, or zero if `earlier` is later.
    #[inline]
    pub const fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration::from_millis(self.millis.saturating_sub(earlier.millis))
    }

    /// Time from `earlier` to `self`, or `None` if `earlier` is later.
    #[inline]
    pub const fn checked_duration_since(self, earlier: Instant) -> Option<Duration> {
        match self.millis.checked_sub(earlier.millis) {
            Some(ms) => Some(Duration::from_millis(ms)),
            None => None,
        }
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    /// # Panics
    /// On overflow; see [`Instant::checked_add`] and [`Instant::saturating_add`].
    fn add(self, d: Duration) -> Instant {
        self.checked_add(d).expect("Instant overflow")
    }
}

impl AddAssign<Duration> for Instant {
    /// # Panics
    /// On overflow; see [`Instant::checked_add`].
    fn add_assign(&mut self, d: Duration) {
        *self = *self + d;
    }
}

impl Sub for Instant {
    type Output = Duration;
    /// # Panics
    /// If `earlier` is later than `self`; see [`Instant::checked_duration_since`].
    fn sub(self, earlier: Instant) -> Duration {
        self.checked_duration_since(earlier)
            .expect("Instant subtraction went before the earlier instant")
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "T+{}", Duration::from_millis(self.millis))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_duration_display_picks_largest_exact_unit() {
        assert_eq!(Duration::from_minutes(90).to_string(), "90m");
        assert_eq!(Duration::from_hours(2).to_string(), "2h");
        assert_eq!(Duration::from_days(3).to_string(), "3d");
        assert_eq!(Duration::from_millis(1_500).to_string(), "1500ms");
        assert_eq!(Duration::ZERO.to_string(), "0s");
    }

    #[test]
    fn test_instant_arithmetic_saturates_and_checks() {
        let t = Instant::from_secs(10);
        assert_eq!(t.checked_sub(Duration::from_secs(11)), None);
        assert_eq!(t.saturating_sub(Duration::from_secs(11)), Instant::ZERO);
        assert_eq!(Instant::MAX.checked_add(Duration::from_millis(1)), None);
        assert_eq!(
            Instant::MAX.saturating_add(Duration::from_days(1)),
            Instant::MAX
        );
        assert_eq!(t + Duration::from_secs(5) - t, Duration::from_secs(5));
        assert_eq!(
            t.saturating_duration_since(Instant::from_secs(20)),
            Duration::ZERO
        );
    }

    #[test]
    fn test_duration_constructors_saturate() {
        assert_eq!(Duration::from_days(u64::MAX), Duration::MAX);
        assert_eq!(Duration::from_hours(1), Duration::from_minutes(60));
    }

    #[test]
    fn test_duration_text_round_trip() {
        for ms in [
            1,
            999,
            1_000,
            60_000,
            90 * 60_000,
            3_600_000,
            86_400_000,
            3 * 86_400_000 + 1,
        ] {
            let duration = Duration::from_millis(ms);
            let text = duration.to_string();
            assert_eq!(text.parse::<Duration>(), Ok(duration), "{text}");
        }
    }

    #[test]
    fn test_duration_text_sums_parts() {
        assert_eq!("2h30m".parse(), Ok(Duration::from_secs(9_000)));
        assert_eq!("1d1s".parse(), Ok(Duration::from_secs(86_401)));
        assert_eq!("250ms".parse(), Ok(Duration::from_millis(250)));
    }

    #[test]
    fn test_duration_text_errors() {
        assert_eq!("".parse::<Duration>(), Err(DurationError::Empty));
        assert_eq!("90".parse::<Duration>(), Err(DurationError::MissingUnit));
        assert_eq!("h2".parse::<Duration>(), Err(DurationError::MissingNumber));
        assert_eq!("2w".parse::<Duration>(), Err(DurationError::UnknownUnit));
        assert_eq!("2 h".parse::<Duration>(), Err(DurationError::MissingUnit));
        assert_eq!(
            "99999999999999999999s".parse::<Duration>(),
            Err(DurationError::TooLarge)
        );
        assert_eq!(
            "18446744073709551615d".parse::<Duration>(),
            Err(DurationError::TooLarge)
        );
    }
}
