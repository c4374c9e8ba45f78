//! The scheduler: decides, at each poll, which pending updates start.
//!
//! # States
//!
//! Every submitted update is in exactly one state at every moment. Live
//! states hold a slot: `Waiting` (not yet available), `AwaitingApproval`,
//! `Deferred` (put off by a person), `Blocked` (a dependency has not
//! completed), `Ready` (in the priority queue, waiting for a window, a gate
//! or its turn), `Running`, `RetryWait` (backing off after a failure).
//! Final states free the slot and are only counted: `Completed`, `Failed`,
//! `Cancelled`, `Rejected`. [`UpdateScheduler::status`] returns the counts,
//! which always add up to the number submitted.
//!
//! # Order and deadlines
//!
//! The ready queue is ordered by priority, then deadline, then submission
//! order, with two refinements: Critical updates come first of all, and an
//! update whose latest start has come ("forced") comes next, before every
//! update not forced yet; forced updates start in the order of their
//! latest starts (the order the plan below was worked out in). A forced
//! update ignores windows, frequency policy and resource gates, as Windows
//! Update does at a deadline; power gates and the concurrency limit still
//! hold, because an installation cut short by a flat battery or run beside
//! a reboot can break the machine.
//!
//! A deadline is the latest on-time *start* (one minute's grace,
//! `DEADLINE_GRACE_SECS`, makes a start in the next minute on time). An
//! update is forced not at its deadline but at its *latest start*: the
//! latest moment it can start and still leave room, under the concurrency
//! limit, for the updates due after it. Two 20-minute updates due at the
//! same moment on one lane: the first is forced 20 minutes early. The
//! scheduler works latest starts out backwards from the latest deadline,
//! in deadline order. On one lane the last update's latest start is its
//! deadline, and each earlier one's is the smaller of its own deadline and
//! the next one's latest start less its own estimate. With
//! `max_concurrent` lanes each update takes the lane that lets it start
//! latest; one that runs alone, or is staged (its exclusive phase needs
//! every lane, and one is staged at a time), takes them all. A running
//! update holds its lane until its estimated end (its start plus its
//! estimate), so an update goes on such a lane only if it would start
//! after that end. Forced at these times, a set of updates that fits
//! before its deadlines in deadline order starts every one in time, as
//! long as estimates hold: at each latest start, the updates started
//! before it that still run sit on other lanes of the plan, so a lane
//! is free.
//!
//! On two lanes or more the choice of lane is greedy (the best choice is
//! a hard problem), and a greedy choice made again at a later scan, with
//! some updates running, can find no plan where one exists. So each scan
//! works out several plans: spread over the lanes (ties to the first
//! lane, or to the lane free first), and chained one after another on
//! the lane free first, each in two orders (below). A spread plan in
//! which every update can start by its latest start is taken first; else
//! a chained one that fits (a chain that fits at one scan fits at every
//! later one, since its lane is only ever taken by the chain and by work
//! that ends before the chain needs it); else the plan with the most
//! slack. A chained plan forces updates earlier than a spread one, never
//! later than needed on one lane.
//!
//! Deadline order is not always the best: a 100-minute update due at
//! 3:00 and a 5-minute one due at 3:15 fit only if the short one starts
//! first, and an 18-hour update due an hour before four short ones would
//! be forced 17 hours early to let them follow it. So the scan also works
//! the latest starts out in the order of latest *ends* (deadline plus
//! estimate), which on one lane fits whenever any order does (Jackson's
//! rule), and keeps that order if it leaves more slack: more time, at the
//! least, between a latest start and the moment the update could start
//! at all (now, its lane free of what runs, and it available). Forced
//! updates start in the order of their latest starts, so the order the
//! plan chose is the order they start in, even when one waits for a lane.
//!
//! Every live update whose deadline is still to be kept counts: ready,
//! blocked, not yet available, awaiting approval or deferred. Its work
//! will need the time once it is ready, and reserving it costs at most an
//! earlier start for those due before it. It is forced only once ready,
//! so one that is not ready by its latest start (deferred past it,
//! approved late) starts as soon as it is, and may be late, as may those
//! after it; one deferred past its deadline does not count at all (it
//! cannot start in time). Critical updates count like the others (their
//! deadline is their arrival, so they come first); Critical updates
//! still to come cannot be foreseen, and the one that starts beyond the
//! limit takes a lane like any running update. Updates without a deadline, and those
//! whose deadline is settled (started once), reserve nothing.
//!
//! An update that is not forced (one in a window, say) starts only if
//! the latest starts leave it room: a lane free now, and on it no start
//! reserved for another update before its estimated end (every lane, if
//! it runs alone or is staged); else it waits
//! ([`WaitReason::NoRoomBeforeLatestStarts`]) while updates behind it
//! may still start. Without this an hour-long update starting in a
//! window at 02:00 would make a Critical reboot due at 02:05 wait for it.
//! Its own reservation is no obstacle: starting earlier, it ends earlier.
//! An update waiting for approval keeps its latest start (those due
//! before it leave it time) but holds no room: a person approves it at
//! any moment or never, and a stream of updates never approved would
//! otherwise keep every window reserved for ever. Approved close to its
//! latest start, it may find the lanes taken and start late.
//! When its deadline itself comes unapproved,
//! [`Config::unapproved_at_deadline`](crate::config::Config::unapproved_at_deadline)
//! settles it: `install` approves it then
//! ([`Event::ApprovedByDeadline`](crate::event::Event::ApprovedByDeadline))
//! and it is forced at once; `escalate` leaves it waiting and, after the
//! grace minute, counts it in
//! [`StatusCounts::missed_awaiting_approval`] instead of the deadline
//! misses
//! ([`Event::MissedAwaitingApproval`](crate::event::Event::MissedAwaitingApproval)).
//! Critical, forced and (in emergency maintenance) Security updates do
//! not wait for room. The room is kept from the last scan, less the lanes
//! taken since; the scan runs again when an update stops running or is
//! approved. While
//! an update that runs alone or is staged runs, every lane counts as held
//! until its estimated end or the end of what runs beside it, whichever
//! is later (a staged update waits for those before its exclusive phase),
//! from the poll that starts it on, so nothing that is not forced starts
//! beside a staged update while an update with a deadline waits. A forced
//! start takes its reserved lane if free, else the lane free first.
//!
//! One scan works the latest starts out: the `EXACT_LATEST_STARTS` (32)
//! earliest deadlines are kept in a bounded heap, O(n log 32) on the
//! stack, and their latest starts worked out one by one; any others are
//! forced together at the earliest of their deadlines less all their
//! work shared out over the lanes, rounded up (started in deadline order
//! on lanes nothing else may take, each starts once the work ahead of it
//! is done or under way), or less all their work if one of them runs
//! alone or is staged (sound; early only when more than 32 updates with
//! deadlines are queued). The scan runs when a
//! latest start (or the end of a grace) comes, when an update with a
//! deadline is submitted, after a poll that starts an update that was
//! not forced (it took a lane no latest start counted on), and when one
//! stops running or one with a deadline is approved, deferred, cancelled
//! or rejected.
//!
//! # Preemption
//!
//! A Critical update starts at the next poll, but nothing starts beside
//! an update that runs alone (a reboot, firmware), nor past the
//! concurrency limit and the one place beyond it that Critical updates
//! have (below), and a Critical update that must run alone waits for
//! whatever runs. Rather than wait for the end of a long installation,
//! the scheduler can ask the platform to abort one running update of
//! lower priority when that alone would let the Critical update start
//! ([`UpdateScheduler::preempt_request`]). Updates staged A/B style
//! (rpm-ostree, ChromeOS and Android A/B) can be abandoned until the
//! final switch-over; an installation in place or a firmware flash only
//! before it writes anything. So the platform decides: it aborts and
//! reports [`UpdateScheduler::report_preempted`], or lets the update run
//! and the Critical one waits as it would have. The aborted update goes
//! back to the queue with no attempt spent and no backoff; its deadline
//! stays settled by its first start. Asking is a question with no side
//! effect, so a platform that cannot abort anything never asks.
//!
//! # Critical updates and the concurrency limit
//!
//! The design lets a Critical update bypass windows, frequency and the
//! soft resource gates; the scheduler treats the concurrency limit as one
//! more soft gate, in a bounded way. A Critical update that does not run
//! alone throughout may start while `max_concurrent` updates run: one
//! place beyond the limit ([`CRITICAL_BEYOND_LIMIT`]), shared by every
//! Critical update. Nothing but a Critical update starts until the count
//! is back below the limit, so at most `max_concurrent + 1` updates run,
//! at most `max_concurrent` of them not Critical, and the overshoot lasts
//! only until the first of them ends. One place rather than one per
//! Critical update keeps the overshoot known in advance (a platform sizes
//! its executor for one more installation), and Critical updates are
//! rare; a second one that finds the extra place taken may still preempt
//! the least urgent update.
//!
//! The run-alone rules come first and are untouched: nothing starts
//! beside an update that runs alone or in its exclusive phase, so no two
//! updates are ever in an exclusive phase, and a Critical update that
//! must run alone throughout (marked exclusive, or a reboot or firmware
//! update on a platform that does not stage) still waits for everything
//! running, or preempts the one update left. Preemption is asked only
//! where the extra place does not help: for those run-alone blockers, and
//! at the limit once the extra place is taken.
//!
//! The rule holds whether or not the platform stages updates. Without
//! staging it concerns only Critical updates without a disruptive phase
//! (a reboot or firmware update runs alone, so the limit is moot for it);
//! with staging it also lets a Critical reboot or firmware update start
//! past the limit (one staged update at a time still holds), and only its
//! reboot or flash waits for the others.
//!
//! # Staged updates
//!
//! The design asks that updates that need a reboot or touch firmware run
//! alone. What must not overlap is the disruptive part: the reboot, the
//! firmware flash. Real systems stage the rest: rpm-ostree and A/B
//! partitions write the new version to an inactive slot and only the
//! reboot switches; fwupd stages a UEFI capsule that is flashed during the
//! reboot. A platform that stages says so
//! ([`UpdateScheduler::set_staged_updates`]); then such an update starts
//! like any other (the concurrency limit, windows and gates as usual), and
//! before its reboot or flash the platform asks
//! [`UpdateScheduler::request_exclusive_phase`]. The phase is granted only
//! when nothing else runs, and nothing starts beside it until its outcome
//! is reported: the design's rule, kept for the part it protects. Three
//! more rules keep it sound:
//!
//! - One staged update runs at a time (there is one inactive slot, and two
//!   updates each waiting for the other to end would wait for ever).
//! - While a staged update waits for its phase, nothing new starts, so
//!   what runs can only end and the wait is bounded by the longest of
//!   them: it is never starved. The one exception is a Critical update,
//!   when the waiting one is not Critical; Critical updates are few and
//!   each ends, so the wait stays bounded.
//! - A staged update can be abandoned until its phase begins, so
//!   preemption may name it: when it waits, or when a Critical update is
//!   staged too.
//!
//! Updates marked [`UpdateFlags::EXCLUSIVE`](crate::update::UpdateFlags::EXCLUSIVE), and all updates with a
//! disruptive phase on a platform that does not stage (the default), run
//! alone from start to end, as before.
//!
//! # Adaptive policy
//!
//! Under [`FrequencyPolicy::Adaptive`](crate::policy::FrequencyPolicy::Adaptive) the scheduler plans a start for the
//! update at the head of the queue from the usage pattern
//! ([`UpdateScheduler::observe`] feeds it): the quietest slot on a
//! quarter-hour grid before the deadline minus the estimate (within a week
//! when there is no deadline), inside the windows if the configuration has
//! any ([`crate::pattern::UsagePattern::quietest_start`]). Until the slot
//! comes the update waits ([`WaitReason::PlannedSlot`]), holding the
//! queue behind it as a closed window would; at the slot it starts only
//! while the machine is idle by [`Config::idle`], since the present beats
//! any forecast. The plan is cached and made again when the pattern
//! changes (once per local hour while samples come in), after an hour
//! without change, when another update comes to the head, and when the
//! slot has passed by a quarter of an hour without a start (a gate held
//! it: the new plan knows the hour turned out busy). Critical updates,
//! forced ones and emergency maintenance do not plan.
//!
//! # Cost
//!
//! Timers (availability, deferral, backoff) and deadlines are not kept in
//! heaps of their own: the scheduler remembers the earliest of each and
//! scans its slots only when that moment has come (deadlines also when
//! the work ahead changes: see "Order and deadlines"), which happens a few
//! times per update over its whole life. A poll with nothing due is a few
//! comparisons, one look at the head of the queue and a cached window
//! state: the calendar is asked only at a window edge (between edges the
//! state of the next minute is the last one, a minute closer to the
//! edge), and [`UpdateScheduler::next_wake`] reads the same state. A
//! plan (about once an hour, and when the head changes) asks the calendar
//! once per opening it reaches, steps over closed stretches, and stops
//! once waiting longer cannot pay off. The small helpers on that path are
//! `#[inline]`: the scheduler is generic, so it is compiled in the crate
//! that uses it, where they would otherwise stay calls (through the GOT in
//! the kernel's position-independent build, and each costs far more than
//! its body under emulation).
//!
//! Internally times are whole seconds since boot in `u32` (136 years),
//! rounded so that nothing happens early, which keeps a queued update
//! small: 56 bytes with its share of the index and heap.
//!
//! # Layout
//!
//! One file per concern, each a room of its own: `types` (the public
//! types, re-exported here), `record` (an update packed in its slot),
//! `lifecycle` (commands, timers, dependencies, and `transition`, through
//! which every change of state goes and which refuses a move the state
//! machine does not allow), `poll`, `blocker` (why a queued update cannot
//! start now), `exclusive` (running alone, the exclusive phase,
//! preemption), `window_cache`, `latest_starts` (deadlines), `plan` (the
//! Adaptive policy) and `explain`. Tests sit beside the code they test.

use crate::civil::WallTime;
use crate::config::{Config, ConfigErrors};
use crate::event::{EventQueue, TimedEvent};
use crate::gate::Metrics;
use crate::pattern::UsagePattern;
use crate::queue::{PackedKey, Slot, SlotHeap, SlotIndex};
use crate::time::{Duration, Instant};
use crate::update::{UpdateId, UpdateRecord, Version};
use core::fmt;
use exclusive::{Preemption, PREEMPTION_CAPACITY};
use heapless::{Deque, Vec};
use latest_starts::Room;
use plan::Plan;
use record::{instant_of, marks, Finished, Stored};
use window_cache::WindowState;

mod blocker;
mod exclusive;
mod explain;
mod hold;
mod latest_starts;
mod lifecycle;
mod plan;
mod poll;
mod record;
mod types;
mod window_cache;

pub use types::{
    CommandError, Explanation, PhaseGrant, Rounded, Start, Starts, StatusCounts, SubmitError,
    UpdateInfo, UpdateState, WaitReason,
};

/// Events held for the platform to drain.
pub const EVENT_CAPACITY: usize = 64;
/// Dependency edges held across all queued updates.
pub const DEPENDENCY_CAPACITY: usize = 64;
/// Finished updates remembered for dependencies and look-ups.
pub const HISTORY_CAPACITY: usize = 32;
/// Most updates started by one poll.
pub const MAX_STARTS_PER_POLL: usize = 16;
/// Longest estimated duration an update may declare: 1,092 minutes
/// (18h12m). The estimate is kept in 16 bits of seconds (at most 65,535
/// s), and 1,092 is the most whole minutes that fit; whole minutes are
/// what a signed manifest carries, so the console, `sign` and the
/// scheduler share this one limit.
pub const MAX_ESTIMATE: Duration = Duration::from_minutes(MAX_ESTIMATE_MINUTES);
/// [`MAX_ESTIMATE`] in minutes.
pub const MAX_ESTIMATE_MINUTES: u64 = u16::MAX as u64 / 60;
/// The latest instant the scheduler can hold: it keeps times as whole
/// seconds since boot in 32 bits, with `u32::MAX` meaning "never", so
/// this is `u32::MAX - 1` seconds after boot, about 136 years. A
/// submission available later, or a deferral to later, is refused
/// ([`SubmitError::AvailableTooLate`], [`CommandError::TooLate`]), never
/// clamped.
pub const LATEST_INSTANT: Instant = Instant::from_secs(u32::MAX as u64 - 1);
/// How many updates beyond [`Config::max_concurrent`] a Critical update
/// may make running (see "Critical updates and the concurrency limit" in
/// the module docs): one, so at most `max_concurrent + 1` updates run, and
/// a platform holds installations for at most
/// `MAX_CONCURRENT + CRITICAL_BEYOND_LIMIT` of them.
pub const CRITICAL_BEYOND_LIMIT: u8 = 1;

/// The update scheduler for up to `N` live updates (N <= 65 535).
///
/// Sans-IO: every call that depends on time takes `now` (monotonic) and,
/// where the calendar matters, `wall` (wall-clock). The platform calls
/// [`UpdateScheduler::poll`] on every tick or at
/// [`UpdateScheduler::next_wake`], starts the updates it returns, reports
/// their outcomes with [`UpdateScheduler::report_outcome`], and drains
/// events with [`UpdateScheduler::pop_event`]. A platform that can abort
/// an installation also asks [`UpdateScheduler::preempt_request`] after
/// each poll and answers with [`UpdateScheduler::report_preempted`]. One
/// that stages updates asks [`UpdateScheduler::request_exclusive_phase`]
/// before a reboot or flash.
pub struct UpdateScheduler<const N: usize> {
    config: Config,
    index: SlotIndex<N>,
    ready: SlotHeap<PackedKey, N>,
    slots: [Stored; N],
    dependencies: Vec<(Slot, UpdateId), DEPENDENCY_CAPACITY>,
    history: Deque<Finished, HISTORY_CAPACITY>,
    events: EventQueue<EVENT_CAPACITY>,
    counts: StatusCounts,
    sequence: u32,
    /// No Waiting, Deferred or RetryWait update wakes before this second.
    earliest_wake_s: u32,
    /// No deadline (or miss) needs handling before this second.
    earliest_deadline_s: u32,
    /// The room the latest starts leave, as of the last deadline scan,
    /// less the lanes taken since.
    room: Room,
    running: u8,
    /// The running update that runs alone, if one does (nothing else
    /// runs beside it): one marked exclusive, one with a disruptive phase
    /// when the platform does not stage, or a staged one in its exclusive
    /// phase.
    alone: Option<Slot>,
    /// The platform stages updates with a disruptive phase and asks
    /// before that phase ([`UpdateScheduler::set_staged_updates`]).
    staging: bool,
    /// The running staged update (one with a disruptive phase, under
    /// `staging`), if one runs: at most one at a time.
    staged: Option<Slot>,
    /// The staged update asked to enter its exclusive phase and waits for
    /// the others to end: nothing new starts meanwhile.
    phase_waiting: bool,
    /// Preempted updates back in the queue and the Critical updates they
    /// made way for, remembered for `explain`.
    preemptions: Vec<Preemption, PREEMPTION_CAPACITY>,
    window: Option<WindowState>,
    announced_window_open: Option<bool>,
    emergency: bool,
    external_gate: Option<&'static str>,
    /// A pause holds updates below Security until then.
    paused_until: Option<WallTime>,
    metrics: Metrics,
    seed: u64,
    pattern: UsagePattern,
    plan: Option<Plan>,
    /// The calendar's longest merged opening, minutes: asked of the
    /// calendar once per configuration rather than at every question.
    longest_opening_minutes: u32,
}

impl<const N: usize> fmt::Debug for UpdateScheduler<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpdateScheduler")
            .field("capacity", &N)
            .field("status", &self.counts)
            .field("running", &self.running)
            .field("emergency", &self.emergency)
            .finish_non_exhaustive()
    }
}

impl<const N: usize> UpdateScheduler<N> {
    /// A scheduler with `config`, or every problem with it.
    pub fn new(config: Config) -> Result<Self, ConfigErrors> {
        config.validate()?;
        Ok(UpdateScheduler {
            index: SlotIndex::new(),
            ready: SlotHeap::new(),
            slots: [Stored::EMPTY; N],
            dependencies: Vec::new(),
            history: Deque::new(),
            events: EventQueue::new(),
            counts: StatusCounts::default(),
            sequence: 0,
            earliest_wake_s: u32::MAX,
            earliest_deadline_s: u32::MAX,
            room: Room::default(),
            running: 0,
            alone: None,
            staging: false,
            staged: None,
            phase_waiting: false,
            preemptions: Vec::new(),
            window: None,
            announced_window_open: None,
            emergency: false,
            external_gate: None,
            paused_until: None,
            metrics: Metrics::IDLE,
            seed: 0,
            pattern: UsagePattern::new(config.pattern),
            plan: None,
            longest_opening_minutes: config.windows.longest_opening_minutes(),
            config,
        })
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Replaces the configuration after validating it; queued updates
    /// keep their place. On error nothing changes.
    pub fn set_config(&mut self, config: Config) -> Result<(), ConfigErrors> {
        config.validate()?;
        self.pattern.set_config(config.pattern);
        self.plan = None;
        self.longest_opening_minutes = config.windows.longest_opening_minutes();
        self.config = config;
        self.window = None;
        // New deadlines may come sooner: look again at the next poll.
        self.earliest_deadline_s = 0;
        Ok(())
    }

    /// Feeds one sample of the machine's state, taken at `wall`, to the
    /// usage pattern (in the local time of the configured calendar's
    /// offset). Call it once per sampled minute; irregular spacing is
    /// fine, each sample stands for the time since the previous one (at
    /// most 15 minutes).
    pub fn observe(&mut self, wall: WallTime, metrics: &Metrics) {
        self.pattern
            .observe(wall, self.config.windows.offset_at(wall), metrics);
    }

    /// The usage pattern learned so far.
    pub fn pattern(&self) -> &UsagePattern {
        &self.pattern
    }

    /// Seeds the jitter of retry delays.
    pub fn set_seed(&mut self, seed: u64) {
        self.seed = seed;
    }

    /// Emergency maintenance: only Critical and Security updates run, and
    /// Security ones ignore windows and frequency.
    pub fn set_emergency(&mut self, on: bool) {
        self.emergency = on;
    }

    /// Whether emergency maintenance is on.
    pub fn emergency(&self) -> bool {
        self.emergency
    }

    /// Closes (`Some(reason)`) or opens (`None`) the external gate: while
    /// closed, nothing but Critical updates starts.
    pub fn set_external_gate(&mut self, closed: Option<&'static str>) {
        self.external_gate = closed;
    }

    /// Counts by state.
    pub fn status(&self) -> StatusCounts {
        StatusCounts {
            events_overflowed: self.events.overflowed(),
            ..self.counts
        }
    }

    /// Updates running now.
    pub fn running(&self) -> u8 {
        self.running
    }

    /// The next event, oldest first.
    pub fn pop_event(&mut self) -> Option<TimedEvent> {
        self.events.pop()
    }

    /// Where `id` is: live updates, and the last
    /// [`HISTORY_CAPACITY`] finished ones.
    pub fn state_of(&self, id: UpdateId) -> Option<UpdateState> {
        match self.index.find(id) {
            Some(slot) => Some(self.slots[slot.index()].state()),
            None => self.finished_state(id),
        }
    }

    /// What the scheduler knows of a live update.
    pub fn get(&self, id: UpdateId) -> Option<UpdateInfo> {
        let slot = self.index.find(id)?;
        let stored = &self.slots[slot.index()];
        let mut record = UpdateRecord::new(
            id,
            &stored.name(),
            stored.kind(),
            stored.priority(),
            Duration::from_secs(u64::from(stored.estimated_s)),
            instant_of(stored.available_s),
        );
        record.version = Version::new(stored.version[0], stored.version[1], stored.version[2]);
        record.flags = stored.flags();
        for &(dependent, dependency) in &self.dependencies {
            if dependent == slot {
                let _ = record.dependencies.push(dependency);
            }
        }
        let state = stored.state();
        let waits = matches!(
            state,
            UpdateState::Waiting | UpdateState::Deferred | UpdateState::RetryWait
        );
        Some(UpdateInfo {
            state,
            attempts: stored.attempts(),
            deadline: self.deadline_s(stored).map(instant_of),
            wake_at: waits.then(|| instant_of(stored.wake_s)),
            approved: stored.has(marks::APPROVED),
            record,
        })
    }

    /// The ids of every live update, in no particular order.
    pub fn ids(&self) -> impl Iterator<Item = UpdateId> + '_ {
        self.index.iter().map(|(id, _)| id)
    }
}

#[cfg(test)]
mod testing;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_scheduler_at_capacity_1024_fits_64_kib() {
        let size = core::mem::size_of::<UpdateScheduler<1024>>();
        assert!(size <= 64 * 1024, "{size} bytes");
        assert_eq!(core::mem::size_of::<Stored>(), 36);
    }
}
