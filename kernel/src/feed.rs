//! A simulated update feed: the subsystem that learns of new updates (in a
//! real system, from a repository) and announces them to the scheduler
//! through the kernel API, exactly as any other subsystem would.
//!
//! Its catalogue is a fixed, readable week of releases of every priority
//! and kind: fixes that need a reboot, firmware that must run alone, and
//! two critical fixes. Each entry is announced at its offset from boot on
//! the kernel clock; a run shorter than a week announces only what falls
//! inside it, a day before its end so that the last updates can finish.

use update_sched::update::{UpdateFlags, UpdateRecord, Version};
use update_sched::{Duration, Instant, Priority, UpdateId, UpdateKind};

use crate::{serial_println, update};

use Priority::{Critical, Important, Low, Optional, Security};
use UpdateKind::{Application, Driver, Firmware, Kernel};

/// One release in the catalogue.
#[derive(Clone, Copy, Debug)]
pub struct Release {
    /// Offset from boot at which the feed announces it, in minutes.
    pub at_minutes: u32,
    /// The update's id.
    pub id: u32,
    /// Its name.
    pub name: &'static str,
    /// How urgent.
    pub priority: Priority,
    /// What it touches.
    pub kind: UpdateKind,
    /// Estimated installation time, in minutes.
    pub minutes: u16,
    /// Whether installing it ends with a reboot.
    pub reboot: bool,
    /// Its version.
    pub version: Version,
}

// A catalogue row reads best as one positional call per release.
#[allow(clippy::too_many_arguments)]
const fn release(
    day: u32,
    hour: u32,
    id: u32,
    name: &'static str,
    priority: Priority,
    kind: UpdateKind,
    minutes: u16,
    reboot: bool,
) -> Release {
    Release {
        at_minutes: (day * 24 + hour) * 60 + 7,
        id,
        name,
        priority,
        kind,
        minutes,
        reboot,
        version: Version::new(1, (id % 7) as u16, id as u16),
    }
}

/// A week of releases: 2 critical, 6 security, 5 important, 4 optional and
/// 4 low, of every kind.
pub const WEEK: &[Release] = &[
    release(
        0,
        0,
        1,
        "openssl",
        Security,
        UpdateKind::Security,
        20,
        false,
    ),
    release(0, 1, 2, "firefox", Optional, Application, 15, false),
    release(0, 3, 3, "mesa", Important, Driver, 25, false),
    release(0, 6, 4, "linux", Important, Kernel, 30, true),
    release(1, 2, 5, "microcode", Critical, Firmware, 10, true),
    release(1, 9, 6, "libreoffice", Low, Application, 40, false),
    release(1, 14, 7, "sudo", Security, UpdateKind::Security, 10, false),
    release(2, 0, 8, "gpu-driver", Important, Driver, 35, true),
    release(2, 10, 9, "gimp", Optional, Application, 20, false),
    release(2, 20, 10, "glibc", Security, UpdateKind::Security, 25, true),
    release(3, 4, 11, "bios", Important, Firmware, 20, true),
    release(3, 12, 12, "vlc", Low, Application, 10, false),
    release(3, 18, 13, "curl", Security, UpdateKind::Security, 5, false),
    release(4, 1, 14, "wifi-firmware", Optional, Firmware, 15, false),
    release(4, 8, 15, "linux-hotfix", Critical, Kernel, 20, true),
    release(4, 15, 16, "python", Important, Application, 30, false),
    release(5, 3, 17, "thunderbird", Optional, Application, 25, false),
    release(5, 11, 18, "zlib", Security, UpdateKind::Security, 10, false),
    release(5, 19, 19, "fonts", Low, Application, 5, false),
    release(5, 22, 20, "manpages", Low, Application, 5, false),
    release(
        6,
        2,
        21,
        "openssh",
        Security,
        UpdateKind::Security,
        15,
        false,
    ),
];

/// Announces the catalogue's releases as their time comes.
#[derive(Debug)]
pub struct Feed {
    releases: &'static [Release],
    next: usize,
    until_minutes: u32,
}

impl Feed {
    /// A feed of `releases` that announces nothing at or after
    /// `until_minutes` from boot.
    pub const fn new(releases: &'static [Release], until_minutes: u32) -> Feed {
        Feed {
            releases,
            next: 0,
            until_minutes,
        }
    }

    /// A feed that announces nothing.
    pub const fn empty() -> Feed {
        Feed::new(&[], 0)
    }

    /// How many releases this feed will announce in all.
    pub fn total(&self) -> usize {
        self.releases
            .iter()
            .filter(|release| release.at_minutes < self.until_minutes)
            .count()
    }

    /// Announces every release due at `now`. A refused announcement is
    /// printed and skipped: the feed does not retry.
    pub fn poll(&mut self, now: Instant) {
        while let Some(release) = self.releases.get(self.next) {
            if release.at_minutes >= self.until_minutes
                || now < Instant::from_secs(u64::from(release.at_minutes) * 60)
            {
                return;
            }
            self.next += 1;
            let mut record = UpdateRecord::new(
                UpdateId(release.id),
                release.name,
                release.kind,
                release.priority,
                Duration::from_minutes(u64::from(release.minutes)),
                now,
            );
            record.version = release.version;
            if release.reboot {
                record.flags |= UpdateFlags::NEEDS_REBOOT;
            }
            if let Err(error) = update::submit(&record) {
                serial_println!("feed: {} {} refused: {error}", record.id, release.name);
            }
        }
    }
}
