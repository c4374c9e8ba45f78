//! Cost of the scheduler path a kernel takes.
//!
//! - `poll_nothing_due`: `UpdateScheduler::poll` with 1,000 queued updates
//!   and nothing due, the path a kernel takes on almost every tick.
//! - `kernel_week`: a simulated week as the kernel's demo runs it: the
//!   desktop preset (Adaptive, weekdays 01:00-04:00), n Low updates of 15
//!   minutes submitted and approved at the start, then every minute
//!   `observe` (office workload, seed 1), the outcomes of finished runs,
//!   `poll`, `next_wake` and draining events. Throughput is the 10,080
//!   minutes of the week, so the time per iteration divided by 10,080 is
//!   the cost per simulated minute.
//! - `plan_week`: one Adaptive plan over a week (no windows) from a
//!   pattern that learned a week of the office workload.
//!
//! `cargo bench -p update-sched-bench --bench scheduler`

use std::hint::black_box;
use std::time::Duration as StdDuration;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use update_sched::civil::{UtcOffset, WallTime};
use update_sched::config::{Config, Profile};
use update_sched::gate::Metrics;
use update_sched::pattern::UsagePattern;
use update_sched::policy::ApprovalPolicy;
use update_sched::scheduler::UpdateScheduler;
use update_sched::update::UpdateRecord;
use update_sched::workload::{Workload, WorkloadKind};
use update_sched::{Duration, Instant, Priority, UpdateId, UpdateKind};

const QUEUED: u32 = 1_000;

/// A scheduler holding `QUEUED` Optional and Low updates at Friday noon,
/// when the Basic profile's Saturday window is closed: nothing can start.
fn loaded() -> (Box<UpdateScheduler<1024>>, WallTime) {
    let config = Config {
        approval: ApprovalPolicy::NONE,
        ..Config::preset(Profile::Basic)
    };
    let mut scheduler = Box::new(UpdateScheduler::<1024>::new(config).expect("valid"));
    let wall: WallTime = "2026-11-27T12:00:00Z".parse().expect("timestamp");
    for id in 0..QUEUED {
        let priority = if id % 2 == 0 {
            Priority::Optional
        } else {
            Priority::Low
        };
        let record = UpdateRecord::new(
            UpdateId(id),
            "bench",
            UpdateKind::Application,
            priority,
            Duration::from_minutes(10),
            Instant::ZERO,
        );
        scheduler.submit(&record, Instant::ZERO).expect("room");
    }
    let _ = scheduler.poll(Instant::ZERO, wall, &Metrics::IDLE);
    while scheduler.pop_event().is_some() {}
    (scheduler, wall)
}

fn bench_poll(c: &mut Criterion) {
    println!(
        "size_of::<UpdateScheduler<1024>>() = {} bytes",
        std::mem::size_of::<UpdateScheduler<1024>>()
    );
    let mut group = c.benchmark_group("poll_nothing_due");
    group
        .sample_size(30)
        .measurement_time(StdDuration::from_secs(3))
        .warm_up_time(StdDuration::from_secs(1));

    let (mut scheduler, wall) = loaded();
    let mut tick = 0u64;
    group.bench_function(BenchmarkId::new("same_minute", QUEUED), |b| {
        b.iter(|| {
            // 10 ms ticks inside one wall-clock minute: the window answer
            // is cached.
            tick = (tick + 10) % 60_000;
            let now = Instant::from_millis(tick);
            black_box(scheduler.poll(now, wall, &Metrics::IDLE))
        })
    });

    let (mut scheduler, wall) = loaded();
    let mut minute = 0u64;
    group.bench_function(BenchmarkId::new("new_minute", QUEUED), |b| {
        b.iter(|| {
            // Each poll in a new minute: the calendar is asked again.
            minute = (minute + 1) % 600;
            let now = Instant::from_millis(minute * 60_000);
            let wall = wall.saturating_add(Duration::from_minutes(minute));
            black_box(scheduler.poll(now, wall, &Metrics::IDLE))
        })
    });
    group.finish();
}

/// Minutes in the simulated week.
const WEEK_MINUTES: u64 = 7 * 24 * 60;

/// The desktop preset holding `queued` approved Low updates of 15 minutes,
/// at the start of the week, its events drained.
fn desktop(queued: u32) -> Box<UpdateScheduler<1024>> {
    let mut scheduler =
        Box::new(UpdateScheduler::<1024>::new(Config::preset(Profile::Desktop)).expect("valid"));
    for id in 0..queued {
        let record = UpdateRecord::new(
            UpdateId(id),
            "bench",
            UpdateKind::Application,
            Priority::Low,
            Duration::from_minutes(15),
            Instant::ZERO,
        );
        scheduler.submit(&record, Instant::ZERO).expect("room");
        scheduler
            .approve(UpdateId(id), Instant::ZERO)
            .expect("approvable");
        while scheduler.pop_event().is_some() {}
    }
    scheduler
}

/// One simulated week, minute by minute, as the kernel drives it; the
/// metrics are sampled beforehand (the kernel's sampler is not part of
/// the scheduler path). Returns how many updates started.
fn run_week(scheduler: &mut UpdateScheduler<1024>, start: WallTime, metrics: &[Metrics]) -> usize {
    // (end minute, id) of the installations in progress.
    let mut running: std::vec::Vec<(u64, UpdateId)> = std::vec::Vec::new();
    let mut started = 0;
    for (minute, metrics) in (0..WEEK_MINUTES).zip(metrics) {
        let now = Instant::from_secs(minute * 60);
        let wall = start.saturating_add(Duration::from_minutes(minute));
        scheduler.observe(wall, metrics);
        running.retain(|&(end, id)| {
            if end > minute {
                return true;
            }
            scheduler.report_outcome(id, Ok(()), now).expect("running");
            false
        });
        let starts = scheduler.poll(now, wall, metrics);
        for start in &starts {
            started += 1;
            running.push((minute + start.estimated_duration.as_minutes(), start.id));
        }
        black_box(scheduler.next_wake(now, wall));
        while let Some(event) = scheduler.pop_event() {
            black_box(event);
        }
    }
    started
}

fn bench_kernel_week(c: &mut Criterion) {
    let start: WallTime = "2026-11-02T00:00:00Z".parse().expect("timestamp");
    let workload = Workload::new(WorkloadKind::Office, 1, start, UtcOffset::UTC);
    let metrics: std::vec::Vec<Metrics> = (0..WEEK_MINUTES)
        .map(|minute| workload.sample(start.saturating_add(Duration::from_minutes(minute))))
        .collect();
    let mut group = c.benchmark_group("kernel_week");
    group
        .sample_size(10)
        .measurement_time(StdDuration::from_secs(3))
        .warm_up_time(StdDuration::from_secs(1))
        .throughput(Throughput::Elements(WEEK_MINUTES));
    for queued in [0, 20, QUEUED] {
        group.bench_function(BenchmarkId::from_parameter(queued), |b| {
            b.iter_batched(
                || desktop(queued),
                |mut scheduler| black_box(run_week(&mut scheduler, start, &metrics)),
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

/// One plan over a week: `UsagePattern::quietest_start` for a 15-minute
/// update with a week of room and no windows, from a pattern that learned
/// a week of the office workload, at 97 different moments of a day.
fn bench_plan(c: &mut Criterion) {
    let start: WallTime = "2026-11-02T00:00:00Z".parse().expect("timestamp");
    let workload = Workload::new(WorkloadKind::Office, 1, start, UtcOffset::UTC);
    let mut pattern = UsagePattern::default();
    for minute in 0..WEEK_MINUTES {
        let wall = start.saturating_add(Duration::from_minutes(minute));
        pattern.observe(wall, UtcOffset::UTC, &workload.sample(wall));
    }
    let mut group = c.benchmark_group("plan_week");
    group
        .sample_size(20)
        .measurement_time(StdDuration::from_secs(3))
        .warm_up_time(StdDuration::from_secs(1));
    let mut step = 0u64;
    group.bench_function("office_no_windows", |b| {
        b.iter(|| {
            step = (step + 1) % 97;
            let from = start.saturating_add(Duration::from_minutes(WEEK_MINUTES + step * 15));
            black_box(pattern.quietest_start(
                from,
                from.saturating_add(Duration::from_days(7)),
                Duration::from_minutes(15),
                UtcOffset::UTC,
                &[],
                |_| true,
            ))
        })
    });
    group.finish();
}

criterion_group!(benches, bench_poll, bench_kernel_week, bench_plan);
criterion_main!(benches);
