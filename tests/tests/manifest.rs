//! Signed manifests under QEMU: a valid manifest is accepted and its
//! updates queued; every kind of bad manifest or update is refused with its
//! own one-line reason, the kernel keeps running, and what was queued
//! before stays queued.
//!
//! Each test boots the kernel in console mode with a fixed clock and a
//! ramdisk built here: the config, then bundles as `sign` writes them,
//! each a manifest signed with the repository's development key (the key
//! the kernel trusts unless built with `UPKEEP_TRUSTED_KEY`) followed by
//! its payloads. It types a short script
//! (`status`, `list`, `audit`, `shutdown`) and checks what was printed.
//!
//! The last test boots `test-authority`, which checks the approval
//! capability and the audit ring through the kernel API.

use std::time::Duration;

use boot::bundle::{payload_section, OwnedSection};
use boot::{Input, RamdiskSource, RunOptions, RunOutcome, Tag, Verdict};
use boot_config::{BootConfig, Mode};
use update_manifest::{sha256, Entry, KeyId, ManifestWriter, SigningKey, MAX_MANIFEST_LEN};
use update_sched::civil::WallTime;
use update_sched::update::{UpdateName, Version};
use update_sched::{Priority, UpdateId, UpdateKind};

/// The clock every test boots with.
const RTC: &str = "2026-11-26T08:00:00";

/// The same instant, Unix seconds.
fn now_unix() -> i64 {
    let wall: WallTime = format!("{RTC}Z").parse().expect("valid RFC 3339");
    wall.as_unix_secs() as i64
}

/// The development key the kernel trusts by default.
fn dev_key() -> SigningKey {
    boot::keys::dev_signing_key()
}

/// One update to put into a manifest.
struct Update {
    id: u32,
    name: &'static str,
    version: Version,
    priority: Priority,
    payload: Vec<u8>,
    depends_on: Vec<u32>,
    needs_reboot: bool,
    estimate_minutes: u16,
}

fn update(id: u32, name: &'static str, version: Version) -> Update {
    Update {
        id,
        name,
        version,
        priority: Priority::Optional,
        payload: format!("payload of {name} {version}\n").into_bytes(),
        depends_on: Vec::new(),
        needs_reboot: false,
        estimate_minutes: 10,
    }
}

fn entry(update: &Update) -> Entry {
    Entry {
        id: UpdateId(update.id),
        name: UpdateName::try_from(update.name).expect("short name"),
        kind: UpdateKind::Application,
        priority: update.priority,
        version: update.version,
        needs_reboot: update.needs_reboot,
        runs_alone: false,
        estimate_minutes: update.estimate_minutes,
        available_after_minutes: 0,
        payload_size: update.payload.len() as u32,
        payload_sha256: sha256(&update.payload),
        dependencies: update.depends_on.iter().map(|&id| UpdateId(id)).collect(),
    }
}

/// A manifest with this version and expiry, signed by `key`.
fn manifest(version: u64, expires_at: i64, updates: &[Update], key: &SigningKey) -> Vec<u8> {
    let mut out = vec![0; MAX_MANIFEST_LEN];
    let key_id = KeyId::of(&key.verifying_key().to_bytes());
    let mut writer =
        ManifestWriter::new(&mut out, version, now_unix() - 3600, expires_at, key_id).unwrap();
    for update in updates {
        writer.entry(&entry(update)).expect("valid entry");
    }
    let len = writer.finish(key).expect("fits");
    out.truncate(len);
    out
}

/// A manifest valid at the test's clock, signed by the trusted key.
fn valid(version: u64, updates: &[Update]) -> Vec<u8> {
    manifest(version, now_unix() + 30 * 86_400, updates, &dev_key())
}

/// The first delivery of every test: three updates, versions above the
/// kernel's baseline (every catalogue component at 1.0.0).
fn first_updates() -> Vec<Update> {
    vec![
        update(101, "firefox", Version::new(1, 1, 0)),
        update(102, "vlc", Version::new(1, 1, 0)),
        update(103, "gimp", Version::new(1, 1, 0)),
    ]
}

/// A console configuration: no scenario, 600x.
fn config() -> BootConfig {
    let mut config = BootConfig::console();
    config.mode = Mode::Console;
    config.speed = 600;
    config
}

/// A bundle: a manifest and the payloads (update id, bytes) after it.
type Bundle = (Vec<u8>, Vec<(u32, Vec<u8>)>);

/// A ramdisk: the config, then each bundle in order, its manifest followed
/// by its payloads.
fn ramdisk(bundles: &[Bundle]) -> Vec<u8> {
    let mut sections: Vec<OwnedSection> = Vec::new();
    for (manifest, payloads) in bundles {
        sections.push((Tag::MANIFEST, manifest.clone()));
        for (id, payload) in payloads {
            sections.push((Tag::PAYLOAD, payload_section(UpdateId(*id), payload)));
        }
    }
    RamdiskSource::ConfigWith(config(), sections)
        .bytes()
        .expect("encodes")
        .expect("a ramdisk")
}

fn payloads(updates: &[Update]) -> Vec<(u32, Vec<u8>)> {
    updates
        .iter()
        .map(|update| (update.id, update.payload.clone()))
        .collect()
}

/// Boots with `ramdisk` bytes and types `script`.
fn boot_raw(ramdisk: Vec<u8>, script: &str) -> RunOutcome {
    boot_at(RTC, ramdisk, script)
}

/// Boots with the RTC at `rtc`, `ramdisk` bytes, and types `script`.
fn boot_at(rtc: &str, ramdisk: Vec<u8>, script: &str) -> RunOutcome {
    let mut options = RunOptions::new("kernel");
    options.rtc_base = Some(rtc.to_string());
    options.ramdisk = RamdiskSource::Raw(ramdisk);
    options.input = Input::Bytes(script.as_bytes().to_vec());
    options.timeout = Duration::from_secs(120);
    boot::run_for_test(&options)
}

/// List the queue, let 20 simulated minutes pass (2 s at 600x: enough for
/// a Critical update to reach install), then the counters and the audit
/// log.
const SCRIPT: &str = "list\nwait 20m\nstatus\naudit\nshutdown\n";

/// Boots with the first delivery followed by the bundles `then`, and
/// checks what every rejection test shares: the kernel ran to a clean
/// shutdown, accepted the first manifest, and still holds its three
/// updates. Returns the serial output.
fn first_then(then: Vec<Bundle>) -> String {
    let first = first_updates();
    let mut bundles = vec![(valid(1, &first), payloads(&first))];
    bundles.extend(then);
    let outcome = boot_raw(ramdisk(&bundles), SCRIPT);
    assert_eq!(outcome.verdict, Verdict::Success, "the kernel kept running");
    let serial = outcome.serial;
    assert!(!serial.contains("PANIC"));
    assert_eq!(
        count(&serial, "manifest accepted: version 1, 3 updates"),
        1,
        "the first manifest is accepted"
    );
    assert_still_queued(&serial, &[101, 102, 103]);
    serial
}

fn count(serial: &str, prefix: &str) -> usize {
    serial.lines().filter(|l| l.starts_with(prefix)).count()
}

/// Whether `list` showed update `id`.
fn listed(serial: &str, id: u32) -> bool {
    serial
        .lines()
        .any(|line| line.trim_start().starts_with(&format!("#{id} ")))
}

/// `list` shows each of `ids`.
fn assert_still_queued(serial: &str, ids: &[u32]) {
    for &id in ids {
        assert!(listed(serial, id), "update #{id} is still queued");
    }
}

/// The one `manifest rejected:` line, which must contain `reason`.
fn assert_rejected(serial: &str, reason: &str) {
    let lines: Vec<&str> = serial
        .lines()
        .filter(|l| l.starts_with("manifest rejected: "))
        .collect();
    assert_eq!(lines.len(), 1, "exactly one rejection: {lines:?}");
    assert!(lines[0].contains(reason), "{:?} says {reason:?}", lines[0]);
    assert!(
        serial.contains("manifests accepted=1 rejected=1"),
        "status counts the rejection"
    );
    assert!(
        serial.lines().any(|l| l.contains("MANIFEST-REJECTED")),
        "the audit log records it"
    );
}

#[test]
fn valid_manifest_is_accepted_and_its_updates_queued() {
    let serial = first_then(Vec::new());
    assert_eq!(count(&serial, "manifest rejected"), 0);
    assert_eq!(count(&serial, "update rejected"), 0);
    assert!(serial.contains("manifests accepted=1 rejected=0, updates accepted=3 rejected=0"));
    for id in [101, 102, 103] {
        assert!(
            serial
                .lines()
                .any(|l| l.contains(&format!("ACCEPTED #{id} "))),
            "audit has #{id} accepted"
        );
    }
}

#[test]
fn manifest_with_a_tampered_byte_is_rejected() {
    let mut tampered = valid(2, &[update(201, "mesa", Version::new(1, 2, 0))]);
    // A byte of the entry: the name's first letter.
    tampered[48 + 5] ^= 0x20;
    let serial = first_then(vec![(tampered, Vec::new())]);
    assert_rejected(&serial, "bad signature");
    assert!(!listed(&serial, 201), "nothing of it was queued");
}

#[test]
fn manifest_signed_by_another_key_is_rejected() {
    let other = SigningKey::from_bytes(&[7; 32]);
    let foreign = manifest(
        2,
        now_unix() + 86_400,
        &[update(201, "mesa", Version::new(1, 2, 0))],
        &other,
    );
    let serial = first_then(vec![(foreign, Vec::new())]);
    let other_id = KeyId::of(&other.verifying_key().to_bytes());
    assert_rejected(&serial, &format!("signed by untrusted key {other_id}"));
}

#[test]
fn replayed_or_older_manifest_version_is_rejected() {
    let first = first_updates();
    let replay = valid(1, &first);
    let older = valid(0, &[update(201, "mesa", Version::new(1, 2, 0))]);
    let outcome = boot_raw(
        ramdisk(&[
            (valid(1, &first), payloads(&first)),
            (replay, payloads(&first)),
            (older, Vec::new()),
        ]),
        SCRIPT,
    );
    assert_eq!(outcome.verdict, Verdict::Success);
    let serial = &outcome.serial;
    let rejections: Vec<&str> = serial
        .lines()
        .filter(|l| l.starts_with("manifest rejected: "))
        .collect();
    assert_eq!(rejections.len(), 2, "{rejections:?}");
    assert!(rejections[0].contains("version 1 is not newer than accepted version 1"));
    assert!(rejections[1].contains("version 0 is not newer than accepted version 1"));
    assert!(serial.contains("manifests accepted=1 rejected=2"));
    assert_still_queued(serial, &[101, 102, 103]);
}

#[test]
fn expired_manifest_is_rejected() {
    let stale = manifest(
        2,
        now_unix() - 2 * 86_400,
        &[update(201, "mesa", Version::new(1, 2, 0))],
        &dev_key(),
    );
    let serial = first_then(vec![(stale, Vec::new())]);
    assert_rejected(&serial, "expired 2d ago");
}

#[test]
fn update_not_newer_than_installed_or_with_unknown_dependency_is_rejected_alone() {
    // openssl is installed at 1.0.0; the same manifest's mesa is fine,
    // and so is curl, which needs mesa first; python names an update
    // nobody knows.
    let mut curl = update(203, "curl", Version::new(1, 2, 0));
    curl.depends_on = vec![202];
    let mut python = update(204, "python", Version::new(1, 2, 0));
    python.depends_on = vec![999];
    let second = vec![
        update(201, "openssl", Version::new(1, 0, 0)),
        update(202, "mesa", Version::new(1, 2, 0)),
        curl,
        python,
    ];
    // And an older firefox than the one the first manifest queued.
    let third = vec![update(301, "firefox", Version::new(1, 0, 5))];
    let serial = first_then(vec![
        (valid(2, &second), payloads(&second)),
        (valid(3, &third), payloads(&third)),
    ]);
    let rejected: Vec<&str> = serial
        .lines()
        .filter(|l| l.starts_with("update rejected: "))
        .collect();
    assert_eq!(rejected.len(), 3, "{rejected:?}");
    assert!(rejected[0]
        .starts_with("update rejected: #201 openssl 1.0.0: version 1.0.0 is not newer than 1.0.0"));
    assert!(rejected[1].starts_with(
        "update rejected: #204 python 1.2.0: submit refused: dependency #999 is not known"
    ));
    assert!(rejected[2]
        .starts_with("update rejected: #301 firefox 1.0.5: version 1.0.5 is not newer than 1.1.0"));
    assert_eq!(count(&serial, "manifest rejected"), 0);
    assert_still_queued(&serial, &[202, 203]);
    assert!(!listed(&serial, 201) && !listed(&serial, 204) && !listed(&serial, 301));
    assert!(serial.contains("updates accepted=5 rejected=3"));
}

#[test]
fn payload_changed_after_signing_is_refused_before_install() {
    let mut hotfix = update(201, "linux-hotfix", Version::new(1, 9, 0));
    // Critical: it starts at once, so the executor reaches install.
    hotfix.priority = Priority::Critical;
    let signed = valid(2, std::slice::from_ref(&hotfix));
    let mut changed = hotfix.payload.clone();
    changed[0] ^= 0x01; // same size, different bytes
    let serial = first_then(vec![(signed, vec![(201, changed)])]);
    assert_eq!(count(&serial, "manifest rejected"), 0);
    let refusals: Vec<&str> = serial
        .lines()
        .filter(|l| l.starts_with("update rejected: "))
        .collect();
    assert_eq!(refusals.len(), 1, "refused once, for good: {refusals:?}");
    assert!(
        refusals[0].starts_with("update rejected: #201 linux-hotfix 1.9.0: payload sha256 ")
            && refusals[0].ends_with("; not installed"),
        "{}",
        refusals[0]
    );
    assert!(!serial.contains("DONE #201"), "it was never installed");
    assert!(!serial.contains("RETRY #201"), "no retry can mend it");
    assert!(serial.lines().any(|l| l.contains("FAILED #201")
        && l.contains("payload sha256 differs from the signed digest, for good")));
    assert!(serial.contains("updates accepted=4 rejected=1"));
    assert!(serial
        .lines()
        .any(|l| l.starts_with("submitted=4 ") && l.contains("failed=1")));
}

#[test]
fn truncated_ramdisk_or_manifest_is_rejected() {
    // A ramdisk cut short: nothing in it can be trusted.
    let first = first_updates();
    let whole = ramdisk(&[(valid(1, &first), payloads(&first))]);
    let cut = whole[..whole.len() - 40].to_vec();
    let outcome = boot_raw(cut, SCRIPT);
    assert_eq!(outcome.verdict, Verdict::Success, "the kernel kept running");
    assert!(outcome
        .serial
        .lines()
        .any(|l| l.starts_with("manifest rejected: ramdisk unreadable: ")));
    assert!(outcome.serial.contains("manifests accepted=0 rejected=1"));

    // A whole ramdisk holding a manifest cut short.
    let next = valid(2, &[update(201, "mesa", Version::new(1, 2, 0))]);
    let short = next[..next.len() - 10].to_vec();
    let serial = first_then(vec![(short, Vec::new())]);
    assert_rejected(&serial, "truncated");
}

#[test]
fn oversized_manifest_is_rejected() {
    let mut huge = valid(2, &[update(201, "mesa", Version::new(1, 2, 0))]);
    huge.resize(MAX_MANIFEST_LEN + 1000, 0xaa);
    let serial = first_then(vec![(huge, Vec::new())]);
    assert_rejected(
        &serial,
        &format!(
            "too large: {} bytes, at most {MAX_MANIFEST_LEN}",
            MAX_MANIFEST_LEN + 1000
        ),
    );
}

#[test]
fn rejected_bundle_cannot_block_the_payload_of_a_genuine_one() {
    // A bundle signed by a key the kernel does not trust, for the same
    // update id as the genuine bundle after it, with a payload of its own.
    let other = SigningKey::from_bytes(&[7; 32]);
    let mut forged = update(201, "linux-hotfix", Version::new(1, 9, 0));
    forged.payload = b"forged".to_vec();
    let foreign = manifest(
        2,
        now_unix() + 86_400,
        std::slice::from_ref(&forged),
        &other,
    );
    let mut hotfix = update(201, "linux-hotfix", Version::new(1, 9, 0));
    // Critical: it starts at once, so the executor reaches install.
    hotfix.priority = Priority::Critical;
    hotfix.payload = vec![0x5a; 4096];
    let genuine = valid(2, std::slice::from_ref(&hotfix));
    let serial = first_then(vec![
        (foreign, payloads(&[forged])),
        (genuine, payloads(&[hotfix])),
    ]);
    let other_id = KeyId::of(&other.verifying_key().to_bytes());
    let rejected: Vec<&str> = serial
        .lines()
        .filter(|l| l.starts_with("manifest rejected: "))
        .collect();
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert!(rejected[0].contains(&format!("signed by untrusted key {other_id}")));
    assert_eq!(
        count(&serial, "update rejected"),
        0,
        "nothing of it survived"
    );
    assert!(serial.contains("manifests accepted=2 rejected=1, updates accepted=4 rejected=0"));
    assert!(
        serial.lines().any(|l| l.contains("DONE #201")),
        "the genuine payload was installed"
    );
}

#[test]
fn payload_outside_its_own_bundle_is_not_used_and_an_accepted_id_is_not_reused() {
    // The genuine manifest's payload travels in another bundle: it is not
    // bound to the manifest, which then has none.
    let mesa = update(201, "mesa", Version::new(1, 2, 0));
    let second = valid(2, std::slice::from_ref(&mesa));
    let third = valid(3, &[update(301, "vlc", Version::new(1, 3, 0))]);
    let mut misplaced = payloads(&[update(301, "vlc", Version::new(1, 3, 0))]);
    misplaced.extend(payloads(std::slice::from_ref(&mesa)));
    // And a later manifest reusing an accepted update's id, with its own
    // payload: an id names one signed update for good.
    let reused = vec![update(301, "vlc", Version::new(1, 4, 0))];
    let serial = first_then(vec![
        (second, Vec::new()),
        (third, misplaced),
        (valid(4, &reused), payloads(&reused)),
    ]);
    let rejected: Vec<&str> = serial
        .lines()
        .filter(|l| l.starts_with("update rejected: "))
        .collect();
    assert_eq!(
        rejected,
        [
            "update rejected: #201 mesa 1.2.0: payload missing",
            "update rejected: #301 vlc 1.4.0: an update of an earlier manifest was accepted \
             with this id",
        ]
    );
    assert!(listed(&serial, 301) && !listed(&serial, 201));
    let dropped: Vec<&str> = serial
        .lines()
        .filter(|l| l.starts_with("payload rejected: "))
        .collect();
    assert_eq!(
        dropped,
        ["payload rejected: #201: no entry of its bundle's manifest has this id; dropped"]
    );
}

#[test]
fn inventory_records_every_outcome_and_a_downgrade_is_not_installed() {
    // Component `a` at 1.0.0 and 2.0.0 in one manifest, `b` at 1.0.0;
    // all Optional, so each waits for approval and a maintenance window.
    let updates = vec![
        update(1, "a", Version::new(1, 0, 0)),
        update(2, "a", Version::new(2, 0, 0)),
        update(3, "b", Version::new(1, 0, 0)),
    ];
    let bundle = (valid(1, &updates), payloads(&updates));
    // A week at 300,000x takes two seconds: enough for a maintenance
    // window to open.
    let script = "inventory\nreject 3\napprove 2\nspeed 300000\nwait 7d\ninventory\n\
                  approve 1\nwait 7d\ninventory\nshutdown\n";
    let outcome = boot_raw(ramdisk(&[bundle]), script);
    assert_eq!(outcome.verdict, Verdict::Success);
    let serial = &outcome.serial;
    let inventory = |name: &str| -> Vec<String> {
        serial
            .lines()
            .filter(|l| l.split_whitespace().next() == Some(name))
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    };
    assert_eq!(
        inventory("a"),
        [
            "a not installed, 2.0.0 pending",
            "a installed 2.0.0",
            "a installed 2.0.0"
        ]
    );
    assert_eq!(
        inventory("b"),
        [
            "b not installed, 1.0.0 pending",
            "b not installed",
            "b not installed"
        ]
    );
    assert!(serial.lines().any(|l| l.contains("DONE #2")));
    assert!(!serial.lines().any(|l| l.contains("DONE #1 ")));
    let refused: Vec<&str> = serial
        .lines()
        .filter(|l| l.starts_with("update rejected: "))
        .collect();
    assert_eq!(
        refused,
        ["update rejected: #1 a 1.0.0: version 1.0.0 is not newer than installed 2.0.0; not installed"]
    );
}

#[test]
fn entry_depending_on_a_later_entry_is_queued_and_a_cycle_is_refused_by_name() {
    let mut curl = update(201, "curl", Version::new(1, 2, 0));
    curl.depends_on = vec![202];
    let forward = vec![curl, update(202, "mesa", Version::new(1, 2, 0))];
    let mut zlib = update(301, "zlib", Version::new(1, 2, 0));
    zlib.depends_on = vec![302];
    let mut fonts = update(302, "fonts", Version::new(1, 2, 0));
    fonts.depends_on = vec![301];
    let cycle = vec![zlib, fonts];
    let serial = first_then(vec![
        (valid(2, &forward), payloads(&forward)),
        (valid(3, &cycle), payloads(&cycle)),
    ]);
    assert_eq!(count(&serial, "update rejected"), 0);
    assert_still_queued(&serial, &[201, 202]);
    let rejected: Vec<&str> = serial
        .lines()
        .filter(|l| l.starts_with("manifest rejected: "))
        .collect();
    assert_eq!(
        rejected,
        ["manifest rejected: dependency cycle #301 -> #302 -> #301"]
    );
    assert!(serial.contains("manifests accepted=2 rejected=1, updates accepted=5 rejected=0"));
    assert!(!listed(&serial, 301) && !listed(&serial, 302));
}

#[test]
fn manifest_expired_in_2099_is_rejected_when_the_rtc_says_2100() {
    // Expired at 2099-12-31; a kernel that read the RTC as 2000 would
    // take it as valid for another century.
    let stale = manifest(
        1,
        4_102_358_400,
        &[update(201, "mesa", Version::new(1, 2, 0))],
        &dev_key(),
    );
    let outcome = boot_at(
        "2100-02-28T00:00:00",
        ramdisk(&[(stale, Vec::new())]),
        "status\nshutdown\n",
    );
    assert_eq!(outcome.verdict, Verdict::Success);
    let serial = &outcome.serial;
    assert!(
        serial.contains("clock: RTC says Sun 2100-02-28 "),
        "read as 2100"
    );
    let rejected: Vec<&str> = serial
        .lines()
        .filter(|l| l.starts_with("manifest rejected: "))
        .collect();
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert!(rejected[0].contains("expired 59d ago"), "{}", rejected[0]);
}

#[test]
fn manifest_is_refused_while_the_rtc_reads_before_1970() {
    // The clock cannot represent 1969: it starts at the epoch, untrusted,
    // and no manifest is taken, however valid, since its expiry cannot be
    // checked.
    let first = first_updates();
    let outcome = boot_at(
        "1969-12-31T23:00:00",
        ramdisk(&[(valid(1, &first), payloads(&first))]),
        "status\nshutdown\n",
    );
    assert_eq!(outcome.verdict, Verdict::Success);
    let serial = &outcome.serial;
    let clock = serial
        .lines()
        .find(|l| l.starts_with("clock: "))
        .expect("a clock line");
    assert!(
        clock.starts_with(
            "clock: RTC unusable (the RTC reads 1969-12-31, outside 1970-01-01..9999-12-31"
        ) && clock.contains("untrusted: manifests are refused"),
        "{clock}"
    );
    let rejected: Vec<&str> = serial
        .lines()
        .filter(|l| l.starts_with("manifest rejected: "))
        .collect();
    assert_eq!(
        rejected,
        [
            "manifest rejected: the wall clock cannot be trusted (the RTC reads a date outside \
          1970-01-01..9999-12-31), so expiry cannot be checked"
        ]
    );
    assert!(serial.contains("manifests accepted=0 rejected=1"));
}

#[test]
fn approval_needs_a_live_authority_and_the_audit_ring_counts_drops() {
    let mut options = RunOptions::new("test-authority");
    options.timeout = Duration::from_secs(120);
    let outcome = boot::run_for_test(&options);
    let serial = &outcome.serial;
    assert!(!serial.contains("FAILED"), "every check passed");
    for what in [
        "a second one is refused",
        "an approval with a revoked authority is refused",
        "and changes nothing",
        "another designated holder approves",
        "the audit log says who approved",
        "a full audit ring counts what it drops",
        "and keeps the newest",
    ] {
        assert!(
            serial
                .lines()
                .any(|l| l == format!("test-authority: ok {what}")),
            "checked: {what}"
        );
    }
    assert_eq!(outcome.verdict, Verdict::Success);
}

/// A console configuration without failure injection, so every update
/// runs to the outcome the test gives it.
fn config_without_failures() -> BootConfig {
    let mut config = config();
    config.failures = boot_config::Failures::NONE;
    config
}

/// Boots with `bundles` (no failure injection) and types `script`.
fn boot_bundles(bundles: &[Bundle], script: &str) -> RunOutcome {
    let mut sections: Vec<OwnedSection> = Vec::new();
    for (manifest, payloads) in bundles {
        sections.push((Tag::MANIFEST, manifest.clone()));
        for (id, payload) in payloads {
            sections.push((Tag::PAYLOAD, payload_section(UpdateId(*id), payload)));
        }
    }
    let bytes = RamdiskSource::ConfigWith(config_without_failures(), sections)
        .bytes()
        .expect("encodes")
        .expect("a ramdisk");
    boot_raw(bytes, script)
}

/// The inventory lines of component `name`, blanks squeezed.
fn inventory_of(serial: &str, name: &str) -> Vec<String> {
    serial
        .lines()
        .filter(|l| l.split_whitespace().next() == Some(name))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

#[test]
fn update_reusing_the_id_of_an_ended_signed_update_is_not_taken_for_it() {
    // Signed: `a` 2.0.0 (cancelled), `b` 1.0.0 (declined), `e` 1.0.0
    // (Critical: installed at once). Then the console queues unsigned
    // updates under the same three ids: they are not the signed ones, so
    // their installs neither record the signed versions nor are checked
    // against them.
    let mut e = update(6, "e", Version::new(1, 0, 0));
    e.priority = Priority::Critical;
    let updates = vec![
        update(2, "a", Version::new(2, 0, 0)),
        update(3, "b", Version::new(1, 0, 0)),
        e,
    ];
    let script = "cancel 2\nreject 3\nwait 30m\ninventory\n\
                  submit 2 zz critical application 5m\n\
                  submit 3 b critical application 5m version=9.0.0\n\
                  submit 6 e critical application 5m\nwait 1h\ninventory\nshutdown\n";
    let outcome = boot_bundles(&[(valid(1, &updates), payloads(&updates))], script);
    assert_eq!(outcome.verdict, Verdict::Success);
    let serial = &outcome.serial;
    assert_eq!(count(serial, "update rejected"), 0, "nothing refused");
    let done = |id: u32| {
        serial
            .lines()
            .filter(|l| l.contains(&format!("] DONE #{id} ")))
            .count()
    };
    assert_eq!(
        (done(2), done(3), done(6)),
        (1, 1, 2),
        "the console's updates were installed"
    );
    assert_eq!(inventory_of(serial, "a"), ["a not installed"; 2]);
    assert_eq!(inventory_of(serial, "b"), ["b not installed"; 2]);
    assert_eq!(inventory_of(serial, "e"), ["e installed 1.0.0"; 2]);
}

#[test]
fn update_of_a_component_the_full_inventory_cannot_hold_is_refused() {
    // The inventory holds 128 components, 21 of them the baseline: 107
    // new ones fit, the 108th could not be recorded, so its version would
    // escape every later rollback check.
    let mut id = 1000;
    let mut bundles = Vec::new();
    for (version, count) in [(1, 64), (2, 44)] {
        let updates: Vec<Update> = (0..count)
            .map(|_| {
                id += 1;
                let name: &'static str = Box::leak(format!("c{id}").into_boxed_str());
                update(id, name, Version::new(1, 0, 0))
            })
            .collect();
        bundles.push((valid(version, &updates), payloads(&updates)));
    }
    let outcome = boot_bundles(&bundles, "status\nshutdown\n");
    assert_eq!(outcome.verdict, Verdict::Success);
    let serial = &outcome.serial;
    let rejected: Vec<&str> = serial
        .lines()
        .filter(|l| l.starts_with("update rejected: "))
        .collect();
    assert_eq!(
        rejected,
        [
            "update rejected: #1108 c1108 1.0.0: the inventory holds 128 components already, \
          so a new one could not be recorded"
        ]
    );
    assert!(serial.contains("updates accepted=107 rejected=1"));
}

#[test]
fn update_depending_on_a_refused_entry_of_its_manifest_names_the_refusal() {
    // openssl 1.0.0 is no newer than the installed 1.0.0; curl needs it,
    // and python needs curl: both are refused because of it, by name,
    // not as depending on an update nobody knows.
    let mut curl = update(12, "curl", Version::new(1, 2, 0));
    curl.depends_on = vec![11];
    let mut python = update(13, "python", Version::new(1, 2, 0));
    python.depends_on = vec![12];
    let updates = vec![
        python,
        curl,
        update(11, "openssl", Version::new(1, 0, 0)),
        update(14, "mesa", Version::new(1, 2, 0)),
    ];
    let outcome = boot_bundles(
        &[(valid(1, &updates), payloads(&updates))],
        "list\nshutdown\n",
    );
    assert_eq!(outcome.verdict, Verdict::Success);
    let serial = &outcome.serial;
    let rejected: Vec<&str> = serial
        .lines()
        .filter(|l| l.starts_with("update rejected: "))
        .collect();
    assert_eq!(
        rejected,
        [
            "update rejected: #11 openssl 1.0.0: version 1.0.0 is not newer than 1.0.0 (rollback)",
            "update rejected: #12 curl 1.2.0: dependency #11, in the same manifest, was refused",
            "update rejected: #13 python 1.2.0: dependency #12, in the same manifest, was refused",
        ]
    );
    assert!(listed(serial, 14));
}

/// Boots with one bundle of `updates`, room for four updates at once, and
/// types `script`.
fn boot_four_at_once(updates: &[Update], script: &str) -> RunOutcome {
    let mut config = config_without_failures();
    config.max_concurrent = Some(4);
    let mut sections = vec![(Tag::MANIFEST, valid(1, updates))];
    for (id, payload) in payloads(updates) {
        sections.push((Tag::PAYLOAD, payload_section(UpdateId(id), &payload)));
    }
    let bytes = RamdiskSource::ConfigWith(config, sections)
        .bytes()
        .expect("encodes")
        .expect("a ramdisk");
    boot_raw(bytes, script)
}

#[test]
fn older_version_is_refused_while_a_newer_one_waits_for_its_reboot() {
    // `f` 2.0.0 needs a reboot, which waits for the other running update;
    // `f` 1.0.0 takes longer, and reaches install after 2.0.0 is written:
    // installing it would overwrite the newer version.
    let mut newer = update(8, "f", Version::new(2, 0, 0));
    newer.priority = Priority::Critical;
    newer.needs_reboot = true;
    let mut older = update(7, "f", Version::new(1, 0, 0));
    older.priority = Priority::Critical;
    older.estimate_minutes = 60;
    let outcome = boot_four_at_once(&[older, newer], "wait 3h\ninventory\nshutdown\n");
    assert_eq!(outcome.verdict, Verdict::Success);
    let serial = &outcome.serial;
    let refused: Vec<&str> = serial
        .lines()
        .filter(|l| l.starts_with("update rejected: "))
        .collect();
    assert_eq!(
        refused,
        [
            "update rejected: #7 f 1.0.0: version 1.0.0 is not newer than installed 2.0.0; \
          not installed"
        ]
    );
    assert!(!serial.contains("] DONE #7 "));
    assert!(serial.contains("] DONE #8 "));
    assert_eq!(inventory_of(serial, "f"), ["f installed 2.0.0"]);
}

#[test]
fn two_versions_of_one_component_never_install_at_once() {
    // `f` 1.0.0 and 2.0.0, both Critical, with room for four updates at
    // once: both start together. Installed side by side, the older could
    // end last, over the newer. The second to reach install is held until
    // the first ends, then checked again.
    let mut older = update(7, "f", Version::new(1, 0, 0));
    older.priority = Priority::Critical;
    let mut newer = update(8, "f", Version::new(2, 0, 0));
    newer.priority = Priority::Critical;
    let outcome = boot_four_at_once(&[older, newer], "wait 3h\ninventory\nshutdown\n");
    assert_eq!(outcome.verdict, Verdict::Success);
    let serial = &outcome.serial;
    assert!(
        serial.lines().any(|l| l
            == "update held: #8 f 2.0.0: #7, another update of the same component, \
                is installing; tried again later"),
        "the newer was held while the older installed"
    );
    let finished: Vec<&str> = serial
        .lines()
        .filter(|l| l.contains("] DONE #") || l.contains("] FAIL #"))
        .collect();
    let done_older = finished.iter().position(|l| l.contains("DONE #7 "));
    let done_newer = finished.iter().position(|l| l.contains("DONE #8 "));
    assert!(done_newer.is_some(), "2.0.0 was installed: {finished:?}");
    assert!(
        done_older.is_none() || done_older < done_newer,
        "1.0.0 was not installed after 2.0.0: {finished:?}"
    );
    assert_eq!(inventory_of(serial, "f"), ["f installed 2.0.0"]);
}

#[test]
fn dropped_payload_section_is_not_reported_as_a_rejected_update() {
    // Sections around one good bundle: before any manifest, without an
    // id, naming no entry, and a second one for a queued update. Each is
    // dropped with a `payload rejected:` line; update #1 itself is queued
    // and nothing says it was rejected.
    let updates = vec![update(1, "firefox", Version::new(1, 1, 0))];
    let sections: Vec<OwnedSection> = vec![
        (Tag::PAYLOAD, payload_section(UpdateId(1), b"early")),
        (Tag::MANIFEST, valid(1, &updates)),
        (
            Tag::PAYLOAD,
            payload_section(UpdateId(1), &updates[0].payload),
        ),
        (Tag::PAYLOAD, payload_section(UpdateId(1), b"junk")),
        (Tag::PAYLOAD, payload_section(UpdateId(99), b"nobody's")),
        (Tag::PAYLOAD, vec![9, 9]),
    ];
    let bytes = RamdiskSource::ConfigWith(config_without_failures(), sections)
        .bytes()
        .expect("encodes")
        .expect("a ramdisk");
    let outcome = boot_raw(bytes, "list\nstatus\nshutdown\n");
    assert_eq!(outcome.verdict, Verdict::Success);
    let serial = &outcome.serial;
    assert_eq!(count(serial, "update rejected"), 0);
    let dropped: Vec<&str> = serial
        .lines()
        .filter(|l| l.starts_with("payload rejected: "))
        .collect();
    assert_eq!(
        dropped,
        [
            "payload rejected: #1: comes before any manifest; dropped",
            "payload rejected: #1: a second payload for this id in its bundle; dropped, \
             the first is kept",
            "payload rejected: #99: no entry of its bundle's manifest has this id; dropped",
            "payload rejected: section of 2 bytes: too short to hold an update id; dropped",
        ]
    );
    assert!(listed(serial, 1));
    assert!(serial.contains(
        "manifests accepted=1 rejected=0, updates accepted=1 rejected=0, payloads rejected=4"
    ));
}
