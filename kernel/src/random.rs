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
