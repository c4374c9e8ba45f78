//! What is installed: each component's installed version, and the newest
//! version accepted for installation but not yet installed.
//!
//! The anti-rollback check asks [`newest`]: an update must install a
//! version above both, so neither an old manifest nor an old entry in a new
//! one can bring back a version the machine has moved past, or queue a
//! version older than one already queued.
//!
//! This kernel has no disk, so the table starts from a built-in baseline
//! (the "system image": every component of the example catalogue at
//! 1.0.0) and lives until shutdown. `inventory` on the console prints it.

use core::fmt;

use heapless::Vec;
use spin::Mutex;
use update_sched::update::{UpdateName, Version};

/// Components the table holds.
pub const CAPACITY: usize = 128;

/// The components installed at boot, all at 1.0.0.
pub const BASELINE: &[&str] = &[
    "openssl",
    "firefox",
    "mesa",
    "linux",
    "microcode",
    "libreoffice",
    "sudo",
    "gpu-driver",
    "gimp",
    "glibc",
    "bios",
    "vlc",
    "curl",
    "wifi-firmware",
    "linux-hotfix",
    "python",
    "thunderbird",
    "zlib",
    "fonts",
    "manpages",
    "openssh",
];

/// One component.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Component {
    /// Its name.
    pub name: UpdateName,
    /// The version installed, if any.
    pub installed: Option<Version>,
    /// The newest version accepted and not yet installed, if any.
    pub pending: Option<Version>,
}

/// `name  installed 1.2.3, 1.3.0 pending`, as `inventory` on the console
/// prints it.
impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:<16}", self.name)?;
        match self.installed {
            Some(version) => write!(f, " installed {version}")?,
            None => f.write_str(" not installed")?,
        }
        if let Some(version) = self.pending {
            write!(f, ", {version} pending")?;
        }
        Ok(())
    }
}

/// The table. Lock order (kernel/README.md, "Locks"): may be taken under
/// the scheduler's; no other lock is taken while it is held, but COM1's
/// (the console prints from inside it).
static TABLE: Mutex<Option<Vec<Component, CAPACITY>>> = Mutex::new(None);

fn with_table<R>(f: impl FnOnce(&mut Vec<Component, CAPACITY>) -> R) -> R {
    let mut guard = TABLE.lock();
    let table = guard.get_or_insert_with(|| {
        let mut table = Vec::new();
        for name in BASELINE {
            // BASELINE is shorter than CAPACITY and its names fit.
            let _ = table.push(Component {
                name: UpdateName::try_from(*name).unwrap_or_default(),
                installed: Some(Version::new(1, 0, 0)),
                pending: None,
            });
        }
        table
    });
    f(table)
}

/// The newest version of `name` installed or accepted, if any.
pub fn newest(name: &str) -> Option<Version> {
    with_table(|table| {
        table
            .iter()
            .find(|component| component.name == name)
            .and_then(|component| component.installed.max(component.pending))
    })
}

/// Finds or adds `name`; `None` if the table is full.
fn entry<'a>(table: &'a mut Vec<Component, CAPACITY>, name: &str) -> Option<&'a mut Component> {
    let index = match table.iter().position(|component| component.name == name) {
        Some(index) => index,
        None => {
            table
                .push(Component {
                    name: UpdateName::try_from(name).ok()?,
                    installed: None,
                    pending: None,
                })
                .ok()?;
            table.len() - 1
        }
    };
    table.get_mut(index)
}

/// Whether the table holds `name` or has room to add it. An update of a
/// component the table cannot hold is refused: its version could not be
/// recorded, so nothing would stop a later rollback.
pub fn has_room_for(name: &str) -> bool {
    with_table(|table| !table.is_full() || table.iter().any(|component| component.name == name))
}

/// Notes that `version` of `name` was accepted for installation.
pub fn note_accepted(name: &str, version: Version) {
    with_table(|table| {
        if let Some(component) = entry(table, name) {
            component.pending = component.pending.max(Some(version));
        }
    });
}

/// Notes that `version` of `name` is now installed.
pub fn note_installed(name: &str, version: Version) {
    with_table(|table| {
        if let Some(component) = entry(table, name) {
            component.installed = component.installed.max(Some(version));
            if component.pending <= component.installed {
                component.pending = None;
            }
        }
    });
}

/// Sets the pending version of `name`: the newest version accepted and
/// still outstanding, if any (after an update completed, failed for good,
/// was cancelled or declined). A version not above the installed one is
/// not pending.
pub fn note_pending(name: &str, pending: Option<Version>) {
    with_table(|table| {
        if let Some(component) = entry(table, name) {
            component.pending = pending.filter(|&pending| Some(pending) > component.installed);
        }
    });
}

/// The installed version of `name`, if any.
pub fn installed(name: &str) -> Option<Version> {
    with_table(|table| {
        table
            .iter()
            .find(|component| component.name == name)
            .and_then(|component| component.installed)
    })
}

/// Calls `f` on every component, in table order.
pub fn for_each(mut f: impl FnMut(&Component)) {
    with_table(|table| table.iter().for_each(&mut f));
}
