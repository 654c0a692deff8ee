#![no_main]
//! `cargo fuzz run json_patch`: see `kubemock::fuzzing`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| kubemock::fuzzing::run_or_panic("json_patch", data));
