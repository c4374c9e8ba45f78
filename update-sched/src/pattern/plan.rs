//! Planning: the quietest start for an update, from the risks the pattern
//! keeps ready.

use super::{UsagePattern, HOURS_PER_WEEK};
use crate::civil::{UtcOffset, WallTime};
use crate::time::Duration;

/// Granularity of planned start times: every quarter of an hour (local
/// clock), besides "now" and any extra candidates the caller adds (such as
/// window openings off the grid).
pub const PLAN_GRID_MINUTES: u64 = 15;
/// How far ahead a plan looks when the update has no deadline: one week,
/// the period of the pattern, past which nothing new could be learned.
pub const PLAN_HORIZON: Duration = Duration::from_days(7);
/// The fallback night window, local hours `[2, 5)`: before the pattern
/// knows an hour, it counts as quiet there and as busy elsewhere, so a plan
/// made from an empty pattern picks the next 02:00-05:00 (the hours least
/// used on most machines, after late evenings and before early risers).
pub const FALLBACK_NIGHT_HOURS: core::ops::Range<u8> = 2..5;
/// The activity assumed for an unknown hour inside the fallback night
/// window: low, but above what an idle desktop learns to score (about
/// 30), so that learned quiet beats a guess.
pub const UNKNOWN_NIGHT_PERMILLE: u16 = 100;
/// The activity assumed for an unknown hour outside the fallback night:
/// about what one person at the machine scores, so that learned quiet
/// hours and the night are preferred to a guess.
pub const UNKNOWN_DAY_PERMILLE: u16 = 500;
/// Minutes before and after an update's span that also count toward the
/// choice (not toward the reported prediction): people do not arrive on
/// the hour, so a slot that ends just before a busy hour is riskier than
/// one in the middle of a quiet night. Four hours: about half of the
/// quiet stretch between a working day and the next.
pub const PLAN_GUARD_MINUTES: u64 = 240;
/// The guard bands' mean risk counts this many times less than the
/// span's own: the update runs in the span, and only may in the bands.
pub const PLAN_GUARD_DIVISOR: u64 = 2;
/// What waiting costs, per mille of activity per day of delay: a slot a
/// day later must be this much quieter to be worth the wait, so that an
/// update does not sit out the week for a slot barely better than tonight
/// (and hold the queue behind it meanwhile).
pub const PLAN_DELAY_PERMILLE_PER_DAY: u16 = 24;
/// What using up the room before the latest start costs, per mille of
/// activity for all of it: a plan that leaves no slack has no second
/// chance when its slot turns out busy, so for a security update (a day of
/// room) each hour of waiting costs about 4 per mille more.
pub const PLAN_SLACK_PERMILLE: u16 = 100;

/// A start time chosen from the pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PlannedStart {
    /// When to start.
    pub start: WallTime,
    /// The mean activity predicted over the update's span, per mille.
    pub activity_permille: u16,
    /// Nothing was known of the hours of the span: the choice rests on the
    /// fallback assumptions alone.
    pub fallback: bool,
}

/// What the filter of [`UsagePattern::quietest_start_skipping`] says of a
/// candidate start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// The candidate may be chosen.
    Allowed,
    /// Neither the candidate nor any later one before this instant may be
    /// chosen (an instant at or before the candidate rules out just the
    /// candidate): the plan skips them without asking.
    NotBefore(WallTime),
}

/// The unknown-hour assumption: [`UNKNOWN_NIGHT_PERMILLE`] inside the
/// fallback night, [`UNKNOWN_DAY_PERMILLE`] elsewhere.
#[inline]
pub(super) const fn unknown_permille(hour_of_week: u8) -> u16 {
    let hour = hour_of_week % 24;
    if FALLBACK_NIGHT_HOURS.start <= hour && hour < FALLBACK_NIGHT_HOURS.end {
        UNKNOWN_NIGHT_PERMILLE
    } else {
        UNKNOWN_DAY_PERMILLE
    }
}

/// Hourly values over the week, piecewise constant, as running sums, so
/// that the sum over any span of minutes is two look-ups instead of a walk
/// over its hours; exact, like the walk.
struct Timeline<'a> {
    /// `before[h]`: value times minutes over the hours before hour `h`.
    before: &'a [u32; HOURS_PER_WEEK as usize + 1],
    /// An hour whose value is not the one in `before`: the hour, its
    /// value in `before` and its value here.
    patch: Option<(usize, u64, u64)>,
}

impl Timeline<'_> {
    const WEEK_MINUTES: u64 = HOURS_PER_WEEK as u64 * 60;

    /// Value times minutes over the week's minutes `[0, minute)`, for
    /// `minute` in `0..=WEEK_MINUTES`.
    #[inline]
    fn until(&self, minute: u64) -> u64 {
        let hour = ((minute / 60) as usize).min(HOURS_PER_WEEK as usize);
        let mut sum = u64::from(self.before[hour]);
        let into = minute % 60;
        if into > 0 {
            let value = u64::from(self.before[hour + 1] - self.before[hour]) / 60;
            sum += value * into;
        }
        if let Some((patched, old, new)) = self.patch {
            if hour > patched {
                sum = sum + new * 60 - old * 60;
            } else if hour == patched {
                sum = sum + new * into - old * into;
            }
        }
        sum
    }

    /// The same as [`span_sum`] over the values: value times minutes over
    /// `minutes` minutes from `start_minute` of the week, wrapping.
    #[inline]
    fn sum(&self, start_minute: u64, minutes: u64) -> u64 {
        let week_sum = self.until(Self::WEEK_MINUTES);
        let mut sum = minutes / Self::WEEK_MINUTES * week_sum;
        let from = start_minute % Self::WEEK_MINUTES;
        let to = from + minutes % Self::WEEK_MINUTES;
        if to <= Self::WEEK_MINUTES {
            sum += self.until(to) - self.until(from);
        } else {
            sum += week_sum - self.until(from) + self.until(to - Self::WEEK_MINUTES);
        }
        sum
    }
}

impl UsagePattern {
    /// The quietest start for an update that takes `duration`, among `from`,
    /// the quarter hours after it up to `latest` (inclusive) and `extra`
    /// instants in that range, on a local clock set to `offset`, keeping
    /// only those `allowed` accepts (`allowed` sees candidates in time
    /// order, though not necessarily all of them: never one that could not
    /// win anyway). `None` when no candidate is allowed.
    ///
    /// Each candidate costs as the module documentation's "Planning"
    /// section says; the cheapest wins, the earliest among equals.
    /// `latest` is clamped to [`PLAN_HORIZON`] after `from`. The activity
    /// reported is the mean score over the span (as
    /// [`UsagePattern::predicted_activity`] gives it, with unknown hours
    /// at their fallback assumption), not the cost.
    pub fn quietest_start(
        &self,
        from: WallTime,
        latest: WallTime,
        duration: Duration,
        offset: UtcOffset,
        extra: &[WallTime],
        mut allowed: impl FnMut(WallTime) -> bool,
    ) -> Option<PlannedStart> {
        let sorted = extra.windows(2).all(|pair| pair[0] <= pair[1]);
        self.plan(
            from,
            latest,
            duration,
            offset,
            extra.iter().copied(),
            sorted,
            |at| {
                if allowed(at) {
                    Verdict::Allowed
                } else {
                    Verdict::NotBefore(at)
                }
            },
        )
    }

    /// [`UsagePattern::quietest_start`] with a filter that can rule out a
    /// stretch of candidates at once ([`Verdict::NotBefore`], such as "the
    /// windows are closed until 01:00"), and `extra` instants given in
    /// increasing order, as an iterator read only as far as needed. The
    /// same choice, with fewer questions.
    pub fn quietest_start_skipping(
        &self,
        from: WallTime,
        latest: WallTime,
        duration: Duration,
        offset: UtcOffset,
        extra: impl Iterator<Item = WallTime>,
        allowed: impl FnMut(WallTime) -> Verdict,
    ) -> Option<PlannedStart> {
        self.plan(from, latest, duration, offset, extra, true, allowed)
    }

    /// The planning itself; `sorted`: `extra` comes in increasing order.
    /// [`Search`] says how the candidates are looked at.
    #[allow(clippy::too_many_arguments)]
    fn plan(
        &self,
        from: WallTime,
        latest: WallTime,
        duration: Duration,
        offset: UtcOffset,
        extra: impl Iterator<Item = WallTime>,
        sorted: bool,
        allowed: impl FnMut(WallTime) -> Verdict,
    ) -> Option<PlannedStart> {
        let latest = latest.min(from.saturating_add(PLAN_HORIZON));
        if latest < from {
            return None;
        }
        let visit = self.hour_in_progress();
        let minutes = duration.as_minutes().max(1);
        let mut search = Search {
            costing: self.costing(visit, from, latest, minutes, offset),
            latest,
            allowed,
            best: None,
            skip: (WallTime::MAX, WallTime::MAX),
        };
        search.run(from, first_grid_after(from, offset), extra, sorted);
        let (start, _) = search.best?;
        let first_minute = search.costing.minute_of_week(start);
        Some(self.planned_start(start, first_minute, minutes, visit))
    }

    /// The hour in progress as a plan counts it: the caches leave it out,
    /// so it is blended now.
    fn hour_in_progress(&self) -> Option<HourInProgress> {
        self.visit.map(|visit| {
            let hour = visit.hour_of_week();
            let own = self.estimate(hour);
            let risk = match own {
                Some(own) => self.risk_from(hour, own),
                None => unknown_permille(hour),
            };
            HourInProgress {
                hour,
                known: own.is_some(),
                risk,
            }
        })
    }

    /// What the candidates of a plan from `from` to `latest`, for an update
    /// of `minutes`, are costed with: the cached risks with the hour in
    /// progress patched in.
    fn costing(
        &self,
        visit: Option<HourInProgress>,
        from: WallTime,
        latest: WallTime,
        minutes: u64,
        offset: UtcOffset,
    ) -> Costing<'_> {
        let patch = visit.map(|visit| {
            let index = usize::from(visit.hour);
            let cached = (self.risk_before[index + 1] - self.risk_before[index]) / 60;
            (index, u64::from(cached), u64::from(visit.risk))
        });
        // Every candidate's span and guard average at least the lowest
        // risk: the cached lowest, or the hour in progress's below it.
        let lowest =
            u64::from(visit.map_or(self.lowest_risk, |visit| self.lowest_risk.min(visit.risk)));
        Costing {
            risks: Timeline {
                before: &self.risk_before,
                patch,
            },
            minutes,
            offset,
            from,
            room_minutes: latest.saturating_duration_since(from).as_minutes().max(1),
            floor: lowest + lowest / PLAN_GUARD_DIVISOR,
        }
    }

    /// The plan's answer for `start`, whose span of `minutes` begins at
    /// `first_minute` of the week: the activity predicted over the span,
    /// and whether nothing was known of its hours.
    fn planned_start(
        &self,
        start: WallTime,
        first_minute: u64,
        minutes: u64,
        visit: Option<HourInProgress>,
    ) -> PlannedStart {
        let first_hour = first_minute / 60;
        let last_hour = (first_minute + minutes - 1) / 60;
        let fallback = (first_hour..=last_hour).all(|hour| {
            let hour = (hour % u64::from(HOURS_PER_WEEK)) as u8;
            match visit {
                Some(visit) if visit.hour == hour => !visit.known,
                _ => self.cached_estimate(hour).is_none(),
            }
        });
        // The choice weighed risks; the prediction reported is the hours'
        // own estimates, what `score` says of them.
        let estimate = |hour: usize| {
            let hour = hour as u8;
            self.estimate(hour)
                .unwrap_or_else(|| unknown_permille(hour))
        };
        PlannedStart {
            start,
            activity_permille: (span_sum_by(estimate, first_minute, minutes) / minutes) as u16,
            fallback,
        }
    }
}

/// The first quarter hour of the local clock after `from`: the grid is
/// aligned to local quarter hours.
fn first_grid_after(from: WallTime, offset: UtcOffset) -> WallTime {
    let grid_s = PLAN_GRID_MINUTES * 60;
    let local_s = from.as_unix_secs() as i128 + i128::from(offset.as_seconds());
    let into_quarter = local_s.rem_euclid(i128::from(grid_s)) as u64;
    from.saturating_add(Duration::from_secs(grid_s - into_quarter))
}

/// The hour in progress, as a plan sees it.
#[derive(Clone, Copy)]
struct HourInProgress {
    /// Its hour of the week.
    hour: u8,
    /// Whether anything is known of it (its estimate is not a fallback).
    known: bool,
    /// What a plan counts it with.
    risk: u16,
}

/// What every candidate of one plan is costed with.
struct Costing<'a> {
    /// The risk of every hour of the week, as running sums.
    risks: Timeline<'a>,
    /// The update's span, in minutes (at least one).
    minutes: u64,
    /// The local clock's offset.
    offset: UtcOffset,
    /// When the plan is made: waiting counts from here.
    from: WallTime,
    /// Minutes from `from` to the latest start (at least one).
    room_minutes: u64,
    /// No candidate's risk is below this, whenever it starts.
    floor: u64,
}

impl Costing<'_> {
    /// The minute of the week (local) `wall` falls in.
    fn minute_of_week(&self, wall: WallTime) -> u64 {
        u64::from(wall.local_second_of_week(self.offset) / 60)
    }

    /// The risk of starting at `wall`: the span's mean risk, plus the
    /// guard bands' mean risk divided by [`PLAN_GUARD_DIVISOR`].
    fn risk(&self, wall: WallTime) -> u16 {
        let week_minutes = u64::from(HOURS_PER_WEEK) * 60;
        let start = self.minute_of_week(wall);
        let span = self.risks.sum(start, self.minutes) / self.minutes;
        let guard_start = start + week_minutes - PLAN_GUARD_MINUTES;
        let guard = self.risks.sum(guard_start, PLAN_GUARD_MINUTES)
            + self.risks.sum(start + self.minutes, PLAN_GUARD_MINUTES);
        let guard = guard / (2 * PLAN_GUARD_MINUTES) / PLAN_GUARD_DIVISOR;
        (span + guard).min(u64::from(u16::MAX)) as u16
    }

    /// What waiting until `at` costs. Minute by minute, so that two
    /// candidates compare the same way whenever the plan is made.
    fn delay(&self, at: WallTime) -> u64 {
        let waited = at.saturating_duration_since(self.from).as_minutes();
        waited * u64::from(PLAN_DELAY_PERMILLE_PER_DAY) / 1_440
            + waited * u64::from(PLAN_SLACK_PERMILLE) / self.room_minutes
    }
}

/// What considering a candidate found.
#[derive(PartialEq)]
enum Outcome {
    Considered,
    /// It and every later candidate cost at least the best so far.
    Hopeless,
}

/// The search over one plan's candidates.
///
/// Candidates are considered in the same order, and compared the same
/// way, as by trying every one of them; two shortcuts only skip candidates
/// that could not have been chosen. Waiting costs more the later a
/// candidate is, and no candidate costs less than the quietest hour's risk
/// allows, so once that floor plus the delay reaches the best cost found,
/// no later candidate can beat it (the best must be strictly cheaper). And
/// a stretch the filter rules out is stepped over.
struct Search<'a, F> {
    costing: Costing<'a>,
    /// No candidate after this is considered.
    latest: WallTime,
    /// The caller's filter.
    allowed: F,
    /// The cheapest candidate so far, and its cost.
    best: Option<(WallTime, u64)>,
    /// Candidates in `[skip.0, skip.1)` are ruled out by the filter.
    skip: (WallTime, WallTime),
}

impl<F: FnMut(WallTime) -> Verdict> Search<'_, F> {
    /// Considers `from`, then the grid points from `first_grid` and the
    /// `extra` instants after `from`, in time order, up to the latest
    /// start or until no later candidate can win. `sorted`: `extra` comes
    /// in increasing order (otherwise every extra is considered).
    fn run(
        &mut self,
        from: WallTime,
        first_grid: WallTime,
        extra: impl Iterator<Item = WallTime>,
        sorted: bool,
    ) {
        let mut extras = extra.filter(|&at| at > from).peekable();
        let mut hopeless = self.consider(from) == Outcome::Hopeless;
        let mut at = first_grid;
        while at <= self.latest && !hopeless {
            while let Some(&early) = extras.peek() {
                if early >= at {
                    break;
                }
                hopeless = self.consider(early) == Outcome::Hopeless && sorted;
                extras.next();
                if hopeless {
                    break;
                }
            }
            if hopeless {
                break;
            }
            if extras.peek() == Some(&at) {
                extras.next();
            }
            if self.consider(at) == Outcome::Hopeless {
                // Later grid points wait longer still; extras not sorted
                // are each looked at below.
                hopeless = sorted;
                break;
            }
            at = self.next_grid_point(at);
            if at == WallTime::MAX {
                break;
            }
        }
        if !hopeless {
            for early in extras {
                if self.consider(early) == Outcome::Hopeless && sorted {
                    break;
                }
            }
        }
    }

    /// Costs the candidate `at`, keeping it if it is the cheapest so far.
    fn consider(&mut self, at: WallTime) -> Outcome {
        if at > self.latest || self.skipped(at) {
            return Outcome::Considered;
        }
        let delay = self.costing.delay(at);
        let floor = self.costing.floor;
        if self
            .best
            .is_some_and(|(_, best_cost)| floor + delay >= best_cost)
        {
            return Outcome::Hopeless;
        }
        if let Verdict::NotBefore(until) = (self.allowed)(at) {
            if until > at {
                self.skip = (at, until);
            }
            return Outcome::Considered;
        }
        let at_cost = u64::from(self.costing.risk(at)) + delay;
        if self.best.is_none_or(|(_, best_cost)| at_cost < best_cost) {
            self.best = Some((at, at_cost));
        }
        Outcome::Considered
    }

    /// Whether the filter ruled `at` out already.
    fn skipped(&self, at: WallTime) -> bool {
        let (skip_from, skip_until) = self.skip;
        skip_from <= at && at < skip_until
    }

    /// The grid point after `at`: the next one, or past a stretch the
    /// filter ruled out, in whole grid steps.
    fn next_grid_point(&self, at: WallTime) -> WallTime {
        let grid_s = PLAN_GRID_MINUTES * 60;
        if self.skipped(at) {
            let steps = self
                .skip
                .1
                .saturating_duration_since(at)
                .as_secs()
                .div_ceil(grid_s);
            at.saturating_add(Duration::from_secs(steps.saturating_mul(grid_s)))
        } else {
            at.saturating_add(Duration::from_secs(grid_s))
        }
    }
}

/// The minute-weighted mean of hourly `scores` over `minutes` minutes from
/// `start_minute` of the week, wrapping around the week.
pub fn span_mean(scores: &[u16; HOURS_PER_WEEK as usize], start_minute: u32, minutes: u64) -> u16 {
    let week = u64::from(HOURS_PER_WEEK) * 60;
    if minutes == 0 {
        return scores[((u64::from(start_minute) % week) / 60) as usize];
    }
    (span_sum(scores, u64::from(start_minute), minutes) / minutes) as u16
}

/// The sum of score times minutes over `minutes` minutes from
/// `start_minute` of the week, wrapping around the week.
fn span_sum(scores: &[u16; HOURS_PER_WEEK as usize], start_minute: u64, minutes: u64) -> u64 {
    span_sum_by(|hour| scores[hour], start_minute, minutes)
}

/// [`span_sum`] with the score of each hour of the week (`0..168`) from
/// `score`, asked only of the hours the span covers (of every hour when it
/// lasts a week or more).
fn span_sum_by(score: impl Fn(usize) -> u16, start_minute: u64, minutes: u64) -> u64 {
    let hours = usize::from(HOURS_PER_WEEK);
    let week = u64::from(HOURS_PER_WEEK) * 60;
    let whole_weeks = minutes / week;
    let mut sum = 0;
    if whole_weeks > 0 {
        let week_sum: u64 = (0..hours).map(|hour| u64::from(score(hour)) * 60).sum();
        sum = whole_weeks * week_sum;
    }
    let mut at = start_minute % week;
    let mut left = minutes % week;
    while left > 0 {
        let hour = (at / 60) as usize % hours;
        let take = (60 - at % 60).min(left);
        sum += u64::from(score(hour)) * take;
        left -= take;
        at = (at + take) % week;
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{busy, feed, monday, office};
    use super::super::{ActivityWeights, Bucket, HourSet, PatternConfig, HOURS_PER_DAY};
    use super::*;
    use crate::gate::Metrics;

    #[test]
    fn test_span_mean_weighs_minutes_and_wraps() {
        let mut scores = [0; 168];
        scores[167] = 1_000;
        // Sunday 23:30 for an hour: half in the busy hour, half in Monday 00.
        assert_eq!(span_mean(&scores, 167 * 60 + 30, 60), 500);
        assert_eq!(span_mean(&scores, 167 * 60, 0), 1_000);
        assert_eq!(span_mean(&scores, 0, 168 * 60 * 2), 1_000 / 168);
        let mut pattern = UsagePattern::default();
        feed(&mut pattern, monday(), 120, |minute| {
            if minute < 60 {
                busy()
            } else {
                Metrics::IDLE
            }
        });
        pattern.flush();
        let half_past = monday().saturating_add(Duration::from_minutes(30));
        assert_eq!(
            pattern.predicted_activity(half_past, UtcOffset::UTC, Duration::from_minutes(60)),
            308
        );
    }

    /// Plans a 30-minute update from `from` with a week of room and no
    /// restriction.
    fn plan(pattern: &UsagePattern, from: WallTime) -> PlannedStart {
        pattern
            .quietest_start(
                from,
                from.saturating_add(Duration::from_days(7)),
                Duration::from_minutes(30),
                UtcOffset::UTC,
                &[],
                |_| true,
            )
            .expect("a candidate")
    }

    #[test]
    fn test_empty_pattern_plans_for_the_fallback_night() {
        let pattern = UsagePattern::default();
        // Monday 10:00: the next night, 02:00-05:00.
        let from = monday().saturating_add(Duration::from_hours(10));
        let planned = plan(&pattern, from);
        let local = planned.start.to_local(UtcOffset::UTC);
        assert!(FALLBACK_NIGHT_HOURS.contains(&local.hour()), "{local}");
        assert_eq!(local.weekday(), crate::civil::Weekday::Tuesday);
        assert!(planned.fallback);
        assert_eq!(planned.activity_permille, UNKNOWN_NIGHT_PERMILLE);
    }

    #[test]
    fn test_learned_office_week_plans_in_the_middle_of_the_night() {
        let mut pattern = UsagePattern::default();
        feed(&mut pattern, monday(), 60 * 24 * 14 + 10 * 60, office);
        // Monday 10:00 of the third week, at work: not before the evening,
        // and far from both working days.
        let from = monday().saturating_add(Duration::from_hours(14 * 24 + 10));
        let planned = plan(&pattern, from);
        let local = planned.start.to_local(UtcOffset::UTC);
        assert!(!planned.fallback);
        assert!(planned.activity_permille < 60, "{planned:?}");
        assert!(
            local.hour() >= 22 || local.hour() < 4,
            "not near 18:00 or 08:00: {local}"
        );
    }

    #[test]
    fn test_plan_keeps_to_latest_and_allowed() {
        let mut pattern = UsagePattern::default();
        feed(&mut pattern, monday(), 60 * 24 * 14 + 10 * 60, office);
        let from = monday().saturating_add(Duration::from_hours(14 * 24 + 10));
        // No later than 13:00: the best of a busy morning is now or soon.
        let latest = from.saturating_add(Duration::from_hours(3));
        let planned = pattern
            .quietest_start(
                from,
                latest,
                Duration::from_minutes(30),
                UtcOffset::UTC,
                &[],
                |_| true,
            )
            .unwrap();
        assert!(planned.start <= latest);
        assert!(planned.activity_permille > 400, "{planned:?}");
        // Nothing allowed: no plan; latest before from: no plan.
        assert_eq!(
            pattern.quietest_start(
                from,
                latest,
                Duration::from_minutes(30),
                UtcOffset::UTC,
                &[],
                |_| false
            ),
            None
        );
        let earlier = from.saturating_sub(Duration::from_minutes(1));
        assert_eq!(
            pattern.quietest_start(
                from,
                earlier,
                Duration::from_minutes(30),
                UtcOffset::UTC,
                &[],
                |_| true
            ),
            None
        );
        // An extra candidate off the grid is considered in time order.
        let odd = from.saturating_add(Duration::from_minutes(7));
        let only_odd = pattern
            .quietest_start(
                from,
                latest,
                Duration::from_minutes(30),
                UtcOffset::UTC,
                &[odd],
                |at| at == odd,
            )
            .unwrap();
        assert_eq!(only_odd.start, odd);
    }

    #[test]
    fn test_surprise_keeps_plans_from_a_new_busy_hour() {
        let mut pattern = UsagePattern::default();
        feed(&mut pattern, monday(), 60 * 24 * 14, |_| Metrics::IDLE);
        // Quiet everywhere for two weeks: the plan goes now.
        let from = monday().saturating_add(Duration::from_days(14));
        assert_eq!(plan(&pattern, from).start, from);
        // Then one night busy 00:00-06:00 (a new night shift): the week
        // buckets have barely moved, the next night is avoided anyway.
        feed(&mut pattern, from, 6 * 60, |_| busy());
        feed(
            &mut pattern,
            from.saturating_add(Duration::from_hours(6)),
            6 * 60,
            |_| Metrics::IDLE,
        );
        let noon = from.saturating_add(Duration::from_hours(12));
        let planned = plan(&pattern, noon);
        let local = planned.start.to_local(UtcOffset::UTC);
        assert!((9..20).contains(&local.hour()), "{local}");
        // The estimate itself (one visit of six) moved only halfway.
        assert_eq!(pattern.score(3), 308);
    }

    /// The estimate of `hour` blended afresh, without the caches.
    fn fresh_estimate(pattern: &UsagePattern, hour: u8) -> Option<u16> {
        pattern
            .levels(hour)
            .map(|levels| Bucket::score_of(&levels, &pattern.config.weights))
    }

    /// The risk of `hour` computed afresh, without the caches.
    fn fresh_risk(pattern: &UsagePattern, hour: u8) -> Option<u16> {
        fresh_estimate(pattern, hour).map(|own| pattern.risk_from(hour, own))
    }

    /// Every hour of the week computed afresh, without the caches: the hours
    /// anything is known of, their risks and their estimates (unknown hours
    /// at their fallback assumption).
    fn fresh_week(
        pattern: &UsagePattern,
    ) -> (
        HourSet,
        [u16; HOURS_PER_WEEK as usize],
        [u16; HOURS_PER_WEEK as usize],
    ) {
        let mut known = HourSet::EMPTY;
        let mut risks = [0; HOURS_PER_WEEK as usize];
        let mut estimates = [0; HOURS_PER_WEEK as usize];
        for hour in 0..HOURS_PER_WEEK {
            let index = usize::from(hour);
            risks[index] = match fresh_risk(pattern, hour) {
                Some(risk) => {
                    known.insert(hour);
                    risk
                }
                None => unknown_permille(hour),
            };
            estimates[index] =
                fresh_estimate(pattern, hour).unwrap_or_else(|| unknown_permille(hour));
        }
        (known, risks, estimates)
    }

    /// `quietest_start` as it was before the caches and the shortcuts:
    /// every hour blended afresh, every candidate asked and costed by
    /// walking its hours.
    fn reference_plan(
        pattern: &UsagePattern,
        from: WallTime,
        latest: WallTime,
        duration: Duration,
        offset: UtcOffset,
        extra: &[WallTime],
        mut allowed: impl FnMut(WallTime) -> bool,
    ) -> Option<PlannedStart> {
        let latest = latest.min(from.saturating_add(PLAN_HORIZON));
        if latest < from {
            return None;
        }
        let (known, scores, estimates) = fresh_week(pattern);
        let minutes = duration.as_minutes().max(1);
        let week_minutes = u64::from(HOURS_PER_WEEK) * 60;
        let minute_of_week = |wall: WallTime| u64::from(wall.local_second_of_week(offset) / 60);
        let cost = |wall: WallTime| {
            let start = minute_of_week(wall);
            let span = span_sum(&scores, start, minutes) / minutes;
            let guard_start = start + week_minutes - PLAN_GUARD_MINUTES;
            let guard = span_sum(&scores, guard_start, PLAN_GUARD_MINUTES)
                + span_sum(&scores, start + minutes, PLAN_GUARD_MINUTES);
            let guard = guard / (2 * PLAN_GUARD_MINUTES) / PLAN_GUARD_DIVISOR;
            (span + guard).min(u64::from(u16::MAX)) as u16
        };
        let grid_s = PLAN_GRID_MINUTES * 60;
        let local_s = from.as_unix_secs() as i128 + i128::from(offset.as_seconds());
        let into_quarter = local_s.rem_euclid(i128::from(grid_s)) as u64;
        let first_grid = from.saturating_add(Duration::from_secs(grid_s - into_quarter));
        let room_minutes = latest.saturating_duration_since(from).as_minutes().max(1);
        let mut best: Option<(WallTime, u64)> = None;
        let mut consider = |at: WallTime| {
            if at > latest || !allowed(at) {
                return;
            }
            let waited = at.saturating_duration_since(from).as_minutes();
            let delay = waited * u64::from(PLAN_DELAY_PERMILLE_PER_DAY) / 1_440
                + waited * u64::from(PLAN_SLACK_PERMILLE) / room_minutes;
            let at_cost = u64::from(cost(at)) + delay;
            if best.is_none_or(|(_, best_cost)| at_cost < best_cost) {
                best = Some((at, at_cost));
            }
        };
        let mut extras = extra.iter().copied().filter(|&at| at > from).peekable();
        consider(from);
        let mut at = first_grid;
        while at <= latest {
            while let Some(&early) = extras.peek() {
                if early >= at {
                    break;
                }
                consider(early);
                extras.next();
            }
            if extras.peek() == Some(&at) {
                extras.next();
            }
            consider(at);
            at = at.saturating_add(Duration::from_secs(grid_s));
            if at == WallTime::MAX {
                break;
            }
        }
        extras.for_each(&mut consider);
        let (start, _) = best?;
        let first_minute = minute_of_week(start);
        let first_hour = first_minute / 60;
        let last_hour = (first_minute + minutes - 1) / 60;
        let fallback = (first_hour..=last_hour)
            .all(|hour| !known.contains((hour % u64::from(HOURS_PER_WEEK)) as u8));
        Some(PlannedStart {
            start,
            activity_permille: span_mean(&estimates, first_minute as u32, minutes),
            fallback,
        })
    }

    /// Asserts that the cached estimates and risks are what the buckets
    /// give afresh.
    fn assert_caches_fresh(pattern: &UsagePattern) {
        let mut without_visit = pattern.clone();
        without_visit.visit = None;
        let mut lowest = u16::MAX;
        let mut lowest_at = [u16::MAX; HOURS_PER_DAY];
        for hour in 0..HOURS_PER_WEEK {
            let index = usize::from(hour);
            assert_eq!(
                pattern.cached_estimate(hour),
                fresh_estimate(&without_visit, hour),
                "estimate of hour {hour}"
            );
            let risk = fresh_risk(&without_visit, hour).unwrap_or_else(|| unknown_permille(hour));
            let cached = pattern.risk_before[index + 1] - pattern.risk_before[index];
            assert_eq!(cached, u32::from(risk) * 60, "risk of hour {hour}");
            lowest = lowest.min(risk);
            lowest_at[index % 24] = lowest_at[index % 24].min(risk);
            assert_eq!(pattern.estimate(hour), fresh_estimate(pattern, hour));
        }
        assert_eq!(pattern.risk_before[0], 0);
        assert_eq!(pattern.lowest_risk_at, lowest_at);
        assert_eq!(pattern.lowest_risk, lowest);
    }

    #[test]
    fn test_empty_pattern_caches_are_fresh() {
        assert_caches_fresh(&UsagePattern::default());
    }

    /// Minute of the day (local) a daily test window opens at, and its
    /// length: the filter the plan comparisons use.
    fn daily_window(offset: UtcOffset, open: u16, length: u16) -> impl Fn(WallTime) -> bool {
        move |at: WallTime| {
            let minute = (at.local_second_of_week(offset) / 60 % 1_440) as u16;
            (minute + 1_440 - open) % 1_440 < length
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

        /// The caches, the running sums and the shortcuts change no
        /// plan: any pattern (samples at irregular gaps, a change of
        /// settings on the way), any planning question, the same answer
        /// as trying every candidate the old way.
        #[test]
        fn test_plans_match_the_plain_search(
            samples in proptest::collection::vec(
                (1u64..=40, 0u16..=1_000, 0u16..=3, 0u32..=30_000), 0..700),
            settings_change in proptest::option::of(0usize..700),
            start_minutes in 0u64..20_160,
            offset_minutes in -720i16..=840,
            ahead_minutes in 0u64..=120,
            room_minutes in 0u64..=12_000,
            duration_minutes in 0u64..=1_200,
            extra_minutes in proptest::collection::vec(0u64..=11_000, 0..6),
            window in proptest::option::of((0u16..1_440, 1u16..=1_440)),
            odd_seconds in 0u64..60,
        ) {
            let offset = UtcOffset::from_minutes(offset_minutes).unwrap();
            let mut pattern = UsagePattern::default();
            let mut wall = monday().saturating_add(Duration::from_minutes(start_minutes));
            for (index, &(gap, cpu, sessions, disk)) in samples.iter().enumerate() {
                if settings_change == Some(index) {
                    pattern.set_config(PatternConfig {
                        weights: ActivityWeights { cpu: 2, memory: 0, disk: 3, network: 1, sessions: 4 },
                        half_life_minutes: 40,
                        ..PatternConfig::DEFAULT
                    });
                }
                wall = wall.saturating_add(Duration::from_minutes(gap));
                let metrics = Metrics {
                    cpu_permille: cpu,
                    sessions,
                    disk_kib_s: disk,
                    ..Metrics::IDLE
                };
                pattern.observe(wall, offset, &metrics);
            }
            assert_caches_fresh(&pattern);
            let from = wall.saturating_add(Duration::from_secs(ahead_minutes * 60 + odd_seconds));
            let latest = from.saturating_add(Duration::from_minutes(room_minutes));
            let duration = Duration::from_minutes(duration_minutes);
            let mut extra: std::vec::Vec<WallTime> = extra_minutes
                .iter()
                .map(|&minutes| from.saturating_add(Duration::from_minutes(minutes)))
                .collect();
            let allowed: std::boxed::Box<dyn Fn(WallTime) -> bool> = match window {
                Some((open, length)) => std::boxed::Box::new(daily_window(offset, open, length)),
                None => std::boxed::Box::new(|_| true),
            };
            // Unsorted extras, as given.
            let expected = reference_plan(&pattern, from, latest, duration, offset, &extra, &allowed);
            let planned = pattern.quietest_start(from, latest, duration, offset, &extra, &allowed);
            proptest::prop_assert_eq!(planned, expected);
            // Sorted extras, through the skipping filter: a closed window
            // rules out every candidate until it opens.
            extra.sort();
            let expected = reference_plan(&pattern, from, latest, duration, offset, &extra, &allowed);
            let planned = pattern.quietest_start_skipping(
                from,
                latest,
                duration,
                offset,
                extra.iter().copied(),
                |at| {
                    if allowed(at) {
                        return Verdict::Allowed;
                    }
                    // The next minute the filter allows, if any within a day.
                    let whole = at.saturating_add(Duration::from_secs(60 - at.as_unix_secs() % 60));
                    (0..1_440)
                        .map(|minute| whole.saturating_add(Duration::from_minutes(minute)))
                        .find(|&next| allowed(next))
                        .map_or(Verdict::NotBefore(at), Verdict::NotBefore)
                },
            );
            proptest::prop_assert_eq!(planned, expected);
        }
    }
}
