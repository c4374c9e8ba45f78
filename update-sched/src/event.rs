//! Notifications: what happened to which update, queued for the platform
//! to drain. No callback ever runs inside the library.

use core::fmt;

use heapless::Deque;

use crate::time::Instant;
use crate::update::{Priority, UpdateId};

/// Something the platform may want to tell a person or a subsystem.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// An update became available: at its submission, or later, at the
    /// first poll at or after its `available_at`.
    UpdateAvailable {
        /// The update.
        id: UpdateId,
    },
    /// The update waits for someone to approve it.
    RequiresApproval {
        /// The update.
        id: UpdateId,
    },
    /// The update was approved.
    Approved {
        /// The update.
        id: UpdateId,
    },
    /// The update was rejected and will not run.
    Rejected {
        /// The update.
        id: UpdateId,
    },
    /// The update is expected to start at `at` (sent once, the configured
    /// lead time ahead).
    WillStart {
        /// The update.
        id: UpdateId,
        /// Expected start.
        at: Instant,
    },
    /// The update was handed to the platform to install.
    Started {
        /// The update.
        id: UpdateId,
        /// 1 for the first attempt.
        attempt: u8,
        /// Forced: its latest start came (its deadline, or earlier to leave
        /// room for updates due after it), whatever the windows said.
        forced: bool,
    },
    /// The update installed.
    Completed {
        /// The update.
        id: UpdateId,
    },
    /// An attempt failed.
    Failed {
        /// The update.
        id: UpdateId,
        /// The attempt that failed, from 1.
        attempt: u8,
        /// What the platform said went wrong.
        reason: &'static str,
        /// No retry is left: the update has failed for good.
        permanent: bool,
    },
    /// A failed update will be tried again at `at`.
    RetryScheduled {
        /// The update.
        id: UpdateId,
        /// The attempt that will run, from 2.
        attempt: u8,
        /// When.
        at: Instant,
    },
    /// The platform aborted the running update; it is queued again and
    /// will start over with the same attempt number.
    Preempted {
        /// The update.
        id: UpdateId,
        /// The Critical update it made way for, if the scheduler asked
        /// for the preemption.
        by: Option<UpdateId>,
    },
    /// A staged update entered its exclusive phase (reboot, firmware
    /// flash): nothing starts beside it until it ends.
    ExclusivePhase {
        /// The update.
        id: UpdateId,
    },
    /// The update was put off until `until`.
    Deferred {
        /// The update.
        id: UpdateId,
        /// Not before then.
        until: Instant,
    },
    /// The update was cancelled.
    Cancelled {
        /// The update.
        id: UpdateId,
    },
    /// The update can never run because an update it depends on failed,
    /// was rejected or was cancelled; it is counted as failed.
    DependencyFailed {
        /// The update.
        id: UpdateId,
        /// The dependency that will never complete.
        dependency: UpdateId,
    },
    /// The update's deadline passed before it started.
    DeadlineMissed {
        /// The update.
        id: UpdateId,
        /// Its priority.
        priority: Priority,
    },
    /// The update was still awaiting approval at its deadline, and the
    /// policy ([`crate::policy::UnapprovedAtDeadline::Install`]) approved
    /// it: it installs now. An audit log records it as approved by the
    /// deadline.
    ApprovedByDeadline {
        /// The update.
        id: UpdateId,
        /// Its priority.
        priority: Priority,
    },
    /// The update's deadline passed while it still awaited approval, and
    /// the policy ([`crate::policy::UnapprovedAtDeadline::Escalate`])
    /// keeps it waiting for a person: a miss of its own kind, to be
    /// announced loudly.
    MissedAwaitingApproval {
        /// The update.
        id: UpdateId,
        /// Its priority.
        priority: Priority,
    },
    /// Updates below Security are paused until `until`.
    Paused {
        /// When the pause ends.
        until: Instant,
    },
    /// The pause ended: at its date, or by a person.
    Resumed,
    /// A maintenance window opened.
    MaintenanceStart,
    /// A maintenance window closed.
    MaintenanceEnd,
}

impl Event {
    /// The update the event is about, if any.
    pub fn update(&self) -> Option<UpdateId> {
        match *self {
            Event::UpdateAvailable { id }
            | Event::RequiresApproval { id }
            | Event::Approved { id }
            | Event::Rejected { id }
            | Event::WillStart { id, .. }
            | Event::Started { id, .. }
            | Event::Completed { id }
            | Event::Failed { id, .. }
            | Event::RetryScheduled { id, .. }
            | Event::Preempted { id, .. }
            | Event::ExclusivePhase { id }
            | Event::Deferred { id, .. }
            | Event::Cancelled { id }
            | Event::DependencyFailed { id, .. }
            | Event::DeadlineMissed { id, .. }
            | Event::ApprovedByDeadline { id, .. }
            | Event::MissedAwaitingApproval { id, .. } => Some(id),
            Event::MaintenanceStart
            | Event::MaintenanceEnd
            | Event::Paused { .. }
            | Event::Resumed => None,
        }
    }

    /// A short upper-case tag for logs: `START`, `DONE`, `FAIL`, ...
    pub fn tag(&self) -> &'static str {
        match self {
            Event::UpdateAvailable { .. } => "AVAILABLE",
            Event::RequiresApproval { .. } => "APPROVAL?",
            Event::Approved { .. } => "APPROVED",
            Event::Rejected { .. } => "REJECTED",
            Event::WillStart { .. } => "SOON",
            Event::Started { .. } => "START",
            Event::Completed { .. } => "DONE",
            Event::Failed { .. } => "FAIL",
            Event::RetryScheduled { .. } => "RETRY",
            Event::Preempted { .. } => "PREEMPT",
            Event::ExclusivePhase { .. } => "ALONE",
            Event::Deferred { .. } => "DEFER",
            Event::Cancelled { .. } => "CANCEL",
            Event::DependencyFailed { .. } => "DEPFAIL",
            Event::DeadlineMissed { .. } => "LATE",
            Event::ApprovedByDeadline { .. } => "DEADLINE-APPROVED",
            Event::MissedAwaitingApproval { .. } => "UNAPPROVED-LATE",
            Event::Paused { .. } => "PAUSE",
            Event::Resumed => "RESUME",
            Event::MaintenanceStart => "WINDOW",
            Event::MaintenanceEnd => "WINDOW",
        }
    }
}

/// `TAG #id detail`, e.g. `FAIL #7 attempt 2: checksum mismatch, will retry`.
impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())?;
        if let Some(id) = self.update() {
            write!(f, " {id}")?;
        }
        match *self {
            Event::WillStart { at, .. } => write!(f, " expected at {at}"),
            Event::Started {
                attempt, forced, ..
            } => {
                write!(f, " attempt {attempt}")?;
                if forced {
                    f.write_str(" (latest start reached)")?;
                }
                Ok(())
            }
            Event::Failed {
                attempt,
                reason,
                permanent,
                ..
            } => write!(
                f,
                " attempt {attempt}: {reason}{}",
                if permanent { ", giving up" } else { "" }
            ),
            Event::RetryScheduled { attempt, at, .. } => write!(f, " attempt {attempt} at {at}"),
            Event::Preempted { by: Some(by), .. } => write!(f, " aborted for critical update {by}"),
            Event::Preempted { by: None, .. } => f.write_str(" aborted"),
            Event::ExclusivePhase { .. } => f.write_str(" reboots or flashes, alone"),
            Event::Deferred { until, .. } => write!(f, " until {until}"),
            Event::DependencyFailed { dependency, .. } => {
                write!(f, " needs {dependency}, which will never complete")
            }
            Event::DeadlineMissed { priority, .. } => write!(f, " {priority} deadline passed"),
            Event::ApprovedByDeadline { priority, .. } => {
                write!(
                    f,
                    " {priority} deadline reached unapproved: approved by deadline, installing"
                )
            }
            Event::MissedAwaitingApproval { priority, .. } => write!(
                f,
                " {priority} deadline passed STILL AWAITING APPROVAL: approve or reject it"
            ),
            Event::Paused { until } => write!(f, " updates below security paused until {until}"),
            Event::Resumed => f.write_str(" updates resumed"),
            Event::MaintenanceStart => f.write_str(" maintenance window opened"),
            Event::MaintenanceEnd => f.write_str(" maintenance window closed"),
            _ => Ok(()),
        }
    }
}

/// An [`Event`] and when it happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimedEvent {
    /// Monotonic time of the event.
    pub at: Instant,
    /// What happened.
    pub event: Event,
}

/// A bounded first-in first-out queue of events.
///
/// When the platform does not drain it in time, new events are dropped
/// and counted in [`EventQueue::overflowed`]: never silently lost.
#[derive(Debug)]
pub struct EventQueue<const E: usize> {
    events: Deque<TimedEvent, E>,
    overflowed: u32,
}

impl<const E: usize> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const E: usize> EventQueue<E> {
    /// An empty queue.
    #[inline]
    pub const fn new() -> Self {
        EventQueue {
            events: Deque::new(),
            overflowed: 0,
        }
    }

    /// Appends an event, or counts it as dropped when the queue is full.
    pub fn push(&mut self, at: Instant, event: Event) {
        if self.events.push_back(TimedEvent { at, event }).is_err() {
            self.overflowed = self.overflowed.saturating_add(1);
        }
    }

    /// The oldest event, removed.
    pub fn pop(&mut self) -> Option<TimedEvent> {
        self.events.pop_front()
    }

    /// Events waiting to be drained.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether no event waits.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// How many events were dropped because the queue was full.
    pub fn overflowed(&self) -> u32 {
        self.overflowed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_full_queue_counts_dropped_events() {
        let mut queue: EventQueue<2> = EventQueue::new();
        for n in 0..5 {
            queue.push(
                Instant::from_secs(n),
                Event::Completed {
                    id: UpdateId(n as u32),
                },
            );
        }
        assert_eq!(queue.len(), 2);
        assert_eq!(queue.overflowed(), 3);
        assert_eq!(
            queue.pop().map(|e| e.event),
            Some(Event::Completed { id: UpdateId(0) })
        );
        queue.push(Instant::from_secs(9), Event::MaintenanceStart);
        assert_eq!(queue.len(), 2);
        assert_eq!(queue.overflowed(), 3);
    }

    #[test]
    fn test_event_display_names_update_and_detail() {
        let failed = Event::Failed {
            id: UpdateId(7),
            attempt: 3,
            reason: "checksum mismatch",
            permanent: true,
        };
        assert_eq!(
            failed.to_string(),
            "FAIL #7 attempt 3: checksum mismatch, giving up"
        );
        assert_eq!(
            Event::Started {
                id: UpdateId(2),
                attempt: 1,
                forced: true
            }
            .to_string(),
            "START #2 attempt 1 (latest start reached)"
        );
        assert_eq!(
            Event::Preempted {
                id: UpdateId(4),
                by: Some(UpdateId(9))
            }
            .to_string(),
            "PREEMPT #4 aborted for critical update #9"
        );
        assert_eq!(
            Event::ExclusivePhase { id: UpdateId(5) }.to_string(),
            "ALONE #5 reboots or flashes, alone"
        );
        assert_eq!(Event::MaintenanceEnd.update(), None);
        assert_eq!(
            Event::MissedAwaitingApproval {
                id: UpdateId(3),
                priority: Priority::Important
            }
            .to_string(),
            "UNAPPROVED-LATE #3 important deadline passed STILL AWAITING APPROVAL: approve or reject it"
        );
    }
}
