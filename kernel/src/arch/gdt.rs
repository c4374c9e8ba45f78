//! The global descriptor table (GDT) and the task state segment (TSS).
//!
//! In 64-bit mode segments barely matter, but the CPU still needs a code
//! segment to run in and a TSS for its interrupt stack table (IST). The
//! IST gives the double-fault handler a stack of its own: a double fault
//! often means the kernel stack itself is gone (an overflow into its guard
//! page), and a handler that pushed onto that stack would fault a third
//! time and reset the machine without a word.
//!
//! The bootloader hands over its own GDT; [`init`] replaces it and reloads
//! every segment register, so no selector still points into the old table.

use spin::Lazy;
use x86_64::instructions::segmentation::{Segment, CS, DS, ES, SS};
use x86_64::instructions::tables::load_tss;
use x86_64::structures::gdt::{Descriptor, GlobalDescriptorTable, SegmentSelector};
use x86_64::structures::tss::TaskStateSegment;
use x86_64::VirtAddr;

/// The IST slot the double-fault handler's stack sits in.
pub(super) const DOUBLE_FAULT_IST_INDEX: u16 = 0;

/// Size of the double-fault stack: room for the handler's report
/// (formatting included) with a wide margin.
const DOUBLE_FAULT_STACK_SIZE: usize = 20 * 1024;

/// A stack, aligned as the System V ABI wants at a call.
#[repr(C, align(16))]
struct Stack([u8; DOUBLE_FAULT_STACK_SIZE]);

/// The double-fault handler's stack. A `static mut` because the CPU writes
/// to it; Rust code only ever takes its address.
static mut DOUBLE_FAULT_STACK: Stack = Stack([0; DOUBLE_FAULT_STACK_SIZE]);

static TSS: Lazy<TaskStateSegment> = Lazy::new(|| {
    let mut tss = TaskStateSegment::new();
    let bottom = VirtAddr::from_ptr(&raw const DOUBLE_FAULT_STACK);
    // Stacks grow down: the IST entry holds the end of the stack.
    tss.interrupt_stack_table[usize::from(DOUBLE_FAULT_IST_INDEX)] =
        bottom + DOUBLE_FAULT_STACK_SIZE as u64;
    tss
});

/// The GDT and the selectors of the entries in it.
struct Tables {
    gdt: GlobalDescriptorTable,
    code: SegmentSelector,
    data: SegmentSelector,
    tss: SegmentSelector,
}

static TABLES: Lazy<Tables> = Lazy::new(|| {
    let mut gdt = GlobalDescriptorTable::new();
    let code = gdt.append(Descriptor::kernel_code_segment());
    let data = gdt.append(Descriptor::kernel_data_segment());
    let tss = gdt.append(Descriptor::tss_segment(&TSS));
    Tables {
        gdt,
        code,
        data,
        tss,
    }
});

/// Loads the GDT, points every segment register into it and loads the
/// TSS. Call once, with interrupts disabled.
pub(super) fn init() {
    let tables: &'static Tables = &TABLES;
    tables.gdt.load();
    // SAFETY: the selectors come from the GDT just loaded, which lives in a
    // static for the rest of the kernel's life: a 64-bit kernel code
    // segment for CS, a kernel data segment for the others, and an
    // available TSS descriptor (loaded once only, as `ltr` marks it busy).
    unsafe {
        CS::set_reg(tables.code);
        SS::set_reg(tables.data);
        DS::set_reg(tables.data);
        ES::set_reg(tables.data);
        load_tss(tables.tss);
    }
}
