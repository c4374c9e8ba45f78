//! The stored record: one update in its slot, packed into 36 bytes (state
//! and attempts, kind and priority, marks), its key in the ready queue, and
//! the whole seconds since boot the scheduler keeps times in.

use super::types::UpdateState;
use crate::time::Instant;
use crate::update::{Priority, UpdateFlags, UpdateId, UpdateKind, UpdateName, NAME_CAPACITY};

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
    pub(super) name: [u8; NAME_CAPACITY],
    pub(super) version: [u16; 3],
    pub(super) estimated_s: u16,
    /// Kind in the high nibble, priority in the low.
    pub(super) kind_priority: u8,
    pub(super) flags: u8,
    /// State in the high nibble, attempts made in the low.
    pub(super) state_attempts: u8,
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

/// Rank within the ready queue: Critical first, then forced updates, then
/// the other priorities in order.
#[inline]
pub(super) fn rank(priority: Priority, forced: bool) -> u64 {
    match (priority, forced) {
        (Priority::Critical, _) => 0,
        (_, true) => 1,
        (priority, false) => 1 + priority.index() as u64,
    }
}

/// Sequence numbers use 29 bits of the packed key.
pub(super) const SEQUENCE_LIMIT: u32 = 1 << 29;

/// Rank (3 bits), deadline seconds (32 bits), sequence (29 bits): the
/// numeric order of the packed value is the queue order.
#[inline]
pub(super) fn pack_key(rank: u64, deadline_s: u32, sequence: u32) -> u64 {
    (rank << 61) | (u64::from(deadline_s) << 29) | u64::from(sequence & (SEQUENCE_LIMIT - 1))
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
