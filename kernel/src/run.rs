//! The kernel's main loop: the worker, the demo's own approvals and the
//! console, in one loop that halts between timer ticks. Updates arrive
//! before it starts, in the signed manifests of the boot ramdisk (see
//! [`crate::manifest`]).
//!
//! There is one CPU and no task switching: the loop takes turns. Each
//! timer tick it steps the worker; in between it reads the
//! console; when nothing is left to do it halts until the next interrupt,
//! and the cycles spent halted are the idle account behind the measured
//! CPU busy share.
//!
//! A demo run ends after its simulated days with a `SUMMARY` line and
//! exits with success exactly when the counts add up and no Critical or
//! Security deadline was missed. A console run ends at `shutdown`.

use core::sync::atomic::{AtomicBool, Ordering};

use boot_config::{BootConfig, Mode};
use heapless::Deque;
use spin::Mutex;
use update_sched::config::Config;
use update_sched::event::{Event, TimedEvent};
use update_sched::scheduler::{CommandError, UpdateState};
use update_sched::update::UpdateRecord;
use update_sched::workload::WorkloadKind;
use update_sched::{Duration, Instant, Priority, UpdateId, UpdateKind};

use crate::console::{self, Action, Console, Prompt};
use crate::executor::{Executor, FailureInjection};
use crate::metrics::{self, Sampler};
use crate::out::{Out, Serial};
use crate::update::{ApiError, Authority, Holder};
use crate::worker::{print_line, Worker};
use crate::{arch, audit, clock, manifest, qemu, serial_println, update};

/// How long the demo's operator takes to approve an update that asks for
/// approval, in simulated time.
pub const APPROVAL_DELAY: Duration = Duration::from_hours(2);

/// Updates queued by the `load` scenario to measure the scheduler's cost
/// with a full queue.
pub const LOAD_UPDATES: u32 = 1_000;

/// The first id the `load` scenario uses, clear of the manifests' ids.
const LOAD_FIRST_ID: u32 = 100_000;

/// Approval requests waiting for the demo's operator: (update, asked at).
static APPROVALS: Mutex<Deque<(UpdateId, Instant), 64>> = Mutex::new(Deque::new());

/// Whether the demo's operator has been away once already: the first
/// Security update that asks for approval is left unanswered, so the demo
/// shows it installed at its deadline, approved by the deadline.
static AWAY_ONCE: AtomicBool = AtomicBool::new(false);

/// The demo operator's authority to approve, taken when the demo starts.
///
/// Lock order (kernel/README.md, "Locks"): the outermost lock, held
/// while the operator approves through the API.
static OPERATOR: Mutex<Option<Authority>> = Mutex::new(None);

/// The demo's operator, subscribed to the update events: notes every
/// approval request to grant it after [`APPROVAL_DELAY`].
fn operator(event: &TimedEvent) {
    if let Event::RequiresApproval { id } = event.event {
        if is_load(id) {
            return;
        }
        if APPROVALS.lock().push_back((id, event.at)).is_err() {
            serial_println!("demo: too many approvals pending; {id} waits for the console");
        }
    }
}

/// Grants the approvals whose delay has passed; writes a line for each to
/// `out`.
fn grant_approvals(now: Instant, out: Out<'_>) {
    loop {
        let due = {
            let mut pending = APPROVALS.lock();
            match pending.front() {
                Some(&(id, asked)) if now >= asked.saturating_add(APPROVAL_DELAY) => {
                    pending.pop_front();
                    Some(id)
                }
                _ => None,
            }
        };
        let Some(id) = due else {
            return;
        };
        let security =
            update::info(id).is_ok_and(|info| info.record.priority == Priority::Security);
        if security && !AWAY_ONCE.swap(true, Ordering::Relaxed) {
            print_line(
                out,
                clock::wall(),
                update::offset(),
                format_args!("demo: operator is away; {id} waits for its deadline"),
            );
            continue;
        }
        let approved = match OPERATOR.lock().as_ref() {
            Some(authority) => update::approve(id, authority),
            None => Err(ApiError::Revoked(Holder::DemoOperator)),
        };
        let (wall, offset) = (clock::wall(), update::offset());
        match approved {
            Ok(()) => print_line(
                out,
                wall,
                offset,
                format_args!("demo: operator approves {id}"),
            ),
            // Cancelled, rejected or approved at the console meanwhile.
            Err(error) => print_line(
                out,
                wall,
                offset,
                format_args!("demo: operator cannot approve {id}: {error}"),
            ),
        }
    }
}

/// Fills the queue for the `load` scenario: [`LOAD_UPDATES`] low-priority
/// updates, submitted and approved a batch per tick (so their events fit
/// the scheduler's event queue), which then wait for idle maintenance
/// windows like any other.
#[derive(Debug)]
struct Load {
    submitted: u32,
    done: bool,
    authority: Option<Authority>,
}

/// Load updates submitted per tick: each makes three events (available,
/// approval asked, approved), and the scheduler queues 64.
const LOAD_BATCH: u32 = 20;

impl Load {
    fn new(active: bool) -> Load {
        let authority = if active {
            update::authority(Holder::LoadScenario)
                .inspect_err(|error| serial_println!("load: {error}"))
                .ok()
        } else {
            None
        };
        Load {
            submitted: 0,
            done: authority.is_none(),
            authority,
        }
    }

    fn poll(&mut self) {
        let Some(authority) = self.authority.as_ref().filter(|_| !self.done) else {
            return;
        };
        for _ in 0..LOAD_BATCH {
            if self.submitted == LOAD_UPDATES {
                self.done = true;
                serial_println!("load: {LOAD_UPDATES} low-priority updates queued");
                return;
            }
            let id = UpdateId(LOAD_FIRST_ID + self.submitted);
            let record = UpdateRecord::new(
                id,
                "load",
                UpdateKind::Application,
                Priority::Low,
                Duration::from_minutes(15),
                clock::now(),
            );
            let queued = update::submit(&record, authority).and_then(|()| {
                match update::approve(id, authority) {
                    // Approval not needed under this profile.
                    Err(ApiError::Command(CommandError::AlreadyApproved)) => Ok(()),
                    other => other,
                }
            });
            if let Err(error) = queued {
                serial_println!("load: stopped after {} updates: {error}", self.submitted);
                self.done = true;
                return;
            }
            self.submitted += 1;
        }
    }
}

/// Whether `id` belongs to the `load` scenario (which approves its own).
fn is_load(id: UpdateId) -> bool {
    id.0 >= LOAD_FIRST_ID
}

/// The counts the demo ends with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Summary {
    /// Updates accepted.
    pub submitted: u32,
    /// Installed.
    pub completed: u32,
    /// Failed for good.
    pub failed: u32,
    /// Cancelled or rejected.
    pub cancelled: u32,
    /// Still in a live state.
    pub pending: u32,
    /// Deadline misses of every priority.
    pub deadline_misses: u32,
    /// Critical and Security deadline misses.
    pub urgent_misses: u32,
    /// Deadlines that passed while the update still awaited approval and
    /// the policy escalated it (not in `deadline_misses`).
    pub missed_awaiting_approval: u32,
    /// The scheduler path's share of all cycles, ppm.
    pub sched_share_ppm: u64,
}

impl Summary {
    fn take(worker: &Worker) -> Option<Summary> {
        let status = update::status().ok()?;
        Some(Summary {
            submitted: status.submitted,
            completed: status.count(UpdateState::Completed),
            failed: status.count(UpdateState::Failed),
            cancelled: status.count(UpdateState::Cancelled) + status.count(UpdateState::Rejected),
            pending: status.live(),
            deadline_misses: status.total_deadline_misses(),
            urgent_misses: status.deadline_misses[Priority::Critical.index()]
                + status.deadline_misses[Priority::Security.index()],
            missed_awaiting_approval: status.missed_awaiting_approval.iter().sum(),
            sched_share_ppm: worker.cost().share_ppm(),
        })
    }

    /// Every update submitted is in exactly one of the counts.
    pub fn adds_up(&self) -> bool {
        self.submitted == self.completed + self.failed + self.cancelled + self.pending
    }

    /// The counts add up and no Critical or Security deadline was missed.
    pub fn holds(&self) -> bool {
        self.adds_up() && self.urgent_misses == 0
    }
}

/// Prints the summary and ends the run. A demo succeeds exactly when the
/// summary holds; a `shutdown` typed at the console always succeeds.
fn finish(worker: &Worker, strict: bool) -> ! {
    let Some(summary) = Summary::take(worker) else {
        serial_println!("SUMMARY unavailable: the update service is not running");
        qemu::exit(qemu::ExitCode::Failure)
    };
    let cost = worker.cost();
    serial_println!(
        "scheduler cost: {} ppm of all cycles over {} steps (observe {}, poll {}, next_timer {}, events {} cycles); worst step {} cycles",
        summary.sched_share_ppm,
        cost.steps,
        cost.observe,
        cost.poll,
        cost.wake,
        cost.events,
        cost.worst_step
    );
    serial_println!(
        "SUMMARY submitted={} completed={} failed={} cancelled={} pending={} deadline_misses={} missed_awaiting_approval={} sched_share_ppm={}",
        summary.submitted,
        summary.completed,
        summary.failed,
        summary.cancelled,
        summary.pending,
        summary.deadline_misses,
        summary.missed_awaiting_approval,
        summary.sched_share_ppm
    );
    if summary.holds() || !strict {
        qemu::exit(qemu::ExitCode::Success)
    }
    serial_println!(
        "SUMMARY does not hold: {} critical or security deadlines missed, counts {}",
        summary.urgent_misses,
        if summary.adds_up() {
            "add up"
        } else {
            "do not add up"
        }
    );
    qemu::exit(qemu::ExitCode::Failure)
}

/// Runs the update service as `boot` says, forever or until the demo
/// ends.
pub fn run(boot: &BootConfig, ramdisk: Option<&'static [u8]>) -> ! {
    // `config::load` validated the configuration already; should that
    // ever fail here, the profile's preset is the safe fallback.
    let config = boot.validate().unwrap_or_else(|error| {
        serial_println!("config: {error}; using the {} preset", boot.profile);
        Config::preset(boot.profile)
    });
    if let Err(error) = clock::set_speed(boot.speed) {
        serial_println!(
            "config: speed {} refused ({error:?}); keeping 1x",
            boot.speed
        );
    }
    let offset = config.windows.offset();
    if let Err(error) = update::start(config, Some(boot.profile), boot.seed) {
        serial_println!("update service did not start: {error}");
        qemu::exit(qemu::ExitCode::Failure)
    }
    let workload: WorkloadKind = boot.workload.parse().unwrap_or(WorkloadKind::Office);
    let failures = FailureInjection {
        per_mille: boot.failures.as_array(),
    };
    let start = clock::wall();
    let mut worker = Worker::new(
        Executor::new(failures, boot.seed),
        Sampler::new(workload, boot.seed, start, offset),
    );
    let demo = boot.mode == Mode::Demo;
    let days = u32::from(boot.days);
    // The audit log and the inventory follow the scheduler's events from
    // before the first update arrives.
    for subscriber in [audit::on_event as update::Subscriber, manifest::on_event] {
        if let Err(error) = update::subscribe(subscriber) {
            serial_println!("update service: {error}");
        }
    }
    manifest::deliver_ramdisk(ramdisk, &mut Serial);
    serial_println!(
        "upkeep: {} mode, profile {}, {} workload (sessions, I/O and user load are simulated), speed {}x, {} updates from signed manifests",
        boot.mode.name(),
        boot.profile,
        workload,
        clock::speed(),
        manifest::counts().updates_accepted
    );
    if demo {
        match update::authority(Holder::DemoOperator) {
            Ok(authority) => *OPERATOR.lock() = Some(authority),
            Err(error) => serial_println!("demo: operator: {error}"),
        }
        if update::subscribe(operator).is_err() {
            serial_println!("demo: no subscriber slot for the operator; approve at the console");
        }
        serial_println!(
            "demo: living through {days} simulated days; the operator approves requests after {APPROVAL_DELAY}"
        );
    }
    let mut load = Load::new(boot.scenario.as_str() == "load");
    let end = Instant::ZERO.saturating_add(Duration::from_days(u64::from(days)));
    // In the demo the prompt shows only once someone types: the event
    // lines run on without a bare prompt after each.
    let mut console = Console::new(if demo {
        Prompt::WhileTyping
    } else {
        Prompt::Always
    });
    console.show_prompt();
    let mut last_tick = arch::ticks();
    // Each turn of the loop happens at one instant, the one its tick
    // began at: the clock is held from the worker's step until the next
    // tick. Every API call made between two steps (the load scenario's,
    // the operator's, the console's) lands at the instant the worker last
    // acted at, so the worker's next step acts on it first and the events
    // it makes come out in time order after everything before it. Read
    // after the step instead, a call could land a tick later than the
    // moments the worker had still to act at, and its event come out
    // ahead of theirs.
    clock::hold();
    console::print_above(|out| worker.step(out));
    loop {
        let tick = arch::ticks();
        if tick != last_tick {
            last_tick = tick;
            clock::release();
            clock::hold();
            let now = clock::now();
            console::print_above(|out| worker.step(out));
            // After the step, whose lines are stamped up to `now`: the
            // calls below happen at `now` too, and the worker acts on them
            // at that same time in its next step.
            load.poll();
            if demo {
                console::print_above(|out| grant_approvals(now, out));
            }
            if demo && now >= end {
                console::leave_prompt();
                worker.print_status(&mut Serial, clock::wall(), update::offset());
                finish(&worker, true);
            }
        }
        if console.poll(&mut worker) == Action::Shutdown {
            worker.print_status(&mut Serial, clock::wall(), update::offset());
            finish(&worker, false);
        }
        let halted = arch::cycles();
        arch::wait_for_interrupt();
        metrics::record_idle(arch::cycles().wrapping_sub(halted));
    }
}

#[cfg(test)]
mod tests {
    use update_sched::civil::UtcOffset;
    use update_sched::config::{Config, Profile};
    use update_sched::update::UpdateRecord;
    use update_sched::workload::WorkloadKind;
    use update_sched::{Duration, Instant, Priority, UpdateId, UpdateKind};

    use super::Summary;
    use crate::executor::{Executor, FailureInjection};
    use crate::metrics::Sampler;
    use crate::worker::Worker;
    use crate::{clock, host, update};

    fn summary(
        submitted: u32,
        completed: u32,
        failed: u32,
        cancelled: u32,
        pending: u32,
    ) -> Summary {
        Summary {
            submitted,
            completed,
            failed,
            cancelled,
            pending,
            deadline_misses: 0,
            urgent_misses: 0,
            missed_awaiting_approval: 0,
            sched_share_ppm: 0,
        }
    }

    #[test]
    fn test_summary_holds_when_every_update_is_counted_once_and_no_urgent_deadline_missed() {
        assert!(summary(10, 5, 1, 2, 2).holds());
        assert!(summary(0, 0, 0, 0, 0).holds());
        // One unaccounted for, or counted twice.
        assert!(!summary(10, 5, 1, 2, 1).adds_up());
        assert!(!summary(10, 5, 1, 2, 3).adds_up());
        assert!(!summary(10, 5, 1, 2, 1).holds());
        // A missed Low deadline is allowed; a missed urgent one is not.
        let low_missed = Summary {
            deadline_misses: 3,
            ..summary(4, 4, 0, 0, 0)
        };
        assert!(low_missed.holds());
        let urgent_missed = Summary {
            deadline_misses: 1,
            urgent_misses: 1,
            ..summary(4, 4, 0, 0, 0)
        };
        assert!(urgent_missed.adds_up());
        assert!(!urgent_missed.holds());
    }

    #[test]
    fn test_summary_counts_cancelled_and_rejected_together() {
        let _statics = host::statics();
        clock::release();
        update::start(Config::preset(Profile::Basic), Some(Profile::Basic), 1).expect("valid");
        for id in 1..=3 {
            let record = UpdateRecord::new(
                UpdateId(id),
                "zlib",
                UpdateKind::Application,
                Priority::Low,
                Duration::from_minutes(5),
                Instant::ZERO,
            );
            update::submit_trusted(&record).expect("queued");
        }
        update::cancel(UpdateId(1)).expect("cancelled");
        update::reject(UpdateId(2)).expect("rejected");
        let worker = Worker::new(
            Executor::new(FailureInjection::NONE, 1),
            Sampler::new(WorkloadKind::Office, 1, clock::wall(), UtcOffset::UTC),
        );
        let summary = Summary::take(&worker).expect("running");
        assert_eq!(
            (
                summary.submitted,
                summary.completed,
                summary.failed,
                summary.cancelled,
                summary.pending
            ),
            (3, 0, 0, 2, 1)
        );
        assert!(summary.holds());
    }
}
