//! Inputs re-signed with the fuzzing key, so they reach entry parsing
//! behind the signature check: see `update_manifest_fuzz::fuzz_signed`.
#![no_main]

libfuzzer_sys::fuzz_target!(|signed_part: &[u8]| update_manifest_fuzz::fuzz_signed(signed_part));
