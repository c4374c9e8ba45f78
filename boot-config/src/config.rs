//! What the kernel is told at boot: run the demo or wait at the console,
//! which profile and workload, how fast simulated time runs, which
//! failures to inject, and overrides of the profile's scheduler settings.
//!
//! # TOML form
//!
//! Field names are the Rust field names, in snake_case (`max_concurrent`,
//! as the scheduler's own messages spell it). Every field may be left out
//! and then takes its [`BootConfig::default`] value; an unknown key is an
//! error, so a misspelt field never goes unnoticed. The text-valued fields
//! use the scheduler's text forms:
//!
//! ```toml
//! mode = "demo"                    # or "console"
//! profile = "desktop"              # basic, server, desktop, iot
//! workload = "office"              # see WorkloadKind
//! speed = 15000                    # simulated seconds per real second
//! seed = 1
//! scenario = "week"                # see SCENARIOS
//! days = 7
//! windows = "Sat,Sun 22:30 +60m; UTC+01:00"   # optional override
//! frequency = "weekly Sun"                    # optional override
//! max_concurrent = 2                          # optional override
//! freezes = "2026-12-20..2027-01-03"          # optional: freeze periods
//!
//! [failures]                       # per mille, per update kind
//! application = 100
//! driver = 100
//! ```
//!
//! The same `serde` derive gives the binary form of the ramdisk's config
//! section (postcard, fields in declaration order): changing the fields or
//! their order changes that form, and so needs a new
//! [`crate::ramdisk::FORMAT_VERSION`].

use core::fmt;

use serde::{Deserialize, Serialize};
use update_sched::config::{Calendar, Config, ConfigError, Profile};
use update_sched::freeze::Freezes;
use update_sched::policy::FrequencyPolicy;
use update_sched::workload::{UnknownWorkload, WorkloadKind};
use update_sched::UpdateKind;

/// A short name (workload, scenario): at most 16 bytes, kept inline.
pub type Name = heapless::String<16>;

/// The scenarios the demo can play: `week` submits the demo's simulated
/// week of updates, `none` submits nothing (updates come from the console),
/// `load` is the week with 1,000 more low-priority updates queued, to
/// measure the scheduler's cost with a full queue.
pub const SCENARIOS: [&str; 3] = ["week", "none", "load"];

/// Slowest time acceleration: real time.
pub const MIN_SPEED: u32 = 1;
/// Fastest time acceleration: a million simulated seconds per real second
/// (a week in 0.6 s), beyond which one 10 ms timer tick would skip almost
/// three simulated hours and the scheduler's minute-level decisions blur.
pub const MAX_SPEED: u32 = 1_000_000;
/// Longest demo: four weeks, the shortest month, so a monthly policy's day
/// comes round once.
pub const MAX_DAYS: u16 = 28;
/// A failure rate of 1000 per mille: every attempt fails.
pub const PERMILLE: u16 = 1_000;

/// Default time acceleration: 15 000 simulated seconds per real second,
/// so the demo's week (604 800 s) passes in about 40 s.
pub const DEFAULT_SPEED: u32 = 15_000;
/// Time acceleration of `--console`: one simulated minute per real second,
/// slow enough to type commands between events.
pub const CONSOLE_SPEED: u32 = 60;

/// What the kernel does after boot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Run the demo scenario for the configured days, print a summary and
    /// shut down.
    #[default]
    Demo,
    /// Wait at the serial console for commands.
    Console,
}

impl Mode {
    /// Lower-case name, as in the TOML file.
    pub const fn name(self) -> &'static str {
        match self {
            Mode::Demo => "demo",
            Mode::Console => "console",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Failure injection: the share of update attempts of each kind that fail,
/// in per mille (0 = never, 1000 = always).
///
/// A TOML `[failures]` table may name only some kinds; the others keep
/// their [`Failures::default`] rates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Failures {
    /// [`UpdateKind::Security`] updates.
    pub security: u16,
    /// [`UpdateKind::Kernel`] updates.
    pub kernel: u16,
    /// [`UpdateKind::Driver`] updates.
    pub driver: u16,
    /// [`UpdateKind::Application`] updates.
    pub application: u16,
    /// [`UpdateKind::Firmware`] updates.
    pub firmware: u16,
}

impl Failures {
    /// No failures at all.
    pub const NONE: Failures = Failures {
        security: 0,
        kernel: 0,
        driver: 0,
        application: 0,
        firmware: 0,
    };

    /// The failure rate of `kind`, in per mille.
    pub const fn of(&self, kind: UpdateKind) -> u16 {
        match kind {
            UpdateKind::Security => self.security,
            UpdateKind::Kernel => self.kernel,
            UpdateKind::Driver => self.driver,
            UpdateKind::Application => self.application,
            UpdateKind::Firmware => self.firmware,
        }
    }

    /// The rates indexed by [`UpdateKind::index`].
    pub const fn as_array(&self) -> [u16; 5] {
        [
            self.security,
            self.kernel,
            self.driver,
            self.application,
            self.firmware,
        ]
    }
}

impl Default for Failures {
    /// One attempt in ten fails for drivers and applications, the kinds
    /// that fail in practice, so the demo shows retries; none elsewhere.
    fn default() -> Failures {
        Failures {
            driver: 100,
            application: 100,
            ..Failures::NONE
        }
    }
}

/// Everything the kernel is told at boot.
///
/// Build one with [`BootConfig::default`] (the demo) or
/// [`BootConfig::console`], or read one from TOML (see the module
/// documentation); check it with [`BootConfig::validate`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BootConfig {
    /// Run the demo or wait at the console.
    pub mode: Mode,
    /// The scheduler preset to start from.
    pub profile: Profile,
    /// The synthetic workload: a [`WorkloadKind`] name.
    pub workload: Name,
    /// Time acceleration: simulated seconds per real second,
    /// [`MIN_SPEED`]..=[`MAX_SPEED`].
    pub speed: u32,
    /// Seed of the workload generator, the failure injection and the retry
    /// jitter: the same seed replays the same run.
    pub seed: u64,
    /// What the demo submits; one of [`SCENARIOS`].
    pub scenario: Name,
    /// Failure injection per update kind.
    pub failures: Failures,
    /// How many simulated days the demo runs, 1..=[`MAX_DAYS`].
    pub days: u16,
    /// Replaces the profile's maintenance windows.
    pub windows: Option<Calendar>,
    /// Replaces the profile's frequency policy.
    pub frequency: Option<FrequencyPolicy>,
    /// Replaces the profile's limit on simultaneous updates.
    pub max_concurrent: Option<u8>,
    /// Freeze periods, in the windows' local dates (the profiles have
    /// none): each at most 90 days, at least 60 days apart.
    pub freezes: Option<Freezes>,
}

/// A [`Name`] holding `text`, which the callers keep short enough.
fn name(text: &str) -> Name {
    let mut name = Name::new();
    // Every caller passes one of the constant names above, all shorter than
    // the capacity; a longer text would leave the name empty, not panic.
    let _ = name.push_str(text);
    name
}

impl Default for BootConfig {
    /// The demo: the desktop profile with the office workload, a week in
    /// about 40 s, seed 1, some driver and application failures.
    fn default() -> BootConfig {
        BootConfig {
            mode: Mode::Demo,
            profile: Profile::Desktop,
            workload: name("office"),
            speed: DEFAULT_SPEED,
            seed: 1,
            scenario: name("week"),
            failures: Failures::default(),
            days: 7,
            windows: None,
            frequency: None,
            max_concurrent: None,
            freezes: None,
        }
    }
}

impl BootConfig {
    /// What the runner's `--console` asks for: the console, one simulated
    /// minute per second, nothing submitted; the rest as the default.
    pub fn console() -> BootConfig {
        BootConfig {
            mode: Mode::Console,
            speed: CONSOLE_SPEED,
            scenario: name("none"),
            ..BootConfig::default()
        }
    }

    /// The workload [`BootConfig::workload`] names.
    pub fn workload_kind(&self) -> Result<WorkloadKind, BootConfigError> {
        self.workload
            .parse()
            .map_err(|UnknownWorkload| BootConfigError::UnknownWorkload)
    }

    /// Checks every field and returns the scheduler configuration: the
    /// profile's preset with the overrides applied, validated by
    /// [`Config::validate`].
    ///
    /// Reports the first problem found, in field order.
    pub fn validate(&self) -> Result<Config, BootConfigError> {
        if !(MIN_SPEED..=MAX_SPEED).contains(&self.speed) {
            return Err(BootConfigError::SpeedOutOfRange(self.speed));
        }
        self.workload_kind()?;
        if !SCENARIOS.contains(&self.scenario.as_str()) {
            return Err(BootConfigError::UnknownScenario);
        }
        if let Some(kind) = UpdateKind::ALL
            .into_iter()
            .find(|&kind| self.failures.of(kind) > PERMILLE)
        {
            return Err(BootConfigError::FailureRateOutOfRange {
                kind,
                permille: self.failures.of(kind),
            });
        }
        if !(1..=MAX_DAYS).contains(&self.days) {
            return Err(BootConfigError::DaysOutOfRange(self.days));
        }
        let mut config = Config::preset(self.profile);
        if let Some(windows) = &self.windows {
            config.windows = windows.clone();
        }
        if let Some(frequency) = self.frequency {
            config.frequency = frequency;
        }
        if let Some(max_concurrent) = self.max_concurrent {
            config.max_concurrent = max_concurrent;
        }
        if let Some(freezes) = &self.freezes {
            config.freezes = freezes.clone();
        }
        match config.validate() {
            Ok(()) => Ok(config),
            Err(errors) => match errors.first() {
                Some(&error) => Err(BootConfigError::Scheduler(error)),
                None => Ok(config),
            },
        }
    }
}

/// `<mode> profile=<profile> workload=<workload> speed=<speed>x
/// scenario=<scenario>`: the one-line summary the kernel prints.
impl fmt::Display for BootConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} profile={} workload={} speed={}x scenario={}",
            self.mode, self.profile, self.workload, self.speed, self.scenario
        )
    }
}

/// What is wrong with a [`BootConfig`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BootConfigError {
    /// `speed` is outside [`MIN_SPEED`]..=[`MAX_SPEED`].
    SpeedOutOfRange(u32),
    /// `workload` names no [`WorkloadKind`].
    UnknownWorkload,
    /// `scenario` is none of [`SCENARIOS`].
    UnknownScenario,
    /// A failure rate is above 1000 per mille.
    FailureRateOutOfRange {
        /// The update kind whose rate is wrong.
        kind: UpdateKind,
        /// The rate given.
        permille: u16,
    },
    /// `days` is outside 1..=[`MAX_DAYS`].
    DaysOutOfRange(u16),
    /// The scheduler configuration (the profile's preset with the
    /// overrides) is invalid; this is the first problem
    /// [`Config::validate`] reported.
    Scheduler(ConfigError),
}

impl BootConfigError {
    /// The TOML key the problem is about (`speed`, `kernel` in
    /// `[failures]`); for a scheduler problem, the setting most likely at
    /// fault. Lets the host point at the line of a config file.
    pub const fn toml_key(&self) -> &'static str {
        match self {
            BootConfigError::SpeedOutOfRange(_) => "speed",
            BootConfigError::UnknownWorkload => "workload",
            BootConfigError::UnknownScenario => "scenario",
            BootConfigError::FailureRateOutOfRange { kind, .. } => kind.name(),
            BootConfigError::DaysOutOfRange(_) => "days",
            BootConfigError::Scheduler(ConfigError::ConcurrencyOutOfRange) => "max_concurrent",
            BootConfigError::Scheduler(
                ConfigError::NoWindows
                | ConfigError::NoWindowOnReleaseDay(_)
                | ConfigError::MonthlyNeedsDailyWindow
                | ConfigError::MonthDayOutOfRange,
            ) => "frequency",
            BootConfigError::Scheduler(ConfigError::Freeze(_)) => "freezes",
            BootConfigError::Scheduler(_) => "profile",
        }
    }
}

impl fmt::Display for BootConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BootConfigError::SpeedOutOfRange(speed) => {
                write!(f, "speed {speed} is outside {MIN_SPEED}..={MAX_SPEED}")
            }
            BootConfigError::UnknownWorkload => UnknownWorkload.fmt(f),
            BootConfigError::UnknownScenario => {
                f.write_str("unknown scenario: expected ")?;
                write_list(f, &SCENARIOS)
            }
            BootConfigError::FailureRateOutOfRange { kind, permille } => write!(
                f,
                "failure rate of {kind} updates is {permille} per mille, above {PERMILLE}"
            ),
            BootConfigError::DaysOutOfRange(days) => {
                write!(f, "days {days} is outside 1..={MAX_DAYS}")
            }
            BootConfigError::Scheduler(error) => write!(f, "scheduler configuration: {error}"),
        }
    }
}

/// Writes `a, b or c`.
fn write_list(f: &mut fmt::Formatter<'_>, names: &[&str]) -> fmt::Result {
    for (index, name) in names.iter().enumerate() {
        if index > 0 {
            f.write_str(if index + 1 == names.len() {
                " or "
            } else {
                ", "
            })?;
        }
        f.write_str(name)?;
    }
    Ok(())
}

impl core::error::Error for BootConfigError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            BootConfigError::Scheduler(error) => Some(error),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use update_sched::civil::Weekday;

    #[test]
    fn test_default_is_valid_demo_week_in_about_40_seconds() {
        let config = BootConfig::default();
        assert_eq!(config.mode, Mode::Demo);
        assert_eq!(config.profile, Profile::Desktop);
        let scheduler = config.validate().unwrap();
        assert_eq!(scheduler, Config::preset(Profile::Desktop));
        let week_seconds = 7 * 24 * 3600;
        assert_eq!(week_seconds / config.speed, 40);
        assert_eq!(config.failures.as_array(), [0, 0, 100, 100, 0]);
        assert_eq!(
            config.to_string(),
            "demo profile=desktop workload=office speed=15000x scenario=week"
        );
    }

    #[test]
    fn test_console_is_valid() {
        let config = BootConfig::console();
        config.validate().unwrap();
        assert_eq!(
            config.to_string(),
            "console profile=desktop workload=office speed=60x scenario=none"
        );
    }

    #[test]
    fn test_validate_reports_each_field() {
        let check = |edit: fn(&mut BootConfig), expected: BootConfigError| {
            let mut config = BootConfig::default();
            edit(&mut config);
            assert_eq!(config.validate(), Err(expected));
        };
        check(|c| c.speed = 0, BootConfigError::SpeedOutOfRange(0));
        check(
            |c| c.speed = 1_000_001,
            BootConfigError::SpeedOutOfRange(1_000_001),
        );
        check(
            |c| c.workload = name("gaming"),
            BootConfigError::UnknownWorkload,
        );
        check(
            |c| c.scenario = name("month"),
            BootConfigError::UnknownScenario,
        );
        check(
            |c| c.failures.kernel = 1001,
            BootConfigError::FailureRateOutOfRange {
                kind: UpdateKind::Kernel,
                permille: 1001,
            },
        );
        check(|c| c.days = 0, BootConfigError::DaysOutOfRange(0));
        check(|c| c.days = 29, BootConfigError::DaysOutOfRange(29));
        check(
            |c| c.max_concurrent = Some(0),
            BootConfigError::Scheduler(ConfigError::ConcurrencyOutOfRange),
        );
        check(
            |c| c.frequency = Some(FrequencyPolicy::Weekly(Weekday::Sunday)),
            BootConfigError::Scheduler(ConfigError::NoWindowOnReleaseDay(Weekday::Sunday)),
        );
        let message = BootConfigError::UnknownWorkload.to_string();
        assert_eq!(
            message,
            "unknown workload: expected office, home, server, nightshift, change, irregular or laptop"
        );
    }

    #[test]
    fn test_every_workload_and_scenario_is_valid() {
        for workload in WorkloadKind::ALL {
            for scenario in SCENARIOS {
                let config = BootConfig {
                    workload: name(workload.name()),
                    scenario: name(scenario),
                    ..BootConfig::default()
                };
                assert_eq!(config.validate().map(|_| ()), Ok(()), "{config}");
            }
        }
    }
}
