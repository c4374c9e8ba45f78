//! Writing and signing manifests (the host tools' side).

use core::fmt;

use ed25519_dalek::Signer;
pub use ed25519_dalek::SigningKey;

use crate::{
    is_name_byte, Entry, KeyId, FLAG_ALONE, FLAG_REBOOT, FORMAT_VERSION, HEADER_LEN, MAGIC,
    MAX_AVAILABLE_AFTER_MINUTES, MAX_ENTRIES, MAX_ESTIMATE_MINUTES, MAX_MANIFEST_LEN,
    MAX_PAYLOAD_LEN, NAME_CAPACITY, SIGNATURE_LEN,
};

/// Why a manifest could not be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncodeError {
    /// The output buffer is too small.
    BufferTooSmall,
    /// The manifest would exceed [`MAX_MANIFEST_LEN`].
    TooLarge,
    /// More than [`MAX_ENTRIES`] entries.
    TooManyEntries,
    /// An entry field is out of range; the message names it.
    BadEntry(&'static str),
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::BufferTooSmall => f.write_str("output buffer too small"),
            EncodeError::TooLarge => write!(f, "manifest larger than {MAX_MANIFEST_LEN} bytes"),
            EncodeError::TooManyEntries => write!(f, "more than {MAX_ENTRIES} entries"),
            EncodeError::BadEntry(what) => f.write_str(what),
        }
    }
}

impl core::error::Error for EncodeError {}

/// Writes a manifest into a caller's buffer: [`ManifestWriter::new`], one
/// [`ManifestWriter::entry`] per update, then [`ManifestWriter::finish`]
/// to sign it. It refuses everything [`crate::verify`] would refuse.
#[derive(Debug)]
pub struct ManifestWriter<'a> {
    out: &'a mut [u8],
    len: usize,
    entries: u16,
}

impl<'a> ManifestWriter<'a> {
    /// Starts a manifest with this version, issue time and expiry (Unix
    /// seconds), to be signed by the key whose public half has `key_id`.
    pub fn new(
        out: &'a mut [u8],
        version: u64,
        issued_at: i64,
        expires_at: i64,
        key_id: KeyId,
    ) -> Result<ManifestWriter<'a>, EncodeError> {
        if out.len() < HEADER_LEN + SIGNATURE_LEN {
            return Err(EncodeError::BufferTooSmall);
        }
        let mut writer = ManifestWriter {
            out,
            len: 0,
            entries: 0,
        };
        writer.put(&MAGIC)?;
        writer.put(&FORMAT_VERSION.to_le_bytes())?;
        writer.put(&0u16.to_le_bytes())?; // entry count, filled in by finish
        writer.put(&0u32.to_le_bytes())?; // signed length, filled in by finish
        writer.put(&key_id.0)?;
        writer.put(&version.to_le_bytes())?;
        writer.put(&issued_at.to_le_bytes())?;
        writer.put(&expires_at.to_le_bytes())?;
        Ok(writer)
    }

    /// Appends one entry.
    pub fn entry(&mut self, entry: &Entry) -> Result<(), EncodeError> {
        if usize::from(self.entries) == MAX_ENTRIES {
            return Err(EncodeError::TooManyEntries);
        }
        let name = entry.name.as_bytes();
        if name.is_empty() || name.len() > NAME_CAPACITY || !name.iter().all(|&b| is_name_byte(b)) {
            return Err(EncodeError::BadEntry(
                "name must be 1 to 16 characters of [A-Za-z0-9._+-]",
            ));
        }
        if entry.estimate_minutes == 0 || entry.estimate_minutes > MAX_ESTIMATE_MINUTES {
            return Err(EncodeError::BadEntry(
                "estimated duration must be 1 to 1092 minutes",
            ));
        }
        if entry.available_after_minutes > MAX_AVAILABLE_AFTER_MINUTES {
            return Err(EncodeError::BadEntry(
                "available-after offset must be at most 90 days",
            ));
        }
        if entry.payload_size > MAX_PAYLOAD_LEN {
            return Err(EncodeError::BadEntry("payload larger than 1 MiB"));
        }
        if entry.dependencies.contains(&entry.id) {
            return Err(EncodeError::BadEntry("an update cannot depend on itself"));
        }
        if entry
            .dependencies
            .iter()
            .enumerate()
            .any(|(at, dependency)| entry.dependencies[..at].contains(dependency))
        {
            return Err(EncodeError::BadEntry("a dependency is listed twice"));
        }
        let mut flags = 0;
        if entry.needs_reboot {
            flags |= FLAG_REBOOT;
        }
        if entry.runs_alone {
            flags |= FLAG_ALONE;
        }
        let start = self.len;
        let written = (|| {
            self.put(&entry.id.0.to_le_bytes())?;
            self.put(&[name.len() as u8])?;
            self.put(name)?;
            self.put(&[entry.kind as u8, entry.priority as u8])?;
            self.put(&entry.version.major.to_le_bytes())?;
            self.put(&entry.version.minor.to_le_bytes())?;
            self.put(&entry.version.patch.to_le_bytes())?;
            self.put(&[flags])?;
            self.put(&entry.estimate_minutes.to_le_bytes())?;
            self.put(&entry.available_after_minutes.to_le_bytes())?;
            self.put(&entry.payload_size.to_le_bytes())?;
            self.put(&entry.payload_sha256)?;
            self.put(&[entry.dependencies.len() as u8])?;
            for dependency in &entry.dependencies {
                self.put(&dependency.0.to_le_bytes())?;
            }
            Ok(())
        })();
        if let Err(error) = written {
            self.len = start;
            return Err(error);
        }
        self.entries += 1;
        Ok(())
    }

    /// Fills in the header, signs the manifest with `key`, and returns its
    /// length in the buffer.
    pub fn finish(mut self, key: &SigningKey) -> Result<usize, EncodeError> {
        let signed_len = self.len;
        if signed_len + SIGNATURE_LEN > MAX_MANIFEST_LEN {
            return Err(EncodeError::TooLarge);
        }
        self.out[10..12].copy_from_slice(&self.entries.to_le_bytes());
        self.out[12..16].copy_from_slice(&(signed_len as u32).to_le_bytes());
        let signature = sign(&self.out[..signed_len], key);
        self.put(&signature)?;
        Ok(self.len)
    }

    fn put(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        let end = self.len + bytes.len();
        if end + SIGNATURE_LEN > MAX_MANIFEST_LEN + SIGNATURE_LEN {
            return Err(EncodeError::TooLarge);
        }
        let target = self
            .out
            .get_mut(self.len..end)
            .ok_or(EncodeError::BufferTooSmall)?;
        target.copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }
}

/// The Ed25519 signature of `message` by `key`.
pub fn sign(message: &[u8], key: &SigningKey) -> [u8; SIGNATURE_LEN] {
    key.sign(message).to_bytes()
}
