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
    assert_eq!(lines.len(), 5);
    assert!(lines[0].starts_with("RESULT workload=change policy=immediate disrupted_minutes="));
    // The same seed gives the same figures; another seed other arrivals.
    assert_eq!(results(&run_simulate(&args)), lines);
    let other = run_simulate(&["--workload", "change", "--days", "7", "--seed", "4"]);
    assert_ne!(results(&other), lines);
}

#[test]
fn test_bad_command_lines_exit_with_status_2() {
    for args in [
        &["--workload", "laptop"][..],
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
    assert_eq!(lines.len(), 5);
    for line in &lines {
        assert!(!line.contains(" refused="), "{line}");
    }
}
