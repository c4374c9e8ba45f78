//! The audit log: a bounded ring of every decision about an update.
//!
//! Manifests accepted and rejected, updates accepted into the queue or
//! rejected before it, approvals (with who approved), starts, completions
//! and failures, each with the wall-clock time. The ring keeps the newest
//! [`CAPACITY`] records; when it is full the oldest is dropped and the
//! drop is counted, so a reader always knows whether the log is complete.
//! `audit` on the console prints it.
//!
//! The scheduler's own events reach the log through [`on_event`], a
//! subscriber of the kernel API; the manifest channel and the API's
//! capability checks call [`record`] directly.

use core::fmt::{self, Write};

use heapless::{Deque, String};
use spin::Mutex;
use update_sched::civil::WallTime;
use update_sched::event::{Event, TimedEvent};
use update_sched::UpdateId;

use crate::clock;

/// Records kept.
pub const CAPACITY: usize = 256;

/// Longest detail kept per record, bytes; longer ones are cut short.
pub const DETAIL_LEN: usize = 96;

/// What a record is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum What {
    /// A signed manifest passed every check.
    ManifestAccepted,
    /// A manifest was refused as a whole.
    ManifestRejected,
    /// An update from an accepted manifest was queued.
    Accepted,
    /// An update was refused before it was queued, or its payload at
    /// install time.
    Rejected,
    /// An update that came in no manifest was queued by a holder of an
    /// authority.
    Submitted,
    /// Approved, by whom.
    Approved,
    /// Turned down at approval.
    Declined,
    /// An attempt started.
    Started,
    /// Installed.
    Completed,
    /// An attempt failed.
    Failed,
    /// Cancelled.
    Cancelled,
}

impl What {
    /// Upper-case tag, for the console.
    pub const fn tag(self) -> &'static str {
        match self {
            What::ManifestAccepted => "MANIFEST-ACCEPTED",
            What::ManifestRejected => "MANIFEST-REJECTED",
            What::Accepted => "ACCEPTED",
            What::Rejected => "REJECTED",
            What::Submitted => "SUBMITTED",
            What::Approved => "APPROVED",
            What::Declined => "DECLINED",
            What::Started => "STARTED",
            What::Completed => "COMPLETED",
            What::Failed => "FAILED",
            What::Cancelled => "CANCELLED",
        }
    }
}

/// One audit record.
#[derive(Clone, Debug)]
pub struct Record {
    /// When, wall clock.
    pub at: WallTime,
    /// What happened.
    pub what: What,
    /// The update, if it is about one.
    pub id: Option<UpdateId>,
    /// Details: versions, reasons, who.
    pub detail: String<DETAIL_LEN>,
}

/// `TAG #id detail`, as `audit` on the console prints it after the time.
impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.what.tag())?;
        if let Some(id) = self.id {
            write!(f, " {id}")?;
        }
        if !self.detail.is_empty() {
            write!(f, " {}", self.detail)?;
        }
        Ok(())
    }
}

struct Log {
    records: Deque<Record, CAPACITY>,
    dropped: u64,
    total: u64,
}

/// The ring. Lock order (kernel/README.md, "Locks"): may be taken under
/// the scheduler's; no other lock is taken while it is held, but COM1's
/// (the console prints from inside it).
static LOG: Mutex<Log> = Mutex::new(Log {
    records: Deque::new(),
    dropped: 0,
    total: 0,
});

/// Appends a record stamped with the wall clock now.
pub fn record(what: What, id: Option<UpdateId>, detail: fmt::Arguments<'_>) {
    record_at(clock::wall(), what, id, detail);
}

/// Appends a record stamped `at`.
pub fn record_at(at: WallTime, what: What, id: Option<UpdateId>, detail: fmt::Arguments<'_>) {
    let mut text = String::new();
    // Cut short rather than lost if it outgrows the buffer.
    let _ = Cut(&mut text).write_fmt(detail);
    let mut log = LOG.lock();
    if log.records.is_full() {
        log.records.pop_front();
        log.dropped += 1;
    }
    log.total += 1;
    // Room was made above.
    let _ = log.records.push_back(Record {
        at,
        what,
        id,
        detail: text,
    });
}

/// The subscriber that logs the scheduler's own events: starts,
/// completions, failures, cancellations and approvals declined.
/// (Approvals are logged by the API call, which knows who approved.)
pub fn on_event(event: &TimedEvent) {
    let at = clock::read().wall_at(event.at);
    match event.event {
        Event::Started {
            id,
            attempt,
            forced,
        } => record_at(
            at,
            What::Started,
            Some(id),
            format_args!(
                "attempt {attempt}{}",
                if forced { ", latest start reached" } else { "" }
            ),
        ),
        Event::Completed { id } => record_at(at, What::Completed, Some(id), format_args!("")),
        Event::Failed {
            id,
            reason,
            permanent,
            ..
        } => record_at(
            at,
            What::Failed,
            Some(id),
            format_args!(
                "{reason}{}",
                if permanent {
                    ", for good"
                } else {
                    ", will retry"
                }
            ),
        ),
        Event::Rejected { id } => record_at(at, What::Declined, Some(id), format_args!("")),
        Event::Cancelled { id } => record_at(at, What::Cancelled, Some(id), format_args!("")),
        _ => {}
    }
}

/// Counts: records kept, records ever written, records dropped.
pub fn counts() -> (usize, u64, u64) {
    let log = LOG.lock();
    (log.records.len(), log.total, log.dropped)
}

/// Calls `f` on each of the newest `last` records, oldest first, holding
/// the log's lock (so `f` must not record).
pub fn for_each_last(last: usize, mut f: impl FnMut(&Record)) {
    let log = LOG.lock();
    let skip = log.records.len().saturating_sub(last);
    for record in log.records.iter().skip(skip) {
        f(record);
    }
}

/// A writer that keeps what fits and drops the rest without failing.
struct Cut<'a>(&'a mut String<DETAIL_LEN>);

impl Write for Cut<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            if self.0.push(c).is_err() {
                break;
            }
        }
        Ok(())
    }
}
