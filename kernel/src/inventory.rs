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

#[cfg(test)]
mod tests {
    use std::format;
    use std::string::{String, ToString};
    use std::sync::atomic::{AtomicU32, Ordering};

    use update_sched::update::Version;

    use super::{Component, BASELINE, CAPACITY};
    use crate::host;

    /// Component names no other test uses.
    fn new_name() -> String {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        format!("inv{}", NEXT.fetch_add(1, Ordering::Relaxed))
    }

    fn v(major: u16, minor: u16, patch: u16) -> Version {
        Version::new(major, minor, patch)
    }

    #[test]
    fn test_component_lines() {
        let mut component = Component {
            name: "openssl".try_into().expect("fits"),
            installed: Some(v(1, 2, 3)),
            pending: Some(v(1, 3, 0)),
        };
        assert_eq!(
            component.to_string(),
            "openssl          installed 1.2.3, 1.3.0 pending"
        );
        component.pending = None;
        assert_eq!(component.to_string(), "openssl          installed 1.2.3");
        component.installed = None;
        assert_eq!(component.to_string(), "openssl          not installed");
    }

    #[test]
    fn test_baseline_is_installed_at_one_and_fits() {
        let _statics = host::statics();
        assert!(BASELINE.len() < CAPACITY);
        // Components no test updates.
        for name in ["fonts", "bios", "python"] {
            assert!(BASELINE.contains(&name));
            assert_eq!(super::installed(name), Some(v(1, 0, 0)), "{name}");
            assert!(super::has_room_for(name));
        }
        assert_eq!(super::installed("not-a-component"), None);
        assert_eq!(super::newest("not-a-component"), None);
    }

    #[test]
    fn test_pending_is_the_newest_accepted_and_newest_counts_it() {
        let _statics = host::statics();
        let name = new_name();
        super::note_accepted(&name, v(2, 0, 0));
        super::note_accepted(&name, v(1, 5, 0));
        assert_eq!(super::installed(&name), None);
        assert_eq!(super::newest(&name), Some(v(2, 0, 0)));
    }

    #[test]
    fn test_installing_clears_a_pending_version_not_above_it() {
        let _statics = host::statics();
        let name = new_name();
        super::note_accepted(&name, v(2, 0, 0));
        super::note_installed(&name, v(2, 0, 0));
        assert_eq!(super::installed(&name), Some(v(2, 0, 0)));
        assert_eq!(super::newest(&name), Some(v(2, 0, 0)));
        let mut line = String::new();
        super::for_each(|component| {
            if component.name == name.as_str() {
                line = component.to_string();
            }
        });
        assert_eq!(line, format!("{name:<16} installed 2.0.0"));
    }

    #[test]
    fn test_installed_version_never_goes_back() {
        let _statics = host::statics();
        let name = new_name();
        super::note_installed(&name, v(3, 0, 0));
        super::note_installed(&name, v(2, 0, 0));
        assert_eq!(super::installed(&name), Some(v(3, 0, 0)));
    }

    #[test]
    fn test_a_newer_pending_version_survives_an_older_install() {
        let _statics = host::statics();
        let name = new_name();
        super::note_accepted(&name, v(3, 0, 0));
        super::note_installed(&name, v(2, 0, 0));
        assert_eq!(super::installed(&name), Some(v(2, 0, 0)));
        assert_eq!(super::newest(&name), Some(v(3, 0, 0)));
    }

    #[test]
    fn test_pending_falls_back_and_is_never_at_or_below_installed() {
        let _statics = host::statics();
        let name = new_name();
        super::note_installed(&name, v(2, 0, 0));
        super::note_accepted(&name, v(4, 0, 0));
        super::note_pending(&name, Some(v(3, 0, 0)));
        assert_eq!(super::newest(&name), Some(v(3, 0, 0)));
        super::note_pending(&name, Some(v(2, 0, 0)));
        assert_eq!(super::newest(&name), Some(v(2, 0, 0)));
        let mut pending = Some(v(9, 9, 9));
        super::for_each(|component| {
            if component.name == name.as_str() {
                pending = component.pending;
            }
        });
        assert_eq!(pending, None);
        super::note_pending(&name, None);
        assert_eq!(super::newest(&name), Some(v(2, 0, 0)));
    }

    #[test]
    fn test_a_name_too_long_for_the_table_is_not_recorded() {
        let _statics = host::statics();
        let long = "a-component-name-past-sixteen";
        super::note_accepted(long, v(2, 0, 0));
        assert_eq!(super::newest(long), None);
    }
}
