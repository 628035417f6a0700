//! The table of open connections: how many there are, which one has kept the service
//! waiting longest for nothing, and closing it to make room.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{Notify, oneshot};

use super::activity::{Activity, Phase};

/// The connections being served.
#[derive(Debug, Default)]
pub(super) struct OpenConnections {
    entries: Mutex<Entries>,
    /// Told when a connection closes or goes idle.
    changed: Arc<Notify>,
}

#[derive(Debug, Default)]
struct Entries {
    next_id: u64,
    by_id: HashMap<u64, Entry>,
}

#[derive(Debug)]
struct Entry {
    activity: Arc<Activity>,
    /// Taken when the connection is told to close.
    evict: Option<oneshot::Sender<()>>,
}

/// A connection's place in the table, given back when dropped: drop it after the
/// connection's socket, so that a connection counted out is closed too.
#[derive(Debug)]
pub(super) struct Admission {
    table: Arc<OpenConnections>,
    id: u64,
}

/// A connection told to close, to wait for with [`OpenConnections::closed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Evicted(u64);

impl OpenConnections {
    /// Counts a new connection in: its place, its activity, and what tells it to close.
    pub(super) fn admit(self: &Arc<Self>) -> (Admission, Arc<Activity>, oneshot::Receiver<()>) {
        let activity = Arc::new(Activity::new(self.changed.clone()));
        let (evict, evicted) = oneshot::channel();
        let mut entries = self.lock();
        let id = entries.next_id;
        entries.next_id += 1;
        entries.by_id.insert(
            id,
            Entry {
                activity: activity.clone(),
                evict: Some(evict),
            },
        );
        let admission = Admission {
            table: self.clone(),
            id,
        };
        (admission, activity, evicted)
    }

    pub(super) fn len(&self) -> usize {
        self.lock().by_id.len()
    }

    /// Tells the connection idle longest to close or, when none is idle, the one that
    /// has been receiving its request longest; `None` when every connection is making or
    /// handing over an answer (each ends within its deadline).
    pub(super) fn evict_longest_idle(&self) -> Option<Evicted> {
        let mut entries = self.lock();
        let (&id, _) = entries
            .by_id
            .iter()
            .filter(|(_, entry)| entry.evict.is_some())
            .filter_map(|(id, entry)| match entry.activity.phase() {
                Phase::Idle { since } => Some((id, (0, since))),
                Phase::Receiving { since } => Some((id, (1, since))),
                Phase::Handling | Phase::Answering { .. } => None,
            })
            .min_by_key(|&(_, rank)| rank)?;
        let entry = entries.by_id.get_mut(&id)?;
        // A connection that already ended is as good: its place is given back.
        let _ = entry.evict.take()?.send(());
        Some(Evicted(id))
    }

    /// Waits until the evicted connection has closed its socket.
    pub(super) async fn closed(&self, evicted: Evicted) {
        loop {
            let changed = self.changed.notified();
            if !self.lock().by_id.contains_key(&evicted.0) {
                return;
            }
            changed.await;
        }
    }

    /// Waits until a connection closes or goes idle (or returns at once if one did since
    /// the last wait).
    pub(super) async fn changed(&self) {
        self.changed.notified().await;
    }

    /// Waits until every connection has closed.
    pub(super) async fn all_closed(&self) {
        loop {
            let changed = self.changed.notified();
            if self.lock().by_id.is_empty() {
                return;
            }
            changed.await;
        }
    }

    fn lock(&self) -> MutexGuard<'_, Entries> {
        // The table stays whole if a panic interrupts a holder: entries are inserted and
        // removed in one step.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        self.table.lock().by_id.remove(&self.id);
        self.table.changed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::time::Duration;

    use axum::body::Body;

    use crate::service::activity::RequestBody;
    use crate::service::activity::testing::begin_request;

    #[tokio::test]
    async fn evicts_the_longest_idle_then_the_longest_receiving_never_the_busy() {
        let table = Arc::new(OpenConnections::default());
        let (_busy, busy, _) = table.admit();
        let (_receiving, receiving, mut receiving_evicted) = table.admit();
        tokio::time::sleep(Duration::from_millis(5)).await;
        let (_older, _, mut older_evicted) = table.admit();
        tokio::time::sleep(Duration::from_millis(5)).await;
        let (_newer, _, mut newer_evicted) = table.admit();
        let _request = RequestBody::new(Body::empty(), busy);
        begin_request(&receiving).await;
        assert_eq!(table.len(), 4);

        assert!(table.evict_longest_idle().is_some());
        assert_eq!(older_evicted.try_recv(), Ok(()));
        assert!(newer_evicted.try_recv().is_err());
        assert!(table.evict_longest_idle().is_some());
        assert_eq!(newer_evicted.try_recv(), Ok(()));
        assert!(table.evict_longest_idle().is_some());
        assert_eq!(receiving_evicted.try_recv(), Ok(()));
        // The busy connection is never told to close; each is told once.
        assert_eq!(table.evict_longest_idle(), None);
        assert_eq!(table.len(), 4);
    }

    #[tokio::test]
    async fn an_evicted_connection_is_closed_when_its_admission_is_dropped() {
        let table = Arc::new(OpenConnections::default());
        let (admission, _, evicted) = table.admit();
        let victim = table.evict_longest_idle().expect("an idle connection");
        let closing = tokio::spawn(async move {
            evicted.await.expect("told to close");
            drop(admission);
        });
        tokio::time::timeout(Duration::from_secs(5), table.closed(victim))
            .await
            .expect("closed");
        closing.await.unwrap();
        assert_eq!(table.len(), 0);
        tokio::time::timeout(Duration::from_secs(5), table.all_closed())
            .await
            .expect("all closed");
    }
}
