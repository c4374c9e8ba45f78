//! Shared pieces of the update-manifest fuzz targets: the fixed test key,
//! the policy, re-signing, the checks every decoded manifest must pass, and
//! the seed manifests.
//!
//! The checks are properties of the format, not a second copy of the
//! decoder: `verify` is `decode_unverified` plus the key, signature and
//! policy checks; a decoded manifest re-encodes with `ManifestWriter` to the
//! same signed bytes (the format has exactly one encoding); an accepted
//! manifest stops verifying when any one byte changes; and entries turn
//! into scheduler records field for field. Every error met is formatted,
//! since a panic in `Display` is a panic on the kernel's console path.

use std::fmt::Display;
use std::sync::OnceLock;

use update_manifest::{
    decode_unverified, sha256, sign, verify, Entry, EntryError, KeyId, Manifest, ManifestError,
    ManifestWriter, PayloadError, Policy, SigningKey, TrustedKey, FORMAT_VERSION, HEADER_LEN,
    MAGIC, MAX_AVAILABLE_AFTER_MINUTES, MAX_ENTRIES, MAX_ESTIMATE_MINUTES, MAX_MANIFEST_LEN,
    MAX_PAYLOAD_LEN, NAME_CAPACITY, SIGNATURE_LEN,
};
use update_sched::update::{UpdateFlags, UpdateName, Version};
use update_sched::{Duration, Instant, Priority, UpdateId, UpdateKind};

/// The `verify` target: arbitrary bytes through `decode_unverified` and
/// `verify`. Neither may panic, they must agree, and whatever decodes must
/// hold up as the kernel uses it (records, rollback and payload checks,
/// re-encoding, messages). Random bytes rarely carry a valid signature;
/// [`fuzz_signed`] covers what lies behind it.
pub fn fuzz_verify(input: &[u8]) {
    let decoded = decode_unverified(input);
    let verified = verify(input, trusted_key(), &POLICY);
    check_agreement(&decoded, &verified, Signature::Unknown);
    if let Ok(manifest) = &decoded {
        check_entries(manifest, input);
        let signature = match verified {
            // It verified under the fuzzing key, so re-signing must
            // reproduce its signature.
            Ok(_) => Signature::Genuine,
            Err(_) => Signature::Unknown,
        };
        check_round_trip(manifest, input, signature);
    }
}

/// The `signed` target: `signed_part` is the signed part of a manifest,
/// which [`re_sign`] frames and signs, so every input reaches entry parsing
/// in `verify`. `verify` must be exactly `decode_unverified` plus the
/// policy, what decodes must re-encode to the same bytes and hold up as the
/// kernel uses it, and an accepted manifest with any one bit flipped must be
/// refused.
pub fn fuzz_signed(signed_part: &[u8]) {
    let Some(bytes) = re_sign(signed_part) else {
        return;
    };
    let decoded = decode_unverified(&bytes);
    let verified = verify(&bytes, trusted_key(), &POLICY);
    check_agreement(&decoded, &verified, Signature::Genuine);
    if let Ok(manifest) = &decoded {
        check_entries(manifest, &bytes);
        check_round_trip(manifest, &bytes, Signature::Genuine);
    }
    if verified.is_ok() {
        check_tamper_refused(&bytes, signed_part);
    }
}

/// Seed of the fuzzing key pair. A test key: nothing outside the fuzz
/// targets trusts it.
const KEY_SEED: [u8; 32] = [0x5e; 32];

/// The wall clock the targets verify at: the unit tests' `NOW`
/// (2026-11-18), so seeds read like the tests' manifests.
pub const NOW: i64 = 1_795_000_000;

/// The manifest version accepted before the one under test; seeds above it
/// pass the rollback check, seeds at it do not.
pub const LAST_VERSION: u64 = 6;

/// What the targets verify against.
pub const POLICY: Policy = Policy {
    last_version: Some(LAST_VERSION),
    now_unix: NOW,
};

/// The fuzzing signing key.
pub fn signing_key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::from_bytes(&KEY_SEED))
}

/// Its public half, as the kernel would trust it.
pub fn trusted_key() -> &'static TrustedKey {
    static KEY: OnceLock<TrustedKey> = OnceLock::new();
    KEY.get_or_init(|| {
        TrustedKey::from_bytes(&signing_key().verifying_key().to_bytes())
            .expect("the fuzzing key is a valid Ed25519 key")
    })
}

/// Turns `signed_part` into a manifest signed by the fuzzing key: the
/// magic, format version, signed length and key id are set to what framing
/// expects and a genuine signature is appended, so every input gets past
/// framing and the signature and into entry parsing. `None` when it cannot
/// be framed at all: shorter than the header, or too long to sign.
pub fn re_sign(signed_part: &[u8]) -> Option<Vec<u8>> {
    if signed_part.len() < HEADER_LEN || signed_part.len() + SIGNATURE_LEN > MAX_MANIFEST_LEN {
        return None;
    }
    let mut bytes = signed_part.to_vec();
    bytes[..8].copy_from_slice(&MAGIC);
    bytes[8..10].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes[12..16].copy_from_slice(&(signed_part.len() as u32).to_le_bytes());
    bytes[16..24].copy_from_slice(&trusted_key().id().0);
    let signature = sign(&bytes, signing_key());
    bytes.extend_from_slice(&signature);
    Some(bytes)
}

/// Formats `value` with `Display`: it must not panic and must say
/// something.
fn show(value: &impl Display) {
    assert!(!value.to_string().is_empty(), "a message prints as nothing");
}

/// What the rollback and expiry checks of [`POLICY`] say about a manifest
/// that decoded.
fn policy_verdict(manifest: &Manifest<'_>) -> Result<(), ManifestError> {
    if let Some(last) = POLICY.last_version {
        if manifest.version() <= last {
            return Err(ManifestError::NotNewer {
                version: manifest.version(),
                last,
            });
        }
    }
    if manifest.expires_at() <= POLICY.now_unix {
        return Err(ManifestError::Expired {
            expired_at: manifest.expires_at(),
            now: POLICY.now_unix,
        });
    }
    Ok(())
}

/// Whether the signature of the bytes under test is known to be the
/// fuzzing key's genuine one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Signature {
    /// Made by [`re_sign`]: `verify` may not refuse the key or signature.
    Genuine,
    /// Arbitrary bytes: `verify` may also refuse the key or signature.
    Unknown,
}

/// `verify` must say what `decode_unverified` says, followed by the
/// policy's verdict; only the key and signature checks may refuse in
/// between, and not when the signature is genuine.
fn check_agreement(
    decoded: &Result<Manifest<'_>, ManifestError>,
    verified: &Result<Manifest<'_>, ManifestError>,
    signature: Signature,
) {
    for error in [decoded, verified]
        .into_iter()
        .filter_map(|r| r.as_ref().err())
    {
        show(error);
    }
    if let Err(error) = verified {
        match *error {
            ManifestError::WrongKey { found, trusted } if signature == Signature::Unknown => {
                assert_ne!(found, trusted, "WrongKey for the trusted key itself");
                assert_eq!(trusted, trusted_key().id());
                return;
            }
            ManifestError::BadSignature if signature == Signature::Unknown => return,
            _ => {}
        }
    }
    match decoded {
        Err(error) => {
            assert_eq!(
                verified.as_ref().err(),
                Some(error),
                "verify and decode_unverified disagree"
            );
        }
        Ok(manifest) => match (policy_verdict(manifest), verified) {
            (Ok(()), Ok(accepted)) => {
                assert_eq!(accepted.header(), manifest.header());
                assert_eq!(accepted.signature(), manifest.signature());
                assert!(accepted.entries().eq(manifest.entries()));
            }
            (expected, verified) => assert_eq!(
                expected.err(),
                verified.as_ref().err().copied(),
                "verify does not apply the policy to what decodes"
            ),
        },
    }
}

/// Everything the kernel does with a decoded manifest's entries, on values
/// taken from `input`: records, rollback checks and payload checks.
fn check_entries(manifest: &Manifest<'_>, input: &[u8]) {
    assert!(manifest.len() <= MAX_ENTRIES);
    show(&manifest.header().key_id);
    let mut count = 0;
    for entry in manifest.entries() {
        count += 1;
        check_fields(&entry);
        check_record(&entry);
        check_versions(&entry, input);
        check_payloads(&entry, input);
    }
    assert_eq!(
        count,
        manifest.len(),
        "entries() yields a different number of entries than the header counts"
    );
}

/// The ranges the decoder promises.
fn check_fields(entry: &Entry) {
    let name = entry.name.as_bytes();
    assert!((1..=NAME_CAPACITY).contains(&name.len()));
    assert!(name.iter().all(|&b| update_manifest::is_name_byte(b)));
    assert!((1..=MAX_ESTIMATE_MINUTES).contains(&entry.estimate_minutes));
    assert!(entry.available_after_minutes <= MAX_AVAILABLE_AFTER_MINUTES);
    assert!(entry.payload_size <= MAX_PAYLOAD_LEN);
    assert!(!entry.dependencies.contains(&entry.id));
    show(&entry.version);
    show(&entry.id);
}

/// The scheduler's record carries every field of the entry.
fn check_record(entry: &Entry) {
    let available_at = Instant::from_secs(u64::from(entry.available_after_minutes) * 60);
    let record = entry.record(available_at);
    assert_eq!(record.id, entry.id);
    assert_eq!(record.name, entry.name);
    assert_eq!(record.kind, entry.kind);
    assert_eq!(record.priority, entry.priority);
    assert_eq!(record.version, entry.version);
    assert_eq!(
        record.estimated_duration,
        Duration::from_minutes(u64::from(entry.estimate_minutes))
    );
    assert_eq!(record.available_at, available_at);
    assert_eq!(record.dependencies, entry.dependencies);
    let mut flags = UpdateFlags::empty();
    flags.set(UpdateFlags::NEEDS_REBOOT, entry.needs_reboot);
    flags.set(UpdateFlags::EXCLUSIVE, entry.runs_alone);
    assert_eq!(record.flags, flags);
}

/// Anti-rollback against no installed version, the entry's own version, and
/// a version read from the input's last six bytes.
fn check_versions(entry: &Entry, input: &[u8]) {
    assert_eq!(entry.check_version(None), Ok(()));
    let own = entry.check_version(Some(entry.version));
    assert_eq!(
        own,
        Err(EntryError::NotNewer {
            version: entry.version,
            installed: entry.version
        })
    );
    if let Err(error) = own {
        show(&error);
    }
    if let Some(tail) = input.len().checked_sub(6).map(|start| &input[start..]) {
        let installed = Version::new(
            u16::from_le_bytes([tail[0], tail[1]]),
            u16::from_le_bytes([tail[2], tail[3]]),
            u16::from_le_bytes([tail[4], tail[5]]),
        );
        let verdict = entry.check_version(Some(installed));
        assert_eq!(verdict.is_ok(), entry.version > installed);
        if let Err(error) = verdict {
            show(&error);
        }
    }
}

/// Payload checks on the empty slice, the whole input, and its prefix of
/// the entry's declared size.
fn check_payloads(entry: &Entry, input: &[u8]) {
    let declared = usize::try_from(entry.payload_size).unwrap_or(usize::MAX);
    let prefix = &input[..declared.min(input.len())];
    for payload in [&[][..], input, prefix] {
        let verdict = entry.check_payload(payload);
        match verdict {
            Ok(()) => {
                assert_eq!(payload.len(), declared);
                assert_eq!(sha256(payload), entry.payload_sha256);
            }
            Err(PayloadError::SizeMismatch { expected, found }) => {
                assert_eq!((expected, found), (entry.payload_size, payload.len()));
                assert_ne!(found, declared);
            }
            Err(PayloadError::DigestMismatch { expected, found }) => {
                assert_eq!(payload.len(), declared);
                assert_eq!(expected, entry.payload_sha256);
                assert_eq!(found, sha256(payload));
                assert_ne!(expected, found);
            }
            Err(PayloadError::Missing) => panic!("check_payload reports a present payload missing"),
        }
        if let Err(error) = verdict {
            show(&error);
        }
    }
}

/// The format has one encoding: writing a decoded manifest's header fields
/// and entries again gives its signed bytes back, and, when it was signed
/// by the fuzzing key, its signature too (Ed25519 signing is
/// deterministic). Entry ids are unique, which the writer does not check.
fn check_round_trip(manifest: &Manifest<'_>, bytes: &[u8], signature: Signature) {
    let header = manifest.header();
    let mut out = vec![0; MAX_MANIFEST_LEN];
    let mut writer = ManifestWriter::new(
        &mut out,
        header.version,
        header.issued_at,
        header.expires_at,
        header.key_id,
    )
    .expect("a whole manifest buffer fits a header");
    let mut ids: Vec<UpdateId> = Vec::new();
    for (index, entry) in manifest.entries().enumerate() {
        assert!(!ids.contains(&entry.id), "entry {index} repeats an id");
        ids.push(entry.id);
        if let Err(error) = writer.entry(&entry) {
            panic!("the writer refuses decoded entry {index}: {error}");
        }
    }
    let len = writer
        .finish(signing_key())
        .unwrap_or_else(|error| panic!("the writer refuses a decoded manifest: {error}"));
    let signed_len = header.signed_len as usize;
    assert_eq!(len, bytes.len(), "re-encoding changed the length");
    assert_eq!(
        out[..signed_len],
        bytes[..signed_len],
        "re-encoding changed the signed bytes"
    );
    if signature == Signature::Genuine {
        assert_eq!(out[..len], bytes[..], "re-signing changed the signature");
    }
}

/// An accepted manifest with one byte changed, anywhere in it, is refused:
/// the signature covers every byte before it and itself admits no other
/// form. `choice` picks the byte and the change.
fn check_tamper_refused(bytes: &[u8], choice: &[u8]) {
    let sum = choice.iter().fold(0usize, |sum, &b| {
        sum.wrapping_mul(31).wrapping_add(usize::from(b))
    });
    let mut tampered = bytes.to_vec();
    let at = sum % tampered.len();
    tampered[at] ^= 1 << (sum % 8);
    let verdict = verify(&tampered, trusted_key(), &POLICY);
    assert!(
        verdict.is_err(),
        "accepted after flipping bit {} of byte {at}",
        sum % 8
    );
    if let Err(error) = verdict {
        show(&error);
    }
    // Decoding the tampered bytes must not panic either.
    if let Err(error) = decode_unverified(&tampered) {
        show(&error);
    }
}

/// A few valid signed manifests, named: no entries, a payload-less entry,
/// every kind, priority and flag, every field at its limit, the most
/// entries, one at the last accepted version and one expired.
pub fn seed_manifests() -> Vec<(&'static str, Vec<u8>)> {
    let version = LAST_VERSION + 1;
    let expires = NOW + 7 * 24 * 3600;
    let mut seeds = vec![
        ("empty", build(version, expires, &[])),
        (
            "no-payload",
            build(version, expires, &[entry(1, "openssl", b"")]),
        ),
    ];

    let mut varied = Vec::new();
    for (index, (&kind, &priority)) in UpdateKind::ALL.iter().zip(&Priority::ALL).enumerate() {
        let id = index as u32 + 10;
        let mut e = entry(id, "component", b"payload bytes");
        e.kind = kind;
        e.priority = priority;
        e.needs_reboot = index % 2 == 0;
        e.runs_alone = index % 3 == 0;
        if index > 0 {
            e.dependencies.push(UpdateId(id - 1)).expect("room for one");
        }
        if index > 1 {
            e.dependencies.push(UpdateId(id - 2)).expect("room for two");
        }
        varied.push(e);
    }
    seeds.push(("every-kind", build(version, expires, &varied)));

    let mut limits = entry(u32::MAX, "Az09._+-Az09._+-", b"");
    limits.version = Version::new(u16::MAX, u16::MAX, u16::MAX);
    limits.estimate_minutes = MAX_ESTIMATE_MINUTES;
    limits.available_after_minutes = MAX_AVAILABLE_AFTER_MINUTES;
    limits.payload_size = MAX_PAYLOAD_LEN;
    limits.needs_reboot = true;
    limits.runs_alone = true;
    limits.dependencies.push(UpdateId(0)).expect("room for one");
    limits.dependencies.push(UpdateId(1)).expect("room for two");
    let mut smallest = entry(0, "a", b"x");
    smallest.version = Version::new(0, 0, 0);
    smallest.estimate_minutes = 1;
    smallest.available_after_minutes = 0;
    seeds.push(("limits", build(u64::MAX, i64::MAX, &[limits, smallest])));

    let most: Vec<Entry> = (0..MAX_ENTRIES as u32)
        .map(|id| entry(id, "bulk", &id.to_le_bytes()))
        .collect();
    seeds.push(("most-entries", build(version, expires, &most)));

    let one = [entry(1, "openssl", b"payload one")];
    seeds.push(("replayed", build(LAST_VERSION, expires, &one)));
    seeds.push(("expired", build(version, NOW, &one)));
    seeds
}

fn entry(id: u32, name: &str, payload: &[u8]) -> Entry {
    Entry {
        id: UpdateId(id),
        name: UpdateName::try_from(name).expect("seed names fit"),
        kind: UpdateKind::Security,
        priority: Priority::Security,
        version: Version::new(3, 0, id as u16),
        needs_reboot: false,
        runs_alone: false,
        estimate_minutes: 20,
        available_after_minutes: 60,
        payload_size: payload.len() as u32,
        payload_sha256: sha256(payload),
        dependencies: Default::default(),
    }
}

fn build(version: u64, expires_at: i64, entries: &[Entry]) -> Vec<u8> {
    let mut out = vec![0; MAX_MANIFEST_LEN];
    let key_id: KeyId = trusted_key().id();
    let mut writer = ManifestWriter::new(&mut out, version, NOW - 60, expires_at, key_id)
        .expect("a whole manifest buffer fits a header");
    for e in entries {
        writer.entry(e).expect("seed entries are valid");
    }
    let len = writer.finish(signing_key()).expect("seeds fit");
    out.truncate(len);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_seeds_pass_every_check() {
        for (name, bytes) in seed_manifests() {
            let accepted = verify(&bytes, trusted_key(), &POLICY).is_ok();
            assert_eq!(
                accepted,
                !matches!(name, "replayed" | "expired"),
                "seed {name}"
            );
            fuzz_verify(&bytes);
            fuzz_signed(&bytes[..bytes.len() - SIGNATURE_LEN]);
        }
    }

    #[test]
    fn test_re_sign_keeps_a_signed_part_that_is_already_framed() {
        for (name, bytes) in seed_manifests() {
            let signed_part = &bytes[..bytes.len() - SIGNATURE_LEN];
            assert_eq!(re_sign(signed_part), Some(bytes.clone()), "seed {name}");
        }
    }

    #[test]
    fn test_re_sign_refuses_what_cannot_be_framed() {
        assert_eq!(re_sign(&[0; HEADER_LEN - 1]), None);
        assert_eq!(re_sign(&[0; MAX_MANIFEST_LEN - SIGNATURE_LEN + 1]), None);
        assert!(re_sign(&[0; MAX_MANIFEST_LEN - SIGNATURE_LEN]).is_some());
    }
}
