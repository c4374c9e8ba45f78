//! An update's life: submitted, available, approved or deferred, queued or
//! blocked, reported, retried, and finished, and every change of state on
//! the way.

use super::record::{
    instant_of, marks, seconds_down, seconds_up, Finished, RefusedTransition, Stored,
};
use super::types::{CommandError, SubmitError, UpdateState};
use super::{UpdateScheduler, DEPENDENCY_CAPACITY, LATEST_INSTANT, MAX_ESTIMATE};
use crate::backoff::split_mix;
use crate::event::Event;
use crate::queue::{PackedKey, Rank, Slot};
use crate::time::{Duration, Instant};
use crate::update::{Priority, UpdateFlags, UpdateId, UpdateRecord};
use heapless::Vec;

impl<const N: usize> UpdateScheduler<N> {
    /// Accepts an update.
    pub fn submit(&mut self, record: &UpdateRecord, now: Instant) -> Result<(), SubmitError> {
        if record.estimated_duration > MAX_ESTIMATE {
            return Err(SubmitError::EstimateTooLong);
        }
        if record.estimated_duration == Duration::ZERO {
            return Err(SubmitError::ZeroEstimate);
        }
        if record.available_at > LATEST_INSTANT {
            return Err(SubmitError::AvailableTooLate);
        }
        if self.index.find(record.id).is_some() {
            return Err(SubmitError::Duplicate);
        }
        let mut unmet = 0;
        for &dependency in &record.dependencies {
            if dependency == record.id {
                return Err(SubmitError::SelfDependency);
            }
            if self.index.find(dependency).is_some() {
                unmet += 1;
                continue;
            }
            match self.finished_state(dependency) {
                Some(UpdateState::Completed) => {}
                Some(_) => return Err(SubmitError::DependencyFailed(dependency)),
                None => return Err(SubmitError::UnknownDependency(dependency)),
            }
        }
        if self.dependencies.len() + unmet > DEPENDENCY_CAPACITY {
            return Err(SubmitError::TooManyDependencies);
        }
        let slot = self
            .index
            .insert(record.id)
            .map_err(|_| SubmitError::Full)?;

        let stored = Stored::submitted(record);
        let available_s = stored.available_s;
        self.slots[slot.index()] = stored;
        for &dependency in &record.dependencies {
            if self.index.find(dependency).is_some() {
                // Room was checked above.
                let _ = self.dependencies.push((slot, dependency));
            }
        }
        self.counts.submitted += 1;
        self.counts.by_state[UpdateState::Waiting as usize] += 1;
        if record.available_at <= now {
            self.make_available(slot, now);
        } else {
            self.earliest_wake_s = self.earliest_wake_s.min(available_s);
        }
        if self.deadline_s(&self.slots[slot.index()]).is_some() {
            // Its work may move the latest starts of others earlier.
            self.handle_deadlines(now, seconds_down(now));
        }
        Ok(())
    }

    /// Approves an update that needs (or will need) approval.
    pub fn approve(&mut self, id: UpdateId, now: Instant) -> Result<(), CommandError> {
        let slot = self.live_slot(id)?;
        let stored = self.slots[slot.index()];
        if stored.has(marks::APPROVED) {
            return Err(CommandError::AlreadyApproved);
        }
        if stored.state() == UpdateState::Running {
            return Err(CommandError::Running);
        }
        self.slots[slot.index()].marks |= marks::APPROVED;
        self.events.push(now, Event::Approved { id });
        if stored.state() == UpdateState::AwaitingApproval {
            self.enqueue(slot);
            if self.deadline_s(&stored).is_some() && !stored.has(marks::MISSED) {
                // Waiting for approval it held no room; now it does.
                self.handle_deadlines(now, seconds_down(now));
            }
        }
        Ok(())
    }

    /// Rejects an update: it will not run.
    pub fn reject(&mut self, id: UpdateId, now: Instant) -> Result<(), CommandError> {
        self.end_unstarted(id, UpdateState::Rejected, Event::Rejected { id }, now)
    }

    /// Cancels an update that has not started.
    pub fn cancel(&mut self, id: UpdateId, now: Instant) -> Result<(), CommandError> {
        self.end_unstarted(id, UpdateState::Cancelled, Event::Cancelled { id }, now)
    }

    /// Ends an update that is not running in `state`, announcing `event`.
    fn end_unstarted(
        &mut self,
        id: UpdateId,
        state: UpdateState,
        event: Event,
        now: Instant,
    ) -> Result<(), CommandError> {
        let slot = self.live_slot(id)?;
        if self.slots[slot.index()].state() == UpdateState::Running {
            return Err(CommandError::Running);
        }
        let kept_deadline = self.keeps_deadline(slot);
        self.events.push(now, event);
        self.finish(slot, state, now);
        if kept_deadline {
            // The time reserved for it is free.
            self.handle_deadlines(now, seconds_down(now));
        }
        Ok(())
    }

    /// Whether the update in `slot` has a deadline still to keep, so that
    /// it counts in the latest starts.
    fn keeps_deadline(&self, slot: Slot) -> bool {
        let stored = &self.slots[slot.index()];
        !stored.has(marks::MISSED) && self.deadline_s(stored).is_some()
    }

    /// Puts an update off until `until`, rounded up to a whole second;
    /// returns the instant it is put off to. Its deadline does not move: a
    /// deferral past it is counted as a miss. A deferral past
    /// [`LATEST_INSTANT`] is refused.
    pub fn defer(
        &mut self,
        id: UpdateId,
        until: Instant,
        now: Instant,
    ) -> Result<Instant, CommandError> {
        let slot = self.live_slot(id)?;
        let stored = self.slots[slot.index()];
        if stored.state() == UpdateState::Running {
            return Err(CommandError::Running);
        }
        if stored.priority() == Priority::Critical {
            return Err(CommandError::CriticalCannotWait);
        }
        if until > LATEST_INSTANT {
            return Err(CommandError::TooLate);
        }
        // Compared before rounding: `until == now` is refused whatever
        // fraction of a second `now` has.
        if until <= now {
            return Err(CommandError::NotInFuture);
        }
        let until_s = seconds_up(until);
        let stored = &mut self.slots[slot.index()];
        stored.wake_s = until_s;
        stored.marks &= !marks::ANNOUNCED;
        self.transition(slot, UpdateState::Deferred);
        self.earliest_wake_s = self.earliest_wake_s.min(until_s);
        self.events.push(
            now,
            Event::Deferred {
                id,
                until: instant_of(until_s),
            },
        );
        if self.keeps_deadline(slot) {
            // It can start only from `until` now: the latest starts move.
            self.handle_deadlines(now, seconds_down(now));
        }
        Ok(instant_of(until_s))
    }

    /// Reports how an update the scheduler started ended: `Ok(())`, or
    /// `Err(reason)`. Failures are retried with backoff until the retry
    /// policy's last attempt.
    pub fn report_outcome(
        &mut self,
        id: UpdateId,
        outcome: Result<(), &'static str>,
        now: Instant,
    ) -> Result<(), CommandError> {
        self.report(id, outcome.map_err(|reason| (reason, false)), now)
    }

    /// Reports that a running update failed in a way no retry can mend
    /// (its payload does not match what was signed, say): it fails for
    /// good at once, whatever attempts the retry policy has left, and
    /// its dependents fail with it. The same errors as
    /// [`UpdateScheduler::report_outcome`].
    pub fn report_permanent_failure(
        &mut self,
        id: UpdateId,
        reason: &'static str,
        now: Instant,
    ) -> Result<(), CommandError> {
        self.report(id, Err((reason, true)), now)
    }

    /// An outcome; an error carries its reason and whether it is final
    /// regardless of the retry policy.
    fn report(
        &mut self,
        id: UpdateId,
        outcome: Result<(), (&'static str, bool)>,
        now: Instant,
    ) -> Result<(), CommandError> {
        let slot = self.live_slot(id)?;
        let stored = self.slots[slot.index()];
        if stored.state() != UpdateState::Running {
            return Err(CommandError::NotRunning);
        }
        self.stop_running(slot);
        match outcome {
            Ok(()) => {
                self.events.push(now, Event::Completed { id });
                self.finish(slot, UpdateState::Completed, now);
                self.unblock_dependents(id);
            }
            Err((reason, final_failure)) => {
                let attempt = stored.attempts();
                let permanent = final_failure || !self.config.retry.may_retry(attempt);
                self.events.push(
                    now,
                    Event::Failed {
                        id,
                        attempt,
                        reason,
                        permanent,
                    },
                );
                if permanent {
                    self.finish(slot, UpdateState::Failed, now);
                } else {
                    let seed = split_mix(self.seed ^ u64::from(id.0) << 8 ^ u64::from(attempt));
                    let delay = self.config.retry.delay_with_jitter(attempt, seed);
                    let wake_s = seconds_up(now.saturating_add(delay));
                    self.slots[slot.index()].wake_s = wake_s;
                    self.transition(slot, UpdateState::RetryWait);
                    self.earliest_wake_s = self.earliest_wake_s.min(wake_s);
                    self.events.push(
                        now,
                        Event::RetryScheduled {
                            id,
                            attempt: attempt + 1,
                            at: instant_of(wake_s),
                        },
                    );
                }
            }
        }
        self.lane_freed(now);
        Ok(())
    }

    /// A running update stopped: its lane is free before the room of the
    /// last deadline scan says. Scan again, if any update has a deadline
    /// to keep.
    pub(super) fn lane_freed(&mut self, now: Instant) {
        if self.earliest_deadline_s != u32::MAX {
            self.handle_deadlines(now, seconds_down(now));
        }
    }

    pub(super) fn live_slot(&self, id: UpdateId) -> Result<Slot, CommandError> {
        match self.index.find(id) {
            Some(slot) => Ok(slot),
            None => Err(match self.finished_state(id) {
                Some(state) => CommandError::Finished(state),
                None => CommandError::UnknownId,
            }),
        }
    }

    pub(super) fn finished_state(&self, id: UpdateId) -> Option<UpdateState> {
        self.history
            .iter()
            .rev()
            .find(|finished| finished.id == id)
            .map(|finished| finished.state)
    }

    /// Moves the update in `slot` to the state `to`: every change of an
    /// update's state goes through here, and so through `Stored::move_to`,
    /// the only code that writes a record's state, which refuses what
    /// `transition_allowed` does not allow. Keeps the counts by state, and
    /// takes an update that leaves Ready out of the ready queue; an update
    /// that enters a final state is counted there, and the caller frees
    /// its slot. A refused transition is a bug in the scheduler: a debug
    /// build panics, a release build leaves the update where it was.
    pub(super) fn transition(&mut self, slot: Slot, to: UpdateState) {
        let result = self.try_transition(slot, to);
        debug_assert!(result.is_ok(), "{result:?}");
    }

    /// [`UpdateScheduler::transition`] without the assertion: `Err`, and
    /// nothing changes, if the state machine does not allow the move.
    fn try_transition(&mut self, slot: Slot, to: UpdateState) -> Result<(), RefusedTransition> {
        let from = self.slots[slot.index()].move_to(to)?;
        self.counts.by_state[from as usize] -= 1;
        if from == UpdateState::Ready {
            let _ = self.ready.remove(slot);
        }
        self.counts.by_state[to as usize] += 1;
        Ok(())
    }

    /// The update has become available: on to approval or the queue.
    fn make_available(&mut self, slot: Slot, now: Instant) {
        let stored = self.slots[slot.index()];
        if !stored.has(marks::AVAILABLE) {
            self.slots[slot.index()].marks |= marks::AVAILABLE;
            if let Some(id) = self.index.id_at(slot) {
                self.events.push(now, Event::UpdateAvailable { id });
            }
        }
        let needs_approval = self.config.approval.requires(stored.priority())
            || stored.flags().contains(UpdateFlags::NEEDS_APPROVAL);
        if needs_approval && !stored.has(marks::APPROVED) {
            self.transition(slot, UpdateState::AwaitingApproval);
            if let Some(id) = self.index.id_at(slot) {
                self.events.push(now, Event::RequiresApproval { id });
            }
        } else {
            self.enqueue(slot);
        }
    }

    /// Into the ready queue, or Blocked while a dependency is unfinished.
    pub(super) fn enqueue(&mut self, slot: Slot) {
        let unmet = self.dependencies.iter().any(|&(dependent, dependency)| {
            dependent == slot && self.index.find(dependency).is_some()
        });
        if unmet {
            self.transition(slot, UpdateState::Blocked);
            return;
        }
        let stored = self.slots[slot.index()];
        let forced = stored.has(marks::FORCED);
        let deadline = self.deadline_s(&stored).unwrap_or(u32::MAX);
        if self.sequence >= PackedKey::SEQUENCE_LIMIT {
            // After 2^29 submissions the counter starts again; ties among
            // the updates queued at that moment may then be broken out of
            // submission order (never priority or deadline order).
            self.sequence = 0;
        }
        let key = PackedKey::new(Rank::of(stored.priority(), forced), deadline, self.sequence);
        self.sequence += 1;
        // Every live update has a slot below N and is queued at most once.
        let _ = self.ready.push(slot, key);
        self.transition(slot, UpdateState::Ready);
        self.note_deadline(slot);
        if forced && stored.priority() != Priority::Critical {
            // Keyed by its deadline for now: the next poll's scan keys it
            // by its latest start, as it does every forced update.
            self.earliest_deadline_s = 0;
        }
    }

    /// Frees `slot` into a final state.
    pub(super) fn finish(&mut self, slot: Slot, state: UpdateState, now: Instant) {
        let Some(id) = self.index.id_at(slot) else {
            return;
        };
        self.transition(slot, state);
        self.dependencies
            .retain(|&(dependent, _)| dependent != slot);
        let _ = self.index.remove(id);
        self.slots[slot.index()] = Stored::EMPTY;
        if self.history.is_full() {
            self.history.pop_front();
        }
        let _ = self.history.push_back(Finished { id, state });
        self.forget_preemption(id);
        if state != UpdateState::Completed {
            self.fail_dependents(id, now);
        }
    }

    /// Updates that depend on `id`, which will never complete, fail too.
    fn fail_dependents(&mut self, id: UpdateId, now: Instant) {
        while let Some(&(dependent, _)) = self
            .dependencies
            .iter()
            .find(|&&(_, dependency)| dependency == id)
        {
            let Some(dependent_id) = self.index.id_at(dependent) else {
                self.dependencies.retain(|&(slot, _)| slot != dependent);
                continue;
            };
            self.events.push(
                now,
                Event::DependencyFailed {
                    id: dependent_id,
                    dependency: id,
                },
            );
            // `finish` removes the dependent's edges and recurses into
            // its own dependents; the table shrinks every round.
            self.finish(dependent, UpdateState::Failed, now);
        }
    }

    /// `id` completed: its Blocked dependents may be ready now.
    fn unblock_dependents(&mut self, id: UpdateId) {
        let edges = self.dependencies.len();
        self.dependencies
            .retain(|&(_, dependency)| dependency != id);
        if self.dependencies.len() == edges {
            // Nothing waited for `id`. An update is Blocked only while it
            // has an edge to a live dependency, and edges go only when
            // their dependency ends (a failed one takes its dependents
            // along), so every Blocked update would stay Blocked: spare
            // the scan over every live slot.
            return;
        }
        let mut candidates: Vec<Slot, DEPENDENCY_CAPACITY> = Vec::new();
        for (_, slot) in self.index.iter() {
            if self.slots[slot.index()].state() == UpdateState::Blocked {
                let _ = candidates.push(slot);
            }
        }
        for slot in candidates {
            self.enqueue(slot);
        }
    }

    /// Moves every update whose timer is due to its next state.
    pub(super) fn wake_due(&mut self, now: Instant, now_s: u32) {
        let mut earliest = u32::MAX;
        let mut due: Vec<Slot, 32> = Vec::new();
        for (_, slot) in self.index.iter() {
            let stored = &self.slots[slot.index()];
            if !matches!(
                stored.state(),
                UpdateState::Waiting | UpdateState::Deferred | UpdateState::RetryWait
            ) {
                continue;
            }
            if stored.wake_s <= now_s && !due.is_full() {
                let _ = due.push(slot);
            } else {
                // Also the ones left over when `due` is full: they are
                // due, so the next poll scans again.
                earliest = earliest.min(stored.wake_s);
            }
        }
        self.earliest_wake_s = earliest;
        for slot in due {
            match self.slots[slot.index()].state() {
                // A deferral may have been made before the update was
                // available or approved: both still apply.
                UpdateState::Waiting | UpdateState::Deferred => {
                    self.wake_to_available(slot, now, now_s)
                }
                _ => self.enqueue(slot),
            }
        }
    }

    /// A Waiting or Deferred update whose timer fired: still waiting for
    /// availability, or on to approval or the queue.
    fn wake_to_available(&mut self, slot: Slot, now: Instant, now_s: u32) {
        let available_s = self.slots[slot.index()].available_s;
        if available_s > now_s {
            self.slots[slot.index()].wake_s = available_s;
            self.transition(slot, UpdateState::Waiting);
            self.earliest_wake_s = self.earliest_wake_s.min(available_s);
        } else {
            self.make_available(slot, now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, Profile};
    use crate::scheduler::testing::*;
    use crate::scheduler::types::WaitReason;

    #[test]
    fn test_approval_holds_update_until_approved_and_reject_ends_it() {
        let mut scheduler = scheduler(Config::preset(Profile::Basic));
        scheduler
            .submit(&record(4, Priority::Important, 0), Instant::ZERO)
            .unwrap();
        scheduler
            .submit(&record(5, Priority::Important, 0), Instant::ZERO)
            .unwrap();
        assert!(poll_at(&mut scheduler, 130).is_empty());
        assert_eq!(
            scheduler.state_of(UpdateId(4)),
            Some(UpdateState::AwaitingApproval)
        );
        let (now, _) = at(130);
        scheduler.approve(UpdateId(4), now).unwrap();
        assert_eq!(
            scheduler.approve(UpdateId(4), now),
            Err(CommandError::AlreadyApproved)
        );
        scheduler.reject(UpdateId(5), now).unwrap();
        assert_eq!(started_ids(&poll_at(&mut scheduler, 131)), [4]);
        assert_eq!(scheduler.state_of(UpdateId(5)), Some(UpdateState::Rejected));
        assert_eq!(
            scheduler.reject(UpdateId(5), now),
            Err(CommandError::Finished(UpdateState::Rejected))
        );
        assert_eq!(
            scheduler.reject(UpdateId(4), now),
            Err(CommandError::Running)
        );
        assert_counts_add_up(&scheduler);
    }

    #[test]
    fn test_failure_retries_with_backoff_then_fails_for_good() {
        let mut scheduler = scheduler(unattended());
        scheduler
            .submit(&record(6, Priority::Critical, 0), Instant::ZERO)
            .unwrap();
        let mut minute = 0;
        let mut retry_at = std::vec::Vec::new();
        for attempt in 1..=3u8 {
            let starts = poll_at(&mut scheduler, minute);
            assert_eq!(started_ids(&starts), [6], "attempt {attempt}");
            assert_eq!(starts[0].attempt, attempt);
            let (now, _) = at(minute);
            scheduler
                .report_outcome(UpdateId(6), Err("disk full"), now)
                .unwrap();
            if let Some(info) = scheduler.get(UpdateId(6)) {
                let wake = info.wake_at.expect("backing off");
                retry_at.push((wake - now).as_minutes());
                assert!(poll_at(&mut scheduler, minute + 1).is_empty());
                minute = wake.as_millis() / 60_000;
            }
        }
        assert_eq!(retry_at, [5, 10]);
        assert_eq!(scheduler.state_of(UpdateId(6)), Some(UpdateState::Failed));
        let mut permanent = false;
        while let Some(event) = scheduler.pop_event() {
            if let Event::Failed {
                permanent: true,
                attempt: 3,
                ..
            } = event.event
            {
                permanent = true;
            }
        }
        assert!(permanent);
        assert_counts_add_up(&scheduler);
    }

    #[test]
    fn test_dependency_blocks_until_done_and_failure_cascades() {
        let mut scheduler = scheduler(unattended());
        scheduler
            .submit(&record(1, Priority::Important, 0), Instant::ZERO)
            .unwrap();
        let mut second = record(2, Priority::Critical, 0);
        second.dependencies.push(UpdateId(1)).unwrap();
        scheduler.submit(&second, Instant::ZERO).unwrap();
        let mut third = record(3, Priority::Low, 0);
        third.dependencies.push(UpdateId(2)).unwrap();
        scheduler.submit(&third, Instant::ZERO).unwrap();
        assert!(poll_at(&mut scheduler, 0).is_empty());
        assert_eq!(scheduler.state_of(UpdateId(2)), Some(UpdateState::Blocked));
        assert_eq!(started_ids(&poll_at(&mut scheduler, 120)), [1]);
        let (now, _) = at(121);
        scheduler.report_outcome(UpdateId(1), Ok(()), now).unwrap();
        assert_eq!(started_ids(&poll_at(&mut scheduler, 121)), [2]);
        scheduler
            .report_outcome(UpdateId(2), Err("boom"), now)
            .unwrap();
        scheduler.cancel(UpdateId(2), now).unwrap();
        assert_eq!(scheduler.state_of(UpdateId(3)), Some(UpdateState::Failed));
        assert_counts_add_up(&scheduler);
        let mut late = record(9, Priority::Low, 0);
        late.dependencies.push(UpdateId(2)).unwrap();
        assert_eq!(
            scheduler.submit(&late, now),
            Err(SubmitError::DependencyFailed(UpdateId(2)))
        );
        late.dependencies[0] = UpdateId(1);
        assert_eq!(scheduler.submit(&late, now), Ok(()));
        late.id = UpdateId(10);
        late.dependencies[0] = UpdateId(77);
        assert_eq!(
            scheduler.submit(&late, now),
            Err(SubmitError::UnknownDependency(UpdateId(77)))
        );
    }

    #[test]
    fn test_bad_commands_are_errors_not_panics() {
        let mut small: UpdateScheduler<2> = UpdateScheduler::new(unattended()).unwrap();
        small
            .submit(&record(1, Priority::Low, 0), Instant::ZERO)
            .unwrap();
        assert_eq!(
            small.submit(&record(1, Priority::Low, 0), Instant::ZERO),
            Err(SubmitError::Duplicate)
        );
        small
            .submit(&record(2, Priority::Low, 0), Instant::ZERO)
            .unwrap();
        assert_eq!(
            small.submit(&record(3, Priority::Low, 0), Instant::ZERO),
            Err(SubmitError::Full)
        );
        assert_eq!(
            small.approve(UpdateId(99), Instant::ZERO),
            Err(CommandError::UnknownId)
        );
        assert_eq!(
            small.report_outcome(UpdateId(1), Ok(()), Instant::ZERO),
            Err(CommandError::NotRunning)
        );
        assert_eq!(
            small.defer(UpdateId(1), Instant::ZERO, Instant::ZERO),
            Err(CommandError::NotInFuture)
        );
        let mut long = record(4, Priority::Low, 0);
        long.estimated_duration = Duration::from_days(2);
        assert_eq!(
            small.submit(&long, Instant::ZERO),
            Err(SubmitError::EstimateTooLong)
        );
        let mut own = record(5, Priority::Low, 0);
        own.dependencies.push(UpdateId(5)).unwrap();
        assert_eq!(
            small.submit(&own, Instant::ZERO),
            Err(SubmitError::SelfDependency)
        );
        assert_eq!(small.status().submitted, 2);
        assert_eq!(small.status().count(UpdateState::Ready), 2);
    }

    #[test]
    fn test_defer_beyond_latest_instant_is_refused_not_clamped() {
        let mut scheduler = scheduler(unattended());
        scheduler
            .submit(&record(1, Priority::Optional, 0), Instant::ZERO)
            .unwrap();
        let (now, _) = at(0);
        let far = now + Duration::from_days(100_000);
        assert_eq!(
            scheduler.defer(UpdateId(1), far, now),
            Err(CommandError::TooLate)
        );
        assert_eq!(
            scheduler.defer(UpdateId(1), LATEST_INSTANT + Duration::from_millis(1), now),
            Err(CommandError::TooLate)
        );
        assert_eq!(scheduler.state_of(UpdateId(1)), Some(UpdateState::Ready));
        assert_eq!(
            scheduler.defer(UpdateId(1), LATEST_INSTANT, now),
            Ok(LATEST_INSTANT)
        );
        // The instant returned is the one the event carries, rounded up to
        // a whole second.
        let until = scheduler
            .defer(UpdateId(1), now + Duration::from_millis(90_500), now)
            .unwrap();
        assert_eq!(until, now + Duration::from_secs(91));
        let deferred: std::vec::Vec<Instant> = core::iter::from_fn(|| scheduler.pop_event())
            .filter_map(|timed| match timed.event {
                Event::Deferred { until, .. } => Some(until),
                _ => None,
            })
            .collect();
        assert_eq!(deferred, [LATEST_INSTANT, until]);
    }

    #[test]
    fn test_defer_to_now_is_refused_whatever_the_fraction_of_a_second() {
        let mut scheduler = scheduler(unattended());
        scheduler
            .submit(&record(1, Priority::Optional, 0), Instant::ZERO)
            .unwrap();
        let (whole, _) = at(10);
        for now in [whole, whole + Duration::from_millis(600)] {
            assert_eq!(
                scheduler.defer(UpdateId(1), now, now),
                Err(CommandError::NotInFuture),
                "{now:?}"
            );
            assert_eq!(
                scheduler.defer(UpdateId(1), Instant::from_millis(now.as_millis() - 1), now),
                Err(CommandError::NotInFuture)
            );
        }
        assert_eq!(scheduler.state_of(UpdateId(1)), Some(UpdateState::Ready));
        // Any time after now is a deferral, to the next whole second.
        let now = whole + Duration::from_millis(600);
        assert_eq!(
            scheduler.defer(UpdateId(1), now + Duration::from_millis(1), now),
            Ok(whole + Duration::from_secs(1))
        );
    }

    #[test]
    fn test_submit_available_beyond_latest_instant_is_refused_not_clamped() {
        let mut scheduler = scheduler(unattended());
        let mut far = record(1, Priority::Optional, 0);
        far.available_at = Instant::ZERO + Duration::from_days(1_000_000);
        assert_eq!(
            scheduler.submit(&far, Instant::ZERO),
            Err(SubmitError::AvailableTooLate)
        );
        far.available_at = LATEST_INSTANT;
        assert_eq!(scheduler.submit(&far, Instant::ZERO), Ok(()));
        assert_eq!(
            scheduler
                .get(UpdateId(1))
                .map(|info| info.record.available_at),
            Some(LATEST_INSTANT)
        );
    }

    #[test]
    fn test_available_event_goes_out_when_the_update_becomes_available_not_at_submit() {
        let mut scheduler = scheduler(unattended());
        scheduler
            .submit(&record(1, Priority::Optional, 120), Instant::ZERO)
            .unwrap();
        scheduler
            .submit(&record(2, Priority::Optional, 0), Instant::ZERO)
            .unwrap();
        let available = |scheduler: &mut UpdateScheduler<64>| -> std::vec::Vec<(u32, Instant)> {
            core::iter::from_fn(|| scheduler.pop_event())
                .filter_map(|timed| match timed.event {
                    Event::UpdateAvailable { id } => Some((id.0, timed.at)),
                    _ => None,
                })
                .collect()
        };
        assert_eq!(available(&mut scheduler), [(2, Instant::ZERO)]);
        poll_at(&mut scheduler, 60);
        assert_eq!(available(&mut scheduler), []);
        // A deferral made before it is available delays the announcement
        // too, which is made once.
        let (now, _) = at(60);
        scheduler
            .defer(UpdateId(1), now + Duration::from_minutes(90), now)
            .unwrap();
        poll_at(&mut scheduler, 120);
        assert_eq!(available(&mut scheduler), []);
        poll_at(&mut scheduler, 150);
        let (at_150, _) = at(150);
        assert_eq!(available(&mut scheduler), [(1, at_150)]);
        poll_at(&mut scheduler, 170);
        assert_eq!(available(&mut scheduler), []);
    }

    #[test]
    fn test_deferred_update_waits_and_critical_cannot_be_deferred() {
        let mut scheduler = scheduler(unattended());
        scheduler
            .submit(&record(1, Priority::Optional, 0), Instant::ZERO)
            .unwrap();
        scheduler
            .submit(&record(2, Priority::Critical, 0), Instant::ZERO)
            .unwrap();
        let (now, _) = at(0);
        assert_eq!(
            scheduler.defer(UpdateId(2), now + Duration::from_hours(1), now),
            Err(CommandError::CriticalCannotWait)
        );
        scheduler
            .defer(UpdateId(1), now + Duration::from_minutes(200), now)
            .unwrap();
        assert_eq!(started_ids(&poll_at(&mut scheduler, 0)), [2]);
        assert!(poll_at(&mut scheduler, 130).is_empty());
        let (now, wall) = at(130);
        assert_eq!(
            scheduler.explain(UpdateId(1), now, wall).unwrap().reason,
            WaitReason::Deferred
        );
        assert_eq!(started_ids(&poll_at(&mut scheduler, 200)), [1]);
    }

    #[test]
    fn test_deferred_update_still_needs_approval_and_availability() {
        let mut approving = scheduler(Config::preset(Profile::Basic));
        approving
            .submit(&record(1, Priority::Optional, 0), Instant::ZERO)
            .unwrap();
        let (now, _) = at(0);
        approving
            .defer(UpdateId(1), now + Duration::from_minutes(130), now)
            .unwrap();
        assert!(poll_at(&mut approving, 150).is_empty());
        assert_eq!(
            approving.state_of(UpdateId(1)),
            Some(UpdateState::AwaitingApproval)
        );

        let mut unattended = scheduler(unattended());
        unattended
            .submit(&record(2, Priority::Optional, 300), Instant::ZERO)
            .unwrap();
        unattended
            .defer(UpdateId(2), now + Duration::from_minutes(130), now)
            .unwrap();
        assert!(poll_at(&mut unattended, 140).is_empty());
        assert_eq!(unattended.state_of(UpdateId(2)), Some(UpdateState::Waiting));
        assert_eq!(started_ids(&poll_at(&mut unattended, 300)), [2]);
    }

    #[test]
    fn test_permanent_failure_fails_at_once_and_takes_dependents_with_it() {
        let mut scheduler = scheduler(unattended());
        let mut dependent = record(2, Priority::Security, 0);
        dependent.dependencies.push(UpdateId(1)).unwrap();
        let security = record(1, Priority::Security, 0);
        started_at_120(&mut scheduler, &[security, dependent], &[1]);
        while scheduler.pop_event().is_some() {}
        let (now, _) = at(125);
        assert_eq!(
            scheduler.report_permanent_failure(UpdateId(99), "bad payload", now),
            Err(CommandError::UnknownId)
        );
        assert_eq!(
            scheduler.report_permanent_failure(UpdateId(2), "bad payload", now),
            Err(CommandError::NotRunning)
        );
        scheduler
            .report_permanent_failure(UpdateId(1), "bad payload", now)
            .unwrap();
        // The retry policy allows 3 attempts; this was the first.
        assert_eq!(scheduler.state_of(UpdateId(1)), Some(UpdateState::Failed));
        assert_eq!(
            scheduler.pop_event().map(|timed| timed.event),
            Some(Event::Failed {
                id: UpdateId(1),
                attempt: 1,
                reason: "bad payload",
                permanent: true,
            })
        );
        assert_eq!(scheduler.state_of(UpdateId(2)), Some(UpdateState::Failed));
        assert_eq!(
            scheduler.pop_event().map(|timed| timed.event),
            Some(Event::DependencyFailed {
                id: UpdateId(2),
                dependency: UpdateId(1),
            })
        );
        assert!(
            poll_at(&mut scheduler, 130).is_empty(),
            "no retry, no dependent"
        );
        assert_counts_add_up(&scheduler);
    }

    /// A scheduler with update #1 submitted at boot and queued (Ready),
    /// and its slot.
    fn one_ready_update() -> (UpdateScheduler<64>, Slot) {
        let mut scheduler = scheduler(unattended());
        scheduler
            .submit(&record(1, Priority::Optional, 0), Instant::ZERO)
            .unwrap();
        let slot = scheduler.index.find(UpdateId(1)).unwrap();
        assert_eq!(scheduler.slots[slot.index()].state(), UpdateState::Ready);
        (scheduler, slot)
    }

    #[test]
    fn test_transition_refused_changes_nothing() {
        let (mut scheduler, slot) = one_ready_update();
        let before = scheduler.status();
        // A queued update has not run: it cannot complete, nor go back to
        // waiting for its availability.
        for to in [
            UpdateState::Completed,
            UpdateState::Waiting,
            UpdateState::RetryWait,
        ] {
            assert_eq!(
                scheduler.try_transition(slot, to),
                Err(RefusedTransition {
                    from: UpdateState::Ready,
                    to
                })
            );
            assert_eq!(scheduler.slots[slot.index()].state(), UpdateState::Ready);
            assert!(scheduler.ready.contains(slot));
            assert_eq!(scheduler.status(), before);
        }
    }

    #[test]
    fn test_transition_allowed_moves_counts_and_leaves_the_queue() {
        let (mut scheduler, slot) = one_ready_update();
        assert_eq!(
            scheduler.try_transition(slot, UpdateState::Deferred),
            Ok(())
        );
        assert_eq!(scheduler.slots[slot.index()].state(), UpdateState::Deferred);
        assert!(!scheduler.ready.contains(slot));
        let status = scheduler.status();
        assert_eq!(status.count(UpdateState::Ready), 0);
        assert_eq!(status.count(UpdateState::Deferred), 1);
        assert_counts_add_up(&scheduler);
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "RefusedTransition")]
    fn test_transition_refused_panics_in_a_debug_build() {
        let (mut scheduler, slot) = one_ready_update();
        scheduler.transition(slot, UpdateState::Completed);
    }
}
