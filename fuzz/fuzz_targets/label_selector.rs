#![no_main]
//! `cargo fuzz run label_selector`: see `kubemock::fuzzing`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| kubemock::fuzzing::run_or_panic("label_selector", data));
