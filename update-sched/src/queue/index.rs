//! [`SlotIndex`]: maps each [`UpdateId`] to a [`Slot`], a small number below
//! the capacity that the id keeps while it is in the index.

use core::fmt;
use core::iter::FusedIterator;

use super::{CapacityFitsU16, ListDebug, NO_SLOT};
use crate::update::UpdateId;

/// A place in a [`SlotIndex`] or [`SlotHeap`](super::SlotHeap) of capacity `N`: a number
/// below `N` that an id keeps for as long as it is in the index.
///
/// Tables kept beside a [`SlotIndex`] can be `[T; N]` arrays indexed by
/// [`Slot::index`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slot(pub(super) u16);

impl Slot {
    /// The slot numbered `index`. Slots normally come from
    /// [`SlotIndex::insert`]; this is for tests and for slot spaces kept by
    /// other means.
    #[inline]
    pub const fn new(index: u16) -> Slot {
        Slot(index)
    }

    /// The slot's number, for indexing arrays of length `N`.
    #[inline]
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// Why [`SlotIndex::insert`] refused an id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IndexError {
    /// Every slot is taken; the id was not inserted.
    Full,
    /// The id is already in the index (checked before [`IndexError::Full`]);
    /// the index is unchanged.
    Duplicate,
}

impl fmt::Display for IndexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IndexError::Full => "every slot of the index is taken",
            IndexError::Duplicate => "the id is already in the index",
        })
    }
}

impl core::error::Error for IndexError {}

/// A fixed-capacity map from [`UpdateId`] to [`Slot`] that owns the slots:
/// inserting an id hands out a free slot, removing it frees the slot again.
///
/// Lookups go through a chained hash table (Fibonacci hashing, `N`
/// buckets), so they take O(1) on average. 8 bytes per entry; see the
/// module notes.
///
/// `N` must be at most 65,535; a larger `N` fails to compile:
///
/// ```compile_fail
/// let index = update_sched::queue::SlotIndex::<65_536>::new();
/// ```
///
/// Every operation is allocation-free and panic-free.
#[derive(Clone)]
pub struct SlotIndex<const N: usize> {
    /// Id held by each occupied slot; stale in a free slot.
    ids: [UpdateId; N],
    /// For an occupied slot, the next slot in its hash chain; for a free
    /// slot, the next free slot.
    next: [u16; N],
    /// First slot of each hash chain.
    bucket_heads: [u16; N],
    /// First free slot.
    free_head: u16,
    /// Number of occupied slots.
    len: u16,
}

impl<const N: usize> SlotIndex<N> {
    /// An empty index. `const` so that a kernel can keep one in a `static`.
    #[inline]
    pub const fn new() -> SlotIndex<N> {
        let () = CapacityFitsU16::<N>::CHECK;
        // Thread every slot onto the free list, in order.
        let mut next = [NO_SLOT; N];
        let mut slot = 0;
        while slot + 1 < N {
            next[slot] = (slot + 1) as u16;
            slot += 1;
        }
        SlotIndex {
            ids: [UpdateId(0); N],
            next,
            bucket_heads: [NO_SLOT; N],
            free_head: if N == 0 { NO_SLOT } else { 0 },
            len: 0,
        }
    }

    /// Most ids the index can hold.
    #[inline]
    pub const fn capacity(&self) -> usize {
        N
    }

    /// Number of ids in the index.
    #[inline]
    pub const fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether the index holds no id.
    #[inline]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether an insert would fail with [`IndexError::Full`].
    #[inline]
    pub const fn is_full(&self) -> bool {
        self.len as usize == N
    }

    /// Adds `id` and returns the slot it now owns. O(1) on average.
    ///
    /// Fails with [`IndexError::Duplicate`] if `id` is already in the index
    /// (checked first), or [`IndexError::Full`] if every slot is taken.
    pub fn insert(&mut self, id: UpdateId) -> Result<Slot, IndexError> {
        if self.find(id).is_some() {
            return Err(IndexError::Duplicate);
        }
        if self.is_full() {
            return Err(IndexError::Full);
        }
        let slot = self.free_head;
        let slot_index = usize::from(slot);
        self.free_head = self.next[slot_index];
        self.ids[slot_index] = id;
        let bucket = bucket_of::<N>(id);
        self.next[slot_index] = self.bucket_heads[bucket];
        self.bucket_heads[bucket] = slot;
        self.len += 1;
        Ok(Slot(slot))
    }

    /// The slot `id` owns, if it is in the index. O(1) on average.
    pub fn find(&self, id: UpdateId) -> Option<Slot> {
        if N == 0 {
            return None;
        }
        let mut slot = self.bucket_heads[bucket_of::<N>(id)];
        while slot != NO_SLOT {
            if self.ids[usize::from(slot)] == id {
                return Some(Slot(slot));
            }
            slot = self.next[usize::from(slot)];
        }
        None
    }

    /// Whether `id` is in the index. O(1) on average.
    pub fn contains(&self, id: UpdateId) -> bool {
        self.find(id).is_some()
    }

    /// Removes `id` and frees its slot, returning the slot it owned.
    /// O(1) on average.
    pub fn remove(&mut self, id: UpdateId) -> Option<Slot> {
        if N == 0 {
            return None;
        }
        let bucket = bucket_of::<N>(id);
        let (previous, slot) =
            self.search_chain(bucket, |slot| self.ids[usize::from(slot)] == id)?;
        self.unlink(bucket, previous, slot);
        Some(Slot(slot))
    }

    /// The id last stored in `slot`, without [`SlotIndex::id_at`]'s check
    /// that the slot is occupied: for a caller that knows it is, such as a
    /// heap that holds only occupied slots. `None` if `slot` is not below
    /// `N`. O(1).
    pub(crate) fn stored_id(&self, slot: Slot) -> Option<UpdateId> {
        self.ids.get(slot.index()).copied()
    }

    /// The id that owns `slot`, or `None` if the slot is free or not below
    /// `N`. O(1) on average.
    pub fn id_at(&self, slot: Slot) -> Option<UpdateId> {
        let id = *self.ids.get(slot.index())?;
        self.search_chain(bucket_of::<N>(id), |occupied| occupied == slot.0)
            .map(|_| id)
    }

    /// Frees `slot` and returns the id that owned it, or `None` (changing
    /// nothing) if the slot is free or not below `N`. The same as
    /// `remove(id_at(slot)?)` with one hash-chain walk instead of two: for
    /// a caller that learnt the slot from elsewhere, such as
    /// [`SlotHeap::pop`](super::SlotHeap::pop). O(1) on average.
    pub fn remove_slot(&mut self, slot: Slot) -> Option<UpdateId> {
        let id = *self.ids.get(slot.index())?;
        let bucket = bucket_of::<N>(id);
        let (previous, found) = self.search_chain(bucket, |occupied| occupied == slot.0)?;
        self.unlink(bucket, previous, found);
        Some(id)
    }

    /// Removes every id. O(N): every bucket is visited, until all the
    /// occupied slots have been freed.
    pub fn clear(&mut self) {
        let mut bucket = 0;
        while self.len > 0 && bucket < N {
            let mut slot = self.bucket_heads[bucket];
            self.bucket_heads[bucket] = NO_SLOT;
            while slot != NO_SLOT {
                let slot_index = usize::from(slot);
                let after = self.next[slot_index];
                self.next[slot_index] = self.free_head;
                self.free_head = slot;
                self.len = self.len.saturating_sub(1);
                slot = after;
            }
            bucket += 1;
        }
    }

    /// Every id in the index and its slot, in no particular order (by hash
    /// bucket). O(N) to run to the end.
    pub fn iter(&self) -> SlotIndexIter<'_, N> {
        SlotIndexIter {
            index: self,
            bucket: 0,
            slot: NO_SLOT,
            remaining: self.len(),
        }
    }

    /// Walks the chain of `bucket` for the first slot that `matches`, and
    /// returns the slot before it ([`NO_SLOT`] if it heads the chain) and
    /// the slot itself.
    fn search_chain(&self, bucket: usize, matches: impl Fn(u16) -> bool) -> Option<(u16, u16)> {
        let mut previous = NO_SLOT;
        let mut slot = *self.bucket_heads.get(bucket)?;
        while slot != NO_SLOT {
            if matches(slot) {
                return Some((previous, slot));
            }
            previous = slot;
            slot = self.next[usize::from(slot)];
        }
        None
    }

    /// Takes `slot`, which follows `previous` on the chain of `bucket`, off
    /// the chain and puts it on the free list.
    fn unlink(&mut self, bucket: usize, previous: u16, slot: u16) {
        let slot_index = usize::from(slot);
        let after = self.next[slot_index];
        if previous == NO_SLOT {
            self.bucket_heads[bucket] = after;
        } else {
            self.next[usize::from(previous)] = after;
        }
        self.next[slot_index] = self.free_head;
        self.free_head = slot;
        self.len -= 1;
    }
}

/// Hash bucket of `id` among `N`: Fibonacci hashing (multiply by 2^32 over
/// the golden ratio, which spreads consecutive ids across the word), then
/// a multiply-shift to map the 32-bit hash onto `0..N` without a division.
fn bucket_of<const N: usize>(id: UpdateId) -> usize {
    let hash = id.0.wrapping_mul(0x9E37_79B9);
    ((u64::from(hash) * N as u64) >> 32) as usize
}

impl<const N: usize> Default for SlotIndex<N> {
    fn default() -> SlotIndex<N> {
        SlotIndex::new()
    }
}

/// Lists the occupied slots rather than all `N`.
impl<const N: usize> fmt::Debug for SlotIndex<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlotIndex")
            .field("capacity", &N)
            .field("len", &self.len)
            .field("entries", &ListDebug(|| self.iter()))
            .finish()
    }
}

/// Iterator over the ids in a [`SlotIndex`] and their slots, from
/// [`SlotIndex::iter`].
#[derive(Clone)]
pub struct SlotIndexIter<'a, const N: usize> {
    index: &'a SlotIndex<N>,
    /// Next bucket to start a chain from.
    bucket: usize,
    /// Next slot on the current chain, or [`NO_SLOT`] at a chain's end.
    slot: u16,
    /// Ids not yet yielded; the walk stops once it reaches zero.
    remaining: usize,
}

impl<const N: usize> Iterator for SlotIndexIter<'_, N> {
    type Item = (UpdateId, Slot);

    fn next(&mut self) -> Option<(UpdateId, Slot)> {
        if self.remaining == 0 {
            return None;
        }
        while self.slot == NO_SLOT {
            self.slot = *self.index.bucket_heads.get(self.bucket)?;
            self.bucket += 1;
        }
        let slot = self.slot;
        let slot_index = usize::from(slot);
        self.slot = *self.index.next.get(slot_index)?;
        self.remaining -= 1;
        Some((*self.index.ids.get(slot_index)?, Slot(slot)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

/// Shows how many entries are left rather than the whole index.
impl<const N: usize> fmt::Debug for SlotIndexIter<'_, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlotIndexIter")
            .field("remaining", &self.remaining)
            .finish()
    }
}

impl<const N: usize> ExactSizeIterator for SlotIndexIter<'_, N> {}

impl<const N: usize> FusedIterator for SlotIndexIter<'_, N> {}

impl<'a, const N: usize> IntoIterator for &'a SlotIndex<N> {
    type Item = (UpdateId, Slot);
    type IntoIter = SlotIndexIter<'a, N>;

    fn into_iter(self) -> SlotIndexIter<'a, N> {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::prelude::*;

    impl<const N: usize> SlotIndex<N> {
        /// Checks every internal invariant: hash chains, the free list and
        /// the count, and that every id is found at its slot. Returns which
        /// slots are occupied.
        pub(crate) fn assert_consistent(&self) -> Vec<bool> {
            let len = self.len();
            assert!(len <= N);
            let mut occupied = vec![false; N];
            let mut ids = std::collections::HashSet::new();
            for bucket in 0..N {
                let mut slot = self.bucket_heads[bucket];
                while slot != NO_SLOT {
                    let index = usize::from(slot);
                    assert!(index < N, "slot {slot} out of range on a chain");
                    assert!(!occupied[index], "slot {slot} chained twice");
                    occupied[index] = true;
                    let id = self.ids[index];
                    assert_eq!(bucket_of::<N>(id), bucket);
                    assert!(ids.insert(id), "{id} chained twice");
                    assert_eq!(self.find(id), Some(Slot(slot)));
                    assert_eq!(self.id_at(Slot(slot)), Some(id));
                    slot = self.next[index];
                }
            }
            assert_eq!(ids.len(), len);
            let mut free = 0;
            let mut slot = self.free_head;
            while slot != NO_SLOT {
                let index = usize::from(slot);
                assert!(!occupied[index], "used slot {slot} on the free list");
                assert_eq!(self.id_at(Slot(slot)), None);
                free += 1;
                assert!(free <= N, "free list loops");
                slot = self.next[index];
            }
            assert_eq!(free + len, N);
            assert_eq!(self.iter().count(), len);
            occupied
        }
    }

    /// An index of capacity `N` holding `ids`, inserted in the order given.
    fn index_with<const N: usize>(ids: &[u32]) -> SlotIndex<N> {
        let mut index = SlotIndex::new();
        for &id in ids {
            index.insert(UpdateId(id)).unwrap();
        }
        index.assert_consistent();
        index
    }

    /// A full index of capacity `N` holding ids `0..N`.
    fn full_index<const N: usize>() -> SlotIndex<N> {
        let ids: Vec<u32> = (0..N as u32).collect();
        index_with::<N>(&ids)
    }

    #[test]
    fn test_empty_index_queries_find_nothing() {
        let mut index = SlotIndex::<4>::new();
        assert!(index.is_empty());
        assert!(!index.is_full());
        assert_eq!(index.len(), 0);
        assert_eq!(index.capacity(), 4);
        assert_eq!(index.find(UpdateId(1)), None);
        assert!(!index.contains(UpdateId(1)));
        assert_eq!(index.remove(UpdateId(1)), None);
        assert_eq!(index.id_at(Slot::new(0)), None);
        assert_eq!(index.remove_slot(Slot::new(0)), None);
        assert_eq!(index.iter().count(), 0);
        index.assert_consistent();
    }

    #[test]
    fn test_empty_index_insert_hands_out_distinct_slots() {
        let mut index = SlotIndex::<8>::new();
        let mut slots = Vec::new();
        for id in [5, 13, 21, 1_000_000, u32::MAX] {
            let slot = index.insert(UpdateId(id)).unwrap();
            assert!(slot.index() < 8);
            assert!(!slots.contains(&slot));
            slots.push(slot);
            assert_eq!(index.find(UpdateId(id)), Some(slot));
            assert_eq!(index.id_at(slot), Some(UpdateId(id)));
        }
        assert_eq!(index.len(), 5);
        index.assert_consistent();
    }

    #[test]
    fn test_filled_index_insert_same_id_reports_duplicate() {
        let mut index = index_with::<4>(&[7, 8]);
        let slot = index.find(UpdateId(7));
        assert_eq!(index.insert(UpdateId(7)), Err(IndexError::Duplicate));
        assert_eq!(index.find(UpdateId(7)), slot);
        assert_eq!(index.len(), 2);
        // On a full index a duplicate is still reported as such.
        let mut full = full_index::<4>();
        assert_eq!(full.insert(UpdateId(2)), Err(IndexError::Duplicate));
    }

    #[test]
    fn test_full_index_insert_reports_full() {
        let mut index = full_index::<8>();
        assert!(index.is_full());
        assert_eq!(index.insert(UpdateId(99)), Err(IndexError::Full));
        assert_eq!(index.len(), 8);
        index.assert_consistent();
    }

    #[test]
    fn test_full_index_remove_frees_slot_for_reuse() {
        let mut index = full_index::<8>();
        let slot = index.remove(UpdateId(3)).unwrap();
        index.assert_consistent();
        assert_eq!(index.find(UpdateId(3)), None);
        assert_eq!(index.id_at(slot), None);
        assert_eq!(index.remove(UpdateId(3)), None);
        assert_eq!(index.insert(UpdateId(42)), Ok(slot));
        index.assert_consistent();
    }

    #[test]
    fn test_filled_index_id_at_rejects_free_and_out_of_range_slots() {
        let index = index_with::<4>(&[10]);
        let used = index.find(UpdateId(10)).unwrap();
        for index_of in 0..4u16 {
            let expected = (Slot::new(index_of) == used).then_some(UpdateId(10));
            assert_eq!(index.id_at(Slot::new(index_of)), expected);
        }
        assert_eq!(index.id_at(Slot::new(4)), None);
        assert_eq!(index.id_at(Slot::new(u16::MAX)), None);
    }

    #[test]
    fn test_full_index_remove_slot_frees_it() {
        let mut index = full_index::<16>();
        let slot = index.find(UpdateId(9)).unwrap();
        assert_eq!(index.remove_slot(slot), Some(UpdateId(9)));
        assert_eq!(index.remove_slot(slot), None);
        assert_eq!(index.remove_slot(Slot::new(16)), None);
        assert!(!index.contains(UpdateId(9)));
        assert_eq!(index.len(), 15);
        index.assert_consistent();
    }

    #[test]
    fn test_colliding_index_remove_from_chain_middle_keeps_others() {
        // With 4 buckets, 40 ids must share chains.
        let mut index = SlotIndex::<4>::new();
        for round in 0..10u32 {
            let ids: Vec<u32> = (round * 4..round * 4 + 4).collect();
            for &id in &ids {
                index.insert(UpdateId(id)).unwrap();
            }
            for &id in [ids[1], ids[3], ids[0], ids[2]].iter() {
                let slot = index.find(UpdateId(id)).unwrap();
                assert_eq!(index.remove(UpdateId(id)), Some(slot));
                index.assert_consistent();
            }
        }
        assert!(index.is_empty());
    }

    #[test]
    fn test_full_index_clear_empties_and_accepts_new_ids() {
        let mut index = full_index::<32>();
        index.clear();
        index.assert_consistent();
        assert!(index.is_empty());
        assert!(!index.contains(UpdateId(3)));
        for id in 100..132 {
            index.insert(UpdateId(id)).unwrap();
        }
        assert!(index.is_full());
        index.assert_consistent();
    }

    #[test]
    fn test_filled_index_iter_yields_every_id_once() {
        let index = index_with::<16>(&[3, 1, 4, 15, 9, 2, 6]);
        let mut seen: Vec<(u32, Slot)> = index.iter().map(|(id, slot)| (id.0, slot)).collect();
        assert_eq!(index.iter().len(), 7);
        seen.sort();
        let ids: Vec<u32> = seen.iter().map(|&(id, _)| id).collect();
        assert_eq!(ids, [1, 2, 3, 4, 6, 9, 15]);
        for (id, slot) in seen {
            assert_eq!(index.find(UpdateId(id)), Some(slot));
        }
    }

    #[test]
    fn test_capacity_zero_index_insert_reports_full() {
        let mut index = SlotIndex::<0>::new();
        assert!(index.is_full());
        assert_eq!(index.insert(UpdateId(1)), Err(IndexError::Full));
        assert_eq!(index.find(UpdateId(1)), None);
        assert_eq!(index.remove(UpdateId(1)), None);
        assert_eq!(index.id_at(Slot::new(0)), None);
        index.clear();
        assert_eq!(index.iter().count(), 0);
        index.assert_consistent();
    }

    #[test]
    fn test_static_index_builds_in_const_context() {
        static INDEX: SlotIndex<16> = SlotIndex::new();
        assert!(INDEX.is_empty());
        INDEX.assert_consistent();
    }

    #[test]
    fn test_filled_index_debug_lists_entries_only() {
        let index = index_with::<1024>(&[3]);
        let text = format!("{index:?}");
        assert!(text.contains("len: 1"), "{text}");
        assert!(text.contains("UpdateId(3)"), "{text}");
        assert!(text.len() < 200, "{text}");
        assert_eq!(
            format!("{:?}", index.iter()),
            "SlotIndexIter { remaining: 1 }"
        );
    }

    #[test]
    fn test_capacity_1024_index_fits_memory_budget() {
        // 8 bytes per entry; see the module notes of `queue`.
        assert!(core::mem::size_of::<SlotIndex<1024>>() <= 8 * 1024 + 8);
    }

    #[test]
    fn test_index_errors_display_reason() {
        assert_eq!(
            IndexError::Full.to_string(),
            "every slot of the index is taken"
        );
        assert_eq!(
            IndexError::Duplicate.to_string(),
            "the id is already in the index"
        );
    }

    /// One step of a random workload on a [`SlotIndex`].
    #[derive(Clone, Debug)]
    enum IndexOperation {
        Insert(u32),
        Remove(u32),
        RemoveSlot(u16),
        Clear,
    }

    fn index_operation() -> impl Strategy<Value = IndexOperation> {
        // 40 ids for 16 slots, so that the index fills and chains collide.
        prop_oneof![
            6 => (0u32..40).prop_map(IndexOperation::Insert),
            3 => (0u32..40).prop_map(IndexOperation::Remove),
            2 => (0u16..18).prop_map(IndexOperation::RemoveSlot),
            1 => Just(IndexOperation::Clear),
        ]
    }

    /// Runs `operations` on an index of capacity 16 and on a map from id to
    /// slot, checking they agree at each step.
    fn check_index_against_model(operations: &[IndexOperation]) {
        let mut index = SlotIndex::<16>::new();
        let mut model: std::collections::HashMap<u32, Slot> = std::collections::HashMap::new();
        for operation in operations {
            match *operation {
                IndexOperation::Insert(id) => match index.insert(UpdateId(id)) {
                    Ok(slot) => {
                        assert!(!model.contains_key(&id) && model.len() < 16);
                        assert!(!model.values().any(|&used| used == slot));
                        model.insert(id, slot);
                    }
                    Err(IndexError::Duplicate) => assert!(model.contains_key(&id)),
                    Err(IndexError::Full) => {
                        assert!(!model.contains_key(&id) && model.len() == 16)
                    }
                },
                IndexOperation::Remove(id) => {
                    assert_eq!(index.remove(UpdateId(id)), model.remove(&id));
                }
                IndexOperation::RemoveSlot(slot) => {
                    let slot = Slot::new(slot);
                    let owner = model.iter().find(|&(_, &s)| s == slot).map(|(&id, _)| id);
                    if let Some(id) = owner {
                        model.remove(&id);
                    }
                    assert_eq!(index.remove_slot(slot), owner.map(UpdateId));
                }
                IndexOperation::Clear => {
                    index.clear();
                    model.clear();
                }
            }
            index.assert_consistent();
            assert_eq!(index.len(), model.len());
            for id in 0..40 {
                assert_eq!(index.find(UpdateId(id)), model.get(&id).copied());
            }
            for slot in 0..18 {
                let owner = model
                    .iter()
                    .find(|&(_, &s)| s == Slot::new(slot))
                    .map(|(&id, _)| UpdateId(id));
                assert_eq!(index.id_at(Slot::new(slot)), owner);
            }
            let mut listed: Vec<(u32, Slot)> = index.iter().map(|(id, s)| (id.0, s)).collect();
            let mut expected: Vec<(u32, Slot)> = model.iter().map(|(&id, &s)| (id, s)).collect();
            listed.sort();
            expected.sort();
            assert_eq!(listed, expected);
        }
    }

    proptest! {
        #[test]
        fn test_random_index_workload_matches_hashmap_model(
            operations in proptest::collection::vec(index_operation(), 0..300),
        ) {
            check_index_against_model(&operations);
        }
    }
}
