//! The CPU and the PC platform around it: segment tables, interrupts and
//! the periodic timer.
//!
//! [`init`] brings them up in the only order that works: the GDT and TSS
//! first (the IDT's double-fault entry names a TSS stack), then the IDT,
//! then the interrupt controllers and the timer, and only then are
//! interrupts enabled. Everything else in the kernel sees this module
//! through a handful of functions: [`ticks`] and [`TIMER_HZ`] for time,
//! [`wait_for_interrupt`] for idling, [`cycles`] for fine-grained
//! accounting and [`without_interrupts`] for short critical sections.
//!
//! Interrupt handlers do the least they can: the timer's counts a tick and
//! acknowledges it; an exception handler reports what happened and ends the
//! run, because a CPU exception in this kernel is always a bug.

mod gdt;
mod interrupts;
mod pic;
mod timer;

pub use timer::{ticks, MILLIS_PER_TICK, TIMER_HZ};

/// An address the bootloader never maps: canonical, in a 512 GiB slot of
/// the address space that no mapping of this kernel uses.
const UNMAPPED_ADDRESS: u64 = 0x0dea_dbee_f000;

/// Brings up the GDT and TSS, the IDT, the interrupt controllers and the
/// timer, then enables interrupts.
///
/// Call once, early in boot, after the serial port (so that an exception
/// from here on can be reported).
pub fn init() {
    x86_64::instructions::interrupts::disable();
    gdt::init();
    interrupts::init();
    pic::init();
    timer::init();
    x86_64::instructions::interrupts::enable();
}

/// Enables interrupts and halts until the next one, atomically.
///
/// `sti` takes effect only after the instruction that follows it, so an
/// interrupt arriving between the two cannot be lost: it wakes the `hlt`.
/// Returns after that interrupt has been handled, with interrupts enabled.
pub fn wait_for_interrupt() {
    x86_64::instructions::interrupts::enable_and_hlt();
}

/// The CPU's time-stamp counter (`rdtsc`).
///
/// Only differences and ratios mean anything: the rate is the CPU's
/// nominal frequency on real hardware and roughly the host's under QEMU's
/// emulation.
pub fn cycles() -> u64 {
    // SAFETY: `rdtsc` only reads the time-stamp counter; every x86_64 CPU
    // has it and this kernel runs at ring 0, where it is always allowed.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Runs `f` with interrupts disabled, restoring their previous state after.
///
/// Locks that an interrupt handler might also take must be held only in
/// here, so that a handler can never spin on a lock its own CPU holds.
#[cfg(not(test))]
pub fn without_interrupts<R>(f: impl FnOnce() -> R) -> R {
    x86_64::instructions::interrupts::without_interrupts(f)
}

/// Runs `f`: in a host test there are no interrupts to mask (and `cli`
/// would fault in user mode).
#[cfg(test)]
pub fn without_interrupts<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// Reads from an unmapped address, so that the page-fault handler reports
/// it and ends the run with a failure. For the `test-fault` kernel.
pub fn trigger_page_fault() -> ! {
    let address = UNMAPPED_ADDRESS as *const u64;
    // SAFETY: deliberately not a valid read: nothing is mapped at this
    // canonical address, so the CPU raises a page fault before any value
    // is produced, and the handler ends the run without returning here.
    let value = unsafe { core::ptr::read_volatile(address) };
    crate::drivers::serial::panic_println(format_args!(
        "trigger_page_fault: {address:p} is mapped after all (read {value:#x})"
    ));
    crate::qemu::exit(crate::qemu::ExitCode::Failure)
}
