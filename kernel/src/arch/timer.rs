//! The periodic timer: channel 0 of the 8253/8254 programmable interval
//! timer (PIT), wired to IRQ 0, counted by [`ticks`].
//!
//! The PIT counts down from a 16-bit reload value at 1 193 182 Hz (the PC's
//! 14.318 18 MHz crystal divided by 12) and raises IRQ 0 each time it wraps.
//! At power-on the reload value is 65 536, about 18.2 Hz; [`init`] programs
//! the reload value nearest to [`TIMER_HZ`] instead. For 100 Hz that is
//! 11 932, a true rate of 99.998 5 Hz: counting each tick as exactly
//! [`MILLIS_PER_TICK`] ms makes the clock run 15 ppm fast, about 1.3 s a
//! day, below the RTC's own one-second resolution over any run of this
//! kernel.
//!
//! 100 Hz keeps the interrupt load small under emulation while giving the
//! scheduler's clock a 10 ms resolution, finer than anything it decides.

use core::sync::atomic::{AtomicU64, Ordering};

use x86_64::instructions::port::Port;

/// Timer interrupts per second.
pub const TIMER_HZ: u32 = 100;

/// Milliseconds of time each tick stands for.
pub const MILLIS_PER_TICK: u64 = 1_000 / TIMER_HZ as u64;

const _: () = assert!(
    1_000 % TIMER_HZ == 0,
    "a tick must be a whole number of milliseconds"
);

/// The PIT's input clock, in Hz.
const PIT_INPUT_HZ: u32 = 1_193_182;

/// The reload value whose rate is nearest to [`TIMER_HZ`].
const PIT_RELOAD: u32 = (PIT_INPUT_HZ + TIMER_HZ / 2) / TIMER_HZ;

const _: () = assert!(
    PIT_RELOAD >= 2 && PIT_RELOAD <= 0xffff,
    "TIMER_HZ is outside what the PIT can divide its clock into"
);

/// Channel 0's data port.
const PIT_CHANNEL_0: u16 = 0x40;
/// The mode/command port.
const PIT_COMMAND: u16 = 0x43;
/// Channel 0 (bits 7-6 = 00), reload value sent low byte then high byte
/// (bits 5-4 = 11), mode 2, the rate generator (bits 3-1 = 010), binary
/// counting (bit 0 = 0).
const PIT_CHANNEL_0_RATE_GENERATOR: u8 = 0b0011_0100;

/// Timer interrupts since [`init`].
static TICKS: AtomicU64 = AtomicU64::new(0);

/// Monotonic timer ticks since the timer started, [`TIMER_HZ`] a second.
pub fn ticks() -> u64 {
    TICKS.load(Ordering::Relaxed)
}

/// Counts one tick; called by the timer's interrupt handler only.
pub(super) fn count_tick() {
    TICKS.fetch_add(1, Ordering::Relaxed);
}

/// Programs channel 0 to interrupt [`TIMER_HZ`] times a second. Call with
/// interrupts disabled.
pub(super) fn init() {
    let mut command = Port::<u8>::new(PIT_COMMAND);
    let mut channel_0 = Port::<u8>::new(PIT_CHANNEL_0);
    let [low, high, ..] = PIT_RELOAD.to_le_bytes();
    // SAFETY: ports 0x43 and 0x40 are the PIT's command and channel 0 data
    // registers on every PC; this module is their only user, and the
    // command byte selects channel 0 alone, so the other channels (the PC
    // speaker's among them) are untouched.
    unsafe {
        command.write(PIT_CHANNEL_0_RATE_GENERATOR);
        channel_0.write(low);
        channel_0.write(high);
    }
}
