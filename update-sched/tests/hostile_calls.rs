//! The scheduler and the platform protocol against careless callers: the
//! public API called in any order with any id (outcomes for updates that
//! never started, preemptions reported twice, cancels of running updates,
//! approvals twice, exclusive phases asked before a start), time that
//! stands still or goes backwards, and a platform that misbehaves under
//! `protocol::drive` (it fails every start, says it aborted what it does
//! not run or never aborts, lists held updates that do not run, twice, or
//! more than `MAX_HELD`).
//!
//! Built without `--release`, the scheduler's `debug_assert`s are on: a
//! call sequence that trips one fails here as the panic it is. After every
//! call the counts add up, and after every round what the platform runs
//! is what the scheduler counts as running; nothing starts twice, and
//! only a running update enters its exclusive phase, once.

use std::collections::BTreeSet;

use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use update_sched::civil::WallTime;
use update_sched::config::{Config, Profile};
use update_sched::gate::{Metrics, ResourceThresholds};
use update_sched::policy::{ApprovalPolicy, FrequencyPolicy};
use update_sched::protocol::{drive, Platform, Refusal, Round, MAX_HELD};
use update_sched::scheduler::{CommandError, Start, UpdateScheduler, UpdateState};
use update_sched::update::{UpdateFlags, UpdateRecord};
use update_sched::{Duration, Instant, Priority, UpdateId, UpdateKind};

/// How the platform answers `abort`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Aborts {
    /// Aborts what it runs, and says so; `false` for anything else.
    Honestly,
    /// Aborts what it runs, and says `true` for anything.
    AlwaysYes,
    /// Never aborts.
    Never,
}

/// A platform that installs nothing and misbehaves as told, and records
/// what `drive` asked of it.
#[derive(Debug)]
struct Hostile {
    /// What it runs: started and not yet ended or aborted.
    running: BTreeSet<u32>,
    aborts: Aborts,
    /// Every start fails.
    fails_starts: bool,
    /// The held list it gives, whatever it runs.
    held: Vec<UpdateId>,
    /// This round's calls.
    started: Vec<u32>,
    failed_starts: Vec<u32>,
    entered: Vec<u32>,
    refused: Vec<Refusal>,
    broken: Vec<String>,
}

impl Hostile {
    fn new() -> Hostile {
        Hostile {
            running: BTreeSet::new(),
            aborts: Aborts::Honestly,
            fails_starts: false,
            held: Vec::new(),
            started: Vec::new(),
            failed_starts: Vec::new(),
            entered: Vec::new(),
            refused: Vec::new(),
            broken: Vec::new(),
        }
    }
}

impl Platform for Hostile {
    fn start(&mut self, start: &Start) -> Result<(), &'static str> {
        if self.started.contains(&start.id.0) || self.failed_starts.contains(&start.id.0) {
            self.broken
                .push(format!("{} handed to start twice in a round", start.id));
        }
        if self.fails_starts {
            self.failed_starts.push(start.id.0);
            return Err("the platform fails every start");
        }
        self.started.push(start.id.0);
        if !self.running.insert(start.id.0) {
            self.broken
                .push(format!("{} started while it runs", start.id));
        }
        Ok(())
    }

    fn abort(&mut self, id: UpdateId) -> bool {
        match self.aborts {
            Aborts::Never => false,
            Aborts::Honestly => self.running.remove(&id.0),
            Aborts::AlwaysYes => {
                self.running.remove(&id.0);
                true
            }
        }
    }

    fn held(&self) -> impl Iterator<Item = UpdateId> + '_ {
        self.held.iter().copied()
    }

    fn enter_exclusive_phase(&mut self, id: UpdateId) {
        if self.entered.contains(&id.0) {
            self.broken
                .push(format!("{id} entered its exclusive phase twice in a round"));
        }
        if !self.running.contains(&id.0) {
            self.broken
                .push(format!("{id} entered its exclusive phase, not running"));
        }
        self.entered.push(id.0);
    }

    fn refused(&mut self, refusal: Refusal) {
        self.refused.push(refusal);
    }
}

#[derive(Clone, Debug)]
enum Op {
    Submit {
        id: u32,
        priority: u8,
        kind: u8,
        flags: u8,
        minutes: u16,
        dependency: Option<u32>,
        later_secs: u32,
    },
    Approve(u32),
    Reject(u32),
    Cancel(u32),
    /// Deferred by this many seconds from now (zero, or huge).
    Defer(u32, u64),
    /// An outcome reported by the test, outside the protocol.
    Outcome(u32, bool),
    Permanent(u32),
    /// A preemption reported by the test, unasked.
    Preempted(u32),
    /// An exclusive phase asked by the test, outside the protocol.
    Phase(u32),
    SetStaged(bool),
    Emergency(bool),
    /// Another configuration (of `config`), mid-run.
    SetConfig(u8),
    /// What the console asks: `explain`, `get` and the next wake.
    Ask(u32),
    /// The clock moves by this many seconds (backwards too) and a round
    /// of the protocol runs.
    Drive(i32),
    /// How the platform behaves from now on.
    Behave {
        aborts: Aborts,
        fails_starts: bool,
        /// Held ids: drawn from `id()`, so unknown ones and duplicates.
        held: Vec<u32>,
    },
}

/// An id: mostly one of the few the test submits, sometimes one never
/// submitted or at the end of the range.
fn id() -> impl Strategy<Value = u32> {
    prop_oneof![
        8 => 0u32..12,
        1 => Just(u32::MAX),
        1 => 12u32..100_000,
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let aborts = prop_oneof![
        Just(Aborts::Honestly),
        Just(Aborts::AlwaysYes),
        Just(Aborts::Never)
    ];
    prop_oneof![
        6 => (id(), 0u8..5, 0u8..5, 0u8..8, 0u16..200, proptest::option::weighted(0.2, id()), prop_oneof![3 => Just(0u32), 1 => 0u32..100_000])
            .prop_map(|(id, priority, kind, flags, minutes, dependency, later_secs)| Op::Submit { id, priority, kind, flags, minutes, dependency, later_secs }),
        2 => id().prop_map(Op::Approve),
        1 => id().prop_map(Op::Reject),
        2 => id().prop_map(Op::Cancel),
        2 => (id(), prop_oneof![Just(0u64), 1u64..100_000, Just(u64::from(u32::MAX)), Just(u64::MAX / 1_000)]).prop_map(|(id, secs)| Op::Defer(id, secs)),
        3 => (id(), proptest::bool::ANY).prop_map(|(id, ok)| Op::Outcome(id, ok)),
        1 => id().prop_map(Op::Permanent),
        2 => id().prop_map(Op::Preempted),
        2 => id().prop_map(Op::Phase),
        1 => proptest::bool::ANY.prop_map(Op::SetStaged),
        1 => proptest::bool::ANY.prop_map(Op::Emergency),
        1 => (0u8..8).prop_map(Op::SetConfig),
        2 => id().prop_map(Op::Ask),
        10 => prop_oneof![2 => Just(0i32), 6 => 1i32..20_000, 2 => -20_000i32..0].prop_map(Op::Drive),
        3 => (aborts, proptest::bool::weighted(0.3), proptest::collection::vec(id(), 0..MAX_HELD + 4))
            .prop_map(|(aborts, fails_starts, held)| Op::Behave { aborts, fails_starts, held }),
    ]
}

/// Open all week, no gates, no approvals: updates start at once.
fn open_config(max_concurrent: u8) -> Config {
    let mut config = Config {
        approval: ApprovalPolicy::NONE,
        frequency: FrequencyPolicy::Daily,
        max_concurrent,
        resources: ResourceThresholds::UNLIMITED,
        idle: ResourceThresholds::UNLIMITED,
        ..Config::preset(Profile::Basic)
    };
    config.windows = Default::default();
    config
        .windows
        .push("Mon 00:00 +7d".parse().unwrap())
        .unwrap();
    config
}

fn config(choice: u8) -> Config {
    match choice {
        0..=3 => Config::preset(Profile::ALL[usize::from(choice)]),
        _ => open_config(1 + choice % 3),
    }
}

/// Boot at a Saturday midnight UTC.
const BOOT_WALL: u64 = 1_795_392_000;

/// The counts add up, and agree with the states of the live updates.
fn check_counts(scheduler: &UpdateScheduler<16>, after: &Op) -> Result<(), TestCaseError> {
    let status = scheduler.status();
    prop_assert_eq!(status.total(), status.submitted, "after {:?}", after);
    let ids: Vec<UpdateId> = scheduler.ids().collect();
    prop_assert_eq!(status.live() as usize, ids.len(), "after {:?}", after);
    for state in UpdateState::ALL.into_iter().filter(|s| !s.is_final()) {
        let live = ids
            .iter()
            .filter(|&&id| scheduler.state_of(id) == Some(state))
            .count();
        prop_assert_eq!(
            status.count(state) as usize,
            live,
            "{} after {:?}",
            state,
            after
        );
    }
    prop_assert_eq!(
        u32::from(scheduler.running()),
        status.count(UpdateState::Running),
        "after {:?}",
        after
    );
    Ok(())
}

fn run(choice: u8, staged: bool, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut scheduler: UpdateScheduler<16> = UpdateScheduler::new(config(choice)).unwrap();
    let _ = scheduler.set_staged_updates(staged);
    let mut platform = Hostile::new();
    let mut now_secs: u64 = 0;
    for op in &ops {
        let now = Instant::from_secs(now_secs);
        match *op {
            Op::Submit {
                id,
                priority,
                kind,
                flags,
                minutes,
                dependency,
                later_secs,
            } => {
                let mut record = UpdateRecord::new(
                    UpdateId(id),
                    "pkg",
                    UpdateKind::ALL[usize::from(kind)],
                    Priority::ALL[usize::from(priority)],
                    Duration::from_minutes(u64::from(minutes)),
                    Instant::from_secs(now_secs + u64::from(later_secs)),
                );
                record.flags = UpdateFlags::from_bits_truncate(flags);
                if let Some(dependency) = dependency {
                    record.dependencies.push(UpdateId(dependency)).unwrap();
                }
                let _ = scheduler.submit(&record, now);
            }
            Op::Approve(id) => {
                let _ = scheduler.approve(UpdateId(id), now);
            }
            Op::Reject(id) => {
                let _ = scheduler.reject(UpdateId(id), now);
            }
            Op::Cancel(id) => {
                let _ = scheduler.cancel(UpdateId(id), now);
            }
            Op::Defer(id, secs) => {
                let until = Instant::from_secs(now_secs.saturating_add(secs));
                let _ = scheduler.defer(UpdateId(id), until, now);
            }
            Op::Outcome(id, ok) => {
                let outcome = if ok { Ok(()) } else { Err("broke") };
                if scheduler.report_outcome(UpdateId(id), outcome, now).is_ok() {
                    platform.running.remove(&id);
                }
            }
            Op::Permanent(id) => {
                if scheduler
                    .report_permanent_failure(UpdateId(id), "tampered", now)
                    .is_ok()
                {
                    platform.running.remove(&id);
                }
            }
            Op::Preempted(id) => {
                if scheduler.report_preempted(UpdateId(id), now).is_ok() {
                    platform.running.remove(&id);
                }
            }
            Op::Phase(id) => {
                let _ = scheduler.request_exclusive_phase(UpdateId(id), now);
            }
            Op::SetStaged(staged) => {
                let _ = scheduler.set_staged_updates(staged);
            }
            Op::Emergency(on) => scheduler.set_emergency(on),
            Op::SetConfig(choice) => {
                let _ = scheduler.set_config(config(choice));
            }
            Op::Ask(id) => {
                let wall = WallTime::from_unix_secs(BOOT_WALL + now_secs);
                if let Ok(explanation) = scheduler.explain(UpdateId(id), now, wall) {
                    let _ = explanation.to_string();
                }
                let _ = scheduler.get(UpdateId(id));
                let _ = scheduler.next_wake(now, wall);
                let _ = scheduler.next_timer(now, wall);
            }
            Op::Drive(delta) => {
                now_secs = now_secs.saturating_add_signed(i64::from(delta));
                let now = Instant::from_secs(now_secs);
                let wall = WallTime::from_unix_secs(BOOT_WALL + now_secs);
                let before: BTreeSet<u32> = scheduler
                    .ids()
                    .filter(|&id| scheduler.state_of(id) == Some(UpdateState::Running))
                    .map(|id| id.0)
                    .collect();
                platform.started.clear();
                platform.failed_starts.clear();
                platform.entered.clear();
                platform.refused.clear();
                let round = drive(&mut scheduler, now, wall, &Metrics::IDLE, &mut platform);
                check_round(&scheduler, &platform, &round, &before)?;
                while scheduler.pop_event().is_some() {}
            }
            Op::Behave {
                aborts,
                fails_starts,
                ref held,
            } => {
                platform.aborts = aborts;
                platform.fails_starts = fails_starts;
                platform.held = held.iter().map(|&id| UpdateId(id)).collect();
            }
        }
        check_counts(&scheduler, op)?;
    }
    Ok(())
}

/// One round's promises: its figures match the platform's calls, what the
/// platform runs is what the scheduler runs, and only an update running
/// before the round entered its exclusive phase.
fn check_round(
    scheduler: &UpdateScheduler<16>,
    platform: &Hostile,
    round: &Round,
    before: &BTreeSet<u32>,
) -> Result<(), TestCaseError> {
    prop_assert!(platform.broken.is_empty(), "{:?}", platform.broken);
    prop_assert_eq!(round.started, platform.started.len());
    prop_assert_eq!(round.not_started, platform.failed_starts.len());
    prop_assert_eq!(round.entered, platform.entered.len());
    for id in &platform.entered {
        prop_assert!(before.contains(id), "{} entered, not running", id);
    }
    let running: BTreeSet<u32> = scheduler
        .ids()
        .filter(|&id| scheduler.state_of(id) == Some(UpdateState::Running))
        .map(|id| id.0)
        .collect();
    prop_assert_eq!(&running, &platform.running, "{:?}", round);
    for &id in &platform.failed_starts {
        prop_assert_ne!(scheduler.state_of(UpdateId(id)), Some(UpdateState::Running));
    }
    Ok(())
}

fn repeatable(cases: u32) -> ProptestConfig {
    let config = ProptestConfig::default();
    let rng_seed = match config.rng_seed {
        RngSeed::Random => RngSeed::Fixed(12),
        chosen => chosen,
    };
    ProptestConfig {
        cases,
        rng_seed,
        ..config
    }
}

proptest! {
    #![proptest_config(repeatable(300))]

    /// Any sequence of public calls, with a misbehaving platform and a
    /// clock that may stand still or go backwards: no panic (in a debug
    /// build, no refused state transition), and every promise kept.
    #[test]
    fn prop_hostile_call_sequences_keep_every_promise(
        choice in 0u8..8,
        staged in proptest::bool::ANY,
        ops in proptest::collection::vec(op(), 1..150),
    ) {
        run(choice, staged, ops)?;
    }
}

/// Submits `id` at `now`, needing a reboot if `reboots`.
fn submit(scheduler: &mut UpdateScheduler<16>, id: u32, priority: Priority, reboots: bool) {
    let mut record = UpdateRecord::new(
        UpdateId(id),
        "pkg",
        UpdateKind::Application,
        priority,
        Duration::from_minutes(10),
        Instant::ZERO,
    );
    if reboots {
        record.flags = UpdateFlags::NEEDS_REBOOT;
    }
    scheduler.submit(&record, Instant::ZERO).unwrap();
}

fn round(scheduler: &mut UpdateScheduler<16>, platform: &mut Hostile, secs: u64) -> Round {
    platform.started.clear();
    platform.failed_starts.clear();
    platform.entered.clear();
    platform.refused.clear();
    let wall = WallTime::from_unix_secs(BOOT_WALL + secs);
    drive(
        scheduler,
        Instant::from_secs(secs),
        wall,
        &Metrics::IDLE,
        platform,
    )
}

#[test]
fn test_every_start_failing_leaves_nothing_running_and_counts_each_attempt() {
    let mut scheduler: UpdateScheduler<16> = UpdateScheduler::new(open_config(2)).unwrap();
    let mut platform = Hostile::new();
    platform.fails_starts = true;
    for id in 1..=3 {
        submit(&mut scheduler, id, Priority::Important, false);
    }
    let mut failed = 0;
    for minute in 0..2_000 {
        let round = round(&mut scheduler, &mut platform, minute * 60);
        failed += round.not_started;
        assert_eq!(round.started, 0);
        assert_eq!(scheduler.running(), 0);
        assert!(platform.refused.is_empty(), "{:?}", platform.refused);
    }
    // Each failed start spent an attempt: the retry policy gave up.
    let status = scheduler.status();
    assert_eq!(status.count(UpdateState::Failed), 3, "{status}");
    assert!(failed >= 3);
}

#[test]
fn test_held_unknown_or_not_running_id_does_not_enter_its_exclusive_phase() {
    let mut scheduler: UpdateScheduler<16> = UpdateScheduler::new(open_config(2)).unwrap();
    scheduler.set_staged_updates(true).unwrap();
    let mut platform = Hostile::new();
    submit(&mut scheduler, 1, Priority::Important, true);
    // Unknown, and known but not running (deferred).
    let mut waiting = UpdateRecord::new(
        UpdateId(2),
        "later",
        UpdateKind::Application,
        Priority::Important,
        Duration::from_minutes(10),
        Instant::from_secs(86_400),
    );
    waiting.flags = UpdateFlags::NEEDS_REBOOT;
    scheduler.submit(&waiting, Instant::ZERO).unwrap();
    round(&mut scheduler, &mut platform, 0);
    platform.held = vec![UpdateId(77), UpdateId(2)];
    let round = round(&mut scheduler, &mut platform, 60);
    assert!(platform.entered.is_empty(), "{:?}", platform.entered);
    assert_eq!(round.entered, 0);
    assert_eq!(
        platform.refused,
        [
            Refusal::ExclusivePhase(UpdateId(77), CommandError::UnknownId),
            Refusal::ExclusivePhase(UpdateId(2), CommandError::NotRunning),
        ]
    );
}

#[test]
fn test_held_id_listed_twice_enters_its_exclusive_phase_once() {
    let mut scheduler: UpdateScheduler<16> = UpdateScheduler::new(open_config(2)).unwrap();
    scheduler.set_staged_updates(true).unwrap();
    let mut platform = Hostile::new();
    submit(&mut scheduler, 1, Priority::Important, true);
    round(&mut scheduler, &mut platform, 0);
    platform.held = vec![UpdateId(1), UpdateId(1), UpdateId(1)];
    let round = round(&mut scheduler, &mut platform, 60);
    assert_eq!(platform.entered, [1]);
    assert_eq!(round.entered, 1);
    assert!(platform.broken.is_empty(), "{:?}", platform.broken);
}

#[test]
fn test_held_id_listed_twice_while_others_run_waits_once() {
    let mut scheduler: UpdateScheduler<16> = UpdateScheduler::new(open_config(3)).unwrap();
    scheduler.set_staged_updates(true).unwrap();
    let mut platform = Hostile::new();
    submit(&mut scheduler, 1, Priority::Important, false);
    submit(&mut scheduler, 2, Priority::Important, true);
    round(&mut scheduler, &mut platform, 0);
    assert_eq!(scheduler.running(), 2);
    platform.held = vec![UpdateId(2), UpdateId(2)];
    let round = round(&mut scheduler, &mut platform, 60);
    assert_eq!((round.entered, round.waiting), (0, 1));
}

#[test]
fn test_more_held_than_max_held_asks_no_more_than_max_held() {
    let mut scheduler: UpdateScheduler<16> = UpdateScheduler::new(open_config(2)).unwrap();
    scheduler.set_staged_updates(true).unwrap();
    let mut platform = Hostile::new();
    submit(&mut scheduler, 1, Priority::Important, true);
    round(&mut scheduler, &mut platform, 0);
    // Unknown ids first, the real one past the limit: asked next round.
    platform.held = (100..100 + MAX_HELD as u32 + 3).map(UpdateId).collect();
    platform.held.push(UpdateId(1));
    let round = round(&mut scheduler, &mut platform, 60);
    assert_eq!(round.entered, 0);
    assert_eq!(platform.refused.len(), MAX_HELD);
    assert!(platform.broken.is_empty(), "{:?}", platform.broken);
}

#[test]
fn test_drive_twice_at_the_same_instant_starts_nothing_twice() {
    let mut scheduler: UpdateScheduler<16> = UpdateScheduler::new(open_config(2)).unwrap();
    let mut platform = Hostile::new();
    for id in 1..=4 {
        submit(&mut scheduler, id, Priority::Important, false);
    }
    let first = round(&mut scheduler, &mut platform, 0);
    let second = round(&mut scheduler, &mut platform, 0);
    assert_eq!((first.started, second.started), (2, 0));
    assert!(platform.broken.is_empty(), "{:?}", platform.broken);
}

#[test]
fn test_drive_with_time_going_backwards_does_not_panic_or_restart() {
    let mut scheduler: UpdateScheduler<16> = UpdateScheduler::new(open_config(1)).unwrap();
    let mut platform = Hostile::new();
    submit(&mut scheduler, 1, Priority::Important, false);
    submit(&mut scheduler, 2, Priority::Critical, true);
    round(&mut scheduler, &mut platform, 10_000);
    round(&mut scheduler, &mut platform, 0);
    round(&mut scheduler, &mut platform, 5_000);
    assert!(platform.broken.is_empty(), "{:?}", platform.broken);
    assert_eq!(
        u32::from(scheduler.running()),
        scheduler.status().count(UpdateState::Running)
    );
}

#[test]
fn test_odd_call_orders_are_refused_without_tripping_the_state_machine() {
    let mut scheduler: UpdateScheduler<16> = UpdateScheduler::new(open_config(1)).unwrap();
    let now = Instant::ZERO;
    submit(&mut scheduler, 1, Priority::Important, true);
    submit(&mut scheduler, 2, Priority::Important, false);
    // Before anything started.
    assert_eq!(
        scheduler.report_outcome(UpdateId(1), Ok(()), now),
        Err(CommandError::NotRunning)
    );
    assert_eq!(
        scheduler.report_preempted(UpdateId(1), now),
        Err(CommandError::NotRunning)
    );
    assert_eq!(
        scheduler.request_exclusive_phase(UpdateId(1), now),
        Err(CommandError::NotRunning)
    );
    assert_eq!(scheduler.approve(UpdateId(2), now), Ok(()));
    assert_eq!(
        scheduler.approve(UpdateId(2), now),
        Err(CommandError::AlreadyApproved)
    );
    let mut platform = Hostile::new();
    round(&mut scheduler, &mut platform, 0);
    assert_eq!(platform.started, [1]);
    // While it runs.
    assert_eq!(
        scheduler.cancel(UpdateId(1), now),
        Err(CommandError::Running)
    );
    assert_eq!(
        scheduler.defer(UpdateId(1), Instant::from_secs(3_600), now),
        Err(CommandError::Running)
    );
    assert_eq!(
        scheduler.approve(UpdateId(1), now),
        Err(CommandError::Running)
    );
    // Preempted twice, the second time no longer running.
    assert_eq!(scheduler.report_preempted(UpdateId(1), now), Ok(()));
    assert_eq!(
        scheduler.report_preempted(UpdateId(1), now),
        Err(CommandError::NotRunning)
    );
    assert_eq!(scheduler.running(), 0);
    // Ended, then reported again.
    platform.running.clear();
    round(&mut scheduler, &mut platform, 0);
    let [next] = platform.started[..] else {
        panic!("{:?}", platform.started);
    };
    assert_eq!(
        scheduler.report_outcome(UpdateId(next), Ok(()), now),
        Ok(())
    );
    assert_eq!(
        scheduler.report_outcome(UpdateId(next), Err("again"), now),
        Err(CommandError::Finished(UpdateState::Completed))
    );
    assert_eq!(
        scheduler.cancel(UpdateId(next), now),
        Err(CommandError::Finished(UpdateState::Completed))
    );
    let status = scheduler.status();
    assert_eq!(status.total(), status.submitted);
    assert_eq!(
        u32::from(scheduler.running()),
        status.count(UpdateState::Running)
    );
}
