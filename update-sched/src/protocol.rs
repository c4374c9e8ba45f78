//! The platform protocol: the calls a platform makes to the scheduler in
//! each round, in order, written once.
//!
//! The scheduler decides and the platform installs. Between the two runs
//! a fixed sequence of calls, the same for a kernel's worker, a
//! simulation or a test, and [`drive`] makes it:
//!
//! 1. Every held update (staged: installed into an inactive slot, its
//!    reboot or flash still to come; see [`Platform::held`]) asks
//!    [`UpdateScheduler::request_exclusive_phase`]. One granted enters
//!    its phase ([`Platform::enter_exclusive_phase`]); one told to wait
//!    stays held and asks again in the next round. One the scheduler
//!    does not count as running (no such update, or not running) is
//!    refused ([`Platform::refused`]) and does not enter its phase.
//! 2. [`UpdateScheduler::poll`].
//! 3. [`UpdateScheduler::preempt_request`]. If it names a running update
//!    the platform aborts it, if it can still be abandoned
//!    ([`Platform::abort`]); if it did, [`UpdateScheduler::report_preempted`]
//!    and a second poll, so that the Critical update starts in this round.
//!    One the platform cannot abandon runs on, and the Critical update
//!    waits for it.
//! 4. What both polls returned starts, in order ([`Platform::start`]). An
//!    update the platform cannot start is reported as a failed attempt
//!    ([`UpdateScheduler::report_outcome`]), so the scheduler does not
//!    count it as running.
//!
//! Held updates ask first so that a reboot granted after an outcome was
//! reported is not overtaken by what the poll would start beside it. The
//! starts come last, after any preemption, so the platform has freed what
//! it abandoned before it starts the Critical update that takes its place.
//!
//! A round is the platform's whole share of a poll: call [`drive`]
//! wherever a bare `poll` would go (on every tick, or at
//! [`UpdateScheduler::next_wake`]), after reporting the outcomes of the
//! installations that ended and feeding the metrics to
//! [`UpdateScheduler::observe`]. A call the scheduler refuses on the way
//! is handed to [`Platform::refused`]; the round goes on.
//!
//! ```
//! use update_sched::civil::WallTime;
//! use update_sched::config::{Config, Profile};
//! use update_sched::gate::Metrics;
//! use update_sched::protocol::{drive, Platform};
//! use update_sched::scheduler::{Start, UpdateScheduler};
//! use update_sched::update::{UpdateFlags, UpdateRecord};
//! use update_sched::{Duration, Instant, Priority, UpdateId, UpdateKind};
//!
//! /// Installs nothing: remembers what runs, and can abandon any of it.
//! #[derive(Default)]
//! struct Machine {
//!     running: Vec<UpdateId>,
//! }
//!
//! impl Platform for Machine {
//!     fn start(&mut self, start: &Start) -> Result<(), &'static str> {
//!         self.running.push(start.id);
//!         Ok(())
//!     }
//!     fn abort(&mut self, id: UpdateId) -> bool {
//!         let before = self.running.len();
//!         self.running.retain(|&running| running != id);
//!         self.running.len() < before // false for one it does not run
//!     }
//!     fn held(&self) -> impl Iterator<Item = UpdateId> + '_ {
//!         // This machine does not stage updates: nothing is ever held.
//!         core::iter::empty()
//!     }
//!     fn enter_exclusive_phase(&mut self, _id: UpdateId) {}
//! }
//!
//! let config = Config::preset(Profile::Server);
//! let mut scheduler: UpdateScheduler<16> = UpdateScheduler::new(config).unwrap();
//! let wall: WallTime = "2026-11-29T00:30:00Z".parse().unwrap(); // the server window is open
//! let now = Instant::ZERO;
//! let mut machine = Machine::default();
//! let mut kernel = UpdateRecord::new(UpdateId(1), "linux", UpdateKind::Kernel,
//!                                    Priority::Security, Duration::from_minutes(40), now);
//! kernel.flags = UpdateFlags::NEEDS_REBOOT;
//! scheduler.submit(&kernel, now).unwrap();
//! drive(&mut scheduler, now, wall, &Metrics::IDLE, &mut machine);
//! assert_eq!(machine.running, [UpdateId(1)]);
//!
//! // A Critical fix arrives while the kernel update runs alone: the round
//! // abandons the kernel update and starts the fix at once.
//! let fix = UpdateRecord::new(UpdateId(2), "openssl", UpdateKind::Security,
//!                             Priority::Critical, Duration::from_minutes(5), now);
//! scheduler.submit(&fix, now).unwrap();
//! let round = drive(&mut scheduler, now, wall, &Metrics::IDLE, &mut machine);
//! assert_eq!(round.preempted, Some(UpdateId(1)));
//! assert_eq!(machine.running, [UpdateId(2)]);
//! ```

use core::fmt;

use heapless::Vec;

use crate::civil::WallTime;
use crate::config::MAX_CONCURRENT;
use crate::gate::Metrics;
use crate::scheduler::{
    CommandError, PhaseGrant, Start, Starts, UpdateScheduler, CRITICAL_BEYOND_LIMIT,
};
use crate::{Instant, UpdateId};

/// The most held updates one round asks for: as many as can run at once
/// (the largest concurrency limit and the place beyond it a Critical
/// update may take). The scheduler grants one exclusive phase at a time,
/// so a correct platform holds one at most; any past this many (counting
/// an id listed twice once) ask in a later round.
pub const MAX_HELD: usize = MAX_CONCURRENT as usize + CRITICAL_BEYOND_LIMIT as usize;

/// What the platform does for the scheduler: the installing side of the
/// protocol. [`drive`] calls it; nothing here calls the scheduler.
pub trait Platform {
    /// Starts installing `start` now. `Err` with the reason if it cannot
    /// (no room, already installing): [`drive`] reports that attempt as
    /// failed.
    fn start(&mut self, start: &Start) -> Result<(), &'static str>;

    /// Aborts the running update `id` if it can still be abandoned
    /// without harm (downloading or verifying, or staged and not yet in
    /// its exclusive phase), leaving the machine as it was. Returns
    /// whether it did; `false` for an update it is not installing.
    fn abort(&mut self, id: UpdateId) -> bool;

    /// The updates held before their exclusive phase: installed beside
    /// others, waiting for the scheduler's leave to reboot or flash. An
    /// update leaves this list when it enters its phase. An id listed
    /// twice is asked for once.
    fn held(&self) -> impl Iterator<Item = UpdateId> + '_;

    /// Begins the exclusive phase (the reboot, the flash) of the held
    /// update `id` now.
    fn enter_exclusive_phase(&mut self, id: UpdateId);

    /// The scheduler refused a call [`drive`] made for the platform: a
    /// disagreement between the two about what runs, worth a log line.
    /// Nothing by default.
    fn refused(&mut self, refusal: Refusal) {
        let _ = refusal;
    }
}

/// A call the scheduler refused during a round, and what the round did
/// about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// [`UpdateScheduler::request_exclusive_phase`] for a held update.
    /// With [`CommandError::NoExclusivePhase`] the scheduler sees no
    /// exclusive phase to wait for, so the update entered its phase at
    /// once; with any other error (no such update, or not running) it did
    /// not enter, and stays held: the platform should abandon it.
    ExclusivePhase(UpdateId, CommandError),
    /// [`UpdateScheduler::report_preempted`] for an update the platform
    /// had aborted: there was no second poll.
    Preempted(UpdateId, CommandError),
    /// [`UpdateScheduler::report_outcome`] for an update the platform
    /// could not start.
    Outcome(UpdateId, CommandError),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::ExclusivePhase(id, error @ CommandError::NoExclusivePhase) => {
                write!(f, "exclusive phase of {id}: {error}; entered anyway")
            }
            Refusal::ExclusivePhase(id, error) => {
                write!(f, "exclusive phase of {id} refused: {error}; not entered")
            }
            Refusal::Preempted(id, error) => write!(f, "preemption of {id} refused: {error}"),
            Refusal::Outcome(id, error) => write!(f, "outcome of {id} refused: {error}"),
        }
    }
}

/// What one round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Round {
    /// Updates the platform started.
    pub started: usize,
    /// Updates the platform could not start, reported as failed attempts.
    pub not_started: usize,
    /// Held updates that entered their exclusive phase.
    pub entered: usize,
    /// Held updates told to wait for their exclusive phase.
    pub waiting: usize,
    /// The update the platform aborted for a Critical one, reported as
    /// preempted.
    pub preempted: Option<UpdateId>,
    /// The update the scheduler asked to abort that the platform could
    /// not abandon.
    pub preemption_refused: Option<UpdateId>,
}

/// Runs one round of the protocol (see the module documentation) at
/// `now`, with the wall time and metrics a poll needs.
pub fn drive<const N: usize, P: Platform>(
    scheduler: &mut UpdateScheduler<N>,
    now: Instant,
    wall: WallTime,
    metrics: &Metrics,
    platform: &mut P,
) -> Round {
    let mut round = Round::default();
    enter_exclusive_phases(scheduler, now, platform, &mut round);
    let first = scheduler.poll(now, wall, metrics);
    let again = preempt(scheduler, now, wall, metrics, platform, &mut round);
    for start in first.iter().chain(again.iter()) {
        match platform.start(start) {
            Ok(()) => round.started += 1,
            Err(reason) => {
                round.not_started += 1;
                if let Err(error) = scheduler.report_outcome(start.id, Err(reason), now) {
                    platform.refused(Refusal::Outcome(start.id, error));
                }
            }
        }
    }
    round
}

/// Step 1: every held update asks for its exclusive phase, and those
/// granted (or with none to wait for) enter it.
fn enter_exclusive_phases<const N: usize, P: Platform>(
    scheduler: &mut UpdateScheduler<N>,
    now: Instant,
    platform: &mut P,
    round: &mut Round,
) {
    // Entered once all have asked: `held` borrows the platform for as
    // long as its list is walked. An id listed twice is asked once.
    let mut asked: Vec<UpdateId, MAX_HELD> = Vec::new();
    let mut granted: Vec<(UpdateId, Option<CommandError>), MAX_HELD> = Vec::new();
    for id in platform.held() {
        if asked.contains(&id) {
            continue;
        }
        if asked.push(id).is_err() {
            break;
        }
        let refused = match scheduler.request_exclusive_phase(id, now) {
            Ok(PhaseGrant::Enter) => None,
            Ok(PhaseGrant::Wait) => {
                round.waiting += 1;
                continue;
            }
            Err(error) => Some(error),
        };
        // No more than were asked.
        let _ = granted.push((id, refused));
    }
    for (id, refused) in granted {
        if let Some(error) = refused {
            platform.refused(Refusal::ExclusivePhase(id, error));
            if error != CommandError::NoExclusivePhase {
                // Not running, as far as the scheduler knows: nothing
                // may be disrupted for it.
                continue;
            }
        }
        platform.enter_exclusive_phase(id);
        round.entered += 1;
    }
}

/// Step 3: carries out the preemption the scheduler asks for, if the
/// platform can, and returns what the second poll starts.
fn preempt<const N: usize, P: Platform>(
    scheduler: &mut UpdateScheduler<N>,
    now: Instant,
    wall: WallTime,
    metrics: &Metrics,
    platform: &mut P,
    round: &mut Round,
) -> Starts {
    let Some(victim) = scheduler.preempt_request() else {
        return Starts::new();
    };
    if !platform.abort(victim) {
        round.preemption_refused = Some(victim);
        return Starts::new();
    }
    match scheduler.report_preempted(victim, now) {
        Ok(()) => {
            round.preempted = Some(victim);
            scheduler.poll(now, wall, metrics)
        }
        Err(error) => {
            platform.refused(Refusal::Preempted(victim, error));
            Starts::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, Profile};
    use crate::gate::ResourceThresholds;
    use crate::policy::{ApprovalPolicy, FrequencyPolicy};
    use crate::scheduler::UpdateState;
    use crate::update::{UpdateFlags, UpdateRecord};
    use crate::{Duration, Priority, UpdateKind};

    /// What the fake platform was asked to do, in order.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Call {
        Start(u32),
        Abort(u32),
        Enter(u32),
        Refused(Refusal),
    }

    /// A platform that records every call, installs nothing, and
    /// abandons or starts updates as told.
    #[derive(Debug, Default)]
    struct Fake {
        calls: std::vec::Vec<Call>,
        running: std::vec::Vec<UpdateId>,
        held: std::vec::Vec<UpdateId>,
        abandons: bool,
        cannot_start: Option<UpdateId>,
    }

    impl Platform for Fake {
        fn start(&mut self, start: &Start) -> Result<(), &'static str> {
            self.calls.push(Call::Start(start.id.0));
            if self.cannot_start == Some(start.id) {
                return Err("no room on the device");
            }
            assert!(
                !self.running.contains(&start.id),
                "{} started twice",
                start.id
            );
            self.running.push(start.id);
            Ok(())
        }

        fn abort(&mut self, id: UpdateId) -> bool {
            self.calls.push(Call::Abort(id.0));
            if self.abandons {
                self.running.retain(|&running| running != id);
                self.held.retain(|&held| held != id);
            }
            self.abandons
        }

        fn held(&self) -> impl Iterator<Item = UpdateId> + '_ {
            self.held.iter().copied()
        }

        fn enter_exclusive_phase(&mut self, id: UpdateId) {
            self.calls.push(Call::Enter(id.0));
            self.held.retain(|&held| held != id);
        }

        fn refused(&mut self, refusal: Refusal) {
            self.calls.push(Call::Refused(refusal));
        }
    }

    impl Fake {
        /// The update `id` ended well: the platform reports it.
        fn finish(&mut self, scheduler: &mut UpdateScheduler<16>, id: u32) {
            self.running.retain(|&running| running != UpdateId(id));
            scheduler
                .report_outcome(UpdateId(id), Ok(()), Instant::ZERO)
                .unwrap();
        }
    }

    /// Updates start as soon as `max_concurrent` allows: a window open
    /// all week, no gates, no approvals. Staged if `staged`.
    fn open_scheduler(max_concurrent: u8, staged: bool) -> UpdateScheduler<16> {
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
        let mut scheduler = UpdateScheduler::new(config).unwrap();
        scheduler.set_staged_updates(staged).unwrap();
        scheduler
    }

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

    fn run_round(scheduler: &mut UpdateScheduler<16>, platform: &mut Fake) -> Round {
        let wall: WallTime = "2026-11-28T00:00:00Z".parse().unwrap();
        drive(scheduler, Instant::ZERO, wall, &Metrics::IDLE, platform)
    }

    /// An update that runs alone (a reboot on a platform that does not
    /// stage) is running; a Critical update has just arrived.
    fn critical_behind_one_alone(abandons: bool) -> (UpdateScheduler<16>, Fake) {
        let mut scheduler = open_scheduler(1, false);
        let mut platform = Fake {
            abandons,
            ..Fake::default()
        };
        submit(&mut scheduler, 1, Priority::Security, true);
        run_round(&mut scheduler, &mut platform);
        submit(&mut scheduler, 2, Priority::Critical, false);
        platform.calls.clear();
        (scheduler, platform)
    }

    #[test]
    fn test_idle_round_starts_what_the_poll_returns_in_order() {
        let mut scheduler = open_scheduler(2, false);
        let mut platform = Fake::default();
        submit(&mut scheduler, 1, Priority::Important, false);
        submit(&mut scheduler, 2, Priority::Security, false);
        submit(&mut scheduler, 3, Priority::Optional, false);
        let round = run_round(&mut scheduler, &mut platform);
        assert_eq!(platform.calls, [Call::Start(2), Call::Start(1)]);
        assert_eq!(
            round,
            Round {
                started: 2,
                ..Round::default()
            }
        );
    }

    #[test]
    fn test_preemption_asked_aborts_then_polls_again() {
        let (mut scheduler, mut platform) = critical_behind_one_alone(true);
        let round = run_round(&mut scheduler, &mut platform);
        // Aborted first, then the second poll's start: the Critical
        // update starts in the same round.
        assert_eq!(platform.calls, [Call::Abort(1), Call::Start(2)]);
        assert_eq!(round.preempted, Some(UpdateId(1)));
        assert_eq!(round.preemption_refused, None);
        assert_eq!(round.started, 1);
        assert_eq!(scheduler.state_of(UpdateId(1)), Some(UpdateState::Ready));
        assert_eq!(scheduler.state_of(UpdateId(2)), Some(UpdateState::Running));
        assert_eq!(platform.running, [UpdateId(2)]);
    }

    #[test]
    fn test_preemption_refused_is_reported_and_the_critical_waits() {
        let (mut scheduler, mut platform) = critical_behind_one_alone(false);
        let round = run_round(&mut scheduler, &mut platform);
        assert_eq!(platform.calls, [Call::Abort(1)]);
        assert_eq!(round.preemption_refused, Some(UpdateId(1)));
        assert_eq!(round.preempted, None);
        assert_eq!(round.started, 0);
        assert_eq!(scheduler.state_of(UpdateId(1)), Some(UpdateState::Running));
        assert_eq!(scheduler.state_of(UpdateId(2)), Some(UpdateState::Ready));
        // Once the update it waited for ends, the Critical one starts.
        platform.finish(&mut scheduler, 1);
        platform.calls.clear();
        run_round(&mut scheduler, &mut platform);
        assert_eq!(platform.calls, [Call::Start(2)]);
    }

    #[test]
    fn test_staged_update_enters_its_phase_only_once_held_and_alone() {
        let mut scheduler = open_scheduler(3, true);
        let mut platform = Fake::default();
        submit(&mut scheduler, 1, Priority::Optional, false);
        submit(&mut scheduler, 2, Priority::Optional, true);
        run_round(&mut scheduler, &mut platform);
        assert_eq!(platform.running, [UpdateId(1), UpdateId(2)]);

        // Not held yet: still installing into its slot, nothing asked.
        platform.calls.clear();
        platform.finish(&mut scheduler, 1);
        let idle = run_round(&mut scheduler, &mut platform);
        assert_eq!(idle.entered + idle.waiting, 0);
        assert!(platform.calls.iter().all(|call| *call != Call::Enter(2)));

        // Held beside another: told to wait, and nothing starts beside it.
        submit(&mut scheduler, 3, Priority::Optional, false);
        run_round(&mut scheduler, &mut platform);
        assert_eq!(platform.running, [UpdateId(2), UpdateId(3)]);
        platform.held.push(UpdateId(2));
        submit(&mut scheduler, 4, Priority::Optional, false);
        platform.calls.clear();
        let waits = run_round(&mut scheduler, &mut platform);
        assert_eq!((waits.entered, waits.waiting, waits.started), (0, 1, 0));
        assert_eq!(platform.calls, []);

        // Alone: granted, and entered before anything else happens.
        platform.finish(&mut scheduler, 3);
        let enters = run_round(&mut scheduler, &mut platform);
        assert_eq!((enters.entered, enters.waiting, enters.started), (1, 0, 0));
        assert_eq!(platform.calls, [Call::Enter(2)]);
        assert!(platform.held.is_empty());
    }

    #[test]
    fn test_held_update_without_a_phase_is_refused_and_goes_ahead() {
        let mut scheduler = open_scheduler(2, true);
        let mut platform = Fake::default();
        submit(&mut scheduler, 1, Priority::Important, false);
        run_round(&mut scheduler, &mut platform);
        platform.held.push(UpdateId(1));
        platform.calls.clear();
        let round = run_round(&mut scheduler, &mut platform);
        assert_eq!(
            platform.calls,
            [
                Call::Refused(Refusal::ExclusivePhase(
                    UpdateId(1),
                    CommandError::NoExclusivePhase
                )),
                Call::Enter(1)
            ]
        );
        assert_eq!(round.entered, 1);
    }

    #[test]
    fn test_update_that_cannot_start_is_reported_failed() {
        let mut scheduler = open_scheduler(2, false);
        let mut platform = Fake {
            cannot_start: Some(UpdateId(1)),
            ..Fake::default()
        };
        submit(&mut scheduler, 1, Priority::Important, false);
        let round = run_round(&mut scheduler, &mut platform);
        assert_eq!((round.started, round.not_started), (0, 1));
        assert_eq!(
            scheduler.state_of(UpdateId(1)),
            Some(UpdateState::RetryWait)
        );
        assert_eq!(scheduler.running(), 0);
    }

    #[test]
    fn test_rounds_never_start_an_update_twice() {
        let mut scheduler = open_scheduler(2, false);
        let mut platform = Fake::default();
        for id in 1..=5 {
            submit(&mut scheduler, id, Priority::Important, false);
        }
        for _ in 0..8 {
            // The fake platform panics on a second start of a running
            // update; every round but the last few also ends one.
            run_round(&mut scheduler, &mut platform);
            run_round(&mut scheduler, &mut platform);
            if let Some(&first) = platform.running.first() {
                platform.finish(&mut scheduler, first.0);
            }
        }
        let mut started: std::vec::Vec<u32> = platform
            .calls
            .iter()
            .filter_map(|call| match call {
                Call::Start(id) => Some(*id),
                _ => None,
            })
            .collect();
        assert_eq!(started.len(), 5);
        started.sort_unstable();
        started.dedup();
        assert_eq!(started.len(), 5);
        assert_eq!(scheduler.status().count(UpdateState::Completed), 5);
    }
}
