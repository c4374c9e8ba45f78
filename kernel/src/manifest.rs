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

#[cfg(test)]
mod tests {
    use std::boxed::Box;
    use std::format;
    use std::string::{String, ToString};
    use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
    use std::sync::MutexGuard;
    use std::vec;
    use std::vec::Vec;

    use boot_config::{RamdiskWriter, Tag};
    use update_manifest::{
        sha256, Entry, EntryError, KeyId, ManifestError, ManifestWriter, PayloadError, SigningKey,
        MAX_MANIFEST_LEN,
    };
    use update_sched::civil::WallTime;
    use update_sched::config::{Config, Profile};
    use update_sched::event::{Event, TimedEvent};
    use update_sched::update::Version;
    use update_sched::{Instant, Priority, UpdateId, UpdateKind};

    use super::{Counts, DeliveryError, InstallRefusal};
    use crate::{clock, host, inventory, update};

    /// The repository's development key's id, which the kernel trusts by
    /// default.
    const DEV_KEY_ID: &str = "9dacc79e0fe2f473";

    /// A day after the epoch, where the clock stands in host tests.
    const TOMORROW: i64 = 86_400;

    /// Manifest versions only rise, across every test of the process.
    static NEXT_VERSION: AtomicU64 = AtomicU64::new(1);
    /// Update ids the channel has not seen, across every test.
    static NEXT_ID: AtomicU32 = AtomicU32::new(10_000);
    /// Component names the inventory has not seen, across every test.
    static NEXT_COMPONENT: AtomicU32 = AtomicU32::new(0);

    fn next_version() -> u64 {
        NEXT_VERSION.fetch_add(1, Ordering::Relaxed)
    }

    fn next_id() -> u32 {
        NEXT_ID.fetch_add(1, Ordering::Relaxed)
    }

    fn new_component() -> String {
        format!("part{}", NEXT_COMPONENT.fetch_add(1, Ordering::Relaxed))
    }

    /// The development key, which signed inputs need.
    fn dev_key() -> SigningKey {
        let seed = update_manifest::key_file::parse_key_file(include_str!("../../keys/dev.key"))
            .expect("keys/dev.key is a key file");
        let key = SigningKey::from_bytes(&seed);
        assert_eq!(
            key.verifying_key().to_bytes(),
            super::TRUSTED_KEY,
            "the host tests sign with keys/dev.key: build them without UPKEEP_TRUSTED_KEY"
        );
        key
    }

    /// An entry of `name` at `version` whose payload is `payload`.
    fn entry(id: u32, name: &str, version: Version, payload: &[u8]) -> Entry {
        Entry {
            id: UpdateId(id),
            name: name.try_into().expect("a short name"),
            kind: UpdateKind::Application,
            priority: Priority::Low,
            version,
            needs_reboot: false,
            runs_alone: false,
            estimate_minutes: 5,
            available_after_minutes: 0,
            payload_size: u32::try_from(payload.len()).expect("small"),
            payload_sha256: sha256(payload),
            dependencies: heapless::Vec::new(),
        }
    }

    /// A manifest of `entries` signed by the development key.
    fn signed(version: u64, expires_at: i64, entries: &[Entry]) -> Vec<u8> {
        let key = dev_key();
        let mut out = vec![0; MAX_MANIFEST_LEN];
        let key_id = KeyId::of(&key.verifying_key().to_bytes());
        let mut writer =
            ManifestWriter::new(&mut out, version, 0, expires_at, key_id).expect("a header");
        for entry in entries {
            writer.entry(entry).expect("a valid entry");
        }
        let len = writer.finish(&key).expect("fits");
        out.truncate(len);
        out
    }

    /// A payload section: the update id, then the payload.
    fn section(id: u32, payload: &[u8]) -> &'static [u8] {
        let mut bytes = id.to_le_bytes().to_vec();
        bytes.extend_from_slice(payload);
        Box::leak(bytes.into_boxed_slice())
    }

    /// Holds the kernel's statics, with a fresh scheduler and the clock at
    /// boot, trusted.
    fn fresh() -> MutexGuard<'static, ()> {
        let statics = host::statics();
        clock::release();
        update::start(Config::preset(Profile::Basic), Some(Profile::Basic), 1)
            .expect("the preset is valid");
        statics
    }

    /// Delivers a manifest; returns the result and what it wrote.
    fn deliver(bytes: &[u8], sections: &[&'static [u8]]) -> (Result<usize, DeliveryError>, String) {
        let mut out = String::new();
        let result = super::deliver(bytes, sections, &mut out);
        (result, out)
    }

    /// Delivers what a ramdisk carries; returns what it wrote.
    fn deliver_ramdisk(bytes: Option<&'static [u8]>) -> String {
        let mut out = String::new();
        super::deliver_ramdisk(bytes, &mut out);
        out
    }

    fn v(major: u16, minor: u16, patch: u16) -> Version {
        Version::new(major, minor, patch)
    }

    #[test]
    fn test_a_valid_manifest_is_accepted_and_its_updates_queued() {
        let _statics = fresh();
        let before = super::counts();
        let (first, second) = (next_id(), next_id());
        let version = next_version();
        let bytes = signed(
            version,
            TOMORROW,
            &[
                entry(first, &new_component(), v(2, 0, 0), b"first"),
                entry(second, &new_component(), v(1, 1, 0), b"second"),
            ],
        );
        let (result, out) = deliver(
            &bytes,
            &[section(first, b"first"), section(second, b"second")],
        );
        assert_eq!(result, Ok(2));
        assert_eq!(
            out,
            format!(
                "manifest accepted: version {version}, 2 updates, signed by key {DEV_KEY_ID}, expires {}\n",
                WallTime::from_unix_secs(86_400)
            )
        );
        assert!(update::state_of(UpdateId(first)).is_ok());
        assert!(update::state_of(UpdateId(second)).is_ok());
        let after = super::counts();
        assert_eq!(after.manifests_accepted, before.manifests_accepted + 1);
        assert_eq!(after.updates_accepted, before.updates_accepted + 2);
        assert_eq!(after.last_version, Some(version));
    }

    #[test]
    fn test_a_replayed_or_older_manifest_is_refused_whole() {
        let _statics = fresh();
        let id = next_id();
        let bytes = signed(
            next_version(),
            TOMORROW,
            &[entry(id, &new_component(), v(2, 0, 0), b"p")],
        );
        assert_eq!(deliver(&bytes, &[section(id, b"p")]).0, Ok(1));
        let before = super::counts();
        let (result, out) = deliver(&bytes, &[section(id, b"p")]);
        assert!(
            matches!(result, Err(DeliveryError::Manifest(_))),
            "{result:?}"
        );
        assert!(out.starts_with("manifest rejected: "), "{out}");
        assert_eq!(out.lines().count(), 1, "{out}");
        let after = super::counts();
        assert_eq!(after.manifests_rejected, before.manifests_rejected + 1);
        assert_eq!(after.updates_accepted, before.updates_accepted);
        assert_eq!(after.last_version, before.last_version);
    }

    #[test]
    fn test_a_tampered_manifest_is_refused_before_its_payloads_are_looked_at() {
        let _statics = fresh();
        let id = next_id();
        let mut bytes = signed(
            next_version(),
            TOMORROW,
            &[entry(id, &new_component(), v(2, 0, 0), b"p")],
        );
        // A byte of the entry's name.
        bytes[update_manifest::HEADER_LEN + 5] ^= 0x20;
        let before = super::counts();
        let (result, out) = deliver(&bytes, &[section(id, b"p"), b"\x01"]);
        assert!(
            matches!(result, Err(DeliveryError::Manifest(_))),
            "{result:?}"
        );
        assert!(out.starts_with("manifest rejected: "), "{out}");
        // The payload sections were not looked at: no payload line.
        assert_eq!(out.lines().count(), 1, "{out}");
        assert_eq!(super::counts().payloads_rejected, before.payloads_rejected);
        assert!(update::state_of(UpdateId(id)).is_err());
    }

    #[test]
    fn test_an_expired_manifest_is_refused() {
        let _statics = fresh();
        let id = next_id();
        let bytes = {
            let key = dev_key();
            let mut out = vec![0; MAX_MANIFEST_LEN];
            let key_id = KeyId::of(&key.verifying_key().to_bytes());
            let mut writer = ManifestWriter::new(&mut out, next_version(), -7_200, -3_600, key_id)
                .expect("a header");
            writer
                .entry(&entry(id, &new_component(), v(2, 0, 0), b"p"))
                .expect("valid");
            let len = writer.finish(&key).expect("fits");
            out.truncate(len);
            out
        };
        let (result, out) = deliver(&bytes, &[section(id, b"p")]);
        assert!(
            matches!(
                result,
                Err(DeliveryError::Manifest(ManifestError::Expired { .. }))
            ),
            "{result:?}"
        );
        assert!(out.starts_with("manifest rejected: "), "{out}");
    }

    #[test]
    fn test_an_untrusted_clock_refuses_every_manifest() {
        let _statics = fresh();
        let id = next_id();
        let bytes = signed(
            next_version(),
            TOMORROW,
            &[entry(id, &new_component(), v(2, 0, 0), b"p")],
        );
        clock::init_untrusted(clock::Untrusted::RtcUnreadable);
        let (result, out) = deliver(&bytes, &[section(id, b"p")]);
        clock::init(WallTime::UNIX_EPOCH);
        assert_eq!(
            result,
            Err(DeliveryError::ClockUntrusted(
                clock::Untrusted::RtcUnreadable
            ))
        );
        assert_eq!(
            out,
            "manifest rejected: the wall clock cannot be trusted (the RTC could not be read), so expiry cannot be checked\n"
        );
        assert!(update::state_of(UpdateId(id)).is_err());
    }

    #[test]
    fn test_an_entry_not_newer_than_installed_is_refused_alone() {
        let _statics = fresh();
        let (old, new) = (next_id(), next_id());
        let installed = inventory::installed("manpages").expect("in the baseline");
        let bytes = signed(
            next_version(),
            TOMORROW,
            &[
                entry(old, "manpages", installed, b"old"),
                entry(new, &new_component(), v(1, 0, 1), b"new"),
            ],
        );
        let before = super::counts();
        let (result, out) = deliver(&bytes, &[section(old, b"old"), section(new, b"new")]);
        assert_eq!(result, Ok(1));
        let why = EntryError::NotNewer {
            version: installed,
            installed,
        };
        assert!(
            out.ends_with(&format!(
                "update rejected: #{old} manpages {installed}: {why}\n"
            )),
            "{out}"
        );
        let after = super::counts();
        assert_eq!(after.updates_rejected, before.updates_rejected + 1);
        assert_eq!(after.updates_accepted, before.updates_accepted + 1);
        assert!(update::state_of(UpdateId(old)).is_err());
        assert!(update::state_of(UpdateId(new)).is_ok());
    }

    #[test]
    fn test_an_entry_below_a_pending_version_is_refused() {
        let _statics = fresh();
        let name = new_component();
        let (newer, older) = (next_id(), next_id());
        let first = signed(
            next_version(),
            TOMORROW,
            &[entry(newer, &name, v(3, 0, 0), b"3")],
        );
        assert_eq!(deliver(&first, &[section(newer, b"3")]).0, Ok(1));
        assert_eq!(inventory::newest(&name), Some(v(3, 0, 0)));
        let second = signed(
            next_version(),
            TOMORROW,
            &[entry(older, &name, v(2, 5, 0), b"2")],
        );
        let (result, out) = deliver(&second, &[section(older, b"2")]);
        assert_eq!(result, Ok(0));
        assert!(
            out.ends_with(&format!(
                "update rejected: #{older} {name} 2.5.0: {}\n",
                EntryError::NotNewer {
                    version: v(2, 5, 0),
                    installed: v(3, 0, 0)
                }
            )),
            "{out}"
        );
    }

    #[test]
    fn test_an_id_an_earlier_manifest_used_is_refused() {
        let _statics = fresh();
        let id = next_id();
        let first = signed(
            next_version(),
            TOMORROW,
            &[entry(id, &new_component(), v(2, 0, 0), b"a")],
        );
        assert_eq!(deliver(&first, &[section(id, b"a")]).0, Ok(1));
        let name = new_component();
        let second = signed(
            next_version(),
            TOMORROW,
            &[entry(id, &name, v(2, 0, 0), b"b")],
        );
        let (result, out) = deliver(&second, &[section(id, b"b")]);
        assert_eq!(result, Ok(0));
        assert!(
            out.ends_with(&format!(
                "update rejected: #{id} {name} 2.0.0: an update of an earlier manifest was accepted with this id\n"
            )),
            "{out}"
        );
    }

    #[test]
    fn test_a_missing_or_wrong_sized_payload_is_refused_at_delivery() {
        let _statics = fresh();
        let (missing, short) = (next_id(), next_id());
        let (missing_name, short_name) = (new_component(), new_component());
        let bytes = signed(
            next_version(),
            TOMORROW,
            &[
                entry(missing, &missing_name, v(2, 0, 0), b"never sent"),
                entry(short, &short_name, v(2, 0, 0), b"twelve bytes"),
            ],
        );
        let (result, out) = deliver(&bytes, &[section(short, b"eleven byte")]);
        assert_eq!(result, Ok(0));
        let lines: Vec<&str> = out.lines().skip(1).collect();
        assert_eq!(
            lines,
            [
                format!("update rejected: #{missing} {missing_name} 2.0.0: payload missing"),
                format!(
                    "update rejected: #{short} {short_name} 2.0.0: payload is 11 bytes, signed size is 12"
                ),
            ]
        );
        // Refused, so not pending either.
        assert_eq!(inventory::newest(&missing_name), None);
    }

    #[test]
    fn test_an_entry_may_depend_on_a_later_entry_of_its_manifest() {
        let _statics = fresh();
        let (dependent, dependency) = (next_id(), next_id());
        let mut first = entry(dependent, &new_component(), v(2, 0, 0), b"d");
        first.dependencies.push(UpdateId(dependency)).expect("room");
        let bytes = signed(
            next_version(),
            TOMORROW,
            &[first, entry(dependency, &new_component(), v(2, 0, 0), b"e")],
        );
        let (result, out) = deliver(
            &bytes,
            &[section(dependent, b"d"), section(dependency, b"e")],
        );
        assert_eq!(result, Ok(2), "{out}");
        let info = update::info(UpdateId(dependent)).expect("queued");
        assert_eq!(info.record.dependencies.as_slice(), [UpdateId(dependency)]);
    }

    #[test]
    fn test_an_entry_depending_on_a_refused_entry_is_refused_naming_it() {
        let _statics = fresh();
        let (dependent, dependency) = (next_id(), next_id());
        let name = new_component();
        let mut first = entry(dependent, &name, v(2, 0, 0), b"d");
        first.dependencies.push(UpdateId(dependency)).expect("room");
        let bytes = signed(
            next_version(),
            TOMORROW,
            &[first, entry(dependency, &new_component(), v(2, 0, 0), b"e")],
        );
        // The dependency's payload is missing.
        let (result, out) = deliver(&bytes, &[section(dependent, b"d")]);
        assert_eq!(result, Ok(0));
        assert!(
            out.ends_with(&format!(
                "update rejected: #{dependent} {name} 2.0.0: dependency #{dependency}, in the same manifest, was refused\n"
            )),
            "{out}"
        );
    }

    #[test]
    fn test_payload_sections_of_no_entry_are_dropped_one_line_each() {
        let _statics = fresh();
        let (id, stranger) = (next_id(), next_id());
        let bytes = signed(
            next_version(),
            TOMORROW,
            &[entry(id, &new_component(), v(2, 0, 0), b"real")],
        );
        let before = super::counts();
        let (result, out) = deliver(
            &bytes,
            &[
                b"\x01\x02\x03",
                section(stranger, b"x"),
                section(id, b"real"),
                section(id, b"fake"),
            ],
        );
        assert_eq!(result, Ok(1));
        let lines: Vec<&str> = out.lines().skip(1).collect();
        assert_eq!(
            lines,
            [
                "payload rejected: section of 3 bytes: too short to hold an update id; dropped".to_string(),
                format!("payload rejected: #{stranger}: no entry of its bundle's manifest has this id; dropped"),
                format!("payload rejected: #{id}: a second payload for this id in its bundle; dropped, the first is kept"),
            ]
        );
        let after = super::counts();
        assert_eq!(after.payloads_rejected, before.payloads_rejected + 3);
        assert_eq!(after.updates_rejected, before.updates_rejected);
        // The first payload was kept: it is the signed one.
        assert_eq!(super::check_before_install(UpdateId(id)), Ok(()));
    }

    #[test]
    fn test_a_payload_changed_after_delivery_is_refused_before_install() {
        let _statics = fresh();
        let id = next_id();
        let bytes = signed(
            next_version(),
            TOMORROW,
            &[entry(id, &new_component(), v(2, 0, 0), b"signed")],
        );
        // The same size, other bytes: only the digest tells.
        assert_eq!(deliver(&bytes, &[section(id, b"forged")]).0, Ok(1));
        let refusal = super::check_before_install(UpdateId(id)).expect_err("refused");
        let InstallRefusal::Payload(PayloadError::DigestMismatch { expected, found }) = refusal
        else {
            panic!("{refusal:?}");
        };
        assert_eq!(expected, sha256(b"signed"));
        assert_eq!(found, sha256(b"forged"));
        assert!(refusal.for_good());
        assert_eq!(
            refusal.reason(),
            "payload sha256 differs from the signed digest"
        );
    }

    #[test]
    fn test_an_update_from_no_manifest_has_nothing_to_check() {
        let _statics = fresh();
        assert_eq!(super::check_before_install(UpdateId(next_id())), Ok(()));
    }

    #[test]
    fn test_two_installs_of_one_component_never_overlap() {
        let _statics = fresh();
        let name = new_component();
        let (older, newer) = (next_id(), next_id());
        let bytes = signed(
            next_version(),
            TOMORROW,
            &[
                entry(older, &name, v(2, 0, 0), b"2"),
                entry(newer, &name, v(3, 0, 0), b"3"),
            ],
        );
        assert_eq!(
            deliver(&bytes, &[section(older, b"2"), section(newer, b"3")]).0,
            Ok(2)
        );
        assert_eq!(super::check_before_install(UpdateId(older)), Ok(()));
        let busy = super::check_before_install(UpdateId(newer)).expect_err("busy");
        assert_eq!(
            busy,
            InstallRefusal::ComponentBusy {
                installing: UpdateId(older)
            }
        );
        assert!(!busy.for_good());
        // Written and waiting for its reboot: the newer one may install.
        super::install_written(UpdateId(older));
        assert_eq!(super::check_before_install(UpdateId(newer)), Ok(()));
    }

    #[test]
    fn test_an_older_version_is_refused_while_a_newer_waits_for_its_reboot() {
        let _statics = fresh();
        let name = new_component();
        let (older, newer) = (next_id(), next_id());
        let bytes = signed(
            next_version(),
            TOMORROW,
            &[
                entry(older, &name, v(2, 0, 0), b"2"),
                entry(newer, &name, v(3, 0, 0), b"3"),
            ],
        );
        assert_eq!(
            deliver(&bytes, &[section(older, b"2"), section(newer, b"3")]).0,
            Ok(2)
        );
        assert_eq!(super::check_before_install(UpdateId(newer)), Ok(()));
        super::install_written(UpdateId(newer));
        let refusal = super::check_before_install(UpdateId(older)).expect_err("older");
        assert_eq!(
            refusal,
            InstallRefusal::NotNewer {
                version: v(2, 0, 0),
                installed: v(3, 0, 0)
            }
        );
        assert_eq!(
            refusal.to_string(),
            "version 2.0.0 is not newer than installed 3.0.0"
        );
    }

    #[test]
    fn test_a_failed_attempt_frees_its_component_for_another_install() {
        let _statics = fresh();
        let name = new_component();
        let (first, second) = (next_id(), next_id());
        let bytes = signed(
            next_version(),
            TOMORROW,
            &[
                entry(first, &name, v(2, 0, 0), b"2"),
                entry(second, &name, v(3, 0, 0), b"3"),
            ],
        );
        assert_eq!(
            deliver(&bytes, &[section(first, b"2"), section(second, b"3")]).0,
            Ok(2)
        );
        assert_eq!(super::check_before_install(UpdateId(first)), Ok(()));
        super::on_event(&TimedEvent {
            at: Instant::ZERO,
            event: Event::Failed {
                id: UpdateId(first),
                attempt: 1,
                reason: "install failed",
                permanent: false,
            },
        });
        assert_eq!(super::check_before_install(UpdateId(second)), Ok(()));
    }

    #[test]
    fn test_the_inventory_follows_completions_and_cancellations() {
        let _statics = fresh();
        let name = new_component();
        let (two, three, four) = (next_id(), next_id(), next_id());
        let bytes = signed(
            next_version(),
            TOMORROW,
            &[
                entry(two, &name, v(2, 0, 0), b"2"),
                entry(three, &name, v(3, 0, 0), b"3"),
                entry(four, &name, v(4, 0, 0), b"4"),
            ],
        );
        let sections = [
            section(two, b"2"),
            section(three, b"3"),
            section(four, b"4"),
        ];
        assert_eq!(deliver(&bytes, &sections).0, Ok(3));
        assert_eq!(inventory::newest(&name), Some(v(4, 0, 0)));
        let event = |event| TimedEvent {
            at: Instant::ZERO,
            event,
        };
        super::on_event(&event(Event::Cancelled { id: UpdateId(four) }));
        assert_eq!(inventory::newest(&name), Some(v(3, 0, 0)));
        assert_eq!(inventory::installed(&name), None);
        super::on_event(&event(Event::Completed { id: UpdateId(two) }));
        assert_eq!(inventory::installed(&name), Some(v(2, 0, 0)));
        assert_eq!(inventory::newest(&name), Some(v(3, 0, 0)));
        super::on_event(&event(Event::Rejected {
            id: UpdateId(three),
        }));
        assert_eq!(inventory::newest(&name), Some(v(2, 0, 0)));
        // An ended update's id, reused by an unsigned update, is not it.
        super::on_event(&event(Event::Completed { id: UpdateId(four) }));
        assert_eq!(inventory::installed(&name), Some(v(2, 0, 0)));
    }

    #[test]
    fn test_an_install_refusal_for_now_is_held_and_one_for_good_is_counted() {
        let _statics = fresh();
        let name = new_component();
        let id = next_id();
        let bytes = signed(
            next_version(),
            TOMORROW,
            &[entry(id, &name, v(2, 0, 0), b"p")],
        );
        assert_eq!(deliver(&bytes, &[section(id, b"p")]).0, Ok(1));
        let before = super::counts();
        let held = super::install_refused(
            UpdateId(id),
            InstallRefusal::ComponentBusy {
                installing: UpdateId(7),
            },
        );
        assert_eq!(
            held.to_string(),
            format!("update held: #{id} {name} 2.0.0: #7, another update of the same component, is installing; tried again later")
        );
        assert_eq!(super::counts(), before);
        let rejected =
            super::install_refused(UpdateId(id), InstallRefusal::Payload(PayloadError::Missing));
        assert_eq!(
            rejected.to_string(),
            format!("update rejected: #{id} {name} 2.0.0: payload missing; not installed")
        );
        assert_eq!(
            super::counts().updates_rejected,
            before.updates_rejected + 1
        );
    }

    #[test]
    fn test_ramdisk_without_manifests_says_so() {
        let _statics = fresh();
        assert_eq!(
            deliver_ramdisk(None),
            "manifest: no ramdisk, no updates delivered\n"
        );
        let out = deliver_ramdisk(Some(b"not a ramdisk at all"));
        assert!(
            out.starts_with("manifest rejected: ramdisk unreadable: "),
            "{out}"
        );
        let mut buffer = vec![0; 256];
        let mut writer = RamdiskWriter::new(&mut buffer).expect("room");
        writer
            .section(Tag::PAYLOAD, section(5, b"early"))
            .expect("room");
        let len = writer.finish().expect("room");
        buffer.truncate(len);
        assert_eq!(
            deliver_ramdisk(Some(Box::leak(buffer.into_boxed_slice()))),
            "payload rejected: #5: comes before any manifest; dropped\nmanifest: none in the ramdisk, no updates delivered\n"
        );
    }

    #[test]
    fn test_ramdisk_bundles_each_bring_their_own_payloads() {
        let _statics = fresh();
        let (first, second) = (next_id(), next_id());
        let one = signed(
            next_version(),
            TOMORROW,
            &[entry(first, &new_component(), v(2, 0, 0), b"1")],
        );
        let two = signed(
            next_version(),
            TOMORROW,
            &[entry(second, &new_component(), v(2, 0, 0), b"2")],
        );
        let mut buffer = vec![0; 4096];
        let mut writer = RamdiskWriter::new(&mut buffer).expect("room");
        writer.section(Tag::MANIFEST, &one).expect("room");
        // The second bundle's payload, in the first bundle: not its own.
        writer
            .section(Tag::PAYLOAD, section(second, b"2"))
            .expect("room");
        writer
            .section(Tag::PAYLOAD, section(first, b"1"))
            .expect("room");
        writer.section(Tag::MANIFEST, &two).expect("room");
        let len = writer.finish().expect("room");
        buffer.truncate(len);
        let out = deliver_ramdisk(Some(Box::leak(buffer.into_boxed_slice())));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 4, "{out}");
        assert!(lines[0].starts_with("manifest accepted: "), "{out}");
        assert_eq!(
            lines[1],
            format!("payload rejected: #{second}: no entry of its bundle's manifest has this id; dropped")
        );
        assert!(lines[2].starts_with("manifest accepted: "), "{out}");
        assert!(
            lines[3].starts_with(&format!("update rejected: #{second} ")),
            "{out}"
        );
        assert!(lines[3].ends_with(": payload missing"), "{out}");
        assert!(update::state_of(UpdateId(first)).is_ok());
        assert!(update::state_of(UpdateId(second)).is_err());
    }

    #[test]
    fn test_counts_read_as_one_status_line() {
        let counts = Counts {
            manifests_accepted: 2,
            manifests_rejected: 1,
            updates_accepted: 21,
            updates_rejected: 3,
            payloads_rejected: 4,
            last_version: Some(9),
        };
        assert_eq!(
            counts.to_string(),
            "manifests accepted=2 rejected=1, updates accepted=21 rejected=3, payloads rejected=4, last manifest version 9"
        );
        assert!(Counts::default()
            .to_string()
            .ends_with("last manifest version none"));
    }

    #[test]
    fn test_install_refusals_have_short_reasons() {
        let not_newer = InstallRefusal::NotNewer {
            version: v(1, 0, 0),
            installed: v(1, 0, 0),
        };
        assert_eq!(not_newer.reason(), "not newer than the installed version");
        assert!(not_newer.for_good());
        let busy = InstallRefusal::ComponentBusy {
            installing: UpdateId(3),
        };
        assert_eq!(
            busy.reason(),
            "another update of its component is installing"
        );
        assert_eq!(
            InstallRefusal::Payload(PayloadError::Missing).reason(),
            "payload missing"
        );
    }

    #[test]
    fn test_a_payload_section_starts_with_its_id() {
        assert_eq!(
            super::split_payload(b"\x07\x00\x00\x00abc"),
            Some((UpdateId(7), &b"abc"[..]))
        );
        assert_eq!(
            super::split_payload(b"\xff\xff\xff\xff"),
            Some((UpdateId(u32::MAX), &b""[..]))
        );
        assert_eq!(super::split_payload(b"\x07\x00\x00"), None);
        assert_eq!(super::split_payload(b""), None);
    }
}
