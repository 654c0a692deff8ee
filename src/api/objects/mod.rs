//! Per-kind behaviour on top of the generic store: defaulting (what the real
//! server fills in on create and update) and validation (the exact 422 causes).

pub mod defaults;
pub mod validation;
