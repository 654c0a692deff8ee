//! Server-side apply (`application/apply-patch+yaml`), as
//! `structured-merge-diff` `merge.Updater.Apply` behind the apiserver's
//! field manager does it:
//!
//! 1. the applied configuration is merged into the live object (list maps by
//!    their keys, sets by value, atomic lists replaced; the order of
//!    `visitListItems`);
//! 2. the applier's field set becomes the configuration's set; fields it
//!    applied last time but not now are removed unless another manager owns
//!    them (`prune`);
//! 3. fields other managers own whose value the apply adds or changes are
//!    conflicts: 409 `Apply failed with N conflict(s)...` unless `force`,
//!    which takes them over;
//! 4. the managers' entries are written back to `metadata.managedFields`.

use super::schema::{self, ListType, Ty};
use crate::api::error::ApiError;
use crate::api::managed_fields::{self as mf, Entry, FieldSet, Path, Pe};
use crate::meta::status::{reason, Status, StatusCause, StatusDetails};
use serde_json::{Map, Value};

/// What an apply needs to know besides the objects.
#[derive(Debug, Clone, Copy)]
pub struct ApplyContext<'a> {
    /// API group of the kind.
    pub group: &'a str,
    /// Kind.
    pub kind: &'a str,
    /// `group/version` of the endpoint.
    pub api_version: &'a str,
    /// `fieldManager`.
    pub manager: &'a str,
    /// `status` for the status subresource.
    pub subresource: Option<&'a str>,
    /// `force=true`.
    pub force: bool,
    /// The time of the write (RFC 3339).
    pub now: &'a str,
}

fn drop_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, x| !x.is_null());
            m.values_mut().for_each(drop_nulls);
        }
        Value::Array(a) => a.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// Applies `config` to `live` (`None` when the object does not exist yet);
/// returns the new object with its `managedFields`.
pub fn apply(
    live: Option<&Value>,
    config: &Value,
    ctx: &ApplyContext<'_>,
) -> Result<Value, ApiError> {
    let ty = schema::root(ctx.group, ctx.kind);
    let mut config = config.clone();
    drop_nulls(&mut config);
    let live_plain = live
        .map(mf::without_managed_fields)
        .unwrap_or_else(|| Value::Object(Map::new()));
    let mut merged = merge(Some(&live_plain), &config, ty);
    let ignored = |p: &Path| mf::ignored(p, ctx.group, ctx.kind, ctx.subresource);
    let mut config_set = mf::to_set(&config, ty);
    config_set.retain(|p| !ignored(p));

    let mut entries = live.map(mf::decode).unwrap_or_default();
    let me = Entry {
        manager: ctx.manager.to_string(),
        operation: "Apply".into(),
        api_version: ctx.api_version.to_string(),
        time: Some(ctx.now.to_string()),
        subresource: ctx.subresource.unwrap_or("").to_string(),
        set: config_set.clone(),
    };
    let mine = entries.iter().position(|e| e.same_manager(&me));
    let last_set = mine.map(|i| entries[i].set.clone()).unwrap_or_default();
    let previous_time = mine.and_then(|i| entries[i].time.clone());
    if let Some(i) = mine {
        entries.remove(i);
    }

    // prune: what the applier applied last time and no longer does, unless
    // someone else owns it (or something below it).
    let others: FieldSet = entries.iter().flat_map(|e| e.set.iter().cloned()).collect();
    let mut to_remove: Vec<&Path> = last_set
        .difference(&config_set)
        .filter(|p| !others.iter().any(|o| o.starts_with(p)))
        .collect();
    to_remove.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for p in to_remove {
        remove_path(&mut merged, p, ty);
    }

    // conflicts and ownership changes
    let mut c = mf::compare(Some(&live_plain), Some(&merged), ty);
    for s in [&mut c.added, &mut c.modified, &mut c.removed] {
        s.retain(|p| !ignored(p));
    }
    let changed: FieldSet = c.added.union(&c.modified).cloned().collect();
    let mut conflicts: Vec<(Entry, Path)> = Vec::new();
    for e in &entries {
        for p in e.set.intersection(&changed) {
            conflicts.push((e.clone(), p.clone()));
        }
    }
    if !conflicts.is_empty() && !ctx.force {
        return Err(conflict_error(conflicts));
    }
    for e in entries.iter_mut() {
        e.set
            .retain(|p| !changed.contains(p) && !c.removed.contains(p));
    }
    let object_changed = merged != live_plain;
    let mut me = me;
    if !object_changed {
        if let Some(t) = previous_time {
            me.time = Some(t);
        }
    }
    entries.push(me);
    if !merged.get("metadata").is_some_and(Value::is_object) {
        if let Some(m) = merged.as_object_mut() {
            m.insert("metadata".into(), Value::Object(Map::new()));
        }
    }
    mf::encode(&mut merged, entries);
    Ok(merged)
}

/// The 409 of `NewConflictError`.
fn conflict_error(conflicts: Vec<(Entry, Path)>) -> ApiError {
    let mut conflicts = conflicts;
    conflicts.sort_by(|a, b| {
        (
            &a.0.manager,
            &a.0.operation,
            &a.0.api_version,
            &a.0.subresource,
        )
            .cmp(&(
                &b.0.manager,
                &b.0.operation,
                &b.0.api_version,
                &b.0.subresource,
            ))
            .then_with(|| smd_cmp(&a.1, &b.1))
    });
    let causes: Vec<StatusCause> = conflicts
        .iter()
        .map(|(e, p)| StatusCause {
            reason: "FieldManagerConflict".into(),
            message: format!("conflict with {}", e.describe()),
            field: mf::path_string(p),
        })
        .collect();
    let message = if conflicts.len() == 1 {
        format!(
            "Apply failed with 1 conflict: conflict with {}: {}",
            conflicts[0].0.describe(),
            mf::path_string(&conflicts[0].1)
        )
    } else {
        let mut lines: Vec<String> = Vec::new();
        let mut last: Option<&Entry> = None;
        for (e, p) in &conflicts {
            if last.is_none_or(|l| !l.same_manager(e)) {
                lines.push(format!("conflicts with {}:", e.describe()));
                last = Some(e);
            }
            lines.push(format!("- {}", mf::path_string(p)));
        }
        format!(
            "Apply failed with {} conflicts: {}",
            conflicts.len(),
            lines.join("\n")
        )
    };
    let mut s = Status::failure(409, reason::CONFLICT, message);
    s.details = Some(StatusDetails {
        causes,
        ..Default::default()
    });
    ApiError::from_status(s)
}

/// `fieldpath.Set` iteration order: at each level the members (paths that
/// end there) before the children.
fn smd_cmp(a: &[Pe], b: &[Pe]) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a.len(), b.len()) {
        (0, 0) => Ordering::Equal,
        (0, _) => Ordering::Less,
        (_, 0) => Ordering::Greater,
        (1, n) if n > 1 => Ordering::Less,
        (n, 1) if n > 1 => Ordering::Greater,
        _ => a[0].cmp(&b[0]).then_with(|| smd_cmp(&a[1..], &b[1..])),
    }
}

/// The path element of each list item.
fn list_pes(items: &[Value], lt: ListType) -> Vec<Pe> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match lt {
            ListType::Map(keys) => mf::item_key(item, keys).unwrap_or(Pe::Index(i)),
            ListType::Set => Pe::Value(item.to_string()),
            ListType::Atomic => Pe::Index(i),
        })
        .collect()
}

/// `TypedValue.Merge`: `rhs` (the configuration) over `lhs` (live).
pub fn merge(lhs: Option<&Value>, rhs: &Value, ty: Ty) -> Value {
    match (lhs, rhs) {
        (Some(Value::Object(l)), Value::Object(r)) => {
            let mut out = l.clone();
            for (k, v) in r {
                let merged = merge(l.get(k), v, schema::field(ty, k));
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        (Some(Value::Array(l)), Value::Array(r)) if schema::list_type(ty) != ListType::Atomic => {
            Value::Array(merge_list(l, r, ty))
        }
        _ => rhs.clone(),
    }
}

/// `mergingWalker.visitListItems`.
fn merge_list(lhs: &[Value], rhs: &[Value], ty: Ty) -> Vec<Value> {
    let lt = schema::list_type(ty);
    let elem = schema::elem(ty);
    let lpes = list_pes(lhs, lt);
    let rpes = list_pes(rhs, lt);
    let in_l = |pe: &Pe| lpes.iter().position(|p| p == pe);
    let in_r = |pe: &Pe| rpes.iter().position(|p| p == pe);
    let mut shared: std::collections::VecDeque<&Pe> =
        rpes.iter().filter(|p| in_l(p).is_some()).collect();
    let mut next_shared = shared.pop_front();
    let mut merged_r: Vec<&Pe> = Vec::new();
    let mut out = Vec::with_capacity(lhs.len().max(rhs.len()));
    let item = |pe: &Pe, l: Option<&Value>, r: Option<&Value>| -> Value {
        match (l, r) {
            (l, Some(r)) if lt != ListType::Set => merge(l, r, elem),
            (_, Some(r)) => r.clone(),
            (Some(l), None) => l.clone(),
            (None, None) => {
                let _ = pe;
                Value::Null
            }
        }
    };
    let (mut li, mut ri) = (0, 0);
    while li < lpes.len() || ri < rpes.len() {
        if li < lpes.len() && ri < rpes.len() {
            let pe = &lpes[li];
            if *pe == rpes[ri] {
                merged_r.push(pe);
                out.push(item(
                    pe,
                    in_l(pe).map(|i| &lhs[i]),
                    in_r(pe).map(|i| &rhs[i]),
                ));
                li += 1;
                ri += 1;
                next_shared = shared.pop_front();
                continue;
            }
            if in_r(pe).is_some() && next_shared.is_some_and(|n| n != pe) {
                li += 1;
                continue;
            }
        }
        if li < lpes.len() {
            let pe = &lpes[li];
            if in_r(pe).is_none() {
                out.push(lhs[li].clone());
                li += 1;
                continue;
            } else if merged_r.contains(&pe) {
                li += 1;
                continue;
            }
        }
        if ri < rpes.len() {
            let pe = &rpes[ri];
            merged_r.push(pe);
            out.push(item(pe, in_l(pe).map(|i| &lhs[i]), Some(&rhs[ri])));
            ri += 1;
            if next_shared.is_some_and(|n| n == pe) {
                next_shared = shared.pop_front();
            }
        }
    }
    out
}

/// Removes the value at `path` (a field, a list-map item, a set value).
fn remove_path(v: &mut Value, path: &[Pe], ty: Ty) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    match (v, first) {
        (Value::Object(m), Pe::Field(f)) => {
            if rest.is_empty() {
                m.shift_remove(f);
            } else if let Some(child) = m.get_mut(f) {
                remove_path(child, rest, schema::field(ty, f));
            }
        }
        (Value::Array(items), pe) => {
            let pes = list_pes(items, schema::list_type(ty));
            if let Some(i) = pes.iter().position(|p| p == pe) {
                if rest.is_empty() {
                    items.remove(i);
                } else {
                    remove_path(&mut items[i], rest, schema::elem(ty));
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx<'a>(manager: &'a str, force: bool) -> ApplyContext<'a> {
        ApplyContext {
            group: "",
            kind: "ConfigMap",
            api_version: "v1",
            manager,
            subresource: None,
            force,
            now: "2026-01-01T00:00:00Z",
        }
    }

    fn cm(data: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": data})
    }

    #[test]
    fn first_apply_owns_the_configuration() {
        let out = apply(None, &cm(json!({"k": "v"})), &ctx("a", false)).unwrap();
        assert_eq!(out["data"], json!({"k": "v"}));
        let mf = &out["metadata"]["managedFields"][0];
        assert_eq!(mf["operation"], "Apply");
        assert_eq!(mf["fieldsV1"], json!({"f:data": {"f:k": {}}}));
    }

    #[test]
    fn two_managers_conflict_then_force_takes_over() {
        let live = apply(None, &cm(json!({"k": "v"})), &ctx("a", false)).unwrap();
        let live = apply(Some(&live), &cm(json!({"j": "w"})), &ctx("b", false)).unwrap();
        assert_eq!(live["data"], json!({"k": "v", "j": "w"}));
        let err = apply(Some(&live), &cm(json!({"k": "x"})), &ctx("b", false)).unwrap_err();
        assert_eq!(err.code(), 409);
        assert_eq!(
            err.status.message,
            "Apply failed with 1 conflict: conflict with \"a\": .data.k"
        );
        let same = apply(
            Some(&live),
            &cm(json!({"k": "v", "j": "w"})),
            &ctx("b", false),
        )
        .unwrap();
        assert_eq!(same["data"], json!({"k": "v", "j": "w"}));
        let forced = apply(
            Some(&live),
            &cm(json!({"k": "x", "j": "w"})),
            &ctx("b", true),
        )
        .unwrap();
        assert_eq!(forced["data"], json!({"k": "x", "j": "w"}));
        let entries = mf::decode(&forced);
        let a = entries.iter().find(|e| e.manager == "a");
        assert!(a.is_none(), "a lost its only field");
    }

    #[test]
    fn fields_no_longer_applied_are_removed() {
        let live = apply(None, &cm(json!({"k": "v", "j": "w"})), &ctx("a", false)).unwrap();
        let out = apply(Some(&live), &cm(json!({"k": "v"})), &ctx("a", false)).unwrap();
        assert_eq!(out["data"], json!({"k": "v"}));
    }

    #[test]
    fn list_maps_merge_by_key() {
        let t = schema::root("apps", "Deployment");
        let l = json!({"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "2"}]}}}});
        let r = json!({"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "3"}, {"name": "a", "image": "9"}]}}}});
        let m = merge(Some(&l), &r, t);
        let names: Vec<&str> = m["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["c", "a", "b"]);
        assert_eq!(m["spec"]["template"]["spec"]["containers"][1]["image"], "9");
    }

    #[test]
    fn several_conflicts_are_grouped_by_manager() {
        let live = apply(None, &cm(json!({"k": "v", "j": "w"})), &ctx("a", false)).unwrap();
        let err = apply(
            Some(&live),
            &cm(json!({"k": "x", "j": "y"})),
            &ctx("b", false),
        )
        .unwrap_err();
        assert_eq!(
            err.status.message,
            "Apply failed with 2 conflicts: conflicts with \"a\":\n- .data.j\n- .data.k"
        );
        assert_eq!(err.status.details.as_ref().map(|d| d.causes.len()), Some(2));
    }
}
