//! The `boot` binary's exit status: 0 exactly when the kernel reported
//! success, and a message for every other ending.

mod common;

use common::run_boot;

#[test]
fn test_runner_success_exits_zero_and_prints_command() {
    let output = run_boot(&[]);
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("boot: running qemu-system-x86_64 "),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("upkeep kernel "));
}

#[test]
fn test_runner_panic_exits_one_with_message() {
    let output = run_boot(&["--kernel", "test-panic"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).contains("PANIC: "));
    assert!(String::from_utf8_lossy(&output.stderr).contains("kernel reported failure"));
}

#[test]
fn test_runner_hang_exits_124_saying_timeout() {
    let output = run_boot(&["--kernel", "test-hang", "--timeout", "5"]);
    assert_eq!(output.status.code(), Some(124));
    assert!(String::from_utf8_lossy(&output.stderr).contains("timed out after 5 s"));
}

#[test]
fn test_runner_bad_arguments_exit_two() {
    for args in [
        &["--timeout"][..],
        &["--timeout", "0"],
        &["--timeout", "soon"],
        &["--kernel", "nope"],
        &["--frobnicate"],
    ] {
        let output = run_boot(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&output.stderr).starts_with("boot: "));
    }
}

#[test]
fn test_repeated_or_empty_options_exit_two_instead_of_overriding() {
    for (args, expected) in [
        (
            &["--rtc", "2026-01-01", "--rtc", "2027-01-01", "--list"][..],
            "boot: --rtc is given twice; give it once",
        ),
        (
            &["--timeout", "5", "--timeout", "6"],
            "boot: --timeout is given twice; give it once",
        ),
        (
            &["--kernel", "kernel", "--kernel", "nope", "--list"],
            "boot: --kernel is given twice; give it once",
        ),
        (
            &["--uefi", "--bios", "--list"],
            "boot: --uefi and --bios exclude each other",
        ),
        (&["--list", "--bogus"], "boot: unknown option '--bogus'"),
        (
            &["--config", ""],
            "boot: --config needs a value, not an empty string",
        ),
        (
            &["keygen", "--out", "a", "--out", "b"],
            "boot: --out is given twice; give it once",
        ),
        (
            &["keygen", "--out", ""],
            "boot: --out needs a value, not an empty string",
        ),
        (
            &["sign", "--key", "k", "--key", "k"],
            "boot: --key is given twice; give it once",
        ),
        (
            &["sign", "--out", ""],
            "boot: --out needs a value, not an empty string",
        ),
    ] {
        let output = run_boot(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.lines().next(), Some(expected), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
    assert!(!std::path::Path::new("a").exists() && !std::path::Path::new("b").exists());
    // --manifest is the one option meant to repeat.
    let output = run_boot(&["--manifest", "x", "--manifest", "y", "--list"]);
    assert_eq!(output.status.code(), Some(0));
}

/// Writes `text` to a fresh file in the temporary directory.
fn temp_config(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("boot-runner-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write config");
    path
}

#[test]
fn test_runner_bad_config_exits_two_naming_the_problem() {
    let cases = [
        ("unknown-key.toml", "sped = 600\n", "unknown field `sped`"),
        (
            "bad-type.toml",
            "speed = \"fast\"\n",
            "bad-type.toml:1: speed: invalid type",
        ),
        (
            "bad-window.toml",
            "mode = \"demo\"\nwindows = \"Sat 25:00 +1h\"\n",
            "start hour out of range",
        ),
        (
            "bad-speed.toml",
            "profile = \"iot\"\nspeed = 0\n",
            "bad-speed.toml:2: invalid config: speed 0 is outside 1..=1000000",
        ),
    ];
    for (name, text, expected) in cases {
        let path = temp_config(name, text);
        let output = run_boot(&["--config", path.to_str().expect("UTF-8 path")]);
        assert_eq!(output.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.starts_with("boot: "), "{stderr}");
        assert!(stderr.contains(name), "names the file: {stderr}");
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert!(!stderr.contains("usage:"), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
    let output = run_boot(&["--config", "/nonexistent/upkeep.toml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read config"));
    let output = run_boot(&["--config"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn test_runner_config_file_and_console_reach_the_kernel() {
    let console_line = "config: console profile=desktop workload=office speed=60x scenario=none";
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../config/console.toml");
    for args in [
        &["--kernel", "test-config", "--config", file][..],
        &["--kernel", "test-config", "--console"],
    ] {
        let output = run_boot(args);
        assert_eq!(output.status.code(), Some(0), "{args:?}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.lines().any(|line| line == console_line), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!("boot: {console_line}")),
            "{stderr}"
        );
    }
    let output = run_boot(&["--kernel", "test-config"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout)
        .contains("config: demo profile=desktop workload=office speed=15000x scenario=week"));
}

#[test]
fn test_runner_rtc_impossible_or_malformed_date_exits_two_before_qemu() {
    for (rtc, expected) in [
        ("bogus", "expected YYYY-MM-DDTHH:MM:SS or YYYY-MM-DD"),
        (
            "2026-11-28T22:45",
            "expected YYYY-MM-DDTHH:MM:SS or YYYY-MM-DD",
        ),
        ("2026-02-30T00:00:00", "day out of range for its month"),
        ("2026-11-28T25:00:00", "hour out of range"),
        ("2026-11-28T22:45:60", "second out of range"),
        ("1969-12-31", "runs from 1970-01-01T00:00:00"),
    ] {
        let output = run_boot(&["--kernel", "test-config", "--rtc", rtc]);
        assert_eq!(output.status.code(), Some(2), "{rtc}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.starts_with(&format!("boot: --rtc {rtc:?}: ")),
            "{stderr}"
        );
        assert!(stderr.contains(expected), "{rtc}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(output.stdout.is_empty(), "QEMU did not start");
    }
}

#[test]
fn test_runner_refuses_unbounded_config_and_bundle_reads() {
    for (args, expected) in [
        (
            ["--config", "/dev/zero"],
            format!(
                "boot: cannot read config /dev/zero: larger than {} bytes, the most allowed\n",
                boot::config_file::MAX_CONFIG_FILE_LEN
            ),
        ),
        (
            ["--manifest", "/dev/zero"],
            format!(
                "boot: cannot read bundle /dev/zero: larger than {} bytes, the most allowed\n",
                boot::bundle::MAX_BUNDLE_LEN
            ),
        ),
    ] {
        let started = std::time::Instant::now();
        let output = run_boot(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&output.stderr), expected);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "{args:?} took {:?}",
            started.elapsed()
        );
    }
}
