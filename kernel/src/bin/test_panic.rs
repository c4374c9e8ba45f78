//! Test kernel: boots, then panics, so the tests can check that a panic is
//! shown and reported as a failure.
#![no_std]
#![no_main]

use bootloader_api::{entry_point, BootInfo};

entry_point!(kernel_main, config = &kernel::BOOTLOADER_CONFIG);

fn kernel_main(boot_info: &'static mut BootInfo) -> ! {
    kernel::init(boot_info);
    let answer = core::hint::black_box(41);
    panic!("deliberate test panic, answer was {answer}");
}
