//! The merge metadata of the built-in types, as data: for strategic merge
//! patch the Go struct tags `patchStrategy` / `patchMergeKey`
//! (`k8s.io/api/*/types.go`), for server-side apply and managed fields the
//! OpenAPI list types (`x-kubernetes-list-type`, `x-kubernetes-list-map-keys`)
//! and whether an object is a struct or a `map[string]T`.
//!
//! Only fields that carry such metadata (and the structs leading to them) are
//! listed; every other field is [`Ty::Unknown`]: lists are atomic and replaced,
//! objects are merged field by field like structs.
//! UNVERIFIED: kinds outside the table (and custom resources, whose schema
//! lives in their CRD) get only `metadata`.

/// How strategic merge patch treats a list (`patchStrategy`, `patchMergeKey`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Smp {
    /// No strategy: the patch's list replaces the live one.
    Replace,
    /// `patchStrategy:"merge"`: by this merge key (`""` for scalar lists).
    Merge(&'static str),
}

/// How server-side apply treats a list (`x-kubernetes-list-type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListType {
    /// One value, owned as a whole.
    Atomic,
    /// Scalars, each owned separately (`v:` paths).
    Set,
    /// Objects keyed by these fields (`k:` paths).
    Map(&'static [&'static str]),
}

/// The type of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// Nothing known: scalars, or objects/lists without metadata.
    Unknown,
    /// A struct listed in the table by name.
    Struct(&'static str),
    /// `map[string]T`; the value type is a struct name or `""` for scalars.
    Map(&'static str),
    /// A list of `elem` (a struct name or `""`).
    List {
        /// The element struct, `""` when not in the table.
        elem: &'static str,
        /// Strategic merge patch strategy.
        smp: Smp,
        /// Server-side apply list type.
        ssa: ListType,
    },
}

const fn merge_list(elem: &'static str, key: &'static str, keys: &'static [&'static str]) -> Ty {
    Ty::List {
        elem,
        smp: Smp::Merge(key),
        ssa: ListType::Map(keys),
    }
}

/// A list that strategic merge patch replaces but apply keys (`listType=map`
/// without a `patchStrategy`).
const fn keyed_atomic(keys: &'static [&'static str]) -> Ty {
    Ty::List {
        elem: "",
        smp: Smp::Replace,
        ssa: ListType::Map(keys),
    }
}

const SCALAR_SET: Ty = Ty::List {
    elem: "",
    smp: Smp::Merge(""),
    ssa: ListType::Set,
};
const STRING_MAP: Ty = Ty::Map("");
const CONDITIONS: Ty = merge_list("", "type", &["type"]);

type Fields = &'static [(&'static str, Ty)];

/// The structs, by name.
#[rustfmt::skip]
const TYPES: &[(&str, Fields)] = &[
    ("Object", &[("metadata", Ty::Struct("ObjectMeta"))]),
    ("ObjectMeta", &[
        ("labels", STRING_MAP),
        ("annotations", STRING_MAP),
        ("ownerReferences", merge_list("", "uid", &["uid"])),
        ("finalizers", SCALAR_SET),
    ]),
    ("LabelSelector", &[("matchLabels", STRING_MAP)]),
    ("PodTemplateSpec", &[("metadata", Ty::Struct("ObjectMeta")), ("spec", Ty::Struct("PodSpec"))]),
    ("PodSpec", &[
        ("volumes", Ty::List { elem: "", smp: Smp::Merge("name"), ssa: ListType::Map(&["name"]) }),
        ("initContainers", merge_list("Container", "name", &["name"])),
        ("containers", merge_list("Container", "name", &["name"])),
        ("ephemeralContainers", merge_list("Container", "name", &["name"])),
        ("imagePullSecrets", merge_list("", "name", &["name"])),
        ("hostAliases", merge_list("", "ip", &["ip"])),
        ("topologySpreadConstraints", merge_list("", "topologyKey", &["topologyKey", "whenUnsatisfiable"])),
        ("resourceClaims", merge_list("", "name", &["name"])),
        ("schedulingGates", merge_list("", "name", &["name"])),
        ("nodeSelector", STRING_MAP),
        ("overhead", STRING_MAP),
        ("resources", Ty::Struct("ResourceRequirements")),
    ]),
    ("Container", &[
        ("ports", merge_list("", "containerPort", &["containerPort", "protocol"])),
        ("env", merge_list("", "name", &["name"])),
        ("volumeMounts", merge_list("", "mountPath", &["mountPath"])),
        ("volumeDevices", merge_list("", "devicePath", &["devicePath"])),
        ("resources", Ty::Struct("ResourceRequirements")),
    ]),
    ("ResourceRequirements", &[
        ("limits", STRING_MAP),
        ("requests", STRING_MAP),
        ("claims", keyed_atomic(&["name"])),
    ]),
    ("PodStatus", &[
        ("conditions", CONDITIONS),
        ("podIPs", merge_list("", "ip", &["ip"])),
        ("hostIPs", merge_list("", "ip", &["ip"])),
        ("resourceClaimStatuses", merge_list("", "name", &["name"])),
    ]),
    ("ConditionsStatus", &[("conditions", CONDITIONS)]),
    ("Pod", &[("metadata", Ty::Struct("ObjectMeta")), ("spec", Ty::Struct("PodSpec")), ("status", Ty::Struct("PodStatus"))]),
    ("PodTemplate", &[("metadata", Ty::Struct("ObjectMeta")), ("template", Ty::Struct("PodTemplateSpec"))]),
    ("Service", &[("metadata", Ty::Struct("ObjectMeta")), ("spec", Ty::Struct("ServiceSpec")), ("status", Ty::Struct("ConditionsStatus"))]),
    ("ServiceSpec", &[
        ("ports", merge_list("", "port", &["port", "protocol"])),
        ("selector", STRING_MAP),
    ]),
    ("Workload", &[("metadata", Ty::Struct("ObjectMeta")), ("spec", Ty::Struct("WorkloadSpec")), ("status", Ty::Struct("ConditionsStatus"))]),
    ("WorkloadSpec", &[("selector", Ty::Struct("LabelSelector")), ("template", Ty::Struct("PodTemplateSpec"))]),
    ("ReplicationController", &[("metadata", Ty::Struct("ObjectMeta")), ("spec", Ty::Struct("RCSpec")), ("status", Ty::Struct("ConditionsStatus"))]),
    ("RCSpec", &[("selector", STRING_MAP), ("template", Ty::Struct("PodTemplateSpec"))]),
    ("CronJob", &[("metadata", Ty::Struct("ObjectMeta")), ("spec", Ty::Struct("CronJobSpec"))]),
    ("CronJobSpec", &[("jobTemplate", Ty::Struct("JobTemplateSpec"))]),
    ("JobTemplateSpec", &[("metadata", Ty::Struct("ObjectMeta")), ("spec", Ty::Struct("WorkloadSpec"))]),
    ("ConfigMap", &[("metadata", Ty::Struct("ObjectMeta")), ("data", STRING_MAP), ("binaryData", STRING_MAP)]),
    ("Secret", &[("metadata", Ty::Struct("ObjectMeta")), ("data", STRING_MAP), ("stringData", STRING_MAP)]),
    ("WithConditions", &[("metadata", Ty::Struct("ObjectMeta")), ("status", Ty::Struct("ConditionsStatus"))]),
    ("PersistentVolumeClaim", &[("metadata", Ty::Struct("ObjectMeta")), ("status", Ty::Struct("PVCStatus"))]),
    ("PVCStatus", &[("conditions", CONDITIONS), ("capacity", STRING_MAP)]),
    ("Node", &[("metadata", Ty::Struct("ObjectMeta")), ("spec", Ty::Struct("NodeSpec")), ("status", Ty::Struct("NodeStatus"))]),
    ("NodeSpec", &[("podCIDRs", SCALAR_SET)]),
    ("NodeStatus", &[
        ("conditions", CONDITIONS),
        ("addresses", merge_list("", "type", &["type"])),
        ("capacity", STRING_MAP),
        ("allocatable", STRING_MAP),
    ]),
    ("ServiceAccount", &[("metadata", Ty::Struct("ObjectMeta")), ("secrets", merge_list("", "name", &["name"]))]),
    ("PodDisruptionBudget", &[("metadata", Ty::Struct("ObjectMeta")), ("spec", Ty::Struct("SelectorSpec")), ("status", Ty::Struct("ConditionsStatus"))]),
    ("SelectorSpec", &[("selector", Ty::Struct("LabelSelector"))]),
    ("NetworkPolicy", &[("metadata", Ty::Struct("ObjectMeta")), ("spec", Ty::Struct("NetworkPolicySpec"))]),
    ("NetworkPolicySpec", &[("podSelector", Ty::Struct("LabelSelector"))]),
    ("StorageClass", &[("metadata", Ty::Struct("ObjectMeta")), ("parameters", STRING_MAP)]),
    ("ResourceQuota", &[("metadata", Ty::Struct("ObjectMeta")), ("spec", Ty::Struct("QuotaSpec")), ("status", Ty::Struct("QuotaStatus"))]),
    ("QuotaSpec", &[("hard", STRING_MAP)]),
    ("QuotaStatus", &[("hard", STRING_MAP), ("used", STRING_MAP)]),
];

/// The root type of a kind in `group` (built-in kinds; everything else is
/// `Object`, which knows `metadata` only).
pub fn root(group: &str, kind: &str) -> Ty {
    let name = match (group, kind) {
        ("", "Pod") => "Pod",
        ("", "PodTemplate") => "PodTemplate",
        ("", "Service") => "Service",
        ("", "ConfigMap") => "ConfigMap",
        ("", "Secret") => "Secret",
        ("", "ReplicationController") => "ReplicationController",
        ("", "Namespace") => "WithConditions",
        ("", "PersistentVolumeClaim") => "PersistentVolumeClaim",
        ("", "Node") => "Node",
        ("", "ServiceAccount") => "ServiceAccount",
        ("", "ResourceQuota") => "ResourceQuota",
        ("apps", "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet") => "Workload",
        ("batch", "Job") => "Workload",
        ("batch", "CronJob") => "CronJob",
        ("policy", "PodDisruptionBudget") => "PodDisruptionBudget",
        ("autoscaling", "HorizontalPodAutoscaler") => "WithConditions",
        ("networking.k8s.io", "NetworkPolicy") => "NetworkPolicy",
        ("storage.k8s.io", "StorageClass") => "StorageClass",
        _ => "Object",
    };
    Ty::Struct(name)
}

fn struct_ty(name: &str) -> Ty {
    if name.is_empty() {
        Ty::Unknown
    } else {
        Ty::Struct(
            TYPES
                .iter()
                .find(|(n, _)| *n == name)
                .map_or("", |(n, _)| n),
        )
    }
}

/// The type of field `name` of a value of type `ty`.
pub fn field(ty: Ty, name: &str) -> Ty {
    match ty {
        Ty::Struct(s) => TYPES
            .iter()
            .find(|(n, _)| *n == s)
            .and_then(|(_, fields)| fields.iter().find(|(f, _)| *f == name))
            .map_or(Ty::Unknown, |(_, t)| *t),
        Ty::Map(v) => struct_ty(v),
        _ => Ty::Unknown,
    }
}

/// The element type of a list type.
pub fn elem(ty: Ty) -> Ty {
    match ty {
        Ty::List { elem, .. } => struct_ty(elem),
        _ => Ty::Unknown,
    }
}

/// The strategic merge strategy of a list type.
pub fn smp(ty: Ty) -> Smp {
    match ty {
        Ty::List { smp, .. } => smp,
        _ => Smp::Replace,
    }
}

/// The apply list type of a list type (atomic when unknown).
pub fn list_type(ty: Ty) -> ListType {
    match ty {
        Ty::List { ssa, .. } => ssa,
        _ => ListType::Atomic,
    }
}

/// Defaults of list-map key fields a client may leave out (the OpenAPI
/// `default` the apply machinery fills in: `protocol: TCP`).
pub fn key_default(key: &str) -> Option<&'static str> {
    match key {
        "protocol" => Some("TCP"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deployment_containers_merge_by_name() {
        let d = root("apps", "Deployment");
        let spec = field(d, "spec");
        let tpl = field(spec, "template");
        let pod = field(tpl, "spec");
        let containers = field(pod, "containers");
        assert_eq!(smp(containers), Smp::Merge("name"));
        let c = elem(containers);
        assert_eq!(smp(field(c, "ports")), Smp::Merge("containerPort"));
        assert_eq!(
            list_type(field(c, "ports")),
            ListType::Map(&["containerPort", "protocol"])
        );
        assert_eq!(smp(field(c, "args")), Smp::Replace);
        assert_eq!(field(field(tpl, "metadata"), "labels"), Ty::Map(""));
    }

    #[test]
    fn unknown_kinds_know_metadata_only() {
        let t = root("example.com", "Foo");
        assert_eq!(
            smp(field(field(t, "metadata"), "finalizers")),
            Smp::Merge("")
        );
        assert_eq!(field(t, "spec"), Ty::Unknown);
        assert_eq!(field(Ty::Unknown, "x"), Ty::Unknown);
    }
}
