//! Generates `src/api/openapi/data/definitions.json`: the OpenAPI schema of
//! every built-in kind (and everything it references), keyed by the name the
//! real kube-apiserver gives it (`io.k8s.api.apps.v1.Deployment`).
//!
//! Source of the structure: the `k8s-openapi` crate (feature `v1_36`), through
//! its `schemars` implementations. Every `description` is stripped: the data
//! is field structure only. Extensions are added from other facts the crate
//! carries:
//! - `x-kubernetes-group-version-kind` from its `Resource` constants;
//! - `x-kubernetes-list-type` / `x-kubernetes-list-map-keys` /
//!   `x-kubernetes-map-type` from its `DeepMerge` implementations (read from
//!   the crate's source, the merge strategy of each field);
//! - `x-kubernetes-patch-strategy` / `x-kubernetes-patch-merge-key`: derived
//!   (UNVERIFIED heuristic) — a `map` list gets `merge` on its first key, plus
//!   a few known overrides (see [`OVERRIDES`]).
//!
//! `*List` kinds are synthesised (k8s-openapi models them as a generic
//! `List<T>`), as are `WatchEvent` and `RawExtension`.
//!
//! Run: `cargo run --example gen_openapi [k8s-openapi src dir]`.

use k8s_openapi::Resource;
use schemars::{generate::SchemaSettings, JsonSchema, SchemaGenerator};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// One root kind: its definition name and GVK.
struct Root {
    name: String,
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    meta: bool,
}

fn add<T: JsonSchema + Resource>(gen: &mut SchemaGenerator, roots: &mut Vec<Root>) {
    let _ = gen.subschema_for::<T>();
    let name = T::schema_name().to_string();
    roots.push(Root {
        meta: name.starts_with("io.k8s.apimachinery."),
        name,
        group: T::GROUP,
        version: T::VERSION,
        kind: T::KIND,
    });
}

fn add_plain<T: JsonSchema>(gen: &mut SchemaGenerator) {
    let _ = gen.subschema_for::<T>();
}

macro_rules! roots {
    ($gen:expr, $roots:expr; $($t:ty,)*) => { $( add::<$t>($gen, $roots); )* };
}

/// Every type of k8s-openapi (v1_36) with a `Resource` impl.
fn add_roots(gen: &mut SchemaGenerator, roots: &mut Vec<Root>) {
    roots!(gen, roots;
        k8s_openapi::api::admissionregistration::v1::MutatingAdmissionPolicy,
        k8s_openapi::api::admissionregistration::v1::MutatingAdmissionPolicyBinding,
        k8s_openapi::api::admissionregistration::v1::MutatingWebhookConfiguration,
        k8s_openapi::api::admissionregistration::v1::ValidatingAdmissionPolicy,
        k8s_openapi::api::admissionregistration::v1::ValidatingAdmissionPolicyBinding,
        k8s_openapi::api::admissionregistration::v1::ValidatingWebhookConfiguration,
        k8s_openapi::api::admissionregistration::v1alpha1::MutatingAdmissionPolicy,
        k8s_openapi::api::admissionregistration::v1alpha1::MutatingAdmissionPolicyBinding,
        k8s_openapi::api::admissionregistration::v1beta1::MutatingAdmissionPolicy,
        k8s_openapi::api::admissionregistration::v1beta1::MutatingAdmissionPolicyBinding,
        k8s_openapi::api::apiserverinternal::v1alpha1::StorageVersion,
        k8s_openapi::api::apps::v1::ControllerRevision,
        k8s_openapi::api::apps::v1::DaemonSet,
        k8s_openapi::api::apps::v1::Deployment,
        k8s_openapi::api::apps::v1::ReplicaSet,
        k8s_openapi::api::apps::v1::StatefulSet,
        k8s_openapi::api::authentication::v1::SelfSubjectReview,
        k8s_openapi::api::authentication::v1::TokenRequest,
        k8s_openapi::api::authentication::v1::TokenReview,
        k8s_openapi::api::authorization::v1::LocalSubjectAccessReview,
        k8s_openapi::api::authorization::v1::SelfSubjectAccessReview,
        k8s_openapi::api::authorization::v1::SelfSubjectRulesReview,
        k8s_openapi::api::authorization::v1::SubjectAccessReview,
        k8s_openapi::api::autoscaling::v1::HorizontalPodAutoscaler,
        k8s_openapi::api::autoscaling::v1::Scale,
        k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler,
        k8s_openapi::api::batch::v1::CronJob,
        k8s_openapi::api::batch::v1::Job,
        k8s_openapi::api::certificates::v1::CertificateSigningRequest,
        k8s_openapi::api::certificates::v1alpha1::ClusterTrustBundle,
        k8s_openapi::api::certificates::v1beta1::ClusterTrustBundle,
        k8s_openapi::api::certificates::v1beta1::PodCertificateRequest,
        k8s_openapi::api::coordination::v1::Lease,
        k8s_openapi::api::coordination::v1alpha2::LeaseCandidate,
        k8s_openapi::api::coordination::v1beta1::LeaseCandidate,
        k8s_openapi::api::core::v1::Binding,
        k8s_openapi::api::core::v1::ComponentStatus,
        k8s_openapi::api::core::v1::ConfigMap,
        k8s_openapi::api::core::v1::Endpoints,
        k8s_openapi::api::core::v1::Event,
        k8s_openapi::api::core::v1::LimitRange,
        k8s_openapi::api::core::v1::Namespace,
        k8s_openapi::api::core::v1::Node,
        k8s_openapi::api::core::v1::PersistentVolume,
        k8s_openapi::api::core::v1::PersistentVolumeClaim,
        k8s_openapi::api::core::v1::Pod,
        k8s_openapi::api::core::v1::PodTemplate,
        k8s_openapi::api::core::v1::ReplicationController,
        k8s_openapi::api::core::v1::ResourceQuota,
        k8s_openapi::api::core::v1::Secret,
        k8s_openapi::api::core::v1::Service,
        k8s_openapi::api::core::v1::ServiceAccount,
        k8s_openapi::api::discovery::v1::EndpointSlice,
        k8s_openapi::api::events::v1::Event,
        k8s_openapi::api::flowcontrol::v1::FlowSchema,
        k8s_openapi::api::flowcontrol::v1::PriorityLevelConfiguration,
        k8s_openapi::api::networking::v1::IPAddress,
        k8s_openapi::api::networking::v1::Ingress,
        k8s_openapi::api::networking::v1::IngressClass,
        k8s_openapi::api::networking::v1::NetworkPolicy,
        k8s_openapi::api::networking::v1::ServiceCIDR,
        k8s_openapi::api::networking::v1beta1::IPAddress,
        k8s_openapi::api::networking::v1beta1::ServiceCIDR,
        k8s_openapi::api::node::v1::RuntimeClass,
        k8s_openapi::api::policy::v1::Eviction,
        k8s_openapi::api::policy::v1::PodDisruptionBudget,
        k8s_openapi::api::rbac::v1::ClusterRole,
        k8s_openapi::api::rbac::v1::ClusterRoleBinding,
        k8s_openapi::api::rbac::v1::Role,
        k8s_openapi::api::rbac::v1::RoleBinding,
        k8s_openapi::api::resource::v1::DeviceClass,
        k8s_openapi::api::resource::v1::ResourceClaim,
        k8s_openapi::api::resource::v1::ResourceClaimTemplate,
        k8s_openapi::api::resource::v1::ResourceSlice,
        k8s_openapi::api::resource::v1alpha3::DeviceTaintRule,
        k8s_openapi::api::resource::v1alpha3::ResourcePoolStatusRequest,
        k8s_openapi::api::resource::v1beta1::DeviceClass,
        k8s_openapi::api::resource::v1beta1::ResourceClaim,
        k8s_openapi::api::resource::v1beta1::ResourceClaimTemplate,
        k8s_openapi::api::resource::v1beta1::ResourceSlice,
        k8s_openapi::api::resource::v1beta2::DeviceClass,
        k8s_openapi::api::resource::v1beta2::DeviceTaintRule,
        k8s_openapi::api::resource::v1beta2::ResourceClaim,
        k8s_openapi::api::resource::v1beta2::ResourceClaimTemplate,
        k8s_openapi::api::resource::v1beta2::ResourceSlice,
        k8s_openapi::api::scheduling::v1::PriorityClass,
        k8s_openapi::api::scheduling::v1alpha2::PodGroup,
        k8s_openapi::api::scheduling::v1alpha2::Workload,
        k8s_openapi::api::storage::v1::CSIDriver,
        k8s_openapi::api::storage::v1::CSINode,
        k8s_openapi::api::storage::v1::CSIStorageCapacity,
        k8s_openapi::api::storage::v1::StorageClass,
        k8s_openapi::api::storage::v1::VolumeAttachment,
        k8s_openapi::api::storage::v1::VolumeAttributesClass,
        k8s_openapi::api::storage::v1beta1::VolumeAttributesClass,
        k8s_openapi::api::storagemigration::v1beta1::StorageVersionMigration,
        k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
        k8s_openapi::apimachinery::pkg::apis::meta::v1::APIGroup,
        k8s_openapi::apimachinery::pkg::apis::meta::v1::APIGroupList,
        k8s_openapi::apimachinery::pkg::apis::meta::v1::APIResourceList,
        k8s_openapi::apimachinery::pkg::apis::meta::v1::APIVersions,
        k8s_openapi::apimachinery::pkg::apis::meta::v1::Status,
        k8s_openapi::kube_aggregator::pkg::apis::apiregistration::v1::APIService,
    );
}
macro_rules! plain {
    ($gen:expr; $($t:ty,)*) => { $( add_plain::<$t>($gen); )* };
}

/// Known facts the heuristic misses: (definition, field, extensions to set).
const OVERRIDES: &[(&str, &str, &str)] = &[
    (
        "io.k8s.api.core.v1.PodSpec",
        "volumes",
        r#"{"x-kubernetes-patch-strategy":"merge,retainKeys"}"#,
    ),
    (
        "io.k8s.api.core.v1.PodSpec",
        "resourceClaims",
        r#"{"x-kubernetes-patch-strategy":"merge,retainKeys"}"#,
    ),
    (
        "io.k8s.api.core.v1.Container",
        "ports",
        r#"{"x-kubernetes-list-map-keys":["containerPort","protocol"]}"#,
    ),
    (
        "io.k8s.api.core.v1.ServiceSpec",
        "ports",
        r#"{"x-kubernetes-list-map-keys":["port","protocol"]}"#,
    ),
    (
        "io.k8s.api.core.v1.PodSpec",
        "topologySpreadConstraints",
        r#"{"x-kubernetes-list-map-keys":["topologyKey","whenUnsatisfiable"]}"#,
    ),
    (
        "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
        "finalizers",
        r#"{"x-kubernetes-patch-strategy":"merge"}"#,
    ),
    (
        "io.k8s.api.apps.v1.DeploymentSpec",
        "strategy",
        r#"{"x-kubernetes-patch-strategy":"retainKeys"}"#,
    ),
];

/// Kinds without a `*List` (subresource bodies, reviews).
const NO_LIST: &[&str] = &[
    "Scale",
    "Eviction",
    "Binding",
    "TokenRequest",
    "TokenReview",
    "SelfSubjectReview",
    "LocalSubjectAccessReview",
    "SelfSubjectAccessReview",
    "SelfSubjectRulesReview",
    "SubjectAccessReview",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let src = match std::env::args().nth(1) {
        Some(p) => PathBuf::from(p),
        None => find_k8s_openapi_src()?,
    };
    let mut gen = SchemaGenerator::new(SchemaSettings::draft07());
    let mut roots = Vec::new();
    add_roots(&mut gen, &mut roots);
    plain!(&mut gen;
        k8s_openapi::apimachinery::pkg::apis::meta::v1::DeleteOptions,
        k8s_openapi::apimachinery::pkg::apis::meta::v1::Patch,
        k8s_openapi::apimachinery::pkg::apis::meta::v1::APIResource,
        k8s_openapi::apimachinery::pkg::runtime::RawExtension,
    );
    let raw = gen.definitions().clone();
    let mut defs: BTreeMap<String, Value> = BTreeMap::new();
    for (name, schema) in raw {
        let text = serde_json::to_string(&schema)?.replace("\"#/$defs/", "\"#/definitions/");
        let mut v: Value = serde_json::from_str(&text)?;
        strip_schema(&mut v);
        defs.insert(name, v);
    }

    // Extensions from the DeepMerge implementations.
    let strategies = read_merge_strategies(&src)?;
    let mut applied = 0usize;
    for (def, field, ext) in &strategies {
        if let Some(prop) = defs
            .get_mut(def)
            .and_then(|d| d.get_mut("properties"))
            .and_then(|p| p.get_mut(field))
            .and_then(Value::as_object_mut)
        {
            for (k, v) in ext {
                prop.insert(k.clone(), v.clone());
            }
            applied += 1;
        }
    }
    for (def, field, ext) in OVERRIDES {
        let ext: Map<String, Value> = serde_json::from_str(ext)?;
        if let Some(prop) = defs
            .get_mut(*def)
            .and_then(|d| d.get_mut("properties"))
            .and_then(|p| p.get_mut(*field))
            .and_then(Value::as_object_mut)
        {
            prop.extend(ext);
        } else {
            eprintln!("override target missing: {def}.{field}");
        }
    }

    // Root kinds: GVK, no artificial `required: [metadata]`, and a List.
    for r in &roots {
        let gvk = json!([{"group": r.group, "kind": r.kind, "version": r.version}]);
        let Some(obj) = defs.get_mut(&r.name).and_then(Value::as_object_mut) else {
            continue;
        };
        if !r.meta {
            if let Some(req) = obj.get_mut("required").and_then(Value::as_array_mut) {
                req.retain(|v| v != "metadata");
                if req.is_empty() {
                    obj.remove("required");
                }
            }
        }
        obj.insert("x-kubernetes-group-version-kind".into(), gvk);
        if r.meta || NO_LIST.contains(&r.kind) {
            continue;
        }
        let list = json!({
            "type": "object",
            "required": ["items"],
            "properties": {
                "apiVersion": {"type": "string"},
                "items": {"type": "array", "items": {"$ref": format!("#/definitions/{}", r.name)}},
                "kind": {"type": "string"},
                "metadata": {"$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"},
            },
            "x-kubernetes-group-version-kind": [{"group": r.group, "kind": format!("{}List", r.kind), "version": r.version}],
        });
        defs.insert(format!("{}List", r.name), list);
    }
    defs.insert(
        "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent".into(),
        json!({
            "type": "object",
            "required": ["type", "object"],
            "properties": {
                "object": {"$ref": "#/definitions/io.k8s.apimachinery.pkg.runtime.RawExtension"},
                "type": {"type": "string"},
            },
        }),
    );
    // The real documents type these as strings with a format (k8s-openapi
    // rewrites them to `x-kubernetes-int-or-string`).
    defs.insert(
        "io.k8s.apimachinery.pkg.util.intstr.IntOrString".into(),
        json!({"type": "string", "format": "int-or-string"}),
    );
    defs.insert(
        "io.k8s.apimachinery.pkg.api.resource.Quantity".into(),
        json!({"type": "string"}),
    );
    defs.entry("io.k8s.apimachinery.pkg.runtime.RawExtension".into())
        .or_insert_with(|| json!({"type": "object"}));

    let out =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/api/openapi/data/definitions.json");
    std::fs::create_dir_all(out.parent().ok_or("no parent")?)?;
    let ordered: Map<String, Value> = defs.into_iter().collect();
    let mut text = serde_json::to_string(&Value::Object(ordered))?;
    text.push('\n');
    std::fs::write(&out, &text)?;
    eprintln!(
        "wrote {} ({} bytes, {} roots, {} strategies applied of {})",
        out.display(),
        text.len(),
        roots.len(),
        applied,
        strategies.len()
    );
    Ok(())
}

/// Removes `description` (and `title`) from a schema and its sub-schemas;
/// property names are kept whatever they are.
fn strip_schema(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove("description");
            m.remove("title");
            m.remove("$schema");
            for (k, child) in m.iter_mut() {
                match k.as_str() {
                    "properties" | "patternProperties" | "definitions" | "$defs" => {
                        if let Value::Object(props) = child {
                            for p in props.values_mut() {
                                strip_schema(p);
                            }
                        }
                    }
                    "enum" | "default" | "example" | "required" => {}
                    _ => strip_schema(child),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(strip_schema),
        _ => {}
    }
}

/// `$CARGO_HOME/registry/src/*/k8s-openapi-0.29*/src/v1_36`.
fn find_k8s_openapi_src() -> Result<PathBuf, Box<dyn std::error::Error>> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .ok_or("no CARGO_HOME")?;
    for idx in std::fs::read_dir(home.join("registry/src"))? {
        let idx = idx?.path();
        for c in std::fs::read_dir(&idx)? {
            let c = c?.path();
            let n = c.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if n.starts_with("k8s-openapi-0.29") {
                return Ok(c.join("src/v1_36"));
            }
        }
    }
    Err("k8s-openapi 0.29 source not found; pass its src/v1_36 directory".into())
}

type Strategy = (String, String, Map<String, Value>);

/// Reads each generated file's definition name, its serde field names and
/// its `DeepMerge` strategies.
fn read_merge_strategies(dir: &Path) -> Result<Vec<Strategy>, Box<dyn std::error::Error>> {
    let mut files = Vec::new();
    walk(dir, &mut files)?;
    files.sort();
    // Rust field name → JSON name, over all files.
    let mut names: HashMap<String, String> = HashMap::new();
    let mut texts = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f)?;
        for line in text.lines() {
            let l = line.trim();
            if let Some((json_name, rest)) = l.split_once("\" => Field::Key_") {
                let json_name = json_name.trim_start_matches('"');
                let rust = rest.trim_end_matches(',');
                names
                    .entry(rust.to_string())
                    .or_insert_with(|| json_name.to_string());
            }
        }
        texts.push(text);
    }
    let json_name = |rust: &str| -> String {
        names
            .get(rust)
            .cloned()
            .unwrap_or_else(|| rust.trim_end_matches('_').to_string())
    };
    let mut out = Vec::new();
    for text in &texts {
        let Some(def) = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("// Generated from definition "))
        else {
            continue;
        };
        let Some(start) = text.find("fn merge_from(") else {
            continue;
        };
        let body = &text[start..];
        let body = &body[..body.find("\n    }\n").unwrap_or(body.len())];
        // Statements start at `crate::merge_strategies::`.
        for stmt in body.split("crate::merge_strategies::").skip(1) {
            let field = stmt
                .split("&mut self.")
                .nth(1)
                .map(|s| s.split([',', ')']).next().unwrap_or("").trim().to_string())
                .unwrap_or_default();
            if field.is_empty() {
                continue;
            }
            let mut ext = Map::new();
            if stmt.starts_with("list::atomic") {
                ext.insert("x-kubernetes-list-type".into(), json!("atomic"));
            } else if stmt.starts_with("list::set") {
                ext.insert("x-kubernetes-list-type".into(), json!("set"));
            } else if stmt.starts_with("map::atomic") {
                ext.insert("x-kubernetes-map-type".into(), json!("atomic"));
            } else if stmt.starts_with("list::map") {
                let keys: Vec<String> = stmt
                    .split("|lhs, rhs| lhs.")
                    .skip(1)
                    .map(|k| json_name(k.split([' ', '=']).next().unwrap_or("")))
                    .collect();
                if keys.is_empty() {
                    continue;
                }
                ext.insert("x-kubernetes-list-type".into(), json!("map"));
                ext.insert("x-kubernetes-patch-merge-key".into(), json!(keys[0]));
                ext.insert("x-kubernetes-patch-strategy".into(), json!("merge"));
                ext.insert("x-kubernetes-list-map-keys".into(), json!(keys));
            } else {
                continue;
            }
            out.push((def.to_string(), json_name(&field), ext));
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            walk(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    Ok(())
}
