//! What the simulator prints: a table per run, one `RESULT` line per
//! policy, and the target table of `--targets`.

use std::fmt::Write as _;

use update_sched::Priority;

use crate::sim::{Outcome, Policy, Scenario, CAPACITY};

/// How far a policy may beat the oracle in one run, in disrupted minutes,
/// before the oracle counts as wrong. The oracle places greedily, in
/// arrival order, and the run can leave its plan (a retry the scheduler
/// times, a Critical restart after a preemption), so it is a reference,
/// not a proven bound; failures, arrivals and backoff are the same for
/// every policy (drawn per update and attempt, no jitter), so they are no
/// source of noise. A third of the longest installation
/// ([`crate::arrivals::DURATION_MINUTES`]) per run: over every profile,
/// built-in workload and seed 1 to 5 no policy beat the oracle at all.
pub const ORACLE_NOISE_MINUTES: u32 = crate::arrivals::DURATION_MINUTES.1 / 3;

/// `part / whole` with two decimals (`2.50`), `-` when `whole` is 0;
/// integer arithmetic.
pub fn times(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "-".to_owned();
    }
    let hundredths = (part * 100 + whole / 2) / whole;
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

/// The policies that beat the oracle in one run by more than
/// [`ORACLE_NOISE_MINUTES`], one message each (none without an oracle).
/// A policy whose queue refused arrivals is left out: its figures leave
/// those updates out (see the notes of [`tables`]).
pub fn oracle_beaten(outcomes: &[Outcome]) -> Vec<String> {
    let Some(oracle) = outcomes
        .iter()
        .find(|outcome| outcome.policy == Policy::Oracle)
    else {
        return Vec::new();
    };
    outcomes
        .iter()
        .filter(|outcome| {
            outcome.policy != Policy::Oracle
                && outcome.refused == 0
                && outcome.disrupted_minutes + ORACLE_NOISE_MINUTES < oracle.disrupted_minutes
        })
        .map(|outcome| {
            format!(
                "{} disrupted {} minutes, the oracle {} (allowance {ORACLE_NOISE_MINUTES})",
                outcome.policy.name(),
                outcome.disrupted_minutes,
                oracle.disrupted_minutes
            )
        })
        .collect()
}

/// `45m`, `3h05m`, `2d04h`.
pub fn duration(minutes: u32) -> String {
    match minutes {
        0..=59 => format!("{minutes}m"),
        60..=1_439 => format!("{}h{:02}m", minutes / 60, minutes % 60),
        _ => format!("{}d{:02}h", minutes / 1_440, minutes / 60 % 24),
    }
}

/// `part` as a percentage of `whole` with one decimal, `-` when `whole` is
/// 0; integer arithmetic.
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "-".to_owned();
    }
    let tenths = (part * 1_000 + whole / 2) / whole;
    format!("{}.{}%", tenths / 10, tenths % 10)
}

/// `1,234,567`.
pub fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// The heading of a run: what was simulated.
pub fn heading(scenario: &Scenario) -> String {
    let mut text = String::new();
    let minutes = scenario.minutes();
    let start = scenario.start.to_local(scenario.offset);
    let in_use = scenario
        .metrics
        .iter()
        .filter(|metrics| update_sched::workload::in_use(metrics))
        .count() as u64;
    let _ = writeln!(
        text,
        "{}, seed {}: {} days from {}, profile {}, failure rate {} per mille",
        scenario.name,
        scenario.seed,
        minutes / 1_440,
        start,
        scenario.profile,
        scenario.failure_permille,
    );
    let mut by_priority = [0u32; 5];
    let mut reboots = 0;
    for arrival in &scenario.arrivals {
        by_priority[arrival.priority.index()] += 1;
        if arrival
            .flags
            .contains(update_sched::update::UpdateFlags::NEEDS_REBOOT)
        {
            reboots += 1;
        }
    }
    let mix: Vec<String> = Priority::ALL
        .iter()
        .map(|priority| format!("{} {priority}", by_priority[priority.index()]))
        .collect();
    let _ = writeln!(
        text,
        "machine in use {} of {} minutes ({}); {} updates: {}; {} need a reboot",
        thousands(in_use),
        thousands(u64::from(minutes)),
        percent(in_use, u64::from(minutes)),
        scenario.arrivals.len(),
        mix.join(", "),
        reboots
    );
    text
}

/// The readable tables of one run.
pub fn tables(outcomes: &[Outcome]) -> String {
    let mut text = String::new();
    let oracle = outcomes
        .iter()
        .find(|outcome| outcome.policy == Policy::Oracle)
        .map(|outcome| u64::from(outcome.disrupted_minutes));
    let _ = writeln!(
        text,
        "{:<13} {:>9} {:>8} {:>15} {:>13} {:>9} {:>6} {:>7} {:>14}",
        "policy",
        "disrupted",
        "÷ oracle",
        "reboots",
        "missed",
        "completed",
        "failed",
        "pending",
        "preempted"
    );
    let _ = writeln!(
        text,
        "{:<13} {:>9} {:>8} {:>15} {:>13} {:>9} {:>6} {:>7} {:>14}",
        "", "minutes", "", "in use / all", "crit/sec/imp", "", "", "", "done/refused"
    );
    for outcome in outcomes {
        let missed = format!(
            "{}/{}/{}",
            outcome.missed[0], outcome.missed[1], outcome.missed[2]
        );
        let _ = writeln!(
            text,
            "{:<13} {:>9} {:>8} {:>15} {:>13} {:>9} {:>6} {:>7} {:>14}",
            outcome.policy.name(),
            thousands(u64::from(outcome.disrupted_minutes)),
            oracle.map_or_else(
                || "-".to_owned(),
                |oracle| times(u64::from(outcome.disrupted_minutes), oracle)
            ),
            format!("{} / {}", outcome.disrupted_reboots, outcome.reboots),
            missed,
            outcome.completed,
            outcome.failed,
            outcome.pending,
            format!("{}/{}", outcome.preemptions, outcome.refused_preemptions)
        );
    }
    let _ = writeln!(text);
    let _ = writeln!(text, "from available to installed, mean / worst:");
    let _ = write!(text, "{:<13}", "policy");
    for priority in Priority::ALL {
        let _ = write!(text, " {:>15}", priority.name());
    }
    let _ = writeln!(text);
    for outcome in outcomes {
        let _ = write!(text, "{:<13}", outcome.policy.name());
        for spread in &outcome.install {
            let cell = match spread.mean() {
                Some(mean) => format!("{} / {}", duration(mean), duration(spread.worst)),
                None => "-".to_owned(),
            };
            let _ = write!(text, " {cell:>15}");
        }
        let _ = writeln!(text);
    }
    for message in oracle_beaten(outcomes) {
        let _ = writeln!(text, "error: beats the oracle: {message}");
    }
    for outcome in outcomes {
        if outcome.refused > 0 {
            let _ = writeln!(
                text,
                "note: {}: the update queue ({} updates) was full; {} arrivals were refused and \
                 are in no figure above",
                outcome.policy.name(),
                thousands(CAPACITY as u64),
                thousands(u64::from(outcome.refused))
            );
        }
        if outcome.missed != outcome.scheduler_missed {
            let _ = writeln!(
                text,
                "note: {}: the scheduler counted deadline misses {:?}, the simulation {:?}",
                outcome.policy.name(),
                outcome.scheduler_missed,
                outcome.missed
            );
        }
        if outcome.completed + outcome.failed + outcome.pending != outcome.submitted {
            let _ = writeln!(
                text,
                "error: {}: completed + failed + pending != submitted ({})",
                outcome.policy.name(),
                outcome.submitted
            );
        }
    }
    text
}

/// The machine-readable line of one policy's run; `refused=N` is added
/// only when the update queue refused arrivals, so that the line of a
/// complete run keeps its form.
pub fn result_line(workload: &str, outcome: &Outcome) -> String {
    let mut line = format!(
        "RESULT workload={workload} policy={} disrupted_minutes={} disrupted_reboots={} \
         missed_critical={} missed_security={} missed_important={} completed={} failed={} \
         pending={} preempted={} preempt_refused={}",
        outcome.policy.name(),
        outcome.disrupted_minutes,
        outcome.disrupted_reboots,
        outcome.missed[0],
        outcome.missed[1],
        outcome.missed[2],
        outcome.completed,
        outcome.failed,
        outcome.pending,
        outcome.preemptions,
        outcome.refused_preemptions
    );
    if outcome.refused > 0 {
        let _ = write!(line, " refused={}", outcome.refused);
    }
    line
}

/// Whether the run's books balance: every arrival submitted or refused,
/// and completed + failed + pending equal to the submissions, for every
/// policy; and the two counts of deadline misses agree. (Whether a policy
/// beat the oracle is [`oracle_beaten`]'s question.)
pub fn books_balance(scenario: &Scenario, outcomes: &[Outcome]) -> bool {
    outcomes.iter().all(|outcome| {
        (outcome.submitted + outcome.refused) as usize == scenario.arrivals.len()
            && outcome.completed + outcome.failed + outcome.pending == outcome.submitted
            && outcome.missed == outcome.scheduler_missed
    })
}
