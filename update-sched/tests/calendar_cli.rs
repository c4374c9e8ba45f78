//! Runs the `calendar` example end to end and checks what it prints.
//!
//! Cargo gives integration tests the path of binaries but not of examples,
//! so the tool runs through `cargo run` with the Cargo that runs the tests;
//! after the first call the example is built and each run is quick.

mod common;

use std::process::Output;

/// Runs the calendar example with `args`.
fn run_calendar(args: &[&str]) -> Output {
    common::run_example("calendar", args)
}

#[test]
fn test_weekend_calendar_closed_at_reports_next_openings() {
    let output = run_calendar(&[
        "Sat,Sun 22:30 +60m",
        "mon..fri 02:00 +2h",
        "--offset",
        "+01:00",
        "--at",
        "2026-11-28T22:45:00Z",
        "--next",
        "3",
    ]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "  Original form: Sat,Sun 22:30 +60m
Normalized form: Sat,Sun 22:30 +60m
  Original form: mon..fri 02:00 +2h
Normalized form: Mon..Fri 02:00 +120m
       Calendar: Sat,Sun 22:30 +60m; Mon..Fri 02:00 +120m; UTC+01:00
  Open per week: 720 minutes (12h)
             At: 2026-11-28T22:45:00Z = Sat 2026-11-28 23:45 +01:00
          State: closed, opens in 22h 45m: 2026-11-29T21:30:00Z = Sun 2026-11-29 22:30 +01:00
       Openings: 2026-11-29T21:30:00Z = Sun 2026-11-29 22:30 +01:00
                 2026-11-30T01:00:00Z = Mon 2026-11-30 02:00 +01:00
                 2026-12-01T01:00:00Z = Tue 2026-12-01 02:00 +01:00
"
    );
}

#[test]
fn test_weekend_calendar_open_at_reports_close() {
    let output = run_calendar(&[
        "Sat,Sun 22:30 +60m",
        "--offset=+01:00",
        "--at=2026-11-28T21:45:00Z",
        "--next=1",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains(
        "          State: open, closes in 45m: 2026-11-28T22:30:00Z = Sat 2026-11-28 23:30 +01:00\n"
    ));
    assert!(
        stdout.ends_with("       Openings: 2026-11-29T21:30:00Z = Sun 2026-11-29 22:30 +01:00\n")
    );
}

#[test]
fn test_bad_input_exits_with_usage_error() {
    let window = "Sat 22:30 +1h";
    let cases: [&[&str]; 9] = [
        &["Funday 22:30 +1h"],
        &[window, "--offset", "+15:00"],
        &[window, "--at", "2026-13-01T00:00:00Z"],
        &[window, "--next", "0"],
        &[window, "--next", "many"],
        &[window, "--bogus"],
        &[window, "--at"],
        &["--at", "2026-11-28T22:45:00Z"],
        &["Sat 22:30 +8d"],
    ];
    for args in cases {
        let output = run_calendar(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
    }
}

#[test]
fn test_help_prints_usage() {
    let output = run_calendar(&["--help"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8(output.stdout)
        .unwrap()
        .starts_with("usage: calendar WINDOW..."));
}

#[test]
fn test_zone_form_of_the_boot_config_accepted() {
    // The boot config's `windows` field names its offset after a `;`; the
    // tool once took that for a malformed window.
    let at = ["--at", "2026-11-28T22:45:00Z", "--next", "2"];
    let zoned = run_calendar(&[&["Sat,Sun 22:30 +60m; UTC+01:00"], &at[..]].concat());
    assert_eq!(zoned.status.code(), Some(0));
    let flagged = run_calendar(&[&["Sat,Sun 22:30 +60m", "--offset", "+01:00"], &at[..]].concat());
    assert_eq!(flagged.status.code(), Some(0));
    let zoned = String::from_utf8(zoned.stdout).unwrap();
    assert!(zoned.starts_with(
        "  Original form: Sat,Sun 22:30 +60m; UTC+01:00
Normalized form: Sat,Sun 22:30 +60m; UTC+01:00
       Calendar: Sat,Sun 22:30 +60m; UTC+01:00
"
    ));
    // Past the first two lines, the same report as with --offset.
    let rest = |text: &str| text.lines().skip(2).map(str::to_owned).collect::<Vec<_>>();
    assert_eq!(
        rest(&zoned),
        rest(&String::from_utf8(flagged.stdout).unwrap())
    );

    // The offset once only: by --offset or in the windows.
    let output = run_calendar(&["Sat 22:30 +1h; UTC+01:00", "--offset", "+01:00"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("the UTC offset is given twice"), "{stderr}");
    // An offset alone is no calendar worth showing.
    let output = run_calendar(&["UTC+01:00"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn test_ninth_window_refused_as_in_the_boot_config() {
    let days = [
        "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Mon", "Tue",
    ];
    let windows: Vec<String> = days
        .iter()
        .enumerate()
        .map(|(hour, day)| format!("{day} {hour:02}:00 +30m"))
        .collect();
    let eight: Vec<&str> = windows[..8].iter().map(String::as_str).collect();
    let at = ["--at", "2026-11-28T22:45:00Z"];
    let output = run_calendar(&[&eight[..], &at[..]].concat());
    assert_eq!(output.status.code(), Some(0));
    // Nine, as separate arguments or in one.
    let nine: Vec<&str> = windows.iter().map(String::as_str).collect();
    let joined = windows.join("; ");
    for args in [nine.clone(), vec![joined.as_str()]] {
        let output = run_calendar(&[&args[..], &at[..]].concat());
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains("at most 8 windows"), "{stderr}");
    }
}

#[test]
fn test_next_above_the_limit_refused_instead_of_filling_memory() {
    // `--next 18446744073709551615` once built its report in memory until
    // memory ran out (1.8 GB after 20 s).
    let window = "Sat 22:30 +1h";
    let at = "2026-11-28T22:45:00Z";
    for count in ["1001", "10000000", "18446744073709551615"] {
        let output = run_calendar(&[window, "--at", at, "--next", count]);
        assert_eq!(output.status.code(), Some(2), "{count}");
        assert!(output.stdout.is_empty());
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(
            stderr,
            format!("error: --next {count}: expected a whole number from 1 to 1000\n")
        );
    }
    let output = run_calendar(&[window, "--at", at, "--next", "1000"]);
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 7 + 999);
    assert!(
        stdout.ends_with("                 2046-01-27T22:30:00Z = Sat 2046-01-27 22:30 +00:00\n"),
        "{}",
        &stdout[stdout.len() - 200..]
    );
}

#[test]
fn test_repeated_option_refused_instead_of_the_last_winning() {
    // `--at A --at B` once answered for B without a word.
    let window = "Sat 22:30 +1h";
    for (args, flag) in [
        (
            &[
                window,
                "--at",
                "2026-11-28T22:45:00Z",
                "--at=2026-11-29T00:00:00Z",
            ][..],
            "--at",
        ),
        (
            &[window, "--offset", "+01:00", "--offset", "+02:00"],
            "--offset",
        ),
        (&[window, "--next=1", "--next", "2"], "--next"),
    ] {
        let output = run_calendar(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty());
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(
            stderr,
            format!("error: {flag} is given twice; give it once\n")
        );
    }
}

#[test]
fn test_non_utf8_argument_refused_instead_of_a_panic() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt as _;
    // A window with a byte that is not UTF-8 once panicked in
    // `std::env::args`, status 101.
    let window = OsStr::from_bytes(b"Sat 22:30 +1h\xff");
    let output = common::run_example("calendar", &[window]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        stderr,
        "error: argument 1 is not UTF-8 text: `Sat 22:30 +1h\u{fffd}`\n"
    );
}

#[test]
fn test_report_to_a_full_disk_is_an_error_not_a_panic() {
    // `calendar ... > /dev/full` once panicked in `print!`, status 101.
    for args in [&["Sat 22:30 +1h"][..], &["--help"]] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full opens");
        let output = common::run_example_into("calendar", args, full.into());
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(
            stderr,
            "error: cannot write to standard output: No space left on device (os error 28)\n"
        );
    }
}

#[test]
fn test_control_characters_of_arguments_escaped_in_errors_and_report() {
    // A newline in a window split its error over two lines; an escape
    // sequence reached the terminal; a carriage return in a valid window
    // overwrote the report's `Original form` line.
    let output = run_calendar(&["Sat 22:30 +1h\nSun 01:00 +1m"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        "error: 'Sat 22:30 +1h\\nSun 01:00 +1m': malformed window: expected nothing after the length\n"
    );
    let output = run_calendar(&["Sat 22:30 +1h", "--at", "2026\u{1b}[2J"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with("error: --at 2026\\u{1b}[2J: "),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1);
    let output = run_calendar(&["Sat 22:30 +1h\r", "--at", "2026-11-28T22:45:00Z"]);
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.starts_with("  Original form: Sat 22:30 +1h\\r\n"),
        "{stdout}"
    );
    assert!(!stdout.contains('\r'));
}

#[test]
fn test_many_windows_quoted_shortened_in_the_error() {
    // Twenty thousand window arguments once gave a 300 KB error line
    // quoting every one of them.
    let args = vec!["Mon 01:00 +1m"; 20_000];
    let output = run_calendar(&args);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    let quoted = "Mon 01:00 +1m; ".repeat(20);
    assert_eq!(
        stderr,
        format!(
            "error: '{}...': more windows than the calendar holds: at most 8 windows, \
             as in the boot config's `windows`\n",
            &quoted[..300]
        )
    );
}

#[test]
fn test_frequency_lists_only_releasing_openings() {
    let output = run_calendar(&[
        "Tue 02:00 +120m",
        "--frequency",
        "monthly 2nd Tue",
        "--at",
        "2026-11-28T00:00:00Z",
        "--next",
        "3",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.ends_with(
            "      Frequency: monthly 2nd Tue
       Releases: 2026-12-08T02:00:00Z = Tue 2026-12-08 02:00 +00:00
                 2027-01-12T02:00:00Z = Tue 2027-01-12 02:00 +00:00
                 2027-02-09T02:00:00Z = Tue 2027-02-09 02:00 +00:00
"
        ),
        "{stdout}"
    );
    let output = run_calendar(&[
        "Mon..Sun 02:00 +60m",
        "--frequency=monthly last Fri",
        "--at=2027-12-01T00:00:00Z",
        "--next=2",
    ]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.ends_with(
            "       Releases: 2027-12-31T02:00:00Z = Fri 2027-12-31 02:00 +00:00
                 2028-01-28T02:00:00Z = Fri 2028-01-28 02:00 +00:00
"
        ),
        "{stdout}"
    );
}

#[test]
fn test_bad_frequency_exits_2() {
    let output = run_calendar(&["Tue 02:00 +120m", "--frequency", "monthly 5th Tue"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8(output.stderr)
        .unwrap()
        .starts_with("error: --frequency monthly 5th Tue: monthly needs"));
    let output = run_calendar(&["Tue 02:00 +120m", "--frequency", "manual"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn test_time_zone_reports_what_daylight_saving_does() {
    if !std::path::Path::new("/usr/share/zoneinfo/Europe/Berlin").exists() {
        eprintln!("/usr/share/zoneinfo is missing (install tzdata): test skipped");
        return;
    }
    let output = run_calendar(&[
        "Sun 02:30 +60m",
        "--tz",
        "Europe/Berlin",
        "--at",
        "2027-03-20T00:00:00Z",
        "--next",
        "2",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8(output.stdout).unwrap();
    for expected in [
        "Calendar: Sun 02:30 +60m; CET-1CEST,M3.5.0,M10.5.0/3",
        "2027-03-28T01:00:00Z = Sun 2027-03-28 03:00 +02:00 CEST",
        "on 2027-03-28 the window opens at 03:00 CEST, 30 minutes later than written",
        "on 2027-10-31 the clock shows 02:30 twice (CEST and CET); the window opens at the first only",
    ] {
        assert!(stdout.contains(expected), "{expected} in\n{stdout}");
    }
    // The zone may also be named in the windows' text, as in the config.
    let output = run_calendar(&[
        "Mon..Fri 01:00 +180m; Europe/Berlin",
        "--at",
        "2027-03-20T00:00:00Z",
    ]);
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn test_invalid_zone_names_and_rules_exit_2() {
    for args in [
        &["Sun 02:30 +60m", "--tz", "Europe/Nowhere"][..],
        &["Sun 02:30 +60m", "--tz", "CET-1CEST,M3.5.0"],
        &["Sun 02:30 +60m", "--tz", "../etc/passwd"],
        &["Sun 02:30 +60m; Foo/Bar"],
        &["Sun 02:30 +60m", "--tz", "UTC", "--offset", "+01:00"],
        &["Sun 02:30 +60m; CET-1CEST", "--tz", "Europe/Berlin"],
    ] {
        let output = run_calendar(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
    }
}

#[test]
fn test_every_zone_in_the_tz_database_is_accepted() {
    let root = std::path::Path::new("/usr/share/zoneinfo");
    if !root.is_dir() {
        eprintln!("/usr/share/zoneinfo is missing (install tzdata): test skipped");
        return;
    }
    let mut names = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if name.starts_with("posix") || name.starts_with("right") {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else if std::fs::read(&path).unwrap().starts_with(b"TZif") {
                names.push(name);
            }
        }
    }
    names.sort();
    // Built (and checked) once through Cargo; then the binary runs
    // directly, one zone after another, which is much faster.
    let first = run_calendar(&["daily 02:30 +60m", "--tz", &names[0]]);
    assert_eq!(first.status.code(), Some(0));
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
        std::path::PathBuf::from,
    );
    let binary = target.join("debug/examples/calendar");
    for name in &names {
        let args = [
            "daily 02:30 +60m",
            "--tz",
            name,
            "--at",
            "2026-12-01T00:00:00Z",
            "--next",
            "1",
        ];
        let output = if binary.is_file() {
            std::process::Command::new(&binary)
                .args(args)
                .output()
                .unwrap()
        } else {
            run_calendar(&args)
        };
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{name}: {stderr}");
    }
    eprintln!("{} zones accepted", names.len());
}
