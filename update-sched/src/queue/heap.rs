//! [`SlotHeap`]: a binary min-heap of `(key, slot)` pairs that knows where
//! each slot sits, so that it can remove or re-key any slot in O(log n).

use core::fmt;
use core::iter::FusedIterator;

use super::{CapacityFitsU16, ListDebug, Slot, NO_SLOT};

/// A key a [`SlotHeap`] can order: any `Copy + Ord` type with a constant
/// to fill the heap's unused positions, which lets [`SlotHeap::new`] be a
/// `const fn`. The smallest key is served first.
pub trait HeapKey: Copy + Ord {
    /// Fills the positions not in use; never returned as a key.
    const FILLER: Self;
}

macro_rules! heap_key_for_integers {
    ($($integer:ty),*) => {
        $(
            impl HeapKey for $integer {
                const FILLER: $integer = 0;
            }
        )*
    };
}

heap_key_for_integers!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize);

/// Why [`SlotHeap::push`] refused a slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HeapError {
    /// Every position is taken, which also means every slot below `N` is
    /// queued; the heap is unchanged. Checked before
    /// [`HeapError::AlreadyQueued`].
    Full,
    /// The slot is already queued; the heap is unchanged.
    AlreadyQueued,
    /// The slot is not below the heap's capacity `N` (checked first); the
    /// heap is unchanged.
    SlotOutOfRange,
}

impl fmt::Display for HeapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HeapError::Full => "the heap is full",
            HeapError::AlreadyQueued => "the slot is already queued",
            HeapError::SlotOutOfRange => "the slot is not below the heap's capacity",
        })
    }
}

impl core::error::Error for HeapError {}

/// A fixed-capacity binary min-heap of `(key, slot)` pairs, at most one per
/// slot, that can also remove or re-key any queued slot in O(log n).
///
/// Slots are numbered below `N`; they normally come from a [`SlotIndex`](super::SlotIndex)
/// of the same capacity. Costs `size_of::<K>() + 4` bytes per entry (12
/// for a `u64` or [`PackedKey`](super::PackedKey)); see the module notes. Entries with equal
/// keys come out in no particular order: put a sequence number in the key
/// to make it first in, first out.
///
/// `N` must be at most 65,535; a larger `N` fails to compile:
///
/// ```compile_fail
/// let heap = update_sched::queue::SlotHeap::<u64, 65_536>::new();
/// ```
///
/// Every operation is allocation-free and panic-free.
#[derive(Clone)]
pub struct SlotHeap<K, const N: usize> {
    /// Keys in heap order over `keys[..len]`: no key is smaller than its
    /// parent's.
    keys: [K; N],
    /// `slots[position]` is the slot whose key is `keys[position]`.
    slots: [u16; N],
    /// Heap position of each queued slot. A slot is queued exactly when
    /// its position is below `len` and `slots` points back at it, so
    /// entries that leave the heap need no clean-up here.
    positions: [u16; N],
    /// Number of queued slots.
    len: u16,
}

impl<K: HeapKey, const N: usize> SlotHeap<K, N> {
    /// An empty heap. `const` so that a kernel can keep one in a `static`.
    #[inline]
    pub const fn new() -> SlotHeap<K, N> {
        let () = CapacityFitsU16::<N>::CHECK;
        SlotHeap {
            keys: [K::FILLER; N],
            slots: [NO_SLOT; N],
            positions: [0; N],
            len: 0,
        }
    }

    /// Most slots the heap can hold.
    #[inline]
    pub const fn capacity(&self) -> usize {
        N
    }

    /// Number of queued slots.
    #[inline]
    pub const fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether no slot is queued.
    #[inline]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether every slot is queued.
    #[inline]
    pub const fn is_full(&self) -> bool {
        self.len as usize == N
    }

    /// Queues `slot` with `key`. O(log n).
    ///
    /// Fails, changing nothing, with [`HeapError::SlotOutOfRange`] if
    /// `slot` is not below `N`, [`HeapError::Full`] if the heap is full, or
    /// [`HeapError::AlreadyQueued`] if `slot` is queued, checked in that
    /// order.
    pub fn push(&mut self, slot: Slot, key: K) -> Result<(), HeapError> {
        if slot.index() >= N {
            return Err(HeapError::SlotOutOfRange);
        }
        if self.is_full() {
            return Err(HeapError::Full);
        }
        if self.position_of(slot).is_some() {
            return Err(HeapError::AlreadyQueued);
        }
        let hole = self.len();
        self.len += 1;
        self.sift_up(hole, key, slot.0, 0);
        Ok(())
    }

    /// The slot with the smallest key, and that key, without removing
    /// them. O(1).
    pub fn peek(&self) -> Option<(Slot, K)> {
        if self.is_empty() {
            return None;
        }
        Some((Slot(*self.slots.first()?), *self.keys.first()?))
    }

    /// Removes and returns the slot with the smallest key, and that key.
    /// O(log n).
    pub fn pop(&mut self) -> Option<(Slot, K)> {
        let top = self.peek()?;
        self.remove_at(0);
        Some(top)
    }

    /// Takes `slot` out of the heap and returns its key, or `None` if it is
    /// not queued. O(log n).
    pub fn remove(&mut self, slot: Slot) -> Option<K> {
        let position = self.position_of(slot)?;
        let key = self.keys[position];
        self.remove_at(position);
        Some(key)
    }

    /// Gives the queued `slot` a new key and returns its previous one, or
    /// `None` (changing nothing) if it is not queued. O(log n).
    pub fn change_key(&mut self, slot: Slot, key: K) -> Option<K> {
        let position = self.position_of(slot)?;
        let previous = self.keys[position];
        self.place(position, key, slot.0);
        Some(previous)
    }

    /// Whether `slot` is queued. O(1).
    pub fn contains(&self, slot: Slot) -> bool {
        self.position_of(slot).is_some()
    }

    /// The key `slot` is queued with, if it is queued. O(1).
    pub fn key_of(&self, slot: Slot) -> Option<K> {
        self.position_of(slot).map(|position| self.keys[position])
    }

    /// Removes every slot. O(1).
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Every queued slot and its key, in heap order: the first is the one
    /// [`SlotHeap::peek`] returns, the rest in no useful order.
    pub fn iter(&self) -> SlotHeapIter<'_, K> {
        let len = self.len();
        SlotHeapIter {
            keys: self.keys[..len].iter(),
            slots: self.slots[..len].iter(),
        }
    }

    /// Rewrites every queued key as `rekey(key, rank)`, where `rank` counts
    /// from 0 in the order of `order_by(&key)` over the queued keys, then
    /// restores the heap order. Meant for renumbering a sequence field when
    /// its counter runs out, without changing which entry comes first:
    ///
    /// ```
    /// use update_sched::queue::{PackedKey, Rank, Slot, SlotHeap};
    ///
    /// let mut heap = SlotHeap::<PackedKey, 4>::new();
    /// let late = PackedKey::new(Rank::Low, 0, PackedKey::SEQUENCE_LIMIT - 1);
    /// let early = PackedKey::new(Rank::Low, 0, PackedKey::SEQUENCE_LIMIT - 2);
    /// heap.push(Slot::new(0), late).unwrap();
    /// heap.push(Slot::new(1), early).unwrap();
    /// heap.rekey_in_order(|key| key.sequence(), |key, rank| key.with_sequence(rank));
    /// assert_eq!(heap.pop().map(|(_, key)| key.sequence()), Some(0));
    /// assert_eq!(heap.pop().map(|(slot, key)| (slot, key.sequence())), Some((Slot::new(0), 1)));
    /// ```
    ///
    /// O(n log n). Equal `order_by` values get distinct ranks in no
    /// particular order.
    pub fn rekey_in_order<T: Ord>(
        &mut self,
        mut order_by: impl FnMut(&K) -> T,
        mut rekey: impl FnMut(K, u32) -> K,
    ) {
        let len = self.len();
        let SlotHeap {
            keys,
            slots,
            positions,
            ..
        } = self;
        // Order the slots, not the keys, so that `positions` still finds
        // each slot's key while they are sorted.
        let queued = &mut slots[..len];
        queued.sort_unstable_by_key(|&slot| {
            order_by(&keys[usize::from(positions[usize::from(slot)])])
        });
        for (rank, &slot) in (0u32..).zip(queued.iter()) {
            let position = usize::from(positions[usize::from(slot)]);
            keys[position] = rekey(keys[position], rank);
        }
        // Send every slot back to its key's position; each swap settles one
        // slot for good, so `len` rounds per position are more than enough.
        for position in 0..len {
            for _ in 0..len {
                let home = usize::from(positions[usize::from(queued[position])]);
                if home == position {
                    break;
                }
                queued.swap(position, home);
            }
        }
        // `rekey` may have changed the order (a pure renumbering does not);
        // Floyd's bottom-up rebuild restores it in O(n).
        for position in (0..len / 2).rev() {
            self.sift_down(position, self.keys[position], self.slots[position]);
        }
    }

    /// Heap position of `slot`, if it is queued.
    fn position_of(&self, slot: Slot) -> Option<usize> {
        let position = usize::from(*self.positions.get(slot.index())?);
        (position < self.len() && self.slots[position] == slot.0).then_some(position)
    }

    /// Takes the entry at heap `position` out of the heap. The caller
    /// guarantees `position < len`.
    fn remove_at(&mut self, position: usize) {
        self.len -= 1;
        let last = self.len();
        if position < last {
            self.place(position, self.keys[last], self.slots[last]);
        }
    }

    /// Writes `(key, slot)` into the hole at heap `position` and restores
    /// the heap order around it.
    fn place(&mut self, position: usize, key: K, slot: u16) {
        if position > 0 && key < self.keys[(position - 1) / 2] {
            self.sift_up(position, key, slot, 0);
        } else {
            self.sift_down(position, key, slot);
        }
    }

    /// Moves the hole at `hole` towards the root, but not above `top`,
    /// until `key` fits, then writes the entry there. Moving a hole instead
    /// of swapping halves the writes.
    fn sift_up(&mut self, mut hole: usize, key: K, slot: u16, top: usize) {
        while hole > top {
            let parent = (hole - 1) / 2;
            if self.keys[parent] <= key {
                break;
            }
            self.move_entry(parent, hole);
            hole = parent;
        }
        self.set_entry(hole, key, slot);
    }

    /// Moves the hole at `start` down to a leaf along the smaller children,
    /// then sifts `(key, slot)` up from there, no higher than `start`. The
    /// entry that fills a hole is usually a leaf's, which tends to belong
    /// near the bottom, so this takes one comparison per level instead of
    /// two (as in std's `BinaryHeap::pop`).
    fn sift_down(&mut self, start: usize, key: K, slot: u16) {
        let end = self.len();
        let mut hole = start;
        let mut child = 2 * hole + 1;
        while child + 1 < end {
            if self.keys[child + 1] < self.keys[child] {
                child += 1;
            }
            self.move_entry(child, hole);
            hole = child;
            child = 2 * hole + 1;
        }
        if child + 1 == end {
            self.move_entry(child, hole);
            hole = child;
        }
        self.sift_up(hole, key, slot, start);
    }

    fn move_entry(&mut self, from: usize, to: usize) {
        self.set_entry(to, self.keys[from], self.slots[from]);
    }

    fn set_entry(&mut self, position: usize, key: K, slot: u16) {
        self.keys[position] = key;
        self.slots[position] = slot;
        self.positions[usize::from(slot)] = position as u16;
    }
}

impl<K: HeapKey, const N: usize> Default for SlotHeap<K, N> {
    fn default() -> SlotHeap<K, N> {
        SlotHeap::new()
    }
}

/// Lists the queued entries (in heap order) rather than all `N` positions.
impl<K: HeapKey + fmt::Debug, const N: usize> fmt::Debug for SlotHeap<K, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlotHeap")
            .field("capacity", &N)
            .field("len", &self.len)
            .field("entries", &ListDebug(|| self.iter()))
            .finish()
    }
}

/// Iterator over a [`SlotHeap`]'s slots and keys in heap order, from
/// [`SlotHeap::iter`].
#[derive(Clone)]
pub struct SlotHeapIter<'a, K> {
    keys: core::slice::Iter<'a, K>,
    slots: core::slice::Iter<'a, u16>,
}

impl<K: Copy> Iterator for SlotHeapIter<'_, K> {
    type Item = (Slot, K);

    fn next(&mut self) -> Option<(Slot, K)> {
        Some((Slot(*self.slots.next()?), *self.keys.next()?))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.slots.size_hint()
    }
}

/// Shows how many entries are left rather than the whole heap.
impl<K> fmt::Debug for SlotHeapIter<'_, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlotHeapIter")
            .field("remaining", &self.slots.len())
            .finish()
    }
}

impl<K: Copy> ExactSizeIterator for SlotHeapIter<'_, K> {}

impl<K: Copy> FusedIterator for SlotHeapIter<'_, K> {}

impl<'a, K: HeapKey, const N: usize> IntoIterator for &'a SlotHeap<K, N> {
    type Item = (Slot, K);
    type IntoIter = SlotHeapIter<'a, K>;

    fn into_iter(self) -> SlotHeapIter<'a, K> {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::prelude::*;

    use crate::queue::{PackedKey, Rank, SEQUENCE_LIMIT};

    impl<K: HeapKey + fmt::Debug, const N: usize> SlotHeap<K, N> {
        /// Checks every internal invariant: heap order and the position of
        /// every queued slot. Returns which slots are queued.
        pub(crate) fn assert_consistent(&self) -> Vec<bool> {
            let len = self.len();
            assert!(len <= N);
            let mut queued = vec![false; N];
            for position in 0..len {
                let slot = self.slots[position];
                let index = usize::from(slot);
                assert!(index < N, "slot out of range at {position}");
                assert!(!queued[index], "slot {slot} queued twice");
                queued[index] = true;
                assert_eq!(usize::from(self.positions[index]), position);
                assert_eq!(self.key_of(Slot(slot)), Some(self.keys[position]));
                if position > 0 {
                    assert!(self.keys[(position - 1) / 2] <= self.keys[position]);
                }
            }
            for (index, &queued) in queued.iter().enumerate() {
                assert_eq!(self.contains(Slot(index as u16)), queued);
            }
            queued
        }
    }

    /// A heap of capacity `N` holding `entries` as `(slot, key)`, pushed in
    /// the order given.
    fn heap_with<const N: usize>(entries: &[(u16, u32)]) -> SlotHeap<u32, N> {
        let mut heap = SlotHeap::new();
        for &(slot, key) in entries {
            heap.push(Slot::new(slot), key).unwrap();
        }
        heap.assert_consistent();
        heap
    }

    /// A full heap of capacity `N`: slot `s` has key `(s * 7) % 5`.
    fn full_heap<const N: usize>() -> SlotHeap<u32, N> {
        let entries: Vec<(u16, u32)> = (0..N as u16).map(|s| (s, u32::from(s) * 7 % 5)).collect();
        heap_with::<N>(&entries)
    }

    fn drain_heap<K: HeapKey + fmt::Debug, const N: usize>(
        heap: &mut SlotHeap<K, N>,
    ) -> Vec<(Slot, K)> {
        let mut entries = Vec::new();
        while let Some(entry) = heap.pop() {
            heap.assert_consistent();
            entries.push(entry);
        }
        entries
    }

    #[test]
    fn test_empty_heap_queries_find_nothing() {
        let mut heap = SlotHeap::<u64, 4>::new();
        assert!(heap.is_empty());
        assert!(!heap.is_full());
        assert_eq!(heap.len(), 0);
        assert_eq!(heap.capacity(), 4);
        assert_eq!(heap.peek(), None);
        assert_eq!(heap.pop(), None);
        assert_eq!(heap.remove(Slot::new(0)), None);
        assert_eq!(heap.change_key(Slot::new(0), 1), None);
        assert_eq!(heap.key_of(Slot::new(0)), None);
        assert!(!heap.contains(Slot::new(0)));
        assert_eq!(heap.iter().count(), 0);
        heap.assert_consistent();
    }

    #[test]
    fn test_filled_heap_pop_returns_smallest_key_first() {
        let mut heap = heap_with::<8>(&[(0, 50), (5, 10), (2, 40), (7, 20), (1, 30)]);
        assert_eq!(heap.peek(), Some((Slot::new(5), 10)));
        let keys: Vec<u32> = drain_heap(&mut heap).iter().map(|&(_, key)| key).collect();
        assert_eq!(keys, [10, 20, 30, 40, 50]);
    }

    #[test]
    fn test_empty_heap_push_slot_out_of_range_reports_error() {
        let mut heap = SlotHeap::<u32, 4>::new();
        assert_eq!(heap.push(Slot::new(4), 1), Err(HeapError::SlotOutOfRange));
        assert_eq!(heap.key_of(Slot::new(4)), None);
        assert!(heap.is_empty());
        let mut nothing = SlotHeap::<u32, 0>::new();
        assert_eq!(
            nothing.push(Slot::new(0), 1),
            Err(HeapError::SlotOutOfRange)
        );
        assert_eq!(nothing.pop(), None);
        nothing.assert_consistent();
    }

    #[test]
    fn test_queued_heap_push_same_slot_reports_already_queued() {
        let mut heap = heap_with::<4>(&[(2, 7)]);
        assert_eq!(heap.push(Slot::new(2), 1), Err(HeapError::AlreadyQueued));
        assert_eq!(heap.key_of(Slot::new(2)), Some(7));
        assert_eq!(heap.len(), 1);
        heap.assert_consistent();
    }

    #[test]
    fn test_full_heap_push_reports_full() {
        let mut heap = full_heap::<8>();
        assert!(heap.is_full());
        assert_eq!(heap.push(Slot::new(3), 0), Err(HeapError::Full));
        assert_eq!(heap.push(Slot::new(8), 0), Err(HeapError::SlotOutOfRange));
        heap.assert_consistent();
    }

    #[test]
    fn test_full_heap_remove_from_middle_keeps_order() {
        let mut heap = full_heap::<100>();
        let mut expected: Vec<u32> = heap.iter().map(|(_, key)| key).collect();
        for slot in (0..100).step_by(3) {
            let key = heap.remove(Slot::new(slot)).unwrap();
            assert_eq!(key, u32::from(slot) * 7 % 5);
            assert!(!heap.contains(Slot::new(slot)));
            heap.assert_consistent();
            let at = expected.iter().position(|&k| k == key).unwrap();
            expected.remove(at);
        }
        expected.sort();
        let keys: Vec<u32> = drain_heap(&mut heap).iter().map(|&(_, key)| key).collect();
        assert_eq!(keys, expected);
    }

    #[test]
    fn test_filled_heap_change_key_moves_entry_both_ways() {
        let mut heap = heap_with::<8>(&[(0, 10), (1, 20), (2, 30), (3, 40)]);
        assert_eq!(heap.change_key(Slot::new(3), 5), Some(40));
        heap.assert_consistent();
        assert_eq!(heap.peek(), Some((Slot::new(3), 5)));
        assert_eq!(heap.change_key(Slot::new(3), 50), Some(5));
        heap.assert_consistent();
        assert_eq!(heap.change_key(Slot::new(0), 10), Some(10));
        assert_eq!(heap.change_key(Slot::new(5), 1), None);
        let order: Vec<u16> = drain_heap(&mut heap).iter().map(|&(s, _)| s.0).collect();
        assert_eq!(order, [0, 1, 2, 3]);
    }

    #[test]
    fn test_full_heap_clear_empties_and_accepts_every_slot() {
        let mut heap = full_heap::<32>();
        heap.clear();
        heap.assert_consistent();
        assert!(heap.is_empty());
        assert!(!heap.contains(Slot::new(0)));
        for slot in 0..32 {
            heap.push(Slot::new(slot), 32 - u32::from(slot)).unwrap();
        }
        assert!(heap.is_full());
        assert_eq!(heap.peek(), Some((Slot::new(31), 1)));
        heap.assert_consistent();
    }

    #[test]
    fn test_full_heap_rekey_in_order_ranks_and_rebuilds() {
        let mut heap = SlotHeap::<u32, 64>::new();
        for slot in 0..64u16 {
            heap.push(Slot::new(slot), (u32::from(slot) * 37) % 64 * 1_000)
                .unwrap();
        }
        // Ranks by key, then reverses them: the order turns round.
        heap.rekey_in_order(|&key| key, |_, rank| 63 - rank);
        heap.assert_consistent();
        let popped = drain_heap(&mut heap);
        let keys: Vec<u32> = popped.iter().map(|&(_, key)| key).collect();
        assert_eq!(keys, (0..64).collect::<Vec<u32>>());
        for (slot, key) in popped {
            let old_rank = (slot.index() as u32 * 37) % 64;
            assert_eq!(key, 63 - old_rank);
        }
    }

    #[test]
    fn test_static_heap_builds_in_const_context() {
        static HEAP: SlotHeap<PackedKey, 16> = SlotHeap::new();
        assert!(HEAP.is_empty());
        HEAP.assert_consistent();
    }

    #[test]
    fn test_filled_heap_debug_lists_entries_only() {
        let heap = heap_with::<1024>(&[(3, 77)]);
        let text = format!("{heap:?}");
        assert!(text.contains("len: 1"), "{text}");
        assert!(text.contains("(Slot(3), 77)"), "{text}");
        assert!(text.len() < 200, "{text}");
        assert_eq!(
            format!("{:?}", heap.iter()),
            "SlotHeapIter { remaining: 1 }"
        );
    }

    #[test]
    fn test_capacity_1024_heap_fits_memory_budget() {
        // 8 + 4 bytes per entry for a heap of u64 keys; see the module
        // notes of `queue`.
        assert!(core::mem::size_of::<SlotHeap<u64, 1024>>() <= 12 * 1024 + 8);
        assert!(core::mem::size_of::<SlotHeap<PackedKey, 1024>>() <= 12 * 1024 + 8);
    }

    #[test]
    fn test_heap_errors_display_reason() {
        let error: &dyn core::error::Error = &HeapError::SlotOutOfRange;
        assert_eq!(
            error.to_string(),
            "the slot is not below the heap's capacity"
        );
        assert_eq!(
            HeapError::AlreadyQueued.to_string(),
            "the slot is already queued"
        );
        assert_eq!(HeapError::Full.to_string(), "the heap is full");
    }

    /// One step of a random workload on a [`SlotHeap`].
    #[derive(Clone, Debug)]
    enum HeapOperation {
        Push(u16, u32),
        Pop,
        Remove(u16),
        ChangeKey(u16, u32),
    }

    fn heap_operation() -> impl Strategy<Value = HeapOperation> {
        // Slots 16 and 17 are out of range; few keys, so ties are common.
        let slot = 0u16..18;
        let key = 0u32..8;
        prop_oneof![
            4 => (slot.clone(), key.clone()).prop_map(|(s, k)| HeapOperation::Push(s, k)),
            2 => Just(HeapOperation::Pop),
            2 => slot.clone().prop_map(HeapOperation::Remove),
            2 => (slot, key).prop_map(|(s, k)| HeapOperation::ChangeKey(s, k)),
        ]
    }

    /// Runs `operations` on a heap of capacity 16 and on a list of
    /// `(key, slot)` kept sorted, checking they agree at each step. Equal
    /// keys may come out in any order, so a pop is checked for having the
    /// smallest key and a slot that holds it.
    fn check_heap_against_model(operations: &[HeapOperation]) {
        let mut heap = SlotHeap::<u32, 16>::new();
        let mut model: Vec<(u32, u16)> = Vec::new();
        let find = |model: &Vec<(u32, u16)>, slot: u16| model.iter().position(|&(_, s)| s == slot);
        for operation in operations {
            match *operation {
                HeapOperation::Push(slot, key) => {
                    let expected = if slot >= 16 {
                        Err(HeapError::SlotOutOfRange)
                    } else if model.len() == 16 {
                        Err(HeapError::Full)
                    } else if find(&model, slot).is_some() {
                        Err(HeapError::AlreadyQueued)
                    } else {
                        model.push((key, slot));
                        Ok(())
                    };
                    assert_eq!(heap.push(Slot::new(slot), key), expected);
                }
                HeapOperation::Pop => match heap.pop() {
                    Some((slot, key)) => {
                        assert_eq!(Some(key), model.first().map(|&(k, _)| k));
                        let at = find(&model, slot.0).unwrap();
                        assert_eq!(model.remove(at), (key, slot.0));
                    }
                    None => assert!(model.is_empty()),
                },
                HeapOperation::Remove(slot) => {
                    let expected = find(&model, slot).map(|at| model.remove(at).0);
                    assert_eq!(heap.remove(Slot::new(slot)), expected);
                }
                HeapOperation::ChangeKey(slot, key) => {
                    let expected = find(&model, slot).map(|at| {
                        let previous = model[at].0;
                        model[at].0 = key;
                        previous
                    });
                    assert_eq!(heap.change_key(Slot::new(slot), key), expected);
                }
            }
            model.sort();
            heap.assert_consistent();
            assert_eq!(heap.len(), model.len());
            assert_eq!(heap.peek().map(|(_, k)| k), model.first().map(|&(k, _)| k));
            for slot in 0..18 {
                let expected = find(&model, slot).map(|at| model[at].0);
                assert_eq!(heap.key_of(Slot::new(slot)), expected);
            }
        }
    }

    proptest! {
        #[test]
        fn test_random_heap_workload_matches_sorted_model(
            operations in proptest::collection::vec(heap_operation(), 0..300),
        ) {
            check_heap_against_model(&operations);
        }

        #[test]
        fn test_random_heap_rekey_by_sequence_keeps_pop_order(
            sequences in proptest::collection::hash_set(0u32..SEQUENCE_LIMIT, 0..40),
            key_ranks in proptest::collection::vec(0usize..6, 40),
        ) {
            let mut heap = SlotHeap::<PackedKey, 40>::new();
            for (slot, (&sequence, &rank)) in sequences.iter().zip(&key_ranks).enumerate() {
                let key = PackedKey::new(Rank::ALL[rank], 7, sequence);
                heap.push(Slot::new(slot as u16), key).unwrap();
            }
            let mut before = heap.clone();
            heap.rekey_in_order(|key| key.sequence(), |key, rank| key.with_sequence(rank));
            heap.assert_consistent();
            let mut ranks: Vec<u32> = heap.iter().map(|(_, key)| key.sequence()).collect();
            ranks.sort();
            prop_assert_eq!(ranks, (0..sequences.len() as u32).collect::<Vec<u32>>());
            let old: Vec<Slot> = drain_heap(&mut before).iter().map(|&(s, _)| s).collect();
            let new: Vec<Slot> = drain_heap(&mut heap).iter().map(|&(s, _)| s).collect();
            prop_assert_eq!(old, new);
        }
    }
}
