//! RBAC's escalation prevention on Role, ClusterRole, RoleBinding and
//! ClusterRoleBinding creates and updates (`pkg/registry/rbac/*/policybased/storage.go`,
//! `pkg/registry/rbac/validation/rule.go` `ConfirmNoEscalation`, `Covers`):
//! a user may only write a role whose rules they hold (unless allowed the
//! `escalate` verb on it) and only bind a role whose rules they hold
//! (unless allowed `bind` on it).
//!
//! UNVERIFIED: PATCH and server-side apply are not checked (the body is
//! not the final object); the missing-rules listing compacts rules with
//! the same groups, resources and names into one, as `CompactRules` does
//! for the simple cases.

use super::attributes::Attributes;
use super::error;
use super::rbac::{self, PolicyRule};
use super::user::UserInfo;
use super::Auth;
use crate::api::error::ApiError;
use serde_json::Value;

/// Whether a request writes an RBAC object whose content is checked.
pub fn guards(a: &Attributes) -> bool {
    a.resource_request
        && a.api_group == rbac::GROUP
        && a.subresource.is_empty()
        && matches!(a.verb.as_str(), "create" | "update")
        && matches!(
            a.resource.as_str(),
            "roles" | "clusterroles" | "rolebindings" | "clusterrolebindings"
        )
}

/// Refuses the write when it grants more than the user holds.
pub fn check(auth: &Auth, user: &UserInfo, a: &Attributes, body: &[u8]) -> Result<(), ApiError> {
    // A body that does not parse is the API layer's 400 to give.
    let Ok(obj) = serde_json::from_slice::<Value>(body) else {
        return Ok(());
    };
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or(&a.name)
        .to_string();
    let ns = a.namespace.as_str();
    let (rules, missing_role) = match a.resource.as_str() {
        "roles" | "clusterroles" => {
            let mut escalate =
                Attributes::resource("escalate", rbac::GROUP, &a.resource, ns, &name);
            escalate.api_version = a.api_version.clone();
            if auth.authorize(user, &escalate).0 {
                return Ok(());
            }
            (rbac::rules_of(&obj), None)
        }
        _ => {
            let role_ref: rbac::RoleRef = obj
                .get("roleRef")
                .cloned()
                .and_then(|r| serde_json::from_value(r).ok())
                .unwrap_or_default();
            let (resource, role_ns) = if role_ref.kind == "Role" {
                ("roles", ns)
            } else {
                ("clusterroles", "")
            };
            let bind = Attributes::resource("bind", rbac::GROUP, resource, ns, &role_ref.name);
            if auth.authorize(user, &bind).0 {
                return Ok(());
            }
            let store = &auth.state().store;
            let gr = crate::store::GroupResource::new(rbac::GROUP, resource);
            match store.get(&gr, role_ns, &role_ref.name) {
                Some(role) => (rbac::rules_of(&role), None),
                None => (Vec::new(), Some((resource, role_ref.name))),
            }
        }
    };
    if let Some((resource, role)) = missing_role {
        // `GetRoleReferenceRules`: the role must exist.
        let singular = resource.trim_end_matches('s');
        return Err(ApiError::not_found(rbac::GROUP, singular, &role));
    }
    let (owner, _) = auth.rules_for(user, ns);
    let missing = uncovered(&owner, &rules);
    if missing.is_empty() {
        return Ok(());
    }
    Err(error::escalation(
        &a.resource,
        &name,
        &user.name,
        &user.groups,
        &describe(&missing),
    ))
}

/// The rules of `servant` broken into single-verb, single-resource,
/// single-name rules that no rule of `owner` covers (`Covers`).
pub fn uncovered(owner: &[PolicyRule], servant: &[PolicyRule]) -> Vec<PolicyRule> {
    let mut missing = Vec::new();
    for rule in servant {
        for sub in breakdown(rule) {
            if !owner.iter().any(|o| covers(o, &sub)) && !missing.contains(&sub) {
                missing.push(sub);
            }
        }
    }
    missing
}

/// `BreakdownRule`.
fn breakdown(r: &PolicyRule) -> Vec<PolicyRule> {
    let one = |s: &String| vec![s.clone()];
    let mut out = Vec::new();
    for g in &r.api_groups {
        for res in &r.resources {
            for v in &r.verbs {
                if r.resource_names.is_empty() {
                    out.push(PolicyRule {
                        verbs: one(v),
                        api_groups: one(g),
                        resources: one(res),
                        ..Default::default()
                    });
                }
                for n in &r.resource_names {
                    out.push(PolicyRule {
                        verbs: one(v),
                        api_groups: one(g),
                        resources: one(res),
                        resource_names: one(n),
                        ..Default::default()
                    });
                }
            }
        }
    }
    for u in &r.non_resource_urls {
        for v in &r.verbs {
            out.push(PolicyRule {
                verbs: one(v),
                non_resource_urls: one(u),
                ..Default::default()
            });
        }
    }
    out
}

fn has(list: &[String], x: &str) -> bool {
    list.iter().any(|s| s == x)
}

/// `ruleCovers` for a broken-down rule.
fn covers(owner: &PolicyRule, sub: &PolicyRule) -> bool {
    let verb = has(&owner.verbs, "*") || sub.verbs.iter().all(|v| has(&owner.verbs, v));
    if !verb {
        return false;
    }
    if !sub.non_resource_urls.is_empty() {
        return sub.non_resource_urls.iter().all(|u| {
            owner.non_resource_urls.iter().any(|o| {
                o == "*" || o == u || (o.ends_with('*') && u.starts_with(o.trim_end_matches('*')))
            })
        });
    }
    let group =
        has(&owner.api_groups, "*") || sub.api_groups.iter().all(|g| has(&owner.api_groups, g));
    let resource = sub.resources.iter().all(|r| {
        has(&owner.resources, "*")
            || has(&owner.resources, r)
            || r.split_once('/')
                .is_some_and(|(_, s)| has(&owner.resources, &format!("*/{s}")))
    });
    let names = owner.resource_names.is_empty()
        || (!sub.resource_names.is_empty()
            && sub
                .resource_names
                .iter()
                .all(|n| has(&owner.resource_names, n)));
    group && resource && names
}

/// `CompactString` of each missing rule, verbs of the same target merged,
/// sorted.
fn describe(missing: &[PolicyRule]) -> Vec<String> {
    let mut merged: Vec<PolicyRule> = Vec::new();
    for m in missing {
        match merged.iter_mut().find(|r| {
            r.api_groups == m.api_groups
                && r.resources == m.resources
                && r.resource_names == m.resource_names
                && r.non_resource_urls == m.non_resource_urls
        }) {
            Some(r) => r.verbs.extend(m.verbs.iter().cloned()),
            None => merged.push(m.clone()),
        }
    }
    let q = |l: &[String]| {
        format!(
            "[{}]",
            l.iter()
                .map(|s| format!("{s:?}"))
                .collect::<Vec<_>>()
                .join(" ")
        )
    };
    let mut out: Vec<String> = merged
        .iter()
        .map(|r| {
            let mut parts = Vec::new();
            if !r.api_groups.is_empty() {
                parts.push(format!("APIGroups:{}", q(&r.api_groups)));
            }
            if !r.resources.is_empty() {
                parts.push(format!("Resources:{}", q(&r.resources)));
            }
            if !r.non_resource_urls.is_empty() {
                parts.push(format!("NonResourceURLs:{}", q(&r.non_resource_urls)));
            }
            if !r.resource_names.is_empty() {
                parts.push(format!("ResourceNames:{}", q(&r.resource_names)));
            }
            parts.push(format!("Verbs:{}", q(&r.verbs)));
            format!("{{{}}}", parts.join(", "))
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(v: Value) -> PolicyRule {
        serde_json::from_value(v).expect("rule")
    }

    #[test]
    fn covers_and_describes_missing_rules() {
        let owner = vec![rule(
            json!({"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods", "*/status"]}),
        )];
        let servant = vec![rule(
            json!({"verbs": ["get", "delete"], "apiGroups": [""], "resources": ["pods", "pods/status", "secrets"]}),
        )];
        let missing = uncovered(&owner, &servant);
        assert_eq!(
            describe(&missing),
            vec![
                "{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"delete\"]}",
                "{APIGroups:[\"\"], Resources:[\"pods/status\"], Verbs:[\"delete\"]}",
                "{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\" \"delete\"]}",
            ]
        );
        let admin = vec![rule(
            json!({"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}),
        )];
        assert!(uncovered(&admin, &servant).is_empty());
        let named = vec![rule(
            json!({"verbs": ["get"], "apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["a"]}),
        )];
        let wants_all = vec![rule(
            json!({"verbs": ["get"], "apiGroups": [""], "resources": ["configmaps"]}),
        )];
        assert_eq!(uncovered(&named, &wants_all).len(), 1);
    }
}
