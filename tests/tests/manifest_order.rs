//! The kernel and the host tools check a manifest in one order: a
//! manifest whose entry count was changed (and the ramdisk's checksum
//! made right again) is refused by the kernel for its entry count, the
//! same reason the runner's description gives, not for its signature.

use std::time::Duration;

use boot::{Input, RamdiskSource, RunOptions, Tag, Verdict};
use boot_config::{BootConfig, Mode};
use update_manifest::{KeyId, ManifestWriter, MAX_MANIFEST_LEN};

/// The clock the test boots with.
const RTC: &str = "2026-11-26T08:00:00";

/// Unix seconds of [`RTC`].
const RTC_UNIX: i64 = 1_795_680_000;

/// An empty manifest signed with the development key (the key the kernel
/// trusts by default), valid at [`RTC`], with its entry count then set to
/// `entries`.
fn manifest_claiming(entries: u16) -> Vec<u8> {
    let key = boot::keys::dev_signing_key();
    let key_id = KeyId::of(&key.verifying_key().to_bytes());
    let mut out = vec![0; MAX_MANIFEST_LEN];
    let writer =
        ManifestWriter::new(&mut out, 1, RTC_UNIX - 3600, RTC_UNIX + 86_400, key_id).unwrap();
    let len = writer.finish(&key).expect("fits");
    out.truncate(len);
    // The entry count is the header's bytes 10 and 11.
    out[10..12].copy_from_slice(&entries.to_le_bytes());
    out
}

#[test]
fn changed_entry_count_is_refused_for_the_count_by_host_and_kernel() {
    let changed = manifest_claiming(254);
    let host = update_manifest::decode_unverified(&changed)
        .expect_err("the host refuses it")
        .to_string();
    assert_eq!(host, "254 entries, at most 64 allowed");

    let mut config = BootConfig::console();
    config.mode = Mode::Console;
    let mut options = RunOptions::new("kernel");
    options.rtc_base = Some(RTC.to_string());
    options.ramdisk = RamdiskSource::ConfigWith(config, vec![(Tag::MANIFEST, changed)]);
    options.input = Input::Bytes(b"shutdown\n".to_vec());
    options.timeout = Duration::from_secs(120);
    let outcome = boot::run_for_test(&options);
    assert_eq!(outcome.verdict, Verdict::Success, "the kernel kept running");
    let rejected: Vec<&str> = outcome
        .serial
        .lines()
        .filter(|line| line.starts_with("manifest rejected: "))
        .collect();
    assert_eq!(rejected, [format!("manifest rejected: {host}")]);
}
