//! Login throttling, in memory: failures are counted per account and per client address.
//! After a few failures each attempt is slowed; after more, attempts are refused (429) for a
//! cool-down. Kept in memory on purpose: a restart forgets, which costs an attacker a restart
//! of a server they do not control, and saves a database write per failed login.
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures within this window count together.
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// From this many failures on, each attempt waits a little longer.
const SLOW_AFTER: u32 = 3;
const STEP_DELAY: Duration = Duration::from_millis(400);
const MAX_DELAY: Duration = Duration::from_secs(2);
/// At this many failures the key is locked for the cool-down.
const LOCK_AT: u32 = 8;
pub const COOL_DOWN: Duration = Duration::from_secs(15 * 60);
/// Bound on tracked keys, so a flood of usernames cannot grow memory without limit.
const MAX_KEYS: usize = 100_000;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    /// Go ahead after waiting this long (zero when there were few failures).
    Proceed(Duration),
    /// Refused until the cool-down ends.
    Locked(Duration),
}

struct Entry {
    failures: u32,
    first: Instant,
    locked_until: Option<Instant>,
}

#[derive(Default)]
pub struct LoginThrottle {
    entries: Mutex<HashMap<String, Entry>>,
}

impl LoginThrottle {
    /// The verdict for an attempt touching all `keys` (e.g. `user:alice`, `ip:10.1.2.3`).
    pub fn check(&self, keys: &[String]) -> Verdict {
        let now = Instant::now();
        let map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let mut delay = Duration::ZERO;
        for key in keys {
            let Some(e) = map.get(key) else { continue };
            if let Some(until) = e.locked_until.filter(|u| *u > now) {
                return Verdict::Locked(until - now);
            }
            if now.duration_since(e.first) < WINDOW && e.failures >= SLOW_AFTER {
                delay = delay.max((STEP_DELAY * (e.failures - SLOW_AFTER + 1)).min(MAX_DELAY));
            }
        }
        Verdict::Proceed(delay)
    }

    pub fn record_failure(&self, keys: &[String]) {
        let now = Instant::now();
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_KEYS {
            map.retain(|_, e| {
                now.duration_since(e.first) < WINDOW || e.locked_until.is_some_and(|u| u > now)
            });
        }
        for key in keys {
            let e = map.entry(key.clone()).or_insert(Entry {
                failures: 0,
                first: now,
                locked_until: None,
            });
            if now.duration_since(e.first) >= WINDOW && e.locked_until.is_none_or(|u| u <= now) {
                *e = Entry {
                    failures: 0,
                    first: now,
                    locked_until: None,
                };
            }
            e.failures += 1;
            if e.failures >= LOCK_AT {
                e.locked_until = Some(now + COOL_DOWN);
            }
        }
    }

    /// A successful login clears the account's record (not the address's: one success must not
    /// reset a guessing run across many accounts from one address).
    pub fn record_success(&self, account_key: &str) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(account_key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slows_then_locks() {
        let t = LoginThrottle::default();
        let keys = vec!["user:a".to_string()];
        assert_eq!(t.check(&keys), Verdict::Proceed(Duration::ZERO));
        for _ in 0..SLOW_AFTER {
            t.record_failure(&keys);
        }
        assert!(matches!(t.check(&keys), Verdict::Proceed(d) if d > Duration::ZERO));
        for _ in SLOW_AFTER..LOCK_AT {
            t.record_failure(&keys);
        }
        assert!(matches!(t.check(&keys), Verdict::Locked(_)));
        // Another key is unaffected.
        assert_eq!(
            t.check(&["user:b".to_string()]),
            Verdict::Proceed(Duration::ZERO)
        );
    }
}
