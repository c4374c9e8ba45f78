//! Signed update manifests for the upkeep update scheduler.
//!
//! A manifest is the only way updates reach the kernel's scheduler. It
//! lists updates (what they are, how urgent, which version, and the size and
//! SHA-256 digest of each payload), carries a monotonic manifest version and
//! an expiry time, and is signed with Ed25519 over its exact bytes. The
//! kernel checks all of that before it queues anything; the threats it
//! answers are those of The Update Framework (TUF): arbitrary installation,
//! rollback, indefinite freeze, endless data and mix-and-match.
//!
//! This crate is the format and the checks, shared by the host tools that
//! sign and the kernel that verifies. It is `no_std`, allocates nothing,
//! never panics on any input, and leaves the cryptography to the
//! `ed25519-dalek` and `sha2` crates.
//!
//! # Wire format (version 1)
//!
//! All integers are little-endian. The signature covers every byte before
//! it, so there is exactly one encoding to sign and to check: the bytes
//! themselves.
//!
//! | offset | size | field |
//! | --- | --- | --- |
//! | 0 | 8 | magic `UPKMANIF` |
//! | 8 | 2 | format version, 1 |
//! | 10 | 2 | number of entries, 0..=[`MAX_ENTRIES`] |
//! | 12 | 4 | signed length: header plus entries, in bytes |
//! | 16 | 8 | key id: the first 8 bytes of SHA-256 of the signing public key |
//! | 24 | 8 | manifest version (sequence number), must rise |
//! | 32 | 8 | issued at, Unix seconds |
//! | 40 | 8 | expires at, Unix seconds |
//! | 48 | .. | entries, one after another |
//! | signed length | 64 | Ed25519 signature over bytes `0..signed length` |
//!
//! Each entry:
//!
//! | size | field |
//! | --- | --- |
//! | 4 | update id |
//! | 1 | name length n, 1..=[`NAME_CAPACITY`] |
//! | n | name: the component, ASCII letters, digits and `._+-` |
//! | 1 | kind (0 security, 1 kernel, 2 driver, 3 application, 4 firmware) |
//! | 1 | priority (0 critical .. 4 low) |
//! | 6 | version: major, minor, patch, 16 bits each |
//! | 1 | flags: bit 0 needs a reboot, bit 1 runs alone; others zero |
//! | 2 | estimated duration, minutes, 1..=[`MAX_ESTIMATE_MINUTES`] |
//! | 4 | available after, minutes after the manifest is accepted |
//! | 4 | payload size in bytes, 0..=[`MAX_PAYLOAD_LEN`] |
//! | 32 | payload SHA-256 |
//! | 1 | number of dependencies, 0..=[`MAX_DEPENDENCIES`] |
//! | 4 each | dependency update ids |
//!
//! # What [`verify`] checks, in order
//!
//! This is the one order in which a manifest is checked, by the kernel
//! ([`verify`]) and by the host tools ([`decode_unverified`], which skips
//! steps 3, 4, 6 and 7); both run the same function, so for any bytes
//! the first problem each reports is the same, unless the host's is
//! after a step it skips.
//!
//! 1. Size: at most [`MAX_MANIFEST_LEN`] bytes (endless data).
//! 2. Framing, from the header alone: magic, format version, an entry
//!    count of at most [`MAX_ENTRIES`], and a signed length that matches
//!    the bytes.
//! 3. Key id: signed by the trusted key, not some other key.
//! 4. Signature: `verify_strict` over the signed bytes (arbitrary
//!    installation, tampering, mix-and-match of entries).
//! 5. Entries: every field in range, no duplicate ids, exactly the entry
//!    count, no dependency cycle among them; decoded only after the
//!    signature holds.
//! 6. Version: higher than the last manifest accepted (rollback, replay).
//! 7. Expiry: not expired at the caller's wall clock (indefinite freeze).
//!
//! Per-update checks that need the system's state (the installed version of
//! each component, the payload bytes) are [`Entry::check_version`] and
//! [`Entry::check_payload`].
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![deny(missing_debug_implementations)]

mod encode;
mod error;
pub mod key_file;
mod order;

use core::fmt;

use ed25519_dalek::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};
use update_sched::update::{UpdateFlags, UpdateName, UpdateRecord, Version};
pub use update_sched::update::{MAX_DEPENDENCIES, NAME_CAPACITY};
use update_sched::{Duration, Instant, Priority, UpdateId, UpdateKind};

pub use encode::{sign, EncodeError, ManifestWriter, SigningKey};
pub use error::{EntryError, ManifestError, PayloadError};
pub use order::{DependencyCycle, DependencyGraph, GraphFull, QueueOrder};

/// The first eight bytes of every manifest.
pub const MAGIC: [u8; 8] = *b"UPKMANIF";
/// The format version this crate reads and writes.
pub const FORMAT_VERSION: u16 = 1;
/// Length of the fixed header.
pub const HEADER_LEN: usize = 48;
/// Length of the trailing Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;
/// Largest manifest accepted, signature included. A manifest is a list of
/// short records: 64 entries of the largest kind take under 6 KiB.
pub const MAX_MANIFEST_LEN: usize = 8 * 1024;
/// Most entries in one manifest.
pub const MAX_ENTRIES: usize = 64;
/// Largest payload an entry may declare (and a ramdisk may carry), bytes.
pub const MAX_PAYLOAD_LEN: u32 = 1024 * 1024;
/// Longest estimated duration an entry may declare, minutes (the
/// scheduler keeps estimates in 16 bits of seconds).
pub const MAX_ESTIMATE_MINUTES: u16 = 1092;
/// Latest availability an entry may declare: 90 days after acceptance.
pub const MAX_AVAILABLE_AFTER_MINUTES: u32 = 90 * 24 * 60;
/// The fixed-size part of an entry after its name: kind, priority,
/// version, flags, estimate, availability, payload size and digest, and
/// the dependency count.
const FIXED_LEN: usize = 1 + 1 + 6 + 1 + 2 + 4 + 4 + 32 + 1;
/// Smallest entry: one-byte name, no dependencies.
const MIN_ENTRY_LEN: usize = 4 + 1 + 1 + FIXED_LEN;

const FLAG_REBOOT: u8 = 1 << 0;
const FLAG_ALONE: u8 = 1 << 1;
const FLAGS_KNOWN: u8 = FLAG_REBOOT | FLAG_ALONE;

/// A SHA-256 digest.
pub type Digest256 = [u8; 32];

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> Digest256 {
    Sha256::digest(bytes).into()
}

/// Prints bytes as lower-case hex.
#[derive(Clone, Copy, Debug)]
pub struct Hex<'a>(pub &'a [u8]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

/// Identifies a public key: the first 8 bytes of its SHA-256. Printed in
/// hex, it tells a person which key signed a manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KeyId(pub [u8; 8]);

impl KeyId {
    /// The id of the Ed25519 public key `key`.
    pub fn of(key: &[u8; 32]) -> KeyId {
        let digest = sha256(key);
        let mut id = [0; 8];
        id.copy_from_slice(&digest[..8]);
        KeyId(id)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Hex(&self.0).fmt(f)
    }
}

/// The public key manifests must be signed with.
#[derive(Clone, Copy, Debug)]
pub struct TrustedKey {
    key: VerifyingKey,
    id: KeyId,
}

impl TrustedKey {
    /// The trusted key from its 32 bytes; refused if they are not a valid
    /// Ed25519 point or are a weak (small-order) key.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<TrustedKey, ManifestError> {
        let key = VerifyingKey::from_bytes(bytes).map_err(|_| ManifestError::BadTrustedKey)?;
        if key.is_weak() {
            return Err(ManifestError::BadTrustedKey);
        }
        Ok(TrustedKey {
            key,
            id: KeyId::of(bytes),
        })
    }

    /// Its key id.
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// Its 32 bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.key.to_bytes()
    }
}

/// What the caller knows when it checks a manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// The version of the last manifest accepted, if any; a new one must be
    /// higher.
    pub last_version: Option<u64>,
    /// The wall clock now, Unix seconds.
    pub now_unix: i64,
}

/// The fixed header of a manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Number of entries.
    pub entries: u16,
    /// Length of the signed part (header and entries).
    pub signed_len: u32,
    /// Which key signed it.
    pub key_id: KeyId,
    /// The manifest version: each new manifest has a higher one.
    pub version: u64,
    /// When it was signed, Unix seconds.
    pub issued_at: i64,
    /// When it stops being valid, Unix seconds.
    pub expires_at: i64,
}

/// One update listed in a manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The update's id.
    pub id: UpdateId,
    /// The component it updates, e.g. `openssl`.
    pub name: UpdateName,
    /// What it touches.
    pub kind: UpdateKind,
    /// How urgent.
    pub priority: Priority,
    /// The version it installs.
    pub version: Version,
    /// Whether installing it ends with a reboot.
    pub needs_reboot: bool,
    /// Whether it must run with nothing else running.
    pub runs_alone: bool,
    /// Estimated installation time, minutes.
    pub estimate_minutes: u16,
    /// Minutes after the manifest's acceptance at which it becomes
    /// available.
    pub available_after_minutes: u32,
    /// The payload's exact size, bytes.
    pub payload_size: u32,
    /// The payload's SHA-256.
    pub payload_sha256: Digest256,
    /// Updates that must complete first.
    pub dependencies: heapless::Vec<UpdateId, MAX_DEPENDENCIES>,
}

impl Entry {
    /// The scheduler's record of this update, available at `available_at`.
    pub fn record(&self, available_at: Instant) -> UpdateRecord {
        let mut record = UpdateRecord::new(
            self.id,
            &self.name,
            self.kind,
            self.priority,
            Duration::from_minutes(u64::from(self.estimate_minutes)),
            available_at,
        );
        record.version = self.version;
        if self.needs_reboot {
            record.flags |= UpdateFlags::NEEDS_REBOOT;
        }
        if self.runs_alone {
            record.flags |= UpdateFlags::EXCLUSIVE;
        }
        record.dependencies = self.dependencies.clone();
        record
    }

    /// Anti-rollback: the entry must install a version newer than
    /// `installed`, the version of the same component already installed
    /// (or accepted for installation), if any.
    pub fn check_version(&self, installed: Option<Version>) -> Result<(), EntryError> {
        match installed {
            Some(installed) if self.version <= installed => Err(EntryError::NotNewer {
                version: self.version,
                installed,
            }),
            _ => Ok(()),
        }
    }

    /// Whether a payload of `len` bytes has the signed size: a cheap check
    /// before anything is hashed, so that a payload cannot make its reader
    /// hash more than was signed for.
    pub fn check_payload_size(&self, len: usize) -> Result<(), PayloadError> {
        if len as u64 != u64::from(self.payload_size) {
            return Err(PayloadError::SizeMismatch {
                expected: self.payload_size,
                found: len,
            });
        }
        Ok(())
    }

    /// Whether `payload` is exactly the payload this entry was signed with:
    /// its declared size, then its SHA-256.
    pub fn check_payload(&self, payload: &[u8]) -> Result<(), PayloadError> {
        self.check_payload_size(payload.len())?;
        let found = sha256(payload);
        if found != self.payload_sha256 {
            return Err(PayloadError::DigestMismatch {
                expected: self.payload_sha256,
                found,
            });
        }
        Ok(())
    }
}

/// A manifest whose signature, framing, version and expiry have been
/// checked by [`verify`] (or only its framing, by [`decode_unverified`]).
#[derive(Clone, Copy, Debug)]
pub struct Manifest<'a> {
    header: Header,
    entries: &'a [u8],
    signature: [u8; SIGNATURE_LEN],
}

impl<'a> Manifest<'a> {
    /// Its header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Its manifest version.
    pub fn version(&self) -> u64 {
        self.header.version
    }

    /// When it expires, Unix seconds.
    pub fn expires_at(&self) -> i64 {
        self.header.expires_at
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        usize::from(self.header.entries)
    }

    /// Whether it lists no updates.
    pub fn is_empty(&self) -> bool {
        self.header.entries == 0
    }

    /// Its signature.
    pub fn signature(&self) -> &[u8; SIGNATURE_LEN] {
        &self.signature
    }

    /// The order in which to queue its entries: each after the entries of
    /// this manifest it depends on (see [`DependencyGraph`]).
    pub fn queue_order(&self) -> QueueOrder {
        let mut graph = DependencyGraph::new();
        for entry in self.entries() {
            // At most MAX_ENTRIES entries: checked when decoded.
            let _ = graph.add(&entry);
        }
        // A cycle was refused when decoded, so this cannot fail; if it
        // did, the listed order would do no harm: the scheduler refuses
        // an update whose dependency it does not know.
        graph
            .queue_order()
            .unwrap_or_else(|_| QueueOrder::listed(self.len()))
    }

    /// Its entries, in order. They were all decoded once already, so
    /// iterating cannot fail.
    pub fn entries(&self) -> Entries<'a> {
        Entries {
            reader: Reader::new(self.entries, HEADER_LEN),
            left: self.header.entries,
        }
    }
}

/// The entries of a [`Manifest`].
#[derive(Clone, Debug)]
pub struct Entries<'a> {
    reader: Reader<'a>,
    left: u16,
}

impl Iterator for Entries<'_> {
    type Item = Entry;

    fn next(&mut self) -> Option<Entry> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        // Decoded successfully in `parse_entries`; an error here cannot
        // happen, and would end the iteration rather than panic.
        read_entry(&mut self.reader).ok()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(usize::from(self.left)))
    }
}

/// Checks `bytes` against `key` and `policy` (see the crate docs for the
/// order of the checks) and returns the manifest, or the first problem.
pub fn verify<'a>(
    bytes: &'a [u8],
    key: &TrustedKey,
    policy: &Policy,
) -> Result<Manifest<'a>, ManifestError> {
    let manifest = check(bytes, Some(key))?;
    let header = manifest.header;
    if let Some(last) = policy.last_version {
        if header.version <= last {
            return Err(ManifestError::NotNewer {
                version: header.version,
                last,
            });
        }
    }
    if header.expires_at <= policy.now_unix {
        return Err(ManifestError::Expired {
            expired_at: header.expires_at,
            now: policy.now_unix,
        });
    }
    Ok(manifest)
}

/// Decodes `bytes` without checking the signature, the version or the
/// expiry: for tools that show what a manifest says. Never use the result
/// to install anything.
pub fn decode_unverified(bytes: &[u8]) -> Result<Manifest<'_>, ManifestError> {
    check(bytes, None)
}

/// Steps 1 to 5 of the crate docs' order, for [`verify`] and
/// [`decode_unverified`] alike: size and framing, then the key id and the
/// signature when there is a `key` to check them against, then the
/// entries.
fn check<'a>(bytes: &'a [u8], key: Option<&TrustedKey>) -> Result<Manifest<'a>, ManifestError> {
    let (header, signed, signature) = frame(bytes)?;
    if let Some(key) = key {
        if header.key_id != key.id {
            return Err(ManifestError::WrongKey {
                found: header.key_id,
                trusted: key.id,
            });
        }
        let sig = Signature::from_bytes(&signature);
        key.key
            .verify_strict(signed, &sig)
            .map_err(|_| ManifestError::BadSignature)?;
    }
    parse_entries(header, signed, signature)
}

/// Size and framing: the header, the signed bytes and the signature.
fn frame(bytes: &[u8]) -> Result<(Header, &[u8], [u8; SIGNATURE_LEN]), ManifestError> {
    if bytes.len() > MAX_MANIFEST_LEN {
        return Err(ManifestError::TooLarge {
            len: bytes.len(),
            max: MAX_MANIFEST_LEN,
        });
    }
    if bytes.len() < MAGIC.len() || bytes[..MAGIC.len()] != MAGIC {
        return Err(ManifestError::BadMagic);
    }
    if bytes.len() < HEADER_LEN + SIGNATURE_LEN {
        return Err(ManifestError::Truncated {
            expected: HEADER_LEN + SIGNATURE_LEN,
            found: bytes.len(),
        });
    }
    let mut reader = Reader::new(bytes, 0);
    reader.skip(MAGIC.len());
    let format = reader.u16().unwrap_or(0);
    if format != FORMAT_VERSION {
        return Err(ManifestError::UnsupportedFormat(format));
    }
    let header = Header {
        entries: reader.u16().unwrap_or(0),
        signed_len: reader.u32().unwrap_or(0),
        key_id: KeyId(reader.array().unwrap_or([0; 8])),
        version: reader.u64().unwrap_or(0),
        issued_at: reader.u64().unwrap_or(0) as i64,
        expires_at: reader.u64().unwrap_or(0) as i64,
    };
    // Before the signature: a count the format cannot hold is refused as
    // what it is, whether or not the signature would have held.
    if usize::from(header.entries) > MAX_ENTRIES {
        return Err(ManifestError::TooManyEntries(header.entries));
    }
    let signed_len = header.signed_len as usize;
    let expected = signed_len.saturating_add(SIGNATURE_LEN);
    if signed_len < HEADER_LEN || expected > MAX_MANIFEST_LEN {
        return Err(ManifestError::BadLength(header.signed_len));
    }
    if bytes.len() < expected {
        return Err(ManifestError::Truncated {
            expected,
            found: bytes.len(),
        });
    }
    if bytes.len() > expected {
        return Err(ManifestError::TrailingBytes {
            expected,
            found: bytes.len(),
        });
    }
    let mut signature = [0; SIGNATURE_LEN];
    signature.copy_from_slice(&bytes[signed_len..]);
    Ok((header, &bytes[..signed_len], signature))
}

/// Decodes and checks every entry of the signed bytes ([`frame`] checked
/// the entry count).
fn parse_entries<'a>(
    header: Header,
    signed: &'a [u8],
    signature: [u8; SIGNATURE_LEN],
) -> Result<Manifest<'a>, ManifestError> {
    let entries = &signed[HEADER_LEN..];
    let mut reader = Reader::new(entries, HEADER_LEN);
    let mut seen: heapless::Vec<u32, MAX_ENTRIES> = heapless::Vec::new();
    let mut graph = DependencyGraph::new();
    for index in 0..header.entries {
        let entry = read_entry(&mut reader).map_err(|problem| ManifestError::BadEntry {
            index,
            offset: problem.offset,
            problem: problem.what,
        })?;
        if seen.contains(&entry.id.0) {
            return Err(ManifestError::DuplicateId(entry.id));
        }
        // `seen` and `graph` hold MAX_ENTRIES and there are at most that
        // many.
        let _ = seen.push(entry.id.0);
        let _ = graph.add(&entry);
    }
    graph
        .queue_order()
        .map_err(ManifestError::DependencyCycle)?;
    if reader.remaining() != 0 {
        return Err(ManifestError::TrailingBytes {
            expected: HEADER_LEN + (entries.len() - reader.remaining()),
            found: signed.len(),
        });
    }
    Ok(Manifest {
        header,
        entries,
        signature,
    })
}

/// Where and why an entry failed to decode.
#[derive(Clone, Copy, Debug)]
struct Problem {
    offset: usize,
    what: &'static str,
}

fn read_entry(reader: &mut Reader<'_>) -> Result<Entry, Problem> {
    let at = reader.offset();
    let fail = |what| Problem { offset: at, what };
    if reader.remaining() < MIN_ENTRY_LEN {
        return Err(fail("entry runs past the end"));
    }
    let id = UpdateId(reader.u32().ok_or(fail("entry runs past the end"))?);
    let name_len = usize::from(reader.u8().ok_or(fail("entry runs past the end"))?);
    if name_len == 0 || name_len > NAME_CAPACITY {
        return Err(fail("name length out of range"));
    }
    let name_bytes = reader
        .take(name_len)
        .ok_or(fail("entry runs past the end"))?;
    if !name_bytes.iter().all(|&b| is_name_byte(b)) {
        return Err(fail("name has a character outside [A-Za-z0-9._+-]"));
    }
    let mut name = UpdateName::new();
    for &byte in name_bytes {
        // Capacity checked above; all bytes are ASCII.
        let _ = name.push(char::from(byte));
    }
    let mut fixed = || {
        reader
            .array::<FIXED_LEN>()
            .ok_or(fail("entry runs past the end"))
    };
    let fixed = fixed()?;
    let mut f = Reader::new(&fixed, 0);
    let kind = *UpdateKind::ALL
        .get(usize::from(f.u8().unwrap_or(u8::MAX)))
        .ok_or(fail("unknown kind"))?;
    let priority = *Priority::ALL
        .get(usize::from(f.u8().unwrap_or(u8::MAX)))
        .ok_or(fail("unknown priority"))?;
    let version = Version::new(
        f.u16().unwrap_or(0),
        f.u16().unwrap_or(0),
        f.u16().unwrap_or(0),
    );
    let flags = f.u8().unwrap_or(u8::MAX);
    if flags & !FLAGS_KNOWN != 0 {
        return Err(fail("unknown flag bits"));
    }
    let estimate_minutes = f.u16().unwrap_or(0);
    if estimate_minutes == 0 || estimate_minutes > MAX_ESTIMATE_MINUTES {
        return Err(fail("estimated duration out of range"));
    }
    let available_after_minutes = f.u32().unwrap_or(u32::MAX);
    if available_after_minutes > MAX_AVAILABLE_AFTER_MINUTES {
        return Err(fail("available-after offset out of range"));
    }
    let payload_size = f.u32().unwrap_or(u32::MAX);
    if payload_size > MAX_PAYLOAD_LEN {
        return Err(fail("payload larger than allowed"));
    }
    let payload_sha256: Digest256 = f.array().unwrap_or([0; 32]);
    let dependency_count = usize::from(f.u8().unwrap_or(u8::MAX));
    if dependency_count > MAX_DEPENDENCIES {
        return Err(fail("too many dependencies"));
    }
    let mut dependencies = heapless::Vec::new();
    for _ in 0..dependency_count {
        let dependency = UpdateId(reader.u32().ok_or(fail("entry runs past the end"))?);
        if dependency == id {
            return Err(fail("depends on itself"));
        }
        if dependencies.contains(&dependency) {
            return Err(fail("lists a dependency twice"));
        }
        // Capacity checked above.
        let _ = dependencies.push(dependency);
    }
    Ok(Entry {
        id,
        name,
        kind,
        priority,
        version,
        needs_reboot: flags & FLAG_REBOOT != 0,
        runs_alone: flags & FLAG_ALONE != 0,
        estimate_minutes,
        available_after_minutes,
        payload_size,
        payload_sha256,
        dependencies,
    })
}

/// Bytes allowed in a component name: they are printed on the console, so
/// no control characters, spaces or escape sequences.
pub const fn is_name_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'+' | b'-')
}

/// A little-endian reader over a byte slice that never panics.
#[derive(Clone, Debug)]
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    /// Offset of `bytes[0]` in the whole manifest, for messages.
    base: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8], base: usize) -> Reader<'a> {
        Reader { bytes, at: 0, base }
    }

    fn offset(&self) -> usize {
        self.base + self.at
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.at
    }

    fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(len)?;
        let taken = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(taken)
    }

    fn skip(&mut self, len: usize) {
        let _ = self.take(len);
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Some(out)
    }

    fn u8(&mut self) -> Option<u8> {
        Some(self.array::<1>()?[0])
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.array()?))
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.array()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.array()?))
    }
}

#[cfg(test)]
mod tests;
