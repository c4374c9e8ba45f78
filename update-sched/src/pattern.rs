//! Usage patterns: what the machine is usually doing at each hour of the
//! week, learned one sample at a time.
//!
//! # Buckets
//!
//! The week has 168 local hours, Monday 00:00 first. Each hour of the week
//! is a bucket holding a moving average of five levels, all kept in
//! sixteenths of a per mille: CPU busy, memory in use, disk and network
//! I/O (as a share of [`IO_FULL_SCALE_KIB_S`]) and active sessions (in
//! thousandths of a session, capped at [`SESSIONS_CAP`]). Beside them, 24
//! hour-of-the-day buckets pool every day of the week: they fill in seven
//! times faster, and stand in for an hour of the week that has not been
//! seen for a whole hour yet.
//!
//! # Samples and visits
//!
//! A sample counts for the time since the previous one (at most
//! [`MAX_SAMPLE_SPAN_S`], at least a second; the first counts for a
//! minute), so irregular sampling weighs every minute alike. Samples that
//! fall in the same local hour form a *visit*: they are averaged plainly,
//! and when the hour is over the visit's mean is folded into its bucket.
//! Averaging first means an hour that was busy for its first half weighs
//! as half busy, whichever half it was.
//!
//! # Fading
//!
//! Folding a visit that covered `c` seconds gives the old value the weight
//! `H / (H + c)`, where `H` is the half-life in bucket time
//! ([`PatternConfig::half_life_minutes`], one hour by default): a full
//! hour of new samples halves the weight of everything the bucket knew
//! before. An hour-of-week bucket is visited once a week, so its half-life
//! is one week of calendar time; after two weeks of a new habit the old one
//! weighs a quarter, after three an eighth. One week is the shortest
//! memory that still keeps more than the last visit (a single odd Tuesday
//! does not rewrite Tuesdays), and it lets a changed routine take over
//! within one to two weeks, as the product brief asks ("within about a
//! week"). The hour-of-day pool is visited daily and uses three times the
//! half-life: it forgets in about three days, so that it reflects the
//! recent days of every kind rather than last week's habits.
//!
//! # Score
//!
//! A bucket's activity score (per mille) is the weighted mean of its five
//! levels with [`ActivityWeights`]; sessions count at most one session's
//! worth (1000 per mille). Until an hour-of-week bucket has seen a full
//! hour of samples, its score is blended with its hour-of-day pool in
//! proportion to the time each has seen, so that a young bucket borrows
//! from the same hour on other days instead of guessing. Idle hours score
//! below [`PatternConfig::idle_below_permille`], peak hours at least
//! [`PatternConfig::peak_from_permille`]; hours nothing is known of are
//! neither.
//!
//! # Planning
//!
//! [`UsagePattern::quietest_start`] chooses a start on a quarter-hour grid
//! by a cost that is deliberately more cautious than the score:
//!
//! - each hour counts with its *risk*: its score, plus half of what its
//!   hour of the day scores above it on average (the pool has seen every
//!   day, so it knows the rarer visitors a young weekday bucket missed),
//!   plus the recent *surprise* at that hour of the day (how much busier
//!   than predicted the last visits were, a moving average that forgets in
//!   about a day): a new habit shows there after one day, a week before
//!   the week buckets have caught up;
//! - the update's span counts in full, and the [`PLAN_GUARD_MINUTES`]
//!   before and after it at half weight, because people do not keep to
//!   the hour: the middle of a long quiet stretch beats its edge;
//! - waiting costs [`PLAN_DELAY_PERMILLE_PER_DAY`] per day, and using up
//!   the room before the deadline costs up to [`PLAN_SLACK_PERMILLE`], so
//!   a plan keeps time for a second chance.
//!
//! Hours nothing is known of count as [`UNKNOWN_NIGHT_PERMILLE`] inside
//! the fallback night ([`FALLBACK_NIGHT_HOURS`]) and
//! [`UNKNOWN_DAY_PERMILLE`] elsewhere: an empty pattern plans for the next
//! night, and one that knows some hours prefers those it knows are quiet.
//!
//! # Cost
//!
//! A plan looks at up to 672 quarter hours; the pattern keeps what they
//! need ready, so that each costs a few integer operations:
//!
//! - every hour's estimate, and running sums of every hour's risk over the
//!   week, are cached and brought up to date when a visit is folded (the
//!   seven hours of its hour of the day change) or the settings change;
//!   the hour in progress is blended when a plan is made. The risk over
//!   any span is then two look-ups, exactly the sum the hours give.
//! - candidates are considered in time order and waiting only costs more:
//!   once the lowest risk of the week plus the delay reaches the best cost
//!   found, no later candidate can win, and the search stops;
//! - [`UsagePattern::quietest_start_skipping`] lets the caller rule out a
//!   stretch at once (the maintenance windows are closed until 01:00).
//!
//! The choice is the one trying every candidate the plain way makes (a
//! test compares the two on random patterns and questions).
//!
//! Everything is integer arithmetic on `u16`/`u32`/`u64`; the whole
//! pattern is about 4 KB (3 KB of buckets, 1 KB of caches).

use core::cell::Cell;
use core::fmt;

use crate::civil::{UtcOffset, WallTime};
use crate::gate::Metrics;
use crate::time::Duration;

/// Hours in a week: the number of hour-of-week buckets.
pub const HOURS_PER_WEEK: u8 = 168;
/// Hours in a day: the number of pooled hour-of-day buckets.
const HOURS_PER_DAY: usize = 24;
/// Seconds in an hour.
const SECONDS_PER_HOUR: u64 = 3_600;
/// Disk or network I/O at this rate or above counts as fully busy (1000
/// per mille): 20 MiB/s, the default resource threshold for starting an
/// update ([`crate::gate::ResourceThresholds::DEFAULT`]).
pub const IO_FULL_SCALE_KIB_S: u32 = 20 * 1024;
/// Sessions are averaged in thousandths up to this many; more count as
/// this many, which keeps the level in 16 bits.
pub const SESSIONS_CAP: u16 = 4;
/// Longest time one sample stands for: 15 minutes. A platform that went
/// quiet for longer (suspended, halted in a debugger) says nothing about
/// the gap.
pub const MAX_SAMPLE_SPAN_S: u64 = 900;
/// What the first sample stands for: one minute, the sampling period the
/// kernel uses.
const FIRST_SAMPLE_SPAN_S: u64 = 60;
/// Levels are stored in sixteenths of a per mille, so that folding small
/// visits into a bucket does not round them away.
const LEVEL_SCALE: u32 = 16;
/// A bucket that has seen this many seconds no longer borrows from its
/// hour-of-day pool: one full hour.
const FULL_BUCKET_S: u32 = 3_600;
/// The hour-of-day pool's half-life in visits, that is in days.
const POOL_HALF_LIFE_DAYS: u32 = 3;
/// Levels tracked per bucket.
const LEVELS: usize = 5;

/// How much each measured level counts toward the activity score.
///
/// The score is `sum(weight * level) / sum(weight)`, every level in per
/// mille, so only the ratios matter. The defaults count a logged-in person
/// and the CPU most, because those are what an update disturbs: someone at
/// the machine, and work competing for the processor. Disk and network
/// I/O count less (an update mostly downloads and writes, so it competes
/// with them, but background traffic is common), memory least (it stays
/// high on an idle machine full of caches).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ActivityWeights {
    /// Weight of the CPU busy share.
    pub cpu: u16,
    /// Weight of memory in use.
    pub memory: u16,
    /// Weight of disk I/O.
    pub disk: u16,
    /// Weight of network I/O.
    pub network: u16,
    /// Weight of active sessions (one session is 1000 per mille).
    pub sessions: u16,
}

impl ActivityWeights {
    /// CPU 4, memory 1, disk 1, network 1, sessions 5 (out of 12).
    pub const DEFAULT: ActivityWeights = ActivityWeights {
        cpu: 4,
        memory: 1,
        disk: 1,
        network: 1,
        sessions: 5,
    };

    /// Whether at least one weight is above zero (otherwise nothing could
    /// be scored).
    pub const fn is_valid(&self) -> bool {
        self.total() > 0
    }

    const fn total(&self) -> u32 {
        self.cpu as u32
            + self.memory as u32
            + self.disk as u32
            + self.network as u32
            + self.sessions as u32
    }

    const fn as_array(&self) -> [u16; LEVELS] {
        [
            self.cpu,
            self.memory,
            self.disk,
            self.network,
            self.sessions,
        ]
    }
}

impl Default for ActivityWeights {
    fn default() -> ActivityWeights {
        ActivityWeights::DEFAULT
    }
}

/// The knobs of usage-pattern learning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PatternConfig {
    /// How the levels combine into the activity score.
    pub weights: ActivityWeights,
    /// An hour is idle when its score is below this (per mille).
    pub idle_below_permille: u16,
    /// An hour is a peak when its score is at or above this (per mille).
    pub peak_from_permille: u16,
    /// Bucket time after which old samples weigh half (minutes, 1..=1080).
    /// A bucket sees 60 minutes a week, so 60 is one week of calendar time.
    pub half_life_minutes: u16,
    /// The pattern is confident once every hour of the day has seen this
    /// many minutes of samples (1..=1080).
    pub confident_after_minutes: u16,
}

impl PatternConfig {
    /// Weights [`ActivityWeights::DEFAULT`]; idle below 150 per mille
    /// (a desktop nobody uses scores about 30, a server carrying only its
    /// service traffic up to about 140, one person at work about 550);
    /// peaks from 400 per mille; a half-life of one week; confident after
    /// a full day (60 minutes of every hour of the day).
    pub const DEFAULT: PatternConfig = PatternConfig {
        weights: ActivityWeights::DEFAULT,
        idle_below_permille: 150,
        peak_from_permille: 400,
        half_life_minutes: 60,
        confident_after_minutes: 60,
    };

    /// The most minutes a duration knob takes: 18 hours, so that its
    /// seconds fit the 16-bit weights.
    pub const MAX_MINUTES: u16 = 1_080;

    /// Whether every knob is in range.
    pub const fn is_valid(&self) -> bool {
        self.weights.is_valid()
            && self.idle_below_permille <= 1_000
            && self.peak_from_permille <= 1_000
            && self.half_life_minutes >= 1
            && self.half_life_minutes <= PatternConfig::MAX_MINUTES
            && self.confident_after_minutes >= 1
            && self.confident_after_minutes <= PatternConfig::MAX_MINUTES
    }
}

impl Default for PatternConfig {
    fn default() -> PatternConfig {
        PatternConfig::DEFAULT
    }
}

/// A set of hours of the week (0 = Monday 00:00 ..= 167 = Sunday 23:00).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct HourSet {
    bits: [u64; 3],
}

impl HourSet {
    /// No hour.
    pub const EMPTY: HourSet = HourSet { bits: [0; 3] };

    /// Whether `hour_of_week` is in the set (hours past 167 never are).
    pub const fn contains(&self, hour_of_week: u8) -> bool {
        hour_of_week < HOURS_PER_WEEK
            && self.bits[(hour_of_week / 64) as usize] & (1 << (hour_of_week % 64)) != 0
    }

    /// Adds `hour_of_week`; hours past 167 are ignored.
    pub fn insert(&mut self, hour_of_week: u8) {
        if hour_of_week < HOURS_PER_WEEK {
            self.bits[usize::from(hour_of_week / 64)] |= 1 << (hour_of_week % 64);
        }
    }

    /// How many hours are in the set.
    pub const fn len(&self) -> u32 {
        self.bits[0].count_ones() + self.bits[1].count_ones() + self.bits[2].count_ones()
    }

    /// Whether the set is empty.
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The hours in the set, in order.
    pub fn iter(&self) -> impl Iterator<Item = u8> + '_ {
        (0..HOURS_PER_WEEK).filter(|&hour| self.contains(hour))
    }
}

/// Lists the hours as `Mon 03 Mon 04 ...`-style ranges: `{Mon 01-05, Sat 10}`.
impl fmt::Debug for HourSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        f.write_str("{")?;
        let mut hour = 0;
        let mut first = true;
        while hour < HOURS_PER_WEEK {
            if !self.contains(hour) {
                hour += 1;
                continue;
            }
            let start = hour;
            while hour + 1 < HOURS_PER_WEEK && hour % 24 != 23 && self.contains(hour + 1) {
                hour += 1;
            }
            if !first {
                f.write_str(", ")?;
            }
            first = false;
            let day = DAYS[usize::from(start / 24)];
            if start == hour {
                write!(f, "{day} {:02}", start % 24)?;
            } else {
                write!(f, "{day} {:02}-{:02}", start % 24, hour % 24)?;
            }
            hour += 1;
        }
        f.write_str("}")
    }
}

/// One moving average of the five levels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Bucket {
    /// Levels in sixteenths of a per mille: CPU, memory, disk, network,
    /// sessions (thousandths of a session).
    levels: [u16; LEVELS],
    /// Seconds of samples seen, saturating at 18 hours.
    seen_s: u16,
    /// Samples seen, saturating.
    samples: u16,
}

impl Bucket {
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
    fn score_of(levels: &[u32; LEVELS], weights: &ActivityWeights) -> u16 {
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
struct Surprise {
    permille: u16,
    /// Seconds of visits seen, saturating at 18 hours.
    seen_s: u16,
}

impl Surprise {
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
struct Visit {
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

    fn hour_of_week(&self) -> u8 {
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

/// Local hours since 1970-01-01 00:00 on a clock set to `offset`.
fn local_hour(wall: WallTime, offset: UtcOffset) -> u64 {
    let secs = wall.as_unix_secs() as i128 + i128::from(offset.as_seconds());
    (secs.max(0) as u64) / SECONDS_PER_HOUR
}

/// The hour of the week (0 = Monday 00:00 local) `wall` falls in.
pub fn hour_of_week(wall: WallTime, offset: UtcOffset) -> u8 {
    (wall.local_second_of_week(offset) / 3_600) as u8
}

/// The learned weekly usage pattern: 168 hour-of-week buckets, 24 pooled
/// hour-of-day buckets, and the hour in progress.
///
/// Feed it with [`UsagePattern::observe`]; ask [`UsagePattern::score`],
/// [`UsagePattern::idle_hours`], [`UsagePattern::peak_hours`] and
/// [`UsagePattern::predicted_activity`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsagePattern {
    config: PatternConfig,
    week: [Bucket; HOURS_PER_WEEK as usize],
    day: [Bucket; HOURS_PER_DAY],
    /// Per hour of the day, how much busier than predicted the last days
    /// were.
    surprise: [Surprise; HOURS_PER_DAY],
    visit: Option<Visit>,
    /// Wall time of the last sample, to weigh the next one.
    last_sample: Option<WallTime>,
    /// Visits folded so far: changes whenever a bucket does.
    generation: u32,
    /// Per hour of the week, its estimate from the folded buckets (the
    /// hour in progress left out), [`NO_ESTIMATE`] while nothing is known
    /// of it: a plan does not blend 168 buckets again.
    estimates: [u16; HOURS_PER_WEEK as usize],
    /// Running sums over the week of what a plan counts each hour with,
    /// from the folded buckets (the hour in progress left out): its risk,
    /// or the fallback assumption while nothing is known of it, times 60
    /// minutes; `risk_before[h]` sums the hours before hour `h`, so the
    /// risk over any span is two look-ups. At most 168 * 60 * 1000.
    risk_before: [u32; HOURS_PER_WEEK as usize + 1],
    /// The lowest of those risks, per hour of the day and in all.
    lowest_risk_at: [u16; HOURS_PER_DAY],
    lowest_risk: u16,
    // The three above are kept up to date by every change of a bucket or
    // of the settings: functions of the fields before them, so two
    // patterns equal in those are equal in these too.
}

/// The estimate cached for an hour nothing is known of: scores are at most
/// 1000, so the marker is no score.
const NO_ESTIMATE: u16 = u16::MAX;

/// `risk_before` of an empty pattern: every hour at its fallback
/// assumption.
const EMPTY_RISK_BEFORE: [u32; HOURS_PER_WEEK as usize + 1] = {
    let mut before = [0; HOURS_PER_WEEK as usize + 1];
    let mut hour = 0;
    while hour < HOURS_PER_WEEK {
        let index = hour as usize;
        before[index + 1] = before[index] + unknown_permille(hour) as u32 * 60;
        hour += 1;
    }
    before
};

/// `lowest_risk_at` of an empty pattern: the fallback assumptions.
const EMPTY_LOWEST_RISK_AT: [u16; HOURS_PER_DAY] = {
    let mut lowest = [0; HOURS_PER_DAY];
    let mut hour = 0;
    while hour < HOURS_PER_DAY {
        lowest[hour] = unknown_permille(hour as u8);
        hour += 1;
    }
    lowest
};

impl Default for UsagePattern {
    fn default() -> UsagePattern {
        UsagePattern::new(PatternConfig::DEFAULT)
    }
}

impl UsagePattern {
    /// An empty pattern: no hour is known yet.
    pub const fn new(config: PatternConfig) -> UsagePattern {
        const EMPTY: Bucket = Bucket {
            levels: [0; LEVELS],
            seen_s: 0,
            samples: 0,
        };
        UsagePattern {
            config,
            week: [EMPTY; HOURS_PER_WEEK as usize],
            day: [EMPTY; HOURS_PER_DAY],
            surprise: [Surprise {
                permille: 0,
                seen_s: 0,
            }; HOURS_PER_DAY],
            visit: None,
            last_sample: None,
            generation: 0,
            // Every bucket is empty: nothing is known of any hour.
            estimates: [NO_ESTIMATE; HOURS_PER_WEEK as usize],
            risk_before: EMPTY_RISK_BEFORE,
            lowest_risk_at: EMPTY_LOWEST_RISK_AT,
            lowest_risk: UNKNOWN_NIGHT_PERMILLE,
        }
    }

    /// The settings in force.
    pub const fn config(&self) -> &PatternConfig {
        &self.config
    }

    /// Replaces the settings; what was learned stays.
    pub fn set_config(&mut self, config: PatternConfig) {
        self.config = config;
        self.generation = self.generation.wrapping_add(1);
        self.refresh(None);
    }

    /// Brings the cached estimates and risks up to date after the buckets
    /// of `folded` (an hour of the week) changed, or after the settings did
    /// (`None`): every hour of the day of `folded` is computed again (its
    /// pool and surprise changed), the others are kept.
    fn refresh(&mut self, folded: Option<u8>) {
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
    fn cached_estimate(&self, hour_of_week: u8) -> Option<u16> {
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
    fn levels(&self, hour_of_week: u8) -> Option<[u32; LEVELS]> {
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
    fn risk_from(&self, hour_of_week: u8, own: u16) -> u16 {
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
    /// [`PatternConfig::confident_after_minutes`] of samples (folded), so
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
const fn unknown_permille(hour_of_week: u8) -> u16 {
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
    ///
    /// Candidates are considered in the same order, and compared the same
    /// way, as by trying every one of them; two shortcuts only skip
    /// candidates that could not have been chosen. Waiting costs more the
    /// later a candidate is, and no candidate costs less than the quietest
    /// hour's risk allows, so once that floor plus the delay reaches the
    /// best cost found, no later candidate can beat it (the best must be
    /// strictly cheaper). And a stretch the filter rules out is stepped
    /// over.
    #[allow(clippy::too_many_arguments)]
    fn plan(
        &self,
        from: WallTime,
        latest: WallTime,
        duration: Duration,
        offset: UtcOffset,
        extra: impl Iterator<Item = WallTime>,
        sorted: bool,
        mut allowed: impl FnMut(WallTime) -> Verdict,
    ) -> Option<PlannedStart> {
        let latest = latest.min(from.saturating_add(PLAN_HORIZON));
        if latest < from {
            return None;
        }
        // The cache has every hour but the one in progress: blend that now.
        let visit = self.visit.map(|visit| {
            let hour = visit.hour_of_week();
            let own = self.estimate(hour);
            let risk = match own {
                Some(own) => self.risk_from(hour, own),
                None => unknown_permille(hour),
            };
            (hour, own.is_some(), risk)
        });
        let patch = visit.map(|(hour, _, risk)| {
            let index = usize::from(hour);
            let cached = (self.risk_before[index + 1] - self.risk_before[index]) / 60;
            (index, u64::from(cached), u64::from(risk))
        });
        let risks = Timeline {
            before: &self.risk_before,
            patch,
        };
        // Every candidate's span and guard average at least the lowest
        // risk: the cached lowest, or the hour in progress's below it.
        let lowest =
            u64::from(visit.map_or(self.lowest_risk, |(_, _, risk)| self.lowest_risk.min(risk)));
        let floor = lowest + lowest / PLAN_GUARD_DIVISOR;
        let minutes = duration.as_minutes().max(1);
        let week_minutes = u64::from(HOURS_PER_WEEK) * 60;
        let minute_of_week = |wall: WallTime| u64::from(wall.local_second_of_week(offset) / 60);
        let cost = |wall: WallTime| {
            let start = minute_of_week(wall);
            let span = risks.sum(start, minutes) / minutes;
            let guard_start = start + week_minutes - PLAN_GUARD_MINUTES;
            let guard = risks.sum(guard_start, PLAN_GUARD_MINUTES)
                + risks.sum(start + minutes, PLAN_GUARD_MINUTES);
            let guard = guard / (2 * PLAN_GUARD_MINUTES) / PLAN_GUARD_DIVISOR;
            (span + guard).min(u64::from(u16::MAX)) as u16
        };
        // The grid is aligned to local quarter hours.
        let grid_s = PLAN_GRID_MINUTES * 60;
        let local_s = from.as_unix_secs() as i128 + i128::from(offset.as_seconds());
        let into_quarter = local_s.rem_euclid(i128::from(grid_s)) as u64;
        let first_grid = from.saturating_add(Duration::from_secs(grid_s - into_quarter));
        let room_minutes = latest.saturating_duration_since(from).as_minutes().max(1);
        let mut best: Option<(WallTime, u64)> = None;
        // Candidates in `[skip.0, skip.1)` are ruled out by the filter.
        let skip = Cell::new((WallTime::MAX, WallTime::MAX));
        let skipped = |at: WallTime| {
            let (skip_from, skip_until) = skip.get();
            skip_from <= at && at < skip_until
        };
        /// What considering a candidate found.
        #[derive(PartialEq)]
        enum Outcome {
            Considered,
            /// It and every later candidate cost at least the best so far.
            Hopeless,
        }
        let mut consider = |at: WallTime| {
            if at > latest || skipped(at) {
                return Outcome::Considered;
            }
            // Minute by minute, so that two candidates compare the same
            // way whenever the plan is made.
            let waited = at.saturating_duration_since(from).as_minutes();
            let delay = waited * u64::from(PLAN_DELAY_PERMILLE_PER_DAY) / 1_440
                + waited * u64::from(PLAN_SLACK_PERMILLE) / room_minutes;
            if best.is_some_and(|(_, best_cost)| floor + delay >= best_cost) {
                return Outcome::Hopeless;
            }
            if let Verdict::NotBefore(until) = allowed(at) {
                if until > at {
                    skip.set((at, until));
                }
                return Outcome::Considered;
            }
            let at_cost = u64::from(cost(at)) + delay;
            if best.is_none_or(|(_, best_cost)| at_cost < best_cost) {
                best = Some((at, at_cost));
            }
            Outcome::Considered
        };
        let mut extras = extra.filter(|&at| at > from).peekable();
        let mut hopeless = consider(from) == Outcome::Hopeless;
        let mut at = first_grid;
        while at <= latest && !hopeless {
            while let Some(&early) = extras.peek() {
                if early >= at {
                    break;
                }
                hopeless = consider(early) == Outcome::Hopeless && sorted;
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
            if consider(at) == Outcome::Hopeless {
                // Later grid points wait longer still; extras not sorted
                // are each looked at below.
                hopeless = sorted;
                break;
            }
            // Past a stretch the filter ruled out, in whole grid steps.
            let step = Duration::from_secs(grid_s);
            let next = if skipped(at) {
                let until = skip.get().1;
                let steps = until
                    .saturating_duration_since(at)
                    .as_secs()
                    .div_ceil(grid_s);
                at.saturating_add(Duration::from_secs(steps.saturating_mul(grid_s)))
            } else {
                at.saturating_add(step)
            };
            at = next;
            if at == WallTime::MAX {
                break;
            }
        }
        if !hopeless {
            for early in extras {
                if consider(early) == Outcome::Hopeless && sorted {
                    break;
                }
            }
        }
        let (start, _) = best?;
        let first_minute = minute_of_week(start);
        let first_hour = first_minute / 60;
        let last_hour = (first_minute + minutes - 1) / 60;
        let fallback = (first_hour..=last_hour).all(|hour| {
            let hour = (hour % u64::from(HOURS_PER_WEEK)) as u8;
            match visit {
                Some((visit_hour, known, _)) if visit_hour == hour => !known,
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
        Some(PlannedStart {
            start,
            activity_permille: (span_sum_by(estimate, first_minute, minutes) / minutes) as u16,
            fallback,
        })
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
    use super::*;

    /// Monday 2026-11-30 00:00 UTC.
    fn monday() -> WallTime {
        "2026-11-30T00:00:00Z".parse().unwrap()
    }

    fn busy() -> Metrics {
        Metrics {
            cpu_permille: 600,
            sessions: 1,
            ..Metrics::IDLE
        }
    }

    /// Feeds one sample a minute for `minutes` minutes from `start`,
    /// `metrics(minute_of_week)` giving each.
    fn feed(
        pattern: &mut UsagePattern,
        start: WallTime,
        minutes: u64,
        metrics: impl Fn(u64) -> Metrics,
    ) {
        for minute in 0..minutes {
            let wall = start.saturating_add(Duration::from_minutes(minute));
            let minute_of_week = u64::from(wall.local_second_of_week(UtcOffset::UTC) / 60);
            pattern.observe(wall, UtcOffset::UTC, &metrics(minute_of_week));
        }
    }

    /// Office hours: Monday to Friday 08:00-18:00 busy.
    fn office(minute_of_week: u64) -> Metrics {
        let day = minute_of_week / 1_440;
        let hour = minute_of_week / 60 % 24;
        if day < 5 && (8..18).contains(&hour) {
            busy()
        } else {
            Metrics::IDLE
        }
    }

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
        let mut known = HourSet::EMPTY;
        let mut scores = [0; HOURS_PER_WEEK as usize];
        let mut estimates = [0; HOURS_PER_WEEK as usize];
        for hour in 0..HOURS_PER_WEEK {
            let index = usize::from(hour);
            scores[index] = match fresh_risk(pattern, hour) {
                Some(risk) => {
                    known.insert(hour);
                    risk
                }
                None => unknown_permille(hour),
            };
            estimates[index] =
                fresh_estimate(pattern, hour).unwrap_or_else(|| unknown_permille(hour));
        }
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
