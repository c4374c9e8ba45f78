//! The simulation itself: one policy, one scenario, minute by minute,
//! through the real scheduler.
//!
//! Each simulated minute, in the order a kernel's worker would do it:
//! installations whose time is up end (and are reported back through
//! `report_outcome`; a successful one that needs a reboot reboots in that
//! minute), updates arriving in that minute are submitted, the minute's
//! metrics are fed to the usage pattern (`observe`, for every policy, so
//! every policy learns online from an empty pattern), one round of the
//! platform protocol runs ([`drive`], through [`Machine`]: a staged update
//! whose exclusive phase is due asks for it, the scheduler is polled, a
//! preemption it asks for is carried out if the installation can still be
//! abandoned and the scheduler polled again, so the Critical update starts
//! in the same minute, and what it starts is installed), and the minute is
//! counted as disrupted if anything is installing while the machine is in
//! use.
//!
//! Installations go through the phases of the kernel's executor: download
//! (30% of the estimate), verify (10%), install (60%, or 45% and then a
//! reboot of 15%). Updates that need a reboot or touch firmware are staged
//! (rpm-ostree and A/B slots; fwupd's UEFI capsules, flashed during the
//! reboot): they start beside other updates like any other, install into
//! the inactive slot, and only their reboot (a firmware update's flash)
//! must run alone. At the start of that phase the simulation asks the
//! scheduler (`request_exclusive_phase`) and, while others still run,
//! holds the update staged until it is granted; the phase then takes its
//! 15%. A staged update can be abandoned until its phase begins; every
//! other update writes the live system (packages install in place), so it
//! can be abandoned only before it writes anything: during download and
//! verify. A preemption the scheduler asks for past that point is
//! refused, and the Critical update waits. Every policy is treated the
//! same way.
//!
//! A suspended machine (the `laptop` workload's closed lid) is not in use
//! and runs nothing: in a suspended minute no metrics are observed, no
//! protocol round runs, nothing ends, and every installation in progress
//! is frozen (its end and its exclusive phase move a minute later).
//! Arrivals are still submitted, so deadlines keep counting.
//!
//! The `oracle` policy (see [`crate::oracle`]) runs through this same
//! loop: it only holds each arrival back until the start it chose and
//! defers each retry to the start it chose.

use update_sched::civil::{UtcOffset, WallTime, MINUTES_PER_DAY};
use update_sched::config::{Calendar, Config, Profile};
use update_sched::gate::{Metrics, ResourceThresholds};
use update_sched::pattern::{HourSet, HOURS_PER_WEEK};
use update_sched::policy::{ApprovalPolicy, FrequencyPolicy};
use update_sched::protocol::{drive, Platform, Refusal};
use update_sched::scheduler::{Start, SubmitError, UpdateScheduler, UpdateState};
use update_sched::update::{UpdateFlags, UpdateRecord};
use update_sched::window::Window;
use update_sched::workload::in_use;
use update_sched::{Duration, Instant, Priority, UpdateId, UpdateKind};

use crate::arrivals::{attempt_fails, Arrival};
use crate::oracle::{Minute, Oracle, Request};

/// Live updates one scheduler holds: the kernel's own capacity
/// (`kernel::update::CAPACITY`), so that the simulation refuses an arrival
/// exactly when the kernel would. A policy whose gates keep some updates
/// out for years can still fill it; the arrivals it then refuses are
/// counted in [`Outcome::refused`].
pub const CAPACITY: usize = 1_024;
/// Minutes in a week: when the learned idle hours are scored.
pub const WEEK_MINUTES: u32 = 7 * MINUTES_PER_DAY as u32;
/// How late a start may be and still count as on time: the scheduler's
/// own one-minute grace, so the two counts of misses agree.
const GRACE_SECS: u64 = 60;
/// Where the exclusive phase of a staged update begins, per mille of its
/// duration: after download (30%), verify (10%) and install (45%), the
/// kernel executor's reboot is the last 15%.
const STAGED_PHASE_PERMILLE: u32 = 850;
/// How far into an update installed in place (no reboot, no firmware, or
/// marked exclusive) it can still be abandoned, per mille: download (30%)
/// and verify (10%); installing in place cannot be undone.
const IN_PLACE_ABANDON_PERMILLE: u32 = 400;

/// The policies every run compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// Start as soon as the concurrency limit allows: always open, no
    /// resource gates.
    Immediate,
    /// 03:00-05:00 every day, like the common distribution timer default.
    Nightly,
    /// Anything outside 08:00-17:00, Monday to Friday.
    ActiveHours,
    /// The profile's own windows and frequency (Adaptive read as Daily, so
    /// that this stays a fixed policy).
    Configured,
    /// The Adaptive frequency policy with no windows: it chooses from the
    /// learned pattern alone.
    Adaptive,
    /// The clairvoyant reference ([`crate::oracle`]): `immediate`'s
    /// configuration, each update held back until the start that
    /// disrupts least given the whole run's usage.
    Oracle,
}

impl Policy {
    /// Every policy, in report order.
    pub const ALL: [Policy; 6] = [
        Policy::Immediate,
        Policy::Nightly,
        Policy::ActiveHours,
        Policy::Configured,
        Policy::Adaptive,
        Policy::Oracle,
    ];

    /// The fixed policies adaptive is measured against.
    pub const FIXED: [Policy; 4] = [
        Policy::Immediate,
        Policy::Nightly,
        Policy::ActiveHours,
        Policy::Configured,
    ];

    /// Name in the report.
    pub const fn name(self) -> &'static str {
        match self {
            Policy::Immediate => "immediate",
            Policy::Nightly => "nightly",
            Policy::ActiveHours => "active-hours",
            Policy::Configured => "configured",
            Policy::Adaptive => "adaptive",
            Policy::Oracle => "oracle",
        }
    }

    /// Position in [`Policy::ALL`].
    pub fn index(self) -> usize {
        Policy::ALL
            .iter()
            .position(|&policy| policy == self)
            .unwrap_or(0)
    }

    /// The scheduler configuration of this policy for `profile`, with
    /// local time at `offset`.
    ///
    /// Nobody answers approval requests in a simulation, so no policy asks
    /// for any; everything else not named here is the profile's (deadlines,
    /// retries, concurrency, resource gates).
    pub fn config(self, profile: Profile, offset: UtcOffset) -> Config {
        let preset = Config::preset(profile);
        let mut config = Config {
            approval: ApprovalPolicy::NONE,
            frequency: FrequencyPolicy::Daily,
            windows: Calendar::new(offset),
            ..preset.clone()
        };
        let window = |text: &str| -> Window { text.parse().expect("policy window is valid") };
        let mut add = |window: Window| {
            config
                .windows
                .push(window)
                .expect("a policy has fewer windows than a calendar holds");
        };
        match self {
            Policy::Immediate | Policy::Oracle => add(window("Mon 00:00 +7d")),
            Policy::Nightly => add(window("daily 03:00 +2h")),
            Policy::ActiveHours => {
                add(window("Mon..Thu 17:00 +15h"));
                add(window("Fri 17:00 +63h"));
            }
            Policy::Configured => preset.windows.windows().iter().copied().for_each(add),
            Policy::Adaptive => {}
        }
        match self {
            Policy::Immediate | Policy::Oracle => {
                config.resources = ResourceThresholds::UNLIMITED;
                config.idle = ResourceThresholds::UNLIMITED;
            }
            Policy::Configured if preset.frequency != FrequencyPolicy::Adaptive => {
                config.frequency = preset.frequency;
            }
            // With no windows the planner may pick any time. The issue
            // keeps Adaptive inside the configured windows when a profile
            // has some; the comparison here asks what learning alone does.
            Policy::Adaptive => config.frequency = FrequencyPolicy::Adaptive,
            _ => {}
        }
        config
    }
}

/// Where the metrics come from and what arrives, shared by every policy.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Workload name or trace file, for the report.
    pub name: String,
    /// Wall time of minute 0.
    pub start: WallTime,
    /// Local time offset of the machine.
    pub offset: UtcOffset,
    /// The metrics of each minute of the run.
    pub metrics: Vec<Metrics>,
    /// What arrives, in arrival order.
    pub arrivals: Vec<Arrival>,
    /// Seeds the retry jitter and the failures.
    pub seed: u64,
    /// Failure probability per attempt, per mille.
    pub failure_permille: u16,
    /// The profile whose preset the policies start from.
    pub profile: Profile,
    /// The minutes the machine is suspended; empty if it never is.
    pub suspended: Vec<bool>,
}

impl Scenario {
    /// Minutes in the run.
    pub fn minutes(&self) -> u32 {
        self.metrics.len() as u32
    }

    /// Whether the machine is suspended in `minute`.
    pub fn is_suspended(&self, minute: u32) -> bool {
        self.suspended
            .get(minute as usize)
            .copied()
            .unwrap_or(false)
    }

    /// Wall time of `minute`.
    pub fn wall(&self, minute: u32) -> WallTime {
        self.start
            .saturating_add(Duration::from_minutes(u64::from(minute)))
    }
}

/// One installation attempt, for the plot.
#[derive(Clone, Copy, Debug)]
pub struct Attempt {
    /// First minute it ran.
    pub start: u32,
    /// Minute it ended (exclusive); past the run if it was still going.
    pub end: u32,
    /// Its update's priority.
    pub priority: Priority,
    /// Whether it succeeded (unknown, and `false`, if still going).
    pub succeeded: bool,
    /// Whether its deadline forced it.
    pub forced: bool,
}

/// Running mean and maximum of minutes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Spread {
    /// How many values.
    pub count: u32,
    /// Their sum.
    pub sum: u64,
    /// The largest.
    pub worst: u32,
}

impl Spread {
    fn add(&mut self, minutes: u32) {
        self.count += 1;
        self.sum += u64::from(minutes);
        self.worst = self.worst.max(minutes);
    }

    /// Mean, rounded to the nearest minute (`None` without values).
    pub fn mean(&self) -> Option<u32> {
        (self.count > 0)
            .then(|| ((self.sum + u64::from(self.count) / 2) / u64::from(self.count)) as u32)
    }
}

/// What one policy did over one scenario.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The policy.
    pub policy: Policy,
    /// Minutes with an installation running while the machine was in use.
    pub disrupted_minutes: u32,
    /// The same, per day of the run.
    pub disrupted_by_day: Vec<u32>,
    /// Reboots (successful reboot-needing installations).
    pub reboots: u32,
    /// Reboots in a minute the machine was in use.
    pub disrupted_reboots: u32,
    /// Deadline misses per priority, counted here: a first start later
    /// than availability + deadline + one minute, or no start by then.
    pub missed: [u32; 5],
    /// The scheduler's own count (`status().deadline_misses`).
    pub scheduler_missed: [u32; 5],
    /// From available to installed, per priority, for completed updates.
    pub install: [Spread; 5],
    /// Updates submitted.
    pub submitted: u32,
    /// Arrivals the scheduler refused because its queue was full. They are
    /// in no other figure: never submitted, never installed, never late.
    pub refused: u32,
    /// Completed for good.
    pub completed: u32,
    /// Failed for good (every attempt failed).
    pub failed: u32,
    /// Still queued, waiting or installing when the run ended.
    pub pending: u32,
    /// The estimated minutes of those still pending: installation work a
    /// policy had not done (and so had disrupted nobody with) by the end.
    pub pending_minutes: u32,
    /// Installations aborted for a Critical update at the scheduler's
    /// request.
    pub preemptions: u32,
    /// Installations the scheduler asked to abort that were past the
    /// point of no return (each counted once).
    pub refused_preemptions: u32,
    /// Every installation attempt (a preempted one ends when it was
    /// aborted).
    pub attempts: Vec<Attempt>,
    /// Learned idle hours after the first week, if the run is that long.
    pub idle_after_week: Option<HourSet>,
    /// Learned activity per hour of the week at the end (`None`: nothing
    /// known of that hour).
    pub final_scores: Vec<Option<u16>>,
}

impl Outcome {
    /// Deadline misses of Critical, Security and Important updates.
    pub fn missed_urgent(&self) -> u32 {
        self.missed[..3].iter().sum()
    }

    /// Disrupted minutes in the last `days` days of the run.
    pub fn disrupted_last_days(&self, days: usize) -> u32 {
        let from = self.disrupted_by_day.len().saturating_sub(days);
        self.disrupted_by_day[from..].iter().sum()
    }
}

/// An installation in progress.
#[derive(Clone, Copy, Debug)]
struct Job {
    id: u32,
    attempt: usize,
    start: u32,
    /// The minute it ends; `u32::MAX` while a staged update waits for its
    /// exclusive phase.
    end: u32,
    fails: bool,
    reboots: bool,
    /// Staged: it needs a reboot or touches firmware.
    staged: bool,
    /// A staged update before its exclusive phase: the minute that phase
    /// is due and its length. `None` once entered, and for updates
    /// installed in place.
    phase: Option<(u32, u32)>,
    /// A preemption was asked for and refused.
    refused: bool,
}

impl Job {
    /// A job for an update of `kind` with `flags` and `length` minutes,
    /// starting at `start`.
    fn new(
        id: u32,
        attempt: usize,
        start: u32,
        length: u32,
        kind: UpdateKind,
        flags: UpdateFlags,
    ) -> Job {
        let staged = is_staged(kind, flags);
        let staging = staging_minutes(length);
        Job {
            id,
            attempt,
            start,
            end: if staged { u32::MAX } else { start + length },
            fails: false,
            reboots: flags.contains(UpdateFlags::NEEDS_REBOOT),
            staged,
            phase: staged.then_some((start + staging, length - staging)),
            refused: false,
        }
    }

    /// Whether it can still be abandoned at `minute`, by the phase it is
    /// in at the start of that minute: a staged update until its
    /// exclusive phase begins, one installed in place during download
    /// and verify.
    fn abandonable(&self, minute: u32) -> bool {
        if self.staged {
            return self.phase.is_some();
        }
        let length = self.end - self.start;
        (minute - self.start) * 1_000 < IN_PLACE_ABANDON_PERMILLE * length
    }
}

/// Whether an update of `kind` with `flags` is staged: it needs a reboot
/// or touches firmware, and is not marked to run alone throughout.
fn is_staged(kind: UpdateKind, flags: UpdateFlags) -> bool {
    (flags.contains(UpdateFlags::NEEDS_REBOOT) || kind == UpdateKind::Firmware)
        && !flags.contains(UpdateFlags::EXCLUSIVE)
}

/// Minutes of a staged installation of `length` minutes before its
/// exclusive phase.
fn staging_minutes(length: u32) -> u32 {
    length * STAGED_PHASE_PERMILLE / 1_000
}

/// What the oracle places for an arrival: its installation from
/// `earliest`, no later than `latest`.
fn oracle_request(arrival: &Arrival, earliest: u32, latest: Option<u32>) -> Request {
    let length = arrival.minutes.max(1);
    Request {
        priority: arrival.priority,
        kind: arrival.kind,
        length,
        staging: is_staged(arrival.kind, arrival.flags).then(|| staging_minutes(length)),
        earliest,
        latest,
    }
}

/// The oracle for `scenario` under `config`: the run's usage, power and
/// suspension, minute by minute.
fn oracle_for(scenario: &Scenario, config: &Config) -> Oracle {
    let minutes = (0..scenario.minutes())
        .map(|minute| {
            let metrics = &scenario.metrics[minute as usize];
            Minute {
                in_use: in_use(metrics),
                suspended: scenario.is_suspended(minute),
                power: metrics.power,
            }
        })
        .collect();
    Oracle::new(minutes, config.max_concurrent, config.power)
}

/// Submits `arrival` at `now` (it became available at its own minute);
/// `false` if the queue was full, which the caller counts.
fn submit<const N: usize>(
    scheduler: &mut UpdateScheduler<N>,
    arrival: &Arrival,
    now: Instant,
) -> Result<bool, String> {
    let mut record = UpdateRecord::new(
        UpdateId(arrival.id),
        &arrival.name(),
        arrival.kind,
        arrival.priority,
        Duration::from_minutes(u64::from(arrival.minutes)),
        Instant::from_secs(u64::from(arrival.minute) * 60),
    );
    record.flags = arrival.flags;
    match scheduler.submit(&record, now) {
        Ok(()) => Ok(true),
        // The kernel refuses a submission to a full queue the same way;
        // the run goes on and counts it.
        Err(SubmitError::Full) => Ok(false),
        Err(error) => Err(format!("submit #{}: {error}", arrival.id)),
    }
}

/// The machine in one minute, as the protocol ([`drive`]) sees it: the
/// installations in progress, and the run's figures they change.
struct Machine<'a> {
    minute: u32,
    scenario: &'a Scenario,
    running: &'a mut Vec<Job>,
    outcome: &'a mut Outcome,
    /// The minute each update first started, indexed by id.
    first_start: &'a mut Vec<Option<u32>>,
    /// The first call the scheduler refused, or a preemption of an update
    /// not installing: either is a bug in the simulation, and ends it.
    error: Option<String>,
}

impl Platform for Machine<'_> {
    fn start(&mut self, start: &Start) -> Result<(), &'static str> {
        let minute = self.minute;
        let arrival = &self.scenario.arrivals[start.id.0 as usize - 1];
        self.first_start[arrival.id as usize].get_or_insert(minute);
        let length = start.estimated_duration.as_minutes().max(1) as u32;
        self.running.push(Job {
            fails: attempt_fails(
                self.scenario.seed,
                arrival.id,
                start.attempt,
                self.scenario.failure_permille,
            ),
            ..Job::new(
                arrival.id,
                self.outcome.attempts.len(),
                minute,
                length,
                start.kind,
                start.flags,
            )
        });
        self.outcome.attempts.push(Attempt {
            start: minute,
            end: minute + length,
            priority: arrival.priority,
            succeeded: false,
            forced: start.forced,
        });
        Ok(())
    }

    /// Abandons the installation if its phase allows; a refused
    /// preemption is counted once per installation.
    fn abort(&mut self, id: UpdateId) -> bool {
        let Some(index) = self.running.iter().position(|job| job.id == id.0) else {
            self.error
                .get_or_insert(format!("preempt_request {id}: not installing"));
            return false;
        };
        let job = self.running[index];
        if !job.abandonable(self.minute) {
            if !job.refused {
                self.running[index].refused = true;
                self.outcome.refused_preemptions += 1;
            }
            return false;
        }
        self.running.swap_remove(index);
        self.outcome.preemptions += 1;
        self.outcome.attempts[job.attempt].end = self.minute;
        true
    }

    /// Staged updates whose exclusive phase is due (at most one is staged
    /// at a time); one told to wait stays staged and asks again the next
    /// minute.
    fn held(&self) -> impl Iterator<Item = UpdateId> + '_ {
        self.running
            .iter()
            .filter(|job| job.phase.is_some_and(|(due, _)| due <= self.minute))
            .map(|job| UpdateId(job.id))
    }

    fn enter_exclusive_phase(&mut self, id: UpdateId) {
        let minute = self.minute;
        if let Some(job) = self.running.iter_mut().find(|job| job.id == id.0) {
            if let Some((_, length)) = job.phase.take() {
                job.end = minute + length;
                self.outcome.attempts[job.attempt].end = job.end;
            }
        }
    }

    fn refused(&mut self, refusal: Refusal) {
        self.error.get_or_insert(refusal.to_string());
    }
}

/// Freezes every installation in progress for a suspended minute: its end
/// and its exclusive phase come a minute later.
fn freeze(running: &mut [Job], outcome: &mut Outcome) {
    for job in running {
        if job.end != u32::MAX {
            job.end += 1;
            outcome.attempts[job.attempt].end = job.end;
        }
        if let Some((due, length)) = job.phase {
            job.phase = Some((due + 1, length));
        }
    }
}

/// After a failed attempt of `arrival` is reported at `now`: places the
/// retry in the oracle's plan at the start that disrupts least, no
/// earlier than the scheduler's backoff allows, and defers it there. A
/// Critical update cannot be deferred; it is retried when the backoff
/// ends, and the plan counts it there.
fn place_retry<const N: usize>(
    oracle: &mut Oracle,
    scheduler: &mut UpdateScheduler<N>,
    arrival: &Arrival,
    now: Instant,
) -> Result<(), String> {
    let id = UpdateId(arrival.id);
    let Some(wake) = scheduler.get(id).and_then(|info| info.wake_at) else {
        // Failed for good: nothing to place.
        return Ok(());
    };
    let earliest = wake.as_millis().div_ceil(60_000) as u32;
    let request = oracle_request(arrival, earliest, None);
    let start = match oracle.best(&request) {
        Some((start, _)) if start > earliest && arrival.priority != Priority::Critical => {
            scheduler
                .defer(id, Instant::from_secs(u64::from(start) * 60), now)
                .map_err(|error| format!("defer #{}: {error}", arrival.id))?;
            start
        }
        _ => earliest,
    };
    oracle.reserve(&request, start);
    Ok(())
}

/// Runs `policy` over `scenario`.
pub fn run(scenario: &Scenario, policy: Policy) -> Result<Outcome, String> {
    let config = policy.config(scenario.profile, scenario.offset);
    let mut oracle = (policy == Policy::Oracle).then(|| oracle_for(scenario, &config));
    let deadlines = config.deadlines;
    let mut scheduler: Box<UpdateScheduler<CAPACITY>> = Box::new(
        UpdateScheduler::new(config)
            .map_err(|errors| format!("{} configuration: {errors:?}", policy.name()))?,
    );
    scheduler.set_seed(scenario.seed);
    scheduler
        .set_staged_updates(true)
        .map_err(|error| format!("set_staged_updates: {error}"))?;
    let minutes = scenario.minutes();
    let days = minutes.div_ceil(u32::from(MINUTES_PER_DAY)) as usize;
    let mut outcome = Outcome {
        policy,
        disrupted_minutes: 0,
        disrupted_by_day: vec![0; days],
        reboots: 0,
        disrupted_reboots: 0,
        missed: [0; 5],
        scheduler_missed: [0; 5],
        install: [Spread::default(); 5],
        submitted: 0,
        refused: 0,
        completed: 0,
        failed: 0,
        pending: 0,
        pending_minutes: 0,
        preemptions: 0,
        refused_preemptions: 0,
        attempts: Vec::new(),
        idle_after_week: None,
        final_scores: Vec::new(),
    };
    // Indexed by id (ids run from 1).
    let mut first_start: Vec<Option<u32>> = vec![None; scenario.arrivals.len() + 1];
    let mut refused = vec![false; scenario.arrivals.len() + 1];
    let mut running: Vec<Job> = Vec::new();
    let mut next_arrival = 0;
    // The oracle's arrivals held back until the start it chose: (start,
    // index in the arrivals), in arrival order.
    let mut held_back: Vec<(u32, usize)> = Vec::new();
    // The last minute a protocol round ran (the machine was awake).
    let mut last_round: Option<u32> = None;
    for minute in 0..minutes {
        let now = Instant::from_secs(u64::from(minute) * 60);
        let wall = scenario.wall(minute);
        let metrics = &scenario.metrics[minute as usize];
        let busy = in_use(metrics);
        let suspended = scenario.is_suspended(minute);

        if suspended {
            freeze(&mut running, &mut outcome);
        }
        let mut index = 0;
        while index < running.len() && !suspended {
            let job = running[index];
            if job.end != minute {
                index += 1;
                continue;
            }
            running.swap_remove(index);
            let result = if job.fails {
                Err("simulated installation failure")
            } else {
                Ok(())
            };
            scheduler
                .report_outcome(UpdateId(job.id), result, now)
                .map_err(|error| format!("report_outcome #{}: {error}", job.id))?;
            outcome.attempts[job.attempt].succeeded = !job.fails;
            let arrival = &scenario.arrivals[job.id as usize - 1];
            if let (Some(oracle), true) = (oracle.as_mut(), job.fails) {
                place_retry(oracle, &mut scheduler, arrival, now)?;
            }
            if !job.fails {
                outcome.install[arrival.priority.index()].add(minute - arrival.minute);
                if job.reboots {
                    outcome.reboots += 1;
                    if busy {
                        outcome.disrupted_reboots += 1;
                    }
                }
            }
        }

        while let Some(arrival) = scenario.arrivals.get(next_arrival) {
            if arrival.minute != minute {
                break;
            }
            if let Some(oracle) = oracle.as_mut() {
                let latest = deadlines
                    .of(arrival.priority)
                    .map(|deadline| arrival.minute + (deadline.as_secs() / 60) as u32);
                let start = oracle.place(&oracle_request(arrival, minute, latest));
                held_back.push((start, next_arrival));
            } else if !submit(&mut scheduler, arrival, now)? {
                refused[arrival.id as usize] = true;
                outcome.refused += 1;
            }
            next_arrival += 1;
        }
        let mut index = 0;
        while index < held_back.len() && !suspended {
            let (start, arrival_index) = held_back[index];
            if start > minute {
                index += 1;
                continue;
            }
            held_back.remove(index);
            let arrival = &scenario.arrivals[arrival_index];
            if !submit(&mut scheduler, arrival, now)? {
                refused[arrival.id as usize] = true;
                outcome.refused += 1;
            }
        }

        if minute == WEEK_MINUTES {
            // Exactly seven days of samples, the hour in progress folded.
            let mut pattern = scheduler.pattern().clone();
            pattern.flush();
            outcome.idle_after_week = Some(pattern.idle_hours());
        }
        if !suspended {
            scheduler.observe(wall, metrics);
            let mut machine = Machine {
                minute,
                scenario,
                running: &mut running,
                outcome: &mut outcome,
                first_start: &mut first_start,
                error: None,
            };
            drive(&mut scheduler, now, wall, metrics, &mut machine);
            if let Some(error) = machine.error {
                return Err(error);
            }
            last_round = Some(minute);
            if busy && !running.is_empty() {
                outcome.disrupted_minutes += 1;
                outcome.disrupted_by_day[(minute / u32::from(MINUTES_PER_DAY)) as usize] += 1;
            }
        }
        // Nobody reads the events here (the figures come from `status()`
        // and the simulation's own counts); draining keeps the queue from
        // overflowing, as the kernel's worker does.
        while scheduler.pop_event().is_some() {}
    }
    // An arrival the oracle held back to a start the run never reached
    // awake is submitted at the end, so that the books still balance.
    let end = Instant::from_secs(u64::from(minutes.saturating_sub(1)) * 60);
    for (_, arrival_index) in held_back {
        let arrival = &scenario.arrivals[arrival_index];
        if !submit(&mut scheduler, arrival, end)? {
            refused[arrival.id as usize] = true;
            outcome.refused += 1;
        }
    }

    let status = scheduler.status();
    outcome.submitted = status.submitted;
    outcome.completed = status.count(UpdateState::Completed);
    outcome.failed = status.count(UpdateState::Failed);
    outcome.pending = status.live();
    outcome.pending_minutes = scenario
        .arrivals
        .iter()
        .filter(|arrival| {
            scheduler
                .state_of(UpdateId(arrival.id))
                .is_some_and(|state| !state.is_final())
        })
        .map(|arrival| arrival.minutes)
        .sum();
    outcome.scheduler_missed = status.deadline_misses;
    let last_poll_s = u64::from(last_round.unwrap_or(0)) * 60;
    for arrival in &scenario.arrivals[..next_arrival] {
        let Some(deadline) = deadlines.of(arrival.priority) else {
            continue;
        };
        if refused[arrival.id as usize] {
            continue;
        }
        let latest_s = u64::from(arrival.minute) * 60 + deadline.as_secs() + GRACE_SECS;
        let late = match first_start[arrival.id as usize] {
            Some(start) => u64::from(start) * 60 > latest_s,
            None => last_poll_s > latest_s,
        };
        if late {
            outcome.missed[arrival.priority.index()] += 1;
        }
    }
    let pattern = scheduler.pattern();
    outcome.final_scores = (0..HOURS_PER_WEEK)
        .map(|hour| pattern.estimate(hour))
        .collect();
    Ok(outcome)
}
