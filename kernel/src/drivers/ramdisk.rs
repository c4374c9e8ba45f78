//! The ramdisk the bootloader loaded: a byte slice, read-only.
//!
//! The bootloader reads the disk image's `ramdisk` file into memory and maps
//! it at `boot_info.ramdisk_addr` (a virtual address in the kernel's page
//! tables) for `boot_info.ramdisk_len` bytes. What the bytes mean is the
//! `boot-config` crate's business; this module only hands them out.

use bootloader_api::BootInfo;

/// The ramdisk's bytes, or `None` when the image has no ramdisk.
///
/// The slice lives as long as the kernel: the bootloader never unmaps it,
/// and nothing in the kernel writes to it or frees its frames (the memory
/// map marks them as used by the bootloader).
pub fn bytes(boot_info: &BootInfo) -> Option<&'static [u8]> {
    let address = boot_info.ramdisk_addr.into_option()?;
    let len = usize::try_from(boot_info.ramdisk_len).ok()?;
    if len == 0 || address == 0 {
        return None;
    }
    // Refuse a range that wraps around the address space: no slice can
    // describe it.
    address.checked_add(boot_info.ramdisk_len)?;
    // SAFETY: the bootloader mapped `len` bytes at the virtual address
    // `address`, present and readable, before jumping to the kernel
    // (bootloader_api's `BootInfo::ramdisk_addr`), and they stay mapped for
    // the kernel's life. The frames are reported as bootloader memory, so
    // the frame allocator never hands them out and nothing else writes to
    // them: sharing them as `&'static [u8]` cannot alias a `&mut`. The
    // range does not wrap (checked above), and a `u8` has no alignment.
    Some(unsafe { core::slice::from_raw_parts(address as *const u8, len) })
}
