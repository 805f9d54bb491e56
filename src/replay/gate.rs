//! When a scenario may start: at most `concurrency` at once, and never two that
//! name the same `exclusive` data (on a real store they would change each
//! other's values). A scenario takes its exclusive lock before a concurrency
//! permit, so a lock holder never waits for one held by a scenario that waits
//! for its lock.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{Mutex, OwnedMutexGuard, OwnedSemaphorePermit, Semaphore};

use crate::scenario::Scenario;

pub(crate) struct Gate {
    permits: Arc<Semaphore>,
    locks: HashMap<String, Arc<Mutex<()>>>,
}

/// Held while a scenario runs.
pub(crate) struct Entered {
    _lock: Option<OwnedMutexGuard<()>>,
    _permit: Option<OwnedSemaphorePermit>,
}

impl Gate {
    pub(crate) fn new(concurrency: usize, scenarios: &[Scenario]) -> Gate {
        let locks = scenarios
            .iter()
            .filter_map(|s| s.exclusive.clone())
            .map(|name| (name, Arc::new(Mutex::new(()))))
            .collect();
        Gate {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            locks,
        }
    }

    pub(crate) async fn enter(&self, scenario: &Scenario) -> Entered {
        let lock = match scenario.exclusive.as_ref().and_then(|n| self.locks.get(n)) {
            Some(m) => Some(m.clone().lock_owned().await),
            None => None,
        };
        // The semaphore is never closed, so acquiring only fails if it were.
        let permit = self.permits.clone().acquire_owned().await.ok();
        Entered {
            _lock: lock,
            _permit: permit,
        }
    }
}
