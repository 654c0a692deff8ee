//! CustomResourceDefinitions and the custom resources they define.
//!
//! What the apiextensions-apiserver does in a real kube-apiserver, in one
//! place:
//! - the CRD strategy (`pkg/registry/customresourcedefinition/strategy.go`):
//!   v1 defaults, `status` reset on create (`storedVersions` = the storage
//!   version), and validation (`pkg/apis/apiextensions/validation/validation.go`)
//!   with its messages;
//! - the naming and establishing controllers: a stored CRD gets
//!   `status.acceptedNames` and the `NamesAccepted` / `Established`
//!   conditions, and each served version is registered at once so discovery
//!   and the API serve it ([`on_crd_change`]);
//! - deletion (`customresourcedefinition/etcd.go` `Delete` and the finalizer
//!   controller): the CRD is marked `Terminating` with the
//!   `customresourcecleanup.apiextensions.k8s.io` finalizer, its objects are
//!   deleted, then the finalizer goes and the CRD with it ([`begin_delete`],
//!   [`finish_delete`]);
//! - the custom resource strategy (`pkg/registry/customresource/strategy.go`):
//!   structural pruning of unknown fields ([`prune`]), schema validation
//!   (types, required, enum), `generation`, the status subresource, and the
//!   Table columns from `additionalPrinterColumns` ([`printer_columns`]).
//!
//! Conversion between versions is `None` (all versions share the stored
//! object; only `apiVersion` changes).

use crate::api::objects::validation::{is_dns1123_subdomain, FieldCause};
use crate::api::query::go_quote;
use crate::api::ApiState;
use crate::meta::time::now_rfc3339;
use crate::registry::{GroupVersionKind, ResourceDef, SubresourceDef};
use crate::store::{GroupResource, Mutation, ObjectKey, ReadAt};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The group of CustomResourceDefinitions.
pub(crate) const GROUP: &str = "apiextensions.k8s.io";
/// The resource of CustomResourceDefinitions.
pub(crate) const RESOURCE: &str = "customresourcedefinitions";
/// The finalizer the CRD's REST `Delete` adds.
pub(crate) const CLEANUP_FINALIZER: &str = "customresourcecleanup.apiextensions.k8s.io";

/// Verbs of a custom resource, in the order the real server lists them
/// (`discovery_controller.go`: not sorted).
const CR_VERBS: &[&str] = &[
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "create",
    "update",
    "watch",
];

/// Whether `group`/`resource` is the CRD resource itself.
pub(crate) fn is_crd(group: &str, resource: &str) -> bool {
    group == GROUP && resource == RESOURCE
}

/// Whether a registry entry is a custom resource: only CRD-registered
/// entries carry their own group/version in `response_kind` (built-ins have
/// them empty, as aggregated discovery shows them).
pub(crate) fn is_custom_resource(def: &ResourceDef) -> bool {
    !def.response_kind.version.is_empty() && !is_crd(&def.group, &def.resource)
}

fn crd_gr() -> GroupResource {
    GroupResource::new(GROUP, RESOURCE)
}

/// The stored CRD that defines `def`, if `def` is a custom resource.
pub(crate) fn crd_for(state: &ApiState, def: &ResourceDef) -> Option<Arc<Value>> {
    if !is_custom_resource(def) {
        return None;
    }
    // From the registry, not the store: this runs inside store mutations.
    state
        .registry()
        .definition(&format!("{}.{}", def.resource, def.group))
}

// ---------------------------------------------------------------------------
// Small JSON helpers
// ---------------------------------------------------------------------------

fn s<'v>(v: &'v Value, path: &[&str]) -> &'v str {
    get(v, path).and_then(Value::as_str).unwrap_or("")
}

fn get<'v>(v: &'v Value, path: &[&str]) -> Option<&'v Value> {
    let mut cur = v;
    for k in path {
        cur = cur.get(*k)?;
    }
    Some(cur)
}

fn arr<'v>(v: &'v Value, path: &[&str]) -> &'v [Value] {
    get(v, path)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn strings(v: &Value, path: &[&str]) -> Vec<String> {
    arr(v, path)
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect()
}

/// A simple JSONPath (`.spec.replicas`, `.status.x`) into `v`.
pub(crate) fn json_path<'v>(v: &'v Value, path: &str) -> Option<&'v Value> {
    let p = path.trim().trim_start_matches('.');
    if p.is_empty() {
        return Some(v);
    }
    let mut cur = v;
    for k in p.split('.') {
        cur = cur.get(k)?;
    }
    Some(cur)
}

/// Sets a simple JSONPath, creating objects on the way.
pub(crate) fn set_json_path(v: &mut Value, path: &str, value: Value) {
    let parts: Vec<&str> = path
        .trim()
        .trim_start_matches('.')
        .split('.')
        .filter(|p| !p.is_empty())
        .collect();
    let Some((last, head)) = parts.split_last() else {
        return;
    };
    let mut cur = v;
    for k in head {
        if !cur.get(*k).is_some_and(Value::is_object) {
            if let Some(m) = cur.as_object_mut() {
                m.insert((*k).to_string(), json!({}));
            }
        }
        match cur.get_mut(*k) {
            Some(next) => cur = next,
            None => return,
        }
    }
    if let Some(m) = cur.as_object_mut() {
        m.insert((*last).to_string(), value);
    }
}

// ---------------------------------------------------------------------------
// field.Error constructors
// ---------------------------------------------------------------------------

fn fc(reason: &'static str, field: impl Into<String>, message: String) -> FieldCause {
    FieldCause {
        reason,
        field: field.into(),
        message,
    }
}

fn required(field: impl Into<String>, detail: &str) -> FieldCause {
    let message = if detail.is_empty() {
        "Required value".to_string()
    } else {
        format!("Required value: {detail}")
    };
    fc("FieldValueRequired", field, message)
}

fn invalid(field: impl Into<String>, value: &str, detail: &str) -> FieldCause {
    fc(
        "FieldValueInvalid",
        field,
        format!("Invalid value: {value}: {detail}"),
    )
}

fn not_supported(field: impl Into<String>, value: &str, supported: &[&str]) -> FieldCause {
    let list: Vec<String> = supported.iter().map(|v| go_quote(v)).collect();
    fc(
        "FieldValueNotSupported",
        field,
        format!(
            "Unsupported value: {value}: supported values: {}",
            list.join(", ")
        ),
    )
}

fn forbidden(field: impl Into<String>, detail: &str) -> FieldCause {
    fc("FieldValueForbidden", field, format!("Forbidden: {detail}"))
}

/// `RegexError` (`apimachinery/pkg/util/validation/validation.go`).
fn regex_error(msg: &str, fmt: &str, examples: &[&str]) -> String {
    let mut out = format!("{msg} (e.g. ");
    for (i, e) in examples.iter().enumerate() {
        if i > 0 {
            out.push_str(" or ");
        }
        out.push_str(&format!("'{e}', "));
    }
    out.push_str(&format!("regex used for validation is '{fmt}')"));
    out
}

/// `IsDNS1035Label`.
pub(crate) fn is_dns1035_label(v: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if v.len() > 63 {
        errs.push("must be no more than 63 characters".to_string());
    }
    let b = v.as_bytes();
    let ok = !b.is_empty()
        && b[0].is_ascii_lowercase()
        && (b[b.len() - 1].is_ascii_lowercase() || b[b.len() - 1].is_ascii_digit())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-');
    if !ok {
        errs.push(regex_error(
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
            "[a-z]([-a-z0-9]*[a-z0-9])?",
            &["my-name", "abc-123"],
        ));
    }
    errs
}

// ---------------------------------------------------------------------------
// CRD strategy: defaults, status, validation
// ---------------------------------------------------------------------------

/// The version marked `storage: true` (the first, if several are).
pub(crate) fn storage_version(crd: &Value) -> Option<String> {
    arr(crd, &["spec", "versions"])
        .iter()
        .find(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
        .map(|v| s(v, &["name"]).to_string())
}

/// v1 defaulting (`apis/apiextensions/v1/defaults.go`): `singular` is the
/// lower-cased kind, `listKind` is kind + `List`, `conversion.strategy` is
/// `None`.
pub(crate) fn default_crd(crd: &mut Value) {
    let kind = s(crd, &["spec", "names", "kind"]).to_string();
    if let Some(names) = crd
        .get_mut("spec")
        .and_then(|sp| sp.get_mut("names"))
        .and_then(Value::as_object_mut)
    {
        if !kind.is_empty() {
            if names
                .get("singular")
                .and_then(Value::as_str)
                .unwrap_or("")
                .is_empty()
            {
                names.insert("singular".into(), json!(kind.to_ascii_lowercase()));
            }
            if names
                .get("listKind")
                .and_then(Value::as_str)
                .unwrap_or("")
                .is_empty()
            {
                names.insert("listKind".into(), json!(format!("{kind}List")));
            }
        }
    }
    if let Some(spec) = crd.get_mut("spec").and_then(Value::as_object_mut) {
        let conv = spec.entry("conversion").or_insert_with(|| json!({}));
        if let Some(c) = conv.as_object_mut() {
            if c.get("strategy")
                .and_then(Value::as_str)
                .unwrap_or("")
                .is_empty()
            {
                c.insert("strategy".into(), json!("None"));
            }
        }
    }
}

/// `PrepareForCreate`: the status starts empty but for the storage version
/// in `storedVersions`.
/// UNVERIFIED: `conditions` written as `null` (the v1 field has no
/// `omitempty` and the strategy leaves it nil).
pub(crate) fn prepare_create(crd: &mut Value) {
    default_crd(crd);
    let stored: Vec<String> = storage_version(crd).into_iter().collect();
    if let Some(m) = crd.as_object_mut() {
        m.insert(
            "status".into(),
            json!({
                "conditions": null,
                "acceptedNames": {"plural": "", "kind": ""},
                "storedVersions": stored,
            }),
        );
    }
}

/// `PrepareForUpdate`: the status is carried over (by the caller); a new
/// storage version joins `storedVersions`.
pub(crate) fn prepare_update(crd: &mut Value) {
    default_crd(crd);
    let Some(sv) = storage_version(crd) else {
        return;
    };
    let status = crd
        .as_object_mut()
        .map(|m| m.entry("status").or_insert_with(|| json!({})));
    if let Some(st) = status.and_then(Value::as_object_mut) {
        let list = st.entry("storedVersions").or_insert_with(|| json!([]));
        if !list.is_array() {
            *list = json!([]);
        }
        if let Some(a) = list.as_array_mut() {
            if !a.iter().any(|v| v.as_str() == Some(sv.as_str())) {
                a.push(json!(sv));
            }
        }
    }
}

/// Go's `%#v` of the internal `[]apiextensions.CustomResourceDefinitionVersion`,
/// as `field.Invalid` prints it for `spec.versions`. Identical per-version
/// schemas, subresources and columns are hoisted to the top level by the
/// v1 conversion, so they print as nil; differing ones are pointers.
/// UNVERIFIED: pointer addresses (`0xc000000000`) cannot match the real ones.
fn go_versions(crd: &Value) -> String {
    let versions = arr(crd, &["spec", "versions"]);
    if versions.is_empty() {
        return "[]apiextensions.CustomResourceDefinitionVersion(nil)".into();
    }
    let identical = |key: &str| {
        let first = versions[0].get(key);
        first.is_some_and(|f| !f.is_null()) && versions.iter().all(|v| v.get(key) == first)
    };
    let (schema_hoisted, sub_hoisted, cols_hoisted) = (
        identical("schema"),
        identical("subresources"),
        identical("additionalPrinterColumns"),
    );
    let ptr = |present: bool, ty: &str| {
        if present {
            format!("(*apiextensions.{ty})(0xc000000000)")
        } else {
            format!("(*apiextensions.{ty})(nil)")
        }
    };
    let items: Vec<String> = versions
        .iter()
        .map(|v| {
            let b = |k: &str| v.get(k).and_then(Value::as_bool).unwrap_or(false);
            let dw = if v.get("deprecationWarning").is_some_and(Value::is_string) {
                "(*string)(0xc000000000)"
            } else {
                "(*string)(nil)"
            };
            let schema = ptr(
                !schema_hoisted && v.get("schema").is_some_and(|x| !x.is_null()),
                "CustomResourceValidation",
            );
            let subs = ptr(
                !sub_hoisted && v.get("subresources").is_some_and(|x| !x.is_null()),
                "CustomResourceSubresources",
            );
            let cols = arr(v, &["additionalPrinterColumns"]);
            let cols = if cols_hoisted || cols.is_empty() {
                "[]apiextensions.CustomResourceColumnDefinition(nil)".to_string()
            } else {
                let c: Vec<String> = cols
                    .iter()
                    .map(|c| {
                        format!(
                            "apiextensions.CustomResourceColumnDefinition{{Name:{}, Type:{}, Format:{}, Description:{}, Priority:{}, JSONPath:{}}}",
                            go_quote(s(c, &["name"])),
                            go_quote(s(c, &["type"])),
                            go_quote(s(c, &["format"])),
                            go_quote(s(c, &["description"])),
                            c.get("priority").and_then(Value::as_i64).unwrap_or(0),
                            go_quote(s(c, &["jsonPath"])),
                        )
                    })
                    .collect();
                format!(
                    "[]apiextensions.CustomResourceColumnDefinition{{{}}}",
                    c.join(", ")
                )
            };
            let sel = arr(v, &["selectableFields"]);
            let sel = if sel.is_empty() {
                "[]apiextensions.SelectableField(nil)".to_string()
            } else {
                let f: Vec<String> = sel
                    .iter()
                    .map(|f| {
                        format!(
                            "apiextensions.SelectableField{{JSONPath:{}}}",
                            go_quote(s(f, &["jsonPath"]))
                        )
                    })
                    .collect();
                format!("[]apiextensions.SelectableField{{{}}}", f.join(", "))
            };
            format!(
                "apiextensions.CustomResourceDefinitionVersion{{Name:{}, Served:{}, Storage:{}, Deprecated:{}, DeprecationWarning:{dw}, Schema:{schema}, Subresources:{subs}, AdditionalPrinterColumns:{cols}, SelectableFields:{sel}}}",
                go_quote(s(v, &["name"])),
                b("served"),
                b("storage"),
                b("deprecated"),
            )
        })
        .collect();
    format!(
        "[]apiextensions.CustomResourceDefinitionVersion{{{}}}",
        items.join(", ")
    )
}

fn validate_names(errs: &mut Vec<FieldCause>, names: &Value, path: &str) {
    let plural = s(names, &["plural"]);
    let check = |errs: &mut Vec<FieldCause>, field: &str, v: &str, prefix: &str, lower: bool| {
        let probe = if lower {
            v.to_ascii_lowercase()
        } else {
            v.to_string()
        };
        let e = is_dns1035_label(&probe);
        if !v.is_empty() && !e.is_empty() {
            errs.push(invalid(
                format!("{path}.{field}"),
                &go_quote(v),
                &format!("{prefix}{}", e.join(",")),
            ));
        }
    };
    check(errs, "plural", plural, "", false);
    check(errs, "singular", s(names, &["singular"]), "", false);
    let mixed = "may have mixed case, but should otherwise match: ";
    check(errs, "kind", s(names, &["kind"]), mixed, true);
    check(errs, "listKind", s(names, &["listKind"]), mixed, true);
    for (i, sn) in strings(names, &["shortNames"]).iter().enumerate() {
        let e = is_dns1035_label(sn);
        if !e.is_empty() {
            errs.push(invalid(
                format!("{path}.shortNames[{i}]"),
                &go_quote(sn),
                &e.join(","),
            ));
        }
    }
    let kind = s(names, &["kind"]);
    if !kind.is_empty() && kind == s(names, &["listKind"]) {
        errs.push(invalid(
            format!("{path}.listKind"),
            &go_quote(kind),
            "kind and listKind may not be the same",
        ));
    }
    for (i, c) in strings(names, &["categories"]).iter().enumerate() {
        let e = is_dns1035_label(c);
        if !e.is_empty() {
            errs.push(invalid(
                format!("{path}.categories[{i}]"),
                &go_quote(c),
                &e.join(","),
            ));
        }
    }
}

/// The structural-schema checks kubemock makes (a subset of
/// `structuralschema.ValidateStructural`): types present where required.
fn validate_schema(errs: &mut Vec<FieldCause>, schema: &Value, path: &str, root: bool) {
    let ty = s(schema, &["type"]);
    let preserve = schema
        .get("x-kubernetes-preserve-unknown-fields")
        .and_then(Value::as_bool)
        == Some(true);
    let int_or_string = schema
        .get("x-kubernetes-int-or-string")
        .and_then(Value::as_bool)
        == Some(true);
    if root {
        if ty.is_empty() {
            errs.push(required(
                format!("{path}.type"),
                "must not be empty at the root",
            ));
        } else if ty != "object" {
            errs.push(invalid(
                format!("{path}.type"),
                &go_quote(ty),
                "must be object at the root",
            ));
        }
    } else if ty.is_empty() && !preserve && !int_or_string {
        errs.push(required(
            format!("{path}.type"),
            "must not be empty for specified object fields",
        ));
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        let mut keys: Vec<&String> = props.keys().collect();
        keys.sort();
        for k in keys {
            validate_schema(errs, &props[k], &format!("{path}.properties[{k}]"), false);
        }
    }
    if let Some(items) = schema.get("items").filter(|i| i.is_object()) {
        validate_schema(errs, items, &format!("{path}.items"), false);
    }
    if let Some(ap) = schema.get("additionalProperties").filter(|i| i.is_object()) {
        if schema
            .get("properties")
            .is_some_and(|p| p.as_object().is_some_and(|m| !m.is_empty()))
        {
            errs.push(forbidden(
                format!("{path}.additionalProperties"),
                "additionalProperties and properties are mutual exclusive",
            ));
        }
        validate_schema(errs, ap, &format!("{path}.additionalProperties"), false);
    }
}

/// Validates a CRD (`ValidateCustomResourceDefinition`, and with `old` the
/// update rules), in the real server's order.
pub(crate) fn validate(crd: &Value, old: Option<&Value>) -> Vec<FieldCause> {
    let mut errs = Vec::new();
    let spec = crd.get("spec").cloned().unwrap_or_else(|| json!({}));
    let group = s(&spec, &["group"]);
    let plural = s(&spec, &["names", "plural"]);
    // metadata.name (ValidateObjectMeta with the CRD's name function):
    // the name rule of the generic create validation reported any DNS
    // error already; the CRD adds its own.
    if old.is_none() {
        let name = s(crd, &["metadata", "name"]);
        if !name.is_empty() && name != format!("{plural}.{group}") {
            errs.push(invalid(
                "metadata.name",
                &go_quote(name),
                "must be spec.names.plural+\".\"+spec.group",
            ));
        }
    }
    // spec.group
    if group.is_empty() {
        errs.push(required("spec.group", ""));
    } else {
        let e = is_dns1123_subdomain(group);
        if !e.is_empty() {
            errs.push(invalid("spec.group", &go_quote(group), &e.join(",")));
        } else if group.split('.').count() < 2 {
            errs.push(invalid(
                "spec.group",
                &go_quote(group),
                "should be a domain with at least one dot",
            ));
        }
    }
    // spec.scope
    let scope = s(&spec, &["scope"]);
    if scope.is_empty() {
        errs.push(required("spec.scope", ""));
    } else if scope != "Cluster" && scope != "Namespaced" {
        errs.push(not_supported(
            "spec.scope",
            &go_quote(scope),
            &["Cluster", "Namespaced"],
        ));
    }
    let preserve_unknown = spec.get("preserveUnknownFields").and_then(Value::as_bool) == Some(true);
    let versions = arr(&spec, &["versions"]);
    // Schemas: required in v1 for every version.
    for (i, v) in versions.iter().enumerate() {
        if get(v, &["schema", "openAPIV3Schema"]).is_none_or(Value::is_null) {
            errs.push(required(
                format!("spec.versions[{i}].schema.openAPIV3Schema"),
                "schemas are required",
            ));
        }
    }
    let mut storage = 0;
    let mut seen = std::collections::HashSet::new();
    let mut unique = true;
    // The v1 conversion hoists per-version fields identical in every
    // version to the top level; errors then name the top-level path.
    let columns_hoisted = !versions.is_empty()
        && !arr(&versions[0], &["additionalPrinterColumns"]).is_empty()
        && versions.iter().all(|v| {
            v.get("additionalPrinterColumns") == versions[0].get("additionalPrinterColumns")
        });
    let schemas_hoisted = !versions.is_empty()
        && versions.iter().all(|v| {
            v.get("schema").is_some_and(|x| !x.is_null())
                && v.get("schema") == versions[0].get("schema")
        });
    for (i, v) in versions.iter().enumerate() {
        if v.get("storage").and_then(Value::as_bool) == Some(true) {
            storage += 1;
        }
        let name = s(v, &["name"]);
        if !seen.insert(name.to_string()) {
            unique = false;
        }
        let e = is_dns1035_label(name);
        if !e.is_empty() {
            errs.push(invalid(
                format!("spec.versions[{i}].name"),
                &go_quote(name),
                &e.join(","),
            ));
        }
        if !schemas_hoisted {
            if let Some(schema) = get(v, &["schema", "openAPIV3Schema"]).filter(|x| x.is_object()) {
                validate_schema(
                    &mut errs,
                    schema,
                    &format!("spec.versions[{i}].schema.openAPIV3Schema"),
                    true,
                );
            }
        }
        if !columns_hoisted {
            for (j, c) in arr(v, &["additionalPrinterColumns"]).iter().enumerate() {
                validate_column(
                    &mut errs,
                    c,
                    &format!("spec.versions[{i}].additionalPrinterColumns[{j}]"),
                );
            }
        }
    }
    if !unique {
        errs.push(invalid(
            "spec.versions",
            &go_versions(crd),
            "must contain unique version names",
        ));
    }
    if storage != 1 {
        errs.push(invalid(
            "spec.versions",
            &go_versions(crd),
            "must have exactly one version marked as storage version",
        ));
    }
    for (field, detail) in [
        ("plural", ""),
        ("singular", ""),
        ("kind", ""),
        ("listKind", ""),
    ] {
        if s(&spec, &["names", field]).is_empty() {
            errs.push(required(format!("spec.names.{field}"), detail));
        }
    }
    validate_names(
        &mut errs,
        spec.get("names").unwrap_or(&Value::Null),
        "spec.names",
    );
    if schemas_hoisted {
        if let Some(schema) =
            get(&versions[0], &["schema", "openAPIV3Schema"]).filter(|x| x.is_object())
        {
            validate_schema(&mut errs, schema, "spec.validation.openAPIV3Schema", true);
        }
    }
    if columns_hoisted {
        for (j, c) in arr(&versions[0], &["additionalPrinterColumns"])
            .iter()
            .enumerate()
        {
            validate_column(&mut errs, c, &format!("spec.additionalPrinterColumns[{j}]"));
        }
    }
    let strategy = s(&spec, &["conversion", "strategy"]);
    if !strategy.is_empty() && strategy != "None" && strategy != "Webhook" {
        errs.push(not_supported(
            "spec.conversion.strategy",
            &go_quote(strategy),
            &["None", "Webhook"],
        ));
    }
    if let Some(old) = old {
        let established = arr(old, &["status", "conditions"])
            .iter()
            .any(|c| s(c, &["type"]) == "Established" && s(c, &["status"]) == "True");
        let old_spec = old.get("spec").cloned().unwrap_or_else(|| json!({}));
        let immutable = |errs: &mut Vec<FieldCause>, field: &str, path: &[&str]| {
            let (a, b) = (s(&spec, path), s(&old_spec, path));
            if a != b {
                errs.push(invalid(field, &go_quote(a), "field is immutable"));
            }
        };
        if established {
            immutable(&mut errs, "spec.scope", &["scope"]);
            immutable(&mut errs, "spec.names.kind", &["names", "kind"]);
        }
        immutable(&mut errs, "spec.group", &["group"]);
        immutable(&mut errs, "spec.names.plural", &["names", "plural"]);
    }
    if let Some(status) = crd.get("status") {
        if let Some(names) = status.get("acceptedNames") {
            validate_names(&mut errs, names, "status.acceptedNames");
        }
        if old.is_some() {
            let stored = strings(status, &["storedVersions"]);
            let names: Vec<&str> = versions.iter().map(|v| s(v, &["name"])).collect();
            for (i, sv) in stored.iter().enumerate() {
                if !names.contains(&sv.as_str()) {
                    errs.push(invalid(
                        format!("status.storedVersions[{i}]"),
                        &go_quote(sv),
                        &format!("missing from spec.versions; {sv} was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in {sv} and removes {sv} from status.storedVersions"),
                    ));
                }
            }
        }
    }
    // validateAPIApproval: protected groups need the approval annotation.
    if is_protected_group(group)
        && get(
            crd,
            &["metadata", "annotations", "api-approved.kubernetes.io"],
        )
        .is_none()
    {
        errs.push(required(
            "metadata.annotations[api-approved.kubernetes.io]",
            "protected groups must have approval annotation \"api-approved.kubernetes.io\", see https://github.com/kubernetes/enhancements/pull/1111",
        ));
    }
    if preserve_unknown {
        errs.push(invalid(
            "spec.preserveUnknownFields",
            "true",
            "cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead",
        ));
    }
    errs
}

fn is_protected_group(group: &str) -> bool {
    group == "k8s.io"
        || group.ends_with(".k8s.io")
        || group == "kubernetes.io"
        || group.ends_with(".kubernetes.io")
}

/// `ValidateCustomResourceColumnDefinition`.
fn validate_column(errs: &mut Vec<FieldCause>, c: &Value, path: &str) {
    const TYPES: &str = "boolean,date,integer,number,string";
    if s(c, &["name"]).is_empty() {
        errs.push(required(format!("{path}.name"), ""));
    }
    let ty = s(c, &["type"]);
    if ty.is_empty() {
        errs.push(required(
            format!("{path}.type"),
            &format!("must be one of {TYPES}"),
        ));
    } else if !TYPES.split(',').any(|t| t == ty) {
        errs.push(invalid(
            format!("{path}.type"),
            &go_quote(ty),
            &format!("must be one of {TYPES}"),
        ));
    }
    if s(c, &["jsonPath"]).is_empty() {
        errs.push(required(format!("{path}.JSONPath"), ""));
    }
}

// ---------------------------------------------------------------------------
// Establishing: registry and status
// ---------------------------------------------------------------------------

/// `discovery.StorageVersionHash`: the first 8 bytes of
/// sha256("group/version/kind"), base64.
pub(crate) fn storage_version_hash(group: &str, version: &str, kind: &str) -> String {
    use base64::Engine;
    let sum = Sha256::digest(format!("{group}/{version}/{kind}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(&sum[..8])
}

/// The registry entries of a CRD, one per served version, named by its
/// accepted names.
pub(crate) fn resource_defs(crd: &Value) -> Vec<ResourceDef> {
    let names = get(crd, &["status", "acceptedNames"])
        .filter(|n| !s(n, &["plural"]).is_empty())
        .or_else(|| get(crd, &["spec", "names"]))
        .cloned()
        .unwrap_or_else(|| json!({}));
    let group = s(crd, &["spec", "group"]).to_string();
    let plural = s(&names, &["plural"]).to_string();
    let kind = s(&names, &["kind"]).to_string();
    if group.is_empty() || plural.is_empty() || kind.is_empty() {
        return Vec::new();
    }
    let singular = match s(&names, &["singular"]) {
        "" => kind.to_ascii_lowercase(),
        x => x.to_string(),
    };
    let storage = storage_version(crd).unwrap_or_default();
    let hash = storage_version_hash(&group, &storage, &kind);
    arr(crd, &["spec", "versions"])
        .iter()
        .filter(|v| v.get("served").and_then(Value::as_bool) == Some(true))
        .map(|v| {
            let version = s(v, &["name"]).to_string();
            let mut subresources = Vec::new();
            let subs = v.get("subresources").cloned().unwrap_or(Value::Null);
            if subs.get("scale").is_some_and(|x| !x.is_null()) {
                subresources.push(SubresourceDef {
                    name: "scale".into(),
                    kind: "Scale".into(),
                    response_kind: GroupVersionKind::new("autoscaling", "v1", "Scale"),
                    verbs: vec!["get".into(), "patch".into(), "update".into()],
                });
            }
            if subs.get("status").is_some_and(|x| !x.is_null()) {
                subresources.push(SubresourceDef {
                    name: "status".into(),
                    kind: kind.clone(),
                    response_kind: GroupVersionKind::new(&group, &version, &kind),
                    verbs: vec!["get".into(), "patch".into(), "update".into()],
                });
            }
            ResourceDef {
                group: group.clone(),
                version: version.clone(),
                resource: plural.clone(),
                kind: kind.clone(),
                singular: singular.clone(),
                namespaced: s(crd, &["spec", "scope"]) == "Namespaced",
                verbs: CR_VERBS.iter().map(|v| v.to_string()).collect(),
                short_names: strings(&names, &["shortNames"]),
                categories: strings(&names, &["categories"]),
                subresources,
                storage_version_hash: Some(hash.clone()),
                response_kind: GroupVersionKind::new(&group, &version, &kind),
            }
        })
        .collect()
}

/// Removes every registry entry of `group`/`plural` (all versions).
fn unregister(state: &ApiState, group: &str, plural: &str) {
    if group.is_empty() || plural.is_empty() {
        return;
    }
    let mut reg = state.registry.write().unwrap_or_else(|p| p.into_inner());
    reg.set_definition(&format!("{plural}.{group}"), None);
    for v in reg.versions(group) {
        if let Some(def) = reg
            .lookup(group, &v, plural)
            .filter(|d| is_custom_resource(d))
            .cloned()
        {
            reg.remove(group, &v, plural);
            crate::api::openapi::crd_schema_removed(group, &v, &def.kind);
        }
    }
}

/// Whether another CRD already serves `plural` or `kind` in `group`.
fn names_conflict(state: &ApiState, crd: &Value) -> Option<(String, String)> {
    let group = s(crd, &["spec", "group"]);
    let plural = s(crd, &["spec", "names", "plural"]);
    let kind = s(crd, &["spec", "names", "kind"]);
    let reg = state.registry();
    for v in reg.versions(group) {
        for r in reg.resources(group, &v) {
            if r.resource == plural {
                continue; // this CRD's own entry
            }
            if r.kind == kind {
                return Some((
                    "KindConflict".into(),
                    format!("{} is already in use", go_quote(kind)),
                ));
            }
            if r.short_names.iter().any(|sn| sn == plural) || r.singular == plural {
                return Some((
                    "PluralConflict".into(),
                    format!("{} is already in use", go_quote(plural)),
                ));
            }
        }
    }
    None
}

fn condition(ty: &str, status: &str, reason: &str, message: &str, now: &str) -> Value {
    json!({
        "type": ty,
        "status": status,
        "lastTransitionTime": now,
        "reason": reason,
        "message": message,
    })
}

/// Sets a condition, keeping `lastTransitionTime` when the status did not change.
fn set_condition(conds: &mut Vec<Value>, c: Value) {
    match conds
        .iter_mut()
        .find(|x| s(x, &["type"]) == s(&c, &["type"]))
    {
        Some(old) => {
            let mut c = c;
            if s(old, &["status"]) == s(&c, &["status"]) {
                if let Some(t) = old.get("lastTransitionTime").cloned() {
                    c["lastTransitionTime"] = t;
                }
            }
            *old = c;
        }
        None => conds.push(c),
    }
}

/// The status the naming and establishing controllers give a CRD.
fn established_status(state: &ApiState, crd: &Value) -> Value {
    let now = now_rfc3339();
    let mut status = crd.get("status").cloned().unwrap_or_else(|| json!({}));
    if !status.is_object() {
        status = json!({});
    }
    let mut conds: Vec<Value> = arr(&status, &["conditions"]).to_vec();
    match names_conflict(state, crd) {
        Some((reason, message)) => {
            set_condition(
                &mut conds,
                condition("NamesAccepted", "False", &reason, &message, &now),
            );
            if !conds.iter().any(|c| s(c, &["type"]) == "Established") {
                set_condition(
                    &mut conds,
                    condition(
                        "Established",
                        "False",
                        "NotAccepted",
                        "not all names are accepted",
                        &now,
                    ),
                );
            }
        }
        None => {
            let spec_names = get(crd, &["spec", "names"])
                .cloned()
                .unwrap_or_else(|| json!({}));
            // The accepted names as the naming controller writes them
            // (`CustomResourceDefinitionNames` field order, empty lists omitted).
            let mut names = Map::new();
            for k in [
                "plural",
                "singular",
                "shortNames",
                "kind",
                "listKind",
                "categories",
            ] {
                match spec_names.get(k) {
                    Some(Value::Array(a)) if a.is_empty() => {}
                    Some(v) if !v.is_null() => {
                        names.insert(k.into(), v.clone());
                    }
                    _ if k == "plural" || k == "kind" => {
                        names.insert(k.into(), json!(""));
                    }
                    _ => {}
                }
            }
            status["acceptedNames"] = Value::Object(names);
            set_condition(
                &mut conds,
                condition(
                    "NamesAccepted",
                    "True",
                    "NoConflicts",
                    "no conflicts found",
                    &now,
                ),
            );
            set_condition(
                &mut conds,
                condition(
                    "Established",
                    "True",
                    "InitialNamesAccepted",
                    "the initial names have been accepted",
                    &now,
                ),
            );
        }
    }
    // Keep a Terminating condition where the controllers put it: last.
    status["conditions"] = Value::Array(conds);
    status
}

/// After a CRD was stored (created or updated): the naming and establishing
/// controllers' work, then the served versions go into the registry.
/// A CRD being deleted is left to [`finish_delete`].
pub(crate) fn on_crd_change(state: &Arc<ApiState>, crd: &Value) {
    let name = s(crd, &["metadata", "name"]).to_string();
    if get(crd, &["metadata", "deletionTimestamp"]).is_some() {
        return;
    }
    let new_status = established_status(state, crd);
    let gr = crd_gr();
    let key = ObjectKey::new("", &name);
    let updated = state.store.mutate::<()>(&gr, &key, |cur, _| {
        let Some(cur) = cur else {
            return Ok(Mutation::Keep);
        };
        if cur.get("status") == Some(&new_status)
            || get(cur, &["metadata", "deletionTimestamp"]).is_some()
        {
            return Ok(Mutation::Keep);
        }
        let mut next = (**cur).clone();
        next["status"] = new_status.clone();
        Ok(Mutation::Put(next))
    });
    let current = match updated {
        Ok(Some(v)) => v,
        _ => match state.store.get(&gr, "", &name) {
            Some(v) => v,
            None => return,
        },
    };
    register(state, &current);
}

/// Puts a CRD's served versions into the registry (replacing what it had).
pub(crate) fn register(state: &ApiState, crd: &Value) {
    let accepted = arr(crd, &["status", "conditions"])
        .iter()
        .any(|c| s(c, &["type"]) == "NamesAccepted" && s(c, &["status"]) == "True");
    let group = s(crd, &["spec", "group"]);
    unregister(state, group, s(crd, &["spec", "names", "plural"]));
    unregister(state, group, s(crd, &["status", "acceptedNames", "plural"]));
    if !accepted {
        return;
    }
    let defs = resource_defs(crd);
    let mut reg = state.registry.write().unwrap_or_else(|p| p.into_inner());
    if let Some(first) = defs.first() {
        reg.set_definition(
            &format!("{}.{}", first.resource, first.group),
            Some(Arc::new(crd.clone())),
        );
    }
    for d in defs {
        reg.insert(d);
    }
    drop(reg);
    // OpenAPI: each served version's schema (kubectl validates and explains
    // custom resources with it).
    let kind = s(crd, &["spec", "names", "kind"]);
    for v in arr(crd, &["spec", "versions"]) {
        if v.get("served").and_then(Value::as_bool) != Some(true) {
            continue;
        }
        if let Some(schema) = v.pointer("/schema/openAPIV3Schema") {
            crate::api::openapi::crd_schema_registered(group, s(v, &["name"]), kind, schema);
        }
    }
}

// ---------------------------------------------------------------------------
// Deletion
// ---------------------------------------------------------------------------

/// The CRD's REST `Delete` on a CRD not yet being deleted: deletion
/// timestamp, the cleanup finalizer and the `Terminating` condition.
pub(crate) fn begin_delete(cur: &Value) -> Value {
    let mut next = cur.clone();
    let now = now_rfc3339();
    if let Some(meta) = next.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("deletionTimestamp".into(), json!(now));
        meta.insert("deletionGracePeriodSeconds".into(), json!(0));
        let g = meta.get("generation").and_then(Value::as_i64).unwrap_or(0);
        if g > 0 {
            meta.insert("generation".into(), json!(g + 1));
        }
        let f = meta.entry("finalizers").or_insert_with(|| json!([]));
        if let Some(a) = f.as_array_mut() {
            if !a.iter().any(|x| x.as_str() == Some(CLEANUP_FINALIZER)) {
                a.push(json!(CLEANUP_FINALIZER));
            }
        }
    }
    let mut conds: Vec<Value> = arr(&next, &["status", "conditions"]).to_vec();
    set_condition(
        &mut conds,
        condition(
            "Terminating",
            "True",
            "InstanceDeletionPending",
            "CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon",
            &now,
        ),
    );
    if !next.get("status").is_some_and(Value::is_object) {
        next["status"] = json!({});
    }
    next["status"]["conditions"] = Value::Array(conds);
    next
}

/// The finalizer controller: deletes every object of the CRD's resource,
/// stops serving it, then removes the cleanup finalizer (which deletes the
/// CRD when no other finalizer holds it).
pub(crate) fn finish_delete(state: &Arc<ApiState>, name: &str) {
    let gr = crd_gr();
    let Some(crd) = state.store.get(&gr, "", name) else {
        return;
    };
    let group = s(&crd, &["spec", "group"]).to_string();
    let plural = match s(&crd, &["status", "acceptedNames", "plural"]) {
        "" => s(&crd, &["spec", "names", "plural"]).to_string(),
        p => p.to_string(),
    };
    let cr_gr = GroupResource::new(&group, &plural);
    if let Ok(snap) = state.store.snapshot(&cr_gr, ReadAt::Latest) {
        for key in snap.objects.keys() {
            let _ = state.store.mutate::<()>(&cr_gr, key, |cur, _| {
                Ok(if cur.is_some() {
                    Mutation::Delete
                } else {
                    Mutation::Keep
                })
            });
        }
    }
    unregister(state, &group, &plural);
    let key = ObjectKey::new("", name);
    let _ = state.store.mutate::<()>(&gr, &key, |cur, _| {
        let Some(cur) = cur else {
            return Ok(Mutation::Keep);
        };
        let mut next = (**cur).clone();
        let mut left = 0;
        if let Some(a) = next
            .get_mut("metadata")
            .and_then(|m| m.get_mut("finalizers"))
            .and_then(Value::as_array_mut)
        {
            a.retain(|f| f.as_str() != Some(CLEANUP_FINALIZER));
            left = a.len();
        }
        if left == 0 {
            Ok(Mutation::Delete)
        } else {
            Ok(Mutation::Put(next))
        }
    });
}

/// After a CRD left the store (its last finalizer removed by an update):
/// nothing more is served for it.
pub(crate) fn on_crd_deleted(state: &Arc<ApiState>, crd: &Value) {
    let group = s(crd, &["spec", "group"]);
    unregister(state, group, s(crd, &["spec", "names", "plural"]));
    unregister(state, group, s(crd, &["status", "acceptedNames", "plural"]));
}

// ---------------------------------------------------------------------------
// Custom resources
// ---------------------------------------------------------------------------

/// The CRD's entry in `spec.versions` for `def.version`.
fn version_entry<'c>(crd: &'c Value, version: &str) -> Option<&'c Value> {
    arr(crd, &["spec", "versions"])
        .iter()
        .find(|v| s(v, &["name"]) == version)
}

/// The `additionalPrinterColumns` of a custom resource's version (for
/// `table::table`'s `custom`): `Some([])` when the CRD lists none (the
/// table then shows Name and Age), `None` for built-ins.
pub(crate) fn printer_columns(state: &ApiState, def: &ResourceDef) -> Option<Value> {
    let crd = crd_for(state, def)?;
    let v = version_entry(&crd, &def.version)?;
    Some(
        v.get("additionalPrinterColumns")
            .filter(|c| c.is_array())
            .cloned()
            .unwrap_or_else(|| json!([])),
    )
}

/// The scale subresource paths of a custom resource, if it has one.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ScalePaths {
    /// `specReplicasPath`.
    pub(crate) spec_replicas: String,
    /// `statusReplicasPath`.
    pub(crate) status_replicas: String,
    /// `labelSelectorPath`.
    pub(crate) label_selector: Option<String>,
}

/// The scale subresource of a custom resource's version.
pub(crate) fn scale_paths(state: &ApiState, def: &ResourceDef) -> Option<ScalePaths> {
    let crd = crd_for(state, def)?;
    let v = version_entry(&crd, &def.version)?;
    let sc = get(v, &["subresources", "scale"]).filter(|x| x.is_object())?;
    Some(ScalePaths {
        spec_replicas: s(sc, &["specReplicasPath"]).to_string(),
        status_replicas: s(sc, &["statusReplicasPath"]).to_string(),
        label_selector: sc
            .get("labelSelectorPath")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

/// Whether the main resource ignores `status` (the status subresource is
/// served): built-ins by their strategy, custom resources by their CRD.
pub(crate) fn status_semantics(def: &ResourceDef) -> bool {
    if is_custom_resource(def) {
        def.subresource("status").is_some()
    } else {
        crate::api::objects::defaults::has_status_subresource_semantics(&def.group, &def.resource)
    }
}

/// Whether `metadata.generation` is kept: always for custom resources.
pub(crate) fn tracks_generation(def: &ResourceDef) -> bool {
    is_custom_resource(def)
        || crate::api::objects::defaults::tracks_generation(&def.group, &def.resource)
}

/// Whether an update changes what generation counts: for custom resources
/// everything but `metadata` (`copyNonMetadata`, so `status` too when there
/// is no status subresource); for built-ins everything but metadata and status.
pub(crate) fn generation_changed(def: &ResourceDef, new: &Value, old: &Value) -> bool {
    let strip = |v: &Value| {
        let mut o = v.clone();
        if let Some(m) = o.as_object_mut() {
            m.shift_remove("metadata");
            m.shift_remove("kind");
            m.shift_remove("apiVersion");
            if !is_custom_resource(def) || status_semantics(def) {
                m.shift_remove("status");
            }
        }
        o
    };
    strip(new) != strip(old)
}

/// The schema of a custom resource's version.
pub(crate) fn schema_for(state: &ApiState, def: &ResourceDef) -> Option<Value> {
    let crd = crd_for(state, def)?;
    let v = version_entry(&crd, &def.version)?;
    get(v, &["schema", "openAPIV3Schema"])
        .filter(|x| x.is_object())
        .cloned()
}

/// Structural pruning: drops the fields the schema does not declare
/// (unless `x-kubernetes-preserve-unknown-fields`), returning their paths
/// for the `unknown field` warnings. `apiVersion`, `kind` and `metadata`
/// stay at the root (and in embedded resources). A no-op for built-ins.
pub(crate) fn prune(state: &ApiState, def: &ResourceDef, obj: &mut Value) -> Vec<String> {
    let Some(schema) = schema_for(state, def) else {
        return Vec::new();
    };
    let mut unknown = Vec::new();
    prune_value(obj, &schema, "", true, &mut unknown);
    unknown
}

fn prune_value(v: &mut Value, schema: &Value, path: &str, root: bool, unknown: &mut Vec<String>) {
    let preserve = schema
        .get("x-kubernetes-preserve-unknown-fields")
        .and_then(Value::as_bool)
        == Some(true);
    let embedded = root
        || schema
            .get("x-kubernetes-embedded-resource")
            .and_then(Value::as_bool)
            == Some(true);
    match v {
        Value::Object(m) => {
            let props = schema.get("properties").and_then(Value::as_object);
            let additional = schema.get("additionalProperties");
            let keys: Vec<String> = m.keys().cloned().collect();
            for k in keys {
                let child = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                if embedded && (k == "apiVersion" || k == "kind" || k == "metadata") {
                    if k == "metadata" {
                        if let Some(meta) = m.get_mut("metadata").and_then(Value::as_object_mut) {
                            const META: &[&str] = crate::meta::OBJECT_META_FIELDS;
                            let mk: Vec<String> = meta.keys().cloned().collect();
                            for f in mk {
                                if !META.contains(&f.as_str()) {
                                    meta.shift_remove(&f);
                                    unknown.push(format!("{child}.{f}"));
                                }
                            }
                        }
                    }
                    continue;
                }
                let sub = props
                    .and_then(|p| p.get(&k))
                    .or_else(|| additional.filter(|a| a.is_object()));
                match sub {
                    Some(sub_schema) => {
                        if let Some(cv) = m.get_mut(&k) {
                            prune_value(cv, sub_schema, &child, false, unknown);
                        }
                    }
                    None if preserve || additional.and_then(Value::as_bool) == Some(true) => {}
                    None => {
                        m.shift_remove(&k);
                        unknown.push(child);
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items").filter(|i| i.is_object()) {
                for (i, item) in items.iter_mut().enumerate() {
                    prune_value(item, item_schema, &format!("{path}[{i}]"), false, unknown);
                }
            }
        }
        _ => {}
    }
}

/// Schema validation of a custom resource (`kube-openapi` validate, as
/// `apiservervalidation.ValidateCustomResource` reports it): types,
/// `required`, `enum`, numeric and length bounds. A no-op for built-ins.
pub(crate) fn validate_custom_resource(
    state: &ApiState,
    def: &ResourceDef,
    obj: &Value,
) -> Vec<FieldCause> {
    validate_against(schema_for(state, def).as_ref(), obj)
}

/// [`validate_custom_resource`] with the schema already read (inside a
/// store mutation, where the store may not be read again).
pub(crate) fn validate_against(schema: Option<&Value>, obj: &Value) -> Vec<FieldCause> {
    let Some(schema) = schema else {
        return Vec::new();
    };
    let mut errs = Vec::new();
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        // The root: metadata is validated by ObjectMeta rules, not the schema.
        for (k, sub) in props {
            if k == "metadata" || k == "apiVersion" || k == "kind" {
                continue;
            }
            if let Some(v) = obj.get(k) {
                validate_value(&mut errs, v, sub, k);
            }
        }
    }
    for r in strings(schema, &["required"]) {
        if obj.get(&r).is_none_or(Value::is_null) {
            errs.push(required(r.clone(), ""));
        }
    }
    errs
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn go_value(v: &Value) -> String {
    match v {
        Value::String(s) => go_quote(s),
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

fn validate_value(errs: &mut Vec<FieldCause>, v: &Value, schema: &Value, path: &str) {
    let ty = s(schema, &["type"]);
    let nullable = schema.get("nullable").and_then(Value::as_bool) == Some(true);
    if v.is_null() && nullable {
        return;
    }
    let int_or_string = schema
        .get("x-kubernetes-int-or-string")
        .and_then(Value::as_bool)
        == Some(true);
    let actual = json_type(v);
    let type_ok = ty.is_empty()
        || actual == ty
        || (ty == "number" && actual == "integer")
        || (int_or_string && (actual == "integer" || actual == "string"));
    if !type_ok {
        errs.push(fc(
            "FieldValueTypeInvalid",
            path,
            format!(
                "Invalid value: {}: {path} in body must be of type {ty}: {}",
                go_quote(actual),
                go_quote(actual)
            ),
        ));
        return;
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        if !allowed.contains(v) {
            let list: Vec<String> = allowed
                .iter()
                .map(|a| match a {
                    Value::String(s) => go_quote(s),
                    other => go_quote(&other.to_string()),
                })
                .collect();
            errs.push(fc(
                "FieldValueNotSupported",
                path,
                format!(
                    "Unsupported value: {}: supported values: {}",
                    go_value(v),
                    list.join(", ")
                ),
            ));
        }
    }
    if let (Some(n), Some(min)) = (v.as_f64(), schema.get("minimum").and_then(Value::as_f64)) {
        if n < min {
            errs.push(invalid(
                path,
                &go_value(v),
                &format!(
                    "{path} in body should be greater than or equal to {}",
                    fmt_num(min)
                ),
            ));
        }
    }
    if let (Some(n), Some(max)) = (v.as_f64(), schema.get("maximum").and_then(Value::as_f64)) {
        if n > max {
            errs.push(invalid(
                path,
                &go_value(v),
                &format!(
                    "{path} in body should be less than or equal to {}",
                    fmt_num(max)
                ),
            ));
        }
    }
    if let (Some(text), Some(max)) = (v.as_str(), schema.get("maxLength").and_then(Value::as_u64)) {
        if text.chars().count() as u64 > max {
            errs.push(fc(
                "FieldValueTooLong",
                path,
                format!("Too long: may not be more than {max} bytes"),
            ));
        }
    }
    match v {
        Value::Object(m) => {
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (k, sub) in props {
                    if let Some(cv) = m.get(k) {
                        validate_value(errs, cv, sub, &format!("{path}.{k}"));
                    }
                }
            }
            if let Some(ap) = schema.get("additionalProperties").filter(|a| a.is_object()) {
                for (k, cv) in m {
                    validate_value(errs, cv, ap, &format!("{path}.{k}"));
                }
            }
            for r in strings(schema, &["required"]) {
                if m.get(&r).is_none_or(Value::is_null) {
                    errs.push(required(format!("{path}.{r}"), ""));
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items").filter(|i| i.is_object()) {
                for (i, item) in items.iter().enumerate() {
                    validate_value(errs, item, item_schema, &format!("{path}[{i}]"));
                }
            }
        }
        _ => {}
    }
}

fn fmt_num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Registry;

    fn crd() -> Value {
        json!({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {
                "group": "example.com",
                "scope": "Namespaced",
                "names": {"plural": "widgets", "kind": "Widget", "shortNames": ["wd"], "categories": ["all"]},
                "versions": [{
                    "name": "v1", "served": true, "storage": true,
                    "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                        "spec": {"type": "object", "properties": {
                            "replicas": {"type": "integer", "minimum": 0},
                            "color": {"type": "string", "enum": ["red", "blue"]},
                            "items": {"type": "array", "items": {"type": "object", "properties": {"n": {"type": "string"}}}},
                            "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
                        }, "required": ["replicas"]},
                        "status": {"type": "object", "properties": {"replicas": {"type": "integer"}, "selector": {"type": "string"}}}
                    }}},
                    "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas", "labelSelectorPath": ".status.selector"}},
                    "additionalPrinterColumns": [{"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"}]
                }]
            }
        })
    }

    #[test]
    fn builtins_are_not_custom_resources() {
        let reg = Registry::builtin();
        assert!(reg.all().all(|d| !is_custom_resource(d)));
        let defs = resource_defs(&crd());
        assert_eq!(defs.len(), 1);
        assert!(is_custom_resource(&defs[0]));
    }

    #[test]
    fn defaults_and_status_on_create() {
        let mut c = crd();
        prepare_create(&mut c);
        assert_eq!(c["spec"]["names"]["singular"], "widget");
        assert_eq!(c["spec"]["names"]["listKind"], "WidgetList");
        assert_eq!(c["spec"]["conversion"]["strategy"], "None");
        assert_eq!(c["status"]["storedVersions"], json!(["v1"]));
        assert_eq!(
            c["status"]["acceptedNames"],
            json!({"plural": "", "kind": ""})
        );
        assert!(validate(&c, None).is_empty(), "{:?}", validate(&c, None));
    }

    #[test]
    fn validation_messages() {
        let mut c = crd();
        c["metadata"]["name"] = json!("nope.example.com");
        c["spec"]["group"] = json!("example");
        c["spec"]["scope"] = json!("Galaxy");
        c["spec"]["versions"][0]["storage"] = json!(false);
        c["spec"]["names"]["kind"] = json!("Bad_Kind");
        default_crd(&mut c);
        let errs = validate(&c, None);
        let msgs: Vec<String> = errs
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        assert_eq!(
            msgs[0],
            "metadata.name: Invalid value: \"nope.example.com\": must be spec.names.plural+\".\"+spec.group"
        );
        assert_eq!(
            msgs[1],
            "spec.group: Invalid value: \"example\": should be a domain with at least one dot"
        );
        assert_eq!(
            msgs[2],
            "spec.scope: Unsupported value: \"Galaxy\": supported values: \"Cluster\", \"Namespaced\""
        );
        assert!(msgs[3].starts_with("spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion{apiextensions.CustomResourceDefinitionVersion{Name:\"v1\", Served:true, Storage:false, Deprecated:false, DeprecationWarning:(*string)(nil), Schema:(*apiextensions.CustomResourceValidation)(nil)"), "{}", msgs[3]);
        assert!(msgs[3].ends_with("must have exactly one version marked as storage version"));
        let kind_msg = msgs
            .iter()
            .find(|m| m.starts_with("spec.names.kind:"))
            .cloned()
            .unwrap_or_default();
        assert!(kind_msg.starts_with("spec.names.kind: Invalid value: \"Bad_Kind\": may have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"), "{}", kind_msg);
        let mut c = crd();
        c["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
            ["x"] = json!({});
        c["spec"]["group"] = json!("foo.k8s.io");
        c["metadata"]["name"] = json!("widgets.foo.k8s.io");
        let errs = validate(&c, None);
        assert_eq!(errs[0].field, "spec.names.singular");
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert!(
            fields.contains(&"spec.validation.openAPIV3Schema.properties[spec].properties[x].type")
        );
        assert!(fields.contains(&"metadata.annotations[api-approved.kubernetes.io]"));
    }

    #[test]
    fn update_rules() {
        let mut old = crd();
        prepare_create(&mut old);
        old["status"]["conditions"] = json!([{"type": "Established", "status": "True"}]);
        let mut new = old.clone();
        new["spec"]["scope"] = json!("Cluster");
        new["spec"]["names"]["plural"] = json!("gizmos");
        let fields: Vec<String> = validate(&new, Some(&old))
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert!(fields.contains(&"spec.scope".to_string()));
        assert!(fields.contains(&"spec.names.plural".to_string()));
        // A new storage version joins storedVersions.
        let mut c = old.clone();
        c["spec"]["versions"] = json!([{"name": "v2", "served": true, "storage": true, "schema": {"openAPIV3Schema": {"type": "object"}}},
                                        {"name": "v1", "served": true, "storage": false, "schema": {"openAPIV3Schema": {"type": "object"}}}]);
        prepare_update(&mut c);
        assert_eq!(c["status"]["storedVersions"], json!(["v1", "v2"]));
    }

    #[test]
    fn registry_entries() {
        let mut c = crd();
        prepare_create(&mut c);
        let d = &resource_defs(&c)[0];
        assert_eq!(
            (d.group.as_str(), d.version.as_str(), d.resource.as_str()),
            ("example.com", "v1", "widgets")
        );
        assert_eq!(d.singular, "widget");
        assert_eq!(d.short_names, vec!["wd"]);
        assert_eq!(d.categories, vec!["all"]);
        assert!(d.namespaced && d.has_verb("deletecollection"));
        assert_eq!(
            d.subresources
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>(),
            vec!["scale", "status"]
        );
        assert_eq!(
            d.storage_version_hash.as_deref(),
            Some(storage_version_hash("example.com", "v1", "Widget").as_str())
        );
        assert_eq!(d.storage_version_hash.as_ref().map(String::len), Some(12));
        let mut unserved = c.clone();
        unserved["spec"]["versions"][0]["served"] = json!(false);
        assert!(resource_defs(&unserved).is_empty());
    }

    #[test]
    fn pruning_and_validation() {
        let c = crd();
        let schema = c["spec"]["versions"][0]["schema"]["openAPIV3Schema"].clone();
        let mut obj = json!({
            "apiVersion": "example.com/v1", "kind": "Widget",
            "metadata": {"name": "a", "bogus": 1},
            "spec": {"replicas": 1, "extra": true, "items": [{"n": "x", "m": 1}], "free": {"any": {"thing": 1}}},
            "top": 1
        });
        let mut unknown = Vec::new();
        prune_value(&mut obj, &schema, "", true, &mut unknown);
        assert_eq!(
            unknown,
            vec!["metadata.bogus", "spec.extra", "spec.items[0].m", "top"]
        );
        assert_eq!(obj["spec"]["free"]["any"]["thing"], 1);
        assert!(obj.get("top").is_none());
        let mut errs = Vec::new();
        validate_value(
            &mut errs,
            &json!({"replicas": "three", "color": "green"}),
            &schema["properties"]["spec"],
            "spec",
        );
        let msgs: Vec<String> = errs
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        assert_eq!(msgs, vec![
            "spec.replicas: Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\"",
            "spec.color: Unsupported value: \"green\": supported values: \"red\", \"blue\"",
        ]);
        let mut errs = Vec::new();
        validate_value(
            &mut errs,
            &json!({"replicas": -1}),
            &schema["properties"]["spec"],
            "spec",
        );
        assert_eq!(
            errs[0].message,
            "Invalid value: -1: spec.replicas in body should be greater than or equal to 0"
        );
        let mut errs = Vec::new();
        validate_value(&mut errs, &json!({}), &schema["properties"]["spec"], "spec");
        assert_eq!(
            (errs[0].field.as_str(), errs[0].message.as_str()),
            ("spec.replicas", "Required value")
        );
    }

    #[test]
    fn terminating_and_paths() {
        let mut c = crd();
        prepare_create(&mut c);
        let t = begin_delete(&c);
        assert_eq!(t["metadata"]["finalizers"], json!([CLEANUP_FINALIZER]));
        assert!(t["metadata"]["deletionTimestamp"].is_string());
        assert_eq!(
            t["status"]["conditions"][0]["reason"],
            "InstanceDeletionPending"
        );
        let mut v = json!({"spec": {}});
        set_json_path(&mut v, ".spec.replicas", json!(3));
        assert_eq!(json_path(&v, ".spec.replicas"), Some(&json!(3)));
        assert_eq!(json_path(&v, ".status.replicas"), None);
        assert!(is_dns1035_label("abc-1").is_empty());
        assert!(!is_dns1035_label("1abc").is_empty());
    }
}
