//! Unit tests: round trips and every refusal.

use super::*;
use crate::encode::SigningKey;

const NOW: i64 = 1_795_000_000;

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn trusted(key: &SigningKey) -> TrustedKey {
    TrustedKey::from_bytes(&key.verifying_key().to_bytes()).unwrap()
}

fn key_id(key: &SigningKey) -> KeyId {
    KeyId::of(&key.verifying_key().to_bytes())
}

fn entry(id: u32, name: &str, payload: &[u8]) -> Entry {
    Entry {
        id: UpdateId(id),
        name: UpdateName::try_from(name).unwrap(),
        kind: UpdateKind::Security,
        priority: Priority::Security,
        version: Version::new(3, 0, id as u16),
        needs_reboot: id.is_multiple_of(2),
        runs_alone: false,
        estimate_minutes: 20,
        available_after_minutes: id * 60,
        payload_size: payload.len() as u32,
        payload_sha256: sha256(payload),
        dependencies: heapless::Vec::new(),
    }
}

fn build(version: u64, expires_at: i64, entries: &[Entry], signer: &SigningKey) -> Vec<u8> {
    let mut out = vec![0; MAX_MANIFEST_LEN];
    let mut writer =
        ManifestWriter::new(&mut out, version, NOW - 60, expires_at, key_id(signer)).unwrap();
    for e in entries {
        writer.entry(e).unwrap();
    }
    let len = writer.finish(signer).unwrap();
    out.truncate(len);
    out
}

fn policy(last: Option<u64>) -> Policy {
    Policy {
        last_version: last,
        now_unix: NOW,
    }
}

#[test]
fn test_round_trip_keeps_every_field() {
    let signer = key(1);
    let mut second = entry(2, "linux", b"kernel image");
    second.dependencies.push(UpdateId(1)).unwrap();
    second.runs_alone = true;
    second.priority = Priority::Critical;
    second.kind = UpdateKind::Kernel;
    let entries = [entry(1, "openssl", b"payload one"), second];
    let bytes = build(7, NOW + 3600, &entries, &signer);
    let manifest = verify(&bytes, &trusted(&signer), &policy(Some(6))).unwrap();
    assert_eq!(manifest.version(), 7);
    assert_eq!(manifest.expires_at(), NOW + 3600);
    assert_eq!(manifest.header().issued_at, NOW - 60);
    assert_eq!(manifest.len(), 2);
    let decoded: Vec<Entry> = manifest.entries().collect();
    assert_eq!(decoded, entries);
}

#[test]
fn test_record_carries_flags_and_dependencies() {
    let mut e = entry(4, "gpu-driver", b"x");
    e.runs_alone = true;
    e.dependencies.push(UpdateId(3)).unwrap();
    let record = e.record(Instant::from_secs(60));
    assert!(record.flags.contains(UpdateFlags::NEEDS_REBOOT));
    assert!(record.flags.contains(UpdateFlags::EXCLUSIVE));
    assert_eq!(record.dependencies.as_slice(), &[UpdateId(3)]);
    assert_eq!(record.available_at, Instant::from_secs(60));
    assert_eq!(record.estimated_duration, Duration::from_minutes(20));
    assert_eq!(record.version, Version::new(3, 0, 4));
}

#[test]
fn test_empty_manifest_is_valid() {
    let signer = key(1);
    let bytes = build(1, NOW + 1, &[], &signer);
    let manifest = verify(&bytes, &trusted(&signer), &policy(None)).unwrap();
    assert!(manifest.is_empty());
    assert_eq!(manifest.entries().count(), 0);
}

#[test]
fn test_other_key_is_refused_by_id() {
    let bytes = build(1, NOW + 60, &[entry(1, "a", b"")], &key(2));
    let error = verify(&bytes, &trusted(&key(1)), &policy(None)).unwrap_err();
    assert_eq!(
        error,
        ManifestError::WrongKey {
            found: key_id(&key(2)),
            trusted: key_id(&key(1)),
        }
    );
    assert!(error.to_string().starts_with("signed by untrusted key"));
}

#[test]
fn test_other_key_claiming_trusted_id_fails_signature() {
    // A forger who copies the trusted key's id still cannot sign.
    let forger = key(2);
    let mut out = vec![0; MAX_MANIFEST_LEN];
    let writer = ManifestWriter::new(&mut out, 1, NOW, NOW + 60, key_id(&key(1))).unwrap();
    let len = writer.finish(&forger).unwrap();
    let error = verify(&out[..len], &trusted(&key(1)), &policy(None)).unwrap_err();
    assert_eq!(error, ManifestError::BadSignature);
}

#[test]
fn test_every_byte_changed_is_refused() {
    let signer = key(1);
    let bytes = build(5, NOW + 60, &[entry(1, "zlib", b"zz")], &signer);
    for at in 0..bytes.len() {
        let mut tampered = bytes.clone();
        tampered[at] ^= 0x01;
        assert!(
            verify(&tampered, &trusted(&signer), &policy(None)).is_err(),
            "flip at byte {at} accepted"
        );
    }
}

#[test]
fn test_replay_and_rollback_are_refused() {
    let signer = key(1);
    let bytes = build(5, NOW + 60, &[], &signer);
    for last in [5, 6, u64::MAX] {
        assert_eq!(
            verify(&bytes, &trusted(&signer), &policy(Some(last))).unwrap_err(),
            ManifestError::NotNewer { version: 5, last }
        );
    }
    assert!(verify(&bytes, &trusted(&signer), &policy(Some(4))).is_ok());
}

#[test]
fn test_expired_is_refused_at_and_after_expiry() {
    let signer = key(1);
    for expires_at in [NOW, NOW - 1, i64::MIN] {
        let bytes = build(1, expires_at, &[], &signer);
        let error = verify(&bytes, &trusted(&signer), &policy(None)).unwrap_err();
        assert!(matches!(error, ManifestError::Expired { .. }), "{error}");
    }
    let bytes = build(1, NOW - 7200, &[], &signer);
    let error = verify(&bytes, &trusted(&signer), &policy(None)).unwrap_err();
    assert!(error.to_string().starts_with("expired 2h ago"), "{error}");
}

#[test]
fn test_size_limits() {
    let signer = key(1);
    let big = vec![0u8; MAX_MANIFEST_LEN + 1];
    assert_eq!(
        verify(&big, &trusted(&signer), &policy(None)).unwrap_err(),
        ManifestError::TooLarge {
            len: MAX_MANIFEST_LEN + 1,
            max: MAX_MANIFEST_LEN
        }
    );
    let bytes = build(1, NOW + 60, &[entry(1, "a", b"")], &signer);
    for cut in [0, 7, 8, HEADER_LEN, bytes.len() - 1] {
        let error = verify(&bytes[..cut], &trusted(&signer), &policy(None)).unwrap_err();
        assert!(
            matches!(
                error,
                ManifestError::Truncated { .. } | ManifestError::BadMagic
            ),
            "cut {cut}: {error}"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(
        verify(&longer, &trusted(&signer), &policy(None)).unwrap_err(),
        ManifestError::TrailingBytes { .. }
    ));
}

#[test]
fn test_writer_refuses_what_reader_refuses() {
    let signer = key(1);
    let mut out = vec![0; MAX_MANIFEST_LEN];
    let mut writer = ManifestWriter::new(&mut out, 1, NOW, NOW + 60, key_id(&signer)).unwrap();
    let mut bad = entry(1, "ok", b"");
    bad.estimate_minutes = 0;
    assert!(writer.entry(&bad).is_err());
    let mut bad = entry(1, "ok", b"");
    bad.name = UpdateName::try_from("bad name").unwrap();
    assert!(writer.entry(&bad).is_err());
    let mut bad = entry(1, "ok", b"");
    bad.dependencies.push(UpdateId(1)).unwrap();
    assert!(writer.entry(&bad).is_err());
    let mut bad = entry(1, "ok", b"");
    bad.dependencies.push(UpdateId(2)).unwrap();
    bad.dependencies.push(UpdateId(2)).unwrap();
    assert!(writer.entry(&bad).is_err());
    for id in 0..MAX_ENTRIES as u32 {
        writer.entry(&entry(id, "fill", b"")).unwrap();
    }
    assert_eq!(
        writer.entry(&entry(999, "over", b"")),
        Err(EncodeError::TooManyEntries)
    );
    let len = writer.finish(&signer).unwrap();
    assert!(len <= MAX_MANIFEST_LEN);
    assert_eq!(
        verify(&out[..len], &trusted(&signer), &policy(None))
            .unwrap()
            .len(),
        MAX_ENTRIES
    );
}

#[test]
fn test_duplicate_ids_are_refused_even_when_signed() {
    let signer = key(1);
    let bytes = build(
        1,
        NOW + 60,
        &[entry(3, "a", b""), entry(3, "b", b"")],
        &signer,
    );
    assert_eq!(
        verify(&bytes, &trusted(&signer), &policy(None)).unwrap_err(),
        ManifestError::DuplicateId(UpdateId(3))
    );
}

#[test]
fn test_dependency_cycle_is_refused_naming_it_even_when_signed() {
    let signer = key(1);
    let mut first = entry(1, "a", b"");
    first.dependencies.push(UpdateId(2)).unwrap();
    let mut second = entry(2, "b", b"");
    second.dependencies.push(UpdateId(1)).unwrap();
    let bytes = build(1, NOW + 60, &[first, second], &signer);
    let error = verify(&bytes, &trusted(&signer), &policy(None)).unwrap_err();
    assert_eq!(error.to_string(), "dependency cycle #1 -> #2 -> #1");
    assert!(matches!(
        decode_unverified(&bytes),
        Err(ManifestError::DependencyCycle(_))
    ));
}

#[test]
fn test_entry_depending_on_a_later_entry_is_queued_after_it() {
    let signer = key(1);
    let mut first = entry(1, "a", b"");
    first.dependencies.push(UpdateId(3)).unwrap();
    let mut second = entry(2, "b", b"");
    second.dependencies.push(UpdateId(1)).unwrap();
    let bytes = build(1, NOW + 60, &[first, second, entry(3, "c", b"")], &signer);
    let manifest = verify(&bytes, &trusted(&signer), &policy(None)).unwrap();
    let order: Vec<usize> = manifest.queue_order().indices().collect();
    assert_eq!(order, [2, 0, 1]);
}

#[test]
fn test_signed_garbage_entry_is_refused_with_its_offset() {
    // The key holder signs bytes that are not a valid entry: the signature
    // holds, the entry check still refuses it.
    let signer = key(1);
    let mut bytes = build(1, NOW + 60, &[entry(1, "abc", b"")], &signer);
    let kind_at = HEADER_LEN + 4 + 1 + 3;
    bytes[kind_at] = 9;
    let signed_len = bytes.len() - SIGNATURE_LEN;
    let signature = sign(&bytes[..signed_len], &signer);
    bytes[signed_len..].copy_from_slice(&signature);
    let error = verify(&bytes, &trusted(&signer), &policy(None)).unwrap_err();
    assert_eq!(
        error,
        ManifestError::BadEntry {
            index: 0,
            offset: HEADER_LEN,
            problem: "unknown kind"
        }
    );
}

#[test]
fn test_signed_entry_listing_a_dependency_twice_is_refused() {
    // `sign` and the console refuse `needs=2,2`; a manifest signed by
    // other means that lists it is refused too.
    let signer = key(1);
    let mut only = entry(1, "abc", b"");
    only.dependencies.push(UpdateId(2)).unwrap();
    only.dependencies.push(UpdateId(3)).unwrap();
    let mut bytes = build(1, NOW + 60, &[only], &signer);
    let signed_len = bytes.len() - SIGNATURE_LEN;
    // The entry's last four bytes are its second dependency.
    bytes[signed_len - 4..signed_len].copy_from_slice(&2u32.to_le_bytes());
    let signature = sign(&bytes[..signed_len], &signer);
    bytes[signed_len..].copy_from_slice(&signature);
    let error = verify(&bytes, &trusted(&signer), &policy(None)).unwrap_err();
    assert!(
        matches!(
            error,
            ManifestError::BadEntry {
                index: 0,
                problem: "lists a dependency twice",
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn test_payload_checks() {
    let e = entry(1, "openssl", b"the payload");
    assert_eq!(e.check_payload(b"the payload"), Ok(()));
    assert!(matches!(
        e.check_payload(b"the payloaD"),
        Err(PayloadError::DigestMismatch { .. })
    ));
    assert_eq!(
        e.check_payload(b"short"),
        Err(PayloadError::SizeMismatch {
            expected: 11,
            found: 5
        })
    );
}

#[test]
fn test_version_check_is_strictly_newer() {
    let e = entry(5, "curl", b"");
    assert_eq!(e.check_version(None), Ok(()));
    assert_eq!(e.check_version(Some(Version::new(3, 0, 4))), Ok(()));
    assert!(e.check_version(Some(Version::new(3, 0, 5))).is_err());
    assert!(e.check_version(Some(Version::new(4, 0, 0))).is_err());
}

#[test]
fn test_sha256_known_answer() {
    // FIPS 180-2 example "abc".
    assert_eq!(
        Hex(&sha256(b"abc")).to_string(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn test_weak_trusted_key_is_refused() {
    // The identity point is a small-order key.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    assert_eq!(
        TrustedKey::from_bytes(&identity).unwrap_err(),
        ManifestError::BadTrustedKey
    );
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Any single-bit flip anywhere in a signed manifest is refused.
        #[test]
        fn prop_single_bit_flip_is_refused(
            count in 0usize..6,
            seed in any::<u8>(),
            bit in any::<prop::sample::Index>(),
        ) {
            let signer = key(seed);
            let entries: Vec<Entry> = (0..count as u32)
                .map(|i| entry(i + 1, "pkg", &[seed; 3]))
                .collect();
            let bytes = build(u64::from(seed) + 1, NOW + 60, &entries, &signer);
            let bit = bit.index(bytes.len() * 8);
            let mut flipped = bytes.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(verify(&flipped, &trusted(&signer), &policy(None)).is_err());
            prop_assert!(verify(&bytes, &trusted(&signer), &policy(None)).is_ok());
        }

        /// Arbitrary bytes never panic the decoder or the verifier.
        #[test]
        fn prop_arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
            let _ = decode_unverified(&bytes);
            prop_assert!(verify(&bytes, &trusted(&key(1)), &policy(None)).is_err());
        }
    }
}

#[test]
fn test_changed_entry_count_is_reported_alike_by_verify_and_decode_unverified() {
    let signer = key(1);
    let bytes = build(5, NOW + 60, &[entry(1, "zlib", b"zz")], &signer);
    // The count beyond the format's limit is a framing problem, found
    // before the signature: the same answer with or without the key.
    for count in [65u16, 254, u16::MAX] {
        let mut changed = bytes.clone();
        changed[10..12].copy_from_slice(&count.to_le_bytes());
        let expected = ManifestError::TooManyEntries(count);
        assert_eq!(decode_unverified(&changed).unwrap_err(), expected);
        assert_eq!(
            verify(&changed, &trusted(&signer), &policy(None)).unwrap_err(),
            expected
        );
        assert_eq!(
            verify(&changed, &trusted(&key(2)), &policy(None)).unwrap_err(),
            expected
        );
        assert_eq!(
            expected.to_string(),
            format!("{count} entries, at most 64 allowed")
        );
    }
    // A count the format can hold is only wrong once the entries are read,
    // which comes after the signature.
    let mut changed = bytes.clone();
    changed[10..12].copy_from_slice(&2u16.to_le_bytes());
    assert_eq!(
        verify(&changed, &trusted(&signer), &policy(None)).unwrap_err(),
        ManifestError::BadSignature
    );
    assert!(matches!(
        decode_unverified(&changed).unwrap_err(),
        ManifestError::BadEntry { index: 1, .. }
    ));
}
