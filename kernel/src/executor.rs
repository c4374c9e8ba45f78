//! The update executor: applies an update as a series of timed steps.
//!
//! This kernel has no package manager, so an update is simulated: it
//! downloads, verifies, installs and, if it needs one, reboots (or, for
//! firmware, flashes), each step taking a share of the update's estimated
//! duration on the kernel clock. Failure injection (per update kind, in per
//! mille) makes one step of an attempt fail, chosen by a seeded generator
//! keyed by the update and the attempt, so runs are repeatable.
//!
//! Updates are staged, as A/B systems and firmware capsules are: an update
//! that ends with a reboot or a flash installs into an inactive slot and
//! can be abandoned until that last step. Before it the job is *held*
//! ([`Executor::held`]) until the scheduler grants the exclusive phase
//! (`request_exclusive_phase`); [`Executor::enter_final_step`] then starts
//! it. An in-place install can only be abandoned before installing starts
//! ([`Executor::abort`], for preemption by a Critical update).
//!
//! Between verify and install it asks the [`InstallGate`] it is handed
//! (the update channel's checks: the payload against the size and SHA-256
//! its signed manifest gave, the version against the installed one): a
//! refused install ends the attempt without installing anything, for good
//! when no retry could succeed (a payload changed after the manifest was
//! verified cannot become the signed one). The executor knows nothing of
//! manifests: the caller wires the gate to the channel.
//!
//! The executor never decides *when* an update runs: it starts what the
//! scheduler returned and reports how it ended. Exclusivity (a reboot or a
//! flash runs alone) is the scheduler's decision; the executor only holds
//! as many jobs as the largest concurrency limit allows, a Critical update
//! beyond it included.

use core::fmt;

use update_sched::config::MAX_CONCURRENT;
use update_sched::scheduler::{Start, CRITICAL_BEYOND_LIMIT};
use update_sched::update::UpdateFlags;
use update_sched::{Duration, Instant, UpdateId, UpdateKind};

use crate::random::Random;

/// What the executor asks right before an update installs, and tells once
/// it has installed: the checks of whoever delivered the update, handed in
/// by the caller of [`Executor::advance`].
pub trait InstallGate {
    /// Right before update `id` installs. `Err` refuses the install: the
    /// attempt ends with the refusal's reason, and nothing is installed.
    fn may_install(&mut self, id: UpdateId) -> Result<(), Refusal>;

    /// Update `id` finished installing and waits for its reboot or flash.
    fn installed(&mut self, id: UpdateId);
}

/// An install refused by the [`InstallGate`], as far as the executor and
/// the scheduler need to know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The failure reason the attempt ends with.
    pub reason: &'static str,
    /// Whether no later attempt can succeed either.
    pub for_good: bool,
}

/// The most jobs that can run at once: the scheduler's largest limit, and
/// the place beyond it a Critical update may take.
pub const MAX_JOBS: usize = MAX_CONCURRENT as usize + CRITICAL_BEYOND_LIMIT as usize;

/// A step of applying an update, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Fetching the payload.
    Download,
    /// Checking the payload.
    Verify,
    /// Installing it.
    Install,
    /// The simulated reboot, for updates that need one.
    Reboot,
    /// Writing firmware, for firmware updates that need no reboot.
    Flash,
}

impl Step {
    /// Lower-case name, for the console.
    pub const fn name(self) -> &'static str {
        match self {
            Step::Download => "download",
            Step::Verify => "verify",
            Step::Install => "install",
            Step::Reboot => "reboot",
            Step::Flash => "flash",
        }
    }

    /// What a failure in this step is reported as.
    const fn failure(self) -> &'static str {
        match self {
            Step::Download => "download interrupted",
            Step::Verify => "download damaged, verification failed",
            Step::Install => "install script failed",
            Step::Reboot => "system did not come back after reboot",
            Step::Flash => "firmware flash failed",
        }
    }

    /// Share of the estimated duration, per mille, for an update whose
    /// last step is `last`. Downloads and installs dominate real updates;
    /// a reboot or a flash is short but not free.
    const fn share_permille(self, last: Option<Step>) -> u64 {
        match (self, last) {
            (Step::Download, _) => 300,
            (Step::Verify, _) => 100,
            (Step::Install, Some(_)) => 450,
            (Step::Install, None) => 600,
            (Step::Reboot | Step::Flash, _) => 150,
        }
    }

    /// The step after this one, for an update whose last step is `last`.
    const fn next(self, last: Option<Step>) -> Option<Step> {
        match self {
            Step::Download => Some(Step::Verify),
            Step::Verify => Some(Step::Install),
            Step::Install => last,
            Step::Reboot | Step::Flash => None,
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Per-kind failure probabilities, in per mille, indexed like
/// [`UpdateKind::ALL`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FailureInjection {
    /// Chance that an attempt fails, per kind, per mille (0..=1000).
    pub per_mille: [u16; UpdateKind::ALL.len()],
}

impl FailureInjection {
    /// No failures at all.
    pub const NONE: FailureInjection = FailureInjection {
        per_mille: [0; UpdateKind::ALL.len()],
    };

    fn chance(&self, kind: UpdateKind) -> u16 {
        self.per_mille[kind as usize].min(1000)
    }
}

/// What happened to a job during [`Executor::advance`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// A job moved on to `step`.
    Step {
        /// The update.
        id: UpdateId,
        /// The step it is now in.
        step: Step,
    },
    /// A job ended: report this to the scheduler.
    Finished {
        /// The update.
        id: UpdateId,
        /// `Ok`, or why the attempt failed.
        outcome: Result<(), &'static str>,
        /// The failure is one no retry can mend (the payload is not what
        /// was signed): the update fails for good.
        for_good: bool,
    },
}

/// Why a job could not start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartError {
    /// Every job slot is taken.
    Busy,
    /// That update is already running.
    AlreadyRunning,
}

impl StartError {
    /// The reason, as reported to the scheduler for the attempt that could
    /// not start.
    pub const fn reason(self) -> &'static str {
        match self {
            StartError::Busy => "executor busy",
            StartError::AlreadyRunning => "already running",
        }
    }
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())
    }
}

#[derive(Clone, Copy, Debug)]
struct Job {
    id: UpdateId,
    /// Its reboot or flash, if it has one.
    last: Option<Step>,
    /// Installs into an inactive slot (it has a last step and is not
    /// marked to run alone throughout).
    staged: bool,
    estimate: Duration,
    step: Step,
    step_ends: Instant,
    /// Installed, waiting for the scheduler to grant its last step.
    held: bool,
    fails_in: Option<Step>,
}

/// Runs updates as timed steps.
#[derive(Debug)]
pub struct Executor {
    jobs: [Option<Job>; MAX_JOBS],
    failures: FailureInjection,
    seed: u64,
}

impl Executor {
    /// An idle executor with the given failure injection and seed.
    pub const fn new(failures: FailureInjection, seed: u64) -> Executor {
        Executor {
            jobs: [None; MAX_JOBS],
            failures,
            seed,
        }
    }

    /// Starts applying the update the scheduler returned.
    pub fn start(&mut self, start: &Start, now: Instant) -> Result<(), StartError> {
        if self.step_of(start.id).is_some() {
            return Err(StartError::AlreadyRunning);
        }
        let free = self
            .jobs
            .iter()
            .position(Option::is_none)
            .ok_or(StartError::Busy)?;
        let last = if start.flags.contains(UpdateFlags::NEEDS_REBOOT) {
            Some(Step::Reboot)
        } else if start.kind == UpdateKind::Firmware {
            Some(Step::Flash)
        } else {
            None
        };
        // One generator per (update, attempt), so whether an attempt fails
        // depends on the seed and on which attempt it is, not on the order
        // in which updates happened to start.
        let attempt = Random::new(u64::from(start.id.0) << 8 | u64::from(start.attempt)).next_u64();
        let mut random = Random::new(self.seed ^ attempt);
        let fails = random.below(1000) < u64::from(self.failures.chance(start.kind));
        let fails_in = if fails {
            let steps = [
                Step::Download,
                Step::Verify,
                Step::Install,
                last.unwrap_or(Step::Install),
            ];
            let count = if last.is_some() { 4 } else { 3 };
            Some(steps[random.below(count) as usize])
        } else {
            None
        };
        let mut job = Job {
            id: start.id,
            last,
            staged: last.is_some() && !start.flags.contains(UpdateFlags::EXCLUSIVE),
            estimate: start.estimated_duration,
            step: Step::Download,
            step_ends: now,
            held: false,
            fails_in,
        };
        job.step_ends = now.saturating_add(job.step_length(Step::Download));
        self.jobs[free] = Some(job);
        Ok(())
    }

    /// Abandons a running update, if it has not passed its point of no
    /// return: a staged update can be abandoned until its reboot or flash
    /// (held ones included), an in-place install only before installing
    /// starts. Returns whether it was abandoned.
    pub fn abort(&mut self, id: UpdateId) -> bool {
        for slot in self.jobs.iter_mut() {
            if let Some(job) = slot {
                if job.id != id {
                    continue;
                }
                let abandonable = match job.step {
                    Step::Download | Step::Verify => true,
                    Step::Install => job.staged,
                    Step::Reboot | Step::Flash => false,
                };
                if abandonable {
                    *slot = None;
                }
                return abandonable;
            }
        }
        false
    }

    /// The step a running update is in.
    pub fn step_of(&self, id: UpdateId) -> Option<Step> {
        self.jobs
            .iter()
            .flatten()
            .find(|job| job.id == id)
            .map(|job| job.step)
    }

    /// How many jobs are running.
    pub fn running(&self) -> usize {
        self.jobs.iter().flatten().count()
    }

    /// Moves every job on to `now`, calling `report` for each step change
    /// and each finished job, in order; asks `gate` before each install.
    pub fn advance(
        &mut self,
        now: Instant,
        gate: &mut dyn InstallGate,
        mut report: impl FnMut(Progress),
    ) {
        for slot in self.jobs.iter_mut() {
            while let Some(job) = slot.as_mut() {
                if job.held || job.step_ends > now {
                    break;
                }
                if job.fails_in == Some(job.step) {
                    report(Progress::Finished {
                        id: job.id,
                        outcome: Err(job.step.failure()),
                        for_good: false,
                    });
                    *slot = None;
                    break;
                }
                let next = job.step.next(job.last);
                if next == Some(Step::Install) {
                    // The last moment before anything is written: the
                    // version must still be newer than the installed one
                    // and the payload exactly what was signed.
                    if let Err(refusal) = gate.may_install(job.id) {
                        report(Progress::Finished {
                            id: job.id,
                            outcome: Err(refusal.reason),
                            for_good: refusal.for_good,
                        });
                        *slot = None;
                        break;
                    }
                }
                match next {
                    // Installed: wait for the scheduler to grant the
                    // reboot or flash.
                    Some(Step::Reboot | Step::Flash) => {
                        gate.installed(job.id);
                        job.held = true;
                        break;
                    }
                    Some(step) => {
                        job.step = step;
                        job.step_ends = job.step_ends.saturating_add(job.step_length(step));
                        report(Progress::Step { id: job.id, step });
                    }
                    None => {
                        report(Progress::Finished {
                            id: job.id,
                            outcome: Ok(()),
                            for_good: false,
                        });
                        *slot = None;
                    }
                }
            }
        }
    }

    /// The earliest time a job changes step, if any job runs (held jobs
    /// change only when their last step is granted).
    pub fn next_change(&self) -> Option<Instant> {
        self.jobs
            .iter()
            .flatten()
            .filter(|job| !job.held)
            .map(|job| job.step_ends)
            .min()
    }

    /// The jobs held before their reboot or flash, waiting for the
    /// scheduler to grant it.
    pub fn held(&self) -> impl Iterator<Item = UpdateId> + '_ {
        self.jobs
            .iter()
            .flatten()
            .filter(|job| job.held)
            .map(|job| job.id)
    }

    /// Starts the reboot or flash of a held job at `now`; returns the step,
    /// or `None` if no held job has this id.
    pub fn enter_final_step(&mut self, id: UpdateId, now: Instant) -> Option<Step> {
        let job = self
            .jobs
            .iter_mut()
            .flatten()
            .find(|job| job.id == id && job.held)?;
        let step = job.last?;
        job.held = false;
        job.step = step;
        job.step_ends = now.saturating_add(job.step_length(step));
        Some(step)
    }
}

impl Job {
    fn step_length(&self, step: Step) -> Duration {
        let ms = self.estimate.as_millis() / 1000 * step.share_permille(self.last);
        // Every step takes at least a second, so even a tiny estimate shows
        // its steps in order.
        Duration::from_millis(ms.max(1000))
    }
}

#[cfg(test)]
mod tests {
    use std::vec::Vec;

    use update_sched::scheduler::Start;
    use update_sched::update::UpdateFlags;
    use update_sched::{Duration, Instant, UpdateId, UpdateKind};

    use super::{
        Executor, FailureInjection, InstallGate, Progress, Refusal, StartError, Step, MAX_JOBS,
    };

    /// An install gate that allows every install, as the update channel
    /// does for updates that came with no manifest.
    struct Allow;

    impl InstallGate for Allow {
        fn may_install(&mut self, _id: UpdateId) -> Result<(), Refusal> {
            Ok(())
        }

        fn installed(&mut self, _id: UpdateId) {}
    }

    fn start(id: u32, kind: UpdateKind, flags: UpdateFlags, minutes: u64) -> Start {
        Start {
            id: UpdateId(id),
            kind,
            flags,
            estimated_duration: Duration::from_minutes(minutes),
            attempt: 1,
            forced: false,
        }
    }

    fn minutes(count: u64) -> Instant {
        Instant::ZERO.saturating_add(Duration::from_minutes(count))
    }

    fn advance(executor: &mut Executor, now: Instant) -> Vec<Progress> {
        let mut changes = Vec::new();
        executor.advance(now, &mut Allow, |change| changes.push(change));
        changes
    }

    fn step(id: u32, step: Step) -> Progress {
        Progress::Step {
            id: UpdateId(id),
            step,
        }
    }

    fn finished(id: u32, outcome: Result<(), &'static str>) -> Progress {
        Progress::Finished {
            id: UpdateId(id),
            outcome,
            for_good: false,
        }
    }

    #[test]
    fn test_in_place_update_downloads_verifies_and_installs_in_its_shares() {
        let mut executor = Executor::new(FailureInjection::NONE, 1);
        let app = start(1, UpdateKind::Application, UpdateFlags::empty(), 100);
        executor.start(&app, Instant::ZERO).expect("a free slot");
        assert_eq!(executor.step_of(UpdateId(1)), Some(Step::Download));
        assert_eq!(executor.next_change(), Some(minutes(30)));
        assert!(advance(&mut executor, minutes(29)).is_empty());
        assert_eq!(advance(&mut executor, minutes(30)), [step(1, Step::Verify)]);
        assert_eq!(
            advance(&mut executor, minutes(40)),
            [step(1, Step::Install)]
        );
        // Install takes 60% when no reboot follows.
        assert!(advance(&mut executor, minutes(99)).is_empty());
        assert_eq!(advance(&mut executor, minutes(100)), [finished(1, Ok(()))]);
        assert_eq!(executor.running(), 0);
        assert_eq!(executor.next_change(), None);
    }

    #[test]
    fn test_a_late_advance_reports_every_step_in_order() {
        let mut executor = Executor::new(FailureInjection::NONE, 1);
        let app = start(2, UpdateKind::Application, UpdateFlags::empty(), 10);
        executor.start(&app, Instant::ZERO).expect("a free slot");
        assert_eq!(
            advance(&mut executor, minutes(60)),
            [
                step(2, Step::Verify),
                step(2, Step::Install),
                finished(2, Ok(()))
            ]
        );
    }

    #[test]
    fn test_staged_update_is_held_before_its_reboot_until_granted() {
        let mut executor = Executor::new(FailureInjection::NONE, 1);
        let kernel = start(3, UpdateKind::Kernel, UpdateFlags::NEEDS_REBOOT, 100);
        executor.start(&kernel, Instant::ZERO).expect("a free slot");
        // Download 30%, verify 10%, install 45%: held at 85 minutes.
        assert_eq!(
            advance(&mut executor, minutes(85)),
            [step(3, Step::Verify), step(3, Step::Install)]
        );
        assert_eq!(executor.held().collect::<Vec<_>>(), [UpdateId(3)]);
        assert_eq!(executor.next_change(), None);
        assert!(advance(&mut executor, minutes(500)).is_empty());
        assert_eq!(
            executor.enter_final_step(UpdateId(3), minutes(500)),
            Some(Step::Reboot)
        );
        assert_eq!(executor.held().count(), 0);
        // The reboot takes 15%.
        assert_eq!(executor.next_change(), Some(minutes(515)));
        assert_eq!(advance(&mut executor, minutes(515)), [finished(3, Ok(()))]);
    }

    #[test]
    fn test_firmware_without_a_reboot_ends_with_a_flash() {
        let mut executor = Executor::new(FailureInjection::NONE, 1);
        let bios = start(4, UpdateKind::Firmware, UpdateFlags::empty(), 20);
        executor.start(&bios, Instant::ZERO).expect("a free slot");
        advance(&mut executor, minutes(60));
        assert_eq!(executor.held().collect::<Vec<_>>(), [UpdateId(4)]);
        assert_eq!(
            executor.enter_final_step(UpdateId(4), minutes(60)),
            Some(Step::Flash)
        );
        assert_eq!(executor.step_of(UpdateId(4)), Some(Step::Flash));
    }

    /// An install gate that refuses the updates in `refused` for good and
    /// records what it was asked and told.
    #[derive(Default)]
    struct Recording {
        refused: Vec<UpdateId>,
        asked: Vec<UpdateId>,
        installed: Vec<UpdateId>,
    }

    impl InstallGate for Recording {
        fn may_install(&mut self, id: UpdateId) -> Result<(), Refusal> {
            self.asked.push(id);
            if self.refused.contains(&id) {
                return Err(Refusal {
                    reason: "payload changed",
                    for_good: true,
                });
            }
            Ok(())
        }

        fn installed(&mut self, id: UpdateId) {
            self.installed.push(id);
        }
    }

    #[test]
    fn test_the_gate_is_asked_before_install_and_told_of_a_staged_install() {
        let mut executor = Executor::new(FailureInjection::NONE, 1);
        let mut gate = Recording {
            refused: std::vec![UpdateId(6)],
            ..Recording::default()
        };
        let app = start(6, UpdateKind::Application, UpdateFlags::empty(), 10);
        let kernel = start(7, UpdateKind::Kernel, UpdateFlags::NEEDS_REBOOT, 100);
        executor.start(&app, Instant::ZERO).expect("a free slot");
        executor.start(&kernel, Instant::ZERO).expect("a free slot");
        let mut changes = Vec::new();
        executor.advance(minutes(85), &mut gate, |change| changes.push(change));
        // The refused update ends before installing, for good, with the
        // gate's reason; the other installs and is held for its reboot.
        assert_eq!(
            changes,
            [
                step(6, Step::Verify),
                Progress::Finished {
                    id: UpdateId(6),
                    outcome: Err("payload changed"),
                    for_good: true,
                },
                step(7, Step::Verify),
                step(7, Step::Install),
            ]
        );
        assert_eq!(gate.asked, [UpdateId(6), UpdateId(7)]);
        assert_eq!(gate.installed, [UpdateId(7)]);
        assert_eq!(executor.running(), 1);
        assert_eq!(executor.held().collect::<Vec<_>>(), [UpdateId(7)]);
    }

    #[test]
    fn test_final_step_only_for_a_held_job() {
        let mut executor = Executor::new(FailureInjection::NONE, 1);
        let kernel = start(5, UpdateKind::Kernel, UpdateFlags::NEEDS_REBOOT, 100);
        executor.start(&kernel, Instant::ZERO).expect("a free slot");
        assert_eq!(executor.enter_final_step(UpdateId(5), Instant::ZERO), None);
        assert_eq!(executor.enter_final_step(UpdateId(6), Instant::ZERO), None);
        assert_eq!(executor.step_of(UpdateId(5)), Some(Step::Download));
    }

    #[test]
    fn test_every_step_takes_at_least_a_second() {
        let mut executor = Executor::new(FailureInjection::NONE, 1);
        let tiny = Start {
            estimated_duration: Duration::from_millis(10),
            ..start(7, UpdateKind::Application, UpdateFlags::empty(), 1)
        };
        executor.start(&tiny, Instant::ZERO).expect("a free slot");
        assert_eq!(executor.next_change(), Some(Instant::from_millis(1_000)));
        assert_eq!(
            advance(&mut executor, Instant::from_millis(2_999)),
            [step(7, Step::Verify), step(7, Step::Install)]
        );
        assert_eq!(
            advance(&mut executor, Instant::from_millis(3_000)),
            [finished(7, Ok(()))]
        );
    }

    #[test]
    fn test_abort_before_the_point_of_no_return_only() {
        let mut executor = Executor::new(FailureInjection::NONE, 1);
        let app = start(8, UpdateKind::Application, UpdateFlags::empty(), 100);
        let kernel = start(9, UpdateKind::Kernel, UpdateFlags::NEEDS_REBOOT, 100);
        let alone = start(
            10,
            UpdateKind::Kernel,
            UpdateFlags::NEEDS_REBOOT | UpdateFlags::EXCLUSIVE,
            100,
        );
        for job in [&app, &kernel, &alone] {
            executor.start(job, Instant::ZERO).expect("a free slot");
        }
        // All three installing (the staged one held after it).
        advance(&mut executor, minutes(45));
        assert_eq!(executor.step_of(UpdateId(8)), Some(Step::Install));
        // An in-place install, and one that runs alone throughout, cannot
        // be abandoned; a staged one can.
        assert!(!executor.abort(UpdateId(8)));
        assert!(!executor.abort(UpdateId(10)));
        assert!(executor.abort(UpdateId(9)));
        assert_eq!(executor.step_of(UpdateId(9)), None);
        assert!(!executor.abort(UpdateId(99)));
        let mut fresh = Executor::new(FailureInjection::NONE, 1);
        fresh.start(&app, Instant::ZERO).expect("a free slot");
        assert!(fresh.abort(UpdateId(8)));
        assert_eq!(fresh.running(), 0);
    }

    #[test]
    fn test_a_reboot_under_way_cannot_be_abandoned() {
        let mut executor = Executor::new(FailureInjection::NONE, 1);
        let kernel = start(11, UpdateKind::Kernel, UpdateFlags::NEEDS_REBOOT, 100);
        executor.start(&kernel, Instant::ZERO).expect("a free slot");
        advance(&mut executor, minutes(85));
        executor.enter_final_step(UpdateId(11), minutes(85));
        assert!(!executor.abort(UpdateId(11)));
        assert_eq!(executor.step_of(UpdateId(11)), Some(Step::Reboot));
    }

    #[test]
    fn test_start_refuses_a_running_update_and_a_full_executor() {
        let mut executor = Executor::new(FailureInjection::NONE, 1);
        for id in 0..MAX_JOBS as u32 {
            let job = start(100 + id, UpdateKind::Application, UpdateFlags::empty(), 5);
            executor.start(&job, Instant::ZERO).expect("a free slot");
        }
        let again = start(100, UpdateKind::Application, UpdateFlags::empty(), 5);
        assert_eq!(
            executor.start(&again, Instant::ZERO),
            Err(StartError::AlreadyRunning)
        );
        let one_more = start(999, UpdateKind::Application, UpdateFlags::empty(), 5);
        assert_eq!(
            executor.start(&one_more, Instant::ZERO),
            Err(StartError::Busy)
        );
        assert_eq!(StartError::Busy.to_string(), "executor busy");
        assert_eq!(StartError::AlreadyRunning.reason(), "already running");
    }

    #[test]
    fn test_certain_failure_ends_the_attempt_in_one_step_with_its_reason() {
        let failures = FailureInjection {
            per_mille: [1000; UpdateKind::ALL.len()],
        };
        let reasons = [
            "download interrupted",
            "download damaged, verification failed",
            "install script failed",
        ];
        for id in 200..240 {
            let mut executor = Executor::new(failures, 7);
            let app = start(id, UpdateKind::Application, UpdateFlags::empty(), 10);
            executor.start(&app, Instant::ZERO).expect("a free slot");
            let changes = advance(&mut executor, minutes(60));
            let Some(Progress::Finished {
                outcome: Err(reason),
                for_good: false,
                ..
            }) = changes.last()
            else {
                panic!("#{id} did not fail: {changes:?}");
            };
            assert!(reasons.contains(reason), "{reason}");
            assert_eq!(executor.running(), 0);
        }
    }

    #[test]
    fn test_failures_depend_on_seed_update_and_attempt_only() {
        let failures = FailureInjection {
            per_mille: [500; UpdateKind::ALL.len()],
        };
        let outcome = |seed: u64, id: u32, attempt: u8| {
            let mut executor = Executor::new(failures, seed);
            // Another update started first changes nothing.
            let other = start(id + 1, UpdateKind::Driver, UpdateFlags::empty(), 10);
            executor.start(&other, Instant::ZERO).expect("a free slot");
            let job = Start {
                attempt,
                ..start(id, UpdateKind::Driver, UpdateFlags::empty(), 10)
            };
            executor.start(&job, Instant::ZERO).expect("a free slot");
            advance(&mut executor, minutes(60))
                .into_iter()
                .filter(|change| matches!(change, Progress::Finished { id: done, .. } if *done == UpdateId(id)))
                .collect::<Vec<_>>()
        };
        let mut failed = 0;
        for id in (300..400).step_by(2) {
            assert_eq!(outcome(3, id, 1), outcome(3, id, 1));
            let mut alone = Executor::new(failures, 3);
            alone
                .start(
                    &start(id, UpdateKind::Driver, UpdateFlags::empty(), 10),
                    Instant::ZERO,
                )
                .expect("a free slot");
            assert_eq!(
                advance(&mut alone, minutes(60)).last(),
                outcome(3, id, 1).last()
            );
            if outcome(3, id, 1) != [finished(id, Ok(()))] {
                failed += 1;
            }
        }
        // About half of 50 attempts fail at 500 per mille.
        assert!((10..=40).contains(&failed), "{failed} failed");
    }

    #[test]
    fn test_no_failure_chance_never_fails() {
        for id in 400..450 {
            let mut executor = Executor::new(FailureInjection::default(), 11);
            let job = start(id, UpdateKind::Firmware, UpdateFlags::NEEDS_REBOOT, 10);
            executor.start(&job, Instant::ZERO).expect("a free slot");
            advance(&mut executor, minutes(60));
            assert_eq!(executor.held().count(), 1, "#{id}");
        }
    }

    #[test]
    fn test_step_names() {
        let names: Vec<&str> = [
            Step::Download,
            Step::Verify,
            Step::Install,
            Step::Reboot,
            Step::Flash,
        ]
        .iter()
        .map(|step| step.name())
        .collect();
        assert_eq!(names, ["download", "verify", "install", "reboot", "flash"]);
        assert_eq!(std::format!("{}", Step::Flash), "flash");
    }
}
