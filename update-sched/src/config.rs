//! Scheduler configuration: every knob in one value, its validation, and
//! the presets of the product brief.

use core::fmt;
use core::str::FromStr;

use heapless::Vec;

use crate::backoff::{RetryPolicy, RetryPolicyError};
use crate::civil::{UtcOffset, Weekday};
use crate::freeze::{FreezeError, Freezes};
use crate::gate::{PowerPolicy, ResourceThresholds};
use crate::pattern::PatternConfig;
use crate::policy::{
    ApprovalPolicy, DeadlineApprovalPolicy, FrequencyPolicy, MonthDay, UnapprovedAtDeadline,
};
use crate::time::Duration;
use crate::update::Priority;
use crate::window::{MaintenanceCalendar, Weekdays, Window};

/// Most maintenance windows one configuration holds.
pub const MAX_WINDOWS: usize = 8;

/// The maintenance calendar of a configuration.
pub type Calendar = MaintenanceCalendar<MAX_WINDOWS>;

/// Most retry attempts a policy may allow: the attempt counter is kept in
/// four bits per update.
pub const MAX_ATTEMPTS: u8 = 15;

/// How long after it becomes available an update of each priority must
/// have started. `None`: no deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Deadlines {
    by_priority: [Option<Duration>; 5],
}

impl Deadlines {
    /// The design's defaults: Critical at once (the next tick), Security
    /// within 24 hours, Important within 7 days, Optional and Low never.
    pub const DEFAULT: Deadlines = Deadlines {
        by_priority: [
            Some(Duration::ZERO),
            Some(Duration::from_hours(24)),
            Some(Duration::from_days(7)),
            None,
            None,
        ],
    };

    /// The deadline of `priority`, counted from availability.
    #[inline]
    pub const fn of(&self, priority: Priority) -> Option<Duration> {
        self.by_priority[priority.index()]
    }

    /// The same table with `priority`'s deadline replaced.
    #[inline]
    pub const fn with(mut self, priority: Priority, deadline: Option<Duration>) -> Deadlines {
        self.by_priority[priority.index()] = deadline;
        self
    }
}

impl Default for Deadlines {
    fn default() -> Deadlines {
        Deadlines::DEFAULT
    }
}

/// Everything that shapes the scheduler's decisions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// How often non-urgent updates are released.
    pub frequency: FrequencyPolicy,
    /// When non-urgent updates may run, in local time.
    pub windows: Calendar,
    /// Date ranges, in the windows' local time, in which every update
    /// below Critical is held (Security only until its deadline).
    pub freezes: Freezes,
    /// Latest start per priority.
    pub deadlines: Deadlines,
    /// Which priorities need approval.
    pub approval: ApprovalPolicy,
    /// What happens to an update still awaiting approval at its deadline.
    pub unapproved_at_deadline: DeadlineApprovalPolicy,
    /// Most updates running at once (1..=16). A Critical update may go
    /// one beyond it ([`crate::scheduler::CRITICAL_BEYOND_LIMIT`]).
    /// Updates that reboot, touch firmware or are marked exclusive run
    /// alone (on a platform that stages updates, only their reboot or
    /// flash does).
    pub max_concurrent: u8,
    /// Resource limits for starting an update.
    pub resources: ResourceThresholds,
    /// What "idle" means, for Low-priority updates.
    pub idle: ResourceThresholds,
    /// Power requirements.
    pub power: PowerPolicy,
    /// Retries after failure.
    pub retry: RetryPolicy,
    /// How long before an expected start to announce it
    /// ([`crate::event::Event::WillStart`]); `None` sends no such notice.
    pub notify_lead: Option<Duration>,
    /// How the usage pattern is learned and scored (used by
    /// [`FrequencyPolicy::Adaptive`]).
    pub pattern: PatternConfig,
}

/// Most concurrent updates a configuration may allow.
pub const MAX_CONCURRENT: u8 = 16;

/// A named preset of the product brief.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Profile {
    /// A general machine: weekly, a 4 h window, approval required, 2 at once.
    Basic,
    /// Weekly on Sunday, a 6 h window, security updates approved
    /// automatically, 4 at once.
    Server,
    /// Adaptive, a 3 h weekday window, approval required, 1 at once.
    Desktop,
    /// Monthly on the 1st, a 2 h window, no notifications, 1 at once.
    Iot,
}

impl Profile {
    /// Every profile.
    pub const ALL: [Profile; 4] = [
        Profile::Basic,
        Profile::Server,
        Profile::Desktop,
        Profile::Iot,
    ];

    /// Lower-case name.
    #[inline]
    pub const fn name(self) -> &'static str {
        match self {
            Profile::Basic => "basic",
            Profile::Server => "server",
            Profile::Desktop => "desktop",
            Profile::Iot => "iot",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The text named no profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UnknownProfile;

impl fmt::Display for UnknownProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown profile: expected basic, server, desktop or iot")
    }
}

impl core::error::Error for UnknownProfile {}

impl FromStr for Profile {
    type Err = UnknownProfile;

    fn from_str(text: &str) -> Result<Profile, UnknownProfile> {
        Profile::ALL
            .into_iter()
            .find(|profile| profile.name().eq_ignore_ascii_case(text.trim()))
            .ok_or(UnknownProfile)
    }
}

/// One thing wrong with a [`Config`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConfigError {
    /// `max_concurrent` is 0 (nothing could ever run) or above
    /// [`MAX_CONCURRENT`].
    ConcurrencyOutOfRange,
    /// The retry policy is invalid.
    Retry(RetryPolicyError),
    /// The retry policy allows more than [`MAX_ATTEMPTS`] attempts.
    TooManyAttempts,
    /// A resource threshold in per mille is above 1000.
    ThresholdOutOfRange,
    /// A battery level is above 1000 per mille.
    BatteryLevelOutOfRange,
    /// The critical battery floor is above the level non-Critical updates
    /// need, so the two rules contradict each other.
    BatteryFloorAboveMinimum,
    /// A monthly policy names a day outside 1..=28 or an ordinal outside
    /// 1st..=4th.
    MonthDayOutOfRange,
    /// The policy releases updates into windows, but there are none.
    NoWindows,
    /// A weekly policy's day, or a monthly policy's weekday, has no window
    /// opening on it.
    NoWindowOnReleaseDay(Weekday),
    /// A monthly policy by day number needs a window every day, since any
    /// day of the month can fall on any weekday.
    MonthlyNeedsDailyWindow,
    /// Deadlines shrink as priority rises: a more urgent priority has a
    /// later deadline than a less urgent one.
    DeadlinesOutOfOrder,
    /// The freeze periods break a limit: one lasts too long, or two are
    /// too close together or out of order.
    Freeze(FreezeError),
    /// A usage-pattern setting is out of range: every activity weight is
    /// zero, a threshold is above 1000 per mille, or the half-life or
    /// confidence time is outside 1..=1080 minutes.
    PatternOutOfRange,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::ConcurrencyOutOfRange => {
                write!(f, "max_concurrent must be 1..={MAX_CONCURRENT}")
            }
            ConfigError::Retry(error) => write!(f, "{error}"),
            ConfigError::TooManyAttempts => {
                write!(f, "retry attempts must be at most {MAX_ATTEMPTS}")
            }
            ConfigError::ThresholdOutOfRange => {
                f.write_str("a per-mille resource threshold is above 1000")
            }
            ConfigError::BatteryLevelOutOfRange => {
                f.write_str("a battery level is above 1000 per mille")
            }
            ConfigError::BatteryFloorAboveMinimum => {
                f.write_str("the critical battery floor is above the minimum battery level")
            }
            ConfigError::MonthDayOutOfRange => {
                f.write_str("a monthly day must be 1..=28, last, or 1st..=4th or last before a weekday")
            }
            ConfigError::NoWindows => {
                f.write_str("the frequency policy needs maintenance windows, and there are none")
            }
            ConfigError::NoWindowOnReleaseDay(day) => {
                write!(f, "the policy releases on {day}, but no window opens on {day}")
            }
            ConfigError::MonthlyNeedsDailyWindow => {
                f.write_str("a monthly policy needs a window on every weekday")
            }
            ConfigError::DeadlinesOutOfOrder => {
                f.write_str("a more urgent priority has a later deadline than a less urgent one")
            }
            ConfigError::Freeze(error) => write!(f, "{error}"),
            ConfigError::PatternOutOfRange => f.write_str(
                "a usage-pattern setting is out of range (all weights zero, a threshold above 1000, or a time outside 1..=1080 minutes)",
            ),
        }
    }
}

impl core::error::Error for ConfigError {}

/// Every problem [`Config::validate`] found.
pub type ConfigErrors = Vec<ConfigError, 12>;

impl Config {
    /// The preset for `profile`.
    pub fn preset(profile: Profile) -> Config {
        // Window constants are valid by construction; `expect` cannot fire
        // (each is also checked by a test).
        let window = |days, start_minute, length_minutes| {
            Window::new(days, start_minute, length_minutes).expect("preset window is valid")
        };
        let mut windows = Calendar::new(UtcOffset::UTC);
        let base = Config {
            frequency: FrequencyPolicy::Daily,
            windows: Calendar::new(UtcOffset::UTC),
            freezes: Freezes::new(),
            deadlines: Deadlines::DEFAULT,
            approval: ApprovalPolicy::ALL_BUT_CRITICAL,
            unapproved_at_deadline: DeadlineApprovalPolicy::DEFAULT,
            max_concurrent: 1,
            resources: ResourceThresholds::DEFAULT,
            idle: ResourceThresholds::IDLE,
            power: PowerPolicy::default(),
            retry: RetryPolicy::default(),
            notify_lead: Some(Duration::from_minutes(15)),
            pattern: PatternConfig::DEFAULT,
        };
        let config = match profile {
            Profile::Basic => {
                let _ = windows.push(window(Weekdays::SATURDAY, 2 * 60, 4 * 60));
                Config {
                    frequency: FrequencyPolicy::Weekly(Weekday::Saturday),
                    // A Security fix waiting for an absent admin installs
                    // at its 24-hour deadline; an Important one waits for
                    // a person and is reported.
                    unapproved_at_deadline: DeadlineApprovalPolicy::DEFAULT,
                    max_concurrent: 2,
                    ..base
                }
            }
            Profile::Server => {
                let _ = windows.push(window(Weekdays::SUNDAY, 0, 6 * 60));
                Config {
                    frequency: FrequencyPolicy::Weekly(Weekday::Sunday),
                    approval: ApprovalPolicy::SECURITY_AUTOMATIC,
                    // Servers have admins: what needs their approval and
                    // did not get it is escalated, never installed behind
                    // their back (Critical and Security need none here).
                    unapproved_at_deadline: DeadlineApprovalPolicy::DEFAULT
                        .with(Priority::Security, UnapprovedAtDeadline::Escalate),
                    max_concurrent: 4,
                    // Servers have admins logged in and are never idle by
                    // session count: only the figures decide.
                    resources: ResourceThresholds {
                        sessions_max: u16::MAX,
                        ..ResourceThresholds::DEFAULT
                    },
                    idle: ResourceThresholds {
                        sessions_max: u16::MAX,
                        ..ResourceThresholds::IDLE
                    },
                    ..base
                }
            }
            Profile::Desktop => {
                let weekdays = Weekdays::range(Weekday::Monday, Weekday::Friday);
                let _ = windows.push(window(weekdays, 60, 3 * 60));
                Config {
                    frequency: FrequencyPolicy::Adaptive,
                    // As on a general machine: Security installs at its
                    // deadline, Important is escalated.
                    unapproved_at_deadline: DeadlineApprovalPolicy::DEFAULT,
                    ..base
                }
            }
            Profile::Iot => {
                let _ = windows.push(window(Weekdays::all(), 3 * 60, 2 * 60));
                Config {
                    frequency: FrequencyPolicy::Monthly(MonthDay::Day(1)),
                    approval: ApprovalPolicy::NONE,
                    // Nobody answers on a device: whatever was flagged for
                    // approval installs at its deadline.
                    unapproved_at_deadline: DeadlineApprovalPolicy::DEFAULT
                        .with(Priority::Important, UnapprovedAtDeadline::Install),
                    notify_lead: None,
                    ..base
                }
            }
        };
        Config { windows, ..config }
    }

    /// Checks the configuration, reporting every problem found.
    pub fn validate(&self) -> Result<(), ConfigErrors> {
        let mut errors = ConfigErrors::new();
        let mut report = |error| {
            // The list has room for every distinct variant that can occur
            // together, so nothing is lost here.
            let _ = errors.push(error);
        };
        if self.max_concurrent == 0 || self.max_concurrent > MAX_CONCURRENT {
            report(ConfigError::ConcurrencyOutOfRange);
        }
        if let Err(error) = self.retry.validate() {
            report(ConfigError::Retry(error));
        }
        if self.retry.max_attempts > MAX_ATTEMPTS {
            report(ConfigError::TooManyAttempts);
        }
        if !self.resources.is_valid() || !self.idle.is_valid() {
            report(ConfigError::ThresholdOutOfRange);
        }
        if !self.power.is_valid() {
            report(ConfigError::BatteryLevelOutOfRange);
        }
        if self.power.critical_floor_permille > self.power.min_battery_permille {
            report(ConfigError::BatteryFloorAboveMinimum);
        }
        if !self.frequency.is_valid() {
            report(ConfigError::MonthDayOutOfRange);
        }
        let open_days = self
            .windows
            .windows()
            .iter()
            .fold(Weekdays::empty(), |days, window| days | window.days());
        match self.frequency {
            FrequencyPolicy::Daily | FrequencyPolicy::Weekly(_) | FrequencyPolicy::Monthly(_)
                if self.windows.is_empty() =>
            {
                report(ConfigError::NoWindows)
            }
            FrequencyPolicy::Weekly(day) if !open_days.contains_day(day) => {
                report(ConfigError::NoWindowOnReleaseDay(day))
            }
            FrequencyPolicy::Monthly(day) => match day.weekday() {
                Some(weekday) if !open_days.contains_day(weekday) => {
                    report(ConfigError::NoWindowOnReleaseDay(weekday))
                }
                None if open_days != Weekdays::all() => {
                    report(ConfigError::MonthlyNeedsDailyWindow)
                }
                _ => {}
            },
            _ => {}
        }
        let rank = |priority| self.deadlines.of(priority).unwrap_or(Duration::MAX);
        if Priority::ALL
            .windows(2)
            .any(|pair| rank(pair[0]) > rank(pair[1]))
        {
            report(ConfigError::DeadlinesOutOfOrder);
        }
        if !self.pattern.is_valid() {
            report(ConfigError::PatternOutOfRange);
        }
        if let Err(error) = self.freezes.validate() {
            report(ConfigError::Freeze(error));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

impl Default for Config {
    /// The [`Profile::Basic`] preset.
    fn default() -> Config {
        Config::preset(Profile::Basic)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_presets_are_valid_and_match_the_brief() {
        for profile in Profile::ALL {
            let config = Config::preset(profile);
            assert_eq!(config.validate(), Ok(()), "{profile}");
            assert_eq!(profile.name().parse(), Ok(profile));
        }
        let basic = Config::preset(Profile::Basic);
        assert!(matches!(basic.frequency, FrequencyPolicy::Weekly(_)));
        assert_eq!(basic.windows.open_minutes_per_week(), 240);
        assert_eq!(basic.max_concurrent, 2);
        assert!(basic.approval.requires(Priority::Security));

        let server = Config::preset(Profile::Server);
        assert_eq!(server.frequency, FrequencyPolicy::Weekly(Weekday::Sunday));
        assert_eq!(server.windows.open_minutes_per_week(), 360);
        assert!(!server.approval.requires(Priority::Security));
        assert!(server.approval.requires(Priority::Important));
        assert_eq!(server.max_concurrent, 4);

        let desktop = Config::preset(Profile::Desktop);
        assert_eq!(desktop.frequency, FrequencyPolicy::Adaptive);
        assert_eq!(desktop.windows.open_minutes_per_week(), 5 * 180);
        assert_eq!(desktop.max_concurrent, 1);

        let iot = Config::preset(Profile::Iot);
        assert_eq!(iot.frequency, FrequencyPolicy::Monthly(MonthDay::Day(1)));
        assert_eq!(iot.windows.windows()[0].length_minutes(), 120);
        assert_eq!(iot.notify_lead, None);
        assert!(!iot.approval.requires(Priority::Low));
    }

    #[test]
    fn test_invalid_config_reports_every_error() {
        let mut config = Config::preset(Profile::Basic);
        config.max_concurrent = 0;
        config.retry.max_attempts = 0;
        config.resources.cpu_max_permille = 1_001;
        config.power.critical_floor_permille = 900;
        config.frequency = FrequencyPolicy::Weekly(Weekday::Monday);
        config.deadlines = config
            .deadlines
            .with(Priority::Critical, Some(Duration::from_days(30)));
        let errors = config.validate().unwrap_err();
        assert_eq!(
            errors.as_slice(),
            &[
                ConfigError::ConcurrencyOutOfRange,
                ConfigError::Retry(RetryPolicyError::NoAttempts),
                ConfigError::ThresholdOutOfRange,
                ConfigError::BatteryFloorAboveMinimum,
                ConfigError::NoWindowOnReleaseDay(Weekday::Monday),
                ConfigError::DeadlinesOutOfOrder,
            ]
        );
    }

    #[test]
    fn test_window_requirements_of_policies() {
        let mut config = Config::preset(Profile::Basic);
        config.windows = Calendar::default();
        assert_eq!(
            config.validate().unwrap_err().as_slice(),
            &[ConfigError::NoWindows]
        );
        config.frequency = FrequencyPolicy::Adaptive;
        assert_eq!(config.validate(), Ok(()));
        config.frequency = FrequencyPolicy::Manual;
        assert_eq!(config.validate(), Ok(()));
        let mut monthly = Config::preset(Profile::Basic);
        monthly.frequency = FrequencyPolicy::Monthly(MonthDay::Last);
        assert_eq!(
            monthly.validate().unwrap_err().as_slice(),
            &[ConfigError::MonthlyNeedsDailyWindow]
        );
        monthly.frequency = FrequencyPolicy::Monthly(MonthDay::NthWeekday(2, Weekday::Tuesday));
        assert_eq!(
            monthly.validate().unwrap_err().as_slice(),
            &[ConfigError::NoWindowOnReleaseDay(Weekday::Tuesday)]
        );
        monthly.frequency = FrequencyPolicy::Monthly(MonthDay::LastWeekday(Weekday::Saturday));
        assert_eq!(monthly.validate(), Ok(()));
        monthly.frequency = FrequencyPolicy::Monthly(MonthDay::NthWeekday(5, Weekday::Saturday));
        assert_eq!(
            monthly.validate().unwrap_err().as_slice(),
            &[ConfigError::MonthDayOutOfRange]
        );
        monthly.retry.max_attempts = 16;
        assert!(monthly
            .validate()
            .unwrap_err()
            .contains(&ConfigError::TooManyAttempts));
        assert_eq!("IoT".parse(), Ok(Profile::Iot));
        assert_eq!("laptop".parse::<Profile>(), Err(UnknownProfile));
    }

    #[test]
    fn test_pattern_settings_out_of_range_are_reported() {
        let mut config = Config::preset(Profile::Desktop);
        assert_eq!(config.pattern, PatternConfig::DEFAULT);
        config.pattern.half_life_minutes = 0;
        assert_eq!(
            config.validate().unwrap_err().as_slice(),
            &[ConfigError::PatternOutOfRange]
        );
        config.pattern = PatternConfig {
            idle_below_permille: 1_001,
            ..PatternConfig::DEFAULT
        };
        assert!(config.validate().is_err());
        config.pattern = PatternConfig {
            weights: crate::pattern::ActivityWeights {
                cpu: 0,
                memory: 0,
                disk: 0,
                network: 0,
                sessions: 0,
            },
            ..PatternConfig::DEFAULT
        };
        assert!(config.validate().is_err());
        config.pattern.weights = crate::pattern::ActivityWeights::DEFAULT;
        config.pattern.confident_after_minutes = PatternConfig::MAX_MINUTES + 1;
        assert!(config.validate().is_err());
        assert!(ConfigError::PatternOutOfRange
            .to_string()
            .contains("usage-pattern"));
    }
}
