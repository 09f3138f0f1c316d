//! The circuit breaker: repeated worker failures turn SSR off for a while.

use std::collections::VecDeque;
use std::sync::Mutex;

use tokio::time::Instant;

use crate::config::BreakerConfig;

/// Counts failures in a sliding window; open for `open_for` once there are enough.
#[derive(Debug)]
pub(crate) struct Breaker {
    config: BreakerConfig,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    failures: VecDeque<Instant>,
    open_until: Option<Instant>,
}

impl Breaker {
    pub(crate) fn new(config: BreakerConfig) -> Self {
        Self {
            config,
            state: Mutex::default(),
        }
    }

    /// Whether SSR is off now. After `open_for` it closes with a clean slate.
    pub(crate) fn is_open(&self) -> bool {
        let Ok(mut state) = self.state.lock() else {
            return false;
        };
        match state.open_until {
            Some(until) if Instant::now() < until => true,
            Some(_) => {
                *state = State::default();
                false
            }
            None => false,
        }
    }

    /// Records a worker failure (timeout, crash, failed start); returns whether this one
    /// opened the breaker.
    pub(crate) fn failure(&self) -> bool {
        let Ok(mut state) = self.state.lock() else {
            return false;
        };
        let now = Instant::now();
        if state.open_until.is_some() {
            return false;
        }
        while state
            .failures
            .front()
            .is_some_and(|t| now.duration_since(*t) > self.config.window)
        {
            state.failures.pop_front();
        }
        state.failures.push_back(now);
        if state.failures.len() >= self.config.failures.max(1) {
            state.open_until = Some(now + self.config.open_for);
            state.failures.clear();
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn opens_after_enough_failures_in_the_window_and_closes_after_a_while() {
        let breaker = Breaker::new(BreakerConfig {
            failures: 3,
            window: Duration::from_secs(10),
            open_for: Duration::from_secs(30),
        });
        assert!(!breaker.failure());
        tokio::time::advance(Duration::from_secs(11)).await;
        // the first failure left the window
        assert!(!breaker.failure());
        assert!(!breaker.failure());
        assert!(!breaker.is_open());
        assert!(breaker.failure());
        assert!(breaker.is_open());
        tokio::time::advance(Duration::from_secs(31)).await;
        assert!(!breaker.is_open());
        assert!(!breaker.failure());
    }
}
