//! What drives a controller: the store's watch of one resource (the
//! collection as it is, then every change; a closed watch is re-listed, as
//! a client-go informer re-lists), and a queue of timers keyed by object.

use crate::api::ApiState;
use crate::store::{EventType, GroupResource, Subscription, WatchStart};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tokio::time::Instant;

/// One change an informer reports.
#[derive(Debug, Clone)]
pub struct Change {
    /// ADDED (also for the initial list), MODIFIED or DELETED.
    pub event: EventType,
    /// `namespace/name` (or `name`).
    pub key: String,
    /// The object (for DELETED, its last state).
    pub object: Arc<Value>,
}

/// A watch of one resource, from the whole collection on.
pub struct Informer {
    state: Arc<ApiState>,
    gr: GroupResource,
    pending: std::collections::VecDeque<Change>,
    sub: Option<Subscription>,
}

/// `namespace/name`, or `name` for a cluster-scoped object.
pub fn key_of(obj: &Value) -> String {
    let ns = obj
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("");
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    if ns.is_empty() {
        name.to_string()
    } else {
        format!("{ns}/{name}")
    }
}

impl Informer {
    /// An informer of `group`/`resource`.
    pub fn new(state: Arc<ApiState>, group: &str, resource: &str) -> Informer {
        Informer {
            state,
            gr: GroupResource::new(group, resource),
            pending: Default::default(),
            sub: None,
        }
    }

    fn subscribe(&mut self) {
        match self.state.store.subscribe(&self.gr, WatchStart::Snapshot) {
            Ok(mut sub) => {
                if let Some(snap) = sub.initial.take() {
                    for (_, obj) in snap.objects.iter() {
                        let object = Arc::new(obj.to_value());
                        self.pending.push_back(Change {
                            event: EventType::Added,
                            key: key_of(&object),
                            object,
                        });
                    }
                }
                self.sub = Some(sub);
            }
            Err(e) => tracing::warn!("controller watch of {:?}: {e}", self.gr),
        }
    }

    /// The next change; waits for one. A watch closed for falling behind is
    /// taken again from a fresh list (objects come again as ADDED).
    pub async fn next(&mut self) -> Change {
        loop {
            if let Some(c) = self.pending.pop_front() {
                return c;
            }
            if self.sub.is_none() {
                self.subscribe();
                continue;
            }
            let sub = self.sub.as_mut().expect("subscribed");
            match sub.events.recv().await {
                Some(ev) => {
                    let object = Arc::new(ev.object.to_value());
                    return Change {
                        event: ev.event,
                        key: key_of(&object),
                        object,
                    };
                }
                None => self.sub = None,
            }
        }
    }
}

/// Work due at an instant, at most one entry per key (a later schedule of
/// the same key replaces an earlier one only when it is due sooner).
pub struct Timers<T> {
    queue: BTreeMap<(Instant, u64), (String, T)>,
    by_key: HashMap<String, (Instant, u64)>,
    seq: u64,
}

impl<T> Default for Timers<T> {
    fn default() -> Self {
        Timers {
            queue: BTreeMap::new(),
            by_key: HashMap::new(),
            seq: 0,
        }
    }
}

impl<T> Timers<T> {
    /// Schedules `work` for `key` after `delay`; keeps an earlier one.
    pub fn schedule(&mut self, key: &str, delay: std::time::Duration, work: T) {
        let due = Instant::now() + delay;
        if let Some(old) = self.by_key.get(key) {
            if old.0 <= due {
                return;
            }
            self.queue.remove(old);
        }
        self.seq += 1;
        let id = (due, self.seq);
        self.queue.insert(id, (key.to_string(), work));
        self.by_key.insert(key.to_string(), id);
    }

    /// Whether `key` has work scheduled.
    pub fn contains(&self, key: &str) -> bool {
        self.by_key.contains_key(key)
    }

    /// Drops `key`'s work.
    pub fn cancel(&mut self, key: &str) {
        if let Some(id) = self.by_key.remove(key) {
            self.queue.remove(&id);
        }
    }

    /// Waits for the first due entry and takes it (never returns when empty).
    pub async fn next(&mut self) -> (String, T) {
        let Some((&(due, _), _)) = self.queue.iter().next() else {
            return std::future::pending().await;
        };
        tokio::time::sleep_until(due).await;
        let ((_, _), (key, work)) = self.queue.pop_first().expect("an entry");
        self.by_key.remove(&key);
        (key, work)
    }

    /// Entries scheduled.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether none is scheduled.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}
