//! Test kernel: checks the timer and the clock against each other and
//! against the RTC, and the frame allocator's accounting, then exits with
//! success, or prints what went wrong and exits with failure.
//!
//! 1. The RTC decoder on register values QEMU never produces (12-hour
//!    mode, binary fields, bad BCD, a day that does not exist).
//! 2. `2 * TIMER_HZ` ticks move the clock by exactly 2 s, and the RTC,
//!    read again, by 2 s give or take the second it was read in.
//! 3. At speed 3600, `TIMER_HZ` ticks move the wall clock by an hour.
//! 4. Speeds out of range are refused.
//! 5. A held clock reads the same across ticks (so a console command and
//!    the kernel calls it makes happen at one instant), a change of speed
//!    while held keeps it continuous, and released it follows the ticks.
//! 6. Each frame allocated counts 4 KiB more memory in use.
#![no_std]
#![no_main]

use core::fmt;

use bootloader_api::{entry_point, BootInfo};
use kernel::drivers::rtc::{self, Field, RawReading, RtcError};
use kernel::{arch, clock, memory, qemu, serial_println};
use update_sched::civil::{CivilError, Date, WallTime};

entry_point!(kernel_main, config = &kernel::BOOTLOADER_CONFIG);

fn kernel_main(boot_info: &'static mut BootInfo) -> ! {
    kernel::init(boot_info);
    check_rtc_decoding();
    check_real_time();
    check_accelerated_time();
    check_speed_limits();
    check_clock_held_across_ticks();
    check_frame_accounting();
    serial_println!("test-timer: passed");
    qemu::exit(qemu::ExitCode::Success)
}

/// Ends the run as a failure unless `ok`, saying what was expected.
fn check(ok: bool, what: fmt::Arguments) {
    if !ok {
        serial_println!("test-timer: FAILED: {}", what);
        qemu::exit(qemu::ExitCode::Failure);
    }
}

fn check_rtc_decoding() {
    let wall = |text: &str| text.parse::<WallTime>().ok();
    // 2026-11-28 21:30:05 as QEMU sets it: BCD, 24-hour.
    let qemu_style = RawReading {
        seconds: 0x05,
        minutes: 0x30,
        hours: 0x21,
        day: 0x28,
        month: 0x11,
        year: 0x26,
        century: 0x20,
        status_b: 0x02,
    };
    let cases = [
        (
            qemu_style,
            wall("2026-11-28T21:30:05Z").ok_or(RtcError::Unsettled),
        ),
        (
            // Binary, 12-hour: 9 PM.
            RawReading {
                seconds: 5,
                minutes: 30,
                hours: 0x80 | 9,
                day: 28,
                month: 11,
                year: 26,
                century: 20,
                status_b: 0x04,
            },
            wall("2026-11-28T21:30:05Z").ok_or(RtcError::Unsettled),
        ),
        (
            // BCD, 12-hour: 12 AM is midnight.
            RawReading {
                hours: 0x12,
                status_b: 0x00,
                ..qemu_style
            },
            wall("2026-11-28T00:30:05Z").ok_or(RtcError::Unsettled),
        ),
        (
            // BCD, 12-hour: 12 PM is noon.
            RawReading {
                hours: 0x80 | 0x12,
                status_b: 0x00,
                ..qemu_style
            },
            wall("2026-11-28T12:30:05Z").ok_or(RtcError::Unsettled),
        ),
        (
            RawReading {
                seconds: 0x5a,
                ..qemu_style
            },
            Err(RtcError::BadEncoding(Field::Seconds, 0x5a)),
        ),
        (
            // 12-hour mode has no hour 0.
            RawReading {
                hours: 0x00,
                status_b: 0x00,
                ..qemu_style
            },
            Err(RtcError::BadEncoding(Field::Hours, 0x00)),
        ),
        (
            RawReading {
                day: 0x30,
                month: 0x02,
                ..qemu_style
            },
            Err(RtcError::NoSuchTime(CivilError::DayOutOfRange)),
        ),
        (
            // The century register counts: 2100 is not 2000.
            RawReading {
                day: 0x28,
                month: 0x02,
                year: 0x00,
                century: 0x21,
                ..qemu_style
            },
            wall("2100-02-28T21:30:05Z").ok_or(RtcError::Unsettled),
        ),
        (
            RawReading {
                day: 0x28,
                month: 0x12,
                year: 0x99,
                century: 0x19,
                ..qemu_style
            },
            wall("1999-12-28T21:30:05Z").ok_or(RtcError::Unsettled),
        ),
        (
            // No plausible century register: 20xx, assumed.
            RawReading {
                century: 0xff,
                ..qemu_style
            },
            wall("2026-11-28T21:30:05Z").ok_or(RtcError::Unsettled),
        ),
        (
            // A century before the clock's range is read, not replaced by
            // a guess (QEMU's RTC wraps to 1816 past 2262).
            RawReading {
                day: 0x30,
                month: 0x03,
                year: 0x16,
                century: 0x18,
                ..qemu_style
            },
            Err(Date::new(1816, 3, 30).map_or(RtcError::Unsettled, RtcError::OutOfRange)),
        ),
        (
            // Before the Unix epoch: the clock cannot represent it.
            RawReading {
                year: 0x69,
                century: 0x19,
                ..qemu_style
            },
            Err(Date::new(1969, 11, 28).map_or(RtcError::Unsettled, RtcError::OutOfRange)),
        ),
    ];
    for (raw, expected) in cases {
        let decoded = rtc::decode(raw);
        check(
            decoded == expected,
            format_args!("decoding {raw:?} gave {decoded:?}, expected {expected:?}"),
        );
    }
    serial_println!("test-timer: RTC decoding: {} cases right", cases.len());
}

/// The tick count and the clock, read at one tick.
fn snapshot() -> (u64, clock::Reading) {
    arch::without_interrupts(|| (arch::ticks(), clock::read()))
}

/// Sleeps until tick `target`, then reads the clock before another tick
/// can arrive.
fn wait_until(target: u64) -> (u64, clock::Reading) {
    loop {
        let reading = arch::without_interrupts(|| {
            let tick = arch::ticks();
            (tick >= target).then(|| (tick, clock::read()))
        });
        if let Some(reading) = reading {
            return reading;
        }
        arch::wait_for_interrupt();
    }
}

fn check_real_time() {
    let rtc_before = rtc::read();
    let (start_tick, start) = snapshot();
    let (end_tick, end) = wait_until(start_tick + 2 * u64::from(arch::TIMER_HZ));
    let rtc_after = rtc::read();

    let ticks = end_tick - start_tick;
    let millis = end.now.as_millis() - start.now.as_millis();
    check(
        millis == ticks * arch::MILLIS_PER_TICK,
        format_args!("{ticks} ticks moved the monotonic clock by {millis} ms"),
    );
    let seconds = end.wall.as_unix_secs() - start.wall.as_unix_secs();
    let expected = (end.now.as_millis() / 1000) - (start.now.as_millis() / 1000);
    check(
        seconds == expected && (2..=3).contains(&seconds),
        format_args!("{ticks} ticks moved the wall clock by {seconds} s"),
    );
    let (Ok(rtc_before), Ok(rtc_after)) = (rtc_before, rtc_after) else {
        check(
            false,
            format_args!("RTC unreadable: {rtc_before:?} {rtc_after:?}"),
        );
        return;
    };
    let rtc_seconds = rtc_after
        .as_unix_secs()
        .saturating_sub(rtc_before.as_unix_secs());
    // Each RTC reading can be up to a second behind: 2 s of ticks show
    // as 1 to 3 s on the RTC.
    check(
        (1..=3).contains(&rtc_seconds),
        format_args!("{ticks} ticks took {rtc_seconds} s by the RTC"),
    );
    serial_println!(
        "test-timer: {} ticks at {} Hz: clock +{} ms, wall +{} s, RTC +{} s",
        ticks,
        arch::TIMER_HZ,
        millis,
        seconds,
        rtc_seconds
    );
}

fn check_accelerated_time() {
    const SPEED: u32 = 3_600;
    let (start_tick, start) = arch::without_interrupts(|| {
        let changed = clock::set_speed(SPEED);
        check(
            changed.is_ok(),
            format_args!("set_speed({SPEED}): {changed:?}"),
        );
        snapshot()
    });
    check(
        clock::speed() == SPEED,
        format_args!("speed reads {} after set_speed({SPEED})", clock::speed()),
    );
    let (end_tick, end) = wait_until(start_tick + u64::from(arch::TIMER_HZ));
    let ticks = end_tick - start_tick;
    let millis = end.now.as_millis() - start.now.as_millis();
    check(
        millis == ticks * arch::MILLIS_PER_TICK * u64::from(SPEED),
        format_args!("at speed {SPEED}, {ticks} ticks moved the monotonic clock by {millis} ms"),
    );
    let seconds = end.wall.as_unix_secs() - start.wall.as_unix_secs();
    check(
        ticks == u64::from(arch::TIMER_HZ) && seconds == 3_600,
        format_args!("at speed {SPEED}, {ticks} ticks moved the wall clock by {seconds} s"),
    );
    serial_println!(
        "test-timer: at speed {} {} ticks: wall +{} s, now {}",
        SPEED,
        ticks,
        seconds,
        clock::ClockFace(end.wall)
    );
    let restored = clock::set_speed(1);
    check(restored.is_ok(), format_args!("set_speed(1): {restored:?}"));
}

fn check_speed_limits() {
    for speed in [0, clock::MAX_SPEED + 1] {
        let refused = clock::set_speed(speed);
        check(
            refused == Err(clock::ClockError::SpeedOutOfRange(speed)),
            format_args!("set_speed({speed}) gave {refused:?}"),
        );
    }
    check(
        clock::speed() == 1,
        format_args!("a refused speed changed the speed to {}", clock::speed()),
    );
    serial_println!("test-timer: speeds 0 and {} refused", clock::MAX_SPEED + 1);
}

fn check_clock_held_across_ticks() {
    const SPEED: u32 = 15_000;
    let (start_tick, held) = arch::without_interrupts(|| {
        clock::hold();
        snapshot()
    });
    let _ = wait_until(start_tick + 2);
    let still = clock::read();
    check(
        still == held,
        format_args!("held at {held:?}, the clock read {still:?} two ticks on"),
    );
    // A second hold keeps the first instant.
    clock::hold();
    let changed = clock::set_speed(SPEED);
    check(
        changed.is_ok(),
        format_args!("set_speed({SPEED}): {changed:?}"),
    );
    let after_speed = clock::read();
    check(
        after_speed == held,
        format_args!("held at {held:?}, a change of speed moved it to {after_speed:?}"),
    );
    let (tick, released) = arch::without_interrupts(|| {
        clock::release();
        snapshot()
    });
    let ticks = tick - start_tick;
    let millis = released.now.as_millis() - held.now.as_millis();
    check(
        millis == ticks * arch::MILLIS_PER_TICK * u64::from(SPEED),
        format_args!(
            "released {ticks} ticks after the hold at speed {SPEED}, the clock moved {millis} ms"
        ),
    );
    let restored = clock::set_speed(1);
    check(restored.is_ok(), format_args!("set_speed(1): {restored:?}"));
    serial_println!("test-timer: a held clock stood still for {ticks} ticks");
}

fn check_frame_accounting() {
    const FRAMES: u64 = 16;
    let before = memory::usage();
    let mut previous = None;
    for _ in 0..FRAMES {
        let frame = memory::allocate_frame();
        check(
            frame.is_some(),
            format_args!("no frame to allocate; memory {before}"),
        );
        let address = frame.map_or(0, |frame| frame.start_address().as_u64());
        check(
            previous.is_none_or(|previous| address > previous),
            format_args!("frame {address:#x} handed out after {previous:?}"),
        );
        previous = Some(address);
    }
    let after = memory::usage();
    check(
        after.used_bytes == before.used_bytes + FRAMES * memory::FRAME_SIZE
            && after.total_bytes == before.total_bytes
            && after.used_bytes < after.total_bytes,
        format_args!("{FRAMES} frames took memory from {before:?} to {after:?}"),
    );
    serial_println!("test-timer: {} frames allocated: memory {}", FRAMES, after);
}
