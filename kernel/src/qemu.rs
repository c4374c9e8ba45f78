//! Ending a run under QEMU with a verdict through `isa-debug-exit`.
//!
//! The host runner starts QEMU with
//! `-device isa-debug-exit,iobase=0xf4,iosize=0x04`. Writing `value` to port
//! 0xf4 makes QEMU exit with status `(value << 1) | 1`: 0x10 gives 33, which
//! the runner reads as success, and 0x11 gives 35, a failure. Status 0 and 1
//! are QEMU's own, so neither code can be confused with them.

use x86_64::instructions::port::Port;

/// The I/O port of QEMU's `isa-debug-exit` device.
const DEBUG_EXIT_PORT: u16 = 0xf4;

/// The verdict a kernel run ends with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum ExitCode {
    /// The kernel did what it was asked: QEMU exits with 33.
    Success = 0x10,
    /// Something went wrong: QEMU exits with 35.
    Failure = 0x11,
}

/// Ends QEMU with `code`. On a machine without the exit device (real
/// hardware, QEMU started by hand without it) the CPU halts instead.
pub fn exit(code: ExitCode) -> ! {
    let mut port = Port::<u32>::new(DEBUG_EXIT_PORT);
    // SAFETY: port 0xf4 is QEMU's debug-exit device, which has no effect
    // other than ending the emulator; without the device, a write to an
    // unused port is ignored.
    unsafe { port.write(code as u32) };
    halt_forever()
}

/// Halts the CPU forever, waking only to halt again.
pub fn halt_forever() -> ! {
    loop {
        x86_64::instructions::interrupts::disable();
        x86_64::instructions::hlt();
    }
}
