//! Cost of `UpdateScheduler::poll` with 1,000 queued updates and nothing
//! due: the path a kernel takes on almost every tick.
//!
//! `cargo bench -p update-sched --bench scheduler`

use std::hint::black_box;
use std::time::Duration as StdDuration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use update_sched::civil::WallTime;
use update_sched::config::{Config, Profile};
use update_sched::gate::Metrics;
use update_sched::policy::ApprovalPolicy;
use update_sched::scheduler::UpdateScheduler;
use update_sched::update::UpdateRecord;
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

criterion_group!(benches, bench_poll);
criterion_main!(benches);
