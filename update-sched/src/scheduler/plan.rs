//! The Adaptive policy's plan: the quietest start for the head of the queue,
//! learned from the usage pattern and kept until it goes stale.
//!
//! See "Adaptive policy" in the scheduler's module docs.

use super::record::{instant_of, marks, Stored};
use super::UpdateScheduler;
use crate::civil::WallTime;
use crate::config::Calendar;
use crate::pattern::{PlannedStart, Verdict, PLAN_GRID_MINUTES, PLAN_HORIZON};
use crate::policy::FrequencyPolicy;
use crate::queue::Slot;
use crate::time::{Duration, Instant};
use crate::update::{Priority, UpdateId};
use core::cell::Cell;

/// How long a plan stands without the pattern changing: an hour, so a
/// plan made from a pattern that stopped learning (no samples) still looks
/// at the clock again.
const PLAN_MAX_AGE: Duration = Duration::from_hours(1);
/// How long after its planned start a held update is planned again: one
/// step of the planning grid.
const PLAN_OVERDUE: Duration = Duration::from_minutes(PLAN_GRID_MINUTES);
/// Window openings a plan looks at as extra candidates, for windows that
/// open off the quarter-hour grid: two a day for a week.
const PLAN_WINDOW_OPENINGS: usize = 14;

/// The Adaptive policy's plan for one queued update (the head of the
/// queue), kept until the pattern changes, an hour passes or another
/// update is planned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Plan {
    pub(super) id: UpdateId,
    pub(super) generation: u32,
    pub(super) made_at: WallTime,
    /// `None`: no allowed start before the deadline (the windows are
    /// closed until then), so the window rules and the deadline decide.
    pub(super) planned: Option<PlannedStart>,
}

impl Plan {
    /// Whether the plan still stands at `wall`: made for `id` from this
    /// generation of the pattern less than [`PLAN_MAX_AGE`] ago, and not
    /// overdue by [`PLAN_OVERDUE`] (the slot came and a gate held the
    /// update: plan again from what the pattern saw since).
    #[inline]
    fn is_fresh(&self, id: UpdateId, generation: u32, wall: WallTime) -> bool {
        let overdue = self
            .planned
            .is_some_and(|planned| wall.saturating_duration_since(planned.start) >= PLAN_OVERDUE);
        self.id == id
            && self.generation == generation
            && wall >= self.made_at
            && wall.saturating_duration_since(self.made_at) < PLAN_MAX_AGE
            && !overdue
    }
}

impl<const N: usize> UpdateScheduler<N> {
    /// Whether the Adaptive policy plans a start for the update in `slot`:
    /// not for Critical ones, forced ones, or during emergency
    /// maintenance, where other rules decide.
    fn needs_plan(&self, stored: &Stored) -> bool {
        matches!(self.config.frequency, FrequencyPolicy::Adaptive)
            && stored.priority() != Priority::Critical
            && !stored.has(marks::FORCED)
            && !self.emergency
    }

    /// The plan for `slot`, made anew when the cached one is stale.
    pub(super) fn plan_for(
        &mut self,
        slot: Slot,
        now: Instant,
        wall: WallTime,
    ) -> Option<PlannedStart> {
        let stored = self.slots[slot.index()];
        if !self.needs_plan(&stored) {
            return None;
        }
        let id = self.index.id_at(slot)?;
        let generation = self.pattern.generation();
        match self.plan {
            Some(plan) if plan.is_fresh(id, generation, wall) => plan.planned,
            _ => {
                let planned = self.make_plan(&stored, now, wall);
                self.plan = Some(Plan {
                    id,
                    generation,
                    made_at: wall,
                    planned,
                });
                planned
            }
        }
    }

    /// The plan for `slot` as [`UpdateScheduler::plan_for`] would give it,
    /// without caching it.
    pub(super) fn current_plan(
        &self,
        slot: Slot,
        now: Instant,
        wall: WallTime,
    ) -> Option<PlannedStart> {
        let stored = self.slots[slot.index()];
        if !self.needs_plan(&stored) {
            return None;
        }
        let id = self.index.id_at(slot)?;
        match self.plan {
            Some(plan) if plan.is_fresh(id, self.pattern.generation(), wall) => plan.planned,
            _ => self.make_plan(&stored, now, wall),
        }
    }

    /// The quietest start for `stored` before its deadline minus its
    /// estimate (or within a week), inside the windows if there are any.
    pub(super) fn make_plan(
        &self,
        stored: &Stored,
        now: Instant,
        wall: WallTime,
    ) -> Option<PlannedStart> {
        let needs = Duration::from_secs(u64::from(stored.estimated_s));
        let latest = match self.deadline_s(stored) {
            Some(deadline_s) => wall
                .saturating_add(instant_of(deadline_s).saturating_duration_since(now))
                .saturating_sub(needs)
                .max(wall),
            None => wall.saturating_add(PLAN_HORIZON),
        };
        let calendar = &self.config.windows;
        let known = KnownOpening::new(calendar);
        // The first openings, as `calendar.openings(wall, ..)` lists them,
        // read only as far as the plan gets (it stops once waiting longer
        // cannot pay off).
        let mut remaining = if calendar.is_empty() {
            0
        } else {
            PLAN_WINDOW_OPENINGS
        };
        let mut after = Some(wall);
        let openings = core::iter::from_fn(|| {
            if remaining == 0 {
                return None;
            }
            let opening = known.next_open(after?)?;
            remaining -= 1;
            // Openings lie on whole minutes, so one second later is past
            // this one and before the next.
            after = opening.checked_add(Duration::from_secs(1));
            Some(opening)
        })
        .take_while(|&open| open <= latest);
        let longest = Duration::from_minutes(u64::from(self.longest_opening_minutes));
        let mut candidates = CandidateFilter {
            known: &known,
            needs,
            fits_anywhere: needs > longest,
            open_until: None,
            closed_until: None,
        };
        self.pattern.quietest_start_skipping(
            wall,
            latest,
            needs,
            calendar.offset_at(wall),
            openings,
            |at| candidates.verdict(at),
        )
    }
}

/// The next opening of the calendar at or after an instant, remembering
/// the last answer: `next_open(q) = r` says nothing opens in `[q, r)`, so
/// it answers every instant in `[q, r]` too. The openings a plan lists and
/// its candidates' filter ask mostly the same questions.
struct KnownOpening<'a> {
    calendar: &'a Calendar,
    known: Cell<Option<(WallTime, WallTime)>>,
}

impl<'a> KnownOpening<'a> {
    fn new(calendar: &'a Calendar) -> Self {
        KnownOpening {
            calendar,
            known: Cell::new(None),
        }
    }

    fn next_open(&self, at: WallTime) -> Option<WallTime> {
        if let Some((asked, open)) = self.known.get() {
            if asked <= at && at <= open {
                return Some(open);
            }
        }
        let open = self.calendar.next_open(at)?;
        self.known.set(Some((at, open)));
        Some(open)
    }
}

/// Which candidate starts a plan may choose: those in a window that
/// leaves room for the update (any window, if it is longer than every
/// window). Candidates come in time order: it remembers when the merged
/// window the last one was in closes, or when the closed stretch it was in
/// ends, so the calendar is asked once per opening rather than once per
/// candidate, and the plan steps over closed stretches.
struct CandidateFilter<'a> {
    known: &'a KnownOpening<'a>,
    needs: Duration,
    fits_anywhere: bool,
    open_until: Option<WallTime>,
    closed_until: Option<WallTime>,
}

impl CandidateFilter<'_> {
    fn verdict(&mut self, at: WallTime) -> Verdict {
        let calendar = self.known.calendar;
        if calendar.is_empty() {
            return Verdict::Allowed;
        }
        // Later candidates in the same window have less room still.
        let fits = |close: WallTime| {
            if self.fits_anywhere || close.saturating_duration_since(at) >= self.needs {
                Verdict::Allowed
            } else {
                Verdict::NotBefore(close)
            }
        };
        if let Some(close) = self.open_until.filter(|&close| at < close) {
            return fits(close);
        }
        if let Some(open) = self.closed_until.filter(|&open| at < open) {
            return Verdict::NotBefore(open);
        }
        if calendar.contains(at) {
            let close = calendar.current_close(at).unwrap_or(WallTime::MAX);
            let verdict = fits(close);
            self.open_until = Some(close);
            verdict
        } else {
            // Nothing opens before the next opening.
            match self.known.next_open(at) {
                Some(open) => {
                    self.closed_until = Some(open);
                    Verdict::NotBefore(open)
                }
                None => Verdict::NotBefore(at),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::civil::UtcOffset;
    use crate::event::Event;
    use crate::gate::{GateWait, Metrics};
    use crate::scheduler::testing::*;
    use crate::scheduler::types::WaitReason;

    /// One person at work with the CPU busy: scores 716 per mille.
    fn busy() -> Metrics {
        Metrics {
            cpu_permille: 900,
            sessions: 1,
            ..Metrics::IDLE
        }
    }

    /// Feeds a sample a minute for `days` days from boot (Saturday 00:00),
    /// `metrics(hour_of_week)` giving each, and returns the minute after.
    fn learn(
        scheduler: &mut UpdateScheduler<64>,
        days: u64,
        metrics: impl Fn(u8) -> Metrics,
    ) -> u64 {
        let minutes = days * 24 * 60;
        for minute in 0..minutes {
            let (_, wall) = at(minute);
            let hour = crate::pattern::hour_of_week(wall, UtcOffset::UTC);
            scheduler.observe(wall, &metrics(hour));
        }
        minutes
    }

    /// Busy around the clock except Tuesday 00:00-12:00.
    fn quiet_tuesday_morning(hour_of_week: u8) -> Metrics {
        match hour_of_week {
            24..=35 => Metrics::IDLE,
            _ => busy(),
        }
    }

    /// Where the plan for `id` stands at `minute`: its slot and the
    /// predicted activity.
    fn planned(scheduler: &UpdateScheduler<64>, id: u32, minute: u64) -> (WallTime, u16) {
        let (now, wall) = at(minute);
        let why = scheduler.explain(UpdateId(id), now, wall).unwrap();
        match why.reason {
            WaitReason::PlannedSlot {
                at,
                activity_permille,
                ..
            } => {
                assert_eq!(
                    why.next_chance,
                    Some(now + at.saturating_duration_since(wall))
                );
                (at, activity_permille)
            }
            other => panic!("not waiting for a planned slot: {other}"),
        }
    }

    /// Minutes after boot of `wall`.
    fn minute_of(wall: WallTime) -> u64 {
        wall.saturating_duration_since(boot_wall()).as_minutes()
    }

    /// Local hour of the week of `wall`.
    fn hour_of(wall: WallTime) -> u8 {
        crate::pattern::hour_of_week(wall, UtcOffset::UTC)
    }

    #[test]
    fn test_adaptive_empty_pattern_plans_in_fallback_night() {
        let mut scheduler = scheduler(adaptive(false));
        scheduler
            .submit(&record(1, Priority::Optional, 0), Instant::ZERO)
            .unwrap();
        assert!(poll_at(&mut scheduler, 0).is_empty());
        let (now, wall) = at(0);
        let why = scheduler.explain(UpdateId(1), now, wall).unwrap();
        assert_eq!(
            why.to_string(),
            "#1 pkg (optional, ready): waiting for planned slot Sat 2026-11-28 02:00 +00:00 \
             (usage pattern not learned yet: fallback window); next chance in 2h"
        );
        assert!(matches!(
            why.reason,
            WaitReason::PlannedSlot { fallback: true, .. }
        ));
        assert!(poll_at(&mut scheduler, 119).is_empty());
        assert_eq!(started_ids(&poll_at(&mut scheduler, 120)), [1]);
    }

    #[test]
    fn test_adaptive_learned_pattern_picks_the_quietest_slot() {
        let mut scheduler = scheduler(adaptive(false));
        let minute = learn(&mut scheduler, 14, quiet_tuesday_morning);
        assert!(scheduler.pattern().is_confident());
        // Saturday 00:00, two weeks on: the quiet morning is on Tuesday.
        scheduler
            .submit(&record(1, Priority::Important, minute), Instant::ZERO)
            .unwrap();
        assert!(poll_at(&mut scheduler, minute).is_empty());
        let (slot, activity) = planned(&scheduler, 1, minute);
        assert!((24..35).contains(&hour_of(slot)), "{slot}");
        assert_eq!(activity, 0);
        let (now, wall) = at(minute);
        let why = scheduler.explain(UpdateId(1), now, wall).unwrap();
        let text = why.reason.to_string();
        assert!(
            text.starts_with("waiting for planned slot Tue 2026-12-15 ")
                && text.ends_with(" +00:00 (predicted activity 0\u{2030})"),
            "{text}"
        );
        assert!(poll_at(&mut scheduler, minute_of(slot) - 5).is_empty());
        assert_eq!(started_ids(&poll_at(&mut scheduler, minute_of(slot))), [1]);
    }

    #[test]
    fn test_adaptive_plan_respects_deadline_minus_duration() {
        let mut scheduler = scheduler(adaptive(false));
        let minute = learn(&mut scheduler, 14, quiet_tuesday_morning);
        // Monday 03:00: the deadline is Tuesday 03:00, so an hour-long
        // update must start by 02:00, early in the quiet morning.
        let monday = minute + (2 * 24 + 3) * 60;
        let mut security = record(1, Priority::Security, monday);
        security.estimated_duration = Duration::from_minutes(60);
        scheduler.submit(&security, Instant::ZERO).unwrap();
        assert!(poll_at(&mut scheduler, monday).is_empty());
        let (slot, _) = planned(&scheduler, 1, monday);
        let latest = at(monday + 23 * 60).1;
        assert!(slot <= latest, "{slot}");
        assert_eq!(hour_of(slot) / 24, 1, "on Tuesday: {slot}");
        // An update that only fits before its deadline by starting now
        // does not wait for the quiet morning at all.
        let (now, wall) = at(monday);
        let mut late = record(2, Priority::Security, monday);
        late.available_at = Instant::ZERO + Duration::from_minutes(monday - 24 * 60 + 30);
        late.estimated_duration = Duration::from_minutes(60);
        scheduler.submit(&late, now).unwrap();
        assert_eq!(started_ids(&scheduler.poll(now, wall, &Metrics::IDLE)), [2]);
    }

    #[test]
    fn test_adaptive_plan_stays_inside_configured_windows() {
        let mut scheduler = scheduler(adaptive(true));
        // Quiet all week but for weekday 01:00-02:59; the window is
        // Monday to Friday 01:00-04:00.
        let minute = learn(&mut scheduler, 14, |hour| {
            if hour < 120 && (1..3).contains(&(hour % 24)) {
                busy()
            } else {
                Metrics::IDLE
            }
        });
        scheduler
            .submit(&record(1, Priority::Optional, minute), Instant::ZERO)
            .unwrap();
        assert!(poll_at(&mut scheduler, minute).is_empty());
        let (slot, activity) = planned(&scheduler, 1, minute);
        let local = slot.to_local(UtcOffset::UTC);
        assert_eq!(local.hour(), 3, "{local}");
        assert!(local.minute() <= 50, "fits before 04:00: {local}");
        assert_eq!(local.weekday(), crate::civil::Weekday::Monday);
        assert_eq!(activity, 0);
    }

    #[test]
    fn test_adaptive_replans_when_the_planned_slot_turns_busy() {
        let mut scheduler = scheduler(adaptive(false));
        let minute = learn(&mut scheduler, 14, quiet_tuesday_morning);
        scheduler
            .submit(&record(1, Priority::Optional, minute), Instant::ZERO)
            .unwrap();
        assert!(poll_at(&mut scheduler, minute).is_empty());
        let (slot, _) = planned(&scheduler, 1, minute);
        // On to the slot with the usual pattern; there, this Tuesday,
        // someone is at work: it waits, and a quarter of an hour later it
        // plans again from what it saw, for a later slot.
        let slot_minute = minute_of(slot);
        for step in minute..slot_minute + 16 {
            let (now, wall) = at(step);
            let metrics = if step < slot_minute {
                quiet_tuesday_morning(hour_of(wall))
            } else {
                busy()
            };
            scheduler.observe(wall, &metrics);
            assert!(scheduler.poll(now, wall, &metrics).is_empty(), "{step}");
        }
        let (again, _) = planned(&scheduler, 1, slot_minute + 16);
        assert!(again > slot, "{again} after {slot}");
        let (now, wall) = at(slot_minute + 16);
        assert_eq!(
            scheduler.next_wake(now, wall),
            Some(now + Duration::from_minutes(1))
        );
    }

    #[test]
    fn test_adaptive_waits_while_in_use_at_planned_time() {
        let mut scheduler = scheduler(adaptive(false));
        scheduler
            .submit(&record(1, Priority::Optional, 0), Instant::ZERO)
            .unwrap();
        let (slot, _) = planned(&scheduler, 1, 0);
        let (now, wall) = at(minute_of(slot));
        // The planned slot came, but someone is logged in.
        assert!(scheduler.poll(now, wall, &busy()).is_empty());
        let why = scheduler.explain(UpdateId(1), now, wall).unwrap();
        assert!(
            matches!(why.reason, WaitReason::Gate(GateWait::Cpu { .. })),
            "{why}"
        );
        let (later, wall) = at(minute_of(slot) + 1);
        assert_eq!(
            started_ids(&scheduler.poll(later, wall, &Metrics::IDLE)),
            [1]
        );
    }

    #[test]
    fn test_adaptive_critical_starts_at_once_and_deadlines_hold() {
        let mut scheduler = scheduler(adaptive(false));
        let minute = learn(&mut scheduler, 7, |_| busy());
        let (now, wall) = at(minute);
        scheduler
            .submit(&record(1, Priority::Critical, minute), now)
            .unwrap();
        scheduler
            .submit(&record(2, Priority::Security, minute), now)
            .unwrap();
        assert_eq!(started_ids(&scheduler.poll(now, wall, &busy())), [1]);
        scheduler.report_outcome(UpdateId(1), Ok(()), now).unwrap();
        // Busy all week, and busy now: the security update waits for a
        // quiet moment, then runs at its deadline anyway.
        let deadline = minute + 24 * 60;
        for step in (minute + 1..deadline).step_by(7) {
            let (now, wall) = at(step);
            assert!(scheduler.poll(now, wall, &busy()).is_empty(), "{step}");
        }
        let (now, wall) = at(deadline);
        let starts = scheduler.poll(now, wall, &busy());
        assert_eq!(started_ids(&starts), [2]);
        assert!(starts[0].forced);
        assert_eq!(scheduler.status().total_deadline_misses(), 0);
    }

    #[test]
    fn test_adaptive_planned_slot_is_announced_and_woken_for() {
        let mut scheduler = scheduler(adaptive(false));
        let minute = learn(&mut scheduler, 14, quiet_tuesday_morning);
        scheduler
            .submit(&record(1, Priority::Optional, minute), Instant::ZERO)
            .unwrap();
        assert!(poll_at(&mut scheduler, minute).is_empty());
        while scheduler.pop_event().is_some() {}
        let (slot, _) = planned(&scheduler, 1, minute);
        let (now, wall) = at(minute);
        let slot_at = now + slot.saturating_duration_since(wall);
        assert!(scheduler.next_wake(now, wall) <= Some(slot_at));
        // A quarter of an hour before the slot (the preset's lead time).
        let lead = minute_of(slot) - 15;
        assert!(poll_at(&mut scheduler, lead).is_empty());
        let mut events = std::vec::Vec::new();
        while let Some(event) = scheduler.pop_event() {
            events.push(event.event);
        }
        assert_eq!(
            events,
            [Event::WillStart {
                id: UpdateId(1),
                at: slot_at
            }]
        );
    }

    #[test]
    fn test_adaptive_observe_learns_in_the_calendars_local_time() {
        let mut config = adaptive(false);
        config.windows = crate::config::Calendar::new(UtcOffset::from_minutes(60).unwrap());
        let mut scheduler = scheduler(config);
        // Saturday 09:30 UTC is 10:30 at +01:00: hour 5 * 24 + 10.
        let (_, wall) = at(9 * 60 + 30);
        scheduler.observe(wall, &busy());
        assert_eq!(scheduler.pattern().samples(5 * 24 + 10), 1);
        assert_eq!(scheduler.pattern().samples(5 * 24 + 9), 0);
        // A new configuration keeps what was learned, under its settings.
        let mut config = adaptive(false);
        config.pattern.idle_below_permille = 1_000;
        scheduler.set_config(config).unwrap();
        assert_eq!(scheduler.pattern().samples(5 * 24 + 10), 1);
        assert_eq!(scheduler.pattern().config().idle_below_permille, 1_000);
    }

    #[test]
    fn test_adaptive_update_behind_a_planned_head_waits_for_its_slot() {
        let mut scheduler = scheduler(adaptive(false));
        let (now, wall) = at(0);
        scheduler
            .submit(&record(1, Priority::Security, 0), now)
            .unwrap();
        scheduler
            .submit(&record(2, Priority::Optional, 0), now)
            .unwrap();
        assert!(scheduler.poll(now, wall, &Metrics::IDLE).is_empty());
        let (slot, _) = planned(&scheduler, 1, 0);
        let why = scheduler.explain(UpdateId(2), now, wall).unwrap();
        assert_eq!(why.reason, WaitReason::QueuedBehind(UpdateId(1)));
        assert_eq!(
            why.next_chance,
            Some(now + slot.saturating_duration_since(wall))
        );
    }

    /// The plan as it was made before the shortcuts: every opening
    /// listed, every candidate asked of the calendar afresh.
    fn plain_plan(
        scheduler: &UpdateScheduler<64>,
        stored: &Stored,
        now: Instant,
        wall: WallTime,
    ) -> Option<PlannedStart> {
        let needs = Duration::from_secs(u64::from(stored.estimated_s));
        let latest = match scheduler.deadline_s(stored) {
            Some(deadline_s) => wall
                .saturating_add(instant_of(deadline_s).saturating_duration_since(now))
                .saturating_sub(needs)
                .max(wall),
            None => wall.saturating_add(PLAN_HORIZON),
        };
        let calendar = &scheduler.config.windows;
        let mut openings = std::vec::Vec::new();
        if !calendar.is_empty() {
            for open in calendar.openings(wall, PLAN_WINDOW_OPENINGS) {
                if open > latest {
                    break;
                }
                openings.push(open);
            }
        }
        let longest = Duration::from_minutes(u64::from(calendar.longest_opening_minutes()));
        let allowed = |at: WallTime| {
            calendar.is_empty()
                || (calendar.contains(at)
                    && (needs > longest
                        || calendar
                            .current_close(at)
                            .unwrap_or(WallTime::MAX)
                            .saturating_duration_since(at)
                            >= needs))
        };
        scheduler.pattern.quietest_start(
            wall,
            latest,
            needs,
            calendar.offset_at(wall),
            &openings,
            allowed,
        )
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// The plan made with the shortcuts (openings read lazily and
        /// remembered, closed stretches stepped over, the longest opening
        /// cached) is the plan made the plain way.
        #[test]
        fn test_plans_match_the_plain_way(
            windows in proptest::collection::vec((1u8..128, 0u16..1_440, 1u16..=1_600), 0..=3),
            offset_minutes in -720i16..=840,
            samples in proptest::collection::vec((1u64..=30, 0u16..=1_000, 0u16..=2), 0..600),
            priority in 1usize..5,
            estimate_minutes in 1u64..=400,
            plan_at in proptest::collection::vec((0u64..=3_000, 0u64..60), 1..6),
        ) {
            let config = any_config(&windows, offset_minutes, 0);
            proptest::prop_assume!(config.is_some());
            let config = config.unwrap();
            let mut scheduler = scheduler(config);
            let mut minute = 0;
            for &(gap, cpu, sessions) in &samples {
                minute += gap;
                let metrics = Metrics {
                    cpu_permille: cpu,
                    sessions,
                    ..Metrics::IDLE
                };
                scheduler.observe(at(minute).1, &metrics);
            }
            let mut update = record(1, Priority::ALL[priority], 0);
            update.estimated_duration = Duration::from_minutes(estimate_minutes);
            scheduler.submit(&update, Instant::ZERO).unwrap();
            let slot = scheduler.index.find(UpdateId(1)).unwrap();
            let stored = scheduler.slots[slot.index()];
            for &(later, second) in &plan_at {
                let (now, wall) = at(minute + later);
                let now = now.saturating_add(Duration::from_secs(second));
                let wall = wall.saturating_add(Duration::from_secs(second));
                proptest::prop_assert_eq!(
                    scheduler.make_plan(&stored, now, wall),
                    plain_plan(&scheduler, &stored, now, wall)
                );
            }
        }
    }
}
