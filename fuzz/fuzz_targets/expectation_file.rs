#![no_main]
//! `cargo fuzz run expectation_file`: see `kubemock::fuzzing`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| kubemock::fuzzing::run_or_panic("expectation_file", data));
