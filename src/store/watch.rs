//! Fan-out of store events to watchers.
//!
//! Each watcher has a bounded queue. A writer never waits for a reader: when
//! a watcher's queue is full it is closed (its stream ends, as the real
//! server closes a watcher that falls behind, and the client re-watches from
//! its last revision). Events are never dropped silently.

use super::StoredObject;
use super::{GroupResource, Inner, ObjectKey, Snapshot, Store, StoreError};
use std::sync::Arc;
use tokio::sync::mpsc;

/// ADDED, MODIFIED or DELETED.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// A new object.
    Added,
    /// A changed object.
    Modified,
    /// A removed object (the event carries its last state).
    Deleted,
}

impl EventType {
    /// The watch event `type` string.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One write, as watchers see it.
#[derive(Debug, Clone)]
pub struct StoreEvent {
    /// What happened.
    pub event: EventType,
    /// The revision of the write.
    pub rv: u64,
    /// Where the object lives (its namespace, for watch filters).
    pub key: ObjectKey,
    /// The object after the write (for a delete: its last state).
    pub object: Arc<StoredObject>,
    /// The object before the write, if there was one.
    pub previous: Option<Arc<StoredObject>>,
    /// The event's line (`{"type":...,"object":...}\n`), encoded by the
    /// first watcher that needs it and shared by every other (keyed by the
    /// apiVersion it was presented at). Fan-out then encodes an event once,
    /// not once per watcher.
    pub encoded: Arc<std::sync::OnceLock<(String, bytes::Bytes)>>,
}

/// Where a watch starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchStart {
    /// Only changes from now on.
    Now,
    /// Replay every change after revision N, then live changes.
    After(u64),
    /// The whole collection as it is now, then live changes.
    Snapshot,
}

/// A subscription to one resource's changes.
#[derive(Debug)]
pub struct Subscription {
    /// The collection at subscription time (for `WatchStart::Snapshot`).
    pub initial: Option<Snapshot>,
    /// Changes already in history (for `WatchStart::After`).
    pub replay: Vec<StoreEvent>,
    /// Live changes, all with a revision above `start_rv` (shared: one
    /// allocation per write, whatever the number of watchers).
    pub events: mpsc::Receiver<Arc<StoreEvent>>,
    /// The global revision at subscription time.
    pub start_rv: u64,
}

/// The watchers of every resource.
pub(super) type Watchers =
    std::collections::HashMap<GroupResource, Vec<mpsc::Sender<Arc<StoreEvent>>>>;

/// Sends an event to the resource's watchers, dropping those that went
/// away or whose queue is full (their stream ends).
pub(super) fn fan_out(
    watchers: &mut Watchers,
    gr: &GroupResource,
    ev: StoreEvent,
) -> Arc<StoreEvent> {
    let ev = Arc::new(ev);
    if let Some(list) = watchers.get_mut(gr) {
        list.retain(|tx| tx.try_send(Arc::clone(&ev)).is_ok());
    }
    ev
}

impl Store {
    /// Subscribes to a resource's changes. The snapshot or replay and the
    /// subscription are taken under one lock, so no event is missed or seen
    /// twice.
    pub fn subscribe(
        &self,
        gr: &GroupResource,
        start: WatchStart,
    ) -> Result<Subscription, StoreError> {
        let mut inner: std::sync::MutexGuard<'_, Inner> = self.lock();
        let current = inner.rv;
        let collection = inner.collections.get(gr);
        let (initial, replay) = match start {
            WatchStart::Now => (None, Vec::new()),
            WatchStart::Snapshot => (
                Some(Snapshot {
                    rv: current,
                    objects: collection.map(|c| c.objects.clone()).unwrap_or_default(),
                }),
                Vec::new(),
            ),
            WatchStart::After(rv) if rv < inner.history_floor => {
                return Err(StoreError::Expired {
                    requested: rv,
                    oldest: inner.history_floor,
                })
            }
            WatchStart::After(rv) => match collection {
                Some(c) if rv < current => (None, c.events_after(rv)?),
                _ => (None, Vec::new()),
            },
        };
        let (tx, rx) = mpsc::channel(self.config.watcher_queue.max(1));
        inner.watchers.entry(gr.clone()).or_default().push(tx);
        Ok(Subscription {
            initial,
            replay,
            events: rx,
            start_rv: current,
        })
    }

    /// How many watchers are subscribed (closed ones are pruned on the next write).
    pub fn watcher_count(&self) -> usize {
        self.lock()
            .watchers
            .values()
            .flatten()
            .filter(|tx| !tx.is_closed())
            .count()
    }
}
