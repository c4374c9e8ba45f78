//! Builds a BIOS and a UEFI disk image for every kernel binary.
//!
//! Cargo hands us each kernel ELF (an artifact dependency built for
//! `x86_64-unknown-none`); the `bootloader` crate wraps it into images. The
//! list of images is written to `$OUT_DIR/images.rs` for the runner.

use std::fmt::Write as _;
use std::path::PathBuf;

/// The kernel crate's binaries: the real kernel and the test kernels. Each
/// must also be a `[[bin]]` in `kernel/Cargo.toml`.
const KERNELS: &[&str] = &["kernel", "test-panic", "test-hang"];

fn main() {
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut table = String::from(
        "/// Disk images built for each kernel binary.\npub const IMAGES: &[KernelImages] = &[\n",
    );
    for name in KERNELS {
        let variable = format!("CARGO_BIN_FILE_KERNEL_{name}");
        let elf = PathBuf::from(
            std::env::var_os(&variable).unwrap_or_else(|| panic!("cargo did not set {variable}")),
        );
        let bios = out_dir.join(format!("{name}-bios.img"));
        let uefi = out_dir.join(format!("{name}-uefi.img"));
        bootloader::BiosBoot::new(&elf)
            .create_disk_image(&bios)
            .unwrap_or_else(|e| panic!("BIOS image for {name}: {e:#}"));
        bootloader::UefiBoot::new(&elf)
            .create_disk_image(&uefi)
            .unwrap_or_else(|e| panic!("UEFI image for {name}: {e:#}"));
        writeln!(
            table,
            "    KernelImages {{ name: {name:?}, elf: {:?}, bios: {:?}, uefi: {:?} }},",
            elf.display().to_string(),
            bios.display().to_string(),
            uefi.display().to_string()
        )
        .expect("writing to a String cannot fail");
    }
    table.push_str("];\n");
    std::fs::write(out_dir.join("images.rs"), table).expect("write images.rs");
}
