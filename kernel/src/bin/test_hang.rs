//! Test kernel: boots, then never finishes, so the tests can check that the
//! runner's timeout ends QEMU and says so.
#![no_std]
#![no_main]

use bootloader_api::{entry_point, BootInfo};

entry_point!(kernel_main, config = &kernel::BOOTLOADER_CONFIG);

fn kernel_main(boot_info: &'static mut BootInfo) -> ! {
    kernel::init(boot_info);
    kernel::serial_println!("test-hang: spinning until the runner gives up");
    loop {
        core::hint::spin_loop();
    }
}
