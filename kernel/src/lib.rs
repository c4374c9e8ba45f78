//! The upkeep kernel: an x86_64 kernel whose showcase subsystem is the
//! automated update scheduler of the `update-sched` crate.
//!
//! The library holds everything the kernel binaries share; each binary in
//! `src/main.rs` and `src/bin/` is a thin `entry_point!` that calls
//! [`init`] and then does its one job. Bring-up happens in one place, in
//! order: serial first (so everything after it can report), then the CPU
//! tables and interrupts, then the clock and the scheduler's worker.
//!
//! `unsafe` lives only in the hardware-facing modules ([`drivers`] and
//! [`qemu`]); each block says why it is sound.
#![no_std]
#![warn(missing_docs)]
#![deny(missing_debug_implementations)]
#![deny(unsafe_op_in_unsafe_fn)]

pub mod drivers;
pub mod qemu;

use bootloader_api::info::MemoryRegionKind;
use bootloader_api::BootInfo;

/// The kernel's version, from its `Cargo.toml`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

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
/// and any panic, can be reported. CPU tables, interrupts, the timer and
/// the scheduler's worker are brought up here as they are added, after
/// the banner.
pub fn init(boot_info: &BootInfo) -> MemorySummary {
    drivers::serial::init();
    let memory = MemorySummary::of(boot_info);
    serial_println!(
        "upkeep kernel {} booted: memory map has {} regions, {} MiB usable",
        VERSION,
        memory.regions,
        memory.usable_bytes / (1024 * 1024)
    );
    memory
}

/// Prints `PANIC: <message>` and ends QEMU with the failure code.
///
/// A kernel panic is a bug, never an error path: the host runner turns
/// this exit into a failed run.
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    drivers::serial::panic_println(format_args!("PANIC: {}", info));
    qemu::exit(qemu::ExitCode::Failure)
}
