//! RBAC evaluation over the store's Roles, ClusterRoles, RoleBindings and
//! ClusterRoleBindings, as `plugin/pkg/auth/authorizer/rbac/rbac.go`
//! (`RBACAuthorizer.Authorize`, `RulesFor`), `pkg/apis/rbac/v1/evaluation_helpers.go`
//! (`RuleAllows` and the matchers) and
//! `pkg/registry/rbac/validation/rule.go` (`VisitRulesFor`, `appliesTo`).
//!
//! The four collections are read into an [`Index`] that is rebuilt only
//! when one of them changed (the store's maps are persistent: an unchanged
//! collection is the same map, compared by pointer).

use super::attributes::Attributes;
use super::user::{service_account_user, UserInfo};
use crate::store::{GroupResource, ReadAt, Store};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// The RBAC API group.
pub const GROUP: &str = "rbac.authorization.k8s.io";

/// `rbacv1.PolicyRule`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyRule {
    /// Verbs (`*` for all).
    #[serde(default, deserialize_with = "null_vec")]
    pub verbs: Vec<String>,
    /// API groups (`*` for all).
    #[serde(
        default,
        deserialize_with = "null_vec",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub api_groups: Vec<String>,
    /// Resources (`*`, `res/sub`, `*/sub`).
    #[serde(
        default,
        deserialize_with = "null_vec",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub resources: Vec<String>,
    /// Object names (empty: all).
    #[serde(
        default,
        deserialize_with = "null_vec",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub resource_names: Vec<String>,
    /// Non-resource URLs (a trailing `*` is a prefix match).
    #[serde(
        default,
        rename = "nonResourceURLs",
        deserialize_with = "null_vec",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub non_resource_urls: Vec<String>,
}

fn null_vec<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(d)?.unwrap_or_default())
}

fn has(list: &[String], item: &str) -> bool {
    list.iter().any(|x| x == item)
}

/// `VerbMatches`.
pub fn verb_matches(rule: &PolicyRule, verb: &str) -> bool {
    has(&rule.verbs, "*") || has(&rule.verbs, verb)
}

/// `APIGroupMatches`.
pub fn api_group_matches(rule: &PolicyRule, group: &str) -> bool {
    has(&rule.api_groups, "*") || has(&rule.api_groups, group)
}

/// `ResourceMatches`: `*`, the combined `resource/subresource`, or `*/subresource`.
pub fn resource_matches(rule: &PolicyRule, combined: &str, subresource: &str) -> bool {
    rule.resources.iter().any(|r| {
        r == "*"
            || r == combined
            || (!subresource.is_empty()
                && r.len() == subresource.len() + 2
                && r.starts_with("*/")
                && r.ends_with(subresource))
    })
}

/// `ResourceNameMatches`.
pub fn resource_name_matches(rule: &PolicyRule, name: &str) -> bool {
    rule.resource_names.is_empty() || has(&rule.resource_names, name)
}

/// `NonResourceURLMatches`.
pub fn non_resource_url_matches(rule: &PolicyRule, path: &str) -> bool {
    rule.non_resource_urls.iter().any(|u| {
        u == "*" || u == path || (u.ends_with('*') && path.starts_with(u.trim_end_matches('*')))
    })
}

/// `RuleAllows`.
pub fn rule_allows(a: &Attributes, rule: &PolicyRule) -> bool {
    if a.resource_request {
        verb_matches(rule, &a.verb)
            && api_group_matches(rule, &a.api_group)
            && resource_matches(rule, &a.combined_resource(), &a.subresource)
            && resource_name_matches(rule, &a.name)
    } else {
        verb_matches(rule, &a.verb) && non_resource_url_matches(rule, &a.path)
    }
}

/// `rbacv1.Subject`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Subject {
    /// `User`, `Group` or `ServiceAccount`.
    #[serde(default)]
    pub kind: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Namespace (service accounts).
    #[serde(default)]
    pub namespace: String,
}

/// `rbacv1.RoleRef`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct RoleRef {
    /// `Role` or `ClusterRole`.
    #[serde(default)]
    pub kind: String,
    /// Name.
    #[serde(default)]
    pub name: String,
}

/// A RoleBinding or ClusterRoleBinding, as the evaluator needs it.
#[derive(Debug, Clone, Default)]
pub struct Binding {
    /// The binding's name.
    pub name: String,
    /// Its namespace (`""` for a ClusterRoleBinding).
    pub namespace: String,
    /// The role bound.
    pub role_ref: RoleRef,
    /// Who it binds.
    pub subjects: Vec<Subject>,
}

/// `appliesToUser`.
fn applies_to(user: &UserInfo, s: &Subject, namespace: &str) -> bool {
    match s.kind.as_str() {
        "User" => user.name == s.name,
        "Group" => user.in_group(&s.name),
        "ServiceAccount" => {
            let ns = if s.namespace.is_empty() {
                namespace
            } else {
                s.namespace.as_str()
            };
            !ns.is_empty() && service_account_user(ns, &s.name) == user.name
        }
        _ => false,
    }
}

/// The bindings of one namespace (or the cluster bindings), in list order,
/// indexed by the user names and groups their subjects name, so a check
/// visits only the bindings that apply to the user.
#[derive(Debug, Default)]
struct Bindings {
    list: Vec<Binding>,
    by_user: HashMap<String, Vec<usize>>,
    by_group: HashMap<String, Vec<usize>>,
}

impl Bindings {
    fn new(list: Vec<Binding>, namespace: &str) -> Bindings {
        let mut b = Bindings::default();
        for (i, binding) in list.iter().enumerate() {
            for s in &binding.subjects {
                match s.kind.as_str() {
                    "User" => b.by_user.entry(s.name.clone()).or_default().push(i),
                    "Group" => b.by_group.entry(s.name.clone()).or_default().push(i),
                    "ServiceAccount" => {
                        let ns = if s.namespace.is_empty() {
                            namespace
                        } else {
                            &s.namespace
                        };
                        if !ns.is_empty() {
                            b.by_user
                                .entry(service_account_user(ns, &s.name))
                                .or_default()
                                .push(i);
                        }
                    }
                    _ => {}
                }
            }
        }
        b.list = list;
        b
    }

    /// The bindings that apply to the user, in list order.
    fn applying(&self, user: &UserInfo) -> impl Iterator<Item = &Binding> {
        let mut idx: Vec<usize> = self.by_user.get(&user.name).cloned().unwrap_or_default();
        for g in &user.groups {
            if let Some(v) = self.by_group.get(g) {
                idx.extend_from_slice(v);
            }
        }
        idx.sort_unstable();
        idx.dedup();
        idx.into_iter().map(move |i| &self.list[i])
    }
}

/// The RBAC objects of one moment, indexed.
#[derive(Debug, Default)]
pub struct Index {
    cluster_roles: HashMap<String, Arc<Vec<PolicyRule>>>,
    roles: HashMap<(String, String), Arc<Vec<PolicyRule>>>,
    cluster_bindings: Bindings,
    role_bindings: HashMap<String, Bindings>,
}

/// Reads `rules` of a role object (null rules: none).
pub fn rules_of(obj: &serde_json::Value) -> Vec<PolicyRule> {
    obj.get("rules")
        .cloned()
        .and_then(|r| serde_json::from_value::<Option<Vec<PolicyRule>>>(r).ok())
        .flatten()
        .unwrap_or_default()
}

/// Reads a binding object.
pub fn binding_of(obj: &serde_json::Value) -> Binding {
    let meta = |k: &str| {
        obj.pointer(&format!("/metadata/{k}"))
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    Binding {
        name: meta("name"),
        namespace: meta("namespace"),
        role_ref: obj
            .get("roleRef")
            .cloned()
            .and_then(|r| serde_json::from_value(r).ok())
            .unwrap_or_default(),
        subjects: obj
            .get("subjects")
            .cloned()
            .and_then(|r| serde_json::from_value::<Option<Vec<Subject>>>(r).ok())
            .flatten()
            .unwrap_or_default(),
    }
}

/// What a visit of the rules that apply found: the rule that allowed (with
/// the binding that granted it) and the errors of unresolvable role refs.
#[derive(Debug, Default)]
pub struct Decision {
    /// Allowed, and by what (`allowed by ClusterRoleBinding "x" of ...`).
    pub allowed_by: Option<String>,
    /// `clusterrole.rbac.authorization.k8s.io "x" not found`, ...
    pub errors: Vec<String>,
}

impl Decision {
    /// The reason string (`RBAC: ...`) the real authorizer returns.
    pub fn reason(&self) -> String {
        match &self.allowed_by {
            Some(by) => format!("RBAC: {by}"),
            None if self.errors.is_empty() => String::new(),
            None if self.errors.len() == 1 => format!("RBAC: {}", self.errors[0]),
            // `utilerrors.NewAggregate` of several.
            None => format!("RBAC: [{}]", self.errors.join(", ")),
        }
    }
}

impl Index {
    /// Builds the index from the four collections' objects.
    pub fn build(
        cluster_roles: impl Iterator<Item = serde_json::Value>,
        roles: impl Iterator<Item = serde_json::Value>,
        cluster_bindings: impl Iterator<Item = serde_json::Value>,
        role_bindings: impl Iterator<Item = serde_json::Value>,
    ) -> Index {
        let mut ix = Index::default();
        for o in cluster_roles {
            let b = binding_of(&o);
            ix.cluster_roles.insert(b.name, Arc::new(rules_of(&o)));
        }
        for o in roles {
            let b = binding_of(&o);
            ix.roles
                .insert((b.namespace, b.name), Arc::new(rules_of(&o)));
        }
        ix.cluster_bindings = Bindings::new(cluster_bindings.map(|o| binding_of(&o)).collect(), "");
        let mut by_ns: HashMap<String, Vec<Binding>> = HashMap::new();
        for o in role_bindings {
            let b = binding_of(&o);
            by_ns.entry(b.namespace.clone()).or_default().push(b);
        }
        ix.role_bindings = by_ns
            .into_iter()
            .map(|(ns, list)| {
                let b = Bindings::new(list, &ns);
                (ns, b)
            })
            .collect();
        ix
    }

    fn role_rules(&self, r: &RoleRef, namespace: &str) -> Result<Arc<Vec<PolicyRule>>, String> {
        match r.kind.as_str() {
            "ClusterRole" => self
                .cluster_roles
                .get(&r.name)
                .cloned()
                .ok_or_else(|| format!("clusterrole.{GROUP} \"{}\" not found", r.name)),
            "Role" => self
                .roles
                .get(&(namespace.to_string(), r.name.clone()))
                .cloned()
                .ok_or_else(|| format!("role.{GROUP} \"{}\" not found", r.name)),
            other => Err(format!("unsupported role reference kind: {other:?}")),
        }
    }

    /// `VisitRulesFor`: calls `visit` with each rule that applies to `user`
    /// in `namespace` (cluster bindings first, then the namespace's role
    /// bindings) until it returns false. Returns the resolution errors.
    pub fn visit(
        &self,
        user: &UserInfo,
        namespace: &str,
        mut visit: impl FnMut(&Binding, &PolicyRule) -> bool,
    ) -> Vec<String> {
        let mut errors = Vec::new();
        for b in self.cluster_bindings.applying(user) {
            match self.role_rules(&b.role_ref, "") {
                Ok(rules) => {
                    for r in rules.iter() {
                        if !visit(b, r) {
                            return errors;
                        }
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        if namespace.is_empty() {
            return errors;
        }
        let Some(bindings) = self.role_bindings.get(namespace) else {
            return errors;
        };
        for b in bindings.applying(user) {
            match self.role_rules(&b.role_ref, namespace) {
                Ok(rules) => {
                    for r in rules.iter() {
                        if !visit(b, r) {
                            return errors;
                        }
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        errors
    }

    /// `RBACAuthorizer.Authorize`.
    pub fn authorize(&self, user: &UserInfo, a: &Attributes) -> Decision {
        let mut allowed_by = None;
        let errors = self.visit(user, &a.namespace, |b, rule| {
            if rule_allows(a, rule) {
                allowed_by = Some(describe(b, user));
                return false;
            }
            true
        });
        let errors = if allowed_by.is_some() {
            Vec::new()
        } else {
            errors
        };
        Decision { allowed_by, errors }
    }

    /// Whether the request is allowed (no reason built: the hot path).
    pub fn allows(&self, user: &UserInfo, a: &Attributes) -> bool {
        let mut allowed = false;
        self.visit(user, &a.namespace, |_, rule| {
            allowed = rule_allows(a, rule);
            !allowed
        });
        allowed
    }

    /// `RulesFor`: every rule that applies in a namespace, and the errors.
    pub fn rules_for(&self, user: &UserInfo, namespace: &str) -> (Vec<PolicyRule>, Vec<String>) {
        let mut rules = Vec::new();
        let errors = self.visit(user, namespace, |_, r| {
            rules.push(r.clone());
            true
        });
        (rules, errors)
    }

    /// The names of the ClusterRoles (for aggregation).
    pub fn has_cluster_role(&self, name: &str) -> bool {
        self.cluster_roles.contains_key(name)
    }
}

/// `authorizingVisitor` description: `allowed by ClusterRoleBinding "x" of
/// ClusterRole "y" to User "z"`.
fn describe(b: &Binding, user: &UserInfo) -> String {
    let subject = b
        .subjects
        .iter()
        .find(|s| applies_to(user, s, &b.namespace))
        .map(|s| {
            if s.kind == "ServiceAccount" {
                let ns = if s.namespace.is_empty() {
                    &b.namespace
                } else {
                    &s.namespace
                };
                format!("ServiceAccount \"{}/{}\"", ns, s.name)
            } else {
                format!("{} \"{}\"", s.kind, s.name)
            }
        })
        .unwrap_or_default();
    if b.namespace.is_empty() {
        format!(
            "allowed by ClusterRoleBinding \"{}\" of {} \"{}\" to {subject}",
            b.name, b.role_ref.kind, b.role_ref.name
        )
    } else {
        format!(
            "allowed by RoleBinding \"{}/{}\" of {} \"{}\" to {subject}",
            b.name, b.namespace, b.role_ref.kind, b.role_ref.name
        )
    }
}

type Maps = [crate::store::Objects; 4];

/// The index and the collections it was built from, at one revision.
type Indexed = (u64, Arc<Maps>, Arc<Index>);

/// The index of the newest state, rebuilt when a collection changed.
#[derive(Default)]
pub struct Cache {
    current: RwLock<Option<Indexed>>,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("rbac::Cache")
    }
}

/// The collections the index reads.
pub fn resources() -> [GroupResource; 4] {
    [
        GroupResource::new(GROUP, "clusterroles"),
        GroupResource::new(GROUP, "roles"),
        GroupResource::new(GROUP, "clusterrolebindings"),
        GroupResource::new(GROUP, "rolebindings"),
    ]
}

impl Cache {
    /// The index of the newest state.
    pub fn index(&self, store: &Store) -> Arc<Index> {
        let rv = store.current_rv();
        if let Ok(guard) = self.current.read() {
            if let Some((at, _, ix)) = guard.as_ref() {
                if *at == rv {
                    return Arc::clone(ix);
                }
            }
        }
        let grs = resources();
        let maps: Maps = grs.map(|gr| {
            store
                .snapshot(&gr, ReadAt::Latest)
                .map(|s| s.objects)
                .unwrap_or_default()
        });
        let mut guard = self.current.write().unwrap_or_else(|p| p.into_inner());
        if let Some((at, old, ix)) = guard.as_mut() {
            if old.iter().zip(maps.iter()).all(|(a, b)| a.ptr_eq(b)) {
                *at = rv;
                return Arc::clone(ix);
            }
        }
        let vals = |m: &crate::store::Objects| m.values().map(|o| o.to_value()).collect::<Vec<_>>();
        let ix = Arc::new(Index::build(
            vals(&maps[0]).into_iter(),
            vals(&maps[1]).into_iter(),
            vals(&maps[2]).into_iter(),
            vals(&maps[3]).into_iter(),
        ));
        *guard = Some((rv, Arc::new(maps), Arc::clone(&ix)));
        ix
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(v: serde_json::Value) -> PolicyRule {
        serde_json::from_value(v).expect("rule")
    }

    fn res(verb: &str, group: &str, resource: &str, sub: &str, name: &str) -> Attributes {
        let mut a = Attributes::resource(verb, group, resource, "ns", name);
        a.subresource = sub.to_string();
        a
    }

    #[test]
    fn matchers_follow_evaluation_helpers() {
        let r = rule(
            json!({"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods", "deployments/scale"]}),
        );
        assert!(rule_allows(&res("get", "", "pods", "", "x"), &r));
        assert!(!rule_allows(&res("delete", "", "pods", "", "x"), &r));
        assert!(!rule_allows(&res("get", "apps", "pods", "", "x"), &r));
        assert!(!rule_allows(&res("get", "", "pods", "log", "x"), &r));
        assert!(rule_allows(
            &res("get", "", "deployments", "scale", "x"),
            &r
        ));
        let star_sub = rule(json!({"verbs": ["*"], "apiGroups": ["*"], "resources": ["*/scale"]}));
        assert!(rule_allows(
            &res("update", "apps", "deployments", "scale", ""),
            &star_sub
        ));
        assert!(!rule_allows(
            &res("update", "apps", "deployments", "", ""),
            &star_sub
        ));
        assert!(!rule_allows(
            &res("update", "apps", "deployments", "status", ""),
            &star_sub
        ));
        let named = rule(
            json!({"verbs": ["get"], "apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["a"]}),
        );
        assert!(rule_allows(&res("get", "", "configmaps", "", "a"), &named));
        assert!(!rule_allows(&res("get", "", "configmaps", "", "b"), &named));
        assert!(!rule_allows(&res("list", "", "configmaps", "", ""), &named));
        let urls = rule(json!({"verbs": ["get"], "nonResourceURLs": ["/healthz", "/apis/*"]}));
        assert!(rule_allows(
            &Attributes::non_resource("get", "/healthz"),
            &urls
        ));
        assert!(!rule_allows(
            &Attributes::non_resource("get", "/healthz/ping"),
            &urls
        ));
        assert!(rule_allows(
            &Attributes::non_resource("get", "/apis/apps/v1"),
            &urls
        ));
        assert!(!rule_allows(
            &Attributes::non_resource("post", "/healthz"),
            &urls
        ));
        // A resource rule never allows a non-resource request and back.
        assert!(!rule_allows(&res("get", "", "pods", "", ""), &urls));
    }

    #[test]
    fn bindings_resolve_roles_and_subjects() {
        let ix = Index::build(
            [json!({"metadata": {"name": "reader"}, "rules": [{"verbs": ["list"], "apiGroups": [""], "resources": ["pods"]}]})].into_iter(),
            [json!({"metadata": {"name": "cm", "namespace": "ns"}, "rules": [{"verbs": ["get"], "apiGroups": [""], "resources": ["configmaps"]}]})].into_iter(),
            [json!({"metadata": {"name": "g"}, "roleRef": {"kind": "ClusterRole", "name": "reader"}, "subjects": [{"kind": "Group", "name": "readers"}]})].into_iter(),
            [
                json!({"metadata": {"name": "sa", "namespace": "ns"}, "roleRef": {"kind": "Role", "name": "cm"}, "subjects": [{"kind": "ServiceAccount", "name": "sa"}]}),
                json!({"metadata": {"name": "gone", "namespace": "ns"}, "roleRef": {"kind": "Role", "name": "missing"}, "subjects": [{"kind": "User", "name": "bob"}]}),
            ]
            .into_iter(),
        );
        let sa = UserInfo::new("system:serviceaccount:ns:sa", &[]);
        let get_cm = Attributes::resource("get", "", "configmaps", "ns", "x");
        let d = ix.authorize(&sa, &get_cm);
        assert_eq!(
            d.reason(),
            "RBAC: allowed by RoleBinding \"sa/ns\" of Role \"cm\" to ServiceAccount \"ns/sa\""
        );
        let other_ns = Attributes::resource("get", "", "configmaps", "other", "x");
        assert!(ix.authorize(&sa, &other_ns).allowed_by.is_none());
        let reader = UserInfo::new("alice", &["readers"]);
        assert!(ix
            .authorize(&reader, &Attributes::resource("list", "", "pods", "", ""))
            .allowed_by
            .is_some());
        let bob = UserInfo::new("bob", &[]);
        let d = ix.authorize(&bob, &get_cm);
        assert!(d.allowed_by.is_none());
        assert_eq!(
            d.reason(),
            "RBAC: role.rbac.authorization.k8s.io \"missing\" not found"
        );
    }
}
