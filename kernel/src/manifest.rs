//! The update channel: signed manifests in, verified updates to the queue.
//!
//! Updates reach the scheduler only in a manifest signed by the key built
//! into this kernel (see `kernel/build.rs`: `UPKEEP_TRUSTED_KEY`, by
//! default the repository's development key). Before anything is queued,
//! [`deliver`] checks, in order:
//!
//! 1. the manifest as a whole ([`update_manifest::verify`]): size bound,
//!    framing, the signing key's id, the Ed25519 signature, every entry,
//!    a manifest version above the last accepted, and expiry against the
//!    wall clock;
//! 2. each update: a version newer than the installed or already accepted
//!    version of the same component (anti-rollback), a payload delivered
//!    with exactly the signed size, and the scheduler's own checks
//!    (duplicate ids, capacity).
//!
//! A refused manifest prints one `manifest rejected: <why>` line; a
//! refused update one `update rejected: <id> <name>: <why>`. Either counts
//! in [`counts`], goes into the audit log, and changes nothing already
//! queued. The executor checks each payload's SHA-256 against the manifest
//! right before installing ([`check_payload`]), so a payload changed after
//! verification is refused too.
//!
//! At boot the ramdisk's manifests are delivered in order, as successive
//! deliveries of a feed would be; [`deliver`] is also the kernel API for
//! any other subsystem that receives a manifest.

use core::fmt;

use heapless::Vec;
use spin::Mutex;
use update_manifest::{
    Entry, Manifest, ManifestError, PayloadError, Policy, TrustedKey, MAX_PAYLOAD_LEN,
};
use update_sched::event::{Event, TimedEvent};
use update_sched::update::Version;
use update_sched::{Duration, UpdateId};

use boot_config::{Ramdisk, Tag};

use crate::audit::{self, What};
use crate::{clock, console, inventory, serial_println, update};

/// The trusted Ed25519 public key, chosen when the kernel was built.
pub static TRUSTED_KEY: [u8; 32] = *include_bytes!(concat!(env!("OUT_DIR"), "/trusted_key.bin"));

/// Payloads the channel can hold: as many as updates in a few manifests.
pub const MAX_PAYLOADS: usize = 256;

/// The channel's state.
#[derive(Debug)]
struct Channel {
    last_version: Option<u64>,
    manifests_accepted: u32,
    manifests_rejected: u32,
    updates_accepted: u32,
    updates_rejected: u32,
    /// Payloads delivered (update id, bytes), from the ramdisk.
    payloads: Vec<(UpdateId, &'static [u8]), MAX_PAYLOADS>,
    /// The signed entry of every accepted update: what its payload must be.
    signed: Vec<Entry, MAX_PAYLOADS>,
}

impl Channel {
    /// The payload delivered for update `id`.
    fn payload(&self, id: UpdateId) -> Option<&'static [u8]> {
        self.payloads
            .iter()
            .find(|(known, _)| *known == id)
            .map(|(_, bytes)| *bytes)
    }

    /// The signed entry of accepted update `id`.
    fn signed(&self, id: UpdateId) -> Option<&Entry> {
        self.signed.iter().find(|entry| entry.id == id)
    }
}

static CHANNEL: Mutex<Channel> = Mutex::new(Channel {
    last_version: None,
    manifests_accepted: 0,
    manifests_rejected: 0,
    updates_accepted: 0,
    updates_rejected: 0,
    payloads: Vec::new(),
    signed: Vec::new(),
});

/// The channel's counters, for `status`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Manifests accepted.
    pub manifests_accepted: u32,
    /// Manifests refused as a whole.
    pub manifests_rejected: u32,
    /// Updates queued from accepted manifests.
    pub updates_accepted: u32,
    /// Updates refused one by one (at acceptance or at install).
    pub updates_rejected: u32,
    /// The version of the last manifest accepted.
    pub last_version: Option<u64>,
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "manifests accepted={} rejected={}, updates accepted={} rejected={}, last manifest version ",
            self.manifests_accepted,
            self.manifests_rejected,
            self.updates_accepted,
            self.updates_rejected
        )?;
        match self.last_version {
            Some(version) => write!(f, "{version}"),
            None => f.write_str("none"),
        }
    }
}

/// The channel's counters.
pub fn counts() -> Counts {
    let channel = CHANNEL.lock();
    Counts {
        manifests_accepted: channel.manifests_accepted,
        manifests_rejected: channel.manifests_rejected,
        updates_accepted: channel.updates_accepted,
        updates_rejected: channel.updates_rejected,
        last_version: channel.last_version,
    }
}

/// Delivers everything the boot ramdisk carries: its payloads first, then
/// each manifest in order. Prints one line per manifest and per refused
/// update; says so when there is nothing to deliver.
pub fn deliver_ramdisk(bytes: Option<&'static [u8]>) {
    let Some(bytes) = bytes else {
        serial_println!("manifest: no ramdisk, no updates delivered");
        return;
    };
    let ramdisk = match Ramdisk::parse(bytes) {
        Ok(ramdisk) => ramdisk,
        Err(error) => {
            reject_manifest(format_args!("ramdisk unreadable: {error}"));
            return;
        }
    };
    for section in ramdisk.sections() {
        if section.tag == Tag::PAYLOAD {
            add_payload(section.bytes);
        }
    }
    let mut delivered = 0;
    for section in ramdisk.sections() {
        if section.tag == Tag::MANIFEST {
            delivered += 1;
            // Refusals are printed and counted inside.
            let _ = deliver(section.bytes);
        }
    }
    if delivered == 0 {
        serial_println!("manifest: none in the ramdisk, no updates delivered");
    }
}

/// Keeps one payload section (update id, then bytes) for the executor.
fn add_payload(section: &'static [u8]) {
    let Some((id, payload)) = section.split_first_chunk::<4>() else {
        reject_manifest(format_args!(
            "payload section of {} bytes has no update id",
            section.len()
        ));
        return;
    };
    let id = UpdateId(u32::from_le_bytes(*id));
    if payload.len() > MAX_PAYLOAD_LEN as usize {
        reject_update(
            id,
            None,
            format_args!(
                "payload of {} bytes is over the {MAX_PAYLOAD_LEN}-byte limit",
                payload.len()
            ),
        );
        return;
    }
    let mut channel = CHANNEL.lock();
    if channel.payload(id).is_some() {
        drop(channel);
        reject_update(
            id,
            None,
            format_args!("a second payload was delivered; the first is kept"),
        );
        return;
    }
    if channel.payloads.push((id, payload)).is_err() {
        drop(channel);
        reject_update(
            id,
            None,
            format_args!("no room for more than {MAX_PAYLOADS} payloads"),
        );
    }
}

/// Verifies one signed manifest and queues its updates. Returns the number
/// queued, or why the whole manifest was refused (already printed).
pub fn deliver(bytes: &[u8]) -> Result<usize, ManifestError> {
    let key = TrustedKey::from_bytes(&TRUSTED_KEY).inspect_err(|error| {
        reject_manifest(format_args!("{error}"));
    })?;
    let policy = Policy {
        last_version: CHANNEL.lock().last_version,
        now_unix: i64::try_from(clock::wall().as_unix_secs()).unwrap_or(i64::MAX),
    };
    let manifest = update_manifest::verify(bytes, &key, &policy).inspect_err(|error| {
        reject_manifest(format_args!("{error}"));
    })?;
    accept(&manifest);
    Ok(queue_entries(&manifest))
}

fn accept(manifest: &Manifest<'_>) {
    {
        let mut channel = CHANNEL.lock();
        channel.last_version = Some(manifest.version());
        channel.manifests_accepted += 1;
    }
    let header = manifest.header();
    let expires = update_sched::civil::WallTime::from_unix_secs(
        u64::try_from(header.expires_at).unwrap_or(0),
    );
    serial_println!(
        "manifest accepted: version {}, {} updates, signed by key {}, expires {}",
        header.version,
        manifest.len(),
        header.key_id,
        expires
    );
    audit::record(
        What::ManifestAccepted,
        None,
        format_args!(
            "version {}, {} updates, key {}",
            header.version,
            manifest.len(),
            header.key_id
        ),
    );
}

/// Checks and queues each entry; returns how many were queued.
fn queue_entries(manifest: &Manifest<'_>) -> usize {
    let now = clock::now();
    let mut queued = 0;
    for entry in manifest.entries() {
        if let Err(why) = check_entry(&entry) {
            reject_update(entry.id, Some(&entry), format_args!("{why}"));
            continue;
        }
        let available_at = now.saturating_add(Duration::from_minutes(u64::from(
            entry.available_after_minutes,
        )));
        if let Err(error) = update::submit_trusted(&entry.record(available_at)) {
            reject_update(entry.id, Some(&entry), format_args!("{error}"));
            continue;
        }
        inventory::note_accepted(&entry.name, entry.version);
        let mut channel = CHANNEL.lock();
        channel.updates_accepted += 1;
        // Room: `check_entry` made sure of it.
        let _ = channel.signed.push(entry.clone());
        drop(channel);
        audit::record(
            What::Accepted,
            Some(entry.id),
            format_args!(
                "{} {} ({} {}), available in {}m",
                entry.name,
                entry.version,
                entry.priority,
                entry.kind,
                entry.available_after_minutes
            ),
        );
        queued += 1;
    }
    queued
}

/// Why one entry of an accepted manifest cannot be queued.
enum EntryProblem {
    Rollback(update_manifest::EntryError),
    Payload(PayloadError),
    Full,
}

impl fmt::Display for EntryProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryProblem::Rollback(error) => error.fmt(f),
            EntryProblem::Payload(error) => error.fmt(f),
            EntryProblem::Full => write!(f, "the channel holds {MAX_PAYLOADS} updates already"),
        }
    }
}

fn check_entry(entry: &Entry) -> Result<(), EntryProblem> {
    entry
        .check_version(inventory::newest(&entry.name))
        .map_err(EntryProblem::Rollback)?;
    let channel = CHANNEL.lock();
    if channel.signed.is_full() {
        return Err(EntryProblem::Full);
    }
    let payload = channel
        .payload(entry.id)
        .ok_or(EntryProblem::Payload(PayloadError::Missing))?;
    // The digest is checked right before install; the size now.
    entry
        .check_payload_size(payload.len())
        .map_err(EntryProblem::Payload)
}

/// Checks the payload of update `id` against its manifest, right before
/// install. Updates that came in no manifest (queued by a holder of an
/// authority) have no payload to check and pass.
pub fn check_payload(id: UpdateId) -> Result<(), PayloadError> {
    let channel = CHANNEL.lock();
    let Some(entry) = channel.signed(id).cloned() else {
        return Ok(());
    };
    let payload = channel.payload(id).ok_or(PayloadError::Missing)?;
    // Hashing takes a while: not under the lock.
    drop(channel);
    entry.check_payload(payload)
}

/// Records a payload refused at install: counted, audited, printed.
pub fn payload_refused(id: UpdateId, error: PayloadError) {
    let signed = CHANNEL
        .lock()
        .signed(id)
        .map(|entry| (entry.name.clone(), entry.version));
    match signed {
        Some((name, version)) => {
            reject_named(id, &name, version, format_args!("{error}; not installed"))
        }
        None => reject_update(id, None, format_args!("{error}; not installed")),
    }
}

fn reject_manifest(why: fmt::Arguments<'_>) {
    CHANNEL.lock().manifests_rejected += 1;
    console::print_above(|| serial_println!("manifest rejected: {why}"));
    audit::record(What::ManifestRejected, None, why);
}

fn reject_update(id: UpdateId, entry: Option<&Entry>, why: fmt::Arguments<'_>) {
    match entry {
        Some(entry) => reject_named(id, &entry.name, entry.version, why),
        None => {
            CHANNEL.lock().updates_rejected += 1;
            console::print_above(|| serial_println!("update rejected: {id}: {why}"));
            audit::record(What::Rejected, Some(id), why);
        }
    }
}

fn reject_named(id: UpdateId, name: &str, version: Version, why: fmt::Arguments<'_>) {
    CHANNEL.lock().updates_rejected += 1;
    console::print_above(|| serial_println!("update rejected: {id} {name} {version}: {why}"));
    audit::record(
        What::Rejected,
        Some(id),
        format_args!("{name} {version}: {why}"),
    );
}

/// The subscriber that keeps the inventory in step with the queue: a
/// completed update's version becomes the installed one; a failed,
/// cancelled or declined one frees its component for a later manifest.
pub fn on_event(event: &TimedEvent) {
    let (id, installed) = match event.event {
        Event::Completed { id } => (id, true),
        Event::Failed {
            id,
            permanent: true,
            ..
        }
        | Event::Cancelled { id }
        | Event::Rejected { id } => (id, false),
        _ => return,
    };
    let Ok(info) = update::info(id) else {
        return;
    };
    let (name, version): (&str, Version) = (&info.record.name, info.record.version);
    if installed {
        inventory::note_installed(name, version);
    } else {
        inventory::note_abandoned(name, version);
    }
}
