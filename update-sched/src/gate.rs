//! Gates: whether the machine's state lets an update start now.
//!
//! Resource gates compare a [`Metrics`] sample with thresholds; the power
//! gate looks at the power source; the external gate is a switch the
//! platform sets (room for a fleet-wide reboot lock). Every gate that says
//! "wait" names the reason as a [`GateWait`], so the scheduler can explain
//! itself.
//!
//! Resource gates are *soft*: a Critical update, or one whose deadline has
//! come, passes them. Power gates are *hard*: an installation cut short by
//! a flat battery can leave the machine unbootable, so only Critical
//! updates run on a nearly empty battery and firmware never runs on one.

use core::fmt;

use crate::update::{Priority, UpdateKind};

/// Where the machine's power comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PowerSource {
    /// Mains power (or no battery at all).
    Ac,
    /// Battery, with its charge in per mille (0..=1000).
    Battery {
        /// Remaining charge, per mille.
        level_permille: u16,
    },
}

/// One sample of the machine's state, taken by the platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Metrics {
    /// CPU busy share, per mille.
    pub cpu_permille: u16,
    /// Memory in use, per mille.
    pub memory_permille: u16,
    /// Disk I/O, KiB/s.
    pub disk_kib_s: u32,
    /// Network I/O, KiB/s.
    pub network_kib_s: u32,
    /// Active user sessions.
    pub sessions: u16,
    /// One-minute load average in thousandths (1.5 is 1500).
    pub load_milli: u32,
    /// Power source.
    pub power: PowerSource,
}

impl Metrics {
    /// An idle machine on mains power.
    pub const IDLE: Metrics = Metrics {
        cpu_permille: 0,
        memory_permille: 0,
        disk_kib_s: 0,
        network_kib_s: 0,
        sessions: 0,
        load_milli: 0,
        power: PowerSource::Ac,
    };
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::IDLE
    }
}

/// Upper limits on resource use for an update to start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ResourceThresholds {
    /// Highest CPU busy share, per mille.
    pub cpu_max_permille: u16,
    /// Highest memory use, per mille.
    pub memory_max_permille: u16,
    /// Highest disk I/O, KiB/s.
    pub disk_max_kib_s: u32,
    /// Highest network I/O, KiB/s.
    pub network_max_kib_s: u32,
    /// Most active sessions.
    pub sessions_max: u16,
    /// Highest load average, thousandths.
    pub load_max_milli: u32,
}

impl ResourceThresholds {
    /// Lets everything through.
    pub const UNLIMITED: ResourceThresholds = ResourceThresholds {
        cpu_max_permille: 1_000,
        memory_max_permille: 1_000,
        disk_max_kib_s: u32::MAX,
        network_max_kib_s: u32::MAX,
        sessions_max: u16::MAX,
        load_max_milli: u32::MAX,
    };

    /// The default for starting an update: the machine has headroom. 70 %
    /// CPU and 85 % memory leave room for an installer beside the user's
    /// work; 20 MiB/s of I/O is a busy desktop disk or link.
    pub const DEFAULT: ResourceThresholds = ResourceThresholds {
        cpu_max_permille: 700,
        memory_max_permille: 850,
        disk_max_kib_s: 20 * 1024,
        network_max_kib_s: 20 * 1024,
        sessions_max: u16::MAX,
        load_max_milli: 4_000,
    };

    /// The default meaning of "idle", for Low-priority updates: nobody
    /// logged in and the CPU mostly asleep. 300 per mille is also the line
    /// above which the machine counts as in use.
    pub const IDLE: ResourceThresholds = ResourceThresholds {
        cpu_max_permille: 300,
        memory_max_permille: 1_000,
        disk_max_kib_s: 4 * 1024,
        network_max_kib_s: 4 * 1024,
        sessions_max: 0,
        load_max_milli: 1_000,
    };

    /// `Ok` when every figure is within its limit, or the first one over.
    pub fn check(&self, metrics: &Metrics) -> Result<(), GateWait> {
        if metrics.cpu_permille > self.cpu_max_permille {
            return Err(GateWait::Cpu {
                permille: metrics.cpu_permille,
                max: self.cpu_max_permille,
            });
        }
        if metrics.memory_permille > self.memory_max_permille {
            return Err(GateWait::Memory {
                permille: metrics.memory_permille,
                max: self.memory_max_permille,
            });
        }
        if metrics.disk_kib_s > self.disk_max_kib_s {
            return Err(GateWait::DiskIo {
                kib_s: metrics.disk_kib_s,
                max: self.disk_max_kib_s,
            });
        }
        if metrics.network_kib_s > self.network_max_kib_s {
            return Err(GateWait::NetworkIo {
                kib_s: metrics.network_kib_s,
                max: self.network_max_kib_s,
            });
        }
        if metrics.sessions > self.sessions_max {
            return Err(GateWait::Sessions {
                active: metrics.sessions,
                max: self.sessions_max,
            });
        }
        if metrics.load_milli > self.load_max_milli {
            return Err(GateWait::Load {
                milli: metrics.load_milli,
                max: self.load_max_milli,
            });
        }
        Ok(())
    }

    /// Whether any per-mille limit is above 1000.
    pub fn is_valid(&self) -> bool {
        self.cpu_max_permille <= 1_000 && self.memory_max_permille <= 1_000
    }
}

/// Power requirements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PowerPolicy {
    /// Only Critical updates start on battery.
    pub require_ac: bool,
    /// On battery, non-Critical updates need at least this charge.
    pub min_battery_permille: u16,
    /// Below this charge nothing but Critical updates start.
    pub critical_floor_permille: u16,
}

impl Default for PowerPolicy {
    /// Battery allowed above 50 %, only Critical below 15 % (a level at
    /// which laptops commonly warn of a low battery).
    fn default() -> PowerPolicy {
        PowerPolicy {
            require_ac: false,
            min_battery_permille: 500,
            critical_floor_permille: 150,
        }
    }
}

impl PowerPolicy {
    /// Whether an update of `priority` and `kind` may start on `power`.
    pub fn check(
        &self,
        power: PowerSource,
        priority: Priority,
        kind: UpdateKind,
    ) -> Result<(), GateWait> {
        let PowerSource::Battery { level_permille } = power else {
            return Ok(());
        };
        if kind == UpdateKind::Firmware {
            return Err(GateWait::FirmwareOnBattery);
        }
        if priority == Priority::Critical {
            return Ok(());
        }
        if level_permille < self.critical_floor_permille {
            return Err(GateWait::BatteryCritical {
                level_permille,
                floor_permille: self.critical_floor_permille,
            });
        }
        if self.require_ac {
            return Err(GateWait::OnBattery);
        }
        if level_permille < self.min_battery_permille {
            return Err(GateWait::BatteryLow {
                level_permille,
                min_permille: self.min_battery_permille,
            });
        }
        Ok(())
    }

    /// Whether the floors are within 0..=1000 per mille.
    pub fn is_valid(&self) -> bool {
        self.min_battery_permille <= 1_000 && self.critical_floor_permille <= 1_000
    }
}

/// Why a gate holds an update back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GateWait {
    /// CPU busier than allowed.
    Cpu {
        /// Measured, per mille.
        permille: u16,
        /// Limit, per mille.
        max: u16,
    },
    /// Memory fuller than allowed.
    Memory {
        /// Measured, per mille.
        permille: u16,
        /// Limit, per mille.
        max: u16,
    },
    /// Disk busier than allowed.
    DiskIo {
        /// Measured, KiB/s.
        kib_s: u32,
        /// Limit, KiB/s.
        max: u32,
    },
    /// Network busier than allowed.
    NetworkIo {
        /// Measured, KiB/s.
        kib_s: u32,
        /// Limit, KiB/s.
        max: u32,
    },
    /// More people logged in than allowed.
    Sessions {
        /// Active sessions.
        active: u16,
        /// Limit.
        max: u16,
    },
    /// Load average above the limit.
    Load {
        /// Measured, thousandths.
        milli: u32,
        /// Limit, thousandths.
        max: u32,
    },
    /// On battery where mains power is required.
    OnBattery,
    /// Battery below the level needed for non-Critical updates.
    BatteryLow {
        /// Charge, per mille.
        level_permille: u16,
        /// Needed, per mille.
        min_permille: u16,
    },
    /// Battery below the floor under which only Critical updates run.
    BatteryCritical {
        /// Charge, per mille.
        level_permille: u16,
        /// Floor, per mille.
        floor_permille: u16,
    },
    /// Firmware never installs on battery.
    FirmwareOnBattery,
    /// The platform closed the external gate, for this reason.
    External(&'static str),
}

impl fmt::Display for GateWait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            GateWait::Cpu { permille, max } => {
                write!(
                    f,
                    "CPU busy {}.{}% (limit {}.{}%)",
                    permille / 10,
                    permille % 10,
                    max / 10,
                    max % 10
                )
            }
            GateWait::Memory { permille, max } => {
                write!(
                    f,
                    "memory {}.{}% used (limit {}.{}%)",
                    permille / 10,
                    permille % 10,
                    max / 10,
                    max % 10
                )
            }
            GateWait::DiskIo { kib_s, max } => write!(f, "disk I/O {kib_s} KiB/s (limit {max})"),
            GateWait::NetworkIo { kib_s, max } => {
                write!(f, "network I/O {kib_s} KiB/s (limit {max})")
            }
            GateWait::Sessions { active, max } => {
                write!(f, "{active} user session(s) active (limit {max})")
            }
            GateWait::Load { milli, max } => write!(
                f,
                "load {}.{:02} (limit {}.{:02})",
                milli / 1_000,
                milli % 1_000 / 10,
                max / 1_000,
                max % 1_000 / 10
            ),
            GateWait::OnBattery => f.write_str("on battery, mains power required"),
            GateWait::BatteryLow {
                level_permille,
                min_permille,
            } => write!(
                f,
                "battery at {}% (needs {}%)",
                level_permille / 10,
                min_permille / 10
            ),
            GateWait::BatteryCritical {
                level_permille,
                floor_permille,
            } => write!(
                f,
                "battery at {}%, below the {}% floor: Critical updates only",
                level_permille / 10,
                floor_permille / 10
            ),
            GateWait::FirmwareOnBattery => f.write_str("firmware never installs on battery"),
            GateWait::External(reason) => write!(f, "held by the platform: {reason}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn busy() -> Metrics {
        Metrics {
            cpu_permille: 800,
            sessions: 2,
            ..Metrics::IDLE
        }
    }

    #[test]
    fn test_idle_machine_passes_every_threshold() {
        assert_eq!(ResourceThresholds::DEFAULT.check(&Metrics::IDLE), Ok(()));
        assert_eq!(ResourceThresholds::IDLE.check(&Metrics::IDLE), Ok(()));
    }

    #[test]
    fn test_busy_machine_reports_first_figure_over() {
        assert_eq!(
            ResourceThresholds::DEFAULT.check(&busy()),
            Err(GateWait::Cpu {
                permille: 800,
                max: 700
            })
        );
        let sessions_only = Metrics {
            sessions: 1,
            ..Metrics::IDLE
        };
        assert_eq!(
            ResourceThresholds::IDLE.check(&sessions_only),
            Err(GateWait::Sessions { active: 1, max: 0 })
        );
        let loaded = Metrics {
            load_milli: 5_250,
            ..Metrics::IDLE
        };
        let wait = ResourceThresholds::DEFAULT.check(&loaded).unwrap_err();
        assert_eq!(wait.to_string(), "load 5.25 (limit 4.00)");
    }

    #[test]
    fn test_battery_rules_by_priority_and_kind() {
        let policy = PowerPolicy::default();
        let low = PowerSource::Battery {
            level_permille: 100,
        };
        let half = PowerSource::Battery {
            level_permille: 600,
        };
        assert_eq!(
            policy.check(PowerSource::Ac, Priority::Low, UpdateKind::Firmware),
            Ok(())
        );
        assert_eq!(
            policy.check(half, Priority::Critical, UpdateKind::Firmware),
            Err(GateWait::FirmwareOnBattery)
        );
        assert_eq!(
            policy.check(low, Priority::Critical, UpdateKind::Kernel),
            Ok(())
        );
        assert!(matches!(
            policy.check(low, Priority::Security, UpdateKind::Kernel),
            Err(GateWait::BatteryCritical { .. })
        ));
        assert_eq!(
            policy.check(half, Priority::Optional, UpdateKind::Application),
            Ok(())
        );
        let strict = PowerPolicy {
            require_ac: true,
            ..policy
        };
        assert_eq!(
            strict.check(half, Priority::Security, UpdateKind::Application),
            Err(GateWait::OnBattery)
        );
        let fussy = PowerPolicy {
            min_battery_permille: 800,
            ..policy
        };
        assert!(matches!(
            fussy.check(half, Priority::Low, UpdateKind::Application),
            Err(GateWait::BatteryLow { .. })
        ));
    }
}
