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

use core::fmt;

use crate::civil::{UtcOffset, WallTime};

mod learn;
mod plan;

use learn::{Bucket, Surprise, Visit};
use plan::unknown_permille;
pub use plan::{
    span_mean, PlannedStart, Verdict, FALLBACK_NIGHT_HOURS, PLAN_DELAY_PERMILLE_PER_DAY,
    PLAN_GRID_MINUTES, PLAN_GUARD_DIVISOR, PLAN_GUARD_MINUTES, PLAN_HORIZON, PLAN_SLACK_PERMILLE,
    UNKNOWN_DAY_PERMILLE, UNKNOWN_NIGHT_PERMILLE,
};

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
        UsagePattern {
            config,
            week: [Bucket::EMPTY; HOURS_PER_WEEK as usize],
            day: [Bucket::EMPTY; HOURS_PER_DAY],
            surprise: [Surprise::NONE; HOURS_PER_DAY],
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
}

/// Builders shared by the tests of the learning and the planning.
#[cfg(test)]
mod fixtures {
    use super::*;
    use crate::gate::Metrics;
    use crate::time::Duration;

    /// Monday 2026-11-30 00:00 UTC.
    pub(super) fn monday() -> WallTime {
        "2026-11-30T00:00:00Z".parse().unwrap()
    }

    pub(super) fn busy() -> Metrics {
        Metrics {
            cpu_permille: 600,
            sessions: 1,
            ..Metrics::IDLE
        }
    }

    /// Feeds one sample a minute for `minutes` minutes from `start`,
    /// `metrics(minute_of_week)` giving each.
    pub(super) fn feed(
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
    pub(super) fn office(minute_of_week: u64) -> Metrics {
        let day = minute_of_week / 1_440;
        let hour = minute_of_week / 60 % 24;
        if day < 5 && (8..18).contains(&hour) {
            busy()
        } else {
            Metrics::IDLE
        }
    }
}
