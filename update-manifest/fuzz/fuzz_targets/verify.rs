//! Arbitrary bytes through the manifest decoder and verifier: see
//! `update_manifest_fuzz::fuzz_verify`.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| update_manifest_fuzz::fuzz_verify(input));
