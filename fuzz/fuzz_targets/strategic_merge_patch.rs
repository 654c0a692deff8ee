#![no_main]
//! `cargo fuzz run strategic_merge_patch`: see `kubemock::fuzzing`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| kubemock::fuzzing::run_or_panic("strategic_merge_patch", data));
