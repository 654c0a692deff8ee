//! Kubernetes wire types that carry no behaviour: `Status` and its parts, the
//! well-known reason strings, annotation keys and timestamps.
//!
//! Nothing here does I/O or knows about HTTP; `api` builds these values and
//! `http` writes them.

pub mod status;
pub mod time;

pub use status::{Status, StatusCause, StatusDetails};
