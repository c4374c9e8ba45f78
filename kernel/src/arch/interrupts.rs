//! The interrupt descriptor table (IDT) and its handlers.
//!
//! Every CPU exception has a handler that prints what happened (name,
//! vector, error code decoded, the faulting address for a page fault, and
//! where the CPU was) and ends the run with a failure: in this kernel an
//! exception is always a bug, and nothing could be trusted after it. The
//! reports go through the serial driver's panic path, which takes the port
//! even if the faulting code held it.
//!
//! Hardware interrupts: the timer's handler counts a tick and acknowledges
//! it, nothing more; the handlers of IRQ 7 and 15 filter out spurious
//! interrupts (see [`super::pic`]). Vectors reserved by the CPU stay
//! empty, as the `x86_64` crate requires.

use core::fmt;

use spin::Lazy;
use x86_64::registers::control::Cr2;
use x86_64::structures::idt::{InterruptDescriptorTable, InterruptStackFrame, PageFaultErrorCode};

use super::{gdt, pic, timer};
use crate::drivers::serial::panic_println;
use crate::qemu;

static IDT: Lazy<InterruptDescriptorTable> = Lazy::new(|| {
    let mut idt = InterruptDescriptorTable::new();
    idt.divide_error.set_handler_fn(divide_error);
    idt.debug.set_handler_fn(debug);
    idt.non_maskable_interrupt
        .set_handler_fn(non_maskable_interrupt);
    idt.breakpoint.set_handler_fn(breakpoint);
    idt.overflow.set_handler_fn(overflow);
    idt.bound_range_exceeded
        .set_handler_fn(bound_range_exceeded);
    idt.invalid_opcode.set_handler_fn(invalid_opcode);
    idt.device_not_available
        .set_handler_fn(device_not_available);
    let double_fault = idt.double_fault.set_handler_fn(double_fault);
    // SAFETY: the IST slot holds the double-fault stack set up by `gdt`,
    // used by no other vector.
    unsafe { double_fault.set_stack_index(gdt::DOUBLE_FAULT_IST_INDEX) };
    idt.invalid_tss.set_handler_fn(invalid_tss);
    idt.segment_not_present.set_handler_fn(segment_not_present);
    idt.stack_segment_fault.set_handler_fn(stack_segment_fault);
    idt.general_protection_fault
        .set_handler_fn(general_protection_fault);
    idt.page_fault.set_handler_fn(page_fault);
    idt.x87_floating_point.set_handler_fn(x87_floating_point);
    idt.alignment_check.set_handler_fn(alignment_check);
    idt.machine_check.set_handler_fn(machine_check);
    idt.simd_floating_point.set_handler_fn(simd_floating_point);
    idt.virtualization.set_handler_fn(virtualization);
    idt.cp_protection_exception
        .set_handler_fn(control_protection);
    idt.hv_injection_exception
        .set_handler_fn(hypervisor_injection);
    idt.vmm_communication_exception
        .set_handler_fn(vmm_communication);
    idt.security_exception.set_handler_fn(security_exception);

    idt[pic::vector(pic::TIMER_IRQ)].set_handler_fn(timer_interrupt);
    idt[pic::vector(pic::PRIMARY_SPURIOUS_IRQ)].set_handler_fn(primary_lowest_priority);
    idt[pic::vector(pic::SECONDARY_SPURIOUS_IRQ)].set_handler_fn(secondary_lowest_priority);
    idt
});

/// Loads the IDT. Call once, with interrupts disabled, after the GDT.
pub(super) fn init() {
    IDT.load();
}

extern "x86-interrupt" fn timer_interrupt(_frame: InterruptStackFrame) {
    timer::count_tick();
    pic::acknowledge(pic::TIMER_IRQ);
}

extern "x86-interrupt" fn primary_lowest_priority(_frame: InterruptStackFrame) {
    pic::acknowledge_lowest_priority(pic::PRIMARY_SPURIOUS_IRQ);
}

extern "x86-interrupt" fn secondary_lowest_priority(_frame: InterruptStackFrame) {
    pic::acknowledge_lowest_priority(pic::SECONDARY_SPURIOUS_IRQ);
}

/// What an exception pushes besides the stack frame.
enum Details {
    /// Nothing.
    None,
    /// An error code with no further structure.
    Code(u64),
    /// An error code naming the segment selector or IDT vector involved.
    Selector(u64),
    /// A page fault's error code and the address it tried to access.
    PageFault {
        code: PageFaultErrorCode,
        address: u64,
    },
    /// A double fault's error code (always 0), the last address a page
    /// fault reported, and the stack pointer when the first fault struck.
    DoubleFault {
        code: u64,
        last_page_fault: u64,
        stack_pointer: u64,
    },
}

/// How close to the stack pointer a page-fault address must be for a
/// double fault to be blamed on a stack overflow. Stack probes touch a
/// large frame page by page as it is allocated, so an overflow faults
/// within a page or so of the stack pointer; anything farther is some
/// other access.
const STACK_OVERFLOW_REACH: u64 = 64 * 1024;

impl fmt::Display for Details {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Details::None => Ok(()),
            Details::Code(code) => write!(f, "\n  error code: {code:#x}"),
            Details::Selector(code) => {
                write!(f, "\n  error code: {code:#x}")?;
                write_selector(f, code)
            }
            Details::PageFault { code, address } => {
                write!(f, "\n  address: {address:#x}")?;
                write!(f, "\n  error code: {:#x} =", code.bits())?;
                write_page_fault(f, code)
            }
            Details::DoubleFault {
                code,
                last_page_fault,
                stack_pointer,
            } => {
                write!(f, "\n  error code: {code:#x}")?;
                write!(f, "\n  last page-fault address: {last_page_fault:#x}")?;
                // A fault while pushing onto an exhausted stack leaves CR2
                // just below the stack pointer: the guard page under the
                // kernel stack.
                if stack_pointer.abs_diff(last_page_fault) < STACK_OVERFLOW_REACH {
                    f.write_str(
                        "\n  it lies next to the stack pointer: most likely the \
                         kernel stack overflowed (see KERNEL_STACK_SIZE)",
                    )?;
                }
                Ok(())
            }
        }
    }
}

/// Decodes a selector error code: external event bit, table, index.
fn write_selector(f: &mut fmt::Formatter<'_>, code: u64) -> fmt::Result {
    if code == 0 {
        return f.write_str(" (no selector involved)");
    }
    let index = (code >> 3) & 0x1fff;
    match (code >> 1) & 0b11 {
        0b00 => write!(f, " (GDT entry {index}")?,
        0b10 => write!(f, " (LDT entry {index}")?,
        _ => write!(f, " (IDT vector {index}")?,
    }
    if code & 1 != 0 {
        f.write_str(", during an external event")?;
    }
    f.write_str(")")
}

/// Decodes a page fault's error code into words.
fn write_page_fault(f: &mut fmt::Formatter<'_>, code: PageFaultErrorCode) -> fmt::Result {
    let cause = if code.contains(PageFaultErrorCode::PROTECTION_VIOLATION) {
        "protection violation"
    } else {
        "page not present"
    };
    let access = if code.contains(PageFaultErrorCode::INSTRUCTION_FETCH) {
        "instruction fetch"
    } else if code.contains(PageFaultErrorCode::CAUSED_BY_WRITE) {
        "write"
    } else {
        "read"
    };
    let mode = if code.contains(PageFaultErrorCode::USER_MODE) {
        "user mode"
    } else {
        "kernel mode"
    };
    write!(f, " {cause}, {access}, {mode}")?;
    if code.contains(PageFaultErrorCode::MALFORMED_TABLE) {
        f.write_str(", reserved bit set in a page table")?;
    }
    Ok(())
}

/// Reports an exception on the serial port and ends the run as a failure.
fn report(name: &str, vector: u8, details: Details, frame: &InterruptStackFrame) -> ! {
    panic_println(format_args!(
        "EXCEPTION: {name} (vector {vector}){details}\n  \
         at rip {:#x}, rsp {:#x}, rflags {:#x}, cs {:#x}, ss {:#x}",
        frame.instruction_pointer.as_u64(),
        frame.stack_pointer.as_u64(),
        frame.cpu_flags.bits(),
        frame.code_segment.0,
        frame.stack_segment.0,
    ));
    qemu::exit(qemu::ExitCode::Failure)
}

/// Defines handlers for exceptions that push no error code.
macro_rules! exception_handlers {
    ($($handler:ident: $name:literal, vector $vector:literal;)*) => {$(
        extern "x86-interrupt" fn $handler(frame: InterruptStackFrame) {
            report($name, $vector, Details::None, &frame)
        }
    )*};
}

/// Defines handlers for exceptions that push an error code, decoded as
/// `$details`.
macro_rules! exception_handlers_with_code {
    ($($handler:ident: $name:literal, vector $vector:literal, $details:ident;)*) => {$(
        extern "x86-interrupt" fn $handler(frame: InterruptStackFrame, code: u64) {
            report($name, $vector, Details::$details(code), &frame)
        }
    )*};
}

exception_handlers! {
    divide_error: "divide error", vector 0;
    debug: "debug", vector 1;
    non_maskable_interrupt: "non-maskable interrupt", vector 2;
    breakpoint: "breakpoint", vector 3;
    overflow: "overflow", vector 4;
    bound_range_exceeded: "bound range exceeded", vector 5;
    invalid_opcode: "invalid opcode", vector 6;
    device_not_available: "device not available", vector 7;
    x87_floating_point: "x87 floating-point error", vector 16;
    simd_floating_point: "SIMD floating-point error", vector 19;
    virtualization: "virtualization exception", vector 20;
    hypervisor_injection: "hypervisor injection exception", vector 28;
}

exception_handlers_with_code! {
    invalid_tss: "invalid TSS", vector 10, Selector;
    segment_not_present: "segment not present", vector 11, Selector;
    stack_segment_fault: "stack-segment fault", vector 12, Selector;
    general_protection_fault: "general protection fault", vector 13, Selector;
    alignment_check: "alignment check", vector 17, Code;
    control_protection: "control protection exception", vector 21, Code;
    vmm_communication: "VMM communication exception", vector 29, Code;
    security_exception: "security exception", vector 30, Code;
}

extern "x86-interrupt" fn double_fault(frame: InterruptStackFrame, code: u64) -> ! {
    let details = Details::DoubleFault {
        code,
        last_page_fault: Cr2::read_raw(),
        stack_pointer: frame.stack_pointer.as_u64(),
    };
    report("double fault", 8, details, &frame)
}

extern "x86-interrupt" fn page_fault(frame: InterruptStackFrame, code: PageFaultErrorCode) {
    let address = Cr2::read_raw();
    report(
        "page fault",
        14,
        Details::PageFault { code, address },
        &frame,
    )
}

extern "x86-interrupt" fn machine_check(frame: InterruptStackFrame) -> ! {
    report("machine check", 18, Details::None, &frame)
}
