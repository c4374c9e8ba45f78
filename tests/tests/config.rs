//! The boot configuration's way from the host to the kernel: a valid
//! config arrives and is shown; a truncated, corrupted, foreign, invalid or
//! missing ramdisk is rejected with its own reason and the kernel carries
//! on with the defaults.

use boot::config_file::parse_config;
use boot::{Firmware, RamdiskSource, RunOptions, Verdict};

/// What the test kernel prints when it is using the defaults.
const DEFAULT_LINES: [&str; 2] = [
    "test-config: seed=1 days=7 failures=[0, 0, 100, 100, 0] windows=profile \
     frequency=profile max_concurrent=profile",
    "test-config: scheduler windows=Mon..Fri 01:00 +180m; UTC frequency=adaptive \
     max_concurrent=1",
];

/// Boots `test-config` with `ramdisk`, prints the command and the serial
/// output (shown when a test fails), and checks that the kernel carried
/// on to a successful exit. Returns the serial output.
fn boot_with(ramdisk: RamdiskSource) -> String {
    boot_with_firmware(ramdisk, Firmware::Bios)
}

/// [`boot_with`] under `firmware`.
fn boot_with_firmware(ramdisk: RamdiskSource, firmware: Firmware) -> String {
    let mut options = RunOptions::new("test-config");
    options.ramdisk = ramdisk;
    options.firmware = firmware;
    options.timeout = std::time::Duration::from_secs(120);
    let outcome = boot::run_for_test(&options);
    assert_eq!(outcome.verdict, Verdict::Success);
    assert!(
        !outcome.serial.contains("FAILED"),
        "the loaded config must be valid"
    );
    outcome.serial
}

/// The one `config:` line the kernel printed.
fn config_line(serial: &str) -> &str {
    let lines: Vec<&str> = serial
        .lines()
        .filter(|line| line.starts_with("config: "))
        .collect();
    assert_eq!(lines.len(), 1, "exactly one config line: {lines:?}");
    lines[0]
}

fn assert_defaults(serial: &str) {
    for line in DEFAULT_LINES {
        assert!(serial.lines().any(|l| l == line), "missing: {line}");
    }
}

/// A valid, encoded config with every field away from the defaults.
fn valid_ramdisk() -> Vec<u8> {
    let config = parse_config(
        r#"
        mode = "console"
        profile = "server"
        workload = "nightshift"
        speed = 600
        seed = 42
        scenario = "none"
        days = 3
        windows = "Sat,Sun 22:30 +60m; UTC+01:00"
        frequency = "weekly Sun"
        max_concurrent = 2
        [failures]
        firmware = 1000
        "#,
        "test",
    )
    .expect("valid config");
    RamdiskSource::Config(config)
        .bytes()
        .expect("encodes")
        .expect("a ramdisk")
}

#[test]
fn valid_config_arrives_and_is_shown() {
    let serial = boot_with(RamdiskSource::Raw(valid_ramdisk()));
    assert_eq!(
        config_line(&serial),
        "config: console profile=server workload=nightshift speed=600x scenario=none"
    );
    assert!(serial.lines().any(|line| line
        == "test-config: seed=42 days=3 failures=[0, 0, 100, 100, 1000] \
            windows=\"Sat,Sun 22:30 +60m; UTC+01:00\" frequency=\"weekly Sun\" \
            max_concurrent=\"2\""));
    assert!(serial.lines().any(|line| line
        == "test-config: scheduler windows=Sat,Sun 22:30 +60m; UTC+01:00 \
            frequency=weekly Sun max_concurrent=2"));
}

/// A zone name in `windows` reaches the kernel as the zone's POSIX TZ rule,
/// which the kernel's calendar parser accepts.
#[test]
fn zone_name_arrives_as_its_rule() {
    if !std::path::Path::new("/usr/share/zoneinfo/Europe/Berlin").exists() {
        eprintln!("/usr/share/zoneinfo is missing (install tzdata): test skipped");
        return;
    }
    let config = parse_config(
        r#"
        mode = "console"
        windows = "Mon..Fri 01:00 +180m; Europe/Berlin"
        "#,
        "test",
    )
    .expect("valid config");
    let ramdisk = RamdiskSource::Config(config)
        .bytes()
        .expect("encodes")
        .expect("a ramdisk");
    let serial = boot_with(RamdiskSource::Raw(ramdisk));
    assert!(
        serial.lines().any(|line| line.starts_with(
            "test-config: scheduler windows=Mon..Fri 01:00 +180m; CET-1CEST,M3.5.0,M10.5.0/3 "
        )),
        "{serial}"
    );
}

#[test]
fn valid_config_arrives_under_uefi() {
    let serial = boot_with_firmware(RamdiskSource::Raw(valid_ramdisk()), Firmware::Uefi);
    assert_eq!(
        config_line(&serial),
        "config: console profile=server workload=nightshift speed=600x scenario=none"
    );
}

#[test]
fn truncated_ramdisk_is_rejected() {
    let mut bytes = valid_ramdisk();
    let declared = bytes.len() - 20;
    bytes.truncate(bytes.len() - 5);
    let serial = boot_with(RamdiskSource::Raw(bytes));
    assert_eq!(
        config_line(&serial),
        format!(
            "config: ramdisk rejected: truncated: the header announces {declared} bytes of \
             sections, {} follow; using defaults",
            declared - 5
        )
    );
    assert_defaults(&serial);
}

#[test]
fn corrupted_byte_is_rejected() {
    let mut bytes = valid_ramdisk();
    let middle = bytes.len() / 2 + 10;
    bytes[middle] ^= 0x20;
    let serial = boot_with(RamdiskSource::Raw(bytes));
    let line = config_line(&serial);
    assert!(
        line.starts_with("config: ramdisk rejected: checksum mismatch: header says ")
            && line.ends_with("; using defaults"),
        "{line}"
    );
    assert_defaults(&serial);
}

#[test]
fn garbage_is_rejected() {
    let serial = boot_with(RamdiskSource::Raw(
        b"#!/bin/sh\necho this is not an upkeep ramdisk\n".to_vec(),
    ));
    assert_eq!(
        config_line(&serial),
        "config: ramdisk rejected: bad magic: not an upkeep ramdisk (expected UPKEEPRD); \
         using defaults"
    );
    assert_defaults(&serial);
}

#[test]
fn invalid_config_is_rejected_after_decoding() {
    let config = boot::BootConfig {
        speed: 0,
        ..boot::BootConfig::default()
    };
    let serial = boot_with(RamdiskSource::Config(config));
    assert_eq!(
        config_line(&serial),
        "config: ramdisk rejected: invalid config: speed 0 is outside 1..=1000000; \
         using defaults"
    );
    assert_defaults(&serial);
}

#[test]
fn no_ramdisk_means_defaults() {
    let serial = boot_with(RamdiskSource::None);
    assert_eq!(config_line(&serial), "config: no ramdisk; using defaults");
    assert_defaults(&serial);
}
