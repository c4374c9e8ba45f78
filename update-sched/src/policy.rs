//! Frequency and approval policies: how often non-urgent updates are
//! released, and which ones need a person's approval.

use core::fmt;
use core::str::FromStr;

use crate::civil::{Date, Weekday};
use crate::update::Priority;

/// The day of the month a monthly policy runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MonthDay {
    /// This day, 1..=28 (so that it exists in every month).
    Day(u8),
    /// The last day of each month.
    Last,
}

/// How often non-urgent updates are released into the maintenance windows.
///
/// Priority overrides the policy: Critical updates never wait for it, and
/// Security and Important updates run at their deadline whatever it says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FrequencyPolicy {
    /// Every window.
    Daily,
    /// Windows that open on this weekday.
    Weekly(Weekday),
    /// Windows that open on this day of the month.
    Monthly(MonthDay),
    /// Never by itself: an update is released only once a person approves
    /// it (or its deadline comes).
    Manual,
    /// Each update starts at the time the learned usage pattern predicts
    /// to be quietest over its estimated duration, before its deadline and
    /// inside the windows if there are any (without windows, anywhere);
    /// never while the machine is in use (by [`crate::config::Config::idle`])
    /// unless its deadline has come. What nothing has been learned of yet
    /// counts as busy, but for the night (see [`crate::pattern`]), so an
    /// empty pattern plans like [`FrequencyPolicy::Daily`] in the windows,
    /// or for 02:00-05:00 without them.
    Adaptive,
}

impl FrequencyPolicy {
    /// Whether a window that opened on local date `opened_on` releases
    /// updates under this policy ([`FrequencyPolicy::Manual`] never does).
    pub fn releases_on(&self, opened_on: Date) -> bool {
        match *self {
            FrequencyPolicy::Daily | FrequencyPolicy::Adaptive => true,
            FrequencyPolicy::Weekly(day) => opened_on.weekday() == day,
            FrequencyPolicy::Monthly(MonthDay::Day(day)) => opened_on.day() == day,
            FrequencyPolicy::Monthly(MonthDay::Last) => opened_on.is_last_day_of_month(),
            FrequencyPolicy::Manual => false,
        }
    }

    /// Whether the policy is well formed (a monthly day within 1..=28).
    pub fn is_valid(&self) -> bool {
        !matches!(self, FrequencyPolicy::Monthly(MonthDay::Day(day)) if !(1..=28).contains(day))
    }
}

/// `daily`, `weekly Sun`, `monthly 1`, `monthly last`, `manual`, `adaptive`.
impl fmt::Display for FrequencyPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrequencyPolicy::Daily => f.write_str("daily"),
            FrequencyPolicy::Weekly(day) => write!(f, "weekly {day}"),
            FrequencyPolicy::Monthly(MonthDay::Day(day)) => write!(f, "monthly {day}"),
            FrequencyPolicy::Monthly(MonthDay::Last) => f.write_str("monthly last"),
            FrequencyPolicy::Manual => f.write_str("manual"),
            FrequencyPolicy::Adaptive => f.write_str("adaptive"),
        }
    }
}

/// Why a frequency policy text did not parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FrequencyError {
    /// Not one of the policy names.
    UnknownPolicy,
    /// `weekly` needs a weekday.
    MissingWeekday,
    /// `monthly` needs a day 1..=28 or `last`.
    BadMonthDay,
}

impl fmt::Display for FrequencyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FrequencyError::UnknownPolicy => {
                "expected daily, weekly <day>, monthly <1..28|last>, manual or adaptive"
            }
            FrequencyError::MissingWeekday => "weekly needs a weekday, e.g. weekly Sun",
            FrequencyError::BadMonthDay => "monthly needs a day 1..28 or last, e.g. monthly 1",
        })
    }
}

impl core::error::Error for FrequencyError {}

impl FromStr for FrequencyPolicy {
    type Err = FrequencyError;

    fn from_str(text: &str) -> Result<FrequencyPolicy, FrequencyError> {
        let mut words = text.split_whitespace();
        let name = words.next().ok_or(FrequencyError::UnknownPolicy)?;
        let argument = words.next();
        if words.next().is_some() {
            return Err(FrequencyError::UnknownPolicy);
        }
        let lower = |expected: &str| name.eq_ignore_ascii_case(expected);
        let policy = if lower("weekly") {
            let day = argument
                .and_then(|day| day.parse().ok())
                .ok_or(FrequencyError::MissingWeekday)?;
            return Ok(FrequencyPolicy::Weekly(day));
        } else if lower("monthly") {
            let day = match argument {
                Some(day) if day.eq_ignore_ascii_case("last") => MonthDay::Last,
                Some(day) => match day.parse::<u8>() {
                    Ok(day) if (1..=28).contains(&day) => MonthDay::Day(day),
                    _ => return Err(FrequencyError::BadMonthDay),
                },
                None => return Err(FrequencyError::BadMonthDay),
            };
            return Ok(FrequencyPolicy::Monthly(day));
        } else if lower("daily") {
            FrequencyPolicy::Daily
        } else if lower("manual") {
            FrequencyPolicy::Manual
        } else if lower("adaptive") {
            FrequencyPolicy::Adaptive
        } else {
            return Err(FrequencyError::UnknownPolicy);
        };
        match argument {
            None => Ok(policy),
            Some(_) => Err(FrequencyError::UnknownPolicy),
        }
    }
}

/// Which priorities need a person's approval before they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ApprovalPolicy {
    required: [bool; 5],
}

impl ApprovalPolicy {
    /// Nothing needs approval.
    pub const NONE: ApprovalPolicy = ApprovalPolicy {
        required: [false; 5],
    };
    /// Everything but Critical needs approval.
    pub const ALL_BUT_CRITICAL: ApprovalPolicy = ApprovalPolicy {
        required: [false, true, true, true, true],
    };
    /// Critical and Security run unapproved; the rest need approval.
    pub const SECURITY_AUTOMATIC: ApprovalPolicy = ApprovalPolicy {
        required: [false, false, true, true, true],
    };

    /// Whether updates of `priority` need approval.
    #[inline]
    pub const fn requires(&self, priority: Priority) -> bool {
        self.required[priority.index()]
    }

    /// The same policy with `priority` set to need approval or not.
    #[inline]
    pub const fn with(mut self, priority: Priority, required: bool) -> ApprovalPolicy {
        self.required[priority.index()] = required;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(year: i64, month: u8, day: u8) -> Date {
        Date::new(year, month, day).expect("valid date")
    }

    #[test]
    fn test_weekly_and_monthly_release_days() {
        // 2026-11-29 is a Sunday, 2026-11-30 the last day of November.
        let sunday = date(2026, 11, 29);
        let monday = date(2026, 11, 30);
        assert!(FrequencyPolicy::Weekly(Weekday::Sunday).releases_on(sunday));
        assert!(!FrequencyPolicy::Weekly(Weekday::Sunday).releases_on(monday));
        assert!(FrequencyPolicy::Monthly(MonthDay::Last).releases_on(monday));
        assert!(FrequencyPolicy::Monthly(MonthDay::Last).releases_on(date(2028, 2, 29)));
        assert!(!FrequencyPolicy::Monthly(MonthDay::Last).releases_on(date(2028, 2, 28)));
        assert!(FrequencyPolicy::Monthly(MonthDay::Day(1)).releases_on(date(2026, 12, 1)));
        assert!(!FrequencyPolicy::Manual.releases_on(sunday));
        assert!(FrequencyPolicy::Adaptive.releases_on(sunday));
    }

    #[test]
    fn test_text_form_round_trips_and_rejects_bad_input() {
        for text in [
            "daily",
            "weekly Sun",
            "monthly 1",
            "monthly last",
            "manual",
            "adaptive",
        ] {
            let policy: FrequencyPolicy = text.parse().expect(text);
            assert_eq!(policy.to_string(), text);
        }
        assert_eq!(
            "WEEKLY mon".parse(),
            Ok(FrequencyPolicy::Weekly(Weekday::Monday))
        );
        assert_eq!(
            "weekly".parse::<FrequencyPolicy>(),
            Err(FrequencyError::MissingWeekday)
        );
        assert_eq!(
            "monthly 29".parse::<FrequencyPolicy>(),
            Err(FrequencyError::BadMonthDay)
        );
        assert_eq!(
            "monthly".parse::<FrequencyPolicy>(),
            Err(FrequencyError::BadMonthDay)
        );
        assert_eq!(
            "hourly".parse::<FrequencyPolicy>(),
            Err(FrequencyError::UnknownPolicy)
        );
        assert_eq!(
            "daily now".parse::<FrequencyPolicy>(),
            Err(FrequencyError::UnknownPolicy)
        );
        assert!(!FrequencyPolicy::Monthly(MonthDay::Day(31)).is_valid());
    }

    #[test]
    fn test_approval_presets() {
        assert!(!ApprovalPolicy::ALL_BUT_CRITICAL.requires(Priority::Critical));
        assert!(ApprovalPolicy::ALL_BUT_CRITICAL.requires(Priority::Low));
        assert!(!ApprovalPolicy::SECURITY_AUTOMATIC.requires(Priority::Security));
        assert!(ApprovalPolicy::NONE
            .with(Priority::Low, true)
            .requires(Priority::Low));
    }
}
