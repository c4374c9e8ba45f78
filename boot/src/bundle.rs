//! Signed bundles: signed manifests and their payloads, packed in the
//! ramdisk container that carries them to the kernel.
//!
//! A bundle is a `boot-config` ramdisk (`UPKEEPRD`) holding one or more
//! [`Tag::MANIFEST`] sections (each a signed `update-manifest` manifest)
//! and [`Tag::PAYLOAD`] sections (an update id, `u32` little-endian, then
//! the payload's bytes). `sign` writes one; `--manifest` reads it and
//! copies its sections, in order, into the image's ramdisk after the
//! config. The bundle is not what is trusted: the kernel checks each
//! manifest's signature and each payload's signed size and SHA-256.
//!
//! This file is also compiled into `boot`'s build script, which signs the
//! example manifest: it uses only `std`, `boot-config` and
//! `update-manifest`.

use std::fmt;

use boot_config::ramdisk::{HEADER_LEN, SECTION_HEADER_LEN};
use boot_config::{Ramdisk, RamdiskError, RamdiskWriter, Tag};
use update_manifest::{
    Entry, KeyId, ManifestWriter, SigningKey, MAX_ENTRIES, MAX_MANIFEST_LEN, MAX_PAYLOAD_LEN,
};
use update_sched::UpdateId;

/// The largest bundle `sign` can write, and so the most `--manifest`
/// reads: the container header, one manifest of at most
/// [`MAX_MANIFEST_LEN`] bytes, and [`MAX_ENTRIES`] payload sections of an
/// update id and at most [`MAX_PAYLOAD_LEN`] bytes each (64 MiB and a
/// little).
pub const MAX_BUNDLE_LEN: usize = HEADER_LEN
    + SECTION_HEADER_LEN
    + MAX_MANIFEST_LEN
    + MAX_ENTRIES * (SECTION_HEADER_LEN + 4 + MAX_PAYLOAD_LEN as usize);

/// One section of a bundle or ramdisk: its tag and bytes.
pub type OwnedSection = (Tag, Vec<u8>);

/// Writes and signs a manifest of `entries`, with this manifest
/// `version`, issue time and expiry (Unix seconds).
pub fn sign_manifest(
    version: u64,
    issued_at: i64,
    expires_at: i64,
    entries: &[Entry],
    key: &SigningKey,
) -> Result<Vec<u8>, update_manifest::EncodeError> {
    let mut out = vec![0; MAX_MANIFEST_LEN];
    let key_id = KeyId::of(&key.verifying_key().to_bytes());
    let mut writer = ManifestWriter::new(&mut out, version, issued_at, expires_at, key_id)?;
    for entry in entries {
        writer.entry(entry)?;
    }
    let len = writer.finish(key)?;
    out.truncate(len);
    Ok(out)
}

/// The contents of a [`Tag::PAYLOAD`] section: `id`, then `payload`.
pub fn payload_section(id: UpdateId, payload: &[u8]) -> Vec<u8> {
    let mut section = Vec::with_capacity(4 + payload.len());
    section.extend_from_slice(&id.0.to_le_bytes());
    section.extend_from_slice(payload);
    section
}

/// Packs `sections`, in order, into a ramdisk container.
pub fn write_container(sections: &[OwnedSection]) -> Result<Vec<u8>, boot_config::EncodeError> {
    let len = sections.iter().fold(HEADER_LEN, |len, (_, bytes)| {
        len.saturating_add(SECTION_HEADER_LEN)
            .saturating_add(bytes.len())
    });
    let mut out = vec![0; len];
    let mut writer = RamdiskWriter::new(&mut out)?;
    for (tag, bytes) in sections {
        writer.section(*tag, bytes)?;
    }
    let written = writer.finish()?;
    out.truncate(written);
    Ok(out)
}

/// Why bytes are not a bundle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BundleError {
    /// Not a well-formed ramdisk container.
    Container(RamdiskError),
    /// A container without a manifest section.
    NoManifest,
    /// A section other than a manifest or a payload (a config, say).
    UnexpectedSection(Tag),
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BundleError::Container(error) => {
                write!(f, "not a signed bundle (made by `boot sign`): {error}")
            }
            BundleError::NoManifest => f.write_str("the bundle holds no MANI (manifest) section"),
            BundleError::UnexpectedSection(tag) => write!(
                f,
                "the bundle holds a {tag} section; a bundle holds only MANI (manifest) and \
                 PAYL (payload) sections"
            ),
        }
    }
}

impl std::error::Error for BundleError {}

/// The sections of a bundle, in order: checks the container and that it
/// holds at least one manifest and nothing but manifests and payloads.
/// Signatures are not checked here: that is the kernel's job.
pub fn read_bundle(bytes: &[u8]) -> Result<Vec<OwnedSection>, BundleError> {
    let ramdisk = Ramdisk::parse(bytes).map_err(BundleError::Container)?;
    let mut sections = Vec::new();
    for section in ramdisk.sections() {
        if section.tag != Tag::MANIFEST && section.tag != Tag::PAYLOAD {
            return Err(BundleError::UnexpectedSection(section.tag));
        }
        sections.push((section.tag, section.bytes.to_vec()));
    }
    if !sections.iter().any(|(tag, _)| *tag == Tag::MANIFEST) {
        return Err(BundleError::NoManifest);
    }
    Ok(sections)
}

#[cfg(test)]
mod tests {
    use super::*;
    use update_manifest::{sha256, Policy, TrustedKey};
    use update_sched::update::{UpdateName, Version};
    use update_sched::{Priority, UpdateKind};

    fn entry(id: u32, payload: &[u8]) -> Entry {
        Entry {
            id: UpdateId(id),
            name: UpdateName::try_from("zlib").unwrap(),
            kind: UpdateKind::Security,
            priority: Priority::Security,
            version: Version::new(1, 2, 3),
            needs_reboot: false,
            runs_alone: false,
            estimate_minutes: 10,
            available_after_minutes: 7,
            payload_size: payload.len() as u32,
            payload_sha256: sha256(payload),
            dependencies: heapless::Vec::new(),
        }
    }

    #[test]
    fn test_signed_bundle_round_trip() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let manifest = sign_manifest(3, 100, 200, &[entry(9, b"zlib")], &key).unwrap();
        let sections = vec![
            (Tag::MANIFEST, manifest.clone()),
            (Tag::PAYLOAD, payload_section(UpdateId(9), b"zlib")),
        ];
        let bundle = write_container(&sections).unwrap();
        assert_eq!(read_bundle(&bundle).unwrap(), sections);
        assert_eq!(&sections[1].1[..4], &9u32.to_le_bytes());
        let trusted = TrustedKey::from_bytes(&key.verifying_key().to_bytes()).unwrap();
        let policy = Policy {
            last_version: Some(2),
            now_unix: 150,
        };
        let verified = update_manifest::verify(&manifest, &trusted, &policy).unwrap();
        assert_eq!(verified.entries().next().unwrap(), entry(9, b"zlib"));
    }

    #[test]
    fn test_read_bundle_refusals() {
        assert!(matches!(
            read_bundle(b"not a bundle"),
            Err(BundleError::Container(_))
        ));
        let payload_only =
            write_container(&[(Tag::PAYLOAD, payload_section(UpdateId(1), b"x"))]).unwrap();
        assert_eq!(read_bundle(&payload_only), Err(BundleError::NoManifest));
        let with_config =
            write_container(&[(Tag::MANIFEST, vec![1]), (Tag::CONFIG, vec![2])]).unwrap();
        let error = read_bundle(&with_config).unwrap_err();
        assert_eq!(error, BundleError::UnexpectedSection(Tag::CONFIG));
        assert!(error.to_string().contains("a CONF section"), "{error}");
        assert_eq!(write_container(&[]).unwrap().len(), HEADER_LEN);
    }
}
