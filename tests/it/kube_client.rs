//! The Rust `kube` crate against kubemock over TLS with a bearer token:
//! CRUD, errors, selectors, pagination, discovery, and a watcher.

use crate::common;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Pod};
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use kube::runtime::watcher;
use serde_json::json;

fn cm(name: &str, labels: serde_json::Value) -> ConfigMap {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "labels": labels},
        "data": {"k": name}
    }))
    .expect("configmap")
}

async fn make_ns(client: &kube::Client, name: &str) {
    let ns: Namespace =
        serde_json::from_value(json!({"metadata": {"name": name}})).expect("namespace");
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &ns)
        .await
        .expect("create namespace");
}

#[tokio::test]
async fn default_namespaces_exist() {
    let env = common::start().await;
    let names: Vec<String> = Api::<Namespace>::all(env.client.clone())
        .list(&ListParams::default())
        .await
        .expect("list namespaces")
        .items
        .into_iter()
        .filter_map(|n| n.metadata.name)
        .collect();
    assert_eq!(
        names,
        vec!["default", "kube-node-lease", "kube-public", "kube-system"]
    );
}

#[tokio::test]
async fn configmap_crud_and_errors() {
    let env = common::start().await;
    let api: Api<ConfigMap> = Api::namespaced(env.client.clone(), "default");
    let created = api
        .create(&PostParams::default(), &cm("a", json!({"app": "x"})))
        .await
        .expect("create");
    let rv1: u64 = created
        .metadata
        .resource_version
        .as_deref()
        .expect("rv")
        .parse()
        .expect("numeric rv");
    assert!(created.metadata.uid.is_some());
    assert!(created.metadata.creation_timestamp.is_some());

    // Duplicate: 409 AlreadyExists with the exact message.
    let err = api
        .create(&PostParams::default(), &cm("a", json!({})))
        .await
        .expect_err("duplicate");
    match err {
        kube::Error::Api(s) => {
            assert_eq!(s.code, 409);
            assert_eq!(s.reason, "AlreadyExists");
            assert_eq!(s.message, "configmaps \"a\" already exists");
        }
        other => panic!("unexpected {other:?}"),
    }

    // Update bumps the resourceVersion; a stale one conflicts.
    let mut changed = created.clone();
    changed.data = Some([("k".to_string(), "new".to_string())].into());
    let updated = api
        .replace("a", &PostParams::default(), &changed)
        .await
        .expect("update");
    let rv2: u64 = updated
        .metadata
        .resource_version
        .as_deref()
        .expect("rv")
        .parse()
        .expect("rv");
    assert!(rv2 > rv1);
    let err = api
        .replace("a", &PostParams::default(), &changed)
        .await
        .expect_err("stale");
    match err {
        kube::Error::Api(s) => {
            assert_eq!(s.code, 409);
            assert_eq!(s.reason, "Conflict");
            assert_eq!(
                s.message,
                "Operation cannot be fulfilled on configmaps \"a\": the object has been modified; please apply your changes to the latest version and try again"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(
        api.get("a").await.expect("get").data.expect("data")["k"],
        "new"
    );

    // Delete, then 404.
    api.delete("a", &DeleteParams::default())
        .await
        .expect("delete");
    match api.get("a").await.expect_err("gone") {
        kube::Error::Api(s) => {
            assert_eq!(s.code, 404);
            assert_eq!(s.message, "configmaps \"a\" not found");
        }
        other => panic!("unexpected {other:?}"),
    }

    // Missing namespace: 404 on create.
    let missing: Api<ConfigMap> = Api::namespaced(env.client.clone(), "nope");
    match missing
        .create(&PostParams::default(), &cm("b", json!({})))
        .await
        .expect_err("no namespace")
    {
        kube::Error::Api(s) => {
            assert_eq!(s.code, 404);
            assert_eq!(s.message, "namespaces \"nope\" not found");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn generate_name_and_invalid_names() {
    let env = common::start().await;
    let api: Api<ConfigMap> = Api::namespaced(env.client.clone(), "default");
    let obj: ConfigMap =
        serde_json::from_value(json!({"metadata": {"generateName": "gen-"}, "data": {"a": "b"}}))
            .expect("cm");
    let created = api
        .create(&PostParams::default(), &obj)
        .await
        .expect("create");
    let name = created.metadata.name.expect("name");
    assert!(name.starts_with("gen-") && name.len() == 9, "{name}");
    match api
        .create(&PostParams::default(), &cm("Bad_Name", json!({})))
        .await
        .expect_err("invalid")
    {
        kube::Error::Api(s) => {
            assert_eq!(s.code, 422);
            assert_eq!(s.reason, "Invalid");
            assert!(
                s.message.starts_with(
                    "ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain"
                ),
                "{}",
                s.message
            );
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn label_and_field_selectors() {
    let env = common::start().await;
    make_ns(&env.client, "sel").await;
    let api: Api<ConfigMap> = Api::namespaced(env.client.clone(), "sel");
    for (name, tier) in [("a", "web"), ("b", "db"), ("c", "web"), ("d", "cache")] {
        api.create(&PostParams::default(), &cm(name, json!({"tier": tier})))
            .await
            .expect("create");
    }
    let names = |list: kube::core::ObjectList<ConfigMap>| -> Vec<String> {
        list.items
            .into_iter()
            .filter_map(|c| c.metadata.name)
            .collect()
    };
    let lp = ListParams::default().labels("tier=web");
    assert_eq!(names(api.list(&lp).await.expect("list")), vec!["a", "c"]);
    let lp = ListParams::default().labels("tier in (db,cache)");
    assert_eq!(names(api.list(&lp).await.expect("list")), vec!["b", "d"]);
    let lp = ListParams::default().labels("tier!=web,tier");
    assert_eq!(names(api.list(&lp).await.expect("list")), vec!["b", "d"]);
    let lp = ListParams::default().fields("metadata.name!=a,metadata.name!=b");
    assert_eq!(names(api.list(&lp).await.expect("list")), vec!["c", "d"]);

    // Bad selectors: 400 with the apimachinery messages.
    match api
        .list(&ListParams::default().labels("tier in (web"))
        .await
        .expect_err("bad label selector")
    {
        kube::Error::Api(s) => {
            assert_eq!(s.code, 400);
            assert_eq!(s.reason, "BadRequest");
        }
        other => panic!("unexpected {other:?}"),
    }
    match api
        .list(&ListParams::default().fields("data.k=a"))
        .await
        .expect_err("unsupported field")
    {
        kube::Error::Api(s) => {
            assert_eq!(s.code, 400);
            assert_eq!(
                s.message,
                "\"data.k\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    // Pods support spec.nodeName and status.phase.
    let pods: Api<Pod> = Api::namespaced(env.client.clone(), "sel");
    pods.list(&ListParams::default().fields("spec.nodeName=n1,status.phase=Running"))
        .await
        .expect("pod field selector accepted");
}

#[tokio::test]
async fn pagination_is_consistent_and_expires() {
    let env = common::start().await;
    make_ns(&env.client, "page").await;
    let api: Api<ConfigMap> = Api::namespaced(env.client.clone(), "page");
    for i in 0..7 {
        api.create(&PostParams::default(), &cm(&format!("cm-{i}"), json!({})))
            .await
            .expect("create");
    }
    let first = api
        .list(&ListParams::default().limit(3))
        .await
        .expect("page 1");
    assert_eq!(first.items.len(), 3);
    assert_eq!(first.metadata.remaining_item_count, Some(4));
    let token = first.metadata.continue_.clone().expect("continue");
    // A write after the first page is not seen by later pages.
    api.create(&PostParams::default(), &cm("cm-9", json!({})))
        .await
        .expect("create");
    let mut seen: Vec<String> = first
        .items
        .iter()
        .filter_map(|c| c.metadata.name.clone())
        .collect();
    let mut cont = Some(token);
    while let Some(c) = cont {
        let page = api
            .list(&ListParams::default().limit(3).continue_token(&c))
            .await
            .expect("next page");
        assert_eq!(
            page.metadata.resource_version,
            first.metadata.resource_version
        );
        seen.extend(page.items.iter().filter_map(|c| c.metadata.name.clone()));
        cont = page.metadata.continue_.filter(|c| !c.is_empty());
    }
    assert_eq!(seen, (0..7).map(|i| format!("cm-{i}")).collect::<Vec<_>>());

    // A garbage token is a 400.
    match api
        .list(&ListParams::default().limit(3).continue_token("garbage"))
        .await
        .expect_err("bad token")
    {
        kube::Error::Api(s) => assert_eq!(s.code, 400),
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn continue_token_expires_once_history_is_compacted() {
    let server = kubemock::MockServer::builder()
        .watch_history(5)
        .start()
        .await
        .expect("start");
    let client = common::client_for(&server).await;
    let api: Api<ConfigMap> = Api::namespaced(client, "default");
    for i in 0..4 {
        api.create(&PostParams::default(), &cm(&format!("x{i}"), json!({})))
            .await
            .expect("create");
    }
    let first = api
        .list(&ListParams::default().limit(2))
        .await
        .expect("page");
    let token = first.metadata.continue_.expect("continue");
    for i in 0..10 {
        api.create(&PostParams::default(), &cm(&format!("y{i}"), json!({})))
            .await
            .expect("create");
    }
    match api
        .list(&ListParams::default().limit(2).continue_token(&token))
        .await
        .expect_err("expired")
    {
        kube::Error::Api(s) => {
            assert_eq!(s.code, 410);
            assert_eq!(s.reason, "Expired");
            assert!(
                s.message
                    .starts_with("The provided continue parameter is too old"),
                "{}",
                s.message
            );
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn deployments_are_defaulted_and_deleted_with_status() {
    let env = common::start().await;
    let api: Api<Deployment> = Api::namespaced(env.client.clone(), "default");
    let d: Deployment = serde_json::from_value(json!({
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                         "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}
        }
    }))
    .expect("deployment");
    let created = api
        .create(&PostParams::default(), &d)
        .await
        .expect("create");
    assert_eq!(created.metadata.generation, Some(1));
    let spec = created.spec.expect("spec");
    assert_eq!(spec.replicas, Some(1));
    assert_eq!(spec.revision_history_limit, Some(10));
    let deleted = api
        .delete("web", &DeleteParams::default())
        .await
        .expect("delete");
    // Deployments answer a delete with a Status.
    assert!(deleted.right().is_some());
    assert!(api.get_opt("web").await.expect("get").is_none());
}

#[tokio::test]
async fn discovery_lists_builtin_groups() {
    let env = common::start().await;
    let discovery = kube::Discovery::new(env.client.clone())
        .run()
        .await
        .expect("discovery");
    let groups: Vec<String> = discovery.groups().map(|g| g.name().to_string()).collect();
    for g in [
        "",
        "apps",
        "batch",
        "coordination.k8s.io",
        "discovery.k8s.io",
    ] {
        assert!(
            groups.iter().any(|x| x == g),
            "missing group {g:?} in {groups:?}"
        );
    }
    let (ar, caps) = discovery
        .groups()
        .find(|g| g.name() == "apps")
        .and_then(|g| g.recommended_kind("Deployment"))
        .expect("deployments");
    assert_eq!(ar.plural, "deployments");
    assert!(caps.supports_operation(kube::discovery::verbs::WATCH));
}

#[tokio::test]
async fn watcher_sees_initial_state_and_changes() {
    let env = common::start().await;
    let api: Api<ConfigMap> = Api::namespaced(env.client.clone(), "default");
    api.create(&PostParams::default(), &cm("before", json!({})))
        .await
        .expect("create");
    for config in [
        watcher::Config::default(),
        watcher::Config::default().streaming_lists(),
    ] {
        let mut stream = watcher(api.clone(), config).boxed();
        // The initial state ends with InitDone (for streaming lists this
        // needs the annotated end bookmark).
        let mut initial = Vec::new();
        loop {
            match stream
                .try_next()
                .await
                .expect("event")
                .expect("stream open")
            {
                watcher::Event::Init => {}
                watcher::Event::InitApply(o) => initial.push(o.metadata.name.expect("name")),
                watcher::Event::InitDone => break,
                other => panic!("unexpected before InitDone: {other:?}"),
            }
        }
        assert!(initial.contains(&"before".to_string()), "{initial:?}");
        let name = format!("after-{}", initial.len());
        api.create(&PostParams::default(), &cm(&name, json!({})))
            .await
            .expect("create");
        match stream.try_next().await.expect("event").expect("open") {
            watcher::Event::Apply(o) => assert_eq!(o.metadata.name.as_deref(), Some(name.as_str())),
            other => panic!("unexpected {other:?}"),
        }
        api.delete(&name, &DeleteParams::default())
            .await
            .expect("delete");
        match stream.try_next().await.expect("event").expect("open") {
            watcher::Event::Delete(o) => {
                assert_eq!(o.metadata.name.as_deref(), Some(name.as_str()))
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[tokio::test]
async fn requests_with_a_wrong_token_get_401() {
    let env = common::start().await;
    let http = common::http_client(&env.server);
    // (Without a token the request is anonymous: see auth.rs.)
    let resp = http
        .get(format!("{}/api/v1/namespaces", env.server.url()))
        .bearer_auth("not-the-token")
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 401);
    assert!(resp.headers().contains_key("audit-id"));
    assert_eq!(
        resp.text().await.expect("body"),
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"Unauthorized\",\"reason\":\"Unauthorized\",\"code\":401}\n"
    );
    let ok = http
        .get(format!("{}/healthz", env.server.url()))
        .bearer_auth(env.server.token().expect("token"))
        .send()
        .await
        .expect("request");
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["cache-control"], "no-cache, private");
    assert_eq!(ok.text().await.expect("body"), "ok");
}

#[tokio::test]
async fn large_lists_are_gzipped_when_asked() {
    let env = common::start().await;
    let api: Api<ConfigMap> = Api::namespaced(env.client.clone(), "default");
    let big = "x".repeat(40 * 1024);
    for i in 0..4 {
        let obj: ConfigMap = serde_json::from_value(
            json!({"metadata": {"name": format!("big-{i}")}, "data": {"v": big}}),
        )
        .expect("cm");
        api.create(&PostParams::default(), &obj)
            .await
            .expect("create");
    }
    let http = common::http_client(&env.server);
    let url = format!("{}/api/v1/namespaces/default/configmaps", env.server.url());
    let token = env.server.token().expect("token").to_string();
    let gz = http
        .get(&url)
        .bearer_auth(&token)
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .expect("request");
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    let plain = http
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert!(plain.headers().get("content-encoding").is_none());
    let body = plain.bytes().await.expect("body");
    assert!(body.len() > 128 * 1024);
    // The small ones stay plain even when gzip is accepted.
    let small = http
        .get(format!("{}/api/v1/namespaces", env.server.url()))
        .bearer_auth(&token)
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .expect("request");
    assert!(small.headers().get("content-encoding").is_none());
    let _ = StreamExt::count(futures::stream::empty::<()>()).await;
}
