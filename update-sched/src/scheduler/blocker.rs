//! What keeps a queued update from starting now: running alone, the
//! concurrency limit, the staged update, the gates, the frequency policy, the
//! plan, the windows and the room the latest starts leave.

use super::latest_starts::Room;
use super::record::{marks, Stored};
use super::types::WaitReason;
use super::window_cache::WindowState;
use super::UpdateScheduler;
use crate::civil::WallTime;
use crate::gate::GateWait;
use crate::pattern::PlannedStart;
use crate::policy::FrequencyPolicy;
use crate::queue::Slot;
use crate::time::Duration;
use crate::update::{Priority, UpdateId};

impl<const N: usize> UpdateScheduler<N> {
    /// What keeps the queued update in `slot` from starting now, if
    /// anything. The questions come in order of precedence: what runs,
    /// the power gate (which holds even Critical updates), the external
    /// gate, emergency maintenance, a pause or a freeze period, then, for
    /// an update not forced,
    /// the release rules, the machine's state and the room the latest
    /// starts leave.
    pub(super) fn blocker(
        &self,
        slot: Slot,
        window: &WindowState,
        plan: Option<&PlannedStart>,
        wall: WallTime,
        now_s: u32,
        room: &Room,
    ) -> Option<WaitReason> {
        let stored = &self.slots[slot.index()];
        let priority = stored.priority();
        if let Some(reason) = self.running_blocker(stored) {
            return Some(reason);
        }
        if let Err(wait) = self
            .config
            .power
            .check(self.metrics.power, priority, stored.kind())
        {
            return Some(WaitReason::Gate(wait));
        }
        if priority == Priority::Critical {
            return None;
        }
        if let Some(reason) = self.external_gate {
            return Some(WaitReason::Gate(GateWait::External(reason)));
        }
        if self.emergency {
            return self.emergency_blocker(stored);
        }
        if let Some(reason) = self.hold_blocker(stored, wall) {
            return Some(reason);
        }
        if stored.has(marks::FORCED) {
            return None;
        }
        if let Some(reason) = self.release_blocker(stored, window, plan, wall) {
            return Some(reason);
        }
        if let Some(reason) = self.machine_blocker(stored) {
            return Some(reason);
        }
        if self.room_lane(slot, now_s, room).is_none() {
            return Some(WaitReason::NoRoomBeforeLatestStarts);
        }
        None
    }

    /// What the running updates hold `stored` for: one runs alone, the
    /// concurrency limit is reached, `stored` must run alone and others
    /// run, or the staged update waits for its exclusive phase (or, for
    /// another staged update, runs at all).
    #[inline]
    fn running_blocker(&self, stored: &Stored) -> Option<WaitReason> {
        let priority = stored.priority();
        if self.alone.is_some() {
            return Some(WaitReason::SomethingRunsAlone);
        }
        let limit = self.concurrency_limit(priority);
        if self.running >= limit {
            return Some(WaitReason::Concurrency {
                running: self.running,
                max: limit,
            });
        }
        if self.runs_alone_throughout(stored) && self.running > 0 {
            return Some(WaitReason::WaitingToRunAlone);
        }
        if let Some(staged) = self.staged {
            let staged_id = self.index.id_at(staged).unwrap_or(UpdateId(0));
            // A waiting reboot holds every start but a Critical one of
            // higher priority than itself: no starvation, since what runs
            // beside it only ends.
            let critical_passes = priority == Priority::Critical
                && self.slots[staged.index()].priority() != Priority::Critical;
            if self.phase_waiting && !critical_passes {
                return Some(WaitReason::ExclusivePhasePending(staged_id));
            }
            if self.stages(stored) {
                return Some(WaitReason::StagingBusy(staged_id));
            }
        }
        None
    }

    /// During emergency maintenance: only Security updates start (Critical
    /// ones were let through before), and those not forced only while the
    /// resource gates are open.
    #[inline]
    fn emergency_blocker(&self, stored: &Stored) -> Option<WaitReason> {
        if stored.priority() != Priority::Security {
            return Some(WaitReason::Emergency);
        }
        self.config
            .resources
            .check(&self.metrics)
            .err()
            .filter(|_| !stored.has(marks::FORCED))
            .map(WaitReason::Gate)
    }

    /// What the release rules hold `stored` (not forced) for: a manual
    /// release, its planned slot, the windows, the frequency policy, or a
    /// window too short for it.
    #[inline]
    fn release_blocker(
        &self,
        stored: &Stored,
        window: &WindowState,
        plan: Option<&PlannedStart>,
        wall: WallTime,
    ) -> Option<WaitReason> {
        // `matches!` rather than `==`: the derived comparison is a call
        // that the kernel's build does not inline.
        if matches!(self.config.frequency, FrequencyPolicy::Manual) && !stored.has(marks::APPROVED)
        {
            return Some(WaitReason::ManualRelease);
        }
        let adaptive = matches!(self.config.frequency, FrequencyPolicy::Adaptive);
        if let Some(planned) = plan.filter(|planned| adaptive && planned.start > wall) {
            return Some(WaitReason::PlannedSlot {
                at: planned.start,
                offset: self.config.windows.offset_at(planned.start),
                activity_permille: planned.activity_permille,
                fallback: planned.fallback,
            });
        }
        if self.config.windows.is_empty() {
            // Adaptive and manual policies may run without windows; the
            // others always have some (validated).
            if !matches!(
                self.config.frequency,
                FrequencyPolicy::Adaptive | FrequencyPolicy::Manual
            ) {
                return Some(WaitReason::NoWindows);
            }
            return None;
        }
        if !window.open {
            return Some(WaitReason::WindowClosed);
        }
        if !window.released {
            return Some(WaitReason::NotReleasedToday(self.config.frequency));
        }
        if let Some(left) = window.closes_in {
            let needs = u64::from(stored.estimated_s);
            let longest = u64::from(self.longest_opening_minutes) * 60;
            if needs > left && needs <= longest {
                return Some(WaitReason::DoesNotFit {
                    needs: Duration::from_secs(needs),
                    left: Duration::from_secs(left),
                });
            }
        }
        None
    }

    /// What the machine's state holds `stored` (not forced) for: the
    /// resource gates, and the idle gate under the Adaptive policy or for
    /// a Low update.
    #[inline]
    fn machine_blocker(&self, stored: &Stored) -> Option<WaitReason> {
        if let Err(wait) = self.config.resources.check(&self.metrics) {
            return Some(WaitReason::Gate(wait));
        }
        if matches!(self.config.frequency, FrequencyPolicy::Adaptive) {
            // The plan is a forecast; the present wins: never start while
            // the machine is in use, whatever the pattern predicted.
            if let Err(wait) = self.config.idle.check(&self.metrics) {
                return Some(WaitReason::Gate(wait));
            }
        }
        if stored.priority() == Priority::Low {
            if let Err(wait) = self.config.idle.check(&self.metrics) {
                return Some(WaitReason::NotIdle(wait));
            }
        }
        None
    }

    /// The lane an update that is not forced may take at `now_s`: one
    /// free of what runs, and of every latest start until its estimated
    /// end (all lanes, if it needs every lane). `Some(0)` while no update
    /// with a deadline waits.
    #[inline]
    pub(super) fn room_lane(&self, slot: Slot, now_s: u32, room: &Room) -> Option<usize> {
        if self.earliest_deadline_s == u32::MAX {
            return Some(0);
        }
        let stored = &self.slots[slot.index()];
        let alone = self.runs_alone_throughout(stored) || self.stages(stored);
        room.lane_for(slot, now_s, u32::from(stored.estimated_s), alone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::Metrics;
    use crate::scheduler::testing::*;
    use crate::time::Instant;

    #[test]
    fn test_critical_starts_at_first_poll_outside_window() {
        let mut scheduler = scheduler(unattended());
        scheduler
            .submit(&record(1, Priority::Critical, 0), Instant::ZERO)
            .unwrap();
        let starts = poll_at(&mut scheduler, 0);
        assert_eq!(started_ids(&starts), [1]);
        assert!(!starts[0].forced);
        assert_eq!(scheduler.status().total_deadline_misses(), 0);
    }

    #[test]
    fn test_emergency_runs_security_outside_windows_only() {
        let mut scheduler = scheduler(unattended());
        scheduler
            .submit(&record(1, Priority::Important, 0), Instant::ZERO)
            .unwrap();
        scheduler
            .submit(&record(2, Priority::Security, 0), Instant::ZERO)
            .unwrap();
        scheduler.set_emergency(true);
        assert_eq!(started_ids(&poll_at(&mut scheduler, 0)), [2]);
        let (now, wall) = at(0);
        scheduler.report_outcome(UpdateId(2), Ok(()), now).unwrap();
        assert!(poll_at(&mut scheduler, 130).is_empty());
        assert_eq!(
            scheduler.explain(UpdateId(1), now, wall).unwrap().reason,
            WaitReason::Emergency
        );
    }

    #[test]
    fn test_weekly_policy_releases_only_on_its_day() {
        let mut config = unattended();
        config.windows = "daily 02:00 +240m".parse().unwrap();
        let mut scheduler = scheduler(config);
        // Sunday 02:00 is 26 h after boot: the window is open but the
        // weekly policy released on Saturday only.
        scheduler
            .submit(&record(1, Priority::Optional, 0), Instant::ZERO)
            .unwrap();
        let (now, _) = at(0);
        scheduler
            .defer(UpdateId(1), now + Duration::from_hours(25), now)
            .unwrap();
        assert!(poll_at(&mut scheduler, 26 * 60).is_empty());
        let (now, wall) = at(26 * 60);
        assert!(matches!(
            scheduler.explain(UpdateId(1), now, wall).unwrap().reason,
            WaitReason::NotReleasedToday(_)
        ));
        assert_eq!(
            started_ids(&poll_at(&mut scheduler, 7 * 24 * 60 + 120)),
            [1]
        );
    }

    #[test]
    fn test_second_saturday_policy_releases_on_the_second_saturday_only() {
        let mut config = unattended();
        config.frequency = FrequencyPolicy::Monthly(crate::policy::MonthDay::NthWeekday(
            2,
            crate::civil::Weekday::Saturday,
        ));
        let mut scheduler = scheduler(config);
        scheduler
            .submit(&record(1, Priority::Optional, 0), Instant::ZERO)
            .unwrap();
        // Boot is Saturday 2026-11-28, the fourth Saturday: the window at
        // 02:00 opens, but releases nothing.
        assert!(poll_at(&mut scheduler, 120).is_empty());
        let (now, wall) = at(120);
        let why = scheduler.explain(UpdateId(1), now, wall).unwrap();
        assert!(
            why.to_string().contains(
                "window open, but the monthly 2nd Sat policy releases updates only on the 2nd Sat of each month"
            ),
            "{why}"
        );
        // 2026-12-05 is the first Saturday; 2026-12-12 the second.
        assert!(poll_at(&mut scheduler, 7 * 24 * 60 + 120).is_empty());
        assert_eq!(
            started_ids(&poll_at(&mut scheduler, 14 * 24 * 60 + 120)),
            [1]
        );
    }

    #[test]
    fn test_low_priority_waits_for_idle_but_does_not_block_others() {
        let mut scheduler = scheduler(unattended());
        scheduler
            .submit(&record(1, Priority::Low, 0), Instant::ZERO)
            .unwrap();
        let mut optional = record(2, Priority::Optional, 0);
        optional.estimated_duration = Duration::from_minutes(5);
        scheduler.submit(&optional, Instant::ZERO).unwrap();
        let someone = Metrics {
            sessions: 1,
            ..Metrics::IDLE
        };
        let (now, wall) = at(120);
        assert_eq!(started_ids(&scheduler.poll(now, wall, &someone)), [2]);
        let why = scheduler.explain(UpdateId(1), now, wall).unwrap();
        assert!(matches!(why.reason, WaitReason::NotIdle(_)), "{why}");
    }

    #[test]
    fn test_update_that_does_not_fit_waits_for_next_window() {
        let mut scheduler = scheduler(unattended());
        let mut big = record(1, Priority::Optional, 0);
        big.estimated_duration = Duration::from_minutes(60);
        scheduler.submit(&big, Instant::ZERO).unwrap();
        // 05:30: the window closes at 06:00.
        assert!(poll_at(&mut scheduler, 330).is_empty());
        let (now, wall) = at(330);
        let why = scheduler.explain(UpdateId(1), now, wall).unwrap();
        assert!(matches!(why.reason, WaitReason::DoesNotFit { .. }), "{why}");
    }

    #[test]
    fn test_emergency_forced_update_does_not_starve_security() {
        let mut scheduler = scheduler(unattended());
        scheduler
            .submit(&record(1, Priority::Important, 400), Instant::ZERO)
            .unwrap();
        assert!(poll_at(&mut scheduler, 400).is_empty());
        scheduler.set_emergency(true);
        let deadline = 400 + 7 * 24 * 60;
        assert!(poll_at(&mut scheduler, deadline).is_empty());
        let (now, _) = at(deadline);
        scheduler
            .submit(&record(2, Priority::Security, deadline), now)
            .unwrap();
        assert_eq!(started_ids(&poll_at(&mut scheduler, deadline + 1)), [2]);
    }

    #[test]
    fn test_fit_check_counts_seconds_into_the_minute() {
        let mut scheduler = scheduler(unattended());
        scheduler
            .submit(&record(1, Priority::Optional, 350), Instant::ZERO)
            .unwrap();
        // 05:50:59: 541 s of window left for a 600 s update.
        let elapsed = Duration::from_secs(350 * 60 + 59);
        let now = Instant::ZERO + elapsed;
        assert!(scheduler
            .poll(now, boot_wall().saturating_add(elapsed), &Metrics::IDLE)
            .is_empty());
    }
}
