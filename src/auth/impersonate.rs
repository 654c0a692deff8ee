//! Impersonation (`Impersonate-User`, `-Group`, `-Uid`, `Impersonate-Extra-<key>`),
//! as `staging/src/k8s.io/apiserver/pkg/endpoints/filters/impersonation.go`:
//! each requested identity part is checked with the `impersonate` verb
//! (users, groups, serviceaccounts, uids, userextras) and the request then
//! runs as the impersonated user.

use super::attributes::Attributes;
use super::error;
use super::user::{self, UserInfo};
use crate::api::error::ApiError;
use http::HeaderMap;

const USER: &str = "impersonate-user";
const GROUP: &str = "impersonate-group";
const UID: &str = "impersonate-uid";
const EXTRA_PREFIX: &str = "impersonate-extra-";
const AUTHN_GROUP: &str = "authentication.k8s.io";

/// The identity asked for, and the checks it needs.
fn requests(headers: &HeaderMap) -> Result<Option<(UserInfo, Vec<Attributes>)>, ApiError> {
    let values = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_string)
            .collect()
    };
    let requested_user = values(USER).into_iter().next().unwrap_or_default();
    let groups = values(GROUP);
    let uid = values(UID).into_iter().next();
    let mut extra: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (name, value) in headers {
        if let Some(key) = name.as_str().strip_prefix(EXTRA_PREFIX) {
            // Keys are percent-decoded (`unescapeExtraKey`).
            let key = form_urlencoded::parse(format!("k={key}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_else(|| key.to_string());
            if let Ok(v) = value.to_str() {
                extra.entry(key).or_default().push(v.to_string());
            }
        }
    }
    if requested_user.is_empty() {
        if !groups.is_empty() {
            return Err(error::impersonation_without_user(&format!(
                "[{}]",
                groups
                    .iter()
                    .map(|g| format!("/, Kind=Group \"{g}\""))
                    .collect::<Vec<_>>()
                    .join(" ")
            )));
        }
        if !extra.is_empty() || uid.is_some() {
            return Err(error::impersonation_without_user("extras or uid"));
        }
        return Ok(None);
    }
    let mut checks = Vec::new();
    let mut who = UserInfo::default();
    if let Some((ns, name)) = user::split_service_account(&requested_user) {
        checks.push(Attributes::resource(
            "impersonate",
            "",
            "serviceaccounts",
            ns,
            name,
        ));
        who.name = requested_user.clone();
        who.groups = user::service_account_groups(ns);
    } else {
        checks.push(Attributes::resource(
            "impersonate",
            "",
            "users",
            "",
            &requested_user,
        ));
        who.name = requested_user.clone();
    }
    for g in &groups {
        checks.push(Attributes::resource("impersonate", "", "groups", "", g));
        if !who.in_group(g) {
            who.groups.push(g.clone());
        }
    }
    if let Some(u) = &uid {
        checks.push(Attributes::resource(
            "impersonate",
            AUTHN_GROUP,
            "uids",
            "",
            u,
        ));
        who.uid = u.clone();
    }
    for (k, vs) in &extra {
        for v in vs {
            let mut a = Attributes::resource("impersonate", AUTHN_GROUP, "userextras", "", v);
            a.subresource = k.clone();
            checks.push(a);
        }
    }
    who.extra = extra;
    if who.name == user::ANONYMOUS {
        if !who.in_group(user::UNAUTHENTICATED) {
            who.groups.push(user::UNAUTHENTICATED.into());
        }
    } else if !who.in_group(user::AUTHENTICATED) {
        who.groups.push(user::AUTHENTICATED.into());
    }
    Ok(Some((who, checks)))
}

/// The user the request runs as: the authenticated one, or the
/// impersonated one when every check passes (else the 403 of the first
/// refused check). `allowed` is the authorizer.
pub fn apply(
    headers: &HeaderMap,
    user: UserInfo,
    allowed: impl Fn(&UserInfo, &Attributes) -> (bool, String),
) -> Result<UserInfo, ApiError> {
    let Some((who, checks)) = requests(headers)? else {
        return Ok(user);
    };
    for a in &checks {
        let (ok, why) = allowed(&user, a);
        if !ok {
            return Err(error::forbidden(&user.name, a, &why));
        }
    }
    Ok(who)
}

/// Whether a request carries impersonation headers (they are removed
/// before the request goes on, as the real filter does).
pub fn strip(headers: &mut HeaderMap) {
    let names: Vec<http::HeaderName> = headers
        .keys()
        .filter(|n| {
            let n = n.as_str();
            n == USER || n == GROUP || n == UID || n.starts_with(EXTRA_PREFIX)
        })
        .cloned()
        .collect();
    for n in names {
        headers.remove(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, http::HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn service_account_impersonation_checks_the_verb() {
        let admin = UserInfo::new("admin", &["system:masters"]);
        let h = headers(&[("impersonate-user", "system:serviceaccount:ns:sa")]);
        let who = apply(&h, admin.clone(), |_, _| (true, String::new())).expect("allowed");
        assert_eq!(who.name, "system:serviceaccount:ns:sa");
        assert_eq!(
            who.groups,
            vec![
                "system:serviceaccounts",
                "system:serviceaccounts:ns",
                "system:authenticated"
            ]
        );
        let e = apply(&h, UserInfo::new("bob", &[]), |_, _| (false, String::new()))
            .expect_err("refused");
        assert_eq!(
            e.status.message,
            "serviceaccounts \"sa\" is forbidden: User \"bob\" cannot impersonate resource \"serviceaccounts\" in API group \"\" in the namespace \"ns\""
        );
    }

    #[test]
    fn users_groups_and_extras() {
        let h = headers(&[
            ("impersonate-user", "jane"),
            ("impersonate-group", "dev"),
            ("impersonate-extra-scopes", "view"),
        ]);
        let seen = std::sync::Mutex::new(Vec::new());
        let who = apply(&h, UserInfo::new("admin", &[]), |_, a| {
            seen.lock().expect("lock").push(format!(
                "{}:{}:{}",
                a.combined_resource(),
                a.name,
                a.api_group
            ));
            (true, String::new())
        })
        .expect("allowed");
        assert_eq!(who.groups, vec!["dev", "system:authenticated"]);
        assert_eq!(who.extra["scopes"], vec!["view"]);
        assert_eq!(
            seen.into_inner().expect("lock"),
            vec![
                "users:jane:",
                "groups:dev:",
                "userextras/scopes:view:authentication.k8s.io"
            ]
        );
        assert!(apply(
            &headers(&[("impersonate-group", "g")]),
            UserInfo::default(),
            |_, _| (true, String::new())
        )
        .is_err());
        assert!(apply(&HeaderMap::new(), UserInfo::new("x", &[]), |_, _| (
            false,
            String::new()
        ))
        .is_ok());
    }
}
