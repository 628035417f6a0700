//! One BMC's session limit: BMCs accept few sessions (IPMI BMCs typically four; IBM's
//! HMC answers 409 "busy"), so `serve` runs at most N actions at once for the machines
//! behind one BMC, in the order their requests came (tokio's semaphore is fair), while
//! other BMCs' machines run alongside. A BMC is known by the value of the driver's
//! BMC key setting ([`PowerDriver::BMC_KEY`](crate::PowerDriver::BMC_KEY)).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The turns of every BMC in use. A BMC's entry lives as long as a request holds or
/// waits for one of its turns; the table drops the others as it grows.
#[derive(Debug)]
pub(super) struct BmcTurns {
    per_bmc: usize,
    bmcs: Mutex<Table>,
}

#[derive(Debug, Default)]
struct Table {
    turns: HashMap<String, Weak<Semaphore>>,
    /// The size at which dead entries are swept next.
    sweep_at: usize,
}

/// A turn at one BMC, held for as long as the action may talk to it: by the request,
/// and by a blocking call still running after its request ended.
pub(crate) type Turn = OwnedSemaphorePermit;

impl BmcTurns {
    pub(super) fn new(per_bmc: usize) -> BmcTurns {
        BmcTurns {
            per_bmc: per_bmc.max(1),
            bmcs: Mutex::default(),
        }
    }

    /// How many actions run at once against one BMC.
    pub(super) fn per_bmc(&self) -> usize {
        self.per_bmc
    }

    /// Waits for a turn at the BMC known as `bmc`.
    pub(super) async fn turn(&self, bmc: &str) -> Turn {
        let semaphore = self.semaphore(bmc);
        semaphore
            .acquire_owned()
            .await
            .expect("a BMC's semaphore is never closed")
    }

    /// The BMC's semaphore, made on its first use.
    fn semaphore(&self, bmc: &str) -> Arc<Semaphore> {
        let mut table = self.bmcs.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(semaphore) = table.turns.get(bmc).and_then(Weak::upgrade) {
            return semaphore;
        }
        let semaphore = Arc::new(Semaphore::new(self.per_bmc));
        table
            .turns
            .insert(bmc.to_owned(), Arc::downgrade(&semaphore));
        if table.turns.len() >= table.sweep_at {
            table.turns.retain(|_, turns| turns.strong_count() > 0);
            table.sweep_at = (table.turns.len() * 2).max(64);
        }
        semaphore
    }
}

#[cfg(test)]
mod tests {
    use std::sync::PoisonError;
    use std::time::Duration;

    use super::BmcTurns;

    /// How many BMCs the table holds, in use or not yet swept.
    fn entries(turns: &BmcTurns) -> usize {
        let table = turns.bmcs.lock().unwrap_or_else(PoisonError::into_inner);
        table.turns.len()
    }

    #[test]
    fn one_bmc_gives_its_turns_in_order_and_others_are_not_held_up() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            let turns = BmcTurns::new(2);
            let first = turns.turn("10.0.0.1").await;
            let _second = turns.turn("10.0.0.1").await;
            // A third waits, another BMC does not.
            let third = tokio::time::timeout(Duration::from_millis(50), turns.turn("10.0.0.1"));
            assert!(third.await.is_err());
            let _other = turns.turn("10.0.0.2").await;
            drop(first);
            let third = tokio::time::timeout(Duration::from_millis(50), turns.turn("10.0.0.1"));
            assert!(third.await.is_ok());
        });
    }

    #[test]
    fn bmcs_no_longer_in_use_are_swept() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            let turns = BmcTurns::new(1);
            for bmc in 0..1000 {
                drop(
                    turns
                        .turn(&format!("10.0.{}.{}", bmc / 256, bmc % 256))
                        .await,
                );
            }
            assert!(entries(&turns) <= 64, "{} entries", entries(&turns));
        });
    }
}
