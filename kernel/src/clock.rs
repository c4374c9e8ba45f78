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
    with_clock(|clock| {
        let millis = clock.millis_at(clock.tick());
        Reading {
            now: Instant::from_millis(millis),
            wall: clock
                .boot_wall
                .saturating_add(Duration::from_millis(millis)),
        }
    })
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
    with_clock(|clock| {
        let tick = clock.tick();
        clock.base_millis = clock.millis_at(tick);
        clock.base_tick = tick;
        clock.speed = speed;
    });
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
