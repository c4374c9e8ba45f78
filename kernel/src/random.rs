//! A small seeded pseudo-random generator for the kernel's simulations
//! (failure injection, demo choices).
//!
//! SplitMix64: one 64-bit state, one addition and a few multiply-xorshift
//! rounds per number. Not for cryptography; chosen because it is tiny,
//! fast without floating point, and every seed (zero included) is good.

/// A seeded generator; the same seed gives the same numbers.
#[derive(Clone, Copy, Debug)]
pub struct Random {
    state: u64,
}

impl Random {
    /// A generator started from `seed`.
    pub const fn new(seed: u64) -> Random {
        Random { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        // The golden-ratio increment and the two multipliers are the
        // published SplitMix64 constants.
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (`0` when `bound` is zero). The modulo bias
    /// is below 2^-40 for the small bounds the kernel uses.
    pub fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 {
            return 0;
        }
        self.next_u64() % bound
    }
}

#[cfg(test)]
mod tests {
    use super::Random;

    #[test]
    fn test_seed_zero_gives_the_published_splitmix64_sequence() {
        let mut random = Random::new(0);
        assert_eq!(random.next_u64(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(random.next_u64(), 0x6e78_9e6a_a1b9_65f4);
        assert_eq!(random.next_u64(), 0x06c4_5d18_8009_454f);
    }

    #[test]
    fn test_the_same_seed_gives_the_same_numbers() {
        let (mut one, mut two) = (Random::new(42), Random::new(42));
        for _ in 0..100 {
            assert_eq!(one.next_u64(), two.next_u64());
        }
        assert_ne!(Random::new(1).next_u64(), Random::new(2).next_u64());
    }

    #[test]
    fn test_below_stays_below_its_bound_and_zero_gives_zero() {
        let mut random = Random::new(7);
        let mut seen = [false; 6];
        for _ in 0..1_000 {
            let value = random.below(6);
            assert!(value < 6);
            seen[value as usize] = true;
        }
        assert!(seen.iter().all(|&seen| seen));
        assert_eq!(random.below(0), 0);
        assert_eq!(random.below(1), 0);
    }
}
