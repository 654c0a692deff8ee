#![no_main]
//! `cargo fuzz run negotiate`: see `kubemock::fuzzing`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| kubemock::fuzzing::run_or_panic("negotiate", data));
