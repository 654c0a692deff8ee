//! Version profiles: everything that differs between the kube-apiserver
//! releases kubemock emulates, as one row of data per version.
//!
//! Handlers read fields (`profile.table_on_watch_list`); they never compare
//! version numbers. The table follows §0.1 of the behaviour spec.

/// Whether the server's `WatchList` feature gate is on, and how it was set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeatureGates {
    /// `WatchList` (API streaming, KEP-3157).
    pub watch_list: bool,
}

/// One emulated Kubernetes minor version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// `"1.36"`.
    pub name: &'static str,
    /// `/version` major.
    pub major: &'static str,
    /// `/version` minor.
    pub minor: &'static str,
    /// `/version` gitVersion (a released patch of that minor).
    pub git_version: &'static str,
    /// Default of the server `WatchList` gate.
    pub watch_list_default: bool,
    /// Content negotiation (406) runs before parameter decoding (400) and
    /// validation (422): ≤1.31 and ≥1.36. 1.32–1.35 validate first.
    pub negotiate_before_validate: bool,
    /// A Table Accept on a watch-list request is served (else 406):
    /// refused in 1.32–1.33 only (`watchListEndpointRestrictions`).
    pub table_on_watch_list: bool,
    /// The end bookmark also carries
    /// `kubernetes.io/initial-events-list-blueprint` (1.32–1.33).
    pub blueprint_annotation: bool,
    /// A zero `metadata.creationTimestamp` is written as `null` (≤1.33)
    /// rather than omitted (1.34+, `omitzero`).
    pub creation_timestamp_null: bool,
}

/// Every supported profile, oldest first.
#[rustfmt::skip]
pub const PROFILES: &[Profile] = &[
    Profile { name: "1.31", major: "1", minor: "31", git_version: "v1.31.14", watch_list_default: false, negotiate_before_validate: true,  table_on_watch_list: true,  blueprint_annotation: false, creation_timestamp_null: true },
    Profile { name: "1.32", major: "1", minor: "32", git_version: "v1.32.10", watch_list_default: true,  negotiate_before_validate: false, table_on_watch_list: false, blueprint_annotation: true,  creation_timestamp_null: true },
    Profile { name: "1.33", major: "1", minor: "33", git_version: "v1.33.6",  watch_list_default: false, negotiate_before_validate: false, table_on_watch_list: false, blueprint_annotation: true,  creation_timestamp_null: true },
    Profile { name: "1.34", major: "1", minor: "34", git_version: "v1.34.2",  watch_list_default: true,  negotiate_before_validate: false, table_on_watch_list: true,  blueprint_annotation: false, creation_timestamp_null: false },
    Profile { name: "1.35", major: "1", minor: "35", git_version: "v1.35.0",  watch_list_default: true,  negotiate_before_validate: false, table_on_watch_list: true,  blueprint_annotation: false, creation_timestamp_null: false },
    Profile { name: "1.36", major: "1", minor: "36", git_version: "v1.36.2",  watch_list_default: true,  negotiate_before_validate: true,  table_on_watch_list: true,  blueprint_annotation: false, creation_timestamp_null: false },
    // 1.37 behaves as 1.36 unless the spec says otherwise.
    Profile { name: "1.37", major: "1", minor: "37", git_version: "v1.37.0",  watch_list_default: true,  negotiate_before_validate: true,  table_on_watch_list: true,  blueprint_annotation: false, creation_timestamp_null: false },
];

impl Profile {
    /// The profile for `"1.36"` (also accepts `v1.36` and `1.36.2`).
    pub fn find(version: &str) -> Option<&'static Profile> {
        let v = version.trim_start_matches('v');
        let minor: String = v.split('.').take(2).collect::<Vec<_>>().join(".");
        PROFILES.iter().find(|p| p.name == minor)
    }

    /// The newest profile (the default).
    pub fn latest() -> &'static Profile {
        &PROFILES[PROFILES.len() - 1]
    }

    /// The names of every profile, for `--help` and errors.
    pub fn names() -> Vec<&'static str> {
        PROFILES.iter().map(|p| p.name).collect()
    }

    /// The gates in force: the profile's defaults with `overrides` on top.
    pub fn gates(&self, watch_list_override: Option<bool>) -> FeatureGates {
        FeatureGates {
            watch_list: watch_list_override.unwrap_or(self.watch_list_default),
        }
    }
}

/// Parses `--feature-gates WatchList=true,Foo=false`: returns the WatchList
/// override. Unknown gates are an error, as kube-apiserver refuses them.
pub fn parse_feature_gates(spec: &str) -> Result<Option<bool>, String> {
    let mut watch_list = None;
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, value) = part
            .split_once('=')
            .ok_or_else(|| format!("missing bool value for {part}"))?;
        let value = match value.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "t" => true,
            "false" | "0" | "f" => false,
            _ => {
                return Err(format!(
                    "invalid value of {name}={value}, err: invalid syntax"
                ))
            }
        };
        match name.trim() {
            "WatchList" => watch_list = Some(value),
            other => return Err(format!("unrecognized feature gate: {other}")),
        }
    }
    Ok(watch_list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_are_sorted_and_unique() {
        let names = Profile::names();
        let mut sorted = names.clone();
        sorted.sort_by_key(|n| n.split('.').nth(1).and_then(|m| m.parse::<u32>().ok()));
        sorted.dedup();
        assert_eq!(names, sorted);
    }

    #[test]
    fn the_latest_profile_is_1_37_and_defaults_watch_list_on() {
        let p = Profile::latest();
        assert_eq!(p.name, "1.37");
        assert!(p.gates(None).watch_list);
        assert!(!p.gates(Some(false)).watch_list);
    }

    #[test]
    fn finds_profiles_by_any_spelling() {
        assert_eq!(Profile::find("v1.33.2").map(|p| p.name), Some("1.33"));
        assert_eq!(Profile::find("1.36").map(|p| p.name), Some("1.36"));
        assert!(Profile::find("1.20").is_none());
    }

    #[test]
    fn feature_gates_parse_and_reject_unknown_gates() {
        assert_eq!(parse_feature_gates("WatchList=false"), Ok(Some(false)));
        assert_eq!(parse_feature_gates(""), Ok(None));
        assert!(parse_feature_gates("Nope=true").is_err());
    }
}
