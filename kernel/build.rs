//! Builds the trusted public key into the kernel.
//!
//! The kernel accepts only manifests signed by the key whose public half
//! is in the file named by `UPKEEP_TRUSTED_KEY`, or by default the
//! repository's development key, `keys/dev.pub`, read with the key-file
//! parser the host tools use (`update_manifest::key_file`). A relative path is taken
//! from the workspace root, as `boot/build.rs` takes `UPKEEP_SIGNING_KEY`.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=UPKEEP_TRUSTED_KEY");
    let root =
        PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it")).join("..");
    let path = match std::env::var_os("UPKEEP_TRUSTED_KEY") {
        Some(path) => root.join(path),
        None => root.join("keys/dev.pub"),
    };
    println!("cargo:rerun-if-changed={}", path.display());
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("trusted key {}: {error}", path.display()));
    let key = update_manifest::key_file::parse_key_file(&text)
        .unwrap_or_else(|why| panic!("trusted key {}: {why}", path.display()));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    std::fs::write(out.join("trusted_key.bin"), key).expect("OUT_DIR is writable");
}
