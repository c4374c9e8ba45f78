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
    /// The `nth` (1..=4) such weekday of each month, e.g. the second
    /// Tuesday ("Patch Tuesday"). Four so that it exists in every month.
    NthWeekday(u8, Weekday),
    /// The last such weekday of each month.
    LastWeekday(Weekday),
}

impl MonthDay {
    /// Whether `date` is this day of its month.
    pub fn matches(self, date: Date) -> bool {
        match self {
            MonthDay::Day(day) => date.day() == day,
            MonthDay::Last => date.is_last_day_of_month(),
            // The nth weekday falls on days 7(n-1)+1 ..= 7n.
            MonthDay::NthWeekday(nth, weekday) => {
                date.weekday() == weekday && (date.day() - 1) / 7 + 1 == nth
            }
            // The last weekday is within the last seven days of the month.
            MonthDay::LastWeekday(weekday) => {
                date.weekday() == weekday && date.day() + 7 > date.days_in_month()
            }
        }
    }

    /// Whether the day exists in every month (a day 1..=28, an ordinal
    /// 1..=4).
    pub fn is_valid(self) -> bool {
        match self {
            MonthDay::Day(day) => (1..=28).contains(&day),
            MonthDay::NthWeekday(nth, _) => (1..=4).contains(&nth),
            MonthDay::Last | MonthDay::LastWeekday(_) => true,
        }
    }

    /// The weekday the day always falls on, if it is a weekday rule.
    pub fn weekday(self) -> Option<Weekday> {
        match self {
            MonthDay::NthWeekday(_, weekday) | MonthDay::LastWeekday(weekday) => Some(weekday),
            MonthDay::Day(_) | MonthDay::Last => None,
        }
    }
}

/// `1`, `last`, `2nd Tue`, `last Fri`.
impl fmt::Display for MonthDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            MonthDay::Day(day) => write!(f, "{day}"),
            MonthDay::Last => f.write_str("last"),
            MonthDay::NthWeekday(nth, weekday) => {
                let suffix = match nth {
                    1 => "st",
                    2 => "nd",
                    3 => "rd",
                    _ => "th",
                };
                write!(f, "{nth}{suffix} {weekday}")
            }
            MonthDay::LastWeekday(weekday) => write!(f, "last {weekday}"),
        }
    }
}

/// Parses an ordinal `1st`, `2nd`, `3rd`, `4th` (any case).
fn parse_ordinal(text: &str) -> Option<u8> {
    let (digit, suffix) = text.split_at_checked(1)?;
    let nth: u8 = digit.parse().ok()?;
    let expected = match nth {
        1 => "st",
        2 => "nd",
        3 => "rd",
        4 => "th",
        _ => return None,
    };
    suffix.eq_ignore_ascii_case(expected).then_some(nth)
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
            FrequencyPolicy::Monthly(day) => day.matches(opened_on),
            FrequencyPolicy::Manual => false,
        }
    }

    /// Whether the policy is well formed (a monthly day within 1..=28, an
    /// ordinal within 1..=4).
    pub fn is_valid(&self) -> bool {
        match self {
            FrequencyPolicy::Monthly(day) => day.is_valid(),
            _ => true,
        }
    }
}

/// `daily`, `weekly Sun`, `monthly 1`, `monthly last`, `monthly 2nd Tue`,
/// `monthly last Fri`, `manual`, `adaptive`.
impl fmt::Display for FrequencyPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrequencyPolicy::Daily => f.write_str("daily"),
            FrequencyPolicy::Weekly(day) => write!(f, "weekly {day}"),
            FrequencyPolicy::Monthly(day) => write!(f, "monthly {day}"),
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
    /// `monthly` needs a day 1..=28, `last`, or an ordinal 1st..4th or
    /// `last` followed by a weekday.
    BadMonthDay,
}

impl fmt::Display for FrequencyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FrequencyError::UnknownPolicy => {
                "expected daily, weekly <day>, monthly <1..28|last|1st..4th <day>|last <day>>, manual or adaptive"
            }
            FrequencyError::MissingWeekday => "weekly needs a weekday, e.g. weekly Sun",
            FrequencyError::BadMonthDay => {
                "monthly needs a day 1..28, last, or an ordinal and a weekday, e.g. monthly 1 or monthly 2nd Tue"
            }
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
        let lower = |expected: &str| name.eq_ignore_ascii_case(expected);
        if lower("monthly") {
            let weekday = match words.next() {
                Some(day) => Some(day.parse().map_err(|_| FrequencyError::BadMonthDay)?),
                None => None,
            };
            if words.next().is_some() {
                return Err(FrequencyError::BadMonthDay);
            }
            let argument = argument.ok_or(FrequencyError::BadMonthDay)?;
            let last = argument.eq_ignore_ascii_case("last");
            let day = match weekday {
                Some(weekday) if last => MonthDay::LastWeekday(weekday),
                Some(weekday) => MonthDay::NthWeekday(
                    parse_ordinal(argument).ok_or(FrequencyError::BadMonthDay)?,
                    weekday,
                ),
                None if last => MonthDay::Last,
                None => match argument.parse::<u8>() {
                    Ok(day) if (1..=28).contains(&day) => MonthDay::Day(day),
                    _ => return Err(FrequencyError::BadMonthDay),
                },
            };
            return Ok(FrequencyPolicy::Monthly(day));
        }
        if words.next().is_some() {
            return Err(FrequencyError::UnknownPolicy);
        }
        let policy = if lower("weekly") {
            let day = argument
                .and_then(|day| day.parse().ok())
                .ok_or(FrequencyError::MissingWeekday)?;
            return Ok(FrequencyPolicy::Weekly(day));
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

/// What happens to an update still awaiting approval when its deadline
/// comes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnapprovedAtDeadline {
    /// It is approved by the deadline itself and installs at once, as
    /// Windows installs past a deadline; the approval is announced
    /// ([`crate::event::Event::ApprovedByDeadline`]) for the audit log.
    Install,
    /// It keeps waiting for a person, and the miss is counted and
    /// announced as a kind of its own
    /// ([`crate::event::Event::MissedAwaitingApproval`]).
    Escalate,
}

impl UnapprovedAtDeadline {
    /// `install` or `escalate`.
    pub const fn name(self) -> &'static str {
        match self {
            UnapprovedAtDeadline::Install => "install",
            UnapprovedAtDeadline::Escalate => "escalate",
        }
    }
}

impl fmt::Display for UnapprovedAtDeadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The text is neither `install` nor `escalate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UnknownDeadlineAction;

impl fmt::Display for UnknownDeadlineAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("expected install or escalate")
    }
}

impl core::error::Error for UnknownDeadlineAction {}

impl FromStr for UnapprovedAtDeadline {
    type Err = UnknownDeadlineAction;

    fn from_str(text: &str) -> Result<UnapprovedAtDeadline, UnknownDeadlineAction> {
        if text.eq_ignore_ascii_case("install") {
            Ok(UnapprovedAtDeadline::Install)
        } else if text.eq_ignore_ascii_case("escalate") {
            Ok(UnapprovedAtDeadline::Escalate)
        } else {
            Err(UnknownDeadlineAction)
        }
    }
}

/// Per priority, what happens to an update still awaiting approval when
/// its deadline comes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DeadlineApprovalPolicy {
    by_priority: [UnapprovedAtDeadline; 5],
}

impl DeadlineApprovalPolicy {
    /// Critical and Security install at their deadline; Important,
    /// Optional and Low escalate (Optional and Low have no deadline by
    /// default, so for them it matters only if one is configured).
    pub const DEFAULT: DeadlineApprovalPolicy = DeadlineApprovalPolicy {
        by_priority: [
            UnapprovedAtDeadline::Install,
            UnapprovedAtDeadline::Install,
            UnapprovedAtDeadline::Escalate,
            UnapprovedAtDeadline::Escalate,
            UnapprovedAtDeadline::Escalate,
        ],
    };

    /// What happens to an unapproved update of `priority` at its deadline.
    #[inline]
    pub const fn of(&self, priority: Priority) -> UnapprovedAtDeadline {
        self.by_priority[priority.index()]
    }

    /// The same policy with `priority`'s action replaced.
    #[inline]
    pub const fn with(
        mut self,
        priority: Priority,
        action: UnapprovedAtDeadline,
    ) -> DeadlineApprovalPolicy {
        self.by_priority[priority.index()] = action;
        self
    }
}

impl Default for DeadlineApprovalPolicy {
    fn default() -> DeadlineApprovalPolicy {
        DeadlineApprovalPolicy::DEFAULT
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
            "monthly 1st Mon",
            "monthly 2nd Tue",
            "monthly 3rd Wed",
            "monthly 4th Thu",
            "monthly last Fri",
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
        assert_eq!(
            "monthly 2ND tue".parse(),
            Ok(FrequencyPolicy::Monthly(MonthDay::NthWeekday(
                2,
                Weekday::Tuesday
            )))
        );
        for bad in [
            "monthly 5th Tue",
            "monthly 0th Tue",
            "monthly 2st Tue",
            "monthly 2 Tue",
            "monthly 2nd Someday",
            "monthly last Fri now",
            "monthly 12th Mon",
        ] {
            assert_eq!(
                bad.parse::<FrequencyPolicy>(),
                Err(FrequencyError::BadMonthDay),
                "{bad}"
            );
        }
        assert!(!FrequencyPolicy::Monthly(MonthDay::NthWeekday(5, Weekday::Monday)).is_valid());
        assert!(FrequencyPolicy::Monthly(MonthDay::LastWeekday(Weekday::Monday)).is_valid());
    }

    /// Every day of 2026..=2030 on which `day` releases.
    fn release_days(day: MonthDay) -> impl Iterator<Item = Date> {
        let first = date(2026, 1, 1).days_since_epoch();
        let last = date(2030, 12, 31).days_since_epoch();
        (first..=last)
            .filter_map(Date::from_days_since_epoch)
            .filter(move |date| FrequencyPolicy::Monthly(day).releases_on(*date))
    }

    #[test]
    fn test_nth_weekday_releases_once_a_month_on_that_weekday() {
        for weekday in Weekday::ALL {
            for nth in 1..=4 {
                let days: std::vec::Vec<Date> =
                    release_days(MonthDay::NthWeekday(nth, weekday)).collect();
                assert_eq!(days.len(), 60, "{nth} {weekday}");
                for (index, day) in days.iter().enumerate() {
                    assert_eq!(day.weekday(), weekday);
                    assert_eq!(usize::from(day.month()), index % 12 + 1);
                    // Exactly nth - 1 such weekdays come before it.
                    assert_eq!((day.day() - 1) / 7, nth - 1);
                }
            }
            let lasts: std::vec::Vec<Date> = release_days(MonthDay::LastWeekday(weekday)).collect();
            assert_eq!(lasts.len(), 60, "last {weekday}");
            for day in lasts {
                assert_eq!(day.weekday(), weekday);
                assert!(day.day() + 7 > day.days_in_month());
            }
        }
    }

    #[test]
    fn test_nth_weekday_edge_months() {
        let second_tuesday = FrequencyPolicy::Monthly(MonthDay::NthWeekday(2, Weekday::Tuesday));
        // Patch Tuesdays of 2026.
        assert!(second_tuesday.releases_on(date(2026, 12, 8)));
        assert!(!second_tuesday.releases_on(date(2026, 12, 1)));
        assert!(!second_tuesday.releases_on(date(2026, 12, 15)));
        // A month starting on a Tuesday: the 1st is the first, the 8th the
        // second (September 2026).
        assert!(second_tuesday.releases_on(date(2026, 9, 8)));
        // December 2026 has five Thursdays (3, 10, 17, 24, 31): the last is
        // the 31st, the fourth the 24th.
        let last_thursday = FrequencyPolicy::Monthly(MonthDay::LastWeekday(Weekday::Thursday));
        let fourth_thursday = FrequencyPolicy::Monthly(MonthDay::NthWeekday(4, Weekday::Thursday));
        assert!(last_thursday.releases_on(date(2026, 12, 31)));
        assert!(!last_thursday.releases_on(date(2026, 12, 24)));
        assert!(fourth_thursday.releases_on(date(2026, 12, 24)));
        // Year end: the last Friday of 2027 is Dec 31, and the first Friday
        // of 2028 is Jan 7.
        let last_friday = FrequencyPolicy::Monthly(MonthDay::LastWeekday(Weekday::Friday));
        assert!(last_friday.releases_on(date(2027, 12, 31)));
        let first_friday = FrequencyPolicy::Monthly(MonthDay::NthWeekday(1, Weekday::Friday));
        assert!(first_friday.releases_on(date(2028, 1, 7)));
        assert!(!first_friday.releases_on(date(2027, 12, 31)));
        // Leap February 2028 starts on a Tuesday and has five Tuesdays:
        // the last is the 29th; February 2026 has four, the last the 24th.
        let last_tuesday = FrequencyPolicy::Monthly(MonthDay::LastWeekday(Weekday::Tuesday));
        assert!(last_tuesday.releases_on(date(2028, 2, 29)));
        assert!(!last_tuesday.releases_on(date(2028, 2, 22)));
        assert!(last_tuesday.releases_on(date(2026, 2, 24)));
        // February 2026 starts on a Sunday: four of each weekday, so the
        // fourth Saturday is also the last.
        let fourth_saturday = FrequencyPolicy::Monthly(MonthDay::NthWeekday(4, Weekday::Saturday));
        assert!(fourth_saturday.releases_on(date(2026, 2, 28)));
        assert!(
            FrequencyPolicy::Monthly(MonthDay::LastWeekday(Weekday::Saturday))
                .releases_on(date(2026, 2, 28))
        );
    }

    #[test]
    fn test_unapproved_at_deadline_defaults_and_text() {
        let policy = DeadlineApprovalPolicy::DEFAULT;
        assert_eq!(policy.of(Priority::Critical), UnapprovedAtDeadline::Install);
        assert_eq!(policy.of(Priority::Security), UnapprovedAtDeadline::Install);
        assert_eq!(
            policy.of(Priority::Important),
            UnapprovedAtDeadline::Escalate
        );
        let changed = policy.with(Priority::Security, UnapprovedAtDeadline::Escalate);
        assert_eq!(
            changed.of(Priority::Security),
            UnapprovedAtDeadline::Escalate
        );
        for action in [
            UnapprovedAtDeadline::Install,
            UnapprovedAtDeadline::Escalate,
        ] {
            assert_eq!(action.to_string().parse(), Ok(action));
        }
        assert_eq!(
            "wait".parse::<UnapprovedAtDeadline>(),
            Err(UnknownDeadlineAction)
        );
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
