//! The boot-time configuration: read from the ramdisk, or the defaults.
//!
//! The host runner puts a [`BootConfig`] into the ramdisk (see the
//! `boot-config` crate for the format). [`load`] decodes and validates it
//! again, whatever the host did, and says on the console what it found. A
//! missing, corrupt or invalid ramdisk is never fatal: the kernel says why
//! it rejected it and carries on with [`BootConfig::default`].

use boot_config::{decode_config, BootConfig};
use bootloader_api::BootInfo;

use crate::drivers::ramdisk;
use crate::out::{self, Out};

/// The configuration in the ramdisk, or the defaults if there is none or
/// it is rejected; writes one `config:` line to `out` saying which.
pub fn load(boot_info: &BootInfo, out: Out<'_>) -> BootConfig {
    let Some(bytes) = ramdisk::bytes(boot_info) else {
        out::line(out, format_args!("config: no ramdisk; using defaults"));
        return BootConfig::default();
    };
    match decode_config(bytes) {
        Ok(config) => {
            out::line(out, format_args!("config: {config}"));
            config
        }
        Err(error) => {
            out::line(
                out,
                format_args!("config: ramdisk rejected: {error}; using defaults"),
            );
            BootConfig::default()
        }
    }
}
