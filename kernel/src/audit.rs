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
    /// Still unapproved at its deadline, and kept waiting for a person
    /// (the `escalate` policy): a miss of its own kind.
    Escalated,
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
            What::Escalated => "ESCALATED",
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
/// completions, failures, cancellations, approvals declined, approvals by
/// deadline and escalations. (Approvals by a person are logged by the API
/// call, which knows who approved.)
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
        Event::ApprovedByDeadline { id, priority } => record_at(
            at,
            What::Approved,
            Some(id),
            format_args!("approved by deadline ({priority}, nobody approved in time)"),
        ),
        Event::MissedAwaitingApproval { id, priority } => record_at(
            at,
            What::Escalated,
            Some(id),
            format_args!("{priority} deadline passed awaiting approval"),
        ),
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

#[cfg(test)]
mod tests {
    use std::string::{String, ToString};
    use std::vec::Vec;

    use update_sched::civil::WallTime;
    use update_sched::event::{Event, TimedEvent};
    use update_sched::{Duration, Instant, UpdateId};

    use super::{What, CAPACITY, DETAIL_LEN};
    use crate::host;

    /// The newest `last` records as `audit` prints them after the time.
    fn newest(last: usize) -> Vec<String> {
        let mut lines = Vec::new();
        super::for_each_last(last, |record| lines.push(record.to_string()));
        lines
    }

    fn record(what: What, id: Option<UpdateId>, detail: &str) -> super::Record {
        super::Record {
            at: WallTime::UNIX_EPOCH,
            what,
            id,
            detail: detail.try_into().expect("fits"),
        }
    }

    #[test]
    fn test_tags_are_upper_case_and_distinct() {
        let all = [
            What::ManifestAccepted,
            What::ManifestRejected,
            What::Accepted,
            What::Rejected,
            What::Submitted,
            What::Approved,
            What::Declined,
            What::Started,
            What::Completed,
            What::Failed,
            What::Cancelled,
        ];
        for (index, what) in all.iter().enumerate() {
            let tag = what.tag();
            assert!(!tag.is_empty());
            assert!(tag
                .bytes()
                .all(|byte| byte.is_ascii_uppercase() || byte == b'-'));
            for other in &all[index + 1..] {
                assert_ne!(tag, other.tag(), "{what:?} and {other:?}");
            }
        }
        assert_eq!(What::ManifestAccepted.tag(), "MANIFEST-ACCEPTED");
        assert_eq!(What::Declined.tag(), "DECLINED");
    }

    #[test]
    fn test_record_displays_tag_id_and_detail() {
        let failed = record(What::Failed, Some(UpdateId(7)), "checksum, will retry");
        assert_eq!(failed.to_string(), "FAILED #7 checksum, will retry");
    }

    #[test]
    fn test_record_without_id_or_detail_has_no_trailing_space() {
        assert_eq!(
            record(What::Completed, Some(UpdateId(3)), "").to_string(),
            "COMPLETED #3"
        );
        assert_eq!(
            record(What::ManifestRejected, None, "bad signature").to_string(),
            "MANIFEST-REJECTED bad signature"
        );
        assert_eq!(
            record(What::ManifestAccepted, None, "").to_string(),
            "MANIFEST-ACCEPTED"
        );
    }

    #[test]
    fn test_record_cuts_a_long_detail_at_its_capacity() {
        let _statics = host::statics();
        let long = "x".repeat(DETAIL_LEN + 50);
        super::record_at(
            WallTime::UNIX_EPOCH,
            What::Rejected,
            None,
            format_args!("{long}"),
        );
        assert_eq!(newest(1), [format!("REJECTED {}", "x".repeat(DETAIL_LEN))]);
    }

    #[test]
    fn test_record_cut_never_splits_a_character() {
        let _statics = host::statics();
        // 95 bytes, then a two-byte character that does not fit whole.
        let detail = format!("{}é and more", "y".repeat(DETAIL_LEN - 1));
        super::record_at(
            WallTime::UNIX_EPOCH,
            What::Rejected,
            None,
            format_args!("{detail}"),
        );
        let mut kept = String::new();
        super::for_each_last(1, |record| kept.push_str(&record.detail));
        assert_eq!(kept, "y".repeat(DETAIL_LEN - 1));
    }

    #[test]
    fn test_ring_wraps_at_capacity_keeping_the_newest_in_order() {
        let _statics = host::statics();
        let (kept_before, total_before, dropped_before) = super::counts();
        let written = CAPACITY + 5;
        for number in 0..written {
            let at = WallTime::from_unix_secs(number as u64);
            super::record_at(at, What::Submitted, None, format_args!("n{number}"));
        }
        let (kept, total, dropped) = super::counts();
        assert_eq!(kept, CAPACITY);
        assert_eq!(total, total_before + written as u64);
        // Everything kept before, and the first 5 written, fell out.
        assert_eq!(
            dropped,
            dropped_before + (kept_before + written - CAPACITY) as u64
        );
        let lines = newest(usize::MAX);
        assert_eq!(lines.len(), CAPACITY);
        assert_eq!(lines[0], "SUBMITTED n5");
        assert_eq!(lines[CAPACITY - 1], format!("SUBMITTED n{}", written - 1));
        let mut times = Vec::new();
        super::for_each_last(usize::MAX, |record| times.push(record.at.as_unix_secs()));
        assert_eq!(times, (5..written as u64).collect::<Vec<_>>());
    }

    #[test]
    fn test_one_more_record_in_a_full_ring_drops_exactly_one() {
        let _statics = host::statics();
        for number in 0..CAPACITY {
            super::record_at(
                WallTime::UNIX_EPOCH,
                What::Approved,
                None,
                format_args!("{number}"),
            );
        }
        let (_, total, dropped) = super::counts();
        super::record_at(
            WallTime::UNIX_EPOCH,
            What::Declined,
            None,
            format_args!("last"),
        );
        assert_eq!(super::counts(), (CAPACITY, total + 1, dropped + 1));
        assert_eq!(
            newest(2),
            [
                format!("APPROVED {}", CAPACITY - 1),
                "DECLINED last".to_string()
            ]
        );
    }

    #[test]
    fn test_for_each_last_gives_the_newest_oldest_first() {
        let _statics = host::statics();
        for word in ["one", "two", "three"] {
            super::record_at(
                WallTime::UNIX_EPOCH,
                What::Accepted,
                None,
                format_args!("{word}"),
            );
        }
        assert!(newest(0).is_empty());
        assert_eq!(newest(1), ["ACCEPTED three"]);
        assert_eq!(
            newest(3),
            ["ACCEPTED one", "ACCEPTED two", "ACCEPTED three"]
        );
        let (kept, _, _) = super::counts();
        assert_eq!(newest(kept + 10).len(), kept);
    }

    #[test]
    fn test_on_event_records_each_decision_at_its_wall_time() {
        let _statics = host::statics();
        let id = UpdateId(41);
        let reading = crate::clock::read();
        let at = reading.now.saturating_add(Duration::from_secs(90));
        let events = [
            Event::Started {
                id,
                attempt: 1,
                forced: false,
            },
            Event::Started {
                id,
                attempt: 2,
                forced: true,
            },
            Event::Failed {
                id,
                attempt: 2,
                reason: "disk full",
                permanent: false,
            },
            Event::Failed {
                id,
                attempt: 3,
                reason: "disk full",
                permanent: true,
            },
            Event::Completed { id },
            Event::Rejected { id },
            Event::Cancelled { id },
            Event::ApprovedByDeadline {
                id,
                priority: update_sched::Priority::Security,
            },
            Event::MissedAwaitingApproval {
                id,
                priority: update_sched::Priority::Important,
            },
        ];
        for event in events {
            super::on_event(&TimedEvent { at, event });
        }
        assert_eq!(
            newest(9),
            [
                "STARTED #41 attempt 1",
                "STARTED #41 attempt 2, latest start reached",
                "FAILED #41 disk full, will retry",
                "FAILED #41 disk full, for good",
                "COMPLETED #41",
                "DECLINED #41",
                "CANCELLED #41",
                "APPROVED #41 approved by deadline (security, nobody approved in time)",
                "ESCALATED #41 important deadline passed awaiting approval",
            ]
        );
        let mut stamps = Vec::new();
        super::for_each_last(9, |record| stamps.push(record.at));
        let expected = reading.wall.saturating_add(Duration::from_secs(90));
        assert!(stamps.iter().all(|&stamp| stamp == expected), "{stamps:?}");
    }

    #[test]
    fn test_on_event_ignores_what_is_not_a_decision() {
        let _statics = host::statics();
        let id = UpdateId(42);
        let (_, total, _) = super::counts();
        for event in [
            Event::UpdateAvailable { id },
            Event::RequiresApproval { id },
            Event::Approved { id },
            Event::WillStart {
                id,
                at: Instant::from_millis(5),
            },
            Event::Preempted { id, by: None },
            Event::DeadlineMissed {
                id,
                priority: update_sched::Priority::Low,
            },
            Event::MaintenanceStart,
        ] {
            super::on_event(&TimedEvent {
                at: Instant::ZERO,
                event,
            });
        }
        assert_eq!(super::counts().1, total);
    }
}
