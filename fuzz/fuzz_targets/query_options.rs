#![no_main]
//! `cargo fuzz run query_options`: see `kubemock::fuzzing`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| kubemock::fuzzing::run_or_panic("query_options", data));
