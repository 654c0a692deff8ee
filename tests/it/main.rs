//! The one integration-test binary: every module is a test file (one link of
//! the crate instead of one per file).

mod auth;
mod bench;
mod cli;
mod cluster;
mod common;
mod conformance;
mod crd;
mod faults;
mod fuzz_http;
mod fuzz_parsers;
mod golden;
mod hostile;
mod kube_client;
mod kubectl;
mod kubectl_writes;
mod lifecycle;
mod limits;
mod openapi;
mod patch;
mod profiles;
mod protobuf;
mod record;
mod streams;
mod watch_clients;
