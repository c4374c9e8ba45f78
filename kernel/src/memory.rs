//! Physical memory: a frame allocator over the bootloader's memory map,
//! and how much of the machine's RAM is in use.
//!
//! The allocator hands out 4 KiB frames from the map's usable regions in
//! address order and never takes one back: nothing in this kernel frees
//! physical memory, so a bump allocator is all it needs. It remembers up
//! to [`MAX_USABLE_REGIONS`] usable regions; a map with more (none seen
//! under QEMU, which gives a handful) has its highest regions counted as
//! free RAM that is never handed out.
//!
//! [`usage`] is the figure the scheduler's memory gate sees: RAM held by
//! the firmware, the bootloader and the kernel (every RAM region the map
//! does not call usable: the kernel image, its stack, page tables, boot
//! information, ACPI tables) plus the frames allocated since boot, out of
//! all RAM in the map. Device memory and reserved holes are not RAM and
//! count in neither figure.

use core::fmt;

use bootloader_api::info::{MemoryRegion, MemoryRegionKind};
use heapless::Vec;
use spin::Mutex;
use x86_64::structures::paging::{PhysFrame, Size4KiB};
use x86_64::PhysAddr;

/// Size of a frame, the unit of allocation.
pub const FRAME_SIZE: u64 = 4096;

/// Usable regions the allocator keeps track of.
pub const MAX_USABLE_REGIONS: usize = 64;

/// BIOS (E820) region types that are RAM although not usable: 3, ACPI
/// tables the OS may reclaim once read; 4, ACPI non-volatile storage.
const BIOS_RAM_KINDS: [u32; 2] = [3, 4];
/// UEFI memory types that are RAM although not usable: 5 and 6, runtime
/// services code and data; 9, ACPI reclaimable memory; 10, ACPI NVS.
/// (Loader and boot services memory arrive as usable or bootloader
/// regions.)
const UEFI_RAM_KINDS: [u32; 4] = [5, 6, 9, 10];

/// A run of whole frames, `start..end`, both frame-aligned.
#[derive(Clone, Copy, Debug)]
struct FrameRange {
    start: u64,
    end: u64,
}

/// The allocator's state.
#[derive(Debug)]
struct FrameAllocator {
    /// Usable memory, in address order.
    free: Vec<FrameRange, MAX_USABLE_REGIONS>,
    /// Index in `free` of the range the next frame comes from.
    current: usize,
    /// The next frame's address within `free[current]`.
    next: u64,
    /// Frames handed out since boot.
    allocated: u64,
    /// RAM that the map does not call usable.
    held_bytes: u64,
    /// All RAM in the map.
    total_bytes: u64,
}

impl FrameAllocator {
    /// No memory known yet: before `init`, and where `init` starts.
    const EMPTY: FrameAllocator = FrameAllocator {
        free: Vec::new(),
        current: 0,
        next: 0,
        allocated: 0,
        held_bytes: 0,
        total_bytes: 0,
    };
}

/// The allocator. No interrupt handler allocates, so the lock is taken
/// with interrupts enabled.
static FRAMES: Mutex<FrameAllocator> = Mutex::new(FrameAllocator::EMPTY);

/// Memory in use, out of all RAM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryUsage {
    /// RAM held by the firmware, the bootloader and the kernel, plus frames
    /// allocated since boot.
    pub used_bytes: u64,
    /// All RAM in the bootloader's memory map.
    pub total_bytes: u64,
}

impl MemoryUsage {
    /// The share of RAM in use, in thousandths (0 ..= 1000; 0 when the map
    /// has no RAM at all).
    pub fn permille(self) -> u32 {
        if self.total_bytes == 0 {
            return 0;
        }
        let share =
            u128::from(self.used_bytes.min(self.total_bytes)) * 1000 / u128::from(self.total_bytes);
        // At most 1000, so the conversion cannot fail.
        u32::try_from(share).unwrap_or(1000)
    }
}

/// Prints `1596 KiB of 127 MiB in use (12‰)`: sizes below 10 MiB in KiB,
/// larger ones in MiB, rounded down.
impl fmt::Display for MemoryUsage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_size(f, self.used_bytes)?;
        f.write_str(" of ")?;
        write_size(f, self.total_bytes)?;
        write!(f, " in use ({}‰)", self.permille())
    }
}

/// Writes `bytes` in KiB below 10 MiB, else in MiB, rounding down.
fn write_size(f: &mut fmt::Formatter<'_>, bytes: u64) -> fmt::Result {
    const MIB: u64 = 1024 * 1024;
    if bytes < 10 * MIB {
        write!(f, "{} KiB", bytes / 1024)
    } else {
        write!(f, "{} MiB", bytes / MIB)
    }
}

/// Takes over the bootloader's memory map. Call once, at boot; frames
/// allocated before are forgotten.
pub fn init(regions: &[MemoryRegion]) {
    let mut allocator = FrameAllocator::EMPTY;
    for region in regions {
        let size = region.end.saturating_sub(region.start);
        if !is_ram(region.kind) {
            continue;
        }
        allocator.total_bytes += size;
        if region.kind != MemoryRegionKind::Usable {
            allocator.held_bytes += size;
            continue;
        }
        let range = FrameRange {
            start: region.start.div_ceil(FRAME_SIZE) * FRAME_SIZE,
            end: region.end / FRAME_SIZE * FRAME_SIZE,
        };
        if range.start < range.end {
            // A full list leaves the region free but never handed out.
            let _ = allocator.free.push(range);
        }
    }
    allocator.free.sort_unstable_by_key(|range| range.start);
    allocator.next = allocator.free.first().map_or(0, |range| range.start);
    *FRAMES.lock() = allocator;
}

/// Hands out a frame of usable RAM, or `None` when there is none left.
pub fn allocate_frame() -> Option<PhysFrame<Size4KiB>> {
    let mut allocator = FRAMES.lock();
    let allocator = &mut *allocator;
    loop {
        let range = *allocator.free.get(allocator.current)?;
        if allocator.next < range.end {
            let address = allocator.next;
            allocator.next += FRAME_SIZE;
            allocator.allocated += 1;
            // The range is frame-aligned, so every address in it is too.
            return PhysFrame::from_start_address(PhysAddr::new(address)).ok();
        }
        allocator.current += 1;
        if let Some(next_range) = allocator.free.get(allocator.current) {
            allocator.next = next_range.start;
        }
    }
}

/// Memory in use now, out of all RAM.
pub fn usage() -> MemoryUsage {
    let allocator = FRAMES.lock();
    MemoryUsage {
        used_bytes: allocator.held_bytes + allocator.allocated * FRAME_SIZE,
        total_bytes: allocator.total_bytes,
    }
}

/// Whether a region of this kind is RAM (as opposed to device memory or a
/// reserved hole).
fn is_ram(kind: MemoryRegionKind) -> bool {
    match kind {
        MemoryRegionKind::Usable | MemoryRegionKind::Bootloader => true,
        MemoryRegionKind::UnknownBios(kind) => BIOS_RAM_KINDS.contains(&kind),
        MemoryRegionKind::UnknownUefi(kind) => UEFI_RAM_KINDS.contains(&kind),
        _ => false,
    }
}
