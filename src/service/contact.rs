//! Whether the database answered the last change poll, and when it last did: what `/ready`
//! reports, with no database call of its own, so a health check answers at once during an outage.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The database as the change poll last found it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Contact {
    /// The last poll reached the database.
    pub reachable: bool,
    /// Since the last poll (or the start) that reached it.
    pub since_last_answer: Duration,
}

/// Shared between the change poll (which writes it) and readers.
pub struct ContactLog {
    state: Mutex<(bool, Instant)>,
}

impl ContactLog {
    /// Starts as reachable now: a service opens only after loading from the database.
    pub fn new() -> ContactLog {
        ContactLog { state: Mutex::new((true, Instant::now())) }
    }

    pub fn answered(&self) {
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = (true, Instant::now());
    }

    pub fn failed(&self) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).0 = false;
    }

    pub fn now(&self) -> Contact {
        let (reachable, at) = *self.state.lock().unwrap_or_else(|e| e.into_inner());
        Contact { reachable, since_last_answer: at.elapsed() }
    }
}

impl Default for ContactLog {
    fn default() -> Self {
        ContactLog::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_keeps_the_time_of_the_last_answer() {
        let log = ContactLog::new();
        assert!(log.now().reachable);
        std::thread::sleep(Duration::from_millis(20));
        log.failed();
        let down = log.now();
        assert!(!down.reachable && down.since_last_answer >= Duration::from_millis(20));
        log.answered();
        let up = log.now();
        assert!(up.reachable && up.since_last_answer < down.since_last_answer);
    }
}
