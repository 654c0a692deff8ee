//! PATCH through the `kube` crate: JSON, merge and strategic merge patches
//! on several types, server-side apply with two managers (conflict, then
//! force), dry runs, and the option checks.

use crate::common;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Service};
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::json;

fn deployment(name: &str) -> Deployment {
    serde_json::from_value(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "registry.example/nginx:1.27"}]}
            }
        }
    }))
    .expect("deployment")
}

fn cm(name: &str) -> ConfigMap {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name}, "data": {"k": "v"}
    }))
    .expect("configmap")
}

fn container_names(d: &Deployment) -> Vec<String> {
    d.spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .map(|p| p.containers.iter().map(|c| c.name.clone()).collect())
        .unwrap_or_default()
}

fn kube_err(e: kube::Error) -> (u16, String) {
    match e {
        kube::Error::Api(s) => (s.code, s.message),
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn json_merge_and_strategic_patches() {
    let env = common::start().await;
    let cms: Api<ConfigMap> = Api::namespaced(env.client.clone(), "default");
    cms.create(&PostParams::default(), &cm("a"))
        .await
        .expect("create cm");
    let pp = PatchParams::default();

    let p: json_patch::Patch =
        serde_json::from_value(json!([{"op": "add", "path": "/data/k2", "value": "v2"}]))
            .expect("patch");
    let out = cms
        .patch("a", &pp, &Patch::Json::<()>(p))
        .await
        .expect("json patch");
    let data = out.data.expect("data");
    assert_eq!(data.get("k2").map(String::as_str), Some("v2"));

    let out = cms
        .patch("a", &pp, &Patch::Merge(json!({"data": {"k": null}})))
        .await
        .expect("merge patch");
    assert!(!out.data.expect("data").contains_key("k"));

    let p: json_patch::Patch =
        serde_json::from_value(json!([{"op": "test", "path": "/data/k2", "value": "nope"}]))
            .expect("patch");
    let (code, msg) = kube_err(
        cms.patch("a", &pp, &Patch::Json::<()>(p))
            .await
            .unwrap_err(),
    );
    assert_eq!(code, 422);
    assert_eq!(
        msg,
        "the server rejected our request due to an error in our request"
    );

    let deps: Api<Deployment> = Api::namespaced(env.client.clone(), "default");
    deps.create(&PostParams::default(), &deployment("d"))
        .await
        .expect("create deployment");
    let out = deps
        .patch(
            "d",
            &pp,
            &Patch::Strategic(json!({"spec": {"template": {"spec": {"containers": [
                {"name": "c", "env": [{"name": "E", "value": "1"}]},
                {"name": "side", "image": "registry.example/side:1"}
            ]}}}})),
        )
        .await
        .expect("strategic merge patch");
    assert_eq!(container_names(&out), ["c", "side"]);
    let pod = out
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .expect("pod spec");
    assert_eq!(
        pod.containers[0].image.as_deref(),
        Some("registry.example/nginx:1.27")
    );
    assert_eq!(pod.containers[0].env.as_ref().map(Vec::len), Some(1));
    assert_eq!(out.metadata.generation, Some(2));

    let out = deps
        .patch(
            "d",
            &pp,
            &Patch::Strategic(json!({"spec": {"template": {"spec": {"containers": [
                {"name": "side", "$patch": "delete"}
            ]}}}})),
        )
        .await
        .expect("delete directive");
    assert_eq!(container_names(&out), ["c"]);

    // A merge patch replaces the whole list.
    let out = deps
        .patch(
            "d",
            &pp,
            &Patch::Merge(json!({"spec": {"template": {"spec": {"containers": [
                {"name": "only", "image": "registry.example/x:1"}
            ]}}}})),
        )
        .await
        .expect("merge patch");
    assert_eq!(container_names(&out), ["only"]);

    // Services merge ports by port.
    let svcs: Api<Service> = Api::namespaced(env.client.clone(), "default");
    let svc: Service = serde_json::from_value(json!({
        "metadata": {"name": "s"},
        "spec": {"selector": {"app": "s"}, "ports": [{"name": "http", "port": 80}]}
    }))
    .expect("service");
    svcs.create(&PostParams::default(), &svc)
        .await
        .expect("create service");
    let out = svcs
        .patch(
            "s",
            &pp,
            &Patch::Strategic(json!({"spec": {"ports": [{"name": "https", "port": 443}]}})),
        )
        .await
        .expect("service patch");
    let ports: Vec<i32> = out
        .spec
        .and_then(|s| s.ports)
        .unwrap_or_default()
        .iter()
        .map(|p| p.port)
        .collect();
    assert_eq!(ports, [443, 80]);

    let (code, _) = kube_err(
        cms.patch("missing", &pp, &Patch::Merge(json!({"data": {}})))
            .await
            .unwrap_err(),
    );
    assert_eq!(code, 404);
}

#[tokio::test]
async fn server_side_apply_with_two_managers() {
    let env = common::start().await;
    let cms: Api<ConfigMap> = Api::namespaced(env.client.clone(), "default");
    let a = PatchParams::apply("mgr-a");
    let b = PatchParams::apply("mgr-b");
    let cfg = |data: serde_json::Value| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ap"}, "data": data});

    let created = cms
        .patch("ap", &a, &Patch::Apply(cfg(json!({"k": "v1"}))))
        .await
        .expect("apply creates");
    let mf = created
        .metadata
        .managed_fields
        .clone()
        .expect("managed fields");
    assert_eq!(mf.len(), 1);
    assert_eq!(mf[0].manager.as_deref(), Some("mgr-a"));
    assert_eq!(mf[0].operation.as_deref(), Some("Apply"));

    let both = cms
        .patch("ap", &b, &Patch::Apply(cfg(json!({"j": "w"}))))
        .await
        .expect("second manager");
    let data = both.data.expect("data");
    assert_eq!(data.get("k").map(String::as_str), Some("v1"));
    assert_eq!(data.get("j").map(String::as_str), Some("w"));

    let (code, msg) = kube_err(
        cms.patch("ap", &b, &Patch::Apply(cfg(json!({"j": "w", "k": "v2"}))))
            .await
            .unwrap_err(),
    );
    assert_eq!(code, 409);
    assert_eq!(
        msg,
        "Apply failed with 1 conflict: conflict with \"mgr-a\": .data.k"
    );

    let forced = cms
        .patch(
            "ap",
            &b.clone().force(),
            &Patch::Apply(cfg(json!({"j": "w", "k": "v2"}))),
        )
        .await
        .expect("forced apply");
    assert_eq!(
        forced.data.expect("data").get("k").map(String::as_str),
        Some("v2")
    );
    let managers: Vec<String> = forced
        .metadata
        .managed_fields
        .unwrap_or_default()
        .into_iter()
        .filter_map(|e| e.manager)
        .collect();
    assert_eq!(managers, ["mgr-b"], "mgr-a lost its only field");

    // Dropping a field from the configuration removes it.
    let pruned = cms
        .patch("ap", &b, &Patch::Apply(cfg(json!({"k": "v2"}))))
        .await
        .expect("apply without j");
    assert!(!pruned.data.expect("data").contains_key("j"));

    // Apply without a field manager is refused by the server.
    let http = common::http_client(&env.server);
    let resp = http
        .patch(format!(
            "{}/api/v1/namespaces/default/configmaps/ap",
            env.server.url()
        ))
        .bearer_auth(env.server.token().unwrap_or(""))
        .header("Content-Type", "application/apply-patch+yaml")
        .body("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ap\n")
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status().as_u16(), 422);
    let body: serde_json::Value = resp.json().await.expect("status body");
    assert_eq!(
        body["message"],
        "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch"
    );
}

#[tokio::test]
async fn dry_run_writes_nothing() {
    let env = common::start().await;
    let cms: Api<ConfigMap> = Api::namespaced(env.client.clone(), "default");
    let dry = PostParams {
        dry_run: true,
        ..Default::default()
    };
    let out = cms.create(&dry, &cm("dry")).await.expect("dry create");
    assert_eq!(out.metadata.name.as_deref(), Some("dry"));
    assert!(cms.get_opt("dry").await.expect("get").is_none());

    cms.create(&PostParams::default(), &cm("real"))
        .await
        .expect("create");
    let pp = PatchParams {
        dry_run: true,
        ..Default::default()
    };
    let out = cms
        .patch(
            "real",
            &pp,
            &Patch::Merge(json!({"data": {"k": "changed"}})),
        )
        .await
        .expect("dry patch");
    assert_eq!(
        out.data.expect("data").get("k").map(String::as_str),
        Some("changed")
    );
    let live = cms.get("real").await.expect("get");
    assert_eq!(
        live.data.expect("data").get("k").map(String::as_str),
        Some("v")
    );

    let mut ap = PatchParams::apply("mgr");
    ap.dry_run = true;
    cms.patch(
        "ghost",
        &ap,
        &Patch::Apply(
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ghost"}}),
        ),
    )
    .await
    .expect("dry apply create");
    assert!(cms.get_opt("ghost").await.expect("get").is_none());

    // A bad dryRun value is a 422 naming the verb's options.
    let http = common::http_client(&env.server);
    let resp = http
        .post(format!(
            "{}/api/v1/namespaces/default/configmaps?dryRun=Foo",
            env.server.url()
        ))
        .bearer_auth(env.server.token().unwrap_or(""))
        .json(&json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status().as_u16(), 422);
    let body: serde_json::Value = resp.json().await.expect("status body");
    assert_eq!(
        body["message"],
        "CreateOptions.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: [\"Foo\"]: supported values: \"All\""
    );
}

#[tokio::test]
async fn strict_field_validation_refuses_unknown_fields() {
    let env = common::start().await;
    let http = common::http_client(&env.server);
    let url = format!("{}/api/v1/namespaces/default/configmaps", env.server.url());
    let body =
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "s"}, "bogus": 1});
    let resp = http
        .post(format!("{url}?fieldValidation=Strict"))
        .bearer_auth(env.server.token().unwrap_or(""))
        .json(&body)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status().as_u16(), 400);
    let status: serde_json::Value = resp.json().await.expect("status body");
    assert_eq!(
        status["message"],
        "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: unknown field \"bogus\""
    );
    let resp = http
        .post(url)
        .bearer_auth(env.server.token().unwrap_or(""))
        .json(&body)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status().as_u16(), 201);
    assert!(resp.headers().get("warning").is_some());
}
