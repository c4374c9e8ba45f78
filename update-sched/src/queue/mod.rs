//! The scheduler's ready queue, built from parts that also stand on their
//! own: the scheduler keeps its updates in a [`SlotIndex`] and queues the
//! ready ones in a `SlotHeap<PackedKey, N>`.
//!
//! - [`SlotIndex`] maps each [`UpdateId`](crate::UpdateId) to a [`Slot`]: a small number
//!   below `N` that stays the same for as long as the id is in the index,
//!   so that other tables can be indexed by it;
//! - [`SlotHeap`] is a binary min-heap of `(key, slot)` pairs that also
//!   knows where each slot sits in the heap, so that it can remove or re-key
//!   any slot in O(log n), not only the top one;
//! - [`PackedKey`] is the one key layout of the ready queue: a [`Rank`]
//!   (Critical, then forced, then the other priorities), a deadline in
//!   whole seconds and a sequence number, packed into a `u64` whose numeric
//!   order is the queue order, so every comparison is one integer compare.
//!
//! [`crate::ordered_queue::UpdateQueue`] composes the same parts into a
//! self-contained priority queue that numbers its pushes itself; the
//! scheduler does not use it.
//!
//! # Layout
//!
//! Everything lives in arrays of length `N`; nothing is allocated. Per
//! entry:
//!
//! | part          | array          | indexed by    | bytes                 |
//! | ------------- | -------------- | ------------- | --------------------- |
//! | [`SlotIndex`] | `ids`          | slot          | 4                     |
//! |               | `next`         | slot          | 2                     |
//! |               | `bucket_heads` | hash bucket   | 2                     |
//! | [`SlotHeap`]  | `keys`         | heap position | `size_of::<K>()`      |
//! |               | `slots`        | heap position | 2                     |
//! |               | `positions`    | slot          | 2                     |
//!
//! So a `SlotIndex` costs 8 bytes per entry and a `SlotHeap<K, N>` costs
//! `size_of::<K>() + 4` (12 for a `u64` or [`PackedKey`]).
//!
//! The heap keeps keys and slots in two parallel arrays rather than one
//! array of `(K, u16)` pairs, because a pair with a `u64` key would be
//! padded to 16 bytes. Sifting compares keys only, so the comparisons walk
//! one dense array; the slot array is touched only when an entry moves.
//!
//! Slot indices and heap positions are `u16`, which caps `N` at 65,535
//! (checked at compile time); `u16::MAX` marks "no slot".
//!
//! # Sequence numbers
//!
//! A sequence number in the key makes entries with equal rank and deadline
//! come out in the order they went in. It has 29 bits; a user whose
//! counter runs out (after 536,870,912 pushes) either starts again from 0,
//! accepting that ties among the entries queued at that moment may be
//! broken out of submission order, or renumbers the queued entries in
//! place and in their existing order with [`SlotHeap::rekey_in_order`].

use core::fmt;

mod heap;
mod index;
mod key;

pub use heap::{HeapError, HeapKey, SlotHeap, SlotHeapIter};
pub use index::{IndexError, Slot, SlotIndex, SlotIndexIter};
pub use key::{PackedKey, Rank};

/// Marks the end of a hash chain or of the free list. Slots are numbered
/// below `N <= u16::MAX`, so this value is never a real slot.
const NO_SLOT: u16 = u16::MAX;

/// Bits of a packed key given to the sequence number: for [`PackedKey`],
/// what is left of 64 bits after 3 for the rank and 32 for the deadline.
/// The ordered queue's 96-bit key gives its sequence the same width.
pub(crate) const SEQUENCE_BITS: u32 = 29;

/// First sequence number that does not fit in [`SEQUENCE_BITS`].
pub(crate) const SEQUENCE_LIMIT: u32 = 1 << SEQUENCE_BITS;

/// Evaluated by every `new` here so that an oversized `N` is a compile
/// error: slots and positions are stored as `u16`, with `u16::MAX`
/// reserved for [`NO_SLOT`].
struct CapacityFitsU16<const N: usize>;

impl<const N: usize> CapacityFitsU16<N> {
    const CHECK: () = assert!(N <= u16::MAX as usize, "capacity must be at most 65,535");
}

/// Debug-prints what an iterator yields as a list.
pub(crate) struct ListDebug<F>(pub(crate) F);

impl<F: Fn() -> I, I: Iterator<Item = T>, T: fmt::Debug> fmt::Debug for ListDebug<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries((self.0)()).finish()
    }
}
