//! The scheduler's public types: states and their counts, what a poll
//! decides, the errors of submissions and commands, and the reasons and
//! explanations `explain` gives.

use super::{LATEST_INSTANT, MAX_ESTIMATE, MAX_STARTS_PER_POLL};
use crate::civil::{LocalTime, UtcOffset, WallTime};
use crate::gate::GateWait;
use crate::policy::FrequencyPolicy;
use crate::time::{Duration, Instant};
use crate::update::{Priority, UpdateFlags, UpdateId, UpdateKind, UpdateName, UpdateRecord};
use core::fmt;
use heapless::Vec;

/// Where an update is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UpdateState {
    /// Not yet available.
    Waiting,
    /// Needs a person's approval.
    AwaitingApproval,
    /// Put off by a person until a later time.
    Deferred,
    /// Waits for an update it depends on.
    Blocked,
    /// Queued: waits for a window, a gate or its turn.
    Ready,
    /// Being installed.
    Running,
    /// Failed, waiting to be tried again.
    RetryWait,
    /// Installed.
    Completed,
    /// Failed for good (or a dependency did).
    Failed,
    /// Cancelled.
    Cancelled,
    /// Rejected by a person.
    Rejected,
}

impl UpdateState {
    /// Every state, live ones first.
    pub const ALL: [UpdateState; 11] = [
        UpdateState::Waiting,
        UpdateState::AwaitingApproval,
        UpdateState::Deferred,
        UpdateState::Blocked,
        UpdateState::Ready,
        UpdateState::Running,
        UpdateState::RetryWait,
        UpdateState::Completed,
        UpdateState::Failed,
        UpdateState::Cancelled,
        UpdateState::Rejected,
    ];

    /// Lower-case name.
    pub const fn name(self) -> &'static str {
        match self {
            UpdateState::Waiting => "waiting",
            UpdateState::AwaitingApproval => "awaiting-approval",
            UpdateState::Deferred => "deferred",
            UpdateState::Blocked => "blocked",
            UpdateState::Ready => "ready",
            UpdateState::Running => "running",
            UpdateState::RetryWait => "retry-wait",
            UpdateState::Completed => "completed",
            UpdateState::Failed => "failed",
            UpdateState::Cancelled => "cancelled",
            UpdateState::Rejected => "rejected",
        }
    }

    /// Whether the update is done with, one way or another.
    pub const fn is_final(self) -> bool {
        matches!(
            self,
            UpdateState::Completed
                | UpdateState::Failed
                | UpdateState::Cancelled
                | UpdateState::Rejected
        )
    }

    #[inline]
    pub(super) const fn code(self) -> u8 {
        self as u8
    }

    #[inline]
    pub(super) const fn from_code(code: u8) -> UpdateState {
        match code {
            0 => UpdateState::Waiting,
            1 => UpdateState::AwaitingApproval,
            2 => UpdateState::Deferred,
            3 => UpdateState::Blocked,
            4 => UpdateState::Ready,
            5 => UpdateState::Running,
            _ => UpdateState::RetryWait,
        }
    }
}

impl fmt::Display for UpdateState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How many updates are in each state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct StatusCounts {
    /// Indexed by the position of the state in [`UpdateState::ALL`].
    pub(super) by_state: [u32; 11],
    /// Updates ever accepted by `submit`.
    pub submitted: u32,
    /// Updates that started after their deadline (plus the one-minute
    /// grace), or whose deadline passed while they waited, by priority.
    pub deadline_misses: [u32; 5],
    /// Updates whose deadline passed while they still awaited approval
    /// under [`crate::policy::UnapprovedAtDeadline::Escalate`], by
    /// priority: a kind of miss of its own, not in `deadline_misses`.
    pub missed_awaiting_approval: [u32; 5],
    /// Events dropped because the platform did not drain them in time.
    pub events_overflowed: u32,
}

impl StatusCounts {
    /// Updates in `state`.
    pub fn count(&self, state: UpdateState) -> u32 {
        self.by_state[state as usize]
    }

    /// Updates in a live state (holding a slot).
    pub fn live(&self) -> u32 {
        UpdateState::ALL
            .iter()
            .filter(|state| !state.is_final())
            .map(|&state| self.count(state))
            .sum()
    }

    /// Updates in any state: equal to [`StatusCounts::submitted`], always.
    pub fn total(&self) -> u32 {
        self.by_state.iter().sum()
    }

    /// All deadline misses.
    pub fn total_deadline_misses(&self) -> u32 {
        self.deadline_misses.iter().sum()
    }
}

/// `submitted=12 ready=3 running=1 completed=8 ...`: every non-zero state.
impl fmt::Display for StatusCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "submitted={}", self.submitted)?;
        for state in UpdateState::ALL {
            let count = self.count(state);
            if count > 0 {
                write!(f, " {}={}", state.name(), count)?;
            }
        }
        write!(f, " deadline_misses={}", self.total_deadline_misses())?;
        let unapproved: u32 = self.missed_awaiting_approval.iter().sum();
        if unapproved > 0 {
            write!(f, " missed_awaiting_approval={unapproved}")?;
        }
        Ok(())
    }
}

/// An update the platform should start installing now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Start {
    /// The update.
    pub id: UpdateId,
    /// What it touches.
    pub kind: UpdateKind,
    /// Its flags (reboot, ...).
    pub flags: UpdateFlags,
    /// Expected installation time.
    pub estimated_duration: Duration,
    /// 1 for the first attempt; a restart after a preemption keeps the
    /// number of the attempt that was aborted.
    pub attempt: u8,
    /// Forced: its latest start (at or before its deadline) came.
    pub forced: bool,
}

/// What a poll decided.
pub type Starts = Vec<Start, MAX_STARTS_PER_POLL>;

/// The answer to [`UpdateScheduler::request_exclusive_phase`](crate::scheduler::UpdateScheduler::request_exclusive_phase).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PhaseGrant {
    /// Nothing else runs: enter the exclusive phase (reboot, flash) now.
    /// Nothing starts beside it until its outcome is reported.
    Enter,
    /// Other updates are still running: hold the update where it is
    /// (staged, still abandonable) and ask again after the next poll or
    /// reported outcome. Nothing new starts meanwhile.
    Wait,
}

/// A queued update as the scheduler knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateInfo {
    /// The record, as submitted (times rounded to whole seconds).
    pub record: UpdateRecord,
    /// Where it is.
    pub state: UpdateState,
    /// Attempts made so far.
    pub attempts: u8,
    /// Latest on-time start, if its priority has a deadline.
    pub deadline: Option<Instant>,
    /// When a waiting, deferred or backing-off update is next looked at.
    pub wake_at: Option<Instant>,
    /// Whether it has been approved.
    pub approved: bool,
}

/// Why `submit` refused an update.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SubmitError {
    /// Every slot is taken.
    Full,
    /// An update with this id is already queued.
    Duplicate,
    /// A dependency names no queued or recently completed update.
    UnknownDependency(UpdateId),
    /// A dependency failed, was rejected or was cancelled.
    DependencyFailed(UpdateId),
    /// The update depends on itself.
    SelfDependency,
    /// The dependency table is full.
    TooManyDependencies,
    /// The estimate exceeds [`MAX_ESTIMATE`].
    EstimateTooLong,
    /// The estimate is zero.
    ZeroEstimate,
    /// It becomes available after [`LATEST_INSTANT`].
    AvailableTooLate,
}

impl fmt::Display for SubmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubmitError::Full => f.write_str("the update queue is full"),
            SubmitError::Duplicate => f.write_str("an update with this id is already queued"),
            SubmitError::UnknownDependency(id) => write!(f, "dependency {id} is not known"),
            SubmitError::DependencyFailed(id) => write!(f, "dependency {id} will never complete"),
            SubmitError::SelfDependency => f.write_str("an update cannot depend on itself"),
            SubmitError::TooManyDependencies => f.write_str("the dependency table is full"),
            SubmitError::EstimateTooLong => {
                write!(f, "estimated duration above the {MAX_ESTIMATE} limit")
            }
            SubmitError::ZeroEstimate => f.write_str("estimated duration must be above zero"),
            SubmitError::AvailableTooLate => write!(
                f,
                "available too late: the scheduler holds times up to {} after boot",
                Rounded(LATEST_INSTANT.since_boot())
            ),
        }
    }
}

impl core::error::Error for SubmitError {}

/// Why a command about one update (approve, reject, defer, cancel, report)
/// was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CommandError {
    /// No queued update has this id.
    UnknownId,
    /// The update is being installed; wait for its outcome.
    Running,
    /// The update already finished.
    Finished(UpdateState),
    /// It was approved already.
    AlreadyApproved,
    /// Critical updates cannot be deferred.
    CriticalCannotWait,
    /// The deferral ends no later than now.
    NotInFuture,
    /// The deferral ends after [`LATEST_INSTANT`].
    TooLate,
    /// An outcome was reported for an update that is not running.
    NotRunning,
    /// An exclusive phase was asked for an update that has none (no
    /// reboot, no firmware, not marked exclusive).
    NoExclusivePhase,
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandError::UnknownId => f.write_str("no such update"),
            CommandError::Running => f.write_str("the update is being installed"),
            CommandError::Finished(state) => write!(f, "the update is already {state}"),
            CommandError::AlreadyApproved => f.write_str("the update is already approved"),
            CommandError::CriticalCannotWait => f.write_str("critical updates cannot be deferred"),
            CommandError::NotInFuture => f.write_str("the deferral must end in the future"),
            CommandError::TooLate => write!(
                f,
                "the deferral ends too late: the scheduler holds times up to {} after boot",
                Rounded(LATEST_INSTANT.since_boot())
            ),
            CommandError::NotRunning => f.write_str("the update is not running"),
            CommandError::NoExclusivePhase => {
                f.write_str("the update neither reboots nor touches firmware")
            }
        }
    }
}

impl core::error::Error for CommandError {}

/// Why an update is not running now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitReason {
    /// It is running.
    Running,
    /// It is not available yet.
    NotYetAvailable,
    /// It needs approval.
    AwaitingApproval,
    /// A person deferred it.
    Deferred,
    /// It failed and backs off before attempt `attempt`.
    RetryBackoff {
        /// The next attempt.
        attempt: u8,
    },
    /// It waits for this dependency to complete.
    Dependency(UpdateId),
    /// It was running and was aborted so that this Critical update could
    /// start ([`UpdateScheduler::report_preempted`](crate::scheduler::UpdateScheduler::report_preempted)); it waits while that
    /// one is queued or running.
    Preempted(UpdateId),
    /// The concurrency limit is reached.
    Concurrency {
        /// Running now: above `max` for a non-Critical update while a
        /// Critical one runs in the place beyond the limit.
        running: u8,
        /// The limit that applies to this update: `max_concurrent`, one
        /// more for a Critical update ([`CRITICAL_BEYOND_LIMIT`](crate::scheduler::CRITICAL_BEYOND_LIMIT)).
        max: u8,
    },
    /// An update that must run alone is running.
    SomethingRunsAlone,
    /// It must run alone and waits for the running updates to finish (a
    /// staged update: it is running and waits to enter its exclusive
    /// phase).
    WaitingToRunAlone,
    /// This staged update waits to enter its exclusive phase (reboot,
    /// firmware flash): nothing new starts until it has.
    ExclusivePhasePending(UpdateId),
    /// It is staged, and this staged update is running: one at a time.
    StagingBusy(UpdateId),
    /// A gate says no.
    Gate(GateWait),
    /// Emergency maintenance: only Critical and Security updates run.
    Emergency,
    /// No maintenance window is configured: it runs only at its deadline.
    NoWindows,
    /// The maintenance windows are closed.
    WindowClosed,
    /// The window is open, but the frequency policy does not release
    /// updates today.
    NotReleasedToday(FrequencyPolicy),
    /// The manual policy releases only approved updates.
    ManualRelease,
    /// It would not finish before the window closes.
    DoesNotFit {
        /// Its estimate.
        needs: Duration,
        /// Time left in the window.
        left: Duration,
    },
    /// Low priority runs only while the machine is idle.
    NotIdle(GateWait),
    /// It would still run when an update with a deadline must start (at
    /// that update's latest start): it waits for room. An update that is
    /// forced or Critical never waits for this.
    NoRoomBeforeLatestStarts,
    /// A pause holds every update below Security until `until`.
    Paused {
        /// When the pause ends.
        until: WallTime,
        /// The local time it is shown in.
        offset: UtcOffset,
    },
    /// A freeze period holds every update below Critical until `until`;
    /// a Security update goes ahead at its deadline.
    Frozen {
        /// When the freeze period ends.
        until: WallTime,
        /// The local time it is shown in.
        offset: UtcOffset,
    },
    /// Nothing holds it back; it starts at the next poll.
    StartsNextPoll,
    /// Nothing holds it back but other updates are ahead of it.
    QueuedBehind(UpdateId),
    /// The Adaptive policy planned a quieter time for it.
    PlannedSlot {
        /// The planned start.
        at: WallTime,
        /// The local time it is shown in.
        offset: UtcOffset,
        /// The activity the usage pattern predicts while it runs, per mille.
        activity_permille: u16,
        /// The plan rests on the fallback night window or the configured
        /// windows alone: nothing was known of the hours it covers.
        fallback: bool,
    },
}

impl WaitReason {
    /// Whether the reason holds every update behind the head of the queue
    /// too (a closed window), not just the head (it needs idle).
    #[inline]
    pub(super) fn holds_everyone(&self) -> bool {
        !matches!(
            self,
            WaitReason::DoesNotFit { .. }
                | WaitReason::NotIdle(_)
                | WaitReason::ManualRelease
                | WaitReason::Gate(GateWait::FirmwareOnBattery)
                | WaitReason::Dependency(_)
                | WaitReason::Emergency
                | WaitReason::StagingBusy(_)
                | WaitReason::NoRoomBeforeLatestStarts
                | WaitReason::Paused { .. }
                | WaitReason::Frozen { .. }
        )
    }
}

impl fmt::Display for WaitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitReason::Running => f.write_str("running now"),
            WaitReason::NotYetAvailable => f.write_str("not available yet"),
            WaitReason::AwaitingApproval => f.write_str("waiting for approval"),
            WaitReason::Deferred => f.write_str("deferred by an operator"),
            WaitReason::RetryBackoff { attempt } => {
                write!(f, "backing off after a failure before attempt {attempt}")
            }
            WaitReason::Dependency(id) => write!(f, "waiting for {id} to complete"),
            WaitReason::Preempted(id) => write!(f, "preempted for critical update {id}"),
            WaitReason::Concurrency { running, max } if running > max => {
                write!(
                    f,
                    "{running} updates running, a critical one beyond the limit of {max}"
                )
            }
            WaitReason::Concurrency { running, max } => {
                write!(f, "{running} of {max} concurrent updates already running")
            }
            WaitReason::SomethingRunsAlone => {
                f.write_str("an update that must run alone is running")
            }
            WaitReason::WaitingToRunAlone => {
                f.write_str("must run alone, waiting for running updates to finish")
            }
            WaitReason::ExclusivePhasePending(id) => {
                write!(
                    f,
                    "{id} waits to reboot or flash alone: nothing new starts before it"
                )
            }
            WaitReason::StagingBusy(id) => {
                write!(
                    f,
                    "{id} is staged: one update that reboots or flashes at a time"
                )
            }
            WaitReason::Gate(wait) => write!(f, "{wait}"),
            WaitReason::Emergency => {
                f.write_str("emergency maintenance: only critical and security updates run")
            }
            WaitReason::NoWindows => f.write_str("no maintenance window is configured"),
            WaitReason::WindowClosed => f.write_str("outside the maintenance windows"),
            WaitReason::NotReleasedToday(FrequencyPolicy::Monthly(day))
                if day.weekday().is_some() =>
            {
                write!(
                    f,
                    "window open, but the monthly {day} policy releases updates only on the {day} of each month"
                )
            }
            WaitReason::NotReleasedToday(policy) => {
                write!(
                    f,
                    "window open, but the {policy} policy does not release updates today"
                )
            }
            WaitReason::ManualRelease => f.write_str("manual policy: runs once approved"),
            WaitReason::Paused { until, offset } => write!(
                f,
                "paused until {} (all but Critical and Security updates wait)",
                until.to_local(*offset)
            ),
            WaitReason::Frozen { until, offset } => write!(
                f,
                "frozen until {} (a freeze period: Security updates only at their deadline)",
                until.to_local(*offset)
            ),
            WaitReason::DoesNotFit { needs, left } => {
                write!(f, "needs {needs}, only {left} left in the window")
            }
            WaitReason::NotIdle(wait) => {
                write!(f, "low priority waits for an idle machine ({wait})")
            }
            WaitReason::NoRoomBeforeLatestStarts => f.write_str(
                "it would still run when updates with deadlines must start: waits for room",
            ),
            WaitReason::StartsNextPoll => {
                f.write_str("nothing holds it back: starts at the next poll")
            }
            WaitReason::QueuedBehind(id) => write!(f, "queued behind {id}"),
            WaitReason::PlannedSlot {
                at,
                offset,
                activity_permille,
                fallback,
            } => write_planned_slot(f, at.to_local(*offset), *activity_permille, *fallback),
        }
    }
}

/// [`WaitReason::PlannedSlot`]: the slot in local time, and what the plan
/// knew of the machine's use then.
fn write_planned_slot(
    f: &mut fmt::Formatter<'_>,
    at: LocalTime,
    activity_permille: u16,
    fallback: bool,
) -> fmt::Result {
    if fallback {
        write!(
            f,
            "waiting for planned slot {at} (usage pattern not learned yet: fallback window)"
        )
    } else {
        write!(
            f,
            "waiting for planned slot {at} (predicted activity {activity_permille}\u{2030})"
        )
    }
}

/// A one-line answer to "why is this update not running?".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// The update.
    pub id: UpdateId,
    /// Its name.
    pub name: UpdateName,
    /// Its priority.
    pub priority: Priority,
    /// Its state.
    pub state: UpdateState,
    /// The reason.
    pub reason: WaitReason,
    /// When it could next start, if known (monotonic).
    pub next_chance: Option<Instant>,
    /// Its deadline, if its priority has one.
    pub deadline: Option<Instant>,
    /// Its latest start comes before any chance the windows give, so it
    /// will be forced then (`next_chance`).
    pub runs_at_deadline: bool,
    /// With `runs_at_deadline`: when it is forced, the latest start that
    /// keeps its deadline and leaves room for the updates due after it
    /// (the deadline itself when none needs the room).
    pub latest_start: Option<Instant>,
    /// Monotonic time the explanation was made at.
    pub now: Instant,
}

/// `#7 openssl (security, ready): outside the maintenance windows; next
/// chance in 3h; deadline in 20h`.
impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} ({}, {}): {}",
            self.id, self.name, self.priority, self.state, self.reason
        )?;
        if let Some(at) = self.next_chance {
            let wait = at.saturating_duration_since(self.now);
            let early = self
                .latest_start
                .zip(self.deadline)
                .is_some_and(|(latest, deadline)| latest < deadline);
            if self.runs_at_deadline && early {
                write!(
                    f,
                    "; no window before its deadline, so it runs at its latest start in {}, \
                     leaving room for updates due after it",
                    Rounded(wait)
                )?;
            } else if self.runs_at_deadline {
                write!(
                    f,
                    "; no window before its deadline, so it runs at the deadline in {}",
                    Rounded(wait)
                )?;
            } else if wait > Duration::ZERO {
                write!(f, "; next chance in {}", Rounded(wait))?;
            }
        }
        if let Some(deadline) = self.deadline {
            let early = self.latest_start.is_some_and(|latest| latest < deadline);
            if (!self.runs_at_deadline || early) && self.state != UpdateState::Running {
                match deadline.checked_duration_since(self.now) {
                    Some(left) => write!(f, "; deadline in {}", Rounded(left))?,
                    None => write!(
                        f,
                        "; deadline passed {} ago",
                        Rounded(self.now.saturating_duration_since(deadline))
                    )?,
                }
            }
        }
        Ok(())
    }
}

/// A duration printed to the minute as `2d3h`, `5h10m`, `45m` or `<1m`.
#[derive(Clone, Copy, Debug)]
pub struct Rounded(pub Duration);

impl fmt::Display for Rounded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let minutes = self.0.as_minutes();
        let (days, hours, mins) = (minutes / 1_440, minutes / 60 % 24, minutes % 60);
        match (days, hours, mins) {
            (0, 0, 0) => f.write_str("<1m"),
            (0, 0, m) => write!(f, "{m}m"),
            (0, h, 0) => write!(f, "{h}h"),
            (0, h, m) => write!(f, "{h}h{m}m"),
            (d, 0, _) => write!(f, "{d}d"),
            (d, h, _) => write!(f, "{d}d{h}h"),
        }
    }
}
