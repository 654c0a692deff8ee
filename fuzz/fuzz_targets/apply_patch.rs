#![no_main]
//! `cargo fuzz run apply_patch`: see `kubemock::fuzzing`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| kubemock::fuzzing::run_or_panic("apply_patch", data));
