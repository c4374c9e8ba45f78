//! Update records: what an update is, independent of when it runs.

use core::fmt::{self, Write as _};

use bitflags::bitflags;

use crate::scheduler::{MAX_ESTIMATE, MAX_ESTIMATE_MINUTES};
use crate::time::{Duration, DurationError, Instant};

/// Identifies one update. Chosen by the caller (a manifest, a feed, the
/// console); unique among the updates a scheduler knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UpdateId(pub u32);

impl fmt::Display for UpdateId {
    /// `#7`, padded to the width asked for (`{:>6}` in a table).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `#` and the ten digits of `u32::MAX`.
        let mut text: heapless::String<11> = heapless::String::new();
        write!(text, "#{}", self.0)?;
        f.pad(&text)
    }
}

/// How urgent an update is. Declared from most to least urgent, so the
/// derived order sorts the most urgent first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    /// Starts at the next tick, bypassing windows, frequency and soft gates.
    Critical = 0,
    /// Must start within its deadline (24 h by default).
    Security = 1,
    /// Must start within its deadline (7 days by default).
    Important = 2,
    /// No deadline; runs inside maintenance windows only.
    Optional = 3,
    /// Best effort: inside windows and only while the machine is idle.
    Low = 4,
}

impl Priority {
    /// Every priority, most urgent first.
    pub const ALL: [Priority; 5] = [
        Priority::Critical,
        Priority::Security,
        Priority::Important,
        Priority::Optional,
        Priority::Low,
    ];

    /// Position in [`Priority::ALL`], for per-priority tables.
    #[inline]
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Lower-case name, as used in text forms and on the console.
    #[inline]
    pub const fn name(self) -> &'static str {
        match self {
            Priority::Critical => "critical",
            Priority::Security => "security",
            Priority::Important => "important",
            Priority::Optional => "optional",
            Priority::Low => "low",
        }
    }

    /// Parses a name as printed by [`Priority::name`], ignoring ASCII case.
    pub fn from_name(name: &str) -> Option<Priority> {
        Priority::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What an update touches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UpdateKind {
    /// A security fix in user space.
    Security = 0,
    /// The kernel itself.
    Kernel = 1,
    /// A device driver.
    Driver = 2,
    /// An application.
    Application = 3,
    /// Device firmware: never installed on battery, always runs alone.
    Firmware = 4,
}

impl UpdateKind {
    /// Every kind, in declaration order.
    pub const ALL: [UpdateKind; 5] = [
        UpdateKind::Security,
        UpdateKind::Kernel,
        UpdateKind::Driver,
        UpdateKind::Application,
        UpdateKind::Firmware,
    ];

    /// Position in [`UpdateKind::ALL`], for per-kind tables.
    #[inline]
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Lower-case name, as used in text forms and on the console.
    #[inline]
    pub const fn name(self) -> &'static str {
        match self {
            UpdateKind::Security => "security",
            UpdateKind::Kernel => "kernel",
            UpdateKind::Driver => "driver",
            UpdateKind::Application => "application",
            UpdateKind::Firmware => "firmware",
        }
    }

    /// Parses a name as printed by [`UpdateKind::name`], ignoring ASCII case.
    pub fn from_name(name: &str) -> Option<UpdateKind> {
        UpdateKind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for UpdateKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

bitflags! {
    /// Properties of an update that change how it is scheduled.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
    pub struct UpdateFlags: u8 {
        /// Installing it ends with a reboot: it runs alone.
        const NEEDS_REBOOT = 1 << 0;
        /// Needs an approval even where its priority's policy would not ask.
        const NEEDS_APPROVAL = 1 << 1;
        /// Runs alone, whatever the concurrency limit.
        const EXCLUSIVE = 1 << 2;
    }
}

/// A component version, `major.minor.patch`, ordered numerically.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// Incompatible changes.
    pub major: u16,
    /// Compatible additions.
    pub minor: u16,
    /// Fixes.
    pub patch: u16,
}

impl Version {
    /// Builds `major.minor.patch`.
    #[inline]
    pub const fn new(major: u16, minor: u16, patch: u16) -> Version {
        Version {
            major,
            minor,
            patch,
        }
    }

    /// Parses `MAJOR.MINOR.PATCH`: exactly three decimal numbers, 0 to
    /// 65,535, without leading zeros (`1.2.3`, `0.10.0`). `1.2`, `01.2.3`
    /// and `1.2.3.4` are refused. The one version grammar of the console
    /// and of `sign`.
    pub fn parse(text: &str) -> Option<Version> {
        let mut parts = [0u16; 3];
        let mut pieces = text.split('.');
        for part in &mut parts {
            let piece = pieces.next()?;
            let digits_only = !piece.is_empty() && piece.bytes().all(|b| b.is_ascii_digit());
            if !digits_only || (piece.len() > 1 && piece.starts_with('0')) {
                return None;
            }
            *part = piece.parse().ok()?;
        }
        if pieces.next().is_some() {
            return None;
        }
        Some(Version::new(parts[0], parts[1], parts[2]))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Longest update name kept, in bytes. Names are labels for people; the
/// scheduler keeps them short so that a thousand queued updates fit in a
/// few tens of kilobytes.
pub const NAME_CAPACITY: usize = 16;

/// Most dependencies one update may name.
pub const MAX_DEPENDENCIES: usize = 2;

/// A short printable name.
pub type UpdateName = heapless::String<NAME_CAPACITY>;

/// Everything the scheduler needs to know about one update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateRecord {
    /// Unique id.
    pub id: UpdateId,
    /// Human-readable label, e.g. `openssl`.
    pub name: UpdateName,
    /// What it touches.
    pub kind: UpdateKind,
    /// How urgent it is.
    pub priority: Priority,
    /// The version it installs.
    pub version: Version,
    /// How long installing it is expected to take.
    pub estimated_duration: Duration,
    /// Scheduling properties.
    pub flags: UpdateFlags,
    /// Updates that must complete before this one may start.
    pub dependencies: heapless::Vec<UpdateId, MAX_DEPENDENCIES>,
    /// When it became (or becomes) available; deadlines count from here.
    pub available_at: Instant,
}

impl UpdateRecord {
    /// A record with no flags, no dependencies, version 0.0.0 and a name of
    /// up to [`NAME_CAPACITY`] bytes (longer names are cut at a character
    /// boundary).
    pub fn new(
        id: UpdateId,
        name: &str,
        kind: UpdateKind,
        priority: Priority,
        estimated_duration: Duration,
        available_at: Instant,
    ) -> UpdateRecord {
        UpdateRecord {
            id,
            name: truncated_name(name),
            kind,
            priority,
            version: Version::default(),
            estimated_duration,
            flags: UpdateFlags::empty(),
            dependencies: heapless::Vec::new(),
            available_at,
        }
    }

    /// Whether it must run with no other update beside it.
    pub fn runs_alone(&self) -> bool {
        self.kind == UpdateKind::Firmware
            || self
                .flags
                .intersects(UpdateFlags::NEEDS_REBOOT | UpdateFlags::EXCLUSIVE)
    }
}

/// The updates one update depends on.
pub type Dependencies = heapless::Vec<UpdateId, MAX_DEPENDENCIES>;

/// Why a dependency list was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DependencyError {
    /// An entry of a written list is not an update id.
    NotAnId,
    /// The update names itself.
    OnItself,
    /// An update is named twice.
    Repeated(UpdateId),
    /// More than [`MAX_DEPENDENCIES`].
    TooMany,
}

impl fmt::Display for DependencyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DependencyError::NotAnId => f.write_str("a dependency is an update id, e.g. 7 or #7"),
            DependencyError::OnItself => f.write_str("an update cannot depend on itself"),
            DependencyError::Repeated(id) => write!(f, "{id} is listed twice"),
            DependencyError::TooMany => write!(f, "at most {MAX_DEPENDENCIES} updates"),
        }
    }
}

impl core::error::Error for DependencyError {}

/// Checks the dependencies of update `id`: at most [`MAX_DEPENDENCIES`],
/// none of them `id` itself, none named twice. The one dependency rule of
/// the console and of `sign`.
pub fn check_dependencies(
    id: UpdateId,
    list: impl IntoIterator<Item = UpdateId>,
) -> Result<Dependencies, DependencyError> {
    let mut dependencies = Dependencies::new();
    for dependency in list {
        if dependency == id {
            return Err(DependencyError::OnItself);
        }
        if dependencies.contains(&dependency) {
            return Err(DependencyError::Repeated(dependency));
        }
        dependencies
            .push(dependency)
            .map_err(|_| DependencyError::TooMany)?;
    }
    Ok(dependencies)
}

/// Parses a written dependency list, ids separated by commas (`3`,
/// `3,#4`), and checks it with [`check_dependencies`].
pub fn parse_dependencies(id: UpdateId, text: &str) -> Result<Dependencies, DependencyError> {
    let mut ids: heapless::Vec<UpdateId, { MAX_DEPENDENCIES + 1 }> = heapless::Vec::new();
    for piece in text.split(',') {
        let digits = piece.strip_prefix('#').unwrap_or(piece);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DependencyError::NotAnId);
        }
        let dependency = UpdateId(digits.parse().map_err(|_| DependencyError::NotAnId)?);
        // One more than allowed is enough for `check_dependencies` to say
        // the list is too long.
        if ids.push(dependency).is_err() {
            return Err(DependencyError::TooMany);
        }
    }
    check_dependencies(id, ids)
}

/// Why an estimated duration was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EstimateError {
    /// The text is not a duration.
    Duration(DurationError),
    /// Not a whole number of minutes.
    NotWholeMinutes,
    /// Zero, or longer than [`MAX_ESTIMATE`].
    OutOfRange,
}

impl fmt::Display for EstimateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EstimateError::Duration(error) => error.fmt(f),
            EstimateError::NotWholeMinutes => {
                f.write_str("must be whole minutes, e.g. \"90m\" or \"2h30m\"")
            }
            EstimateError::OutOfRange => write!(
                f,
                "must be 1m to {MAX_ESTIMATE_MINUTES}m ({}h{}m)",
                MAX_ESTIMATE_MINUTES / 60,
                MAX_ESTIMATE_MINUTES % 60
            ),
        }
    }
}

impl core::error::Error for EstimateError {}

/// Parses an estimated duration: a [`Duration`] of whole minutes, 1m to
/// [`MAX_ESTIMATE`] (1,092 minutes, 18h12m). The one estimate grammar of
/// the console and of `sign`.
pub fn parse_estimate(text: &str) -> Result<Duration, EstimateError> {
    let estimate: Duration = text.parse().map_err(EstimateError::Duration)?;
    if !estimate.as_millis().is_multiple_of(60_000) {
        return Err(EstimateError::NotWholeMinutes);
    }
    if estimate == Duration::ZERO || estimate > MAX_ESTIMATE {
        return Err(EstimateError::OutOfRange);
    }
    Ok(estimate)
}

/// `name` cut to at most [`NAME_CAPACITY`] bytes at a character boundary.
pub fn truncated_name(name: &str) -> UpdateName {
    let mut out = UpdateName::new();
    for c in name.chars() {
        if out.push(c).is_err() {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_update_id_pads_to_the_width_of_a_table_column() {
        assert_eq!(std::format!("{}", UpdateId(7)), "#7");
        assert_eq!(std::format!("{:>6}|", UpdateId(7)), "    #7|");
        assert_eq!(std::format!("{:<6}|", UpdateId(42)), "#42   |");
        assert_eq!(std::format!("{:>6}", UpdateId(u32::MAX)), "#4294967295");
    }

    #[test]
    fn test_priority_order_most_urgent_first() {
        let mut sorted = [Priority::Low, Priority::Critical, Priority::Important];
        sorted.sort();
        assert_eq!(
            sorted,
            [Priority::Critical, Priority::Important, Priority::Low]
        );
        assert_eq!(Priority::from_name("SECURITY"), Some(Priority::Security));
        assert_eq!(Priority::from_name("urgent"), None);
    }

    #[test]
    fn test_version_parse_and_order() {
        assert_eq!(Version::parse("1.2.3"), Some(Version::new(1, 2, 3)));
        assert_eq!(Version::parse("0.10.0"), Some(Version::new(0, 10, 0)));
        assert_eq!(Version::parse("65535.0.0"), Some(Version::new(65535, 0, 0)));
        assert_eq!(Version::parse("1..3"), None);
        assert_eq!(Version::parse("1.2.3.4"), None);
        assert_eq!(Version::parse("1.x"), None);
        assert_eq!(Version::parse("70000"), None);
        assert!(Version::new(1, 10, 0) > Version::new(1, 9, 9));
    }

    #[test]
    fn test_version_parse_refuses_short_and_zero_padded_versions() {
        for text in [
            "1.2", "1.0", "2", "01.02.03", "1.02.3", "1.2.00", "", "1.2.3.", "+1.2.3",
        ] {
            assert_eq!(Version::parse(text), None, "{text:?}");
        }
    }

    #[test]
    fn test_dependencies_refuse_repeats_self_and_too_many() {
        let id = UpdateId(5);
        assert_eq!(
            parse_dependencies(id, "1,#2").map(|list| list.to_vec()),
            Ok(std::vec![UpdateId(1), UpdateId(2)])
        );
        assert_eq!(
            parse_dependencies(id, "1,1"),
            Err(DependencyError::Repeated(UpdateId(1)))
        );
        assert_eq!(
            parse_dependencies(id, "#1,1"),
            Err(DependencyError::Repeated(UpdateId(1)))
        );
        assert_eq!(parse_dependencies(id, "5"), Err(DependencyError::OnItself));
        assert_eq!(
            parse_dependencies(id, "1,2,3"),
            Err(DependencyError::TooMany)
        );
        assert_eq!(
            parse_dependencies(id, "1,2,3,4,5,6"),
            Err(DependencyError::TooMany)
        );
        for bad in ["", "1,", ",1", "x", "1;2", "-1", "99999999999"] {
            assert_eq!(
                parse_dependencies(id, bad),
                Err(DependencyError::NotAnId),
                "{bad:?}"
            );
        }
        assert_eq!(
            check_dependencies(id, [UpdateId(3), UpdateId(3)]),
            Err(DependencyError::Repeated(UpdateId(3)))
        );
    }

    #[test]
    fn test_estimate_limit_is_the_documented_1092_minutes() {
        assert_eq!(MAX_ESTIMATE_MINUTES, 1092);
        assert_eq!(MAX_ESTIMATE, Duration::from_minutes(1092));
        assert!(MAX_ESTIMATE.as_secs() <= u64::from(u16::MAX));
        assert_eq!(parse_estimate("18h12m"), Ok(MAX_ESTIMATE));
        assert_eq!(parse_estimate("1m"), Ok(Duration::from_minutes(1)));
        assert_eq!(parse_estimate("18h13m"), Err(EstimateError::OutOfRange));
        assert_eq!(parse_estimate("0m"), Err(EstimateError::OutOfRange));
        assert_eq!(parse_estimate("45s"), Err(EstimateError::NotWholeMinutes));
        assert_eq!(
            parse_estimate("20"),
            Err(EstimateError::Duration(DurationError::MissingUnit))
        );
        assert_eq!(
            EstimateError::OutOfRange.to_string(),
            "must be 1m to 1092m (18h12m)"
        );
    }

    #[test]
    fn test_record_name_truncated_at_char_boundary() {
        let record = UpdateRecord::new(
            UpdateId(1),
            "ééééééééééééééééééééé",
            UpdateKind::Application,
            Priority::Low,
            Duration::from_minutes(5),
            Instant::ZERO,
        );
        assert_eq!(record.name.len(), 16);
        let mut firmware = record.clone();
        firmware.kind = UpdateKind::Firmware;
        assert!(firmware.runs_alone());
        assert!(!record.runs_alone());
    }
}
