//! The CPU, the clock and memory accounting: an exception is reported with
//! its details and ends the run as a failure; the timer ticks at its rate,
//! the clock starts from the RTC and follows the ticks at any speed, and
//! allocated frames count as memory in use.

use std::time::Duration;

use boot::{Firmware, RunOptions, Verdict};

/// The emulated RTC's start: a Saturday evening, as the scheduler's demo
/// likes them.
const RTC_BASE: &str = "2026-11-28T21:30:00";

/// Boots `options`, printing the command and everything the kernel said
/// (the test harness shows it when a test fails).
fn boot(options: &RunOptions) -> boot::RunOutcome {
    boot::run_for_test(options)
}

/// The first line that starts with `prefix`.
fn line<'a>(serial: &'a str, prefix: &str) -> &'a str {
    serial
        .lines()
        .find(|line| line.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?}"))
}

/// Seconds since midnight of `HH:MM:SS`.
fn second_of_day(time: &str) -> u32 {
    let fields: Vec<u32> = time
        .split(':')
        .map(|field| field.parse().expect("a number"))
        .collect();
    assert_eq!(fields.len(), 3, "{time}");
    fields[0] * 3600 + fields[1] * 60 + fields[2]
}

/// Boots `test-timer` with the RTC at [`RTC_BASE`] and checks what it
/// printed: the clock line at boot, then the timer's and clock's checks.
fn check_test_timer(firmware: Firmware) {
    let mut options = RunOptions::new("test-timer");
    options.firmware = firmware;
    options.rtc_base = Some(RTC_BASE.to_string());
    options.timeout = Duration::from_secs(120);
    let outcome = boot(&options);
    assert_eq!(outcome.verdict, Verdict::Success);
    let serial = &outcome.serial;

    // `clock: RTC says Sat 2026-11-28 21:30:02 UTC; timer 100 Hz`: the
    // RTC's date, and its time within the minute booting takes.
    let clock = line(serial, "clock: RTC says ");
    let words: Vec<&str> = clock.split_whitespace().collect();
    assert_eq!(&words[3..5], ["Sat", "2026-11-28"], "{clock}");
    let boot_seconds = second_of_day(words[5]) - second_of_day("21:30:00");
    assert!(boot_seconds < 60, "{clock}");
    assert!(clock.ends_with("UTC; timer 100 Hz"), "{clock}");

    assert!(serial.contains("test-timer: RTC decoding: 12 cases right"));
    let ticks = line(serial, "test-timer: 200 ticks at 100 Hz: ");
    assert!(ticks.contains("clock +2000 ms, wall +2 s"), "{ticks}");
    // Timer and RTC run from the same emulated clock (`clock=vm`).
    let rtc_seconds: u32 = ticks
        .rsplit("RTC +")
        .next()
        .and_then(|rest| rest.strip_suffix(" s"))
        .and_then(|n| n.parse().ok())
        .expect("RTC seconds");
    assert!((1..=3).contains(&rtc_seconds), "{ticks}");

    // An hour of clock time in a second of ticks at speed 3600, and the
    // wall clock shows it.
    let fast = line(serial, "test-timer: at speed 3600 100 ticks: ");
    assert!(fast.contains("wall +3600 s"), "{fast}");
    assert!(fast.contains("now Sat 2026-11-28 22:3"), "{fast}");

    assert!(serial.contains("test-timer: speeds 0 and 1000001 refused"));
    // Console commands happen at one instant: a held clock stands still.
    assert!(serial.contains("test-timer: a held clock stood still for "));
    let frames = line(serial, "test-timer: 16 frames allocated: memory ");
    assert!(frames.contains(" MiB in use ("), "{frames}");
    assert!(serial.contains("test-timer: passed"));
}

#[test]
fn page_fault_is_reported_with_address_and_error_code() {
    let outcome = boot(&RunOptions::new("test-fault"));
    assert_eq!(outcome.verdict, Verdict::KernelFailure);
    let report: Vec<&str> = outcome
        .serial
        .lines()
        .skip_while(|line| !line.starts_with("EXCEPTION: "))
        .take(4)
        .collect();
    assert_eq!(
        report.first().copied(),
        Some("EXCEPTION: page fault (vector 14)"),
        "{report:?}"
    );
    assert!(report.contains(&"  address: 0xdeadbeef000"), "{report:?}");
    assert!(
        report.contains(&"  error code: 0x0 = page not present, read, kernel mode"),
        "{report:?}"
    );
    assert!(
        report.iter().any(|line| line.starts_with("  at rip 0x")),
        "{report:?}"
    );
    assert!(!outcome.serial.contains("is mapped after all"));
}

#[test]
fn timer_ticks_and_clock_follows_rtc_with_bios() {
    check_test_timer(Firmware::Bios);
}

#[test]
fn timer_ticks_and_clock_follows_rtc_with_uefi() {
    check_test_timer(Firmware::Uefi);
}

/// Boots the console kernel with the RTC at `rtc`, types `shutdown`, and
/// returns the clock line it printed at boot.
fn clock_line_at(rtc: &str) -> String {
    let mut options = RunOptions::new("kernel");
    options.rtc_base = Some(rtc.to_string());
    options.ramdisk = boot::RamdiskSource::Config(boot_config::BootConfig::console());
    options.input = boot::Input::Bytes(b"shutdown\n".to_vec());
    options.timeout = Duration::from_secs(120);
    let outcome = boot(&options);
    assert_eq!(outcome.verdict, Verdict::Success);
    line(&outcome.serial, "clock: ").to_string()
}

#[test]
fn rtc_century_register_is_read_not_assumed() {
    // Without the century register these read as 2099 and 2070.
    for (rtc, expected) in [
        ("1999-12-28T10:00:00", "clock: RTC says Tue 1999-12-28 10:0"),
        ("1970-01-01T00:00:00", "clock: RTC says Thu 1970-01-01 00:0"),
    ] {
        let clock = clock_line_at(rtc);
        assert!(clock.starts_with(expected), "{rtc}: {clock}");
    }
}

#[test]
fn rtc_century_below_19_is_read_and_untrusted_not_guessed_as_20xx() {
    // QEMU's RTC counts nanoseconds in 64 bits: past 2262-04-11 it wraps,
    // and 9999-12-31 reads as 1816-03-30, century register 18. Taken as
    // 2016 the clock would be trusted at a guessed date.
    let clock = clock_line_at("9999-12-31T23:59:59");
    assert!(
        clock.starts_with("clock: RTC unusable (the RTC reads 1816-03-30, outside ")
            && clock.contains("untrusted: manifests are refused"),
        "{clock}"
    );
}
