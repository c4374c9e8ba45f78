//! The update executor: applies an update as a series of timed steps.
//!
//! This kernel has no package manager, so an update is simulated: it
//! downloads, verifies, installs and, if it needs one, reboots, each step
//! taking a share of the update's estimated duration on the kernel clock.
//! Failure injection (per update kind, in per mille) makes one step of an
//! attempt fail, chosen by a seeded generator, so runs are repeatable.
//!
//! Between verify and install it checks the update's payload against the
//! size and SHA-256 its signed manifest gave (see [`crate::manifest`]): a
//! payload changed after the manifest was verified is refused, and the
//! attempt fails without installing anything.
//!
//! The executor never decides *when* an update runs: it starts what the
//! scheduler returned and reports how it ended. Exclusivity (updates that
//! reboot or touch firmware run alone) is the scheduler's decision; the
//! executor only holds as many jobs as the largest concurrency limit.

use core::fmt;

use update_sched::config::MAX_CONCURRENT;
use update_sched::scheduler::Start;
use update_sched::update::UpdateFlags;
use update_sched::{Duration, Instant, UpdateId, UpdateKind};

use crate::random::Random;

/// The most jobs that can run at once: the scheduler's largest limit.
pub const MAX_JOBS: usize = MAX_CONCURRENT as usize;

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
}

impl Step {
    /// Lower-case name, for the console.
    pub const fn name(self) -> &'static str {
        match self {
            Step::Download => "download",
            Step::Verify => "verify",
            Step::Install => "install",
            Step::Reboot => "reboot",
        }
    }

    /// What a failure in this step is reported as.
    const fn failure(self) -> &'static str {
        match self {
            Step::Download => "download interrupted",
            Step::Verify => "payload checksum mismatch",
            Step::Install => "install script failed",
            Step::Reboot => "system did not come back after reboot",
        }
    }

    /// Share of the estimated duration, per mille. Downloads and installs
    /// dominate real updates; a reboot is short but not free.
    const fn share_permille(self, reboots: bool) -> u64 {
        match (self, reboots) {
            (Step::Download, _) => 300,
            (Step::Verify, _) => 100,
            (Step::Install, true) => 450,
            (Step::Install, false) => 600,
            (Step::Reboot, _) => 150,
        }
    }

    const fn next(self, reboots: bool) -> Option<Step> {
        match self {
            Step::Download => Some(Step::Verify),
            Step::Verify => Some(Step::Install),
            Step::Install if reboots => Some(Step::Reboot),
            Step::Install | Step::Reboot => None,
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
    kind: UpdateKind,
    reboots: bool,
    estimate: Duration,
    step: Step,
    step_ends: Instant,
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
        let reboots = start.flags.contains(UpdateFlags::NEEDS_REBOOT);
        // One generator per (update, attempt), so whether an attempt fails
        // depends on the seed and on which attempt it is, not on the order
        // in which updates happened to start.
        let attempt = Random::new(u64::from(start.id.0) << 8 | u64::from(start.attempt)).next_u64();
        let mut random = Random::new(self.seed ^ attempt);
        let fails = random.below(1000) < u64::from(self.failures.chance(start.kind));
        let fails_in = if fails {
            let steps: &[Step] = if reboots {
                &[Step::Download, Step::Verify, Step::Install, Step::Reboot]
            } else {
                &[Step::Download, Step::Verify, Step::Install]
            };
            Some(steps[random.below(steps.len() as u64) as usize])
        } else {
            None
        };
        let mut job = Job {
            id: start.id,
            kind: start.kind,
            reboots,
            estimate: start.estimated_duration,
            step: Step::Download,
            step_ends: now,
            fails_in,
        };
        job.step_ends = now.saturating_add(job.step_length(Step::Download));
        self.jobs[free] = Some(job);
        Ok(())
    }

    /// Abandons a running update, if it has not passed its point of no
    /// return: an update that ends with a reboot is staged (A/B), so it can
    /// be abandoned until the reboot; firmware and in-place installs only
    /// before installing starts. Returns whether it was abandoned.
    pub fn abort(&mut self, id: UpdateId) -> bool {
        for slot in self.jobs.iter_mut() {
            if let Some(job) = slot {
                if job.id != id {
                    continue;
                }
                let abandonable = match job.step {
                    Step::Download | Step::Verify => true,
                    Step::Install => job.reboots && job.kind != UpdateKind::Firmware,
                    Step::Reboot => false,
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
    /// and each finished job, in order.
    pub fn advance(&mut self, now: Instant, mut report: impl FnMut(Progress)) {
        for slot in self.jobs.iter_mut() {
            while let Some(job) = slot.as_mut() {
                if job.step_ends > now {
                    break;
                }
                if job.fails_in == Some(job.step) {
                    report(Progress::Finished {
                        id: job.id,
                        outcome: Err(job.step.failure()),
                    });
                    *slot = None;
                    break;
                }
                let next = job.step.next(job.reboots);
                if next == Some(Step::Install) {
                    // The last moment before anything is written: the
                    // payload must still be exactly what was signed.
                    if let Err(error) = crate::manifest::check_payload(job.id) {
                        crate::manifest::payload_refused(job.id, error);
                        report(Progress::Finished {
                            id: job.id,
                            outcome: Err(error.reason()),
                        });
                        *slot = None;
                        break;
                    }
                }
                match next {
                    Some(step) => {
                        job.step = step;
                        job.step_ends = job.step_ends.saturating_add(job.step_length(step));
                        report(Progress::Step { id: job.id, step });
                    }
                    None => {
                        report(Progress::Finished {
                            id: job.id,
                            outcome: Ok(()),
                        });
                        *slot = None;
                    }
                }
            }
        }
    }

    /// The earliest time a job changes step, if any job runs.
    pub fn next_change(&self) -> Option<Instant> {
        self.jobs.iter().flatten().map(|job| job.step_ends).min()
    }
}

impl Job {
    fn step_length(&self, step: Step) -> Duration {
        let ms = self.estimate.as_millis() / 1000 * step.share_permille(self.reboots);
        // Every step takes at least a second, so even a tiny estimate shows
        // its steps in order.
        Duration::from_millis(ms.max(1000))
    }
}
