//! Replays a workload minute by minute through the real scheduler and
//! compares scheduling policies by how much they disturb the machine's
//! users.
//!
//! ```text
//! cargo run --release -p update-sched --example simulate -- \
//!     [--workload NAME | --trace FILE] [--days N] [--seed N] [--plot FILE.svg]
//! cargo run --release -p update-sched --example simulate -- --targets
//! ```
//!
//! Every policy starts from an empty usage pattern and learns online, as
//! the kernel would after a fresh boot; each sees the same metrics, the
//! same arrivals and the same failures. See the "Simulator" section of the
//! crate's README for what is measured and the targets.

mod arrivals;
#[path = "../cli/mod.rs"]
mod cli;
mod oracle;
mod plot;
mod report;
mod sim;
mod targets;
mod trace;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant as Stopwatch;

use update_sched::civil::{UtcOffset, WallTime};
use update_sched::config::Profile;
use update_sched::workload::{Workload, WorkloadKind};
use update_sched::Duration;

use crate::cli::{arguments, emit, escaped};
use crate::sim::{Outcome, Policy, Scenario};
use crate::trace::Trace;

const USAGE: &str = "\
usage: simulate [--workload NAME | --trace FILE] [--days N] [--seed N] [--plot FILE.svg]
                [--profile NAME] [--failure-rate PERMILLE] [--offset +HH:MM] [--start TIMESTAMP]
       simulate --targets [--profile NAME] [--failure-rate PERMILLE]
       simulate --workload NAME --write-trace FILE [--days N] [--seed N] [--offset +HH:MM]
                [--start TIMESTAMP]

Replays a machine's usage minute by minute through the update scheduler and
compares policies: immediate, nightly (03:00-05:00), active-hours (outside
Mon-Fri 08:00-17:00), the profile's configured windows, adaptive, and the
oracle: a clairvoyant reference that knows the whole run's usage and places
each update where it disrupts least. A policy that beats the oracle by more
than the allowance (see the README) is reported, and the exit status is 1.

  --workload NAME          office, home, server, nightshift, change, irregular or laptop
                           (default office)
  --trace FILE             CSV with the header (at most 64 MiB)
                           unix_seconds,cpu_permille,mem_permille,disk_kib_s,net_kib_s,sessions
  --days N                 days to simulate, 1..=3650 (default 30; with --trace, the
                           trace's span from its first sample, in whole days, refused
                           if longer than 3650 days)
  --seed N                 seed of the workload noise, arrivals and failures (default 1)
  --plot FILE.svg          draw the learned week and every policy's installations (a path
                           that cannot be opened is refused before the run; the figures
                           are printed before the plot is written)
  --profile NAME           basic, server, desktop or iot (default desktop)
  --failure-rate PERMILLE  chance that an installation attempt fails, 0..=1000 (default 50)
  --offset +HH:MM          the machine's UTC offset (default Z)
  --start TIMESTAMP        first simulated minute, RFC 3339 (default 2026-11-02T00:00:00Z,
                           a Monday; with --trace, its first sample, and a run that
                           would replay none of the trace is refused)
  --targets                every built-in workload x seeds 1..5 x 30 days: the target
                           table, exit status 1 if a counted target fails (the 17 of
                           the five original workloads, and the oracle check)
  --write-trace FILE       write the workload as a trace (one row per 10 minutes), then exit;
                           not for laptop (a trace has no power or suspension column)
  --help                   print this help

Each option is given at most once. --targets takes only --profile and
--failure-rate, and --write-trace only --workload, --days, --seed, --offset
and --start: another option is refused, not ignored. Bad input, or an output
that cannot be written, prints `error: ...` and exits with status 2.

A policy whose update queue (1,024 updates, as in the kernel) is full refuses
further arrivals; the run goes on, its RESULT line ends in refused=N, and
--targets counts no such run.
";

/// The default first minute: Monday 2026-11-02 00:00 UTC.
pub const DEFAULT_START: &str = "2026-11-02T00:00:00Z";
/// Days simulated unless `--days` says otherwise.
const DEFAULT_DAYS: u32 = 30;
/// The longest run, in days: ten years, `--days` and a trace's span alike.
/// It bounds the memory of a run (a sample per minute, about 5.3 million)
/// and keeps every minute index and second count far inside `u32` and
/// `u64`.
pub const MAX_DAYS: u32 = 3_650;
/// Failure chance per attempt unless `--failure-rate` says otherwise: one
/// in twenty.
pub const DEFAULT_FAILURE_PERMILLE: u16 = 50;
/// The options `--targets` has no use for: it runs its own workloads,
/// seeds and days from the default start, and draws nothing.
const TARGETS_IGNORES: &[&str] = &[
    "--workload",
    "--trace",
    "--days",
    "--seed",
    "--plot",
    "--offset",
    "--start",
    "--write-trace",
];
/// The options `--write-trace` has no use for: it writes the metrics,
/// which no profile, failure rate or plot changes.
const WRITE_TRACE_IGNORES: &[&str] = &["--plot", "--profile", "--failure-rate"];
/// Rows of `--write-trace` are this many minutes apart, the default
/// interval of sysstat's collector.
const TRACE_STEP_MINUTES: u32 = 10;

/// Where the metrics come from.
#[derive(Clone, Debug)]
enum Source {
    Workload(WorkloadKind),
    Trace(PathBuf),
}

/// What the command line asks for.
#[derive(Clone, Debug)]
struct Options {
    source: Source,
    days: Option<u32>,
    seed: u64,
    plot: Option<PathBuf>,
    profile: Profile,
    failure_permille: u16,
    offset: UtcOffset,
    start: Option<WallTime>,
    targets: bool,
    write_trace: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = match arguments() {
        Ok(args) => args,
        Err(message) => return usage_error(&message),
    };
    if args.iter().any(|arg| arg == "--help" || arg == "-h") {
        return match emit(USAGE) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => usage_error(&message),
        };
    }
    let options = match parse_args(&args) {
        Ok(options) => options,
        Err(message) => return usage_error(&message),
    };
    if options.targets {
        let (text, passed) = targets::run(options.profile, options.failure_permille);
        if let Err(message) = emit(&text) {
            return usage_error(&message);
        }
        return if passed {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    match simulate(&options) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!(
                "error: the books do not balance, or a policy beat the oracle (see the notes above)"
            );
            ExitCode::FAILURE
        }
        Err(message) => usage_error(&message),
    }
}

/// Prints `error: message` and returns the usual status of a usage error.
/// Control characters in the message (from an argument or a file name)
/// are escaped, so that it stays one line and cannot drive the terminal.
fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {}", escaped(message));
    ExitCode::from(2)
}

fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        source: Source::Workload(WorkloadKind::Office),
        days: None,
        seed: 1,
        plot: None,
        profile: Profile::Desktop,
        failure_permille: DEFAULT_FAILURE_PERMILLE,
        offset: UtcOffset::UTC,
        start: None,
        targets: false,
        write_trace: None,
    };
    let mut chose_source = false;
    // Every option given, in order: one given twice is refused rather than
    // the last silently winning, and so is one the chosen mode ignores.
    let mut given: Vec<&str> = Vec::new();
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let flag_name = flag.as_str();
        if given.contains(&flag_name) && !matches!(flag_name, "--workload" | "--trace") {
            return Err(format!("{flag} is given twice; give it once"));
        }
        given.push(flag_name);
        if flag == "--targets" {
            options.targets = true;
            continue;
        }
        if matches!(flag_name, "--workload" | "--trace") {
            if chose_source {
                return Err("give one of --workload and --trace".to_owned());
            }
            chose_source = true;
        }
        let value = || {
            args.next()
                .map(String::as_str)
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        options.read_option(flag_name, value)?;
    }
    options.check_mode(&given)?;
    Ok(options)
}

impl Options {
    /// Reads the value of `flag`, an option that takes one, from `value`
    /// (asked only for a known option).
    fn read_option<'a>(
        &mut self,
        flag: &str,
        mut value: impl FnMut() -> Result<&'a str, String>,
    ) -> Result<(), String> {
        match flag {
            "--workload" => {
                let name = value()?;
                let kind = name.parse().map_err(|error| format!("{error}: `{name}`"))?;
                self.source = Source::Workload(kind);
            }
            "--trace" => self.source = Source::Trace(PathBuf::from(value()?)),
            "--days" => {
                let days: u32 = number(flag, value()?)?;
                if !(1..=MAX_DAYS).contains(&days) {
                    return Err(format!("--days must be 1..={MAX_DAYS}"));
                }
                self.days = Some(days);
            }
            "--seed" => self.seed = number(flag, value()?)?,
            "--plot" => self.plot = Some(PathBuf::from(value()?)),
            "--profile" => {
                let name = value()?;
                self.profile = name.parse().map_err(|error| format!("{error}: `{name}`"))?;
            }
            "--failure-rate" => {
                let rate: u16 = number(flag, value()?)?;
                if rate > 1_000 {
                    return Err("--failure-rate is per mille, 0..=1000".to_owned());
                }
                self.failure_permille = rate;
            }
            "--offset" => {
                let text = value()?;
                self.offset = text
                    .parse()
                    .map_err(|error| format!("--offset `{text}`: {error}"))?;
            }
            "--start" => {
                let text = value()?;
                self.start = Some(
                    text.parse()
                        .map_err(|error| format!("--start `{text}`: {error}"))?,
                );
            }
            "--write-trace" => self.write_trace = Some(PathBuf::from(value()?)),
            _ => return Err(format!("unknown argument `{flag}` (see --help)")),
        }
        Ok(())
    }

    /// Refuses options the chosen mode does not use; `given` lists every
    /// option given.
    fn check_mode(&self, given: &[&str]) -> Result<(), String> {
        if self.write_trace.is_some() && matches!(self.source, Source::Trace(_)) {
            return Err("--write-trace writes a built-in workload; give --workload".to_owned());
        }
        if self.write_trace.is_some()
            && matches!(self.source, Source::Workload(WorkloadKind::Laptop))
        {
            return Err(
                "--write-trace cannot write laptop: a trace has no power source or suspension"
                    .to_owned(),
            );
        }
        let (mode, ignored) = if self.targets {
            ("--targets", TARGETS_IGNORES)
        } else if self.write_trace.is_some() {
            ("--write-trace", WRITE_TRACE_IGNORES)
        } else {
            ("", &[][..])
        };
        if let Some(flag) = given.iter().find(|flag| ignored.contains(flag)) {
            return Err(format!("{mode} does not use {flag} (see --help)"));
        }
        Ok(())
    }
}

fn number<T: std::str::FromStr>(flag: &str, text: &str) -> Result<T, String> {
    text.parse()
        .map_err(|_| format!("{flag}: `{text}` is not a valid number"))
}

/// A built-in workload over `days` days from `start`, with its arrivals.
pub fn workload_scenario(
    kind: WorkloadKind,
    seed: u64,
    days: u32,
    start: WallTime,
    offset: UtcOffset,
    profile: Profile,
    failure_permille: u16,
) -> Scenario {
    let workload = Workload::new(kind, seed, start, offset);
    let minutes = days * 1_440;
    let metrics = (0..minutes)
        .map(|minute| {
            workload.sample(start.saturating_add(Duration::from_minutes(u64::from(minute))))
        })
        .collect();
    let suspended = if kind == WorkloadKind::Laptop {
        (0..minutes)
            .map(|minute| {
                workload.suspended(start.saturating_add(Duration::from_minutes(u64::from(minute))))
            })
            .collect()
    } else {
        Vec::new()
    };
    Scenario {
        name: kind.name().to_owned(),
        start,
        offset,
        metrics,
        arrivals: arrivals::generate(seed, minutes),
        seed,
        failure_permille,
        profile,
        suspended,
    }
}

/// A recorded trace over `days` days (default: its span, whole days).
fn trace_scenario(path: &Path, options: &Options) -> Result<Scenario, String> {
    let text = trace::read_text(path)?;
    let trace = Trace::parse(&text).map_err(|error| format!("{}: {error}", path.display()))?;
    let first = trace.start().as_unix_secs();
    let start = options
        .start
        .unwrap_or(WallTime::from_unix_secs(first - first % 60));
    let days = match options.days {
        Some(days) => days,
        None => {
            // The span is the trace's own, from its first sample (or
            // --start) to its last; the run starts at the whole minute
            // before it and lasts whole days, up to the limit.
            let end = trace.end().as_unix_secs();
            let from = options.start.unwrap_or(trace.start());
            let span_s = end.saturating_sub(from.as_unix_secs());
            if span_s > u64::from(MAX_DAYS) * 86_400 {
                return Err(format!(
                    "{}: the trace spans {} days from {from} to its last sample at {}; \
                     at most {MAX_DAYS} are simulated: give --days to replay its first days",
                    path.display(),
                    span_s.div_ceil(86_400),
                    trace.end()
                ));
            }
            let run_s = end.saturating_sub(start.as_unix_secs());
            u32::try_from(run_s.div_ceil(86_400))
                .unwrap_or(MAX_DAYS)
                .clamp(1, MAX_DAYS)
        }
    };
    let minutes = run_minutes(start, days)?;
    // A --start that puts the whole run before the trace's first sample or
    // after its last would replay one sample held for the whole run: a run
    // of nothing, reported as if it were the trace.
    if start > trace.end() {
        return Err(format!(
            "{}: --start {start} is after the trace's last sample at {}: the run would \
             replay none of it",
            path.display(),
            trace.end()
        ));
    }
    let last_minute = start.saturating_add(Duration::from_minutes(u64::from(minutes - 1)));
    if last_minute < trace.start() {
        return Err(format!(
            "{}: the run from {start} has its last minute at {last_minute}, before the trace's \
             first sample at {}: it would replay none of it",
            path.display(),
            trace.start()
        ));
    }
    let metrics = (0..minutes)
        .map(|minute| trace.at(start.saturating_add(Duration::from_minutes(u64::from(minute)))))
        .collect();
    let name = path.file_name().map_or_else(
        || "trace".to_owned(),
        |name| {
            name.to_string_lossy()
                .replace(|c: char| c.is_whitespace() || c.is_control(), "_")
        },
    );
    Ok(Scenario {
        name,
        start,
        offset: options.offset,
        metrics,
        arrivals: arrivals::generate(options.seed, minutes),
        seed: options.seed,
        failure_permille: options.failure_permille,
        profile: options.profile,
        suspended: Vec::new(),
    })
}

/// The minutes of a run of `days` days (at most [`MAX_DAYS`]) from
/// `start`, or why there cannot be such a run: its end must be a time a
/// [`WallTime`] holds, so that no minute's wall time is clamped.
fn run_minutes(start: WallTime, days: u32) -> Result<u32, String> {
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(format!("a run has 1 to {MAX_DAYS} days, not {days}"));
    }
    let minutes = days * 1_440;
    start
        .checked_add(Duration::from_minutes(u64::from(minutes)))
        .ok_or_else(|| {
            format!("a {days}-day run from {start} ends past the last representable time")
        })?;
    Ok(minutes)
}

/// Every policy over `scenario`, in report order.
pub fn run_all(scenario: &Scenario) -> Result<Vec<Outcome>, String> {
    Policy::ALL
        .iter()
        .map(|&policy| sim::run(scenario, policy))
        .collect()
}

/// Runs the simulation the options ask for and prints its report; `false`
/// when its books do not balance or a policy beat the oracle.
fn simulate(options: &Options) -> Result<bool, String> {
    let default_start = DEFAULT_START.parse().expect("default start is valid");
    let timer = Stopwatch::now();
    let scenario = match &options.source {
        Source::Workload(kind) => {
            let days = options.days.unwrap_or(DEFAULT_DAYS);
            let start = options.start.unwrap_or(default_start);
            run_minutes(start, days)?;
            workload_scenario(
                *kind,
                options.seed,
                days,
                start,
                options.offset,
                options.profile,
                options.failure_permille,
            )
        }
        Source::Trace(path) => trace_scenario(path, options)?,
    };
    if let Some(path) = &options.write_trace {
        return write_trace(&scenario, path).map(|()| true);
    }
    if let Some(path) = &options.plot {
        // A plot path that cannot be opened is found out before the run
        // of minutes, not after it, and after the input was read, so that
        // a bad trace leaves no empty plot behind.
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|error| plot_error(path, &error))?;
    }
    let outcomes = run_all(&scenario)?;
    let elapsed = timer.elapsed();
    let mut text = report::heading(&scenario);
    text.push('\n');
    text.push_str(&report::tables(&outcomes));
    text.push('\n');
    for outcome in &outcomes {
        text.push_str(&report::result_line(&scenario.name, outcome));
        text.push('\n');
    }
    text.push_str(&format!(
        "time: {} simulated days, {} policies, {} ms on one core\n",
        scenario.minutes() / 1_440,
        outcomes.len(),
        elapsed.as_millis()
    ));
    // The figures are printed before the plot is drawn, so that a plot
    // that cannot be written (a full disk) loses nothing else.
    emit(&text)?;
    let balanced =
        report::books_balance(&scenario, &outcomes) && report::oracle_beaten(&outcomes).is_empty();
    if let Some(path) = &options.plot {
        plot::draw(path, &scenario, &outcomes).map_err(|error| plot_error(path, &error))?;
        emit(&format!("plot: {}\n", path.display()))?;
    }
    Ok(balanced)
}

/// The message for a plot that cannot be written to `path`.
fn plot_error(path: &Path, error: &dyn std::fmt::Display) -> String {
    format!("cannot write the plot {}: {error}", path.display())
}

/// Writes `scenario`'s metrics as a trace, one row per
/// [`TRACE_STEP_MINUTES`].
fn write_trace(scenario: &Scenario, path: &PathBuf) -> Result<(), String> {
    let mut text = String::from(trace::HEADER);
    text.push('\n');
    for minute in (0..scenario.minutes()).step_by(TRACE_STEP_MINUTES as usize) {
        let row = trace::format_row(scenario.wall(minute), &scenario.metrics[minute as usize]);
        text.push_str(&row);
        text.push('\n');
    }
    std::fs::write(path, text).map_err(|error| format!("cannot write {}: {error}", path.display()))
}
