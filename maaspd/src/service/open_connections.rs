//! The table of open connections: how many there are, which one has kept the service
//! waiting longest for nothing, and closing it to make room.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{Notify, oneshot};
use tokio::time::Instant;

use super::activity::{Activity, EVICTION_GRACE, Phase};

/// The connections being served.
#[derive(Debug, Default)]
pub(super) struct OpenConnections {
    entries: Mutex<Entries>,
    /// Told when a connection closes, goes idle, or is first read from.
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

/// What [`OpenConnections::evict_longest_idle`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Eviction {
    /// Told this connection to close.
    Closing(Evicted),
    /// None could be closed now; a silent one can from then on.
    NotBefore(Instant),
    /// None could be closed: each is new, or making or handing over an answer (which
    /// ends within its deadline).
    Nothing,
}

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

    /// Tells the connection idle longest to close (a silent one counts once spared for
    /// [`EVICTION_GRACE`]) or, when none is idle, the one that has been receiving its
    /// request longest, once spared as long.
    pub(super) fn evict_longest_idle(&self) -> Eviction {
        let now = Instant::now();
        let mut spared_until: Option<Instant> = None;
        let mut spare = |since: Instant| {
            let until = since + EVICTION_GRACE;
            spared_until = Some(spared_until.map_or(until, |earliest| earliest.min(until)));
            None
        };
        let mut entries = self.lock();
        let longest = entries
            .by_id
            .iter()
            .filter(|(_, entry)| entry.evict.is_some())
            .filter_map(|(&id, entry)| match entry.activity.phase() {
                Phase::Idle { since } => Some((id, (0, since))),
                Phase::Silent { since } if since + EVICTION_GRACE <= now => Some((id, (0, since))),
                Phase::Receiving { since } if since + EVICTION_GRACE <= now => {
                    Some((id, (1, since)))
                }
                Phase::Silent { since } | Phase::Receiving { since } => spare(since),
                Phase::Opened { .. } | Phase::Handling | Phase::Answering { .. } => None,
            })
            .min_by_key(|&(_, rank)| rank);
        let Some((id, _)) = longest else {
            return spared_until.map_or(Eviction::Nothing, Eviction::NotBefore);
        };
        if let Some(evict) = entries
            .by_id
            .get_mut(&id)
            .and_then(|entry| entry.evict.take())
        {
            // A connection that already ended is as good: its place is being given back.
            let _ = evict.send(());
        }
        Eviction::Closing(Evicted(id))
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

    /// Waits until a connection closes, goes idle, or is first read from (or returns at
    /// once if one did since the last wait).
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

    use crate::service::activity::WatchedBody;
    use crate::service::activity::tests::{begin_request, find_nothing, flush, pair, send};

    /// A connection that has answered a request.
    async fn answered(table: &Arc<OpenConnections>) -> (Admission, oneshot::Receiver<()>) {
        let (admission, activity, evicted) = table.admit();
        let (client, mut stream) = pair(&activity);
        send(&client, &mut stream, b"GET").await;
        drop(WatchedBody::request(Body::empty(), activity.clone()));
        drop(WatchedBody::answer(Body::empty(), activity));
        flush(&mut stream).await;
        (admission, evicted)
    }

    #[tokio::test]
    async fn evicts_the_longest_idle_then_the_longest_receiving_never_the_busy_or_new() {
        let table = Arc::new(OpenConnections::default());
        let (_busy, busy, _) = table.admit();
        let (_receiving, receiving, mut receiving_evicted) = table.admit();
        let (_older, mut older_evicted) = answered(&table).await;
        tokio::time::sleep(Duration::from_millis(5)).await;
        let (_newer, mut newer_evicted) = answered(&table).await;
        let (_new, _, mut new_evicted) = table.admit();
        let (_silent, silent, mut silent_evicted) = table.admit();
        let _request = WatchedBody::request(Body::empty(), busy);
        begin_request(&receiving).await;
        find_nothing(&silent);
        assert_eq!(table.len(), 6);

        assert!(matches!(table.evict_longest_idle(), Eviction::Closing(_)));
        assert_eq!(older_evicted.try_recv(), Ok(()));
        assert!(newer_evicted.try_recv().is_err());
        assert!(matches!(table.evict_longest_idle(), Eviction::Closing(_)));
        assert_eq!(newer_evicted.try_recv(), Ok(()));
        // The busy connection and the new one are never told to close, the silent and
        // the receiving ones not before their grace; each is told once.
        let Eviction::NotBefore(until) = table.evict_longest_idle() else {
            panic!("the silent and receiving connections are spared");
        };
        assert!(until > Instant::now());
        assert!(silent_evicted.try_recv().is_err());
        assert!(receiving_evicted.try_recv().is_err());
        assert!(new_evicted.try_recv().is_err());
        // Past their grace, they are taken as stalled: the silent one first.
        tokio::time::sleep(EVICTION_GRACE).await;
        assert!(matches!(table.evict_longest_idle(), Eviction::Closing(_)));
        assert_eq!(silent_evicted.try_recv(), Ok(()));
        assert!(matches!(table.evict_longest_idle(), Eviction::Closing(_)));
        assert_eq!(receiving_evicted.try_recv(), Ok(()));
        assert_eq!(table.evict_longest_idle(), Eviction::Nothing);
        assert_eq!(table.len(), 6);
    }

    #[tokio::test]
    async fn a_silent_connection_is_evicted_after_its_grace() {
        let table = Arc::new(OpenConnections::default());
        let (_silent, silent, mut evicted) = table.admit();
        find_nothing(&silent);
        let Eviction::NotBefore(until) = table.evict_longest_idle() else {
            panic!("spared at first");
        };
        tokio::time::sleep_until(until).await;
        assert!(matches!(table.evict_longest_idle(), Eviction::Closing(_)));
        assert_eq!(evicted.try_recv(), Ok(()));
        assert_eq!(table.evict_longest_idle(), Eviction::Nothing);
    }

    #[tokio::test]
    async fn an_evicted_connection_is_closed_when_its_admission_is_dropped() {
        let table = Arc::new(OpenConnections::default());
        let (admission, evicted) = answered(&table).await;
        let Eviction::Closing(victim) = table.evict_longest_idle() else {
            panic!("an idle connection is evicted");
        };
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
