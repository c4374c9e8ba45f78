//! The update channel: signed manifests in, verified updates to the queue.
//!
//! Updates reach the scheduler only in a manifest signed by the key built
//! into this kernel (see `kernel/build.rs`: `UPKEEP_TRUSTED_KEY`, by
//! default the repository's development key). Before anything is queued,
//! [`deliver`] checks, in order:
//!
//! 1. the manifest as a whole ([`update_manifest::verify`]): size bound,
//!    framing, the signing key's id, the Ed25519 signature, every entry
//!    (no dependency cycle among them), a manifest version above the last
//!    accepted, and expiry against the wall clock;
//! 2. each update: a version newer than the installed or already accepted
//!    version of the same component (anti-rollback), an id no earlier
//!    manifest's accepted update used, room for its component in the
//!    inventory (else nothing would stop its rollback later), a payload
//!    delivered with it with exactly the signed size, no dependency on an
//!    entry of the same manifest that was refused, and the scheduler's own
//!    checks (duplicate ids, known dependencies, capacity).
//!
//! A manifest's entries are queued in dependency order
//! ([`update_manifest::Manifest::queue_order`]), so an entry may depend on
//! one listed after it in the same manifest.
//!
//! A payload belongs to the bundle it came in: a bundle is one manifest
//! section followed by its payload sections, and [`deliver_ramdisk`]
//! hands each manifest the payload sections between it and the next
//! manifest. The payloads are looked at only once that manifest has
//! verified, and are kept only as part of its accepted updates, so
//! nothing from a refused bundle survives and no bundle can supply or
//! block the payload of another.
//!
//! A refused manifest is reported by one `manifest rejected: <why>` line; a
//! refused update by one `update rejected: <id> <name>: <why>`; a payload
//! section dropped (outside any bundle, of no entry of its manifest, a
//! second one for an entry) by one `payload rejected: <id>: <why>`. The
//! lines go to the sink the caller hands in (the channel never prints on
//! its own). Each refusal counts in [`counts`], goes into the audit log,
//! and changes nothing already queued. Right before installing, the
//! executor asks [`check_before_install`] (through the install gate the
//! worker wires to it; the channel knows nothing of the executor): no other update of the component may be
//! installing (two at once could end with the older written last; the
//! attempt is retried later), the version must still be newer than the
//! one installed (another update of the component may have been
//! installed meanwhile) and the payload's SHA-256 must match the
//! manifest, so a payload changed after verification is refused too.
//!
//! The channel keeps each accepted update's signed entry until shutdown,
//! so [`on_event`] can keep the inventory right whenever an update ends,
//! also after the scheduler has let go of its record.
//!
//! At boot the ramdisk's manifests are delivered in order, as successive
//! deliveries of a feed would be; [`deliver`] is also the kernel API for
//! any other subsystem that receives a manifest.

use core::fmt;

use heapless::Vec;
use spin::Mutex;
use update_manifest::{
    Entry, Manifest, ManifestError, PayloadError, Policy, TrustedKey, MAX_ENTRIES,
};
use update_sched::event::{Event, TimedEvent};
use update_sched::update::{UpdateName, Version};
use update_sched::{Duration, UpdateId};

use boot_config::{Ramdisk, Tag};

use crate::audit::{self, What};
use crate::out::{self, Out};
use crate::{clock, inventory, update};

/// The trusted Ed25519 public key, chosen when the kernel was built.
pub static TRUSTED_KEY: [u8; 32] = *include_bytes!(concat!(env!("OUT_DIR"), "/trusted_key.bin"));

/// Accepted updates the channel can hold: as many as in a few manifests.
pub const MAX_ACCEPTED: usize = 256;

/// An update accepted from a verified manifest.
#[derive(Debug)]
struct Accepted {
    /// Its signed entry: what its payload must be.
    entry: Entry,
    /// Its payload, from the same bundle as the manifest.
    payload: &'static [u8],
    /// Whether it may still be installed: not yet completed, failed for
    /// good, cancelled or declined.
    outstanding: bool,
    /// Where its current attempt is, as far as installing goes.
    install: Install,
}

/// How far an accepted update's current attempt has got with installing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Install {
    /// Not installing: not started, or before its install step.
    Not,
    /// In its install step: it passed [`check_before_install`].
    Writing,
    /// Installed, waiting for its reboot or flash ([`install_written`]).
    Written,
}

/// The channel's state.
#[derive(Debug)]
struct Channel {
    last_version: Option<u64>,
    manifests_accepted: u32,
    manifests_rejected: u32,
    updates_accepted: u32,
    updates_rejected: u32,
    payloads_rejected: u32,
    /// Every update accepted since boot. Ids are unique here: an id an
    /// earlier manifest's update used is refused.
    accepted: Vec<Accepted, MAX_ACCEPTED>,
}

impl Channel {
    /// Accepted update `id`.
    fn accepted(&self, id: UpdateId) -> Option<&Accepted> {
        self.accepted
            .iter()
            .find(|accepted| accepted.entry.id == id)
    }

    /// The newest version of `name` accepted and still outstanding.
    fn newest_outstanding(&self, name: &str) -> Option<Version> {
        self.accepted
            .iter()
            .filter(|accepted| accepted.outstanding && accepted.entry.name == name)
            .map(|accepted| accepted.entry.version)
            .max()
    }
}

/// The channel. Lock order (kernel/README.md, "Locks"): may be taken
/// under the scheduler's (the worker's install checks); released before the
/// inventory's, the audit log's or the scheduler's is taken.
static CHANNEL: Mutex<Channel> = Mutex::new(Channel {
    last_version: None,
    manifests_accepted: 0,
    manifests_rejected: 0,
    updates_accepted: 0,
    updates_rejected: 0,
    payloads_rejected: 0,
    accepted: Vec::new(),
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
    /// Payload sections dropped: outside any bundle, of no entry, a second
    /// one for an entry, or too many.
    pub payloads_rejected: u32,
    /// The version of the last manifest accepted.
    pub last_version: Option<u64>,
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "manifests accepted={} rejected={}, updates accepted={} rejected={}, payloads rejected={}, last manifest version ",
            self.manifests_accepted,
            self.manifests_rejected,
            self.updates_accepted,
            self.updates_rejected,
            self.payloads_rejected
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
        payloads_rejected: channel.payloads_rejected,
        last_version: channel.last_version,
    }
}

/// Why [`deliver`] refused a whole manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryError {
    /// The wall clock cannot be trusted (see [`clock::untrusted`]), so
    /// expiry cannot be checked: every manifest is refused.
    ClockUntrusted(clock::Untrusted),
    /// The manifest failed its checks.
    Manifest(ManifestError),
}

impl From<ManifestError> for DeliveryError {
    fn from(error: ManifestError) -> DeliveryError {
        DeliveryError::Manifest(error)
    }
}

impl fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeliveryError::ClockUntrusted(why) => {
                write!(
                    f,
                    "the wall clock cannot be trusted ({why}), so expiry cannot be checked"
                )
            }
            DeliveryError::Manifest(error) => error.fmt(f),
        }
    }
}

impl core::error::Error for DeliveryError {}

/// Payload sections handed to one manifest: those of its bundle.
pub type PayloadSections<'p> = &'p [&'static [u8]];

/// Most payload sections one bundle may carry: one per entry.
const MAX_BUNDLE_PAYLOADS: usize = MAX_ENTRIES;

/// Delivers everything the boot ramdisk carries: each manifest in order,
/// with the payload sections that follow it up to the next manifest.
/// Writes one line to `out` per manifest and per refused update; says so
/// when there is nothing to deliver.
pub fn deliver_ramdisk(bytes: Option<&'static [u8]>, out: Out<'_>) {
    let Some(bytes) = bytes else {
        out::line(
            out,
            format_args!("manifest: no ramdisk, no updates delivered"),
        );
        return;
    };
    let ramdisk = match Ramdisk::parse(bytes) {
        Ok(ramdisk) => ramdisk,
        Err(error) => {
            reject_manifest(out, format_args!("ramdisk unreadable: {error}"));
            return;
        }
    };
    let mut sections = ramdisk.sections().peekable();
    let mut delivered = 0;
    while let Some(section) = sections.next() {
        if section.tag == Tag::PAYLOAD {
            reject_payload(
                out,
                section.bytes,
                format_args!("comes before any manifest; dropped"),
            );
            continue;
        }
        if section.tag != Tag::MANIFEST {
            continue;
        }
        let mut payloads: Vec<&'static [u8], MAX_BUNDLE_PAYLOADS> = Vec::new();
        while let Some(next) = sections.next_if(|next| next.tag != Tag::MANIFEST) {
            if next.tag == Tag::PAYLOAD && payloads.push(next.bytes).is_err() {
                reject_payload(
                    out,
                    next.bytes,
                    format_args!(
                        "over {MAX_BUNDLE_PAYLOADS} payloads follow one manifest; dropped"
                    ),
                );
            }
        }
        delivered += 1;
        // Refusals are written to `out` and counted inside.
        let _ = deliver(section.bytes, &payloads, out);
    }
    if delivered == 0 {
        out::line(
            out,
            format_args!("manifest: none in the ramdisk, no updates delivered"),
        );
    }
}

/// The update id a payload section starts with, and its payload.
fn split_payload(section: &[u8]) -> Option<(UpdateId, &[u8])> {
    let (id, payload) = section.split_first_chunk::<4>()?;
    Some((UpdateId(u32::from_le_bytes(*id)), payload))
}

/// Verifies one signed manifest and queues its updates, each with its
/// payload from `payloads` (payload sections: an update id, `u32`
/// little-endian, then the bytes). `payloads` are looked at only if the
/// manifest verifies. Returns the number queued, or why the whole
/// manifest was refused (already written to `out`, with every other
/// refusal).
pub fn deliver(
    bytes: &[u8],
    payloads: PayloadSections<'_>,
    out: Out<'_>,
) -> Result<usize, DeliveryError> {
    if let Some(why) = clock::untrusted() {
        reject_manifest(out, format_args!("{}", DeliveryError::ClockUntrusted(why)));
        return Err(DeliveryError::ClockUntrusted(why));
    }
    let key = TrustedKey::from_bytes(&TRUSTED_KEY).inspect_err(|error| {
        reject_manifest(out, format_args!("{error}"));
    })?;
    let policy = Policy {
        last_version: CHANNEL.lock().last_version,
        now_unix: i64::try_from(clock::wall().as_unix_secs()).unwrap_or(i64::MAX),
    };
    let manifest = update_manifest::verify(bytes, &key, &policy).inspect_err(|error| {
        reject_manifest(out, format_args!("{error}"));
    })?;
    accept(&manifest, out);
    let payloads = bind_payloads(&manifest, payloads, out);
    Ok(queue_entries(&manifest, &payloads, out))
}

/// The payloads of a verified manifest's bundle, by update id: each
/// section that names an entry of the manifest, the first for each id.
/// The others are refused, one line each.
fn bind_payloads(
    manifest: &Manifest<'_>,
    sections: PayloadSections<'_>,
    out: Out<'_>,
) -> Vec<(UpdateId, &'static [u8]), MAX_BUNDLE_PAYLOADS> {
    let mut bound: Vec<(UpdateId, &'static [u8]), MAX_BUNDLE_PAYLOADS> = Vec::new();
    for &section in sections {
        let Some((id, payload)) = split_payload(section) else {
            reject_payload(
                out,
                section,
                format_args!("too short to hold an update id; dropped"),
            );
            continue;
        };
        if !manifest.entries().any(|entry| entry.id == id) {
            reject_payload(
                out,
                section,
                format_args!("no entry of its bundle's manifest has this id; dropped"),
            );
            continue;
        }
        if bound.iter().any(|(known, _)| *known == id) {
            reject_payload(
                out,
                section,
                format_args!(
                    "a second payload for this id in its bundle; dropped, the first is kept"
                ),
            );
            continue;
        }
        // One section per entry at most, and no more sections than that.
        let _ = bound.push((id, payload));
    }
    bound
}

fn accept(manifest: &Manifest<'_>, out: Out<'_>) {
    {
        let mut channel = CHANNEL.lock();
        channel.last_version = Some(manifest.version());
        channel.manifests_accepted += 1;
    }
    let header = manifest.header();
    let expires = update_sched::civil::WallTime::from_unix_secs(
        u64::try_from(header.expires_at).unwrap_or(0),
    );
    out::line(
        out,
        format_args!(
            "manifest accepted: version {}, {} updates, signed by key {}, expires {}",
            header.version,
            manifest.len(),
            header.key_id,
            expires
        ),
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

/// Checks and queues each entry, in dependency order; returns how many
/// were queued.
fn queue_entries(
    manifest: &Manifest<'_>,
    payloads: &[(UpdateId, &'static [u8])],
    out: Out<'_>,
) -> usize {
    let now = clock::now();
    let mut queued = 0;
    // Entries of this manifest refused so far: one that depends on them
    // is refused for that reason, by name.
    let mut refused: Vec<UpdateId, MAX_ENTRIES> = Vec::new();
    for index in manifest.queue_order().indices() {
        let Some(entry) = manifest.entries().nth(index) else {
            continue;
        };
        let payload = payloads
            .iter()
            .find(|(id, _)| *id == entry.id)
            .map(|(_, payload)| *payload);
        let checked = match refused
            .iter()
            .find(|refused| entry.dependencies.contains(refused))
        {
            Some(&dependency) => Err(EntryProblem::DependencyRefused(dependency)),
            None => check_entry(&entry, payload),
        };
        let payload = match checked {
            Ok(payload) => payload,
            Err(why) => {
                reject_update(out, entry.id, Some(&entry), format_args!("{why}"));
                // At most MAX_ENTRIES entries, each refused once.
                let _ = refused.push(entry.id);
                continue;
            }
        };
        let available_at = now.saturating_add(Duration::from_minutes(u64::from(
            entry.available_after_minutes,
        )));
        if let Err(error) = update::submit_trusted(&entry.record(available_at)) {
            reject_update(out, entry.id, Some(&entry), format_args!("{error}"));
            let _ = refused.push(entry.id);
            continue;
        }
        inventory::note_accepted(&entry.name, entry.version);
        let mut channel = CHANNEL.lock();
        channel.updates_accepted += 1;
        // Room: `check_entry` made sure of it.
        let _ = channel.accepted.push(Accepted {
            entry: entry.clone(),
            payload,
            outstanding: true,
            install: Install::Not,
        });
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
    IdUsed,
    Full,
    InventoryFull,
    DependencyRefused(UpdateId),
}

impl fmt::Display for EntryProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryProblem::Rollback(error) => error.fmt(f),
            EntryProblem::Payload(error) => error.fmt(f),
            EntryProblem::IdUsed => {
                f.write_str("an update of an earlier manifest was accepted with this id")
            }
            EntryProblem::Full => write!(f, "the channel holds {MAX_ACCEPTED} updates already"),
            EntryProblem::InventoryFull => write!(
                f,
                "the inventory holds {} components already, so a new one could not be recorded",
                inventory::CAPACITY
            ),
            EntryProblem::DependencyRefused(id) => {
                write!(f, "dependency {id}, in the same manifest, was refused")
            }
        }
    }
}

/// Checks one entry before it is queued; returns its payload.
fn check_entry(
    entry: &Entry,
    payload: Option<&'static [u8]>,
) -> Result<&'static [u8], EntryProblem> {
    entry
        .check_version(inventory::newest(&entry.name))
        .map_err(EntryProblem::Rollback)?;
    // A component the inventory cannot hold would escape the rollback
    // check above from now on.
    if !inventory::has_room_for(&entry.name) {
        return Err(EntryProblem::InventoryFull);
    }
    let channel = CHANNEL.lock();
    if channel.accepted(entry.id).is_some() {
        return Err(EntryProblem::IdUsed);
    }
    if channel.accepted.is_full() {
        return Err(EntryProblem::Full);
    }
    drop(channel);
    let payload = payload.ok_or(EntryProblem::Payload(PayloadError::Missing))?;
    // The digest is checked right before install; the size now.
    entry
        .check_payload_size(payload.len())
        .map_err(EntryProblem::Payload)?;
    Ok(payload)
}

/// Why an accepted update is not installed after all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstallRefusal {
    /// A version of its component at least as new was installed since it
    /// was accepted.
    NotNewer {
        /// The version it would install.
        version: Version,
        /// The version installed.
        installed: Version,
    },
    /// Its payload is not the one signed.
    Payload(PayloadError),
    /// Another update of its component is in its install step: two
    /// installs of one component at once could end with the older one
    /// written last. Not for good: the attempt is retried later, and
    /// checked again then.
    ComponentBusy {
        /// The update installing.
        installing: UpdateId,
    },
}

impl InstallRefusal {
    /// A short fixed reason, for the scheduler's failure reason.
    pub const fn reason(&self) -> &'static str {
        match self {
            InstallRefusal::NotNewer { .. } => "not newer than the installed version",
            InstallRefusal::Payload(error) => error.reason(),
            InstallRefusal::ComponentBusy { .. } => "another update of its component is installing",
        }
    }

    /// Whether no later attempt can succeed either.
    pub const fn for_good(&self) -> bool {
        !matches!(self, InstallRefusal::ComponentBusy { .. })
    }
}

impl fmt::Display for InstallRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstallRefusal::NotNewer { version, installed } => {
                write!(
                    f,
                    "version {version} is not newer than installed {installed}"
                )
            }
            InstallRefusal::Payload(error) => error.fmt(f),
            InstallRefusal::ComponentBusy { installing } => write!(
                f,
                "{installing}, another update of the same component, is installing"
            ),
        }
    }
}

impl core::error::Error for InstallRefusal {}

/// Checks update `id` right before install: no other update of its
/// component is in its install step (this one is then refused for now,
/// and retried), its version is still newer than its component's
/// installed version and than any installed and waiting for its reboot,
/// and its payload is exactly the signed one. On success the update is
/// in its install step until [`install_written`] or the attempt's end.
/// Updates that came in no manifest (queued by a holder
/// of an authority) have nothing to check and pass, also one that reuses
/// the id of a signed update that has ended.
pub fn check_before_install(id: UpdateId) -> Result<(), InstallRefusal> {
    let channel = CHANNEL.lock();
    let Some(accepted) = channel.accepted(id).filter(|accepted| accepted.outstanding) else {
        return Ok(());
    };
    let (entry, payload) = (accepted.entry.clone(), accepted.payload);
    let others = || {
        channel
            .accepted
            .iter()
            .filter(|other| other.entry.id != id && other.entry.name == entry.name)
    };
    if let Some(other) = others().find(|other| other.install == Install::Writing) {
        return Err(InstallRefusal::ComponentBusy {
            installing: other.entry.id,
        });
    }
    // Written and waiting for its reboot, a version as new would be
    // overwritten by this older one.
    if let Some(written) = others()
        .filter(|other| other.install == Install::Written)
        .map(|other| other.entry.version)
        .filter(|&written| written >= entry.version)
        .max()
    {
        return Err(InstallRefusal::NotNewer {
            version: entry.version,
            installed: written,
        });
    }
    // Hashing takes a while, and the inventory has its own lock: not under
    // this one. The executor runs on one core: nothing else installs
    // meanwhile.
    drop(channel);
    if let Some(installed) = inventory::installed(&entry.name) {
        if entry.version <= installed {
            return Err(InstallRefusal::NotNewer {
                version: entry.version,
                installed,
            });
        }
    }
    entry
        .check_payload(payload)
        .map_err(InstallRefusal::Payload)?;
    if let Some(accepted) = CHANNEL
        .lock()
        .accepted
        .iter_mut()
        .find(|accepted| accepted.entry.id == id && accepted.outstanding)
    {
        accepted.install = Install::Writing;
    }
    Ok(())
}

/// Notes that update `id` finished its install step and waits for its
/// reboot or flash: another update of its component may install now,
/// if newer. The executor calls this.
pub fn install_written(id: UpdateId) {
    if let Some(accepted) = CHANNEL
        .lock()
        .accepted
        .iter_mut()
        .find(|accepted| accepted.entry.id == id && accepted.outstanding)
    {
        accepted.install = Install::Written;
    }
}

/// Records an update refused at install: counted and audited, except one
/// refused only for now ([`InstallRefusal::for_good`] false), which is
/// retried. Returns the line that reports it, for the caller to write
/// once it holds no lock.
pub fn install_refused(id: UpdateId, refusal: InstallRefusal) -> InstallNotice {
    let signed = CHANNEL
        .lock()
        .accepted(id)
        .map(|accepted| (accepted.entry.name.clone(), accepted.entry.version));
    if refusal.for_good() {
        CHANNEL.lock().updates_rejected += 1;
        match &signed {
            Some((name, version)) => audit::record(
                What::Rejected,
                Some(id),
                format_args!("{name} {version}: {refusal}; not installed"),
            ),
            None => audit::record(
                What::Rejected,
                Some(id),
                format_args!("{refusal}; not installed"),
            ),
        }
    }
    InstallNotice {
        id,
        signed,
        refusal,
    }
}

/// The line an install refusal is reported with: `update held: ..` when
/// the attempt is retried later, `update rejected: ..` when the update is
/// not installed at all.
#[derive(Clone, Debug)]
pub struct InstallNotice {
    id: UpdateId,
    /// The signed entry's name and version, if the update came in a
    /// manifest.
    signed: Option<(UpdateName, Version)>,
    refusal: InstallRefusal,
}

impl fmt::Display for InstallNotice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (id, refusal) = (self.id, self.refusal);
        let verdict = if refusal.for_good() {
            "update rejected"
        } else {
            "update held"
        };
        write!(f, "{verdict}: {id}")?;
        if let Some((name, version)) = &self.signed {
            write!(f, " {name} {version}")?;
        }
        if refusal.for_good() {
            write!(f, ": {refusal}; not installed")
        } else {
            write!(f, ": {refusal}; tried again later")
        }
    }
}

fn reject_manifest(out: Out<'_>, why: fmt::Arguments<'_>) {
    CHANNEL.lock().manifests_rejected += 1;
    out::line(out, format_args!("manifest rejected: {why}"));
    audit::record(What::ManifestRejected, None, why);
}

/// Refuses a payload section that belongs to no entry it could be checked
/// against.
/// Prints `payload rejected: #<id>: <why>` (or, without an id,
/// `payload rejected: section of <n> bytes: <why>`): a payload section is
/// no update, and its refusal says nothing about the update it names.
fn reject_payload(out: Out<'_>, section: &[u8], why: fmt::Arguments<'_>) {
    CHANNEL.lock().payloads_rejected += 1;
    match split_payload(section) {
        Some((id, _)) => {
            out::line(out, format_args!("payload rejected: {id}: {why}"));
            audit::record(What::Rejected, Some(id), format_args!("payload: {why}"));
        }
        None => {
            let len = section.len();
            out::line(
                out,
                format_args!("payload rejected: section of {len} bytes: {why}"),
            );
            audit::record(
                What::Rejected,
                None,
                format_args!("payload section of {len} bytes: {why}"),
            );
        }
    }
}

fn reject_update(out: Out<'_>, id: UpdateId, entry: Option<&Entry>, why: fmt::Arguments<'_>) {
    match entry {
        Some(entry) => reject_named(out, id, &entry.name, entry.version, why),
        None => {
            CHANNEL.lock().updates_rejected += 1;
            out::line(out, format_args!("update rejected: {id}: {why}"));
            audit::record(What::Rejected, Some(id), why);
        }
    }
}

fn reject_named(out: Out<'_>, id: UpdateId, name: &str, version: Version, why: fmt::Arguments<'_>) {
    CHANNEL.lock().updates_rejected += 1;
    out::line(
        out,
        format_args!("update rejected: {id} {name} {version}: {why}"),
    );
    audit::record(
        What::Rejected,
        Some(id),
        format_args!("{name} {version}: {why}"),
    );
}

/// The subscriber that keeps the inventory in step with the queue: a
/// completed update's version becomes the installed one; one failed for
/// good (also for a failed dependency), cancelled or declined is no
/// longer pending, so the pending version falls back to the newest other
/// update of the component still outstanding. The name and version come
/// from the channel's own record of the update, which outlives the
/// scheduler's. Updates that came in no manifest are not in the
/// inventory, nor is one that reuses the id of a signed update that has
/// ended: only the signed update's own end counts.
pub fn on_event(event: &TimedEvent) {
    if let Event::Failed {
        id,
        permanent: false,
        ..
    } = event.event
    {
        // The attempt ended; the update stays outstanding.
        if let Some(accepted) = CHANNEL
            .lock()
            .accepted
            .iter_mut()
            .find(|accepted| accepted.entry.id == id && accepted.outstanding)
        {
            accepted.install = Install::Not;
        }
        return;
    }
    let (id, installed) = match event.event {
        Event::Completed { id } => (id, true),
        Event::Failed {
            id,
            permanent: true,
            ..
        }
        | Event::Cancelled { id }
        | Event::Rejected { id }
        | Event::DependencyFailed { id, .. } => (id, false),
        _ => return,
    };
    let mut channel = CHANNEL.lock();
    // Only the end of the signed update itself: once it has ended, its id
    // may be reused by an update queued some other way (the console), and
    // that one is not the signed one.
    let Some(accepted) = channel
        .accepted
        .iter_mut()
        .find(|accepted| accepted.entry.id == id && accepted.outstanding)
    else {
        return;
    };
    accepted.outstanding = false;
    accepted.install = Install::Not;
    let (name, version) = (accepted.entry.name.clone(), accepted.entry.version);
    let pending = channel.newest_outstanding(&name);
    drop(channel);
    if installed {
        inventory::note_installed(&name, version);
    }
    inventory::note_pending(&name, pending);
}
