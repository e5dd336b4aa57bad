//! Exponential backoff, the one schedule every retry in this crate follows: delay-queue TTLs, redelivery
//! expirations, HTTP retries and reconnections.

use std::time::Duration;

/// The n-th delay (1-based): `base × 2^(n-1)`, at most `max`.
pub(crate) fn step(base: Duration, max: Duration, n: u32) -> Duration {
    base.saturating_mul(2u32.saturating_pow(n.saturating_sub(1)))
        .min(max)
}

/// The n-th delay with equal jitter: between half of [`step`] and all of it, so retries spread out but never
/// exceed the step (a delay queue's TTL relies on that).
pub(crate) fn jittered(base: Duration, max: Duration, n: u32) -> Duration {
    let full = step(base, max, n);
    let half = full / 2;
    let span = u64::try_from(half.as_millis()).unwrap_or(u64::MAX - 1) + 1;
    (half + Duration::from_millis(random_below(span))).min(full)
}

fn random_below(bound: u64) -> u64 {
    let mut buf = [0u8; 8];
    // The OS random source failing leaves zeros: no jitter, still a valid delay.
    let _ = getrandom::fill(&mut buf);
    u64::from_le_bytes(buf) % bound.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_double_up_to_the_ceiling_and_jitter_stays_inside_them() {
        let (base, max) = (Duration::from_millis(100), Duration::from_secs(1));
        let delays: Vec<u128> = (1..=6).map(|n| step(base, max, n).as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(step(base, max, 200), max, "no overflow");
        for n in 1..=6 {
            for _ in 0..50 {
                let j = jittered(base, max, n);
                assert!(
                    j >= step(base, max, n) / 2 && j <= step(base, max, n),
                    "{n}: {j:?}"
                );
            }
        }
    }
}
