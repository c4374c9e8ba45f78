//! Learning: samples folded into the buckets, the caches kept up to date,
//! and what the pattern says of each hour.

use super::{
    local_hour, span_mean, unknown_permille, ActivityWeights, HourSet, UsagePattern,
    FIRST_SAMPLE_SPAN_S, FULL_BUCKET_S, HOURS_PER_DAY, HOURS_PER_WEEK, IO_FULL_SCALE_KIB_S, LEVELS,
    LEVEL_SCALE, MAX_SAMPLE_SPAN_S, NO_ESTIMATE, POOL_HALF_LIFE_DAYS, SECONDS_PER_HOUR,
    SESSIONS_CAP,
};
use crate::civil::{UtcOffset, WallTime};
use crate::gate::Metrics;
use crate::time::Duration;

/// One moving average of the five levels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Bucket {
    /// Levels in sixteenths of a per mille: CPU, memory, disk, network,
    /// sessions (thousandths of a session).
    levels: [u16; LEVELS],
    /// Seconds of samples seen, saturating at 18 hours.
    seen_s: u16,
    /// Samples seen, saturating.
    samples: u16,
}

impl Bucket {
    /// A bucket that has seen nothing.
    pub(super) const EMPTY: Bucket = Bucket {
        levels: [0; LEVELS],
        seen_s: 0,
        samples: 0,
    };

    /// Folds in a visit with mean `levels` (same scale) covering
    /// `covered_s` seconds; the old value weighs `cap_s / (cap_s +
    /// covered_s)` once the bucket has seen `cap_s` seconds.
    fn fold(&mut self, levels: [u32; LEVELS], covered_s: u32, samples: u16, cap_s: u32) {
        let old = u32::from(self.seen_s).min(cap_s);
        let total = old + covered_s;
        if total == 0 {
            return;
        }
        for (level, new) in self.levels.iter_mut().zip(levels) {
            let mixed = (u64::from(*level) * u64::from(old)
                + u64::from(new) * u64::from(covered_s)
                + u64::from(total) / 2)
                / u64::from(total);
            *level = mixed.min(u64::from(u16::MAX)) as u16;
        }
        self.seen_s = self
            .seen_s
            .saturating_add(covered_s.min(u32::from(u16::MAX)) as u16);
        self.samples = self.samples.saturating_add(samples);
    }

    /// The activity score of `levels` (sixteenths of a per mille), per mille.
    pub(super) fn score_of(levels: &[u32; LEVELS], weights: &ActivityWeights) -> u16 {
        let total = weights.total();
        if total == 0 {
            return 0;
        }
        let cap = 1_000 * LEVEL_SCALE;
        let sum: u64 = levels
            .iter()
            .zip(weights.as_array())
            .map(|(&level, weight)| u64::from(level.min(cap)) * u64::from(weight))
            .sum();
        (sum / (u64::from(total) * u64::from(LEVEL_SCALE))).min(1_000) as u16
    }

    fn levels_u32(&self) -> [u32; LEVELS] {
        self.levels.map(u32::from)
    }
}

/// A moving average of how much busier than predicted an hour of the day
/// turned out, per mille.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Surprise {
    permille: u16,
    /// Seconds of visits seen, saturating at 18 hours.
    seen_s: u16,
}

impl Surprise {
    /// No surprise yet.
    pub(super) const NONE: Surprise = Surprise {
        permille: 0,
        seen_s: 0,
    };

    /// Folds in a visit `covered_s` long that was `permille` busier than
    /// predicted; the old value weighs `cap_s / (cap_s + covered_s)`.
    fn fold(&mut self, permille: u16, covered_s: u32, cap_s: u32) {
        let old = u32::from(self.seen_s).min(cap_s);
        let total = old + covered_s;
        if total == 0 {
            return;
        }
        let mixed = (u32::from(self.permille) * old + u32::from(permille) * covered_s) / total;
        self.permille = mixed.min(1_000) as u16;
        self.seen_s = self
            .seen_s
            .saturating_add(covered_s.min(u32::from(u16::MAX)) as u16);
    }
}

/// The samples of the local hour in progress, averaged before they are
/// folded into their buckets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Visit {
    /// Local hours since 1970-01-01 00:00 local time.
    hour: u64,
    /// Sum of level (per mille, sessions in thousandths) times seconds.
    sums: [u32; LEVELS],
    /// Seconds covered.
    covered_s: u32,
    /// Samples taken.
    samples: u16,
}

impl Visit {
    /// The visit's mean levels, in sixteenths of a per mille.
    fn mean(&self) -> [u32; LEVELS] {
        let covered = u64::from(self.covered_s.max(1));
        self.sums
            .map(|sum| (u64::from(sum) * u64::from(LEVEL_SCALE) / covered) as u32)
    }

    pub(super) fn hour_of_week(&self) -> u8 {
        // 1970-01-01 was a Thursday, 72 hours after the Monday that
        // starts its week.
        ((self.hour + 72) % u64::from(HOURS_PER_WEEK)) as u8
    }
}

/// The levels of one sample, per mille (sessions in thousandths, capped).
fn sample_levels(metrics: &Metrics) -> [u32; LEVELS] {
    let io = |kib_s: u32| (u64::from(kib_s) * 1_000 / u64::from(IO_FULL_SCALE_KIB_S)).min(1_000);
    [
        u32::from(metrics.cpu_permille.min(1_000)),
        u32::from(metrics.memory_permille.min(1_000)),
        io(metrics.disk_kib_s) as u32,
        io(metrics.network_kib_s) as u32,
        u32::from(metrics.sessions.min(SESSIONS_CAP)) * 1_000,
    ]
}

impl UsagePattern {
    /// Brings the cached estimates and risks up to date after the buckets
    /// of `folded` (an hour of the week) changed, or after the settings did
    /// (`None`): every hour of the day of `folded` is computed again (its
    /// pool and surprise changed), the others are kept.
    pub(super) fn refresh(&mut self, folded: Option<u8>) {
        match folded {
            None => {
                let mut sum = 0;
                self.lowest_risk_at = [u16::MAX; HOURS_PER_DAY];
                for hour in 0..HOURS_PER_WEEK {
                    let risk = self.refresh_hour(hour, false);
                    sum += u32::from(risk) * 60;
                    self.risk_before[usize::from(hour) + 1] = sum;
                    let lowest = &mut self.lowest_risk_at[usize::from(hour % 24)];
                    *lowest = (*lowest).min(risk);
                }
            }
            Some(folded) => {
                // Seven hours change: shift the running sums after each by
                // the changes so far. The sums stay below 2^32, so wrapping
                // arithmetic on the changes is exact.
                let mut shift = 0u32;
                let mut lowest = u16::MAX;
                let mut hour = folded % 24;
                while hour < HOURS_PER_WEEK {
                    let index = usize::from(hour);
                    // The sum before this hour is shifted already, the one
                    // after it not yet.
                    let old = self.risk_before[index + 1]
                        .wrapping_sub(self.risk_before[index])
                        .wrapping_add(shift);
                    let risk = self.refresh_hour(hour, hour != folded);
                    lowest = lowest.min(risk);
                    shift = shift.wrapping_add(u32::from(risk) * 60).wrapping_sub(old);
                    let next = (index + 24).min(usize::from(HOURS_PER_WEEK));
                    for before in &mut self.risk_before[index + 1..=next] {
                        *before = before.wrapping_add(shift);
                    }
                    hour += 24;
                }
                self.lowest_risk_at[usize::from(folded % 24)] = lowest;
            }
        }
        self.lowest_risk = self.lowest_risk_at.iter().copied().min().unwrap_or(0);
    }

    /// Computes the cached estimate of `hour_of_week` again and returns
    /// its risk (its fallback assumption while unknown). `same_bucket`:
    /// its own bucket has not changed since the estimate was cached.
    fn refresh_hour(&mut self, hour_of_week: u8, same_bucket: bool) -> u16 {
        let index = usize::from(hour_of_week);
        // A bucket that has seen a full hour does not borrow from its
        // pool: its estimate is its own levels'.
        let full = u32::from(self.week[index].seen_s) >= FULL_BUCKET_S;
        let estimate = if same_bucket && full {
            self.cached_estimate(hour_of_week)
        } else {
            self.folded_estimate(hour_of_week)
        };
        self.estimates[index] = estimate.unwrap_or(NO_ESTIMATE);
        match estimate {
            Some(own) => self.risk_from(hour_of_week, own),
            None => unknown_permille(hour_of_week),
        }
    }

    /// The cached estimate of `hour_of_week` (below 168): the hour
    /// in progress left out.
    #[inline]
    pub(super) fn cached_estimate(&self, hour_of_week: u8) -> Option<u16> {
        let estimate = self.estimates[usize::from(hour_of_week)];
        (estimate != NO_ESTIMATE).then_some(estimate)
    }

    /// Feeds one sample taken at `wall`, on a local clock set to `offset`.
    ///
    /// The sample stands for the time since the previous one (at most 15
    /// minutes, at least one second), so the caller may sample at any
    /// regular or irregular pace; once a minute is the intended one.
    pub fn observe(&mut self, wall: WallTime, offset: UtcOffset, metrics: &Metrics) {
        let span_s = match self.last_sample {
            Some(last) => wall
                .as_unix_secs()
                .saturating_sub(last.as_unix_secs())
                .clamp(1, MAX_SAMPLE_SPAN_S),
            None => FIRST_SAMPLE_SPAN_S,
        };
        self.last_sample = Some(wall);
        let hour = local_hour(wall, offset);
        if self.visit.is_some_and(|visit| visit.hour != hour) {
            self.fold_visit();
        }
        let visit = self.visit.get_or_insert(Visit {
            hour,
            ..Visit::default()
        });
        // At most 3600 + 900 seconds per visit times 4000 per mille fits a
        // u32 with room to spare.
        let span = span_s as u32;
        let room = (SECONDS_PER_HOUR as u32 + MAX_SAMPLE_SPAN_S as u32)
            .saturating_sub(visit.covered_s)
            .min(span);
        for (sum, level) in visit.sums.iter_mut().zip(sample_levels(metrics)) {
            *sum += level * room;
        }
        visit.covered_s += room;
        visit.samples = visit.samples.saturating_add(1);
    }

    /// Folds the hour in progress into its buckets now, as if the hour had
    /// ended (the next sample would do it anyway).
    pub fn flush(&mut self) {
        self.fold_visit();
    }

    fn fold_visit(&mut self) {
        let Some(visit) = self.visit.take() else {
            return;
        };
        if visit.covered_s == 0 {
            return;
        }
        let mean = visit.mean();
        let half_life_s = u32::from(self.config.half_life_minutes) * 60;
        let hour = visit.hour_of_week();
        // Compare with what the pattern predicted before it learns from
        // the visit (taken out above, so not counted in the estimate):
        // the surprise is what the week buckets did not know.
        if let Some(predicted) = self.estimate(hour) {
            let seen = Bucket::score_of(&mean, &self.config.weights);
            self.surprise[usize::from(hour % 24)].fold(
                seen.saturating_sub(predicted),
                visit.covered_s,
                half_life_s,
            );
        }
        self.week[usize::from(hour)].fold(mean, visit.covered_s, visit.samples, half_life_s);
        // Seven visits a week: seven times the half-life fades the pool at
        // the same calendar pace as the week buckets.
        self.day[usize::from(hour % 24)].fold(
            mean,
            visit.covered_s,
            visit.samples,
            half_life_s * POOL_HALF_LIFE_DAYS,
        );
        self.generation = self.generation.wrapping_add(1);
        // The week bucket, the pool and the surprise of this hour of the
        // day changed: so did the seven hours of the week at that hour.
        self.refresh(Some(hour));
    }

    /// A number that changes whenever a bucket changes (once per local
    /// hour while samples come in), so a caller can cache what it derives.
    #[inline]
    pub const fn generation(&self) -> u32 {
        self.generation
    }

    /// The hour in progress, if it is `hour_of_week` (taken modulo a
    /// week).
    fn visit_at(&self, hour_of_week: u8) -> Option<&Visit> {
        let hour = hour_of_week % HOURS_PER_WEEK;
        self.visit
            .as_ref()
            .filter(|visit| visit.hour_of_week() == hour)
    }

    /// The blended levels of `hour_of_week`, if anything is known of it.
    pub(super) fn levels(&self, hour_of_week: u8) -> Option<[u32; LEVELS]> {
        self.blend(hour_of_week, self.visit_at(hour_of_week))
    }

    /// The levels of `hour_of_week` blended from its buckets and, when
    /// given, the hour in progress (which must be that hour).
    fn blend(&self, hour_of_week: u8, visit: Option<&Visit>) -> Option<[u32; LEVELS]> {
        let hour = usize::from(hour_of_week % HOURS_PER_WEEK);
        let own = &self.week[hour];
        let pool = &self.day[hour % 24];
        let mut own_levels = own.levels_u32();
        let mut own_s = u32::from(own.seen_s);
        // The hour in progress counts as already folded.
        if let Some(visit) = visit {
            let old = own_s.min(u32::from(self.config.half_life_minutes) * 60);
            let total = old + visit.covered_s;
            if total > 0 {
                let mean = visit.mean();
                for (level, new) in own_levels.iter_mut().zip(mean) {
                    *level = ((u64::from(*level) * u64::from(old)
                        + u64::from(new) * u64::from(visit.covered_s))
                        / u64::from(total)) as u32;
                }
            }
            own_s += visit.covered_s;
        }
        let own_weight = own_s.min(FULL_BUCKET_S);
        let pool_weight = FULL_BUCKET_S
            .saturating_sub(own_weight)
            .min(u32::from(pool.seen_s));
        let total = own_weight + pool_weight;
        if total == 0 {
            return None;
        }
        let pool_levels = pool.levels_u32();
        let mut blended = [0; LEVELS];
        for ((out, own), pool) in blended.iter_mut().zip(own_levels).zip(pool_levels) {
            *out = ((u64::from(own) * u64::from(own_weight)
                + u64::from(pool) * u64::from(pool_weight))
                / u64::from(total)) as u32;
        }
        Some(blended)
    }

    /// The activity score of `hour_of_week` (0 = Monday 00:00 local), per
    /// mille, or `None` while neither the hour nor its hour of the day has
    /// seen a sample.
    pub fn estimate(&self, hour_of_week: u8) -> Option<u16> {
        match self.visit_at(hour_of_week) {
            Some(visit) => self.score_blend(hour_of_week, Some(visit)),
            None => self.cached_estimate(hour_of_week % HOURS_PER_WEEK),
        }
    }

    /// The estimate of `hour_of_week` from its folded buckets alone.
    fn folded_estimate(&self, hour_of_week: u8) -> Option<u16> {
        self.score_blend(hour_of_week, None)
    }

    fn score_blend(&self, hour_of_week: u8, visit: Option<&Visit>) -> Option<u16> {
        self.blend(hour_of_week, visit)
            .map(|levels| Bucket::score_of(&levels, &self.config.weights))
    }

    /// What a plan assumes of `hour_of_week`: its estimate, plus half of
    /// what its hour of the day scores above it on the other days, plus
    /// the recent surprise at that hour of the day.
    ///
    /// The first addition makes plans wary of hours that are quiet on
    /// this weekday so far but busy on others: a bucket has seen few
    /// visits, and the rarer visitors (work from home on some weekdays)
    /// show in the pool first. The second keeps plans away from hours the
    /// last days were busier than predicted at (a new habit, a rare
    /// visitor) until the week buckets have caught up and it has faded.
    ///
    /// `own` is the hour's estimate.
    pub(super) fn risk_from(&self, hour_of_week: u8, own: u16) -> u16 {
        let hour = usize::from(hour_of_week % HOURS_PER_WEEK) % HOURS_PER_DAY;
        let pool = &self.day[hour];
        let elsewhere = if pool.seen_s == 0 {
            0
        } else {
            Bucket::score_of(&pool.levels_u32(), &self.config.weights).saturating_sub(own) / 2
        };
        own.saturating_add(elsewhere)
            .saturating_add(self.surprise[hour].permille)
            .min(1_000)
    }

    /// The activity score of `hour_of_week`, per mille; 0 for an hour
    /// nothing is known of (see [`UsagePattern::estimate`] and
    /// [`UsagePattern::samples`] to tell).
    pub fn score(&self, hour_of_week: u8) -> u16 {
        self.estimate(hour_of_week).unwrap_or(0)
    }

    /// The mean CPU busy share learned for `hour_of_week`, per mille.
    pub fn cpu_permille(&self, hour_of_week: u8) -> u16 {
        self.level(hour_of_week, 0)
    }

    /// The mean memory use learned for `hour_of_week`, per mille.
    pub fn memory_permille(&self, hour_of_week: u8) -> u16 {
        self.level(hour_of_week, 1)
    }

    /// The mean number of active sessions learned for `hour_of_week`, in
    /// thousandths (capped at [`SESSIONS_CAP`] sessions).
    pub fn sessions_milli(&self, hour_of_week: u8) -> u16 {
        self.level(hour_of_week, 4)
    }

    fn level(&self, hour_of_week: u8, index: usize) -> u16 {
        self.levels(hour_of_week)
            .map_or(0, |levels| (levels[index] / LEVEL_SCALE) as u16)
    }

    /// Samples `hour_of_week`'s own bucket has seen (saturating at 65 535),
    /// the hour in progress included: the confidence in that hour.
    pub fn samples(&self, hour_of_week: u8) -> u32 {
        let hour = hour_of_week % HOURS_PER_WEEK;
        let pending = self
            .visit
            .filter(|visit| visit.hour_of_week() == hour)
            .map_or(0, |visit| u32::from(visit.samples));
        u32::from(self.week[usize::from(hour)].samples) + pending
    }

    /// Whether every hour of the day has seen at least
    /// [`PatternConfig::confident_after_minutes`](super::PatternConfig::confident_after_minutes) of samples (folded), so
    /// that a plan over any day rests on observations.
    pub fn is_confident(&self) -> bool {
        let needed = u32::from(self.config.confident_after_minutes) * 60;
        self.day
            .iter()
            .all(|bucket| u32::from(bucket.seen_s) >= needed)
    }

    /// Hours of the week whose score is below the idle threshold (hours
    /// nothing is known of are in neither set).
    pub fn idle_hours(&self) -> HourSet {
        self.hours_where(|score| score < self.config.idle_below_permille)
    }

    /// Hours of the week whose score is at or above the peak threshold.
    pub fn peak_hours(&self) -> HourSet {
        self.hours_where(|score| score >= self.config.peak_from_permille)
    }

    fn hours_where(&self, keep: impl Fn(u16) -> bool) -> HourSet {
        let mut set = HourSet::EMPTY;
        for hour in 0..HOURS_PER_WEEK {
            if self.estimate(hour).is_some_and(&keep) {
                set.insert(hour);
            }
        }
        set
    }

    /// The scores of the whole week, `unknown` standing in for hours
    /// nothing is known of.
    pub fn scores(&self, unknown: impl Fn(u8) -> u16) -> [u16; HOURS_PER_WEEK as usize] {
        let mut scores = [0; HOURS_PER_WEEK as usize];
        for (hour, score) in (0..HOURS_PER_WEEK).zip(scores.iter_mut()) {
            *score = self.estimate(hour).unwrap_or_else(|| unknown(hour));
        }
        scores
    }

    /// The mean score over `[from, from + duration)` on a local clock set
    /// to `offset`, per mille, weighting each hour by the minutes of the
    /// span inside it; hours nothing is known of count as 0. A zero
    /// duration gives the score of `from`'s hour.
    pub fn predicted_activity(&self, from: WallTime, offset: UtcOffset, duration: Duration) -> u16 {
        let scores = self.scores(|_| 0);
        span_mean(
            &scores,
            from.local_second_of_week(offset) / 60,
            duration.as_minutes(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{busy, feed, monday, office};
    use super::super::PatternConfig;
    use super::*;

    #[test]
    fn test_empty_pattern_knows_nothing() {
        let pattern = UsagePattern::default();
        assert_eq!(pattern.estimate(0), None);
        assert_eq!(pattern.score(0), 0);
        assert_eq!(pattern.samples(0), 0);
        assert!(!pattern.is_confident());
        assert!(pattern.idle_hours().is_empty());
        assert!(pattern.peak_hours().is_empty());
    }

    #[test]
    fn test_constant_samples_converge_to_their_score() {
        let mut pattern = UsagePattern::default();
        feed(&mut pattern, monday(), 60 * 24 * 14, |_| busy());
        // (4 * 600 + 5 * 1000) / 12 = 616.
        assert_eq!(pattern.score(10), 616);
        assert_eq!(pattern.cpu_permille(10), 600);
        assert_eq!(pattern.sessions_milli(10), 1_000);
        assert_eq!(pattern.samples(10), 120);
        assert!(pattern.is_confident());
        assert_eq!(pattern.peak_hours().len(), 168);
    }

    #[test]
    fn test_weights_shape_the_score() {
        let mut pattern = UsagePattern::new(PatternConfig {
            weights: ActivityWeights {
                cpu: 1,
                memory: 0,
                disk: 0,
                network: 0,
                sessions: 0,
            },
            ..PatternConfig::DEFAULT
        });
        let metrics = Metrics {
            cpu_permille: 250,
            memory_permille: 900,
            disk_kib_s: IO_FULL_SCALE_KIB_S,
            sessions: 3,
            ..Metrics::IDLE
        };
        feed(&mut pattern, monday(), 60, |_| metrics);
        assert_eq!(pattern.score(0), 250);
        let mut config = *pattern.config();
        config.weights = ActivityWeights {
            cpu: 0,
            memory: 1,
            disk: 1,
            network: 0,
            sessions: 2,
        };
        pattern.set_config(config);
        // (900 + 1000 + 2 * 1000 (capped at one session)) / 4.
        assert_eq!(pattern.score(0), 975);
        assert!(!ActivityWeights {
            cpu: 0,
            memory: 0,
            disk: 0,
            network: 0,
            sessions: 0
        }
        .is_valid());
    }

    #[test]
    fn test_half_busy_hour_scores_half_whichever_half() {
        let mut early = UsagePattern::default();
        let mut late = UsagePattern::default();
        feed(&mut early, monday(), 120, |minute| {
            if minute < 30 {
                busy()
            } else {
                Metrics::IDLE
            }
        });
        feed(&mut late, monday(), 120, |minute| {
            if (30..60).contains(&minute) {
                busy()
            } else {
                Metrics::IDLE
            }
        });
        assert_eq!(early.score(0), 308);
        assert_eq!(late.score(0), 308);
    }

    #[test]
    fn test_new_habit_takes_over_within_about_a_week() {
        let mut pattern = UsagePattern::default();
        // Four weeks busy at every hour, then quiet.
        feed(&mut pattern, monday(), 60 * 24 * 28, |_| busy());
        let quiet_from = monday().saturating_add(Duration::from_days(28));
        feed(&mut pattern, quiet_from, 60 * 24 * 7 + 1, |_| Metrics::IDLE);
        // One week of the new habit: the old one weighs half.
        assert_eq!(pattern.score(50), 308);
        let second = quiet_from.saturating_add(Duration::from_days(7));
        feed(&mut pattern, second, 60 * 24 * 7 + 1, |_| Metrics::IDLE);
        assert_eq!(pattern.score(50), 154);
        assert!(!pattern.idle_hours().contains(50));
        let third = second.saturating_add(Duration::from_days(7));
        feed(&mut pattern, third, 60 * 24 * 7 + 1, |_| Metrics::IDLE);
        assert_eq!(pattern.score(50), 77);
        assert!(pattern.idle_hours().contains(50));
    }

    #[test]
    fn test_irregular_samples_weigh_by_time() {
        let mut pattern = UsagePattern::default();
        let start = monday();
        // 50 minutes busy in one sample every 10 minutes, then 10 quiet
        // minutes in ten samples: five sixths of the hour busy.
        for step in 0..6 {
            pattern.observe(
                start.saturating_add(Duration::from_minutes(step * 10)),
                UtcOffset::UTC,
                &busy(),
            );
        }
        for minute in 51..60 {
            pattern.observe(
                start.saturating_add(Duration::from_minutes(minute)),
                UtcOffset::UTC,
                &Metrics::IDLE,
            );
        }
        pattern.flush();
        // The first sample stands for a minute: 51 busy minutes, 9 quiet,
        // so 7400 / 12 * 51 / 60 = 524.
        assert_eq!(pattern.score(0), 524);
    }

    #[test]
    fn test_office_week_gives_idle_and_peak_hours() {
        let mut pattern = UsagePattern::default();
        feed(&mut pattern, monday(), 60 * 24 * 7 + 1, office);
        let idle = pattern.idle_hours();
        let peak = pattern.peak_hours();
        assert_eq!(idle.len(), 168 - 50);
        assert_eq!(peak.len(), 50);
        assert!(peak.contains(8) && peak.contains(17) && !peak.contains(18));
        assert!(idle.contains(5 * 24 + 10), "Saturday 10:00 is idle");
        assert_eq!(peak.iter().next(), Some(8));
        assert_eq!(
            std::format!("{:?}", peak).split(", ").next(),
            Some("{Mon 08-17")
        );
    }

    #[test]
    fn test_young_bucket_borrows_from_its_hour_of_day() {
        let mut pattern = UsagePattern::default();
        // Monday busy all day: Tuesday 10:00 has no samples of its own yet.
        feed(&mut pattern, monday(), 60 * 24 + 1, |_| busy());
        assert!(pattern.is_confident());
        assert_eq!(pattern.samples(24 + 10), 0);
        assert_eq!(pattern.estimate(24 + 10), Some(616));
        // Quiet from Tuesday 00:01 to 10:30: half an hour of its own quiet
        // samples, and it is half and half.
        let tuesday = monday().saturating_add(Duration::from_minutes(24 * 60 + 1));
        feed(&mut pattern, tuesday, 10 * 60 + 29, |_| Metrics::IDLE);
        assert_eq!(pattern.estimate(24 + 10), Some(308));
    }
}
