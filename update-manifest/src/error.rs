//! Why a manifest, an entry or a payload was refused.

use core::fmt;

use update_sched::update::Version;
use update_sched::UpdateId;

use crate::{DependencyCycle, Digest256, Hex, KeyId};

/// Why a whole manifest was refused. Each variant prints as the reason on a
/// `manifest rejected:` line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ManifestError {
    /// Larger than [`crate::MAX_MANIFEST_LEN`]: endless data.
    TooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Does not start with the manifest magic.
    BadMagic,
    /// A format version this kernel does not read.
    UnsupportedFormat(u16),
    /// The header's signed length is impossible.
    BadLength(u32),
    /// Fewer bytes than the header says.
    Truncated {
        /// Bytes the header (or the minimum) calls for.
        expected: usize,
        /// Bytes present.
        found: usize,
    },
    /// More bytes than the header says.
    TrailingBytes {
        /// Bytes the header calls for.
        expected: usize,
        /// Bytes present.
        found: usize,
    },
    /// Signed by a key other than the trusted one.
    WrongKey {
        /// The key id in the manifest.
        found: KeyId,
        /// The trusted key's id.
        trusted: KeyId,
    },
    /// The signature does not verify: the bytes were changed after signing.
    BadSignature,
    /// More entries than [`crate::MAX_ENTRIES`].
    TooManyEntries(u16),
    /// An entry is malformed.
    BadEntry {
        /// Its index in the manifest.
        index: u16,
        /// Byte offset of its start.
        offset: usize,
        /// What is wrong.
        problem: &'static str,
    },
    /// Two entries share an update id.
    DuplicateId(UpdateId),
    /// Entries depend on each other in a cycle, so none can ever install.
    DependencyCycle(DependencyCycle),
    /// Its version is not above the last accepted: a replay or rollback.
    NotNewer {
        /// Its manifest version.
        version: u64,
        /// The last accepted manifest version.
        last: u64,
    },
    /// Expired: a frozen or stale view of the updates.
    Expired {
        /// When it expired, Unix seconds.
        expired_at: i64,
        /// The wall clock, Unix seconds.
        now: i64,
    },
    /// The trusted key itself is not a usable Ed25519 public key.
    BadTrustedKey,
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ManifestError::TooLarge { len, max } => {
                write!(f, "too large: {len} bytes, at most {max} allowed")
            }
            ManifestError::BadMagic => f.write_str("not a manifest (bad magic)"),
            ManifestError::UnsupportedFormat(format) => {
                write!(f, "unsupported format version {format}")
            }
            ManifestError::BadLength(len) => write!(f, "impossible signed length {len}"),
            ManifestError::Truncated { expected, found } => {
                write!(f, "truncated: {found} of {expected} bytes present")
            }
            ManifestError::TrailingBytes { expected, found } => {
                write!(
                    f,
                    "{} trailing bytes after the {expected} expected",
                    found - expected
                )
            }
            ManifestError::WrongKey { found, trusted } => {
                write!(
                    f,
                    "signed by untrusted key {found} (trusted key is {trusted})"
                )
            }
            ManifestError::BadSignature => {
                f.write_str("bad signature: contents changed after signing")
            }
            ManifestError::TooManyEntries(count) => {
                write!(f, "{count} entries, at most {} allowed", crate::MAX_ENTRIES)
            }
            ManifestError::BadEntry {
                index,
                offset,
                problem,
            } => write!(f, "entry {index} at byte {offset}: {problem}"),
            ManifestError::DuplicateId(id) => write!(f, "update {id} listed twice"),
            ManifestError::DependencyCycle(cycle) => cycle.fmt(f),
            ManifestError::NotNewer { version, last } => write!(
                f,
                "version {version} is not newer than accepted version {last} (replay or rollback)"
            ),
            ManifestError::Expired { expired_at, now } => write!(
                f,
                "expired {} ago (expires_at={expired_at}, now={now})",
                Ago(now.saturating_sub(expired_at))
            ),
            ManifestError::BadTrustedKey => {
                f.write_str("the kernel's trusted key is not a valid Ed25519 key")
            }
        }
    }
}

impl core::error::Error for ManifestError {}

/// Seconds as the largest whole unit, for messages.
struct Ago(i64);

impl fmt::Display for Ago {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0.max(0);
        match s {
            0..=119 => write!(f, "{s}s"),
            120..=7199 => write!(f, "{}m", s / 60),
            7200..=172_799 => write!(f, "{}h", s / 3600),
            _ => write!(f, "{}d", s / 86_400),
        }
    }
}

/// Why one entry of an accepted manifest was refused. Prints as the reason
/// on an `update rejected:` line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryError {
    /// Its version is not newer than the one installed or already accepted.
    NotNewer {
        /// The entry's version.
        version: Version,
        /// The version installed or accepted.
        installed: Version,
    },
}

impl fmt::Display for EntryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryError::NotNewer { version, installed } => write!(
                f,
                "version {version} is not newer than {installed} (rollback)"
            ),
        }
    }
}

impl core::error::Error for EntryError {}

/// Why a payload does not match its entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PayloadError {
    /// No payload for the update was delivered.
    Missing,
    /// Its size differs from the signed size.
    SizeMismatch {
        /// The signed size.
        expected: u32,
        /// The payload's size.
        found: usize,
    },
    /// Its SHA-256 differs from the signed digest.
    DigestMismatch {
        /// The signed digest.
        expected: Digest256,
        /// The payload's digest.
        found: Digest256,
    },
}

impl PayloadError {
    /// A short fixed reason, for places that keep only a `&'static str`
    /// (such as the scheduler's failure reason).
    pub const fn reason(&self) -> &'static str {
        match self {
            PayloadError::Missing => "payload missing",
            PayloadError::SizeMismatch { .. } => "payload size differs from the signed size",
            PayloadError::DigestMismatch { .. } => "payload sha256 differs from the signed digest",
        }
    }
}

impl fmt::Display for PayloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PayloadError::Missing => f.write_str("payload missing"),
            PayloadError::SizeMismatch { expected, found } => {
                write!(f, "payload is {found} bytes, signed size is {expected}")
            }
            PayloadError::DigestMismatch { expected, found } => write!(
                f,
                "payload sha256 {}.. does not match signed {}..",
                Hex(&found[..8]),
                Hex(&expected[..8])
            ),
        }
    }
}

impl core::error::Error for PayloadError {}
