//! `explain`: why an update is not running now, and when it next could.
//!
//! It asks the same questions the poll asks (the blocker, the room the latest
//! starts leave, the plan) without changing anything, and describes the queue
//! as the next poll will find it.

use super::latest_starts::{LatestStarts, Room};
use super::record::{instant_of, marks, seconds_down, Stored};
use super::types::{CommandError, Explanation, UpdateState, WaitReason};
use super::window_cache::WindowState;
use super::UpdateScheduler;
use crate::civil::WallTime;
use crate::gate::GateWait;
use crate::queue::{PackedKey, Slot};
use crate::time::{Duration, Instant};
use crate::update::{Priority, UpdateId};

/// What `explain` looks at: the clocks, the window state, and the latest
/// starts and the room they leave as the next poll will find them.
struct Scene<'a> {
    now: Instant,
    wall: WallTime,
    now_s: u32,
    window: WindowState,
    /// The latest starts worked out afresh, when the next poll scans the
    /// deadlines first.
    fresh: Option<&'a LatestStarts>,
    /// The room of `fresh`, or else of the last scan.
    room: &'a Room,
}

impl<const N: usize> UpdateScheduler<N> {
    /// One line saying why `id` is not running now and when it next could.
    pub fn explain(
        &self,
        id: UpdateId,
        now: Instant,
        wall: WallTime,
    ) -> Result<Explanation, CommandError> {
        let slot = self.live_slot(id)?;
        let stored = self.slots[slot.index()];
        let window = self
            .cached_window(wall)
            .unwrap_or_else(|| self.compute_window_state(wall))
            .at_second(wall);
        let state = stored.state();
        let deadline = self.deadline_s(&stored);
        let now_s = seconds_down(now);
        // The next poll first scans the deadlines if one is due: describe
        // the queue as that poll will find it, with the latest starts and
        // the room they leave worked out afresh.
        let fresh = (now_s >= self.earliest_deadline_s).then(|| self.latest_starts(now_s));
        let scene = Scene {
            now,
            wall,
            now_s,
            window,
            fresh: fresh.as_ref(),
            room: fresh.as_ref().map_or(&self.room, |latest| &latest.room),
        };
        let (reason, mut next_chance) = self.wait_reason(id, slot, &stored, &scene);
        let latest_start = deadline.and_then(|deadline_s| {
            self.runs_at_latest_start(slot, &stored, deadline_s, &reason, next_chance, &scene)
        });
        if latest_start.is_some() {
            next_chance = latest_start;
        }
        Ok(Explanation {
            id,
            name: stored.name(),
            priority: stored.priority(),
            state,
            reason,
            next_chance,
            deadline: deadline.map(instant_of),
            runs_at_deadline: latest_start.is_some(),
            latest_start,
            now,
        })
    }

    /// Why the update `id` in `slot` does not run now, and the next moment
    /// it could, if one is known.
    fn wait_reason(
        &self,
        id: UpdateId,
        slot: Slot,
        stored: &Stored,
        scene: &Scene<'_>,
    ) -> (WaitReason, Option<Instant>) {
        let wake = Some(instant_of(stored.wake_s));
        match stored.state() {
            UpdateState::Running if self.phase_waiting && self.staged == Some(slot) => {
                (WaitReason::WaitingToRunAlone, None)
            }
            UpdateState::Running => (WaitReason::Running, None),
            UpdateState::Waiting => (WaitReason::NotYetAvailable, wake),
            UpdateState::Deferred => (WaitReason::Deferred, wake),
            UpdateState::RetryWait => (
                WaitReason::RetryBackoff {
                    attempt: stored.attempts() + 1,
                },
                wake,
            ),
            UpdateState::AwaitingApproval => (WaitReason::AwaitingApproval, None),
            UpdateState::Blocked => {
                let dependency = self
                    .dependencies
                    .iter()
                    .find(|(dependent, _)| *dependent == slot)
                    .map_or(id, |&(_, dependency)| dependency);
                (WaitReason::Dependency(dependency), None)
            }
            _ => self.queued_wait_reason(id, slot, scene),
        }
    }

    /// [`UpdateScheduler::wait_reason`] for an update in the ready queue.
    fn queued_wait_reason(
        &self,
        id: UpdateId,
        slot: Slot,
        scene: &Scene<'_>,
    ) -> (WaitReason, Option<Instant>) {
        let (now, wall) = (scene.now, scene.wall);
        if let Some(by) = self.preempted_for(id) {
            return (WaitReason::Preempted(by), None);
        }
        if let Some((head, at)) = self.planned_head(slot, scene) {
            return (
                WaitReason::QueuedBehind(self.index.id_at(head).unwrap_or(id)),
                Some(now.saturating_add(at.saturating_duration_since(wall))),
            );
        }
        let plan = self.current_plan(slot, now, wall);
        match self.blocker(
            slot,
            &scene.window,
            plan.as_ref(),
            wall,
            scene.now_s,
            scene.room,
        ) {
            Some(reason) => {
                let chance = self.chance_after(&reason, scene);
                (reason, chance)
            }
            None => {
                match self.starts_ahead(slot, &scene.window, now, wall, scene.now_s, scene.fresh) {
                    Some(ahead) => (
                        WaitReason::QueuedBehind(self.index.id_at(ahead).unwrap_or(id)),
                        None,
                    ),
                    None => (WaitReason::StartsNextPoll, Some(now)),
                }
            }
        }
    }

    /// The Critical update that the queued update `id` made way for, while
    /// that preemption still explains why it waits.
    fn preempted_for(&self, id: UpdateId) -> Option<UpdateId> {
        self.preemptions
            .iter()
            .find(|preemption| preemption.id == id && self.preemption_explains(preemption))
            .map(|preemption| preemption.by)
    }

    /// The head of the queue and its planned slot, if the head is not
    /// `slot` and waits for that slot. An update behind such a head waits
    /// for the slot too (poll stops at the head), whatever its own plan
    /// would say.
    fn planned_head(&self, slot: Slot, scene: &Scene<'_>) -> Option<(Slot, WallTime)> {
        let (head, _) = self.ready.peek()?;
        if head == slot || self.slots[slot.index()].state() != UpdateState::Ready {
            return None;
        }
        let plan = self.current_plan(head, scene.now, scene.wall);
        match self.blocker(
            head,
            &scene.window,
            plan.as_ref(),
            scene.wall,
            scene.now_s,
            scene.room,
        ) {
            Some(WaitReason::PlannedSlot { at, .. }) => Some((head, at)),
            _ => None,
        }
    }

    /// The next chance of an update that waits for `reason`, when the
    /// clock alone brings it: its planned slot, or the next opening.
    fn chance_after(&self, reason: &WaitReason, scene: &Scene<'_>) -> Option<Instant> {
        let (now, wall) = (scene.now, scene.wall);
        match *reason {
            WaitReason::PlannedSlot { at, .. }
            | WaitReason::Paused { until: at, .. }
            | WaitReason::Frozen { until: at, .. } => {
                Some(now.saturating_add(at.saturating_duration_since(wall)))
            }
            WaitReason::WindowClosed => scene
                .window
                .opens_in
                .map(|secs| now.saturating_add(Duration::from_secs(secs))),
            WaitReason::NotReleasedToday(_) | WaitReason::DoesNotFit { .. } => self
                .config
                .windows
                .next_open(wall)
                .map(|open| now.saturating_add(open.saturating_duration_since(wall))),
            _ => None,
        }
    }

    /// The latest start of the update in `slot`, if it will run then: it
    /// is not forced yet, it waits for `reason` (a window or a gate that a
    /// forced update ignores), and its `next_chance` comes no sooner.
    fn runs_at_latest_start(
        &self,
        slot: Slot,
        stored: &Stored,
        deadline_s: u32,
        reason: &WaitReason,
        next_chance: Option<Instant>,
        scene: &Scene<'_>,
    ) -> Option<Instant> {
        let forced_later = !stored.has(marks::FORCED) && stored.state() == UpdateState::Ready;
        let latest_s = match scene.fresh {
            Some(latest) => latest.of(slot, deadline_s),
            None => self.latest_starts(scene.now_s).of(slot, deadline_s),
        };
        let latest_at = instant_of(latest_s);
        (forced_later
            && next_chance.is_none_or(|chance| chance > latest_at)
            && (held_until_forced(reason)
                || (matches!(reason, WaitReason::Frozen { .. })
                    && stored.priority() == Priority::Security)))
            .then_some(latest_at)
    }

    /// The update ahead of the queued `slot` that keeps it from starting
    /// at the next poll, though nothing else holds it: a head of the queue
    /// that holds everyone, or one ahead that would start and leave no
    /// place (the last under the limit, or one running alone beside it).
    /// Those ahead held for reasons of their own (waiting for room, not
    /// idle) are passed over, as the poll passes them.
    fn starts_ahead(
        &self,
        slot: Slot,
        window: &WindowState,
        now: Instant,
        wall: WallTime,
        now_s: u32,
        scan: Option<&LatestStarts>,
    ) -> Option<Slot> {
        let room = scan.map_or(&self.room, |latest| &latest.room);
        let (head, _) = self.ready.peek()?;
        if head == slot {
            return None;
        }
        let blocker = |other: Slot| {
            self.blocker(
                other,
                window,
                self.current_plan(other, now, wall).as_ref(),
                wall,
                now_s,
                room,
            )
        };
        if blocker(head).is_some_and(|reason| reason.holds_everyone()) {
            return Some(head);
        }
        let own_key = self.ready.key_of(slot)?;
        let stored = &self.slots[slot.index()];
        // The next poll first forces every update whose latest start has
        // come: those go ahead of every update not forced, whatever their
        // place in the queue and whatever room or window they would wait
        // for now.
        let forced_next_poll = |other: Slot| {
            let queued = &self.slots[other.index()];
            scan.is_some_and(|latest| {
                !queued.has(marks::FORCED)
                    && !queued.has(marks::MISSED)
                    && self
                        .deadline_s(queued)
                        .is_some_and(|deadline| latest.of(other, deadline) <= now_s)
            })
        };
        let own_forced = stored.has(marks::FORCED) || forced_next_poll(slot);
        let mut first: Option<(PackedKey, Slot)> = None;
        let mut starting: u8 = 0;
        let mut takes_all = self.runs_alone_throughout(stored);
        for (other, key) in self.ready.iter() {
            let ahead = if forced_next_poll(other) && !own_forced {
                true
            } else {
                key < own_key && blocker(other).is_none()
            };
            if other == slot || !ahead {
                continue;
            }
            starting = starting.saturating_add(1);
            takes_all |= self.runs_alone_throughout(&self.slots[other.index()]);
            if first.is_none_or(|(first_key, _)| key < first_key) {
                first = Some((key, other));
            }
        }
        let (_, ahead) = first?;
        let limit = self.concurrency_limit(stored.priority());
        // Those ahead may take the lanes that leave it room.
        let roomy = stored.has(marks::FORCED)
            || stored.priority() == Priority::Critical
            || (self.emergency && stored.priority() == Priority::Security)
            || self.earliest_deadline_s == u32::MAX
            || room.lanes_for(
                slot,
                now_s,
                u32::from(stored.estimated_s),
                takes_all || self.stages(stored),
            ) > usize::from(starting);
        (takes_all || self.running.saturating_add(starting) >= limit || !roomy).then_some(ahead)
    }
}

/// Whether an update waiting for `reason` is held only by what a forced
/// update ignores: the windows, the frequency policy, the resource gates.
fn held_until_forced(reason: &WaitReason) -> bool {
    matches!(
        reason,
        WaitReason::WindowClosed
            | WaitReason::NoWindows
            | WaitReason::NotReleasedToday(_)
            | WaitReason::ManualRelease
            | WaitReason::DoesNotFit { .. }
            | WaitReason::Gate(
                GateWait::Cpu { .. }
                    | GateWait::Memory { .. }
                    | GateWait::DiskIo { .. }
                    | GateWait::NetworkIo { .. }
                    | GateWait::Sessions { .. }
                    | GateWait::Load { .. }
            )
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::testing::*;

    #[test]
    fn test_explain_agrees_with_poll_past_a_held_head() {
        let mut scheduler = scheduler(unattended());
        // 05:50, ten minutes of window left: #1 needs an hour, #2 five minutes.
        let mut big = record(1, Priority::Security, 350);
        big.estimated_duration = Duration::from_minutes(60);
        let mut small = record(2, Priority::Important, 350);
        small.estimated_duration = Duration::from_minutes(5);
        let (now, wall) = at(350);
        scheduler.submit(&big, now).unwrap();
        scheduler.submit(&small, now).unwrap();
        let why = scheduler.explain(UpdateId(2), now, wall).unwrap();
        assert_eq!(why.reason, WaitReason::StartsNextPoll, "{why}");
        assert_eq!(started_ids(&poll_at(&mut scheduler, 350)), [2]);
    }
}
