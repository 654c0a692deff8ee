//! Kubernetes wire types that carry no behaviour: `Status` and its parts, the
//! well-known reason strings, annotation keys and timestamps.
//!
//! Nothing here does I/O or knows about HTTP; `api` builds these values and
//! `http` writes them.

pub mod json;
pub mod status;
pub mod time;

pub use status::{Status, StatusCause, StatusDetails};

/// The fields of `metav1.ObjectMeta`, in its Go struct order (the order
/// the apiserver writes them in).
pub const OBJECT_META_FIELDS: &[&str] = &[
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
];
