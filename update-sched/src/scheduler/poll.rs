//! The poll: what starts now, handing updates to the platform, the WillStart
//! notice, and when the platform should poll next.

use super::latest_starts::{count_miss, DEADLINE_GRACE_SECS};
use super::record::{instant_of, marks, seconds_down};
use super::types::{Start, Starts, UpdateState};
use super::window_cache::WindowState;
use super::UpdateScheduler;
use crate::civil::WallTime;
use crate::event::Event;
use crate::gate::Metrics;
use crate::queue::{PackedKey, Slot};
use crate::time::{Duration, Instant};
use crate::update::{Priority, UpdateId};
use heapless::Vec;

/// Updates looked at past a head that cannot start for a reason of its
/// own (it needs an idle machine, it does not fit the window, ...).
const LOOKAHEAD: usize = 8;

impl<const N: usize> UpdateScheduler<N> {
    /// Decides what starts now. Call on every tick (or at least at
    /// [`UpdateScheduler::next_wake`]) with fresh metrics.
    pub fn poll(&mut self, now: Instant, wall: WallTime, metrics: &Metrics) -> Starts {
        // Filled in place: built here and returned, the list would be
        // copied whole on every poll.
        let mut starts = Starts::new();
        self.poll_into(&mut starts, now, wall, metrics);
        starts
    }

    /// [`UpdateScheduler::poll`], adding the starts to `starts` (empty).
    /// Not inlined, so that `starts` can be the caller's return value.
    #[inline(never)]
    fn poll_into(&mut self, starts: &mut Starts, now: Instant, wall: WallTime, metrics: &Metrics) {
        self.metrics = *metrics;
        let now_s = seconds_down(now);
        let window = self.window_state(wall);
        if self.announced_window_open != Some(window.open) {
            if window.open {
                self.events.push(now, Event::MaintenanceStart);
            } else if self.announced_window_open.is_some() {
                self.events.push(now, Event::MaintenanceEnd);
            }
            self.announced_window_open = Some(window.open);
        }
        self.end_pause_if_due(now, wall);
        if now_s >= self.earliest_wake_s {
            self.wake_due(now, now_s);
        }
        if now_s >= self.earliest_deadline_s {
            self.handle_deadlines(now, now_s);
        }

        let mut held: Vec<(Slot, PackedKey), LOOKAHEAD> = Vec::new();
        let mut unforced_start = false;
        while let Some((slot, key)) = self.ready.peek() {
            if starts.is_full() {
                break;
            }
            let plan = self.plan_for(slot, now, wall);
            match self.blocker(slot, &window, plan.as_ref(), wall, now_s, &self.room) {
                None => {
                    let _ = self.ready.pop();
                    let start = self.start(slot, now, now_s);
                    unforced_start |= !start.forced;
                    starts.push(start).ok();
                }
                Some(reason) if reason.holds_everyone() || held.is_full() => break,
                Some(_) => {
                    let _ = self.ready.pop();
                    let _ = held.push((slot, key));
                }
            }
        }
        // By reference: moving the vector out would copy all of it.
        for &(slot, key) in &held {
            // These were just popped, so the heap has room for them.
            let _ = self.ready.push(slot, key);
        }
        if unforced_start && self.earliest_deadline_s != u32::MAX {
            // It took a lane no latest start counted on: work them out
            // again with it running.
            self.handle_deadlines(now, now_s);
        }
        self.announce(now, wall, &window);
    }

    /// The next moment something falls due by the clock alone: a timer,
    /// a deadline, a window edge, a planned slot. Unlike
    /// [`UpdateScheduler::next_wake`] it leaves out the once-a-minute
    /// re-check of the gates while updates are ready, for a platform that
    /// polls after every new metrics sample anyway (as the kernel does).
    pub fn next_timer(&self, now: Instant, wall: WallTime) -> Option<Instant> {
        let next = self.earliest_wake_s.min(self.earliest_deadline_s);
        let mut wake = (next != u32::MAX).then(|| instant_of(next));
        // The poll of this minute has usually asked the calendar already.
        let edge = match self.cached_window(wall) {
            Some(cached) => {
                let window = cached.at_second(wall);
                let secs = if window.open {
                    window.closes_in
                } else {
                    window.opens_in
                };
                secs.map(Duration::from_secs)
            }
            None => {
                let calendar = &self.config.windows;
                if calendar.contains(wall) {
                    calendar.time_until_close(wall)
                } else {
                    calendar.time_until_open(wall)
                }
            }
        };
        if let Some(edge) = edge {
            let at = now.saturating_add(edge);
            wake = Some(wake.map_or(at, |wake| wake.min(at)));
        }
        let held_until = [self.paused_until(wall), self.frozen_until(wall)];
        for until in held_until.into_iter().flatten() {
            let at = now.saturating_add(until.saturating_duration_since(wall));
            wake = Some(wake.map_or(at, |wake| wake.min(at)));
        }
        let planned = self
            .plan
            .and_then(|plan| plan.planned)
            .filter(|planned| planned.start > wall);
        if let Some(planned) = planned {
            let at = now.saturating_add(planned.start.saturating_duration_since(wall));
            wake = Some(wake.map_or(at, |wake| wake.min(at)));
        }
        wake
    }

    /// The latest moment the platform should poll again, if nothing else
    /// (a tick, a submission) makes it poll sooner: the next timer, the
    /// next deadline, the next window edge.
    pub fn next_wake(&self, now: Instant, wall: WallTime) -> Option<Instant> {
        let mut wake = self.next_timer(now, wall);
        if !self.ready.is_empty() {
            // Gates may clear at any moment: poll at least once a minute.
            let soon = now.saturating_add(Duration::from_minutes(1));
            wake = Some(wake.map_or(soon, |wake| wake.min(soon)));
        }
        wake
    }

    /// Hands `slot` to the platform.
    pub(super) fn start(&mut self, slot: Slot, now: Instant, now_s: u32) -> Start {
        let stored = self.slots[slot.index()];
        let id = self.index.id_at(slot).unwrap_or(UpdateId(0));
        let attempt = stored.attempts() + 1;
        let forced = stored.has(marks::FORCED) && stored.priority() != Priority::Critical;
        self.slots[slot.index()].set_attempts(attempt);
        let ends = now_s.saturating_add(u32::from(stored.estimated_s));
        let lane = if stored.has(marks::FORCED) {
            self.room.lane_for_forced(slot, now_s)
        } else {
            self.room_lane(slot, now_s, &self.room)
        };
        if self.runs_alone_throughout(&stored) || self.stages(&stored) {
            // It holds every lane, until what runs beside it has ended
            // too (a staged update waits for them before its exclusive
            // phase).
            let held = self.room.ends(now_s, u32::from(stored.estimated_s), true);
            for busy_until in self.room.busy_until.iter_mut() {
                *busy_until = held;
            }
        } else if let Some(busy_until) = lane.and_then(|lane| self.room.busy_until.get_mut(lane)) {
            *busy_until = ends;
        }
        self.slots[slot.index()].wake_s = ends;
        self.transition(slot, UpdateState::Running);
        if !stored.has(marks::MISSED) {
            self.slots[slot.index()].marks |= marks::MISSED;
            if let Some(deadline) = self.deadline_s(&stored) {
                if now_s > deadline.saturating_add(DEADLINE_GRACE_SECS) {
                    count_miss(
                        &mut self.counts,
                        &mut self.events,
                        id,
                        stored.priority(),
                        now,
                    );
                }
            }
        }
        self.running += 1;
        if self.runs_alone_throughout(&stored) {
            self.alone = Some(slot);
        } else if self.stages(&stored) {
            self.staged = Some(slot);
        }
        self.forget_preemption(id);
        self.events.push(
            now,
            Event::Started {
                id,
                attempt,
                forced,
            },
        );
        Start {
            id,
            kind: stored.kind(),
            flags: stored.flags(),
            estimated_duration: Duration::from_secs(u64::from(stored.estimated_s)),
            attempt,
            forced,
        }
    }

    /// Sends a WillStart notice for the head of the queue when a window
    /// opens within the lead time.
    fn announce(&mut self, now: Instant, wall: WallTime, window: &WindowState) {
        let Some(lead) = self.config.notify_lead else {
            return;
        };
        let Some((slot, _)) = self.ready.peek() else {
            return;
        };
        if self.slots[slot.index()].has(marks::ANNOUNCED) {
            return;
        }
        let head = self.index.id_at(slot);
        let planned = self
            .plan
            .filter(|plan| Some(plan.id) == head)
            .and_then(|plan| plan.planned)
            .filter(|planned| planned.start > wall);
        let opens_in = match planned {
            Some(planned) => planned.start.saturating_duration_since(wall).as_secs(),
            None if window.open => return,
            None => match window.opens_in {
                Some(opens_in) => opens_in,
                None => return,
            },
        };
        if Duration::from_secs(opens_in) <= lead {
            self.slots[slot.index()].marks |= marks::ANNOUNCED;
            if let Some(id) = self.index.id_at(slot) {
                let at = now.saturating_add(Duration::from_secs(opens_in));
                self.events.push(now, Event::WillStart { id, at });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::testing::*;

    #[test]
    fn test_events_report_window_edges_and_lead_notice() {
        let mut scheduler = scheduler(unattended());
        scheduler
            .submit(&record(1, Priority::Optional, 0), Instant::ZERO)
            .unwrap();
        poll_at(&mut scheduler, 100);
        poll_at(&mut scheduler, 106);
        poll_at(&mut scheduler, 120);
        poll_at(&mut scheduler, 360);
        let mut tags = std::vec::Vec::new();
        while let Some(event) = scheduler.pop_event() {
            tags.push(event.event.tag());
        }
        assert_eq!(tags, ["AVAILABLE", "SOON", "WINDOW", "START", "WINDOW"]);
    }

    #[test]
    fn test_sub_second_availability_does_not_delay_critical() {
        let mut scheduler = scheduler(unattended());
        let mut critical = record(1, Priority::Critical, 0);
        critical.available_at = Instant::from_millis(1_500);
        scheduler
            .submit(&critical, Instant::from_millis(1_500))
            .unwrap();
        let starts = scheduler.poll(Instant::from_millis(1_510), boot_wall(), &Metrics::IDLE);
        assert_eq!(started_ids(&starts), [1]);
    }

    #[test]
    fn test_next_wake_is_the_earliest_timer_edge_or_a_minute_while_queued() {
        let mut scheduler = scheduler(unattended());
        let (now, wall) = at(0);
        // Nothing queued: the window opening at 02:00 is the next moment.
        assert_eq!(
            scheduler.next_wake(now, wall),
            Some(now + Duration::from_hours(2))
        );
        scheduler
            .submit(&record(1, Priority::Optional, 60), now)
            .unwrap();
        assert_eq!(
            scheduler.next_wake(now, wall),
            Some(now + Duration::from_hours(1))
        );
        poll_at(&mut scheduler, 60);
        let (later, wall) = at(60);
        // Queued and held by the window: gates may clear, so once a minute.
        assert_eq!(
            scheduler.next_wake(later, wall),
            Some(later + Duration::from_minutes(1))
        );
        // ... but by the clock alone, the window's opening comes next.
        assert_eq!(
            scheduler.next_timer(later, wall),
            Some(later + Duration::from_hours(1))
        );
    }
}
