//! An index of `metadata.ownerReferences`: which stored objects name a
//! given owner uid. The garbage collector asks it for an owner's
//! dependents, so deleting many owners (a namespace of thousands of objects)
//! costs one lookup each, not a scan of every stored object.

use super::{GroupResource, ObjectKey};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

/// Owner uid → the objects whose ownerReferences name it.
#[derive(Debug, Default)]
pub(super) struct OwnerIndex {
    by_owner: HashMap<String, BTreeSet<(GroupResource, ObjectKey)>>,
}

/// The owner uids an object's ownerReferences name.
fn owner_uids(obj: &Value) -> impl Iterator<Item = &str> {
    obj.pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("uid").and_then(Value::as_str))
        .filter(|u| !u.is_empty())
}

impl OwnerIndex {
    /// Records a write of `key`: `before` is the object it replaced (if
    /// any), `after` what is stored now (`None` for a delete).
    pub(super) fn update(
        &mut self,
        gr: &GroupResource,
        key: &ObjectKey,
        before: Option<&Value>,
        after: Option<&Value>,
    ) {
        let old: BTreeSet<&str> = before.map(|b| owner_uids(b).collect()).unwrap_or_default();
        let new: BTreeSet<&str> = after.map(|a| owner_uids(a).collect()).unwrap_or_default();
        for uid in old.difference(&new) {
            if let Some(set) = self.by_owner.get_mut(*uid) {
                set.remove(&(gr.clone(), key.clone()));
                if set.is_empty() {
                    self.by_owner.remove(*uid);
                }
            }
        }
        for uid in new.difference(&old) {
            self.by_owner
                .entry((*uid).to_string())
                .or_default()
                .insert((gr.clone(), key.clone()));
        }
    }

    /// The objects whose ownerReferences name `uid`, in (resource, key)
    /// order.
    pub(super) fn dependents(&self, uid: &str) -> Vec<(GroupResource, ObjectKey)> {
        self.by_owner
            .get(uid)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn owned_by(uids: &[&str]) -> Value {
        let refs: Vec<Value> = uids.iter().map(|u| json!({"uid": u})).collect();
        json!({"metadata": {"name": "x", "ownerReferences": refs}})
    }

    #[test]
    fn follows_owner_references_through_updates_and_deletes() {
        let mut idx = OwnerIndex::default();
        let gr = GroupResource::new("", "pods");
        let key = ObjectKey::new("ns", "x");
        let both = owned_by(&["a", "b"]);
        idx.update(&gr, &key, None, Some(&both));
        assert_eq!(idx.dependents("a"), vec![(gr.clone(), key.clone())]);
        assert_eq!(idx.dependents("b"), vec![(gr.clone(), key.clone())]);

        let only_b = owned_by(&["b"]);
        idx.update(&gr, &key, Some(&both), Some(&only_b));
        assert!(idx.dependents("a").is_empty());
        assert_eq!(idx.dependents("b").len(), 1);

        idx.update(&gr, &key, Some(&only_b), None);
        assert!(idx.dependents("b").is_empty());
        assert!(idx.by_owner.is_empty(), "no empty sets are left behind");
    }
}
