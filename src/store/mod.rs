//! The store: every object kubemock serves, with etcd's revision semantics.
//!
//! - Objects are kept encoded ([`StoredObject`]): compact JSON, parsed
//!   back only where fields are needed.
//! - One global revision counter; every write takes the next number and it
//!   becomes the object's `metadata.resourceVersion`.
//! - Each resource's collection is a persistent ordered map (`imbl::OrdMap`)
//!   keyed by (namespace, name) as etcd keys sort, so "the collection at
//!   revision R" is an O(1) clone: pagination, exact-revision lists and
//!   watch-list snapshots all read one.
//! - A bounded history per resource (event + snapshot after it) serves
//!   watches from a revision and exact lists; older revisions are compacted
//!   and answer 410 Expired.
//! - Watchers subscribe under the same lock that writers take, so nothing
//!   falls between a snapshot and the live events after it.
//!
//! What it does not do: Kubernetes semantics (defaults, validation,
//! preconditions, selectors). Those are `api`'s; the store only orders,
//! keeps and fans out JSON objects.

mod collection;
mod object;
mod owners;
mod watch;

pub use collection::{ObjectKey, Objects};
pub use object::StoredObject;
pub use watch::{EventType, StoreEvent, Subscription, WatchStart};

use collection::Collection;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// A group and a plural resource: the unit of storage (all versions of a
/// resource share one collection, as they share one etcd prefix).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupResource {
    /// API group, `""` for core.
    pub group: String,
    /// Plural resource name.
    pub resource: String,
}

impl GroupResource {
    /// Builds one.
    pub fn new(group: &str, resource: &str) -> GroupResource {
        GroupResource {
            group: group.to_string(),
            resource: resource.to_string(),
        }
    }
}

/// Which state of a collection to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadAt {
    /// The newest state.
    Latest,
    /// The state right after revision N (`resourceVersionMatch=Exact`, continue tokens).
    Exact(u64),
}

/// Why a read at a revision failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The revision has been compacted out of the history.
    #[error("too old resource version: {requested} ({oldest})")]
    Expired {
        /// The revision asked for.
        requested: u64,
        /// The oldest revision still readable.
        oldest: u64,
    },
    /// The revision has not happened yet.
    #[error("Too large resource version: {requested}, current: {current}")]
    TooLarge {
        /// The revision asked for.
        requested: u64,
        /// The newest revision.
        current: u64,
    },
}

/// A consistent view of one collection.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The global revision the view was taken at.
    pub rv: u64,
    /// The objects, in key order.
    pub objects: Objects,
}

/// What a mutation closure decides.
#[derive(Debug)]
pub enum Mutation {
    /// Store this object (its resourceVersion is set by the store).
    Put(Value),
    /// Remove the object.
    Delete,
    /// Change nothing; return this value as the outcome.
    Keep,
}

/// Settings of the store.
#[derive(Debug, Clone, Copy)]
pub struct StoreConfig {
    /// Revisions kept per resource for watch resumption and exact reads.
    pub history_limit: usize,
    /// Events a watcher may have queued before it is closed as too slow.
    pub watcher_queue: usize,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            history_limit: 10_000,
            watcher_queue: 10_000,
        }
    }
}

struct Inner {
    rv: u64,
    collections: HashMap<GroupResource, Collection>,
    watchers: watch::Watchers,
    /// Revisions below this are older than the watch cache (see
    /// [`Store::start_history`]).
    history_floor: u64,
    /// Which objects name which owner uid.
    owners: owners::OwnerIndex,
}

/// The store. Cheap to share behind an `Arc`.
pub struct Store {
    inner: Mutex<Inner>,
    config: StoreConfig,
    rv_tx: tokio::sync::watch::Sender<u64>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("rv", &self.current_rv())
            .finish_non_exhaustive()
    }
}

/// The `(namespace, name)` of an object from its metadata.
pub fn key_of(obj: &Value) -> ObjectKey {
    let meta = obj.get("metadata");
    let s = |k: &str| {
        meta.and_then(|m| m.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    ObjectKey {
        namespace: s("namespace"),
        name: s("name"),
    }
}

/// Sets `metadata.resourceVersion`.
pub fn set_resource_version(obj: &mut Value, rv: u64) {
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("resourceVersion".into(), Value::String(rv.to_string()));
    }
}

/// Reads `metadata.resourceVersion` as a number.
pub fn resource_version_of(obj: &Value) -> Option<u64> {
    obj.get("metadata")?
        .get("resourceVersion")?
        .as_str()?
        .parse()
        .ok()
}

impl Store {
    /// An empty store at revision 1.
    pub fn new(config: StoreConfig) -> Store {
        let (rv_tx, _) = tokio::sync::watch::channel(1);
        Store {
            inner: Mutex::new(Inner {
                rv: 1,
                collections: HashMap::new(),
                watchers: Default::default(),
                history_floor: 0,
                owners: Default::default(),
            }),
            config,
            rv_tx,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a half-written
        // collection (every write builds the new map before swapping it in),
        // so a poisoned lock is still consistent.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The newest global revision.
    pub fn current_rv(&self) -> u64 {
        *self.rv_tx.borrow()
    }

    /// A receiver that sees every new global revision.
    pub fn rv_receiver(&self) -> tokio::sync::watch::Receiver<u64> {
        self.rv_tx.subscribe()
    }

    /// Waits until the global revision is at least `rv`, for at most `limit`.
    /// Returns whether it got there.
    pub async fn wait_for_rv(&self, rv: u64, limit: std::time::Duration) -> bool {
        let mut rx = self.rv_receiver();
        let reached = tokio::time::timeout(limit, async {
            rx.wait_for(|current| *current >= rv).await.is_ok()
        })
        .await;
        matches!(reached, Ok(true))
    }

    /// One object, newest state, as stored.
    pub fn get_stored(
        &self,
        gr: &GroupResource,
        namespace: &str,
        name: &str,
    ) -> Option<Arc<StoredObject>> {
        let inner = self.lock();
        inner
            .collections
            .get(gr)?
            .objects
            .get(&ObjectKey::new(namespace, name))
            .cloned()
    }

    /// One object, newest state.
    pub fn get(&self, gr: &GroupResource, namespace: &str, name: &str) -> Option<Arc<Value>> {
        self.get_stored(gr, namespace, name)
            .map(|o| Arc::new(o.to_value()))
    }

    /// Marks the current revision as the start of the readable history, as
    /// a real server's watch cache starts at the revision it was
    /// initialised with: older revisions (those of start-up writes) answer
    /// 410 Expired, as `resourceVersion=1` does on a real cluster.
    pub fn start_history(&self) {
        let mut inner = self.lock();
        inner.history_floor = inner.rv;
    }

    /// The oldest revision a watch or exact read may start from.
    pub fn history_floor(&self) -> u64 {
        self.lock().history_floor
    }

    /// A whole collection at a revision.
    pub fn snapshot(&self, gr: &GroupResource, at: ReadAt) -> Result<Snapshot, StoreError> {
        let inner = self.lock();
        let current = inner.rv;
        match at {
            ReadAt::Latest => Ok(Snapshot {
                rv: current,
                objects: inner
                    .collections
                    .get(gr)
                    .map(|c| c.objects.clone())
                    .unwrap_or_default(),
            }),
            ReadAt::Exact(rv) => {
                if rv < inner.history_floor {
                    return Err(StoreError::Expired {
                        requested: rv,
                        oldest: inner.history_floor,
                    });
                }
                if rv > current {
                    return Err(StoreError::TooLarge {
                        requested: rv,
                        current,
                    });
                }
                match inner.collections.get(gr) {
                    None => Ok(Snapshot {
                        rv,
                        objects: Objects::default(),
                    }),
                    Some(c) => c.at(rv).map(|objects| Snapshot { rv, objects }),
                }
            }
        }
    }

    /// Every stored key in a namespace, across all resources (for the
    /// namespace controller).
    pub fn keys_in_namespace(&self, namespace: &str) -> Vec<(GroupResource, String)> {
        let inner = self.lock();
        let mut out = Vec::new();
        for (gr, c) in &inner.collections {
            for key in c.objects.keys() {
                if key.namespace == namespace {
                    out.push((gr.clone(), key.name.clone()));
                }
            }
        }
        out.sort();
        out
    }

    /// The objects whose `metadata.ownerReferences` name `uid` (newest
    /// state), in (resource, key) order.
    pub fn dependents_of(&self, uid: &str) -> Vec<(GroupResource, ObjectKey)> {
        self.lock().owners.dependents(uid)
    }

    /// Atomically reads the current object at `key` and applies the
    /// closure's decision. `Ok(None)` when the closure kept things as they
    /// were; `Ok(Some(obj))` with the stored (or, for a delete, last) object,
    /// its resourceVersion set to the write's revision.
    pub fn mutate<E>(
        &self,
        gr: &GroupResource,
        key: &ObjectKey,
        decide: impl FnOnce(Option<&Arc<Value>>, u64) -> Result<Mutation, E>,
    ) -> Result<Option<Arc<Value>>, E> {
        let mut inner = self.lock();
        let next_rv = inner.rv + 1;
        let current = inner
            .collections
            .get(gr)
            .and_then(|c| c.objects.get(key))
            .cloned();
        let mut current_value = current.as_ref().map(|c| Arc::new(c.to_value()));
        let (event, obj) = match decide(current_value.as_ref(), next_rv)? {
            Mutation::Keep => return Ok(None),
            Mutation::Put(mut obj) => {
                set_resource_version(&mut obj, next_rv);
                let ty = if current.is_some() {
                    EventType::Modified
                } else {
                    EventType::Added
                };
                (ty, Arc::new(obj))
            }
            Mutation::Delete => {
                let Some(cur) = current_value.take() else {
                    return Ok(None);
                };
                let mut last = Arc::unwrap_or_clone(cur);
                set_resource_version(&mut last, next_rv);
                (EventType::Deleted, Arc::new(last))
            }
        };
        inner.rv = next_rv;
        // A delete's last state carries the references the object had.
        let (before, after) = match event {
            EventType::Deleted => (Some(&*obj), None),
            _ => (current_value.as_deref(), Some(&*obj)),
        };
        inner.owners.update(gr, key, before, after);
        let limit = self.config.history_limit;
        let ev = StoreEvent {
            event,
            rv: next_rv,
            key: key.clone(),
            object: Arc::new(StoredObject::encode(&obj)),
            previous: current,
            encoded: Default::default(),
        };
        let ev = watch::fan_out(&mut inner.watchers, gr, ev);
        let collection = inner.collections.entry(gr.clone()).or_default();
        collection.apply(&ev, limit);
        drop(inner);
        self.rv_tx.send_replace(next_rv);
        Ok(Some(obj))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cm(name: &str) -> Value {
        json!({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":name,"namespace":"ns"}})
    }

    fn put(store: &Store, obj: Value) -> Arc<Value> {
        let gr = GroupResource::new("", "configmaps");
        let key = key_of(&obj);
        store
            .mutate::<()>(&gr, &key, |_, _| Ok(Mutation::Put(obj)))
            .unwrap()
            .unwrap()
    }

    #[test]
    fn every_write_takes_the_next_revision() {
        let store = Store::new(StoreConfig::default());
        let a = put(&store, cm("a"));
        let b = put(&store, cm("b"));
        assert_eq!(resource_version_of(&a), Some(2));
        assert_eq!(resource_version_of(&b), Some(3));
        assert_eq!(store.current_rv(), 3);
    }

    #[test]
    fn exact_reads_see_the_collection_as_it_was() {
        let store = Store::new(StoreConfig::default());
        let gr = GroupResource::new("", "configmaps");
        put(&store, cm("a"));
        let rv = store.current_rv();
        put(&store, cm("b"));
        let snap = store.snapshot(&gr, ReadAt::Exact(rv)).unwrap();
        assert_eq!(snap.objects.len(), 1);
        assert_eq!(
            store.snapshot(&gr, ReadAt::Latest).unwrap().objects.len(),
            2
        );
        assert!(matches!(
            store.snapshot(&gr, ReadAt::Exact(99)),
            Err(StoreError::TooLarge { .. })
        ));
    }

    #[test]
    fn compacted_revisions_are_expired() {
        let store = Store::new(StoreConfig {
            history_limit: 2,
            ..Default::default()
        });
        let gr = GroupResource::new("", "configmaps");
        put(&store, cm("a"));
        put(&store, cm("b"));
        put(&store, cm("c"));
        put(&store, cm("d"));
        assert!(matches!(
            store.snapshot(&gr, ReadAt::Exact(2)),
            Err(StoreError::Expired { .. })
        ));
        assert_eq!(
            store.snapshot(&gr, ReadAt::Exact(5)).unwrap().objects.len(),
            4
        );
    }

    #[test]
    fn a_delete_returns_the_last_state_at_the_delete_revision() {
        let store = Store::new(StoreConfig::default());
        let gr = GroupResource::new("", "configmaps");
        put(&store, cm("a"));
        let gone = store
            .mutate::<()>(&gr, &ObjectKey::new("ns", "a"), |_, _| Ok(Mutation::Delete))
            .unwrap()
            .unwrap();
        assert_eq!(resource_version_of(&gone), Some(3));
        assert!(store.get(&gr, "ns", "a").is_none());
    }
}
