#![no_main]
//! `cargo fuzz run field_selector`: see `kubemock::fuzzing`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| kubemock::fuzzing::run_or_panic("field_selector", data));
