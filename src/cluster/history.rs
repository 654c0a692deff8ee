//! ControllerRevisions of StatefulSets and DaemonSets
//! (`pkg/controller/history/controller_history.go`,
//! `pkg/controller/statefulset/stateful_set_utils.go` `getPatch` /
//! `newRevision`, `pkg/controller/daemon/update.go` `constructHistory`):
//! each distinct pod template is one ControllerRevision `<owner>-<hash>`
//! whose `data` is `{"spec":{"template":{..., "$patch":"replace"}}}`; going
//! back to an older template raises that revision's number instead of
//! creating a new one; revisions past `revisionHistoryLimit` that no pod
//! uses are deleted. The hash is FNV-32a over kubemock's JSON of the data
//! (`HashControllerRevision`, SafeEncoded), so its value differs from a
//! real cluster's (UNVERIFIED value, same shape).

use super::client::{collection_path, object_path, Client};
use super::workloads::{dependents, owner_ref, template_hash};
use super::Context;
use serde_json::{json, Value};

fn s<'v>(v: &'v Value, ptr: &str) -> &'v str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}

/// The revisions of one owner after a sync.
#[derive(Debug, Clone)]
pub(crate) struct Revisions {
    /// The revision the owner's status names as current (the update
    /// revision when it names none, or one that no longer exists).
    pub current: Value,
    /// The revision of the owner's template now.
    pub update: Value,
}

impl Revisions {
    /// `metadata.name` of the current revision.
    pub fn current_name(&self) -> &str {
        s(&self.current, "/metadata/name")
    }
    /// `metadata.name` of the update revision.
    pub fn update_name(&self) -> &str {
        s(&self.update, "/metadata/name")
    }
    /// The hash label value of the update revision.
    pub fn update_hash(&self, label: &str) -> String {
        label_of(&self.update, label)
    }
}

fn label_of(obj: &Value, label: &str) -> String {
    obj.pointer("/metadata/labels")
        .and_then(|l| l.get(label))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

/// The pod template a revision holds.
pub(crate) fn template_of(revision: &Value) -> Value {
    let mut t = revision
        .pointer("/data/spec/template")
        .cloned()
        .unwrap_or(json!({}));
    if let Some(m) = t.as_object_mut() {
        m.shift_remove("$patch");
    }
    t
}

fn number(rev: &Value) -> i64 {
    rev.get("revision").and_then(Value::as_i64).unwrap_or(0)
}

/// Finds or creates the revision of `owner`'s template (raising an old
/// one's number when the template went back to it), drops revisions past
/// the history limit that neither the status nor a pod in `in_use` names,
/// and returns the current and update revisions. `hash_label` is the label
/// the revision carries its hash in (`controller.kubernetes.io/hash` for
/// StatefulSets, `controller-revision-hash` for DaemonSets). `None` when a
/// write failed (the caller syncs again later).
pub(crate) async fn sync(
    client: &Client,
    ctx: &Context,
    owner: &Value,
    kind: &str,
    hash_label: &str,
    status_current: &str,
    in_use: &[String],
) -> Option<Revisions> {
    let ns = s(owner, "/metadata/namespace").to_string();
    let name = s(owner, "/metadata/name").to_string();
    let mut template = owner
        .pointer("/spec/template")
        .cloned()
        .unwrap_or(json!({}));
    template["$patch"] = json!("replace");
    let data = json!({"spec": {"template": template}});
    let mut revisions: Vec<Value> = dependents(ctx, owner, "apps", "controllerrevisions")
        .into_iter()
        .map(|r| (*r).clone())
        .collect();
    revisions.sort_by(|a, b| {
        (number(a), s(a, "/metadata/name")).cmp(&(number(b), s(b, "/metadata/name")))
    });
    let max = revisions.last().map(number).unwrap_or(0);
    let update = match revisions.iter().position(|r| r.get("data") == Some(&data)) {
        Some(i) if number(&revisions[i]) == max => revisions[i].clone(),
        Some(i) => {
            // Back to an older template: it becomes the newest revision.
            let mut next = revisions[i].clone();
            next["revision"] = json!(max + 1);
            let path = object_path(
                "apps/v1",
                &ns,
                "controllerrevisions",
                s(&next, "/metadata/name"),
            );
            let updated = client.update(&path, &next).await.ok()?;
            revisions[i] = updated.clone();
            updated
        }
        None => {
            let collisions = owner
                .pointer("/status/collisionCount")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            let hash = template_hash(&data, collisions);
            let mut labels = owner
                .pointer("/spec/template/metadata/labels")
                .cloned()
                .filter(Value::is_object)
                .unwrap_or(json!({}));
            labels[hash_label] = json!(hash);
            let rev = json!({
                "apiVersion": "apps/v1", "kind": "ControllerRevision",
                "metadata": {"name": format!("{name}-{hash}"), "namespace": ns,
                    "labels": labels, "ownerReferences": owner_ref("apps/v1", kind, owner)},
                "data": data, "revision": max + 1,
            });
            let created = client
                .create(
                    &collection_path("apps/v1", &ns, "controllerrevisions"),
                    &rev,
                )
                .await
                .ok()?;
            revisions.push(created.clone());
            created
        }
    };
    let current = revisions
        .iter()
        .find(|r| !status_current.is_empty() && s(r, "/metadata/name") == status_current)
        .cloned()
        .unwrap_or_else(|| update.clone());
    // truncateHistory: the oldest unused revisions past the limit go.
    let limit = owner
        .pointer("/spec/revisionHistoryLimit")
        .and_then(Value::as_i64)
        .unwrap_or(10)
        .max(0) as usize;
    let live = [current.clone(), update.clone()];
    let unused: Vec<&Value> = revisions
        .iter()
        .filter(|r| {
            let n = s(r, "/metadata/name");
            let h = label_of(r, hash_label);
            !live.iter().any(|l| s(l, "/metadata/name") == n)
                && !in_use.iter().any(|u| *u == n || *u == h)
        })
        .collect();
    if unused.len() > limit {
        for r in &unused[..unused.len() - limit] {
            let path = object_path(
                "apps/v1",
                &ns,
                "controllerrevisions",
                s(r, "/metadata/name"),
            );
            let _ = client.delete(&path, "", None).await;
        }
    }
    Some(Revisions { current, update })
}
