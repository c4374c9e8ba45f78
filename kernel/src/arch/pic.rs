//! The two cascaded 8259 programmable interrupt controllers (PICs).
//!
//! At power-on the primary PIC delivers IRQs 0-7 on vectors 8-15, where the
//! CPU's own exceptions live; [`init`] moves IRQs 0-15 to vectors 32-47 and
//! masks every line except the timer's. Under UEFI the firmware leaves the
//! local APIC in virtual-wire mode, so the PICs' interrupts still reach the
//! CPU.
//!
//! A PIC raises a *spurious* interrupt on its lowest-priority line (IRQ 7,
//! or IRQ 15 on the secondary) when a request vanishes before the CPU
//! acknowledges it, masked line or not. Its in-service register then has
//! no bit set for that line, and it must not be acknowledged: see
//! [`acknowledge_lowest_priority`].

use pic8259::ChainedPics;
use spin::Mutex;
use x86_64::instructions::port::Port;

/// The vector of IRQ 0; IRQs 0-7 follow on, just past the 32 vectors the
/// CPU reserves for exceptions.
pub(super) const PRIMARY_OFFSET: u8 = 32;
/// The vector of IRQ 8; IRQs 8-15 follow on.
pub(super) const SECONDARY_OFFSET: u8 = PRIMARY_OFFSET + 8;

/// The timer's IRQ line.
pub(super) const TIMER_IRQ: u8 = 0;
/// The primary PIC's lowest-priority line, where its spurious interrupts
/// arrive.
pub(super) const PRIMARY_SPURIOUS_IRQ: u8 = 7;
/// The secondary PIC's lowest-priority line.
pub(super) const SECONDARY_SPURIOUS_IRQ: u8 = 15;

/// Command ports of the primary and secondary PIC.
const PRIMARY_COMMAND: u16 = 0x20;
const SECONDARY_COMMAND: u16 = 0xa0;
/// OCW3: make the next read of the command port return the in-service
/// register.
const READ_IN_SERVICE_REGISTER: u8 = 0x0b;
/// OCW2: non-specific end of interrupt.
const END_OF_INTERRUPT: u8 = 0x20;

/// Both PICs. The timer's interrupt handler takes this lock, so everything
/// else must take it with interrupts disabled.
static PICS: Mutex<ChainedPics> =
    // SAFETY: vectors 32-47 are not CPU exceptions, and the IDT gives each
    // vector the PICs are enabled to raise a handler (see `interrupts`).
    Mutex::new(unsafe { ChainedPics::new(PRIMARY_OFFSET, SECONDARY_OFFSET) });

/// The vector the PICs raise for `irq`.
pub(super) const fn vector(irq: u8) -> u8 {
    if irq < 8 {
        PRIMARY_OFFSET + irq
    } else {
        SECONDARY_OFFSET + irq - 8
    }
}

/// Remaps both PICs and unmasks the timer's line only. Call with
/// interrupts disabled, after the IDT is loaded.
pub(super) fn init() {
    let mut pics = PICS.lock();
    let primary_mask = !(1u8 << TIMER_IRQ);
    let secondary_mask = u8::MAX;
    // SAFETY: the PICs' ports are the PC's standard ones and this module is
    // their only user; interrupts are disabled, and the IDT already holds
    // a handler for every line left unmasked and for both spurious lines.
    unsafe {
        pics.initialize();
        pics.write_masks(primary_mask, secondary_mask);
    }
}

/// Acknowledges `irq` on the PIC(s) that raised it. For handlers of
/// unmasked lines other than the lowest-priority ones.
pub(super) fn acknowledge(irq: u8) {
    // SAFETY: called at the end of the handler for `irq`, which the PICs
    // raised and which is in service: acknowledging it is what they expect.
    unsafe { PICS.lock().notify_end_of_interrupt(vector(irq)) };
}

/// Handles an interrupt on IRQ 7 or IRQ 15: acknowledges it if it was
/// real and drops it if it was spurious.
///
/// A spurious IRQ 15 still passed through the primary PIC's cascade line,
/// which is in service and must be acknowledged on its own.
pub(super) fn acknowledge_lowest_priority(irq: u8) {
    let command = if irq < 8 {
        PRIMARY_COMMAND
    } else {
        SECONDARY_COMMAND
    };
    if in_service(command) & 0x80 != 0 {
        acknowledge(irq);
    } else if irq >= 8 {
        let mut primary = Port::<u8>::new(PRIMARY_COMMAND);
        // SAFETY: a non-specific end of interrupt to the primary PIC ends
        // its cascade line's service, the only one in service for it now
        // since we are in an interrupt handler with interrupts disabled.
        unsafe { primary.write(END_OF_INTERRUPT) };
    }
}

/// The in-service register of the PIC whose command port is `command`.
fn in_service(command: u16) -> u8 {
    let mut port = Port::<u8>::new(command);
    let _guard = PICS.lock();
    // SAFETY: OCW3 only selects which register the next read returns; the
    // lock keeps the PIC driver from interleaving its own commands.
    unsafe {
        port.write(READ_IN_SERVICE_REGISTER);
        port.read()
    }
}
