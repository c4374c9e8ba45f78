//! Deadlines: the latest start of every update whose deadline is still to be
//! kept, worked out backwards over the lanes of the concurrency limit, the
//! room those starts leave for updates that are not forced, and the scan
//! that forces updates and counts misses.
//!
//! See "Order and deadlines" in the scheduler's module docs.

use super::record::{marks, Stored};
use super::types::{StatusCounts, UpdateState};
use super::{UpdateScheduler, CRITICAL_BEYOND_LIMIT, EVENT_CAPACITY};
use crate::config::{Config, MAX_CONCURRENT};
use crate::event::{Event, EventQueue};
use crate::policy::UnapprovedAtDeadline;
use crate::queue::{PackedKey, Rank, Slot};
use crate::time::Instant;
use crate::update::{Priority, UpdateId};
use heapless::binary_heap::{BinaryHeap, Max};
use heapless::Vec;

/// How late a start may be and still count as on time: one minute, so
/// that a Critical update (deadline zero) started at the next tick is on
/// time for any tick rate slower than once a minute.
pub(super) const DEADLINE_GRACE_SECS: u32 = 60;
/// Updates whose latest starts one deadline scan works out one by one:
/// those with the earliest deadlines. The rest are forced together, as
/// early as their combined work on one lane needs (see "Order and
/// deadlines" in the module docs). 32 keeps the scan's working set on
/// the stack small (a few hundred bytes) and is more than a machine has
/// due at once in practice.
const EXACT_LATEST_STARTS: usize = 32;
/// Running updates held at most: the concurrency limit and the place
/// beyond it for Critical updates.
const RUNNING_CAPACITY: usize = MAX_CONCURRENT as usize + CRITICAL_BEYOND_LIMIT as usize;

/// Counts a missed deadline and announces it. A free function over the
/// two fields it touches, so that it can be called while the slot index is
/// being iterated.
pub(super) fn count_miss(
    counts: &mut StatusCounts,
    events: &mut EventQueue<EVENT_CAPACITY>,
    id: UpdateId,
    priority: Priority,
    now: Instant,
) {
    counts.deadline_misses[priority.index()] += 1;
    events.push(now, Event::DeadlineMissed { id, priority });
}

/// An update whose deadline is still to be kept, as the deadline scan
/// sees it. The derived order is by deadline, then slot: the order in
/// which the scan works out latest starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Pending {
    deadline_s: u32,
    slot: Slot,
    estimated_s: u16,
    /// It needs every lane while it runs: it runs alone, or it is staged
    /// (its exclusive phase needs them, and one is staged at a time).
    alone: bool,
    /// It cannot start before this second: not available, or deferred,
    /// until then.
    from_s: u32,
    /// Its reserved start holds room: it is not waiting for approval.
    holds_room: bool,
}

/// A time in seconds since boot per lane of the concurrency limit.
type Lanes = Vec<u32, { MAX_CONCURRENT as usize }>;
/// Per lane, the update its earliest reserved start is for.
type LaneOwners = Vec<Option<Slot>, { MAX_CONCURRENT as usize }>;

/// The latest start of every update whose deadline is still to be kept:
/// the moment it is forced.
#[derive(Clone, Debug)]
pub(super) struct LatestStarts {
    /// The updates with the earliest deadlines, in deadline order, each
    /// with its latest start.
    exact: Vec<(Pending, u32), EXACT_LATEST_STARTS>,
    /// The latest start of every other one, if there are others.
    rest: Option<u32>,
    /// The room they leave on each lane: see [`Room`].
    pub(super) room: Room,
}

/// What the latest starts leave of each lane for updates that start
/// before they are forced.
#[derive(Clone, Debug, Default)]
pub(super) struct Room {
    /// Per lane, until when the updates running at the scan hold it.
    pub(super) busy_until: Lanes,
    /// Per lane, the earliest start reserved on it (`u32::MAX`: none).
    reserved_from: Lanes,
    /// Per lane, the update that start is for (`None`: the updates past
    /// the first 32, or nobody).
    reserved_by: LaneOwners,
}

impl Room {
    /// A lane on which the update in `slot`, of `estimated_s` seconds
    /// (needing every lane if `alone`), can start at `now_s` and end
    /// before any start reserved there for another update. Its own
    /// reservation, if first on the lane, is no obstacle: starting
    /// earlier it ends earlier.
    #[inline]
    pub(super) fn lane_for(
        &self,
        slot: Slot,
        now_s: u32,
        estimated_s: u32,
        alone: bool,
    ) -> Option<usize> {
        let ends = self.ends(now_s, estimated_s, alone);
        let room = |lane: usize| {
            self.reserved_from
                .get(lane)
                .is_some_and(|&from| from >= ends)
                || self.reserved_by.get(lane) == Some(&Some(slot))
        };
        if alone && !(0..self.reserved_from.len()).all(room) {
            return None;
        }
        (0..self.busy_until.len()).find(|&lane| self.busy_until[lane] <= now_s && room(lane))
    }

    /// The lane a forced update in `slot` takes at `now_s`: the one
    /// reserved for it if that is free, else whichever is free first.
    pub(super) fn lane_for_forced(&self, slot: Slot, now_s: u32) -> Option<usize> {
        let lanes = 0..self.busy_until.len();
        lanes
            .clone()
            .find(|&lane| {
                self.reserved_by.get(lane) == Some(&Some(slot)) && self.busy_until[lane] <= now_s
            })
            .or_else(|| lanes.min_by_key(|&lane| self.busy_until[lane]))
    }

    /// When an update of `estimated_s` seconds that starts at `now_s`
    /// gives its lanes back. One that needs every lane (a staged update
    /// waits for its exclusive phase until the others end) holds them
    /// until what runs beside it has ended too.
    #[inline]
    pub(super) fn ends(&self, now_s: u32, estimated_s: u32, alone: bool) -> u32 {
        let own = now_s.saturating_add(estimated_s);
        if alone {
            self.busy_until.iter().copied().fold(own, u32::max)
        } else {
            own
        }
    }

    /// How many lanes [`Room::lane_for`] could choose from.
    pub(super) fn lanes_for(&self, slot: Slot, now_s: u32, estimated_s: u32, alone: bool) -> usize {
        match self.lane_for(slot, now_s, estimated_s, alone) {
            None => 0,
            Some(_) if alone => 1,
            Some(first) => {
                let ends = self.ends(now_s, estimated_s, alone);
                (first..self.busy_until.len())
                    .filter(|&lane| {
                        self.busy_until[lane] <= now_s
                            && (self
                                .reserved_from
                                .get(lane)
                                .is_some_and(|&from| from >= ends)
                                || self.reserved_by.get(lane) == Some(&Some(slot)))
                    })
                    .count()
            }
        }
    }
}

impl LatestStarts {
    /// The latest start of the update in `slot` with deadline `deadline_s`
    /// (one the scan looked at).
    pub(super) fn of(&self, slot: Slot, deadline_s: u32) -> u32 {
        let key = (deadline_s, slot);
        match self
            .exact
            .binary_search_by(|(pending, _)| (pending.deadline_s, pending.slot).cmp(&key))
        {
            Ok(found) => self.exact[found].1,
            Err(_) => self.rest.unwrap_or(deadline_s),
        }
    }
}

/// How [`plan_backwards`] places the updates that do not need every lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Placing {
    /// Each on the lane that lets it start latest: the latest starts, but
    /// a choice made greedily, which may find no plan where one exists.
    /// Between lanes that let it start equally late, the first, or (if
    /// `true`) the one free first of what runs now.
    Spread(bool),
    /// All on this one lane, one after another: earlier starts, but the
    /// same plan stands at every later scan.
    Chain(usize),
}

/// Works out latest starts backwards from the last update of `exact`
/// (see "Order and deadlines" in the module docs). `exact` is in the
/// order the updates are to start; `floors` says, per lane, from when it
/// is free of the updates running now; `placing` says which lane each
/// update that does not need every lane takes; one that does takes them
/// all. Every lane is reserved from `rest_from` on for the updates not in
/// `exact`. Returns, per lane, the earliest start reserved on it for an
/// update that holds room (one not waiting for approval) and the update
/// it is reserved for, and the least slack: how long, at the least, an
/// update could start after `now_s`, after its lane is free and after it
/// can start at all (negative: in this plan some update starts late).
fn plan_backwards(
    exact: &mut Vec<(Pending, u32), EXACT_LATEST_STARTS>,
    floors: &[u32],
    placing: Placing,
    rest_from: u32,
    now_s: u32,
) -> (Lanes, LaneOwners, i64) {
    let mut bounds: Lanes = Vec::new();
    let mut owners: LaneOwners = Vec::new();
    for _ in floors {
        let _ = bounds.push(rest_from);
        let _ = owners.push(None);
    }
    let mut room_from = bounds.clone();
    let mut slack = i64::MAX;
    let highest_floor = floors.iter().copied().max().unwrap_or(0);
    for (pending, latest) in exact.iter_mut().rev() {
        let estimate = u32::from(pending.estimated_s);
        let start_before = |bound: u32| pending.deadline_s.min(bound.saturating_sub(estimate));
        let (lane, floor) = if pending.alone {
            (None, highest_floor)
        } else {
            let lane = match placing {
                Placing::Chain(lane) => lane,
                Placing::Spread(free_first) => {
                    spread_lane(&bounds, floors, free_first, start_before)
                }
            };
            (Some(lane), floors.get(lane).copied().unwrap_or(0))
        };
        let bound = match lane {
            None => bounds.iter().copied().min(),
            Some(lane) => bounds.get(lane).copied(),
        };
        let bound = bound.unwrap_or(rest_from);
        *latest = start_before(bound);
        // Before the clock's zero, the start it would need is earlier
        // than the saturated one: the slack counts it.
        let needed = i64::from(pending.deadline_s).min(i64::from(bound) - i64::from(estimate));
        let could_start = i64::from(floor.max(now_s).max(pending.from_s));
        slack = slack.min(needed - could_start);
        for (other, lane_bound) in bounds.iter_mut().enumerate() {
            if lane.is_none_or(|lane| lane == other) {
                *lane_bound = *latest;
                if pending.holds_room {
                    room_from[other] = *latest;
                    owners[other] = Some(pending.slot);
                }
            }
        }
    }
    (room_from, owners, slack)
}

/// The lane that lets an update start latest (`start_before` of the
/// lane's bound) among those free by then of what runs now; if none is,
/// the one that lets it start latest. Ties go to the first lane, or with
/// `free_first` to the one whose running update ends first.
fn spread_lane(
    bounds: &[u32],
    floors: &[u32],
    free_first: bool,
    start_before: impl Fn(u32) -> u32,
) -> usize {
    let mut best: Option<(usize, u32, bool, u32)> = None;
    for (lane, (&bound, &floor)) in bounds.iter().zip(floors).enumerate() {
        let start = start_before(bound);
        let fits = start >= floor;
        let better = match best {
            None => true,
            Some((_, best_start, best_fits, best_floor)) => {
                (fits && !best_fits)
                    || (fits == best_fits
                        && (start > best_start
                            || (start == best_start && free_first && floor < best_floor)))
            }
        };
        if better {
            best = Some((lane, start, fits, floor));
        }
    }
    best.map_or(0, |(lane, ..)| lane)
}

/// What one pass over the slots finds for the deadline scan.
struct DueUpdates {
    /// The updates with the earliest deadlines still to keep.
    earliest: BinaryHeap<Pending, Max, EXACT_LATEST_STARTS>,
    /// The others, summed up.
    rest: Rest,
    /// When each running update is expected to end.
    ends: Vec<u32, RUNNING_CAPACITY>,
    /// A running update keeps every lane (it runs alone or is staged).
    serialised: bool,
}

/// The updates with deadlines past the first [`EXACT_LATEST_STARTS`],
/// forced together.
struct Rest {
    /// The earliest of their deadlines.
    deadline_s: u32,
    /// All their work, in seconds.
    work_s: u32,
    /// One of them needs every lane.
    alone: bool,
    /// There are any.
    any: bool,
}

/// The plan the latest starts are taken from, in deadline order, with
/// the room it leaves per lane. Four are worked out: the updates in
/// deadline order or in the order of latest *ends* (deadline plus
/// estimate: a long update due first can leave no time for a short one
/// due just after it, while the short one first keeps both; on one lane
/// that order keeps every deadline whenever any order does, Jackson's
/// rule), each spread over the lanes or chained on the lane free first.
/// A spread plan in which every update can start by its latest start is
/// taken first (it starts them latest), else such a chained one (the
/// chain still fits at every later scan), else the one that leaves the
/// most time before the most pressing start.
fn plan_in_best_order(
    exact: Vec<(Pending, u32), EXACT_LATEST_STARTS>,
    floors: &Lanes,
    rest_from: u32,
    now_s: u32,
) -> (Vec<(Pending, u32), EXACT_LATEST_STARTS>, Lanes, LaneOwners) {
    let chain = (0..floors.len())
        .min_by_key(|&lane| (floors[lane], core::cmp::Reverse(lane)))
        .unwrap_or(0);
    let by_end = |&(pending, _): &(Pending, u32)| {
        (
            u64::from(pending.deadline_s) + u64::from(pending.estimated_s),
            pending,
        )
    };
    let mut candidates = [
        (Placing::Spread(false), false),
        (Placing::Spread(false), true),
        (Placing::Spread(true), false),
        (Placing::Spread(true), true),
        (Placing::Chain(chain), false),
        (Placing::Chain(chain), true),
    ]
    .into_iter()
    .filter(|&(_, in_end_order)| !in_end_order || exact.len() > 1)
    .map(|(placing, in_end_order)| {
        let mut order = exact.clone();
        if in_end_order {
            order.sort_unstable_by_key(by_end);
        }
        let (from, by, slack) = plan_backwards(&mut order, floors, placing, rest_from, now_s);
        let fits = slack >= 0;
        (
            (fits, fits && placing != Placing::Chain(chain), slack),
            order,
            from,
            by,
        )
    });
    let first = candidates.next();
    let best = candidates.fold(first, |best, candidate| match best {
        Some(best) if best.0 >= candidate.0 => Some(best),
        _ => Some(candidate),
    });
    let (_, mut order, from, by) = best.unwrap_or_else(|| {
        let mut order = exact.clone();
        let (from, by, _) =
            plan_backwards(&mut order, floors, Placing::Spread(false), rest_from, now_s);
        ((true, true, 0), order, from, by)
    });
    order.sort_unstable_by_key(|&(pending, _)| pending);
    (order, from, by)
}

/// The deadline of `stored` under `config`, in seconds since boot.
fn deadline_of(config: &Config, stored: &Stored) -> Option<u32> {
    let deadline = config.deadlines.of(stored.priority())?;
    let secs = u32::try_from(deadline.as_secs()).unwrap_or(u32::MAX);
    Some(stored.available_s.saturating_add(secs))
}

impl<const N: usize> UpdateScheduler<N> {
    pub(super) fn deadline_s(&self, stored: &Stored) -> Option<u32> {
        deadline_of(&self.config, stored)
    }

    /// The latest start of every live update whose deadline is still to
    /// be kept (not running, no miss counted, not started before): see
    /// "Order and deadlines" in the module docs. One pass over the slots,
    /// keeping the [`EXACT_LATEST_STARTS`] earliest deadlines in a bounded
    /// heap: O(n log 32), on the stack.
    pub(super) fn latest_starts(&self, now_s: u32) -> LatestStarts {
        let due = self.due_updates(now_s);
        let floors = self.lane_floors(due.ends, due.serialised);
        let mut exact: Vec<(Pending, u32), EXACT_LATEST_STARTS> = Vec::new();
        for pending in due.earliest.into_vec() {
            let _ = exact.push((pending, pending.deadline_s));
        }
        exact.sort_unstable_by_key(|&(pending, _)| pending);
        let rest_from = self.rest_from(&due.rest);
        let (exact, reserved_from, reserved_by) =
            plan_in_best_order(exact, &floors, rest_from, now_s);
        LatestStarts {
            exact,
            rest: due.rest.any.then_some(rest_from),
            room: Room {
                busy_until: floors,
                reserved_from,
                reserved_by,
            },
        }
    }

    /// One pass over the slots: the updates with the earliest deadlines
    /// still to keep, the rest summed up, and when the running ones end.
    fn due_updates(&self, now_s: u32) -> DueUpdates {
        let mut earliest: BinaryHeap<Pending, Max, EXACT_LATEST_STARTS> = BinaryHeap::new();
        let mut rest = Rest {
            deadline_s: u32::MAX,
            work_s: 0,
            alone: false,
            any: false,
        };
        let mut ends: Vec<u32, RUNNING_CAPACITY> = Vec::new();
        let mut serialised = false;
        for (_, slot) in self.index.iter() {
            let stored = &self.slots[slot.index()];
            let alone = self.runs_alone_throughout(stored) || self.stages(stored);
            if stored.state() == UpdateState::Running {
                // One that overran its estimate is taken to end now.
                let _ = ends.push(stored.wake_s.max(now_s));
                serialised |= alone;
                continue;
            }
            let Some(mut pending) = self.pending(slot, stored, alone) else {
                continue;
            };
            if earliest.len() == EXACT_LATEST_STARTS {
                match earliest.peek() {
                    Some(&latest) if pending < latest => {
                        let _ = earliest.pop();
                        let _ = earliest.push(pending);
                        pending = latest;
                    }
                    _ => {}
                }
                rest.any = true;
                rest.deadline_s = rest.deadline_s.min(pending.deadline_s);
                rest.work_s = rest.work_s.saturating_add(u32::from(pending.estimated_s));
                rest.alone |= pending.alone;
            } else {
                let _ = earliest.push(pending);
            }
        }
        DueUpdates {
            earliest,
            rest,
            ends,
            serialised,
        }
    }

    /// The update in `slot`, not running, as the deadline scan sees it,
    /// if it has a deadline still to keep.
    fn pending(&self, slot: Slot, stored: &Stored, alone: bool) -> Option<Pending> {
        if stored.has(marks::MISSED) {
            return None;
        }
        let deadline_s = self.deadline_s(stored)?;
        let from_s = match stored.state() {
            UpdateState::Waiting | UpdateState::Deferred => stored.wake_s.max(stored.available_s),
            _ => 0,
        };
        if from_s > deadline_s.saturating_add(DEADLINE_GRACE_SECS) {
            // Deferred past its deadline: it cannot start in time,
            // and time kept for it would only be taken from others.
            return None;
        }
        Some(Pending {
            deadline_s,
            slot,
            estimated_s: stored.estimated_s,
            alone,
            from_s,
            holds_room: stored.state() != UpdateState::AwaitingApproval,
        })
    }

    /// When each lane is free of what runs now: the latest ends, one a
    /// lane (past the limit, a lane frees only when the count drops
    /// below it), or the last end on every lane while an update that
    /// keeps every lane runs.
    fn lane_floors(&self, mut ends: Vec<u32, RUNNING_CAPACITY>, serialised: bool) -> Lanes {
        ends.sort_unstable_by(|a, b| b.cmp(a));
        let last_end = ends.first().copied().unwrap_or(0);
        let mut floors: Lanes = Vec::new();
        for lane in 0..usize::from(self.config.max_concurrent) {
            let floor = if serialised {
                last_end
            } else {
                ends.get(lane).copied().unwrap_or(0)
            };
            let _ = floors.push(floor);
        }
        floors
    }

    /// From when every lane is reserved for the updates past the first
    /// [`EXACT_LATEST_STARTS`] (`u32::MAX`: there are none).
    fn rest_from(&self, rest: &Rest) -> u32 {
        if !rest.any {
            u32::MAX
        } else if rest.alone {
            rest.deadline_s.saturating_sub(rest.work_s)
        } else {
            // Started in deadline order from `rest_from` on lanes nothing
            // else may take, each starts once the work ahead of it is
            // done or under way: by `rest_from` plus that work shared
            // out over the lanes, rounded up.
            let lanes = u32::from(self.config.max_concurrent.max(1));
            rest.deadline_s.saturating_sub(rest.work_s.div_ceil(lanes))
        }
    }

    /// Keeps `earliest_deadline_s` at or before the moment `slot` needs a
    /// look: its deadline, or the end of its grace once forced.
    pub(super) fn note_deadline(&mut self, slot: Slot) {
        let stored = self.slots[slot.index()];
        if stored.has(marks::MISSED) {
            return;
        }
        if let Some(deadline) = self.deadline_s(&stored) {
            let at = if stored.has(marks::FORCED) {
                deadline.saturating_add(DEADLINE_GRACE_SECS)
            } else {
                deadline
            };
            self.earliest_deadline_s = self.earliest_deadline_s.min(at);
        }
    }

    /// Settles the updates still awaiting approval whose deadline came,
    /// by [`crate::config::Config::unapproved_at_deadline`]: `Install`
    /// approves them (they are then forced like any update at its
    /// deadline); `Escalate` leaves them waiting and, once the grace
    /// minute is over too, counts a miss of their own kind. Returns the
    /// earliest second at which this must be looked at again, and whether
    /// some were left for the next scan.
    fn settle_unapproved(&mut self, now: Instant, now_s: u32) -> (u32, bool) {
        let mut earliest = u32::MAX;
        let mut install: Vec<Slot, 32> = Vec::new();
        let mut rescan = false;
        for (id, slot) in self.index.iter() {
            let stored = self.slots[slot.index()];
            if stored.state() != UpdateState::AwaitingApproval || stored.has(marks::MISSED) {
                continue;
            }
            let Some(deadline) = self.deadline_s(&stored) else {
                continue;
            };
            if deadline > now_s {
                earliest = earliest.min(deadline);
                continue;
            }
            match self.config.unapproved_at_deadline.of(stored.priority()) {
                UnapprovedAtDeadline::Install => {
                    if install.push(slot).is_err() {
                        rescan = true;
                    }
                }
                UnapprovedAtDeadline::Escalate => {
                    let grace_end = deadline.saturating_add(DEADLINE_GRACE_SECS);
                    if grace_end < now_s {
                        self.slots[slot.index()].marks |= marks::MISSED;
                        self.counts.missed_awaiting_approval[stored.priority().index()] += 1;
                        self.events.push(
                            now,
                            Event::MissedAwaitingApproval {
                                id,
                                priority: stored.priority(),
                            },
                        );
                    } else {
                        earliest = earliest.min(grace_end.saturating_add(1));
                    }
                }
            }
        }
        for slot in install {
            let stored = self.slots[slot.index()];
            self.slots[slot.index()].marks |= marks::APPROVED;
            if let Some(id) = self.index.id_at(slot) {
                self.events.push(
                    now,
                    Event::ApprovedByDeadline {
                        id,
                        priority: stored.priority(),
                    },
                );
            }
            self.enqueue(slot);
        }
        (earliest, rescan)
    }

    /// Settles unapproved updates at their deadline, forces updates whose
    /// latest start came and counts misses.
    pub(super) fn handle_deadlines(&mut self, now: Instant, now_s: u32) {
        let (mut earliest, mut rescan) = self.settle_unapproved(now, now_s);
        let mut latest = self.latest_starts(now_s);
        self.room = core::mem::take(&mut latest.room);
        let mut force: Vec<Slot, 32> = Vec::new();
        for (id, slot) in self.index.iter() {
            let stored = self.slots[slot.index()];
            let Some(deadline) = self.deadline_s(&stored) else {
                continue;
            };
            // An update awaiting approval is settled by its own rule above.
            if matches!(
                stored.state(),
                UpdateState::Running | UpdateState::AwaitingApproval
            ) || stored.has(marks::MISSED)
            {
                continue;
            }
            if !stored.has(marks::FORCED) {
                let latest_start = latest.of(slot, deadline);
                if latest_start <= now_s {
                    if force.push(slot).is_err() {
                        rescan = true;
                    }
                } else {
                    earliest = earliest.min(latest_start);
                }
                continue;
            }
            let grace_end = deadline.saturating_add(DEADLINE_GRACE_SECS);
            if grace_end < now_s {
                self.slots[slot.index()].marks |= marks::MISSED;
                count_miss(
                    &mut self.counts,
                    &mut self.events,
                    id,
                    stored.priority(),
                    now,
                );
            } else {
                earliest = earliest.min(grace_end.saturating_add(1));
            }
        }
        for slot in force {
            let stored = &mut self.slots[slot.index()];
            stored.marks |= marks::FORCED;
            let deadline = self
                .deadline_s(&self.slots[slot.index()])
                .unwrap_or(u32::MAX);
            earliest = earliest.min(
                deadline
                    .saturating_add(DEADLINE_GRACE_SECS)
                    .saturating_add(1),
            );
        }
        // Forced updates start in the order the latest starts were worked
        // out in: by latest start (deadline order is not always that
        // order, and one that waits for a lane would then let another
        // take the time planned for it). Critical updates keep their own
        // order, ahead of all: by arrival.
        let forced_ready = self.index.iter().filter(|&(_, slot)| {
            let stored = &self.slots[slot.index()];
            stored.has(marks::FORCED)
                && stored.state() == UpdateState::Ready
                && stored.priority() != Priority::Critical
        });
        for (_, slot) in forced_ready {
            let stored = &self.slots[slot.index()];
            let deadline = deadline_of(&self.config, stored).unwrap_or(u32::MAX);
            let latest_start = latest.of(slot, deadline);
            if let Some(old) = self.ready.key_of(slot) {
                let rank = Rank::of(stored.priority(), true);
                let key = PackedKey::new(rank, latest_start, old.sequence());
                let _ = self.ready.change_key(slot, key);
            }
        }
        self.earliest_deadline_s = if rescan { now_s } else { earliest };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, Deadlines, Profile};
    use crate::gate::{Metrics, PowerSource};
    use crate::scheduler::testing::*;
    use crate::scheduler::types::WaitReason;
    use crate::time::Duration;
    use crate::update::{UpdateFlags, UpdateRecord};

    #[test]
    fn test_security_waits_for_window_within_deadline() {
        let mut scheduler = scheduler(unattended());
        scheduler
            .submit(&record(2, Priority::Security, 0), Instant::ZERO)
            .unwrap();
        assert!(poll_at(&mut scheduler, 0).is_empty());
        let (now, wall) = at(0);
        let why = scheduler.explain(UpdateId(2), now, wall).unwrap();
        assert_eq!(why.reason, WaitReason::WindowClosed);
        assert!(!why.runs_at_deadline);
        assert_eq!(why.to_string(), "#2 pkg (security, ready): outside the maintenance windows; next chance in 2h; deadline in 1d");
        assert!(poll_at(&mut scheduler, 119).is_empty());
        assert_eq!(started_ids(&poll_at(&mut scheduler, 120)), [2]);
    }

    #[test]
    fn test_security_runs_at_deadline_when_no_window_reaches_it() {
        let mut scheduler = scheduler(unattended());
        // Available at 07:00, after Saturday's window; the next one is a
        // week away, the deadline 24 h away.
        let available = 7 * 60;
        scheduler
            .submit(&record(3, Priority::Security, available), Instant::ZERO)
            .unwrap();
        assert!(poll_at(&mut scheduler, available).is_empty());
        let (now, wall) = at(available);
        let why = scheduler.explain(UpdateId(3), now, wall).unwrap();
        assert!(why.runs_at_deadline, "{why}");
        assert_eq!(
            why.next_chance,
            Some(Instant::ZERO + Duration::from_minutes(available + 24 * 60))
        );
        assert!(
            why.to_string().contains("runs at the deadline in 1d"),
            "{why}"
        );
        assert!(poll_at(&mut scheduler, available + 24 * 60 - 1).is_empty());
        let starts = poll_at(&mut scheduler, available + 24 * 60);
        assert_eq!(started_ids(&starts), [3]);
        assert!(starts[0].forced);
        assert_eq!(scheduler.status().total_deadline_misses(), 0);
    }

    /// The desktop profile (Monday to Friday 01:00 for 3 h, Adaptive)
    /// without approvals, `max_concurrent` at a time: from boot (Saturday
    /// 00:00) no window comes for two days, so an update available then
    /// with a 24-hour deadline runs only when forced.
    fn desktop_without_window(max_concurrent: u8) -> UpdateScheduler<64> {
        scheduler(Config {
            approval: crate::policy::ApprovalPolicy::NONE,
            max_concurrent,
            ..Config::preset(Profile::Desktop)
        })
    }

    /// An update of `minutes` estimated minutes, otherwise like [`record`].
    fn long_record(id: u32, priority: Priority, available: u64, minutes: u64) -> UpdateRecord {
        let mut record = record(id, priority, available);
        record.estimated_duration = Duration::from_minutes(minutes);
        record
    }

    /// Polls once a minute from `from` to `to` (inclusive) with an idle
    /// machine, reporting each started update done once its estimate has
    /// passed (before the poll of that minute), as a platform would.
    /// Returns the starts as (id, minute), in order.
    fn drive(scheduler: &mut UpdateScheduler<64>, from: u64, to: u64) -> std::vec::Vec<(u32, u64)> {
        let mut started = std::vec::Vec::new();
        let mut running: std::vec::Vec<(UpdateId, u64)> = std::vec::Vec::new();
        for minute in from..=to {
            let (now, _) = at(minute);
            running.retain(|&(id, ends)| {
                if ends > minute {
                    return true;
                }
                scheduler.report_outcome(id, Ok(()), now).unwrap();
                false
            });
            for start in poll_at(scheduler, minute) {
                started.push((start.id.0, minute));
                running.push((start.id, minute + start.estimated_duration.as_minutes()));
            }
        }
        started
    }

    #[test]
    fn test_two_security_updates_arriving_together_one_at_a_time_both_start_on_time() {
        let mut scheduler = desktop_without_window(1);
        let available = 7;
        let deadline = available + 24 * 60;
        for id in [1, 2] {
            let record = long_record(id, Priority::Security, available, 20);
            scheduler.submit(&record, Instant::ZERO).unwrap();
        }
        assert!(poll_at(&mut scheduler, available).is_empty());
        let (now, wall) = at(available);
        // The first is forced 20 minutes before its deadline, leaving the
        // second room to start at its own.
        let why = scheduler.explain(UpdateId(1), now, wall).unwrap();
        assert!(why.runs_at_deadline, "{why}");
        assert_eq!(
            why.next_chance,
            Some(Instant::ZERO + Duration::from_minutes(deadline - 20))
        );
        assert_eq!(
            why.to_string(),
            "#1 pkg (security, ready): outside the maintenance windows; no window before its \
             deadline, so it runs at its latest start in 23h40m, leaving room for updates due \
             after it; deadline in 1d"
        );
        let why = scheduler.explain(UpdateId(2), now, wall).unwrap();
        assert!(
            why.to_string().contains("runs at the deadline in 1d"),
            "{why}"
        );
        let (later, _) = at(available + 60);
        assert_eq!(
            scheduler.next_timer(later, wall.saturating_add(Duration::from_hours(1))),
            Some(Instant::ZERO + Duration::from_minutes(deadline - 20))
        );
        let started = drive(&mut scheduler, available + 1, deadline + 60);
        assert_eq!(started, [(1, deadline - 20), (2, deadline)]);
        assert_eq!(scheduler.status().total_deadline_misses(), 0);
        assert_counts_add_up(&scheduler);
    }

    #[test]
    fn test_three_updates_of_different_estimates_one_at_a_time_start_in_a_chain() {
        let mut scheduler = desktop_without_window(1);
        // Deadlines 24 h after availability: 1447, 1460 and 1470.
        let records = [
            long_record(1, Priority::Security, 7, 30),
            long_record(2, Priority::Security, 20, 60),
            long_record(3, Priority::Security, 30, 120),
        ];
        for record in &records {
            scheduler.submit(record, Instant::ZERO).unwrap();
        }
        // Backwards from the last: 3 at 1470, 2 by 1470 - 60, 1 by
        // 1410 - 30.
        let started = drive(&mut scheduler, 0, 1600);
        assert_eq!(started, [(1, 1380), (2, 1410), (3, 1470)]);
        assert_eq!(scheduler.status().total_deadline_misses(), 0);
    }

    #[test]
    fn test_three_long_updates_two_at_a_time_one_lane_taken_start_on_time() {
        let mut scheduler = desktop_without_window(2);
        // A Critical update runs for 18 hours from minute 7, holding one
        // lane until minute 1087.
        scheduler
            .submit(
                &long_record(9, Priority::Critical, 7, 18 * 60),
                Instant::ZERO,
            )
            .unwrap();
        for id in [1, 2, 3] {
            let record = long_record(id, Priority::Security, 7, 8 * 60);
            scheduler.submit(&record, Instant::ZERO).unwrap();
        }
        // Three 8-hour updates due at 1447 on two lanes, one busy until
        // 1087: one of them must start on the free lane by 1447 - 480.
        let started = drive(&mut scheduler, 0, 2000);
        assert_eq!(started[0], (9, 7));
        assert_eq!(started[1].1, 1447 - 480);
        assert_eq!(started.len(), 4);
        assert!(
            started[2..].iter().all(|&(_, minute)| minute <= 1447 + 1),
            "{started:?}"
        );
        assert_eq!(scheduler.status().total_deadline_misses(), 0);
    }

    #[test]
    fn test_update_that_runs_alone_two_at_a_time_others_finish_before_it() {
        let mut scheduler = desktop_without_window(2);
        scheduler
            .submit(&long_record(1, Priority::Security, 7, 60), Instant::ZERO)
            .unwrap();
        scheduler
            .submit(&long_record(2, Priority::Security, 7, 60), Instant::ZERO)
            .unwrap();
        let mut reboot = long_record(3, Priority::Security, 7, 60);
        reboot.flags = UpdateFlags::NEEDS_REBOOT;
        scheduler.submit(&reboot, Instant::ZERO).unwrap();
        // The two applications share the lanes an hour before the
        // deadline; the reboot, which needs both, follows at it.
        let mut started = drive(&mut scheduler, 0, 1600);
        started.sort_by_key(|&(id, minute)| (minute, id));
        assert_eq!(started, [(1, 1387), (2, 1387), (3, 1447)]);
        assert_eq!(scheduler.status().total_deadline_misses(), 0);
    }

    #[test]
    fn test_running_update_one_at_a_time_latest_starts_wait_for_its_end() {
        let mut scheduler = desktop_without_window(1);
        // A 10-hour Critical update runs from minute 7 to 607; the two
        // Security updates still fit after it, forced as late as before.
        scheduler
            .submit(
                &long_record(9, Priority::Critical, 7, 10 * 60),
                Instant::ZERO,
            )
            .unwrap();
        for id in [1, 2] {
            let record = long_record(id, Priority::Security, 7, 20);
            scheduler.submit(&record, Instant::ZERO).unwrap();
        }
        let started = drive(&mut scheduler, 0, 1600);
        assert_eq!(started, [(9, 7), (1, 1427), (2, 1447)]);
        assert_eq!(scheduler.status().total_deadline_misses(), 0);
    }

    #[test]
    fn test_update_in_window_leaves_room_for_critical_reboot_due_during_it() {
        let mut scheduler = scheduler(Config {
            max_concurrent: 1,
            ..unattended()
        });
        // The window opens at 02:00 (minute 120); a Critical reboot
        // becomes available at 02:05 and must then run alone.
        scheduler
            .submit(&long_record(1, Priority::Security, 0, 60), Instant::ZERO)
            .unwrap();
        let mut critical = long_record(2, Priority::Critical, 125, 10);
        critical.flags = UpdateFlags::NEEDS_REBOOT;
        scheduler.submit(&critical, Instant::ZERO).unwrap();
        assert!(poll_at(&mut scheduler, 120).is_empty());
        let (now, wall) = at(120);
        assert_eq!(
            scheduler.explain(UpdateId(1), now, wall).unwrap().reason,
            WaitReason::NoRoomBeforeLatestStarts
        );
        // The Critical update runs at once; the Security one after it,
        // still in the window.
        let started = drive(&mut scheduler, 121, 300);
        assert_eq!(started, [(2, 125), (1, 135)]);
        assert_eq!(scheduler.status().total_deadline_misses(), 0);
    }

    #[test]
    fn test_power_gate_holds_forced_update_and_miss_is_counted() {
        let mut scheduler = scheduler(unattended());
        scheduler
            .submit(&record(1, Priority::Security, 7 * 60), Instant::ZERO)
            .unwrap();
        let battery = Metrics {
            power: PowerSource::Battery {
                level_permille: 100,
            },
            ..Metrics::IDLE
        };
        let deadline = 7 * 60 + 24 * 60;
        for minute in [deadline, deadline + 1, deadline + 5] {
            let (now, wall) = at(minute);
            assert!(scheduler.poll(now, wall, &battery).is_empty());
        }
        assert_eq!(
            scheduler.status().deadline_misses[Priority::Security.index()],
            1
        );
        let (now, wall) = at(deadline + 6);
        let starts = scheduler.poll(now, wall, &Metrics::IDLE);
        assert_eq!(started_ids(&starts), [1]);
        assert_eq!(
            scheduler.status().deadline_misses[Priority::Security.index()],
            1
        );
    }

    #[test]
    fn test_retry_after_deadline_is_not_a_miss_when_first_start_was_on_time() {
        let mut scheduler = scheduler(unattended());
        let mut security = record(1, Priority::Security, 0);
        security.estimated_duration = Duration::from_minutes(5);
        started_at_120(&mut scheduler, &[security], &[1]);
        let (now, _) = at(125);
        scheduler
            .report_outcome(UpdateId(1), Err("network"), now)
            .unwrap();
        let (later, _) = at(24 * 60 + 10);
        scheduler.defer(UpdateId(1), later, now).unwrap();
        assert_eq!(
            started_ids(&poll_at(&mut scheduler, 7 * 24 * 60 + 120)),
            [1]
        );
        assert_eq!(scheduler.status().total_deadline_misses(), 0);
    }

    /// Every event waiting, drained.
    fn drain(scheduler: &mut UpdateScheduler<64>) -> std::vec::Vec<Event> {
        core::iter::from_fn(|| scheduler.pop_event())
            .map(|timed| timed.event)
            .collect()
    }

    #[test]
    fn test_unapproved_security_at_deadline_installs_approved_by_deadline() {
        // Basic: Security needs approval and installs at its deadline.
        let mut scheduler = scheduler(Config::preset(Profile::Basic));
        scheduler
            .submit(&record(1, Priority::Security, 0), Instant::ZERO)
            .unwrap();
        assert!(poll_at(&mut scheduler, 24 * 60 - 1).is_empty());
        assert_eq!(
            scheduler.state_of(UpdateId(1)),
            Some(UpdateState::AwaitingApproval)
        );
        drain(&mut scheduler);
        let started = poll_at(&mut scheduler, 24 * 60);
        assert_eq!(started_ids(&started), [1]);
        assert!(started[0].forced);
        let events = drain(&mut scheduler);
        assert!(events.contains(&Event::ApprovedByDeadline {
            id: UpdateId(1),
            priority: Priority::Security
        }));
        let status = scheduler.status();
        assert_eq!(status.total_deadline_misses(), 0);
        assert_eq!(status.missed_awaiting_approval, [0; 5]);
        assert_counts_add_up(&scheduler);
    }

    #[test]
    fn test_unapproved_important_at_deadline_escalates_and_keeps_waiting() {
        let config = Config {
            deadlines: Deadlines::DEFAULT
                .with(Priority::Security, Some(Duration::from_hours(1)))
                .with(Priority::Important, Some(Duration::from_hours(2))),
            ..Config::preset(Profile::Basic)
        };
        let mut scheduler = scheduler(config);
        scheduler
            .submit(&record(1, Priority::Important, 0), Instant::ZERO)
            .unwrap();
        // Within the grace minute it could still be approved in time.
        assert!(poll_at(&mut scheduler, 121).is_empty());
        assert_eq!(scheduler.status().missed_awaiting_approval, [0; 5]);
        drain(&mut scheduler);
        assert!(poll_at(&mut scheduler, 122).is_empty());
        assert_eq!(
            drain(&mut scheduler),
            [Event::MissedAwaitingApproval {
                id: UpdateId(1),
                priority: Priority::Important
            }]
        );
        let status = scheduler.status();
        assert_eq!(
            status.missed_awaiting_approval[Priority::Important.index()],
            1
        );
        assert_eq!(status.total_deadline_misses(), 0);
        assert_eq!(
            scheduler.state_of(UpdateId(1)),
            Some(UpdateState::AwaitingApproval)
        );
        // Counted once, however long it waits.
        assert!(poll_at(&mut scheduler, 600).is_empty());
        assert_eq!(
            scheduler.status().missed_awaiting_approval[Priority::Important.index()],
            1
        );
        // Approved later, it runs in the next window like any approved update.
        let (now, _) = at(601);
        scheduler.approve(UpdateId(1), now).unwrap();
        assert_eq!(scheduler.state_of(UpdateId(1)), Some(UpdateState::Ready));
        assert_counts_add_up(&scheduler);
    }

    #[test]
    fn test_approval_before_deadline_is_no_deadline_approval() {
        let mut scheduler = scheduler(Config::preset(Profile::Basic));
        scheduler
            .submit(&record(1, Priority::Security, 0), Instant::ZERO)
            .unwrap();
        let (now, _) = at(60);
        scheduler.approve(UpdateId(1), now).unwrap();
        // Approved in time, it runs in the Saturday window (02:00), well
        // before its deadline.
        let started = drive(&mut scheduler, 61, 24 * 60 + 10);
        assert_eq!(started, [(1, 120)]);
        assert!(!drain(&mut scheduler)
            .iter()
            .any(|event| matches!(event, Event::ApprovedByDeadline { .. })));
    }
}
