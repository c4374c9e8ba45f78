//! Retry after a failed installation: exponential backoff with a cap and an
//! attempt limit, in integer arithmetic.
//!
//! The delay before retry `k` (the first retry is `k = 1`) is
//! `base * (numerator / denominator)^(k - 1)`, capped at `cap`. Each step
//! multiplies and divides in `u64` milliseconds with saturation, so the
//! sequence is non-decreasing and never exceeds the cap. Optional jitter
//! removes up to `jitter_permille` of a delay, drawn from a caller-supplied
//! seed, so that a fleet which failed together does not retry together.

use core::fmt;

use crate::time::Duration;

/// How failed updates are retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Delay before the first retry.
    pub base: Duration,
    /// Growth per retry, as `numerator / denominator` (2/1 doubles).
    pub numerator: u16,
    /// See [`RetryPolicy::numerator`].
    pub denominator: u16,
    /// No delay is ever longer than this.
    pub cap: Duration,
    /// Attempts in all, the first included: after this many failures the
    /// update has failed for good.
    pub max_attempts: u8,
    /// Up to this share of each delay (per mille) is taken off at random;
    /// 0 disables jitter.
    pub jitter_permille: u16,
}

impl Default for RetryPolicy {
    /// 5 minutes, doubling, capped at 1 hour, 3 attempts, no jitter: long
    /// enough for a transient network fault to clear, short enough that a
    /// security fix is not held back by a single failure.
    fn default() -> RetryPolicy {
        RetryPolicy {
            base: Duration::from_minutes(5),
            numerator: 2,
            denominator: 1,
            cap: Duration::from_hours(1),
            max_attempts: 3,
            jitter_permille: 0,
        }
    }
}

/// What is wrong with a [`RetryPolicy`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RetryPolicyError {
    /// The base delay is zero: a failing update would retry in a busy loop.
    ZeroBase,
    /// The denominator is zero.
    ZeroDenominator,
    /// The multiplier is below 1, so delays would shrink.
    ShrinkingMultiplier,
    /// The cap is below the base delay.
    CapBelowBase,
    /// No attempt at all is allowed.
    NoAttempts,
    /// Jitter above 1000 per mille would make delays negative.
    JitterOutOfRange,
}

impl fmt::Display for RetryPolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RetryPolicyError::ZeroBase => "retry base delay must be above zero",
            RetryPolicyError::ZeroDenominator => "retry multiplier denominator must not be zero",
            RetryPolicyError::ShrinkingMultiplier => "retry multiplier must be at least 1",
            RetryPolicyError::CapBelowBase => "retry cap must be at least the base delay",
            RetryPolicyError::NoAttempts => "at least one attempt must be allowed",
            RetryPolicyError::JitterOutOfRange => "retry jitter must be 0..=1000 per mille",
        })
    }
}

impl core::error::Error for RetryPolicyError {}

impl RetryPolicy {
    /// Checks the policy, reporting the first problem found.
    pub fn validate(&self) -> Result<(), RetryPolicyError> {
        if self.base == Duration::ZERO {
            Err(RetryPolicyError::ZeroBase)
        } else if self.denominator == 0 {
            Err(RetryPolicyError::ZeroDenominator)
        } else if self.numerator < self.denominator {
            Err(RetryPolicyError::ShrinkingMultiplier)
        } else if self.cap < self.base {
            Err(RetryPolicyError::CapBelowBase)
        } else if self.max_attempts == 0 {
            Err(RetryPolicyError::NoAttempts)
        } else if self.jitter_permille > 1_000 {
            Err(RetryPolicyError::JitterOutOfRange)
        } else {
            Ok(())
        }
    }

    /// Whether an update that has failed `failures` times may try again.
    pub fn may_retry(&self, failures: u8) -> bool {
        failures < self.max_attempts
    }

    /// Delay before retry number `retry` (1 = the first retry), without
    /// jitter. `retry` 0 is treated as 1.
    pub fn delay(&self, retry: u8) -> Duration {
        let cap = self.cap.as_millis();
        let mut millis = self.base.as_millis().min(cap);
        let denominator = u64::from(self.denominator.max(1));
        for _ in 1..retry {
            if millis >= cap {
                break;
            }
            millis = (millis.saturating_mul(u64::from(self.numerator)) / denominator).min(cap);
        }
        Duration::from_millis(millis)
    }

    /// [`RetryPolicy::delay`] less a pseudo-random share of at most
    /// `jitter_permille`, drawn from `seed` (mix in the update id and the
    /// attempt so that updates spread out).
    pub fn delay_with_jitter(&self, retry: u8, seed: u64) -> Duration {
        let delay = self.delay(retry);
        if self.jitter_permille == 0 {
            return delay;
        }
        let most = delay.as_millis() / 1_000 * u64::from(self.jitter_permille.min(1_000));
        let taken = if most == 0 {
            0
        } else {
            split_mix(seed) % (most + 1)
        };
        delay.saturating_sub(Duration::from_millis(taken))
    }
}

/// SplitMix64: a small, well-mixed step for turning a seed into a
/// pseudo-random value, from Steele, Lea and Flood's "Fast splittable
/// pseudorandom number generators" (2014).
pub(crate) fn split_mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn test_default_policy_delays_double_then_cap() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.validate(), Ok(()));
        assert_eq!(policy.delay(1), Duration::from_minutes(5));
        assert_eq!(policy.delay(2), Duration::from_minutes(10));
        assert_eq!(policy.delay(3), Duration::from_minutes(20));
        assert_eq!(policy.delay(5), Duration::from_minutes(60));
        assert_eq!(policy.delay(200), Duration::from_minutes(60));
        assert!(policy.may_retry(2));
        assert!(!policy.may_retry(3));
    }

    #[test]
    fn test_fractional_multiplier_uses_integer_steps() {
        let policy = RetryPolicy {
            numerator: 3,
            denominator: 2,
            base: Duration::from_secs(10),
            ..RetryPolicy::default()
        };
        assert_eq!(policy.delay(2), Duration::from_secs(15));
        assert_eq!(policy.delay(3), Duration::from_millis(22_500));
    }

    #[test]
    fn test_invalid_policies_are_reported() {
        let good = RetryPolicy::default();
        let cases = [
            (
                RetryPolicy {
                    base: Duration::ZERO,
                    ..good
                },
                RetryPolicyError::ZeroBase,
            ),
            (
                RetryPolicy {
                    denominator: 0,
                    ..good
                },
                RetryPolicyError::ZeroDenominator,
            ),
            (
                RetryPolicy {
                    numerator: 1,
                    denominator: 2,
                    ..good
                },
                RetryPolicyError::ShrinkingMultiplier,
            ),
            (
                RetryPolicy {
                    cap: Duration::from_secs(1),
                    ..good
                },
                RetryPolicyError::CapBelowBase,
            ),
            (
                RetryPolicy {
                    max_attempts: 0,
                    ..good
                },
                RetryPolicyError::NoAttempts,
            ),
            (
                RetryPolicy {
                    jitter_permille: 1_001,
                    ..good
                },
                RetryPolicyError::JitterOutOfRange,
            ),
        ];
        for (policy, error) in cases {
            assert_eq!(policy.validate(), Err(error));
        }
    }

    #[test]
    fn test_jitter_stays_within_share() {
        let policy = RetryPolicy {
            jitter_permille: 200,
            ..RetryPolicy::default()
        };
        let mut seen_different = false;
        for seed in 0..500 {
            let delay = policy.delay_with_jitter(1, seed);
            assert!(delay <= Duration::from_minutes(5));
            assert!(delay >= Duration::from_minutes(4));
            seen_different |= delay != Duration::from_minutes(5);
        }
        assert!(seen_different);
        assert_eq!(
            policy.delay_with_jitter(1, 7),
            policy.delay_with_jitter(1, 7)
        );
    }

    proptest! {
        #[test]
        fn prop_delays_non_decreasing_and_capped(
            base in 1u64..10_000_000,
            numerator in 1u16..10,
            denominator in 1u16..10,
            cap_extra in 0u64..100_000_000,
        ) {
            prop_assume!(numerator >= denominator);
            let policy = RetryPolicy {
                base: Duration::from_millis(base),
                numerator,
                denominator,
                cap: Duration::from_millis(base + cap_extra),
                max_attempts: 10,
                jitter_permille: 0,
            };
            prop_assert_eq!(policy.validate(), Ok(()));
            let mut previous = Duration::ZERO;
            for retry in 1..=40 {
                let delay = policy.delay(retry);
                prop_assert!(delay >= previous);
                prop_assert!(delay <= policy.cap);
                previous = delay;
            }
        }
    }
}
