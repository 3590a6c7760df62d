#![no_main]
//! `cargo fuzz run decode_json`: see `testing::fuzz::json_body`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| testing::fuzz::json_body(data));
