//! The upkeep kernel: an x86_64 kernel whose showcase subsystem is the
//! automated update scheduler of the `update-sched` crate.
//!
//! The library holds everything the kernel binaries share; each binary in
//! `src/main.rs` and `src/bin/` is a thin `entry_point!` that calls
//! [`init`] and then does its one job. Bring-up happens in one place, in
//! order: serial first (so everything after it can report), then the CPU
//! tables and interrupts, then the clock and the scheduler's worker.
//!
//! `unsafe` lives only in the hardware-facing modules ([`arch`],
//! [`drivers`] and [`qemu`]); each block says why it is sound.
//!
//! The library also builds for the host in test mode (`cargo test -p
//! kernel --lib`), where the serial port and interrupt masking are
//! replaced by doubles (see `host.rs`), so that the logic above the
//! hardware is unit-tested without booting.
#![cfg_attr(not(test), no_std)]
#![feature(abi_x86_interrupt)]
#![warn(missing_docs)]
#![deny(missing_debug_implementations)]
#![deny(unsafe_op_in_unsafe_fn)]

pub mod arch;
pub mod audit;
pub mod clock;
pub mod config;
pub mod console;
pub mod drivers;
pub mod executor;
#[cfg(test)]
mod host;
pub mod inventory;
pub mod manifest;
pub mod memory;
pub mod metrics;
pub mod out;
pub mod qemu;
pub mod random;
pub mod run;
pub mod update;
pub mod worker;

use bootloader_api::info::MemoryRegionKind;
use bootloader_api::{BootInfo, BootloaderConfig};
use update_sched::civil::WallTime;

/// The kernel's version, from its `Cargo.toml`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Size of the kernel stack the bootloader sets up. The scheduler (about
/// 60 KB) is built on the stack before it moves into a static, and an
/// unoptimised build copies it several times on the way: the demo
/// overflowed 512 KiB and ran in 640 KiB, so 1 MiB leaves a wide margin.
/// An overflow hits the guard page below the stack and is reported as a
/// double fault.
pub const KERNEL_STACK_SIZE: u64 = 1024 * 1024;

/// What every kernel binary asks of the bootloader: pass it to
/// `bootloader_api::entry_point!` as `config = &kernel::BOOTLOADER_CONFIG`.
pub static BOOTLOADER_CONFIG: BootloaderConfig = {
    let mut config = BootloaderConfig::new_default();
    config.kernel_stack_size = KERNEL_STACK_SIZE;
    config
};

/// Summary of the memory map the bootloader handed over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemorySummary {
    /// Number of regions in the map.
    pub regions: usize,
    /// Bytes in regions the kernel may use.
    pub usable_bytes: u64,
}

impl MemorySummary {
    /// Reads the map in `boot_info`.
    pub fn of(boot_info: &BootInfo) -> MemorySummary {
        let usable_bytes = boot_info
            .memory_regions
            .iter()
            .filter(|region| region.kind == MemoryRegionKind::Usable)
            .map(|region| region.end - region.start)
            .sum();
        MemorySummary {
            regions: boot_info.memory_regions.len(),
            usable_bytes,
        }
    }
}

/// Brings the machine up and prints the boot banner.
///
/// Order matters: the serial port comes first so that every later step,
/// and any panic or exception, can be reported; then the CPU tables,
/// interrupts and the timer; then the frame allocator; then the clock,
/// which needs the timer running. Later subsystems are brought up here as
/// they are added, after the clock.
pub fn init(boot_info: &BootInfo) -> MemorySummary {
    drivers::serial::init();
    let summary = MemorySummary::of(boot_info);
    serial_println!(
        "upkeep kernel {} booted: memory map has {} regions, {} MiB usable",
        VERSION,
        summary.regions,
        summary.usable_bytes / (1024 * 1024)
    );
    arch::init();
    memory::init(&boot_info.memory_regions);
    serial_println!("memory: {}", memory::usage());
    start_clock();
    summary
}

/// Starts the clock from the RTC, or from the Unix epoch, untrusted, if
/// the RTC cannot be read or names a time the clock cannot represent (the
/// kernel still runs; its wall clock is then plainly wrong, and manifests
/// are refused). Says so when the RTC has no plausible century register.
fn start_clock() {
    use drivers::rtc::{self, Century, RtcError};
    let reading = rtc::read_raw().and_then(|raw| Ok((raw, rtc::decode(raw)?)));
    match reading {
        Ok((raw, boot_wall)) => {
            clock::init(boot_wall);
            if let Century::Assumed(value) = rtc::century(raw) {
                serial_println!(
                    "clock: RTC century register holds {value:#04x}, no century; assuming 20xx"
                );
            }
            serial_println!(
                "clock: RTC says {}; timer {} Hz",
                clock::ClockFace(boot_wall),
                arch::TIMER_HZ
            );
        }
        Err(error) => {
            let why = match error {
                RtcError::OutOfRange(_) => clock::Untrusted::RtcOutOfRange,
                _ => clock::Untrusted::RtcUnreadable,
            };
            clock::init_untrusted(why);
            serial_println!(
                "clock: RTC unusable ({}); starting at {}, untrusted: manifests are refused; timer {} Hz",
                error,
                clock::ClockFace(WallTime::UNIX_EPOCH),
                arch::TIMER_HZ
            );
        }
    }
}

/// Prints `PANIC: <message>` and ends QEMU with the failure code.
///
/// A kernel panic is a bug, never an error path: the host runner turns
/// this exit into a failed run.
#[cfg(not(test))]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    drivers::serial::panic_println(format_args!("PANIC: {}", info));
    qemu::exit(qemu::ExitCode::Failure)
}
