//! Builds the trusted public key into the kernel.
//!
//! The kernel accepts only manifests signed by the key whose public half
//! is in the file named by `UPKEEP_TRUSTED_KEY`, or by default the
//! repository's development key, `keys/dev.pub`. The file holds `#`
//! comment lines and one line of 64 hex digits. A relative path is taken
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
    let key =
        parse_key(&text).unwrap_or_else(|why| panic!("trusted key {}: {why}", path.display()));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    std::fs::write(out.join("trusted_key.bin"), key).expect("OUT_DIR is writable");
}

/// The 32 bytes of a key file: `#` comments and blank lines, then one line
/// of 64 hex digits.
fn parse_key(text: &str) -> Result<[u8; 32], String> {
    let mut lines = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'));
    let line = lines.next().ok_or("no key line")?;
    if lines.next().is_some() {
        return Err("more than one key line".into());
    }
    if line.len() != 64 {
        return Err(format!(
            "key line has {} characters, not 64 hex digits",
            line.len()
        ));
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&line[2 * i..2 * i + 2], 16)
            .map_err(|_| format!("not hex at character {}", 2 * i + 1))?;
    }
    Ok(key)
}
