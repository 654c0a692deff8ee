#![no_main]
//! `cargo fuzz run delete_options`: see `kubemock::fuzzing`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| kubemock::fuzzing::run_or_panic("delete_options", data));
