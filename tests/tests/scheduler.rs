//! The update service in the kernel, driven through the serial console as a
//! person would drive it: each test boots the kernel with a fixed clock
//! (`-rtc base`) and a boot configuration, types a script, and checks the
//! timestamped event lines the kernel printed.
//!
//! Simulated time advances with timer ticks, so what happens depends on
//! the simulated clock, not on how fast the host runs; checks on times
//! allow for one tick of slack at the speed the test chose.

use std::time::Duration;

use boot::{Input, RunOptions, RunOutcome, Verdict};
use boot_config::{BootConfig, Mode};

/// Boots the kernel in console mode with `config`, the clock at `rtc`, and
/// types `script` (one command per line).
fn console_run(mut config: BootConfig, rtc: &str, script: impl AsRef<[u8]>) -> RunOutcome {
    config.mode = Mode::Console;
    let mut options = RunOptions::new("kernel");
    options.rtc_base = Some(rtc.to_string());
    options.ramdisk = boot::RamdiskSource::Config(config);
    options.input = Input::Bytes(script.as_ref().to_vec());
    options.timeout = Duration::from_secs(120);
    run(&options)
}

fn run(options: &RunOptions) -> RunOutcome {
    boot::run_for_test(options)
}

/// A console configuration: nothing submitted, `speed` simulated seconds
/// per real second, the office workload.
fn console(speed: u32) -> BootConfig {
    let mut config = BootConfig::console();
    config.speed = speed;
    config.workload = "office".try_into().expect("short name");
    config
}

/// Minutes since the Unix epoch of an event line's `[Www YYYY-MM-DD HH:MM
/// +hh:mm]` stamp, local time (the tests use UTC calendars).
fn stamp_minutes(line: &str) -> Option<i64> {
    let inside = line.strip_prefix('[')?.split(']').next()?;
    let mut parts = inside.split(' ');
    let _weekday = parts.next()?;
    let date = parts.next()?;
    let time = parts.next()?;
    let mut ymd = date.split('-').map(|p| p.parse::<i64>());
    let (y, m, d) = (ymd.next()?.ok()?, ymd.next()?.ok()?, ymd.next()?.ok()?);
    let mut hm = time.split(':').map(|p| p.parse::<i64>());
    let (h, min) = (hm.next()?.ok()?, hm.next()?.ok()?);
    Some(days_from_civil(y, m, d) * 1440 + h * 60 + min)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn minutes_of(date: &str, time: &str) -> i64 {
    stamp_minutes(&format!("[Xxx {date} {time} +00:00]")).expect("valid stamp")
}

/// The first event line whose text after the stamp starts with `event`.
fn event_line<'a>(serial: &'a str, event: &str) -> Option<&'a str> {
    lines_with(serial, event).first().copied()
}

/// Every event line whose text after the stamp starts with `event`.
fn lines_with<'a>(serial: &'a str, event: &str) -> Vec<&'a str> {
    serial
        .lines()
        .filter(|line| {
            line.starts_with('[')
                && line
                    .split("] ")
                    .nth(1)
                    .is_some_and(|rest| rest.starts_with(event))
        })
        .collect()
}

fn position(serial: &str, needle: &str) -> Option<usize> {
    serial.find(needle)
}

/// Panics unless the stamps of the event and status lines never go back
/// in time.
fn assert_stamps_in_time_order(serial: &str) {
    let mut last: Option<(i64, &str)> = None;
    for line in serial.lines().filter(|line| line.starts_with('[')) {
        let Some(stamp) = stamp_minutes(line) else {
            continue;
        };
        if let Some((before, previous)) = last {
            assert!(
                stamp >= before,
                "a line went back in time:\n{previous}\n{line}"
            );
        }
        last = Some((stamp, line));
    }
    assert!(last.is_some(), "no stamped lines");
}

/// The text after `until ` in `line`.
fn until_of(line: &str) -> &str {
    line.split("until ").nth(1).unwrap_or("")
}

#[test]
fn critical_update_during_peak_usage_starts_within_one_tick() {
    // Tuesday 10:00: the office workload's busiest hours.
    let script =
        "metrics\nsubmit 1 hotfix critical kernel 10m reboot\nwait 30m\nstatus\nwindows\npattern\nshutdown\n";
    let outcome = console_run(console(600), "2026-12-01T10:00:00", script);
    assert_eq!(outcome.verdict, Verdict::Success);
    let serial = &outcome.serial;
    let sessions: u32 = serial
        .lines()
        .find_map(|line| line.split("sessions ").nth(1))
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .expect("metrics show sessions");
    assert!(sessions > 0, "peak usage has users logged in");
    let start = event_line(serial, "START #1").expect("the critical update started");
    let ticks: u64 = start
        .split("queued ")
        .nth(1)
        .and_then(|rest| rest.split('(').nth(1))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("START line says how many ticks it was queued");
    assert!(
        ticks <= 1,
        "started {ticks} ticks after submission: {start}"
    );
    assert!(event_line(serial, "DONE #1").is_some(), "and completed");
    assert!(
        serial.contains("windows Mon..Fri 01:00 +180m; UTC"),
        "`windows` shows the desktop preset's calendar"
    );
    let rows: Vec<&str> = serial
        .lines()
        .filter(|line| {
            [
                "Mon  |", "Tue  |", "Wed  |", "Thu  |", "Fri  |", "Sat  |", "Sun  |",
            ]
            .iter()
            .any(|day| line.starts_with(day))
        })
        .collect();
    assert_eq!(rows.len(), 7, "`pattern` draws a row per day: {rows:?}");
    assert!(
        rows.iter().all(|row| row.len() == "Mon  |".len() + 25),
        "24 hours a row: {rows:?}"
    );
}

/// A server that installs security updates without approval, every day,
/// in one window a week: Saturday 02:00-04:00 UTC. One tick at 36,000x is
/// 6 simulated minutes.
fn server_with_saturday_window() -> BootConfig {
    let mut config = console(36_000);
    config.profile = update_sched::config::Profile::Server;
    config.frequency = Some("daily".parse().expect("frequency"));
    config.windows = Some("Sat 02:00 +120m; UTC".parse().expect("calendar"));
    config
}

/// The line `explain 1` printed.
fn explanation(serial: &str) -> &str {
    serial
        .lines()
        .find(|line| line.starts_with("#1 openssl"))
        .expect("explain printed")
}

#[test]
fn security_update_waits_for_a_window_inside_its_deadline() {
    let config = server_with_saturday_window();
    // Friday 10:00: the window opens in 16 h, inside the 24 h deadline.
    let script = "submit 1 openssl security security 20m\nexplain 1\nwait 20h\nshutdown\n";
    let outcome = console_run(config, "2026-11-27T10:00:00", script);
    assert_eq!(outcome.verdict, Verdict::Success);
    let serial = &outcome.serial;
    let explanation = explanation(serial);
    assert!(
        explanation.contains("outside the maintenance windows")
            && explanation.contains("next chance in"),
        "{explanation}"
    );
    let start = event_line(serial, "START #1").expect("started");
    let at = stamp_minutes(start).expect("stamp");
    let opens = minutes_of("2026-11-28", "02:00");
    // One tick at 36,000x is 6 simulated minutes.
    assert!(
        (opens..opens + 12).contains(&at),
        "started at the window: {start}"
    );
    assert!(!start.contains("latest start reached"), "{start}");
}

#[test]
fn pause_holds_an_update_explain_names_its_end_and_resume_releases_it() {
    let config = server_with_saturday_window();
    // Friday 10:00: paused past Saturday's window, then resumed before it.
    let script = "pause until 2026-12-01\nsubmit 1 openssl important application 20m\n\
                  approve 1\nexplain 1\nresume\nexplain 1\nwait 20h\nshutdown\n";
    let outcome = console_run(config, "2026-11-27T10:00:00", script);
    assert_eq!(outcome.verdict, Verdict::Success);
    let serial = &outcome.serial;
    assert!(
        serial.contains(
            "paused until Tue 2026-12-01 00:00 +00:00: only critical and security updates run"
        ),
        "pause confirmed"
    );
    let explanations: Vec<&str> = serial
        .lines()
        .filter(|line| line.starts_with("#1 openssl"))
        .collect();
    assert_eq!(explanations.len(), 2, "{serial}");
    assert!(
        explanations[0].contains("paused until Tue 2026-12-01 00:00 +00:00"),
        "{}",
        explanations[0]
    );
    assert!(serial.contains("pause ended: updates run again"));
    assert!(
        explanations[1].contains("outside the maintenance windows"),
        "{}",
        explanations[1]
    );
    assert!(event_line(serial, "PAUSE").is_some(), "pause announced");
    assert!(event_line(serial, "RESUME").is_some(), "resume announced");
    let start = event_line(serial, "START #1").expect("started after the resume");
    let at = stamp_minutes(start).expect("stamp");
    let opens = minutes_of("2026-11-28", "02:00");
    assert!((opens..opens + 12).contains(&at), "in the window: {start}");
}

#[test]
fn security_update_runs_at_its_deadline_when_no_window_comes_first() {
    let config = server_with_saturday_window();
    // Monday 10:00: the next window is five days away, past the deadline.
    let script = "submit 1 openssl security security 20m\nexplain 1\nwait 30h\nshutdown\n";
    let outcome = console_run(config, "2026-11-23T10:00:00", script);
    assert_eq!(outcome.verdict, Verdict::Success);
    let serial = &outcome.serial;
    let explanation = explanation(serial);
    assert!(
        explanation.contains("runs at the deadline"),
        "says why: {explanation}"
    );
    let start = event_line(serial, "START #1").expect("started");
    assert!(start.contains("latest start reached"), "{start}");
    let at = stamp_minutes(start).expect("stamp");
    // The deadline is 24 h after the update became available; the clock
    // ran on (fast) between boot and the moment the script was typed.
    let available = event_line(serial, "AVAILABLE #1").expect("announced");
    let deadline = stamp_minutes(available).expect("stamp") + 24 * 60;
    assert!(
        available.contains("Mon 2026-11-23"),
        "the next window (Saturday) is past the deadline: {available}"
    );
    assert!(
        (deadline..=deadline + 1).contains(&at),
        "started at the deadline: {start}"
    );
}

#[test]
fn approval_is_needed_before_start_and_reject_ends_an_update() {
    let mut config = console(3_600);
    config.profile = update_sched::config::Profile::Basic;
    config.frequency = Some("daily".parse().expect("frequency"));
    config.windows = Some("Mon 00:00 +7d; UTC".parse().expect("calendar"));
    // Sunday: the office is empty, the window always open.
    let script = "submit 1 editor optional application 10m\nwait 2h\nshow 1\napprove 1\nwait 1h\n\
                  submit 2 game optional application 10m\nwait 30m\nreject 2\nwait 1h\nshow 2\nshutdown\n";
    let outcome = console_run(config, "2026-11-29T10:00:00", script);
    assert_eq!(outcome.verdict, Verdict::Success);
    let serial = &outcome.serial;
    assert!(
        event_line(serial, "APPROVAL? #1").is_some(),
        "approval was asked for"
    );
    let approved = position(serial, "approved #1").expect("console approved it");
    let start = position(serial, "START #1").expect("started after approval");
    assert!(start > approved, "no start before `approve 1`");
    assert!(
        serial[..approved].contains("awaiting-approval")
            || serial[..approved].contains("awaiting approval"),
        "show 1 said it waits for approval"
    );
    assert!(
        event_line(serial, "REJECTED #2").is_some(),
        "reject ended #2"
    );
    assert!(
        event_line(serial, "START #2").is_none(),
        "a rejected update never starts"
    );
}

#[test]
fn failures_are_retried_with_backoff_then_given_up() {
    let mut config = console(600);
    config.profile = update_sched::config::Profile::Iot;
    config.frequency = Some("daily".parse().expect("frequency"));
    config.windows = Some("Mon 00:00 +7d; UTC".parse().expect("calendar"));
    config.failures.application = 1000;
    let script = "submit 1 flaky optional application 10m\nwait 2h\nshow 1\nshutdown\n";
    let outcome = console_run(config, "2026-11-29T10:00:00", script);
    assert_eq!(outcome.verdict, Verdict::Success);
    let serial = &outcome.serial;
    let starts = lines_with(serial, "START #1");
    let fails = lines_with(serial, "FAIL #1");
    assert_eq!(starts.len(), 3, "three attempts: {starts:?}");
    assert_eq!(fails.len(), 3, "three failures: {fails:?}");
    assert!(fails[2].contains("giving up"), "{}", fails[2]);
    assert!(!fails[0].contains("giving up") && !fails[1].contains("giving up"));
    // Backoff: 5 minutes after the first failure, 10 after the second (one
    // tick at 600x is 6 simulated seconds; stamps are whole minutes).
    for (retry, expected) in [(0, 5), (1, 10)] {
        let failed = stamp_minutes(fails[retry]).expect("stamp");
        let restarted = stamp_minutes(starts[retry + 1]).expect("stamp");
        let gap = restarted - failed;
        assert!(
            (expected - 1..=expected + 1).contains(&gap),
            "retry {} after {gap} min, expected {expected}: {} / {}",
            retry + 1,
            fails[retry],
            starts[retry + 1]
        );
    }
    assert_eq!(
        lines_with(serial, "RETRY #1").len(),
        2,
        "two retries announced"
    );
}

#[test]
fn bad_console_input_gets_errors_and_the_kernel_keeps_running() {
    let mut script = Vec::new();
    script.extend_from_slice(b"frobnicate\n");
    script.extend_from_slice(b"show seven\n");
    script.extend_from_slice(b"approve 99\n");
    script.extend_from_slice(b"defer 1 soon\n");
    script.extend_from_slice(b"submit 1 x urgent kernel 10m\n");
    script.extend_from_slice(&[b'a'; 300]);
    script.push(b'\n');
    script.extend_from_slice(&[0x00, 0xff, 0xfe, 0x80, b'\n']);
    script.extend_from_slice(b"\x1b[A\x1b[Bhelp\n");
    script.extend_from_slice(b"submit 5 ok optional application 10m\n");
    script.extend_from_slice(b"status\nshutdown\n");
    let outcome = console_run(console(60), "2026-11-29T10:00:00", script);
    assert_eq!(outcome.verdict, Verdict::Success, "shutdown still works");
    let serial = &outcome.serial;
    for expected in [
        "error: unknown command",
        "error: an update id is a whole number",
        "error: no such update",
        "error: a duration looks like",
        "error: priority is one of",
        "error: line longer than",
        "error: the line held a byte that is not text",
        "submitted #5 ok",
        "submitted=1",
    ] {
        assert!(serial.contains(expected), "missing {expected:?}");
    }
    assert!(!serial.contains("PANIC"), "no panic");
}

#[test]
fn demo_lives_through_a_week_and_its_summary_holds() {
    let mut options = RunOptions::new("kernel");
    options.rtc_base = Some("2026-11-26T08:00:00".to_string());
    // As `make run` boots it: with the signed example manifest.
    options.ramdisk = boot::RamdiskSource::with_default_manifests(BootConfig::default());
    options.timeout = Duration::from_secs(240);
    let outcome = run(&options);
    let serial = &outcome.serial;
    assert!(
        serial
            .lines()
            .any(|line| line.starts_with("manifest accepted: version 1, 21 updates")),
        "the example manifest is accepted"
    );
    assert!(!serial.contains("rejected:"), "nothing in it is refused");
    let summary = serial
        .lines()
        .find(|line| line.starts_with("SUMMARY "))
        .expect("summary printed");
    let field = |name: &str| -> u64 {
        summary
            .split(' ')
            .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
            .and_then(|value| value.parse().ok())
            .unwrap_or_else(|| panic!("{name} in {summary}"))
    };
    let submitted = field("submitted");
    assert_eq!(submitted, 21, "the example manifest's updates: {summary}");
    assert_eq!(
        submitted,
        field("completed") + field("failed") + field("cancelled") + field("pending"),
        "counts add up: {summary}"
    );
    assert!(field("completed") > 0, "{summary}");
    assert!(field("sched_share_ppm") < 1_000_000, "{summary}");
    assert_eq!(outcome.verdict, Verdict::Success, "{summary}");
    assert!(
        lines_with(serial, "STATUS").len() >= 24 * 6,
        "an hourly status line"
    );
    assert!(
        !lines_with(serial, "demo: operator approves").is_empty(),
        "the demo approved something itself"
    );
    assert!(
        !lines_with(serial, "demo: operator is away").is_empty()
            && !lines_with(serial, "DEADLINE-APPROVED").is_empty(),
        "a Security update left unapproved installed at its deadline"
    );
    assert!(
        !lines_with(serial, "FAIL").is_empty(),
        "failure injection showed"
    );
    assert!(
        !lines_with(serial, "ALONE").is_empty(),
        "staged updates took their reboot or flash alone"
    );
    assert_stamps_in_time_order(serial);
    assert!(
        !serial.lines().any(|line| line.trim_end() == ">"),
        "no bare prompt line between the demo's event lines"
    );
}

#[test]
fn console_wait_ends_at_control_c_instead_of_ignoring_input() {
    // At real time a day's wait would outlast the test; each ^C ends one,
    // and what follows it runs.
    let script = "speed 1\nwait 1d\n\x03status\nwait 1d\n\x03shutdown\n";
    let outcome = console_run(console(60), "2026-11-29T10:00:00", script);
    assert_eq!(
        outcome.verdict,
        Verdict::Success,
        "shutdown after ^C ended the run"
    );
    let serial = &outcome.serial;
    assert_eq!(
        serial.matches("wait interrupted at").count(),
        2,
        "both waits interrupted"
    );
    assert!(
        serial.contains("(speed 1x)"),
        "status ran after the first ^C"
    );
}

#[test]
fn console_wait_ends_at_a_shutdown_typed_during_it() {
    // At real time the wait would outlast the test by a day: the
    // `shutdown` typed during it ends it and the run.
    let mut config = console(60);
    config.mode = Mode::Console;
    let mut options = RunOptions::new("kernel");
    options.rtc_base = Some("2026-11-29T10:00:00".to_string());
    options.ramdisk = boot::RamdiskSource::Config(config);
    options.input = Input::Typeahead(b"speed 1\nwait 1d\nshutdown\n".to_vec());
    options.timeout = Duration::from_secs(120);
    let outcome = run(&options);
    assert_eq!(outcome.verdict, Verdict::Success, "shutdown ended the wait");
    let serial = &outcome.serial;
    assert!(
        serial.contains("wait interrupted at Sun 2026-11-29 10:0"),
        "the wait says it was cut short"
    );
    assert!(serial.contains("by shutdown"), "and by what");
    assert!(!serial.contains("wait over at"), "the day never passed");
    assert!(serial.contains("SUMMARY"), "the summary printed");
}

#[test]
fn console_wait_ends_at_a_shutdown_typed_past_the_bytes_it_keeps() {
    // 3,000 bytes typed during the wait, more than the 2,048 kept for
    // after it: the `shutdown` that comes last still ends it.
    let mut script = b"speed 1\nwait 1d\n".to_vec();
    script.extend(b"help\n".repeat(600));
    script.extend(b"shutdown\n");
    let mut options = RunOptions::new("kernel");
    options.rtc_base = Some("2026-11-29T10:00:00".to_string());
    options.ramdisk = boot::RamdiskSource::Config(console(60));
    options.input = Input::Typeahead(script);
    options.timeout = Duration::from_secs(120);
    let outcome = run(&options);
    assert_eq!(outcome.verdict, Verdict::Success, "shutdown ended the wait");
    assert!(outcome.serial.contains("by shutdown"));
}

#[test]
fn console_lines_after_a_wait_are_typed_when_it_is_over() {
    // The runner types line by line: `status` and `shutdown` come after
    // the wait is over, so the wait runs its full length.
    let outcome = console_run(
        console(6000),
        "2026-11-29T10:00:00",
        "wait 2h\nstatus\nshutdown\n",
    );
    assert_eq!(outcome.verdict, Verdict::Success);
    let serial = &outcome.serial;
    let over = serial
        .find("wait over at Sun 2026-11-29 12:0")
        .expect("the wait ran its length");
    let status = serial.find("(speed 6000x)").expect("status ran");
    assert!(over < status, "status ran after the wait");
    assert!(!serial.contains("wait interrupted"), "{serial}");
}

/// Basic profile, every hour a window, so optional updates run as soon as
/// they are approved (two at a time).
fn basic_always_open(speed: u32) -> BootConfig {
    let mut config = console(speed);
    config.profile = update_sched::config::Profile::Basic;
    config.frequency = Some("daily".parse().expect("frequency"));
    config.windows = Some("Mon 00:00 +7d; UTC".parse().expect("calendar"));
    config
}

#[test]
fn console_at_15000x_critical_not_late_available_when_due_far_times_refused_lines_in_order() {
    let mut script = String::from(
        "submit 1 fix critical security 10m\n\
         submit 2 later optional application 3m after=1d\napprove 2\n\
         submit 3 app optional application 90m\napprove 3\n\
         defer 2 100000d\n\
         submit 4 far optional application 3m after=100000d\n\
         defer 2 1d\n",
    );
    // A chain, queued while #3 runs for 90 minutes: each starts the moment
    // the one before it is done, so its first step falls inside the tick
    // of that moment's DONE and START.
    for id in 5..=9 {
        let needs = if id == 5 { 3 } else { id - 1 };
        script.push_str(&format!(
            "submit {id} chain optional application 3m needs={needs}\napprove {id}\n"
        ));
    }
    // Refused by the grammar `sign` uses too.
    script.push_str(
        "submit 20 a optional application 3m needs=1,1\n\
         submit 21 a optional application 3m version=1.2\n\
         submit 22 a optional application 3m version=01.02.03\n\
         submit 23 a optional application 3m after=1h after=2h\n\
         submit 24 a optional application 3m reboot reboot\n\
         submit 25 a optional application 1093m\n\
         submit 26 a optional application 18h12m approval\n\
         wait 3d\nstatus\nshutdown\n",
    );
    let outcome = console_run(basic_always_open(15_000), "2026-11-29T10:00:00", script);
    assert_eq!(outcome.verdict, Verdict::Success);
    let serial = &outcome.serial;

    // A Critical update typed at 15,000x (150 s a tick) starts at its
    // own time, not a tick later past its grace.
    let start = event_line(serial, "START #1 ").expect("the critical update started");
    assert!(start.contains("(0 ticks)"), "{start}");
    assert!(event_line(serial, "LATE #1 ").is_none(), "{start}");
    let misses = serial.rsplit("deadline_misses=").next().unwrap_or("");
    assert!(misses.starts_with('0'), "a miss counted: {misses}");

    // AVAILABLE when the update becomes available, a day on.
    let submitted =
        stamp_minutes(event_line(serial, "AVAILABLE #1 ").expect("#1 available")).expect("stamp");
    let available = event_line(serial, "AVAILABLE #2 ").expect("#2 available");
    let later = stamp_minutes(available).expect("stamp");
    assert!(
        later >= submitted + 24 * 60 - 3,
        "#2 announced at submission: {available}"
    );
    assert!(
        event_line(serial, "DONE #2 ").is_some(),
        "#2 ran after its day"
    );

    // Times past the scheduler's 136 years are refused, not clamped; the
    // reply to a deferral names the instant its event does.
    assert!(
        serial.contains("error: the deferral ends too late"),
        "defer 2 100000d refused"
    );
    assert!(
        serial.contains("available too late: the scheduler holds times up to"),
        "after=100000d refused"
    );
    assert!(!serial.contains("submitted #4"), "#4 not queued");
    let reply = serial
        .lines()
        .find(|line| line.starts_with("deferred #2 until "))
        .expect("defer 2 1d replied");
    let event = event_line(serial, "DEFER #2 ").expect("deferral event");
    assert_eq!(until_of(reply), until_of(event), "{reply}\n{event}");

    // The console's grammar is `sign`'s.
    for expected in [
        "error: needs: #1 is listed twice",
        "error: a version is MAJOR.MINOR.PATCH",
        "error: option after= given twice",
        "error: option reboot given twice",
        "error: estimate: must be 1m to 1092m (18h12m)",
        "submitted #26 a",
    ] {
        assert!(serial.contains(expected), "missing {expected:?}");
    }
    assert_eq!(
        serial
            .matches("error: a version is MAJOR.MINOR.PATCH")
            .count(),
        2,
        "1.2 and 01.02.03 both refused"
    );
    for refused in 20..=25 {
        assert!(
            !serial.contains(&format!("submitted #{refused} ")),
            "#{refused} accepted"
        );
    }

    // Every line in time order, with chained updates stepping inside the
    // ticks of their starts.
    assert!(event_line(serial, "DONE #9 ").is_some(), "the chain ran");
    assert_stamps_in_time_order(serial);
}

#[test]
fn critical_update_preempts_an_update_that_runs_alone_while_it_downloads() {
    let mut config = console(600);
    config.profile = update_sched::config::Profile::Basic;
    config.frequency = Some("daily".parse().expect("frequency"));
    config.windows = Some("Mon 00:00 +7d; UTC".parse().expect("calendar"));
    // #1 runs alone and takes 10 h: an hour after approval it is still
    // downloading (the first 3 h), so it can be abandoned for #2.
    let script = "submit 1 bigsuite optional application 600m exclusive\napprove 1\nwait 1h\n\
                  submit 2 hotfix critical security 10m\nwait 30m\nexplain 1\nshutdown\n";
    let outcome = console_run(config, "2026-11-29T10:00:00", script);
    assert_eq!(outcome.verdict, Verdict::Success);
    let serial = &outcome.serial;
    let first = position(serial, "START #1 ").expect("#1 started");
    let preempt = position(serial, "PREEMPT #1").expect("#1 was preempted");
    let critical = position(serial, "START #2").expect("the critical update started");
    assert!(
        first < preempt && preempt < critical,
        "start, preempt, then #2"
    );
    let start = event_line(serial, "START #2").expect("start line");
    assert!(
        start.contains("(0 ticks)") || start.contains("(1 tick)"),
        "#2 started within a tick: {start}"
    );
    assert!(event_line(serial, "DONE #2 ").is_some(), "#2 completed");
    let restarts = lines_with(serial, "START #1 ");
    assert_eq!(restarts.len(), 2, "#1 started again after #2: {restarts:?}");
    assert!(
        restarts[1].contains("attempt 1"),
        "the preemption spent no attempt: {}",
        restarts[1]
    );
    assert!(
        lines_with(serial, "FAIL #1").is_empty(),
        "a preemption is no failure"
    );
}

/// An update submitted and then cancelled or rejected before the worker's
/// next step is gone from the scheduler when its events are printed; the
/// lines name it all the same.
#[test]
fn events_name_an_update_cancelled_or_rejected_before_the_worker_saw_it() {
    let outcome = console_run(
        basic_always_open(60),
        "2026-11-29T10:00:00",
        "submit 1 gone optional application 3m\ncancel 1\n\
         submit 2 nope optional application 3m\nreject 2\nwait 1m\nshutdown\n",
    );
    assert_eq!(outcome.verdict, Verdict::Success);
    let serial = &outcome.serial;
    for (event, name) in [
        ("AVAILABLE #1", "#1 gone (optional application)"),
        ("CANCEL #1", "#1 gone (optional application)"),
        ("AVAILABLE #2", "#2 nope (optional application)"),
        ("REJECTED #2", "#2 nope (optional application)"),
    ] {
        let line = event_line(serial, event).unwrap_or_else(|| panic!("no {event} line"));
        assert!(line.contains(name), "{line}");
    }
}

/// A `defer` or `after=` too long to count at all is refused as too late,
/// as a long but countable one past the scheduler's 136 years is, not as
/// if it did not look like a duration.
#[test]
fn durations_too_large_to_count_are_refused_as_too_late_not_as_malformed() {
    let outcome = console_run(
        basic_always_open(60),
        "2026-11-29T10:00:00",
        "submit 1 a optional application 3m\n\
         defer 1 99999999999999999999d\ndefer 1 100000d\n\
         submit 2 b optional application 3m after=99999999999999999999d\n\
         submit 3 c optional application 3m after=100000d\n\
         wait 99999999999999999999d\nshutdown\n",
    );
    assert_eq!(outcome.verdict, Verdict::Success);
    let serial = &outcome.serial;
    assert_eq!(
        serial.matches("error: the deferral ends too late").count(),
        2,
        "{serial}"
    );
    assert_eq!(
        serial
            .matches("error: submit refused: available too late")
            .count(),
        2,
        "{serial}"
    );
    assert!(serial.contains("error: a wait that long cannot be counted"));
    assert!(!serial.contains("a duration looks like"), "{serial}");
}
