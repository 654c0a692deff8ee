//! Timestamps as Kubernetes writes them: RFC 3339 in UTC with second
//! precision (`metav1.Time`), e.g. `2026-11-22T17:30:00Z`.

use chrono::{DateTime, SecondsFormat, Utc};

/// Now, as a `metav1.Time` string.
pub fn now_rfc3339() -> String {
    format_time(Utc::now())
}

/// A time as a `metav1.Time` string.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Parses a `metav1.Time` string.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}
