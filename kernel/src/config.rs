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
use crate::serial_println;

/// The configuration in the ramdisk, or the defaults if there is none or
/// it is rejected; prints one `config:` line saying which.
pub fn load(boot_info: &BootInfo) -> BootConfig {
    let Some(bytes) = ramdisk::bytes(boot_info) else {
        serial_println!("config: no ramdisk; using defaults");
        return BootConfig::default();
    };
    match decode_config(bytes) {
        Ok(config) => {
            serial_println!("config: {}", config);
            config
        }
        Err(error) => {
            serial_println!("config: ramdisk rejected: {}; using defaults", error);
            BootConfig::default()
        }
    }
}
