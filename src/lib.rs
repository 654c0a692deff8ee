//! kubemock: a kube-apiserver stand-in for client-library CI.
//!
//! One crate, library plus binary. The layers, bottom up:
//! - [`store`]: objects, the global resourceVersion, event history, fan-out;
//! - [`registry`]: every group/version/resource served, as data;
//! - [`profile`]: what differs between the emulated Kubernetes versions;
//! - [`meta`]: Kubernetes meta types (`Status`, timestamps);
//! - [`api`]: Kubernetes API semantics (request paths, options, negotiation,
//!   selectors, tables, discovery, the verbs), free of HTTP framework types;
//! - [`auth`]: authentication, RBAC, impersonation, reviews, ServiceAccount tokens;
//! - [`http`]: the HTTP layer (filters: Audit-Id, auth, Cache-Control, gzip);
//! - [`record`]: recording what clients send, expectations, verification;
//! - [`cluster`]: controllers (namespaces, nodes, scheduler, kubelet) that
//!   write through the API like any client;
//! - [`server`]: binding, TLS, kubeconfig, fixtures; [`MockServer`] for tests;
//! - [`bench`]: `kubemock bench`, the benchmark harness;
//! - [`conformance`]: `kubemock conformance`, the conformance suite;
//! - [`fuzzing`]: fuzz targets of the request parsers and `kubemock fuzz`;
//! - [`cli`]: the `kubemock` command line;
//! - [`streams`]: exec, attach, port-forward and logs, from process scripts.
//!
//! ```no_run
//! # async fn demo() {
//! let server = kubemock::MockServer::start().await;
//! println!("{} {}", server.url(), server.kubeconfig_path().display());
//! # }
//! ```

pub mod api;
pub mod auth;
pub mod bench;
pub mod cli;
pub mod cluster;
pub mod conformance;
pub mod faults;
pub mod fuzzing;
pub mod http;
pub mod meta;
pub mod profile;
pub mod record;
pub mod registry;
pub mod server;
pub mod store;
pub mod streams;

pub use server::{MockServer, MockServerBuilder, TlsMode};
