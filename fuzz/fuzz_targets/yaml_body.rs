#![no_main]
//! `cargo fuzz run yaml_body`: see `kubemock::fuzzing`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| kubemock::fuzzing::run_or_panic("yaml_body", data));
