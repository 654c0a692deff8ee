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
//! - [`server`]: binding, TLS, kubeconfig, fixtures; [`MockServer`] for tests;
//! - [`bench`]: `kubemock bench`, the benchmark harness;
//! - [`conformance`]: `kubemock conformance`, the conformance suite;
//! - [`cli`]: the `kubemock` command line.
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
pub mod conformance;
pub mod http;
pub mod meta;
pub mod profile;
pub mod record;
pub mod registry;
pub mod server;
pub mod store;

pub use server::{MockServer, MockServerBuilder, TlsMode};
