//! The one integration-test binary: every module is a test file (one link of
//! the crate instead of one per file).

mod common;
mod auth;
mod bench;
mod cli;
mod conformance;
mod crd;
mod golden;
mod kube_client;
mod kubectl;
mod kubectl_writes;
mod lifecycle;
mod openapi;
mod patch;
mod profiles;
mod protobuf;
mod record;
mod watch_clients;
