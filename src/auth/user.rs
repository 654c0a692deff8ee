//! `user.Info`: who a request is authenticated as, and the well-known
//! user and group names (`staging/src/k8s.io/apiserver/pkg/authentication/user/user.go`,
//! `serviceaccount/util.go`).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The group whose members may do anything (`user.SystemPrivilegedGroup`).
pub const SYSTEM_MASTERS: &str = "system:masters";
/// Every authenticated user is in this group (`user.AllAuthenticated`).
pub const AUTHENTICATED: &str = "system:authenticated";
/// The anonymous user's group (`user.AllUnauthenticated`).
pub const UNAUTHENTICATED: &str = "system:unauthenticated";
/// The anonymous user (`user.Anonymous`).
pub const ANONYMOUS: &str = "system:anonymous";
/// The user of the admin kubeconfig kubemock writes at start.
pub const ADMIN: &str = "kubemock-admin";
/// The user requests have with `--insecure-http` (authentication off), as
/// the removed insecure port of kube-apiserver had (UNVERIFIED: from the
/// 1.19 `insecure_handler.go`; it put them in `system:masters`).
pub const UNSECURED: &str = "system:unsecured";
/// Every service account's group (`serviceaccount.AllServiceAccountsGroup`).
pub const SERVICE_ACCOUNTS: &str = "system:serviceaccounts";
/// Prefix of a service account's user name.
pub const SA_PREFIX: &str = "system:serviceaccount:";

/// `user.DefaultInfo`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    /// User name.
    #[serde(rename = "username")]
    pub name: String,
    /// UID (may be empty).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub uid: String,
    /// Groups.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// Extra attributes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, Vec<String>>,
}

impl UserInfo {
    /// A user with a name and groups.
    pub fn new(name: &str, groups: &[&str]) -> UserInfo {
        UserInfo {
            name: name.to_string(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            ..Default::default()
        }
    }

    /// The anonymous user.
    pub fn anonymous() -> UserInfo {
        UserInfo::new(ANONYMOUS, &[UNAUTHENTICATED])
    }

    /// Whether the user is in a group.
    pub fn in_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }

    /// Adds `system:authenticated` unless present
    /// (`group.AuthenticatedGroupAdder`).
    pub fn with_authenticated(mut self) -> UserInfo {
        if !self.in_group(AUTHENTICATED) {
            self.groups.push(AUTHENTICATED.to_string());
        }
        self
    }

    /// The `userInfo` object of reviews (`username, uid, groups, extra`).
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// `system:serviceaccount:<ns>:<name>`.
pub fn service_account_user(namespace: &str, name: &str) -> String {
    format!("{SA_PREFIX}{namespace}:{name}")
}

/// Splits a service account user name into (namespace, name).
pub fn split_service_account(user: &str) -> Option<(&str, &str)> {
    let rest = user.strip_prefix(SA_PREFIX)?;
    let (ns, name) = rest.split_once(':')?;
    (!ns.is_empty() && !name.is_empty() && !name.contains(':')).then_some((ns, name))
}

/// A service account's groups (`serviceaccount.MakeGroupNames`).
pub fn service_account_groups(namespace: &str) -> Vec<String> {
    vec![
        SERVICE_ACCOUNTS.to_string(),
        format!("{SERVICE_ACCOUNTS}:{namespace}"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_account_names() {
        assert_eq!(
            service_account_user("ns", "sa"),
            "system:serviceaccount:ns:sa"
        );
        assert_eq!(
            split_service_account("system:serviceaccount:ns:sa"),
            Some(("ns", "sa"))
        );
        assert_eq!(split_service_account("system:serviceaccount:ns"), None);
        assert_eq!(split_service_account("alice"), None);
        assert_eq!(
            service_account_groups("ns"),
            vec!["system:serviceaccounts", "system:serviceaccounts:ns"]
        );
    }

    #[test]
    fn authenticated_group_added_once() {
        let u = UserInfo::new("a", &[AUTHENTICATED]).with_authenticated();
        assert_eq!(u.groups, vec![AUTHENTICATED]);
        let json = serde_json::to_string(&UserInfo::new("a", &[])).expect("json");
        assert_eq!(json, r#"{"username":"a"}"#);
    }
}
