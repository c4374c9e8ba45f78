//! Update records: what an update is, independent of when it runs.

use core::fmt;

use bitflags::bitflags;

use crate::time::{Duration, Instant};

/// Identifies one update. Chosen by the caller (a manifest, a feed, the
/// console); unique among the updates a scheduler knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UpdateId(pub u32);

impl fmt::Display for UpdateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
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

    /// Parses `1.2.3`; `1.2` and `1` are read with the missing parts as 0.
    pub fn parse(text: &str) -> Option<Version> {
        let mut parts = [0u16; 3];
        for (count, piece) in text.split('.').enumerate() {
            if count == 3 || piece.is_empty() || !piece.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            parts[count] = piece.parse().ok()?;
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
        assert_eq!(Version::parse("2"), Some(Version::new(2, 0, 0)));
        assert_eq!(Version::parse("1..3"), None);
        assert_eq!(Version::parse("1.2.3.4"), None);
        assert_eq!(Version::parse("1.x"), None);
        assert_eq!(Version::parse("70000"), None);
        assert!(Version::new(1, 10, 0) > Version::new(1, 9, 9));
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
