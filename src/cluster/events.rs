//! Events as the components record them (`client-go/tools/record`):
//! core/v1 Events named `<object>.<hex>`, with `source` and the reporting
//! controller, so `kubectl describe` and `kubectl get events` read as on a
//! cluster. Shapes UNVERIFIED against a recording (from
//! `tools/record/event.go` `makeEvent`).

use super::client::{collection_path, Client};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Normal or Warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// `Normal`.
    Normal,
    /// `Warning`.
    Warning,
}

/// Who records: component (`kubelet`, `default-scheduler`,
/// `deployment-controller`...) and host (the node, for kubelets).
#[derive(Debug, Clone)]
pub struct Recorder {
    client: Client,
    component: &'static str,
    host: String,
}

impl Recorder {
    /// A recorder writing through `client`.
    pub fn new(client: Client, component: &'static str, host: &str) -> Recorder {
        Recorder {
            client,
            component,
            host: host.to_string(),
        }
    }

    /// The same component on another host.
    pub fn on_host(&self, host: &str) -> Recorder {
        Recorder {
            host: host.to_string(),
            ..self.clone()
        }
    }

    /// Records one event about `obj` (errors are logged: an event that
    /// cannot be written never stops a controller).
    pub async fn record(
        &self,
        obj: &Value,
        field_path: Option<&str>,
        kind: EventKind,
        reason: &str,
        message: &str,
    ) {
        let meta = |k: &str| {
            obj.pointer(&format!("/metadata/{k}"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let (name, ns) = (meta("name"), meta("namespace"));
        let ns = if ns.is_empty() {
            "default".to_string()
        } else {
            ns
        };
        let now = chrono::Utc::now();
        let nanos =
            now.timestamp_nanos_opt().unwrap_or(0) as u64 + COUNTER.fetch_add(1, Ordering::Relaxed);
        let ts = crate::meta::time::format_time(now);
        let mut involved = json!({
            "kind": obj.get("kind").cloned().unwrap_or(Value::Null),
            "namespace": meta("namespace"),
            "name": name,
            "uid": meta("uid"),
            "apiVersion": obj.get("apiVersion").cloned().unwrap_or(Value::Null),
            "resourceVersion": meta("resourceVersion"),
        });
        if involved["namespace"] == "" {
            involved
                .as_object_mut()
                .map(|m| m.shift_remove("namespace"));
        }
        if let Some(fp) = field_path {
            involved["fieldPath"] = json!(fp);
        }
        let mut source = json!({"component": self.component});
        if !self.host.is_empty() {
            source["host"] = json!(self.host);
        }
        let event = json!({
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": format!("{name}.{nanos:x}"), "namespace": ns},
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "source": source,
            "firstTimestamp": ts,
            "lastTimestamp": ts,
            "count": 1,
            "type": match kind { EventKind::Normal => "Normal", EventKind::Warning => "Warning" },
            "eventTime": null,
            "reportingComponent": self.component,
            "reportingInstance": self.host,
        });
        if let Err(e) = self
            .client
            .create(&collection_path("v1", &ns, "events"), &event)
            .await
        {
            tracing::debug!("event {reason} for {name}: {e}");
        }
    }
}
