//! Version profiles over real HTTP: each `--emulate-version` changes
//! `/version`, the WatchList gate default, the order of negotiation and
//! validation, Table on a watch-list, the blueprint annotation and
//! `creationTimestamp: null` on the end bookmark, as the spec's version
//! matrix says; `--feature-gates WatchList=...` overrides the default.

use crate::common;

use kubemock::MockServer;
use serde_json::Value;
use std::time::Duration;

const WATCH_LIST: &str =
    "watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true";

struct Target {
    server: MockServer,
    http: reqwest::Client,
}

impl Target {
    async fn new(version: &str, gates: Option<&str>) -> Target {
        let mut b = MockServer::builder()
            .controllers("none")
            .emulate_version(version);
        if let Some(g) = gates {
            b = b.feature_gates(g);
        }
        let server = b.start().await.expect("start");
        let http = common::http_client(&server);
        Target { server, http }
    }

    fn get(&self, path_and_query: &str) -> reqwest::RequestBuilder {
        self.http
            .get(format!("{}{path_and_query}", self.server.url()))
            .bearer_auth(self.server.token().expect("token"))
    }

    /// The events of a watch up to and including the first annotated
    /// bookmark.
    async fn until_end_bookmark(&self, resp: reqwest::Response) -> Vec<Value> {
        let mut resp = resp;
        let mut buf = Vec::new();
        let mut events = Vec::new();
        loop {
            let chunk = tokio::time::timeout(Duration::from_secs(10), resp.chunk())
                .await
                .expect("event in time")
                .expect("read")
                .expect("stream open");
            buf.extend_from_slice(&chunk);
            while let Some(pos) = buf.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = buf.drain(..=pos).collect();
                let ev: Value = serde_json::from_slice(&line).expect("event JSON");
                // A Table bookmark carries the annotation on its row's object.
                let meta = if ev["object"]["kind"] == "Table" {
                    &ev["object"]["rows"][0]["object"]["metadata"]
                } else {
                    &ev["object"]["metadata"]
                };
                let end = ev["type"] == "BOOKMARK"
                    && meta["annotations"]["k8s.io/initial-events-end"] == "true";
                events.push(ev);
                if end {
                    return events;
                }
            }
        }
    }
}

#[tokio::test]
async fn version_endpoint_follows_the_profile() {
    for (v, minor) in [
        ("1.31", "31"),
        ("1.33", "33"),
        ("1.36", "36"),
        ("1.37", "37"),
    ] {
        let t = Target::new(v, None).await;
        let doc: Value = t
            .get("/version")
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        assert_eq!(doc["minor"], minor, "{v}");
    }
    assert!(MockServer::builder()
        .controllers("none")
        .emulate_version("1.20")
        .start()
        .await
        .is_err());
}

#[tokio::test]
async fn watch_list_gate_defaults_and_overrides() {
    // 1.33 ships the gate off: sendInitialEvents is refused with 422.
    for (v, gates, allowed) in [
        ("1.31", None, false),
        ("1.32", None, true),
        ("1.33", None, false),
        ("1.33", Some("WatchList=true"), true),
        ("1.36", None, true),
        ("1.36", Some("WatchList=false"), false),
    ] {
        let t = Target::new(v, gates).await;
        let resp = t
            .get(&format!(
                "/api/v1/namespaces/default/configmaps?{WATCH_LIST}"
            ))
            .send()
            .await
            .expect("request");
        if allowed {
            assert_eq!(resp.status(), 200, "{v} {gates:?}");
            let events = t.until_end_bookmark(resp).await;
            assert_eq!(events.len(), 1);
        } else {
            assert_eq!(resp.status(), 422, "{v} {gates:?}");
            let status: Value = resp.json().await.expect("status");
            assert_eq!(status["reason"], "Invalid");
            assert!(
                status["message"]
                    .as_str()
                    .unwrap_or("")
                    .contains("sendInitialEvents"),
                "{status}"
            );
        }
    }
}

#[tokio::test]
async fn end_bookmark_shape_per_version() {
    for (v, null_ts, blueprint) in [
        ("1.32", true, true),
        ("1.34", false, false),
        ("1.36", false, false),
    ] {
        let t = Target::new(v, None).await;
        let resp = t
            .get(&format!(
                "/api/v1/namespaces/default/configmaps?{WATCH_LIST}"
            ))
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status(), 200);
        let events = t.until_end_bookmark(resp).await;
        let meta = &events.last().expect("bookmark")["object"]["metadata"];
        assert_eq!(
            meta.get("creationTimestamp").is_some_and(Value::is_null),
            null_ts,
            "{v}: {meta}"
        );
        let bp = &meta["annotations"]["kubernetes.io/initial-events-list-blueprint"];
        assert_eq!(bp.is_string(), blueprint, "{v}: {meta}");
        if blueprint {
            use base64::Engine;
            let raw = base64::engine::general_purpose::STANDARD
                .decode(bp.as_str().expect("string"))
                .expect("base64");
            let list: Value = serde_json::from_slice(&raw).expect("list JSON");
            assert_eq!(list["kind"], "ConfigMapList");
        }
    }
}

#[tokio::test]
async fn table_on_watch_list_per_version() {
    let table = "application/json;as=Table;v=v1;g=meta.k8s.io";
    for (v, allowed) in [("1.32", false), ("1.34", true), ("1.36", true)] {
        let t = Target::new(v, None).await;
        let resp = t
            .get(&format!(
                "/api/v1/namespaces/default/configmaps?{WATCH_LIST}"
            ))
            .header("Accept", table)
            .send()
            .await
            .expect("request");
        if allowed {
            assert_eq!(resp.status(), 200, "{v}");
            let events = t.until_end_bookmark(resp).await;
            assert_eq!(events.last().expect("bookmark")["object"]["kind"], "Table");
        } else {
            assert_eq!(resp.status(), 406, "{v}");
        }
    }
}

#[tokio::test]
async fn negotiation_and_validation_order_per_version() {
    // Both a 406 (an Accept that passes go-restful routing but not the
    // apiserver's negotiation: Table v1alpha1) and a 422 (sendInitialEvents
    // without resourceVersionMatch): 1.31 and 1.36 negotiate first,
    // 1.32-1.35 validate first. An Accept the router itself refuses is a
    // 406 in every version.
    let q = "watch=true&sendInitialEvents=true&allowWatchBookmarks=true";
    for (v, gates, want) in [
        ("1.31", Some("WatchList=true"), 406),
        ("1.32", None, 422),
        ("1.35", None, 422),
        ("1.36", None, 406),
    ] {
        let t = Target::new(v, gates).await;
        let resp = t
            .get(&format!("/api/v1/namespaces/default/configmaps?{q}"))
            .header(
                "Accept",
                "application/json;as=Table;v=v1alpha1;g=meta.k8s.io",
            )
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status(), want, "{v}");
        let routed = t
            .get(&format!("/api/v1/namespaces/default/configmaps?{q}"))
            .header("Accept", "text/html")
            .send()
            .await
            .expect("request");
        assert_eq!(
            routed.status(),
            406,
            "{v}: the router refuses text/html first"
        );
    }
}

#[tokio::test]
async fn embedded_creation_timestamp_null_up_to_1_33() {
    for (v, null_ts) in [("1.33", true), ("1.34", false), ("1.36", false)] {
        let t = Target::new(v, None).await;
        let body = serde_json::json!({
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}
        });
        let created: Value = t
            .http
            .post(format!(
                "{}/apis/apps/v1/namespaces/default/deployments",
                t.server.url()
            ))
            .bearer_auth(t.server.token().expect("token"))
            .json(&body)
            .send()
            .await
            .expect("create")
            .json()
            .await
            .expect("json");
        let meta = &created["spec"]["template"]["metadata"];
        assert_eq!(
            meta.get("creationTimestamp").is_some_and(Value::is_null),
            null_ts,
            "{v}: {meta}"
        );
        if null_ts {
            // Go's field order: creationTimestamp before labels.
            let keys: Vec<&String> = meta.as_object().expect("object").keys().collect();
            assert_eq!(keys, ["creationTimestamp", "labels"]);
        }
    }
}
