//! `metadata.managedFields`: which manager owns which fields, in the
//! `FieldsV1` format (`staging/src/k8s.io/apimachinery/pkg/util/managedfields`,
//! `sigs.k8s.io/structured-merge-diff` `fieldpath` and `merge.Updater`).
//!
//! Field sets are sets of paths ([`FieldSet`]); a path is a list of
//! [`Pe`] elements (`f:name`, `k:{"name":"c"}`, `v:"x"`, `i:0`). The list and
//! map semantics come from [`crate::api::patch::schema`]: structs never own
//! themselves, `map[string]T` values and list items do (the `"."` entry).
//!
//! The manager name is `?fieldManager=` or, failing that, the user agent up
//! to its first `/` (`prefixFromUserAgent`). An `Update` gives its manager
//! the fields it added or changed (`Updater.Update`) and takes them away from
//! every other manager; `Apply` is in [`crate::api::patch::apply`].
//! Entries are sorted as `sortEncodedManagedFields` does (operation, time,
//! manager). UNVERIFIED: custom resources are typed by `metadata` only, and
//! at most 10 `Update` entries (`capManagersManager`) are not enforced.

use crate::api::patch::schema::{self, ListType, Ty};
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

/// The manager name for a write (`fieldManager` or the user agent prefix,
/// at most 128 characters).
pub fn manager_name(field_manager: Option<&str>, user_agent: Option<&str>) -> String {
    if let Some(m) = field_manager.filter(|m| !m.is_empty()) {
        return m.to_string();
    }
    let ua = user_agent.unwrap_or("");
    let prefix = ua.split('/').next().unwrap_or("");
    prefix.chars().take(128).collect()
}

/// One element of a field path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Pe {
    /// A struct or map field: `f:name`.
    Field(String),
    /// An item of an associative list, by its keys (JSON, keys sorted): `k:{...}`.
    Key(String),
    /// An item of a set: `v:<json>`.
    Value(String),
    /// An item of an atomic-keyed list by position: `i:0`.
    Index(usize),
}

impl Pe {
    fn encode(&self) -> String {
        match self {
            Pe::Field(f) => format!("f:{f}"),
            Pe::Key(k) => format!("k:{k}"),
            Pe::Value(v) => format!("v:{v}"),
            Pe::Index(i) => format!("i:{i}"),
        }
    }

    fn decode(s: &str) -> Option<Pe> {
        let (t, rest) = s.split_once(':')?;
        Some(match t {
            "f" => Pe::Field(rest.to_string()),
            "k" => Pe::Key(rest.to_string()),
            "v" => Pe::Value(rest.to_string()),
            "i" => Pe::Index(rest.parse().ok()?),
            _ => return None,
        })
    }

    /// `PathElement.String()`: `.name`, `[name="c"]`, `[="x"]`, `[0]`.
    pub fn display(&self) -> String {
        match self {
            Pe::Field(f) => format!(".{f}"),
            Pe::Key(k) => {
                let parts: Vec<String> = serde_json::from_str::<Map<String, Value>>(k)
                    .map(|m| m.iter().map(|(n, v)| format!("{n}={v}")).collect())
                    .unwrap_or_default();
                format!("[{}]", parts.join(","))
            }
            Pe::Value(v) => format!("[={v}]"),
            Pe::Index(i) => format!("[{i}]"),
        }
    }
}

/// A field path.
pub type Path = Vec<Pe>;

/// `fieldpath.Path.String()`.
pub fn path_string(p: &[Pe]) -> String {
    p.iter().map(Pe::display).collect()
}

/// A set of field paths.
pub type FieldSet = BTreeSet<Path>;

/// The `k:` element of a list-map item, or `None` when a key is missing.
pub fn item_key(item: &Value, keys: &[&str]) -> Option<Pe> {
    let m = item.as_object()?;
    let mut names: Vec<&str> = keys.to_vec();
    names.sort_unstable();
    let mut out = Map::new();
    for k in names {
        let v = match m.get(k) {
            Some(v) => v.clone(),
            None => Value::String(schema::key_default(k)?.to_string()),
        };
        out.insert(k.to_string(), v);
    }
    Some(Pe::Key(Value::Object(out).to_string()))
}

/// How a list's items are addressed.
fn item_pe(lt: ListType, i: usize, item: &Value) -> Pe {
    match lt {
        ListType::Map(keys) => item_key(item, keys).unwrap_or(Pe::Index(i)),
        ListType::Set => Pe::Value(item.to_string()),
        ListType::Atomic => Pe::Index(i),
    }
}

/// `TypedValue.ToFieldSet`: every leaf, list item and set value of `v`
/// (what an applier owns).
pub fn to_set(v: &Value, ty: Ty) -> FieldSet {
    let mut set = FieldSet::new();
    walk_set(v, ty, &mut Vec::new(), &mut set);
    set
}

fn walk_set(v: &Value, ty: Ty, path: &mut Path, set: &mut FieldSet) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, x) in m {
                path.push(Pe::Field(k.clone()));
                walk_set(x, schema::field(ty, k), path, set);
                path.pop();
            }
        }
        Value::Array(items) if !items.is_empty() && schema::list_type(ty) != ListType::Atomic => {
            let lt = schema::list_type(ty);
            for (i, item) in items.iter().enumerate() {
                path.push(item_pe(lt, i, item));
                set.insert(path.clone());
                if lt != ListType::Set {
                    walk_set_children(item, schema::elem(ty), path, set);
                }
                path.pop();
            }
        }
        _ => {
            if !path.is_empty() {
                set.insert(path.clone());
            }
        }
    }
}

fn walk_set_children(v: &Value, ty: Ty, path: &mut Path, set: &mut FieldSet) {
    if let Value::Object(m) = v {
        for (k, x) in m {
            path.push(Pe::Field(k.clone()));
            walk_set(x, schema::field(ty, k), path, set);
            path.pop();
        }
    }
}

/// `typed.Comparison`: what changed between two values.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Comparison {
    /// Paths only in the new value.
    pub added: FieldSet,
    /// Leaves whose value changed.
    pub modified: FieldSet,
    /// Paths only in the old value.
    pub removed: FieldSet,
}

/// Compares two values of type `ty`.
pub fn compare(old: Option<&Value>, new: Option<&Value>, ty: Ty) -> Comparison {
    let mut c = Comparison::default();
    walk_compare(old, new, ty, &mut Vec::new(), &mut c);
    c
}

fn is_empty_container(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::Object(m)) => m.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        _ => false,
    }
}

fn leaf(old: Option<&Value>, new: Option<&Value>, path: &Path, c: &mut Comparison) {
    match (old, new) {
        (None, None) => {}
        (None, Some(_)) => {
            c.added.insert(path.clone());
        }
        (Some(_), None) => {
            c.removed.insert(path.clone());
        }
        (Some(a), Some(b)) if a != b => {
            c.modified.insert(path.clone());
        }
        _ => {}
    }
}

fn walk_compare(
    old: Option<&Value>,
    new: Option<&Value>,
    ty: Ty,
    path: &mut Path,
    c: &mut Comparison,
) {
    let container =
        |v: Option<&Value>| matches!(v, None | Some(Value::Object(_)) | Some(Value::Array(_)));
    let same_kind = match (old, new) {
        (Some(a), Some(b)) => a.is_object() == b.is_object() && a.is_array() == b.is_array(),
        _ => true,
    };
    if !container(old)
        || !container(new)
        || !same_kind
        || (is_empty_container(old) && is_empty_container(new))
    {
        if !path.is_empty() {
            leaf(old, new, path, c);
        }
        return;
    }
    let is_array = old.or(new).is_some_and(Value::is_array);
    if is_array {
        let lt = schema::list_type(ty);
        if lt == ListType::Atomic {
            leaf(old, new, path, c);
            return;
        }
        let index = |v: Option<&Value>| -> Vec<(Pe, Value)> {
            v.and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .enumerate()
                        .map(|(i, x)| (item_pe(lt, i, x), x.clone()))
                        .collect()
                })
                .unwrap_or_default()
        };
        let (o, n) = (index(old), index(new));
        if !path.is_empty() {
            match (o.is_empty(), n.is_empty()) {
                (true, false) => {
                    c.added.insert(path.clone());
                }
                (false, true) => {
                    c.removed.insert(path.clone());
                }
                _ => {}
            }
        }
        let elem = schema::elem(ty);
        for (pe, x) in &n {
            path.push(pe.clone());
            match o.iter().find(|(p, _)| p == pe) {
                Some((_, y)) => {
                    if lt != ListType::Set {
                        walk_compare_children(Some(y), Some(x), elem, path, c);
                    }
                }
                None => {
                    c.added.insert(path.clone());
                    if lt != ListType::Set {
                        walk_compare_children(None, Some(x), elem, path, c);
                    }
                }
            }
            path.pop();
        }
        for (pe, y) in &o {
            if n.iter().any(|(p, _)| p == pe) {
                continue;
            }
            path.push(pe.clone());
            c.removed.insert(path.clone());
            if lt != ListType::Set {
                walk_compare_children(Some(y), None, elem, path, c);
            }
            path.pop();
        }
        return;
    }
    if matches!(ty, Ty::Map(_)) && !path.is_empty() {
        match (old, new) {
            (None, Some(_)) => {
                c.added.insert(path.clone());
            }
            (Some(_), None) => {
                c.removed.insert(path.clone());
            }
            _ => {}
        }
    }
    walk_compare_children(old, new, ty, path, c);
}

fn walk_compare_children(
    old: Option<&Value>,
    new: Option<&Value>,
    ty: Ty,
    path: &mut Path,
    c: &mut Comparison,
) {
    let empty = Map::new();
    let om = old.and_then(Value::as_object).unwrap_or(&empty);
    let nm = new.and_then(Value::as_object).unwrap_or(&empty);
    let mut keys: Vec<&String> = nm.keys().collect();
    keys.extend(om.keys().filter(|k| !nm.contains_key(*k)));
    for k in keys {
        path.push(Pe::Field(k.clone()));
        walk_compare(om.get(k), nm.get(k), schema::field(ty, k), path, c);
        path.pop();
    }
}

/// Paths the field manager never tracks (`stripMetaManager`).
fn stripped(p: &Path) -> bool {
    let f = |s: &str| Pe::Field(s.to_string());
    match p.as_slice() {
        [a] => *a == f("apiVersion") || *a == f("kind") || *a == f("metadata"),
        [m, x] if *m == f("metadata") => [
            "name",
            "namespace",
            "creationTimestamp",
            "selfLink",
            "uid",
            "clusterName",
            "generation",
            "managedFields",
            "resourceVersion",
        ]
        .iter()
        .any(|n| *x == f(n)),
        _ => false,
    }
}

/// Kinds whose `status` is written through the status subresource only
/// (their main resource's reset fields).
fn status_is_reset(group: &str, kind: &str) -> bool {
    matches!(
        (group, kind),
        (
            "",
            "Namespace"
                | "Node"
                | "PersistentVolumeClaim"
                | "PersistentVolume"
                | "Pod"
                | "ReplicationController"
                | "ResourceQuota"
                | "Service"
        ) | (
            "apps",
            "DaemonSet" | "Deployment" | "ReplicaSet" | "StatefulSet"
        ) | ("autoscaling", "HorizontalPodAutoscaler")
            | ("batch", "CronJob" | "Job")
            | ("networking.k8s.io", "Ingress" | "ServiceCIDR")
            | ("policy", "PodDisruptionBudget")
            | ("certificates.k8s.io", "CertificateSigningRequest")
            | ("apiregistration.k8s.io", "APIService")
    )
}

/// Whether a path is left out of every field set (stripped metadata and the
/// reset fields of the endpoint: `status` on the main resource, everything
/// but `status` on the status subresource).
pub fn ignored(p: &Path, group: &str, kind: &str, subresource: Option<&str>) -> bool {
    if stripped(p) {
        return true;
    }
    let status = Pe::Field("status".into());
    match subresource {
        Some("status") => p.first() != Some(&status),
        _ => status_is_reset(group, kind) && p.first() == Some(&status),
    }
}

/// The group and kind of a stored object (from its `apiVersion` and `kind`).
pub fn group_kind(obj: &Value) -> (String, String) {
    let av = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let group = av.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    (group.to_string(), kind.to_string())
}

/// A `FieldSet` as the `FieldsV1` JSON tree.
pub fn to_fields_v1(set: &FieldSet) -> Value {
    let mut root = Map::new();
    for path in set {
        insert_path(&mut root, path);
    }
    let mut root = Value::Object(root);
    mark_members(&mut root, set, &mut Vec::new());
    sort_map(root)
}

fn insert_path(node: &mut Map<String, Value>, path: &[Pe]) {
    if let Some((first, rest)) = path.split_first() {
        let entry = node
            .entry(first.encode())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(m) = entry {
            insert_path(m, rest);
        }
    }
}

fn mark_members(v: &mut Value, set: &FieldSet, path: &mut Path) {
    let Value::Object(m) = v else { return };
    let keys: Vec<String> = m.keys().filter(|k| *k != ".").cloned().collect();
    let has_children = !keys.is_empty();
    if has_children && !path.is_empty() && set.contains(path) {
        m.insert(".".into(), json!({}));
    }
    for k in keys {
        if let (Some(pe), Some(child)) = (Pe::decode(&k), m.get_mut(&k)) {
            path.push(pe);
            mark_members(child, set, path);
            path.pop();
        }
    }
}

/// A `FieldsV1` tree as a `FieldSet`.
pub fn from_fields_v1(v: &Value) -> FieldSet {
    let mut set = FieldSet::new();
    walk_fields_v1(v, &mut Vec::new(), &mut set);
    set
}

fn walk_fields_v1(v: &Value, path: &mut Path, set: &mut FieldSet) {
    let Some(m) = v.as_object() else { return };
    if !path.is_empty() && (m.is_empty() || m.contains_key(".")) {
        set.insert(path.clone());
    }
    for (k, child) in m {
        if let Some(pe) = Pe::decode(k) {
            path.push(pe);
            walk_fields_v1(child, path, set);
            path.pop();
        }
    }
}

fn sort_map(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sort_map(v))).collect())
        }
        other => other,
    }
}

/// One `ManagedFieldsEntry`.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Manager name.
    pub manager: String,
    /// `Apply` or `Update`.
    pub operation: String,
    /// API version the fields are expressed in.
    pub api_version: String,
    /// Last change (RFC 3339).
    pub time: Option<String>,
    /// `status`, `scale`... or empty.
    pub subresource: String,
    /// The owned fields.
    pub set: FieldSet,
}

impl Entry {
    /// Whether `self` and `other` are the same manager (`BuildManagerIdentifier`:
    /// appliers ignore the API version).
    pub fn same_manager(&self, other: &Entry) -> bool {
        self.manager == other.manager
            && self.operation == other.operation
            && self.subresource == other.subresource
            && (self.operation == "Apply" || self.api_version == other.api_version)
    }

    /// `printManager`: `"m"`, `"m" with subresource "status"`, `"m" using v1`.
    pub fn describe(&self) -> String {
        let mut s = crate::api::query::go_quote(&self.manager);
        if !self.subresource.is_empty() {
            s = format!(
                "{s} with subresource {}",
                crate::api::query::go_quote(&self.subresource)
            );
        }
        if self.operation == "Update" {
            s = format!("{s} using {}", self.api_version);
        }
        s
    }
}

/// The entries of an object's `metadata.managedFields`.
pub fn decode(obj: &Value) -> Vec<Entry> {
    let s = |e: &Value, k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    obj.pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|e| Entry {
                    manager: s(e, "manager"),
                    operation: s(e, "operation"),
                    api_version: s(e, "apiVersion"),
                    time: e.get("time").and_then(Value::as_str).map(str::to_string),
                    subresource: s(e, "subresource"),
                    set: e.get("fieldsV1").map(from_fields_v1).unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Writes `entries` (sorted, empty sets dropped) to `obj`'s metadata.
pub fn encode(obj: &mut Value, mut entries: Vec<Entry>) {
    entries.retain(|e| !e.set.is_empty());
    entries.sort_by(|a, b| {
        a.operation
            .cmp(&b.operation)
            .then_with(|| a.time.cmp(&b.time))
            .then_with(|| a.manager.cmp(&b.manager))
            .then_with(|| a.api_version.cmp(&b.api_version))
            .then_with(|| a.subresource.cmp(&b.subresource))
    });
    let list: Vec<Value> = entries
        .iter()
        .map(|e| {
            let mut m = Map::new();
            m.insert("manager".into(), json!(e.manager));
            m.insert("operation".into(), json!(e.operation));
            m.insert("apiVersion".into(), json!(e.api_version));
            if let Some(t) = &e.time {
                m.insert("time".into(), json!(t));
            }
            m.insert("fieldsType".into(), json!("FieldsV1"));
            m.insert("fieldsV1".into(), to_fields_v1(&e.set));
            if !e.subresource.is_empty() {
                m.insert("subresource".into(), json!(e.subresource));
            }
            Value::Object(m)
        })
        .collect();
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        if list.is_empty() {
            meta.shift_remove("managedFields");
        } else {
            meta.insert("managedFields".into(), Value::Array(list));
        }
    }
}

/// `obj` without `metadata.managedFields`.
pub fn without_managed_fields(obj: &Value) -> Value {
    let mut o = obj.clone();
    if let Some(m) = o.get_mut("metadata").and_then(Value::as_object_mut) {
        m.shift_remove("managedFields");
    }
    o
}

/// The comparison of two objects as the field manager sees it (ignored
/// paths filtered out).
pub fn object_comparison(
    old: Option<&Value>,
    new: &Value,
    subresource: Option<&str>,
) -> Comparison {
    let (group, kind) = group_kind(new);
    let ty = schema::root(&group, &kind);
    let old = old.map(without_managed_fields);
    let new_v = without_managed_fields(new);
    let mut c = compare(old.as_ref(), Some(&new_v), ty);
    for s in [&mut c.added, &mut c.modified, &mut c.removed] {
        s.retain(|p| !ignored(p, &group, &kind, subresource));
    }
    c
}

/// Records an `Update` by `manager` of `old` (absent on create) into `new`
/// (`Updater.Update` behind `managedFieldsUpdater`): the manager gains what
/// it added or changed, every other manager loses it and what was removed.
pub fn record_update(
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    api_version: &str,
    now: &str,
    subresource: Option<&str>,
) {
    let c = object_comparison(old, new, subresource);
    let mut entries = old.map(decode).unwrap_or_default();
    let changed: FieldSet = c.added.union(&c.modified).cloned().collect();
    for e in entries.iter_mut() {
        e.set
            .retain(|p| !changed.contains(p) && !c.removed.contains(p));
    }
    let me = Entry {
        manager: manager.to_string(),
        operation: "Update".into(),
        api_version: api_version.to_string(),
        time: Some(now.to_string()),
        subresource: subresource.unwrap_or("").to_string(),
        set: changed,
    };
    if !me.set.is_empty() {
        match entries.iter_mut().find(|e| e.same_manager(&me)) {
            Some(e) => {
                e.set.extend(me.set);
                e.time = me.time;
            }
            None => entries.push(me),
        }
    }
    encode(new, entries);
}

/// Records a create by `manager` (an `Update` from nothing).
pub fn record(obj: &mut Value, manager: &str, operation: &str, api_version: &str, now: &str) {
    let _ = operation;
    if let Some(m) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        m.shift_remove("managedFields");
    }
    record_update(None, obj, manager, api_version, now, None);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manager_comes_from_the_user_agent_prefix() {
        assert_eq!(
            manager_name(None, Some("kubectl/v1.37.1 (linux)")),
            "kubectl"
        );
        assert_eq!(manager_name(Some("mine"), Some("kubectl/v1")), "mine");
        assert_eq!(manager_name(None, None), "");
    }

    fn created(obj: Value) -> Value {
        let mut o = obj;
        record(&mut o, "m", "Update", "v1", "t");
        o["metadata"]["managedFields"][0]["fieldsV1"].clone()
    }

    #[test]
    fn a_configmap_s_fields_match_the_real_server() {
        let cm = json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","labels":{"x":"y"}},"data":{"k":"v"}});
        assert_eq!(
            created(cm),
            json!({"f:data":{".":{},"f:k":{}},"f:metadata":{"f:labels":{".":{},"f:x":{}}}})
        );
    }

    #[test]
    fn containers_are_keyed_by_name_and_ports_by_port_and_protocol() {
        let pod = json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"i","ports":[{"containerPort":80}]}]},"status":{"phase":"Pending"}});
        assert_eq!(
            created(pod),
            json!({"f:spec":{"f:containers":{".":{},"k:{\"name\":\"c\"}":{".":{},"f:image":{},"f:name":{},"f:ports":{".":{},"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{}}}}}}})
        );
    }

    #[test]
    fn an_update_moves_ownership() {
        let mut cm = json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{"k":"v","j":"w"}});
        record(&mut cm, "a", "Update", "v1", "t1");
        let mut new = cm.clone();
        new["data"]["k"] = json!("v2");
        record_update(Some(&cm), &mut new, "b", "v1", "t2", None);
        let e = decode(&new);
        assert_eq!(e.len(), 2);
        assert_eq!(to_fields_v1(&e[0].set), json!({"f:data":{".":{},"f:j":{}}}));
        assert_eq!(to_fields_v1(&e[1].set), json!({"f:data":{"f:k":{}}}));
        assert_eq!(e[1].describe(), "\"b\" using v1");
    }

    #[test]
    fn fields_v1_round_trips_and_paths_print_like_go() {
        let v = json!({"f:metadata":{"f:finalizers":{".":{},"v:\"a\"":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"c\"}":{".":{},"f:image":{}}}}});
        let set = from_fields_v1(&v);
        assert_eq!(to_fields_v1(&set), v);
        let p: Vec<String> = set.iter().map(|p| path_string(p)).collect();
        assert!(p.contains(&".spec.containers[name=\"c\"].image".to_string()));
        assert!(p.contains(&".metadata.finalizers[=\"a\"]".to_string()));
    }
}
