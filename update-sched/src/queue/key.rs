//! [`PackedKey`], the ready queue's key, and [`Rank`], the first thing it
//! orders by.

use super::{HeapKey, SEQUENCE_BITS, SEQUENCE_LIMIT};
use crate::update::Priority;

/// Where a [`PackedKey`]'s 3 rank bits start: above the 32 deadline bits
/// and the sequence bits.
const RANK_SHIFT: u32 = 32 + SEQUENCE_BITS;

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
    /// [`SlotHeap::rekey_in_order`](super::SlotHeap::rekey_in_order) renumbers a full counter's keys.
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

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::prelude::*;

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

    proptest! {
        #[test]
        fn test_random_packed_keys_order_as_their_parts(
            a in (0usize..6, any::<u32>(), 0u32..SEQUENCE_LIMIT),
            b in (0usize..6, any::<u32>(), 0u32..SEQUENCE_LIMIT),
        ) {
            let pack = |(r, d, s): (usize, u32, u32)| PackedKey::new(Rank::ALL[r], d, s);
            prop_assert_eq!(pack(a).cmp(&pack(b)), a.cmp(&b));
        }
    }
}
