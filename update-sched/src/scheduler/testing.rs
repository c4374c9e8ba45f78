//! Fixtures shared by the scheduler's tests: clocks from boot, configurations,
//! records and the scheduler states several tests start from.

use super::types::Starts;
use super::UpdateScheduler;
use crate::civil::{UtcOffset, WallTime};
use crate::config::{Config, Profile};
use crate::gate::Metrics;
use crate::policy::FrequencyPolicy;
use crate::time::{Duration, Instant};
use crate::update::{Priority, UpdateFlags, UpdateId, UpdateKind, UpdateRecord};

/// Boot happened at Saturday 2026-11-28 00:00 UTC.
pub(super) fn boot_wall() -> WallTime {
    "2026-11-28T00:00:00Z".parse().expect("timestamp")
}

/// The wall and monotonic clocks `minutes` after boot.
pub(super) fn at(minutes: u64) -> (Instant, WallTime) {
    let elapsed = Duration::from_minutes(minutes);
    (Instant::ZERO + elapsed, boot_wall().saturating_add(elapsed))
}

/// Basic profile (Saturday 02:00 for 4 h, weekly on Saturday) without
/// approvals.
pub(super) fn unattended() -> Config {
    Config {
        approval: crate::policy::ApprovalPolicy::NONE,
        ..Config::preset(Profile::Basic)
    }
}

pub(super) fn scheduler(config: Config) -> UpdateScheduler<64> {
    UpdateScheduler::new(config).expect("valid config")
}

pub(super) fn record(id: u32, priority: Priority, minutes_after_boot: u64) -> UpdateRecord {
    UpdateRecord::new(
        UpdateId(id),
        "pkg",
        UpdateKind::Application,
        priority,
        Duration::from_minutes(10),
        Instant::ZERO + Duration::from_minutes(minutes_after_boot),
    )
}

pub(super) fn poll_at(scheduler: &mut UpdateScheduler<64>, minutes: u64) -> Starts {
    let (now, wall) = at(minutes);
    scheduler.poll(now, wall, &Metrics::IDLE)
}

pub(super) fn started_ids(starts: &Starts) -> std::vec::Vec<u32> {
    starts.iter().map(|start| start.id.0).collect()
}

pub(super) fn assert_counts_add_up(scheduler: &UpdateScheduler<64>) {
    let status = scheduler.status();
    assert_eq!(status.total(), status.submitted, "{status}");
}

/// A scheduler like [`unattended`] but with `max_concurrent` updates at
/// a time, on a platform that stages updates: a reboot or flash is only
/// the exclusive phase at the end of an update. The basic profile runs
/// two at a time, the desktop profile one.
pub(super) fn staged_scheduler(max_concurrent: u8) -> UpdateScheduler<64> {
    let mut scheduler = scheduler(Config {
        max_concurrent,
        ..unattended()
    });
    scheduler.set_staged_updates(true).unwrap();
    scheduler
}

/// A [`record`] (an application update) that needs a reboot.
pub(super) fn reboot_record(id: u32, priority: Priority, minutes_after_boot: u64) -> UpdateRecord {
    let mut record = record(id, priority, minutes_after_boot);
    record.flags = UpdateFlags::NEEDS_REBOOT;
    record
}

/// A kernel update that needs a reboot, otherwise like [`record`].
pub(super) fn kernel_record(id: u32, priority: Priority, minutes_after_boot: u64) -> UpdateRecord {
    let mut kernel = reboot_record(id, priority, minutes_after_boot);
    kernel.kind = UpdateKind::Kernel;
    kernel
}

/// Submits `record` the moment it becomes available (its
/// `available_at`), as an update arriving then would be.
#[track_caller]
pub(super) fn arrive(scheduler: &mut UpdateScheduler<64>, record: &UpdateRecord) {
    scheduler.submit(record, record.available_at).unwrap();
}

/// Submits `records` at boot, in order, then polls at minute 120
/// (Saturday 02:00, when the basic profile's window opens) and checks
/// that exactly the updates `started` start, in that order.
#[track_caller]
pub(super) fn started_at_120(
    scheduler: &mut UpdateScheduler<64>,
    records: &[UpdateRecord],
    started: &[u32],
) {
    for record in records {
        scheduler.submit(record, Instant::ZERO).unwrap();
    }
    assert_eq!(started_ids(&poll_at(scheduler, 120)), started);
}

/// The Desktop preset (Adaptive) without approvals; without windows
/// unless `windows`.
pub(super) fn adaptive(windows: bool) -> Config {
    let mut config = Config {
        approval: crate::policy::ApprovalPolicy::NONE,
        ..Config::preset(Profile::Desktop)
    };
    if !windows {
        config.windows = crate::config::Calendar::default();
    }
    config
}

/// A calendar of up to three windows at an offset, and a frequency
/// policy, from proptest's numbers.
pub(super) fn any_config(
    windows: &[(u8, u16, u16)],
    offset_minutes: i16,
    frequency: u8,
) -> Option<Config> {
    use crate::window::{Weekdays, Window};
    let mut calendar = crate::config::Calendar::new(UtcOffset::from_minutes(offset_minutes).ok()?);
    for &(days, start, length) in windows {
        let window = Window::new(Weekdays::from_bits_truncate(days), start, length).ok()?;
        calendar.push(window).ok()?;
    }
    let frequency = match frequency % 4 {
        0 => FrequencyPolicy::Adaptive,
        1 => FrequencyPolicy::Daily,
        2 => FrequencyPolicy::Weekly(crate::civil::Weekday::Saturday),
        _ => FrequencyPolicy::Manual,
    };
    let config = Config {
        windows: calendar,
        frequency,
        ..adaptive(true)
    };
    config.validate().ok()?;
    Some(config)
}
