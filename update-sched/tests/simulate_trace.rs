//! The simulator's trace reader, and the simulator run end to end on the
//! sample trace.
//!
//! The reader is the example's own module, included by path, so the test
//! checks the code that runs. The end-to-end tests go through `cargo run`
//! with the Cargo that runs the tests, as `calendar_cli.rs` does.

#[path = "../examples/simulate/trace.rs"]
mod trace;

mod common;

use std::path::Path;
use std::process::Output;

use trace::{format_row, Trace, HEADER, MAX_TRACE_BYTES};
use update_sched::civil::WallTime;
use update_sched::gate::Metrics;

/// The sample trace shipped with the example.
const SAMPLE: &str = include_str!("../examples/traces/sample.csv");

fn wall(secs: u64) -> WallTime {
    WallTime::from_unix_secs(secs)
}

#[test]
fn test_sample_trace_parses_and_rows_hold_until_the_next() {
    let trace = Trace::parse(SAMPLE).expect("the sample trace is valid");
    // Friday 2026-11-06 00:00 UTC, four days of rows ten minutes apart.
    assert_eq!(trace.start(), "2026-11-06T00:00:00Z".parse().unwrap());
    assert_eq!(
        trace.end().as_unix_secs() - trace.start().as_unix_secs(),
        4 * 86_400 - 600
    );
    let first = trace.at(trace.start());
    assert_eq!(trace.at(wall(trace.start().as_unix_secs() + 599)), first);
    assert_ne!(trace.at(wall(trace.start().as_unix_secs() + 600)), first);
    // Before the first row: the first row; after the last: the last.
    assert_eq!(trace.at(wall(0)), first);
    assert_eq!(trace.at(WallTime::MAX), trace.at(trace.end()));
    // Friday 10:00 someone is at the office machine; Saturday 03:00 not.
    let friday_ten = trace.at("2026-11-06T10:00:00Z".parse().unwrap());
    assert!(friday_ten.sessions > 0, "{friday_ten:?}");
    let saturday_night = trace.at("2026-11-07T03:00:00Z".parse().unwrap());
    assert_eq!(saturday_night.sessions, 0);
}

#[test]
fn test_rows_round_trip_through_format_row() {
    let metrics = Metrics {
        cpu_permille: 412,
        memory_permille: 655,
        disk_kib_s: 1_234,
        network_kib_s: 99,
        sessions: 2,
        ..Metrics::IDLE
    };
    let text = format!("{HEADER}\n{}\n", format_row(wall(1_800_000_000), &metrics));
    let trace = Trace::parse(&text).unwrap();
    assert_eq!(trace.at(wall(1_800_000_000)), metrics);
}

/// The error for `rows` after a good header.
fn error_of(rows: &str) -> trace::TraceError {
    Trace::parse(&format!("{HEADER}\n{rows}")).unwrap_err()
}

#[test]
fn test_malformed_rows_rejected_with_their_line_number() {
    let good = "1800000000,100,400,10,10,1\n1800000060,120,400,10,10,1\n";
    let cases = [
        ("1800000120,abc,400,10,10,1\n", "cpu_permille"),
        ("1800000120,100,400,10,10\n", "expected 6"),
        ("1800000120,100,400,10,10,1,7\n", "expected 6"),
        ("1800000120,1001,400,10,10,1\n", "above 1000"),
        ("1800000120,100,400,-5,10,1\n", "disk_kib_s"),
        ("1800000120,100,400,10,10,70000\n", "sessions"),
        ("1800000060,100,400,10,10,1\n", "not after"),
        ("\n", "empty line"),
    ];
    for (bad, says) in cases {
        let error = error_of(&format!("{good}{bad}1800000900,100,400,10,10,0\n"));
        assert_eq!(error.line, 4, "{bad:?}: {error}");
        assert!(error.message.contains(says), "{bad:?}: {error}");
        assert!(error.to_string().starts_with("line 4: "), "{error}");
    }
}

#[test]
fn test_bad_header_or_empty_trace_rejected() {
    let error = Trace::parse("unix_seconds,cpu,mem,disk,net,sessions\n1,2,3,4,5,6\n").unwrap_err();
    assert_eq!(error.line, 1);
    assert!(error.message.contains("expected the header"), "{error}");
    assert_eq!(Trace::parse("").unwrap_err().line, 1);
    let error = Trace::parse(&format!("{HEADER}\n")).unwrap_err();
    assert_eq!(error.line, 2);
    // A byte-order mark and Windows line ends are tolerated.
    let text = format!("\u{feff}{HEADER}\r\n1800000000,100,400,10,10,1\r\n");
    assert!(Trace::parse(&text).is_ok());
}

/// Runs the simulator example with `args`.
fn run_simulate(args: &[&str]) -> Output {
    common::run_example("simulate", args)
}

#[test]
fn test_simulator_replays_sample_trace_and_rejects_a_bad_one() {
    let output = run_simulate(&["--trace", "examples/traces/sample.csv"]);
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let results: Vec<&str> = stdout
        .lines()
        .filter(|line| line.starts_with("RESULT "))
        .collect();
    assert_eq!(results.len(), 6, "{stdout}");
    for (line, policy) in results.iter().zip([
        "immediate",
        "nightly",
        "active-hours",
        "configured",
        "adaptive",
    ]) {
        assert!(
            line.starts_with(&format!("RESULT workload=sample.csv policy={policy} ")),
            "{line}"
        );
        // completed + failed + pending = the 6 updates of a 4-day run.
        let field = |name: &str| -> u32 {
            line.split(' ')
                .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
                .and_then(|value| value.parse().ok())
                .unwrap_or_else(|| panic!("{name} in {line}"))
        };
        assert_eq!(field("completed") + field("failed") + field("pending"), 6);
    }

    let bad = std::env::temp_dir().join(format!("simulate-bad-{}.csv", std::process::id()));
    std::fs::write(
        &bad,
        format!("{HEADER}\n1800000000,100,400,10,10,1\n1800000060,x,1,1,1,1\n"),
    )
    .unwrap();
    let output = run_simulate(&["--trace", bad.to_str().unwrap()]);
    let _ = std::fs::remove_file(&bad);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("line 3: cpu_permille"), "{stderr}");
}

/// The last line of a run's standard error: compiler warnings may come
/// before it while the example is built.
fn last_error_line(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned()
}

/// Writes `text` to a temporary trace file named after `name` and runs the
/// simulator on it with `args` after `--trace FILE`.
fn run_on_trace(name: &str, text: &str, args: &[&str]) -> Output {
    let path = std::env::temp_dir().join(format!("simulate-{name}-{}.csv", std::process::id()));
    std::fs::write(&path, text).unwrap();
    let output = run_simulate(&[&["--trace", path.to_str().unwrap()], args].concat());
    let _ = std::fs::remove_file(&path);
    output
}

#[test]
fn test_unbounded_trace_read_refused_at_the_size_limit() {
    let limit = format!("limit of {MAX_TRACE_BYTES} bytes");
    let error = trace::read_text(Path::new("/dev/zero")).unwrap_err();
    assert!(
        error.starts_with("/dev/zero: larger than the ") && error.contains(&limit),
        "{error}"
    );
    let sample = trace::read_text(Path::new("examples/traces/sample.csv")).unwrap();
    assert_eq!(sample, SAMPLE);

    // An endless file: read up to the limit and one byte more, then refused.
    let output = run_simulate(&["--trace", "/dev/zero"]);
    assert_eq!(output.status.code(), Some(2));
    let last = last_error_line(&output);
    assert_eq!(
        last,
        format!("error: /dev/zero: larger than the limit of {MAX_TRACE_BYTES} bytes (64 MiB) for a trace")
    );
}

#[test]
fn test_trace_size_limit_admits_a_million_of_the_widest_rows() {
    let widest = Metrics {
        cpu_permille: 1_000,
        memory_permille: 1_000,
        disk_kib_s: u32::MAX,
        network_kib_s: u32::MAX,
        sessions: u16::MAX,
        ..Metrics::IDLE
    };
    let row = format_row(WallTime::MAX, &widest);
    let bytes = HEADER.len() + 2 + 1_000_000 * (row.len() + 2);
    assert!(bytes as u64 <= MAX_TRACE_BYTES, "{bytes} bytes");
    assert!(Trace::parse(&format!("{HEADER}\r\n{row}\r\n")).is_ok());
}

#[test]
fn test_trace_spanning_more_than_max_days_refused_without_overflow() {
    // Samples at 0 and u64::MAX: 213 trillion days, once an allocation
    // failure in release and a multiply overflow in debug.
    let huge = format!(
        "{HEADER}\n0,100,400,10,10,1\n{},100,400,10,10,1\n",
        u64::MAX
    );
    let output = run_on_trace("huge-span", &huge, &[]);
    assert_eq!(output.status.code(), Some(2));
    let last = last_error_line(&output);
    assert!(
        last.contains("the trace spans 213503982334602 days"),
        "{last}"
    );
    assert!(last.contains("at most 3650"), "{last}");
    // --days replays its first days.
    let output = run_on_trace("huge-span-days", &huge, &["--days", "2"]);
    assert!(output.status.success());

    // One second past 3650 days is a 3651st day.
    let start = 1_800_000_000u64;
    let over = format!(
        "{HEADER}\n{start},100,400,10,10,1\n{},100,400,10,10,1\n",
        start + 3_650 * 86_400 + 1
    );
    let output = run_on_trace("over-span", &over, &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(last_error_line(&output).contains("spans 3651 days"));

    // A trace at the end of time leaves no room for a day of simulation.
    let late = format!(
        "{HEADER}\n{},100,400,10,10,1\n{},100,400,10,10,1\n",
        u64::MAX - 1_000,
        u64::MAX
    );
    let output = run_on_trace("end-of-time", &late, &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(last_error_line(&output).contains("past the last representable time"));
}

#[test]
fn test_full_update_queue_refusals_counted_and_results_printed() {
    // A machine busy all the time for ten years: the gated policies never
    // install Optional and Low updates, and their queues fill up.
    let start = 1_800_000_000u64;
    let busy = format!(
        "{HEADER}\n{start},1000,500,10,10,1\n{},1000,500,10,10,1\n",
        start + 3_649 * 86_400
    );
    let output = run_on_trace("always-busy", &busy, &[]);
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let arrivals: u32 = stdout
        .lines()
        .nth(1)
        .and_then(|line| line.split("; ").nth(1))
        .and_then(|part| part.split(' ').next())
        .and_then(|count| count.parse().ok())
        .unwrap_or_else(|| panic!("the heading counts the updates: {stdout}"));
    let results: Vec<&str> = stdout
        .lines()
        .filter(|line| line.starts_with("RESULT "))
        .collect();
    assert_eq!(results.len(), 6, "{stdout}");
    let field = |line: &str, name: &str| -> u32 {
        line.split(' ')
            .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
            .map_or(0, |value| value.parse().unwrap())
    };
    let mut refusing = 0;
    for line in &results {
        let accounted = field(line, "completed")
            + field(line, "failed")
            + field(line, "pending")
            + field(line, "refused");
        assert_eq!(accounted, arrivals, "{line}");
        if field(line, "refused") > 0 {
            refusing += 1;
            assert_eq!(field(line, "pending"), 1_024, "{line}");
            let policy = line
                .split(' ')
                .nth(2)
                .unwrap()
                .strip_prefix("policy=")
                .unwrap();
            assert!(
                stdout.contains(&format!(
                    "note: {policy}: the update queue (1,024 updates) was full; "
                )),
                "{stdout}"
            );
        }
    }
    assert!(refusing > 0, "{stdout}");
    // Immediate has no gates: it installs everything and refuses nothing.
    assert!(!results[0].contains(" refused="), "{}", results[0]);
}

#[test]
fn test_trace_span_measured_from_its_first_sample_not_the_minute_before() {
    // Exactly 3650 days from a first sample at 30 seconds past a minute was
    // once refused as 3651 days, measured from the whole minute before it.
    let start = 1_800_000_030u64;
    let exact = format!(
        "{HEADER}\n{start},100,400,10,10,1\n{},100,400,10,10,1\n",
        start + 3_650 * 86_400
    );
    let output = run_on_trace("exact-span", &exact, &[]);
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("time: 3650 simulated days"), "{stdout}");

    // One second more is over the limit, from the first sample too.
    let over = format!(
        "{HEADER}\n{start},100,400,10,10,1\n{},100,400,10,10,1\n",
        start + 3_650 * 86_400 + 1
    );
    let output = run_on_trace("exact-span-over", &over, &[]);
    assert_eq!(output.status.code(), Some(2));
    let last = last_error_line(&output);
    assert!(
        last.contains("spans 3651 days from 2027-01-15T08:00:30Z"),
        "{last}"
    );
}

#[test]
fn test_trace_error_escapes_control_characters_and_shortens_long_text() {
    // A NUL, a carriage return or an escape sequence was printed raw into
    // the message, and a long field was printed back whole.
    let error = error_of("1800000000,100,400,10,10,1\u{0}\n");
    assert_eq!(error.message, "sessions: `1\\u{0}` is not a whole number");
    let error = error_of("1800000000,1\r00,400,10,10,1\n");
    assert_eq!(
        error.message,
        "cpu_permille: `1\\r00` is not a whole number"
    );
    let long = "9".repeat(1_000_000);
    let error = error_of(&format!("{long},100,400,10,10,1\n"));
    assert_eq!(
        error.message,
        format!("unix_seconds: `{}...` is not a whole number", &long[..80])
    );
    let header = format!("unix_seconds\u{1b}[2J{}", "x".repeat(1_000_000));
    let error = Trace::parse(&format!("{header}\n")).unwrap_err();
    assert_eq!(error.line, 1);
    assert!(
        error.message.contains("found `unix_seconds\\u{1b}[2Jxxx"),
        "{}",
        error.message
    );
    assert!(error.message.len() < 300, "{} bytes", error.message.len());
    assert!(!error.message.chars().any(char::is_control));
}

#[test]
fn test_start_outside_the_trace_refused_instead_of_replaying_none_of_it() {
    // Two days from 2027-01-15T08:00:00Z. `--start 2030-01-01T00:00:00Z`
    // once ran a day of the last sample held still and exited 0 as if it
    // had replayed the trace.
    let start = 1_800_000_000u64;
    let text = format!(
        "{HEADER}\n{start},100,400,10,10,1\n{},900,400,10,10,3\n",
        start + 2 * 86_400
    );
    let output = run_on_trace("start-after", &text, &["--start", "2030-01-01T00:00:00Z"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        last_error_line(&output)
            .split_once(": ")
            .unwrap()
            .1
            .split_once(": ")
            .unwrap()
            .1,
        "--start 2030-01-01T00:00:00Z is after the trace's last sample at \
         2027-01-17T08:00:00Z: the run would replay none of it"
    );
    // A day ending with the minute before the first sample replays none of
    // it either; one more minute reaches it.
    let args = ["--start", "2027-01-14T08:00:00Z", "--days", "1"];
    let output = run_on_trace("start-before", &text, &args);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        last_error_line(&output).ends_with(
            "the run from 2027-01-14T08:00:00Z has its last minute at 2027-01-15T07:59:00Z, \
             before the trace's first sample at 2027-01-15T08:00:00Z: it would replay none of it"
        ),
        "{}",
        last_error_line(&output)
    );
    let args = ["--start", "2027-01-14T08:01:00Z", "--days", "1"];
    assert!(run_on_trace("start-reaches", &text, &args).status.success());
    // A start on the last sample, or inside the trace, replays it.
    let args = ["--start", "2027-01-17T08:00:00Z"];
    assert!(run_on_trace("start-last", &text, &args).status.success());
    let args = ["--start", "2027-01-16T00:00:00Z"];
    assert!(run_on_trace("start-inside", &text, &args).status.success());
}

#[test]
fn test_control_characters_of_a_trace_name_escaped_in_errors_and_report() {
    // A file name with a newline split the error over two lines, and an
    // escape sequence in it reached the terminal, in errors and in the
    // report's heading and RESULT lines.
    let output = run_simulate(&["--trace", "/nonexistent/a\nb\u{1b}[2J.csv"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        last_error_line(&output),
        "error: cannot read /nonexistent/a\\nb\\u{1b}[2J.csv: No such file or directory (os error 2)"
    );
    let output = run_on_trace("escape\u{1b}[2J", SAMPLE, &[]);
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(!stdout.contains('\u{1b}'));
    assert!(
        stdout.contains("RESULT workload=simulate-escape_[2J-"),
        "{stdout}"
    );
}
