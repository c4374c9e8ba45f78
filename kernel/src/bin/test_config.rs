//! Test kernel: reads the boot configuration from the ramdisk and prints
//! what it got, so the tests can check every way a ramdisk is accepted or
//! rejected. The kernel carries on in every case: it exits with success.
#![no_std]
#![no_main]

use bootloader_api::{entry_point, BootInfo};
use kernel::{qemu, serial_println};

entry_point!(kernel_main, config = &kernel::BOOTLOADER_CONFIG);

fn kernel_main(boot_info: &'static mut BootInfo) -> ! {
    kernel::init(boot_info);
    let config = kernel::config::load(boot_info, &mut kernel::out::Serial);
    serial_println!(
        "test-config: seed={} days={} failures={:?} windows={} frequency={} max_concurrent={}",
        config.seed,
        config.days,
        config.failures.as_array(),
        Override(config.windows.as_ref()),
        Override(config.frequency.as_ref()),
        Override(config.max_concurrent.as_ref()),
    );
    match config.validate() {
        Ok(scheduler) => serial_println!(
            "test-config: scheduler windows={} frequency={} max_concurrent={}",
            scheduler.windows,
            scheduler.frequency,
            scheduler.max_concurrent
        ),
        Err(error) => serial_println!("test-config: FAILED: loaded config invalid: {}", error),
    }
    qemu::exit(qemu::ExitCode::Success)
}

/// An optional override: its value, or `profile` when there is none.
struct Override<'a, T>(Option<&'a T>);

impl<T: core::fmt::Display> core::fmt::Display for Override<'_, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0 {
            Some(value) => write!(f, "\"{value}\""),
            None => f.write_str("profile"),
        }
    }
}
