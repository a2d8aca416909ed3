//! When a source is polled next after a failure: exponential backoff from its interval, with
//! jitter so that sources failing together do not retry together, at least as long as the
//! upstream's `Retry-After` asks. Pure, so the schedule is tested without a clock.
use std::time::Duration;

/// The longest wait between two tries of a failing source.
pub const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// The longest `Retry-After` honoured; a larger one is taken as this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(6 * 3600);

/// The wait before the next poll after `failures` failed polls in a row (1 for the first).
/// `jitter` is a number from -1 to 1 (random in use); it moves the wait by up to 20 %.
pub fn delay_after_failure(
    interval: Duration,
    failures: u32,
    retry_after: Option<Duration>,
    jitter: f64,
) -> Duration {
    let doubled = interval.saturating_mul(1u32 << failures.saturating_sub(1).min(16));
    let base = doubled.min(MAX_BACKOFF.max(interval));
    let jittered = base.mul_f64(1.0 + 0.2 * jitter.clamp(-1.0, 1.0));
    match retry_after {
        Some(asked) => jittered.max(asked.min(MAX_RETRY_AFTER)),
        None => jittered,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_interval_up_to_an_hour() {
        let i = Duration::from_secs(60);
        let waits: Vec<u64> = (1..=8)
            .map(|n| delay_after_failure(i, n, None, 0.0).as_secs())
            .collect();
        assert_eq!(waits, vec![60, 120, 240, 480, 960, 1920, 3600, 3600]);
        // A daily source is not polled more often than daily because it fails.
        let daily = Duration::from_secs(86_400);
        assert_eq!(delay_after_failure(daily, 3, None, 0.0), daily);
    }

    #[test]
    fn jitter_stays_within_a_fifth_and_retry_after_is_honoured() {
        let i = Duration::from_secs(100);
        assert_eq!(delay_after_failure(i, 1, None, 1.0).as_secs(), 120);
        assert_eq!(delay_after_failure(i, 1, None, -1.0).as_secs(), 80);
        assert_eq!(delay_after_failure(i, 1, None, 7.0).as_secs(), 120);
        let asked = Duration::from_secs(900);
        assert_eq!(delay_after_failure(i, 1, Some(asked), 0.0), asked);
        let huge = Duration::from_secs(10 * 86_400);
        assert_eq!(delay_after_failure(i, 1, Some(huge), 0.0), MAX_RETRY_AFTER);
    }
}
