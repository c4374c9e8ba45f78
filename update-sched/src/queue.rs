//! A fixed-capacity priority queue of update ids that can also cancel by id,
//! built from two parts that also stand on their own.
//!
//! [`UpdateQueue`] is an indexed binary min-heap: the heap orders entries by
//! [`OrderKey`] (priority, then deadline, then submission order), and a
//! chained hash index finds any queued id in O(1) on average, so an update
//! can be cancelled or re-prioritised without scanning the queue. It is a
//! thin composition of:
//!
//! - [`SlotIndex`], which maps each [`UpdateId`] to a [`Slot`]: a small
//!   number below `N` that stays the same for as long as the id is in the
//!   index, so that other tables can be indexed by it;
//! - [`SlotHeap`], a binary min-heap of `(key, slot)` pairs that also knows
//!   where each slot sits in the heap, so that it can remove or re-key any
//!   slot in O(log n), not only the top one.
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
//! So a `SlotIndex` costs 8 bytes per entry, a `SlotHeap<K, N>` costs
//! `size_of::<K>() + 4` (12 for a `u64` or [`PackedKey`]), and an
//! `UpdateQueue`, whose key packs into 12 bytes, 24: about 24 KiB for
//! `UpdateQueue<1024>`.
//!
//! The heap keeps keys and slots in two parallel arrays rather than one
//! array of `(K, u16)` pairs, because a pair with a `u64` key would be
//! padded to 16 bytes. Sifting compares keys only, so the comparisons walk
//! one dense array; the slot array is touched only when an entry moves.
//!
//! The queue's key is packed into 96 bits whose numeric order *is* the
//! queue order (3 bits of priority, 64 bits of deadline, 29 bits of
//! sequence), which makes every comparison a single 128-bit compare; it is
//! stored as byte arrays so that it takes 12 bytes with no padding.
//!
//! Slot indices and heap positions are `u16`, which caps `N` at 65,535
//! (checked at compile time); `u16::MAX` marks "no slot".
//!
//! # Submission order
//!
//! The queue numbers pushes itself, so entries with equal priority and
//! deadline come out in the order they went in. The counter has 29 bits;
//! when it runs out (after 536,870,912 pushes) the queue renumbers the
//! entries it holds, in place and in their existing order, and carries on
//! ([`SlotHeap::rekey_in_order`] does the work, and is there for any other
//! user of a sequence field, such as one in a [`PackedKey`]).

use core::fmt;
use core::iter::FusedIterator;

use crate::time::Instant;
use crate::update::{Priority, UpdateId};

/// Marks the end of a hash chain or of the free list. Slots are numbered
/// below `N <= u16::MAX`, so this value is never a real slot.
const NO_SLOT: u16 = u16::MAX;

/// Bits of a packed key given to the sequence number: for [`OrderKey`],
/// what is left of 96 bits after 3 for the priority and 64 for the
/// deadline; for [`PackedKey`], what is left of 64 bits after 3 for the
/// rank and 32 for the deadline.
const SEQUENCE_BITS: u32 = 29;

/// Where a [`PackedKey`]'s 3 rank bits start: above the 32 deadline bits
/// and the sequence bits.
const RANK_SHIFT: u32 = 32 + SEQUENCE_BITS;

/// First sequence number that does not fit; reaching it triggers a
/// renumbering of the queued entries.
const SEQUENCE_LIMIT: u32 = 1 << SEQUENCE_BITS;

/// Evaluated by every `new` here so that an oversized `N` is a compile
/// error: slots and positions are stored as `u16`, with `u16::MAX`
/// reserved for [`NO_SLOT`].
struct CapacityFitsU16<const N: usize>;

impl<const N: usize> CapacityFitsU16<N> {
    const CHECK: () = assert!(N <= u16::MAX as usize, "capacity must be at most 65,535");
}

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

// ---------------------------------------------------------------------------
// Slots and the id index
// ---------------------------------------------------------------------------

/// A place in a [`SlotIndex`] or [`SlotHeap`] of capacity `N`: a number
/// below `N` that an id keeps for as long as it is in the index.
///
/// Tables kept beside a [`SlotIndex`] can be `[T; N]` arrays indexed by
/// [`Slot::index`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slot(u16);

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
    /// [`SlotHeap::pop`]. O(1) on average.
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

/// Debug-prints what an iterator yields as a list.
struct ListDebug<F>(F);

impl<F: Fn() -> I, I: Iterator<Item = T>, T: fmt::Debug> fmt::Debug for ListDebug<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries((self.0)()).finish()
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

// ---------------------------------------------------------------------------
// Keys and the slot heap
// ---------------------------------------------------------------------------

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

/// The first thing a [`PackedKey`] orders by: a class of entries, served in
/// the order of the variants.
///
/// Critical updates come first, then updates the scheduler forces because
/// their latest start has come (whatever their priority), then the other
/// priorities from most to least urgent. A priority on its own is one way
/// to make a rank: [`Rank::of`] with `forced` false, or `Rank::from`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rank {
    /// A [`Priority::Critical`] update, forced or not.
    Critical = 0,
    /// An update of any other priority that is forced: it goes ahead of
    /// every update not forced.
    Forced = 1,
    /// A [`Priority::Security`] update, not forced.
    Security = 2,
    /// A [`Priority::Important`] update, not forced.
    Important = 3,
    /// A [`Priority::Optional`] update, not forced.
    Optional = 4,
    /// A [`Priority::Low`] update, not forced.
    Low = 5,
}

impl Rank {
    /// Every rank, first served first.
    pub const ALL: [Rank; 6] = [
        Rank::Critical,
        Rank::Forced,
        Rank::Security,
        Rank::Important,
        Rank::Optional,
        Rank::Low,
    ];

    /// The rank of an update of `priority`, `forced` or not.
    #[inline]
    pub const fn of(priority: Priority, forced: bool) -> Rank {
        match (priority, forced) {
            (Priority::Critical, _) => Rank::Critical,
            (_, true) => Rank::Forced,
            (Priority::Security, false) => Rank::Security,
            (Priority::Important, false) => Rank::Important,
            (Priority::Optional, false) => Rank::Optional,
            (Priority::Low, false) => Rank::Low,
        }
    }

    /// Inverse of `rank as u64` for the three bits stored in a key.
    const fn from_bits(bits: u64) -> Rank {
        match bits {
            0 => Rank::Critical,
            1 => Rank::Forced,
            2 => Rank::Security,
            3 => Rank::Important,
            4 => Rank::Optional,
            // Only 0..=5 are ever stored; the catch-all keeps this total.
            _ => Rank::Low,
        }
    }
}

impl From<Priority> for Rank {
    /// The rank of an update of `priority` that is not forced.
    #[inline]
    fn from(priority: Priority) -> Rank {
        Rank::of(priority, false)
    }
}

/// The scheduler's ready-queue key packed into a `u64` whose numeric order
/// is the queue order: first [`Rank`], then earliest deadline, then lowest
/// sequence number.
///
/// | bits   | field                                  |
/// | ------ | -------------------------------------- |
/// | 63..61 | rank ([`Rank`] as a number, 0..=5)     |
/// | 60..29 | deadline, whole seconds (`u32`)        |
/// | 28..0  | sequence number (below 2<sup>29</sup>) |
///
/// The derived order is that numeric order, so a
/// `SlotHeap<PackedKey, N>` serves the smallest key first at 12 bytes per
/// entry. `u32::MAX` seconds (about 136 years) serves as "no deadline".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PackedKey(u64);

impl PackedKey {
    /// First sequence number that does not fit: sequence numbers are below
    /// 2<sup>29</sup>, the bits left of 64 after the rank and deadline.
    pub const SEQUENCE_LIMIT: u32 = SEQUENCE_LIMIT;

    /// A key with the given parts. Only the low 29 bits of `sequence` are
    /// kept, so a counter that runs past [`PackedKey::SEQUENCE_LIMIT`]
    /// wraps to 0; [`PackedKey::checked_new`] reports that instead, and
    /// [`SlotHeap::rekey_in_order`] renumbers a full counter's keys.
    #[inline]
    pub const fn new(rank: Rank, deadline_secs: u32, sequence: u32) -> PackedKey {
        PackedKey(
            ((rank as u64) << RANK_SHIFT)
                | ((deadline_secs as u64) << SEQUENCE_BITS)
                | (sequence & (SEQUENCE_LIMIT - 1)) as u64,
        )
    }

    /// A key with the given parts, or `None` if `sequence` does not fit in
    /// 29 bits.
    #[inline]
    pub const fn checked_new(rank: Rank, deadline_secs: u32, sequence: u32) -> Option<PackedKey> {
        if sequence < SEQUENCE_LIMIT {
            Some(PackedKey::new(rank, deadline_secs, sequence))
        } else {
            None
        }
    }

    /// The key whose packed form is `bits`, as given by
    /// [`PackedKey::to_bits`]. Rank bits above 5 read back as [`Rank::Low`].
    #[inline]
    pub const fn from_bits(bits: u64) -> PackedKey {
        PackedKey(bits)
    }

    /// The packed form.
    #[inline]
    pub const fn to_bits(self) -> u64 {
        self.0
    }

    /// The rank part.
    #[inline]
    pub const fn rank(self) -> Rank {
        Rank::from_bits(self.0 >> RANK_SHIFT)
    }

    /// The deadline part, in whole seconds.
    #[inline]
    pub const fn deadline_secs(self) -> u32 {
        (self.0 >> SEQUENCE_BITS) as u32
    }

    /// The sequence part, below [`PackedKey::SEQUENCE_LIMIT`].
    #[inline]
    pub const fn sequence(self) -> u32 {
        (self.0 as u32) & (SEQUENCE_LIMIT - 1)
    }

    /// The same key with another sequence number (its low 29 bits).
    #[inline]
    pub const fn with_sequence(self, sequence: u32) -> PackedKey {
        PackedKey(
            (self.0 & !(SEQUENCE_LIMIT as u64 - 1)) | (sequence & (SEQUENCE_LIMIT - 1)) as u64,
        )
    }
}

impl HeapKey for PackedKey {
    const FILLER: PackedKey = PackedKey(0);
}

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
/// Slots are numbered below `N`; they normally come from a [`SlotIndex`]
/// of the same capacity. Costs `size_of::<K>() + 4` bytes per entry (12
/// for a `u64` or [`PackedKey`]); see the module notes. Entries with equal
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

// ---------------------------------------------------------------------------
// The update queue
// ---------------------------------------------------------------------------

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
/// let queue = update_sched::queue::UpdateQueue::<65_536>::new();
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
        self.index.ids.get(slot.index()).copied()
    }

    /// Gives the queued entries the sequence numbers `0..len` in their
    /// current order, so that numbering can go on after the counter ran
    /// out. O(n log n), once every 2<sup>29</sup> pushes.
    fn renumber(&mut self) {
        self.heap
            .rekey_in_order(PackedOrderKey::sequence, PackedOrderKey::with_sequence);
        self.next_sequence = u32::from(self.heap.len);
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
        Some((*self.index.ids.get(slot.index())?, key.unpack()))
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

    impl<const N: usize> SlotIndex<N> {
        /// Checks every internal invariant: hash chains, the free list and
        /// the count, and that every id is found at its slot. Returns which
        /// slots are occupied.
        fn assert_consistent(&self) -> Vec<bool> {
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

    impl<K: HeapKey + fmt::Debug, const N: usize> SlotHeap<K, N> {
        /// Checks every internal invariant: heap order and the position of
        /// every queued slot. Returns which slots are queued.
        fn assert_consistent(&self) -> Vec<bool> {
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
            for position in 1..self.len() {
                assert!(self.heap.keys[(position - 1) / 2] < self.heap.keys[position]);
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

    // -- SlotIndex ---------------------------------------------------------

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

    // -- SlotHeap ----------------------------------------------------------

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
    fn test_capacity_1024_parts_fit_memory_budget() {
        // 8 bytes per entry for the index, 8 + 4 for a heap of u64 keys;
        // see the module notes.
        assert!(core::mem::size_of::<SlotIndex<1024>>() <= 8 * 1024 + 8);
        assert!(core::mem::size_of::<SlotHeap<u64, 1024>>() <= 12 * 1024 + 8);
        assert!(core::mem::size_of::<SlotHeap<PackedKey, 1024>>() <= 12 * 1024 + 8);
    }

    #[test]
    fn test_part_errors_display_reason() {
        assert_eq!(
            IndexError::Full.to_string(),
            "every slot of the index is taken"
        );
        assert_eq!(
            IndexError::Duplicate.to_string(),
            "the id is already in the index"
        );
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

    // -- PackedKey ---------------------------------------------------------

    #[test]
    fn test_packed_key_round_trips_extremes() {
        for rank in Rank::ALL {
            for deadline in [0, 1, 0x8000_0000, u32::MAX - 1, u32::MAX] {
                for sequence in [0, 1, PackedKey::SEQUENCE_LIMIT - 1] {
                    let key = PackedKey::new(rank, deadline, sequence);
                    assert_eq!(key.rank(), rank);
                    assert_eq!(key.deadline_secs(), deadline);
                    assert_eq!(key.sequence(), sequence);
                    assert_eq!(PackedKey::from_bits(key.to_bits()), key);
                    assert_eq!(key.with_sequence(5).sequence(), 5);
                    assert_eq!(key.with_sequence(5).deadline_secs(), deadline);
                }
            }
        }
        assert_eq!(core::mem::size_of::<PackedKey>(), 8);
    }

    #[test]
    fn test_packed_key_wide_sequence_wraps_or_is_refused() {
        let limit = PackedKey::SEQUENCE_LIMIT;
        assert_eq!(PackedKey::checked_new(Rank::Low, 9, limit), None);
        assert_eq!(
            PackedKey::checked_new(Rank::Low, 9, limit - 1),
            Some(PackedKey::new(Rank::Low, 9, limit - 1))
        );
        let wrapped = PackedKey::new(Rank::Low, 9, limit + 3);
        assert_eq!(wrapped, PackedKey::new(Rank::Low, 9, 3));
        assert_eq!(wrapped.deadline_secs(), 9);
    }

    #[test]
    fn test_packed_key_bits_are_rank_deadline_sequence() {
        let key = PackedKey::new(Rank::Important, 0x1234_5678, 0x0ABC_DEF0);
        assert_eq!(
            key.to_bits(),
            (3 << 61) | (0x1234_5678 << 29) | 0x0ABC_DEF0,
            "{key:?}"
        );
        assert_eq!(PackedKey::from_bits(7 << 61).rank(), Rank::Low);
    }

    #[test]
    fn test_rank_of_critical_then_forced_then_priorities() {
        for priority in Priority::ALL {
            let forced = Rank::of(priority, true);
            let unforced = Rank::from(priority);
            if priority == Priority::Critical {
                assert_eq!((forced, unforced), (Rank::Critical, Rank::Critical));
            } else {
                assert_eq!(forced, Rank::Forced);
                assert!(Rank::Critical < forced && forced < unforced);
            }
        }
        let by_priority: Vec<Rank> = Priority::ALL.iter().map(|&p| Rank::from(p)).collect();
        assert!(by_priority.windows(2).all(|pair| pair[0] < pair[1]));
        for (bits, rank) in (0u64..).zip(Rank::ALL) {
            assert_eq!(rank as u64, bits);
        }
    }

    // -- Random workloads for the parts -----------------------------------

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
        fn test_random_index_workload_matches_hashmap_model(
            operations in proptest::collection::vec(index_operation(), 0..300),
        ) {
            check_index_against_model(&operations);
        }

        #[test]
        fn test_random_heap_workload_matches_sorted_model(
            operations in proptest::collection::vec(heap_operation(), 0..300),
        ) {
            check_heap_against_model(&operations);
        }

        #[test]
        fn test_random_packed_keys_order_as_their_parts(
            a in (0usize..6, any::<u32>(), 0u32..SEQUENCE_LIMIT),
            b in (0usize..6, any::<u32>(), 0u32..SEQUENCE_LIMIT),
        ) {
            let pack = |(r, d, s): (usize, u32, u32)| PackedKey::new(Rank::ALL[r], d, s);
            prop_assert_eq!(pack(a).cmp(&pack(b)), a.cmp(&b));
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
