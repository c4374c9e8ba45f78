//! The kernel clock: the RTC's wall time at boot, advanced by the timer's
//! ticks, optionally faster than real time.
//!
//! Two readings come from one source, so they can never disagree:
//! [`now`] is the monotonic time since boot ([`Instant`], milliseconds)
//! and [`wall`] is the boot wall time plus that same elapsed time. The RTC
//! is read once, at [`init`]; from then on only ticks move the clock, so
//! it never jumps.
//!
//! The speed is a time-acceleration factor: at speed `n`, each real
//! millisecond counts as `n` milliseconds of clock time, on both readings
//! alike. A demo at speed 3 600 lives an hour a second, and the scheduler,
//! which only ever sees these readings, cannot tell. Changing the speed
//! keeps the clock continuous: the clock time reached so far is recorded
//! with the tick it was reached at, and later ticks count at the new speed
//! from there.
//!
//! The wall clock is *untrusted* when the RTC could not be read or names
//! a time before 1970-01-01, which [`WallTime`] cannot represent: the
//! clock then starts at the Unix epoch and [`untrusted`] says why, and the
//! update channel refuses every manifest, since it cannot tell an expired
//! one from a current one. Scheduling goes on with the wrong date.
//!
//! Integer arithmetic only: a tick is [`MILLIS_PER_TICK`] ms, so clock
//! time is `base + (ticks - base_tick) * MILLIS_PER_TICK * speed`, which
//! stays exact and, even at the top speed, does not overflow for over five
//! centuries of uptime.

use core::fmt;

use spin::Mutex;
use update_sched::civil::{UtcOffset, WallTime};
use update_sched::{Duration, Instant};

use crate::arch::{self, MILLIS_PER_TICK};

/// The slowest speed: real time.
pub const MIN_SPEED: u32 = 1;
/// The fastest speed: a million times real time, about 2.8 hours of clock
/// time per 10 ms tick.
pub const MAX_SPEED: u32 = 1_000_000;

/// What the clock was at its last change of speed (or at [`init`]).
#[derive(Clone, Copy, Debug)]
struct State {
    /// The RTC's reading at boot.
    boot_wall: WallTime,
    /// The tick of the last change of speed.
    base_tick: u64,
    /// Clock milliseconds since boot at `base_tick`.
    base_millis: u64,
    /// Clock milliseconds per real millisecond since `base_tick`.
    speed: u32,
    /// Why the wall time is not to be trusted, if it is not.
    untrusted: Option<Untrusted>,
    /// The tick the clock reads as while it is held ([`hold`]).
    held_tick: Option<u64>,
}

impl State {
    /// The tick readings are taken at: the held one, else the current one.
    fn tick(&self) -> u64 {
        self.held_tick.unwrap_or_else(arch::ticks)
    }

    /// Clock milliseconds since boot at `tick`.
    fn millis_at(&self, tick: u64) -> u64 {
        let elapsed_ticks = tick.saturating_sub(self.base_tick);
        let elapsed_millis = elapsed_ticks
            .saturating_mul(MILLIS_PER_TICK)
            .saturating_mul(u64::from(self.speed));
        self.base_millis.saturating_add(elapsed_millis)
    }

    /// Both readings at `tick`.
    fn reading_at(&self, tick: u64) -> Reading {
        let millis = self.millis_at(tick);
        Reading {
            now: Instant::from_millis(millis),
            wall: self.boot_wall.saturating_add(Duration::from_millis(millis)),
        }
    }

    /// Counts ticks after `tick` at `speed`, from the clock time reached
    /// at `tick`, so the clock goes on from where it is.
    fn change_speed(&mut self, tick: u64, speed: u32) {
        self.base_millis = self.millis_at(tick);
        self.base_tick = tick;
        self.speed = speed;
    }
}

/// The clock. Taken with interrupts disabled, so that a reading is never
/// held up by a handler and the lock is safe to take anywhere: no lock is
/// taken under it (kernel/README.md, "Locks").
static CLOCK: Mutex<State> = Mutex::new(State {
    boot_wall: WallTime::UNIX_EPOCH,
    base_tick: 0,
    base_millis: 0,
    speed: MIN_SPEED,
    untrusted: None,
    held_tick: None,
});

/// Why the wall clock cannot be trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Untrusted {
    /// The RTC could not be read.
    RtcUnreadable,
    /// The RTC names a time the clock cannot represent.
    RtcOutOfRange,
}

impl fmt::Display for Untrusted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Untrusted::RtcUnreadable => "the RTC could not be read",
            Untrusted::RtcOutOfRange => "the RTC reads a date outside 1970-01-01..9999-12-31",
        })
    }
}

/// Both of the clock's readings, taken at the same tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reading {
    /// Monotonic clock time since boot.
    pub now: Instant,
    /// Wall time, UTC.
    pub wall: WallTime,
}

impl Reading {
    /// The wall time at monotonic instant `at`, by this reading.
    pub fn wall_at(&self, at: Instant) -> WallTime {
        wall_at(at, self.now, self.wall)
    }
}

/// The wall time at monotonic instant `at`, given that `now` is `wall`.
pub fn wall_at(at: Instant, now: Instant, wall: WallTime) -> WallTime {
    if at >= now {
        wall.saturating_add(at.saturating_duration_since(now))
    } else {
        wall.saturating_sub(now.saturating_duration_since(at))
    }
}

/// Prints a wall time the way the console shows it:
/// `Sat 2026-11-28 21:30:00 UTC`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClockFace(pub WallTime);

impl fmt::Display for ClockFace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let local = self.0.to_local(UtcOffset::UTC);
        write!(
            f,
            "{} {} {:02}:{:02}:{:02} UTC",
            local.weekday().short_name(),
            local.date(),
            local.hour(),
            local.minute(),
            local.second()
        )
    }
}

/// Why the clock refused a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockError {
    /// The speed asked for is outside [`MIN_SPEED`]..=[`MAX_SPEED`].
    SpeedOutOfRange(u32),
}

impl fmt::Display for ClockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClockError::SpeedOutOfRange(speed) => write!(
                f,
                "speed {speed} is out of range: expected {MIN_SPEED}..={MAX_SPEED}"
            ),
        }
    }
}

impl core::error::Error for ClockError {}

/// Starts the clock at `boot_wall` (the RTC's reading), counting from the
/// current tick. The speed stays what it was (1 unless changed).
///
/// Call once, after the timer is running.
pub fn init(boot_wall: WallTime) {
    start(boot_wall, None);
}

/// Starts the clock at the Unix epoch, marked untrusted for `why`.
///
/// Call once, after the timer is running, instead of [`init`].
pub fn init_untrusted(why: Untrusted) {
    start(WallTime::UNIX_EPOCH, Some(why));
}

fn start(boot_wall: WallTime, untrusted: Option<Untrusted>) {
    with_clock(|clock| {
        clock.untrusted = untrusted;
        clock.boot_wall = boot_wall;
        clock.base_tick = arch::ticks();
        clock.base_millis = 0;
        clock.held_tick = None;
    });
}

/// Monotonic clock time since [`init`], in milliseconds, at the current
/// speed.
pub fn now() -> Instant {
    read().now
}

/// Wall time (UTC): the boot wall time plus [`now`]'s elapsed time.
pub fn wall() -> WallTime {
    read().wall
}

/// [`now`] and [`wall`] at one tick.
pub fn read() -> Reading {
    with_clock(|clock| clock.reading_at(clock.tick()))
}

/// Why the wall clock cannot be trusted, or `None` if it can.
pub fn untrusted() -> Option<Untrusted> {
    with_clock(|clock| clock.untrusted)
}

/// The wall time the RTC gave at boot.
pub fn boot_wall() -> WallTime {
    with_clock(|clock| clock.boot_wall)
}

/// The time-acceleration factor: clock milliseconds per real millisecond.
pub fn speed() -> u32 {
    with_clock(|clock| clock.speed)
}

/// Sets the time-acceleration factor from the current tick on, keeping
/// the clock continuous.
pub fn set_speed(speed: u32) -> Result<(), ClockError> {
    if !(MIN_SPEED..=MAX_SPEED).contains(&speed) {
        return Err(ClockError::SpeedOutOfRange(speed));
    }
    with_clock(|clock| clock.change_speed(clock.tick(), speed));
    Ok(())
}

/// Holds the clock at the current tick, if it is not held already: until
/// [`release`], every reading is the one of that tick.
///
/// The console holds it while it runs commands, so that every command
/// typed between two steps of the worker, and every kernel call one
/// command makes, happens at one instant even if a timer tick passes
/// while it runs. The worker then acts on them at that instant: at high
/// speed a tick is minutes of clock time, and a Critical update submitted
/// at tick `k` and seen by the worker at `k + 1` would otherwise start a
/// tick after it became available.
pub fn hold() {
    with_clock(|clock| {
        if clock.held_tick.is_none() {
            clock.held_tick = Some(arch::ticks());
        }
    });
}

/// Lets the clock follow the ticks again after [`hold`]. The main loop
/// releases it at every new tick, before the worker steps.
pub fn release() {
    with_clock(|clock| clock.held_tick = None);
}

fn with_clock<R>(f: impl FnOnce(&mut State) -> R) -> R {
    arch::without_interrupts(|| f(&mut CLOCK.lock()))
}

#[cfg(test)]
mod tests {
    use std::string::ToString;

    use update_sched::civil::{Date, UtcOffset, WallTime};
    use update_sched::{Duration, Instant};

    use super::{ClockError, ClockFace, State, Untrusted, MAX_SPEED, MIN_SPEED};

    /// Wall time at a UTC date and time.
    fn utc(year: i64, month: u8, day: u8, hour: u64, minute: u64, second: u64) -> WallTime {
        let days = Date::new(year, month, day)
            .expect("a date")
            .days_since_epoch();
        let days = u64::try_from(days).expect("after 1970");
        WallTime::from_unix_secs(days * 86_400 + hour * 3_600 + minute * 60 + second)
    }

    /// Saturday 2026-11-28 02:00 UTC, the README's example.
    fn saturday_two() -> WallTime {
        utc(2026, 11, 28, 2, 0, 0)
    }

    /// A clock started at `boot_wall` at tick 0, running at `speed`.
    fn started(boot_wall: WallTime, speed: u32) -> State {
        State {
            boot_wall,
            base_tick: 0,
            base_millis: 0,
            speed,
            untrusted: None,
            held_tick: None,
        }
    }

    /// The wall time at `tick`, as the console shows it.
    fn face_at(state: &State, tick: u64) -> std::string::String {
        ClockFace(state.reading_at(tick).wall).to_string()
    }

    #[test]
    fn test_epoch_reads_thursday_midnight() {
        assert_eq!(
            ClockFace(WallTime::UNIX_EPOCH).to_string(),
            "Thu 1970-01-01 00:00:00 UTC"
        );
        let state = started(WallTime::UNIX_EPOCH, MIN_SPEED);
        assert_eq!(state.reading_at(0).now, Instant::ZERO);
        assert_eq!(state.reading_at(0).wall, WallTime::UNIX_EPOCH);
    }

    #[test]
    fn test_clock_face_pads_every_field() {
        assert_eq!(
            ClockFace(utc(2026, 3, 4, 5, 6, 7)).to_string(),
            "Wed 2026-03-04 05:06:07 UTC"
        );
    }

    #[test]
    fn test_real_time_tick_is_ten_milliseconds() {
        let state = started(WallTime::UNIX_EPOCH, MIN_SPEED);
        assert_eq!(state.millis_at(1), 10);
        assert_eq!(state.millis_at(100), 1_000);
        assert_eq!(
            state.reading_at(360_000).now,
            Instant::from_millis(3_600_000)
        );
    }

    #[test]
    fn test_speed_multiplies_every_tick_on_both_readings() {
        let boot = utc(2026, 11, 28, 0, 0, 0);
        let demo = started(boot, 15_000);
        // The demo's 15,000x: 150 s a tick.
        assert_eq!(demo.millis_at(1), 150_000);
        assert_eq!(demo.reading_at(24).wall, utc(2026, 11, 28, 1, 0, 0));
        let top = started(boot, MAX_SPEED);
        // About 2.8 hours a tick.
        assert_eq!(top.millis_at(1), 10_000_000);
        assert_eq!(face_at(&top, 1), "Sat 2026-11-28 02:46:40 UTC");
    }

    #[test]
    fn test_wall_time_counts_whole_seconds_only() {
        let boot = utc(2026, 11, 28, 12, 0, 0);
        let state = started(boot, MIN_SPEED);
        assert_eq!(state.reading_at(99).wall, boot);
        assert_eq!(state.reading_at(99).now, Instant::from_millis(990));
        assert_eq!(state.reading_at(100).wall, utc(2026, 11, 28, 12, 0, 1));
    }

    #[test]
    fn test_wall_time_crosses_a_day() {
        let state = started(utc(2026, 11, 28, 23, 59, 59), MIN_SPEED);
        assert_eq!(face_at(&state, 0), "Sat 2026-11-28 23:59:59 UTC");
        assert_eq!(face_at(&state, 100), "Sun 2026-11-29 00:00:00 UTC");
    }

    #[test]
    fn test_wall_time_crosses_a_month() {
        let state = started(utc(2026, 11, 30, 23, 59, 30), 3);
        // 30 s at 3x: 1,000 ticks.
        assert_eq!(face_at(&state, 999), "Mon 2026-11-30 23:59:59 UTC");
        assert_eq!(face_at(&state, 1_000), "Tue 2026-12-01 00:00:00 UTC");
    }

    #[test]
    fn test_wall_time_crosses_a_year_at_an_hour_a_tick() {
        let state = started(utc(2026, 12, 31, 23, 0, 0), 360_000);
        assert_eq!(face_at(&state, 1), "Fri 2027-01-01 00:00:00 UTC");
    }

    #[test]
    fn test_wall_time_knows_leap_years() {
        let day = 8_640_000; // ticks in a day at real time
        let leap = started(utc(2028, 2, 28, 0, 0, 0), MIN_SPEED);
        assert_eq!(face_at(&leap, day), "Tue 2028-02-29 00:00:00 UTC");
        let century = started(utc(2100, 2, 28, 0, 0, 0), MIN_SPEED);
        assert_eq!(face_at(&century, day), "Mon 2100-03-01 00:00:00 UTC");
        let four_hundred = started(utc(2000, 2, 28, 0, 0, 0), MIN_SPEED);
        assert_eq!(face_at(&four_hundred, day), "Tue 2000-02-29 00:00:00 UTC");
    }

    #[test]
    fn test_five_centuries_at_top_speed_stay_exact() {
        let state = started(WallTime::UNIX_EPOCH, MAX_SPEED);
        // 500 years of 365.25 days, 100 ticks a second.
        let ticks: u64 = 5 * 36_525 * 8_640_000;
        assert_eq!(state.millis_at(ticks), ticks * 10 * 1_000_000);
        assert!(state.millis_at(ticks) < u64::MAX);
    }

    #[test]
    fn test_huge_tick_counts_saturate_instead_of_wrapping() {
        let state = started(WallTime::UNIX_EPOCH, MAX_SPEED);
        assert_eq!(state.millis_at(u64::MAX), u64::MAX);
        let reading = state.reading_at(u64::MAX);
        assert_eq!(reading.now, Instant::from_millis(u64::MAX));
        assert_eq!(reading.wall.as_unix_secs(), u64::MAX / 1_000);
        let late = started(WallTime::MAX, MIN_SPEED);
        assert_eq!(late.reading_at(1_000).wall, WallTime::MAX);
    }

    #[test]
    fn test_tick_before_the_base_reads_as_the_base() {
        let mut state = started(WallTime::UNIX_EPOCH, 60);
        state.base_tick = 500;
        state.base_millis = 7_000;
        assert_eq!(state.millis_at(0), 7_000);
        assert_eq!(state.millis_at(500), 7_000);
        assert_eq!(state.millis_at(501), 7_600);
    }

    #[test]
    fn test_speed_change_keeps_the_clock_continuous() {
        let mut state = started(utc(2026, 11, 28, 0, 0, 0), MIN_SPEED);
        assert_eq!(state.millis_at(100), 1_000);
        state.change_speed(100, 60);
        assert_eq!(state.millis_at(100), 1_000);
        assert_eq!(state.millis_at(101), 1_600);
        assert_eq!(state.millis_at(200), 61_000);
        // Slowing down never moves the clock back.
        state.change_speed(200, MIN_SPEED);
        assert_eq!(state.millis_at(200), 61_000);
        assert_eq!(state.millis_at(201), 61_010);
        assert_eq!(state.reading_at(201).wall, utc(2026, 11, 28, 0, 1, 1));
    }

    #[test]
    fn test_held_clock_reads_the_held_tick() {
        let mut state = started(WallTime::UNIX_EPOCH, MIN_SPEED);
        state.held_tick = Some(250);
        assert_eq!(state.tick(), 250);
        assert_eq!(
            state.reading_at(state.tick()).now,
            Instant::from_millis(2_500)
        );
    }

    #[test]
    fn test_speed_outside_its_range_is_refused() {
        for speed in [0, MAX_SPEED + 1, u32::MAX] {
            assert_eq!(
                super::set_speed(speed),
                Err(ClockError::SpeedOutOfRange(speed))
            );
        }
        assert_eq!(
            ClockError::SpeedOutOfRange(0).to_string(),
            "speed 0 is out of range: expected 1..=1000000"
        );
    }

    #[test]
    fn test_untrusted_reasons_read_as_sentences() {
        assert_eq!(
            Untrusted::RtcUnreadable.to_string(),
            "the RTC could not be read"
        );
        assert_eq!(
            Untrusted::RtcOutOfRange.to_string(),
            "the RTC reads a date outside 1970-01-01..9999-12-31"
        );
    }

    #[test]
    fn test_wall_at_now_is_the_wall_time_now() {
        let now = Instant::from_millis(123_456);
        assert_eq!(super::wall_at(now, now, saturday_two()), saturday_two());
    }

    #[test]
    fn test_wall_at_later_and_earlier_instants() {
        let now = Instant::from_millis(3_600_000);
        let wall = saturday_two();
        let later = Instant::from_millis(3_600_000 + 90_000);
        assert_eq!(
            super::wall_at(later, now, wall),
            wall.saturating_add(Duration::from_secs(90))
        );
        assert_eq!(
            super::wall_at(Instant::ZERO, now, wall),
            wall.saturating_sub(Duration::from_secs(3_600))
        );
    }

    #[test]
    fn test_wall_at_a_week_ahead_crosses_days_and_months() {
        let now = Instant::from_millis(1_000);
        let week = now.saturating_add(Duration::from_minutes(7 * 24 * 60));
        let at = super::wall_at(week, now, saturday_two());
        assert_eq!(
            std::format!("{}", at.to_local(UtcOffset::UTC)),
            "Sat 2026-12-05 02:00 +00:00"
        );
    }

    #[test]
    fn test_wall_at_saturates_at_both_ends() {
        let now = Instant::from_millis(10_000_000);
        // Before the epoch: the epoch.
        let early = WallTime::from_unix_secs(5);
        assert_eq!(
            super::wall_at(Instant::ZERO, now, early),
            WallTime::UNIX_EPOCH
        );
        let late = WallTime::MAX;
        assert_eq!(
            super::wall_at(Instant::from_millis(u64::MAX), now, late),
            WallTime::MAX
        );
    }
}
