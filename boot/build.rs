//! Tells the runner where each kernel binary is.
//!
//! Cargo hands us each kernel ELF (an artifact dependency built for
//! `x86_64-unknown-none`). Disk images are not made here: the ramdisk that
//! goes into them is chosen at run time, so the runner makes them (and
//! caches them) itself. This script writes the table of kernel ELF files,
//! and the directory for that image cache, to `$OUT_DIR/kernels.rs`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The kernel crate's binaries: the real kernel and the test kernels. Each
/// must also be a `[[bin]]` in `kernel/Cargo.toml`.
const KERNELS: &[&str] = &[
    "kernel",
    "test-panic",
    "test-hang",
    "test-fault",
    "test-timer",
    "test-config",
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
