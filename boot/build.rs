//! Tells the runner where each kernel binary is, and signs the example
//! manifest it boots the demo with.
//!
//! Cargo hands us each kernel ELF (an artifact dependency built for
//! `x86_64-unknown-none`). Disk images are not made here: the ramdisk that
//! goes into them is chosen at run time, so the runner makes them (and
//! caches them) itself. This script writes the table of kernel ELF files,
//! and the directory for that image cache, to `$OUT_DIR/kernels.rs`.
//!
//! It also signs `manifests/example.toml` (the demo's week of updates)
//! with `$UPKEEP_SIGNING_KEY`, else the development key `keys/dev.key`,
//! into `$OUT_DIR/example-bundle.upk`, which the runner includes. The
//! manifest is valid for 90 days from this build. The code is the `sign`
//! command's own: the modules below are `boot`'s, compiled in here too.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

// Shared with the library (`sign`, `keygen`, `--manifest`); the build
// script uses part of each.
#[allow(dead_code)]
#[path = "src/bundle.rs"]
mod bundle;
#[allow(dead_code)]
#[path = "src/files.rs"]
mod files;
#[allow(dead_code, unused_imports)]
#[path = "src/keys.rs"]
mod keys;
#[allow(dead_code)]
#[path = "src/manifest_file.rs"]
mod manifest_file;

/// Names the secret key that signs the example manifest.
const SIGNING_KEY_VARIABLE: &str = "UPKEEP_SIGNING_KEY";
/// Names the public key the kernel trusts (read by the kernel's build
/// script; here only to warn when the two do not match).
const TRUSTED_KEY_VARIABLE: &str = "UPKEEP_TRUSTED_KEY";

/// The kernel crate's binaries: the real kernel and the test kernels. Each
/// must also be a `[[bin]]` in `kernel/Cargo.toml`.
const KERNELS: &[&str] = &[
    "kernel",
    "test-panic",
    "test-hang",
    "test-fault",
    "test-timer",
    "test-config",
    "test-authority",
];

fn main() {
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut table = String::from(
        "/// The kernel binaries that were built.\npub const KERNELS: &[Kernel] = &[\n",
    );
    for name in KERNELS {
        let variable = format!("CARGO_BIN_FILE_KERNEL_{name}");
        let elf = PathBuf::from(
            std::env::var_os(&variable).unwrap_or_else(|| panic!("cargo did not set {variable}")),
        );
        writeln!(
            table,
            "    Kernel {{ name: {name:?}, elf: {:?} }},",
            elf.display().to_string()
        )
        .expect("writing to a String cannot fail");
    }
    table.push_str("];\n");
    writeln!(
        table,
        "/// Where the runner keeps the disk images it makes.\npub const IMAGE_CACHE: &str = {:?};",
        image_cache(&out_dir).display().to_string()
    )
    .expect("writing to a String cannot fail");
    std::fs::write(out_dir.join("kernels.rs"), table).expect("write kernels.rs");

    if let Err(message) = sign_example(&out_dir) {
        eprintln!("error: signing the example manifest: {message}");
        std::process::exit(1);
    }
}

/// Signs the example manifest into `$OUT_DIR/example-bundle.upk` and
/// tells the library which key signed it.
fn sign_example(out_dir: &Path) -> Result<(), String> {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=manifests");
    println!("cargo::rerun-if-env-changed={SIGNING_KEY_VARIABLE}");
    println!("cargo::rerun-if-env-changed={TRUSTED_KEY_VARIABLE}");
    let signing_path = key_path(SIGNING_KEY_VARIABLE, keys::DEV_SECRET_KEY_FILE);
    println!("cargo::rerun-if-changed={}", signing_path.display());
    let key = keys::read_signing_key(&signing_path)
        .map_err(|error| format!("{error} (the key comes from ${SIGNING_KEY_VARIABLE})"))?;
    let file = manifest_file::read_manifest_file(Path::new(manifest_file::EXAMPLE_MANIFEST))?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|_| "the clock is before 1970".to_string())?;
    let now = i64::try_from(now.as_secs()).map_err(|_| "the clock is far too late".to_string())?;
    let bundle = file.sign(&key, now)?;
    std::fs::write(out_dir.join("example-bundle.upk"), &bundle.bytes)
        .map_err(|error| format!("cannot write the bundle: {error}"))?;
    println!(
        "cargo::rustc-env=UPKEEP_EXAMPLE_SIGNING_KEY={}",
        signing_path.display()
    );

    // A demo signed by a key the kernel does not trust is refused at boot:
    // say so now, where the cause is plain.
    let trusted_path = key_path(TRUSTED_KEY_VARIABLE, keys::DEV_PUBLIC_KEY_FILE);
    println!("cargo::rerun-if-changed={}", trusted_path.display());
    match keys::read_public_key(&trusted_path) {
        Ok(trusted) if trusted.id() == bundle.key_id => {}
        Ok(trusted) => println!(
            "cargo::warning=the example manifest is signed with key {} ({}), but the kernel \
             trusts key {} ({}): it will refuse the demo's updates; set {SIGNING_KEY_VARIABLE} \
             and {TRUSTED_KEY_VARIABLE} to the two halves of one key pair",
            bundle.key_id,
            signing_path.display(),
            trusted.id(),
            trusted_path.display()
        ),
        Err(error) => println!("cargo::warning={error}"),
    }
    Ok(())
}

/// The file `variable` names, else `default`. A relative path is taken
/// from the workspace root, where `cargo run` is usually typed.
fn key_path(variable: &str, default: &str) -> PathBuf {
    let path = match std::env::var_os(variable) {
        Some(value) if !value.is_empty() => {
            let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
            manifest_dir.parent().unwrap_or(manifest_dir).join(value)
        }
        _ => PathBuf::from(default),
    };
    std::fs::canonicalize(&path).unwrap_or(path)
}

/// `<target>/<profile>/boot-images`: beside cargo's own `build` directory
/// (`OUT_DIR` is `<target>/<profile>/build/boot-<hash>/out`), so that
/// `cargo clean` removes it and rebuilding `boot` keeps it.
fn image_cache(out_dir: &Path) -> PathBuf {
    out_dir
        .ancestors()
        .find(|dir| dir.file_name().is_some_and(|name| name == "build"))
        .and_then(Path::parent)
        .unwrap_or(out_dir)
        .join("boot-images")
}
