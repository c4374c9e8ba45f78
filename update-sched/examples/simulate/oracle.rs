//! The clairvoyant reference: a placement of every update that knows the
//! whole run's usage in advance.
//!
//! The `oracle` policy is no scheduler. It sees the in-use minutes of the
//! whole run and, in arrival order (and again for each retry, when the
//! failure is reported), places each update at the start that adds the
//! fewest minutes to the run's disrupted minutes: in-use minutes its
//! installation would cover that no update placed before already covers.
//! Ties go to the earliest start. A start is a candidate only if the
//! machine is awake, the power gate lets the update start, it is no later
//! than the update's deadline, and the installation fits the plan so far:
//! at most the concurrency limit at once (one more for a Critical update,
//! as the scheduler allows), and the exclusive phase of a staged update
//! (its last 15%) alone, with nothing else running or starting meanwhile. An installation is frozen while the machine is suspended,
//! as in the simulation. An update whose deadline (if any) lies past the
//! run's end may be left for after the run when every start inside it
//! would disrupt, as any policy may leave it pending; the run counts
//! nothing past its end. An update no start in the plan keeps on time
//! starts at its arrival if the machine is awake then (the scheduler
//! deals with it as under `immediate`, preempting if need be); if the
//! machine is suspended or on a low battery until its deadline, it is
//! late whatever the start, and gets the least disruptive start after
//! its deadline, within the run. The search looks at most
//! [`HORIZON_MINUTES`] (30 days) past an update's earliest start, which in
//! a run of the default 30 days is the whole run; in a longer run, an
//! update with no start free of disruption in that time is left for
//! after the run like any other the oracle would not start.
//!
//! The run itself goes through the same scheduler, protocol round and
//! counting code as every other policy (see `sim.rs`): the oracle only
//! holds each update back until its chosen start (submitting it then, with
//! its real arrival as the time it became available, so that deadlines
//! count from there) and defers each retry to its chosen start. Greedy
//! placement in arrival order is not a proof of optimality: an early
//! update may take a slot a later one needed; the check that no policy
//! beats the oracle allows for that (`report::ORACLE_NOISE_MINUTES`).

use update_sched::gate::{PowerPolicy, PowerSource};
use update_sched::scheduler::CRITICAL_BEYOND_LIMIT;
use update_sched::{Priority, UpdateKind};

/// What the oracle knows of one minute of the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Minute {
    /// Someone uses the machine (`workload::in_use`).
    pub in_use: bool,
    /// The machine is suspended: nothing runs, nothing starts.
    pub suspended: bool,
    /// The power source, for the power gate at a start.
    pub power: PowerSource,
}

/// One installation to place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    /// Its priority, for the power gate.
    pub priority: Priority,
    /// What it touches, for the power gate.
    pub kind: UpdateKind,
    /// Minutes of installation (awake minutes).
    pub length: u32,
    /// For a staged update, the minutes before its exclusive phase.
    pub staging: Option<u32>,
    /// The earliest start.
    pub earliest: u32,
    /// The latest start, if a deadline bounds it.
    pub latest: Option<u32>,
}

/// How far past an update's earliest start the oracle looks: 30 days, a
/// whole run of the default length. It bounds the search in runs of
/// years (a machine busy at every minute would otherwise have every
/// minute of ten years tried for every update).
pub const HORIZON_MINUTES: u32 = 30 * 1_440;

/// How many minutes of `from..to` pass a test, kept as both ends move
/// forward (never back), so that sliding a span along the run costs a
/// step per minute entering or leaving it.
#[derive(Clone, Copy, Debug)]
struct Tally {
    from: u32,
    to: u32,
    count: u32,
}

impl Tally {
    /// An empty range at `minute`.
    fn at(minute: u32) -> Tally {
        Tally {
            from: minute,
            to: minute,
            count: 0,
        }
    }

    /// Moves the range to `from..to` (each end no earlier than before).
    fn slide(&mut self, from: u32, to: u32, passes: impl Fn(usize) -> bool) {
        while self.to < to {
            self.count += u32::from(passes(self.to as usize));
            self.to += 1;
        }
        while self.from < from {
            self.count -= u32::from(passes(self.from as usize));
            self.from += 1;
        }
    }
}

/// Where a start puts an installation, in minutes of the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    start: u32,
    /// First minute of the exclusive phase (`end` when there is none).
    exclusive: u32,
    /// First minute it no longer runs.
    end: u32,
}

/// The plan so far and the run's usage.
#[derive(Clone, Debug)]
pub struct Oracle {
    minutes: Vec<Minute>,
    max_concurrent: u8,
    power: PowerPolicy,
    /// The awake minutes, in order.
    awake: Vec<u32>,
    /// Per minute: how many awake minutes come before it.
    awake_before: Vec<u32>,
    /// Per minute: installations planned.
    lanes: Vec<u8>,
    /// Per minute: an exclusive phase is planned.
    exclusive: Vec<bool>,
    /// Per minute: in use and covered by a planned installation.
    covered: Vec<bool>,
}

impl Oracle {
    /// An empty plan over `minutes`, with at most `max_concurrent`
    /// installations at once and the power gate `power`.
    pub fn new(minutes: Vec<Minute>, max_concurrent: u8, power: PowerPolicy) -> Oracle {
        let mut awake = Vec::new();
        let mut awake_before = Vec::with_capacity(minutes.len() + 1);
        for (index, minute) in minutes.iter().enumerate() {
            awake_before.push(awake.len() as u32);
            if !minute.suspended {
                awake.push(index as u32);
            }
        }
        awake_before.push(awake.len() as u32);
        let count = minutes.len();
        Oracle {
            minutes,
            max_concurrent: max_concurrent.max(1),
            power,
            awake,
            awake_before,
            lanes: vec![0; count],
            exclusive: vec![false; count],
            covered: vec![false; count],
        }
    }

    /// Minutes in the run.
    fn len(&self) -> u32 {
        self.minutes.len() as u32
    }

    /// The first awake minute after `awake_minutes` awake minutes from
    /// `start` (an awake minute); `None` past the run.
    fn after_awake(&self, start: u32, awake_minutes: u32) -> Option<u32> {
        let index = self.awake_before[start as usize] + awake_minutes;
        self.awake.get(index as usize).copied()
    }

    /// The span of `request` started at `start`, cut at the run's end.
    fn span(&self, request: &Request, start: u32) -> Span {
        let end = self.after_awake(start, request.length);
        let exclusive = match request.staging {
            Some(staging) => self.after_awake(start, staging.min(request.length)),
            None => end,
        };
        Span {
            start,
            exclusive: exclusive.unwrap_or(self.len()),
            end: end.unwrap_or(self.len()),
        }
    }

    /// Whether `request` may start at `minute`: awake, and the power gate
    /// open.
    fn may_start(&self, request: &Request, minute: u32) -> bool {
        let known = &self.minutes[minute as usize];
        !known.suspended
            && self
                .power
                .check(known.power, request.priority, request.kind)
                .is_ok()
    }

    /// The best start of `request` and the minutes it adds to the
    /// disrupted minutes, without placing it; `None` if no start fits.
    /// The start is the run's length when the update is best left for
    /// after the run: allowed when its deadline (if any) lies past the
    /// run's end and every start the search looked at would disrupt.
    ///
    /// The candidates are looked at in order, each span's figures kept as
    /// running counts while its ends move forward, so that a candidate
    /// costs a few steps, whatever the installation's length.
    pub fn best(&self, request: &Request) -> Option<(u32, u32)> {
        let len = self.len();
        let horizon = request.earliest.saturating_add(HORIZON_MINUTES);
        let last = request
            .latest
            .unwrap_or(u32::MAX)
            .min(horizon)
            .min(len.saturating_sub(1));
        let limit = if request.priority == Priority::Critical {
            self.max_concurrent.saturating_add(CRITICAL_BEYOND_LIMIT)
        } else {
            self.max_concurrent
        };
        let disrupts = |minute: usize| self.minutes[minute].in_use && !self.covered[minute];
        let shared_full = |minute: usize| self.lanes[minute] >= limit || self.exclusive[minute];
        let not_alone = |minute: usize| self.lanes[minute] > 0 || self.exclusive[minute];
        let first = request.earliest.min(len);
        let mut cost = Tally::at(first);
        let mut shared = Tally::at(first);
        let mut alone = Tally::at(first);
        let mut best: Option<(u32, u32)> = None;
        for start in request.earliest..=last {
            if start >= len || !self.may_start(request, start) {
                continue;
            }
            let span = self.span(request, start);
            cost.slide(span.start, span.end, disrupts);
            shared.slide(span.start, span.exclusive, shared_full);
            alone.slide(span.exclusive, span.end, not_alone);
            if shared.count > 0 || alone.count > 0 {
                continue;
            }
            if best.is_none_or(|(_, least)| cost.count < least) {
                best = Some((start, cost.count));
                if cost.count == 0 {
                    break;
                }
            }
        }
        let may_wait = request.latest.is_none_or(|latest| latest >= len);
        if may_wait && best.is_none_or(|(_, least)| least > 0) {
            best = Some((len, 0));
        }
        best
    }

    /// Places `request` at its best start and returns it (the run's
    /// length: after the run). If no start fits before its deadline, it
    /// starts at its earliest when the machine is awake and the power gate
    /// open then (the scheduler deals with it as under `immediate`,
    /// preempting if need be); otherwise (suspended, or on a low battery,
    /// until the deadline) it is late whatever the start, and the least
    /// disruptive start after the deadline is taken, within the run.
    pub fn place(&mut self, request: &Request) -> u32 {
        let last = self.len().saturating_sub(1);
        let late = Request {
            latest: Some(last),
            ..*request
        };
        let start = match self.best(request) {
            Some((start, _)) => start,
            None if request.earliest <= last && self.may_start(request, request.earliest) => {
                request.earliest
            }
            None => self
                .best(&late)
                .map_or(request.earliest.min(last), |(start, _)| start),
        };
        self.reserve(request, start);
        start
    }

    /// Marks `request` as running from `start` in the plan.
    pub fn reserve(&mut self, request: &Request, start: u32) {
        if start >= self.len() || self.minutes[start as usize].suspended {
            return;
        }
        let span = self.span(request, start);
        for minute in span.start..span.end {
            let minute = minute as usize;
            self.lanes[minute] = self.lanes[minute].saturating_add(1);
            self.exclusive[minute] |= minute >= span.exclusive as usize;
            self.covered[minute] |= self.minutes[minute].in_use;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Minutes from a picture: `#` in use, `.` idle, `z` suspended, `b`
    /// idle on a low battery.
    fn minutes(picture: &str) -> Vec<Minute> {
        picture
            .chars()
            .map(|c| Minute {
                in_use: c == '#',
                suspended: c == 'z',
                power: if c == 'b' {
                    PowerSource::Battery {
                        level_permille: 300,
                    }
                } else {
                    PowerSource::Ac
                },
            })
            .collect()
    }

    fn request(length: u32, earliest: u32, latest: Option<u32>) -> Request {
        Request {
            priority: Priority::Important,
            kind: UpdateKind::Application,
            length,
            staging: None,
            earliest,
            latest,
        }
    }

    #[test]
    fn test_best_start_idle_gap_chosen() {
        let oracle = Oracle::new(minutes("####....####"), 1, PowerPolicy::default());
        assert_eq!(oracle.best(&request(4, 0, None)), Some((4, 0)));
        // Three minutes fit the gap anywhere from 4 to 5: the earliest.
        assert_eq!(oracle.best(&request(3, 0, None)), Some((4, 0)));
    }

    #[test]
    fn test_best_start_deadline_forces_least_disruption() {
        let oracle = Oracle::new(minutes("###.#....."), 1, PowerPolicy::default());
        // By minute 2 at the latest: starting at 1 or 2 covers two in-use
        // minutes; the earlier wins.
        assert_eq!(oracle.best(&request(3, 0, Some(2))), Some((1, 2)));
        assert_eq!(oracle.best(&request(3, 0, Some(3))), Some((3, 1)));
    }

    #[test]
    fn test_best_start_after_the_run_when_every_start_disrupts() {
        let oracle = Oracle::new(minutes("##....##"), 1, PowerPolicy::default());
        assert_eq!(oracle.best(&request(4, 0, None)), Some((2, 0)));
        // Five minutes disrupt wherever they start: left for after the run.
        assert_eq!(oracle.best(&request(5, 0, None)), Some((8, 0)));
        assert_eq!(oracle.best(&request(5, 0, Some(20))), Some((8, 0)));
        // A deadline inside the run keeps it inside: least disruption.
        assert_eq!(oracle.best(&request(5, 0, Some(7))), Some((1, 1)));
        let mut placed = oracle.clone();
        assert_eq!(placed.place(&request(5, 0, None)), 8);
        assert_eq!(placed.lanes, oracle.lanes);
    }

    #[test]
    fn test_place_concurrency_limit_and_shared_disruption() {
        let mut oracle = Oracle::new(minutes("#####....."), 1, PowerPolicy::default());
        assert_eq!(oracle.place(&request(3, 0, Some(9))), 5);
        // One lane: the second cannot share minutes 5-7.
        assert_eq!(oracle.best(&request(2, 0, Some(9))), Some((8, 0)));
        // A Critical update may run one beyond the limit.
        let critical = Request {
            priority: Priority::Critical,
            ..request(2, 5, Some(5))
        };
        assert_eq!(oracle.best(&critical), Some((5, 0)));
        let mut two = Oracle::new(minutes("####......"), 2, PowerPolicy::default());
        assert_eq!(two.place(&request(3, 0, Some(1))), 0);
        // A second update covering the same in-use minutes adds nothing.
        assert_eq!(two.best(&request(3, 0, Some(1))), Some((0, 0)));
    }

    #[test]
    fn test_place_exclusive_phase_runs_alone() {
        let mut oracle = Oracle::new(minutes(".........."), 2, PowerPolicy::default());
        let staged = Request {
            staging: Some(2),
            ..request(4, 0, None)
        };
        // Runs 0-3, exclusive 2-3.
        assert_eq!(oracle.place(&staged), 0);
        // Another may share minutes 0-1 only if it ends by 2: length 2 fits.
        assert_eq!(oracle.best(&request(2, 0, None)), Some((0, 0)));
        // Length 3 cannot start at 0 or 1, nor during 2-3.
        assert_eq!(oracle.best(&request(3, 0, None)), Some((4, 0)));
    }

    #[test]
    fn test_suspended_minutes_freeze_and_battery_gate() {
        let mut oracle = Oracle::new(minutes("#zz...#"), 1, PowerPolicy::default());
        // A start at 0 runs minutes 0, then 3 and 4 after the suspension:
        // one in-use minute; a start at 3 covers none.
        assert_eq!(oracle.best(&request(2, 0, Some(0))), Some((0, 1)));
        assert_eq!(oracle.best(&request(2, 0, None)), Some((3, 0)));
        assert_eq!(oracle.best(&request(2, 1, Some(2))), None);
        // Suspended until its deadline: late anyway, at the best start
        // after it.
        assert_eq!(oracle.place(&request(2, 1, Some(2))), 3);
        let battery = Oracle::new(minutes("bb..."), 1, PowerPolicy::default());
        assert_eq!(battery.best(&request(2, 0, None)), Some((2, 0)));
        let critical = Request {
            priority: Priority::Critical,
            ..request(2, 0, Some(0))
        };
        assert_eq!(battery.best(&critical), Some((0, 0)));
    }
}
