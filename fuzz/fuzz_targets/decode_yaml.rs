#![no_main]
//! `cargo fuzz run decode_yaml`: see `testing::fuzz::yaml_body`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| testing::fuzz::yaml_body(data));
