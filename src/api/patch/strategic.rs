//! Strategic merge patch, as the apiserver applies it
//! (`k8s.io/apimachinery/pkg/util/strategicpatch` `StrategicMergeMapPatch`
//! with `MergeParallelList` and `IgnoreUnmatchedNulls`).
//!
//! Lists with a `patchStrategy:"merge"` are merged by their merge key (or as
//! sets of scalars); every other list is replaced. Directives: `$patch:
//! replace|delete` in maps, `$patch: delete|replace` elements in merging
//! lists, `$retainKeys`, `$setElementOrder/<field>` and
//! `$deleteFromPrimitiveList/<field>`. The order of merged lists follows
//! `normalizeElementOrder` (patch order first, live order for server-only
//! items). The list strategies come from [`super::schema`].

use super::schema::{self, Smp, Ty};
use serde_json::{Map, Value};

const DIRECTIVE: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const SET_ORDER: &str = "$setElementOrder";
const DELETE_FROM_PRIMITIVE: &str = "$deleteFromPrimitiveList";

/// A failed patch, classified as `interpretStrategicMergePatchError` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmpError {
    /// 400 BadRequest with this message (`mergepatch.ErrBadJSONDoc`,
    /// `ErrBadPatchFormatFor*`...).
    BadRequest(String),
    /// 422 from `NewGenericServerResponse` (`ErrNoListOfLists`,
    /// `ErrPatchContentNotMatchRetainKeys`): the message is dropped.
    Unprocessable(String),
    /// Any other error: an unconverted 500 with this message.
    Internal(String),
}

type R<T> = Result<T, SmpError>;

fn bad_retain_keys() -> SmpError {
    SmpError::BadRequest("invalid patch format of retainKeys".into())
}

fn bad_set_order() -> SmpError {
    SmpError::BadRequest("invalid patch format of setElementOrder list".into())
}

/// Go's `%v` of a decoded JSON value (`map[a:1 b:[x y]]`).
pub fn go_v(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".into(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(a) => format!("[{}]", a.iter().map(go_v).collect::<Vec<_>>().join(" ")),
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{k}:{}", go_v(&m[k])))
                .collect();
            format!("map[{}]", parts.join(" "))
        }
    }
}

fn no_merge_key(m: &Map<String, Value>, key: &str) -> SmpError {
    SmpError::Internal(format!(
        "map: {} does not contain declared merge key: {key}",
        go_v(&Value::Object(m.clone()))
    ))
}

fn bad_patch_type(t: &Value, m: &Map<String, Value>) -> SmpError {
    SmpError::Internal(format!(
        "unknown patch type: {} in map: {}",
        go_v(t),
        go_v(&Value::Object(m.clone()))
    ))
}

/// Applies `patch` to `original` (both JSON objects) for a value of type `ty`.
pub fn apply(original: Value, patch: Value, ty: Ty) -> R<Value> {
    let (Value::Object(o), Value::Object(p)) = (original, patch) else {
        return Err(SmpError::BadRequest("invalid JSON document".into()));
    };
    merge_map(o, p, ty).map(Value::Object)
}

/// The same Go type for `reflect.TypeOf` purposes.
fn same_type(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.is_f64() == y.is_f64(),
        _ => std::mem::discriminant(a) == std::mem::discriminant(b),
    }
}

fn discard_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, x| !x.is_null());
            for x in m.values_mut() {
                discard_nulls(x);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(discard_nulls),
        _ => {}
    }
}

/// `extractKey`: the field after `<prefix>/`.
fn extract_key(key: &str, prefix: &str) -> R<String> {
    match key.split_once('/') {
        Some((p, rest)) if p == prefix => Ok(rest.to_string()),
        _ if prefix == DELETE_FROM_PRIMITIVE => Err(SmpError::BadRequest(
            "invalid patch format of primitive list".into(),
        )),
        _ => Err(bad_set_order()),
    }
}

fn merge_map(
    mut original: Map<String, Value>,
    mut patch: Map<String, Value>,
    ty: Ty,
) -> R<Map<String, Value>> {
    if let Some(d) = patch.get(DIRECTIVE).cloned() {
        return match d.as_str() {
            Some("replace") => {
                patch.shift_remove(DIRECTIVE);
                Ok(patch)
            }
            Some("delete") => Ok(Map::new()),
            _ => Err(bad_patch_type(&d, &patch)),
        };
    }
    apply_retain_keys(&mut original, &mut patch)?;
    merge_set_element_order(&mut original, &mut patch, ty)?;
    let keys: Vec<String> = patch.keys().cloned().collect();
    for key in keys {
        let Some(mut patch_v) = patch.shift_remove(&key) else {
            continue;
        };
        let (k, is_delete_list) = if key.starts_with(DELETE_FROM_PRIMITIVE) {
            (extract_key(&key, DELETE_FROM_PRIMITIVE)?, true)
        } else {
            (key, false)
        };
        if patch_v.is_null() {
            original.shift_remove(&k);
            continue;
        }
        let Some(orig_v) = original.get(&k) else {
            if !is_delete_list {
                discard_nulls(&mut patch_v);
                original.insert(k, patch_v);
            }
            continue;
        };
        if !same_type(orig_v, &patch_v) {
            if !is_delete_list {
                discard_nulls(&mut patch_v);
                original.insert(k, patch_v);
            }
            continue;
        }
        let field_ty = schema::field(ty, &k);
        let orig_v = original.shift_remove(&k).unwrap_or(Value::Null);
        let merged = match (orig_v, patch_v) {
            (Value::Object(o), Value::Object(p)) => Value::Object(merge_map(o, p, field_ty)?),
            (Value::Array(o), Value::Array(p)) => {
                Value::Array(merge_slice_handler(o, p, field_ty, is_delete_list)?)
            }
            (_, p) => p,
        };
        original.insert(k, merged);
    }
    Ok(original)
}

fn merge_slice_handler(
    original: Vec<Value>,
    patch: Vec<Value>,
    ty: Ty,
    is_delete_list: bool,
) -> R<Vec<Value>> {
    match schema::smp(ty) {
        Smp::Merge(key) => merge_slice(original, patch, schema::elem(ty), key, is_delete_list),
        Smp::Replace => Ok(patch),
    }
}

/// `applyRetainKeysDirective`.
fn apply_retain_keys(original: &mut Map<String, Value>, patch: &mut Map<String, Value>) -> R<()> {
    let Some(retain) = patch.shift_remove(RETAIN_KEYS) else {
        return Ok(());
    };
    let Value::Array(list) = retain else {
        return Err(bad_retain_keys());
    };
    for (k, v) in patch.iter() {
        if v.is_null() || k.starts_with(DELETE_FROM_PRIMITIVE) || k.starts_with(SET_ORDER) {
            continue;
        }
        if !list.iter().any(|x| x.as_str() == Some(k)) {
            return Err(bad_retain_keys());
        }
    }
    original.retain(|k, _| list.iter().any(|x| x.as_str() == Some(k)));
    Ok(())
}

/// The element kind of lists (`sliceElementType`): `true` for maps.
fn slice_elements_are_maps(lists: &[&[Value]]) -> R<bool> {
    let mut prev: Option<&Value> = None;
    for v in lists.iter().flat_map(|l| l.iter()) {
        match prev {
            None => {
                if v.is_array() {
                    return Err(SmpError::Unprocessable(
                        "lists of lists are not supported".into(),
                    ));
                }
                prev = Some(v);
            }
            Some(p) if !same_type(p, v) => {
                let all: Vec<String> = lists
                    .iter()
                    .map(|l| go_v(&Value::Array(l.to_vec())))
                    .collect();
                return Err(SmpError::Internal(format!(
                    "list element types are not identical: [{}]",
                    all.join(" ")
                )));
            }
            Some(_) => {}
        }
    }
    match prev {
        Some(v) => Ok(v.is_object()),
        None => Err(SmpError::Internal(
            "no elements in any of the given slices".into(),
        )),
    }
}

/// `mergePatchIntoOriginal`: the `$setElementOrder/<field>` directives.
fn merge_set_element_order(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
    ty: Ty,
) -> R<()> {
    let keys: Vec<String> = patch
        .keys()
        .filter(|k| k.starts_with(SET_ORDER))
        .cloned()
        .collect();
    for key in keys {
        let order_v = patch.shift_remove(&key).unwrap_or(Value::Null);
        let Value::Array(order) = order_v else {
            return Err(SmpError::Internal(format!(
                "expected a slice, but received {}",
                crate::api::decode::go_json_type(&order_v)
            )));
        };
        let field = extract_key(&key, SET_ORDER)?;
        let orig_list = match original.get(&field) {
            None => None,
            Some(Value::Array(a)) => Some(a.clone()),
            Some(_) => {
                return Err(SmpError::Internal(
                    "expected a slice in the live object".into(),
                ))
            }
        };
        let patch_list = match patch.get(&field) {
            None => None,
            Some(Value::Array(a)) => Some(a.clone()),
            Some(_) => return Err(SmpError::Internal("expected a slice in the patch".into())),
        };
        let field_ty = schema::field(ty, &field);
        let key_name = match schema::smp(field_ty) {
            Smp::Merge(k) => k,
            Smp::Replace => "",
        };
        validate_set_order(patch_list.as_deref().unwrap_or(&[]), &order, key_name)?;
        let merged = match (&orig_list, &patch_list) {
            (Some(o), None) => o.clone(),
            (None, Some(p)) => p.clone(),
            (Some(o), Some(p)) => merge_slice_handler(o.clone(), p.clone(), field_ty, false)?,
            (None, None) => continue,
        };
        let (patch_items, server_only) = partition(&merged, &order, key_name)?;
        let is_map = slice_elements_are_maps(&[
            orig_list.as_deref().unwrap_or(&[]),
            patch_list.as_deref().unwrap_or(&[]),
        ])?;
        let both = normalize_element_order(
            patch_items,
            server_only,
            &order,
            orig_list.as_deref().unwrap_or(&[]),
            key_name,
            is_map,
        )?;
        original.insert(field.clone(), Value::Array(both));
        patch.shift_remove(&field);
    }
    Ok(())
}

fn merge_key_value_equal(l: &Value, r: &Value, key: &str) -> R<bool> {
    if key.is_empty() {
        return Ok(l == r);
    }
    let (Some(lm), Some(rm)) = (l.as_object(), r.as_object()) else {
        return Err(SmpError::Internal(
            "expected a map in a merging list".into(),
        ));
    };
    let lv = lm.get(key).ok_or_else(|| no_merge_key(lm, key))?;
    let rv = rm.get(key).ok_or_else(|| no_merge_key(rm, key))?;
    Ok(lv == rv)
}

/// `validatePatchWithSetOrderList`.
fn validate_set_order(patch: &[Value], order: &[Value], key: &str) -> R<()> {
    if order.is_empty() || patch.is_empty() {
        return Ok(());
    }
    let non_delete: Vec<&Value> = if key.is_empty() {
        patch.iter().collect()
    } else {
        let mut keep = Vec::new();
        for v in patch {
            let m = v
                .as_object()
                .ok_or_else(|| SmpError::Internal("expected a map in a merging list".into()))?;
            if m.get(DIRECTIVE).and_then(Value::as_str) != Some("delete") {
                keep.push(v);
            }
        }
        keep
    };
    let (mut pi, mut oi) = (0, 0);
    while pi < non_delete.len() && oi < order.len() {
        if non_delete[pi].get(DIRECTIVE).is_some() {
            pi += 1;
            continue;
        }
        if merge_key_value_equal(non_delete[pi], &order[oi], key)? {
            pi += 1;
        }
        oi += 1;
    }
    if pi < non_delete.len() && oi >= order.len() {
        return Err(SmpError::Internal(format!(
            "The order in patch list:\n{}\n doesn't match {SET_ORDER} list:\n{}\n",
            go_v(&Value::Array(patch.to_vec())),
            go_v(&Value::Array(order.to_vec()))
        )));
    }
    Ok(())
}

/// `mergeSlice`.
fn merge_slice(
    original: Vec<Value>,
    patch: Vec<Value>,
    elem_ty: Ty,
    key: &str,
    is_delete_list: bool,
) -> R<Vec<Value>> {
    if original.is_empty() && patch.is_empty() {
        return Ok(original);
    }
    let is_map = slice_elements_are_maps(&[&original, &patch])?;
    let (merged, patch, original) = if !is_map {
        if is_delete_list {
            return Ok(original
                .into_iter()
                .filter(|v| !patch.contains(v))
                .collect());
        }
        let mut both = original.clone();
        both.extend(patch.iter().cloned());
        (dedupe_scalars(both), patch, original)
    } else {
        if key.is_empty() {
            return Err(SmpError::Internal(
                "cannot merge lists without merge key for type struct".into(),
            ));
        }
        let (original, patch) = merge_special_elements(original, patch, key)?;
        let merged = merge_without_special_elements(original.clone(), &patch, key, elem_ty)?;
        (merged, patch, original)
    };
    let (patch_items, server_only) = partition(&merged, &patch, key)?;
    normalize_element_order(patch_items, server_only, &patch, &original, key, is_map)
}

/// Go's in-place deduplication (keeps the first, moves the last into holes).
fn dedupe_scalars(mut s: Vec<Value>) -> Vec<Value> {
    if s.is_empty() {
        return s;
    }
    let mut length = s.len() - 1;
    let mut i = 0;
    while i < length {
        let mut j = i + 1;
        while j <= length {
            if s[i] == s[j] {
                s[j] = s[length].clone();
                s.truncate(length);
                length -= 1;
                continue;
            }
            j += 1;
        }
        i += 1;
    }
    s
}

/// `mergeSliceWithSpecialElements`.
fn merge_special_elements(
    mut original: Vec<Value>,
    patch: Vec<Value>,
    key: &str,
) -> R<(Vec<Value>, Vec<Value>)> {
    let mut plain = Vec::new();
    let mut replace = false;
    for v in patch {
        let Some(m) = v.as_object() else {
            plain.push(v);
            continue;
        };
        match m.get(DIRECTIVE) {
            None => plain.push(v),
            Some(d) => match d.as_str() {
                Some("delete") => {
                    let mv = m.get(key).ok_or_else(|| no_merge_key(m, key))?.clone();
                    let mut kept = Vec::with_capacity(original.len());
                    for (i, o) in original.into_iter().enumerate() {
                        let Some(om) = o.as_object() else {
                            return Err(SmpError::Internal(format!(
                                "value for key {i} is not a map."
                            )));
                        };
                        if om.get(key) != Some(&mv) {
                            kept.push(o);
                        }
                    }
                    original = kept;
                }
                Some("replace") => replace = true,
                Some("merge") => {
                    return Err(SmpError::Internal(
                        "merging lists cannot yet be specified in the patch".into(),
                    ))
                }
                _ => return Err(bad_patch_type(d, m)),
            },
        }
    }
    if replace {
        return Ok((plain, Vec::new()));
    }
    Ok((original, plain))
}

fn find_by_key(list: &[Value], key: &str, value: &Value) -> R<Option<usize>> {
    for (i, v) in list.iter().enumerate() {
        let m = v
            .as_object()
            .ok_or_else(|| SmpError::Internal(format!("value for key {i} is not a map.")))?;
        if m.get(key) == Some(value) {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

/// `mergeSliceWithoutSpecialElements`.
fn merge_without_special_elements(
    mut original: Vec<Value>,
    patch: &[Value],
    key: &str,
    elem_ty: Ty,
) -> R<Vec<Value>> {
    for v in patch {
        let Some(m) = v.as_object() else {
            return Err(SmpError::Internal(
                "expected a map in a merging list".into(),
            ));
        };
        let mv = m.get(key).ok_or_else(|| no_merge_key(m, key))?;
        match find_by_key(&original, key, mv)? {
            Some(i) => {
                let o = match std::mem::take(&mut original[i]) {
                    Value::Object(o) => o,
                    _ => Map::new(),
                };
                original[i] = Value::Object(merge_map(o, m.clone(), elem_ty)?);
            }
            None => original.push(v.clone()),
        }
    }
    Ok(original)
}

/// Splits `items` into those present in `by` and the server-only rest.
fn partition(items: &[Value], by: &[Value], key: &str) -> R<(Vec<Value>, Vec<Value>)> {
    let (mut present, mut server_only) = (Vec::new(), Vec::new());
    for v in items {
        let found = if key.is_empty() {
            by.contains(v)
        } else {
            let m = v
                .as_object()
                .ok_or_else(|| SmpError::Internal("expected a map in a merging list".into()))?;
            let mv = m.get(key).ok_or_else(|| no_merge_key(m, key))?;
            find_by_key(by, key, mv)?.is_some()
        };
        if found {
            present.push(v.clone());
        } else {
            server_only.push(v.clone());
        }
    }
    Ok((present, server_only))
}

/// `index`: the position of `v` in `l`, by merge key for maps.
fn index(l: &[Value], v: &Value, key: &str, is_map: bool) -> Option<usize> {
    if is_map {
        let want = v.as_object().and_then(|m| m.get(key));
        l.iter()
            .position(|x| x.as_object().and_then(|m| m.get(key)) == want)
    } else {
        l.iter().position(|x| x == v)
    }
}

/// `normalizeSliceOrder`: a stable insertion sort by `order` (the
/// comparator, like Go's, calls unknown items "less").
fn normalize_slice_order(
    to_sort: Vec<Value>,
    order: &[Value],
    key: &str,
    is_map: bool,
) -> R<Vec<Value>> {
    let (mut to_sort, to_delete) = if is_map {
        for v in to_sort.iter().chain(order.iter()) {
            let m = v
                .as_object()
                .ok_or_else(|| SmpError::Internal("expected a map in a merging list".into()))?;
            if !m.contains_key(key) {
                return Err(no_merge_key(m, key));
            }
        }
        to_sort
            .into_iter()
            .partition(|v| v.get(DIRECTIVE).and_then(Value::as_str) != Some("delete"))
    } else {
        (to_sort, Vec::new())
    };
    let less =
        |a: &Value, b: &Value| match (index(order, a, key, is_map), index(order, b, key, is_map)) {
            (Some(i), Some(j)) => i < j,
            _ => true,
        };
    for i in 1..to_sort.len() {
        let mut j = i;
        while j > 0 && less(&to_sort[j], &to_sort[j - 1]) {
            to_sort.swap(j, j - 1);
            j -= 1;
        }
    }
    let mut to_sort: Vec<Value> = to_sort;
    to_sort.extend(to_delete);
    Ok(to_sort)
}

/// `normalizeElementOrder` + `mergeSortedSlice`.
fn normalize_element_order(
    patch: Vec<Value>,
    server_only: Vec<Value>,
    patch_order: &[Value],
    server_order: &[Value],
    key: &str,
    is_map: bool,
) -> R<Vec<Value>> {
    let right = normalize_slice_order(patch, patch_order, key, is_map)?;
    let left = normalize_slice_order(server_only, server_order, key, is_map)?;
    let size = left.len() + right.len();
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(size);
    for _ in 0..size {
        if i >= left.len() && j < right.len() {
            out.push(right[j].clone());
            j += 1;
        } else if j >= right.len() && i < left.len() {
            out.push(left[i].clone());
            i += 1;
        } else {
            let li = index(server_order, &left[i], key, is_map);
            let ri = index(server_order, &right[j], key, is_map);
            match (li, ri) {
                (Some(a), Some(b)) if a < b => {
                    out.push(left[i].clone());
                    i += 1;
                }
                _ => {
                    out.push(right[j].clone());
                    j += 1;
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deploy() -> Ty {
        schema::root("apps", "Deployment")
    }

    fn containers(v: &Value) -> &Value {
        &v["spec"]["template"]["spec"]["containers"]
    }

    fn dep(cs: Value) -> Value {
        json!({"spec": {"template": {"spec": {"containers": cs}}}})
    }

    #[test]
    fn containers_merge_by_name() {
        let orig = dep(json!([{"name": "c", "image": "a"}]));
        let patch = dep(
            json!([{"name": "c", "env": [{"name": "E", "value": "1"}]}, {"name": "side", "image": "s"}]),
        );
        let out = apply(orig, patch, deploy()).unwrap();
        assert_eq!(
            containers(&out),
            &json!([{"name": "c", "image": "a", "env": [{"name": "E", "value": "1"}]}, {"name": "side", "image": "s"}])
        );
    }

    #[test]
    fn delete_directive_removes_an_element() {
        let orig = dep(json!([{"name": "c", "image": "a"}, {"name": "side", "image": "s"}]));
        let patch = dep(json!([{"name": "side", "$patch": "delete"}]));
        let out = apply(orig, patch, deploy()).unwrap();
        assert_eq!(containers(&out), &json!([{"name": "c", "image": "a"}]));
    }

    #[test]
    fn replace_directive_in_a_list_and_a_map() {
        let orig = dep(json!([{"name": "c", "image": "a"}, {"name": "d", "image": "b"}]));
        let patch = dep(json!([{"name": "x", "image": "y"}, {"$patch": "replace"}]));
        let out = apply(orig, patch, deploy()).unwrap();
        assert_eq!(containers(&out), &json!([{"name": "x", "image": "y"}]));
        let cm = json!({"data": {"a": "1", "b": "2"}});
        let out = apply(
            cm,
            json!({"data": {"c": "3", "$patch": "replace"}}),
            schema::root("", "ConfigMap"),
        )
        .unwrap();
        assert_eq!(out, json!({"data": {"c": "3"}}));
        let out = apply(
            json!({"data": {"a": "1"}}),
            json!({"data": {"$patch": "delete"}}),
            Ty::Unknown,
        )
        .unwrap();
        assert_eq!(out, json!({"data": {}}));
    }

    #[test]
    fn lists_without_strategy_are_replaced_and_nulls_delete() {
        let orig = dep(json!([{"name": "c", "image": "a", "args": ["1", "2"]}]));
        let patch = dep(json!([{"name": "c", "args": ["3"], "image": null}]));
        let out = apply(orig, patch, deploy()).unwrap();
        assert_eq!(containers(&out), &json!([{"name": "c", "args": ["3"]}]));
    }

    #[test]
    fn scalar_sets_merge_and_delete_from_primitive_list() {
        let t = schema::root("", "ConfigMap");
        let orig = json!({"metadata": {"finalizers": ["a", "b"]}});
        let out = apply(
            orig.clone(),
            json!({"metadata": {"finalizers": ["c", "a"]}}),
            t,
        )
        .unwrap();
        assert_eq!(out["metadata"]["finalizers"], json!(["c", "a", "b"]));
        let out = apply(
            orig,
            json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}),
            t,
        )
        .unwrap();
        assert_eq!(out["metadata"]["finalizers"], json!(["b"]));
    }

    #[test]
    fn set_element_order_reorders() {
        let orig = dep(json!([{"name": "a"}, {"name": "b"}, {"name": "c"}]));
        let mut patch = dep(json!([{"name": "b", "image": "x"}]));
        patch["spec"]["template"]["spec"]["$setElementOrder/containers"] =
            json!([{"name": "c"}, {"name": "b"}, {"name": "a"}]);
        let out = apply(orig, patch, deploy()).unwrap();
        let names: Vec<&str> = containers(&out)
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["c", "b", "a"]);
    }

    #[test]
    fn retain_keys_clears_other_fields() {
        let orig = json!({"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}});
        let patch = json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}});
        let out = apply(orig, patch, deploy()).unwrap();
        assert_eq!(out["spec"]["strategy"], json!({"type": "Recreate"}));
        let bad = json!({"spec": {"strategy": {"$retainKeys": ["type"], "other": 1}}});
        assert_eq!(
            apply(json!({"spec": {"strategy": {}}}), bad, deploy()),
            Err(SmpError::BadRequest(
                "invalid patch format of retainKeys".into()
            ))
        );
    }

    #[test]
    fn errors_are_classified() {
        let patch = dep(json!([{"image": "no-name"}]));
        let orig = dep(json!([{"name": "c"}]));
        assert!(
            matches!(apply(orig, patch, deploy()), Err(SmpError::Internal(m)) if m.contains("does not contain declared merge key: name"))
        );
        let e = apply(
            json!({"data": {"a": 1}}),
            json!({"data": {"$patch": "bogus"}}),
            Ty::Unknown,
        );
        assert_eq!(
            e,
            Err(SmpError::Internal(
                "unknown patch type: bogus in map: map[$patch:bogus]".into()
            ))
        );
        let orig = json!({"metadata": {"finalizers": []}});
        let e = apply(
            orig,
            json!({"metadata": {"finalizers": [["x"]]}}),
            schema::root("", "Pod"),
        );
        assert!(matches!(e, Err(SmpError::Unprocessable(_))));
        assert_eq!(
            dedupe_scalars(vec![json!(1), json!(2), json!(1), json!(3)]),
            vec![json!(1), json!(2), json!(3)]
        );
    }
}
