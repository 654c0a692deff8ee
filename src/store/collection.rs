//! One resource's objects and their recent history.

use super::StoredObject;
use super::{EventType, StoreError, StoreEvent};
use std::cmp::Ordering;
use std::collections::VecDeque;
use std::sync::Arc;

/// Where an object lives: `(namespace, name)`, ordered as etcd orders the
/// keys `<namespace>/<name>` byte-wise (cluster-scoped objects have an empty
/// namespace and order by name).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectKey {
    /// Namespace, `""` for cluster-scoped objects.
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl ObjectKey {
    /// Builds a key.
    pub fn new(namespace: &str, name: &str) -> ObjectKey {
        ObjectKey {
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }

    /// The key as etcd sees it below the resource prefix: `ns/name` or `name`.
    pub fn storage_suffix(&self) -> String {
        if self.namespace.is_empty() {
            self.name.clone()
        } else {
            format!("{}/{}", self.namespace, self.name)
        }
    }

    fn bytes(&self) -> impl Iterator<Item = u8> + '_ {
        let sep: &[u8] = if self.namespace.is_empty() { b"" } else { b"/" };
        self.namespace
            .bytes()
            .chain(sep.iter().copied())
            .chain(self.name.bytes())
    }
}

impl Ord for ObjectKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.bytes().cmp(other.bytes())
    }
}

impl PartialOrd for ObjectKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A persistent map of a collection's objects.
pub type Objects = imbl::OrdMap<ObjectKey, Arc<StoredObject>>;

/// One retained revision of a collection.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub(super) event: StoreEvent,
    /// The collection right after this event.
    pub(super) snapshot: Objects,
}

/// A resource's objects, with the history watchers and exact reads use.
#[derive(Debug, Clone, Default)]
pub(super) struct Collection {
    pub(super) objects: Objects,
    pub(super) history: VecDeque<Entry>,
    /// Revision of the newest compacted entry: reads at or after it work.
    pub(super) base_rv: u64,
    pub(super) base: Objects,
}

impl Collection {
    /// Applies a write and keeps it in the history.
    pub(super) fn apply(&mut self, event: &StoreEvent, limit: usize) {
        match event.event {
            EventType::Deleted => {
                self.objects.remove(&event.key);
            }
            _ => {
                self.objects
                    .insert(event.key.clone(), Arc::clone(&event.object));
            }
        }
        self.history.push_back(Entry {
            event: event.clone(),
            snapshot: self.objects.clone(),
        });
        while self.history.len() > limit.max(1) {
            if let Some(old) = self.history.pop_front() {
                self.base_rv = old.event.rv;
                self.base = old.snapshot;
            }
        }
    }

    /// The collection right after global revision `rv`.
    pub(super) fn at(&self, rv: u64) -> Result<Objects, StoreError> {
        if rv < self.base_rv {
            return Err(StoreError::Expired {
                requested: rv,
                oldest: self.base_rv,
            });
        }
        let idx = self.history.partition_point(|e| e.event.rv <= rv);
        Ok(match idx {
            0 => self.base.clone(),
            i => self.history[i - 1].snapshot.clone(),
        })
    }

    /// Events after revision `rv`, oldest first.
    pub(super) fn events_after(&self, rv: u64) -> Result<Vec<StoreEvent>, StoreError> {
        if rv < self.base_rv {
            return Err(StoreError::Expired {
                requested: rv,
                oldest: self.base_rv,
            });
        }
        let idx = self.history.partition_point(|e| e.event.rv <= rv);
        Ok(self
            .history
            .iter()
            .skip(idx)
            .map(|e| e.event.clone())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_as_etcd_paths() {
        let mut keys = [
            ObjectKey::new("a", "z"),
            ObjectKey::new("a-b", "a"),
            ObjectKey::new("a", "b"),
        ];
        keys.sort();
        let got: Vec<String> = keys.iter().map(ObjectKey::storage_suffix).collect();
        assert_eq!(got, vec!["a-b/a", "a/b", "a/z"]);
    }
}
