//! Hostile and careless uses of the latest-start rule: orders that only
//! keep every deadline when a later deadline goes first, many updates
//! with deadlines, times near the end of the scheduler's clock, changes
//! of the concurrency limit while updates wait, and `explain` and
//! `next_wake` against what `poll` then does.

use update_sched::civil::WallTime;
use update_sched::config::{Config, Deadlines, Profile};
use update_sched::gate::{Metrics, ResourceThresholds};
use update_sched::policy::{
    ApprovalPolicy, DeadlineApprovalPolicy, FrequencyPolicy, UnapprovedAtDeadline,
};
use update_sched::scheduler::{UpdateScheduler, UpdateState};
use update_sched::update::UpdateRecord;
use update_sched::{Duration, Instant, Priority, UpdateId, UpdateKind};

const BOOT: &str = "2026-11-27T20:00:00Z";

/// Security due in 3 hours, Important in 6.
const SHORT_DEADLINES: Deadlines = Deadlines::DEFAULT
    .with(Priority::Security, Some(Duration::from_hours(3)))
    .with(Priority::Important, Some(Duration::from_hours(6)));

/// Nothing starts but by force: manual release, no windows, no gates.
fn forced_only(max_concurrent: u8) -> Config {
    Config {
        frequency: FrequencyPolicy::Manual,
        windows: Default::default(),
        approval: ApprovalPolicy::NONE,
        deadlines: SHORT_DEADLINES,
        max_concurrent,
        resources: ResourceThresholds::UNLIMITED,
        idle: ResourceThresholds::UNLIMITED,
        ..Config::preset(Profile::Basic)
    }
}

/// One at a time, released daily in a window from 02:00 to 05:00 (boot is
/// Friday 20:00, so minutes 360 to 540), no gates, with `deadlines`.
fn nightly_window(deadlines: Deadlines) -> Config {
    let mut config = Config {
        frequency: FrequencyPolicy::Daily,
        approval: ApprovalPolicy::NONE,
        deadlines,
        max_concurrent: 1,
        resources: ResourceThresholds::UNLIMITED,
        idle: ResourceThresholds::UNLIMITED,
        ..Config::preset(Profile::Basic)
    };
    config.windows = Default::default();
    config
        .windows
        .push("Mon..Sun 02:00 +180m".parse().unwrap())
        .unwrap();
    config
}

fn minute(at: u64) -> Instant {
    Instant::ZERO + Duration::from_minutes(at)
}

fn wall(now: Instant) -> WallTime {
    let boot: WallTime = BOOT.parse().unwrap();
    boot.saturating_add(now.since_boot())
}

fn record(id: u32, priority: Priority, available: u64, minutes: u64) -> UpdateRecord {
    UpdateRecord::new(
        UpdateId(id),
        "pkg",
        UpdateKind::Application,
        priority,
        Duration::from_minutes(minutes),
        minute(available),
    )
}

/// Polls once a minute from `from` to `to`, reporting each start done
/// once its estimate has passed. Returns the starts as (id, minute).
fn drive<const N: usize>(
    scheduler: &mut UpdateScheduler<N>,
    from: u64,
    to: u64,
) -> Vec<(u32, u64)> {
    let mut started = Vec::new();
    let mut running: Vec<(UpdateId, u64)> = Vec::new();
    for at in from..=to {
        let now = minute(at);
        running.retain(|&(id, ends)| {
            if ends > at {
                return true;
            }
            scheduler.report_outcome(id, Ok(()), now).unwrap();
            false
        });
        for start in scheduler.poll(now, wall(now), &Metrics::IDLE) {
            started.push((start.id.0, at));
            running.push((start.id, at + start.estimated_duration.as_minutes()));
        }
    }
    started
}

#[test]
fn short_update_due_just_after_a_long_one_goes_first_and_neither_misses() {
    // X 100 min due at 180, A 100 min due at 190, B 5 min due at 195.
    // In deadline order B starts at 200; X, B, A keeps every deadline.
    let mut scheduler: UpdateScheduler<16> = UpdateScheduler::new(forced_only(1)).unwrap();
    scheduler
        .submit(&record(1, Priority::Security, 0, 100), Instant::ZERO)
        .unwrap();
    scheduler
        .submit(&record(2, Priority::Security, 10, 100), Instant::ZERO)
        .unwrap();
    scheduler
        .submit(&record(3, Priority::Security, 15, 5), Instant::ZERO)
        .unwrap();
    let started = drive(&mut scheduler, 0, 600);
    assert_eq!(scheduler.status().total_deadline_misses(), 0, "{started:?}");
}

#[test]
fn more_than_32_updates_with_deadlines_on_four_lanes_are_not_forced_hours_early() {
    // 64 Important updates of 10 minutes due in 6 hours, 4 at a time:
    // 160 minutes of work per lane. None needs forcing in the first hour.
    let mut scheduler: UpdateScheduler<128> = UpdateScheduler::new(forced_only(4)).unwrap();
    for id in 0..64 {
        scheduler
            .submit(&record(id, Priority::Important, 0, 10), Instant::ZERO)
            .unwrap();
    }
    let started = drive(&mut scheduler, 0, 60);
    assert!(
        started.is_empty(),
        "{} started in the first hour: {started:?}",
        started.len()
    );
    let started = drive(&mut scheduler, 61, 800);
    assert_eq!(started.len(), 64);
    assert_eq!(scheduler.status().total_deadline_misses(), 0);
}

#[test]
fn latest_starts_near_the_end_of_the_clock_do_not_overflow() {
    let end = u64::from(u32::MAX);
    for max_concurrent in [1, 3] {
        let mut scheduler: UpdateScheduler<64> =
            UpdateScheduler::new(forced_only(max_concurrent)).unwrap();
        let base = end / 60 - 200;
        for id in 0..40u32 {
            let priority =
                [Priority::Critical, Priority::Security, Priority::Important][id as usize % 3];
            let mut record = record(
                id,
                priority,
                base + u64::from(id) * 3,
                1 + u64::from(id) * 7,
            );
            if id == 5 {
                record.estimated_duration = Duration::from_hours(18);
            }
            scheduler.submit(&record, minute(base - 10)).unwrap();
        }
        let _ = drive(&mut scheduler, base - 10, base + 400);
        let now = Instant::from_secs(end + 5_000);
        let _ = scheduler.poll(now, wall(now), &Metrics::IDLE);
        let _ = scheduler.next_wake(now, wall(now));
        for id in 0..40 {
            let _ = scheduler.explain(UpdateId(id), now, wall(now));
        }
        let status = scheduler.status();
        assert_eq!(status.total(), 40);
    }
}

#[test]
fn lowering_max_concurrent_while_updates_wait_keeps_their_deadlines() {
    let mut scheduler: UpdateScheduler<16> = UpdateScheduler::new(forced_only(3)).unwrap();
    for id in 0..3 {
        scheduler
            .submit(&record(id, Priority::Security, 0, 50), Instant::ZERO)
            .unwrap();
    }
    // 3 lanes: all forced at 180. Down to 1 lane at minute 60: they must
    // be forced at 80, 130 and 180.
    let mut started = drive(&mut scheduler, 0, 59);
    scheduler.set_config(forced_only(1)).unwrap();
    started.extend(drive(&mut scheduler, 60, 400));
    assert_eq!(scheduler.status().total_deadline_misses(), 0, "{started:?}");
}

#[test]
fn raising_max_concurrent_while_updates_wait_forces_them_later() {
    let mut scheduler: UpdateScheduler<16> = UpdateScheduler::new(forced_only(1)).unwrap();
    for id in 0..3 {
        scheduler
            .submit(&record(id, Priority::Security, 0, 50), Instant::ZERO)
            .unwrap();
    }
    let mut started = drive(&mut scheduler, 0, 29);
    scheduler.set_config(forced_only(3)).unwrap();
    started.extend(drive(&mut scheduler, 30, 400));
    assert_eq!(started, [(0, 180), (1, 180), (2, 180)]);
}

#[test]
fn platform_polling_only_at_next_wake_keeps_every_deadline() {
    // Polled only at next_wake, the platform must still start every
    // update in time.
    let mut scheduler: UpdateScheduler<32> = UpdateScheduler::new(forced_only(2)).unwrap();
    let mut running: Vec<(UpdateId, Instant)> = Vec::new();
    let mut submitted = 0u32;
    let mut now = Instant::ZERO;
    let estimates = [30u64, 95, 5, 60, 120, 15, 45, 10];
    let mut steps = 0;
    while now < minute(2000) && steps < 10_000 {
        steps += 1;
        running.retain(|&(id, ends)| {
            if ends > now {
                return true;
            }
            scheduler.report_outcome(id, Ok(()), now).unwrap();
            false
        });
        if submitted < 8 && now >= minute(u64::from(submitted) * 17) {
            let priority = if submitted.is_multiple_of(2) {
                Priority::Security
            } else {
                Priority::Important
            };
            let record = record(
                submitted,
                priority,
                u64::from(submitted) * 17,
                estimates[submitted as usize],
            );
            scheduler.submit(&record, now).unwrap();
            submitted += 1;
        }
        for start in scheduler.poll(now, wall(now), &Metrics::IDLE) {
            running.push((start.id, now.saturating_add(start.estimated_duration)));
        }
        let mut next = scheduler.next_wake(now, wall(now)).unwrap_or(minute(2000));
        for &(_, ends) in &running {
            next = next.min(ends);
        }
        if submitted < 8 {
            next = next.min(minute(u64::from(submitted) * 17));
        }
        now = next.max(now.saturating_add(Duration::from_secs(1)));
    }
    assert_eq!(scheduler.status().total_deadline_misses(), 0);
    assert_eq!(scheduler.status().count(UpdateState::Completed), 8);
}

#[test]
fn low_update_is_not_starved_by_a_stream_of_unapproved_security_updates() {
    // Windows every night 02:00 for 3 hours (boot is Friday 20:00, so
    // minute 360 is 02:00). A Security update that needs approval, never
    // given, arrives every 20 minutes; each counts until its deadline,
    // and is then left waiting for a person (escalated), not installed.
    let config = Config {
        unapproved_at_deadline: DeadlineApprovalPolicy::DEFAULT
            .with(Priority::Security, UnapprovedAtDeadline::Escalate),
        ..nightly_window(Deadlines::DEFAULT)
    };
    let mut scheduler: UpdateScheduler<512> = UpdateScheduler::new(config).unwrap();
    let mut next_id = 1000;
    let mut low_started = None;
    for at in 0..5 * 24 * 60u64 {
        let now = minute(at);
        if at % 20 == 0 {
            let mut stream = record(next_id, Priority::Security, at, 10);
            stream.flags = update_sched::update::UpdateFlags::NEEDS_APPROVAL;
            scheduler.submit(&stream, now).unwrap();
            next_id += 1;
        }
        if at == 24 * 60 {
            scheduler
                .submit(&record(1, Priority::Low, at, 60), now)
                .unwrap();
        }
        for start in scheduler.poll(now, wall(now), &Metrics::IDLE) {
            if start.id == UpdateId(1) {
                low_started = Some(at);
            }
        }
    }
    let why = scheduler.explain(UpdateId(1), minute(5 * 24 * 60), wall(minute(5 * 24 * 60)));
    assert!(
        low_started.is_some(),
        "{:?}",
        why.map(|why| why.to_string())
    );
}

#[test]
fn approved_update_holds_room_for_its_latest_start_at_once() {
    // Window 02:00 to 05:00 (minutes 360 to 540). A 150-minute Security
    // update that needs approval, due at 480, is approved at 419: too
    // long for what is left of the window, it waits to be forced at 480.
    // A 70-minute Low update at 420 would still run then: it must wait.
    let config = nightly_window(SHORT_DEADLINES);
    let mut scheduler: UpdateScheduler<16> = UpdateScheduler::new(config).unwrap();
    let mut security = record(1, Priority::Security, 300, 150);
    security.flags = update_sched::update::UpdateFlags::NEEDS_APPROVAL;
    scheduler.submit(&security, minute(300)).unwrap();
    let mut started = drive(&mut scheduler, 300, 418);
    scheduler.approve(UpdateId(1), minute(419)).unwrap();
    started.extend(drive(&mut scheduler, 419, 419));
    scheduler
        .submit(&record(2, Priority::Low, 420, 70), minute(420))
        .unwrap();
    started.extend(drive(&mut scheduler, 420, 800));
    assert_eq!(scheduler.status().total_deadline_misses(), 0, "{started:?}");
    assert_eq!(started[0], (1, 480), "{started:?}");
}

/// Window 02:00 to 05:00 (minutes 360 to 540); a 150-minute Security
/// update due at 480, available at 300, too long for what is left of the
/// window after 390, waits to be forced. A 70-minute Low update submitted
/// at 420 would still run at 480: it waits for room.
fn low_waiting_for_room_of_a_long_security_update() -> UpdateScheduler<16> {
    let config = nightly_window(SHORT_DEADLINES);
    let mut scheduler: UpdateScheduler<16> = UpdateScheduler::new(config).unwrap();
    scheduler
        .submit(&record(1, Priority::Security, 300, 150), minute(300))
        .unwrap();
    // Keep the Security update out of the window's first half hour.
    scheduler
        .defer(UpdateId(1), minute(400), minute(300))
        .unwrap();
    assert!(drive(&mut scheduler, 300, 419).is_empty());
    scheduler
        .submit(&record(2, Priority::Low, 420, 70), minute(420))
        .unwrap();
    assert!(drive(&mut scheduler, 420, 424).is_empty());
    scheduler
}

#[test]
fn cancelling_an_update_frees_the_room_kept_for_it_at_once() {
    let mut scheduler = low_waiting_for_room_of_a_long_security_update();
    scheduler.cancel(UpdateId(1), minute(425)).unwrap();
    assert_eq!(drive(&mut scheduler, 425, 425), [(2, 425)]);
}

#[test]
fn deferring_an_update_past_its_deadline_frees_the_room_kept_for_it() {
    let mut scheduler = low_waiting_for_room_of_a_long_security_update();
    scheduler
        .defer(UpdateId(1), minute(2000), minute(425))
        .unwrap();
    assert_eq!(drive(&mut scheduler, 425, 425), [(2, 425)]);
}

#[test]
fn update_of_18_hours_is_not_forced_17_hours_before_its_deadline() {
    // Default deadlines (Security in 24 h), one at a time. An 18-hour
    // Security update due at minute 1440 and four 10-minute ones due an
    // hour later: the short ones can go first, before 1440, and the long
    // one at its deadline; none need start before minute 1400.
    let config = Config {
        deadlines: Deadlines::DEFAULT,
        ..forced_only(1)
    };
    let mut scheduler: UpdateScheduler<16> = UpdateScheduler::new(config).unwrap();
    scheduler
        .submit(&record(1, Priority::Security, 0, 18 * 60), Instant::ZERO)
        .unwrap();
    for id in 2..6 {
        scheduler
            .submit(&record(id, Priority::Security, 60, 10), Instant::ZERO)
            .unwrap();
    }
    let started = drive(&mut scheduler, 0, 3000);
    assert_eq!(scheduler.status().total_deadline_misses(), 0, "{started:?}");
    assert!(started.iter().all(|&(_, at)| at >= 1400), "{started:?}");
}

#[test]
fn full_queue_of_updates_with_deadlines_keeps_counts_and_lanes() {
    // 1,024 Security and Important updates, far more than fit before
    // their deadlines on three lanes: nothing panics, at most three run,
    // and the counts add up throughout.
    let mut scheduler = Box::new(UpdateScheduler::<1024>::new(forced_only(3)).unwrap());
    for id in 0..1024u32 {
        let priority = if id % 3 == 0 {
            Priority::Security
        } else {
            Priority::Important
        };
        let record = record(id, priority, u64::from(id % 97), 5 + u64::from(id % 40));
        scheduler.submit(&record, Instant::ZERO).unwrap();
    }
    let mut running: Vec<(UpdateId, u64)> = Vec::new();
    for at in (0..8 * 24 * 60u64).step_by(5) {
        let now = minute(at);
        running.retain(|&(id, ends)| {
            if ends > at {
                return true;
            }
            scheduler.report_outcome(id, Ok(()), now).unwrap();
            false
        });
        for start in scheduler.poll(now, wall(now), &Metrics::IDLE) {
            running.push((start.id, at + start.estimated_duration.as_minutes()));
        }
        assert!(running.len() <= 3);
        let status = scheduler.status();
        assert_eq!(status.total(), 1024);
        while scheduler.pop_event().is_some() {}
    }
    assert_eq!(
        scheduler.status().count(UpdateState::Completed) as usize + running.len(),
        1024
    );
}
