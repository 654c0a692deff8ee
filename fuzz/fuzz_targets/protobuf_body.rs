#![no_main]
//! `cargo fuzz run protobuf_body`: see `kubemock::fuzzing`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| kubemock::fuzzing::run_or_panic("protobuf_body", data));
