//! The stored record: one update in its slot, packed into 36 bytes (state
//! and attempts, kind and priority, marks), its key in the ready queue, and
//! the whole seconds since boot the scheduler keeps times in.

use super::types::UpdateState;
use crate::time::Instant;
use crate::update::{
    Priority, UpdateFlags, UpdateId, UpdateKind, UpdateName, UpdateRecord, NAME_CAPACITY,
};

/// Marks kept per update beside its state.
pub(super) mod marks {
    /// A person approved it.
    pub const APPROVED: u8 = 1 << 0;
    /// A WillStart notice went out.
    pub const ANNOUNCED: u8 = 1 << 1;
    /// Its deadline came while it was queued: queued as forced.
    pub const FORCED: u8 = 1 << 2;
    /// Its deadline is settled: a miss was counted, or its first attempt
    /// started in time (so a retry, or a restart after a preemption,
    /// after the deadline is no miss).
    pub const MISSED: u8 = 1 << 3;
    /// Its UpdateAvailable event went out (when it became available, not
    /// when it was submitted).
    pub const AVAILABLE: u8 = 1 << 4;
}

/// One update in its slot: 36 bytes.
#[derive(Clone, Copy, Debug)]
pub(super) struct Stored {
    /// Seconds since boot at which it becomes available (rounded up).
    pub(super) available_s: u32,
    /// Seconds since boot at which a Waiting, Deferred or RetryWait update
    /// is looked at again; while Running, when it is expected to end (its
    /// start plus its estimate).
    pub(super) wake_s: u32,
    name: [u8; NAME_CAPACITY],
    pub(super) version: [u16; 3],
    pub(super) estimated_s: u16,
    /// Kind in the high nibble, priority in the low.
    kind_priority: u8,
    flags: u8,
    /// State in the high nibble, attempts made in the low. Private: only
    /// [`Stored::move_to`] changes the state.
    state_attempts: u8,
    pub(super) marks: u8,
}

impl Stored {
    pub(super) const EMPTY: Stored = Stored {
        available_s: 0,
        wake_s: 0,
        name: [0; NAME_CAPACITY],
        version: [0; 3],
        estimated_s: 0,
        kind_priority: 0,
        flags: 0,
        state_attempts: 0,
        marks: 0,
    };

    /// The record of a newly submitted update: Waiting, no attempt made.
    pub(super) fn submitted(record: &UpdateRecord) -> Stored {
        let mut name = [0u8; NAME_CAPACITY];
        let bytes = record.name.as_bytes();
        name[..bytes.len()].copy_from_slice(bytes);
        let available_s = seconds_up(record.available_at);
        Stored {
            available_s,
            wake_s: available_s,
            name,
            version: [
                record.version.major,
                record.version.minor,
                record.version.patch,
            ],
            estimated_s: record.estimated_duration.as_secs().min(u64::from(u16::MAX)) as u16,
            kind_priority: ((record.kind as u8) << 4) | record.priority as u8,
            flags: record.flags.bits(),
            state_attempts: UpdateState::Waiting.code() << 4,
            marks: 0,
        }
    }

    /// Moves the record to the state `to` and returns the state it left,
    /// or refuses, changing nothing, a move [`transition_allowed`] does
    /// not allow. The only code that changes a record's state; the
    /// scheduler's `transition` calls it and keeps the counts. A final
    /// state is not written: the record's slot is freed.
    pub(super) fn move_to(&mut self, to: UpdateState) -> Result<UpdateState, RefusedTransition> {
        let from = self.state();
        if !transition_allowed(from, to) {
            return Err(RefusedTransition { from, to });
        }
        if !to.is_final() {
            self.state_attempts = (to.code() << 4) | self.attempts();
        }
        Ok(from)
    }

    #[inline]
    pub(super) fn priority(&self) -> Priority {
        Priority::ALL[usize::from(self.kind_priority & 0x0f).min(4)]
    }

    #[inline]
    pub(super) fn kind(&self) -> UpdateKind {
        UpdateKind::ALL[usize::from(self.kind_priority >> 4).min(4)]
    }

    #[inline]
    pub(super) fn flags(&self) -> UpdateFlags {
        UpdateFlags::from_bits_truncate(self.flags)
    }

    #[inline]
    pub(super) fn state(&self) -> UpdateState {
        UpdateState::from_code(self.state_attempts >> 4)
    }

    #[inline]
    pub(super) fn attempts(&self) -> u8 {
        self.state_attempts & 0x0f
    }

    #[inline]
    pub(super) fn set_attempts(&mut self, attempts: u8) {
        self.state_attempts = (self.state_attempts & 0xf0) | attempts.min(15);
    }

    #[inline]
    pub(super) fn has(&self, mark: u8) -> bool {
        self.marks & mark != 0
    }

    /// Whether it ends with a disruptive phase: a reboot, or a firmware
    /// flash.
    #[inline]
    pub(super) fn has_disruptive_phase(&self) -> bool {
        self.kind() == UpdateKind::Firmware || self.flags().contains(UpdateFlags::NEEDS_REBOOT)
    }

    /// Whether it is marked to run alone from start to end.
    #[inline]
    pub(super) fn exclusive(&self) -> bool {
        self.flags().contains(UpdateFlags::EXCLUSIVE)
    }

    pub(super) fn name(&self) -> UpdateName {
        let length = self
            .name
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(NAME_CAPACITY);
        let mut name = UpdateName::new();
        // The bytes came from a `str` cut at a character boundary.
        if let Ok(text) = core::str::from_utf8(&self.name[..length]) {
            let _ = name.push_str(text);
        }
        name
    }
}

/// A transition [`transition_allowed`] refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct RefusedTransition {
    pub(super) from: UpdateState,
    pub(super) to: UpdateState,
}

/// Whether the state machine lets an update go from `from` to `to`.
///
/// Before it runs, an update waits for its availability (Waiting), a
/// person (AwaitingApproval, Deferred) or a dependency (Blocked), in any
/// order the commands and timers make, until it is queued (Ready); a
/// Ready update can still be deferred. It runs only from the queue, and
/// a running update ends, is retried (RetryWait, then the queue again)
/// or is preempted (back to the queue). One not running can be cancelled
/// or rejected; one that has not run fails when a dependency fails. A
/// final state is never left.
pub(super) const fn transition_allowed(from: UpdateState, to: UpdateState) -> bool {
    use UpdateState::{
        AwaitingApproval, Blocked, Cancelled, Completed, Deferred, Failed, Ready, Rejected,
        RetryWait, Running, Waiting,
    };
    matches!(
        (from, to),
        (
            Waiting | Deferred,
            Waiting | AwaitingApproval | Deferred | Blocked | Ready
        ) | (AwaitingApproval, Deferred | Blocked | Ready)
            | (Blocked, Deferred | Blocked | Ready)
            | (Ready, Deferred | Running)
            | (Running, Ready | RetryWait | Completed | Failed)
            | (RetryWait, Deferred | Ready)
            | (
                Waiting | AwaitingApproval | Deferred | Blocked | Ready | RetryWait,
                Cancelled | Rejected
            )
            | (Waiting | AwaitingApproval | Deferred | Blocked, Failed)
    )
}

#[inline]
pub(super) fn seconds_up(instant: Instant) -> u32 {
    let secs = instant.as_millis().div_ceil(1_000);
    u32::try_from(secs).unwrap_or(u32::MAX)
}

#[inline]
pub(super) fn seconds_down(instant: Instant) -> u32 {
    u32::try_from(instant.as_millis() / 1_000).unwrap_or(u32::MAX)
}

#[inline]
pub(super) fn instant_of(secs: u32) -> Instant {
    Instant::from_secs(u64::from(secs))
}

/// A finished update, remembered for a while.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Finished {
    pub(super) id: UpdateId,
    pub(super) state: UpdateState,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_transition_table_allows_only_the_state_machines_moves() {
        use UpdateState::{
            AwaitingApproval, Blocked, Cancelled, Completed, Deferred, Failed, Ready, Rejected,
            RetryWait, Running, Waiting,
        };
        let allowed = [
            (Waiting, Waiting),
            (Waiting, AwaitingApproval),
            (Waiting, Deferred),
            (Waiting, Blocked),
            (Waiting, Ready),
            (Waiting, Failed),
            (Waiting, Cancelled),
            (Waiting, Rejected),
            (AwaitingApproval, Deferred),
            (AwaitingApproval, Blocked),
            (AwaitingApproval, Ready),
            (AwaitingApproval, Failed),
            (AwaitingApproval, Cancelled),
            (AwaitingApproval, Rejected),
            (Deferred, Waiting),
            (Deferred, AwaitingApproval),
            (Deferred, Deferred),
            (Deferred, Blocked),
            (Deferred, Ready),
            (Deferred, Failed),
            (Deferred, Cancelled),
            (Deferred, Rejected),
            (Blocked, Deferred),
            (Blocked, Blocked),
            (Blocked, Ready),
            (Blocked, Failed),
            (Blocked, Cancelled),
            (Blocked, Rejected),
            (Ready, Deferred),
            (Ready, Running),
            (Ready, Cancelled),
            (Ready, Rejected),
            (Running, Ready),
            (Running, RetryWait),
            (Running, Completed),
            (Running, Failed),
            (RetryWait, Deferred),
            (RetryWait, Ready),
            (RetryWait, Cancelled),
            (RetryWait, Rejected),
        ];
        for from in UpdateState::ALL {
            for to in UpdateState::ALL {
                assert_eq!(
                    transition_allowed(from, to),
                    allowed.contains(&(from, to)),
                    "{from} -> {to}"
                );
            }
        }
        // No way out of a final state.
        for from in UpdateState::ALL
            .into_iter()
            .filter(|state| state.is_final())
        {
            assert!(UpdateState::ALL
                .into_iter()
                .all(|to| !transition_allowed(from, to)));
        }
    }

    #[test]
    fn test_record_move_refused_changes_nothing() {
        let mut stored = Stored::EMPTY;
        stored.set_attempts(2);
        assert_eq!(stored.state(), UpdateState::Waiting);
        // Not yet available: it cannot run, nor be retried.
        for to in [
            UpdateState::Running,
            UpdateState::RetryWait,
            UpdateState::Completed,
        ] {
            assert_eq!(
                stored.move_to(to),
                Err(RefusedTransition {
                    from: UpdateState::Waiting,
                    to
                })
            );
            assert_eq!(stored.state(), UpdateState::Waiting);
            assert_eq!(stored.attempts(), 2);
        }
    }

    #[test]
    fn test_record_move_keeps_attempts_and_does_not_store_a_final_state() {
        let mut stored = Stored::EMPTY;
        stored.set_attempts(3);
        assert_eq!(stored.move_to(UpdateState::Ready), Ok(UpdateState::Waiting));
        assert_eq!(stored.move_to(UpdateState::Running), Ok(UpdateState::Ready));
        assert_eq!(
            (stored.state(), stored.attempts()),
            (UpdateState::Running, 3)
        );
        assert_eq!(
            stored.move_to(UpdateState::Completed),
            Ok(UpdateState::Running)
        );
        assert_eq!(stored.state(), UpdateState::Running);
    }
}
