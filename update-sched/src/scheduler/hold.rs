//! Pauses and freeze periods: what holds an update by the date alone.
//!
//! A pause, asked for at the console or through the API, holds every
//! update below Security until the start of a date at most
//! [`MAX_PAUSE_DAYS`](crate::freeze::MAX_PAUSE_DAYS) away. A freeze period
//! of the configuration holds every update below Critical; a Security
//! update goes ahead at its deadline (forced), nothing below it at all.
//! Both are dates in the windows' local time.

use super::record::{marks, Stored};
use super::types::WaitReason;
use super::UpdateScheduler;
use crate::civil::{Date, WallTime};
use crate::event::Event;
use crate::freeze::{pause_end, PauseError};
use crate::time::Instant;
use crate::update::Priority;

impl<const N: usize> UpdateScheduler<N> {
    /// Pauses every update below Security until `date` begins in the
    /// windows' local time, asked for at `now` (`wall` on the wall clock).
    /// A later call replaces the pause. Returns when it ends.
    pub fn pause_until(
        &mut self,
        date: Date,
        now: Instant,
        wall: WallTime,
    ) -> Result<WallTime, PauseError> {
        // Midnight in the offset in force now, then in the one in force
        // then (a zone may change its offset in between).
        let calendar = &self.config.windows;
        let first = pause_end(date, wall, calendar.offset_at(wall))?;
        let end = pause_end(date, wall, calendar.offset_at(first))?;
        self.paused_until = Some(end);
        let until = now.saturating_add(end.saturating_duration_since(wall));
        self.events.push(now, Event::Paused { until });
        Ok(end)
    }

    /// Ends the pause now; `false` if there was none.
    pub fn resume(&mut self, now: Instant) -> bool {
        let paused = self.paused_until.take().is_some();
        if paused {
            self.events.push(now, Event::Resumed);
        }
        paused
    }

    /// When the pause ends, if one holds at `wall`.
    pub fn paused_until(&self, wall: WallTime) -> Option<WallTime> {
        self.paused_until.filter(|&until| until > wall)
    }

    /// Ends a pause whose date has come, announcing it.
    pub(super) fn end_pause_if_due(&mut self, now: Instant, wall: WallTime) {
        if self.paused_until.is_some_and(|until| until <= wall) {
            self.resume(now);
        }
    }

    /// When the freeze period holding `wall` ends, if one does.
    pub fn frozen_until(&self, wall: WallTime) -> Option<WallTime> {
        if self.config.freezes.is_empty() {
            return None;
        }
        let calendar = &self.config.windows;
        let today = calendar.to_local(wall).date();
        let period = self.config.freezes.holding(today)?;
        // Midnight in the offset in force now, then in the one in force
        // then (a zone may change its offset in between).
        let first = period.end(calendar.offset_at(wall))?;
        period.end(calendar.offset_at(first))
    }

    /// What a pause or a freeze period holds `stored` (not Critical) for.
    #[inline]
    pub(super) fn hold_blocker(&self, stored: &Stored, wall: WallTime) -> Option<WaitReason> {
        let priority = stored.priority();
        if let Some(until) = self.frozen_until(wall) {
            let security_due = priority == Priority::Security && stored.has(marks::FORCED);
            if !security_due {
                return Some(WaitReason::Frozen {
                    until,
                    offset: self.config.windows.offset_at(until),
                });
            }
        }
        if priority != Priority::Security {
            if let Some(until) = self.paused_until(wall) {
                return Some(WaitReason::Paused {
                    until,
                    offset: self.config.windows.offset_at(until),
                });
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::event::Event;
    use crate::freeze::{parse_date, PauseError};
    use crate::scheduler::testing::*;
    use crate::scheduler::types::WaitReason;
    use crate::time::Instant;
    use crate::update::{Priority, UpdateId};

    fn date(text: &str) -> crate::civil::Date {
        parse_date(text).expect("date")
    }

    /// Minutes from boot (Saturday 2026-11-28 00:00 UTC) to `days` days
    /// later at `hour`.
    fn minute(days: u64, hour: u64) -> u64 {
        days * 24 * 60 + hour * 60
    }

    #[test]
    fn test_pause_holds_below_security_until_its_date() {
        let mut scheduler = scheduler(unattended());
        let (now, wall) = at(0);
        // Until Saturday 2026-12-05 00:00: the window of 2026-11-28 is
        // paused, the one of 2026-12-05 02:00 is not.
        let end = scheduler
            .pause_until(date("2026-12-05"), now, wall)
            .unwrap();
        assert_eq!(end, "2026-12-05T00:00:00Z".parse().unwrap());
        scheduler
            .submit(&record(1, Priority::Important, 0), now)
            .unwrap();
        scheduler
            .submit(&record(2, Priority::Security, 0), now)
            .unwrap();
        let started = poll_at(&mut scheduler, 120);
        assert_eq!(started_ids(&started), [2]);
        let (now, wall) = at(121);
        let why = scheduler.explain(UpdateId(1), now, wall).unwrap();
        assert!(matches!(why.reason, WaitReason::Paused { until, .. } if until == end));
        assert!(
            why.to_string()
                .contains("paused until Sat 2026-12-05 00:00 +00:00"),
            "{why}"
        );
        // The last minute of the pause, then the next window.
        assert!(poll_at(&mut scheduler, minute(6, 23) + 59).is_empty());
        let events: std::vec::Vec<Event> = core::iter::from_fn(|| scheduler.pop_event())
            .map(|timed| timed.event)
            .collect();
        assert!(matches!(events[0], Event::Paused { .. }));
        assert!(!events.contains(&Event::Resumed));
        // The pause ends as the Important update's 7-day deadline comes:
        // it starts at once.
        assert_eq!(started_ids(&poll_at(&mut scheduler, minute(7, 0))), [1]);
        assert!(core::iter::from_fn(|| scheduler.pop_event())
            .any(|timed| timed.event == Event::Resumed));
    }

    #[test]
    fn test_pause_limits_and_resume() {
        let mut scheduler = scheduler(unattended());
        let (now, wall) = at(600);
        // 2027-01-02 00:00 is 34 days 14 hours after 2026-11-28 10:00.
        assert!(scheduler.pause_until(date("2027-01-02"), now, wall).is_ok());
        assert_eq!(
            scheduler.pause_until(date("2027-01-03"), now, wall),
            Err(PauseError::TooLong)
        );
        assert_eq!(
            scheduler.pause_until(date("2026-11-28"), now, wall),
            Err(PauseError::NotInFuture)
        );
        // The refused calls left the first pause in place.
        assert!(scheduler.paused_until(wall).is_some());
        assert!(scheduler.resume(now));
        assert!(!scheduler.resume(now));
        assert_eq!(scheduler.paused_until(wall), None);
    }

    #[test]
    fn test_freeze_holds_below_critical_and_security_until_its_deadline() {
        let config = Config {
            freezes: "2026-11-28..2026-11-29".parse().unwrap(),
            ..unattended()
        };
        let mut scheduler = scheduler(config);
        let now = Instant::ZERO;
        for (id, priority) in [
            (1, Priority::Critical),
            (2, Priority::Security),
            (3, Priority::Important),
        ] {
            scheduler.submit(&record(id, priority, 0), now).unwrap();
        }
        // In the window at 02:00 only the Critical update runs.
        assert_eq!(started_ids(&poll_at(&mut scheduler, 0)), [1]);
        assert!(poll_at(&mut scheduler, 120).is_empty());
        let (now, wall) = at(120);
        let why = scheduler.explain(UpdateId(3), now, wall).unwrap();
        assert!(
            matches!(why.reason, WaitReason::Frozen { until, .. }
                if until == "2026-11-30T00:00:00Z".parse().unwrap()),
            "{why}"
        );
        assert!(
            why.to_string()
                .contains("frozen until Mon 2026-11-30 00:00 +00:00"),
            "{why}"
        );
        // The Security update goes at its deadline (24 h after boot),
        // still inside the freeze; the Important one stays frozen.
        assert!(poll_at(&mut scheduler, minute(1, 0) - 1).is_empty());
        assert_eq!(started_ids(&poll_at(&mut scheduler, minute(1, 0))), [2]);
        let (now, wall) = at(minute(1, 3));
        for id in [1, 2] {
            scheduler.report_outcome(UpdateId(id), Ok(()), now).unwrap();
        }
        assert!(poll_at(&mut scheduler, minute(1, 3)).is_empty());
        let why = scheduler.explain(UpdateId(3), now, wall).unwrap();
        assert!(matches!(why.reason, WaitReason::Frozen { .. }), "{why}");
        assert_eq!(scheduler.status().total_deadline_misses(), 0);
    }

    #[test]
    fn test_freeze_boundaries_are_local_midnights() {
        let config = Config {
            freezes: "2026-11-29..2026-11-29".parse().unwrap(),
            ..unattended()
        };
        let scheduler = scheduler(config);
        let (_, before) = at(minute(0, 23) + 59);
        let (_, first) = at(minute(1, 0));
        let (_, last) = at(minute(1, 23) + 59);
        let (_, after) = at(minute(2, 0));
        assert_eq!(scheduler.frozen_until(before), None);
        assert_eq!(scheduler.frozen_until(first), Some(after));
        assert_eq!(scheduler.frozen_until(last), Some(after));
        assert_eq!(scheduler.frozen_until(after), None);
    }
}
