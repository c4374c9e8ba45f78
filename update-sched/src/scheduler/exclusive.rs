//! Running alone, staged updates' exclusive phase, and preemption.
//!
//! See "Preemption", "Critical updates and the concurrency limit" and
//! "Staged updates" in the scheduler's module docs.

use super::record::Stored;
use super::types::{CommandError, PhaseGrant, UpdateState};
use super::{UpdateScheduler, CRITICAL_BEYOND_LIMIT};
use crate::config::MAX_CONCURRENT;
use crate::event::Event;
use crate::queue::Slot;
use crate::time::Instant;
use crate::update::{Priority, UpdateId};

/// Preemptions remembered for `explain`. A Critical update asks for at
/// most one (aborting one update lets it start at the next poll), and at
/// most `MAX_CONCURRENT + CRITICAL_BEYOND_LIMIT` of those run at a time,
/// one more waiting at the head of the queue.
pub(super) const PREEMPTION_CAPACITY: usize =
    MAX_CONCURRENT as usize + CRITICAL_BEYOND_LIMIT as usize + 1;

/// A running update the platform aborted so that a Critical one could
/// start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Preemption {
    /// The aborted update, back in the queue.
    pub(super) id: UpdateId,
    /// The Critical update it made way for.
    pub(super) by: UpdateId,
}

impl<const N: usize> UpdateScheduler<N> {
    /// Declares whether the platform stages updates that need a reboot
    /// or touch firmware (see "Staged updates" in the module docs): with
    /// `true` such an update starts like any other, and the platform asks
    /// [`UpdateScheduler::request_exclusive_phase`] before its reboot or
    /// flash; with `false` (the default) it runs alone from start to end.
    /// Only while nothing runs: [`CommandError::Running`] otherwise, and
    /// nothing changes.
    pub fn set_staged_updates(&mut self, staged: bool) -> Result<(), CommandError> {
        if self.running > 0 {
            return Err(CommandError::Running);
        }
        self.staging = staged;
        Ok(())
    }

    /// Whether the platform stages updates
    /// ([`UpdateScheduler::set_staged_updates`]).
    pub fn staged_updates(&self) -> bool {
        self.staging
    }

    /// Asks whether the running update `id` may enter its exclusive
    /// phase (the reboot, the firmware flash) now. Call it when the
    /// update has staged everything else, before anything disruptive.
    ///
    /// [`PhaseGrant::Enter`] when nothing else runs: from then on nothing
    /// starts beside it until its outcome is reported. An update that
    /// already runs alone (marked exclusive, or with a disruptive phase
    /// on a platform that does not stage) is always granted.
    /// [`PhaseGrant::Wait`] while others run: the update stays staged,
    /// nothing new starts (except a Critical update, if the waiting one
    /// is not Critical) so the others can only end, and the platform asks
    /// again after each poll or reported outcome. While it waits it can
    /// still be abandoned, so it may be named by
    /// [`UpdateScheduler::preempt_request`].
    ///
    /// An error, and nothing changes, if no live update has this id, it
    /// is not running, or it has no disruptive phase.
    pub fn request_exclusive_phase(
        &mut self,
        id: UpdateId,
        now: Instant,
    ) -> Result<PhaseGrant, CommandError> {
        let slot = self.live_slot(id)?;
        if self.slots[slot.index()].state() != UpdateState::Running {
            return Err(CommandError::NotRunning);
        }
        if self.alone == Some(slot) {
            return Ok(PhaseGrant::Enter);
        }
        if self.staged != Some(slot) {
            return Err(CommandError::NoExclusivePhase);
        }
        if self.running == 1 {
            self.alone = Some(slot);
            self.phase_waiting = false;
            self.events.push(now, Event::ExclusivePhase { id });
            Ok(PhaseGrant::Enter)
        } else {
            self.phase_waiting = true;
            Ok(PhaseGrant::Wait)
        }
    }

    /// The running update the platform should abort, if any, so that a
    /// Critical update can start: ask after each poll.
    ///
    /// `Some` when the Critical update at the head of the queue waits
    /// only for running updates, and aborting the one named (of lower
    /// priority) lets it start at the next poll. That is the update that
    /// runs alone (it needs a reboot, touches firmware or is exclusive),
    /// if one is running; else, if the Critical update must run alone,
    /// the one update running; else, if both are staged, the staged one
    /// running; else, if the concurrency limit is reached and the place
    /// beyond it that a Critical update may take ([`CRITICAL_BEYOND_LIMIT`])
    /// is taken too, the least urgent running update (one free place is
    /// enough). Never a Critical update, and never one of several running
    /// beside which a Critical update must run alone: aborting some of
    /// them could be in vain. The power gate is checked with the metrics
    /// of the last poll; nothing else holds a Critical update.
    ///
    /// A platform that can still abandon the update without harm (it is
    /// downloading or verifying, or installs into an inactive slot and
    /// has not begun to switch over to it) aborts it and calls
    /// [`UpdateScheduler::report_preempted`]. One that cannot (it is
    /// flashing firmware, installing in place or rebooting) lets it run,
    /// and the Critical update waits for it as it would without
    /// preemption. Asking changes nothing; the answer stands until the
    /// queue or the running updates change.
    pub fn preempt_request(&self) -> Option<UpdateId> {
        let (running, _) = self.preemption()?;
        self.index.id_at(running)
    }

    /// Reports that the platform aborted the running update `id` before
    /// it finished, leaving the machine as it was (normally because
    /// [`UpdateScheduler::preempt_request`] named it). The update goes
    /// back to the queue at once, without backoff, and the aborted
    /// attempt does not count: it starts again with the same attempt
    /// number. Its deadline stays settled by its first start, so a
    /// preemption never turns an on-time start into a miss (nor a late
    /// one into two). While the Critical update it made way for is live,
    /// `explain` says so ([`WaitReason::Preempted`](crate::scheduler::WaitReason::Preempted)). Poll again (at the
    /// same `now` if you like) to start the Critical update.
    ///
    /// An error, and nothing changes, if no live update has this id or
    /// it is not running.
    pub fn report_preempted(&mut self, id: UpdateId, now: Instant) -> Result<(), CommandError> {
        let slot = self.live_slot(id)?;
        let stored = self.slots[slot.index()];
        if stored.state() != UpdateState::Running {
            return Err(CommandError::NotRunning);
        }
        let by = self
            .preemption()
            .filter(|&(running, _)| running == slot)
            .map(|(_, critical)| critical);
        self.stop_running(slot);
        self.slots[slot.index()].set_attempts(stored.attempts().saturating_sub(1));
        self.enqueue(slot);
        self.forget_preemption(id);
        if let Some(by) = by {
            self.remember_preemption(Preemption { id, by });
        }
        self.events.push(now, Event::Preempted { id, by });
        self.lane_freed(now);
        Ok(())
    }

    /// The running update in `slot` stops running (it ended or was
    /// aborted); its state is changed by the caller.
    pub(super) fn stop_running(&mut self, slot: Slot) {
        self.running = self.running.saturating_sub(1);
        if self.alone == Some(slot) {
            self.alone = None;
        }
        if self.staged == Some(slot) {
            self.staged = None;
            self.phase_waiting = false;
        }
    }

    /// Whether `stored` runs alone from start to end: marked exclusive,
    /// or with a disruptive phase on a platform that does not stage.
    #[inline]
    pub(super) fn runs_alone_throughout(&self, stored: &Stored) -> bool {
        stored.exclusive() || (!self.staging && stored.has_disruptive_phase())
    }

    /// Whether `stored` is staged: it starts like any other update and
    /// runs alone only in its final, disruptive phase.
    #[inline]
    pub(super) fn stages(&self, stored: &Stored) -> bool {
        self.staging && !stored.exclusive() && stored.has_disruptive_phase()
    }

    /// The running update to abort and the Critical update it would make
    /// way for: see [`UpdateScheduler::preempt_request`].
    pub(super) fn preemption(&self) -> Option<(Slot, UpdateId)> {
        let (head, _) = self.ready.peek()?;
        let critical = &self.slots[head.index()];
        if critical.priority() != Priority::Critical || self.running == 0 {
            return None;
        }
        let running = match self.alone {
            // Nothing starts beside an update that runs alone, and it
            // started (or entered its exclusive phase) only when nothing
            // else ran: it is the one running.
            Some(alone) => alone,
            // The Critical update must run alone: only when one update is
            // left to stop, since aborting some of several could be in vain.
            None if self.runs_alone_throughout(critical) => {
                if self.running > 1 {
                    return None;
                }
                self.running_slots().next()?
            }
            // A Critical staged update waiting for its exclusive phase
            // holds the Critical one, and is never aborted.
            None if self.phase_waiting
                && self.staged.is_some_and(|staged| {
                    self.slots[staged.index()].priority() == Priority::Critical
                }) =>
            {
                return None
            }
            // Both are staged, one at a time: aborting the running one
            // frees a place too.
            None if self.stages(critical) && self.staged.is_some() => self.staged?,
            // At the limit, with the extra place a Critical update has
            // taken as well.
            None if self.running >= self.concurrency_limit(Priority::Critical) => {
                self.least_urgent_running()?
            }
            None => return None,
        };
        if self.slots[running.index()].priority() == Priority::Critical {
            return None;
        }
        self.config
            .power
            .check(self.metrics.power, Priority::Critical, critical.kind())
            .ok()?;
        Some((running, self.index.id_at(head)?))
    }

    /// How many updates may be running for one of `priority` to start:
    /// the concurrency limit, and one place beyond it for a Critical
    /// update ([`CRITICAL_BEYOND_LIMIT`]).
    #[inline]
    pub(super) fn concurrency_limit(&self, priority: Priority) -> u8 {
        if matches!(priority, Priority::Critical) {
            self.config
                .max_concurrent
                .saturating_add(CRITICAL_BEYOND_LIMIT)
        } else {
            self.config.max_concurrent
        }
    }

    /// The running update of the lowest priority.
    fn least_urgent_running(&self) -> Option<Slot> {
        self.running_slots()
            .max_by_key(|slot| self.slots[slot.index()].priority().index())
    }

    /// The slots of the running updates.
    fn running_slots(&self) -> impl Iterator<Item = Slot> + '_ {
        self.index
            .iter()
            .map(|(_, slot)| slot)
            .filter(|slot| self.slots[slot.index()].state() == UpdateState::Running)
    }

    /// `id` started or finished: a preemption no longer explains why it
    /// waits.
    #[inline]
    pub(super) fn forget_preemption(&mut self, id: UpdateId) {
        if !self.preemptions.is_empty() {
            self.preemptions.retain(|preemption| preemption.id != id);
        }
    }

    /// Whether `preemption` still explains why its update waits: the
    /// update is queued and the Critical update it made way for is live.
    pub(super) fn preemption_explains(&self, preemption: &Preemption) -> bool {
        self.index.find(preemption.by).is_some()
            && self
                .index
                .find(preemption.id)
                .is_some_and(|slot| self.slots[slot.index()].state() == UpdateState::Ready)
    }

    /// Remembers `preemption` for `explain`, dropping those that no
    /// longer explain anything (and, were the table still full, the
    /// oldest: `explain` would then give the update's other reason).
    fn remember_preemption(&mut self, preemption: Preemption) {
        let mut index = 0;
        while index < self.preemptions.len() {
            if self.preemption_explains(&self.preemptions[index]) {
                index += 1;
            } else {
                self.preemptions.remove(index);
            }
        }
        if self.preemptions.is_full() {
            self.preemptions.remove(0);
        }
        let _ = self.preemptions.push(preemption);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::{Metrics, PowerSource};
    use crate::scheduler::testing::*;
    use crate::scheduler::types::WaitReason;
    use crate::time::Duration;
    use crate::update::{UpdateFlags, UpdateKind};

    #[test]
    fn test_concurrency_limit_and_exclusive_updates() {
        let mut scheduler = scheduler(unattended());
        for id in 1..=3 {
            scheduler
                .submit(&record(id, Priority::Important, 0), Instant::ZERO)
                .unwrap();
        }
        let mut reboot = record(4, Priority::Important, 0);
        reboot.flags = UpdateFlags::NEEDS_REBOOT;
        scheduler.submit(&reboot, Instant::ZERO).unwrap();
        assert_eq!(started_ids(&poll_at(&mut scheduler, 120)), [1, 2]);
        let (now, wall) = at(121);
        let why = scheduler.explain(UpdateId(3), now, wall).unwrap();
        assert_eq!(why.reason, WaitReason::Concurrency { running: 2, max: 2 });
        scheduler.report_outcome(UpdateId(1), Ok(()), now).unwrap();
        scheduler.report_outcome(UpdateId(2), Ok(()), now).unwrap();
        assert_eq!(started_ids(&poll_at(&mut scheduler, 121)), [3]);
        // The reboot is next in line and waits for #3 alone.
        assert!(poll_at(&mut scheduler, 122).is_empty());
        let (now, _) = at(123);
        scheduler.report_outcome(UpdateId(3), Ok(()), now).unwrap();
        assert_eq!(started_ids(&poll_at(&mut scheduler, 123)), [4]);
        scheduler
            .submit(&record(5, Priority::Critical, 123), now)
            .unwrap();
        assert!(
            poll_at(&mut scheduler, 124).is_empty(),
            "nothing runs beside a reboot"
        );
    }

    /// A running update that needs a reboot (#1, Important, started at the
    /// window's opening) and a Critical update (#2) that arrived five
    /// minutes later and waits for it.
    fn reboot_running_critical_waiting() -> UpdateScheduler<64> {
        let mut scheduler = scheduler(unattended());
        let mut reboot = reboot_record(1, Priority::Important, 0);
        reboot.estimated_duration = Duration::from_minutes(60);
        started_at_120(&mut scheduler, &[reboot], &[1]);
        assert_eq!(scheduler.preempt_request(), None);
        arrive(&mut scheduler, &record(2, Priority::Critical, 125));
        assert!(poll_at(&mut scheduler, 125).is_empty());
        while scheduler.pop_event().is_some() {}
        scheduler
    }

    #[test]
    fn test_running_reboot_critical_arrives_preemption_requested() {
        let scheduler = reboot_running_critical_waiting();
        assert_eq!(scheduler.preempt_request(), Some(UpdateId(1)));
        // Asking changes nothing.
        assert_eq!(scheduler.preempt_request(), Some(UpdateId(1)));
        assert_eq!(scheduler.state_of(UpdateId(1)), Some(UpdateState::Running));
        assert_eq!(scheduler.running(), 1);
    }

    #[test]
    fn test_running_reboot_preempted_requeues_and_critical_starts() {
        let mut scheduler = reboot_running_critical_waiting();
        let (now, wall) = at(125);
        assert_eq!(scheduler.report_preempted(UpdateId(1), now), Ok(()));
        let info = scheduler.get(UpdateId(1)).unwrap();
        assert_eq!(info.state, UpdateState::Ready);
        assert_eq!(info.attempts, 0, "the aborted attempt is not spent");
        assert_eq!(info.wake_at, None, "no backoff");
        assert_eq!(scheduler.running(), 0);
        assert_eq!(scheduler.preempt_request(), None);
        let status = scheduler.status();
        assert_eq!(status.count(UpdateState::Running), 0);
        assert_eq!(status.count(UpdateState::Ready), 2);
        assert_counts_add_up(&scheduler);
        assert_eq!(
            scheduler.pop_event().map(|event| event.event),
            Some(Event::Preempted {
                id: UpdateId(1),
                by: Some(UpdateId(2))
            })
        );
        // The Critical update starts at the next poll, the same minute.
        assert_eq!(started_ids(&scheduler.poll(now, wall, &Metrics::IDLE)), [2]);
        let why = scheduler.explain(UpdateId(1), now, wall).unwrap();
        assert_eq!(why.reason, WaitReason::Preempted(UpdateId(2)));
        assert_eq!(
            why.to_string(),
            "#1 pkg (important, ready): preempted for critical update #2; deadline in 6d21h"
        );
        // Once the Critical update is done, the aborted one starts over
        // with the attempt it lost, and nothing was late.
        let (later, wall) = at(135);
        scheduler
            .report_outcome(UpdateId(2), Ok(()), later)
            .unwrap();
        let why = scheduler.explain(UpdateId(1), later, wall).unwrap();
        assert_eq!(why.reason, WaitReason::StartsNextPoll);
        let starts = scheduler.poll(later, wall, &Metrics::IDLE);
        assert_eq!(started_ids(&starts), [1]);
        assert_eq!(starts[0].attempt, 1);
        assert_eq!(scheduler.status().total_deadline_misses(), 0);
        assert_counts_add_up(&scheduler);
    }

    #[test]
    fn test_running_reboot_preempted_after_deadline_is_no_miss() {
        let mut scheduler = scheduler(unattended());
        let security = reboot_record(1, Priority::Security, 0);
        started_at_120(&mut scheduler, &[security], &[1]);
        let (now, _) = at(125);
        arrive(&mut scheduler, &record(2, Priority::Critical, 125));
        assert!(poll_at(&mut scheduler, 125).is_empty());
        assert_eq!(scheduler.preempt_request(), Some(UpdateId(1)));
        scheduler.report_preempted(UpdateId(1), now).unwrap();
        assert_eq!(started_ids(&poll_at(&mut scheduler, 125)), [2]);
        // The Critical update runs past #1's deadline; #1 started on
        // time, so its restart is no miss, wherever it falls.
        let deadline = 24 * 60;
        assert!(poll_at(&mut scheduler, deadline + 5).is_empty());
        let (now, _) = at(deadline + 5);
        scheduler.report_outcome(UpdateId(2), Ok(()), now).unwrap();
        let starts = poll_at(&mut scheduler, 7 * 24 * 60 + 120);
        assert_eq!(started_ids(&starts), [1]);
        assert_eq!(starts[0].attempt, 1);
        assert_eq!(scheduler.status().total_deadline_misses(), 0);
    }

    #[test]
    fn test_running_critical_reboot_critical_arrives_no_preemption() {
        let mut scheduler = scheduler(unattended());
        arrive(&mut scheduler, &reboot_record(1, Priority::Critical, 0));
        assert_eq!(started_ids(&poll_at(&mut scheduler, 0)), [1]);
        arrive(&mut scheduler, &record(2, Priority::Critical, 1));
        assert!(poll_at(&mut scheduler, 1).is_empty());
        assert_eq!(scheduler.preempt_request(), None);
    }

    #[test]
    fn test_running_reboot_firmware_critical_on_battery_no_preemption() {
        let mut scheduler = reboot_running_critical_waiting();
        let (now, wall) = at(126);
        let mut firmware = record(3, Priority::Critical, 126);
        firmware.kind = UpdateKind::Firmware;
        scheduler.cancel(UpdateId(2), now).unwrap();
        scheduler.submit(&firmware, now).unwrap();
        let battery = Metrics {
            power: PowerSource::Battery {
                level_permille: 900,
            },
            ..Metrics::IDLE
        };
        assert!(scheduler.poll(now, wall, &battery).is_empty());
        assert_eq!(
            scheduler.preempt_request(),
            None,
            "it could not start anyway"
        );
        assert!(scheduler.poll(now, wall, &Metrics::IDLE).is_empty());
        assert_eq!(scheduler.preempt_request(), Some(UpdateId(1)));
    }

    /// The basic profile (two at a time) with #1, Important, and #2, Low,
    /// both running from the window's opening: the limit is reached.
    fn concurrency_limit_reached() -> UpdateScheduler<64> {
        let mut scheduler = scheduler(unattended());
        let running = [
            record(1, Priority::Important, 0),
            record(2, Priority::Low, 0),
        ];
        started_at_120(&mut scheduler, &running, &[1, 2]);
        while scheduler.pop_event().is_some() {}
        scheduler
    }

    #[test]
    fn test_concurrency_limit_reached_critical_arrives_starts_beyond_it() {
        let mut scheduler = concurrency_limit_reached();
        let (now, wall) = at(121);
        arrive(&mut scheduler, &record(3, Priority::Critical, 121));
        arrive(&mut scheduler, &record(4, Priority::Security, 121));
        // The Critical update takes the place beyond the limit; nothing
        // needs to be aborted for it.
        assert_eq!(started_ids(&scheduler.poll(now, wall, &Metrics::IDLE)), [3]);
        assert_eq!(scheduler.running(), 3);
        assert_eq!(scheduler.preempt_request(), None);
        assert_eq!(scheduler.status().count(UpdateState::Running), 3);
        assert_eq!(scheduler.status().total_deadline_misses(), 0);
        assert_counts_add_up(&scheduler);
        // Nothing else goes past the limit.
        let why = scheduler.explain(UpdateId(4), now, wall).unwrap();
        assert_eq!(why.reason, WaitReason::Concurrency { running: 3, max: 2 });
        assert_eq!(
            why.reason.to_string(),
            "3 updates running, a critical one beyond the limit of 2"
        );
        // Back at the limit, with the Critical update among the running:
        // still no place for the Security update.
        scheduler.report_outcome(UpdateId(1), Ok(()), now).unwrap();
        assert!(scheduler.poll(now, wall, &Metrics::IDLE).is_empty());
        let why = scheduler.explain(UpdateId(4), now, wall).unwrap();
        assert_eq!(why.reason, WaitReason::Concurrency { running: 2, max: 2 });
        scheduler.report_outcome(UpdateId(3), Ok(()), now).unwrap();
        assert_eq!(started_ids(&scheduler.poll(now, wall, &Metrics::IDLE)), [4]);
        assert_eq!(scheduler.running(), 2);
        assert_counts_add_up(&scheduler);
    }

    #[test]
    fn test_concurrency_place_beyond_limit_taken_second_critical_preempts_least_urgent() {
        let mut scheduler = concurrency_limit_reached();
        let (now, wall) = at(121);
        arrive(&mut scheduler, &record(3, Priority::Critical, 121));
        assert_eq!(started_ids(&scheduler.poll(now, wall, &Metrics::IDLE)), [3]);
        // One place beyond the limit, not one per Critical update.
        arrive(&mut scheduler, &record(5, Priority::Critical, 121));
        assert!(scheduler.poll(now, wall, &Metrics::IDLE).is_empty());
        let why = scheduler.explain(UpdateId(5), now, wall).unwrap();
        assert_eq!(why.reason, WaitReason::Concurrency { running: 3, max: 3 });
        assert_eq!(scheduler.preempt_request(), Some(UpdateId(2)));
        scheduler.report_preempted(UpdateId(2), now).unwrap();
        assert_eq!(started_ids(&scheduler.poll(now, wall, &Metrics::IDLE)), [5]);
        assert_eq!(scheduler.running(), 3);
        let why = scheduler.explain(UpdateId(2), now, wall).unwrap();
        assert_eq!(why.reason, WaitReason::Preempted(UpdateId(5)));
        // Both running updates of lower priority gone, two Critical ones
        // run; a third waits, and no Critical update is ever named.
        scheduler.report_outcome(UpdateId(1), Ok(()), now).unwrap();
        arrive(&mut scheduler, &record(6, Priority::Critical, 121));
        assert_eq!(started_ids(&scheduler.poll(now, wall, &Metrics::IDLE)), [6]);
        arrive(&mut scheduler, &record(7, Priority::Critical, 121));
        assert!(scheduler.poll(now, wall, &Metrics::IDLE).is_empty());
        assert_eq!(scheduler.running(), 3);
        assert_eq!(scheduler.preempt_request(), None);
        assert_counts_add_up(&scheduler);
    }

    #[test]
    fn test_concurrency_limit_reached_critical_that_runs_alone_waits() {
        let mut scheduler = concurrency_limit_reached();
        let (now, wall) = at(121);
        // Unstaged, a reboot runs alone from start to end: the place
        // beyond the limit is no use to it.
        arrive(&mut scheduler, &reboot_record(3, Priority::Critical, 121));
        assert!(scheduler.poll(now, wall, &Metrics::IDLE).is_empty());
        let why = scheduler.explain(UpdateId(3), now, wall).unwrap();
        assert_eq!(why.reason, WaitReason::WaitingToRunAlone);
        assert_eq!(scheduler.preempt_request(), None, "two would have to go");
        assert_eq!(scheduler.running(), 2);
        scheduler.cancel(UpdateId(3), now).unwrap();
        // Marked exclusive, staged or not: the same.
        let mut exclusive = record(4, Priority::Critical, 121);
        exclusive.flags = UpdateFlags::EXCLUSIVE;
        scheduler.submit(&exclusive, now).unwrap();
        assert!(scheduler.poll(now, wall, &Metrics::IDLE).is_empty());
        scheduler.report_outcome(UpdateId(1), Ok(()), now).unwrap();
        assert!(scheduler.poll(now, wall, &Metrics::IDLE).is_empty());
        assert_eq!(scheduler.preempt_request(), Some(UpdateId(2)));
        scheduler.report_preempted(UpdateId(2), now).unwrap();
        assert_eq!(started_ids(&scheduler.poll(now, wall, &Metrics::IDLE)), [4]);
        assert_eq!(scheduler.running(), 1);
        assert_counts_add_up(&scheduler);
    }

    /// A staging scheduler with `max_concurrent` places, #1 (Optional)
    /// running since the window's opening, and #2, a Critical kernel
    /// update that needs a reboot, arrived at minute 121 and not yet
    /// polled for.
    fn optional_running_critical_kernel_arrives(max_concurrent: u8) -> UpdateScheduler<64> {
        let mut scheduler = staged_scheduler(max_concurrent);
        started_at_120(&mut scheduler, &[record(1, Priority::Optional, 0)], &[1]);
        arrive(&mut scheduler, &kernel_record(2, Priority::Critical, 121));
        scheduler
    }

    /// Checks that the staged update `staged` asks for its exclusive phase
    /// in vain while `other` runs beside it, and is granted it as soon as
    /// `other` is reported done at `now`.
    #[track_caller]
    fn assert_phase_waits_for(
        scheduler: &mut UpdateScheduler<64>,
        staged: u32,
        other: u32,
        now: Instant,
    ) {
        assert_eq!(
            scheduler.request_exclusive_phase(UpdateId(staged), now),
            Ok(PhaseGrant::Wait)
        );
        scheduler
            .report_outcome(UpdateId(other), Ok(()), now)
            .unwrap();
        assert_eq!(
            scheduler.request_exclusive_phase(UpdateId(staged), now),
            Ok(PhaseGrant::Enter)
        );
    }

    #[test]
    fn test_staged_critical_reboot_at_limit_starts_beyond_it_only_its_reboot_waits() {
        // The desktop profile: one at a time.
        let mut scheduler = optional_running_critical_kernel_arrives(1);
        let (now, wall) = at(121);
        arrive(&mut scheduler, &record(3, Priority::Important, 121));
        assert_eq!(started_ids(&scheduler.poll(now, wall, &Metrics::IDLE)), [2]);
        assert_eq!(scheduler.running(), 2);
        assert_eq!(scheduler.preempt_request(), None);
        assert_phase_waits_for(&mut scheduler, 2, 1, now);
        // Nothing starts beside the reboot, Critical or not.
        arrive(&mut scheduler, &record(4, Priority::Critical, 121));
        assert!(scheduler.poll(now, wall, &Metrics::IDLE).is_empty());
        scheduler.report_outcome(UpdateId(2), Ok(()), now).unwrap();
        assert_eq!(started_ids(&scheduler.poll(now, wall, &Metrics::IDLE)), [4]);
        assert_eq!(scheduler.status().total_deadline_misses(), 0);
        assert_counts_add_up(&scheduler);
    }

    #[test]
    fn test_concurrency_place_free_critical_arrives_no_preemption() {
        let mut scheduler = scheduler(unattended());
        started_at_120(&mut scheduler, &[record(1, Priority::Important, 0)], &[1]);
        let (now, wall) = at(121);
        arrive(&mut scheduler, &record(2, Priority::Critical, 121));
        assert_eq!(
            scheduler.preempt_request(),
            None,
            "not polled yet: ready, not blocked"
        );
        assert_eq!(started_ids(&scheduler.poll(now, wall, &Metrics::IDLE)), [2]);
        assert_eq!(scheduler.preempt_request(), None);
    }

    #[test]
    fn test_running_updates_critical_reboot_arrives_preempts_only_a_single_one() {
        let mut scheduler = scheduler(unattended());
        let running = [
            record(1, Priority::Important, 0),
            record(2, Priority::Optional, 0),
        ];
        started_at_120(&mut scheduler, &running, &[1, 2]);
        let (now, wall) = at(121);
        arrive(&mut scheduler, &reboot_record(3, Priority::Critical, 121));
        assert!(scheduler.poll(now, wall, &Metrics::IDLE).is_empty());
        // It must run alone: aborting one of two would be in vain.
        assert_eq!(scheduler.preempt_request(), None);
        scheduler.report_outcome(UpdateId(1), Ok(()), now).unwrap();
        assert!(scheduler.poll(now, wall, &Metrics::IDLE).is_empty());
        assert_eq!(scheduler.preempt_request(), Some(UpdateId(2)));
        scheduler.report_preempted(UpdateId(2), now).unwrap();
        assert_eq!(started_ids(&scheduler.poll(now, wall, &Metrics::IDLE)), [3]);
        assert_counts_add_up(&scheduler);
    }

    #[test]
    fn test_running_update_aborted_unasked_requeues_without_naming_a_critical() {
        let mut scheduler = scheduler(unattended());
        started_at_120(&mut scheduler, &[record(1, Priority::Important, 0)], &[1]);
        while scheduler.pop_event().is_some() {}
        let (now, wall) = at(121);
        assert_eq!(scheduler.preempt_request(), None);
        scheduler.report_preempted(UpdateId(1), now).unwrap();
        assert_eq!(
            scheduler.pop_event().map(|event| event.event),
            Some(Event::Preempted {
                id: UpdateId(1),
                by: None
            })
        );
        let why = scheduler.explain(UpdateId(1), now, wall).unwrap();
        assert_eq!(why.reason, WaitReason::StartsNextPoll);
        let starts = scheduler.poll(now, wall, &Metrics::IDLE);
        assert_eq!(started_ids(&starts), [1]);
        assert_eq!(starts[0].attempt, 1);
    }

    #[test]
    fn test_report_preempted_unknown_queued_or_finished_is_an_error() {
        let mut scheduler = reboot_running_critical_waiting();
        let (now, _) = at(125);
        let before = scheduler.status();
        assert_eq!(
            scheduler.report_preempted(UpdateId(99), now),
            Err(CommandError::UnknownId)
        );
        assert_eq!(
            scheduler.report_preempted(UpdateId(2), now),
            Err(CommandError::NotRunning)
        );
        assert_eq!(scheduler.status(), before);
        assert_eq!(scheduler.pop_event(), None);
        assert_eq!(scheduler.preempt_request(), Some(UpdateId(1)));
        scheduler.report_outcome(UpdateId(1), Ok(()), now).unwrap();
        assert_eq!(
            scheduler.report_preempted(UpdateId(1), now),
            Err(CommandError::Finished(UpdateState::Completed))
        );
        assert_counts_add_up(&scheduler);
    }

    /// A staging platform (basic profile: two at a time) with #1, an
    /// Important application, and #2, an Important kernel update that
    /// needs a reboot, both started at the window's opening.
    fn staged_reboot_beside_application() -> UpdateScheduler<64> {
        let mut scheduler = staged_scheduler(2);
        let mut kernel = kernel_record(2, Priority::Important, 0);
        kernel.estimated_duration = Duration::from_minutes(40);
        let application = record(1, Priority::Important, 0);
        started_at_120(&mut scheduler, &[application, kernel], &[1, 2]);
        while scheduler.pop_event().is_some() {}
        scheduler
    }

    #[test]
    fn test_staged_reboot_starts_beside_a_running_update() {
        let scheduler = staged_reboot_beside_application();
        assert_eq!(scheduler.running(), 2);
        assert!(scheduler.staged_updates());
    }

    #[test]
    fn test_staged_phase_requested_while_others_run_waits_and_holds_starts() {
        let mut scheduler = staged_reboot_beside_application();
        arrive(&mut scheduler, &record(3, Priority::Important, 121));
        let (now, wall) = at(125);
        assert_eq!(
            scheduler.request_exclusive_phase(UpdateId(2), now),
            Ok(PhaseGrant::Wait)
        );
        scheduler.report_outcome(UpdateId(1), Ok(()), now).unwrap();
        // A place is free, but the waiting reboot holds every new start.
        assert!(scheduler.poll(now, wall, &Metrics::IDLE).is_empty());
        let why = scheduler.explain(UpdateId(3), now, wall).unwrap();
        assert_eq!(why.reason, WaitReason::ExclusivePhasePending(UpdateId(2)));
        assert_eq!(
            why.to_string(),
            "#3 pkg (important, ready): #2 waits to reboot or flash alone: nothing new starts before it; deadline in 6d23h"
        );
        let why = scheduler.explain(UpdateId(2), now, wall).unwrap();
        assert_eq!(why.reason, WaitReason::WaitingToRunAlone);
        while scheduler.pop_event().is_some() {}
        assert_eq!(
            scheduler.request_exclusive_phase(UpdateId(2), now),
            Ok(PhaseGrant::Enter)
        );
        assert_eq!(
            scheduler.pop_event().map(|event| event.event),
            Some(Event::ExclusivePhase { id: UpdateId(2) })
        );
        assert!(scheduler.poll(now, wall, &Metrics::IDLE).is_empty());
        let why = scheduler.explain(UpdateId(3), now, wall).unwrap();
        assert_eq!(why.reason, WaitReason::SomethingRunsAlone);
        let (later, _) = at(130);
        scheduler
            .report_outcome(UpdateId(2), Ok(()), later)
            .unwrap();
        assert_eq!(started_ids(&poll_at(&mut scheduler, 130)), [3]);
        assert_counts_add_up(&scheduler);
    }

    #[test]
    fn test_staged_phase_requested_alone_is_granted_and_nothing_starts_beside() {
        let mut scheduler = staged_reboot_beside_application();
        let (now, wall) = at(125);
        scheduler.report_outcome(UpdateId(1), Ok(()), now).unwrap();
        assert_eq!(
            scheduler.request_exclusive_phase(UpdateId(2), now),
            Ok(PhaseGrant::Enter)
        );
        // Asking again in the phase changes nothing.
        assert_eq!(
            scheduler.request_exclusive_phase(UpdateId(2), now),
            Ok(PhaseGrant::Enter)
        );
        arrive(&mut scheduler, &record(3, Priority::Critical, 125));
        assert!(scheduler.poll(now, wall, &Metrics::IDLE).is_empty());
        // Named, but rebooting: the platform refuses and the Critical
        // update waits for the reboot.
        assert_eq!(scheduler.preempt_request(), Some(UpdateId(2)));
    }

    #[test]
    fn test_staged_critical_reboot_starts_at_once_only_its_reboot_waits() {
        let mut scheduler = optional_running_critical_kernel_arrives(2);
        let (now, wall) = at(121);
        assert_eq!(started_ids(&scheduler.poll(now, wall, &Metrics::IDLE)), [2]);
        assert_eq!(scheduler.preempt_request(), None);
        let (now, _) = at(129);
        assert_phase_waits_for(&mut scheduler, 2, 1, now);
        assert_eq!(scheduler.status().total_deadline_misses(), 0);
    }

    #[test]
    fn test_staged_waiting_reboot_lets_critical_pass_and_second_staged_preempts_it() {
        let mut scheduler = staged_reboot_beside_application();
        let (now, wall) = at(125);
        assert_eq!(
            scheduler.request_exclusive_phase(UpdateId(2), now),
            Ok(PhaseGrant::Wait)
        );
        scheduler.report_outcome(UpdateId(1), Ok(()), now).unwrap();
        // A Critical update passes a waiting reboot of lower priority.
        arrive(&mut scheduler, &record(3, Priority::Critical, 125));
        assert_eq!(started_ids(&scheduler.poll(now, wall, &Metrics::IDLE)), [3]);
        scheduler.report_outcome(UpdateId(3), Ok(()), now).unwrap();
        // A Critical firmware update is staged too: one at a time, so the
        // waiting kernel update (still staged, abandonable) is named.
        let mut firmware = record(4, Priority::Critical, 125);
        firmware.kind = UpdateKind::Firmware;
        scheduler.submit(&firmware, now).unwrap();
        assert!(scheduler.poll(now, wall, &Metrics::IDLE).is_empty());
        let why = scheduler.explain(UpdateId(4), now, wall).unwrap();
        assert_eq!(why.reason, WaitReason::StagingBusy(UpdateId(2)));
        assert_eq!(scheduler.preempt_request(), Some(UpdateId(2)));
        scheduler.report_preempted(UpdateId(2), now).unwrap();
        assert_eq!(started_ids(&scheduler.poll(now, wall, &Metrics::IDLE)), [4]);
        assert_eq!(
            scheduler.request_exclusive_phase(UpdateId(4), now),
            Ok(PhaseGrant::Enter)
        );
        assert_counts_add_up(&scheduler);
    }

    #[test]
    fn test_staged_critical_waiting_for_its_phase_holds_critical_and_is_not_preempted() {
        let mut scheduler = staged_scheduler(3);
        started_at_120(&mut scheduler, &[record(1, Priority::Low, 0)], &[1]);
        let (now, wall) = at(121);
        arrive(&mut scheduler, &reboot_record(2, Priority::Critical, 121));
        assert_eq!(started_ids(&scheduler.poll(now, wall, &Metrics::IDLE)), [2]);
        assert_eq!(
            scheduler.request_exclusive_phase(UpdateId(2), now),
            Ok(PhaseGrant::Wait)
        );
        arrive(&mut scheduler, &record(3, Priority::Critical, 121));
        assert!(scheduler.poll(now, wall, &Metrics::IDLE).is_empty());
        assert_eq!(
            scheduler.explain(UpdateId(3), now, wall).unwrap().reason,
            WaitReason::ExclusivePhasePending(UpdateId(2))
        );
        assert_eq!(scheduler.preempt_request(), None);
    }

    #[test]
    fn test_request_exclusive_phase_unknown_queued_or_without_phase_is_an_error() {
        let mut scheduler = staged_reboot_beside_application();
        let (now, _) = at(125);
        arrive(&mut scheduler, &record(3, Priority::Optional, 125));
        while scheduler.pop_event().is_some() {}
        let before = scheduler.status();
        assert_eq!(
            scheduler.request_exclusive_phase(UpdateId(99), now),
            Err(CommandError::UnknownId)
        );
        assert_eq!(
            scheduler.request_exclusive_phase(UpdateId(3), now),
            Err(CommandError::NotRunning)
        );
        assert_eq!(
            scheduler.request_exclusive_phase(UpdateId(1), now),
            Err(CommandError::NoExclusivePhase)
        );
        assert_eq!(scheduler.status(), before);
        assert_eq!(scheduler.pop_event(), None);
        assert_eq!(
            scheduler.set_staged_updates(false),
            Err(CommandError::Running)
        );
        assert!(scheduler.staged_updates());
    }

    #[test]
    fn test_unstaged_reboot_runs_alone_and_its_phase_is_granted() {
        let mut scheduler = scheduler(unattended());
        let updates = [
            reboot_record(1, Priority::Important, 0),
            record(2, Priority::Important, 0),
        ];
        started_at_120(&mut scheduler, &updates, &[1]);
        assert!(poll_at(&mut scheduler, 121).is_empty());
        let (now, _) = at(125);
        assert_eq!(
            scheduler.request_exclusive_phase(UpdateId(1), now),
            Ok(PhaseGrant::Enter)
        );
        assert_eq!(scheduler.status().count(UpdateState::Running), 1);
    }
}
