//! Runs the `simulate` example end to end: a built-in workload, the plot,
//! and bad command lines.
//!
//! Cargo gives integration tests the path of binaries but not of examples,
//! so the tool runs through `cargo run` with the Cargo that runs the tests
//! (`common::run_example`).

mod common;

use std::process::Output;

/// Runs the simulator example with `args`.
fn run_simulate(args: &[&str]) -> Output {
    common::run_example("simulate", args)
}

/// The `RESULT` lines of a run.
fn results(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| line.starts_with("RESULT "))
        .map(str::to_owned)
        .collect()
}

#[test]
fn test_week_of_change_is_deterministic_and_plots() {
    let plot = std::env::temp_dir().join(format!("simulate-{}.svg", std::process::id()));
    let plot_arg = plot.to_str().expect("temporary path is UTF-8");
    let args = ["--workload", "change", "--days", "7", "--seed", "3"];
    let first = run_simulate(&[&args[..], &["--plot", plot_arg]].concat());
    assert!(first.status.success());
    let svg = std::fs::read_to_string(&plot).expect("the plot was written");
    let _ = std::fs::remove_file(&plot);
    assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(200)]);
    for text in ["learned activity", "immediate", "adaptive", "Mon 02"] {
        assert!(svg.contains(text), "the plot names {text}");
    }

    let lines = results(&first);
    assert_eq!(lines.len(), 6);
    assert!(lines[5].starts_with("RESULT workload=change policy=oracle disrupted_minutes="));
    assert!(lines[0].starts_with("RESULT workload=change policy=immediate disrupted_minutes="));
    // The same seed gives the same figures; another seed other arrivals.
    assert_eq!(results(&run_simulate(&args)), lines);
    let other = run_simulate(&["--workload", "change", "--days", "7", "--seed", "4"]);
    assert_ne!(results(&other), lines);
}

#[test]
fn test_irregular_and_laptop_run_with_the_oracle_unbeaten() {
    for workload in ["irregular", "laptop"] {
        let output = run_simulate(&["--workload", workload, "--days", "10", "--seed", "2"]);
        // Exit status 1 if a policy beat the oracle by more than the
        // allowance, or the books did not balance.
        assert!(output.status.success(), "{workload}");
        let lines = results(&output);
        assert_eq!(lines.len(), 6, "{workload}");
        assert!(lines[5].contains(&format!("workload={workload} policy=oracle ")));
    }
}

#[test]
fn test_bad_command_lines_exit_with_status_2() {
    for args in [
        &["--workload", "gaming"][..],
        &["--workload", "laptop", "--write-trace", "laptop.csv"],
        &["--days", "0"],
        &["--seed", "x"],
        &["--failure-rate", "1001"],
        &["--workload", "office", "--trace", "a.csv"],
        &["--trace", "/nonexistent/trace.csv"],
        &["--frobnicate"],
    ] {
        let output = run_simulate(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        // The last line: compiler warnings may come before it while the
        // example is built.
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().last().unwrap_or_default();
        assert!(last.starts_with("error: "), "{args:?}: {last}");
    }
    let help = run_simulate(&["--help"]);
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    for flag in [
        "--workload",
        "--trace",
        "--days",
        "--seed",
        "--plot",
        "--targets",
    ] {
        assert!(text.contains(flag), "--help lists {flag}");
    }
}

#[test]
fn test_long_server_run_does_not_stop_at_a_full_queue() {
    // Ten years of the server workload once ended with `submit #1439: the
    // update queue is full` and no result at all.
    let output = run_simulate(&["--workload", "server", "--days", "3650"]);
    assert!(output.status.success());
    let lines = results(&output);
    assert_eq!(lines.len(), 6);
    for line in &lines {
        assert!(!line.contains(" refused="), "{line}");
    }
}

#[test]
fn test_repeated_option_refused_instead_of_the_last_winning() {
    // `--days 5 --days 6` once ran six days without a word.
    for args in [
        &["--days", "5", "--days", "6"][..],
        &["--seed", "1", "--seed", "2"],
        &["--offset", "+01:00", "--offset", "+02:00"],
        &["--targets", "--targets"],
    ] {
        let output = run_simulate(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().last().unwrap_or_default();
        assert!(
            last.starts_with("error: --") && last.ends_with(" is given twice; give it once"),
            "{args:?}: {last}"
        );
        assert!(results(&output).is_empty());
    }
}

#[test]
fn test_targets_and_write_trace_refuse_options_they_would_ignore() {
    // `--targets --days 3650` once ran the 30-day target table and exited 0.
    let trace = std::env::temp_dir().join(format!("simulate-ignored-{}.csv", std::process::id()));
    let trace_arg = trace.to_str().expect("temporary path is UTF-8");
    for (args, expected) in [
        (
            &["--targets", "--days", "3650"][..],
            "error: --targets does not use --days (see --help)",
        ),
        (
            &["--workload", "home", "--targets"],
            "error: --targets does not use --workload (see --help)",
        ),
        (
            &["--targets", "--plot", "t.svg"],
            "error: --targets does not use --plot (see --help)",
        ),
        (
            &["--write-trace", trace_arg, "--plot", "t.svg"],
            "error: --write-trace does not use --plot (see --help)",
        ),
        (
            &["--write-trace", trace_arg, "--failure-rate", "10"],
            "error: --write-trace does not use --failure-rate (see --help)",
        ),
    ] {
        let output = run_simulate(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.lines().last().unwrap_or_default(), expected);
        assert!(output.stdout.is_empty(), "{args:?}");
    }
    assert!(!trace.exists(), "no trace written");
}

#[test]
fn test_unwritable_plot_refused_before_the_run_and_loses_no_figures() {
    // A directory: refused before any minute is simulated, naming the path.
    let directory = std::env::temp_dir();
    let directory_arg = directory.to_str().expect("temporary path is UTF-8");
    let output = run_simulate(&["--days", "2", "--plot", directory_arg]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with(&format!("error: cannot write the plot {directory_arg}: ")),
        "{last}"
    );
    assert!(results(&output).is_empty());

    // A bad input is found out before the plot is opened: no empty plot
    // is left behind.
    let plot = std::env::temp_dir().join(format!("simulate-unmade-{}.svg", std::process::id()));
    let plot_arg = plot.to_str().expect("temporary path is UTF-8");
    let output = run_simulate(&["--trace", "/nonexistent/t.csv", "--plot", plot_arg]);
    assert_eq!(output.status.code(), Some(2));
    assert!(!plot.exists(), "no plot file for a run that never started");

    // A full disk shows only when the plot is written: the figures were
    // once lost with it; now they are printed first.
    let output = run_simulate(&["--days", "2", "--plot", "/dev/full"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(results(&output).len(), 6);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: cannot write the plot /dev/full: ")
            && last.contains("No space left on device"),
        "{last}"
    );
}

#[test]
fn test_non_utf8_argument_refused_instead_of_a_panic() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt as _;
    // `--trace $'\xff.csv'` once panicked in `std::env::args`, status 101.
    let name = OsStr::from_bytes(b"\xff.csv");
    let output = common::run_example("simulate", &[OsStr::new("--trace"), name]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.lines().last().unwrap_or_default(),
        "error: argument 2 is not UTF-8 text: `\u{fffd}.csv`"
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn test_report_to_a_full_disk_is_an_error_not_lost_in_silence() {
    // `simulate > /dev/full` once exited 0 with the figures lost, and
    // `--help > /dev/full` panicked in `print!`.
    for args in [&["--days", "2"][..], &["--help"]] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full opens");
        let output = common::run_example_into("simulate", args, full.into());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(
            stderr.lines().last().unwrap_or_default(),
            "error: cannot write to standard output: No space left on device (os error 28)"
        );
    }
}
