//! Booting: the kernel comes up under BIOS and UEFI, and the runner reports
//! a panic and a hang as the failures they are.

use std::time::Duration;

use boot::{Firmware, Input, RamdiskSource, RunOptions, Verdict};
use boot_config::BootConfig;

/// Boots `options`, printing the command and everything the kernel said
/// (the test harness shows it when a test fails).
fn boot(options: &RunOptions) -> boot::RunOutcome {
    boot::run_for_test(options)
}

fn assert_banner(serial: &str) {
    let banner = serial
        .lines()
        .find(|line| line.starts_with("upkeep kernel "))
        .expect("boot banner printed");
    assert!(
        banner.contains(env!("CARGO_PKG_VERSION")),
        "banner names the version: {banner}"
    );
    let regions: usize = banner
        .split("memory map has ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("banner gives the memory map size");
    assert!(regions > 0, "{banner}");
}

/// The real kernel, at its console, told to shut down at once (the demo
/// has a test of its own).
fn kernel_at_console(firmware: Firmware) -> RunOptions {
    let mut options = RunOptions::new("kernel");
    options.firmware = firmware;
    options.ramdisk = RamdiskSource::Config(BootConfig::console());
    options.input = Input::Bytes(b"shutdown\n".to_vec());
    options
}

#[test]
fn kernel_boots_with_bios_and_prints_banner() {
    let outcome = boot(&kernel_at_console(Firmware::Bios));
    assert_eq!(outcome.verdict, Verdict::Success);
    assert_banner(&outcome.serial);
}

#[test]
fn kernel_boots_with_uefi_and_prints_banner() {
    let outcome = boot(&kernel_at_console(Firmware::Uefi));
    assert_eq!(outcome.verdict, Verdict::Success);
    assert_banner(&outcome.serial);
}

#[test]
fn panic_is_reported_as_failure_with_its_message() {
    let outcome = boot(&RunOptions::new("test-panic"));
    assert_eq!(outcome.verdict, Verdict::KernelFailure);
    assert_banner(&outcome.serial);
    let panic_line = outcome
        .serial
        .lines()
        .position(|line| line.starts_with("PANIC: "))
        .expect("PANIC line printed");
    let rest: Vec<&str> = outcome.serial.lines().skip(panic_line).collect();
    assert!(
        rest.join("\n")
            .contains("deliberate test panic, answer was 41"),
        "panic message visible: {rest:?}"
    );
}

#[test]
fn hung_kernel_is_stopped_at_the_timeout() {
    let mut options = RunOptions::new("test-hang");
    options.timeout = Duration::from_secs(8);
    let outcome = boot(&options);
    assert_eq!(outcome.verdict, Verdict::TimedOut);
    assert!(outcome.elapsed >= Duration::from_secs(8));
    assert!(
        outcome.elapsed < Duration::from_secs(20),
        "{:?}",
        outcome.elapsed
    );
    assert!(outcome.serial.contains("test-hang: spinning"));
}
