#![no_main]
//! `cargo fuzz run continue_token`: see `kubemock::fuzzing`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| kubemock::fuzzing::run_or_panic("continue_token", data));
