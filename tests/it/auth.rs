//! Authentication, RBAC, impersonation, reviews and ServiceAccount tokens
//! against real clients: kubectl (`auth whoami`, `auth can-i --list`,
//! `--as`), the `kube` crate with a TokenRequest token, the Python client
//! with a client certificate, and reqwest for the exact Status bodies.

use crate::common;
use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::{ConfigMap, Secret, ServiceAccount};
use kube::api::{Api, ListParams, PostParams};
use kubemock::auth::jwt::{self, Claims, KubernetesClaims, Ref, Signer};
use kubemock::auth::{AuthorizationMode, UserSpec};
use kubemock::MockServer;
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};

const TOKENS: &str = "alice-token,alice,1001,\"dev,qa\"\nbob-token,bob,1002\n";

/// A server with the token file above (and the extra options).
async fn start_with(
    f: impl FnOnce(kubemock::MockServerBuilder) -> kubemock::MockServerBuilder,
) -> (MockServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("dir");
    let tokens = dir.path().join("tokens.csv");
    std::fs::write(&tokens, TOKENS).expect("write tokens");
    let server = f(MockServer::builder().token_auth_file(&tokens))
        .start()
        .await
        .expect("start");
    (server, dir)
}

/// `(status, body)` of a request with an optional bearer token and headers.
async fn send(
    server: &MockServer,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> (u16, String) {
    let http = common::http_client(server);
    let mut rb = http.request(method, format!("{}{path}", server.url()));
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let resp = rb.send().await.expect("send");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("body"))
}

async fn admin(server: &MockServer, method: reqwest::Method, path: &str, body: Value) -> Value {
    let (status, text) = send(server, method, path, server.token(), &[], Some(body)).await;
    assert!(status < 300, "{path}: {status} {text}");
    serde_json::from_str(&text).expect("json")
}

/// Namespace `ns`, a Role reading configmaps there, bound to `subject`.
async fn grant_configmap_reader(server: &MockServer, ns: &str, subject: Value) {
    let post = reqwest::Method::POST;
    admin(
        server,
        post.clone(),
        "/api/v1/namespaces",
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
    )
    .await;
    admin(
        server,
        post.clone(),
        &format!("/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles"),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "cm-reader"},
               "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}]}),
    )
    .await;
    admin(
        server,
        post,
        &format!("/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings"),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "cm-reader"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "cm-reader"},
               "subjects": [subject]}),
    )
    .await;
}

fn forbidden_body(message: &str, kind: &str, name: &str) -> String {
    let mut details = serde_json::Map::new();
    if !name.is_empty() {
        details.insert("name".into(), json!(name));
    }
    if !kind.is_empty() {
        details.insert("kind".into(), json!(kind));
    }
    let v = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                   "message": message, "reason": "Forbidden", "details": details, "code": 403});
    format!("{}\n", serde_json::to_string(&v).expect("json"))
}

const UNAUTHORIZED: &str = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"Unauthorized\",\"reason\":\"Unauthorized\",\"code\":401}\n";

#[tokio::test]
async fn anonymous_requests_follow_the_public_info_viewer_binding() {
    let server = MockServer::start().await;
    for path in ["/version", "/healthz", "/livez", "/readyz"] {
        let (status, _) = send(&server, reqwest::Method::GET, path, None, &[], None).await;
        assert_eq!(status, 200, "{path}");
    }
    let (status, body) = send(
        &server,
        reqwest::Method::GET,
        "/api/v1/pods",
        None,
        &[],
        None,
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        body,
        forbidden_body(
            "pods is forbidden: User \"system:anonymous\" cannot list resource \"pods\" in API group \"\" at the cluster scope",
            "pods",
            ""
        )
    );
    let (status, body) = send(&server, reqwest::Method::GET, "/api", None, &[], None).await;
    assert_eq!(status, 403);
    assert_eq!(
        body,
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"forbidden: User \\\"system:anonymous\\\" cannot get path \\\"/api\\\"\",\"reason\":\"Forbidden\",\"details\":{},\"code\":403}\n"
    );
    // A bad token is never anonymous.
    let (status, body) = send(
        &server,
        reqwest::Method::GET,
        "/version",
        Some("nope"),
        &[],
        None,
    )
    .await;
    assert_eq!((status, body.as_str()), (401, UNAUTHORIZED));

    let off = MockServer::builder()
        .anonymous_auth(false)
        .start()
        .await
        .expect("start");
    for path in ["/version", "/api/v1/pods"] {
        let (status, body) = send(&off, reqwest::Method::GET, path, None, &[], None).await;
        assert_eq!((status, body.as_str()), (401, UNAUTHORIZED), "{path}");
    }
}

#[tokio::test]
async fn a_token_for_one_user_never_acts_as_another() {
    let (server, _dir) = start_with(|b| b).await;
    grant_configmap_reader(
        &server,
        "team",
        json!({"kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"}),
    )
    .await;
    let get = reqwest::Method::GET;
    let (status, _) = send(
        &server,
        get.clone(),
        "/api/v1/namespaces/team/configmaps",
        Some("alice-token"),
        &[],
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = send(
        &server,
        get.clone(),
        "/api/v1/namespaces/team/configmaps",
        Some("bob-token"),
        &[],
        None,
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        body,
        forbidden_body(
            "configmaps is forbidden: User \"bob\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"team\"",
            "configmaps",
            ""
        )
    );
    // alice's rights stop at her Role: no secrets, no other namespace.
    let (status, _) = send(
        &server,
        get.clone(),
        "/api/v1/namespaces/team/secrets",
        Some("alice-token"),
        &[],
        None,
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = send(
        &server,
        get.clone(),
        "/api/v1/namespaces/default/configmaps",
        Some("alice-token"),
        &[],
        None,
    )
    .await;
    assert_eq!(status, 403);
    // Tokens are matched whole.
    let (status, _) = send(
        &server,
        get.clone(),
        "/api/v1/namespaces/team/configmaps",
        Some("alice-toke"),
        &[],
        None,
    )
    .await;
    assert_eq!(status, 401);
    // SelfSubjectReview names each token's own user and groups.
    let review = json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"});
    let (status, body) = send(
        &server,
        reqwest::Method::POST,
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        Some("alice-token"),
        &[],
        Some(review),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let v: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(
        v["status"]["userInfo"],
        json!({"username": "alice", "uid": "1001", "groups": ["dev", "qa", "system:authenticated"]})
    );
    // The recording names the user of each request.
    let users: Vec<Option<String>> = server
        .recording()
        .iter()
        .filter(|r| r.path == "/api/v1/namespaces/team/configmaps")
        .map(|r| r.user.as_ref().map(|u| u.name.clone()))
        .collect();
    assert_eq!(users, vec![Some("alice".into()), Some("bob".into()), None]);
}

#[tokio::test]
async fn a_bad_token_file_stops_start_up_with_file_and_line() {
    let dir = tempfile::tempdir().expect("dir");
    let p = dir.path().join("tokens.csv");
    std::fs::write(&p, "ok,user,1\nbroken,line\n").expect("write");
    let err = MockServer::builder()
        .token_auth_file(&p)
        .start()
        .await
        .expect_err("refused");
    assert_eq!(
        err.to_string(),
        format!(
            "{}:2: must have at least 3 columns (token, user name, user uid), found 2",
            p.display()
        )
    );
}

#[tokio::test]
async fn impersonation_needs_the_impersonate_verb() {
    let (server, _dir) = start_with(|b| b).await;
    let get = reqwest::Method::GET;
    let (status, body) = send(
        &server,
        get.clone(),
        "/api/v1/namespaces/default/pods",
        Some("alice-token"),
        &[("Impersonate-User", "bob")],
        None,
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        body,
        forbidden_body(
            "users \"bob\" is forbidden: User \"alice\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope",
            "users",
            "bob"
        )
    );
    // Granted the verb on users named bob, alice acts as bob (and only bob).
    admin(
        &server,
        reqwest::Method::POST,
        "/apis/rbac.authorization.k8s.io/v1/clusterroles",
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "imp-bob"},
               "rules": [{"apiGroups": [""], "resources": ["users"], "verbs": ["impersonate"], "resourceNames": ["bob"]}]}),
    )
    .await;
    admin(
        &server,
        reqwest::Method::POST,
        "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "imp-bob"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "imp-bob"},
               "subjects": [{"kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"}]}),
    )
    .await;
    let (status, body) = send(
        &server,
        get.clone(),
        "/api/v1/namespaces/default/pods",
        Some("alice-token"),
        &[("Impersonate-User", "bob")],
        None,
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        body.contains("User \\\"bob\\\" cannot list resource \\\"pods\\\""),
        "{body}"
    );
    let (status, _) = send(
        &server,
        get.clone(),
        "/api/v1/namespaces/default/pods",
        Some("alice-token"),
        &[("Impersonate-User", "carol")],
        None,
    )
    .await;
    assert_eq!(status, 403);
    let (status, body) = send(
        &server,
        get,
        "/api/v1/namespaces/default/pods",
        Some("alice-token"),
        &[
            ("Impersonate-User", "bob"),
            ("Impersonate-Group", "system:masters"),
        ],
        None,
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        body.contains("cannot impersonate resource \\\"groups\\\""),
        "{body}"
    );
}

#[tokio::test]
async fn the_control_api_is_only_for_system_masters() {
    let (server, _dir) = start_with(|b| b).await;
    let get = reqwest::Method::GET;
    let (status, body) = send(
        &server,
        get.clone(),
        "/kubemock/v1/recording",
        Some("alice-token"),
        &[],
        None,
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        body,
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"forbidden: User \\\"alice\\\" cannot get path \\\"/kubemock/v1/recording\\\": the kubemock control API is only for system:masters\",\"reason\":\"Forbidden\",\"details\":{},\"code\":403}\n"
    );
    let (status, _) = send(
        &server,
        get.clone(),
        "/kubemock/v1/recording",
        None,
        &[],
        None,
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = send(
        &server,
        get,
        "/kubemock/v1/recording",
        server.token(),
        &[],
        None,
    )
    .await;
    assert_eq!(status, 200);
}

/// A kube client authenticating with a bearer token.
async fn client_with_token(server: &MockServer, token: &str) -> kube::Client {
    let text = server
        .kubeconfig()
        .replace(server.token().expect("token"), token);
    let kc = kube::config::Kubeconfig::from_yaml(&text).expect("kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .expect("config");
    kube::Client::try_from(config).expect("client")
}

#[tokio::test]
async fn kube_client_with_a_token_request_token_gets_what_its_role_allows() {
    let env = common::start().await;
    grant_configmap_reader(
        &env.server,
        "app",
        json!({"kind": "ServiceAccount", "name": "runner", "namespace": "app"}),
    )
    .await;
    let sas: Api<ServiceAccount> = Api::namespaced(env.client.clone(), "app");
    let sa: ServiceAccount =
        serde_json::from_value(json!({"metadata": {"name": "runner"}})).expect("sa");
    sas.create(&PostParams::default(), &sa)
        .await
        .expect("create sa");
    let tr = TokenRequest {
        spec: Some(TokenRequestSpec {
            expiration_seconds: Some(1200),
            ..Default::default()
        }),
        ..Default::default()
    };
    let answered = sas
        .create_token_request("runner", &PostParams::default(), &tr)
        .await
        .expect("token request");
    let status = answered.status.expect("status");
    let spec = answered.spec.expect("spec");
    assert_eq!(spec.expiration_seconds, Some(1200));
    assert_eq!(spec.audiences, Some(vec![jwt::ISSUER.to_string()]));
    let token = status.token.expect("token");

    let client = client_with_token(&env.server, &token).await;
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "app");
    cms.list(&ListParams::default())
        .await
        .expect("allowed list");
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "app");
    let err = secrets
        .list(&ListParams::default())
        .await
        .expect_err("forbidden");
    let kube::Error::Api(s) = err else {
        panic!("not a Status: {err:?}")
    };
    assert_eq!(s.code, 403);
    assert_eq!(s.reason, "Forbidden");
    assert_eq!(
        s.message,
        "secrets is forbidden: User \"system:serviceaccount:app:runner\" cannot list resource \"secrets\" in API group \"\" in the namespace \"app\""
    );
    let err = cms
        .create(&PostParams::default(), &ConfigMap::default())
        .await
        .expect_err("no create");
    assert!(
        matches!(err, kube::Error::Api(ref s) if s.code == 403),
        "{err:?}"
    );

    // TokenReview (as the admin) says who the token is.
    let (code, body) = send(
        &env.server,
        reqwest::Method::POST,
        "/apis/authentication.k8s.io/v1/tokenreviews",
        env.server.token(),
        &[],
        Some(json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": token}})),
    )
    .await;
    assert_eq!(code, 201, "{body}");
    let v: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["status"]["authenticated"], true);
    assert_eq!(
        v["status"]["user"]["username"],
        "system:serviceaccount:app:runner"
    );
    assert_eq!(
        v["status"]["user"]["groups"],
        json!([
            "system:serviceaccounts",
            "system:serviceaccounts:app",
            "system:authenticated"
        ])
    );

    // Too short a lifetime is refused as the real validation does.
    let short = TokenRequest {
        spec: Some(TokenRequestSpec {
            expiration_seconds: Some(599),
            ..Default::default()
        }),
        ..Default::default()
    };
    let err = sas
        .create_token_request("runner", &PostParams::default(), &short)
        .await
        .expect_err("short");
    let kube::Error::Api(s) = err else {
        panic!("{err:?}")
    };
    assert_eq!(s.code, 422);
    assert_eq!(
        s.message,
        "TokenRequest.authentication.k8s.io \"runner\" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes"
    );

    // Deleting the service account revokes its tokens.
    sas.delete("runner", &Default::default())
        .await
        .expect("delete");
    let err = cms.list(&ListParams::default()).await.expect_err("revoked");
    assert!(
        matches!(err, kube::Error::Api(ref s) if s.code == 401),
        "{err:?}"
    );
}

#[tokio::test]
async fn expired_and_foreign_signed_service_account_tokens_are_refused() {
    let server = MockServer::start().await;
    let sa = admin(
        &server,
        reqwest::Method::POST,
        "/api/v1/namespaces/default/serviceaccounts",
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "sa"}}),
    )
    .await;
    let uid = sa["metadata"]["uid"].as_str().expect("uid").to_string();
    let now = chrono::Utc::now().timestamp();
    let claims = |exp: i64| Claims {
        aud: vec![jwt::ISSUER.into()],
        exp,
        iat: exp - 3600,
        iss: jwt::ISSUER.into(),
        jti: "t".into(),
        kubernetes: KubernetesClaims {
            namespace: "default".into(),
            serviceaccount: Ref {
                name: "sa".into(),
                uid: uid.clone(),
            },
            ..Default::default()
        },
        nbf: exp - 3600,
        sub: "system:serviceaccount:default:sa".into(),
    };
    let signer = server.auth().signer();
    let valid = signer.sign(&claims(now + 3600)).expect("sign");
    let path = "/apis/authentication.k8s.io/v1/selfsubjectreviews";
    let review = json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"});
    let (status, _) = send(
        &server,
        reqwest::Method::POST,
        path,
        Some(&valid),
        &[],
        Some(review.clone()),
    )
    .await;
    assert_eq!(status, 201);
    let expired = signer.sign(&claims(now - 10)).expect("sign");
    let foreign = Signer::generate()
        .expect("key")
        .sign(&claims(now + 3600))
        .expect("sign");
    for (what, token) in [("expired", expired), ("foreign", foreign)] {
        let (status, body) = send(
            &server,
            reqwest::Method::POST,
            path,
            Some(&token),
            &[],
            Some(review.clone()),
        )
        .await;
        assert_eq!((status, body.as_str()), (401, UNAUTHORIZED), "{what}");
    }
}

async fn kubectl(
    bin: &Path,
    kubeconfig: &Path,
    cache: &Path,
    args: &[&str],
) -> (bool, String, String) {
    let out = tokio::process::Command::new(bin)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .arg("--cache-dir")
        .arg(cache)
        .args(args)
        .env_remove("KUBECONFIG")
        .output()
        .await
        .expect("kubectl");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn kubectl_auth_whoami_can_i_and_as() {
    let Some(bin) = common::kubectl_bin() else {
        return;
    };
    let server = MockServer::builder()
        .user("carol:dev".parse::<UserSpec>().expect("spec"))
        .start()
        .await
        .expect("start");
    let cache = tempfile::tempdir().expect("cache");
    let kc = server.kubeconfig_path();
    let (ok, out, err) = kubectl(&bin, kc, cache.path(), &["auth", "whoami"]).await;
    assert!(ok, "{out}{err}");
    assert!(out.contains("kubemock-admin"), "{out}");
    assert!(
        out.contains("[system:masters system:authenticated]"),
        "{out}"
    );

    let (ok, out, err) = kubectl(&bin, kc, cache.path(), &["auth", "can-i", "--list"]).await;
    assert!(ok, "{out}{err}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("*.*") && l.contains("[*]")),
        "{out}"
    );

    let (ok, out, err) = kubectl(
        &bin,
        kc,
        cache.path(),
        &[
            "auth",
            "can-i",
            "list",
            "pods",
            "--as=system:serviceaccount:ns:sa",
            "-n",
            "ns",
        ],
    )
    .await;
    assert!(!ok, "{out}{err}");
    assert_eq!(out.trim(), "no");

    let (ok, out, err) = kubectl(
        &bin,
        kc,
        cache.path(),
        &[
            "--as=system:serviceaccount:ns:sa",
            "get",
            "pods",
            "-n",
            "ns",
        ],
    )
    .await;
    assert!(!ok, "{out}");
    assert_eq!(
        err.trim(),
        "Error from server (Forbidden): pods is forbidden: User \"system:serviceaccount:ns:sa\" cannot list resource \"pods\" in API group \"\" in the namespace \"ns\""
    );

    // `kubectl create token` (TokenRequest) for a new service account.
    kubectl(
        &bin,
        kc,
        cache.path(),
        &["create", "serviceaccount", "robot", "-n", "default"],
    )
    .await;
    let (ok, token, err) = kubectl(
        &bin,
        kc,
        cache.path(),
        &[
            "create",
            "token",
            "robot",
            "-n",
            "default",
            "--duration",
            "20m",
        ],
    )
    .await;
    assert!(ok, "{err}");
    let (status, body) = send(
        &server,
        reqwest::Method::GET,
        "/api/v1/namespaces/default/pods",
        Some(token.trim()),
        &[],
        None,
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        body.contains("User \\\"system:serviceaccount:default:robot\\\" cannot list"),
        "{body}"
    );

    // The client-certificate user of `--user carol:dev`.
    let carol = server
        .user_kubeconfig_path("carol")
        .expect("carol's kubeconfig");
    let (ok, out, err) =
        kubectl(&bin, carol, cache.path(), &["auth", "whoami", "-o", "json"]).await;
    assert!(ok, "{out}{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        v["status"]["userInfo"],
        json!({"username": "carol", "groups": ["dev", "system:authenticated"]})
    );
    let (ok, out, _) = kubectl(
        &bin,
        carol,
        cache.path(),
        &["auth", "can-i", "--list", "-n", "default"],
    )
    .await;
    assert!(ok);
    assert!(
        out.contains("selfsubjectaccessreviews.authorization.k8s.io"),
        "{out}"
    );
    assert!(!out.lines().any(|l| l.starts_with("*.*")), "{out}");
}

#[tokio::test]
async fn python_client_with_a_client_certificate() {
    let Some(python) = common::find_tool("PYTHON", "python3") else {
        eprintln!("SKIP: python3 not found");
        return;
    };
    let probe = std::process::Command::new(&python)
        .args(["-c", "import kubernetes"])
        .output()
        .expect("python");
    if !probe.status.success() {
        eprintln!("SKIP: the Python kubernetes client is not installed (pip install kubernetes)");
        return;
    }
    let server = MockServer::builder()
        .user("dave:viewers".parse::<UserSpec>().expect("spec"))
        .start()
        .await
        .expect("start");
    // The viewers group gets the aggregated `view` role in default.
    admin(
        &server,
        reqwest::Method::POST,
        "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings",
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "viewers"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
               "subjects": [{"kind": "Group", "name": "viewers", "apiGroup": "rbac.authorization.k8s.io"}]}),
    )
    .await;
    admin(
        &server,
        reqwest::Method::POST,
        "/api/v1/namespaces/default/configmaps",
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "python-cm"}}),
    )
    .await;
    let script = r#"
import sys
from kubernetes import client, config
config.load_kube_config(config_file=sys.argv[1])
v1 = client.CoreV1Api()
print("configmaps", [c.metadata.name for c in v1.list_namespaced_config_map("default").items if c.metadata.name == "python-cm"])
try:
    v1.list_namespaced_secret("default")
    print("secrets allowed")
except client.exceptions.ApiException as e:
    print("secrets", e.status, e.reason)
    import json
    print(json.loads(e.body)["message"])
"#;
    let out = tokio::process::Command::new(&python)
        .arg("-c")
        .arg(script)
        .arg(server.user_kubeconfig_path("dave").expect("kubeconfig"))
        .output()
        .await
        .expect("python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.trim(),
        "configmaps ['python-cm']\nsecrets 403 Forbidden\nsecrets is forbidden: User \"dave\" cannot list resource \"secrets\" in API group \"\" in the namespace \"default\""
    );
}

#[tokio::test]
async fn rbac_escalation_and_aggregation() {
    let (server, _dir) = start_with(|b| b).await;
    let post = reqwest::Method::POST;
    // alice may manage Roles and RoleBindings in team, and read configmaps.
    grant_configmap_reader(
        &server,
        "team",
        json!({"kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"}),
    )
    .await;
    admin(&server, post.clone(), "/apis/rbac.authorization.k8s.io/v1/namespaces/team/roles",
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "rbac-admin"},
               "rules": [{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles", "rolebindings"], "verbs": ["create"]}]})).await;
    admin(&server, post.clone(), "/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings",
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "rbac-admin"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "rbac-admin"},
               "subjects": [{"kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"}]})).await;
    let roles = "/apis/rbac.authorization.k8s.io/v1/namespaces/team/roles";
    let ok_role = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "cm-get"},
                         "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]});
    let (status, body) = send(
        &server,
        post.clone(),
        roles,
        Some("alice-token"),
        &[],
        Some(ok_role),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let bad_role = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "secrets"},
                          "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}]});
    let (status, body) = send(
        &server,
        post.clone(),
        roles,
        Some("alice-token"),
        &[],
        Some(bad_role),
    )
    .await;
    assert_eq!(status, 403);
    let v: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(
        v["message"],
        "roles.rbac.authorization.k8s.io \"secrets\" is forbidden: user \"alice\" (groups=[\"dev\" \"qa\" \"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\" \"list\"]}"
    );
    // Binding cluster-admin is escalation too.
    let bind = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "up"},
                      "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
                      "subjects": [{"kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"}]});
    let (status, _) = send(
        &server,
        post.clone(),
        "/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings",
        Some("alice-token"),
        &[],
        Some(bind),
    )
    .await;
    assert_eq!(status, 403);

    // A ClusterRole labelled aggregate-to-view joins `view`.
    admin(&server, post, "/apis/rbac.authorization.k8s.io/v1/clusterroles",
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
               "metadata": {"name": "widgets-view", "labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}},
               "rules": [{"apiGroups": ["example.com"], "resources": ["widgets"], "verbs": ["get"]}]})).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, body) = send(
            &server,
            reqwest::Method::GET,
            "/apis/rbac.authorization.k8s.io/v1/clusterroles/admin",
            server.token(),
            &[],
            None,
        )
        .await;
        if body.contains("widgets") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "admin never aggregated widgets: {body}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn always_allow_mode_allows_every_authenticated_user() {
    let (server, _dir) = start_with(|b| b.authorization_mode(AuthorizationMode::AlwaysAllow)).await;
    let (status, _) = send(
        &server,
        reqwest::Method::GET,
        "/api/v1/namespaces/default/secrets",
        Some("bob-token"),
        &[],
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = send(
        &server,
        reqwest::Method::GET,
        "/api/v1/namespaces/default/secrets",
        Some("wrong"),
        &[],
        None,
    )
    .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn conformance_health_auth_cases_pass_with_anonymous_auth_on_and_off() {
    use kubemock::conformance::{self, report::Outcome, Options};
    for no_anonymous in [false, true] {
        let opts = Options {
            self_test: true,
            run: Some("^health-auth/".into()),
            jobs: 4,
            no_anonymous,
            ..Options::default()
        };
        let report = conformance::run(&opts).await.expect("run");
        let failed: Vec<String> = report
            .cases
            .iter()
            .filter(|c| c.outcome == Outcome::Failed)
            .map(|c| format!("{}: {:?}", c.id, c.failure))
            .collect();
        assert!(
            failed.is_empty(),
            "anonymous off={no_anonymous}: {failed:#?}"
        );
        let outcome = |id: &str| report.cases.iter().find(|c| c.id == id).map(|c| c.outcome);
        let (on, off) = if no_anonymous {
            (Outcome::Skipped, Outcome::Passed)
        } else {
            (Outcome::Passed, Outcome::Skipped)
        };
        assert_eq!(outcome("auth-anonymous-api"), Some(on));
        assert_eq!(outcome("auth-no-token"), Some(off));
        assert_eq!(outcome("auth-bad-token"), Some(Outcome::Passed));
        assert_eq!(outcome("auth-impersonated-denied"), Some(Outcome::Passed));
    }
}
