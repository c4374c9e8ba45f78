//! The worker: drives the update scheduler from the kernel's main loop.
//!
//! On every timer tick the main loop calls [`Worker::step`], which
//!
//! 1. samples the metrics once for every wall-clock minute that passed and
//!    feeds each sample to the scheduler's usage pattern,
//! 2. moves the executor's jobs on and reports finished ones,
//! 3. runs one round of the platform protocol
//!    ([`update_sched::protocol::drive`], over the executor): held updates
//!    ask for their reboot or flash, the scheduler is polled, a preemption
//!    it asks for is carried out, and what it starts is started,
//! 4. drains the scheduler's events to the console and the subscribers,
//! 5. prints a status line every wall-clock hour.
//!
//! The scheduler lock is held only for steps 1-4; lines are written and
//! subscribers called after it is released: what goes wrong under the
//! lock (a refused install, an outcome the scheduler refused) is kept as
//! a note and written with the step's other lines. The worker writes
//! to the sink its caller hands to [`Worker::step`]; it never prints on
//! its own. The cycles spent inside the
//! scheduler's own calls are its cost ([`Cost`]), reported as a share of
//! all cycles (`sched_share_ppm`).

use core::cell::RefCell;
use core::fmt::{self, Write as _};

use heapless::{String, Vec};
use update_sched::civil::{UtcOffset, WallTime};
use update_sched::event::{Event, TimedEvent};
use update_sched::protocol::{self, Platform};
use update_sched::scheduler::{CommandError, Rounded, Start};
use update_sched::update::UpdateName;
use update_sched::{Instant, UpdateId};

use crate::arch;
use crate::clock::{self, wall_at};
use crate::executor::{Executor, InstallGate, Progress, Refusal, StartError, Step, MAX_JOBS};
use crate::manifest::{self, InstallNotice};
use crate::metrics::{Sample, Sampler};
use crate::out::{self, Out};
use crate::update::{self, Subject};

/// At most this many minutes are sampled in one step (a week): after a
/// long pause or a large speed change the pattern gets the most recent
/// week, not an unbounded loop.
const MAX_MINUTES_PER_STEP: u64 = 7 * 24 * 60;

/// The events one step can drain: the scheduler's whole event queue
/// (more stay queued in the scheduler for the next step).
const EVENTS_PER_STEP: usize = 64;

/// Lines of executor progress one step can report.
const PROGRESS_PER_STEP: usize = 4 * crate::executor::MAX_JOBS;

/// The most moments inside one tick the worker acts at separately.
const MAX_MOMENTS_PER_STEP: usize = 32;

/// Cycle accounting for the scheduler path: the calls into the scheduler
/// and nothing else (not the synthetic workload, not the executor, not
/// printing).
#[derive(Clone, Copy, Debug, Default)]
pub struct Cost {
    /// Cycle counter when the worker started.
    pub started: u64,
    /// Cycles in `observe`: feeding samples to the usage pattern.
    pub observe: u64,
    /// Cycles in the platform protocol's rounds (polls, exclusive phases,
    /// preemption) and in `report_outcome`.
    pub poll: u64,
    /// Cycles in `next_timer`.
    pub wake: u64,
    /// Cycles draining events.
    pub events: u64,
    /// The most cycles one step spent in the scheduler.
    pub worst_step: u64,
    /// Steps taken.
    pub steps: u64,
}

impl Cost {
    /// Cycles spent in the scheduler path in all.
    pub fn scheduler(&self) -> u64 {
        self.observe + self.poll + self.wake + self.events
    }

    /// The scheduler path's share of all cycles since the worker started,
    /// in parts per million.
    pub fn share_ppm(&self) -> u64 {
        let total = arch::cycles().wrapping_sub(self.started);
        if total == 0 {
            return 0;
        }
        (u128::from(self.scheduler()) * 1_000_000 / u128::from(total)) as u64
    }
}

/// Measures the cycles `f` takes, adding them to `account`.
fn timed<R>(account: &mut u64, f: impl FnOnce() -> R) -> R {
    let begin = arch::cycles();
    let result = f();
    *account = account.wrapping_add(arch::cycles().wrapping_sub(begin));
    result
}

/// Lines about what went wrong inside a step that one step can keep.
const NOTES_PER_STEP: usize = 16;

/// Something that went wrong while the scheduler's lock was held, kept to
/// be written after it is released.
#[derive(Debug)]
enum Note {
    /// The update channel refused an install.
    Install(InstallNotice),
    /// The scheduler refused the outcome the executor reported.
    OutcomeRefused(UpdateId, CommandError),
    /// The scheduler refused the exclusive phase of a held update: with
    /// `NoExclusivePhase` it goes ahead with its last step, with any other
    /// error (not running) it stays held.
    NoExclusivePhase(UpdateId, CommandError),
    /// The scheduler refused the preemption of a running update.
    PreemptionRefused(UpdateId, CommandError),
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::Install(notice) => notice.fmt(f),
            Note::OutcomeRefused(id, error) => {
                write!(f, "worker: outcome of {id} refused: {error}")
            }
            Note::NoExclusivePhase(id, error @ CommandError::NoExclusivePhase) => {
                write!(f, "worker: last step of {id}: {error}; going ahead")
            }
            Note::NoExclusivePhase(id, error) => {
                write!(f, "worker: last step of {id} refused: {error}; held")
            }
            Note::PreemptionRefused(id, error) => {
                write!(f, "worker: preemption of {id} refused: {error}")
            }
        }
    }
}

/// The notes of one step, in the order they were made. Full only if more
/// went wrong than one step can list: the line is lost, never what the
/// note reports (the refusal is counted and audited as it happens).
#[derive(Debug, Default)]
struct Notes(RefCell<Vec<Note, NOTES_PER_STEP>>);

impl Notes {
    fn push(&self, note: Note) {
        let _ = self.0.borrow_mut().push(note);
    }
}

/// The executor's install gate, wired to the update channel: the channel
/// checks, counts and audits; the line it reports a refusal with is kept
/// as a note.
struct ChannelGate<'a>(&'a Notes);

impl InstallGate for ChannelGate<'_> {
    fn may_install(&mut self, id: UpdateId) -> Result<(), Refusal> {
        manifest::check_before_install(id).map_err(|refusal| {
            self.0
                .push(Note::Install(manifest::install_refused(id, refusal)));
            Refusal {
                reason: refusal.reason(),
                for_good: refusal.for_good(),
            }
        })
    }

    fn installed(&mut self, id: UpdateId) {
        manifest::install_written(id);
    }
}

/// The executor as the platform protocol sees it at one moment
/// ([`protocol::drive`]).
struct Installer<'a> {
    executor: &'a mut Executor,
    now: Instant,
    /// Held jobs that began their reboot or flash, for the step lines.
    entered: Vec<(UpdateId, Step), MAX_JOBS>,
    /// Where refusals go, to be printed once the scheduler lock is free.
    notes: &'a Notes,
    /// Cycles spent in the executor, not in the scheduler.
    cycles: u64,
}

impl Platform for Installer<'_> {
    fn start(&mut self, start: &Start) -> Result<(), &'static str> {
        let (executor, now) = (&mut *self.executor, self.now);
        timed(&mut self.cycles, || executor.start(start, now)).map_err(StartError::reason)
    }

    fn abort(&mut self, id: UpdateId) -> bool {
        let executor = &mut *self.executor;
        timed(&mut self.cycles, || executor.abort(id))
    }

    fn held(&self) -> impl Iterator<Item = UpdateId> + '_ {
        self.executor.held()
    }

    fn enter_exclusive_phase(&mut self, id: UpdateId) {
        let (executor, now) = (&mut *self.executor, self.now);
        if let Some(step) = timed(&mut self.cycles, || executor.enter_final_step(id, now)) {
            // One held job per running update, so there is room.
            let _ = self.entered.push((id, step));
        }
    }

    /// The executor only runs what the scheduler started, so a refusal
    /// would be a bug worth seeing rather than hiding: it becomes a note.
    fn refused(&mut self, refusal: protocol::Refusal) {
        self.notes.push(match refusal {
            protocol::Refusal::ExclusivePhase(id, error) => Note::NoExclusivePhase(id, error),
            protocol::Refusal::Preempted(id, error) => Note::PreemptionRefused(id, error),
            protocol::Refusal::Outcome(id, error) => Note::OutcomeRefused(id, error),
        });
    }
}

/// The worker's state between steps.
#[derive(Debug)]
pub struct Worker {
    executor: Executor,
    sampler: Sampler,
    sample: Sample,
    last_now: Instant,
    wake: Option<Instant>,
    events_left: bool,
    last_minute: u64,
    last_hour: u64,
    cost: Cost,
}

impl Worker {
    /// A worker whose executor and sampler are given, starting now.
    pub fn new(executor: Executor, sampler: Sampler) -> Worker {
        let reading = clock::read();
        let wall = reading.wall.as_unix_secs();
        Worker {
            executor,
            sampler,
            sample: Sample::default(),
            last_now: reading.now,
            wake: None,
            events_left: false,
            last_minute: (wall / 60).saturating_sub(1),
            last_hour: wall / 3600,
            cost: Cost {
                started: arch::cycles(),
                ..Cost::default()
            },
        }
    }

    /// The latest metrics sample.
    pub fn sample(&self) -> Sample {
        self.sample
    }

    /// The sampler (for the console's `metrics`).
    pub fn sampler(&self) -> &Sampler {
        &self.sampler
    }

    /// The executor (for the console's `show`).
    pub fn executor(&self) -> &Executor {
        &self.executor
    }

    /// The scheduler path's cost so far.
    pub fn cost(&self) -> Cost {
        self.cost
    }

    /// One round of work; see the module documentation.
    ///
    /// A tick can cover minutes of simulated time. So that nothing happens
    /// late by up to a tick, the step walks through the moments inside
    /// the tick at which something falls due (the scheduler's
    /// `next_timer`, the executor's next step change) and acts at each of
    /// them, at that moment's time, before acting at `now`.
    ///
    /// Its lines (executor steps, the scheduler's events, the hourly
    /// status, notes) go to `out`, after the scheduler's lock is released.
    pub fn step(&mut self, out: Out<'_>) {
        let clock::Reading { now, wall } = clock::read();
        let hour = wall.as_unix_secs() / 3600;
        // The hour's status line comes after this step's events, which
        // happened before `now`: lines come out in time order.
        let status_due = hour != self.last_hour;
        self.last_hour = hour;
        // Nothing to do unless a minute passed (a new sample, which may
        // open a gate), someone called the API, the scheduler or the
        // executor has something due, or events are still queued. At real
        // time that is one step in thousands of ticks.
        let asked = update::take_poll_request();
        let due = self.wake.is_some_and(|wake| wake <= now)
            || self
                .executor
                .next_change()
                .is_some_and(|change| change <= now);
        if wall.as_unix_secs() / 60 <= self.last_minute
            && asked.is_none()
            && !due
            && !self.events_left
        {
            if status_due {
                self.print_status(out, wall, update::offset());
            }
            return;
        }

        let mut events: Vec<(TimedEvent, Option<Subject>), EVENTS_PER_STEP> = Vec::new();
        let mut progress: Vec<(Instant, Progress, Option<UpdateName>), PROGRESS_PER_STEP> =
            Vec::new();
        let notes = Notes::default();
        self.sampler.measure();
        let before = self.cost.scheduler();
        let offset = update::with_service(|service| {
            let scheduler = &mut service.scheduler;
            let mut at = self.last_now.min(now);
            let mut wake = self.wake;
            // Calls made between ticks (a submission, an approval) are
            // acted on at their own time (the latest of them), not at the
            // end of this tick: at high speed a tick is minutes long, more
            // than a Critical update's grace.
            if let Some(asked) = asked.filter(|&asked| asked >= at && asked < now) {
                at = asked;
                let at_wall = wall_at(at, now, wall);
                self.act(scheduler, at, at_wall, &mut progress, &notes);
                wake = timed(&mut self.cost.wake, || scheduler.next_timer(at, at_wall));
            }
            for moment in 0..MAX_MOMENTS_PER_STEP {
                let due = [wake, self.executor.next_change()]
                    .into_iter()
                    .flatten()
                    .filter(|&moment| moment > at && moment < now)
                    .min();
                // More moments than one step handles: catch up at `now`.
                at = match due {
                    Some(due) if moment + 1 < MAX_MOMENTS_PER_STEP => due,
                    _ => now,
                };
                let at_wall = wall_at(at, now, wall);
                self.act(scheduler, at, at_wall, &mut progress, &notes);
                // The timers alone: a new minute's sample makes the worker
                // poll anyway, which is all `next_wake`'s once-a-minute
                // gate re-check asks for.
                wake = timed(&mut self.cost.wake, || scheduler.next_timer(at, at_wall));
                if at == now {
                    break;
                }
            }
            self.wake = wake;
            self.last_now = now;

            while !events.is_full() {
                let Some(event) = timed(&mut self.cost.events, || scheduler.pop_event()) else {
                    break;
                };
                let subject = event
                    .event
                    .update()
                    .and_then(|id| update::subject(scheduler, id));
                let _ = events.push((event, subject));
            }
            self.events_left = events.is_full();
            // In a time zone, the offset in force at this step's instant.
            scheduler.config().windows.offset_at(wall)
        });
        let spent = self.cost.scheduler().wrapping_sub(before);
        self.cost.worst_step = self.cost.worst_step.max(spent);
        self.cost.steps += 1;

        let Ok(offset) = offset else {
            return;
        };
        // The lock is released: write what the step saw, notes first (they
        // were made while acting, before the events were drained).
        for note in notes.0.borrow().iter() {
            out::line(out, format_args!("{note}"));
        }
        // Both lists are in time order each; write them merged, so the
        // lines' stamps never go backwards.
        let mut steps = progress
            .iter()
            .filter(|(_, change, _)| matches!(change, Progress::Step { .. }))
            .peekable();
        let mut scheduled = events.iter().peekable();
        loop {
            let step_first = match (steps.peek(), scheduled.peek()) {
                (Some((step_at, _, _)), Some((event, _))) => *step_at <= event.at,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            if step_first {
                if let Some((at, Progress::Step { id, step }, name)) = steps.next() {
                    print_line(
                        out,
                        wall_at(*at, now, wall),
                        offset,
                        format_args!("STEP {id} {}: {step}", display_name(name)),
                    );
                }
            } else if let Some((event, subject)) = scheduled.next() {
                print_event(out, now, wall, offset, event, subject.as_ref());
            }
        }
        if status_due {
            self.print_status(out, wall, offset);
        }
        for (event, _) in &events {
            update::publish(event);
        }
    }

    /// Samples up to `wall`, moves the executor on to `now` and polls.
    fn act(
        &mut self,
        scheduler: &mut update::KernelScheduler,
        now: Instant,
        wall: WallTime,
        progress: &mut Vec<(Instant, Progress, Option<UpdateName>), PROGRESS_PER_STEP>,
        notes: &Notes,
    ) {
        let minute = wall.as_unix_secs() / 60;
        let first = (self.last_minute + 1).max(minute.saturating_sub(MAX_MINUTES_PER_STEP - 1));
        for sampled in first..=minute {
            let at = WallTime::from_unix_secs(sampled * 60);
            self.sample = self.sampler.sample(at);
            let metrics = self.sample.metrics;
            timed(&mut self.cost.observe, || scheduler.observe(at, &metrics));
        }
        self.last_minute = self.last_minute.max(minute);

        let poll_cycles = &mut self.cost.poll;
        self.executor
            .advance(now, &mut ChannelGate(notes), |change| {
                let id = match change {
                    Progress::Step { id, .. } | Progress::Finished { id, .. } => id,
                };
                let name = update::subject(scheduler, id).map(|subject| subject.name);
                if let Progress::Finished {
                    outcome, for_good, ..
                } = change
                {
                    // The executor only runs what the scheduler started, so the
                    // report cannot be refused; a refusal would be a bug worth
                    // seeing rather than hiding.
                    let reported = timed(poll_cycles, || match outcome {
                        Err(reason) if for_good => {
                            scheduler.report_permanent_failure(id, reason, now)
                        }
                        _ => scheduler.report_outcome(id, outcome, now),
                    });
                    if let Err(error) = reported {
                        notes.push(Note::OutcomeRefused(id, error));
                    }
                }
                // Full only if more steps changed than one step can list: the
                // line is lost, never the outcome (reported above).
                let _ = progress.push((now, change, name));
            });

        // One round of the platform protocol: held updates ask for their
        // reboot or flash, the scheduler is polled, a preemption it asks
        // for is carried out, and what it starts goes to the executor.
        let metrics = self.sample.metrics;
        let mut installer = Installer {
            executor: &mut self.executor,
            now,
            entered: Vec::new(),
            notes,
            cycles: 0,
        };
        let begin = arch::cycles();
        protocol::drive(scheduler, now, wall, &metrics, &mut installer);
        let spent = arch::cycles().wrapping_sub(begin);
        // The executor's own cycles are not the scheduler's cost.
        self.cost.poll = self
            .cost
            .poll
            .wrapping_add(spent.wrapping_sub(installer.cycles));
        for (id, step) in installer.entered {
            let name = update::subject(scheduler, id).map(|subject| subject.name);
            let _ = progress.push((now, Progress::Step { id, step }, name));
        }
    }

    /// Writes the one-line status to `out`: counts, then the latest
    /// metrics.
    pub fn print_status(&self, out: Out<'_>, wall: WallTime, offset: UtcOffset) {
        let Ok(status) = update::status() else {
            return;
        };
        let m = self.sample.metrics;
        print_line(
            out,
            wall,
            offset,
            format_args!(
                "STATUS {status} | cpu {}‰ mem {}‰ sessions {} disk {} KiB/s net {} KiB/s",
                m.cpu_permille, m.memory_permille, m.sessions, m.disk_kib_s, m.network_kib_s
            ),
        );
    }
}

fn display_name(name: &Option<UpdateName>) -> &str {
    name.as_deref().unwrap_or("?")
}

/// Writes `[<local time>] <line>` to `out`.
pub fn print_line(out: Out<'_>, wall: WallTime, offset: UtcOffset, line: fmt::Arguments<'_>) {
    out::line(out, format_args!("[{}] {}", wall.to_local(offset), line));
}

fn print_event(
    out: Out<'_>,
    now: Instant,
    wall: WallTime,
    offset: UtcOffset,
    timed: &TimedEvent,
    subject: Option<&Subject>,
) {
    let at_wall = wall_at(timed.at, now, wall);
    let mut line: String<160> = String::new();
    // A line longer than the buffer is cut short, never dropped.
    let _ = format_event(
        &mut line,
        timed.at,
        now,
        wall,
        offset,
        &timed.event,
        subject,
    );
    print_line(out, at_wall, offset, format_args!("{line}"));
}

/// The event as the library words it (`TAG #id detail`), with the update's
/// name after its id, and with wall-clock times where the library gives
/// monotonic ones.
fn format_event(
    out: &mut impl fmt::Write,
    at: Instant,
    now: Instant,
    wall: WallTime,
    offset: UtcOffset,
    event: &Event,
    subject: Option<&Subject>,
) -> fmt::Result {
    let local = |at: Instant| wall_at(at, now, wall).to_local(offset);
    let mut head: String<24> = String::new();
    write!(head, "{}", event.tag())?;
    if let Some(id) = event.update() {
        write!(head, " {id}")?;
    }
    out.write_str(&head)?;
    if let Some(subject) = subject {
        write!(
            out,
            " {} ({} {})",
            subject.name, subject.priority, subject.kind
        )?;
    }
    match *event {
        Event::Started {
            attempt, forced, ..
        } => {
            write!(out, " attempt {attempt}")?;
            if forced {
                out.write_str(", latest start reached")?;
            }
            if let (1, Some(subject)) = (attempt, subject) {
                let queued = at.saturating_duration_since(subject.available_at);
                let tick_ms = millis_per_tick().max(1);
                let ticks = queued.as_millis().div_ceil(tick_ms);
                let unit = if ticks == 1 { "tick" } else { "ticks" };
                write!(out, ", queued {} ({ticks} {unit})", Rounded(queued))?;
            }
            Ok(())
        }
        Event::RetryScheduled { attempt, at, .. } => {
            write!(out, " attempt {attempt} at {}", local(at))
        }
        Event::WillStart { at, .. } => write!(out, " expected at {}", local(at)),
        Event::Deferred { until, .. } => write!(out, " until {}", local(until)),
        Event::Paused { until } => {
            write!(out, " updates below security paused until {}", local(until))
        }
        _ => {
            let mut text: String<160> = String::new();
            // Cut short rather than lost if it ever outgrew the buffer.
            let _ = write!(text, "{event}");
            out.write_str(text.get(head.len()..).unwrap_or(""))
        }
    }
}

/// Simulated milliseconds per timer tick at the current speed.
fn millis_per_tick() -> u64 {
    u64::from(clock::speed()) * 1000 / u64::from(arch::TIMER_HZ)
}

#[cfg(test)]
mod tests {
    use std::string::String;

    use update_sched::civil::{Date, UtcOffset, WallTime};
    use update_sched::config::{Config, Profile};
    use update_sched::event::{Event, TimedEvent};
    use update_sched::update::UpdateRecord;
    use update_sched::workload::WorkloadKind;
    use update_sched::{Duration, Instant, Priority, UpdateId, UpdateKind};

    use super::Worker;
    use crate::executor::{Executor, FailureInjection};
    use crate::metrics::Sampler;
    use crate::update::{self, Subject};
    use crate::{clock, host};

    /// Saturday 2026-11-28 02:00 UTC, the README's example.
    fn saturday_two() -> WallTime {
        let days = Date::new(2026, 11, 28).expect("a date").days_since_epoch();
        WallTime::from_unix_secs(u64::try_from(days).expect("after 1970") * 86_400 + 7_200)
    }

    fn record(id: u32, name: &str) -> UpdateRecord {
        UpdateRecord::new(
            UpdateId(id),
            name,
            UpdateKind::Security,
            Priority::Security,
            Duration::from_minutes(20),
            Instant::from_millis(1_000),
        )
    }

    fn subject(id: u32, name: &str) -> Subject {
        Subject::of(&record(id, name))
    }

    /// The event line as `format_event` words it, at `now` = `wall`.
    fn line(now: Instant, event: Event, at: Instant, subject: Option<&Subject>) -> String {
        let mut out = String::new();
        super::format_event(
            &mut out,
            at,
            now,
            saturday_two(),
            UtcOffset::UTC,
            &event,
            subject,
        )
        .expect("a String takes any line");
        out
    }

    /// Runs `f` at clock speed `speed`, then puts the speed back.
    fn at_speed<R>(speed: u32, f: impl FnOnce() -> R) -> R {
        let before = clock::speed();
        clock::set_speed(speed).expect("a valid speed");
        let result = f();
        clock::set_speed(before).expect("the speed it had");
        result
    }

    #[test]
    fn test_start_line_says_how_long_it_queued_in_ticks() {
        let _statics = host::statics();
        let openssl = subject(1, "openssl");
        // Available at 1 s, started 16 hours later, at 15,000x: 150 s a tick.
        let at = Instant::from_millis(1_000 + 16 * 3_600_000);
        let started = Event::Started {
            id: UpdateId(1),
            attempt: 1,
            forced: false,
        };
        assert_eq!(
            at_speed(15_000, || line(at, started, at, Some(&openssl))),
            "START #1 openssl (security security) attempt 1, queued 16h (384 ticks)"
        );
    }

    #[test]
    fn test_start_line_at_once_and_within_one_tick() {
        let _statics = host::statics();
        let openssl = subject(1, "openssl");
        let started = Event::Started {
            id: UpdateId(1),
            attempt: 1,
            forced: false,
        };
        let available = Instant::from_millis(1_000);
        assert_eq!(
            at_speed(1, || line(available, started, available, Some(&openssl))),
            "START #1 openssl (security security) attempt 1, queued <1m (0 ticks)"
        );
        let soon = Instant::from_millis(1_001);
        assert_eq!(
            at_speed(1, || line(soon, started, soon, Some(&openssl))),
            "START #1 openssl (security security) attempt 1, queued <1m (1 tick)"
        );
    }

    #[test]
    fn test_forced_retry_start_names_no_queueing() {
        let openssl = subject(1, "openssl");
        let started = Event::Started {
            id: UpdateId(1),
            attempt: 2,
            forced: true,
        };
        let at = Instant::from_millis(50_000);
        assert_eq!(
            line(at, started, at, Some(&openssl)),
            "START #1 openssl (security security) attempt 2, latest start reached"
        );
    }

    #[test]
    fn test_event_of_an_update_no_longer_known_has_no_name() {
        let started = Event::Started {
            id: UpdateId(9),
            attempt: 1,
            forced: false,
        };
        assert_eq!(
            line(Instant::ZERO, started, Instant::ZERO, None),
            "START #9 attempt 1"
        );
    }

    #[test]
    fn test_times_in_events_are_wall_clock_times() {
        let now = Instant::from_millis(60_000);
        let curl = subject(3, "curl");
        let in_ten_minutes = now.saturating_add(Duration::from_minutes(10));
        let retry = Event::RetryScheduled {
            id: UpdateId(3),
            attempt: 2,
            at: in_ten_minutes,
        };
        assert_eq!(
            line(now, retry, now, Some(&curl)),
            "RETRY #3 curl (security security) attempt 2 at Sat 2026-11-28 02:10 +00:00"
        );
        let soon = Event::WillStart {
            id: UpdateId(3),
            at: in_ten_minutes,
        };
        assert_eq!(
            line(now, soon, now, None),
            "SOON #3 expected at Sat 2026-11-28 02:10 +00:00"
        );
        let deferred = Event::Deferred {
            id: UpdateId(3),
            until: now.saturating_add(Duration::from_minutes(22 * 60)),
        };
        assert_eq!(
            line(now, deferred, now, None),
            "DEFER #3 until Sun 2026-11-29 00:00 +00:00"
        );
    }

    #[test]
    fn test_times_in_events_follow_the_calendar_offset() {
        let now = Instant::ZERO;
        let mut out = String::new();
        let offset = UtcOffset::from_minutes(-5 * 60).expect("an offset");
        let deferred = Event::Deferred {
            id: UpdateId(4),
            until: Instant::ZERO,
        };
        super::format_event(&mut out, now, now, saturday_two(), offset, &deferred, None)
            .expect("fits");
        assert_eq!(out, "DEFER #4 until Fri 2026-11-27 21:00 -05:00");
    }

    #[test]
    fn test_other_events_keep_the_library_wording_after_the_name() {
        let now = Instant::ZERO;
        let vlc = subject(7, "vlc");
        let failed = Event::Failed {
            id: UpdateId(7),
            attempt: 3,
            reason: "checksum mismatch",
            permanent: true,
        };
        assert_eq!(
            line(now, failed, now, Some(&vlc)),
            "FAIL #7 vlc (security security) attempt 3: checksum mismatch, giving up"
        );
        let preempted = Event::Preempted {
            id: UpdateId(7),
            by: Some(UpdateId(12)),
        };
        assert_eq!(
            line(now, preempted, now, Some(&vlc)),
            "PREEMPT #7 vlc (security security) aborted for critical update #12"
        );
        let depfail = Event::DependencyFailed {
            id: UpdateId(7),
            dependency: UpdateId(6),
        };
        assert_eq!(
            line(now, depfail, now, None),
            "DEPFAIL #7 needs #6, which will never complete"
        );
        assert_eq!(
            line(now, Event::Completed { id: UpdateId(7) }, now, Some(&vlc)),
            "DONE #7 vlc (security security)"
        );
        assert_eq!(
            line(now, Event::MaintenanceStart, now, None),
            "WINDOW maintenance window opened"
        );
        assert_eq!(
            line(now, Event::MaintenanceEnd, now, None),
            "WINDOW maintenance window closed"
        );
    }

    #[test]
    fn test_print_event_stamps_the_line_with_the_events_own_time() {
        let _statics = host::statics();
        let now = Instant::from_millis(7_200_000);
        let event = TimedEvent {
            // Half an hour before now.
            at: Instant::from_millis(5_400_000),
            event: Event::Approved { id: UpdateId(5) },
        };
        let sudo = subject(5, "sudo");
        let mut out = String::new();
        super::print_event(
            &mut out,
            now,
            saturday_two(),
            UtcOffset::UTC,
            &event,
            Some(&sudo),
        );
        assert_eq!(
            out,
            "[Sat 2026-11-28 01:30 +00:00] APPROVED #5 sudo (security security)\n"
        );
    }

    #[test]
    fn test_status_line_has_counts_then_metrics() {
        let _statics = host::statics();
        update::start(Config::preset(Profile::Basic), None, 1).expect("starts");
        let mut worker = Worker::new(
            Executor::new(FailureInjection::NONE, 1),
            Sampler::new(WorkloadKind::Office, 1, saturday_two(), UtcOffset::UTC),
        );
        let metrics = &mut worker.sample.metrics;
        metrics.cpu_permille = 412;
        metrics.memory_permille = 87;
        metrics.sessions = 3;
        metrics.disk_kib_s = 1_024;
        metrics.network_kib_s = 56;
        let offset = UtcOffset::from_minutes(60).expect("an offset");
        let mut out = String::new();
        worker.print_status(&mut out, saturday_two(), offset);
        assert_eq!(
            out,
            "[Sat 2026-11-28 03:00 +01:00] STATUS submitted=0 deadline_misses=0 | cpu 412‰ mem 87‰ sessions 3 disk 1024 KiB/s net 56 KiB/s\n"
        );
    }

    #[test]
    fn test_display_name_of_an_unknown_update_is_a_question_mark() {
        assert_eq!(super::display_name(&None), "?");
        assert_eq!(
            super::display_name(&Some("zlib".try_into().expect("fits"))),
            "zlib"
        );
    }

    #[test]
    fn test_cost_adds_up_the_scheduler_path() {
        let cost = super::Cost {
            observe: 1,
            poll: 20,
            wake: 300,
            events: 4_000,
            worst_step: 99_999,
            ..super::Cost::default()
        };
        assert_eq!(cost.scheduler(), 4_321);
    }
}
