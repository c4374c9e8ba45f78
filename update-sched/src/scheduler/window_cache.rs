//! The window state the scheduler keeps: what the calendar says at one
//! wall-clock minute, carried from minute to minute until the next edge so
//! that the calendar is asked only at its edges.

use super::UpdateScheduler;
use crate::civil::WallTime;

/// What the calendar says at one wall-clock minute, cached because the
/// calendar's edge questions cost a few thousand steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct WindowState {
    minute: u64,
    pub(super) open: bool,
    /// While open: does the frequency policy release updates in this
    /// window?
    pub(super) released: bool,
    /// While open: seconds until it closes (`None`: never).
    pub(super) closes_in: Option<u64>,
    /// While closed: seconds until it opens (`None`: never).
    pub(super) opens_in: Option<u64>,
    /// Whether the state holds, less the time passed, at later minutes
    /// before the next edge ([`WindowState::carried_to`]).
    carries: bool,
}

impl WindowState {
    /// The state at the start of a later `minute`, derived without the
    /// calendar while no edge comes between: the calendar stays open (or
    /// closed) until its next edge, that edge is the same instant seen
    /// from any minute before it, and so is the opening that dates the
    /// release. `None` when an edge may have come (or `minute` is not
    /// later), so the calendar must be asked.
    #[inline]
    fn carried_to(self, minute: u64) -> Option<WindowState> {
        if !self.carries || minute <= self.minute {
            return None;
        }
        let passed = (minute - self.minute).checked_mul(60)?;
        let left = |edge: Option<u64>| edge.filter(|&secs| passed < secs).map(|secs| secs - passed);
        let state = if self.open {
            WindowState {
                minute,
                closes_in: Some(left(self.closes_in)?),
                ..self
            }
        } else {
            WindowState {
                minute,
                opens_in: Some(left(self.opens_in)?),
                ..self
            }
        };
        Some(state)
    }

    /// The state as seen `wall`'s seconds into the minute it was computed
    /// for: that much less time until the next edge.
    #[inline]
    pub(super) fn at_second(self, wall: WallTime) -> WindowState {
        let into_minute = wall.as_unix_secs() % 60;
        WindowState {
            closes_in: self.closes_in.map(|secs| secs.saturating_sub(into_minute)),
            opens_in: self.opens_in.map(|secs| secs.saturating_sub(into_minute)),
            ..self
        }
    }
}

impl<const N: usize> UpdateScheduler<N> {
    pub(super) fn window_state(&mut self, wall: WallTime) -> WindowState {
        let state = match self.cached_window(wall) {
            Some(cached) => cached,
            None => {
                let minute = wall.as_unix_secs() / 60;
                let state = match self.window.and_then(|cached| cached.carried_to(minute)) {
                    Some(carried) => carried,
                    None => self.compute_window_state(wall),
                };
                self.window = Some(state);
                state
            }
        };
        state.at_second(wall)
    }

    /// The cached window state, if it was computed for `wall`'s minute.
    pub(super) fn cached_window(&self, wall: WallTime) -> Option<WindowState> {
        self.window
            .filter(|cached| cached.minute == wall.as_unix_secs() / 60)
    }

    pub(super) fn compute_window_state(&self, wall: WallTime) -> WindowState {
        // Computed at the start of the minute so the cache is exact for the
        // whole minute; edges fall on whole minutes.
        let minute = wall.as_unix_secs() / 60;
        let at = WallTime::from_unix_secs(minute * 60);
        let calendar = &self.config.windows;
        let open = calendar.contains(at);
        let opened = if open {
            calendar.current_open_since(at)
        } else {
            None
        };
        let released = open
            && opened.or(Some(at)).is_some_and(|opened| {
                self.config
                    .frequency
                    .releases_on(calendar.to_local(opened).date())
            });
        let closes_in = if open {
            calendar.time_until_close(at).map(|left| left.as_secs())
        } else {
            None
        };
        let opens_in = if open {
            None
        } else {
            calendar.time_until_open(at).map(|wait| wait.as_secs())
        };
        WindowState {
            minute,
            open,
            released,
            closes_in,
            opens_in,
            // Release is decided by the opening's date: only carried when
            // there is an opening to date it by.
            carries: if open {
                closes_in.is_some() && opened.is_some()
            } else {
                opens_in.is_some()
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::civil::{WallTime, Weekday};
    use crate::config::{Config, Profile};
    use crate::policy::FrequencyPolicy;
    use crate::scheduler::testing::*;
    use crate::time::Duration;

    /// A window at Sunday 00:30 in Berlin opens on Saturday in UTC, and
    /// in summer an hour earlier than the zone's standard offset says:
    /// a weekly Sunday policy releases in it all year, not only in
    /// winter.
    #[test]
    fn test_release_day_of_a_zone_window_is_its_local_date_in_summer_time() {
        let config = Config {
            frequency: FrequencyPolicy::Weekly(Weekday::Sunday),
            windows: "Sun 00:30 +60m; CET-1CEST,M3.5.0,M10.5.0/3"
                .parse()
                .unwrap(),
            ..Config::preset(Profile::Basic)
        };
        let scheduler = scheduler(config);
        for at in ["2027-07-03T22:45:00Z", "2027-01-09T23:45:00Z"] {
            let wall: WallTime = at.parse().unwrap();
            let state = scheduler.compute_window_state(wall);
            assert!(state.open, "{at}");
            assert!(state.released, "{at}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// The window state carried from minute to minute, and the edge
        /// `next_wake` takes from it, are what the calendar says afresh.
        #[test]
        fn test_carried_window_state_is_the_calendars(
            windows in proptest::collection::vec((1u8..128, 0u16..1_440, 1u16..=1_600), 0..=3),
            offset_minutes in -720i16..=840,
            frequency in 0u8..4,
            start_minutes in 0u64..200_000,
            steps in proptest::collection::vec((0u64..=240, 0u64..60), 1..80),
        ) {
            let config = any_config(&windows, offset_minutes, frequency);
            proptest::prop_assume!(config.is_some());
            let config = config.unwrap();
            let mut scheduler = scheduler(config);
            let mut minute = start_minutes;
            for &(gap, second) in &steps {
                minute += gap;
                let (now, start) = at(minute);
                let wall = start.saturating_add(Duration::from_secs(second));
                let now = now.saturating_add(Duration::from_secs(second));
                let calendar = &scheduler.config.windows;
                let edge = if calendar.contains(wall) {
                    calendar.time_until_close(wall)
                } else {
                    calendar.time_until_open(wall)
                };
                let expected_wake = edge.map(|edge| now.saturating_add(edge));
                // Before the poll of the minute, and after it (cached).
                proptest::prop_assert_eq!(scheduler.next_wake(now, wall), expected_wake);
                let state = scheduler.window_state(wall);
                let fresh = scheduler.compute_window_state(wall).at_second(wall);
                proptest::prop_assert_eq!(state, fresh);
                proptest::prop_assert_eq!(scheduler.next_wake(now, wall), expected_wake);
            }
        }
    }
}
