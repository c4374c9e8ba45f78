//! Booting: the kernel comes up under BIOS and UEFI, and the runner reports
//! a panic and a hang as the failures they are.

use std::time::Duration;

use boot::{Firmware, RunOptions, Verdict};

/// Boots `options`, prints the command and everything the kernel said (the
/// test harness shows it when a test fails), and returns the outcome.
fn boot(options: &RunOptions) -> boot::RunOutcome {
    let command = boot::qemu_command(options).expect("QEMU command");
    println!("$ {}", boot::command_line(&command));
    let outcome = boot::run(options).expect("QEMU runs");
    println!("{}", outcome.serial);
    println!("verdict: {} after {:?}", outcome.verdict, outcome.elapsed);
    outcome
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

#[test]
fn kernel_boots_with_bios_and_prints_banner() {
    let outcome = boot(&RunOptions::new("kernel"));
    assert_eq!(outcome.verdict, Verdict::Success);
    assert_banner(&outcome.serial);
}

#[test]
fn kernel_boots_with_uefi_and_prints_banner() {
    let mut options = RunOptions::new("kernel");
    options.firmware = Firmware::Uefi;
    let outcome = boot(&options);
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
