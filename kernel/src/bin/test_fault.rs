//! Test kernel: boots, then reads an unmapped address, so the tests can
//! check that a CPU exception is reported with its details and ends the run
//! as a failure.
#![no_std]
#![no_main]

use bootloader_api::{entry_point, BootInfo};

entry_point!(kernel_main, config = &kernel::BOOTLOADER_CONFIG);

fn kernel_main(boot_info: &'static mut BootInfo) -> ! {
    kernel::init(boot_info);
    kernel::arch::trigger_page_fault()
}
