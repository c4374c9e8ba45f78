//! Synthetic workloads: the metrics a machine of a typical kind would
//! report, minute by minute, with noise drawn from a seed.
//!
//! The simulator replays these through the scheduler to measure how much
//! each policy disturbs the machine's users, and the kernel uses them for
//! the figures a toy operating system does not have (logged-in users, disk
//! and network traffic).
//!
//! # Model
//!
//! A profile is a table of *routines* (a block of use that happens on
//! given weekdays, with its start and end moving a little from day to day)
//! and *occasional* blocks (a short session that happens on some days
//! only). The routines, without their jitter, are the profile's truth:
//! [`truly_idle`] reads them to say which hours of the week the machine is
//! idle, so that a learned pattern can be scored against them. The
//! occasional blocks and the jitter are noise the learner has to live with.
//!
//! A block is either *interactive* (someone is logged in) or *batch*
//! (heavy CPU with nobody logged in); both put the machine in use in the
//! sense of [`in_use`], the one definition every policy is measured by.
//!
//! # Determinism
//!
//! Nothing is carried from one sample to the next: the plan of a day is
//! drawn from the seed and the local day number, and the figures of a
//! minute from the seed and the minute number. Samples may therefore be
//! taken in any order, any number of times, at any rate (the kernel's
//! accelerated clock skips minutes), and always give the same answer. The
//! `change` workload draws its office and night-shift days from the same
//! streams as `office` and `nightshift`, so its last days match a pure
//! `nightshift` run with the same seed minute for minute.

use core::fmt;
use core::str::FromStr;

use crate::backoff::split_mix;
use crate::civil::{UtcOffset, WallTime, Weekday, MINUTES_PER_DAY};
use crate::gate::{Metrics, PowerSource, ResourceThresholds};
use crate::window::Weekdays;

/// CPU share above which the machine counts as in use, per mille: the same
/// line as the default meaning of "idle" for Low-priority updates.
pub const IN_USE_CPU_PERMILLE: u16 = ResourceThresholds::IDLE.cpu_max_permille;

/// Whole local days the `change` workload spends as `office` before it
/// turns into `nightshift`.
pub const CHANGE_AFTER_DAYS: i64 = 14;

/// Whether the machine is in use: someone is logged in, or the CPU is busy
/// above [`IN_USE_CPU_PERMILLE`]. The one definition used for every policy
/// and every trace.
pub const fn in_use(metrics: &Metrics) -> bool {
    metrics.sessions > 0 || metrics.cpu_permille > IN_USE_CPU_PERMILLE
}

/// SplitMix64 as a stream: a 64-bit counter stepped by the golden ratio
/// and passed through the SplitMix64 finalizer (Steele, Lea and Flood,
/// "Fast splittable pseudorandom number generators", 2014). Small, fast,
/// and good enough for synthetic noise; not for anything secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// The step of the counter: 2^64 divided by the golden ratio, odd, as
    /// in the paper.
    const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

    /// A stream starting from `seed`.
    pub const fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    /// A stream for one purpose (`stream`) and one index (a day, a minute,
    /// an update) under `seed`: different purposes and indices give
    /// unrelated streams.
    pub fn keyed(seed: u64, stream: u64, index: u64) -> SplitMix64 {
        SplitMix64::new(split_mix(seed ^ split_mix(stream ^ split_mix(index))))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let value = split_mix(self.state);
        self.state = self.state.wrapping_add(Self::GAMMA);
        value
    }

    /// A value in `0..bound` (0 when `bound` is 0), by the multiply-high
    /// method: no division, and a bias below 2^-32 for bounds under 2^32.
    pub fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }

    /// A value in `low..=high` (`low` when `high < low`).
    pub fn between(&mut self, low: u32, high: u32) -> u32 {
        let span = u64::from(high.saturating_sub(low)) + 1;
        low + self.below(span) as u32
    }

    /// A signed value in `low..=high`.
    pub fn between_signed(&mut self, low: i16, high: i16) -> i16 {
        let span = (i32::from(high) - i32::from(low)).max(0) as u64 + 1;
        (i32::from(low) + self.below(span) as i32) as i16
    }

    /// True with probability `permille` / 1000.
    pub fn chance(&mut self, permille: u16) -> bool {
        self.below(1_000) < u64::from(permille)
    }
}

/// The built-in workloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WorkloadKind {
    /// Office desktop: in use on weekdays 08:00-18:00.
    Office,
    /// Home computer: weekday evenings, weekends, late nights on Friday
    /// and Saturday.
    Home,
    /// Server: service traffic all day below the in-use line, a batch job
    /// at 02:00-04:00 every day, short admin sessions in weekday working
    /// hours.
    Server,
    /// Night-shift worker: busy 22:00-06:00, nights from Sunday to
    /// Thursday.
    Nightshift,
    /// `office` for [`CHANGE_AFTER_DAYS`] days, then `nightshift`: the
    /// user changed jobs, and the pattern has to follow.
    Change,
    /// Shift worker on a rotating roster of [`ROSTER_DAYS`] days (two early
    /// shifts, two late, two nights, four days off), with random days off
    /// and occasional late nights: its weeks do not repeat.
    Irregular,
    /// Office laptop: office hours on weekdays, but often on battery and
    /// often suspended (commutes, nights with the lid closed, weekends
    /// away); see [`Workload::suspended`]. Its battery drains on battery
    /// and charges on mains, so the power gates act.
    Laptop,
}

impl WorkloadKind {
    /// Every built-in workload.
    pub const ALL: [WorkloadKind; 7] = [
        WorkloadKind::Office,
        WorkloadKind::Home,
        WorkloadKind::Server,
        WorkloadKind::Nightshift,
        WorkloadKind::Change,
        WorkloadKind::Irregular,
        WorkloadKind::Laptop,
    ];

    /// Lower-case name, as on the simulator's command line.
    pub const fn name(self) -> &'static str {
        match self {
            WorkloadKind::Office => "office",
            WorkloadKind::Home => "home",
            WorkloadKind::Server => "server",
            WorkloadKind::Nightshift => "nightshift",
            WorkloadKind::Change => "change",
            WorkloadKind::Irregular => "irregular",
            WorkloadKind::Laptop => "laptop",
        }
    }

    /// The routine this workload follows on its own (for `change`: the one
    /// it ends in), whose hours [`truly_idle`] reports.
    const fn settled(self) -> Habits {
        match self {
            WorkloadKind::Office => Habits::Office,
            WorkloadKind::Home => Habits::Home,
            WorkloadKind::Server => Habits::Server,
            WorkloadKind::Nightshift | WorkloadKind::Change => Habits::Nightshift,
            WorkloadKind::Irregular => Habits::Irregular,
            WorkloadKind::Laptop => Habits::Laptop,
        }
    }
}

impl fmt::Display for WorkloadKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The text named no built-in workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UnknownWorkload;

impl fmt::Display for UnknownWorkload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "unknown workload: expected office, home, server, nightshift, change, irregular or laptop",
        )
    }
}

impl core::error::Error for UnknownWorkload {}

impl FromStr for WorkloadKind {
    type Err = UnknownWorkload;

    fn from_str(text: &str) -> Result<WorkloadKind, UnknownWorkload> {
        WorkloadKind::ALL
            .into_iter()
            .find(|kind| kind.name().eq_ignore_ascii_case(text.trim()))
            .ok_or(UnknownWorkload)
    }
}

/// Whether the profile's truth marks `hour_of_week` (0 is Monday
/// 00:00-01:00 local time, 167 is Sunday 23:00-24:00) idle: its routines
/// cover less than half of that hour. For `change`, the hours of the
/// `nightshift` routine it settles into. `irregular` has no weekly
/// routine: its roster of [`ROSTER_DAYS`] days puts each shift on any
/// hour of the week on one day in five at most, so every hour is idle by
/// this measure. `laptop`'s truth is its office hours, whether or not the
/// machine is awake.
///
/// # Panics
///
/// Never; hours past 167 are read modulo the week.
pub fn truly_idle(kind: WorkloadKind, hour_of_week: u8) -> bool {
    let hour_of_week = u16::from(hour_of_week) % (7 * 24);
    let day = (hour_of_week / 24) as u8;
    let from = (hour_of_week % 24) * 60;
    let mut covered = 0;
    for routine in kind.settled().routines() {
        // A routine counts on the day it starts and, past midnight, on the
        // day after.
        for (days_back, offset) in [(0u8, 0u16), (1, MINUTES_PER_DAY)] {
            let Some(starts_on) = Weekday::from_index((day + 7 - days_back) % 7) else {
                continue;
            };
            if !routine.days.contains_day(starts_on) {
                continue;
            }
            let start = routine.start.saturating_sub(offset);
            let end = routine.end.saturating_sub(offset);
            covered += end.min(from + 60).saturating_sub(start.max(from));
        }
    }
    covered < 30
}

/// What fills a block of time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Activity {
    /// Nobody at the machine: background services only.
    Background,
    /// A heavy job with nobody logged in.
    Batch,
    /// Someone is logged in and working.
    Interactive,
}

/// A block of use that happens on every one of `days` (unless the person
/// is away that day), from `start` to `end` minutes after local midnight
/// (`end` may pass midnight), each moved by a uniform amount in its spread.
#[derive(Clone, Copy, Debug)]
struct Routine {
    days: Weekdays,
    start: u16,
    end: u16,
    start_spread: (i16, i16),
    end_spread: (i16, i16),
    activity: Activity,
}

/// A short session that happens on a day of `days` with probability
/// `chance_permille`, starting between `earliest` and `latest` and lasting
/// `min_length` to `max_length` minutes.
#[derive(Clone, Copy, Debug)]
struct Occasional {
    days: Weekdays,
    chance_permille: u16,
    earliest: u16,
    latest: u16,
    min_length: u16,
    max_length: u16,
}

/// Weekdays, Monday to Friday.
const WORKDAYS: Weekdays = Weekdays::MONDAY
    .union(Weekdays::TUESDAY)
    .union(Weekdays::WEDNESDAY)
    .union(Weekdays::THURSDAY)
    .union(Weekdays::FRIDAY);
/// Saturday and Sunday.
const WEEKEND: Weekdays = Weekdays::SATURDAY.union(Weekdays::SUNDAY);
/// Every day.
const EVERY_DAY: Weekdays = WORKDAYS.union(WEEKEND);
/// The nights a night shift starts on: Sunday to Thursday.
const SHIFT_NIGHTS: Weekdays = Weekdays::SUNDAY
    .union(Weekdays::MONDAY)
    .union(Weekdays::TUESDAY)
    .union(Weekdays::WEDNESDAY)
    .union(Weekdays::THURSDAY);

/// A routine with the given shape; `const` so the tables below stay tables.
const fn routine(
    days: Weekdays,
    (start, end): (u16, u16),
    start_spread: (i16, i16),
    end_spread: (i16, i16),
    activity: Activity,
) -> Routine {
    Routine {
        days,
        start,
        end,
        start_spread,
        end_spread,
        activity,
    }
}

/// An occasional session with the given shape.
const fn occasional(
    days: Weekdays,
    chance_permille: u16,
    (earliest, latest): (u16, u16),
    (min_length, max_length): (u16, u16),
) -> Occasional {
    Occasional {
        days,
        chance_permille,
        earliest,
        latest,
        min_length,
        max_length,
    }
}

/// `hh:mm` as minutes after midnight; hours past 23 reach into the next
/// day.
const fn at(hour: u16, minute: u16) -> u16 {
    hour * 60 + minute
}

/// Arrives around 08:00 (a little before, or up to 25 minutes late) and
/// leaves around 18:00.
const OFFICE_ROUTINES: &[Routine] = &[routine(
    WORKDAYS,
    (at(8, 0), at(18, 0)),
    (-10, 25),
    (-20, 30),
    Activity::Interactive,
)];

const OFFICE_OCCASIONAL: &[Occasional] = &[
    // Mail checked in the evening.
    occasional(WORKDAYS, 125, (at(20, 0), at(21, 40)), (10, 30)),
    // A document finished at the weekend.
    occasional(WEEKEND, 125, (at(10, 0), at(18, 0)), (15, 45)),
];

/// Evenings after work, later on Friday, most of the weekend with a late
/// Saturday night.
const HOME_ROUTINES: &[Routine] = &[
    routine(
        Weekdays::MONDAY
            .union(Weekdays::TUESDAY)
            .union(Weekdays::WEDNESDAY)
            .union(Weekdays::THURSDAY),
        (at(18, 0), at(24, 0)),
        (0, 45),
        (-45, 15),
        Activity::Interactive,
    ),
    routine(
        Weekdays::FRIDAY,
        (at(18, 0), at(26, 0)),
        (0, 45),
        (-30, 45),
        Activity::Interactive,
    ),
    routine(
        Weekdays::SATURDAY,
        (at(10, 0), at(26, 0)),
        (0, 60),
        (-30, 45),
        Activity::Interactive,
    ),
    routine(
        Weekdays::SUNDAY,
        (at(10, 0), at(23, 0)),
        (0, 60),
        (0, 45),
        Activity::Interactive,
    ),
];

const HOME_OCCASIONAL: &[Occasional] = &[
    // Working from home, or a sick day.
    occasional(WORKDAYS, 100, (at(10, 0), at(14, 0)), (60, 180)),
    // A look at the news before work.
    occasional(WORKDAYS, 200, (at(7, 0), at(7, 30)), (10, 25)),
];

const SERVER_ROUTINES: &[Routine] = &[
    // The nightly batch job (reports, backups, index rebuilds).
    routine(
        EVERY_DAY,
        (at(2, 0), at(4, 0)),
        (0, 5),
        (-10, 10),
        Activity::Batch,
    ),
    // Working hours, when an admin may log in at any moment: part of the
    // profile's truth, though the sessions themselves are the occasional
    // blocks below.
    routine(
        WORKDAYS,
        (at(9, 0), at(17, 0)),
        (0, 0),
        (0, 0),
        Activity::Background,
    ),
];

/// Up to three short admin sessions per working day.
const SERVER_OCCASIONAL: &[Occasional] = &[
    occasional(WORKDAYS, 800, (at(9, 0), at(16, 20)), (10, 40)),
    occasional(WORKDAYS, 600, (at(9, 0), at(16, 20)), (10, 40)),
    occasional(WORKDAYS, 300, (at(9, 0), at(16, 20)), (10, 40)),
];

/// Shifts from 22:00 to 06:00, starting Sunday to Thursday.
const NIGHTSHIFT_ROUTINES: &[Routine] = &[routine(
    SHIFT_NIGHTS,
    (at(22, 0), at(30, 0)),
    (-15, 15),
    (0, 30),
    Activity::Interactive,
)];

const NIGHTSHIFT_OCCASIONAL: &[Occasional] = &[
    // Errands and personal use in the afternoon.
    occasional(EVERY_DAY, 200, (at(14, 0), at(18, 0)), (15, 45)),
    // A film on a free evening.
    occasional(
        Weekdays::FRIDAY.union(Weekdays::SATURDAY),
        300,
        (at(19, 0), at(21, 0)),
        (60, 150),
    ),
];

/// Office hours on a laptop, a little later than `office` (the commute
/// comes first, with the lid closed).
const LAPTOP_ROUTINES: &[Routine] = &[routine(
    WORKDAYS,
    (at(8, 30), at(17, 30)),
    (-10, 20),
    (-20, 20),
    Activity::Interactive,
)];

const LAPTOP_OCCASIONAL: &[Occasional] = &[
    // Mail and browsing in the evening, if the laptop is awake.
    occasional(WORKDAYS, 300, (at(19, 0), at(21, 30)), (15, 60)),
    // A session at the weekend.
    occasional(WEEKEND, 250, (at(10, 0), at(18, 0)), (20, 90)),
];

/// Days in the `irregular` roster: two early shifts (06:00-14:00), two
/// late (14:00-22:00), two nights (22:00-06:00), four days off. Ten days
/// do not divide a week, so no two weeks are alike.
pub const ROSTER_DAYS: i64 = 10;
/// Chance that a rostered shift is not worked (swapped, sick), per mille.
const ROSTER_DAY_OFF_PERMILLE: u16 = 100;
/// Chance of a late night at the machine after a day shift or on a day
/// off, per mille.
const LATE_NIGHT_PERMILLE: u16 = 150;
/// Chance of a short daytime session on a day off, per mille.
const DAY_OFF_SESSION_PERMILLE: u16 = 250;
/// Stream key of the roster's phase, drawn once per seed.
const ROSTER_PHASE_STREAM: u64 = 0x726f_7374_6572;
/// Stream key of a laptop's power and suspension plan of a day.
const LAPTOP_POWER_STREAM: u64 = 0x0070_6f77_6572;
/// Battery a laptop uses per awake minute on battery, per mille of a
/// full charge: a full battery lasts a little over eight hours of light
/// use, a common figure for office laptops.
const BATTERY_DRAIN_PER_MINUTE: u16 = 2;
/// Charge gained per minute on mains, per mille: empty to full in about
/// three and a half hours.
const BATTERY_CHARGE_PER_MINUTE: u16 = 5;
/// The lowest charge the model reaches, per mille: below it the laptop
/// would hibernate; the model keeps it awake at this level.
const BATTERY_FLOOR_PERMILLE: u16 = 30;

/// Where a laptop's power comes from in a stretch of a day, or that it is
/// suspended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PowerState {
    /// Lid closed: nothing runs, nothing is in use, the battery holds.
    Suspended,
    /// Awake on battery: the charge drains.
    Battery,
    /// Awake on mains: the battery charges.
    Mains,
}

/// The random choices of one laptop day, drawn together so that one
/// choice never shifts another.
#[derive(Clone, Copy, Debug)]
struct PowerDraws {
    /// The working day is spent away from a desk socket.
    unplugged_day: bool,
    /// The evening is spent on battery.
    unplugged_evening: bool,
    /// The lid is closed for the night from 22:30.
    lid_closed: bool,
    /// A day off spent away, the laptop in its bag.
    out_for_the_day: bool,
    /// The charge at midnight after a night in the bag, per mille.
    bag_level: u16,
}

/// A stretch of a laptop's day: `(start, end, state)` in minutes after
/// local midnight.
type PowerSegment = (u16, u16, PowerState);

/// The routines and noise of one kind of use. `change` has none of its
/// own: it is `office`, then `nightshift`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Habits {
    Office,
    Home,
    Server,
    Nightshift,
    Irregular,
    Laptop,
}

impl Habits {
    /// Keeps the random streams of different habits apart.
    const fn stream(self) -> u64 {
        match self {
            Habits::Office => 1,
            Habits::Home => 2,
            Habits::Server => 3,
            Habits::Nightshift => 4,
            Habits::Irregular => 5,
            Habits::Laptop => 6,
        }
    }

    fn routines(self) -> &'static [Routine] {
        match self {
            Habits::Office => OFFICE_ROUTINES,
            Habits::Home => HOME_ROUTINES,
            Habits::Server => SERVER_ROUTINES,
            Habits::Nightshift => NIGHTSHIFT_ROUTINES,
            // The roster is not weekly: see `Workload::roster_plan`.
            Habits::Irregular => &[],
            Habits::Laptop => LAPTOP_ROUTINES,
        }
    }

    fn occasional(self) -> &'static [Occasional] {
        match self {
            Habits::Office => OFFICE_OCCASIONAL,
            Habits::Home => HOME_OCCASIONAL,
            Habits::Server => SERVER_OCCASIONAL,
            Habits::Nightshift => NIGHTSHIFT_OCCASIONAL,
            Habits::Irregular => &[],
            Habits::Laptop => LAPTOP_OCCASIONAL,
        }
    }

    /// In thousandths: how often a routine day is skipped (holiday, sick
    /// leave, a night off).
    const fn absence_permille(self) -> u16 {
        match self {
            Habits::Office | Habits::Nightshift | Habits::Laptop => 40,
            Habits::Home => 30,
            // Its days off are drawn by the roster.
            Habits::Server | Habits::Irregular => 0,
        }
    }
}

/// Most blocks one day's plan holds: the largest profile has four
/// routines, of which one day uses at most two, plus three occasional
/// sessions.
const PLAN_CAPACITY: usize = 6;

/// One block of a day's plan, in minutes after that day's local midnight.
#[derive(Clone, Copy, Debug)]
struct Block {
    start: u16,
    end: u16,
    activity: Activity,
}

/// The blocks one local day starts.
#[derive(Clone, Copy, Debug)]
struct DayPlan {
    blocks: [Block; PLAN_CAPACITY],
    count: usize,
}

impl DayPlan {
    fn push(&mut self, block: Block) {
        if self.count < PLAN_CAPACITY && block.end > block.start {
            self.blocks[self.count] = block;
            self.count += 1;
        }
    }

    /// The strongest activity at `minute` after this day's midnight.
    fn activity_at(&self, minute: u16) -> Activity {
        self.blocks[..self.count]
            .iter()
            .filter(|block| block.start <= minute && minute < block.end)
            .map(|block| block.activity)
            .max()
            .unwrap_or(Activity::Background)
    }
}

/// Seconds in a day.
const SECONDS_PER_DAY: i64 = 86_400;
/// Local day 0 (1970-01-01) was a Thursday, index 3 from Monday.
const EPOCH_WEEKDAY: i64 = 3;
/// Stream key of the per-minute noise, apart from the per-day plans.
const MINUTE_STREAM: u64 = 0x6d69_6e75_7465;

/// A synthetic workload: the metrics of one machine, from a seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Workload {
    kind: WorkloadKind,
    seed: u64,
    start_day: i64,
    offset: UtcOffset,
}

impl Workload {
    /// The workload `kind` drawn from `seed`, starting at `start` (only
    /// `change` cares: it switches [`CHANGE_AFTER_DAYS`] local days after
    /// the day `start` falls on), with days and hours in local time at
    /// `offset`.
    pub const fn new(
        kind: WorkloadKind,
        seed: u64,
        start: WallTime,
        offset: UtcOffset,
    ) -> Workload {
        Workload {
            kind,
            seed,
            start_day: local_day(start, offset),
            offset,
        }
    }

    /// Which workload this is.
    pub const fn kind(&self) -> WorkloadKind {
        self.kind
    }

    /// The seed the noise is drawn from.
    pub const fn seed(&self) -> u64 {
        self.seed
    }

    /// The metrics at `wall`, constant within each minute.
    pub fn sample(&self, wall: WallTime) -> Metrics {
        let local = wall.as_unix_secs() as i64 + i64::from(self.offset.as_seconds());
        let day = local.div_euclid(SECONDS_PER_DAY);
        let minute = (local.rem_euclid(SECONDS_PER_DAY) / 60) as u16;
        let today = self.plan(day).activity_at(minute);
        let overnight = self.plan(day - 1).activity_at(minute + MINUTES_PER_DAY);
        let activity = today.max(overnight);
        let minute_index = local.div_euclid(60) as u64;
        let mut rng = SplitMix64::keyed(self.seed, MINUTE_STREAM, minute_index);
        if self.kind != WorkloadKind::Laptop {
            return self.metrics(activity, minute, &mut rng);
        }
        let (state, level_permille) = self.laptop_power(day, minute);
        let battery = PowerSource::Battery { level_permille };
        match state {
            PowerState::Suspended => Metrics {
                power: battery,
                ..Metrics::IDLE
            },
            PowerState::Battery => Metrics {
                power: battery,
                ..self.metrics(activity, minute, &mut rng)
            },
            PowerState::Mains => self.metrics(activity, minute, &mut rng),
        }
    }

    /// The habits in force on local day `day`.
    fn habits_on(&self, day: i64) -> Habits {
        match self.kind {
            WorkloadKind::Change if day - self.start_day < CHANGE_AFTER_DAYS => Habits::Office,
            kind => kind.settled(),
        }
    }

    /// The blocks that start on local day `day`.
    fn plan(&self, day: i64) -> DayPlan {
        let habits = self.habits_on(day);
        if habits == Habits::Irregular {
            return self.roster_plan(day);
        }
        let weekday = weekday_of(day);
        let mut rng = SplitMix64::keyed(self.seed, habits.stream(), day as u64);
        let mut plan = DayPlan {
            blocks: [Block {
                start: 0,
                end: 0,
                activity: Activity::Background,
            }; PLAN_CAPACITY],
            count: 0,
        };
        let away = rng.chance(habits.absence_permille());
        for routine in habits.routines() {
            // Every draw is made whether or not the routine applies, so one
            // day's choices never shift another's.
            let start_shift = rng.between_signed(routine.start_spread.0, routine.start_spread.1);
            let end_shift = rng.between_signed(routine.end_spread.0, routine.end_spread.1);
            if !routine.days.contains_day(weekday) || (away && routine.activity != Activity::Batch)
            {
                continue;
            }
            plan.push(Block {
                start: routine.start.saturating_add_signed(start_shift),
                end: routine.end.saturating_add_signed(end_shift),
                activity: routine.activity,
            });
        }
        for session in habits.occasional() {
            let happens = rng.chance(session.chance_permille);
            let start = rng.between(u32::from(session.earliest), u32::from(session.latest)) as u16;
            let length =
                rng.between(u32::from(session.min_length), u32::from(session.max_length)) as u16;
            if happens && session.days.contains_day(weekday) {
                plan.push(Block {
                    start,
                    end: start + length,
                    activity: Activity::Interactive,
                });
            }
        }
        plan
    }

    /// The roster position of local day `day` in `irregular`: 0 and 1
    /// early, 2 and 3 late, 4 and 5 nights, 6 to 9 off. Where the cycle
    /// starts is drawn from the seed.
    fn roster_position(&self, day: i64) -> i64 {
        let phase = SplitMix64::keyed(self.seed, ROSTER_PHASE_STREAM, 0).below(ROSTER_DAYS as u64);
        (day + phase as i64).rem_euclid(ROSTER_DAYS)
    }

    /// The blocks that start on local day `day` in `irregular`.
    fn roster_plan(&self, day: i64) -> DayPlan {
        let mut rng = SplitMix64::keyed(self.seed, Habits::Irregular.stream(), day as u64);
        let mut plan = DayPlan {
            blocks: [Block {
                start: 0,
                end: 0,
                activity: Activity::Background,
            }; PLAN_CAPACITY],
            count: 0,
        };
        // Every draw is made whatever the day, as in `plan`.
        let day_off = rng.chance(ROSTER_DAY_OFF_PERMILLE);
        let start_shift = rng.between_signed(-15, 15);
        let end_shift = rng.between_signed(0, 30);
        let late_night = rng.chance(LATE_NIGHT_PERMILLE);
        let late_start = rng.between(u32::from(at(22, 0)), u32::from(at(23, 30))) as u16;
        let late_length = rng.between(90, 180) as u16;
        let session = rng.chance(DAY_OFF_SESSION_PERMILLE);
        let session_start = rng.between(u32::from(at(10, 0)), u32::from(at(18, 0))) as u16;
        let session_length = rng.between(20, 90) as u16;
        let shift = match self.roster_position(day) {
            0 | 1 => Some((at(6, 0), at(14, 0))),
            2 | 3 => Some((at(14, 0), at(22, 0))),
            4 | 5 => Some((at(22, 0), at(30, 0))),
            _ => None,
        };
        let working = shift.filter(|_| !day_off);
        if let Some((start, end)) = working {
            plan.push(Block {
                start: start.saturating_add_signed(start_shift),
                end: end.saturating_add_signed(end_shift),
                activity: Activity::Interactive,
            });
        }
        let night_shift = working.is_some_and(|(start, _)| start == at(22, 0));
        if late_night && !night_shift {
            plan.push(Block {
                start: late_start,
                end: late_start + late_length,
                activity: Activity::Interactive,
            });
        }
        if session && working.is_none() {
            plan.push(Block {
                start: session_start,
                end: session_start + session_length,
                activity: Activity::Interactive,
            });
        }
        plan
    }

    /// The random choices of laptop day `day`.
    fn power_draws(&self, day: i64) -> PowerDraws {
        let mut rng = SplitMix64::keyed(self.seed, LAPTOP_POWER_STREAM, day as u64);
        PowerDraws {
            unplugged_day: rng.chance(350),
            unplugged_evening: rng.chance(500),
            lid_closed: rng.chance(550),
            out_for_the_day: rng.chance(500),
            bag_level: rng.between(450, 950) as u16,
        }
    }

    /// The stretches of laptop day `day` and the charge at its midnight.
    /// A working day: the night (suspended if the lid was closed the
    /// evening before, else on mains), the commute suspended, the office
    /// hours (on battery on an unplugged day), the commute home
    /// suspended, the evening, and from 22:30 the lid closed or the
    /// laptop left on mains. A day off or away: the night until 10:00,
    /// the day in the bag or at home, and the same end.
    fn power_day(&self, day: i64) -> ([PowerSegment; 6], u16) {
        let today = self.power_draws(day);
        let yesterday = self.power_draws(day - 1);
        let night = if yesterday.lid_closed {
            PowerState::Suspended
        } else {
            PowerState::Mains
        };
        let evening = if today.unplugged_evening {
            PowerState::Battery
        } else {
            PowerState::Mains
        };
        let late = if today.lid_closed {
            PowerState::Suspended
        } else {
            PowerState::Mains
        };
        let weekday = weekday_of(day);
        let away = SplitMix64::keyed(self.seed, Habits::Laptop.stream(), day as u64)
            .chance(Habits::Laptop.absence_permille());
        let segments = if WORKDAYS.contains_day(weekday) && !away {
            let office = if today.unplugged_day {
                PowerState::Battery
            } else {
                PowerState::Mains
            };
            [
                (0, at(7, 30), night),
                (at(7, 30), at(8, 30), PowerState::Suspended),
                (at(8, 30), at(17, 30), office),
                (at(17, 30), at(18, 30), PowerState::Suspended),
                (at(18, 30), at(22, 30), evening),
                (at(22, 30), at(24, 0), late),
            ]
        } else {
            let daytime = if today.out_for_the_day {
                PowerState::Suspended
            } else {
                evening
            };
            [
                (0, at(10, 0), night),
                (at(10, 0), at(10, 0), night),
                (at(10, 0), at(10, 0), night),
                (at(10, 0), at(16, 0), daytime),
                (at(16, 0), at(22, 30), daytime),
                (at(22, 30), at(24, 0), late),
            ]
        };
        let midnight_level = if yesterday.lid_closed {
            today.bag_level
        } else {
            1_000
        };
        (segments, midnight_level)
    }

    /// A laptop's power state at `minute` of local day `day`, and its
    /// charge at the start of that minute, per mille.
    fn laptop_power(&self, day: i64, minute: u16) -> (PowerState, u16) {
        let (segments, mut level) = self.power_day(day);
        let mut state = PowerState::Mains;
        for (start, end, segment_state) in segments {
            if start > minute {
                break;
            }
            if minute < end {
                state = segment_state;
            }
            let minutes = end.min(minute).saturating_sub(start);
            level = match segment_state {
                PowerState::Suspended => level,
                PowerState::Battery => level
                    .saturating_sub(minutes * BATTERY_DRAIN_PER_MINUTE)
                    .max(BATTERY_FLOOR_PERMILLE),
                PowerState::Mains => level
                    .saturating_add(minutes.saturating_mul(BATTERY_CHARGE_PER_MINUTE))
                    .min(1_000),
            };
        }
        (state, level)
    }

    /// Whether the machine is suspended at `wall`: only a `laptop` ever
    /// is. A suspended machine is not in use and runs nothing; its
    /// [`Workload::sample`] reads idle, on battery.
    pub fn suspended(&self, wall: WallTime) -> bool {
        if self.kind != WorkloadKind::Laptop {
            return false;
        }
        let (day, minute) = self.local_day_minute(wall);
        self.laptop_power(day, minute).0 == PowerState::Suspended
    }

    /// The local day and minute of the day `wall` falls on.
    fn local_day_minute(&self, wall: WallTime) -> (i64, u16) {
        let local = wall.as_unix_secs() as i64 + i64::from(self.offset.as_seconds());
        (
            local.div_euclid(SECONDS_PER_DAY),
            (local.rem_euclid(SECONDS_PER_DAY) / 60) as u16,
        )
    }

    /// The figures of one minute with `activity` going on.
    fn metrics(&self, activity: Activity, minute_of_day: u16, rng: &mut SplitMix64) -> Metrics {
        let server = self.kind == WorkloadKind::Server;
        let (cpu, memory, disk, network, sessions) = match activity {
            Activity::Interactive => {
                // Mostly light work, with bursts (a build, a video call).
                let cpu = if rng.chance(150) {
                    rng.between(350, 900)
                } else {
                    rng.between(60, 280)
                };
                let sessions = if rng.chance(50) { 2 } else { 1 };
                (
                    cpu,
                    rng.between(450, 700),
                    rng.between(50, 3_000),
                    rng.between(20, 2_500),
                    sessions,
                )
            }
            Activity::Batch => (
                rng.between(550, 950),
                rng.between(600, 820),
                rng.between(4_000, 16_000),
                rng.between(100, 1_000),
                0,
            ),
            Activity::Background if server => {
                // Service traffic that follows the day, below the in-use
                // line even at its peak.
                let daytime = (at(8, 0)..at(20, 0)).contains(&minute_of_day);
                let (cpu, network) = if daytime {
                    (rng.between(170, 290), rng.between(600, 3_500))
                } else {
                    (rng.between(90, 200), rng.between(150, 1_500))
                };
                (
                    cpu,
                    rng.between(550, 700),
                    rng.between(100, 2_000),
                    network,
                    0,
                )
            }
            Activity::Background => (
                rng.between(5, 60),
                rng.between(200, 320),
                rng.between(0, 200),
                rng.between(0, 100),
                0,
            ),
        };
        // A two-CPU machine: a load of 1.0 per fully busy CPU.
        let load_milli = cpu * 2 + rng.between(0, 200);
        // Every value above is drawn from a range that fits its field.
        Metrics {
            cpu_permille: cpu as u16,
            memory_permille: memory as u16,
            disk_kib_s: disk,
            network_kib_s: network,
            sessions,
            load_milli,
            power: PowerSource::Ac,
        }
    }
}

/// The weekday of local day `day` (0 is 1970-01-01).
fn weekday_of(day: i64) -> Weekday {
    Weekday::from_index((day + EPOCH_WEEKDAY).rem_euclid(7) as u8).unwrap_or(Weekday::Monday)
}

/// The local day number (0 is 1970-01-01) `wall` falls on at `offset`.
const fn local_day(wall: WallTime, offset: UtcOffset) -> i64 {
    (wall.as_unix_secs() as i64 + offset.as_seconds() as i64).div_euclid(SECONDS_PER_DAY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Duration;

    /// Monday 2026-11-02 00:00 UTC.
    fn monday() -> WallTime {
        "2026-11-02T00:00:00Z".parse().unwrap()
    }

    fn workload(kind: WorkloadKind, seed: u64) -> Workload {
        Workload::new(kind, seed, monday(), UtcOffset::UTC)
    }

    /// `wall` plus whole days, hours and minutes.
    fn later(wall: WallTime, days: u64, hours: u64, minutes: u64) -> WallTime {
        wall.saturating_add(Duration::from_minutes((days * 24 + hours) * 60 + minutes))
    }

    /// In how many of `seeds` the machine is in use at `days`, `hours`.
    fn in_use_count(kind: WorkloadKind, seeds: u64, days: u64, hours: u64) -> u64 {
        (1..=seeds)
            .filter(|&seed| in_use(&workload(kind, seed).sample(later(monday(), days, hours, 0))))
            .count() as u64
    }

    #[test]
    fn test_office_busy_weekday_morning_idle_sunday() {
        // Tuesday 10:00: in use unless the person is away that day.
        assert!(in_use_count(WorkloadKind::Office, 100, 1, 10) >= 90);
        // Sunday 03:00 and Monday 03:00: nobody.
        assert_eq!(in_use_count(WorkloadKind::Office, 100, 6, 3), 0);
        assert_eq!(in_use_count(WorkloadKind::Office, 100, 0, 3), 0);
        // Sunday afternoon: only the occasional weekend session.
        assert!(in_use_count(WorkloadKind::Office, 100, 6, 15) <= 10);
    }

    #[test]
    fn test_home_busy_evenings_and_saturday_night() {
        assert!(in_use_count(WorkloadKind::Home, 100, 2, 20) >= 90);
        assert!(in_use_count(WorkloadKind::Home, 100, 2, 3) == 0);
        // Saturday 01:00, after Friday evening.
        assert!(in_use_count(WorkloadKind::Home, 100, 5, 1) >= 85);
        assert!(in_use_count(WorkloadKind::Home, 100, 5, 15) >= 90);
    }

    #[test]
    fn test_server_batch_in_use_traffic_below_line() {
        for seed in 1..=20 {
            let server = workload(WorkloadKind::Server, seed);
            let batch = server.sample(later(monday(), 3, 3, 0));
            assert!(in_use(&batch) && batch.sessions == 0, "{batch:?}");
            // Saturday noon: traffic, no admin, not in use.
            let traffic = server.sample(later(monday(), 5, 12, 0));
            assert!(!in_use(&traffic), "{traffic:?}");
            assert!(traffic.cpu_permille > 150);
        }
        // Admins log in on some weekday working minutes, never at night.
        let server = workload(WorkloadKind::Server, 1);
        let admin_minutes = (0..5 * 24 * 60)
            .filter(|&minute| {
                let metrics = server.sample(later(monday(), 0, 0, minute));
                metrics.sessions > 0
            })
            .count();
        assert!((50..=600).contains(&admin_minutes), "{admin_minutes}");
    }

    #[test]
    fn test_nightshift_busy_at_night_idle_midday() {
        // Tuesday 02:00 (Monday's shift) busy; Tuesday 11:00 idle.
        assert!(in_use_count(WorkloadKind::Nightshift, 100, 1, 2) >= 90);
        assert_eq!(in_use_count(WorkloadKind::Nightshift, 100, 1, 11), 0);
        // Saturday 02:00: no shift on Friday night.
        assert_eq!(in_use_count(WorkloadKind::Nightshift, 100, 5, 2), 0);
    }

    #[test]
    fn test_change_switches_at_day_14() {
        for seed in 1..=10 {
            let change = workload(WorkloadKind::Change, seed);
            let office = workload(WorkloadKind::Office, seed);
            let night = workload(WorkloadKind::Nightshift, seed);
            for minute in (0..14 * 24 * 60).step_by(7) {
                let wall = later(monday(), 0, 0, minute);
                assert_eq!(change.sample(wall), office.sample(wall));
            }
            // From day 14 on (Monday 00:00 of the third week) the night
            // shift, except the first night, which started on an office day.
            for minute in (15 * 24 * 60..28 * 24 * 60).step_by(7) {
                let wall = later(monday(), 0, 0, minute);
                assert_eq!(change.sample(wall), night.sample(wall));
            }
        }
    }

    #[test]
    fn test_same_seed_same_metrics_other_seed_differs() {
        let wall = later(monday(), 3, 14, 37);
        for kind in WorkloadKind::ALL {
            assert_eq!(
                workload(kind, 7).sample(wall),
                workload(kind, 7).sample(wall)
            );
            let differs = (0..60).any(|minute| {
                let wall = later(wall, 0, 0, minute);
                workload(kind, 7).sample(wall) != workload(kind, 8).sample(wall)
            });
            assert!(differs, "{kind}");
        }
    }

    #[test]
    fn test_sample_constant_within_a_minute_and_follows_offset() {
        let office = workload(WorkloadKind::Office, 3);
        let wall = later(monday(), 1, 10, 0);
        assert_eq!(
            office.sample(wall),
            office.sample(wall.saturating_add(Duration::from_secs(59)))
        );
        // At UTC+05:00, 05:00 UTC on Tuesday is 10:00 local.
        let east = Workload::new(
            WorkloadKind::Office,
            3,
            monday(),
            UtcOffset::from_minutes(300).unwrap(),
        );
        let busy = (1..=50)
            .filter(|&day| {
                let wall = later(monday(), 1 + 7 * (day % 4), 5, day);
                in_use(&east.sample(wall))
            })
            .count();
        assert!(busy >= 45, "{busy}");
    }

    #[test]
    fn test_truly_idle_hours_of_each_profile() {
        let idle = |kind, day: u8, hour: u8| truly_idle(kind, day * 24 + hour);
        assert!(!idle(WorkloadKind::Office, 0, 8) && !idle(WorkloadKind::Office, 4, 17));
        assert!(idle(WorkloadKind::Office, 0, 18) && idle(WorkloadKind::Office, 5, 10));
        let busy_office = (0..168)
            .filter(|&hour| !truly_idle(WorkloadKind::Office, hour))
            .count();
        assert_eq!(busy_office, 50);
        // Home: Friday evening runs into Saturday 01:00; Sunday ends at 23.
        assert!(!idle(WorkloadKind::Home, 5, 1) && idle(WorkloadKind::Home, 5, 2));
        assert!(idle(WorkloadKind::Home, 6, 23) && !idle(WorkloadKind::Home, 6, 22));
        // Server: the batch job, and the weekday hours admins log in.
        assert!(!idle(WorkloadKind::Server, 6, 3) && idle(WorkloadKind::Server, 6, 12));
        assert!(!idle(WorkloadKind::Server, 2, 12));
        // Night shift from Sunday to Thursday nights; `change` ends there.
        assert!(!idle(WorkloadKind::Nightshift, 0, 2) && !idle(WorkloadKind::Nightshift, 6, 23));
        assert!(idle(WorkloadKind::Nightshift, 5, 2) && idle(WorkloadKind::Nightshift, 2, 12));
        for hour in 0..168 {
            assert_eq!(
                truly_idle(WorkloadKind::Change, hour),
                truly_idle(WorkloadKind::Nightshift, hour)
            );
        }
    }

    #[test]
    fn test_names_parse_and_print() {
        for kind in WorkloadKind::ALL {
            assert_eq!(kind.name().parse(), Ok(kind));
            assert_eq!(format!("{kind}"), kind.name());
        }
        assert_eq!(" Office ".parse(), Ok(WorkloadKind::Office));
        assert_eq!("gaming".parse::<WorkloadKind>(), Err(UnknownWorkload));
    }

    #[test]
    fn test_irregular_weeks_differ_roster_follows_ten_days() {
        for seed in 1..=10 {
            let irregular = workload(WorkloadKind::Irregular, seed);
            let week = |week: u64| -> Vec<bool> {
                (0..7 * 24 * 60)
                    .step_by(30)
                    .map(|minute| in_use(&irregular.sample(later(monday(), 7 * week, 0, minute))))
                    .collect()
            };
            assert_ne!(week(0), week(1), "seed {seed}");
            // The shift of a day comes back ten days later unless one of
            // the two is a random day off: count the matching half hours
            // of the working hours over 20 days.
            let same = (0..20 * 48)
                .filter(|&slot| {
                    let a = later(monday(), 0, 0, slot * 30);
                    let b = later(monday(), 10, 0, slot * 30);
                    in_use(&irregular.sample(a)) == in_use(&irregular.sample(b))
                })
                .count();
            assert!(same >= 20 * 48 * 7 / 10, "seed {seed}: {same}");
        }
        // No hour of the week is busy by routine.
        assert!((0..168).all(|hour| truly_idle(WorkloadKind::Irregular, hour)));
    }

    #[test]
    fn test_irregular_in_use_about_a_fifth_of_the_time() {
        let mut busy = 0u64;
        let minutes = 30 * 24 * 60;
        let irregular = workload(WorkloadKind::Irregular, 3);
        for minute in (0..minutes).step_by(5) {
            busy += u64::from(in_use(&irregular.sample(later(monday(), 0, 0, minute))));
        }
        // Six shifts of eight hours in ten days is a fifth of the time;
        // late nights and days-off sessions add a little, days off take
        // a little away.
        let share = busy * 1_000 / (minutes / 5);
        assert!((150..=300).contains(&share), "{share}");
    }

    #[test]
    fn test_laptop_suspended_idle_on_battery_and_gates_act() {
        let mut suspended = 0u32;
        let mut on_battery = 0u32;
        let mut low = 0u32;
        let mut in_use_minutes = 0u32;
        for seed in 1..=5 {
            let laptop = workload(WorkloadKind::Laptop, seed);
            for minute in 0..14 * 24 * 60 {
                let wall = later(monday(), 0, 0, minute);
                let metrics = laptop.sample(wall);
                if laptop.suspended(wall) {
                    suspended += 1;
                    assert!(!in_use(&metrics), "{metrics:?}");
                    assert!(matches!(metrics.power, PowerSource::Battery { .. }));
                    continue;
                }
                in_use_minutes += u32::from(in_use(&metrics));
                if let PowerSource::Battery { level_permille } = metrics.power {
                    on_battery += 1;
                    assert!((BATTERY_FLOOR_PERMILLE..=1_000).contains(&level_permille));
                    low += u32::from(level_permille < 500);
                }
            }
        }
        let all = 5 * 14 * 24 * 60;
        // Often suspended, often on battery, often below the default
        // battery threshold of the power gate.
        assert!(suspended * 5 > all, "{suspended} of {all}");
        assert!(on_battery * 10 > all, "{on_battery} of {all}");
        assert!(low * 4 > on_battery, "{low} of {on_battery}");
        assert!(in_use_minutes * 10 > all, "{in_use_minutes} of {all}");
        // Commutes are always suspended; other workloads never are.
        let laptop = workload(WorkloadKind::Laptop, 1);
        let tuesday_commute = later(monday(), 1, 8, 0);
        assert!(laptop.suspended(tuesday_commute));
        assert!(!workload(WorkloadKind::Office, 1).suspended(tuesday_commute));
    }

    #[test]
    fn test_laptop_battery_drains_on_battery_charges_on_mains() {
        let (mut drained, mut charged) = (0, 0);
        for seed in 1..=5 {
            let laptop = workload(WorkloadKind::Laptop, seed);
            let first = local_day(monday(), UtcOffset::UTC);
            for day in first..first + 5 {
                let (nine, morning) = laptop.laptop_power(day, at(9, 0));
                let (_, noon) = laptop.laptop_power(day, at(12, 0));
                match nine {
                    PowerState::Battery => {
                        assert_eq!(
                            noon,
                            morning.saturating_sub(360).max(BATTERY_FLOOR_PERMILLE)
                        );
                        drained += 1;
                    }
                    PowerState::Mains => {
                        assert_eq!(noon, morning.saturating_add(900).min(1_000));
                        charged += 1;
                    }
                    PowerState::Suspended => {}
                }
            }
        }
        assert!(drained > 0 && charged > 0, "{drained} {charged}");
    }

    #[test]
    fn test_split_mix_stream_bounds_and_spread() {
        let mut rng = SplitMix64::new(42);
        let mut seen = [0u32; 10];
        for _ in 0..10_000 {
            let value = rng.between(3, 12);
            assert!((3..=12).contains(&value));
            seen[(value - 3) as usize] += 1;
        }
        assert!(
            seen.iter().all(|&count| (850..=1_150).contains(&count)),
            "{seen:?}"
        );
        assert_eq!(rng.below(0), 0);
        assert!((0..1_000).all(|_| (-10..=25).contains(&rng.between_signed(-10, 25))));
        let hits = (0..10_000).filter(|_| rng.chance(250)).count();
        assert!((2_300..=2_700).contains(&hits), "{hits}");
        assert_ne!(SplitMix64::keyed(1, 2, 3), SplitMix64::keyed(1, 2, 4));
    }
}
