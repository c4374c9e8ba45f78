//! A fixed-capacity priority queue of update ids that can also cancel by id:
//! [`UpdateQueue`], built from the parts of [`crate::queue`].
//!
//! The scheduler does not use this queue (it keeps its own
//! [`SlotIndex`] and `SlotHeap<PackedKey, N>`, see
//! [`crate::queue::PackedKey`]); it is here for a platform that wants a
//! plain priority queue of updates, and the benchmarks compare it with
//! `heapless` and `std` heaps.
//!
//! [`UpdateQueue`] is an indexed binary min-heap: the heap orders entries by
//! [`OrderKey`] (priority, then deadline, then submission order), and a
//! chained hash index finds any queued id in O(1) on average, so an update
//! can be cancelled or re-prioritised without scanning the queue. It is a
//! thin composition of a [`SlotIndex`] and a [`SlotHeap`].
//!
//! # Layout
//!
//! The key is packed into 96 bits whose numeric order *is* the queue order
//! (3 bits of priority, 64 bits of deadline in milliseconds, 29 bits of
//! sequence), which makes every comparison a single 128-bit compare; it is
//! stored as byte arrays so that it takes 12 bytes with no padding. With
//! the index's 8 bytes and the heap's 4 besides the key, an entry costs
//! 24 bytes: about 24 KiB for `UpdateQueue<1024>`.
//!
//! # Submission order
//!
//! The queue numbers pushes itself, so entries with equal priority and
//! deadline come out in the order they went in. The counter has 29 bits;
//! when it runs out (after 536,870,912 pushes) the queue renumbers the
//! entries it holds, in place and in their existing order, and carries on
//! ([`SlotHeap::rekey_in_order`] does the work).

use core::fmt;
use core::iter::FusedIterator;

use crate::queue::{HeapKey, IndexError, ListDebug, Slot, SlotHeap, SlotHeapIter, SlotIndex};
use crate::queue::{SEQUENCE_BITS, SEQUENCE_LIMIT};
use crate::time::Instant;
use crate::update::{Priority, UpdateId};

/// Inverse of `priority as u64` for the three bits stored in a key.
const fn priority_from_bits(bits: u64) -> Priority {
    match bits {
        0 => Priority::Critical,
        1 => Priority::Security,
        2 => Priority::Important,
        3 => Priority::Optional,
        // Only 0..=4 are ever stored; the catch-all keeps this total.
        _ => Priority::Low,
    }
}

/// Where an entry stands in the queue: most urgent priority first, then
/// earliest deadline, then earliest submission.
///
/// The derived order is the queue order: the smallest key is served first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OrderKey {
    /// How urgent the update is.
    pub priority: Priority,
    /// When it must start by; [`Instant::MAX`] means it has none.
    pub deadline: Instant,
    /// Submission rank, assigned by the queue on push: a later push gets a
    /// larger number. Ranks are only comparable between entries queued at
    /// the same time, because the queue renumbers them when its counter
    /// runs out; they are below 2<sup>29</sup>.
    pub sequence: u32,
}

impl OrderKey {
    /// A key with the given parts.
    #[inline]
    pub const fn new(priority: Priority, deadline: Instant, sequence: u32) -> OrderKey {
        OrderKey {
            priority,
            deadline,
            sequence,
        }
    }
}

/// Why [`UpdateQueue::push`] refused an update.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PushError {
    /// Every slot is taken; the update was not queued.
    Full,
    /// An update with this id is already queued; the queue is unchanged.
    Duplicate,
}

impl fmt::Display for PushError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PushError::Full => "the update queue is full",
            PushError::Duplicate => "an update with this id is already queued",
        })
    }
}

impl core::error::Error for PushError {}

/// Why [`UpdateQueue::remove`] found nothing to remove.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RemoveError {
    /// No queued update has this id.
    UnknownId,
}

impl fmt::Display for RemoveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RemoveError::UnknownId => "no queued update has this id",
        })
    }
}

impl core::error::Error for RemoveError {}

/// Why [`UpdateQueue::reprioritize`] changed nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReprioritizeError {
    /// No queued update has this id.
    UnknownId,
}

impl fmt::Display for ReprioritizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReprioritizeError::UnknownId => "no queued update has this id",
        })
    }
}

impl core::error::Error for ReprioritizeError {}

/// An [`OrderKey`] packed into 96 bits whose numeric order is the queue
/// order.
///
/// The fields are byte arrays so that the struct has 1-byte alignment and
/// takes 12 bytes; with a `u64` field it would be padded to 16.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PackedOrderKey {
    /// Priority (3 bits) above the high 61 bits of the deadline.
    high: [u8; 8],
    /// The low 3 bits of the deadline above the sequence number (29 bits).
    low: [u8; 4],
}

impl PackedOrderKey {
    fn pack(key: OrderKey) -> PackedOrderKey {
        let deadline = key.deadline.as_millis();
        let high = ((key.priority as u64) << 61) | (deadline >> 3);
        let low = (((deadline & 0b111) as u32) << SEQUENCE_BITS) | key.sequence;
        PackedOrderKey {
            high: high.to_ne_bytes(),
            low: low.to_ne_bytes(),
        }
    }

    /// The packed key as one number whose order is the queue order.
    fn rank(&self) -> u128 {
        (u128::from(u64::from_ne_bytes(self.high)) << 32) | u128::from(u32::from_ne_bytes(self.low))
    }

    fn unpack(self) -> OrderKey {
        let high = u64::from_ne_bytes(self.high);
        let low = u32::from_ne_bytes(self.low);
        OrderKey {
            priority: priority_from_bits(high >> 61),
            deadline: Instant::from_millis((high << 3) | u64::from(low >> SEQUENCE_BITS)),
            sequence: low & (SEQUENCE_LIMIT - 1),
        }
    }

    fn sequence(&self) -> u32 {
        u32::from_ne_bytes(self.low) & (SEQUENCE_LIMIT - 1)
    }

    fn with_sequence(self, sequence: u32) -> PackedOrderKey {
        let low = (u32::from_ne_bytes(self.low) & !(SEQUENCE_LIMIT - 1)) | sequence;
        PackedOrderKey {
            low: low.to_ne_bytes(),
            ..self
        }
    }
}

impl Ord for PackedOrderKey {
    fn cmp(&self, other: &PackedOrderKey) -> core::cmp::Ordering {
        self.rank().cmp(&other.rank())
    }
}

impl PartialOrd for PackedOrderKey {
    fn partial_cmp(&self, other: &PackedOrderKey) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }

    fn lt(&self, other: &PackedOrderKey) -> bool {
        self.rank() < other.rank()
    }

    fn le(&self, other: &PackedOrderKey) -> bool {
        self.rank() <= other.rank()
    }
}

impl HeapKey for PackedOrderKey {
    const FILLER: PackedOrderKey = PackedOrderKey {
        high: [0; 8],
        low: [0; 4],
    };
}

/// A fixed-capacity priority queue of [`UpdateId`]s ordered by
/// [`OrderKey`], with O(1) average lookup and O(log n) cancel by id.
///
/// A [`SlotIndex`] gives each queued id a slot, a [`SlotHeap`] orders the
/// slots by packed key, and the queue numbers the pushes.
///
/// `N` is the capacity and must be at most 65,535; a larger `N` fails to
/// compile:
///
/// ```compile_fail
/// let queue = update_sched::ordered_queue::UpdateQueue::<65_536>::new();
/// ```
///
/// Every operation is allocation-free and panic-free; a full queue is a
/// reported error.
#[derive(Clone)]
pub struct UpdateQueue<const N: usize> {
    /// Slot of each queued id.
    index: SlotIndex<N>,
    /// The queued slots, by packed key. Holds exactly the slots occupied in
    /// `index`.
    heap: SlotHeap<PackedOrderKey, N>,
    /// Sequence number the next push receives.
    next_sequence: u32,
}

impl<const N: usize> UpdateQueue<N> {
    /// An empty queue. `const` so that a kernel can keep one in a `static`.
    #[inline]
    pub const fn new() -> UpdateQueue<N> {
        UpdateQueue {
            index: SlotIndex::new(),
            heap: SlotHeap::new(),
            next_sequence: 0,
        }
    }

    /// Most updates the queue can hold.
    #[inline]
    pub const fn capacity(&self) -> usize {
        N
    }

    /// Number of queued updates.
    #[inline]
    pub const fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether no update is queued.
    #[inline]
    pub const fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Whether a push would fail with [`PushError::Full`].
    #[inline]
    pub const fn is_full(&self) -> bool {
        self.index.is_full()
    }

    /// Queues `id` with `priority` and `deadline` ([`Instant::MAX`] for
    /// none). It is ordered after every queued entry with the same priority
    /// and deadline.
    ///
    /// O(log n). Fails with [`PushError::Duplicate`] if `id` is already
    /// queued (checked first), or [`PushError::Full`] if the queue is full.
    pub fn push(
        &mut self,
        id: UpdateId,
        priority: Priority,
        deadline: Instant,
    ) -> Result<(), PushError> {
        let slot = self.index.insert(id).map_err(|error| match error {
            IndexError::Full => PushError::Full,
            IndexError::Duplicate => PushError::Duplicate,
        })?;
        if self.next_sequence == SEQUENCE_LIMIT {
            self.renumber();
        }
        let key = PackedOrderKey::pack(OrderKey::new(priority, deadline, self.next_sequence));
        if self.heap.push(slot, key).is_err() {
            // Cannot happen: the index hands out each slot below N once,
            // and the heap holds exactly the slots it has handed out. Undo
            // the insert rather than leave the two disagreeing.
            self.index.remove_slot(slot);
            return Err(PushError::Full);
        }
        self.next_sequence += 1;
        Ok(())
    }

    /// The most urgent update and its key, without removing it. O(1).
    pub fn peek(&self) -> Option<(UpdateId, OrderKey)> {
        let (slot, key) = self.heap.peek()?;
        Some((self.queued_id(slot)?, key.unpack()))
    }

    /// Removes and returns the most urgent update and its key. O(log n).
    pub fn pop(&mut self) -> Option<(UpdateId, OrderKey)> {
        let (slot, key) = self.heap.pop()?;
        // Always `Some`: the heap holds exactly the occupied slots.
        let id = self.index.remove_slot(slot)?;
        Some((id, key.unpack()))
    }

    /// Cancels the update `id`, returning the key it was queued with.
    /// O(log n).
    pub fn remove(&mut self, id: UpdateId) -> Result<OrderKey, RemoveError> {
        let slot = self.index.remove(id).ok_or(RemoveError::UnknownId)?;
        let key = self.heap.remove(slot).ok_or(RemoveError::UnknownId)?;
        Ok(key.unpack())
    }

    /// Gives the queued update `id` a new priority and deadline, and
    /// returns its previous key. It keeps its place in submission order
    /// (its sequence number), so it is not sent behind updates that were
    /// submitted after it. O(log n).
    pub fn reprioritize(
        &mut self,
        id: UpdateId,
        priority: Priority,
        deadline: Instant,
    ) -> Result<OrderKey, ReprioritizeError> {
        let slot = self.index.find(id).ok_or(ReprioritizeError::UnknownId)?;
        let previous = self.heap.key_of(slot).ok_or(ReprioritizeError::UnknownId)?;
        let key = OrderKey::new(priority, deadline, previous.sequence());
        self.heap.change_key(slot, PackedOrderKey::pack(key));
        Ok(previous.unpack())
    }

    /// Whether `id` is queued. O(1) on average.
    pub fn contains(&self, id: UpdateId) -> bool {
        self.index.contains(id)
    }

    /// The key `id` is queued with, if it is queued. O(1) on average.
    pub fn get(&self, id: UpdateId) -> Option<OrderKey> {
        let slot = self.index.find(id)?;
        Some(self.heap.key_of(slot)?.unpack())
    }

    /// Removes every queued update and restarts submission numbering.
    /// O(len): only the hash chains in use are reset.
    pub fn clear(&mut self) {
        for (slot, _) in self.heap.iter() {
            self.index.remove_slot(slot);
        }
        self.heap.clear();
        self.next_sequence = 0;
    }

    /// Every queued update and its key, in no particular order (the heap's).
    pub fn iter(&self) -> Iter<'_, N> {
        Iter {
            entries: self.heap.iter(),
            index: &self.index,
        }
    }

    /// Id in an occupied `slot`, without [`SlotIndex::id_at`]'s check that
    /// it is occupied.
    fn queued_id(&self, slot: Slot) -> Option<UpdateId> {
        self.index.stored_id(slot)
    }

    /// Gives the queued entries the sequence numbers `0..len` in their
    /// current order, so that numbering can go on after the counter ran
    /// out. O(n log n), once every 2<sup>29</sup> pushes.
    fn renumber(&mut self) {
        self.heap
            .rekey_in_order(PackedOrderKey::sequence, PackedOrderKey::with_sequence);
        self.next_sequence = self.heap.len() as u32;
    }
}

impl<const N: usize> Default for UpdateQueue<N> {
    fn default() -> UpdateQueue<N> {
        UpdateQueue::new()
    }
}

/// Lists the queued entries (in heap order) rather than all `N` slots.
impl<const N: usize> fmt::Debug for UpdateQueue<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpdateQueue")
            .field("capacity", &N)
            .field("len", &self.len())
            .field("next_sequence", &self.next_sequence)
            .field("entries", &ListDebug(|| self.iter()))
            .finish()
    }
}

/// Iterator over a queue's entries in heap order, from [`UpdateQueue::iter`].
#[derive(Clone)]
pub struct Iter<'a, const N: usize> {
    entries: SlotHeapIter<'a, PackedOrderKey>,
    index: &'a SlotIndex<N>,
}

impl<const N: usize> Iterator for Iter<'_, N> {
    type Item = (UpdateId, OrderKey);

    fn next(&mut self) -> Option<(UpdateId, OrderKey)> {
        let (slot, key) = self.entries.next()?;
        Some((self.index.stored_id(slot)?, key.unpack()))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.entries.size_hint()
    }
}

/// Shows how many entries are left rather than the whole id table.
impl<const N: usize> fmt::Debug for Iter<'_, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Iter")
            .field("remaining", &self.entries.len())
            .finish()
    }
}

impl<const N: usize> ExactSizeIterator for Iter<'_, N> {}

impl<const N: usize> FusedIterator for Iter<'_, N> {}

impl<'a, const N: usize> IntoIterator for &'a UpdateQueue<N> {
    type Item = (UpdateId, OrderKey);
    type IntoIter = Iter<'a, N>;

    fn into_iter(self) -> Iter<'a, N> {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::prelude::*;

    const NO_DEADLINE: Instant = Instant::MAX;

    fn at(millis: u64) -> Instant {
        Instant::from_millis(millis)
    }

    /// An empty queue of capacity `N`.
    fn empty_queue<const N: usize>() -> UpdateQueue<N> {
        UpdateQueue::new()
    }

    /// A queue holding `entries`, pushed in the order given.
    fn queue_with<const N: usize>(entries: &[(u32, Priority, Instant)]) -> UpdateQueue<N> {
        let mut queue = empty_queue::<N>();
        for &(id, priority, deadline) in entries {
            queue.push(UpdateId(id), priority, deadline).unwrap();
        }
        queue.assert_consistent();
        queue
    }

    /// A full queue of capacity `N` with ids `0..N`, mixed keys.
    fn full_queue<const N: usize>() -> UpdateQueue<N> {
        let mut queue = empty_queue::<N>();
        for id in 0..N as u32 {
            let priority = Priority::ALL[(id as usize * 7) % 5];
            queue
                .push(UpdateId(id), priority, at(u64::from(id % 3)))
                .unwrap();
        }
        queue.assert_consistent();
        queue
    }

    fn drain<const N: usize>(queue: &mut UpdateQueue<N>) -> Vec<u32> {
        let mut ids = Vec::new();
        while let Some((id, _)) = queue.pop() {
            queue.assert_consistent();
            ids.push(id.0);
        }
        ids
    }

    impl<const N: usize> UpdateQueue<N> {
        /// Checks every internal invariant: those of both parts, that they
        /// hold the same slots, and that sequence numbers are below the
        /// counter and distinct.
        fn assert_consistent(&self) {
            let occupied = self.index.assert_consistent();
            let queued = self.heap.assert_consistent();
            assert_eq!(occupied, queued, "index and heap hold different slots");
            let mut sequences = std::collections::HashSet::new();
            for (_, key) in self.heap.iter() {
                assert!(key.sequence() < self.next_sequence);
                assert!(sequences.insert(key.sequence()), "sequence used twice");
            }
            // Strict heap order: keys are distinct through their sequence.
            let keys: Vec<PackedOrderKey> = self.heap.iter().map(|(_, key)| key).collect();
            for position in 1..keys.len() {
                assert!(keys[(position - 1) / 2] < keys[position]);
            }
        }
    }

    #[test]
    fn test_empty_queries_find_nothing() {
        let mut queue = empty_queue::<4>();
        assert!(queue.is_empty());
        assert_eq!(queue.len(), 0);
        assert_eq!(queue.capacity(), 4);
        assert_eq!(queue.peek(), None);
        assert_eq!(queue.pop(), None);
        assert!(!queue.contains(UpdateId(1)));
        assert_eq!(queue.get(UpdateId(1)), None);
        assert_eq!(queue.iter().count(), 0);
        queue.assert_consistent();
    }

    #[test]
    fn test_mixed_pop_orders_by_priority_then_deadline_then_submission() {
        let mut queue = queue_with::<8>(&[
            (1, Priority::Low, NO_DEADLINE),
            (2, Priority::Important, at(500)),
            (3, Priority::Security, NO_DEADLINE),
            (4, Priority::Important, at(100)),
            (5, Priority::Critical, at(900)),
            (6, Priority::Important, at(100)),
            (7, Priority::Security, at(10)),
        ]);
        assert_eq!(queue.peek().map(|(id, _)| id), Some(UpdateId(5)));
        assert_eq!(drain(&mut queue), [5, 7, 3, 4, 6, 2, 1]);
    }

    #[test]
    fn test_equal_keys_pop_in_submission_order() {
        let mut queue = empty_queue::<64>();
        for id in (0..64).rev() {
            queue
                .push(UpdateId(id), Priority::Optional, NO_DEADLINE)
                .unwrap();
        }
        let expected: Vec<u32> = (0..64).rev().collect();
        assert_eq!(drain(&mut queue), expected);
    }

    #[test]
    fn test_push_assigns_increasing_sequence() {
        let queue = queue_with::<4>(&[
            (10, Priority::Low, NO_DEADLINE),
            (11, Priority::Critical, at(5)),
        ]);
        assert_eq!(
            queue.get(UpdateId(10)),
            Some(OrderKey::new(Priority::Low, NO_DEADLINE, 0))
        );
        assert_eq!(
            queue.get(UpdateId(11)),
            Some(OrderKey::new(Priority::Critical, at(5), 1))
        );
    }

    #[test]
    fn test_key_packing_round_trips_extremes() {
        for priority in Priority::ALL {
            for deadline in [0, 1, 7, 8, u64::MAX - 1, u64::MAX, 0x8000_0000_0000_0007] {
                for sequence in [0, 1, SEQUENCE_LIMIT - 1] {
                    let key = OrderKey::new(priority, at(deadline), sequence);
                    assert_eq!(PackedOrderKey::pack(key).unpack(), key);
                }
            }
        }
        assert_eq!(core::mem::size_of::<PackedOrderKey>(), 12);
    }

    #[test]
    fn test_full_push_reports_full() {
        let mut queue = full_queue::<8>();
        assert!(queue.is_full());
        assert_eq!(
            queue.push(UpdateId(99), Priority::Critical, at(0)),
            Err(PushError::Full)
        );
        assert_eq!(queue.len(), 8);
        queue.assert_consistent();
    }

    #[test]
    fn test_queued_push_same_id_reports_duplicate() {
        let mut queue = queue_with::<4>(&[(7, Priority::Low, NO_DEADLINE)]);
        assert_eq!(
            queue.push(UpdateId(7), Priority::Critical, at(0)),
            Err(PushError::Duplicate)
        );
        assert_eq!(
            queue.get(UpdateId(7)),
            Some(OrderKey::new(Priority::Low, NO_DEADLINE, 0))
        );
        // On a full queue a duplicate is still reported as such.
        let mut full = full_queue::<4>();
        assert_eq!(
            full.push(UpdateId(2), Priority::Low, at(0)),
            Err(PushError::Duplicate)
        );
    }

    #[test]
    fn test_empty_remove_reports_unknown_id() {
        let mut queue = queue_with::<4>(&[(1, Priority::Low, NO_DEADLINE)]);
        assert_eq!(queue.remove(UpdateId(2)), Err(RemoveError::UnknownId));
        assert_eq!(
            queue.reprioritize(UpdateId(2), Priority::Low, NO_DEADLINE),
            Err(ReprioritizeError::UnknownId)
        );
        assert_eq!(queue.len(), 1);
    }

    #[test]
    fn test_full_remove_from_middle_keeps_heap_valid() {
        let mut queue = full_queue::<100>();
        let mut expected: Vec<(OrderKey, u32)> =
            queue.iter().map(|(id, key)| (key, id.0)).collect();
        for id in (0..100).step_by(3) {
            let key = queue.remove(UpdateId(id)).unwrap();
            queue.assert_consistent();
            expected.retain(|&(k, i)| !(i == id && k == key));
        }
        expected.sort();
        let expected_ids: Vec<u32> = expected.iter().map(|&(_, id)| id).collect();
        assert_eq!(drain(&mut queue), expected_ids);
    }

    #[test]
    fn test_removed_id_is_gone_and_can_be_pushed_again() {
        let mut queue = queue_with::<4>(&[
            (1, Priority::Low, NO_DEADLINE),
            (2, Priority::Security, at(50)),
        ]);
        assert_eq!(
            queue.remove(UpdateId(2)),
            Ok(OrderKey::new(Priority::Security, at(50), 1))
        );
        assert!(!queue.contains(UpdateId(2)));
        assert_eq!(queue.remove(UpdateId(2)), Err(RemoveError::UnknownId));
        queue.push(UpdateId(2), Priority::Critical, at(0)).unwrap();
        assert_eq!(queue.peek().map(|(id, _)| id), Some(UpdateId(2)));
        queue.assert_consistent();
    }

    #[test]
    fn test_full_pop_and_remove_free_slots_for_reuse() {
        let mut queue = full_queue::<16>();
        for round in 0..50u32 {
            let (popped, _) = queue.pop().unwrap();
            let some_id = queue.iter().nth(round as usize % queue.len()).unwrap().0;
            queue.remove(some_id).unwrap();
            queue
                .push(popped, Priority::Low, at(u64::from(round)))
                .unwrap();
            queue
                .push(UpdateId(1_000 + round), Priority::Important, NO_DEADLINE)
                .unwrap();
            assert!(queue.is_full());
            queue.assert_consistent();
        }
    }

    #[test]
    fn test_queued_reprioritize_moves_entry_and_keeps_sequence() {
        let mut queue = queue_with::<8>(&[
            (1, Priority::Low, NO_DEADLINE),
            (2, Priority::Important, at(100)),
            (3, Priority::Important, at(100)),
        ]);
        let previous = queue.reprioritize(UpdateId(1), Priority::Critical, at(5));
        assert_eq!(previous, Ok(OrderKey::new(Priority::Low, NO_DEADLINE, 0)));
        queue.assert_consistent();
        queue
            .reprioritize(UpdateId(2), Priority::Low, NO_DEADLINE)
            .unwrap();
        queue.assert_consistent();
        assert_eq!(
            queue.get(UpdateId(2)),
            Some(OrderKey::new(Priority::Low, NO_DEADLINE, 1))
        );
        assert_eq!(drain(&mut queue), [1, 3, 2]);
    }

    #[test]
    fn test_full_clear_empties_and_accepts_new_entries() {
        let mut queue = full_queue::<32>();
        queue.clear();
        queue.assert_consistent();
        assert!(queue.is_empty());
        assert!(!queue.contains(UpdateId(3)));
        let refill = full_queue::<32>();
        for (id, key) in refill.iter() {
            queue.push(id, key.priority, key.deadline).unwrap();
        }
        queue.assert_consistent();
        assert!(queue.is_full());
    }

    #[test]
    fn test_capacity_one_push_pop_cycle() {
        let mut queue = empty_queue::<1>();
        for id in 0..5 {
            queue
                .push(UpdateId(id), Priority::Important, at(1))
                .unwrap();
            assert_eq!(
                queue.push(UpdateId(id + 100), Priority::Critical, at(0)),
                Err(PushError::Full)
            );
            queue.assert_consistent();
            assert_eq!(queue.pop().map(|(i, _)| i), Some(UpdateId(id)));
            assert_eq!(queue.pop(), None);
        }
    }

    #[test]
    fn test_capacity_zero_push_reports_full() {
        let mut queue = empty_queue::<0>();
        assert!(queue.is_full());
        assert_eq!(
            queue.push(UpdateId(1), Priority::Critical, at(0)),
            Err(PushError::Full)
        );
        assert_eq!(queue.pop(), None);
        assert_eq!(queue.peek(), None);
        assert_eq!(queue.remove(UpdateId(1)), Err(RemoveError::UnknownId));
        assert!(!queue.contains(UpdateId(1)));
        queue.clear();
        queue.assert_consistent();
    }

    #[test]
    fn test_counter_exhausted_push_renumbers_in_order() {
        let mut queue = empty_queue::<8>();
        queue.next_sequence = SEQUENCE_LIMIT - 3;
        for id in 0..6 {
            queue
                .push(UpdateId(id), Priority::Optional, NO_DEADLINE)
                .unwrap();
        }
        queue.assert_consistent();
        assert!(queue.iter().all(|(_, key)| key.sequence < 6));
        assert_eq!(drain(&mut queue), [0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn test_static_queue_builds_in_const_context() {
        static QUEUE: UpdateQueue<16> = UpdateQueue::new();
        assert!(QUEUE.is_empty());
        QUEUE.assert_consistent();
    }

    #[test]
    fn test_capacity_1024_fits_memory_budget() {
        // 24 bytes per entry plus a few counters; see the module notes.
        assert!(core::mem::size_of::<UpdateQueue<1024>>() <= 24 * 1024 + 16);
    }

    #[test]
    fn test_queued_debug_lists_entries_only() {
        let queue = queue_with::<1024>(&[(3, Priority::Low, NO_DEADLINE)]);
        let text = format!("{queue:?}");
        assert!(text.contains("len: 1"), "{text}");
        assert!(text.contains("UpdateId(3)"), "{text}");
        assert!(text.len() < 300, "{text}");
        assert_eq!(format!("{:?}", queue.iter()), "Iter { remaining: 1 }");
    }

    #[test]
    fn test_errors_display_reason() {
        assert_eq!(PushError::Full.to_string(), "the update queue is full");
        assert_eq!(
            RemoveError::UnknownId.to_string(),
            "no queued update has this id"
        );
        let error: &dyn core::error::Error = &ReprioritizeError::UnknownId;
        assert_eq!(error.to_string(), "no queued update has this id");
    }

    /// One step of a random workload.
    #[derive(Clone, Debug)]
    enum Operation {
        Push(u32, Priority, Instant),
        Pop,
        Remove(u32),
        Reprioritize(u32, Priority, Instant),
    }

    fn operation() -> impl Strategy<Value = Operation> {
        let id = 0u32..40;
        let priority = (0usize..5).prop_map(|i| Priority::ALL[i]);
        // Few distinct deadlines, so that ties on deadline are common.
        let deadline = prop_oneof![
            Just(NO_DEADLINE),
            (0u64..4).prop_map(Instant::from_millis),
            Just(Instant::from_millis(u64::MAX - 1)),
        ];
        prop_oneof![
            4 => (id.clone(), priority.clone(), deadline.clone())
                .prop_map(|(i, p, d)| Operation::Push(i, p, d)),
            2 => Just(Operation::Pop),
            2 => id.clone().prop_map(Operation::Remove),
            1 => (id, priority, deadline).prop_map(|(i, p, d)| Operation::Reprioritize(i, p, d)),
        ]
    }

    /// The obviously correct queue: a list kept sorted by key.
    #[derive(Default)]
    struct Model {
        entries: Vec<(OrderKey, u32)>,
        next_sequence: u32,
    }

    impl Model {
        fn find(&self, id: u32) -> Option<usize> {
            self.entries.iter().position(|&(_, i)| i == id)
        }

        fn insert(&mut self, key: OrderKey, id: u32) {
            let at = self.entries.partition_point(|&(k, _)| k < key);
            self.entries.insert(at, (key, id));
        }
    }

    /// Runs `operations` on a queue of capacity 16 (starting its counter at
    /// `first_sequence`) and on the model, checking they agree at each step.
    /// Sequence numbers are compared only when no renumbering can happen.
    fn check_against_model(operations: &[Operation], first_sequence: u32) {
        let mut queue = empty_queue::<16>();
        queue.next_sequence = first_sequence;
        let compare_sequence = first_sequence == 0;
        let mut model = Model {
            next_sequence: first_sequence,
            ..Model::default()
        };
        let same = |a: Option<OrderKey>, b: Option<OrderKey>| match (a, b) {
            (Some(a), Some(b)) if !compare_sequence => {
                a.priority == b.priority && a.deadline == b.deadline
            }
            _ => a == b,
        };
        for operation in operations {
            match *operation {
                Operation::Push(id, priority, deadline) => {
                    let expected = if model.find(id).is_some() {
                        Err(PushError::Duplicate)
                    } else if model.entries.len() == 16 {
                        Err(PushError::Full)
                    } else {
                        let key = OrderKey::new(priority, deadline, model.next_sequence);
                        model.next_sequence += 1;
                        model.insert(key, id);
                        Ok(())
                    };
                    assert_eq!(queue.push(UpdateId(id), priority, deadline), expected);
                }
                Operation::Pop => {
                    let expected = (!model.entries.is_empty()).then(|| model.entries.remove(0));
                    let got = queue.pop();
                    assert_eq!(got.map(|(id, _)| id.0), expected.map(|(_, id)| id));
                    assert!(same(got.map(|(_, k)| k), expected.map(|(k, _)| k)));
                }
                Operation::Remove(id) => {
                    let expected = model.find(id).map(|at| model.entries.remove(at).0);
                    let got = queue.remove(UpdateId(id));
                    assert_eq!(got.is_ok(), expected.is_some());
                    assert!(same(got.ok(), expected));
                }
                Operation::Reprioritize(id, priority, deadline) => {
                    let expected = model.find(id).map(|at| {
                        let (old, _) = model.entries.remove(at);
                        model.insert(OrderKey::new(priority, deadline, old.sequence), id);
                        old
                    });
                    let got = queue.reprioritize(UpdateId(id), priority, deadline);
                    assert_eq!(got.is_ok(), expected.is_some());
                    assert!(same(got.ok(), expected));
                }
            }
            queue.assert_consistent();
            assert_eq!(queue.len(), model.entries.len());
            assert_eq!(
                queue.peek().map(|(id, _)| id.0),
                model.entries.first().map(|&(_, id)| id)
            );
            for id in 0..40 {
                let expected = model.find(id).map(|at| model.entries[at].0);
                assert!(same(queue.get(UpdateId(id)), expected));
            }
        }
    }

    proptest! {
        #[test]
        fn test_random_workload_matches_sorted_model(
            operations in proptest::collection::vec(operation(), 0..300),
        ) {
            check_against_model(&operations, 0);
        }

        #[test]
        fn test_random_workload_across_renumbering_matches_model(
            operations in proptest::collection::vec(operation(), 0..300),
            headroom in 0u32..40,
        ) {
            check_against_model(&operations, SEQUENCE_LIMIT - headroom);
        }
    }
}
