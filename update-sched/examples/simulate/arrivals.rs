//! Update arrivals: the seeded mix of updates that become available over a
//! run, the same for every policy compared in it.

use update_sched::update::UpdateFlags;
use update_sched::workload::SplitMix64;
use update_sched::{Priority, UpdateKind};

/// Updates per priority over 30 days (Critical, Security, Important,
/// Optional, Low), from the mix; runs of other lengths scale it.
pub const PER_30_DAYS: [u64; 5] = [2, 8, 12, 12, 8];
/// Shortest and longest installation, minutes.
pub const DURATION_MINUTES: (u32, u32) = (5, 90);
/// Keeps the arrival stream apart from the workload's and the failures'.
const ARRIVAL_STREAM: u64 = 0x6172_7269_7661_6c73;
/// Keeps the failure draws apart from the arrivals.
const FAILURE_STREAM: u64 = 0x6661_696c_7572_6573;

/// One update that becomes available during the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arrival {
    /// Its id, 1 for the first to arrive.
    pub id: u32,
    /// The minute of the run it becomes available.
    pub minute: u32,
    /// How urgent it is.
    pub priority: Priority,
    /// What it touches.
    pub kind: UpdateKind,
    /// Installation time, minutes (also its estimate).
    pub minutes: u32,
    /// Reboot (and run alone) at the end.
    pub flags: UpdateFlags,
}

impl Arrival {
    /// A short name such as `kernel-12`.
    pub fn name(&self) -> String {
        format!("{}-{}", self.kind, self.id)
    }
}

/// The updates arriving over `total_minutes`, drawn from `seed`, in
/// arrival order.
pub fn generate(seed: u64, total_minutes: u32) -> Vec<Arrival> {
    let mut arrivals = Vec::new();
    for priority in Priority::ALL {
        let per_run = (PER_30_DAYS[priority.index()] * u64::from(total_minutes) + 21_600) / 43_200;
        for index in 0..per_run {
            let key = (priority.index() as u64) << 32 | index;
            let mut rng = SplitMix64::keyed(seed, ARRIVAL_STREAM, key);
            let minute = rng.below(u64::from(total_minutes)) as u32;
            let minutes = rng.between(DURATION_MINUTES.0, DURATION_MINUTES.1);
            let kind = kind_of(priority, rng.below(10));
            let reboots = match kind {
                UpdateKind::Kernel | UpdateKind::Firmware => true,
                UpdateKind::Driver => rng.chance(500),
                UpdateKind::Security | UpdateKind::Application => false,
            };
            arrivals.push(Arrival {
                id: 0,
                minute,
                priority,
                kind,
                minutes,
                flags: if reboots {
                    UpdateFlags::NEEDS_REBOOT
                } else {
                    UpdateFlags::empty()
                },
            });
        }
    }
    arrivals.sort_by_key(|arrival| (arrival.minute, arrival.priority));
    for (id, arrival) in (1..).zip(arrivals.iter_mut()) {
        arrival.id = id;
    }
    arrivals
}

/// What an update of `priority` touches, from a draw in 0..10.
fn kind_of(priority: Priority, draw: u64) -> UpdateKind {
    match (priority, draw) {
        (Priority::Critical | Priority::Security, 0..=5) => UpdateKind::Security,
        (Priority::Critical | Priority::Security, _) => UpdateKind::Kernel,
        (Priority::Important, 0..=2) => UpdateKind::Driver,
        (Priority::Important, 3..=7) => UpdateKind::Application,
        (Priority::Important, _) => UpdateKind::Kernel,
        (Priority::Optional, 0..=7) => UpdateKind::Application,
        (Priority::Optional, _) => UpdateKind::Firmware,
        (Priority::Low, _) => UpdateKind::Application,
    }
}

/// Whether attempt `attempt` of update `id` fails, at `failure_permille`:
/// drawn from the seed, so every policy sees the same outcome for the same
/// attempt.
pub fn attempt_fails(seed: u64, id: u32, attempt: u8, failure_permille: u16) -> bool {
    let key = u64::from(id) << 8 | u64::from(attempt);
    SplitMix64::keyed(seed, FAILURE_STREAM, key).chance(failure_permille)
}
