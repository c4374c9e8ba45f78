//! The upkeep kernel's entry point.
#![no_std]
#![no_main]

use bootloader_api::{entry_point, BootInfo};
use kernel::qemu;

entry_point!(kernel_main);

fn kernel_main(boot_info: &'static mut BootInfo) -> ! {
    kernel::init(boot_info);
    kernel::serial_println!("nothing scheduled yet: shutting down");
    qemu::exit(qemu::ExitCode::Success)
}
