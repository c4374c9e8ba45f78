//! The upkeep kernel's entry point: brings the machine up, reads the
//! boot-time configuration from the ramdisk, and runs the update service
//! (the demo, or the interactive console).
#![no_std]
#![no_main]

use bootloader_api::{entry_point, BootInfo};

entry_point!(kernel_main, config = &kernel::BOOTLOADER_CONFIG);

fn kernel_main(boot_info: &'static mut BootInfo) -> ! {
    kernel::init(boot_info);
    let config = kernel::config::load(boot_info, &mut kernel::out::Serial);
    let ramdisk = kernel::drivers::ramdisk::bytes(boot_info);
    kernel::run::run(&config, ramdisk)
}
